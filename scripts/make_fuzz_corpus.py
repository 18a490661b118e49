#!/usr/bin/python3
"""Seed corpora for the fuzz targets: small valid files of every kind the readers take.

  make_fuzz_corpus.py OUT   writes OUT/safetensors/, OUT/torch_checkpoint/, OUT/image/
"""
import io
import os
import sys

import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from make_golden import save_safetensors  # noqa: E402


def main(out):
    dirs = {name: os.path.join(out, name) for name in ("safetensors", "torch_checkpoint", "image")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(2, 4, 3, groups=2)
    bn = torch.nn.BatchNorm2d(4)
    state = {**{"conv." + k: v for k, v in conv.state_dict().items()},
             **{"bn." + k: v for k, v in bn.state_dict().items()}}

    save_safetensors(os.path.join(dirs["safetensors"], "f32.safetensors"), state, {"format": "pt"})
    save_safetensors(os.path.join(dirs["safetensors"], "f16.safetensors"),
                     {k: v.half() if v.is_floating_point() else v for k, v in state.items()})
    save_safetensors(os.path.join(dirs["safetensors"], "bf16.safetensors"),
                     {k: v.bfloat16() if v.is_floating_point() else v for k, v in state.items()})

    torch.save(state, os.path.join(dirs["torch_checkpoint"], "state.pth"))
    torch.save({"state_dict": {"module." + k: v for k, v in state.items()}, "epoch": 2},
               os.path.join(dirs["torch_checkpoint"], "training.pth"))
    torch.save({k: v.half() for k, v in conv.state_dict().items()}, os.path.join(dirs["torch_checkpoint"], "half.pth"))

    base = Image.linear_gradient("L").resize((24, 17))
    rgb = Image.merge("RGB", (base, base.transpose(Image.FLIP_LEFT_RIGHT), base.transpose(Image.FLIP_TOP_BOTTOM)))
    images = {
        "rgb.jpg": (rgb, "JPEG", {}),
        "progressive.jpg": (rgb, "JPEG", {"progressive": True}),
        "gray.jpg": (base, "JPEG", {}),
        "cmyk.jpg": (rgb.convert("CMYK"), "JPEG", {}),
        "rgb.png": (rgb, "PNG", {}),
        "rgba.png": (rgb.convert("RGBA"), "PNG", {}),
        "la.png": (base.convert("LA"), "PNG", {}),
        "palette.png": (rgb.convert("P"), "PNG", {"transparency": 3}),
        "bilevel.png": (base.convert("1"), "PNG", {}),
        "gray16.png": (base.convert("I").point(lambda v: v * 200), "PNG", {}),
    }
    for name, (image, fmt, options) in images.items():
        image.save(os.path.join(dirs["image"], name), fmt, **options)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
