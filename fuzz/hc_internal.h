/* State shared by hc_machine.c (snapshot, restore, setup) and hc_step.c (the checks of a step). */
#ifndef FUZZ_HC_INTERNAL_H
#define FUZZ_HC_INTERNAL_H

#include "hc_machine.h"
#include "hv/mm.h"

struct hc_state {
    /* The snapshot every input starts from (and its variant with no free frame). */
    uint8_t *snap_ram;
    struct page_info *snap_ft, *snap_ft_exhausted;
    uint64_t snap_free_exhausted;
    uint64_t *snap_m2p;
    struct hv_mem snap_mem;
    struct hv_state snap_hv;
    size_t ft_bytes, m2p_bytes;

    /*
     * Baselines: the state as last verified, which later steps are
     * compared with.
     *
     * The frame table and the M2P: ft_base and m2p_base are buffers equal
     * to the snapshot at the start of an input; only memory-management
     * steps may change them (hc_step.c), and they are compared after those
     * and at the end of the input. The entries that changed since the
     * restore (ft_dirty, both tables) are all the restore copies back.
     */
    struct page_info *ft_base;
    uint64_t *m2p_base;
    /* The live frame table and M2P through their writable and read-only mappings. */
    struct page_info *ft_rw;
    uint64_t *m2p_rw;
    struct page_info *ft_ro;
    uint64_t *m2p_ro;
    uint32_t *ft_dirty;
    uint8_t *ft_dirty_map;
    size_t nr_ft_dirty;
    bool ft_all_dirty; /* the exhausted start replaced the whole table */
    uint64_t free_frames_expected;

    /*
     * A domain's state (struct domain but its vCPUs' cold state and the
     * vCPUs never brought up) and the fields of its shared_info the core
     * writes point into the snapshot until something changes them. A
     * domain whose state may have changed without a comparison (it acted,
     * or its guest wrote registers or memory) is "stale" and gets a fresh
     * baseline before a step by someone else is checked against it.
     *
     * Cold state changes rarely and has its own baselines, compared before
     * whoever may change it does and at the end of the input: the vCPUs'
     * trap tables and poll ports (4.5 KiB a vCPU, most of a domain's
     * state), which only set_trap_table and SCHEDOP_poll change, and the
     * rest of the shared_info page, which only the guest writes.
     */
    struct {
        const struct domain *base;
        struct domain buf;
        const uint8_t *si_base; /* its shared_info frame (hot fields) */
        uint8_t *si_buf;
        bool stale;
        /* Each vCPU's cold baseline: the snapshot's vCPU, or its copy in cold_buf. */
        const struct vcpu *cold_base[HV_MAX_VCPUS];
        struct domain cold_buf;      /* (only the vCPUs' cold state is used) */
        uint8_t cold_dirty;          /* vCPUs whose live cold state may differ from the snapshot */
        const uint8_t *si_cold_base; /* the shared_info page (cold fields) */
        uint8_t *si_cold_buf;
        bool si_cold_stale; /* the guest wrote it: take a new baseline before the next step */
    } dom[HC_NR_DOMS];

    /*
     * RAM frames: a frame's baseline is its snapshot content unless it may
     * have been written since the restore (`modified`, per frame).
     */
    uint8_t *modified;
};
extern struct hc_state hcs;

static inline uint8_t *hc_frame(uint8_t *ram, uint64_t mfn)
{
    return ram + mfn * PAGE_SIZE;
}

/* Domain state as the checks see it: everything but the cold state and unused vCPUs. */
void hc_dom_copy(struct domain *dst, const struct domain *src);
bool hc_dom_equal(const struct domain *a, const struct domain *b);
/* A vCPU's cold state (its trap table and poll ports). */
void hc_cold_copy(struct vcpu *dst, const struct vcpu *src);
bool hc_cold_equal(const struct vcpu *a, const struct vcpu *b);
/* Domain i's live shared_info against a copy: the fields the core writes, or the rest. */
bool hc_si_hot_equal(int i, const uint8_t *base);
void hc_si_hot_copy(int i, uint8_t *dst);
bool hc_si_cold_equal(int i, const uint8_t *base);
/* A stale domain's live state becomes its baseline (it was checked as the actor). */
void hc_rebase(int i);
/* The core's time-record refresh policy in this input (enum time_refresh). */
extern unsigned hc_refresh_policy;
/* The index of hc_doms whose domain is d (aborts for another domain). */
int hc_dom_index(const struct domain *d);

/*
 * The core's frame table and M2P (hv_mem) through the writable mapping (true:
 * memory-management steps, the restore) or the read-only one (every other
 * step: a write faults, see hc_catch_ro_writes).
 */
void hc_frame_table_writable(bool rw);

/* mm_check_invariants of the uninstrumented copy of mm.c, on the live frame table. */
int hc_check_invariants(char *why, size_t whylen);

/* hc_step.c: the steps by others since domain i last acted left it alone (or abort). */
void hc_verify_unchanged(int i);
/* hc_step.c: hook the fake machine; forget the step in progress (restore). */
void hc_step_init(void);
void hc_step_reset(bool all);

/*
 * hc_plant.c: the oracles' self-test. With FUZZ_PLANT=NAME the target plants
 * one fault, as if the core had made it, in the first step it fits (see
 * fuzz/oracle-selftest.sh, which checks that an oracle reports each).
 */
void hc_plant_init(void);
extern const char *hc_plant_name; /* NULL: nothing planted (fuzzing) */
void hc_plant_in_step(int actor, unsigned flags, const char *what);
/* The domains the xenstore daemon served in the step being checked (a bit each; hc_step.c). */
unsigned hc_step_promoted(void);
void hc_plant_reset(void); /* a new input: plant again */

#endif
