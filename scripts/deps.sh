#!/usr/bin/env bash
# Install the Debian packages hvsim needs, or say exactly how to.
#
# As root: apt-get install. With passwordless sudo: the same through sudo.
# Otherwise: print the exact command and fail, so nothing half-works.
set -euo pipefail

PACKAGES=(
  gcc make cmake ninja-build pkg-config      # build
  libunicorn-dev libcapstone-dev             # the simulated CPU and disassembler
  libcmocka-dev                              # unit tests
  clang-format                               # format check
  qemu-system-x86 grub-pc-bin grub-common    # the bare-metal build: boot it under QEMU
  xorriso mtools                             # (GRUB ISO), the differential tests need them
  clang libclang-rt-14-dev                   # libFuzzer targets (fuzz/), with ASan and UBSan
  lcov                                       # make coverage
)

missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "hvsim: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo)
else
  echo "hvsim: cannot install packages (not root, no passwordless sudo). Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
