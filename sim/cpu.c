/* One Unicorn engine per vCPU: creation, GDT, registers between v->regs and the engine. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/gdt.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "sim_internal.h"

#define RESERVED_IDX (FIRST_RESERVED_GDT_ENTRY)

#define DESC_S (1ULL << 44)
#define DESC_P (1ULL << 47)
#define DESC_L (1ULL << 53)
#define DESC_ACCESSED (1ULL << 40)

void cpu_load_gdt(struct sim_vcpu *sv)
{
    struct vcpu *v = sv->v;
    uint64_t *gdt = (uint64_t *)sv->hv;
    const uint64_t *xen = v->domain->is_compat ? xen_flat_gdt_compat : xen_flat_gdt_64;
    unsigned int i, n = v->gdt_ents;

    /*
     * The guest's own entries live in frames the core has validated (and
     * made read-only to the guest), so a copy cannot go stale behind our
     * back: the core calls arch_segments_changed on every change.
     */
    if (n > FIRST_RESERVED_GDT_ENTRY)
        n = FIRST_RESERVED_GDT_ENTRY;
    /* Only entries a previous copy wrote can be stale (the toggle of guest mode calls this). */
    if (sv->gdt_copied > n)
        memset(gdt + n, 0, (sv->gdt_copied - n) * sizeof(*gdt));
    sv->gdt_copied = n;
    for (i = 0; i < n; i++) {
        uint64_t mfn = v->gdt_frames[i / 512];
        uint64_t d;

        if (mfn >= sv->m->nr_frames) {
            sim_fatal("d%uv%u: GDT frame %#llx beyond machine memory", v->domain->domid, v->vcpu_id,
                      (unsigned long long)mfn);
        }
        d = ((const uint64_t *)(sv->m->ram + mfn * PAGE_SIZE))[i % 512];
        if ((d & (DESC_S | DESC_P)) == (DESC_S | DESC_P))
            d |= DESC_ACCESSED;
        gdt[i] = d;
    }
    for (i = 0; i < 8; i++)
        gdt[RESERVED_IDX + i] = xen[i];
    sv->seg_dirty = false;
}

/* CS_MODE_64 if selector cs names a long-mode code segment in the engine GDT, else CS_MODE_32. */
static int code_mode(struct sim_vcpu *sv, uint16_t cs)
{
    const uint64_t *gdt = (const uint64_t *)sv->hv;

    if ((cs & 4) || (cs >> 3) >= SIM_GDT_BYTES / 8)
        return CS_MODE_64;
    return (gdt[cs >> 3] & DESC_L) ? CS_MODE_64 : CS_MODE_32;
}

/*
 * Register ids for one batch transfer: the first BATCH_WRITE (RIP last) are
 * written and read, the six selectors after them only read.
 */
static int batch_ids[] = {
    UC_X86_REG_RAX, UC_X86_REG_RBX,    UC_X86_REG_RCX,     UC_X86_REG_RDX,     UC_X86_REG_RSI,
    UC_X86_REG_RDI, UC_X86_REG_RBP,    UC_X86_REG_RSP,     UC_X86_REG_R8,      UC_X86_REG_R9,
    UC_X86_REG_R10, UC_X86_REG_R11,    UC_X86_REG_R12,     UC_X86_REG_R13,     UC_X86_REG_R14,
    UC_X86_REG_R15, UC_X86_REG_RFLAGS, UC_X86_REG_FS_BASE, UC_X86_REG_GS_BASE, UC_X86_REG_RIP,
    UC_X86_REG_CS,  UC_X86_REG_SS,     UC_X86_REG_DS,      UC_X86_REG_ES,      UC_X86_REG_FS,
    UC_X86_REG_GS,
};
#define BATCH_WRITE 20
#define BATCH_READ 26
_Static_assert(sizeof(((struct sim_vcpu *)0)->eng_regs) == BATCH_WRITE * sizeof(uint64_t),
               "sim_vcpu.eng_regs holds the written batch");

_Static_assert(offsetof(struct cpu_user_regs, r15) == offsetof(struct cpu_user_regs, rax) + 15 * 8,
               "cpu_user_regs: rax..r15 must be consecutive");

static void batch_ptrs(struct cpu_user_regs *r, void **p)
{
    uint64_t *gpr = &r->rax; /* rax..r15: 16 consecutive uint64_t (asserted below) */
    int i;

    for (i = 0; i < 16; i++)
        p[i] = &gpr[i];
    p[16] = &r->rflags;
    p[17] = &r->fs_base;
    p[18] = &r->gs_base;
    p[19] = &r->rip;
}

void cpu_save_regs(struct sim_vcpu *sv)
{
    struct cpu_user_regs *r = &sv->v->regs;
    uint64_t sel[6] = {0}; /* Unicorn writes only the low bytes of a selector */
    void *p[BATCH_READ];
    int i;

    batch_ptrs(r, p);
    for (i = 0; i < 6; i++)
        p[BATCH_WRITE + i] = &sel[i];
    UC_CHECK(uc_reg_read_batch(sv->uc, batch_ids, p, BATCH_READ));
    sv->eng_cs = r->cs = (uint16_t)sel[0];
    sv->eng_ss = r->ss = (uint16_t)sel[1];
    sv->eng_ds = r->ds = (uint16_t)sel[2];
    sv->eng_es = r->es = (uint16_t)sel[3];
    sv->eng_fs = r->fs = (uint16_t)sel[4];
    sv->eng_gs = r->gs = (uint16_t)sel[5];
    for (i = 0; i < BATCH_WRITE; i++)
        sv->eng_regs[i] = *(const uint64_t *)p[i];
}

/* Everything but the selectors; RIP is given separately (hooks adjust it, see exits.c). */
void cpu_write_regs(struct sim_vcpu *sv, uint64_t rip)
{
    struct cpu_user_regs r = sv->v->regs;
    void *p[BATCH_WRITE];

    r.rip = rip;
    batch_ptrs(&r, p);
    UC_CHECK(uc_reg_write_batch(sv->uc, batch_ids, (void *const *)p, BATCH_WRITE));
}

/*
 * The same from a hook, right after cpu_save_regs: only the registers the
 * core changed. Most hypercalls change rax alone, and leaving RIP alone
 * matters most: a RIP write makes Unicorn leave its loop of translated
 * blocks and look the next one up again (about 20% of a hypercall round
 * trip), while without one a syscall just goes on after itself.
 */
void cpu_write_changed_regs(struct sim_vcpu *sv, uint64_t rip)
{
    struct cpu_user_regs r = sv->v->regs;
    void *p[BATCH_WRITE], *vals[BATCH_WRITE];
    int ids[BATCH_WRITE], i, n = 0;

    r.rip = rip;
    batch_ptrs(&r, p);
    for (i = 0; i < BATCH_WRITE; i++) {
        if (*(const uint64_t *)p[i] != sv->eng_regs[i]) {
            ids[n] = batch_ids[i];
            vals[n++] = p[i];
        }
    }
    if (n)
        UC_CHECK(uc_reg_write_batch(sv->uc, ids, (void *const *)vals, n));
}

bool cpu_selectors_changed(const struct sim_vcpu *sv)
{
    const struct cpu_user_regs *r = &sv->v->regs;

    return r->cs != sv->eng_cs || r->ss != sv->eng_ss || r->ds != sv->eng_ds ||
           r->es != sv->eng_es || r->fs != sv->eng_fs || r->gs != sv->eng_gs;
}

/*
 * Change CS/SS (and so the CPL), DS and ES. Between runs the engine stays at
 * the guest's CPL, where nothing can raise it again, and Unicorn's register
 * write (UC_MODE_64) only changes the visible part of CS, SS, DS and ES, not
 * the descriptor cache the CPU uses (bases and limits matter in compat
 * mode). So: restore the CPL0 state saved at creation, put an iretq frame
 * on the hypervisor stack and run the stub
 *
 *     mov %edi, %ds; mov %esi, %es; iretq
 *
 * The frame's RIP is SIM_UNTIL, so uc_emu_start returns right after the
 * iretq, at the new CPL with all four loaded from the GDT; the caller then
 * loads every other register. Returns false if the CPU refused a selector.
 */
static bool switch_cpl(struct sim_vcpu *sv, const struct cpu_user_regs *r)
{
    uint64_t *frame = (uint64_t *)(sv->hv + SIM_GDT_BYTES + 0x1000);
    uint64_t rsp = SIM_STACK_VA, rdi = r->ds, rsi = r->es, rip;
    uint64_t got[4] = {0}; /* cs ss ds es; Unicorn writes only the low bytes */
    int ids[] = {UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_ES};
    void *vals[] = {&got[0], &got[1], &got[2], &got[3]};
    uc_err err;

    UC_CHECK(uc_context_restore(sv->uc, sv->ring0));
    frame[0] = SIM_UNTIL;
    frame[1] = r->cs;
    frame[2] = 0x2; /* RFLAGS: reserved bit 1; the real value is loaded afterwards */
    frame[3] = 0;
    frame[4] = r->ss;
    UC_CHECK(uc_reg_write(sv->uc, UC_X86_REG_RSP, &rsp));
    UC_CHECK(uc_reg_write(sv->uc, UC_X86_REG_RDI, &rdi));
    UC_CHECK(uc_reg_write(sv->uc, UC_X86_REG_RSI, &rsi));
    sv->in_stub = true;
    sv->stub_fault = false;
    sv->m->uc_runs++;
    err = uc_emu_start(sv->uc, SIM_STUB_VA, SIM_UNTIL, 0, 0);
    sv->in_stub = false;
    if (err != UC_ERR_OK)
        sim_fatal("uc_emu_start (iretq stub) failed: %s", uc_strerror(err));
    UC_CHECK(uc_reg_read(sv->uc, UC_X86_REG_RIP, &rip));
    UC_CHECK(uc_reg_read_batch(sv->uc, ids, vals, 4));
    if (sv->stub_fault || rip != SIM_UNTIL || got[0] != r->cs || got[1] != r->ss)
        return false;
    sv->eng_cs = r->cs;
    sv->eng_ss = r->ss;
    /* iretq to an outer ring nulls data segments of a lower DPL: keep what stuck. */
    sv->eng_ds = (uint16_t)got[2];
    sv->eng_es = (uint16_t)got[3];
    sv->eng_fs = sv->eng_gs = 0xffff; /* unknown: reloaded by the caller */
    sv->entered = true;
    return true;
}

/* Load one data selector; a selector the CPU refuses is replaced by the null selector. */
static void load_selector(struct sim_vcpu *sv, int id, uint16_t *want, uint16_t *eng)
{
    uc_err err;

    if (*want == *eng)
        return;
    err = uc_reg_write(sv->uc, id, want);
    if (err == UC_ERR_EXCEPTION) {
        char msg[96];
        uint16_t null = 0;

        snprintf(msg, sizeof(msg), "sim: d%uv%u: selector %#x not loadable, using 0",
                 sv->v->domain->domid, sv->v->vcpu_id, *want);
        trace_line(sv->m, "%s", msg);
        *want = 0;
        err = uc_reg_write(sv->uc, id, &null);
    }
    if (err != UC_ERR_OK)
        sim_fatal("uc_reg_write(selector %#x): %s", *want, uc_strerror(err));
    *eng = *want;
}

bool cpu_load_regs(struct sim_vcpu *sv)
{
    struct cpu_user_regs *r = &sv->v->regs;

    if (!sv->entered || r->cs != sv->eng_cs || r->ss != sv->eng_ss || r->ds != sv->eng_ds ||
        r->es != sv->eng_es) {
        if (!switch_cpl(sv, r)) {
            /* A data selector may be the culprit: retry with null ones, as a CPU would load. */
            trace_line(sv->m, "sim: d%uv%u: ds=%#x es=%#x not loadable, using 0",
                       sv->v->domain->domid, sv->v->vcpu_id, r->ds, r->es);
            r->ds = r->es = 0;
            if (!switch_cpl(sv, r))
                return false;
        }
        r->ds = sv->eng_ds;
        r->es = sv->eng_es;
    }
    /* FS/GS writes are real (checked) loads; selectors before bases, which they reset. */
    load_selector(sv, UC_X86_REG_FS, &r->fs, &sv->eng_fs);
    load_selector(sv, UC_X86_REG_GS, &r->gs, &sv->eng_gs);
    cpu_write_regs(sv, r->rip);
    sv->cs_mode = code_mode(sv, r->cs);
    sv->last_size = 0; /* the mode may have changed: no stale "previous block" */
    return true;
}

/* The CPL-switch stub (see switch_cpl): mov %edi,%ds; mov %esi,%es; iretq. */
static const uint8_t stub_code[] = {0x8e, 0xdf, 0x8e, 0xc6, 0x48, 0xcf};

void cpu_create(struct sim_vcpu *sv)
{
    uc_x86_mmr gdtr = {.base = SIM_HV_VA, .limit = SIM_GDT_BYTES - 1};
    uint64_t cr4 = 4; /* TSD: RDTSC at CPL > 0 raises #GP, emulated by the core */

    if (posix_memalign((void **)&sv->hv, PAGE_SIZE, SIM_HV_BYTES))
        sim_fatal("out of memory (GDT/stub/stack)");
    memset(sv->hv, 0, SIM_HV_BYTES);
    memcpy(sv->hv + SIM_GDT_BYTES, stub_code, sizeof(stub_code));
    UC_CHECK(uc_open(UC_ARCH_X86, UC_MODE_64, &sv->uc));
    shadow_map_fixed(sv);
    UC_CHECK(uc_reg_write(sv->uc, UC_X86_REG_GDTR, &gdtr));
    /* CR0.PG and CR4.PAE stay clear: the shadow MMU is the only translation. */
    UC_CHECK(uc_reg_write(sv->uc, UC_X86_REG_CR4, &cr4));
    exits_install_hooks(sv);
    UC_CHECK(uc_context_alloc(sv->uc, &sv->ring0));
    UC_CHECK(uc_context_alloc(sv->uc, &sv->scratch));
    UC_CHECK(uc_context_save(sv->uc, sv->ring0));
    sv->mmu_dirty = true;
    sv->seg_dirty = true;
    sv->cs_mode = CS_MODE_64;
}

void cpu_destroy(struct sim_vcpu *sv)
{
    if (sv->ring0)
        uc_context_free(sv->ring0);
    if (sv->scratch)
        uc_context_free(sv->scratch);
    shadow_free(sv);
    if (sv->uc)
        UC_CHECK(uc_close(sv->uc));
    free(sv->hv);
    sv->uc = NULL;
    sv->hv = NULL;
    sv->ring0 = sv->scratch = NULL;
}
