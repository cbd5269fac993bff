/* PV MMU hypercalls: update_va_mapping, mmu_update, mmuext_op, set_gdt, update_descriptor. */
#include "hv/arch.h"
#include "hv/hypercall.h"
#include "hv/lib.h"
#include "hv/mm.h"

static bool va_in_hypervisor_hole(uint64_t va)
{
    if (!va_canonical(va))
        return true; /* non-canonical counts as unusable */
    return va >= HYPERVISOR_VIRT_START_64 && va < HYPERVISOR_VIRT_END_64;
}

static bool foreign_ok(struct vcpu *v, uint64_t foreigndom)
{
    return foreigndom == DOMID_SELF || foreigndom == v->domain->domid;
}

long do_update_va_mapping(struct vcpu *v, const uint64_t a[5])
{
    uint64_t va = a[0], val = a[1];
    if (va_in_hypervisor_hole(va))
        return -XEN_EINVAL;
    uint64_t maddr = mm_l1e_maddr(v->guest_table, va);
    if (!maddr)
        return -XEN_EINVAL;
    /* Flush flags need no work: the machine's view is rebuilt on every change. */
    return mm_update_pte(v->domain, maddr, val);
}

/*
 * Report how many requests were done. As in Xen's do_mmu_update and
 * do_mmuext_op, a pdone the guest cannot receive is ignored: the requests
 * were applied, and -EFAULT would tell the guest that nothing was.
 */
static void put_done(struct vcpu *v, uint64_t pdone, uint32_t done)
{
    if (pdone)
        (void)copy_to_guest(v, pdone, &done, sizeof(done));
}

static long mmu_update_one(struct vcpu *v, const struct mmu_update *req)
{
    struct domain *d = v->domain;
    uint64_t ptr = req->ptr & ~3ULL;
    switch (req->ptr & 3) {
    case MMU_NORMAL_PT_UPDATE:
        return mm_update_pte(d, ptr, req->val);
    case MMU_PT_UPDATE_PRESERVE_AD: {
        mfn_t m = _mfn(ptr >> PAGE_SHIFT);
        if (!mfn_valid(m) || (ptr & 7))
            return -XEN_EINVAL;
        uint64_t old = ((uint64_t *)arch_mfn_to_virt(m))[(ptr & (PAGE_SIZE - 1)) / 8];
        return mm_update_pte(d, ptr, req->val | (old & (_PAGE_ACCESSED | _PAGE_DIRTY)));
    }
    case MMU_MACHPHYS_UPDATE: {
        mfn_t m = _mfn(ptr >> PAGE_SHIFT);
        if (!mfn_valid(m) || mfn_to_page(m)->owner != d->domid ||
            (mfn_to_page(m)->flags & PGF_xen_heap))
            return -XEN_EINVAL;
        hv_mem.m2p[mfn_x(m)] = req->val;
        return 0;
    }
    default:
        return -XEN_ENOSYS;
    }
}

/* One request of a batch, read from guest memory at `at`. */
typedef long (*batch_op_fn)(struct vcpu *v, uint64_t at);

/*
 * The batch protocol shared by mmu_update and mmuext_op: apply requests in
 * order, stop at the first failure, and report how many succeeded through
 * pdone (written even on failure, as Xen does).
 */
static long run_batch(struct vcpu *v, const uint64_t a[5], size_t req_size, batch_op_fn one)
{
    uint64_t reqs = a[0], count = a[1], pdone = a[2];
    if (!foreign_ok(v, a[3]))
        return -XEN_EPERM;
    uint32_t done = 0;
    long rc = 0;
    for (; done < count; done++) {
        rc = one(v, reqs + done * req_size);
        if (rc)
            break;
    }
    put_done(v, pdone, done);
    return rc;
}

static long mmu_update_at(struct vcpu *v, uint64_t at)
{
    struct mmu_update req;
    if (copy_from_guest(v, &req, at, sizeof(req)))
        return -XEN_EFAULT;
    return mmu_update_one(v, &req);
}

long do_mmu_update(struct vcpu *v, const uint64_t a[5])
{
    return run_batch(v, a, sizeof(struct mmu_update), mmu_update_at);
}

static long pin_table(struct vcpu *v, uint64_t mfn, unsigned int level)
{
    struct domain *d = v->domain;
    mfn_t m = _mfn(mfn);
    if (!mfn_valid(m) || mfn_to_page(m)->owner != d->domid)
        return -XEN_EINVAL;
    if (mfn_to_page(m)->flags & PGF_pinned)
        return -XEN_EINVAL;
    long rc = mm_get_page_type(d, m, level);
    if (!rc)
        mfn_to_page(m)->flags |= PGF_pinned;
    return rc;
}

static long unpin_table(struct vcpu *v, uint64_t mfn)
{
    mfn_t m = _mfn(mfn);
    if (!mfn_valid(m) || mfn_to_page(m)->owner != v->domain->domid ||
        !(mfn_to_page(m)->flags & PGF_pinned))
        return -XEN_EINVAL;
    mfn_to_page(m)->flags &= ~PGF_pinned;
    mm_put_page_type(v->domain, m);
    return 0;
}

/* Replace *slot with a new top-level table (0 allowed for the user table). */
static long set_baseptr(struct vcpu *v, mfn_t *slot, uint64_t mfn, bool allow_null)
{
    struct domain *d = v->domain;
    if (!mfn && allow_null) {
        if (mfn_x(*slot))
            mm_put_page_type(d, *slot);
        *slot = _mfn(0);
        arch_mmu_changed(v);
        return 0;
    }
    long rc = mm_get_page_type(d, _mfn(mfn), PGT_l4);
    if (rc)
        return rc;
    if (mfn_x(*slot))
        mm_put_page_type(d, *slot);
    *slot = _mfn(mfn);
    arch_mmu_changed(v);
    return 0;
}

static long frame_op(struct vcpu *v, const struct mmuext_op *op)
{
    struct domain *d = v->domain;
    mfn_t dst = _mfn(op->arg1.mfn);
    if (!mfn_valid(dst) || mfn_to_page(dst)->owner != d->domid)
        return -XEN_EINVAL;
    if (op->cmd == 17) { /* COPY_PAGE: source must be ours too */
        mfn_t src = _mfn(op->arg2.src_mfn);
        if (!mfn_valid(src) || mfn_to_page(src)->owner != d->domid)
            return -XEN_EINVAL;
    }
    long rc = mm_get_page_type(d, dst, PGT_writable);
    if (rc)
        return rc;
    if (op->cmd == 16)
        hv_memset(arch_mfn_to_virt(dst), 0, PAGE_SIZE);
    else
        hv_memcpy(arch_mfn_to_virt(dst), arch_mfn_to_virt(_mfn(op->arg2.src_mfn)), PAGE_SIZE);
    mm_put_page_type(d, dst);
    return 0;
}

static long mmuext_one(struct vcpu *v, const struct mmuext_op *op)
{
    switch (op->cmd) {
    case MMUEXT_PIN_L1_TABLE:
    case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE:
    case MMUEXT_PIN_L4_TABLE:
        return pin_table(v, op->arg1.mfn, op->cmd - MMUEXT_PIN_L1_TABLE + PGT_l1);
    case MMUEXT_UNPIN_TABLE:
        return unpin_table(v, op->arg1.mfn);
    case MMUEXT_NEW_BASEPTR:
        return set_baseptr(v, &v->guest_table, op->arg1.mfn, false);
    case MMUEXT_NEW_USER_BASEPTR:
        return set_baseptr(v, &v->guest_table_user, op->arg1.mfn, true);
    case MMUEXT_TLB_FLUSH_LOCAL:
    case MMUEXT_INVLPG_LOCAL:
    case MMUEXT_TLB_FLUSH_ALL:
    case MMUEXT_INVLPG_ALL:
        /* Correct as a no-op: the machine never holds stale translations. */
        return 0;
    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_INVLPG_MULTI: {
        uint64_t mask;
        if (copy_from_guest(v, &mask, (uint64_t)(uintptr_t)op->arg2.vcpumask, sizeof(mask)))
            return -XEN_EFAULT;
        return 0;
    }
    case MMUEXT_SET_LDT:
        if (op->arg2.nr_ents == 0)
            return 0; /* no LDT: the state this hypervisor always has */
        hv_log("d%u: unmodelled: MMUEXT_SET_LDT with %u entries", v->domain->domid,
               op->arg2.nr_ents);
        return -XEN_EINVAL;
    case 16: /* CLEAR_PAGE */
    case 17: /* COPY_PAGE */
        return frame_op(v, op);
    default:
        return -XEN_ENOSYS;
    }
}

static long mmuext_at(struct vcpu *v, uint64_t at)
{
    struct mmuext_op op;
    if (copy_from_guest(v, &op, at, sizeof(op)))
        return -XEN_EFAULT;
    return mmuext_one(v, &op);
}

long do_mmuext_op(struct vcpu *v, const uint64_t a[5])
{
    return run_batch(v, a, sizeof(struct mmuext_op), mmuext_at);
}

/*
 * A 64-bit PV guest's descriptor: not-present ones are free-form; code and
 * data segments get DPL 3 (its kernel runs in ring 3); system descriptors
 * (gates, TSS, LDT) are refused, except type 0 which Xen lets through.
 */
static bool check_descriptor(uint64_t *desc)
{
    uint32_t b = (uint32_t)(*desc >> 32);
    if (!(b & (1u << 15)))
        return true;
    if (!(b & (1u << 12)))
        return ((b >> 8) & 0xf) == 0; /* type 0 is harmless; other system types refused */
    *desc |= 3ULL << (32 + 13);
    return true;
}

static long validate_gdt_frame(mfn_t m)
{
    uint64_t *t = arch_mfn_to_virt(m);
    for (unsigned int i = 0; i < 512; i++) {
        uint64_t d = t[i];
        if (!check_descriptor(&d))
            return -XEN_EINVAL;
        t[i] = d;
    }
    return 0;
}

static void release_gdt(struct vcpu *v)
{
    for (unsigned int i = 0; i * 512 < v->gdt_ents; i++)
        mm_put_page_type(v->domain, _mfn(v->gdt_frames[i]));
    v->gdt_ents = 0;
}

long do_set_gdt(struct vcpu *v, const uint64_t a[5])
{
    uint64_t list = a[0], entries = a[1];
    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -XEN_EINVAL;
    unsigned int nr = (unsigned int)((entries + 511) / 512);
    uint64_t frames[16];
    if (nr && copy_from_guest(v, frames, list, nr * 8))
        return -XEN_EFAULT;
    unsigned int got = 0;
    long rc = 0;
    for (; got < nr; got++) {
        mfn_t m = _mfn(frames[got]);
        rc = mm_get_page_type(v->domain, m, PGT_seg_desc);
        if (rc)
            break; /* nothing taken on this frame: release only earlier ones */
        if (mfn_to_page(m)->type_count == 1)
            rc = validate_gdt_frame(m);
        if (rc) {
            mm_put_page_type(v->domain, m);
            break;
        }
    }
    if (rc) {
        while (got--)
            mm_put_page_type(v->domain, _mfn(frames[got]));
        return rc;
    }
    release_gdt(v);
    hv_memcpy(v->gdt_frames, frames, nr * 8);
    v->gdt_ents = (unsigned int)entries;
    arch_segments_changed(v);
    return 0;
}

long do_update_descriptor(struct vcpu *v, const uint64_t a[5])
{
    uint64_t maddr = a[0], desc = a[1];
    struct domain *d = v->domain;
    mfn_t m = _mfn(maddr >> PAGE_SHIFT);
    if ((maddr & 7) || !mfn_valid(m) || mfn_to_page(m)->owner != d->domid)
        return -XEN_EINVAL;
    if (!check_descriptor(&desc))
        return -XEN_EINVAL;
    unsigned int type = mfn_to_page(m)->type == PGT_seg_desc ? PGT_seg_desc : PGT_writable;
    long rc = mm_get_page_type(d, m, type);
    if (rc)
        return rc;
    ((uint64_t *)arch_mfn_to_virt(m))[(maddr & (PAGE_SIZE - 1)) / 8] = desc;
    mm_put_page_type(d, m);
    if (type == PGT_seg_desc)
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            arch_segments_changed(&d->vcpus[i]);
    return 0;
}
