/* The seed writers' vocabulary for the hypercall target's input format (mkseeds_hc.c,
 * mkseeds_dev.c). */
#ifndef FUZZ_MKSEEDS_HC_H
#define FUZZ_MKSEEDS_HC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mkseeds.h"
#include "public/xen.h"

#define SCRATCH 0x80000ULL
#define PFN_L1 0x10b
#define PFN_CONSOLE 0x107
#define P 1ULL
#define RW 2ULL
#define US 4ULL

enum {
    S_HC,
    S_BLOB,
    S_RELOC,
    S_SETREG,
    S_EXC,
    S_PF,
    S_CPUID,
    S_BACKEND,
    S_RING,
    S_TIME,
    S_SHINFO,
    S_MULTI
};
enum { K0, K8, K64, KS, KP, KM, KSELF, K32 }; /* argument kinds, see get_arg() */

struct arg {
    unsigned kind;
    uint64_t v;
};
#define A0 ((struct arg){K0, 0})
#define A8(x) ((struct arg){K8, (x)})
#define A64(x) ((struct arg){K64, (x)})
#define A32(x) ((struct arg){K32, (x)})
#define AS(off) ((struct arg){KS, (off)}) /* scratch + off */
#define AP(pa) ((struct arg){KP, (pa)})   /* guest-physical address or PTE -> machine */
#define AM(pfn) ((struct arg){KM, (pfn)}) /* PFN -> MFN */
#define ASELF ((struct arg){KSELF, 0})

#define SI_MASK_OFF 1     /* vcpu_info[0].evtchn_upcall_mask */
#define SI_PORT_MASK 2560 /* evtchn_mask[0] */

/* The machine's TSC runs at 3 GHz (fuzz_arch.c). */
#define MS(x) ((uint64_t)(x)*1000000ULL)
#define NS_TICKS(ns) ((ns)*3ULL)

void put_arg_value(struct seed *s, struct arg a);
/* A new seed: the header's flags and console bytes, no TSC advance. */
void start(struct seed *s, uint8_t flags, uint8_t con);
/* A start after ns of system time (the header's TSC advance, in 4096 ticks: up to 89 ms). */
void start_at(struct seed *s, uint8_t flags, uint64_t ns);
void op(struct seed *s, int dom, unsigned kind);
void args5_rel(struct seed *s, const struct arg a[5], bool rel);
void args5(struct seed *s, const struct arg a[5]);
void hc(struct seed *s, int dom, unsigned nr, struct arg a0, struct arg a1, struct arg a2,
        struct arg a3);
/* A hypercall whose first argument is the system time now plus a0 (modulo 2^64). */
void hc_now(struct seed *s, int dom, unsigned nr, struct arg a0, struct arg a1);
void blob_at(struct seed *s, int dom, struct arg va, const void *p, size_t len);
/* The guest writes len bytes at scratch + off. */
void blob(struct seed *s, int dom, uint64_t off, const void *p, size_t len);
/* how: 0 PFN -> MFN, 1 PFN in bits 12..51 -> MFN, 2 scratch offset -> VA, 3 the other's PFN. */
void reloc(struct seed *s, int dom, uint64_t off, unsigned how);
void reloc_at(struct seed *s, int dom, struct arg va, unsigned how);
void setreg(struct seed *s, int dom, unsigned reg, struct arg a);
/* The u64 at scratch + off becomes the system time now plus its value. */
void reloc_now(struct seed *s, int dom, uint64_t off);
/* Time passes (at least ns), with the vCPU on the CPU running. */
void passes(struct seed *s, uint64_t ns);
void shinfo(struct seed *s, int dom, unsigned off, const void *p, size_t len);
/* The console backend notifies the guest. */
void notify(struct seed *s, int dom);
/* The toolstack makes a port pending (as if its far end sent). */
void inject(struct seed *s, int dom, unsigned port);
/* The CPU idles until the next deadline (a time step of 0 ticks). */
void idle(struct seed *s);
void version(struct seed *s, int dom);
void ext(struct mmuext_op *o, unsigned cmd, uint64_t arg1, uint64_t arg2);
void trap(struct trap_info *t, uint8_t vector, uint8_t flags, uint64_t address);
/* The L1 entry mapping va (below 2 MiB), as a guest-physical address. */
uint64_t l1e(uint64_t va);
/* Remap the page at va read-only (same frame), so it can become a table or GDT. */
void make_ro(struct seed *s, int dom, uint64_t va);
/* event_channel_op(cmd, scratch + off). */
void evtchn(struct seed *s, int dom, unsigned cmd, uint64_t off);
void vcpu_op(struct seed *s, int dom, unsigned cmd, unsigned id, struct arg a);
void port_blob(struct seed *s, int dom, uint64_t off, uint32_t port);
void virq_blob(struct seed *s, int dom, uint64_t off, uint32_t virq, uint32_t vcpu);
void unmask_upcalls(struct seed *s, int dom);
/* struct sched_poll at scratch + off, its ports at off + 0x40; timeout relative to now. */
void poll_at(struct seed *s, int dom, uint64_t off, const uint32_t *ports, unsigned n,
             uint64_t nr_ports, uint64_t timeout, bool rel);

/* mkseeds_dev.c: grant tables, unbound ports, xenstore requests on the store ring. */
void seeds_devices(void);

#endif
