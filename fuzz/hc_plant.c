/* The hypercall target's oracle self-test: FUZZ_PLANT=NAME plants one fault as if the core made it.
 */
#include "hc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_arch.h"
#include "hv/arch.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/lib.h"
#include "hv/trace.h"
#include "hv/xenstore.h"
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
    W_ANY = 1,      /* any step of d1 */
    W_OTHER = 2,    /* a step of d1 that is not memory management */
    W_MM = 4,       /* a memory-management step of d1 */
    W_FAILED = 8,   /* a memory-management step of d1 whose hypercall failed */
    W_SWITCH = 16,  /* a context switch (the machine) */
    W_TIME = 32,    /* time passing (the machine) */
    W_UPCALL = 64,  /* an upcall delivered to d1 before its step */
    W_LATER = 128,  /* a step of d1 after its first */
    W_GNTTAB = 256, /* a grant_table_op of d1 that grew its table */
    W_SERVED = 512  /* a step of d1 in which the xenstore daemon served d2's ring */
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

/* The vCPU the machine just switched to: its time record, rewritten at the switch. */
static struct vcpu_time_info *current_time(void)
{
    return &vcpu_info_of(hv.current)->time;
}

static void time_odd(int a)
{
    current_time()->version |= 1;
}

static void time_wrong(int a)
{
    current_time()->version += 2;
    current_time()->system_time += 1;
}

static void time_unversioned(int a)
{
    vcpu_info_of(&dom(a)->vcpus[0])->time.tsc_timestamp += 1; /* a step that did not update it */
}

static void offline_running(int a)
{
    dom(1)->vcpus[1].runstate.state = RUNSTATE_running; /* d2's vCPU 1: not on the CPU */
}

static void timer_not_fired(int a)
{
    dom(0)->vcpus[0].singleshot_deadline = 1; /* due long ago, yet armed after the timers ran */
}

static void pending_free(int a)
{
    dom(a)->shared_info->evtchn_pending[0] |= 1ULL << 40;
}

static void closed_pending(int a)
{
    dom(a)->evtchn[1].state = ECS_FREE; /* the console port, pending: closed, its bit left */
}

static void upcall_no_selector(int a)
{
    vcpu_info_of(&dom(a)->vcpus[0])->evtchn_upcall_pending = 1;
}

static void masked_event(int a)
{
    dom(a)->shared_info->evtchn_mask[0] |= 1ULL << 1;
    struct trace_rec r = {.kind = TR_EVENT, .dom = dom(a)->domid, .nr = 1};
    r.args[0] = 1; /* "raised an upcall" */
    arch_trace(&r);
}

static void blocked_pending(int a)
{
    struct vcpu *v = &dom(a)->vcpus[0];
    v->state = VCPU_BLOCKED;
    v->runstate.state = RUNSTATE_blocked;
    arch_vcpu_deschedule(v);
    vcpu_info_of(v)->evtchn_upcall_mask = 0;
    vcpu_info_of(v)->evtchn_pending_sel = 1;
    vcpu_info_of(v)->evtchn_upcall_pending = 1;
}

static void poll_pending(int a)
{
    struct vcpu *v = &dom(a)->vcpus[0];
    v->state = VCPU_POLLING;
    v->runstate.state = RUNSTATE_blocked;
    arch_vcpu_deschedule(v);
    v->poll_ports[0] = 1;
    v->nr_poll_ports = 1;
    dom(a)->shared_info->evtchn_pending[0] |= 1ULL << 1;
}

static void runstate_sum(int a)
{
    dom(a)->vcpus[0].runstate.time[1] += 5;
}

static void upcall_unmasked(int a)
{
    vcpu_info_of(&dom(a)->vcpus[0])->evtchn_upcall_mask = 0;
}

static void past_frame(int a)
{
    uint8_t *ring = arch_mfn_to_virt(dom(a)->store_mfn);
    ring[PAGE_SIZE + 3] ^= 1; /* one page too far: the next frame, as a contiguous map has it */
}

static void xs_overflow(int a)
{
    struct xenstore_domain_interface *r = arch_mfn_to_virt(dom(1 - a)->store_mfn);
    r->rsp_prod += 2000; /* answers past the guest's consumer: more than the ring holds */
}

static void gnttab_held(int a)
{
    dom(a)->gnttab.nr_held++; /* a hold nobody took, or one never released */
}

static void gnttab_frame(int a)
{
    struct page_info *pg = mfn_to_page(dom(a)->gnttab.frames[0]);
    pg->type = PGT_l1; /* a table frame the step just added, typed as a page table */
    pg->type_count = 1;
}

static void gnttab_free(int a)
{
    hv_mem.free_frames--; /* one more frame taken than the table holds */
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
    {"time-odd", W_SWITCH, time_odd},
    {"time-wrong", W_SWITCH, time_wrong},
    {"time-unversioned", W_ANY, time_unversioned},
    {"offline-running", W_SWITCH, offline_running},
    {"timer-not-fired", W_TIME, timer_not_fired},
    {"pending-free", W_ANY, pending_free},
    {"closed-pending", W_LATER, closed_pending},
    {"upcall-no-selector", W_ANY, upcall_no_selector},
    {"masked-event", W_ANY, masked_event},
    {"blocked-pending", W_OTHER, blocked_pending},
    {"poll-pending", W_OTHER, poll_pending},
    {"runstate-sum", W_ANY, runstate_sum},
    {"upcall-unmasked", W_UPCALL, upcall_unmasked},
    {"past-frame", W_OTHER, past_frame},
    {"xs-overflow", W_SERVED, xs_overflow},
    {"gnttab-held", W_ANY, gnttab_held},
    {"gnttab-frame", W_GNTTAB, gnttab_frame},
    {"gnttab-free", W_GNTTAB, gnttab_free},
};

static const struct plant *chosen;
static unsigned d1_steps; /* steps of d1 so far in this input */

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
    d1_steps = 0;
    runs++;
}

void hc_plant_in_step(int actor, unsigned flags, const char *what)
{
    unsigned w = chosen->when;
    if (planted)
        return;
    if (w == W_SWITCH) {
        if (strcmp(what, "context switch"))
            return;
    } else if (w == W_TIME) {
        if (actor >= 0 || strcmp(what, "time"))
            return;
    } else if (w == W_SERVED) {
        if (actor != 0 || !(hc_step_promoted() & 2))
            return;
    } else if (w == W_GNTTAB) {
        if (actor != 0 || strcmp(what, "grant_table_op") || !dom(0)->gnttab.nr_frames)
            return;
    } else {
        if (actor == 0 && d1_steps++ == 0 && w == W_LATER)
            return;
        bool mm = flags & HC_STEP_MM;
        bool failed = mm && (long)dom(0)->vcpus[0].regs.rax < 0;
        if (actor != 0 || (w == W_OTHER && mm) || (w == W_MM && !mm) ||
            (w == W_FAILED && !failed) || (w == W_UPCALL) != !strcmp(what, "event upcall"))
            return;
    }
    planted = true;
    fprintf(stderr, "FUZZ_PLANT: %s planted in %s\n", chosen->name, what);
    chosen->make(actor < 0 ? 0 : actor);
    (void)flags;
}
