#!/bin/sh
# The main job (`make demo`): train a small ResNeXt on Fashion-MNIST (Debian's
# dataset-fashion-mnist) on this machine's cores, evaluate the checkpoint on the 10000 test
# images, and classify a few of them, written out as PNG files, with the saved checkpoint.
set -eu
lucid=${1:-build/lucid}
work=$(dirname "$lucid")/demo
rm -rf "$work/run" "$work/images"
mkdir -p "$work/images"

echo "== the ResNeXt family"
"$lucid" list resnext
echo
echo "== lucid train: resnext_14_8x4d (ResNeXt, one bottleneck block per stage, cardinality 8,"
echo "   base width 4), 3 epochs of the 60000 training images, one-cycle SGD"
"$lucid" train --model resnext_14_8x4d --data fashion-mnist --epochs 3 --batch 128 --lr 0.05 --nesterov \
  --schedule onecycle --pad 0 --workers 1 --out "$work/run"
echo
echo "== lucid eval: the best checkpoint on the test set"
"$lucid" eval --weights "$work/run/best.safetensors" --data fashion-mnist
echo
echo "== five test images as PNG files, classified with the checkpoint"
/usr/bin/python3 - "$work/images" <<'PY'
import gzip, sys
import numpy as np
from PIL import Image
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz") as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)
names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
for i in range(5):
    name = "%s/test%d_%s.png" % (sys.argv[1], i, names[labels[i]].replace("/", "-").replace(" ", "-").lower())
    Image.fromarray(images[i]).save(name)
    print("wrote", name)
PY
"$lucid" classify --weights "$work/run/best.safetensors" --topk 2 "$work/images"
