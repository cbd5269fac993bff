/* The hypercall target's oracle self-test: FUZZ_PLANT=NAME plants one fault as if the core made it.
 */
#include "hc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_arch.h"
#include "hv/arch.h"
#include "hv/hypercall.h"
#include "hv/lib.h"
#include "hv/trace.h"
#include "public/xen.h"

/*
 * Each fault is made at the end of the first step it fits (before that
 * step's checks run), in the way a core bug would make it: frames are
 * written through arch_mfn_to_virt, the frame table and domain state
 * directly. fuzz/oracle-selftest.sh runs each one on a seed and expects the
 * oracle's message; an oracle that can no longer fail shows there. Without
 * FUZZ_PLANT (fuzzing) this costs one test of a NULL pointer a step.
 *
 * The seeds' layout (fuzz/mkseeds_hc.c): both domains have their L1 for
 * 0-2 MiB at PFN 0x10b and free data pages at PFNs 0x80-0x9f.
 */

#define PFN_L1 0x10b
#define PFN_DATA 0x90

const char *hc_plant_name;
static bool planted;
static unsigned long runs; /* inputs run so far (the nondeterministic plant differs by run) */

struct plant {
    const char *name;
    unsigned when; /* W_*: which step it fits */
    void (*make)(int actor);
};

enum {
    W_ANY = 1,   /* any step of d1 */
    W_OTHER = 2, /* a step of d1 that is not memory management */
    W_MM = 4,    /* a memory-management step of d1 */
    W_FAILED = 8 /* a memory-management step of d1 whose hypercall failed */
};

static struct domain *dom(int i)
{
    return hc_doms[i].d;
}

static uint8_t *frame(int i, uint64_t pfn)
{
    return arch_mfn_to_virt(_mfn(hc_doms[i].base_mfn + pfn));
}

static struct page_info *page(int i, uint64_t pfn)
{
    return &hv_mem.frame_table[hc_doms[i].base_mfn + pfn];
}

static void write_foreign(int a)
{
    frame(1 - a, PFN_DATA)[7] ^= 1;
}

static void write_page_table(int a)
{
    frame(a, PFN_L1)[8 * 500 + 7] ^= 0x40; /* high bits of an entry nobody uses */
}

static void write_untracked(int a)
{
    fz.ram[(hc_doms[1 - a].base_mfn + PFN_DATA) * PAGE_SIZE + 9] ^= 1;
}

static void ft_own_ref(int a)
{
    page(a, PFN_DATA)->ref_count++;
}

static void ft_foreign(int a)
{
    page(1 - a, PFN_DATA)->flags ^= 0x80;
}

static void ft_owner(int a)
{
    for (uint64_t m = 0; m < HC_NR_FRAMES; m++)
        if (hv_mem.frame_table[m].owner == DOMID_FREE) {
            hv_mem.frame_table[m].owner = dom(a)->domid; /* a frame taken without the allocator */
            return;
        }
}

static void m2p_foreign(int a)
{
    hv_mem.m2p[hc_doms[1 - a].base_mfn + PFN_DATA] ^= 1;
}

static void free_frames(int a)
{
    hv_mem.free_frames--;
}

static void type_count(int a)
{
    page(a, PFN_L1)->type_count++;
}

static void ref_count(int a)
{
    page(a, PFN_DATA)->ref_count++;
}

/* The actor's L1 maps the other domain's frame (read-only: no type reference). */
static void map_foreign(int a)
{
    uint64_t mfn = hc_doms[1 - a].base_mfn + PFN_DATA;
    ((uint64_t *)frame(a, PFN_L1))[500] = (mfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_USER;
}

static void panic(int a)
{
    hv_panic("planted by FUZZ_PLANT=panic");
}

static void other_state(int a)
{
    dom(1 - a)->vcpus[0].regs.rbx ^= 1;
}

static void other_shinfo(int a)
{
    dom(1 - a)->shared_info->evtchn_pending[0] ^= 1ULL << 40;
}

static void trap_table(int a)
{
    dom(a)->vcpus[0].trap_ctxt[7].address ^= 0x1000;
}

static void poll_ports(int a)
{
    dom(a)->vcpus[0].poll_ports[5] ^= 1;
}

static void shinfo_unused(int a)
{
    ((uint8_t *)dom(a)->shared_info)[4000] ^= 1; /* past struct shared_info */
}

static void offline_vcpu(int a)
{
    dom(1)->vcpus[1].trap_ctxt[3].address ^= 1; /* d2's vCPU 1 never runs */
}

static void shinfo_port(int a)
{
    dom(a)->shared_info->evtchn_pending[1] |= 1; /* port 64: beyond the ports modelled */
}

static void atomic(int a)
{
    page(a, PFN_DATA)->flags ^= 0x80; /* a flag no invariant reads */
}

static void desched(int a)
{
    dom(a)->vcpus[0].state = VCPU_BLOCKED;
}

static void ring0(int a)
{
    dom(a)->vcpus[0].regs.cs &= ~3;
}

static void errno_result(int a)
{
    struct trace_rec r = {.kind = TR_HYPERCALL, .dom = dom(a)->domid, .nr = 17, .result = -4096};
    arch_trace(&r);
}

static void gdt(int a)
{
    dom(a)->vcpus[0].gdt_ents = 1;
}

static void nondeterministic(int a)
{
    dom(a)->vcpus[0].regs.r15 += runs;
}

static const struct plant plants[] = {
    {"foreign-frame", W_OTHER, write_foreign},
    {"foreign-frame-mm", W_MM, write_foreign},
    {"page-table", W_OTHER, write_page_table},
    {"untracked-write", W_ANY, write_untracked},
    {"frame-table", W_OTHER, ft_own_ref},
    {"frame-table-foreign", W_MM, ft_foreign},
    {"owner", W_MM, ft_owner},
    {"m2p", W_MM, m2p_foreign},
    {"free-frames", W_ANY, free_frames},
    {"type-count", W_MM, type_count},
    {"ref-count", W_MM, ref_count},
    {"map-foreign", W_MM, map_foreign},
    {"panic", W_ANY, panic},
    {"other-state", W_ANY, other_state},
    {"other-shinfo", W_ANY, other_shinfo},
    {"trap-table", W_OTHER, trap_table},
    {"poll-ports", W_OTHER, poll_ports},
    {"shinfo-unused", W_ANY, shinfo_unused},
    {"shinfo-port", W_ANY, shinfo_port},
    {"offline-vcpu", W_ANY, offline_vcpu},
    {"atomic", W_FAILED, atomic},
    {"desched", W_OTHER, desched},
    {"ring0", W_ANY, ring0},
    {"errno", W_ANY, errno_result},
    {"gdt", W_OTHER, gdt},
    {"nondeterministic", W_ANY, nondeterministic},
};

static const struct plant *chosen;

void hc_plant_init(void)
{
    const char *name = getenv("FUZZ_PLANT");
    if (!name || !*name)
        return;
    for (size_t i = 0; i < sizeof(plants) / sizeof(plants[0]); i++)
        if (!strcmp(plants[i].name, name))
            chosen = &plants[i];
    if (!chosen) {
        fprintf(stderr, "FUZZ_PLANT=%s: no such fault; one of:", name);
        for (size_t i = 0; i < sizeof(plants) / sizeof(plants[0]); i++)
            fprintf(stderr, " %s", plants[i].name);
        fputc('\n', stderr);
        exit(2);
    }
    hc_plant_name = chosen->name;
}

void hc_plant_reset(void)
{
    planted = false;
    runs++;
}

void hc_plant_in_step(int actor, unsigned flags)
{
    if (planted || actor != 0)
        return;
    bool mm = flags & HC_STEP_MM;
    bool failed = mm && (long)dom(0)->vcpus[0].regs.rax < 0;
    unsigned w = chosen->when;
    if ((w == W_OTHER && mm) || (w == W_MM && !mm) || (w == W_FAILED && !failed))
        return;
    planted = true;
    fprintf(stderr, "FUZZ_PLANT: %s planted in a step of d%u\n", chosen->name, dom(0)->domid);
    chosen->make(actor);
}
