/* The hand-made seeds of fuzz/corpus/hypercall, in the input format of fuzz_hypercall.c. */
#include "mkseeds_hc.h"

#include <stdbool.h>
#include <string.h>

#include "public/xen.h"

/*
 * These seeds rely on where the builder puts things in the two domains of
 * fuzz/hc_machine.c (both: kernel image at PFN 0x100, then p2m, start_info
 * 0x105, xenstore 0x106, console ring 0x107, page tables from 0x108: L4
 * 0x108, L3 0x109, L2 0x10a, the L1 for 0-2 MiB 0x10b). If the builder
 * changes, the seeds are still valid inputs, only less to the point.
 */

void put_arg_value(struct seed *s, struct arg a)
{
    static const unsigned size[] = {0, 1, 8, 2, 8, 2, 0, 4};
    put(s, a.v, size[a.kind]);
}

void start(struct seed *s, uint8_t flags, uint8_t con)
{
    s->n = 0;
    put(s, flags, 1);
    put(s, con, 1);
    put(s, 0, 2);
}

/* A start after ns of system time (the header's TSC advance, in 4096 ticks: up to 89 ms). */
void start_at(struct seed *s, uint8_t flags, uint64_t ns)
{
    s->n = 0;
    put(s, flags, 1);
    put(s, 0, 1);
    put(s, (NS_TICKS(ns) + 4095) / 4096, 2);
}

void op(struct seed *s, int dom, unsigned kind)
{
    put(s, (unsigned)(dom << 4) | kind, 1);
}

/* rel: the first argument is relative to the system time now (bit 15 of the kinds). */
void args5_rel(struct seed *s, const struct arg a[5], bool rel)
{
    unsigned kinds = rel ? 0x8000 : 0;
    for (int i = 0; i < 5; i++)
        kinds |= a[i].kind << (3 * i);
    put(s, kinds, 2);
    for (int i = 0; i < 5; i++)
        put_arg_value(s, a[i]);
}

void args5(struct seed *s, const struct arg a[5])
{
    args5_rel(s, a, false);
}

void hc(struct seed *s, int dom, unsigned nr, struct arg a0, struct arg a1, struct arg a2,
        struct arg a3)
{
    const struct arg a[5] = {a0, a1, a2, a3, A0};
    op(s, dom, S_HC);
    put(s, nr, 1);
    args5(s, a);
}

/* A hypercall whose first argument is the system time now plus a0 (modulo 2^64). */
void hc_now(struct seed *s, int dom, unsigned nr, struct arg a0, struct arg a1)
{
    const struct arg a[5] = {a0, a1, A0, A0, A0};
    op(s, dom, S_HC);
    put(s, nr, 1);
    args5_rel(s, a, true);
}

void blob_at(struct seed *s, int dom, struct arg va, const void *p, size_t len)
{
    op(s, dom, S_BLOB);
    put(s, va.kind, 1);
    put_arg_value(s, va);
    put(s, len, 2);
    memcpy(s->b + s->n, p, len);
    s->n += len;
}

void blob(struct seed *s, int dom, uint64_t off, const void *p, size_t len)
{
    blob_at(s, dom, AS(off), p, len);
}

/* how: 0 PFN -> MFN, 1 PFN in bits 12..51 -> MFN, 2 scratch offset -> VA, 3 the other's PFN. */
void reloc(struct seed *s, int dom, uint64_t off, unsigned how)
{
    op(s, dom, S_RELOC);
    put(s, KS, 1);
    put(s, off, 2);
    put(s, how, 1);
}

void reloc_at(struct seed *s, int dom, struct arg va, unsigned how)
{
    op(s, dom, S_RELOC);
    put(s, va.kind, 1);
    put_arg_value(s, va);
    put(s, how, 1);
}

void setreg(struct seed *s, int dom, unsigned reg, struct arg a)
{
    op(s, dom, S_SETREG);
    put(s, reg, 1);
    put(s, a.kind, 1);
    put_arg_value(s, a);
}

/* The u64 at scratch + off becomes the system time now plus its value. */
void reloc_now(struct seed *s, int dom, uint64_t off)
{
    reloc(s, dom, off, 4);
}

/* Time passes (at least ns), with the vCPU on the CPU running. */
void passes(struct seed *s, uint64_t ns)
{
    op(s, 0, S_TIME);
    put(s, (NS_TICKS(ns) + 255) / 256, 4);
}

void shinfo(struct seed *s, int dom, unsigned off, const void *p, size_t len)
{
    op(s, dom, S_SHINFO);
    put(s, off, 2);
    put(s, len, 1);
    memcpy(s->b + s->n, p, len);
    s->n += len;
}

void notify(struct seed *s, int dom)
{
    op(s, dom, S_BACKEND);
    put(s, 0, 1); /* the console */
}

/* The toolstack makes a port pending (as if its far end sent). */
void inject(struct seed *s, int dom, unsigned port)
{
    op(s, dom, S_BACKEND);
    put(s, 128 + port, 1);
}

/* The CPU idles until the next deadline (a time step of 0 ticks). */
void idle(struct seed *s)
{
    op(s, 0, S_TIME);
    put(s, 0, 4);
}

void version(struct seed *s, int dom)
{
    hc(s, dom, __HYPERVISOR_xen_version, A0, A0, A0, A0);
}

/*
 * Structures with padding are filled field by field over zeroed memory, so
 * the seeds are the same bytes on every run.
 */
void ext(struct mmuext_op *o, unsigned cmd, uint64_t arg1, uint64_t arg2)
{
    memset(o, 0, sizeof(*o));
    o->cmd = cmd;
    o->arg1.mfn = arg1;
    o->arg2.src_mfn = arg2;
}

void trap(struct trap_info *t, uint8_t vector, uint8_t flags, uint64_t address)
{
    memset(t, 0, sizeof(*t));
    t->vector = vector;
    t->flags = flags;
    t->cs = address ? FLAT_KERNEL_CS64 : 0;
    t->address = address;
}

/* The L1 entry mapping va (below 2 MiB), as a guest-physical address. */
uint64_t l1e(uint64_t va)
{
    return ((uint64_t)PFN_L1 << 12) + (va >> 12) * 8;
}

/* Remap the page at va read-only (same frame), so it can become a table or GDT. */
void make_ro(struct seed *s, int dom, uint64_t va)
{
    hc(s, dom, __HYPERVISOR_update_va_mapping, A64(va), AP(va | P | US), A8(UVMF_INVLPG), A0);
}

static void seeds_unmodelled(void)
{
    static const unsigned nrs[] = {5,  7,  8,  9,  11, 12, 15, 16, 19, 20,
                                   22, 24, 27, 28, 31, 33, 40, 63, 64, 255};
    struct seed s;
    for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
        start(&s, 0, 0);
        hc(&s, 0, nrs[i], A8(1), AS(0), A8(1), A0);
        save("hypercall", &s, "hc-%02u-unmodelled", nrs[i]);
    }
}

static void seeds_basic(void)
{
    struct seed s;

    start(&s, 0, 0);
    struct trap_info t[3];
    trap(&t[0], 13, 0, 0x100400);
    trap(&t[1], 0x80, 3, 0x100600);
    trap(&t[2], 0, 0, 0);
    blob(&s, 0, 0, t, sizeof(t));
    hc(&s, 0, __HYPERVISOR_set_trap_table, AS(0), A0, A0, A0);
    hc(&s, 0, __HYPERVISOR_set_trap_table, A0, A0, A0, A0);
    save("hypercall", &s, "hc-00-set_trap_table");

    start(&s, 0, 0);
    hc(&s, 0, __HYPERVISOR_stack_switch, A32(FLAT_KERNEL_SS64), A64(SCRATCH + 0x8000), A0, A0);
    save("hypercall", &s, "hc-03-stack_switch");

    start(&s, 0, 0);
    hc(&s, 0, __HYPERVISOR_set_callbacks, A64(0x100100), A64(0x100200), A64(0x100300), A0);
    save("hypercall", &s, "hc-04-set_callbacks");

    for (unsigned cmd = 0; cmd < 3; cmd++) {
        start(&s, 0, 0);
        hc(&s, 1, __HYPERVISOR_sched_op_compat, A8(cmd), A8(0), A0, A0);
        save("hypercall", &s, "hc-06-sched_op_compat-%u", cmd);
    }

    for (unsigned cmd = 0; cmd < 10; cmd++) {
        start(&s, 0, 0);
        uint32_t fi[2] = {0, 0};
        blob(&s, 0, 0, fi, sizeof(fi));
        hc(&s, 0, __HYPERVISOR_xen_version, A8(cmd), AS(0), A0, A0);
        save("hypercall", &s, "hc-17-xen_version-%u", cmd);
    }

    start(&s, 0, 0);
    blob(&s, 0, 0, "Hello from the fuzzer\n\x01\x7f", 24);
    hc(&s, 0, __HYPERVISOR_console_io, A8(CONSOLEIO_write), A8(24), AS(0), A0);
    save("hypercall", &s, "hc-18-console_io-write");
    start(&s, 8, 12);
    hc(&s, 0, __HYPERVISOR_console_io, A8(CONSOLEIO_read), A8(64), AS(0x100), A0);
    save("hypercall", &s, "hc-18-console_io-read");

    static const unsigned types[] = {0, 2, 3, 4, 5, 32, 33};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        start(&s, 0, 0);
        hc(&s, 0, __HYPERVISOR_vm_assist, A8(VMASST_CMD_enable), A8(types[i]), A0, A0);
        hc(&s, 0, __HYPERVISOR_vm_assist, A8(VMASST_CMD_disable), A8(types[i]), A0, A0);
        save("hypercall", &s, "hc-21-vm_assist-%u", types[i]);
    }

    for (unsigned which = 0; which < 4; which++) {
        start(&s, 0, 0);
        hc(&s, 1, __HYPERVISOR_set_segment_base, A8(which), A64(which == 3 ? 0 : 0x12345000), A0,
           A0);
        save("hypercall", &s, "hc-25-set_segment_base-%u", which);
    }

    static const uint16_t cbtypes[] = {CALLBACKTYPE_event, CALLBACKTYPE_failsafe,
                                       CALLBACKTYPE_syscall, CALLBACKTYPE_nmi, 9};
    for (size_t i = 0; i < sizeof(cbtypes) / sizeof(cbtypes[0]); i++) {
        start(&s, 0, 0);
        struct callback_register cb;
        memset(&cb, 0, sizeof(cb));
        cb.type = cbtypes[i];
        cb.flags = CALLBACKF_mask_events;
        cb.address = 0x100700;
        blob(&s, 0, 0, &cb, sizeof(cb));
        hc(&s, 0, __HYPERVISOR_callback_op, A8(CALLBACKOP_register), AS(0), A0, A0);
        hc(&s, 0, __HYPERVISOR_callback_op, A8(CALLBACKOP_unregister), AS(0), A0, A0);
        save("hypercall", &s, "hc-30-callback_op-%u", cbtypes[i]);
    }
}

static void seeds_mm(void)
{
    struct seed s;
    const uint64_t va = 0x90000;

    /* mmu_update: remap va to another frame, then a machphys update, PRESERVE_AD. */
    start(&s, 0, 0);
    struct mmu_update req[3] = {
        {l1e(va), (0x91ULL << 12) | P | RW | US},
        {(0x92ULL << 12) | MMU_MACHPHYS_UPDATE, 0x92},
        {l1e(va) | MMU_PT_UPDATE_PRESERVE_AD, (0x90ULL << 12) | P | US},
    };
    blob(&s, 0, 0, req, sizeof(req));
    for (int i = 0; i < 3; i++) {
        reloc(&s, 0, 16 * i, 1);
        if (i != 1)
            reloc(&s, 0, 16 * i + 8, 1);
    }
    hc(&s, 0, __HYPERVISOR_mmu_update, AS(0), A8(3), AS(0x100), ASELF);
    save("hypercall", &s, "hc-01-mmu_update");

    /* set_gdt on a page made read-only first, then an update_descriptor into it. */
    start(&s, 0, 0);
    make_ro(&s, 0, 0x95000);
    uint64_t frames[1] = {0x95};
    blob(&s, 0, 0, frames, sizeof(frames));
    reloc(&s, 0, 0, 0);
    hc(&s, 0, __HYPERVISOR_set_gdt, AS(0), A64(512), A0, A0);
    hc(&s, 0, __HYPERVISOR_update_descriptor, AP(0x95ULL << 12 | 8), A64(0x00cffa000000ffffULL), A0,
       A0);
    hc(&s, 0, __HYPERVISOR_set_gdt, AS(0), A0, A0, A0);
    save("hypercall", &s, "hc-02-set_gdt");

    start(&s, 0, 0);
    hc(&s, 0, __HYPERVISOR_update_descriptor, AP(0x96ULL << 12), A64(0x00cff2000000ffffULL), A0,
       A0);
    save("hypercall", &s, "hc-10-update_descriptor");

    start(&s, 0, 0);
    hc(&s, 0, __HYPERVISOR_update_va_mapping, A64(0x97000), AP(0x97000 | P | US), A8(UVMF_INVLPG),
       A0);
    hc(&s, 0, __HYPERVISOR_update_va_mapping, A64(0x97000), A64(0), A8(UVMF_TLB_FLUSH), A0);
    save("hypercall", &s, "hc-14-update_va_mapping");

    /* mmuext_op: pin an L1 (made read-only first), flushes, unpin; new user baseptr. */
    start(&s, 0, 0);
    make_ro(&s, 0, 0x98000);
    struct mmuext_op ops[4];
    ext(&ops[0], MMUEXT_PIN_L1_TABLE, 0x98, 0);
    ext(&ops[1], MMUEXT_TLB_FLUSH_LOCAL, 0, 0);
    ext(&ops[2], MMUEXT_INVLPG_LOCAL, 0x98000, 0);
    ext(&ops[3], MMUEXT_UNPIN_TABLE, 0x98, 0);
    blob(&s, 0, 0, ops, sizeof(ops));
    reloc(&s, 0, 8, 0);
    reloc(&s, 0, 3 * 24 + 8, 0);
    hc(&s, 0, __HYPERVISOR_mmuext_op, AS(0), A8(4), AS(0x200), ASELF);
    save("hypercall", &s, "hc-26-mmuext_op-pin");

    start(&s, 0, 0);
    struct mmuext_op nb[2];
    ext(&nb[0], MMUEXT_NEW_USER_BASEPTR, 0x108, 0);
    ext(&nb[1], MMUEXT_NEW_BASEPTR, 0x108, 0);
    blob(&s, 0, 0, nb, sizeof(nb));
    reloc(&s, 0, 8, 0);
    reloc(&s, 0, 24 + 8, 0);
    hc(&s, 0, __HYPERVISOR_mmuext_op, AS(0), A8(2), A0, ASELF);
    save("hypercall", &s, "hc-26-mmuext_op-baseptr");

    /* An update of an L4 slot that belongs to the hypervisor (256): refused. */
    start(&s, 0, 0);
    struct mmu_update xen_slot = {(0x108ULL << 12) + 256 * 8, (0x90ULL << 12) | P | RW | US};
    blob(&s, 0, 0, &xen_slot, sizeof(xen_slot));
    reloc(&s, 0, 0, 1);
    reloc(&s, 0, 8, 1);
    hc(&s, 0, __HYPERVISOR_mmu_update, AS(0), A8(1), A0, ASELF);
    save("hypercall", &s, "hc-01-mmu_update-xen-slot");

    /*
     * A new four-level hierarchy in free pages 0xa0..0xa3 mapping page 0xa4,
     * written while the pages are plain data, then made read-only, pinned
     * (validation recurses down to the L1), switched to, and back.
     */
    start(&s, 0, 0);
    const uint64_t lvl[4] = {0xa0, 0xa1, 0xa2, 0xa3}; /* L4, L3, L2, L1 */
    for (int i = 0; i < 4; i++) {
        uint64_t e = ((i < 3 ? lvl[i + 1] : 0xa4) << 12) | P | RW | US;
        blob_at(&s, 0, A32(lvl[i] << 12), &e, sizeof(e));
        reloc_at(&s, 0, A32(lvl[i] << 12), 1);
    }
    for (int i = 0; i < 4; i++)
        make_ro(&s, 0, lvl[i] << 12);
    struct mmuext_op tree[3];
    ext(&tree[0], MMUEXT_PIN_L4_TABLE, 0xa0, 0);
    ext(&tree[1], MMUEXT_NEW_BASEPTR, 0xa0, 0);
    ext(&tree[2], MMUEXT_NEW_BASEPTR, 0x108, 0);
    blob(&s, 0, 0, tree, sizeof(tree));
    for (int i = 0; i < 3; i++)
        reloc(&s, 0, 24 * i + 8, 0);
    hc(&s, 0, __HYPERVISOR_mmuext_op, AS(0), A8(1), A0, ASELF);
    hc(&s, 0, __HYPERVISOR_multicall, A0, A0, A0, A0);
    save("hypercall", &s, "hc-26-mmuext_op-new-tables");

    /* A page-table frame of the other domain: must be refused. */
    start(&s, 0, 0);
    struct mmuext_op foreign;
    ext(&foreign, MMUEXT_PIN_L4_TABLE, 0x108, 0);
    blob(&s, 0, 0, &foreign, sizeof(foreign));
    reloc(&s, 0, 8, 3);
    hc(&s, 0, __HYPERVISOR_mmuext_op, AS(0), A8(1), A0, ASELF);
    save("hypercall", &s, "hc-26-mmuext_op-foreign");
}

static void seeds_sched_evtchn(void)
{
    struct seed s;

    static const unsigned cmds[] = {SCHEDOP_yield,         SCHEDOP_block,
                                    SCHEDOP_shutdown,      SCHEDOP_remote_shutdown,
                                    SCHEDOP_shutdown_code, SCHEDOP_watchdog};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        start(&s, 0, 0);
        uint32_t reason = 1;
        blob(&s, 1, 0, &reason, sizeof(reason));
        hc(&s, 1, __HYPERVISOR_sched_op, A8(cmds[i]), AS(0), A0, A0);
        op(&s, 1, S_BACKEND);
        put(&s, 0, 1);
        hc(&s, 1, __HYPERVISOR_xen_version, A0, A0, A0, A0);
        save("hypercall", &s, "hc-29-sched_op-%u", cmds[i]);
    }

    /* poll on the console port with a deadline; time passes; the backend notifies. */
    start(&s, 0, 0);
    uint32_t ports[2] = {1, 2};
    blob(&s, 0, 0x40, ports, sizeof(ports));
    struct {
        uint64_t ports;
        uint32_t nr, pad;
        uint64_t timeout;
    } poll = {0x40, 2, 0, 5000000};
    blob(&s, 0, 0, &poll, sizeof(poll));
    reloc(&s, 0, 0, 2);
    hc(&s, 0, __HYPERVISOR_sched_op, A8(SCHEDOP_poll), AS(0), A0, A0);
    op(&s, 0, S_TIME);
    put(&s, 100000, 4);
    hc(&s, 0, __HYPERVISOR_sched_op, A8(SCHEDOP_poll), AS(0), A0, A0);
    op(&s, 0, S_BACKEND);
    put(&s, 0, 1);
    save("hypercall", &s, "hc-29-sched_op-poll");

    for (unsigned cmd = 0; cmd < 11; cmd++) {
        start(&s, 0, 0);
        uint32_t st[6] = {DOMID_SELF, 1, 0, 0, 0, 0};
        blob(&s, 0, 0, st, sizeof(st));
        hc(&s, 0, __HYPERVISOR_event_channel_op, A8(cmd), AS(0), A0, A0);
        save("hypercall", &s, "hc-32-event_channel_op-%u", cmd);
    }
}

static void seeds_traps(void)
{
    struct seed s;

    /* iret from a frame on the stack, back to kernel mode, then to user mode (d2). */
    for (int dom = 0; dom < 2; dom++) {
        start(&s, 0, 0);
        struct iret_context c = {.rax = 7,
                                 .rip = 0x100040,
                                 .cs = dom ? FLAT_USER_CS64 : (FLAT_KERNEL_CS64 & ~3ULL),
                                 .rflags = 0x202,
                                 .rsp = SCRATCH + 0x7000,
                                 .ss = FLAT_KERNEL_SS64};
        blob(&s, dom, 0x300, &c, sizeof(c));
        setreg(&s, dom, 7, AS(0x300));
        hc(&s, dom, __HYPERVISOR_iret, A0, A0, A0, A0);
        hc(&s, dom, __HYPERVISOR_xen_version, A0, A0, A0, A0);
        save("hypercall", &s, "hc-23-iret-d%d", dom + 1);
    }

    /* #GP on rdtsc, #UD on the forced-emulation prefix, int $0x80, #BP. */
    static const struct {
        const char *name;
        uint8_t code[8];
        unsigned len, vec;
    } exc[] = {
        {"rdtsc", {0x0f, 0x31}, 2, 13},
        {"cr3", {0x0f, 0x20, 0xd8}, 3, 13},
        {"forced-cpuid", {0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2}, 7, 6},
        {"int80", {0xcd, 0x80}, 2, 0x80},
        {"int3", {0xcc}, 1, 3},
    };
    for (size_t i = 0; i < sizeof(exc) / sizeof(exc[0]); i++) {
        for (int dom = 0; dom < 2; dom++) {
            start(&s, 0, 0);
            blob(&s, dom, 0x400, exc[i].code, exc[i].len);
            setreg(&s, dom, 16, AS(exc[i].vec >= 32 ? 0x402 : 0x400));
            op(&s, dom, S_EXC);
            put(&s, exc[i].vec, 1);
            put(&s, 0, 4);
            save("hypercall", &s, "exc-%s-d%d", exc[i].name, dom + 1);
        }
    }

    /* A page fault at an unmapped address (d2 has a #PF handler), and a write to a table. */
    start(&s, 0, 0);
    op(&s, 1, S_PF);
    put(&s, K64, 1);
    put(&s, 0x500000, 8);
    put(&s, 1, 1);
    op(&s, 1, S_PF);
    put(&s, K64, 1);
    put(&s, 0x108000, 8);
    put(&s, 1, 1);
    save("hypercall", &s, "pf-d2");

    start(&s, 0, 0);
    op(&s, 0, S_CPUID);
    put(&s, 0x40000000, 4);
    put(&s, 0, 4);
    save("hypercall", &s, "cpuid");

    /* d2 in user mode: a syscall bounces to its callback, which irets back. */
    start(&s, 1, 0);
    hc(&s, 1, 0, A0, A0, A0, A0);
    hc(&s, 1, __HYPERVISOR_xen_version, A0, A0, A0, A0);
    save("hypercall", &s, "user-syscall-d2");

    /* Console ring: the guest writes out[] and out_prod, notifies; the backend drains it. */
    start(&s, 0, 0);
    const uint64_t ring = (uint64_t)PFN_CONSOLE << 12;
    blob_at(&s, 0, A32(ring + 1024), "ring text\n", 10);
    uint32_t prod = 10;
    blob_at(&s, 0, A32(ring + 1024 + 2048 + 12), &prod, 4);
    struct evtchn_send send = {1};
    blob(&s, 0, 0, &send, sizeof(send));
    hc(&s, 0, __HYPERVISOR_event_channel_op, A8(EVTCHNOP_send), AS(0), A0, A0);
    op(&s, 0, S_RING);
    save("hypercall", &s, "console-ring");

    /* shared_info: unmask the console port, then block; the backend's event wakes it. */
    start(&s, 0, 0);
    uint8_t zero[8] = {0};
    op(&s, 0, S_SHINFO);
    put(&s, 1, 2); /* vcpu_info[0].evtchn_upcall_mask */
    put(&s, 1, 1);
    memcpy(s.b + s.n, zero, 1);
    s.n += 1;
    hc(&s, 0, __HYPERVISOR_sched_op, A8(SCHEDOP_block), A0, A0, A0);
    op(&s, 0, S_BACKEND);
    put(&s, 0, 1);
    hc(&s, 0, __HYPERVISOR_xen_version, A0, A0, A0, A0);
    save("hypercall", &s, "shinfo-block-wake");

    /* A multicall of several small calls, and the flags: exhausted, d2 crashed. */
    start(&s, 0x06, 0);
    op(&s, 0, S_MULTI);
    put(&s, 3, 1);
    const struct arg v0[5] = {A8(XENVER_version), A0, A0, A0, A0};
    const struct arg st[5] = {A32(FLAT_KERNEL_SS64), A64(SCRATCH + 0x6000), A0, A0, A0};
    const struct arg nest[5] = {AS(0x1000), A8(1), A0, A0, A0};
    put(&s, __HYPERVISOR_xen_version, 1);
    args5(&s, v0);
    put(&s, __HYPERVISOR_stack_switch, 1);
    args5(&s, st);
    put(&s, __HYPERVISOR_multicall, 1);
    args5(&s, nest);
    save("hypercall", &s, "hc-13-multicall");
}

/*
 * Timers, waiting, event channels and upcalls. d1 ("fuzz-a") is a fresh
 * boot: no callbacks, ports 1 (console) and 2 (xenstore), one vCPU, on the
 * CPU. d2 ("fuzz-b") has callbacks and VIRQ_TIMER on port 3 of vCPU 0, two
 * vCPUs (only vCPU 0 up); upcalls of both start masked. System time starts
 * at 0 with every input.
 */

void evtchn(struct seed *s, int dom, unsigned cmd, uint64_t off)
{
    hc(s, dom, __HYPERVISOR_event_channel_op, A8(cmd), AS(off), A0, A0);
}

void vcpu_op(struct seed *s, int dom, unsigned cmd, unsigned id, struct arg a)
{
    hc(s, dom, __HYPERVISOR_vcpu_op, A8(cmd), A8(id), a, A0);
}

void port_blob(struct seed *s, int dom, uint64_t off, uint32_t port)
{
    blob(s, dom, off, &port, sizeof(port));
}

void virq_blob(struct seed *s, int dom, uint64_t off, uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq b = {.virq = virq, .vcpu = vcpu};
    blob(s, dom, off, &b, sizeof(b));
}

void unmask_upcalls(struct seed *s, int dom)
{
    const uint8_t zero = 0;
    shinfo(s, dom, SI_MASK_OFF, &zero, 1);
}

/* struct sched_poll at scratch + off, its ports at off + 0x40; timeout relative to now. */
void poll_at(struct seed *s, int dom, uint64_t off, const uint32_t *ports, unsigned n,
             uint64_t nr_ports, uint64_t timeout, bool rel)
{
    struct {
        uint64_t ports;
        uint32_t nr, pad;
        uint64_t timeout;
    } p = {off + 0x40, (uint32_t)nr_ports, 0, timeout};
    if (n)
        blob(s, dom, off + 0x40, ports, n * 4);
    blob(s, dom, off, &p, sizeof(p));
    reloc(s, dom, off, 2);
    if (rel)
        reloc_now(s, dom, off + 16);
    hc(s, dom, __HYPERVISOR_sched_op, A8(SCHEDOP_poll), AS(off), A0, A0);
}

static void seeds_timers(void)
{
    struct seed s;

    /* set_timer_op: the singleshot timer, absolute system time (xen-abi.md 5.2). */
    start(&s, 0, 0);
    hc_now(&s, 1, __HYPERVISOR_set_timer_op, A64(MS(5)), A0);
    passes(&s, MS(10)); /* fires: VIRQ_TIMER (port 3) pending, upcalls still masked */
    version(&s, 1);
    save("hypercall", &s, "timer-set_timer_op-future");

    start(&s, 0, 0);
    hc_now(&s, 1, __HYPERVISOR_set_timer_op, A64(MS(5)), A0);
    hc(&s, 1, __HYPERVISOR_set_timer_op, A0, A0, A0, A0); /* 0 stops it */
    passes(&s, MS(10));
    save("hypercall", &s, "timer-set_timer_op-zero");

    start_at(&s, 0, MS(20));
    hc_now(&s, 1, __HYPERVISOR_set_timer_op, A64(-MS(1)), A0); /* in the past: fires at once */
    save("hypercall", &s, "timer-set_timer_op-past");

    start(&s, 0, 0);
    hc(&s, 1, __HYPERVISOR_set_timer_op, A64(1ULL << 63 | 12345), A0, A0, A0); /* negative */
    passes(&s, MS(150)); /* Xen's workaround fires it 100 ms later */
    save("hypercall", &s, "timer-set_timer_op-negative");

    start(&s, 0, 0);
    hc_now(&s, 1, __HYPERVISOR_set_timer_op, A64((1ULL << 50) + 1), A0); /* too far: 100 ms */
    hc_now(&s, 1, __HYPERVISOR_set_timer_op, A64((1ULL << 50) - 1), A0); /* just not too far */
    passes(&s, MS(150));
    hc(&s, 1, __HYPERVISOR_set_timer_op, A0, A0, A0, A0);
    save("hypercall", &s, "timer-set_timer_op-huge");

    start(&s, 0, 0);
    hc_now(&s, 0, __HYPERVISOR_set_timer_op, A64(MS(1)), A0); /* d1: VIRQ_TIMER not bound */
    passes(&s, MS(2));
    save("hypercall", &s, "timer-set_timer_op-unbound");

    /* VCPUOP_set_periodic_timer (at least 1 ms) and stop_periodic_timer (5.3). */
    start(&s, 0, 0);
    uint64_t period = MS(1);
    blob(&s, 1, 0, &period, 8);
    vcpu_op(&s, 1, VCPUOP_set_periodic_timer, 0, AS(0));
    version(&s, 1); /* d2 on the CPU: its periodic timer runs */
    passes(&s, MS(5));
    version(&s, 1);
    save("hypercall", &s, "timer-periodic-1ms");

    start(&s, 0, 0);
    const uint64_t bad[3] = {MS(1) - 1, 0, 1ULL << 63};
    blob(&s, 1, 0, bad, sizeof(bad));
    for (int i = 0; i < 3; i++)
        vcpu_op(&s, 1, VCPUOP_set_periodic_timer, 0, AS(8 * i)); /* -EINVAL */
    vcpu_op(&s, 1, VCPUOP_set_periodic_timer, 0, A64(0x500000)); /* -EFAULT */
    save("hypercall", &s, "timer-periodic-einval");

    start(&s, 0, 0);
    period = MS(2);
    blob(&s, 1, 0, &period, 8);
    vcpu_op(&s, 1, VCPUOP_set_periodic_timer, 1, AS(0)); /* the vCPU never brought up */
    vcpu_op(&s, 1, VCPUOP_set_periodic_timer, 8, AS(0)); /* -ENOENT */
    vcpu_op(&s, 1, VCPUOP_stop_periodic_timer, 1, A0);
    save("hypercall", &s, "timer-periodic-other-vcpu");

    start(&s, 0, 0);
    version(&s, 1);
    vcpu_op(&s, 1, VCPUOP_stop_periodic_timer, 0, A0);
    passes(&s, MS(25)); /* no event */
    version(&s, 1);
    save("hypercall", &s, "timer-periodic-stop");

    /* VCPUOP_set_singleshot_timer, stop_singleshot_timer. */
    start(&s, 0, 0);
    struct vcpu_set_singleshot_timer t;
    memset(&t, 0, sizeof(t));
    t.timeout_abs_ns = MS(5);
    blob(&s, 1, 0, &t, sizeof(t));
    reloc_now(&s, 1, 0);
    vcpu_op(&s, 1, VCPUOP_set_singleshot_timer, 0, AS(0));
    passes(&s, MS(10));
    save("hypercall", &s, "timer-singleshot-future");

    start_at(&s, 0, MS(20));
    t.timeout_abs_ns = -MS(1);
    t.flags = VCPU_SSHOTTMR_future; /* ignored, as current Xen does: fires at once */
    blob(&s, 1, 0, &t, sizeof(t));
    reloc_now(&s, 1, 0);
    vcpu_op(&s, 1, VCPUOP_set_singleshot_timer, 0, AS(0));
    save("hypercall", &s, "timer-singleshot-past");

    start(&s, 0, 0);
    t.timeout_abs_ns = MS(3);
    t.flags = 0;
    blob(&s, 1, 0, &t, sizeof(t));
    reloc_now(&s, 1, 0);
    vcpu_op(&s, 1, VCPUOP_set_singleshot_timer, 1, AS(0));         /* not itself: -EINVAL */
    vcpu_op(&s, 1, VCPUOP_set_singleshot_timer, 0, A64(0x500000)); /* -EFAULT */
    vcpu_op(&s, 1, VCPUOP_set_singleshot_timer, 0, AS(0));
    vcpu_op(&s, 1, VCPUOP_stop_singleshot_timer, 1, A0); /* -EINVAL */
    vcpu_op(&s, 1, VCPUOP_stop_singleshot_timer, 0, A0);
    passes(&s, MS(5));
    save("hypercall", &s, "timer-singleshot-stop");

    /* VCPUOP_get_runstate_info, is_up and the sub-ops not modelled. */
    start(&s, 0, 0);
    version(&s, 1);
    passes(&s, MS(3));
    vcpu_op(&s, 1, VCPUOP_get_runstate_info, 0, AS(0));
    vcpu_op(&s, 1, VCPUOP_get_runstate_info, 1, AS(0x40));
    vcpu_op(&s, 1, VCPUOP_get_runstate_info, 0, A64(0x500000));
    vcpu_op(&s, 1, VCPUOP_get_runstate_info, 9, AS(0));
    save("hypercall", &s, "vcpu_op-runstate");

    start(&s, 0, 0);
    for (unsigned id = 0; id < 3; id++)
        vcpu_op(&s, 1, VCPUOP_is_up, id == 2 ? 8 : id, A0);
    static const unsigned unmodelled[] = {VCPUOP_initialise,         VCPUOP_up,       VCPUOP_down,
                                          VCPUOP_register_vcpu_info, VCPUOP_send_nmi, 16};
    for (size_t i = 0; i < sizeof(unmodelled) / sizeof(unmodelled[0]); i++)
        vcpu_op(&s, 1, unmodelled[i], 1, AS(0));
    save("hypercall", &s, "vcpu_op-is_up");
}

static void seeds_waiting(void)
{
    struct seed s;
    const uint32_t ports[2] = {1, 3};

    /* SCHEDOP_block unmasks upcalls and sleeps (its periodic timer stops meanwhile); the
     * singleshot timer wakes it. */
    start(&s, 0, 0);
    hc_now(&s, 1, __HYPERVISOR_set_timer_op, A64(MS(5)), A0);
    hc(&s, 1, __HYPERVISOR_sched_op, A8(SCHEDOP_block), A0, A0, A0);
    passes(&s, MS(15));
    version(&s, 1); /* the context switch back, then the upcall */
    save("hypercall", &s, "sched-block-singleshot");

    /* An upcall already pending: block returns at once and the upcall is delivered. */
    start(&s, 0, 0);
    notify(&s, 1);
    hc(&s, 1, __HYPERVISOR_sched_op, A8(SCHEDOP_block), A0, A0, A0);
    version(&s, 1);
    save("hypercall", &s, "sched-block-pending");

    /* d1 binds VIRQ_TIMER, arms a singleshot, blocks; the upcall finds no callback. */
    start(&s, 0, 0);
    virq_blob(&s, 0, 0, VIRQ_TIMER, 0);
    evtchn(&s, 0, EVTCHNOP_bind_virq, 0);
    hc_now(&s, 0, __HYPERVISOR_set_timer_op, A64(MS(5)), A0);
    hc(&s, 0, __HYPERVISOR_sched_op, A8(SCHEDOP_block), A0, A0, A0);
    passes(&s, MS(10));
    version(&s, 0);
    save("hypercall", &s, "sched-block-singleshot-no-callback");

    /* The same with an event callback registered first (callback_op). */
    start(&s, 0, 0);
    struct callback_register cb;
    memset(&cb, 0, sizeof(cb));
    cb.type = CALLBACKTYPE_event;
    cb.address = 0x100700;
    blob(&s, 0, 0x100, &cb, sizeof(cb));
    hc(&s, 0, __HYPERVISOR_callback_op, A8(CALLBACKOP_register), AS(0x100), A0, A0);
    virq_blob(&s, 0, 0, VIRQ_TIMER, 0);
    evtchn(&s, 0, EVTCHNOP_bind_virq, 0);
    hc_now(&s, 0, __HYPERVISOR_set_timer_op, A64(MS(5)), A0);
    hc(&s, 0, __HYPERVISOR_sched_op, A8(SCHEDOP_block), A0, A0, A0);
    passes(&s, MS(10));
    version(&s, 0);
    save("hypercall", &s, "sched-block-singleshot-callback");

    /* SCHEDOP_poll on ports 1 and 3 with a deadline 5 ms ahead; 10 ms pass. */
    start(&s, 0, 0);
    poll_at(&s, 1, 0, ports, 2, 2, MS(5), true);
    passes(&s, MS(10));
    version(&s, 1);
    save("hypercall", &s, "sched-poll-deadline");

    /* A polled port already pending: the poll returns at once. */
    start(&s, 0, 0);
    notify(&s, 0);
    poll_at(&s, 0, 0, ports, 1, 1, 0, false);
    save("hypercall", &s, "sched-poll-pending");

    /* No deadline: the console backend's event ends the poll. */
    start(&s, 0, 0);
    poll_at(&s, 0, 0, ports, 1, 1, 0, false);
    notify(&s, 0);
    version(&s, 0);
    save("hypercall", &s, "sched-poll-backend");

    /* A deadline already passed; no ports at all. */
    start_at(&s, 0, MS(20));
    poll_at(&s, 0, 0, ports, 0, 0, -MS(1), true);
    save("hypercall", &s, "sched-poll-past");

    /* A masked port: no upcall, but the poller wakes (Xen's evtchn_check_pollers). */
    start(&s, 0, 0);
    const uint8_t mask1 = 1 << 1;
    shinfo(&s, 0, SI_PORT_MASK, &mask1, 1);
    poll_at(&s, 0, 0, ports, 1, 1, 0, false);
    notify(&s, 0);
    version(&s, 0);
    save("hypercall", &s, "sched-poll-masked");

    /* Idling until the next deadline: a poll's, a singleshot's, d2's periodic timer's. */
    start(&s, 0, 0);
    poll_at(&s, 0, 0, ports, 1, 1, MS(3), true);
    idle(&s);
    version(&s, 0);
    save("hypercall", &s, "idle-poll");

    start(&s, 0, 0);
    hc_now(&s, 1, __HYPERVISOR_set_timer_op, A64(MS(7)), A0);
    hc(&s, 1, __HYPERVISOR_sched_op, A8(SCHEDOP_block), A0, A0, A0);
    idle(&s);
    idle(&s); /* nothing armed any more: nothing happens */
    version(&s, 1);
    save("hypercall", &s, "idle-singleshot");

    start(&s, 0, 0);
    version(&s, 1);
    idle(&s); /* the periodic timer (10 ms) */
    idle(&s);
    version(&s, 1);
    save("hypercall", &s, "idle-periodic");

    /* A singleshot timer centuries ahead: the idle machine does not wait that long. */
    start(&s, 0, 0);
    struct vcpu_set_singleshot_timer far;
    memset(&far, 0, sizeof(far));
    far.timeout_abs_ns = 1ULL << 62;
    blob(&s, 1, 0, &far, sizeof(far));
    vcpu_op(&s, 1, VCPUOP_set_singleshot_timer, 0, AS(0));
    vcpu_op(&s, 1, VCPUOP_stop_periodic_timer, 0, A0);
    idle(&s);
    version(&s, 1);
    save("hypercall", &s, "idle-far");

    /* Errors: 129 ports, a port beyond the ones there are, unreadable ports and struct. */
    start(&s, 0, 0);
    const uint32_t beyond[1] = {64};
    poll_at(&s, 0, 0, ports, 1, 129, 0, false);
    poll_at(&s, 0, 0x100, beyond, 1, 1, 0, false);
    hc(&s, 0, __HYPERVISOR_sched_op, A8(SCHEDOP_poll), A64(0x500000), A0, A0);
    struct {
        uint64_t ports;
        uint32_t nr, pad;
        uint64_t timeout;
    } p = {0x500000, 2, 0, 0};
    blob(&s, 0, 0x200, &p, sizeof(p));
    hc(&s, 0, __HYPERVISOR_sched_op, A8(SCHEDOP_poll), AS(0x200), A0, A0);
    save("hypercall", &s, "sched-poll-errors");
}

static void seeds_evtchn_ops(void)
{
    struct seed s;

    /* EVTCHNOP_bind_virq: per-vCPU and global VIRQs, rebinding, bad VIRQs and vCPUs. */
    start(&s, 0, 0);
    const uint32_t d1v[][2] = {{VIRQ_TIMER, 0},   {VIRQ_TIMER, 0}, {VIRQ_TIMER, 1},
                               {VIRQ_CONSOLE, 0}, {NR_VIRQS, 0},   {VIRQ_CONSOLE, 1}};
    for (unsigned i = 0; i < 6; i++) {
        virq_blob(&s, 0, 0x20 * i, d1v[i][0], d1v[i][1]);
        evtchn(&s, 0, EVTCHNOP_bind_virq, 0x20 * i);
    }
    save("hypercall", &s, "evtchn-bind_virq-d1");

    start(&s, 0, 0);
    const uint32_t d2v[][2] = {
        {VIRQ_TIMER, 1}, {VIRQ_DEBUG, 1}, {VIRQ_TIMER, 0}, {VIRQ_XENPMU, 8}, {VIRQ_DOM_EXC, 0}};
    for (unsigned i = 0; i < 5; i++) {
        virq_blob(&s, 1, 0x20 * i, d2v[i][0], d2v[i][1]);
        evtchn(&s, 1, EVTCHNOP_bind_virq, 0x20 * i);
    }
    save("hypercall", &s, "evtchn-bind_virq-d2");

    /* EVTCHNOP_bind_ipi, then a send on it (pending; upcalls masked). */
    start(&s, 0, 0);
    const uint32_t ipi[2] = {0, 0}, ipi_bad[2] = {9, 0};
    blob(&s, 1, 0, ipi, sizeof(ipi));
    evtchn(&s, 1, EVTCHNOP_bind_ipi, 0); /* port 4 */
    blob(&s, 1, 0x10, ipi_bad, sizeof(ipi_bad));
    evtchn(&s, 1, EVTCHNOP_bind_ipi, 0x10); /* -ENOENT */
    port_blob(&s, 1, 0x20, 4);
    evtchn(&s, 1, EVTCHNOP_send, 0x20);
    save("hypercall", &s, "evtchn-bind_ipi-send");

    /* EVTCHNOP_send on each kind of port: backend, reserved, free, VIRQ, out of range. */
    start(&s, 0, 0);
    const uint32_t send_to[] = {1, 0, 20, 3, 64};
    for (unsigned i = 0; i < 5; i++) {
        port_blob(&s, 1, 0x10 * i, send_to[i]);
        evtchn(&s, 1, EVTCHNOP_send, 0x10 * i);
    }
    save("hypercall", &s, "evtchn-send-kinds");

    /* EVTCHNOP_close: the VIRQ (then bound again), a pending IPI (its bit cleared), bad ports. */
    start(&s, 0, 0);
    port_blob(&s, 1, 0, 3);
    evtchn(&s, 1, EVTCHNOP_close, 0);
    virq_blob(&s, 1, 0x10, VIRQ_TIMER, 0);
    evtchn(&s, 1, EVTCHNOP_bind_virq, 0x10); /* port 3 again */
    blob(&s, 1, 0x20, ipi, sizeof(ipi));
    evtchn(&s, 1, EVTCHNOP_bind_ipi, 0x20); /* port 4 */
    port_blob(&s, 1, 0x30, 4);
    evtchn(&s, 1, EVTCHNOP_send, 0x30);
    evtchn(&s, 1, EVTCHNOP_close, 0x30);
    const uint32_t close_bad[] = {0, 30, 64, 1};
    for (unsigned i = 0; i < 4; i++) {
        port_blob(&s, 1, 0x40 + 0x10 * i, close_bad[i]);
        evtchn(&s, 1, EVTCHNOP_close, 0x40 + 0x10 * i);
    }
    save("hypercall", &s, "evtchn-close");

    /* EVTCHNOP_unmask: a masked port that became pending raises the upcall when unmasked. */
    start(&s, 0, 0);
    blob(&s, 1, 0, ipi, sizeof(ipi));
    evtchn(&s, 1, EVTCHNOP_bind_ipi, 0); /* port 4 */
    const uint8_t mask4 = 1 << 4;
    shinfo(&s, 1, SI_PORT_MASK, &mask4, 1);
    port_blob(&s, 1, 0x10, 4);
    evtchn(&s, 1, EVTCHNOP_send, 0x10);   /* pending, masked: no upcall */
    evtchn(&s, 1, EVTCHNOP_unmask, 0x10); /* now the upcall */
    evtchn(&s, 1, EVTCHNOP_unmask, 0x10); /* not masked: nothing */
    port_blob(&s, 1, 0x20, 64);
    evtchn(&s, 1, EVTCHNOP_unmask, 0x20); /* -EINVAL */
    save("hypercall", &s, "evtchn-unmask");

    /* EVTCHNOP_status of each kind of port, of another domain, of none. */
    start(&s, 0, 0);
    const struct {
        uint16_t dom;
        uint32_t port;
    } st[] = {{DOMID_SELF, 0},  {DOMID_SELF, 1}, {DOMID_SELF, 3}, {DOMID_SELF, 4},
              {DOMID_SELF, 64}, {1, 1},          {9, 1},          {2, 3}};
    for (unsigned i = 0; i < 8; i++) {
        struct evtchn_status es;
        memset(&es, 0, sizeof(es));
        es.dom = st[i].dom;
        es.port = st[i].port;
        blob(&s, 1, 0x20 * i, &es, sizeof(es));
        evtchn(&s, 1, EVTCHNOP_status, 0x20 * i);
    }
    save("hypercall", &s, "evtchn-status");

    /* The legacy event_channel_op_compat (16): struct evtchn_op. */
    start(&s, 0, 0);
    struct evtchn_op eo;
    memset(&eo, 0, sizeof(eo));
    eo.cmd = EVTCHNOP_status;
    eo.u.status.dom = DOMID_SELF;
    eo.u.status.port = 1;
    blob(&s, 1, 0, &eo, sizeof(eo));
    hc(&s, 1, __HYPERVISOR_event_channel_op_compat, AS(0), A0, A0, A0);
    memset(&eo, 0, sizeof(eo));
    eo.cmd = EVTCHNOP_bind_ipi;
    blob(&s, 1, 0x40, &eo, sizeof(eo));
    hc(&s, 1, __HYPERVISOR_event_channel_op_compat, AS(0x40), A0, A0, A0);
    hc(&s, 1, __HYPERVISOR_event_channel_op_compat, A64(0x500000), A0, A0, A0);
    save("hypercall", &s, "evtchn-compat");
}

static void seeds_upcalls(void)
{
    struct seed s;
    const uint32_t ipi[2] = {0, 0};

    /* d2 unmasks upcalls and sends itself an IPI: the upcall is delivered on the way back,
     * and its handler returns with iret (upcalls unmasked again by the frame's IF). */
    start(&s, 0, 0);
    unmask_upcalls(&s, 1);
    blob(&s, 1, 0, ipi, sizeof(ipi));
    evtchn(&s, 1, EVTCHNOP_bind_ipi, 0);
    port_blob(&s, 1, 0x10, 4);
    evtchn(&s, 1, EVTCHNOP_send, 0x10);
    const uint8_t zero[16] = {0};
    shinfo(&s, 1, 0, zero, 1);    /* the handler: clear upcall_pending, */
    shinfo(&s, 1, 8, zero, 8);    /* the selector */
    shinfo(&s, 1, 2048, zero, 8); /* and the ports it handled */
    struct iret_context c = {.rip = 0x100040,
                             .cs = FLAT_KERNEL_CS64 & ~3ULL,
                             .rflags = 0x202,
                             .rsp = SCRATCH + 0x7000,
                             .ss = FLAT_KERNEL_SS64};
    blob(&s, 1, 0x300, &c, sizeof(c));
    setreg(&s, 1, 7, AS(0x300));
    hc(&s, 1, __HYPERVISOR_iret, A0, A0, A0, A0);
    save("hypercall", &s, "upcall-ipi-iret");

    /* d2's periodic timer while it is on the CPU, upcalls unmasked: delivered before its
     * next step. */
    start(&s, 0, 0);
    unmask_upcalls(&s, 1);
    version(&s, 1);
    passes(&s, MS(15));
    version(&s, 1);
    save("hypercall", &s, "upcall-periodic");

    /* d1 unmasks with no event callback: the console's event crashes it. */
    start(&s, 0, 0);
    unmask_upcalls(&s, 0);
    notify(&s, 0);
    version(&s, 0);
    save("hypercall", &s, "upcall-no-callback");

    /* Context switches: d2's periodic timer stops while d1 runs and catches up after. */
    start(&s, 0, 0);
    version(&s, 1);
    passes(&s, MS(15));
    version(&s, 0);
    passes(&s, MS(25));
    version(&s, 1);
    save("hypercall", &s, "switch-periodic");

    /* The toolstack injects events: the console port, d2's timer port, a free one. */
    start(&s, 0, 0);
    inject(&s, 0, 1);
    inject(&s, 1, 3);
    inject(&s, 1, 9);
    inject(&s, 1, 0);
    version(&s, 1);
    save("hypercall", &s, "toolstack-inject");

    /* Xen's epoch: the record of the vCPU on the CPU is refreshed every second. */
    start(&s, 0, 0);
    version(&s, 0);
    passes(&s, MS(1500));
    version(&s, 0);
    passes(&s, MS(1000));
    save("hypercall", &s, "time-epoch");

    /* The time-record policies (header bits 4-7): periodic every 1 ms, at each timer event,
     * frozen. */
    for (unsigned policy = 1; policy < 4; policy++) {
        start(&s, (uint8_t)(policy << 4), 0);
        version(&s, 1);
        hc_now(&s, 1, __HYPERVISOR_set_timer_op, A64(MS(1)), A0);
        passes(&s, MS(3));
        version(&s, 0);
        passes(&s, MS(2));
        save("hypercall", &s, "time-policy-%u", policy);
    }
}

void seeds_hypercall(void)
{
    seeds_unmodelled();
    seeds_basic();
    seeds_mm();
    seeds_sched_evtchn();
    seeds_traps();
    seeds_timers();
    seeds_waiting();
    seeds_evtchn_ops();
    seeds_upcalls();
    seeds_devices();
}
