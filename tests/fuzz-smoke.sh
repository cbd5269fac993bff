#!/usr/bin/env bash
# Build the fuzz targets if needed, replay their regression inputs, fuzz each for a while on a copy of its corpus.
#
# Usage: tests/fuzz-smoke.sh [--out DIR] [--seconds N] [--no-build] TARGET...
#   TARGET      hypercall, elf or scenario (fuzz/fuzz_TARGET.c); "all" for every one
#   --out DIR   where fuzz/build.sh puts the binaries (default build-fuzz); findings go
#               to DIR/findings/TARGET/
#   --seconds N how long to fuzz each target (default 15; 0: regressions only)
#   --no-build  use the binaries in DIR as they are
# FUZZ_ARGS (environment): more libFuzzer flags for the fuzzing runs, e.g. -max_len=64.
#
# Fails (exit 1) if a regression input or the fuzzing run finds anything: a crash, a
# sanitizer report, a leak, an oracle ("fuzz oracle: ...") or a timeout. Prints each
# target's executions per second. Exit 77 (ctest: skipped) when clang is not installed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build-fuzz
SECONDS_EACH=15
BUILD=1
targets=()
while [ $# -gt 0 ]; do
  case $1 in
  --out) OUT=$2; shift 2 ;;
  --seconds) SECONDS_EACH=$2; shift 2 ;;
  --no-build) BUILD=0; shift ;;
  all) targets+=(hypercall elf scenario); shift ;;
  -*) echo "fuzz-smoke: unknown option $1" >&2; exit 2 ;;
  *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "usage: tests/fuzz-smoke.sh [--out DIR] [--seconds N] [--no-build] TARGET..." >&2
  exit 2
fi

if [ "$BUILD" = 1 ]; then
  if ! command -v "${CC:-clang}" >/dev/null 2>&1; then
    echo "fuzz-smoke: ${CC:-clang} not installed (scripts/deps.sh installs it): skipped"
    exit 77
  fi
  OUT="$OUT" "$ROOT/fuzz/build.sh" >/dev/null
fi
OUT=$(cd "$OUT" && pwd)

status=0
summary=()
for t in "${targets[@]}"; do
  bin=$OUT/${t}_fuzzer
  if [ ! -x "$bin" ]; then
    echo "fuzz-smoke: $bin missing (run fuzz/build.sh)" >&2
    exit 2
  fi
  dict=()
  [ -f "$OUT/${t}_fuzzer.dict" ] && dict=(-dict="$OUT/${t}_fuzzer.dict")
  findings=$OUT/findings/$t
  mkdir -p "$findings"

  # 1. Every regression input once: each was a bug, and must stay fixed.
  regs=()
  if [ -d "$ROOT/fuzz/regressions/$t" ]; then
    while IFS= read -r -d '' f; do regs+=("$f"); done < <(find "$ROOT/fuzz/regressions/$t" \
      -type f ! -name '*.md' ! -name '.*' -print0 | sort -z)
  fi
  if [ ${#regs[@]} -gt 0 ]; then
    if ! FUZZ_FULL_CHECK=1 "$bin" "${regs[@]}" >"$findings/regressions.log" 2>&1; then
      echo "fuzz-smoke: $t: a regression input fails (a bug not fixed yet, or back):" >&2
      grep -E "fuzz oracle|ERROR|panic|runtime error|Running:" "$findings/regressions.log" |
        tail -n 8 >&2 || true
      echo "  full log: $findings/regressions.log" >&2
      status=1
      continue
    fi
  fi

  # 2. Fuzz a copy of the corpus (the checked-in one never grows).
  if [ "$SECONDS_EACH" -gt 0 ]; then
    work=$(mktemp -d "$OUT/findings/$t.corpus.XXXXXX")
    if [ -d "$ROOT/fuzz/corpus/$t" ]; then
      cp -R "$ROOT/fuzz/corpus/$t/." "$work/"
    fi
    log=$findings/fuzz.log
    set +e
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
    "$bin" "${dict[@]}" -max_total_time="$SECONDS_EACH" -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$findings/" ${FUZZ_ARGS:-} "$work" >"$log" 2>&1
    rc=$?
    set -e
    rm -rf "$work"
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ $rc -ne 0 ]; then
      artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
      echo "fuzz-smoke: $t: FOUND something after ${runs:-?} runs:" >&2
      grep -E "fuzz oracle|ERROR: |panic|runtime error|SUMMARY" "$log" | head -n 6 >&2 || true
      echo "  input: ${artifact:-see log}; log: $log" >&2
      echo "  reproduce: $bin ${artifact:-INPUT}   (FUZZ_TRACE=1 FUZZ_VERBOSE=1 for detail)" >&2
      echo "  once fixed, keep it: cp INPUT $ROOT/fuzz/regressions/$t/" >&2
      status=1
    fi
    summary+=("$(printf '%-10s %10s exec/s  %10s runs in %ss  %s' "$t" "${rate:-?}" "${runs:-?}" \
      "$SECONDS_EACH" "$([ $rc -eq 0 ] && echo ok || echo FOUND)")")
  else
    summary+=("$(printf '%-10s regressions only (%d)  ok' "$t" "${#regs[@]}")")
  fi
done

for line in "${summary[@]}"; do
  echo "fuzz: $line"
done
exit $status
