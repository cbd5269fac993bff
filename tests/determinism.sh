#!/usr/bin/env bash
# Run a scenario twice in two processes; the trace hashes must be equal.
set -euo pipefail
hvsim=$1 scn=$2
h1=$("$hvsim" run "$scn" | grep '^trace hash') || true
h2=$("$hvsim" run "$scn" | grep '^trace hash') || true
if [ -z "$h1" ]; then
  echo "determinism: no trace hash printed for $scn" >&2
  exit 1
fi
if [ "$h1" != "$h2" ]; then
  echo "determinism: $scn differs between runs:" >&2
  echo "  run 1: $h1" >&2
  echo "  run 2: $h2" >&2
  exit 1
fi
echo "determinism: $scn: $h1 (twice)"
