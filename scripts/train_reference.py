#!/usr/bin/python3
"""Writes PyTorch reference results for the training-op tests (run with Debian's python3-torch).

    train_reference.py DIR

DIR/request.json names the case and its sizes; the inputs lie beside it as raw little-endian
float32 (*.f32) or int64 (*.i64) files. Results go to DIR as raw float64 (*.f64), computed in
float64 from the same inputs, and DIR/result.json lists them with their shapes.

  {"op": "batch_norm", "shape": [N,C,H,W], "momentum", "eps", "steps": S}
      inputs  weight, bias, running_mean, running_var, x0..x{S-1}, dy0..dy{S-1}
      nn.BatchNorm2d in train mode, S steps: y{i}, dx{i}, dweight{i}, dbias{i}, running_mean{i},
      running_var{i}, num_batches_tracked{i}; then in eval mode on x0: y_eval, dx_eval
  {"op": "cross_entropy", "shape": [N,C], "smoothing"}
      inputs  logits, labels (int64)
      F.cross_entropy(logits, labels, label_smoothing=smoothing): loss, dlogits
"""
import json
import os
import sys

import numpy as np
import torch


def load(dir_, name, shape):
    if os.path.exists(os.path.join(dir_, name + ".i64")):
        return torch.from_numpy(np.fromfile(os.path.join(dir_, name + ".i64"), "<i8").reshape(shape))
    data = np.fromfile(os.path.join(dir_, name + ".f32"), "<f4").reshape(shape)
    return torch.from_numpy(data.astype(np.float64))


def batch_norm(dir_, req, out):
    shape, steps = req["shape"], req["steps"]
    channels = shape[1]
    bn = torch.nn.BatchNorm2d(channels, eps=req["eps"], momentum=req["momentum"]).double()
    with torch.no_grad():
        for name in ("weight", "bias", "running_mean", "running_var"):
            getattr(bn, name).copy_(load(dir_, name, [channels]))
    bn.train()
    for i in range(steps):
        x = load(dir_, f"x{i}", shape).requires_grad_()
        bn.zero_grad()
        y = bn(x)
        y.backward(load(dir_, f"dy{i}", shape))
        # Copies: the next step updates the statistics and zeroes the gradients in place.
        out.update({name + str(i): t.detach().clone() for name, t in [
            ("y", y), ("dx", x.grad), ("dweight", bn.weight.grad), ("dbias", bn.bias.grad),
            ("running_mean", bn.running_mean), ("running_var", bn.running_var),
            ("num_batches_tracked", bn.num_batches_tracked)]})
    bn.eval()
    x = load(dir_, "x0", shape).requires_grad_()
    y = bn(x)
    y.backward(load(dir_, "dy0", shape))
    out.update({"y_eval": y, "dx_eval": x.grad})


def cross_entropy(dir_, req, out):
    n, classes = req["shape"]
    logits = load(dir_, "logits", [n, classes]).requires_grad_()
    loss = torch.nn.functional.cross_entropy(logits, load(dir_, "labels", [n]), label_smoothing=req["smoothing"])
    loss.backward()
    out.update({"loss": loss, "dlogits": logits.grad})


def main():
    dir_ = sys.argv[1]
    with open(os.path.join(dir_, "request.json")) as f:
        req = json.load(f)
    torch.set_num_threads(1)
    out = {}
    {"batch_norm": batch_norm, "cross_entropy": cross_entropy}[req["op"]](dir_, req, out)
    shapes = {}
    for name, t in out.items():
        a = t.detach().to(torch.float64).numpy()
        a.astype("<f8").tofile(os.path.join(dir_, name + ".f64"))
        shapes[name] = list(a.shape)
    with open(os.path.join(dir_, "result.json"), "w") as f:
        json.dump(shapes, f)


if __name__ == "__main__":
    main()
