/* Record files: write and parse the re-run recipe plus event stream of one scenario run. */
#include "record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

uint64_t record_fnv64(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int record_add_event(struct record *r, const char *line, size_t len)
{
    if (r->nr_events == r->cap_events) {
        size_t cap = r->cap_events ? 2 * r->cap_events : 1024;
        char **e = realloc(r->events, cap * sizeof(*e));
        if (!e)
            return -1;
        r->events = e;
        r->cap_events = cap;
    }
    char *s = malloc(len + 1);
    if (!s)
        return -1;
    memcpy(s, line, len);
    s[len] = 0;
    r->events[r->nr_events++] = s;
    return 0;
}

int record_write(FILE *f, const struct record *r)
{
    fprintf(f,
            "hvsim-record 1\ntool %s\nscenario %s\nseed %" PRIu64 "\nlimit %" PRIu64 "\nknobs %s\n",
            r->tool, r->scenario_path, r->seed, r->limit, r->knobs[0] ? r->knobs : "none");
    for (unsigned i = 0; i < r->nr_kernels; i++)
        fprintf(f, "%s %s %" PRIu64 " 0x%016" PRIx64 "\n",
                r->kernels[i].kind[0] ? r->kernels[i].kind : "kernel", r->kernels[i].name,
                r->kernels[i].size, r->kernels[i].fnv64);
    fprintf(f, "trace-hash 0x%016" PRIx64 "\nscenario-text %zu\n", r->trace_hash, r->scenario_len);
    fwrite(r->scenario_text, 1, r->scenario_len, f);
    fprintf(f, "\nevents %zu\n", r->nr_events); /* the newline ends the text, whatever it is */
    for (size_t i = 0; i < r->nr_events; i++)
        fprintf(f, "%s\n", r->events[i]);
    fprintf(f, "end\n");
    return ferror(f) ? -1 : 0;
}

/* A cursor over the file's bytes that counts lines for messages. */
struct cursor {
    const char *p, *end;
    unsigned line;
};

/* The next line (without its newline) into s and n; false at the end. */
static bool next_line(struct cursor *c, const char **s, size_t *n)
{
    if (c->p >= c->end)
        return false;
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    *s = c->p;
    *n = nl ? (size_t)(nl - c->p) : (size_t)(c->end - c->p);
    c->p = nl ? nl + 1 : c->end;
    c->line++;
    return true;
}

/* "key value": the value (NUL-terminated copy into out) when the key matches. */
static bool keyed(const char *s, size_t n, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    if (n < kl + 1 || memcmp(s, key, kl) || s[kl] != ' ' || n - kl - 1 >= outlen)
        return false;
    memcpy(out, s + kl + 1, n - kl - 1);
    out[n - kl - 1] = 0;
    return true;
}

static bool parse_num(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 0);
    if (errno || end == v || *end)
        return false;
    *out = x;
    return true;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        int n_ = snprintf(err, errlen, "%s:%u: ", path, c.line);                                   \
        if (n_ >= 0 && (size_t)n_ < errlen)                                                        \
            snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);                                  \
        free(buf);                                                                                 \
        record_free(r);                                                                            \
        return -1;                                                                                 \
    } while (0)

int record_read(const char *path, struct record *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    char *buf = NULL;
    struct cursor c = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        FAIL("cannot open: %s", strerror(errno));
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                fclose(f);
                FAIL("out of memory");
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (!got)
            break;
    }
    fclose(f);
    c = (struct cursor){buf, buf + len, 0};
    const char *s;
    size_t n;
    char v[1024];
    if (!next_line(&c, &s, &n) || n != 14 || memcmp(s, "hvsim-record 1", 14))
        FAIL("not an hvsim record (version 1): first line must be 'hvsim-record 1'");
    for (;;) {
        if (!next_line(&c, &s, &n))
            FAIL("ends before 'scenario-text'");
        uint64_t num;
        if (keyed(s, n, "tool", r->tool, sizeof(r->tool)) ||
            keyed(s, n, "scenario", r->scenario_path, sizeof(r->scenario_path)) ||
            keyed(s, n, "knobs", r->knobs, sizeof(r->knobs)))
            continue;
        if (keyed(s, n, "seed", v, sizeof(v))) {
            if (!parse_num(v, &r->seed))
                FAIL("bad seed '%s'", v);
        } else if (keyed(s, n, "limit", v, sizeof(v))) {
            if (!parse_num(v, &r->limit))
                FAIL("bad limit '%s'", v);
        } else if (keyed(s, n, "trace-hash", v, sizeof(v))) {
            if (!parse_num(v, &r->trace_hash))
                FAIL("bad trace-hash '%s'", v);
        } else if (keyed(s, n, "kernel", v, sizeof(v)) || keyed(s, n, "module", v, sizeof(v)) ||
                   keyed(s, n, "ramdisk", v, sizeof(v)) || keyed(s, n, "disk", v, sizeof(v))) {
            struct record_kernel *k = &r->kernels[r->nr_kernels];
            const char *kind = s[0] == 'k'   ? "kernel"
                               : s[0] == 'm' ? "module"
                               : s[0] == 'd' ? "disk"
                                             : "ramdisk";
            char hash[32];
            if (r->nr_kernels == RECORD_MAX_KERNELS)
                FAIL("more than %d kernels, modules, ramdisks and disks", RECORD_MAX_KERNELS);
            if (sscanf(v, "%255s %" SCNu64 " %31s", k->name, &k->size, hash) != 3 ||
                !parse_num(hash, &k->fnv64))
                FAIL("bad %s line (want: %s NAME SIZE FNV64)", kind, kind);
            snprintf(k->kind, sizeof(k->kind), "%s", kind);
            r->nr_kernels++;
        } else if (keyed(s, n, "scenario-text", v, sizeof(v))) {
            if (!parse_num(v, &num) || num > (uint64_t)(c.end - c.p))
                FAIL("bad scenario-text size '%s'", v);
            r->scenario_text = malloc(num + 1);
            if (!r->scenario_text)
                FAIL("out of memory");
            memcpy(r->scenario_text, c.p, num);
            r->scenario_text[num] = 0;
            r->scenario_len = num;
            for (const char *q = c.p; q < c.p + num; q++)
                c.line += *q == '\n';
            c.p += num;
            if (c.p == c.end || *c.p != '\n')
                FAIL("the scenario text must be followed by a newline");
            if (!num || c.p[-1] == '\n')
                c.line++; /* the separator is a line of its own */
            c.p++;
            break;
        } else {
            FAIL("unknown line '%.*s'", (int)(n > 60 ? 60 : n), s);
        }
    }
    uint64_t count;
    if (!next_line(&c, &s, &n) || !keyed(s, n, "events", v, sizeof(v)) || !parse_num(v, &count))
        FAIL("expected 'events COUNT' after the scenario text");
    for (uint64_t i = 0; i < count; i++) {
        if (!next_line(&c, &s, &n))
            FAIL("ends after %" PRIu64 " of %" PRIu64 " events", i, count);
        if (record_add_event(r, s, n))
            FAIL("out of memory");
    }
    if (!next_line(&c, &s, &n) || n != 3 || memcmp(s, "end", 3))
        FAIL("expected 'end' after %" PRIu64 " events", count);
    free(buf);
    return 0;
}

void record_free(struct record *r)
{
    for (size_t i = 0; i < r->nr_events; i++)
        free(r->events[i]);
    free(r->events);
    free(r->scenario_text);
    r->events = NULL;
    r->scenario_text = NULL;
    r->nr_events = r->cap_events = 0;
}
