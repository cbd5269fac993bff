/* Benchmark guest "bench-rdtsc": the cost of one trapped-and-emulated rdtsc. */

/*
 * Executes `iters=N` (command line, default 1000000) rdtsc instructions.
 * With CR4.TSD set each one is a #GP that the hypervisor emulates, so this
 * measures the simulator's fault path. A non-increasing pair is counted
 * and reported as an ERROR (the rdtsc test is the real check); otherwise
 * SUCCESS. The TSC delta goes on a "[time] " line.
 */
#include "xtf.h"

const char test_title[] = "Benchmark: trapped rdtsc";

void test_main(void)
{
    unsigned long n = cmdline_get_ulong("iters", 1000000UL);
    unsigned long backwards = 0;
    uint64_t t0, prev, t;

    printk("iters=%lu\n", n);
    t0 = prev = rdtsc();
    for (unsigned long i = 0; i < n; i++) {
        t = rdtsc();
        if (t <= prev)
            backwards++;
        prev = t;
    }
    printk(TIME_PREFIX "tsc cycles %llu\n", (unsigned long long)(prev - t0));
    if (backwards)
        xtf_error("%lu rdtsc reads were not greater than the previous one", backwards);
    else
        xtf_success(NULL);
}
