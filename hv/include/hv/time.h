/* Hypervisor time: TSC scaling as Xen does it, system time, vcpu_time_info, wallclock. */
#ifndef HV_TIME_H
#define HV_TIME_H

#include "hv/sched.h"

struct time_scale {
    uint32_t mul; /* 32.32 fixed-point fraction */
    int8_t shift; /* negative above 2 GHz */
};

/* Xen's set_time_scale: the scale that turns ticks at tick_hz into ns. */
struct time_scale time_scale_for(uint64_t tick_hz);
/* (delta << shift) * mul >> 32, with the full 96-bit product. */
uint64_t time_scale_delta(uint64_t delta, struct time_scale s);

/*
 * When the core rewrites a vCPU's vcpu_time_info (tsc_timestamp and
 * system_time). A guest computes now = system_time + scale(tsc -
 * tsc_timestamp), so how stale the record may get is what exposes guest
 * clock bugs such as GNU Mach's 64-bit product (xen-abi.md 7).
 */
enum time_refresh {
    TIME_REFRESH_XEN = 0,  /* at context switch, and for the running vCPU every 1 s epoch */
    TIME_REFRESH_PERIODIC, /* every vCPU every refresh_period_ns (and at domain build) */
    TIME_REFRESH_ON_TIMER, /* at each VIRQ_TIMER sent to the vCPU (and at domain build) */
    TIME_REFRESH_FROZEN,   /* only at domain build */
};
#define TIME_EPOCH_NS 1000000000ULL /* Xen's EPOCH: local time calibration period */

/* Clock settings the machine gives the core (the arch fills it from its own configuration). */
struct time_config {
    enum time_refresh refresh;
    uint64_t refresh_period_ns; /* TIME_REFRESH_PERIODIC; 0 there means TIME_EPOCH_NS */
    uint64_t wallclock_sec;     /* wall time at system time 0 (64-bit seconds) */
    uint32_t wallclock_nsec;    /* < 1e9 */
};

/*
 * Set the clock settings; call before hv_init (which starts the clock and
 * keeps them). Without a call: refresh xen, wallclock 0. Out-of-range
 * values are clamped (nsec to 999999999, a periodic period of 0 to 1 s).
 */
void time_configure(const struct time_config *cfg);
const struct time_config *time_get_config(void);

/* Start the clock: the hypervisor TSC value that is system time 0 (called by hv_init). */
void time_init(void);
/* Nanoseconds since boot, from the hypervisor TSC (wrap-safe: deltas are mod 2^64). */
uint64_t time_now_ns(void);
/* The TSC v reads right now (its RDTSC). */
uint64_t time_vcpu_tsc(const struct vcpu *v);
/* Write v's vcpu_time_info with the version protocol (odd while writing). */
void time_update_vcpu_info(struct vcpu *v);
/* Write the domain's wallclock (wc_*) with the wc_version protocol. */
void time_update_wallclock(struct domain *d);

/* Refresh hooks the scheduler and the timers call; each applies the configured policy. */
void time_refresh_on_switch(struct vcpu *v); /* v was just switched to */
void time_refresh_on_timer(struct vcpu *v);  /* VIRQ_TIMER is about to be sent to v */
void time_refresh_tick(void);                /* time moved on (sched_run_timers) */

#endif
