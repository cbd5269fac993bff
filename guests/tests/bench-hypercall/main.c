/* Benchmark guest "bench-hypercall": the cost of one cheap hypercall round trip. */

/*
 * Makes `iters=N` (command line, default 1000000) calls of
 * xen_version(XENVER_version), the cheapest hypercall there is: syscall
 * into the hypervisor, a switch, return. It measures the simulator's
 * hypercall entry/exit path. Every result is checked against the first
 * one (a changing version would be a bug worth an ERROR, not a number);
 * otherwise SUCCESS. The TSC delta goes on a "[time] " line.
 */
#include "xtf.h"

const char test_title[] = "Benchmark: xen_version hypercall round trips";

void test_main(void)
{
    unsigned long n = cmdline_get_ulong("iters", 1000000UL);
    long first = hypercall_xen_version(XENVER_version, NULL);
    unsigned long mismatches = 0;
    uint64_t t0, t1;

    printk("iters=%lu version %#lx\n", n, first);
    t0 = rdtsc();
    for (unsigned long i = 0; i < n; i++) {
        if (hypercall_xen_version(XENVER_version, NULL) != first)
            mismatches++;
    }
    t1 = rdtsc();
    printk(TIME_PREFIX "tsc cycles %llu\n", (unsigned long long)(t1 - t0));
    if (mismatches)
        xtf_error("xen_version(version) changed its result %lu times", mismatches);
    else
        xtf_success(NULL);
}
