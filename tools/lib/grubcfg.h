/* grub.cfg for the bare-metal build: scenarios turned into GRUB multiboot2 menu entries. */
#ifndef HVSIM_TOOLS_GRUBCFG_H
#define HVSIM_TOOLS_GRUBCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "scenario.h"

/*
 * The contract with the bare-metal kernel (hvsim-hv.elf):
 *
 *   multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu
 *   module2 /boot/<kernel file name> name=<name> memory=<MiB>M [vcpus=<n>] [extra=<text>]
 *
 * one module2 line per domain.  GRUB removes its own quotes and hands each
 * argument on, wrapping one that holds a space in double quotes and
 * backslash-escaping \ ' and " (so the kernel sees "extra=a b"); the kernel
 * parses both forms.
 */
#define GRUBCFG_HV_PATH "/boot/hvsim-hv.elf"
#define GRUBCFG_HV_ARGS "console=com1 exit=qemu"

struct grubcfg_options {
    const char *hv_args; /* hypervisor command line; NULL means GRUBCFG_HV_ARGS */
    /* Where a relative kernel path is looked for after its scenario's own directory. */
    const char *const *search_dirs;
    unsigned nr_search_dirs;
    /* Leave out the scenarios that need the simulator (timeline, sweeps, knobs) instead of
     * failing on them; they are named in a comment and in grubcfg_output.skipped. */
    bool skip_sim_only;
};

struct grubcfg_output {
    char *cfg;     /* the whole grub.cfg */
    char *files;   /* the guest kernels the ISO must hold in /boot: one path per line, each once */
    char *skipped; /* with skip_sim_only: "FILE:LINE: reason" per scenario left out, or NULL */
};

/*
 * Build the grub.cfg for n parsed scenarios.  Every scenario has its own menu
 * entry.  One boot has one clock (tsc_khz, tsc_start, time_refresh,
 * wallclock), so scenarios are grouped by their clock settings: each clock
 * shared by two or more scenarios gets a combined entry booting all their
 * domains at once (domain names must differ within it).  The combined entries
 * come first, so the default entry boots the first scenario's group.
 *
 * Settings that only mean something to the simulator (seed, limit, slice,
 * machine_memory) are written as comments.  Settings the bare-metal kernel
 * cannot honour are errors: a ramdisk, on_crash other than "destroy", control
 * characters in extra, a kernel that is missing or whose file name clashes.
 *
 * Returns 0 and fills *out (release with grubcfg_free), or -1 with one
 * message "FILE:LINE: what is wrong" in err.
 */
int grubcfg_generate(const struct scenario *scns, unsigned n, const struct grubcfg_options *o,
                     struct grubcfg_output *out, char *err, size_t errlen);

void grubcfg_free(struct grubcfg_output *out);

/*
 * Write s as one word of GRUB's script language: as it is when it holds only
 * A-Z a-z 0-9 and _ . , : / = + -, otherwise in single quotes (inside which
 * GRUB expands nothing), a ' becoming '\''.
 */
void grubcfg_put_word(FILE *f, const char *s);

#endif
