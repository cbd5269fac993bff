/* The fake machine under the core fuzz targets (see fuzz_arch.h): arch_* hooks over a RAM buffer.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include "fuzz_arch.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv/arch.h"
#include "hv/builder.h"
#include "hv/lib.h"

struct fz_machine fz;
int (*fz_memcmp)(const void *a, const void *b, size_t n);
void *(*fz_memcpy)(void *dst, const void *src, size_t n);

static void find_libc(void)
{
    /* RTLD_NEXT from the executable skips the interceptors it contains. */
    fz_memcmp = (int (*)(const void *, const void *, size_t))dlsym(RTLD_NEXT, "memcmp");
    fz_memcpy = (void *(*)(void *, const void *, size_t))dlsym(RTLD_NEXT, "memcpy");
    if (!fz_memcmp)
        fz_memcmp = memcmp;
    if (!fz_memcpy)
        fz_memcpy = memcpy;
}

void fz_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz oracle: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void *zalloc_aligned(size_t n)
{
    void *p;
    if (posix_memalign(&p, 4096, n ? n : 1))
        fz_die("cannot allocate %zu bytes", n);
    memset(p, 0, n);
    return p;
}

/* fd's first `bytes` mapped with `prot`, an inaccessible page on each side (as ASan's redzones). */
static uint8_t *map_guarded(int fd, size_t bytes, int prot)
{
    uint8_t *p = mmap(NULL, bytes + 2 * PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED ||
        mmap(p + PAGE_SIZE, bytes, prot, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
        fz_die("cannot map %zu bytes", bytes);
    return p + PAGE_SIZE;
}

/* Zeroed memory mapped twice, writable (*rw) and read-only (*ro); its memfd, or -1 if closed. */
static int map_twice(size_t bytes, uint8_t **rw, const uint8_t **ro, bool keep_fd)
{
    int fd = memfd_create("hvsim-fuzz", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)bytes))
        fz_die("cannot create %zu bytes of shared memory", bytes);
    *rw = map_guarded(fd, bytes, PROT_READ | PROT_WRITE);
    *ro = map_guarded(fd, bytes, PROT_READ);
    if (keep_fd)
        return fd;
    close(fd);
    return -1;
}

/* Every frame of the RAM memfd on its own, an inaccessible page before each and after the last. */
static uint8_t *map_apart(int prot)
{
    size_t span = (2 * fz.nr_frames + 1) * PAGE_SIZE;
    uint8_t *w = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED)
        fz_die("cannot reserve %zu bytes", span);
    for (uint64_t m = 0; m < fz.nr_frames; m++)
        if (mmap(w + (2 * m + 1) * PAGE_SIZE, PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED, fz.ram_fd,
                 (off_t)(m * PAGE_SIZE)) == MAP_FAILED)
            fz_die("cannot map frame 0x%llx apart", (unsigned long long)m);
    return w;
}

void fz_frames_apart(void)
{
    fz.win_rw = map_apart(PROT_READ | PROT_WRITE);
    fz.win_ro = map_apart(PROT_READ);
}

int64_t fz_window_frame(uintptr_t a, bool *past_end, bool *read_only)
{
    size_t span = (2 * fz.nr_frames + 1) * PAGE_SIZE;
    uintptr_t rw = (uintptr_t)fz.win_rw, ro = (uintptr_t)fz.win_ro, base;
    if (rw && a >= rw && a < rw + span)
        base = rw, *read_only = false;
    else if (ro && a >= ro && a < ro + span)
        base = ro, *read_only = true;
    else
        return -1;
    uint64_t page = (a - base) / PAGE_SIZE;
    *past_end = !(page & 1);
    return page ? (int64_t)((page - 1) / 2) : 0;
}

static void unmap_twice(void *rw, const void *ro, size_t bytes)
{
    if (!rw)
        return;
    munmap((uint8_t *)rw - PAGE_SIZE, bytes + 2 * PAGE_SIZE);
    munmap((uint8_t *)ro - PAGE_SIZE, bytes + 2 * PAGE_SIZE);
}

void fz_core_reset(void)
{
    /* Frame 0 stays the hypervisor's, as on the simulator and bare metal: MFN 0 means "none". */
    static const uint64_t reserved[] = {0};
    hv_init(fz.nr_frames, fz.meta, reserved, 1);
}

void fz_machine_init(uint64_t nr_frames)
{
    unmap_twice(fz.ram, fz.ram_ro, fz.nr_frames * PAGE_SIZE);
    unmap_twice(fz.meta, fz.meta_ro, fz.meta_bytes);
    if (fz.win_rw) {
        munmap(fz.win_rw, (2 * fz.nr_frames + 1) * PAGE_SIZE);
        munmap((void *)fz.win_ro, (2 * fz.nr_frames + 1) * PAGE_SIZE);
    }
    if (fz.ram && fz.ram_fd >= 0)
        close(fz.ram_fd);
    free(fz.touched);
    free(fz.touch_at);
    memset(&fz, 0, sizeof(fz));
    find_libc();
    fz.nr_frames = nr_frames;
    uint8_t *rw;
    fz.ram_fd = map_twice(nr_frames * PAGE_SIZE, &rw, &fz.ram_ro, true);
    fz.ram = rw;
    fz.meta_bytes = (mm_meta_bytes(nr_frames) + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
    map_twice(fz.meta_bytes, &rw, &fz.meta_ro, false);
    fz.meta = rw;
    fz.touched = zalloc_aligned(nr_frames);
    fz.touch_at = zalloc_aligned(nr_frames * sizeof(*fz.touch_at));
    fz.tsc = 1000000;
    hv_log_dropped = getenv("FUZZ_VERBOSE") == NULL; /* (hv_log lines are only for reading) */
    fz_core_reset();
}

void fz_touched_clear(void)
{
    for (size_t i = 0; i < fz.nr_touched; i++)
        fz.touched[fz.touch_at[i]] = 0;
    fz.nr_touched = 0;
}

void fz_touch(uint64_t m)
{
    if (!fz.touched[m]) {
        fz.touched[m] = 1;
        fz.touch_at[fz.nr_touched++] = (uint32_t)m;
    }
}

void *arch_mfn_to_virt(mfn_t mfn)
{
    uint64_t m = mfn_x(mfn);
    /* The contract: valid for mfn < nr_frames. Anything else is a core bug, not guest input. */
    if (m >= fz.nr_frames)
        fz_die("arch_mfn_to_virt(0x%llx) beyond the machine's 0x%llx frames", (unsigned long long)m,
               (unsigned long long)fz.nr_frames);
    bool ro = false;
    if (fz.track) {
        ro = fz.on_touch && fz.on_touch(m);
        fz_touch(m);
    }
    /* (A write through a read-only mapping faults; so does any access past a frame apart.) */
    if (fz.win_rw)
        return (ro ? (uint8_t *)fz.win_ro : fz.win_rw) + (2 * m + 1) * PAGE_SIZE;
    return ro ? (void *)(fz.ram_ro + m * PAGE_SIZE) : fz.ram + m * PAGE_SIZE;
}

void arch_log(const char *s, size_t len)
{
    /* Silent by default (hv_log_dropped): logging every refused hypercall would dominate. */
    fprintf(stderr, "hv: %.*s\n", (int)len, s);
}

void arch_console_io_write(struct domain *d, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\n'))
            fz_die("console_io wrote byte 0x%02x: a domU's output must be filtered to text",
                   (unsigned char)s[i]);
    fz.con_out_bytes += len;
}

size_t arch_console_io_read(struct domain *d, char *buf, size_t len)
{
    size_t n = len < fz.con_in_len ? len : fz.con_in_len;
    if (!n)
        return 0;
    memcpy(buf, fz.con_in, n);
    fz.con_in += n;
    fz.con_in_len -= n;
    return n;
}

uint64_t arch_tsc_now(void)
{
    return fz.tsc;
}

uint64_t arch_tsc_khz(void)
{
    return 3000000;
}

/* No TSC jumps or warps in the fuzzer: every vCPU reads the machine's TSC. */
uint64_t arch_vcpu_tsc(const struct vcpu *v, uint64_t tsc)
{
    (void)v;
    return tsc;
}

void arch_vcpu_deschedule(struct vcpu *v)
{
    if (fz.on_deschedule)
        fz.on_deschedule(v);
}

void arch_vcpu_kick(struct vcpu *v)
{
    if (fz.on_kick)
        fz.on_kick(v);
}

void arch_mmu_changed(struct vcpu *v)
{
    /* Nothing cached here: every guest access walks the tables again. */
}

void arch_segments_changed(struct vcpu *v) {}

void arch_evtchn_backend_notify(struct domain *d, uint32_t port, unsigned int backend)
{
    if (fz.on_backend_notify)
        fz.on_backend_notify(d, port, backend);
}

void arch_trace(const struct trace_rec *r)
{
    if (fz.on_trace)
        fz.on_trace(r);
}

void arch_panic(const char *msg)
{
    fprintf(stderr, "fuzz arch: hypervisor panic: %s\n", msg);
    abort();
}

bool fz_result_valid(long rc)
{
    /* Every value of Xen's public errno.h (xen-abi.md 1.4). */
    static const unsigned char xen_errno[] = {
        1,  2,  3,  4,  5,  6,  7,  9,  10, 11, 12, 13,  14,  16,  17,  18,
        19, 20, 21, 22, 23, 24, 28, 30, 31, 33, 34, 35,  36,  37,  38,  39,
        61, 62, 74, 75, 84, 85, 88, 90, 95, 98, 99, 105, 106, 107, 110, 111,
    };
    static uint64_t valid[2]; /* as a bitmap indexed by errno (all below 128) */
    if (!valid[0])
        for (size_t i = 0; i < sizeof(xen_errno); i++)
            valid[xen_errno[i] / 64] |= 1ULL << (xen_errno[i] % 64);
    if (rc >= 0)
        return true;
    return rc > -128 && (valid[-rc / 64] >> (-rc % 64) & 1);
}
