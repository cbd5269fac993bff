/* The anchor of the QEMU boot benchmark: the least a multiboot2 kernel can do (GRUB loads it,
 * it writes "anchor" to COM1 and leaves QEMU through isa-debug-exit), so the time to boot
 * hvsim-hv.elf through the same GRUB ISO can be read against firmware + GRUB + QEMU costs. */

        .section .text, "ax"
        .code32

        /* Multiboot2 header: magic, architecture 0 (i386), length, checksum, end tag.
         * It must lie 8-byte aligned in the first 32 KiB of the file. */
        .align 8
mb2_header:
        .long 0xe85250d6
        .long 0
        .long mb2_end - mb2_header
        .long -(0xe85250d6 + (mb2_end - mb2_header))
        .short 0, 0
        .long 8
mb2_end:

        /* GRUB enters in 32-bit protected mode with interrupts off. QEMU's UART needs
         * no set-up, but transmitting only when THR is empty keeps bytes from being lost. */
        .globl _start
_start:
        mov $message, %esi
next:   lodsb
        test %al, %al
        jz exit
        mov %al, %bl
        mov $0x3fd, %dx                 /* line status register */
wait:   in %dx, %al
        test $0x20, %al                 /* transmit holding register empty */
        jz wait
        mov $0x3f8, %dx
        mov %bl, %al
        out %al, %dx
        jmp next
exit:   mov $0xf4, %dx                  /* isa-debug-exit: QEMU exits with (0 << 1) | 1 */
        xor %eax, %eax
        out %eax, %dx
halt:   cli
        hlt
        jmp halt

message:
        .asciz "anchor\n"

        .section .note.GNU-stack, "", @progbits
