/* Machine frames: allocator, Xen-style page types, PV page-table validation, guest access. */
#include "hv/mm.h"
#include "hv/arch.h"
#include "hv/grant.h"
#include "hv/lib.h"

struct hv_mem hv_mem;
static uint32_t *scratch_counts; /* per-frame scratch for mm_check_invariants */

#define L4_XEN_FIRST 256 /* guest L4 slots 256..271 belong to the hypervisor */
#define L4_XEN_LAST 271
/* PTE bits 52..62 are reserved for us (PKEYs and software bits are not modelled). */
#define PTE_RSVD_HIGH 0x7FF0000000000000ULL

static size_t round_page(size_t n)
{
    return (n + PAGE_SIZE - 1) & PAGE_MASK;
}

size_t mm_meta_bytes(uint64_t nr_frames)
{
    return round_page(nr_frames * sizeof(struct page_info)) + round_page(nr_frames * 8) +
           round_page(nr_frames * sizeof(uint32_t));
}

void mm_init(uint64_t nr_frames, void *meta, const uint64_t *reserved, size_t nr_reserved)
{
    uint8_t *p = meta;
    hv_mem.nr_frames = nr_frames;
    hv_mem.frame_table = (struct page_info *)p;
    p += round_page(nr_frames * sizeof(struct page_info));
    hv_mem.m2p = (uint64_t *)p;
    p += round_page(nr_frames * 8);
    scratch_counts = (uint32_t *)p;
    hv_mem.next_free_hint = 0;
    hv_mem.free_frames = nr_frames;
    for (uint64_t i = 0; i < nr_frames; i++) {
        hv_mem.frame_table[i] = (struct page_info){.owner = DOMID_FREE};
        hv_mem.m2p[i] = INVALID_PFN_RAW;
    }
    for (size_t i = 0; i < nr_reserved; i++) {
        if (reserved[i] < nr_frames && hv_mem.frame_table[reserved[i]].owner == DOMID_FREE) {
            hv_mem.frame_table[reserved[i]].owner = DOMID_XEN;
            hv_mem.free_frames--;
        }
    }
}

void mm_reserve_range(uint64_t first, uint64_t count)
{
    for (uint64_t i = first; i < first + count && i < hv_mem.nr_frames; i++) {
        struct page_info *pg = &hv_mem.frame_table[i];
        if (pg->owner == DOMID_FREE) {
            pg->owner = DOMID_XEN;
            hv_mem.free_frames--;
        }
    }
}

int mm_alloc_frame(uint16_t owner, mfn_t *out)
{
    uint64_t n = hv_mem.nr_frames;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t i = (hv_mem.next_free_hint + k) % n;
        struct page_info *pg = &hv_mem.frame_table[i];
        if (pg->owner != DOMID_FREE)
            continue;
        *pg = (struct page_info){.owner = owner};
        hv_mem.next_free_hint = i + 1;
        hv_mem.free_frames--;
        hv_memset(arch_mfn_to_virt(_mfn(i)), 0, PAGE_SIZE);
        *out = _mfn(i);
        return 0;
    }
    return -XEN_ENOMEM;
}

void mm_free_frame(mfn_t mfn)
{
    HV_ASSERT(mfn_valid(mfn));
    struct page_info *pg = mfn_to_page(mfn);
    HV_ASSERT(pg->owner != DOMID_FREE);
    *pg = (struct page_info){.owner = DOMID_FREE};
    hv_mem.m2p[mfn_x(mfn)] = INVALID_PFN_RAW;
    hv_mem.free_frames++;
}

static uint64_t *table_of(mfn_t mfn)
{
    return arch_mfn_to_virt(mfn);
}
static mfn_t pte_mfn(uint64_t pte)
{
    return _mfn((pte & PTE_ADDR_MASK) >> PAGE_SHIFT);
}
static bool is_pt_type(unsigned int t)
{
    return t >= PGT_l1 && t <= PGT_l4;
}

/* L4 slots 256..271 hold the hypervisor's own entries, never the guest's. */
static bool is_xen_slot(unsigned int level, unsigned int slot)
{
    return level == 4 && slot >= L4_XEN_FIRST && slot <= L4_XEN_LAST;
}

/*
 * Xen's adjust_guest_l*e: a 64-bit PV kernel runs in ring 3, so every
 * present entry it installs is made a user entry (user/kernel separation
 * comes from the two page tables, not from this bit).
 */
static uint64_t adjust_guest_entry(const struct domain *d, uint64_t pte)
{
    if ((pte & _PAGE_PRESENT) && !d->is_compat)
        pte |= _PAGE_USER;
    return pte;
}

static bool frame_owned_by(struct domain *d, mfn_t mfn)
{
    return mfn_valid(mfn) && mfn_to_page(mfn)->owner == d->domid;
}

static void put_page_from_entry(struct domain *d, uint64_t pte, unsigned int level);

/*
 * Take the references an entry at `level` needs: an L1 entry references a
 * data frame (writable type if RW), an Ln entry (n > 1) references a frame
 * that must be a valid L(n-1) table. Rejects foreign frames, superpages and
 * reserved bits.
 */
static int get_page_from_entry(struct domain *d, uint64_t pte, unsigned int level,
                               unsigned int slot)
{
    if (!(pte & _PAGE_PRESENT))
        return 0;
    if (pte & PTE_RSVD_HIGH)
        return -XEN_EINVAL;
    if (is_xen_slot(level, slot))
        return -XEN_EINVAL;
    if (level > 1 && (pte & _PAGE_PSE))
        return -XEN_EINVAL; /* superpages are not offered to PV guests here */
    mfn_t mfn = pte_mfn(pte);
    if (level == 1) {
        /*
         * Xen's get_page_from_l1e: a frame beyond RAM is I/O space, which an
         * unprivileged domain may not map (-EPERM); a frame it does not own,
         * or cannot have as a writable page, is busy (-EBUSY).
         */
        if (!mfn_valid(mfn))
            return -XEN_EPERM;
        if (!frame_owned_by(d, mfn))
            return -XEN_EBUSY;
        if ((pte & _PAGE_RW) && mm_get_page_type(d, mfn, PGT_writable))
            return -XEN_EBUSY;
        mfn_to_page(mfn)->ref_count++;
        return 0;
    }
    if (!frame_owned_by(d, mfn))
        return -XEN_EINVAL;
    int rc = mm_get_page_type(d, mfn, level - 1);
    if (rc)
        return rc;
    mfn_to_page(mfn)->ref_count++;
    return 0;
}

static void put_page_from_entry(struct domain *d, uint64_t pte, unsigned int level)
{
    if (!(pte & _PAGE_PRESENT))
        return;
    mfn_t mfn = pte_mfn(pte);
    struct page_info *pg = mfn_to_page(mfn);
    HV_ASSERT(pg->ref_count > 0);
    pg->ref_count--;
    if (level > 1 || (pte & _PAGE_RW))
        mm_put_page_type(d, mfn);
}

/*
 * Take references for every guest entry of a table; on failure undo what
 * was taken. An L4's hypervisor slots are not the guest's: whatever it
 * wrote there is replaced by the machine's entries (hv_mem.xen_l4, as
 * Xen's init_xen_l4_slots), which carry no references.
 */
static int validate_table(struct domain *d, mfn_t mfn, unsigned int level)
{
    uint64_t *t = table_of(mfn);
    for (unsigned int i = 0; i < 512; i++) {
        if (is_xen_slot(level, i))
            continue;
        int rc = get_page_from_entry(d, t[i], level, i);
        if (rc) {
            while (i--)
                if (!is_xen_slot(level, i))
                    put_page_from_entry(d, t[i], level);
            return rc;
        }
        t[i] = adjust_guest_entry(d, t[i]);
    }
    if (level == 4)
        for (unsigned int i = L4_XEN_FIRST; i <= L4_XEN_LAST; i++)
            t[i] = hv_mem.xen_l4[i - L4_XEN_FIRST];
    return 0;
}

static void devalidate_table(struct domain *d, mfn_t mfn, unsigned int level)
{
    uint64_t *t = table_of(mfn);
    for (unsigned int i = 0; i < 512; i++)
        if (!is_xen_slot(level, i))
            put_page_from_entry(d, t[i], level);
}

int mm_get_page_type(struct domain *d, mfn_t mfn, unsigned int type)
{
    if (!frame_owned_by(d, mfn))
        return -XEN_EINVAL;
    struct page_info *pg = mfn_to_page(mfn);
    if (pg->type_count) {
        if (pg->type != type)
            return -XEN_EINVAL;
        if (pg->type_count == UINT32_MAX)
            return -XEN_EINVAL;
        pg->type_count++;
        return 0;
    }
    if (is_pt_type(type) && (pg->flags & PGF_xen_heap))
        return -XEN_EINVAL;
    /*
     * Claim the type before validating so that an entry referring back to
     * this frame sees it as the table it is becoming (and fails if it needs
     * a different type, e.g. a table mapping itself writable).
     */
    pg->type = type;
    pg->type_count = 1;
    if (is_pt_type(type)) {
        int rc = validate_table(d, mfn, type);
        if (rc) {
            pg->type = PGT_none;
            pg->type_count = 0;
            return rc;
        }
    }
    return 0;
}

void mm_put_page_type(struct domain *d, mfn_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);
    HV_ASSERT(pg->type_count > 0);
    if (pg->type_count > 1) {
        pg->type_count--;
        return;
    }
    if (is_pt_type(pg->type))
        devalidate_table(d, mfn, pg->type);
    pg->type_count = 0;
    pg->type = PGT_none;
}

static void mmu_changed_all(struct domain *d)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        arch_mmu_changed(&d->vcpus[i]);
}

int mm_update_pte(struct domain *d, uint64_t pte_maddr, uint64_t val)
{
    if (pte_maddr & 7)
        return -XEN_EINVAL;
    mfn_t mfn = _mfn(pte_maddr >> PAGE_SHIFT);
    if (!frame_owned_by(d, mfn))
        return -XEN_EINVAL;
    struct page_info *pg = mfn_to_page(mfn);
    uint64_t *t = table_of(mfn);
    unsigned int slot = (pte_maddr & (PAGE_SIZE - 1)) / 8;

    if (!(is_pt_type(pg->type) && pg->type_count)) {
        /* A plain data frame: allowed while it can be a writable page. */
        int rc = mm_get_page_type(d, mfn, PGT_writable);
        if (rc)
            return rc;
        t[slot] = val;
        mm_put_page_type(d, mfn);
        return 0;
    }
    unsigned int level = pg->type;
    if (is_xen_slot(level, slot))
        return -XEN_EINVAL; /* Xen: "L4 update in Xen-private area" */
    uint64_t old = t[slot];
    val = adjust_guest_entry(d, val);
    int rc = get_page_from_entry(d, val, level, slot);
    if (rc)
        return rc;
    t[slot] = val;
    put_page_from_entry(d, old, level);
    mmu_changed_all(d);
    return 0;
}

uint64_t mm_l1e_maddr(mfn_t l4, uint64_t va)
{
    mfn_t m = l4;
    for (unsigned int level = 4; level > 1; level--) {
        unsigned int idx = (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
        uint64_t e = table_of(m)[idx];
        if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE))
            return 0;
        m = pte_mfn(e);
        if (!mfn_valid(m))
            return 0;
    }
    return (mfn_x(m) << PAGE_SHIFT) + ((va >> PAGE_SHIFT) & 511) * 8;
}

uint64_t mm_translate(struct vcpu *v, uint64_t va, int access, uint64_t *maddr)
{
    uint32_t ec = (access == ACCESS_WRITE ? PFEC_write : 0) | (v->kernel_mode ? 0 : PFEC_user) |
                  (access == ACCESS_FETCH ? PFEC_insn_fetch : 0);
    if (!va_canonical(va) || (va >= HYPERVISOR_VIRT_START_64 && va < HYPERVISOR_VIRT_END_64))
        return MM_XLAT_FAULT | ec;
    mfn_t m = v->kernel_mode ? v->guest_table : v->guest_table_user;
    if (!mfn_x(m) || !mfn_valid(m))
        return MM_XLAT_FAULT | ec;
    bool writable = true, user = true, nx = false;
    for (unsigned int level = 4; level >= 1; level--) {
        unsigned int idx = (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
        uint64_t e = table_of(m)[idx];
        if (!(e & _PAGE_PRESENT) || (level > 1 && (e & _PAGE_PSE)))
            return MM_XLAT_FAULT | ec;
        writable &= !!(e & _PAGE_RW);
        user &= !!(e & _PAGE_USER);
        nx |= !!(e & _PAGE_NX);
        m = pte_mfn(e);
        if (!mfn_valid(m))
            return MM_XLAT_FAULT | ec;
    }
    if ((access == ACCESS_WRITE && !writable) || (!v->kernel_mode && !user) ||
        (access == ACCESS_FETCH && nx))
        return MM_XLAT_FAULT | ec | PFEC_present;
    *maddr = (mfn_x(m) << PAGE_SHIFT) | (va & (PAGE_SIZE - 1));
    return 0;
}

static int copy_guest(struct vcpu *v, uint64_t gva, void *buf, size_t len, bool to_guest)
{
    if (gva + len < gva)
        return -XEN_EFAULT;
    uint8_t *b = buf;
    while (len) {
        uint64_t maddr;
        if (mm_translate(v, gva, to_guest ? ACCESS_WRITE : ACCESS_READ, &maddr))
            return -XEN_EFAULT;
        size_t chunk = PAGE_SIZE - (gva & (PAGE_SIZE - 1));
        if (chunk > len)
            chunk = len;
        uint8_t *host =
            (uint8_t *)arch_mfn_to_virt(_mfn(maddr >> PAGE_SHIFT)) + (maddr & (PAGE_SIZE - 1));
        if (to_guest)
            hv_memcpy(host, b, chunk);
        else
            hv_memcpy(b, host, chunk);
        b += chunk;
        gva += chunk;
        len -= chunk;
    }
    return 0;
}

int copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
    return copy_guest(v, gva, dst, len, false);
}

int copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
    return copy_guest(v, gva, (void *)src, len, true);
}

/* Count, into scratch_counts, the type references every holder should own. */
static void count_expected_type_refs(void)
{
    uint64_t n = hv_mem.nr_frames;
    for (uint64_t i = 0; i < n; i++)
        scratch_counts[i] = 0;
    for (uint64_t i = 0; i < n; i++) {
        struct page_info *pg = &hv_mem.frame_table[i];
        if (pg->flags & PGF_pinned)
            scratch_counts[i]++;
        if (!is_pt_type(pg->type) || !pg->type_count)
            continue;
        uint64_t *t = table_of(_mfn(i));
        for (unsigned int s = 0; s < 512; s++) {
            uint64_t e = t[s];
            if (!(e & _PAGE_PRESENT) || !mfn_valid(pte_mfn(e)) || is_xen_slot(pg->type, s))
                continue;
            if (pg->type > PGT_l1 || (e & _PAGE_RW))
                scratch_counts[mfn_x(pte_mfn(e))]++;
        }
    }
    for (unsigned int di = 0; di < HV_MAX_DOMAINS; di++) {
        struct domain *d = &hv.domains[di];
        if (!d->in_use)
            continue;
        for (unsigned int vi = 0; vi < d->max_vcpus; vi++) {
            struct vcpu *v = &d->vcpus[vi];
            if (mfn_x(v->guest_table) && mfn_valid(v->guest_table))
                scratch_counts[mfn_x(v->guest_table)]++;
            if (mfn_x(v->guest_table_user) && mfn_valid(v->guest_table_user))
                scratch_counts[mfn_x(v->guest_table_user)]++;
            for (unsigned int g = 0; g < v->gdt_ents && g < 16 * 512; g += 512)
                scratch_counts[v->gdt_frames[g / 512]]++;
        }
    }
}

int mm_check_invariants(char *why, size_t whylen)
{
    count_expected_type_refs();
    /* A grant a backend holds for writing owns a writable type reference (hv/grant.h). */
    for (unsigned int di = 0; di < HV_MAX_DOMAINS; di++)
        if (hv.domains[di].in_use &&
            gnttab_check_invariants(&hv.domains[di], scratch_counts, why, whylen))
            return -1;
    for (uint64_t i = 0; i < hv_mem.nr_frames; i++) {
        struct page_info *pg = &hv_mem.frame_table[i];
        if (pg->owner == DOMID_FREE && (pg->type_count || pg->ref_count || pg->flags)) {
            hv_snprintf(why, whylen, "free frame %llx has references", (unsigned long long)i);
            return -1;
        }
        if (pg->type_count != scratch_counts[i]) {
            hv_snprintf(why, whylen, "frame %llx type %u count %u, expected %u",
                        (unsigned long long)i, pg->type, pg->type_count, scratch_counts[i]);
            return -1;
        }
        if (!pg->type_count && pg->type != PGT_none) {
            hv_snprintf(why, whylen, "frame %llx keeps type %u with no references",
                        (unsigned long long)i, pg->type);
            return -1;
        }
        if (!is_pt_type(pg->type) || !pg->type_count)
            continue;
        uint64_t *t = table_of(_mfn(i));
        for (unsigned int s = 0; s < 512; s++) {
            uint64_t e = t[s];
            if (!(e & _PAGE_PRESENT))
                continue;
            if (is_xen_slot(pg->type, s)) {
                if (e != hv_mem.xen_l4[s - L4_XEN_FIRST]) {
                    hv_snprintf(why, whylen, "L4 %llx slot %u is not the hypervisor's entry",
                                (unsigned long long)i, s);
                    return -1;
                }
                continue;
            }
            mfn_t m = pte_mfn(e);
            if (!mfn_valid(m) || mfn_to_page(m)->owner != pg->owner) {
                hv_snprintf(why, whylen, "table %llx slot %u maps frame %llx of another owner",
                            (unsigned long long)i, s, (unsigned long long)mfn_x(m));
                return -1;
            }
            unsigned int want =
                pg->type > PGT_l1 ? pg->type - 1u : ((e & _PAGE_RW) ? PGT_writable : 0u);
            if (want && mfn_to_page(m)->type != want) {
                hv_snprintf(why, whylen, "table %llx slot %u: frame %llx has type %u, needs %u",
                            (unsigned long long)i, s, (unsigned long long)mfn_x(m),
                            mfn_to_page(m)->type, want);
                return -1;
            }
        }
    }
    return 0;
}
