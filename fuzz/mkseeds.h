/* Shared by the seed writers (mkseeds.c, mkseeds_hc.c): a seed being built and how to save it. */
#ifndef FUZZ_MKSEEDS_H
#define FUZZ_MKSEEDS_H

#include <stddef.h>
#include <stdint.h>

struct seed {
    uint8_t b[32768];
    size_t n;
};

/* Append the low `bytes` bytes of v, little endian. */
void put(struct seed *s, uint64_t v, unsigned bytes);
/* Write s to OUTDIR/dir/<printf name>; exits on error. */
void save(const char *dir, const struct seed *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mkseeds_hc.c: every seed of fuzz/corpus/hypercall. */
void seeds_hypercall(void);

#endif
