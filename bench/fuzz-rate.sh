#!/usr/bin/env bash
# Executions per second of each fuzz target: the median of three short runs on a copy of its seed corpus,
# next to an anchor measured in the same run.
#
# Usage: bench/fuzz-rate.sh [--out DIR] [--seconds N] [--defaults] [TARGET...]
#   --out DIR    where fuzz/build.sh builds the targets (default build-fuzz; built if needed)
#   --seconds N  length of each run (default 5)
#   --defaults   also measure each target that has options with libFuzzer's own defaults
#   TARGET       hypercall, elf, scenario (default: all three)
# Prints a table: per target the median exec/s, the three runs, and the median's ratio to the
# anchor's. The anchor is an empty libFuzzer target compiled and linked with the targets' own
# flags (fuzz/build.sh records them in DIR/obj/.flags) and run the same way on the hypercall
# seeds: what libFuzzer itself costs per input on this machine right now, so a figure can be
# read against it when the machine is slower or busier. Each target runs with the flags of its
# fuzz/<target>_fuzzer.options (as make fuzz does).
# Each run starts from the checked-in seeds, so the figures compare across commits;
# a long fuzzing session runs slower as its inputs grow (fuzz/README.md). The runs' corpora
# live in /dev/shm when it is there: a run from the seeds writes thousands of new inputs,
# and creating files on a busy disk file system (ext4 looking for a free inode among many
# recently deleted ones) cost the hypercall target up to an eighth of its time, a figure
# that says more about the disk than about the target (the anchor writes none).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build-fuzz
SECS=5
DEFAULTS=0
targets=()
while [ $# -gt 0 ]; do
  case $1 in
  --out) OUT=$2; shift 2 ;;
  --seconds) SECS=$2; shift 2 ;;
  --defaults) DEFAULTS=1; shift ;;
  -*) echo "fuzz-rate: unknown option $1" >&2; exit 2 ;;
  *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(hypercall elf scenario)

OUT="$OUT" "$ROOT/fuzz/build.sh" >/dev/null
OUT=$(cd "$OUT" && pwd)
tmp=$(mktemp -d "$OUT/rate.XXXXXX")
work=$tmp
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  work=$(mktemp -d /dev/shm/fuzz-rate.XXXXXX)
fi
trap 'rm -rf "$tmp" "$work"' EXIT

# The anchor: an empty target, compiled and linked exactly as the targets are.
read -r -a build_flags <"$OUT/obj/.flags"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
  'int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)' \
  '{' '    (void)data;' '    (void)size;' '    return 0;' '}' >"$tmp/anchor.c"
"${build_flags[@]}" "$tmp/anchor.c" -o "$tmp/anchor_fuzzer"

# rate NAME BINARY CORPUS FLAGS...: three runs, sets $median and $runs.
rate() {
  local name=$1 bin=$2 corpus=$3 run r
  shift 3
  local rates=()
  for run in 1 2 3; do
    rm -rf "$work/corpus" && mkdir "$work/corpus"
    cp -R "$corpus/." "$work/corpus/"
    # A fixed seed per run: the three runs differ, the benchmark does not drift.
    "$bin" "$@" -seed="$run" -max_total_time="$SECS" -print_final_stats=1 \
      -artifact_prefix="$tmp/" "$work/corpus" >"$tmp/log" 2>&1 || {
      echo "fuzz-rate: $name run $run failed (a finding? see fuzz/README.md):" >&2
      grep -E "fuzz oracle|ERROR|SUMMARY" "$tmp/log" | head -n 4 >&2 || true
      exit 1
    }
    r=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/log" | tail -n 1)
    rates+=("${r:-0}")
  done
  median=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p)
  runs="${rates[*]}"
}

rate anchor "$tmp/anchor_fuzzer" "$ROOT/fuzz/corpus/hypercall"
anchor=$median
rows=("$(printf '%-28s %9s  %-24s %s' anchor "$anchor" "($runs)" "1")")

for t in "${targets[@]}"; do
  flags=()
  [ -f "$OUT/${t}_fuzzer.dict" ] && flags+=(-dict="$OUT/${t}_fuzzer.dict")
  # shellcheck disable=SC2207 # options.sh prints whitespace-free flags
  opts=($("$ROOT/fuzz/options.sh" "$t"))
  variants=("${opts[*]}")
  # --defaults: with options, also libFuzzer's own defaults (an empty variant), for comparison.
  [ ${#opts[@]} -gt 0 ] && [ "$DEFAULTS" = 1 ] && variants+=("")
  for v in "${variants[@]}"; do
    # shellcheck disable=SC2206 # v is a list of flags
    vf=($v)
    rate "$t" "$OUT/${t}_fuzzer" "$ROOT/fuzz/corpus/$t" "${flags[@]}" "${vf[@]}"
    label=$t
    [ ${#opts[@]} -gt 0 ] && label="$t ${v:-(libFuzzer defaults)}"
    ratio=$(awk -v a="$median" -v b="$anchor" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')
    rows+=("$(printf '%-28s %9s  %-24s %s' "${label% }" "$median" "($runs)" "$ratio")")
  done
done

printf 'fuzz-rate: median exec/s of 3 runs of %s s from the seeds (ASan+UBSan, as fuzz/build.sh)\n' "$SECS"
printf '%-28s %9s  %-24s %s\n' target exec/s runs "x anchor"
printf '%s\n' "${rows[@]}"
