/* The hand-made seeds of fuzz/corpus/hypercall, in the input format of fuzz_hypercall.c. */
#include "mkseeds.h"

#include <string.h>

#include "public/xen.h"

/*
 * These seeds rely on where the builder puts things in the two domains of
 * fuzz/hc_machine.c (both: kernel image at PFN 0x100, then p2m, start_info
 * 0x105, xenstore 0x106, console ring 0x107, page tables from 0x108: L4
 * 0x108, L3 0x109, L2 0x10a, the L1 for 0-2 MiB 0x10b). If the builder
 * changes, the seeds are still valid inputs, only less to the point.
 */

#define SCRATCH 0x80000ULL
#define PFN_L1 0x10b
#define PFN_CONSOLE 0x107
#define P 1ULL
#define RW 2ULL
#define US 4ULL

enum {
    S_HC,
    S_BLOB,
    S_RELOC,
    S_SETREG,
    S_EXC,
    S_PF,
    S_CPUID,
    S_BACKEND,
    S_RING,
    S_TIME,
    S_SHINFO,
    S_MULTI
};
enum { K0, K8, K64, KS, KP, KM, KSELF, K32 }; /* argument kinds, see get_arg() */

struct arg {
    unsigned kind;
    uint64_t v;
};
#define A0 ((struct arg){K0, 0})
#define A8(x) ((struct arg){K8, (x)})
#define A64(x) ((struct arg){K64, (x)})
#define A32(x) ((struct arg){K32, (x)})
#define AS(off) ((struct arg){KS, (off)}) /* scratch + off */
#define AP(pa) ((struct arg){KP, (pa)})   /* guest-physical address or PTE -> machine */
#define AM(pfn) ((struct arg){KM, (pfn)}) /* PFN -> MFN */
#define ASELF ((struct arg){KSELF, 0})

static void put_arg_value(struct seed *s, struct arg a)
{
    static const unsigned size[] = {0, 1, 8, 2, 8, 2, 0, 4};
    put(s, a.v, size[a.kind]);
}

static void start(struct seed *s, uint8_t flags, uint8_t con)
{
    s->n = 0;
    put(s, flags, 1);
    put(s, con, 1);
    put(s, 0, 2);
}

static void op(struct seed *s, int dom, unsigned kind)
{
    put(s, (unsigned)(dom << 4) | kind, 1);
}

static void args5(struct seed *s, const struct arg a[5])
{
    unsigned kinds = 0;
    for (int i = 0; i < 5; i++)
        kinds |= a[i].kind << (3 * i);
    put(s, kinds, 2);
    for (int i = 0; i < 5; i++)
        put_arg_value(s, a[i]);
}

static void hc(struct seed *s, int dom, unsigned nr, struct arg a0, struct arg a1, struct arg a2,
               struct arg a3)
{
    const struct arg a[5] = {a0, a1, a2, a3, A0};
    op(s, dom, S_HC);
    put(s, nr, 1);
    args5(s, a);
}

static void blob_at(struct seed *s, int dom, struct arg va, const void *p, size_t len)
{
    op(s, dom, S_BLOB);
    put(s, va.kind, 1);
    put_arg_value(s, va);
    put(s, len, 2);
    memcpy(s->b + s->n, p, len);
    s->n += len;
}

static void blob(struct seed *s, int dom, uint64_t off, const void *p, size_t len)
{
    blob_at(s, dom, AS(off), p, len);
}

/* how: 0 PFN -> MFN, 1 PFN in bits 12..51 -> MFN, 2 scratch offset -> VA, 3 the other's PFN. */
static void reloc(struct seed *s, int dom, uint64_t off, unsigned how)
{
    op(s, dom, S_RELOC);
    put(s, KS, 1);
    put(s, off, 2);
    put(s, how, 1);
}

static void reloc_at(struct seed *s, int dom, struct arg va, unsigned how)
{
    op(s, dom, S_RELOC);
    put(s, va.kind, 1);
    put_arg_value(s, va);
    put(s, how, 1);
}

static void setreg(struct seed *s, int dom, unsigned reg, struct arg a)
{
    op(s, dom, S_SETREG);
    put(s, reg, 1);
    put(s, a.kind, 1);
    put_arg_value(s, a);
}

/*
 * Structures with padding are filled field by field over zeroed memory, so
 * the seeds are the same bytes on every run.
 */
static void ext(struct mmuext_op *o, unsigned cmd, uint64_t arg1, uint64_t arg2)
{
    memset(o, 0, sizeof(*o));
    o->cmd = cmd;
    o->arg1.mfn = arg1;
    o->arg2.src_mfn = arg2;
}

static void trap(struct trap_info *t, uint8_t vector, uint8_t flags, uint64_t address)
{
    memset(t, 0, sizeof(*t));
    t->vector = vector;
    t->flags = flags;
    t->cs = address ? FLAT_KERNEL_CS64 : 0;
    t->address = address;
}

/* The L1 entry mapping va (below 2 MiB), as a guest-physical address. */
static uint64_t l1e(uint64_t va)
{
    return ((uint64_t)PFN_L1 << 12) + (va >> 12) * 8;
}

/* Remap the page at va read-only (same frame), so it can become a table or GDT. */
static void make_ro(struct seed *s, int dom, uint64_t va)
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

void seeds_hypercall(void)
{
    seeds_unmodelled();
    seeds_basic();
    seeds_mm();
    seeds_sched_evtchn();
    seeds_traps();
}
