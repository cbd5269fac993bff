/* Self-test part 2: the machine (scheduler, accounting, exits, shadow MMU, console) on tiny guests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sched.h"
#include "machine.h"
#include "public/xen.h"
#include "selftest.h"
#include "sim_internal.h"

/*
 * Usage: selftest GUEST_DIR. GUEST_DIR holds the guests of
 * sim/selftest/guests/ built by run.sh; each one's header says what it
 * checks. Prints one FAIL line per broken expectation, then a summary;
 * exit status 0 only if everything held.
 */

unsigned int selftest_failures;
static const char *guest_dir;

struct image {
    void *p;
    size_t len;
};

static struct image load(const char *name)
{
    char path[512];
    struct image im = {0};
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/%s.elf", guest_dir, name);
    f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
        fprintf(stderr, "selftest: cannot read %s\n", path);
        exit(2);
    }
    im.len = (size_t)n;
    im.p = malloc(im.len);
    if (!im.p || fread(im.p, 1, im.len, f) != im.len)
        exit(2);
    fclose(f);
    return im;
}

/* A machine running the named guests (one domain each) to its outcome. */
struct run {
    struct sim_machine *m;
    int outcome;
    const struct sim_domain_result *res[8];
    struct image im[8];
    unsigned int n;
};

static void run(struct run *r, const struct sim_config *cfg, const char *const *names)
{
    char err[256];

    memset(r, 0, sizeof(*r));
    r->m = sim_create(cfg);
    if (!r->m)
        exit(2);
    for (r->n = 0; names[r->n]; r->n++) {
        struct domain_config dc = {.name = names[r->n], .memory_kb = 8192, .vcpus = 1};

        r->im[r->n] = load(names[r->n]);
        dc.kernel = r->im[r->n].p;
        dc.kernel_len = r->im[r->n].len;
        if (sim_add_domain(r->m, &dc, err, sizeof(err))) {
            fprintf(stderr, "selftest: %s: %s\n", names[r->n], err);
            exit(2);
        }
    }
    r->outcome = sim_run(r->m);
    for (unsigned int i = 0; i < r->n; i++)
        r->res[i] = sim_domain_result(r->m, i);
}

static void done(struct run *r)
{
    sim_destroy(r->m);
    for (unsigned int i = 0; i < r->n; i++)
        free(r->im[i].p);
}

static struct vcpu *vcpu0(const struct sim_domain_result *res)
{
    return domain_vcpu(domain_by_id(res->domid), 0);
}

static bool powered_off(const struct sim_domain_result *res)
{
    return res->shut_down && !res->crashed && res->shutdown_reason == SHUTDOWN_poweroff;
}

/* Slurp a trace file (NUL-terminated). */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = calloc(1, 1 << 20);

    if (!f || !s)
        exit(2);
    if (fread(s, 1, (1 << 20) - 1, f) == 0)
        s[0] = 0;
    fclose(f);
    return s;
}

/* Exact instruction counts whatever the slice size, and the same trace. */
static void test_count(void)
{
    static const char *const g[] = {"count", NULL};
    static const uint64_t slices[] = {1, 7, 1000000};
    uint64_t hash = 0;
    struct run r;

    for (unsigned int i = 0; i < 3; i++) {
        struct sim_config cfg = {.seed = 1, .slice_insns = slices[i]};

        run(&r, &cfg, g);
        CHECK(r.outcome == SIM_ALL_SHUTDOWN && powered_off(r.res[0]),
              "count (slice %llu): outcome %s", (unsigned long long)slices[i],
              sim_outcome_text(r.m));
        CHECK(r.res[0]->insns == 3010 && sim_insns(r.m) == 3010,
              "count (slice %llu): %llu instructions, want 3010", (unsigned long long)slices[i],
              (unsigned long long)r.res[0]->insns);
        if (i == 0) {
            /* White box: a linearly mapped guest is a handful of regions, not pages. */
            const struct sim_regions *rs = &r.m->doms[0]->vcpus[0].regions;

            CHECK(rs->n >= 1 && rs->n <= 4, "count: %zu shadow regions, want 1..4", rs->n);
            for (size_t k = 0; k < rs->n && getenv("SELFTEST_VERBOSE"); k++)
                printf("  region %#llx+%#llx -> mfn %#llx prot %u\n",
                       (unsigned long long)rs->r[k].va, (unsigned long long)rs->r[k].len,
                       (unsigned long long)rs->r[k].mfn, rs->r[k].prot);
        }
        if (i)
            CHECK(sim_trace_hash(r.m) == hash, "count: trace differs with slice %llu",
                  (unsigned long long)slices[i]);
        hash = sim_trace_hash(r.m);
        done(&r);
    }
}

static void test_limit(void)
{
    static const char *const g[] = {"count", NULL};
    struct sim_config cfg = {.insn_limit = 1000};
    struct run r;

    run(&r, &cfg, g);
    /* The limit is checked per block: at most one loop block (3) beyond it. */
    CHECK(r.outcome == SIM_INSN_LIMIT && sim_insns(r.m) >= 1000 && sim_insns(r.m) < 1003,
          "limit: outcome %s after %llu instructions", sim_outcome_text(r.m),
          (unsigned long long)sim_insns(r.m));
    CHECK(sim_run(r.m) == SIM_INSN_LIMIT, "limit: a second sim_run must stop at once");
    done(&r);
}

static void test_rdtsc(void)
{
    static const char *const g[] = {"rdtsc3", NULL};
    struct sim_config cfg = {0};
    struct run r;
    struct vcpu *v;

    run(&r, &cfg, g);
    v = vcpu0(r.res[0]);
    /* Three #GP in a row: without the exception-state fix the second is a #DF. */
    CHECK(powered_off(r.res[0]), "rdtsc3: %s", r.res[0]->crash_reason);
    CHECK(v->regs.r12 < v->regs.r13 && v->regs.r13 < v->regs.r14,
          "rdtsc3: TSC not increasing: %llu %llu %llu", (unsigned long long)v->regs.r12,
          (unsigned long long)v->regs.r13, (unsigned long long)v->regs.r14);
    CHECK(v->regs.r15 == 0x566e6558 && v->regs.r10 == 7,
          "rdtsc3: plain CPUID gave ebx %#llx, want 0x566e6558 (\"XenV\")",
          (unsigned long long)v->regs.r15);
    done(&r);
}

static void test_deadlock(void)
{
    static const char *const g[] = {"block", NULL};
    struct sim_config cfg = {0};
    struct run r;

    run(&r, &cfg, g);
    CHECK(r.outcome == SIM_DEADLOCK &&
              !strncmp(sim_outcome_text(r.m), "deadlock: all vCPUs blocked", 27),
          "block: outcome %d (%s)", r.outcome, sim_outcome_text(r.m));
    done(&r);
}

/*
 * A singleshot timer wakes a poller at its deadline: the machine idles up
 * to it (few instructions run), with several clock settings, including a
 * TSC that wraps past 2^64 while the machine idles and a cost of 3 cycles
 * per instruction.
 */
static void test_timer(void)
{
    static const char *const g[] = {"timer", NULL};
    static const struct {
        uint64_t khz, start;
        uint32_t cpi;
    } c[] = {{0, 0, 0}, {100000, 0, 3}, {5000000, ~0ULL - 3000000ULL, 1}};

    for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct sim_config cfg = {
            .tsc_khz = c[i].khz, .tsc_start = c[i].start, .cycles_per_insn = c[i].cpi};
        struct run r;
        uint64_t now;

        run(&r, &cfg, g);
        now = sim_now_ns(r.m);
        CHECK(r.outcome == SIM_ALL_SHUTDOWN && powered_off(r.res[0]), "timer #%u: %s %s", i,
              sim_outcome_text(r.m), r.res[0]->crash_reason);
        CHECK(now >= 5000000 && now < 5100000, "timer #%u: woke at %llu ns, want 5 ms", i,
              (unsigned long long)now);
        CHECK(sim_insns(r.m) < 10000, "timer #%u: %llu instructions: no idle skip", i,
              (unsigned long long)sim_insns(r.m));
        done(&r);
    }
}

static void test_fault(void)
{
    static const char *const g[] = {"fault", NULL};
    struct sim_config cfg = {0};
    struct run r;
    struct vcpu *v;
    char *dump = NULL;
    size_t dump_len = 0;
    FILE *f;

    run(&r, &cfg, g);
    v = vcpu0(r.res[0]);
    CHECK(r.res[0]->crashed && r.res[0]->crash_reason[0], "fault: domain did not crash");
    CHECK(v->regs.rip == 0x100086 && v->regs.r9 == 7,
          "fault: imprecise fault state: rip %#llx (want 0x100086), r9 %llu (want 7)",
          (unsigned long long)v->regs.rip, (unsigned long long)v->regs.r9);
    f = open_memstream(&dump, &dump_len);
    sim_dump_vcpu(f, v);
    fclose(f);
    CHECK(strstr(dump, "=> 0000000000100086: mov") != NULL, "fault: dump lacks the RIP line:\n%s",
          dump);
    free(dump);
    done(&r);
}

static void test_ring(void)
{
    static const char *const g[] = {"ring", NULL};
    const char *path = "selftest-ring.trace";
    struct sim_config cfg = {.trace_path = path};
    struct run r;
    char *t;

    run(&r, &cfg, g);
    CHECK(powered_off(r.res[0]), "ring: %s", r.res[0]->crash_reason);
    CHECK(!strcmp(r.res[0]->console_ring, "hi\r\nthere\ntail"), "ring: console \"%s\"",
          r.res[0]->console_ring);
    done(&r); /* closes the trace file */
    t = read_text(path);
    CHECK(strstr(t, "console ring: bogus indices") != NULL, "ring: bogus indices not reported");
    CHECK(strstr(t, "] console d1 ring: hi\n") && strstr(t, "] console d1 ring: there\n") &&
              strstr(t, "] console d1 ring: tail\n"),
          "ring: console lines missing from the trace:\n%s", t);
    free(t);
    remove(path);
}

static void test_remap(void)
{
    static const char *const g[] = {"remap", NULL};
    struct sim_config cfg = {0};
    struct run r;
    struct vcpu *v;

    run(&r, &cfg, g);
    v = vcpu0(r.res[0]);
    CHECK(powered_off(r.res[0]), "remap: %s", r.res[0]->crash_reason);
    CHECK(v->regs.r12 == 3 && v->regs.r13 == 1 && v->regs.r14 == 2,
          "remap: code at X gave %llu %llu %llu, want 3 1 2 (stale translation?)",
          (unsigned long long)v->regs.r12, (unsigned long long)v->regs.r13,
          (unsigned long long)v->regs.r14);
    CHECK(v->regs.r15 == 12121212, "remap: alternating A/B gave %llu, want 12121212",
          (unsigned long long)v->regs.r15);
    done(&r);
}

/* Kernel -> user -> syscall bounce -> kernel -> user -> #PF on a kernel-only page. */
static void test_user(void)
{
    static const char *const g[] = {"user", NULL};
    struct sim_config cfg = {0};
    struct run r;
    struct vcpu *v;

    run(&r, &cfg, g);
    v = vcpu0(r.res[0]);
    CHECK(r.res[0]->crashed && strstr(r.res[0]->crash_reason, "user mode"),
          "user: want a crash in user mode, got \"%s\"", r.res[0]->crash_reason);
    CHECK(!v->kernel_mode && v->regs.rip == 0x100900, "user: crash at %#llx (kernel mode %d)",
          (unsigned long long)v->regs.rip, v->kernel_mode);
    CHECK(v->regs.r12 == 42 && v->regs.r13 == 43 && v->regs.r14 == 44,
          "user: r12..r14 = %llu %llu %llu, want 42 43 44", (unsigned long long)v->regs.r12,
          (unsigned long long)v->regs.r13, (unsigned long long)v->regs.r14);
    done(&r);
}

/* Two domains, tiny slices: per-domain results independent of the seed; hash stable per seed. */
static void test_seeds(void)
{
    static const char *const g[] = {"count", "remap", "rdtsc3", "user", NULL};
    uint64_t first_hash = 0;
    struct run r;

    for (uint64_t seed = 1; seed <= 4; seed++) {
        struct sim_config cfg = {.seed = seed == 4 ? 1 : seed, .slice_insns = 5};

        run(&r, &cfg, g);
        CHECK(r.outcome == SIM_ALL_SHUTDOWN && powered_off(r.res[0]) && powered_off(r.res[1]) &&
                  powered_off(r.res[2]),
              "seed %llu: %s", (unsigned long long)cfg.seed, sim_outcome_text(r.m));
        CHECK(r.res[0]->insns == 3010, "seed %llu: count ran %llu instructions",
              (unsigned long long)cfg.seed, (unsigned long long)r.res[0]->insns);
        CHECK(vcpu0(r.res[1])->regs.r13 == 1 && vcpu0(r.res[1])->regs.r14 == 2,
              "seed %llu: remap wrong", (unsigned long long)cfg.seed);
        if (seed == 1)
            first_hash = sim_trace_hash(r.m);
        if (seed == 4)
            CHECK(sim_trace_hash(r.m) == first_hash, "same seed, different trace hash");
        done(&r);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s GUEST_DIR\n", argv[0]);
        return 2;
    }
    guest_dir = argv[1];
    facts_check();
    test_count();
    test_limit();
    test_rdtsc();
    test_deadlock();
    test_timer();
    test_fault();
    test_ring();
    test_remap();
    test_user();
    test_seeds();
    printf("sim selftest: %s (%u failure%s)\n", selftest_failures ? "FAILED" : "passed",
           selftest_failures, selftest_failures == 1 ? "" : "s");
    return selftest_failures ? 1 : 0;
}
