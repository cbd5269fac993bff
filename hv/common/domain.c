/* Domains and vCPUs: creation bookkeeping, shutdown, crash, wake-up. */
#include "hv/arch.h"
#include "hv/builder.h"
#include "hv/lib.h"
#include "hv/blkback.h"
#include "hv/grant.h"
#include "hv/mm.h"
#include "hv/time.h"
#include "hv/trace.h"
#include "hv/xenstore.h"

struct hv_state hv;

void hv_init(uint64_t nr_frames, void *meta, const uint64_t *reserved, size_t nr_reserved)
{
    hv_memset(&hv, 0, sizeof(hv));
    mm_init(nr_frames, meta, reserved, nr_reserved);
    time_init();
    xs_reset();
    blkback_reset();
}

struct domain *domain_by_id(domid_t id)
{
    for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++)
        if (hv.domains[i].in_use && hv.domains[i].domid == id)
            return &hv.domains[i];
    return NULL;
}

bool vcpu_runnable(const struct vcpu *v)
{
    return v->online && v->state == VCPU_RUNNABLE && !v->domain->is_shutting_down &&
           !v->domain->pause_count;
}

/* Runstate of a vCPU that cannot run for a reason other than waiting for an event. */
static void vcpus_offline(struct domain *d)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = &d->vcpus[i];
        if (v->runstate.state != RUNSTATE_blocked || v->state == VCPU_DOWN)
            vcpu_runstate_change(v, RUNSTATE_offline);
    }
}

void domain_pause(struct domain *d)
{
    d->pause_count++;
    vcpus_offline(d);
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        arch_vcpu_deschedule(&d->vcpus[i]);
}

void domain_unpause(struct domain *d)
{
    if (!d->pause_count)
        return;
    if (--d->pause_count)
        return;
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (vcpu_runnable(&d->vcpus[i])) {
            vcpu_runstate_change(&d->vcpus[i], RUNSTATE_runnable);
            arch_vcpu_kick(&d->vcpus[i]);
        }
}

void domain_kill(struct domain *d)
{
    if (d->is_dying)
        return;
    d->is_dying = true;
    hv_log("d%u destroyed by the toolstack", d->domid);
    d->is_shutting_down = true;
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        d->vcpus[i].state = VCPU_DOWN;
        arch_vcpu_deschedule(&d->vcpus[i]);
    }
    vcpus_offline(d);
}

void vcpu_wake(struct vcpu *v)
{
    if (!v->online || v->domain->is_shutting_down || v->state == VCPU_RUNNABLE)
        return;
    v->state = VCPU_RUNNABLE;
    v->poll_deadline = 0; /* a poll ends with its wake-up */
    v->nr_poll_ports = 0;
    if (!v->domain->pause_count)
        vcpu_runstate_change(v, RUNSTATE_runnable);
    arch_vcpu_kick(v);
}

const char *shutdown_reason_name(unsigned int reason)
{
    static const char *const names[] = {"poweroff", "reboot",   "suspend",
                                        "crash",    "watchdog", "soft_reset"};
    return reason < ARRAY_SIZE(names) ? names[reason] : "unknown";
}

static void trace_shutdown(struct domain *d, unsigned int reason)
{
    struct trace_rec r = {.kind = TR_SHUTDOWN, .dom = d->domid, .nr = reason};
    r.args[0] = (uint64_t)(int64_t)d->shutdown_code;
    arch_trace(&r);
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
    if (d->is_shutting_down)
        return;
    d->is_shutting_down = true;
    d->shutdown_reason = reason;
    trace_shutdown(d, reason);
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = &d->vcpus[i];
        v->state = VCPU_DOWN;
        arch_vcpu_deschedule(v);
    }
    vcpus_offline(d);
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    if (d->is_shutting_down)
        return;
    va_list ap;
    va_start(ap, fmt);
    hv_vsnprintf(d->crash_reason, sizeof(d->crash_reason), fmt, ap);
    va_end(ap);
    d->is_crashed = true;
    hv_log("d%u crashed: %s", d->domid, d->crash_reason);
    struct trace_rec r = {.kind = TR_CRASH, .dom = d->domid};
    r.text = d->crash_reason;
    r.textlen = hv_strlen(d->crash_reason);
    arch_trace(&r);
    domain_shutdown(d, SHUTDOWN_crash);
}

void domain_destroy(struct domain *d)
{
    /*
     * Every frame a domain owns is only referenced by that domain's own
     * tables and vCPUs (mapping foreign frames is refused), so releasing
     * all of them at once leaves every other domain's counts intact.
     * The backends let go of its grants and ports first.
     */
    blkback_domain_destroy(d);
    xs_domain_release(d);
    gnttab_domain_destroy(d);
    for (uint64_t i = 0; i < hv_mem.nr_frames; i++)
        if (hv_mem.frame_table[i].owner == d->domid)
            mm_free_frame(_mfn(i));
    if (hv.current && hv.current->domain == d)
        hv.current = NULL;
    d->in_use = false;
}
