/* The xenstore daemon, inside the core: one tree for the machine, one ring per domain. */
#ifndef HV_XENSTORE_H
#define HV_XENSTORE_H

#include "hv/sched.h"
#include "public/io/xs_wire.h"

/*
 * The tree starts with "/", "/local", "/local/domain" and "/tool". Nodes
 * carry Xen's permissions (owner, then a default and per-domain
 * n/r/w/b); the core itself (domain 0 here) may do anything.
 */
void xs_reset(void);

/* The toolstack introduces a domain: /local/domain/<id> (owned by it) with "domid" and "name". */
int xs_domain_introduce(struct domain *d);
/* The domain is gone: its subtree, watches and transactions go, "@releaseDomain" fires. */
void xs_domain_release(struct domain *d);

/*
 * The domain notified its store port: take every complete request from
 * its ring, answer each on the response ring (plus any watch events),
 * notify the domain if anything was written. A malformed ring or message
 * is answered as xenstored does (XS_ERROR "EINVAL"), or the connection is
 * marked broken and traced; it never reads or writes outside the ring page.
 */
void xs_ring_notify(struct domain *d);

/* The core's own access (as domain 0: no permission checks). 0 or -XEN_E*. */
int xs_write(const char *path, const char *value);
int xs_printf(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Value into buf (NUL-terminated); its length, or -XEN_ENOENT / -XEN_E2BIG. */
int xs_read(const char *path, char *buf, size_t len);
int xs_rm(const char *path);
/* Set permissions as `xenstore-chmod` would: owner, default perm, one extra (domid, perm). */
int xs_set_perms(const char *path, domid_t owner, char dflt, domid_t other, char other_perm);

/*
 * A watch for the core's own backends: fn runs for every change at or below
 * `prefix`, after the request that caused it has been answered (never
 * re-entrantly inside a store operation). Returns 0 or -XEN_ENOSPC.
 */
typedef void (*xs_watch_fn)(const char *path, void *ctx);
int xs_watch_core(const char *prefix, xs_watch_fn fn, void *ctx);
void xs_unwatch_core(xs_watch_fn fn, void *ctx);

#endif
