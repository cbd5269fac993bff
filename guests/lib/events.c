/* Event channels: binding, masks, the 2-level upcall dispatcher, block and poll. */
#include "events.h"
#include "hypercall.h"

#define BITS_PER_XEN_ULONG (sizeof(xen_ulong_t) * 8)

volatile unsigned long events_upcalls, events_handled, events_unhandled;

static struct {
    event_handler_t fn;
    void *ctx;
} handlers[EVENTS_MAX_PORTS];

long evtchn_bind_virq(unsigned int virq, unsigned int vcpu)
{
    struct evtchn_bind_virq b = {.virq = virq, .vcpu = vcpu};
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &b);

    return rc ? rc : (long)b.port;
}

long evtchn_close(evtchn_port_t port)
{
    struct evtchn_close c = {.port = port};

    return hypercall_event_channel_op(EVTCHNOP_close, &c);
}

long evtchn_unmask(evtchn_port_t port)
{
    struct evtchn_unmask u = {.port = port};

    return hypercall_event_channel_op(EVTCHNOP_unmask, &u);
}

void evtchn_mask(evtchn_port_t port)
{
    __atomic_fetch_or(&shared_info->evtchn_mask[port / BITS_PER_XEN_ULONG],
                      (xen_ulong_t)1 << (port % BITS_PER_XEN_ULONG), __ATOMIC_SEQ_CST);
}

bool evtchn_test_and_clear(evtchn_port_t port)
{
    xen_ulong_t m = (xen_ulong_t)1 << (port % BITS_PER_XEN_ULONG);

    return __atomic_fetch_and(&shared_info->evtchn_pending[port / BITS_PER_XEN_ULONG], ~m,
                              __ATOMIC_SEQ_CST) &
           m;
}

bool evtchn_pending(evtchn_port_t port)
{
    return (READ_ONCE(shared_info->evtchn_pending[port / BITS_PER_XEN_ULONG]) >>
            (port % BITS_PER_XEN_ULONG)) &
           1;
}

void event_set_handler(evtchn_port_t port, event_handler_t fn, void *ctx)
{
    if (port >= EVENTS_MAX_PORTS)
        panic("event_set_handler: port %u >= %u", port, EVENTS_MAX_PORTS);
    handlers[port].ctx = ctx;
    WRITE_ONCE(handlers[port].fn, fn);
}

void events_disable(void)
{
    WRITE_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask, 1);
    barrier();
}

bool events_enabled(void)
{
    return !READ_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask);
}

void events_enable(void)
{
    struct vcpu_info *vi = &shared_info->vcpu_info[0];

    barrier();
    WRITE_ONCE(vi->evtchn_upcall_mask, 0);
    smp_mb();
    /*
     * Clearing the mask is a plain store the hypervisor does not see: an
     * event already pending waits for the next entry into the hypervisor.
     * Make one (Linux's force_evtchn_callback uses xen_version too).
     */
    if (READ_ONCE(vi->evtchn_upcall_pending))
        hypercall_xen_version(0, NULL);
}

long sched_block(void)
{
    return hypercall_sched_op(SCHEDOP_block, NULL);
}

long sched_poll(evtchn_port_t *ports, unsigned int nr, uint64_t timeout_abs_ns)
{
    struct sched_poll p = {.ports = ports, .nr_ports = nr, .timeout = timeout_abs_ns};

    return hypercall_sched_op(SCHEDOP_poll, &p);
}

static void dispatch_port(evtchn_port_t port)
{
    event_handler_t fn = port < EVENTS_MAX_PORTS ? READ_ONCE(handlers[port].fn) : NULL;

    if (!fn) {
        events_unhandled++;
        return;
    }
    events_handled++;
    fn(port, handlers[port].ctx);
}

void do_hypervisor_callback(struct ex_regs *regs)
{
    struct vcpu_info *vi = &shared_info->vcpu_info[0];

    (void)regs;
    events_upcalls++;
    while (READ_ONCE(vi->evtchn_upcall_pending)) {
        WRITE_ONCE(vi->evtchn_upcall_pending, 0);
        xen_ulong_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);

        while (sel) {
            unsigned int w = (unsigned int)__builtin_ctzl(sel);

            sel &= sel - 1;
            for (;;) {
                xen_ulong_t bits = READ_ONCE(shared_info->evtchn_pending[w]) &
                                   ~READ_ONCE(shared_info->evtchn_mask[w]);

                if (!bits)
                    break;
                evtchn_port_t port = w * BITS_PER_XEN_ULONG + (unsigned int)__builtin_ctzl(bits);

                if (evtchn_test_and_clear(port))
                    dispatch_port(port);
            }
        }
    }
}
