/* PV block frontend: xenstore discovery and handshake, the shared ring, requests, close. */
#include "blkfront.h"
#include "events.h"
#include "hypercall.h"
#include "mm.h"
#include "pvclock.h"
#include "report.h"
#include "xenbus.h"

/* --- names and paths --- */

void blkfront_devid_name(unsigned long devid, char *buf, size_t len)
{
    const char *prefix = "xvd";
    unsigned long disk, part;
    char rev[8], letters[8];
    int r = 0, n = 0;

    if (devid & (1UL << 28)) { /* the extended xvd form: disks past xvdp */
        disk = (devid >> 8) & 0xfffff;
        part = devid & 0xff;
    } else {
        unsigned long major = devid >> 8, minor = devid & 0xff;

        part = minor & 15;
        disk = minor >> 4;
        if (major == 8) {
            prefix = "sd";
        } else if (major == 3 || major == 22) {
            prefix = "hd";
            disk = (minor >> 6) + (major == 22 ? 2 : 0);
            part = minor & 63;
        } else if (major != 202) {
            snprintf(buf, len, "vbd%lu", devid);
            return;
        }
    }
    /* 0 -> a, 25 -> z, 26 -> aa: bijective base 26. */
    disk++;
    while (disk && r < (int)sizeof(rev)) {
        disk--;
        rev[r++] = (char)('a' + disk % 26);
        disk /= 26;
    }
    while (r)
        letters[n++] = rev[--r];
    letters[n] = '\0';
    if (part)
        snprintf(buf, len, "%s%s%lu", prefix, letters, part);
    else
        snprintf(buf, len, "%s%s", prefix, letters);
}

const char *blkfront_fe_path(const struct blkfront *d, const char *node)
{
    static char bufs[4][96];
    static unsigned int next;
    char *b = bufs[next++ % ARRAY_SIZE(bufs)];

    snprintf(b, sizeof(bufs[0]), "%s/%s", d->fe, node);
    return b;
}

const char *blkfront_be_path(const struct blkfront *d, const char *node)
{
    static char bufs[4][160];
    static unsigned int next;
    char *b = bufs[next++ % ARRAY_SIZE(bufs)];

    snprintf(b, sizeof(bufs[0]), "%s/%s", d->be, node);
    return b;
}

static bool xs_ok(const struct blkfront *d, const char *what, const char *path, int rc)
{
    if (rc >= 0)
        return true;
    xtf_failure("%s: %s %s: error %s (%d)", d->name, what, path, xenbus_strerror(rc), rc);
    return false;
}

static bool read_num(const struct blkfront *d, const char *path, uint64_t *v)
{
    return xs_ok(d, "read", path, xenbus_read_u64(XBT_NIL, path, v));
}

bool blkfront_probe(struct blkfront *d, const char *id)
{
    uint64_t v;

    snprintf(d->name, sizeof(d->name), "vbd %s", id);
    snprintf(d->fe, sizeof(d->fe), "device/vbd/%s", id);
    d->ring_ref = -1;
    d->port = -1;
    if (!read_num(d, blkfront_fe_path(d, "virtual-device"), &v))
        return false;
    d->devid = (unsigned long)v;
    blkfront_devid_name(d->devid, d->name, sizeof(d->name));

    if (!xs_ok(d, "read", "backend",
               xenbus_read(XBT_NIL, blkfront_fe_path(d, "backend"), d->be, sizeof(d->be))) ||
        !read_num(d, blkfront_fe_path(d, "backend-id"), &v))
        return false;
    d->be_id = (domid_t)v;

    if (!read_num(d, blkfront_be_path(d, "sectors"), &d->sectors) ||
        !read_num(d, blkfront_be_path(d, "sector-size"), &d->sector_size) ||
        !read_num(d, blkfront_be_path(d, "info"), &d->info) ||
        !xs_ok(d, "read", "mode",
               xenbus_read(XBT_NIL, blkfront_be_path(d, "mode"), d->mode, sizeof(d->mode))))
        return false;
    d->flush =
        xenbus_read_u64(XBT_NIL, blkfront_be_path(d, "feature-flush-cache"), &v) == 0 && v == 1;
    return true;
}

/* --- the ring --- */

static volatile struct blkif_sring_header *sring(struct blkfront *d)
{
    return (volatile struct blkif_sring_header *)d->ring;
}

static volatile void *slot(struct blkfront *d, RING_IDX i)
{
    return d->ring + BLKIF_RING_HEADER_BYTES + (i % BLKIF_RING_SLOTS) * BLKIF_RING_SLOT_BYTES;
}

/*
 * The port's handler, as blkif_interrupt: take every response up to
 * rsp_prod, match it to its request by id, then ask for an event at the
 * next one and look again (RING_FINAL_CHECK_FOR_RESPONSES) so that a
 * response written meanwhile is not left without an event.
 */
static void blkif_interrupt(evtchn_port_t port, void *ctx)
{
    struct blkfront *d = ctx;

    (void)port;
    d->events++;
    for (;;) {
        RING_IDX rp = READ_ONCE(sring(d)->rsp_prod);

        smp_rmb(); /* the index before the responses it covers */
        if (rp - d->rsp_cons > BLKIF_RING_SLOTS ||
            rp - d->rsp_cons > d->req_prod_pvt - d->rsp_cons) {
            xtf_failure("%s: rsp_prod %u with rsp_cons %u and %u requests pushed", d->name, rp,
                        d->rsp_cons, d->req_prod_pvt);
            d->broken = true;
            return;
        }
        for (; d->rsp_cons != rp; d->rsp_cons++) {
            struct blkif_response rsp;
            struct blkfront_io *io;

            memcpy(&rsp, (const void *)slot(d, d->rsp_cons), sizeof(rsp));
            io = (rsp.id & 0xff) < BLKFRONT_MAX_BATCH ? d->ios[rsp.id & 0xff] : NULL;
            if (!io || io->id != rsp.id || io->done) {
                xtf_failure("%s: response with id %#llx matches no request in flight", d->name,
                            (unsigned long long)rsp.id);
                continue;
            }
            if (rsp.operation != io->op)
                xtf_failure("%s: response to op %u says op %u", d->name, io->op, rsp.operation);
            io->status = rsp.status;
            io->done = true;
        }
        WRITE_ONCE(sring(d)->rsp_event, d->rsp_cons + 1);
        smp_mb(); /* rsp_event before the second look at rsp_prod */
        if (READ_ONCE(sring(d)->rsp_prod) == d->rsp_cons)
            return;
    }
}

/* Copy the batch onto the ring and publish it, notifying only when the backend asked. */
static void push_requests(struct blkfront *d, struct blkfront_io *ios, unsigned int n)
{
    RING_IDX old = d->req_prod_pvt, new;

    for (unsigned int i = 0; i < n; i++) {
        struct blkif_request req = {
            .operation = ios[i].op,
            .nr_segments = ios[i].nseg_claimed ? ios[i].nseg_claimed : ios[i].nseg,
            .handle = (uint16_t)d->devid,
            .id = ios[i].id,
            .sector_number = ios[i].sector,
        };

        for (unsigned int k = 0; k < ios[i].nseg; k++) {
            req.seg[k].gref = ios[i].ref[k];
            req.seg[k].first_sect = ios[i].first[k];
            req.seg[k].last_sect = ios[i].last[k];
        }
        memcpy((void *)slot(d, d->req_prod_pvt), &req, sizeof(req));
        d->req_prod_pvt++;
    }
    new = d->req_prod_pvt;
    smp_wmb(); /* the requests before the index that publishes them */
    WRITE_ONCE(sring(d)->req_prod, new);
    smp_mb(); /* req_prod before reading req_event (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY) */
    if ((RING_IDX)(new - READ_ONCE(sring(d)->req_event)) < (RING_IDX)(new - old))
        hypercall_evtchn_send((evtchn_port_t)d->port);
}

/*
 * Until every request of the batch is answered: with upcalls masked, look;
 * poll the port (it wakes us masked or not); unmask upcalls so that the
 * handler runs. An event that comes between the look and the poll leaves
 * the port pending, so the poll returns at once.
 */
static bool wait_responses(struct blkfront *d, struct blkfront_io *ios, unsigned int n)
{
    bool was_enabled = events_enabled();
    evtchn_port_t port = (evtchn_port_t)d->port;
    unsigned int waits = 0;

    for (;;) {
        unsigned int left = 0;

        events_disable();
        for (unsigned int i = 0; i < n; i++)
            left += !ios[i].done;
        if (!left || d->broken)
            break;
        if (++waits > BLKFRONT_MAX_WAITS) {
            xtf_failure("%s: %u of %u requests unanswered after %u polls of %llu ms (req_prod "
                        "%u req_event %u rsp_prod %u rsp_cons %u, port %u %s, %lu events)",
                        d->name, left, n, BLKFRONT_MAX_WAITS, BLKFRONT_WAIT_NS / 1000000ULL,
                        READ_ONCE(sring(d)->req_prod), READ_ONCE(sring(d)->req_event),
                        READ_ONCE(sring(d)->rsp_prod), d->rsp_cons, port,
                        evtchn_pending(port) ? "pending" : "not pending", d->events);
            d->broken = true;
            break;
        }
        sched_poll(&port, 1, pvclock_now() + BLKFRONT_WAIT_NS);
        events_enable(); /* a pending upcall is delivered here: the handler runs */
    }
    if (was_enabled)
        events_enable();
    return !d->broken;
}

bool blkfront_run(struct blkfront *d, struct blkfront_io *ios, unsigned int n)
{
    bool ok;

    if (n > BLKFRONT_MAX_BATCH)
        panic("%s: blkfront_run of %u requests (at most %u)", d->name, n, BLKFRONT_MAX_BATCH);
    for (unsigned int i = 0; i < n; i++) {
        struct blkfront_io *io = &ios[i];

        io->id = (++d->next_gen << 8) | i;
        io->done = false;
        io->status = 0x7fff;
        d->ios[i] = io;
        for (unsigned int k = 0; k < io->nseg && !io->own_refs; k++) {
            long ref =
                gnttab_grant_access(d->be_id, virt_to_mfn(io->page[k]), io->op != BLKIF_OP_READ);

            if (ref < 0)
                panic("%s: gnttab_grant_access: %ld", d->name, ref);
            io->ref[k] = (grant_ref_t)ref;
        }
    }
    push_requests(d, ios, n);
    ok = wait_responses(d, ios, n);

    for (unsigned int i = 0; i < n; i++) {
        for (unsigned int k = 0; k < ios[i].nseg && !ios[i].own_refs; k++) {
            long rc = gnttab_end_access(ios[i].ref[k]);

            if (rc && ok)
                xtf_failure("%s: grant %u of a finished request still in use (flags %#x): %ld",
                            d->name, ios[i].ref[k], gnttab_entry_flags(ios[i].ref[k]), rc);
        }
        d->ios[i] = NULL;
    }
    return ok;
}

/* --- handshake and close --- */

/* ring-ref, event-channel, protocol and state 3 in one transaction, retried on EAGAIN. */
static bool publish(struct blkfront *d)
{
    xenbus_transaction_t t;
    int rc, tries = 0;

    do {
        rc = xenbus_transaction_start(&t);
        if (!xs_ok(d, "transaction_start", d->fe, rc))
            return false;
        if (!xs_ok(d, "write", "ring-ref",
                   xenbus_printf(t, blkfront_fe_path(d, "ring-ref"), "%ld", d->ring_ref)) ||
            !xs_ok(d, "write", "event-channel",
                   xenbus_printf(t, blkfront_fe_path(d, "event-channel"), "%ld", d->port)) ||
            !xs_ok(d, "write", "protocol",
                   xenbus_write(t, blkfront_fe_path(d, "protocol"), BLKFRONT_PROTOCOL)) ||
            !xs_ok(d, "write", "state",
                   xenbus_printf(t, blkfront_fe_path(d, "state"), "%d", XenbusStateInitialised))) {
            xenbus_transaction_end(t, true);
            return false;
        }
        rc = xenbus_transaction_end(t, false);
    } while (rc == -XEN_EAGAIN && ++tries < 5);
    return xs_ok(d, "transaction_end", d->fe, rc);
}

bool blkfront_connect(struct blkfront *d, void *ring_page)
{
    static const char *const connected[] = {"4", "5", "6"};
    char got[16];
    int rc;

    if (xenbus_wait_for_value(blkfront_be_path(d, "state"), "2"))
        return false; /* the client printed the backend's state */

    /* The shared ring: empty, each side asking for an event at the first entry. */
    d->ring = ring_page;
    memset(ring_page, 0, PAGE_SIZE);
    sring(d)->req_event = 1;
    sring(d)->rsp_event = 1;
    d->req_prod_pvt = d->rsp_cons = 0;
    d->broken = false;

    d->ring_ref = gnttab_grant_access(d->be_id, virt_to_mfn(ring_page), false);
    if (d->ring_ref < 0) {
        xtf_error("%s: gnttab_grant_access(ring): %ld", d->name, d->ring_ref);
        return false;
    }
    d->port = hypercall_evtchn_alloc_unbound(d->be_id);
    if (d->port < 0 || d->port >= EVENTS_MAX_PORTS) {
        xtf_failure("%s: EVTCHNOP_alloc_unbound(remote %u): %ld", d->name, d->be_id, d->port);
        return false;
    }
    event_set_handler((evtchn_port_t)d->port, blkif_interrupt, d);
    evtchn_unmask((evtchn_port_t)d->port);

    if (!publish(d))
        return false;
    rc = xenbus_wait_for_any(blkfront_be_path(d, "state"), connected, 3, got, sizeof(got));
    if (rc < 0)
        return false;
    if (rc != 0) {
        xtf_failure("%s: backend went to state %s instead of 4 (Connected)", d->name, got);
        return false;
    }
    return true;
}

bool blkfront_close(struct blkfront *d, char *be_state, size_t len)
{
    static const char *const closed[] = {"5", "6"};
    bool ok;
    long rc;

    if (len)
        be_state[0] = '\0';
    ok = xs_ok(d, "write", "state",
               xenbus_printf(XBT_NIL, blkfront_fe_path(d, "state"), "%d", XenbusStateClosing)) &&
         xenbus_wait_for_any(blkfront_be_path(d, "state"), closed, 2, be_state, len) >= 0 &&
         xs_ok(d, "write", "state",
               xenbus_printf(XBT_NIL, blkfront_fe_path(d, "state"), "%d", XenbusStateClosed));

    if (d->ring_ref >= 0) {
        rc = gnttab_end_access((grant_ref_t)d->ring_ref);
        if (rc) {
            xtf_failure("%s: ring grant %ld still in use after close (flags %#x): %ld", d->name,
                        d->ring_ref, gnttab_entry_flags((grant_ref_t)d->ring_ref), rc);
            ok = false;
        } else {
            d->ring_ref = -1;
        }
    }
    if (d->port >= 0) {
        evtchn_mask((evtchn_port_t)d->port);
        event_set_handler((evtchn_port_t)d->port, NULL, NULL);
        rc = evtchn_close((evtchn_port_t)d->port);
        if (rc) {
            xtf_failure("%s: EVTCHNOP_close(%ld): %ld", d->name, d->port, rc);
            ok = false;
        }
        d->port = -1;
    }
    return ok;
}
