#!/usr/bin/python3
"""torchvision's side of the `lucid classify` end-to-end test (Debian's python3-torch/torchvision).

  classify_reference.py write OUT PRESET IMAGE...   seeds a torchvision model, saves its state_dict
      with torch.save to OUT/PRESET/weights.pth, and writes OUT/PRESET/expected.json: per image the
      top-5 of PIL open -> the preset's transforms -> model -> softmax.
  classify_reference.py compare EXPECTED.json OURS.json   same top-5 classes in the same order,
      probabilities within 1e-4.
"""
import json
import os
import sys

import torch
from PIL import Image
from torchvision import transforms as T
from torchvision.models.resnet import ResNet

sys.path.insert(0, os.path.dirname(__file__))
from make_golden import randomize_batchnorm  # noqa: E402
from tv_models import MODELS  # noqa: E402

# preset: (model, resize, interpolation), crop 224, ImageNet mean/std (../docs: VARIANTS facts).
PRESETS = {
    "tv_v1": ("resnext_50_32x4d", 256, T.InterpolationMode.BILINEAR),
    "tv_v2": ("resnext_50_32x4d", 232, T.InterpolationMode.BILINEAR),
    "timm_gluon": ("resnext_101_32x4d", 256, T.InterpolationMode.BICUBIC),
    "timm_wsl": ("resnext_50_32x4d", 256, T.InterpolationMode.BILINEAR),
}


def write(out, preset, images):
    name, resize, interpolation = PRESETS[preset]
    block, layers, groups, width = MODELS[name]
    torch.manual_seed(sum(map(ord, preset)))
    model = ResNet(block, layers, groups=groups, width_per_group=width)
    randomize_batchnorm(model)
    with torch.no_grad():
        model.fc.weight.mul_(8)  # a peakier softmax than the default init gives
    model.eval()
    folder = os.path.join(out, preset)
    os.makedirs(folder, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(folder, "weights.pth"))
    transform = T.Compose([T.Resize(resize, interpolation=interpolation), T.CenterCrop(224), T.ToTensor(),
                           T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    results = []
    with torch.no_grad():
        for path in images:
            x = transform(Image.open(path).convert("RGB")).unsqueeze(0)
            probs = torch.softmax(model(x), dim=1)[0]
            top = torch.topk(probs, 5)
            results.append({"path": path, "top": [{"class": int(c), "prob": float(p)}
                                                  for p, c in zip(top.values, top.indices)]})
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(results, f, indent=1)


def compare(expected_path, ours_path):
    expected = json.load(open(expected_path))
    ours = {r["path"]: r for r in json.load(open(ours_path))}
    ok = True
    for e in expected:
        o = ours.get(e["path"])
        if o is None:
            print(f"{e['path']}: missing from lucid's output")
            ok = False
            continue
        classes_e = [t["class"] for t in e["top"]]
        classes_o = [t["class"] for t in o["top"]]
        diff = max(abs(a["prob"] - b["prob"]) for a, b in zip(e["top"], o["top"]))
        good = classes_e == classes_o and diff <= 1e-4
        ok &= good
        print(f"{os.path.basename(e['path']):24} top-5 {classes_o} max|dprob| {diff:.2e} {'ok' if good else 'FAIL'}"
              + ("" if good else f" (torchvision {classes_e})"))
    return ok


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(0 if compare(sys.argv[2], sys.argv[3]) else 1)
    else:
        sys.exit(__doc__)
