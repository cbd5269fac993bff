/*
 * rdtsc3: three RDTSC in a row (three #GP under CR4.TSD: the exception-state
 * fix), then a plain CPUID of the hypervisor leaf through the CPUID hook
 * (r15 = ebx = "XenV"), with an instruction after it in the same block
 * (r10 = 7), then poweroff.
 */
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
    mov $0x40000000, %eax
    xor %ecx, %ecx
    cpuid
    mov %rbx, %r15
    mov $7, %r10d
    shutdown 0
    hypercall_page_here
