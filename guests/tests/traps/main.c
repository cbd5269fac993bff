/* Guest test "traps": exception delivery through the trap table, the bounce frame, and iret. */

/*
 * What it checks: #UD (ud2), #GP (hlt in the ring-3 guest kernel), #PF on
 * a read of an unmapped address (error code 0, cr2 = the address), #PF on
 * a write to a read-only page (the top-level page table: error code
 * present|write = 3, cr2 = its address), #BP (int3: a trap, so the saved
 * ip is after the int3) and #DE (div by zero) are each delivered to the
 * handler registered with set_trap_table, with Xen's 64-bit bounce frame:
 * right vector and error code, ip of the faulting instruction, sp of the
 * interrupted code, CS with RPL 0 (fault in guest kernel mode) and the
 * saved upcall mask (1) in bits 32-39, RFLAGS.IF clear because upcalls
 * are masked; and that the iret hypercall returns to the fixup with every
 * register (rcx and r11 included) as the handler left it and upcalls
 * still masked. It also checks the two pieces of PV emulation every XTF
 * guest needs: the forced-emulation CPUID (ud2 "xen" cpuid) returns the
 * hypervisor leaf 0x40000000 with "XenVMMXenVMM" and does not fault, any
 * other instruction after the prefix raises #UD, and `mov %cr3` returns the
 * machine address of the L4, whose M2P entry is the pfn of pt_base.
 * A failure means a PV kernel's exception handling would misbehave: wrong
 * frame, lost registers, wrong fault address, or emulation missing.
 */
#include "xtf.h"

const char test_title[] = "Exception delivery, bounce frame, iret, PV emulation";

#define UNMAPPED_VA 0x7fff0000UL

/* The interrupted context a probe saw, next to what do_exception() recorded. */
struct probe {
    unsigned long info; /* rax after the probe: EXINFO, or 0 if nothing faulted */
    unsigned long ip;   /* the ip the frame must hold */
    unsigned long sp;   /* rsp just before the faulting instruction */
};

static void check_frame(const char *what, const struct probe *p, unsigned int vec, unsigned int ec,
                        unsigned long count_before)
{
    const struct ex_record *e = &last_exception;
    unsigned long expect_info = EXINFO(vec, ec);

    if (p->info != expect_info) {
        if (p->info & EXINFO_EXPECTED)
            xtf_failure("%s: got %s (vector %lu) error code %#lx, expected %s error code %#x", what,
                        exception_name(EXINFO_VEC(p->info)), EXINFO_VEC(p->info),
                        EXINFO_EC(p->info), exception_name(vec), ec);
        else
            xtf_failure("%s: no exception, expected %s", what, exception_name(vec));
        return;
    }
    if (exception_count != count_before + 1)
        xtf_failure("%s: %lu exceptions taken, expected 1", what, exception_count - count_before);
    if (e->ip != p->ip)
        xtf_failure("%s: frame ip %#lx expected %#lx", what, e->ip, p->ip);
    if (e->sp != p->sp)
        xtf_failure("%s: frame sp %#lx expected %#lx (the interrupted rsp)", what, e->sp, p->sp);
    if (e->cs & 3)
        xtf_failure("%s: frame CS RPL %lu, expected 0 for a fault in guest kernel mode", what,
                    e->cs & 3);
    if ((e->cs & 0xfffc) != (KERNEL_CS & 0xfffc))
        xtf_failure("%s: frame CS selector %#lx, expected %#x with RPL 0", what, e->cs & 0xffff,
                    KERNEL_CS & 0xfffc);
    if (EX_REGS_SAVED_UPCALL_MASK(e) != 1)
        xtf_failure("%s: saved upcall mask (CS bits 32-39) %u, expected 1 (masked)", what,
                    EX_REGS_SAVED_UPCALL_MASK(e));
    if (e->flags & X86_EFLAGS_IF)
        xtf_failure("%s: frame RFLAGS %#lx has IF set, but upcalls are masked", what, e->flags);
    if ((e->ss & 0xfffc) != (KERNEL_SS & 0xfffc))
        xtf_failure("%s: frame SS %#lx expected %#x", what, e->ss & 0xffff, KERNEL_SS);
    if (READ_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask) != 1)
        xtf_failure("%s: upcall mask %u after iret, expected 1 (IF was clear in the frame)", what,
                    READ_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask));
}

static void test_ud(void)
{
    unsigned long before = exception_count;
    struct probe p;

    asm volatile("lea 1f(%%rip), %[ip]\n\t"
                 "mov %%rsp, %[sp]\n\t"
                 "1: ud2\n\t"
                 "2:\n\t" _ASM_EXTABLE(1b, 2b)
                 : "=a"(p.info), [ip] "=&r"(p.ip), [sp] "=&r"(p.sp)
                 : "0"(0UL)
                 : "memory");
    check_frame("#UD (ud2)", &p, X86_EXC_UD, 0, before);
}

/* rcx and r11 survive exception + iret, checked in one asm so the compiler cannot help. */
static void test_rcx_r11_preserved(void)
{
    unsigned long rcx, r11, info;

    asm volatile("mov $0x1111111111111111, %%rcx\n\t"
                 "mov $0x2222222222222222, %%r11\n\t"
                 "1: ud2\n\t"
                 "2: mov %%rcx, %[rcx]\n\t"
                 "mov %%r11, %[r11]\n\t" _ASM_EXTABLE(1b, 2b)
                 : "=a"(info), [rcx] "=r"(rcx), [r11] "=r"(r11)
                 : "0"(0UL)
                 : "rcx", "r11", "memory");
    if (info != EXINFO(X86_EXC_UD, 0))
        return; /* test_ud() already reported it */
    if (rcx != 0x1111111111111111UL)
        xtf_failure("rcx after #UD + iret: got %#lx expected 0x1111111111111111", rcx);
    if (r11 != 0x2222222222222222UL)
        xtf_failure("r11 after #UD + iret: got %#lx expected 0x2222222222222222", r11);
}

static void test_gp(void)
{
    unsigned long before = exception_count;
    struct probe p;

    /*
     * hlt is privileged and the PV kernel runs in ring 3; Xen does not
     * emulate it, so it is a #GP(0). (`mov %cr0` is not used: Xen emulates
     * CR0 reads for PV kernels, so it would not fault on Xen.)
     */
    asm volatile("lea 1f(%%rip), %[ip]\n\t"
                 "mov %%rsp, %[sp]\n\t"
                 "1: hlt\n\t"
                 "2:\n\t" _ASM_EXTABLE(1b, 2b)
                 : "=a"(p.info), [ip] "=&r"(p.ip), [sp] "=&r"(p.sp)
                 : "0"(0UL)
                 : "memory");
    check_frame("#GP (hlt)", &p, X86_EXC_GP, 0, before);
}

static void test_pf_read_unmapped(void)
{
    unsigned long before = exception_count, tmp;
    struct probe p;

    asm volatile("lea 1f(%%rip), %[ip]\n\t"
                 "mov %%rsp, %[sp]\n\t"
                 "1: mov (%[addr]), %[tmp]\n\t"
                 "2:\n\t" _ASM_EXTABLE(1b, 2b)
                 : "=a"(p.info), [ip] "=&r"(p.ip), [sp] "=&r"(p.sp), [tmp] "=&r"(tmp)
                 : "0"(0UL), [addr] "r"(UNMAPPED_VA)
                 : "memory");
    check_frame("#PF (read of unmapped 0x7fff0000)", &p, X86_EXC_PF, 0, before);
    if (p.info == EXINFO(X86_EXC_PF, 0) && last_exception.cr2 != UNMAPPED_VA)
        xtf_failure("#PF (read of unmapped): cr2 %#lx expected %#lx", last_exception.cr2,
                    UNMAPPED_VA);
}

static void test_pf_write_readonly(void)
{
    unsigned long before = exception_count;
    unsigned long addr = start_info->pt_base; /* the L4: mapped read-only by the builder */
    unsigned long val = *(const volatile unsigned long *)addr;
    struct probe p;

    /*
     * Write back the value already there, so that a hypervisor that wrongly
     * allows the write changes nothing. (Xen's writable-pagetable emulation
     * covers L1 tables only; a write to the L4 is a plain #PF.)
     */
    asm volatile("lea 1f(%%rip), %[ip]\n\t"
                 "mov %%rsp, %[sp]\n\t"
                 "1: mov %[val], (%[addr])\n\t"
                 "2:\n\t" _ASM_EXTABLE(1b, 2b)
                 : "=a"(p.info), [ip] "=&r"(p.ip), [sp] "=&r"(p.sp)
                 : "0"(0UL), [addr] "r"(addr), [val] "r"(val)
                 : "memory");
    check_frame("#PF (write to the read-only L4)", &p, X86_EXC_PF, PFEC_present | PFEC_write,
                before);
    if (p.info == EXINFO(X86_EXC_PF, PFEC_present | PFEC_write) && last_exception.cr2 != addr)
        xtf_failure("#PF (write to read-only): cr2 %#lx expected %#lx", last_exception.cr2, addr);
}

static void test_bp(void)
{
    unsigned long before = exception_count;
    struct probe p;

    /* #BP is a trap: the frame's ip is the instruction after int3, where the fixup also is. */
    asm volatile("lea 2f(%%rip), %[ip]\n\t"
                 "mov %%rsp, %[sp]\n\t"
                 "int3\n\t"
                 "2:\n\t" _ASM_EXTABLE(2b, 2b)
                 : "=a"(p.info), [ip] "=&r"(p.ip), [sp] "=&r"(p.sp)
                 : "0"(0UL)
                 : "memory");
    check_frame("#BP (int3)", &p, X86_EXC_BP, 0, before);
}

static void test_de(void)
{
    unsigned long before = exception_count, dx = 0;
    struct probe p;

    /* 1 / 0: if it did not fault, rax could not hold an EXINFO value. */
    asm volatile("lea 1f(%%rip), %[ip]\n\t"
                 "mov %%rsp, %[sp]\n\t"
                 "1: div %[zero]\n\t"
                 "2:\n\t" _ASM_EXTABLE(1b, 2b)
                 : "=a"(p.info), "+d"(dx), [ip] "=&r"(p.ip), [sp] "=&r"(p.sp)
                 : "0"(1UL), [zero] "c"(0UL)
                 : "memory");
    check_frame("#DE (div by 0)", &p, X86_EXC_DE, 0, before);
}

static void test_forced_cpuid(void)
{
    unsigned long before = exception_count;
    uint32_t a = 0x40000000, b = 0, c = 0, d = 0;

    asm volatile("1: ud2; .ascii \"xen\"; cpuid\n\t"
                 "2:\n\t" _ASM_EXTABLE(1b, 2b)
                 : "+a"(a), "+b"(b), "+c"(c), "+d"(d)
                 :
                 : "memory");
    if (exception_count != before) {
        xtf_failure("forced-emulation CPUID faulted (%s at %#lx) instead of being emulated",
                    exception_name(last_exception.vector), last_exception.ip);
        return;
    }
    printk("cpuid 0x40000000 (forced): eax %#x ebx %#x ecx %#x edx %#x\n", a, b, c, d);
    /* "XenVMMXenVMM" as ebx, ecx, edx, little-endian. */
    if (b != 0x566e6558 || c != 0x65584d4d || d != 0x4d4d566e)
        xtf_failure("forced CPUID leaf 0x40000000: signature %#x %#x %#x, expected "
                    "\"XenVMMXenVMM\" (0x566e6558 0x65584d4d 0x4d4d566e)",
                    b, c, d);
    if (a < 0x40000001 || a > 0x400000ff)
        xtf_failure("forced CPUID leaf 0x40000000: max leaf %#x is not a hypervisor leaf", a);
}

static void test_forced_prefix_not_cpuid(void)
{
    unsigned long before = exception_count;
    struct probe p;

    /* Only cpuid may follow the prefix; anything else is a #UD at the ud2 (xen-abi.md 5.7). */
    asm volatile("lea 1f(%%rip), %[ip]\n\t"
                 "mov %%rsp, %[sp]\n\t"
                 "1: ud2; .ascii \"xen\"; nop\n\t"
                 "2:\n\t" _ASM_EXTABLE(1b, 2b)
                 : "=a"(p.info), [ip] "=&r"(p.ip), [sp] "=&r"(p.sp)
                 : "0"(0UL)
                 : "memory");
    check_frame("#UD (ud2 \"xen\" nop: forced prefix without cpuid)", &p, X86_EXC_UD, 0, before);
}

static void check_cr3(const char *what, unsigned long cr3, unsigned long before)
{
    unsigned long pt_pfn = start_info->pt_base >> PAGE_SHIFT;

    if (exception_count != before) {
        xtf_failure("%s faulted (%s, error code %#x) instead of being emulated", what,
                    exception_name(last_exception.vector), last_exception.error_code);
        return;
    }
    if (cr3 & (PAGE_SIZE - 1))
        xtf_failure("%s: %#lx is not page aligned", what, cr3);
    else if (mfn_to_pfn(cr3 >> PAGE_SHIFT) != pt_pfn)
        xtf_failure("%s: m2p[%#lx] = %#lx, expected the pfn of pt_base %#lx", what,
                    cr3 >> PAGE_SHIFT, mfn_to_pfn(cr3 >> PAGE_SHIFT), pt_pfn);
}

static void test_read_cr3(void)
{
    unsigned long before = exception_count, cr3;

    asm volatile("1: mov %%cr3, %0\n\t"
                 "2:\n\t" _ASM_EXTABLE(1b, 2b)
                 : "=a"(cr3)
                 : "0"(0UL)
                 : "memory");
    check_cr3("mov %cr3, %rax", cr3, before);

    /* Again into r9: the emulator must decode REX.B. */
    before = exception_count;
    asm volatile("xor %%eax, %%eax\n\t"
                 "1: mov %%cr3, %%r9\n\t"
                 "2: mov %%r9, %0\n\t" _ASM_EXTABLE(1b, 2b)
                 : "=r"(cr3)
                 :
                 : "rax", "r9", "memory");
    check_cr3("mov %cr3, %r9", cr3, before);
}

void test_main(void)
{
    test_ud();
    test_rcx_r11_preserved();
    test_gp();
    test_pf_read_unmapped();
    test_pf_write_readonly();
    test_bp();
    test_de();
    test_forced_cpuid();
    test_forced_prefix_not_cpuid();
    test_read_cr3();

    printk("%lu exceptions taken\n", exception_count);
    if (!xtf_has_failures())
        xtf_success(NULL);
}
