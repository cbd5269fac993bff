/* Results table printer: aligned plain text, deterministic, ends with "N passed, M failed". */
#include "report.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

enum {
    COL_SCENARIO,
    COL_DOMAIN,
    COL_EXPECTED,
    COL_ACTUAL,
    COL_SHUTDOWN,
    COL_INSNS,
    COL_VERDICT,
    COL_NOTE,
    NR_COLS
};

static const char *const headers[NR_COLS] = {
    "scenario", "domain", "expected", "actual", "shutdown", "insns", "verdict", "note",
};

/* The text of one cell; buf holds formatted numbers. */
static const char *cell(const struct report_row *r, int col, char *buf, size_t len)
{
    const char *s = NULL;
    switch (col) {
    case COL_SCENARIO:
        s = r->scenario;
        break;
    case COL_DOMAIN:
        s = r->domain;
        break;
    case COL_EXPECTED:
        s = r->expected;
        break;
    case COL_ACTUAL:
        s = r->actual;
        break;
    case COL_SHUTDOWN:
        s = r->shutdown;
        break;
    case COL_INSNS:
        if (r->no_insns)
            return "-";
        snprintf(buf, len, "%" PRIu64, r->insns);
        return buf;
    case COL_VERDICT:
        s = r->verdict;
        break;
    case COL_NOTE:
        return r->note ? r->note : "";
    }
    return s ? s : "-";
}

/*
 * Emit a line cell by cell.  Blanks are held back until something visible follows them, so
 * no line ends in blanks.
 */
struct line {
    FILE *f;
    size_t pending; /* blanks not yet written */
};

static void put_text(struct line *l, const char *s, size_t width, bool right)
{
    size_t n = strlen(s);
    size_t pad = width > n ? width - n : 0;
    if (right)
        l->pending += pad;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ') {
            l->pending++;
            continue;
        }
        for (; l->pending; l->pending--)
            fputc(' ', l->f);
        fputc(c < 0x20 || c == 0x7f ? '?' : c, l->f);
    }
    if (!right)
        l->pending += pad;
}

static void put_row(FILE *f, const char *const cells[NR_COLS], const size_t width[NR_COLS])
{
    struct line l = {f, 0};
    for (int c = 0; c < NR_COLS; c++) {
        if (c)
            l.pending += 2;
        put_text(&l, cells[c], width[c], c == COL_INSNS);
    }
    fputc('\n', f);
}

void report_count(const struct report_row *rows, size_t n, size_t *passed, size_t *failed)
{
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += rows[i].verdict && !strcmp(rows[i].verdict, "ok");
    if (passed)
        *passed = ok;
    if (failed)
        *failed = n - ok;
}

void report_print(FILE *f, const struct report_row *rows, size_t n)
{
    size_t width[NR_COLS];
    char num[24];
    for (int c = 0; c < NR_COLS; c++)
        width[c] = strlen(headers[c]);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < NR_COLS; c++) {
            size_t w = strlen(cell(&rows[i], c, num, sizeof(num)));
            if (w > width[c])
                width[c] = w;
        }
    }

    put_row(f, headers, width);
    for (int c = 0; c < NR_COLS; c++) {
        fputs(c ? "  " : "", f);
        for (size_t i = 0; i < width[c]; i++)
            fputc('-', f);
    }
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        const char *cells[NR_COLS];
        char nums[NR_COLS][24];
        for (int c = 0; c < NR_COLS; c++)
            cells[c] = cell(&rows[i], c, nums[c], sizeof(nums[c]));
        put_row(f, cells, width);
    }

    size_t passed, failed;
    report_count(rows, n, &passed, &failed);
    fprintf(f, "%zu passed, %zu failed\n", passed, failed);
}

const char *report_result_word(int xtf_code)
{
    switch (xtf_code) {
    case 0:
        return "SUCCESS";
    case 3:
        return "SKIP";
    case 4:
        return "ERROR";
    case 5:
        return "FAILURE";
    case 6:
        return "CRASH";
    default:
        return "UNKNOWN";
    }
}
