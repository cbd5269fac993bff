/* The simulated machine: RAM, core initialisation, domains and their vCPU engines, results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hv/mm.h"
#include "hv/time.h"
#include "sim_internal.h"

void sim_fatal(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "hvsim: simulator bug: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

void sim_uc_check(uc_err err, const char *what)
{
    if (err != UC_ERR_OK)
        sim_fatal("%s failed: %s", what, uc_strerror(err));
}

struct sim_domain *sim_domain_of(struct domain *d)
{
    struct sim_machine *m = sim_current;
    ptrdiff_t slot = d - hv.domains;

    if (!m || slot < 0 || slot >= HV_MAX_DOMAINS)
        return NULL;
    return m->by_slot[slot];
}

/* NULL while the domain is being built (before sim_add_domain registered it). */
struct sim_vcpu *sim_vcpu_of(struct vcpu *v)
{
    struct sim_domain *sd = sim_domain_of(v->domain);

    if (!sd || v->vcpu_id >= sd->nr_vcpus)
        return NULL;
    return &sd->vcpus[v->vcpu_id];
}

static void *alloc_pages(size_t bytes)
{
    /*
     * Anonymous mmap rather than posix_memalign: the memory is guaranteed
     * zero (nothing host-dependent can leak into a guest) and only touched
     * pages cost anything, so 256 MiB machines are cheap to create.
     */
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

/* The core's clock settings from the machine's (enum sim_refresh matches enum time_refresh). */
static void configure_time(const struct sim_config *cfg)
{
    static const enum time_refresh policy[] = {
        [SIM_REFRESH_XEN] = TIME_REFRESH_XEN,
        [SIM_REFRESH_PERIODIC] = TIME_REFRESH_PERIODIC,
        [SIM_REFRESH_ON_TIMER] = TIME_REFRESH_ON_TIMER,
        [SIM_REFRESH_FROZEN] = TIME_REFRESH_FROZEN,
    };
    struct time_config tc = {
        .refresh =
            cfg->time_refresh <= SIM_REFRESH_FROZEN ? policy[cfg->time_refresh] : TIME_REFRESH_XEN,
        .refresh_period_ns = cfg->refresh_period_ns,
        .wallclock_sec = cfg->wallclock_sec,
        .wallclock_nsec = cfg->wallclock_nsec,
    };

    time_configure(&tc);
}

struct sim_machine *sim_create(const struct sim_config *cfg)
{
    static const uint64_t reserved[] = {0}; /* frame 0: never handed out (catches NULL MFNs) */
    struct sim_machine *m;
    uint8_t *meta_end;

    if (sim_current) {
        fprintf(stderr, "hvsim: sim_create: destroy the previous machine first\n");
        return NULL;
    }
    excfix_init();
    m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->cfg = *cfg;
    if (!m->cfg.ram_mib)
        m->cfg.ram_mib = SIM_DEFAULT_RAM_MIB;
    if (!m->cfg.tsc_khz)
        m->cfg.tsc_khz = SIM_DEFAULT_TSC_KHZ;
    if (!m->cfg.slice_insns)
        m->cfg.slice_insns = SIM_DEFAULT_SLICE;
    if (!m->cfg.cycles_per_insn)
        m->cfg.cycles_per_insn = SIM_DEFAULT_CYCLES_PER_INSN;
    m->nr_frames = m->cfg.ram_mib << (20 - PAGE_SHIFT);
    m->ram_bytes = m->nr_frames * PAGE_SIZE;
    m->ram = alloc_pages(m->ram_bytes);
    /* One spare page: the M2P mapping is rounded up to whole pages. */
    m->meta_bytes = ((mm_meta_bytes(m->nr_frames) + PAGE_SIZE - 1) & PAGE_MASK) + PAGE_SIZE;
    m->meta = alloc_pages(m->meta_bytes);
    if (!m->ram || !m->meta) {
        fprintf(stderr, "hvsim: cannot allocate %llu MiB of machine RAM\n",
                (unsigned long long)m->cfg.ram_mib);
        sim_destroy(m);
        return NULL;
    }
    if (cfg->trace_path) {
        m->trace = fopen(cfg->trace_path, "w");
        if (!m->trace) {
            fprintf(stderr, "hvsim: cannot open trace file %s: %s\n", cfg->trace_path,
                    strerror(errno));
            sim_destroy(m);
            return NULL;
        }
    }
    m->trace_hash = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */
    icount_init(m);
    sim_current = m; /* the core may call arch hooks from hv_init */
    configure_time(&m->cfg);
    hv_init(m->nr_frames, m->meta, reserved, 1);

    m->m2p_bytes = (m->nr_frames * sizeof(uint64_t) + PAGE_SIZE - 1) & PAGE_MASK;
    meta_end = (uint8_t *)m->meta + m->meta_bytes;
    if (((uintptr_t)hv_mem.m2p & (PAGE_SIZE - 1)) || (uint8_t *)hv_mem.m2p < (uint8_t *)m->meta ||
        (uint8_t *)hv_mem.m2p + m->m2p_bytes > meta_end)
        sim_fatal("the core's M2P table is not page-aligned inside the meta buffer: "
                  "it cannot be mapped for guests");
    return m;
}

int sim_add_domain(struct sim_machine *m, const struct domain_config *cfg, char *err, size_t errlen)
{
    struct sim_domain *sd;
    struct domain *d;
    unsigned int i;
    int rc;

    if (m->nr_doms == HV_MAX_DOMAINS) {
        snprintf(err, errlen, "too many domains (max %d)", HV_MAX_DOMAINS);
        return -1;
    }
    rc = domain_build(cfg, &d, err, errlen);
    if (rc) {
        if (!err[0])
            snprintf(err, errlen, "domain_build failed (%d)", rc);
        return -1;
    }
    sd = calloc(1, sizeof(*sd));
    if (!sd)
        sim_fatal("out of memory (domain)");
    sd->m = m;
    sd->d = d;
    sd->idx = m->nr_doms;
    snprintf(sd->name, sizeof(sd->name), "%s", d->name);
    sd->nr_vcpus = d->max_vcpus < HV_MAX_VCPUS ? d->max_vcpus : HV_MAX_VCPUS;
    for (i = 0; i < sd->nr_vcpus; i++) {
        struct sim_vcpu *sv = &sd->vcpus[i];

        sv->m = m;
        sv->sd = sd;
        sv->v = &d->vcpus[i];
    }
    /*
     * vCPU 0 gets its engine now; the others when they first become
     * runnable (cpu_run_slice): an engine costs about 5 ms, 3 MiB and 1 GiB
     * of reserved address space, and most declared vCPUs never come up.
     */
    if (sd->nr_vcpus)
        cpu_create(&sd->vcpus[0]);
    m->doms[m->nr_doms++] = sd;
    m->by_slot[d - hv.domains] = sd;
    m->order_built = false;
    return 0;
}

unsigned int sim_nr_domains(const struct sim_machine *m)
{
    return m->nr_doms;
}

const struct sim_domain_result *sim_domain_result(struct sim_machine *m, unsigned int idx)
{
    struct sim_domain *sd;
    struct sim_domain_result *r;
    struct domain *d;
    unsigned int i;

    if (idx >= m->nr_doms)
        return NULL;
    sd = m->doms[idx];
    d = sd->d;
    r = &sd->res;
    memset(r, 0, sizeof(*r));
    r->domid = d->domid;
    r->name = sd->name;
    r->shut_down = d->is_shutting_down;
    r->crashed = d->is_crashed;
    r->destroyed = d->is_dying;
    r->shutdown_reason = d->shutdown_reason;
    r->shutdown_code = d->shutdown_code;
    snprintf(sd->crash_reason, sizeof(sd->crash_reason), "%s",
             d->is_crashed ? d->crash_reason : "");
    r->crash_reason = sd->crash_reason;
    r->console = sd->text[0].s ? sd->text[0].s : "";
    r->console_len = sd->text[0].len;
    r->console_io = sd->text[1 + TR_CON_HYPERCALL].s ? sd->text[1 + TR_CON_HYPERCALL].s : "";
    r->console_io_len = sd->text[1 + TR_CON_HYPERCALL].len;
    r->console_ring = sd->text[1 + TR_CON_RING].s ? sd->text[1 + TR_CON_RING].s : "";
    r->console_ring_len = sd->text[1 + TR_CON_RING].len;
    for (i = 0; i < 3; i++)
        r->console_truncated |= sd->text[i].truncated;
    for (i = 0; i < sd->nr_vcpus; i++) {
        r->insns += sd->vcpus[i].insns;
        r->nr_hypercalls += sd->vcpus[i].v->nr_hypercalls;
        r->nr_traps += sd->vcpus[i].v->nr_traps;
    }
    return r;
}

uint64_t sim_insns(const struct sim_machine *m)
{
    return m->insns;
}

uint64_t sim_uc_runs(const struct sim_machine *m)
{
    return m->uc_runs;
}

uint64_t sim_trace_hash(const struct sim_machine *m)
{
    return m->trace_hash;
}

const char *sim_outcome_text(const struct sim_machine *m)
{
    return m->outcome_text;
}

void sim_destroy(struct sim_machine *m)
{
    unsigned int i, j;

    if (!m)
        return;
    for (i = 0; i < m->nr_doms; i++) {
        struct sim_domain *sd = m->doms[i];

        for (j = 0; j < sd->nr_vcpus; j++)
            cpu_destroy(&sd->vcpus[j]);
        for (j = 0; j < 3; j++)
            free(sd->text[j].s);
        icount_table_free(&sd->icount);
        free(sd);
    }
    icount_fini(m);
    if (m->trace)
        fclose(m->trace);
    if (m->ram)
        munmap(m->ram, m->ram_bytes);
    if (m->meta)
        munmap(m->meta, m->meta_bytes);
    if (sim_current == m)
        sim_current = NULL;
    free(m);
}
