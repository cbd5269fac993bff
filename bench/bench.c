/* make bench: medians of hvsim's speed, each against an anchor measured in the same run. */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <unicorn/unicorn.h>

#include "machine.h"
#include "sim_internal.h" /* SIM_UNTIL, excfix_*: the raw anchors leave and trap as hvsim does */

extern char **environ;

#define REPS 5
#define LOOP_ITERS 100000000UL /* 5 instructions each */
#define CALL_ITERS 200000UL
#define TICK_UPCALLS 360000UL /* one hour of 10 ms ticks */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char exe_dir[4096];

static void *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(*len);
    if (fread(buf, 1, *len, f) != *len) {
        fprintf(stderr, "bench: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    return buf;
}

/* Run one bench guest; returns the seconds spent in sim_run and its instruction count. */
static double run_guest(const char *name, const char *args, unsigned long iters, uint64_t *insns)
{
    char path[8192], extra[128], err[512];
    snprintf(path, sizeof(path), "%s/guests/%s.elf", exe_dir, name);
    snprintf(extra, sizeof(extra), "iters=%lu %s", iters, args);
    size_t len;
    void *img = read_all(path, &len);
    struct sim_config cfg = {.seed = 1, .insn_limit = 0};
    struct sim_machine *m = sim_create(&cfg);
    struct domain_config dc = {.name = name,
                               .kernel = img,
                               .kernel_len = len,
                               .cmdline = extra,
                               .memory_kb = 32 * 1024,
                               .vcpus = 1};
    if (!m || sim_add_domain(m, &dc, err, sizeof(err))) {
        fprintf(stderr, "bench: %s: %s\n", name, err);
        exit(2);
    }
    double t0 = now_s();
    sim_run(m);
    double t = now_s() - t0;
    const struct sim_domain_result *r = sim_domain_result(m, 0);
    if (!strstr(r->console, "Test result: SUCCESS")) {
        fprintf(stderr, "bench: %s did not succeed:\n%.*s\n", name, (int)r->console_len,
                r->console);
        exit(1);
    }
    *insns = sim_insns(m);
    sim_destroy(m);
    free(img);
    return t;
}

/* One run of a guest with its command line as given: wall time of sim_run and what it did. */
struct guest_run {
    double secs;
    uint64_t insns, uc_runs;
    char console[8192];
};

static void run_guest_cmdline(const char *name, const char *cmdline, uint64_t memory_kb,
                              struct guest_run *out)
{
    char path[8192], err[512];
    size_t len;
    void *img;

    snprintf(path, sizeof(path), "%s/guests/%s.elf", exe_dir, name);
    img = read_all(path, &len);
    struct sim_config cfg = {.seed = 1, .insn_limit = 2000000000ULL};
    struct sim_machine *m = sim_create(&cfg);
    struct domain_config dc = {.name = name,
                               .kernel = img,
                               .kernel_len = len,
                               .cmdline = cmdline,
                               .memory_kb = memory_kb,
                               .vcpus = 1};
    if (!m || sim_add_domain(m, &dc, err, sizeof(err))) {
        fprintf(stderr, "bench: %s: %s\n", name, err);
        exit(2);
    }
    double t0 = now_s();
    sim_run(m);
    out->secs = now_s() - t0;
    const struct sim_domain_result *r = sim_domain_result(m, 0);
    if (!strstr(r->console, "Test result: SUCCESS")) {
        fprintf(stderr, "bench: %s %s did not succeed (%s):\n%.*s\n", name, cmdline,
                sim_outcome_text(m), (int)r->console_len, r->console);
        exit(1);
    }
    snprintf(out->console, sizeof(out->console), "%.*s", (int)r->console_len, r->console);
    out->insns = sim_insns(m);
    out->uc_runs = sim_uc_runs(m);
    sim_destroy(m);
    free(img);
}

/* The first console line starting with "[time] " that `fmt` (one %llu) matches: its number, or 0.
 */
static unsigned long long console_time_number(const char *console, const char *fmt)
{
    unsigned long long v;

    for (const char *p = console; (p = strstr(p, "[time] ")); p++)
        if (sscanf(p + 7, fmt, &v) == 1)
            return v;
    return 0;
}

/* Raw Unicorn, same code, no hypervisor: map code at 0x1000, data at 0x2000. */
static void raw_hook_syscall(uc_engine *uc, void *u)
{
    (void)uc, (void)u;
}

static double run_raw(const uint8_t *code, size_t len, unsigned long iters, bool hook_syscall)
{
    static uint8_t mem[0x2000] __attribute__((aligned(4096)));
    uc_engine *uc;
    uc_hook h;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc)) {
        fprintf(stderr, "bench: uc_open failed\n");
        exit(2);
    }
    memset(mem, 0, sizeof(mem));
    memcpy(mem, code, len);
    uc_mem_map_ptr(uc, 0x1000, sizeof(mem), UC_PROT_ALL, mem);
    if (hook_syscall)
        uc_hook_add(uc, &h, UC_HOOK_INSN, raw_hook_syscall, NULL, 1, 0, UC_X86_INS_SYSCALL);
    uint64_t rcx = iters, rax = 0x12345678, rbx = 0x2000;
    uc_reg_write(uc, UC_X86_REG_RCX, &rcx);
    uc_reg_write(uc, UC_X86_REG_RAX, &rax);
    uc_reg_write(uc, UC_X86_REG_RBX, &rbx);
    double t0 = now_s();
    uc_err e = uc_emu_start(uc, 0x1000, 0x1000 + len - 1, 0, 0); /* stop at the final hlt */
    double t = now_s() - t0;
    if (e) {
        fprintf(stderr, "bench: raw unicorn: %s\n", uc_strerror(e));
        exit(2);
    }
    uc_close(uc);
    return t;
}

/* The guests' loops, register-allocated as rax (acc), rcx (count), rbx (sink). */
static const uint8_t loop_code[] = {0x48, 0x01, 0xc8,                   /* add %rcx,%rax */
                                    0x48, 0xc1, 0xc0, 0x05,             /* rol $5,%rax */
                                    0x48, 0x35, 0x95, 0xe9, 0xd1, 0x5b, /* xor $0x5bd1e995,%rax */
                                    0x48, 0xff, 0xc9,                   /* dec %rcx */
                                    0x75, 0xee,                         /* jnz loop */
                                    0xf4};
static const uint8_t loop4_code[] = {
    0x48, 0x01, 0xc8, 0x48, 0xc1, 0xc0, 0x05, 0x48, 0x35, 0x95, 0xe9, 0xd1, 0x5b, /* round 1 */
    0x48, 0x01, 0xc8, 0x48, 0xc1, 0xc0, 0x05, 0x48, 0x35, 0x95, 0xe9, 0xd1, 0x5b, /* round 2 */
    0x48, 0x01, 0xc8, 0x48, 0xc1, 0xc0, 0x05, 0x48, 0x35, 0x95, 0xe9, 0xd1, 0x5b, /* round 3 */
    0x48, 0x01, 0xc8, 0x48, 0xc1, 0xc0, 0x05, 0x48, 0x35, 0x95, 0xe9, 0xd1, 0x5b, /* round 4 */
    0x48, 0xff, 0xc9,                                                             /* dec %rcx */
    0x75, 0xc7, /* jnz loop (-57) */
    0xf4};
static const uint8_t store_code[] = {0x48, 0x01, 0xc8, 0x48, 0xc1, 0xc0, 0x05, 0x48, 0x35,
                                     0x95, 0xe9, 0xd1, 0x5b, 0x48, 0x89, 0x03, /* mov %rax,(%rbx) */
                                     0x48, 0xff, 0xc9, 0x75, 0xeb, 0xf4};
static const uint8_t syscall_code[] = {0x0f, 0x05, 0x48, 0xff, 0xc9, 0x75, 0xf9, 0xf4};
static const uint8_t rdtsc_code[] = {0x0f, 0x31, 0x48, 0xff, 0xc9, 0x75, 0xf9, 0xf4};

/*
 * Raw Unicorn anchor for the simulator's guest entries: `entries` times
 * uc_emu_start on one engine, each running one `syscall` whose hook sends
 * the CPU to the never-mapped end address, which is how the simulator
 * leaves a guest that blocks (SIM_UNTIL; a syscall hook's RIP gets the
 * instruction length added). So: enter, one hook, leave, and nothing else.
 * (An end address inside the code would cost a translation per entry:
 * Unicorn drops the block that holds it after every run.)
 */
static void raw_leave_hook(uc_engine *uc, void *u)
{
    uint64_t rip = SIM_UNTIL - 2;

    (void)u;
    uc_reg_write(uc, UC_X86_REG_RIP, &rip);
}

static double run_raw_entries(uint64_t entries)
{
    static uint8_t page[0x1000] __attribute__((aligned(4096)));
    uc_engine *uc;
    uc_hook h;

    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc)) {
        fprintf(stderr, "bench: uc_open failed\n");
        exit(2);
    }
    memset(page, 0xf4, sizeof(page));
    page[0] = 0x0f; /* syscall */
    page[1] = 0x05;
    uc_mem_map_ptr(uc, 0x1000, sizeof(page), UC_PROT_ALL, page);
    uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)raw_leave_hook, NULL, 1, 0, UC_X86_INS_SYSCALL);
    double t0 = now_s();
    for (uint64_t i = 0; i < entries; i++) {
        uc_err e = uc_emu_start(uc, 0x1000, SIM_UNTIL, 0, 0);
        if (e) {
            fprintf(stderr, "bench: raw unicorn entry: %s\n", uc_strerror(e));
            exit(2);
        }
    }
    double t = now_s() - t0;
    uc_close(uc);
    return t;
}

/*
 * Raw Unicorn anchor for a trapped RDTSC: the same loop as rdtsc_code run
 * at CPL 3 with CR4.TSD set, so each rdtsc is a #GP; a UC_HOOK_INTR hook
 * writes edx:eax, steps RIP over the instruction and clears Unicorn
 * 2.0.1's exception-in-flight state with the simulator's own fix (without
 * it the second #GP would come as #DF). That is the least any emulation of
 * a trapped RDTSC costs on this Unicorn; the simulator adds the core's #GP
 * decoding, its virtual TSC and the trace record.
 *
 * Layout: code 0x1000, GDT 0x3000 (ring-0 and ring-3 64-bit code and data),
 * stack 0x4000-0x5000, and at 0x5000 an `iretq` that drops to CPL 3.
 */
struct raw_gp {
    uc_context *scratch;
    uint64_t tsc, traps, other;
};

static void raw_gp_hook(uc_engine *uc, uint32_t intno, void *user)
{
    static int ids[] = {UC_X86_REG_RAX, UC_X86_REG_RDX, UC_X86_REG_RIP};
    struct raw_gp *g = user;
    uint64_t rip, rax, rdx;
    void *vals[] = {&rax, &rdx, &rip};

    if (intno != 13) {
        g->other++;
        uc_emu_stop(uc);
        return;
    }
    g->traps++;
    g->tsc += 100;
    uc_reg_read(uc, UC_X86_REG_RIP, &rip);
    rip += 2;
    rax = (uint32_t)g->tsc;
    rdx = g->tsc >> 32;
    uc_reg_write_batch(uc, ids, vals, 3);
    excfix_apply(uc, g->scratch);
}

static double run_raw_trapped_rdtsc(unsigned long iters)
{
    static uint8_t mem[0x5000] __attribute__((aligned(4096)));
    static const uint64_t gdt[] = {0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL,
                                   0x00cff2000000ffffULL, 0x00affa000000ffffULL};
    const uint64_t user_cs = 4 << 3 | 3, user_ss = 3 << 3 | 3, cr4_tsd = 4;
    uint64_t *frame = (uint64_t *)(mem + 0x4f00 - 0x1000);
    uc_x86_mmr gdtr = {.base = 0x3000, .limit = sizeof(gdt) - 1};
    uint64_t rsp = 0x4f00, rcx = iters;
    struct raw_gp g = {0};
    uc_engine *uc;
    uc_hook h;

    excfix_init();
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc)) {
        fprintf(stderr, "bench: uc_open failed\n");
        exit(2);
    }
    memset(mem, 0, sizeof(mem));
    memcpy(mem, rdtsc_code, sizeof(rdtsc_code));
    memcpy(mem + 0x2000, gdt, sizeof(gdt));
    mem[0x4000] = 0x48; /* iretq */
    mem[0x4001] = 0xcf;
    frame[0] = 0x1000;  /* rip */
    frame[1] = user_cs; /* cs */
    frame[2] = 0x2;     /* rflags */
    frame[3] = 0x4800;  /* rsp */
    frame[4] = user_ss; /* ss */
    uc_mem_map_ptr(uc, 0x1000, sizeof(mem), UC_PROT_ALL, mem);
    uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
    uc_reg_write(uc, UC_X86_REG_CR4, &cr4_tsd);
    uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
    uc_reg_write(uc, UC_X86_REG_RCX, &rcx);
    uc_context_alloc(uc, &g.scratch);
    uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)raw_gp_hook, &g, 1, 0);
    double t0 = now_s();
    uc_err e = uc_emu_start(uc, 0x5000, 0x1000 + sizeof(rdtsc_code) - 1, 0, 0);
    double t = now_s() - t0;
    if (e || g.traps != iters || g.other) {
        fprintf(stderr, "bench: raw trapped rdtsc: %s, %llu #GP for %lu rdtsc, %llu other\n",
                uc_strerror(e), (unsigned long long)g.traps, iters, (unsigned long long)g.other);
        exit(2);
    }
    uc_context_free(g.scratch);
    uc_close(uc);
    return t;
}

static double native_loop(unsigned long iters)
{
    unsigned long acc = 0x12345678, i = iters;
    double t0 = now_s();
    asm volatile("1: add %[i], %[acc]; rol $5, %[acc]; xor $0x5bd1e995, %[acc]; dec %[i]; jnz 1b"
                 : [acc] "+r"(acc), [i] "+r"(i));
    return now_s() - t0;
}

static double spawn_wait(char *const argv[])
{
    pid_t pid;
    double t0 = now_s();
    int devnull_out = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
    if (devnull_out) {
        fprintf(stderr, "bench: cannot start %s\n", argv[0]);
        exit(2);
    }
    int st;
    waitpid(pid, &st, 0);
    double t = now_s() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
        fprintf(stderr, "bench: %s failed\n", argv[0]);
        exit(1);
    }
    return t;
}

/* A loop of insns_per_iter instructions, run for about `total` instructions. */
static void figure_loop(const char *guest, const char *args, const uint8_t *code, size_t len,
                        unsigned int insns_per_iter, uint64_t total, const char *what)
{
    double h[REPS], r[REPS];
    uint64_t insns = 0;
    unsigned long iters = total / insns_per_iter;
    for (int i = 0; i < REPS; i++) {
        h[i] = run_guest(guest, args, iters, &insns);
        r[i] = run_raw(code, len, iters, false);
    }
    double raw_ips = (double)insns_per_iter * iters / median(r, REPS),
           hv_ips = insns / median(h, REPS);
    printf("%-34s %9.0f M insn/s   raw Unicorn %7.0f M/s   ratio %.2f (goal >= 0.50)\n", what,
           hv_ips / 1e6, raw_ips / 1e6, hv_ips / raw_ips);
}

static void figure_per_op(const char *guest, const uint8_t *code, size_t len, bool hook,
                          const char *what, const char *anchor, double goal_ns)
{
    double h[REPS], r[REPS];
    uint64_t insns;
    for (int i = 0; i < REPS; i++) {
        h[i] = run_guest(guest, "", CALL_ITERS, &insns) / CALL_ITERS;
        r[i] = run_raw(code, len, CALL_ITERS, hook) / CALL_ITERS;
    }
    double hn = median(h, REPS) * 1e9, rn = median(r, REPS) * 1e9;
    printf("%-34s %9.0f ns         %-20s %5.0f ns   ratio %.1f (goal <= %.0f ns)\n", what, hn,
           anchor, rn, hn / rn, goal_ns);
}

/* One trapped RDTSC: hvsim, raw Unicorn untrapped, raw Unicorn trapped to a hook (same run). */
static void figure_rdtsc(void)
{
    double h[REPS], u[REPS], t[REPS];
    uint64_t insns;

    for (int i = 0; i < REPS; i++) {
        h[i] = run_guest("bench-rdtsc", "", CALL_ITERS, &insns) / CALL_ITERS;
        u[i] = run_raw(rdtsc_code, sizeof(rdtsc_code), CALL_ITERS, false) / CALL_ITERS;
        t[i] = run_raw_trapped_rdtsc(CALL_ITERS) / CALL_ITERS;
    }
    double hn = median(h, REPS) * 1e9, un = median(u, REPS) * 1e9, tn = median(t, REPS) * 1e9;
    printf("%-34s %9.0f ns         %-20s %5.0f ns   ratio %.1f (goal <= 500 ns)\n", "trapped RDTSC",
           hn, "raw untrapped rdtsc", un, hn / un);
    printf("%-34s %9s            %-20s %5.0f ns   ratio %.1f\n", "", "", "raw #GP hook + fix", tn,
           hn / tn);
}

/*
 * One hour of virtual time of an idle guest on a 10 ms tick (guest "tick",
 * as scenarios/bench/tick-1h.scn: 16 MiB, default clock). Every vCPU is
 * blocked between ticks, so the wall time is the cost of 360,000 wake-ups
 * and timer upcalls. Anchor: raw Unicorn entering and leaving the emulator
 * as many times as the simulator did in that run (sim_uc_runs). The tick
 * guest also measures one pvclock read (lib/pvclock.c pvclock_now: the
 * seqlock copy of the time record, an emulated rdtsc, the 96-bit product)
 * in virtual TSC cycles. The default cost model, which the bench uses, is
 * cycles_per_insn 1: every guest instruction is one cycle and trapped
 * instructions or hypervisor work cost nothing extra. Instructions are
 * counted per translated block when it is entered, so a trap in the
 * middle of a block counts the rest of that block again when it resumes.
 */
static void figure_tick(void)
{
    char cmdline[128];
    double h[REPS], a[REPS];
    static struct guest_run run;

    snprintf(cmdline, sizeof(cmdline), "upcalls=%lu period_us=10000", TICK_UPCALLS);
    for (int i = 0; i < REPS; i++) {
        run_guest_cmdline("tick", cmdline, 16 * 1024, &run);
        h[i] = run.secs;
        a[i] = run_raw_entries(run.uc_runs);
    }
    unsigned long long upcalls = console_time_number(run.console, "%llu upcalls in");
    unsigned long long pvclock = console_time_number(run.console, "pvclock read: %llu cycles");
    double hs = median(h, REPS), as = median(a, REPS);

    if (upcalls != TICK_UPCALLS) {
        fprintf(stderr, "bench: tick: %llu upcalls, expected %lu:\n%s\n", upcalls, TICK_UPCALLS,
                run.console);
        exit(1);
    }
    printf("%-34s %9.2f s          (goal <= 3 s)   %llu upcalls, %.2f us per upcall\n",
           "1 h of 10 ms ticks, blocked guest", hs, upcalls, hs / upcalls * 1e6);
    printf("%-34s %9s            raw Unicorn, %llu entries %6.3f s   ratio %.1f "
           "(%.2f us per entry)\n",
           "", "", (unsigned long long)run.uc_runs, as, hs / as, as / run.uc_runs * 1e6);
    printf("%-34s %9llu cycles     virtual TSC, as the guest measures it; cycles_per_insn 1 "
           "(the default: 1 cycle per guest instruction), %.1f ns at 3 GHz\n",
           "pvclock read (seqlock + product)", pvclock, pvclock / 3.0);
}

int main(int argc, char **argv)
{
    ssize_t n = readlink("/proc/self/exe", exe_dir, sizeof(exe_dir) - 1);
    if (n <= 0)
        return 2;
    exe_dir[n] = 0;
    *strrchr(exe_dir, '/') = 0;

    printf("hvsim benchmarks: medians of %d runs, anchors measured in the same run\n", REPS);
    double nat[REPS];
    for (int i = 0; i < REPS; i++)
        nat[i] = native_loop(LOOP_ITERS);
    printf("%-34s %9.0f M insn/s   (native anchor)\n", "compute loop, native code",
           5.0 * LOOP_ITERS / median(nat, REPS) / 1e6);
    figure_loop("bench-loop", "rounds=4", loop4_code, sizeof(loop4_code), 14, 5 * LOOP_ITERS,
                "compute loop (14-insn block), hvsim");
    figure_loop("bench-loop", "", loop_code, sizeof(loop_code), 5, 5 * LOOP_ITERS,
                "tight loop (5-insn block), hvsim");
    figure_loop("bench-loop-store", "", store_code, sizeof(store_code), 6, LOOP_ITERS,
                "store loop (6-insn block), hvsim");
    figure_per_op("bench-hypercall", syscall_code, sizeof(syscall_code), true,
                  "hypercall round trip", "raw syscall hook", 2000);
    figure_rdtsc();
    figure_tick();

    char hvsim[8192], scn[8192];
    snprintf(hvsim, sizeof(hvsim), "%s/hvsim", exe_dir);
    snprintf(scn, sizeof(scn), "%s/scenarios/hello.scn", HVSIM_SOURCE_DIR);
    char *run_argv[] = {hvsim, "run", scn, NULL};
    char *true_argv[] = {"/bin/true", NULL};
    double w[11], t[11];
    setenv("HVSIM_GUEST_DIR", "", 0);
    int saved = dup(1);
    FILE *null = freopen("/dev/null", "w", stdout);
    (void)null;
    for (int i = 0; i < 11; i++) {
        w[i] = spawn_wait(run_argv);
        t[i] = spawn_wait(true_argv);
    }
    fflush(stdout);
    dup2(saved, 1);
    stdout = fdopen(saved, "w");
    printf("%-34s %9.1f ms         process start /bin/true %4.1f ms   (goal <= 30 ms)\n",
           "hello.scn wall time", median(w, 11) * 1e3, median(t, 11) * 1e3);
    (void)argc, (void)argv;
    return 0;
}
