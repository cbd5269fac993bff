#!/usr/bin/env bash
# hvsim replay catches a deliberately nondeterministic run: the test hook --test-perturb
# makes the virtual TSC read one cycle late from a given instruction on. The replay must
# stop at the first emulated RDTSC after it, print that event against the recorded one with
# the events before it and the vCPU's code, and exit 1. Also: an unchanged replay exits 0,
# and a damaged record is an input error (exit 2, file:line).
#
# usage: tests/replay.sh HVSIM BUILD_DIR   (run from the source tree)
set -uo pipefail
hvsim=${1:?usage: tests/replay.sh HVSIM BUILD_DIR}
build=${2:?usage: tests/replay.sh HVSIM BUILD_DIR}
tmp=$(mktemp -d "$build/.replay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
expect() { # description, then a command that must succeed
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else
    echo "FAIL: $what"
    fails=$((fails + 1))
  fi
}

"$hvsim" run --record "$tmp/rdtsc.rec" scenarios/rdtsc.scn >"$tmp/record.out" 2>&1
expect "record exits 0" test $? -eq 0
expect "record says how many events" grep -q "^recorded [0-9]* events to $tmp/rdtsc.rec" "$tmp/record.out"

"$hvsim" replay "$tmp/rdtsc.rec" >"$tmp/same.out" 2>&1
expect "unchanged replay exits 0" test $? -eq 0
expect "unchanged replay says identical" grep -q "identical" "$tmp/same.out"

"$hvsim" replay --test-perturb 5000 "$tmp/rdtsc.rec" >"$tmp/diff.out" 2>&1
rc=$?
expect "perturbed replay exits 1" test "$rc" -eq 1
expect "names the first differing event" grep -qE "^replay: first divergence at event #[0-9]+" "$tmp/diff.out"
expect "shows the events before it" grep -qE "^    #[0-9]+ \[" "$tmp/diff.out"
expect "recorded side is the RDTSC emulation" grep -qE "^  recorded: .* emulate rdtsc " "$tmp/diff.out"
expect "replayed side is the RDTSC emulation" grep -qE "^  replayed: .* emulate rdtsc " "$tmp/diff.out"
expect "the values differ by the perturbation" \
  bash -c "[ \"\$(grep '^  recorded:' '$tmp/diff.out' | sed 's/.*values=//')\" != \"\$(grep '^  replayed:' '$tmp/diff.out' | sed 's/.*values=//')\" ]"
expect "disassembly at the stopped vCPU" grep -qE "^  => [0-9a-f]+: " "$tmp/diff.out"
expect "verdict DIVERGED" grep -q "DIVERGED" "$tmp/diff.out"

head -c 300 "$tmp/rdtsc.rec" >"$tmp/cut.rec"
"$hvsim" replay "$tmp/cut.rec" >"$tmp/cut.out" 2>&1
rc=$?
expect "a cut record is an input error (2)" test "$rc" -eq 2
expect "with file:line" grep -qE "^$tmp/cut.rec:[0-9]+: " "$tmp/cut.out"

if [ "$fails" -ne 0 ]; then
  echo "--- perturbed replay output ---"
  cat "$tmp/diff.out"
  exit 1
fi
