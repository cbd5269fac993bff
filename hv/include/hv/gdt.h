/* Xen's reserved GDT entries that guests use: the flat selectors at 0xe000 + 8 * k. */
#ifndef HV_GDT_H
#define HV_GDT_H

#include "hv/types.h"

/*
 * Entries k = 0..7 of the reserved area (FIRST_RESERVED_GDT_ENTRY + k), as
 * in Xen's gdt_table (64-bit PV) and compat_gdt_table (32-bit PV); zero
 * where the machine puts its own (hypervisor code/data, TSS). The accessed
 * bit is preset: a CPU would otherwise write it on the first load.
 */
extern const uint64_t xen_flat_gdt_64[8];
extern const uint64_t xen_flat_gdt_compat[8];

#endif
