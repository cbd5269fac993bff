/* Work-around for Unicorn 2.0.1's stale "exception in flight" state (upstream issue #1883). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

/*
 * When a UC_HOOK_INTR callback consumes a CPU exception, Unicorn never runs
 * QEMU's do_interrupt(), which is what resets CPUX86State.old_exception to
 * -1. The next contributory exception is then promoted to #DF (vector 8) and
 * the one after that is a triple fault that silently stops uc_emu_start.
 *
 * The fix: after each handled exception, save the CPU context, overwrite the
 * 32-bit old_exception field with -1 and restore the context. Its offset in
 * the (opaque) context blob is found once per process on a throwaway engine:
 * run `xor ecx,ecx; div ecx; hlt` at ring 0, consume the #DE in a hook, and
 * look for the one 4-byte slot that went from -1 to 0 (5480 in the Debian
 * 2.0.1 build). No such slot: the library clears the field itself, nothing
 * to do. A self-check then proves that three #DE in a row arrive as vector 0.
 */

static bool calibrated;
static size_t old_exception_off; /* 0: no fix needed */

struct probe {
    unsigned int vectors[8];
    unsigned int n;
    bool apply_fix;
    uc_context *scratch;
};

static void probe_intr(uc_engine *uc, uint32_t intno, void *user)
{
    struct probe *p = user;
    uint64_t rip;

    if (p->n < 8)
        p->vectors[p->n] = intno;
    p->n++;
    /* Skip the 2-byte `div ecx` so that the program goes on. */
    UC_CHECK(uc_reg_read(uc, UC_X86_REG_RIP, &rip));
    rip += 2;
    UC_CHECK(uc_reg_write(uc, UC_X86_REG_RIP, &rip));
    if (p->apply_fix)
        excfix_apply(uc, p->scratch);
}

/* A ring-0 engine running `xor ecx,ecx; div ecx` ndiv times, then hlt. */
static uc_engine *probe_engine(uint8_t *page, unsigned int ndiv, struct probe *p)
{
    uc_engine *uc;
    uc_hook h;
    unsigned int i, len = 0;

    memset(page, 0xf4, 4096); /* hlt */
    page[len++] = 0x31;
    page[len++] = 0xc9;
    for (i = 0; i < ndiv; i++) {
        page[len++] = 0xf7;
        page[len++] = 0xf1;
    }
    UC_CHECK(uc_open(UC_ARCH_X86, UC_MODE_64, &uc));
    UC_CHECK(uc_mem_map_ptr(uc, 0x1000, 4096, UC_PROT_ALL, page));
    UC_CHECK(uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)probe_intr, p, 1, 0));
    return uc;
}

static void calibrate(uint8_t *page)
{
    struct probe p = {0};
    uc_context *before, *after;
    uc_engine *uc = probe_engine(page, 1, &p);
    size_t size, off, found = 0;
    int32_t a, b;

    UC_CHECK(uc_context_alloc(uc, &before));
    UC_CHECK(uc_context_alloc(uc, &after));
    UC_CHECK(uc_context_save(uc, before));
    UC_CHECK(uc_emu_start(uc, 0x1000, 0x2000, 0, 0));
    UC_CHECK(uc_context_save(uc, after));
    if (p.n != 1 || p.vectors[0] != X86_EXC_DE)
        sim_fatal("exception-state calibration: expected one #DE, got %u (first vector %u)", p.n,
                  p.vectors[0]);

    /* The blob is opaque; scan all of it as bytes (header included). */
    size = uc_context_size(uc);
    for (off = 0; off + 4 <= size; off++) {
        memcpy(&a, (const uint8_t *)before + off, 4);
        memcpy(&b, (const uint8_t *)after + off, 4);
        if (a == -1 && b == X86_EXC_DE) {
            if (found)
                sim_fatal("exception-state calibration: two candidate slots (%zu, %zu)",
                          old_exception_off, off);
            old_exception_off = off;
            found = 1;
        }
    }
    uc_context_free(before);
    uc_context_free(after);
    UC_CHECK(uc_close(uc));
}

static void self_check(uint8_t *page)
{
    struct probe p = {.apply_fix = true};
    uc_engine *uc = probe_engine(page, 3, &p);
    unsigned int i;

    UC_CHECK(uc_context_alloc(uc, &p.scratch));
    UC_CHECK(uc_emu_start(uc, 0x1000, 0x2000, 0, 0));
    for (i = 0; i < p.n && i < 8; i++)
        if (p.vectors[i] != X86_EXC_DE)
            break;
    if (p.n != 3 || i != 3)
        sim_fatal("exception-state fix does not hold (slot %zu): %u exceptions, #%u came as "
                  "vector %u instead of 0 (Unicorn build differs from 2.0.1?)",
                  old_exception_off, p.n, i + 1, i < 8 ? p.vectors[i] : 0);
    uc_context_free(p.scratch);
    UC_CHECK(uc_close(uc));
}

void excfix_init(void)
{
    uint8_t *page;

    if (calibrated)
        return;
    if (posix_memalign((void **)&page, 4096, 4096))
        sim_fatal("out of memory");
    calibrate(page);
    self_check(page);
    free(page);
    calibrated = true;
}

void excfix_apply(uc_engine *uc, uc_context *scratch)
{
    static const int32_t none = -1;

    if (!old_exception_off)
        return;
    UC_CHECK(uc_context_save(uc, scratch));
    memcpy((uint8_t *)scratch + old_exception_off, &none, sizeof(none));
    UC_CHECK(uc_context_restore(uc, scratch));
}
