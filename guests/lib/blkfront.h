/* A PV block frontend for guests: find a vbd in xenstore, connect, run requests, close. */
#ifndef GUEST_BLKFRONT_H
#define GUEST_BLKFRONT_H

#include "lib.h"
#include "gnttab.h"
#include <public/io/blkif.h>

/*
 * What Linux's blkfront does, one device at a time, on top of gnttab.h and
 * xenbus.h (both initialised by the caller):
 *
 *   blkfront_probe    read device/vbd/<id>: virtual-device, backend, backend-id,
 *                     and the backend's sectors, sector-size, info, mode,
 *                     feature-flush-cache
 *   blkfront_connect  wait for the backend's InitWait; grant a ring page of
 *                     the caller's, allocate an unbound port for the backend
 *                     domain, write ring-ref, event-channel, protocol and
 *                     state 3 in one transaction (retried on EAGAIN); wait
 *                     for the backend's state 4
 *   blkfront_run      a batch of requests: grant each segment's page (writable
 *                     for a READ, read-only otherwise), push them with
 *                     RING_PUSH_REQUESTS_AND_CHECK_NOTIFY's rule, wait, end the
 *                     grants (a grant the backend still holds is a FAILURE)
 *   blkfront_close    state 5, wait for the backend's 5 or 6, state 6, end the
 *                     ring grant, close the port
 *
 * Responses are taken by the port's event handler (blkif_interrupt's loop
 * with the final check), never by peeking: the waiting polls the port
 * (SCHEDOP_poll with a timeout) and then lets the upcall run. A wait gives
 * up after BLKFRONT_MAX_WAITS polls with a FAILURE line holding the ring's
 * indices; a response that matches no request, or more responses than
 * requests, is a FAILURE and marks the device broken.
 */
#define BLKFRONT_MAX_BATCH 16        /* requests in one blkfront_run */
#define BLKFRONT_WAIT_NS 10000000ULL /* one poll: 10 ms */
#define BLKFRONT_MAX_WAITS 300       /* polls before a batch gives up */
#define BLKFRONT_SEGS BLKIF_MAX_SEGMENTS_PER_REQUEST

#if defined(__x86_64__)
#define BLKFRONT_PROTOCOL "x86_64-abi"
#else
#define BLKFRONT_PROTOCOL "x86_32-abi"
#endif

/* One request: filled in by the caller, answered by blkfront_run. */
struct blkfront_io {
    uint8_t op;
    uint8_t nseg;
    uint64_t sector;
    void *page[BLKFRONT_SEGS];                         /* each segment's page */
    uint8_t first[BLKFRONT_SEGS], last[BLKFRONT_SEGS]; /* its sectors, inclusive (0..7) */
    grant_ref_t ref[BLKFRONT_SEGS];
    bool own_refs;        /* ref[] set by the caller: neither granted nor ended here */
    uint8_t nseg_claimed; /* if not 0, the nr_segments put on the ring instead of nseg */
    /* Out. */
    uint64_t id;
    bool done;
    int16_t status; /* BLKIF_RSP_* */
};

struct blkfront {
    char name[16];       /* xvda, ... */
    unsigned long devid; /* virtual-device */
    char fe[64];         /* "device/vbd/<devid>" (relative to our directory) */
    char be[128];        /* the backend directory */
    domid_t be_id;
    uint64_t sectors, sector_size, info;
    char mode[8];
    bool flush; /* feature-flush-cache */

    volatile uint8_t *ring; /* struct blkif_sring_header, then the slots */
    long ring_ref;          /* < 0 when none is held */
    long port;
    RING_IDX req_prod_pvt, rsp_cons;
    struct blkfront_io *ios[BLKFRONT_MAX_BATCH]; /* the batch in flight, by id & 0xff */
    uint64_t next_gen;
    unsigned long events; /* handler calls */
    bool broken;
};

/* Linux's name for a Xen device number: 51712 -> "xvda" (docs/misc/vbd-interface.txt). */
void blkfront_devid_name(unsigned long devid, char *buf, size_t len);

/* d->fe or d->be + "/" + node, in one of a few rotating buffers. */
const char *blkfront_fe_path(const struct blkfront *d, const char *node);
const char *blkfront_be_path(const struct blkfront *d, const char *node);

/* Fill d from device/vbd/<id> and its backend. False (with a FAILURE line) if a node is missing. */
bool blkfront_probe(struct blkfront *d, const char *id);
/* The handshake; ring_page is a page of ours for the shared ring. True once connected. */
bool blkfront_connect(struct blkfront *d, void *ring_page);
/* Run n requests (n <= BLKFRONT_MAX_BATCH); false if a response never came or the ring broke. */
bool blkfront_run(struct blkfront *d, struct blkfront_io *ios, unsigned int n);
/* Close; the backend's last state into be_state. False (with a FAILURE line) if it went wrong. */
bool blkfront_close(struct blkfront *d, char *be_state, size_t len);

#endif
