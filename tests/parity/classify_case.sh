#!/bin/sh
# classify_case.sh LUCID OUT PRESET IMAGE...: `lucid classify --json` on a torch.save checkpoint
# must give torchvision's top-5 classes and probabilities (within 1e-4) for every photograph;
# and so must the checkpoint after `lucid convert` to safetensors with lucid's key names.
set -eu
lucid=$1 out=$2 preset=$3
shift 3
root=$(cd "$(dirname "$0")/../.." && pwd)
/usr/bin/python3 "$root/scripts/classify_reference.py" write "$out" "$preset" "$@"
"$lucid" classify --weights "$out/$preset/weights.pth" --preset "$preset" --json "$@" > "$out/$preset/ours.json"
/usr/bin/python3 "$root/scripts/classify_reference.py" compare "$out/$preset/expected.json" "$out/$preset/ours.json"
"$lucid" convert "$out/$preset/weights.pth" "$out/$preset/converted.safetensors" --keys lucid
"$lucid" classify --weights "$out/$preset/converted.safetensors" --preset "$preset" --json "$@" \
  > "$out/$preset/converted.json"
/usr/bin/python3 "$root/scripts/classify_reference.py" compare "$out/$preset/expected.json" "$out/$preset/converted.json"
