/* sched_op: yield, block, poll with timeout, shutdown; and poll deadlines. */
#include "hv/arch.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/time.h"

static long sched_yield(struct vcpu *v)
{
    arch_vcpu_deschedule(v); /* stays runnable: the others get their turn first */
    return 0;
}

/* Xen's local_events_need_delivery: an upcall is pending and not masked. */
static bool events_need_delivery(struct vcpu *v)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    return vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask;
}

/*
 * SCHEDOP_block (Xen's vcpu_block_enable_events): clear the upcall mask and
 * sleep unless an upcall is already pending, in one step, so an event that
 * arrived just before cannot be missed. The upcall is delivered on return.
 */
static long sched_block(struct vcpu *v)
{
    vcpu_info_of(v)->evtchn_upcall_mask = 0;
    if (events_need_delivery(v))
        return 0;
    v->state = VCPU_BLOCKED;
    vcpu_runstate_change(v, RUNSTATE_blocked);
    arch_vcpu_deschedule(v);
    return 0;
}

static long sched_shutdown(struct vcpu *v, unsigned int reason)
{
    if (reason > SHUTDOWN_MAX)
        return -XEN_EINVAL;
    struct domain *d = v->domain;
    /* As Xen: a code latched by SCHEDOP_shutdown_code wins over this reason. */
    if (d->shutdown_code < 0)
        d->shutdown_code = (int)reason;
    domain_shutdown(d, (unsigned int)d->shutdown_code);
    return 0;
}

static long sched_poll(struct vcpu *v, uint64_t arg)
{
    struct sched_poll p;
    if (copy_from_guest(v, &p, arg, sizeof(p)))
        return -XEN_EFAULT;
    if (p.nr_ports > 128)
        return -XEN_EINVAL;
    if (events_need_delivery(v))
        return 0; /* as Xen: an upcall that can be delivered ends the poll at once */
    evtchn_port_t ports[128];
    if (p.nr_ports && copy_from_guest(v, ports, (uint64_t)(uintptr_t)p.ports, p.nr_ports * 4))
        return -XEN_EFAULT;
    for (unsigned int i = 0; i < p.nr_ports; i++) {
        if (ports[i] >= HV_NR_EVTCHN)
            return -XEN_EINVAL;
        if (evtchn_is_pending(v->domain, ports[i]))
            return 0;
    }
    if (p.timeout && p.timeout <= time_now_ns())
        return 0;
    hv_memcpy(v->poll_ports, ports, p.nr_ports * 4);
    v->nr_poll_ports = p.nr_ports;
    v->poll_deadline = p.timeout;
    v->state = VCPU_POLLING;
    vcpu_runstate_change(v, RUNSTATE_blocked);
    arch_vcpu_deschedule(v);
    return 0;
}

long do_sched_op(struct vcpu *v, const uint64_t a[5])
{
    uint64_t cmd = a[0], arg = a[1];
    switch (cmd) {
    case SCHEDOP_yield:
        return sched_yield(v);
    case SCHEDOP_block:
        return sched_block(v);
    case SCHEDOP_shutdown:
    case SCHEDOP_shutdown_code: {
        struct sched_shutdown s;
        if (copy_from_guest(v, &s, arg, sizeof(s)))
            return -XEN_EFAULT;
        if (cmd == SCHEDOP_shutdown)
            return sched_shutdown(v, s.reason);
        if (s.reason > SHUTDOWN_MAX)
            return -XEN_EINVAL;
        if (v->domain->shutdown_code < 0) /* the first code latched wins */
            v->domain->shutdown_code = (int)s.reason;
        return 0;
    }
    case SCHEDOP_poll:
        return sched_poll(v, arg);
    case SCHEDOP_remote_shutdown:
        return -XEN_EPERM; /* needs a privileged domain */
    case SCHEDOP_watchdog:
        hv_log("d%u: unmodelled: SCHEDOP_watchdog", v->domain->domid);
        return -XEN_ENOSYS;
    default:
        return -XEN_ENOSYS;
    }
}

/* The pre-3.0.2 form: the argument is the value itself (a shutdown reason). */
long do_sched_op_compat(struct vcpu *v, const uint64_t a[5])
{
    switch (a[0]) {
    case SCHEDOP_yield:
        return sched_yield(v);
    case SCHEDOP_block:
        return sched_block(v);
    case SCHEDOP_shutdown:
        return sched_shutdown(v, (unsigned int)MIN(a[1], 0xffffffffULL));
    default:
        return -XEN_ENOSYS;
    }
}
