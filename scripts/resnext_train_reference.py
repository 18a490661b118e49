#!/usr/bin/python3
"""PyTorch's side of the ResNeXt training parity test (Debian's python3-torch): a small ResNeXt
trained three SGD steps on fixed batches, with every number the C++ test compares written to OUT/:
  weights.safetensors    the initial state_dict (torchvision keys)
  batches.safetensors    'images.K' (N,1,28,28) and 'labels.K' (N) for steps K = 0, 1, 2
  reference.safetensors  'loss.K' per step, 'grad.NAME' for every parameter after the first
                         backward, 'final.NAME' for the state_dict after the third step
  manifest.json          the settings, so the C++ side does not restate them
"""
import json
import os
import sys

import torch
from torchvision.models.resnet import Bottleneck, ResNet

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import save_safetensors  # noqa: E402

SETTINGS = dict(layers=[1, 1, 1, 1], cardinality=4, base_width=4, in_channels=1, num_classes=10, batch=16,
                steps=3, lr=0.005, momentum=0.9, nesterov=True, weight_decay=5e-4, label_smoothing=0.1)


def main(out):
    os.makedirs(out, exist_ok=True)
    s = SETTINGS
    torch.manual_seed(1)
    torch.set_num_threads(1)
    model = ResNet(Bottleneck, s["layers"], num_classes=s["num_classes"], groups=s["cardinality"],
                   width_per_group=s["base_width"])
    model.conv1 = torch.nn.Conv2d(s["in_channels"], 64, kernel_size=7, stride=2, padding=3, bias=False)
    # Non-trivial BN affine parameters, so their gradients are not all alike.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    save_safetensors(os.path.join(out, "weights.safetensors"), model.state_dict())

    batches, reference = {}, {}
    for k in range(s["steps"]):
        batches[f"images.{k}"] = torch.randn(s["batch"], s["in_channels"], 28, 28)
        batches[f"labels.{k}"] = torch.randint(0, s["num_classes"], (s["batch"],))
    save_safetensors(os.path.join(out, "batches.safetensors"), batches)

    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=s["lr"], momentum=s["momentum"], nesterov=s["nesterov"],
                                weight_decay=s["weight_decay"])
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=s["label_smoothing"])
    for k in range(s["steps"]):
        optimizer.zero_grad()
        loss = loss_fn(model(batches[f"images.{k}"]), batches[f"labels.{k}"])
        loss.backward()
        reference[f"loss.{k}"] = loss.detach().reshape(1)
        if k == 0:
            for name, p in model.named_parameters():
                reference[f"grad.{name}"] = p.grad.clone()
        optimizer.step()
    for name, t in model.state_dict().items():
        reference[f"final.{name}"] = t.clone()
    save_safetensors(os.path.join(out, "reference.safetensors"), reference)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(s, f)


if __name__ == "__main__":
    main(sys.argv[1])
