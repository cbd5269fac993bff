/* Running guests on the real CPU: trap dispatch into the core, round-robin scheduling, idling, the
 * end. */
#include "hv/arch.h"
#include "hv/entry.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/time.h"
#include "hv/trace.h"
#include "x86.h"

/*
 * One physical CPU runs every vCPU in turn. `cur` is the vCPU whose
 * registers the entry frame holds. After the core has handled an entry,
 * resume() picks who runs next: `cur` again while it is runnable and its
 * slice lasts, otherwise the next runnable vCPU in the order domains were
 * created (round-robin). With nothing runnable the CPU halts until the LAPIC
 * tick, running the core's timers after each one, until a vCPU wakes, every
 * domain has shut down (the end), or nothing could ever wake one (deadlock).
 */
static struct vcpu *order[HV_MAX_DOMAINS * HV_MAX_VCPUS];
static unsigned int nr_order, rr;
static struct vcpu *cur;    /* registers in the entry frame / CPU */
static struct vcpu *loaded; /* whose GDT and page tables the CPU has */
static bool mmu_dirty, seg_dirty;
static uint64_t slice_end_tsc;
static uint64_t empty_l4_maddr; /* only the hypervisor slots: user mode without a user table */

unsigned int slice_ms = 10;
bool exit_qemu;

void sched_add(struct domain *d)
{
    for (unsigned int i = 0; i < d->max_vcpus && nr_order < ARRAY_SIZE(order); i++)
        order[nr_order++] = &d->vcpus[i];
}

void sched_mmu_changed(struct vcpu *v)
{
    if (v == loaded)
        mmu_dirty = true;
}

void sched_segments_changed(struct vcpu *v)
{
    if (v == loaded)
        seg_dirty = true;
}

/* The core's deschedule needs nothing here: resume() asks vcpu_runnable() after every entry. */
void sched_deschedule(struct vcpu *v) {}

static struct x86_frame *top_frame(void)
{
    uint64_t top;

    /* Through a register: the compiler must not reason about the symbol's bounds. */
    __asm__("" : "=r"(top) : "0"(hv_stack_top));
    return (struct x86_frame *)(top - sizeof(struct x86_frame));
}

static void save_guest(struct vcpu *v, const struct x86_frame *f)
{
    struct cpu_user_regs *r = &v->regs;

    r->rax = f->rax;
    r->rbx = f->rbx;
    r->rcx = f->rcx;
    r->rdx = f->rdx;
    r->rsi = f->rsi;
    r->rdi = f->rdi;
    r->rbp = f->rbp;
    r->rsp = f->rsp;
    r->r8 = f->r8;
    r->r9 = f->r9;
    r->r10 = f->r10;
    r->r11 = f->r11;
    r->r12 = f->r12;
    r->r13 = f->r13;
    r->r14 = f->r14;
    r->r15 = f->r15;
    r->rip = f->rip;
    r->rflags = f->rflags;
    r->cs = (uint16_t)f->cs;
    r->ss = (uint16_t)f->ss;
    cpu_save_guest_segments(r);
}

/*
 * The iret frame a guest may have: IF always set (the guest's own
 * interrupt flag is evtchn_upcall_mask), IOPL 0, no NT/VM; RPL 3 selectors
 * (a bad CS/SS makes the iretq fault, which x86_trap turns into a crash of
 * that domain).
 */
static void load_frame(struct x86_frame *f, const struct cpu_user_regs *r)
{
    f->rax = r->rax;
    f->rbx = r->rbx;
    f->rcx = r->rcx;
    f->rdx = r->rdx;
    f->rsi = r->rsi;
    f->rdi = r->rdi;
    f->rbp = r->rbp;
    f->rsp = r->rsp;
    f->r8 = r->r8;
    f->r9 = r->r9;
    f->r10 = r->r10;
    f->r11 = r->r11;
    f->r12 = r->r12;
    f->r13 = r->r13;
    f->r14 = r->r14;
    f->r15 = r->r15;
    f->rip = r->rip;
    f->rflags = (r->rflags & ~(uint64_t)(X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_VM)) |
                X86_EFLAGS_IF | 0x2;
    f->cs = r->cs | 3;
    f->ss = r->ss | 3;
    f->vector = f->error_code = 0;
}

static uint64_t guest_cr3(const struct vcpu *v)
{
    mfn_t t = v->kernel_mode ? v->guest_table : v->guest_table_user;

    return mfn_x(t) ? mfn_x(t) << PAGE_SHIFT : empty_l4_maddr;
}

__attribute__((noreturn)) static void enter(struct vcpu *v)
{
    struct x86_frame *f = top_frame();

    if (v != loaded || seg_dirty)
        cpu_load_guest_gdt(v);
    uint64_t cr3 = guest_cr3(v);
    if (v != loaded || mmu_dirty || read_cr(3) != cr3)
        write_cr(3, cr3); /* also flushes the TLB after the core changed mappings */
    loaded = v;
    mmu_dirty = seg_dirty = false;
    cur = v;
    cpu_load_guest_segments(&v->regs);
    load_frame(f, &v->regs);
    x86_exit_to_guest(f);
}

static bool all_shut_down(void)
{
    for (unsigned int i = 0; i < nr_order; i++)
        if (!order[i]->domain->is_shutting_down)
            return false;
    return true;
}

static struct vcpu *pick_next(void)
{
    if (cur && vcpu_runnable(cur) && rdtsc() < slice_end_tsc)
        return cur;
    for (unsigned int i = 1; i <= nr_order; i++) {
        unsigned int k = (rr + i) % nr_order;
        if (vcpu_runnable(order[k])) {
            rr = k;
            slice_end_tsc = rdtsc() + x86_tsc_khz() * slice_ms;
            return order[k];
        }
    }
    return NULL;
}

static const char *shutdown_word(const struct domain *d)
{
    if (!d->is_shutting_down)
        return "none";
    return d->is_crashed ? "crash" : shutdown_reason_name(d->shutdown_reason);
}

/* Every domain is done (or can never move again): summary lines, then stop the machine. */
__attribute__((noreturn)) static void finish(const char *why)
{
    unsigned int n = 0, ok = 0;

    __asm__ volatile("cli");
    hv_log("%s", why);
    for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *d = &hv.domains[i];
        if (!d->in_use)
            continue;
        dom_console_flush(d);
        if (d->is_crashed)
            hv_log("%s crashed: %s", d->name, d->crash_reason);
    }
    for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *d = &hv.domains[i];
        if (!d->in_use)
            continue;
        const char *w = dom_result_word(d);
        n++;
        ok += !hv_strcmp(w, "SUCCESS");
        x86_printf("hvsim: result %s %s %s\n", d->name, w, shutdown_word(d));
    }
    x86_report_failed_builds(&n);
    x86_printf("hvsim: done %u/%u SUCCESS\n", ok, n);
    x86_exit(ok == n && n ? 0 : 1);
}

/* No vCPU can run: sleep until the tick, then let the core's timers wake whoever is due. */
static void idle_once(void)
{
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    sched_run_timers();
}

__attribute__((noreturn)) static void resume(void)
{
    for (;;) {
        struct vcpu *v = pick_next();
        if (v) {
            hv_entry_schedule(v); /* a no-op unless the CPU idled or ran another vCPU */
            hv_entry_resume(v);   /* may bounce to the event callback, or crash the domain */
            if (vcpu_runnable(v))
                enter(v);
            continue;
        }
        if (all_shut_down())
            finish("all domains shut down");
        if (!sched_next_deadline())
            finish("deadlock: every vCPU is blocked and no timer is pending");
        idle_once();
    }
}

__attribute__((noreturn)) void sched_start(void)
{
    mfn_t m;

    if (mm_alloc_frame(DOMID_XEN, &m))
        hv_panic("no frame for the empty L4");
    uint64_t *l4 = arch_mfn_to_virt(m);
    for (unsigned int i = 0; i < 16; i++)
        l4[256 + i] = hv_mem.xen_l4[i];
    empty_l4_maddr = mfn_x(m) << PAGE_SHIFT;
    if (!nr_order)
        finish("no domains to run");
    rr = nr_order - 1;
    resume();
}

static int access_of(uint64_t pfec)
{
    if (pfec & PFEC_insn_fetch)
        return ACCESS_FETCH;
    return (pfec & PFEC_write) ? ACCESS_WRITE : ACCESS_READ;
}

/* An event while the hypervisor itself ran (idle loop, or a bug). */
static void hypervisor_event(struct x86_frame *f)
{
    switch (f->vector) {
    case VEC_TIMER:
        lapic_eoi();
        return;
    case VEC_SPURIOUS:
        return;
    case X86_EXC_NMI:
        hv_log("NMI in the hypervisor (ignored)");
        return;
    }
    if (f->vector >= VEC_PIC_BASE && f->vector < VEC_PIC_BASE + 16)
        return; /* spurious legacy PIC interrupt */
    if (f->rip == (uint64_t)x86_iret_insn && cur) {
        /*
         * The iretq to the guest faulted: the frame the core let through
         * is one the CPU refuses (selectors). That is the guest's doing:
         * crash its domain, as Xen does on a failing return to a PV guest.
         */
        domain_crash(
            cur->domain,
            "return to guest refused by the CPU (vector %llu, error 0x%llx, cs 0x%x ss 0x%x)",
            (unsigned long long)f->vector, (unsigned long long)f->error_code, cur->regs.cs,
            cur->regs.ss);
        resume();
    }
    x86_fatal("exception in the hypervisor", f);
}

void x86_trap(struct x86_frame *f)
{
    if ((f->cs & 3) == 0) {
        hypervisor_event(f);
        return;
    }
    struct vcpu *v = cur;
    if (!v)
        x86_fatal("guest entry with no current vCPU", f);
    save_guest(v, f);
    switch (f->vector) {
    case VEC_SYSCALL:
        hv_entry_syscall(v);
        break;
    case VEC_SYSCALL32:
        domain_crash(v->domain, "unmodelled: syscall from compatibility mode");
        break;
    case VEC_HYPERCALL32:
        /* Only ring 1 reaches this DPL-1 gate: a 32-bit PV kernel, which the builder refuses. */
        domain_crash(v->domain, "unmodelled: int $0x82 hypercall from a 32-bit PV kernel");
        break;
    case X86_EXC_PF:
        hv_entry_page_fault(v, read_cr(2), access_of(f->error_code));
        break;
    case VEC_TIMER:
        lapic_eoi();
        sched_run_timers();
        break;
    case VEC_SPURIOUS:
        break;
    case X86_EXC_NMI:
        hv_log("NMI while d%u ran (ignored)", v->domain->domid);
        break;
    case X86_EXC_DF:
    case 18: /* #MC */
        x86_fatal("double fault or machine check while a guest ran", f);
    default:
        if (f->vector >= VEC_PIC_BASE && f->vector < VEC_PIC_BASE + 16)
            break;
        hv_entry_exception(v, (unsigned int)f->vector, (uint32_t)f->error_code);
        break;
    }
    if (v->domain->is_shutting_down)
        dom_console_flush(v->domain);
    resume();
}
