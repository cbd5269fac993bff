#!/bin/sh
# Build and run the simulator self-test against an existing build directory.
#   sim/selftest/run.sh [BUILD_DIR]     (default: build-sim at the top of the tree)
# BUILD_DIR must be configured (cmake -S . -B BUILD_DIR); the libraries are (re)built here.
# Everything it builds goes to BUILD_DIR/sim-selftest/.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$top/build-sim}" && pwd)
out="$build/sim-selftest"
mkdir -p "$out"

cmake --build "$build" --target hvsim_machine >/dev/null

for s in "$here"/guests/*.S; do
    name=$(basename "$s" .S)
    gcc -nostdlib -static -no-pie -fno-pic -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
        -Wl,--no-warn-rwx-segments -Wl,-T,"$here/guests/selftest.lds" \
        -I"$here/guests" -o "$out/$name.elf" "$s"
done

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if grep -q 'HVSIM_SANITIZE:BOOL=OFF' "$build/CMakeCache.txt" 2>/dev/null; then
    san=""
fi
# shellcheck disable=SC2086
gcc -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter $san \
    -I"$top/sim" -I"$top/hv/include" -I"$here" \
    -o "$out/selftest" "$here/selftest.c" "$here/facts.c" \
    "$build/libhvsim_machine.a" "$build/libhvcore.a" \
    $(pkg-config --libs unicorn capstone)

cd "$out"
exec ./selftest "$out"
