/* hvsim run --plot: guest-observed time against virtual time, per domain, as an SVG file. */
#ifndef HVSIM_TOOLS_PLOT_H
#define HVSIM_TOOLS_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hv/trace.h"

/*
 * Use: plot_init before sim_create and give every trace record to
 * plot_event_sink (the machine's event sink, or called from another sink);
 * plot_name_domain once the domains are added; plot_finish with the
 * system time the run ended at; then plot_save (or plot_write_svg).
 *
 * What is drawn (x: hypervisor system time, ns since boot; y: time as the
 * guest saw it), one panel per domain in domid order:
 * - the deadline of every set_timer_op and VCPUOP_set_singleshot_timer
 *   (absolute guest ns; 0 cancels and is not a deadline), at the time the
 *   guest asked;
 * - nsec and lastnsec of every GNU Mach console line
 *   "warning: nsec 0x%08lx%08lx < lastnsec 0x%08lx%08lx";
 * - marks for console lines containing "warning:" (any case), a rug of the
 *   VIRQ_TIMER events sent to the domain, its shutdown or crash;
 * - the diagonal y = x: the hypervisor's own system time.
 * The output depends only on the records given, byte for byte: no floating
 * point, no host time, no locale.
 */

/* What the plot needs to know that a trace record does not say. */
struct plot_probe {
    /* Is port the VIRQ_TIMER port of vCPU vcpu of domain dom (at the time of the record)? */
    bool (*timer_port)(void *user, uint16_t dom, uint16_t vcpu, uint32_t port);
    /* The timeout_abs_ns of the VCPUOP_set_singleshot_timer hypercall r (its argument is a
     * guest pointer); false when it cannot be read. */
    bool (*singleshot_deadline)(void *user, const struct trace_rec *r, uint64_t *ns);
    void *user;
};

/* The simulator's answers (plot_core.c): the hypervisor core's state and guest memory, read
 * (never written) while the record is being delivered. */
extern const struct plot_probe plot_core_probe;

#define PLOT_MAX_DOMAINS 64
#define PLOT_TEXT_MAX 200 /* bytes kept of a warning or crash text */

/* Point series, in the order they are drawn. */
enum plot_series_id { PLOT_DEADLINE, PLOT_LASTNSEC, PLOT_NSEC, PLOT_NR_SERIES };

struct plot_xy {
    uint64_t x, y;
};
struct plot_series {
    struct plot_xy *v;
    size_t n, cap;
};
struct plot_times {
    uint64_t *v;
    size_t n, cap;
};

struct plot_domain {
    uint16_t domid;
    char name[32]; /* "" until plot_name_domain */
    struct plot_series series[PLOT_NR_SERIES];
    struct plot_times timer_events, warnings;
    int console_source; /* TR_CON_* of the first console line; -1 before one */
    uint64_t first_warning_ns;
    char first_warning[PLOT_TEXT_MAX];
    size_t first_warning_len;
    bool shut_down, crashed;
    unsigned shutdown_reason;
    uint64_t shutdown_ns, crash_ns;
    char crash[PLOT_TEXT_MAX];
    size_t crash_len;
};

struct plot {
    char title[512];
    struct plot_probe probe;
    struct plot_domain doms[PLOT_MAX_DOMAINS];
    unsigned nr_doms;
    uint64_t end_ns; /* the later of plot_finish's time and the last record's */
    char error[128]; /* why no plot can be drawn (out of memory, too many domains); "" = none */
};

/* title: any bytes (escaped on output); probe: plot_core_probe in the simulator. */
void plot_init(struct plot *p, const char *title, const struct plot_probe *probe);
/* Give domid its name (its panel is created if no record named it yet). */
void plot_name_domain(struct plot *p, uint16_t domid, const char *name);
/* An event sink (user = the plot): takes what it plots from r, never stops the run (0). */
int plot_event_sink(void *user, const struct trace_rec *r, uint64_t now_ns);
/* The run ended at system time now_ns. */
void plot_finish(struct plot *p, uint64_t now_ns);
/* The SVG document. 0, or -1 with a one-line reason in err (no plot, or a write error). */
int plot_write_svg(const struct plot *p, FILE *f, char *err, size_t errlen);
void plot_free(struct plot *p);

/*
 * Files. plot_check_path finds out before a run whether path can be written (it creates
 * and removes path.tmp); plot_save writes path.tmp and renames it to path, so a failed
 * write leaves neither a half-written path nor path.tmp behind. Both return 0, or -1
 * with "hvsim: PATH: reason" in err.
 */
int plot_check_path(const char *path, char *err, size_t errlen);
int plot_save(const struct plot *p, const char *path, char *err, size_t errlen);
/* The file of run k (1-based) of a sweep: "x.svg" -> "x-k.svg", other names get "-k". 0, or
 * -1 when out is too small. */
int plot_run_path(const char *path, uint64_t k, char *out, size_t outlen);

#endif
