/* hvsim run --plot: the simulator's answers to what a plot asks about a trace record. */
#include "plot.h"

#include "hv/mm.h"
#include "hv/sched.h"
#include "public/xen.h"

/* Kept apart from plot.c, which needs nothing of the core: what links plot.c alone (its
 * unit test) does not pull the hypervisor core in. */

static struct vcpu *core_vcpu(uint16_t dom, uint16_t vcpu)
{
    struct domain *d = domain_by_id(dom);
    return d ? domain_vcpu(d, vcpu) : NULL;
}

static bool core_timer_port(void *user, uint16_t dom, uint16_t vcpu, uint32_t port)
{
    (void)user;
    struct vcpu *v = core_vcpu(dom, vcpu);
    return v && port && v->virq_to_port[VIRQ_TIMER] == port;
}

/* The guest has not run since the hypercall read its argument: the struct is the one it
 * gave. copy_from_guest only walks the page tables and reads. */
static bool core_singleshot_deadline(void *user, const struct trace_rec *r, uint64_t *ns)
{
    (void)user;
    struct vcpu *v = core_vcpu(r->dom, r->vcpu);
    struct vcpu_set_singleshot_timer s;
    if (!v || copy_from_guest(v, &s, r->args[2], sizeof(s)))
        return false;
    *ns = s.timeout_abs_ns;
    return true;
}

const struct plot_probe plot_core_probe = {
    .timer_port = core_timer_port,
    .singleshot_deadline = core_singleshot_deadline,
};
