/* Grant tables (v1): grant_table_op for guests, and checked holds on granted frames for backends.
 */
#include "hv/grant.h"
#include "hv/arch.h"
#include "hv/lib.h"
#include "hv/mm.h"

#define ENTRIES_PER_FRAME ((unsigned int)GNTTAB_V1_ENTRIES_PER_FRAME)

/*
 * Xen passes cmd through with a continuation argument in bits 12 and up;
 * only GNTTABOP_cache_flush may carry one, any other command with those
 * bits set is -EINVAL.
 */
#define GNTTABOP_CMD_MASK 0xFFFu

/*
 * What the core keeps for each grant ref besides the guest's own entry
 * (Xen's active_grant_entry): who holds it, which frame, and how often.
 * The guest may rewrite its entry at any time, so a release works from
 * this copy, never from the entry. One hypervisor frame of these sits
 * beside each table frame (d->gnttab.active[i] for frames[i]).
 *
 *   0        4         6         7          8
 *   [ mfn   ][grantee ][nr_read ][nr_write ]
 */
struct active_grant {
    uint32_t mfn;     /* a v1 entry's frame is 32 bits, so every held frame fits */
    domid_t grantee;  /* valid while held */
    uint8_t nr_read;  /* read-only holds */
    uint8_t nr_write; /* writable holds */
};
_Static_assert(sizeof(struct active_grant) * GNTTAB_V1_ENTRIES_PER_FRAME == PAGE_SIZE,
               "one active frame per table frame");

/* As Xen: once either count reaches this, no further hold (the counts cannot overflow). */
#define PIN_LIMIT 0x80

static unsigned int nr_entries(const struct domain *d)
{
    return d->gnttab.nr_frames * ENTRIES_PER_FRAME;
}

static struct grant_entry_v1 *shared_entry(const struct domain *d, grant_ref_t ref)
{
    struct grant_entry_v1 *t = arch_mfn_to_virt(d->gnttab.frames[ref / ENTRIES_PER_FRAME]);
    return &t[ref % ENTRIES_PER_FRAME];
}

static struct active_grant *active_entry(const struct domain *d, grant_ref_t ref)
{
    struct active_grant *a = arch_mfn_to_virt(d->gnttab.active[ref / ENTRIES_PER_FRAME]);
    return &a[ref % ENTRIES_PER_FRAME];
}

void gnttab_domain_init(struct domain *d)
{
    d->gnttab.nr_frames = 0;
    d->gnttab.version = 1;
    d->gnttab.nr_held = 0;
}

/* Free table frames [from, to) and their active frames. */
static void free_frames(struct domain *d, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        mm_free_frame(d->gnttab.frames[i]);
        mm_free_frame(d->gnttab.active[i]);
        d->gnttab.frames[i] = _mfn(0);
        d->gnttab.active[i] = _mfn(0);
    }
}

/*
 * Grow the table to nr frames (nr > nr_frames). Table frames belong to the
 * domain and are marked PGF_xen_heap, as shared_info is, so the guest can
 * map them writable but never as page tables; active frames belong to the
 * hypervisor. All or nothing: on failure the table keeps its old size.
 */
static int grow_table(struct domain *d, uint32_t nr)
{
    uint32_t have = d->gnttab.nr_frames;
    for (uint32_t i = have; i < nr; i++) {
        mfn_t t, a;
        if (mm_alloc_frame(d->domid, &t)) {
            free_frames(d, have, i);
            return -XEN_ENOMEM;
        }
        if (mm_alloc_frame(DOMID_XEN, &a)) {
            mm_free_frame(t);
            free_frames(d, have, i);
            return -XEN_ENOMEM;
        }
        mfn_to_page(t)->flags |= PGF_xen_heap;
        d->gnttab.frames[i] = t;
        d->gnttab.active[i] = a;
    }
    d->gnttab.nr_frames = nr;
    return 0;
}

/* Take away every hold on ref (the domain is going away). */
static void drop_holds(struct domain *d, grant_ref_t ref)
{
    struct active_grant *act = active_entry(d, ref);
    if (!act->nr_read && !act->nr_write)
        return;
    mfn_t mfn = _mfn(act->mfn);
    for (unsigned int i = 0; i < act->nr_write; i++)
        mm_put_page_type(d, mfn);
    mfn_to_page(mfn)->ref_count -= act->nr_read + act->nr_write;
    d->gnttab.nr_held -= act->nr_read + act->nr_write;
    *act = (struct active_grant){0};
}

void gnttab_domain_destroy(struct domain *d)
{
    if (d->gnttab.nr_held) {
        hv_log("d%u: %u grant holds still taken at destroy, dropped", d->domid, d->gnttab.nr_held);
        for (grant_ref_t ref = 0; ref < nr_entries(d); ref++)
            drop_holds(d, ref);
    }
    free_frames(d, 0, d->gnttab.nr_frames);
    d->gnttab.nr_frames = 0;
    d->gnttab.nr_held = 0;
}

/* ------------------------------------------------------------------------- */
/* grant_table_op                                                            */

/*
 * The domain an op names, as Xen's rcu_lock_domain_by_any_id plus its
 * XSM_TARGET check: DOMID_SELF or the caller's own id; another existing
 * domain is -EPERM (no domain here is privileged), none is -ESRCH.
 */
static int target_domain(struct vcpu *v, domid_t dom, struct domain **out)
{
    struct domain *d = dom == DOMID_SELF ? v->domain : domain_by_id(dom);
    if (!d)
        return -XEN_ESRCH;
    if (d != v->domain)
        return -XEN_EPERM;
    *out = d;
    return 0;
}

static int16_t target_status(int rc)
{
    return rc == -XEN_ESRCH ? GNTST_bad_domain : GNTST_permission_denied;
}

/*
 * Xen's guest_handle_okay for a 64-bit PV guest: the array starts in guest
 * space (below 2^47, or above the hypervisor's hole). It does not look at
 * mappings: a fault inside the array is found by the copies themselves.
 */
static bool guest_array_okay(uint64_t va, uint64_t nr, size_t size)
{
    return nr < ~0ULL / size && (va < (1ULL << 47) || va >= HYPERVISOR_VIRT_END_64);
}

/*
 * Only count == 1 is accepted. The status is the only field written back;
 * a frame_list entry that cannot be written makes it GNTST_bad_virt_addr
 * (the other entries are still written).
 */
static long setup_table(struct vcpu *v, uint64_t uop, uint32_t count)
{
    struct gnttab_setup_table op;
    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(v, &op, uop, sizeof(op)))
        return -XEN_EFAULT;
    uint64_t list = (uint64_t)(uintptr_t)op.frame_list;
    if (!guest_array_okay(list, op.nr_frames, sizeof(xen_pfn_t)))
        return -XEN_EFAULT;

    struct domain *d = NULL;
    int rc = target_domain(v, op.dom, &d);
    if (rc)
        op.status = target_status(rc);
    else if (op.nr_frames > HV_GNTTAB_MAX_FRAMES)
        op.status = GNTST_general_error;
    else if (op.nr_frames > d->gnttab.nr_frames && grow_table(d, op.nr_frames))
        op.status = GNTST_general_error;
    else {
        op.status = GNTST_okay;
        for (uint32_t i = 0; i < op.nr_frames; i++) {
            xen_pfn_t mfn = mfn_x(d->gnttab.frames[i]);
            if (copy_to_guest(v, list + i * sizeof(mfn), &mfn, sizeof(mfn)))
                op.status = GNTST_bad_virt_addr;
        }
    }
    if (copy_to_guest(v, uop + offsetof(struct gnttab_setup_table, status), &op.status,
                      sizeof(op.status)))
        return -XEN_EFAULT;
    return 0;
}

/* Only count == 1; the whole struct is written back, whatever the status. */
static long query_size(struct vcpu *v, uint64_t uop, uint32_t count)
{
    struct gnttab_query_size op;
    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(v, &op, uop, sizeof(op)))
        return -XEN_EFAULT;
    struct domain *d = NULL;
    int rc = target_domain(v, op.dom, &d);
    if (rc)
        op.status = target_status(rc);
    else {
        op.nr_frames = d->gnttab.nr_frames;
        op.max_nr_frames = HV_GNTTAB_MAX_FRAMES;
        op.status = GNTST_okay;
    }
    if (copy_to_guest(v, uop, &op, sizeof(op)))
        return -XEN_EFAULT;
    return 0;
}

/*
 * count is not looked at. Version 1 is what every table has; 2 is -ENOSYS,
 * what Xen answers when it offers v1 only; anything else -EINVAL. Every
 * answer writes back the version in force.
 */
static long set_version(struct vcpu *v, uint64_t uop)
{
    struct gnttab_set_version op;
    if (copy_from_guest(v, &op, uop, sizeof(op)))
        return -XEN_EFAULT;
    long rc = op.version == 1 ? 0 : op.version == 2 ? -XEN_ENOSYS : -XEN_EINVAL;
    op.version = v->domain->gnttab.version;
    if (copy_to_guest(v, uop, &op, sizeof(op)))
        rc = -XEN_EFAULT;
    return rc;
}

/* count is not looked at. Errors are return values here (-ESRCH, -EPERM), not a status. */
static long get_version(struct vcpu *v, uint64_t uop)
{
    struct gnttab_get_version op;
    if (copy_from_guest(v, &op, uop, sizeof(op)))
        return -XEN_EFAULT;
    struct domain *d = NULL;
    int rc = target_domain(v, op.dom, &d);
    if (rc)
        return rc;
    op.version = d->gnttab.version;
    if (copy_to_guest(v, uop + offsetof(struct gnttab_get_version, version), &op.version,
                      sizeof(op.version)))
        return -XEN_EFAULT;
    return 0;
}

static const char *const op_names[] = {
    [GNTTABOP_map_grant_ref] = "map_grant_ref", [GNTTABOP_unmap_grant_ref] = "unmap_grant_ref",
    [GNTTABOP_setup_table] = "setup_table",     [GNTTABOP_dump_table] = "dump_table",
    [GNTTABOP_transfer] = "transfer",           [GNTTABOP_copy] = "copy",
    [GNTTABOP_query_size] = "query_size",       [GNTTABOP_unmap_and_replace] = "unmap_and_replace",
    [GNTTABOP_set_version] = "set_version",     [GNTTABOP_get_status_frames] = "get_status_frames",
    [GNTTABOP_get_version] = "get_version",     [GNTTABOP_swap_grant_ref] = "swap_grant_ref",
    [GNTTABOP_cache_flush] = "cache_flush",
};

/*
 * Xen's handler takes cmd and count as unsigned int: the upper halves of
 * the registers are ignored, and a count that is negative as an int is
 * -EINVAL before anything else.
 */
long do_grant_table_op(struct vcpu *v, uint64_t cmd64, uint64_t uop, uint64_t count64)
{
    uint32_t cmd = (uint32_t)cmd64, count = (uint32_t)count64;
    if ((int32_t)count < 0)
        return -XEN_EINVAL;
    if ((cmd & ~GNTTABOP_CMD_MASK) && (cmd & GNTTABOP_CMD_MASK) != GNTTABOP_cache_flush)
        return -XEN_EINVAL;
    cmd &= GNTTABOP_CMD_MASK;
    switch (cmd) {
    case GNTTABOP_setup_table:
        return setup_table(v, uop, count);
    case GNTTABOP_query_size:
        return query_size(v, uop, count);
    case GNTTABOP_set_version:
        return set_version(v, uop);
    case GNTTABOP_get_version:
        return get_version(v, uop);
    default:
        /* Operations on another domain's grants: only a backend domain needs them. */
        if (cmd < ARRAY_SIZE(op_names))
            hv_log("d%u: unmodelled: GNTTABOP %s", v->domain->domid, op_names[cmd]);
        return -XEN_ENOSYS;
    }
}

/* ------------------------------------------------------------------------- */
/* Backends' holds                                                           */

/*
 * A frame a domain may grant: one of its own, and not one the hypervisor
 * shares with it (shared_info, its grant table), which the core itself
 * writes. Xen answers GNTST_bad_page for a frame the granter does not own.
 */
static bool grantable_frame(const struct domain *d, mfn_t mfn)
{
    return mfn_valid(mfn) && mfn_to_page(mfn)->owner == d->domid &&
           !(mfn_to_page(mfn)->flags & PGF_xen_heap);
}

/*
 * As Xen's map_grant_ref and _set_status_v1: the guest's entry is checked
 * (type, grantee) at the first hold only, GTF_readonly whenever a hold
 * adds write access; later holds must come from the same grantee and use
 * the frame the first one took. On any refusal the entry's flags are put
 * back as they were.
 */
int gnttab_acquire(struct domain *granter, grant_ref_t ref, domid_t grantee, bool write, mfn_t *out)
{
    if (!granter->in_use)
        return GNTST_bad_domain;
    if (ref >= nr_entries(granter))
        return GNTST_bad_gntref;
    struct active_grant *act = active_entry(granter, ref);
    struct grant_entry_v1 *sha = shared_entry(granter, ref);
    bool held = act->nr_read || act->nr_write;
    if (held &&
        (act->grantee != grantee || act->nr_read >= PIN_LIMIT || act->nr_write >= PIN_LIMIT))
        return GNTST_general_error;

    struct grant_entry_v1 e = *sha; /* one read: the guest may change it under us */
    if (!held || (write && !act->nr_write)) {
        if (!held &&
            ((e.flags & (GTF_type_mask | GTF_sub_page)) != GTF_permit_access || e.domid != grantee))
            return GNTST_general_error;
        if (write && (e.flags & GTF_readonly))
            return GNTST_general_error;
        sha->flags = e.flags | GTF_reading | (write ? GTF_writing : 0);
    }
    mfn_t mfn = held ? _mfn(act->mfn) : _mfn(e.frame);
    if (!held && !grantable_frame(granter, mfn)) {
        sha->flags = e.flags;
        return GNTST_bad_page;
    }
    /* A frame held for writing cannot become a page table (nor is one now). */
    if (write && mm_get_page_type(granter, mfn, PGT_writable)) {
        sha->flags = e.flags;
        return GNTST_general_error;
    }
    if (!held) {
        act->mfn = (uint32_t)mfn_x(mfn);
        act->grantee = grantee;
    }
    if (write)
        act->nr_write++;
    else
        act->nr_read++;
    mfn_to_page(mfn)->ref_count++;
    granter->gnttab.nr_held++;
    *out = mfn;
    return GNTST_okay;
}

/*
 * A release that matches no hold is a backend's bug, not the guest's doing:
 * it is logged and ignored rather than fatal.
 */
void gnttab_release(struct domain *granter, grant_ref_t ref, bool write)
{
    struct active_grant *act =
        granter->in_use && ref < nr_entries(granter) ? active_entry(granter, ref) : NULL;
    uint8_t *count = !act ? NULL : write ? &act->nr_write : &act->nr_read;
    if (!count || !*count) {
        hv_log("d%u: grant %u released (%s) but not held", granter->domid, ref,
               write ? "write" : "read");
        return;
    }
    mfn_t mfn = _mfn(act->mfn);
    if (write)
        mm_put_page_type(granter, mfn);
    mfn_to_page(mfn)->ref_count--;
    (*count)--;
    granter->gnttab.nr_held--;
    /* Clear the flags a last hold of its kind leaves behind, as Xen's unmap does. */
    uint16_t clear = 0;
    if (write && !act->nr_write)
        clear |= GTF_writing;
    if (!act->nr_read && !act->nr_write)
        clear |= GTF_reading;
    if (clear)
        shared_entry(granter, ref)->flags &= (uint16_t)~clear;
}

unsigned int gnttab_nr_held(const struct domain *d)
{
    return d->gnttab.nr_held;
}

/* ------------------------------------------------------------------------- */
/* Invariants                                                                */

static int check_frames(const struct domain *d, char *why, size_t whylen)
{
    if (d->gnttab.nr_frames > HV_GNTTAB_MAX_FRAMES) {
        hv_snprintf(why, whylen, "d%u grant table has %u frames", d->domid, d->gnttab.nr_frames);
        return -1;
    }
    for (uint32_t i = 0; i < d->gnttab.nr_frames; i++) {
        mfn_t t = d->gnttab.frames[i], a = d->gnttab.active[i];
        if (!mfn_valid(t) || mfn_to_page(t)->owner != d->domid ||
            !(mfn_to_page(t)->flags & PGF_xen_heap)) {
            hv_snprintf(why, whylen, "d%u grant frame %u (%llx) is not a frame shared with it",
                        d->domid, i, (unsigned long long)mfn_x(t));
            return -1;
        }
        if (!mfn_valid(a) || mfn_to_page(a)->owner != DOMID_XEN || mfn_to_page(a)->type_count ||
            mfn_to_page(a)->ref_count) {
            hv_snprintf(why, whylen, "d%u active grant frame %u (%llx) is not the hypervisor's",
                        d->domid, i, (unsigned long long)mfn_x(a));
            return -1;
        }
    }
    return 0;
}

int gnttab_check_invariants(const struct domain *d, uint32_t *type_refs, char *why, size_t whylen)
{
    if (check_frames(d, why, whylen))
        return -1;
    uint64_t held = 0;
    for (grant_ref_t ref = 0; ref < nr_entries(d); ref++) {
        const struct active_grant *act = active_entry(d, ref);
        unsigned int n = act->nr_read + act->nr_write;
        if (!n)
            continue;
        held += n;
        mfn_t m = _mfn(act->mfn);
        if (!grantable_frame(d, m) || mfn_to_page(m)->ref_count < n) {
            hv_snprintf(why, whylen, "d%u grant %u holds frame %llx, not a grantable frame of its",
                        d->domid, ref, (unsigned long long)act->mfn);
            return -1;
        }
        if (!act->nr_write)
            continue;
        if (mfn_to_page(m)->type != PGT_writable) {
            hv_snprintf(why, whylen, "d%u grant %u: frame %llx held for writing has type %u",
                        d->domid, ref, (unsigned long long)act->mfn, mfn_to_page(m)->type);
            return -1;
        }
        type_refs[act->mfn] += act->nr_write;
    }
    if (held != d->gnttab.nr_held) {
        hv_snprintf(why, whylen, "d%u counts %u grant holds, its entries %llu", d->domid,
                    d->gnttab.nr_held, (unsigned long long)held);
        return -1;
    }
    return 0;
}
