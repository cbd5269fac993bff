/* Running a scenario's [timeline] and counting its [expect] trace events. */
#ifndef HVSIM_TOOLS_TIMELINE_H
#define HVSIM_TOOLS_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "scenario.h"

/*
 * Use: tl_init before sim_create, with tl_event_sink / the state as the
 * machine's event_sink / event_user; tl_bind once the domains are added;
 * tl_run instead of sim_run; then read the counts and errors.
 */
struct tl_state {
    const struct scenario *s;
    uint16_t domid[SCN_MAX_DOMAINS]; /* domain index -> domid */
    unsigned order[SCN_MAX_ACTIONS]; /* `at` actions by time (stable), then nothing */
    unsigned nr_at, next_at;
    uint64_t matches[SCN_MAX_ACTIONS]; /* `on` actions: matching events so far */
    bool done[SCN_MAX_ACTIONS];        /* ran (or failed) */
    unsigned pending[SCN_MAX_ACTIONS]; /* `on` actions triggered, to run at the next stop */
    unsigned nr_pending;
    bool want_stop;                        /* the sink asked the machine to stop */
    uint64_t counts[SCN_MAX_TRACE_EXPECT]; /* [expect] matches */
    bool stopped;                          /* a `stop` action ended the run */
    unsigned stop_line;
    unsigned nr_ran;
    char errors[512]; /* "line N: message; ..." for actions that could not be applied */
    unsigned nr_errors;
};

void tl_init(struct tl_state *t, const struct scenario *s);
/* Map domain indexes to domids after the domains were added. */
void tl_bind(struct tl_state *t, struct sim_machine *m);
/* The machine's event sink (event_user = the state). */
int tl_event_sink(void *user, const struct trace_rec *r, uint64_t now_ns);
/* Run the machine to its end, applying the timeline; returns sim_run's last outcome. */
int tl_run(struct tl_state *t, struct sim_machine *m);
/* Does [expect] line i hold? */
bool tl_expect_holds(const struct tl_state *t, unsigned i);
/* "<=", ">=", ... */
const char *tl_cmp_text(enum scn_cmp c);

#endif
