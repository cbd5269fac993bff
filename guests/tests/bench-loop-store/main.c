/* Benchmark guest "bench-loop-store": bench-loop with one memory store per iteration. */

/*
 * Same loop as bench-loop plus one store to a .bss variable per iteration
 * (`iters=N`, default 100000000). Unicorn 2.0.1 takes a slow path on every
 * guest store, so this measures that cost against bench-loop; the
 * simulator must not make it worse. Reports SUCCESS; the stored value is
 * printed so that the loop stays, and the TSC delta goes on a "[time] "
 * line.
 */
#include "xtf.h"

const char test_title[] = "Benchmark: loop with one store per iteration";

static unsigned long sink;

void test_main(void)
{
    unsigned long n = cmdline_get_ulong("iters", 100000000UL);
    unsigned long acc = 0x12345678, i = n;
    uint64_t t0, t1;

    printk("iters=%lu\n", n);
    t0 = rdtsc();
    if (i) {
        asm volatile("1:\n\t"
                     "add %[i], %[acc]\n\t"
                     "rol $5, %[acc]\n\t"
                     "xor $0x5bd1e995, %[acc]\n\t"
                     "mov %[acc], %[sink]\n\t"
                     "dec %[i]\n\t"
                     "jnz 1b"
                     : [acc] "+r"(acc), [i] "+r"(i), [sink] "=m"(sink));
    }
    t1 = rdtsc();
    printk("result %#lx sink %#lx\n", acc, READ_ONCE(sink));
    printk(TIME_PREFIX "tsc cycles %llu\n", (unsigned long long)(t1 - t0));
    xtf_success(NULL);
}
