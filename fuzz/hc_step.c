/* The checks around one step of the hypercall target: hooks from the fake machine and the oracles.
 */
#include "hc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_arch.h"
#include "hv/console.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/mm.h"
#include "hv/trace.h"
#include "public/xen.h"

/*
 * Oracles after every step (hc_end_step), beyond the sanitizers and the
 * hypervisor's own assertions (arch_panic aborts):
 *   - frames the step reached that the acting domain does not own (another
 *     domain's, free or the hypervisor's) are unchanged;
 *   - frame-table and M2P entries of such frames are unchanged, and no
 *     frame changed owner; no frame was allocated or freed;
 *   - the other domain's state and shared_info are unchanged (verified
 *     before it acts again, or at the end of the input);
 *   - mm_check_invariants returns 0, and every frame's ref_count is the
 *     number of page-table entries naming it (both run when the frame table,
 *     a page-table frame or a vCPU's base pointers or GDT changed: otherwise
 *     their answer cannot have changed);
 *   - every vCPU that is up runs in ring 3 without IOPL, has a kernel page
 *     table, and a user one when in user mode; a shut-down domain has all
 *     vCPUs down; a vCPU that stopped being runnable was descheduled;
 * and for every hypercall the trace reports (multicall entries too): the
 * result is >= 0 or a Xen errno, and it names the acting domain.
 */

#define NO_ACTOR 0xFFFE /* owner of no frame: not a domid, DOMID_XEN or DOMID_FREE */
#define BUDGET_TOUCHES 1024
#define BUDGET_HYPERCALLS 32
/*
 * Why budgets: nothing in the core preempts a long batch (a multicall of
 * 30000 entries, a console write of megabytes) the way Xen's hypercall
 * continuations do, so a short input could keep the fuzzer busy for a
 * second. Past a budget the input is abandoned: what it did before was
 * checked, the rest would repeat the same code.
 */

jmp_buf hc_budget_jmp;

/* The step being checked. */
#define NO_PRE (-1) /* the baseline is the snapshot */
static struct {
    bool active;
    int actor; /* index into hc_doms, -1: the machine itself */
    uint16_t actor_dom;
    const char *what;
    uint32_t frames[HC_NR_FRAMES];
    int16_t pre[HC_NR_FRAMES]; /* index into pool, or NO_PRE */
    unsigned nr_frames, nr_pool;
    uint8_t desched[HC_NR_DOMS], runnable_before[HC_NR_DOMS];
    struct {
        uint64_t table, user_table;
        unsigned int gdt_ents;
        uint64_t gdt_frames[16];
    } refs[HC_NR_DOMS][HV_MAX_VCPUS];
} st;
/* Steps by others since each domain last acted or was verified. */
static struct {
    unsigned nr_steps;
    const char *first, *last;
    uint16_t last_dom;
} others[HC_NR_DOMS];
static uint8_t *pool;   /* pre-images of frames whose baseline is not the snapshot */
static uint32_t *stamp; /* per frame: the step that last reached it */
static uint32_t epoch;
static unsigned long budget_touches, budget_hypercalls;

static bool is_pt(const struct page_info *pg)
{
    return pg->type >= PGT_l1 && pg->type <= PGT_l4 && pg->type_count;
}

static int dom_index(const struct domain *d)
{
    for (int i = 0; i < HC_NR_DOMS; i++)
        if (hc_doms[i].d == d)
            return i;
    fz_die("hook called for a domain the fuzzer did not build");
}

/* ---------------------------------------------------------------------------------------------
 * Hooks from the fake machine
 */

/*
 * First time a step reaches a frame. Foreign frames (not the actor's) must
 * come out unchanged; the actor's page tables are watched because a change
 * there is a reason to run mm_check_invariants. Both need their content
 * from before the step: the snapshot, or a pre-image if it may differ.
 */
static void first_touch(uint64_t mfn)
{
    const struct page_info *pg = &hv_mem.frame_table[mfn];
    bool foreign = pg->owner != st.actor_dom;
    if (!foreign && !is_pt(pg)) {
        hcs.modified[mfn] = 1; /* the actor's data: may change, nobody checks */
        return;
    }
    int16_t pre = NO_PRE;
    /* shared_info is written through a pointer the builder kept: never trust the snapshot. */
    if (hcs.modified[mfn] || (pg->flags & PGF_xen_heap)) {
        pre = (int16_t)st.nr_pool++; /* room for every frame: each comes here once a step */
        fz_memcpy(pool + (size_t)pre * PAGE_SIZE, hc_frame(fz.ram, mfn), PAGE_SIZE);
    }
    st.frames[st.nr_frames] = (uint32_t)mfn;
    st.pre[st.nr_frames++] = pre;
}

static void on_touch(uint64_t mfn)
{
    if (!st.active) {
        /* The guest (the target acting for it) reads or writes its memory. */
        hcs.modified[mfn] = 1;
        return;
    }
    if (++budget_touches > BUDGET_TOUCHES)
        longjmp(hc_budget_jmp, 1);
    if (stamp[mfn] == epoch)
        return;
    stamp[mfn] = epoch;
    first_touch(mfn);
}

bool hc_fingerprint;
uint64_t hc_trace_hash;

uint64_t hc_hash(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static void on_trace(const struct trace_rec *r)
{
    if (!st.active)
        return;
    if (hc_fingerprint) {
        uint64_t fields[6] = {r->kind, r->dom, r->vcpu, r->nr, (uint64_t)r->result, r->nargs};
        hc_trace_hash = hc_hash(hc_trace_hash, fields, sizeof(fields));
        hc_trace_hash = hc_hash(hc_trace_hash, r->args, sizeof(r->args));
        if (r->textlen && r->text)
            hc_trace_hash = hc_hash(hc_trace_hash, r->text, r->textlen);
    }
    if (st.actor < 0) {
        /* Time passing: a timer may send an event (VIRQ_TIMER) and so raise an upcall. */
        if (r->kind != TR_EVENT && r->kind != TR_UPCALL)
            fz_die("%s: trace record kind %u while no domain acted", st.what, r->kind);
        (void)dom_index(domain_by_id(r->dom));
        return;
    }
    if (r->dom != st.actor_dom)
        fz_die("%s by d%u: trace record kind %u names d%u", st.what, st.actor_dom, r->kind, r->dom);
    if (r->textlen && !r->text)
        fz_die("%s: trace record kind %u with %zu bytes of NULL text", st.what, r->kind,
               r->textlen);
    if (r->kind != TR_HYPERCALL)
        return;
    if (++budget_hypercalls > BUDGET_HYPERCALLS)
        longjmp(hc_budget_jmp, 1);
    if (r->nargs > 5)
        fz_die("%s: hypercall %u traced with %u arguments", st.what, r->nr, r->nargs);
    /* iret returns the guest's own rax from its frame: anything goes. */
    if (r->nr != __HYPERVISOR_iret && !fz_result_valid((long)r->result))
        fz_die("%s: hypercall %u (%s) returned %lld, neither >= 0 nor a Xen errno", st.what, r->nr,
               hypercall_name(r->nr), (long long)r->result);
    if (hc_trace_steps)
        fprintf(stderr, "  d%u %s(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx) = %lld\n", r->dom,
                hypercall_name(r->nr), (unsigned long long)r->args[0],
                (unsigned long long)r->args[1], (unsigned long long)r->args[2],
                (unsigned long long)r->args[3], (unsigned long long)r->args[4],
                (long long)r->result);
}

static void on_deschedule(struct vcpu *v)
{
    if (st.active)
        st.desched[dom_index(v->domain)] |= (uint8_t)(1u << v->vcpu_id);
}

static void check_ring_result(struct domain *d, int n, const char *why)
{
    if (n >= 0 && n <= CONSOLE_RING_OUT_BYTES)
        return;
    if ((n == -XEN_ENOENT || n == -XEN_EINVAL) && why && *why)
        return;
    fz_die("console_ring_consume(d%u) = %d (%s)", d->domid, n, why ? why : "no reason");
}

/* As the simulator's xenconsoled: drain the ring, then notify the guest back. */
static void on_backend_notify(struct domain *d, uint32_t port, unsigned int backend)
{
    if (backend != EVB_CONSOLE)
        return; /* no machine models xenstore yet */
    char buf[CONSOLE_RING_OUT_BYTES];
    const char *why = NULL;
    check_ring_result(d, console_ring_consume(d, buf, &why), why);
    evtchn_backend_send(d, port);
}

void hc_budget_reset(void)
{
    budget_touches = budget_hypercalls = 0;
}

/* ---------------------------------------------------------------------------------------------
 * A step
 */

static void save_refs(int i)
{
    const struct domain *d = hc_doms[i].d;
    for (unsigned k = 0; k < d->max_vcpus; k++) {
        const struct vcpu *v = &d->vcpus[k];
        st.refs[i][k].table = mfn_x(v->guest_table);
        st.refs[i][k].user_table = mfn_x(v->guest_table_user);
        st.refs[i][k].gdt_ents = v->gdt_ents;
        fz_memcpy(st.refs[i][k].gdt_frames, v->gdt_frames, sizeof(v->gdt_frames));
    }
}

static bool refs_changed(int i)
{
    const struct domain *d = hc_doms[i].d;
    for (unsigned k = 0; k < d->max_vcpus; k++) {
        const struct vcpu *v = &d->vcpus[k];
        if (st.refs[i][k].table != mfn_x(v->guest_table) ||
            st.refs[i][k].user_table != mfn_x(v->guest_table_user) ||
            st.refs[i][k].gdt_ents != v->gdt_ents ||
            fz_memcmp(st.refs[i][k].gdt_frames, v->gdt_frames, sizeof(v->gdt_frames)))
            return true;
    }
    return false;
}

/*
 * Domain i must still be what it was when it last acted (or was last
 * verified): the steps by the others since then may not have changed its
 * state or its shared_info.
 */
void hc_verify_unchanged(int i)
{
    if (!others[i].nr_steps)
        return;
    const struct domain *d = hc_doms[i].d;
    const char *what = NULL;
    if (!hc_dom_equal(d, hcs.dom[i].base))
        what = "the state";
    else if (fz_memcmp(hc_frame(fz.ram, hc_doms[i].shinfo_mfn), hcs.dom[i].si_base, PAGE_SIZE))
        what = "the shared_info";
    if (what && others[i].nr_steps == 1)
        fz_die("%s by d%u changed %s of d%u", others[i].last, others[i].last_dom, what, d->domid);
    if (what)
        fz_die("one of %u steps by others (from %s to %s by d%u) changed %s of d%u (the "
               "minimised input names the step)",
               others[i].nr_steps, others[i].first, others[i].last, others[i].last_dom, what,
               d->domid);
    others[i].nr_steps = 0;
}

void hc_begin_step(int actor, const char *what)
{
    if (++epoch == 0) {
        memset(stamp, 0, HC_NR_FRAMES * sizeof(*stamp));
        epoch = 1;
    }
    st.actor = actor;
    st.actor_dom = actor >= 0 ? hc_doms[actor].d->domid : NO_ACTOR;
    st.what = what;
    st.nr_frames = st.nr_pool = 0;
    for (int i = 0; i < HC_NR_DOMS; i++) {
        struct domain *d = hc_doms[i].d;
        bool mine = actor < 0 || i == actor;
        if (mine) {
            hc_verify_unchanged(i);
            save_refs(i);
        } else {
            hc_rebase(i);
        }
        st.desched[i] = st.runnable_before[i] = 0;
        for (unsigned k = 0; k < d->max_vcpus; k++)
            if (hc_runnable(&d->vcpus[k]))
                st.runnable_before[i] |= (uint8_t)(1u << k);
    }
    if (hc_trace_steps && actor < 0)
        fprintf(stderr, "step: %s (the machine)\n", what);
    else if (hc_trace_steps)
        fprintf(stderr, "step: %s by d%u\n", what, st.actor_dom);
    st.active = true;
}

/* What the core must never hand back to a 64-bit PV guest, whatever it asked for. */
static void check_vcpus(int i)
{
    const struct domain *d = hc_doms[i].d;
    for (unsigned k = 0; k < d->max_vcpus; k++) {
        const struct vcpu *v = &d->vcpus[k];
        if (d->is_shutting_down && v->state != VCPU_DOWN)
            fz_die("%s: d%u is shut down but vCPU %u is in state %u", st.what, d->domid, k,
                   v->state);
        /* A vCPU that stopped being runnable must have been taken off the CPU. */
        if ((st.runnable_before[i] >> k & 1) && !hc_runnable(v) && !(st.desched[i] >> k & 1))
            fz_die("%s: d%uv%u stopped being runnable (state %u) without arch_vcpu_deschedule",
                   st.what, d->domid, k, v->state);
        if (!v->online)
            continue;
        const struct cpu_user_regs *r = &v->regs;
        if ((r->cs & 3) != 3 || (r->ss & 3) != 3)
            fz_die("%s: d%uv%u would run with cs 0x%x ss 0x%x (not ring 3)", st.what, d->domid, k,
                   r->cs, r->ss);
        if (r->rflags & (X86_EFLAGS_IOPL | X86_EFLAGS_VM))
            fz_die("%s: d%uv%u would run with rflags 0x%llx (IOPL or VM set)", st.what, d->domid, k,
                   (unsigned long long)r->rflags);
        if (!mfn_x(v->guest_table))
            fz_die("%s: d%uv%u has no kernel page table", st.what, d->domid, k);
        if (!v->kernel_mode && !mfn_x(v->guest_table_user))
            fz_die("%s: d%uv%u is in user mode without a user page table", st.what, d->domid, k);
    }
}

/* 1. Frames the step reached: foreign ones unchanged. Returns: did a watched page table change? */
static bool check_frames(void)
{
    bool pt_changed = false;
    for (unsigned i = 0; i < st.nr_frames; i++) {
        uint64_t m = st.frames[i];
        const uint8_t *before =
            st.pre[i] == NO_PRE ? hc_frame(hcs.snap_ram, m) : pool + (size_t)st.pre[i] * PAGE_SIZE;
        if (!fz_memcmp(hc_frame(fz.ram, m), before, PAGE_SIZE))
            continue;
        if (hcs.ft_base[m].owner != st.actor_dom)
            fz_die("%s by d%u wrote frame 0x%llx, owned by 0x%x", st.what, st.actor_dom,
                   (unsigned long long)m, hcs.ft_base[m].owner);
        hcs.modified[m] = 1;
        pt_changed = true;
    }
    return pt_changed;
}

/* 2. Frame table and M2P: only the actor's entries may change, never an owner. */
static bool check_frame_table(void)
{
    bool changed = false;
    if (fz_memcmp(hv_mem.frame_table, hcs.ft_base, hcs.ft_bytes)) {
        for (uint64_t m = 0; m < HC_NR_FRAMES; m++) {
            const struct page_info *a = &hcs.ft_base[m], *b = &hv_mem.frame_table[m];
            if (!fz_memcmp(a, b, sizeof(*a)))
                continue;
            if (a->owner != b->owner)
                fz_die("%s: frame 0x%llx changed owner 0x%x -> 0x%x", st.what,
                       (unsigned long long)m, a->owner, b->owner);
            if (a->owner != st.actor_dom)
                fz_die("%s by d%u changed frame 0x%llx of owner 0x%x (type %u/%u refs %u)", st.what,
                       st.actor_dom, (unsigned long long)m, a->owner, b->type, b->type_count,
                       b->ref_count);
        }
        fz_memcpy(hcs.ft_buf, hv_mem.frame_table, hcs.ft_bytes);
        hcs.ft_base = hcs.ft_buf;
        changed = true;
    }
    if (fz_memcmp(hv_mem.m2p, hcs.m2p_base, hcs.m2p_bytes)) {
        for (uint64_t m = 0; m < HC_NR_FRAMES; m++)
            if (hv_mem.m2p[m] != hcs.m2p_base[m] && hcs.ft_base[m].owner != st.actor_dom)
                fz_die("%s by d%u changed the M2P entry of frame 0x%llx (owner 0x%x)", st.what,
                       st.actor_dom, (unsigned long long)m, hcs.ft_base[m].owner);
        fz_memcpy(hcs.m2p_buf, hv_mem.m2p, hcs.m2p_bytes);
        hcs.m2p_base = hcs.m2p_buf;
    }
    if (hv_mem.free_frames != hcs.free_frames_expected)
        fz_die("%s: free frames %llu, expected %llu (no hypercall allocates or frees)", st.what,
               (unsigned long long)hv_mem.free_frames,
               (unsigned long long)hcs.free_frames_expected);
    return changed;
}

/*
 * 5. General references, which mm_check_invariants does not count: a
 * frame's ref_count is the number of present entries naming it in the
 * page tables in use (type_count > 0; an L4's hypervisor slots excepted),
 * as get_page_from_entry/put_page_from_entry keep it. A leak or a double
 * put on some path shows here.
 */
/* Reads only the target's own buffers, all in bounds: no sanitizer checks in its hot loop. */
__attribute__((no_sanitize("address", "undefined"))) static void check_ref_counts(void)
{
    static uint32_t want[HC_NR_FRAMES];
    const struct page_info *ft = hv_mem.frame_table;
    memset(want, 0, sizeof(want));
    for (uint64_t m = 0; m < HC_NR_FRAMES; m++) {
        if (!is_pt(&ft[m]))
            continue;
        const uint64_t *t = (const uint64_t *)hc_frame(fz.ram, m);
        for (unsigned i = 0; i < 512; i++) {
            uint64_t e = t[i], target = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
            if (!(e & _PAGE_PRESENT) || (ft[m].type == PGT_l4 && i >= 256 && i <= 271))
                continue;
            if (target < HC_NR_FRAMES) /* (an entry beyond RAM: mm_check_invariants says so) */
                want[target]++;
        }
    }
    for (uint64_t m = 0; m < HC_NR_FRAMES; m++)
        if (ft[m].ref_count != want[m])
            fz_die("%s by d%u: frame 0x%llx (owner 0x%x, type %u/%u) has ref_count %u, but %u "
                   "page-table entries name it",
                   st.what, st.actor_dom, (unsigned long long)m, ft[m].owner, ft[m].type,
                   ft[m].type_count, ft[m].ref_count, want[m]);
}

bool hc_end_step(void)
{
    st.active = false;
    fz.track = false; /* the checks read RAM through the core: not the guest's doing */
    bool need_inv = check_frames();
    bool mem_changed = check_frame_table();
    need_inv |= mem_changed;

    /*
     * 3. Domains: the others are compared with their baseline before they
     * next act (hc_verify_unchanged), not after every step: a domain often
     * sits out several steps in a row. The actor (all, for the machine) is
     * checked and becomes stale.
     */
    for (int i = 0; i < HC_NR_DOMS; i++) {
        if (st.actor >= 0 && i != st.actor) {
            if (!others[i].nr_steps++)
                others[i].first = st.what;
            others[i].last = st.what;
            others[i].last_dom = st.actor_dom;
            continue;
        }
        hcs.dom[i].stale = true;
        bool refs = refs_changed(i);
        need_inv |= refs;
        mem_changed |= refs;
        check_vcpus(i);
    }

    /*
     * 4. The frame-table invariants. Their inputs are the frame table, the
     * contents of page-table frames and the vCPUs' base pointers and GDTs;
     * when none of them changed in this step, neither can the answer.
     */
    if (need_inv) {
        char why[256] = "";
        if (hc_check_invariants(why, sizeof(why)))
            fz_die("%s by d%u: mm_check_invariants: %s", st.what, st.actor_dom, why);
        check_ref_counts();
    }
    fz.track = true;
    return mem_changed;
}

void hc_end_input(void)
{
    for (int i = 0; i < HC_NR_DOMS; i++)
        hc_verify_unchanged(i);
}

void hc_step_reset(void)
{
    memset(others, 0, sizeof(others));
    hc_trace_hash = 0xcbf29ce484222325ULL;
    st.active = false;
    fz.track = true;
}

void hc_step_init(void)
{
    pool = malloc(HC_NR_FRAMES * PAGE_SIZE); /* room for every frame: each comes once a step */
    stamp = calloc(HC_NR_FRAMES, sizeof(*stamp));
    if (!pool || !stamp)
        fz_die("out of memory");
    fz.on_touch = on_touch;
    fz.on_trace = on_trace;
    fz.on_deschedule = on_deschedule;
    fz.on_backend_notify = on_backend_notify;
}
