/* Hypervisor time: TSC scaling as Xen does it, system time, vcpu_time_info. */
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

/* Start the clock: TSC value that is system time 0. */
void time_init(void);
/* Nanoseconds since boot, from the TSC. */
uint64_t time_now_ns(void);
/* Write v's vcpu_time_info with the version protocol (odd while writing). */
void time_update_vcpu_info(struct vcpu *v);

#endif
