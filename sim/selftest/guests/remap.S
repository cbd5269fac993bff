/*
 * remap: one guest address X (0x105000) is made to map three different
 * frames in turn, and the code there is called each time. r12, r13, r14
 * must end as 3, 1, 2, then alternating A and B eight times must give
 * r15 = 12121212: no stale translation may survive a remap. (Translations
 * are keyed by Unicorn's internal RAM offset, which a new region may reuse;
 * whether it does depends on the region history, so this end-to-end check
 * need not catch a missing invalidation: facts.c check 6 shows the hazard.)
 */
#include "guest.h"
#define X 0x105000
#define PTE_FLAGS 0x67 /* present, rw, user, accessed, dirty */
    guest_notes
    .globl _start
_start:
    mov %rsi, %rbx
    mov $X, %eax
    call *%rax
    mov %rax, %r12

    mov $0x103, %edi                    /* pfn of page A */
    call map_x
    mov $X, %eax
    call *%rax
    mov %rax, %r13

    mov $0x104, %edi                    /* pfn of page B */
    call map_x
    mov $X, %eax
    call *%rax
    mov %rax, %r14

    /* Alternate A, B, A, B, ...: r15 collects the sequence as digits. */
    xor %r15d, %r15d
    mov $8, %ebp
1:  mov %ebp, %edi
    and $1, %edi
    add $0x103, %edi                    /* even: A, odd: B */
    call map_x
    mov $X, %eax
    call *%rax
    imul $10, %r15, %r15
    add %rax, %r15
    dec %ebp
    jnz 1b
    shutdown 0

/* update_va_mapping(X, mfn_list[edi] << 12 | PTE_FLAGS, UVMF_INVLPG) */
map_x:
    mov SI_mfn_list(%rbx), %rax
    mov (%rax,%rdi,8), %rsi
    shl $12, %rsi
    or $PTE_FLAGS, %rsi
    mov $X, %edi
    mov $2, %edx
    HYPERCALL(HC_update_va_mapping)
    ret

    hypercall_page_here
    .org 0x3000
page_a:
    mov $1, %eax
    ret
    .org 0x4000
page_b:
    mov $2, %eax
    ret
    .org 0x5000
page_x:
    mov $3, %eax
    ret
    .org 0x6000
