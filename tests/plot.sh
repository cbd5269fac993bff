#!/usr/bin/env bash
# hvsim run --plot: a well-formed SVG of the nsec-lastnsec run with its warnings marked, the
# same bytes from two runs (and as the README's picture), a run the plot does not change,
# sweeps, and file errors.
# Usage: plot.sh HVSIM GUEST_DIR SOURCE_DIR
set -uo pipefail
hvsim=$(realpath "$1") guests=$(realpath "$2") src=$(realpath "$3")
export HVSIM_GUEST_DIR=$guests
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
scn=$src/scenarios/nsec-lastnsec.scn

ok() {
  echo "ok   $1"
  passes=$((passes + 1))
}
fail() {
  echo "FAIL $1"
  fails=$((fails + 1))
}
# check NAME COMMAND...: the command must succeed.
check() {
  local name=$1
  shift
  if "$@"; then ok "$name"; else fail "$name"; fi
}

well_formed() {
  if command -v python3 >/dev/null; then
    python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1"
  else
    xmllint --noout "$1"
  fi
}

"$hvsim" run --plot "$tmp/a.svg" "$scn" >"$tmp/a.out" 2>&1
check run-exit-0 test $? -eq 0
check run-says-where grep -qF "plot $scn: $tmp/a.svg" "$tmp/a.out"
check svg-well-formed well_formed "$tmp/a.svg"
check svg-small test "$(stat -c %s "$tmp/a.svg")" -lt 200000
# The warning strip has a tick per pixel column with a warning, the legend counts them, and the
# caption quotes the first one (with its '<' escaped).
check warning-ticks grep -qE '<path stroke="#d62728" d="M[0-9]+\.5 [0-9]+v10' "$tmp/a.svg"
check warning-count grep -qE 'console lines with "warning:": [1-9][0-9]*</text>' "$tmp/a.svg"
check warning-caption grep -qE 'first warning at 4\.3[0-9]+ s: \[time\] warning: nsec 0x[0-9a-f]{16} &lt; lastnsec 0x[0-9a-f]{16}</text>' "$tmp/a.svg"
check nsec-series grep -qE 'nsec in GNU Mach warning: [1-9][0-9]*</text>' "$tmp/a.svg"
check deadlines grep -qE 'timer deadline requested: [1-9][0-9]*' "$tmp/a.svg"
check timer-events grep -qE 'VIRQ_TIMER events sent: [1-9][0-9]*</text>' "$tmp/a.svg"
check shutdown grep -qF 'shutdown poweroff at 4.' "$tmp/a.svg"
check detail-panel grep -qF 'the 100 ms of virtual time around its first warning' "$tmp/a.svg"
check no-tmp-left test ! -e "$tmp/a.svg.tmp"

"$hvsim" run --plot "$tmp/b.svg" "$scn" >"$tmp/b.out" 2>&1
check same-bytes cmp -s "$tmp/a.svg" "$tmp/b.svg"
"$hvsim" run "$scn" >"$tmp/plain.out" 2>&1
check run-unchanged cmp -s <(grep '^trace hash' "$tmp/a.out") <(grep '^trace hash' "$tmp/plain.out")

# Errors: exit 2 with "hvsim: FILE: reason" before the run, and nothing written.
"$hvsim" run --plot "$tmp/nodir/x.svg" "$scn" >"$tmp/e.out" 2>&1
rc=$?
check nodir-exit-2 test $rc -eq 2
check nodir-message grep -qxF "hvsim: $tmp/nodir/x.svg: No such file or directory" "$tmp/e.out"
check nodir-no-run bash -c "! grep -q 'trace hash' '$tmp/e.out'"
mkdir "$tmp/dir.svg"
"$hvsim" run --plot "$tmp/dir.svg" "$scn" >"$tmp/d.out" 2>&1
rc=$?
check dir-exit-2 test $rc -eq 2
check dir-message grep -qxF "hvsim: $tmp/dir.svg: Is a directory" "$tmp/d.out"
check dir-nothing-left test ! -e "$tmp/dir.svg.tmp"
"$hvsim" run --plot "$tmp/two.svg" "$scn" "$src/scenarios/hello.scn" >"$tmp/t.out" 2>&1
rc=$?
check two-files-exit-2 test $rc -eq 2
check two-files-message grep -qF "hvsim: --plot takes one scenario file" "$tmp/t.out"

# Sweeps: one file per run, FILE-K.svg; --run K writes FILE itself.
sweep=$src/scenarios/harness/sweep.scn
runs=$("$hvsim" run "$sweep" 2>/dev/null | grep -c '^trace hash')
"$hvsim" run --plot "$tmp/s.svg" "$sweep" >/dev/null 2>&1
check sweep-files test "$(ls "$tmp"/s-*.svg 2>/dev/null | wc -l)" -eq "$runs" -a "$runs" -gt 1
check sweep-no-plain-file test ! -e "$tmp/s.svg"
check sweep-well-formed well_formed "$tmp/s-$runs.svg"
"$hvsim" run --run 2 --plot "$tmp/r.svg" "$sweep" >/dev/null 2>&1
check run-k-one-file cmp -s "$tmp/r.svg" "$tmp/s-2.svg"

# The README's picture is this run's plot, byte for byte.
(cd "$src" && "$hvsim" run --plot "$tmp/readme.svg" scenarios/nsec-lastnsec.scn >/dev/null 2>&1)
if cmp -s "$tmp/readme.svg" "$src/docs/img/nsec-lastnsec.svg"; then
  ok readme-picture
else
  fail "readme-picture: docs/img/nsec-lastnsec.svg is not what hvsim draws now; in the source
     tree: build/hvsim run --plot docs/img/nsec-lastnsec.svg scenarios/nsec-lastnsec.scn"
fi

# --kernel: the domain is named after the kernel.
"$hvsim" run --plot "$tmp/k.svg" --kernel "$guests/hello.elf" >/dev/null 2>&1
check kernel-exit-0 test $? -eq 0
check kernel-plot grep -qF 'domain hello (d1)' "$tmp/k.svg"
check help-mentions-plot bash -c "'$hvsim' --help | grep -q -- '--plot FILE'"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
