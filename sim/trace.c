/* The machine's trace: one text line per record, an FNV-1a hash over all lines, console capture. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/console.h"
#include "hv/mm.h"
#include "hv/time.h"
#include "public/xen.h"
#include "sim_internal.h"

/*
 * Every line starts with the machine instruction count (the virtual TSC) in
 * brackets, e.g.
 *   [      12345] d1v0 hypercall console_io(0x0, 0x15, 0x107000) = 0
 *   [      12345] d1v0 trap #PF rip=0x104a2 err=0x0 cr2=0x0
 *   [      12345] console d1: Hello from hvsim
 * Nothing in a record may depend on the host (addresses, time). Guest text
 * is escaped (\xNN) so that a record is always exactly one line.
 *
 * The run's fingerprint (trace hash) is FNV-1a over a fixed binary encoding
 * of every record: its instruction stamp and all its fields, plus its text.
 * It carries the same information as the text lines but costs no
 * formatting, which matters on hot paths (an emulated RDTSC is a record);
 * text is only formatted when a trace file is being written.
 */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static void hash_bytes(struct sim_machine *m, const void *p, size_t len)
{
    const uint8_t *b = p;
    uint64_t h = m->trace_hash;

    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    m->trace_hash = h;
}

/* FNV-1a step per 64-bit word: the fixed-size part of a record, 8x fewer steps. */
static void hash_words(struct sim_machine *m, const uint64_t *w, size_t n)
{
    uint64_t h = m->trace_hash;

    for (size_t i = 0; i < n; i++) {
        h ^= w[i];
        h *= FNV_PRIME;
    }
    m->trace_hash = h;
}

/* Whether records must be formatted as text: a trace file or a sink wants them. */
static bool text_wanted(const struct sim_machine *m)
{
    return m->trace || m->cfg.trace_sink;
}

/* A sink asked to stop: leave the engine after this exit; sim_run returns SIM_STOPPED. */
static void request_stop(struct sim_machine *m)
{
    m->stop_requested = true;
    m->stopped = m->current;
    if (m->current)
        m->current->desched = true;
}

/* One formatted line to the trace file and the sink; the sink may stop the run. */
static void put_line(struct sim_machine *m, const char *line, size_t len)
{
    if (m->trace) {
        fwrite(line, 1, len, m->trace);
        fputc('\n', m->trace);
    }
    if (m->cfg.trace_sink && !m->stop_requested && m->cfg.trace_sink(m->cfg.trace_user, line, len))
        request_stop(m);
}

/* A text-only record (hypervisor log lines): hashed as its stamp and text. */
static void emit(struct sim_machine *m, const char *line, size_t len)
{
    uint64_t head[2] = {m->insns, 0}; /* kind 0: a text-only record */

    hash_words(m, head, 2);
    hash_bytes(m, line, len);
    if (text_wanted(m))
        put_line(m, line, len);
}

struct buf {
    char s[1024];
    size_t n;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int r;

    if (b->n >= sizeof(b->s) - 1)
        return;
    va_start(ap, fmt);
    r = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
    va_end(ap);
    if (r > 0)
        b->n += (size_t)r < sizeof(b->s) - b->n ? (size_t)r : sizeof(b->s) - 1 - b->n;
}

/* Guest-controlled bytes: printable ASCII as is, the rest as \xNN. */
static void bescape(struct buf *b, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c < 0x7f && c != '\\')
            bprintf(b, "%c", c);
        else
            bprintf(b, "\\x%02x", c);
    }
}

static void stamp(struct sim_machine *m, struct buf *b)
{
    b->n = 0;
    bprintf(b, "[%11llu] ", (unsigned long long)m->insns);
}

void trace_line(struct sim_machine *m, const char *fmt, ...)
{
    struct buf b;
    char body[512];
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    if (r < 0)
        return;
    stamp(m, &b);
    bescape(&b, body, strnlen(body, sizeof(body)));
    emit(m, b.s, b.n);
}

/* Arguments each hypercall takes (for the trace only; unknown ones print all five). */
static const char *emulate_name(unsigned int nr)
{
    switch (nr) {
    case TR_EMUL_RDTSC:
        return "rdtsc";
    case TR_EMUL_CPUID:
        return "cpuid";
    case TR_EMUL_CR3_READ:
        return "cr3_read";
    case TR_EMUL_RDTSCP:
        return "rdtscp";
    default:
        return "unknown";
    }
}

static void format_record(struct buf *b, const struct trace_rec *r)
{
    const char *name;
    unsigned int i, n;

    switch (r->kind) {
    case TR_HYPERCALL:
        name = hypercall_name(r->nr);
        bprintf(b, "d%uv%u hypercall ", r->dom, r->vcpu);
        if (name)
            bprintf(b, "%s(", name);
        else
            bprintf(b, "hypercall_%u(", r->nr);
        n = r->nargs;
        for (i = 0; i < n; i++)
            bprintf(b, "%s%#llx", i ? ", " : "", (unsigned long long)r->args[i]);
        bprintf(b, ") = %lld", (long long)r->result);
        break;
    case TR_TRAP:
        name = trap_vector_name(r->nr);
        bprintf(b, "d%uv%u trap ", r->dom, r->vcpu);
        if (name)
            bprintf(b, "%s", name);
        else
            bprintf(b, "vector %#x", r->nr);
        bprintf(b, " rip=%#llx err=%#llx", (unsigned long long)r->args[0],
                (unsigned long long)r->args[1]);
        if (r->nr == X86_EXC_PF)
            bprintf(b, " cr2=%#llx", (unsigned long long)r->args[2]);
        break;
    case TR_EMULATE:
        bprintf(b, "d%uv%u emulate %s rip=%#llx values=%#llx,%#llx", r->dom, r->vcpu,
                emulate_name(r->nr), (unsigned long long)r->args[0], (unsigned long long)r->args[1],
                (unsigned long long)r->args[2]);
        break;
    case TR_SHUTDOWN:
        bprintf(b, "d%uv%u shutdown %s code=%lld", r->dom, r->vcpu, shutdown_reason_name(r->nr),
                (long long)(int64_t)r->args[0]);
        break;
    case TR_CRASH:
        bprintf(b, "crash d%u: ", r->dom);
        bescape(b, r->text ? r->text : "", r->text ? r->textlen : 0);
        break;
    case TR_CONSOLE:
        bprintf(b, "console d%u%s: ", r->dom, r->nr == TR_CON_RING ? " ring" : "");
        bescape(b, r->text ? r->text : "", r->text ? r->textlen : 0);
        break;
    case TR_EVENT:
        bprintf(b, "d%uv%u event port=%u upcall=%llu", r->dom, r->vcpu, r->nr,
                (unsigned long long)r->args[0]);
        break;
    case TR_UPCALL:
        bprintf(b, "d%uv%u upcall rip=%#llx callback=%#llx", r->dom, r->vcpu,
                (unsigned long long)r->args[0], (unsigned long long)r->args[1]);
        break;
    default:
        bprintf(b, "d%uv%u record kind=%u nr=%u", r->dom, r->vcpu, r->kind, r->nr);
        break;
    }
}

void trace_record(struct sim_machine *m, const struct trace_rec *r)
{
    uint64_t enc[9] = {m->insns,
                       r->kind | (uint64_t)r->nargs << 8 | (uint64_t)r->dom << 16 |
                           (uint64_t)r->vcpu << 32,
                       r->nr,
                       r->args[0],
                       r->args[1],
                       r->args[2],
                       r->args[3],
                       r->args[4],
                       (uint64_t)r->result};

    hash_words(m, enc, 9);
    if (r->text)
        hash_bytes(m, r->text, r->textlen);
    if (m->cfg.event_sink && m->cfg.event_sink(m->cfg.event_user, r, time_now_ns()) &&
        !m->stop_requested)
        request_stop(m);
    if (text_wanted(m)) {
        struct buf b;

        stamp(m, &b);
        format_record(&b, r);
        put_line(m, b.s, b.n);
    }
}

/* --- Console capture ---------------------------------------------------------- */

static void text_append(struct sim_text *t, const char *s, size_t n)
{
    if (t->len + n > SIM_CONSOLE_MAX) {
        t->truncated = true;
        n = SIM_CONSOLE_MAX - t->len;
    }
    if (t->len + n + 1 > t->cap) {
        size_t c = t->cap ? t->cap : 4096;
        char *p;

        while (c < t->len + n + 1)
            c *= 2;
        p = realloc(t->s, c);
        if (!p)
            sim_fatal("out of memory (console)");
        t->s = p;
        t->cap = c;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = 0;
}

static void line_out(struct sim_domain *sd, unsigned int source)
{
    struct trace_rec r = {.kind = TR_CONSOLE, .dom = sd->d->domid, .nr = source};

    r.text = sd->line[source].buf;
    r.textlen = sd->line[source].len;
    trace_record(sd->m, &r);
    sd->line[source].len = 0;
}

void console_append(struct sim_domain *sd, unsigned int source, const char *s, size_t len)
{
    size_t i;

    if (source > TR_CON_RING)
        source = TR_CON_RING;
    text_append(&sd->text[0], s, len);
    text_append(&sd->text[1 + source], s, len);
    for (i = 0; i < len; i++) {
        char c = s[i];
        bool cr = sd->line[source].last_cr;

        sd->line[source].last_cr = c == '\r';
        if (c == '\r' || (c == '\n' && !cr)) {
            line_out(sd, source); /* "\r\n" ends one line, not two */
        } else if (c != '\n') {
            sd->line[source].buf[sd->line[source].len++] = c;
            if (sd->line[source].len == SIM_LINE_MAX)
                line_out(sd, source);
        }
    }
}

void console_flush(struct sim_domain *sd)
{
    unsigned int s;

    for (s = 0; s <= TR_CON_RING; s++)
        if (sd->line[s].len)
            line_out(sd, s);
}

/*
 * Act as xenconsoled for the PV console ring (the core's ring side) and
 * move what the guest produced to its console. The guest may write
 * anything into the ring page: bogus indices are a guest error, traced,
 * and nothing is consumed.
 */
void console_drain_ring(struct sim_domain *sd)
{
    char chunk[CONSOLE_RING_OUT_BYTES];
    const char *why = "";
    int n = console_ring_consume(sd->d, chunk, &why);

    if (n < 0)
        trace_line(sd->m, "sim: d%u %s", sd->d->domid, why);
    else
        console_append(sd, TR_CON_RING, chunk, (size_t)n);
}
