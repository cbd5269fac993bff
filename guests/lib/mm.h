/* Guest memory helpers: p2m/m2p lookups, VA<->frame conversions and a page-table walker. */
#ifndef GUEST_MM_H
#define GUEST_MM_H

#include "lib.h"

/* PTE bits (the same for 4-level and PAE entries). */
#define _PAGE_PRESENT 0x001ULL
#define _PAGE_RW 0x002ULL
#define _PAGE_USER 0x004ULL
#define _PAGE_ACCESSED 0x020ULL
#define _PAGE_DIRTY 0x040ULL
#define _PAGE_PSE 0x080ULL
#define _PAGE_NX (1ULL << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL
#define PTE_MFN(pte) (((pte)&PTE_ADDR_MASK) >> PAGE_SHIFT)

/* A present, accessed kernel mapping: read-write or read-only. */
#define PTE_FLAGS_RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_FLAGS_RO (_PAGE_PRESENT | _PAGE_ACCESSED)

/*
 * The guest's own frames are linear in VA (VA = PFN << 12, VIRT_BASE 0),
 * as in XTF. p2m is start_info->mfn_list; the M2P table is the hypervisor's
 * read-only array at M2P_VIRT_START. Neither lookup checks its index.
 */
static inline unsigned long pfn_to_mfn(unsigned long pfn)
{
    return ((const unsigned long *)start_info->mfn_list)[pfn];
}

static inline unsigned long mfn_to_pfn(unsigned long mfn)
{
    return ((const unsigned long *)(uintptr_t)M2P_VIRT_START)[mfn];
}

static inline void *pfn_to_virt(unsigned long pfn)
{
    return (void *)(pfn << PAGE_SHIFT);
}

static inline unsigned long virt_to_pfn(const void *va)
{
    return (uintptr_t)va >> PAGE_SHIFT;
}

static inline void *mfn_to_virt(unsigned long mfn)
{
    return pfn_to_virt(mfn_to_pfn(mfn));
}

static inline unsigned long virt_to_mfn(const void *va)
{
    return pfn_to_mfn(virt_to_pfn(va));
}

/*
 * Walk the bootstrap page tables (start_info->pt_base, the tables in use
 * unless a test switched base pointers) for va. Each table's frame comes
 * from the entry above it and is reached through m2p -> pfn -> VA; the
 * tables themselves are mapped read-only, so reading them is fine.
 */
struct pt_walk {
    unsigned int level; /* level of the last entry read: 1 if the walk reached the L1 */
    pte_t pte;          /* that entry's value */
    const pte_t *ptep;  /* where it is (read-only mapping) */
    uint64_t pte_maddr; /* its machine address: the `ptr` of an mmu_update */
};

/* True if va is mapped by a present L1 entry; *w describes the last entry read either way. */
bool pt_walk(unsigned long va, struct pt_walk *w);

#endif
