/* Trap bounces to the guest kernel, iret, and the emulation Xen does for PV guests. */
#ifndef HV_TRAPS_H
#define HV_TRAPS_H

#include "hv/sched.h"

/* Deliver `vector` to the guest's trap-table handler (or crash the domain). */
void pv_inject_exception(struct vcpu *v, unsigned int vector, bool has_error, uint32_t error);
/* A syscall in guest user mode: bounce to the registered syscall callback. */
void pv_syscall_from_user(struct vcpu *v);
/* Switch between guest kernel and user context (page tables, GS base). */
void pv_toggle_guest_mode(struct vcpu *v);

#endif
