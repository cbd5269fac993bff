#!/usr/bin/env bash
# One scenario in the simulator and under QEMU on the bare-metal build: per domain, the
# result line and the console (less its `[time] ` lines) must be the same, and a domain that
# prints `[time] warning` lines on one side must print them on the other.
#
# usage: tests/differential.sh --build DIR [--hvsim FILE] [--kernel FILE] SCENARIO.scn
# A scenario with sweeps is compared run by run (each narrowed to one run by `hvsim pin`).
# A missing QEMU is a failure, never a skip: the comparison is the point of the test.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

build='' hvsim='' kernel=''
while [ $# -gt 1 ]; do
  case $1 in
  --build) build=$2; shift 2 ;;
  --hvsim) hvsim=$2; shift 2 ;;
  --kernel) kernel=$2; shift 2 ;;
  *) break ;;
  esac
done
if [ $# -ne 1 ] || [ -z "$build" ]; then
  echo "usage: tests/differential.sh --build DIR [--hvsim FILE] [--kernel FILE] SCENARIO.scn" >&2
  exit 2
fi
scn=$1
hvsim=${hvsim:-$build/hvsim}
kernel=${kernel:-$build/hvsim-hv.elf}
command -v qemu-system-x86_64 >/dev/null || {
  echo "differential: qemu-system-x86_64 not found: run scripts/deps.sh" >&2
  exit 1
}
tmp=$(mktemp -d "$build/.differential.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A sweep is one boot per run: each run, narrowed by `hvsim pin`, is compared on its own.
runs=$("$hvsim" pin --count "$scn") || exit 1
if [ "$runs" -gt 1 ]; then
  bad=0
  for k in $(seq 1 "$runs"); do
    pinned="$tmp/$(basename "$scn" .scn)-run$k.scn"
    "$hvsim" pin --run "$k" "$scn" >"$pinned" || exit 1
    echo "differential: run $k of $runs ($(grep -m4 '^sweep ' "$pinned" | tr '\n' ' '))"
    "$0" --build "$build" --hvsim "$hvsim" --kernel "$kernel" "$pinned" || bad=$((bad + 1))
  done
  echo "differential: $((runs - bad)) of $runs runs the same in the simulator and under QEMU"
  [ "$bad" -eq 0 ]
  exit
fi

HVSIM_GUEST_DIR="$build/guests" "$hvsim" run --console --results "$scn" >"$tmp/sim.out" 2>&1
if [ $? -eq 2 ]; then
  echo "differential: the simulator could not run $scn:" >&2
  cat "$tmp/sim.out" >&2
  exit 1
fi
# qemu-boot's verdict is not the test (expectations are scenario/* tests); a hang or a
# panic shows as missing lines below, with qemu-boot's own message.
"$root/tools/qemu-boot" --quiet --build "$build" --kernel "$kernel" --keep-log "$tmp/qemu.log" \
  "$scn" >"$tmp/qemu.out" 2>&1
if [ $? -eq 2 ]; then
  echo "differential: qemu-boot could not boot $scn:" >&2
  cat "$tmp/qemu.out" >&2
  exit 1
fi
[ -f "$tmp/qemu.log" ] || : >"$tmp/qemu.log"

# Every domain either side knows of, in the order the simulator reports them.
names=$(cat <(sed -n 's/^hvsim: result \([^ ]*\) .*/\1/p' "$tmp/sim.out") \
  <(sed -n 's/^hvsim: result \([^ ]*\) .*/\1/p' "$tmp/qemu.log") |
  grep -E '^[A-Za-z0-9_.-]+$' | awk '!seen[$0]++')
if [ -z "$names" ]; then
  echo "differential: no 'hvsim: result' line on either side" >&2
  cat "$tmp/sim.out" "$tmp/qemu.out" >&2
  exit 1
fi

# What is compared for one domain: its console lines except `[time] ` ones, then its result.
domain_lines() {
  awk -v name="$2" '
    BEGIN { p = name "| "; r = "hvsim: result " name " " }
    $0 == name "|" { print p; next }  # an empty line, its trailing blank lost
    substr($0, 1, length(p)) == p { if (substr($0, length(p) + 1, 7) != "[time] ") print; next }
    substr($0, 1, length(r)) == r { print }
  ' "$1"
}

# `[time] ` lines carry clock readings, which differ between the two (real TSC against virtual
# TSC); whether a domain printed a clock warning at all must not.
warnings() {
  grep -c "^$2| \[time\] warning" "$1" || true
}

fails=0
while IFS= read -r name; do
  domain_lines "$tmp/sim.out" "$name" >"$tmp/sim.$name"
  domain_lines "$tmp/qemu.log" "$name" >"$tmp/qemu.$name"
  ws=$(warnings "$tmp/sim.out" "$name") wq=$(warnings "$tmp/qemu.log" "$name")
  if [ $((ws > 0)) -ne $((wq > 0)) ]; then
    echo "differential: $name printed $ws clock warning(s) in the simulator and $wq under QEMU"
    fails=$((fails + 1))
  elif [ "$ws" -gt 0 ]; then
    echo "differential: $name: clock warnings on both sides ($ws in the simulator, $wq under QEMU)"
  fi
  if diff -u --label "simulator: $name" --label "qemu: $name" "$tmp/sim.$name" "$tmp/qemu.$name" \
    >"$tmp/diff.$name"; then
    echo "differential: $name: same result and $(grep -vc '^hvsim: result ' "$tmp/sim.$name") console lines"
  else
    echo "differential: $name differs between the simulator and QEMU:"
    cat "$tmp/diff.$name"
    fails=$((fails + 1))
  fi
done <<<"$names"

if [ "$fails" -ne 0 ]; then
  echo "qemu-boot said:"
  sed 's/^/  /' "$tmp/qemu.out" | tail -25
  exit 1
fi
