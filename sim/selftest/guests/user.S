/*
 * user: guest user mode through the shadow MMU. The kernel registers a
 * syscall callback, uses its own L4 as the user table, unmaps page K
 * (0x103000), and irets to user mode. User code sets r12 = 42
 * and does `syscall`; the callback (kernel mode) sets r13 = 43 and irets
 * back; user code sets r14 = 44 and reads K, which must fault in user mode
 * at 0x100900 (no trap table: the domain crashes there). K is unmapped,
 * not kernel-only: as in Xen, every present entry of a 64-bit PV guest is
 * a user entry, and only the separate user table keeps user mode out.
 */
#include "guest.h"
#define HC_stack_switch 3
#define HC_mmuext_op 26
#define HC_callback_op 30
#define HC_iret 23
#define K 0x103000
    guest_notes
    .globl _start
_start:
    mov %rsi, %rbx
    mov %rsp, %r15                      /* the kernel stack from now on */
    mov $0xe02b, %edi
    mov %rsp, %rsi
    HYPERCALL(HC_stack_switch)

    lea syscall_cb(%rip), %rax          /* struct callback_register */
    push %rax
    push $2                             /* type CALLBACKTYPE_syscall, flags 0 */
    xor %edi, %edi                      /* CALLBACKOP_register */
    mov %rsp, %rsi
    HYPERCALL(HC_callback_op)
    add $16, %rsp

    mov %cr3, %rax                      /* emulated: the kernel L4 */
    shr $12, %rax
    push $0
    push %rax                           /* arg1.mfn */
    push $15                            /* MMUEXT_NEW_USER_BASEPTR */
    mov %rsp, %rdi
    mov $1, %esi
    xor %edx, %edx
    mov $0x7ff0, %r10d                  /* DOMID_SELF */
    HYPERCALL(HC_mmuext_op)
    add $24, %rsp

    xor %esi, %esi                      /* K: not present */
    mov $K, %edi
    mov $2, %edx
    HYPERCALL(HC_update_va_mapping)

    lea user_entry(%rip), %rax
    jmp iret_to_user

syscall_cb:
    mov $43, %r13
    lea user_entry2(%rip), %rax
    /* fall through */

/* HYPERVISOR_iret to user mode at rax, user stack at the top of page 0x104. */
iret_to_user:
    push $0xe02b                        /* ss */
    push $0x105000                      /* rsp */
    push $0x202                         /* rflags */
    push $0xe033                        /* cs */
    push %rax                           /* rip */
    push $0                             /* flags */
    jmp hypercall_page + HC_iret * 32

user_entry:
    mov $42, %r12
    syscall
    ud2
user_entry2:
    mov $44, %r14
    jmp user_read
    .org 0x900
user_read:
    mov K, %rax
    ud2

    hypercall_page_here
    .org 0x3000
    .quad 0x1234                        /* page K */
    .org 0x5000
