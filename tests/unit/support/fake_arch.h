/* The fake machine behind core unit tests (see fake_arch.c). */
#ifndef FAKE_ARCH_H
#define FAKE_ARCH_H

#include "hv/mm.h"
#include "hv/trace.h"

struct fake_machine {
    uint8_t *ram;
    void *meta;
    uint64_t nr_frames;
    uint64_t tsc;
    uint64_t tsc_khz;          /* 0 = 3 GHz; kept by fake_machine_init (set it before) */
    uint64_t guest_tsc_offset; /* arch_vcpu_tsc: what guests read on top of tsc */
    char console[8192];
    size_t console_len;
    unsigned nr_deschedule, nr_kick, nr_mmu_changed, nr_seg_changed, nr_backend_notify;
    unsigned nr_trace;
    uint32_t last_backend_port;
    struct trace_rec last_trace;
};
extern struct fake_machine fake;

/* Fresh machine of nr_frames frames (frame 0 reserved) and a fresh core. */
void fake_machine_init(uint64_t nr_frames);

#endif
