#!/usr/bin/python3
"""Writes torchvision reference outputs for the parity tests (run with Debian's python3-torch).

For one case: builds the network in torchvision, seeds its weights, randomises every BatchNorm's
running statistics and affine parameters (so BN is not the identity), runs an eval-mode forward,
and writes into OUT/CASE/:
  weights.safetensors  the state_dict (torchvision keys, or lucid / DataParallel naming; F32, F16 or BF16)
  input.safetensors    'input' (N,C,H,W float32)
  golden.safetensors   'logits', 'stem' (after conv1-bn1-relu), 'layer1' ... 'layer4'
"""
import argparse
import json
import os
import struct

import torch
from torchvision.models.resnet import ResNet

from tv_models import MODELS


# case: model, input shape, num_classes, in_channels, key naming, weight dtype.
CASES = {
    # Batch 1 where the engine takes lucid's 1x1 kernel for the 7 x 7 stage (AVX2); batch 2 for two of them,
    # where AVX-512 plans run the 7 x 7 stage's 1x1s as one matmul over the batch.
    **{m: dict(model=m, input=[2 if m in ("resnext_101_32x4d", "resnext_101_64x4d") else 1, 3, 224, 224])
       for m in list(MODELS)[:6]},
    "resnext_50_32x4d_odd": dict(model="resnext_50_32x4d", input=[1, 3, 193, 257]),
    "resnext_50_32x4d_gray10": dict(model="resnext_50_32x4d", input=[2, 1, 112, 112], num_classes=10, in_channels=1),
    "resnext_50_32x4d_lucid_keys_f16": dict(model="resnext_50_32x4d", input=[1, 3, 64, 64], keys="lucid", dtype="F16"),
    "resnext_50_32x4d_dataparallel_bf16": dict(model="resnext_50_32x4d", input=[1, 3, 64, 64], keys="module",
                                               dtype="BF16"),
    "resnet_18": dict(model="resnet_18", input=[1, 3, 96, 96]),
    "resnet_50": dict(model="resnet_50", input=[1, 3, 96, 96]),
    "wide_resnet_50_2": dict(model="wide_resnet_50_2", input=[1, 3, 96, 96]),
}

DTYPES = {"F32": (torch.float32, "<f4"), "F16": (torch.float16, "<f2"), "BF16": (torch.bfloat16, None),
          "I64": (torch.int64, "<i8")}


def save_safetensors(path, tensors, metadata=None):
    """The safetensors layout, written by hand: Debian has no python3-safetensors."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        dtype = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}[t.dtype]
        # bfloat16 has no numpy type: move its bits through int16.
        data = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def randomize_batchnorm(model):
    """Seeded BN statistics and affine parameters, so that BN is not the identity."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.6, 1.4)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.6, 1.6)
                m.num_batches_tracked.fill_(7)


def build(case):
    block, layers, groups, width = MODELS[case["model"]]
    model = ResNet(block, layers, num_classes=case.get("num_classes", 1000), groups=groups, width_per_group=width)
    in_channels = case.get("in_channels", 3)
    if in_channels != 3:
        model.conv1 = torch.nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        torch.nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    randomize_batchnorm(model)
    with torch.no_grad():
        dtype = case.get("dtype", "F32")
        if dtype != "F32":  # the model computes with exactly the values the file will hold
            for t in model.state_dict().values():
                if t.is_floating_point():
                    t.copy_(t.to(DTYPES[dtype][0]).float())
    return model.eval()


def rename(key, naming):
    if naming == "module":
        return "module." + key
    if naming == "lucid":
        for a, b in (("conv1.", "stem.0."), ("bn1.", "stem.1."), ("fc.", "classifier.")):
            if key.startswith(a):
                return b + key[len(a):]
    return key


def write_case(name, out):
    case = CASES[name]
    torch.manual_seed(sum(map(ord, name)))
    model = build(case)
    x = torch.randn(case["input"])
    with torch.no_grad():
        stem = model.relu(model.bn1(model.conv1(x)))
        l1 = model.layer1(model.maxpool(stem))
        l2 = model.layer2(l1)
        l3 = model.layer3(l2)
        l4 = model.layer4(l3)
        logits = model.fc(torch.flatten(model.avgpool(l4), 1))
        assert torch.equal(logits, model(x))
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    dtype = DTYPES[case.get("dtype", "F32")][0]
    weights = {rename(k, case.get("keys")): (v.to(dtype) if v.is_floating_point() else v)
               for k, v in model.state_dict().items()}
    save_safetensors(os.path.join(folder, "weights.safetensors"), weights)
    save_safetensors(os.path.join(folder, "input.safetensors"), {"input": x})
    save_safetensors(os.path.join(folder, "golden.safetensors"),
                     {"logits": logits, "stem": stem, "layer1": l1, "layer2": l2, "layer3": l3, "layer4": l4},
                     {"model": case["model"], "torch": torch.__version__})
    with open(os.path.join(folder, "forward.args"), "w") as f:  # the matching `lucid forward` options
        f.write(f"--model {case['model']} --num-classes {case.get('num_classes', 1000)} "
                f"--in-channels {case.get('in_channels', 3)}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder for the cases (required unless --list)")
    parser.add_argument("cases", nargs="*", help="default: all of " + ", ".join(CASES))
    parser.add_argument("--list", action="store_true", help="print the case names and exit")
    parser.add_argument("--reuse", action="store_true", help="keep a case written after this script last changed")
    args = parser.parse_args()
    if args.list:
        print("\n".join(CASES))
        return
    if not args.out:
        parser.error("--out is required")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in args.cases or CASES:
        done = os.path.join(args.out, name, "golden.safetensors")
        if args.reuse and os.path.exists(done) and os.path.getmtime(done) > os.path.getmtime(__file__):
            continue
        write_case(name, args.out)


if __name__ == "__main__":
    main()
