/* Between the xenstore daemon's two halves: the node store (xs_tree.c) and the ring protocol
 * (xenstore.c). */
#ifndef HV_XS_TREE_H
#define HV_XS_TREE_H

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
 * double slash, at most XENSTORE_ABS_PATH_MAX bytes and (for a guest) at
 * most XENSTORE_REL_PATH_MAX bytes below any /local/domain/<n>/.
 * dom 0 is the core: absolute paths only. 0 or -XEN_EINVAL.
 */
int xs_canonical(domid_t dom, const char *in, bool allow_special, char *out, size_t outlen);
const char *xs_parent(const char *path, char *out, size_t outlen);
/* Is child at or below parent ("/" is above everything, as in xenstored's is_child)? */
bool xs_is_child(const char *child, const char *parent);

/* What dom may do with a node: XS_PERM_* bits (the owner and the core may do anything). */
unsigned int xs_perm_for(domid_t dom, const struct xs_perms *perms);
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

/*
 * Provided by xenstore.c: a committed change at `path`. exact: only watches
 * on exactly this path match (the descendants of a removed node); else
 * watches at or above it. perms: the node's permissions when it is gone.
 */
void xs_fire(const char *path, bool exact, const struct xs_perms *perms);

#endif
