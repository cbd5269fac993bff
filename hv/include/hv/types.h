/* Basic types of the hypervisor core: frame numbers, register file, results. */
#ifndef HV_TYPES_H
#define HV_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096UL
#define PAGE_MASK (~(PAGE_SIZE - 1))

/*
 * Machine frames (MFN) and a domain's pseudo-physical frames (PFN) are
 * different number spaces; wrapping them in one-field structs makes mixing
 * them a compile error.
 */
typedef struct {
    uint64_t m;
} mfn_t;
typedef struct {
    uint64_t p;
} pfn_t;

static inline mfn_t _mfn(uint64_t m)
{
    return (mfn_t){m};
}
static inline uint64_t mfn_x(mfn_t m)
{
    return m.m;
}
static inline pfn_t _pfn(uint64_t p)
{
    return (pfn_t){p};
}
static inline uint64_t pfn_x(pfn_t p)
{
    return p.p;
}
#define INVALID_MFN_RAW (~0ULL)
#define INVALID_PFN_RAW (~0ULL)

/* The guest register file the core works on (saved on entry, restored on exit). */
struct cpu_user_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    uint16_t cs, ss, ds, es, fs, gs;
    uint64_t fs_base, gs_base;
};

#define X86_EFLAGS_TF (1u << 8)
#define X86_EFLAGS_IF (1u << 9)
#define X86_EFLAGS_IOPL (3u << 12)
#define X86_EFLAGS_NT (1u << 14)
#define X86_EFLAGS_RF (1u << 16)
#define X86_EFLAGS_VM (1u << 17)
#define X86_EFLAGS_AC (1u << 18)

/* Exception vectors. */
#define X86_EXC_DE 0
#define X86_EXC_DB 1
#define X86_EXC_NMI 2
#define X86_EXC_BP 3
#define X86_EXC_OF 4
#define X86_EXC_BR 5
#define X86_EXC_UD 6
#define X86_EXC_NM 7
#define X86_EXC_DF 8
#define X86_EXC_TS 10
#define X86_EXC_NP 11
#define X86_EXC_SS 12
#define X86_EXC_GP 13
#define X86_EXC_PF 14
#define X86_EXC_MF 16
#define X86_EXC_AC 17
#define X86_EXC_XM 19

/* #PF error code bits. */
#define PFEC_present (1u << 0)
#define PFEC_write (1u << 1)
#define PFEC_user (1u << 2)
#define PFEC_insn_fetch (1u << 4)

#endif
