/* timer: bind VIRQ_TIMER, arm set_timer_op for 5 ms of system time, poll its port, power off.
 * The machine must idle to the deadline (a few hundred instructions, not 15 million). */
#include "guest.h"
#define HC_set_timer_op 15
    guest_notes
    .globl _start
_start:
    sub $64, %rsp
    movq $0, (%rsp)              /* evtchn_bind_virq {virq 0 (TIMER), vcpu 0, port} */
    movl $0, 8(%rsp)
    mov $1, %edi                 /* EVTCHNOP_bind_virq */
    mov %rsp, %rsi
    HYPERCALL(HC_event_channel_op)
    test %rax, %rax
    jnz fail
    mov $5000000, %edi           /* absolute: 5 ms after boot */
    HYPERCALL(HC_set_timer_op)
    lea 8(%rsp), %rax            /* sched_poll {ports = &port, nr_ports 1, timeout 0} */
    mov %rax, 16(%rsp)
    movq $1, 24(%rsp)
    movq $0, 32(%rsp)
    mov $3, %edi                 /* SCHEDOP_poll */
    lea 16(%rsp), %rsi
    HYPERCALL(HC_sched_op)
    test %rax, %rax
    jnz fail
    shutdown 0
fail:
    shutdown 3
    hypercall_page_here
