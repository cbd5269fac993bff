/* Typed hypercall wrappers over the arch's HYPERCALL0..5 (return: 0/positive or -XEN_Exxx). */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include "lib.h"
#include "arch_hypercall.h"

/*
 * Arguments are passed exactly as given: the tests hand in bad pointers and
 * bad numbers on purpose. Wrappers that differ between 64-bit and 32-bit
 * (update_va_mapping splits the PTE, set_callbacks takes selectors) are
 * marked; set_segment_base exists only on 64-bit.
 * iret (23) is not here: it is only entered by jumping to its stub.
 */

static inline long hypercall_set_trap_table(const struct trap_info *traps)
{
    return HYPERCALL1(__HYPERVISOR_set_trap_table, traps);
}

static inline long hypercall_mmu_update(const struct mmu_update *req, unsigned int count,
                                        unsigned int *done, unsigned int foreigndom)
{
    return HYPERCALL4(__HYPERVISOR_mmu_update, req, count, done, foreigndom);
}

static inline long hypercall_set_gdt(const unsigned long *frames, unsigned int entries)
{
    return HYPERCALL2(__HYPERVISOR_set_gdt, frames, entries);
}

static inline long hypercall_stack_switch(unsigned long ss, unsigned long sp)
{
    return HYPERCALL2(__HYPERVISOR_stack_switch, ss, sp);
}

#if defined(__x86_64__)
static inline long hypercall_set_callbacks(unsigned long event, unsigned long failsafe,
                                           unsigned long syscall)
{
    return HYPERCALL3(__HYPERVISOR_set_callbacks, event, failsafe, syscall);
}

static inline long hypercall_update_descriptor(uint64_t maddr, uint64_t desc)
{
    return HYPERCALL2(__HYPERVISOR_update_descriptor, maddr, desc);
}

static inline long hypercall_update_va_mapping(unsigned long va, uint64_t pte, unsigned int flags)
{
    return HYPERCALL3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

static inline long hypercall_set_segment_base(unsigned int which, unsigned long base)
{
    return HYPERCALL2(__HYPERVISOR_set_segment_base, which, base);
}
#else
static inline long hypercall_set_callbacks(unsigned long event_sel, unsigned long event,
                                           unsigned long failsafe_sel, unsigned long failsafe)
{
    return HYPERCALL4(__HYPERVISOR_set_callbacks, event_sel, event, failsafe_sel, failsafe);
}

static inline long hypercall_update_descriptor(uint64_t maddr, uint64_t desc)
{
    return HYPERCALL4(__HYPERVISOR_update_descriptor, (uint32_t)maddr, (uint32_t)(maddr >> 32),
                      (uint32_t)desc, (uint32_t)(desc >> 32));
}

static inline long hypercall_update_va_mapping(unsigned long va, uint64_t pte, unsigned int flags)
{
    return HYPERCALL4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte, (uint32_t)(pte >> 32),
                      flags);
}
#endif

static inline long hypercall_multicall(struct multicall_entry *calls, unsigned int nr)
{
    return HYPERCALL2(__HYPERVISOR_multicall, calls, nr);
}

static inline long hypercall_xen_version(unsigned int cmd, void *arg)
{
    return HYPERCALL2(__HYPERVISOR_xen_version, cmd, arg);
}

static inline long hypercall_console_io(unsigned int cmd, unsigned int count, const char *buf)
{
    return HYPERCALL3(__HYPERVISOR_console_io, cmd, count, buf);
}

static inline long hypercall_vm_assist(unsigned int cmd, unsigned int type)
{
    return HYPERCALL2(__HYPERVISOR_vm_assist, cmd, type);
}

static inline long hypercall_mmuext_op(const struct mmuext_op *ops, unsigned int count,
                                       unsigned int *done, unsigned int foreigndom)
{
    return HYPERCALL4(__HYPERVISOR_mmuext_op, ops, count, done, foreigndom);
}

static inline long hypercall_sched_op(unsigned int cmd, void *arg)
{
    return HYPERCALL2(__HYPERVISOR_sched_op, cmd, arg);
}

static inline long hypercall_callback_op(unsigned int cmd, const void *arg)
{
    return HYPERCALL2(__HYPERVISOR_callback_op, cmd, arg);
}

static inline long hypercall_event_channel_op(unsigned int cmd, void *arg)
{
    return HYPERCALL2(__HYPERVISOR_event_channel_op, cmd, arg);
}

static inline long hypercall_set_timer_op(uint64_t timeout_abs_ns)
{
#if defined(__x86_64__)
    return HYPERCALL1(__HYPERVISOR_set_timer_op, timeout_abs_ns);
#else
    return HYPERCALL2(__HYPERVISOR_set_timer_op, (uint32_t)timeout_abs_ns,
                      (uint32_t)(timeout_abs_ns >> 32));
#endif
}

/* grant_table_op: `count` operations of the command's struct (public/grant_table.h). */
static inline long hypercall_grant_table_op(unsigned int cmd, void *uop, unsigned int count)
{
    return HYPERCALL3(__HYPERVISOR_grant_table_op, cmd, uop, count);
}

static inline long hypercall_vcpu_op(unsigned int cmd, unsigned int vcpu, void *arg)
{
    return HYPERCALL3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

/* --- Conveniences built on the above --- */

static inline long hypercall_yield(void)
{
    return hypercall_sched_op(SCHEDOP_yield, NULL);
}

static inline long hypercall_shutdown(unsigned int reason)
{
    struct sched_shutdown s = {.reason = reason};

    return hypercall_sched_op(SCHEDOP_shutdown, &s);
}

static inline long hypercall_evtchn_send(evtchn_port_t port)
{
    struct evtchn_send s = {.port = port};

    return hypercall_event_channel_op(EVTCHNOP_send, &s);
}

/* EVTCHNOP_alloc_unbound in our own table, for `remote` to bind: the port (> 0) or -XEN_Exxx. */
static inline long hypercall_evtchn_alloc_unbound(domid_t remote)
{
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = remote};
    long rc = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &a);

    return rc ? rc : (long)a.port;
}

static inline long hypercall_mmuext_one(unsigned int cmd, unsigned long arg1)
{
    struct mmuext_op op = {.cmd = cmd, .arg1.mfn = arg1};

    return hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

#endif
