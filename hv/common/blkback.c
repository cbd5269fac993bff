/* The block backend inside the core (placeholder until the ring service lands). */
#include "hv/blkback.h"
#include "hv/lib.h"

void blkback_notify(struct domain *d, evtchn_port_t port)
{
    /* Nothing binds a port to EVB_BLKIF yet, so this cannot be reached. */
    hv_panic("blkback_notify d%u port %u: no block backend yet", d->domid, port);
}

void blkback_reset(void) {}

void blkback_domain_destroy(struct domain *d)
{
    (void)d;
}
