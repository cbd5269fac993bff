/* The Xen ELF notes (xen-abi.md 6) that make this image loadable by a Xen-style domain builder. */
#include "arch.h"

/*
 * One note: namesz, descsz, type, "Xen\0", desc, each padded to 4 bytes.
 * Strings are NUL-terminated; numbers are XEN_NOTE_NUM (8 bytes on pv64).
 * The section type is SHT_NOTE (@note) and the linker script puts it in a
 * PT_NOTE program header as well as in the loaded text segment.
 */

/* gas strips the quotes of a macro argument: xen_note_str puts them back. */
.macro xen_note_str type:req, str:req
    .balign 4
    .long   2f - 1f
    .long   4f - 3f
    .long   \type
1:  .asciz  "Xen"
2:  .balign 4
3:  .asciz  "\str"
4:  .balign 4
.endm

.macro xen_note_num type:req, value:req
    .balign 4
    .long   2f - 1f
    .long   4f - 3f
    .long   \type
1:  .asciz  "Xen"
2:  .balign 4
3:  XEN_NOTE_NUM \value
4:  .balign 4
.endm

    .section .note.Xen, "a", @note
    xen_note_str  6, hvsim                  /* XEN_ELFNOTE_GUEST_OS */
    xen_note_str  7, 0                      /* XEN_ELFNOTE_GUEST_VERSION */
    xen_note_str  8, generic                /* XEN_ELFNOTE_LOADER */
    xen_note_str  5, xen-3.0                /* XEN_ELFNOTE_XEN_VERSION */
    xen_note_num  1, _start                 /* XEN_ELFNOTE_ENTRY */
    xen_note_num  2, hypercall_page         /* XEN_ELFNOTE_HYPERCALL_PAGE */
    xen_note_num  3, 0                      /* XEN_ELFNOTE_VIRT_BASE */
    xen_note_num  4, 0                      /* XEN_ELFNOTE_PADDR_OFFSET */
    xen_note_str  9, yes                    /* XEN_ELFNOTE_PAE_MODE */

    .section .note.GNU-stack, "", @progbits
