/* Unit tests for the xenstore daemon in the core (hv/common/xenstore.c, xs_tree.c) through its
 * rings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/xenstore.h"
#include "public/xen.h"
#include "fake_arch.h"
#include "test_domain.h"

/*
 * Each test runs on a fresh machine. A small client plays the guest's side
 * of the store ring: it puts requests on req[] (in pieces when they do not
 * fit, kicking the daemon in between), sends on the store port with the real
 * event_channel_op hypercall, and reassembles what comes back on rsp[]
 * (answers; watch events are kept per domain for the checks).
 */
struct msg {
    uint32_t type, req_id, tx_id, len;
    char data[XENSTORE_PAYLOAD_MAX + 1]; /* NUL-terminated for string checks */
};

/* A watch event as received: "<path>\0<token>\0". */
struct event {
    uint32_t len;
    char data[320];
};

struct client {
    uint8_t buf[16384];
    size_t len;
    struct event events[512];
    unsigned int nr_events;
    uint32_t next_req;
};

static struct client cl[HV_MAX_DOMAINS + 1];
static struct msg last;
static struct domain *d;

/* Payload literals: P() keeps the terminating NUL, W() (a WRITE's value) does not. */
#define P(s) s, sizeof(s)
#define W(s) s, sizeof(s) - 1

static int setup(void **state)
{
    memset(cl, 0, sizeof(cl));
    d = td_setup();
    return 0;
}

/* A machine with room for three 16 MiB domains. */
static int setup3(void **state)
{
    memset(cl, 0, sizeof(cl));
    fake_machine_init(3 * TD_FRAMES);
    d = td_build(TD_MEMORY_KB, NULL, 1);
    return 0;
}

static struct xenstore_domain_interface *ring(struct domain *dd)
{
    return (struct xenstore_domain_interface *)(fake.ram + mfn_x(dd->store_mfn) * 4096);
}

static void kick(struct domain *dd)
{
    struct vcpu *v = &dd->vcpus[0];
    struct evtchn_send s = {.port = dd->store_port};
    td_put(v, TD_SCRATCH_VA, &s, sizeof(s));
    assert_int_equal(td_hc(v, __HYPERVISOR_event_channel_op, EVTCHNOP_send, TD_SCRATCH_VA, 0, 0, 0),
                     0);
}

/* Move everything on rsp[] into the client's buffer. */
static void pump(struct domain *dd)
{
    struct xenstore_domain_interface *r = ring(dd);
    struct client *c = &cl[dd->domid];
    assert_true(r->rsp_prod - r->rsp_cons <= XENSTORE_RING_SIZE);
    while (r->rsp_cons != r->rsp_prod) {
        assert_true(c->len < sizeof(c->buf));
        c->buf[c->len++] = (uint8_t)r->rsp[MASK_XENSTORE_IDX(r->rsp_cons)];
        r->rsp_cons++;
    }
}

/* One whole message out of the client's buffer. */
static bool take(struct domain *dd, struct msg *m)
{
    struct client *c = &cl[dd->domid];
    struct xsd_sockmsg h;
    if (c->len < sizeof(h))
        return false;
    memcpy(&h, c->buf, sizeof(h));
    assert_true(h.len <= XENSTORE_PAYLOAD_MAX);
    if (c->len < sizeof(h) + h.len)
        return false;
    m->type = h.type;
    m->req_id = h.req_id;
    m->tx_id = h.tx_id;
    m->len = h.len;
    memcpy(m->data, c->buf + sizeof(h), h.len);
    m->data[h.len] = 0;
    c->len -= sizeof(h) + h.len;
    memmove(c->buf, c->buf + sizeof(h) + h.len, c->len);
    return true;
}

/* Put bytes on req[], kicking (and reading answers) while it is full. */
static void put_bytes(struct domain *dd, const void *buf, size_t n)
{
    const uint8_t *b = buf;
    for (unsigned int tries = 0; n; tries++) {
        struct xenstore_domain_interface *r = ring(dd);
        uint32_t room = XENSTORE_RING_SIZE - (r->req_prod - r->req_cons);
        if (!room) {
            assert_true(tries < 100);
            kick(dd);
            pump(dd);
            continue;
        }
        uint32_t k = n < room ? (uint32_t)n : room;
        for (uint32_t i = 0; i < k; i++)
            r->req[MASK_XENSTORE_IDX(r->req_prod + i)] = (char)b[i];
        r->req_prod += k;
        b += k;
        n -= k;
    }
}

static uint32_t send_req(struct domain *dd, uint32_t type, uint32_t tx, const void *p, size_t len)
{
    struct xsd_sockmsg h = {
        .type = type, .req_id = ++cl[dd->domid].next_req, .tx_id = tx, .len = (uint32_t)len};
    put_bytes(dd, &h, sizeof(h));
    put_bytes(dd, p, len);
    return h.req_id;
}

/* Collect what has arrived; the answer to req_id (if any) goes to `last`. */
static bool collect(struct domain *dd, uint32_t req_id)
{
    struct client *c = &cl[dd->domid];
    struct msg m;
    bool found = false;
    pump(dd);
    while (take(dd, &m)) {
        if (m.type == XS_WATCH_EVENT) {
            assert_int_equal(m.req_id, 0);
            assert_int_equal(m.tx_id, 0);
            assert_true(c->nr_events < 512 && m.len < sizeof(c->events[0].data));
            c->events[c->nr_events].len = m.len;
            memcpy(c->events[c->nr_events++].data, m.data, m.len + 1);
        } else {
            assert_false(found);
            assert_int_equal(m.req_id, req_id);
            last = m;
            found = true;
        }
    }
    return found;
}

/* A request and its answer (in `last`). */
static struct msg *req(struct domain *dd, uint32_t type, uint32_t tx, const void *p, size_t len)
{
    uint32_t id = send_req(dd, type, tx, p, len);
    for (unsigned int i = 0; i < 64; i++) {
        kick(dd);
        if (collect(dd, id))
            return &last;
    }
    fail_msg("no answer to request %u (type %u)", id, type);
    return NULL;
}

static void expect_ok(const struct msg *m, uint32_t type)
{
    if (m->type != type)
        fail_msg("expected type %u OK, got type %u '%s'", type, m->type, m->data);
    assert_int_equal(m->len, 3);
    assert_string_equal(m->data, "OK");
}

static void expect_err(const struct msg *m, const char *name)
{
    if (m->type != XS_ERROR)
        fail_msg("expected %s, got type %u '%s'", name, m->type, m->data);
    assert_int_equal(m->len, strlen(name) + 1);
    assert_string_equal(m->data, name);
}

static void expect_val(const struct msg *m, uint32_t type, const void *v, size_t len)
{
    if (m->type != type)
        fail_msg("expected type %u, got type %u '%s'", type, m->type, m->data);
    assert_int_equal(m->len, len);
    assert_memory_equal(m->data, v, len);
}

/* Request shorthands; payloads with embedded NULs spelled as literals. */
#define REQ(dd, type, tx, lit) req(dd, type, tx, P(lit))
#define OK(dd, type, tx, lit) expect_ok(REQ(dd, type, tx, lit), type)
#define ERR(dd, type, tx, lit, name) expect_err(REQ(dd, type, tx, lit), name)
#define VAL(dd, type, tx, lit, v) expect_val(REQ(dd, type, tx, lit), type, P(v) - 1)
#define WRITE(dd, tx, lit) expect_ok(req(dd, XS_WRITE, tx, W(lit)), XS_WRITE)

/* The next watch event of dd must be (path, token). */
static void expect_event(struct domain *dd, const char *path, const char *token)
{
    struct client *c = &cl[dd->domid];
    collect(dd, 0);
    if (!c->nr_events)
        fail_msg("no watch event, expected %s %s", path, token);
    struct event *m = &c->events[0];
    assert_string_equal(m->data, path);
    assert_int_equal(m->len, strlen(path) + strlen(token) + 2);
    assert_string_equal(m->data + strlen(path) + 1, token);
    memmove(&c->events[0], &c->events[1], (c->nr_events - 1) * sizeof(c->events[0]));
    c->nr_events--;
}

static void expect_no_event(struct domain *dd)
{
    collect(dd, 0);
    if (cl[dd->domid].nr_events)
        fail_msg("unexpected watch event %s", cl[dd->domid].events[0].data);
}

static void core_read(const char *path, const char *want)
{
    char buf[4096];
    int n = xs_read(path, buf, sizeof(buf));
    if (n < 0)
        fail_msg("xs_read %s: %d", path, n);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

/* ------------------------------------------------------------------------- */

static void test_introduce_nodes(void **state)
{
    core_read("/local/domain/1/domid", "1");
    core_read("/local/domain/1/name", "unit");
    core_read("/local/domain/0/name", "Domain-0");
    assert_true(ring(d)->server_features & XENSTORE_SERVER_FEATURE_ERROR);
    /* The guest sees its own, relative or absolute; it owns its directory only. */
    VAL(d, XS_READ, 0, "name", "unit");
    VAL(d, XS_READ, 0, "/local/domain/1/domid", "1");
    ERR(d, XS_GET_PERMS, 0, "", "EINVAL");
    VAL(d, XS_GET_PERMS, 0, "/local/domain/1", "n1\0");
    VAL(d, XS_GET_PERMS, 0, "domid", "n0\0r1\0");
    WRITE(d, 0, "data/x\0y");
    expect_err(req(d, XS_WRITE, 0, W("name\0other")), "EACCES");
    ERR(d, XS_READ, 0, "/local/domain/0/name", "EACCES");
    ERR(d, XS_DIRECTORY, 0, "/", "EACCES");
    td_assert_invariants();
}

static void test_read_write_values(void **state)
{
    WRITE(d, 0, "data/x\0hello");
    VAL(d, XS_READ, 0, "data/x", "hello");
    VAL(d, XS_READ, 0, "/local/domain/1/data/x", "hello");
    core_read("/local/domain/1/data/x", "hello");
    /* The parent was created, empty, owned by the guest (its parent's permissions). */
    VAL(d, XS_READ, 0, "data", "");
    VAL(d, XS_GET_PERMS, 0, "data", "n1\0");
    WRITE(d, 0, "data/x\0");
    VAL(d, XS_READ, 0, "data/x", "");
    /* Values are bytes: a NUL inside comes back. */
    WRITE(d, 0, "data/bin\0a\0b");
    expect_val(REQ(d, XS_READ, 0, "data/bin"), XS_READ, "a\0b", 3);

    /* Longest value (both rings wrap for it), one byte more is refused. */
    static char big[2100];
    size_t path = strlen("data/big") + 1;
    memcpy(big, "data/big", path);
    for (size_t i = 0; i < 2049; i++)
        big[path + i] = (char)('a' + i % 26);
    expect_ok(req(d, XS_WRITE, 0, big, path + 2048), XS_WRITE);
    expect_val(REQ(d, XS_READ, 0, "data/big"), XS_READ, big + path, 2048);
    expect_err(req(d, XS_WRITE, 0, big, path + 2049), "ENOSPC");
    expect_val(REQ(d, XS_READ, 0, "data/big"), XS_READ, big + path, 2048);

    /* The core's side. */
    char buf[8];
    assert_int_equal(xs_write("/local/domain/1/data/core", "abc"), 0);
    VAL(d, XS_READ, 0, "data/core", "abc");
    assert_int_equal(xs_printf("/local/domain/1/data/n", "%d-%s", 42, "x"), 0);
    core_read("/local/domain/1/data/n", "42-x");
    assert_int_equal(xs_read("/local/domain/1/data/n", buf, 4), -XEN_E2BIG);
    assert_int_equal(xs_read("/local/domain/1/data/none", buf, sizeof(buf)), -XEN_ENOENT);
    assert_int_equal(xs_read("relative", buf, sizeof(buf)), -XEN_EINVAL);
    assert_int_equal(xs_write("/bad//path", "x"), -XEN_EINVAL);
}

static void test_domain_path(void **state)
{
    VAL(d, XS_GET_DOMAIN_PATH, 0, "1", "/local/domain/1\0");
    VAL(d, XS_GET_DOMAIN_PATH, 0, "7", "/local/domain/7\0");
    VAL(d, XS_GET_DOMAIN_PATH, 0, "12x", "/local/domain/12\0"); /* atoi */
    expect_err(req(d, XS_GET_DOMAIN_PATH, 0, W("1")), "EINVAL");
    ERR(d, XS_IS_DOMAIN_INTRODUCED, 0, "1", "EACCES"); /* privileged in xenstored */
}

static void test_mkdir_directory_rm(void **state)
{
    OK(d, XS_MKDIR, 0, "data/dir");
    OK(d, XS_MKDIR, 0, "data/dir");
    WRITE(d, 0,
          "data/dir/b\0"
          "2");
    WRITE(d, 0,
          "data/dir/a\0"
          "1");
    OK(d, XS_MKDIR, 0, "data/dir/c/deep");
    VAL(d, XS_DIRECTORY, 0, "data/dir", "b\0a\0c\0"); /* in creation order */
    expect_val(REQ(d, XS_DIRECTORY, 0, "data/dir/a"), XS_DIRECTORY, "", 0);
    ERR(d, XS_DIRECTORY, 0, "data/none", "ENOENT");

    OK(d, XS_RM, 0, "data/dir/a");
    ERR(d, XS_READ, 0, "data/dir/a", "ENOENT");
    OK(d, XS_RM, 0, "data/dir/a");             /* gone already: fine, its parent is there */
    ERR(d, XS_RM, 0, "data/none/x", "ENOENT"); /* but not without a parent */
    OK(d, XS_RM, 0, "data/dir");
    ERR(d, XS_READ, 0, "data/dir/c/deep", "ENOENT");
    VAL(d, XS_DIRECTORY, 0, "data", "");
    ERR(d, XS_RM, 0, "/", "EACCES");

    assert_int_equal(xs_rm("/"), -XEN_EINVAL);
    assert_int_equal(xs_rm("/local/domain/1/data/none"), 0);
    assert_int_equal(xs_rm("/local/domain/1/none/x"), -XEN_ENOENT);
    assert_int_equal(xs_write("/local/domain/1/data/t/u", "v"), 0);
    assert_int_equal(xs_rm("/local/domain/1/data/t"), 0);
    ERR(d, XS_READ, 0, "data/t/u", "ENOENT");
}

static void test_malformed_requests(void **state)
{
    expect_err(req(d, XS_READ, 0, W("data")), "EINVAL"); /* no NUL */
    ERR(d, XS_READ, 0, "a\0b", "EINVAL");                /* two strings */
    expect_err(req(d, XS_READ, 0, "", 0), "EINVAL");
    expect_err(req(d, XS_WRITE, 0, W("data/x")), "EINVAL");
    const char *bad[] = {"a//b", "a/", "", "bad path", "x!", "@introduceDomain", "/a/", "//"};
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_err(req(d, XS_READ, 0, bad[i], strlen(bad[i]) + 1), "EINVAL");

    /* Length limits: 2048 below the domain's directory, 3072 in all. */
    static char p[4096];
    memset(p, 'a', sizeof(p));
    p[2048] = 0;
    expect_err(req(d, XS_READ, 0, p, 2049), "ENOENT");
    p[2048] = 'a';
    p[2049] = 0;
    expect_err(req(d, XS_READ, 0, p, 2050), "EINVAL");
    p[0] = '/'; /* outside /local/domain/<n>/ the whole path counts */
    p[2048] = 0;
    expect_err(req(d, XS_READ, 0, p, 2049), "EACCES"); /* valid, and / says nothing to guests */
    p[2048] = 'a';
    expect_err(req(d, XS_READ, 0, p, 2050), "EINVAL");
    /* The core is only held to 3072. */
    char buf[8];
    memset(p, 'a', sizeof(p));
    p[0] = '/';
    p[3072] = 0;
    assert_int_equal(xs_read(p, buf, sizeof(buf)), -XEN_ENOENT);
    p[3072] = 'a';
    p[3073] = 0;
    assert_int_equal(xs_read(p, buf, sizeof(buf)), -XEN_EINVAL);

    /* Unknown and privileged requests; errors echo req_id and tx_id. */
    ERR(d, 99, 0, "x", "ENOSYS");
    ERR(d, XS_DIRECTORY_PART, 0,
        "data\0"
        "0",
        "ENOSYS");
    ERR(d, XS_WATCH_EVENT, 0, "x", "ENOSYS");
    ERR(d, XS_ERROR, 0, "x", "ENOSYS");
    ERR(d, XS_INTRODUCE, 0,
        "2\0"
        "1\0"
        "3",
        "EACCES");
    ERR(d, XS_RELEASE, 0, "2", "EACCES");
    ERR(d, XS_CONTROL, 0, "check", "EACCES");
    ERR(d, XS_SET_TARGET, 0,
        "2\0"
        "3",
        "EACCES");
    ERR(d, XS_READ, 77, "data", "ENOENT"); /* no such transaction */
    assert_int_equal(last.tx_id, 77);
    assert_int_equal(last.req_id, cl[d->domid].next_req);
}

static void test_permissions(void **state)
{
    struct domain *d2 = td_build(TD_MEMORY_KB, NULL, 1);
    assert_int_equal(d2->domid, 2);
    ERR(d, XS_READ, 0, "/local/domain/2/name", "EACCES");
    ERR(d, XS_WRITE, 0,
        "/local/domain/2/data/x\0"
        "1",
        "EACCES");
    ERR(d, XS_READ, 0, "/local/domain/2/missing", "EACCES"); /* not ENOENT: it may not know */
    ERR(d, XS_DIRECTORY, 0, "/local/domain/2", "EACCES");

    /* The core opens domain 2's directory for reading by domain 1. */
    assert_int_equal(xs_set_perms("/local/domain/2", 2, 'n', 1, 'r'), 0);
    VAL(d, XS_READ, 0, "/local/domain/2", "");
    ERR(d, XS_READ, 0, "/local/domain/2/missing", "ENOENT");
    ERR(d, XS_WRITE, 0,
        "/local/domain/2/x\0"
        "1",
        "EACCES");
    assert_int_equal(xs_set_perms("/local/domain/2/none", 2, 'n', 0, 0), -XEN_ENOENT);
    assert_int_equal(xs_set_perms("/local/domain/2", 2, 'x', 0, 0), -XEN_EINVAL);

    /* Domain 2 shares a node with domain 1 (both ways). */
    WRITE(d2, 0, "data/shared\0s");
    OK(d2, XS_SET_PERMS, 0, "data/shared\0n2\0b1");
    WRITE(d, 0, "/local/domain/2/data/shared\0from 1");
    VAL(d2, XS_READ, 0, "data/shared", "from 1");
    VAL(d, XS_GET_PERMS, 0, "/local/domain/2/data/shared", "n2\0b1\0");
    ERR(d, XS_SET_PERMS, 0, "/local/domain/2/data/shared\0n2\0b1", "EACCES"); /* not the owner */
    ERR(d2, XS_SET_PERMS, 0, "data/shared\0n1", "EPERM"); /* may not give it away */
    ERR(d2, XS_SET_PERMS, 0, "data/shared\0n2\0r1\0r1\0r1\0r1\0r1", "ENOSPC");
    ERR(d2, XS_SET_PERMS, 0, "data/shared\0x2", "EINVAL");
    ERR(d2, XS_SET_PERMS, 0, "data/shared\0r", "EINVAL");
    ERR(d2, XS_SET_PERMS, 0, "data/shared\0r2z", "EINVAL");
    ERR(d2, XS_SET_PERMS, 0, "data/shared", "EINVAL");
    ERR(d2, XS_SET_PERMS, 0, "data/shared\0n9", "ENOENT"); /* no such owner */
    OK(d2, XS_SET_PERMS, 0, "data/shared\0n2\0r9\0w1");    /* no domain 9: ignored */
    VAL(d2, XS_GET_PERMS, 0, "data/shared", "n2\0w1\0");
    ERR(d, XS_READ, 0, "/local/domain/2/data/shared", "EACCES");
    WRITE(d, 0, "/local/domain/2/data/shared\0w only");

    /* What domain 1 creates in a directory domain 2 opened is domain 1's. */
    OK(d2, XS_SET_PERMS, 0, "data\0n2\0b1");
    WRITE(d, 0,
          "/local/domain/2/data/from1/x\0"
          "1");
    VAL(d, XS_GET_PERMS, 0, "/local/domain/2/data/from1", "n1\0b1\0");
    ERR(d2, XS_READ, 0, "data/from1/x", "EACCES"); /* as in xenstored */
    ERR(d2, XS_SET_PERMS, 0, "@releaseDomain\0n2", "EACCES");
    VAL(d2, XS_GET_PERMS, 0, "data", "n2\0b1\0");
    td_assert_invariants();
}

static void test_watches(void **state)
{
    OK(d, XS_WATCH, 0, "data\0tok");
    expect_event(d, "data", "tok"); /* at once, with the path as given */
    expect_no_event(d);
    WRITE(d, 0,
          "data/a\0"
          "1");
    expect_event(d, "data/a", "tok");
    WRITE(d, 0,
          "other\0"
          "1");
    expect_no_event(d);

    OK(d, XS_WATCH, 0, "/local/domain/1/data/a\0abs");
    expect_event(d, "/local/domain/1/data/a", "abs");
    WRITE(d, 0,
          "data/a/b\0"
          "2");
    expect_event(d, "data/a/b", "tok");
    expect_event(d, "/local/domain/1/data/a/b", "abs");
    ERR(d, XS_WATCH, 0, "data\0tok", "EEXIST");
    OK(d, XS_WATCH, 0, "data\0tok2");
    expect_event(d, "data", "tok2");

    /*
     * Removal, children first: a watch on a removed descendant sees its own
     * path, watches at or above the removed node see that node; a watch on a
     * path that never existed below it sees nothing.
     */
    OK(d, XS_WATCH, 0, "data/a/b\0below");
    expect_event(d, "data/a/b", "below");
    OK(d, XS_WATCH, 0, "data/a/none\0never");
    expect_event(d, "data/a/none", "never");
    OK(d, XS_RM, 0, "data/a");
    expect_event(d, "data/a/b", "below");
    expect_event(d, "data/a", "tok");
    expect_event(d, "/local/domain/1/data/a", "abs");
    expect_event(d, "data/a", "tok2");
    expect_no_event(d);
    OK(d, XS_UNWATCH, 0, "data/a/b\0below");
    OK(d, XS_UNWATCH, 0, "data/a/none\0never");

    OK(d, XS_UNWATCH, 0, "data\0tok2");
    ERR(d, XS_UNWATCH, 0, "data\0tok2", "ENOENT");
    OK(d, XS_UNWATCH, 0, "/local/domain/1/data/a\0abs");
    WRITE(d, 0,
          "data/c\0"
          "3");
    expect_event(d, "data/c", "tok");
    expect_no_event(d);

    ERR(d, XS_WATCH, 0, "data", "EINVAL");
    ERR(d, XS_WATCH, 0, "data\0t\0x", "EINVAL");
    ERR(d, XS_WATCH, 0, "da ta\0t", "EINVAL");
    ERR(d, XS_UNWATCH, 0, "da ta\0t", "EINVAL");
    OK(d, XS_WATCH, 12345, "x\0notid"); /* WATCH ignores tx_id */
    expect_event(d, "x", "notid");

    OK(d, XS_RESET_WATCHES, 0, "");
    WRITE(d, 0,
          "data/d\0"
          "4");
    expect_no_event(d);
}

static void test_watch_after_core_write(void **state)
{
    OK(d, XS_WATCH, 0, "device\0dev");
    expect_event(d, "device", "dev");
    struct xenstore_domain_interface *r = ring(d);
    d->shared_info->evtchn_pending[0] = 0;
    uint32_t prod = r->rsp_prod;
    /* No kick: the core's write reaches the ring and the store port by itself. */
    assert_int_equal(xs_write("/local/domain/1/device/vbd/51712/state", "4"), 0);
    assert_true(r->rsp_prod != prod);
    assert_true(evtchn_is_pending(d, d->store_port));
    expect_event(d, "device/vbd/51712/state", "dev");
    assert_int_equal(xs_rm("/local/domain/1/device/vbd"), 0);
    expect_event(d, "device/vbd", "dev");

    /* A closed store port: the events wait on the ring, nothing is sent. */
    struct evtchn_close c = {.port = d->store_port};
    td_put(&d->vcpus[0], TD_SCRATCH_VA, &c, sizeof(c));
    assert_int_equal(
        td_hc(&d->vcpus[0], __HYPERVISOR_event_channel_op, EVTCHNOP_close, TD_SCRATCH_VA, 0, 0, 0),
        0);
    d->shared_info->evtchn_pending[0] = 0;
    assert_int_equal(xs_write("/local/domain/1/device/x", "1"), 0);
    assert_false(evtchn_is_pending(d, d->store_port));
    expect_event(d, "device/x", "dev");
}

static void test_watch_permissions(void **state)
{
    struct domain *d2 = td_build(TD_MEMORY_KB, NULL, 1);
    OK(d, XS_WATCH, 0, "/local/domain/2\0other");
    expect_event(d, "/local/domain/2", "other"); /* the first fire is not filtered */
    assert_int_equal(xs_write("/local/domain/2/data/x", "1"), 0);
    WRITE(d2, 0,
          "data/y\0"
          "2");
    expect_no_event(d);
    assert_int_equal(xs_set_perms("/local/domain/2/data/x", 2, 'n', 1, 'r'), 0);
    expect_event(d, "/local/domain/2/data/x", "other");
    WRITE(d2, 0,
          "data/x\0"
          "3");
    expect_event(d, "/local/domain/2/data/x", "other");

    /* Specials: only who may read them hears of domains coming. */
    OK(d, XS_WATCH, 0, "@introduceDomain\0intro");
    expect_event(d, "@introduceDomain", "intro");
    struct domain *d3 = td_build(TD_MEMORY_KB, NULL, 1);
    expect_no_event(d);
    domain_destroy(d3);
    assert_int_equal(xs_set_perms("@introduceDomain", 0, 'n', 1, 'r'), 0);
    expect_event(d, "@introduceDomain", "intro"); /* a change of permissions fires too */
    d3 = td_build(TD_MEMORY_KB, NULL, 1);
    expect_event(d, "@introduceDomain", "intro");
    expect_no_event(d);
}

static void test_event_queue(void **state)
{
    OK(d, XS_WATCH, 0, "data\0tok");
    expect_event(d, "data", "tok");
    /*
     * The guest reads nothing for a while, so its response ring fills and
     * events wait in the daemon: an identical one waiting unsent is not
     * queued twice.
     */
    char p[64];
    for (int i = 0; i < 40; i++) {
        snprintf(p, sizeof(p), "/local/domain/1/data/fill%d", i);
        assert_int_equal(xs_write(p, "x"), 0);
    }
    assert_int_equal(ring(d)->rsp_prod - ring(d)->rsp_cons, XENSTORE_RING_SIZE);
    for (int i = 0; i < 3; i++)
        assert_int_equal(xs_write("/local/domain/1/data/same", "x"), 0);
    assert_int_equal(xs_write("/local/domain/1/data/other", "x"), 0);
    for (int i = 0; i < 10; i++)
        pump(d), kick(d);
    for (int i = 0; i < 40; i++) {
        snprintf(p, sizeof(p), "data/fill%d", i);
        expect_event(d, p, "tok");
    }
    expect_event(d, "data/same", "tok");
    expect_event(d, "data/other", "tok");
    expect_no_event(d);

    /* Far more events than the queue holds: the rest are dropped, the answers never are. */
    for (int i = 0; i < 400; i++) {
        snprintf(p, sizeof(p), "/local/domain/1/data/n%d", i);
        assert_int_equal(xs_write(p, "x"), 0);
    }
    collect(d, 0);
    unsigned int got = cl[d->domid].nr_events;
    assert_true(got > 10 && got < 400);
    cl[d->domid].nr_events = 0;
    for (int i = 0; i < 20; i++)
        pump(d), kick(d);
    collect(d, 0);
    cl[d->domid].nr_events = 0;
    VAL(d, XS_READ, 0, "data/n399", "x");
    WRITE(d, 0, "data/after\0y");
    expect_event(d, "data/after", "tok");
}

static void test_watch_limits(void **state)
{
    char p[64];
    for (int i = 0; i < 32; i++) {
        memset(p, 0, sizeof(p));
        int n = snprintf(p, sizeof(p), "w%d", i);
        expect_ok(req(d, XS_WATCH, 0, p, (size_t)n + 2), XS_WATCH); /* "w<i>\0\0": empty token */
        expect_event(d, p, "");
    }
    ERR(d, XS_WATCH, 0, "w99\0t", "E2BIG");
    OK(d, XS_RESET_WATCHES, 0, "");
    char tok[80];
    memset(tok, 't', sizeof(tok));
    memcpy(tok, "x\0", 2);
    tok[2 + 64] = 0;
    expect_err(req(d, XS_WATCH, 0, tok, 2 + 65), "E2BIG");
}

/* ---- core watches ---- */

static struct {
    char paths[16][128];
    unsigned int n, calls, depth;
    uint32_t rsp_prod_seen;
} rec;

static void record(const char *path, void *ctx)
{
    assert_int_equal(rec.depth, 0); /* never re-entered */
    rec.depth++;
    if (rec.n < 16)
        snprintf(rec.paths[rec.n++], sizeof(rec.paths[0]), "%s", path);
    rec.rsp_prod_seen = ring(d)->rsp_prod;
    if (ctx) /* chain: write the next watched path */
        assert_int_equal(xs_write((const char *)ctx, "chained"), 0);
    rec.depth--;
}

static void loop_forever(const char *path, void *ctx)
{
    rec.calls++;
    assert_int_equal(xs_printf(path, "%u", rec.calls), 0); /* fires itself again */
}

static void test_core_watches(void **state)
{
    static char chain[] = "/local/domain/0/backend/x";
    memset(&rec, 0, sizeof(rec));
    assert_int_equal(xs_watch_core("/local/domain/1/device", record, chain), 0);
    assert_int_equal(xs_watch_core("/local/domain/0/backend", record, NULL), 0);
    uint32_t before = ring(d)->rsp_prod;
    WRITE(d, 0,
          "device/vbd/state\0"
          "3");
    assert_int_equal(rec.n, 2);
    assert_string_equal(rec.paths[0], "/local/domain/1/device/vbd/state");
    assert_string_equal(rec.paths[1], "/local/domain/0/backend/x"); /* the chained write */
    assert_true(rec.rsp_prod_seen != before); /* the answer was out before the callbacks */
    core_read("/local/domain/0/backend/x", "chained");

    /* Unwatched: nothing more; a bad prefix is refused. */
    xs_unwatch_core(record, chain);
    xs_unwatch_core(record, NULL);
    WRITE(d, 0,
          "device/vbd/state\0"
          "4");
    assert_int_equal(rec.n, 2);
    assert_int_equal(xs_watch_core("relative", record, NULL), -XEN_EINVAL);
    assert_int_equal(xs_watch_core("/a//b", record, NULL), -XEN_EINVAL);
    for (int i = 0; i < 32; i++)
        assert_int_equal(xs_watch_core("/x", record, &rec.paths[i % 16]), 0);
    assert_int_equal(xs_watch_core("/x", record, NULL), -XEN_ENOSPC);
    for (int i = 0; i < 16; i++)
        xs_unwatch_core(record, &rec.paths[i]);

    /* A callback that always fires itself again is cut off, and the store still works. */
    assert_int_equal(xs_watch_core("/loop", loop_forever, NULL), 0);
    assert_int_equal(xs_write("/loop", "0"), 0);
    assert_true(rec.calls >= 100 && rec.calls <= 1000);
    unsigned int calls = rec.calls;
    xs_unwatch_core(loop_forever, NULL);
    assert_int_equal(xs_write("/loop", "x"), 0);
    assert_int_equal(rec.calls, calls);
    WRITE(d, 0,
          "data/ok\0"
          "1");
}

/* ---- transactions ---- */

static uint32_t tx_start(struct domain *dd)
{
    struct msg *m = REQ(dd, XS_TRANSACTION_START, 0, "");
    assert_int_equal(m->type, XS_TRANSACTION_START);
    assert_int_equal(m->len, strlen(m->data) + 1);
    return (uint32_t)strtoul(m->data, NULL, 10);
}

static void test_transaction_commit(void **state)
{
    OK(d, XS_WATCH, 0, "data\0tok");
    expect_event(d, "data", "tok");
    uint32_t t = tx_start(d);
    assert_int_equal(t, 1);
    assert_int_equal(tx_start(d), 2);
    WRITE(d, t, "data/t/u\0v");
    VAL(d, XS_READ, t, "data/t/u", "v");
    ERR(d, XS_READ, 0, "data/t/u", "ENOENT");
    VAL(d, XS_DIRECTORY, t, "data", "t\0");
    VAL(d, XS_GET_PERMS, t, "data/t", "n1\0");
    expect_no_event(d); /* watches fire at the commit */
    OK(d, XS_TRANSACTION_END, t, "T");
    VAL(d, XS_READ, 0, "data/t/u", "v");
    expect_event(d, "data/t/u", "tok");
    expect_no_event(d);
    ERR(d, XS_READ, t, "data/t/u", "ENOENT"); /* the transaction is over */
    ERR(d, XS_TRANSACTION_END, t, "T", "ENOENT");

    /* Removed and written again in one transaction: the old children are gone. */
    WRITE(d, 0,
          "data/r/a\0"
          "1");
    WRITE(d, 0,
          "data/r/b\0"
          "2");
    expect_event(d, "data/r/a", "tok");
    expect_event(d, "data/r/b", "tok");
    t = tx_start(d);
    OK(d, XS_RM, t, "data/r");
    ERR(d, XS_READ, t, "data/r/a", "ENOENT");
    WRITE(d, t,
          "data/r/c\0"
          "3");
    VAL(d, XS_DIRECTORY, t, "data/r", "c\0");
    VAL(d, XS_DIRECTORY, 0, "data/r", "a\0b\0");
    OK(d, XS_TRANSACTION_END, t, "T");
    VAL(d, XS_DIRECTORY, 0, "data/r", "c\0");
    ERR(d, XS_READ, 0, "data/r/a", "ENOENT");
    expect_event(d, "data/r", "tok");
    expect_event(d, "data/r/c", "tok");
    expect_no_event(d);

    /* Something it wrote under lost its parent meanwhile: EAGAIN, nothing applied. */
    WRITE(d, 0,
          "data/p/q\0"
          "1");
    t = tx_start(d);
    WRITE(d, t,
          "data/p/q/z\0"
          "2");
    assert_int_equal(xs_rm("/local/domain/1/data/p"), 0);
    ERR(d, XS_TRANSACTION_END, t, "T", "EAGAIN");
    ERR(d, XS_READ, 0, "data/p", "ENOENT");
    ERR(d, XS_READ, t, "data/p", "ENOENT");
}

static void test_transaction_views(void **state)
{
    WRITE(d, 0, "data/v/old\0o");
    uint32_t t = tx_start(d);
    OK(d, XS_MKDIR, t, "data/v/new");
    WRITE(d, t, "data/v/old\0changed");
    VAL(d, XS_DIRECTORY, t, "data/v", "old\0new\0");
    VAL(d, XS_READ, t, "data/v/old", "changed");
    VAL(d, XS_READ, 0, "data/v/old", "o");
    OK(d, XS_SET_PERMS, t, "data/v/old\0n1\0r0");
    VAL(d, XS_GET_PERMS, 0, "data/v/old", "n1\0");
    /* Another domain's writes meanwhile do not conflict: the last writer wins. */
    assert_int_equal(xs_write("/local/domain/1/data/v/old", "core"), 0);
    OK(d, XS_TRANSACTION_END, t, "T");
    VAL(d, XS_READ, 0, "data/v/old", "changed");
    VAL(d, XS_GET_PERMS, 0, "data/v/old", "n1\0r0\0");
    VAL(d, XS_DIRECTORY, 0, "data/v", "old\0new\0");

    /* Removed in a transaction, then written again below: the node comes back. */
    t = tx_start(d);
    OK(d, XS_RM, t, "data/v");
    ERR(d, XS_DIRECTORY, t, "data/v", "ENOENT");
    VAL(d, XS_DIRECTORY, t, "data", "");
    WRITE(d, t, "data/v/again\0a");
    VAL(d, XS_DIRECTORY, t, "data/v", "again\0");
    OK(d, XS_TRANSACTION_END, t, "T");
    VAL(d, XS_DIRECTORY, 0, "data/v", "again\0");
    ERR(d, XS_READ, 0, "data/v/old", "ENOENT");

    /* A node created and removed inside one transaction leaves nothing. */
    t = tx_start(d);
    WRITE(d, t,
          "data/tmp/x\0"
          "1");
    OK(d, XS_RM, t, "data/tmp");
    OK(d, XS_TRANSACTION_END, t, "T");
    ERR(d, XS_READ, 0, "data/tmp", "ENOENT");
    td_assert_invariants();
}

static void test_transaction_abort_and_errors(void **state)
{
    WRITE(d, 0, "data/keep\0k");
    WRITE(d, 0,
          "data/sub/x\0"
          "1");
    uint32_t t = tx_start(d);
    OK(d, XS_RM, t, "data/sub");
    WRITE(d, t, "data/keep\0changed");
    WRITE(d, t, "data/new/deep\0n");
    OK(d, XS_SET_PERMS, t, "data\0n1\0r2");
    ERR(d, XS_TRANSACTION_END, t, "X", "EINVAL"); /* still open after a bad END */
    ERR(d, XS_TRANSACTION_END, t, "", "EINVAL");
    OK(d, XS_TRANSACTION_END, t, "F");
    VAL(d, XS_READ, 0, "data/keep", "k");
    VAL(d, XS_READ, 0, "data/sub/x", "1");
    ERR(d, XS_READ, 0, "data/new", "ENOENT");
    VAL(d, XS_GET_PERMS, 0, "data", "n1\0");

    ERR(d, XS_TRANSACTION_END, 0, "T", "ENOENT");
    t = tx_start(d);
    ERR(d, XS_TRANSACTION_START, t, "", "EBUSY");
    ERR(d, XS_TRANSACTION_START, 999, "", "ENOENT");
    for (int i = 1; i < 8; i++)
        tx_start(d);
    ERR(d, XS_TRANSACTION_START, 0, "", "ENOSPC");
    OK(d, XS_RESET_WATCHES, 0, ""); /* also ends every transaction */
    ERR(d, XS_READ, t, "data/keep", "ENOENT");
    tx_start(d);
}

/* ---- the ring itself ---- */

static void test_ring_wrap(void **state)
{
    /* Indices start anywhere; these wrap 2^32 on the way. */
    struct xenstore_domain_interface *r = ring(d);
    r->req_cons = r->req_prod = 0xfffffc00u;
    r->rsp_cons = r->rsp_prod = 0xfffffe00u;
    char buf[700], val[600];
    for (int i = 0; i < 60; i++) {
        size_t vlen = (size_t)(i * 37) % sizeof(val);
        memset(val, 'a' + i % 26, vlen);
        int n = snprintf(buf, sizeof(buf), "data/k%d", i % 7) + 1;
        memcpy(buf + n, val, vlen);
        expect_ok(req(d, XS_WRITE, 0, buf, (size_t)n + vlen), XS_WRITE);
        expect_val(req(d, XS_READ, 0, buf, (size_t)n), XS_READ, val, vlen);
    }
    assert_true(r->req_prod < 0x10000000u && r->rsp_prod < 0x10000000u);
}

static void test_partial_request(void **state)
{
    struct xenstore_domain_interface *r = ring(d);
    struct xsd_sockmsg h = {.type = XS_WRITE, .req_id = 5, .len = 10};
    put_bytes(d, &h, 8);
    kick(d);
    assert_int_equal(r->req_cons, r->req_prod); /* taken into the daemon's buffer */
    assert_int_equal(r->rsp_prod, r->rsp_cons);
    put_bytes(d, (char *)&h + 8, 8);
    put_bytes(d, "data/p", 5);
    kick(d);
    assert_int_equal(r->rsp_prod, r->rsp_cons);
    put_bytes(d, "p\0abc", 5);
    kick(d);
    cl[d->domid].next_req = 5;
    assert_true(collect(d, 5));
    expect_ok(&last, XS_WRITE);
    VAL(d, XS_READ, 0, "data/p", "abc");
}

static void test_full_response_ring(void **state)
{
    static char v[101];
    memset(v, 'v', 100);
    char w[128];
    memcpy(w, "data/v", 7);
    memcpy(w + 7, v, 100);
    expect_ok(req(d, XS_WRITE, 0, w, 107), XS_WRITE);

    /* 40 READs in a row, answers (116 bytes each) never taken: the ring fills and stops. */
    struct xenstore_domain_interface *r = ring(d);
    uint32_t first = cl[d->domid].next_req + 1;
    for (int i = 0; i < 40; i++)
        send_req(d, XS_READ, 0, P("data/v"));
    kick(d);
    assert_int_equal(r->rsp_prod - r->rsp_cons, XENSTORE_RING_SIZE);
    assert_true(r->req_cons != r->req_prod); /* the rest waits in the request ring */
    kick(d);
    assert_int_equal(r->rsp_prod - r->rsp_cons, XENSTORE_RING_SIZE);

    /* Taking answers and kicking lets the rest through, in order. */
    unsigned int got = 0;
    for (int i = 0; i < 200 && got < 40; i++) {
        struct msg m;
        pump(d);
        while (take(d, &m)) {
            assert_int_equal(m.req_id, first + got);
            expect_val(&m, XS_READ, v, 100);
            got++;
        }
        kick(d);
    }
    assert_int_equal(got, 40);
    assert_int_equal(r->req_cons, r->req_prod);
}

static void test_bad_request_indices(void **state)
{
    OK(d, XS_WATCH, 0, "data\0tok");
    expect_event(d, "data", "tok");
    struct xenstore_domain_interface *r = ring(d);
    r->req_prod = r->req_cons + XENSTORE_RING_SIZE + 1;
    uint32_t rsp = r->rsp_prod;
    kick(d);
    assert_int_equal(r->error, XENSTORE_ERROR_RINGIDX);
    assert_int_equal(r->rsp_prod, rsp);
    /* Closed for good: no answers, no watch events, even with sane indices again. */
    r->req_prod = r->req_cons;
    send_req(d, XS_READ, 0, P("name"));
    kick(d);
    assert_int_equal(xs_write("/local/domain/1/data/x", "1"), 0);
    assert_int_equal(r->rsp_prod, rsp);
    td_assert_invariants();
}

static void test_bad_response_indices(void **state)
{
    struct xenstore_domain_interface *r = ring(d);
    r->rsp_cons = r->rsp_prod + 8; /* a consumer ahead of the producer */
    send_req(d, XS_READ, 0, P("name"));
    kick(d);
    assert_int_equal(r->error, XENSTORE_ERROR_RINGIDX);
    assert_int_equal(r->rsp_cons - r->rsp_prod, 8);
}

static void test_payload_too_long(void **state)
{
    struct xenstore_domain_interface *r = ring(d);
    struct xsd_sockmsg h = {.type = XS_WRITE, .req_id = 1, .len = XENSTORE_PAYLOAD_MAX + 1};
    put_bytes(d, &h, sizeof(h));
    put_bytes(d, "data/x", 7);
    kick(d);
    assert_int_equal(r->error, XENSTORE_ERROR_PROTO);
    assert_int_equal(r->rsp_prod, r->rsp_cons);
    r->req_cons = r->req_prod;
    send_req(d, XS_READ, 0, P("name"));
    kick(d);
    assert_int_equal(r->rsp_prod, r->rsp_cons);
    assert_int_not_equal(r->req_cons, r->req_prod);
}

static void test_no_usable_ring(void **state)
{
    struct xenstore_domain_interface *r = ring(d);
    send_req(d, XS_READ, 0, P("name"));
    /* The ring frame made a page table: not served (and never written). */
    struct page_info *pg = mfn_to_page(d->store_mfn);
    uint8_t type = pg->type;
    uint32_t count = pg->type_count;
    pg->type = PGT_l1;
    pg->type_count = 1;
    kick(d);
    assert_int_equal(r->rsp_prod, r->rsp_cons);
    assert_int_not_equal(r->req_cons, r->req_prod);
    pg->type = type;
    pg->type_count = count;
    /* Nor a domain whose store frame is gone. */
    mfn_t m = d->store_mfn;
    d->store_mfn = _mfn(0);
    kick(d);
    d->store_mfn = m;
    assert_int_not_equal(r->req_cons, r->req_prod);
    kick(d);
    assert_true(collect(d, cl[d->domid].next_req));
    expect_val(&last, XS_READ, "unit", 4);
}

/* ---- limits ---- */

static void test_pool_exhaustion(void **state)
{
    char p[64];
    int i, rc = 0;
    WRITE(d, 0,
          "data/own\0"
          "1");
    for (i = 0; i < 1000 && !rc; i++) {
        snprintf(p, sizeof(p), "/pool/n%d", i);
        rc = xs_write(p, "x");
    }
    assert_int_equal(rc, -XEN_ENOSPC);
    assert_true(i > 400);
    ERR(d, XS_WRITE, 0,
        "data/new\0"
        "1",
        "ENOSPC");
    ERR(d, XS_MKDIR, 0, "data/new", "ENOSPC");
    WRITE(d, 0,
          "data/own\0"
          "2"); /* an existing node needs no new slot */
    VAL(d, XS_READ, 0, "data/own", "2");
    uint32_t t = tx_start(d);
    ERR(d, XS_WRITE, t,
        "data/own\0"
        "3",
        "ENOSPC"); /* a transaction's copy does */
    OK(d, XS_TRANSACTION_END, t, "F");
    /* Everything still reads back; freeing makes room again. */
    core_read("/pool/n0", "x");
    assert_int_equal(xs_rm("/pool"), 0);
    WRITE(d, 0,
          "data/new\0"
          "1");

    /* Values share one arena: 2 KiB values run out before the nodes do. */
    static char big[2048 + 16];
    memset(big, 'b', sizeof(big));
    big[2048] = 0;
    for (i = 0, rc = 0; i < 100 && !rc; i++) {
        snprintf(p, sizeof(p), "/big/n%d", i);
        rc = xs_write(p, big);
    }
    assert_int_equal(rc, -XEN_ENOSPC);
    assert_true(i > 25);
    char back[2100];
    assert_int_equal(xs_read("/big/n0", back, sizeof(back)), 2048);
    /* Free every other value, then one more big one fits only by compacting. */
    for (int k = 0; k < i - 1; k += 2) {
        snprintf(p, sizeof(p), "/big/n%d", k);
        assert_int_equal(xs_rm(p), 0);
    }
    assert_int_equal(xs_write("/big/again", big), 0);
    for (int k = 1; k < i - 1; k += 2) {
        snprintf(p, sizeof(p), "/big/n%d", k);
        assert_int_equal(xs_read(p, back, sizeof(back)), 2048);
        assert_memory_equal(back, big, 2048);
    }

    /* A path too long to store is refused, not truncated. */
    char lp[300] = "data/";
    memset(lp + 5, 'l', 250);
    lp[255] = 0;
    expect_err(req(d, XS_WRITE, 0, lp, 256), "ENOSPC");
    expect_err(req(d, XS_READ, 0, lp, 256), "ENOENT");
    td_assert_invariants();
}

/* ---- domains coming and going ---- */

static unsigned int released;
static void on_release(const char *path, void *ctx)
{
    assert_string_equal(path, "@releaseDomain");
    released++;
}

static void test_release(void **state)
{
    struct domain *d2 = td_build(TD_MEMORY_KB, NULL, 1);
    released = 0;
    memset(&rec, 0, sizeof(rec));
    assert_int_equal(xs_watch_core("@releaseDomain", on_release, NULL), 0);
    assert_int_equal(xs_watch_core("/local/domain/2/data/w", record, NULL), 0);
    WRITE(d2, 0,
          "data/w\0"
          "1");
    assert_int_equal(rec.n, 1);
    OK(d2, XS_WATCH, 0, "data\0tok");
    tx_start(d2);
    /* A backend directory owned by the domain, and a node of domain 1 it may read. */
    assert_int_equal(xs_write("/local/domain/0/backend/vbd/2/51712/state", "1"), 0);
    assert_int_equal(xs_set_perms("/local/domain/0/backend/vbd/2", 2, 'n', 0, 0), 0);
    WRITE(d, 0, "data/shared\0s");
    OK(d, XS_SET_PERMS, 0, "data/shared\0n1\0r2");
    OK(d, XS_WATCH, 0, "@releaseDomain\0rel");
    expect_event(d, "@releaseDomain", "rel");

    domain_destroy(d2);
    memset(&cl[2], 0, sizeof(cl[2]));
    assert_int_equal(released, 1);
    assert_int_equal(rec.n, 2); /* the watched node went with its directory */
    char buf[32];
    assert_int_equal(xs_read("/local/domain/2/name", buf, sizeof(buf)), -XEN_ENOENT);
    assert_int_equal(xs_read("/local/domain/0/backend/vbd/2/51712/state", buf, sizeof(buf)),
                     -XEN_ENOENT);
    core_read("/local/domain/0/backend/vbd", "");
    VAL(d, XS_GET_PERMS, 0, "data/shared", "n1\0");
    expect_no_event(d); /* @releaseDomain is dom0's to read */

    /* The next domain 2 starts clean, even where someone wrote before it came. */
    assert_int_equal(xs_write("/local/domain/2/stale", "s"), 0);
    d2 = td_build(TD_MEMORY_KB, NULL, 1);
    assert_int_equal(xs_read("/local/domain/2/stale", buf, sizeof(buf)), -XEN_ENOENT);
    assert_int_equal(d2->domid, 2);
    ERR(d2, XS_READ, 0, "data/w", "ENOENT");
    ERR(d2, XS_READ, 0, "/local/domain/1/data/shared", "EACCES");
    VAL(d2, XS_READ, 0, "domid", "2");
    ERR(d2, XS_TRANSACTION_END, 1, "T", "ENOENT");

    /* Domains never introduced (a half-built one) are let go quietly. */
    struct domain ghost;
    memset(&ghost, 0, sizeof(ghost));
    ghost.domid = 9;
    xs_domain_release(&ghost);
    ghost.domid = 500;
    xs_domain_release(&ghost);
    assert_int_equal(released, 1);
    xs_ring_notify(&ghost);
    xs_unwatch_core(on_release, NULL);
    xs_unwatch_core(record, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_introduce_nodes, setup),
        cmocka_unit_test_setup(test_read_write_values, setup),
        cmocka_unit_test_setup(test_domain_path, setup),
        cmocka_unit_test_setup(test_mkdir_directory_rm, setup),
        cmocka_unit_test_setup(test_malformed_requests, setup),
        cmocka_unit_test_setup(test_permissions, setup3),
        cmocka_unit_test_setup(test_watches, setup),
        cmocka_unit_test_setup(test_watch_after_core_write, setup),
        cmocka_unit_test_setup(test_watch_permissions, setup3),
        cmocka_unit_test_setup(test_event_queue, setup),
        cmocka_unit_test_setup(test_watch_limits, setup),
        cmocka_unit_test_setup(test_core_watches, setup),
        cmocka_unit_test_setup(test_transaction_commit, setup),
        cmocka_unit_test_setup(test_transaction_views, setup),
        cmocka_unit_test_setup(test_transaction_abort_and_errors, setup),
        cmocka_unit_test_setup(test_ring_wrap, setup),
        cmocka_unit_test_setup(test_partial_request, setup),
        cmocka_unit_test_setup(test_full_response_ring, setup),
        cmocka_unit_test_setup(test_bad_request_indices, setup),
        cmocka_unit_test_setup(test_bad_response_indices, setup),
        cmocka_unit_test_setup(test_payload_too_long, setup),
        cmocka_unit_test_setup(test_no_usable_ring, setup),
        cmocka_unit_test_setup(test_pool_exhaustion, setup),
        cmocka_unit_test_setup(test_release, setup3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
