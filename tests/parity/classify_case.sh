#!/bin/sh
# classify_case.sh LUCID OUT PRESET IMAGE...: `lucid classify --json` on a torch.save checkpoint
# must give torchvision's top-5 classes and probabilities (within 1e-4) for every photograph.
set -eu
lucid=$1 out=$2 preset=$3
shift 3
root=$(cd "$(dirname "$0")/../.." && pwd)
/usr/bin/python3 "$root/scripts/classify_reference.py" write "$out" "$preset" "$@"
"$lucid" classify --weights "$out/$preset/weights.pth" --preset "$preset" --json "$@" > "$out/$preset/ours.json"
/usr/bin/python3 "$root/scripts/classify_reference.py" compare "$out/$preset/expected.json" "$out/$preset/ours.json"
