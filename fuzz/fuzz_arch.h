/* The fake machine under the core fuzz targets: RAM in one buffer, hooks that report to the target.
 */
#ifndef FUZZ_ARCH_H
#define FUZZ_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/mm.h"
#include "hv/trace.h"

/*
 * Like tests/unit/support/fake_arch.c, but built for speed and for oracles:
 * every frame the core asks for through arch_mfn_to_virt is recorded (so a
 * target can restore only what may have changed and can tell which frames
 * an operation reached), and the hooks that matter to an oracle (trace,
 * deschedule) call back into the target. A hypervisor panic aborts, so
 * libFuzzer reports it as a crash.
 */
struct fz_machine {
    uint8_t *ram; /* nr_frames * 4096 bytes, 4 KiB aligned */
    void *meta;   /* mm_meta_bytes(nr_frames) */
    /*
     * The same RAM and metadata mapped a second time, read-only: a write
     * through these addresses faults. A target hands them out where a write
     * would be a bug (see on_touch), so the hardware checks what it would
     * otherwise compare afterwards. Both mappings have an inaccessible page
     * on each side.
     */
    const uint8_t *ram_ro;
    const uint8_t *meta_ro;
    /*
     * With fz_frames_apart(): what arch_mfn_to_virt hands the core instead,
     * each frame mapped on its own with an inaccessible page after it (frame
     * m at win + (2m + 1) * 4096), writable (win_rw) and read-only (win_ro),
     * so an access past the end of a frame faults too. The target itself
     * keeps using ram.
     */
    uint8_t *win_rw;
    const uint8_t *win_ro;
    int ram_fd;
    size_t meta_bytes; /* mm_meta_bytes(nr_frames), whole pages */
    uint64_t nr_frames;
    uint64_t tsc;

    /* Frames the core has asked for since fz_touched_clear(). */
    bool track;
    uint8_t *touched;   /* nr_frames flags */
    uint32_t *touch_at; /* the frames, in order of first touch */
    size_t nr_touched;

    /* Bytes the console backend hands to CONSOLEIO_read (consumed as read). */
    const uint8_t *con_in;
    size_t con_in_len;
    uint64_t con_out_bytes;

    /* Target callbacks; NULL means "nothing to check". */
    /*
     * Every arch_mfn_to_virt while tracking, before marking: returns true
     * if the core must get the frame's read-only mapping.
     */
    bool (*on_touch)(uint64_t mfn);
    void (*on_trace)(const struct trace_rec *r);
    void (*on_deschedule)(struct vcpu *v);
    void (*on_kick)(struct vcpu *v);
    void (*on_backend_notify)(struct domain *d, uint32_t port, unsigned int backend);
};
extern struct fz_machine fz;

/*
 * The C library's own memcmp and memcpy, past the ASan and libFuzzer
 * interceptors: for the targets' bulk copies and comparisons of machine
 * state (kilobytes after every step), which are neither accesses worth
 * checking (the buffers are the targets' own) nor comparisons the fuzzer
 * could learn from. Set by fz_machine_init.
 */
extern int (*fz_memcmp)(const void *a, const void *b, size_t n);
extern void *(*fz_memcpy)(void *dst, const void *src, size_t n);

/* A machine of nr_frames frames (frame 0 reserved, as on the other machines) and a fresh core. */
void fz_machine_init(uint64_t nr_frames);
/* Map every frame apart for the core (win_rw, win_ro), before anything keeps a pointer to one. */
void fz_frames_apart(void);
/* The frame an address in win_rw or win_ro lies in or just after (-1: neither), and whether */
/* it is in the inaccessible page after the frame. */
int64_t fz_window_frame(uintptr_t addr, bool *past_end, bool *read_only);
/* Start the core again on the same buffers (hv_init); RAM is not cleared. */
void fz_core_reset(void);
/* Forget which frames were touched. */
void fz_touched_clear(void);
/* Record frame m as touched, as arch_mfn_to_virt does (for a write the target makes itself). */
void fz_touch(uint64_t m);

/* An oracle failed: print why and abort, so libFuzzer keeps the input. */
__attribute__((noreturn, format(printf, 1, 2))) void fz_die(const char *fmt, ...);

/* Is rc a hypercall result a guest may see: >= 0 or minus one of the Xen errno values? */
bool fz_result_valid(long rc);

#endif
