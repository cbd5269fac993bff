/* count: exactly 3010 instructions (1 + 1000 * 3 + 5 + 4 in the hypercall stub), then poweroff. */
#include "guest.h"
    guest_notes
    .globl _start
_start:
    mov $1000, %ecx
1:  add $1, %rax
    dec %ecx
    jnz 1b
    shutdown 0
    hypercall_page_here
