/* Hypervisor time: TSC -> ns scale (Xen's set_time_scale) and the pvclock record. */
#include "hv/time.h"
#include "hv/arch.h"
#include "hv/lib.h"

static struct {
    uint64_t boot_tsc;
    struct time_scale scale;
} tm;

struct time_scale time_scale_for(uint64_t tick_hz)
{
    /*
     * Normalise the rate into (1e9, 2e9] with a power-of-two shift, then
     * mul = 1e9 * 2^32 / rate, which lands in [2^31, 2^32).
     */
    int shift = 0;
    uint64_t tps = tick_hz ? tick_hz : 1;
    while (tps > 2000000000ULL) {
        tps >>= 1;
        shift--;
    }
    while (tps <= 1000000000ULL) {
        tps <<= 1;
        shift++;
    }
    struct time_scale s;
    s.mul = (uint32_t)((1000000000ULL << 32) / tps);
    s.shift = (int8_t)shift;
    return s;
}

uint64_t time_scale_delta(uint64_t delta, struct time_scale s)
{
    if (s.shift < 0)
        delta >>= -s.shift;
    else
        delta <<= s.shift;
    return (uint64_t)(((unsigned __int128)delta * s.mul) >> 32);
}

void time_init(void)
{
    tm.boot_tsc = arch_tsc_now();
    tm.scale = time_scale_for(arch_tsc_khz() * 1000ULL);
}

uint64_t time_now_ns(void)
{
    return time_scale_delta(arch_tsc_now() - tm.boot_tsc, tm.scale);
}

void time_update_vcpu_info(struct vcpu *v)
{
    struct vcpu_time_info *t = &vcpu_info_of(v)->time;
    uint64_t tsc = arch_tsc_now();
    /* Version odd while the record is inconsistent; readers retry. */
    uint32_t ver = t->version;
    t->version = (ver + 1) | 1;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->tsc_timestamp = tsc;
    t->system_time = time_scale_delta(tsc - tm.boot_tsc, tm.scale);
    t->tsc_to_system_mul = tm.scale.mul;
    t->tsc_shift = tm.scale.shift;
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->version = ((ver + 1) | 1) + 1;
}
