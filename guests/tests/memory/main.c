/* Guest test "memory": PV page-table updates (update_va_mapping, mmu_update, mmuext_op). */

/*
 * What it checks, in order:
 *  - the p2m (start_info->mfn_list), the M2P table and the bootstrap page
 *    tables agree about our own pages;
 *  - update_va_mapping maps the last domain page (pfn nr_pages-1, outside
 *    the initial mapping) read-write over a scratch page, the new entry is
 *    visible in the guest's L1 table, and a pattern written through it can
 *    be read back through a second, read-only alias of the same frame
 *    (which must refuse writes with #PF error code 3);
 *  - mmu_update (MMU_NORMAL_PT_UPDATE at the machine address of the L1
 *    entry, found by walking the tables from pt_base through the M2P)
 *    restores one alias, reporting done = 1, and update_va_mapping the
 *    other: the scratch pages show their old contents again;
 *  - mappings the guest has no right to make fail with Xen's errors and
 *    change nothing: a frame it does not own (mfn 0, reserved by the
 *    hypervisor) and its own page-table frame mapped writable give -EBUSY,
 *    a frame beyond machine memory (0x7fffffff, I/O space) gives -EPERM;
 *  - MMUEXT_PIN_L4_TABLE of the L4 in use (already pinned by the builder),
 *    MMUEXT_UNPIN_TABLE and MMUEXT_NEW_BASEPTR of a plain data frame all
 *    fail with -EINVAL.
 * A failure means the PV MMU lets a guest see or write memory it must not,
 * or loses a mapping it asked for. Some failures (a wrongly accepted
 * NEW_BASEPTR) cannot be survived: the guest then dies without a result.
 */
#include "xtf.h"

const char test_title[] = "PV MMU: update_va_mapping, mmu_update, mmuext_op";

#define MARKER_A 0xaaaa5555aaaa5555UL
#define MARKER_B 0xbbbb4444bbbb4444UL
#define MFN_BEYOND_RAM 0x7fffffffUL

static unsigned long scratch_a[PAGE_SIZE / sizeof(unsigned long)] __page_aligned;
static unsigned long scratch_b[PAGE_SIZE / sizeof(unsigned long)] __page_aligned;

static unsigned long pattern(unsigned int i)
{
    return 0x9e3779b97f4a7c15UL * (i + 1);
}

/* The L1 entry for va, or 0 (and a reported error) if va is not mapped by one. */
static pte_t l1e_of(const void *va, const char *what)
{
    struct pt_walk w;

    if (!pt_walk((unsigned long)va, &w)) {
        xtf_error("%s: %p not mapped (walk stopped at L%u entry %#llx)", what, va, w.level,
                  (unsigned long long)w.pte);
        return 0;
    }
    return w.pte;
}

static bool check_own_page(const char *what, const void *va)
{
    unsigned long pfn = virt_to_pfn(va), mfn = pfn_to_mfn(pfn);
    pte_t pte = l1e_of(va, what);

    if (!pte)
        return false;
    if (mfn_to_pfn(mfn) != pfn) {
        xtf_failure("%s: m2p[p2m[%#lx] = %#lx] = %#lx, expected %#lx", what, pfn, mfn,
                    mfn_to_pfn(mfn), pfn);
        return false;
    }
    if (PTE_MFN(pte) != mfn) {
        xtf_failure("%s: L1 entry %#llx maps mfn %#llx, p2m says %#lx", what,
                    (unsigned long long)pte, (unsigned long long)PTE_MFN(pte), mfn);
        return false;
    }
    return true;
}

/* Try a mapping that must be refused with `expected`; undo it at once if it was not. */
static void check_refused_mapping(const char *what, uint64_t pte, pte_t old_a, long expected)
{
    long rc = hypercall_update_va_mapping((unsigned long)scratch_a, pte, UVMF_INVLPG);

    if (rc == 0)
        hypercall_update_va_mapping((unsigned long)scratch_a, old_a, UVMF_INVLPG);
    check_rc(what, rc, expected);
    if (READ_ONCE(scratch_a[0]) != MARKER_A)
        xtf_failure("%s: scratch page no longer shows its own contents", what);
}

static void test_alias_and_restore(pte_t old_a, pte_t old_b)
{
    unsigned long target_pfn = start_info->nr_pages - 1, target_mfn;
    struct pt_walk w;
    struct mmu_update req;
    unsigned int done = 0xdead, bad = 0;
    unsigned long info;
    long rc;

    if (pt_walk(target_pfn << PAGE_SHIFT, &w)) {
        xtf_error("last domain page (pfn %#lx) is inside the initial mapping: domain too "
                  "small for the aliasing checks",
                  target_pfn);
        return;
    }
    target_mfn = pfn_to_mfn(target_pfn);
    if (mfn_to_pfn(target_mfn) != target_pfn)
        xtf_failure("last page: m2p[p2m[%#lx] = %#lx] = %#lx", target_pfn, target_mfn,
                    mfn_to_pfn(target_mfn));

    /* 1. The last page, read-write, over scratch_a. */
    rc = hypercall_update_va_mapping(
        (unsigned long)scratch_a, ((uint64_t)target_mfn << PAGE_SHIFT) | PTE_FLAGS_RW, UVMF_INVLPG);
    if (!check_rc("update_va_mapping(scratch_a -> last page, RW)", rc, 0))
        return;
    if (PTE_MFN(l1e_of(scratch_a, "scratch_a after remap")) != target_mfn)
        xtf_failure("scratch_a's L1 entry does not show the new mfn %#lx", target_mfn);
    for (unsigned int i = 0; i < ARRAY_SIZE(scratch_a); i++)
        WRITE_ONCE(scratch_a[i], pattern(i));

    /* 2. The same frame read-only over scratch_b: an alias that must show the pattern. */
    rc = hypercall_update_va_mapping(
        (unsigned long)scratch_b, ((uint64_t)target_mfn << PAGE_SHIFT) | PTE_FLAGS_RO, UVMF_INVLPG);
    if (check_rc("update_va_mapping(scratch_b -> last page, RO)", rc, 0)) {
        for (unsigned int i = 0; i < ARRAY_SIZE(scratch_b); i++) {
            if (READ_ONCE(scratch_b[i]) != pattern(i) && bad++ < 3)
                xtf_failure("alias: word %u reads %#lx through the RO alias, wrote %#lx", i,
                            READ_ONCE(scratch_b[i]), pattern(i));
        }

        /* The read-only alias must refuse a write: #PF, present|write. */
        asm volatile("1: movq $0, (%[p])\n\t"
                     "2:\n\t" _ASM_EXTABLE(1b, 2b)
                     : "=a"(info)
                     : "0"(0UL), [p] "r"(scratch_b)
                     : "memory");
        if (info != EXINFO(X86_EXC_PF, PFEC_present | PFEC_write))
            xtf_failure("write through the RO alias: got %s, expected #PF error code 3",
                        info ? exception_name(EXINFO_VEC(info)) : "no fault");
        else if (last_exception.cr2 != (unsigned long)scratch_b)
            xtf_failure("write through the RO alias: cr2 %#lx expected %p", last_exception.cr2,
                        (void *)scratch_b);
    }

    /* 3. Restore scratch_b with mmu_update on its L1 entry's machine address. */
    if (!pt_walk((unsigned long)scratch_b, &w)) {
        xtf_error("scratch_b no longer has an L1 entry");
        return;
    }
    req.ptr = w.pte_maddr | MMU_NORMAL_PT_UPDATE;
    req.val = old_b;
    rc = hypercall_mmu_update(&req, 1, &done, DOMID_SELF);
    if (check_rc("mmu_update(scratch_b's L1 entry := old PTE)", rc, 0)) {
        check_rc("mmu_update done count", done, 1);
        /* mmu_update does not flush: the guest must, as a real kernel does. */
        {
            struct mmuext_op op = {.cmd = MMUEXT_INVLPG_LOCAL,
                                   .arg1.linear_addr = (unsigned long)scratch_b};

            check_rc("mmuext_op(INVLPG_LOCAL, scratch_b)",
                     hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
        }
        if (READ_ONCE(scratch_b[0]) != MARKER_B)
            xtf_failure("scratch_b after mmu_update restore: reads %#lx expected %#lx",
                        READ_ONCE(scratch_b[0]), MARKER_B);
    }

    /* 4. Restore scratch_a with update_va_mapping. */
    rc = hypercall_update_va_mapping((unsigned long)scratch_a, old_a, UVMF_INVLPG);
    if (check_rc("update_va_mapping(scratch_a := old PTE)", rc, 0) &&
        READ_ONCE(scratch_a[0]) != MARKER_A)
        xtf_failure("scratch_a after restore: reads %#lx expected %#lx", READ_ONCE(scratch_a[0]),
                    MARKER_A);
}

static void test_refused_mappings(pte_t old_a)
{
    unsigned long pt_mfn = pfn_to_mfn(virt_to_pfn((const void *)start_info->pt_base));

    check_refused_mapping("update_va_mapping(mfn 0, not ours)", PTE_FLAGS_RW, old_a, -XEN_EBUSY);
    check_refused_mapping("update_va_mapping(mfn 0x7fffffff, beyond RAM)",
                          ((uint64_t)MFN_BEYOND_RAM << PAGE_SHIFT) | PTE_FLAGS_RW, old_a,
                          -XEN_EPERM);
    check_refused_mapping("update_va_mapping(own L4 frame, writable)",
                          ((uint64_t)pt_mfn << PAGE_SHIFT) | PTE_FLAGS_RW, old_a, -XEN_EBUSY);
}

static void test_mmuext_refusals(void)
{
    unsigned long pt_mfn = pfn_to_mfn(virt_to_pfn((const void *)start_info->pt_base));
    unsigned long data_mfn = virt_to_mfn(scratch_a); /* mapped writable: cannot be a table */

    check_rc("mmuext_op(PIN_L4_TABLE, current L4)",
             hypercall_mmuext_one(MMUEXT_PIN_L4_TABLE, pt_mfn), -XEN_EINVAL);
    check_rc("mmuext_op(UNPIN_TABLE, data frame)",
             hypercall_mmuext_one(MMUEXT_UNPIN_TABLE, data_mfn), -XEN_EINVAL);
    /* Accepting this would switch to a page of data as the L4: fatal for the guest. */
    check_rc("mmuext_op(NEW_BASEPTR, data frame)",
             hypercall_mmuext_one(MMUEXT_NEW_BASEPTR, data_mfn), -XEN_EINVAL);
}

void test_main(void)
{
    pte_t old_a, old_b;

    printk("nr_pages %#lx nr_pt_frames %#lx\n", start_info->nr_pages, start_info->nr_pt_frames);

    WRITE_ONCE(scratch_a[0], MARKER_A);
    WRITE_ONCE(scratch_b[0], MARKER_B);

    if (!check_own_page("scratch_a", scratch_a) || !check_own_page("scratch_b", scratch_b) ||
        !check_own_page("pt_base", (const void *)start_info->pt_base)) {
        xtf_error("page tables, p2m and M2P disagree: not changing any mapping");
        return;
    }
    old_a = l1e_of(scratch_a, "scratch_a");
    old_b = l1e_of(scratch_b, "scratch_b");

    test_alias_and_restore(old_a, old_b);
    test_refused_mappings(old_a);
    test_mmuext_refusals();

    if (!xtf_has_failures())
        xtf_success(NULL);
}
