/* A fake machine for core unit tests: RAM in a host buffer, hooks recorded. */
#include "fake_arch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arch.h"
#include "hv/builder.h"
#include "hv/time.h"
#include "hv/trace.h"

struct fake_machine fake;

void fake_machine_init(uint64_t nr_frames)
{
    uint64_t khz = fake.tsc_khz;
    static const struct time_config defaults; /* refresh xen, wallclock 0 */

    free(fake.ram);
    free(fake.meta);
    memset(&fake, 0, sizeof(fake));
    fake.tsc_khz = khz;
    time_configure(&defaults);
    fake.nr_frames = nr_frames;
    if (posix_memalign((void **)&fake.ram, 4096, nr_frames * 4096))
        abort();
    memset(fake.ram, 0, nr_frames * 4096);
    size_t meta = mm_meta_bytes(nr_frames);
    if (posix_memalign(&fake.meta, 4096, meta))
        abort();
    uint64_t reserved[] = {0};
    hv_init(nr_frames, fake.meta, reserved, 1);
    fake.tsc = 1000000;
}

void *arch_mfn_to_virt(mfn_t mfn)
{
    if (mfn_x(mfn) >= fake.nr_frames) {
        fprintf(stderr, "fake arch: mfn %llx out of range\n", (unsigned long long)mfn_x(mfn));
        abort();
    }
    return fake.ram + mfn_x(mfn) * 4096;
}

void arch_log(const char *s, size_t len)
{
    if (getenv("FAKE_ARCH_VERBOSE"))
        fprintf(stderr, "hv: %.*s\n", (int)len, s);
}

void arch_console_io_write(struct domain *d, const char *s, size_t len)
{
    size_t room = sizeof(fake.console) - 1 - fake.console_len;
    if (len > room)
        len = room;
    memcpy(fake.console + fake.console_len, s, len);
    fake.console_len += len;
    fake.console[fake.console_len] = 0;
}

size_t arch_console_io_read(struct domain *d, char *buf, size_t len)
{
    return 0;
}
uint64_t arch_tsc_now(void)
{
    return fake.tsc;
}
uint64_t arch_tsc_khz(void)
{
    return fake.tsc_khz ? fake.tsc_khz : 3000000;
}
uint64_t arch_vcpu_tsc(const struct vcpu *v, uint64_t tsc)
{
    return tsc + fake.guest_tsc_offset;
}
void arch_vcpu_deschedule(struct vcpu *v)
{
    fake.nr_deschedule++;
}
void arch_vcpu_kick(struct vcpu *v)
{
    fake.nr_kick++;
}
void arch_mmu_changed(struct vcpu *v)
{
    fake.nr_mmu_changed++;
}
void arch_segments_changed(struct vcpu *v)
{
    fake.nr_seg_changed++;
}

void arch_evtchn_backend_notify(struct domain *d, uint32_t port, unsigned int backend)
{
    fake.nr_backend_notify++;
    fake.last_backend_port = port;
}

void arch_trace(const struct trace_rec *r)
{
    fake.nr_trace++;
    fake.last_trace = *r;
    fake.last_trace.text = NULL;
}

void arch_panic(const char *msg)
{
    fprintf(stderr, "fake arch: hypervisor panic: %s\n", msg);
    abort();
}
