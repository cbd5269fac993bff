/* Guest test "disk": a blkfront that finds, connects, reads, writes and closes every PV disk. */

/*
 * What it checks, doing what Linux's blkfront does, for every device under
 * "device/vbd" in xenstore:
 * - the toolstack's nodes: the frontend directory (state 1, virtual-device,
 *   device-type, backend, backend-id) and the backend's (frontend, state 2,
 *   sectors, sector-size, info, mode, feature-flush-cache);
 * - the handshake: a ring page granted to the backend domain, an unbound
 *   port for it (EVTCHNOP_alloc_unbound), ring-ref, event-channel, protocol
 *   and state 3 written in one transaction; the backend must reach state 4
 *   and then hold the ring grant (gnttab_end_access refuses with -EBUSY);
 * - the whole disk read twice with multi-segment READs cut up two ways (up
 *   to 11 segments, up to 4 requests in flight), segments of 1 to 8 sectors
 *   at varying first_sect/last_sect: both reads give the same data, every
 *   sector must be the test image's ("hvsim disk sector NNNN\n", then bytes
 *   (i + j) & 0xff), and the backend must not write outside a segment's
 *   sectors; the FNV-1a 64 of the disk is printed;
 * - a writable disk takes a WRITE of the last sector, a FLUSH_DISKCACHE, reads
 *   the new data back (its neighbour unchanged) and gets the original back;
 *   a read-only one (info has VDISK_READONLY) answers a WRITE with
 *   BLKIF_RSP_ERROR and keeps its data; a READ past the end, and one that
 *   runs over the end, get BLKIF_RSP_ERROR and write nothing; so do nine
 *   malformed requests (bad first_sect/last_sect, 0 or 12 segments, a grant
 *   to another domain, a read-only grant for a READ, a ref past the table, a
 *   page-table frame, an unknown operation, which may be EOPNOTSUPP);
 * - every response comes through the event channel (the port's handler
 *   consumes the ring, as blkif_interrupt does), and after each response
 *   the backend has let go of the request's grants (gnttab_end_access works);
 * - closing: state 5, the backend goes to 5 or 6, state 6, and the ring
 *   grant can be ended (the backend unmapped it).
 * A FAILURE line names the disk and what went wrong; waiting for the
 * backend is bounded (a FAILURE with the ring's indices, never a hang).
 */
#include "xtf.h"
#include "blkfront.h"
#include "gnttab.h"
#include "xenbus.h"

const char test_title[] = "PV block frontend: handshake, multi-segment reads, write, flush, close";

#define MAX_DISKS 8
#define SEGS BLKFRONT_SEGS
#define IN_FLIGHT 4               /* requests pushed before waiting */
#define MAX_SECTORS (1ULL << 20)  /* read at most 512 MiB */
#define SECTOR BLKIF_SECTOR_BYTES /* 512 */
#define POISON 0xa5

static uint8_t ring_pages[MAX_DISKS][PAGE_SIZE] __page_aligned;
static uint8_t data_pages[IN_FLIGHT][SEGS][PAGE_SIZE] __page_aligned;
static struct blkfront disks[MAX_DISKS];
static domid_t my_domid;

/*
 * Run a batch with data_pages[i][k] as segment k of request i; READ pages
 * are poisoned first, so that bytes the backend did not write show.
 */
static bool run_batch(struct blkfront *d, struct blkfront_io *ios, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        for (unsigned int k = 0; k < ios[i].nseg; k++) {
            ios[i].page[k] = data_pages[i][k];
            if (ios[i].op == BLKIF_OP_READ)
                memset(data_pages[i][k], POISON, PAGE_SIZE);
        }
    return blkfront_run(d, ios, n);
}

/* --- the image --- */

/* Sector i of the test image. */
static void expected_sector(uint64_t i, uint8_t *buf)
{
    int n = snprintf((char *)buf, SECTOR, "hvsim disk sector %04llu\n", (unsigned long long)i);

    for (int j = n; j < SECTOR; j++)
        buf[j] = (uint8_t)((i + (uint64_t)j) & 0xff);
}

static uint64_t fnv1a64(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}
#define FNV64_INIT 0xcbf29ce484222325ULL

/* One request of one segment: `count` sectors from `sector`, at sector `first` of page 0. */
static bool one_request(struct blkfront *d, struct blkfront_io *io, uint8_t op, uint64_t sector,
                        unsigned int first, unsigned int count)
{
    *io = (struct blkfront_io){.op = op, .sector = sector};
    if (op != BLKIF_OP_FLUSH_DISKCACHE) {
        io->nseg = 1;
        io->first[0] = (uint8_t)first;
        io->last[0] = (uint8_t)(first + count - 1);
    }
    return run_batch(d, io, 1);
}

/* The bytes of a READ page outside the segment's sectors (all, if first > last) are still the
 * poison. */
static bool check_untouched(struct blkfront *d, const uint8_t *page, unsigned int first,
                            unsigned int last)
{
    for (unsigned int b = 0; b < PAGE_SIZE; b++) {
        if (first <= last && b == first * SECTOR) {
            b = (last + 1) * SECTOR - 1;
            continue;
        }
        if (page[b] != POISON) {
            xtf_failure("%s: segment of sectors %u-%u: byte %u of its page was written (%#x)",
                        d->name, first, last, b, page[b]);
            return false;
        }
    }
    return true;
}

/* --- the tests on a connected disk --- */

/*
 * How a whole-disk read is cut up: request i has counts[i % ncounts]
 * segments, segment j covers lens[j % nlens] sectors placed at first_sect
 * (3 * j) % (9 - len) of its page, IN_FLIGHT requests are pushed at once.
 */
struct read_plan {
    const uint8_t *counts, *lens;
    unsigned int ncounts, nlens;
};

/* On the 64-sector image: 2 requests of 11 and 3 segments (1 to 8 sectors each). */
static const uint8_t counts_a[] = {11, 3, 1, 7, 5, 2, 11, 4};
static const uint8_t lens_a[] = {8, 5, 1, 3, 8, 2, 7, 4, 6, 8};
/* ... and 5 requests of 2, 4, 1 (one whole page), 11 and 1 segments: 4 in flight, then 1. */
static const uint8_t counts_b[] = {2, 4, 1, 11, 3, 5, 2, 6};
static const uint8_t lens_b[] = {1, 3, 2, 5, 1, 4, 8, 2, 6, 1, 3, 7};
static const struct read_plan plan_a = {counts_a, lens_a, sizeof(counts_a), sizeof(lens_a)};
static const struct read_plan plan_b = {counts_b, lens_b, sizeof(counts_b), sizeof(lens_b)};

/* Check the sectors of a finished READ (from `sector` on) and add them to the hash. */
static void check_read(struct blkfront *d, const struct blkfront_io *io, unsigned int slot_no,
                       uint64_t *hash, uint64_t *bad, char *first_text, size_t text_len)
{
    static uint8_t want[SECTOR];
    uint64_t sector = io->sector;

    for (unsigned int k = 0; k < io->nseg; k++) {
        const uint8_t *page = data_pages[slot_no][k];

        check_untouched(d, page, io->first[k], io->last[k]);
        for (unsigned int q = io->first[k]; q <= io->last[k]; q++, sector++) {
            const uint8_t *got = page + q * SECTOR;

            *hash = fnv1a64(*hash, got, SECTOR);
            expected_sector(sector, want);
            if (sector == 0) {
                unsigned int t = 0;

                while (t < text_len - 1 && got[t] >= ' ' && got[t] < 0x7f) {
                    first_text[t] = (char)got[t];
                    t++;
                }
                first_text[t] = '\0';
            }
            if (memcmp(got, want, SECTOR)) {
                unsigned int b = 0;

                while (got[b] == want[b])
                    b++;
                if (!(*bad)++)
                    xtf_failure("%s: sector %llu byte %u is %#x, expected %#x", d->name,
                                (unsigned long long)sector, b, got[b], want[b]);
            }
        }
    }
}

/*
 * Read every sector as `plan` says, check each against the test image and
 * hash them in order. Returns false if the disk could not be read; *nreq is
 * the number of requests.
 */
static bool read_whole_disk(struct blkfront *d, const struct read_plan *plan, uint64_t *hash,
                            unsigned int *nreq, char *first_text, size_t text_len)
{
    static struct blkfront_io ios[IN_FLIGHT];
    uint64_t s = 0, total = d->sectors, bad = 0;
    unsigned int req_no = 0, seg_no = 0;

    *hash = FNV64_INIT;
    *nreq = 0;
    if (total > MAX_SECTORS) {
        xtf_error("%s: %llu sectors, reading only the first %llu", d->name,
                  (unsigned long long)total, MAX_SECTORS);
        total = MAX_SECTORS;
    }
    while (s < total) {
        unsigned int n = 0;

        for (; n < IN_FLIGHT && s < total; n++, req_no++) {
            struct blkfront_io *io = &ios[n];
            unsigned int k;

            *io = (struct blkfront_io){.op = BLKIF_OP_READ, .sector = s};
            for (k = 0; k < plan->counts[req_no % plan->ncounts] && s < total; k++, seg_no++) {
                unsigned int len = plan->lens[seg_no % plan->nlens];

                if (len > total - s)
                    len = (unsigned int)(total - s);
                io->first[k] = (uint8_t)((seg_no * 3) % (9 - len));
                io->last[k] = (uint8_t)(io->first[k] + len - 1);
                s += len;
            }
            io->nseg = (uint8_t)k;
        }
        if (!run_batch(d, ios, n))
            return false;
        *nreq += n;

        for (unsigned int i = 0; i < n; i++) {
            if (ios[i].status != BLKIF_RSP_OKAY) {
                xtf_failure("%s: READ of %u segments at sector %llu: status %d", d->name,
                            ios[i].nseg, (unsigned long long)ios[i].sector, ios[i].status);
                return false;
            }
            check_read(d, &ios[i], i, hash, &bad, first_text, text_len);
        }
    }
    if (bad)
        xtf_failure("%s: %llu sectors differ from the test image", d->name,
                    (unsigned long long)bad);
    return true;
}

/* Read the disk twice, cut up two ways: the same data both times. */
static void test_read(struct blkfront *d)
{
    char first_text[32] = "";
    uint64_t hash_a, hash_b;
    unsigned int nreq_a, nreq_b;

    if (!read_whole_disk(d, &plan_a, &hash_a, &nreq_a, first_text, sizeof(first_text)))
        return;
    printk("%s: %llu sectors of %llu bytes, mode %s, info %llu, sector 0 says \"%s\"\n", d->name,
           (unsigned long long)d->sectors, (unsigned long long)d->sector_size, d->mode,
           (unsigned long long)d->info, first_text);
    printk("%s: read in %u requests of 1 to %u segments, fnv1a64 %#018llx\n", d->name, nreq_a, SEGS,
           (unsigned long long)hash_a);

    if (!read_whole_disk(d, &plan_b, &hash_b, &nreq_b, first_text, sizeof(first_text)))
        return;
    if (hash_b != hash_a)
        xtf_failure("%s: read again in %u requests: fnv1a64 %#018llx, first read %#018llx", d->name,
                    nreq_b, (unsigned long long)hash_b, (unsigned long long)hash_a);
    else
        printk("%s: read again in %u requests, up to %u in flight: the same data\n", d->name,
               nreq_b, IN_FLIGHT);
}

/* Read `count` sectors from `sector` into page 0 at sector `first`; false (with a line) on error.
 */
static bool read_back(struct blkfront *d, uint64_t sector, unsigned int first, unsigned int count)
{
    struct blkfront_io io;

    if (!one_request(d, &io, BLKIF_OP_READ, sector, first, count))
        return false;
    if (io.status != BLKIF_RSP_OKAY) {
        xtf_failure("%s: READ of sectors %llu-%llu: status %d", d->name, (unsigned long long)sector,
                    (unsigned long long)(sector + count - 1), io.status);
        return false;
    }
    return check_untouched(d, data_pages[0][0], first, first + count - 1);
}

static void fill_pattern(uint8_t *p)
{
    int n = snprintf((char *)p, SECTOR, "hvsim blkfront wrote this\n");

    for (int j = n; j < SECTOR; j++)
        p[j] = (uint8_t)(0xff - j);
}

static void test_write(struct blkfront *d)
{
    static uint8_t pattern[SECTOR], orig[SECTOR], prev[SECTOR];
    uint64_t last = d->sectors - 1;
    struct blkfront_io io;

    if (d->sectors < 2)
        return;
    /* The original last sector and its neighbour, from the disk itself. */
    if (!read_back(d, last - 1, 2, 2))
        return;
    memcpy(prev, data_pages[0][0] + 2 * SECTOR, SECTOR);
    memcpy(orig, data_pages[0][0] + 3 * SECTOR, SECTOR);
    fill_pattern(pattern);

    /* The WRITE's data sits at sector 5 of its page. */
    memcpy(data_pages[0][0] + 5 * SECTOR, pattern, SECTOR);
    if (!one_request(d, &io, BLKIF_OP_WRITE, last, 5, 1))
        return;

    if (d->info & VDISK_READONLY) {
        if (io.status != BLKIF_RSP_ERROR)
            xtf_failure("%s: WRITE to a read-only disk: status %d, expected %d (BLKIF_RSP_ERROR)",
                        d->name, io.status, BLKIF_RSP_ERROR);
        else if (read_back(d, last, 0, 1) && memcmp(data_pages[0][0], orig, SECTOR))
            xtf_failure("%s: the refused WRITE changed sector %llu", d->name,
                        (unsigned long long)last);
        else
            printk("%s: read-only: WRITE refused with BLKIF_RSP_ERROR, data unchanged\n", d->name);
        return;
    }

    if (io.status != BLKIF_RSP_OKAY) {
        xtf_failure("%s: WRITE of sector %llu: status %d", d->name, (unsigned long long)last,
                    io.status);
        return;
    }
    if (d->flush) {
        if (!one_request(d, &io, BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0))
            return;
        if (io.status != BLKIF_RSP_OKAY) {
            xtf_failure("%s: FLUSH_DISKCACHE: status %d", d->name, io.status);
            return;
        }
    }
    if (!read_back(d, last - 1, 6, 2))
        return;
    if (memcmp(data_pages[0][0] + 7 * SECTOR, pattern, SECTOR))
        xtf_failure("%s: sector %llu does not read back what was written", d->name,
                    (unsigned long long)last);
    else if (memcmp(data_pages[0][0] + 6 * SECTOR, prev, SECTOR))
        xtf_failure("%s: writing sector %llu changed sector %llu", d->name,
                    (unsigned long long)last, (unsigned long long)last - 1);
    else
        printk("%s: WRITE of sector %llu%s read back\n", d->name, (unsigned long long)last,
               d->flush ? ", FLUSH_DISKCACHE," : "");

    /* Put the original back, and check it is. */
    memcpy(data_pages[0][0], orig, SECTOR);
    if (!one_request(d, &io, BLKIF_OP_WRITE, last, 0, 1))
        return;
    if (io.status != BLKIF_RSP_OKAY)
        xtf_failure("%s: WRITE restoring sector %llu: status %d", d->name, (unsigned long long)last,
                    io.status);
    else if (read_back(d, last, 1, 1) && memcmp(data_pages[0][0] + SECTOR, orig, SECTOR))
        xtf_failure("%s: sector %llu not restored", d->name, (unsigned long long)last);
}

/*
 * Requests the backend must refuse (docs/devices.md 3, as Linux's blkback):
 * each is answered BLKIF_RSP_ERROR (an unknown operation may also be
 * BLKIF_RSP_EOPNOTSUPP), writes nothing, and leaves no grant held.
 */
enum bad_grant { G_OK, G_OTHER_DOMAIN, G_READONLY, G_BAD_REF, G_PAGE_TABLE };
static const struct bad_request {
    const char *what;
    uint8_t op, nseg, nseg_claimed, first, last;
    enum bad_grant grant;
} bad_requests[] = {
    {"first_sect after last_sect", BLKIF_OP_READ, 1, 0, 5, 4, G_OK},
    {"last_sect 8", BLKIF_OP_READ, 1, 0, 7, 8, G_OK},
    {"no segments", BLKIF_OP_READ, 0, 0, 0, 0, G_OK},
    {"12 segments", BLKIF_OP_READ, 11, 12, 0, 0, G_OK},
    {"a grant to another domain", BLKIF_OP_READ, 1, 0, 0, 0, G_OTHER_DOMAIN},
    {"a read-only grant", BLKIF_OP_READ, 1, 0, 0, 0, G_READONLY},
    {"a grant ref past the table", BLKIF_OP_READ, 1, 0, 0, 0, G_BAD_REF},
    {"a grant of a page table", BLKIF_OP_READ, 1, 0, 7, 7, G_PAGE_TABLE},
    {"operation 99", 99, 1, 0, 0, 0, G_OK},
};

static void test_bad_requests(struct blkfront *d)
{
    unsigned int refused = 0;

    for (unsigned int c = 0; c < ARRAY_SIZE(bad_requests) && !d->broken; c++) {
        const struct bad_request *b = &bad_requests[c];
        struct blkfront_io io = {.op = b->op, .nseg = b->nseg, .nseg_claimed = b->nseg_claimed};
        struct pt_walk w;
        long ref = -1;

        for (unsigned int k = 0; k < b->nseg; k++) {
            io.first[k] = b->first;
            io.last[k] = b->last;
            memset(data_pages[0][k], POISON, PAGE_SIZE);
        }
        if (b->grant != G_OK) {
            unsigned long mfn = virt_to_mfn(data_pages[0][0]);

            io.own_refs = true;
            switch (b->grant) {
            case G_OTHER_DOMAIN:
                ref = gnttab_grant_access((domid_t)(d->be_id + 7), mfn, false);
                break;
            case G_READONLY:
                ref = gnttab_grant_access(d->be_id, mfn, true);
                break;
            case G_PAGE_TABLE:
                /* The L1 table mapping our data pages: never writable by anyone but Xen. */
                if (!pt_walk((unsigned long)data_pages[0][0], &w) || w.level != 1)
                    panic("pt_walk of the data pages failed");
                ref = gnttab_grant_access(d->be_id, (unsigned long)(w.pte_maddr >> PAGE_SHIFT),
                                          false);
                break;
            default:
                ref = GNTTAB_NR_ENTRIES * 8; /* beyond any table the backend could see */
                break;
            }
            if (ref < 0)
                panic("%s: gnttab_grant_access: %ld", d->name, ref);
            io.ref[0] = (grant_ref_t)ref;
        }
        if (!run_batch(d, &io, 1))
            return;
        if (io.status != BLKIF_RSP_ERROR &&
            !(b->op > BLKIF_OP_INDIRECT && io.status == BLKIF_RSP_EOPNOTSUPP)) {
            xtf_failure("%s: READ with %s: status %d, expected %d", d->name, b->what, io.status,
                        BLKIF_RSP_ERROR);
            continue;
        }
        for (unsigned int k = 0; k < b->nseg && b->grant != G_PAGE_TABLE; k++)
            if (!check_untouched(d, data_pages[0][k], 1, 0)) /* no byte at all */
                goto next;
        if (io.own_refs && b->grant != G_BAD_REF && gnttab_end_access((grant_ref_t)ref))
            xtf_failure("%s: READ with %s: grant still held after the error (flags %#x)", d->name,
                        b->what, gnttab_entry_flags((grant_ref_t)ref));
        refused++;
    next:;
    }
    if (refused == ARRAY_SIZE(bad_requests))
        printk("%s: %u malformed requests refused with an error status\n", d->name, refused);
}

static void test_past_end(struct blkfront *d)
{
    struct blkfront_io io;
    bool ok = true;

    /* Starting at the end, and starting inside but running over it. */
    for (unsigned int t = 0; t < 2 && ok; t++) {
        uint64_t sector = t ? d->sectors - 1 : d->sectors;
        unsigned int count = t ? 2 : 1;

        if (!one_request(d, &io, BLKIF_OP_READ, sector, 0, count))
            return;
        if (io.status != BLKIF_RSP_ERROR) {
            xtf_failure("%s: READ of %u sectors at %llu (%llu sectors): status %d, expected %d",
                        d->name, count, (unsigned long long)sector, (unsigned long long)d->sectors,
                        io.status, BLKIF_RSP_ERROR);
            ok = false;
        } else {
            ok = check_untouched(d, data_pages[0][0], 1, 0); /* no byte at all */
        }
    }
    if (ok)
        printk("%s: READs past the end refused with BLKIF_RSP_ERROR\n", d->name);
}

/* --- discovery, handshake and close, with the toolstack's nodes checked --- */

/* The node holds `want`; a FAILURE line otherwise. */
static bool expect_str(struct blkfront *d, const char *path, const char *want)
{
    char buf[160];
    int rc = xenbus_read(XBT_NIL, path, buf, sizeof(buf));

    if (rc < 0) {
        xtf_failure("%s: read %s: error %s (%d)", d->name, path, xenbus_strerror(rc), rc);
        return false;
    }
    if (strcmp(buf, want)) {
        xtf_failure("%s: %s is '%s', expected '%s'", d->name, path, buf, want);
        return false;
    }
    return true;
}

static bool probe(struct blkfront *d, const char *id)
{
    char buf[160];

    if (!blkfront_probe(d, id))
        return false;
    snprintf(buf, sizeof(buf), "%lu", d->devid);
    if (strcmp(buf, id))
        xtf_failure("%s: %s/virtual-device is %s", d->name, d->fe, buf);
    expect_str(d, blkfront_fe_path(d, "device-type"), "disk");
    expect_str(d, blkfront_fe_path(d, "state"), "1");

    /* The backend points back at us. */
    snprintf(buf, sizeof(buf), "/local/domain/%u/%s", my_domid, d->fe);
    expect_str(d, blkfront_be_path(d, "frontend"), buf);
    snprintf(buf, sizeof(buf), "%u", my_domid);
    expect_str(d, blkfront_be_path(d, "frontend-id"), buf);
    printk("%s: devid %lu, backend %s (domain %u)\n", d->name, d->devid, d->be, d->be_id);

    if (!!(d->info & VDISK_READONLY) != !strcmp(d->mode, "r"))
        xtf_failure("%s: mode '%s' but info %#llx", d->name, d->mode, (unsigned long long)d->info);
    if (d->sector_size != SECTOR)
        xtf_failure("%s: sector-size %llu (blkif sectors are 512 bytes)", d->name,
                    (unsigned long long)d->sector_size);
    if (!d->sectors) {
        xtf_failure("%s: 0 sectors", d->name);
        return false;
    }
    return true;
}

static bool connect(struct blkfront *d, unsigned int index)
{
    long rc;

    if (!blkfront_connect(d, ring_pages[index]))
        return false;
    printk("%s: connected (ring-ref and port given, backend state 4)\n", d->name);

    /* The backend holds the ring now: revoking the grant must be refused. */
    rc = gnttab_end_access((grant_ref_t)d->ring_ref);
    if (rc == -XEN_EBUSY) {
        printk("%s: ring grant held by the backend while connected\n", d->name);
    } else {
        xtf_failure("%s: ring grant %ld not in use while connected (flags %#x): end_access %ld",
                    d->name, d->ring_ref, gnttab_entry_flags((grant_ref_t)d->ring_ref), rc);
        if (!rc)
            d->ring_ref = -1; /* revoked: nothing to end at the close */
    }
    return true;
}

void test_main(void)
{
    static char list[512];
    uint64_t domid;
    const char *id;
    long rc;
    int n;

    rc = xenbus_init();
    if (rc) {
        xtf_failure("xenbus_init: %ld (no store ring)", rc);
        return;
    }
    rc = gnttab_init();
    if (rc) {
        xtf_failure("gnttab_init: %ld", rc);
        return;
    }
    rc = xenbus_read_u64(XBT_NIL, "domid", &domid);
    if (rc) {
        xtf_failure("read domid: %s", xenbus_strerror((int)rc));
        return;
    }
    my_domid = (domid_t)domid;

    n = xenbus_directory(XBT_NIL, "device/vbd", list, sizeof(list));
    if (n < 0) {
        xtf_failure("directory device/vbd: %s (no disks given?)", xenbus_strerror(n));
        return;
    }
    printk("%d block device%s under device/vbd\n", n, n == 1 ? "" : "s");
    if (n > MAX_DISKS) {
        xtf_error("%d disks, testing the first %d", n, MAX_DISKS);
        n = MAX_DISKS;
    }

    id = list;
    for (int i = 0; i < n; i++, id = xenbus_dir_next(id)) {
        struct blkfront *d = &disks[i];
        char be_state[16];

        if (!probe(d, id) || !connect(d, (unsigned int)i))
            continue;
        test_read(d);
        if (!d->broken)
            test_write(d);
        if (!d->broken)
            test_past_end(d);
        if (!d->broken)
            test_bad_requests(d);
        if (!d->events)
            xtf_failure("%s: no event came from the backend", d->name);
        if (blkfront_close(d, be_state, sizeof(be_state)))
            printk("%s: closed (backend state %s)\n", d->name, be_state);
    }

    if (gnttab_nr_granted())
        xtf_failure("%u grants not ended", gnttab_nr_granted());
    if (!xtf_has_failures())
        xtf_success(NULL);
}
