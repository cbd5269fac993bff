/* Guest exceptions: Xen's 64-bit bounce frame, iret, and PV instruction emulation. */
#include "hv/traps.h"
#include "hv/arch.h"
#include "hv/entry.h"
#include "hv/hypercall.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/time.h"
#include "hv/trace.h"

static const char *const vector_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *trap_vector_name(unsigned int v)
{
    return v < 32 ? vector_names[v] : NULL;
}

static const char *vector_name(unsigned int v)
{
    const char *n = trap_vector_name(v);
    return n ? n : "#??";
}

static void trace_trap(struct vcpu *v, unsigned int vector, uint32_t error, uint64_t cr2)
{
    struct trace_rec r = {
        .kind = TR_TRAP, .dom = v->domain->domid, .vcpu = (uint16_t)v->vcpu_id, .nr = vector};
    r.args[0] = v->regs.rip;
    r.args[1] = error;
    r.args[2] = cr2;
    arch_trace(&r);
}

void pv_toggle_guest_mode(struct vcpu *v)
{
    v->kernel_mode = !v->kernel_mode;
    /* SWAPGS semantics: the kernel and user GS bases trade places. */
    uint64_t gs = v->regs.gs_base;
    v->regs.gs_base = v->kernel_mode ? v->gs_base_kernel : v->gs_base_user;
    if (v->kernel_mode)
        v->gs_base_user = gs;
    else
        v->gs_base_kernel = gs;
    arch_mmu_changed(v);
    arch_segments_changed(v);
}

/*
 * Build Xen's 64-bit bounce frame and enter the guest kernel at `target`.
 * Stack (low to high): RCX, R11, [ERRCODE], RIP, CS, RFLAGS, RSP, SS.
 * CS carries RPL 0 when the guest was in kernel context ("kernel context
 * to guest") and the saved upcall mask in bits 32-39; RFLAGS.IF is the
 * inverse of that mask. Returns false if the frame could not be written.
 */
static bool create_bounce_frame(struct vcpu *v, uint64_t target, bool mask_events, bool has_error,
                                uint32_t error)
{
    struct cpu_user_regs *r = &v->regs;
    struct vcpu_info *vi = vcpu_info_of(v);
    uint64_t cs = r->cs;
    uint64_t rsp;
    if (v->kernel_mode) {
        rsp = r->rsp;
        cs &= ~3ULL;
    } else {
        pv_toggle_guest_mode(v);
        rsp = v->kernel_sp;
    }
    rsp &= ~15ULL;
    uint8_t saved_mask = vi->evtchn_upcall_mask;
    uint64_t rflags = (r->rflags & ~(uint64_t)(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) |
                      (saved_mask ? 0 : X86_EFLAGS_IF);
    uint64_t frame[8];
    unsigned int n = 0;
    frame[n++] = r->rcx;
    frame[n++] = r->r11;
    if (has_error)
        frame[n++] = error;
    frame[n++] = r->rip;
    frame[n++] = cs | ((uint64_t)saved_mask << 32);
    frame[n++] = rflags;
    frame[n++] = r->rsp;
    frame[n++] = r->ss;
    rsp -= n * 8;
    if (copy_to_guest(v, rsp, frame, n * 8))
        return false;
    if (mask_events)
        vi->evtchn_upcall_mask = 1;
    r->rflags &=
        ~(uint64_t)(X86_EFLAGS_AC | X86_EFLAGS_VM | X86_EFLAGS_RF | X86_EFLAGS_NT | X86_EFLAGS_TF);
    r->rsp = rsp;
    r->rip = target;
    r->cs = FLAT_KERNEL_CS64;
    r->ss = FLAT_KERNEL_SS64;
    return true;
}

void pv_inject_exception(struct vcpu *v, unsigned int vector, bool has_error, uint32_t error)
{
    struct domain *d = v->domain;
    const struct trap_bounce_target *t = &v->trap_ctxt[vector & 0xff];
    v->nr_traps++;
    trace_trap(v, vector, error, vector == X86_EXC_PF ? vcpu_info_of(v)->arch.cr2 : 0);
    if (!t->address) {
        domain_crash(d,
                     "unhandled %s (vector %u) at rip 0x%llx, error code 0x%x%s: no handler "
                     "in the trap table",
                     vector_name(vector), vector, (unsigned long long)v->regs.rip, error,
                     v->kernel_mode ? "" : " (user mode)");
        return;
    }
    if (!create_bounce_frame(v, t->address, t->flags & 4, has_error, error))
        domain_crash(d, "cannot write the %s bounce frame: guest stack 0x%llx not writable",
                     vector_name(vector), (unsigned long long)v->regs.rsp);
}

/*
 * Xen's test_all_events on the way back to the guest: with upcall_pending
 * set and upcall_mask clear, enter the event callback through a bounce
 * frame (no error code) and mask upcalls; the saved mask (0) is in the
 * frame, so the guest's iret unmasks again. A guest that unmasks upcalls
 * without an event callback would be sent to address 0 by Xen: it crashes.
 */
void hv_entry_resume(struct vcpu *v)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    if (!vcpu_runnable(v) || !vi->evtchn_upcall_pending || vi->evtchn_upcall_mask)
        return;
    struct trace_rec r = {.kind = TR_UPCALL, .dom = v->domain->domid, .vcpu = (uint16_t)v->vcpu_id};
    r.args[0] = v->regs.rip;
    r.args[1] = v->event_callback;
    arch_trace(&r);
    if (!v->event_callback) {
        domain_crash(v->domain, "event upcall at rip 0x%llx with no event callback registered",
                     (unsigned long long)v->regs.rip);
        return;
    }
    if (!create_bounce_frame(v, v->event_callback, true, false, 0))
        domain_crash(v->domain,
                     "cannot write the event upcall bounce frame: guest stack 0x%llx "
                     "not writable",
                     (unsigned long long)v->regs.rsp);
}

void pv_syscall_from_user(struct vcpu *v)
{
    /* What the syscall instruction does to rcx/r11 before the kernel sees them. */
    v->regs.rcx = v->regs.rip;
    v->regs.r11 = v->regs.rflags;
    if (!v->syscall_callback) {
        v->regs.rip -= 2; /* #UD is a fault: it points at the syscall */
        pv_inject_exception(v, X86_EXC_UD, false, 0);
        return;
    }
    if (!create_bounce_frame(v, v->syscall_callback, v->syscall_mask_events, false, 0))
        domain_crash(v->domain, "cannot write the syscall bounce frame");
}

/* HYPERVISOR_iret (64-bit): see struct iret_context. */
long do_iret(struct vcpu *v, const uint64_t a[5])
{
    struct cpu_user_regs *r = &v->regs;
    struct iret_context c;
    if (copy_from_guest(v, &c, r->rsp, sizeof(c))) {
        domain_crash(v->domain, "iret: unreadable iret context at rsp 0x%llx",
                     (unsigned long long)r->rsp);
        return -XEN_EFAULT;
    }
    if ((c.cs & 3) == 3 && v->kernel_mode) {
        if (!mfn_x(v->guest_table_user)) {
            domain_crash(v->domain, "iret to user mode without a user page table");
            return -XEN_EFAULT;
        }
        pv_toggle_guest_mode(v);
    }
    r->rip = c.rip;
    r->cs = (uint16_t)(c.cs | 3);
    r->rflags = (c.rflags & ~(uint64_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
    r->rsp = c.rsp;
    r->ss = (uint16_t)(c.ss | 3);
    if (!(c.flags & VGCF_in_syscall)) {
        r->r11 = c.r11;
        r->rcx = c.rcx;
    }
    /* The upcall mask comes back from the frame's IF. */
    vcpu_info_of(v)->evtchn_upcall_mask = !(c.rflags & X86_EFLAGS_IF);
    return (long)c.rax;
}

static void trace_emulate(struct vcpu *v, unsigned int what, uint64_t a1, uint64_t a2)
{
    struct trace_rec r = {
        .kind = TR_EMULATE, .dom = v->domain->domid, .vcpu = (uint16_t)v->vcpu_id, .nr = what};
    r.args[0] = v->regs.rip;
    r.args[1] = a1;
    r.args[2] = a2;
    arch_trace(&r);
}

static uint64_t *gpr(struct cpu_user_regs *r, unsigned int n)
{
    uint64_t *t[16] = {&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
                       &r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15};
    return t[n & 15];
}

/* #GP from guest kernel mode: RDTSC (CR4.TSD) and mov from %cr3 are emulated. */
static bool emulate_privileged(struct vcpu *v)
{
    struct cpu_user_regs *r = &v->regs;
    uint8_t b[4] = {0};
    if (copy_from_guest(v, b, r->rip, sizeof(b)) &&
        copy_from_guest(v, b, r->rip, 2)) /* the insn may end right at a page end */
        return false;
    /* RDTSC and RDTSCP (CR4.TSD): the vCPU's virtual TSC, in kernel and user mode alike. */
    if (b[0] == 0x0f && b[1] == 0x31) {
        uint64_t tsc = time_vcpu_tsc(v);
        r->rax = (uint32_t)tsc;
        r->rdx = tsc >> 32;
        v->nr_rdtsc++;
        trace_emulate(v, TR_EMUL_RDTSC, tsc, 0);
        r->rip += 2;
        return true;
    }
    if (b[0] == 0x0f && b[1] == 0x01 && b[2] == 0xf9) {
        uint64_t tsc = time_vcpu_tsc(v);
        r->rax = (uint32_t)tsc;
        r->rdx = tsc >> 32;
        r->rcx = 0; /* TSC_AUX: a PV vCPU's is 0 unless the guest wrote it (not modelled) */
        v->nr_rdtsc++;
        trace_emulate(v, TR_EMUL_RDTSCP, tsc, 0);
        r->rip += 3;
        return true;
    }
    if (!v->kernel_mode)
        return false;
    /* mov %cr3, reg: [REX.B] 0F 20 /r with mod=11, reg=3. */
    unsigned int k = 0, rex_b = 0;
    if ((b[0] & 0xf0) == 0x40) {
        rex_b = b[0] & 1;
        k = 1;
    }
    if (b[k] == 0x0f && b[k + 1] == 0x20 && (b[k + 2] & 0xf8) == 0xd8) {
        uint64_t cr3 = mfn_x(v->guest_table) << PAGE_SHIFT;
        *gpr(r, (b[k + 2] & 7) | (rex_b << 3)) = cr3;
        trace_emulate(v, TR_EMUL_CR3_READ, cr3, 0);
        r->rip += k + 3;
        return true;
    }
    return false;
}

static void emulate_cpuid(struct vcpu *v)
{
    struct cpu_user_regs *r = &v->regs;
    uint32_t out[4];
    uint32_t leaf = (uint32_t)r->rax, sub = (uint32_t)r->rcx;
    cpuid_policy(leaf, sub, out);
    r->rax = out[0];
    r->rbx = out[1];
    r->rcx = out[2];
    r->rdx = out[3];
    trace_emulate(v, TR_EMUL_CPUID, leaf, sub);
}

/* #UD: the PV forced-emulation prefix "ud2; 'xen'" followed by cpuid. */
static bool emulate_forced(struct vcpu *v)
{
    static const uint8_t sig[5] = {0x0f, 0x0b, 'x', 'e', 'n'};
    uint8_t b[7];
    if (copy_from_guest(v, b, v->regs.rip, sizeof(b)) || hv_memcmp(b, sig, 5))
        return false;
    if (b[5] != 0x0f || b[6] != 0xa2)
        return false; /* anything but cpuid after the prefix: #UD, as Xen does */
    emulate_cpuid(v);
    v->regs.rip += 7;
    return true;
}

static bool vector_has_error_code(unsigned int vector)
{
    return vector == X86_EXC_DF || (vector >= X86_EXC_TS && vector <= X86_EXC_PF) ||
           vector == X86_EXC_AC;
}

/*
 * `int $n` (n >= 32; regs.rip after the 2-byte instruction). On hardware it
 * raises #GP with error code (n << 3) | 2 and Xen then checks the guest's
 * own gate: delivered if its DPL admits the caller (ring 1 counts for the
 * kernel, ring 3 for user mode), else #GP at the instruction.
 */
static void software_interrupt(struct vcpu *v, unsigned int vector)
{
    const struct trap_bounce_target *t = &v->trap_ctxt[vector & 0xff];
    unsigned int dpl = t->flags & 3;
    if (t->address && dpl >= (v->kernel_mode ? 1u : 3u)) {
        v->nr_traps++;
        trace_trap(v, vector, 0, 0);
        if (!create_bounce_frame(v, t->address, t->flags & 4, false, 0))
            domain_crash(v->domain, "cannot write the int $0x%x bounce frame", vector);
        return;
    }
    v->regs.rip -= 2;
    pv_inject_exception(v, X86_EXC_GP, true, (vector << 3) | 2);
}

void hv_entry_exception(struct vcpu *v, unsigned int vector, uint32_t error_code)
{
    if (v->domain->is_shutting_down)
        return;
    if (vector == X86_EXC_GP && emulate_privileged(v))
        return;
    if (vector == X86_EXC_UD && emulate_forced(v))
        return;
    if (vector >= 32) {
        software_interrupt(v, vector);
        return;
    }
    /* int3 and into are delivered whatever the gate's DPL, as Xen's do_int3 does. */
    pv_inject_exception(v, vector, vector_has_error_code(vector), error_code);
}

void hv_entry_page_fault(struct vcpu *v, uint64_t va, int access)
{
    if (v->domain->is_shutting_down)
        return;
    uint64_t maddr;
    uint64_t x = mm_translate(v, va, access, &maddr);
    uint32_t ec;
    if (x & MM_XLAT_FAULT) {
        ec = (uint32_t)(x & 0xffff);
    } else {
        /*
         * The machine refused an access the tables allow: its copy of the
         * mappings is stale. Resync and retry, but a shadow that stays
         * wrong is a simulator bug, not something to spin on.
         */
        if (v->stale_fault_va == va && ++v->nr_stale_faults > 8)
            hv_panic("shadow mappings stay out of sync at va 0x%llx", (unsigned long long)va);
        if (v->stale_fault_va != va)
            v->nr_stale_faults = 0;
        v->stale_fault_va = va;
        arch_mmu_changed(v);
        return;
    }
    /* Xen hides the user bit from a guest kernel: its ring 3 is kernel mode. */
    if (v->kernel_mode)
        ec &= ~PFEC_user;
    vcpu_info_of(v)->arch.cr2 = va;
    pv_inject_exception(v, X86_EXC_PF, true, ec);
}

void hv_entry_cpuid(struct vcpu *v)
{
    if (!v->domain->is_shutting_down)
        emulate_cpuid(v);
}
