/* Control of a running machine from the scenario timeline: pause, destroy, events, TSC, memory. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv/evtchn.h"
#include "hv/mm.h"
#include "hv/time.h"
#include "sim_internal.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static struct sim_domain *dom_at(struct sim_machine *m, unsigned int idx, char *err, size_t errlen)
{
    if (idx >= m->nr_doms) {
        fail(err, errlen, "no domain #%u (the scenario has %u)", idx, m->nr_doms);
        return NULL;
    }
    return m->doms[idx];
}

/* A domain that was destroyed accepts nothing more. */
static struct sim_domain *live_dom(struct sim_machine *m, unsigned int idx, char *err,
                                   size_t errlen)
{
    struct sim_domain *sd = dom_at(m, idx, err, errlen);

    if (sd && sd->d->is_dying) {
        fail(err, errlen, "domain '%s' was destroyed", sd->name);
        return NULL;
    }
    return sd;
}

uint64_t sim_now_ns(const struct sim_machine *m)
{
    (void)m;
    return time_now_ns();
}

void sim_set_alarm(struct sim_machine *m, uint64_t ns)
{
    m->alarm_ns = ns;
}

int sim_pause_domain(struct sim_machine *m, unsigned int idx, bool pause, char *err, size_t errlen)
{
    struct sim_domain *sd = live_dom(m, idx, err, errlen);

    if (!sd)
        return -1;
    if (pause) {
        domain_pause(sd->d);
        trace_line(m, "sim: d%u paused by the timeline", sd->d->domid);
        return 0;
    }
    if (!sd->d->pause_count)
        return fail(err, errlen, "domain '%s' is not paused", sd->name);
    domain_unpause(sd->d);
    trace_line(m, "sim: d%u unpaused by the timeline", sd->d->domid);
    return 0;
}

int sim_destroy_domain(struct sim_machine *m, unsigned int idx, char *err, size_t errlen)
{
    struct sim_domain *sd = live_dom(m, idx, err, errlen);

    if (!sd)
        return -1;
    console_flush(sd);
    domain_kill(sd->d);
    trace_line(m, "sim: d%u destroyed by the timeline", sd->d->domid);
    return 0;
}

int sim_evtchn_send(struct sim_machine *m, unsigned int idx, uint32_t port, char *err,
                    size_t errlen)
{
    struct sim_domain *sd = live_dom(m, idx, err, errlen);

    if (!sd)
        return -1;
    if (sd->d->is_shutting_down)
        return fail(err, errlen, "domain '%s' has shut down", sd->name);
    if (evtchn_inject(sd->d, port))
        return fail(err, errlen, "port %u of domain '%s' is not bound", port, sd->name);
    return 0;
}

int sim_tsc_jump(struct sim_machine *m, int64_t delta, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    m->tsc_offset = (int64_t)((uint64_t)m->tsc_offset + (uint64_t)delta); /* wraps, as a TSC */
    trace_line(m, "sim: guest TSC jumps by %lld cycles", (long long)delta);
    return 0;
}

int sim_tsc_warp(struct sim_machine *m, unsigned int idx, unsigned int vcpu, int64_t delta,
                 char *err, size_t errlen)
{
    struct sim_domain *sd = live_dom(m, idx, err, errlen);

    if (!sd)
        return -1;
    if (vcpu >= sd->nr_vcpus)
        return fail(err, errlen, "domain '%s' has no vCPU %u", sd->name, vcpu);
    sd->vcpus[vcpu].tsc_warp = (int64_t)((uint64_t)sd->vcpus[vcpu].tsc_warp + (uint64_t)delta);
    trace_line(m, "sim: d%uv%u TSC warps by %lld cycles", sd->d->domid, vcpu, (long long)delta);
    return 0;
}

/* The machine frame behind guest page pfn (the domain's M2P entries name it), or UINT64_MAX. */
static uint64_t frame_of(struct sim_machine *m, const struct domain *d, uint64_t pfn)
{
    for (uint64_t mfn = 0; mfn < m->nr_frames; mfn++)
        if (hv_mem.frame_table[mfn].owner == d->domid && hv_mem.m2p[mfn] == pfn)
            return mfn;
    return UINT64_MAX;
}

int sim_write_guest(struct sim_machine *m, unsigned int idx, uint64_t gpa, const void *bytes,
                    size_t len, char *err, size_t errlen)
{
    struct sim_domain *sd = live_dom(m, idx, err, errlen);
    const uint8_t *src = bytes;
    uint64_t end, mfns[SIM_WRITE_MAX / PAGE_SIZE + 2];
    unsigned int n = 0;

    if (!sd)
        return -1;
    if (!len || len > SIM_WRITE_MAX || __builtin_add_overflow(gpa, (uint64_t)len, &end) ||
        end > sd->d->tot_pages * PAGE_SIZE)
        return fail(err, errlen, "address 0x%llx+%zu is outside the %llu KiB of domain '%s'",
                    (unsigned long long)gpa, len,
                    (unsigned long long)(sd->d->tot_pages * PAGE_SIZE / 1024), sd->name);
    /*
     * Find and check every page first: a write lands whole or not at all.
     * Frames the core validated (page tables, descriptor tables) are
     * refused: the fault injected is in the guest's data, never in the
     * hypervisor's invariants.
     */
    for (uint64_t a = gpa & ~(uint64_t)(PAGE_SIZE - 1); a < end; a += PAGE_SIZE) {
        uint64_t mfn = frame_of(m, sd->d, a / PAGE_SIZE);
        const struct page_info *pg;

        if (mfn == UINT64_MAX)
            return fail(err, errlen, "guest page 0x%llx of domain '%s' has no frame",
                        (unsigned long long)(a / PAGE_SIZE), sd->name);
        pg = &hv_mem.frame_table[mfn];
        if (pg->type != PGT_none && pg->type != PGT_writable && pg->type_count)
            return fail(err, errlen,
                        "guest page 0x%llx of domain '%s' is a page table or descriptor table "
                        "in use: not writable",
                        (unsigned long long)(a / PAGE_SIZE), sd->name);
        mfns[n++] = mfn;
    }
    n = 0;
    for (uint64_t a = gpa; a < end; n++) {
        uint64_t off = a % PAGE_SIZE, k = PAGE_SIZE - off;

        if (k > end - a)
            k = end - a;
        memcpy(m->ram + mfns[n] * PAGE_SIZE + off, src, (size_t)k);
        src += k;
        a += k;
    }
    trace_line(m, "sim: %zu bytes written to d%u at gpa 0x%llx by the timeline", len, sd->d->domid,
               (unsigned long long)gpa);
    return 0;
}
