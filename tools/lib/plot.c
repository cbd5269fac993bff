/* hvsim run --plot: guest-observed time against virtual time, written as SVG by hand. */
#define _GNU_SOURCE /* memmem */
#include "plot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "public/xen.h"

/* --- Collecting ----------------------------------------------------------------------------- */

void plot_init(struct plot *p, const char *title, const struct plot_probe *probe)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->title, sizeof(p->title), "%s", title);
    p->probe = *probe;
}

static struct plot_domain *domain_of(struct plot *p, uint16_t domid)
{
    for (unsigned i = 0; i < p->nr_doms; i++) {
        if (p->doms[i].domid == domid)
            return &p->doms[i];
    }
    if (p->nr_doms == PLOT_MAX_DOMAINS) {
        snprintf(p->error, sizeof(p->error), "more than %d domains to draw", PLOT_MAX_DOMAINS);
        return NULL;
    }
    struct plot_domain *d = &p->doms[p->nr_doms++];
    d->domid = domid;
    d->console_source = -1;
    return d;
}

void plot_name_domain(struct plot *p, uint16_t domid, const char *name)
{
    struct plot_domain *d = domain_of(p, domid);
    if (d)
        snprintf(d->name, sizeof(d->name), "%s", name);
}

/* Room for one more element of size bytes in v (n used of *cap): the array, or NULL (and the
 * plot's error set) when out of memory. */
static void *grow(struct plot *p, void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? *cap * 2 : 256;
    void *q = realloc(v, c * size);
    if (!q) {
        snprintf(p->error, sizeof(p->error), "out of memory");
        return NULL;
    }
    *cap = c;
    return q;
}

static void add_point(struct plot *p, struct plot_series *s, uint64_t x, uint64_t y)
{
    struct plot_xy *v = grow(p, s->v, &s->cap, s->n, sizeof(*v));
    if (v) {
        s->v = v;
        v[s->n++] = (struct plot_xy){x, y};
    }
}

static void add_time(struct plot *p, struct plot_times *t, uint64_t x)
{
    uint64_t *v = grow(p, t->v, &t->cap, t->n, sizeof(*v));
    if (v) {
        t->v = v;
        v[t->n++] = x;
    }
}

static void keep_text(char *dst, size_t *dlen, const char *src, size_t len)
{
    if (len > PLOT_TEXT_MAX)
        len = PLOT_TEXT_MAX;
    memcpy(dst, src, len);
    *dlen = len;
}

static void deadline(struct plot *p, struct plot_domain *d, const struct trace_rec *r, uint64_t now)
{
    uint64_t ns;
    if (r->nr == __HYPERVISOR_set_timer_op && r->nargs >= 1)
        ns = r->args[0];
    else if (r->nr == __HYPERVISOR_vcpu_op && r->nargs >= 3 &&
             r->args[0] == VCPUOP_set_singleshot_timer && r->result == 0) {
        if (!p->probe.singleshot_deadline || !p->probe.singleshot_deadline(p->probe.user, r, &ns))
            return;
    } else
        return;
    if (ns) /* 0 cancels the timer: no deadline */
        add_point(p, &d->series[PLOT_DEADLINE], now, ns);
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Does text contain "warning:" in any case? */
static bool has_warning(const char *text, size_t len)
{
    static const char key[] = "warning:";
    for (size_t i = 0; i + sizeof(key) - 1 <= len; i++) {
        size_t k = 0;
        while (k < sizeof(key) - 1 && lower((unsigned char)text[i + k]) == key[k])
            k++;
        if (k == sizeof(key) - 1)
            return true;
    }
    return false;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly 16 hex digits at s (n bytes available), not followed by another. */
static bool hex16(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n < 16 || (n > 16 && hex_value(s[16]) >= 0))
        return false;
    for (int i = 0; i < 16; i++) {
        int h = hex_value(s[i]);
        if (h < 0)
            return false;
        v = v << 4 | (uint64_t)h;
    }
    *out = v;
    return true;
}

/* GNU Mach's "warning: nsec 0x%08lx%08lx < lastnsec 0x%08lx%08lx": both values. */
static bool mach_warning(const char *text, size_t len, uint64_t *nsec, uint64_t *lastnsec)
{
    static const char a[] = "warning: nsec 0x", b[] = " < lastnsec 0x";
    const char *end = text + len, *q = memmem(text, len, a, sizeof(a) - 1);
    if (!q)
        return false;
    q += sizeof(a) - 1;
    if (!hex16(q, (size_t)(end - q), nsec))
        return false;
    q += 16;
    if ((size_t)(end - q) < sizeof(b) - 1 || memcmp(q, b, sizeof(b) - 1))
        return false;
    q += sizeof(b) - 1;
    return hex16(q, (size_t)(end - q), lastnsec);
}

static void console_line(struct plot *p, struct plot_domain *d, const struct trace_rec *r,
                         uint64_t now)
{
    /* A guest that writes to both console_io and its PV ring shows each line twice: the
     * source that delivered the domain's first line is the one read. */
    if (d->console_source < 0)
        d->console_source = (int)r->nr;
    if ((int)r->nr != d->console_source || !r->text || !has_warning(r->text, r->textlen))
        return;
    if (!d->warnings.n) {
        d->first_warning_ns = now;
        keep_text(d->first_warning, &d->first_warning_len, r->text, r->textlen);
    }
    add_time(p, &d->warnings, now);
    uint64_t nsec, lastnsec;
    if (mach_warning(r->text, r->textlen, &nsec, &lastnsec)) {
        add_point(p, &d->series[PLOT_NSEC], now, nsec);
        add_point(p, &d->series[PLOT_LASTNSEC], now, lastnsec);
    }
}

int plot_event_sink(void *user, const struct trace_rec *r, uint64_t now_ns)
{
    struct plot *p = user;
    if (p->error[0])
        return 0;
    if (now_ns > p->end_ns)
        p->end_ns = now_ns;
    struct plot_domain *d = domain_of(p, r->dom);
    if (!d)
        return 0;
    switch (r->kind) {
    case TR_HYPERCALL:
        deadline(p, d, r, now_ns);
        break;
    case TR_EVENT:
        if (p->probe.timer_port && p->probe.timer_port(p->probe.user, r->dom, r->vcpu, r->nr))
            add_time(p, &d->timer_events, now_ns);
        break;
    case TR_CONSOLE:
        console_line(p, d, r, now_ns);
        break;
    case TR_SHUTDOWN:
        if (!d->shut_down) {
            d->shut_down = true;
            d->shutdown_reason = r->nr;
            d->shutdown_ns = now_ns;
        }
        break;
    case TR_CRASH:
        if (!d->crashed) {
            d->crashed = true;
            d->crash_ns = now_ns;
            keep_text(d->crash, &d->crash_len, r->text ? r->text : "", r->text ? r->textlen : 0);
        }
        break;
    default:
        break;
    }
    return 0;
}

void plot_finish(struct plot *p, uint64_t now_ns)
{
    if (now_ns > p->end_ns)
        p->end_ns = now_ns;
}

void plot_free(struct plot *p)
{
    for (unsigned i = 0; i < p->nr_doms; i++) {
        struct plot_domain *d = &p->doms[i];
        for (int s = 0; s < PLOT_NR_SERIES; s++)
            free(d->series[s].v);
        free(d->timer_events.v);
        free(d->warnings.v);
    }
    memset(p, 0, sizeof(*p));
}

/* --- Drawing --------------------------------------------------------------------------------- */

/*
 * Layout in pixels. Every coordinate is computed in integer tenths of a pixel from integer
 * nanoseconds, so the bytes never depend on floating point. A panel, from its top: its
 * title, the warning strip, the plot area, the timer-event strip, tick labels, axis label,
 * captions.
 */
enum {
    WIDTH = 1000,
    HEADER = 58, /* the title lines */
    LEFT = 80,   /* plot area x */
    PW = 600,    /* plot area width */
    PH = 300,    /* plot area height */
    WTOP = 28,   /* warning strip top, from the panel's top */
    WH = 12,     /* warning strip height */
    PTOP = 46,   /* plot area top, from the panel's top */
    RUG = 26,    /* timer-event strip height, 4 px under the plot area */
    PANEL = 470, /* panel height */
    LEGEND = 712,
    RUG_BIN = 2,     /* px per timer-event bin */
    MAX_DOTS = 3000, /* dots per series and panel before min-max bars */
};

/* The detail panel after a domain's first warning: 50 ms either side of it. */
#define DETAIL_NS 50000000ull

/* Guest values at or above the end of the run plus 2^50 ns (13 days), or negative as int64,
 * are off the scale: Xen treats such timeouts as "huge" (Linux jiffies wrapping). */
#define HUGE_NS (1ULL << 50)

static const char *const series_color[PLOT_NR_SERIES] = {"#1f77b4", "#ff7f0e", "#d62728"};
static const char *const series_label[PLOT_NR_SERIES] = {
    "timer deadline requested", "lastnsec in GNU Mach warning", "nsec in GNU Mach warning"};
#define WARN_COLOR "#d62728"
#define RUG_COLOR "#2ca02c"
#define DIAG_COLOR "#7f7f7f"

struct axes {
    uint64_t x0, xtop, xstep; /* x from x0 to xtop, ticks every xstep */
    uint64_t ytop, ystep;     /* y from 0 */
    uint64_t end;             /* the end of the run */
    int top;                  /* the panel's top (px) */
};

static bool in_scale(uint64_t y, uint64_t end)
{
    return (int64_t)y >= 0 && y < end + HUGE_NS;
}

static bool in_window(const struct axes *a, uint64_t x)
{
    return x >= a->x0 && x <= a->xtop;
}

/* The smallest 1, 2 or 5 times a power of ten that cuts span into at most 12 steps. */
static uint64_t nice_step(uint64_t span)
{
    static const uint64_t m[] = {1, 2, 5};
    for (uint64_t pw = 1;; pw *= 10) {
        for (int i = 0; i < 3; i++) {
            if (m[i] * pw * 12 >= span)
                return m[i] * pw;
        }
    }
}

/* An axis from lo to hi and 2.5% more (at least 1 ns long), ticks every *step. */
static void axis(uint64_t lo, uint64_t hi, uint64_t *from, uint64_t *to, uint64_t *step)
{
    *from = lo;
    *to = hi > lo ? hi + (hi - lo) / 40 : lo + 1;
    *step = nice_step(*to - lo);
}

/* The first tick at or after from. */
static uint64_t first_tick(uint64_t from, uint64_t step)
{
    return (from + step - 1) / step * step;
}

static int64_t scale10(uint64_t v, uint64_t span, int px)
{
    return (int64_t)(((unsigned __int128)v * (unsigned)px * 10 + span / 2) / span);
}

static int plot_top(const struct axes *a)
{
    return a->top + PTOP;
}

static int plot_bottom(const struct axes *a)
{
    return a->top + PTOP + PH;
}

/* x in tenths of a pixel (x in the window). */
static int64_t px_x(const struct axes *a, uint64_t x)
{
    return LEFT * 10 + scale10(x - a->x0, a->xtop - a->x0, PW);
}

/* y in tenths of a pixel (y in scale; clamped to the top). */
static int64_t px_y(const struct axes *a, uint64_t y)
{
    return plot_bottom(a) * 10 - scale10(y > a->ytop ? a->ytop : y, a->ytop, PH);
}

/* The pixel column (0 .. PW-1) of an x in the window. */
static int column(const struct axes *a, uint64_t x)
{
    int64_t c = (px_x(a, x) - LEFT * 10) / 10;
    return c >= PW ? PW - 1 : (int)c;
}

/* A coordinate in tenths of a pixel: "123" or "123.4". */
static const char *num(char *buf, int64_t v10)
{
    if (v10 % 10)
        snprintf(buf, 24, "%lld.%lld", (long long)(v10 / 10), (long long)(v10 % 10));
    else
        snprintf(buf, 24, "%lld", (long long)(v10 / 10));
    return buf;
}

/* The unit of an axis that ends at top: the largest of s, ms, us and ns that top reaches. */
struct unit {
    uint64_t ns;
    int digits; /* log10(ns) */
    const char *name;
};

static struct unit unit_of(uint64_t top)
{
    static const struct unit units[] = {
        {1000000000ull, 9, "s"}, {1000000ull, 6, "ms"}, {1000ull, 3, "\xc2\xb5s"}, {1, 0, "ns"}};
    for (int i = 0; i < 3; i++) {
        if (top >= units[i].ns)
            return units[i];
    }
    return units[3];
}

/* ns in unit u with as many decimals as step (1, 2 or 5 times a power of ten ns) needs. */
static void tick_label(char *buf, size_t len, uint64_t ns, uint64_t step, struct unit u)
{
    int zeros = 0;
    while (step >= 10 && step % 10 == 0) {
        step /= 10;
        zeros++;
    }
    int decimals = zeros >= u.digits ? 0 : u.digits - zeros;
    char frac[32]; /* u.digits is at most 9: the ns part of a second */
    snprintf(frac, sizeof(frac), "%0*llu", u.digits & 15, (unsigned long long)(ns % u.ns));
    if (decimals)
        snprintf(buf, len, "%llu.%.*s", (unsigned long long)(ns / u.ns), decimals, frac);
    else
        snprintf(buf, len, "%llu", (unsigned long long)(ns / u.ns));
}

/* "4.351234 s" (microseconds). */
static void when(char *buf, size_t len, uint64_t ns)
{
    snprintf(buf, len, "%llu.%06llu s", (unsigned long long)(ns / 1000000000ull),
             (unsigned long long)(ns % 1000000000ull / 1000));
}

/*
 * Text content or attribute value: XML-escaped, control bytes as '?', bytes that are not
 * well-formed UTF-8 (or not XML characters) as U+FFFD; at most max characters, then "...".
 */
static void put_text(FILE *f, const char *s, size_t len, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t chars = 0;
    for (size_t i = 0; i < len; chars++) {
        if (chars == max) {
            fputs("...", f);
            return;
        }
        unsigned c = u[i];
        if (c < 0x80) {
            i++;
            switch (c) {
            case '&':
                fputs("&amp;", f);
                break;
            case '<':
                fputs("&lt;", f);
                break;
            case '>':
                fputs("&gt;", f);
                break;
            case '"':
                fputs("&quot;", f);
                break;
            case '\'':
                fputs("&apos;", f);
                break;
            case '\t':
                fputc(' ', f);
                break;
            default:
                fputc(c < 0x20 || c == 0x7f ? '?' : (int)c, f);
                break;
            }
            continue;
        }
        /* Length and the allowed range of the second byte (no overlongs, no surrogates,
         * nothing above U+10FFFF). */
        size_t n = 0;
        unsigned lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf)
            n = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            lo = c == 0xe0 ? 0xa0 : 0x80;
            hi = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            lo = c == 0xf0 ? 0x90 : 0x80;
            hi = c == 0xf4 ? 0x8f : 0xbf;
        }
        bool ok = n && i + n <= len && u[i + 1] >= lo && u[i + 1] <= hi;
        for (size_t k = 2; ok && k < n; k++)
            ok = u[i + k] >= 0x80 && u[i + k] <= 0xbf;
        /* U+FFFE and U+FFFF are not XML characters. */
        if (ok && n == 3 && c == 0xef && u[i + 1] == 0xbf && u[i + 2] >= 0xbe)
            ok = false;
        if (ok) {
            fwrite(u + i, 1, n, f);
            i += n;
        } else {
            fputs("\xef\xbf\xbd", f);
            i++;
        }
    }
}

static void put_str(FILE *f, const char *s)
{
    put_text(f, s, strlen(s), (size_t)-1);
}

/* Frames, grid, ticks, labels and the diagonal y = x of one panel. */
static void draw_axes(FILE *f, const struct axes *a)
{
    char b1[24], b2[24], b3[24], b4[24], label[48];
    int top = plot_top(a), bottom = plot_bottom(a);
    struct unit ux = unit_of(a->xtop), uy = unit_of(a->ytop);
    fputs("<g stroke=\"#e6e6e6\">\n", f);
    for (uint64_t t = first_tick(a->x0, a->xstep); t <= a->xtop; t += a->xstep)
        fprintf(f, "<path d=\"M%s %dV%d\"/>\n", num(b1, px_x(a, t)), top, bottom);
    for (uint64_t t = 0; t <= a->ytop; t += a->ystep)
        fprintf(f, "<path d=\"M%d %sH%d\"/>\n", LEFT, num(b1, px_y(a, t)), LEFT + PW);
    fputs("</g>\n", f);
    fprintf(f,
            "<g fill=\"none\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" stroke=\"#000\"/>"
            "\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" stroke=\"#bbb\"/>\n"
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" stroke=\"#bbb\"/></g>\n",
            LEFT, top, PW, PH, LEFT, a->top + WTOP, PW, WH, LEFT, bottom + 4, PW, RUG);
    fprintf(f,
            "<g font-size=\"10\" fill=\"#555\" text-anchor=\"end\"><text x=\"%d\" y=\"%d\">"
            "warnings</text><text x=\"%d\" y=\"%d\">VIRQ_TIMER</text></g>\n",
            LEFT - 6, a->top + WTOP + 10, LEFT - 6, bottom + 4 + RUG / 2 + 4);
    fputs("<g text-anchor=\"middle\">\n", f);
    for (uint64_t t = first_tick(a->x0, a->xstep); t <= a->xtop; t += a->xstep) {
        tick_label(label, sizeof(label), t, a->xstep, ux);
        fprintf(f, "<text x=\"%s\" y=\"%d\">%s</text>\n", num(b1, px_x(a, t)), bottom + RUG + 20,
                label);
    }
    fputs("</g>\n<g text-anchor=\"end\">\n", f);
    for (uint64_t t = 0; t <= a->ytop; t += a->ystep) {
        tick_label(label, sizeof(label), t, a->ystep, uy);
        fprintf(f, "<text x=\"%d\" y=\"%s\">%s</text>\n", LEFT - 6, num(b2, px_y(a, t) + 40),
                label);
    }
    fputs("</g>\n", f);
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">virtual time: hypervisor system time "
            "(%s since boot)</text>\n",
            LEFT + PW / 2, bottom + RUG + 38, ux.name);
    fprintf(f,
            "<text transform=\"translate(20 %d) rotate(-90)\" text-anchor=\"middle\">"
            "guest-observed time (%s)</text>\n",
            top + PH / 2, uy.name);
    /* The hypervisor's own clock: y = x, as far as both axes go. */
    uint64_t m = a->xtop < a->ytop ? a->xtop : a->ytop;
    if (m > a->x0)
        fprintf(f,
                "<path d=\"M%s %sL%s %s\" stroke=\"" DIAG_COLOR "\" stroke-width=\"1.5\" "
                "stroke-dasharray=\"6 4\" fill=\"none\"/>\n",
                num(b1, px_x(a, a->x0)), num(b2, px_y(a, a->x0)), num(b3, px_x(a, m)),
                num(b4, px_y(a, m)));
}

static bool test_bit(const uint8_t *b, size_t i)
{
    return b[i / 8] & (1u << (i % 8));
}

static void set_bit(uint8_t *b, size_t i)
{
    b[i / 8] |= (uint8_t)(1u << (i % 8));
}

/*
 * One series: a dot per occupied pixel, placed at the first sample that fell in it (so a
 * curve costs about one dot per pixel column however many samples it has); a series with
 * more than MAX_DOTS occupied pixels is drawn as one min-max bar per pixel column instead.
 * Samples off the scale are triangles at the top edge, one per column. Returns -1 when out
 * of memory.
 */
static int draw_series(FILE *f, const struct axes *a, const struct plot_series *s,
                       const char *color, size_t *off_scale)
{
    char b1[24], b2[24];
    size_t cells = (size_t)PW * (PH + 1), dots = 0;
    uint8_t *seen = calloc((cells + 7) / 8, 1);
    int lo[PW], hi[PW];
    bool off[PW] = {false};
    *off_scale = 0;
    if (!seen)
        return -1;
    for (int c = 0; c < PW; c++)
        lo[c] = hi[c] = -1;
    for (size_t i = 0; i < s->n; i++) {
        if (!in_window(a, s->v[i].x))
            continue;
        int c = column(a, s->v[i].x);
        if (!in_scale(s->v[i].y, a->end)) {
            off[c] = true;
            (*off_scale)++;
            continue;
        }
        int row = (int)((plot_bottom(a) * 10 - px_y(a, s->v[i].y)) / 10);
        size_t cell = (size_t)c * (PH + 1) + (size_t)row;
        if (!test_bit(seen, cell)) {
            set_bit(seen, cell);
            dots++;
        }
        if (lo[c] < 0 || row < lo[c])
            lo[c] = row;
        if (row > hi[c])
            hi[c] = row;
    }
    if (dots && dots <= MAX_DOTS) {
        memset(seen, 0, (cells + 7) / 8);
        fprintf(f, "<path stroke=\"%s\" stroke-width=\"3\" stroke-linecap=\"round\" d=\"", color);
        for (size_t i = 0; i < s->n; i++) {
            if (!in_window(a, s->v[i].x) || !in_scale(s->v[i].y, a->end))
                continue;
            int64_t y = px_y(a, s->v[i].y);
            int c = column(a, s->v[i].x), row = (int)((plot_bottom(a) * 10 - y) / 10);
            size_t cell = (size_t)c * (PH + 1) + (size_t)row;
            if (test_bit(seen, cell))
                continue;
            set_bit(seen, cell);
            fprintf(f, "M%s %sh0.1", num(b1, px_x(a, s->v[i].x)), num(b2, y));
        }
        fputs("\"/>\n", f);
    } else if (dots) {
        fprintf(f, "<path stroke=\"%s\" stroke-width=\"1.5\" d=\"", color);
        for (int c = 0; c < PW; c++) {
            if (lo[c] >= 0)
                fprintf(f, "M%d.5 %dV%d", LEFT + c, plot_bottom(a) - hi[c] - 1,
                        plot_bottom(a) - lo[c]);
        }
        fputs("\"/>\n", f);
    }
    if (*off_scale) {
        fprintf(f, "<path fill=\"%s\" d=\"", color);
        for (int c = 0; c < PW; c++) {
            if (off[c])
                fprintf(f, "M%d.5 %dl3 6h-6z", LEFT + c, plot_top(a) + 1);
        }
        fputs("\"/>\n", f);
    }
    free(seen);
    return 0;
}

/* The SHUTDOWN_* names as the core's shutdown_reason_name gives them (plot.c links without
 * the core). */
static const char *reason_name(unsigned reason)
{
    static const char *const names[] = {"poweroff", "reboot",   "suspend",
                                        "crash",    "watchdog", "soft_reset"};
    return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "unknown";
}

static unsigned log2u(uint64_t v)
{
    unsigned l = 0;
    while (v >>= 1)
        l++;
    return l;
}

/* When the domain ended (crash or shutdown, whichever came first); false if it did not. */
static bool ended(const struct plot_domain *d, uint64_t *t, const char **word)
{
    if (d->crashed && (!d->shut_down || d->crash_ns <= d->shutdown_ns)) {
        *t = d->crash_ns;
        *word = "crash";
        return true;
    }
    if (d->shut_down) {
        *t = d->shutdown_ns;
        *word = reason_name(d->shutdown_reason);
        return true;
    }
    return false;
}

/*
 * Warnings: a tick per pixel column in the warning strip. Timer events: bins RUG_BIN px wide
 * in the timer-event strip, 2 + 2 * log2(count) px high (at most the strip). The end of the
 * domain: a dashed line with its reason.
 */
static void draw_marks(FILE *f, const struct axes *a, const struct plot_domain *d)
{
    uint32_t bins[PW / RUG_BIN] = {0};
    bool warn[PW] = {false}, any_bin = false, any_warn = false;
    for (size_t i = 0; i < d->timer_events.n; i++) {
        if (!in_window(a, d->timer_events.v[i]))
            continue;
        uint32_t *b = &bins[column(a, d->timer_events.v[i]) / RUG_BIN];
        if (*b < UINT32_MAX)
            (*b)++;
        any_bin = true;
    }
    for (size_t i = 0; i < d->warnings.n; i++) {
        if (in_window(a, d->warnings.v[i]))
            any_warn = warn[column(a, d->warnings.v[i])] = true;
    }
    int rug_bottom = plot_bottom(a) + 4 + RUG;
    if (any_bin) {
        fputs("<path stroke=\"" RUG_COLOR "\" stroke-width=\"2\" d=\"", f);
        for (int b = 0; b < PW / RUG_BIN; b++) {
            unsigned h = 2 + 2 * log2u(bins[b]);
            if (bins[b])
                fprintf(f, "M%d %dv-%u", LEFT + b * RUG_BIN + 1, rug_bottom,
                        h > RUG - 1 ? RUG - 1 : h);
        }
        fputs("\"/>\n", f);
    }
    if (any_warn) {
        fputs("<path stroke=\"" WARN_COLOR "\" d=\"", f);
        for (int c = 0; c < PW; c++) {
            if (warn[c])
                fprintf(f, "M%d.5 %dv%d", LEFT + c, a->top + WTOP + 1, WH - 2);
        }
        fputs("\"/>\n", f);
    }
    uint64_t t;
    const char *word;
    char b1[24];
    if (ended(d, &t, &word) && in_window(a, t)) {
        fprintf(f,
                "<path d=\"M%s %dV%d\" stroke=\"#000\" stroke-width=\"1.2\" "
                "stroke-dasharray=\"3 3\"/>\n",
                num(b1, px_x(a, t)), a->top + WTOP, rug_bottom);
        fprintf(f, "<text x=\"%s\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
                num(b1, px_x(a, t) - 30), plot_top(a) + PH / 2, word);
    }
}

static void draw_legend(FILE *f, const struct axes *a, const struct plot_domain *d,
                        const size_t off_scale[PLOT_NR_SERIES])
{
    char t[64];
    int y = plot_top(a) + 8, x = LEGEND;
    fprintf(f,
            "<g font-size=\"11\">\n<path d=\"M%d %dh18\" stroke=\"" DIAG_COLOR "\" "
            "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/><text x=\"%d\" y=\"%d\">hypervisor "
            "system time (y = x)</text>\n",
            x, y - 4, x + 24, y);
    y += 18;
    for (int s = 0; s < PLOT_NR_SERIES; s++) {
        if (!d->series[s].n && s != PLOT_DEADLINE)
            continue;
        fprintf(f,
                "<path d=\"M%d %dh0.1\" stroke=\"%s\" stroke-width=\"3\" "
                "stroke-linecap=\"round\"/><text x=\"%d\" y=\"%d\">%s: %zu",
                x + 9, y - 4, series_color[s], x + 24, y, series_label[s], d->series[s].n);
        if (off_scale[s])
            fprintf(f, ", %zu above the scale", off_scale[s]);
        fputs("</text>\n", f);
        if (s == PLOT_DEADLINE) {
            y += 14;
            fprintf(f,
                    "<text x=\"%d\" y=\"%d\" fill=\"#555\">(set_timer_op, "
                    "VCPUOP_set_singleshot_timer)</text>\n",
                    x + 24, y);
        }
        y += 18;
    }
    fprintf(f,
            "<path d=\"M%d.5 %dv10\" stroke=\"" WARN_COLOR "\"/><text x=\"%d\" y=\"%d\">"
            "console lines with \"warning:\": %zu</text>\n",
            x + 9, y - 10, x + 24, y, d->warnings.n);
    y += 18;
    fprintf(f,
            "<path d=\"M%d %dv-10\" stroke=\"" RUG_COLOR "\" stroke-width=\"2\"/><text x=\"%d\" "
            "y=\"%d\">VIRQ_TIMER events sent: %zu</text>\n",
            x + 9, y, x + 24, y, d->timer_events.n);
    y += 14;
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" fill=\"#555\">(a bar per %d px, 2 + 2 log2(n) px high)"
            "</text>\n",
            x + 24, y, RUG_BIN);
    y += 18;
    if (d->crashed) {
        when(t, sizeof(t), d->crash_ns);
        fprintf(f, "<text x=\"%d\" y=\"%d\">crashed at %s</text>\n", x + 24, y, t);
        y += 18;
    }
    if (d->shut_down) {
        when(t, sizeof(t), d->shutdown_ns);
        fprintf(f, "<text x=\"%d\" y=\"%d\">shutdown %s at %s</text>\n", x + 24, y,
                reason_name(d->shutdown_reason), t);
    } else if (!d->crashed) {
        when(t, sizeof(t), a->end);
        fprintf(f, "<text x=\"%d\" y=\"%d\">still running when the run ended at %s</text>\n",
                x + 24, y, t);
    }
    fputs("</g>\n", f);
}

/* One panel of domain d, x from x0 to x1; detail: the panel around its first warning. */
static int draw_panel(FILE *f, const struct plot *p, const struct plot_domain *d, int top,
                      uint64_t x0, uint64_t x1, bool detail)
{
    struct axes a = {.top = top, .end = p->end_ns};
    uint64_t zero;
    axis(x0, x1, &a.x0, &a.xtop, &a.xstep);
    uint64_t ymax = 0;
    for (int s = 0; s < PLOT_NR_SERIES; s++) {
        for (size_t i = 0; i < d->series[s].n; i++) {
            const struct plot_xy *v = &d->series[s].v[i];
            if (in_window(&a, v->x) && in_scale(v->y, p->end_ns) && v->y > ymax)
                ymax = v->y;
        }
    }
    axis(0, ymax, &zero, &a.ytop, &a.ystep);
    if (a.ytop < a.xtop) { /* the diagonal always reaches the right edge */
        a.ytop = a.xtop;
        a.ystep = nice_step(a.ytop);
    }
    fprintf(f, "<g>\n<text x=\"%d\" y=\"%d\" font-weight=\"bold\">domain ", LEFT, top + 18);
    put_str(f, d->name[0] ? d->name : "(unnamed)");
    fprintf(f, " (d%u)%s</text>\n", d->domid,
            detail ? ": the 100 ms of virtual time around its first warning" : "");
    draw_axes(f, &a);
    draw_marks(f, &a, d);
    size_t off_scale[PLOT_NR_SERIES] = {0};
    for (int s = 0; s < PLOT_NR_SERIES; s++) {
        if (draw_series(f, &a, &d->series[s], series_color[s], &off_scale[s]))
            return -1;
    }
    if (!detail)
        draw_legend(f, &a, d, off_scale);
    else
        fprintf(f,
                "<text x=\"%d\" y=\"%d\" font-size=\"11\">the same marks as the panel above"
                "</text>\n",
                LEGEND, plot_top(&a) + 8);
    int y = plot_bottom(&a) + RUG + 58;
    char t[64];
    if (d->warnings.n && !detail) {
        when(t, sizeof(t), d->first_warning_ns);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">first warning at %s: ", LEFT, y, t);
        put_text(f, d->first_warning, d->first_warning_len, 110);
        fputs("</text>\n", f);
        y += 16;
    }
    if (d->crashed && !detail) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">crash: ", LEFT, y);
        put_text(f, d->crash, d->crash_len, 130);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
    return 0;
}

int plot_write_svg(const struct plot *p, FILE *f, char *err, size_t errlen)
{
    if (p->error[0]) {
        snprintf(err, errlen, "no plot: %s", p->error);
        return -1;
    }
    /* Panels in domid order; a detail panel after each domain that printed a warning. */
    unsigned order[PLOT_MAX_DOMAINS], panels = 0;
    for (unsigned i = 0; i < p->nr_doms; i++) {
        unsigned j = i;
        while (j > 0 && p->doms[order[j - 1]].domid > p->doms[i].domid) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
        panels += 1 + (p->doms[i].warnings.n > 0);
    }
    int height = HEADER + (panels ? (int)panels * PANEL : 30);
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n<title>",
            WIDTH, height, WIDTH, height);
    put_text(f, p->title, strlen(p->title), 100);
    fputs(": guest-observed time against virtual time</title>\n", f);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", WIDTH, height);
    fprintf(f, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">", LEFT);
    put_text(f, p->title, strlen(p->title), 100);
    fprintf(f,
            "</text>\n<text x=\"%d\" y=\"42\">guest-observed time against virtual time, per "
            "domain (hvsim run --plot)</text>\n",
            LEFT);
    if (!panels)
        fprintf(f, "<text x=\"%d\" y=\"%d\">no domain produced a trace record</text>\n", LEFT,
                HEADER + 16);
    int top = HEADER;
    for (unsigned i = 0; i < p->nr_doms; i++) {
        const struct plot_domain *d = &p->doms[order[i]];
        if (draw_panel(f, p, d, top, 0, p->end_ns, false))
            goto oom;
        top += PANEL;
        if (!d->warnings.n)
            continue;
        uint64_t w = d->first_warning_ns;
        uint64_t x0 = w > DETAIL_NS ? w - DETAIL_NS : 0;
        uint64_t x1 = p->end_ns - w > DETAIL_NS ? w + DETAIL_NS : p->end_ns;
        if (draw_panel(f, p, d, top, x0, x1, true))
            goto oom;
        top += PANEL;
    }
    fputs("</svg>\n", f);
    if (ferror(f)) {
        snprintf(err, errlen, "%s", strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* --- Files ----------------------------------------------------------------------------------- */

static int tmp_path(const char *path, char *tmp, size_t len)
{
    return (size_t)snprintf(tmp, len, "%s.tmp", path) >= len ? -1 : 0;
}

int plot_check_path(const char *path, char *err, size_t errlen)
{
    char tmp[4096 + 8];
    struct stat st;
    if (tmp_path(path, tmp, sizeof(tmp))) {
        snprintf(err, errlen, "hvsim: %.200s...: %s", path, strerror(ENAMETOOLONG));
        return -1;
    }
    if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "hvsim: %s: %s", path, strerror(EISDIR));
        return -1;
    }
    FILE *f = fopen(tmp, "wx");
    if (!f && errno == EEXIST) {
        snprintf(err, errlen, "hvsim: %s: %s exists (left from an earlier run? remove it)", path,
                 tmp);
        return -1;
    }
    if (!f) {
        snprintf(err, errlen, "hvsim: %s: %s", path, strerror(errno));
        return -1;
    }
    fclose(f);
    unlink(tmp);
    return 0;
}

int plot_save(const struct plot *p, const char *path, char *err, size_t errlen)
{
    char tmp[4096 + 8], why[256];
    if (tmp_path(path, tmp, sizeof(tmp))) {
        snprintf(err, errlen, "hvsim: %.200s...: %s", path, strerror(ENAMETOOLONG));
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "hvsim: %s: %s", path, strerror(errno));
        return -1;
    }
    errno = 0;
    int rc = plot_write_svg(p, f, why, sizeof(why));
    if (fclose(f) && !rc) {
        snprintf(why, sizeof(why), "%s", strerror(errno));
        rc = -1;
    }
    if (!rc && rename(tmp, path)) {
        snprintf(why, sizeof(why), "%s", strerror(errno));
        rc = -1;
    }
    if (rc) {
        unlink(tmp);
        snprintf(err, errlen, "hvsim: %s: %s", path, why);
    }
    return rc;
}

int plot_run_path(const char *path, uint64_t k, char *out, size_t outlen)
{
    size_t len = strlen(path);
    int n;
    if (len > 4 && !strcmp(path + len - 4, ".svg"))
        n = snprintf(out, outlen, "%.*s-%llu.svg", (int)(len - 4), path, (unsigned long long)k);
    else
        n = snprintf(out, outlen, "%s-%llu", path, (unsigned long long)k);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
