/* Trace records the core emits for every hypercall, trap, shutdown and console line. */
#ifndef HV_TRACE_H
#define HV_TRACE_H

#include "hv/types.h"

enum trace_kind {
    TR_HYPERCALL = 1, /* nr = hypercall, args[0..4], result */
    TR_TRAP,          /* nr = vector, args[0] = rip, args[1] = error code, args[2] = cr2 */
    TR_EMULATE,       /* nr = what (TR_EMUL_*), args[0] = rip, args[1..] = values */
    TR_SHUTDOWN,      /* nr = reason, args[0] = code */
    TR_CRASH,         /* text = diagnosis */
    TR_CONSOLE,       /* text = one console line; nr = source (TR_CON_*) */
    TR_EVENT,         /* nr = port, args[0] = 1 if the upcall was raised */
    TR_UPCALL,        /* event upcall delivered: args[0] = interrupted rip, args[1] = callback */
};

enum { TR_EMUL_RDTSC = 1, TR_EMUL_CPUID, TR_EMUL_CR3_READ, TR_EMUL_RDTSCP };
enum { TR_CON_HYPERCALL = 0, TR_CON_RING = 1 };

struct trace_rec {
    uint8_t kind;
    uint16_t dom;
    uint16_t vcpu;
    uint32_t nr;
    uint8_t nargs; /* TR_HYPERCALL: how many of args[] the call takes */
    uint64_t args[5];
    int64_t result;
    const char *text; /* not terminated; textlen bytes */
    size_t textlen;
};

const char *hypercall_name(unsigned int nr);
/* "#GP" etc. for vectors below 32, NULL otherwise. */
const char *trap_vector_name(unsigned int vector);
/* "poweroff" ... "soft_reset", or "unknown". */
const char *shutdown_reason_name(unsigned int reason);

#endif
