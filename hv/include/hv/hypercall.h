/* Hypercall handlers (do_<name>) and the dispatcher. */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include "hv/sched.h"

/* Arguments in the order of the PV ABI (rdi, rsi, rdx, r10, r8 on 64-bit). */
typedef long (*hypercall_fn)(struct vcpu *v, const uint64_t a[5]);

/* Run hypercall nr with args; the result goes to the caller's rax. */
long hypercall_dispatch(struct vcpu *v, unsigned long nr, const uint64_t a[5]);

long do_set_trap_table(struct vcpu *v, const uint64_t a[5]);
long do_mmu_update(struct vcpu *v, const uint64_t a[5]);
long do_set_gdt(struct vcpu *v, const uint64_t a[5]);
long do_stack_switch(struct vcpu *v, const uint64_t a[5]);
long do_set_callbacks(struct vcpu *v, const uint64_t a[5]);
long do_update_descriptor(struct vcpu *v, const uint64_t a[5]);
long do_multicall(struct vcpu *v, const uint64_t a[5]);
long do_update_va_mapping(struct vcpu *v, const uint64_t a[5]);
long do_xen_version(struct vcpu *v, const uint64_t a[5]);
long do_console_io(struct vcpu *v, const uint64_t a[5]);
long do_vm_assist(struct vcpu *v, const uint64_t a[5]);
long do_iret(struct vcpu *v, const uint64_t a[5]);
long do_set_segment_base(struct vcpu *v, const uint64_t a[5]);
long do_mmuext_op(struct vcpu *v, const uint64_t a[5]);
long do_sched_op(struct vcpu *v, const uint64_t a[5]);
long do_sched_op_compat(struct vcpu *v, const uint64_t a[5]);
long do_callback_op(struct vcpu *v, const uint64_t a[5]);
long do_event_channel_op_hc(struct vcpu *v, const uint64_t a[5]);
long do_event_channel_op_compat(struct vcpu *v, const uint64_t a[5]);
long do_set_timer_op(struct vcpu *v, const uint64_t a[5]);
long do_vcpu_op(struct vcpu *v, const uint64_t a[5]);

/* Xen version this core reports (XENVER_version). */
#define HV_XEN_MAJOR 4
#define HV_XEN_MINOR 19
#define HV_XEN_EXTRAVERSION ".0-hvsim"

#endif
