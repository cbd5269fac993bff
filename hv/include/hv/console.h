/* The PV console backend's ring side, shared by every machine that serves a domain's console. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include "hv/sched.h"

/* Room a caller of console_ring_consume must provide: the whole out[] ring. */
#define CONSOLE_RING_OUT_BYTES 2048

/*
 * Take everything the guest has produced in its console ring's out[] (as
 * xenconsoled does: read the indices, then the data, then publish out_cons).
 * `buf` must hold CONSOLE_RING_OUT_BYTES. Returns the byte count, or
 * -XEN_ENOENT when the domain has no ring, -XEN_EINVAL when the indices
 * are bogus (more than a ring apart); *why then says what was wrong.
 */
int console_ring_consume(struct domain *d, char *buf, const char **why);

#endif
