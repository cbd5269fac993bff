/* pvclock: Xen system time from vcpu_time_info and the TSC, read as a seqlock; the wallclock. */
#ifndef GUEST_PVCLOCK_H
#define GUEST_PVCLOCK_H

#include "lib.h"

/*
 * One consistent copy of a vcpu_time_info record (xen-abi.md 2.1): the
 * hypervisor's system time (ns since boot) at TSC value tsc_timestamp,
 * and the scale that turns TSC ticks since then into ns.
 */
struct pvclock_snap {
    uint32_t version;       /* even: the record was not being written */
    uint64_t tsc_timestamp; /* TSC at the last refresh */
    uint64_t system_time;   /* ns since boot at tsc_timestamp */
    uint32_t mul;           /* tsc_to_system_mul: 32.32 fraction in [2^31, 2^32) */
    int8_t shift;           /* tsc_shift: negative above 2 GHz */
    uint64_t tsc;           /* the TSC read together with the record (pvclock_read only) */
};

/*
 * ns for delta TSC ticks: ((delta << shift) * mul) >> 32 with the product
 * kept to 96 bits (x86-64: `mul` then `shrd $32`, as Xen and Mini-OS do;
 * elsewhere the same value from two 32x32 halves). Exact for any delta:
 * the result only wraps once it passes 2^64 ns (584 years).
 */
uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul, int8_t shift);

/*
 * Copy vcpu_info[vcpu].time with the version protocol: read version, the
 * fields, version again; retry while it is odd (an update in progress) or
 * changed (a torn read). pvclock_read also reads the TSC inside the loop,
 * so that the TSC value and the record belong together. retries (may be
 * NULL) counts the retries.
 */
void pvclock_snapshot(unsigned int vcpu, struct pvclock_snap *s, unsigned long *retries);
void pvclock_read(unsigned int vcpu, struct pvclock_snap *s, unsigned long *retries);

/* System time from a snapshot and a TSC value (the TSC may have wrapped since tsc_timestamp). */
static inline uint64_t pvclock_time_at(const struct pvclock_snap *s, uint64_t tsc)
{
    return s->system_time + pvclock_scale_delta(tsc - s->tsc_timestamp, s->mul, s->shift);
}

/* Current system time in ns (vCPU 0's record): the correct guest clock. */
uint64_t pvclock_now(void);

/* TSC frequency the scale stands for: ((10^9 << 32) / mul) >> shift (xen-abi.md 2.1). */
uint64_t pvclock_tsc_hz(uint32_t mul, int8_t shift);

/*
 * The wallclock (shared_info wc_*) with its wc_version protocol: seconds
 * and ns since 1970 at system time 0. Wall time now = that + pvclock_now().
 */
void pvclock_wallclock(uint64_t *sec, uint32_t *nsec);

#endif
