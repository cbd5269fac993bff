/* Record files: everything needed to re-run a scenario, and the event stream it produced. */
#ifndef HVSIM_RECORD_H
#define HVSIM_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Format (text, version 1):
 *
 *   hvsim-record 1
 *   tool <version>
 *   scenario <path it was recorded from>
 *   seed <n>
 *   limit <n>
 *   knobs <"none", or the run's sweep values and fuzz knob values: name=V ... #N=V ...>
 *   kernel <name as in the scenario> <size> <fnv64 of the file>   (one per domain, then its
 *   module <entry as in the scenario> <size> <fnv64>                boot modules and ramdisk)
 *   ramdisk <name as in the scenario> <size> <fnv64>
 *   trace-hash 0x<16 hex>
 *   scenario-text <bytes>
 *   <that many bytes: the scenario file as recorded, then one newline>
 *   events <count>
 *   <count lines: the trace, one event per line, as `hvsim run --trace` writes it>
 *   end
 */
#define RECORD_MAX_KERNELS 64 /* kernels, modules and ramdisks together */

struct record_kernel {
    char kind[8]; /* "kernel", "module", "ramdisk" or "disk"; "" reads as "kernel" */
    char name[256];
    uint64_t size, fnv64;
};

struct record {
    char tool[64];
    char scenario_path[1024];
    uint64_t seed, limit;
    char knobs[2048]; /* "none", or the sweep and knob values: "name=V #N=V ..." */
    struct record_kernel kernels[RECORD_MAX_KERNELS];
    unsigned nr_kernels;
    uint64_t trace_hash;
    char *scenario_text;
    size_t scenario_len;
    char **events; /* each NUL-terminated, without the newline */
    size_t nr_events, cap_events;
};

/* Append one event line (copied). 0, or -1 when out of memory. */
int record_add_event(struct record *r, const char *line, size_t len);
int record_write(FILE *f, const struct record *r);
/* Parse a record file; on error -1 with "path:line: message" in err. */
int record_read(const char *path, struct record *r, char *err, size_t errlen);
void record_free(struct record *r);
/* FNV-1a 64 of a buffer (kernel fingerprints). */
uint64_t record_fnv64(const void *p, size_t len);

#endif
