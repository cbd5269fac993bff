/* --disasm support: a vCPU's registers and the disassembly around its RIP, for crash reports. */
#include <stdio.h>

#include "sim_internal.h"

#define BACK 48  /* bytes before RIP searched for an instruction boundary */
#define AHEAD 64 /* bytes after RIP */
#define SHOW_BEFORE 3
#define SHOW_TOTAL 8

static void dump_regs(FILE *f, const struct cpu_user_regs *r)
{
    fprintf(f, "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", (unsigned long long)r->rax,
            (unsigned long long)r->rbx, (unsigned long long)r->rcx, (unsigned long long)r->rdx);
    fprintf(f, "  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n", (unsigned long long)r->rsi,
            (unsigned long long)r->rdi, (unsigned long long)r->rbp, (unsigned long long)r->rsp);
    fprintf(f, "  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n", (unsigned long long)r->r8,
            (unsigned long long)r->r9, (unsigned long long)r->r10, (unsigned long long)r->r11);
    fprintf(f, "  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n", (unsigned long long)r->r12,
            (unsigned long long)r->r13, (unsigned long long)r->r14, (unsigned long long)r->r15);
    fprintf(f, "  rip %016llx rflags %08llx cs %04x ss %04x ds %04x es %04x fs %04x gs %04x\n",
            (unsigned long long)r->rip, (unsigned long long)r->rflags, r->cs, r->ss, r->ds, r->es,
            r->fs, r->gs);
    fprintf(f, "  fs_base %016llx gs_base %016llx\n", (unsigned long long)r->fs_base,
            (unsigned long long)r->gs_base);
}

/* Read [addr, addr+len) through the engine, stopping at the first unmapped byte. */
static size_t read_mapped(uc_engine *uc, uint64_t addr, uint8_t *buf, size_t len)
{
    size_t n = 0;

    while (n < len) {
        size_t chunk = PAGE_SIZE - ((addr + n) & (PAGE_SIZE - 1));

        if (chunk > len - n)
            chunk = len - n;
        if (uc_mem_read(uc, addr + n, buf + n, chunk) != UC_ERR_OK)
            break;
        n += chunk;
    }
    return n;
}

/* Instructions decoded from code[start..] before reaching offset `target` exactly, or -1. */
static int lands_on(csh cs, const uint8_t *code, size_t len, uint64_t base, size_t start,
                    size_t target, cs_insn *insn)
{
    const uint8_t *p = code + start;
    size_t left = len - start;
    uint64_t pc = base + start;
    int n = 0;

    while ((size_t)(p - code) < target) {
        if (!cs_disasm_iter(cs, &p, &left, &pc, insn))
            return -1;
        n++;
    }
    return (size_t)(p - code) == target ? n : -1;
}

static void dump_code(FILE *f, struct sim_vcpu *sv)
{
    uint64_t rip = sv->v->regs.rip, base = rip >= BACK ? rip - BACK : 0;
    csh cs = sv->cs_mode == CS_MODE_32 ? sv->m->cs32 : sv->m->cs64;
    uint8_t code[BACK + AHEAD];
    size_t back = (size_t)(rip - base), len, start, s;
    const uint8_t *p;
    cs_insn *insn = cs_malloc(cs);
    int shown = 0, skip = 0;

    if (!insn)
        return;
    /* The bytes before RIP may be unmapped: fall back to starting at RIP. */
    if (read_mapped(sv->uc, base, code, back) != back) {
        base = rip;
        back = 0;
    }
    len = back + read_mapped(sv->uc, rip, code + back, AHEAD);
    if (len == back) {
        fprintf(f, "  code: rip %#llx is not mapped\n", (unsigned long long)rip);
        cs_free(insn, 1);
        return;
    }
    /*
     * x86 cannot be decoded backwards. Decode from the farthest start that
     * lands exactly on RIP (a long run is the most likely to be in step with
     * the real instruction stream) and show its last SHOW_BEFORE instructions.
     */
    start = back;
    for (s = 0; s < back; s++) {
        int n = lands_on(cs, code, len, base, s, back, insn);

        if (n >= 0) {
            start = s;
            skip = n > SHOW_BEFORE ? n - SHOW_BEFORE : 0;
            break;
        }
    }
    p = code + start;
    len -= start;
    base += start;
    while (skip-- > 0)
        cs_disasm_iter(cs, &p, &len, &base, insn);
    while (shown < SHOW_TOTAL && len) {
        uint64_t at = base;

        if (!cs_disasm_iter(cs, &p, &len, &base, insn)) {
            fprintf(f, "  %s %016llx: (bad) %02x\n", at == rip ? "=>" : "  ",
                    (unsigned long long)at, *p);
            break;
        }
        fprintf(f, "  %s %016llx: %-8s %s\n", at == rip ? "=>" : "  ", (unsigned long long)at,
                insn->mnemonic, insn->op_str);
        shown++;
    }
    cs_free(insn, 1);
}

void sim_dump_vcpu(FILE *f, struct vcpu *v)
{
    struct sim_vcpu *sv = sim_vcpu_of(v);

    fprintf(f, "d%uv%u%s, %llu instructions:\n", v->domain->domid, v->vcpu_id,
            v->kernel_mode ? " (kernel mode)" : " (user mode)",
            sv ? (unsigned long long)sv->insns : 0ULL);
    dump_regs(f, &v->regs);
    if (sv && sv->uc && sv->entered)
        dump_code(f, sv);
}

void sim_dump_domain(FILE *f, struct sim_machine *m, unsigned int idx)
{
    unsigned int i;

    if (idx >= m->nr_doms)
        return;
    for (i = 0; i < m->doms[idx]->nr_vcpus; i++)
        if (m->doms[idx]->vcpus[i].entered)
            sim_dump_vcpu(f, m->doms[idx]->vcpus[i].v);
}

struct vcpu *sim_stopped_vcpu(const struct sim_machine *m)
{
    return m->stop_requested && m->stopped ? m->stopped->v : NULL;
}
