/* Public API of the simulated machine: create, add domains, run, read results, destroy. */
#ifndef SIM_MACHINE_H
#define SIM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hv/builder.h"
#include "hv/trace.h"

/*
 * One machine at a time per process: the hypervisor core keeps global state,
 * which sim_create() re-initialises (hv_init). Create, run and destroy as
 * often as needed, but destroy a machine before creating the next.
 *
 * Determinism: no host time, randomness or threads; the same config (seed
 * included), kernels and command lines give the same trace, byte for byte.
 */

struct sim_config {
    uint64_t ram_mib;       /* machine RAM; 0 = 256 MiB */
    uint64_t seed;          /* chooses the initial vCPU order, nothing else */
    uint64_t insn_limit;    /* stop the run after this many guest instructions; 0 = none */
    uint64_t tsc_khz;       /* virtual TSC frequency; 0 = 3000000 (3 GHz) */
    uint64_t slice_insns;   /* scheduler time slice; 0 = SIM_DEFAULT_SLICE */
    const char *trace_path; /* write the trace here (one line per record); NULL = none */
    bool disasm;            /* the tool dumps registers + disassembly of crashed domains */
    bool verbose;           /* hypervisor log lines also go to stderr */
    /*
     * Every trace line (as written to trace_path, without the newline) is
     * also given to trace_sink; a nonzero return stops the run as soon as
     * the current guest exit is handled (outcome SIM_STOPPED), which is how
     * replay halts at the first divergence.
     */
    int (*trace_sink)(void *user, const char *line, size_t len);
    void *trace_user;
    /* Test hook for replay's own tests: from this instruction count on, the
     * virtual TSC reads one cycle late (a deliberate nondeterminism). 0 = off. */
    uint64_t test_perturb_insn;
    /*
     * Every trace record (hypercall, trap, event, console line, ...) as the
     * core produced it, with the hypervisor system time in ns; called for
     * each record whether or not a text trace is written. A nonzero return
     * stops the run like trace_sink does. The scenario runner evaluates
     * trace expectations and `on` conditions here.
     */
    int (*event_sink)(void *user, const struct trace_rec *r, uint64_t now_ns);
    void *event_user;

    /*
     * Clock settings (scenario `tsc_start`, `cycles_per_insn`, `time_refresh`, `wallclock`).
     * The hypervisor's TSC = tsc_start + guest instructions * cycles_per_insn + idle cycles
     * (mod 2^64; it never jumps); system time is ns since boot from it, scaled as Xen
     * does. A guest vCPU reads that TSC plus sim_tsc_jump's and its sim_tsc_warp's offsets.
     */
    uint64_t tsc_start;         /* virtual TSC at boot; near 2^64 it wraps during the run */
    uint32_t cycles_per_insn;   /* cost of every guest instruction; 0 = default (1) */
    unsigned int time_refresh;  /* SIM_REFRESH_*: when vcpu_time_info is rewritten */
    uint64_t refresh_period_ns; /* SIM_REFRESH_PERIODIC: period; 0 = 1 s */
    uint64_t wallclock_sec;     /* wallclock (shared_info wc_*) at system time 0 */
    uint32_t wallclock_nsec;    /* < 1e9 (larger is clamped) */
};

/*
 * Time-record refresh policies (scenario `time_refresh`); every policy also
 * writes each vCPU's record once when its domain is built. Refreshes due
 * while a guest runs happen at the end of its current slice (at most
 * slice_insns late), so they never change how slices are cut.
 */
enum sim_refresh {
    SIM_REFRESH_XEN = 0,  /* on context switch, and the running vCPU every 1 s epoch, as Xen */
    SIM_REFRESH_PERIODIC, /* every vCPU every refresh_period_ns */
    SIM_REFRESH_ON_TIMER, /* at each VIRQ_TIMER sent to the vCPU */
    SIM_REFRESH_FROZEN,   /* only at boot: the condition that exposed GNU Mach's 2013 bug */
};
#define SIM_DEFAULT_CYCLES_PER_INSN 1

#define SIM_DEFAULT_RAM_MIB 256
#define SIM_DEFAULT_TSC_KHZ 3000000
#define SIM_DEFAULT_SLICE 1000000

/* How sim_run() ended. */
enum sim_outcome {
    SIM_RUNNING = 0,
    SIM_ALL_SHUTDOWN, /* every domain shut down (poweroff, crash, reboot, ...) */
    SIM_INSN_LIMIT,   /* config.insn_limit reached first */
    SIM_DEADLOCK,     /* no vCPU runnable and none can wake */
    SIM_LIVELOCK,     /* a vCPU keeps exiting without executing an instruction */
    SIM_NO_DOMAINS,   /* nothing to run */
    SIM_STOPPED,      /* the trace or event sink asked to stop (sim_run may resume) */
    SIM_ALARM,        /* system time reached the alarm (sim_set_alarm; sim_run may resume) */
};

/* What one domain did; valid after sim_run() until sim_destroy(). */
struct sim_domain_result {
    uint16_t domid;
    const char *name;
    bool shut_down; /* SCHEDOP_shutdown or crash */
    bool crashed;
    bool destroyed;               /* sim_destroy_domain (shut_down is then true too) */
    unsigned int shutdown_reason; /* SHUTDOWN_* when shut_down */
    int shutdown_code;            /* SCHEDOP_shutdown_code latch; -1 = none */
    const char *crash_reason;     /* "" unless crashed */
    /* Console output: everything in arrival order, then per source. A guest
     * that prints through both console_io and the PV ring (XTF without
     * SIF_INITDOMAIN) shows each line twice in `console`. */
    const char *console;
    size_t console_len;
    const char *console_io; /* console_io(CONSOLEIO_write) only */
    size_t console_io_len;
    const char *console_ring; /* PV console ring only */
    size_t console_ring_len;
    bool console_truncated; /* a stream hit its cap (4 MiB) */
    uint64_t insns;         /* guest instructions executed by its vCPUs */
    uint64_t nr_hypercalls, nr_traps;
};

struct sim_machine;
struct vcpu;

/* NULL (with a message on stderr) if RAM, the trace file or the engine cannot be set up. */
struct sim_machine *sim_create(const struct sim_config *cfg);
/* Build a domain and give each of its vCPUs a CPU. 0, or -1 with err set. */
int sim_add_domain(struct sim_machine *m, const struct domain_config *cfg, char *err,
                   size_t errlen);
/* Run until an outcome (enum sim_outcome); may be called again after SIM_INSN_LIMIT. */
int sim_run(struct sim_machine *m);
/* Human-readable outcome, e.g. "deadlock: all vCPUs blocked". */
const char *sim_outcome_text(const struct sim_machine *m);

unsigned int sim_nr_domains(const struct sim_machine *m);
/* Result of the idx-th added domain (0-based), NULL if out of range. */
const struct sim_domain_result *sim_domain_result(struct sim_machine *m, unsigned int idx);
/* Guest instructions executed by the whole machine. */
uint64_t sim_insns(const struct sim_machine *m);
/* Times the machine entered Unicorn (uc_emu_start calls, the CPL-switch stub's included):
 * a cost figure for make bench; deterministic, but not part of the trace. */
uint64_t sim_uc_runs(const struct sim_machine *m);
/* 64-bit FNV-1a over every trace line: equal for equal runs. */
uint64_t sim_trace_hash(const struct sim_machine *m);
void sim_destroy(struct sim_machine *m);

/*
 * Control from the scenario timeline. idx is the order of sim_add_domain.
 * Each returns 0, or -1 with a message in err (bad index, unbound port,
 * address outside the domain, ...): the machine is unchanged then.
 */
/* Hypervisor system time (ns since boot). */
uint64_t sim_now_ns(const struct sim_machine *m);
/* sim_run returns SIM_ALARM once system time reaches ns (0 = no alarm). */
void sim_set_alarm(struct sim_machine *m, uint64_t ns);
int sim_pause_domain(struct sim_machine *m, unsigned int idx, bool pause, char *err, size_t errlen);
int sim_destroy_domain(struct sim_machine *m, unsigned int idx, char *err, size_t errlen);
/* The far end of a bound port sends: the guest sees the port pending. */
int sim_evtchn_send(struct sim_machine *m, unsigned int idx, uint32_t port, char *err,
                    size_t errlen);
/* Step the TSC every guest sees by delta cycles (the hypervisor's own clock does not jump). */
int sim_tsc_jump(struct sim_machine *m, int64_t delta, char *err, size_t errlen);
/* Offset one vCPU's TSC by delta cycles against the others (an unsynchronised TSC). */
int sim_tsc_warp(struct sim_machine *m, unsigned int idx, unsigned int vcpu, int64_t delta,
                 char *err, size_t errlen);
/* Write 1..SIM_WRITE_MAX bytes into the domain's memory at a guest-physical (pseudo-physical)
 * address. Page tables and descriptor tables in use are refused. */
#define SIM_WRITE_MAX 4096
int sim_write_guest(struct sim_machine *m, unsigned int idx, uint64_t gpa, const void *bytes,
                    size_t len, char *err, size_t errlen);

/* Registers and the disassembly of a few instructions around the guest RIP. */
void sim_dump_vcpu(FILE *f, struct vcpu *v);
/* The vCPU that was running when the run stopped (SIM_STOPPED), or NULL. */
struct vcpu *sim_stopped_vcpu(const struct sim_machine *m);
/* sim_dump_vcpu for every vCPU of the idx-th domain that has run. */
void sim_dump_domain(FILE *f, struct sim_machine *m, unsigned int idx);

#endif
