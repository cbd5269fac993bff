/* The hypercall page: one 4 KiB page of `ret` (0xC3) that the domain builder overwrites. */
#include "arch.h"

/*
 * The builder writes 128 stubs of 32 bytes here (HYPERCALL_PAGE note).
 * Filled with 0xC3 so that setup can tell it was never written (byte 0
 * still 0xC3) and say so instead of making calls that silently return.
 * The per-hypercall symbols exist only so that disassembly and traces read
 * `call <HYPERCALL_console_io>` instead of an offset.
 */
    .section .text.hypercall_page, "ax", @progbits
    .balign 4096
    .globl hypercall_page
    .type hypercall_page, @object
hypercall_page:
    .fill 4096, 1, 0xc3
    .size hypercall_page, 4096

.macro hcall name, nr
    .globl HYPERCALL_\name
    .set HYPERCALL_\name, hypercall_page + \nr * 32
.endm
    hcall set_trap_table, 0
    hcall mmu_update, 1
    hcall set_gdt, 2
    hcall stack_switch, 3
    hcall set_callbacks, 4
    hcall fpu_taskswitch, 5
    hcall sched_op_compat, 6
    hcall platform_op, 7
    hcall set_debugreg, 8
    hcall get_debugreg, 9
    hcall update_descriptor, 10
    hcall memory_op, 12
    hcall multicall, 13
    hcall update_va_mapping, 14
    hcall set_timer_op, 15
    hcall event_channel_op_compat, 16
    hcall xen_version, 17
    hcall console_io, 18
    hcall physdev_op_compat, 19
    hcall grant_table_op, 20
    hcall vm_assist, 21
    hcall update_va_mapping_otherdomain, 22
    hcall iret, 23
    hcall vcpu_op, 24
    hcall set_segment_base, 25
    hcall mmuext_op, 26
    hcall xsm_op, 27
    hcall nmi_op, 28
    hcall sched_op, 29
    hcall callback_op, 30
    hcall xenoprof_op, 31
    hcall event_channel_op, 32
    hcall physdev_op, 33

    .section .note.GNU-stack, "", @progbits
