#!/usr/bin/python3
"""Prints `name count` for every torchvision model lucid registers, counted by torchvision itself
(Debian's python3-torch). tests compare it with `lucid list`."""
import re

import torch
import torchvision
from torchvision.models.resnet import ResNet

from tv_models import MODELS

# Allocate without drawing weights: only the shapes matter for counting.
for name in ("kaiming_normal_", "kaiming_uniform_", "uniform_", "normal_", "constant_", "zeros_", "ones_"):
    setattr(torch.nn.init, name, lambda tensor, *args, **kwargs: tensor)


for name, (block, layers, groups, width) in MODELS.items():
    # torchvision's own factory where it has one (resnext50_32x4d, ...); else its ResNet class.
    factory = getattr(torchvision.models, re.sub(r"(resnet|resnext)_", r"\1", name), None)
    model = factory() if factory else ResNet(block, layers, groups=groups, width_per_group=width)
    print(f"{name:<20} {sum(p.numel() for p in model.parameters())}")
