/* The xenstore daemon's protocol side: each domain's ring, its requests, watches and transactions.
 */
#include "hv/xenstore.h"
#include "hv/arch.h"
#include "hv/evtchn.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "xs_tree.h"

#define HDR_LEN ((uint32_t)sizeof(struct xsd_sockmsg))
/*
 * Messages waiting for room on a response ring. A request is only started
 * when this is empty, so its answer (at most HDR_LEN + XENSTORE_PAYLOAD_MAX)
 * always fits and the rest is room for watch events; an event that finds no
 * room is dropped and logged, as xenstored drops one over a domain's quota.
 */
#define XS_OUT_BYTES 8192
#define XS_MAX_WATCHES 128
#define XS_QUOTA_WATCHES 32 /* per domain; beyond: E2BIG, as xenstored's watch quota */
#define XS_WATCH_TOKEN 64
#define XS_MAX_TX 32
#define XS_QUOTA_TX 8 /* per domain; beyond: ENOSPC, as xenstored's transaction quota */
#define XS_MAX_CORE_WATCHES 32
#define XS_CORE_QUEUE 64
#define XS_CORE_BUDGET 512 /* core callbacks per settle before a loop is cut */

struct xs_conn {
    bool introduced;
    bool broken; /* xenstored's ignore_connection: never served again */
    bool notify; /* bytes moved on its ring since its last notification */
    bool warned; /* one log line for notifies it cannot serve */
    bool dropped;
    bool serving; /* a request is being answered: its reply must still fit */
    uint32_t next_tx_id;
    uint32_t in_used;          /* bytes of the request being read, header first */
    uint32_t out_len, out_off; /* out[0, out_off) is on the ring already */
    uint8_t in[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    uint8_t out[XS_OUT_BYTES];
};

struct xs_watch {
    bool used;
    domid_t dom;
    uint16_t strip; /* a relative watch's events drop "/local/domain/<dom>/" */
    char path[XS_NODE_PATH];
    char token[XS_WATCH_TOKEN];
};

struct xs_core_watch {
    bool used;
    uint32_t gen; /* queued events of an earlier watch in this slot are stale */
    xs_watch_fn fn;
    void *ctx;
    char prefix[XS_NODE_PATH];
};

struct xs_tx {
    bool used;
    domid_t dom;
    uint32_t id; /* the guest's handle; the tree's view is the slot + 1 */
};

static struct {
    struct xs_conn conns[HV_MAX_DOMAINS]; /* by domid - 1 (domids are slot + 1) */
    struct xs_watch watches[XS_MAX_WATCHES];
    struct xs_core_watch core[XS_MAX_CORE_WATCHES];
    struct xs_tx txs[XS_MAX_TX];
    struct {
        uint8_t watch;
        uint32_t gen;
        char path[XS_NODE_PATH];
    } queue[XS_CORE_QUEUE];
    unsigned int q_head, q_len, q_dropped;
    unsigned int depth; /* > 0: inside a store operation; settle() waits for the outermost */
    bool draining;
    char path[XS_PATH_BUF];  /* the request's canonical path */
    char cpath[XS_PATH_BUF]; /* a core call's path */
    char parent[XS_PATH_BUF];
    char reply[XENSTORE_PAYLOAD_MAX];
} xs;

/* ---- rings ---- */

static struct xs_conn *conn_of(domid_t dom)
{
    return dom >= 1 && dom <= HV_MAX_DOMAINS ? &xs.conns[dom - 1] : NULL;
}

/*
 * The ring page, if it is still the domain's and may be written: a frame it
 * gave away, or turned into a page table or descriptor page, is not a ring
 * any more (xenstored could not map it writable either).
 */
static struct xenstore_domain_interface *ring_of(struct domain *d)
{
    if (!mfn_x(d->store_mfn) || !mfn_valid(d->store_mfn))
        return NULL;
    struct page_info *pg = mfn_to_page(d->store_mfn);
    if (pg->owner != d->domid || (pg->type_count && pg->type != PGT_writable))
        return NULL;
    return arch_mfn_to_virt(d->store_mfn);
}

static void drop_watches(domid_t dom)
{
    for (unsigned int i = 0; i < XS_MAX_WATCHES; i++)
        if (xs.watches[i].used && xs.watches[i].dom == dom)
            xs.watches[i].used = false;
}

static void drop_transactions(domid_t dom)
{
    for (unsigned int i = 0; i < XS_MAX_TX; i++)
        if (xs.txs[i].used && xs.txs[i].dom == dom) {
            xst_abort(i + 1);
            xs.txs[i].used = false;
        }
}

static void conn_clear(struct xs_conn *c)
{
    c->introduced = c->broken = c->notify = c->warned = c->dropped = c->serving = false;
    c->next_tx_id = c->in_used = c->out_len = c->out_off = 0;
}

static void conn_break(struct xs_conn *c, struct domain *d, struct xenstore_domain_interface *ring,
                       uint32_t err, const char *why, uint32_t a, uint32_t b)
{
    hv_log("d%u: xenstore: %s (%u, %u): connection closed, ring error %u", d->domid, why, a, b,
           err);
    ring->error = err;
    drop_watches(d->domid);
    drop_transactions(d->domid);
    bool introduced = c->introduced;
    conn_clear(c);
    c->introduced = introduced;
    c->broken = true;
}

/* Up to len request bytes; -1 if the indices are inconsistent. */
static int ring_read(struct xenstore_domain_interface *ring, uint8_t *dst, uint32_t len,
                     uint32_t *cons_out, uint32_t *prod_out)
{
    uint32_t cons = __atomic_load_n(&ring->req_cons, __ATOMIC_RELAXED);
    uint32_t prod = __atomic_load_n(&ring->req_prod, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* indices before the data */
    *cons_out = cons;
    *prod_out = prod;
    if (prod - cons > XENSTORE_RING_SIZE)
        return -1;
    uint32_t n = MIN(len, prod - cons);
    for (uint32_t i = 0; i < n; i++)
        dst[i] = (uint8_t)ring->req[MASK_XENSTORE_IDX(cons + i)];
    __atomic_thread_fence(__ATOMIC_RELEASE); /* data taken before the index moves */
    __atomic_store_n(&ring->req_cons, cons + n, __ATOMIC_RELAXED);
    return (int)n;
}

/* 1: a whole request is in c->in; 0: not yet; -1: the connection broke. */
static int read_request(struct xs_conn *c, struct domain *d, struct xenstore_domain_interface *ring)
{
    for (;;) {
        uint32_t want = HDR_LEN - c->in_used;
        if (c->in_used >= HDR_LEN) {
            struct xsd_sockmsg h;
            hv_memcpy(&h, c->in, HDR_LEN);
            if (h.len > XENSTORE_PAYLOAD_MAX) {
                conn_break(c, d, ring, XENSTORE_ERROR_PROTO, "payload too long", h.type, h.len);
                return -1;
            }
            if (c->in_used == HDR_LEN + h.len)
                return 1;
            want = HDR_LEN + h.len - c->in_used;
        }
        uint32_t cons, prod;
        int n = ring_read(ring, c->in + c->in_used, want, &cons, &prod);
        if (n < 0) {
            conn_break(c, d, ring, XENSTORE_ERROR_RINGIDX, "bad request ring indices", cons, prod);
            return -1;
        }
        if (!n)
            return 0;
        c->in_used += (uint32_t)n;
        c->notify = true;
    }
}

static uint32_t msg_len_at(const struct xs_conn *c, uint32_t pos)
{
    struct xsd_sockmsg h;
    hv_memcpy(&h, c->out + pos, HDR_LEN);
    return HDR_LEN + h.len;
}

/* Write what fits of c's pending messages on its response ring. */
static void flush(struct xs_conn *c, struct domain *d, struct xenstore_domain_interface *ring)
{
    if (c->broken || c->out_off == c->out_len)
        return;
    uint32_t cons = __atomic_load_n(&ring->rsp_cons, __ATOMIC_RELAXED);
    uint32_t prod = __atomic_load_n(&ring->rsp_prod, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (prod - cons > XENSTORE_RING_SIZE) {
        conn_break(c, d, ring, XENSTORE_ERROR_RINGIDX, "bad response ring indices", cons, prod);
        return;
    }
    uint32_t n = MIN(XENSTORE_RING_SIZE - (prod - cons), c->out_len - c->out_off);
    for (uint32_t i = 0; i < n; i++)
        ring->rsp[MASK_XENSTORE_IDX(prod + i)] = (char)c->out[c->out_off + i];
    __atomic_thread_fence(__ATOMIC_RELEASE); /* data before the index */
    __atomic_store_n(&ring->rsp_prod, prod + n, __ATOMIC_RELAXED);
    if (!n)
        return;
    c->out_off += n;
    c->notify = true;
    /* Forget the messages written out whole, keeping the buffer message-aligned. */
    uint32_t done = 0;
    while (done < c->out_len && done + msg_len_at(c, done) <= c->out_off)
        done += msg_len_at(c, done);
    for (uint32_t i = done; i < c->out_len; i++)
        c->out[i - done] = c->out[i];
    c->out_len -= done;
    c->out_off -= done;
}

static void notify(struct xs_conn *c, struct domain *d)
{
    if (!c->notify)
        return;
    c->notify = false;
    /* The guest may have closed its end of the store port. */
    if (evtchn_backend_bound(d, d->store_port, EVB_XENSTORE))
        evtchn_backend_send(d, d->store_port);
}

static void flush_all(void)
{
    for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct xs_conn *c = &xs.conns[i];
        struct domain *d = domain_by_id((domid_t)(i + 1));
        if (!c->introduced || c->broken || !d)
            continue;
        struct xenstore_domain_interface *ring = ring_of(d);
        if (ring)
            flush(c, d, ring);
        notify(c, d);
    }
}

/* Append a message if it leaves `reserve` bytes free; false if not. */
static bool queue_msg(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                      const void *data, uint32_t len, uint32_t reserve)
{
    if (c->out_len + HDR_LEN + len + reserve > XS_OUT_BYTES)
        return false;
    struct xsd_sockmsg h = {.type = type, .req_id = req_id, .tx_id = tx_id, .len = len};
    hv_memcpy(c->out + c->out_len, &h, HDR_LEN);
    hv_memcpy(c->out + c->out_len + HDR_LEN, data, len);
    c->out_len += HDR_LEN + len;
    return true;
}

/* A WATCH_EVENT "<path>\0<token>\0"; an identical one not yet started is not sent twice. */
static void queue_event(struct xs_conn *c, domid_t dom, const char *path, const char *token)
{
    char ev[XS_NODE_PATH + XS_WATCH_TOKEN];
    size_t pl = hv_strlen(path) + 1, tl = hv_strlen(token) + 1;
    if (pl + tl > sizeof(ev))
        return;
    hv_memcpy(ev, path, pl);
    hv_memcpy(ev + pl, token, tl);
    uint32_t len = (uint32_t)(pl + tl);
    for (uint32_t pos = 0; path[0] != '@' && pos < c->out_len; pos += msg_len_at(c, pos)) {
        struct xsd_sockmsg h;
        hv_memcpy(&h, c->out + pos, HDR_LEN);
        if (pos >= c->out_off && h.type == XS_WATCH_EVENT && h.len == len &&
            !hv_memcmp(c->out + pos + HDR_LEN, ev, len))
            return;
    }
    /* While a request is answered, its reply keeps its room (events come first, as in xenstored).
     */
    uint32_t reserve = c->serving ? HDR_LEN + XENSTORE_PAYLOAD_MAX : 0;
    if (!queue_msg(c, XS_WATCH_EVENT, 0, 0, ev, len, reserve) && !c->dropped) {
        hv_log("d%u: xenstore: no room for watch events, dropping them", dom);
        c->dropped = true;
    }
}

/* ---- watches ---- */

/* xenstored's watch_permitted: the node (or its parent) must be readable by the watcher. */
static bool watch_permitted(domid_t dom, const char *path, const struct xs_perms *perms)
{
    char parent[XS_NODE_PATH];
    if (perms && (xs_perm_for(dom, perms) & XS_PERM_READ))
        return true;
    struct xs_node *n = xst_lookup(0, path);
    if (!n && !perms)
        return false;
    if (n && (xs_perm_for(dom, xst_perms(n)) & XS_PERM_READ))
        return true;
    n = xst_lookup(0, xs_parent(path, parent, sizeof(parent)));
    return n && (xs_perm_for(dom, xst_perms(n)) & XS_PERM_READ);
}

static void core_queue(unsigned int slot, const char *path)
{
    for (unsigned int i = 0; i < xs.q_len; i++) {
        unsigned int k = (xs.q_head + i) % XS_CORE_QUEUE;
        if (xs.queue[k].watch == slot && xs.queue[k].gen == xs.core[slot].gen &&
            !hv_strcmp(xs.queue[k].path, path))
            return;
    }
    if (xs.q_len == XS_CORE_QUEUE) {
        if (!xs.q_dropped++)
            hv_log("xenstore: core watch queue full, dropping the event for %s", path);
        return;
    }
    unsigned int k = (xs.q_head + xs.q_len++) % XS_CORE_QUEUE;
    xs.queue[k].watch = (uint8_t)slot;
    xs.queue[k].gen = xs.core[slot].gen;
    hv_strlcpy(xs.queue[k].path, path, sizeof(xs.queue[k].path));
}

static bool watch_matches(const char *path, bool exact, const char *wpath)
{
    return exact ? !hv_strcmp(path, wpath) : xs_is_child(path, wpath);
}

void xs_fire(const char *path, bool exact, const struct xs_perms *perms)
{
    for (unsigned int i = 0; i < XS_MAX_WATCHES; i++) {
        struct xs_watch *w = &xs.watches[i];
        struct xs_conn *c = w->used ? conn_of(w->dom) : NULL;
        if (!c || c->broken || !watch_matches(path, exact, w->path) ||
            !watch_permitted(w->dom, path, perms))
            continue;
        queue_event(c, w->dom, hv_strlen(path) > w->strip ? path + w->strip : path, w->token);
    }
    for (unsigned int i = 0; i < XS_MAX_CORE_WATCHES; i++)
        if (xs.core[i].used && watch_matches(path, exact, xs.core[i].prefix))
            core_queue(i, path);
}

/* Run queued core callbacks; those they cause join the queue, up to a budget. */
static void run_core_watches(void)
{
    if (xs.draining)
        return;
    xs.draining = true;
    unsigned int budget = XS_CORE_BUDGET;
    char path[XS_NODE_PATH];
    while (xs.q_len) {
        if (!budget--) {
            hv_log("xenstore: core watches did not settle after %u calls, %u events dropped",
                   XS_CORE_BUDGET, xs.q_len);
            xs.q_len = 0;
            break;
        }
        unsigned int slot = xs.queue[xs.q_head].watch;
        uint32_t gen = xs.queue[xs.q_head].gen;
        hv_strlcpy(path, xs.queue[xs.q_head].path, sizeof(path));
        xs.q_head = (xs.q_head + 1) % XS_CORE_QUEUE;
        xs.q_len--;
        struct xs_core_watch *w = &xs.core[slot];
        if (w->used && w->gen == gen)
            w->fn(path, w->ctx);
    }
    xs.draining = false;
}

/* End of an outermost operation: core callbacks, then every guest's pending events. */
static void settle(void)
{
    if (xs.depth)
        return;
    xs.depth++;
    run_core_watches();
    flush_all();
    xs.depth--;
}

/* ---- requests ---- */

struct req {
    struct xs_conn *c;
    domid_t dom;
    unsigned int view; /* the transaction's view of the tree, 0 for none */
    struct xsd_sockmsg hdr;
    const char *payload;
    uint32_t len;
};

static void reply(struct req *r, uint32_t type, const void *data, uint32_t len)
{
    queue_msg(r->c, type, r->hdr.req_id, r->hdr.tx_id, data, len, 0);
}

static void ack(struct req *r)
{
    reply(r, r->hdr.type, "OK", 3);
}

static void reply_error(struct req *r, int err)
{
    static const struct {
        int err;
        const char *name;
    } names[] = {
        {XEN_EINVAL, "EINVAL"}, {XEN_EACCES, "EACCES"}, {XEN_EEXIST, "EEXIST"},
        {XEN_ENOENT, "ENOENT"}, {XEN_ENOMEM, "ENOMEM"}, {XEN_ENOSPC, "ENOSPC"},
        {XEN_EIO, "EIO"},       {XEN_ENOSYS, "ENOSYS"}, {XEN_EBUSY, "EBUSY"},
        {XEN_EAGAIN, "EAGAIN"}, {XEN_E2BIG, "E2BIG"},   {XEN_EPERM, "EPERM"},
    };
    const char *name = "EINVAL"; /* xenstored's answer for an error it cannot name */
    for (unsigned int i = 0; i < ARRAY_SIZE(names); i++)
        if (names[i].err == -err)
            name = names[i].name;
    reply(r, XS_ERROR, name, (uint32_t)hv_strlen(name) + 1);
}

/* How many strings the payload holds (xenstored counts its NULs). */
static unsigned int nr_strings(const struct req *r)
{
    unsigned int n = 0;
    for (uint32_t i = 0; i < r->len; i++)
        n += !r->payload[i];
    return n;
}

/* The payload as exactly one string, NULL otherwise (xenstored's onearg). */
static const char *onearg(const struct req *r)
{
    return r->len && nr_strings(r) == 1 && !r->payload[r->len - 1] ? r->payload : NULL;
}

/* Canonical form of a path argument into xs.path. */
static int canon(const struct req *r, const char *in, bool special)
{
    return in ? xs_canonical(r->dom, in, special, xs.path, sizeof(xs.path)) : -XEN_EINVAL;
}

static int do_read(struct req *r)
{
    struct xs_node *n;
    size_t len;
    int rc = canon(r, onearg(r), false);
    if (!rc)
        rc = xst_get(r->view, r->dom, xs.path, XS_PERM_READ, &n);
    if (!rc) {
        const char *v = xst_value(n, &len);
        reply(r, XS_READ, v, (uint32_t)len);
    }
    return rc;
}

static int do_write(struct req *r)
{
    struct xs_node *n;
    if (!nr_strings(r))
        return -XEN_EINVAL;
    size_t off = hv_strlen(r->payload) + 1;
    int rc = canon(r, r->payload, false);
    if (!rc)
        rc = xst_get(r->view, r->dom, xs.path, XS_PERM_WRITE, &n);
    if (rc == -XEN_ENOENT || !rc)
        rc = xst_write(r->view, r->dom, xs.path, r->payload + off, r->len - off);
    if (!rc)
        ack(r);
    return rc;
}

static int do_mkdir(struct req *r)
{
    struct xs_node *n;
    int rc = canon(r, onearg(r), false);
    if (!rc)
        rc = xst_get(r->view, r->dom, xs.path, XS_PERM_WRITE, &n);
    if (rc == -XEN_ENOENT)
        rc = xst_mkdir(r->view, r->dom, xs.path);
    if (!rc)
        ack(r);
    return rc;
}

static int do_rm(struct req *r)
{
    struct xs_node *n;
    int rc = canon(r, onearg(r), false);
    if (!rc)
        rc = xst_get(r->view, r->dom, xs.path, XS_PERM_WRITE, &n);
    if (rc == -XEN_ENOENT) /* fine if it is already gone, as long as its parent is there */
        rc =
            xst_lookup(r->view, xs_parent(xs.path, xs.parent, sizeof(xs.parent))) ? 0 : -XEN_ENOENT;
    else if (!rc)
        rc = hv_strcmp(xs.path, "/") ? xst_rm(r->view, xs.path) : -XEN_EINVAL;
    if (!rc)
        ack(r);
    return rc;
}

static int do_directory(struct req *r)
{
    struct xs_node *n;
    int rc = canon(r, onearg(r), false);
    if (!rc)
        rc = xst_get(r->view, r->dom, xs.path, XS_PERM_READ, &n);
    if (!rc)
        rc = xst_directory(r->view, xs.path, xs.reply, sizeof(xs.reply));
    if (rc < 0)
        return rc;
    reply(r, XS_DIRECTORY, xs.reply, (uint32_t)rc);
    return 0;
}

static int do_get_perms(struct req *r)
{
    struct xs_node *n;
    int rc = canon(r, onearg(r), true);
    if (!rc)
        rc = xst_get(r->view, r->dom, xs.path, XS_PERM_READ, &n);
    if (!rc)
        rc = xs_perms_format(xst_perms(n), xs.reply, sizeof(xs.reply));
    if (rc < 0)
        return rc;
    reply(r, XS_GET_PERMS, xs.reply, (uint32_t)rc);
    return 0;
}

static int do_set_perms(struct req *r)
{
    struct xs_perms perms;
    struct xs_node *n;
    unsigned int num = nr_strings(r);
    if (num < 2)
        return -XEN_EINVAL;
    if (num - 1 > XS_MAX_PERMS) /* xenstored's node-permissions quota */
        return -XEN_ENOSPC;
    int rc = xs_perms_parse(r->payload + hv_strlen(r->payload) + 1, num - 1, &perms);
    if (rc)
        return rc;
    /*
     * xenstored ignores entries for domains that do not exist (so a later
     * domain with that id does not inherit them) and refuses such an owner.
     */
    if (perms.p[0].id && !domain_by_id((domid_t)perms.p[0].id))
        return -XEN_ENOENT;
    unsigned int k = 1;
    for (unsigned int i = 1; i < perms.num; i++)
        if (!perms.p[i].id || domain_by_id((domid_t)perms.p[i].id))
            perms.p[k++] = perms.p[i];
    perms.num = (uint8_t)k;
    rc = canon(r, r->payload, true);
    if (!rc)
        rc = xst_get(r->view, r->dom, xs.path, XS_PERM_WRITE | XS_PERM_OWNER, &n);
    if (!rc && perms.p[0].id != xst_perms(n)->p[0].id)
        rc = -XEN_EPERM; /* a guest may not give its node away */
    if (!rc)
        rc = xst_set_perms(r->view, xs.path, &perms);
    if (!rc)
        ack(r);
    return rc;
}

static int do_watch(struct req *r)
{
    if (nr_strings(r) != 2)
        return -XEN_EINVAL;
    const char *token = r->payload + hv_strlen(r->payload) + 1;
    int rc = canon(r, r->payload, true);
    if (rc)
        return rc;
    if (hv_strlen(xs.path) >= XS_NODE_PATH || hv_strlen(token) >= XS_WATCH_TOKEN)
        return -XEN_E2BIG;
    struct xs_watch *slot = NULL;
    unsigned int mine = 0;
    for (unsigned int i = 0; i < XS_MAX_WATCHES; i++) {
        struct xs_watch *w = &xs.watches[i];
        if (!w->used) {
            slot = slot ? slot : w;
            continue;
        }
        if (w->dom != r->dom)
            continue;
        if (!hv_strcmp(w->path, xs.path) && !hv_strcmp(w->token, token))
            return -XEN_EEXIST;
        mine++;
    }
    if (!slot || mine >= XS_QUOTA_WATCHES)
        return -XEN_E2BIG;
    slot->used = true;
    slot->dom = r->dom;
    bool relative = r->payload[0] != '/' && r->payload[0] != '@';
    slot->strip = relative ? (uint16_t)(hv_strlen(xs.path) - hv_strlen(r->payload)) : 0;
    hv_strlcpy(slot->path, xs.path, sizeof(slot->path));
    hv_strlcpy(slot->token, token, sizeof(slot->token));
    ack(r);
    /* xenstored fires a new watch once at once, with the path as it was given. */
    queue_event(r->c, r->dom, slot->path + slot->strip, slot->token);
    return 0;
}

static int do_unwatch(struct req *r)
{
    if (nr_strings(r) != 2)
        return -XEN_EINVAL;
    const char *token = r->payload + hv_strlen(r->payload) + 1;
    int rc = canon(r, r->payload, true);
    if (rc)
        return rc;
    for (unsigned int i = 0; i < XS_MAX_WATCHES; i++) {
        struct xs_watch *w = &xs.watches[i];
        if (w->used && w->dom == r->dom && !hv_strcmp(w->path, xs.path) &&
            !hv_strcmp(w->token, token)) {
            w->used = false;
            ack(r);
            return 0;
        }
    }
    return -XEN_ENOENT;
}

static struct xs_tx *find_tx(domid_t dom, uint32_t id)
{
    for (unsigned int i = 0; i < XS_MAX_TX; i++)
        if (xs.txs[i].used && xs.txs[i].dom == dom && xs.txs[i].id == id)
            return &xs.txs[i];
    return NULL;
}

static int do_transaction_start(struct req *r)
{
    if (r->view)
        return -XEN_EBUSY; /* no nested transactions */
    struct xs_tx *slot = NULL;
    unsigned int mine = 0;
    for (unsigned int i = 0; i < XS_MAX_TX; i++) {
        if (!xs.txs[i].used)
            slot = slot ? slot : &xs.txs[i];
        else if (xs.txs[i].dom == r->dom)
            mine++;
    }
    if (!slot || mine >= XS_QUOTA_TX)
        return -XEN_ENOSPC;
    /* As xenstored: the connection's next unused non-zero id. */
    do
        slot->id = r->c->next_tx_id++;
    while (!slot->id || find_tx(r->dom, slot->id));
    slot->used = true;
    slot->dom = r->dom;
    char id[12];
    int n = hv_snprintf(id, sizeof(id), "%u", slot->id);
    reply(r, XS_TRANSACTION_START, id, (uint32_t)n + 1);
    return 0;
}

static int do_transaction_end(struct req *r)
{
    const char *arg = onearg(r);
    if (!arg || (hv_strcmp(arg, "T") && hv_strcmp(arg, "F")))
        return -XEN_EINVAL;
    if (!r->view)
        return -XEN_ENOENT;
    xs.txs[r->view - 1].used = false;
    int rc = 0;
    if (arg[0] == 'T')
        rc = xst_commit(r->view);
    if (arg[0] == 'F' || rc)
        xst_abort(r->view);
    if (!rc)
        ack(r);
    return rc;
}

static uint32_t parse_domid(const char *s)
{
    /* atoi, as xenstored: leading digits, the rest ignored ("-1" wraps as %u prints it). */
    bool neg = *s == '-';
    uint32_t v = 0;
    if (*s == '-' || *s == '+')
        s++;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint32_t)(*s - '0');
    return neg ? 0u - v : v;
}

static int do_get_domain_path(struct req *r)
{
    const char *arg = onearg(r);
    if (!arg)
        return -XEN_EINVAL;
    int n = hv_snprintf(xs.reply, sizeof(xs.reply), "/local/domain/%u", parse_domid(arg));
    reply(r, XS_GET_DOMAIN_PATH, xs.reply, (uint32_t)n + 1);
    return 0;
}

static int do_reset_watches(struct req *r)
{
    drop_watches(r->dom);
    drop_transactions(r->dom);
    ack(r);
    return 0;
}

#define XS_NOTID 1u /* the header's tx_id is ignored */
#define XS_PRIV 2u  /* only for a privileged domain: every guest here gets EACCES */

static const struct {
    int (*fn)(struct req *r);
    uint8_t flags;
} handlers[] = {
    [XS_CONTROL] = {NULL, XS_PRIV},
    [XS_DIRECTORY] = {do_directory, 0},
    [XS_READ] = {do_read, 0},
    [XS_GET_PERMS] = {do_get_perms, 0},
    [XS_WATCH] = {do_watch, XS_NOTID},
    [XS_UNWATCH] = {do_unwatch, XS_NOTID},
    [XS_TRANSACTION_START] = {do_transaction_start, 0},
    [XS_TRANSACTION_END] = {do_transaction_end, 0},
    [XS_INTRODUCE] = {NULL, XS_PRIV},
    [XS_RELEASE] = {NULL, XS_PRIV},
    [XS_GET_DOMAIN_PATH] = {do_get_domain_path, 0},
    [XS_WRITE] = {do_write, 0},
    [XS_MKDIR] = {do_mkdir, 0},
    [XS_RM] = {do_rm, 0},
    [XS_SET_PERMS] = {do_set_perms, 0},
    [XS_IS_DOMAIN_INTRODUCED] = {NULL, XS_PRIV},
    [XS_RESUME] = {NULL, XS_PRIV},
    [XS_SET_TARGET] = {NULL, XS_PRIV},
    [XS_RESET_WATCHES] = {do_reset_watches, 0},
};

/* xenstored's process_message: unknown, then privilege, then transaction, then the request. */
static void process(struct xs_conn *c, struct domain *d)
{
    struct req r = {.c = c, .dom = d->domid, .payload = (const char *)c->in + HDR_LEN};
    hv_memcpy(&r.hdr, c->in, HDR_LEN);
    r.len = r.hdr.len;
    int rc;
    uint32_t t = r.hdr.type;
    if (t >= ARRAY_SIZE(handlers) || (!handlers[t].fn && !handlers[t].flags)) {
        rc = -XEN_ENOSYS;
    } else if (handlers[t].flags & XS_PRIV) {
        rc = -XEN_EACCES;
    } else if (!(handlers[t].flags & XS_NOTID) && r.hdr.tx_id) {
        struct xs_tx *tx = find_tx(r.dom, r.hdr.tx_id);
        rc = tx ? 0 : -XEN_ENOENT;
        r.view = tx ? (unsigned int)(tx - xs.txs) + 1 : 0;
    } else {
        rc = 0;
    }
    c->serving = true;
    if (!rc)
        rc = handlers[t].fn(&r);
    if (rc)
        reply_error(&r, rc);
    c->serving = false;
}

void xs_ring_notify(struct domain *d)
{
    struct xs_conn *c = conn_of(d->domid);
    if (!c || c->broken)
        return;
    struct xenstore_domain_interface *ring = c->introduced ? ring_of(d) : NULL;
    if (!ring) {
        if (!c->warned)
            hv_log("d%u: xenstore: notify without a usable store ring", d->domid);
        c->warned = true;
        return;
    }
    xs.depth++;
    for (;;) {
        flush(c, d, ring);
        if (!c->introduced || c->broken || c->out_len)
            break;
        if (read_request(c, d, ring) <= 0)
            break;
        process(c, d);
        c->in_used = 0;
        flush(c, d, ring);
        run_core_watches(); /* after the answer, before the next request */
    }
    xs.depth--;
    settle();
}

/* ---- domains ---- */

int xs_domain_introduce(struct domain *d)
{
    struct xs_conn *c = conn_of(d->domid);
    if (!c)
        return -XEN_EINVAL;
    char home[32], path[48], val[16];
    struct xs_perms own = {.num = 1, .p = {{d->domid, XS_PERM_NONE}}};
    struct xs_perms ro = {.num = 2, .p = {{0, XS_PERM_NONE}, {d->domid, XS_PERM_READ}}};
    xs.depth++;
    drop_watches(d->domid);
    drop_transactions(d->domid);
    conn_clear(c);
    hv_snprintf(home, sizeof(home), "/local/domain/%u", d->domid);
    if (xst_lookup(0, home)) /* a stale one: xl removes it first too */
        xst_rm(0, home);
    int rc = xst_mkdir(0, 0, home);
    if (!rc)
        rc = xst_set_perms(0, home, &own);
    hv_snprintf(path, sizeof(path), "%s/domid", home);
    hv_snprintf(val, sizeof(val), "%u", d->domid);
    if (!rc)
        rc = xst_write(0, 0, path, val, hv_strlen(val));
    if (!rc)
        rc = xst_set_perms(0, path, &ro);
    hv_snprintf(path, sizeof(path), "%s/name", home);
    if (!rc)
        rc = xst_write(0, 0, path, d->name, hv_strlen(d->name));
    if (!rc)
        rc = xst_set_perms(0, path, &ro);
    struct xenstore_domain_interface *ring = ring_of(d);
    if (!rc) {
        c->introduced = true;
        if (ring)
            ring->server_features |= XENSTORE_SERVER_FEATURE_ERROR;
        xs_fire("@introduceDomain", true, NULL);
    }
    xs.depth--;
    settle();
    return rc;
}

void xs_domain_release(struct domain *d)
{
    struct xs_conn *c = conn_of(d->domid);
    bool introduced = c && c->introduced;
    char home[32];
    xs.depth++;
    /* Its watches go first: no events for its own nodes going away (xenstored's do_release). */
    drop_watches(d->domid);
    drop_transactions(d->domid);
    if (c)
        conn_clear(c);
    hv_snprintf(home, sizeof(home), "/local/domain/%u", d->domid);
    if (xst_lookup(0, home))
        xst_rm(0, home);
    xst_release_domain(d->domid);
    if (introduced)
        xs_fire("@releaseDomain", true, NULL);
    xs.depth--;
    settle();
}

void xs_reset(void)
{
    for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++)
        conn_clear(&xs.conns[i]);
    for (unsigned int i = 0; i < XS_MAX_WATCHES; i++)
        xs.watches[i].used = false;
    for (unsigned int i = 0; i < XS_MAX_CORE_WATCHES; i++)
        xs.core[i].used = false;
    for (unsigned int i = 0; i < XS_MAX_TX; i++)
        xs.txs[i].used = false;
    xs.q_head = xs.q_len = xs.q_dropped = 0;
    xs.depth = 0;
    xs.draining = false;
    xst_reset();
}

/* ---- the core's own access ---- */

static int core_path(const char *path, bool special)
{
    return xs_canonical(0, path, special, xs.cpath, sizeof(xs.cpath));
}

int xs_write(const char *path, const char *value)
{
    int rc = core_path(path, false);
    if (rc)
        return rc;
    xs.depth++;
    rc = xst_write(0, 0, xs.cpath, value, hv_strlen(value));
    xs.depth--;
    settle();
    return rc;
}

int xs_printf(const char *path, const char *fmt, ...)
{
    char val[XS_NODE_VALUE + 1];
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    return n > XS_NODE_VALUE ? -XEN_ENOSPC : xs_write(path, val);
}

int xs_read(const char *path, char *buf, size_t len)
{
    int rc = core_path(path, false);
    if (rc)
        return rc;
    struct xs_node *n = xst_lookup(0, xs.cpath);
    if (!n)
        return -XEN_ENOENT;
    size_t vlen;
    const char *v = xst_value(n, &vlen);
    if (vlen + 1 > len)
        return -XEN_E2BIG;
    hv_memcpy(buf, v, vlen);
    buf[vlen] = '\0';
    return (int)vlen;
}

int xs_rm(const char *path)
{
    int rc = core_path(path, false);
    if (rc)
        return rc;
    if (!hv_strcmp(xs.cpath, "/"))
        return -XEN_EINVAL;
    if (!xst_lookup(0, xs.cpath))
        return xst_lookup(0, xs_parent(xs.cpath, xs.parent, sizeof(xs.parent))) ? 0 : -XEN_ENOENT;
    xs.depth++;
    rc = xst_rm(0, xs.cpath);
    xs.depth--;
    settle();
    return rc;
}

static int perm_bits(char c)
{
    switch (c) {
    case 'n':
        return XS_PERM_NONE;
    case 'r':
        return XS_PERM_READ;
    case 'w':
        return XS_PERM_WRITE;
    case 'b':
        return XS_PERM_READ | XS_PERM_WRITE;
    default:
        return -1;
    }
}

int xs_set_perms(const char *path, domid_t owner, char dflt, domid_t other, char other_perm)
{
    struct xs_perms perms = {.num = 1};
    int d = perm_bits(dflt), o = other_perm ? perm_bits(other_perm) : 0;
    int rc = core_path(path, true);
    if (rc || d < 0 || o < 0)
        return -XEN_EINVAL;
    perms.p[0].id = owner;
    perms.p[0].perm = (uint8_t)d;
    if (other_perm) {
        perms.p[1].id = other;
        perms.p[1].perm = (uint8_t)o;
        perms.num = 2;
    }
    xs.depth++;
    rc = xst_set_perms(0, xs.cpath, &perms);
    xs.depth--;
    settle();
    return rc;
}

int xs_watch_core(const char *prefix, xs_watch_fn fn, void *ctx)
{
    if (!fn || core_path(prefix, true) || hv_strlen(xs.cpath) >= XS_NODE_PATH)
        return -XEN_EINVAL;
    for (unsigned int i = 0; i < XS_MAX_CORE_WATCHES; i++) {
        struct xs_core_watch *w = &xs.core[i];
        if (w->used)
            continue;
        w->used = true;
        w->gen++;
        w->fn = fn;
        w->ctx = ctx;
        hv_strlcpy(w->prefix, xs.cpath, sizeof(w->prefix));
        return 0;
    }
    return -XEN_ENOSPC;
}

void xs_unwatch_core(xs_watch_fn fn, void *ctx)
{
    for (unsigned int i = 0; i < XS_MAX_CORE_WATCHES; i++)
        if (xs.core[i].used && xs.core[i].fn == fn && xs.core[i].ctx == ctx)
            xs.core[i].used = false;
}
