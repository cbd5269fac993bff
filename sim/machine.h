/* Public API of the simulated machine: create, add domains, run, read results, destroy. */
#ifndef SIM_MACHINE_H
#define SIM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hv/builder.h"

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
};

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
    SIM_STOPPED,      /* the trace sink asked to stop */
};

/* What one domain did; valid after sim_run() until sim_destroy(). */
struct sim_domain_result {
    uint16_t domid;
    const char *name;
    bool shut_down; /* SCHEDOP_shutdown or crash */
    bool crashed;
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
/* Guest instructions executed by the whole machine (= the virtual TSC). */
uint64_t sim_insns(const struct sim_machine *m);
/* 64-bit FNV-1a over every trace line: equal for equal runs. */
uint64_t sim_trace_hash(const struct sim_machine *m);
void sim_destroy(struct sim_machine *m);

/* Registers and the disassembly of a few instructions around the guest RIP. */
void sim_dump_vcpu(FILE *f, struct vcpu *v);
/* The vCPU that was running when the run stopped (SIM_STOPPED), or NULL. */
struct vcpu *sim_stopped_vcpu(const struct sim_machine *m);
/* sim_dump_vcpu for every vCPU of the idx-th domain that has run. */
void sim_dump_domain(FILE *f, struct sim_machine *m, unsigned int idx);

#endif
