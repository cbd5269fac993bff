/* The hypercall target's machine (see hc_machine.h): its domains, the snapshot and restoring it. */
#define _GNU_SOURCE /* memfd_create */
#include "hc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fuzz_arch.h"
#include "hv/builder.h"
#include "hv/console.h"
#include "hv/entry.h"
#include "hv/hypercall.h"
#include "hv/mm.h"
#include "hv/time.h"
#include "public/xen.h"
#include "test_image.h"

/*
 * The domains, built once by the real domain_build from the unit tests'
 * minimal PV image:
 *   d1 "fuzz-a": 1152 KiB, 1 vCPU, as the builder left it (a fresh boot).
 *   d2 "fuzz-b": 1280 KiB, 2 vCPUs (only vCPU 0 is up), with callbacks, a
 *                trap table, a kernel stack and a user page table (its own
 *                L4), so user mode, syscalls and bounces work from the start.
 * d2 has also bound VIRQ_TIMER on vCPU 0 (port 3), its upcalls still masked
 * as the toolstack left them. d1's vCPU is on the CPU.
 * Small on purpose (the image loads at 1 MiB): checks cost time per frame.
 * The oracles run around every step: see hc_step.c.
 */

struct hc_dom hc_doms[HC_NR_DOMS];
struct hc_state hcs;
bool hc_trace_steps;
char *hc_ring_buf;

/*
 * mm_check_invariants, vcpu_runnable and the guest's memory accesses, from
 * second builds of hv/common/mm.c and domain.c without coverage
 * instrumentation (fuzz/build.sh renames their symbols fz_oracle_*): the
 * same code, but its loops over every frame neither cost a callback per
 * comparison nor count as new coverage whenever the number of page tables
 * changes. The copy of mm.c has its own hv_mem (set to the live one before
 * each use) and its own scratch array (set up by its mm_init); it maps
 * frames through the live arch_mfn_to_virt, so what it touches is recorded.
 */
extern struct hv_mem fz_oracle_hv_mem;
void fz_oracle_mm_init(uint64_t nr_frames, void *meta, const uint64_t *reserved,
                       size_t nr_reserved);
int fz_oracle_mm_check_invariants(char *why, size_t whylen);
bool fz_oracle_vcpu_runnable(const struct vcpu *v);
int fz_oracle_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len);
uint64_t fz_oracle_mm_translate(struct vcpu *v, uint64_t va, int access, uint64_t *maddr);

int hc_check_invariants(char *why, size_t whylen)
{
    fz_oracle_hv_mem = hv_mem;
    return fz_oracle_mm_check_invariants(why, whylen);
}

bool hc_runnable(const struct vcpu *v)
{
    return fz_oracle_vcpu_runnable(v);
}

/*
 * The guest's own accesses. They walk its page tables (reads, which nobody
 * needs to know about) and read or write the frames they reach: only a
 * written frame is recorded, as modified (hc_guest_writes).
 */
int hc_guest_read(struct vcpu *v, void *dst, uint64_t va, size_t len)
{
    fz_oracle_hv_mem = hv_mem;
    bool track = fz.track;
    fz.track = false;
    int rc = fz_oracle_copy_from_guest(v, dst, va, len);
    fz.track = track;
    return rc;
}

/* copy_to_guest, page by page as the core does it (a fault part way keeps what was written). */
int hc_guest_write(struct vcpu *v, uint64_t va, const void *src, size_t len)
{
    fz_oracle_hv_mem = hv_mem;
    const uint8_t *b = src;
    if (va + len < va)
        return -XEN_EFAULT;
    bool track = fz.track;
    fz.track = false;
    int rc = 0;
    while (len) {
        uint64_t maddr;
        if (fz_oracle_mm_translate(v, va, ACCESS_WRITE, &maddr)) {
            rc = -XEN_EFAULT;
            break;
        }
        size_t chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
        if (chunk > len)
            chunk = len;
        hc_guest_writes(maddr >> PAGE_SHIFT);
        fz_memcpy(fz.ram + maddr, b, chunk);
        b += chunk;
        va += chunk;
        len -= chunk;
    }
    fz.track = track;
    return rc;
}

uint64_t hc_translate(struct vcpu *v, uint64_t va, int access, uint64_t *maddr)
{
    fz_oracle_hv_mem = hv_mem;
    bool track = fz.track;
    fz.track = false;
    uint64_t x = fz_oracle_mm_translate(v, va, access, maddr);
    fz.track = track;
    return x;
}

/* ---------------------------------------------------------------------------------------------
 * Domain state: everything but the vCPUs' cold state (trap tables and poll ports, 4.5 KiB of
 * each 5 KiB vCPU) and the vCPUs never brought up (max_vcpus onwards). The cold state has its
 * own baseline.
 */

#define DOM_HEAD offsetof(struct domain, vcpus)
#define DOM_TAIL (offsetof(struct domain, vcpus) + sizeof(((struct domain *)0)->vcpus))
#define FIELD_END(t, f) (offsetof(t, f) + sizeof(((t *)0)->f))

/* A vCPU's hot parts: before the trap table, between it and the poll ports, after them. */
static const struct {
    size_t off, len;
} vcpu_hot[] = {
    {0, offsetof(struct vcpu, trap_ctxt)},
    {FIELD_END(struct vcpu, trap_ctxt),
     offsetof(struct vcpu, poll_ports) - FIELD_END(struct vcpu, trap_ctxt)},
    {FIELD_END(struct vcpu, poll_ports), sizeof(struct vcpu) - FIELD_END(struct vcpu, poll_ports)},
};

void hc_dom_copy(struct domain *dst, const struct domain *src)
{
    fz_memcpy(dst, src, DOM_HEAD);
    for (unsigned k = 0; k < src->max_vcpus; k++)
        for (unsigned r = 0; r < 3; r++)
            fz_memcpy((uint8_t *)&dst->vcpus[k] + vcpu_hot[r].off,
                      (const uint8_t *)&src->vcpus[k] + vcpu_hot[r].off, vcpu_hot[r].len);
    fz_memcpy((uint8_t *)dst + DOM_TAIL, (const uint8_t *)src + DOM_TAIL,
              sizeof(struct domain) - DOM_TAIL);
}

bool hc_dom_equal(const struct domain *a, const struct domain *b)
{
    if (fz_memcmp(a, b, DOM_HEAD) ||
        fz_memcmp((const uint8_t *)a + DOM_TAIL, (const uint8_t *)b + DOM_TAIL,
                  sizeof(struct domain) - DOM_TAIL))
        return false;
    for (unsigned k = 0; k < a->max_vcpus; k++)
        for (unsigned r = 0; r < 3; r++)
            if (fz_memcmp((const uint8_t *)&a->vcpus[k] + vcpu_hot[r].off,
                          (const uint8_t *)&b->vcpus[k] + vcpu_hot[r].off, vcpu_hot[r].len))
                return false;
    return true;
}

/*
 * A vCPU's cold state. Only vCPUs that are up have it compared after each
 * input (a vCPU never brought up has no code path that writes its cold
 * state; the whole-machine check compares it every few thousand inputs).
 */
void hc_cold_copy(struct vcpu *dst, const struct vcpu *src)
{
    fz_memcpy(dst->trap_ctxt, src->trap_ctxt, sizeof(src->trap_ctxt));
    fz_memcpy(dst->poll_ports, src->poll_ports, sizeof(src->poll_ports));
}

bool hc_cold_equal(const struct vcpu *a, const struct vcpu *b)
{
    return !fz_memcmp(a->trap_ctxt, b->trap_ctxt, sizeof(a->trap_ctxt)) &&
           !fz_memcmp(a->poll_ports, b->poll_ports, sizeof(a->poll_ports));
}

/*
 * shared_info: the core writes the vCPUs' vcpu_info, the pending and mask
 * words of the ports it models, and the wallclock and arch fields ("hot",
 * compared like the domain's state). The pending and mask words of the
 * ports beyond HV_NR_EVTCHN, where a port the core failed to bound would
 * land, are "cold": only the guest writes them, and they are compared
 * after every input. The rest of the page (the vcpu_info of vCPUs that do
 * not exist, the tail past struct shared_info) nothing but a wild write
 * could reach: the whole-machine check compares it every few thousand
 * inputs.
 */
struct si_range {
    uint16_t off, len;
};
static struct si_range si_hot[HC_NR_DOMS][4], si_cold[2];

static void si_ranges(int i)
{
    unsigned n = hc_doms[i].d->max_vcpus;
    const struct si_range hot[4] = {
        {0, (uint16_t)(n * sizeof(struct vcpu_info))},
        {offsetof(struct shared_info, evtchn_pending), HV_NR_EVTCHN / 8},
        {offsetof(struct shared_info, evtchn_mask), HV_NR_EVTCHN / 8},
        {offsetof(struct shared_info, wc_version),
         sizeof(struct shared_info) - offsetof(struct shared_info, wc_version)},
    };
    for (int r = 0; r < 4; r++)
        si_hot[i][r] = hot[r];
    const unsigned words = sizeof(((struct shared_info *)0)->evtchn_pending);
    si_cold[0] = (struct si_range){hot[1].off + hot[1].len, (uint16_t)(words - hot[1].len)};
    si_cold[1] = (struct si_range){hot[2].off + hot[2].len, (uint16_t)(words - hot[2].len)};
}

static const uint8_t *si_live(int i)
{
    return hc_frame(fz.ram, hc_doms[i].shinfo_mfn);
}

bool hc_si_hot_equal(int i, const uint8_t *base)
{
    for (int r = 0; r < 4; r++)
        if (fz_memcmp(si_live(i) + si_hot[i][r].off, base + si_hot[i][r].off, si_hot[i][r].len))
            return false;
    return true;
}

void hc_si_hot_copy(int i, uint8_t *dst)
{
    for (int r = 0; r < 4; r++)
        fz_memcpy(dst + si_hot[i][r].off, si_live(i) + si_hot[i][r].off, si_hot[i][r].len);
}

/* The live shared_info's hot fields from a copy (the restore). */
static void hc_si_hot_copy_from(int i, const uint8_t *src)
{
    uint8_t *live = hc_frame(fz.ram, hc_doms[i].shinfo_mfn);
    for (int r = 0; r < 4; r++)
        fz_memcpy(live + si_hot[i][r].off, src + si_hot[i][r].off, si_hot[i][r].len);
}

bool hc_si_cold_equal(int i, const uint8_t *base)
{
    for (int r = 0; r < 2; r++)
        if (fz_memcmp(si_live(i) + si_cold[r].off, base + si_cold[r].off, si_cold[r].len))
            return false;
    return true;
}

static const struct domain *snap_dom(int i)
{
    return &hcs.snap_hv.domains[hc_doms[i].d - hv.domains];
}

int hc_dom_index(const struct domain *d)
{
    for (int i = 0; i < HC_NR_DOMS; i++)
        if (hc_doms[i].d == d)
            return i;
    fz_die("hook called for a domain the fuzzer did not build");
}

void hc_rebase(int i)
{
    if (!hcs.dom[i].stale)
        return;
    hc_dom_copy(&hcs.dom[i].buf, hc_doms[i].d);
    hcs.dom[i].base = &hcs.dom[i].buf;
    hc_si_hot_copy(i, hcs.dom[i].si_buf);
    hcs.dom[i].si_base = hcs.dom[i].si_buf;
    hcs.dom[i].stale = false;
}

void hc_changed_outside_step(int di)
{
    hc_verify_unchanged(di); /* what the others did to it, before its guest changes it */
    hcs.dom[di].stale = true;
}

/* ---------------------------------------------------------------------------------------------
 * The xenstore daemon's own state: its tree, connections, watches and
 * transactions live in static variables of hv/common/xenstore.c and
 * xs_*.c, which fuzz/build.sh gathers in a section of their own,
 * hc_xs_state, page-aligned. After the snapshot that section maps a copy
 * of itself privately and read-only: the first write of an input faults
 * (hc_xs_state_fault, from the SIGSEGV handler), which makes it writable
 * and marks it dirty; each page written is then the process's own copy,
 * and the restore drops those copies (MADV_DONTNEED), which brings back the
 * snapshot's pages. Inputs that never reach xenstore pay nothing.
 */
extern char __start_hc_xs_state[] __attribute__((weak));
extern char __stop_hc_xs_state[] __attribute__((weak));
static bool xs_dirty;

static void xs_state_init(void)
{
    uint8_t *lo = (uint8_t *)__start_hc_xs_state;
    size_t len = (size_t)(__stop_hc_xs_state - __start_hc_xs_state);
    if (!lo || !len)
        return; /* (a build without the section: gcc's coverage replay) */
    if (((uintptr_t)lo | len) & (PAGE_SIZE - 1))
        fz_die("the xenstore state section is not whole pages (%p, %zu bytes)", (void *)lo, len);
    int fd = memfd_create("hvsim-fuzz-xs", MFD_CLOEXEC);
    /* (The system call itself: ASan's write() would object to the redzones in the section.) */
    if (fd < 0 || syscall(SYS_write, fd, lo, len) != (long)len ||
        mmap(lo, len, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED)
        fz_die("cannot map the xenstore state copy-on-write");
    close(fd);
}

bool hc_xs_state_fault(uintptr_t a)
{
    uintptr_t lo = (uintptr_t)__start_hc_xs_state, hi = (uintptr_t)__stop_hc_xs_state;
    if (!lo || a < lo || a >= hi || xs_dirty)
        return false;
    if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE))
        return false;
    xs_dirty = true;
    return true;
}

static void xs_state_restore(void)
{
    if (!xs_dirty)
        return;
    void *lo = __start_hc_xs_state;
    size_t len = (size_t)(__stop_hc_xs_state - __start_hc_xs_state);
    if (madvise(lo, len, MADV_DONTNEED) || mprotect(lo, len, PROT_READ))
        fz_die("cannot put the xenstore state back");
    xs_dirty = false;
}

static bool time_policy_changed;
unsigned hc_refresh_policy; /* TIME_REFRESH_XEN */

void hc_time_policy(unsigned policy, uint64_t period_ns)
{
    hc_refresh_policy = policy;
    time_configure(&(struct time_config){.refresh = policy, .refresh_period_ns = period_ns});
    time_init(); /* (the TSC is still where the snapshot was taken: the same boot TSC) */
    time_policy_changed = true;
}

void hc_frame_table_writable(bool rw)
{
    hv_mem.frame_table = rw ? hcs.ft_rw : hcs.ft_ro;
    hv_mem.m2p = rw ? hcs.m2p_rw : hcs.m2p_ro;
}

void hc_start_exhausted(void)
{
    fz_memcpy(hcs.ft_rw, hcs.snap_ft_exhausted, hcs.ft_bytes);
    fz_memcpy(hcs.ft_base, hcs.snap_ft_exhausted, hcs.ft_bytes);
    hv_mem.free_frames = hcs.snap_free_exhausted;
    hcs.free_frames_expected = hcs.snap_free_exhausted;
    hcs.ft_all_dirty = true;
}

/* ---------------------------------------------------------------------------------------------
 * Snapshot and restore
 */

/* The frame table and M2P entries the input changed (all of them after the exhausted start). */
static void restore_frame_table(bool all)
{
    if (all || hcs.ft_all_dirty) {
        fz_memcpy(hcs.ft_rw, hcs.snap_ft, hcs.ft_bytes);
        fz_memcpy(hcs.ft_base, hcs.snap_ft, hcs.ft_bytes);
        fz_memcpy(hcs.m2p_rw, hcs.snap_m2p, hcs.m2p_bytes);
        fz_memcpy(hcs.m2p_base, hcs.snap_m2p, hcs.m2p_bytes);
    } else {
        for (size_t i = 0; i < hcs.nr_ft_dirty; i++) {
            uint32_t m = hcs.ft_dirty[i];
            hcs.ft_rw[m] = hcs.ft_base[m] = hcs.snap_ft[m];
            hcs.m2p_rw[m] = hcs.m2p_base[m] = hcs.snap_m2p[m];
        }
    }
    for (size_t i = 0; i < hcs.nr_ft_dirty; i++)
        hcs.ft_dirty_map[hcs.ft_dirty[i]] = 0;
    hcs.nr_ft_dirty = 0;
    hcs.ft_all_dirty = false;
}

void hc_restore(bool all)
{
    /*
     * A touched frame not marked modified was only read: every step that
     * reached it found it equal to its snapshot content (hc_step.c), and
     * the guest did not touch it. After an abandoned step nothing was
     * compared, so everything touched goes back.
     */
    for (size_t i = 0; i < fz.nr_touched; i++) {
        uint32_t m = fz.touch_at[i];
        if (!all && !hcs.modified[m])
            continue;
        fz_memcpy(hc_frame(fz.ram, m), hc_frame(hcs.snap_ram, m), PAGE_SIZE);
        hcs.modified[m] = 0;
    }
    fz_touched_clear();
    for (int i = 0; i < HC_NR_DOMS; i++) {
        uint64_t m = hc_doms[i].shinfo_mfn;
        const struct domain *snap = snap_dom(i);
        bool changed = all || hcs.dom[i].stale || hcs.dom[i].base != snap;
        /*
         * shared_info is written through the builder's pointer, not
         * arch_mfn_to_virt. Its cold part was compared with the snapshot
         * unless the guest wrote it.
         */
        const uint8_t *si_snap = hc_frame(hcs.snap_ram, m);
        if (all || hcs.dom[i].si_cold_base != si_snap || hcs.dom[i].si_cold_stale)
            fz_memcpy(hc_frame(fz.ram, m), si_snap, PAGE_SIZE);
        else if (changed || hcs.dom[i].si_base != si_snap)
            hc_si_hot_copy_from(i, si_snap);
        if (changed)
            hc_dom_copy(hc_doms[i].d, snap);
        /* Cold state nothing changed was compared with the snapshot's. */
        for (unsigned k = 0; k < snap->max_vcpus; k++) {
            if (all || (hcs.dom[i].cold_dirty >> k & 1))
                hc_cold_copy(&hc_doms[i].d->vcpus[k], &snap->vcpus[k]);
            hcs.dom[i].cold_base[k] = &snap->vcpus[k];
        }
        hcs.dom[i].base = snap;
        hcs.dom[i].si_base = si_snap;
        hcs.dom[i].stale = false;
        hcs.dom[i].cold_dirty = 0;
        hcs.dom[i].si_cold_base = si_snap;
        hcs.dom[i].si_cold_stale = false;
    }
    restore_frame_table(all);
    hv_mem = hcs.snap_mem;
    hc_frame_table_writable(false);
    hcs.free_frames_expected = hcs.snap_mem.free_frames;
    /* The core's clock state (its next periodic refresh) moves only when time did. */
    bool policy = time_policy_changed;
    if (policy)
        time_configure(&(struct time_config){0}); /* the defaults the snapshot was taken with */
    time_policy_changed = false;
    hc_refresh_policy = TIME_REFRESH_XEN;
    if (fz.tsc != HC_TSC0 || policy) {
        fz.tsc = HC_TSC0;
        time_init();
    }
    hv.current = hcs.snap_hv.current;
    xs_state_restore();
    fz.con_in = NULL;
    fz.con_in_len = 0;
    hc_step_reset(all);
}

void hc_full_check(void)
{
    fz.track = false;
    for (uint64_t m = 0; m < HC_NR_FRAMES; m++)
        if (fz_memcmp(hc_frame(fz.ram, m), hc_frame(hcs.snap_ram, m), PAGE_SIZE))
            fz_die("frame 0x%llx differs from the snapshot after restore: a write that did not "
                   "go through arch_mfn_to_virt, in this input or one since the last full "
                   "check (run with FUZZ_FULL_CHECK=1 to find it)",
                   (unsigned long long)m);
    if (fz_memcmp(&hv, &hcs.snap_hv, sizeof(hv)))
        fz_die("core state differs from the snapshot after restore: a vCPU beyond max_vcpus or "
               "an unused domain slot was written");
    char why[256] = "";
    if (hc_check_invariants(why, sizeof(why)))
        fz_die("mm_check_invariants on the restored snapshot: %s", why);
    fz.track = true;
}

/* ---------------------------------------------------------------------------------------------
 * Setup
 */

static void *xalloc(size_t n)
{
    void *p;
    if (posix_memalign(&p, 4096, n))
        fz_die("out of memory");
    memset(p, 0, n);
    return p;
}

static void init_hc(struct vcpu *v, unsigned long nr, uint64_t a0, uint64_t a1, uint64_t a2,
                    uint64_t a3)
{
    const uint64_t a[5] = {a0, a1, a2, a3, 0};
    long rc = hypercall_dispatch(v, nr, a);
    if (rc)
        fz_die("setup: hypercall %lu failed: %ld", nr, rc);
}

static void build(struct hc_dom *hd, const char *name, uint64_t kb, unsigned int vcpus)
{
    size_t len;
    uint8_t *img = test_image_pv64(&len);
    struct domain_config cfg = {
        .name = name, .kernel = img, .kernel_len = len, .memory_kb = kb, .vcpus = vcpus};
    char err[256] = "";
    if (domain_build(&cfg, &hd->d, err, sizeof(err)))
        fz_die("setup: domain_build(%s): %s", name, err);
    free(img);
    hd->nr_pages = kb / 4;
    hd->shinfo_mfn = mfn_x(hd->d->shared_info_mfn);
    hd->store_mfn = mfn_x(hd->d->store_mfn);
    hd->base_mfn = ~0ULL;
    for (uint64_t m = 0; m < HC_NR_FRAMES; m++)
        if (hv_mem.frame_table[m].owner == hd->d->domid && hv_mem.m2p[m] == 0)
            hd->base_mfn = m;
    if (hd->base_mfn == ~0ULL)
        fz_die("setup: no PFN 0 for %s", name);
}

/* d2 as a kernel that has booted: callbacks, traps, a kernel stack and a user page table. */
static void boot_d2(struct hc_dom *hd)
{
    struct vcpu *v = &hd->d->vcpus[0];
    const uint64_t text = TI_LOAD_VA, stack = HC_SCRATCH_VA + HC_SCRATCH_LEN - 0x100;
    init_hc(v, __HYPERVISOR_set_callbacks, text + 0x100, text + 0x200, text + 0x300, 0);
    init_hc(v, __HYPERVISOR_stack_switch, FLAT_KERNEL_SS64, stack, 0, 0);
    struct trap_info traps[4] = {
        {X86_EXC_GP, 0, FLAT_KERNEL_CS64, text + 0x400},
        {X86_EXC_PF, 0, FLAT_KERNEL_CS64, text + 0x500},
        {0x80, 3, FLAT_KERNEL_CS64, text + 0x600},
        {0, 0, 0, 0},
    };
    if (copy_to_guest(v, HC_SCRATCH_VA, traps, sizeof(traps)))
        fz_die("setup: scratch not writable");
    init_hc(v, __HYPERVISOR_set_trap_table, HC_SCRATCH_VA, 0, 0, 0);
    struct mmuext_op op = {.cmd = MMUEXT_NEW_USER_BASEPTR};
    op.arg1.mfn = mfn_x(v->guest_table);
    if (copy_to_guest(v, HC_SCRATCH_VA, &op, sizeof(op)))
        fz_die("setup: scratch not writable");
    init_hc(v, __HYPERVISOR_mmuext_op, HC_SCRATCH_VA, 1, 0, DOMID_SELF);
    struct evtchn_bind_virq timer = {.virq = VIRQ_TIMER, .vcpu = 0};
    if (copy_to_guest(v, HC_SCRATCH_VA, &timer, sizeof(timer)))
        fz_die("setup: scratch not writable");
    init_hc(v, __HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, HC_SCRATCH_VA, 0, 0);
    static const uint8_t zero[sizeof(traps)];
    (void)copy_to_guest(v, HC_SCRATCH_VA, zero, sizeof(zero));
    v->regs.rsp = HC_SCRATCH_VA + 0x8000;
}

void hc_machine_init(void)
{
    fz_machine_init(HC_NR_FRAMES);
    fz_frames_apart(); /* (before the builds: the core keeps shared_info pointers) */
    fz.tsc = HC_TSC0;
    build(&hc_doms[0], "fuzz-a", 1152, 1);
    build(&hc_doms[1], "fuzz-b", 1280, 2);
    boot_d2(&hc_doms[1]);
    hv_entry_schedule(&hc_doms[0].d->vcpus[0]);
    fz_oracle_mm_init(HC_NR_FRAMES, xalloc(mm_meta_bytes(HC_NR_FRAMES)), NULL, 0);
    char why[256] = "";
    if (mm_check_invariants(why, sizeof(why)) || hc_check_invariants(why, sizeof(why)))
        fz_die("setup: invariants: %s", why);

    hcs.ft_bytes = HC_NR_FRAMES * sizeof(struct page_info);
    hcs.m2p_bytes = HC_NR_FRAMES * sizeof(uint64_t);
    hcs.snap_ram = xalloc(HC_NR_FRAMES * PAGE_SIZE);
    fz_memcpy(hcs.snap_ram, fz.ram, HC_NR_FRAMES * PAGE_SIZE);
    hcs.snap_ft = xalloc(hcs.ft_bytes);
    fz_memcpy(hcs.snap_ft, hv_mem.frame_table, hcs.ft_bytes);
    hcs.snap_m2p = xalloc(hcs.m2p_bytes);
    fz_memcpy(hcs.snap_m2p, hv_mem.m2p, hcs.m2p_bytes);
    hcs.snap_mem = hv_mem;
    hcs.snap_hv = hv;
    /* (mm_init laid the frame table and the M2P out in fz.meta; the same offsets read-only.) */
    hcs.ft_rw = hv_mem.frame_table;
    hcs.m2p_rw = hv_mem.m2p;
    hcs.ft_ro = (struct page_info *)(fz.meta_ro + ((uint8_t *)hcs.ft_rw - (uint8_t *)fz.meta));
    hcs.m2p_ro = (uint64_t *)(fz.meta_ro + ((uint8_t *)hcs.m2p_rw - (uint8_t *)fz.meta));
    /* The exhausted variant, made by the core itself once. */
    mm_reserve_range(0, HC_NR_FRAMES);
    hcs.snap_ft_exhausted = xalloc(hcs.ft_bytes);
    fz_memcpy(hcs.snap_ft_exhausted, hv_mem.frame_table, hcs.ft_bytes);
    hcs.snap_free_exhausted = hv_mem.free_frames;

    hcs.ft_base = xalloc(hcs.ft_bytes);
    fz_memcpy(hcs.ft_base, hcs.snap_ft, hcs.ft_bytes);
    hcs.m2p_base = xalloc(hcs.m2p_bytes);
    fz_memcpy(hcs.m2p_base, hcs.snap_m2p, hcs.m2p_bytes);
    hcs.ft_dirty = xalloc(HC_NR_FRAMES * sizeof(*hcs.ft_dirty));
    hcs.ft_dirty_map = xalloc(HC_NR_FRAMES);
    for (int i = 0; i < HC_NR_DOMS; i++) {
        hcs.dom[i].si_buf = xalloc(PAGE_SIZE);
        hcs.dom[i].si_cold_buf = xalloc(PAGE_SIZE);
        si_ranges(i);
    }
    hcs.modified = xalloc(HC_NR_FRAMES);
    hc_ring_buf = malloc(CONSOLE_RING_OUT_BYTES); /* (not xalloc: the redzone must follow it) */
    if (!hc_ring_buf)
        fz_die("out of memory");

    xs_state_init();
    hc_step_init();
    fz_touched_clear();
    hc_trace_steps = getenv("FUZZ_TRACE") != NULL;
    hc_restore(true);
}
