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

enum tok_kind { T_EOF, T_NL, T_IDENT, T_NUM, T_STR, T_EQ, T_LBRACK, T_RBRACK, T_COMMA };

struct token {
    enum tok_kind kind;
    unsigned line, col;
    const char *text; /* raw bytes in the buffer (T_IDENT, T_NUM) */
    size_t text_len;
    uint64_t num; /* T_NUM */
    char suffix;  /* T_NUM: 0, 'K', 'M' or 'G' */
    char *str;    /* T_STR: decoded, heap, NUL-terminated */
    size_t str_len;
};

enum value_kind { V_NUM, V_STR, V_LIST };

struct value {
    enum value_kind kind;
    unsigned line, col;
    uint64_t num;
    char suffix;
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
    K_RESERVED,  /* known name, not implemented yet: always an error */
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
static const char *const expect_words[] = {"SUCCESS", "SKIP", "ERROR", "FAILURE", "CRASH", NULL};
static const char *const shutdown_words[] = {
    "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset", NULL,
};

static int check_domain_name(struct parser *p, const struct key_desc *k, const struct value *v);

#define GFIELD(f) offsetof(struct scenario, f), sizeof(((struct scenario *)0)->f)
#define DFIELD(f) offsetof(struct scn_domain, f), sizeof(((struct scn_domain *)0)->f)

static const struct key_desc keys[] = {
    {"seed", S_GLOBAL, K_U64, false, 0, UINT64_MAX, GFIELD(seed), 0, NULL, NULL},
    {"limit", S_GLOBAL, K_U64, false, 1, UINT64_MAX, GFIELD(limit), 0, NULL, NULL},
    {"slice", S_GLOBAL, K_U64, false, 1, UINT64_MAX, GFIELD(slice), 0, NULL, NULL},
    {"machine_memory", S_GLOBAL, K_MIB, false, 1, 1u << 20, GFIELD(machine_memory_mib), 0, NULL,
     NULL},
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
    {"modules", S_ANY, K_RESERVED, false, 0, 0, 0, 0, 0, NULL, NULL},
    {"disk", S_ANY, K_RESERVED, false, 0, 0, 0, 0, 0, NULL, NULL},
};
#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NR_KEYS <= 64, "the per-section 'seen' mask is a uint64_t");
_Static_assert(NR_KEYS <= SCN_MAX_KEYS, "scenario.h keeps one line number per key");

static const char *const section_names[] = {"domain", NULL};

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

static int lex_string(struct parser *p, struct token *t)
{
    char quote = p->buf[p->pos];
    const char *s = p->buf + p->pos + 1;
    size_t rest = p->len - p->pos - 1;
    const char *nl = memchr(s, '\n', rest);
    size_t cap = (nl ? (size_t)(nl - s) : rest) + 1;
    char *out = malloc(cap);
    if (!out)
        return fail(p, t->line, t->col, "out of memory");
    size_t o = 0;
    size_t i = p->pos + 1;
    for (;;) {
        if (i >= p->len || p->buf[i] == '\n') {
            free(out);
            return fail(p, t->line, t->col, "unterminated string");
        }
        unsigned char c = (unsigned char)p->buf[i];
        if (c == (unsigned char)quote) {
            i++;
            break;
        }
        if (c == '\\') {
            if (i + 1 >= p->len || p->buf[i + 1] == '\n') {
                free(out);
                return fail(p, t->line, t->col, "unterminated string");
            }
            char e = p->buf[i + 1];
            char r;
            switch (e) {
            case '"':
                r = '"';
                break;
            case '\'':
                r = '\'';
                break;
            case '\\':
                r = '\\';
                break;
            case 'n':
                r = '\n';
                break;
            case 't':
                r = '\t';
                break;
            default: {
                char tmp[SHOW_MAX];
                free(out);
                return fail(p, p->line, col_of(p, i), "unknown escape '\\%s' in string",
                            show(tmp, sizeof(tmp), &p->buf[i + 1], 1));
            }
            }
            out[o++] = r;
            i += 2;
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            free(out);
            if (c == '\r' && (i + 1 >= p->len || p->buf[i + 1] == '\n'))
                return fail(p, t->line, t->col, "unterminated string");
            return fail(p, p->line, col_of(p, i), "invalid byte 0x%02x in string", c);
        }
        out[o++] = (char)c;
        i++;
    }
    out[o] = '\0';
    t->kind = T_STR;
    t->str = out;
    t->str_len = o;
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
    if (i + 1 == n) {
        int c = lower((unsigned char)s[i]);
        if (c == 'k' || c == 'm' || c == 'g') {
            suffix = (char)(c - 'a' + 'A');
            i++;
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

/* A scalar from a token already read (moves the string out of the token). */
static int scalar(struct parser *p, struct token *t, struct value *v)
{
    memset(v, 0, sizeof(*v));
    v->line = t->line;
    v->col = t->col;
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
    if (t.kind == T_LBRACK)
        return parse_list(p, &t, v);
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

static int apply_number(struct parser *p, const struct key_desc *k, const struct value *v)
{
    uint64_t n = v->num;
    if (k->type == K_MIB) {
        if (v->suffix == 'G') {
            if (n > UINT64_MAX / 1024)
                return fail(p, v->line, v->col, "number out of range");
            n *= 1024;
        } else if (v->suffix == 'K') {
            if (n % 1024)
                return fail(p, v->line, v->col, "'%s' must be a whole number of MiB", k->name);
            n /= 1024;
        }
    } else if (v->suffix) {
        return fail(p, v->line, v->col, "'%s' does not take a size suffix", k->name);
    }
    if (n < k->min || n > k->max) {
        const char *unit = k->type == K_MIB ? " MiB" : "";
        if (k->max == UINT64_MAX)
            return fail(p, v->line, v->col, "'%s' must be at least %llu%s", k->name,
                        (unsigned long long)k->min, unit);
        return fail(p, v->line, v->col, "'%s' must be between %llu and %llu%s", k->name,
                    (unsigned long long)k->min, (unsigned long long)k->max, unit);
    }
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

static int apply(struct parser *p, const struct key_desc *k, const struct token *key,
                 struct value *v)
{
    size_t idx = (size_t)(k - keys);
    if (k->type == K_RESERVED)
        return fail(p, key->line, key->col, "'%s' is not supported yet", k->name);
    if (k->type != K_STR_MULTI) {
        if (p->seen & (1ull << idx))
            return fail(p, key->line, key->col, "duplicate key '%s'", k->name);
    }
    bool want_num = k->type == K_U64 || k->type == K_UINT || k->type == K_MIB;
    if (v->kind == V_LIST)
        return fail(p, v->line, v->col, "'%s' expects %s, not a list", k->name,
                    want_num ? "a number" : "a string");
    if (want_num != (v->kind == V_NUM))
        return fail(p, v->line, v->col, "'%s' expects %s", k->name,
                    want_num ? "a number" : "a string");
    unsigned *line = p->dom ? &p->dom->key_lines[idx] : &p->out->key_lines[idx];
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
    if (k->scope == S_GLOBAL && p->dom)
        return fail(p, key->line, key->col, "'%s' must come before the first [domain]", k->name);
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
    bool known = false;
    for (const char *const *s = section_names; *s; s++)
        known |= strlen(*s) == t.text_len && !memcmp(*s, t.text, t.text_len);
    if (!known) {
        show(tmp, sizeof(tmp), t.text, t.text_len);
        const char *s = suggest_word(t.text, t.text_len, section_names);
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
    if (p->out->nr_domains == SCN_MAX_DOMAINS)
        return fail(p, open->line, open->col, "too many domains (max %d)", SCN_MAX_DOMAINS);
    p->dom = &p->out->domains[p->out->nr_domains++];
    domain_defaults(p->dom);
    p->dom->line = open->line;
    p->dom_col = open->col;
    p->seen = 0;
    return 0;
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
            if (parse_assignment(p, &t, &eof))
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
    return 0;
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

    struct parser p;
    memset(&p, 0, sizeof(p));
    p.path = path;
    p.buf = buf ? buf : "";
    p.len = buf ? len : 0;
    p.line = 1;
    p.err = err;
    p.errlen = errlen;
    p.out = out;
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
    }
    memset(s, 0, sizeof(*s));
}
