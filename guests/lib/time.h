/* Guest time helpers: rdtsc and the pvclock system time from shared_info. */
#ifndef GUEST_TIME_H
#define GUEST_TIME_H

#include "lib.h"

/* PV guests run with CR4.TSD set: every rdtsc traps to the hypervisor, which emulates it. */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/*
 * vcpu_info[0].time.system_time as last published by the hypervisor (ns
 * since boot, not extrapolated with the TSC), read with the version
 * protocol: odd = update in progress, changed = torn read, retry.
 */
uint64_t pvclock_last_system_time(void);

#endif
