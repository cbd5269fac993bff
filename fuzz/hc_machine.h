/* The hypercall target's machine: built domains, snapshot and restore, and the checks around a
 * step. */
#ifndef FUZZ_HC_MACHINE_H
#define FUZZ_HC_MACHINE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/sched.h"

/*
 * Two domains built once from the unit tests' minimal PV image and then
 * snapshotted; see hc_machine.c for what each looks like. Every input starts
 * from the snapshot.
 */
#define HC_NR_DOMS 2
#define HC_NR_FRAMES 640ULL
#define HC_SCRATCH_VA 0x80000ULL /* PFNs 0x80..0x9f: free, mapped RW|USER by the builder */
#define HC_SCRATCH_LEN 0x20000ULL
#define HC_TSC0 1000000ULL /* the machine's TSC at system time 0, when every input starts */

struct hc_dom {
    struct domain *d;
    uint64_t base_mfn; /* MFN of PFN 0: the builder gives a domain one run of frames */
    uint64_t nr_pages;
    uint64_t shinfo_mfn;
    uint64_t store_mfn; /* its xenstore ring */
};
extern struct hc_dom hc_doms[HC_NR_DOMS];

/* Build the domains, take the snapshot, hook the fake machine. */
void hc_machine_init(void);

/*
 * Back to the snapshot. `all` after an abandoned step, whose changes were
 * never compared; otherwise only what the input changed is copied back.
 */
void hc_restore(bool all);
/* The whole machine against the snapshot (slow; every few thousand inputs). */
void hc_full_check(void);

/*
 * A step: the core runs for one guest exit (actor = index into hc_doms) or
 * for the machine itself (actor -1, time passing). hc_end_step checks
 * everything the step could have broken and aborts with a reason if it did.
 *
 * `flags` says what the step may change besides the actor's state and
 * data frames; whatever a step may not change is compared lazily (before
 * the next step that may, and at the end of the input), so most steps
 * cost no comparison of the frame table or of page tables at all.
 */
#define HC_STEP_MM 1u     /* may change the actor's frame-table and M2P entries, page tables, */
                          /* base pointers and GDTs: the memory-management hypercalls */
#define HC_STEP_COLD 2u   /* may change the actor's trap tables and poll ports: set_trap_table, */
                          /* SCHEDOP_poll */
#define HC_STEP_SWITCH 4u /* the machine switches the CPU to the actor's vCPU: the runstate of */
                          /* the vCPU that leaves it may change too (hv_entry_schedule) */
#define HC_STEP_GNTTAB 8u /* may grow the actor's grant table: frames allocated for it */
                          /* (grant_table_op) */
void hc_begin_step(int actor, const char *what, unsigned flags);
/* Which of the HC_STEP_* a hypercall with first argument a0 needs (a multicall: all). */
unsigned hc_hypercall_flags(uint64_t nr, uint64_t a0);
/* After the last step of an input (not abandoned): the checks deferred until then. */
void hc_end_input(void);
/* Returns whether memory state (the frame table, a vCPU's page tables or GDT) changed. */
bool hc_end_step(void);

/*
 * A step that makes the core do more work than an input deserves is
 * abandoned: the core is left with longjmp(hc_budget_jmp, 1) (the restore
 * puts everything back). The target sets the jmp_buf before its steps.
 */
extern jmp_buf hc_budget_jmp;
void hc_budget_reset(void);

/*
 * The target is about to change domain di outside a step, as its guest
 * would (its registers, its memory, maybe its mapped shared_info) or the
 * machine before the first step: call it *before* the change (what other
 * steps did to di is verified first); later steps compare with the new state.
 */
void hc_changed_outside_step(int di);
/* Failure injection before the first step: every free frame reserved for the hypervisor. */
void hc_start_exhausted(void);
/* Before the first step: the core refreshes time records by another policy (enum time_refresh). */
void hc_time_policy(unsigned policy, uint64_t period_ns);

/* The system time now, from the machine's TSC by the ABI's formula (xen-abi.md 2.1). */
uint64_t hc_now_ns(void);
/* Time passes with the vCPU on the CPU running, then the due timers fire (a step). */
void hc_time_passes(uint64_t ticks);
/* The CPU idles until the next timer deadline the core names (nothing if none), then as above. */
void hc_idle(void);

/*
 * What the target asks of the core for itself rather than as a guest exit
 * (its checks, the guest's own memory accesses) goes to uninstrumented
 * copies of hv/common/domain.c and mm.c (fuzz/build.sh renames their
 * symbols fz_oracle_*): the same code, without a comparison callback per
 * branch and without counting as coverage of the core.
 */
bool hc_runnable(const struct vcpu *v);
/* The guest reads or writes its memory through its page tables (copy_{from,to}_guest). */
int hc_guest_read(struct vcpu *v, void *dst, uint64_t va, size_t len);
int hc_guest_write(struct vcpu *v, uint64_t va, const void *src, size_t len);
/* The guest is about to write frame mfn by other means (its shared_info, mapped writable). */
void hc_guest_writes(uint64_t mfn);
/* mm_translate: would the guest's access fault? */
uint64_t hc_translate(struct vcpu *v, uint64_t va, int access, uint64_t *maddr);

/*
 * What the console backend drains a ring into (CONSOLE_RING_OUT_BYTES): from
 * malloc, so that ASan puts a redzone right after it. The target's own
 * files are built without ASan, so a buffer on their stack would have none
 * and the core could write past it unseen.
 */
extern char *hc_ring_buf;
/* console_ring_consume's answer is one it may give (or abort). */
void hc_check_ring_result(const struct domain *d, int n, const char *why);

/*
 * Report writes through the read-only mappings as oracle failures (a
 * SIGSEGV handler, chained to the one it replaces). Called at the first
 * input, after libFuzzer installed its own handlers.
 */
void hc_catch_ro_writes(void);
/* A write to the xenstore daemon's state faulted: the first of this input (true) is let through. */
bool hc_xs_state_fault(uintptr_t addr);

/* FUZZ_TRACE=1: print each step and its result (for reading a crash input). */
extern bool hc_trace_steps;

/*
 * With hc_fingerprint set: FNV-1a of every trace record since the last
 * hc_restore, what the input made the core say (for the determinism check).
 */
extern bool hc_fingerprint;
extern uint64_t hc_trace_hash;
uint64_t hc_hash(uint64_t h, const void *p, size_t n);

#endif
