/* The arch contract: every hook the core needs from a machine, declared once. */
#ifndef HV_ARCH_H
#define HV_ARCH_H

/*
 * hv/common calls only these functions to reach the machine. hv/arch/sim
 * implements them on top of sim/ (Unicorn); hv/arch/x86_64 on bare metal.
 * None of them may fail silently: a hook that cannot do its job panics.
 */

#include "hv/types.h"

struct domain;
struct vcpu;
struct trace_rec;

/* Hypervisor pointer to the 4 KiB machine frame `mfn` (always valid for mfn < nr_frames). */
void *arch_mfn_to_virt(mfn_t mfn);

/* One line of hypervisor log text (no trailing newline). */
void arch_log(const char *s, size_t len);

/* console_io(CONSOLEIO_write) bytes from domain d. */
void arch_console_io_write(struct domain *d, const char *s, size_t len);
/* console_io(CONSOLEIO_read): fill up to len bytes of pending input; returns count. */
size_t arch_console_io_read(struct domain *d, char *buf, size_t len);

/*
 * The hypervisor's own (virtual) TSC right now, and its frequency. It
 * advances steadily, never jumps, and wraps modulo 2^64; system time is
 * derived from it.
 */
uint64_t arch_tsc_now(void);
uint64_t arch_tsc_khz(void);
/*
 * The TSC vCPU v reads (RDTSC/RDTSCP, and tsc_timestamp in its time record)
 * at the instant the hypervisor's TSC reads `tsc`: `tsc` plus whatever
 * offsets the machine applies to guests (machine-wide jumps, per-vCPU
 * warps; none on bare metal). A pure function of its arguments, so that a
 * time record's tsc_timestamp and system_time describe the same instant.
 */
uint64_t arch_vcpu_tsc(const struct vcpu *v, uint64_t tsc);

/*
 * The vCPU stopped being runnable (blocked, polling, yielded or its domain
 * shut down): when the current entry returns, the machine must leave it
 * and schedule another.
 */
void arch_vcpu_deschedule(struct vcpu *v);
/* v (currently not running) became runnable again. */
void arch_vcpu_kick(struct vcpu *v);

/* The mappings seen by v changed (page tables, baseptr, guest mode). */
void arch_mmu_changed(struct vcpu *v);
/* v's descriptor tables or segment bases changed. */
void arch_segments_changed(struct vcpu *v);

/* A guest sent on a port whose far end is a backend the machine provides. */
void arch_evtchn_backend_notify(struct domain *d, uint32_t port, unsigned int backend);

/* One trace record (hypercall, trap, shutdown, console, ...). */
void arch_trace(const struct trace_rec *r);

/* Hypervisor bug: print and stop the machine. Never returns. */
__attribute__((noreturn)) void arch_panic(const char *msg);

#endif
