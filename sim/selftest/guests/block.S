/* block: SCHEDOP_block with nothing that could ever wake it: the run must end in a deadlock. */
#include "guest.h"
    guest_notes
    .globl _start
_start:
    mov $1, %edi
    xor %esi, %esi
    HYPERCALL(HC_sched_op)
    shutdown 0
    hypercall_page_here
