/* libFuzzer target: guest hypercalls and exits against the hosted core, checked after every step.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_arch.h"
#include "hc_machine.h"
#include "hv/console.h"
#include "hv/entry.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/mm.h"
#include "hv/traps.h"
#include "public/xen.h"

/*
 * The machine, its two domains and the oracles are in hc_machine.c. This
 * file turns input bytes into guest actions (little endian throughout; also
 * in fuzz/README.md):
 *
 *   header, 4 bytes:
 *     [0] flags: bit 0 d2 starts in user mode, bit 1 d2 starts crashed,
 *                bit 2 no free frames left (every one reserved: failure
 *                injection), bit 3 the console backend has input ([1] bytes),
 *                bits 4-5 the core's time-record refresh policy (enum
 *                time_refresh), bits 6-7 its period for "periodic" (1 ms
 *                times 10 to the power)
 *     [1] bytes of console input for CONSOLEIO_read
 *     [2..3] TSC advance before the first step, in units of 4096 ticks
 *   then steps until the input ends. A step starts with one byte: low
 *   nibble the kind (enum step, mod NR_STEPS), high nibble the domain
 *   (mod 2) whose vCPU runs or who is concerned. A step whose bytes run
 *   out is dropped; a guest step of a domain with no runnable vCPU is
 *   skipped (the machine would not run it).
 *
 * The CPU: one vCPU at a time is on it. Before a guest step that enters
 * the core (a hypercall, an exception, a page fault, CPUID) by a vCPU that
 * is not on it, the machine switches to it (hv_entry_schedule); then, and
 * after every exit the core handled, a pending upcall is delivered
 * (hv_entry_resume), as the simulator does at the start of a slice and
 * after each exit. Steps in which the guest only writes its own memory or
 * registers do not need the CPU's state: they neither switch nor deliver. Time passes
 * only in time steps (and the header's advance): the vCPU on the CPU runs
 * meanwhile, so its periodic timer fires there.
 *
 * Guest pointers: structures go into guest memory (S_BLOB, usually the
 * scratch area) and arguments can point there (argument kind 3: scratch +
 * u16). The fuzzer cannot know where the builder put a domain, so MFNs are
 * written as PFNs and translated (argument kinds 4 and 5, and S_RELOC for
 * values inside structures). Nor does it know the time: bit 15 of the
 * argument kinds makes the first argument relative to the system time now
 * (set_timer_op), and S_RELOC does the same to a u64 in memory
 * (vcpu_set_singleshot_timer, sched_poll timeouts).
 */

enum step {
    S_HYPERCALL,  /* nr u8, arg kinds u16 (3 bits each), 5 args: `syscall` in the guest */
    S_BLOB,       /* arg kind u8, arg (a VA), len u16, bytes: the guest writes its memory */
    S_RELOC,      /* arg kind u8, arg (a VA), how u8: rewrite the u64 there (see step_reloc) */
    S_SETREG,     /* reg u8, arg kind u8, arg: the guest sets a register */
    S_EXCEPTION,  /* vector u8, error code u32: the guest raises an exception */
    S_PAGE_FAULT, /* arg kind u8, arg, access u8: an access the page tables refuse */
    S_CPUID,      /* leaf u32, subleaf u32: the forced-emulation CPUID exit */
    S_BACKEND,    /* which u8: the console (even) or xenstore (odd) backend notifies; 128 and */
                  /* up: the toolstack injects an event on port which - 128 (evtchn_inject) */
    S_RING,       /* the console backend drains the ring without a notify */
    S_TIME,       /* ticks u32 (x256): time passes, the timers due fire; 0: the CPU idles */
                  /* until the next timer deadline (sched_next_deadline), if there is one */
    S_SHINFO,     /* off u16, len u8, bytes: the guest writes its shared_info */
    S_MULTI,      /* count u8 (mod 16), then count x (op u8, kinds u16, 5 args): a multicall */
    NR_STEPS
};

#define MULTI_VA (HC_SCRATCH_VA + 0x1000) /* where S_MULTI puts its list */
#define MAX_BLOB 8192
#define FULL_CHECK_EVERY 8192

static unsigned long long nr_inputs;
static bool full_check_always;

struct cursor {
    const uint8_t *p;
    size_t n;
    bool short_read;
};

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "inputs are read as little endian");

/* 1, 2, 4 or 8 bytes of the input (fixed-size loads: no memcpy call per argument). */
static uint64_t get_n(struct cursor *c, unsigned bytes)
{
    if (c->n < bytes) {
        c->short_read = true;
        c->n = 0;
        return 0;
    }
    uint64_t v;
    uint32_t v4;
    uint16_t v2;
    switch (bytes) {
    case 1:
        v = c->p[0];
        break;
    case 2:
        __builtin_memcpy(&v2, c->p, 2);
        v = v2;
        break;
    case 4:
        __builtin_memcpy(&v4, c->p, 4);
        v = v4;
        break;
    default:
        __builtin_memcpy(&v, c->p, 8);
        break;
    }
    c->p += bytes;
    c->n -= bytes;
    return v;
}

/* Up to max bytes of the input, as they are (a blob). */
static const uint8_t *get_bytes(struct cursor *c, size_t *len)
{
    if (*len > c->n)
        *len = c->n;
    const uint8_t *p = c->p;
    c->p += *len;
    c->n -= *len;
    return p;
}

/* Bits 12..51 hold a frame number: the domain's PFN there becomes its MFN. */
static uint64_t p2m_xlate(const struct hc_dom *hd, uint64_t v)
{
    uint64_t pfn = (v & PTE_ADDR_MASK) >> PAGE_SHIFT;
    uint64_t mfn = (hd->base_mfn + pfn) & (PTE_ADDR_MASK >> PAGE_SHIFT);
    return (v & ~PTE_ADDR_MASK) | (mfn << PAGE_SHIFT);
}

/*
 * An argument: kind (3 bits), then its bytes.
 *   0: 0             1: u8            2: u64 as is       3: HC_SCRATCH_VA + u16
 *   4: u64 whose frame field (bits 12..51) is a PFN of the domain, made its
 *      MFN: a machine address or a PTE value
 *   5: the domain's PFN u16 as an MFN (beyond its pages: someone else's)
 *   6: DOMID_SELF    7: u32
 */
static uint64_t get_arg(struct cursor *c, const struct hc_dom *hd, unsigned kind)
{
    switch (kind & 7) {
    case 0:
        return 0;
    case 1:
        return get_n(c, 1);
    case 2:
        return get_n(c, 8);
    case 3:
        return HC_SCRATCH_VA + get_n(c, 2);
    case 4:
        return p2m_xlate(hd, get_n(c, 8));
    case 5:
        return hd->base_mfn + get_n(c, 2);
    case 6:
        return DOMID_SELF;
    default:
        return get_n(c, 4);
    }
}

/* The argument kinds (u16), then the arguments; bit 15: the first is relative to the time now. */
static void get_args(struct cursor *c, const struct hc_dom *hd, uint64_t a[5])
{
    unsigned kinds = (unsigned)get_n(c, 2);
    for (int i = 0; i < 5; i++)
        a[i] = get_arg(c, hd, kinds >> (3 * i));
    if (kinds & 0x8000)
        a[0] += hc_now_ns(); /* modulo 2^64: a "negative" argument lies in the past */
}

/* The vCPU that runs for domain i: the first runnable one (vCPU 0 is the only one up). */
static struct vcpu *running_vcpu(int i)
{
    struct domain *d = hc_doms[i].d;
    for (unsigned k = 0; k < d->max_vcpus; k++)
        if (hc_runnable(&d->vcpus[k]))
            return &d->vcpus[k];
    return NULL;
}

static bool upcall_deliverable(struct vcpu *v)
{
    const struct vcpu_info *vi = &v->domain->shared_info->vcpu_info[v->vcpu_id];
    return vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask;
}

/* Back to the guest after an exit: hv_entry_resume, which does nothing without an upcall to give.
 */
static void resume(struct vcpu *v)
{
    if (upcall_deliverable(v))
        hv_entry_resume(v);
}

/*
 * Domain i's guest is about to run: its vCPU, put on the CPU if another
 * vCPU was there or it left it, with a pending upcall delivered first
 * (steps of the domain). NULL: it cannot run.
 */
static struct vcpu *run_vcpu(int i)
{
    struct vcpu *v = running_vcpu(i);
    if (v && (hv.current != v || v->runstate.state != RUNSTATE_running)) {
        hc_begin_step(i, "context switch", HC_STEP_SWITCH);
        hv_entry_schedule(v);
        hc_end_step();
        v = running_vcpu(i);
    }
    if (v && upcall_deliverable(v)) {
        hc_begin_step(i, "event upcall", 0);
        hv_entry_resume(v);
        hc_end_step();
        v = running_vcpu(i);
    }
    return v;
}

/* Registers as a ring-3 guest can set them: any GPR or RIP, RFLAGS but IOPL/VM, one of two cs. */
static void set_reg(struct vcpu *v, unsigned int n, uint64_t val)
{
    struct cpu_user_regs *r = &v->regs;
    uint64_t *gprs[] = {&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
                        &r->rbp, &r->rsp, &r->r8,  &r->r9,  &r->r10, &r->r11,
                        &r->r12, &r->r13, &r->r14, &r->r15, &r->rip};
    n %= 19;
    if (n < 17)
        *gprs[n] = val;
    else if (n == 17)
        r->rflags = (val & ~(uint64_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF | 2;
    else
        r->cs = (val & 1) ? FLAT_RING3_CS32 : FLAT_KERNEL_CS64;
}

/*
 * The memory-management calls that do one thing: when they fail, they did
 * nothing (Xen releases what a failed validation took). Batches of more
 * than one request stop at the first failure after doing the others.
 */
static bool fails_atomically(uint64_t nr, const uint64_t a[5])
{
    switch (nr) {
    case __HYPERVISOR_update_va_mapping:
    case __HYPERVISOR_set_gdt:
    case __HYPERVISOR_update_descriptor:
        return true;
    case __HYPERVISOR_mmu_update:
    case __HYPERVISOR_mmuext_op:
        return a[1] <= 1;
    default:
        return false;
    }
}

/*
 * `syscall` with the PV ABI's registers: a hypercall in kernel mode, a
 * bounce in user mode. `flags` (HC_STEP_*): what the hypercall (a
 * multicall: its entries) may change.
 */
static void do_syscall(int di, struct vcpu *v, uint64_t nr, const uint64_t a[5], unsigned flags)
{
    struct cpu_user_regs *r = &v->regs;
    hc_changed_outside_step(di); /* the guest loads the registers */
    r->rax = nr;
    r->rdi = a[0];
    r->rsi = a[1];
    r->rdx = a[2];
    r->r10 = a[3];
    r->r8 = a[4];
    r->rip += 2; /* the machines hand the core the address after the syscall */
    bool kernel = v->kernel_mode;
    hc_begin_step(di, kernel ? hypercall_name((unsigned int)nr) : "user-mode syscall",
                  kernel ? flags : 0);
    hv_entry_syscall(v);
    resume(v); /* back to the guest: an upcall the call raised or unmasked */
    bool changed = hc_end_step();
    if (!kernel)
        return;
    long rc = (long)r->rax;
    if (nr != __HYPERVISOR_iret && !fz_result_valid(rc))
        fz_die("hypercall %llu left rax 0x%llx, neither >= 0 nor a Xen errno",
               (unsigned long long)nr, (unsigned long long)r->rax);
    if (rc < 0 && changed && fails_atomically(nr, a))
        fz_die("%s failed (%ld) but changed the frame table or a vCPU's page tables or GDT",
               hypercall_name((unsigned int)nr), rc);
}

static void step_reloc(int di, struct vcpu *v, uint64_t va, unsigned how)
{
    const struct hc_dom *hd = &hc_doms[di];
    uint64_t val;
    if (hc_guest_read(v, &val, va, 8))
        return;
    switch (how % 5) {
    case 0: /* a PFN of this domain -> its MFN */
        val = hd->base_mfn + val;
        break;
    case 1: /* a machine address or PTE with a PFN in bits 12..51 */
        val = p2m_xlate(hd, val);
        break;
    case 2: /* an offset into scratch -> a pointer */
        val = HC_SCRATCH_VA + val;
        break;
    case 3: /* a PFN of the *other* domain: a foreign MFN, which the core must refuse */
        val = hc_doms[(di + 1) % HC_NR_DOMS].base_mfn + val;
        break;
    default: /* a time relative to now (modulo 2^64: "negative" is in the past) */
        val += hc_now_ns();
        break;
    }
    (void)hc_guest_write(v, va, &val, 8);
}

/* The exceptions the machines deliver through hv_entry_exception. */
static bool exception_delivered(unsigned vec)
{
    /* Not NMI, #DF, #MC (fatal to the machine) or #PF (its own entry). */
    return vec != X86_EXC_NMI && vec != X86_EXC_DF && vec != 18 && vec != X86_EXC_PF;
}

/* One guest exit the core handles, then the way back to the guest (a pending upcall). */
static void guest_exit(int di, struct vcpu *v, const char *what, int kind, unsigned vec,
                       uint32_t ec, uint64_t va, int access)
{
    hc_begin_step(di, what, 0);
    if (kind == S_EXCEPTION)
        hv_entry_exception(v, vec, ec);
    else if (kind == S_PAGE_FAULT)
        hv_entry_page_fault(v, va, access);
    else
        hv_entry_cpuid(v);
    resume(v);
    hc_end_step();
}

/* S_MULTI: the list goes to guest memory, then the multicall. */
static void step_multi(struct cursor *c, int di)
{
    const struct hc_dom *hd = &hc_doms[di];
    unsigned count = (unsigned)get_n(c, 1) % 16;
    struct multicall_entry e[16];
    struct vcpu *v;
    uint64_t a[5];
    memset(e, 0, sizeof(e));
    for (unsigned k = 0; k < count; k++) {
        e[k].op = get_n(c, 1);
        get_args(c, hd, a);
        memcpy(e[k].args, a, sizeof(a));
    }
    if (c->short_read || !(v = run_vcpu(di)))
        return;
    hc_changed_outside_step(di);
    bool refused = hc_guest_write(v, MULTI_VA, e, count * sizeof(e[0]));
    if (refused)
        return;
    const uint64_t m[5] = {MULTI_VA, count, 0, 0, 0};
    /* (What the list asks for says little: an entry may rewrite the ones after it.) */
    do_syscall(di, v, __HYPERVISOR_multicall, m, hc_hypercall_flags(__HYPERVISOR_multicall, 0));
}

/* S_RING: the console backend drains the ring without a notify. */
static void step_ring(int di)
{
    const struct hc_dom *hd = &hc_doms[di];
    const char *why = NULL;
    hc_begin_step(di, "console ring drain", 0);
    int n = console_ring_consume(hd->d, hc_ring_buf, &why);
    hc_end_step();
    hc_check_ring_result(hd->d, n, why);
}

static void step(struct cursor *c)
{
    uint8_t op = (uint8_t)get_n(c, 1);
    int di = (op >> 4) % HC_NR_DOMS;
    struct hc_dom *hd = &hc_doms[di];
    struct vcpu *v;
    uint64_t a[5];

    switch ((op & 15) % NR_STEPS) {
    case S_HYPERCALL: {
        uint64_t nr = get_n(c, 1);
        get_args(c, hd, a);
        if (!c->short_read && (v = run_vcpu(di)))
            do_syscall(di, v, nr, a, hc_hypercall_flags(nr, a[0]));
        return;
    }
    case S_MULTI:
        step_multi(c, di);
        return;
    case S_BLOB: {
        unsigned kind = (unsigned)get_n(c, 1);
        uint64_t va = get_arg(c, hd, kind);
        size_t len = get_n(c, 2) % (MAX_BLOB + 1);
        const uint8_t *bytes = get_bytes(c, &len);
        if (c->short_read || !(v = running_vcpu(di)))
            return;
        hc_changed_outside_step(di);
        (void)hc_guest_write(v, va, bytes, len); /* refused: nor could the guest */
        return;
    }
    case S_RELOC: {
        unsigned kind = (unsigned)get_n(c, 1);
        uint64_t va = get_arg(c, hd, kind);
        unsigned how = (unsigned)get_n(c, 1);
        if (c->short_read || !(v = running_vcpu(di)))
            return;
        hc_changed_outside_step(di);
        step_reloc(di, v, va, how);
        return;
    }
    case S_SETREG: {
        unsigned reg = (unsigned)get_n(c, 1), kind = (unsigned)get_n(c, 1);
        uint64_t val = get_arg(c, hd, kind);
        if (c->short_read || !(v = running_vcpu(di)))
            return;
        hc_changed_outside_step(di);
        set_reg(v, reg, val);
        return;
    }
    case S_EXCEPTION: {
        unsigned vec = (unsigned)get_n(c, 1);
        uint32_t ec = (uint32_t)get_n(c, 4);
        if (c->short_read || !exception_delivered(vec) || !(v = run_vcpu(di)))
            return;
        guest_exit(di, v, "exception", S_EXCEPTION, vec, ec, 0, 0);
        return;
    }
    case S_PAGE_FAULT: {
        unsigned kind = (unsigned)get_n(c, 1);
        uint64_t va = get_arg(c, hd, kind), maddr;
        int access = (int)(get_n(c, 1) % 3);
        if (c->short_read || !(v = run_vcpu(di)))
            return;
        /* A consistent MMU faults only where the tables refuse (no stale shadow here). */
        if (!(hc_translate(v, va, access, &maddr) & MM_XLAT_FAULT))
            return;
        guest_exit(di, v, "page fault", S_PAGE_FAULT, 0, 0, va, access);
        return;
    }
    case S_CPUID: {
        uint64_t leaf = get_n(c, 4), sub = get_n(c, 4);
        if (c->short_read || !(v = run_vcpu(di)))
            return;
        hc_changed_outside_step(di);
        v->regs.rax = leaf;
        v->regs.rcx = sub;
        v->regs.rip += 2;
        guest_exit(di, v, "cpuid", S_CPUID, 0, 0, 0, 0);
        return;
    }
    case S_BACKEND: {
        unsigned which = (unsigned)get_n(c, 1);
        struct domain *d = hd->d;
        if (!c->short_read && which >= 128) {
            hc_begin_step(di, "toolstack inject", 0);
            long rc = evtchn_inject(d, which - 128);
            hc_end_step();
            if (rc && rc != -XEN_EINVAL)
                fz_die("evtchn_inject(d%u, %u) = %ld", d->domid, which - 128, rc);
            return;
        }
        uint32_t port = (which & 1) ? d->store_port : d->console_port;
        /* The machines only send on ports that are theirs. */
        if (c->short_read || port >= HV_NR_EVTCHN || d->evtchn[port].state != ECS_INTERDOMAIN ||
            d->evtchn[port].backend == EVB_NONE)
            return;
        hc_begin_step(di, "backend notify", 0);
        evtchn_backend_send(d, port);
        hc_end_step();
        return;
    }
    case S_RING:
        step_ring(di);
        return;
    case S_TIME: {
        uint64_t ticks = get_n(c, 4);
        if (c->short_read)
            return;
        if (ticks)
            hc_time_passes(ticks << 8);
        else
            hc_idle();
        return;
    }
    case S_SHINFO: {
        uint64_t off = get_n(c, 2) % PAGE_SIZE;
        size_t len = get_n(c, 1);
        if (len > PAGE_SIZE - off)
            len = PAGE_SIZE - off;
        const uint8_t *bytes = get_bytes(c, &len);
        if (c->short_read || !(v = running_vcpu(di)))
            return;
        /* The guest maps its shared_info writable (as Linux does) and writes it. */
        hc_changed_outside_step(di);
        hc_guest_writes(hd->shinfo_mfn);
        memcpy(fz.ram + hd->shinfo_mfn * PAGE_SIZE + off, bytes, len);
        return;
    }
    default:
        return;
    }
}

/*
 * ASan's defaults for this binary (ASAN_OPTIONS still overrides them). The
 * core never allocates and the target allocates only at start-up, so the
 * heap a run uses is libFuzzer's own bookkeeping: its freed blocks need no
 * quarantine (which made every allocation touch fresh, zeroed pages) and
 * its allocations no recorded stacks. Together those were a tenth of the
 * time. Every access the core makes is still checked as before.
 */
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=0:malloc_context_size=0";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    hc_machine_init();
    full_check_always = getenv("FUZZ_FULL_CHECK") != NULL;
    return 0;
}

static const uint8_t console_text[256] = "fuzz console input\nline two\n";

/*
 * Run one input from the snapshot and put the snapshot back. With
 * `fingerprint`, return a hash of what the input did (every trace record,
 * and each domain's vCPUs and memory at the end) for the determinism check.
 */
static uint64_t run(const uint8_t *data, size_t size, bool fingerprint)
{
    struct cursor c = {data, size, false};
    uint8_t flags = (uint8_t)get_n(&c, 1), con = (uint8_t)get_n(&c, 1);
    uint64_t tsc_adv = get_n(&c, 2);
    hc_fingerprint = fingerprint;

    /* The start state the header asks for (all zero: the snapshot as it is). */
    if (flags & 0xf0) {
        static const uint64_t period_ms[4] = {1, 10, 100, 1000};
        hc_time_policy(flags >> 4 & 3, period_ms[flags >> 6] * 1000000ULL);
    }
    if (flags & 8) {
        fz.con_in = console_text;
        fz.con_in_len = con;
    }
    struct vcpu *v1 = running_vcpu(1);
    if ((flags & 1) && v1 && mfn_x(v1->guest_table_user)) {
        hc_changed_outside_step(1);
        pv_toggle_guest_mode(v1);
    }
    if (flags & 2) {
        hc_changed_outside_step(1);
        domain_crash(hc_doms[1].d, "fuzz: started crashed");
    }
    if (flags & 4)
        hc_start_exhausted();

    hc_budget_reset();
    bool abandoned = false;
    if (setjmp(hc_budget_jmp) == 0) {
        if (tsc_adv)
            hc_time_passes(tsc_adv << 12);
        while (c.n)
            step(&c);
        hc_end_input();
    } else {
        abandoned = true; /* left inside the core: nothing more to check, all to restore */
        if (hc_trace_steps)
            fprintf(stderr, "input abandoned: over its work budget\n");
    }

    uint64_t h = hc_trace_hash;
    if (fingerprint) {
        for (int i = 0; i < HC_NR_DOMS; i++) {
            const struct domain *d = hc_doms[i].d;
            h = hc_hash(h, d->vcpus, d->max_vcpus * sizeof(d->vcpus[0]));
            h = hc_hash(h, &d->is_shutting_down, sizeof(d->is_shutting_down));
        }
        for (size_t i = 0; i < fz.nr_touched; i++)
            h = hc_hash(h, fz.ram + (uint64_t)fz.touch_at[i] * PAGE_SIZE, PAGE_SIZE);
    }
    hc_restore(abandoned);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /*
     * Every few thousand inputs (every input with FUZZ_FULL_CHECK=1): the
     * machine must be the snapshot again, and the same input run again
     * must do the same (which a restore that forgot something, or a read
     * of uninitialised state in the core, would break).
     */
    if (!nr_inputs)
        hc_catch_ro_writes(); /* (now: libFuzzer sets its handlers after LLVMFuzzerInitialize) */
    bool full = full_check_always || ++nr_inputs % FULL_CHECK_EVERY == 0;
    uint64_t h = run(data, size, full);
    if (!full)
        return 0;
    hc_full_check();
    if (run(data, size, true) != h)
        fz_die("the same input ran differently the second time (FUZZ_TRACE=1 shows both runs)");
    hc_full_check();
    return 0;
}
