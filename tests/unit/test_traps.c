/* Unit tests for hv/common/traps.c: bounce frames, PV emulation (RDTSC, cr3, CPUID), iret, #PF. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hv/entry.h"
#include "hv/hypercall.h"
#include "hv/mm.h"
#include "hv/traps.h"
#include "public/xen.h"
#include "fake_arch.h"
#include "test_domain.h"

static struct domain *d;
static struct vcpu *v;

#define CODE_VA (TI_LOAD_VA + 0x200) /* instructions under test are written here */
#define H_DE 0x100400ULL
#define H_BP 0x100410ULL
#define H_UD 0x100420ULL
#define H_GP 0x100430ULL
#define H_PF 0x100440ULL
#define OLD_RSP 0x37ff5bULL /* deliberately not 16-byte aligned */
#define KSTACK 0x390000ULL  /* the kernel stack registered with stack_switch */
#define USTACK 0x3a0f38ULL
#define P _PAGE_PRESENT
#define RW _PAGE_RW
#define US _PAGE_USER

static void set_traps(void)
{
    struct trap_info t[6] = {
        {.vector = X86_EXC_DE, .flags = 0, .cs = 0xe033, .address = H_DE},
        {.vector = X86_EXC_BP, .flags = 3, .cs = 0xe033, .address = H_BP},
        {.vector = X86_EXC_UD, .flags = 0, .cs = 0xe033, .address = H_UD},
        {.vector = X86_EXC_GP, .flags = 4, .cs = 0xe033, .address = H_GP},
        {.vector = X86_EXC_PF, .flags = 4, .cs = 0xe033, .address = H_PF},
        {.address = 0},
    };
    td_put(v, TD_SCRATCH_VA, t, sizeof(t));
    assert_int_equal(td_hc(v, __HYPERVISOR_set_trap_table, TD_SCRATCH_VA, 0, 0, 0, 0), 0);
}

static int setup(void **state)
{
    d = td_setup();
    v = &d->vcpus[0];
    set_traps();
    struct cpu_user_regs *r = &v->regs;
    r->rip = CODE_VA;
    r->rsp = OLD_RSP;
    r->rcx = 0x1111111111111111ULL;
    r->r11 = 0x2222222222222222ULL;
    r->rax = 0xaaaa;
    r->rflags = X86_EFLAGS_IF | X86_EFLAGS_IOPL | 0x46 | 2;
    return 0;
}

static struct vcpu_info *vi(void)
{
    return vcpu_info_of(v);
}

static void put_code(const uint8_t *bytes, size_t n)
{
    td_put(v, CODE_VA, bytes, n);
}

/* Give the vCPU a user context: the same L4 as user table, a kernel stack. */
static void enter_user_mode(uint64_t user_rsp)
{
    uint8_t op[24] = {0};
    unsigned int cmd = MMUEXT_NEW_USER_BASEPTR;
    uint64_t mfn = mfn_x(v->guest_table);
    memcpy(op, &cmd, 4);
    memcpy(op + 8, &mfn, 8);
    td_put(v, TD_SCRATCH_VA + 0x100, op, sizeof(op));
    assert_int_equal(td_hc(v, __HYPERVISOR_mmuext_op, TD_SCRATCH_VA + 0x100, 1, 0, DOMID_SELF, 0),
                     0);
    assert_int_equal(td_hc(v, __HYPERVISOR_stack_switch, 0xe02b, KSTACK, 0, 0, 0), 0);
    v->regs.gs_base = 0x5000; /* the kernel's GS base while in kernel mode */
    pv_toggle_guest_mode(v);  /* now in user mode */
    assert_false(v->kernel_mode);
    v->regs.rsp = user_rsp;
    v->regs.cs = 0xe033;
    v->regs.ss = 0xe02b;
}

/*
 * Check the 64-bit bounce frame Xen builds (low to high: RCX, R11, [ERRCODE],
 * RIP, CS, RFLAGS, RSP, SS) below the 16-byte aligned stack `base_rsp`.
 */
struct expect {
    uint64_t base_rsp; /* the stack the frame goes on (before alignment) */
    bool has_err;
    uint32_t err;
    uint64_t rip, cs, rflags, rsp, ss, rcx, r11;
    uint8_t saved_mask;
    uint64_t handler;
};

static void check_bounce(const struct expect *e)
{
    unsigned int n = e->has_err ? 8 : 7;
    uint64_t frame_va = (e->base_rsp & ~15ULL) - n * 8;
    assert_int_equal(v->regs.rsp, frame_va);
    uint64_t f[8];
    td_get(v, f, frame_va, n * 8);
    unsigned int k = 0;
    assert_int_equal(f[k++], e->rcx);
    assert_int_equal(f[k++], e->r11);
    if (e->has_err)
        assert_int_equal(f[k++], e->err);
    assert_int_equal(f[k++], e->rip);
    assert_int_equal(f[k++], e->cs | ((uint64_t)e->saved_mask << 32));
    uint64_t want_flags = (e->rflags & ~(uint64_t)(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) |
                          (e->saved_mask ? 0 : X86_EFLAGS_IF);
    assert_int_equal(f[k++], want_flags);
    assert_int_equal(f[k++], e->rsp);
    assert_int_equal(f[k++], e->ss);
    /* And the vCPU now runs the handler in kernel context. */
    assert_int_equal(v->regs.rip, e->handler);
    assert_int_equal(v->regs.cs, 0xe033);
    assert_int_equal(v->regs.ss, 0xe02b);
    assert_true(v->kernel_mode);
    assert_false(v->regs.rflags &
                 (X86_EFLAGS_TF | X86_EFLAGS_AC | X86_EFLAGS_NT | X86_EFLAGS_RF | X86_EFLAGS_VM));
    assert_false(d->is_crashed);
}

/* ------------------------------------------------------------------------- */
/* Bounce frames                                                             */

static void test_ud_bounce_frame_exact(void **state)
{
    static const uint8_t ud2[2] = {0x0f, 0x0b};
    put_code(ud2, 2);
    vi()->evtchn_upcall_mask = 0;
    v->regs.rflags |= X86_EFLAGS_TF | X86_EFLAGS_AC;
    struct cpu_user_regs before = v->regs;
    unsigned int traces = fake.nr_trace;
    hv_entry_exception(v, X86_EXC_UD, 0);
    struct expect e = {.base_rsp = OLD_RSP,
                       .has_err = false,
                       .rip = CODE_VA,
                       .cs = 0xe030,
                       .rflags = before.rflags,
                       .rsp = OLD_RSP,
                       .ss = before.ss,
                       .rcx = before.rcx,
                       .r11 = before.r11,
                       .saved_mask = 0,
                       .handler = H_UD};
    check_bounce(&e);
    assert_int_equal(vi()->evtchn_upcall_mask, 0); /* flags bit 2 clear: mask untouched */
    assert_int_equal(v->regs.rcx, before.rcx);
    assert_int_equal(v->regs.rax, before.rax);
    assert_int_equal(v->nr_traps, 1);
    assert_true(fake.nr_trace > traces);
    assert_int_equal(fake.last_trace.kind, TR_TRAP);
    assert_int_equal(fake.last_trace.nr, X86_EXC_UD);
    assert_int_equal(fake.last_trace.args[0], CODE_VA);
}

static void test_gp_bounce_with_error_code_masks_events(void **state)
{
    static const uint8_t insn[3] = {0x0f, 0x01, 0xf8}; /* swapgs: not emulated */
    put_code(insn, 3);
    vi()->evtchn_upcall_mask = 0;
    struct cpu_user_regs before = v->regs;
    hv_entry_exception(v, X86_EXC_GP, 0x1234);
    struct expect e = {.base_rsp = OLD_RSP,
                       .has_err = true,
                       .err = 0x1234,
                       .rip = CODE_VA,
                       .cs = 0xe030,
                       .rflags = before.rflags,
                       .rsp = OLD_RSP,
                       .ss = before.ss,
                       .rcx = before.rcx,
                       .r11 = before.r11,
                       .saved_mask = 0,
                       .handler = H_GP};
    check_bounce(&e);
    assert_int_equal(vi()->evtchn_upcall_mask, 1); /* trap flag bit 2: events masked */
}

static void test_bounce_saves_upcall_mask_in_cs_and_clears_if(void **state)
{
    static const uint8_t insn[2] = {0x0f, 0x0b};
    put_code(insn, 2);
    vi()->evtchn_upcall_mask = 1;
    v->regs.rsp = 0x37fff0; /* already aligned: the frame goes right below */
    struct cpu_user_regs before = v->regs;
    hv_entry_exception(v, X86_EXC_GP, 0);
    struct expect e = {.base_rsp = 0x37fff0,
                       .has_err = true,
                       .err = 0,
                       .rip = CODE_VA,
                       .cs = 0xe030,
                       .rflags = before.rflags,
                       .rsp = 0x37fff0,
                       .ss = before.ss,
                       .rcx = before.rcx,
                       .r11 = before.r11,
                       .saved_mask = 1,
                       .handler = H_GP};
    check_bounce(&e);
    assert_int_equal(v->regs.rsp, 0x37fff0 - 64);
    assert_int_equal(vi()->evtchn_upcall_mask, 1);
}

static void test_de_and_bp_bounce(void **state)
{
    vi()->evtchn_upcall_mask = 0;
    struct cpu_user_regs before = v->regs;
    hv_entry_exception(v, X86_EXC_DE, 0xffff); /* #DE has no error code: ignored */
    struct expect e = {.base_rsp = OLD_RSP,
                       .has_err = false,
                       .rip = CODE_VA,
                       .cs = 0xe030,
                       .rflags = before.rflags,
                       .rsp = OLD_RSP,
                       .ss = before.ss,
                       .rcx = before.rcx,
                       .r11 = before.r11,
                       .saved_mask = 0,
                       .handler = H_DE};
    check_bounce(&e);

    /* #BP is a trap: rip already points after the int3 and stays so in the frame. */
    uint64_t rsp = v->regs.rsp;
    v->regs.rip = CODE_VA + 1;
    before = v->regs;
    hv_entry_exception(v, X86_EXC_BP, 0);
    struct expect b = {.base_rsp = rsp,
                       .has_err = false,
                       .rip = CODE_VA + 1,
                       .cs = 0xe033 & ~3,
                       .rflags = before.rflags,
                       .rsp = rsp,
                       .ss = before.ss,
                       .rcx = before.rcx,
                       .r11 = before.r11,
                       .saved_mask = 0,
                       .handler = H_BP};
    check_bounce(&b);
    assert_int_equal(v->nr_traps, 2);
}

static void test_bounce_from_user_mode_uses_kernel_stack(void **state)
{
    static const uint8_t ud2[2] = {0x0f, 0x0b};
    put_code(ud2, 2);
    enter_user_mode(USTACK);
    vi()->evtchn_upcall_mask = 0;
    v->regs.gs_base = 0x7000; /* the user's GS base */
    struct cpu_user_regs before = v->regs;
    unsigned int changed = fake.nr_mmu_changed;
    hv_entry_exception(v, X86_EXC_UD, 0);
    /* CS keeps RPL 3: the guest sees it came from user context. */
    struct expect e = {.base_rsp = KSTACK,
                       .has_err = false,
                       .rip = CODE_VA,
                       .cs = 0xe033,
                       .rflags = before.rflags,
                       .rsp = USTACK,
                       .ss = 0xe02b,
                       .rcx = before.rcx,
                       .r11 = before.r11,
                       .saved_mask = 0,
                       .handler = H_UD};
    check_bounce(&e);
    assert_int_equal(v->regs.rsp, KSTACK - 56);
    assert_true(fake.nr_mmu_changed > changed);
    /* SWAPGS semantics: the kernel's base is back, the user's is kept aside. */
    assert_int_equal(v->regs.gs_base, 0x5000);
    assert_int_equal(v->gs_base_user, 0x7000);
}

static void test_no_handler_crashes_domain(void **state)
{
    assert_int_equal(td_hc(v, __HYPERVISOR_set_trap_table, 0, 0, 0, 0, 0), 0);
    v->regs.rip = 0x100abc;
    hv_entry_exception(v, X86_EXC_UD, 0);
    assert_true(d->is_crashed);
    assert_true(d->is_shutting_down);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_crash);
    assert_int_equal(v->state, VCPU_DOWN);
    assert_non_null(strstr(d->crash_reason, "#UD"));
    assert_non_null(strstr(d->crash_reason, "rip 0x100abc"));
    assert_int_equal(v->regs.rsp, OLD_RSP); /* nothing was pushed */
    /* Entries after the crash are ignored. */
    uint64_t rip = v->regs.rip;
    hv_entry_exception(v, X86_EXC_GP, 0);
    assert_int_equal(v->regs.rip, rip);
}

static void test_no_handler_gp_diagnosis(void **state)
{
    static const uint8_t insn[3] = {0x0f, 0x01, 0xf8};
    put_code(insn, 3);
    v->trap_ctxt[X86_EXC_GP].address = 0;
    hv_entry_exception(v, X86_EXC_GP, 0x18);
    assert_true(d->is_crashed);
    char want[64];
    snprintf(want, sizeof(want), "rip 0x%llx", (unsigned long long)CODE_VA);
    assert_non_null(strstr(d->crash_reason, "#GP"));
    assert_non_null(strstr(d->crash_reason, want));
    assert_int_equal(fake.last_trace.kind, TR_SHUTDOWN);
}

static void test_unwritable_stack_crashes_domain(void **state)
{
    v->regs.rsp = TD_UNMAPPED_VA + 0x100;
    hv_entry_exception(v, X86_EXC_DE, 0);
    assert_true(d->is_crashed);
    assert_non_null(strstr(d->crash_reason, "stack"));

    /* A read-only stack (a bootstrap page table page) too. */
    d = td_setup();
    v = &d->vcpus[0];
    set_traps();
    struct start_info *si = td_ptr(v, d->start_info_va);
    v->regs.rsp = si->pt_base + 0x800;
    hv_entry_exception(v, X86_EXC_DE, 0);
    assert_true(d->is_crashed);
}

/* int $0x80 with no permitting gate: #GP at the int instruction, error (n << 3) | 2. */
static void test_int_n_without_gate_is_gp(void **state)
{
    uint64_t after = v->regs.rip;
    hv_entry_exception(v, 0x80, 0);
    assert_false(d->is_crashed);
    assert_int_equal(v->regs.rip, v->trap_ctxt[X86_EXC_GP].address);
    uint64_t f[4];
    assert_int_equal(copy_from_guest(v, f, v->regs.rsp, sizeof(f)), 0);
    assert_int_equal(f[2], (0x80 << 3) | 2); /* RCX, R11, ERRCODE, RIP */
    assert_int_equal(f[3], after - 2);
}

/* int $0x80 through a DPL-3 gate: delivered to its handler, return address after it. */
static void test_int_n_through_gate(void **state)
{
    uint64_t after = v->regs.rip;
    v->trap_ctxt[0x80] = (struct trap_bounce_target){0x101800, FLAT_KERNEL_CS64, 3};
    hv_entry_exception(v, 0x80, 0);
    assert_false(d->is_crashed);
    assert_int_equal(v->regs.rip, 0x101800);
    uint64_t f[3];
    assert_int_equal(copy_from_guest(v, f, v->regs.rsp, sizeof(f)), 0);
    assert_int_equal(f[2], after); /* RCX, R11, RIP: no error code */
}

static void test_user_int3_delivered_as_bp_regardless_of_dpl(void **state)
{
    enter_user_mode(USTACK);
    v->trap_ctxt[X86_EXC_BP].flags = 0; /* DPL 0 */
    v->regs.rip = CODE_VA + 1;
    hv_entry_exception(v, X86_EXC_BP, 0);
    assert_false(d->is_crashed);
    assert_int_equal(v->regs.rip, H_BP);
    uint64_t f[7];
    td_get(v, f, v->regs.rsp, sizeof(f));
    assert_int_equal(f[2], CODE_VA + 1);
}

/* ------------------------------------------------------------------------- */
/* Emulation                                                                 */

static void test_rdtsc_emulated_under_gp(void **state)
{
    static const uint8_t rdtsc[2] = {0x0f, 0x31};
    put_code(rdtsc, 2);
    fake.tsc = 0x123456789abcdef0ULL;
    v->regs.rax = v->regs.rdx = ~0ULL;
    hv_entry_exception(v, X86_EXC_GP, 0);
    assert_int_equal(v->regs.rax, 0x9abcdef0);
    assert_int_equal(v->regs.rdx, 0x12345678);
    assert_int_equal(v->regs.rip, CODE_VA + 2);
    assert_int_equal(v->regs.rsp, OLD_RSP); /* no bounce */
    assert_int_equal(v->nr_traps, 0);
    assert_int_equal(v->nr_rdtsc, 1);
    assert_int_equal(fake.last_trace.kind, TR_EMULATE);
    assert_int_equal(fake.last_trace.nr, TR_EMUL_RDTSC);

    /* User mode too (CR4.TSD traps every ring). */
    enter_user_mode(USTACK);
    v->regs.rip = CODE_VA;
    fake.tsc = 42;
    hv_entry_exception(v, X86_EXC_GP, 0);
    assert_int_equal(v->regs.rax, 42);
    assert_int_equal(v->regs.rdx, 0);
    assert_int_equal(v->regs.rip, CODE_VA + 2);
    assert_false(v->kernel_mode);
}

static void test_rdtsc_at_end_of_mapping(void **state)
{
    /* The two bytes sit at the very end of the mapped region. */
    static const uint8_t rdtsc[2] = {0x0f, 0x31};
    td_put(v, 0x3ffffe, rdtsc, 2);
    v->regs.rip = 0x3ffffe;
    fake.tsc = 7;
    hv_entry_exception(v, X86_EXC_GP, 0);
    assert_int_equal(v->regs.rax, 7);
    assert_int_equal(v->regs.rip, 0x400000);
}

static void test_mov_from_cr3_emulated(void **state)
{
    uint64_t cr3 = mfn_x(v->guest_table) << 12;
    static const uint8_t to_rax[3] = {0x0f, 0x20, 0xd8};
    put_code(to_rax, 3);
    v->regs.rax = 0;
    hv_entry_exception(v, X86_EXC_GP, 0);
    assert_int_equal(v->regs.rax, cr3);
    assert_int_equal(v->regs.rip, CODE_VA + 3);
    assert_int_equal(fake.last_trace.nr, TR_EMUL_CR3_READ);

    static const uint8_t to_r8[4] = {0x41, 0x0f, 0x20, 0xd8};
    put_code(to_r8, 4);
    v->regs.rip = CODE_VA;
    v->regs.r8 = 0;
    hv_entry_exception(v, X86_EXC_GP, 0);
    assert_int_equal(v->regs.r8, cr3);
    assert_int_equal(v->regs.rip, CODE_VA + 4);

    static const uint8_t to_rdi[3] = {0x0f, 0x20, 0xdf};
    put_code(to_rdi, 3);
    v->regs.rip = CODE_VA;
    hv_entry_exception(v, X86_EXC_GP, 0);
    assert_int_equal(v->regs.rdi, cr3);
    assert_int_equal(v->regs.rsp, OLD_RSP);
    assert_int_equal(v->nr_traps, 0);

    /* mov %cr0 is not emulated: #GP goes to the guest. */
    static const uint8_t cr0[3] = {0x0f, 0x20, 0xc0};
    put_code(cr0, 3);
    v->regs.rip = CODE_VA;
    hv_entry_exception(v, X86_EXC_GP, 0);
    assert_int_equal(v->regs.rip, H_GP);
}

static void test_mov_from_cr3_in_user_mode_is_gp(void **state)
{
    static const uint8_t to_rax[3] = {0x0f, 0x20, 0xd8};
    put_code(to_rax, 3);
    enter_user_mode(USTACK);
    v->regs.rax = 0x77;
    hv_entry_exception(v, X86_EXC_GP, 0);
    assert_int_equal(v->regs.rax, 0x77);
    assert_int_equal(v->regs.rip, H_GP);
    assert_true(v->kernel_mode);
}

static void test_forced_cpuid_emulated(void **state)
{
    static const uint8_t fep[7] = {0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2};
    put_code(fep, 7);
    /* XTF runs this before it has a trap table. */
    assert_int_equal(td_hc(v, __HYPERVISOR_set_trap_table, 0, 0, 0, 0, 0), 0);
    v->regs.rax = 0x40000000;
    v->regs.rcx = 0;
    hv_entry_exception(v, X86_EXC_UD, 0);
    assert_false(d->is_crashed);
    assert_int_equal(v->regs.rip, CODE_VA + 7);
    assert_int_equal(v->regs.rax, 0x40000002);
    char sig[13];
    uint32_t regs3[3] = {(uint32_t)v->regs.rbx, (uint32_t)v->regs.rcx, (uint32_t)v->regs.rdx};
    memcpy(sig, regs3, 12);
    sig[12] = 0;
    assert_string_equal(sig, "XenVMMXenVMM");
    assert_int_equal(fake.last_trace.kind, TR_EMULATE);
    assert_int_equal(fake.last_trace.nr, TR_EMUL_CPUID);

    /* Leaf 0x40000001: the version; leaf 0: the vendor. */
    v->regs.rip = CODE_VA;
    v->regs.rax = 0x40000001;
    hv_entry_exception(v, X86_EXC_UD, 0);
    assert_int_equal(v->regs.rax, 0x40013);
    v->regs.rip = CODE_VA;
    v->regs.rax = 0;
    hv_entry_exception(v, X86_EXC_UD, 0);
    uint32_t vendor[3] = {(uint32_t)v->regs.rbx, (uint32_t)v->regs.rdx, (uint32_t)v->regs.rcx};
    memcpy(sig, vendor, 12);
    assert_string_equal(sig, "GenuineIntel");
}

static void test_forced_prefix_with_other_insn_is_ud(void **state)
{
    static const uint8_t fep_nop[7] = {0x0f, 0x0b, 'x', 'e', 'n', 0x90, 0x90};
    put_code(fep_nop, 7);
    vi()->evtchn_upcall_mask = 0;
    struct cpu_user_regs before = v->regs;
    hv_entry_exception(v, X86_EXC_UD, 0);
    struct expect e = {.base_rsp = OLD_RSP,
                       .has_err = false,
                       .rip = CODE_VA,
                       .cs = 0xe030,
                       .rflags = before.rflags,
                       .rsp = OLD_RSP,
                       .ss = before.ss,
                       .rcx = before.rcx,
                       .r11 = before.r11,
                       .saved_mask = 0,
                       .handler = H_UD};
    check_bounce(&e);
    assert_int_equal(v->regs.rax, before.rax);

    /* A wrong signature is a plain #UD as well. */
    static const uint8_t not_xen[7] = {0x0f, 0x0b, 'x', 'e', 'N', 0x0f, 0xa2};
    put_code(not_xen, 7);
    v->regs.rip = CODE_VA;
    v->regs.rsp = OLD_RSP;
    hv_entry_exception(v, X86_EXC_UD, 0);
    assert_int_equal(v->regs.rip, H_UD);
}

static void test_cpuid_entry(void **state)
{
    v->regs.rax = 0x40000000;
    v->regs.rip = CODE_VA + 2;
    hv_entry_cpuid(v);
    assert_int_equal(v->regs.rax, 0x40000002);
    assert_int_equal((uint32_t)v->regs.rbx, 0x566e6558); /* "XenV" */
    assert_int_equal(v->regs.rip, CODE_VA + 2);          /* rip already past it */
}

/* ------------------------------------------------------------------------- */
/* iret                                                                      */

#define IRET_SP 0x37e000ULL

static long do_iret_with(const struct iret_context *c)
{
    td_put(v, IRET_SP, c, sizeof(*c));
    v->regs.rsp = IRET_SP;
    const uint64_t a[5] = {0};
    return hypercall_dispatch(v, __HYPERVISOR_iret, a);
}

static void test_iret_restores_kernel_context(void **state)
{
    struct iret_context c = {
        .rax = 0x1234,
        .r11 = 0x5555,
        .rcx = 0x6666,
        .flags = 0,
        .rip = 0x100123,
        .cs = 0xe030,
        .rflags = X86_EFLAGS_IF | X86_EFLAGS_IOPL | (1u << 17) | 0x46,
        .rsp = 0x37f000,
        .ss = 0xe02b,
    };
    vi()->evtchn_upcall_mask = 1;
    assert_int_equal(do_iret_with(&c), 0x1234);
    assert_int_equal(v->regs.rip, 0x100123);
    assert_int_equal(v->regs.cs, 0xe033);                   /* RPL forced to 3 */
    assert_int_equal(v->regs.rflags, X86_EFLAGS_IF | 0x46); /* IOPL and VM dropped */
    assert_int_equal(v->regs.rsp, 0x37f000);
    assert_int_equal(v->regs.ss, 0xe02b);
    assert_int_equal(v->regs.rcx, 0x6666);
    assert_int_equal(v->regs.r11, 0x5555);
    assert_int_equal(vi()->evtchn_upcall_mask, 0); /* IF was set */
    assert_true(v->kernel_mode);
    assert_false(d->is_crashed);
}

static void test_iret_in_syscall_keeps_rcx_r11(void **state)
{
    struct iret_context c = {
        .rax = 7,
        .r11 = 0x5555,
        .rcx = 0x6666,
        .flags = VGCF_in_syscall,
        .rip = 0x100200,
        .cs = 0xe030,
        .rflags = 0x46,
        .rsp = 0x37f100,
        .ss = 0xe028,
    };
    vi()->evtchn_upcall_mask = 0;
    assert_int_equal(do_iret_with(&c), 7);
    assert_int_equal(v->regs.rcx, 0x1111111111111111ULL);
    assert_int_equal(v->regs.r11, 0x2222222222222222ULL);
    assert_int_equal(v->regs.rip, 0x100200);
    assert_int_equal(v->regs.rsp, 0x37f100);
    assert_int_equal(v->regs.ss, 0xe02b);
    /* IF clear in the frame: upcalls masked, but the real IF stays on. */
    assert_int_equal(vi()->evtchn_upcall_mask, 1);
    assert_true(v->regs.rflags & X86_EFLAGS_IF);
}

static void test_iret_to_user_mode(void **state)
{
    /* Without a user page table: the domain is crashed. */
    struct iret_context c = {
        .rax = 1,
        .rip = 0x100300,
        .cs = 0xe033,
        .rflags = X86_EFLAGS_IF,
        .rsp = USTACK,
        .ss = 0xe02b,
    };
    do_iret_with(&c);
    assert_true(d->is_crashed);
    assert_non_null(strstr(d->crash_reason, "user"));

    /* With one: the vCPU switches to user context. */
    d = td_setup();
    v = &d->vcpus[0];
    set_traps();
    enter_user_mode(USTACK);
    pv_toggle_guest_mode(v); /* back into the kernel, with a user table registered */
    assert_true(v->kernel_mode);
    v->regs.gs_base = 0x5000;
    v->gs_base_user = 0x7000;
    unsigned int changed = fake.nr_mmu_changed;
    assert_int_equal(do_iret_with(&c), 1);
    assert_false(d->is_crashed);
    assert_false(v->kernel_mode);
    assert_true(fake.nr_mmu_changed > changed);
    assert_int_equal(v->regs.rip, 0x100300);
    assert_int_equal(v->regs.rsp, USTACK);
    assert_int_equal(v->regs.gs_base, 0x7000);
    assert_int_equal(v->gs_base_kernel, 0x5000);
}

static void test_iret_unreadable_context_crashes(void **state)
{
    v->regs.rsp = TD_UNMAPPED_VA;
    const uint64_t a[5] = {0};
    assert_int_equal(hypercall_dispatch(v, __HYPERVISOR_iret, a), -XEN_EFAULT);
    assert_true(d->is_crashed);
}

static void test_iret_through_syscall_entry(void **state)
{
    /* What the hypercall page's iret stub does: rax = 23, then syscall. */
    struct iret_context c = {
        .rax = 0xbeef,
        .r11 = 1,
        .rcx = 2,
        .rip = 0x100500,
        .cs = 0xe030,
        .rflags = X86_EFLAGS_IF,
        .rsp = 0x37f800,
        .ss = 0xe02b,
    };
    td_put(v, IRET_SP, &c, sizeof(c));
    v->regs.rsp = IRET_SP;
    v->regs.rax = __HYPERVISOR_iret;
    hv_entry_syscall(v);
    assert_int_equal(v->regs.rax, 0xbeef);
    assert_int_equal(v->regs.rip, 0x100500);
    assert_int_equal(v->regs.rsp, 0x37f800);
    assert_int_equal(v->regs.rcx, 2);
}

static void test_bounce_then_iret_round_trip(void **state)
{
    /* A #GP handler pops the error code and irets with what the frame holds. */
    static const uint8_t insn[3] = {0x0f, 0x01, 0xf8};
    put_code(insn, 3);
    vi()->evtchn_upcall_mask = 0;
    struct cpu_user_regs before = v->regs;
    hv_entry_exception(v, X86_EXC_GP, 8);
    assert_int_equal(vi()->evtchn_upcall_mask, 1);
    uint64_t f[8];
    td_get(v, f, v->regs.rsp, sizeof(f));
    struct iret_context c = {.rax = before.rax,
                             .r11 = f[1],
                             .rcx = f[0],
                             .flags = 0,
                             .rip = f[3] + 3,
                             .cs = f[4] & 0xffff,
                             .rflags = f[5],
                             .rsp = f[6],
                             .ss = f[7]};
    assert_int_equal(do_iret_with(&c), before.rax);
    assert_int_equal(v->regs.rip, CODE_VA + 3);
    assert_int_equal(v->regs.rsp, OLD_RSP);
    assert_int_equal(v->regs.rcx, before.rcx);
    assert_int_equal(v->regs.r11, before.r11);
    assert_int_equal(v->regs.cs, 0xe033);
    assert_int_equal(vi()->evtchn_upcall_mask, 0); /* restored from the saved IF */
    assert_true(v->kernel_mode);
}

/* ------------------------------------------------------------------------- */
/* #PF                                                                       */

static void test_pf_error_codes_and_cr2(void **state)
{
    struct start_info *si = td_ptr(v, d->start_info_va);
    vi()->evtchn_upcall_mask = 0;

    /* Not present, read: error code 0. */
    struct cpu_user_regs before = v->regs;
    hv_entry_page_fault(v, TD_UNMAPPED_VA + 0x18, ACCESS_READ);
    assert_int_equal(vi()->arch.cr2, TD_UNMAPPED_VA + 0x18);
    struct expect e = {.base_rsp = OLD_RSP,
                       .has_err = true,
                       .err = 0,
                       .rip = CODE_VA,
                       .cs = 0xe030,
                       .rflags = before.rflags,
                       .rsp = OLD_RSP,
                       .ss = before.ss,
                       .rcx = before.rcx,
                       .r11 = before.r11,
                       .saved_mask = 0,
                       .handler = H_PF};
    check_bounce(&e);
    assert_int_equal(vi()->evtchn_upcall_mask, 1);
    assert_int_equal(fake.last_trace.kind, TR_TRAP);
    assert_int_equal(fake.last_trace.args[1], 0);
    assert_int_equal(fake.last_trace.args[2], TD_UNMAPPED_VA + 0x18);

    /* Write to a read-only page (a bootstrap page table): present | write = 3. */
    uint64_t rsp = v->regs.rsp;
    v->regs.rip = CODE_VA;
    hv_entry_page_fault(v, si->pt_base + 0x10, ACCESS_WRITE);
    assert_int_equal(vi()->arch.cr2, si->pt_base + 0x10);
    uint64_t f[3];
    td_get(v, f, v->regs.rsp, sizeof(f));
    assert_int_equal(f[2], 3);
    assert_int_equal(v->regs.rsp, (rsp & ~15ULL) - 64);

    /* Not present, write: 2. */
    v->regs.rip = CODE_VA;
    hv_entry_page_fault(v, TD_UNMAPPED_VA, ACCESS_WRITE);
    td_get(v, f, v->regs.rsp, sizeof(f));
    assert_int_equal(f[2], 2);

    /* A hole address is not present either. */
    v->regs.rip = CODE_VA;
    hv_entry_page_fault(v, 0xFFFF800000000000ULL, ACCESS_READ);
    td_get(v, f, v->regs.rsp, sizeof(f));
    assert_int_equal(f[2], 0);
    assert_int_equal(vi()->arch.cr2, 0xFFFF800000000000ULL);
}

static void test_pf_user_mode_error_codes(void **state)
{
    enter_user_mode(USTACK);
    hv_entry_page_fault(v, TD_UNMAPPED_VA, ACCESS_READ);
    assert_true(v->kernel_mode);
    uint64_t f[3];
    td_get(v, f, v->regs.rsp, sizeof(f));
    assert_int_equal(f[2], 4); /* user, not present */
    assert_int_equal(v->regs.rsp, KSTACK - 64);

    /* A user write to a read-only page: user | write | present = 7. */
    struct start_info *si = td_ptr(v, d->start_info_va);
    pv_toggle_guest_mode(v);
    v->regs.rsp = USTACK;
    hv_entry_page_fault(v, si->pt_base, ACCESS_WRITE);
    td_get(v, f, v->regs.rsp, sizeof(f));
    assert_int_equal(f[2], 7);
}

static void test_pf_on_mapped_page_is_not_injected(void **state)
{
    /* The tables allow the access: the machine's view was stale; resync, no #PF. */
    unsigned int changed = fake.nr_mmu_changed;
    hv_entry_page_fault(v, TD_SCRATCH_VA, ACCESS_WRITE);
    assert_int_equal(v->regs.rip, CODE_VA);
    assert_int_equal(v->regs.rsp, OLD_RSP);
    assert_int_equal(v->nr_traps, 0);
    assert_true(fake.nr_mmu_changed > changed);
    assert_int_equal(vi()->arch.cr2, 0);
}

static void test_pf_fetch_from_nx_page(void **state)
{
    uint64_t va = TD_SCRATCH_VA + 0x3000;
    uint64_t mfn = td_mfn(v, va);
    assert_int_equal(
        td_hc(v, __HYPERVISOR_update_va_mapping, va, (mfn << 12) | P | RW | US | _PAGE_NX, 0, 0, 0),
        0);
    v->regs.rip = va;
    hv_entry_page_fault(v, va, ACCESS_FETCH);
    uint64_t f[4];
    td_get(v, f, v->regs.rsp, sizeof(f));
    assert_int_equal(f[2], PFEC_present | PFEC_insn_fetch);
    assert_int_equal(f[3], va); /* the faulting rip */
    assert_int_equal(vi()->arch.cr2, va);
}

static void test_pf_not_present_fetch_reports_insn_fetch(void **state)
{
    v->regs.rip = TD_UNMAPPED_VA;
    hv_entry_page_fault(v, TD_UNMAPPED_VA, ACCESS_FETCH);
    uint64_t f[3];
    td_get(v, f, v->regs.rsp, sizeof(f));
    assert_int_equal(f[2], PFEC_insn_fetch);
}

static void test_pf_without_handler_crashes(void **state)
{
    v->trap_ctxt[X86_EXC_PF].address = 0;
    hv_entry_page_fault(v, TD_UNMAPPED_VA, ACCESS_READ);
    assert_true(d->is_crashed);
    assert_non_null(strstr(d->crash_reason, "#PF"));
    assert_int_equal(vi()->arch.cr2, TD_UNMAPPED_VA);
}

static void test_syscall_from_user_mode_bounces_to_callback(void **state)
{
    enter_user_mode(USTACK);
    assert_int_equal(td_hc(v, __HYPERVISOR_set_callbacks, 0, 0, 0x100600, 0, 0), 0);
    v->regs.rip = CODE_VA + 2; /* after the syscall */
    v->regs.rflags = X86_EFLAGS_IF | 0x2;
    vi()->evtchn_upcall_mask = 0;
    hv_entry_syscall(v);
    assert_true(v->kernel_mode);
    assert_int_equal(v->regs.rip, 0x100600);
    uint64_t f[7];
    td_get(v, f, v->regs.rsp, sizeof(f));
    assert_int_equal(f[0], CODE_VA + 2);         /* rcx = return address */
    assert_int_equal(f[1], X86_EFLAGS_IF | 0x2); /* r11 = rflags */
    assert_int_equal(f[2], CODE_VA + 2);
    assert_int_equal(f[4], X86_EFLAGS_IF | 0x2);
    assert_int_equal(f[5], USTACK);
    assert_int_equal(v->regs.rsp, KSTACK - 56);

    /* No callback: #UD at the syscall instruction. */
    d = td_setup();
    v = &d->vcpus[0];
    set_traps();
    enter_user_mode(USTACK);
    v->regs.rip = CODE_VA + 2;
    hv_entry_syscall(v);
    assert_int_equal(v->regs.rip, H_UD);
    td_get(v, f, v->regs.rsp, sizeof(f));
    assert_int_equal(f[2], CODE_VA);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(test_ud_bounce_frame_exact, setup),
    cmocka_unit_test_setup(test_gp_bounce_with_error_code_masks_events, setup),
    cmocka_unit_test_setup(test_bounce_saves_upcall_mask_in_cs_and_clears_if, setup),
    cmocka_unit_test_setup(test_de_and_bp_bounce, setup),
    cmocka_unit_test_setup(test_bounce_from_user_mode_uses_kernel_stack, setup),
    cmocka_unit_test_setup(test_no_handler_crashes_domain, setup),
    cmocka_unit_test_setup(test_no_handler_gp_diagnosis, setup),
    cmocka_unit_test_setup(test_unwritable_stack_crashes_domain, setup),
    cmocka_unit_test_setup(test_int_n_without_gate_is_gp, setup),
    cmocka_unit_test_setup(test_int_n_through_gate, setup),
    cmocka_unit_test_setup(test_user_int3_delivered_as_bp_regardless_of_dpl, setup),
    cmocka_unit_test_setup(test_rdtsc_emulated_under_gp, setup),
    cmocka_unit_test_setup(test_rdtsc_at_end_of_mapping, setup),
    cmocka_unit_test_setup(test_mov_from_cr3_emulated, setup),
    cmocka_unit_test_setup(test_mov_from_cr3_in_user_mode_is_gp, setup),
    cmocka_unit_test_setup(test_forced_cpuid_emulated, setup),
    cmocka_unit_test_setup(test_forced_prefix_with_other_insn_is_ud, setup),
    cmocka_unit_test_setup(test_cpuid_entry, setup),
    cmocka_unit_test_setup(test_iret_restores_kernel_context, setup),
    cmocka_unit_test_setup(test_iret_in_syscall_keeps_rcx_r11, setup),
    cmocka_unit_test_setup(test_iret_to_user_mode, setup),
    cmocka_unit_test_setup(test_iret_unreadable_context_crashes, setup),
    cmocka_unit_test_setup(test_iret_through_syscall_entry, setup),
    cmocka_unit_test_setup(test_bounce_then_iret_round_trip, setup),
    cmocka_unit_test_setup(test_pf_error_codes_and_cr2, setup),
    cmocka_unit_test_setup(test_pf_user_mode_error_codes, setup),
    cmocka_unit_test_setup(test_pf_on_mapped_page_is_not_injected, setup),
    cmocka_unit_test_setup(test_pf_fetch_from_nx_page, setup),
    cmocka_unit_test_setup(test_pf_not_present_fetch_reports_insn_fetch, setup),
    cmocka_unit_test_setup(test_pf_without_handler_crashes, setup),
    cmocka_unit_test_setup(test_syscall_from_user_mode_bounces_to_callback, setup),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
