/* Unit tests for the hypercall layer (hv/common/hypercall.c, hc_*.c, sched_op.c, evtchn.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hv/entry.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/mm.h"
#include "hv/time.h"
#include "public/xen.h"
#include "fake_arch.h"
#include "test_domain.h"

/*
 * Every test runs on a fresh machine with one built 16 MiB domain. Argument
 * structures go to guest memory at S (TD_SCRATCH_VA, free RW pages) through
 * copy_to_guest, exactly where a guest would put them.
 */
static struct domain *d;
static struct vcpu *v;

#define S TD_SCRATCH_VA
#define NONCANON 0x0000800000000000ULL
#define HOLE 0xFFFF800000001000ULL
#define P _PAGE_PRESENT
#define RW _PAGE_RW
#define US _PAGE_USER

static int setup(void **state)
{
    d = td_setup();
    v = &d->vcpus[0];
    return 0;
}

static long hc(unsigned long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return td_hc(v, nr, a0, a1, a2, a3, 0);
}

static void put(uint64_t va, const void *src, size_t n)
{
    td_put(v, va, src, n);
}
static void get(void *dst, uint64_t va, size_t n)
{
    td_get(v, dst, va, n);
}

static struct start_info *si(void)
{
    return td_ptr(v, d->start_info_va);
}
/* A VA whose frame is a bootstrap page table (mapped read-only). */
static uint64_t pt_va(void)
{
    return si()->pt_base;
}

/* Machine address of the L1 entry mapping va (found by walking the tables by hand). */
static uint64_t l1e_maddr(uint64_t va)
{
    uint64_t *e = td_l1e(v, va);
    assert_non_null(e);
    return (uint64_t)((uint8_t *)e - fake.ram);
}

/* Remap the page at va read-only (same frame), through the hypercall. */
static uint64_t make_read_only(uint64_t va)
{
    uint64_t mfn = td_mfn(v, va);
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, va, (mfn << 12) | P | US, 0, 0), 0);
    return mfn;
}

static struct page_info *pg(uint64_t mfn)
{
    return mfn_to_page(_mfn(mfn));
}

/* ------------------------------------------------------------------------- */
/* Dispatch                                                                  */

static void test_unknown_and_unmodelled_hypercalls_enosys(void **state)
{
    const unsigned long nrs[] = {11, 7, 12, 33, 48, 63, 64, 1000, ~0UL};
    for (unsigned int i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
        assert_int_equal(hc(nrs[i], 0, 0, 0, 0), -XEN_ENOSYS);
    td_assert_invariants();
}

static void test_syscall_entry_dispatches_from_registers(void **state)
{
    v->regs.rax = __HYPERVISOR_xen_version;
    v->regs.rdi = XENVER_version;
    unsigned int traces = fake.nr_trace;
    hv_entry_syscall(v);
    assert_int_equal(v->regs.rax, 0x40013);
    assert_int_equal(v->nr_hypercalls, 1);
    assert_true(fake.nr_trace > traces);
    assert_int_equal(fake.last_trace.kind, TR_HYPERCALL);
    assert_int_equal(fake.last_trace.nr, __HYPERVISOR_xen_version);
    assert_int_equal(fake.last_trace.result, 0x40013);

    /* Arguments come from rdi, rsi, rdx, r10, r8. */
    put(S, "ab\n", 3);
    v->regs.rax = __HYPERVISOR_console_io;
    v->regs.rdi = CONSOLEIO_write;
    v->regs.rsi = 3;
    v->regs.rdx = S;
    hv_entry_syscall(v);
    assert_int_equal(v->regs.rax, 0);
    assert_string_equal(fake.console, "ab\n");
    td_assert_invariants();
}

/* ------------------------------------------------------------------------- */
/* console_io                                                                */

static void test_console_io_write(void **state)
{
    put(S, "hello\n", 6);
    assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 6, S, 0), 0);
    assert_string_equal(fake.console, "hello\n");

    /* Only printable characters (and newlines) of a domU reach the console. */
    put(S, "a\001b\177c\033\n", 7);
    assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 7, S, 0), 0);
    assert_string_equal(fake.console, "hello\nabc\n");

    /* Long writes across chunks and a page boundary arrive whole. */
    char big[300];
    for (unsigned int i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    put(S + 4096 - 100, big, sizeof(big));
    fake.console_len = 0;
    assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 300, S + 4096 - 100, 0), 0);
    assert_int_equal(fake.console_len, 300);
    assert_memory_equal(fake.console, big, 300);

    /* Zero bytes: nothing. */
    fake.console_len = 0;
    assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 0, S, 0), 0);
    assert_int_equal(fake.console_len, 0);
    td_assert_invariants();
}

static void test_console_io_read_bad_cmd_bad_pointer(void **state)
{
    /* No input pending on the fake machine: 0 characters. */
    assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_read, 16, S, 0), 0);
    assert_int_equal(hc(__HYPERVISOR_console_io, 2, 16, S, 0), -XEN_ENOSYS);
    assert_int_equal(hc(__HYPERVISOR_console_io, 99, 0, 0, 0), -XEN_ENOSYS);
    assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 8, TD_UNMAPPED_VA, 0),
                     -XEN_EFAULT);
    assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 8, HOLE, 0), -XEN_EFAULT);
    assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 8, NONCANON, 0), -XEN_EFAULT);
    assert_int_equal(fake.console_len, 0);
    td_assert_invariants();
}

/* ------------------------------------------------------------------------- */
/* xen_version                                                               */

static void test_xen_version_every_subop(void **state)
{
    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0), 0x40013);

    char buf[1024];
    memset(buf, 0x55, sizeof(buf));
    put(S, buf, sizeof(buf));
    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, S, 0, 0), 0);
    get(buf, S, 17);
    assert_string_equal(buf, ".0-hvsim");
    assert_int_equal((uint8_t)buf[16], 0x55); /* exactly 16 bytes written */

    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_compile_info, S, 0, 0), 0);
    get(buf, S, 144);
    assert_string_equal(buf, "hvsim");                            /* compiler */
    assert_string_equal(buf + 64, "hvsim");                       /* compile_by */
    assert_string_equal(buf + 80, "hvsim");                       /* compile_domain */
    assert_true(strlen(buf + 112) > 0 && strlen(buf + 112) < 32); /* compile_date */

    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_capabilities, S, 0, 0), 0);
    get(buf, S, 1024);
    assert_string_equal(buf, "xen-3.0-x86_64 xen-3.0-x86_32p");
    for (unsigned int i = strlen(buf); i < 1024; i++)
        assert_int_equal(buf[i], 0);

    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_changeset, S, 0, 0), 0);
    get(buf, S, 64);
    assert_true(strlen(buf) > 0 && strlen(buf) < 64);

    uint64_t vs = 0;
    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_platform_parameters, S, 0, 0), 0);
    get(&vs, S, 8);
    assert_int_equal(vs, 0xFFFF800000000000ULL);

    struct xen_feature_info fi = {.submap_idx = 0, .submap = 0xffffffff};
    put(S, &fi, sizeof(fi));
    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_get_features, S, 0, 0), 0);
    get(&fi, S, sizeof(fi));
    assert_int_equal(fi.submap_idx, 0);
    assert_true(fi.submap & (1u << XENFEAT_mmu_pt_update_preserve_ad));
    assert_false(fi.submap & (1u << XENFEAT_writable_page_tables));
    assert_false(fi.submap & (1u << XENFEAT_auto_translated_physmap));
    fi.submap_idx = 1;
    fi.submap = 0x1234;
    put(S, &fi, sizeof(fi));
    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_get_features, S, 0, 0), -XEN_EINVAL);
    get(&fi, S, sizeof(fi));
    assert_int_equal(fi.submap, 0x1234); /* untouched */

    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_pagesize, 0, 0, 0), 4096);

    memset(buf, 0x55, 16);
    put(S, buf, 16);
    assert_int_equal(hc(__HYPERVISOR_xen_version, 8 /* guest_handle */, S, 0, 0), 0);
    get(buf, S, 16);
    for (unsigned int i = 0; i < 16; i++)
        assert_int_equal(buf[i], 0);

    assert_int_equal(hc(__HYPERVISOR_xen_version, 99, S, 0, 0), -XEN_ENOSYS);
    td_assert_invariants();
}

static void test_xen_version_bad_pointer_efault(void **state)
{
    const unsigned int ops[] = {XENVER_extraversion,
                                XENVER_compile_info,
                                XENVER_capabilities,
                                XENVER_changeset,
                                XENVER_platform_parameters,
                                XENVER_get_features,
                                8,
                                9};
    for (unsigned int i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        assert_int_equal(hc(__HYPERVISOR_xen_version, ops[i], TD_UNMAPPED_VA, 0, 0), -XEN_EFAULT);
        assert_int_equal(hc(__HYPERVISOR_xen_version, ops[i], HOLE, 0, 0), -XEN_EFAULT);
    }
    /* A read-only page cannot take the answer. */
    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_platform_parameters, pt_va(), 0, 0),
                     -XEN_EFAULT);
    /* Sub-ops without an argument do not care. */
    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_version, HOLE, 0, 0), 0x40013);
    assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_pagesize, HOLE, 0, 0), 4096);
}

static void test_xen_version_commandline_denied(void **state)
{
    char buf[16];
    memset(buf, 0x55, sizeof(buf));
    put(S, buf, sizeof(buf));
    assert_int_equal(hc(__HYPERVISOR_xen_version, 9, S, 0, 0), 0);
    get(buf, S, sizeof(buf));
    assert_string_equal(buf, "<denied>");
}

/* ------------------------------------------------------------------------- */
/* sched_op                                                                  */

struct poll_args {
    uint64_t ports;
    uint32_t nr_ports;
    uint32_t pad;
    uint64_t timeout;
};

static long sched_poll_hc(uint64_t ports_va, uint32_t nr, uint64_t timeout)
{
    struct poll_args p = {.ports = ports_va, .nr_ports = nr, .timeout = timeout};
    put(S + 0x800, &p, sizeof(p));
    return hc(__HYPERVISOR_sched_op, SCHEDOP_poll, S + 0x800, 0, 0);
}

static void test_sched_yield(void **state)
{
    unsigned int before = fake.nr_deschedule;
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0), 0);
    assert_int_equal(fake.nr_deschedule, before + 1);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_true(vcpu_runnable(v));
    assert_int_equal(hc(__HYPERVISOR_sched_op_compat, SCHEDOP_yield, 0, 0, 0), 0);
    assert_int_equal(fake.nr_deschedule, before + 2);
    td_assert_invariants();
}

static void test_sched_shutdown_records_reason(void **state)
{
    struct sched_shutdown s = {.reason = SHUTDOWN_reboot};
    put(S, &s, sizeof(s));
    unsigned int before = fake.nr_deschedule;
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, S, 0, 0), 0);
    assert_true(d->is_shutting_down);
    assert_false(d->is_crashed);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_reboot);
    assert_int_equal(v->state, VCPU_DOWN);
    assert_false(vcpu_runnable(v));
    assert_true(fake.nr_deschedule > before);
    assert_int_equal(fake.last_trace.kind, TR_SHUTDOWN);
    assert_int_equal(fake.last_trace.nr, SHUTDOWN_reboot);
    /* A second shutdown changes nothing. */
    s.reason = SHUTDOWN_poweroff;
    put(S, &s, sizeof(s));
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, S, 0, 0), 0);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_reboot);
    td_assert_invariants();
}

static void test_sched_shutdown_bad_reason_and_pointer(void **state)
{
    struct sched_shutdown s = {.reason = 99};
    put(S, &s, sizeof(s));
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, S, 0, 0), -XEN_EINVAL);
    assert_false(d->is_shutting_down);
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, TD_UNMAPPED_VA, 0, 0),
                     -XEN_EFAULT);
    assert_false(d->is_shutting_down);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    td_assert_invariants();
}

static void test_sched_compat_shutdown_takes_value(void **state)
{
    assert_int_equal(hc(__HYPERVISOR_sched_op_compat, SCHEDOP_shutdown, SHUTDOWN_poweroff, 0, 0),
                     0);
    assert_true(d->is_shutting_down);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_poweroff);
}

static void test_sched_shutdown_code_latches(void **state)
{
    struct sched_shutdown s = {.reason = SHUTDOWN_crash};
    put(S, &s, sizeof(s));
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown_code, S, 0, 0), 0);
    assert_int_equal(d->shutdown_code, SHUTDOWN_crash);
    assert_false(d->is_shutting_down); /* only latched */
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown_code, TD_UNMAPPED_VA, 0, 0),
                     -XEN_EFAULT);
}

static void test_sched_shutdown_code_first_wins_and_is_the_reason(void **state)
{
    struct sched_shutdown s = {.reason = SHUTDOWN_crash};
    put(S, &s, sizeof(s));
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown_code, S, 0, 0), 0);
    s.reason = SHUTDOWN_reboot;
    put(S, &s, sizeof(s));
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown_code, S, 0, 0), 0);
    assert_int_equal(d->shutdown_code, SHUTDOWN_crash); /* the first one stays */
    s.reason = SHUTDOWN_poweroff;
    put(S, &s, sizeof(s));
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, S, 0, 0), 0);
    assert_true(d->is_shutting_down);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_crash); /* reason = d->shutdown_code */
}

static void test_sched_poll_arguments(void **state)
{
    evtchn_port_t ports[130];
    for (unsigned int i = 0; i < 130; i++)
        ports[i] = 1 + i % 3;
    put(S, ports, sizeof(ports));
    assert_int_equal(sched_poll_hc(S, 129, 0), -XEN_EINVAL);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, TD_UNMAPPED_VA, 0, 0), -XEN_EFAULT);
    assert_int_equal(sched_poll_hc(TD_UNMAPPED_VA, 2, 0), -XEN_EFAULT);
    ports[0] = HV_NR_EVTCHN + 5;
    put(S, ports, sizeof(ports));
    assert_int_equal(sched_poll_hc(S, 1, 0), -XEN_EINVAL);
    assert_int_equal(v->state, VCPU_RUNNABLE);
}

static void test_sched_poll_pending_port_returns_at_once(void **state)
{
    evtchn_port_t ports[2] = {d->store_port, d->console_port};
    put(S, ports, sizeof(ports));
    evtchn_backend_send(d, d->console_port);
    unsigned int before = fake.nr_deschedule;
    assert_int_equal(sched_poll_hc(S, 2, 0), 0);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(fake.nr_deschedule, before);
}

static void test_sched_poll_blocks_until_port_or_deadline(void **state)
{
    evtchn_port_t port = d->console_port;
    put(S, &port, sizeof(port));
    unsigned int before = fake.nr_deschedule;
    assert_int_equal(sched_poll_hc(S, 1, 0), 0);
    assert_int_equal(v->state, VCPU_POLLING);
    assert_int_equal(fake.nr_deschedule, before + 1);
    assert_int_equal(sched_next_deadline(), 0);
    /* Another (masked) port does not wake it; its own does. */
    d->shared_info->evtchn_mask[0] |= 1UL << d->store_port;
    evtchn_backend_send(d, d->store_port);
    assert_int_equal(v->state, VCPU_POLLING);
    unsigned int kicks = fake.nr_kick;
    evtchn_backend_send(d, d->console_port);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(fake.nr_kick, kicks + 1);

    /* A deadline: sched_run_timers wakes it once time has passed. */
    uint64_t now = time_now_ns();
    evtchn_port_t other = 7;
    put(S, &other, sizeof(other));
    assert_int_equal(sched_poll_hc(S, 1, now + 1000000), 0);
    assert_int_equal(v->state, VCPU_POLLING);
    assert_int_equal(sched_next_deadline(), now + 1000000);
    sched_run_timers();
    assert_int_equal(v->state, VCPU_POLLING);
    fake.tsc += 3000000 * 2; /* 2 ms at 3 GHz */
    sched_run_timers();
    assert_int_equal(v->state, VCPU_RUNNABLE);

    /* A deadline already in the past returns at once. */
    assert_int_equal(sched_poll_hc(S, 1, 1), 0);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    td_assert_invariants();
}

static void test_sched_block(void **state)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    assert_int_equal(vi->evtchn_upcall_mask, 1);
    vi->evtchn_upcall_pending = 1;
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0), 0);
    assert_int_equal(vi->evtchn_upcall_mask, 0); /* events enabled */
    assert_int_equal(v->state, VCPU_RUNNABLE);   /* something pending: no sleep */

    vi->evtchn_upcall_pending = 0;
    vi->evtchn_pending_sel = 0;
    d->shared_info->evtchn_pending[0] = 0;
    vi->evtchn_upcall_mask = 1;
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0), 0);
    assert_int_equal(vi->evtchn_upcall_mask, 0);
    assert_int_equal(v->state, VCPU_BLOCKED);
    evtchn_backend_send(d, d->console_port);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    td_assert_invariants();
}

static void test_sched_unknown_enosys(void **state)
{
    assert_int_equal(hc(__HYPERVISOR_sched_op, 99, 0, 0, 0), -XEN_ENOSYS);
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_watchdog, 0, 0, 0), -XEN_ENOSYS);
    assert_int_equal(hc(__HYPERVISOR_sched_op_compat, 99, 0, 0, 0), -XEN_ENOSYS);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_false(d->is_shutting_down);
}

/* ------------------------------------------------------------------------- */
/* set_trap_table, callbacks, stack_switch, segment bases, vm_assist         */

static void test_set_trap_table(void **state)
{
    struct trap_info t[4] = {
        {.vector = 14, .flags = 4, .cs = 0xe033, .address = 0x100100},
        {.vector = 13, .flags = 0, .cs = 0xe033, .address = 0x100200},
        {.vector = 0x80, .flags = 3, .cs = 0xe033, .address = 0x100300},
        {.vector = 6, .flags = 0, .cs = 0, .address = 0}, /* sentinel */
    };
    put(S, t, sizeof(t));
    struct trap_info after = {.vector = 1, .address = 0x100400}; /* beyond the sentinel */
    put(S + sizeof(t), &after, sizeof(after));
    assert_int_equal(hc(__HYPERVISOR_set_trap_table, S, 0, 0, 0), 0);
    assert_int_equal(v->trap_ctxt[14].address, 0x100100);
    assert_int_equal(v->trap_ctxt[14].flags, 4);
    assert_int_equal(v->trap_ctxt[14].cs, 0xe033);
    assert_int_equal(v->trap_ctxt[13].address, 0x100200);
    assert_int_equal(v->trap_ctxt[0x80].address, 0x100300);
    assert_int_equal(v->trap_ctxt[0x80].flags, 3);
    assert_int_equal(v->trap_ctxt[6].address, 0);
    assert_int_equal(v->trap_ctxt[1].address, 0);

    /* A later call only changes the vectors it names. */
    struct trap_info t2[2] = {{.vector = 6, .address = 0x100500}, {.address = 0}};
    put(S, t2, sizeof(t2));
    assert_int_equal(hc(__HYPERVISOR_set_trap_table, S, 0, 0, 0), 0);
    assert_int_equal(v->trap_ctxt[6].address, 0x100500);
    assert_int_equal(v->trap_ctxt[14].address, 0x100100);

    /* NULL clears the whole table. */
    assert_int_equal(hc(__HYPERVISOR_set_trap_table, 0, 0, 0, 0), 0);
    for (unsigned int i = 0; i < 256; i++)
        assert_int_equal(v->trap_ctxt[i].address, 0);

    /* Unreadable list. */
    assert_int_equal(hc(__HYPERVISOR_set_trap_table, TD_UNMAPPED_VA, 0, 0, 0), -XEN_EFAULT);
    assert_int_equal(hc(__HYPERVISOR_set_trap_table, HOLE, 0, 0, 0), -XEN_EFAULT);
    /* A list that runs into an unmapped page without a sentinel. */
    struct trap_info last = {.vector = 3, .address = 0x100600};
    put(0x3ffff0, &last, sizeof(last));
    assert_int_equal(hc(__HYPERVISOR_set_trap_table, 0x3ffff0, 0, 0, 0), -XEN_EFAULT);
    td_assert_invariants();
}

static void test_set_trap_table_non_canonical_einval(void **state)
{
    struct trap_info t[2] = {{.vector = 3, .address = NONCANON}, {.address = 0}};
    put(S, t, sizeof(t));
    assert_int_equal(hc(__HYPERVISOR_set_trap_table, S, 0, 0, 0), -XEN_EINVAL);
    assert_int_equal(v->trap_ctxt[3].address, 0);
}

static long cb_register(uint16_t type, uint16_t flags, uint64_t address)
{
    struct callback_register r = {.type = type, .flags = flags, .address = address};
    put(S, &r, sizeof(r));
    return hc(__HYPERVISOR_callback_op, CALLBACKOP_register, S, 0, 0);
}

static long cb_unregister(uint16_t type)
{
    struct callback_unregister u = {.type = type};
    put(S, &u, sizeof(u));
    return hc(__HYPERVISOR_callback_op, CALLBACKOP_unregister, S, 0, 0);
}

static void test_callback_op_register_unregister(void **state)
{
    assert_int_equal(cb_register(CALLBACKTYPE_event, 0, 0x101100), 0);
    assert_int_equal(v->event_callback, 0x101100);
    assert_int_equal(cb_register(CALLBACKTYPE_failsafe, 0, 0x101200), 0);
    assert_int_equal(v->failsafe_callback, 0x101200);
    assert_int_equal(cb_register(CALLBACKTYPE_syscall, CALLBACKF_mask_events, 0x101300), 0);
    assert_int_equal(v->syscall_callback, 0x101300);
    assert_true(v->syscall_mask_events);
    assert_int_equal(cb_register(CALLBACKTYPE_syscall, 0, 0x101400), 0);
    assert_int_equal(v->syscall_callback, 0x101400);
    assert_false(v->syscall_mask_events);
    assert_int_equal(cb_register(CALLBACKTYPE_syscall32, CALLBACKF_mask_events, 0x101500), 0);
    assert_int_equal(cb_register(CALLBACKTYPE_sysenter, CALLBACKF_mask_events, 0x101600), 0);
    assert_int_equal(cb_register(CALLBACKTYPE_nmi, 0, 0x101700), 0);

    /* Only the NMI callback can be unregistered. */
    assert_int_equal(cb_unregister(CALLBACKTYPE_event), -XEN_EINVAL);
    assert_int_equal(cb_unregister(CALLBACKTYPE_failsafe), -XEN_EINVAL);
    assert_int_equal(cb_unregister(CALLBACKTYPE_syscall), -XEN_EINVAL);
    assert_int_equal(cb_unregister(CALLBACKTYPE_syscall32), -XEN_EINVAL);
    assert_int_equal(cb_unregister(CALLBACKTYPE_sysenter), -XEN_EINVAL);
    assert_int_equal(v->event_callback, 0x101100);
    assert_int_equal(cb_unregister(CALLBACKTYPE_nmi), 0);

    assert_int_equal(hc(__HYPERVISOR_callback_op, CALLBACKOP_register, TD_UNMAPPED_VA, 0, 0),
                     -XEN_EFAULT);
    assert_int_equal(hc(__HYPERVISOR_callback_op, CALLBACKOP_unregister, HOLE, 0, 0), -XEN_EFAULT);
    assert_int_equal(hc(__HYPERVISOR_callback_op, 7, S, 0, 0), -XEN_ENOSYS);
    td_assert_invariants();
}

static void test_callback_op_xen_error_codes(void **state)
{
    assert_int_equal(cb_register(CALLBACKTYPE_event, 0, NONCANON), -XEN_EINVAL);
    assert_int_equal(v->event_callback, 0);
    assert_int_equal(cb_register(CALLBACKTYPE_syscall, 0, 0xFFFF000000000000ULL), -XEN_EINVAL);
    assert_int_equal(cb_register(99, 0, 0x101100), -XEN_ENOSYS);
    assert_int_equal(cb_register(CALLBACKTYPE_sysenter_deprecated, 0, 0x101100), -XEN_ENOSYS);
    assert_int_equal(cb_unregister(99), -XEN_ENOSYS);
}

static void test_set_callbacks_and_stack_switch(void **state)
{
    v->syscall_mask_events = true;
    assert_int_equal(hc(__HYPERVISOR_set_callbacks, 0x102000, 0x102100, 0x102200, 0), 0);
    assert_int_equal(v->event_callback, 0x102000);
    assert_int_equal(v->failsafe_callback, 0x102100);
    assert_int_equal(v->syscall_callback, 0x102200);
    assert_false(v->syscall_mask_events);
    assert_int_equal(hc(__HYPERVISOR_stack_switch, 0xe02b, TD_STACK_TOP, 0, 0), 0);
    assert_int_equal(v->kernel_ss, 0xe02b);
    assert_int_equal(v->kernel_sp, TD_STACK_TOP);
    td_assert_invariants();
}

static void test_set_segment_base_canonical_checks(void **state)
{
    unsigned int seg = fake.nr_seg_changed;
    assert_int_equal(hc(__HYPERVISOR_set_segment_base, SEGBASE_FS, 0x7fffffff0000ULL, 0, 0), 0);
    assert_int_equal(v->regs.fs_base, 0x7fffffff0000ULL);
    assert_int_equal(
        hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER, 0xffff880000001000ULL, 0, 0), 0);
    assert_int_equal(v->gs_base_user, 0xffff880000001000ULL);
    assert_int_equal(hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, 0x300000, 0, 0), 0);
    assert_int_equal(v->gs_base_kernel, 0x300000);
    assert_int_equal(v->regs.gs_base, 0x300000);
    assert_int_equal(fake.nr_seg_changed, seg + 3);

    const unsigned int which[] = {SEGBASE_FS, SEGBASE_GS_USER, SEGBASE_GS_KERNEL};
    for (unsigned int i = 0; i < 3; i++) {
        assert_int_equal(hc(__HYPERVISOR_set_segment_base, which[i], NONCANON, 0, 0), -XEN_EINVAL);
        assert_int_equal(hc(__HYPERVISOR_set_segment_base, which[i], 0xFFFF7FFFFFFFFFFFULL, 0, 0),
                         -XEN_EINVAL);
    }
    assert_int_equal(v->regs.fs_base, 0x7fffffff0000ULL);
    assert_int_equal(v->gs_base_user, 0xffff880000001000ULL);
    assert_int_equal(v->gs_base_kernel, 0x300000);

    assert_int_equal(hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER_SEL, 0, 0, 0), 0);
    assert_int_equal(v->gs_base_user, 0);
    assert_int_equal(hc(__HYPERVISOR_set_segment_base, 7, 0, 0, 0), -XEN_EINVAL);
    td_assert_invariants();
}

static void test_vm_assist(void **state)
{
    assert_int_equal(hc(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_m2p_strict, 0, 0),
                     0);
    assert_true(d->vm_assist & (1UL << VMASST_TYPE_m2p_strict));
    assert_int_equal(
        hc(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag, 0, 0), 0);
    assert_true(d->vm_assist & (1UL << VMASST_TYPE_runstate_update_flag));
    assert_int_equal(hc(__HYPERVISOR_vm_assist, VMASST_CMD_disable, VMASST_TYPE_m2p_strict, 0, 0),
                     0);
    assert_false(d->vm_assist & (1UL << VMASST_TYPE_m2p_strict));
    assert_true(d->vm_assist & (1UL << VMASST_TYPE_runstate_update_flag));
    /* Unknown types. */
    assert_int_equal(hc(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 6, 0, 0), -XEN_EINVAL);
    assert_int_equal(hc(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 64, 0, 0), -XEN_EINVAL);
    assert_int_equal(hc(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 1000, 0, 0), -XEN_EINVAL);
    /* A valid type with an unknown command. */
    assert_int_equal(hc(__HYPERVISOR_vm_assist, 2, VMASST_TYPE_m2p_strict, 0, 0), -XEN_ENOSYS);
    assert_int_equal(d->vm_assist, 1UL << VMASST_TYPE_runstate_update_flag);
    td_assert_invariants();
}

static void test_vm_assist_xen_valid_mask(void **state)
{
    assert_int_equal(hc(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_4gb_segments, 0, 0),
                     0);
    assert_int_equal(
        hc(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_4gb_segments_notify, 0, 0), 0);
    assert_int_equal(
        hc(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_pae_extended_cr3, 0, 0), 0);
    assert_int_equal(hc(__HYPERVISOR_vm_assist, 2, 99, 0, 0), -XEN_EINVAL);
}

/* ------------------------------------------------------------------------- */
/* multicall                                                                 */

static void test_multicall_results_in_entries(void **state)
{
    struct multicall_entry e[5];
    memset(e, 0, sizeof(e));
    put(S + 0x800, "mc\n", 3);
    struct xen_feature_info fi = {.submap_idx = 1};
    put(S + 0x900, &fi, sizeof(fi));
    e[0].op = __HYPERVISOR_xen_version;
    e[0].args[0] = XENVER_version;
    e[1].op = __HYPERVISOR_console_io;
    e[1].args[0] = CONSOLEIO_write;
    e[1].args[1] = 3;
    e[1].args[2] = S + 0x800;
    e[2].op = __HYPERVISOR_xen_version;
    e[2].args[0] = XENVER_get_features;
    e[2].args[1] = S + 0x900;
    e[3].op = 60;
    e[4].op = __HYPERVISOR_xen_version;
    e[4].args[0] = XENVER_pagesize;
    for (unsigned int i = 0; i < 5; i++)
        e[i].result = 0xdeadbeef;
    put(S, e, sizeof(e));
    assert_int_equal(hc(__HYPERVISOR_multicall, S, 5, 0, 0), 0);
    get(e, S, sizeof(e));
    assert_int_equal(e[0].result, 0x40013);
    assert_int_equal(e[1].result, 0);
    assert_int_equal((long)e[2].result, -XEN_EINVAL);
    assert_int_equal((long)e[3].result, -XEN_ENOSYS);
    assert_int_equal(e[4].result, 4096);
    assert_string_equal(fake.console, "mc\n");
    /* Only the result field is written back. */
    assert_int_equal(e[1].args[2], S + 0x800);
    assert_int_equal(e[0].op, __HYPERVISOR_xen_version);

    /* Zero entries; unreadable list. */
    assert_int_equal(hc(__HYPERVISOR_multicall, S, 0, 0, 0), 0);
    assert_int_equal(hc(__HYPERVISOR_multicall, TD_UNMAPPED_VA, 1, 0, 0), -XEN_EFAULT);
    /* A list whose second entry is on an unmapped page: the first still ran. */
    e[0].result = 0;
    put(0x400000 - sizeof(e[0]), &e[0], sizeof(e[0]));
    assert_int_equal(hc(__HYPERVISOR_multicall, 0x400000 - sizeof(e[0]), 2, 0, 0), -XEN_EFAULT);
    get(&e[0], 0x400000 - sizeof(e[0]), sizeof(e[0]));
    assert_int_equal(e[0].result, 0x40013);
    td_assert_invariants();
}

static void test_multicall_stops_after_shutdown(void **state)
{
    struct multicall_entry e[2];
    memset(e, 0, sizeof(e));
    e[0].op = __HYPERVISOR_sched_op_compat;
    e[0].args[0] = SCHEDOP_shutdown;
    e[0].args[1] = SHUTDOWN_poweroff;
    e[1].op = __HYPERVISOR_xen_version;
    e[1].result = 0x5a5a;
    put(S, e, sizeof(e));
    assert_int_equal(hc(__HYPERVISOR_multicall, S, 2, 0, 0), 0);
    get(e, S, sizeof(e));
    assert_int_equal(e[0].result, 0);
    assert_int_equal(e[1].result, 0x5a5a);
    assert_true(d->is_shutting_down);
}

/* An entry that blocks the vCPU ends the batch: nothing runs for a vCPU that waits. */
static void test_multicall_stops_after_block(void **state)
{
    struct multicall_entry e[3];
    memset(e, 0, sizeof(e));
    struct sched_poll p = {.nr_ports = 0, .timeout = 0};
    put(S + 0x100, &p, sizeof(p));
    e[0].op = __HYPERVISOR_sched_op;
    e[0].args[0] = SCHEDOP_poll;
    e[0].args[1] = S + 0x100;
    e[1].op = __HYPERVISOR_sched_op; /* would unmask upcalls for the polling vCPU */
    e[1].args[0] = SCHEDOP_block;
    e[1].result = 0x5a5a;
    e[2].op = __HYPERVISOR_xen_version;
    e[2].result = 0x5a5a;
    put(S, e, sizeof(e));
    vcpu_info_of(v)->evtchn_upcall_mask = 1;
    assert_int_equal(hc(__HYPERVISOR_multicall, S, 3, 0, 0), 0);
    get(e, S, sizeof(e));
    assert_int_equal(e[0].result, 0);
    assert_int_equal(e[1].result, 0x5a5a);
    assert_int_equal(e[2].result, 0x5a5a);
    assert_int_equal(v->state, VCPU_POLLING);
    assert_int_equal(vcpu_info_of(v)->evtchn_upcall_mask, 1);
}

static void test_multicall_nested_einval(void **state)
{
    struct multicall_entry e;
    memset(&e, 0, sizeof(e));
    e.op = __HYPERVISOR_multicall;
    e.args[0] = S + 0x100;
    e.args[1] = 0;
    put(S, &e, sizeof(e));
    assert_int_equal(hc(__HYPERVISOR_multicall, S, 1, 0, 0), 0);
    get(&e, S, sizeof(e));
    assert_int_equal((long)e.result, -XEN_EINVAL);
}

/* ------------------------------------------------------------------------- */
/* update_va_mapping, mmu_update                                             */

static void test_update_va_mapping_good(void **state)
{
    uint64_t va = S + 0x10000, va2 = S + 0x11000;
    uint64_t m = td_mfn(v, va), m2 = td_mfn(v, va2);
    unsigned int changed = fake.nr_mmu_changed;

    /* Map va onto va2's frame: va's frame loses its mapping, va2's frame has two. */
    assert_int_equal(
        hc(__HYPERVISOR_update_va_mapping, va, (m2 << 12) | P | RW | US, UVMF_INVLPG, 0), 0);
    assert_int_equal(td_mfn(v, va), m2);
    assert_int_equal(pg(m)->type_count, 0);
    assert_int_equal(pg(m)->ref_count, 0);
    assert_int_equal(pg(m2)->type, PGT_writable);
    assert_int_equal(pg(m2)->type_count, 2);
    assert_int_equal(pg(m2)->ref_count, 2);
    assert_true(fake.nr_mmu_changed > changed);
    uint32_t x = 0x600d;
    put(va, &x, 4);
    uint32_t y = 0;
    get(&y, va2, 4);
    assert_int_equal(y, 0x600d);
    td_assert_invariants();

    /* Unmap; then map the original frame back read-only. */
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, va, 0, UVMF_TLB_FLUSH, 0), 0);
    assert_int_equal(*td_l1e(v, va), 0);
    assert_int_equal(pg(m2)->type_count, 1);
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, va, (m << 12) | P | US, 0, 0), 0);
    assert_int_equal(pg(m)->type_count, 0);
    assert_int_equal(pg(m)->ref_count, 1);
    assert_int_equal(copy_to_guest(v, va, &x, 4), -XEN_EFAULT);
    /* A page-table frame may be mapped read-only. */
    uint64_t ptm = td_mfn(v, pt_va());
    uint32_t refs = pg(ptm)->ref_count;
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, va, (ptm << 12) | P | US, 0, 0), 0);
    assert_int_equal(pg(ptm)->ref_count, refs + 1);
    td_assert_invariants();
}

static void test_update_va_mapping_bad(void **state)
{
    struct domain *d2 = td_build(8192, NULL, 1);
    uint64_t foreign = td_mfn(&d2->vcpus[0], 0x200000);
    uint64_t va = S + 0x10000;
    uint64_t old = *td_l1e(v, va);
    uint64_t ptm = td_mfn(v, pt_va());

    /* The hypervisor hole and non-canonical addresses. */
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, HOLE, old, 0, 0), -XEN_EINVAL);
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, 0xFFFF800000000000ULL, 0, 0, 0),
                     -XEN_EINVAL);
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, NONCANON, 0, 0, 0), -XEN_EINVAL);
    /* No L1 covers the address. */
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, 0x40000000, old, 0, 0), -XEN_EINVAL);
    /* Another domain's frame. */
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, va, (foreign << 12) | P | US, 0, 0),
                     -XEN_EBUSY);
    assert_int_equal(*td_l1e(v, va), old);
    assert_int_equal(pg(foreign)->ref_count, 1);
    /* A page-table frame writable. */
    struct page_info before = *pg(ptm);
    assert_true(before.type >= PGT_l1 && before.type <= PGT_l4);
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, va, (ptm << 12) | P | RW | US, 0, 0),
                     -XEN_EBUSY);
    assert_int_equal(*td_l1e(v, va), old);
    assert_int_equal(pg(ptm)->type, before.type);
    assert_int_equal(pg(ptm)->type_count, before.type_count);
    assert_int_equal(pg(ptm)->ref_count, before.ref_count);
    /* Making a page-table frame's own mapping writable. */
    uint64_t pt_old = *td_l1e(v, pt_va());
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, pt_va(), (ptm << 12) | P | RW | US, 0, 0),
                     -XEN_EBUSY);
    assert_int_equal(*td_l1e(v, pt_va()), pt_old);
    /* A frame beyond the machine is I/O space: -EPERM. */
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, va, (1ULL << 40) | P | US, 0, 0),
                     -XEN_EPERM);
    assert_int_equal(*td_l1e(v, va), old);
    td_assert_invariants();
}

static long mmu_update(const struct mmu_update *reqs, unsigned int n, uint64_t pdone)
{
    put(S, reqs, n * sizeof(*reqs));
    return hc(__HYPERVISOR_mmu_update, S, n, pdone, DOMID_SELF);
}

static void test_mmu_update_counts_done(void **state)
{
    uint64_t a = S + 0x20000, b = S + 0x21000, c = S + 0x22000;
    uint64_t ma = td_mfn(v, a), mb = td_mfn(v, b), mc = td_mfn(v, c);
    uint64_t ptm = td_mfn(v, pt_va());
    uint32_t done = 0xffff;
    put(S + 0x900, &done, 4);

    /* All three succeed: swap a and b, make c read-only. */
    struct mmu_update r[3] = {
        {l1e_maddr(a) | MMU_NORMAL_PT_UPDATE, (mb << 12) | P | RW | US},
        {l1e_maddr(b), (ma << 12) | P | RW | US},
        {l1e_maddr(c), (mc << 12) | P | US},
    };
    assert_int_equal(mmu_update(r, 3, S + 0x900), 0);
    get(&done, S + 0x900, 4);
    assert_int_equal(done, 3);
    assert_int_equal(td_mfn(v, a), mb);
    assert_int_equal(td_mfn(v, b), ma);
    assert_false(*td_l1e(v, c) & RW);
    td_assert_invariants();

    /* The second fails: done = 1, the first applied, the third not. */
    struct mmu_update f[3] = {
        {l1e_maddr(a), (ma << 12) | P | RW | US},
        {l1e_maddr(b), (ptm << 12) | P | RW | US},
        {l1e_maddr(c), (mc << 12) | P | RW | US},
    };
    assert_int_equal(mmu_update(f, 3, S + 0x900), -XEN_EBUSY);
    get(&done, S + 0x900, 4);
    assert_int_equal(done, 1);
    assert_int_equal(td_mfn(v, a), ma);
    assert_int_equal(td_mfn(v, b), ma);
    assert_false(*td_l1e(v, c) & RW);
    td_assert_invariants();

    /* The first fails: done = 0. */
    f[0] = f[1];
    assert_int_equal(mmu_update(f, 3, S + 0x900), -XEN_EBUSY);
    get(&done, S + 0x900, 4);
    assert_int_equal(done, 0);

    /* pdone may be NULL. */
    assert_int_equal(mmu_update(r + 2, 1, 0), 0);

    /* The request list runs into an unmapped page: -EFAULT, done = requests read. */
    struct mmu_update one = {l1e_maddr(c), (mc << 12) | P | RW | US};
    put(0x400000 - sizeof(one), &one, sizeof(one));
    assert_int_equal(hc(__HYPERVISOR_mmu_update, 0x400000 - sizeof(one), 2, S + 0x900, DOMID_SELF),
                     -XEN_EFAULT);
    get(&done, S + 0x900, 4);
    assert_int_equal(done, 1);
    assert_true(*td_l1e(v, c) & RW);

    /* A misaligned entry pointer. */
    struct mmu_update bad[1] = {{l1e_maddr(a) + 4, 0}};
    assert_int_equal(mmu_update(bad, 1, 0), -XEN_EINVAL);
    td_assert_invariants();
}

static void test_mmu_update_machphys_and_preserve_ad(void **state)
{
    uint64_t a = S + 0x30000;
    uint64_t ma = td_mfn(v, a);
    struct mmu_update r = {(ma << 12) | MMU_MACHPHYS_UPDATE, 0x777};
    assert_int_equal(mmu_update(&r, 1, 0), 0);
    assert_int_equal(hv_mem.m2p[ma], 0x777);
    /* Not for shared_info, not for another domain's frame. */
    r.ptr = (mfn_x(d->shared_info_mfn) << 12) | MMU_MACHPHYS_UPDATE;
    assert_int_equal(mmu_update(&r, 1, 0), -XEN_EINVAL);
    struct domain *d2 = td_build(8192, NULL, 1);
    uint64_t foreign = td_mfn(&d2->vcpus[0], 0x200000);
    r.ptr = (foreign << 12) | MMU_MACHPHYS_UPDATE;
    assert_int_equal(mmu_update(&r, 1, 0), -XEN_EINVAL);
    assert_int_equal(hv_mem.m2p[foreign], 0x200);

    /* PRESERVE_AD keeps the accessed/dirty bits the old entry had. */
    uint64_t old = *td_l1e(v, a);
    assert_true(old & (_PAGE_ACCESSED | _PAGE_DIRTY));
    r.ptr = l1e_maddr(a) | MMU_PT_UPDATE_PRESERVE_AD;
    r.val = (ma << 12) | P | US;
    assert_int_equal(mmu_update(&r, 1, 0), 0);
    assert_int_equal(*td_l1e(v, a), (ma << 12) | P | US | _PAGE_ACCESSED | _PAGE_DIRTY);
    td_assert_invariants();
}

/* ------------------------------------------------------------------------- */
/* mmuext_op                                                                 */

static long mmuext(unsigned int cmd, uint64_t arg1, uint64_t arg2)
{
    uint8_t op[24] = {0};
    memcpy(op, &cmd, 4);
    memcpy(op + 8, &arg1, 8);
    memcpy(op + 16, &arg2, 8);
    put(S + 0xc00, op, sizeof(op));
    return hc(__HYPERVISOR_mmuext_op, S + 0xc00, 1, 0, DOMID_SELF);
}

static void test_mmuext_pin_unpin(void **state)
{
    uint64_t va = S + 0x40000;
    uint64_t m = make_read_only(va); /* zeroed page: a valid (empty) table of any level */
    assert_int_equal(mmuext(MMUEXT_PIN_L1_TABLE, m, 0), 0);
    assert_int_equal(pg(m)->type, PGT_l1);
    assert_int_equal(pg(m)->type_count, 1);
    assert_true(pg(m)->flags & PGF_pinned);
    td_assert_invariants();
    assert_int_equal(mmuext(MMUEXT_PIN_L1_TABLE, m, 0), -XEN_EINVAL); /* already pinned */
    assert_int_equal(pg(m)->type_count, 1);
    /* Pinned as an L1 it cannot be mapped writable. */
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, va, (m << 12) | P | RW | US, 0, 0),
                     -XEN_EBUSY);
    assert_int_equal(mmuext(MMUEXT_UNPIN_TABLE, m, 0), 0);
    assert_int_equal(pg(m)->type, PGT_none);
    assert_false(pg(m)->flags & PGF_pinned);
    assert_int_equal(mmuext(MMUEXT_UNPIN_TABLE, m, 0), -XEN_EINVAL); /* not pinned */
    td_assert_invariants();

    assert_int_equal(mmuext(MMUEXT_PIN_L2_TABLE, m, 0), 0);
    assert_int_equal(pg(m)->type, PGT_l2);
    assert_int_equal(mmuext(MMUEXT_UNPIN_TABLE, m, 0), 0);
    assert_int_equal(mmuext(MMUEXT_PIN_L3_TABLE, m, 0), 0);
    assert_int_equal(pg(m)->type, PGT_l3);
    assert_int_equal(mmuext(MMUEXT_UNPIN_TABLE, m, 0), 0);

    /* A frame mapped writable cannot be pinned; the builder's L4 is already pinned. */
    uint64_t w = td_mfn(v, S + 0x41000);
    assert_int_equal(mmuext(MMUEXT_PIN_L1_TABLE, w, 0), -XEN_EINVAL);
    assert_int_equal(pg(w)->type, PGT_writable);
    assert_int_equal(mmuext(MMUEXT_PIN_L4_TABLE, mfn_x(v->guest_table), 0), -XEN_EINVAL);
    /* The wrong level for an existing table. */
    uint64_t l4 = mfn_x(v->guest_table);
    assert_int_equal(mmuext(MMUEXT_UNPIN_TABLE, l4, 0), 0);
    assert_int_equal(mmuext(MMUEXT_PIN_L3_TABLE, l4, 0), -XEN_EINVAL);
    assert_int_equal(mmuext(MMUEXT_PIN_L4_TABLE, l4, 0), 0);
    /* Foreign and nonexistent frames. */
    struct domain *d2 = td_build(8192, NULL, 1);
    assert_int_equal(mmuext(MMUEXT_PIN_L4_TABLE, mfn_x(d2->vcpus[0].guest_table), 0), -XEN_EINVAL);
    assert_int_equal(mmuext(MMUEXT_UNPIN_TABLE, mfn_x(d2->vcpus[0].guest_table), 0), -XEN_EINVAL);
    assert_true(pg(mfn_x(d2->vcpus[0].guest_table))->flags & PGF_pinned);
    assert_int_equal(mmuext(MMUEXT_PIN_L1_TABLE, 1ULL << 30, 0), -XEN_EINVAL);
    td_assert_invariants();
}

static void test_mmuext_new_baseptr_and_user_baseptr(void **state)
{
    uint64_t l4 = mfn_x(v->guest_table);
    uint64_t va = S + 0x50000;
    uint64_t copy = td_mfn(v, va);
    memcpy(fake.ram + copy * 4096, fake.ram + l4 * 4096, 4096); /* same mappings */
    make_read_only(va);
    uint64_t l3 = (((uint64_t *)(fake.ram + l4 * 4096))[0] & PTE_ADDR_MASK) >> 12;
    unsigned int changed = fake.nr_mmu_changed;

    assert_int_equal(mmuext(MMUEXT_NEW_BASEPTR, copy, 0), 0);
    assert_int_equal(mfn_x(v->guest_table), copy);
    assert_int_equal(pg(copy)->type, PGT_l4);
    assert_int_equal(pg(copy)->type_count, 1);
    assert_int_equal(pg(l4)->type_count, 1); /* only the pin left */
    assert_int_equal(pg(l3)->type_count, 2); /* referenced by both L4s */
    assert_true(fake.nr_mmu_changed > changed);
    td_assert_invariants();

    /* A frame that is not a valid L4 is refused and the baseptr stays. */
    uint64_t w = td_mfn(v, S + 0x51000);
    assert_int_equal(mmuext(MMUEXT_NEW_BASEPTR, w, 0), -XEN_EINVAL);
    assert_int_equal(mfn_x(v->guest_table), copy);

    /* The user baseptr: set, then cleared with 0. */
    assert_int_equal(mmuext(MMUEXT_NEW_USER_BASEPTR, l4, 0), 0);
    assert_int_equal(mfn_x(v->guest_table_user), l4);
    assert_int_equal(pg(l4)->type_count, 2);
    td_assert_invariants();
    assert_int_equal(mmuext(MMUEXT_NEW_USER_BASEPTR, 0, 0), 0);
    assert_int_equal(mfn_x(v->guest_table_user), 0);
    assert_int_equal(pg(l4)->type_count, 1);
    assert_int_equal(mmuext(MMUEXT_NEW_USER_BASEPTR, w, 0), -XEN_EINVAL);
    assert_int_equal(mfn_x(v->guest_table_user), 0);

    /* Back to the original: the copy is released. */
    assert_int_equal(mmuext(MMUEXT_NEW_BASEPTR, l4, 0), 0);
    assert_int_equal(pg(copy)->type, PGT_none);
    assert_int_equal(pg(copy)->type_count, 0);
    assert_int_equal(pg(l3)->type_count, 1);
    /* NEW_BASEPTR with 0 is not "none". */
    assert_int_equal(mmuext(MMUEXT_NEW_BASEPTR, 0, 0), -XEN_EINVAL);
    assert_int_equal(mfn_x(v->guest_table), l4);
    td_assert_invariants();
}

static void test_mmuext_flushes_and_unknown(void **state)
{
    assert_int_equal(mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0), 0);
    assert_int_equal(mmuext(MMUEXT_INVLPG_LOCAL, S, 0), 0);
    assert_int_equal(mmuext(MMUEXT_TLB_FLUSH_ALL, 0, 0), 0);
    assert_int_equal(mmuext(MMUEXT_INVLPG_ALL, S, 0), 0);
    uint64_t mask = 1;
    put(S + 0x900, &mask, 8);
    assert_int_equal(mmuext(MMUEXT_TLB_FLUSH_MULTI, 0, S + 0x900), 0);
    assert_int_equal(mmuext(MMUEXT_INVLPG_MULTI, S, S + 0x900), 0);
    assert_int_equal(mmuext(MMUEXT_TLB_FLUSH_MULTI, 0, TD_UNMAPPED_VA), -XEN_EFAULT);
    assert_int_equal(mmuext(MMUEXT_SET_LDT, 0, 0), 0);
    assert_int_equal(mmuext(99, 0, 0), -XEN_ENOSYS);
    assert_int_equal(mmuext(14, 0, 0), -XEN_ENOSYS);

    /* pdone counts like mmu_update: stops at the first failure. */
    uint8_t ops[3][24];
    memset(ops, 0, sizeof(ops));
    unsigned int cmds[3] = {MMUEXT_TLB_FLUSH_LOCAL, 99, MMUEXT_TLB_FLUSH_LOCAL};
    for (unsigned int i = 0; i < 3; i++)
        memcpy(ops[i], &cmds[i], 4);
    put(S, ops, sizeof(ops));
    uint32_t done = 0xffff;
    put(S + 0x900, &done, 4);
    assert_int_equal(hc(__HYPERVISOR_mmuext_op, S, 3, S + 0x900, DOMID_SELF), -XEN_ENOSYS);
    get(&done, S + 0x900, 4);
    assert_int_equal(done, 1);
    assert_int_equal(hc(__HYPERVISOR_mmuext_op, TD_UNMAPPED_VA, 1, S + 0x900, DOMID_SELF),
                     -XEN_EFAULT);
    get(&done, S + 0x900, 4);
    assert_int_equal(done, 0);
    td_assert_invariants();
}

static void test_mmuext_clear_and_copy_page(void **state)
{
    uint64_t a = td_mfn(v, S + 0x60000), b = td_mfn(v, S + 0x61000);
    memset(fake.ram + a * 4096, 0xab, 4096);
    assert_int_equal(mmuext(16 /* CLEAR_PAGE */, a, 0), 0);
    for (unsigned int i = 0; i < 4096; i++)
        assert_int_equal(fake.ram[a * 4096 + i], 0);
    memset(fake.ram + b * 4096, 0xcd, 4096);
    assert_int_equal(mmuext(17 /* COPY_PAGE */, a, b), 0);
    assert_int_equal(fake.ram[a * 4096 + 100], 0xcd);
    /* Not a page table, not another domain's frame. */
    uint64_t l4 = mfn_x(v->guest_table);
    assert_int_equal(mmuext(16, l4, 0), -XEN_EINVAL);
    assert_int_not_equal(((uint64_t *)(fake.ram + l4 * 4096))[0], 0);
    struct domain *d2 = td_build(8192, NULL, 1);
    uint64_t foreign = td_mfn(&d2->vcpus[0], 0x200000);
    assert_int_equal(mmuext(17, a, foreign), -XEN_EINVAL);
    assert_int_equal(mmuext(16, foreign, 0), -XEN_EINVAL);
    td_assert_invariants();
}

/* ------------------------------------------------------------------------- */
/* set_gdt, update_descriptor                                                */

#define CODE64_DPL0 0x00209a000000ffffULL /* P, S, code exec/read, L */
#define DATA_DPL0 0x00cf92000000ffffULL   /* P, S, data read/write */
#define TSS64 0x0000890000000067ULL       /* P, system type 9 (available TSS) */
#define DPL3 (3ULL << 45)

/* A read-only frame with descriptors, ready for set_gdt; returns its mfn. */
static uint64_t gdt_frame(uint64_t va, const uint64_t *descs, unsigned int n)
{
    put(va, descs, n * 8);
    return make_read_only(va);
}

static long set_gdt(const uint64_t *frames, unsigned int nr_frames, uint64_t entries)
{
    put(S + 0xe00, frames, nr_frames * 8);
    return hc(__HYPERVISOR_set_gdt, S + 0xe00, entries, 0, 0);
}

static void test_set_gdt_good_frame_raises_dpl(void **state)
{
    uint64_t descs[4] = {0, CODE64_DPL0, DATA_DPL0, 0x00007a0000001234ULL /* not present */};
    uint64_t m = gdt_frame(S + 0x70000, descs, 4);
    unsigned int seg = fake.nr_seg_changed;
    assert_int_equal(set_gdt(&m, 1, 4), 0);
    assert_int_equal(v->gdt_ents, 4);
    assert_int_equal(v->gdt_frames[0], m);
    assert_int_equal(pg(m)->type, PGT_seg_desc);
    assert_int_equal(pg(m)->type_count, 1);
    assert_true(fake.nr_seg_changed > seg);
    uint64_t *t = (uint64_t *)(fake.ram + m * 4096);
    assert_int_equal(t[0], 0);
    assert_int_equal(t[1], CODE64_DPL0 | DPL3);
    assert_int_equal(t[2], DATA_DPL0 | DPL3);
    assert_int_equal(t[3], 0x00007a0000001234ULL); /* not present: left alone */
    td_assert_invariants();

    /* While it is a GDT the frame cannot be mapped writable. */
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, S + 0x70000, (m << 12) | P | RW | US, 0, 0),
                     -XEN_EBUSY);
    /* A new GDT releases the old frame; zero entries releases everything. */
    uint64_t m2 = gdt_frame(S + 0x71000, descs, 4);
    uint64_t frames[2] = {m2, m};
    assert_int_equal(set_gdt(frames, 2, 600), 0);
    assert_int_equal(v->gdt_ents, 600);
    assert_int_equal(pg(m)->type_count, 1);
    assert_int_equal(pg(m2)->type_count, 1);
    td_assert_invariants();
    assert_int_equal(set_gdt(frames, 0, 0), 0);
    assert_int_equal(v->gdt_ents, 0);
    assert_int_equal(pg(m)->type, PGT_none);
    assert_int_equal(pg(m2)->type, PGT_none);
    td_assert_invariants();
    /* Released, it may be writable again. */
    assert_int_equal(hc(__HYPERVISOR_update_va_mapping, S + 0x70000, (m << 12) | P | RW | US, 0, 0),
                     0);
    td_assert_invariants();
}

static void test_set_gdt_refusals(void **state)
{
    uint64_t descs[2] = {0, CODE64_DPL0};
    uint64_t good = gdt_frame(S + 0x72000, descs, 2);
    assert_int_equal(set_gdt(&good, 1, 2), 0);

    /* Too many entries. */
    uint64_t frames[15];
    for (unsigned int i = 0; i < 15; i++)
        frames[i] = good;
    assert_int_equal(set_gdt(frames, 15, FIRST_RESERVED_GDT_ENTRY + 1), -XEN_EINVAL);
    /* A frame mapped writable. */
    uint64_t w = td_mfn(v, S + 0x73000);
    assert_int_equal(set_gdt(&w, 1, 2), -XEN_EINVAL);
    assert_int_equal(pg(w)->type, PGT_writable);
    assert_int_equal(pg(w)->type_count, 1);
    /* A system descriptor in the frame (checked over all 512 entries). */
    uint64_t bad_descs[3] = {0, CODE64_DPL0, 0};
    uint64_t bad = gdt_frame(S + 0x74000, bad_descs, 3);
    ((uint64_t *)(fake.ram + bad * 4096))[300] = TSS64;
    assert_int_equal(set_gdt(&bad, 1, 2), -XEN_EINVAL);
    assert_int_equal(pg(bad)->type, PGT_none);
    assert_int_equal(pg(bad)->type_count, 0);
    /* The second frame bad: the first is given back too. */
    uint64_t ok2 = gdt_frame(S + 0x75000, descs, 2);
    uint64_t two[2] = {ok2, bad};
    assert_int_equal(set_gdt(two, 2, 1000), -XEN_EINVAL);
    assert_int_equal(pg(ok2)->type_count, 0);
    /* An unreadable frame list. */
    assert_int_equal(hc(__HYPERVISOR_set_gdt, TD_UNMAPPED_VA, 2, 0, 0), -XEN_EFAULT);
    /* A page-table frame. */
    uint64_t ptm = td_mfn(v, pt_va());
    assert_int_equal(set_gdt(&ptm, 1, 2), -XEN_EINVAL);
    /* After all that the first GDT is still in place. */
    assert_int_equal(v->gdt_ents, 2);
    assert_int_equal(v->gdt_frames[0], good);
    assert_int_equal(pg(good)->type_count, 1);
    td_assert_invariants();
}

static void test_set_gdt_foreign_gdt_frame_left_alone(void **state)
{
    struct domain *d2 = td_build(8192, NULL, 1);
    struct vcpu *w = &d2->vcpus[0];
    uint64_t descs[2] = {0, CODE64_DPL0};
    td_put(w, 0x300000, descs, sizeof(descs));
    uint64_t m = td_mfn(w, 0x300000);
    assert_int_equal(
        td_hc(w, __HYPERVISOR_update_va_mapping, 0x300000, (m << 12) | P | US, 0, 0, 0), 0);
    td_put(w, 0x301000, &m, 8);
    assert_int_equal(td_hc(w, __HYPERVISOR_set_gdt, 0x301000, 2, 0, 0, 0), 0);
    assert_int_equal(pg(m)->type_count, 1);

    assert_int_equal(set_gdt(&m, 1, 2), -XEN_EINVAL);
    assert_int_equal(pg(m)->type, PGT_seg_desc);
    assert_int_equal(pg(m)->type_count, 1);
    td_assert_invariants();
}

static void test_descriptor_system_type0_accepted(void **state)
{
    uint64_t descs[2] = {0, 0x0000800000000000ULL}; /* P=1, S=0, type 0 */
    uint64_t m = gdt_frame(S + 0x76000, descs, 2);
    assert_int_equal(set_gdt(&m, 1, 2), 0);
    uint64_t w = td_mfn(v, S + 0x77000);
    assert_int_equal(hc(__HYPERVISOR_update_descriptor, (w << 12) + 8, 0x0000800000000000ULL, 0, 0),
                     0);
}

static void test_update_descriptor(void **state)
{
    uint64_t w = td_mfn(v, S + 0x78000);
    unsigned int seg = fake.nr_seg_changed;

    /* Good: written with the DPL raised; not-present ones as they are. */
    assert_int_equal(hc(__HYPERVISOR_update_descriptor, (w << 12) + 16, CODE64_DPL0, 0, 0), 0);
    assert_int_equal(((uint64_t *)(fake.ram + w * 4096))[2], CODE64_DPL0 | DPL3);
    assert_int_equal(hc(__HYPERVISOR_update_descriptor, (w << 12) + 24, 0x1234, 0, 0), 0);
    assert_int_equal(((uint64_t *)(fake.ram + w * 4096))[3], 0x1234);
    assert_int_equal(pg(w)->type_count, 1); /* its mapping's reference only */
    /* Misaligned. */
    assert_int_equal(hc(__HYPERVISOR_update_descriptor, (w << 12) + 4, DATA_DPL0, 0, 0),
                     -XEN_EINVAL);
    /* A system descriptor. */
    assert_int_equal(hc(__HYPERVISOR_update_descriptor, (w << 12) + 32, TSS64, 0, 0), -XEN_EINVAL);
    assert_int_equal(((uint64_t *)(fake.ram + w * 4096))[4], 0);
    /* Another domain's frame; a frame beyond the machine; a page table. */
    struct domain *d2 = td_build(8192, NULL, 1);
    uint64_t foreign = td_mfn(&d2->vcpus[0], 0x200000);
    assert_int_equal(hc(__HYPERVISOR_update_descriptor, foreign << 12, DATA_DPL0, 0, 0),
                     -XEN_EINVAL);
    assert_int_equal(((uint64_t *)(fake.ram + foreign * 4096))[0], 0);
    assert_int_equal(hc(__HYPERVISOR_update_descriptor, 1ULL << 40, DATA_DPL0, 0, 0), -XEN_EINVAL);
    uint64_t ptm = td_mfn(v, pt_va());
    uint64_t pt0 = ((uint64_t *)(fake.ram + ptm * 4096))[5];
    assert_int_equal(hc(__HYPERVISOR_update_descriptor, (ptm << 12) + 40, DATA_DPL0, 0, 0),
                     -XEN_EINVAL);
    assert_int_equal(((uint64_t *)(fake.ram + ptm * 4096))[5], pt0);

    /* Into the live GDT: allowed, and the vCPUs are told. */
    uint64_t descs[2] = {0, CODE64_DPL0};
    uint64_t g = gdt_frame(S + 0x79000, descs, 2);
    assert_int_equal(set_gdt(&g, 1, 2), 0);
    seg = fake.nr_seg_changed;
    assert_int_equal(hc(__HYPERVISOR_update_descriptor, (g << 12) + 8, DATA_DPL0, 0, 0), 0);
    assert_int_equal(((uint64_t *)(fake.ram + g * 4096))[1], DATA_DPL0 | DPL3);
    assert_true(fake.nr_seg_changed > seg);
    assert_int_equal(pg(g)->type, PGT_seg_desc);
    assert_int_equal(pg(g)->type_count, 1);
    /* ...but not a system descriptor. */
    assert_int_equal(hc(__HYPERVISOR_update_descriptor, (g << 12) + 16, TSS64, 0, 0), -XEN_EINVAL);
    td_assert_invariants();
}

/* ------------------------------------------------------------------------- */
/* event_channel_op                                                          */

static long evtchn_op(unsigned int cmd, const void *arg, size_t n)
{
    put(S, arg, n);
    return hc(__HYPERVISOR_event_channel_op, cmd, S, 0, 0);
}

static void test_evtchn_send(void **state)
{
    struct evtchn_send s = {.port = d->console_port};
    assert_int_equal(evtchn_op(EVTCHNOP_send, &s, sizeof(s)), 0);
    assert_int_equal(fake.nr_backend_notify, 1);
    assert_int_equal(fake.last_backend_port, d->console_port);
    /* The xenstore daemon is in the core: a send to it never reaches the arch. */
    s.port = d->store_port;
    assert_int_equal(evtchn_op(EVTCHNOP_send, &s, sizeof(s)), 0);
    assert_int_equal(fake.nr_backend_notify, 1);
    /* The guest's own pending bitmap is untouched by a send. */
    assert_false(evtchn_is_pending(d, d->console_port));

    const evtchn_port_t bad[] = {0, 10, HV_NR_EVTCHN, 4096, 0xffffffff};
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s.port = bad[i];
        assert_int_equal(evtchn_op(EVTCHNOP_send, &s, sizeof(s)), -XEN_EINVAL);
    }
    assert_int_equal(fake.nr_backend_notify, 1);
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, TD_UNMAPPED_VA, 0, 0),
                     -XEN_EFAULT);
    td_assert_invariants();
}

static long status(domid_t dom, evtchn_port_t port, struct evtchn_status *out)
{
    struct evtchn_status st;
    memset(&st, 0x5a, sizeof(st));
    st.dom = dom;
    st.port = port;
    long rc = evtchn_op(EVTCHNOP_status, &st, sizeof(st));
    get(out, S, sizeof(*out));
    return rc;
}

static void test_evtchn_status(void **state)
{
    struct evtchn_status st;
    assert_int_equal(status(DOMID_SELF, d->console_port, &st), 0);
    assert_int_equal(st.status, EVTCHNSTAT_interdomain);
    assert_int_equal(st.vcpu, 0);
    assert_int_equal(st.u.interdomain.dom, 0);
    assert_int_equal(st.dom, DOMID_SELF);
    assert_int_equal(st.port, d->console_port);
    assert_int_equal(status(d->domid, d->store_port, &st), 0);
    assert_int_equal(st.status, EVTCHNSTAT_interdomain);

    assert_int_equal(status(DOMID_SELF, 10, &st), 0);
    assert_int_equal(st.status, EVTCHNSTAT_closed);
    assert_int_equal(status(DOMID_SELF, 0, &st), 0); /* reserved reads as closed */
    assert_int_equal(st.status, EVTCHNSTAT_closed);

    assert_int_equal(status(DOMID_SELF, HV_NR_EVTCHN, &st), -XEN_EINVAL);
    struct domain *d2 = td_build(8192, NULL, 1);
    assert_int_equal(status(d2->domid, 1, &st), -XEN_EPERM);
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_status, TD_UNMAPPED_VA, 0, 0),
                     -XEN_EFAULT);
    /* A valid request on a read-only page: the answer cannot be written. */
    struct evtchn_status req = {.dom = DOMID_SELF, .port = d->console_port};
    put(S + 0x90000, &req, sizeof(req));
    make_read_only(S + 0x90000);
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_status, S + 0x90000, 0, 0),
                     -XEN_EFAULT);
    td_assert_invariants();
}

static void test_evtchn_status_nonexistent_domain_esrch(void **state)
{
    struct evtchn_status st;
    assert_int_equal(status(0x123, 1, &st), -XEN_ESRCH);
}

/* EVTCHNOP_alloc_unbound, then a core backend binding the far end and letting go. */
static void test_evtchn_alloc_unbound_and_backend_bind(void **state)
{
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 0};
    assert_int_equal(evtchn_op(EVTCHNOP_alloc_unbound, &a, sizeof(a)), 0);
    get(&a, S, sizeof(a));
    evtchn_port_t port = a.port;
    assert_int_equal(port, 3); /* the lowest free port after console and xenstore */
    struct evtchn_status st;
    assert_int_equal(status(DOMID_SELF, port, &st), 0);
    assert_int_equal(st.status, EVTCHNSTAT_unbound);
    assert_int_equal(st.u.unbound.dom, 0);
    /* A send on an unbound port is dropped, as in Xen. */
    struct evtchn_send s = {.port = port};
    assert_int_equal(evtchn_op(EVTCHNOP_send, &s, sizeof(s)), 0);
    assert_false(evtchn_is_pending(d, port));

    /* DOMID_SELF as the remote means the caller; another table is not the caller's to use. */
    a = (struct evtchn_alloc_unbound){.dom = d->domid, .remote_dom = DOMID_SELF};
    assert_int_equal(evtchn_op(EVTCHNOP_alloc_unbound, &a, sizeof(a)), 0);
    get(&a, S, sizeof(a));
    assert_int_equal(d->evtchn[a.port].remote_dom, d->domid);
    assert_int_equal(evtchn_bind_backend(d, a.port, EVB_BLKIF), -XEN_EINVAL); /* not for dom 0 */
    a = (struct evtchn_alloc_unbound){.dom = 0x123};
    assert_int_equal(evtchn_op(EVTCHNOP_alloc_unbound, &a, sizeof(a)), -XEN_ESRCH);
    assert_int_equal(
        hc(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, TD_UNMAPPED_VA, 0, 0),
        -XEN_EFAULT);

    /* The backend binds: interdomain, its far end is domain 0. */
    assert_int_equal(evtchn_bind_backend(d, port, EVB_NONE), -XEN_EINVAL);
    assert_int_equal(evtchn_bind_backend(d, HV_NR_EVTCHN, EVB_BLKIF), -XEN_EINVAL);
    assert_int_equal(evtchn_bind_backend(d, port, EVB_BLKIF), 0);
    assert_true(evtchn_backend_bound(d, port, EVB_BLKIF));
    assert_false(evtchn_backend_bound(d, port, EVB_XENSTORE));
    assert_int_equal(evtchn_bind_backend(d, port, EVB_BLKIF), -XEN_EINVAL); /* bound already */
    assert_int_equal(status(DOMID_SELF, port, &st), 0);
    assert_int_equal(st.status, EVTCHNSTAT_interdomain);
    assert_int_equal(st.u.interdomain.dom, 0);
    /* Letting go makes it unbound again, ready for a reconnect. */
    evtchn_unbind_backend(d, port);
    assert_false(evtchn_backend_bound(d, port, EVB_BLKIF));
    assert_int_equal(d->evtchn[port].state, ECS_UNBOUND);
    /* A guest close first: the backend's unbind is then a no-op, and bound() says no. */
    assert_int_equal(evtchn_bind_backend(d, port, EVB_BLKIF), 0);
    struct evtchn_close c = {.port = port};
    assert_int_equal(evtchn_op(EVTCHNOP_close, &c, sizeof(c)), 0);
    assert_false(evtchn_backend_bound(d, port, EVB_BLKIF));
    evtchn_unbind_backend(d, port);
    assert_int_equal(d->evtchn[port].state, ECS_FREE);

    /* Running out of ports. */
    long rc = 0;
    for (unsigned int i = 0; i < HV_NR_EVTCHN && rc == 0; i++) {
        a = (struct evtchn_alloc_unbound){.dom = DOMID_SELF};
        rc = evtchn_op(EVTCHNOP_alloc_unbound, &a, sizeof(a));
    }
    assert_int_equal(rc, -XEN_ENOSPC);
    td_assert_invariants();
}

static void test_evtchn_unknown_enosys(void **state)
{
    uint8_t arg[32] = {0};
    const unsigned int cmds[] = {EVTCHNOP_bind_interdomain, EVTCHNOP_bind_vcpu, EVTCHNOP_reset, 99};
    for (unsigned int i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        assert_int_equal(evtchn_op(cmds[i], arg, sizeof(arg)), -XEN_ENOSYS);
    /* Nothing changed: the console port is still bound. */
    assert_int_equal(d->evtchn[d->console_port].state, ECS_INTERDOMAIN);
    td_assert_invariants();
}

static void test_invariants_after_everything(void **state)
{
    /* A busy mix of calls, then the frame table must still add up. */
    uint64_t a = S + 0x80000;
    uint64_t m = make_read_only(a);
    assert_int_equal(mmuext(MMUEXT_PIN_L1_TABLE, m, 0), 0);
    assert_int_equal(mmuext(MMUEXT_NEW_USER_BASEPTR, mfn_x(v->guest_table), 0), 0);
    uint64_t descs[2] = {0, DATA_DPL0};
    uint64_t g = gdt_frame(S + 0x81000, descs, 2);
    assert_int_equal(set_gdt(&g, 1, 2), 0);
    td_assert_invariants();
    d->is_shutting_down = true;
    uint64_t before = hv_mem.free_frames;
    domain_destroy(d);
    assert_int_equal(hv_mem.free_frames, before + TD_MEMORY_KB / 4 + 1);
    td_assert_invariants();
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(test_unknown_and_unmodelled_hypercalls_enosys, setup),
    cmocka_unit_test_setup(test_syscall_entry_dispatches_from_registers, setup),
    cmocka_unit_test_setup(test_console_io_write, setup),
    cmocka_unit_test_setup(test_console_io_read_bad_cmd_bad_pointer, setup),
    cmocka_unit_test_setup(test_xen_version_every_subop, setup),
    cmocka_unit_test_setup(test_xen_version_bad_pointer_efault, setup),
    cmocka_unit_test_setup(test_xen_version_commandline_denied, setup),
    cmocka_unit_test_setup(test_sched_yield, setup),
    cmocka_unit_test_setup(test_sched_shutdown_records_reason, setup),
    cmocka_unit_test_setup(test_sched_shutdown_bad_reason_and_pointer, setup),
    cmocka_unit_test_setup(test_sched_compat_shutdown_takes_value, setup),
    cmocka_unit_test_setup(test_sched_shutdown_code_latches, setup),
    cmocka_unit_test_setup(test_sched_shutdown_code_first_wins_and_is_the_reason, setup),
    cmocka_unit_test_setup(test_sched_poll_arguments, setup),
    cmocka_unit_test_setup(test_sched_poll_pending_port_returns_at_once, setup),
    cmocka_unit_test_setup(test_sched_poll_blocks_until_port_or_deadline, setup),
    cmocka_unit_test_setup(test_sched_block, setup),
    cmocka_unit_test_setup(test_sched_unknown_enosys, setup),
    cmocka_unit_test_setup(test_set_trap_table, setup),
    cmocka_unit_test_setup(test_set_trap_table_non_canonical_einval, setup),
    cmocka_unit_test_setup(test_callback_op_register_unregister, setup),
    cmocka_unit_test_setup(test_callback_op_xen_error_codes, setup),
    cmocka_unit_test_setup(test_set_callbacks_and_stack_switch, setup),
    cmocka_unit_test_setup(test_set_segment_base_canonical_checks, setup),
    cmocka_unit_test_setup(test_vm_assist, setup),
    cmocka_unit_test_setup(test_vm_assist_xen_valid_mask, setup),
    cmocka_unit_test_setup(test_multicall_results_in_entries, setup),
    cmocka_unit_test_setup(test_multicall_stops_after_shutdown, setup),
    cmocka_unit_test_setup(test_multicall_stops_after_block, setup),
    cmocka_unit_test_setup(test_multicall_nested_einval, setup),
    cmocka_unit_test_setup(test_update_va_mapping_good, setup),
    cmocka_unit_test_setup(test_update_va_mapping_bad, setup),
    cmocka_unit_test_setup(test_mmu_update_counts_done, setup),
    cmocka_unit_test_setup(test_mmu_update_machphys_and_preserve_ad, setup),
    cmocka_unit_test_setup(test_mmuext_pin_unpin, setup),
    cmocka_unit_test_setup(test_mmuext_new_baseptr_and_user_baseptr, setup),
    cmocka_unit_test_setup(test_mmuext_flushes_and_unknown, setup),
    cmocka_unit_test_setup(test_mmuext_clear_and_copy_page, setup),
    cmocka_unit_test_setup(test_set_gdt_good_frame_raises_dpl, setup),
    cmocka_unit_test_setup(test_set_gdt_refusals, setup),
    cmocka_unit_test_setup(test_set_gdt_foreign_gdt_frame_left_alone, setup),
    cmocka_unit_test_setup(test_descriptor_system_type0_accepted, setup),
    cmocka_unit_test_setup(test_update_descriptor, setup),
    cmocka_unit_test_setup(test_evtchn_send, setup),
    cmocka_unit_test_setup(test_evtchn_status, setup),
    cmocka_unit_test_setup(test_evtchn_status_nonexistent_domain_esrch, setup),
    cmocka_unit_test_setup(test_evtchn_alloc_unbound_and_backend_bind, setup),
    cmocka_unit_test_setup(test_evtchn_unknown_enosys, setup),
    cmocka_unit_test_setup(test_invariants_after_everything, setup),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
