#!/usr/bin/env bash
# Build a BIOS GRUB rescue ISO that boots hvsim-hv.elf with the domains of the given scenarios.
#
# The ISO holds /boot/hvsim-hv.elf, every guest kernel the scenarios name, and a
# /boot/grub/grub.cfg written by `hvsim grub-cfg` (which also rejects what the
# bare-metal build cannot do). Quiet unless something fails; exit 2 on bad input.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
  cat >&2 <<EOF
usage: scripts/mkiso.sh -o OUT.iso [--build DIR] [--kernel FILE] [--guest-dir DIR]
                        [--hvsim FILE] [--hv-args "..."] [--skip-sim-only] SCENARIO.scn...
  --build DIR      where the defaults below come from (default: $root/build)
  --kernel FILE    the hypervisor (default: DIR/hvsim-hv.elf)
  --guest-dir DIR  where guest kernels named in scenarios are found (default: DIR/guests)
  --hvsim FILE     the hvsim command that writes grub.cfg (default: DIR/hvsim)
  --hv-args TEXT   hypervisor command line (default: console=com1 exit=qemu)
  --skip-sim-only  leave out, with a note, the scenarios that need the simulator (timeline,
                   sweeps, fuzz knobs) instead of failing on them
Scenarios with the same clock settings share a combined GRUB entry (the first is the default);
every scenario also has its own entry.
EOF
  exit 2
}

die() {
  echo "mkiso: $*" >&2
  exit 2
}

out='' build="$root/build" kernel='' guest_dir='' hvsim='' hv_args=() skip=()
scenarios=()
while [ $# -gt 0 ]; do
  case $1 in
  -o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
  --build) [ $# -ge 2 ] || usage; build=$2; shift 2 ;;
  --kernel) [ $# -ge 2 ] || usage; kernel=$2; shift 2 ;;
  --guest-dir) [ $# -ge 2 ] || usage; guest_dir=$2; shift 2 ;;
  --hvsim) [ $# -ge 2 ] || usage; hvsim=$2; shift 2 ;;
  --hv-args) [ $# -ge 2 ] || usage; hv_args=(--hv-args "$2"); shift 2 ;;
  --skip-sim-only) skip=(--skip-sim-only); shift ;;
  -h | --help) usage ;;
  --) shift; scenarios+=("$@"); break ;;
  -*) echo "mkiso: unknown or incomplete option '$1'" >&2; usage ;;
  *) scenarios+=("$1"); shift ;;
  esac
done
if [ -z "$out" ] || [ ${#scenarios[@]} -eq 0 ]; then usage; fi
kernel=${kernel:-$build/hvsim-hv.elf}
guest_dir=${guest_dir:-$build/guests}
hvsim=${hvsim:-$build/hvsim}

for tool in grub-mkrescue xorriso; do
  command -v "$tool" >/dev/null ||
    die "$tool not found: run scripts/deps.sh (or apt-get install grub-pc-bin grub-common xorriso mtools)"
done
# BIOS only: the i386-pc platform files come from grub-pc-bin.
grub_dir=/usr/lib/grub/i386-pc
[ -f "$grub_dir/cdboot.img" ] || die "$grub_dir/cdboot.img not found: apt-get install grub-pc-bin"
[ -f "$kernel" ] || die "$kernel: no such file (build the hypervisor first: cmake --build ${build})"
[ -x "$hvsim" ] || die "$hvsim: no such program (build it first: cmake --build ${build})"
for s in "${scenarios[@]}"; do
  [ -f "$s" ] || die "$s: no such file"
done

out_dir=$(dirname -- "$out")
[ -d "$out_dir" ] || die "$out_dir: no such directory"
# The staging tree lives next to the output (in the build tree), never in the source tree.
tmp=$(mktemp -d "$out_dir/.mkiso.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/iso/boot/grub"

export HVSIM_GUEST_DIR=$guest_dir
"$hvsim" grub-cfg "${hv_args[@]}" "${skip[@]}" -o "$tmp/iso/boot/grub/grub.cfg" -- "${scenarios[@]}" ||
  exit 2
"$hvsim" grub-cfg "${skip[@]}" --files -- "${scenarios[@]}" >"$tmp/files" || exit 2
cp -- "$kernel" "$tmp/iso/boot/hvsim-hv.elf"
while IFS= read -r f; do
  cp -- "$f" "$tmp/iso/boot/"
done <"$tmp/files"

# --compress=no: the ISO is small anyway and compression would only cost time.
if ! grub-mkrescue -d "$grub_dir" --compress=no -o "$tmp/out.iso" "$tmp/iso" >"$tmp/log" 2>&1; then
  echo "mkiso: grub-mkrescue failed:" >&2
  cat "$tmp/log" >&2
  exit 1
fi
# Renamed into place, so a failed build never leaves half an ISO behind.
mv -f -- "$tmp/out.iso" "$out"
