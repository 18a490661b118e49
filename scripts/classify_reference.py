#!/usr/bin/python3
"""torchvision's side of the `lucid classify` end-to-end test (Debian's python3-torch/torchvision).

  classify_reference.py write OUT PRESET IMAGE...   seeds a torchvision model, saves its state_dict
      with torch.save to OUT/PRESET/weights.pth, and writes OUT/PRESET/expected.json: per image the
      top-5 of PIL open -> the preset's transforms -> model -> softmax.
      With --model NAME, that ResNeXt instead of the preset's, in OUT/PRESET.NAME, its classifier
      fitted to the images (fit_classifier). Each image's entry also holds all of torchvision's
      logits.
  classify_reference.py compare EXPECTED.json OURS.json   same top-5 classes in the same order,
      probabilities within 1e-4.
  classify_reference.py bf16 EXPECTED.json OURS.json   lucid's bf16 run (`--topk` over all classes)
      against torchvision's fp32 logits: the same top-1 class for every image whose top-1 leads by
      1.0 or more, and every logit within 10% of the image's largest |logit|, but not all within
      1e-2 (that would be fp32); prints the largest |logit difference| per image and overall.
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


def features(model, x):
    """torchvision's ResNet.forward up to the classifier."""
    for layer in [model.conv1, model.bn1, model.relu, model.maxpool, model.layer1, model.layer2, model.layer3,
                  model.layer4, model.avgpool]:
        x = layer(x)
    return torch.flatten(x, 1)


def fit_classifier(model, inputs, margin=20.0):
    """With random weights every photograph's top-1 is the same class (the classifier's bias and
    the features' shared part decide it), so a top-1 check would not look at the image. Here class
    i's row is image i's pooled features less their mean over the images (unit length, times
    `margin` / the average such length) and its bias cancels the mean's share: image i's logit for
    class i is then about `margin`, for another fitted class about `margin` x the cosine of their
    centred features, and for the other classes what the random weights give (under 10)."""
    with torch.no_grad():
        f = torch.cat([features(model, x) for x in inputs])
        centred = f - f.mean(0)
        rows = centred / centred.norm(dim=1, keepdim=True) * margin / centred.norm(dim=1).mean()
        model.fc.weight[:len(inputs)] = rows
        model.fc.bias[:len(inputs)] = -rows @ f.mean(0)


def write(out, preset, images, model_name=None):
    name, resize, interpolation = PRESETS[preset]
    name = model_name or name
    block, layers, groups, width = MODELS[name]
    torch.manual_seed(sum(map(ord, preset)))
    model = ResNet(block, layers, groups=groups, width_per_group=width)
    randomize_batchnorm(model)
    with torch.no_grad():
        model.fc.weight.mul_(8)  # a peakier softmax than the default init gives
    model.eval()
    folder = os.path.join(out, preset if model_name is None else f"{preset}.{model_name}")
    os.makedirs(folder, exist_ok=True)
    transform = T.Compose([T.Resize(resize, interpolation=interpolation), T.CenterCrop(224), T.ToTensor(),
                           T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    inputs = [transform(Image.open(path).convert("RGB")).unsqueeze(0) for path in images]
    if model_name is not None:
        fit_classifier(model, inputs)
    torch.save(model.state_dict(), os.path.join(folder, "weights.pth"))
    results = []
    with torch.no_grad():
        for path, x in zip(images, inputs):
            logits = model(x)[0]
            probs = torch.softmax(logits, dim=0)
            top = torch.topk(probs, 5)
            results.append({"path": path, "top": [{"class": int(c), "prob": float(p)}
                                                  for p, c in zip(top.values, top.indices)],
                            "logits": [float(v) for v in logits]})
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


def bf16(expected_path, ours_path, near_tie=1.0, tolerance=0.1):
    expected = json.load(open(expected_path))
    ours = {r["path"]: r for r in json.load(open(ours_path))}
    ok, worst, same, counted = True, 0.0, 0, 0
    for e in expected:
        o = ours.get(e["path"])
        if o is None or len(o["top"]) != len(e["logits"]):
            print(f"{e['path']}: missing from lucid's output, or not all {len(e['logits'])} classes")
            ok = False
            continue
        reference = e["logits"]
        ranked = sorted(range(len(reference)), key=lambda c: -reference[c])
        top1, margin = ranked[0], reference[ranked[0]] - reference[ranked[1]]
        diff = max(abs(t["logit"] - reference[t["class"]]) for t in o["top"])
        scale = max(1.0, max(abs(v) for v in reference))
        agrees = o["top"][0]["class"] == top1
        # A top-1 within `near_tie` of the next is not decided at bf16's precision: reported, not failed.
        good = (agrees or margin < near_tie) and diff <= tolerance * scale
        ok &= good
        worst = max(worst, diff)
        same += agrees
        counted += margin >= near_tie
        print(f"{os.path.basename(e['path']):24} top-1 {o['top'][0]['class']} (torchvision fp32 {top1}, "
              f"{margin:.2f} above the next) max|dlogit| {diff:.4f} of max|logit| {scale:.2f} "
              f"{'ok' if good else 'FAIL'}")
    print(f"same top-1 as torchvision fp32: {same} of {len(expected)} images ({counted} with a margin of "
          f"{near_tie} or more, which must agree); largest |logit difference|: {worst:.4f}")
    if worst < 1e-2:  # fp32 comes within 3e-4 of torchvision here, bf16 0.1-1: the run was not bf16
        print("FAIL: the logits are as close as fp32's; did lucid run in bf16?")
        return False
    return ok


if __name__ == "__main__":
    if len(sys.argv) >= 7 and sys.argv[1] == "write" and sys.argv[4] == "--model":
        write(sys.argv[2], sys.argv[3], sys.argv[6:], sys.argv[5])
    elif len(sys.argv) >= 5 and sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 4 and sys.argv[1] == "bf16":
        sys.exit(0 if bf16(sys.argv[2], sys.argv[3]) else 1)
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(0 if compare(sys.argv[2], sys.argv[3]) else 1)
    else:
        sys.exit(__doc__)
