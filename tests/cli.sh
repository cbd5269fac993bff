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
# The bare-metal side: grub.cfg generation, the kernel's summary lines, serial-log checks.
printf '[domain]\nname = "h"\nkernel = "%s"\nmemory = 16\n' "$guests/hello.elf" >"$tmp/dup.scn"
printf '[domain]\nname = "r"\nkernel = "%s"\nmemory = 16\nramdisk = "x"\n' \
  "$guests/hello.elf" >"$tmp/ramdisk.scn"
printf 'hello| Hello from hvsim\r\nhvsim: result h FAILURE poweroff\r\n' >"$tmp/serial.log"
expect grub-cfg 0 "^    module2 /boot/hello.elf name=h memory=16M$" -- "$hvsim" grub-cfg "$tmp/wrong.scn"
expect grub-cfg-files 0 "^$guests/hello.elf$" -- "$hvsim" grub-cfg --files "$tmp/wrong.scn"
expect grub-cfg-dup 2 "^$tmp/dup.scn:2: duplicate domain name 'h' \(also in $tmp/wrong.scn:2\)$" -- \
  "$hvsim" grub-cfg "$tmp/wrong.scn" "$tmp/dup.scn"
expect grub-cfg-ramdisk 2 "ramdisk.scn:5: ramdisk 'x' not found" -- \
  "$hvsim" grub-cfg "$tmp/ramdisk.scn"
expect grub-cfg-bad-scenario 2 "bad.scn:5:1: unknown key 'memroy'" -- "$hvsim" grub-cfg "$tmp/bad.scn"
expect grub-cfg-no-output-on-error 0 "^no file$" -- \
  bash -c "'$hvsim' grub-cfg -o '$tmp/out.cfg' '$tmp/ramdisk.scn' 2>/dev/null;
           test -e '$tmp/out.cfg' || echo no file"
expect results 1 "hvsim: result h SUCCESS poweroff
hvsim: done 1/1 SUCCESS$" -- "$hvsim" run --results "$tmp/wrong.scn"
expect results-kernel 0 "hvsim: result hello SUCCESS poweroff" -- \
  "$hvsim" run --results --kernel "$guests/hello.elf"
expect check-log 0 " h +FAILURE +FAILURE +poweroff +- +ok" -- \
  "$hvsim" check-log "$tmp/serial.log" "$tmp/wrong.scn"
expect check-log-missing 1 "got CRASH: no 'hvsim: result' line in the log" -- \
  "$hvsim" check-log "$tmp/serial.log" "$tmp/ramdisk.scn"
# Scenario language v1 at run time: loud refusals, timeline errors, knobs, sweeps.
dom='[domain]\nname = "h"\nkernel = "%s"\nmemory = 16\n'
printf "$dom"'modules = ["a.bin"]\n' "$guests/hello.elf" >"$tmp/modules.scn"
printf "$dom"'disk = ["h.img,raw,xvda,rw"]\n' "$guests/hello.elf" >"$tmp/disk.scn"
printf "$dom"'disk = ["%s,raw,xvda,rw", "%s,qcow2,xvdb"]\n' "$guests/hello.elf" "$guests/hello.elf" \
  "$guests/hello.elf" >"$tmp/qcow.scn"
printf "$dom"'disk = ["%s,raw,xvda", "%s,raw,xvda"]\n' "$guests/hello.elf" "$guests/hello.elf" \
  "$guests/hello.elf" >"$tmp/twice.scn"
printf "$dom"'disk = ["%s,raw,floppy"]\n' "$guests/hello.elf" "$guests/hello.elf" >"$tmp/vdev.scn"
printf "$dom"'[timeline]\nat 0ns send h 40\n' "$guests/hello.elf" >"$tmp/unbound.scn"
printf "$dom"'[timeline]\nat 0ns write h 0x7fffffff "x"\n' "$guests/hello.elf" >"$tmp/far.scn"
printf 'sweep n = [1, 2]\nseed = $n\n'"$dom"'vcpus = 9\n' "$guests/hello.elf" >"$tmp/sweepbad.scn"
printf 'sweep s = [1, 0]\nslice = $s\n'"$dom" "$guests/hello.elf" >"$tmp/sweepzero.scn"
printf 'slice = fuzz(10..20)\n'"$dom"'[expect]\ncount hypercall console_io >= 100\n' \
  "$guests/hello.elf" >"$tmp/knob.scn"
expect modules-missing 2 "modules.scn:5: module 1: .*a.bin" -- "$hvsim" run "$tmp/modules.scn"
printf "$dom"'modules = ["%s"]\nramdisk = "%s"\n' "$guests/hello.elf" "$guests/hello.elf" \
  "$guests/hello.elf" >"$tmp/modrd.scn"
expect modules-and-ramdisk 2 "domain 'h': a ramdisk and modules together" -- \
  "$hvsim" run "$tmp/modrd.scn"
expect disk-missing 2 "disk.scn:5: domain 'h': disk 1: .*h.img" -- "$hvsim" run "$tmp/disk.scn"
expect disk-qcow2 2 "qcow.scn:5: domain 'h': disk 2: only raw images are supported" -- \
  "$hvsim" run "$tmp/qcow.scn"
expect disk-vdev-twice 2 "twice.scn:5: domain 'h': disk 2: the same device as an earlier disk" -- \
  "$hvsim" run "$tmp/twice.scn"
expect disk-bad-vdev 2 "vdev.scn:5: domain 'h': disk 1: bad vdev" -- \
  "$hvsim" run "$tmp/vdev.scn"
expect timeline-unbound-port 1 "timeline +no errors +0/1 ran .*line 6: port 40 of domain 'h' is not bound" -- \
  "$hvsim" run "$tmp/unbound.scn"
expect timeline-outside 1 "line 6: address 0x7fffffff\+1 is outside the 16384 KiB of domain 'h'" -- \
  "$hvsim" run "$tmp/far.scn"
expect sweep-bad-value 2 "sweepbad.scn:7:9: 'vcpus' must be between 1 and 8" -- "$hvsim" run "$tmp/sweepbad.scn"
expect sweep-checked-first 2 "^/.*sweepzero.scn:2:9: 'slice' must be at least 1 \(sweep 's' = 0\)$" -- \
  "$hvsim" run "$tmp/sweepzero.scn"
expect trace-expect-fails 1 "expect:7 +>= 100 +[0-9]+ .*FAIL" -- "$hvsim" run "$tmp/knob.scn"
expect knob-default 1 "knob 1 \(slice, .*knob.scn:1:9\) = 10" -- "$hvsim" run "$tmp/knob.scn"
expect knob-set 1 "knob 1 \(slice, .*\) = 15" -- "$hvsim" run --knob 1=15 "$tmp/knob.scn"
expect knob-out-of-range 2 "knob.scn:1:9: knob 1 \(slice\) value 21 is outside its range" -- \
  "$hvsim" run --knob 1=21 "$tmp/knob.scn"
expect knob-too-many 2 "--knob 2: the scenario has 1 fuzz knob" -- "$hvsim" run --knob 2=1 "$tmp/knob.scn"
# hvsim pin: a sweep narrowed to one run is one bare-metal boot.
printf 'sweep n = [1, 2, 3]\nseed = $n\n'"$dom" "$guests/hello.elf" >"$tmp/sweep3.scn"
expect pin-count 0 "^3$" -- "$hvsim" pin --count "$tmp/sweep3.scn"
expect pin-run 0 "^sweep n = \[2\]$" -- "$hvsim" pin --run 2 "$tmp/sweep3.scn"
expect pin-run-range 2 "sweep3.scn: --run 4: the scenario has 3 run\(s\)" -- \
  "$hvsim" pin --run 4 "$tmp/sweep3.scn"
expect pin-usage 2 "usage: hvsim pin" -- "$hvsim" pin "$tmp/sweep3.scn"
expect grub-cfg-sweep 2 "sweep3.scn:1: sweeps need the simulator .*hvsim pin --run K" -- \
  "$hvsim" grub-cfg "$tmp/sweep3.scn"
"$hvsim" pin --run 3 "$tmp/sweep3.scn" >"$tmp/pinned.scn"
expect grub-cfg-pinned 0 "^    module2 /boot/hello.elf name=h memory=16M$" -- \
  "$hvsim" grub-cfg "$tmp/pinned.scn"
expect grub-cfg-timeline 2 "unbound.scn:6: \[timeline\] needs the simulator" -- \
  "$hvsim" grub-cfg "$tmp/unbound.scn"
expect usage 2 "usage: hvsim run" -- "$hvsim"
expect unknown-option 2 "unknown or incomplete option '--frobnicate'" -- \
  "$hvsim" run --frobnicate x.scn

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
