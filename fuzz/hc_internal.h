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
     * Baselines: the state as last verified, which the next step is
     * compared with. Each points into the snapshot until something changes
     * it. A domain whose state may have changed without a comparison (it
     * acted, or its guest wrote registers or memory) is "stale" and gets a
     * fresh baseline before a step by someone else is checked against it.
     */
    const struct page_info *ft_base;
    struct page_info *ft_buf;
    const uint64_t *m2p_base;
    uint64_t *m2p_buf;
    uint64_t free_frames_expected;
    struct {
        const struct domain *base;
        struct domain buf;
        const uint8_t *si_base; /* its shared_info frame */
        uint8_t *si_buf;
        bool stale;
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

/* Domain state as the checks see it: everything but the vCPUs never brought up. */
void hc_dom_copy(struct domain *dst, const struct domain *src);
bool hc_dom_equal(const struct domain *a, const struct domain *b);
/* A stale domain's live state becomes its baseline (it was checked as the actor). */
void hc_rebase(int i);

/* mm_check_invariants of the uninstrumented copy of mm.c, on the live frame table. */
int hc_check_invariants(char *why, size_t whylen);

/* hc_step.c: the steps by others since domain i last acted left it alone (or abort). */
void hc_verify_unchanged(int i);
/* hc_step.c: hook the fake machine; forget the step in progress (restore). */
void hc_step_init(void);
void hc_step_reset(void);

#endif
