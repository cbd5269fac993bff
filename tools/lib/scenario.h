/* Scenario files (*.scn): the parsed form and the parser entry points. */
#ifndef HVSIM_TOOLS_SCENARIO_H
#define HVSIM_TOOLS_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

/*
 * The file format is described in scenarios/README.md.  In short: global
 * `key = value` lines, then one `[domain]` section per domain.
 *
 * Limits (exceeding one is an input error, never a truncation).
 */
#define SCN_MAX_DOMAINS 16
#define SCN_MAX_EXPECT 32        /* expect_console / expect_no_console per domain */
#define SCN_MAX_LINE 4096        /* bytes per line, not counting the line ending */
#define SCN_MAX_LIST 256         /* items in one [ ... ] list */
#define SCN_MAX_FILE (16u << 20) /* scn_parse_file refuses larger files */
#define SCN_MAX_KEYS 32          /* room for the line of every known key (scn_key_line) */

/* Defaults for optional keys. */
#define SCN_DEFAULT_SEED 1
#define SCN_DEFAULT_LIMIT 2000000000ull
#define SCN_DEFAULT_MACHINE_MEMORY_MIB 256
#define SCN_DEFAULT_VCPUS 1

/*
 * One [domain] section.  Every char array is NUL-terminated; optional
 * strings that were not given are "" except on_crash ("destroy") and
 * expect ("SUCCESS").  expect_shutdown "" means "not checked".
 * expect_console[] / expect_no_console[] point to heap strings owned by
 * the scenario (released by scn_free).
 */
struct scn_domain {
    char name[32];            /* [A-Za-z0-9_.-]{1,31}, unique in the scenario */
    char kernel[512];         /* path as written; resolve against scenario.dir */
    uint64_t memory_mib;      /* 4..4096 */
    unsigned vcpus;           /* 1..8 */
    char extra[1024];         /* guest command line */
    char ramdisk[512];        /* path as written, "" for none */
    char on_crash[32];        /* destroy|restart|preserve|coredump-destroy|... */
    char expect[16];          /* SUCCESS|SKIP|ERROR|FAILURE|CRASH */
    char expect_shutdown[16]; /* poweroff|reboot|suspend|crash|watchdog|soft_reset or "" */
    char *expect_console[SCN_MAX_EXPECT];
    unsigned nr_expect_console;
    char *expect_no_console[SCN_MAX_EXPECT];
    unsigned nr_expect_no_console;
    unsigned line;                    /* line of the [domain] header */
    unsigned key_lines[SCN_MAX_KEYS]; /* read through scn_key_line */
};

struct scenario {
    char path[512]; /* as passed to the parser ("<buffer>" if NULL) */
    char dir[512];  /* directory part of path ("." if it has none) */
    uint64_t seed;
    uint64_t limit; /* run limit in guest instructions, >= 1 */
    uint64_t slice; /* scheduler time slice in guest instructions; 0 = default */
    uint64_t machine_memory_mib;
    struct scn_domain domains[SCN_MAX_DOMAINS];
    unsigned nr_domains;              /* 1..SCN_MAX_DOMAINS after a successful parse */
    unsigned key_lines[SCN_MAX_KEYS]; /* global keys; read through scn_key_line */
};

/*
 * Parse len bytes at buf (any bytes; no NUL terminator needed).  path is
 * used for messages and for out->path/out->dir; it may be NULL.
 *
 * Returns 0 on success.  On failure returns -1, writes one message
 * "FILE:LINE:COL: text" (LINE and COL 1-based, COL counted in bytes) to
 * err (truncated to errlen, always NUL-terminated if errlen > 0) and
 * leaves *out holding no allocations.  scn_free(out) is safe either way.
 */
int scn_parse_buffer(const char *path, const char *buf, size_t len, struct scenario *out, char *err,
                     size_t errlen);

/*
 * Read the file at path and parse it.  I/O problems are reported as
 * "FILE: message" (no line number); everything else as above.
 */
int scn_parse_file(const char *path, struct scenario *out, char *err, size_t errlen);

/*
 * The line where key was set: in domain d, or in the global part of s when d
 * is NULL (s is then required).  0 when the key was not set, which is how
 * callers tell a default from an explicit value.  A repeatable key gives
 * the line of its first occurrence.
 */
unsigned scn_key_line(const struct scenario *s, const struct scn_domain *d, const char *key);

/* Release what a parse allocated and zero *s.  NULL is allowed. */
void scn_free(struct scenario *s);

#endif
