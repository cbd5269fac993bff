/* Time on bare metal: the TSC calibrated against the PIT, and the local APIC timer as the tick. */
#include "hv/lib.h"
#include "x86.h"

/*
 * The core's clock is a virtual TSC, as in the simulator: tsc_start (the
 * tsc_start= option, else 0) plus the real TSC cycles since boot rescaled
 * to tsc_khz (the tsc_khz= option, else the measured frequency). Guests
 * read it through the core's RDTSC emulation (CR4.TSD), so a scenario's
 * tsc_khz and tsc_start mean the same on hardware. The LAPIC timer gives a
 * periodic tick that runs the core's timers and ends time slices.
 */
#define PIT_HZ 1193182
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_PERIODIC (1u << 17)
#define LVT_MASKED (1u << 16)

static uint64_t tsc_khz, tsc_boot, lapic_per_ms;
uint64_t opt_tsc_khz, opt_tsc_start; /* hv options; 0 = the real frequency / start at 0 */
static uint64_t virt_khz;
static uint64_t virt_ratio; /* virtual cycles per real cycle, 32.32 fixed point */
static volatile uint32_t *lapic;

static uint32_t lapic_read(unsigned int reg)
{
    return lapic[reg / 4];
}
static void lapic_write(unsigned int reg, uint32_t v)
{
    lapic[reg / 4] = v;
}

/* PIT channel 2 one-shot of `ms` milliseconds (at most 50), polled through port 0x61. */
static void pit_start(unsigned int ms)
{
    uint32_t latch = PIT_HZ * ms / 1000;

    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
    outb(0x43, 0xb0);                                  /* channel 2, lo/hi, mode 0 */
    outb(0x42, (uint8_t)latch);
    outb(0x42, (uint8_t)(latch >> 8));
}
static bool pit_done(void)
{
    return inb(0x61) & 0x20;
}

void pit_wait_ms(unsigned int ms)
{
    pit_start(ms);
    for (unsigned long i = 0; !pit_done(); i++)
        if (i > 1000000000UL)
            hv_panic("PIT channel 2 never finished counting");
}

void time_calibrate(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);

    if (!(base & (1u << 11)))
        wrmsr(MSR_APIC_BASE, base | (1u << 11)); /* xAPIC enable */
    lapic = maddr_to_virt(base & ~0xfffULL);
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);

    /* Best of three 10 ms windows: the shortest is the least disturbed. */
    uint64_t best_tsc = ~0ULL, best_lapic = 0;
    for (int k = 0; k < 3; k++) {
        lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
        pit_start(10);
        uint64_t t0 = rdtsc();
        uint32_t a0 = lapic_read(LAPIC_TIMER_CUR);
        for (unsigned long i = 0; !pit_done(); i++)
            if (i > 1000000000UL)
                hv_panic("PIT channel 2 never finished counting");
        uint64_t t1 = rdtsc();
        uint32_t a1 = lapic_read(LAPIC_TIMER_CUR);
        if (t1 - t0 < best_tsc) {
            best_tsc = t1 - t0;
            best_lapic = a0 - a1;
        }
    }
    lapic_write(LAPIC_TIMER_INIT, 0);
    /* The PIT counted latch ticks exactly: scale from that, not from the nominal 10 ms. */
    uint64_t latch = PIT_HZ * 10 / 1000;
    tsc_khz = best_tsc * PIT_HZ / latch / 1000;
    lapic_per_ms = best_lapic * PIT_HZ / latch / 1000;
    if (!tsc_khz || !lapic_per_ms)
        hv_panic("TSC/LAPIC calibration failed (tsc %llu, lapic %llu per 10 ms)",
                 (unsigned long long)best_tsc, (unsigned long long)best_lapic);
    /* tsc_khz < 2^32, so the ratio fits and its error is below 2^-32 relative. */
    virt_khz = opt_tsc_khz ? opt_tsc_khz : tsc_khz;
    virt_ratio = (virt_khz << 32) / tsc_khz;
    tsc_boot = rdtsc();
}

uint64_t x86_virtual_tsc(void)
{
    uint64_t real = rdtsc() - tsc_boot;

    return opt_tsc_start + (uint64_t)(((unsigned __int128)real * virt_ratio) >> 32);
}

uint64_t x86_virtual_tsc_khz(void)
{
    return virt_khz;
}

void timer_start(unsigned int hz)
{
    uint64_t count = lapic_per_ms * 1000 / hz;

    lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, (uint32_t)(count ? count : 1));
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

uint64_t x86_tsc_khz(void)
{
    return tsc_khz;
}

uint64_t x86_tsc_boot(void)
{
    return tsc_boot;
}

/*
 * The legacy PICs are not used: remap them away from the exception
 * vectors (to 0xe0..0xef, which the hypervisor owns and ignores, so even a
 * spurious IRQ 7/15 is harmless) and mask every line.
 */
void pic_disable(void)
{
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, VEC_PIC_BASE);
    outb(0xa1, VEC_PIC_BASE + 8);
    outb(0x21, 4);
    outb(0xa1, 2);
    outb(0x21, 1);
    outb(0xa1, 1);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}
