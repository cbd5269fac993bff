/* pv64 entry point: zero .bss, switch to our own stack, call start_c(start_info). */
#include "arch.h"

    .section .text.head, "ax", @progbits
    .code64

/*
 * Entered at the ELF ENTRY note with (xen-abi.md 3): rsi = VA of start_info,
 * rsp = the builder's small boot stack (outside the image), flat ring-3
 * segments, event upcalls masked. Nothing else can be relied on.
 */
    .globl _start
    .type _start, @function
_start:
    cld

    /*
     * Zero .bss ourselves (the builder should have, but a stale .bss is a
     * miserable thing to debug). Still on the builder's stack here; rsi
     * survives `rep stosq`.
     */
    mov     $__bss_start, %edi
    mov     $__bss_end, %ecx
    sub     %edi, %ecx
    shr     $3, %ecx
    xor     %eax, %eax
    rep stosq

    mov     $boot_stack_top, %esp   /* image is linked below 4 GiB: zero-extends */
    xor     %ebp, %ebp
    mov     %rsi, %rdi              /* start_c(const struct start_info *) */
    call    start_c

    /* start_c() never returns; if it does, fault loudly. */
1:  ud2
    jmp     1b
    .size _start, . - _start

/*
 * Stacks. boot_stack: everything runs on it (kernel mode never switches
 * stacks: Xen pushes exception frames on the current stack). kernel_stack:
 * registered with stack_switch, used by Xen only on a user -> kernel
 * transition, which these guests never make; kept separate so that it
 * could never overwrite a live frame.
 */
    .section .bss.stacks, "aw", @nobits
    .balign 4096
    .globl boot_stack
boot_stack:
    .skip 4 * 4096
    .globl boot_stack_top
boot_stack_top:
    .globl kernel_stack
kernel_stack:
    .skip 2 * 4096
    .globl kernel_stack_top
kernel_stack_top:

    .section .note.GNU-stack, "", @progbits
