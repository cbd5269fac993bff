/* Shadow MMU: keeps each engine's address space equal to its vCPU's guest virtual address space. */
#include <stdlib.h>
#include <string.h>

#include "hv/mm.h"
#include "public/xen.h"
#include "sim_internal.h"

/*
 * Unicorn 2.0.1 ignores guest paging, so every present guest mapping is
 * turned into a Unicorn region backed directly by machine RAM
 * (uc_mem_map_ptr). The page tables walked here were validated by the core;
 * the walk only reads them.
 *
 * - Kernel mode walks v->guest_table, user mode v->guest_table_user taking
 *   only entries with _PAGE_USER at every level (64-bit PV: both run in ring
 *   3, so the U/S bit cannot be left to the CPU).
 * - Protection: READ always, WRITE if RW at every level, EXEC unless NX at
 *   any level.
 * - L4 slots 256-271 (the hypervisor hole) are skipped: the engine has its
 *   own fixed regions there (M2P, GDT/stub/stack).
 * - Runs of consecutive VAs mapping consecutive MFNs with equal protection
 *   become one region: Unicorn's map/unmap cost grows quickly with the
 *   number of regions. A resync maps/unmaps only regions that changed.
 * - Unicorn keys translated blocks by the region's internal RAM offset,
 *   which it reuses after an unmap, so a new mapping at a VA that held other
 *   code would run stale translations: every newly mapped range has its
 *   translated blocks dropped (uc_ctl_remove_cache).
 *
 * Not modelled: accessed/dirty bits are never set in guest PTEs.
 */

#define L4_HOLE_FIRST 256
#define L4_HOLE_LAST 271
#define PT_ENTRIES 512

struct walk {
    struct sim_machine *m;
    struct sim_regions *out;
    bool user;
};

static void regions_push(struct sim_regions *rs, uint64_t va, uint64_t mfn, uint64_t npages,
                         uint32_t prot)
{
    struct sim_region *last = rs->n ? &rs->r[rs->n - 1] : NULL;

    if (last && last->va + last->len == va && last->mfn + last->len / PAGE_SIZE == mfn &&
        last->prot == prot) {
        last->len += npages * PAGE_SIZE;
        return;
    }
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        struct sim_region *r = realloc(rs->r, cap * sizeof(*r));

        if (!r)
            sim_fatal("out of memory (shadow regions)");
        rs->r = r;
        rs->cap = cap;
    }
    rs->r[rs->n++] =
        (struct sim_region){.va = va, .len = npages * PAGE_SIZE, .mfn = mfn, .prot = prot};
}

static void leaf(struct walk *w, uint64_t va, uint64_t mfn, uint64_t npages, bool rw, bool nx)
{
    uint32_t prot = UC_PROT_READ | (rw ? UC_PROT_WRITE : 0) | (nx ? 0 : UC_PROT_EXEC);

    /* Frames outside machine RAM (never produced by a validated table) are left out. */
    if (mfn >= w->m->nr_frames)
        return;
    if (npages > w->m->nr_frames - mfn)
        npages = w->m->nr_frames - mfn;
    regions_push(w->out, va, mfn, npages, prot);
}

static void walk_table(struct walk *w, uint64_t mfn, int level, uint64_t va_base, bool rw, bool nx)
{
    const uint64_t *t;
    unsigned int i;
    int shift = PAGE_SHIFT + 9 * (level - 1);

    if (mfn >= w->m->nr_frames)
        return;
    t = (const uint64_t *)(w->m->ram + mfn * PAGE_SIZE);
    for (i = 0; i < PT_ENTRIES; i++) {
        uint64_t e = t[i], va = va_base | ((uint64_t)i << shift);
        bool rw2, nx2;

        if (level == 4) {
            if (i >= L4_HOLE_FIRST && i <= L4_HOLE_LAST)
                continue;
            if (i >= 256)
                va |= 0xFFFF000000000000ULL; /* canonical upper half */
        }
        if (!(e & _PAGE_PRESENT) || (w->user && !(e & _PAGE_USER)))
            continue;
        rw2 = rw && (e & _PAGE_RW);
        nx2 = nx || (e & _PAGE_NX);
        if (level == 1) {
            leaf(w, va, (e & PTE_ADDR_MASK) >> PAGE_SHIFT, 1, rw2, nx2);
        } else if ((level == 2 || level == 3) && (e & _PAGE_PSE)) {
            /* Superpage (if the core ever allows one): bits below its size are not address. */
            uint64_t frame = (e & PTE_ADDR_MASK & ~((1ULL << shift) - 1)) >> PAGE_SHIFT;

            leaf(w, va, frame, 1ULL << (shift - PAGE_SHIFT), rw2, nx2);
        } else {
            walk_table(w, (e & PTE_ADDR_MASK) >> PAGE_SHIFT, level - 1, va, rw2, nx2);
        }
    }
}

void shadow_build(struct sim_machine *m, struct vcpu *v, struct sim_regions *out)
{
    struct walk w = {.m = m, .out = out, .user = !v->kernel_mode};
    mfn_t top = v->kernel_mode ? v->guest_table : v->guest_table_user;

    out->n = 0;
    /* No table yet (e.g. no user table before NEW_USER_BASEPTR): nothing mapped. */
    if (mfn_x(top) == 0 || mfn_x(top) == INVALID_MFN_RAW)
        return;
    walk_table(&w, mfn_x(top), 4, 0, true, false);
}

void shadow_map_fixed(struct sim_vcpu *sv)
{
    struct sim_machine *m = sv->m;

    /* The M2P is read-only for guests (XTF finds its console ring through it). */
    UC_CHECK(
        uc_mem_map_ptr(sv->uc, MACH2PHYS_VIRT_START_64, m->m2p_bytes, UC_PROT_READ, hv_mem.m2p));
    UC_CHECK(uc_mem_map_ptr(sv->uc, SIM_HV_VA, SIM_HV_BYTES, UC_PROT_READ | UC_PROT_EXEC, sv->hv));
}

static bool region_eq(const struct sim_region *a, const struct sim_region *b)
{
    return a->va == b->va && a->len == b->len && a->mfn == b->mfn && a->prot == b->prot;
}

static void unmap(struct sim_vcpu *sv, const struct sim_region *r)
{
    UC_CHECK(uc_mem_unmap(sv->uc, r->va, r->len));
}

static void map(struct sim_vcpu *sv, const struct sim_region *r)
{
    UC_CHECK(uc_mem_map_ptr(sv->uc, r->va, r->len, r->prot, sv->m->ram + r->mfn * PAGE_SIZE));
    UC_CHECK(uc_ctl_remove_cache(sv->uc, r->va, r->va + r->len));
}

void shadow_sync(struct sim_vcpu *sv)
{
    struct sim_regions next = {0};
    struct sim_regions *old = &sv->regions;
    size_t i = 0, j = 0, nmap = 0;
    size_t *to_map;

    sv->mmu_dirty = false;
    shadow_build(sv->m, sv->v, &next);
    to_map = malloc((next.n + 1) * sizeof(*to_map));
    if (!to_map)
        sim_fatal("out of memory (shadow sync)");

    /*
     * Both lists are sorted by VA and non-overlapping. Unmap every old region
     * that is not in the new list, then map every new one that was not
     * there: all unmaps first, since changed regions may overlap.
     */
    while (i < old->n || j < next.n) {
        if (i < old->n && j < next.n && region_eq(&old->r[i], &next.r[j])) {
            i++;
            j++;
        } else if (j == next.n || (i < old->n && old->r[i].va <= next.r[j].va)) {
            unmap(sv, &old->r[i++]);
        } else {
            to_map[nmap++] = j++;
        }
    }
    for (i = 0; i < nmap; i++)
        map(sv, &next.r[to_map[i]]);
    free(to_map);
    free(old->r);
    *old = next;
}

void shadow_free(struct sim_vcpu *sv)
{
    free(sv->regions.r);
    memset(&sv->regions, 0, sizeof(sv->regions));
}
