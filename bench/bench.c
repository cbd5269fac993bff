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

extern char **environ;

#define REPS 5
#define LOOP_ITERS 100000000UL /* 5 instructions each */
#define CALL_ITERS 200000UL

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
    figure_per_op("bench-rdtsc", rdtsc_code, sizeof(rdtsc_code), false, "trapped RDTSC",
                  "raw untrapped rdtsc", 500);

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
