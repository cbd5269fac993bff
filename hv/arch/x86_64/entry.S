/* Entry and exit: IDT stubs, syscall/sysenter-free 64-bit syscall entry, the one iretq to guests. */
#include "layout.h"

/*
 * Every way into the hypervisor builds the same struct x86_frame (x86.h)
 * and calls x86_trap(frame). From a guest (ring 3) the CPU switches to
 * TSS.rsp0 = hv_stack_top, so the frame is always at the very top of the
 * one hypervisor stack; x86_trap then never returns: the scheduler fills
 * that frame with whichever vCPU runs next and leaves through
 * x86_exit_to_guest. From ring 0 (the idle loop, or a hypervisor bug)
 * x86_trap returns and the stub irets back into the hypervisor.
 *
 * Interrupts stay disabled in the hypervisor: the stubs are interrupt
 * gates and SFMASK clears IF on syscall. Only the idle loop enables them.
 */

/* One 16-byte stub per vector; vectors with a CPU error code skip the dummy. */
    .text
    .balign 16
    .globl x86_idt_stubs
x86_idt_stubs:
    .set v, 0
    .rept 256
    .balign 16
    .if (v != 8) && (v != 10) && (v != 11) && (v != 12) && (v != 13) && (v != 14) && (v != 17) && (v != 21) && (v != 29) && (v != 30)
    pushq $0
    .endif
    pushq $v
    jmp common_entry
    .set v, v + 1
    .endr

common_entry:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    mov %rsp, %rdi
    call x86_trap
    jmp pop_and_iret

/*
 * syscall: rcx = return rip, r11 = rflags, rsp still the guest's. Build
 * the same frame a ring-3 interrupt would on our stack, with the code
 * selector of the mode it came from.
 */
.macro syscall_entry name, cs, vector
    .globl \name
\name:
    mov %rsp, syscall_guest_rsp(%rip)
    lea hv_stack_top(%rip), %rsp
    pushq $GUEST_SS64
    pushq syscall_guest_rsp(%rip)
    push %r11
    pushq $\cs
    push %rcx
    pushq $0
    pushq $\vector
    jmp common_entry
.endm

    syscall_entry x86_syscall_entry, GUEST_CS64, VEC_SYSCALL
    /* From compatibility mode (CSTAR): not modelled for 64-bit guests; x86_trap says so. */
    syscall_entry x86_syscall32_entry, GUEST_CS32, VEC_SYSCALL32

/* noreturn: load the frame at rdi and iretq to it. */
    .globl x86_exit_to_guest
x86_exit_to_guest:
    mov %rdi, %rsp
pop_and_iret:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp                       /* vector, error code */
    .globl x86_iret_insn
x86_iret_insn:
    iretq

    .bss
    .balign 16
syscall_guest_rsp:
    .quad 0
    .balign 4096
    .globl hv_stack_top
hv_stack:
    .skip HV_STACK_BYTES
hv_stack_top:

    .section .note.GNU-stack, "", @progbits
