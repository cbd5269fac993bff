/* Unit tests for hv/common/evtchn.c: Xen's 2-level set_pending, pending checks, waking vCPUs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hv/evtchn.h"
#include "hv/console.h"
#include "hv/hypercall.h"
#include "hv/mm.h"
#include "public/xen.h"
#include "fake_arch.h"
#include "test_domain.h"

static struct domain *d;
static struct vcpu *v;
static struct shared_info *s;

static int setup(void **state)
{
    d = td_setup();
    v = &d->vcpus[0];
    s = d->shared_info;
    return 0;
}

static bool bit(const xen_ulong_t *words, unsigned int n)
{
    return (words[n / 64] >> (n % 64)) & 1;
}
static void set_bit(xen_ulong_t *words, unsigned int n)
{
    words[n / 64] |= 1UL << (n % 64);
}

/* ------------------------------------------------------------------------- */

static void test_ports_allocated_lowest_first(void **state)
{
    assert_int_equal(d->evtchn[0].state, ECS_RESERVED);
    assert_int_equal(d->console_port, 1);
    assert_int_equal(d->store_port, 2);
    for (unsigned int p = 3; p < HV_NR_EVTCHN; p++)
        assert_int_equal(d->evtchn[p].state, ECS_FREE);
    assert_int_equal(d->evtchn[1].notify_vcpu, 0);
    assert_int_equal(d->evtchn[2].notify_vcpu, 0);
}

static void test_set_pending_unmasked_raises_upcall(void **state)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    assert_int_equal(vi->evtchn_upcall_mask, 1); /* as built: the upcall mask does not matter */
    unsigned int kicks = fake.nr_kick;
    evtchn_set_pending(v, 5);
    assert_true(bit(s->evtchn_pending, 5));
    assert_true(evtchn_is_pending(d, 5));
    assert_int_equal(vi->evtchn_pending_sel, 1); /* word 0 */
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    assert_int_equal(s->evtchn_pending[0], 1UL << 5); /* no other bit */
    assert_int_equal(fake.last_trace.kind, TR_EVENT);
    assert_int_equal(fake.last_trace.nr, 5);
    assert_int_equal(fake.last_trace.args[0], 1);
    assert_int_equal(fake.nr_kick, kicks); /* running vCPU: nothing to wake */
    assert_int_equal(v->state, VCPU_RUNNABLE);
}

static void test_set_pending_already_pending_changes_nothing(void **state)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    set_bit(s->evtchn_pending, 9); /* pending, but the guest consumed sel and upcall */
    evtchn_set_pending(v, 9);
    assert_true(bit(s->evtchn_pending, 9));
    assert_int_equal(vi->evtchn_pending_sel, 0);
    assert_int_equal(vi->evtchn_upcall_pending, 0);
    assert_int_equal(fake.last_trace.args[0], 0);
}

static void test_set_pending_masked_port_no_selector(void **state)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    set_bit(s->evtchn_mask, 7);
    evtchn_set_pending(v, 7);
    assert_true(bit(s->evtchn_pending, 7));
    assert_true(evtchn_is_pending(d, 7));
    assert_int_equal(vi->evtchn_pending_sel, 0);
    assert_int_equal(vi->evtchn_upcall_pending, 0);
    assert_int_equal(fake.last_trace.args[0], 0);
    /* A masked port in the same word does not stop another port's upcall. */
    evtchn_set_pending(v, 8);
    assert_int_equal(vi->evtchn_pending_sel, 1);
    assert_int_equal(vi->evtchn_upcall_pending, 1);
}

static void test_selector_already_set_no_new_upcall(void **state)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    evtchn_set_pending(v, 3);
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    /* The guest cleared upcall_pending but has not yet taken the selector word. */
    vi->evtchn_upcall_pending = 0;
    evtchn_set_pending(v, 4);
    assert_true(bit(s->evtchn_pending, 4));
    assert_int_equal(vi->evtchn_pending_sel, 1);
    assert_int_equal(vi->evtchn_upcall_pending, 0); /* selector bit was not newly set */
    assert_int_equal(fake.last_trace.args[0], 0);
}

static void test_set_pending_on_other_vcpu_uses_its_vcpu_info(void **state)
{
    fake_machine_init(TD_FRAMES);
    d = td_build(TD_MEMORY_KB, NULL, 2);
    s = d->shared_info;
    evtchn_set_pending(&d->vcpus[1], 6);
    assert_true(bit(s->evtchn_pending, 6));
    assert_int_equal(s->vcpu_info[1].evtchn_pending_sel, 1);
    assert_int_equal(s->vcpu_info[1].evtchn_upcall_pending, 1);
    assert_int_equal(s->vcpu_info[0].evtchn_pending_sel, 0);
    assert_int_equal(s->vcpu_info[0].evtchn_upcall_pending, 0);
}

static void test_is_pending(void **state)
{
    assert_false(evtchn_is_pending(d, 0));
    assert_false(evtchn_is_pending(d, 63));
    set_bit(s->evtchn_pending, 63);
    assert_true(evtchn_is_pending(d, 63));
    assert_false(evtchn_is_pending(d, 62));
    /* Ports beyond the modelled range are never pending, whatever the bitmap holds. */
    set_bit(s->evtchn_pending, HV_NR_EVTCHN + 1);
    assert_false(evtchn_is_pending(d, HV_NR_EVTCHN + 1));
    assert_false(evtchn_is_pending(d, 0xffffffff));
}

static void test_polling_vcpu_woken_by_its_port(void **state)
{
    v->state = VCPU_POLLING;
    v->poll_ports[0] = 11;
    v->poll_ports[1] = 12;
    v->nr_poll_ports = 2;
    unsigned int kicks = fake.nr_kick;

    set_bit(s->evtchn_mask, 13);
    evtchn_set_pending(v, 13); /* not polled, masked: no upcall either */
    assert_int_equal(v->state, VCPU_POLLING);
    assert_int_equal(fake.nr_kick, kicks);

    set_bit(s->evtchn_mask, 12); /* masked: a poller still wakes */
    evtchn_set_pending(v, 12);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(fake.nr_kick, kicks + 1);
    assert_int_equal(vcpu_info_of(v)->evtchn_pending_sel, 0);
}

/* Xen's vcpu_kick unblocks a poller too: any newly raised upcall ends the poll. */
static void test_polling_vcpu_woken_by_new_upcall(void **state)
{
    v->state = VCPU_POLLING;
    v->poll_ports[0] = 11;
    v->nr_poll_ports = 1;
    evtchn_set_pending(v, 13); /* not polled, but unmasked: upcall_pending rises */
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(vcpu_info_of(v)->evtchn_upcall_pending, 1);
}

static void test_polling_vcpu_not_woken_by_already_pending_port(void **state)
{
    set_bit(s->evtchn_pending, 11);
    v->state = VCPU_POLLING;
    v->poll_ports[0] = 11;
    v->nr_poll_ports = 1;
    evtchn_set_pending(v, 11);
    assert_int_equal(v->state, VCPU_POLLING);
}

static void test_polling_through_sched_op_and_backend_send(void **state)
{
    evtchn_port_t ports[2] = {20, d->store_port};
    td_put(v, TD_SCRATCH_VA, ports, sizeof(ports));
    struct {
        uint64_t ports;
        uint32_t nr;
        uint32_t pad;
        uint64_t timeout;
    } p = {TD_SCRATCH_VA, 2, 0, 0};
    td_put(v, TD_SCRATCH_VA + 0x100, &p, sizeof(p));
    assert_int_equal(td_hc(v, __HYPERVISOR_sched_op, SCHEDOP_poll, TD_SCRATCH_VA + 0x100, 0, 0, 0),
                     0);
    assert_int_equal(v->state, VCPU_POLLING);
    set_bit(s->evtchn_mask, d->console_port); /* else its upcall would end the poll */
    evtchn_backend_send(d, d->console_port);
    assert_int_equal(v->state, VCPU_POLLING);
    evtchn_backend_send(d, d->store_port);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_true(evtchn_is_pending(d, d->store_port));
    /* Polling again returns at once: the port is still pending. */
    assert_int_equal(td_hc(v, __HYPERVISOR_sched_op, SCHEDOP_poll, TD_SCRATCH_VA + 0x100, 0, 0, 0),
                     0);
    assert_int_equal(v->state, VCPU_RUNNABLE);
}

static void test_poller_on_other_vcpu_woken(void **state)
{
    fake_machine_init(TD_FRAMES);
    d = td_build(TD_MEMORY_KB, NULL, 2);
    struct vcpu *v1 = &d->vcpus[1];
    v1->online = true; /* as after VCPUOP_up */
    v1->state = VCPU_POLLING;
    v1->poll_ports[0] = d->console_port;
    v1->nr_poll_ports = 1;
    evtchn_backend_send(d, d->console_port);
    assert_int_equal(v1->state, VCPU_RUNNABLE);
}

static void test_blocked_vcpu_woken_only_by_upcall(void **state)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    v->state = VCPU_BLOCKED;
    set_bit(s->evtchn_mask, 30);
    evtchn_set_pending(v, 30);
    assert_int_equal(v->state, VCPU_BLOCKED); /* masked: no upcall, no wake */
    assert_int_equal(vi->evtchn_upcall_pending, 0);
    unsigned int kicks = fake.nr_kick;
    evtchn_set_pending(v, 31);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    assert_int_equal(fake.nr_kick, kicks + 1);
}

static void test_no_wake_for_offline_or_shut_down_vcpu(void **state)
{
    v->state = VCPU_POLLING;
    v->poll_ports[0] = 3;
    v->nr_poll_ports = 1;
    d->is_shutting_down = true;
    evtchn_set_pending(v, 3);
    assert_int_equal(v->state, VCPU_POLLING);
    assert_true(bit(s->evtchn_pending, 3)); /* the bit is still recorded */
    d->is_shutting_down = false;
    v->online = false;
    v->poll_ports[0] = 4;
    evtchn_set_pending(v, 4);
    assert_int_equal(v->state, VCPU_POLLING);
}

/* The console backend only writes a ring page that is still a plain page of the domain. */
static void test_console_ring_page_must_stay_writable(void **state)
{
    char buf[CONSOLE_RING_OUT_BYTES];
    const char *why = "";
    struct page_info *pg = mfn_to_page(d->console_mfn);
    struct page_info saved = *pg;
    assert_true(console_ring_consume(d, buf, &why) >= 0);
    pg->type = PGT_l1; /* as if the guest had pinned it as a page table */
    pg->type_count = 1;
    assert_int_equal(console_ring_consume(d, buf, &why), -XEN_EACCES);
    assert_non_null(strstr(why, "no longer a writable page"));
    *pg = saved;
    pg->owner = (uint16_t)(d->domid + 1); /* given away */
    assert_int_equal(console_ring_consume(d, buf, &why), -XEN_EACCES);
    *pg = saved;
}

static void test_backend_send_marks_guest_port(void **state)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    evtchn_backend_send(d, d->console_port);
    assert_true(evtchn_is_pending(d, d->console_port));
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    assert_false(evtchn_is_pending(d, d->store_port));
    evtchn_backend_send(d, d->store_port);
    assert_true(evtchn_is_pending(d, d->store_port));
    assert_int_equal(fake.nr_backend_notify, 0); /* the backend sent; nobody notifies it */
}

static void test_send_and_status_on_other_channel_states(void **state)
{
    /* IPI: a send sets the port pending on its vCPU. */
    d->evtchn[5].state = ECS_IPI;
    d->evtchn[5].notify_vcpu = 0;
    struct evtchn_send snd = {.port = 5};
    td_put(v, TD_SCRATCH_VA, &snd, sizeof(snd));
    assert_int_equal(td_hc(v, __HYPERVISOR_event_channel_op, EVTCHNOP_send, TD_SCRATCH_VA, 0, 0, 0),
                     0);
    assert_true(evtchn_is_pending(d, 5));
    assert_int_equal(vcpu_info_of(v)->evtchn_upcall_pending, 1);
    /* Unbound: the send is dropped. */
    d->evtchn[6].state = ECS_UNBOUND;
    d->evtchn[6].remote_dom = 0;
    snd.port = 6;
    td_put(v, TD_SCRATCH_VA, &snd, sizeof(snd));
    assert_int_equal(td_hc(v, __HYPERVISOR_event_channel_op, EVTCHNOP_send, TD_SCRATCH_VA, 0, 0, 0),
                     0);
    assert_false(evtchn_is_pending(d, 6));
    /* VIRQ ports cannot be sent on. */
    d->evtchn[7].state = ECS_VIRQ;
    d->evtchn[7].virq = VIRQ_TIMER;
    snd.port = 7;
    td_put(v, TD_SCRATCH_VA, &snd, sizeof(snd));
    assert_int_equal(td_hc(v, __HYPERVISOR_event_channel_op, EVTCHNOP_send, TD_SCRATCH_VA, 0, 0, 0),
                     -XEN_EINVAL);

    /* Status reports each state. */
    const struct {
        evtchn_port_t port;
        uint32_t status;
    } want[] = {{5, EVTCHNSTAT_ipi}, {6, EVTCHNSTAT_unbound}, {7, EVTCHNSTAT_virq}};
    for (unsigned int i = 0; i < 3; i++) {
        struct evtchn_status st;
        memset(&st, 0, sizeof(st));
        st.dom = DOMID_SELF;
        st.port = want[i].port;
        td_put(v, TD_SCRATCH_VA, &st, sizeof(st));
        assert_int_equal(
            td_hc(v, __HYPERVISOR_event_channel_op, EVTCHNOP_status, TD_SCRATCH_VA, 0, 0, 0), 0);
        td_get(v, &st, TD_SCRATCH_VA, sizeof(st));
        assert_int_equal(st.status, want[i].status);
        assert_int_equal(st.vcpu, 0);
        if (want[i].status == EVTCHNSTAT_virq)
            assert_int_equal(st.u.virq, VIRQ_TIMER);
        if (want[i].status == EVTCHNSTAT_unbound)
            assert_int_equal(st.u.unbound.dom, 0);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(test_ports_allocated_lowest_first, setup),
    cmocka_unit_test_setup(test_set_pending_unmasked_raises_upcall, setup),
    cmocka_unit_test_setup(test_set_pending_already_pending_changes_nothing, setup),
    cmocka_unit_test_setup(test_set_pending_masked_port_no_selector, setup),
    cmocka_unit_test_setup(test_selector_already_set_no_new_upcall, setup),
    cmocka_unit_test_setup(test_set_pending_on_other_vcpu_uses_its_vcpu_info, setup),
    cmocka_unit_test_setup(test_is_pending, setup),
    cmocka_unit_test_setup(test_polling_vcpu_woken_by_its_port, setup),
    cmocka_unit_test_setup(test_polling_vcpu_woken_by_new_upcall, setup),
    cmocka_unit_test_setup(test_polling_vcpu_not_woken_by_already_pending_port, setup),
    cmocka_unit_test_setup(test_polling_through_sched_op_and_backend_send, setup),
    cmocka_unit_test_setup(test_poller_on_other_vcpu_woken, setup),
    cmocka_unit_test_setup(test_blocked_vcpu_woken_only_by_upcall, setup),
    cmocka_unit_test_setup(test_no_wake_for_offline_or_shut_down_vcpu, setup),
    cmocka_unit_test_setup(test_backend_send_marks_guest_port, setup),
    cmocka_unit_test_setup(test_console_ring_page_must_stay_writable, setup),
    cmocka_unit_test_setup(test_send_and_status_on_other_channel_states, setup),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
