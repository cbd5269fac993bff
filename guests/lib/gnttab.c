/* Grant tables (v1): set_version, setup_table and the mapping, granting and revoking frames. */
#include "gnttab.h"
#include "hypercall.h"
#include "mm.h"

/* Our VA for the table frames; the PTEs are pointed at the hypervisor's frames. */
static char table_pages[GNTTAB_FRAMES][PAGE_SIZE] __page_aligned;
static struct grant_entry_v1 *table;

/* One bit per entry: set while the ref is handed out. Refs below GNTTAB_FIRST_REF stay set. */
#define BITS_PER_UL (sizeof(unsigned long) * 8)
static unsigned long in_use[GNTTAB_NR_ENTRIES / BITS_PER_UL];
static unsigned int nr_granted;

static bool ref_in_use(grant_ref_t ref)
{
    return (in_use[ref / BITS_PER_UL] >> (ref % BITS_PER_UL)) & 1;
}

static void ref_set(grant_ref_t ref, bool used)
{
    unsigned long m = 1UL << (ref % BITS_PER_UL);

    if (used)
        in_use[ref / BITS_PER_UL] |= m;
    else
        in_use[ref / BITS_PER_UL] &= ~m;
}

long gnttab_init(void)
{
    struct gnttab_set_version sv = {.version = 1};
    xen_pfn_t frames[GNTTAB_FRAMES];
    struct gnttab_setup_table st = {
        .dom = DOMID_SELF, .nr_frames = GNTTAB_FRAMES, .frame_list = frames};
    long rc;

    if (table)
        return 0;

    rc = hypercall_grant_table_op(GNTTABOP_set_version, &sv, 1);
    if (rc)
        return rc;
    if (sv.version != 1)
        return -XEN_EINVAL; /* the hypervisor kept another version in force */

    rc = hypercall_grant_table_op(GNTTABOP_setup_table, &st, 1);
    if (rc)
        return rc;
    if (st.status != GNTST_okay)
        return st.status;

    for (unsigned int i = 0; i < GNTTAB_FRAMES; i++) {
        uint64_t pte = ((uint64_t)frames[i] << PAGE_SHIFT) | PTE_FLAGS_RW;

        rc = hypercall_update_va_mapping((unsigned long)table_pages[i], pte, UVMF_INVLPG);
        if (rc)
            return rc;
    }
    table = (struct grant_entry_v1 *)table_pages;

    for (grant_ref_t r = 0; r < GNTTAB_FIRST_REF; r++)
        ref_set(r, true);
    return 0;
}

bool gnttab_ready(void)
{
    return table != NULL;
}

long gnttab_grant_access(domid_t domid, unsigned long mfn, bool readonly)
{
    if (!table)
        return -XEN_ENODEV;

    for (grant_ref_t ref = GNTTAB_FIRST_REF; ref < GNTTAB_NR_ENTRIES; ref++) {
        struct grant_entry_v1 *e = &table[ref];

        if (ref_in_use(ref))
            continue;
        ref_set(ref, true);
        nr_granted++;

        /*
         * Xen may look at the entry at any time: the frame and the domid must
         * be in place before the flags make it valid (gnttab_grant_foreign_access_ref).
         */
        WRITE_ONCE(e->frame, (uint32_t)mfn);
        WRITE_ONCE(e->domid, domid);
        smp_wmb();
        WRITE_ONCE(e->flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)));
        return ref;
    }
    return -XEN_ENOSPC;
}

long gnttab_end_access(grant_ref_t ref)
{
    uint16_t flags;

    if (!table || ref < GNTTAB_FIRST_REF || ref >= GNTTAB_NR_ENTRIES || !ref_in_use(ref))
        return -XEN_EINVAL;

    /*
     * The hypervisor sets GTF_reading/GTF_writing in the same 16 bits while
     * the grantee uses the frame, so only a compare-and-exchange against the
     * flags just read may clear them: if it fails, look again.
     */
    flags = READ_ONCE(table[ref].flags);
    do {
        if (flags & (GTF_reading | GTF_writing))
            return -XEN_EBUSY;
    } while (!__atomic_compare_exchange_n(&table[ref].flags, &flags, 0, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));

    ref_set(ref, false);
    nr_granted--;
    return 0;
}

uint16_t gnttab_entry_flags(grant_ref_t ref)
{
    if (!table || ref >= GNTTAB_NR_ENTRIES)
        return 0;
    return READ_ONCE(table[ref].flags);
}

unsigned int gnttab_nr_granted(void)
{
    return nr_granted;
}
