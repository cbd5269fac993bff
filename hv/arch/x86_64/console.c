/* Guest consoles on serial: one line at a time, prefixed with the domain's name; result words. */
#include "hv/lib.h"
#include "x86.h"

/*
 * Lines are assembled per domain and per source (console_io, PV ring), so
 * two sources never interleave inside a line, and printed as "name| text"
 * like `hvsim run --console`. A line holding "Test result: WORD" sets the
 * domain's result word (XTF's report line).
 */
#define LINE_MAX 256
#define NR_SOURCES 2

struct con_line {
    char buf[LINE_MAX];
    size_t len;
};
static struct con_line lines[HV_MAX_DOMAINS][NR_SOURCES];
static char result[HV_MAX_DOMAINS][12];

static unsigned int dom_index(const struct domain *d)
{
    return (unsigned int)(d - hv.domains);
}

static void note_result(struct domain *d, const char *text, size_t len)
{
    static const char tag[] = "Test result: ";
    size_t tl = sizeof(tag) - 1;

    if (len < tl || hv_memcmp(text, tag, tl))
        return;
    char *out = result[dom_index(d)];
    size_t n = 0;
    for (size_t i = tl; i < len && n < sizeof(result[0]) - 1; i++) {
        if (text[i] == ' ' || text[i] == '\r' || text[i] == '\n')
            break;
        out[n++] = text[i];
    }
    out[n] = 0;
}

static void emit(struct domain *d, struct con_line *l)
{
    size_t len = l->len;

    while (len && (l->buf[len - 1] == '\n' || l->buf[len - 1] == '\r'))
        len--;
    note_result(d, l->buf, len);
    serial_write(d->name, hv_strlen(d->name));
    serial_write("| ", 2);
    serial_write(l->buf, len);
    serial_write("\n", 1);
    l->len = 0;
}

void dom_console_write(struct domain *d, int source, const char *s, size_t len)
{
    struct con_line *l = &lines[dom_index(d)][source];

    for (size_t i = 0; i < len; i++) {
        l->buf[l->len++] = s[i];
        if (s[i] == '\n' || l->len == LINE_MAX)
            emit(d, l);
    }
}

void dom_console_flush(struct domain *d)
{
    for (int s = 0; s < NR_SOURCES; s++)
        if (lines[dom_index(d)][s].len)
            emit(d, &lines[dom_index(d)][s]);
}

/* XTF's word, or CRASH when the domain crashed or never printed one. */
const char *dom_result_word(const struct domain *d)
{
    const char *w = result[dom_index(d)];

    if (d->is_crashed || !w[0])
        return "CRASH";
    return w;
}
