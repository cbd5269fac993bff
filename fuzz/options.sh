#!/usr/bin/env bash
# Print the libFuzzer flags of fuzz/<TARGET>_fuzzer.options ("[libfuzzer]" section, "name = value"
# lines, the OSS-Fuzz format) as -name=value words; nothing when the target has no options file.
# Used by make fuzz and bench/fuzz-rate.sh, so that every campaign starts from the same defaults.
#
# Usage: fuzz/options.sh TARGET
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -eq 1 ] || { echo "usage: fuzz/options.sh TARGET" >&2; exit 2; }
f=$ROOT/fuzz/$1_fuzzer.options
[ -f "$f" ] || exit 0
awk '
  /^[[:space:]]*\[/ { sec = $0; gsub(/[][[:space:]]/, "", sec); next }
  sec == "libfuzzer" && /=/ {
    split($0, kv, "="); k = kv[1]; v = substr($0, index($0, "=") + 1)
    gsub(/^[[:space:]]+|[[:space:]]+$/, "", k); gsub(/^[[:space:]]+|[[:space:]]+$/, "", v)
    if (k != "") printf "%s-%s=%s", (n++ ? " " : ""), k, v
  }
  END { if (n) print "" }' "$f"
