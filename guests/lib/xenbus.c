/* Xenstore client, the ring half: the store ring, one request at a time, watch events queued. */
#include "xenbus.h"
#include "events.h"
#include "hypercall.h"
#include "mm.h"
#include "pvclock.h"
#include "report.h"
#include "xenbus_internal.h"

static struct xenstore_domain_interface *intf;
static evtchn_port_t store_port;
static bool broken;          /* a protocol error was seen: no more requests */
static uint32_t next_req_id; /* req_id of the last request sent */
static uint32_t awaiting_id; /* req_id whose reply is wanted, 0 when none */
static char errstr[32];

/*
 * The message being read from the rsp ring: header and payload bytes
 * back to back as they come, `got` of them so far, plus a NUL after the
 * payload once it is complete. A message may be longer than the ring, so
 * it is read in as many pieces as the daemon writes.
 */
#define HDR_BYTES sizeof(struct xsd_sockmsg)
static struct {
    char raw[HDR_BYTES + XENSTORE_PAYLOAD_MAX + 1];
    struct xsd_sockmsg hdr; /* decoded once the 16 header bytes are in */
    uint32_t got;
    bool complete; /* a reply is here (watch events never stay) */
} in;

/* Watch events that came while we waited for something else. */
#define WATCH_QUEUE_LEN 16
#define WATCH_PATH_MAX 256
#define WATCH_TOKEN_MAX 64
static struct {
    char path[WATCH_PATH_MAX];
    char token[WATCH_TOKEN_MAX];
} watch_queue[WATCH_QUEUE_LEN];
static unsigned int watch_head, watch_count, watch_lost;

static const char *const type_names[] = {
    [XS_CONTROL] = "CONTROL",
    [XS_DIRECTORY] = "DIRECTORY",
    [XS_READ] = "READ",
    [XS_GET_PERMS] = "GET_PERMS",
    [XS_WATCH] = "WATCH",
    [XS_UNWATCH] = "UNWATCH",
    [XS_TRANSACTION_START] = "TRANSACTION_START",
    [XS_TRANSACTION_END] = "TRANSACTION_END",
    [XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
    [XS_WRITE] = "WRITE",
    [XS_MKDIR] = "MKDIR",
    [XS_RM] = "RM",
    [XS_SET_PERMS] = "SET_PERMS",
    [XS_WATCH_EVENT] = "WATCH_EVENT",
    [XS_ERROR] = "ERROR",
};

static const char *type_name(uint32_t type)
{
    if (type < ARRAY_SIZE(type_names) && type_names[type])
        return type_names[type];
    return "?";
}

/* The errno names of xsd_errors (xs_wire.h) and Xen's numbers for them. */
static const struct {
    const char *name;
    int err;
} xs_errors[] = {
    {"EINVAL", XEN_EINVAL}, {"EACCES", XEN_EACCES},   {"EEXIST", XEN_EEXIST},
    {"EISDIR", XEN_EISDIR}, {"ENOENT", XEN_ENOENT},   {"ENOMEM", XEN_ENOMEM},
    {"ENOSPC", XEN_ENOSPC}, {"EIO", XEN_EIO},         {"ENOTEMPTY", XEN_ENOTEMPTY},
    {"ENOSYS", XEN_ENOSYS}, {"EROFS", XEN_EROFS},     {"EBUSY", XEN_EBUSY},
    {"EAGAIN", XEN_EAGAIN}, {"EISCONN", XEN_EISCONN}, {"E2BIG", XEN_E2BIG},
    {"EPERM", XEN_EPERM},
};

void xenbus_set_broken(const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    xtf_failure("xenbus: %s; connection treated as broken", msg);
    broken = true;
}

int xenbus_init(void)
{
    if (intf)
        return 0;
    if (!start_info->store_mfn)
        return -XEN_ENODEV;
    intf = mfn_to_virt(start_info->store_mfn);
    store_port = start_info->store_evtchn;
    /* Ours to poll: masked, its pending bit stays set until we clear it. */
    evtchn_mask(store_port);
    return 0;
}

bool xenbus_ready(void)
{
    return intf != NULL && !broken;
}

evtchn_port_t xenbus_port(void)
{
    return store_port;
}

const char *xenbus_errstr(void)
{
    return errstr;
}

const char *xenbus_strerror(int rc)
{
    const char *name = xen_errname(rc);

    if (errstr[0])
        return errstr;
    return name ? name + 1 : "unknown error"; /* "-ENOENT" without its sign */
}

unsigned int xenbus_watch_events_lost(void)
{
    return watch_lost;
}

/* --- the rings --- */

bool xenbus_wait_store(unsigned int *polls)
{
    evtchn_port_t port = store_port;

    if (++*polls > XENBUS_MAX_POLLS)
        return false;
    sched_poll(&port, 1, pvclock_now() + XENBUS_POLL_NS);
    return true;
}

static void queue_watch_event(void)
{
    const char *path = in.raw + HDR_BYTES;
    size_t plen = strnlen(path, in.hdr.len);
    const char *token = plen < in.hdr.len ? path + plen + 1 : "";
    size_t tlen = strnlen(token, in.hdr.len - (plen < in.hdr.len ? plen + 1 : plen));

    if (plen == in.hdr.len) {
        xenbus_set_broken("watch event without a NUL after its path (%u bytes)", in.hdr.len);
        return;
    }
    if (watch_count == WATCH_QUEUE_LEN || plen >= WATCH_PATH_MAX || tlen >= WATCH_TOKEN_MAX) {
        watch_lost++;
        return;
    }
    unsigned int slot = (watch_head + watch_count) % WATCH_QUEUE_LEN;

    memcpy(watch_queue[slot].path, path, plen + 1);
    memcpy(watch_queue[slot].token, token, tlen);
    watch_queue[slot].token[tlen] = '\0';
    watch_count++;
}

/* A whole message is in: queue a watch event, or keep the reply we are waiting for. */
static void message_done(void)
{
    in.raw[HDR_BYTES + in.hdr.len] = '\0';
    if (in.hdr.type == XS_WATCH_EVENT) {
        queue_watch_event();
        in.got = 0;
        return;
    }
    if (!awaiting_id) {
        xenbus_set_broken("a %s message (req_id %u) while no request was outstanding",
                          type_name(in.hdr.type), in.hdr.req_id);
        return;
    }
    in.complete = true;
}

/*
 * Read what the daemon has written, up to the end of the reply we wait for
 * (the bytes after it stay in the ring until it has been taken). Frees the
 * slots as it goes and notifies the daemon when the ring had been full, as
 * Linux's xb_read does, so a message longer than the ring can come through.
 */
static void pump(void)
{
    /* A daemon that advertises it says why it gave up on the ring (xs_wire.h). */
    if (!broken && (READ_ONCE(intf->server_features) & XENSTORE_SERVER_FEATURE_ERROR) &&
        READ_ONCE(intf->error))
        xenbus_set_broken("the daemon closed the ring with error %u", READ_ONCE(intf->error));
    while (!broken && !in.complete) {
        XENSTORE_RING_IDX cons = READ_ONCE(intf->rsp_cons);
        XENSTORE_RING_IDX prod = READ_ONCE(intf->rsp_prod);
        uint32_t want, n;

        smp_rmb(); /* the index before the bytes it covers */
        if (prod - cons > XENSTORE_RING_SIZE) {
            xenbus_set_broken("rsp ring indices %u bytes apart (cons %u)", prod - cons, cons);
            return;
        }
        if (prod == cons)
            return;

        want = in.got < HDR_BYTES ? HDR_BYTES - in.got : HDR_BYTES + in.hdr.len - in.got;
        n = prod - cons;
        if (n > want)
            n = want;
        if (n > XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons))
            n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons);
        memcpy(in.raw + in.got, intf->rsp + MASK_XENSTORE_IDX(cons), n);
        in.got += n;

        smp_mb(); /* copied out before the daemon may reuse the slots */
        WRITE_ONCE(intf->rsp_cons, cons + n);
        if (prod - cons >= XENSTORE_RING_SIZE)
            hypercall_evtchn_send(store_port);

        if (in.got == HDR_BYTES) {
            memcpy(&in.hdr, in.raw, HDR_BYTES);
            if (in.hdr.len > XENSTORE_PAYLOAD_MAX) {
                xenbus_set_broken("a %s message of %u payload bytes", type_name(in.hdr.type),
                                  in.hdr.len);
                return;
            }
        }
        if (in.got >= HDR_BYTES && in.got == HDR_BYTES + in.hdr.len)
            message_done();
    }
}

/* Copy bytes onto the req ring, waiting (bounded) for room when it is full. */
static int send_bytes(const void *data, size_t len, unsigned int *polls)
{
    const char *p = data;

    while (len) {
        XENSTORE_RING_IDX prod = READ_ONCE(intf->req_prod);
        XENSTORE_RING_IDX cons = READ_ONCE(intf->req_cons);
        uint32_t space, n;

        smp_mb(); /* the daemon's consumer index before we overwrite what it freed */
        if (prod - cons > XENSTORE_RING_SIZE) {
            xenbus_set_broken("req ring indices %u bytes apart (cons %u)", prod - cons, cons);
            return -XEN_EIO;
        }
        space = XENSTORE_RING_SIZE - (prod - cons);
        if (!space) {
            hypercall_evtchn_send(store_port);
            evtchn_test_and_clear(store_port);
            pump(); /* watch events: the daemon may wait for room to answer */
            if (broken)
                return -XEN_EIO;
            if (READ_ONCE(intf->req_cons) == cons && !xenbus_wait_store(polls)) {
                xtf_failure("xenbus: req ring full for %u polls (cons %u prod %u)",
                            XENBUS_MAX_POLLS, cons, prod);
                return -XEN_ETIME;
            }
            continue;
        }
        n = len < space ? (uint32_t)len : space;
        if (n > XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod))
            n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod);
        memcpy(intf->req + MASK_XENSTORE_IDX(prod), p, n);
        smp_wmb(); /* the bytes before the index that publishes them */
        WRITE_ONCE(intf->req_prod, prod + n);
        p += n;
        len -= n;
    }
    return 0;
}

static int errno_of(const char *name)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(xs_errors); i++)
        if (!strcmp(name, xs_errors[i].name))
            return -xs_errors[i].err;
    return -XEN_EIO;
}

int xenbus_request(xenbus_transaction_t t, enum xsd_sockmsg_type type, const struct xb_iov *iov,
                   unsigned int nr, const char *what, const char **body)
{
    struct xsd_sockmsg hdr = {.type = type, .tx_id = t};
    unsigned int polls = 0;
    int rc;

    errstr[0] = '\0';
    if (!intf)
        return -XEN_ENODEV;
    if (broken)
        return -XEN_EIO;
    for (unsigned int i = 0; i < nr; i++)
        hdr.len += (uint32_t)iov[i].len;
    if (hdr.len > XENSTORE_PAYLOAD_MAX)
        return -XEN_E2BIG;

    if (++next_req_id == 0)
        next_req_id = 1;
    hdr.req_id = awaiting_id = next_req_id;
    in.complete = false;

    rc = send_bytes(&hdr, sizeof(hdr), &polls);
    for (unsigned int i = 0; !rc && i < nr; i++)
        rc = send_bytes(iov[i].base, iov[i].len, &polls);
    if (rc)
        goto out;
    hypercall_evtchn_send(store_port);

    for (;;) {
        evtchn_test_and_clear(store_port); /* an event after this stays pending for the poll */
        pump();
        if (broken) {
            rc = -XEN_EIO;
            goto out;
        }
        if (in.complete)
            break;
        if (!xenbus_wait_store(&polls)) {
            xtf_failure("xenbus: no reply to %s '%s' after %u polls of %llu ms", type_name(type),
                        what, XENBUS_MAX_POLLS, XENBUS_POLL_NS / 1000000ULL);
            rc = -XEN_ETIME;
            goto out;
        }
    }

    /* The reply is in: take it off `in` so that the next message can come. */
    in.complete = false;
    in.got = 0;
    *body = in.raw + HDR_BYTES;
    if (in.hdr.req_id != hdr.req_id) {
        xenbus_set_broken("reply with req_id %u to %s request %u", in.hdr.req_id, type_name(type),
                          hdr.req_id);
        rc = -XEN_EIO;
    } else if (in.hdr.type == XS_ERROR) {
        snprintf(errstr, sizeof(errstr), "%s", *body);
        rc = errno_of(errstr);
    } else if (in.hdr.type != type) {
        xenbus_set_broken("a %s reply to a %s request ('%s')", type_name(in.hdr.type),
                          type_name(type), what);
        rc = -XEN_EIO;
    } else {
        rc = (int)in.hdr.len;
    }
out:
    awaiting_id = 0;
    return rc;
}

int xenbus_request_str(xenbus_transaction_t t, enum xsd_sockmsg_type type, const char *arg,
                       const char **body)
{
    struct xb_iov iov = {arg, strlen(arg) + 1};

    return xenbus_request(t, type, &iov, 1, arg, body);
}

/* Take the oldest queued event for token (NULL: any); the queue keeps its order. */
bool xenbus_take_watch(const char *token, char *path, size_t len)
{
    for (unsigned int i = 0; i < watch_count; i++) {
        unsigned int slot = (watch_head + i) % WATCH_QUEUE_LEN;

        if (token && strcmp(watch_queue[slot].token, token))
            continue;
        if (path && len)
            snprintf(path, len, "%s", watch_queue[slot].path);
        /* Close the gap: move the later entries down by one. */
        for (unsigned int j = i; j + 1 < watch_count; j++) {
            unsigned int a = (watch_head + j) % WATCH_QUEUE_LEN;
            unsigned int b = (watch_head + j + 1) % WATCH_QUEUE_LEN;

            watch_queue[a] = watch_queue[b];
        }
        watch_count--;
        return true;
    }
    return false;
}

bool xenbus_pump(void)
{
    if (!intf)
        return false;
    evtchn_test_and_clear(store_port); /* an event after this stays pending for the poll */
    pump();
    return !broken;
}
