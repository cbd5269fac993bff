#!/usr/bin/env bash
# Command-line behaviour of `hvsim run`: exit codes and one-line reasons on bad input.
set -uo pipefail
hvsim=$1 guests=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0

# expect NAME CODE PATTERN -- command...: exit code must be CODE and output must match PATTERN.
expect() {
  local name=$1 code=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$code" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL $name: exit $rc (want $code), output:"
    sed 's/^/    /' <<<"$out" | head -20
    fails=$((fails + 1))
  else
    echo "ok   $name"
    passes=$((passes + 1))
  fi
}

head -c 3000 "$guests/hello.elf" >"$tmp/truncated.elf"
objcopy --remove-section .note.Xen "$guests/hello.elf" "$tmp/nonotes.elf"
printf 'seed = 1\n[domain]\nname = "x"\nkernel = "hello.elf"\nmemroy = 16\n' >"$tmp/bad.scn"
printf '[domain]\nname = "h"\nkernel = "%s"\nmemory = 16\nexpect = "FAILURE"\n' \
  "$guests/hello.elf" >"$tmp/wrong.scn"
printf '[domain]\nname = "h"\nkernel = "missing.elf"\nmemory = 16\n' >"$tmp/missing.scn"
printf '[domain]\nname = "h"\nkernel = "%s"\nmemory = 1\n' "$guests/hello.elf" >"$tmp/small.scn"

expect kernel-success 0 "Test result: SUCCESS" -- "$hvsim" run --kernel "$guests/hello.elf"
expect truncated-elf 2 "truncated.elf: .*" -- "$hvsim" run --kernel "$tmp/truncated.elf"
expect one-line-reason 0 "^1$" -- bash -c "'$hvsim' run --kernel '$tmp/truncated.elf' 2>&1 | wc -l"
expect no-xen-notes 2 "Not a Xen-ELF image" -- "$hvsim" run --kernel "$tmp/nonotes.elf"
expect bad-scenario 2 "bad.scn:5:1: unknown key 'memroy' \(did you mean 'memory'\?\)" -- \
  "$hvsim" run "$tmp/bad.scn"
expect missing-kernel 2 "missing.scn:1: kernel: .*cannot open" -- "$hvsim" run "$tmp/missing.scn"
expect too-small 2 "small.scn:4:10: 'memory' must be between 4 and 4096 MiB" -- \
  "$hvsim" run "$tmp/small.scn"
expect wrong-expectation 1 "FAIL +expected FAILURE, got SUCCESS" -- "$hvsim" run "$tmp/wrong.scn"
expect usage 2 "usage: hvsim run" -- "$hvsim"
expect unknown-option 2 "unknown or incomplete option '--frobnicate'" -- \
  "$hvsim" run --frobnicate x.scn

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
