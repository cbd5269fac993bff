/* Self-test part 1: the Unicorn 2.0.1 behaviours the simulator is built on, checked on raw engines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "selftest.h"

/*
 * If one of these fails, the library differs from the one the simulator was
 * written against (sim/exits.c, sim/shadow.c explain how each is used), and
 * the code relying on it must be revisited. All code runs at ring 0 at
 * CODE_VA in a bare 64-bit engine.
 */

#define CODE_VA 0x400000ULL
#define END_VA 0x7ff000ULL

struct fx {
    uc_engine *uc;
    uint8_t *page, *page2;
    unsigned int blocks, syscalls, cpuids;
    uint64_t seen_rip;
    int stop_at_block; /* uc_emu_stop in the n-th block hook (1-based) */
    int syscall_mode;  /* 1: write RIP then uc_emu_stop */
};

static uint64_t reg(uc_engine *uc, int id)
{
    uint64_t v = 0;

    uc_reg_read(uc, id, &v);
    return v;
}

static void set_reg(uc_engine *uc, int id, uint64_t v)
{
    uc_reg_write(uc, id, &v);
}

static void fx_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    struct fx *f = user;

    if ((int)++f->blocks == f->stop_at_block)
        uc_emu_stop(uc);
}

static void fx_syscall(uc_engine *uc, void *user)
{
    struct fx *f = user;

    f->syscalls++;
    f->seen_rip = reg(uc, UC_X86_REG_RIP);
    if (f->syscall_mode == 1) {
        set_reg(uc, UC_X86_REG_RIP, f->seen_rip);
        uc_emu_stop(uc);
    }
}

static int fx_cpuid(uc_engine *uc, void *user)
{
    struct fx *f = user;

    f->cpuids++;
    f->seen_rip = reg(uc, UC_X86_REG_RIP);
    set_reg(uc, UC_X86_REG_RAX, 0x1234);
    return 1;
}

static void fx_open(struct fx *f, const uint8_t *code, size_t len)
{
    uc_hook h;

    memset(f, 0, sizeof(*f));
    if (posix_memalign((void **)&f->page, 4096, 4096) ||
        posix_memalign((void **)&f->page2, 4096, 4096))
        abort();
    memset(f->page, 0xf4, 4096); /* hlt: ends a ring-0 run */
    memset(f->page2, 0xf4, 4096);
    memcpy(f->page, code, len);
    uc_open(UC_ARCH_X86, UC_MODE_64, &f->uc);
    uc_mem_map_ptr(f->uc, CODE_VA, 4096, UC_PROT_ALL, f->page);
    uc_hook_add(f->uc, &h, UC_HOOK_BLOCK, (void *)fx_block, f, 1, 0);
    uc_hook_add(f->uc, &h, UC_HOOK_INSN, (void *)fx_syscall, f, 1, 0, UC_X86_INS_SYSCALL);
    uc_hook_add(f->uc, &h, UC_HOOK_INSN, (void *)fx_cpuid, f, 1, 0, UC_X86_INS_CPUID);
}

static void fx_close(struct fx *f)
{
    uc_close(f->uc);
    free(f->page);
    free(f->page2);
}

void facts_check(void)
{
    struct fx f;
    uc_err err;

    /* 1. uc_emu_stop from the block hook stops before that block runs. */
    {
        static const uint8_t code[] = {0x48, 0xff, 0xc0, 0xeb, 0x00, 0x48, 0xff, 0xc0, 0xf4};
        fx_open(&f, code, sizeof(code)); /* inc rax; jmp +0; inc rax; hlt */
        f.stop_at_block = 2;
        err = uc_emu_start(f.uc, CODE_VA, END_VA, 0, 0);
        CHECK(err == UC_ERR_OK && reg(f.uc, UC_X86_REG_RAX) == 1 &&
                  reg(f.uc, UC_X86_REG_RIP) == CODE_VA + 5,
              "fact: uc_emu_stop in the block hook stops before the block (rax %llu rip %#llx)",
              (unsigned long long)reg(f.uc, UC_X86_REG_RAX),
              (unsigned long long)reg(f.uc, UC_X86_REG_RIP));
        fx_close(&f);
    }
    /* 2. syscall hook: RIP at the instruction; +2 after the hook. 3. writing RIP cancels a stop. */
    {
        static const uint8_t code[] = {0x0f, 0x05, 0x48, 0xff, 0xc0, 0x0f, 0x05, 0xf4};
        fx_open(&f, code, sizeof(code)); /* syscall; inc rax; syscall; hlt */
        err = uc_emu_start(f.uc, CODE_VA, END_VA, 0, 0);
        CHECK(err == UC_ERR_OK && f.syscalls == 2 && f.seen_rip == CODE_VA + 5 &&
                  reg(f.uc, UC_X86_REG_RAX) == 1,
              "fact: syscall hook sees RIP at the instruction, Unicorn adds 2 afterwards");
        fx_close(&f);
        fx_open(&f, code, sizeof(code));
        f.syscall_mode = 1;
        err = uc_emu_start(f.uc, CODE_VA, END_VA, 0, 0);
        CHECK(err == UC_ERR_OK && f.syscalls == 2,
              "fact: writing RIP in a hook cancels uc_emu_stop (%u syscalls ran; if 1, "
              "sim/exits.c could use uc_emu_stop again)",
              f.syscalls);
        fx_close(&f);
    }
    /* 4. CPUID hook: RIP at the instruction, Unicorn advances it, the block goes on. */
    {
        static const uint8_t code[] = {0x0f, 0xa2, 0x48, 0xff, 0xc0, 0xf4};
        fx_open(&f, code, sizeof(code)); /* cpuid; inc rax; hlt */
        err = uc_emu_start(f.uc, CODE_VA, END_VA, 0, 0);
        CHECK(err == UC_ERR_OK && f.cpuids == 1 && f.seen_rip == CODE_VA &&
                  reg(f.uc, UC_X86_REG_RAX) == 0x1235 && f.blocks == 1,
              "fact: CPUID hook at the instruction, same block continues (blocks %u)", f.blocks);
        fx_close(&f);
    }
    /* 5. #UD ends the run with UC_ERR_INSN_INVALID, RIP at the instruction. */
    {
        static const uint8_t code[] = {0x48, 0xff, 0xc0, 0x0f, 0x0b};
        fx_open(&f, code, sizeof(code)); /* inc rax; ud2 */
        err = uc_emu_start(f.uc, CODE_VA, END_VA, 0, 0);
        CHECK(err == UC_ERR_INSN_INVALID && reg(f.uc, UC_X86_REG_RIP) == CODE_VA + 3,
              "fact: ud2 returns UC_ERR_INSN_INVALID at the instruction (%s)", uc_strerror(err));
        fx_close(&f);
    }
    /* 6. A remap at the same address runs stale code unless the cache range is removed. */
    {
        static const uint8_t a[] = {0xb8, 1, 0, 0, 0, 0xf4}, b[] = {0xb8, 2, 0, 0, 0, 0xf4};
        uint64_t stale, fresh;

        fx_open(&f, a, sizeof(a));
        memcpy(f.page2, b, sizeof(b));
        uc_emu_start(f.uc, CODE_VA, END_VA, 0, 0);
        uc_mem_unmap(f.uc, CODE_VA, 4096);
        uc_mem_map_ptr(f.uc, CODE_VA, 4096, UC_PROT_ALL, f.page2);
        uc_emu_start(f.uc, CODE_VA, END_VA, 0, 0);
        stale = reg(f.uc, UC_X86_REG_RAX);
        uc_ctl_remove_cache(f.uc, CODE_VA, CODE_VA + 4096);
        uc_emu_start(f.uc, CODE_VA, END_VA, 0, 0);
        fresh = reg(f.uc, UC_X86_REG_RAX);
        CHECK(fresh == 2, "fact: uc_ctl_remove_cache drops stale blocks (rax %llu)",
              (unsigned long long)fresh);
        if (stale == 2)
            printf("  note: this Unicorn no longer runs stale code after a remap\n");
        fx_close(&f);
    }
}
