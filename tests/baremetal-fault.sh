#!/usr/bin/env bash
# The real hypervisor's fault report under QEMU: debug=fault makes it execute ud2 after
# building the domains; serial must show the panic, the registers and a backtrace, QEMU
# must leave through isa-debug-exit with code 2 (status 5), and qemu-boot must say CRASH (6).
#
# usage: tests/baremetal-fault.sh BUILD_DIR
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:?usage: tests/baremetal-fault.sh BUILD_DIR}
tmp=$(mktemp -d "$build/.fault.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$root/scripts/mkiso.sh" -o "$tmp/fault.iso" --build "$build" \
  --hv-args "console=com1 exit=qemu debug=fault" "$root/scenarios/hello.scn" || exit 1
"$root/tools/qemu-boot" --quiet --timeout 60 --keep-log "$tmp/serial.log" "$tmp/fault.iso" \
  >"$tmp/out" 2>&1
rc=$?

fails=0
check() {
  if grep -qE "$1" "$tmp/serial.log"; then
    echo "ok: serial shows $2"
  else
    echo "FAIL: serial lacks $2 (/$1/)"
    fails=$((fails + 1))
  fi
}
check '^hv: PANIC: exception in the hypervisor$' "the panic line"
check '^hv: vector 6 error 0x0 ' "the vector (#UD)"
check '^hv: rip 0xffff83[0-9a-f]+ cs 0xe008 ' "RIP in the hypervisor image and its CS"
check '^hv: rax 0x[0-9a-f]+ rbx 0x[0-9a-f]+ rcx 0x[0-9a-f]+ rdx 0x[0-9a-f]+$' "the registers"
check '^hv:   \[ 0\] 0xffff83[0-9a-f]+$' "a backtrace entry"
if grep -q '^hvsim: result' "$tmp/serial.log"; then
  echo "FAIL: results printed after a hypervisor fault"
  fails=$((fails + 1))
fi
if [ "$rc" -eq 6 ] && grep -q 'hypervisor panic' "$tmp/out"; then
  echo "ok: qemu-boot exits 6 and says: $(grep -m1 'hypervisor panic' "$tmp/out")"
else
  echo "FAIL: qemu-boot exit $rc (want 6 with 'hypervisor panic'):"
  cat "$tmp/out"
  fails=$((fails + 1))
fi
if [ "$fails" -ne 0 ]; then
  echo "--- serial ---"
  cat "$tmp/serial.log"
  exit 1
fi
