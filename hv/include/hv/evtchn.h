/* Event channels, 2-level ABI: ports, pending/mask bitmaps, upcall marking. */
#ifndef HV_EVTCHN_H
#define HV_EVTCHN_H

#include "hv/sched.h"

/* Reserve port 0 and bind the console and xenstore ports to their backends. */
void evtchn_init_domain(struct domain *d);
/* Xen's 2-level set_pending: pending bit, selector bit, upcall_pending, wake. */
void evtchn_set_pending(struct vcpu *v, evtchn_port_t port);
/* A backend (console daemon, xenstore) notifies the guest end of its port. */
void evtchn_backend_send(struct domain *d, evtchn_port_t port);
/* The toolstack makes a bound port pending, as if its far end sent: 0 or -XEN_EINVAL. */
long evtchn_inject(struct domain *d, evtchn_port_t port);
/* Is the port's pending bit set? */
bool evtchn_is_pending(struct domain *d, evtchn_port_t port);

/*
 * A backend in the core takes the far end of a port the guest made with
 * EVTCHNOP_alloc_unbound for domain 0 (the frontend's usual handshake): the
 * port becomes interdomain and its sends reach `backend`. 0, or
 * -XEN_EINVAL if the port is not unbound for domain 0.
 */
long evtchn_bind_backend(struct domain *d, evtchn_port_t port, unsigned int backend);
/* The backend lets go of the port: it goes back to unbound for domain 0, as in Xen. */
void evtchn_unbind_backend(struct domain *d, evtchn_port_t port);
/* Is the port still interdomain with `backend` at the far end (the guest may have closed it)? */
bool evtchn_backend_bound(struct domain *d, evtchn_port_t port, unsigned int backend);

/* Raise a VIRQ on v: set its bound port pending (nothing if unbound). */
void evtchn_send_virq(struct vcpu *v, unsigned int virq);
bool evtchn_virq_bound(const struct vcpu *v, unsigned int virq);

long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg);
/* Legacy hypercall 16: a[0] points at struct evtchn_op. */
long do_event_channel_op_compat(struct vcpu *v, const uint64_t a[5]);

#endif
