/* GDT, IDT, TSS and the syscall MSRs; the guest's descriptors and segment registers. */
#include "hv/arch.h"
#include "hv/gdt.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "x86.h"

/*
 * One GDT for the machine, laid out as Xen's per-vCPU GDT: the running
 * guest's own descriptors (set_gdt) are copied into entries
 * 0..FIRST_RESERVED_GDT_ENTRY-1, the hypervisor's and the flat guest
 * selectors sit at 0xe000 and above. The copy is safe because the core
 * validated every descriptor (hc_mm.c check_descriptor) and made the
 * frames read-only to the guest; the core calls arch_segments_changed on
 * any change.
 */
#define RSV FIRST_RESERVED_GDT_ENTRY
#define GDT_ENTRIES (RSV + 16)
static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(4096)));
static unsigned int gdt_copied;

struct tss {
    uint32_t rsvd0;
    uint64_t rsp[3];
    uint64_t rsvd1;
    uint64_t ist[7];
    uint64_t rsvd2;
    uint16_t rsvd3;
    uint16_t iomap_base;
} __attribute__((packed));
static struct tss tss __attribute__((aligned(64)));
static uint8_t ist_df[IST_STACK_BYTES] __attribute__((aligned(16)));
static uint8_t ist_nmi[IST_STACK_BYTES] __attribute__((aligned(16)));

struct idt_gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, rsvd;
};
static struct idt_gate idt[256] __attribute__((aligned(16)));

struct __attribute__((packed)) desc_ptr {
    uint16_t limit;
    uint64_t base;
};

static void set_gate(unsigned int vec, unsigned int dpl, unsigned int ist)
{
    uint64_t a = (uint64_t)(x86_idt_stubs + 16 * vec);

    idt[vec] = (struct idt_gate){
        .off0 = (uint16_t)a,
        .sel = HV_CS,
        .ist = (uint8_t)ist,
        .type = (uint8_t)(0x8e | (dpl << 5)), /* present interrupt gate: IF cleared */
        .off1 = (uint16_t)(a >> 16),
        .off2 = (uint32_t)(a >> 32),
    };
}

/*
 * Gate privileges follow Xen: int3/into and every vector from 0x20 up are
 * reachable by `int $n` from ring 3 (the core then bounces or refuses them
 * per the guest's trap table); the hypervisor's own interrupt vectors and
 * the exceptions are not (a guest `int` there is a #GP, as on Xen); int
 * $0x82 is DPL 1 for 32-bit PV kernels in ring 1.
 */
static void idt_init(void)
{
    for (unsigned int v = 0; v < 256; v++)
        set_gate(v, v >= 0x20 ? 3 : 0, 0);
    set_gate(X86_EXC_BP, 3, 0);
    set_gate(X86_EXC_OF, 3, 0);
    set_gate(X86_EXC_DF, 0, 1);
    set_gate(X86_EXC_NMI, 0, 2);
    set_gate(18, 0, 1); /* #MC */
    set_gate(VEC_HYPERCALL32, 1, 0);
    for (unsigned int v = VEC_PIC_BASE; v < VEC_PIC_BASE + 16; v++)
        set_gate(v, 0, 0);
    set_gate(VEC_TIMER, 0, 0);
    set_gate(VEC_SPURIOUS, 0, 0);
    struct desc_ptr p = {.limit = sizeof(idt) - 1, .base = (uint64_t)idt};
    __asm__ volatile("lidt %0" : : "m"(p));
}

static void gdt_init(void)
{
    uint64_t t = (uint64_t)&tss;

    gdt[RSV + 1] = 0x00af9b000000ffffULL; /* 0xe008 hypervisor code, 64-bit */
    gdt[RSV + 2] = 0x00cf93000000ffffULL; /* 0xe010 hypervisor data */
    /* 0xe040: 64-bit available TSS, 16 bytes. */
    gdt[RSV + 8] =
        (sizeof(tss) - 1) | ((t & 0xffffff) << 16) | (0x89ULL << 40) | (((t >> 24) & 0xff) << 56);
    gdt[RSV + 9] = t >> 32;
    for (unsigned int k = 0; k < 8; k++)
        if (xen_flat_gdt_64[k])
            gdt[RSV + k] = xen_flat_gdt_64[k];

    tss.rsp[0] = (uint64_t)hv_stack_top;
    tss.ist[0] = (uint64_t)(ist_df + sizeof(ist_df));
    tss.ist[1] = (uint64_t)(ist_nmi + sizeof(ist_nmi));
    tss.iomap_base = sizeof(tss); /* no I/O bitmap: every port access from a guest faults */

    struct desc_ptr p = {.limit = sizeof(gdt) - 1, .base = (uint64_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "mov %2, %%eax\n\t"
                     "mov %%eax, %%ss\n\t"
                     "mov %%eax, %%ds\n\t"
                     "mov %%eax, %%es\n\t"
                     "xor %%eax, %%eax\n\t"
                     "mov %%eax, %%fs\n\t"
                     "mov %%eax, %%gs\n\t"
                     "mov %3, %%ax\n\t"
                     "ltr %%ax"
                     :
                     : "m"(p), "i"(HV_CS), "i"(HV_DS), "i"(HV_TSS)
                     : "rax", "memory");
}

void cpu_init(void)
{
    uint32_t r[4];

    gdt_init();
    idt_init();
    cpuid(0x80000001, 0, r);
    uint64_t efer = rdmsr(MSR_EFER) | EFER_SCE;
    if (r[3] & (1u << 20))
        efer |= EFER_NXE; /* guests may use NX in their entries */
    wrmsr(MSR_EFER, efer);
    /* syscall: CS = 0xe008, SS = 0xe010; sysret: CS = 0xe023 + 16 = 0xe033, SS = 0xe02b. */
    wrmsr(MSR_STAR, ((uint64_t)GUEST_CS32 << 48) | ((uint64_t)HV_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)x86_syscall_entry);
    wrmsr(MSR_CSTAR, (uint64_t)x86_syscall32_entry);
    /* TF, IF, DF, NT, AC cleared on entry: no interrupt before the stack switch. */
    wrmsr(MSR_SFMASK, X86_EFLAGS_TF | X86_EFLAGS_IF | 0x400 | X86_EFLAGS_NT | X86_EFLAGS_AC);
    /* CR4.TSD: a guest's RDTSC raises #GP, which the core emulates (the virtual TSC). */
    write_cr(4, read_cr(4) | (1u << 2));
}

void cpu_load_guest_gdt(struct vcpu *v)
{
    unsigned int n = MIN(v->gdt_ents, (unsigned int)RSV);
    const uint64_t *flat = v->domain->is_compat ? xen_flat_gdt_compat : xen_flat_gdt_64;

    for (unsigned int i = n; i < gdt_copied; i++)
        gdt[i] = 0;
    for (unsigned int i = 0; i < n; i++) {
        mfn_t f = _mfn(v->gdt_frames[i / 512]);

        if (!mfn_valid(f))
            hv_panic("d%uv%u: GDT frame 0x%llx beyond machine memory", v->domain->domid, v->vcpu_id,
                     (unsigned long long)mfn_x(f));
        gdt[i] = ((const uint64_t *)arch_mfn_to_virt(f))[i % 512];
    }
    gdt_copied = n;
    for (unsigned int k = 3; k < 7; k++)
        gdt[RSV + k] = flat[k];
}

/*
 * Whether a data selector can be loaded for ring 3 without faulting in the
 * hypervisor: null, or a present code/data descriptor of the GDT that ring
 * 3 may use. A selector that fails is replaced by null, as the simulator
 * does.
 */
static bool loadable(uint16_t sel)
{
    if ((sel & ~3u) == 0)
        return true;
    if ((sel & 4) || (sel >> 3) >= GDT_ENTRIES || (sel & 3) != 3)
        return false;
    uint64_t d = gdt[sel >> 3];
    bool present = d & (1ULL << 47), code_or_data = d & (1ULL << 44);
    unsigned int dpl = (d >> 45) & 3, type = (d >> 40) & 0xf;
    bool code = type & 8, readable = type & 2, conforming = type & 4;
    if (!present || !code_or_data || (code && !readable))
        return false;
    return dpl == 3 || (code && conforming);
}

#define LOAD_SEG(seg, val) __asm__ volatile("mov %0, %%" #seg : : "r"((uint32_t)(val)))

void cpu_load_guest_segments(struct cpu_user_regs *r)
{
    uint16_t *sel[4] = {&r->ds, &r->es, &r->fs, &r->gs};

    for (unsigned int i = 0; i < 4; i++)
        if (!loadable(*sel[i]))
            *sel[i] = 0;
    LOAD_SEG(ds, r->ds);
    LOAD_SEG(es, r->es);
    LOAD_SEG(fs, r->fs);
    LOAD_SEG(gs, r->gs);
    /* Selector loads reset the bases: the bases go last. */
    wrmsr(MSR_FS_BASE, r->fs_base);
    wrmsr(MSR_GS_BASE, r->gs_base);
}

void cpu_save_guest_segments(struct cpu_user_regs *r)
{
    uint32_t s;

    __asm__ volatile("mov %%ds, %0" : "=r"(s));
    r->ds = (uint16_t)s;
    __asm__ volatile("mov %%es, %0" : "=r"(s));
    r->es = (uint16_t)s;
    __asm__ volatile("mov %%fs, %0" : "=r"(s));
    r->fs = (uint16_t)s;
    __asm__ volatile("mov %%gs, %0" : "=r"(s));
    r->gs = (uint16_t)s;
    r->fs_base = rdmsr(MSR_FS_BASE);
    r->gs_base = rdmsr(MSR_GS_BASE);
}
