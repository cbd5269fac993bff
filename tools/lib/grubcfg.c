/* grub.cfg for the bare-metal build: scenarios turned into GRUB multiboot2 menu entries. */
#define _GNU_SOURCE /* open_memstream, realpath */
#include "grubcfg.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One guest kernel file as it will sit on the ISO. */
struct kfile {
    char real[PATH_MAX]; /* canonical path: the same file named twice is copied once */
    char path[PATH_MAX]; /* path as found, listed for the ISO script */
    const char *base;    /* file name, inside path: /boot/<base> on the ISO */
    const struct scenario *s;
    unsigned line;
};

#define EXTRAS (2 * SCN_MAX_MODULES + 1)
#define RAMDISK SCN_MAX_MODULES
#define DISK0 (SCN_MAX_MODULES + 1)

/* Per domain: which kfile it boots. */
struct plan {
    struct kfile *files;
    unsigned nr_files;
    unsigned *kernel_of; /* [scenario * SCN_MAX_DOMAINS + domain] -> index in files */
    unsigned *extra_of;  /* [(scenario * SCN_MAX_DOMAINS + domain) * EXTRAS + k] -> index in
                            files: its modules (k < SCN_MAX_MODULES), its ramdisk (k = RAMDISK),
                            its disks' images (k = DISK0 + n) */
    bool *skipped;       /* [scenario]: left out, it needs the simulator (skip_sim_only) */
    unsigned *group;     /* [scenario]: the first scenario booted with the same clock */
    unsigned nr_groups;  /* distinct clocks among the scenarios booted */
    char *skip_text;     /* one "FILE:LINE: reason" line per scenario left out */
    size_t skip_len;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static bool word_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           strchr("_.,:/=+-", c);
}

void grubcfg_put_word(FILE *f, const char *s)
{
    bool bare = *s != 0;
    for (const char *p = s; *p && bare; p++)
        bare = word_char((unsigned char)*p);
    if (bare) {
        fputs(s, f);
        return;
    }
    /* GRUB's lexer, like sh, has no escape inside single quotes: close, \', reopen. */
    fputc('\'', f);
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", f);
        else
            fputc(*p, f);
    }
    fputc('\'', f);
}

/* Text from a scenario put into a comment: a line break would end the comment early. */
static void put_comment_text(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* A file name GRUB and the kernel's parser take without quoting, and no clash with the ISO's own.
 */
static bool usable_base(const char *b)
{
    if (!*b || !strcmp(b, "hvsim-hv.elf") || !strcmp(b, "grub") || !strcmp(b, ".") ||
        !strcmp(b, ".."))
        return false;
    for (; *b; b++) {
        if (!word_char((unsigned char)*b) || *b == ',' || *b == ':' || *b == '=' || *b == '/')
            return false;
    }
    return true;
}

/* Find a domain's kernel as `hvsim run` does: absolute, next to the scenario, in the search dirs.
 */
static int resolve(const struct scenario *s, const struct scn_domain *d, const char *key,
                   const char *file, const struct grubcfg_options *o, char *out, size_t outlen,
                   char *err, size_t errlen)
{
    unsigned line = scn_key_line(s, d, key);
    if (file[0] == '/') {
        snprintf(out, outlen, "%s", file);
        if (access(out, R_OK) == 0)
            return 0;
        return fail(err, errlen, "%s:%u: %s '%s' not found", s->path, line, key, file);
    }
    char looked[1024] = "";
    size_t used = 0;
    for (unsigned i = 0; i <= o->nr_search_dirs; i++) {
        const char *dir = i ? o->search_dirs[i - 1] : s->dir;
        if (snprintf(out, outlen, "%s/%s", dir, file) < (int)outlen && access(out, R_OK) == 0)
            return 0;
        if (used < sizeof(looked))
            used +=
                (size_t)snprintf(looked + used, sizeof(looked) - used, "%s%s", i ? ", " : "", dir);
    }
    return fail(err, errlen, "%s:%u: %s '%s' not found (looked in %s)", s->path, line, key, file,
                looked);
}

/*
 * Why s needs the simulator's control of the run (its timeline, sweeps or knobs), as
 * "FILE:LINE: reason" in why; false when one boot can run it.
 */
static bool needs_simulator(const struct scenario *s, char *why, size_t whylen)
{
    if (s->nr_actions)
        return fail(why, whylen, "%s:%u: [timeline] needs the simulator (not on bare metal)",
                    s->path, s->actions[0].line) != 0;
    /* A sweep narrowed to one value (hvsim pin) is one boot. */
    if (s->nr_runs > 1)
        return fail(why, whylen,
                    "%s:%u: sweeps need the simulator (not on bare metal; one boot per run: "
                    "hvsim pin --run K)",
                    s->path, s->sweeps[0].line) != 0;
    if (s->nr_knobs)
        return fail(why, whylen, "%s:%u: fuzz(...) knobs need the simulator (not on bare metal)",
                    s->path, s->knobs[0].line) != 0;
    return false;
}

/* What the bare-metal kernel cannot do is an error here, never a silent difference. */
static int check_supported(const struct scenario *s, const struct scn_domain *d, char *err,
                           size_t errlen)
{
    if (needs_simulator(s, err, errlen))
        return -1;
    for (unsigned k = 0; k < d->nr_disks; k++) {
        struct scn_disk dk;
        char why[400];
        const char *no =
            scn_parse_disk(d->disks[k], &dk, why, sizeof(why)) ? why : scn_disk_unsupported(&dk);
        if (no)
            return fail(err, errlen, "%s:%u: domain '%s': disk %u: %s", s->path,
                        scn_key_line(s, d, "disk"), d->name, k + 1, no);
    }
    if (strcmp(d->on_crash, "destroy"))
        return fail(err, errlen,
                    "%s:%u: on_crash = \"%s\" is not supported on bare metal (a crashed domain is "
                    "always destroyed there)",
                    s->path, scn_key_line(s, d, "on_crash"), d->on_crash);
    for (const char *p = d->extra; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return fail(err, errlen,
                        "%s:%u: 'extra' holds a control character (byte 0x%02x), which a GRUB "
                        "command line cannot pass on",
                        s->path, scn_key_line(s, d, "extra"), (unsigned char)*p);
    }
    for (unsigned m = 0; m < d->nr_modules; m++) {
        const char *e = d->modules[m];
        if (strlen(e) > 1000)
            return fail(err, errlen,
                        "%s:%u: module %u: a command line of more than 1000 bytes does not fit "
                        "the bare-metal kernel's",
                        s->path, scn_key_line(s, d, "modules"), m + 1);
        for (const char *p = e; *p; p++) {
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return fail(err, errlen,
                            "%s:%u: module %u holds a control character (byte 0x%02x), which a "
                            "GRUB command line cannot pass on",
                            s->path, scn_key_line(s, d, "modules"), m + 1, (unsigned char)*p);
        }
    }
    return 0;
}

static int add_file(struct plan *pl, const struct scenario *s, const struct scn_domain *d,
                    const char *key, const char *path, unsigned *idx, char *err, size_t errlen)
{
    unsigned line = scn_key_line(s, d, key);
    char real[PATH_MAX];
    if (!realpath(path, real))
        return fail(err, errlen, "%s:%u: %s '%s' cannot be opened", s->path, line, key, path);
    if (strchr(path, '\n'))
        return fail(err, errlen, "%s:%u: %s path holds a line break", s->path, line, key);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!usable_base(base))
        return fail(err, errlen,
                    "%s:%u: %s file name '%s' cannot be used on the ISO (it must be made of "
                    "A-Z a-z 0-9 _ . + - and not be hvsim-hv.elf or grub)",
                    s->path, line, key, base);
    for (unsigned i = 0; i < pl->nr_files; i++) {
        struct kfile *k = &pl->files[i];
        if (!strcmp(k->real, real)) {
            *idx = i;
            return 0;
        }
        if (!strcmp(k->base, base))
            return fail(err, errlen,
                        "%s:%u: %s '%s' and '%s' (%s:%u) are different files but would both "
                        "be /boot/%s",
                        s->path, line, key, path, k->path, k->s->path, k->line, base);
    }
    struct kfile *k = &pl->files[pl->nr_files];
    snprintf(k->real, sizeof(k->real), "%s", real);
    snprintf(k->path, sizeof(k->path), "%s", path);
    k->base = k->path + (base - path);
    k->s = s;
    k->line = line;
    *idx = pl->nr_files++;
    return 0;
}

/* Every check, before a single byte of output: a bad scenario never yields half a grub.cfg. */
static void clock_args(const struct scenario *s, char *out, size_t outlen);

static int make_plan(const struct scenario *scns, unsigned n, const struct grubcfg_options *o,
                     struct plan *pl, char *err, size_t errlen)
{
    unsigned booted = 0;
    char first_why[2 * PATH_MAX] = "";
    for (unsigned i = 0; i < n; i++) {
        char why[2 * PATH_MAX];
        if (!o->skip_sim_only || !needs_simulator(&scns[i], why, sizeof(why))) {
            booted++;
            continue;
        }
        pl->skipped[i] = true;
        if (!first_why[0])
            snprintf(first_why, sizeof(first_why), "%s", why);
        size_t len = strlen(why);
        char *t = realloc(pl->skip_text, pl->skip_len + len + 2);
        if (!t)
            return fail(err, errlen, "out of memory");
        memcpy(t + pl->skip_len, why, len);
        t[pl->skip_len + len] = '\n';
        t[pl->skip_len + len + 1] = 0;
        pl->skip_len += len + 1;
        pl->skip_text = t;
    }
    if (!booted)
        return fail(err, errlen, "no scenario can boot on bare metal (%s)", first_why);
    /* One boot has one clock: the scenarios with the same clock are booted together. */
    for (unsigned i = 0; i < n; i++) {
        if (pl->skipped[i])
            continue;
        char a[256], b[256];
        clock_args(&scns[i], a, sizeof(a));
        pl->group[i] = i;
        for (unsigned j = 0; j < i; j++) {
            if (pl->skipped[j] || pl->group[j] != j)
                continue;
            clock_args(&scns[j], b, sizeof(b));
            if (!strcmp(a, b)) {
                pl->group[i] = j;
                break;
            }
        }
        pl->nr_groups += pl->group[i] == i;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct scenario *s = &scns[i];
        if (pl->skipped[i])
            continue;
        for (unsigned j = 0; j < s->nr_domains; j++) {
            const struct scn_domain *d = &s->domains[j];
            if (check_supported(s, d, err, errlen))
                return -1;
            /* A combined entry boots its scenarios at once: names are the kernel's keys. */
            for (unsigned i2 = 0; i2 < i; i2++) {
                const struct scenario *s2 = &scns[i2];
                if (pl->skipped[i2] || pl->group[i2] != pl->group[i])
                    continue;
                for (unsigned j2 = 0; j2 < s2->nr_domains; j2++) {
                    const struct scn_domain *d2 = &s2->domains[j2];
                    if (!strcmp(d->name, d2->name))
                        return fail(err, errlen,
                                    "%s:%u: duplicate domain name '%s' (also in %s:%u)", s->path,
                                    scn_key_line(s, d, "name"), d->name, s2->path,
                                    scn_key_line(s2, d2, "name"));
                }
            }
            char path[PATH_MAX];
            if (resolve(s, d, "kernel", d->kernel, o, path, sizeof(path), err, errlen) ||
                add_file(pl, s, d, "kernel", path, &pl->kernel_of[i * SCN_MAX_DOMAINS + j], err,
                         errlen))
                return -1;
            /* Boot modules and the ramdisk: more GRUB modules, each naming its domain. */
            unsigned *extra = &pl->extra_of[(i * SCN_MAX_DOMAINS + j) * EXTRAS];
            for (unsigned k = 0; k < d->nr_modules; k++) {
                char file[PATH_MAX];
                snprintf(file, sizeof(file), "%.*s", (int)strcspn(d->modules[k], " \t"),
                         d->modules[k]);
                if (resolve(s, d, "modules", file, o, path, sizeof(path), err, errlen) ||
                    add_file(pl, s, d, "modules", path, &extra[k], err, errlen))
                    return -1;
            }
            if (d->ramdisk[0] &&
                (resolve(s, d, "ramdisk", d->ramdisk, o, path, sizeof(path), err, errlen) ||
                 add_file(pl, s, d, "ramdisk", path, &extra[RAMDISK], err, errlen)))
                return -1;
            /* Disk images: GRUB loads each line's file anew, so each disk has its own copy. */
            for (unsigned k = 0; k < d->nr_disks; k++) {
                struct scn_disk dk;
                char why[400];
                if (scn_parse_disk(d->disks[k], &dk, why, sizeof(why)))
                    return fail(err, errlen, "%s:%u: %s", s->path, scn_key_line(s, d, "disk"), why);
                if (resolve(s, d, "disk", dk.target, o, path, sizeof(path), err, errlen) ||
                    add_file(pl, s, d, "disk", path, &extra[DISK0 + k], err, errlen))
                    return -1;
            }
        }
    }
    return 0;
}

/* The scenario's clock as the bare-metal kernel's options ("" when it keeps the defaults). */
static void clock_args(const struct scenario *s, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = 0;
    if (scn_key_line(s, NULL, "tsc_khz"))
        n += (size_t)snprintf(out + n, outlen - n, " tsc_khz=%llu", (unsigned long long)s->tsc_khz);
    if (scn_key_line(s, NULL, "tsc_start") && n < outlen)
        n += (size_t)snprintf(out + n, outlen - n, " tsc_start=%llu",
                              (unsigned long long)s->tsc_start);
    if (scn_key_line(s, NULL, "time_refresh") && n < outlen)
        n += (size_t)snprintf(out + n, outlen - n, " time_refresh=%s", s->time_refresh);
    if ((scn_key_line(s, NULL, "wallclock") || scn_key_line(s, NULL, "wallclock_nsec")) &&
        n < outlen)
        snprintf(out + n, outlen - n, " wallclock=%llu.%09llu",
                 (unsigned long long)s->wallclock_sec, (unsigned long long)s->wallclock_nsec);
}

static void put_hv_line(FILE *f, const struct grubcfg_options *o, const struct scenario *clk)
{
    fputs("    multiboot2 " GRUBCFG_HV_PATH, f);
    const char *args = o->hv_args ? o->hv_args : GRUBCFG_HV_ARGS;
    /* Split on blanks; each word is quoted on its own if it needs it. */
    while (*args) {
        size_t skip = strspn(args, " \t"), len;
        args += skip;
        len = strcspn(args, " \t");
        if (!len)
            break;
        char word[1024];
        snprintf(word, sizeof(word), "%.*s", (int)len, args);
        fputc(' ', f);
        grubcfg_put_word(f, word);
        args += len;
    }
    char c[256];
    clock_args(clk, c, sizeof(c));
    fputs(c, f);
    fputc('\n', f);
}

static void put_domains(FILE *f, const struct scenario *s, unsigned si, const struct plan *pl)
{
    for (unsigned j = 0; j < s->nr_domains; j++) {
        const struct scn_domain *d = &s->domains[j];
        /* Expectations are checks on the results, not settings: tools/qemu-boot applies them. */
        fprintf(f, "    # %s: expect %s", d->name, d->expect);
        if (d->expect_shutdown[0])
            fprintf(f, ", shutdown %s", d->expect_shutdown);
        if (d->nr_expect_console || d->nr_expect_no_console)
            fprintf(f, ", %u console check%s", d->nr_expect_console + d->nr_expect_no_console,
                    d->nr_expect_console + d->nr_expect_no_console == 1 ? "" : "s");
        fputc('\n', f);
        const struct kfile *k = &pl->files[pl->kernel_of[si * SCN_MAX_DOMAINS + j]];
        fprintf(f, "    module2 /boot/%s ", k->base);
        char arg[1100];
        snprintf(arg, sizeof(arg), "name=%s", d->name);
        grubcfg_put_word(f, arg);
        fprintf(f, " memory=%lluM", (unsigned long long)d->memory_mib);
        if (scn_key_line(s, d, "vcpus"))
            fprintf(f, " vcpus=%u", d->vcpus);
        if (d->extra[0]) {
            snprintf(arg, sizeof(arg), "extra=%s", d->extra);
            fputc(' ', f);
            grubcfg_put_word(f, arg);
        }
        fputc('\n', f);
        const unsigned *extra = &pl->extra_of[(si * SCN_MAX_DOMAINS + j) * EXTRAS];
        for (unsigned m = 0; m < d->nr_modules; m++) {
            fprintf(f, "    module2 /boot/%s ", pl->files[extra[m]].base);
            snprintf(arg, sizeof(arg), "bootmod=%s", d->name);
            grubcfg_put_word(f, arg);
            snprintf(arg, sizeof(arg), "cmdline=%s", d->modules[m]);
            fputc(' ', f);
            grubcfg_put_word(f, arg);
            fputc('\n', f);
        }
        if (d->ramdisk[0]) {
            fprintf(f, "    module2 /boot/%s ", pl->files[extra[RAMDISK]].base);
            snprintf(arg, sizeof(arg), "ramdisk=%s", d->name);
            grubcfg_put_word(f, arg);
            fputc('\n', f);
        }
        for (unsigned n = 0; n < d->nr_disks; n++) {
            struct scn_disk dk;
            char why[400];
            if (scn_parse_disk(d->disks[n], &dk, why, sizeof(why)))
                continue; /* refused by check_supported before anything is written */
            fprintf(f, "    module2 /boot/%s ", pl->files[extra[DISK0 + n]].base);
            snprintf(arg, sizeof(arg), "disk=%s", d->name);
            grubcfg_put_word(f, arg);
            snprintf(arg, sizeof(arg), "vdev=%s", dk.vdev);
            fputc(' ', f);
            grubcfg_put_word(f, arg);
            fprintf(f, " access=%s\n", scn_disk_read_only(&dk) ? "ro" : "rw");
        }
    }
}

/* The global settings the simulator uses and the bare-metal kernel has no use for. */
static void put_sim_only(FILE *f, const struct scenario *s)
{
    static const char *const keys[] = {"seed", "limit", "slice", "machine_memory"};
    bool any = false;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!scn_key_line(s, NULL, keys[i]))
            continue;
        unsigned long long v = !strcmp(keys[i], "seed")    ? s->seed
                               : !strcmp(keys[i], "limit") ? s->limit
                               : !strcmp(keys[i], "slice") ? s->slice
                                                           : s->machine_memory_mib;
        fprintf(f, "%s %s = %llu%s", any ? "," : "# simulator-only, not used here:", keys[i], v,
                !strcmp(keys[i], "machine_memory") ? " MiB" : "");
        any = true;
    }
    if (any)
        fputc('\n', f);
}

static void put_title(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_title(FILE *f, const char *fmt, ...)
{
    char title[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(title, sizeof(title), fmt, ap);
    va_end(ap);
    for (char *p = title; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    }
    fputs("menuentry ", f);
    grubcfg_put_word(f, title);
    fputs(" {\n", f);
}

static void put_cfg(FILE *f, const struct scenario *scns, unsigned n,
                    const struct grubcfg_options *o, const struct plan *pl)
{
    fputs("# grub.cfg for hvsim's bare-metal build, written by `hvsim grub-cfg` from:\n", f);
    for (unsigned i = 0; i < n; i++) {
        fputs("#   ", f);
        put_comment_text(f, scns[i].path);
        fputc('\n', f);
    }
    fputs("# One module2 line per domain: its kernel, name=, memory= (MiB), and vcpus= and\n"
          "# extra= when the scenario sets them. GRUB drops the single quotes and expands\n"
          "# nothing inside them; it passes an argument holding a space to the kernel as\n"
          "# \"key=value\". GRUB stays on its default terminal: the serial line carries\n"
          "# only the hypervisor's output.\n"
          "set timeout=0\n"
          "set default=0\n",
          f);
    if (pl->skip_text) {
        fputs("\n# Left out: they need the simulator.\n", f);
        for (unsigned i = 0; i < n; i++) {
            if (!pl->skipped[i])
                continue;
            fputs("#   ", f);
            put_comment_text(f, scns[i].path);
            fputc('\n', f);
        }
    }
    /* One combined entry per clock shared by two or more scenarios, the first one the default. */
    for (unsigned g = 0; g < n; g++) {
        if (pl->skipped[g] || pl->group[g] != g)
            continue;
        unsigned members = 0;
        for (unsigned i = g; i < n; i++)
            members += !pl->skipped[i] && pl->group[i] == g;
        if (members < 2)
            continue;
        fputc('\n', f);
        if (pl->nr_groups == 1) {
            put_title(f, "hvsim: all of %u scenarios", members);
        } else {
            char c[256];
            clock_args(&scns[g], c, sizeof(c));
            put_title(f, "hvsim: %u scenarios with %s", members,
                      c[0] ? c + 1 : "the default clock");
        }
        put_hv_line(f, o, &scns[g]);
        for (unsigned i = g; i < n; i++) {
            if (pl->skipped[i] || pl->group[i] != g)
                continue;
            fputs("    # ", f);
            put_comment_text(f, scns[i].path);
            fputc('\n', f);
            put_domains(f, &scns[i], i, pl);
        }
        fputs("    boot\n}\n", f);
    }
    for (unsigned i = 0; i < n; i++) {
        if (pl->skipped[i])
            continue;
        fputs("\n# ", f);
        put_comment_text(f, scns[i].path);
        fputc('\n', f);
        put_sim_only(f, &scns[i]);
        if (scns[i].nr_texpects)
            fprintf(f, "# its %u [expect] trace count(s) are checked in the simulator only\n",
                    scns[i].nr_texpects);
        put_title(f, "hvsim: %s", scns[i].path);
        put_hv_line(f, o, &scns[i]);
        put_domains(f, &scns[i], i, pl);
        fputs("    boot\n}\n", f);
    }
}

int grubcfg_generate(const struct scenario *scns, unsigned n, const struct grubcfg_options *o,
                     struct grubcfg_output *out, char *err, size_t errlen)
{
    static const struct grubcfg_options defaults;
    if (!o)
        o = &defaults;
    memset(out, 0, sizeof(*out));
    if (!n)
        return fail(err, errlen, "no scenario");
    /* Room for every file named: kernels, modules, ramdisks (each copied once). */
    size_t nr_files = 0;
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < scns[i].nr_domains; j++)
            nr_files += 2 + scns[i].domains[j].nr_modules;
    struct plan pl = {
        .files = calloc(nr_files, sizeof(struct kfile)),
        .kernel_of = calloc((size_t)n * SCN_MAX_DOMAINS, sizeof(unsigned)),
        .extra_of = calloc((size_t)n * SCN_MAX_DOMAINS * EXTRAS, sizeof(unsigned)),
        .skipped = calloc(n, sizeof(bool)),
        .group = calloc(n, sizeof(unsigned)),
    };
    int rc = -1;
    if (!pl.files || !pl.kernel_of || !pl.extra_of || !pl.skipped || !pl.group) {
        fail(err, errlen, "out of memory");
        goto done;
    }
    if (make_plan(scns, n, o, &pl, err, errlen))
        goto done;

    size_t len;
    FILE *f = open_memstream(&out->cfg, &len);
    if (!f) {
        fail(err, errlen, "out of memory");
        goto done;
    }
    put_cfg(f, scns, n, o, &pl);
    fclose(f);
    f = open_memstream(&out->files, &len);
    if (!f) {
        fail(err, errlen, "out of memory");
        goto done;
    }
    for (unsigned i = 0; i < pl.nr_files; i++)
        fprintf(f, "%s\n", pl.files[i].path);
    fclose(f);
    rc = 0;
done:
    free(pl.files);
    free(pl.kernel_of);
    free(pl.extra_of);
    free(pl.skipped);
    free(pl.group);
    if (!rc) {
        out->skipped = pl.skip_text;
        pl.skip_text = NULL;
    }
    free(pl.skip_text);
    if (rc)
        grubcfg_free(out);
    return rc;
}

void grubcfg_free(struct grubcfg_output *out)
{
    free(out->cfg);
    free(out->files);
    free(out->skipped);
    out->cfg = out->files = out->skipped = NULL;
}
