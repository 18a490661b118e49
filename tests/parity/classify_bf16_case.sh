#!/bin/sh
# classify_bf16_case.sh LUCID OUT MODEL IMAGE...: `lucid classify --precision bf16` on a torch.save
# checkpoint of MODEL (seeded, its classifier fitted to the photographs, the tv_v1 preset's
# transforms) against torchvision's fp32 logits on every photograph: the same top-1 class where
# it leads by 1.0 or more, every logit within 10% of the largest; prints the largest |logit
# difference|. On AVX-512 CPUs without AVX512_BF16 it runs oneDNN's bf16 emulation
# (LUCID_BF16_EMULATION=1: bf16 roundings, though not necessarily the native instructions' bits,
# and slower); elsewhere it is skipped (exit 77).
set -eu
lucid=$1 out=$2 model=$3
shift 3
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$out/tv_v1.$model"
/usr/bin/python3 "$root/scripts/classify_reference.py" write "$out" tv_v1 --model "$model" "$@"
if ! LUCID_BF16_EMULATION=1 "$lucid" classify --weights "$dir/weights.pth" --precision bf16 --topk 1000 \
     --json "$@" > "$dir/bf16.json" 2> "$dir/bf16.err"; then
  cat "$dir/bf16.err"
  if grep -q "AVX512_BF16" "$dir/bf16.err"; then exit 77; fi
  exit 1
fi
/usr/bin/python3 "$root/scripts/classify_reference.py" bf16 "$dir/expected.json" "$dir/bf16.json"
