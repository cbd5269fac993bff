/* Guest test "gnumach-clock": a model of GNU Mach's Xen clock, the 2009 code and the 2013 fix. */

/*
 * GNU Mach (xen/time.c, xen-abi.md 7) reads system time as
 * system_time + ((delta << shift) * mul) >> 32 with delta = TSC - tsc_timestamp.
 * The 2009 code forms the 64x32-bit product in 64 bits: once the time record
 * is more than 2^32 ns (4.295 s) old the product overflows and the result is
 * exactly 2^32 ns too small, at any TSC frequency. The 2013 fix splits delta
 * into 32-bit halves. variant=2009 or variant=2013 picks one (default 2013).
 *
 * The timer path is Mach's: clkstart binds VIRQ_TIMER, sets lastnsec and arms
 * set_timer_op(now + 10 ms); each VIRQ_TIMER runs hypclock_intr, which reads
 * nsec, and if nsec < lastnsec prints
 *   warning: nsec 0x%08lx%08lx < lastnsec 0x%08lx%08lx
 * and uses lastnsec instead (the clock stops), advances lastnsec by the delta
 * in whole us, gives the delta to the Mach clock and re-arms at its own
 * reading + 10 ms, which with the wrapped reading lies 4.28 s in the past and
 * fires at once: the VIRQ_TIMER storm. Mach's default 10 ms periodic timer is
 * left running, as Mach does. Between ticks the guest blocks (Mach's idle).
 *
 * The model adds a watchdog, which uses a correct clock (lib/pvclock.c):
 * - FAILURE when the Mach clock has not advanced for more than stall_ms=
 *   milliseconds (default 100) of correct time; before that it checks that
 *   the first warning came between 2^32 ns and 2^32 ns + one tick (11 ms)
 *   after the time record was written, that nsec was exactly 2^32 ns behind
 *   the correct reading of the same TSC value, and that lastnsec stayed the
 *   same in every warning, and says so;
 * - SUCCESS after run_ms= milliseconds (default 5000) of correct time, if
 *   the Mach clock kept up (it lags by less than two ticks).
 * Warnings and times go on "[time] " lines: their values and how many there
 * are depend on the machine.
 */
#include "xtf.h"

const char test_title[] = "GNU Mach Xen clock model (nsec < lastnsec)";

#define MS 1000000UL
#define TICK_NS (10 * MS)

static unsigned long variant, stall_ns, run_ns;

/* --- The Mach side: hyp_get_stime, hypclock_intr, clkstart --- */

static uint64_t lastnsec; /* Mach's: ns of system time the Mach clock has accounted for */
static uint64_t mach_us;  /* the Mach clock: us handed to clock_interrupt */
static struct pvclock_snap last_read; /* what the last hyp_get_stime saw (for the watchdog) */

static uint64_t hyp_get_stime(void)
{
    volatile struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
    uint32_t version, mul;
    uint64_t tsc, stamp, system_time, delta;
    int8_t shift;

    /* Mach's loop: it retries on a changed version only (not on an odd one). */
    do {
        version = t->version;
        smp_rmb();
        tsc = rdtsc();
        stamp = t->tsc_timestamp;
        system_time = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        smp_rmb();
    } while (version != t->version);

    last_read = (struct pvclock_snap){.version = version,
                                      .tsc_timestamp = stamp,
                                      .system_time = system_time,
                                      .mul = mul,
                                      .shift = shift,
                                      .tsc = tsc};
    delta = tsc - stamp;
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    if (variant == 2009)
        return system_time + ((delta * (uint64_t)mul) >> 32); /* wraps past 2^32 ns */

    /* 2013: the high half's product has no fraction bits; only the low half's is shifted. */
    uint64_t hi = delta >> 32, lo = (uint32_t)delta;

    return system_time + ((lo * mul) >> 32) + hi * mul;
}

static void watchdog(void);

static void hypclock_intr(evtchn_port_t port, void *ctx);

static void warn_nsec(uint64_t nsec);

static void hypclock_intr(evtchn_port_t port, void *ctx)
{
    uint64_t nsec, delta;

    (void)port;
    (void)ctx;
    if (!lastnsec)
        return;
    nsec = hyp_get_stime();
    if (nsec < lastnsec) {
        warn_nsec(nsec);
        nsec = lastnsec;
    }
    delta = nsec - lastnsec;
    lastnsec += delta / 1000 * 1000;
    mach_us += delta / 1000; /* hypclock_machine_intr: the Mach clock moves by delta */
    hypercall_set_timer_op(hyp_get_stime() + TICK_NS);
    watchdog();
}

static void clkstart(void)
{
    long rc = evtchn_bind_virq(VIRQ_TIMER, 0);

    if (rc <= 0) {
        xtf_error("bind_virq(VIRQ_TIMER) failed: %ld", rc);
        xtf_exit();
    }
    printk("clkstart: VIRQ_TIMER on port %ld\n", rc);
    event_set_handler((evtchn_port_t)rc, hypclock_intr, NULL);
    lastnsec = hyp_get_stime();
    hypercall_set_timer_op(hyp_get_stime() + TICK_NS);
}

/* --- The watchdog (not Mach's): a correct clock watching the Mach one --- */

static uint64_t start_ns, last_advance_ns, last_mach_us;
static unsigned long warnings;
static uint64_t first_lastnsec;
static bool lastnsec_moved, first_ok;
static volatile bool done;

static void warn_nsec(uint64_t nsec)
{
    printk(TIME_PREFIX "warning: nsec 0x%08lx%08lx < lastnsec 0x%08lx%08lx\n",
           (unsigned long)(nsec >> 32), (unsigned long)(uint32_t)nsec,
           (unsigned long)(lastnsec >> 32), (unsigned long)(uint32_t)lastnsec);
    if (warnings++) {
        if (lastnsec != first_lastnsec)
            lastnsec_moved = true;
        return;
    }

    /* The first one: how old was the record, and how far back did nsec fall? */
    uint64_t correct = pvclock_time_at(&last_read, last_read.tsc);
    uint64_t age = correct - last_read.system_time, back = correct - nsec;

    first_lastnsec = lastnsec;
    printk(TIME_PREFIX "first warning at %llu ns: the record is %llu ns old, nsec is %llu ns "
                       "behind\n",
           (unsigned long long)correct, (unsigned long long)age, (unsigned long long)back);
    if (back == 1ULL << 32)
        printk("nsec fell back by exactly 4.294967296 s (2^32 ns)\n");
    else
        xtf_failure("nsec fell back by %llu ns, not 2^32", (unsigned long long)back);
    first_ok = age >= 1ULL << 32 && age <= (1ULL << 32) + 11 * MS;
    if (first_ok)
        printk("first warning 4.295 s after the last time refresh, within one 10 ms tick\n");
    else
        xtf_failure("first warning %llu ns after the last time refresh", (unsigned long long)age);
}

static void watchdog(void)
{
    uint64_t now = pvclock_now();

    if (mach_us != last_mach_us) {
        last_mach_us = mach_us;
        last_advance_ns = now;
    }
    if (now - last_advance_ns > stall_ns) {
        printk(TIME_PREFIX "the Mach clock stopped at %llu us; %lu warnings; now %llu ns\n",
               (unsigned long long)mach_us, warnings, (unsigned long long)now);
        if (warnings && !lastnsec_moved)
            printk("lastnsec stayed constant in every warning\n");
        xtf_failure("the clock stopped advancing for more than %lu ms (variant %lu)", stall_ns / MS,
                    variant);
        xtf_exit(); /* from inside the storm: it never returns to the idle loop */
    }
    if (now - start_ns >= run_ns)
        done = true;
}

void test_main(void)
{
    variant = cmdline_get_ulong("variant", 2013);
    stall_ns = cmdline_get_ulong("stall_ms", 100) * MS;
    run_ns = cmdline_get_ulong("run_ms", 5000) * MS;
    if (variant != 2009 && variant != 2013) {
        xtf_error("variant=%lu: 2009 or 2013", variant);
        return;
    }
    printk("GNU Mach %lu clock (%s product), run %lu ms, stall limit %lu ms\n", variant,
           variant == 2009 ? "64-bit" : "split", run_ns / MS, stall_ns / MS);

    start_ns = last_advance_ns = pvclock_now();
    clkstart();

    /* Mach's idle loop: block until the next event, ticks run in the upcall. */
    events_disable();
    while (!done) {
        sched_block();
        events_disable();
    }

    uint64_t elapsed = pvclock_now() - start_ns, mach_ns = mach_us * 1000;

    printk(TIME_PREFIX "ran %llu ns; the Mach clock says %llu ns; %lu warnings\n",
           (unsigned long long)elapsed, (unsigned long long)mach_ns, warnings);
    if (warnings)
        xtf_failure("%lu nsec < lastnsec warnings", warnings);
    if (mach_ns > elapsed || elapsed - mach_ns > 2 * TICK_NS)
        xtf_failure("the Mach clock is off: %llu ns after %llu ns", (unsigned long long)mach_ns,
                    (unsigned long long)elapsed);
    else
        printk("the Mach clock kept up for %lu ms\n", run_ns / MS);
    if (!xtf_has_failures())
        xtf_success(NULL);
}
