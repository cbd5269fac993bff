/* The deterministic scheduler: round-robin over runnable vCPUs, one instruction budget per slice.
 */
#include <stdio.h>
#include <string.h>

#include "hv/time.h"
#include "sim_internal.h"

/*
 * Order: every vCPU of every domain, shuffled once (Fisher-Yates) by a
 * splitmix64 stream from the seed: the seed picks the initial order and
 * nothing else. Then round-robin: after each slice the next runnable vCPU
 * in that order runs. A slice ends when the vCPU has used its budget
 * (cfg.slice_insns guest instructions, counted per block), blocks, yields or
 * shuts down.
 */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void build_order(struct sim_machine *m)
{
    uint64_t state = m->cfg.seed;
    unsigned int i, j;

    m->nr_order = 0;
    for (i = 0; i < m->nr_doms; i++)
        for (j = 0; j < m->doms[i]->nr_vcpus; j++)
            m->order[m->nr_order++] = &m->doms[i]->vcpus[j];
    for (i = m->nr_order; i > 1; i--) {
        struct sim_vcpu *t;

        j = (unsigned int)(splitmix64(&state) % i);
        t = m->order[i - 1];
        m->order[i - 1] = m->order[j];
        m->order[j] = t;
    }
    m->rr = m->nr_order - 1; /* the first pick is order[0] */
    m->order_built = true;
}

static bool all_shut_down(const struct sim_machine *m)
{
    unsigned int i;

    for (i = 0; i < m->nr_doms; i++)
        if (!m->doms[i]->d->is_shutting_down)
            return false;
    return true;
}

static struct sim_vcpu *pick_next(struct sim_machine *m)
{
    unsigned int i;

    for (i = 1; i <= m->nr_order; i++) {
        unsigned int k = (m->rr + i) % m->nr_order;

        if (vcpu_runnable(m->order[k]->v)) {
            m->rr = k;
            return m->order[k];
        }
    }
    return NULL;
}

/*
 * Cycles from now until system time reaches deadline_ns (0 if passed). The
 * estimate from tsc_khz is topped up by single cycles because the core's
 * TSC->ns scale rounds down.
 */
static uint64_t cycles_until(struct sim_machine *m, uint64_t deadline_ns)
{
    uint64_t now = time_now_ns(), cycles, saved = m->idle_cycles;
    unsigned __int128 c;

    if (deadline_ns <= now)
        return 0;
    c = (unsigned __int128)(deadline_ns - now) * m->cfg.tsc_khz;
    cycles = (uint64_t)((c + 999999) / 1000000);
    m->idle_cycles += cycles; /* probe the clock, then put it back */
    while (time_now_ns() < deadline_ns) {
        m->idle_cycles++;
        cycles++;
    }
    m->idle_cycles = saved;
    return cycles;
}

/* Guest instructions the machine must execute for system time to reach deadline_ns. */
static uint64_t insns_until(struct sim_machine *m, uint64_t deadline_ns)
{
    uint64_t cycles = cycles_until(m, deadline_ns), cpi = m->cfg.cycles_per_insn;

    return cycles / cpi + (cycles % cpi != 0);
}

/*
 * No vCPU can run, but one waits for a deadline: the machine idles, i.e.
 * virtual time jumps to the deadline, and the core wakes whoever is due.
 */
static bool idle_until_deadline(struct sim_machine *m)
{
    uint64_t deadline = sched_next_deadline();

    /* The timeline's alarm is a deadline too: idle time never jumps over it. */
    if (m->alarm_ns && (!deadline || m->alarm_ns < deadline))
        deadline = m->alarm_ns;
    if (!deadline)
        return false;
    m->idle_cycles += cycles_until(m, deadline);
    sched_run_timers();
    return true;
}

/* Nothing can run and no deadline is pending: nothing can ever wake a vCPU. */
static void report_deadlock(struct sim_machine *m)
{
    size_t n;
    unsigned int i;
    bool first = true;

    m->outcome = SIM_DEADLOCK;
    n = (size_t)snprintf(m->outcome_text, sizeof(m->outcome_text), "deadlock: all vCPUs blocked (");
    for (i = 0; i < m->nr_order && n < sizeof(m->outcome_text); i++) {
        struct vcpu *v = m->order[i]->v;
        const char *st = v->state == VCPU_BLOCKED   ? "blocked"
                         : v->state == VCPU_POLLING ? "polling"
                                                    : NULL;

        if (!st)
            continue;
        n += (size_t)snprintf(m->outcome_text + n, sizeof(m->outcome_text) - n, "%sd%uv%u %s",
                              first ? "" : ", ", v->domain->domid, v->vcpu_id, st);
        first = false;
    }
    if (n < sizeof(m->outcome_text))
        snprintf(m->outcome_text + n, sizeof(m->outcome_text) - n, ")");
}

uint64_t sim_deadline_insns(struct sim_machine *m)
{
    uint64_t deadline = sched_next_deadline();

    return deadline ? m->insns + insns_until(m, deadline) : UINT64_MAX;
}

/* Machine instruction count at which the next slice ends: budget, limit or next deadline. */
static uint64_t slice_end(struct sim_machine *m)
{
    uint64_t end = m->insns + m->cfg.slice_insns, at = sim_deadline_insns(m);

    if (m->cfg.insn_limit && end > m->cfg.insn_limit)
        end = m->cfg.insn_limit;
    if (at < end)
        end = at;
    if (m->alarm_ns) {
        at = m->insns + insns_until(m, m->alarm_ns);
        if (at < end)
            end = at;
    }
    /* At least one block, so that a deadline the core does not clear cannot stall the run. */
    return end > m->insns ? end : m->insns + 1;
}

/* Console lines still open when a domain stops or the run ends go to the trace. */
static void flush_consoles(struct sim_machine *m)
{
    unsigned int i;

    for (i = 0; i < m->nr_doms; i++)
        console_flush(m->doms[i]);
}

int sim_run(struct sim_machine *m)
{
    struct sim_vcpu *sv;

    m->outcome = SIM_RUNNING;
    m->outcome_text[0] = 0;
    if (!m->nr_doms) {
        m->outcome = SIM_NO_DOMAINS;
        snprintf(m->outcome_text, sizeof(m->outcome_text), "no domains");
        return m->outcome;
    }
    if (!m->order_built)
        build_order(m);
    m->stop_requested = false;
    m->stopped = NULL;
    while (m->outcome == SIM_RUNNING) {
        if (m->stop_requested) {
            m->outcome = SIM_STOPPED;
            snprintf(m->outcome_text, sizeof(m->outcome_text), "stopped by the trace observer");
        } else if (m->alarm_ns && time_now_ns() >= m->alarm_ns) {
            m->alarm_ns = 0;
            m->outcome = SIM_ALARM;
            snprintf(m->outcome_text, sizeof(m->outcome_text), "alarm");
        } else if (all_shut_down(m)) {
            m->outcome = SIM_ALL_SHUTDOWN;
            snprintf(m->outcome_text, sizeof(m->outcome_text), "all domains shut down");
        } else if (m->cfg.insn_limit && m->insns >= m->cfg.insn_limit) {
            m->outcome = SIM_INSN_LIMIT;
            snprintf(m->outcome_text, sizeof(m->outcome_text), "instruction limit reached (%llu)",
                     (unsigned long long)m->cfg.insn_limit);
        } else if (!(sv = pick_next(m))) {
            if (!idle_until_deadline(m))
                report_deadlock(m);
        } else {
            cpu_run_slice(sv, slice_end(m));
            if (sv->v->domain->is_shutting_down)
                console_flush(sv->sd);
            sched_run_timers(); /* deadlines that passed while the slice ran */
        }
    }
    flush_consoles(m);
    if (m->trace)
        fflush(m->trace);
    return m->outcome;
}
