/* The xenstore daemon, inside the core: one tree for the machine, one ring per domain. */
#ifndef HV_XENSTORE_H
#define HV_XENSTORE_H

#include "hv/sched.h"
#include "public/io/xs_wire.h"

/* The ring's error field (io/xs_wire.h, docs/misc/xenstore-ring.txt): why serving it stopped. */
#ifndef XENSTORE_ERROR_NONE
#define XENSTORE_ERROR_NONE 0
#define XENSTORE_ERROR_COMM 1    /* communication problem */
#define XENSTORE_ERROR_RINGIDX 2 /* inconsistent producer or consumer index */
#define XENSTORE_ERROR_PROTO 3   /* protocol violation (payload too long) */
#endif

/*
 * Machine start. The tree holds what xenstored and xencommons put there:
 * "/", "/tool", "/tool/xenstored", "/local", "/local/domain",
 * "/local/domain/0" with "domid" = "0" and "name" = "Domain-0", and the
 * specials "@introduceDomain" and "@releaseDomain"; all owned by domain 0
 * with no access for others ("n0"). Nodes carry Xen's permissions (owner,
 * then a default and per-domain n/r/w/b); the core itself (domain 0 here)
 * may do anything.
 */
void xs_reset(void);

/*
 * The toolstack introduces a domain: /local/domain/<id> owned by it ("n<id>"),
 * with "domid" and "name" (d->name) owned by domain 0 and readable by the
 * domain ("n0", "r<id>"), as xl writes them; then "@introduceDomain" fires
 * and the ring is served (with the error-indicator feature advertised).
 * 0, or -XEN_ENOSPC when the tree is full.
 */
int xs_domain_introduce(struct domain *d);
/*
 * The domain is gone (also for one never introduced): its watches and
 * transactions go, /local/domain/<id> and every node it owns go (as
 * xenstored removes a dead domain's nodes), its entries in other nodes'
 * permissions go, and "@releaseDomain" fires if it had been introduced.
 */
void xs_domain_release(struct domain *d);

/*
 * The domain notified its store port: first write what is pending for it on
 * the response ring, then take complete requests from its request ring one at
 * a time, but only while nothing is left waiting for room on the response
 * ring (the rest waits in the ring for the next notify). Each answer, and the
 * watch events it causes, go out in order; the domain is notified when bytes
 * moved. Indices more than a ring apart or a payload longer than
 * XENSTORE_PAYLOAD_MAX break the connection as in xenstored: the ring's
 * `error` field says why, the domain's watches and transactions go, and the
 * ring is not served again. Nothing is read or written outside the ring page.
 */
void xs_ring_notify(struct domain *d);

/*
 * The core's own access, as domain 0 (no permission checks), absolute paths
 * only. Each returns 0 or -XEN_E*: -XEN_EINVAL for a bad path, -XEN_ENOSPC
 * when the tree is full or a path or value is too long to store. Guest
 * watch events a change causes are written to the guests' rings (and their
 * store ports notified) before the call returns, unless it was made from a
 * core watch callback or while a request is served: then when that ends.
 */
int xs_write(const char *path, const char *value); /* creates missing parents */
int xs_printf(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Value into buf (NUL-terminated); its length, or -XEN_ENOENT / -XEN_E2BIG (buf too small). */
int xs_read(const char *path, char *buf, size_t len);
/* Remove path and everything below it: 0 also if it is absent, -XEN_ENOENT if its parent is. */
int xs_rm(const char *path);
/*
 * Set permissions as `xenstore-chmod` would: owner, default perm, and one
 * extra (domid, perm) entry unless other_perm is 0. Perms are 'n', 'r', 'w'
 * or 'b'. The specials ("@releaseDomain") take permissions too: a guest
 * only gets their events if it may read them. -XEN_ENOENT if path is absent.
 */
int xs_set_perms(const char *path, domid_t owner, char dflt, domid_t other, char other_perm);

/*
 * A watch for the core's own backends: fn runs for every change at or below
 * `prefix` (an absolute path or a special), and for `prefix` itself when an
 * ancestor is removed, with the changed path (valid during the call). It
 * runs after the request or core call that caused it has finished (queued,
 * never re-entrantly inside a store operation), and may itself call xs_*;
 * a chain of callbacks that never settles is cut after a bounded number of
 * calls and logged. No initial call. 0, -XEN_EINVAL for a bad prefix or
 * -XEN_ENOSPC.
 */
typedef void (*xs_watch_fn)(const char *path, void *ctx);
int xs_watch_core(const char *prefix, xs_watch_fn fn, void *ctx);
void xs_unwatch_core(xs_watch_fn fn, void *ctx);

#endif
