#!/usr/bin/env bash
# The ISO tooling under a fake hypervisor: mkiso.sh, GRUB's quoting, qemu-boot's verdicts.
#
# tests/fakehv/fakehv.c speaks only the serial contract, so this test checks
# scripts/mkiso.sh and tools/qemu-boot (exit codes for success, FAILURE, a hang,
# a panic, a reset, broken scenario expectations) whether or not the real
# hypervisor boots. Needs QEMU, GRUB and xorriso: a missing one is a failure.
set -uo pipefail
build=$(realpath "$1")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "$build/.test-qemu-boot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0

for tool in qemu-system-x86_64 grub-mkrescue xorriso; do
  if ! command -v "$tool" >/dev/null; then
    echo "FAIL $tool not found: run scripts/deps.sh"
    exit 1
  fi
done

gcc -m32 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -O2 -Wall -Wextra -Werror \
  -nostdlib -static -no-pie -Wl,-Ttext-segment=0x100000 -Wl,-z,noseparate-code \
  -Wl,--build-id=none -Wl,-z,noexecstack -o "$tmp/fakehv.elf" "$root/tests/fakehv/fakehv.c" ||
  exit 1

# expect NAME CODE PATTERN -- command...: exit code must be CODE and output must match PATTERN
# (an extended regular expression; with -F instead of --, a fixed string).
expect() {
  local name=$1 code=$2 pattern=$3 how=-E
  [ "$4" = -F ] && how=-F
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$code" ] || ! grep -q "$how" -- "$pattern" <<<"$out"; then
    echo "FAIL $name: exit $rc (want $code, output matching $pattern), output:"
    sed 's/^/    /' <<<"$out" | tail -25
    fails=$((fails + 1))
  else
    echo "ok   $name"
    passes=$((passes + 1))
  fi
}

# Two domains; extra holds everything GRUB's lexer would otherwise split or expand.
cat >"$tmp/q.scn" <<'EOF'
# q.scn: two domains for the fake hypervisor.
seed = 5
[domain]
name = "q"
kernel = "hello.elf"
memory = 16
extra = "a b \"c\" it's \\ $HOME \${x} #e"
expect_console = "Test result"
[domain]
name = "plain"
kernel = "hello.elf"
memory = 16
vcpus = 2
extra = "iters=10"
EOF
sed -e 's/^name = "q"/name = "q2"/' -e 's/^name = "plain"/name = "p2"/' \
  -e 's/^expect_console = .*/expect_console = "not printed by the fake"/' "$tmp/q.scn" >"$tmp/bad.scn"
printf '[domain]\nname = "q"\nkernel = "hello.elf"\nmemory = 16\n' >"$tmp/dup.scn"
printf '[domain]\nname = "h"\nkernel = "hello.elf"\nmemory = 16\n' >"$tmp/h.scn"
cp "$build/guests/hello.elf" "$tmp/"

iso() { # iso NAME MODE SCENARIO...: an ISO of the fake hypervisor in fake=MODE
  local name=$1 mode=$2
  shift 2
  "$root/scripts/mkiso.sh" -o "$tmp/$name.iso" --build "$build" --kernel "$tmp/fakehv.elf" \
    --hv-args "console=com1 exit=qemu fake=$mode" "$@"
}
boot=("$root/tools/qemu-boot" --build "$build")

if iso ok none "$tmp/q.scn"; then
  echo "ok   mkiso"
  passes=$((passes + 1))
else
  echo "FAIL mkiso"
  fails=$((fails + 1))
fi
iso failure failure "$tmp/q.scn"
iso hang hang "$tmp/q.scn"
iso panic panic "$tmp/q.scn"
iso reset reset "$tmp/q.scn"

expect mkiso-quiet 0 "^$" -- "$root/scripts/mkiso.sh" -o "$tmp/quiet.iso" --build "$build" \
  --kernel "$tmp/fakehv.elf" "$tmp/q.scn"
expect mkiso-bad-scenario 2 "dup.scn:2: duplicate domain name 'q' \(also in .*q.scn:4\)" -- \
  "$root/scripts/mkiso.sh" -o "$tmp/dup.iso" --build "$build" --kernel "$tmp/fakehv.elf" \
  "$tmp/q.scn" "$tmp/dup.scn"
expect mkiso-no-kernel 2 "no-such.elf: no such file" -- \
  "$root/scripts/mkiso.sh" -o "$tmp/x.iso" --build "$build" --kernel "$tmp/no-such.elf" "$tmp/q.scn"
expect mkiso-usage 2 "usage: scripts/mkiso.sh" -- "$root/scripts/mkiso.sh" "$tmp/q.scn"

# GRUB drops its quotes and re-quotes an argument holding a space; the kernel's parser
# (key="value", "key=value", backslash escapes) must get the scenario's extra back intact.
expect keep-log 0 "qemu-boot: 2/2 SUCCESS" -- \
  "${boot[@]}" --quiet --keep-log "$tmp/ok.log" "$tmp/ok.iso"
expect quoting 0 'hv: q extra=[a b "c" it'\''s \ $HOME ${x} #e]' -F cat "$tmp/ok.log"
expect grub-passes 0 'hv: module [name=q memory=16M "extra=a b \"c\" it\'\''s \\ $HOME ${x} #e"]' -F \
  cat "$tmp/ok.log"
expect vcpus-and-plain-extra 0 "hv: module [name=plain memory=16M vcpus=2 extra=iters=10]" -F \
  cat "$tmp/ok.log"
expect echo 0 "^plain\| Test result: SUCCESS$" -- "${boot[@]}" "$tmp/ok.iso"
expect summary 0 "qemu-boot: 2/2 SUCCESS, worst SUCCESS" -- "${boot[@]}" --quiet "$tmp/ok.iso"
expect realtime 0 "qemu-boot: 2/2 SUCCESS, worst SUCCESS" -- \
  "${boot[@]}" --quiet --realtime "$tmp/ok.iso"
expect failure 5 "qemu-boot: 1/2 SUCCESS, worst FAILURE.*\(exit 5\)" -- \
  "${boot[@]}" --quiet "$tmp/failure.iso"
expect hang 6 "machine hung: no 'hvsim: done' line after 6 s" -- \
  "${boot[@]}" --quiet --timeout 6 "$tmp/hang.iso"
expect hang-shows-last-lines 6 "  \| plain\| Test result: SUCCESS" -- \
  "${boot[@]}" --quiet --timeout 6 "$tmp/hang.iso"
expect panic 6 "hypervisor panic before 'hvsim: done': fake panic \(QEMU exit status 5\)" -- \
  "${boot[@]}" --quiet "$tmp/panic.iso"
expect reset 6 "reset or stopped before 'hvsim: done'" -- "${boot[@]}" --quiet "$tmp/reset.iso"

# Scenario files: an ISO is made on the fly and the expectations are checked too.
expect scenario 0 "q +SUCCESS +SUCCESS +poweroff +- +ok" -- \
  "${boot[@]}" --quiet --kernel "$tmp/fakehv.elf" "$tmp/q.scn"
expect scenario-expectation 5 "console lacks \"not printed by the fake\"" -- \
  "${boot[@]}" --quiet --kernel "$tmp/fakehv.elf" "$tmp/bad.scn"
expect scenario-two-files 0 "qemu-boot: 3/3 SUCCESS" -- \
  "${boot[@]}" --quiet --kernel "$tmp/fakehv.elf" "$tmp/q.scn" "$tmp/h.scn"

expect usage 2 "usage: tools/qemu-boot" -- "${boot[@]}"
expect missing-file 2 "nothing.iso: no such file" -- "${boot[@]}" "$tmp/nothing.iso"
expect iso-and-scenario 2 "not both" -- "${boot[@]}" "$tmp/ok.iso" "$tmp/q.scn"
expect bad-timeout 2 "--timeout wants whole seconds" -- "${boot[@]}" --timeout 0 "$tmp/ok.iso"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
