/* Benchmark guest "bench-loop": a tight register-only loop, for raw CPU-emulation speed. */

/*
 * Runs `iters=N` (command line, default 100000000) iterations of a loop
 * that touches only registers (no loads, no stores, no traps), then
 * reports SUCCESS. `rounds=4` runs four mixing rounds per iteration (one
 * 14-instruction basic block) instead of one (a 5-instruction block): the
 * simulator's cost per executed block shows most in the tight form. It measures how fast the
 * simulator executes plain guest code; the result is the run time, not anything checked here. The
 * final accumulator is printed so the loop cannot be optimised away and so two runs can be
 * compared; the TSC delta goes on a "[time] " line.
 */
#include "xtf.h"

const char test_title[] = "Benchmark: register-only loop";

void test_main(void)
{
    unsigned long n = cmdline_get_ulong("iters", 100000000UL);
    unsigned long acc = 0x12345678, i = n;
    uint64_t t0, t1;

    printk("iters=%lu\n", n);
    t0 = rdtsc();
    if (i && cmdline_get_ulong("rounds", 1) == 4) {
        /* 14 instructions per iteration: four add/rotate/xor rounds, decrement, branch. */
        asm volatile("1:\n\t"
                     "add %[i], %[acc]\n\t"
                     "rol $5, %[acc]\n\t"
                     "xor $0x5bd1e995, %[acc]\n\t"
                     "add %[i], %[acc]\n\t"
                     "rol $5, %[acc]\n\t"
                     "xor $0x5bd1e995, %[acc]\n\t"
                     "add %[i], %[acc]\n\t"
                     "rol $5, %[acc]\n\t"
                     "xor $0x5bd1e995, %[acc]\n\t"
                     "add %[i], %[acc]\n\t"
                     "rol $5, %[acc]\n\t"
                     "xor $0x5bd1e995, %[acc]\n\t"
                     "dec %[i]\n\t"
                     "jnz 1b"
                     : [acc] "+r"(acc), [i] "+r"(i));
    } else if (i) {
        /* 5 instructions per iteration: add, xor-rotate mix, decrement, branch. */
        asm volatile("1:\n\t"
                     "add %[i], %[acc]\n\t"
                     "rol $5, %[acc]\n\t"
                     "xor $0x5bd1e995, %[acc]\n\t"
                     "dec %[i]\n\t"
                     "jnz 1b"
                     : [acc] "+r"(acc), [i] "+r"(i));
    }
    t1 = rdtsc();
    printk("result %#lx\n", acc);
    printk(TIME_PREFIX "tsc cycles %llu\n", (unsigned long long)(t1 - t0));
    xtf_success(NULL);
}
