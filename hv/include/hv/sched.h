/* Domains and vCPUs: the core's state for each guest. */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include "hv/types.h"
#include "public/xen.h"

#define HV_MAX_DOMAINS 16
#define HV_MAX_VCPUS 8
#define HV_NAME_LEN 32
#define HV_NR_EVTCHN 64        /* ports per domain modelled in this core */
#define HV_GNTTAB_MAX_FRAMES 4 /* grant-table frames per domain (2048 v1 entries) */

struct domain;

struct trap_bounce_target {
    uint64_t address; /* 0: no handler */
    uint16_t cs;
    uint8_t flags; /* trap_info flags: bits 0-1 DPL, bit 2 mask events */
};

/* Why a vCPU is not running. */
enum vcpu_state {
    VCPU_RUNNABLE = 0,
    VCPU_BLOCKED, /* SCHEDOP_block: waits for an event */
    VCPU_POLLING, /* SCHEDOP_poll: waits for one of poll_ports or the deadline */
    VCPU_DOWN,    /* domain shut down or vCPU not brought up */
};

struct vcpu {
    struct domain *domain;
    unsigned int vcpu_id;
    bool online;
    enum vcpu_state state;

    struct cpu_user_regs regs;
    bool kernel_mode; /* 64-bit PV: guest kernel vs guest user context */

    /* Page tables: machine frames of the kernel and user top-level tables. */
    mfn_t guest_table;
    mfn_t guest_table_user;

    /* Registered entry points. */
    struct trap_bounce_target trap_ctxt[256];
    uint64_t event_callback;
    uint64_t failsafe_callback;
    uint64_t syscall_callback;
    bool syscall_mask_events;
    uint64_t kernel_ss, kernel_sp; /* stack_switch */
    uint64_t gs_base_kernel, gs_base_user;

    /* Guest GDT (set_gdt): frames and entry count. */
    uint64_t gdt_frames[16];
    unsigned int gdt_ents;

    /* SCHEDOP_poll. */
    evtchn_port_t poll_ports[128];
    unsigned int nr_poll_ports;
    uint64_t poll_deadline; /* system time ns; 0 = none */

    /*
     * Timers (system time ns). The singleshot timer runs whatever the vCPU
     * does; the periodic one only while the vCPU is on the CPU (as Xen stops
     * it at every context switch away and catches up at the switch back).
     */
    uint64_t singleshot_deadline; /* 0 = stopped */
    uint64_t periodic_period;     /* 0 = stopped; 10 ms at creation */
    uint64_t periodic_last;       /* when it last fired (or was re-phased) */
    /* Port bound to each VIRQ on this vCPU (0 = none). */
    evtchn_port_t virq_to_port[NR_VIRQS];

    /* VCPUOP_get_runstate_info: state (RUNSTATE_*), since when, time per state. */
    struct vcpu_runstate_info runstate;

    /* Guard against a machine whose mappings never catch up (hv_entry_page_fault). */
    uint64_t stale_fault_va;
    unsigned int nr_stale_faults;

    /* Counters for the trace and benchmarks. */
    uint64_t nr_hypercalls, nr_traps, nr_rdtsc;
};

enum evtchn_state {
    ECS_FREE = 0,
    ECS_RESERVED,
    ECS_UNBOUND,
    ECS_INTERDOMAIN,
    ECS_VIRQ,
    ECS_IPI,
};

/* Who is at the far end of an interdomain port when it is not a guest. */
enum evtchn_backend {
    EVB_NONE = 0,
    EVB_CONSOLE,  /* the console daemon (sim/ or the bare-metal serial) */
    EVB_XENSTORE, /* the xenstore daemon in the core (hv/xenstore.h) */
    EVB_BLKIF,    /* a block backend in the core (hv/blkback.h) */
};

struct evtchn {
    uint8_t state;
    uint8_t backend;
    uint16_t remote_dom;
    uint32_t remote_port;
    uint32_t notify_vcpu;
    uint32_t virq;
};

struct domain {
    bool in_use;
    domid_t domid;
    char name[HV_NAME_LEN];
    bool is_compat; /* 32-bit PAE guest (layout only in this release) */

    bool is_shutting_down;
    bool is_crashed;
    bool is_dying;            /* destroyed by the toolstack: never runs again */
    unsigned int pause_count; /* toolstack pauses; runnable only at 0 */
    unsigned int shutdown_reason;
    int shutdown_code; /* SCHEDOP_shutdown_code latch; -1 = none */
    char crash_reason[160];

    unsigned int max_vcpus;
    struct vcpu vcpus[HV_MAX_VCPUS];

    /* Memory. */
    uint64_t tot_pages, max_pages;
    uint64_t *p2m; /* pfn -> mfn, hypervisor copy (nr_p2m entries) */
    uint64_t nr_p2m;
    mfn_t shared_info_mfn; /* owned by the hypervisor, shared with the guest */
    struct shared_info *shared_info;
    unsigned long vm_assist;

    /* Start-of-day facts from the builder. */
    uint64_t virt_base;
    uint64_t start_info_va;
    mfn_t console_mfn, store_mfn;
    uint32_t console_port, store_port;

    struct evtchn evtchn[HV_NR_EVTCHN];

    /*
     * Grant table, v1 only (hv/grant.h). Its frames are hypervisor frames
     * shared with the guest, like shared_info; nr_frames grows on
     * GNTTABOP_setup_table up to HV_GNTTAB_MAX_FRAMES. Each table frame has
     * an `active` frame beside it, owned by the hypervisor and never mapped:
     * what the core's backends hold of each grant (grant_table.c).
     */
    struct {
        mfn_t frames[HV_GNTTAB_MAX_FRAMES];
        mfn_t active[HV_GNTTAB_MAX_FRAMES];
        uint32_t nr_frames;
        uint32_t version; /* 1 (v2 is not modelled) */
        uint32_t nr_held; /* gnttab_acquire calls not yet released */
    } gnttab;

    uint64_t next_bounce_seq;
};

struct hv_state {
    struct domain domains[HV_MAX_DOMAINS];
    /* The vCPU the machine last switched to (hv_entry_schedule); NULL before the first. */
    struct vcpu *current;
};
extern struct hv_state hv;

struct domain *domain_by_id(domid_t id);
static inline struct vcpu *domain_vcpu(struct domain *d, unsigned int i)
{
    return i < d->max_vcpus ? &d->vcpus[i] : NULL;
}
static inline struct vcpu_info *vcpu_info_of(struct vcpu *v)
{
    return &v->domain->shared_info->vcpu_info[v->vcpu_id];
}

/* Shut the domain down with a reason; every vCPU leaves the CPU. */
void domain_shutdown(struct domain *d, unsigned int reason);
/* Crash the domain with a one-line diagnosis (kept for the trace and results). */
void domain_crash(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Toolstack pause and unpause (counted, as Xen's domain_pause_by_systemcontroller). */
void domain_pause(struct domain *d);
void domain_unpause(struct domain *d);
/* Toolstack destroy: the domain stops for good, without a guest-visible shutdown reason. */
void domain_kill(struct domain *d);
bool vcpu_runnable(const struct vcpu *v);
void vcpu_wake(struct vcpu *v);

/*
 * Earliest pending timer deadline (system time ns): singleshot timers,
 * poll timeouts, and the periodic timer of the vCPU on the CPU while
 * VIRQ_TIMER is bound; 0 if none. Each one can wake a vCPU or raise an
 * event, so with none pending an idle machine can never wake up again.
 */
uint64_t sched_next_deadline(void);
/*
 * Fire every timer whose deadline has passed and do due time-record
 * refreshes (call whenever time moved on: after a slice, after idling, on a
 * tick). Time-record refreshes are not deadlines: they happen at the first
 * call after they fall due.
 */
void sched_run_timers(void);
/* Record a change of v's runstate (RUNSTATE_*) at the current system time. */
void vcpu_runstate_change(struct vcpu *v, int state);
/* v was created: runstate, the default 10 ms periodic timer. */
void vcpu_timers_init(struct vcpu *v);
/* EVTCHNOP_bind_virq just bound VIRQ_TIMER on v. */
void vcpu_timer_virq_bound(struct vcpu *v);

#endif
