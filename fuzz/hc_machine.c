/* The hypercall target's machine (see hc_machine.h): snapshot, restore, and the oracles of a step.
 */
#include "hc_machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_arch.h"
#include "hv/builder.h"
#include "hv/console.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/mm.h"
#include "hv/trace.h"
#include "public/xen.h"
#include "test_image.h"

/*
 * The domains:
 *   d1 "fuzz-a": 1152 KiB, 1 vCPU, as the builder left it (a fresh boot).
 *   d2 "fuzz-b": 1280 KiB, 2 vCPUs (only vCPU 0 is up), with callbacks, a
 *                trap table, a kernel stack and a user page table (its own
 *                L4), so user mode, syscalls and bounces work from the start.
 * Small on purpose (the image loads at 1 MiB): checks cost time per frame.
 *
 * Oracles after every step (hc_end_step), beyond the sanitizers and the
 * hypervisor's own assertions (arch_panic aborts):
 *   - frames the step reached that the acting domain does not own (another
 *     domain's, free or the hypervisor's) are unchanged;
 *   - frame-table and M2P entries of such frames are unchanged, and no
 *     frame changed owner; no frame was allocated or freed;
 *   - the other domain's state and shared_info are unchanged;
 *   - mm_check_invariants returns 0 (run when the frame table, a page-table
 *     frame or a vCPU's base pointers or GDT changed: otherwise its answer
 *     cannot have changed);
 *   - every vCPU that is up runs in ring 3 without IOPL, has a kernel page
 *     table, and a user one when in user mode; a shut-down domain has all
 *     vCPUs down; a vCPU that stopped being runnable was descheduled;
 * and for every hypercall the trace reports (multicall entries too): the
 * result is >= 0 or a Xen errno, and it names the acting domain.
 */

#define TSC0 1000000ULL
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

struct hc_dom hc_doms[HC_NR_DOMS];
jmp_buf hc_budget_jmp;
bool hc_trace_steps;

/*
 * mm_check_invariants, from a second build of hv/common/mm.c without
 * coverage instrumentation (fuzz/build.sh renames its symbols fz_oracle_*):
 * the same code, but its loops over every frame neither cost a callback per
 * comparison nor count as new coverage whenever the number of page tables
 * changes. The copy has its own hv_mem (set to the live one before each
 * check) and its own scratch array (set up by its mm_init).
 */
extern struct hv_mem fz_oracle_hv_mem;
void fz_oracle_mm_init(uint64_t nr_frames, void *meta, const uint64_t *reserved,
                       size_t nr_reserved);
int fz_oracle_mm_check_invariants(char *why, size_t whylen);

/* The snapshot. */
static uint8_t *snap_ram;
static struct page_info *snap_ft, *snap_ft_exhausted;
static uint64_t snap_free_exhausted;
static uint64_t *snap_m2p;
static struct hv_mem snap_mem;
static struct hv_state snap_hv;
static size_t ft_bytes, m2p_bytes;

/*
 * Baselines: the state as last verified, which the next step is compared
 * with. Each points into the snapshot until something changes it. A domain
 * whose state may have changed without a comparison (it acted, or the
 * guest wrote its registers) is "stale" and gets a fresh baseline before a
 * step by someone else is checked against it.
 */
static const struct page_info *ft_base;
static struct page_info *ft_buf;
static const uint64_t *m2p_base;
static uint64_t *m2p_buf;
static uint64_t free_frames_expected;
static struct {
    const struct domain *base;
    struct domain buf;
    const uint8_t *si_base;
    uint8_t *si_buf;
    bool stale;
} dom_state[HC_NR_DOMS];

/*
 * RAM frames: a frame's baseline is its snapshot content unless it may
 * have been written since the restore (`modified`, per frame); then a step
 * that must check it keeps a pre-image in the pool.
 */
static uint8_t *modified;
static uint8_t *pool;

/* The step being checked. */
#define NO_PRE (-1) /* the baseline is the snapshot */
static struct {
    bool active;
    int actor; /* index into hc_doms, -1: the machine itself */
    uint16_t actor_dom;
    const char *what;
    uint32_t frames[HC_NR_FRAMES];
    int16_t pre[HC_NR_FRAMES];
    unsigned nr_frames, nr_pool;
    uint8_t desched[HC_NR_DOMS], runnable_before[HC_NR_DOMS];
    struct {
        uint64_t table, user_table;
        unsigned int gdt_ents;
        uint64_t gdt_frames[16];
    } refs[HC_NR_DOMS][HV_MAX_VCPUS];
} st;
static uint32_t *stamp; /* per frame: the step that last reached it */
static uint32_t epoch;
static unsigned long budget_touches, budget_hypercalls;

static uint8_t *frame(uint8_t *ram, uint64_t mfn)
{
    return ram + mfn * PAGE_SIZE;
}

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

static int check_invariants(char *why, size_t whylen)
{
    fz_oracle_hv_mem = hv_mem;
    return fz_oracle_mm_check_invariants(why, whylen);
}

/* ---------------------------------------------------------------------------------------------
 * Domain state: everything but the vCPUs never brought up (max_vcpus onwards).
 */

static size_t dom_head(void)
{
    return offsetof(struct domain, vcpus);
}

static size_t dom_tail(void)
{
    return offsetof(struct domain, vcpus) + sizeof(((struct domain *)0)->vcpus);
}

static void dom_copy(struct domain *dst, const struct domain *src)
{
    fz_memcpy(dst, src, dom_head());
    fz_memcpy(dst->vcpus, src->vcpus, src->max_vcpus * sizeof(struct vcpu));
    fz_memcpy((uint8_t *)dst + dom_tail(), (const uint8_t *)src + dom_tail(),
              sizeof(struct domain) - dom_tail());
}

static bool dom_equal(const struct domain *a, const struct domain *b)
{
    return !fz_memcmp(a, b, dom_head()) &&
           !fz_memcmp(a->vcpus, b->vcpus, a->max_vcpus * sizeof(struct vcpu)) &&
           !fz_memcmp((const uint8_t *)a + dom_tail(), (const uint8_t *)b + dom_tail(),
                      sizeof(struct domain) - dom_tail());
}

static const struct domain *snap_dom(int i)
{
    return &snap_hv.domains[hc_doms[i].d - hv.domains];
}

/* A stale domain's live state becomes its baseline (it was checked as the actor). */
static void rebase(int i)
{
    if (!dom_state[i].stale)
        return;
    dom_copy(&dom_state[i].buf, hc_doms[i].d);
    dom_state[i].base = &dom_state[i].buf;
    fz_memcpy(dom_state[i].si_buf, frame(fz.ram, hc_doms[i].shinfo_mfn), PAGE_SIZE);
    dom_state[i].si_base = dom_state[i].si_buf;
    dom_state[i].stale = false;
}

void hc_changed_outside_step(int di)
{
    dom_state[di].stale = true;
}

void hc_start_exhausted(void)
{
    fz_memcpy(hv_mem.frame_table, snap_ft_exhausted, ft_bytes);
    hv_mem.free_frames = snap_free_exhausted;
    ft_base = snap_ft_exhausted;
    free_frames_expected = snap_free_exhausted;
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
        modified[mfn] = 1; /* the actor's data: may change, nobody checks */
        return;
    }
    int16_t pre = NO_PRE;
    /* shared_info is written through a pointer the builder kept: never trust the snapshot. */
    if (modified[mfn] || (pg->flags & PGF_xen_heap)) {
        pre = (int16_t)st.nr_pool++; /* room for every frame: each comes here once a step */
        fz_memcpy(pool + (size_t)pre * PAGE_SIZE, frame(fz.ram, mfn), PAGE_SIZE);
    }
    st.frames[st.nr_frames] = (uint32_t)mfn;
    st.pre[st.nr_frames++] = pre;
}

static void on_touch(uint64_t mfn)
{
    if (!st.active) {
        /* The guest (the target acting for it) reads or writes its memory. */
        modified[mfn] = 1;
        return;
    }
    if (++budget_touches > BUDGET_TOUCHES)
        longjmp(hc_budget_jmp, 1);
    if (stamp[mfn] == epoch)
        return;
    stamp[mfn] = epoch;
    first_touch(mfn);
}

static void on_trace(const struct trace_rec *r)
{
    if (!st.active)
        return;
    if (st.actor < 0)
        fz_die("%s: trace record kind %u while no domain acted", st.what, r->kind);
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
        if (!mine)
            rebase(i);
        else
            save_refs(i);
        st.desched[i] = st.runnable_before[i] = 0;
        for (unsigned k = 0; k < d->max_vcpus; k++)
            if (vcpu_runnable(&d->vcpus[k]))
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
        if ((st.runnable_before[i] >> k & 1) && !vcpu_runnable(v) && !(st.desched[i] >> k & 1))
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
            st.pre[i] == NO_PRE ? frame(snap_ram, m) : pool + (size_t)st.pre[i] * PAGE_SIZE;
        if (!fz_memcmp(frame(fz.ram, m), before, PAGE_SIZE))
            continue;
        if (ft_base[m].owner != st.actor_dom)
            fz_die("%s by d%u wrote frame 0x%llx, owned by 0x%x", st.what, st.actor_dom,
                   (unsigned long long)m, ft_base[m].owner);
        modified[m] = 1;
        pt_changed = true;
    }
    return pt_changed;
}

/* 2. Frame table and M2P: only the actor's entries may change, never an owner. */
static bool check_frame_table(void)
{
    bool changed = false;
    if (fz_memcmp(hv_mem.frame_table, ft_base, ft_bytes)) {
        for (uint64_t m = 0; m < HC_NR_FRAMES; m++) {
            const struct page_info *a = &ft_base[m], *b = &hv_mem.frame_table[m];
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
        fz_memcpy(ft_buf, hv_mem.frame_table, ft_bytes);
        ft_base = ft_buf;
        changed = true;
    }
    if (fz_memcmp(hv_mem.m2p, m2p_base, m2p_bytes)) {
        for (uint64_t m = 0; m < HC_NR_FRAMES; m++)
            if (hv_mem.m2p[m] != m2p_base[m] && ft_base[m].owner != st.actor_dom)
                fz_die("%s by d%u changed the M2P entry of frame 0x%llx (owner 0x%x)", st.what,
                       st.actor_dom, (unsigned long long)m, ft_base[m].owner);
        fz_memcpy(m2p_buf, hv_mem.m2p, m2p_bytes);
        m2p_base = m2p_buf;
    }
    if (hv_mem.free_frames != free_frames_expected)
        fz_die("%s: free frames %llu, expected %llu (no hypercall allocates or frees)", st.what,
               (unsigned long long)hv_mem.free_frames, (unsigned long long)free_frames_expected);
    return changed;
}

void hc_end_step(void)
{
    st.active = false;
    fz.track = false; /* the checks read RAM through the core: not the guest's doing */
    bool need_inv = check_frames();
    need_inv |= check_frame_table();

    /* 3. Domains: the others unchanged; the actor (all, for the machine) checked and stale. */
    for (int i = 0; i < HC_NR_DOMS; i++) {
        const struct domain *d = hc_doms[i].d;
        if (st.actor >= 0 && i != st.actor) {
            if (!dom_equal(d, dom_state[i].base))
                fz_die("%s by d%u changed the state of d%u", st.what, st.actor_dom, d->domid);
            if (fz_memcmp(frame(fz.ram, hc_doms[i].shinfo_mfn), dom_state[i].si_base, PAGE_SIZE))
                fz_die("%s by d%u wrote the shared_info of d%u", st.what, st.actor_dom, d->domid);
            continue;
        }
        dom_state[i].stale = true;
        need_inv |= refs_changed(i);
        check_vcpus(i);
    }

    /*
     * 4. The frame-table invariants. Their inputs are the frame table, the
     * contents of page-table frames and the vCPUs' base pointers and GDTs;
     * when none of them changed in this step, neither can the answer.
     */
    if (need_inv) {
        char why[256] = "";
        if (check_invariants(why, sizeof(why)))
            fz_die("%s by d%u: mm_check_invariants: %s", st.what, st.actor_dom, why);
    }
    fz.track = true;
}

/* ---------------------------------------------------------------------------------------------
 * Snapshot and restore
 */

void hc_restore(bool all)
{
    for (size_t i = 0; i < fz.nr_touched; i++) {
        uint32_t m = fz.touch_at[i];
        fz_memcpy(frame(fz.ram, m), frame(snap_ram, m), PAGE_SIZE);
        modified[m] = 0;
    }
    fz_touched_clear();
    for (int i = 0; i < HC_NR_DOMS; i++) {
        uint64_t m = hc_doms[i].shinfo_mfn;
        bool changed = all || dom_state[i].stale || dom_state[i].base != snap_dom(i);
        /* shared_info is written through the builder's pointer, not arch_mfn_to_virt. */
        if (changed || dom_state[i].si_base != frame(snap_ram, m))
            fz_memcpy(frame(fz.ram, m), frame(snap_ram, m), PAGE_SIZE);
        if (changed)
            dom_copy(hc_doms[i].d, snap_dom(i));
        dom_state[i].base = snap_dom(i);
        dom_state[i].si_base = frame(snap_ram, m);
        dom_state[i].stale = false;
    }
    if (all || ft_base != snap_ft)
        fz_memcpy(hv_mem.frame_table, snap_ft, ft_bytes);
    if (all || m2p_base != snap_m2p)
        fz_memcpy(hv_mem.m2p, snap_m2p, m2p_bytes);
    hv_mem = snap_mem;
    ft_base = snap_ft;
    m2p_base = snap_m2p;
    free_frames_expected = snap_mem.free_frames;
    fz.tsc = TSC0;
    fz.con_in = NULL;
    fz.con_in_len = 0;
    st.active = false;
    fz.track = true;
}

void hc_full_check(void)
{
    fz.track = false;
    for (uint64_t m = 0; m < HC_NR_FRAMES; m++)
        if (fz_memcmp(frame(fz.ram, m), frame(snap_ram, m), PAGE_SIZE))
            fz_die("frame 0x%llx differs from the snapshot after restore: a write that did not "
                   "go through arch_mfn_to_virt, in this input or one since the last full "
                   "check (run with FUZZ_FULL_CHECK=1 to find it)",
                   (unsigned long long)m);
    if (fz_memcmp(&hv, &snap_hv, sizeof(hv)))
        fz_die("core state differs from the snapshot after restore: a vCPU beyond max_vcpus or "
               "an unused domain slot was written");
    char why[256] = "";
    if (check_invariants(why, sizeof(why)))
        fz_die("mm_check_invariants on the restored snapshot: %s", why);
    fz.track = true;
}

/* ---------------------------------------------------------------------------------------------
 * Setup
 */

static void *xalloc(size_t n)
{
    void *p;
    if (posix_memalign(&p, 4096, n))
        fz_die("out of memory");
    memset(p, 0, n);
    return p;
}

static void init_hc(struct vcpu *v, unsigned long nr, uint64_t a0, uint64_t a1, uint64_t a2,
                    uint64_t a3)
{
    const uint64_t a[5] = {a0, a1, a2, a3, 0};
    long rc = hypercall_dispatch(v, nr, a);
    if (rc)
        fz_die("setup: hypercall %lu failed: %ld", nr, rc);
}

static void build(struct hc_dom *hd, const char *name, uint64_t kb, unsigned int vcpus)
{
    size_t len;
    uint8_t *img = test_image_pv64(&len);
    struct domain_config cfg = {
        .name = name, .kernel = img, .kernel_len = len, .memory_kb = kb, .vcpus = vcpus};
    char err[256] = "";
    if (domain_build(&cfg, &hd->d, err, sizeof(err)))
        fz_die("setup: domain_build(%s): %s", name, err);
    free(img);
    hd->nr_pages = kb / 4;
    hd->shinfo_mfn = mfn_x(hd->d->shared_info_mfn);
    hd->base_mfn = ~0ULL;
    for (uint64_t m = 0; m < HC_NR_FRAMES; m++)
        if (hv_mem.frame_table[m].owner == hd->d->domid && hv_mem.m2p[m] == 0)
            hd->base_mfn = m;
    if (hd->base_mfn == ~0ULL)
        fz_die("setup: no PFN 0 for %s", name);
}

/* d2 as a kernel that has booted: callbacks, traps, a kernel stack and a user page table. */
static void boot_d2(struct hc_dom *hd)
{
    struct vcpu *v = &hd->d->vcpus[0];
    const uint64_t text = TI_LOAD_VA, stack = HC_SCRATCH_VA + HC_SCRATCH_LEN - 0x100;
    init_hc(v, __HYPERVISOR_set_callbacks, text + 0x100, text + 0x200, text + 0x300, 0);
    init_hc(v, __HYPERVISOR_stack_switch, FLAT_KERNEL_SS64, stack, 0, 0);
    struct trap_info traps[4] = {
        {X86_EXC_GP, 0, FLAT_KERNEL_CS64, text + 0x400},
        {X86_EXC_PF, 0, FLAT_KERNEL_CS64, text + 0x500},
        {0x80, 3, FLAT_KERNEL_CS64, text + 0x600},
        {0, 0, 0, 0},
    };
    if (copy_to_guest(v, HC_SCRATCH_VA, traps, sizeof(traps)))
        fz_die("setup: scratch not writable");
    init_hc(v, __HYPERVISOR_set_trap_table, HC_SCRATCH_VA, 0, 0, 0);
    struct mmuext_op op = {.cmd = MMUEXT_NEW_USER_BASEPTR};
    op.arg1.mfn = mfn_x(v->guest_table);
    if (copy_to_guest(v, HC_SCRATCH_VA, &op, sizeof(op)))
        fz_die("setup: scratch not writable");
    init_hc(v, __HYPERVISOR_mmuext_op, HC_SCRATCH_VA, 1, 0, DOMID_SELF);
    static const uint8_t zero[sizeof(traps)];
    (void)copy_to_guest(v, HC_SCRATCH_VA, zero, sizeof(zero));
    v->regs.rsp = HC_SCRATCH_VA + 0x8000;
}

void hc_machine_init(void)
{
    fz_machine_init(HC_NR_FRAMES);
    fz.tsc = TSC0;
    build(&hc_doms[0], "fuzz-a", 1152, 1);
    build(&hc_doms[1], "fuzz-b", 1280, 2);
    boot_d2(&hc_doms[1]);
    fz_oracle_mm_init(HC_NR_FRAMES, xalloc(mm_meta_bytes(HC_NR_FRAMES)), NULL, 0);
    char why[256] = "";
    if (mm_check_invariants(why, sizeof(why)) || check_invariants(why, sizeof(why)))
        fz_die("setup: invariants: %s", why);

    ft_bytes = HC_NR_FRAMES * sizeof(struct page_info);
    m2p_bytes = HC_NR_FRAMES * sizeof(uint64_t);
    snap_ram = xalloc(HC_NR_FRAMES * PAGE_SIZE);
    fz_memcpy(snap_ram, fz.ram, HC_NR_FRAMES * PAGE_SIZE);
    snap_ft = xalloc(ft_bytes);
    fz_memcpy(snap_ft, hv_mem.frame_table, ft_bytes);
    snap_m2p = xalloc(m2p_bytes);
    fz_memcpy(snap_m2p, hv_mem.m2p, m2p_bytes);
    snap_mem = hv_mem;
    snap_hv = hv;
    /* The exhausted variant, made by the core itself once. */
    mm_reserve_range(0, HC_NR_FRAMES);
    snap_ft_exhausted = xalloc(ft_bytes);
    fz_memcpy(snap_ft_exhausted, hv_mem.frame_table, ft_bytes);
    snap_free_exhausted = hv_mem.free_frames;

    ft_buf = xalloc(ft_bytes);
    m2p_buf = xalloc(m2p_bytes);
    for (int i = 0; i < HC_NR_DOMS; i++)
        dom_state[i].si_buf = xalloc(PAGE_SIZE);
    pool = xalloc(HC_NR_FRAMES * PAGE_SIZE);
    stamp = xalloc(HC_NR_FRAMES * sizeof(*stamp));
    modified = xalloc(HC_NR_FRAMES);

    fz.on_touch = on_touch;
    fz.on_trace = on_trace;
    fz.on_deschedule = on_deschedule;
    fz.on_backend_notify = on_backend_notify;
    fz_touched_clear();
    hc_trace_steps = getenv("FUZZ_TRACE") != NULL;
    hc_restore(true);
}
