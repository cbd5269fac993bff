/* Guest time helpers: a torn-read-safe copy of the published pvclock system time. */
#include "time.h"

uint64_t pvclock_last_system_time(void)
{
    const struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
    uint32_t v;
    uint64_t st;

    do {
        v = READ_ONCE(t->version);
        smp_rmb();
        st = READ_ONCE(t->system_time);
        smp_rmb();
    } while ((v & 1) || v != READ_ONCE(t->version));
    return st;
}
