/* The arch contract (hv/arch.h) on bare metal: every hook the core calls, on the real machine. */
#include "hv/arch.h"
#include "hv/console.h"
#include "hv/evtchn.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/trace.h"
#include "x86.h"

bool trace_serial;

void *arch_mfn_to_virt(mfn_t mfn)
{
    if (mfn_x(mfn) >= hv_mem.nr_frames && hv_mem.nr_frames)
        hv_panic("arch_mfn_to_virt(0x%llx): beyond machine memory", (unsigned long long)mfn_x(mfn));
    return maddr_to_virt(mfn_x(mfn) << PAGE_SHIFT);
}

void arch_log(const char *s, size_t len)
{
    serial_write("hv: ", 4);
    serial_write(s, len);
    serial_write("\n", 1);
}

void arch_console_io_write(struct domain *d, const char *s, size_t len)
{
    dom_console_write(d, TR_CON_HYPERCALL, s, len);
}

/* No console input on bare metal yet: the serial line is output only. */
size_t arch_console_io_read(struct domain *d, char *buf, size_t len)
{
    return 0;
}

/* The virtual TSC (time.c): tsc_start plus real cycles since boot rescaled to tsc_khz. */
uint64_t arch_tsc_now(void)
{
    return x86_virtual_tsc();
}

uint64_t arch_tsc_khz(void)
{
    return x86_virtual_tsc_khz();
}

/* No TSC jumps or warps on hardware: every vCPU reads the hypervisor's virtual TSC. */
uint64_t arch_vcpu_tsc(const struct vcpu *v, uint64_t tsc)
{
    return tsc;
}

void arch_vcpu_deschedule(struct vcpu *v)
{
    sched_deschedule(v);
}

/* The scheduler asks vcpu_runnable() after every entry and every tick. */
void arch_vcpu_kick(struct vcpu *v) {}

void arch_mmu_changed(struct vcpu *v)
{
    sched_mmu_changed(v);
}

void arch_segments_changed(struct vcpu *v)
{
    sched_segments_changed(v);
}

void arch_evtchn_backend_notify(struct domain *d, uint32_t port, unsigned int backend)
{
    char chunk[CONSOLE_RING_OUT_BYTES];
    const char *why = "";
    int n;

    switch (backend) {
    case EVB_CONSOLE:
        /* As xenconsoled: consume the output, then notify the guest back. */
        n = console_ring_consume(d, chunk, &why);
        if (n < 0)
            hv_log("d%u %s", d->domid, why);
        else
            dom_console_write(d, TR_CON_RING, chunk, (size_t)n);
        evtchn_backend_send(d, port);
        break;
    default:
        hv_log("unmodelled: backend %u (d%u port %u)", backend, d->domid, port);
        break;
    }
}

/*
 * The trace is the simulator's record of a run; on hardware it goes to
 * serial only when asked (trace=serial), one line per record, since it
 * slows the machine down a lot.
 */
void arch_trace(const struct trace_rec *r)
{
    if (!trace_serial)
        return;
    switch (r->kind) {
    case TR_HYPERCALL:
        x86_printf("hv: trace d%uv%u %s(0x%llx, 0x%llx, 0x%llx) = %lld\n", r->dom, r->vcpu,
                   hypercall_name(r->nr), (unsigned long long)r->args[0],
                   (unsigned long long)r->args[1], (unsigned long long)r->args[2],
                   (long long)r->result);
        break;
    case TR_TRAP:
        x86_printf("hv: trace d%uv%u trap %u rip 0x%llx error 0x%llx\n", r->dom, r->vcpu, r->nr,
                   (unsigned long long)r->args[0], (unsigned long long)r->args[1]);
        break;
    case TR_CRASH:
        x86_printf("hv: trace d%u crash: ", r->dom);
        serial_write(r->text, r->textlen);
        serial_write("\n", 1);
        break;
    default:
        x86_printf("hv: trace d%uv%u kind %u nr %u\n", r->dom, r->vcpu, r->kind, r->nr);
        break;
    }
}

void arch_panic(const char *msg)
{
    x86_fatal(msg, NULL);
}
