/* vCPU timers (singleshot, periodic, poll timeouts), runstates and context switches. */
#include "hv/arch.h"
#include "hv/entry.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/time.h"

#define MILLISECS(ms) ((uint64_t)(ms)*1000000ULL)
#define HUGE_TIMEOUT_SHIFT 50 /* Xen's "about 13 days": offsets of 2^50 ns or more */

void vcpu_runstate_change(struct vcpu *v, int state)
{
    struct vcpu_runstate_info *r = &v->runstate;
    if (r->state == state)
        return;
    uint64_t now = time_now_ns();
    if (now > r->state_entry_time) {
        r->time[r->state & 3] += now - r->state_entry_time;
        r->state_entry_time = now;
    }
    r->state = state;
}

void vcpu_timers_init(struct vcpu *v)
{
    hv_memset(&v->runstate, 0, sizeof(v->runstate));
    v->runstate.state = v->online ? RUNSTATE_runnable : RUNSTATE_offline;
    v->runstate.state_entry_time = time_now_ns();
    /* Every PV vCPU starts with a 10 ms periodic timer (Xen's arch/x86/pv/domain.c). */
    v->periodic_period = MILLISECS(10);
    v->periodic_last = v->runstate.state_entry_time;
    v->singleshot_deadline = 0;
}

/* Xen's send_timer_event: VIRQ_TIMER to v (the on-timer policy refreshes its clock first). */
static void send_timer_event(struct vcpu *v)
{
    if (!evtchn_virq_bound(v, VIRQ_TIMER))
        return;
    time_refresh_on_timer(v);
    evtchn_send_virq(v, VIRQ_TIMER);
}

/* On the CPU: the last vCPU switched to, and it has not left the CPU since. */
static bool on_cpu(const struct vcpu *v)
{
    return v == hv.current && v->runstate.state == RUNSTATE_running && vcpu_runnable(v);
}

/*
 * The periodic timer is only scheduled while it can do something: its vCPU
 * is on the CPU and VIRQ_TIMER is bound (an unbound one sends nothing, and
 * so need not cut time slices short). Xen stops it whenever the vCPU leaves
 * the CPU and catches up when it comes back (periodic_work).
 */
static uint64_t periodic_deadline(const struct vcpu *v)
{
    if (!v->periodic_period || !on_cpu(v) || !evtchn_virq_bound(v, VIRQ_TIMER))
        return 0;
    return v->periodic_last + v->periodic_period;
}

/* Xen's vcpu_periodic_timer_work: fire if a period has passed, then count from now. */
static void periodic_work(struct vcpu *v)
{
    if (!v->periodic_period)
        return;
    uint64_t now = time_now_ns();
    if (now >= v->periodic_last + v->periodic_period) {
        send_timer_event(v);
        v->periodic_last = now;
    }
}

/*
 * VIRQ_TIMER was just bound on v. While it was unbound its periodic timer
 * was not scheduled; Xen's would have kept firing (with no effect) at whole
 * periods, so bring its phase to where that would have left it.
 */
void vcpu_timer_virq_bound(struct vcpu *v)
{
    uint64_t now = time_now_ns(), p = v->periodic_period;
    if (p && now >= v->periodic_last + p)
        v->periodic_last += (now - v->periodic_last) / p * p;
}

static bool vcpu_live(const struct vcpu *v)
{
    return v->domain->in_use && !v->domain->is_shutting_down;
}

static void take_min(uint64_t *best, uint64_t t)
{
    if (t && (!*best || t < *best))
        *best = t;
}

/*
 * The domain slots whose timers may run (in use, not shut down), a bit
 * each: one pass over the sixteen slots without a branch per slot, and
 * without UBSan's checks of its constant-bounded array walk. Most slots are
 * empty, and in the fuzz targets every branch and every check in a loop
 * over them cost a comparison callback: a time step spent most of its time
 * here. The loops below still test each domain they visit.
 */
_Static_assert(HV_MAX_DOMAINS <= 32, "one bit per domain slot");
__attribute__((no_sanitize("address", "undefined"))) static uint32_t timer_domains(void)
{
    uint32_t live = 0;
    for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++)
        live |= (uint32_t)(hv.domains[i].in_use & !hv.domains[i].is_shutting_down) << i;
    return live;
}

uint64_t sched_next_deadline(void)
{
    uint64_t best = 0;
    for (uint32_t live = timer_domains(); live; live &= live - 1) {
        struct domain *d = &hv.domains[__builtin_ctz(live)];
        if (!d->in_use || d->is_shutting_down)
            continue;
        for (unsigned int k = 0; k < d->max_vcpus; k++) {
            struct vcpu *v = &d->vcpus[k];
            if (v->state == VCPU_POLLING)
                take_min(&best, v->poll_deadline);
            take_min(&best, v->singleshot_deadline);
        }
    }
    if (hv.current && vcpu_live(hv.current))
        take_min(&best, periodic_deadline(hv.current));
    return best;
}

void sched_run_timers(void)
{
    uint64_t now = time_now_ns();
    for (uint32_t live = timer_domains(); live; live &= live - 1) {
        struct domain *d = &hv.domains[__builtin_ctz(live)];
        if (!d->in_use || d->is_shutting_down)
            continue;
        for (unsigned int k = 0; k < d->max_vcpus; k++) {
            struct vcpu *v = &d->vcpus[k];
            if (v->state == VCPU_POLLING && v->poll_deadline && v->poll_deadline <= now)
                vcpu_wake(v);
            if (v->singleshot_deadline && v->singleshot_deadline <= now) {
                v->singleshot_deadline = 0;
                send_timer_event(v);
            }
        }
    }
    struct vcpu *c = hv.current;
    if (c && vcpu_live(c)) {
        uint64_t at = periodic_deadline(c);
        if (at && at <= now)
            periodic_work(c);
    }
    time_refresh_tick();
}

/*
 * Xen's schedule()/context_switch as far as guests can see it: the vCPU
 * that leaves becomes runnable (it was preempted; one that blocked or went
 * down says so itself), its periodic timer stops; the one that arrives is
 * running, its periodic timer catches up, and under the xen refresh policy
 * its time record is rewritten. Running the same vCPU on is no switch.
 */
void hv_entry_schedule(struct vcpu *next)
{
    struct vcpu *prev = hv.current;
    if (prev == next && next->runstate.state == RUNSTATE_running)
        return;
    if (prev && prev != next && prev->runstate.state == RUNSTATE_running)
        vcpu_runstate_change(prev, vcpu_runnable(prev) ? RUNSTATE_runnable : RUNSTATE_offline);
    hv.current = next;
    vcpu_runstate_change(next, RUNSTATE_running);
    periodic_work(next);
    time_refresh_on_switch(next);
}

/* set_timer_op (hypercall 15): the vCPU's singleshot timer, absolute system time in ns. */
long do_set_timer_op(struct vcpu *v, const uint64_t a[5])
{
    uint64_t timeout = a[0], now = time_now_ns();
    if (!timeout) {
        v->singleshot_deadline = 0;
        return 0;
    }
    if ((int64_t)timeout < 0 || (timeout > now && ((timeout - now) >> HUGE_TIMEOUT_SHIFT))) {
        /*
         * Xen's Linux workaround: a negative timeout, or one 2^50 ns or more
         * ahead (jiffies wrapping), gets a timer event in 100 ms instead.
         */
        hv_log("d%uv%u: Warning: huge timeout set: %llx", v->domain->domid, v->vcpu_id,
               (unsigned long long)timeout);
        v->singleshot_deadline = now + MILLISECS(100);
        return 0;
    }
    if (timeout <= now) {
        /* Already passed: Xen's timer fires before the guest runs again. */
        v->singleshot_deadline = 0;
        send_timer_event(v);
        return 0;
    }
    v->singleshot_deadline = timeout;
    return 0;
}

static long vcpu_get_runstate(struct vcpu *t, uint64_t arg, struct vcpu *v)
{
    struct vcpu_runstate_info r = t->runstate;
    uint64_t now = time_now_ns();
    if (now > r.state_entry_time)
        r.time[r.state & 3] += now - r.state_entry_time;
    return copy_to_guest(v, arg, &r, sizeof(r)) ? -XEN_EFAULT : 0;
}

static long vcpu_set_periodic(struct vcpu *t, uint64_t arg, struct vcpu *v)
{
    struct vcpu_set_periodic_timer p;
    if (copy_from_guest(v, &p, arg, sizeof(p)))
        return -XEN_EFAULT;
    if (p.period_ns < MILLISECS(1) || (int64_t)p.period_ns < 0)
        return -XEN_EINVAL;
    t->periodic_period = p.period_ns;
    periodic_work(t);
    return 0;
}

static long vcpu_set_singleshot(struct vcpu *t, uint64_t arg, struct vcpu *v)
{
    struct vcpu_set_singleshot_timer s;
    if (t != v)
        return -XEN_EINVAL; /* only the calling vCPU's own timer */
    if (copy_from_guest(v, &s, arg, sizeof(s)))
        return -XEN_EFAULT;
    /* VCPU_SSHOTTMR_future is ignored, as current Xen does: a past timeout fires at once. */
    if (s.timeout_abs_ns <= time_now_ns()) {
        t->singleshot_deadline = 0;
        send_timer_event(t);
        return 0;
    }
    t->singleshot_deadline = s.timeout_abs_ns;
    return 0;
}

static const char *const vcpuop_names[] = {
    "initialise",
    "up",
    "down",
    "is_up",
    "get_runstate_info",
    "register_runstate_memory_area",
    "set_periodic_timer",
    "stop_periodic_timer",
    "set_singleshot_timer",
    "stop_singleshot_timer",
    "register_vcpu_info",
    "send_nmi",
    "get_physid",
    "register_vcpu_time_memory_area",
    "register_runstate_phys_area",
    "register_vcpu_time_phys_area",
};

/* vcpu_op (hypercall 24): cmd, vcpuid, arg. */
long do_vcpu_op(struct vcpu *v, const uint64_t a[5])
{
    uint64_t cmd = a[0], id = a[1], arg = a[2];
    struct vcpu *t = id < v->domain->max_vcpus ? &v->domain->vcpus[id] : NULL;
    if (!t)
        return -XEN_ENOENT;
    switch (cmd) {
    case VCPUOP_is_up:
        return t->online;
    case VCPUOP_get_runstate_info:
        return vcpu_get_runstate(t, arg, v);
    case VCPUOP_set_periodic_timer:
        return vcpu_set_periodic(t, arg, v);
    case VCPUOP_stop_periodic_timer:
        t->periodic_period = 0;
        return 0;
    case VCPUOP_set_singleshot_timer:
        return vcpu_set_singleshot(t, arg, v);
    case VCPUOP_stop_singleshot_timer:
        if (t != v)
            return -XEN_EINVAL;
        t->singleshot_deadline = 0;
        return 0;
    default:
        hv_log("d%u: unmodelled: VCPUOP %llu (%s)", v->domain->domid, (unsigned long long)cmd,
               cmd < ARRAY_SIZE(vcpuop_names) ? vcpuop_names[cmd] : "unknown");
        return -XEN_ENOSYS;
    }
}
