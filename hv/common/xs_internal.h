/* Inside the xenstore daemon: what its files (tree, requests, watches, rings) give each other. */
#ifndef HV_XS_INTERNAL_H
#define HV_XS_INTERNAL_H

#include "hv/types.h"
#include "public/io/xs_wire.h"

/*
 * Sizes of the static pools. Running out is an answer (ENOSPC, or E2BIG
 * for watches, as xenstored's quotas answer), never a corruption.
 */
#define XS_MAX_NODES 512     /* committed nodes and transaction copies together */
#define XS_NODE_PATH 192     /* longest storable path, NUL included */
#define XS_NODE_VALUE 2048   /* longest value (xenstored's node-size quota is 2048) */
#define XS_VALUE_ARENA 65536 /* every node's value together */
#define XS_MAX_PERMS 5       /* xenstored's node-permissions quota */

/* Room for any canonical path: a payload-sized relative path behind a home prefix. */
#define XS_PATH_BUF (XENSTORE_PAYLOAD_MAX + 32)

/* Permission bits, as in xenstored (OWNER only ever appears in xs_perm_for's answer). */
#define XS_PERM_NONE 0u
#define XS_PERM_READ 1u
#define XS_PERM_WRITE 2u
#define XS_PERM_OWNER 8u

/* p[0]: owner and the default for everyone else; p[1..]: per-domain exceptions. */
struct xs_perms {
    uint8_t num;
    struct {
        uint32_t id;
        uint8_t perm;
    } p[XS_MAX_PERMS];
};

struct xs_node;

/* The store at machine start: /, /local, /local/domain, /local/domain/0, /tool, the specials. */
void xst_reset(void);

/*
 * Paths. A guest's request path becomes canonical as in xenstored's
 * canonicalize(): allowed characters [A-Za-z0-9-/_@], relative paths under
 * /local/domain/<dom>, "@..." only where allow_special, no trailing or
 * double slash, at most XENSTORE_ABS_PATH_MAX bytes and, for a guest, at
 * most XENSTORE_REL_PATH_MAX bytes once a leading /local/domain/<n>/ is left
 * out (xenstored's path-max quota). dom 0 is the core: absolute paths only.
 * 0 or -XEN_EINVAL.
 */
int xs_canonical(domid_t dom, const char *in, bool allow_special, char *out, size_t outlen);
const char *xs_parent(const char *path, char *out, size_t outlen);
/* Is child at or below parent ("/" is above everything, as in xenstored's is_child)? */
bool xs_is_child(const char *child, const char *parent);

/* What dom may do with a node: XS_PERM_* bits (the owner and the core may do anything). */
unsigned int xs_perm_for(domid_t dom, const struct xs_perms *perms);
/* 'n', 'r', 'w', 'b' as XS_PERM_* bits; -1 for anything else. */
int xs_perm_from_char(char c);
/* SET_PERMS strings ("r1\0n0\0..."): num of them from s. 0 or -XEN_EINVAL. */
int xs_perms_parse(const char *s, unsigned int num, struct xs_perms *out);
/* GET_PERMS reply: the strings back to back; bytes written or -XEN_E2BIG. */
int xs_perms_format(const struct xs_perms *perms, char *out, size_t outlen);

/*
 * A view is the committed tree (0) or the committed tree as transaction
 * `view` sees it through its own changes (xenstore.c maps transaction
 * slots to views 1..).
 */
struct xs_node *xst_lookup(unsigned int view, const char *path);
/*
 * xenstored's get_node(): the node if dom has every bit of `need` on it;
 * otherwise -XEN_EACCES, or -XEN_ENOENT when it does not exist and the
 * nearest existing ancestor grants dom one of `need` (so the error tells
 * nothing about a node dom could not see anyway).
 */
int xst_get(unsigned int view, domid_t dom, const char *path, unsigned int need,
            struct xs_node **out);
const char *xst_value(const struct xs_node *n, size_t *len);
const struct xs_perms *xst_perms(const struct xs_node *n);

/*
 * Changes, without permission checks (the caller made them). `creator` owns
 * the nodes a write creates, as in xenstored: a new node copies its parent's
 * permissions and, when a guest creates it, the guest becomes the owner.
 * In view 0 watches fire at once (xs_fire); in a transaction at commit.
 * 0 or -XEN_ENOSPC.
 */
int xst_write(unsigned int view, domid_t creator, const char *path, const void *val, size_t len);
int xst_mkdir(unsigned int view, domid_t creator, const char *path); /* only if missing */
int xst_rm(unsigned int view, const char *path);                     /* path exists, not "/" */
int xst_set_perms(unsigned int view, const char *path, const struct xs_perms *perms);
/* Child names, each NUL-terminated, in creation order; bytes or -XEN_E2BIG. */
int xst_directory(unsigned int view, const char *path, char *out, size_t outlen);

/* End a transaction's view: commit (0, or -XEN_EAGAIN when it cannot apply) or drop it. */
int xst_commit(unsigned int view);
void xst_abort(unsigned int view);

/* The domain is gone: remove every node it owns (with its subtree), forget it in permissions. */
void xst_release_domain(domid_t dom);

/* Free node slots (for tests and diagnostics). */
unsigned int xst_free_nodes(void);

/* ---- xs_watch.c: watches of the guests and of the core ---- */

#define XS_WATCH_TOKEN 64 /* longest token, NUL included */

/*
 * A committed change at `path`. exact: only watches on exactly this path
 * match (the descendants of a removed node); else watches at or above it.
 * perms: the node's permissions when it is gone. Guests' events are queued
 * on their connections, the core's callbacks on the core queue.
 */
void xs_fire(const char *path, bool exact, const struct xs_perms *perms);
/*
 * A guest's WATCH on canonical `path`; its events drop the first `strip`
 * bytes (a relative watch's "/local/domain/<dom>/"). 0, -XEN_EEXIST for the
 * same path and token again, -XEN_E2BIG past the quota or the sizes.
 */
int xs_watch_add(domid_t dom, const char *path, size_t strip, const char *token);
int xs_watch_remove(domid_t dom, const char *path, const char *token); /* 0 or -XEN_ENOENT */
void xs_watch_drop(domid_t dom);
void xs_watch_reset(void);
/* Run the queued core callbacks (not re-entrantly); the events they cause join the queue. */
void xs_watch_run_core(void);

/* ---- xs_request.c: one request, and the transactions ---- */

struct xs_conn;
/* Answer dom's whole request (header, then hdr->len payload bytes) on c. */
void xs_request(struct xs_conn *c, domid_t dom, const struct xsd_sockmsg *hdr, const char *payload);
void xs_tx_drop(domid_t dom); /* every transaction of dom ends, dropped */
void xs_tx_reset(void);

/* ---- xenstore.c: the connections ---- */

/* Queue an answer to req on c: there is always room (a request starts on an empty queue). */
void xs_conn_reply(struct xs_conn *c, const struct xsd_sockmsg *req, uint32_t type,
                   const void *data, uint32_t len);
/*
 * Queue a WATCH_EVENT for dom unless an identical one is waiting unsent;
 * nothing for a domain not served. One that finds no room is dropped (and
 * logged), as xenstored drops events past a domain's memory quota.
 */
void xs_conn_event(domid_t dom, const char *path, const char *token);
/* The connection's next transaction id (xenstored counts per connection, skipping 0). */
uint32_t xs_conn_next_tx_id(struct xs_conn *c);

#endif
