#!/usr/bin/python3
"""Prints `name count` for every torchvision model lucid registers, counted by torchvision itself
(Debian's python3-torch). tests compare it with `lucid list`."""
import re

import torch
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

# Allocate without drawing weights: only the shapes matter for counting.
for name in ("kaiming_normal_", "kaiming_uniform_", "uniform_", "normal_", "constant_", "zeros_", "ones_"):
    setattr(torch.nn.init, name, lambda tensor, *args, **kwargs: tensor)

MODELS = {
    "resnext_50_32x4d": (Bottleneck, [3, 4, 6, 3], 32, 4),
    "resnext_101_32x4d": (Bottleneck, [3, 4, 23, 3], 32, 4),
    "resnext_101_32x8d": (Bottleneck, [3, 4, 23, 3], 32, 8),
    "resnext_101_32x16d": (Bottleneck, [3, 4, 23, 3], 32, 16),
    "resnext_101_32x32d": (Bottleneck, [3, 4, 23, 3], 32, 32),
    "resnext_101_64x4d": (Bottleneck, [3, 4, 23, 3], 64, 4),
    "resnet_18": (BasicBlock, [2, 2, 2, 2], 1, 64),
    "resnet_34": (BasicBlock, [3, 4, 6, 3], 1, 64),
    "resnet_50": (Bottleneck, [3, 4, 6, 3], 1, 64),
    "resnet_101": (Bottleneck, [3, 4, 23, 3], 1, 64),
    "resnet_152": (Bottleneck, [3, 8, 36, 3], 1, 64),
    "wide_resnet_50_2": (Bottleneck, [3, 4, 6, 3], 1, 128),
    "wide_resnet_101_2": (Bottleneck, [3, 4, 23, 3], 1, 128),
}

for name, (block, layers, groups, width) in MODELS.items():
    # torchvision's own factory where it has one (resnext50_32x4d, ...); else its ResNet class.
    factory = getattr(torchvision.models, re.sub(r"(resnet|resnext)_", r"\1", name), None)
    model = factory() if factory else ResNet(block, layers, groups=groups, width_per_group=width)
    print(f"{name:<20} {sum(p.numel() for p in model.parameters())}")
