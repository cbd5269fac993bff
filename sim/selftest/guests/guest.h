/* Tiny pv64 test guests for the simulator self-test: Xen notes, hypercall page, helpers. */
/* clang-format off */

/*
 * Each guest is one assembly file linked at 0x100000 (selftest.lds) with
 * VIRT_BASE 0, so a guest address is its pseudo-physical address. The
 * builder fills `hypercall_page` (page 0x101000) with syscall stubs.
 * Hypercall arguments: rdi, rsi, rdx, r10, r8; result in rax.
 */

#define HYPERCALL(nr) call hypercall_page + (nr) * 32
#define HC_update_va_mapping 14
#define HC_console_io 18
#define HC_sched_op 29
#define HC_event_channel_op 32

/* start_info fields (64-bit layout). */
#define SI_console_mfn 72
#define SI_console_evtchn 80
#define SI_mfn_list 104

.macro xen_note type:req, kind:req, value:req
    .balign 4
    .long 2f - 1f
    .long 4f - 3f
    .long \type
1:  .asciz "Xen"
2:  .balign 4
3:
    .ifc \kind, str
    .asciz "\value"
    .else
    .quad \value
    .endif
4:  .balign 4
.endm

.macro guest_notes
    .section .note.Xen, "a", @note
    xen_note 6, str, hvsim-selftest /* GUEST_OS */
    xen_note 8, str, generic        /* LOADER */
    xen_note 5, str, xen-3.0        /* XEN_VERSION */
    xen_note 1, num, _start         /* ENTRY */
    xen_note 2, num, hypercall_page /* HYPERCALL_PAGE */
    xen_note 3, num, 0              /* VIRT_BASE */
    xen_note 4, num, 0              /* PADDR_OFFSET */
    .text
.endm

/* SCHEDOP_shutdown(reason): does not return. */
.macro shutdown reason:req
    sub $8, %rsp
    movl $\reason, (%rsp)
    mov $2, %edi
    mov %rsp, %rsi
    HYPERCALL(HC_sched_op)
    ud2
.endm

/* The hypercall page, at the second page of the image (0x101000). */
.macro hypercall_page_here
    .org 0x1000
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xc3
.endm
