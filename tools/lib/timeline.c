/* The scenario timeline: actions at virtual times or on trace events, and [expect] counting. */
#define _GNU_SOURCE /* memmem */
#include "timeline.h"

#include <stdio.h>
#include <string.h>

#include "hv/trace.h"

void tl_init(struct tl_state *t, const struct scenario *s)
{
    memset(t, 0, sizeof(*t));
    t->s = s;
    /* `at` actions in time order; equal times keep their file order (insertion sort). */
    for (unsigned i = 0; i < s->nr_actions; i++) {
        if (s->actions[i].on_event)
            continue;
        unsigned j = t->nr_at++;
        while (j > 0 && s->actions[t->order[j - 1]].at_ns > s->actions[i].at_ns) {
            t->order[j] = t->order[j - 1];
            j--;
        }
        t->order[j] = i;
    }
}

void tl_bind(struct tl_state *t, struct sim_machine *m)
{
    for (unsigned i = 0; i < t->s->nr_domains && i < sim_nr_domains(m); i++)
        t->domid[i] = sim_domain_result(m, i)->domid;
}

static bool matches(const struct tl_state *t, const struct scn_pattern *p,
                    const struct trace_rec *r)
{
    if (p->dom >= 0 && r->dom != t->domid[p->dom])
        return false;
    switch (p->kind) {
    case SCN_EV_HYPERCALL:
        return r->kind == TR_HYPERCALL && (!p->has_nr || r->nr == p->nr) &&
               (!p->has_sub || (r->nargs && r->args[0] == p->sub));
    case SCN_EV_TRAP:
        return r->kind == TR_TRAP && (!p->has_nr || r->nr == p->nr);
    case SCN_EV_EVENT:
        return r->kind == TR_EVENT && (!p->has_nr || r->nr == p->nr);
    case SCN_EV_EMULATE:
        return r->kind == TR_EMULATE && (!p->has_nr || r->nr == p->nr);
    case SCN_EV_CONSOLE:
        return r->kind == TR_CONSOLE && r->text &&
               memmem(r->text, r->textlen, p->text, strlen(p->text));
    case SCN_EV_SHUTDOWN:
        return r->kind == TR_SHUTDOWN && (!p->has_nr || r->nr == p->nr);
    case SCN_EV_CRASH:
        return r->kind == TR_CRASH;
    }
    return false;
}

int tl_event_sink(void *user, const struct trace_rec *r, uint64_t now_ns)
{
    struct tl_state *t = user;
    const struct scenario *s = t->s;
    for (unsigned i = 0; i < s->nr_texpects; i++) {
        const struct scn_trace_expect *e = &s->texpects[i];
        if (now_ns >= e->from_ns && now_ns < e->to_ns && matches(t, &e->pat, r))
            t->counts[i]++;
    }
    for (unsigned i = 0; i < s->nr_actions; i++) {
        const struct scn_action *a = &s->actions[i];
        if (!a->on_event || t->done[i] || !matches(t, &a->when, r))
            continue;
        if (++t->matches[i] == a->count) {
            t->done[i] = true;
            t->pending[t->nr_pending++] = i;
            t->want_stop = true;
        }
    }
    return t->want_stop;
}

static void note_error(struct tl_state *t, const struct scn_action *a, const char *msg)
{
    size_t n = strlen(t->errors);
    if (n + 8 < sizeof(t->errors))
        snprintf(t->errors + n, sizeof(t->errors) - n, "%sline %u: %s", n ? "; " : "", a->line,
                 msg);
    t->nr_errors++;
}

static void apply(struct tl_state *t, struct sim_machine *m, unsigned i)
{
    const struct scn_action *a = &t->s->actions[i];
    char err[256] = "";
    int rc = 0;
    unsigned dom = a->dom >= 0 ? (unsigned)a->dom : 0;
    switch (a->kind) {
    case SCN_ACT_PAUSE:
    case SCN_ACT_UNPAUSE:
        rc = sim_pause_domain(m, dom, a->kind == SCN_ACT_PAUSE, err, sizeof(err));
        break;
    case SCN_ACT_DESTROY:
        rc = sim_destroy_domain(m, dom, err, sizeof(err));
        break;
    case SCN_ACT_SEND:
        rc = sim_evtchn_send(m, dom, (uint32_t)a->port, err, sizeof(err));
        break;
    case SCN_ACT_TSC_JUMP:
        rc = sim_tsc_jump(m, a->delta, err, sizeof(err));
        break;
    case SCN_ACT_TSC_WARP:
        rc = sim_tsc_warp(m, dom, a->vcpu, a->delta, err, sizeof(err));
        break;
    case SCN_ACT_WRITE:
        rc = sim_write_guest(m, dom, a->addr, a->bytes, a->nbytes, err, sizeof(err));
        break;
    case SCN_ACT_STOP:
        t->stopped = true;
        t->stop_line = a->line;
        break;
    }
    t->done[i] = true;
    if (rc)
        note_error(t, a, err);
    else
        t->nr_ran++;
}

int tl_run(struct tl_state *t, struct sim_machine *m)
{
    int outcome = SIM_RUNNING;
    for (;;) {
        uint64_t now = sim_now_ns(m);
        while (t->next_at < t->nr_at && t->s->actions[t->order[t->next_at]].at_ns <= now &&
               !t->stopped)
            apply(t, m, t->order[t->next_at++]);
        for (unsigned k = 0; k < t->nr_pending && !t->stopped; k++)
            apply(t, m, t->pending[k]);
        t->nr_pending = 0;
        t->want_stop = false;
        if (t->stopped)
            return outcome;
        sim_set_alarm(m, t->next_at < t->nr_at ? t->s->actions[t->order[t->next_at]].at_ns : 0);
        outcome = sim_run(m);
        if (outcome == SIM_ALARM)
            continue;
        /* Stopped for an `on` action: run it, go on. Any other stop (replay) ends the run. */
        if (outcome == SIM_STOPPED && t->nr_pending)
            continue;
        sim_set_alarm(m, 0);
        return outcome;
    }
}

bool tl_expect_holds(const struct tl_state *t, unsigned i)
{
    const struct scn_trace_expect *e = &t->s->texpects[i];
    uint64_t c = t->counts[i];
    switch (e->cmp) {
    case SCN_EQ:
        return c == e->n;
    case SCN_NE:
        return c != e->n;
    case SCN_LT:
        return c < e->n;
    case SCN_LE:
        return c <= e->n;
    case SCN_GT:
        return c > e->n;
    case SCN_GE:
        return c >= e->n;
    }
    return false;
}

const char *tl_cmp_text(enum scn_cmp c)
{
    static const char *const t[] = {"?", "==", "!=", "<", "<=", ">", ">="};
    return (unsigned)c < sizeof(t) / sizeof(t[0]) ? t[c] : "?";
}
