#!/usr/bin/env bash
# make bench, bare-metal part: ISO build time and QEMU boot-to-results time, each next to
# an anchor measured in the same run (a multiboot2 kernel that only prints, same GRUB ISO).
#
# usage: bench/qemu-boot.sh [BUILD_DIR]   (default build-bench; needs hvsim, hvsim-hv.elf)
# QEMU runs with tools/qemu-boot's virtual clock (-icount shift=3,sleep=off): idle time is
# skipped, so a scenario that waits (tick.scn's 10 s of 10 ms ticks) does not turn the boot
# figure into a measure of its waiting.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(realpath "${1:-$root/build-bench}")
ISO_REPS=3 BOOT_REPS=5

for tool in qemu-system-x86_64 grub-mkrescue xorriso gcc; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found: run scripts/deps.sh" >&2; exit 2; }
done
[ -f "$build/hvsim-hv.elf" ] || { echo "bench: $build/hvsim-hv.elf not built" >&2; exit 2; }

tmp=$(mktemp -d "$build/.bench-qemu-boot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

now_us() { echo $((${EPOCHREALTIME/./})); }

# The median of the numbers on stdin.
median() {
  sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Microseconds from QEMU's start to the first serial line that starts with $2.
boot_us() {
  local iso=$1 want=$2 start line t='' fd pid
  start=$(now_us)
  exec {fd}< <(exec qemu-system-x86_64 -accel tcg -icount shift=3,sleep=off -m 512 -cdrom "$iso" -serial stdio \
    -display none -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    </dev/null 2>/dev/null)
  pid=$!
  while IFS= read -r -t 60 -u "$fd" line; do
    if [[ ${line%$'\r'} == "$want"* ]]; then
      t=$(($(now_us) - start))
      break
    fi
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  exec {fd}<&-
  [ -n "$t" ] || { echo "bench: no '$want' line when booting $iso" >&2; return 1; }
  echo "$t"
}

# The anchor kernel and its ISO, built the way mkiso.sh builds the real one.
gcc -m32 -nostdlib -static -no-pie -Wl,-Ttext-segment=0x100000 -Wl,-z,noseparate-code \
  -Wl,--build-id=none -o "$tmp/anchor.elf" "$root/bench/anchor/anchor.S"
mkdir -p "$tmp/anchor/boot/grub"
cp "$tmp/anchor.elf" "$tmp/anchor/boot/anchor.elf"
printf 'set timeout=0\nset default=0\nmenuentry anchor {\n    multiboot2 /boot/anchor.elf\n    boot\n}\n' \
  >"$tmp/anchor/boot/grub/grub.cfg"
anchor_iso() {
  grub-mkrescue -d /usr/lib/grub/i386-pc --compress=no -o "$tmp/anchor.iso" "$tmp/anchor" \
    >/dev/null 2>&1
}

scenarios=("$root"/scenarios/*.scn)
iso="$build/hvsim.iso"
iso_times=() anchor_iso_times=()
for _ in $(seq "$ISO_REPS"); do
  t0=$(now_us)
  "$root/scripts/mkiso.sh" -o "$iso" --build "$build" --skip-sim-only "${scenarios[@]}" 2>/dev/null
  t1=$(now_us)
  anchor_iso
  t2=$(now_us)
  iso_times+=($((t1 - t0)))
  anchor_iso_times+=($((t2 - t1)))
done
# Domains in the ISO's default entry (the first): the scenarios with the default clock, booted
# at once (make iso's layout; sweeps are left out).
ndomains=$(HVSIM_GUEST_DIR="$build/guests" "$build/hvsim" grub-cfg --skip-sim-only \
  "${scenarios[@]}" 2>/dev/null |
  awk '/^menuentry/ { n++ } n == 1 && /^ *module2 / && !/bootmod=|ramdisk=/ { c++ } END { print c }')

# Interleaved, so that a burst of load on this shared machine hits both sides alike.
boot_times=() anchor_boot_times=()
for _ in $(seq "$BOOT_REPS"); do
  boot_times+=("$(boot_us "$iso" "hvsim: done ")")
  anchor_boot_times+=("$(boot_us "$tmp/anchor.iso" "anchor")")
done

m_iso=$(printf '%s\n' "${iso_times[@]}" | median)
m_aiso=$(printf '%s\n' "${anchor_iso_times[@]}" | median)
m_boot=$(printf '%s\n' "${boot_times[@]}" | median)
m_aboot=$(printf '%s\n' "${anchor_boot_times[@]}" | median)
echo "bare metal under QEMU (TCG): medians of $ISO_REPS ISO builds and $BOOT_REPS boots, anchors in the same run"
awk -v a="$m_iso" -v b="$m_aiso" -v n="${#scenarios[@]}" 'BEGIN {
  printf "%-34s %7.0f ms         %-20s %5.0f ms   ratio %.1f\n",
    "ISO build, " n " scenarios (mkiso)", a / 1000, "anchor ISO (GRUB)", b / 1000, a / b }'
awk -v a="$m_boot" -v b="$m_aboot" -v n="$ndomains" 'BEGIN {
  printf "%-34s %7.0f ms         %-20s %5.0f ms   ratio %.1f\n",
    "boot to all " n " results", a / 1000, "anchor kernel boot", b / 1000, a / b }'
