/* Guest test "tick": an idle kernel on a 10 ms timer tick, blocking between ticks. */

/*
 * The shape of an idle PV kernel with a HZ=100 tick: VIRQ_TIMER bound, and
 * SCHEDOP_block until the next tick, every period_us= (default 10000), for
 * upcalls= ticks (default 360000: one hour of virtual time). The tick is a
 * singleshot timer (set_timer_op) armed before each block at t0 + k * period,
 * so ticks do not drift; the vCPU's periodic timer is stopped. Xen runs a
 * periodic timer only while its vCPU is on a CPU (it stops it at every
 * context switch and catches up when the vCPU runs again), so a kernel that
 * blocked on the periodic timer alone would sleep for ever; and one that
 * kept it besides the singleshot would now and then get two ticks in one
 * period, since the periodic timer counts from when it last fired, a little
 * after each wake-up. Linux's and Mini-OS's idle loops use the singleshot.
 *
 * What it checks: the timer handler ran exactly upcalls= times, every
 * SCHEDOP_block returned with exactly one new tick (no lost and no spurious
 * wake-ups), no event came without a handler, and the pvclock time advanced
 * by upcalls * period within one period. Before the loop it measures what one
 * pvclock read (the seqlock copy of the time record plus the 96-bit product)
 * costs in TSC cycles, as the guest sees it. Counts and times go on
 * "[time] " lines. A FAILURE means timer events were lost, duplicated or
 * late, or the clock did not follow the virtual time the ticks stand for.
 */
#include "xtf.h"

const char test_title[] = "Tick: block until each 10 ms timer tick, count the upcalls";

#define US 1000ULL

static volatile unsigned long ticks;

static void tick_handler(evtchn_port_t p, void *ctx)
{
    (void)p;
    (void)ctx;
    ticks++;
}

/*
 * TSC cycles one pvclock_now() takes, less the cost of the rdtsc pair
 * around it. In the simulator the TSC counts guest instructions (times the
 * scenario's cycles_per_insn), so this is the read's cost in that model.
 */
static uint64_t pvclock_read_cycles(void)
{
    uint64_t t0, t1, empty;

    t0 = rdtsc();
    t1 = rdtsc();
    empty = t1 - t0;
    t0 = rdtsc();
    (void)pvclock_now();
    t1 = rdtsc();
    return t1 - t0 - empty;
}

void test_main(void)
{
    unsigned long n = cmdline_get_ulong("upcalls", 360000);
    unsigned long period_us = cmdline_get_ulong("period_us", 10000);
    uint64_t period = period_us * US;
    unsigned long blocks = 0, bad_wakes = 0, before;
    uint64_t t0, t1, want, slack;
    evtchn_port_t port;
    long rc;

    rc = evtchn_bind_virq(VIRQ_TIMER, 0);
    if (rc <= 0) {
        xtf_error("bind_virq(VIRQ_TIMER) failed: %ld", rc);
        return;
    }
    port = (evtchn_port_t)rc;
    event_set_handler(port, tick_handler, NULL);
    if (!check_rc("stop_periodic_timer", hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0))
        return;
    printk("%lu ticks of %lu us, VIRQ_TIMER on port %u\n", n, period_us, port);
    printk(TIME_PREFIX "pvclock read: %llu cycles\n", (unsigned long long)pvclock_read_cycles());

    events_disable();
    evtchn_test_and_clear(port); /* a tick of the default timer that came in before */
    t0 = pvclock_now();
    while (ticks < n) {
        /* The next tick, from t0: the count of ticks so far says which one. */
        if (!check_rc("set_timer_op", hypercall_set_timer_op(t0 + (ticks + 1) * period), 0))
            return;
        before = ticks;
        sched_block(); /* enables upcalls; the handler has run when it returns */
        events_disable();
        blocks++;
        if (ticks != before + 1)
            bad_wakes++;
    }
    t1 = pvclock_now();

    want = (uint64_t)n * period;
    printk(TIME_PREFIX "%lu upcalls in %lu blocks; pvclock %llu ns at the first tick's arming, "
                       "%llu ns after the last (+%llu ns, expected %llu)\n",
           ticks, blocks, (unsigned long long)t0, (unsigned long long)t1,
           (unsigned long long)(t1 - t0), (unsigned long long)want);
    check_true("the handler ran once per tick", ticks == n);
    if (bad_wakes)
        xtf_failure("%lu of %lu blocks did not end with exactly one new tick", bad_wakes, blocks);
    if (events_unhandled)
        xtf_failure("%lu events without a handler", events_unhandled);
    slack = period;
    if (t1 - t0 + slack < want || t1 - t0 > want + slack)
        xtf_failure("the clock advanced %llu ns for %lu ticks of %llu ns (more than a period off)",
                    (unsigned long long)(t1 - t0), n, (unsigned long long)period);
    else
        printk("the clock advanced %lu periods, within one period\n", n);
    if (!xtf_has_failures())
        xtf_success(NULL);
}
