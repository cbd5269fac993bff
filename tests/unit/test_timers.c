/* Unit tests for hv/common/timer.c and the event basics timers need: set_timer_op, vcpu_op,
 * upcalls. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hv/entry.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/time.h"
#include "public/xen.h"
#include "fake_arch.h"
#include "test_domain.h"

#define MS (3000000ULL) /* fake TSC cycles per ms at 3 GHz */
#define NS_PER_MS 1000000ULL
#define ARG TD_SCRATCH_VA

static struct domain *d;
static struct vcpu *v;
static struct shared_info *s;
static evtchn_port_t timer_port;

static long hc(unsigned long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return td_hc(v, nr, a0, a1, a2, 0, 0);
}

static long bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port)
{
    struct evtchn_bind_virq b = {.virq = virq, .vcpu = vcpu};
    td_put(v, ARG, &b, sizeof(b));
    long rc = hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, ARG, 0);
    td_get(v, &b, ARG, sizeof(b));
    if (port)
        *port = b.port;
    return rc;
}

static long port_op(unsigned int cmd, evtchn_port_t port)
{
    td_put(v, ARG, &port, sizeof(port));
    return hc(__HYPERVISOR_event_channel_op, cmd, ARG, 0);
}

static bool pending(evtchn_port_t p)
{
    return evtchn_is_pending(d, p);
}

/* A domain with VIRQ_TIMER bound on vCPU 0, which is on the CPU. */
static int setup(void **state)
{
    fake.tsc_khz = 0;
    d = td_setup();
    v = &d->vcpus[0];
    s = d->shared_info;
    hv_entry_schedule(v);
    assert_int_equal(bind_virq(VIRQ_TIMER, 0, &timer_port), 0);
    assert_int_equal(timer_port, 3); /* the lowest free port after console and xenstore */
    return 0;
}

/* ---- set_timer_op ------------------------------------------------------- */

static void test_set_timer_future_then_fires(void **state)
{
    uint64_t at = time_now_ns() + 5 * NS_PER_MS;
    assert_int_equal(hc(__HYPERVISOR_set_timer_op, at, 0, 0), 0);
    assert_int_equal(v->singleshot_deadline, at);
    assert_false(pending(timer_port));
    fake.tsc += 4 * MS;
    sched_run_timers();
    assert_false(pending(timer_port));
    fake.tsc += 2 * MS;
    sched_run_timers();
    assert_true(pending(timer_port));
    assert_int_equal(v->singleshot_deadline, 0);
    assert_int_equal(vcpu_info_of(v)->evtchn_upcall_pending, 1);
}

static void test_set_timer_zero_stops(void **state)
{
    assert_int_equal(hc(__HYPERVISOR_set_timer_op, time_now_ns() + NS_PER_MS, 0, 0), 0);
    assert_int_equal(hc(__HYPERVISOR_set_timer_op, 0, 0, 0), 0);
    assert_int_equal(v->singleshot_deadline, 0);
    fake.tsc += 2 * MS;
    sched_run_timers();
    assert_false(pending(timer_port));
}

static void test_set_timer_past_fires_at_once(void **state)
{
    fake.tsc += 10 * MS;
    assert_int_equal(hc(__HYPERVISOR_set_timer_op, time_now_ns() - NS_PER_MS, 0, 0), 0);
    assert_true(pending(timer_port));
    assert_int_equal(v->singleshot_deadline, 0);
    /* Exactly now counts as passed. */
    s->evtchn_pending[0] = 0;
    assert_int_equal(hc(__HYPERVISOR_set_timer_op, time_now_ns(), 0, 0), 0);
    assert_true(pending(timer_port));
}

static void test_set_timer_huge_and_negative(void **state)
{
    uint64_t now = time_now_ns();
    /* Negative: Xen's warning, and a timer event in 100 ms. */
    assert_int_equal(hc(__HYPERVISOR_set_timer_op, (uint64_t)-5, 0, 0), 0);
    assert_int_equal(v->singleshot_deadline, now + 100 * NS_PER_MS);
    /* 2^50 ns or more ahead: the same. */
    assert_int_equal(hc(__HYPERVISOR_set_timer_op, now + (1ULL << 50), 0, 0), 0);
    assert_int_equal(v->singleshot_deadline, now + 100 * NS_PER_MS);
    /* Just below 2^50 ahead is taken as given. */
    assert_int_equal(hc(__HYPERVISOR_set_timer_op, now + (1ULL << 50) - 1, 0, 0), 0);
    assert_int_equal(v->singleshot_deadline, now + (1ULL << 50) - 1);
    assert_false(pending(timer_port));
}

/* Without VIRQ_TIMER bound a timer fires into nothing, and then nothing can wake the vCPU. */
static void test_timer_unbound_virq(void **state)
{
    assert_int_equal(port_op(EVTCHNOP_close, timer_port), 0);
    assert_int_equal(hc(__HYPERVISOR_set_timer_op, time_now_ns() + NS_PER_MS, 0, 0), 0);
    assert_int_not_equal(sched_next_deadline(), 0);
    fake.tsc += 2 * MS;
    sched_run_timers();
    assert_int_equal(s->evtchn_pending[0], 0);
    assert_int_equal(sched_next_deadline(), 0); /* the periodic timer needs the VIRQ too */
}

/* ---- periodic timer ----------------------------------------------------- */

static void test_periodic_default_10ms(void **state)
{
    assert_int_equal(v->periodic_period, 10 * NS_PER_MS);
    uint64_t first = sched_next_deadline();
    assert_int_equal(first, v->periodic_last + 10 * NS_PER_MS);
    fake.tsc = first * 3 + 1; /* system time just past it (time started at tsc 0) */
    sched_run_timers();
    assert_true(pending(timer_port));
    assert_int_equal(sched_next_deadline(), v->periodic_last + 10 * NS_PER_MS);
    assert_true(v->periodic_last >= first);
}

static void test_periodic_set_and_stop(void **state)
{
    struct vcpu_set_periodic_timer p = {.period_ns = 999999};
    td_put(v, ARG, &p, sizeof(p));
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, ARG), -XEN_EINVAL);
    p.period_ns = 1ULL << 63;
    td_put(v, ARG, &p, sizeof(p));
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, ARG), -XEN_EINVAL);
    p.period_ns = NS_PER_MS;
    td_put(v, ARG, &p, sizeof(p));
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, ARG), 0);
    assert_int_equal(v->periodic_period, NS_PER_MS);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, TD_UNMAPPED_VA),
                     -XEN_EFAULT);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0), 0);
    assert_int_equal(v->periodic_period, 0);
    assert_int_equal(sched_next_deadline(), 0);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 5, 0), -XEN_ENOENT);
}

/* A vCPU off the CPU (blocked) has no periodic timer; it catches up when switched back. */
static void test_periodic_stops_while_blocked(void **state)
{
    vcpu_info_of(v)->evtchn_upcall_mask = 1;
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0), 0);
    assert_int_equal(v->state, VCPU_BLOCKED);
    assert_int_equal(sched_next_deadline(), 0); /* nothing can wake it: a deadlock */
    fake.tsc += 50 * MS;
    sched_run_timers();
    assert_false(pending(timer_port));
    evtchn_set_pending(v, 1); /* the console port: an upcall wakes it */
    assert_int_equal(v->state, VCPU_RUNNABLE);
    hv_entry_schedule(v); /* the switch back: the overdue period fires at once */
    assert_true(pending(timer_port));
    assert_int_equal(v->periodic_last, time_now_ns());
}

/* ---- singleshot via vcpu_op ---------------------------------------------- */

static void test_vcpu_singleshot(void **state)
{
    struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = time_now_ns() + 3 * NS_PER_MS};
    td_put(v, ARG, &t, sizeof(t));
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, ARG), 0);
    assert_int_equal(v->singleshot_deadline, t.timeout_abs_ns);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0), 0);
    assert_int_equal(v->singleshot_deadline, 0);
    /* In the past, even with VCPU_SSHOTTMR_future: fires at once, as current Xen. */
    fake.tsc += 10 * MS;
    t.timeout_abs_ns = NS_PER_MS;
    t.flags = VCPU_SSHOTTMR_future;
    td_put(v, ARG, &t, sizeof(t));
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, ARG), 0);
    assert_true(pending(timer_port));
}

static void test_vcpu_singleshot_other_vcpu_einval(void **state)
{
    d = td_build(4 * 1024, NULL, 2);
    v = &d->vcpus[0];
    struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = time_now_ns() + NS_PER_MS};
    td_put(v, ARG, &t, sizeof(t));
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 1, ARG), -XEN_EINVAL);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 1, 0), -XEN_EINVAL);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 2, ARG), -XEN_ENOENT);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 0);
    /* Unmodelled sub-ops say so. */
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0), -XEN_ENOSYS);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, ARG), -XEN_ENOSYS);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, 99, 0, ARG), -XEN_ENOSYS);
}

static void test_runstate_info(void **state)
{
    struct vcpu_runstate_info r;
    fake.tsc += 7 * MS;
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, ARG), 0);
    td_get(v, &r, ARG, sizeof(r));
    assert_int_equal(r.state, RUNSTATE_running);
    assert_int_equal(r.time[RUNSTATE_running], 7 * NS_PER_MS); /* on the CPU since setup */
    assert_int_equal(r.time[RUNSTATE_blocked], 0);
    vcpu_info_of(v)->evtchn_upcall_mask = 1;
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0), 0);
    fake.tsc += 3 * MS;
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, ARG), 0);
    td_get(v, &r, ARG, sizeof(r));
    assert_int_equal(r.state, RUNSTATE_blocked);
    assert_int_equal(r.time[RUNSTATE_blocked], 3 * NS_PER_MS);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, TD_UNMAPPED_VA),
                     -XEN_EFAULT);
}

/* ---- block, poll, upcall --------------------------------------------------- */

static void test_block_enables_events_atomically(void **state)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    vi->evtchn_upcall_mask = 1;
    evtchn_set_pending(v, timer_port); /* arrives while masked */
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0), 0);
    assert_int_equal(vi->evtchn_upcall_mask, 0);
    assert_int_equal(v->state, VCPU_RUNNABLE); /* did not sleep: the event is delivered */
}

static void test_upcall_bounce_frame(void **state)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    v->event_callback = 0x104000;
    v->regs.rip = 0x101234;
    v->regs.rsp = TD_STACK_TOP;
    v->regs.rflags = X86_EFLAGS_IF | 2;
    vi->evtchn_upcall_mask = 0;
    hv_entry_resume(v); /* nothing pending: nothing happens */
    assert_int_equal(v->regs.rip, 0x101234);
    evtchn_set_pending(v, timer_port);
    hv_entry_resume(v);
    assert_int_equal(v->regs.rip, 0x104000);
    assert_int_equal(vi->evtchn_upcall_mask, 1);
    assert_int_equal(fake.last_trace.kind, TR_UPCALL);
    assert_int_equal(fake.last_trace.args[0], 0x101234);
    uint64_t frame[7];
    td_get(v, frame, v->regs.rsp, sizeof(frame));
    assert_int_equal(frame[2], 0x101234);     /* rip */
    assert_int_equal(frame[3] >> 32, 0);      /* saved mask: upcalls were enabled */
    assert_true(frame[4] & X86_EFLAGS_IF);    /* rflags.IF = !mask */
    assert_int_equal(frame[5], TD_STACK_TOP); /* rsp */
    hv_entry_resume(v);                       /* masked now: no second frame */
    assert_int_equal(v->regs.rip, 0x104000);
}

static void test_upcall_without_callback_crashes(void **state)
{
    vcpu_info_of(v)->evtchn_upcall_mask = 0;
    evtchn_set_pending(v, timer_port);
    hv_entry_resume(v);
    assert_true(d->is_crashed);
}

static void test_poll_timeout_and_timer(void **state)
{
    evtchn_port_t port = timer_port;
    td_put(v, ARG + 0x100, &port, sizeof(port));
    struct sched_poll p = {.ports = (evtchn_port_t *)(ARG + 0x100), .nr_ports = 1};
    p.timeout = time_now_ns() + 20 * NS_PER_MS;
    td_put(v, ARG, &p, sizeof(p));
    vcpu_info_of(v)->evtchn_upcall_mask = 1;
    assert_int_equal(hc(__HYPERVISOR_set_timer_op, time_now_ns() + 5 * NS_PER_MS, 0, 0), 0);
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0), 0);
    assert_int_equal(v->state, VCPU_POLLING);
    assert_int_equal(sched_next_deadline(), v->singleshot_deadline);
    fake.tsc += 6 * MS;
    sched_run_timers(); /* the timer's port is polled: it wakes */
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(v->poll_deadline, 0);
    /* Poll again with no timer: the timeout wakes it. */
    s->evtchn_pending[0] = 0;
    hv_entry_schedule(v);
    assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0), 0);
    p.timeout = time_now_ns() + 20 * NS_PER_MS;
    td_put(v, ARG, &p, sizeof(p));
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0), 0);
    assert_int_equal(sched_next_deadline(), p.timeout);
    fake.tsc += 21 * MS;
    sched_run_timers();
    assert_int_equal(v->state, VCPU_RUNNABLE);
    /* An upcall that can be delivered ends a poll at once. */
    vcpu_info_of(v)->evtchn_upcall_mask = 0;
    vcpu_info_of(v)->evtchn_upcall_pending = 1;
    assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0), 0);
    assert_int_equal(v->state, VCPU_RUNNABLE);
}

/* ---- event channel ops ------------------------------------------------------ */

static void test_bind_virq_rules(void **state)
{
    evtchn_port_t p;
    assert_int_equal(bind_virq(VIRQ_TIMER, 0, &p), -XEN_EEXIST);
    assert_int_equal(bind_virq(NR_VIRQS, 0, &p), -XEN_EINVAL);
    assert_int_equal(bind_virq(VIRQ_CONSOLE, 1, &p), -XEN_EINVAL); /* global: vCPU 0 only */
    assert_int_equal(bind_virq(VIRQ_DEBUG, 1, &p), -XEN_ENOENT);
    assert_int_equal(bind_virq(VIRQ_DEBUG, 0, &p), 0);
    assert_int_equal(p, 4);
    struct evtchn_status st = {.dom = DOMID_SELF, .port = 4};
    td_put(v, ARG, &st, sizeof(st));
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_status, ARG, 0), 0);
    td_get(v, &st, ARG, sizeof(st));
    assert_int_equal(st.status, EVTCHNSTAT_virq);
    assert_int_equal(st.u.virq, VIRQ_DEBUG);
    /* Sending on a VIRQ port is refused; closing frees it for a rebind. */
    assert_int_equal(port_op(EVTCHNOP_send, 4), -XEN_EINVAL);
    assert_int_equal(port_op(EVTCHNOP_close, 4), 0);
    assert_int_equal(port_op(EVTCHNOP_close, 4), -XEN_EINVAL);
    assert_int_equal(port_op(EVTCHNOP_close, 0), -XEN_EINVAL); /* reserved */
    assert_int_equal(port_op(EVTCHNOP_close, 5000), -XEN_EINVAL);
    assert_int_equal(bind_virq(VIRQ_DEBUG, 0, &p), 0);
    assert_int_equal(p, 4);
}

static void test_ipi_send_to_self_and_close_clears_pending(void **state)
{
    struct evtchn_bind_ipi b = {.vcpu = 0};
    td_put(v, ARG, &b, sizeof(b));
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, ARG, 0), 0);
    td_get(v, &b, ARG, sizeof(b));
    assert_int_equal(b.port, 4);
    assert_int_equal(port_op(EVTCHNOP_send, b.port), 0);
    assert_true(pending(b.port));
    assert_int_equal(vcpu_info_of(v)->evtchn_pending_sel, 1);
    assert_int_equal(vcpu_info_of(v)->evtchn_upcall_pending, 1);
    /* Close clears the pending bit only, not the selector or upcall_pending. */
    assert_int_equal(port_op(EVTCHNOP_close, b.port), 0);
    assert_false(pending(b.port));
    assert_int_equal(vcpu_info_of(v)->evtchn_pending_sel, 1);
    assert_int_equal(vcpu_info_of(v)->evtchn_upcall_pending, 1);
    b.vcpu = 3;
    td_put(v, ARG, &b, sizeof(b));
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, ARG, 0), -XEN_ENOENT);
}

static void test_unmask_semantics(void **state)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    s->evtchn_mask[0] |= 1UL << timer_port;
    evtchn_set_pending(v, timer_port);
    assert_int_equal(vi->evtchn_pending_sel, 0); /* masked: no selector, no upcall */
    assert_int_equal(vi->evtchn_upcall_pending, 0);
    assert_int_equal(port_op(EVTCHNOP_unmask, timer_port), 0);
    assert_int_equal(s->evtchn_mask[0], 0);
    assert_int_equal(vi->evtchn_pending_sel, 1);
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    /* Unmasking a port that was not masked does nothing, even if it is pending. */
    vi->evtchn_pending_sel = 0;
    vi->evtchn_upcall_pending = 0;
    assert_int_equal(port_op(EVTCHNOP_unmask, timer_port), 0);
    assert_int_equal(vi->evtchn_pending_sel, 0);
    assert_int_equal(vi->evtchn_upcall_pending, 0);
    /* Selector already set: no new upcall. */
    s->evtchn_mask[0] |= 1UL << timer_port;
    vi->evtchn_pending_sel = 1;
    assert_int_equal(port_op(EVTCHNOP_unmask, timer_port), 0);
    assert_int_equal(vi->evtchn_upcall_pending, 0);
    assert_int_equal(port_op(EVTCHNOP_unmask, 5000), -XEN_EINVAL);
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, TD_UNMAPPED_VA, 0),
                     -XEN_EFAULT);
}

static void test_ports_run_out(void **state)
{
    struct evtchn_bind_ipi b = {.vcpu = 0};
    td_put(v, ARG, &b, sizeof(b));
    for (unsigned int p = 4; p < HV_NR_EVTCHN; p++)
        assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, ARG, 0), 0);
    assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, ARG, 0), -XEN_ENOSPC);
}

static void test_legacy_event_channel_op(void **state)
{
    struct evtchn_op op = {.cmd = EVTCHNOP_bind_ipi};
    op.u.bind_ipi.vcpu = 0;
    td_put(v, ARG, &op, sizeof(op));
    assert_int_equal(hc(__HYPERVISOR_event_channel_op_compat, ARG, 0, 0), 0);
    td_get(v, &op, ARG, sizeof(op));
    assert_int_equal(op.u.bind_ipi.port, 4);
    assert_int_equal(hc(__HYPERVISOR_event_channel_op_compat, TD_UNMAPPED_VA, 0, 0), -XEN_EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_set_timer_future_then_fires, setup),
        cmocka_unit_test_setup(test_set_timer_zero_stops, setup),
        cmocka_unit_test_setup(test_set_timer_past_fires_at_once, setup),
        cmocka_unit_test_setup(test_set_timer_huge_and_negative, setup),
        cmocka_unit_test_setup(test_timer_unbound_virq, setup),
        cmocka_unit_test_setup(test_periodic_default_10ms, setup),
        cmocka_unit_test_setup(test_periodic_set_and_stop, setup),
        cmocka_unit_test_setup(test_periodic_stops_while_blocked, setup),
        cmocka_unit_test_setup(test_vcpu_singleshot, setup),
        cmocka_unit_test_setup(test_vcpu_singleshot_other_vcpu_einval, setup),
        cmocka_unit_test_setup(test_runstate_info, setup),
        cmocka_unit_test_setup(test_block_enables_events_atomically, setup),
        cmocka_unit_test_setup(test_upcall_bounce_frame, setup),
        cmocka_unit_test_setup(test_upcall_without_callback_crashes, setup),
        cmocka_unit_test_setup(test_poll_timeout_and_timer, setup),
        cmocka_unit_test_setup(test_bind_virq_rules, setup),
        cmocka_unit_test_setup(test_ipi_send_to_self_and_close_clears_pending, setup),
        cmocka_unit_test_setup(test_unmask_semantics, setup),
        cmocka_unit_test_setup(test_ports_run_out, setup),
        cmocka_unit_test_setup(test_legacy_event_channel_op, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
