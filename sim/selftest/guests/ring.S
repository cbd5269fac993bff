/*
 * ring: the PV console ring. First bogus indices (out_prod 5000 ahead of
 * out_cons) and a send: the backend must consume nothing. Then the text
 * "hi\r\nthere\ntail" and a send. The ring is found through the M2P.
 */
#include "guest.h"
    guest_notes
    .globl _start
_start:
    mov %rsi, %rbx                      /* start_info */
    mov SI_console_mfn(%rbx), %rax
    movabs $0xFFFF800000000000, %rdx    /* M2P */
    mov (%rdx,%rax,8), %rax             /* pfn of the ring */
    shl $12, %rax                       /* its address (VIRT_BASE 0) */
    mov %rax, %r12

    movl 3080(%r12), %eax               /* out_cons */
    add $5000, %eax
    movl %eax, 3084(%r12)               /* out_prod: bogus */
    call send_console
    movl 3080(%r12), %eax
    movl %eax, 3084(%r12)               /* nothing pending again */

    lea msg(%rip), %rsi
    lea 1024(%r12), %rdi                /* out[0]: the ring is fresh, indices 0 */
    mov $msg_end - msg, %ecx
    rep movsb
    movl $msg_end - msg, 3084(%r12)
    call send_console
    shutdown 0

send_console:
    movl SI_console_evtchn(%rbx), %eax
    push %rax                           /* struct evtchn_send */
    mov $4, %edi                        /* EVTCHNOP_send */
    mov %rsp, %rsi
    HYPERCALL(HC_event_channel_op)
    pop %rax
    ret

msg:
    .ascii "hi\r\nthere\ntail"
msg_end:
    hypercall_page_here
