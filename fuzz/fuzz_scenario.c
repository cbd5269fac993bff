/* libFuzzer target: the scenario parser (tools/lib/scenario.c) on arbitrary text. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

/*
 * The whole input is one scenario file. Oracles, beyond sanitizers and
 * LeakSanitizer:
 *   - a failure gives exactly "fuzz.scn:LINE:COL: message", LINE and COL
 *     within the input, a non-empty message, and leaves *out all zero;
 *   - the same message, cut and terminated, with a tiny error buffer (a
 *     second parse, so also: the same input gives the same message);
 *   - a success holds only what the format allows (scenario.h, README);
 *   - a second successful parse agrees with the first.
 */

#define PATH "fuzz.scn"

static struct scenario scn, scn2;
static char err[1024], err2[1024];

__attribute__((noreturn, format(printf, 3, 4))) static void die(const uint8_t *data, size_t size,
                                                                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz oracle: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fprintf(stderr, "input (%zu bytes): %.*s\n", size, (int)(size < 400 ? size : 400),
            (const char *)data);
    abort();
}

static bool terminated(const char *s, size_t size)
{
    return memchr(s, 0, size) != NULL;
}

static bool in_words(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (!strcmp(s, *words))
            return true;
    return false;
}

/* Nothing left in *out: every byte zero (a memcmp, the struct is tens of kilobytes). */
static bool all_zero(const struct scenario *s)
{
    static const struct scenario zero;
    return !memcmp(s, &zero, sizeof(zero));
}

/* Line count, and the length of each line's content is checked on demand below. */
static unsigned nr_lines(const uint8_t *data, size_t size)
{
    unsigned n = 1;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n;
}

static size_t line_len(const uint8_t *data, size_t size, unsigned line)
{
    size_t i = 0;
    for (unsigned l = 1; l < line && i < size; i++)
        if (data[i] == '\n')
            l++;
    size_t start = i;
    while (i < size && data[i] != '\n')
        i++;
    return i - start;
}

static void check_error(const uint8_t *data, size_t size)
{
    unsigned line = 0, col = 0;
    int used = 0;
    if (strncmp(err, PATH ":", strlen(PATH ":")) ||
        sscanf(err + strlen(PATH ":"), "%u:%u: %n", &line, &col, &used) != 2 || used == 0)
        die(data, size, "error not in FILE:LINE:COL: form: \"%s\"", err);
    const char *msg = err + strlen(PATH ":") + used;
    if (!*msg || msg[-1] != ' ' || msg[-2] != ':')
        die(data, size, "error without a message: \"%s\"", err);
    if (line < 1 || line > nr_lines(data, size))
        die(data, size, "error line %u outside the input's %u lines: \"%s\"", line,
            nr_lines(data, size), err);
    /* One past the last byte is where "expected ... at end of line" points. */
    if (col < 1 || col > line_len(data, size, line) + 1)
        die(data, size, "error column %u outside line %u (%zu bytes): \"%s\"", col, line,
            line_len(data, size, line), err);
}

static void check_domain(const uint8_t *data, size_t size, const struct scn_domain *d,
                         unsigned lines)
{
    static const char *const on_crash[] = {
        "destroy",          "restart",        "preserve", "coredump-destroy",
        "coredump-restart", "rename-restart", NULL};
    static const char *const expect[] = {"SUCCESS", "SKIP", "ERROR", "FAILURE", "CRASH", NULL};
    static const char *const shutdown[] = {"",      "poweroff", "reboot",     "suspend",
                                           "crash", "watchdog", "soft_reset", NULL};
    const char *fields[] = {d->name,     d->kernel, d->extra,          d->ramdisk,
                            d->on_crash, d->expect, d->expect_shutdown};
    const size_t sizes[] = {sizeof(d->name),           sizeof(d->kernel),   sizeof(d->extra),
                            sizeof(d->ramdisk),        sizeof(d->on_crash), sizeof(d->expect),
                            sizeof(d->expect_shutdown)};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (!terminated(fields[i], sizes[i]))
            die(data, size, "domain string field %zu not terminated", i);
    size_t nl = strlen(d->name);
    if (nl < 1 || nl > 31 ||
        strspn(d->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_.-") != nl)
        die(data, size, "accepted domain name \"%s\"", d->name);
    if (!d->kernel[0])
        die(data, size, "accepted a domain without a kernel");
    if (d->memory_mib < 4 || d->memory_mib > 4096 || d->vcpus < 1 || d->vcpus > 8)
        die(data, size, "accepted memory %llu MiB, %u vCPUs", (unsigned long long)d->memory_mib,
            d->vcpus);
    if (!in_words(d->on_crash, on_crash) || !in_words(d->expect, expect) ||
        !in_words(d->expect_shutdown, shutdown))
        die(data, size, "accepted on_crash \"%s\" expect \"%s\" expect_shutdown \"%s\"",
            d->on_crash, d->expect, d->expect_shutdown);
    if (d->nr_expect_console > SCN_MAX_EXPECT || d->nr_expect_no_console > SCN_MAX_EXPECT)
        die(data, size, "more than %d expectations", SCN_MAX_EXPECT);
    for (unsigned i = 0; i < d->nr_expect_console; i++)
        if (!d->expect_console[i] || !d->expect_console[i][0])
            die(data, size, "expect_console %u empty", i);
    for (unsigned i = 0; i < d->nr_expect_no_console; i++)
        if (!d->expect_no_console[i] || !d->expect_no_console[i][0])
            die(data, size, "expect_no_console %u empty", i);
    if (d->line < 1 || d->line > lines)
        die(data, size, "domain header line %u outside the input", d->line);
    static const char *const keys[] = {"name",
                                       "kernel",
                                       "memory",
                                       "vcpus",
                                       "extra",
                                       "ramdisk",
                                       "on_crash",
                                       "expect",
                                       "expect_shutdown",
                                       "expect_console",
                                       "expect_no_console"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        unsigned l = scn_key_line(NULL, d, keys[i]);
        if (l && (l < d->line || l > lines))
            die(data, size, "key %s of the domain at line %u set at line %u", keys[i], d->line, l);
    }
    if (!scn_key_line(NULL, d, "name") || !scn_key_line(NULL, d, "kernel") ||
        !scn_key_line(NULL, d, "memory"))
        die(data, size, "accepted a domain without one of its required keys");
}

static void check_success(const uint8_t *data, size_t size)
{
    unsigned lines = nr_lines(data, size);
    if (scn.nr_domains < 1 || scn.nr_domains > SCN_MAX_DOMAINS)
        die(data, size, "accepted %u domains", scn.nr_domains);
    if (strcmp(scn.path, PATH) || strcmp(scn.dir, "."))
        die(data, size, "path \"%s\" dir \"%s\"", scn.path, scn.dir);
    if (scn.limit < 1 || scn.machine_memory_mib < 1 || scn.machine_memory_mib > (1u << 20))
        die(data, size, "accepted limit %llu, machine_memory %llu MiB",
            (unsigned long long)scn.limit, (unsigned long long)scn.machine_memory_mib);
    for (unsigned i = 0; i < scn.nr_domains; i++) {
        check_domain(data, size, &scn.domains[i], lines);
        for (unsigned j = 0; j < i; j++)
            if (!strcmp(scn.domains[i].name, scn.domains[j].name))
                die(data, size, "accepted two domains named \"%s\"", scn.domains[i].name);
        if (i && scn.domains[i].line <= scn.domains[i - 1].line)
            die(data, size, "domain headers out of order");
    }
    static const char *const gkeys[] = {"seed", "limit", "slice", "machine_memory"};
    for (size_t i = 0; i < 4; i++) {
        unsigned l = scn_key_line(&scn, NULL, gkeys[i]);
        if (l > lines || (l && l >= scn.domains[0].line))
            die(data, size, "global key %s at line %u (first domain at %u)", gkeys[i], l,
                scn.domains[0].line);
    }
}

static void check_same(const uint8_t *data, size_t size, int rc)
{
    int rc2 = scn_parse_buffer(PATH, (const char *)data, size, &scn2, err2, sizeof(err2));
    if (rc2 != rc || (rc && strcmp(err, err2)))
        die(data, size, "two parses disagree: %d \"%s\" / %d \"%s\"", rc, rc ? err : "", rc2,
            rc2 ? err2 : "");
    if (!rc && (scn2.nr_domains != scn.nr_domains || scn2.seed != scn.seed ||
                scn2.limit != scn.limit || scn2.slice != scn.slice))
        die(data, size, "two successful parses disagree");
    scn_free(&scn2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact heap copy: ASan catches any read past the end (the parser takes no NUL). */
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    err[0] = 0;
    int rc = scn_parse_buffer(PATH, buf, size, &scn, err, sizeof(err));
    if (rc != 0 && rc != -1)
        die(data, size, "scn_parse_buffer returned %d", rc);
    if (rc) {
        if (!terminated(err, sizeof(err)))
            die(data, size, "error text not terminated");
        check_error(data, size);
        if (!all_zero(&scn))
            die(data, size, "failed parse left state in *out");
        /* A tiny buffer: the same message, cut and terminated (ASan checks the bounds). */
        size_t small = 1 + size % 24;
        char *e = malloc(small);
        struct scenario *tmp = &scn2;
        if (scn_parse_buffer(PATH, buf, size, tmp, e, small) != -1)
            die(data, size, "second parse with a small buffer succeeded");
        if (!terminated(e, small) || strncmp(e, err, small - 1))
            die(data, size, "error cut to %zu bytes is \"%.*s\", not a prefix of \"%s\"", small,
                (int)small, e, err);
        free(e);
        scn_free(tmp);
    } else {
        check_success(data, size);
        check_same(data, size, rc); /* (a failure was parsed twice above already) */
    }
    scn_free(&scn);
    free(buf);
    return 0;
}
