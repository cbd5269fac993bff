/* rdtsc3: three RDTSC in a row (three #GP under CR4.TSD: the exception-state fix), then poweroff. */
#include "guest.h"
    guest_notes
    .globl _start
_start:
    rdtsc
    mov %rax, %r12
    rdtsc
    mov %rax, %r13
    rdtsc
    mov %rax, %r14
    shutdown 0
    hypercall_page_here
