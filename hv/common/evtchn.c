/* Event channels (2-level ABI): port table, send, status, Xen's set_pending. */
#include "hv/evtchn.h"
#include "hv/arch.h"
#include "hv/blkback.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/time.h"
#include "hv/trace.h"
#include "hv/xenstore.h"

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

/*
 * Xen's vcpu_mark_events_pending: raise upcall_pending and, if it was not
 * already raised, kick the vCPU. A kick unblocks a vCPU waiting in
 * SCHEDOP_block or SCHEDOP_poll (Xen's vcpu_unblock), whatever its upcall
 * mask says; delivery itself waits for the mask to be clear.
 */
static void mark_events_pending(struct vcpu *v)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    if (vi->evtchn_upcall_pending)
        return;
    vi->evtchn_upcall_pending = 1;
    if (v->state == VCPU_BLOCKED || v->state == VCPU_POLLING)
        vcpu_wake(v);
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
        mark_events_pending(v);
        raised = true;
    }
    /* Any vCPU polling this port wakes, masked or not (Xen's evtchn_check_pollers). */
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
        switch (c->backend) {
        case EVB_XENSTORE:
            xs_ring_notify(d);
            return 0;
        case EVB_BLKIF:
            blkback_notify(d, port);
            return 0;
        case EVB_NONE:
            /* Guest-to-guest channels come with bind_interdomain (not modelled yet). */
            hv_panic("interdomain port without backend");
        default: /* the console daemon lives in the arch (sim/ or the serial port) */
            arch_evtchn_backend_notify(d, port, c->backend);
            return 0;
        }
    case ECS_IPI:
        evtchn_set_pending(&d->vcpus[c->notify_vcpu], port);
        return 0;
    case ECS_UNBOUND:
        return 0; /* Xen drops sends on an unbound port */
    default:
        return -XEN_EINVAL; /* free, reserved, or a VIRQ (only Xen raises those) */
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

/* Xen's get_free_port: the lowest free port (port 0 is reserved at creation). */
static long get_free_port(struct domain *d)
{
    for (evtchn_port_t p = 1; p < HV_NR_EVTCHN; p++)
        if (d->evtchn[p].state == ECS_FREE)
            return p;
    return -XEN_ENOSPC;
}

/*
 * EVTCHNOP_alloc_unbound: a fresh port waiting for `remote_dom` to bind it.
 * Only the caller's own table (DOMID_SELF or its id) may be used by an
 * unprivileged domain; Xen does not check that remote_dom exists.
 */
static long evtchn_alloc_unbound(struct vcpu *v, struct evtchn_alloc_unbound *a)
{
    struct domain *d = v->domain;
    if (a->dom != DOMID_SELF && a->dom != d->domid)
        return domain_by_id(a->dom) ? -XEN_EPERM : -XEN_ESRCH;
    long port = get_free_port(d);
    if (port < 0)
        return port;
    struct evtchn *c = &d->evtchn[port];
    *c = (struct evtchn){.state = ECS_UNBOUND};
    c->remote_dom = a->remote_dom == DOMID_SELF ? d->domid : a->remote_dom;
    a->port = (evtchn_port_t)port;
    return 0;
}

long evtchn_bind_backend(struct domain *d, evtchn_port_t port, unsigned int backend)
{
    if (!port_valid(d, port) || backend == EVB_NONE)
        return -XEN_EINVAL;
    struct evtchn *c = &d->evtchn[port];
    if (c->state != ECS_UNBOUND || c->remote_dom != 0 || c->notify_vcpu >= d->max_vcpus)
        return -XEN_EINVAL;
    c->state = ECS_INTERDOMAIN;
    c->backend = (uint8_t)backend;
    c->remote_port = port; /* the backends have no port table of their own */
    return 0;
}

void evtchn_unbind_backend(struct domain *d, evtchn_port_t port)
{
    if (!port_valid(d, port))
        return;
    struct evtchn *c = &d->evtchn[port];
    if (c->state != ECS_INTERDOMAIN || c->backend == EVB_NONE)
        return; /* the guest closed it first */
    c->state = ECS_UNBOUND;
    c->backend = EVB_NONE;
    c->remote_port = 0;
}

bool evtchn_backend_bound(struct domain *d, evtchn_port_t port, unsigned int backend)
{
    return port_valid(d, port) && d->evtchn[port].state == ECS_INTERDOMAIN &&
           d->evtchn[port].backend == backend;
}

/* TIMER, DEBUG and XENPMU are bound per vCPU; every other VIRQ is global (vCPU 0). */
static bool virq_is_per_vcpu(uint32_t virq)
{
    return virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == VIRQ_XENPMU;
}

static long evtchn_bind_virq(struct vcpu *v, struct evtchn_bind_virq *b)
{
    struct domain *d = v->domain;
    if (b->virq >= NR_VIRQS)
        return -XEN_EINVAL;
    if (!virq_is_per_vcpu(b->virq) && b->vcpu != 0)
        return -XEN_EINVAL;
    struct vcpu *t = domain_vcpu(d, b->vcpu);
    if (!t)
        return -XEN_ENOENT;
    if (t->virq_to_port[b->virq])
        return -XEN_EEXIST; /* bound once per vCPU, never rebound while open */
    long port = get_free_port(d);
    if (port < 0)
        return port;
    struct evtchn *c = &d->evtchn[port];
    *c = (struct evtchn){.state = ECS_VIRQ, .notify_vcpu = b->vcpu, .virq = b->virq};
    t->virq_to_port[b->virq] = (evtchn_port_t)port;
    if (b->virq == VIRQ_TIMER)
        vcpu_timer_virq_bound(t);
    b->port = (evtchn_port_t)port;
    return 0;
}

static long evtchn_bind_ipi(struct vcpu *v, struct evtchn_bind_ipi *b)
{
    struct domain *d = v->domain;
    if (!domain_vcpu(d, b->vcpu))
        return -XEN_ENOENT;
    long port = get_free_port(d);
    if (port < 0)
        return port;
    d->evtchn[port] = (struct evtchn){.state = ECS_IPI, .notify_vcpu = b->vcpu};
    b->port = (evtchn_port_t)port;
    return 0;
}

/*
 * Xen's evtchn_close for the kinds modelled here. Freeing clears the
 * pending bit ("avoid unexpected behavior on re-bind") but leaves the
 * selector and upcall_pending alone (xen-abi.md 4.2). An interdomain port
 * whose far end is a machine backend just loses it; with guest-to-guest
 * channels the far end will go back to unbound here.
 */
static long evtchn_close(struct domain *d, evtchn_port_t port)
{
    if (!port_valid(d, port))
        return -XEN_EINVAL;
    struct evtchn *c = &d->evtchn[port];
    switch (c->state) {
    case ECS_FREE:
    case ECS_RESERVED:
        return -XEN_EINVAL;
    case ECS_VIRQ: {
        struct vcpu *t = domain_vcpu(d, c->notify_vcpu);
        if (t && t->virq_to_port[c->virq] == port)
            t->virq_to_port[c->virq] = 0;
        break;
    }
    case ECS_INTERDOMAIN:
        /* A block device connected on this port must not outlive it (the number is reused). */
        if (c->backend == EVB_BLKIF) {
            c->backend = EVB_NONE; /* disconnect's unbind is then a no-op */
            blkback_port_closed(d, port);
        }
        break;
    default:
        break;
    }
    *c = (struct evtchn){.state = ECS_FREE};
    d->shared_info->evtchn_pending[port / BITS_PER_XEN_ULONG] &=
        ~(1UL << (port % BITS_PER_XEN_ULONG));
    return 0;
}

/*
 * Xen's 2-level unmask: only a port whose mask bit was set and that is
 * pending raises the selector, and only a newly set selector bit marks the
 * vCPU pending. Nothing is sent if the port was not masked.
 */
static long evtchn_unmask(struct domain *d, evtchn_port_t port)
{
    if (!port_valid(d, port))
        return -XEN_EINVAL;
    struct shared_info *s = d->shared_info;
    unsigned int word = port / BITS_PER_XEN_ULONG, bit = port % BITS_PER_XEN_ULONG;
    xen_ulong_t m = 1UL << bit;
    struct vcpu *t = domain_vcpu(d, d->evtchn[port].notify_vcpu);
    if (!(s->evtchn_mask[word] & m))
        return 0;
    s->evtchn_mask[word] &= ~m;
    if (t && (s->evtchn_pending[word] & m) &&
        !test_and_set(&vcpu_info_of(t)->evtchn_pending_sel, word))
        mark_events_pending(t);
    return 0;
}

void evtchn_send_virq(struct vcpu *v, unsigned int virq)
{
    if (virq >= NR_VIRQS) /* a hypervisor bug, not guest input */
        hv_panic("evtchn_send_virq: virq %u", virq);
    evtchn_port_t port = v->virq_to_port[virq];
    if (port)
        evtchn_set_pending(v, port);
}

bool evtchn_virq_bound(const struct vcpu *v, unsigned int virq)
{
    return virq < NR_VIRQS && v->virq_to_port[virq];
}

/* Copy in an argument of `size` bytes, run op on it, copy it back out on success. */
#define WITH_ARG(type, call)                                                                       \
    do {                                                                                           \
        type a_;                                                                                   \
        if (copy_from_guest(v, &a_, arg, sizeof(a_)))                                              \
            return -XEN_EFAULT;                                                                    \
        long rc_ = call(v, &a_);                                                                   \
        if (!rc_ && copy_to_guest(v, arg, &a_, sizeof(a_)))                                        \
            return -XEN_EFAULT;                                                                    \
        return rc_;                                                                                \
    } while (0)

static long port_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
    evtchn_port_t port;
    if (copy_from_guest(v, &port, arg, sizeof(port)))
        return -XEN_EFAULT;
    switch (cmd) {
    case EVTCHNOP_send:
        return evtchn_send(v, port);
    case EVTCHNOP_close:
        return evtchn_close(v->domain, port);
    default: /* EVTCHNOP_unmask */
        return evtchn_unmask(v->domain, port);
    }
}

static const char *const evtchnop_names[] = {
    "bind_interdomain", "bind_virq",    "bind_pirq", "close",  "send",  "status",
    "alloc_unbound",    "bind_ipi",     "bind_vcpu", "unmask", "reset", "init_control",
    "expand_array",     "set_priority",
};

long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
    switch (cmd) {
    case EVTCHNOP_send:
    case EVTCHNOP_close:
    case EVTCHNOP_unmask:
        return port_op(v, cmd, arg);
    case EVTCHNOP_status:
        WITH_ARG(struct evtchn_status, evtchn_status);
    case EVTCHNOP_bind_virq:
        WITH_ARG(struct evtchn_bind_virq, evtchn_bind_virq);
    case EVTCHNOP_bind_ipi:
        WITH_ARG(struct evtchn_bind_ipi, evtchn_bind_ipi);
    case EVTCHNOP_alloc_unbound:
        WITH_ARG(struct evtchn_alloc_unbound, evtchn_alloc_unbound);
    default:
        /* Interdomain, pirq, bind_vcpu, reset and FIFO ops are not modelled yet: say so, refuse. */
        if (cmd < ARRAY_SIZE(evtchnop_names))
            hv_log("d%u: unmodelled: EVTCHNOP %llu (%s)", v->domain->domid, (unsigned long long)cmd,
                   evtchnop_names[cmd]);
        else
            hv_log("d%u: unmodelled: EVTCHNOP %llu", v->domain->domid, (unsigned long long)cmd);
        return -XEN_ENOSYS;
    }
}

/* Legacy hypercall 16: struct evtchn_op {u32 cmd; union} with the argument at offset 4. */
long do_event_channel_op_compat(struct vcpu *v, const uint64_t a[5])
{
    uint32_t cmd;
    if (copy_from_guest(v, &cmd, a[0], sizeof(cmd)))
        return -XEN_EFAULT;
    return do_event_channel_op(v, cmd, a[0] + offsetof(struct evtchn_op, u));
}
