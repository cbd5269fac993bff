/* Scenario file parser: global `key = value` lines, then one [domain] section per domain. */
#include "scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Tokens and values
 */

enum tok_kind {
    T_EOF,
    T_NL,
    T_IDENT,
    T_NUM,
    T_STR,
    T_EQ,
    T_LBRACK,
    T_RBRACK,
    T_COMMA,
    T_LPAREN,
    T_RPAREN,
    T_DOTDOT,
    T_DOLLAR,
    T_CMP,
    T_PLUS,
    T_MINUS,
};

/*
 * Number suffixes: sizes 'K' 'M' 'G' (any case in the file), times 'n' (ns),
 * 'u' (us), 'm' (ms), 's' (s).
 */
struct token {
    enum tok_kind kind;
    unsigned line, col;
    size_t off, end;  /* the token's bytes in the buffer */
    enum scn_cmp cmp; /* T_CMP */
    const char *text; /* raw bytes in the buffer (T_IDENT, T_NUM) */
    size_t text_len;
    uint64_t num; /* T_NUM */
    char suffix;  /* T_NUM: 0 or a suffix (see above) */
    char *str;    /* T_STR: decoded, heap, NUL-terminated */
    size_t str_len;
};

enum value_kind { V_NUM, V_STR, V_LIST };

enum value_ref { REF_NONE, REF_SWEEP, REF_KNOB };

struct value {
    enum value_kind kind;
    unsigned line, col;
    size_t off, end; /* the value's bytes in the buffer */
    uint64_t num;
    char suffix;
    bool neg;           /* a '-' before a number literal */
    enum value_ref ref; /* V_NUM: a literal, $sweep or fuzz(...) */
    unsigned sweep;     /* REF_SWEEP: index into out->sweeps */
    bool knob_full;     /* REF_KNOB: fuzz(u64) */
    uint64_t klo, khi;  /* REF_KNOB range as written */
    char klo_suf, khi_suf;
    bool klo_neg, khi_neg;
    char *str;
    size_t str_len;
    struct value *items;
    size_t nr_items;
};

/* ---------------------------------------------------------------------------------------------
 * Keys and sections.  Adding a key is one table row (plus a type if it needs a new one).
 */

enum key_type {
    K_U64,       /* plain unsigned integer -> uint64_t */
    K_UINT,      /* plain unsigned integer -> unsigned */
    K_MIB,       /* size: bare = MiB, or K/M/G suffix -> uint64_t MiB */
    K_STR,       /* string -> char[size] */
    K_WORD,      /* string from a fixed list -> char[size] */
    K_STR_MULTI, /* repeatable string -> char *[SCN_MAX_EXPECT] + unsigned count */
    K_LIST,      /* list of strings -> char *[SCN_MAX_MODULES] + unsigned count */
};

enum key_scope { S_GLOBAL, S_DOMAIN, S_ANY };

struct parser;

struct key_desc {
    const char *name;
    enum key_scope scope;
    enum key_type type;
    bool required;
    uint64_t min, max;        /* numbers: range; K_STR: min 1 means non-empty */
    size_t off, size;         /* field in struct scenario (S_GLOBAL) or struct scn_domain */
    size_t count_off;         /* K_STR_MULTI: the unsigned counter */
    const char *const *words; /* K_WORD: allowed values, NULL-terminated */
    int (*check)(struct parser *p, const struct key_desc *k, const struct value *v);
};

static const char *const on_crash_words[] = {
    "destroy",          "restart",        "preserve", "coredump-destroy",
    "coredump-restart", "rename-restart", NULL,
};
static const char *const expect_words[] = {"SUCCESS", "SKIP", "ERROR", "FAILURE",
                                           "CRASH",   "NONE", NULL};
static const char *const shutdown_words[] = {
    "poweroff",   "reboot",    "suspend", "crash", "watchdog",
    "soft_reset", "destroyed", "running", NULL,
};

static int check_domain_name(struct parser *p, const struct key_desc *k, const struct value *v);
static int check_refresh(struct parser *p, const struct key_desc *k, const struct value *v);
const char *scn_disk_unsupported(const struct scn_disk *dk)
{
    if (strcmp(dk->format, "raw"))
        return "only raw images are supported (a qcow, qcow2, vhd or qed image needs a format "
               "driver hvsim does not have)";
    if (dk->backendtype[0] && strcmp(dk->backendtype, "phy"))
        return "only the hypervisor's own block backend exists (backendtype phy, or none)";
    if (dk->devtype[0] && strcmp(dk->devtype, "disk"))
        return "only devtype disk is modelled (no CD-ROMs)";
    return NULL;
}

bool scn_disk_read_only(const struct scn_disk *dk)
{
    return !strcmp(dk->access, "r") || !strcmp(dk->access, "ro");
}

static int check_disk(struct parser *p, const struct key_desc *k, const struct value *v);

#define GFIELD(f) offsetof(struct scenario, f), sizeof(((struct scenario *)0)->f)
#define DFIELD(f) offsetof(struct scn_domain, f), sizeof(((struct scn_domain *)0)->f)

static const struct key_desc keys[] = {
    {"seed", S_GLOBAL, K_U64, false, 0, UINT64_MAX, GFIELD(seed), 0, NULL, NULL},
    {"limit", S_GLOBAL, K_U64, false, 1, UINT64_MAX, GFIELD(limit), 0, NULL, NULL},
    {"slice", S_GLOBAL, K_U64, false, 1, UINT64_MAX, GFIELD(slice), 0, NULL, NULL},
    {"machine_memory", S_GLOBAL, K_MIB, false, 1, 1u << 20, GFIELD(machine_memory_mib), 0, NULL,
     NULL},
    {"tsc_khz", S_GLOBAL, K_U64, false, 100000, 10000000, GFIELD(tsc_khz), 0, NULL, NULL},
    {"tsc_start", S_GLOBAL, K_U64, false, 0, UINT64_MAX, GFIELD(tsc_start), 0, NULL, NULL},
    {"cycles_per_insn", S_GLOBAL, K_U64, false, 1, 1000, GFIELD(cycles_per_insn), 0, NULL, NULL},
    {"time_refresh", S_GLOBAL, K_STR, false, 1, 0, GFIELD(time_refresh), 0, NULL, check_refresh},
    {"wallclock", S_GLOBAL, K_U64, false, 0, (1ull << 63) - 1, GFIELD(wallclock_sec), 0, NULL,
     NULL},
    {"wallclock_nsec", S_GLOBAL, K_U64, false, 0, 999999999, GFIELD(wallclock_nsec), 0, NULL, NULL},
    {"name", S_DOMAIN, K_STR, true, 1, 0, DFIELD(name), 0, NULL, check_domain_name},
    {"kernel", S_DOMAIN, K_STR, true, 1, 0, DFIELD(kernel), 0, NULL, NULL},
    {"memory", S_DOMAIN, K_MIB, true, 4, 4096, DFIELD(memory_mib), 0, NULL, NULL},
    {"vcpus", S_DOMAIN, K_UINT, false, 1, 8, DFIELD(vcpus), 0, NULL, NULL},
    {"extra", S_DOMAIN, K_STR, false, 0, 0, DFIELD(extra), 0, NULL, NULL},
    {"ramdisk", S_DOMAIN, K_STR, false, 1, 0, DFIELD(ramdisk), 0, NULL, NULL},
    {"on_crash", S_DOMAIN, K_WORD, false, 0, 0, DFIELD(on_crash), 0, on_crash_words, NULL},
    {"expect", S_DOMAIN, K_WORD, false, 0, 0, DFIELD(expect), 0, expect_words, NULL},
    {"expect_shutdown", S_DOMAIN, K_WORD, false, 0, 0, DFIELD(expect_shutdown), 0, shutdown_words,
     NULL},
    {"expect_console", S_DOMAIN, K_STR_MULTI, false, 1, 0, DFIELD(expect_console),
     offsetof(struct scn_domain, nr_expect_console), NULL, NULL},
    {"expect_no_console", S_DOMAIN, K_STR_MULTI, false, 1, 0, DFIELD(expect_no_console),
     offsetof(struct scn_domain, nr_expect_no_console), NULL, NULL},
    {"modules", S_DOMAIN, K_LIST, false, 1, 0, DFIELD(modules),
     offsetof(struct scn_domain, nr_modules), NULL, NULL},
    {"disk", S_DOMAIN, K_LIST, false, 1, 0, DFIELD(disks), offsetof(struct scn_domain, nr_disks),
     NULL, check_disk},
};
#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NR_KEYS <= 64, "the per-section 'seen' mask is a uint64_t");
_Static_assert(NR_KEYS <= SCN_MAX_KEYS, "scenario.h keeps one line number per key");

enum section { SEC_GLOBAL, SEC_MACHINE, SEC_DOMAIN, SEC_TIMELINE, SEC_EXPECT };
static const char *const section_names[] = {"", "machine", "domain", "timeline", "expect", NULL};

/* ---------------------------------------------------------------------------------------------
 * Parser state and error reporting
 */

struct parser {
    const char *path;
    const char *buf;
    size_t len;
    size_t pos;
    unsigned line;
    size_t line_start;
    char *err;
    size_t errlen;
    bool failed;
    struct scenario *out;
    struct scn_domain *dom; /* current [domain], NULL while in the global part */
    unsigned dom_col;       /* column of its '[' */
    uint64_t seen;          /* keys set in the current section, one bit per keys[] index */
    enum section sec;       /* the section being read */
    bool had_section;       /* any [section] so far ([machine] must be the first) */
    const struct scn_binding *bind;
    bool sweep_used[SCN_MAX_SWEEPS];
    /* Domain names in [timeline]/[expect] lines, resolved when the file is read. */
    struct dom_ref {
        int *slot;
        char name[32];
        unsigned line, col;
    } refs[2 * SCN_MAX_ACTIONS + SCN_MAX_TRACE_EXPECT];
    unsigned nr_refs;
};

static int fail(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
    if (p->failed)
        return -1;
    p->failed = true;
    if (!p->err || !p->errlen)
        return -1;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%u:%u: %s", p->path, line, col, msg);
    return -1;
}

/*
 * Make user text safe to quote in a message: printable ASCII as is, other bytes as \xNN,
 * and at most about 60 bytes of input.  Returns dst.
 */
static const char *show(char *dst, size_t dstlen, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    bool cut = n > 60;
    if (cut)
        n = 60;
    for (size_t i = 0; i < n && o + 8 < dstlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    if (cut && o + 4 < dstlen) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return dst;
}

#define SHOW_MAX 256

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_word(int c)
{
    return is_alpha(c) || is_digit(c) || c == '_';
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* ---------------------------------------------------------------------------------------------
 * Suggestions: optimal string alignment distance, case-insensitive.
 */

static int lc(const char *s, size_t i)
{
    return lower((unsigned char)s[i]);
}

static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    /* Callers keep both strings short (<= 64 bytes). */
    unsigned short d[65][65];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = (unsigned short)i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = (unsigned short)j;
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++) {
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + (lc(a, i - 1) != lc(b, j - 1)) < best)
                best = d[i - 1][j - 1] + (lc(a, i - 1) != lc(b, j - 1));
            if (i > 1 && j > 1 && lc(a, i - 1) == lc(b, j - 2) && lc(a, i - 2) == lc(b, j - 1) &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1; /* transposition */
            d[i][j] = (unsigned short)best;
        }
    }
    return d[na][nb];
}

/* Is candidate close enough to word to suggest it?  Returns the distance or SIZE_MAX. */
static size_t near(const char *word, size_t n, const char *cand)
{
    size_t nc = strlen(cand);
    if (n == 0 || n > 64 || nc > 64)
        return SIZE_MAX;
    size_t limit = nc <= 4 ? 1 : nc <= 8 ? 2 : 3;
    /* The distance is at least the difference in length: skip the table when that is too much. */
    if ((n > nc ? n - nc : nc - n) > limit)
        return SIZE_MAX;
    size_t d = edit_distance(word, n, cand, nc);
    return d <= limit ? d : SIZE_MAX;
}

static const char *suggest_word(const char *word, size_t n, const char *const *words)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (; *words; words++) {
        size_t d = near(word, n, *words);
        if (d < best_d) {
            best_d = d;
            best = *words;
        }
    }
    return best;
}

/* Prefer keys allowed where the unknown key was written, then any key. */
static const char *suggest_key(const struct parser *p, const char *word, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < NR_KEYS; i++) {
            bool here = keys[i].scope == S_ANY || keys[i].scope == (p->dom ? S_DOMAIN : S_GLOBAL);
            if (here != (pass == 0))
                continue;
            size_t d = near(word, n, keys[i].name);
            if (d < best_d) {
                best_d = d;
                best = keys[i].name;
            }
        }
    }
    return best;
}

/* ---------------------------------------------------------------------------------------------
 * Lexer
 */

static unsigned col_of(const struct parser *p, size_t pos)
{
    return (unsigned)(pos - p->line_start + 1);
}

/* Called whenever a new line starts: enforce the line length limit. */
static int begin_line(struct parser *p)
{
    p->line_start = p->pos;
    const char *s = p->buf + p->pos;
    size_t rest = p->len - p->pos;
    const char *nl = rest ? memchr(s, '\n', rest) : NULL;
    size_t n = nl ? (size_t)(nl - s) : rest;
    if (nl && n && s[n - 1] == '\r')
        n--;
    if (n > SCN_MAX_LINE)
        return fail(p, p->line, SCN_MAX_LINE + 1, "line too long (more than %d bytes)",
                    SCN_MAX_LINE);
    return 0;
}

static void tok_free(struct token *t)
{
    free(t->str);
    t->str = NULL;
}

/* A growable byte buffer for decoded strings. */
struct sbuf {
    char *s;
    size_t n, cap;
};

static bool sbuf_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 64;
        while (c < b->n + n + 1)
            c *= 2;
        char *ns = realloc(b->s, c);
        if (!ns)
            return false;
        b->s = ns;
        b->cap = c;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
    return true;
}

static int hexval(int c)
{
    c = lower(c);
    return is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static int sweep_index(const struct parser *p, const char *name, size_t n);
static uint64_t sweep_value(struct parser *p, unsigned idx);

/* `${name}` inside a string at buf[i] (the '$'): the sweep's value in decimal. */
static int interpolate(struct parser *p, size_t *i, struct sbuf *b)
{
    size_t j = *i + 2, start = j;
    while (j < p->len && is_word((unsigned char)p->buf[j]))
        j++;
    if (j >= p->len || p->buf[j] != '}' || j == start)
        return fail(p, p->line, col_of(p, *i),
                    "'${' in a string must be '${name}' (write '\\$' for a dollar sign)");
    int idx = sweep_index(p, p->buf + start, j - start);
    if (idx < 0) {
        char tmp[SHOW_MAX];
        return fail(p, p->line, col_of(p, *i), "unknown sweep variable '%s'",
                    show(tmp, sizeof(tmp), p->buf + start, j - start));
    }
    char num[32];
    int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)sweep_value(p, (unsigned)idx));
    if (!sbuf_put(b, num, (size_t)n))
        return fail(p, p->line, col_of(p, *i), "out of memory");
    *i = j + 1;
    return 0;
}

static int lex_string(struct parser *p, struct token *t)
{
    char quote = p->buf[p->pos];
    struct sbuf out = {0};
    size_t i = p->pos + 1;
    if (!sbuf_put(&out, "", 0))
        return fail(p, t->line, t->col, "out of memory");
    for (;;) {
        if (i >= p->len || p->buf[i] == '\n') {
            free(out.s);
            return fail(p, t->line, t->col, "unterminated string");
        }
        unsigned char c = (unsigned char)p->buf[i];
        if (c == (unsigned char)quote) {
            i++;
            break;
        }
        if (c == '$' && i + 1 < p->len && p->buf[i + 1] == '{') {
            if (interpolate(p, &i, &out)) {
                free(out.s);
                return -1;
            }
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= p->len || p->buf[i + 1] == '\n') {
                free(out.s);
                return fail(p, t->line, t->col, "unterminated string");
            }
            char e = p->buf[i + 1];
            char r;
            size_t used = 2;
            switch (e) {
            case '"':
            case '\'':
            case '\\':
            case '$':
                r = e;
                break;
            case 'n':
                r = '\n';
                break;
            case 't':
                r = '\t';
                break;
            case 'x': {
                int hi = i + 2 < p->len ? hexval((unsigned char)p->buf[i + 2]) : -1;
                int lo = i + 3 < p->len ? hexval((unsigned char)p->buf[i + 3]) : -1;
                if (hi < 0 || lo < 0) {
                    free(out.s);
                    return fail(p, p->line, col_of(p, i), "'\\x' needs two hex digits");
                }
                r = (char)(hi << 4 | lo);
                used = 4;
                break;
            }
            default: {
                char tmp[SHOW_MAX];
                free(out.s);
                return fail(p, p->line, col_of(p, i), "unknown escape '\\%s' in string",
                            show(tmp, sizeof(tmp), &p->buf[i + 1], 1));
            }
            }
            if (!sbuf_put(&out, &r, 1)) {
                free(out.s);
                return fail(p, t->line, t->col, "out of memory");
            }
            i += used;
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            free(out.s);
            if (c == '\r' && (i + 1 >= p->len || p->buf[i + 1] == '\n'))
                return fail(p, t->line, t->col, "unterminated string");
            return fail(p, p->line, col_of(p, i), "invalid byte 0x%02x in string", c);
        }
        if (!sbuf_put(&out, (const char *)&c, 1)) {
            free(out.s);
            return fail(p, t->line, t->col, "out of memory");
        }
        i++;
    }
    t->kind = T_STR;
    t->str = out.s;
    t->str_len = out.n;
    p->pos = i;
    return 0;
}

static int lex_number(struct parser *p, struct token *t)
{
    size_t start = p->pos;
    while (p->pos < p->len && is_word((unsigned char)p->buf[p->pos]))
        p->pos++;
    const char *s = p->buf + start;
    size_t n = p->pos - start;
    t->kind = T_NUM;
    t->text = s;
    t->text_len = n;

    unsigned base = 10;
    size_t i = 0;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    size_t digits = i;
    for (; i < n; i++) {
        int c = lower((unsigned char)s[i]);
        if (!(is_digit(c) || (base == 16 && c >= 'a' && c <= 'f')))
            break;
    }
    size_t end = i;
    char suffix = 0;
    static const struct {
        const char *text;
        char suffix;
    } suffixes[] = {{"k", 'K'}, {"K", 'K'},  {"m", 'M'},  {"M", 'M'},  {"g", 'G'},
                    {"G", 'G'}, {"ns", 'n'}, {"us", 'u'}, {"ms", 'm'}, {"s", 's'}};
    for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]) && i < n; k++) {
        size_t sl = strlen(suffixes[k].text);
        if (n - i == sl && !memcmp(s + i, suffixes[k].text, sl)) {
            suffix = suffixes[k].suffix;
            i = n;
        }
    }
    if (end == digits || i != n) {
        char tmp[SHOW_MAX];
        return fail(p, t->line, t->col, "invalid number '%s'", show(tmp, sizeof(tmp), s, n));
    }
    uint64_t v = 0;
    for (i = digits; i < end; i++) {
        int c = lower((unsigned char)s[i]);
        unsigned d = is_digit(c) ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
        if (v > (UINT64_MAX - d) / base)
            return fail(p, t->line, t->col, "number out of range");
        v = v * base + d;
    }
    t->num = v;
    t->suffix = suffix;
    return 0;
}

static int lex_token(struct parser *p, struct token *t);

/* Read the next token.  Comments are skipped; a line ending is a T_NL token. */
static int lex(struct parser *p, struct token *t)
{
    memset(t, 0, sizeof(*t));
    while (p->pos < p->len &&
           (p->buf[p->pos] == ' ' || p->buf[p->pos] == '\t' || p->buf[p->pos] == '\r'))
        p->pos++;
    if (p->pos < p->len && p->buf[p->pos] == '#') {
        const char *nl = memchr(p->buf + p->pos, '\n', p->len - p->pos);
        p->pos = nl ? (size_t)(nl - p->buf) : p->len;
    }
    t->line = p->line;
    t->col = col_of(p, p->pos);
    t->off = p->pos;
    int rc = lex_token(p, t);
    t->end = p->pos;
    return rc;
}

static int lex_token(struct parser *p, struct token *t)
{
    if (p->pos >= p->len) {
        t->kind = T_EOF;
        return 0;
    }
    unsigned char c = (unsigned char)p->buf[p->pos];
    switch (c) {
    case '\n':
        t->kind = T_NL;
        p->pos++;
        p->line++;
        return begin_line(p);
    case '=':
        t->kind = T_EQ;
        p->pos++;
        if (p->pos < p->len && p->buf[p->pos] == '=') {
            t->kind = T_CMP;
            t->cmp = SCN_EQ;
            p->pos++;
        }
        return 0;
    case '!':
    case '<':
    case '>': {
        bool eq = p->pos + 1 < p->len && p->buf[p->pos + 1] == '=';
        if (c == '!' && !eq)
            return fail(p, t->line, t->col, "unexpected character '!' (did you mean '!='?)");
        t->kind = T_CMP;
        t->cmp = c == '!' ? SCN_NE : c == '<' ? (eq ? SCN_LE : SCN_LT) : (eq ? SCN_GE : SCN_GT);
        p->pos += eq ? 2 : 1;
        return 0;
    }
    case '.':
        if (p->pos + 1 < p->len && p->buf[p->pos + 1] == '.') {
            t->kind = T_DOTDOT;
            p->pos += 2;
            return 0;
        }
        return fail(p, t->line, t->col, "unexpected character '.'");
    case '(':
        t->kind = T_LPAREN;
        p->pos++;
        return 0;
    case ')':
        t->kind = T_RPAREN;
        p->pos++;
        return 0;
    case '$':
        t->kind = T_DOLLAR;
        p->pos++;
        return 0;
    case '+':
        t->kind = T_PLUS;
        p->pos++;
        return 0;
    case '-':
        t->kind = T_MINUS;
        p->pos++;
        return 0;
    case '[':
        t->kind = T_LBRACK;
        p->pos++;
        return 0;
    case ']':
        t->kind = T_RBRACK;
        p->pos++;
        return 0;
    case ',':
        t->kind = T_COMMA;
        p->pos++;
        return 0;
    case '"':
    case '\'':
        return lex_string(p, t);
    default:
        break;
    }
    if (is_digit(c))
        return lex_number(p, t);
    if (is_alpha(c) || c == '_') {
        size_t start = p->pos;
        while (p->pos < p->len && is_word((unsigned char)p->buf[p->pos]))
            p->pos++;
        t->kind = T_IDENT;
        t->text = p->buf + start;
        t->text_len = p->pos - start;
        return 0;
    }
    if (c >= 0x21 && c < 0x7f)
        return fail(p, t->line, t->col, "unexpected character '%c'", c);
    return fail(p, t->line, t->col, "unexpected byte 0x%02x", c);
}

static const char *describe(const struct token *t, char *tmp, size_t tmplen)
{
    switch (t->kind) {
    case T_EOF:
        return "end of file";
    case T_NL:
        return "end of line";
    case T_NUM:
        return "a number";
    case T_STR:
        return "a string";
    case T_EQ:
        return "'='";
    case T_LBRACK:
        return "'['";
    case T_RBRACK:
        return "']'";
    case T_COMMA:
        return "','";
    case T_LPAREN:
        return "'('";
    case T_RPAREN:
        return "')'";
    case T_DOTDOT:
        return "'..'";
    case T_DOLLAR:
        return "'$'";
    case T_CMP:
        return "a comparison";
    case T_PLUS:
        return "'+'";
    case T_MINUS:
        return "'-'";
    case T_IDENT: {
        char w[SHOW_MAX];
        snprintf(tmp, tmplen, "'%s'", show(w, sizeof(w), t->text, t->text_len));
        return tmp;
    }
    }
    return "?";
}

/* ---------------------------------------------------------------------------------------------
 * Values
 */

static void value_free(struct value *v)
{
    free(v->str);
    for (size_t i = 0; i < v->nr_items; i++)
        value_free(&v->items[i]);
    free(v->items);
    memset(v, 0, sizeof(*v));
}

static bool is_ident(const struct token *t, const char *word)
{
    return t->kind == T_IDENT && t->text_len == strlen(word) && !memcmp(t->text, word, t->text_len);
}

static int sweep_index(const struct parser *p, const char *name, size_t n)
{
    for (unsigned i = 0; i < p->out->nr_sweeps; i++)
        if (strlen(p->out->sweeps[i].name) == n && !memcmp(p->out->sweeps[i].name, name, n))
            return (int)i;
    return -1;
}

/* The value a sweep variable has in this parse: the binding's, or the sweep's first. */
static uint64_t sweep_value(struct parser *p, unsigned idx)
{
    const struct scn_sweep *sw = &p->out->sweeps[idx];
    p->sweep_used[idx] = true;
    if (p->bind)
        for (unsigned i = 0; i < p->bind->nr_sweeps && i < SCN_MAX_SWEEPS; i++)
            if (p->bind->sweep_name[i] && !strcmp(p->bind->sweep_name[i], sw->name))
                return p->bind->sweep_value[i];
    return sw->values[0];
}

/* A number with an optional sign, inside fuzz(...). */
static int signed_literal(struct parser *p, uint64_t *num, char *suf, bool *neg)
{
    struct token t;
    if (lex(p, &t))
        return -1;
    *neg = false;
    if (t.kind == T_PLUS || t.kind == T_MINUS) {
        *neg = t.kind == T_MINUS;
        if (lex(p, &t))
            return -1;
    }
    if (t.kind != T_NUM) {
        char tmp[SHOW_MAX];
        tok_free(&t);
        return fail(p, t.line, t.col, "expected a number in fuzz(...), found %s",
                    describe(&t, tmp, sizeof(tmp)));
    }
    *num = t.num;
    *suf = t.suffix;
    return 0;
}

/* `fuzz(u64)` or `fuzz(A..B)` whose `fuzz` has been read. */
static int parse_knob(struct parser *p, const struct token *kw, struct value *v)
{
    char tmp[SHOW_MAX];
    struct token t;
    v->kind = V_NUM;
    v->ref = REF_KNOB;
    if (lex(p, &t))
        return -1;
    if (t.kind != T_LPAREN) {
        tok_free(&t);
        return fail(p, t.line, t.col, "expected '(' after 'fuzz', found %s",
                    describe(&t, tmp, sizeof(tmp)));
    }
    size_t save = p->pos;
    if (lex(p, &t))
        return -1;
    if (is_ident(&t, "u64")) {
        v->knob_full = true;
    } else if (t.kind == T_NL || t.kind == T_EOF) {
        return fail(p, kw->line, kw->col, "unterminated fuzz(");
    } else {
        tok_free(&t);
        p->pos = save;
        if (signed_literal(p, &v->klo, &v->klo_suf, &v->klo_neg))
            return -1;
        if (lex(p, &t))
            return -1;
        if (t.kind != T_DOTDOT) {
            tok_free(&t);
            return fail(p, t.line, t.col, "expected '..' in fuzz(A..B), found %s",
                        describe(&t, tmp, sizeof(tmp)));
        }
        if (signed_literal(p, &v->khi, &v->khi_suf, &v->khi_neg))
            return -1;
    }
    if (lex(p, &t))
        return -1;
    if (t.kind != T_RPAREN) {
        tok_free(&t);
        return fail(p, t.line, t.col, "expected ')' to close fuzz(, found %s",
                    describe(&t, tmp, sizeof(tmp)));
    }
    v->off = kw->off;
    v->end = t.end;
    return 0;
}

/* A scalar from a token already read (moves the string out of the token). */
static int scalar(struct parser *p, struct token *t, struct value *v)
{
    memset(v, 0, sizeof(*v));
    v->line = t->line;
    v->col = t->col;
    v->off = t->off;
    v->end = t->end;
    if (t->kind == T_NUM) {
        v->kind = V_NUM;
        v->num = t->num;
        v->suffix = t->suffix;
        return 0;
    }
    if (t->kind == T_STR) {
        v->kind = V_STR;
        v->str = t->str;
        v->str_len = t->str_len;
        t->str = NULL;
        return 0;
    }
    char tmp[SHOW_MAX];
    if (t->kind == T_PLUS || t->kind == T_MINUS) {
        struct token n;
        if (lex(p, &n))
            return -1;
        if (n.kind != T_NUM) {
            tok_free(&n);
            return fail(p, n.line, n.col, "expected a number after '%c', found %s",
                        t->kind == T_MINUS ? '-' : '+', describe(&n, tmp, sizeof(tmp)));
        }
        v->kind = V_NUM;
        v->num = n.num;
        v->suffix = n.suffix;
        v->neg = t->kind == T_MINUS;
        v->end = n.end;
        return 0;
    }
    if (t->kind == T_DOLLAR) {
        struct token n;
        if (lex(p, &n))
            return -1;
        if (n.kind != T_IDENT || n.off != t->end) {
            tok_free(&n);
            return fail(p, t->line, t->col, "expected a sweep variable name right after '$'");
        }
        int idx = sweep_index(p, n.text, n.text_len);
        if (idx < 0)
            return fail(p, n.line, n.col,
                        "unknown sweep variable '%s' (a sweep line must define it first)",
                        show(tmp, sizeof(tmp), n.text, n.text_len));
        v->kind = V_NUM;
        v->ref = REF_SWEEP;
        v->sweep = (unsigned)idx;
        p->sweep_used[idx] = true;
        v->end = n.end;
        return 0;
    }
    if (is_ident(t, "fuzz"))
        return parse_knob(p, t, v);
    if (t->kind == T_IDENT)
        return fail(p, t->line, t->col, "bare word %s is not a value (strings need quotes)",
                    describe(t, tmp, sizeof(tmp)));
    return fail(p, t->line, t->col, "expected a value, found %s", describe(t, tmp, sizeof(tmp)));
}

/* A list after its '[': items separated by ',', trailing ',' and line breaks allowed. */
static int parse_list(struct parser *p, const struct token *open, struct value *v)
{
    memset(v, 0, sizeof(*v));
    v->kind = V_LIST;
    v->line = open->line;
    v->col = open->col;
    size_t cap = 0;
    bool need_comma = false;
    for (;;) {
        struct token t;
        if (lex(p, &t))
            return -1;
        if (t.kind == T_NL)
            continue;
        if (t.kind == T_RBRACK)
            return 0;
        if (t.kind == T_EOF)
            return fail(p, open->line, open->col, "unterminated list");
        if (need_comma) {
            if (t.kind == T_COMMA) {
                need_comma = false;
                continue;
            }
            tok_free(&t);
            return fail(p, t.line, t.col, "expected ',' or ']' in list");
        }
        if (t.kind == T_LBRACK)
            return fail(p, t.line, t.col, "nested lists are not supported");
        if (v->nr_items == SCN_MAX_LIST) {
            tok_free(&t);
            return fail(p, t.line, t.col, "too many list items (max %d)", SCN_MAX_LIST);
        }
        if (v->nr_items == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct value *items = realloc(v->items, ncap * sizeof(*items));
            if (!items) {
                tok_free(&t);
                return fail(p, t.line, t.col, "out of memory");
            }
            v->items = items;
            cap = ncap;
        }
        if (scalar(p, &t, &v->items[v->nr_items]))
            return -1; /* scalar() only fails on tokens that own nothing */
        v->nr_items++;
        need_comma = true;
    }
}

static int parse_value(struct parser *p, struct value *v)
{
    struct token t;
    if (lex(p, &t))
        return -1;
    if (t.kind == T_LBRACK) {
        int rc = parse_list(p, &t, v);
        if (rc)
            value_free(v); /* a list that failed half way owns the items read so far */
        return rc;
    }
    return scalar(p, &t, v);
}

/* After a complete line: only a comment or the line ending may follow. */
static int end_of_line(struct parser *p, bool *eof)
{
    struct token t;
    if (lex(p, &t))
        return -1;
    if (t.kind == T_NL || t.kind == T_EOF) {
        *eof = t.kind == T_EOF;
        return 0;
    }
    char tmp[SHOW_MAX];
    tok_free(&t);
    return fail(p, t.line, t.col, "expected end of line, found %s", describe(&t, tmp, sizeof(tmp)));
}

/* ---------------------------------------------------------------------------------------------
 * Applying values
 */

static int check_domain_name(struct parser *p, const struct key_desc *k, const struct value *v)
{
    char tmp[SHOW_MAX];
    for (size_t i = 0; i < v->str_len; i++) {
        unsigned char c = (unsigned char)v->str[i];
        if (!(is_word(c) || c == '.' || c == '-'))
            return fail(p, v->line, v->col,
                        "invalid domain name '%s' (use 1-31 of A-Z a-z 0-9 _ . -)",
                        show(tmp, sizeof(tmp), v->str, v->str_len));
    }
    for (unsigned i = 0; i + 1 < p->out->nr_domains; i++) {
        if (!strcmp(p->out->domains[i].name, v->str))
            return fail(p, v->line, v->col, "duplicate domain name '%s' (first on line %u)", v->str,
                        p->out->domains[i].line);
    }
    return 0;
}

static void *field(struct parser *p, const struct key_desc *k)
{
    char *base = k->scope == S_GLOBAL ? (char *)p->out : (char *)p->dom;
    return base + k->off;
}

/* What a number means where it is written. */
enum num_unit {
    U_PLAIN,  /* no unit */
    U_MIB,    /* a size: bare = MiB, or K/M/G */
    U_TIME,   /* a time: needs ns/us/ms/s; the value is in ns */
    U_SIGNED, /* no unit, may be negative: two's complement, min/max unused */
};

struct numspec {
    const char *name; /* for messages: a key name or e.g. "the time" */
    enum num_unit unit;
    uint64_t min, max;
};

/* One literal (number + suffix + sign) converted for spec; ctx adds to messages. */
static int convert(struct parser *p, unsigned line, unsigned col, uint64_t n, char suf, bool neg,
                   const struct numspec *ns, const char *ctx, uint64_t *out)
{
    bool time_suf = suf == 'n' || suf == 'u' || suf == 'm' || suf == 's';
    switch (ns->unit) {
    case U_MIB:
        if (time_suf)
            return fail(p, line, col, "'%s' is a size (K, M or G), not a time%s", ns->name, ctx);
        if (suf == 'G') {
            if (n > UINT64_MAX / 1024)
                return fail(p, line, col, "number out of range%s", ctx);
            n *= 1024;
        } else if (suf == 'K') {
            if (n % 1024)
                return fail(p, line, col, "'%s' must be a whole number of MiB%s", ns->name, ctx);
            n /= 1024;
        }
        break;
    case U_TIME: {
        if (!time_suf)
            return fail(p, line, col, "%s needs a time unit (ns, us, ms or s)%s", ns->name, ctx);
        uint64_t mul = suf == 'n' ? 1 : suf == 'u' ? 1000 : suf == 'm' ? 1000000 : 1000000000;
        if (n > UINT64_MAX / mul)
            return fail(p, line, col, "time out of range%s", ctx);
        n *= mul;
        break;
    }
    case U_PLAIN:
    case U_SIGNED:
        if (suf)
            return fail(p, line, col, "'%s' does not take a unit%s", ns->name, ctx);
        break;
    }
    if (ns->unit == U_SIGNED) {
        if (n > (neg ? 1ull << 63 : (1ull << 63) - 1))
            return fail(p, line, col, "'%s' must be between -2^63 and 2^63-1%s", ns->name, ctx);
        *out = neg ? (uint64_t)0 - n : n;
        return 0;
    }
    if (neg)
        return fail(p, line, col, "'%s' cannot be negative%s", ns->name, ctx);
    if (n < ns->min || n > ns->max) {
        const char *unit = ns->unit == U_MIB ? " MiB" : ns->unit == U_TIME ? " ns" : "";
        if (ns->max == UINT64_MAX)
            return fail(p, line, col, "'%s' must be at least %llu%s%s", ns->name,
                        (unsigned long long)ns->min, unit, ctx);
        return fail(p, line, col, "'%s' must be between %llu and %llu%s%s", ns->name,
                    (unsigned long long)ns->min, (unsigned long long)ns->max, unit, ctx);
    }
    *out = n;
    return 0;
}

static bool in_range(uint64_t x, uint64_t lo, uint64_t hi, bool is_signed)
{
    return is_signed ? (int64_t)x >= (int64_t)lo && (int64_t)x <= (int64_t)hi : x >= lo && x <= hi;
}

/* A fuzz(...) value: its range, a knob entry, and this parse's value. */
static int knob_value(struct parser *p, const struct value *v, const struct numspec *ns,
                      const char *what, uint64_t *out)
{
    bool sg = ns->unit == U_SIGNED;
    uint64_t lo, hi;
    if (v->knob_full) {
        lo = sg ? 1ull << 63 : ns->min;
        hi = sg ? (1ull << 63) - 1 : ns->max;
    } else {
        const char *ctx = " (in fuzz(...))";
        if (convert(p, v->line, v->col, v->klo, v->klo_suf, v->klo_neg, ns, ctx, &lo) ||
            convert(p, v->line, v->col, v->khi, v->khi_suf, v->khi_neg, ns, ctx, &hi))
            return -1;
        if (!in_range(lo, lo, hi, sg))
            return fail(p, v->line, v->col, "fuzz(A..B) needs A <= B");
    }
    struct scenario *s = p->out;
    if (s->nr_knobs == SCN_MAX_KNOBS)
        return fail(p, v->line, v->col, "too many fuzz(...) values (max %d)", SCN_MAX_KNOBS);
    unsigned i = s->nr_knobs++;
    struct scn_knob *k = &s->knobs[i];
    k->line = v->line;
    k->col = v->col;
    k->off = v->off;
    k->len = v->end - v->off;
    k->lo = lo;
    k->hi = hi;
    k->unit = ns->unit == U_TIME ? 'n' : sg ? '-' : 0;
    snprintf(k->what, sizeof(k->what), "%s", what);
    k->value = lo;
    if (p->bind && i < p->bind->nr_knobs && !p->bind->knob_default[i]) {
        k->value = p->bind->knob_value[i];
        if (!in_range(k->value, lo, hi, sg))
            return fail(p, v->line, v->col, "knob %u (%s) value %llu is outside its range", i + 1,
                        what, (unsigned long long)k->value);
    }
    *out = k->value;
    return 0;
}

/* A number value (literal, $sweep or fuzz(...)) as spec wants it. */
static int number_of(struct parser *p, const struct value *v, const struct numspec *ns,
                     const char *what, uint64_t *out)
{
    if (v->kind != V_NUM)
        return fail(p, v->line, v->col, "%s expects a number", ns->name);
    if (v->ref == REF_KNOB)
        return knob_value(p, v, ns, what, out);
    if (v->ref == REF_SWEEP) {
        const struct scn_sweep *sw = &p->out->sweeps[v->sweep];
        char ctx[96];
        uint64_t raw = sweep_value(p, v->sweep);
        snprintf(ctx, sizeof(ctx), " (sweep '%s' = %llu)", sw->name, (unsigned long long)raw);
        return convert(p, v->line, v->col, raw, sw->unit, false, ns, ctx, out);
    }
    return convert(p, v->line, v->col, v->num, v->suffix, v->neg, ns, "", out);
}

static int apply_number(struct parser *p, const struct key_desc *k, const struct value *v)
{
    struct numspec ns = {k->name, k->type == K_MIB ? U_MIB : U_PLAIN, k->min, k->max};
    uint64_t n;
    if (number_of(p, v, &ns, k->name, &n))
        return -1;
    if (k->type == K_UINT)
        *(unsigned *)field(p, k) = (unsigned)n;
    else
        *(uint64_t *)field(p, k) = n;
    return 0;
}

static int apply_string(struct parser *p, const struct key_desc *k, struct value *v)
{
    if (k->min && v->str_len == 0)
        return fail(p, v->line, v->col, "'%s' must not be empty", k->name);
    if (k->type == K_WORD) {
        for (const char *const *w = k->words; *w; w++) {
            if (!strcmp(*w, v->str)) {
                strcpy(field(p, k), *w);
                return 0;
            }
        }
        char tmp[SHOW_MAX];
        show(tmp, sizeof(tmp), v->str, v->str_len);
        const char *s = suggest_word(v->str, v->str_len, k->words);
        if (s)
            return fail(p, v->line, v->col, "invalid value '%s' for '%s' (did you mean '%s'?)", tmp,
                        k->name, s);
        char list[256];
        size_t o = 0;
        for (const char *const *w = k->words; *w && o < sizeof(list); w++)
            o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "", *w);
        return fail(p, v->line, v->col, "invalid value '%s' for '%s' (one of: %s)", tmp, k->name,
                    list);
    }
    if (k->type == K_STR_MULTI) {
        unsigned *count = (unsigned *)((char *)p->dom + k->count_off);
        char **slots = field(p, k);
        if (*count == SCN_MAX_EXPECT)
            return fail(p, v->line, v->col, "too many '%s' entries (max %d)", k->name,
                        SCN_MAX_EXPECT);
        slots[(*count)++] = v->str;
        v->str = NULL;
        return 0;
    }
    if (v->str_len >= k->size)
        return fail(p, v->line, v->col, "'%s' is too long (max %zu bytes)", k->name, k->size - 1);
    if (k->check && k->check(p, k, v))
        return -1;
    memcpy(field(p, k), v->str, v->str_len + 1);
    return 0;
}

/* modules = [...] and disk = [...]: strings, each checked, owned by the scenario. */
static int apply_list(struct parser *p, const struct key_desc *k, struct value *v)
{
    unsigned *count = (unsigned *)((char *)p->dom + k->count_off);
    char **slots = field(p, k);
    if (v->nr_items > SCN_MAX_MODULES)
        return fail(p, v->items[SCN_MAX_MODULES].line, v->items[SCN_MAX_MODULES].col,
                    "too many '%s' entries (max %d)", k->name, SCN_MAX_MODULES);
    for (size_t i = 0; i < v->nr_items; i++) {
        struct value *it = &v->items[i];
        if (it->kind != V_STR)
            return fail(p, it->line, it->col, "'%s' entries are strings", k->name);
        if (!it->str_len)
            return fail(p, it->line, it->col, "'%s' entries must not be empty", k->name);
        if (k->check && k->check(p, k, it))
            return -1;
    }
    for (size_t i = 0; i < v->nr_items; i++) {
        slots[(*count)++] = v->items[i].str;
        v->items[i].str = NULL;
    }
    return 0;
}

/* time_refresh: "xen", "periodic:<ms>", "on-timer" or "frozen". */
static int check_refresh(struct parser *p, const struct key_desc *k, const struct value *v)
{
    static const char *const words[] = {"xen", "periodic:10", "on-timer", "frozen", NULL};
    struct scenario *s = p->out;
    if (!strcmp(v->str, "xen")) {
        s->refresh = SCN_REFRESH_XEN;
        return 0;
    }
    if (!strcmp(v->str, "on-timer")) {
        s->refresh = SCN_REFRESH_ON_TIMER;
        return 0;
    }
    if (!strcmp(v->str, "frozen")) {
        s->refresh = SCN_REFRESH_FROZEN;
        return 0;
    }
    if (!strncmp(v->str, "periodic:", 9)) {
        const char *d = v->str + 9;
        uint64_t ms = 0;
        size_t n = strlen(d);
        for (size_t i = 0; i < n; i++) {
            if (!is_digit((unsigned char)d[i]) || ms > 60000)
                return fail(p, v->line, v->col,
                            "'periodic:<ms>' needs a whole number of milliseconds, 1 to 60000");
            ms = ms * 10 + (uint64_t)(d[i] - '0');
        }
        if (!n || ms < 1 || ms > 60000)
            return fail(p, v->line, v->col,
                        "'periodic:<ms>' needs a whole number of milliseconds, 1 to 60000");
        s->refresh = SCN_REFRESH_PERIODIC;
        s->refresh_period_ms = ms;
        return 0;
    }
    char tmp[SHOW_MAX];
    show(tmp, sizeof(tmp), v->str, v->str_len);
    const char *sug = suggest_word(v->str, v->str_len, words);
    if (sug)
        return fail(p, v->line, v->col, "invalid value '%s' for '%s' (did you mean '%s'?)", tmp,
                    k->name, sug);
    return fail(p, v->line, v->col,
                "invalid value '%s' for '%s' (one of: xen, periodic:<ms>, on-timer, frozen)", tmp,
                k->name);
}

/*
 * One xl disk spec: comma-separated, positional `target,format,vdev,access`
 * or `key=value` with key one of target, format, vdev, access, devtype,
 * backendtype (xl-disk-configuration's basic forms). Defaults as xl's:
 * format raw, access rw.
 */
int scn_parse_disk(const char *spec, struct scn_disk *out, char *err, size_t errlen)
{
    static const char *const keys_[] = {"target",  "format",      "vdev", "access",
                                        "devtype", "backendtype", NULL};
    static const char *const formats[] = {"raw", "qcow", "qcow2", "vhd", "qed", "empty", NULL};
    static const char *const access[] = {"r", "ro", "w", "rw", NULL};
    char tmp[SHOW_MAX];
    const char *str = spec;
    unsigned pos = 0;
    *out = (struct scn_disk){.format = "raw", .access = "rw"};
    while (str) {
        const char *comma = strchr(str, ',');
        size_t n = comma ? (size_t)(comma - str) : strlen(str);
        while (n && (*str == ' ' || *str == '\t')) { /* spaces around a parameter are fine */
            str++;
            n--;
        }
        while (n && (str[n - 1] == ' ' || str[n - 1] == '\t'))
            n--;
        const char *eq = memchr(str, '=', n);
        const char *key, *val;
        size_t kn, vn;
        if (eq) {
            key = str;
            kn = (size_t)(eq - str);
            val = eq + 1;
            vn = n - kn - 1;
            bool known = false;
            for (const char *const *w = keys_; *w; w++)
                known |= strlen(*w) == kn && !memcmp(*w, key, kn);
            if (!known) {
                const char *sug = suggest_word(key, kn, keys_);
                show(tmp, sizeof(tmp), key, kn);
                if (sug)
                    snprintf(err, errlen, "disk spec: unknown key '%s' (did you mean '%s'?)", tmp,
                             sug);
                else
                    snprintf(err, errlen, "disk spec: unknown key '%s'", tmp);
                return -1;
            }
        } else {
            static const char *const order[] = {"target", "format", "vdev", "access"};
            if (pos >= 4) {
                snprintf(err, errlen,
                         "disk spec: too many positional parameters (target,format,vdev,access)");
                return -1;
            }
            key = order[pos++];
            kn = strlen(key);
            val = str;
            vn = n;
        }
        if (!vn && strncmp(key, "target", kn)) {
            snprintf(err, errlen, "disk spec: '%.*s' has no value", (int)kn, key);
            return -1;
        }
        const char *const *allowed = !strncmp(key, "format", kn)   ? formats
                                     : !strncmp(key, "access", kn) ? access
                                                                   : NULL;
        if (allowed) {
            bool ok = false;
            for (const char *const *w = allowed; *w; w++)
                ok |= strlen(*w) == vn && !memcmp(*w, val, vn);
            if (!ok) {
                snprintf(err, errlen, "disk spec: invalid %.*s '%s'", (int)kn, key,
                         show(tmp, sizeof(tmp), val, vn));
                return -1;
            }
        }
        char *dst = NULL;
        size_t cap = 0;
#define FIELD(name)                                                                                \
    if (kn == strlen(#name) && !memcmp(key, #name, kn)) {                                          \
        dst = out->name;                                                                           \
        cap = sizeof(out->name);                                                                   \
    }
        FIELD(target)
        FIELD(format)
        FIELD(vdev)
        FIELD(access)
        FIELD(devtype)
        FIELD(backendtype)
#undef FIELD
        if (vn >= cap) {
            snprintf(err, errlen, "disk spec: %.*s is too long (at most %zu characters)", (int)kn,
                     key, cap - 1);
            return -1;
        }
        memcpy(dst, val, vn);
        dst[vn] = 0;
        str = comma ? comma + 1 : NULL;
    }
    if (!out->vdev[0]) {
        snprintf(err, errlen, "disk spec: no vdev (e.g. \"vdev=xvda\")");
        return -1;
    }
    if (!out->target[0]) {
        snprintf(err, errlen, "disk spec: no target (the image file)");
        return -1;
    }
    return 0;
}

static int check_disk(struct parser *p, const struct key_desc *k, const struct value *v)
{
    struct scn_disk dk;
    char err[SHOW_MAX + 96];
    (void)k;
    if (scn_parse_disk(v->str, &dk, err, sizeof(err)))
        return fail(p, v->line, v->col, "%s", err);
    return 0;
}

static int apply(struct parser *p, const struct key_desc *k, const struct token *key,
                 struct value *v)
{
    size_t idx = (size_t)(k - keys);
    if (k->type != K_STR_MULTI) {
        if (p->seen & (1ull << idx))
            return fail(p, key->line, key->col, "duplicate key '%s'", k->name);
    }
    unsigned *line = p->dom ? &p->dom->key_lines[idx] : &p->out->key_lines[idx];
    if (k->type == K_LIST) {
        if (v->kind != V_LIST)
            return fail(p, v->line, v->col, "'%s' expects a list of strings, e.g. [\"a\", \"b\"]",
                        k->name);
        if (!*line)
            *line = key->line;
        p->seen |= 1ull << idx;
        return apply_list(p, k, v);
    }
    bool want_num = k->type == K_U64 || k->type == K_UINT || k->type == K_MIB;
    if (v->kind == V_LIST)
        return fail(p, v->line, v->col, "'%s' expects %s, not a list", k->name,
                    want_num ? "a number" : "a string");
    if (want_num != (v->kind == V_NUM))
        return fail(p, v->line, v->col, "'%s' expects %s", k->name,
                    want_num ? "a number" : "a string");
    if (!*line)
        *line = key->line;
    p->seen |= 1ull << idx;
    return want_num ? apply_number(p, k, v) : apply_string(p, k, v);
}

static const struct key_desc *find_key(const char *s, size_t n)
{
    for (size_t i = 0; i < NR_KEYS; i++) {
        if (strlen(keys[i].name) == n && !memcmp(keys[i].name, s, n))
            return &keys[i];
    }
    return NULL;
}

/* `key = value` whose key token has been read. */
static int parse_assignment(struct parser *p, const struct token *key, bool *eof)
{
    char tmp[SHOW_MAX];
    const struct key_desc *k = find_key(key->text, key->text_len);
    if (!k) {
        show(tmp, sizeof(tmp), key->text, key->text_len);
        const char *s = suggest_key(p, key->text, key->text_len);
        if (s)
            return fail(p, key->line, key->col, "unknown key '%s' (did you mean '%s'?)", tmp, s);
        return fail(p, key->line, key->col, "unknown key '%s'", tmp);
    }
    if (k->scope == S_GLOBAL && p->sec != SEC_GLOBAL && p->sec != SEC_MACHINE)
        return fail(p, key->line, key->col, "'%s' must come before the first [%s]", k->name,
                    p->sec == SEC_DOMAIN ? "domain" : section_names[p->sec]);
    if (k->scope == S_DOMAIN && !p->dom)
        return fail(p, key->line, key->col, "'%s' is only allowed in a [domain] section", k->name);

    struct token t;
    if (lex(p, &t))
        return -1;
    if (t.kind != T_EQ) {
        tok_free(&t);
        return fail(p, t.line, t.col, "expected '=' after '%s', found %s", k->name,
                    describe(&t, tmp, sizeof(tmp)));
    }
    struct value v;
    memset(&v, 0, sizeof(v));
    int rc = parse_value(p, &v);
    if (!rc)
        rc = end_of_line(p, eof);
    if (!rc)
        rc = apply(p, k, key, &v);
    value_free(&v);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * [timeline], [expect] and sweep lines: small statements of words, numbers and strings.
 */

struct name_nr {
    const char *name;
    uint32_t nr;
};

/* Xen's hypercall numbers (xen.h), by the names the trace prints. */
static const struct name_nr hypercall_names[] = {
    {"set_trap_table", 0},
    {"mmu_update", 1},
    {"set_gdt", 2},
    {"stack_switch", 3},
    {"set_callbacks", 4},
    {"fpu_taskswitch", 5},
    {"sched_op_compat", 6},
    {"platform_op", 7},
    {"set_debugreg", 8},
    {"get_debugreg", 9},
    {"update_descriptor", 10},
    {"memory_op", 12},
    {"multicall", 13},
    {"update_va_mapping", 14},
    {"set_timer_op", 15},
    {"event_channel_op_compat", 16},
    {"xen_version", 17},
    {"console_io", 18},
    {"physdev_op_compat", 19},
    {"grant_table_op", 20},
    {"vm_assist", 21},
    {"update_va_mapping_otherdomain", 22},
    {"iret", 23},
    {"vcpu_op", 24},
    {"set_segment_base", 25},
    {"mmuext_op", 26},
    {"xsm_op", 27},
    {"nmi_op", 28},
    {"sched_op", 29},
    {"callback_op", 30},
    {"xenoprof_op", 31},
    {"event_channel_op", 32},
    {"physdev_op", 33},
    {NULL, 0},
};

/* Sub-ops (the first argument) by hypercall, from sched.h, vcpu.h and event_channel.h. */
static const struct name_nr sched_subops[] = {
    {"yield", 0},         {"block", 1},    {"shutdown", 2},     {"poll", 3}, {"remote_shutdown", 4},
    {"shutdown_code", 5}, {"watchdog", 6}, {"pin_override", 7}, {NULL, 0},
};
static const struct name_nr vcpu_subops[] = {
    {"initialise", 0},
    {"up", 1},
    {"down", 2},
    {"is_up", 3},
    {"get_runstate_info", 4},
    {"register_runstate_memory_area", 5},
    {"set_periodic_timer", 6},
    {"stop_periodic_timer", 7},
    {"set_singleshot_timer", 8},
    {"stop_singleshot_timer", 9},
    {"register_vcpu_info", 10},
    {"send_nmi", 11},
    {"get_physid", 12},
    {"register_vcpu_time_memory_area", 13},
    {NULL, 0},
};
static const struct name_nr evtchn_subops[] = {
    {"bind_interdomain", 0},
    {"bind_virq", 1},
    {"bind_pirq", 2},
    {"close", 3},
    {"send", 4},
    {"status", 5},
    {"alloc_unbound", 6},
    {"bind_ipi", 7},
    {"bind_vcpu", 8},
    {"unmask", 9},
    {"reset", 10},
    {"init_control", 11},
    {"expand_array", 12},
    {"set_priority", 13},
    {NULL, 0},
};
static const struct name_nr vectors[] = {
    {"DE", 0},  {"DB", 1},  {"NMI", 2}, {"BP", 3},  {"OF", 4},  {"BR", 5},  {"UD", 6},
    {"NM", 7},  {"DF", 8},  {"TS", 10}, {"NP", 11}, {"SS", 12}, {"GP", 13}, {"PF", 14},
    {"MF", 16}, {"AC", 17}, {"MC", 18}, {"XM", 19}, {"VE", 20}, {"CP", 21}, {NULL, 0},
};
/* TR_EMUL_* of hv/trace.h. */
static const struct name_nr emulations[] = {
    {"rdtsc", 1}, {"cpuid", 2}, {"cr3_read", 3}, {"rdtscp", 4}, {NULL, 0},
};
static const struct name_nr reasons[] = {
    {"poweroff", 0}, {"reboot", 1},     {"suspend", 2}, {"crash", 3},
    {"watchdog", 4}, {"soft_reset", 5}, {NULL, 0},
};

static const struct name_nr *lookup(const struct name_nr *t, const char *s, size_t n)
{
    for (; t->name; t++)
        if (strlen(t->name) == n && !memcmp(t->name, s, n))
            return t;
    return NULL;
}

/* "unknown X 'word' (did you mean 'Y'?)" over a name table. */
static int unknown_name(struct parser *p, const struct token *t, const char *what,
                        const struct name_nr *table)
{
    const char *words[64];
    size_t n = 0;
    for (const struct name_nr *e = table; e->name && n + 1 < sizeof(words) / sizeof(words[0]); e++)
        words[n++] = e->name;
    words[n] = NULL;
    char tmp[SHOW_MAX];
    show(tmp, sizeof(tmp), t->text, t->text_len);
    const char *s = suggest_word(t->text, t->text_len, words);
    if (s)
        return fail(p, t->line, t->col, "unknown %s '%s' (did you mean '%s'?)", what, tmp, s);
    return fail(p, t->line, t->col, "unknown %s '%s'", what, tmp);
}

/* Statement tokens: one token of look-ahead. */
static int peek(struct parser *p, struct token *t)
{
    size_t pos = p->pos;
    unsigned line = p->line;
    size_t ls = p->line_start;
    bool failed = p->failed;
    int rc = lex(p, t);
    p->pos = pos;
    p->line = line;
    p->line_start = ls;
    if (rc)
        p->failed = failed; /* the real read reports it */
    tok_free(t);
    return 0;
}

static int expect_tok(struct parser *p, struct token *t, enum tok_kind kind, const char *what)
{
    if (lex(p, t))
        return -1;
    if (t->kind == kind)
        return 0;
    char tmp[SHOW_MAX];
    tok_free(t);
    return fail(p, t->line, t->col, "expected %s, found %s", what, describe(t, tmp, sizeof(tmp)));
}

/* A number in a statement (literal, $sweep or fuzz(...)). */
static int stmt_number(struct parser *p, const struct numspec *ns, const char *what, uint64_t *out)
{
    struct token t;
    struct value v;
    if (lex(p, &t))
        return -1;
    if (t.kind == T_NL || t.kind == T_EOF) {
        char tmp[SHOW_MAX];
        return fail(p, t.line, t.col, "expected %s, found %s", ns->name,
                    describe(&t, tmp, sizeof(tmp)));
    }
    if (scalar(p, &t, &v))
        return -1;
    int rc = v.kind == V_NUM ? number_of(p, &v, ns, what, out)
                             : fail(p, v.line, v.col, "expected %s, found a string", ns->name);
    value_free(&v);
    return rc;
}

/* A domain named by a word or a string: remembered, resolved when the file is read. */
static int stmt_domain(struct parser *p, int *slot)
{
    struct token t;
    char tmp[SHOW_MAX];
    if (lex(p, &t))
        return -1;
    const char *name;
    size_t n;
    if (t.kind == T_IDENT) {
        name = t.text;
        n = t.text_len;
    } else if (t.kind == T_STR) {
        name = t.str;
        n = t.str_len;
    } else {
        tok_free(&t);
        return fail(p, t.line, t.col, "expected a domain name, found %s",
                    describe(&t, tmp, sizeof(tmp)));
    }
    if (n == 0 || n >= sizeof(p->refs[0].name) ||
        p->nr_refs == sizeof(p->refs) / sizeof(p->refs[0])) {
        tok_free(&t);
        return fail(p, t.line, t.col, "invalid domain name");
    }
    struct dom_ref *r = &p->refs[p->nr_refs++];
    memcpy(r->name, name, n);
    r->name[n] = '\0';
    r->slot = slot;
    r->line = t.line;
    r->col = t.col;
    tok_free(&t);
    *slot = -1;
    return 0;
}

static int resolve_refs(struct parser *p)
{
    for (unsigned i = 0; i < p->nr_refs; i++) {
        struct dom_ref *r = &p->refs[i];
        unsigned j;
        for (j = 0; j < p->out->nr_domains; j++)
            if (!strcmp(p->out->domains[j].name, r->name))
                break;
        if (j == p->out->nr_domains) {
            char tmp[SHOW_MAX];
            return fail(p, r->line, r->col, "no domain named '%s'",
                        show(tmp, sizeof(tmp), r->name, strlen(r->name)));
        }
        *r->slot = (int)j;
    }
    return 0;
}

/* The source text of a statement, for reports: from off to the end of its line. */
static void stmt_text(const struct parser *p, size_t off, char *dst, size_t dstlen)
{
    size_t end = off;
    char quote = 0;
    while (end < p->len && p->buf[end] != '\n' && (quote || p->buf[end] != '#') &&
           end - off < dstlen - 1) {
        char c = p->buf[end];
        if (quote && c == '\\' && end + 1 < p->len && p->buf[end + 1] != '\n')
            end++;
        else if (c == '"' || c == '\'')
            quote = quote == c ? 0 : quote ? quote : c;
        end++;
    }
    while (end > off &&
           (p->buf[end - 1] == ' ' || p->buf[end - 1] == '\t' || p->buf[end - 1] == '\r'))
        end--;
    show(dst, dstlen, p->buf + off, end - off);
}

static const struct numspec NS_PORT = {"a port", U_PLAIN, 1, 4095};
static const struct numspec NS_COUNT = {"a count", U_PLAIN, 1, UINT64_MAX};
static const struct numspec NS_TIME = {"the time", U_TIME, 0, UINT64_MAX};

/*
 * PATTERN [in DOMAIN]:
 *   hypercall NAME [SUBOP] | trap VECTOR | event [PORT] | emulate WHAT
 *   | console "TEXT" | shutdown [REASON] | crash
 */
static int parse_pattern(struct parser *p, struct scn_pattern *pat, const char *what)
{
    struct token t, n;
    size_t start = p->pos;
    memset(pat, 0, sizeof(*pat));
    pat->dom = -1;
    if (expect_tok(p, &t, T_IDENT,
                   "an event (hypercall, trap, event, emulate, console, shutdown, crash)"))
        return -1;
    static const struct name_nr kinds[] = {
        {"hypercall", SCN_EV_HYPERCALL}, {"trap", SCN_EV_TRAP},
        {"event", SCN_EV_EVENT},         {"emulate", SCN_EV_EMULATE},
        {"console", SCN_EV_CONSOLE},     {"shutdown", SCN_EV_SHUTDOWN},
        {"crash", SCN_EV_CRASH},         {NULL, 0},
    };
    const struct name_nr *k = lookup(kinds, t.text, t.text_len);
    if (!k)
        return unknown_name(p, &t, "event", kinds);
    pat->kind = (enum scn_ev_kind)k->nr;
    switch (pat->kind) {
    case SCN_EV_HYPERCALL: {
        if (expect_tok(p, &n, T_IDENT, "a hypercall name"))
            return -1;
        const struct name_nr *h = lookup(hypercall_names, n.text, n.text_len);
        if (!h)
            return unknown_name(p, &n, "hypercall", hypercall_names);
        pat->has_nr = true;
        pat->nr = h->nr;
        const struct name_nr *subs = h->nr == 29   ? sched_subops
                                     : h->nr == 24 ? vcpu_subops
                                     : h->nr == 32 ? evtchn_subops
                                                   : NULL;
        struct token s;
        peek(p, &s);
        if (s.kind == T_NUM) {
            if (stmt_number(p, &(struct numspec){"a sub-op", U_PLAIN, 0, UINT64_MAX}, what,
                            &pat->sub))
                return -1;
            pat->has_sub = true;
        } else if (s.kind == T_IDENT && subs && !is_ident(&s, "in") && !is_ident(&s, "count") &&
                   !is_ident(&s, "during") && !is_ident(&s, "from")) {
            lex(p, &s);
            const struct name_nr *so = lookup(subs, s.text, s.text_len);
            if (so) {
                pat->has_sub = true;
                pat->sub = so->nr;
            } else {
                /* Not a sub-op: an action word follows (on ... pause x). Typos of sub-ops fail. */
                const char *words[48];
                size_t nw = 0;
                for (const struct name_nr *e = subs; e->name && nw + 1 < 48; e++)
                    words[nw++] = e->name;
                words[nw] = NULL;
                if (suggest_word(s.text, s.text_len, words))
                    return unknown_name(p, &s, "sub-op", subs);
                p->pos = s.off; /* give the word back */
            }
        }
        break;
    }
    case SCN_EV_TRAP: {
        if (lex(p, &n))
            return -1;
        const struct name_nr *vec = NULL;
        if (n.kind == T_IDENT)
            vec = lookup(vectors, n.text, n.text_len);
        else if (n.kind == T_STR && n.str_len > 1 && n.str[0] == '#')
            vec = lookup(vectors, n.str + 1, n.str_len - 1);
        if (n.kind == T_NUM) {
            if (n.suffix || n.num > 255) {
                return fail(p, n.line, n.col, "a vector is 0 to 255");
            }
            pat->nr = (uint32_t)n.num;
        } else if (vec) {
            pat->nr = vec->nr;
        } else if (n.kind == T_IDENT) {
            return unknown_name(p, &n, "vector", vectors);
        } else {
            char tmp[SHOW_MAX];
            tok_free(&n);
            return fail(p, n.line, n.col, "expected a vector (GP, \"#GP\" or 13), found %s",
                        describe(&n, tmp, sizeof(tmp)));
        }
        tok_free(&n);
        pat->has_nr = true;
        break;
    }
    case SCN_EV_EVENT: {
        struct token s;
        peek(p, &s);
        if (s.kind == T_NUM || s.kind == T_DOLLAR || is_ident(&s, "fuzz")) {
            uint64_t port;
            if (stmt_number(p, &NS_PORT, what, &port))
                return -1;
            pat->has_nr = true;
            pat->nr = (uint32_t)port;
        }
        break;
    }
    case SCN_EV_EMULATE: {
        if (expect_tok(p, &n, T_IDENT, "what is emulated (rdtsc, rdtscp, cpuid, cr3_read)"))
            return -1;
        const struct name_nr *e = lookup(emulations, n.text, n.text_len);
        if (!e)
            return unknown_name(p, &n, "emulation", emulations);
        pat->has_nr = true;
        pat->nr = e->nr;
        break;
    }
    case SCN_EV_CONSOLE:
        if (expect_tok(p, &n, T_STR, "the console text to look for (a string)"))
            return -1;
        if (!n.str_len) {
            tok_free(&n);
            return fail(p, n.line, n.col, "the console text must not be empty");
        }
        pat->text = n.str;
        break;
    case SCN_EV_SHUTDOWN: {
        struct token s;
        peek(p, &s);
        if (s.kind == T_IDENT && lookup(reasons, s.text, s.text_len)) {
            lex(p, &s);
            pat->has_nr = true;
            pat->nr = lookup(reasons, s.text, s.text_len)->nr;
        }
        break;
    }
    case SCN_EV_CRASH:
        break;
    }
    struct token s;
    peek(p, &s);
    if (is_ident(&s, "in")) {
        lex(p, &s);
        if (stmt_domain(p, &pat->dom))
            return -1;
    }
    /* The pattern as written: from its first word to where it ended. */
    while (start < p->pos && (p->buf[start] == ' ' || p->buf[start] == '\t'))
        start++;
    show(pat->desc, sizeof(pat->desc), p->buf + start, p->pos - start);
    return 0;
}

/*
 * ACTION:
 *   pause D | unpause D | destroy D | send D PORT | tsc_jump DELTA
 *   | tsc_warp D VCPU DELTA | write D ADDR ("BYTES" | [b, ...]) | stop
 */
static int parse_action(struct parser *p, struct scn_action *a, const char *what)
{
    struct token t;
    static const struct name_nr actions[] = {
        {"pause", SCN_ACT_PAUSE}, {"unpause", SCN_ACT_UNPAUSE},   {"destroy", SCN_ACT_DESTROY},
        {"send", SCN_ACT_SEND},   {"tsc_jump", SCN_ACT_TSC_JUMP}, {"tsc_warp", SCN_ACT_TSC_WARP},
        {"write", SCN_ACT_WRITE}, {"stop", SCN_ACT_STOP},         {NULL, 0},
    };
    if (expect_tok(p, &t, T_IDENT,
                   "an action (pause, unpause, destroy, send, tsc_jump, tsc_warp, write, stop)"))
        return -1;
    const struct name_nr *k = lookup(actions, t.text, t.text_len);
    if (!k)
        return unknown_name(p, &t, "action", actions);
    a->kind = (enum scn_action_kind)k->nr;
    a->dom = -1;
    const struct numspec delta = {"a TSC delta in cycles", U_SIGNED, 0, 0};
    switch (a->kind) {
    case SCN_ACT_PAUSE:
    case SCN_ACT_UNPAUSE:
    case SCN_ACT_DESTROY:
        return stmt_domain(p, &a->dom);
    case SCN_ACT_SEND:
        return stmt_domain(p, &a->dom) || stmt_number(p, &NS_PORT, what, &a->port);
    case SCN_ACT_TSC_JUMP:
        return stmt_number(p, &delta, what, (uint64_t *)&a->delta);
    case SCN_ACT_TSC_WARP: {
        uint64_t vcpu;
        if (stmt_domain(p, &a->dom) ||
            stmt_number(p, &(struct numspec){"a vCPU number", U_PLAIN, 0, 7}, what, &vcpu) ||
            stmt_number(p, &delta, what, (uint64_t *)&a->delta))
            return -1;
        a->vcpu = (unsigned)vcpu;
        return 0;
    }
    case SCN_ACT_WRITE: {
        struct value v;
        if (stmt_domain(p, &a->dom) ||
            stmt_number(p, &(struct numspec){"a guest-physical address", U_PLAIN, 0, UINT64_MAX},
                        what, &a->addr) ||
            parse_value(p, &v))
            return -1;
        size_t n = v.kind == V_STR ? v.str_len : v.kind == V_LIST ? v.nr_items : 0;
        if (v.kind == V_NUM || !n || n > SCN_MAX_WRITE) {
            unsigned line = v.line, col = v.col;
            value_free(&v);
            return fail(p, line, col,
                        "write needs 1 to %d bytes: a string (\"\\x90\\x90\") or a list of bytes",
                        SCN_MAX_WRITE);
        }
        a->bytes = malloc(n);
        if (!a->bytes) {
            value_free(&v);
            return fail(p, a->line, 1, "out of memory");
        }
        a->nbytes = n;
        for (size_t i = 0; i < n; i++) {
            if (v.kind == V_STR) {
                a->bytes[i] = (uint8_t)v.str[i];
                continue;
            }
            uint64_t b;
            if (number_of(p, &v.items[i], &(struct numspec){"a byte", U_PLAIN, 0, 255}, what, &b)) {
                value_free(&v);
                return -1;
            }
            a->bytes[i] = (uint8_t)b;
        }
        value_free(&v);
        return 0;
    }
    case SCN_ACT_STOP:
        return 0;
    }
    return 0;
}

/* `at TIME ACTION` or `on PATTERN [count N] ACTION` whose first word has been read. */
static int parse_timeline_line(struct parser *p, const struct token *first, bool *eof)
{
    struct scenario *s = p->out;
    if (s->nr_actions == SCN_MAX_ACTIONS)
        return fail(p, first->line, first->col, "too many timeline lines (max %d)",
                    SCN_MAX_ACTIONS);
    struct scn_action *a = &s->actions[s->nr_actions++];
    memset(a, 0, sizeof(*a));
    a->line = first->line;
    a->count = 1;
    char what[64];
    snprintf(what, sizeof(what), "timeline line %u", first->line);
    if (is_ident(first, "at")) {
        if (stmt_number(p, &NS_TIME, what, &a->at_ns))
            return -1;
    } else if (is_ident(first, "on")) {
        a->on_event = true;
        if (parse_pattern(p, &a->when, what))
            return -1;
        struct token t;
        peek(p, &t);
        if (is_ident(&t, "count")) {
            lex(p, &t);
            if (stmt_number(p, &NS_COUNT, what, &a->count))
                return -1;
        }
    } else {
        char tmp[SHOW_MAX];
        return fail(p, first->line, first->col, "a timeline line starts with 'at' or 'on', not %s",
                    describe(first, tmp, sizeof(tmp)));
    }
    if (parse_action(p, a, what))
        return -1;
    stmt_text(p, first->off, a->text, sizeof(a->text));
    return end_of_line(p, eof);
}

/* `count PATTERN [during A..B | from A] CMP N` or `never PATTERN [during ...]`. */
static int parse_expect_line(struct parser *p, const struct token *first, bool *eof)
{
    struct scenario *s = p->out;
    bool never = is_ident(first, "never");
    if (!never && !is_ident(first, "count")) {
        char tmp[SHOW_MAX];
        return fail(p, first->line, first->col,
                    "an [expect] line starts with 'count' or 'never', not %s",
                    describe(first, tmp, sizeof(tmp)));
    }
    if (s->nr_texpects == SCN_MAX_TRACE_EXPECT)
        return fail(p, first->line, first->col, "too many [expect] lines (max %d)",
                    SCN_MAX_TRACE_EXPECT);
    struct scn_trace_expect *e = &s->texpects[s->nr_texpects++];
    memset(e, 0, sizeof(*e));
    e->line = first->line;
    e->to_ns = UINT64_MAX;
    char what[64];
    snprintf(what, sizeof(what), "[expect] line %u", first->line);
    if (parse_pattern(p, &e->pat, what))
        return -1;
    struct token t;
    peek(p, &t);
    if (is_ident(&t, "during")) {
        lex(p, &t);
        struct token dd;
        if (stmt_number(p, &NS_TIME, what, &e->from_ns) ||
            expect_tok(p, &dd, T_DOTDOT, "'..' (during A..B)") ||
            stmt_number(p, &NS_TIME, what, &e->to_ns))
            return -1;
        if (e->to_ns <= e->from_ns)
            return fail(p, dd.line, dd.col, "the window A..B needs A < B");
    } else if (is_ident(&t, "from")) {
        lex(p, &t);
        if (stmt_number(p, &NS_TIME, what, &e->from_ns))
            return -1;
    }
    if (never) {
        e->cmp = SCN_EQ;
        e->n = 0;
    } else {
        struct token c;
        if (expect_tok(p, &c, T_CMP, "a comparison (>=, <=, ==, !=, >, <)"))
            return -1;
        e->cmp = c.cmp;
        if (stmt_number(p, &(struct numspec){"a count", U_PLAIN, 0, UINT64_MAX}, what, &e->n))
            return -1;
    }
    stmt_text(p, first->off, e->text, sizeof(e->text));
    return end_of_line(p, eof);
}

/* `sweep NAME = A..B step S` or `sweep NAME = [v, ...]` whose `sweep` has been read. */
static int parse_sweep(struct parser *p, const struct token *kw, bool *eof)
{
    struct scenario *s = p->out;
    char tmp[SHOW_MAX];
    struct token name, t;
    if (expect_tok(p, &name, T_IDENT, "a sweep variable name"))
        return -1;
    if (name.text_len >= sizeof(s->sweeps[0].name))
        return fail(p, name.line, name.col, "sweep name too long (max %zu bytes)",
                    sizeof(s->sweeps[0].name) - 1);
    if (sweep_index(p, name.text, name.text_len) >= 0)
        return fail(p, name.line, name.col, "duplicate sweep '%s'",
                    show(tmp, sizeof(tmp), name.text, name.text_len));
    if (s->nr_sweeps == SCN_MAX_SWEEPS)
        return fail(p, kw->line, kw->col, "too many sweeps (max %d)", SCN_MAX_SWEEPS);
    if (expect_tok(p, &t, T_EQ, "'='"))
        return -1;
    struct scn_sweep *sw = &s->sweeps[s->nr_sweeps];
    memset(sw, 0, sizeof(*sw));
    memcpy(sw->name, name.text, name.text_len);
    sw->line = kw->line;
    sw->off = kw->off;
    struct value v;
    if (parse_value(p, &v))
        return -1;
    int rc = 0;
    if (v.kind == V_LIST) {
        if (!v.nr_items || v.nr_items > SCN_MAX_SWEEP_VALUES) {
            rc = fail(p, v.line, v.col, "a sweep takes 1 to %d values", SCN_MAX_SWEEP_VALUES);
            goto out;
        }
        sw->values = malloc(v.nr_items * sizeof(uint64_t));
        if (!sw->values) {
            rc = fail(p, v.line, v.col, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < v.nr_items; i++) {
            struct value *it = &v.items[i];
            if (it->kind != V_NUM || it->ref != REF_NONE || it->neg) {
                rc = fail(p, it->line, it->col, "sweep values are plain numbers");
                goto out;
            }
            if (i && it->suffix != sw->unit) {
                rc = fail(p, it->line, it->col, "every value of a sweep has the same unit");
                goto out;
            }
            sw->unit = it->suffix;
            sw->values[sw->nr_values++] = it->num;
        }
    } else if (v.kind == V_NUM && v.ref == REF_NONE && !v.neg) {
        uint64_t a = v.num, b, step;
        struct token dd, st, sn;
        sw->unit = v.suffix;
        if (expect_tok(p, &dd, T_DOTDOT, "'..' (sweep NAME = A..B step S) or a list"))
            goto fail_out;
        if (expect_tok(p, &t, T_NUM, "the last value of the sweep"))
            goto fail_out;
        b = t.num;
        if (t.suffix != sw->unit) {
            rc = fail(p, t.line, t.col, "every value of a sweep has the same unit");
            goto out;
        }
        if (expect_tok(p, &st, T_IDENT, "'step'"))
            goto fail_out;
        if (!is_ident(&st, "step")) {
            rc = fail(p, st.line, st.col, "expected 'step', found %s",
                      describe(&st, tmp, sizeof(tmp)));
            goto out;
        }
        if (expect_tok(p, &sn, T_NUM, "the step"))
            goto fail_out;
        step = sn.num;
        if (sn.suffix != sw->unit) {
            rc = fail(p, sn.line, sn.col, "every value of a sweep has the same unit");
            goto out;
        }
        if (!step || b < a) {
            rc = fail(p, sn.line, sn.col, "a sweep A..B step S needs A <= B and S >= 1");
            goto out;
        }
        uint64_t count = (b - a) / step + 1;
        if (count > SCN_MAX_SWEEP_VALUES) {
            rc = fail(p, v.line, v.col, "a sweep takes 1 to %d values (this one has %llu)",
                      SCN_MAX_SWEEP_VALUES, (unsigned long long)count);
            goto out;
        }
        sw->values = malloc(count * sizeof(uint64_t));
        if (!sw->values) {
            rc = fail(p, v.line, v.col, "out of memory");
            goto out;
        }
        for (uint64_t i = 0; i < count; i++)
            sw->values[sw->nr_values++] = a + i * step;
    } else {
        rc = fail(p, v.line, v.col, "a sweep is A..B step S or a list of numbers");
        goto out;
    }
    sw->end = p->pos; /* just past the last value (or the list's ']') */
    s->nr_sweeps++;
    if (s->nr_runs * sw->nr_values > SCN_MAX_RUNS) {
        rc = fail(p, kw->line, kw->col, "the sweeps make more than %d runs", SCN_MAX_RUNS);
        goto out;
    }
    s->nr_runs *= sw->nr_values;
    value_free(&v);
    return end_of_line(p, eof);
fail_out:
    rc = -1;
out:
    value_free(&v);
    if (rc && sw == &s->sweeps[s->nr_sweeps]) { /* not counted yet: scn_free won't see it */
        free(sw->values);
        sw->values = NULL;
    }
    return rc;
}

/* The section being closed must have all its required keys. */
static int finish_section(struct parser *p)
{
    if (!p->dom)
        return 0;
    for (size_t i = 0; i < NR_KEYS; i++) {
        if (keys[i].required && keys[i].scope == S_DOMAIN && !(p->seen & (1ull << i)))
            return fail(p, p->dom->line, p->dom_col,
                        "[domain] section is missing required key '%s'", keys[i].name);
    }
    return 0;
}

static void domain_defaults(struct scn_domain *d)
{
    memset(d, 0, sizeof(*d));
    d->vcpus = SCN_DEFAULT_VCPUS;
    strcpy(d->on_crash, "destroy");
    strcpy(d->expect, "SUCCESS");
}

/* `[name]` whose '[' has been read. */
static int parse_section(struct parser *p, const struct token *open, bool *eof)
{
    char tmp[SHOW_MAX];
    struct token t;
    if (lex(p, &t))
        return -1;
    if (t.kind != T_IDENT) {
        tok_free(&t);
        return fail(p, t.line, t.col, "expected a section name after '[', found %s",
                    describe(&t, tmp, sizeof(tmp)));
    }
    int sec = -1;
    for (int i = 1; section_names[i]; i++)
        if (strlen(section_names[i]) == t.text_len && !memcmp(section_names[i], t.text, t.text_len))
            sec = i;
    if (sec < 0) {
        show(tmp, sizeof(tmp), t.text, t.text_len);
        const char *s = suggest_word(t.text, t.text_len, section_names + 1);
        if (s)
            return fail(p, t.line, t.col, "unknown section '[%s]' (did you mean '[%s]'?)", tmp, s);
        return fail(p, t.line, t.col, "unknown section '[%s]'", tmp);
    }
    struct token close;
    if (lex(p, &close))
        return -1;
    if (close.kind != T_RBRACK) {
        tok_free(&close);
        return fail(p, close.line, close.col, "expected ']', found %s",
                    describe(&close, tmp, sizeof(tmp)));
    }
    if (end_of_line(p, eof) || finish_section(p))
        return -1;
    if (sec == SEC_MACHINE && p->had_section)
        return fail(p, open->line, open->col,
                    "[machine] must be the first section (and appear only once)");
    p->had_section = true;
    p->sec = (enum section)sec;
    p->dom = NULL;
    if (sec != SEC_DOMAIN)
        return 0;
    if (p->out->nr_domains == SCN_MAX_DOMAINS)
        return fail(p, open->line, open->col, "too many domains (max %d)", SCN_MAX_DOMAINS);
    p->dom = &p->out->domains[p->out->nr_domains++];
    domain_defaults(p->dom);
    p->dom->line = open->line;
    p->dom_col = open->col;
    p->seen = 0;
    return 0;
}

/* A line that starts with a word: a key, a sweep, or a [timeline]/[expect] statement. */
static int parse_line(struct parser *p, const struct token *t, bool *eof)
{
    if (p->sec == SEC_TIMELINE)
        return parse_timeline_line(p, t, eof);
    if (p->sec == SEC_EXPECT)
        return parse_expect_line(p, t, eof);
    if (is_ident(t, "sweep")) {
        if (p->sec != SEC_GLOBAL && p->sec != SEC_MACHINE)
            return fail(p, t->line, t->col, "'sweep' lines belong in the global part or [machine]");
        return parse_sweep(p, t, eof);
    }
    return parse_assignment(p, t, eof);
}

static int parse(struct parser *p)
{
    if (begin_line(p))
        return -1;
    bool eof = false;
    while (!eof) {
        struct token t;
        if (lex(p, &t))
            return -1;
        switch (t.kind) {
        case T_EOF:
            eof = true;
            break;
        case T_NL:
            break;
        case T_LBRACK:
            if (parse_section(p, &t, &eof))
                return -1;
            break;
        case T_IDENT:
            if (parse_line(p, &t, &eof))
                return -1;
            break;
        default: {
            char tmp[SHOW_MAX];
            tok_free(&t);
            return fail(p, t.line, t.col, "expected a key or a [section], found %s",
                        describe(&t, tmp, sizeof(tmp)));
        }
        }
    }
    if (finish_section(p))
        return -1;
    if (!p->out->nr_domains)
        return fail(p, 1, 1, "no [domain] section");
    for (unsigned i = 0; i < p->out->nr_sweeps; i++)
        if (!p->sweep_used[i])
            return fail(p, p->out->sweeps[i].line, 1,
                        "sweep '%s' is never used (write $%s where a value should vary)",
                        p->out->sweeps[i].name, p->out->sweeps[i].name);
    return resolve_refs(p);
}

/* ---------------------------------------------------------------------------------------------
 * Entry points
 */

static int set_path(struct scenario *s, const char *path)
{
    size_t n = strlen(path);
    if (n >= sizeof(s->path))
        return -1;
    memcpy(s->path, path, n + 1);
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(s->dir, ".");
    } else if (slash == path) {
        strcpy(s->dir, "/");
    } else {
        memcpy(s->dir, path, (size_t)(slash - path));
        s->dir[slash - path] = '\0';
    }
    return 0;
}

int scn_parse_buffer(const char *path, const char *buf, size_t len, struct scenario *out, char *err,
                     size_t errlen)
{
    return scn_parse_bound(path, buf, len, NULL, out, err, errlen);
}

int scn_parse_bound(const char *path, const char *buf, size_t len, const struct scn_binding *b,
                    struct scenario *out, char *err, size_t errlen)
{
    if (!path)
        path = "<buffer>";
    if (err && errlen)
        err[0] = '\0';
    memset(out, 0, sizeof(*out));
    if (set_path(out, path)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: path too long (max %zu bytes)", path, sizeof(out->path) - 1);
        memset(out, 0, sizeof(*out));
        return -1;
    }
    out->seed = SCN_DEFAULT_SEED;
    out->limit = SCN_DEFAULT_LIMIT;
    out->machine_memory_mib = SCN_DEFAULT_MACHINE_MEMORY_MIB;
    out->tsc_khz = SCN_DEFAULT_TSC_KHZ;
    out->cycles_per_insn = SCN_DEFAULT_CYCLES_PER_INSN;
    out->refresh = SCN_REFRESH_XEN;
    strcpy(out->time_refresh, "xen");
    out->nr_runs = 1;

    struct parser p;
    memset(&p, 0, sizeof(p));
    p.path = path;
    p.buf = buf ? buf : "";
    p.len = buf ? len : 0;
    p.line = 1;
    p.err = err;
    p.errlen = errlen;
    p.out = out;
    p.bind = b;
    if (parse(&p)) {
        scn_free(out);
        return -1;
    }
    return 0;
}

int scn_parse_file(const char *path, struct scenario *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0, len = 0;
    char *buf = NULL;
    for (;;) {
        if (len == cap) {
            if (cap > SCN_MAX_FILE) {
                if (err && errlen)
                    snprintf(err, errlen, "%s: file too large (max %u MiB)", path,
                             SCN_MAX_FILE >> 20);
                free(buf);
                fclose(f);
                return -1;
            }
            size_t ncap = cap ? cap * 2 : 8192;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                if (err && errlen)
                    snprintf(err, errlen, "%s: out of memory", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                if (err && errlen)
                    snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
                free(buf);
                fclose(f);
                return -1;
            }
            break;
        }
    }
    fclose(f);
    if (len > SCN_MAX_FILE) {
        if (err && errlen)
            snprintf(err, errlen, "%s: file too large (max %u MiB)", path, SCN_MAX_FILE >> 20);
        free(buf);
        return -1;
    }
    int rc = scn_parse_buffer(path, buf, len, out, err, errlen);
    free(buf);
    return rc;
}

unsigned scn_key_line(const struct scenario *s, const struct scn_domain *d, const char *key)
{
    const struct key_desc *k = find_key(key, strlen(key));
    if (!k)
        return 0;
    return (d ? d->key_lines : s->key_lines)[k - keys];
}

void scn_free(struct scenario *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->nr_domains && i < SCN_MAX_DOMAINS; i++) {
        struct scn_domain *d = &s->domains[i];
        for (unsigned j = 0; j < d->nr_expect_console && j < SCN_MAX_EXPECT; j++)
            free(d->expect_console[j]);
        for (unsigned j = 0; j < d->nr_expect_no_console && j < SCN_MAX_EXPECT; j++)
            free(d->expect_no_console[j]);
        for (unsigned j = 0; j < d->nr_modules && j < SCN_MAX_MODULES; j++)
            free(d->modules[j]);
        for (unsigned j = 0; j < d->nr_disks && j < SCN_MAX_MODULES; j++)
            free(d->disks[j]);
    }
    for (unsigned i = 0; i < s->nr_actions && i < SCN_MAX_ACTIONS; i++) {
        free(s->actions[i].bytes);
        free(s->actions[i].when.text);
    }
    for (unsigned i = 0; i < s->nr_texpects && i < SCN_MAX_TRACE_EXPECT; i++)
        free(s->texpects[i].pat.text);
    for (unsigned i = 0; i < s->nr_sweeps && i < SCN_MAX_SWEEPS; i++)
        free(s->sweeps[i].values);
    memset(s, 0, sizeof(*s));
}

void scn_run_binding(const struct scenario *s, uint64_t run, struct scn_binding *b)
{
    memset(b, 0, sizeof(*b));
    b->nr_sweeps = s->nr_sweeps;
    for (unsigned i = s->nr_sweeps; i-- > 0;) {
        const struct scn_sweep *sw = &s->sweeps[i];
        b->sweep_name[i] = sw->name;
        b->sweep_value[i] = sw->values[run % sw->nr_values];
        run /= sw->nr_values;
    }
}

/* Copy buf from *at up to off, then text in place of [off, end); replacements come in file order.
 */
static bool splice(struct sbuf *b, const char *buf, size_t len, size_t *at, size_t off, size_t end,
                   const char *text)
{
    if (off < *at || end < off || end > len || !sbuf_put(b, buf + *at, off - *at) ||
        !sbuf_put(b, text, strlen(text)))
        return false;
    *at = end;
    return true;
}

/* The rest of buf after the last replacement: the whole text, or NULL (freed) on failure. */
static char *splice_end(struct sbuf *b, const char *buf, size_t len, size_t at, bool ok,
                        size_t *outlen)
{
    if (ok && sbuf_put(b, buf + at, len - at)) {
        *outlen = b->n;
        return b->s;
    }
    free(b->s);
    return NULL;
}

char *scn_pin_run(const char *buf, size_t len, const struct scenario *s, uint64_t run,
                  size_t *outlen)
{
    static const struct {
        char c;
        const char *text;
    } units[] = {{'K', "K"},  {'M', "M"},  {'G', "G"}, {'n', "ns"},
                 {'u', "us"}, {'m', "ms"}, {'s', "s"}};
    if (run >= s->nr_runs)
        return NULL;
    struct scn_binding bind;
    scn_run_binding(s, run, &bind);
    struct sbuf b = {0};
    size_t at = 0;
    bool ok = sbuf_put(&b, "", 0);
    for (unsigned i = 0; ok && i < s->nr_sweeps && i < SCN_MAX_SWEEPS; i++) {
        const struct scn_sweep *sw = &s->sweeps[i];
        const char *unit = "";
        for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
            unit = units[u].c == sw->unit ? units[u].text : unit;
        char stmt[96];
        snprintf(stmt, sizeof(stmt), "sweep %s = [%llu%s]", sw->name,
                 (unsigned long long)bind.sweep_value[i], unit);
        ok = splice(&b, buf, len, &at, sw->off, sw->end, stmt);
    }
    return splice_end(&b, buf, len, at, ok, outlen);
}

char *scn_concretize(const char *buf, size_t len, const struct scenario *s,
                     const uint64_t *knob_value, size_t *outlen)
{
    struct sbuf b = {0};
    size_t at = 0;
    bool ok = sbuf_put(&b, "", 0);
    for (unsigned i = 0; ok && i < s->nr_knobs; i++) {
        const struct scn_knob *k = &s->knobs[i];
        char num[40];
        if (k->unit == '-' && (int64_t)knob_value[i] < 0)
            snprintf(num, sizeof(num), "-%llu", (unsigned long long)(0 - knob_value[i]));
        else
            snprintf(num, sizeof(num), "%llu%s", (unsigned long long)knob_value[i],
                     k->unit == 'n' ? "ns" : "");
        ok = splice(&b, buf, len, &at, k->off, k->off + k->len, num);
    }
    return splice_end(&b, buf, len, at, ok, outlen);
}
