/* Guest exits: Unicorn hooks that call the core's entry points, and the per-vCPU run loop. */
#include <stdio.h>

#include "hv/entry.h"
#include "hv/mm.h"
#include "sim_internal.h"

/*
 * Protocol (hv/entry.h): save the registers into v->regs, call one entry,
 * load v->regs back, resume. Facts about Unicorn 2.0.1 that shape this file
 * (all checked with probes, see sim/selftest):
 *
 * - Writing RIP from a hook makes Unicorn restart at the new RIP, and that
 *   restart cancels a pending uc_emu_stop(). So a hook that must leave the
 *   guest (vCPU descheduled, mappings changed, CS/SS changed) does not call
 *   uc_emu_stop: it sends the guest to SIM_UNTIL, the end address of
 *   uc_emu_start, which ends the run at once. v->regs then holds the real
 *   state (SIM_EXIT_HOOK_STOP) and is loaded at the next entry.
 * - uc_emu_stop() from the block hook stops before that block executes.
 * - CPUID does not end a translated block: after the hook, the block goes on
 *   with a RIP fixed at translation time. Only general registers can change.
 * - #UD is not an interrupt for Unicorn: uc_emu_start returns
 *   UC_ERR_INSN_INVALID with RIP at the instruction.
 * - Memory faults stop the run (UC_HOOK_MEM_INVALID records them); RIP is
 *   precise because UC_HOOK_MEM_READ/WRITE hooks exist (they never fire:
 *   their range is one unmapped byte).
 */

#define LIVELOCK_EXITS 100000 /* consecutive exits without one executed instruction */

/*
 * Unicorn reports a `syscall` with RIP at the instruction and, after the
 * hook returns, adds the instruction length (2) to whatever RIP is then.
 * So to continue at address X, a syscall hook writes X - 2. Every other
 * hook continues at exactly the RIP it writes (adj = 0).
 */
#define SYSCALL_LEN 2
static uint64_t resume_rip(uint64_t x, unsigned int adj)
{
    return x - adj;
}

static bool must_leave(struct sim_vcpu *sv)
{
    return sv->desched || sv->mmu_dirty || !vcpu_runnable(sv->v) ||
           sv->v->domain->is_shutting_down || cpu_selectors_changed(sv);
}

/* A core entry may have set a deadline (a timer) that falls inside this slice. */
static void clip_slice(struct sim_vcpu *sv)
{
    uint64_t at = sim_deadline_insns(sv->m);

    if (at < sv->stop_at)
        sv->stop_at = at;
}

/* After a core entry from a hook: load v->regs back, or leave the guest. */
static void after_core(struct sim_vcpu *sv, unsigned int adj)
{
    uint64_t until = resume_rip(SIM_UNTIL, adj);

    hv_entry_resume(sv->v); /* a pending event upcall: the guest goes to its callback */
    clip_slice(sv);
    if (sv->seg_dirty)
        cpu_load_gdt(sv); /* the GDT is host memory: no need to leave */
    if (must_leave(sv)) {
        sv->exit = SIM_EXIT_HOOK_STOP;
        UC_CHECK(uc_reg_write(sv->uc, UC_X86_REG_RIP, &until));
        return;
    }
    cpu_write_changed_regs(sv, resume_rip(sv->v->regs.rip, adj));
}

/* A shut-down domain's vCPU can still reach a hook before the run ends: just leave. */
static bool leave_if_dead(struct sim_vcpu *sv, unsigned int adj)
{
    uint64_t until = resume_rip(SIM_UNTIL, adj);

    if (!sv->v->domain->is_shutting_down && sv->exit != SIM_EXIT_HOOK_STOP)
        return false;
    sv->exit = SIM_EXIT_HOOK_STOP;
    UC_CHECK(uc_reg_write(sv->uc, UC_X86_REG_RIP, &until));
    return true;
}

static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    struct sim_vcpu *sv = user;
    struct sim_machine *m = sv->m;
    uint32_t n;

    if (addr >= SIM_HOLE_START && addr < SIM_HOLE_END)
        return; /* the iretq stub is not guest code */
    if (m->insns >= sv->stop_at) {
        /* Verified: the block does not run, so it is not counted. */
        uc_emu_stop(uc);
        return;
    }
    /* Tight loops re-enter the same block: skip the table for a repeat. */
    if (addr == sv->last_block && size == sv->last_size) {
        n = sv->last_count;
    } else {
        n = icount_block(sv, addr, size);
        sv->last_block = addr;
        sv->last_size = size;
        sv->last_count = n;
    }
    m->insns += n;
    sv->insns += n;
}

static void hook_syscall(uc_engine *uc, void *user)
{
    struct sim_vcpu *sv = user;

    if (sv->in_stub)
        sim_fatal("syscall hook inside the iretq stub");
    if (leave_if_dead(sv, SYSCALL_LEN))
        return;
    cpu_save_regs(sv);
    sv->v->regs.rip += SYSCALL_LEN; /* the core wants the address after the syscall */
    hv_entry_syscall(sv->v);
    after_core(sv, SYSCALL_LEN);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
    struct sim_vcpu *sv = user;
    uint64_t until = SIM_UNTIL;

    if (sv->in_stub) {
        /* The CPU refused the iretq frame (bad cs/ss): end the stub run. */
        sv->stub_fault = true;
        UC_CHECK(uc_reg_write(uc, UC_X86_REG_RIP, &until));
    } else if (!leave_if_dead(sv, 0)) {
        cpu_save_regs(sv);
        /* Unicorn gives no error code: the core recomputes what it needs. */
        hv_entry_exception(sv->v, intno, 0);
        after_core(sv, 0);
    }
    excfix_apply(uc, sv->scratch);
}

/* Everything but rax/rbx/rcx/rdx equal: what a CPUID exit may change. */
static bool only_cpuid_regs_changed(const struct cpu_user_regs *a, const struct cpu_user_regs *b)
{
    return a->rsi == b->rsi && a->rdi == b->rdi && a->rbp == b->rbp && a->rsp == b->rsp &&
           a->r8 == b->r8 && a->r9 == b->r9 && a->r10 == b->r10 && a->r11 == b->r11 &&
           a->r12 == b->r12 && a->r13 == b->r13 && a->r14 == b->r14 && a->r15 == b->r15 &&
           a->rip == b->rip && a->rflags == b->rflags && a->cs == b->cs && a->ss == b->ss &&
           a->ds == b->ds && a->es == b->es && a->fs == b->fs && a->gs == b->gs &&
           a->fs_base == b->fs_base && a->gs_base == b->gs_base;
}

static int hook_cpuid(uc_engine *uc, void *user)
{
    static int ids[] = {UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX};
    struct sim_vcpu *sv = user;
    struct cpu_user_regs before;
    struct vcpu *v = sv->v;
    void *vals[] = {&v->regs.rax, &v->regs.rbx, &v->regs.rcx, &v->regs.rdx};

    if (sv->in_stub || v->domain->is_shutting_down)
        return 1;
    cpu_save_regs(sv);
    v->regs.rip += 2; /* the core wants the address after the CPUID */
    before = v->regs;
    hv_entry_cpuid(v);
    if (v->domain->is_shutting_down) {
        uc_emu_stop(uc); /* takes effect at the end of this block */
        return 1;
    }
    if (!only_cpuid_regs_changed(&before, &v->regs) || sv->desched || sv->mmu_dirty)
        sim_fatal("hv_entry_cpuid changed more than rax/rbx/rcx/rdx; Unicorn 2.0.1 cannot "
                  "redirect a guest from a CPUID hook (CPUID does not end a block)");
    /* Not RIP: writing it would restart the block loop; Unicorn advances it itself. */
    UC_CHECK(uc_reg_write_batch(uc, ids, vals, 4));
    return 1; /* skip Unicorn's own CPUID */
}

static bool hook_mem_invalid(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
                             int64_t value, void *user)
{
    struct sim_vcpu *sv = user;

    if (sv->in_stub)
        sim_fatal("memory fault at %#llx inside the iretq stub", (unsigned long long)addr);
    sv->exit = SIM_EXIT_MEMFAULT;
    sv->fault_addr = addr;
    switch (type) {
    case UC_MEM_WRITE_UNMAPPED:
    case UC_MEM_WRITE_PROT:
        sv->fault_access = ACCESS_WRITE;
        break;
    case UC_MEM_FETCH_UNMAPPED:
    case UC_MEM_FETCH_PROT:
        sv->fault_access = ACCESS_FETCH;
        break;
    default:
        sv->fault_access = ACCESS_READ;
        break;
    }
    return false; /* stop: the core handles it after uc_emu_start returns */
}

static void hook_never(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                       void *user)
{
    sim_fatal("memory hook fired at %#llx: its range must never match", (unsigned long long)addr);
}

void exits_install_hooks(struct sim_vcpu *sv)
{
    /* One byte that is never mapped: the hooks exist (precise RIP) but never run. */
    const uint64_t never = SIM_UNTIL + 0x800;
    uc_hook h;

    UC_CHECK(uc_hook_add(sv->uc, &h, UC_HOOK_BLOCK, (void *)hook_block, sv, 1, 0));
    UC_CHECK(
        uc_hook_add(sv->uc, &h, UC_HOOK_INSN, (void *)hook_syscall, sv, 1, 0, UC_X86_INS_SYSCALL));
    UC_CHECK(uc_hook_add(sv->uc, &h, UC_HOOK_INSN, (void *)hook_cpuid, sv, 1, 0, UC_X86_INS_CPUID));
    UC_CHECK(uc_hook_add(sv->uc, &h, UC_HOOK_INTR, (void *)hook_intr, sv, 1, 0));
    UC_CHECK(uc_hook_add(sv->uc, &h, UC_HOOK_MEM_INVALID, (void *)hook_mem_invalid, sv, 1, 0));
    UC_CHECK(uc_hook_add(sv->uc, &h, UC_HOOK_MEM_READ, (void *)hook_never, sv, never, never));
    UC_CHECK(uc_hook_add(sv->uc, &h, UC_HOOK_MEM_WRITE, (void *)hook_never, sv, never, never));
}

/* After uc_emu_start: turn what stopped it into a core entry (or nothing). */
static void handle_exit(struct sim_vcpu *sv, uc_err err)
{
    struct vcpu *v = sv->v;

    switch (sv->exit) {
    case SIM_EXIT_HOOK_STOP:
        if (err != UC_ERR_OK)
            sim_fatal("uc_emu_start after a hook stop: %s", uc_strerror(err));
        return; /* v->regs is authoritative */
    case SIM_EXIT_MEMFAULT:
        cpu_save_regs(sv);
        hv_entry_page_fault(v, sv->fault_addr, sv->fault_access);
        excfix_apply(sv->uc, sv->scratch);
        clip_slice(sv);
        return;
    case SIM_EXIT_NONE:
        break;
    }
    cpu_save_regs(sv);
    if (err == UC_ERR_INSN_INVALID) {
        hv_entry_exception(v, X86_EXC_UD, 0);
        excfix_apply(sv->uc, sv->scratch);
        clip_slice(sv);
    } else if (err != UC_ERR_OK) {
        sim_fatal("uc_emu_start: %s at rip %#llx", uc_strerror(err),
                  (unsigned long long)v->regs.rip);
    } else if (v->regs.rip == SIM_UNTIL) {
        /* The guest itself jumped to the end address: a fetch from the hole. */
        hv_entry_page_fault(v, SIM_UNTIL, ACCESS_FETCH);
        clip_slice(sv);
    } else if (sv->m->insns < sv->stop_at && !v->domain->is_shutting_down) {
        sim_fatal("uc_emu_start stopped without a reason at rip %#llx",
                  (unsigned long long)v->regs.rip);
    }
}

void cpu_run_slice(struct sim_vcpu *sv, uint64_t stop_at)
{
    struct sim_machine *m = sv->m;
    struct vcpu *v = sv->v;
    uint64_t before;
    uc_err err;

    if (!sv->uc)
        cpu_create(sv); /* first time this vCPU runs (see sim_add_domain) */
    sv->stop_at = stop_at;
    sv->desched = false;
    sv->running = true; /* on the CPU for this slice: arch_vcpu_deschedule applies */
    m->current = sv;
    if (vcpu_runnable(v)) {
        hv_entry_schedule(v);
        clip_slice(sv); /* its periodic timer only counts from now on */
    }
    while (vcpu_runnable(v) && !sv->desched && m->insns < sv->stop_at) {
        /* v->regs is authoritative here: deliver a pending upcall before loading it. */
        hv_entry_resume(v);
        if (!vcpu_runnable(v))
            break;
        if (sv->mmu_dirty)
            shadow_sync(sv);
        if (sv->seg_dirty)
            cpu_load_gdt(sv);
        if (!cpu_load_regs(sv)) {
            domain_crash(v->domain, "sim: d%uv%u: the CPU refused cs=%#x ss=%#x", v->domain->domid,
                         v->vcpu_id, v->regs.cs, v->regs.ss);
            break;
        }
        sv->exit = SIM_EXIT_NONE;
        before = sv->insns;
        m->uc_runs++;
        err = uc_emu_start(sv->uc, v->regs.rip, SIM_UNTIL, 0, 0);
        handle_exit(sv, err);

        if (sv->insns != before) {
            sv->idle_exits = 0;
        } else if (++sv->idle_exits >= LIVELOCK_EXITS) {
            m->outcome = SIM_LIVELOCK;
            snprintf(m->outcome_text, sizeof(m->outcome_text),
                     "livelock: d%uv%u exited %u times without executing an instruction "
                     "(rip %#llx)",
                     v->domain->domid, v->vcpu_id, LIVELOCK_EXITS, (unsigned long long)v->regs.rip);
            break;
        }
    }
    sv->running = false;
    m->current = NULL;
}
