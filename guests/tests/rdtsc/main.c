/* Guest test "rdtsc": the TSC seen by a PV guest only ever moves forward. */

/*
 * What it checks: 1000 back-to-back rdtsc reads are strictly increasing.
 * PV guests run with CR4.TSD set, so each read traps to the hypervisor's
 * #GP emulation, which returns its virtual TSC. A repeated or smaller
 * value means that virtual TSC stands still or runs backwards between
 * traps, which breaks every guest clock built on it (pvclock
 * extrapolates from the TSC). The first two values go on a "[time] " line
 * because they differ between machines.
 */
#include "xtf.h"

const char test_title[] = "RDTSC is strictly increasing";

#define NR_READS 1000

static uint64_t tsc[NR_READS];

void test_main(void)
{
    unsigned int bad = 0;

    for (unsigned int i = 0; i < NR_READS; i++)
        tsc[i] = rdtsc();

    printk(TIME_PREFIX "tsc[0] %#llx tsc[1] %#llx (delta %llu)\n", (unsigned long long)tsc[0],
           (unsigned long long)tsc[1], (unsigned long long)(tsc[1] - tsc[0]));

    for (unsigned int i = 1; i < NR_READS; i++) {
        if (tsc[i] > tsc[i - 1])
            continue;
        /* The values are machine-dependent: keep them on a [time] line, the verdict off it. */
        if (bad++ < 5)
            printk(TIME_PREFIX "read %u: %#llx after %#llx\n", i, (unsigned long long)tsc[i],
                   (unsigned long long)tsc[i - 1]);
    }
    if (bad)
        xtf_failure("%u of %u rdtsc reads were not greater than the previous one", bad,
                    NR_READS - 1);
    else
        xtf_success(NULL);
}
