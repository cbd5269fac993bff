/* hvsim: run PV guests in the simulated machine; write and check the bare-metal build's GRUB
 * configuration and serial results. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grubcfg.h"
#include "machine.h"
#include "plot.h"
#include "record.h"
#include "report.h"
#include "scenario.h"
#include "timeline.h"

#include "hv/blkback.h"
#include "hv/trace.h"
#include "public/xen.h"

/* XTF-style exit codes of `hvsim run --kernel`. */
enum { XTF_SUCCESS = 0, XTF_SKIP = 3, XTF_ERROR = 4, XTF_FAILURE = 5, XTF_CRASH = 6 };
#define EXIT_INPUT 2

struct loaded_domain {
    void *kernel, *ramdisk;
    size_t kernel_len, ramdisk_len;
    void *module_data[SCN_MAX_MODULES];
    struct boot_module modules[SCN_MAX_MODULES];
    /* Disks: a private copy of each image (the guest's writes never reach the file). */
    struct scn_disk disk_specs[SCN_MAX_MODULES];
    struct boot_disk disks[SCN_MAX_MODULES];
    uint64_t disk_fnv64[SCN_MAX_MODULES]; /* of the file as read, before the guest ran */
    size_t disk_file_len[SCN_MAX_MODULES];
};

struct options {
    const char *trace;
    const char *kernel;
    const char *extra;
    uint64_t memory_mib;
    uint64_t seed, limit;
    bool has_seed, has_limit;
    bool disasm, verbose, console, results;
    const char *record;            /* --record FILE */
    const char *plot;              /* --plot FILE */
    char plot_file[PATH_MAX + 32]; /* this run's SVG: FILE, or FILE-K.svg in a sweep */
    /* Set by `hvsim replay` (not options): run from recorded text, watch every event. */
    const char *scn_text;
    size_t scn_len;
    int (*sink)(void *user, const char *line, size_t len);
    void *sink_user;
    uint64_t perturb;
    /* --knob N=V (1-based N) and --run K (one run of a sweep, 1-based; 0 = all). */
    struct scn_binding knobs; /* nr_sweeps > 0 (replay): exactly this one run */
    uint64_t run_index;
    char bound[2048]; /* out: the last run's sweep and knob values, as a record keeps them */
    bool quiet;       /* print nothing but errors (hvsim fuzz) */
    /* Called after the run, before the machine goes (record and replay use it). */
    void (*after_run)(void *user, struct sim_machine *m, const struct scenario *s,
                      const struct loaded_domain *ld);
};

static void usage(FILE *f)
{
    fprintf(f, "usage: hvsim run [options] FILE.scn...\n"
               "       hvsim run [options] --kernel FILE.elf [--extra \"...\"] [--memory MIB]\n"
               "       hvsim grub-cfg [-o FILE] [--files] [--hv-args \"...\"] [--skip-sim-only] "
               "FILE.scn...\n"
               "       hvsim check-log LOG FILE.scn...\n"
               "       hvsim pin --run K FILE.scn | hvsim pin --count FILE.scn\n"
               "       hvsim replay [--update] [--strict] FILE.rec\n"
               "       hvsim fuzz [--seconds N] [--out DIR] FILE.scn [-- libFuzzer options]\n"
               "run options:\n"
               "  --trace FILE   write the trace (one line per event) to FILE\n"
               "  --record FILE  write a record (scenario, seed, kernels, every event) for replay\n"
               "  --plot FILE    draw each domain's guest-observed time against virtual time\n"
               "                 (SVG); a sweep writes FILE-K.svg for each run K\n"
               "  --disasm       on a crash, show registers and the code around the guest RIP\n"
               "  --console      print every domain's console\n"
               "  --seed N       override the scenario's seed\n"
               "  --limit N      override the run limit (guest instructions)\n"
               "  --verbose      hypervisor log on stderr\n"
               "  --results      end with the bare-metal kernel's summary lines\n"
               "  --knob N=V     give fuzz knob N (1-based, file order) the value V\n"
               "  --run K        only run K (1-based) of a scenario's sweep\n"
               "                 (hvsim: result NAME WORD REASON, hvsim: done K/N SUCCESS)\n"
               "grub-cfg: the grub.cfg of a bare-metal ISO booting the scenarios' domains;\n"
               "  --files lists the guest kernels the ISO needs instead, one per line\n"
               "  --skip-sim-only leaves out (with a note) the scenarios that need the simulator\n"
               "check-log: check a bare-metal serial log against the scenarios' expectations\n"
               "pin: print the scenario with its sweeps narrowed to run K (one boot), or count\n"
               "     its runs\n"
               "exit: run, check-log: 0 all expectations hold, 1 one does not, 2 bad input;\n"
               "      run --kernel: 0 SUCCESS, 3 SKIP, 4 ERROR, 5 FAILURE, 6 CRASH, 2 bad input\n");
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

/* Where a relative kernel is looked for after its scenario's directory: $HVSIM_GUEST_DIR,
 * then the guests built next to this executable. Returns how many of the two exist. */
static unsigned guest_dirs(char dirs[2][PATH_MAX])
{
    unsigned n = 0;
    const char *gd = getenv("HVSIM_GUEST_DIR");
    if (gd && *gd)
        snprintf(dirs[n++], PATH_MAX, "%s", gd);
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        if (strlen(exe) + sizeof("/guests") <= PATH_MAX)
            snprintf(dirs[n++], PATH_MAX, "%s/guests", exe);
    }
    return n;
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
    char dirs[2][PATH_MAX];
    unsigned n = guest_dirs(dirs);
    for (unsigned i = 0; i < n; i++) {
        snprintf(out, outlen, "%s/%s", dirs[i], name);
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
    if (r->destroyed)
        return "destroyed";
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

/*
 * A domain's disk = [...]: each spec split as xl does, its image read (a
 * private copy), only raw images and only the default backend. Errors are
 * FILE:LINE: domain 'x': disk N: ...
 */
static int load_disks(const struct scenario *s, const struct scn_domain *sd,
                      struct loaded_domain *ld)
{
    char path[2 * PATH_MAX + 16], err[2 * PATH_MAX + 600];
    for (unsigned i = 0; i < sd->nr_disks; i++) {
        struct scn_disk *dk = &ld->disk_specs[i];
        const char *why = NULL;
        if (scn_parse_disk(sd->disks[i], dk, err, sizeof(err)))
            why = err;
        else
            why = scn_disk_unsupported(dk);
        long devid = why ? 0 : blkback_vdev_to_devid(dk->vdev);
        if (!why && devid <= 0)
            why = "bad vdev (xvdX, hdX, sdX with an optional partition number, or a device "
                  "number)";
        for (unsigned j = 0; !why && j < i; j++)
            if (blkback_vdev_to_devid(ld->disk_specs[j].vdev) == devid)
                why = "the same device as an earlier disk (vdev used twice)";
        if (!why) {
            resolve_kernel(s->dir, dk->target, path, sizeof(path));
            size_t len = 0;
            void *data = read_file(path, &len, err, sizeof(err));
            if (!data)
                why = err;
            else if (len < 512) {
                free(data);
                why = "the image is smaller than one 512-byte sector";
            } else {
                ld->disks[i] = (struct boot_disk){
                    .vdev = dk->vdev,
                    .img = {.data = data, .size = len, .read_only = scn_disk_read_only(dk)}};
                ld->disk_fnv64[i] = record_fnv64(data, len);
                ld->disk_file_len[i] = len;
            }
        }
        if (why) {
            fprintf(stderr, "%s:%u: domain '%s': disk %u: %s\n", s->path,
                    scn_key_line(s, sd, "disk"), sd->name, i + 1, why);
            return -1;
        }
    }
    return 0;
}

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
    /* A modules entry is "PATH [ARGS]": the file, and the whole entry as its command line. */
    for (unsigned i = 0; i < sd->nr_modules; i++) {
        const char *e = sd->modules[i];
        char file[PATH_MAX];
        snprintf(file, sizeof(file), "%.*s", (int)strcspn(e, " \t"), e);
        resolve_kernel(s->dir, file, path, sizeof(path));
        ld->module_data[i] = read_file(path, &ld->modules[i].len, err, sizeof(err));
        if (!ld->module_data[i]) {
            fprintf(stderr, "%s:%u: module %u: %s\n", s->path, scn_key_line(s, sd, "modules"),
                    i + 1, err);
            return -1;
        }
        ld->modules[i].data = ld->module_data[i];
        ld->modules[i].cmdline = e;
    }
    if (load_disks(s, sd, ld))
        return -1;
    struct domain_config dc = {
        .name = sd->name,
        .kernel = ld->kernel,
        .kernel_len = ld->kernel_len,
        .ramdisk = ld->ramdisk,
        .ramdisk_len = ld->ramdisk_len,
        .modules = ld->modules,
        .nr_modules = sd->nr_modules,
        .cmdline = sd->extra,
        .memory_kb = sd->memory_mib * 1024,
        .vcpus = sd->vcpus,
        .disks = ld->disks,
        .nr_disks = sd->nr_disks,
    };
    if (sim_add_domain(m, &dc, err, sizeof(err))) {
        fprintf(stderr, "%s:%u: domain '%s': %s\n", s->path, sd->line, sd->name, err);
        return -1;
    }
    return 0;
}

/* What one domain did, in the simulator or in a bare-metal serial log. */
struct outcome {
    const char *word;         /* result word as the table shows it */
    const char *shutdown;     /* shutdown reason name, or a word saying there was none */
    const char *crash_reason; /* "" when there is nothing to add */
    const char *console;
    size_t console_len;
};

/* Everything a domain was expected to do; the first broken expectation goes in note. */
static bool check_domain(const struct scn_domain *sd, const struct outcome *r, char *note,
                         size_t notelen)
{
    if (strcmp(r->word, sd->expect)) {
        snprintf(note, notelen, "expected %s, got %s%s%s", sd->expect, r->word,
                 r->crash_reason[0] ? ": " : "", r->crash_reason);
        return false;
    }
    if (sd->expect_shutdown[0] && strcmp(sd->expect_shutdown, r->shutdown)) {
        snprintf(note, notelen, "expected shutdown %s, got %s", sd->expect_shutdown, r->shutdown);
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

/* The word of the bare-metal kernel's `hvsim: result` line: CRASH when the domain crashed
 * or printed no (recognisable) result. */
static const char *summary_word(const char *word, bool crashed)
{
    static const char *const words[] = {"SUCCESS", "SKIP", "ERROR", "FAILURE"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && !crashed; i++) {
        if (!strcmp(word, words[i]))
            return words[i];
    }
    return "CRASH";
}

#define MAX_ROWS 8192

struct row_store {
    struct report_row rows[MAX_ROWS];
    char text[MAX_ROWS][5][256];
    /* For --results: the kernel's summary word and shutdown reason of each row. */
    const char *summary[MAX_ROWS];
    const char *reason[MAX_ROWS];
    size_t n;
};

/* The bare-metal kernel's last lines, so simulator and QEMU output compare line for line. */
static void print_summary(const struct row_store *rs)
{
    size_t ok = 0;
    for (size_t i = 0; i < rs->n; i++) {
        printf("hvsim: result %s %s %s\n", rs->rows[i].domain, rs->summary[i], rs->reason[i]);
        ok += !strcmp(rs->summary[i], "SUCCESS");
    }
    printf("hvsim: done %zu/%zu SUCCESS\n", ok, rs->n);
}

/* A new row of the results table (NULL when the table is full). */
static struct report_row *new_row(struct row_store *rs, const char *label, const char *domain)
{
    if (rs->n >= MAX_ROWS)
        return NULL;
    char(*t)[256] = rs->text[rs->n];
    memset(t, 0, sizeof(rs->text[0]));
    snprintf(t[2], 256, "%s", label);
    snprintf(t[3], 256, "%s", domain);
    struct report_row *row = &rs->rows[rs->n];
    *row = (struct report_row){.scenario = t[2], .domain = t[3], .verdict = "ok"};
    rs->summary[rs->n] = "SUCCESS";
    rs->reason[rs->n] = "none";
    rs->n++;
    return row;
}

/* Rows for the [expect] lines and the timeline of one run. */
static void timeline_rows(const struct scenario *s, const struct tl_state *tl, const char *label,
                          const struct sim_machine *m, struct row_store *rs)
{
    for (unsigned i = 0; i < s->nr_texpects; i++) {
        const struct scn_trace_expect *e = &s->texpects[i];
        char name[32];
        snprintf(name, sizeof(name), "expect:%u", e->line);
        struct report_row *row = new_row(rs, label, name);
        if (!row)
            return;
        char(*t)[256] = rs->text[rs->n - 1];
        snprintf(t[4], 256, "%s %llu", tl_cmp_text(e->cmp), (unsigned long long)e->n);
        snprintf(t[0], 256, "%llu", (unsigned long long)tl->counts[i]);
        snprintf(t[1], 256, "%s", e->text);
        row->expected = t[4];
        row->actual = t[0];
        row->shutdown = "-";
        row->no_insns = true;
        row->note = t[1];
        if (!tl_expect_holds(tl, i)) {
            row->verdict = "FAIL";
            rs->summary[rs->n - 1] = "FAILURE";
        }
    }
    if (!s->nr_actions)
        return;
    struct report_row *row = new_row(rs, label, "timeline");
    if (!row)
        return;
    char(*t)[256] = rs->text[rs->n - 1];
    snprintf(t[4], 256, "no errors");
    snprintf(t[0], 256, "%u/%u ran", tl->nr_ran, s->nr_actions);
    if (tl->nr_errors)
        snprintf(t[1], 256, "%.250s", tl->errors);
    else if (tl->stopped)
        snprintf(t[1], 256, "stopped by line %u at %llu ns", tl->stop_line,
                 (unsigned long long)sim_now_ns(m));
    row->expected = t[4];
    row->actual = t[0];
    row->shutdown = "-";
    row->no_insns = true;
    row->note = t[1][0] ? t[1] : NULL;
    if (tl->nr_errors) {
        row->verdict = "FAIL";
        rs->summary[rs->n - 1] = "FAILURE";
    }
}

/* --plot: the plot sees every event before the timeline does. */
struct plot_sink {
    struct tl_state *tl;
    struct plot *plot;
};

static int plot_tl_sink(void *user, const struct trace_rec *r, uint64_t now_ns)
{
    struct plot_sink *ps = user;
    plot_event_sink(ps->plot, r, now_ns);
    return tl_event_sink(ps->tl, r, now_ns);
}

/* --plot: draw the run and write it to its file (0), or say why not (-1). */
static int save_plot(struct plot *plot, struct sim_machine *m, const char *label, const char *path,
                     bool quiet)
{
    char err[PATH_MAX + 512];
    plot_finish(plot, sim_now_ns(m));
    if (plot_save(plot, path, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (!quiet)
        printf("plot %s: %s\n", label, path);
    return 0;
}

/* Run one parsed scenario (one run of its sweep); append its rows. 0, or EXIT_INPUT. */
static int run_parsed(const struct scenario *s, const char *label, const struct options *o,
                      struct row_store *rs)
{
    static struct tl_state tl;
    tl_init(&tl, s);
    struct sim_config cfg = {
        .ram_mib = s->machine_memory_mib,
        .seed = o->has_seed ? o->seed : s->seed,
        .insn_limit = o->has_limit ? o->limit : s->limit,
        .slice_insns = s->slice,
        .trace_path = o->trace,
        .disasm = o->disasm,
        .verbose = o->verbose,
        .trace_sink = o->sink,
        .trace_user = o->sink_user,
        .test_perturb_insn = o->perturb,
        .event_sink = tl_event_sink,
        .event_user = &tl,
        .tsc_khz = s->tsc_khz,
        .tsc_start = s->tsc_start,
        .cycles_per_insn = (uint32_t)s->cycles_per_insn,
        .time_refresh = (unsigned)s->refresh,
        .refresh_period_ns = s->refresh_period_ms * 1000000ull,
        .wallclock_sec = s->wallclock_sec,
        .wallclock_nsec = (uint32_t)s->wallclock_nsec,
    };
    static struct plot plot;
    struct plot_sink ps = {.tl = &tl, .plot = &plot};
    if (o->plot) {
        plot_init(&plot, label, &plot_core_probe);
        cfg.event_sink = plot_tl_sink;
        cfg.event_user = &ps;
    }
    struct sim_machine *m = sim_create(&cfg);
    if (!m) {
        plot_free(&plot);
        return EXIT_INPUT;
    }
    struct loaded_domain ld[SCN_MAX_DOMAINS] = {0};
    int rc = 0;
    for (unsigned i = 0; i < s->nr_domains && !rc; i++)
        rc = load_domain(m, s, &s->domains[i], &ld[i]);
    if (!rc) {
        tl_bind(&tl, m);
        for (unsigned i = 0; o->plot && i < s->nr_domains; i++)
            plot_name_domain(&plot, sim_domain_result(m, i)->domid, s->domains[i].name);
        tl_run(&tl, m);
        for (unsigned i = 0; i < s->nr_domains; i++) {
            const struct scn_domain *sd = &s->domains[i];
            const struct sim_domain_result *r = sim_domain_result(m, i);
            struct report_row *row = new_row(rs, label, sd->name);
            if (!row)
                break;
            char(*t)[256] = rs->text[rs->n - 1];
            char word[32], note[256] = "";
            result_word(r->console, r->console_len, word, sizeof(word));
            /* No result line from a domain that never finished: it reported nothing. */
            if ((!r->shut_down || r->destroyed) && !strcmp(word, "CRASH") && !r->crashed)
                snprintf(word, sizeof(word), "NONE");
            struct outcome oc = {.word = word,
                                 .shutdown = shutdown_word(r),
                                 .crash_reason = r->crashed ? r->crash_reason : "",
                                 .console = r->console,
                                 .console_len = r->console_len};
            bool ok = check_domain(sd, &oc, note, sizeof(note));
            rs->summary[rs->n - 1] = summary_word(word, r->crashed);
            rs->reason[rs->n - 1] =
                r->shut_down ? shutdown_reason_name(r->shutdown_reason) : "none";
            if (ok && !r->shut_down)
                snprintf(note, sizeof(note), "%s",
                         tl.stopped ? "run stopped by the timeline" : sim_outcome_text(m));
            memcpy(t[0], word, sizeof(word));
            memcpy(t[1], note, sizeof(note));
            snprintf(t[4], 256, "%s", sd->expect);
            row->expected = t[4];
            row->actual = t[0];
            row->shutdown = shutdown_word(r);
            row->insns = r->insns;
            row->verdict = ok ? "ok" : "FAIL";
            row->note = t[1][0] ? t[1] : NULL;
            if ((o->console || !ok) && !o->quiet)
                print_console(sd->name, r);
            if (r->crashed && o->disasm)
                sim_dump_domain(stdout, m, i);
        }
        timeline_rows(s, &tl, label, m, rs);
        if (!o->quiet)
            printf("trace hash %s: 0x%016llx\n", label, (unsigned long long)sim_trace_hash(m));
        if (o->plot && save_plot(&plot, m, label, o->plot_file, o->quiet))
            rc = -1;
        if (o->after_run)
            o->after_run(o->sink_user, m, s, ld);
    }
    sim_destroy(m);
    plot_free(&plot);
    for (unsigned i = 0; i < SCN_MAX_DOMAINS; i++) {
        free(ld[i].kernel);
        free(ld[i].ramdisk);
        for (unsigned j = 0; j < SCN_MAX_MODULES; j++) {
            free(ld[i].module_data[j]);
            free(ld[i].disks[j].img.data);
        }
    }
    return rc ? EXIT_INPUT : 0;
}

/*
 * Run a scenario file (or the recorded text in o->scn_text): once, or once
 * per value of its sweeps, each run with one table row per domain. Every
 * run's binding is parsed and checked before the first one starts.
 */
/* "name=V ... #N=V ...": the sweep and knob values a run used (record files keep them). */
static void binding_text(const struct scenario *s, const struct scn_binding *b, char *out,
                         size_t outlen)
{
    size_t n = 0;
    out[0] = 0;
    for (unsigned i = 0; i < b->nr_sweeps && n < outlen; i++)
        n += (size_t)snprintf(out + n, outlen - n, "%s%s=%llu", n ? " " : "", b->sweep_name[i],
                              (unsigned long long)b->sweep_value[i]);
    for (unsigned i = 0; i < s->nr_knobs && n < outlen; i++)
        n += (size_t)snprintf(out + n, outlen - n, "%s#%u=%llu", n ? " " : "", i + 1,
                              (unsigned long long)s->knobs[i].value);
    if (!n)
        snprintf(out, outlen, "none");
}

/* The inverse of binding_text (for replay); -1 on a malformed text. */
static int parse_binding_text(const char *text, struct scn_binding *b, char names[][32])
{
    memset(b, 0, sizeof(*b));
    if (!strcmp(text, "none"))
        return 0;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ' '), *eq;
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[64], *stop;
        if (len >= sizeof(item))
            return -1;
        memcpy(item, p, len);
        item[len] = 0;
        if (!(eq = strchr(item, '=')))
            return -1;
        errno = 0;
        unsigned long long v = strtoull(eq + 1, &stop, 10);
        if (errno || *stop || eq[1] == 0)
            return -1;
        if (item[0] == '#') {
            unsigned long k = strtoul(item + 1, &stop, 10);
            if (stop != eq || !k || k > SCN_MAX_KNOBS)
                return -1;
            while (b->nr_knobs < k)
                b->knob_default[b->nr_knobs++] = true;
            b->knob_value[k - 1] = v;
            b->knob_default[k - 1] = false;
        } else {
            if (b->nr_sweeps == SCN_MAX_SWEEPS || (size_t)(eq - item) >= 32)
                return -1;
            snprintf(names[b->nr_sweeps], 32, "%.*s", (int)(eq - item), item);
            b->sweep_name[b->nr_sweeps] = names[b->nr_sweeps];
            b->sweep_value[b->nr_sweeps++] = v;
        }
        p = end ? end + 1 : p + len;
    }
    return 0;
}

/* --plot's file for run r (0-based) of nruns: FILE, or FILE-K.svg (K = r + 1) in a sweep;
 * checked for writing. 0, or EXIT_INPUT with a message. */
static int plot_file_of(struct options *o, uint64_t r, uint64_t nruns)
{
    char err[PATH_MAX + 512];
    size_t cap = sizeof(o->plot_file);
    if (nruns > 1 ? plot_run_path(o->plot, r + 1, o->plot_file, cap)
                  : (size_t)snprintf(o->plot_file, cap, "%s", o->plot) >= cap) {
        fprintf(stderr, "hvsim: %s: file name too long\n", o->plot);
        return EXIT_INPUT;
    }
    if (plot_check_path(o->plot_file, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return EXIT_INPUT;
    }
    return 0;
}

static int run_scenario(const char *file, struct options *o, struct row_store *rs)
{
    char err[1024];
    size_t len = o->scn_len;
    char *text = NULL;
    if (!o->scn_text) {
        text = read_file(file, &len, err, sizeof(err));
        if (!text) {
            fprintf(stderr, "%s\n", err);
            return EXIT_INPUT;
        }
    }
    const char *buf = o->scn_text ? o->scn_text : text;
    static struct scenario tmpl, s;
    int rc = 0;
    if (scn_parse_bound(file, buf, len, &o->knobs, &tmpl, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        free(text);
        return EXIT_INPUT;
    }
    if (o->knobs.nr_knobs > tmpl.nr_knobs) {
        fprintf(stderr, "%s: --knob %u: the scenario has %u fuzz knob(s)\n", file,
                o->knobs.nr_knobs, tmpl.nr_knobs);
        rc = EXIT_INPUT;
    }
    if (o->run_index > tmpl.nr_runs) {
        fprintf(stderr, "%s: --run %llu: the scenario has %llu run(s)\n", file,
                (unsigned long long)o->run_index, (unsigned long long)tmpl.nr_runs);
        rc = EXIT_INPUT;
    }
    uint64_t first = o->run_index ? o->run_index - 1 : 0;
    uint64_t last = o->run_index ? o->run_index : tmpl.nr_runs;
    if (o->knobs.nr_sweeps)
        last = first + 1; /* replay: the recorded values, one run */
    if (o->record && last - first > 1) {
        fprintf(stderr, "%s: --record needs one run; this scenario sweeps %llu: add --run K\n",
                file, (unsigned long long)(last - first));
        rc = EXIT_INPUT;
    }
    for (int pass = 0; pass < 2 && !rc; pass++) {
        /* Pass 0 checks every run's values; pass 1 runs them. */
        for (uint64_t r = first; r < last && !rc; r++) {
            struct scn_binding b;
            scn_run_binding(&tmpl, r, &b);
            if (o->knobs.nr_sweeps) {
                b.nr_sweeps = o->knobs.nr_sweeps;
                memcpy(b.sweep_name, o->knobs.sweep_name, sizeof(b.sweep_name));
                memcpy(b.sweep_value, o->knobs.sweep_value, sizeof(b.sweep_value));
            }
            b.nr_knobs = o->knobs.nr_knobs;
            memcpy(b.knob_value, o->knobs.knob_value, sizeof(b.knob_value));
            memcpy(b.knob_default, o->knobs.knob_default, sizeof(b.knob_default));
            if (scn_parse_bound(file, buf, len, &b, &s, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                rc = EXIT_INPUT;
                break;
            }
            if (o->plot && (rc = plot_file_of(o, r, last - first))) {
                scn_free(&s);
                break;
            }
            if (pass == 1) {
                char label[512];
                size_t n = (size_t)snprintf(label, sizeof(label), "%s", file);
                for (unsigned i = 0; i < b.nr_sweeps && n < sizeof(label); i++)
                    n += (size_t)snprintf(label + n, sizeof(label) - n, "%s%s=%llu", i ? "," : " [",
                                          b.sweep_name[i], (unsigned long long)b.sweep_value[i]);
                if (b.nr_sweeps && n < sizeof(label))
                    snprintf(label + n, sizeof(label) - n, "]");
                for (unsigned i = 0; i < s.nr_knobs && !o->quiet; i++)
                    printf("knob %u (%s, %s:%u:%u) = %llu\n", i + 1, s.knobs[i].what, file,
                           s.knobs[i].line, s.knobs[i].col, (unsigned long long)s.knobs[i].value);
                binding_text(&s, &b, o->bound, sizeof(o->bound));
                rc = run_parsed(&s, label, o, rs);
            }
            scn_free(&s);
        }
    }
    scn_free(&tmpl);
    free(text);
    return rc;
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
    static struct plot plot;
    if (o->plot) {
        if (plot_check_path(o->plot, err, sizeof(err))) {
            fprintf(stderr, "%s\n", err);
            free(img);
            return EXIT_INPUT;
        }
        plot_init(&plot, o->kernel, &plot_core_probe);
        cfg.event_sink = plot_event_sink;
        cfg.event_user = &plot;
    }
    struct sim_machine *m = sim_create(&cfg);
    if (!m) {
        plot_free(&plot);
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
        plot_free(&plot);
        free(img);
        return EXIT_INPUT;
    }
    if (o->plot)
        plot_name_domain(&plot, sim_domain_result(m, 0)->domid, name);
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
    if (o->results) {
        const char *sw = summary_word(word, r->crashed);
        printf("hvsim: result %s %s %s\n", name, sw,
               r->shut_down ? shutdown_reason_name(r->shutdown_reason) : "none");
        printf("hvsim: done %d/1 SUCCESS\n", !strcmp(sw, "SUCCESS"));
    }
    int code = r->crashed ? XTF_CRASH : xtf_code(word);
    if (o->plot && save_plot(&plot, m, name, o->plot, false))
        code = EXIT_INPUT;
    sim_destroy(m);
    plot_free(&plot);
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
        else if (!strcmp(a, "--record") && has_next)
            o->record = argv[++i];
        else if (!strcmp(a, "--plot") && has_next)
            o->plot = argv[++i];
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
        else if (!strcmp(a, "--results"))
            o->results = true;
        else if (!strcmp(a, "--knob") && has_next) {
            const char *arg = argv[++i];
            const char *eq = strchr(arg, '=');
            uint64_t n, v;
            char num[32];
            if (!eq || (size_t)(eq - arg) >= sizeof(num))
                return fprintf(stderr, "hvsim: --knob wants N=VALUE\n"), -1;
            snprintf(num, sizeof(num), "%.*s", (int)(eq - arg), arg);
            if (parse_u64(num, &n) || !n || n > SCN_MAX_KNOBS || parse_u64(eq + 1, &v))
                return fprintf(stderr, "hvsim: --knob wants N=VALUE, N from 1 to %d\n",
                               SCN_MAX_KNOBS),
                       -1;
            /* Knobs before N keep their defaults unless given: mark them unset. */
            while (o->knobs.nr_knobs < n)
                o->knobs.knob_default[o->knobs.nr_knobs++] = true;
            o->knobs.knob_value[n - 1] = v;
            o->knobs.knob_default[n - 1] = false;
        } else if (!strcmp(a, "--run") && has_next) {
            if (parse_u64(argv[++i], &o->run_index) || !o->run_index)
                return fprintf(stderr, "hvsim: bad --run (1-based)\n"), -1;
        } else if (a[0] == '-' && a[1]) {
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

/* Parse every scenario named on the command line; NULL (message printed) on bad input. */
static struct scenario *parse_scenarios(char **files, int n)
{
    struct scenario *scns = calloc((size_t)n, sizeof(*scns));
    if (!scns) {
        fprintf(stderr, "hvsim: out of memory\n");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        char err[1024];
        if (scn_parse_file(files[i], &scns[i], err, sizeof(err))) {
            fprintf(stderr, "%s\n", err);
            for (int j = 0; j < i; j++)
                scn_free(&scns[j]);
            free(scns);
            return NULL;
        }
    }
    return scns;
}

static void free_scenarios(struct scenario *scns, int n)
{
    for (int i = 0; i < n; i++)
        scn_free(&scns[i]);
    free(scns);
}

/*
 * hvsim pin --run K FILE.scn: the scenario with its sweeps narrowed to run K (one run, which
 * one bare-metal boot can do); hvsim pin --count FILE.scn: how many runs it has.
 */
static int cmd_pin(int argc, char **argv)
{
    uint64_t run = 0;
    bool count = false;
    int i = 2;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--count"))
            count = true;
        else if (!strcmp(argv[i], "--run") && i + 1 < argc && !parse_u64(argv[i + 1], &run) && run)
            i++;
        else {
            fprintf(stderr, "hvsim: pin: bad option '%s' (--run K, 1-based, or --count)\n",
                    argv[i]);
            return EXIT_INPUT;
        }
    }
    if (i != argc - 1 || count == (run != 0)) {
        fprintf(stderr, "usage: hvsim pin --run K FILE.scn | hvsim pin --count FILE.scn\n");
        return EXIT_INPUT;
    }
    const char *file = argv[i];
    char err[PATH_MAX + 1024];
    size_t len;
    char *text = read_file(file, &len, err, sizeof(err));
    if (!text) {
        fprintf(stderr, "%s: %s\n", file, err);
        return EXIT_INPUT;
    }
    struct scenario s;
    int rc = EXIT_INPUT;
    if (scn_parse_buffer(file, text, len, &s, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        free(text);
        return EXIT_INPUT;
    }
    if (count) {
        printf("%llu\n", (unsigned long long)s.nr_runs);
        rc = 0;
    } else if (run > s.nr_runs) {
        fprintf(stderr, "%s: --run %llu: the scenario has %llu run(s)\n", file,
                (unsigned long long)run, (unsigned long long)s.nr_runs);
    } else {
        size_t n;
        char *out = scn_pin_run(text, len, &s, run - 1, &n);
        if (!out)
            fprintf(stderr, "hvsim: out of memory\n");
        else if (fwrite(out, 1, n, stdout) != n || fflush(stdout))
            fprintf(stderr, "hvsim: <stdout>: cannot write: %s\n", strerror(errno));
        else
            rc = 0;
        free(out);
    }
    scn_free(&s);
    free(text);
    return rc;
}

/* hvsim grub-cfg: the grub.cfg (or, with --files, the kernel list) of a bare-metal ISO. */
static int cmd_grub_cfg(int argc, char **argv)
{
    const char *out_path = NULL;
    bool files = false;
    struct grubcfg_options go = {0};
    int i = 2;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] != '-' || !a[1])
            break;
        if (!strcmp(a, "-o") && i + 1 < argc)
            out_path = argv[++i];
        else if (!strcmp(a, "--files"))
            files = true;
        else if (!strcmp(a, "--hv-args") && i + 1 < argc)
            go.hv_args = argv[++i];
        else if (!strcmp(a, "--skip-sim-only"))
            go.skip_sim_only = true;
        else {
            fprintf(stderr, "hvsim: unknown or incomplete option '%s'\n", a);
            return EXIT_INPUT;
        }
    }
    int n = argc - i;
    if (n <= 0) {
        usage(stderr);
        return EXIT_INPUT;
    }
    struct scenario *scns = parse_scenarios(argv + i, n);
    if (!scns)
        return EXIT_INPUT;
    char dirs[2][PATH_MAX];
    const char *dirp[2] = {dirs[0], dirs[1]};
    go.nr_search_dirs = guest_dirs(dirs);
    go.search_dirs = dirp;
    struct grubcfg_output out;
    char err[2 * PATH_MAX + 1024];
    int rc = grubcfg_generate(scns, (unsigned)n, &go, &out, err, sizeof(err));
    free_scenarios(scns, n);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return EXIT_INPUT;
    }
    /* A note, once (the ISO script runs this twice: for grub.cfg and for --files). */
    if (out.skipped && !files) {
        for (const char *p = out.skipped; *p;) {
            size_t len = strcspn(p, "\n");
            fprintf(stderr, "hvsim: left out: %.*s\n", (int)len, p);
            p += len + (p[len] == '\n');
        }
    }
    const char *text = files ? out.files : out.cfg;
    FILE *f = out_path ? fopen(out_path, "w") : stdout;
    bool bad = !f;
    if (f) {
        bad = fputs(text, f) == EOF;
        bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
    }
    if (bad)
        fprintf(stderr, "hvsim: %s: cannot write: %s\n", out_path ? out_path : "<stdout>",
                strerror(errno));
    grubcfg_free(&out);
    return bad ? EXIT_INPUT : 0;
}

/* One domain's lines gathered from a bare-metal serial log. */
struct log_domain {
    const struct scenario *s;
    const struct scn_domain *sd;
    char *console;
    size_t console_len, console_cap;
    char word[16], reason[16];
    bool has_result;
};

static void append_console(struct log_domain *d, const char *text, size_t len)
{
    if (d->console_len + len + 1 > d->console_cap) {
        size_t cap = d->console_cap ? d->console_cap : 4096;
        while (cap < d->console_len + len + 1)
            cap *= 2;
        char *p = realloc(d->console, cap);
        if (!p) {
            fprintf(stderr, "hvsim: out of memory\n");
            exit(EXIT_INPUT);
        }
        d->console = p;
        d->console_cap = cap;
    }
    memcpy(d->console + d->console_len, text, len);
    d->console_len += len;
    d->console[d->console_len++] = '\n';
}

static struct log_domain *find_log_domain(struct log_domain *ds, unsigned n, const char *name,
                                          size_t len)
{
    for (unsigned i = 0; i < n; i++) {
        if (strlen(ds[i].sd->name) == len && !memcmp(ds[i].sd->name, name, len))
            return &ds[i];
    }
    return NULL;
}

/* Sort one serial-log line: a guest console line `NAME| text` or a `hvsim: result` line. */
static void log_line(struct log_domain *ds, unsigned n, const char *line, size_t len)
{
    static const char result[] = "hvsim: result ";
    if (len > sizeof(result) - 1 && !memcmp(line, result, sizeof(result) - 1)) {
        char name[64], word[16], reason[16];
        char buf[256];
        snprintf(buf, sizeof(buf), "%.*s", (int)len, line + sizeof(result) - 1);
        if (sscanf(buf, "%63s %15s %15s", name, word, reason) != 3)
            return;
        struct log_domain *d = find_log_domain(ds, n, name, strlen(name));
        if (d && !d->has_result) {
            d->has_result = true;
            snprintf(d->word, sizeof(d->word), "%s", word);
            snprintf(d->reason, sizeof(d->reason), "%s", reason);
        }
        return;
    }
    const char *bar = memchr(line, '|', len);
    if (!bar || bar + 1 >= line + len || bar[1] != ' ') {
        /* An empty console line is printed as "NAME| " or, trailing blank lost, "NAME|". */
        if (!bar || bar + 1 != line + len)
            return;
    }
    struct log_domain *d = find_log_domain(ds, n, line, (size_t)(bar - line));
    if (d) {
        const char *text = bar + 1 < line + len ? bar + 2 : bar + 1;
        append_console(d, text, (size_t)(line + len - text));
    }
}

/* hvsim check-log: the scenarios' expectations checked against a bare-metal serial log. */
static int cmd_check_log(int argc, char **argv)
{
    if (argc < 4) {
        usage(stderr);
        return EXIT_INPUT;
    }
    int n = argc - 3;
    struct scenario *scns = parse_scenarios(argv + 3, n);
    if (!scns)
        return EXIT_INPUT;
    char err[PATH_MAX + 600];
    size_t len;
    char *log = read_file(argv[2], &len, err, sizeof(err));
    if (!log) {
        fprintf(stderr, "%s\n", err);
        free_scenarios(scns, n);
        return EXIT_INPUT;
    }
    unsigned nd = 0;
    for (int i = 0; i < n; i++)
        nd += scns[i].nr_domains;
    struct log_domain *ds = calloc(nd, sizeof(*ds));
    struct report_row *rows = calloc(nd, sizeof(*rows));
    char(*notes)[256] = calloc(nd, sizeof(*notes));
    if (!ds || !rows || !notes) {
        fprintf(stderr, "hvsim: out of memory\n");
        exit(EXIT_INPUT);
    }
    for (int i = 0, k = 0; i < n; i++) {
        for (unsigned j = 0; j < scns[i].nr_domains; j++, k++)
            ds[k] = (struct log_domain){.s = &scns[i], .sd = &scns[i].domains[j]};
    }
    for (const char *p = log, *end = log + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r') /* a serial line ends in \r\n */
            ll--;
        log_line(ds, nd, p, ll);
        p = le + 1;
    }
    for (unsigned k = 0; k < nd; k++) {
        struct log_domain *d = &ds[k];
        struct outcome oc = {
            .word = d->has_result ? d->word : "CRASH",
            .shutdown = d->has_result ? d->reason : "none",
            .crash_reason = d->has_result ? "" : "no 'hvsim: result' line in the log",
            .console = d->console ? d->console : "",
            .console_len = d->console_len,
        };
        bool ok = check_domain(d->sd, &oc, notes[k], sizeof(notes[k]));
        rows[k] = (struct report_row){.scenario = d->s->path,
                                      .domain = d->sd->name,
                                      .expected = d->sd->expect,
                                      .actual = oc.word,
                                      .shutdown = oc.shutdown,
                                      .no_insns = true,
                                      .verdict = ok ? "ok" : "FAIL",
                                      .note = notes[k][0] ? notes[k] : NULL};
    }
    report_print(stdout, rows, nd);
    size_t failed;
    report_count(rows, nd, NULL, &failed);
    for (unsigned k = 0; k < nd; k++)
        free(ds[k].console);
    free(ds);
    free(rows);
    free(notes);
    free(log);
    free_scenarios(scns, n);
    return failed ? 1 : 0;
}

/* --- record and replay ---------------------------------------------------- */

#define HVSIM_TOOL_VERSION "hvsim 0.3 (record format 1)"

struct rec_ctx {
    struct record r;
    const struct options *o;
    bool replaying; /* compare against `want` instead of recording */
    const struct record *want;
    size_t next; /* index of the next expected event */
    bool diverged;
    size_t at;      /* first differing event */
    char got[1200]; /* what the replay produced there */
    bool kernels_differ;
};

static void die_oom(void)
{
    fprintf(stderr, "hvsim: out of memory\n");
    exit(EXIT_INPUT);
}

/* Every event of the run goes into the record; in replay mode it is compared first. */
static int rec_sink(void *user, const char *line, size_t len)
{
    struct rec_ctx *c = user;
    if (!c->replaying) {
        if (record_add_event(&c->r, line, len))
            die_oom();
        return 0;
    }
    const char *w = c->next < c->want->nr_events ? c->want->events[c->next] : NULL;
    if (w && strlen(w) == len && !memcmp(w, line, len)) {
        c->next++;
        return 0;
    }
    c->diverged = true;
    c->at = c->next;
    snprintf(c->got, sizeof(c->got), "%.*s", (int)(len > 1100 ? 1100 : len), line);
    return 1; /* stop the machine right here: its state is what the report shows */
}

static void print_context(const struct record *want, size_t at)
{
    size_t from = at > 5 ? at - 5 : 0;
    if (from < at)
        printf("  events before it:\n");
    for (size_t i = from; i < at; i++)
        printf("    #%zu %s\n", i, want->events[i]);
}

/* One "kernel|ramdisk|module NAME SIZE FNV64" line of a record (dropped past the maximum). */
static void add_fingerprint(struct record *r, const char *kind, const char *name, size_t namelen,
                            size_t len, uint64_t fnv64)
{
    if (r->nr_kernels == RECORD_MAX_KERNELS)
        return;
    struct record_kernel *k = &r->kernels[r->nr_kernels++];
    snprintf(k->kind, sizeof(k->kind), "%s", kind);
    snprintf(k->name, sizeof(k->name), "%.*s", (int)namelen, name);
    /* A name with a blank cannot be read back: the record keeps a placeholder. */
    for (char *q = k->name; *q; q++)
        *q = *q == ' ' || *q == '\t' || *q == '\n' ? '_' : *q;
    if (!k->name[0])
        snprintf(k->name, sizeof(k->name), "-");
    k->size = len;
    k->fnv64 = fnv64;
}

static void rec_after(void *user, struct sim_machine *m, const struct scenario *s,
                      const struct loaded_domain *ld)
{
    struct rec_ctx *c = user;
    struct record *r = &c->r;
    r->trace_hash = sim_trace_hash(m);
    r->seed = c->o->has_seed ? c->o->seed : s->seed;
    snprintf(r->knobs, sizeof(r->knobs), "%s", c->o->bound);
    r->limit = c->o->has_limit ? c->o->limit : s->limit;
    /* Fingerprints of what each domain booted: its kernel, ramdisk and boot modules. */
    r->nr_kernels = 0;
    for (unsigned i = 0; i < s->nr_domains; i++) {
        const struct scn_domain *d = &s->domains[i];
        add_fingerprint(r, "kernel", d->kernel, strlen(d->kernel), ld[i].kernel_len,
                        record_fnv64(ld[i].kernel, ld[i].kernel_len));
        if (d->ramdisk[0])
            add_fingerprint(r, "ramdisk", d->ramdisk, strlen(d->ramdisk), ld[i].ramdisk_len,
                            record_fnv64(ld[i].ramdisk, ld[i].ramdisk_len));
        for (unsigned k = 0; k < d->nr_modules; k++) /* the entry's first word is the file */
            add_fingerprint(r, "module", d->modules[k], strcspn(d->modules[k], " \t"),
                            ld[i].modules[k].len,
                            record_fnv64(ld[i].modules[k].data, ld[i].modules[k].len));
        for (unsigned k = 0; k < d->nr_disks; k++) /* the image as it was before the run */
            add_fingerprint(r, "disk", ld[i].disk_specs[k].target,
                            strlen(ld[i].disk_specs[k].target), ld[i].disk_file_len[k],
                            ld[i].disk_fnv64[k]);
    }
    if (!c->replaying)
        return;
    for (unsigned i = 0; i < r->nr_kernels && i < c->want->nr_kernels; i++) {
        if (r->kernels[i].fnv64 != c->want->kernels[i].fnv64 ||
            r->kernels[i].size != c->want->kernels[i].size) {
            printf("replay: note: %s %s is not the recorded one (size %llu, fnv64 0x%016llx;"
                   " recorded %llu, 0x%016llx): other bytes change the events\n",
                   r->kernels[i].kind, r->kernels[i].name, (unsigned long long)r->kernels[i].size,
                   (unsigned long long)r->kernels[i].fnv64,
                   (unsigned long long)c->want->kernels[i].size,
                   (unsigned long long)c->want->kernels[i].fnv64);
            c->kernels_differ = true;
        }
    }
    if (!c->diverged && c->next < c->want->nr_events) {
        c->diverged = true;
        c->at = c->next;
        snprintf(c->got, sizeof(c->got), "(nothing: the run ended: %s)", sim_outcome_text(m));
    }
    if (!c->diverged)
        return;
    printf("replay: first divergence at event #%zu (of %zu recorded)\n", c->at, c->want->nr_events);
    print_context(c->want, c->at);
    printf("  recorded: %s\n", c->at < c->want->nr_events ? c->want->events[c->at]
                                                          : "(nothing: the recording ends here)");
    printf("  replayed: %s\n", c->got);
    struct vcpu *v = sim_stopped_vcpu(m);
    if (v) {
        printf("replay: the vCPU that produced it, stopped there:\n");
        sim_dump_vcpu(stdout, v);
    }
}

/* The scenario file's bytes (for the record). NULL with a message on failure. */
static char *slurp(const char *path, size_t *len)
{
    char err[PATH_MAX + 256];
    char *p = read_file(path, len, err, sizeof(err));
    if (!p)
        fprintf(stderr, "%s\n", err);
    return p;
}

static int write_record(const char *path, const struct record *r)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || record_write(f, r) || fclose(f) || rename(tmp, path)) {
        fprintf(stderr, "hvsim: %s: cannot write the record: %s\n", path, strerror(errno));
        return EXIT_INPUT;
    }
    return 0;
}

/* hvsim run --record FILE SCENARIO: run it once and keep everything a replay needs. */
static int run_recorded(const char *scn, struct options *o, struct row_store *rs)
{
    static struct rec_ctx c;
    memset(&c, 0, sizeof(c));
    c.o = o;
    snprintf(c.r.tool, sizeof(c.r.tool), "%s", HVSIM_TOOL_VERSION);
    snprintf(c.r.scenario_path, sizeof(c.r.scenario_path), "%s", scn);
    snprintf(c.r.knobs, sizeof(c.r.knobs), "none");
    c.r.scenario_text = slurp(scn, &c.r.scenario_len);
    if (!c.r.scenario_text)
        return EXIT_INPUT;
    o->sink = rec_sink;
    o->sink_user = &c;
    o->after_run = rec_after;
    int rc = run_scenario(scn, o, rs);
    if (!rc)
        rc = write_record(o->record, &c.r);
    if (!rc)
        printf("recorded %zu events to %s\n", c.r.nr_events, o->record);
    record_free(&c.r);
    return rc;
}

/*
 * hvsim replay [--update] FILE.rec: run the recorded scenario text with the
 * recorded seed and limit, and compare every event with the recording. The
 * run stops at the first difference, which is printed with the events
 * before it and the registers and code of the vCPU that produced it.
 * --update records the run afresh from the scenario file's current text.
 */
static int cmd_replay(int argc, char **argv)
{
    bool update = false, strict = false, source_changed = false;
    uint64_t perturb = 0;
    int i = 2;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--update"))
            update = true;
        else if (!strcmp(argv[i], "--strict"))
            strict = true;
        else if (!strcmp(argv[i], "--test-perturb") && i + 1 < argc) {
            if (parse_u64(argv[++i], &perturb) || !perturb)
                return fprintf(stderr, "hvsim: bad --test-perturb\n"), EXIT_INPUT;
        } else
            return fprintf(stderr, "hvsim: unknown option '%s'\n", argv[i]), EXIT_INPUT;
    }
    if (i + 1 != argc)
        return fprintf(stderr, "usage: hvsim replay [--update] [--strict] FILE.rec\n"), EXIT_INPUT;
    const char *path = argv[i];
    static struct record want;
    char err[PATH_MAX + 512];
    if (record_read(path, &want, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return EXIT_INPUT;
    }
    static struct row_store rs;
    static char names[SCN_MAX_SWEEPS][32];
    struct scn_binding recorded;
    if (parse_binding_text(want.knobs, &recorded, names)) {
        fprintf(stderr, "%s: malformed knobs line '%s'\n", path, want.knobs);
        record_free(&want);
        return EXIT_INPUT;
    }
    struct options o = {.knobs = recorded,
                        .seed = want.seed,
                        .has_seed = true,
                        .limit = want.limit,
                        .has_limit = want.limit != 0,
                        .perturb = perturb};
    int rc;
    if (update) {
        o.record = path;
        rc = run_recorded(want.scenario_path, &o, &rs);
        record_free(&want);
        return rc;
    }
    size_t cur_len;
    char cerr[PATH_MAX + 256];
    char *cur = read_file(want.scenario_path, &cur_len, cerr, sizeof(cerr));
    source_changed =
        cur && (cur_len != want.scenario_len || memcmp(cur, want.scenario_text, cur_len));
    if (source_changed)
        printf("replay: note: %s changed since it was recorded; replaying the recorded text "
               "(hvsim replay --update %s records the new one)\n",
               want.scenario_path, path);
    free(cur);
    static struct rec_ctx c;
    memset(&c, 0, sizeof(c));
    c.o = &o;
    c.replaying = true;
    c.want = &want;
    o.scn_text = want.scenario_text;
    o.scn_len = want.scenario_len;
    o.sink = rec_sink;
    o.sink_user = &c;
    o.after_run = rec_after;
    rc = run_scenario(want.scenario_path, &o, &rs);
    if (!rc && !c.diverged && c.r.trace_hash != want.trace_hash) {
        printf("replay: every event matches but the trace hash differs (0x%016llx, recorded "
               "0x%016llx)\n",
               (unsigned long long)c.r.trace_hash, (unsigned long long)want.trace_hash);
        c.diverged = true;
    }
    /* A kernel that differs only in debug info replays the same: the events decide that. */
    if (!rc && strict && source_changed) {
        printf("replay: --strict: the scenario file is not the recorded one\n");
        c.diverged = true;
    }
    if (!rc)
        printf("replay %s: %s (%zu events)\n", path, c.diverged ? "DIVERGED" : "identical",
               want.nr_events);
    record_free(&c.r);
    record_free(&want);
    return rc ? rc : c.diverged ? 1 : 0;
}

/*
 * hvsim fuzz (tools/knobfuzz.c, linked with this file): run the scenario
 * text once per sweep value with the given knob values, quietly. Returns 0
 * when every expectation holds, 1 when one does not, 2 on bad input.
 */
int hvsim_run_knobs(const char *file, const char *text, size_t len, const struct scn_binding *knobs)
{
    static struct row_store rs;
    struct options o = {.scn_text = text, .scn_len = len, .knobs = *knobs, .quiet = true};
    rs.n = 0;
    int rc = run_scenario(file, &o, &rs);
    if (rc)
        return rc;
    size_t failed;
    report_count(rs.rows, rs.n, NULL, &failed);
    return failed ? 1 : 0;
}

#ifndef HVSIM_NO_MAIN
static int cmd_fuzz(int argc, char **argv);

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "fuzz"))
        return cmd_fuzz(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "pin"))
        return cmd_pin(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "grub-cfg"))
        return cmd_grub_cfg(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "check-log"))
        return cmd_check_log(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "replay"))
        return cmd_replay(argc, argv);
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
    if (o.plot && nfiles > 1) {
        fprintf(stderr, "hvsim: --plot takes one scenario file (a sweep writes FILE-K.svg)\n");
        return EXIT_INPUT;
    }
    if ((o.trace || o.record) && nfiles > 1) {
        fprintf(stderr, "hvsim: --trace and --record take one scenario file\n");
        return EXIT_INPUT;
    }
    static struct row_store rs;
    for (int i = first; i < argc; i++) {
        int rc = o.record ? run_recorded(argv[i], &o, &rs) : run_scenario(argv[i], &o, &rs);
        if (rc)
            return rc;
    }
    report_print(stdout, rs.rows, rs.n);
    if (o.results)
        print_summary(&rs);
    size_t passed, failed;
    report_count(rs.rows, rs.n, &passed, &failed);
    return failed ? 1 : 0;
}

/*
 * hvsim fuzz [--seconds N] [--out DIR] FILE.scn [-- libFuzzer options]:
 * run libFuzzer over the scenario's fuzz knobs (the hvsim-knobfuzz binary
 * built next to this one, with clang's libFuzzer, ASan and UBSan).
 */
static int cmd_fuzz(int argc, char **argv)
{
    const char *seconds = "60", *out = "hvsim-fuzz-failures";
    int i = 2;
    for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else
            return fprintf(stderr, "hvsim fuzz: unknown option '%s'\n", argv[i]), EXIT_INPUT;
    }
    if (i >= argc || !strcmp(argv[i], "--")) {
        fprintf(stderr, "usage: hvsim fuzz [--seconds N] [--out DIR] FILE.scn [-- libFuzzer "
                        "options]\n");
        return EXIT_INPUT;
    }
    const char *scn = argv[i++];
    uint64_t secs;
    if (parse_u64(seconds, &secs) || !secs)
        return fprintf(stderr, "hvsim fuzz: bad --seconds\n"), EXIT_INPUT;
    struct scenario s;
    char err[1024];
    if (scn_parse_file(scn, &s, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return EXIT_INPUT;
    }
    unsigned nr = s.nr_knobs;
    scn_free(&s);
    if (!nr) {
        fprintf(stderr, "%s: no fuzz(...) knobs to vary\n", scn);
        return EXIT_INPUT;
    }
    char exe[PATH_MAX], bin[PATH_MAX + 32];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0)
        return fprintf(stderr, "hvsim fuzz: cannot find my own directory\n"), EXIT_INPUT;
    exe[len] = 0;
    *strrchr(exe, '/') = 0;
    snprintf(bin, sizeof(bin), "%s/knobfuzz/hvsim-knobfuzz", exe);
    if (!file_exists(bin)) {
        fprintf(stderr, "hvsim fuzz: %s is missing (it is built with clang by `make`)\n", bin);
        return EXIT_INPUT;
    }
    if (mkdir(out, 0777) && errno != EEXIST) {
        fprintf(stderr, "hvsim fuzz: %s: %s\n", out, strerror(errno));
        return EXIT_INPUT;
    }
    /* A corpus that starts with one full-length input: every knob gets bytes from the start. */
    static char corpus[PATH_MAX + 16], seed[PATH_MAX + 32];
    snprintf(corpus, sizeof(corpus), "%s/corpus", out);
    snprintf(seed, sizeof(seed), "%s/zero", corpus);
    if (mkdir(corpus, 0777) && errno != EEXIST) {
        fprintf(stderr, "hvsim fuzz: %s: %s\n", corpus, strerror(errno));
        return EXIT_INPUT;
    }
    FILE *sf = fopen(seed, "wb");
    static const uint8_t zero[8 * SCN_MAX_KNOBS];
    if (!sf || fwrite(zero, 8, nr, sf) != nr || fclose(sf)) {
        fprintf(stderr, "hvsim fuzz: %s: cannot write\n", seed);
        return EXIT_INPUT;
    }
    static char *args[256];
    static char a_time[64], a_len[64], a_art[PATH_MAX + 32];
    int n = 0;
    snprintf(a_time, sizeof(a_time), "-max_total_time=%llu", (unsigned long long)secs);
    snprintf(a_len, sizeof(a_len), "-max_len=%u", 8 * nr);
    snprintf(a_art, sizeof(a_art), "-artifact_prefix=%s/", out);
    args[n++] = bin;
    args[n++] = a_time;
    args[n++] = a_len;
    args[n++] = a_art;
    args[n++] = "-print_final_stats=1";
    args[n++] = "-len_control=0";
    for (i += i < argc && !strcmp(argv[i], "--"); i < argc && n < 253; i++)
        args[n++] = argv[i];
    args[n++] = corpus;
    args[n] = NULL;
    setenv("HVSIM_FUZZ_SCENARIO", scn, 1);
    setenv("HVSIM_FUZZ_OUT", out, 1);
    char gd[PATH_MAX + 16];
    snprintf(gd, sizeof(gd), "%s/guests", exe);
    if (!getenv("HVSIM_GUEST_DIR"))
        setenv("HVSIM_GUEST_DIR", gd, 1);
    printf("hvsim fuzz: %u knob(s) of %s for %llu s; failing inputs go to %s/\n", nr, scn,
           (unsigned long long)secs, out);
    fflush(stdout);
    execv(bin, args);
    fprintf(stderr, "hvsim fuzz: cannot run %s: %s\n", bin, strerror(errno));
    return EXIT_INPUT;
}
#endif
