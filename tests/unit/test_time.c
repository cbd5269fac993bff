/* Unit tests for hv/common/time.c: Xen's set_time_scale, the version protocol, TSC wrap, refresh
 * policies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hv/entry.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/time.h"
#include "public/xen.h"
#include "fake_arch.h"
#include "test_domain.h"

#define MS (3000000ULL) /* fake TSC cycles per ms at the default 3 GHz */

static struct domain *d;
static struct vcpu *v;

static int setup(void **state)
{
    fake.tsc_khz = 0;
    d = td_setup();
    v = &d->vcpus[0];
    return 0;
}

/* Re-start the clock with another policy (time_init reads the configuration). */
static void use_policy(enum time_refresh p, uint64_t period_ns)
{
    struct time_config c = {.refresh = p, .refresh_period_ns = period_ns};
    time_configure(&c);
    time_init();
}

static const struct vcpu_time_info *rec(void)
{
    return &vcpu_info_of(v)->time;
}

/* What a guest computes from its record at guest TSC `tsc` (the correct 96-bit product). */
static uint64_t guest_now(const struct vcpu_time_info *t, uint64_t tsc)
{
    struct time_scale s = {t->tsc_to_system_mul, t->tsc_shift};
    return t->system_time + time_scale_delta(tsc - t->tsc_timestamp, s);
}

/* ------------------------------------------------------------------------- */

/* The table in xen-abi.md 2.1. */
static void test_set_time_scale_table(void **state)
{
    static const struct {
        uint64_t hz;
        int shift;
        uint32_t mul;
    } t[] = {
        {100000000ULL, 4, 0xA0000000u},   {1000000000ULL, 1, 0x80000000u},
        {2000000000ULL, 0, 0x80000000u},  {2400000000ULL, -1, 0xD5555555u},
        {3000000000ULL, -1, 0xAAAAAAAAu},
    };
    for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct time_scale s = time_scale_for(t[i].hz);
        assert_int_equal(s.shift, t[i].shift);
        assert_int_equal(s.mul, t[i].mul);
    }
}

/* Every rate from 100 MHz to 10 GHz: mul in [2^31, 2^32), shift negative exactly above 2 GHz. */
static void test_set_time_scale_invariants(void **state)
{
    for (uint64_t khz = 100000; khz <= 10000000; khz += 77777) {
        struct time_scale s = time_scale_for(khz * 1000);
        assert_true(s.mul >= 0x80000000u);
        assert_true((s.shift < 0) == (khz > 2000000));
        /* One second of ticks is one second, to within 1 ns per 1e9 (mul truncates). */
        uint64_t ns = time_scale_delta(khz * 1000, s);
        assert_true(ns <= 1000000000ULL && ns >= 1000000000ULL - 2);
    }
}

/* The product is kept to 96 bits: no loss after 2^32 ns (GNU Mach's 2009 bug). */
static void test_scale_delta_full_product(void **state)
{
    struct time_scale s = time_scale_for(3000000000ULL);
    uint64_t five_s = 15000000000ULL; /* 5 s of 3 GHz cycles */
    uint64_t ns = time_scale_delta(five_s, s);
    assert_true(ns > 4999999990ULL && ns <= 5000000000ULL);
    /* What a 64-bit-only product would give: exactly 2^32 ns less. */
    uint64_t wrong = ((five_s >> 1) * (uint64_t)s.mul) >> 32;
    assert_int_equal(ns - wrong, 1ULL << 32);
}

static void test_version_protocol(void **state)
{
    struct vcpu_time_info *t = &vcpu_info_of(v)->time;
    uint32_t before = t->version;
    assert_int_equal(before % 2, 0); /* written once at build: even */
    assert_true(before >= 2);
    time_update_vcpu_info(v);
    assert_int_equal(t->version, before + 2);
    t->version = 7; /* as left by a torn update: the next one still ends even and larger */
    time_update_vcpu_info(v);
    assert_int_equal(t->version, 10);
}

static void test_record_contents(void **state)
{
    fake.guest_tsc_offset = 12345;
    fake.tsc += 30 * MS;
    time_update_vcpu_info(v);
    const struct vcpu_time_info *t = rec();
    assert_int_equal(t->tsc_timestamp, fake.tsc + 12345);
    assert_int_equal(t->system_time, time_now_ns());
    assert_int_equal(t->tsc_to_system_mul, 0xAAAAAAAAu);
    assert_int_equal(t->tsc_shift, -1);
    assert_int_equal(t->flags, XEN_PVCLOCK_TSC_STABLE_BIT);
    /* The guest's clock follows the hypervisor's. */
    fake.tsc += 4000 * MS;
    uint64_t g = guest_now(t, fake.tsc + 12345), h = time_now_ns();
    assert_true(g <= h && h - g <= 2);
    assert_int_equal(time_vcpu_tsc(v), fake.tsc + 12345);
}

/* A TSC that starts 1 s below 2^64 wraps: system time and the guest clock go on. */
static void test_tsc_wrap(void **state)
{
    fake.tsc = 0ULL - 1000 * MS;
    time_init();
    time_update_vcpu_info(v);
    uint64_t last = 0;
    for (int i = 0; i < 40; i++) {
        fake.tsc += 50 * MS; /* crosses 2^64 at i = 19 */
        uint64_t now = time_now_ns();
        assert_true(now > last);
        uint64_t g = guest_now(rec(), time_vcpu_tsc(v));
        assert_true(g <= now && now - g <= 2);
        last = now;
    }
    assert_true(last >= 1999999990ULL && last <= 2000000000ULL);
}

static void test_wallclock(void **state)
{
    struct time_config c = {.wallclock_sec = 0x123456789ULL, .wallclock_nsec = 5};
    fake_machine_init(TD_FRAMES); /* resets the clock settings: configure after it */
    time_configure(&c);
    d = td_build(TD_MEMORY_KB, NULL, 1);
    struct shared_info *s = d->shared_info;
    assert_int_equal(s->wc_sec, 0x23456789u);
    assert_int_equal(s->wc_sec_hi, 1);
    assert_int_equal(s->wc_nsec, 5);
    assert_int_equal(s->wc_version % 2, 0);
    assert_true(s->wc_version >= 2);
    c.wallclock_nsec = 2000000000u; /* clamped */
    time_configure(&c);
    assert_int_equal(time_get_config()->wallclock_nsec, 999999999u);
}

static void test_policy_frozen(void **state)
{
    use_policy(TIME_REFRESH_FROZEN, 0);
    uint32_t ver = rec()->version;
    hv_entry_schedule(v);
    fake.tsc += 5000 * MS;
    sched_run_timers();
    assert_int_equal(rec()->version, ver);
}

static void test_policy_xen(void **state)
{
    use_policy(TIME_REFRESH_XEN, 0);
    uint32_t ver = rec()->version;
    hv_entry_schedule(v); /* context switch: refreshed */
    assert_int_equal(rec()->version, ver + 2);
    hv_entry_schedule(v); /* runs on: no switch */
    fake.tsc += 500 * MS;
    sched_run_timers(); /* inside the first epoch */
    assert_int_equal(rec()->version, ver + 2);
    fake.tsc += 600 * MS;
    sched_run_timers(); /* epoch passed, v on the CPU */
    assert_int_equal(rec()->version, ver + 4);
    assert_int_equal(rec()->system_time, time_now_ns());
    /* A blocked vCPU is not refreshed at the epoch, only when switched to again. */
    assert_int_equal(td_hc(v, __HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0), 0);
    fake.tsc += 1000 * MS;
    sched_run_timers();
    assert_int_equal(rec()->version, ver + 4);
}

static void test_policy_periodic(void **state)
{
    use_policy(TIME_REFRESH_PERIODIC, 10000000ULL);
    uint32_t ver = rec()->version;
    fake.tsc += 9 * MS;
    sched_run_timers();
    assert_int_equal(rec()->version, ver);
    fake.tsc += 2 * MS;
    sched_run_timers();
    assert_int_equal(rec()->version, ver + 2);
    fake.tsc += 5 * MS;
    sched_run_timers(); /* 16 ms: the next is at 20 */
    assert_int_equal(rec()->version, ver + 2);
}

static void test_policy_on_timer(void **state)
{
    use_policy(TIME_REFRESH_ON_TIMER, 0);
    uint32_t ver = rec()->version;
    hv_entry_schedule(v);
    assert_int_equal(rec()->version, ver);
    struct evtchn_bind_virq b = {.virq = VIRQ_TIMER};
    td_put(v, TD_SCRATCH_VA, &b, sizeof(b));
    assert_int_equal(
        td_hc(v, __HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, TD_SCRATCH_VA, 0, 0, 0), 0);
    fake.tsc += 3 * MS;
    assert_int_equal(td_hc(v, __HYPERVISOR_set_timer_op, 1, 0, 0, 0, 0), 0); /* past */
    assert_int_equal(rec()->version, ver + 2);
    assert_int_equal(rec()->system_time, time_now_ns());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_time_scale_table),
        cmocka_unit_test(test_set_time_scale_invariants),
        cmocka_unit_test(test_scale_delta_full_product),
        cmocka_unit_test_setup(test_version_protocol, setup),
        cmocka_unit_test_setup(test_record_contents, setup),
        cmocka_unit_test_setup(test_tsc_wrap, setup),
        cmocka_unit_test(test_wallclock),
        cmocka_unit_test_setup(test_policy_frozen, setup),
        cmocka_unit_test_setup(test_policy_xen, setup),
        cmocka_unit_test_setup(test_policy_periodic, setup),
        cmocka_unit_test_setup(test_policy_on_timer, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
