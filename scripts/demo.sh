#!/bin/sh
# The main job (`make demo`): the ResNeXt family, one model's layers, and a forward pass checked
# against torchvision on the same seeded weights.
set -eu
lucid=${1:-build/lucid}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(dirname "$lucid")/demo
compare=$(dirname "$lucid")/tests/lucid_compare

echo "== lucid list resnext"
"$lucid" list resnext
echo
echo "== lucid summary resnext_50_32x4d (last lines)"
"$lucid" summary resnext_50_32x4d | tail -n 4
echo
echo "== torchvision writes seeded resnext_50_32x4d weights, an input and its outputs"
/usr/bin/python3 "$root/scripts/make_golden.py" --reuse --out "$work" resnext_50_32x4d
echo "== lucid forward, then compare with torchvision"
"$lucid" forward --model resnext_50_32x4d --weights "$work/resnext_50_32x4d/weights.safetensors" \
  --input "$work/resnext_50_32x4d/input.safetensors" --output "$work/ours.safetensors" --features
"$compare" "$work/ours.safetensors" "$work/resnext_50_32x4d/golden.safetensors"
