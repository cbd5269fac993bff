/* The arch contract (hv/arch.h) for the simulated machine: every hook, on top of sim/. */
#include <stdio.h>
#include <stdlib.h>

#include "hv/arch.h"
#include "hv/evtchn.h"
#include "hv/mm.h"
#include "hv/sched.h"
#include "hv/trace.h"
#include "sim_internal.h"

/*
 * The core is global and so is the machine it runs on: sim_current. Hooks
 * called for a domain that sim_add_domain has not registered yet (during
 * domain_build) find no sim state; for per-vCPU flags that is harmless,
 * since a new engine starts with everything marked dirty.
 */

/*
 * Defined here, not in sim/machine.c, on purpose: the static libraries link
 * as hvsim_machine then hvcore, and the core's references to arch_* are
 * only resolved if this object is already in the link. sim/ using this
 * variable is what pulls it in.
 */
struct sim_machine *sim_current;

static struct sim_machine *machine(void)
{
    if (!sim_current)
        sim_fatal("core called the arch layer with no machine");
    return sim_current;
}

void *arch_mfn_to_virt(mfn_t mfn)
{
    struct sim_machine *m = machine();

    if (mfn_x(mfn) >= m->nr_frames) {
        char msg[80];

        snprintf(msg, sizeof(msg), "arch_mfn_to_virt(%#llx): beyond machine memory",
                 (unsigned long long)mfn_x(mfn));
        arch_panic(msg);
    }
    return m->ram + mfn_x(mfn) * PAGE_SIZE;
}

void arch_log(const char *s, size_t len)
{
    struct sim_machine *m = machine();

    if (m->cfg.verbose)
        fprintf(stderr, "hv: %.*s\n", (int)len, s);
    trace_line(m, "hv: %.*s", (int)len, s);
}

void arch_console_io_write(struct domain *d, const char *s, size_t len)
{
    struct sim_domain *sd = sim_domain_of(d);

    if (sd)
        console_append(sd, TR_CON_HYPERCALL, s, len);
    else
        trace_line(machine(), "sim: console output of unregistered d%u dropped", d->domid);
}

/* No console input is modelled yet: reads always find nothing. */
size_t arch_console_io_read(struct domain *d, char *buf, size_t len)
{
    return 0;
}

/*
 * The hypervisor's TSC = cfg.tsc_start + machine instructions *
 * cfg.cycles_per_insn + idle cycles, modulo 2^64: every guest instruction
 * costs the same number of cycles at cfg.tsc_khz (trapped instructions and
 * hypervisor work cost nothing extra), and when every vCPU waits for a
 * deadline the clock jumps to it (sim/run.c). Instructions are counted per
 * translated block at block entry (sim/icount.c), so inside a block the TSC
 * already includes the whole block. Deterministic by construction.
 */
uint64_t arch_tsc_now(void)
{
    struct sim_machine *m = machine();
    uint64_t tsc = m->cfg.tsc_start + m->insns * m->cfg.cycles_per_insn + m->idle_cycles;

    /* Replay's test hook only (sim_config.test_perturb_insn): off in every real run. */
    if (m->cfg.test_perturb_insn && m->insns >= m->cfg.test_perturb_insn)
        tsc++;
    return tsc;
}

uint64_t arch_tsc_khz(void)
{
    return machine()->cfg.tsc_khz;
}

/*
 * What a guest vCPU reads: the hypervisor's TSC plus the timeline's
 * machine-wide jump (sim_tsc_jump) and this vCPU's warp (sim_tsc_warp),
 * modulo 2^64. A vCPU the machine does not know yet (while its domain is
 * built) has no warp.
 */
uint64_t arch_vcpu_tsc(const struct vcpu *v, uint64_t tsc)
{
    struct sim_machine *m = machine();
    struct sim_vcpu *sv = sim_vcpu_of((struct vcpu *)v);

    tsc += (uint64_t)m->tsc_offset;
    if (sv)
        tsc += (uint64_t)sv->tsc_warp;
    return tsc;
}

void arch_vcpu_deschedule(struct vcpu *v)
{
    struct sim_vcpu *sv = sim_vcpu_of(v);

    /* Only matters for the running vCPU: the run loop leaves it after this exit. */
    if (sv && sv->running)
        sv->desched = true;
}

/* The scheduler asks vcpu_runnable() before every slice: nothing to do. */
void arch_vcpu_kick(struct vcpu *v) {}

void arch_mmu_changed(struct vcpu *v)
{
    struct sim_vcpu *sv = sim_vcpu_of(v);

    if (sv)
        sv->mmu_dirty = true;
}

void arch_segments_changed(struct vcpu *v)
{
    struct sim_vcpu *sv = sim_vcpu_of(v);

    if (sv)
        sv->seg_dirty = true;
}

void arch_evtchn_backend_notify(struct domain *d, uint32_t port, unsigned int backend)
{
    struct sim_machine *m = machine();
    struct sim_domain *sd = sim_domain_of(d);

    switch (backend) {
    case EVB_CONSOLE:
        /* As xenconsoled: consume the output, then notify the guest back (every send). */
        if (sd)
            console_drain_ring(sd);
        evtchn_backend_send(d, port);
        break;
    default:
        trace_line(m, "unmodelled: backend %u (d%u port %u)", backend, d->domid, port);
        break;
    }
}

void arch_trace(const struct trace_rec *r)
{
    trace_record(machine(), r);
}

void arch_panic(const char *msg)
{
    struct sim_machine *m = sim_current;

    fflush(stdout);
    fprintf(stderr, "hvsim: hypervisor panic: %s\n", msg);
    if (m && m->current)
        sim_dump_vcpu(stderr, m->current->v);
    if (m && m->trace)
        fflush(m->trace);
    abort();
}
