#!/bin/sh
# engine_case.sh LUCID COMPARE CASE_DIR: logits of the compiled engine (`lucid forward`'s default
# path) on a golden case must match torchvision's, and the eager path's (`--eager`), each within
# 1e-4 * max(1, max |reference|).
set -eu
lucid=$1 compare=$2 dir=$3
for path in engine eager; do
  # shellcheck disable=SC2046  # forward.args holds several options
  "$lucid" forward $(cat "$dir/forward.args") --weights "$dir/weights.safetensors" \
    --input "$dir/input.safetensors" --output "$dir/$path.safetensors" $([ $path = eager ] && echo --eager)
done
echo "engine vs torchvision:"
"$compare" "$dir/engine.safetensors" "$dir/golden.safetensors" logits
echo "engine vs eager:"
"$compare" "$dir/engine.safetensors" "$dir/eager.safetensors" logits
