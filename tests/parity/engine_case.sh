#!/bin/sh
# engine_case.sh LUCID COMPARE CASE_DIR: logits of the compiled engine (`lucid forward`'s default
# path) on a golden case must match torchvision's, as the eager path's do (forward_case.sh).
set -eu
lucid=$1 compare=$2 dir=$3
# shellcheck disable=SC2046  # forward.args holds several options
"$lucid" forward $(cat "$dir/forward.args") --weights "$dir/weights.safetensors" \
  --input "$dir/input.safetensors" --output "$dir/engine.safetensors"
"$compare" "$dir/engine.safetensors" "$dir/golden.safetensors" logits
