/* Event channels for guests (2-level ABI): bind, mask/unmask, the upcall dispatcher, block, poll.
 */
#ifndef GUEST_EVENTS_H
#define GUEST_EVENTS_H

#include "lib.h"

/*
 * The runtime starts with upcalls masked (vcpu_info.evtchn_upcall_mask = 1,
 * as the builder leaves it) and every port's handler unset. A test that
 * wants events binds a port, sets its handler, unmasks the port and then
 * enables upcalls (or blocks, which enables them atomically).
 *
 * Upcalls arrive through the event callback (pv64/entry.S), which saves
 * every register and calls the dispatcher: clear upcall_pending, take
 * pending_sel with xchg, and for each pending and unmasked port clear its
 * pending bit, then call its handler; repeat while upcall_pending is set
 * again (xen-abi.md 4.2). Handlers run with upcalls masked. A pending port
 * without a handler is counted in events_unhandled and otherwise dropped.
 */
#define EVENTS_MAX_PORTS 64 /* ports the dispatcher has handlers for (one selector word) */

typedef void (*event_handler_t)(evtchn_port_t port, void *ctx);

/* EVTCHNOP_bind_virq: returns the port (> 0) or -XEN_Exxx. */
long evtchn_bind_virq(unsigned int virq, unsigned int vcpu);
long evtchn_close(evtchn_port_t port);
/* EVTCHNOP_unmask: the hypervisor re-raises an event that came in while masked. */
long evtchn_unmask(evtchn_port_t port);
/* Set the port's mask bit in shared_info (no hypercall needed). */
void evtchn_mask(evtchn_port_t port);
/* Clear the port's pending bit; returns whether it was set. */
bool evtchn_test_and_clear(evtchn_port_t port);
bool evtchn_pending(evtchn_port_t port);

void event_set_handler(evtchn_port_t port, event_handler_t fn, void *ctx);

/* Upcall mask of vCPU 0. enable: clear the mask; if an event is already pending, have it delivered.
 */
void events_enable(void);
void events_disable(void);
bool events_enabled(void);

/*
 * SCHEDOP_block: enable upcalls and sleep until an event is pending, in one
 * step; any pending upcall has been delivered when this returns, and upcalls
 * are left enabled.
 */
long sched_block(void);
/*
 * SCHEDOP_poll: sleep until one of ports is pending (masked or not) or
 * system time reaches timeout_abs_ns (0: no timeout). Upcalls stay as they are.
 */
long sched_poll(evtchn_port_t *ports, unsigned int nr, uint64_t timeout_abs_ns);

/* Upcalls dispatched, handler calls made, and pending ports that had no handler. */
extern volatile unsigned long events_upcalls, events_handled, events_unhandled;

/* The event callback's C half (called by the asm entry with upcalls masked). */
struct ex_regs;
void do_hypervisor_callback(struct ex_regs *regs);

#endif
