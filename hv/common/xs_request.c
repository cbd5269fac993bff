/* Xenstore requests: a guest's message checked and answered as xenstored does, and transactions. */
#include "hv/lib.h"
#include "hv/sched.h"
#include "xs_internal.h"

#define XS_MAX_TX 32
#define XS_QUOTA_TX 8 /* per domain; beyond: ENOSPC, as xenstored's transaction quota */

struct xs_tx {
    bool used;
    domid_t dom;
    uint32_t id; /* the guest's handle; the tree's view is the slot + 1 */
};

static struct {
    struct xs_tx txs[XS_MAX_TX];
    char path[XS_PATH_BUF]; /* the request's canonical path */
    char parent[XS_PATH_BUF];
    char reply[XENSTORE_PAYLOAD_MAX];
} rq;

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
    xs_conn_reply(r->c, &r->hdr, type, data, len);
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

/* Canonical form of a path argument into rq.path. */
static int canon(const struct req *r, const char *in, bool special)
{
    return in ? xs_canonical(r->dom, in, special, rq.path, sizeof(rq.path)) : -XEN_EINVAL;
}

static int do_read(struct req *r)
{
    struct xs_node *n;
    size_t len;
    int rc = canon(r, onearg(r), false);
    if (!rc)
        rc = xst_get(r->view, r->dom, rq.path, XS_PERM_READ, &n);
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
        rc = xst_get(r->view, r->dom, rq.path, XS_PERM_WRITE, &n);
    if (rc == -XEN_ENOENT || !rc)
        rc = xst_write(r->view, r->dom, rq.path, r->payload + off, r->len - off);
    if (!rc)
        ack(r);
    return rc;
}

static int do_mkdir(struct req *r)
{
    struct xs_node *n;
    int rc = canon(r, onearg(r), false);
    if (!rc)
        rc = xst_get(r->view, r->dom, rq.path, XS_PERM_WRITE, &n);
    if (rc == -XEN_ENOENT)
        rc = xst_mkdir(r->view, r->dom, rq.path);
    if (!rc)
        ack(r);
    return rc;
}

static int do_rm(struct req *r)
{
    struct xs_node *n;
    int rc = canon(r, onearg(r), false);
    if (!rc)
        rc = xst_get(r->view, r->dom, rq.path, XS_PERM_WRITE, &n);
    if (rc == -XEN_ENOENT) /* fine if it is already gone, as long as its parent is there */
        rc =
            xst_lookup(r->view, xs_parent(rq.path, rq.parent, sizeof(rq.parent))) ? 0 : -XEN_ENOENT;
    else if (!rc)
        rc = hv_strcmp(rq.path, "/") ? xst_rm(r->view, rq.path) : -XEN_EINVAL;
    if (!rc)
        ack(r);
    return rc;
}

static int do_directory(struct req *r)
{
    struct xs_node *n;
    int rc = canon(r, onearg(r), false);
    if (!rc)
        rc = xst_get(r->view, r->dom, rq.path, XS_PERM_READ, &n);
    if (!rc)
        rc = xst_directory(r->view, rq.path, rq.reply, sizeof(rq.reply));
    if (rc < 0)
        return rc;
    reply(r, XS_DIRECTORY, rq.reply, (uint32_t)rc);
    return 0;
}

static int do_get_perms(struct req *r)
{
    struct xs_node *n;
    int rc = canon(r, onearg(r), true);
    if (!rc)
        rc = xst_get(r->view, r->dom, rq.path, XS_PERM_READ, &n);
    if (!rc)
        rc = xs_perms_format(xst_perms(n), rq.reply, sizeof(rq.reply));
    if (rc < 0)
        return rc;
    reply(r, XS_GET_PERMS, rq.reply, (uint32_t)rc);
    return 0;
}

/* Domain 0 (the core) or a domain that exists now. */
static bool domain_exists(uint32_t id)
{
    return !id || (id <= 0xffff && domain_by_id((domid_t)id));
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
    if (!domain_exists(perms.p[0].id))
        return -XEN_ENOENT;
    unsigned int k = 1;
    for (unsigned int i = 1; i < perms.num; i++)
        if (domain_exists(perms.p[i].id))
            perms.p[k++] = perms.p[i];
    perms.num = (uint8_t)k;
    rc = canon(r, r->payload, true);
    if (!rc)
        rc = xst_get(r->view, r->dom, rq.path, XS_PERM_WRITE | XS_PERM_OWNER, &n);
    if (!rc && perms.p[0].id != xst_perms(n)->p[0].id)
        rc = -XEN_EPERM; /* a guest may not give its node away */
    if (!rc)
        rc = xst_set_perms(r->view, rq.path, &perms);
    if (!rc)
        ack(r);
    return rc;
}

static int do_watch(struct req *r)
{
    if (nr_strings(r) != 2)
        return -XEN_EINVAL;
    const char *token = r->payload + hv_strlen(r->payload) + 1;
    bool relative = r->payload[0] != '/' && r->payload[0] != '@';
    size_t strip = 0;
    int rc = canon(r, r->payload, true);
    if (!rc) {
        strip = relative ? hv_strlen(rq.path) - hv_strlen(r->payload) : 0;
        rc = xs_watch_add(r->dom, rq.path, strip, token);
    }
    if (rc)
        return rc;
    ack(r);
    /* xenstored fires a new watch once straight away, with the path as it was given. */
    xs_conn_event(r->dom, rq.path + strip, token);
    return 0;
}

static int do_unwatch(struct req *r)
{
    if (nr_strings(r) != 2)
        return -XEN_EINVAL;
    const char *token = r->payload + hv_strlen(r->payload) + 1;
    int rc = canon(r, r->payload, true);
    if (!rc)
        rc = xs_watch_remove(r->dom, rq.path, token);
    if (!rc)
        ack(r);
    return rc;
}

static struct xs_tx *find_tx(domid_t dom, uint32_t id)
{
    for (unsigned int i = 0; i < XS_MAX_TX; i++)
        if (rq.txs[i].used && rq.txs[i].dom == dom && rq.txs[i].id == id)
            return &rq.txs[i];
    return NULL;
}

static int do_transaction_start(struct req *r)
{
    if (r->view)
        return -XEN_EBUSY; /* no nested transactions */
    struct xs_tx *slot = NULL;
    unsigned int mine = 0;
    for (unsigned int i = 0; i < XS_MAX_TX; i++) {
        if (!rq.txs[i].used)
            slot = slot ? slot : &rq.txs[i];
        else if (rq.txs[i].dom == r->dom)
            mine++;
    }
    if (!slot || mine >= XS_QUOTA_TX)
        return -XEN_ENOSPC;
    /* As xenstored: the connection's next unused non-zero id. */
    do
        slot->id = xs_conn_next_tx_id(r->c);
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
    rq.txs[r->view - 1].used = false;
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
    int n = hv_snprintf(rq.reply, sizeof(rq.reply), "/local/domain/%u", parse_domid(arg));
    reply(r, XS_GET_DOMAIN_PATH, rq.reply, (uint32_t)n + 1);
    return 0;
}

static int do_reset_watches(struct req *r)
{
    xs_watch_drop(r->dom);
    xs_tx_drop(r->dom);
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
void xs_request(struct xs_conn *c, domid_t dom, const struct xsd_sockmsg *hdr, const char *payload)
{
    struct req r = {.c = c, .dom = dom, .payload = payload, .len = hdr->len};
    hv_memcpy(&r.hdr, hdr, sizeof(r.hdr));
    uint32_t t = r.hdr.type;
    int rc = 0;
    if (t >= ARRAY_SIZE(handlers) || (!handlers[t].fn && !handlers[t].flags)) {
        rc = -XEN_ENOSYS;
    } else if (handlers[t].flags & XS_PRIV) {
        rc = -XEN_EACCES;
    } else if (!(handlers[t].flags & XS_NOTID) && r.hdr.tx_id) {
        struct xs_tx *tx = find_tx(dom, r.hdr.tx_id);
        rc = tx ? 0 : -XEN_ENOENT;
        r.view = tx ? (unsigned int)(tx - rq.txs) + 1 : 0;
    }
    if (!rc)
        rc = handlers[t].fn(&r);
    if (rc)
        reply_error(&r, rc);
}

void xs_tx_drop(domid_t dom)
{
    for (unsigned int i = 0; i < XS_MAX_TX; i++)
        if (rq.txs[i].used && rq.txs[i].dom == dom) {
            xst_abort(i + 1);
            rq.txs[i].used = false;
        }
}

void xs_tx_reset(void)
{
    for (unsigned int i = 0; i < XS_MAX_TX; i++)
        rq.txs[i].used = false;
}
