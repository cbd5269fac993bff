/* Multiboot2 header and 32-bit entry: build nothing at run time, enable long mode, jump high. */
#include "layout.h"

#define MB2_MAGIC 0xE85250D6
#define MB2_ARCH_I386 0

/*
 * Everything in the .boot.* sections is linked at its physical address
 * (link.lds), so the 32-bit code runs before paging with plain absolute
 * addresses. The page tables are static: the L2s map 0..4 GiB with 2 MiB
 * pages, and one L3 serves both the identity map (L4 slot 0, for this
 * code) and the direct map (slot 262, where the rest of the image is
 * linked). Guests later get slot 262 through hv_mem.xen_l4, never slot 0.
 */

    .section .boot.header, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long 0x100000000 - (MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    .balign 8
    .short 0, 0                         /* end tag */
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    mov %eax, %edi                      /* multiboot2 magic, kept for x86_start */
    mov %ebx, %esi                      /* physical address of the boot information */

    /* No long mode: nothing sensible can run. Say so on COM1 and stop. */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    bt $29, %edx
    jnc no_long_mode

    mov %cr4, %eax
    or $0x20, %eax                      /* PAE */
    mov %eax, %cr4
    mov $boot_l4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx               /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80010001, %eax                /* PG | WP | PE */
    mov %eax, %cr0
    lgdt boot_gdtr
    ljmp $0x08, $start64_low

no_long_mode:
    mov $no_lm_msg, %esi
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %bl
    mov $0x3fd, %dx
2:  inb %dx, %al
    test $0x20, %al
    jz 2b
    mov $0x3f8, %dx
    mov %bl, %al
    outb %al, %dx
    jmp 1b
3:  hlt
    jmp 3b

    .code64
start64_low:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    movabs $start64_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
no_lm_msg:
    .asciz "hv: PANIC: this CPU has no long mode\r\n"
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff            /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff            /* 0x10: data */
boot_gdtr:
    .short boot_gdtr - boot_gdt - 1
    .long boot_gdt

    .balign 4096
    .globl boot_l4, boot_l3
boot_l4:
    .quad boot_l3 + 0x3
    .fill DIRECTMAP_SLOT - 1, 8, 0
    .quad boot_l3 + 0x3
    .fill 511 - DIRECTMAP_SLOT, 8, 0
boot_l3:
    .quad boot_l2 + 0x0003
    .quad boot_l2 + 0x1003
    .quad boot_l2 + 0x2003
    .quad boot_l2 + 0x3003
    .fill 508, 8, 0
boot_l2:
    .set i, 0
    .rept 2048
    .quad (i << 21) | 0x83              /* present, writable, 2 MiB */
    .set i, i + 1
    .endr

    .text
start64_high:
    lea hv_stack_top(%rip), %rsp
    xor %ebp, %ebp
    call x86_start                      /* (magic, boot information address) */
    ud2

    /* Physical addresses of the boot tables, for C (which cannot reach .boot RIP-relative). */
    .section .rodata
    .balign 8
    .globl boot_l4_maddr, boot_l3_maddr
boot_l4_maddr:
    .quad boot_l4
boot_l3_maddr:
    .quad boot_l3

    .section .note.GNU-stack, "", @progbits
