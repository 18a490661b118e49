#!/bin/sh
# forward_case.sh LUCID COMPARE CASE_DIR: runs `lucid forward --features` on a golden case
# written by scripts/make_golden.py and compares every output with torchvision's.
set -eu
lucid=$1 compare=$2 dir=$3
# shellcheck disable=SC2046  # forward.args holds several options
"$lucid" forward $(cat "$dir/forward.args") --weights "$dir/weights.safetensors" \
  --input "$dir/input.safetensors" --output "$dir/ours.safetensors" --features
"$compare" "$dir/ours.safetensors" "$dir/golden.safetensors"
