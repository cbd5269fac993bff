/* The checks around one step of the hypercall target: hooks from the fake machine and the oracles.
 */
#define _GNU_SOURCE /* SA_ONSTACK */
#include "hc_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_arch.h"
#include "hv/arch.h"
#include "hv/console.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/mm.h"
#include "hv/time.h"
#include "hv/trace.h"
#include "hv/xenstore.h"
#include "public/xen.h"

/*
 * Oracles, beyond the sanitizers and the hypervisor's own assertions
 * (arch_panic aborts):
 *   - frames a step reached that the acting domain does not own (another
 *     domain's, free or the hypervisor's) are unchanged, and so are the
 *     actor's page tables unless the step is a memory-management one;
 *   - frame-table and M2P entries change only in memory-management steps
 *     and only the actor's; no frame changes owner, none is allocated or
 *     freed, but for the frames a grant_table_op step adds to the actor's
 *     table; no grant is held, a table only grows and its frames stay
 *     shared with the domain (check_gnttab);
 *   - the other domain's state and shared_info are unchanged (verified
 *     before it acts again, or at the end of the input), unless the step
 *     reached its store ring (the xenstore daemon serves every domain: it
 *     is then checked as the actor is, see promote); trap tables
 *     and poll ports change only in set_trap_table and SCHEDOP_poll, the
 *     parts of shared_info the core does not use only by the guest's
 *     writes, base pointers and GDTs only in memory-management steps;
 *   - after a memory-management step that changed something,
 *     mm_check_invariants returns 0 and every frame's ref_count is the
 *     number of page-table entries naming it;
 *   - every vCPU that is up runs in ring 3 without IOPL, has a kernel page
 *     table, and a user one when in user mode; a shut-down domain has all
 *     vCPUs down; a vCPU that stopped being runnable was descheduled;
 * and for every hypercall the trace reports (multicall entries too): the
 * result is >= 0 or a Xen errno, and it names the acting domain.
 *
 * What a step may not change is not compared after it but lazily: before
 * the next step that may change it and at the end of the input (a message
 * then names the range of steps, which the minimised input narrows to one).
 * Most steps are not memory management: the core sees the frame table, the
 * M2P and the page-table and foreign frames they reach only through
 * read-only mappings (on_segv reports a write), so those need no comparison
 * at all; nor does the rest of RAM beyond a frame's end, since each frame
 * is mapped apart.
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
#define NONE UINT32_MAX /* no step: nothing waits for a comparison */

jmp_buf hc_budget_jmp;

/* The steps of this input, for messages that name one or a range. */
#define LOG_STEPS 4096
static struct {
    const char *what;
    int dom; /* -1: the machine */
} steplog[LOG_STEPS];
static uint32_t nr_steps, cur; /* steps begun; the current (or last) one */

static const char *step_desc(char *buf, size_t n, uint32_t i)
{
    if (i >= LOG_STEPS)
        snprintf(buf, n, "step %u", i + 1);
    else if (steplog[i].dom < 0)
        snprintf(buf, n, "step %u (%s by the machine)", i + 1, steplog[i].what);
    else
        snprintf(buf, n, "step %u (%s by d%d)", i + 1, steplog[i].what, steplog[i].dom);
    return buf;
}

/* "step 3 (xen_version by d1)" or "one of steps 3 (...) to 5 (...)". */
static const char *blame(char *buf, size_t n, uint32_t from, uint32_t to)
{
    char a[96], b[96];
    if (from == to)
        return step_desc(buf, n, from);
    snprintf(buf, n, "one of steps %s to %s", step_desc(a, sizeof(a), from),
             step_desc(b, sizeof(b), to));
    return buf;
}

/* The step being checked. */
static struct {
    bool active;
    int actor; /* index into hc_doms, -1: the machine itself */
    uint16_t actor_dom;
    unsigned flags; /* HC_STEP_* */
    const char *what;
    struct vcpu *prev;   /* a context switch: the vCPU that was on the CPU */
    int vcpu;            /* the actor's vCPU that runs (its first runnable one), or -1 */
    unsigned mine;       /* the domains the step may change (a bit each) */
    unsigned promoted;   /* of those, the ones the xenstore daemon served (promote) */
    uint32_t gnt_before; /* the actor's grant-table frames before the step */
    /* Memory-management steps: frames compared after the step, and the actor's data frames. */
    uint32_t frames[HC_NR_FRAMES];
    int16_t pre[HC_NR_FRAMES]; /* pool slot or NO_PRE */
    bool changed[HC_NR_FRAMES];
    unsigned nr_frames;
    uint32_t own[HC_NR_FRAMES];
    unsigned nr_own;
    /* Frame-table entries the step changed, and what they were. */
    uint32_t ft_chg[HC_NR_FRAMES];
    struct page_info ft_old[HC_NR_FRAMES];
    unsigned nr_ft_chg;
    uint8_t desched[HC_NR_DOMS], runnable_before[HC_NR_DOMS];
    struct {
        uint64_t table, user_table;
        unsigned int gdt_ents;
        uint64_t gdt_frames[16];
    } refs[HC_NR_DOMS][HV_MAX_VCPUS];
} st;

/* Steps by others since each domain last acted or was verified. */
static struct {
    uint32_t from, last; /* NONE: none */
} others[HC_NR_DOMS];
/* First step since each domain's cold state was verified. */
static uint32_t cold_from[HC_NR_DOMS];

#define NO_PRE (-1)

/* Pre-images: each slot is taken at a frame's first touch in a step, so the budget bounds them. */
#define POOL_SLOTS (BUDGET_TOUCHES + 1)
static uint8_t *pool;
static unsigned nr_pool;
static uint32_t *stamp; /* per frame: the step that last reached it (epoch) */
static uint8_t *ro_now; /* per frame: that step got the read-only mapping */
static uint32_t epoch;
static unsigned long budget_touches, budget_hypercalls;

/* Small fixed-size copies and comparisons, inline (the libc calls cost more than the work). */
static bool words_differ(const void *a, const void *b, size_t n)
{
    const uint64_t *x = a, *y = b;
    uint64_t d = 0;
    for (size_t i = 0; i < n / 8; i++)
        d |= x[i] ^ y[i];
    return d != 0;
}

static bool is_pt(const struct page_info *pg)
{
    return pg->type >= PGT_l1 && pg->type <= PGT_l4 && pg->type_count;
}

static const uint8_t *pre_image(int16_t pre, uint64_t mfn)
{
    return pre == NO_PRE ? hc_frame(hcs.snap_ram, mfn) : pool + (size_t)pre * PAGE_SIZE;
}

/* The frame's content now, if it may differ from the snapshot. */
static int16_t take_pre_image(uint64_t mfn, const struct page_info *pg)
{
    /* shared_info is written through a pointer the builder kept: never trust the snapshot. */
    if (!hcs.modified[mfn] && !(pg->flags & PGF_xen_heap))
        return NO_PRE;
    if (nr_pool >= POOL_SLOTS)
        fz_die("pre-image pool full (%u frames): more first touches than the budget allows",
               nr_pool);
    int16_t pre = (int16_t)nr_pool++;
    fz_memcpy(pool + (size_t)pre * PAGE_SIZE, hc_frame(fz.ram, mfn), PAGE_SIZE);
    return pre;
}

static void verify_cold(int i);

static bool si_mapped[HC_NR_DOMS]; /* this step reached the domain's shared_info by a mapping */

/* Its owner may write a domain's shared_info page anywhere (a new baseline before the next step).
 */
static void shinfo_written(uint64_t mfn)
{
    for (int i = 0; i < HC_NR_DOMS; i++)
        if (mfn == hc_doms[i].shinfo_mfn) {
            verify_cold(i);
            hcs.dom[i].si_cold_stale = true;
            si_mapped[i] |= st.active;
        }
}

void hc_guest_writes(uint64_t mfn)
{
    hcs.modified[mfn] = 1;
    fz_touch(mfn);
    shinfo_written(mfn);
}

/*
 * First time a step reaches a frame. The actor's data frames may change. In
 * a memory-management step anything else (foreign frames, page tables) is
 * compared after the step with its content from before (a change to the
 * actor's page tables is then allowed, and a reason to check the
 * invariants). In any other step it may not change at all: the core gets
 * the frame's read-only mapping, and a write faults (see on_segv). Returns
 * whether the mapping is read-only.
 */
static void save_refs(int i);
static void ev_before(int i);

/*
 * The xenstore daemon in the core serves every domain's ring in any step
 * that runs it (a request can fire another domain's watch): it writes that
 * domain's store ring and sends on its store port. When a step reaches the
 * store ring of a domain it may not change, that domain is first compared
 * with its baseline (nothing so far in this step or since it was last
 * checked changed it), then checked after the step as the actor is.
 */
static struct xenstore_domain_interface xs_before[HC_NR_DOMS]; /* (indices only) */

static const struct xenstore_domain_interface *store_ring(int i)
{
    return (const struct xenstore_domain_interface *)hc_frame(fz.ram, hc_doms[i].store_mfn);
}

static void promote(int i)
{
    if (st.mine >> i & 1)
        return;
    if (others[i].from == NONE)
        others[i].from = cur;
    others[i].last = cur;
    hc_verify_unchanged(i);
    save_refs(i);
    ev_before(i);
    st.mine |= 1u << i;
    st.promoted |= 1u << i;
    const struct xenstore_domain_interface *r = store_ring(i);
    xs_before[i].req_cons = r->req_cons;
    xs_before[i].req_prod = r->req_prod;
    xs_before[i].rsp_cons = r->rsp_cons;
    xs_before[i].rsp_prod = r->rsp_prod;
    xs_before[i].error = r->error;
}

/*
 * A domain the xenstore daemon served in another domain's step: it only
 * writes answers and events to the response ring, never more than the room
 * the guest's consumer index leaves, and touches nothing of the request
 * side; a broken ring has its error set (2: indices, 3: a payload too long).
 */
static void check_served_ring(int i)
{
    const struct xenstore_domain_interface *b = &xs_before[i], *r = store_ring(i);
    uint32_t produced = r->rsp_prod - b->rsp_prod;
    uint32_t room = XENSTORE_RING_SIZE - (b->rsp_prod - b->rsp_cons);
    const char *bad = NULL;
    if (r->req_cons != b->req_cons || r->req_prod != b->req_prod || r->rsp_cons != b->rsp_cons)
        bad = "changed its request indices or the guest's response consumer";
    else if (b->rsp_prod - b->rsp_cons <= XENSTORE_RING_SIZE && produced > room)
        bad = "produced more responses than the ring had room for";
    else if (r->error != b->error && (b->error || r->error > 3))
        bad = "changed its error field";
    if (bad)
        fz_die("%s: the xenstore daemon, serving d%u's store ring, %s (req %u/%u -> %u/%u, rsp "
               "%u/%u -> %u/%u, error %u -> %u)",
               st.what, hc_doms[i].d->domid, bad, b->req_cons, b->req_prod, r->req_cons,
               r->req_prod, b->rsp_cons, b->rsp_prod, r->rsp_cons, r->rsp_prod, b->error, r->error);
}

static bool first_touch(uint64_t mfn)
{
    const struct page_info *pg = &hv_mem.frame_table[mfn];
    for (int i = 0; i < HC_NR_DOMS; i++)
        if (mfn == hc_doms[i].store_mfn && pg->owner == hc_doms[i].d->domid && !is_pt(pg) &&
            hc_doms[i].d->domid != st.actor_dom) {
            promote(i);
            hcs.modified[mfn] = 1;
            return false;
        }
    if ((st.flags & HC_STEP_GNTTAB) && hcs.ft_base[mfn].owner == DOMID_FREE &&
        pg->owner != DOMID_FREE) {
        /* Allocated in this step (mm_alloc_frame zeroes it): checked with the frame table. */
        hcs.modified[mfn] = 1;
        return false;
    }
    if (pg->owner == st.actor_dom && !is_pt(pg)) {
        if (pg->flags & PGF_xen_heap)
            shinfo_written(mfn); /* (MMUEXT_CLEAR_PAGE, an mmu_update of a data frame) */
        hcs.modified[mfn] = 1;
        if (st.flags & HC_STEP_MM)
            st.own[st.nr_own++] = (uint32_t)mfn; /* it may become a page table */
        return false;
    }
    if (!(st.flags & HC_STEP_MM))
        return true;
    st.frames[st.nr_frames] = (uint32_t)mfn;
    st.pre[st.nr_frames++] = take_pre_image(mfn, pg);
    return false;
}

static bool on_touch(uint64_t mfn)
{
    if (!st.active) {
        /* The core outside a step (the target's own calls): the frame may be written. */
        hc_guest_writes(mfn);
        return false;
    }
    if (++budget_touches > BUDGET_TOUCHES)
        longjmp(hc_budget_jmp, 1);
    if (stamp[mfn] == epoch)
        return ro_now[mfn];
    stamp[mfn] = epoch;
    return ro_now[mfn] = first_touch(mfn);
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

unsigned hc_hypercall_flags(uint64_t nr, uint64_t a0)
{
    switch (nr) {
    case __HYPERVISOR_mmu_update:
    case __HYPERVISOR_set_gdt:
    case __HYPERVISOR_update_descriptor:
    case __HYPERVISOR_update_va_mapping:
    case __HYPERVISOR_mmuext_op:
        return HC_STEP_MM;
    case __HYPERVISOR_set_trap_table:
        return HC_STEP_COLD;
    case __HYPERVISOR_sched_op:
        return a0 == SCHEDOP_poll ? HC_STEP_COLD : 0;
    case __HYPERVISOR_grant_table_op:
        return HC_STEP_GNTTAB;
    case __HYPERVISOR_multicall: /* a list in guest memory may hold anything */
        return HC_STEP_MM | HC_STEP_COLD | HC_STEP_GNTTAB;
    default:
        return 0;
    }
}

static void check_event_record(const struct trace_rec *r);

/* The index of hc_doms with domid `dom` (HC_NR_DOMS: none; st.mine has no such bit). */
static int hc_dom_index_of(unsigned dom)
{
    for (int i = 0; i < HC_NR_DOMS; i++)
        if (hc_doms[i].d->domid == dom)
            return i;
    return HC_NR_DOMS;
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
    if (hc_trace_steps && r->kind == TR_EVENT)
        fprintf(stderr, "  d%uv%u event on port %u%s\n", r->dom, r->vcpu, r->nr,
                r->args[0] ? ", upcall raised" : "");
    else if (hc_trace_steps && r->kind == TR_UPCALL)
        fprintf(stderr, "  d%uv%u upcall: rip 0x%llx -> callback 0x%llx\n", r->dom, r->vcpu,
                (unsigned long long)r->args[0], (unsigned long long)r->args[1]);
    else if (hc_trace_steps && r->kind == TR_CRASH)
        fprintf(stderr, "  d%u crashed: %.*s\n", r->dom, (int)r->textlen, r->text);
    if (r->kind == TR_EVENT || r->kind == TR_UPCALL)
        check_event_record(r);
    if (st.actor < 0) {
        /* Time passing: a timer may send an event (VIRQ_TIMER), to a domain that had one due. */
        if (r->kind != TR_EVENT)
            fz_die("%s: trace record kind %u while no domain acted", st.what, r->kind);
        for (int i = 0; i < HC_NR_DOMS; i++)
            if (hc_doms[i].d->domid == r->dom && !(st.mine >> i & 1))
                fz_die("%s: an event for d%u, which had no timer due", st.what, r->dom);
        return;
    }
    if (r->dom != st.actor_dom &&
        !(r->kind == TR_EVENT && (st.mine >> hc_dom_index_of(r->dom) & 1)))
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
    /* The target said what the step may change from the hypercalls it asked for. */
    if (r->nr != __HYPERVISOR_multicall && (hc_hypercall_flags(r->nr, r->args[0]) & ~st.flags))
        fz_die("%s: hypercall %u (%s) ran in a step not marked for it (flags %u; the target's "
               "decoding is wrong)",
               st.what, r->nr, hypercall_name(r->nr), st.flags);
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
        st.desched[hc_dom_index(v->domain)] |= (uint8_t)(1u << v->vcpu_id);
}

/*
 * What console_ring_consume may answer: the bytes it took, or an error with
 * a reason that is true (no ring; a ring page that is no longer a plain
 * writable page of the domain, which it must then leave alone; bogus
 * indices).
 */
void hc_check_ring_result(const struct domain *d, int n, const char *why)
{
    if (n >= 0 && n <= CONSOLE_RING_OUT_BYTES)
        return;
    bool valid = mfn_x(d->console_mfn) && mfn_x(d->console_mfn) < HC_NR_FRAMES;
    const struct page_info *pg = valid ? &hv_mem.frame_table[mfn_x(d->console_mfn)] : NULL;
    bool usable = pg && pg->owner == d->domid && (!pg->type_count || pg->type == PGT_writable);
    if (why && *why &&
        ((n == -XEN_ENOENT && !valid) || (n == -XEN_EACCES && valid && !usable) ||
         (n == -XEN_EINVAL && usable)))
        return;
    fz_die("console_ring_consume(d%u) = %d (%s)", d->domid, n, why ? why : "no reason");
}

/* As the simulator's xenconsoled: drain the ring, then notify the guest back. */
static void on_backend_notify(struct domain *d, uint32_t port, unsigned int backend)
{
    if (backend != EVB_CONSOLE)
        return; /* no machine models xenstore yet */
    const char *why = NULL;
    hc_check_ring_result(d, console_ring_consume(d, hc_ring_buf, &why), why);
    evtchn_backend_send(d, port);
}

unsigned hc_step_promoted(void)
{
    return st.promoted;
}

void hc_budget_reset(void)
{
    budget_touches = budget_hypercalls = 0;
}

/* ---------------------------------------------------------------------------------------------
 * Lazy comparisons: what the steps since the last one may not have changed
 */

/*
 * Writes the hardware refuses. Outside memory-management steps the core
 * gets the read-only mappings (fz.ram_ro, fz.meta_ro) of the frames a step
 * may not change (foreign frames, page tables: first_touch) and of the frame
 * table and the M2P (hc_frame_table_writable), so none of them is compared
 * afterwards: a write faults where it is made. The handler names the step
 * and what it wrote, then puts back the handler it replaced and returns:
 * the write faults again and that handler (libFuzzer's, ASan's) reports it
 * with its stack, and the input is kept as a crash.
 */
static struct sigaction prev_segv;

static void ro_write_report(uintptr_t a)
{
    char b[256], msg[512];
    const char *step = st.active ? step_desc(b, sizeof(b), cur) : "the target's own call (no step)";
    uintptr_t ram = (uintptr_t)fz.ram_ro, ft = (uintptr_t)hcs.ft_ro, m2p = (uintptr_t)hcs.m2p_ro;
    int n = 0;
    bool past = false, ro = false;
    int64_t w = fz_window_frame(a, &past, &ro);
    if (w >= 0 && past) {
        n = snprintf(
            msg, sizeof(msg),
            "fuzz oracle: %s accessed 0x%llx bytes past the end of frame 0x%llx (owner "
            "0x%x), which it reached through arch_mfn_to_virt\n",
            step, (unsigned long long)((a - (uintptr_t)(ro ? fz.win_ro : fz.win_rw)) % PAGE_SIZE),
            (unsigned long long)w, hcs.ft_base[w].owner);
    } else if ((w >= 0 && ro) || (a >= ram && a < ram + HC_NR_FRAMES * PAGE_SIZE)) {
        uint64_t m = w >= 0 ? (uint64_t)w : (a - ram) / PAGE_SIZE;
        const struct page_info *pg = &hcs.ft_base[m];
        n = snprintf(msg, sizeof(msg),
                     "fuzz oracle: %s wrote frame 0x%llx (owner 0x%x, %s), which it may not change "
                     "(a write through its read-only mapping)\n",
                     step, (unsigned long long)m, pg->owner,
                     is_pt(pg) ? "a page table" : "not the actor's");
    } else if (a >= ft && a < ft + hcs.ft_bytes) {
        uint64_t m = (a - ft) / sizeof(struct page_info);
        n = snprintf(msg, sizeof(msg),
                     "fuzz oracle: %s changed the frame-table entry of frame 0x%llx, which it may "
                     "not change (a write through the read-only mapping)\n",
                     step, (unsigned long long)m);
    } else if (a >= m2p && a < m2p + hcs.m2p_bytes) {
        uint64_t m = (a - m2p) / sizeof(uint64_t);
        n = snprintf(msg, sizeof(msg),
                     "fuzz oracle: %s changed the M2P entry of frame 0x%llx (owner 0x%x), which it "
                     "may not change (a write through the read-only mapping)\n",
                     step, (unsigned long long)m, hcs.ft_base[m].owner);
    }
    if (n > 0 && write(2, msg, (size_t)n) < 0)
        return;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (hc_xs_state_fault((uintptr_t)si->si_addr))
        return; /* the xenstore state made writable: the write goes through now */
    ro_write_report((uintptr_t)si->si_addr);
    sigaction(SIGSEGV, &prev_segv, NULL); /* the write faults again, into that handler */
}

void hc_catch_ro_writes(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &prev_segv))
        fz_die("sigaction(SIGSEGV) failed");
}

/*
 * Domain i's cold state is still its baseline (that of its vCPU `skip`
 * excepted, if >= 0: its own step just changed it), since step `from`.
 */
static void verify_cold_since(int i, uint32_t from, int skip)
{
    const struct domain *d = hc_doms[i].d, *snap = &hcs.snap_hv.domains[d - hv.domains];
    const char *what = NULL, *who = NULL;
    for (unsigned k = 0; k < d->max_vcpus && !what; k++)
        if ((int)k != skip && (d->vcpus[k].online || snap->vcpus[k].online) &&
            !hc_cold_equal(&d->vcpus[k], hcs.dom[i].cold_base[k]))
            what = "a trap table or the poll ports";
    if (what) {
        who = "its own set_trap_table and SCHEDOP_poll";
    } else if (!hcs.dom[i].si_cold_stale && !hc_si_cold_equal(i, hcs.dom[i].si_cold_base)) {
        what = "the pending or mask bits of ports beyond the ones modelled";
        who = "its guest, or its own step through a mapping of the page";
    }
    if (!what)
        return;
    char b[256];
    fz_die("%s changed %s of d%u (only %s may)", blame(b, sizeof(b), from, cur), what,
           hc_doms[i].d->domid, who);
}

/* Domain i's cold state is still its baseline (if a step since the last check may have changed it).
 */
static void verify_cold(int i)
{
    if (cold_from[i] == NONE)
        return;
    uint32_t from = cold_from[i];
    cold_from[i] = NONE;
    verify_cold_since(i, from, -1);
}

/*
 * After a step that may change the cold state of vCPU k of domain i (its
 * actor): that vCPU's cold state is its new baseline (a copy, unless it is
 * still the baseline it had, as after set_trap_table(NULL) on an empty
 * table), and the rest of the domain's cold state is compared now, so
 * nothing of this domain waits for a later comparison.
 */
static void cold_step_done(int i, unsigned k)
{
    const struct vcpu *live = &hc_doms[i].d->vcpus[k];
    if (!hc_cold_equal(live, hcs.dom[i].cold_base[k])) {
        struct vcpu *buf = &hcs.dom[i].cold_buf.vcpus[k];
        hc_cold_copy(buf, live);
        hcs.dom[i].cold_base[k] = buf;
        hcs.dom[i].cold_dirty |= (uint8_t)(1u << k);
    }
    verify_cold_since(i, cur, (int)k);
}

/* After its guest wrote its shared_info page: the cold part's baseline is the page now. */
static void si_cold_rebase(int i)
{
    if (!hcs.dom[i].si_cold_stale)
        return;
    fz_memcpy(hcs.dom[i].si_cold_buf, hc_frame(fz.ram, hc_doms[i].shinfo_mfn), PAGE_SIZE);
    hcs.dom[i].si_cold_base = hcs.dom[i].si_cold_buf;
    hcs.dom[i].si_cold_stale = false;
}

/*
 * Domain i must still be what it was when it last acted (or was last
 * verified): the steps by the others since then may not have changed its
 * state or its shared_info.
 */
void hc_verify_unchanged(int i)
{
    if (others[i].from == NONE)
        return;
    const struct domain *d = hc_doms[i].d;
    const char *what = NULL;
    if (!hc_dom_equal(d, hcs.dom[i].base))
        what = "the state";
    else if (!hc_si_hot_equal(i, hcs.dom[i].si_base))
        what = "the shared_info";
    if (what) {
        char b[256];
        fz_die("%s changed %s of d%u", blame(b, sizeof(b), others[i].from, others[i].last), what,
               d->domid);
    }
    others[i].from = NONE;
}

/* ---------------------------------------------------------------------------------------------
 * Time and events (xen-abi.md 2.1, 4.2, 5.1-5.3)
 *
 * After every step, for the domains it may change:
 *   - a vcpu_time_info the core rewrote has a new, even version and says
 *     the truth: system_time is the system time now, tsc_timestamp the TSC
 *     now, mul and shift Xen's scale for the machine's TSC rate, the
 *     TSC-stable flag set (the system time is computed here from the TSC
 *     with the ABI's formula, not asked of the core); the system time
 *     never goes back;
 *   - a port that became pending is bound; a port closed is not pending
 *     (evtchn_close clears it); an upcall raised (upcall_pending 0 -> 1)
 *     has a selector bit; an event the core reports as raising an upcall
 *     is on an unmasked, pending port, a masked port raises none; an
 *     upcall is delivered only when pending and unmasked, and leaves
 *     upcalls masked and the vCPU at its event callback;
 *   - a blocked vCPU has upcalls unmasked and none pending (an event
 *     would have woken it); a polling vCPU has none of its ports pending
 *     and no upcall it could take; a blocked or polling vCPU's runstate is
 *     blocked, a running one is the vCPU on the CPU; no runstate entry
 *     time lies in the future, and the time a vCPU spent in its states
 *     adds up (the sum of time[] minus state_entry_time never changes);
 * and after time passes, no timer that is due is still armed: singleshot
 * timers fired (VIRQ_TIMER pending if bound), poll deadlines woke their
 * vCPU, the periodic timer of the vCPU on the CPU caught up.
 */

static struct {
    uint64_t pending, bound; /* the ports modelled (word 0) pending before the step, and which */
                             /* of those were bound */
    struct vcpu_info vi[HV_MAX_VCPUS];
    int upcall; /* the vCPU an upcall was delivered to in this step, or -1 */
} ev[HC_NR_DOMS];
static uint64_t runstate_sum[HC_NR_DOMS][HV_MAX_VCPUS];
static uint64_t last_now;
static uint32_t pv_mul;
static int pv_shift;

/* Xen's set_time_scale (xen-abi.md 2.1) for the machine's TSC rate. */
static void pv_scale_init(uint64_t hz)
{
    int shift = 0;
    while (hz > 2000000000ULL)
        hz >>= 1, shift--;
    while (hz <= 1000000000ULL)
        hz <<= 1, shift++;
    pv_mul = (uint32_t)((1000000000ULL << 32) / hz);
    pv_shift = shift;
}

uint64_t hc_now_ns(void)
{
    uint64_t d = fz.tsc - HC_TSC0;
    d = pv_shift < 0 ? d >> -pv_shift : d << pv_shift;
    return (uint64_t)(((unsigned __int128)d * pv_mul) >> 32);
}

/* Of the ports in `ports` (word 0), those bound. */
static uint64_t bound_of(const struct domain *d, uint64_t ports)
{
    uint64_t b = 0;
    for (; ports; ports &= ports - 1) {
        unsigned p = (unsigned)__builtin_ctzll(ports);
        if (p < HV_NR_EVTCHN && d->evtchn[p].state != ECS_FREE &&
            d->evtchn[p].state != ECS_RESERVED)
            b |= 1ULL << p;
    }
    return b;
}

static void ev_before(int i)
{
    const struct domain *d = hc_doms[i].d;
    ev[i].pending = d->shared_info->evtchn_pending[0];
    ev[i].bound = bound_of(d, ev[i].pending);
    for (unsigned k = 0; k < d->max_vcpus; k++)
        ev[i].vi[k] = d->shared_info->vcpu_info[k];
    ev[i].upcall = -1;
    si_mapped[i] = false;
}

static void check_time_record(const struct vcpu *v, const struct vcpu_time_info *b,
                              const struct vcpu_time_info *t, uint64_t now)
{
    unsigned dom = v->domain->domid, k = v->vcpu_id;
    _Static_assert(sizeof(*t) % 8 == 0, "vcpu_time_info is whole words");
    if (!words_differ(b, t, sizeof(*t)))
        return;
    if (t->version == b->version)
        fz_die("%s: d%uv%u's vcpu_time_info changed but its version did not (%u)", st.what, dom, k,
               t->version);
    if (t->version & 1)
        fz_die("%s: d%uv%u's vcpu_time_info left with the odd version %u (an update in progress)",
               st.what, dom, k, t->version);
    if (t->system_time != now || t->tsc_timestamp != fz.tsc)
        fz_die("%s: d%uv%u's vcpu_time_info says system_time %llu at TSC %llu, but it is %llu at "
               "TSC %llu",
               st.what, dom, k, (unsigned long long)t->system_time,
               (unsigned long long)t->tsc_timestamp, (unsigned long long)now,
               (unsigned long long)fz.tsc);
    if (t->tsc_to_system_mul != pv_mul || t->tsc_shift != pv_shift ||
        !(t->flags & XEN_PVCLOCK_TSC_STABLE_BIT))
        fz_die("%s: d%uv%u's vcpu_time_info has mul 0x%x shift %d flags 0x%x; the TSC rate needs "
               "mul 0x%x shift %d and the TSC-stable flag",
               st.what, dom, k, t->tsc_to_system_mul, t->tsc_shift, t->flags, pv_mul, pv_shift);
}

static void ev_check(int i)
{
    const struct domain *d = hc_doms[i].d;
    const struct shared_info *si = d->shared_info;
    uint64_t now = hc_now_ns(), pending = si->evtchn_pending[0];
    /* A step that wrote the page through a mapping (MMUEXT_CLEAR_PAGE...) did as its guest does. */
    bool guest = si_mapped[i];
    uint64_t newly = pending & ~ev[i].pending, stray = newly & ~bound_of(d, newly);
    if (stray && !guest)
        fz_die("%s: port %d of d%u became pending but is not bound", st.what,
               __builtin_ctzll(stray), d->domid);
    uint64_t kept = ev[i].bound & pending, closed = kept & ~bound_of(d, kept);
    if (closed && !guest)
        fz_die("%s: port %d of d%u was closed but is still pending (closing clears it)", st.what,
               __builtin_ctzll(closed), d->domid);
    for (unsigned k = 0; k < d->max_vcpus; k++) {
        const struct vcpu *v = &d->vcpus[k];
        const struct vcpu_info *b = &ev[i].vi[k], *vi = &si->vcpu_info[k];
        if (!guest)
            check_time_record(v, &b->time, &vi->time, now);
        if (!guest && !b->evtchn_upcall_pending && vi->evtchn_upcall_pending &&
            !vi->evtchn_pending_sel)
            fz_die("%s: d%uv%u's upcall was raised with no selector bit set", st.what, d->domid, k);
        if (v->state == VCPU_BLOCKED && (vi->evtchn_upcall_pending || vi->evtchn_upcall_mask))
            fz_die("%s: d%uv%u is blocked with upcall_pending %u and upcall_mask %u (blocking "
                   "unmasks; an upcall wakes it)",
                   st.what, d->domid, k, vi->evtchn_upcall_pending, vi->evtchn_upcall_mask);
        if (v->state == VCPU_POLLING) {
            if (vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask)
                fz_die("%s: d%uv%u polls with an upcall it could take", st.what, d->domid, k);
            for (unsigned p = 0; p < v->nr_poll_ports && p < 128; p++)
                if (v->poll_ports[p] < 64 && (pending >> v->poll_ports[p] & 1))
                    fz_die("%s: d%uv%u polls port %u, which is pending", st.what, d->domid, k,
                           v->poll_ports[p]);
        }
        const struct vcpu_runstate_info *r = &v->runstate;
        if ((v->state == VCPU_BLOCKED || v->state == VCPU_POLLING) && r->state != RUNSTATE_blocked)
            fz_die("%s: d%uv%u waits (state %u) in runstate %d", st.what, d->domid, k, v->state,
                   r->state);
        if (r->state == RUNSTATE_running && hv.current != v)
            fz_die("%s: d%uv%u's runstate is running but it is not on the CPU", st.what, d->domid,
                   k);
        if (r->state_entry_time > now)
            fz_die("%s: d%uv%u entered its runstate at %llu, after now (%llu)", st.what, d->domid,
                   k, (unsigned long long)r->state_entry_time, (unsigned long long)now);
        uint64_t sum = r->time[0] + r->time[1] + r->time[2] + r->time[3] - r->state_entry_time;
        if (sum != runstate_sum[i][k])
            fz_die("%s: d%uv%u's runstate times do not add up (time[] - state_entry_time = %lld, "
                   "was %lld)",
                   st.what, d->domid, k, (unsigned long long)sum,
                   (unsigned long long)runstate_sum[i][k]);
    }
    int u = ev[i].upcall;
    if (u >= 0 && !d->is_shutting_down &&
        (!si->vcpu_info[u].evtchn_upcall_mask ||
         d->vcpus[u].regs.rip != d->vcpus[u].event_callback))
        fz_die("%s: an upcall to d%uv%d left upcall_mask %u and rip 0x%llx (callback 0x%llx)",
               st.what, d->domid, u, si->vcpu_info[u].evtchn_upcall_mask,
               (unsigned long long)d->vcpus[u].regs.rip,
               (unsigned long long)d->vcpus[u].event_callback);
}

/* An event or upcall record, when the core makes it: what it says must be so. */
static void check_event_record(const struct trace_rec *r)
{
    int i = -1;
    for (int k = 0; k < HC_NR_DOMS; k++)
        if (hc_doms[k].d->domid == r->dom)
            i = k;
    if (i < 0)
        fz_die("%s: trace record kind %u for d%u, not one of the fuzzer's domains", st.what,
               r->kind, r->dom);
    const struct domain *d = hc_doms[i].d;
    if (r->vcpu >= d->max_vcpus)
        fz_die("%s: trace record kind %u for d%uv%u, which does not exist", st.what, r->kind,
               r->dom, r->vcpu);
    const struct vcpu_info *vi = &d->shared_info->vcpu_info[r->vcpu];
    if (r->kind == TR_UPCALL) {
        if (!vi->evtchn_upcall_pending || vi->evtchn_upcall_mask ||
            !hc_runnable(&d->vcpus[r->vcpu]))
            fz_die("%s: an upcall to d%uv%u with upcall_pending %u, upcall_mask %u", st.what,
                   r->dom, r->vcpu, vi->evtchn_upcall_pending, vi->evtchn_upcall_mask);
        ev[i].upcall = r->vcpu;
        return;
    }
    uint32_t port = r->nr;
    if (port >= HV_NR_EVTCHN || d->evtchn[port].state == ECS_FREE ||
        d->evtchn[port].state == ECS_RESERVED)
        fz_die("%s: an event on port %u of d%u, which is not bound", st.what, port, r->dom);
    const struct shared_info *si = d->shared_info;
    bool masked = si->evtchn_mask[0] >> port & 1;
    if (r->args[0] && (masked || !(si->evtchn_pending[0] >> port & 1) ||
                       !(vi->evtchn_pending_sel & 1) || !vi->evtchn_upcall_pending))
        fz_die("%s: an event on port %u of d%u raised an upcall, but the port is %s%s", st.what,
               port, r->dom, masked ? "masked" : "unmasked",
               (si->evtchn_pending[0] >> port & 1) ? "" : " and not pending");
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
        for (unsigned g = 0; g < 16; g++)
            st.refs[i][k].gdt_frames[g] = v->gdt_frames[g];
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
            words_differ(st.refs[i][k].gdt_frames, v->gdt_frames, sizeof(v->gdt_frames)))
            return true;
    }
    return false;
}

static void begin_step(int actor, const char *what, unsigned flags, unsigned mine_mask);

void hc_begin_step(int actor, const char *what, unsigned flags)
{
    begin_step(actor, what, flags, actor >= 0 ? 1u << actor : (1u << HC_NR_DOMS) - 1);
}

static void begin_step(int actor, const char *what, unsigned flags, unsigned mine_mask)
{
    if (++epoch == 0) {
        memset(stamp, 0, HC_NR_FRAMES * sizeof(*stamp));
        epoch = 1;
    }
    /* What the steps before it may not have changed and it may: compared now. */
    if (flags & HC_STEP_MM)
        nr_pool = 0;
    if (flags & (HC_STEP_MM | HC_STEP_GNTTAB))
        hc_frame_table_writable(true);
    if (flags & HC_STEP_COLD)
        verify_cold(actor);
    for (int i = 0; i < HC_NR_DOMS; i++)
        si_cold_rebase(i);
    cur = nr_steps++;
    if (cur < LOG_STEPS) {
        steplog[cur].what = what;
        steplog[cur].dom = actor >= 0 ? hc_doms[actor].d->domid : -1;
    }
    st.actor = actor;
    st.actor_dom = actor >= 0 ? hc_doms[actor].d->domid : NO_ACTOR;
    st.prev = (flags & HC_STEP_SWITCH) ? hv.current : NULL;
    st.mine = mine_mask;
    st.promoted = 0;
    st.flags = actor >= 0 ? flags : 0;
    st.what = what;
    st.nr_frames = st.nr_own = st.nr_ft_chg = 0;
    st.gnt_before = actor >= 0 ? hc_doms[actor].d->gnttab.nr_frames : 0;
    for (int i = 0; i < HC_NR_DOMS; i++) {
        struct domain *d = hc_doms[i].d;
        bool mine = st.mine >> i & 1;
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
        if (i == actor)
            st.vcpu = st.runnable_before[i] ? __builtin_ctz(st.runnable_before[i]) : -1;
        if (mine)
            ev_before(i);
    }
    uint64_t now = hc_now_ns();
    if (now < last_now)
        fz_die("system time went back from %llu to %llu before %s", (unsigned long long)last_now,
               (unsigned long long)now, what);
    last_now = now;
    if (hc_trace_steps && actor < 0)
        fprintf(stderr, "step %u: %s (the machine)\n", cur + 1, what);
    else if (hc_trace_steps)
        fprintf(stderr, "step %u: %s by d%u\n", cur + 1, what, st.actor_dom);
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

/*
 * Grant tables: nothing in the fuzzer's machine takes a grant (the core's
 * backends do, for disks it has none of), so no hold may be counted; the
 * table only grows (GNTTABOP_setup_table), stays version 1, and its frames
 * stay the domain's frames shared like shared_info (never a page table),
 * each beside a hypervisor frame nobody maps.
 */
static void check_gnttab(int i)
{
    const struct domain *d = hc_doms[i].d;
    uint32_t n = d->gnttab.nr_frames;
    if (d->gnttab.nr_held)
        fz_die("%s: d%u counts %u grant holds, but nothing here takes one (a hold leaked)", st.what,
               d->domid, d->gnttab.nr_held);
    if (d->gnttab.version != 1 || n > HV_GNTTAB_MAX_FRAMES || (i == st.actor && n < st.gnt_before))
        fz_die("%s: d%u's grant table is version %u with %u frames (%u before the step)", st.what,
               d->domid, d->gnttab.version, n, i == st.actor ? st.gnt_before : n);
    for (uint32_t k = 0; k < n; k++) {
        uint64_t t = mfn_x(d->gnttab.frames[k]), a = mfn_x(d->gnttab.active[k]);
        if (t >= HC_NR_FRAMES || a >= HC_NR_FRAMES)
            fz_die("%s: d%u's grant frame %u is 0x%llx beside 0x%llx, beyond the machine", st.what,
                   d->domid, k, (unsigned long long)t, (unsigned long long)a);
        const struct page_info *pt = &hv_mem.frame_table[t], *pa = &hv_mem.frame_table[a];
        if (pt->owner != d->domid || !(pt->flags & PGF_xen_heap) ||
            (pt->type_count && pt->type != PGT_writable))
            fz_die("%s: d%u's grant frame %u (0x%llx) has owner 0x%x, flags 0x%x, type %u/%u",
                   st.what, d->domid, k, (unsigned long long)t, pt->owner, pt->flags, pt->type,
                   pt->type_count);
        if (pa->owner != DOMID_XEN || pa->flags || pa->type_count || pa->ref_count)
            fz_die("%s: d%u's active grant frame %u (0x%llx) has owner 0x%x, flags 0x%x, type "
                   "count %u, refs %u",
                   st.what, d->domid, k, (unsigned long long)a, pa->owner, pa->flags,
                   pa->type_count, pa->ref_count);
    }
}

/*
 * 1. A memory-management step: the frames it reached that are not the
 * actor's are unchanged. Returns: did one of the actor's page tables change?
 */
static bool check_frames(void)
{
    bool pt_changed = false;
    for (unsigned i = 0; i < st.nr_frames; i++) {
        uint64_t m = st.frames[i];
        st.changed[i] = fz_memcmp(hc_frame(fz.ram, m), pre_image(st.pre[i], m), PAGE_SIZE) != 0;
        if (!st.changed[i])
            continue;
        if (hcs.ft_base[m].owner != st.actor_dom)
            fz_die("%s by d%u wrote frame 0x%llx, owned by 0x%x", st.what, st.actor_dom,
                   (unsigned long long)m, hcs.ft_base[m].owner);
        hcs.modified[m] = 1;
        pt_changed = true;
    }
    return pt_changed;
}

static void ft_mark(uint64_t m)
{
    if (!hcs.ft_dirty_map[m]) {
        hcs.ft_dirty_map[m] = 1;
        hcs.ft_dirty[hcs.nr_ft_dirty++] = (uint32_t)m;
    }
}

/*
 * 2. A memory-management step: in the frame table and the M2P only the
 * actor's entries may change, never an owner. The changed entries become
 * the baseline (and are what the restore copies back). Returns whether the
 * frame table changed.
 */
/*
 * Frame m, free before the step, is a frame the step added to the actor's
 * grant table, with the entry `b` it must have: a table frame is the
 * domain's and shared with it like shared_info (PGF_xen_heap), the frame
 * beside it the hypervisor's; neither is typed or referenced yet.
 */
static bool new_grant_frame(uint64_t m, const struct page_info *b)
{
    const struct domain *d = hc_doms[st.actor].d;
    if (!(st.flags & HC_STEP_GNTTAB) || b->type_count || b->ref_count)
        return false;
    for (uint32_t i = st.gnt_before; i < d->gnttab.nr_frames && i < HV_GNTTAB_MAX_FRAMES; i++) {
        if (mfn_x(d->gnttab.frames[i]) == m)
            return b->owner == st.actor_dom && b->flags == PGF_xen_heap;
        if (mfn_x(d->gnttab.active[i]) == m)
            return b->owner == DOMID_XEN && !b->flags;
    }
    return false;
}

static bool check_frame_table(void)
{
    bool ft = fz_memcmp(hv_mem.frame_table, hcs.ft_base, hcs.ft_bytes) != 0;
    bool m2p = fz_memcmp(hv_mem.m2p, hcs.m2p_base, hcs.m2p_bytes) != 0;
    bool mm = st.flags & HC_STEP_MM;
    for (uint64_t m = 0; (ft || m2p) && m < HC_NR_FRAMES; m++) {
        struct page_info *a = &hcs.ft_base[m];
        const struct page_info *b = &hv_mem.frame_table[m];
        if (ft && fz_memcmp(a, b, sizeof(*a))) {
            if (a->owner == DOMID_FREE && new_grant_frame(m, b)) {
                hcs.free_frames_expected--;
            } else if (a->owner != b->owner) {
                fz_die("%s: frame 0x%llx changed owner 0x%x -> 0x%x", st.what,
                       (unsigned long long)m, a->owner, b->owner);
            } else if (!mm) {
                fz_die("%s by d%u changed the frame-table entry of frame 0x%llx (owner 0x%x, type "
                       "%u/%u -> %u/%u, refs %u -> %u), which it may not change",
                       st.what, st.actor_dom, (unsigned long long)m, a->owner, a->type,
                       a->type_count, b->type, b->type_count, a->ref_count, b->ref_count);
            } else if (a->owner != st.actor_dom)
                fz_die("%s by d%u changed frame 0x%llx of owner 0x%x (type %u/%u refs %u)", st.what,
                       st.actor_dom, (unsigned long long)m, a->owner, b->type, b->type_count,
                       b->ref_count);
            st.ft_chg[st.nr_ft_chg] = (uint32_t)m;
            st.ft_old[st.nr_ft_chg++] = *a;
            *a = *b;
            ft_mark(m);
        }
        if (m2p && hv_mem.m2p[m] != hcs.m2p_base[m]) {
            if (a->owner != st.actor_dom || !mm)
                fz_die("%s by d%u changed the M2P entry of frame 0x%llx (owner 0x%x)", st.what,
                       st.actor_dom, (unsigned long long)m, a->owner);
            hcs.m2p_base[m] = hv_mem.m2p[m];
            ft_mark(m);
        }
    }
    return ft;
}

/*
 * 5. General references, which mm_check_invariants does not count: a
 * frame's ref_count is the number of present entries naming it in the
 * page tables in use (type_count > 0; an L4's hypervisor slots excepted),
 * as get_page_from_entry/put_page_from_entry keep it. A leak or a double
 * put on some path shows here.
 */
/* Reads only the target's own buffers, all in bounds: no sanitizer checks in its hot loop. */
__attribute__((no_sanitize("address", "undefined"))) static void check_ref_counts(bool missed)
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
                   "page-table entries name it%s",
                   st.what, st.actor_dom, (unsigned long long)m, ft[m].owner, ft[m].type,
                   ft[m].type_count, ft[m].ref_count, want[m],
                   missed ? " (the incremental check missed it: a bug of the target)" : "");
}

/* ---------------------------------------------------------------------------------------------
 * The frame-table invariants, incrementally
 *
 * mm_check_invariants and the reference count walk look at every frame and
 * every entry of every page table. After a memory-management step only
 * what the step changed can have broken them: the entries that differ in
 * the page tables it changed (all of a table's entries when a frame became
 * or stopped being a page table), the frame-table entries it changed, pins,
 * and its vCPUs' base pointers and GDT frames. From those, each affected
 * frame's type and general reference counts must have moved by exactly
 * what its referrers did, every new entry must be one Xen would accept, and
 * no entry may need a type its target no longer has (for that, the number
 * of entries needing each type is kept for every frame). As long as the
 * state before the step passed, this is the same check as the whole one;
 * the whole one (the core's own mm_check_invariants) still runs after the
 * memory-management steps of one input in INV_SAMPLE, and of every input
 * with FUZZ_FULL_CHECK=1, and says so if the incremental one missed
 * something.
 */

#define INV_SAMPLE 16
enum { W_L1, W_L2, W_L3, W_WRITABLE, NR_WANT };
static uint16_t (*want_cnt)[NR_WANT], (*snap_want)[NR_WANT];
static uint32_t *want_dirty;
static uint8_t *want_dirty_map;
static unsigned nr_want_dirty;
static int32_t dtype[HC_NR_FRAMES], dref[HC_NR_FRAMES];
static uint8_t affected_map[HC_NR_FRAMES];
static uint32_t affected[HC_NR_FRAMES];
static unsigned nr_affected;
static bool inv_full, inv_always; /* FUZZ_INV_FULL=1: only the whole check; FUZZ_FULL_CHECK */
static bool inv_sample;           /* this input: both */
static unsigned long inv_inputs;
static int16_t chg_at[HC_NR_FRAMES]; /* index into st.ft_chg + 1, or 0 */

static const uint8_t pgt_of_want[NR_WANT] = {PGT_l1, PGT_l2, PGT_l3, PGT_writable};

/* The type an entry of a table of `level` needs its frame to have (NR_WANT: none). */
static unsigned want_of(unsigned level, uint64_t e)
{
    if (level > 1)
        return level - 2; /* L2 -> W_L1 ... L4 -> W_L3 */
    return (e & _PAGE_RW) ? W_WRITABLE : NR_WANT;
}

static void affect(uint64_t m)
{
    if (!affected_map[m]) {
        affected_map[m] = 1;
        affected[nr_affected++] = (uint32_t)m;
    }
}

static void want_add(uint64_t t, unsigned w, int d)
{
    if (!want_dirty_map[t]) {
        want_dirty_map[t] = 1;
        want_dirty[nr_want_dirty++] = (uint32_t)t;
    }
    want_cnt[t][w] = (uint16_t)(want_cnt[t][w] + d);
}

/* What the entry at slot s of table f (owner, level) adds to (d = 1) or takes from (-1) counts. */
static bool entry(uint64_t f, uint16_t owner, unsigned level, unsigned s, uint64_t e, int d,
                  char *why, size_t whylen)
{
    if (!(e & _PAGE_PRESENT))
        return true;
    if (level == PGT_l4 && s >= 256 && s <= 271) {
        if (d > 0 && e != hv_mem.xen_l4[s - 256]) {
            snprintf(why, whylen, "L4 %llx slot %u is not the hypervisor's entry",
                     (unsigned long long)f, s);
            return false;
        }
        return true;
    }
    uint64_t t = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
    if (d > 0 && (t >= HC_NR_FRAMES || hv_mem.frame_table[t].owner != owner)) {
        snprintf(why, whylen, "table %llx slot %u maps frame %llx of another owner",
                 (unsigned long long)f, s, (unsigned long long)t);
        return false;
    }
    if (t >= HC_NR_FRAMES)
        return true;
    affect(t);
    dref[t] += d;
    if (level > PGT_l1 || (e & _PAGE_RW))
        dtype[t] += d;
    unsigned w = want_of(level, e);
    if (w < NR_WANT)
        want_add(t, w, d);
    return true;
}

/* Every present entry of a table (the content given) in or out of the counts. */
static bool table(uint64_t f, const struct page_info *pg, const uint64_t *t, int d, char *why,
                  size_t whylen)
{
    for (unsigned s = 0; s < 512; s++)
        if ((t[s] & _PAGE_PRESENT) && !entry(f, pg->owner, pg->type, s, t[s], d, why, whylen))
            return false;
    return true;
}

/* A frame whose content or frame-table entry changed: its entries' part in the counts. */
static bool reframe(uint64_t f, const struct page_info *o, const uint64_t *old, char *why,
                    size_t whylen)
{
    const struct page_info *n = &hv_mem.frame_table[f];
    const uint64_t *now = (const uint64_t *)hc_frame(fz.ram, f);
    bool was = is_pt(o), is = is_pt(n);
    if (was && is && o->type == n->type && o->owner == n->owner) {
        if (old == now)
            return true;
        for (unsigned s = 0; s < 512; s++)
            if (old[s] != now[s] && (!entry(f, o->owner, o->type, s, old[s], -1, why, whylen) ||
                                     !entry(f, n->owner, n->type, s, now[s], 1, why, whylen)))
                return false;
        return true;
    }
    return (!was || table(f, o, old, -1, why, whylen)) && (!is || table(f, n, now, 1, why, whylen));
}

static const struct page_info *ft_before(uint64_t m)
{
    return chg_at[m] ? &st.ft_old[chg_at[m] - 1] : &hv_mem.frame_table[m];
}

static void vcpu_refs(uint64_t table, uint64_t user, unsigned gdt_ents, const uint64_t *gdt, int d)
{
    if (table && table < HC_NR_FRAMES)
        affect(table), dtype[table] += d;
    if (user && user < HC_NR_FRAMES)
        affect(user), dtype[user] += d;
    for (unsigned g = 0; g < gdt_ents && g < 16 * 512; g += 512)
        if (gdt[g / 512] < HC_NR_FRAMES)
            affect(gdt[g / 512]), dtype[gdt[g / 512]] += d;
}

/*
 * After a memory-management step that changed memory state. Returns false
 * when it cannot tell (the whole check must run); a broken invariant is
 * written to why.
 */
static bool inv_step(char *why, size_t whylen)
{
    bool ok = true, can = true;
    nr_affected = 0;
    for (unsigned i = 0; i < st.nr_ft_chg; i++)
        chg_at[st.ft_chg[i]] = (int16_t)(i + 1);
    /* Page tables whose content changed (with their content before). */
    for (unsigned i = 0; ok && i < st.nr_frames; i++) {
        uint64_t m = st.frames[i];
        const uint64_t *old = (const uint64_t *)pre_image(st.pre[i], m);
        ok = reframe(m, ft_before(m), st.changed[i] ? old : (const uint64_t *)hc_frame(fz.ram, m),
                     why, whylen);
    }
    /* The actor's data frames: not page tables before (or they would be in the list above). */
    for (unsigned i = 0; ok && i < st.nr_own; i++) {
        uint64_t m = st.own[i];
        const struct page_info *o = ft_before(m);
        if (is_pt(o))
            can = ok = false; /* became one before the step reached it: no content from before */
        else
            ok = reframe(m, o, NULL, why, whylen);
    }
    /* Frame-table entries that changed without the step reaching the frame. */
    for (unsigned i = 0; ok && i < st.nr_ft_chg; i++) {
        uint64_t m = st.ft_chg[i];
        const struct page_info *o = &st.ft_old[i], *n = &hv_mem.frame_table[m];
        affect(m);
        if ((o->flags ^ n->flags) & PGF_pinned)
            dtype[m] += (n->flags & PGF_pinned) ? 1 : -1;
        if (stamp[m] == epoch)
            continue;                                              /* reached: done above */
        const uint64_t *t = (const uint64_t *)hc_frame(fz.ram, m); /* not reached: unchanged */
        ok = reframe(m, o, t, why, whylen);
    }
    /* The actor's vCPUs' base pointers and GDT frames. */
    const struct domain *d = hc_doms[st.actor].d;
    for (unsigned k = 0; ok && k < d->max_vcpus; k++) {
        const struct vcpu *v = &d->vcpus[k];
        vcpu_refs(st.refs[st.actor][k].table, st.refs[st.actor][k].user_table,
                  st.refs[st.actor][k].gdt_ents, st.refs[st.actor][k].gdt_frames, -1);
        vcpu_refs(mfn_x(v->guest_table), mfn_x(v->guest_table_user), v->gdt_ents, v->gdt_frames, 1);
    }
    /* Every frame whose counts or entry moved. */
    for (unsigned i = 0; i < nr_affected; i++) {
        uint64_t m = affected[i];
        const struct page_info *o = ft_before(m), *n = &hv_mem.frame_table[m];
        if (ok && n->owner == DOMID_FREE && (n->type_count || n->ref_count || n->flags)) {
            snprintf(why, whylen, "free frame %llx has references", (unsigned long long)m);
            ok = false;
        } else if (ok && (int64_t)n->type_count != (int64_t)o->type_count + dtype[m]) {
            snprintf(why, whylen, "frame %llx type %u count %u, expected %lld",
                     (unsigned long long)m, n->type, n->type_count,
                     (long long)o->type_count + dtype[m]);
            ok = false;
        } else if (ok && !n->type_count && n->type != PGT_none) {
            snprintf(why, whylen, "frame %llx keeps type %u with no references",
                     (unsigned long long)m, n->type);
            ok = false;
        } else if (ok && (int64_t)n->ref_count != (int64_t)o->ref_count + dref[m]) {
            snprintf(why, whylen,
                     "frame %llx (owner 0x%x, type %u/%u) has ref_count %u, but %lld "
                     "page-table entries name it",
                     (unsigned long long)m, n->owner, n->type, n->type_count, n->ref_count,
                     (long long)o->ref_count + dref[m]);
            ok = false;
        }
        for (unsigned w = 0; ok && w < NR_WANT; w++)
            if (want_cnt[m][w] && n->type != pgt_of_want[w]) {
                snprintf(why, whylen, "frame %llx has type %u, but %u entries need type %u",
                         (unsigned long long)m, n->type, want_cnt[m][w], pgt_of_want[w]);
                ok = false;
            }
        affected_map[m] = 0;
        dtype[m] = dref[m] = 0;
    }
    nr_affected = 0;
    for (unsigned i = 0; i < st.nr_ft_chg; i++)
        chg_at[st.ft_chg[i]] = 0;
    return can;
}

/* Entries needing each type, as the snapshot has them. */
static void inv_init(void)
{
    want_cnt = calloc(HC_NR_FRAMES, sizeof(*want_cnt));
    snap_want = calloc(HC_NR_FRAMES, sizeof(*snap_want));
    want_dirty = calloc(HC_NR_FRAMES, sizeof(*want_dirty));
    want_dirty_map = calloc(HC_NR_FRAMES, 1);
    if (!want_cnt || !snap_want || !want_dirty || !want_dirty_map)
        fz_die("out of memory");
    for (uint64_t f = 0; f < HC_NR_FRAMES; f++) {
        const struct page_info *pg = &hcs.snap_ft[f];
        if (!is_pt(pg))
            continue;
        const uint64_t *t = (const uint64_t *)hc_frame(hcs.snap_ram, f);
        for (unsigned s = 0; s < 512; s++) {
            uint64_t e = t[s], m = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
            unsigned w = want_of(pg->type, e);
            if ((e & _PAGE_PRESENT) && !(pg->type == PGT_l4 && s >= 256 && s <= 271) &&
                m < HC_NR_FRAMES && w < NR_WANT)
                snap_want[m][w]++;
        }
    }
    fz_memcpy(want_cnt, snap_want, HC_NR_FRAMES * sizeof(*want_cnt));
    inv_full = getenv("FUZZ_INV_FULL") != NULL;
    inv_always = getenv("FUZZ_FULL_CHECK") != NULL;
}

static void inv_restore(bool all)
{
    if (all) {
        fz_memcpy(want_cnt, snap_want, HC_NR_FRAMES * sizeof(*want_cnt));
    } else {
        for (unsigned i = 0; i < nr_want_dirty; i++)
            fz_memcpy(want_cnt[want_dirty[i]], snap_want[want_dirty[i]], sizeof(want_cnt[0]));
    }
    for (unsigned i = 0; i < nr_want_dirty; i++)
        want_dirty_map[want_dirty[i]] = 0;
    nr_want_dirty = 0;
    for (unsigned i = 0; i < nr_affected; i++) { /* a step abandoned inside inv_step */
        affected_map[affected[i]] = 0;
        dtype[affected[i]] = dref[affected[i]] = 0;
    }
    nr_affected = 0;
    for (unsigned i = 0; i < st.nr_ft_chg; i++)
        chg_at[st.ft_chg[i]] = 0;
    inv_sample = inv_always || ++inv_inputs % INV_SAMPLE == 0;
}

/*
 * A context switch took vCPU prev of domain i (not the actor's) off the CPU:
 * its runstate changed, which is all the switch may change there. Its
 * baseline takes the new runstate; the rest is compared as usual.
 */
static void switched_out(int i, const struct vcpu *prev)
{
    if (hcs.dom[i].base != &hcs.dom[i].buf) {
        hc_dom_copy(&hcs.dom[i].buf, hcs.dom[i].base);
        hcs.dom[i].base = &hcs.dom[i].buf;
    }
    hcs.dom[i].buf.vcpus[prev->vcpu_id].runstate = prev->runstate;
}

bool hc_end_step(void)
{
    if (hc_plant_name)
        hc_plant_in_step(st.actor, st.flags, st.what);
    st.active = false;
    fz.track = false; /* the checks read RAM through the core: not the guest's doing */
    bool mm = st.flags & HC_STEP_MM, need_inv = false, mem_changed = false, grown = false;
    if (mm) {
        need_inv = check_frames();
        mem_changed = check_frame_table();
        need_inv |= mem_changed;
    } else if (st.flags & HC_STEP_GNTTAB) {
        grown = check_frame_table(); /* (only frames for the grant table may change) */
    }
    if (st.flags & (HC_STEP_MM | HC_STEP_GNTTAB))
        hc_frame_table_writable(false);
    if (hv_mem.free_frames != hcs.free_frames_expected)
        fz_die("%s: free frames %llu, expected %llu (only a grant table's growth allocates any)",
               st.what, (unsigned long long)hv_mem.free_frames,
               (unsigned long long)hcs.free_frames_expected);
    if (grown && (inv_sample || inv_full)) {
        /* (The new frames were checked one by one above; the whole walk as after MM steps.) */
        char why[256] = "";
        if (hc_check_invariants(why, sizeof(why)))
            fz_die("%s by d%u: mm_check_invariants: %s", st.what, st.actor_dom, why);
    }

    /*
     * 3. Domains: the others are compared with their baseline before they
     * next act (hc_verify_unchanged), not after every step: a domain often
     * sits out several steps in a row. The actor (all, for the machine) is
     * checked and becomes stale. Cold state waits for the next step that
     * may change it (or a guest write to shared_info) or the end of the
     * input.
     */
    for (int i = 0; i < HC_NR_DOMS; i++) {
        if ((st.flags & HC_STEP_COLD) && i == st.actor && st.vcpu >= 0)
            cold_step_done(i, (unsigned)st.vcpu); /* (verified before the step: none pending) */
        else if (cold_from[i] == NONE)
            cold_from[i] = cur;
        if (!(st.mine >> i & 1)) {
            if (st.prev && st.prev->domain == hc_doms[i].d)
                switched_out(i, st.prev);
            if (others[i].from == NONE)
                others[i].from = cur;
            others[i].last = cur;
            continue;
        }
        hcs.dom[i].stale = true;
        if (refs_changed(i)) {
            if (!mm)
                fz_die("%s: the base pointers or GDT of a vCPU of d%u changed (only "
                       "memory-management hypercalls change them)",
                       st.what, hc_doms[i].d->domid);
            need_inv = mem_changed = true;
        }
        check_vcpus(i);
        ev_check(i);
        check_gnttab(i);
        if (st.promoted >> i & 1)
            check_served_ring(i);
    }

    /*
     * 4. The frame-table invariants. Their inputs are the frame table, the
     * contents of page-table frames and the vCPUs' base pointers and GDTs;
     * when none of them changed in this step, neither can the answer.
     */
    if (need_inv) {
        char why[256] = "";
        bool full = inv_full || !inv_step(why, sizeof(why));
        if (why[0])
            fz_die("%s by d%u: mm_check_invariants: %s", st.what, st.actor_dom, why);
        if (full || inv_sample) {
            if (hc_check_invariants(why, sizeof(why)))
                fz_die("%s by d%u: mm_check_invariants: %s%s", st.what, st.actor_dom, why,
                       full ? "" : " (the incremental check missed it: a bug of the target)");
            check_ref_counts(!full);
        }
    }
    if (mm)
        nr_pool = 0; /* (nothing is pending after a memory-management step's start) */
    fz.track = true;
    return mem_changed;
}

/*
 * Time passes (ticks of the TSC) with the vCPU on the CPU running, then
 * the machine runs the timers that are due: a step of the machine. None
 * may be left due.
 */
void hc_time_passes(uint64_t ticks)
{
    fz.tsc += ticks;
    uint64_t now = hc_now_ns();
    /* The singleshot timers due, before they fire. */
    uint8_t due[HC_NR_DOMS] = {0};
    for (int i = 0; i < HC_NR_DOMS; i++)
        for (unsigned k = 0; k < hc_doms[i].d->max_vcpus; k++) {
            uint64_t at = hc_doms[i].d->vcpus[k].singleshot_deadline;
            if (at && at <= now)
                due[i] |= (uint8_t)(1u << k);
        }
    /*
     * Which domains the timers may change: those with a timer due, the one
     * on the CPU (its periodic timer, the epoch's refresh of its time
     * record), every one under the periodic refresh policy. The others
     * must come out unchanged.
     */
    unsigned mine = 0;
    for (int i = 0; i < HC_NR_DOMS; i++) {
        const struct domain *d = hc_doms[i].d;
        for (unsigned k = 0; k < d->max_vcpus; k++) {
            const struct vcpu *v = &d->vcpus[k];
            if ((due[i] >> k & 1) ||
                (v->state == VCPU_POLLING && v->poll_deadline && v->poll_deadline <= now))
                mine |= 1u << i;
        }
        if ((hv.current && hv.current->domain == d) || hc_refresh_policy == TIME_REFRESH_PERIODIC)
            mine |= 1u << i;
    }
    begin_step(-1, "time", 0, mine);
    sched_run_timers();
    hc_end_step();
    for (int i = 0; i < HC_NR_DOMS; i++) {
        const struct domain *d = hc_doms[i].d;
        if (!d->in_use || d->is_shutting_down)
            continue;
        for (unsigned k = 0; k < d->max_vcpus; k++) {
            const struct vcpu *v = &d->vcpus[k];
            if (v->singleshot_deadline && v->singleshot_deadline <= now)
                fz_die("time: d%uv%u's singleshot timer (due at %llu) is still armed at %llu",
                       d->domid, k, (unsigned long long)v->singleshot_deadline,
                       (unsigned long long)now);
            uint32_t port = v->virq_to_port[VIRQ_TIMER];
            if ((due[i] >> k & 1) && port && port < 64 &&
                !(d->shared_info->evtchn_pending[0] >> port & 1))
                fz_die("time: d%uv%u's singleshot timer fired, but its VIRQ_TIMER port %u is not "
                       "pending",
                       d->domid, k, port);
            if (v->state == VCPU_POLLING && v->poll_deadline && v->poll_deadline <= now)
                fz_die("time: d%uv%u still polls, its deadline %llu passed (now %llu)", d->domid, k,
                       (unsigned long long)v->poll_deadline, (unsigned long long)now);
        }
    }
    const struct vcpu *c = hv.current;
    if (c && c->domain->in_use && !c->domain->is_shutting_down &&
        c->runstate.state == RUNSTATE_running && hc_runnable(c) && c->periodic_period &&
        c->virq_to_port[VIRQ_TIMER] && c->periodic_last + c->periodic_period <= now)
        fz_die("time: d%uv%u is on the CPU with VIRQ_TIMER bound, its periodic timer (every %llu "
               "ns, last %llu) is due at %llu",
               c->domain->domid, c->vcpu_id, (unsigned long long)c->periodic_period,
               (unsigned long long)c->periodic_last, (unsigned long long)now);
}

#define IDLE_MAX_NS (1ULL << 42) /* about 73 minutes: a later deadline is not waited for */

static void take_min(uint64_t *best, uint64_t t)
{
    if (t && (!*best || t < *best))
        *best = t;
}

/*
 * The machine idles until the next deadline, as the simulator does when no
 * vCPU can run. sched_next_deadline must name the earliest armed timer:
 * singleshot timers, poll deadlines, and the periodic timer of the vCPU on
 * the CPU when VIRQ_TIMER is bound (one it missed would never fire in an
 * idle machine; 0 with a timer armed would be a deadlock).
 */
void hc_idle(void)
{
    uint64_t want = 0;
    for (int i = 0; i < HC_NR_DOMS; i++) {
        const struct domain *d = hc_doms[i].d;
        if (!d->in_use || d->is_shutting_down)
            continue;
        for (unsigned k = 0; k < d->max_vcpus; k++) {
            const struct vcpu *v = &d->vcpus[k];
            if (v->state == VCPU_POLLING)
                take_min(&want, v->poll_deadline);
            take_min(&want, v->singleshot_deadline);
        }
    }
    const struct vcpu *c = hv.current;
    if (c && c->domain->in_use && !c->domain->is_shutting_down &&
        c->runstate.state == RUNSTATE_running && hc_runnable(c) && c->periodic_period &&
        c->virq_to_port[VIRQ_TIMER])
        take_min(&want, c->periodic_last + c->periodic_period);
    uint64_t at = sched_next_deadline();
    if (at != want)
        fz_die("idle: sched_next_deadline() = %llu, but the earliest timer is due at %llu",
               (unsigned long long)at, (unsigned long long)want);
    if (!at)
        return; /* nothing would ever wake the machine: the simulator reports a deadlock */
    /* The fewest ticks that reach the deadline (at most IDLE_MAX_NS ahead: the TSC is finite). */
    uint64_t now = hc_now_ns(), target = at, tsc = fz.tsc, ticks = 0;
    if (target > now && target - now > IDLE_MAX_NS)
        target = now + IDLE_MAX_NS;
    if (target > now) {
        /* The inverse of the scale, then the last few ticks its rounding takes. */
        unsigned __int128 d = (((unsigned __int128)(target - now) << 32) + pv_mul - 1) / pv_mul;
        ticks = (uint64_t)(pv_shift < 0 ? d << -pv_shift : d >> pv_shift);
        ticks = ticks > 8 ? ticks - 8 : 0;
        for (fz.tsc = tsc + ticks; hc_now_ns() < target; fz.tsc++)
            ticks++;
        fz.tsc = tsc;
    }
    if (hc_trace_steps)
        fprintf(stderr, "idle until %llu (%llu ticks)\n", (unsigned long long)at,
                (unsigned long long)ticks);
    hc_time_passes(ticks);
}

void hc_end_input(void)
{
    fz.track = false;
    for (int i = 0; i < HC_NR_DOMS; i++) {
        hc_verify_unchanged(i);
        verify_cold(i);
    }
    fz.track = true;
}

void hc_step_reset(bool all)
{
    inv_restore(all);
    nr_pool = 0;
    nr_steps = cur = 0;
    last_now = 0;
    for (int i = 0; i < HC_NR_DOMS; i++)
        others[i].from = cold_from[i] = NONE;
    hc_trace_hash = 0xcbf29ce484222325ULL;
    st.active = false;
    fz.track = true;
    if (hc_plant_name)
        hc_plant_reset();
}

void hc_step_init(void)
{
    pool = malloc((size_t)POOL_SLOTS * PAGE_SIZE);
    stamp = calloc(HC_NR_FRAMES, sizeof(*stamp));
    ro_now = calloc(HC_NR_FRAMES, 1);
    if (!pool || !stamp || !ro_now)
        fz_die("out of memory");
    inv_init();
    pv_scale_init(arch_tsc_khz() * 1000ULL);
    for (int i = 0; i < HC_NR_DOMS; i++) {
        const struct domain *d = &hcs.snap_hv.domains[hc_doms[i].d - hv.domains];
        for (unsigned k = 0; k < d->max_vcpus; k++) {
            const struct vcpu_runstate_info *r = &d->vcpus[k].runstate;
            runstate_sum[i][k] =
                r->time[0] + r->time[1] + r->time[2] + r->time[3] - r->state_entry_time;
        }
    }
    fz.on_touch = on_touch;
    fz.on_trace = on_trace;
    fz.on_deschedule = on_deschedule;
    fz.on_backend_notify = on_backend_notify;
    hc_plant_init();
}
