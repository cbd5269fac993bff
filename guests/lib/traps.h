/* Exceptions: vectors, error-code bits, exception-table fixups and the record of the last fault. */
#ifndef GUEST_TRAPS_H
#define GUEST_TRAPS_H

#include "lib.h"

#define X86_EXC_DE 0   /* divide error */
#define X86_EXC_DB 1   /* debug */
#define X86_EXC_NMI 2  /* NMI */
#define X86_EXC_BP 3   /* breakpoint (int3): a trap, ip is after the instruction */
#define X86_EXC_OF 4   /* overflow */
#define X86_EXC_BR 5   /* bound range */
#define X86_EXC_UD 6   /* invalid opcode */
#define X86_EXC_NM 7   /* device not available */
#define X86_EXC_DF 8   /* double fault (error code) */
#define X86_EXC_CSO 9  /* coprocessor segment overrun */
#define X86_EXC_TS 10  /* invalid TSS (error code) */
#define X86_EXC_NP 11  /* segment not present (error code) */
#define X86_EXC_SS 12  /* stack-segment fault (error code) */
#define X86_EXC_GP 13  /* general protection (error code) */
#define X86_EXC_PF 14  /* page fault (error code; address in vcpu_info.arch.cr2) */
#define X86_EXC_SPV 15 /* reserved */
#define X86_EXC_MF 16  /* x87 floating point */
#define X86_EXC_AC 17  /* alignment check (error code) */
#define X86_EXC_MC 18  /* machine check */
#define X86_EXC_XM 19  /* SIMD floating point */
#define X86_NR_HANDLED_VECTORS 20

/* Vectors whose bounce frame carries an error code. */
#define X86_EXC_HAVE_EC                                                                            \
    ((1u << X86_EXC_DF) | (1u << X86_EXC_TS) | (1u << X86_EXC_NP) | (1u << X86_EXC_SS) |           \
     (1u << X86_EXC_GP) | (1u << X86_EXC_PF) | (1u << X86_EXC_AC))

/* #PF error code bits. Xen reports guest-kernel faults without PFEC_user. */
#define PFEC_present (1u << 0)
#define PFEC_write (1u << 1)
#define PFEC_user (1u << 2)
#define PFEC_insn (1u << 4)

#define X86_EFLAGS_IF (1UL << 9)

/*
 * EXINFO: what a fixed-up fault leaves in rax/eax (XTF's encoding):
 *
 *   31 30      24 23    16 15          0
 *   [1][  zero  ][ vector ][ error code ]
 *
 * Bit 31 makes every fault non-zero, so "no fault" (0) and #DE with error
 * code 0 stay distinguishable.
 */
#define EXINFO_EXPECTED (1u << 31)
#define EXINFO(vec, ec) (EXINFO_EXPECTED | ((uint32_t)(vec) << 16) | ((uint32_t)(ec)&0xffff))
#define EXINFO_VEC(info) (((info) >> 16) & 0xff)
#define EXINFO_EC(info) ((info)&0xffff)

/*
 * _ASM_EXTABLE(fault, fixup): if the instruction at `fault` raises an
 * exception (or, for traps like int3, the exception reports `fault` as its
 * ip), do_exception() stores EXINFO in ax and resumes at `fixup`.
 *
 *   unsigned int fault;
 *   asm volatile ("1: ud2; 2:" _ASM_EXTABLE(1b, 2b) : "=a"(fault) : "0"(0));
 */
#define _ASM_EXTABLE(fault, fixup)                                                                 \
    ".pushsection .ex_table, \"a\"\n\t"                                                            \
    ".balign " _EXT_ALIGN "\n\t" _ASM_PTR " " #fault ", " #fixup "\n\t"                            \
    ".popsection\n\t"
#define _EXT_ALIGN _EXT_STR(BYTES_PER_LONG)
#define _EXT_STR(x) _EXT_STR2(x)
#define _EXT_STR2(x) #x

struct extable_entry {
    unsigned long fault, fixup;
};

/*
 * Everything about the most recent exception, filled in by do_exception()
 * before it fixes up or panics. Tests read it after a fixup to check the
 * frame the hypervisor built (cs RPL, flags.IF, saved upcall mask, ip, cr2).
 */
struct ex_record {
    unsigned int vector;
    unsigned int error_code;
    unsigned long ip, cs, flags, sp, ss;
    unsigned long cr2; /* shared_info->vcpu_info[0].arch.cr2, for #PF only (else 0) */
};
extern struct ex_record last_exception;
extern unsigned long exception_count; /* exceptions taken since boot */

const char *exception_name(unsigned int vector);

/* Called from the asm stubs with the frame on the stack; returns into the iret path. */
void do_exception(struct ex_regs *regs);
/* Called from the asm failsafe callback entry point: always panics. */
void do_failsafe_callback(void) __noreturn;

/* Asm entry points (pv64/entry.S) registered as the event and failsafe callbacks. */
void entry_hypervisor_callback(void);
void entry_failsafe_callback(void);

/* Architecture part of setup (pv64/traps.c): trap table, callbacks, kernel stack. */
void arch_setup(void);

/* A page-aligned kernel stack registered with stack_switch (<arch>/head.S). */
extern char kernel_stack_top[];

#endif
