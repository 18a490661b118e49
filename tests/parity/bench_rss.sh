#!/bin/sh
# bench_rss.sh LUCID MODEL RATIO: the peak resident memory of `lucid bench --model MODEL --batch 1`
# must stay under RATIO x the model's fp32 weight bytes (parameters x 4, from `lucid list`): the
# engine holds the weights once, in their blocked layout (issue 4 asks for at most 1.2x).
set -eu
lucid=$1 model=$2 ratio=$3
params=$("$lucid" list "$model" | awk -v m="$model" '$1 == m { print $2 }')
[ -n "$params" ] || { echo "bench_rss.sh: $model is not in \`lucid list\`"; exit 1; }
out=$(mktemp) && trap 'rm -f "$out"' EXIT
/usr/bin/time -v "$lucid" bench --model "$model" --batch 1 --threads 2 --warmup 0 --iterations 1 >/dev/null 2>"$out"
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out")
awk -v model="$model" -v rss="$rss_kb" -v params="$params" -v ratio="$ratio" 'BEGIN {
  r = rss * 1024 / (4 * params)
  printf "lucid bench --model %s --batch 1: peak RSS %.0f MB, fp32 weights %.0f MB: %.3fx (limit %.2fx)\n", model, rss / 1024, 4 * params / 1048576, r, ratio
  exit (r <= ratio) ? 0 : 1 }'
