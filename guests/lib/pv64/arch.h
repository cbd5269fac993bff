/* pv64 environment: constants, register frame and page-table shape of a 64-bit PV guest. */
#ifndef GUEST_PV64_ARCH_H
#define GUEST_PV64_ARCH_H

/*
 * Everything the portable runtime needs to know about the environment lives
 * here (and in arch_hypercall.h). A pv32pae build adds guests/lib/pv32pae/
 * with the same names: ENVIRONMENT_DESCRIPTION, _ASM_PTR, struct ex_regs,
 * PT_LEVELS, M2P_VIRT_START, KERNEL_CS/KERNEL_SS.
 */

#define ENVIRONMENT_NAME "pv64"
#define ENVIRONMENT_DESCRIPTION "PV 64bit (Long mode 4 levels)"

#define BYTES_PER_LONG 8

#ifdef __ASSEMBLY__

#define _ASM_PTR .quad
#define XEN_NOTE_NUM .quad /* numeric Xen ELF notes: 8-byte values */

#else /* !__ASSEMBLY__ */

#include <stdint.h>
#include <public/xen.h>

#define _ASM_PTR ".quad"

#define KERNEL_CS FLAT_KERNEL_CS64
#define KERNEL_SS FLAT_KERNEL_SS64

/* The read-only machine-to-phys table the hypervisor maps for every PV guest. */
#define M2P_VIRT_START MACH2PHYS_VIRT_START_64

/* 4-level paging, 512 8-byte entries per table at every level. */
#define PT_LEVELS 4
#define PT_ENTRIES 512
typedef uint64_t pte_t;
#define PT_SHIFT(level) (12 + 9 * ((level)-1)) /* level 1 = L1 ... 4 = L4 */

/*
 * The frame do_exception() sees. The asm stubs (entry.S) build it:
 *
 *   high  ss, sp, flags, cs, ip       Xen's bounce frame (minus rcx/r11,
 *         entry_vector:error_code     which the stub popped back into
 *         ax, bx, cx, dx, si, di, bp  the registers they belong to)
 *   low   r8 ... r15                  pushed by handle_exception
 *
 * cs: bits 0-15 selector (RPL 0 if the fault was in guest kernel mode),
 * bits 32-39 the saved event upcall mask. flags.IF = !saved upcall mask.
 * Writing ax/ip here changes what the iret hypercall restores.
 */
struct ex_regs {
    unsigned long r15, r14, r13, r12, r11, r10, r9, r8;
    unsigned long bp, di, si, dx, cx, bx, ax;
    uint32_t error_code;   /* 0 for vectors without one */
    uint32_t entry_vector; /* written by the stub */
    unsigned long ip, cs, flags, sp, ss;
};
_Static_assert(sizeof(struct ex_regs) == 21 * 8, "ex_regs must match entry.S");

/* Saved upcall mask as Xen puts it in the frame's CS slot (64-bit bounce frame only). */
#define EX_REGS_SAVED_UPCALL_MASK(r) ((unsigned int)(((r)->cs >> 32) & 0xff))
#define EX_REGS_HAS_UPCALL_MASK 1

#endif /* __ASSEMBLY__ */

#endif
