/* Hypervisor time: TSC -> ns scale (Xen's set_time_scale), the pvclock record, wallclock. */
#include "hv/time.h"
#include "hv/arch.h"
#include "hv/lib.h"

/*
 * System time is ns since time_init: scale(hypervisor TSC - boot TSC). The
 * subtraction is modulo 2^64, so a TSC that wraps during the run (a
 * scenario may start it just below 2^64) still gives a steady clock.
 */
static struct {
    struct time_config cfg;
    uint64_t boot_tsc;
    struct time_scale scale;
    uint64_t next_refresh; /* system time of the next periodic refresh or xen epoch */
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

static uint64_t refresh_period(void)
{
    if (tm.cfg.refresh == TIME_REFRESH_PERIODIC)
        return tm.cfg.refresh_period_ns;
    return TIME_EPOCH_NS;
}

void time_configure(const struct time_config *cfg)
{
    tm.cfg = *cfg;
    if (tm.cfg.refresh > TIME_REFRESH_FROZEN)
        tm.cfg.refresh = TIME_REFRESH_XEN;
    if (!tm.cfg.refresh_period_ns)
        tm.cfg.refresh_period_ns = TIME_EPOCH_NS;
    if (tm.cfg.wallclock_nsec > 999999999u)
        tm.cfg.wallclock_nsec = 999999999u;
}

const struct time_config *time_get_config(void)
{
    return &tm.cfg;
}

void time_init(void)
{
    if (!tm.cfg.refresh_period_ns)
        tm.cfg.refresh_period_ns = TIME_EPOCH_NS; /* never configured: the defaults */
    tm.boot_tsc = arch_tsc_now();
    tm.scale = time_scale_for(arch_tsc_khz() * 1000ULL);
    tm.next_refresh = refresh_period();
}

uint64_t time_now_ns(void)
{
    return time_scale_delta(arch_tsc_now() - tm.boot_tsc, tm.scale);
}

uint64_t time_vcpu_tsc(const struct vcpu *v)
{
    return arch_vcpu_tsc(v, arch_tsc_now());
}

/*
 * Xen's version_update_begin/end: odd while the fields are inconsistent,
 * even and larger afterwards, so a seqlock reader retries a torn read.
 */
static uint32_t version_begin(volatile uint32_t *ver)
{
    uint32_t v = (*ver + 1) | 1;
    *ver = v;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    return v;
}

static void version_end(volatile uint32_t *ver, uint32_t odd)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
    *ver = odd + 1;
}

void time_update_vcpu_info(struct vcpu *v)
{
    struct vcpu_time_info *t = &vcpu_info_of(v)->time;
    /* One instant: the guest TSC and system time below describe the same moment. */
    uint64_t tsc = arch_tsc_now();
    uint32_t odd = version_begin(&t->version);
    t->tsc_timestamp = arch_vcpu_tsc(v, tsc);
    t->system_time = time_scale_delta(tsc - tm.boot_tsc, tm.scale);
    t->tsc_to_system_mul = tm.scale.mul;
    t->tsc_shift = tm.scale.shift;
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    version_end(&t->version, odd);
}

/*
 * wc_* offsets in shared_info for each guest width (xen-abi.md 2.3): a
 * 32-bit guest has wc_sec_hi in arch_shared_info instead.
 */
struct wc_layout {
    unsigned int version, sec, nsec, sec_hi;
};
static const struct wc_layout wc_native = {3072, 3076, 3080, 3084};
static const struct wc_layout wc_compat = {2304, 2308, 2312, 2340};

void time_update_wallclock(struct domain *d)
{
    const struct wc_layout *l = d->is_compat ? &wc_compat : &wc_native;
    uint8_t *s = (uint8_t *)d->shared_info;
    volatile uint32_t *ver = (volatile uint32_t *)(s + l->version);
    uint32_t odd = version_begin(ver);
    *(volatile uint32_t *)(s + l->sec) = (uint32_t)tm.cfg.wallclock_sec;
    *(volatile uint32_t *)(s + l->nsec) = tm.cfg.wallclock_nsec;
    *(volatile uint32_t *)(s + l->sec_hi) = (uint32_t)(tm.cfg.wallclock_sec >> 32);
    version_end(ver, odd);
}

void time_refresh_on_switch(struct vcpu *v)
{
    if (tm.cfg.refresh == TIME_REFRESH_XEN)
        time_update_vcpu_info(v);
}

void time_refresh_on_timer(struct vcpu *v)
{
    if (tm.cfg.refresh == TIME_REFRESH_ON_TIMER)
        time_update_vcpu_info(v);
}

static void refresh_all(void)
{
    for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *d = &hv.domains[i];
        if (!d->in_use || d->is_shutting_down)
            continue;
        for (unsigned int k = 0; k < d->max_vcpus; k++)
            time_update_vcpu_info(&d->vcpus[k]);
    }
}

/*
 * Periodic refreshes fall on multiples of the period since boot. Xen's
 * epoch refresh (local_time_calibration) only rewrites the record of the
 * vCPU running on the CPU; an idle CPU refreshes nothing, and a vCPU that
 * is switched in is refreshed then anyway.
 */
void time_refresh_tick(void)
{
    if (tm.cfg.refresh != TIME_REFRESH_XEN && tm.cfg.refresh != TIME_REFRESH_PERIODIC)
        return;
    uint64_t now = time_now_ns(), period = refresh_period();
    if (now < tm.next_refresh)
        return;
    tm.next_refresh = now - now % period + period;
    if (tm.cfg.refresh == TIME_REFRESH_PERIODIC) {
        refresh_all();
        return;
    }
    struct vcpu *c = hv.current;
    if (c && c->runstate.state == RUNSTATE_running && vcpu_runnable(c))
        time_update_vcpu_info(c);
}
