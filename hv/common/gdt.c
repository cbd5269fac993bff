/* Xen's flat guest selectors (0xe019 ... 0xe033) as GDT descriptors, for every machine. */
#include "hv/gdt.h"

const uint64_t xen_flat_gdt_64[8] = {
    [4] = 0x00cffb000000ffffULL, /* 0xe023 ring 3 code, compatibility mode */
    [5] = 0x00cff3000000ffffULL, /* 0xe02b ring 3 data */
    [6] = 0x00affb000000ffffULL, /* 0xe033 ring 3 code, 64-bit mode */
};

const uint64_t xen_flat_gdt_compat[8] = {
    [3] = 0x00cfbb000000ffffULL, /* 0xe019 ring 1 code, compatibility mode */
    [4] = 0x00cfb3000000ffffULL, /* 0xe021 ring 1 data */
    [5] = 0x00cffb000000ffffULL, /* 0xe02b ring 3 code, compatibility mode */
    [6] = 0x00cff3000000ffffULL, /* 0xe033 ring 3 data */
};
