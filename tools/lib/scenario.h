/* Scenario files (*.scn): the parsed form and the parser entry points. */
#ifndef HVSIM_TOOLS_SCENARIO_H
#define HVSIM_TOOLS_SCENARIO_H

#include <stdbool.h>
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
#define SCN_MAX_KEYS 40          /* room for the line of every known key (scn_key_line) */
#define SCN_MAX_ACTIONS 256      /* [timeline] lines */
#define SCN_MAX_TRACE_EXPECT 64  /* [expect] lines */
#define SCN_MAX_SWEEPS 4         /* sweep lines; the runs are their cartesian product */
#define SCN_MAX_SWEEP_VALUES 1024
#define SCN_MAX_RUNS 4096  /* product of the sweeps' value counts */
#define SCN_MAX_KNOBS 32   /* fuzz(...) values */
#define SCN_MAX_WRITE 4096 /* bytes of one timeline `write` */
#define SCN_MAX_MODULES 16 /* modules = [...] and disk = [...] items */

/* Defaults for optional keys. */
#define SCN_DEFAULT_SEED 1
#define SCN_DEFAULT_LIMIT 2000000000ull
#define SCN_DEFAULT_MACHINE_MEMORY_MIB 256
#define SCN_DEFAULT_VCPUS 1
#define SCN_DEFAULT_TSC_KHZ 3000000ull
#define SCN_DEFAULT_CYCLES_PER_INSN 1

/* Time-record refresh policies (`time_refresh`); the values match sim's enum sim_refresh. */
enum scn_refresh {
    SCN_REFRESH_XEN = 0,
    SCN_REFRESH_PERIODIC,
    SCN_REFRESH_ON_TIMER,
    SCN_REFRESH_FROZEN
};

/*
 * Trace event patterns, shared by [timeline] `on` conditions and [expect]
 * lines: which trace records they match.
 */
enum scn_ev_kind {
    SCN_EV_HYPERCALL = 1, /* nr = hypercall number; sub = first argument (sub-op) */
    SCN_EV_TRAP,          /* nr = vector */
    SCN_EV_EVENT,         /* nr = port */
    SCN_EV_EMULATE,       /* nr = TR_EMUL_* (rdtsc, cpuid, cr3_read, rdtscp) */
    SCN_EV_CONSOLE,       /* text = substring of one console line */
    SCN_EV_SHUTDOWN,      /* nr = SHUTDOWN_* reason */
    SCN_EV_CRASH,
};

struct scn_pattern {
    enum scn_ev_kind kind;
    bool has_nr, has_sub;
    uint32_t nr;
    uint64_t sub;
    char *text;     /* SCN_EV_CONSOLE; heap, owned by the scenario */
    int dom;        /* domain index (order of [domain] sections), -1 = any domain */
    char desc[128]; /* the pattern as written, for reports */
};

enum scn_action_kind {
    SCN_ACT_PAUSE = 1,
    SCN_ACT_UNPAUSE,
    SCN_ACT_DESTROY,
    SCN_ACT_SEND,     /* event-channel send into dom on port */
    SCN_ACT_TSC_JUMP, /* every guest TSC steps by delta */
    SCN_ACT_TSC_WARP, /* one vCPU's TSC steps by delta */
    SCN_ACT_WRITE,    /* bytes into dom's memory at guest-physical addr */
    SCN_ACT_STOP,
};

/* One [timeline] line: `at TIME ACTION` or `on PATTERN [count N] ACTION`. */
struct scn_action {
    unsigned line;
    bool on_event; /* false: at at_ns of system time */
    uint64_t at_ns;
    struct scn_pattern when; /* on_event */
    uint64_t count;          /* on_event: act at the count-th match (>= 1) */
    enum scn_action_kind kind;
    int dom;        /* domain index or -1 */
    unsigned vcpu;  /* TSC_WARP */
    uint64_t port;  /* SEND */
    int64_t delta;  /* TSC_JUMP, TSC_WARP: cycles */
    uint64_t addr;  /* WRITE */
    uint8_t *bytes; /* WRITE; heap, owned by the scenario */
    size_t nbytes;
    char text[160]; /* the action as written, for reports */
};

enum scn_cmp { SCN_EQ = 1, SCN_NE, SCN_LT, SCN_LE, SCN_GT, SCN_GE };

/* One [expect] line: how many trace events match, in a window of system time. */
struct scn_trace_expect {
    unsigned line;
    struct scn_pattern pat;
    uint64_t from_ns, to_ns; /* window [from, to); to = UINT64_MAX: until the end */
    enum scn_cmp cmp;
    uint64_t n;
    char text[200]; /* the line as written, for reports */
};

/* `sweep NAME = A..B step S` or `sweep NAME = [v, ...]`. */
struct scn_sweep {
    char name[32];
    unsigned line;
    uint64_t *values; /* heap, owned by the scenario; as written, before any unit */
    unsigned nr_values;
    char unit;       /* the values' suffix as written: 0, 'K' 'M' 'G', 'n' 'u' 'm' 's' */
    size_t off, end; /* the statement's bytes, from `sweep` to its last value */
};

/* A `fuzz(u64)` or `fuzz(A..B)` value: where it is and what it may take. */
struct scn_knob {
    unsigned line, col;
    size_t off, len; /* the fuzz(...) text in the scenario bytes */
    uint64_t lo, hi; /* inclusive range of the value */
    char unit;       /* how to write it back: 0 plain, 'n' a time in ns ("<v>ns"), '-' signed */
    char what[64];   /* the setting it is, e.g. "tsc_start" or "timeline line 12" */
    uint64_t value;  /* the value this parse used */
};

/*
 * Values for sweep variables and knobs, given to a parse: it then uses them
 * instead of the defaults (first sweep value, knob's low end).
 */
struct scn_binding {
    unsigned nr_sweeps;
    const char *sweep_name[SCN_MAX_SWEEPS];
    uint64_t sweep_value[SCN_MAX_SWEEPS];
    unsigned nr_knobs; /* knob i takes knob_value[i]; knobs past nr_knobs take their default */
    uint64_t knob_value[SCN_MAX_KNOBS];
    bool knob_default[SCN_MAX_KNOBS]; /* true: knob i (< nr_knobs) takes its default anyway */
};

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
    char *modules[SCN_MAX_MODULES]; /* paths as written; heap */
    unsigned nr_modules;
    char *disks[SCN_MAX_MODULES]; /* xl disk specs as written; heap */
    unsigned nr_disks;
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
    /* Clock (the machine's virtual TSC and the hypervisor's time records). */
    uint64_t tsc_khz;         /* 100000..10000000 (100 MHz .. 10 GHz) */
    uint64_t tsc_start;       /* virtual TSC at boot; any 64-bit value */
    uint64_t cycles_per_insn; /* cost model, 1..1000 */
    enum scn_refresh refresh;
    uint64_t refresh_period_ms; /* SCN_REFRESH_PERIODIC, 1..60000 */
    char time_refresh[32];      /* as written ("xen", "periodic:10", ...) */
    uint64_t wallclock_sec;     /* wallclock at system time 0 */
    uint64_t wallclock_nsec;    /* < 1e9 */
    struct scn_domain domains[SCN_MAX_DOMAINS];
    unsigned nr_domains;              /* 1..SCN_MAX_DOMAINS after a successful parse */
    unsigned key_lines[SCN_MAX_KEYS]; /* global keys; read through scn_key_line */

    struct scn_action actions[SCN_MAX_ACTIONS]; /* [timeline], in file order */
    unsigned nr_actions;
    struct scn_trace_expect texpects[SCN_MAX_TRACE_EXPECT]; /* [expect], in file order */
    unsigned nr_texpects;
    struct scn_sweep sweeps[SCN_MAX_SWEEPS];
    unsigned nr_sweeps;
    uint64_t nr_runs; /* product of the sweeps' value counts (1 without sweeps) */
    struct scn_knob knobs[SCN_MAX_KNOBS]; /* in file order */
    unsigned nr_knobs;
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
/* The same with values for sweeps and knobs (b may be NULL: the defaults). */
int scn_parse_bound(const char *path, const char *buf, size_t len, const struct scn_binding *b,
                    struct scenario *out, char *err, size_t errlen);

/*
 * The binding of run number `run` (0 <= run < s->nr_runs) of a parsed
 * scenario: every sweep's value for that run (the last sweep varies
 * fastest), knobs left at their defaults.
 */
void scn_run_binding(const struct scenario *s, uint64_t run, struct scn_binding *b);

/*
 * The scenario text with every fuzz(...) replaced by the concrete value
 * knob_value[i]: a plain scenario that reproduces the run. malloc'd,
 * NUL-terminated, length in *outlen; NULL if out of memory.
 */
char *scn_concretize(const char *buf, size_t len, const struct scenario *s,
                     const uint64_t *knob_value, size_t *outlen);

/*
 * The scenario text with every sweep narrowed to its value in run `run`
 * (0 <= run < s->nr_runs): `sweep NAME = [VALUE]`, so the text has one run
 * and reproduces that run of the original (one boot on bare metal, say).
 * Everything else is kept byte for byte.  malloc'd, NUL-terminated, length
 * in *outlen; NULL if out of memory or run is out of range.
 */
char *scn_pin_run(const char *buf, size_t len, const struct scenario *s, uint64_t run,
                  size_t *outlen);

/*
 * Read the file at path and parse it.  I/O problems are reported as
 * "FILE: message" (no line number); everything else as above.
 */
/* One xl disk spec, split into its parameters (defaults: format raw, access rw). */
struct scn_disk {
    char target[512];
    char format[8];
    char vdev[32];
    char access[4];
    char devtype[16];
    char backendtype[16];
};
/* 0, or -1 with err set ("disk spec: ..."). */
int scn_parse_disk(const char *spec, struct scn_disk *out, char *err, size_t errlen);
/* Why hvsim cannot give a guest this disk (format, backend, devtype), or NULL. */
const char *scn_disk_unsupported(const struct scn_disk *dk);
bool scn_disk_read_only(const struct scn_disk *dk);

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
