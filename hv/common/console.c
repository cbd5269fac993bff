/* The PV console backend's ring side: drain a domain's out[] ring as xenconsoled does. */
#include "hv/console.h"
#include "hv/arch.h"
#include "hv/mm.h"
#include "public/xen.h"

_Static_assert(sizeof(((struct xencons_interface *)0)->out) == CONSOLE_RING_OUT_BYTES,
               "CONSOLE_RING_OUT_BYTES is the size of the out[] ring");

int console_ring_consume(struct domain *d, char *buf, const char **why)
{
    if (mfn_x(d->console_mfn) == 0 || !mfn_valid(d->console_mfn)) {
        *why = "console notify without a console ring";
        return -XEN_ENOENT;
    }
    /*
     * A page the domain gave away, or turned into a page table or descriptor
     * page, is not a ring any more: writing out_cons into it would change a
     * validated table behind the type system's back.
     */
    const struct page_info *pg = mfn_to_page(d->console_mfn);
    if (pg->owner != d->domid || (pg->type_count && pg->type != PGT_writable)) {
        *why = "console ring page is no longer a writable page of the domain";
        return -XEN_EACCES;
    }
    struct xencons_interface *ring = arch_mfn_to_virt(d->console_mfn);
    uint32_t cons = __atomic_load_n(&ring->out_cons, __ATOMIC_RELAXED);
    uint32_t prod = __atomic_load_n(&ring->out_prod, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* indices before the data */
    if (prod - cons > sizeof(ring->out)) {
        *why = "console ring: bogus indices";
        return -XEN_EINVAL;
    }
    int n = 0;
    while (cons != prod)
        buf[n++] = ring->out[MASK_XENCONS_IDX(cons++, ring->out)];
    __atomic_thread_fence(__ATOMIC_RELEASE); /* data consumed before the index moves */
    __atomic_store_n(&ring->out_cons, cons, __ATOMIC_RELAXED);
    return n;
}
