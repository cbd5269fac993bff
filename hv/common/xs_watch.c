/* Xenstore watches: the guests' (events on their rings) and the core's (queued callbacks). */
#include "hv/xenstore.h"
#include "hv/lib.h"
#include "xs_internal.h"

#define XS_MAX_WATCHES 128
#define XS_QUOTA_WATCHES 32 /* per domain; beyond: E2BIG, as xenstored's watch quota */
#define XS_MAX_CORE_WATCHES 32
#define XS_CORE_QUEUE 64
#define XS_CORE_BUDGET 512 /* callbacks per run before a loop that never settles is cut */

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

/* Slots are scanned in order, so events come out in a fixed order for a given history. */
static struct {
    struct xs_watch guest[XS_MAX_WATCHES];
    struct xs_core_watch core[XS_MAX_CORE_WATCHES];
    struct {
        uint8_t watch;
        uint32_t gen;
        char path[XS_NODE_PATH];
    } queue[XS_CORE_QUEUE];
    unsigned int q_head, q_len, q_dropped;
    bool running;
    char prefix[XS_PATH_BUF];
} w;

/* xenstored's watch_permitted: the node (or its parent) must be readable by the watcher. */
static bool permitted(domid_t dom, const char *path, const struct xs_perms *perms)
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

static bool matches(const char *path, bool exact, const char *wpath)
{
    return exact ? !hv_strcmp(path, wpath) : xs_is_child(path, wpath);
}

static void core_queue(unsigned int slot, const char *path)
{
    for (unsigned int i = 0; i < w.q_len; i++) {
        unsigned int k = (w.q_head + i) % XS_CORE_QUEUE;
        if (w.queue[k].watch == slot && w.queue[k].gen == w.core[slot].gen &&
            !hv_strcmp(w.queue[k].path, path))
            return; /* already waiting */
    }
    if (w.q_len == XS_CORE_QUEUE) {
        if (!w.q_dropped++)
            hv_log("xenstore: core watch queue full, dropping the event for %s", path);
        return;
    }
    unsigned int k = (w.q_head + w.q_len++) % XS_CORE_QUEUE;
    w.queue[k].watch = (uint8_t)slot;
    w.queue[k].gen = w.core[slot].gen;
    hv_strlcpy(w.queue[k].path, path, sizeof(w.queue[k].path));
}

void xs_fire(const char *path, bool exact, const struct xs_perms *perms)
{
    for (unsigned int i = 0; i < XS_MAX_WATCHES; i++) {
        struct xs_watch *g = &w.guest[i];
        if (!g->used || !matches(path, exact, g->path) || !permitted(g->dom, path, perms))
            continue;
        xs_conn_event(g->dom, hv_strlen(path) > g->strip ? path + g->strip : path, g->token);
    }
    for (unsigned int i = 0; i < XS_MAX_CORE_WATCHES; i++)
        if (w.core[i].used && matches(path, exact, w.core[i].prefix))
            core_queue(i, path);
}

int xs_watch_add(domid_t dom, const char *path, size_t strip, const char *token)
{
    if (hv_strlen(path) >= XS_NODE_PATH || hv_strlen(token) >= XS_WATCH_TOKEN)
        return -XEN_E2BIG;
    struct xs_watch *slot = NULL;
    unsigned int mine = 0;
    for (unsigned int i = 0; i < XS_MAX_WATCHES; i++) {
        struct xs_watch *g = &w.guest[i];
        if (!g->used) {
            slot = slot ? slot : g;
        } else if (g->dom == dom) {
            if (!hv_strcmp(g->path, path) && !hv_strcmp(g->token, token))
                return -XEN_EEXIST;
            mine++;
        }
    }
    if (!slot || mine >= XS_QUOTA_WATCHES)
        return -XEN_E2BIG;
    slot->used = true;
    slot->dom = dom;
    slot->strip = (uint16_t)strip;
    hv_strlcpy(slot->path, path, sizeof(slot->path));
    hv_strlcpy(slot->token, token, sizeof(slot->token));
    return 0;
}

int xs_watch_remove(domid_t dom, const char *path, const char *token)
{
    for (unsigned int i = 0; i < XS_MAX_WATCHES; i++) {
        struct xs_watch *g = &w.guest[i];
        if (g->used && g->dom == dom && !hv_strcmp(g->path, path) && !hv_strcmp(g->token, token)) {
            g->used = false;
            return 0;
        }
    }
    return -XEN_ENOENT;
}

void xs_watch_drop(domid_t dom)
{
    for (unsigned int i = 0; i < XS_MAX_WATCHES; i++)
        if (w.guest[i].dom == dom)
            w.guest[i].used = false;
}

void xs_watch_reset(void)
{
    for (unsigned int i = 0; i < XS_MAX_WATCHES; i++)
        w.guest[i].used = false;
    for (unsigned int i = 0; i < XS_MAX_CORE_WATCHES; i++)
        w.core[i].used = false;
    w.q_head = w.q_len = w.q_dropped = 0;
    w.running = false;
}

void xs_watch_run_core(void)
{
    if (w.running)
        return;
    w.running = true;
    unsigned int budget = XS_CORE_BUDGET;
    char path[XS_NODE_PATH];
    while (w.q_len) {
        if (!budget--) {
            hv_log("xenstore: core watches did not settle after %u calls, %u events dropped",
                   XS_CORE_BUDGET, w.q_len);
            w.q_len = 0;
            break;
        }
        /* Off the queue first: the callback may queue more (even for this very slot). */
        unsigned int slot = w.queue[w.q_head].watch;
        uint32_t gen = w.queue[w.q_head].gen;
        hv_strlcpy(path, w.queue[w.q_head].path, sizeof(path));
        w.q_head = (w.q_head + 1) % XS_CORE_QUEUE;
        w.q_len--;
        struct xs_core_watch *c = &w.core[slot];
        if (c->used && c->gen == gen)
            c->fn(path, c->ctx);
    }
    w.running = false;
}

int xs_watch_core(const char *prefix, xs_watch_fn fn, void *ctx)
{
    if (!fn || xs_canonical(0, prefix, true, w.prefix, sizeof(w.prefix)) ||
        hv_strlen(w.prefix) >= XS_NODE_PATH)
        return -XEN_EINVAL;
    for (unsigned int i = 0; i < XS_MAX_CORE_WATCHES; i++) {
        struct xs_core_watch *c = &w.core[i];
        if (c->used)
            continue;
        c->used = true;
        c->gen++;
        c->fn = fn;
        c->ctx = ctx;
        hv_strlcpy(c->prefix, w.prefix, sizeof(c->prefix));
        return 0;
    }
    return -XEN_ENOSPC;
}

void xs_unwatch_core(xs_watch_fn fn, void *ctx)
{
    for (unsigned int i = 0; i < XS_MAX_CORE_WATCHES; i++)
        if (w.core[i].used && w.core[i].fn == fn && w.core[i].ctx == ctx)
            w.core[i].used = false;
}
