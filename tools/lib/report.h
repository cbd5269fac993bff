/* Results table printed by `hvsim run` and `make run`: one row per domain, then a summary. */
#ifndef HVSIM_TOOLS_REPORT_H
#define HVSIM_TOOLS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * One domain's outcome.  Any string may be NULL (printed as "-", except
 * note, which is then left blank).  A row passes iff verdict is "ok".
 */
struct report_row {
    const char *scenario;
    const char *domain;
    const char *expected; /* e.g. "SUCCESS" */
    const char *actual;   /* e.g. report_result_word(code) */
    const char *shutdown; /* shutdown reason, e.g. "poweroff" */
    uint64_t insns;       /* guest instructions executed */
    const char *verdict;  /* "ok" or "FAIL" */
    const char *note;     /* why it failed, may be NULL */
    bool no_insns;        /* no instruction count (a bare-metal run): insns prints as "-" */
};

/*
 * Print an aligned plain-text table: a header line, a rule, one line per
 * row, then the line "N passed, M failed".  Columns are separated by two
 * spaces and sized to their content (in bytes); insns is right-aligned;
 * control characters in cells are printed as '?'; lines carry no trailing
 * blanks.  The output depends only on the rows (no time, no colour).
 */
void report_print(FILE *f, const struct report_row *rows, size_t n);

/* Count rows whose verdict is "ok" (passed) and the rest (failed); either pointer may be NULL. */
void report_count(const struct report_row *rows, size_t n, size_t *passed, size_t *failed);

/* XTF result code to word: 0 SUCCESS, 3 SKIP, 4 ERROR, 5 FAILURE, 6 CRASH, else "UNKNOWN". */
const char *report_result_word(int xtf_code);

#endif
