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
        static const char names[15][4] = {"r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8",
                                          "rbp", "rdi", "rsi", "rdx", "rcx", "rbx", "rax"};
        const uint64_t *gpr = &f->r15;
        for (int i = 14; i >= 0; i--)
            x86_printf("%s%s 0x%llx%s", i % 4 == 2 ? "hv: " : "", names[i],
                       (unsigned long long)gpr[i], i % 4 == 3 || i == 0 ? "\n" : " ");
        backtrace(f->rbp);
    } else {
        backtrace((uint64_t)__builtin_frame_address(0));
    }
    x86_exit(2);
}
