/* pvclock: seqlock reads of vcpu_time_info, the 96-bit scale, and the wallclock. */
#include "pvclock.h"
#include "time.h"

uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
#if defined(__x86_64__)
    uint64_t product;

    /* rdx:rax = delta * mul (128 bits), then the middle 64 bits: bits 32..95. */
    asm("mulq %[mul]\n\t"
        "shrd $32, %%rdx, %%rax"
        : "=a"(product)
        : "0"(delta), [mul] "rm"((uint64_t)mul)
        : "rdx", "cc");
    return product;
#else
    /*
     * (delta * mul) >> 32 = (hi * mul) + ((lo * mul) >> 32) exactly, with
     * delta = hi * 2^32 + lo: the first term has no bits below 2^32.
     */
    uint32_t hi = (uint32_t)(delta >> 32), lo = (uint32_t)delta;

    return (uint64_t)hi * mul + (((uint64_t)lo * mul) >> 32);
#endif
}

static void read_record(unsigned int vcpu, struct pvclock_snap *s, unsigned long *retries,
                        bool with_tsc)
{
    const struct vcpu_time_info *t = &shared_info->vcpu_info[vcpu].time;
    uint32_t v;

    for (;;) {
        v = READ_ONCE(t->version);
        smp_rmb();
        s->tsc_timestamp = READ_ONCE(t->tsc_timestamp);
        s->system_time = READ_ONCE(t->system_time);
        s->mul = READ_ONCE(t->tsc_to_system_mul);
        s->shift = READ_ONCE(t->tsc_shift);
        if (with_tsc)
            s->tsc = rdtsc();
        smp_rmb();
        if (!(v & 1) && v == READ_ONCE(t->version))
            break;
        if (retries)
            (*retries)++;
    }
    s->version = v;
}

void pvclock_snapshot(unsigned int vcpu, struct pvclock_snap *s, unsigned long *retries)
{
    read_record(vcpu, s, retries, false);
    s->tsc = 0;
}

void pvclock_read(unsigned int vcpu, struct pvclock_snap *s, unsigned long *retries)
{
    read_record(vcpu, s, retries, true);
}

uint64_t pvclock_now(void)
{
    struct pvclock_snap s;

    pvclock_read(0, &s, NULL);
    return pvclock_time_at(&s, s.tsc);
}

uint64_t pvclock_tsc_hz(uint32_t mul, int8_t shift)
{
    /* 10^9 << 32 < 2^62; long division by shift and subtract (no libgcc on 32-bit). */
    uint64_t num = 1000000000ULL << 32, hz = 0, rem = 0;

    if (!mul)
        return 0;
    for (int bit = 63; bit >= 0; bit--) {
        rem = (rem << 1) | ((num >> bit) & 1);
        if (rem >= mul) {
            rem -= mul;
            hz |= 1ULL << bit;
        }
    }
    return shift < 0 ? hz << -shift : hz >> shift;
}

void pvclock_wallclock(uint64_t *sec, uint32_t *nsec)
{
    uint32_t v, lo, hi, ns;

    do {
        v = READ_ONCE(shared_info->wc_version);
        smp_rmb();
        lo = READ_ONCE(shared_info->wc_sec);
        ns = READ_ONCE(shared_info->wc_nsec);
#if defined(__x86_64__)
        hi = READ_ONCE(shared_info->wc_sec_hi);
#else
        hi = READ_ONCE(shared_info->arch.wc_sec_hi);
#endif
        smp_rmb();
    } while ((v & 1) || v != READ_ONCE(shared_info->wc_version));
    *sec = ((uint64_t)hi << 32) | lo;
    *nsec = ns;
}
