/* Grant tables (v1) for guests: set up and map the table, grant a frame to a domain, revoke it. */
#ifndef GUEST_GNTTAB_H
#define GUEST_GNTTAB_H

#include "lib.h"
#include <public/grant_table.h>

/*
 * The table is the hypervisor's frames, shared with us like shared_info:
 * gnttab_init() asks for version 1 (GNTTABOP_set_version), has
 * GNTTABOP_setup_table give the machine frames of GNTTAB_FRAMES table
 * frames and maps them writable over a page-aligned buffer of ours (the
 * buffer's own frames are left unused, as setup.c does for shared_info).
 *
 * Entries 0-7 are reserved by convention (the toolstack's console and
 * xenstore grants live there in Xen), so refs start at GNTTAB_FIRST_REF.
 * A grant is published the way Xen requires: frame and domid first, then a
 * write barrier, then the flags that make the entry valid.
 */
#define GNTTAB_FRAMES 1
#define GNTTAB_NR_ENTRIES (GNTTAB_FRAMES * GNTTAB_V1_ENTRIES_PER_FRAME)
#define GNTTAB_FIRST_REF 8

/* 0, or the hypercall's -XEN_Exxx, or a GNTST_* status (negative) of the failing operation. */
long gnttab_init(void);
bool gnttab_ready(void);

/*
 * Let domain `domid` use machine frame `mfn` (read-only if `readonly`).
 * Returns the ref (>= GNTTAB_FIRST_REF), or -XEN_ENOSPC when every entry is
 * in use, -XEN_ENODEV before gnttab_init().
 */
long gnttab_grant_access(domid_t domid, unsigned long mfn, bool readonly);

/*
 * Revoke a grant as Linux's gnttab_end_foreign_access_ref does: clear the
 * flags with a compare-and-exchange unless GTF_reading or GTF_writing says
 * the grantee is still using the frame. On success the ref is free again and
 * 0 is returned; -XEN_EBUSY if the grant is in use (the entry is left as
 * it was), -XEN_EINVAL for a ref that is not granted.
 */
long gnttab_end_access(grant_ref_t ref);

/* The entry's current flags (GTF_*), for tests that look at reading/writing. */
uint16_t gnttab_entry_flags(grant_ref_t ref);

/* Refs handed out and not yet ended. */
unsigned int gnttab_nr_granted(void);

#endif
