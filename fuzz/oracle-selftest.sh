#!/usr/bin/env bash
# The hypercall target's oracles can still fail: plant each fault (FUZZ_PLANT) and expect its report.
#
# Usage: fuzz/oracle-selftest.sh [--out DIR] [--no-build]
#   --out DIR   where fuzz/build.sh builds the targets (default build-fuzz)
#   --no-build  use DIR/hypercall_fuzzer as it is
# For every fault of fuzz/hc_plant.c: run one seed of fuzz/corpus/hypercall with
# FUZZ_PLANT=fault, which makes the fault (as if the core had) in the first step it fits, and
# check that the run fails with the expected oracle message. Each seed must also pass without
# a fault. Exit 77 (ctest: skipped) when clang is not installed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build-fuzz
BUILD=1
while [ $# -gt 0 ]; do
  case $1 in
  --out) OUT=$2; shift 2 ;;
  --no-build) BUILD=0; shift ;;
  *) echo "usage: fuzz/oracle-selftest.sh [--out DIR] [--no-build]" >&2; exit 2 ;;
  esac
done
if [ "$BUILD" = 1 ]; then
  if ! command -v "${CC:-clang}" >/dev/null 2>&1; then
    echo "oracle-selftest: ${CC:-clang} not installed: skipped"
    exit 77
  fi
  OUT="$OUT" "$ROOT/fuzz/build.sh" >/dev/null
fi
bin=$OUT/hypercall_fuzzer
seeds=$ROOT/fuzz/corpus/hypercall

# fault | seed | environment | the oracle's message (an extended regex)
plain=hc-17-xen_version-0    # d1: one step that is not memory management
mm=hc-14-update_va_mapping   # d1: memory-management steps that succeed
failing=hc-01-mmu_update-xen-slot # d1: a memory-management call that fails
switch=switch-periodic       # context switches and time passing, VIRQ_TIMER bound in d2
upcall=sched-block-singleshot-callback # an upcall delivered to d1
pending=sched-poll-pending   # d1: the console's event, then a poll
cold=hc-00-set_trap_table    # d1: a step that may change its vCPU's trap table
gnt=gnt-setup-1              # d1: grant_table_op grows its table to one frame
served=xs-watch-other-domain # d1's xenstore request fires d2's watch: d2's ring served
cases="
foreign-frame|$plain||step 1 \(xen_version by d1\) wrote frame .* not the actor's
foreign-frame-mm|$mm||update_va_mapping by d1 wrote frame .*, owned by 0x2
page-table|$plain||step 1 \(xen_version by d1\) wrote frame .* a page table
untracked-write|$plain|FUZZ_FULL_CHECK=1|differs from the snapshot after restore
frame-table|$plain||step 1 \(xen_version by d1\) changed the frame-table entry of frame .*, which it may not change
frame-table-foreign|$mm||update_va_mapping by d1 changed frame .* of owner 0x2
owner|$mm||frame .* changed owner 0xffff -> 0x1
m2p|$mm||changed the M2P entry of frame .* \(owner 0x2\)
free-frames|$plain||free frames .*, expected
type-count|$mm||mm_check_invariants: frame .* type 1 count 2, expected 1
type-count|$mm|FUZZ_INV_FULL=1|mm_check_invariants: frame .* type 1 count 2, expected 1
ref-count|$mm||has ref_count 2, but 1 page-table entries name it
ref-count|$mm|FUZZ_INV_FULL=1|has ref_count 2, but 1 page-table entries name it
map-foreign|$mm||mm_check_invariants: table .* slot 500 maps frame .* of another owner
map-foreign|$mm|FUZZ_INV_FULL=1|mm_check_invariants: table .* slot 500 maps frame .* of another owner
panic|$plain||hypervisor panic: planted
other-state|$plain||step 1 \(xen_version by d1\) changed the state of d2
other-shinfo|$plain||step 1 \(xen_version by d1\) changed the shared_info of d2
trap-table|$plain||changed a trap table or the poll ports of d1
poll-ports|$plain||changed a trap table or the poll ports of d1
shinfo-port|$plain||changed the pending or mask bits of ports beyond the ones modelled of d1
shinfo-port|$cold||step 1 \(set_trap_table by d1\) changed the pending or mask bits of ports beyond
shinfo-unused|$plain|FUZZ_FULL_CHECK=1|frame .* differs from the snapshot after restore
offline-vcpu|$plain|FUZZ_FULL_CHECK=1|core state differs from the snapshot after restore
atomic|$failing||mmu_update failed \(-22\) but changed the frame table
desched|$plain||stopped being runnable .* without arch_vcpu_deschedule
ring0|$plain||would run with cs .* \(not ring 3\)
errno|$plain||returned -4096, neither >= 0 nor a Xen errno
gdt|$plain||the base pointers or GDT of a vCPU of d1 changed
nondeterministic|$plain|FUZZ_FULL_CHECK=1|ran differently the second time
time-odd|$switch||context switch: d2v0's vcpu_time_info left with the odd version
time-wrong|$switch||context switch: d2v0's vcpu_time_info says system_time 1 at TSC .* but it is 0
time-unversioned|$plain||d1v0's vcpu_time_info changed but its version did not
offline-running|$switch||d2v1's runstate is running but it is not on the CPU
timer-not-fired|$switch||time: d1v0's singleshot timer \(due at 1\) is still armed
pending-free|$plain||port 40 of d1 became pending but is not bound
closed-pending|$pending||port 1 of d1 was closed but is still pending
upcall-no-selector|$plain||d1v0's upcall was raised with no selector bit set
masked-event|$plain||an event on port 1 of d1 raised an upcall, but the port is masked
blocked-pending|$plain||d1v0 is blocked with upcall_pending 1 and upcall_mask 0
poll-pending|$plain||d1v0 polls port 1, which is pending
runstate-sum|$plain||d1v0's runstate times do not add up
upcall-unmasked|$upcall||event upcall: an upcall to d1v0 left upcall_mask 0
past-frame|$plain||step 1 \(xen_version by d1\) accessed 0x3 bytes past the end of frame
xs-overflow|$served||serving d2's store ring, produced more responses than the ring had room for
gnttab-held|$plain||d1 counts 1 grant holds, but nothing here takes one
gnttab-frame|$gnt||grant_table_op: frame .* changed owner 0xffff -> 0x1
gnttab-free|$gnt||grant_table_op: free frames .*, expected
"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
n=0
for s in $plain $mm $failing $switch $upcall $pending $cold $gnt $served; do
  if ! FUZZ_FULL_CHECK=1 "$bin" "$seeds/$s" >"$tmp/log" 2>&1; then
    echo "oracle-selftest: seed $s fails without a planted fault:" >&2
    grep -E "fuzz oracle|ERROR|panic" "$tmp/log" | head -n 3 >&2 || true
    status=1
  fi
done
while IFS='|' read -r fault seed env want; do
  [ -n "$fault" ] || continue
  n=$((n + 1))
  # shellcheck disable=SC2086 # env is zero or one VAR=value word
  if env FUZZ_PLANT="$fault" $env "$bin" "$seeds/$seed" >"$tmp/log" 2>&1; then
    echo "oracle-selftest: $fault${env:+ ($env)}: no oracle failed" >&2
    status=1
  elif ! grep -Eq "$want" "$tmp/log"; then
    echo "oracle-selftest: $fault${env:+ ($env)}: expected /$want/, got:" >&2
    grep -E "fuzz oracle|fuzz arch|ERROR" "$tmp/log" | head -n 3 >&2 || true
    status=1
  fi
done <<<"$cases"
[ "$status" = 0 ] && echo "oracle-selftest: $n planted faults, each reported by its oracle"
exit $status
