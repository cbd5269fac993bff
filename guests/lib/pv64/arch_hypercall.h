/* pv64 hypercall primitives: call into the hypercall page with the 64-bit register ABI. */
#ifndef GUEST_PV64_ARCH_HYPERCALL_H
#define GUEST_PV64_ARCH_HYPERCALL_H

/*
 * 64-bit PV ABI (xen-abi.md 1.2): number in rax (the stub loads it), args
 * 1-5 in rdi, rsi, rdx, r10, r8, result in rax. All argument registers are
 * clobbered (Xen debug builds poison them), and so are rcx and r11 (the
 * stub saves them, but a raw `syscall` does not), so every argument register
 * is an in/out operand here and rcx/r11 are clobbers.
 *
 * One macro does the work; HYPERCALL0..5 fill the unused arguments with 0.
 * `nr` must be a compile-time constant: it selects hypercall_page + nr*32.
 */
extern char hypercall_page[4096];

#define _hypercall64_5(nr, a1, a2, a3, a4, a5)                                                     \
    ({                                                                                             \
        long res_;                                                                                 \
        register unsigned long a1_ asm("rdi") = (unsigned long)(a1);                               \
        register unsigned long a2_ asm("rsi") = (unsigned long)(a2);                               \
        register unsigned long a3_ asm("rdx") = (unsigned long)(a3);                               \
        register unsigned long a4_ asm("r10") = (unsigned long)(a4);                               \
        register unsigned long a5_ asm("r8") = (unsigned long)(a5);                                \
        asm volatile("call hypercall_page + %c[offset]"                                            \
                     : "=a"(res_), "+r"(a1_), "+r"(a2_), "+r"(a3_), "+r"(a4_), "+r"(a5_)           \
                     : [offset] "i"((nr)*32)                                                       \
                     : "rcx", "r11", "memory");                                                    \
        res_;                                                                                      \
    })

#define HYPERCALL0(nr) _hypercall64_5(nr, 0, 0, 0, 0, 0)
#define HYPERCALL1(nr, a1) _hypercall64_5(nr, a1, 0, 0, 0, 0)
#define HYPERCALL2(nr, a1, a2) _hypercall64_5(nr, a1, a2, 0, 0, 0)
#define HYPERCALL3(nr, a1, a2, a3) _hypercall64_5(nr, a1, a2, a3, 0, 0)
#define HYPERCALL4(nr, a1, a2, a3, a4) _hypercall64_5(nr, a1, a2, a3, a4, 0)
#define HYPERCALL5(nr, a1, a2, a3, a4, a5) _hypercall64_5(nr, a1, a2, a3, a4, a5)

/*
 * A hypercall issued with a bare `syscall`, not through the page. Any
 * syscall in guest kernel mode is a hypercall (GRUB relies on this). The
 * runtime uses it only when the hypercall page was not written by the
 * domain builder, so that it can still say so and shut down.
 */
static inline long raw_hypercall3(unsigned int nr, unsigned long a1, unsigned long a2,
                                  unsigned long a3)
{
    long res;
    register unsigned long a1_ asm("rdi") = a1;
    register unsigned long a2_ asm("rsi") = a2;
    register unsigned long a3_ asm("rdx") = a3;

    asm volatile("syscall"
                 : "=a"(res), "+r"(a1_), "+r"(a2_), "+r"(a3_)
                 : "0"((unsigned long)nr)
                 : "rcx", "r11", "r10", "r8", "memory");
    return res;
}

#endif
