/* Guest test "clock": the pvclock system time is monotonic and runs at the TSC's rate. */

/*
 * What it checks, with the 96-bit product of lib/pvclock.c:
 * - the product itself against a two-halves reference for deltas up to
 *   2^63 ticks at every shift from -4 to +4, and that a 64-bit product
 *   (GNU Mach's 2009 bug) is exactly 2^32 ns short once the result passes
 *   2^32 ns;
 * - the vcpu_time_info record: even version, mul in [2^31, 2^32), the
 *   frequency it encodes equal to tsc_khz= (1 ppm), shift negative exactly
 *   when the TSC runs above 2 GHz;
 * - for ms= milliseconds of virtual time, bursts of clock reads every
 *   step_us= microseconds (sleeping on a VIRQ_TIMER singleshot in between):
 *   every read is at least the one before, and the time that passed matches
 *   the TSC ticks that passed; wrap=1 also requires the TSC to wrap past
 *   2^64 during the run (the reads must stay monotonic across it);
 * - the wallclock: wc_nsec below 10^9 and, with wc_sec=, the seconds.
 * A FAILURE means the hypervisor's time record, its TSC or its timers are
 * wrong (or a guest clock built on them would be).
 */
#include "xtf.h"

const char test_title[] = "pvclock: monotonic system time at the TSC rate, wallclock";

#define BURST 32

static volatile bool timer_fired;
static evtchn_port_t timer_port;

static void timer_handler(evtchn_port_t port, void *ctx)
{
    (void)port;
    (void)ctx;
    timer_fired = true;
}

/* Sleep until system time reaches `at`: singleshot timer, then block until its event. */
static void sleep_until(uint64_t at)
{
    events_disable();
    timer_fired = false;
    if (hypercall_set_timer_op(at))
        xtf_failure("set_timer_op failed");
    while (!timer_fired) {
        sched_block(); /* enables upcalls; the handler has run when it returns */
        events_disable();
    }
}

/* The reference: (delta * mul) >> 32 from two 32-bit halves, after the shift. */
static uint64_t ref_scale(uint64_t delta, uint32_t mul, int shift)
{
    delta = shift < 0 ? delta >> -shift : delta << shift;
    return (delta >> 32) * mul + (((delta & 0xffffffffu) * mul) >> 32);
}

static void check_product(void)
{
    static const uint32_t muls[] = {0x80000000u, 0xA0000000u, 0xAAAAAAAAu, 0xD5555555u,
                                    0xFFFFFFFFu};
    unsigned int bad = 0, n = 0;

    for (unsigned int i = 0; i < ARRAY_SIZE(muls); i++) {
        for (int shift = -4; shift <= 4; shift++) {
            for (unsigned int b = 0; b < 64; b++) {
                uint64_t d = (1ULL << b) + (b * 0x9E3779B97F4A7C15ULL >> (64 - b / 2 - 1));

                n++;
                if (pvclock_scale_delta(d, muls[i], (int8_t)shift) != ref_scale(d, muls[i], shift))
                    bad++;
            }
        }
    }
    if (bad)
        xtf_failure("pvclock_scale_delta differs from the reference in %u of %u cases", bad, n);
    else
        printk("96-bit product: %u cases agree with the two-halves reference\n", n);

    /* 3 GHz (shift -1, mul 0xAAAAAAAA): 4.29 s is fine in 64 bits, 4.30 s is not. */
    uint64_t d429 = 3000000000ULL * 429 / 100, d430 = 3000000000ULL * 430 / 100;
    uint64_t ok = ((d429 >> 1) * 0xAAAAAAAAULL) >> 32,
             wrapped = ((d430 >> 1) * 0xAAAAAAAAULL) >> 32;

    if (ok != pvclock_scale_delta(d429, 0xAAAAAAAAu, -1) ||
        pvclock_scale_delta(d430, 0xAAAAAAAAu, -1) - wrapped != 1ULL << 32)
        xtf_failure("64-bit product at 3 GHz: expected right at 4.29 s, 2^32 ns short at 4.30 s");
    else
        printk("64-bit product at 3 GHz: right at 4.29 s, exactly 2^32 ns short at 4.30 s "
               "(%llu ns)\n",
               (unsigned long long)wrapped);
}

static void check_record(void)
{
    struct pvclock_snap s;
    unsigned long khz = cmdline_get_ulong("tsc_khz", 0);

    pvclock_snapshot(0, &s, NULL);
    printk(TIME_PREFIX "record: version %u tsc_timestamp %#llx system_time %llu mul %#x shift %d\n",
           s.version, (unsigned long long)s.tsc_timestamp, (unsigned long long)s.system_time, s.mul,
           s.shift);
    if (s.version & 1)
        xtf_failure("vcpu_time_info version %u is odd outside an update", s.version);
    if (s.mul < 0x80000000u)
        xtf_failure("tsc_to_system_mul %#x below 2^31", s.mul);
    if (!khz)
        return;

    uint64_t hz = pvclock_tsc_hz(s.mul, s.shift), want = khz * 1000ULL;
    uint64_t err = hz > want ? hz - want : want - hz;

    if (err > want / 1000000)
        xtf_failure("the record's scale means %llu Hz, expected %llu Hz", (unsigned long long)hz,
                    (unsigned long long)want);
    else
        printk("scale: %lu kHz, shift %d, mul %#x\n", khz, s.shift, s.mul);
    if ((s.shift < 0) != (khz > 2000000))
        xtf_failure("tsc_shift %d at %lu kHz: Xen's is negative exactly above 2 GHz", s.shift, khz);
}

static void check_wallclock(void)
{
    uint64_t sec;
    uint32_t nsec;
    unsigned long want = cmdline_get_ulong("wc_sec", ~0UL);

    pvclock_wallclock(&sec, &nsec);
    printk(TIME_PREFIX "wallclock at boot %llu.%09u s, now + %llu ns\n", (unsigned long long)sec,
           nsec, (unsigned long long)pvclock_now());
    if (nsec >= 1000000000u)
        xtf_failure("wc_nsec %u is not below 10^9", nsec);
    if (want != ~0UL && sec != want)
        xtf_failure("wc_sec %llu, expected %lu", (unsigned long long)sec, want);
    else if (want != ~0UL)
        printk("wallclock: %lu s at system time 0\n", want);
}

void test_main(void)
{
    uint64_t run_ns = cmdline_get_ulong("ms", 3000) * 1000000ULL;
    uint64_t step_ns = cmdline_get_ulong("step_us", 50000) * 1000ULL;
    bool want_wrap = cmdline_get_ulong("wrap", 0);
    unsigned long backwards = 0, reads = 0, wraps = 0;
    long rc;

    check_product();
    check_record();
    check_wallclock();

    rc = evtchn_bind_virq(VIRQ_TIMER, 0);
    if (rc <= 0) {
        xtf_error("bind_virq(VIRQ_TIMER) failed: %ld", rc);
        return;
    }
    timer_port = (evtchn_port_t)rc;
    event_set_handler(timer_port, timer_handler, NULL);
    hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL); /* only our singleshot wakes us */

    struct pvclock_snap first;
    uint64_t prev, prev_tsc, start;

    pvclock_read(0, &first, NULL);
    start = prev = pvclock_time_at(&first, first.tsc);
    prev_tsc = first.tsc;
    while (prev - start < run_ns) {
        for (unsigned int i = 0; i < BURST; i++) {
            struct pvclock_snap s;
            uint64_t now;

            pvclock_read(0, &s, NULL);
            now = pvclock_time_at(&s, s.tsc);
            reads++;
            if (s.tsc < prev_tsc)
                wraps++;
            if (now < prev && backwards++ < 5)
                printk(TIME_PREFIX "read %lu: %llu ns after %llu ns (tsc %#llx after %#llx)\n",
                       reads, (unsigned long long)now, (unsigned long long)prev,
                       (unsigned long long)s.tsc, (unsigned long long)prev_tsc);
            prev = now;
            prev_tsc = s.tsc;
        }
        sleep_until(prev + step_ns);
    }

    /* The rate: ns that passed against the TSC ticks that passed, at the record's scale. */
    struct pvclock_snap last;

    pvclock_read(0, &last, NULL);
    uint64_t elapsed = pvclock_time_at(&last, last.tsc) - start;
    uint64_t by_tsc = pvclock_scale_delta(last.tsc - first.tsc, last.mul, last.shift);
    uint64_t diff = elapsed > by_tsc ? elapsed - by_tsc : by_tsc - elapsed;

    printk(TIME_PREFIX "%lu reads over %llu ns (TSC says %llu ns), %lu wraps\n", reads,
           (unsigned long long)elapsed, (unsigned long long)by_tsc, wraps);
    if (diff > 1000)
        xtf_failure("system time moved %llu ns while the TSC moved %llu ns",
                    (unsigned long long)elapsed, (unsigned long long)by_tsc);
    if (backwards)
        xtf_failure("%lu of %lu clock reads went backwards", backwards, reads);
    else
        printk("monotonic: every read at least the one before\n");
    if (want_wrap && !wraps)
        xtf_failure("the TSC did not wrap during the run (wrap=1)");
    else if (want_wrap)
        printk("the TSC wrapped past 2^64 during the run\n");
    if (events_unhandled)
        xtf_failure("%lu events without a handler", events_unhandled);
    if (!xtf_has_failures())
        xtf_success(NULL);
}
