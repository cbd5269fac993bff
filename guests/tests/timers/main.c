/* Guest test "timers": singleshot, periodic, past and huge deadlines, stop, block and poll. */

/*
 * What it checks, with VIRQ_TIMER bound and handled through upcalls:
 * - set_timer_op and VCPUOP_set_singleshot_timer fire once, not before
 *   their deadline and at most slack_us= late (default 20000: the simulator
 *   is within a few us; under QEMU on a loaded host a timer can be 5 ms late); a deadline in the
 * past (also with VCPU_SSHOTTMR_future, which current Xen ignores) makes the event pending before
 * the hypercall returns; 0 and VCPUOP_stop_singleshot_timer cancel; a negative deadline fires after
 * Xen's 100 ms;
 * - the default 10 ms periodic timer, a 1 ms one, -EINVAL below 1 ms, and
 *   VCPUOP_stop_periodic_timer (periodic timers run while the vCPU is on the
 *   CPU, so these spin instead of blocking);
 * - SCHEDOP_block returns with the handler run; SCHEDOP_poll wakes on the
 *   timer port, at its timeout when nothing comes, and at once for a
 *   timeout already passed.
 * Lateness in ns goes on "[time] " lines; the verdicts do not.
 */
#include "xtf.h"

const char test_title[] = "Timers: singleshot, periodic, past deadlines, stop, block, poll";

#define MS 1000000ULL
#define US 1000ULL

static volatile unsigned long ticks;
static volatile uint64_t last_tick_ns;
static evtchn_port_t port;
static uint64_t slack_ns;

static void timer_handler(evtchn_port_t p, void *ctx)
{
    (void)p;
    (void)ctx;
    last_tick_ns = pvclock_now();
    ticks++;
}

/* Block until the handler has run `n` more times. */
static void block_for_ticks(unsigned long n)
{
    unsigned long want = ticks + n;

    events_disable();
    while (ticks < want) {
        sched_block();
        events_disable();
    }
}

/* The tick came no earlier than `deadline` and at most slack_ns after it. */
static void check_on_time(const char *what, uint64_t deadline)
{
    uint64_t at = last_tick_ns;

    printk(TIME_PREFIX "%s: deadline %llu, handler at %llu (+%lld ns)\n", what,
           (unsigned long long)deadline, (unsigned long long)at, (long long)(at - deadline));
    if (at < deadline)
        xtf_failure("%s: fired %llu ns early", what, (unsigned long long)(deadline - at));
    else if (at - deadline > slack_ns)
        xtf_failure("%s: fired more than %llu us late", what, (unsigned long long)(slack_ns / US));
    else
        printk("%s: on time\n", what);
}

/* Spin with upcalls on for `ns`; returns the ticks seen. */
static unsigned long spin_ticks(uint64_t ns)
{
    unsigned long before = ticks;
    uint64_t end = pvclock_now() + ns;

    events_enable();
    while (pvclock_now() < end) {
        /* Read the clock (an emulated rdtsc, one trace line each) only now and then. */
        for (unsigned int i = 0; i < 1000; i++)
            barrier();
    }
    events_disable();
    return ticks - before;
}

static void test_singleshot(void)
{
    struct vcpu_set_singleshot_timer s;
    uint64_t deadline;

    deadline = pvclock_now() + 5 * MS;
    check_rc("set_timer_op(+5 ms)", hypercall_set_timer_op(deadline), 0);
    block_for_ticks(1);
    check_on_time("set_timer_op +5 ms", deadline);

    deadline = pvclock_now() + 3 * MS;
    s = (struct vcpu_set_singleshot_timer){.timeout_abs_ns = deadline};
    check_rc("set_singleshot_timer(+3 ms)", hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &s),
             0);
    block_for_ticks(1);
    check_on_time("set_singleshot_timer +3 ms", deadline);

    /* Once only: nothing more within 20 ms. */
    if (!check_rc("poll after a singleshot fired", sched_poll(&port, 1, pvclock_now() + 20 * MS),
                  0))
        return;
    check_true("a singleshot timer fires only once", !evtchn_pending(port));
}

static void test_past(void)
{
    struct vcpu_set_singleshot_timer s;
    uint64_t now = pvclock_now();

    events_disable();
    check_rc("set_timer_op(past)", hypercall_set_timer_op(now - 1 * MS), 0);
    check_true("set_timer_op in the past: event pending on return", evtchn_pending(port));
    block_for_ticks(1);

    s = (struct vcpu_set_singleshot_timer){.timeout_abs_ns = pvclock_now() - 1,
                                           .flags = VCPU_SSHOTTMR_future};
    check_rc("set_singleshot_timer(past, future flag ignored)",
             hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &s), 0);
    check_true("set_singleshot_timer in the past: event pending on return", evtchn_pending(port));
    block_for_ticks(1);

    /* Negative: Xen's "huge timeout" workaround arms now + 100 ms. */
    uint64_t t0 = pvclock_now();

    check_rc("set_timer_op(negative)", hypercall_set_timer_op(1ULL << 63), 0);
    block_for_ticks(1);
    check_on_time("set_timer_op(negative) -> +100 ms", t0 + 100 * MS);
}

static void test_stop(void)
{
    struct vcpu_set_singleshot_timer s;
    uint64_t now = pvclock_now();

    events_disable();
    check_rc("set_timer_op(+2 ms)", hypercall_set_timer_op(now + 2 * MS), 0);
    check_rc("set_timer_op(0)", hypercall_set_timer_op(0), 0);
    check_rc("poll (+5 ms timeout)", sched_poll(&port, 1, now + 5 * MS), 0);
    check_true("set_timer_op(0) cancels the timer", !evtchn_pending(port));
    check_true("poll returns at its timeout", pvclock_now() >= now + 5 * MS);

    now = pvclock_now();
    s = (struct vcpu_set_singleshot_timer){.timeout_abs_ns = now + 2 * MS};
    check_rc("set_singleshot_timer(+2 ms)", hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &s),
             0);
    check_rc("stop_singleshot_timer", hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL), 0);
    check_rc("poll (+5 ms timeout)", sched_poll(&port, 1, now + 5 * MS), 0);
    check_true("stop_singleshot_timer cancels the timer", !evtchn_pending(port));
}

static void test_periodic(void)
{
    struct vcpu_set_periodic_timer p;
    unsigned long n;

    /* The default: every PV vCPU starts with a 10 ms periodic timer. */
    n = spin_ticks(35 * MS);
    printk(TIME_PREFIX "default periodic timer: %lu ticks in 35 ms\n", n);
    check_true("default 10 ms periodic timer: 2 to 4 ticks in 35 ms", n >= 2 && n <= 4);

    p.period_ns = 999999;
    check_rc("set_periodic_timer(999999 ns)", hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &p),
             -XEN_EINVAL);
    p.period_ns = 1 * MS;
    check_rc("set_periodic_timer(1 ms)", hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &p), 0);
    n = spin_ticks(10 * MS + 500 * US);
    printk(TIME_PREFIX "1 ms periodic timer: %lu ticks in 10.5 ms\n", n);
    /* Never more often than the period; a bare-metal timer may fire up to a period late. */
    check_true("1 ms periodic timer: 5 to 11 ticks in 10.5 ms", n >= 5 && n <= 11);

    check_rc("stop_periodic_timer", hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
    evtchn_test_and_clear(port); /* a tick that came in while masked */
    n = spin_ticks(5 * MS);
    check_true("no ticks after stop_periodic_timer", n == 0);
}

static void test_poll(void)
{
    uint64_t now = pvclock_now();

    events_disable();
    check_rc("set_timer_op(+2 ms)", hypercall_set_timer_op(now + 2 * MS), 0);
    check_rc("poll (timer port, +10 ms timeout)", sched_poll(&port, 1, now + 10 * MS), 0);
    check_true("poll wakes on the timer port", evtchn_pending(port));
    last_tick_ns = pvclock_now();
    check_on_time("poll woken by the +2 ms timer", now + 2 * MS);
    evtchn_test_and_clear(port);

    now = pvclock_now();
    check_rc("poll (timeout passed)", sched_poll(&port, 1, now - 1), 0);
    check_true("poll with a past timeout returns at once", pvclock_now() - now < 1 * MS);

    now = pvclock_now();
    check_rc("poll (nothing armed, +4 ms timeout)", sched_poll(&port, 1, now + 4 * MS), 0);
    last_tick_ns = pvclock_now();
    check_on_time("poll timeout +4 ms", now + 4 * MS);
}

void test_main(void)
{
    long rc;

    slack_ns = cmdline_get_ulong("slack_us", 20000) * US;
    rc = evtchn_bind_virq(VIRQ_TIMER, 0);
    if (rc <= 0) {
        xtf_error("bind_virq(VIRQ_TIMER) failed: %ld", rc);
        return;
    }
    port = (evtchn_port_t)rc;
    event_set_handler(port, timer_handler, NULL);
    printk("VIRQ_TIMER on port %u\n", port);

    /* Periodic first, while the default 10 ms timer is still there; then no periodic timer. */
    test_periodic();
    test_singleshot();
    test_past();
    test_stop();
    test_poll();

    printk(TIME_PREFIX "%lu upcalls, %lu handled\n", events_upcalls, events_handled);
    if (events_unhandled)
        xtf_failure("%lu events without a handler", events_unhandled);
    if (!xtf_has_failures())
        xtf_success(NULL);
}
