/* Bare-metal memory layout and selectors, shared by the assembly and the C of hv/arch/x86_64. */
#ifndef X86_LAYOUT_H
#define X86_LAYOUT_H

/*
 * Virtual layout: the hypervisor lives in Xen's hole (L4 slots 256..271),
 * present in every guest address space through hv_mem.xen_l4:
 *
 *   slot 256  0xFFFF800000000000  M2P, read-only to guests (MACH2PHYS_VIRT_START)
 *   slot 262  0xFFFF830000000000  direct map of machine memory 0..4 GiB
 *                                 (2 MiB pages, supervisor only); the
 *                                 hypervisor image is linked inside it at
 *                                 DIRECTMAP + KERNEL_PHYS.
 *
 * Boot maps the same 4 GiB at 0 too (identity, for the 32-bit entry); guests
 * never see that mapping.
 */
#define DIRECTMAP_BASE 0xFFFF830000000000
#define DIRECTMAP_SLOT 262
#define KERNEL_PHYS 0x200000
#define DIRECTMAP_BYTES 0x100000000 /* 4 GiB: RAM above it is not used */

/* Xen's reserved GDT entries start at selector 0xe000 (FIRST_RESERVED_GDT_ENTRY). */
#define HV_CS 0xe008  /* __HYPERVISOR_CS: 64-bit ring 0 */
#define HV_DS 0xe010  /* __HYPERVISOR_DS: ring 0 data (SS after syscall) */
#define HV_TSS 0xe040 /* 16-byte TSS descriptor */
#define GUEST_CS64 0xe033
#define GUEST_SS64 0xe02b
#define GUEST_CS32 0xe023 /* STAR[63:48]: sysret bases 64-bit CS/SS on it */

/* Software vectors of the entry frame beyond the IDT's 256. */
#define VEC_SYSCALL 0x100
#define VEC_SYSCALL32 0x101 /* syscall from compatibility mode (CSTAR) */
/* Hardware vectors the hypervisor owns. */
#define VEC_PIC_BASE 0xe0 /* 0xe0..0xef: the masked legacy PICs, spurious only */
#define VEC_TIMER 0xf0
#define VEC_SPURIOUS 0xff
#define VEC_HYPERCALL32 0x82 /* int $0x82, DPL 1: 32-bit PV guests in ring 1 */

#define HV_STACK_BYTES 0x8000
#define IST_STACK_BYTES 0x2000

/* Offsets in struct x86_frame (x86.h), for entry.S. */
#define FRAME_VECTOR (15 * 8)
#define FRAME_BYTES (22 * 8)

#endif
