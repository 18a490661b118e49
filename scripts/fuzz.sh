#!/bin/sh
# fuzz.sh BUILD_DIR SECONDS: builds the libFuzzer targets with ASan and UBSan (clang) and runs
# each for SECONDS from a seed corpus of valid files. Any crash, sanitizer report, leak or
# timeout fails it; the reproducer is left in BUILD_DIR/findings/.
set -eu
build=$1 seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 -DLUCID_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)" | tail -n 1
/usr/bin/python3 "$root/scripts/make_fuzz_corpus.py" "$build/seeds"
mkdir -p "$build/findings"
failed=""
for target in safetensors torch_checkpoint image; do
  mkdir -p "$build/corpus/$target"
  echo "== fuzzing $target for ${seconds}s"
  if "$build/fuzz/${target}_fuzz" "$build/corpus/$target" "$build/seeds/$target" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$build/findings/$target-" > "$build/$target.log" 2>&1; then
    grep -E "^Done|exec_per_sec|new_units_added" "$build/$target.log"
  else
    tail -n 40 "$build/$target.log"
    failed="$failed $target"
  fi
done
[ -z "$failed" ] || { echo "fuzzing found problems in:$failed (reproducers in $build/findings)"; exit 1; }
