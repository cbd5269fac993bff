/* Page-table walker over the guest's own (read-only mapped) page tables. */
#include "mm.h"

bool pt_walk(unsigned long va, struct pt_walk *w)
{
    unsigned long table_mfn = pfn_to_mfn(virt_to_pfn((const void *)start_info->pt_base));
    const pte_t *table = (const pte_t *)start_info->pt_base;

    for (unsigned int level = PT_LEVELS; level >= 1; level--) {
        unsigned int idx = (va >> PT_SHIFT(level)) & (PT_ENTRIES - 1);
        pte_t pte;

        /* PAE's top level is 4 entries anywhere in a page: pt_base points at them. */
        w->level = level;
        w->ptep = &table[idx];
        w->pte = pte = READ_ONCE(table[idx]);
        w->pte_maddr =
            ((uint64_t)table_mfn << PAGE_SHIFT) + (((uintptr_t)&table[idx]) & (PAGE_SIZE - 1));

        if (!(pte & _PAGE_PRESENT))
            return false;
        if (level == 1)
            return true;
        if (pte & _PAGE_PSE)
            return false; /* superpages: not produced by our builder, not handled here */

        table_mfn = PTE_MFN(pte);
        table = mfn_to_virt(table_mfn);
    }
    return false;
}
