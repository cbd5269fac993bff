/* The block backend inside the core: disk images in memory served over blkif rings. */
#include "hv/blkback.h"
#include "hv/arch.h"
#include "hv/evtchn.h"
#include "hv/grant.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/xenstore.h"

/*
 * One virtual block device. The backend stands in for domain 0: it owns
 * the backend directory in xenstore, watches the frontend's state node,
 * and while connected holds the ring page's grant (writable) and the
 * interdomain port. Requests are served synchronously when the frontend
 * notifies, so in virtual time a request completes in the hypercall that
 * announced it.
 */
struct vbd {
    bool in_use;
    domid_t domid;
    uint32_t devid;
    struct blk_image img;
    char fe[64]; /* /local/domain/<id>/device/vbd/<devid> */
    char be[80]; /* /local/domain/0/backend/vbd/<id>/<devid> */
    char fe_state[72];
    int be_state; /* XenbusState* we last wrote */

    bool connected;
    grant_ref_t ring_ref;
    mfn_t ring_mfn;
    evtchn_port_t port;
    RING_IDX req_cons;     /* next request to take */
    RING_IDX rsp_prod_pvt; /* next response slot (published at the end of a batch) */
};

static struct vbd vbds[HV_MAX_VBDS];

void blkback_reset(void)
{
    hv_memset(vbds, 0, sizeof(vbds));
}

/* --- vdev names (Xen's docs/misc/vbd-interface.txt) ------------------------------------- */

/* "a".."z", "aa".. -> 0, 1, ...; the number of letters used in *n. */
static long disk_letters(const char *s, size_t *n)
{
    long disk = -1;
    size_t i = 0;
    while (s[i] >= 'a' && s[i] <= 'z') {
        disk = (disk + 1) * 26 + (s[i] - 'a');
        if (++i > 4)
            return -1;
    }
    *n = i;
    return disk;
}

/* A decimal number filling all of s (at most 9 digits); -1 if s is not one. */
static long decimal(const char *s)
{
    long v = 0;
    size_t i = 0;
    for (; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 9)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return i ? v : -1;
}

long blkback_vdev_to_devid(const char *vdev)
{
    size_t n = 0;
    long disk, part;
    if (!vdev || !vdev[0])
        return -1;
    if (vdev[0] >= '0' && vdev[0] <= '9')
        return decimal(vdev);
    if (!hv_strncmp(vdev, "xvd", 3)) {
        disk = disk_letters(vdev + 3, &n);
        part = vdev[3 + n] ? decimal(vdev + 3 + n) : 0;
        if (disk < 0 || part < 0)
            return -1;
        if (disk < 16 && part < 16)
            return (202L << 8) | (disk << 4) | part;
        if (disk < (1L << 20) && part < 256)
            return (1L << 28) | (disk << 8) | part;
        return -1;
    }
    if (!hv_strncmp(vdev, "hd", 2)) {
        disk = disk_letters(vdev + 2, &n);
        part = vdev[2 + n] ? decimal(vdev + 2 + n) : 0;
        if (disk < 0 || disk > 3 || part < 0 || part > 63)
            return -1;
        return disk < 2 ? (3L << 8) | (disk << 6) | part : (22L << 8) | ((disk - 2) << 6) | part;
    }
    if (!hv_strncmp(vdev, "sd", 2)) {
        disk = disk_letters(vdev + 2, &n);
        part = vdev[2 + n] ? decimal(vdev + 2 + n) : 0;
        if (disk < 0 || disk > 15 || part < 0 || part > 15)
            return -1;
        return (8L << 8) | (disk << 4) | part;
    }
    return -1;
}

/* --- xenstore side ------------------------------------------------------------------------- */

static void set_be_state(struct vbd *b, int state)
{
    char path[96];
    b->be_state = state;
    hv_snprintf(path, sizeof(path), "%s/state", b->be);
    xs_printf(path, "%d", state);
}

/* Read a decimal node below dir; -1 if missing or not a number. */
static long read_number(const char *dir, const char *node)
{
    char path[112], val[24];
    hv_snprintf(path, sizeof(path), "%s/%s", dir, node);
    if (xs_read(path, val, sizeof(val)) < 0)
        return -1;
    return decimal(val);
}

static struct domain *vbd_domain(const struct vbd *b)
{
    return domain_by_id(b->domid);
}

/* Let go of the ring grant and the port; the device can connect again later. */
static void disconnect(struct vbd *b, const char *why)
{
    struct domain *d = vbd_domain(b);
    if (!b->connected)
        return;
    b->connected = false;
    if (d) {
        gnttab_release(d, b->ring_ref, true);
        evtchn_unbind_backend(d, b->port);
    }
    hv_log("d%u vbd %u: disconnected (%s)", b->domid, b->devid, why);
}

/* The backend's sectors, sector-size and info nodes. 0 or the first xenstore error. */
static int write_size_nodes(const struct vbd *b)
{
    char path[112];
    int rc;
    hv_snprintf(path, sizeof(path), "%s/sectors", b->be);
    rc = xs_printf(path, "%llu", (unsigned long long)(b->img.size / BLKIF_SECTOR_BYTES));
    hv_snprintf(path, sizeof(path), "%s/sector-size", b->be);
    rc = rc ? rc : xs_printf(path, "%u", BLKIF_SECTOR_BYTES);
    hv_snprintf(path, sizeof(path), "%s/info", b->be);
    return rc ? rc : xs_printf(path, "%u", b->img.read_only ? VDISK_READONLY : 0u);
}

/*
 * The frontend says Initialised: take its ring and port. A frontend that
 * got the handshake wrong gets an "error" node and a backend in Closing,
 * as blkback's xenbus_dev_fatal does, and nothing held.
 */
static void connect(struct vbd *b)
{
    struct domain *d = vbd_domain(b);
    char path[112], proto[32];
    const char *why = NULL;
    long ref = read_number(b->fe, "ring-ref");
    long port = read_number(b->fe, "event-channel");
    hv_snprintf(path, sizeof(path), "%s/protocol", b->fe);
    if (xs_read(path, proto, sizeof(proto)) < 0)
        hv_strlcpy(proto, "x86_64-abi", sizeof(proto)); /* absent: the native ABI */
    if (!d)
        return;
    if (ref < 0 || port < 0)
        why = "no ring-ref or event-channel";
    else if (hv_strcmp(proto, "x86_64-abi"))
        why = "unmodelled: blkif protocol other than x86_64-abi";
    else if (gnttab_acquire(d, (grant_ref_t)ref, 0, true, &b->ring_mfn) != GNTST_okay)
        why = "cannot map ring-ref";
    else if (evtchn_bind_backend(d, (evtchn_port_t)port, EVB_BLKIF)) {
        gnttab_release(d, (grant_ref_t)ref, true);
        why = "cannot bind event-channel";
    }
    if (why) {
        hv_log("d%u vbd %u: connect failed: %s", b->domid, b->devid, why);
        hv_snprintf(path, sizeof(path), "%s/error", b->be);
        xs_write(path, why);
        set_be_state(b, XenbusStateClosing);
        return;
    }
    b->connected = true;
    b->ring_ref = (grant_ref_t)ref;
    b->port = (evtchn_port_t)port;
    /* A fresh ring starts at index 0 on both sides (the frontend's SHARED_RING_INIT). */
    b->req_cons = b->rsp_prod_pvt = 0;
    write_size_nodes(b);
    hv_log("d%u vbd %u: connected, ring-ref %ld, port %ld", b->domid, b->devid, ref, port);
    set_be_state(b, XenbusStateConnected);
}

/* The core's watch on the frontend's state node. */
static void frontend_changed(const char *path, void *ctx)
{
    struct vbd *b = ctx;
    (void)path;
    if (!b->in_use)
        return;
    switch (read_number(b->fe, "state")) {
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (!b->connected && b->be_state == XenbusStateInitWait)
            connect(b);
        break;
    case XenbusStateClosing:
        disconnect(b, "frontend closing");
        set_be_state(b, XenbusStateClosing);
        break;
    case XenbusStateClosed:
        disconnect(b, "frontend closed");
        set_be_state(b, XenbusStateClosed);
        break;
    case XenbusStateInitialising:
        /* A frontend starting over after a close: offer the device again. */
        if (!b->connected && b->be_state == XenbusStateClosed)
            set_be_state(b, XenbusStateInitWait);
        break;
    default:
        break;
    }
}

long blkback_add_disk(struct domain *d, const char *vdev, const struct blk_image *img)
{
    long devid = blkback_vdev_to_devid(vdev);
    struct vbd *b = NULL;
    if (devid <= 0 || !img || img->size < BLKIF_SECTOR_BYTES)
        return -XEN_EINVAL;
    for (unsigned int i = 0; i < HV_MAX_VBDS; i++) {
        if (vbds[i].in_use && vbds[i].domid == d->domid && vbds[i].devid == (uint32_t)devid)
            return -XEN_EEXIST;
        if (!vbds[i].in_use && !b)
            b = &vbds[i];
    }
    if (!b)
        return -XEN_ENOSPC;
    *b = (struct vbd){.in_use = true, .domid = d->domid, .devid = (uint32_t)devid, .img = *img};
    b->img.size -= b->img.size % BLKIF_SECTOR_BYTES; /* a partial last sector is not seen */
    hv_snprintf(b->fe, sizeof(b->fe), "/local/domain/%u/device/vbd/%ld", d->domid, devid);
    hv_snprintf(b->be, sizeof(b->be), "/local/domain/0/backend/vbd/%u/%ld", d->domid, devid);
    hv_snprintf(b->fe_state, sizeof(b->fe_state), "%s/state", b->fe);

    /*
     * The toolstack's part (libxl): both directories, the frontend's owned by
     * the guest and the backend's readable by it. The permissions go on the
     * directories first, so every node written below them inherits them, as
     * new xenstore nodes do.
     */
    char path[112];
    int rc = xs_write(b->fe, "");
    if (!rc)
        rc = xs_set_perms(b->fe, d->domid, 'n', 0, 'r');
    if (!rc)
        rc = xs_write(b->be, "");
    if (!rc)
        rc = xs_set_perms(b->be, 0, 'n', d->domid, 'r');
#define NODE(dir, name, ...)                                                                       \
    do {                                                                                           \
        hv_snprintf(path, sizeof(path), "%s/%s", dir, name);                                       \
        rc = rc ? rc : xs_printf(path, __VA_ARGS__);                                               \
    } while (0)
    NODE(b->fe, "backend", "%s", b->be);
    NODE(b->fe, "backend-id", "0");
    NODE(b->fe, "virtual-device", "%ld", devid);
    NODE(b->fe, "device-type", "disk");
    NODE(b->fe, "state", "%d", XenbusStateInitialising);
    NODE(b->be, "frontend", "%s", b->fe);
    NODE(b->be, "frontend-id", "%u", d->domid);
    NODE(b->be, "dev", "%s", vdev);
    NODE(b->be, "device-type", "disk");
    NODE(b->be, "mode", "%s", img->read_only ? "r" : "w");
    NODE(b->be, "online", "1");
    NODE(b->be, "removable", "0");
    NODE(b->be, "feature-flush-cache", "1");
    NODE(b->be, "state", "%d", XenbusStateInitWait);
#undef NODE
    /* The size goes in now and again at connect, where Linux's blkback writes it. */
    if (!rc)
        rc = write_size_nodes(b);
    if (!rc)
        rc = xs_watch_core(b->fe_state, frontend_changed, b);
    if (rc) {
        xs_rm(b->fe);
        xs_rm(b->be);
        b->in_use = false;
        return rc;
    }
    b->be_state = XenbusStateInitWait;
    hv_log("d%u vbd %ld (%s): %llu sectors, %s", d->domid, devid, vdev,
           (unsigned long long)(b->img.size / BLKIF_SECTOR_BYTES),
           img->read_only ? "read-only" : "read-write");
    return devid;
}

void blkback_port_closed(struct domain *d, evtchn_port_t port)
{
    for (unsigned int i = 0; i < HV_MAX_VBDS; i++) {
        struct vbd *b = &vbds[i];
        if (b->in_use && b->connected && b->domid == d->domid && b->port == port) {
            disconnect(b, "frontend closed its event channel");
            set_be_state(b, XenbusStateClosing);
        }
    }
}

void blkback_domain_destroy(struct domain *d)
{
    for (unsigned int i = 0; i < HV_MAX_VBDS; i++) {
        struct vbd *b = &vbds[i];
        if (!b->in_use || b->domid != d->domid)
            continue;
        disconnect(b, "domain destroyed");
        xs_unwatch_core(frontend_changed, b);
        xs_rm(b->be);
        b->in_use = false;
    }
}

/* --- the ring ------------------------------------------------------------------------------ */

/* Holds on a request's segments, released together. */
struct seg_hold {
    grant_ref_t ref;
    mfn_t mfn;
    unsigned int first, last;
};

static void release_all(struct domain *d, const struct seg_hold *h, unsigned int n, bool write)
{
    for (unsigned int i = 0; i < n; i++)
        gnttab_release(d, h[i].ref, write);
}

/*
 * One READ or WRITE. Everything is checked before a byte moves: the
 * segment geometry, the sector range, and every grant (a READ writes into
 * the guest's pages, so its grants must be writable). Then the data moves
 * and the grants go back.
 */
static int16_t do_rw(struct vbd *b, struct domain *d, const struct blkif_request *rq)
{
    struct seg_hold h[BLKIF_MAX_SEGMENTS_PER_REQUEST];
    bool is_read = rq->operation == BLKIF_OP_READ;
    uint64_t nsect = 0, disk_sectors = b->img.size / BLKIF_SECTOR_BYTES;
    unsigned int n = rq->nr_segments;
    if (n == 0 || n > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        return BLKIF_RSP_ERROR;
    if (!is_read && b->img.read_only)
        return BLKIF_RSP_ERROR;
    for (unsigned int i = 0; i < n; i++) {
        const struct blkif_request_segment *s = &rq->seg[i];
        if (s->first_sect > s->last_sect || s->last_sect >= PAGE_SIZE / BLKIF_SECTOR_BYTES)
            return BLKIF_RSP_ERROR;
        nsect += (uint64_t)(s->last_sect - s->first_sect + 1);
    }
    if (rq->sector_number >= disk_sectors || nsect > disk_sectors - rq->sector_number)
        return BLKIF_RSP_ERROR;
    for (unsigned int i = 0; i < n; i++) {
        h[i] = (struct seg_hold){
            .ref = rq->seg[i].gref, .first = rq->seg[i].first_sect, .last = rq->seg[i].last_sect};
        if (gnttab_acquire(d, h[i].ref, 0, is_read, &h[i].mfn) != GNTST_okay) {
            release_all(d, h, i, is_read);
            return BLKIF_RSP_ERROR;
        }
    }
    uint8_t *disk = b->img.data + rq->sector_number * BLKIF_SECTOR_BYTES;
    for (unsigned int i = 0; i < n; i++) {
        uint8_t *page = (uint8_t *)arch_mfn_to_virt(h[i].mfn) + h[i].first * BLKIF_SECTOR_BYTES;
        size_t len = (size_t)(h[i].last - h[i].first + 1) * BLKIF_SECTOR_BYTES;
        if (is_read)
            hv_memcpy(page, disk, len);
        else
            hv_memcpy(disk, page, len);
        disk += len;
    }
    release_all(d, h, n, is_read);
    return BLKIF_RSP_OKAY;
}

static const char *op_name(uint8_t op)
{
    static const char *const names[] = {"read",     "write",   "barrier", "flush",
                                        "reserved", "discard", "indirect"};
    return op < ARRAY_SIZE(names) ? names[op] : "unknown";
}

static int16_t do_request(struct vbd *b, struct domain *d, const struct blkif_request *rq)
{
    int16_t st;
    switch (rq->operation) {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
        st = do_rw(b, d, rq);
        break;
    case BLKIF_OP_FLUSH_DISKCACHE:
        st = BLKIF_RSP_OKAY; /* the image is memory: nothing is ever cached */
        break;
    default:
        /* Barriers, discard and indirect segments are not advertised, so not expected. */
        st = BLKIF_RSP_EOPNOTSUPP;
        break;
    }
    hv_log("d%u vbd %u: %s sector %llu, %u segments: %d", b->domid, b->devid,
           op_name(rq->operation), (unsigned long long)rq->sector_number, rq->nr_segments, st);
    return st;
}

static void *slot(void *ring, RING_IDX i)
{
    return (uint8_t *)ring + BLKIF_RING_HEADER_BYTES +
           (size_t)(i & (BLKIF_RING_SLOTS - 1)) * BLKIF_RING_SLOT_BYTES;
}

/*
 * Serve the ring until it is empty, as blkback's do_block_io_op does:
 * copy each request out of the shared page before looking at it (the
 * guest may change the slot), answer in its slot, publish responses, and
 * re-arm req_event so the next request notifies. A frontend that pushes
 * more requests than the ring has room for has a broken ring: the device
 * disconnects.
 */
static void serve(struct vbd *b, struct domain *d)
{
    void *ring = arch_mfn_to_virt(b->ring_mfn);
    struct blkif_sring_header *sh = ring;
    bool more;
    do {
        RING_IDX prod = __atomic_load_n(&sh->req_prod, __ATOMIC_ACQUIRE);
        if (prod - b->req_cons > BLKIF_RING_SLOTS) {
            hv_log("d%u vbd %u: ring broken (req_prod %u, consumed %u)", b->domid, b->devid, prod,
                   b->req_cons);
            disconnect(b, "broken ring");
            set_be_state(b, XenbusStateClosing);
            return;
        }
        while (b->req_cons != prod) {
            struct blkif_request rq;
            hv_memcpy(&rq, slot(ring, b->req_cons), sizeof(rq));
            b->req_cons++;
            struct blkif_response rs = {.id = rq.id, .operation = rq.operation};
            rs.status = do_request(b, d, &rq);
            hv_memcpy(slot(ring, b->rsp_prod_pvt), &rs, sizeof(rs));
            b->rsp_prod_pvt++;
        }
        /* Publish: notify only if the frontend asked for an index we just passed. */
        RING_IDX old = sh->rsp_prod, now = b->rsp_prod_pvt;
        __atomic_store_n(&sh->rsp_prod, now, __ATOMIC_RELEASE);
        if (now != old && (RING_IDX)(now - sh->rsp_event) < (RING_IDX)(now - old) &&
            evtchn_backend_bound(d, b->port, EVB_BLKIF))
            evtchn_backend_send(d, b->port);
        /* Ask to be notified for the next request, then look once more. */
        __atomic_store_n(&sh->req_event, b->req_cons + 1, __ATOMIC_SEQ_CST);
        more = __atomic_load_n(&sh->req_prod, __ATOMIC_SEQ_CST) != b->req_cons;
    } while (more);
}

void blkback_notify(struct domain *d, evtchn_port_t port)
{
    for (unsigned int i = 0; i < HV_MAX_VBDS; i++) {
        struct vbd *b = &vbds[i];
        if (b->in_use && b->connected && b->domid == d->domid && b->port == port) {
            serve(b, d);
            return;
        }
    }
    /* Bound to EVB_BLKIF only by connect(), and unbound by disconnect(): a core bug. */
    hv_panic("blkback_notify: d%u port %u has no connected device", d->domid, port);
}
