/* A hypervisor fault on bare metal: registers and a frame-pointer backtrace on serial, then stop.
 */
#include "hv/lib.h"
#include "x86.h"

/* isa-debug-exit (QEMU): the process exits with (code << 1) | 1. */
#define DEBUG_EXIT_PORT 0xf4

__attribute__((noreturn)) void x86_exit(unsigned int code)
{
    if (exit_qemu)
        outb(DEBUG_EXIT_PORT, (uint8_t)code);
    x86_printf("hv: machine halted\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}

static bool on_hv_stack(uint64_t p)
{
    extern char hv_stack_top[];
    return p >= (uint64_t)hv_stack_top - HV_STACK_BYTES && p + 16 <= (uint64_t)hv_stack_top;
}

static void backtrace(uint64_t rbp)
{
    x86_printf("hv: backtrace (frame pointers):\n");
    for (int depth = 0; depth < 32 && on_hv_stack(rbp); depth++) {
        const uint64_t *fp = (const uint64_t *)rbp;
        x86_printf("hv:   [%2d] 0x%llx\n", depth, (unsigned long long)fp[1]);
        if (fp[0] <= rbp)
            break;
        rbp = fp[0];
    }
}

__attribute__((noreturn)) void x86_fatal(const char *msg, const struct x86_frame *f)
{
    static bool in_fatal;

    __asm__ volatile("cli");
    if (in_fatal)
        x86_exit(2); /* a fault while reporting one */
    in_fatal = true;
    x86_printf("hv: PANIC: %s\n", msg);
    if (f) {
        x86_printf("hv: vector %llu error 0x%llx cr2 0x%llx cr3 0x%llx\n",
                   (unsigned long long)f->vector, (unsigned long long)f->error_code,
                   (unsigned long long)read_cr(2), (unsigned long long)read_cr(3));
        x86_printf("hv: rip 0x%llx cs 0x%llx rflags 0x%llx rsp 0x%llx ss 0x%llx\n",
                   (unsigned long long)f->rip, (unsigned long long)f->cs,
                   (unsigned long long)f->rflags, (unsigned long long)f->rsp,
                   (unsigned long long)f->ss);
        x86_printf("hv: rax 0x%llx rbx 0x%llx rcx 0x%llx rdx 0x%llx\n", (unsigned long long)f->rax,
                   (unsigned long long)f->rbx, (unsigned long long)f->rcx,
                   (unsigned long long)f->rdx);
        x86_printf("hv: rsi 0x%llx rdi 0x%llx rbp 0x%llx r8 0x%llx\n", (unsigned long long)f->rsi,
                   (unsigned long long)f->rdi, (unsigned long long)f->rbp,
                   (unsigned long long)f->r8);
        x86_printf("hv: r9 0x%llx r10 0x%llx r11 0x%llx r12 0x%llx\n", (unsigned long long)f->r9,
                   (unsigned long long)f->r10, (unsigned long long)f->r11,
                   (unsigned long long)f->r12);
        x86_printf("hv: r13 0x%llx r14 0x%llx r15 0x%llx\n", (unsigned long long)f->r13,
                   (unsigned long long)f->r14, (unsigned long long)f->r15);
        backtrace(f->rbp);
    } else {
        backtrace((uint64_t)__builtin_frame_address(0));
    }
    x86_exit(2);
}
