/* The xenstore daemon's connections: each domain's ring, its life cycle, the core's own calls. */
#include "hv/xenstore.h"
#include "hv/arch.h"
#include "hv/evtchn.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "xs_internal.h"

#define HDR_LEN ((uint32_t)sizeof(struct xsd_sockmsg))
/*
 * Messages waiting for room on a response ring. A request is only started
 * when this is empty, so its answer (at most HDR_LEN + XENSTORE_PAYLOAD_MAX)
 * always fits and the rest is room for watch events; an event that finds no
 * room is dropped and logged, as xenstored drops one over a domain's quota.
 */
#define XS_OUT_BYTES 8192

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

static struct {
    struct xs_conn conns[HV_MAX_DOMAINS]; /* by domid - 1 (domids are slot + 1) */
    unsigned int depth;     /* > 0: inside a store operation; settle() waits for the outermost */
    char path[XS_PATH_BUF]; /* a core call's path */
    char parent[XS_PATH_BUF];
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
    xs_watch_drop(d->domid);
    xs_tx_drop(d->domid);
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

void xs_conn_reply(struct xs_conn *c, const struct xsd_sockmsg *req, uint32_t type,
                   const void *data, uint32_t len)
{
    queue_msg(c, type, req->req_id, req->tx_id, data, len, 0);
}

uint32_t xs_conn_next_tx_id(struct xs_conn *c)
{
    return c->next_tx_id++;
}

void xs_conn_event(domid_t dom, const char *path, const char *token)
{
    struct xs_conn *c = conn_of(dom);
    char ev[XS_NODE_PATH + XS_WATCH_TOKEN];
    size_t pl = hv_strlen(path) + 1, tl = hv_strlen(token) + 1;
    if (!c || !c->introduced || c->broken || pl + tl > sizeof(ev))
        return;
    hv_memcpy(ev, path, pl);
    hv_memcpy(ev + pl, token, tl);
    uint32_t len = (uint32_t)(pl + tl);
    /* As xenstored, the specials are not folded into an identical waiting event. */
    for (uint32_t pos = 0; path[0] != '@' && pos < c->out_len; pos += msg_len_at(c, pos)) {
        struct xsd_sockmsg h;
        hv_memcpy(&h, c->out + pos, HDR_LEN);
        if (pos >= c->out_off && h.type == XS_WATCH_EVENT && h.len == len &&
            !hv_memcmp(c->out + pos + HDR_LEN, ev, len))
            return;
    }
    /* While a request is answered, its reply keeps its room (its events go first, as in xenstored).
     */
    uint32_t reserve = c->serving ? HDR_LEN + XENSTORE_PAYLOAD_MAX : 0;
    if (!queue_msg(c, XS_WATCH_EVENT, 0, 0, ev, len, reserve) && !c->dropped) {
        hv_log("d%u: xenstore: no room for watch events, dropping them", dom);
        c->dropped = true;
    }
}

/* End of an outermost operation: core callbacks, then every guest's pending events. */
static void settle(void)
{
    if (xs.depth)
        return;
    xs.depth++;
    xs_watch_run_core();
    flush_all();
    xs.depth--;
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
        struct xsd_sockmsg h;
        hv_memcpy(&h, c->in, HDR_LEN);
        c->serving = true;
        xs_request(c, d->domid, &h, (const char *)c->in + HDR_LEN);
        c->serving = false;
        c->in_used = 0;
        flush(c, d, ring);
        xs_watch_run_core(); /* after the answer, before the next request */
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
    xs_watch_drop(d->domid);
    xs_tx_drop(d->domid);
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
    xs_watch_drop(d->domid);
    xs_tx_drop(d->domid);
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
    xs.depth = 0;
    xs_watch_reset();
    xs_tx_reset();
    xst_reset();
}

/* ---- the core's own access ---- */

static int core_path(const char *path, bool special)
{
    return xs_canonical(0, path, special, xs.path, sizeof(xs.path));
}

int xs_write(const char *path, const char *value)
{
    int rc = core_path(path, false);
    if (rc)
        return rc;
    xs.depth++;
    rc = xst_write(0, 0, xs.path, value, hv_strlen(value));
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
    struct xs_node *n = xst_lookup(0, xs.path);
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
    if (!hv_strcmp(xs.path, "/"))
        return -XEN_EINVAL;
    if (!xst_lookup(0, xs.path))
        return xst_lookup(0, xs_parent(xs.path, xs.parent, sizeof(xs.parent))) ? 0 : -XEN_ENOENT;
    xs.depth++;
    rc = xst_rm(0, xs.path);
    xs.depth--;
    settle();
    return rc;
}

int xs_set_perms(const char *path, domid_t owner, char dflt, domid_t other, char other_perm)
{
    struct xs_perms perms = {.num = 1};
    int d = xs_perm_from_char(dflt), o = other_perm ? xs_perm_from_char(other_perm) : 0;
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
    rc = xst_set_perms(0, xs.path, &perms);
    xs.depth--;
    settle();
    return rc;
}
