/* Grant tables, version 1, as PV guests see them (grant_table.h; docs/devices.md 1). */
#ifndef HVSIM_PUBLIC_GRANT_TABLE_H
#define HVSIM_PUBLIC_GRANT_TABLE_H

#include "public/xen.h"

typedef uint32_t grant_ref_t;

/* grant_table_op(cmd, uop, count): `count` operations of the command's struct at `uop`. */
#define GNTTABOP_map_grant_ref 0
#define GNTTABOP_unmap_grant_ref 1
#define GNTTABOP_setup_table 2
#define GNTTABOP_dump_table 3
#define GNTTABOP_transfer 4
#define GNTTABOP_copy 5
#define GNTTABOP_query_size 6
#define GNTTABOP_unmap_and_replace 7
#define GNTTABOP_set_version 8
#define GNTTABOP_get_status_frames 9
#define GNTTABOP_get_version 10
#define GNTTABOP_swap_grant_ref 11
#define GNTTABOP_cache_flush 12

/*
 * One v1 entry: 8 bytes, 512 per 4 KiB frame. For a PV granter `frame`
 * is a machine frame.
 *
 *   15 ....... 9   8        7   6   5   4        3        2         1 0
 *   [ reserved ] sub_page  PAT PCD PWT writing  reading  readonly  type
 */
struct grant_entry_v1 {
    uint16_t flags;
    domid_t domid; /* who may use the grant */
    uint32_t frame;
};
#define GNTTAB_V1_ENTRIES_PER_FRAME (4096 / sizeof(struct grant_entry_v1))

#define GTF_invalid 0
#define GTF_permit_access 1
#define GTF_accept_transfer 2
#define GTF_transfer_committed 3 /* with GTF_accept_transfer entries only */
#define GTF_type_mask 3
#define GTF_readonly (1u << 2)
#define GTF_reading (1u << 3) /* set by Xen while the grantee reads the frame */
#define GTF_writing (1u << 4) /* set by Xen while the grantee may write it */
#define GTF_PWT (1u << 5)
#define GTF_PCD (1u << 6)
#define GTF_PAT (1u << 7)
#define GTF_sub_page (1u << 8)

/* Per-operation status codes (the hypercall itself returns 0 or -errno). */
#define GNTST_okay 0
#define GNTST_general_error (-1)
#define GNTST_bad_domain (-2)
#define GNTST_bad_gntref (-3)
#define GNTST_bad_handle (-4)
#define GNTST_bad_virt_addr (-5)
#define GNTST_bad_dev_addr (-6)
#define GNTST_no_device_space (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page (-9)
#define GNTST_bad_copy_arg (-10)
#define GNTST_address_too_big (-11)
#define GNTST_eagain (-12)
#define GNTST_no_space (-13)

/* GNTTABOP_setup_table: the machine frames of the first nr_frames table frames. */
struct gnttab_setup_table {
    domid_t dom; /* DOMID_SELF or the caller */
    uint32_t nr_frames;
    int16_t status;        /* OUT: GNTST_* */
    xen_pfn_t *frame_list; /* guest handle: nr_frames entries, OUT */
};

/* GNTTABOP_query_size. */
struct gnttab_query_size {
    domid_t dom;
    uint32_t nr_frames;     /* OUT */
    uint32_t max_nr_frames; /* OUT */
    int16_t status;         /* OUT */
};

/* GNTTABOP_set_version: IN the wanted version, OUT the version in force. */
struct gnttab_set_version {
    uint32_t version;
};

/* GNTTABOP_get_version. */
struct gnttab_get_version {
    domid_t dom;
    uint16_t pad;
    uint32_t version; /* OUT */
};

/* Layouts pinned for both guest widths (docs/devices.md 1). */
ABI_SIZE(grant_entry_v1, 8);
ABI_OFF(grant_entry_v1, domid, 2);
ABI_OFF(grant_entry_v1, frame, 4);
ABI_OFF(gnttab_setup_table, nr_frames, 4);
ABI_OFF(gnttab_setup_table, status, 8);
ABI_SIZE(gnttab_query_size, 16);
ABI_OFF(gnttab_query_size, max_nr_frames, 8);
ABI_OFF(gnttab_query_size, status, 12);
ABI_SIZE(gnttab_get_version, 8);
#if defined(__x86_64__)
ABI_OFF(gnttab_setup_table, frame_list, 16);
ABI_SIZE(gnttab_setup_table, 24);
#else
ABI_OFF(gnttab_setup_table, frame_list, 12);
ABI_SIZE(gnttab_setup_table, 16);
#endif

#endif
