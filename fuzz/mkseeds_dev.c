/* Seeds of fuzz/corpus/hypercall for the PV device pieces: grant tables, unbound ports, xenstore.
 */
#include <stdio.h>
#include <string.h>

#include "mkseeds_hc.h"
#include "public/grant_table.h"
#include "public/io/xs_wire.h"

/*
 * Where these seeds put things: structures at scratch + 0, a grant frame
 * list at scratch + 0x100, the struct evtchn_send for the store port at
 * scratch + 0x40. The store ring is the domain's PFN 0x106 (mapped at VA
 * 0x106000, writable), its port 2 (the console has 1). Requests are
 * written at the ring's producer index, which the seed keeps track of.
 */
#define PFN_STORE 0x106
#define STORE_VA ((uint64_t)PFN_STORE << 12)
#define STORE_PORT 2
#define REQ_CONS_OFF 2048 /* struct xenstore_domain_interface */
#define REQ_PROD_OFF 2052
#define RSP_CONS_OFF 2056
#define RSP_PROD_OFF 2060
#define SEND_OFF 0x40
#define LIST_OFF 0x100
#define D1 0 /* domid 1 */
#define D2 1 /* domid 2 */

/* ------------------------------------------------------------------------------------------ */
/* Grant tables */

/* GNTTABOP_setup_table for dom with nr frames, the frame list at scratch + LIST_OFF. */
static void gnt_setup(struct seed *s, int dom, uint16_t target, uint32_t nr, uint32_t count)
{
    struct gnttab_setup_table t;
    memset(&t, 0, sizeof(t));
    t.dom = target;
    t.nr_frames = nr;
    uint64_t list = LIST_OFF;
    blob(s, dom, 0, &t, sizeof(t));
    blob(s, dom, offsetof(struct gnttab_setup_table, frame_list), &list, sizeof(list));
    reloc(s, dom, offsetof(struct gnttab_setup_table, frame_list), 2);
    hc(s, dom, __HYPERVISOR_grant_table_op, A8(GNTTABOP_setup_table), AS(0), A8(count), A0);
}

static void gnt_op(struct seed *s, int dom, unsigned cmd, const void *p, size_t len, uint32_t count)
{
    blob(s, dom, 0, p, len);
    hc(s, dom, __HYPERVISOR_grant_table_op, A32(cmd), AS(0), A32(count), A0);
}

static void seeds_grant_table(void)
{
    struct seed s;
    static const struct {
        const char *name;
        uint16_t dom;
        uint32_t nr, count;
        uint8_t flags;
    } setups[] = {
        {"1", DOMID_SELF, 1, 1, 0},
        {"4", DOMID_SELF, 4, 1, 0},
        {"5-too-many", DOMID_SELF, 5, 1, 0},
        {"0", DOMID_SELF, 0, 1, 0},
        {"own-id", 1, 2, 1, 0},
        {"other-domain", 2, 1, 1, 0},
        {"no-domain", 9, 1, 1, 0},
        {"count-2", DOMID_SELF, 1, 2, 0},
        {"count-0", DOMID_SELF, 1, 0, 0},
        {"exhausted", DOMID_SELF, 2, 1, 4},
    };
    for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]); i++) {
        start(&s, setups[i].flags, 0);
        gnt_setup(&s, 0, setups[i].dom, setups[i].nr, setups[i].count);
        save("hypercall", &s, "gnt-setup-%s", setups[i].name);
    }

    /* Grow 1 -> 3, ask for less (the table never shrinks), query the size each time. */
    start(&s, 0, 0);
    struct gnttab_query_size q;
    memset(&q, 0, sizeof(q));
    q.dom = DOMID_SELF;
    gnt_op(&s, 1, GNTTABOP_query_size, &q, sizeof(q), 1);
    gnt_setup(&s, 1, DOMID_SELF, 1, 1);
    gnt_setup(&s, 1, DOMID_SELF, 3, 1);
    gnt_setup(&s, 1, DOMID_SELF, 2, 1);
    gnt_op(&s, 1, GNTTABOP_query_size, &q, sizeof(q), 1);
    save("hypercall", &s, "gnt-grow-query");

    /* A frame list the guest cannot write (a kernel text page mapped read-only? no: a hole). */
    start(&s, 0, 0);
    struct gnttab_setup_table t;
    memset(&t, 0, sizeof(t));
    t.dom = DOMID_SELF;
    t.nr_frames = 2;
    t.frame_list = (xen_pfn_t *)(uintptr_t)0x7fff00000000ULL; /* not mapped */
    blob(&s, 0, 0, &t, sizeof(t));
    hc(&s, 0, __HYPERVISOR_grant_table_op, A8(GNTTABOP_setup_table), AS(0), A8(1), A0);
    t.frame_list = (xen_pfn_t *)(uintptr_t)0xffff800000000000ULL; /* the hypervisor's hole */
    blob(&s, 0, 0, &t, sizeof(t));
    hc(&s, 0, __HYPERVISOR_grant_table_op, A8(GNTTABOP_setup_table), AS(0), A8(1), A0);
    save("hypercall", &s, "gnt-setup-bad-list");

    static const uint32_t query_doms[] = {DOMID_SELF, 1, 2, 9};
    for (size_t i = 0; i < 4; i++) {
        start(&s, 0, 0);
        memset(&q, 0, sizeof(q));
        q.dom = (uint16_t)query_doms[i];
        gnt_op(&s, 0, GNTTABOP_query_size, &q, sizeof(q), i == 3 ? 2 : 1);
        save("hypercall", &s, "gnt-query-size-%u", query_doms[i]);
    }

    static const uint32_t versions[] = {1, 2, 0, 3};
    for (size_t i = 0; i < 4; i++) {
        start(&s, 0, 0);
        struct gnttab_set_version v = {versions[i]};
        gnt_op(&s, 0, GNTTABOP_set_version, &v, sizeof(v), 1);
        save("hypercall", &s, "gnt-set-version-%u", versions[i]);
    }
    for (size_t i = 0; i < 4; i++) {
        start(&s, 0, 0);
        struct gnttab_get_version g;
        memset(&g, 0, sizeof(g));
        g.dom = (uint16_t)query_doms[i];
        gnt_op(&s, 0, GNTTABOP_get_version, &g, sizeof(g), 1);
        save("hypercall", &s, "gnt-get-version-%u", query_doms[i]);
    }

    /* The operations on another domain's grants (-ENOSYS), a negative count, continuation bits. */
    static const uint32_t cmds[] = {GNTTABOP_map_grant_ref, GNTTABOP_copy,
                                    GNTTABOP_cache_flush | 0x1000, GNTTABOP_query_size | 0x1000,
                                    13};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        start(&s, 0, 0);
        uint8_t zero[24] = {0};
        gnt_op(&s, 0, cmds[i], zero, sizeof(zero), 1);
        save("hypercall", &s, "gnt-cmd-%#x", cmds[i]);
    }
    start(&s, 0, 0);
    memset(&q, 0, sizeof(q));
    q.dom = DOMID_SELF;
    gnt_op(&s, 0, GNTTABOP_query_size, &q, sizeof(q), 0x80000000u);
    save("hypercall", &s, "gnt-negative-count");

    /*
     * Map the first table frame into the guest (update_va_mapping of a free
     * page's VA), write an entry through the mapping, then unmap it. The
     * builder leaves the first free frame right after d2's pages, which is
     * d1's "PFN" 0x262 as an MFN (AM/AP add d1's first MFN, 1): the table
     * frame, with the hypervisor's frame beside it after.
     */
    start(&s, 0, 0);
    gnt_setup(&s, 0, DOMID_SELF, 1, 1);
    hc(&s, 0, __HYPERVISOR_update_va_mapping, A64(0x9e000), AP((0x262ULL << 12) | P | RW | US),
       A8(UVMF_INVLPG), A0);
    struct grant_entry_v1 e = {GTF_permit_access, 0, 0x90};
    blob_at(&s, 0, A32(0x9e000 + 8), &e, sizeof(e));
    hc(&s, 0, __HYPERVISOR_update_va_mapping, A64(0x9e000), A64(0), A8(UVMF_INVLPG), A0);
    save("hypercall", &s, "gnt-map-table-frame");

    /* The same frame mapped read-only, then made a page table (refused: it is not the guest's). */
    start(&s, 0, 0);
    gnt_setup(&s, 0, DOMID_SELF, 1, 1);
    hc(&s, 0, __HYPERVISOR_update_va_mapping, A64(0x9e000), AP((0x262ULL << 12) | P | US),
       A8(UVMF_INVLPG), A0);
    struct mmuext_op pin;
    ext(&pin, MMUEXT_PIN_L1_TABLE, 0x262, 0);
    blob(&s, 0, 0x200, &pin, sizeof(pin));
    reloc(&s, 0, 0x208, 0);
    hc(&s, 0, __HYPERVISOR_mmuext_op, AS(0x200), A8(1), A0, ASELF);
    save("hypercall", &s, "gnt-pin-table-frame");
}

/* ------------------------------------------------------------------------------------------ */
/* EVTCHNOP_alloc_unbound */

static void alloc_unbound(struct seed *s, int dom, uint16_t d, uint16_t remote)
{
    struct evtchn_alloc_unbound a = {d, remote, 0};
    blob(s, dom, 0, &a, sizeof(a));
    evtchn(s, dom, EVTCHNOP_alloc_unbound, 0);
}

static void seeds_alloc_unbound(void)
{
    struct seed s;
    static const struct {
        const char *name;
        uint16_t dom, remote;
    } cases[] = {
        {"dom0", DOMID_SELF, 0},  {"self", DOMID_SELF, DOMID_SELF},
        {"other", DOMID_SELF, 2}, {"missing", DOMID_SELF, 77},
        {"own-id", 1, 0},         {"for-other", 2, 0},
        {"for-missing", 9, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        start(&s, 0, 0);
        alloc_unbound(&s, 0, cases[i].dom, cases[i].remote);
        save("hypercall", &s, "evtchn-alloc_unbound-%s", cases[i].name);
    }

    /* The port it gets (3 in d1): its status, a send on it (nobody bound it), close, status. */
    start(&s, 0, 0);
    alloc_unbound(&s, 0, DOMID_SELF, 0);
    struct evtchn_status st;
    memset(&st, 0, sizeof(st));
    st.dom = DOMID_SELF;
    st.port = 3;
    blob(&s, 0, 0x20, &st, sizeof(st));
    evtchn(&s, 0, EVTCHNOP_status, 0x20);
    port_blob(&s, 0, 0x48, 3);
    evtchn(&s, 0, EVTCHNOP_send, 0x48);
    evtchn(&s, 0, EVTCHNOP_close, 0x48);
    evtchn(&s, 0, EVTCHNOP_status, 0x20);
    save("hypercall", &s, "evtchn-alloc_unbound-status-close");

    /* Ports until there are none left: multicalls of 15 allocations (d2, which has 3 bound). */
    start(&s, 0, 0);
    struct evtchn_alloc_unbound a = {DOMID_SELF, 0, 0};
    blob(&s, 1, 0, &a, sizeof(a));
    for (int m = 0; m < 9; m++) {
        op(&s, 1, S_MULTI);
        put(&s, 15, 1);
        for (int k = 0; k < 15; k++) {
            put(&s, __HYPERVISOR_event_channel_op, 1);
            const struct arg args[5] = {A8(EVTCHNOP_alloc_unbound), AS(0), A0, A0, A0};
            args5(&s, args);
        }
    }
    save("hypercall", &s, "evtchn-alloc_unbound-exhaust");
}

/* ------------------------------------------------------------------------------------------ */
/* Xenstore: requests on the store ring, then a send on the store port */

static uint32_t xs_prod[2]; /* each domain's request producer, as the seed has written it */
static bool xs_port_written[2];

static void xs_start(struct seed *s, uint8_t flags)
{
    start(s, flags, 0);
    xs_prod[0] = xs_prod[1] = 0;
    xs_port_written[0] = xs_port_written[1] = false;
}

/* One message (header, payload) into buf; its length. */
static size_t xs_msg(uint8_t *buf, uint32_t type, uint32_t req_id, uint32_t tx, const void *payload,
                     uint32_t len)
{
    struct xsd_sockmsg h = {type, req_id, tx, len};
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), payload, len);
    return sizeof(h) + len;
}

/* The guest sends on its store port (the struct evtchn_send written once per domain and seed). */
static void xs_kick(struct seed *s, int dom)
{
    if (!xs_port_written[dom])
        port_blob(s, dom, SEND_OFF, STORE_PORT);
    xs_port_written[dom] = true;
    evtchn(s, dom, EVTCHNOP_send, SEND_OFF);
}

/* Messages appended at the request producer (wrapping in the ring), published, then a send. */
static void xs_put(struct seed *s, int dom, const void *msgs, size_t len)
{
    const uint8_t *m = msgs;
    uint32_t at = xs_prod[dom] % XENSTORE_RING_SIZE, first = XENSTORE_RING_SIZE - at;
    if (first > len)
        first = (uint32_t)len;
    blob_at(s, dom, A32(STORE_VA + at), m, first);
    if (len > first)
        blob_at(s, dom, A32(STORE_VA), m + first, len - first);
    xs_prod[dom] += (uint32_t)len;
    blob_at(s, dom, A32(STORE_VA + REQ_PROD_OFF), &xs_prod[dom], 4);
    xs_kick(s, dom);
}

/* One request whose payload is a NUL-separated list (strings with their NULs, len bytes). */
static void xs_req(struct seed *s, int dom, uint32_t type, uint32_t tx, const void *payload,
                   uint32_t len)
{
    uint8_t buf[XENSTORE_RING_SIZE];
    xs_put(s, dom, buf, xs_msg(buf, type, 7, tx, payload, len));
}

#define XS_STR(s_) (s_), (uint32_t)sizeof(s_)       /* a string literal with its NUL */
#define XS_VAL(s_) (s_), (uint32_t)(sizeof(s_) - 1) /* a WRITE's path\0value, no final NUL */

/* The guest consumes every response (rsp_cons = rsp_prod is what it read; here: far ahead). */
static void xs_consume(struct seed *s, int dom, uint32_t rsp_cons)
{
    blob_at(s, dom, A32(STORE_VA + RSP_CONS_OFF), &rsp_cons, 4);
}

static void seeds_xenstore(void)
{
    struct seed s;
    static const struct {
        const char *name;
        uint32_t type;
        const char *payload;
        uint32_t len;
    } one[] = {
        {"read-domid", XS_READ, XS_STR("domid")},
        {"read-name-abs", XS_READ, XS_STR("/local/domain/1/name")},
        {"read-other", XS_READ, XS_STR("/local/domain/2/name")},
        {"read-missing", XS_READ, XS_STR("nothing/here")},
        {"read-root", XS_READ, XS_STR("/")},
        {"write", XS_WRITE, XS_VAL("data/x\0value")},
        {"write-empty", XS_WRITE, XS_VAL("data/empty\0")},
        {"write-other-home", XS_WRITE, XS_VAL("/local/domain/2/x\0v")},
        {"write-readonly-domid", XS_WRITE,
         XS_VAL("domid\0"
                "9")},
        {"mkdir", XS_MKDIR, XS_STR("data/dir/sub")},
        {"rm-missing", XS_RM, XS_STR("data/none")},
        {"rm-home", XS_RM, XS_STR("")},
        {"directory-home", XS_DIRECTORY, XS_STR("")},
        {"directory-local", XS_DIRECTORY, XS_STR("/local/domain")},
        {"get-perms", XS_GET_PERMS, XS_STR("domid")},
        {"set-perms", XS_SET_PERMS, "\0n1\0r2", 7},
        {"get-domain-path", XS_GET_DOMAIN_PATH, XS_STR("2")},
        {"get-domain-path-bad", XS_GET_DOMAIN_PATH, XS_STR("x")},
        {"watch", XS_WATCH, "data\0tok", 9},
        {"watch-special", XS_WATCH, "@releaseDomain\0t", 17},
        {"unwatch-none", XS_UNWATCH, "data\0tok", 9},
        {"reset-watches", XS_RESET_WATCHES, XS_STR("")},
        {"tx-start", XS_TRANSACTION_START, XS_STR("")},
        {"tx-end-none", XS_TRANSACTION_END, XS_STR("T")},
        {"bad-path", XS_READ, XS_STR("a//b")},
        {"bad-char", XS_READ, XS_STR("a b")},
        {"no-nul", XS_READ, "domid", 5},
        {"introduce", XS_INTRODUCE,
         "3\0"
         "1\0"
         "2",
         6},
        {"control", XS_CONTROL, XS_STR("print")},
        {"release", XS_RELEASE, XS_STR("2")},
        {"is-introduced", XS_IS_DOMAIN_INTRODUCED, XS_STR("2")},
        {"directory-part", XS_DIRECTORY_PART,
         "\0"
         "0",
         3},
        {"unknown-type", 99, XS_STR("domid")},
        {"watch-event-type", XS_WATCH_EVENT, "a\0b", 4},
    };
    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
        xs_start(&s, 0);
        xs_req(&s, D1, one[i].type, 0, one[i].payload, one[i].len);
        save("hypercall", &s, "xs-%s", one[i].name);
    }

    /* A path of 200 characters (longer than the 191 stored), and a value of 3000 bytes. */
    xs_start(&s, 0);
    char longpath[201];
    memset(longpath, 'p', 200);
    longpath[200] = 0;
    xs_req(&s, D1, XS_READ, 0, longpath, sizeof(longpath));
    save("hypercall", &s, "xs-path-too-long");
    xs_start(&s, 0);
    static char bigval[3007];
    memcpy(bigval, "data/v\0", 7);
    memset(bigval + 7, 'v', sizeof(bigval) - 7);
    uint8_t big[sizeof(struct xsd_sockmsg) + sizeof(bigval)];
    size_t bl = xs_msg(big, XS_WRITE, 1, 0, bigval, sizeof(bigval));
    for (size_t off = 0; off < bl; off += 1000) /* in pieces: the ring holds 1024 bytes */
        xs_put(&s, D1, big + off, bl - off < 1000 ? bl - off : 1000);
    save("hypercall", &s, "xs-value-too-long");

    /* Write, read back, list, remove; both domains' requests in one input. */
    xs_start(&s, 0);
    uint8_t buf[512];
    size_t n = xs_msg(buf, XS_WRITE, 1, 0, XS_VAL("data/a\0one"));
    n += xs_msg(buf + n, XS_READ, 2, 0, XS_STR("data/a"));
    n += xs_msg(buf + n, XS_DIRECTORY, 3, 0, XS_STR("data"));
    n += xs_msg(buf + n, XS_RM, 4, 0, XS_STR("data"));
    xs_put(&s, D1, buf, n);
    xs_req(&s, D2, XS_READ, 0, XS_STR("/local/domain/1/data/a"));
    save("hypercall", &s, "xs-write-read-rm");

    /* A watch fires at once, then on a write below it; unwatch; no event after. */
    xs_start(&s, 0);
    n = xs_msg(buf, XS_WATCH, 1, 0, "data\0tok", 9);
    n += xs_msg(buf + n, XS_WRITE, 2, 0,
                XS_VAL("data/w\0"
                       "1"));
    n += xs_msg(buf + n, XS_UNWATCH, 3, 0, "data\0tok", 9);
    n += xs_msg(buf + n, XS_WRITE, 4, 0,
                XS_VAL("data/w\0"
                       "2"));
    xs_put(&s, D1, buf, n);
    save("hypercall", &s, "xs-watch-write-unwatch");

    /*
     * A watch across domains: d1 lets d2 read a node, d2 watches it, d1
     * writes it: the event goes to d2's ring (and port) in d1's step.
     */
    xs_start(&s, 0);
    n = xs_msg(buf, XS_WRITE, 1, 0, XS_VAL("shared\0a"));
    n += xs_msg(buf + n, XS_SET_PERMS, 2, 0, "shared\0n1\0r2", 13);
    xs_put(&s, D1, buf, n);
    xs_req(&s, D2, XS_WATCH, 0, "/local/domain/1/shared\0t", 25);
    xs_req(&s, D1, XS_WRITE, 0, XS_VAL("shared\0b"));
    save("hypercall", &s, "xs-watch-other-domain");

    /* The same with d2 blocked on its store port: the event wakes it. */
    xs_start(&s, 0);
    xs_put(&s, D1, buf, n);
    xs_req(&s, D2, XS_WATCH, 0, "/local/domain/1/shared\0t", 25);
    unmask_upcalls(&s, D2);
    hc(&s, D2, __HYPERVISOR_sched_op, A8(SCHEDOP_block), A0, A0, A0);
    xs_req(&s, D1, XS_WRITE, 0, XS_VAL("shared\0b"));
    save("hypercall", &s, "xs-watch-wakes-other");

    /* Transactions: commit, abort, and EAGAIN (its parent removed meanwhile). */
    static const char *ends[] = {"T", "F"};
    for (int e = 0; e < 2; e++) {
        xs_start(&s, 0);
        n = xs_msg(buf, XS_TRANSACTION_START, 1, 0, XS_STR(""));
        n += xs_msg(buf + n, XS_WRITE, 2, 1, XS_VAL("data/t\0in-tx"));
        n += xs_msg(buf + n, XS_READ, 3, 0, XS_STR("data/t"));
        n += xs_msg(buf + n, XS_TRANSACTION_END, 4, 1, ends[e], 2);
        n += xs_msg(buf + n, XS_READ, 5, 0, XS_STR("data/t"));
        xs_put(&s, D1, buf, n);
        save("hypercall", &s, "xs-tx-%s", e ? "abort" : "commit");
    }
    xs_start(&s, 0);
    n = xs_msg(buf, XS_WRITE, 1, 0,
               XS_VAL("p/q\0"
                      "0"));
    n += xs_msg(buf + n, XS_TRANSACTION_START, 2, 0, XS_STR(""));
    n += xs_msg(buf + n, XS_WRITE, 3, 1,
                XS_VAL("p/q/r\0"
                       "1"));
    n += xs_msg(buf + n, XS_RM, 4, 0, XS_STR("p"));
    n += xs_msg(buf + n, XS_TRANSACTION_END, 5, 1, XS_STR("T"));
    xs_put(&s, D1, buf, n);
    save("hypercall", &s, "xs-tx-eagain");
    xs_start(&s, 0);
    n = xs_msg(buf, XS_TRANSACTION_START, 1, 0, XS_STR(""));
    n += xs_msg(buf + n, XS_TRANSACTION_START, 2, 1, XS_STR(""));
    n += xs_msg(buf + n, XS_READ, 3, 9, XS_STR("domid"));
    xs_put(&s, D1, buf, n);
    save("hypercall", &s, "xs-tx-nested-unknown");

    /* A request in two halves: the header, then (a second notify) the payload. */
    xs_start(&s, 0);
    n = xs_msg(buf, XS_READ, 1, 0, XS_STR("domid"));
    xs_put(&s, D1, buf, 16);
    xs_put(&s, D1, buf + 16, n - 16);
    save("hypercall", &s, "xs-partial");

    /* Requests across the end of the ring (the guest starts its indices at 1000). */
    xs_start(&s, 0);
    uint32_t idx[2] = {1000, 1000};
    blob_at(&s, D1, A32(STORE_VA + REQ_CONS_OFF), idx, sizeof(idx));
    xs_prod[D1] = 1000;
    n = xs_msg(buf, XS_WRITE, 1, 0, XS_VAL("data/wrap\0around the end"));
    xs_put(&s, D1, buf, n);
    save("hypercall", &s, "xs-ring-wrap");

    /* Indices more than a ring apart: the daemon closes the ring (error 2). */
    xs_start(&s, 0);
    uint32_t far = 5000;
    blob_at(&s, D1, A32(STORE_VA + REQ_PROD_OFF), &far, 4);
    xs_kick(&s, D1);
    xs_req(&s, D1, XS_READ, 0, XS_STR("domid")); /* (not served any more) */
    save("hypercall", &s, "xs-bad-indices");

    /* A header announcing 5000 bytes: more than a payload may be (error 3). */
    xs_start(&s, 0);
    struct xsd_sockmsg h = {XS_WRITE, 1, 0, 5000};
    xs_put(&s, D1, &h, sizeof(h));
    save("hypercall", &s, "xs-oversize-len");

    /* The response ring full (the guest never consumes): answers wait, then it consumes. */
    xs_start(&s, 0);
    n = 0;
    for (int i = 0; i < 40; i++)
        n += xs_msg(buf + n, XS_READ, (uint32_t)i, 0, XS_STR("name"));
    xs_put(&s, D1, buf, n > 1000 ? 1000 : n);
    xs_consume(&s, D1, 1024);
    xs_kick(&s, D1);
    save("hypercall", &s, "xs-response-ring-full");

    /* Response ring indices that are nonsense (consumer ahead of the producer). */
    xs_start(&s, 0);
    xs_consume(&s, D1, 0x80000000u);
    xs_req(&s, D1, XS_READ, 0, XS_STR("domid"));
    save("hypercall", &s, "xs-bad-response-indices");

    /* The xenstore backend notifies the guest; a request while d2 is crashed. */
    xs_start(&s, 0);
    op(&s, D1, S_BACKEND);
    put(&s, 1, 1); /* odd: xenstore */
    xs_req(&s, D1, XS_READ, 0, XS_STR("domid"));
    save("hypercall", &s, "xs-backend-notify");
    xs_start(&s, 2);
    xs_req(&s, D2, XS_READ, 0, XS_STR("domid"));
    xs_req(&s, D1, XS_READ, 0, XS_STR("domid"));
    save("hypercall", &s, "xs-crashed-domain");

    /* The store page made a page table first: the daemon leaves it alone. */
    xs_start(&s, 0);
    make_ro(&s, D1, STORE_VA);
    struct mmuext_op pin;
    ext(&pin, MMUEXT_PIN_L1_TABLE, PFN_STORE, 0);
    blob(&s, D1, 0x200, &pin, sizeof(pin));
    reloc(&s, D1, 0x208, 0);
    hc(&s, D1, __HYPERVISOR_mmuext_op, AS(0x200), A8(1), A0, ASELF);
    xs_kick(&s, D1);
    save("hypercall", &s, "xs-ring-page-table");
}

/* The console ring page made a page table: the backend leaves it alone (-EACCES, with its reason).
 */
static void seeds_console_ring(void)
{
    struct seed s;
    start(&s, 0, 0);
    make_ro(&s, D1, 0x107000);
    struct mmuext_op pin;
    ext(&pin, MMUEXT_PIN_L1_TABLE, 0x107, 0);
    blob(&s, D1, 0x200, &pin, sizeof(pin));
    reloc(&s, D1, 0x208, 0);
    hc(&s, D1, __HYPERVISOR_mmuext_op, AS(0x200), A8(1), A0, ASELF);
    op(&s, D1, S_RING);
    port_blob(&s, D1, SEND_OFF, 1);
    evtchn(&s, D1, EVTCHNOP_send, SEND_OFF);
    save("hypercall", &s, "console-ring-page-table");
}

void seeds_devices(void)
{
    seeds_console_ring();
    seeds_grant_table();
    seeds_alloc_unbound();
    seeds_xenstore();
}
