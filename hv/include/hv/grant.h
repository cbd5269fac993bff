/* Grant tables (v1): the hypercall, and backends' checked access to granted frames. */
#ifndef HV_GRANT_H
#define HV_GRANT_H

#include "hv/sched.h"
#include "public/grant_table.h"

/* grant_table_op (hypercall 20). 0 or -XEN_E*; each op's own status is GNTST_*. */
long do_grant_table_op(struct vcpu *v, uint64_t cmd, uint64_t uop, uint64_t count);

/* Domain creation and destruction: no frames until GNTTABOP_setup_table, all freed at the end. */
void gnttab_domain_init(struct domain *d);
void gnttab_domain_destroy(struct domain *d);

/*
 * A backend in the hypervisor, acting as domain `grantee` (0: the control
 * domain the backends stand in for), takes hold of grant `ref` of domain
 * `granter`. Checks what Xen checks when mapping a grant: the ref is inside
 * the table, the entry is GTF_permit_access for `grantee`, not GTF_readonly
 * when `write`, and its frame is a frame the granter owns (and, for a
 * write, can be typed writable, so it is not a page table). On success it
 * sets GTF_reading (and GTF_writing for a write) in the entry as Xen does
 * while a grant is in use, holds a reference on the frame, and returns
 * GNTST_okay and the frame; otherwise a GNTST_* error and nothing changes:
 * GNTST_bad_gntref (ref beyond the table), GNTST_general_error (entry not
 * GTF_permit_access for grantee, GTF_readonly for a write, held by another
 * grantee, 0x80 holds of either kind, a write to a frame that cannot be typed
 * writable), GNTST_bad_page (not the granter's frame, or one the hypervisor
 * shares with it: shared_info, its grant table), GNTST_bad_domain (granter
 * destroyed). Later holds of a held ref use the frame the first one took.
 * Every successful acquire must be matched by gnttab_release with the same
 * `write`; a release that matches no hold is logged and ignored.
 */
int gnttab_acquire(struct domain *granter, grant_ref_t ref, domid_t grantee, bool write,
                   mfn_t *out);
void gnttab_release(struct domain *granter, grant_ref_t ref, bool write);

/* Number of grants currently held through gnttab_acquire (tests, the fuzzer's oracles). */
unsigned int gnttab_nr_held(const struct domain *d);

/*
 * For mm_check_invariants: check d's table and its holds (frames owned as
 * they should be, every held frame still the granter's, a frame held for
 * writing typed writable, nr_held the sum of the holds), and add to
 * type_refs[mfn] the writable type references the holds own. 0, or -1 and
 * a reason in why.
 */
int gnttab_check_invariants(const struct domain *d, uint32_t *type_refs, char *why, size_t whylen);

#endif
