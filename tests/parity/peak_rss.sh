#!/bin/sh
# peak_rss.sh LUCID CASE_DIR RATIO [OPTION]: peak resident memory of `lucid forward [OPTION]` must
# stay under RATIO x the weight file's size (weights held once: the file's mapped pages released
# as loaded, the model's weights released as the engine copies them).
set -eu
lucid=$1 dir=$2 ratio=$3 option=${4:-}
# shellcheck disable=SC2046
/usr/bin/time -v "$lucid" forward $(cat "$dir/forward.args") --weights "$dir/weights.safetensors" \
  --input "$dir/input.safetensors" --output "$dir/rss.safetensors" $option 2> "$dir/time.txt"
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time.txt")
file_bytes=$(stat -c %s "$dir/weights.safetensors")
awk -v option="${option:-(engine)}" -v rss="$rss_kb" -v file="$file_bytes" -v ratio="$ratio" 'BEGIN {
  r = rss * 1024 / file
  printf "lucid forward %s: peak RSS %.0f MB, weights %.0f MB: %.3fx (limit %.2fx)\n", option, rss / 1024, file / 1048576, r, ratio
  exit (r <= ratio) ? 0 : 1 }'
