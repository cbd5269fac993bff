#!/usr/bin/env bash
# Executions per second of each fuzz target: the median of three short runs on a copy of its seed corpus.
#
# Usage: bench/fuzz-rate.sh [--out DIR] [--seconds N] [TARGET...]
#   --out DIR    where fuzz/build.sh builds the targets (default build-fuzz; built if needed)
#   --seconds N  length of each run (default 5)
#   TARGET       hypercall, elf, scenario (default: all three)
# Prints one line per target: "fuzz-rate TARGET MEDIAN exec/s (RUN1 RUN2 RUN3)".
# Each run starts from the checked-in seeds, so the figures compare across commits;
# a long fuzzing session runs slower as its inputs grow (fuzz/README.md).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build-fuzz
SECS=5
targets=()
while [ $# -gt 0 ]; do
  case $1 in
  --out) OUT=$2; shift 2 ;;
  --seconds) SECS=$2; shift 2 ;;
  -*) echo "fuzz-rate: unknown option $1" >&2; exit 2 ;;
  *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(hypercall elf scenario)

OUT="$OUT" "$ROOT/fuzz/build.sh" >/dev/null
OUT=$(cd "$OUT" && pwd)
tmp=$(mktemp -d "$OUT/rate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for t in "${targets[@]}"; do
  dict=()
  [ -f "$OUT/${t}_fuzzer.dict" ] && dict=(-dict="$OUT/${t}_fuzzer.dict")
  rates=()
  for run in 1 2 3; do
    rm -rf "$tmp/corpus" && mkdir "$tmp/corpus"
    cp -R "$ROOT/fuzz/corpus/$t/." "$tmp/corpus/"
    # A fixed seed per run: the three runs differ, the benchmark does not drift.
    "$OUT/${t}_fuzzer" "${dict[@]}" -seed="$run" -max_total_time="$SECS" -print_final_stats=1 \
      -artifact_prefix="$tmp/" "$tmp/corpus" >"$tmp/log" 2>&1 || {
      echo "fuzz-rate: $t run $run failed (a finding? see fuzz/README.md):" >&2
      grep -E "fuzz oracle|ERROR|SUMMARY" "$tmp/log" | head -n 4 >&2 || true
      exit 1
    }
    rates+=("$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/log" | tail -n 1)")
  done
  median=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p)
  printf 'fuzz-rate %-10s %8s exec/s  (%s)\n' "$t" "$median" "${rates[*]}"
done
