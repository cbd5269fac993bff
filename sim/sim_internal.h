/* Internal state of the simulated machine, shared by the files of sim/ and hv/arch/sim/. */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <capstone/capstone.h>
#include <stdarg.h>
#include <unicorn/unicorn.h>

#include "hv/sched.h"
#include "hv/trace.h"
#include "machine.h"

/*
 * Layout of the hypervisor hole in every engine (guest L4 slots 256-271,
 * which the core never lets a guest map):
 *
 *   0xFFFF800000000000  M2P table, read-only (MACH2PHYS_VIRT_START_64)
 *   0xFFFF840000000000  GDT, 64 KiB: guest entries + Xen's reserved selectors
 *   0xFFFF840000010000  stub page: `iretq`, used to change CPL/CS/SS
 *   0xFFFF840000011000  stack page holding the iretq frame
 *   0xFFFF87FFFFFFF000  SIM_UNTIL: the uc_emu_start end address, never mapped
 *
 * Paging is off inside Unicorn (it ignores guest paging in 2.0.1 anyway), so
 * these are plain addresses; the guest at CPL3 can read (not write) them.
 */
#define SIM_HOLE_START 0xFFFF800000000000ULL
#define SIM_HOLE_END 0xFFFF880000000000ULL
#define SIM_HV_VA 0xFFFF840000000000ULL
#define SIM_GDT_BYTES 0x10000ULL
#define SIM_STUB_VA (SIM_HV_VA + SIM_GDT_BYTES)
#define SIM_STACK_VA (SIM_STUB_VA + 0x1000ULL)
#define SIM_HV_BYTES (SIM_GDT_BYTES + 0x2000ULL)
#define SIM_UNTIL 0xFFFF87FFFFFFF000ULL

/* One Unicorn memory region: guest VAs [va, va+len) -> machine frames from mfn. */
struct sim_region {
    uint64_t va, len, mfn;
    uint32_t prot;
};

struct sim_regions {
    struct sim_region *r;
    size_t n, cap;
};

/* Why uc_emu_start returned (besides the slice budget). */
enum sim_exit {
    SIM_EXIT_NONE = 0,
    SIM_EXIT_HOOK_STOP, /* a hook ran the core and v->regs is authoritative */
    SIM_EXIT_MEMFAULT,  /* UC_HOOK_MEM_INVALID recorded fault_addr / fault_access */
};

struct sim_domain;

struct sim_vcpu {
    struct sim_machine *m;
    struct sim_domain *sd;
    struct vcpu *v;
    uc_engine *uc;
    uc_context *ring0;          /* CPL0 state from before the first entry (see cpu_switch_cpl) */
    uc_context *scratch;        /* for the exception-state fix */
    uint8_t *hv;                /* host memory of the GDT + stub + stack region */
    unsigned int gdt_copied;    /* guest GDT entries currently in the engine GDT */
    struct sim_regions regions; /* guest regions currently mapped in uc */

    bool mmu_dirty;  /* arch_mmu_changed: resync before running guest code again */
    bool seg_dirty;  /* arch_segments_changed: recopy the guest GDT */
    bool desched;    /* arch_vcpu_deschedule while running: leave the CPU */
    bool entered;    /* the engine is at guest CPL (first iretq done) */
    bool running;    /* on the CPU (inside cpu_run_slice) */
    bool in_stub;    /* running the iretq stub (cpu.c switch_cpl), not guest code */
    bool stub_fault; /* the stub's iretq raised an exception: cs/ss refused */
    uint16_t eng_cs, eng_ss, eng_ds, eng_es, eng_fs, eng_gs; /* selectors loaded in uc */
    uint64_t eng_regs[20]; /* what the last cpu_save_regs read, in cpu.c's batch order */
    int cs_mode;         /* CS_MODE_64 or CS_MODE_32: the code mode at entry (instruction counts) */
    uint64_t last_block; /* the previous block (address, size, count): loops skip the table */
    uint32_t last_size, last_count;

    enum sim_exit exit;
    int fault_access; /* ACCESS_* */
    uint64_t fault_addr;

    uint64_t insns;      /* guest instructions executed by this vCPU */
    uint64_t stop_at;    /* machine instruction count at which the slice ends */
    uint64_t idle_exits; /* consecutive exits without one executed instruction */
    int64_t tsc_warp;    /* sim_tsc_warp: this vCPU's TSC against the machine's */
};

/* Per-domain cache of instruction counts per translated block (sim/icount.c). */
struct icount_entry {
    uint64_t addr;
    uint32_t size;
    uint16_t mode;
    uint16_t used;
    uint32_t count;
};
struct icount_table {
    struct icount_entry *e;
    size_t cap, n; /* cap is a power of two */
};

#define SIM_CONSOLE_MAX (4u << 20) /* per domain; a hostile guest cannot eat host memory */
#define SIM_LINE_MAX 512

struct sim_domain {
    struct sim_machine *m;
    struct domain *d;
    unsigned int idx; /* order of sim_add_domain */
    struct sim_vcpu vcpus[HV_MAX_VCPUS];
    unsigned int nr_vcpus;

    /* Console text: [0] everything, [1 + TR_CON_HYPERCALL] console_io, [1 + TR_CON_RING] ring. */
    struct sim_text {
        char *s;
        size_t len, cap;
        bool truncated;
    } text[3];
    /* Partial line per console source (TR_CON_*), for one trace record per line. */
    struct {
        char buf[SIM_LINE_MAX];
        size_t len;
        bool last_cr;
    } line[2];

    struct icount_table icount;
    char name[HV_NAME_LEN];
    char crash_reason[160];
    struct sim_domain_result res;
};

struct sim_machine {
    struct sim_config cfg;
    uint8_t *ram; /* machine frames: MFN n lives at ram + n * 4096 */
    uint64_t nr_frames;
    size_t ram_bytes;
    void *meta;
    size_t meta_bytes;
    uint64_t m2p_bytes; /* length of the M2P mapping */

    struct sim_domain *doms[HV_MAX_DOMAINS]; /* in order of sim_add_domain */
    unsigned int nr_doms;
    struct sim_domain *by_slot[HV_MAX_DOMAINS]; /* indexed by d - hv.domains */

    struct sim_vcpu *order[HV_MAX_DOMAINS * HV_MAX_VCPUS]; /* round-robin order */
    unsigned int nr_order, rr;
    bool order_built;

    struct sim_vcpu *current; /* vCPU inside uc_emu_start, or NULL */
    uint64_t insns;           /* guest instructions executed by the whole machine */
    uint64_t idle_cycles;     /* virtual time skipped while every vCPU waited */
    uint64_t uc_runs;         /* uc_emu_start calls (sim_uc_runs) */
    uint64_t trace_hash;
    FILE *trace;
    csh cs64, cs32;

    enum sim_outcome outcome;
    char outcome_text[256];
    bool stop_requested;      /* the trace sink asked to stop */
    struct sim_vcpu *stopped; /* running when it asked */
    int64_t tsc_offset;       /* sim_tsc_jump: every guest-visible TSC against the machine's */
    uint64_t alarm_ns;        /* sim_set_alarm; 0 = none */
};

/* The live machine (the core is global, so there is at most one). */
extern struct sim_machine *sim_current;

/* A simulator bug (never guest-caused): message, then abort(). */
__attribute__((noreturn, format(printf, 1, 2))) void sim_fatal(const char *fmt, ...);
/* Abort with the Unicorn error if `err` is not UC_ERR_OK; `what` names the call. */
void sim_uc_check(uc_err err, const char *what);
#define UC_CHECK(call) sim_uc_check((call), #call)

struct sim_vcpu *sim_vcpu_of(struct vcpu *v);
struct sim_domain *sim_domain_of(struct domain *d);

/* cpu.c: one engine per vCPU. */
void cpu_create(struct sim_vcpu *sv);
void cpu_destroy(struct sim_vcpu *sv);

/* Copy the guest GDT (v->gdt_frames) plus Xen's reserved entries into the engine GDT. */
void cpu_load_gdt(struct sim_vcpu *sv);
/* Engine -> v->regs (all registers, selectors included). */
void cpu_save_regs(struct sim_vcpu *sv);
/* v->regs -> engine, except selectors, with RIP = rip. */
void cpu_write_regs(struct sim_vcpu *sv, uint64_t rip);
/* From a hook, after cpu_save_regs: only what differs from what that read (RIP as given). */
void cpu_write_changed_regs(struct sim_vcpu *sv, uint64_t rip);
/* v->regs -> engine before a run, through the CPL-switch stub if CS/SS/DS/ES changed.
 * false: the CPU refused v->regs.cs/ss. */
bool cpu_load_regs(struct sim_vcpu *sv);
/* The core changed a selector since the engine state was read. */
bool cpu_selectors_changed(const struct sim_vcpu *sv);

/* exits.c: hooks that turn guest exits into core entries. */
void exits_install_hooks(struct sim_vcpu *sv);
/* Run sv's guest code until the machine count reaches stop_at or the vCPU leaves the CPU. */
void cpu_run_slice(struct sim_vcpu *sv, uint64_t stop_at);

/* run.c: machine instruction count at which the core's next deadline passes (UINT64_MAX: none). */
uint64_t sim_deadline_insns(struct sim_machine *m);

/* excfix.c: the Unicorn 2.0.1 exception-state bug (once per process, then per exception). */
void excfix_init(void);
void excfix_apply(uc_engine *uc, uc_context *scratch);

/* shadow.c: keep uc's address space equal to the vCPU's guest virtual address space. */
void shadow_map_fixed(struct sim_vcpu *sv);
void shadow_sync(struct sim_vcpu *sv);
void shadow_free(struct sim_vcpu *sv);
/* The coalesced region list a walk of v's current page table produces. */
void shadow_build(struct sim_machine *m, struct vcpu *v, struct sim_regions *out);

/* icount.c: instruction counts per block, counted once with Capstone. */
void icount_init(struct sim_machine *m);
void icount_fini(struct sim_machine *m);
void icount_table_free(struct icount_table *t);
uint32_t icount_block(struct sim_vcpu *sv, uint64_t addr, uint32_t size);

/* trace.c: text trace lines, FNV-1a hash, console capture. */
void trace_record(struct sim_machine *m, const struct trace_rec *r);
void trace_line(struct sim_machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void console_append(struct sim_domain *sd, unsigned int source, const char *s, size_t len);
void console_flush(struct sim_domain *sd);
void console_drain_ring(struct sim_domain *sd);

#endif
