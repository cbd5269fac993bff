/* Machine memory: frame table, allocator, p2m/m2p, PV page-table validation. */
#ifndef HV_MM_H
#define HV_MM_H

#include "hv/sched.h"

/* Page-table entry bits (x86-64 4-level and PAE). */
#define _PAGE_PRESENT 0x001ULL
#define _PAGE_RW 0x002ULL
#define _PAGE_USER 0x004ULL
#define _PAGE_PWT 0x008ULL
#define _PAGE_PCD 0x010ULL
#define _PAGE_ACCESSED 0x020ULL
#define _PAGE_DIRTY 0x040ULL
#define _PAGE_PSE 0x080ULL
#define _PAGE_GLOBAL 0x100ULL
#define _PAGE_AVAIL 0xE00ULL
#define _PAGE_NX (1ULL << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL

/*
 * Frame types, as in Xen: a frame is at most one of these at a time, and
 * type_count counts the references that need that type. A page-table frame
 * (PGT_l1..l4) is validated when its count goes 0 -> 1 and its entries are
 * released when it goes back to 0. A frame can only be mapped writable
 * (PGT_writable) while it is not a page table, so a guest can never write
 * its own page tables directly.
 */
enum pgt_type {
    PGT_none = 0,
    PGT_l1 = 1,
    PGT_l2 = 2,
    PGT_l3 = 3,
    PGT_l4 = 4,
    PGT_writable = 5,
    PGT_seg_desc = 6,
};

#define PGF_pinned 0x01
#define PGF_xen_heap 0x02 /* shared_info and similar: owned by Xen, shared */

#define DOMID_FREE 0xFFFF

struct page_info {
    uint16_t owner; /* domid, DOMID_XEN, or DOMID_FREE */
    uint8_t type;   /* enum pgt_type */
    uint8_t flags;
    uint32_t type_count;
    uint32_t ref_count; /* general references (mappings of any kind) */
};

struct hv_mem {
    uint64_t nr_frames;
    struct page_info *frame_table; /* nr_frames entries */
    uint64_t *m2p;                 /* mfn -> pfn, mapped read-only to guests */
    uint64_t next_free_hint;
    uint64_t free_frames;
    /*
     * The machine's entries for L4 slots 256..271 (the hypervisor's part
     * of every address space), copied into each L4 when it is validated.
     * The simulator leaves them empty; bare metal maps itself and the M2P.
     */
    uint64_t xen_l4[16];
};
extern struct hv_mem hv_mem;

/*
 * Initialise the frame table over [0, nr_frames). `reserved` frames are
 * never handed out (arch keeps them for itself). `meta` must hold
 * mm_meta_bytes(nr_frames) bytes, 4 KiB aligned.
 */
size_t mm_meta_bytes(uint64_t nr_frames);
void mm_init(uint64_t nr_frames, void *meta, const uint64_t *reserved, size_t nr_reserved);

/* Keep frames [first, first+count) for the hypervisor (holes, its image, modules). */
void mm_reserve_range(uint64_t first, uint64_t count);

/* Allocate one zeroed frame for domain d (DOMID_XEN for the hypervisor). */
int mm_alloc_frame(uint16_t owner, mfn_t *out);
void mm_free_frame(mfn_t mfn);
static inline bool mfn_valid(mfn_t m)
{
    return mfn_x(m) < hv_mem.nr_frames;
}
static inline struct page_info *mfn_to_page(mfn_t m)
{
    return &hv_mem.frame_table[mfn_x(m)];
}

/* Page-table type references (see enum pgt_type). 0 or -XEN_E*. */
int mm_get_page_type(struct domain *d, mfn_t mfn, unsigned int type);
void mm_put_page_type(struct domain *d, mfn_t mfn);

/* Update one entry of a page-table frame owned by d. */
int mm_update_pte(struct domain *d, uint64_t pte_maddr, uint64_t val);
/* Find the machine address of the L1 entry for va in table l4 (0 if absent). */
uint64_t mm_l1e_maddr(mfn_t l4, uint64_t va);

/* x86-64 canonical address: bits 63..47 all equal. */
static inline bool va_canonical(uint64_t va)
{
    uint64_t top = va >> 47;
    return top == 0 || top == 0x1FFFF;
}

/* Guest virtual -> machine address walk of the vCPU's current page table. */
#define ACCESS_READ 0
#define ACCESS_WRITE 1
#define ACCESS_FETCH 2
/* Returns 0 and *maddr, or a PFEC_* error code with bit 31 set. */
uint64_t mm_translate(struct vcpu *v, uint64_t va, int access, uint64_t *maddr);
#define MM_XLAT_FAULT (1ULL << 31)

/* Copy to/from the current guest's virtual memory. 0 or -XEN_EFAULT. */
int copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len);
int copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t len);

/* Check the whole frame table (used by unit tests and the fuzzer). */
int mm_check_invariants(char *why, size_t whylen);

#endif
