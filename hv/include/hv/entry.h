/* Entry points from the arch layer into the core, one per kind of guest exit. */
#ifndef HV_ENTRY_H
#define HV_ENTRY_H

/*
 * Protocol: the arch layer saves the guest's registers into v->regs, calls
 * one entry, then loads v->regs back into the CPU (even if unchanged) and
 * resumes the guest, unless the core called arch_vcpu_deschedule(v).
 * RIP conventions are noted per entry.
 */

#include "hv/sched.h"

/* A `syscall` instruction; regs.rip = the address after it. Kernel mode:
 * hypercall (also for GRUB, which does not use the page). User mode: bounce
 * to the registered syscall callback. */
void hv_entry_syscall(struct vcpu *v);

/* An exception raised by the guest. Faults: regs.rip = faulting
 * instruction; traps (#BP, #OF): regs.rip = after it. The core emulates
 * what Xen emulates for PV guests (RDTSC via CR4.TSD, forced-emulation
 * CPUID, mov from cr3) and bounces the rest through the trap table. */
void hv_entry_exception(struct vcpu *v, unsigned int vector, uint32_t error_code);

/* A memory access the machine refused at guest virtual address va
 * (access = ACCESS_READ/WRITE/FETCH); regs.rip = the faulting instruction.
 * The core computes the #PF error code from the guest's page tables. */
void hv_entry_page_fault(struct vcpu *v, uint64_t va, int access);

/*
 * The machine is about to run `next` (call before each time slice, or
 * each return to a guest on bare metal; calling it when `next` simply runs
 * on is harmless). When the CPU was idle or ran another vCPU, or `next`
 * left the CPU since (blocked, paused), this is a context switch: runstates,
 * the periodic timer and, under the xen refresh policy, the time record.
 */
void hv_entry_schedule(struct vcpu *next);

/*
 * The machine is about to return to v's guest context (at the start of a
 * slice and after every core entry; v->regs is authoritative). If v has an
 * event upcall pending and upcalls unmasked, the core builds the bounce
 * frame to v's event callback in v->regs and masks upcalls (Xen's
 * test_all_events). May change every register, the guest mode and the
 * mappings (arch_mmu_changed), or crash the domain.
 */
void hv_entry_resume(struct vcpu *v);

/* A CPUID instruction executed by the guest; regs.rip = after it. */
void hv_entry_cpuid(struct vcpu *v);

/* Fill a CPUID leaf as the core presents it (deterministic policy). */
void cpuid_policy(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif
