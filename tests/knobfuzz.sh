#!/usr/bin/env bash
# hvsim fuzz end to end: libFuzzer varies the knobs of scenarios/harness/knobs.scn until the
# TSC wraps during the guest's reads (FAILURE), writes that run out as a plain scenario, and
# `hvsim run` reproduces the failure from it.
set -uo pipefail
hvsim=$1 scn=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$("$hvsim" fuzz --seconds 120 --out "$tmp/fail" "$scn" -- -seed=1 -runs=3000 2>&1)
rc=$?
found=$(ls "$tmp"/fail/knobs-fail-*.scn 2>/dev/null | head -1)
if [ "$rc" -eq 0 ] || [ -z "$found" ]; then
  echo "FAIL: hvsim fuzz exited $rc and wrote '${found}'; output tail:"
  tail -20 <<<"$out"
  exit 1
fi
grep -E "an expectation does not hold|knob [0-9]+ \(|reproduce:" <<<"$out"
if sed "s/#.*//" "$found" | grep -q "fuzz("; then
  echo "FAIL: $found still has fuzz(...) in it"
  exit 1
fi
"$hvsim" run "$found" >"$tmp/run.txt" 2>&1
rc=$?
cat "$tmp/run.txt" | tail -4
if [ "$rc" -ne 1 ] || ! grep -q "expected SUCCESS, got FAILURE" "$tmp/run.txt"; then
  echo "FAIL: hvsim run $found exited $rc, want 1 with the guest's FAILURE"
  exit 1
fi
echo "ok: the fuzzer's failing scenario reproduces with hvsim run"
