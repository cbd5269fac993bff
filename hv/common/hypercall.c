/* Hypercall dispatch: the table, tracing, multicall, and the syscall entry. */
#include "hv/hypercall.h"
#include "hv/arch.h"
#include "hv/entry.h"
#include "hv/evtchn.h"
#include "hv/grant.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/trace.h"
#include "hv/traps.h"

struct hypercall_desc {
    const char *name;
    hypercall_fn fn; /* NULL: known to Xen, not offered here (-ENOSYS) */
    uint8_t nargs;
};

/* grant_table_op(cmd, uop, count): its handler (hv/grant.h) takes the arguments spelled out. */
static long do_grant_table_op_hc(struct vcpu *v, const uint64_t a[5])
{
    return do_grant_table_op(v, a[0], a[1], a[2]);
}

#define HC(nr, n, f, args) [nr] = {n, f, args}
static const struct hypercall_desc hypercall_table[NR_HYPERCALLS] = {
    HC(__HYPERVISOR_set_trap_table, "set_trap_table", do_set_trap_table, 1),
    HC(__HYPERVISOR_mmu_update, "mmu_update", do_mmu_update, 4),
    HC(__HYPERVISOR_set_gdt, "set_gdt", do_set_gdt, 2),
    HC(__HYPERVISOR_stack_switch, "stack_switch", do_stack_switch, 2),
    HC(__HYPERVISOR_set_callbacks, "set_callbacks", do_set_callbacks, 3),
    HC(__HYPERVISOR_fpu_taskswitch, "fpu_taskswitch", NULL, 1),
    HC(__HYPERVISOR_sched_op_compat, "sched_op_compat", do_sched_op_compat, 2),
    HC(__HYPERVISOR_platform_op, "platform_op", NULL, 1),
    HC(__HYPERVISOR_set_debugreg, "set_debugreg", NULL, 2),
    HC(__HYPERVISOR_get_debugreg, "get_debugreg", NULL, 1),
    HC(__HYPERVISOR_update_descriptor, "update_descriptor", do_update_descriptor, 2),
    HC(__HYPERVISOR_memory_op, "memory_op", NULL, 2),
    HC(__HYPERVISOR_multicall, "multicall", do_multicall, 2),
    HC(__HYPERVISOR_update_va_mapping, "update_va_mapping", do_update_va_mapping, 3),
    HC(__HYPERVISOR_set_timer_op, "set_timer_op", do_set_timer_op, 1),
    HC(__HYPERVISOR_event_channel_op_compat, "event_channel_op_compat", do_event_channel_op_compat,
       1),
    HC(__HYPERVISOR_xen_version, "xen_version", do_xen_version, 2),
    HC(__HYPERVISOR_console_io, "console_io", do_console_io, 3),
    HC(__HYPERVISOR_physdev_op_compat, "physdev_op_compat", NULL, 1),
    HC(__HYPERVISOR_grant_table_op, "grant_table_op", do_grant_table_op_hc, 3),
    HC(__HYPERVISOR_vm_assist, "vm_assist", do_vm_assist, 2),
    HC(__HYPERVISOR_update_va_mapping_otherdomain, "update_va_mapping_otherdomain", NULL, 4),
    HC(__HYPERVISOR_iret, "iret", do_iret, 0),
    HC(__HYPERVISOR_vcpu_op, "vcpu_op", do_vcpu_op, 3),
    HC(__HYPERVISOR_set_segment_base, "set_segment_base", do_set_segment_base, 2),
    HC(__HYPERVISOR_mmuext_op, "mmuext_op", do_mmuext_op, 4),
    HC(__HYPERVISOR_xsm_op, "xsm_op", NULL, 1),
    HC(__HYPERVISOR_nmi_op, "nmi_op", NULL, 2),
    HC(__HYPERVISOR_sched_op, "sched_op", do_sched_op, 2),
    HC(__HYPERVISOR_callback_op, "callback_op", do_callback_op, 2),
    HC(__HYPERVISOR_xenoprof_op, "xenoprof_op", NULL, 2),
    HC(__HYPERVISOR_event_channel_op, "event_channel_op", do_event_channel_op_hc, 2),
    HC(__HYPERVISOR_physdev_op, "physdev_op", NULL, 2),
};

const char *hypercall_name(unsigned int nr)
{
    if (nr < NR_HYPERCALLS && hypercall_table[nr].name)
        return hypercall_table[nr].name;
    return "unknown";
}

long hypercall_dispatch(struct vcpu *v, unsigned long nr, const uint64_t a[5])
{
    if (nr >= NR_HYPERCALLS || !hypercall_table[nr].name)
        return -XEN_ENOSYS;
    if (!hypercall_table[nr].fn) {
        hv_log("d%u: unmodelled hypercall %s", v->domain->domid, hypercall_table[nr].name);
        return -XEN_ENOSYS;
    }
    return hypercall_table[nr].fn(v, a);
}

long do_event_channel_op_hc(struct vcpu *v, const uint64_t a[5])
{
    return do_event_channel_op(v, a[0], a[1]);
}

static void trace_hypercall(struct vcpu *v, unsigned long nr, const uint64_t a[5], long rc)
{
    struct trace_rec r = {.kind = TR_HYPERCALL,
                          .dom = v->domain->domid,
                          .vcpu = (uint16_t)v->vcpu_id,
                          .nr = (uint32_t)nr,
                          .result = rc};
    unsigned int n = nr < NR_HYPERCALLS ? hypercall_table[nr].nargs : 5;
    for (unsigned int i = 0; i < n && i < 5; i++)
        r.args[i] = a[i];
    r.nargs = (uint8_t)(n < 5 ? n : 5);
    arch_trace(&r);
}

/* A 64-bit PV hypercall: number in rax, arguments in rdi, rsi, rdx, r10, r8. */
static void hypercall_from_regs(struct vcpu *v)
{
    struct cpu_user_regs *r = &v->regs;
    unsigned long nr = r->rax;
    uint64_t a[5] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8};
    v->nr_hypercalls++;
    long rc = hypercall_dispatch(v, nr, a);
    r->rax = (uint64_t)rc;
    trace_hypercall(v, nr, a, rc);
}

void hv_entry_syscall(struct vcpu *v)
{
    if (v->domain->is_shutting_down)
        return;
    if (v->kernel_mode)
        hypercall_from_regs(v);
    else
        pv_syscall_from_user(v);
}

/*
 * multicall: run each entry as if it were its own hypercall and store the
 * result in the entry. iret and nested multicalls cannot run inside one.
 * An entry after which the vCPU cannot run (it shut its domain down,
 * blocked or polls) ends the batch: Xen preempts it there (and resumes it
 * after the wake-up); the entries after it must not run for a vCPU that
 * waits (a later SCHEDOP_block would unmask upcalls without waking it).
 */
long do_multicall(struct vcpu *v, const uint64_t a[5])
{
    uint64_t list = a[0], nr = a[1];
    for (uint64_t i = 0; i < nr; i++) {
        struct multicall_entry e;
        uint64_t at = list + i * sizeof(e);
        if (copy_from_guest(v, &e, at, sizeof(e)))
            return -XEN_EFAULT;
        long rc;
        if (e.op == __HYPERVISOR_multicall)
            rc = -XEN_EINVAL; /* re-entry is disallowed */
        else if (e.op == __HYPERVISOR_iret)
            rc = -XEN_ENOSYS;
        else
            rc = hypercall_dispatch(v, e.op, (const uint64_t *)e.args);
        trace_hypercall(v, e.op, (const uint64_t *)e.args, rc);
        e.result = (xen_ulong_t)rc;
        if (copy_to_guest(v, at + offsetof(struct multicall_entry, result), &e.result,
                          sizeof(e.result)))
            return -XEN_EFAULT;
        if (!vcpu_runnable(v))
            break;
    }
    return 0;
}
