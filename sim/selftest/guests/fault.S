/*
 * fault: a store to an unmapped address in the middle of a block, with no
 * trap table. The core crashes the domain; the saved RIP must be exactly the
 * store (0x100086) and r9 must be 7: the two instructions before it in the
 * same block ran once, not again.
 */
#include "guest.h"
    guest_notes
    .globl _start
_start:
    movabs $0x400000000000, %rdx
    mov $5, %r9
    jmp fault_block
    .org 0x80
fault_block:
    inc %r9                 /* 3 bytes: 49 ff c1 */
    inc %r9
    movq $1, (%rdx)         /* 0x100086 */
    shutdown 0
    hypercall_page_here
