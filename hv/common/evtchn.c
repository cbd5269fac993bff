/* Event channels (2-level ABI): port table, send, status, Xen's set_pending. */
#include "hv/evtchn.h"
#include "hv/arch.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/trace.h"

#define BITS_PER_XEN_ULONG 64

static bool port_valid(struct domain *d, uint64_t port)
{
    return port < HV_NR_EVTCHN;
}

static int alloc_backend_port(struct domain *d, unsigned int backend)
{
    for (evtchn_port_t p = 1; p < HV_NR_EVTCHN; p++) {
        struct evtchn *c = &d->evtchn[p];
        if (c->state != ECS_FREE)
            continue;
        c->state = ECS_INTERDOMAIN;
        c->backend = (uint8_t)backend;
        c->remote_dom = 0; /* the backends stand in for the control domain */
        c->remote_port = p;
        return (int)p;
    }
    return -XEN_ENOSPC;
}

void evtchn_init_domain(struct domain *d)
{
    d->evtchn[0].state = ECS_RESERVED;
    d->console_port = (uint32_t)alloc_backend_port(d, EVB_CONSOLE);
    d->store_port = (uint32_t)alloc_backend_port(d, EVB_XENSTORE);
}

static bool test_and_set(xen_ulong_t *word, unsigned int bit)
{
    xen_ulong_t m = 1UL << bit;
    bool was = *word & m;
    *word |= m;
    return was;
}

bool evtchn_is_pending(struct domain *d, evtchn_port_t port)
{
    return port_valid(d, port) &&
           (d->shared_info->evtchn_pending[port / BITS_PER_XEN_ULONG] >> (port % 64)) & 1;
}

/* Xen's evtchn_check_pollers: polling ignores masks and which vCPU is notified. */
static void wake_pollers(struct domain *d, evtchn_port_t port)
{
    for (unsigned int k = 0; k < d->max_vcpus; k++) {
        struct vcpu *p = &d->vcpus[k];
        if (p->state != VCPU_POLLING)
            continue;
        for (unsigned int i = 0; i < p->nr_poll_ports; i++)
            if (p->poll_ports[i] == port)
                vcpu_wake(p);
    }
}

void evtchn_set_pending(struct vcpu *v, evtchn_port_t port)
{
    struct shared_info *s = v->domain->shared_info;
    unsigned int word = port / BITS_PER_XEN_ULONG, bit = port % BITS_PER_XEN_ULONG;
    bool raised = false;
    if (test_and_set(&s->evtchn_pending[word], bit))
        goto out;
    if (!((s->evtchn_mask[word] >> bit) & 1) &&
        !test_and_set(&vcpu_info_of(v)->evtchn_pending_sel, word)) {
        vcpu_info_of(v)->evtchn_upcall_pending = 1;
        raised = true;
    }
    /* A blocked notify vCPU wakes on a new upcall; any vCPU polling the port wakes. */
    if (v->state == VCPU_BLOCKED && raised)
        vcpu_wake(v);
    wake_pollers(v->domain, port);
out : {
    struct trace_rec r = {
        .kind = TR_EVENT, .dom = v->domain->domid, .vcpu = (uint16_t)v->vcpu_id, .nr = port};
    r.args[0] = raised;
    arch_trace(&r);
}
}

void evtchn_backend_send(struct domain *d, evtchn_port_t port)
{
    if (!port_valid(d, port) || d->evtchn[port].state != ECS_INTERDOMAIN)
        hv_panic("backend send on d%u port %u that is not a backend port", d->domid, port);
    evtchn_set_pending(&d->vcpus[d->evtchn[port].notify_vcpu], port);
}

long evtchn_inject(struct domain *d, evtchn_port_t port)
{
    if (!port_valid(d, port))
        return -XEN_EINVAL;
    struct evtchn *c = &d->evtchn[port];
    if (c->state == ECS_FREE || c->state == ECS_RESERVED)
        return -XEN_EINVAL;
    if (c->notify_vcpu >= d->max_vcpus)
        return -XEN_EINVAL;
    evtchn_set_pending(&d->vcpus[c->notify_vcpu], port);
    return 0;
}

static long evtchn_send(struct vcpu *v, evtchn_port_t port)
{
    struct domain *d = v->domain;
    if (!port_valid(d, port))
        return -XEN_EINVAL;
    struct evtchn *c = &d->evtchn[port];
    switch (c->state) {
    case ECS_INTERDOMAIN:
        if (c->backend != EVB_NONE) {
            arch_evtchn_backend_notify(d, port, c->backend);
            return 0;
        }
        hv_panic("interdomain port without backend");
    case ECS_IPI:
        evtchn_set_pending(&d->vcpus[c->notify_vcpu], port);
        return 0;
    case ECS_UNBOUND:
        return 0; /* Xen drops sends on an unbound port */
    default:
        return -XEN_EINVAL;
    }
}

static long evtchn_status(struct vcpu *v, struct evtchn_status *st)
{
    struct domain *d = v->domain;
    if (st->dom != DOMID_SELF && st->dom != d->domid)
        /* Only a privileged domain may ask about others. */
        return domain_by_id(st->dom) ? -XEN_EPERM : -XEN_ESRCH;
    if (!port_valid(d, st->port))
        return -XEN_EINVAL;
    struct evtchn *c = &d->evtchn[st->port];
    hv_memset(&st->u, 0, sizeof(st->u));
    st->vcpu = c->notify_vcpu;
    switch (c->state) {
    case ECS_FREE:
    case ECS_RESERVED:
        st->status = EVTCHNSTAT_closed;
        break;
    case ECS_UNBOUND:
        st->status = EVTCHNSTAT_unbound;
        st->u.unbound.dom = c->remote_dom;
        break;
    case ECS_INTERDOMAIN:
        st->status = EVTCHNSTAT_interdomain;
        st->u.interdomain.dom = c->remote_dom;
        st->u.interdomain.port = c->remote_port;
        break;
    case ECS_VIRQ:
        st->status = EVTCHNSTAT_virq;
        st->u.virq = c->virq;
        break;
    case ECS_IPI:
        st->status = EVTCHNSTAT_ipi;
        break;
    }
    return 0;
}

long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
    switch (cmd) {
    case EVTCHNOP_send: {
        struct evtchn_send s;
        if (copy_from_guest(v, &s, arg, sizeof(s)))
            return -XEN_EFAULT;
        return evtchn_send(v, s.port);
    }
    case EVTCHNOP_status: {
        struct evtchn_status st;
        if (copy_from_guest(v, &st, arg, sizeof(st)))
            return -XEN_EFAULT;
        long rc = evtchn_status(v, &st);
        if (!rc && copy_to_guest(v, arg, &st, sizeof(st)))
            return -XEN_EFAULT;
        return rc;
    }
    default:
        /* bind_*, close, unmask, reset ... are not modelled yet: say so, refuse. */
        hv_log("d%u: unmodelled: EVTCHNOP %llu", v->domain->domid, (unsigned long long)cmd);
        return -XEN_ENOSYS;
    }
}
