#!/bin/sh
# param_counts.sh LUCID PARAM_COUNTS_PY: `lucid list` must print torchvision's counts exactly.
set -eu
expected=$(/usr/bin/python3 "$2")
actual=$("$1" list)
[ -n "$expected" ] && [ "$expected" = "$actual" ] && { echo "$actual"; exit 0; }
printf 'torchvision:\n%s\nlucid:\n%s\n' "$expected" "$actual"
exit 1
