/* Internal interfaces of the bare-metal arch: CPU helpers, entry frame, and the pieces between
 * files. */
#ifndef X86_X86_H
#define X86_X86_H

#include "hv/sched.h"
#include "hv/types.h"
#include "layout.h"

/*
 * Everything is linked into one static image: hidden visibility lets the
 * compiler take addresses RIP-relative instead of through a GOT entry that
 * the linker would have to turn into a 32-bit absolute (too small here).
 */
#pragma GCC visibility push(hidden)

/* What entry.S pushes: GPRs (r15 lowest), vector, error code, then the CPU's iret frame. */
struct x86_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct x86_frame) == FRAME_BYTES, "entry.S frame layout");
_Static_assert(__builtin_offsetof(struct x86_frame, vector) == FRAME_VECTOR, "entry.S frame");

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}
#define read_cr(n)                                                                                 \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_));                                         \
        v_;                                                                                        \
    })
#define write_cr(n, v) __asm__ volatile("mov %0, %%cr" #n : : "r"((uint64_t)(v)) : "memory")

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_APIC_BASE 0x1b
#define EFER_SCE (1u << 0)
#define EFER_NXE (1u << 11)

/* Machine address <-> hypervisor pointer through the direct map. */
static inline void *maddr_to_virt(uint64_t ma)
{
    return (void *)(DIRECTMAP_BASE + ma);
}
static inline uint64_t virt_to_maddr(const void *p)
{
    return (uint64_t)p - DIRECTMAP_BASE;
}

/* serial.c */
void serial_init(void);
void serial_write(const char *s, size_t len);
void x86_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cpu.c: GDT, IDT, TSS, syscall MSRs; the guest's view of segments. */
void cpu_init(void);
void cpu_load_guest_gdt(struct vcpu *v);
void cpu_load_guest_segments(struct cpu_user_regs *r);
void cpu_save_guest_segments(struct cpu_user_regs *r);

/* time.c: TSC and LAPIC timer. */
void time_calibrate(void);
void timer_start(unsigned int hz);
void lapic_eoi(void);
uint64_t x86_tsc_khz(void);
uint64_t x86_tsc_boot(void);
/* The virtual TSC the core and guests see (options tsc_khz= and tsc_start=), and its rate. */
uint64_t x86_virtual_tsc(void);
uint64_t x86_virtual_tsc_khz(void);
extern uint64_t opt_tsc_khz, opt_tsc_start;
void pit_wait_ms(unsigned int ms);
void pic_disable(void);

/* console.c: guest consoles on serial, result words. */
void dom_console_write(struct domain *d, int source, const char *s, size_t len);
void dom_console_flush(struct domain *d);
const char *dom_result_word(const struct domain *d);

/* sched.c: running guests. */
void sched_add(struct domain *d);
__attribute__((noreturn)) void sched_start(void);
void sched_mmu_changed(struct vcpu *v);
void sched_segments_changed(struct vcpu *v);
void sched_deschedule(struct vcpu *v);
extern bool exit_qemu;
extern bool trace_serial;
extern unsigned int slice_ms;

/* setup.c: domains whose module could not be built get a result line too. */
void x86_report_failed_builds(unsigned int *nr_domains);

/* panic.c */
__attribute__((noreturn)) void x86_fatal(const char *msg, const struct x86_frame *f);
__attribute__((noreturn)) void x86_exit(unsigned int code);

/* entry.S */
extern char x86_idt_stubs[];
void x86_syscall_entry(void);
void x86_syscall32_entry(void);
__attribute__((noreturn)) void x86_exit_to_guest(struct x86_frame *f);
extern char x86_iret_insn[];
extern char hv_stack_top[];

/* The entry point from entry.S: every interrupt, exception and syscall. */
void x86_trap(struct x86_frame *f);

#pragma GCC visibility pop

#endif
