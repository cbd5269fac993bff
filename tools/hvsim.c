/* hvsim: run PV guests in the simulated machine, from scenario files or one kernel. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"
#include "report.h"
#include "scenario.h"

#include "hv/trace.h"
#include "public/xen.h"

/* XTF-style exit codes of `hvsim run --kernel`. */
enum { XTF_SUCCESS = 0, XTF_SKIP = 3, XTF_ERROR = 4, XTF_FAILURE = 5, XTF_CRASH = 6 };
#define EXIT_INPUT 2

struct options {
    const char *trace;
    const char *kernel;
    const char *extra;
    uint64_t memory_mib;
    uint64_t seed, limit;
    bool has_seed, has_limit;
    bool disasm, verbose, console;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: hvsim run [options] FILE.scn...\n"
               "       hvsim run [options] --kernel FILE.elf [--extra \"...\"] [--memory MIB]\n"
               "options:\n"
               "  --trace FILE   write the trace (one line per event) to FILE\n"
               "  --disasm       on a crash, show registers and the code around the guest RIP\n"
               "  --console      print every domain's console\n"
               "  --seed N       override the scenario's seed\n"
               "  --limit N      override the run limit (guest instructions)\n"
               "  --verbose      hypervisor log on stderr\n"
               "exit: scenarios 0 all expectations hold, 1 one does not, 2 bad input;\n"
               "      --kernel  0 SUCCESS, 3 SKIP, 4 ERROR, 5 FAILURE, 6 CRASH, 2 bad input\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !*s || *end)
        return -1;
    *out = v;
    return 0;
}

/* Read a whole file; NULL with a one-line reason in err. */
static void *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap >= (256u << 20)) {
                snprintf(err, errlen, "%s: larger than 256 MiB", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static bool file_exists(const char *p)
{
    return access(p, R_OK) == 0;
}

/* A kernel named in a scenario: absolute, next to the scenario, or among the built guests. */
static void resolve_kernel(const char *dir, const char *name, char *out, size_t outlen)
{
    if (name[0] == '/') {
        snprintf(out, outlen, "%s", name);
        return;
    }
    snprintf(out, outlen, "%s/%s", dir, name);
    if (file_exists(out))
        return;
    const char *gd = getenv("HVSIM_GUEST_DIR");
    if (gd) {
        snprintf(out, outlen, "%s/%s", gd, name);
        if (file_exists(out))
            return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        snprintf(out, outlen, "%s/guests/%s", exe, name);
        if (file_exists(out))
            return;
    }
    snprintf(out, outlen, "%s/%s", dir, name); /* not found: report the plain path */
}

/* The result word from the first "Test result: X" line, or CRASH when there is none;
 * written into buf (which is returned). */
static const char *result_word(const char *console, size_t len, char *buf, size_t buflen)
{
    static const char key[] = "Test result: ";
    const char *p = console, *end = console + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *hit = memmem(p, (size_t)(le - p), key, sizeof(key) - 1);
        if (hit) {
            const char *w = hit + sizeof(key) - 1;
            size_t k = 0;
            while (w < le && *w >= 'A' && *w <= 'Z' && k + 1 < buflen)
                buf[k++] = *w++;
            buf[k] = 0;
            return buf;
        }
        p = le + 1;
    }
    snprintf(buf, buflen, "CRASH");
    return buf;
}

static const char *shutdown_word(const struct sim_domain_result *r)
{
    return r->shut_down ? shutdown_reason_name(r->shutdown_reason) : "running";
}

static void print_console(const char *name, const struct sim_domain_result *r)
{
    const char *p = r->console, *end = r->console + r->console_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        printf("%s| %.*s\n", name, (int)(le - p), p);
        p = le + 1;
    }
}

struct loaded_domain {
    void *kernel, *ramdisk;
    size_t kernel_len, ramdisk_len;
};

static int load_domain(struct sim_machine *m, const struct scenario *s, const struct scn_domain *sd,
                       struct loaded_domain *ld)
{
    char path[2 * PATH_MAX + 16], err[2 * PATH_MAX + 600];
    resolve_kernel(s->dir, sd->kernel, path, sizeof(path));
    ld->kernel = read_file(path, &ld->kernel_len, err, sizeof(err));
    if (!ld->kernel) {
        fprintf(stderr, "%s:%u: kernel: %s\n", s->path, sd->line, err);
        return -1;
    }
    if (sd->ramdisk[0]) {
        resolve_kernel(s->dir, sd->ramdisk, path, sizeof(path));
        ld->ramdisk = read_file(path, &ld->ramdisk_len, err, sizeof(err));
        if (!ld->ramdisk) {
            fprintf(stderr, "%s:%u: ramdisk: %s\n", s->path, sd->line, err);
            return -1;
        }
    }
    struct domain_config dc = {
        .name = sd->name,
        .kernel = ld->kernel,
        .kernel_len = ld->kernel_len,
        .ramdisk = ld->ramdisk,
        .ramdisk_len = ld->ramdisk_len,
        .cmdline = sd->extra,
        .memory_kb = sd->memory_mib * 1024,
        .vcpus = sd->vcpus,
    };
    if (sim_add_domain(m, &dc, err, sizeof(err))) {
        fprintf(stderr, "%s:%u: domain '%s': %s\n", s->path, sd->line, sd->name, err);
        return -1;
    }
    return 0;
}

/* Everything a domain was expected to do; the first broken expectation goes in note. */
static bool check_domain(const struct scn_domain *sd, const struct sim_domain_result *r,
                         const char *actual, char *note, size_t notelen)
{
    if (strcmp(actual, sd->expect)) {
        snprintf(note, notelen, "expected %s, got %s%s%s", sd->expect, actual,
                 r->crashed ? ": " : "", r->crashed ? r->crash_reason : "");
        return false;
    }
    if (sd->expect_shutdown[0] && strcmp(sd->expect_shutdown, shutdown_word(r))) {
        snprintf(note, notelen, "expected shutdown %s, got %s", sd->expect_shutdown,
                 shutdown_word(r));
        return false;
    }
    for (unsigned i = 0; i < sd->nr_expect_console; i++) {
        if (!memmem(r->console, r->console_len, sd->expect_console[i],
                    strlen(sd->expect_console[i]))) {
            snprintf(note, notelen, "console lacks \"%s\"", sd->expect_console[i]);
            return false;
        }
    }
    for (unsigned i = 0; i < sd->nr_expect_no_console; i++) {
        if (memmem(r->console, r->console_len, sd->expect_no_console[i],
                   strlen(sd->expect_no_console[i]))) {
            snprintf(note, notelen, "console has \"%s\"", sd->expect_no_console[i]);
            return false;
        }
    }
    return true;
}

struct row_store {
    struct report_row rows[256];
    char text[256][5][256];
    size_t n;
};

/* Run one scenario; append its rows. Returns 0, or EXIT_INPUT on bad input. */
static int run_scenario(const char *file, const struct options *o, struct row_store *rs)
{
    struct scenario s;
    char err[1024];
    if (scn_parse_file(file, &s, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return EXIT_INPUT;
    }
    struct sim_config cfg = {
        .ram_mib = s.machine_memory_mib,
        .seed = o->has_seed ? o->seed : s.seed,
        .insn_limit = o->has_limit ? o->limit : s.limit,
        .slice_insns = s.slice,
        .trace_path = o->trace,
        .disasm = o->disasm,
        .verbose = o->verbose,
    };
    struct sim_machine *m = sim_create(&cfg);
    if (!m) {
        scn_free(&s);
        return EXIT_INPUT;
    }
    struct loaded_domain ld[SCN_MAX_DOMAINS] = {0};
    int rc = 0;
    for (unsigned i = 0; i < s.nr_domains && !rc; i++)
        rc = load_domain(m, &s, &s.domains[i], &ld[i]);
    if (!rc) {
        sim_run(m);
        for (unsigned i = 0; i < s.nr_domains && rs->n < 256; i++) {
            const struct scn_domain *sd = &s.domains[i];
            const struct sim_domain_result *r = sim_domain_result(m, i);
            char(*t)[256] = rs->text[rs->n];
            char word[32], note[256] = "";
            result_word(r->console, r->console_len, word, sizeof(word));
            bool ok = check_domain(sd, r, word, note, sizeof(note));
            if (ok && !r->shut_down)
                snprintf(note, sizeof(note), "%s", sim_outcome_text(m));
            memcpy(t[0], word, sizeof(word));
            memcpy(t[1], note, sizeof(note));
            snprintf(t[2], 256, "%s", file);
            snprintf(t[3], 256, "%s", sd->name);
            snprintf(t[4], 256, "%s", sd->expect);
            rs->rows[rs->n++] = (struct report_row){.scenario = t[2],
                                                    .domain = t[3],
                                                    .expected = t[4],
                                                    .actual = t[0],
                                                    .shutdown = shutdown_word(r),
                                                    .insns = r->insns,
                                                    .verdict = ok ? "ok" : "FAIL",
                                                    .note = t[1][0] ? t[1] : NULL};
            if (o->console || !ok)
                print_console(sd->name, r);
            if (r->crashed && o->disasm)
                sim_dump_domain(stdout, m, i);
        }
        printf("trace hash %s: 0x%016llx\n", file, (unsigned long long)sim_trace_hash(m));
    }
    sim_destroy(m);
    for (unsigned i = 0; i < SCN_MAX_DOMAINS; i++) {
        free(ld[i].kernel);
        free(ld[i].ramdisk);
    }
    scn_free(&s);
    return rc ? EXIT_INPUT : 0;
}

static int xtf_code(const char *word)
{
    if (!strcmp(word, "SUCCESS"))
        return XTF_SUCCESS;
    if (!strcmp(word, "SKIP"))
        return XTF_SKIP;
    if (!strcmp(word, "ERROR"))
        return XTF_ERROR;
    if (!strcmp(word, "FAILURE"))
        return XTF_FAILURE;
    return XTF_CRASH;
}

/* --kernel: one guest, no scenario file; exit with the XTF code of its result. */
static int run_kernel(const struct options *o)
{
    char err[512];
    size_t len;
    void *img = read_file(o->kernel, &len, err, sizeof(err));
    if (!img) {
        fprintf(stderr, "%s\n", err);
        return EXIT_INPUT;
    }
    struct sim_config cfg = {.seed = o->has_seed ? o->seed : 1,
                             .insn_limit = o->has_limit ? o->limit : 2000000000ULL,
                             .trace_path = o->trace,
                             .disasm = o->disasm,
                             .verbose = o->verbose};
    struct sim_machine *m = sim_create(&cfg);
    if (!m) {
        free(img);
        return EXIT_INPUT;
    }
    const char *base = strrchr(o->kernel, '/');
    base = base ? base + 1 : o->kernel;
    char name[32];
    snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
    struct domain_config dc = {.name = name,
                               .kernel = img,
                               .kernel_len = len,
                               .cmdline = o->extra,
                               .memory_kb = o->memory_mib * 1024,
                               .vcpus = 1};
    if (sim_add_domain(m, &dc, err, sizeof(err))) {
        fprintf(stderr, "%s: %s\n", o->kernel, err);
        sim_destroy(m);
        free(img);
        return EXIT_INPUT;
    }
    sim_run(m);
    const struct sim_domain_result *r = sim_domain_result(m, 0);
    print_console(name, r);
    char wbuf[32];
    const char *word = result_word(r->console, r->console_len, wbuf, sizeof(wbuf));
    if (r->crashed)
        printf("%s: crashed: %s\n", name, r->crash_reason);
    if (!r->shut_down)
        printf("%s: %s\n", name, sim_outcome_text(m));
    if (r->crashed && o->disasm)
        sim_dump_domain(stdout, m, 0);
    printf("%s: result %s, shutdown %s, %llu instructions\n", name, word, shutdown_word(r),
           (unsigned long long)r->insns);
    printf("trace hash: 0x%016llx\n", (unsigned long long)sim_trace_hash(m));
    int code = r->crashed ? XTF_CRASH : xtf_code(word);
    sim_destroy(m);
    free(img);
    return code;
}

static int parse_options(int argc, char **argv, struct options *o, int *first_file)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (!strcmp(a, "--trace") && has_next)
            o->trace = argv[++i];
        else if (!strcmp(a, "--kernel") && has_next)
            o->kernel = argv[++i];
        else if (!strcmp(a, "--extra") && has_next)
            o->extra = argv[++i];
        else if (!strcmp(a, "--memory") && has_next) {
            if (parse_u64(argv[++i], &o->memory_mib) || o->memory_mib < 4) {
                fprintf(stderr, "hvsim: --memory wants MiB >= 4\n");
                return -1;
            }
        } else if (!strcmp(a, "--seed") && has_next) {
            if (parse_u64(argv[++i], &o->seed))
                return fprintf(stderr, "hvsim: bad --seed\n"), -1;
            o->has_seed = true;
        } else if (!strcmp(a, "--limit") && has_next) {
            if (parse_u64(argv[++i], &o->limit) || !o->limit)
                return fprintf(stderr, "hvsim: bad --limit\n"), -1;
            o->has_limit = true;
        } else if (!strcmp(a, "--disasm"))
            o->disasm = true;
        else if (!strcmp(a, "--verbose"))
            o->verbose = true;
        else if (!strcmp(a, "--console"))
            o->console = true;
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "hvsim: unknown or incomplete option '%s'\n", a);
            return -1;
        } else {
            *first_file = i;
            return 0;
        }
    }
    *first_file = argc;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "run")) {
        usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
        return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : EXIT_INPUT;
    }
    struct options o = {.memory_mib = 32};
    int first;
    if (parse_options(argc, argv, &o, &first))
        return EXIT_INPUT;
    int nfiles = argc - first;
    if (o.kernel) {
        if (nfiles) {
            fprintf(stderr, "hvsim: --kernel takes no scenario files\n");
            return EXIT_INPUT;
        }
        return run_kernel(&o);
    }
    if (!nfiles) {
        usage(stderr);
        return EXIT_INPUT;
    }
    if (o.trace && nfiles > 1) {
        fprintf(stderr, "hvsim: --trace takes one scenario file\n");
        return EXIT_INPUT;
    }
    static struct row_store rs;
    for (int i = first; i < argc; i++) {
        int rc = run_scenario(argv[i], &o, &rs);
        if (rc)
            return rc;
    }
    report_print(stdout, rs.rows, rs.n);
    size_t passed, failed;
    report_count(rs.rows, rs.n, &passed, &failed);
    return failed ? 1 : 0;
}
