/* pv64 exception and callback entry points: build struct ex_regs, call C, leave via iret. */
#include "arch.h"

    .text
    .code64

/*
 * Xen's 64-bit bounce frame, as found at rsp on entry (low to high):
 *
 *   rcx, r11, [error code], rip, cs, rflags, rsp, ss
 *
 * rcx and r11 hold garbage on entry: pop the interrupted values back.
 * Vectors without an error code get a 0 pushed so that every frame has the
 * same shape, and the vector goes into the upper half of that slot:
 *
 *   rsp -> [ error_code (32) | entry_vector (32) ] rip cs rflags rsp ss
 */
.macro exc_entry name, vec, has_ec
    .globl entry_\name
    .type entry_\name, @function
entry_\name:
    pop     %rcx
    pop     %r11
    .if !\has_ec
    pushq   $0
    .endif
    movl    $\vec, 4(%rsp)
    jmp     handle_exception
    .size entry_\name, . - entry_\name
.endm

    exc_entry DE,   0, 0
    exc_entry DB,   1, 0
    exc_entry NMI,  2, 0
    exc_entry BP,   3, 0
    exc_entry OF,   4, 0
    exc_entry BR,   5, 0
    exc_entry UD,   6, 0
    exc_entry NM,   7, 0
    exc_entry DF,   8, 1
    exc_entry CSO,  9, 0
    exc_entry TS,  10, 1
    exc_entry NP,  11, 1
    exc_entry SS,  12, 1
    exc_entry GP,  13, 1
    exc_entry PF,  14, 1
    exc_entry SPV, 15, 0
    exc_entry MF,  16, 0
    exc_entry AC,  17, 1
    exc_entry MC,  18, 0
    exc_entry XM,  19, 0

/*
 * Save every GPR (struct ex_regs, arch.h), call do_exception(regs), restore
 * every GPR from the struct (so a fixup's new ax and ip take effect), and
 * return with the iret hypercall. Its stub (hypercall_page + 23*32) pushes
 * rcx, r11 and rax itself and expects below them a flags word (0: not
 * VGCF_in_syscall, so rcx and r11 are restored too) and the 5-word frame
 * rip, cs, rflags, rsp, ss. cs keeps the RPL 0 Xen gave us, which means
 * "return to guest kernel mode"; rflags.IF restores the upcall mask.
 */
    .type handle_exception, @function
handle_exception:
    push    %rax
    push    %rbx
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %rbp
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15

    mov     %rsp, %rdi          /* struct ex_regs * */
    mov     %rsp, %rbx          /* callee-saved: the frame, for after the call */
    and     $~15, %rsp          /* the C ABI wants 16-byte alignment at the call */
    call    do_exception
    mov     %rbx, %rsp

    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rbp
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rbx
    pop     %rax
    add     $8, %rsp            /* error code and vector */

    pushq   $0                  /* iret flags: not VGCF_in_syscall */
    jmp     HYPERCALL_iret
    .size handle_exception, . - handle_exception

/*
 * Event callback (lib/events.c): Xen's bounce frame for an upcall has no
 * error code: rcx, r11, rip, cs, rflags, rsp, ss, and upcalls are masked
 * (the saved mask is in the CS slot and in rflags.IF). Pop rcx and r11
 * back, push an empty error-code slot with vector 0xffff so the frame is a
 * struct ex_regs, save everything, dispatch, and leave with the iret
 * hypercall, which restores the saved mask (normally 0: upcalls back on).
 * An event that arrived meanwhile is delivered again right after the iret.
 */
    .globl entry_hypervisor_callback
    .type entry_hypervisor_callback, @function
entry_hypervisor_callback:
    pop     %rcx
    pop     %r11
    pushq   $0
    movl    $0xffff, 4(%rsp)
    push    %rax
    push    %rbx
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %rbp
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15

    mov     %rsp, %rdi          /* struct ex_regs * */
    mov     %rsp, %rbx
    and     $~15, %rsp
    call    do_hypervisor_callback
    mov     %rbx, %rsp

    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rbp
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rbx
    pop     %rax
    add     $8, %rsp

    pushq   $0                  /* iret flags: not VGCF_in_syscall */
    jmp     HYPERCALL_iret
    .size entry_hypervisor_callback, . - entry_hypervisor_callback

/*
 * Failsafe callback: Xen could not load the segments or frame it was
 * returning to. Frame: rcx, r11, ds, es, fs, gs, rip, cs, rflags, rsp, ss.
 */
    .globl entry_failsafe_callback
    .type entry_failsafe_callback, @function
entry_failsafe_callback:
    pop     %rcx
    pop     %r11
    and     $~15, %rsp
    call    do_failsafe_callback
1:  ud2
    jmp     1b
    .size entry_failsafe_callback, . - entry_failsafe_callback

    .section .note.GNU-stack, "", @progbits
