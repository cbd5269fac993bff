/* Unit tests for the block backend (hv/common/blkback.c) with a hand-driven frontend. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hv/arch.h"
#include "hv/blkback.h"
#include "hv/evtchn.h"
#include "hv/grant.h"
#include "hv/xenstore.h"
#include "public/io/xs_wire.h"
#include "test_domain.h"

/*
 * Every test: a fresh machine, one domain, a 64-sector disk as xvda. The
 * test plays blkfront: it sets up the grant table through the hypercall,
 * writes grant entries and ring slots straight into the guest's frames,
 * writes its xenstore nodes through the core's API (the backend's watch
 * sees any writer), and notifies through EVTCHNOP_send like a guest.
 */
#define SECTORS 64
#define FE "/local/domain/1/device/vbd/51712"
#define BE "/local/domain/0/backend/vbd/1/51712"
#define S TD_SCRATCH_VA
#define RING_VA (S + 0x10000)
#define DATA_VA (S + 0x20000) /* data pages, one per segment */
#define RING_REF 8
#define DATA_REF 9

static struct domain *d;
static struct vcpu *v;
static uint8_t disk[SECTORS * 512];
static struct grant_entry_v1 *gt; /* the domain's grant table frame 0 */
static evtchn_port_t port;
static RING_IDX req_prod;

static void fill_disk(void)
{
    for (unsigned int i = 0; i < sizeof(disk); i++)
        disk[i] = (uint8_t)(i / 512 + i);
}

static long hc(unsigned long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return td_hc(v, nr, a0, a1, a2, 0, 0);
}

static void node_is(const char *path, const char *want)
{
    char got[128];
    int n = xs_read(path, got, sizeof(got));
    if (n < 0)
        fail_msg("%s: missing (%d), want '%s'", path, n, want);
    if (strcmp(got, want))
        fail_msg("%s = '%s', want '%s'", path, got, want);
}

static void grant(grant_ref_t ref, uint64_t va, bool ro)
{
    gt[ref].domid = 0;
    gt[ref].frame = (uint32_t)td_mfn(v, va);
    gt[ref].flags = GTF_permit_access | (ro ? GTF_readonly : 0);
}

static int setup(void **state)
{
    (void)state;
    d = td_setup();
    v = &d->vcpus[0];
    fill_disk();
    req_prod = 0;
    struct blk_image img = {.data = disk, .size = sizeof(disk)};
    assert_int_equal(blkback_add_disk(d, "xvda", &img), 51712);

    /* Grant table: one frame, set up through the hypercall like a guest. */
    struct gnttab_setup_table st = {
        .dom = DOMID_SELF, .nr_frames = 1, .frame_list = (xen_pfn_t *)(uintptr_t)(S + 0x800)};
    td_put(v, S, &st, sizeof(st));
    assert_int_equal(hc(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, S, 1), 0);
    td_get(v, &st, S, sizeof(st));
    assert_int_equal(st.status, GNTST_okay);
    uint64_t frame;
    td_get(v, &frame, S + 0x800, sizeof(frame));
    gt = arch_mfn_to_virt(_mfn(frame));

    /* The port: unbound, for domain 0. */
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 0};
    td_put(v, S, &a, sizeof(a));
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, S, 0), 0);
    td_get(v, &a, S, sizeof(a));
    port = a.port;
    return 0;
}

static struct blkif_sring_header *ring(void)
{
    return td_ptr(v, RING_VA);
}
static void *slot(RING_IDX i)
{
    return (uint8_t *)ring() + BLKIF_RING_HEADER_BYTES + (i % BLKIF_RING_SLOTS) * 112;
}

/* The frontend's half of the handshake, then the state it asks for. */
static void connect_frontend(void)
{
    memset(ring(), 0, 4096);
    ring()->rsp_event = 1; /* SHARED_RING_INIT */
    ring()->req_event = 1;
    grant(RING_REF, RING_VA, false);
    char val[16];
    snprintf(val, sizeof(val), "%u", RING_REF);
    assert_int_equal(xs_write(FE "/ring-ref", val), 0);
    snprintf(val, sizeof(val), "%u", port);
    assert_int_equal(xs_write(FE "/event-channel", val), 0);
    assert_int_equal(xs_write(FE "/protocol", "x86_64-abi"), 0);
    assert_int_equal(xs_write(FE "/state", "3"), 0);
}

/* Queue one request (not yet published). */
static void push(uint8_t op, uint64_t sector, unsigned int nseg,
                 const struct blkif_request_segment *segs, uint64_t id)
{
    struct blkif_request rq = {
        .operation = op, .nr_segments = (uint8_t)nseg, .id = id, .sector_number = sector};
    for (unsigned int i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
        rq.seg[i] = segs[i];
    memcpy(slot(req_prod++), &rq, sizeof(rq));
}

static void kick(void)
{
    ring()->req_prod = req_prod;
    struct evtchn_send s = {.port = port};
    td_put(v, S, &s, sizeof(s));
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, S, 0), 0);
}

static struct blkif_response rsp(RING_IDX i)
{
    struct blkif_response r;
    memcpy(&r, slot(i), sizeof(r));
    return r;
}

/* One request, published and answered: its status. */
static int16_t one(uint8_t op, uint64_t sector, unsigned int nseg,
                   const struct blkif_request_segment *segs)
{
    RING_IDX i = req_prod;
    push(op, sector, nseg, segs, 0x1000 + i);
    kick();
    assert_int_equal(ring()->rsp_prod, i + 1);
    struct blkif_response r = rsp(i);
    assert_int_equal(r.id, 0x1000 + i);
    assert_int_equal(r.operation, op);
    return r.status;
}

static void test_vdev_names(void **state)
{
    (void)state;
    assert_int_equal(blkback_vdev_to_devid("xvda"), 51712);
    assert_int_equal(blkback_vdev_to_devid("xvdb"), 51728);
    assert_int_equal(blkback_vdev_to_devid("xvda1"), 51713);
    assert_int_equal(blkback_vdev_to_devid("xvdp15"), (202 << 8) | (15 << 4) | 15);
    assert_int_equal(blkback_vdev_to_devid("xvdq"), (1 << 28) | (16 << 8));
    assert_int_equal(blkback_vdev_to_devid("xvdaa"), (1 << 28) | (26 << 8));
    assert_int_equal(blkback_vdev_to_devid("hda"), 768);
    assert_int_equal(blkback_vdev_to_devid("hdc1"), (22 << 8) | 1);
    assert_int_equal(blkback_vdev_to_devid("sdb2"), (8 << 8) | (1 << 4) | 2);
    assert_int_equal(blkback_vdev_to_devid("51712"), 51712);
    const char *bad[] = {"",       "xvd",   "floppy",     "hde", "sdq",
                         "xvda-1", "hda64", "1234567890", "xvd1"};
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_true(blkback_vdev_to_devid(bad[i]) < 0 || !strcmp(bad[i], "1234567890"));
    assert_true(blkback_vdev_to_devid("1234567890") < 0);
    assert_true(blkback_vdev_to_devid(NULL) < 0);
}

static void test_toolstack_nodes(void **state)
{
    (void)state;
    node_is(FE "/backend", BE);
    node_is(FE "/backend-id", "0");
    node_is(FE "/virtual-device", "51712");
    node_is(FE "/device-type", "disk");
    node_is(FE "/state", "1");
    node_is(BE "/frontend", FE);
    node_is(BE "/frontend-id", "1");
    node_is(BE "/mode", "w");
    node_is(BE "/feature-flush-cache", "1");
    node_is(BE "/state", "2");
    node_is(BE "/sectors", "64");
    node_is(BE "/sector-size", "512");
    node_is(BE "/info", "0");

    struct blk_image img = {.data = disk, .size = sizeof(disk)};
    assert_int_equal(blkback_add_disk(d, "xvda", &img), -XEN_EEXIST);
    assert_int_equal(blkback_add_disk(d, "floppy", &img), -XEN_EINVAL);
    img.size = 511;
    assert_int_equal(blkback_add_disk(d, "xvdb", &img), -XEN_EINVAL);
    /* A partial last sector is not part of the disk. */
    img.size = 3 * 512 + 100;
    img.read_only = true;
    assert_int_equal(blkback_add_disk(d, "xvdc", &img), 51744);
    node_is("/local/domain/0/backend/vbd/1/51744/mode", "r");
    node_is("/local/domain/0/backend/vbd/1/51744/sectors", "3");
    node_is("/local/domain/0/backend/vbd/1/51744/info", "4");
}

static void test_connect_read_write_flush(void **state)
{
    (void)state;
    connect_frontend();
    node_is(BE "/state", "4");
    node_is(BE "/sectors", "64");
    node_is(BE "/sector-size", "512");
    node_is(BE "/info", "0");
    assert_true(evtchn_backend_bound(d, port, EVB_BLKIF));
    assert_int_equal(gnttab_nr_held(d), 1); /* the ring page */
    assert_int_equal(gt[RING_REF].flags & (GTF_reading | GTF_writing), GTF_reading | GTF_writing);

    /* READ sectors 3..13 into two pages: all of the first page, sectors 2..4 of the second. */
    grant(DATA_REF, DATA_VA, false);
    grant(DATA_REF + 1, DATA_VA + 0x1000, false);
    memset(td_ptr(v, DATA_VA), 0xEE, 0x2000);
    struct blkif_request_segment segs[2] = {{DATA_REF, 0, 7}, {DATA_REF + 1, 2, 4}};
    assert_int_equal(one(BLKIF_OP_READ, 3, 2, segs), BLKIF_RSP_OKAY);
    assert_memory_equal(td_ptr(v, DATA_VA), disk + 3 * 512, 4096);
    uint8_t *second = td_ptr(v, DATA_VA + 0x1000);
    assert_memory_equal(second + 2 * 512, disk + 11 * 512, 3 * 512);
    assert_int_equal(second[0], 0xEE); /* untouched outside the segment */
    assert_int_equal(second[5 * 512], 0xEE);
    assert_true(evtchn_is_pending(d, port)); /* rsp_event was 1 */
    assert_int_equal(gnttab_nr_held(d), 1);  /* segment grants went back */
    assert_int_equal(gt[DATA_REF].flags, GTF_permit_access);

    /* WRITE the last sector from a page, then FLUSH. */
    memset(td_ptr(v, DATA_VA), 0x5A, 512);
    struct blkif_request_segment w = {DATA_REF, 0, 0};
    assert_int_equal(one(BLKIF_OP_WRITE, SECTORS - 1, 1, &w), BLKIF_RSP_OKAY);
    assert_int_equal(disk[(SECTORS - 1) * 512], 0x5A);
    assert_int_equal(disk[SECTORS * 512 - 1], 0x5A);
    assert_int_equal(one(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, NULL), BLKIF_RSP_OKAY);

    /* Several requests in one batch, answered in order. */
    push(BLKIF_OP_READ, 0, 1, &w, 1);
    push(BLKIF_OP_READ, 1, 1, &w, 2);
    push(BLKIF_OP_READ, 2, 1, &w, 3);
    kick();
    assert_int_equal(ring()->rsp_prod, req_prod);
    assert_int_equal(rsp(req_prod - 1).id, 3);
    assert_memory_equal(td_ptr(v, DATA_VA), disk + 2 * 512, 512);
    assert_int_equal(ring()->req_event, req_prod + 1);
    td_assert_invariants();
}

static void test_bad_requests(void **state)
{
    (void)state;
    connect_frontend();
    grant(DATA_REF, DATA_VA, false);
    grant(DATA_REF + 1, DATA_VA + 0x1000, true); /* read-only for the backend */
    struct blkif_request_segment ok = {DATA_REF, 0, 0};
    struct blkif_request_segment many[12];
    for (unsigned int i = 0; i < 12; i++)
        many[i] = ok;
    const struct {
        uint8_t op;
        uint64_t sector;
        unsigned int nseg;
        struct blkif_request_segment seg;
        int16_t want;
    } cases[] = {
        {BLKIF_OP_READ, 0, 0, {DATA_REF, 0, 0}, BLKIF_RSP_ERROR},           /* no segments */
        {BLKIF_OP_READ, 0, 1, {DATA_REF, 1, 0}, BLKIF_RSP_ERROR},           /* first > last */
        {BLKIF_OP_READ, 0, 1, {DATA_REF, 0, 8}, BLKIF_RSP_ERROR},           /* past the page */
        {BLKIF_OP_READ, SECTORS, 1, {DATA_REF, 0, 0}, BLKIF_RSP_ERROR},     /* past the end */
        {BLKIF_OP_READ, SECTORS - 1, 1, {DATA_REF, 0, 1}, BLKIF_RSP_ERROR}, /* runs over it */
        {BLKIF_OP_READ, ~0ULL, 1, {DATA_REF, 0, 0}, BLKIF_RSP_ERROR},       /* overflow */
        {BLKIF_OP_READ, 0, 1, {DATA_REF + 1, 0, 0}, BLKIF_RSP_ERROR}, /* RO grant for a read */
        {BLKIF_OP_READ, 0, 1, {DATA_REF + 2, 0, 0}, BLKIF_RSP_ERROR}, /* no such grant */
        {BLKIF_OP_READ, 0, 1, {100000, 0, 0}, BLKIF_RSP_ERROR},       /* outside the table */
        {BLKIF_OP_WRITE, 0, 1, {DATA_REF + 1, 0, 0}, BLKIF_RSP_OKAY}, /* RO grant to write */
        {BLKIF_OP_WRITE_BARRIER, 0, 1, {DATA_REF, 0, 0}, BLKIF_RSP_EOPNOTSUPP},
        {BLKIF_OP_DISCARD, 0, 0, {DATA_REF, 0, 0}, BLKIF_RSP_EOPNOTSUPP},
        {BLKIF_OP_INDIRECT, 0, 0, {DATA_REF, 0, 0}, BLKIF_RSP_EOPNOTSUPP},
        {200, 0, 0, {DATA_REF, 0, 0}, BLKIF_RSP_EOPNOTSUPP},
    };
    for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int16_t st = one(cases[i].op, cases[i].sector, cases[i].nseg, &cases[i].seg);
        if (st != cases[i].want)
            fail_msg("case %u: status %d, want %d", i, st, cases[i].want);
        assert_int_equal(gnttab_nr_held(d), 1);
    }
    assert_int_equal(one(BLKIF_OP_READ, 0, 12, many), BLKIF_RSP_ERROR);
    /* A second segment failing releases the first one's grant too. */
    struct blkif_request_segment half[2] = {{DATA_REF, 0, 0}, {DATA_REF + 7, 0, 0}};
    assert_int_equal(one(BLKIF_OP_READ, 0, 2, half), BLKIF_RSP_ERROR);
    assert_int_equal(gnttab_nr_held(d), 1);
    assert_int_equal(gt[DATA_REF].flags, GTF_permit_access);
    /* The disk is as it was, except the one write from the read-only grant (a legal write). */
    assert_true(evtchn_backend_bound(d, port, EVB_BLKIF));
    td_assert_invariants();
}

static void test_read_only_disk(void **state)
{
    (void)state;
    static uint8_t ro[8 * 512];
    struct blk_image img = {.data = ro, .size = sizeof(ro), .read_only = true};
    assert_int_equal(blkback_add_disk(d, "xvdb", &img), 51728);
    const char *fe = "/local/domain/1/device/vbd/51728";
    const char *be = "/local/domain/0/backend/vbd/1/51728";
    char path[96], val[16];
    memset(ring(), 0, 4096);
    grant(RING_REF, RING_VA, false);
    snprintf(path, sizeof(path), "%s/ring-ref", fe);
    assert_int_equal(xs_write(path, "8"), 0);
    snprintf(path, sizeof(path), "%s/event-channel", fe);
    snprintf(val, sizeof(val), "%u", port);
    assert_int_equal(xs_write(path, val), 0);
    snprintf(path, sizeof(path), "%s/state", fe);
    assert_int_equal(xs_write(path, "3"), 0);
    snprintf(path, sizeof(path), "%s/state", be);
    node_is(path, "4");
    snprintf(path, sizeof(path), "%s/info", be);
    node_is(path, "4");
    grant(DATA_REF, DATA_VA, false);
    struct blkif_request_segment s = {DATA_REF, 0, 0};
    memset(td_ptr(v, DATA_VA), 0x77, 512);
    assert_int_equal(one(BLKIF_OP_WRITE, 0, 1, &s), BLKIF_RSP_ERROR);
    assert_int_equal(ro[0], 0);
    assert_int_equal(one(BLKIF_OP_READ, 7, 1, &s), BLKIF_RSP_OKAY);
}

static void test_handshake_errors(void **state)
{
    (void)state;
    /* No ring-ref: the backend refuses with an error node and Closing, holding nothing. */
    assert_int_equal(xs_write(FE "/state", "3"), 0);
    node_is(BE "/state", "5");
    char buf[96];
    assert_true(xs_read(BE "/error", buf, sizeof(buf)) > 0);
    assert_int_equal(gnttab_nr_held(d), 0);

    /* Start over; a ring-ref the domain never granted. */
    assert_int_equal(xs_write(FE "/state", "6"), 0);
    node_is(BE "/state", "6");
    assert_int_equal(xs_write(FE "/state", "1"), 0);
    node_is(BE "/state", "2");
    assert_int_equal(xs_write(FE "/ring-ref", "77"), 0);
    char val[16];
    snprintf(val, sizeof(val), "%u", port);
    assert_int_equal(xs_write(FE "/event-channel", val), 0);
    assert_int_equal(xs_write(FE "/state", "3"), 0);
    node_is(BE "/state", "5");
    assert_int_equal(gnttab_nr_held(d), 0);

    /* The 32-bit ABI is not modelled: refused loudly, not misread. */
    assert_int_equal(xs_write(FE "/state", "6"), 0);
    assert_int_equal(xs_write(FE "/state", "1"), 0);
    grant(RING_REF, RING_VA, false);
    assert_int_equal(xs_write(FE "/ring-ref", "8"), 0);
    assert_int_equal(xs_write(FE "/protocol", "x86_32-abi"), 0);
    assert_int_equal(xs_write(FE "/state", "3"), 0);
    node_is(BE "/state", "5");
    assert_int_equal(gnttab_nr_held(d), 0);

    /* A port that is not unbound for domain 0. */
    assert_int_equal(xs_write(FE "/state", "6"), 0);
    assert_int_equal(xs_write(FE "/state", "1"), 0);
    assert_int_equal(xs_write(FE "/protocol", "x86_64-abi"), 0);
    assert_int_equal(xs_write(FE "/event-channel", "1"), 0); /* the console's */
    assert_int_equal(xs_write(FE "/state", "3"), 0);
    node_is(BE "/state", "5");
    assert_int_equal(gnttab_nr_held(d), 0);
    td_assert_invariants();
}

static void test_close_reconnect_and_broken_ring(void **state)
{
    (void)state;
    connect_frontend();
    node_is(BE "/state", "4");
    assert_int_equal(xs_write(FE "/state", "5"), 0);
    node_is(BE "/state", "5");
    assert_int_equal(gnttab_nr_held(d), 0);
    assert_false(evtchn_backend_bound(d, port, EVB_BLKIF));
    assert_int_equal(gt[RING_REF].flags, GTF_permit_access);
    assert_int_equal(xs_write(FE "/state", "6"), 0);
    node_is(BE "/state", "6");
    assert_int_equal(xs_write(FE "/state", "1"), 0);
    node_is(BE "/state", "2");

    /* Again, with a fresh ring. */
    req_prod = 0;
    connect_frontend();
    node_is(BE "/state", "4");
    grant(DATA_REF, DATA_VA, false);
    struct blkif_request_segment s = {DATA_REF, 0, 0};
    assert_int_equal(one(BLKIF_OP_READ, 5, 1, &s), BLKIF_RSP_OKAY);

    /* More requests than the ring holds: the ring is broken and the device lets go. */
    req_prod += BLKIF_RING_SLOTS + 1;
    kick();
    node_is(BE "/state", "5");
    assert_int_equal(gnttab_nr_held(d), 0);
    /* A later send on the port is dropped (it is unbound again), never a crash. */
    kick();
    td_assert_invariants();
}

static void test_guest_closes_port_then_domain_dies(void **state)
{
    (void)state;
    connect_frontend();
    struct evtchn_close c = {.port = port};
    td_put(v, S, &c, sizeof(c));
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, S, 0), 0);
    assert_false(evtchn_backend_bound(d, port, EVB_BLKIF));
    /* The device let go at once: a second disk may get the same port number. */
    node_is(BE "/state", "5");
    assert_int_equal(gnttab_nr_held(d), 0);
    static uint8_t other[8 * 512];
    struct blk_image img = {.data = other, .size = sizeof(other)};
    assert_int_equal(blkback_add_disk(d, "xvdb", &img), 51728);
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 0};
    td_put(v, S, &a, sizeof(a));
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, S, 0), 0);
    td_get(v, &a, S, sizeof(a));
    assert_int_equal(a.port, port);
    memset(ring(), 0, 4096);
    req_prod = 0;
    char val[16];
    snprintf(val, sizeof(val), "%u", port);
    assert_int_equal(xs_write("/local/domain/1/device/vbd/51728/ring-ref", "8"), 0);
    assert_int_equal(xs_write("/local/domain/1/device/vbd/51728/event-channel", val), 0);
    assert_int_equal(xs_write("/local/domain/1/device/vbd/51728/state", "3"), 0);
    node_is("/local/domain/0/backend/vbd/1/51728/state", "4");
    grant(DATA_REF, DATA_VA, false);
    struct blkif_request_segment s = {DATA_REF, 0, 0};
    memset(other, 0x42, 512);
    assert_int_equal(one(BLKIF_OP_READ, 0, 1, &s), BLKIF_RSP_OKAY);
    assert_int_equal(*(uint8_t *)td_ptr(v, DATA_VA), 0x42); /* xvdb's data, not xvda's */
    /* xvda closing now must not touch xvdb's port. */
    assert_int_equal(xs_write(FE "/state", "6"), 0);
    assert_true(evtchn_backend_bound(d, port, EVB_BLKIF));
    /* The guest scribbles over the ring grant while it is held: release must still balance. */
    gt[RING_REF].flags = 0;
    gt[RING_REF].frame = 0;
    domain_destroy(d);
    td_assert_invariants();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vdev_names),
        cmocka_unit_test_setup(test_toolstack_nodes, setup),
        cmocka_unit_test_setup(test_connect_read_write_flush, setup),
        cmocka_unit_test_setup(test_bad_requests, setup),
        cmocka_unit_test_setup(test_read_only_disk, setup),
        cmocka_unit_test_setup(test_handshake_errors, setup),
        cmocka_unit_test_setup(test_close_reconnect_and_broken_ring, setup),
        cmocka_unit_test_setup(test_guest_closes_port_then_domain_dies, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
