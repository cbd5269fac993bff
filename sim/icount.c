/* Deterministic instruction counting: each translated block's length, counted once with Capstone.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

/*
 * The block hook gives (address, size in bytes). The number of instructions
 * in those bytes is counted once with Capstone and cached in an
 * open-addressing table keyed by (address, size, code mode). The table is
 * per domain, since two domains may run different code at the same address.
 *
 * Limitation: if a domain later places different code of the same length at
 * the same address, the cached count may be off. Counts stay deterministic
 * (the cache fills in the same order on every run); only the virtual clock's
 * accuracy suffers.
 */

void icount_init(struct sim_machine *m)
{
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &m->cs64) != CS_ERR_OK ||
        cs_open(CS_ARCH_X86, CS_MODE_32, &m->cs32) != CS_ERR_OK)
        sim_fatal("cs_open failed");
}

void icount_fini(struct sim_machine *m)
{
    if (m->cs64)
        cs_close(&m->cs64);
    if (m->cs32)
        cs_close(&m->cs32);
}

void icount_table_free(struct icount_table *t)
{
    free(t->e);
    memset(t, 0, sizeof(*t));
}

static size_t slot_of(uint64_t addr, uint32_t size, uint16_t mode, size_t cap)
{
    uint64_t h = addr ^ ((uint64_t)size << 48) ^ ((uint64_t)mode << 40);

    h *= 0x9E3779B97F4A7C15ULL; /* Fibonacci hashing: spreads nearby block addresses */
    return (size_t)(h >> 20) & (cap - 1);
}

static void table_insert(struct icount_table *t, const struct icount_entry *e)
{
    size_t i = slot_of(e->addr, e->size, e->mode, t->cap);

    while (t->e[i].used)
        i = (i + 1) & (t->cap - 1);
    t->e[i] = *e;
    t->n++;
}

static void table_grow(struct icount_table *t)
{
    struct icount_table old = *t;
    size_t i;

    t->cap = old.cap ? old.cap * 2 : 4096;
    t->n = 0;
    t->e = calloc(t->cap, sizeof(*t->e));
    if (!t->e)
        sim_fatal("out of memory (instruction-count table)");
    for (i = 0; i < old.cap; i++)
        if (old.e[i].used)
            table_insert(t, &old.e[i]);
    free(old.e);
}

/* Instructions in `size` bytes of guest code at addr (read through the engine's mapping). */
static uint32_t count_insns(struct sim_vcpu *sv, uint64_t addr, uint32_t size)
{
    csh cs = sv->cs_mode == CS_MODE_32 ? sv->m->cs32 : sv->m->cs64;
    uint8_t stack_buf[1024];
    uint8_t *buf = size <= sizeof(stack_buf) ? stack_buf : malloc(size);
    const uint8_t *p;
    size_t left;
    uint64_t pc;
    uint32_t n = 0;
    cs_insn *insn;

    if (!buf)
        sim_fatal("out of memory (block of %u bytes)", size);
    /* The block was just translated from these bytes, so they are mapped. */
    UC_CHECK(uc_mem_read(sv->uc, addr, buf, size));
    insn = cs_malloc(cs);
    if (!insn)
        sim_fatal("cs_malloc failed");
    p = buf;
    left = size;
    pc = addr;
    while (left) {
        if (!cs_disasm_iter(cs, &p, &left, &pc, insn)) {
            /*
             * Capstone does not know this encoding (Unicorn did translate
             * it, or it is the block's faulting last instruction): count it
             * as one and resynchronise one byte further.
             */
            p++;
            left--;
            pc++;
        }
        n++;
    }
    cs_free(insn, 1);
    if (buf != stack_buf)
        free(buf);
    return n;
}

uint32_t icount_block(struct sim_vcpu *sv, uint64_t addr, uint32_t size)
{
    struct icount_table *t = &sv->sd->icount;
    uint16_t mode = (uint16_t)sv->cs_mode;
    struct icount_entry e;
    size_t i;

    if (t->cap) {
        for (i = slot_of(addr, size, mode, t->cap); t->e[i].used; i = (i + 1) & (t->cap - 1))
            if (t->e[i].addr == addr && t->e[i].size == size && t->e[i].mode == mode)
                return t->e[i].count;
    }
    if (t->n * 2 >= t->cap)
        table_grow(t);
    e = (struct icount_entry){.addr = addr, .size = size, .mode = mode, .used = 1};
    e.count = size ? count_insns(sv, addr, size) : 0;
    table_insert(t, &e);
    return e.count;
}
