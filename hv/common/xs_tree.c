/* The xenstore node store: a static pool of nodes keyed by path, transactions as overlays on it. */
#include "xs_internal.h"
#include "hv/lib.h"

/*
 * Nodes refer to each other only by path (no pointers, no child lists), so
 * a full pool or a bad request can make an operation fail but can never
 * leave a dangling link. Invariant of the committed tree (tx == 0): every
 * node's parent exists; "/" always exists. The specials ("@introduceDomain",
 * "@releaseDomain") are nodes outside the tree that only carry permissions.
 *
 * A transaction T sees the committed tree through its own nodes (tx == T):
 *   - a copy of a path T wrote (or created) replaces the committed node;
 *   - XN_DELETED: the path is gone in T (a whiteout);
 *   - XN_OPAQUE: committed nodes below the path are hidden, because T
 *     removed it (and may have written it again);
 *   - XN_FIRE: T changed the path; watches fire when T commits.
 * Commit applies removals (outermost first), then copies (outermost first).
 */
#define XN_DELETED 1u
#define XN_OPAQUE 2u
#define XN_FIRE 4u

struct xs_node {
    bool used;
    uint8_t flags;
    uint16_t tx;
    uint32_t hash; /* FNV-1a of path: cheap to compare first */
    uint32_t seq;  /* creation order, which DIRECTORY lists children in */
    uint32_t voff; /* the value: arena[voff, voff + vlen) */
    uint16_t vlen;
    struct xs_perms perms;
    char path[XS_NODE_PATH];
};

/*
 * Values live in one arena, allocated at its top; a freed value leaves a
 * hole until an allocation that does not fit compacts the arena (values
 * keep their order, so compaction only moves bytes down).
 */
static struct {
    struct xs_node nodes[XS_MAX_NODES];
    unsigned int nr_free;
    uint32_t next_seq;
    uint32_t arena_top, arena_live;
    uint16_t list[XS_MAX_NODES]; /* scratch for sorting (the core is single-threaded) */
    char parent[XS_PATH_BUF];    /* scratch for xst_get's walk up */
    char arena[XS_VALUE_ARENA];
} st;

/* ---- paths ---- */

/* Cut path to its parent in place ("/" and the specials have "/" as parent). */
static void to_parent(char *path)
{
    char *slash = NULL;
    for (char *p = path + (path[0] != 0); *p; p++)
        if (*p == '/')
            slash = p;
    if (slash)
        *slash = '\0';
    else
        hv_strlcpy(path, "/", 2);
}

/* Is path strictly below anc in the tree (never true for the specials)? */
static bool below(const char *path, const char *anc)
{
    if (anc[0] != '/')
        return false;
    if (!anc[1])
        return path[0] == '/' && path[1];
    size_t l = hv_strlen(anc);
    return !hv_strncmp(path, anc, l) && path[l] == '/';
}

static bool direct_child(const char *path, const char *parent)
{
    if (!below(path, parent))
        return false;
    for (const char *p = path + (parent[1] ? hv_strlen(parent) + 1 : 1); *p; p++)
        if (*p == '/')
            return false;
    return true;
}

static uint32_t path_hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

/* ---- the pool ---- */

static void perms_copy(struct xs_perms *dst, const struct xs_perms *src)
{
    hv_memcpy(dst, src, sizeof(*dst));
}

static struct xs_node *find(unsigned int view, const char *path)
{
    uint32_t h = path_hash(path);
    for (unsigned int i = 0; i < XS_MAX_NODES; i++) {
        struct xs_node *n = &st.nodes[i];
        if (n->used && n->tx == view && n->hash == h && !hv_strcmp(n->path, path))
            return n;
    }
    return NULL;
}

/* Does transaction `view` hide path behind a removal of one of its ancestors? */
static bool hidden(unsigned int view, const char *path)
{
    for (unsigned int i = 0; i < XS_MAX_NODES; i++) {
        struct xs_node *n = &st.nodes[i];
        if (n->used && n->tx == view && (n->flags & XN_OPAQUE) && below(path, n->path))
            return true;
    }
    return false;
}

struct xs_node *xst_lookup(unsigned int view, const char *path)
{
    if (view) {
        struct xs_node *t = find(view, path);
        if (t)
            return t->flags & XN_DELETED ? NULL : t;
        if (hidden(view, path))
            return NULL;
    }
    return find(0, path);
}

/* A free slot, lowest first (so the layout only depends on the history). Caller checked nr_free. */
static struct xs_node *new_node(unsigned int view, const char *path, const struct xs_perms *perms,
                                uint32_t seq)
{
    for (unsigned int i = 0; i < XS_MAX_NODES; i++) {
        struct xs_node *n = &st.nodes[i];
        if (n->used)
            continue;
        n->used = true;
        n->flags = 0;
        n->tx = (uint16_t)view;
        hv_strlcpy(n->path, path, sizeof(n->path));
        n->hash = path_hash(path);
        n->seq = seq;
        n->vlen = 0;
        perms_copy(&n->perms, perms);
        st.nr_free--;
        return n;
    }
    hv_panic("xenstore: node pool accounting is wrong");
}

static void value_free(struct xs_node *n)
{
    st.arena_live -= n->vlen;
    n->vlen = 0;
}

static bool older_value(const struct xs_node *a, const struct xs_node *b)
{
    return a->voff < b->voff;
}

static void sort_list(unsigned int k,
                      bool (*before)(const struct xs_node *, const struct xs_node *));

static void compact(void)
{
    unsigned int k = 0;
    for (unsigned int i = 0; i < XS_MAX_NODES; i++)
        if (st.nodes[i].used && st.nodes[i].vlen)
            st.list[k++] = (uint16_t)i;
    sort_list(k, older_value);
    uint32_t top = 0;
    for (unsigned int i = 0; i < k; i++) {
        struct xs_node *n = &st.nodes[st.list[i]];
        for (uint32_t j = 0; j < n->vlen; j++) /* top <= voff: a forward copy is safe */
            st.arena[top + j] = st.arena[n->voff + j];
        n->voff = top;
        top += n->vlen;
    }
    st.arena_top = top;
}

/* Room for len more bytes at the arena's top; false if the values would not fit at all. */
static bool arena_room(size_t len)
{
    if (st.arena_live + len > XS_VALUE_ARENA)
        return false;
    if (st.arena_top + len > XS_VALUE_ARENA)
        compact();
    return true;
}

/* n's value becomes val (which is not in the arena); -XEN_ENOSPC leaves it as it was. */
static int value_set(struct xs_node *n, const void *val, size_t len)
{
    if (len > XS_NODE_VALUE || st.arena_live - n->vlen + len > XS_VALUE_ARENA)
        return -XEN_ENOSPC;
    value_free(n);
    arena_room(len);
    n->voff = st.arena_top;
    hv_memcpy(st.arena + n->voff, val, len);
    n->vlen = (uint16_t)len;
    st.arena_top += (uint32_t)len;
    st.arena_live += (uint32_t)len;
    return 0;
}

static void free_node(struct xs_node *n)
{
    value_free(n);
    n->used = false;
    st.nr_free++;
}

/* The node a change in `view` may modify: in a transaction, its own copy. NULL if full. */
static struct xs_node *own_copy(unsigned int view, struct xs_node *n)
{
    if (n->tx == view)
        return n;
    if (!st.nr_free || !arena_room(n->vlen)) /* compaction may move n's value: copy after */
        return NULL;
    struct xs_node *c = new_node(view, n->path, &n->perms, n->seq);
    c->voff = st.arena_top;
    hv_memcpy(st.arena + c->voff, st.arena + n->voff, n->vlen);
    c->vlen = n->vlen;
    st.arena_top += n->vlen;
    st.arena_live += n->vlen;
    return c;
}

static void changed(unsigned int view, struct xs_node *n)
{
    if (view)
        n->flags |= XN_FIRE;
    else
        xs_fire(n->path, false, NULL);
}

int xst_get(unsigned int view, domid_t dom, const char *path, unsigned int need,
            struct xs_node **out)
{
    struct xs_node *n = xst_lookup(view, path);
    if (n) {
        if ((xs_perm_for(dom, &n->perms) & need) != need)
            return -XEN_EACCES;
        *out = n;
        return 0;
    }
    /* xenstored's errno_from_parents: ENOENT only if the nearest ancestor lets dom see it. */
    hv_strlcpy(st.parent, path, sizeof(st.parent));
    do {
        to_parent(st.parent);
        n = xst_lookup(view, st.parent);
    } while (!n && hv_strcmp(st.parent, "/"));
    if (n && (xs_perm_for(dom, &n->perms) & need))
        return -XEN_ENOENT;
    return -XEN_EACCES;
}

const char *xst_value(const struct xs_node *n, size_t *len)
{
    *len = n->vlen;
    return st.arena + n->voff;
}

const struct xs_perms *xst_perms(const struct xs_node *n)
{
    return &n->perms;
}

/*
 * Create path and its missing ancestors in `view`: each new node copies its
 * parent's permissions, with `creator` as owner when a guest creates it
 * (xenstored's construct_node). All or nothing: the slots are counted first.
 */
static int create(unsigned int view, domid_t creator, const char *path, struct xs_node **out)
{
    size_t len = hv_strlen(path);
    if (len >= XS_NODE_PATH)
        return -XEN_ENOSPC;
    char buf[XS_NODE_PATH];
    uint16_t lens[XS_NODE_PATH / 2 + 1];
    unsigned int nlev = 0, need = 0;
    struct xs_node *parent;
    hv_memcpy(buf, path, len + 1);
    while (!(parent = xst_lookup(view, buf))) {
        lens[nlev++] = (uint16_t)hv_strlen(buf);
        if (!view || !find(view, buf)) /* a whiteout comes back to life in its own slot */
            need++;
        to_parent(buf);
    }
    if (need > st.nr_free)
        return -XEN_ENOSPC;
    while (nlev--) {
        hv_memcpy(buf, path, lens[nlev]);
        buf[lens[nlev]] = '\0';
        struct xs_perms perms;
        perms_copy(&perms, &parent->perms);
        if (creator)
            perms.p[0].id = creator;
        struct xs_node *n = view ? find(view, buf) : NULL;
        if (n) {
            /* Removed earlier in the transaction: watches on it fire at commit. */
            n->flags = (uint8_t)((n->flags & ~XN_DELETED) | XN_FIRE);
            value_free(n);
            n->seq = st.next_seq++;
            perms_copy(&n->perms, &perms);
        } else {
            n = new_node(view, buf, &perms, st.next_seq++);
        }
        parent = n;
    }
    *out = parent;
    return 0;
}

int xst_write(unsigned int view, domid_t creator, const char *path, const void *val, size_t len)
{
    /* Room for the value first, so that a failure changes nothing. */
    struct xs_node *n = xst_lookup(view, path);
    size_t replaced = n && n->tx == view ? n->vlen : 0;
    if (len > XS_NODE_VALUE || st.arena_live - replaced + len > XS_VALUE_ARENA)
        return -XEN_ENOSPC;
    if (n && n->tx != view) {
        /* The transaction's copy gets the new value directly: no need to copy the old one. */
        if (!st.nr_free)
            return -XEN_ENOSPC;
        n = new_node(view, n->path, &n->perms, n->seq);
    } else if (!n) {
        int rc = create(view, creator, path, &n);
        if (rc)
            return rc;
    }
    value_set(n, val, len);
    changed(view, n);
    return 0;
}

int xst_mkdir(unsigned int view, domid_t creator, const char *path)
{
    struct xs_node *n;
    if (xst_lookup(view, path))
        return 0;
    int rc = create(view, creator, path, &n);
    if (!rc)
        changed(view, n);
    return rc;
}

int xst_set_perms(unsigned int view, const char *path, const struct xs_perms *perms)
{
    struct xs_node *n = xst_lookup(view, path);
    if (!n)
        return -XEN_ENOENT;
    n = own_copy(view, n);
    if (!n)
        return -XEN_ENOSPC;
    perms_copy(&n->perms, perms);
    changed(view, n);
    return 0;
}

static void sort_list(unsigned int k,
                      bool (*before)(const struct xs_node *, const struct xs_node *))
{
    for (unsigned int i = 1; i < k; i++) {
        uint16_t x = st.list[i];
        unsigned int j = i;
        for (; j && before(&st.nodes[x], &st.nodes[st.list[j - 1]]); j--)
            st.list[j] = st.list[j - 1];
        st.list[j] = x;
    }
}

static bool deeper_first(const struct xs_node *a, const struct xs_node *b)
{
    size_t la = hv_strlen(a->path), lb = hv_strlen(b->path);
    return la != lb ? la > lb : a->seq < b->seq;
}

static bool older_first(const struct xs_node *a, const struct xs_node *b)
{
    return a->seq < b->seq;
}

/*
 * Remove committed path (with_root) or only what is below it, children
 * before parents as xenstored's walk does: the removed node itself fires
 * watches at or above it, each descendant only watches on exactly its path,
 * each with the node's permissions (it still exists while it fires).
 */
static void base_rm(const char *path, bool with_root)
{
    unsigned int k = 0;
    for (unsigned int i = 0; i < XS_MAX_NODES; i++) {
        struct xs_node *n = &st.nodes[i];
        if (n->used && !n->tx && (below(n->path, path) || (with_root && !hv_strcmp(n->path, path))))
            st.list[k++] = (uint16_t)i;
    }
    sort_list(k, deeper_first);
    for (unsigned int i = 0; i < k; i++) {
        struct xs_node *n = &st.nodes[st.list[i]];
        xs_fire(n->path, hv_strcmp(n->path, path) != 0, &n->perms);
        free_node(n);
    }
}

int xst_rm(unsigned int view, const char *path)
{
    if (!view) {
        base_rm(path, true);
        return 0;
    }
    struct xs_node *t = find(view, path);
    if (!t) {
        /* path is visible and the transaction has no node of its own: the committed one. */
        struct xs_node *b = find(0, path);
        if (!b || !st.nr_free)
            return -XEN_ENOSPC;
        t = new_node(view, path, &b->perms, b->seq);
    }
    for (unsigned int i = 0; i < XS_MAX_NODES; i++) {
        struct xs_node *n = &st.nodes[i];
        if (n->used && n->tx == view && below(n->path, path))
            free_node(n);
    }
    t->flags = XN_DELETED | XN_OPAQUE;
    value_free(t);
    return 0;
}

int xst_directory(unsigned int view, const char *path, char *out, size_t outlen)
{
    unsigned int k = 0;
    for (unsigned int i = 0; i < XS_MAX_NODES; i++) {
        struct xs_node *n = &st.nodes[i];
        if (!n->used || (n->tx && n->tx != view) || !direct_child(n->path, path))
            continue;
        if (n->tx ? (n->flags & XN_DELETED) != 0
                  : view && (find(view, n->path) || hidden(view, n->path)))
            continue;
        st.list[k++] = (uint16_t)i;
    }
    sort_list(k, older_first);
    size_t len = 0, skip = path[1] ? hv_strlen(path) + 1 : 1;
    for (unsigned int i = 0; i < k; i++) {
        const char *name = st.nodes[st.list[i]].path + skip;
        size_t l = hv_strlen(name) + 1;
        if (len + l > outlen)
            return -XEN_E2BIG;
        hv_memcpy(out + len, name, l);
        len += l;
    }
    return (int)len;
}

/* The shortest-path node of `view` with all of `set` and none of `clear` flags, or NULL. */
static struct xs_node *outermost(unsigned int view, unsigned int set, unsigned int clear)
{
    struct xs_node *best = NULL;
    size_t best_len = 0;
    for (unsigned int i = 0; i < XS_MAX_NODES; i++) {
        struct xs_node *n = &st.nodes[i];
        if (!n->used || n->tx != view || (n->flags & set) != set || (n->flags & clear))
            continue;
        size_t l = hv_strlen(n->path);
        if (!best || l < best_len) {
            best = n;
            best_len = l;
        }
    }
    return best;
}

/*
 * No conflict detection (docs/devices.md 2): requests are served one at a
 * time and nothing else writes while one is half done, so the only way a
 * transaction can fail is that a parent of something it wrote was removed
 * since (then applying it would orphan a node): EAGAIN, as xenstored says
 * for a conflict.
 */
int xst_commit(unsigned int view)
{
    char parent[XS_NODE_PATH];
    for (unsigned int i = 0; i < XS_MAX_NODES; i++) {
        struct xs_node *n = &st.nodes[i];
        if (!n->used || n->tx != view || (n->flags & XN_DELETED) || n->path[0] != '/')
            continue;
        if (!xst_lookup(view, xs_parent(n->path, parent, sizeof(parent))))
            return -XEN_EAGAIN;
    }
    struct xs_node *n;
    while ((n = outermost(view, XN_OPAQUE, 0))) {
        n->flags &= (uint8_t)~XN_OPAQUE;
        if (!(n->flags & XN_DELETED))
            base_rm(n->path, false);
        else if (find(0, n->path))
            base_rm(n->path, true);
    }
    while ((n = outermost(view, 0, XN_DELETED))) {
        bool fire = n->flags & XN_FIRE;
        struct xs_node *b = find(0, n->path);
        if (b) {
            /* The committed node takes over the copy's value (no allocation: commit cannot fail).
             */
            value_free(b);
            b->voff = n->voff;
            b->vlen = n->vlen;
            n->vlen = 0;
            perms_copy(&b->perms, &n->perms);
            free_node(n);
            n = b;
        } else {
            n->tx = 0;
            n->flags = 0;
        }
        if (fire)
            xs_fire(n->path, false, NULL);
    }
    xst_abort(view); /* the whiteouts */
    return 0;
}

void xst_abort(unsigned int view)
{
    for (unsigned int i = 0; i < XS_MAX_NODES; i++)
        if (st.nodes[i].used && st.nodes[i].tx == view)
            free_node(&st.nodes[i]);
}

void xst_release_domain(domid_t dom)
{
    /* xenstored's domain_tree_remove: what the domain owns goes, subtree and all. */
    struct xs_node *n;
    for (;;) {
        n = NULL;
        for (unsigned int i = 0; i < XS_MAX_NODES; i++) {
            struct xs_node *c = &st.nodes[i];
            if (c->used && c->perms.p[0].id == dom &&
                (!n || hv_strlen(c->path) < hv_strlen(n->path)))
                n = c;
        }
        if (!n)
            break;
        if (n->tx || n->path[0] != '/' || !n->path[1])
            n->perms.p[0].id = 0; /* the root, a special or a transaction's copy: dom0 adopts it */
        else
            base_rm(n->path, true);
    }
    /*
     * Its entries in other nodes' permissions go too, so a later domain
     * with the same id does not inherit them (xenstored marks them ignored).
     */
    for (unsigned int i = 0; i < XS_MAX_NODES; i++) {
        struct xs_perms *p = &st.nodes[i].perms;
        if (!st.nodes[i].used)
            continue;
        unsigned int k = 1;
        for (unsigned int j = 1; j < p->num; j++)
            if (p->p[j].id != dom)
                p->p[k++] = p->p[j];
        p->num = (uint8_t)k;
    }
}

unsigned int xst_free_nodes(void)
{
    return st.nr_free;
}

static void initial_node(const char *path, const char *value)
{
    static const struct xs_perms dom0_only = {.num = 1, .p = {{0, XS_PERM_NONE}}};
    struct xs_node *n = new_node(0, path, &dom0_only, st.next_seq++);
    value_set(n, value, hv_strlen(value));
}

void xst_reset(void)
{
    for (unsigned int i = 0; i < XS_MAX_NODES; i++)
        st.nodes[i].used = false;
    st.nr_free = XS_MAX_NODES;
    st.next_seq = 1;
    st.arena_top = st.arena_live = 0;
    /*
     * xenstored creates /, /tool, /tool/xenstored and the two specials,
     * owned by dom0 with no access for others; xencommons adds dom0's own
     * directory. The backends write below /local/domain/0 as dom0 would.
     */
    initial_node("/", "");
    initial_node("/tool", "");
    initial_node("/tool/xenstored", "");
    initial_node("/local", "");
    initial_node("/local/domain", "");
    initial_node("/local/domain/0", "");
    initial_node("/local/domain/0/domid", "0");
    initial_node("/local/domain/0/name", "Domain-0");
    initial_node("@introduceDomain", "");
    initial_node("@releaseDomain", "");
}
