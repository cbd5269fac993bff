/* Grant tables, v1 (placeholder until the hypercall lands: no table frames yet). */
#include "hv/grant.h"
#include "hv/lib.h"

void gnttab_domain_init(struct domain *d)
{
    d->gnttab.nr_frames = 0;
    d->gnttab.version = 1;
}

void gnttab_domain_destroy(struct domain *d)
{
    d->gnttab.nr_frames = 0;
}
