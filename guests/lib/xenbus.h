/* A xenstore client on the store ring: requests, watches, transactions, waiting for a value. */
#ifndef GUEST_XENBUS_H
#define GUEST_XENBUS_H

#include "lib.h"
#include <public/io/xs_wire.h>

/*
 * The ring is start_info->store_mfn (reached through the M2P) and the port
 * start_info->store_evtchn. One request is in flight at a time, as in
 * Mini-OS: its header and payload go onto the req ring (in pieces when the
 * ring is full), the port is notified, and the reply is awaited by polling
 * the port (SCHEDOP_poll with a timeout; xenbus_init masks the port, so the
 * pending bit stays for the poll whatever the upcall mask says) while
 * reading the rsp ring. XS_WATCH_EVENT messages that arrive meanwhile are
 * kept in a small queue for xenbus_next_watch().
 *
 * Nothing waits without a bound: after XENBUS_MAX_POLLS polls of
 * XENBUS_POLL_NS each, a request or wait reports a FAILURE line
 * ("xenbus: ...") and returns -XEN_ETIME. A reply that breaks the protocol
 * (wrong req_id or type, a length over XENSTORE_PAYLOAD_MAX, indices more
 * than a ring apart) is a FAILURE too, and the connection is then treated
 * as broken (-XEN_EIO from then on); so is a ring whose `error` field the
 * daemon set (when it advertises XENSTORE_SERVER_FEATURE_ERROR).
 *
 * Return values: >= 0 on success (a length or a count where stated),
 * otherwise a negative code. An XS_ERROR reply becomes -XEN_E<name> for the
 * errno names xenstored uses, -XEN_EIO for an unknown one; either way
 * xenbus_errstr() gives the exact name the daemon sent ("ENOENT").
 */
#define XENBUS_POLL_NS 10000000ULL /* 10 ms */
#define XENBUS_MAX_POLLS 300       /* 3 s of guest time per request or wait */

typedef uint32_t xenbus_transaction_t;
#define XBT_NIL 0

/* errno values xenstored may name that public/xen.h does not define (Xen's numbers). */
#define XEN_EISDIR 21
#define XEN_EROFS 30
#define XEN_ENOTEMPTY 39
#define XEN_EISCONN 106

/* 0, or -XEN_ENODEV when start_info gives no store ring. */
int xenbus_init(void);
bool xenbus_ready(void);
evtchn_port_t xenbus_port(void);

/*
 * One raw request: the payload is the iov pieces back to back. Returns the
 * reply's payload length with *body pointing at it (NUL-terminated, valid
 * until the next request), or a negative code. `what` names the request in
 * FAILURE lines (normally its path).
 */
struct xb_iov {
    const void *base;
    size_t len;
};
int xenbus_request(xenbus_transaction_t t, enum xsd_sockmsg_type type, const struct xb_iov *iov,
                   unsigned int nr, const char *what, const char **body);

/* The XS_ERROR name of the last failed request, "" if it failed locally. */
const char *xenbus_errstr(void);
/* For messages: that name if the last request got an XS_ERROR, else rc's errno name ("ETIME"). */
const char *xenbus_strerror(int rc);

/* Value of `path`, NUL-terminated in buf; returns its length (-XEN_E2BIG if it does not fit). */
int xenbus_read(xenbus_transaction_t t, const char *path, char *buf, size_t len);
/* A decimal (or 0x-hex) number at `path`; -XEN_EINVAL when the value is not one. */
int xenbus_read_u64(xenbus_transaction_t t, const char *path, uint64_t *out);
int xenbus_write(xenbus_transaction_t t, const char *path, const char *value);
int xenbus_printf(xenbus_transaction_t t, const char *path, const char *fmt, ...) __printf(3, 4);
int xenbus_mkdir(xenbus_transaction_t t, const char *path);
int xenbus_rm(xenbus_transaction_t t, const char *path);
/*
 * The children of `path`, each NUL-terminated, one after another in buf
 * (walk them with xenbus_dir_next); returns how many there are.
 */
int xenbus_directory(xenbus_transaction_t t, const char *path, char *buf, size_t len);
/* The entry after `cur` in a xenbus_directory() buffer of `count` entries: use i < count. */
static inline const char *xenbus_dir_next(const char *cur)
{
    return cur + strlen(cur) + 1;
}
/* XS_GET_DOMAIN_PATH: "/local/domain/<domid>"; returns its length. */
int xenbus_get_domain_path(domid_t domid, char *buf, size_t len);

/* XS_WATCH / XS_UNWATCH. The daemon fires a new watch once at once. */
int xenbus_watch(const char *path, const char *token);
int xenbus_unwatch(const char *path, const char *token);
/*
 * Take the oldest queued event for `token` (any token if NULL), copying its
 * path into path/len when path is not NULL. With `wait`, read the ring and
 * poll (bounded) until one comes: 0, or -XEN_ETIME (with a FAILURE line)
 * when none did; without, 0 or -XEN_EAGAIN.
 */
int xenbus_next_watch(const char *token, char *path, size_t len, bool wait);
/* Watch events dropped because the queue was full or their path too long. */
unsigned int xenbus_watch_events_lost(void);

/*
 * Wait until `path` holds one of `wanted[0..n)`, as frontends wait for the
 * other end's state: watch it, re-read after every event, unwatch. Returns
 * the index of the value seen, or -XEN_ETIME with a FAILURE line naming the
 * last value (or error) read. `got` (may be NULL) receives that last value.
 */
int xenbus_wait_for_any(const char *path, const char *const *wanted, unsigned int n, char *got,
                        size_t len);
/* The same for one value: 0 or -XEN_ETIME. */
int xenbus_wait_for_value(const char *path, const char *wanted);

/* XS_TRANSACTION_START / _END (commit unless `abort`); end gives -XEN_EAGAIN on a conflict. */
int xenbus_transaction_start(xenbus_transaction_t *t);
int xenbus_transaction_end(xenbus_transaction_t t, bool abort);

#endif
