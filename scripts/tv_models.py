"""lucid's registered models as torchvision builds them: name -> (block, layers, groups, width_per_group)."""
from torchvision.models.resnet import BasicBlock, Bottleneck

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
    "resnext_14_8x4d": (Bottleneck, [1, 1, 1, 1], 8, 4),
}
