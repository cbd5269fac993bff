/* Unit tests for hv/common/mm.c: frame types, recursive validation, PTE updates, guest access. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hv/mm.h"
#include "public/xen.h"
#include "fake_arch.h"
#include "test_domain.h"

/*
 * Two hand-made domains on a small machine: `dom` (domid 1) builds its own
 * tables frame by frame, `other` (domid 2) owns foreign frames. Neither has
 * start-of-day state, so every reference counted here is one the test took.
 */
static struct domain *dom, *other;

#define US (_PAGE_USER)
#define P (_PAGE_PRESENT)
#define RW (_PAGE_RW)

static void make_domain(struct domain *d, domid_t id)
{
    memset(d, 0, sizeof(*d));
    d->in_use = true;
    d->domid = id;
    d->max_vcpus = 1;
    d->shutdown_code = -1;
    d->vcpus[0].domain = d;
    d->vcpus[0].online = true;
    d->vcpus[0].kernel_mode = true;
}

static int setup(void **state)
{
    fake_machine_init(256);
    dom = &hv.domains[0];
    other = &hv.domains[1];
    make_domain(dom, 1);
    make_domain(other, 2);
    return 0;
}

static uint64_t frame(struct domain *d)
{
    return td_alloc_frame(d);
}
static uint64_t *tbl(uint64_t mfn)
{
    return (uint64_t *)(fake.ram + mfn * 4096);
}
static uint64_t pte(uint64_t mfn, uint64_t flags)
{
    return (mfn << 12) | flags;
}
static struct page_info *pg(uint64_t mfn)
{
    return mfn_to_page(_mfn(mfn));
}

static void assert_counts(uint64_t mfn, unsigned int type, uint32_t type_count, uint32_t ref_count)
{
    struct page_info *p = pg(mfn);
    if (p->type != type || p->type_count != type_count || p->ref_count != ref_count)
        fail_msg("frame %llx: type %u count %u refs %u, want type %u count %u refs %u",
                 (unsigned long long)mfn, p->type, p->type_count, p->ref_count, type, type_count,
                 ref_count);
}

/* A full chain for VA 0: L4[0] -> L3[0] -> L2[0] -> L1; the L1 maps data frames. */
struct chain {
    uint64_t l4, l3, l2, l1;
    uint64_t d0, d1, d2; /* L1 slots 0 (RW|US), 1 (RO|US), 2 (RW, kernel only) */
};

static void make_chain(struct chain *c)
{
    c->l4 = frame(dom);
    c->l3 = frame(dom);
    c->l2 = frame(dom);
    c->l1 = frame(dom);
    c->d0 = frame(dom);
    c->d1 = frame(dom);
    c->d2 = frame(dom);
    tbl(c->l4)[0] = pte(c->l3, P | RW | US);
    tbl(c->l3)[0] = pte(c->l2, P | RW | US);
    tbl(c->l2)[0] = pte(c->l1, P | RW | US);
    tbl(c->l1)[0] = pte(c->d0, P | RW | US);
    tbl(c->l1)[1] = pte(c->d1, P | US);
    tbl(c->l1)[2] = pte(c->d2, P | RW);
}

static uint64_t maddr_of(uint64_t table, unsigned int slot)
{
    return (table << 12) + slot * 8;
}

/* Validate the chain and hold it as the vCPU's kernel (and optionally user) table. */
static struct vcpu *install_chain(struct chain *c, bool user_too)
{
    struct vcpu *v = &dom->vcpus[0];
    assert_int_equal(mm_get_page_type(dom, _mfn(c->l4), PGT_l4), 0);
    v->guest_table = _mfn(c->l4);
    if (user_too) {
        assert_int_equal(mm_get_page_type(dom, _mfn(c->l4), PGT_l4), 0);
        v->guest_table_user = _mfn(c->l4);
    }
    td_assert_invariants();
    return v;
}

static void assert_chain_released(const struct chain *c)
{
    assert_counts(c->l4, PGT_none, 0, 0);
    assert_counts(c->l3, PGT_none, 0, 0);
    assert_counts(c->l2, PGT_none, 0, 0);
    assert_counts(c->l1, PGT_none, 0, 0);
    assert_counts(c->d0, PGT_none, 0, 0);
    assert_counts(c->d1, PGT_none, 0, 0);
    assert_counts(c->d2, PGT_none, 0, 0);
}

/* ------------------------------------------------------------------------- */
/* Allocator                                                                  */

static void test_alloc_zeroes_owns_and_counts(void **state)
{
    uint64_t free0 = hv_mem.free_frames;
    assert_int_equal(free0, 255); /* frame 0 is reserved by the fake machine */
    assert_int_equal(pg(0)->owner, DOMID_XEN);
    uint64_t m = frame(dom);
    assert_int_not_equal(m, 0);
    assert_int_equal(pg(m)->owner, dom->domid);
    assert_int_equal(hv_mem.free_frames, free0 - 1);
    tbl(m)[7] = 0xdeadbeef;
    mm_free_frame(_mfn(m));
    assert_int_equal(pg(m)->owner, DOMID_FREE);
    assert_int_equal(hv_mem.free_frames, free0);
    /* Allocate everything: frames come back zeroed, frame 0 is never handed out. */
    for (uint64_t i = 0; i < free0; i++) {
        mfn_t f;
        assert_int_equal(mm_alloc_frame(dom->domid, &f), 0);
        assert_int_not_equal(mfn_x(f), 0);
        assert_int_equal(tbl(mfn_x(f))[7], 0);
    }
    mfn_t f;
    assert_int_equal(mm_alloc_frame(dom->domid, &f), -XEN_ENOMEM);
    assert_int_equal(hv_mem.free_frames, 0);
    td_assert_invariants();
}

/* ------------------------------------------------------------------------- */
/* Types and recursive validation                                            */

static void test_chain_validates_and_releases(void **state)
{
    struct chain c;
    make_chain(&c);
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l4), PGT_l4), 0);
    pg(c.l4)->flags |= PGF_pinned; /* the holder the invariant checker accounts for */
    assert_counts(c.l4, PGT_l4, 1, 0);
    assert_counts(c.l3, PGT_l3, 1, 1);
    assert_counts(c.l2, PGT_l2, 1, 1);
    assert_counts(c.l1, PGT_l1, 1, 1);
    assert_counts(c.d0, PGT_writable, 1, 1);
    assert_counts(c.d1, PGT_none, 0, 1); /* read-only: a reference, no type */
    assert_counts(c.d2, PGT_writable, 1, 1);
    td_assert_invariants();

    /* A second reference only counts. */
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l4), PGT_l4), 0);
    assert_counts(c.l4, PGT_l4, 2, 0);
    assert_counts(c.l3, PGT_l3, 1, 1);
    mm_put_page_type(dom, _mfn(c.l4));

    pg(c.l4)->flags &= ~PGF_pinned;
    mm_put_page_type(dom, _mfn(c.l4));
    assert_chain_released(&c);
    td_assert_invariants();
}

static void test_shared_l1_counted_twice(void **state)
{
    struct chain c;
    make_chain(&c);
    tbl(c.l2)[1] = pte(c.l1, P | RW | US); /* the same L1 maps 0-2 MiB and 2-4 MiB */
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l2), PGT_l2), 0);
    pg(c.l2)->flags |= PGF_pinned;
    assert_counts(c.l1, PGT_l1, 2, 2);
    assert_counts(c.d0, PGT_writable, 1, 1); /* validated once */
    td_assert_invariants();
    pg(c.l2)->flags &= ~PGF_pinned;
    mm_put_page_type(dom, _mfn(c.l2));
    assert_counts(c.l1, PGT_none, 0, 0);
    assert_counts(c.d0, PGT_none, 0, 0);
    td_assert_invariants();
}

static void test_l1_mapping_itself_writable_fails(void **state)
{
    uint64_t l1 = frame(dom), d0 = frame(dom);
    tbl(l1)[0] = pte(d0, P | RW | US); /* taken first, must be given back */
    tbl(l1)[5] = pte(l1, P | RW | US);
    assert_int_equal(mm_get_page_type(dom, _mfn(l1), PGT_l1), -XEN_EBUSY);
    assert_counts(l1, PGT_none, 0, 0);
    assert_counts(d0, PGT_none, 0, 0);
    td_assert_invariants();

    /* Mapping itself read-only is allowed (it is how a guest reads its tables). */
    tbl(l1)[5] = pte(l1, P | US);
    assert_int_equal(mm_get_page_type(dom, _mfn(l1), PGT_l1), 0);
    pg(l1)->flags |= PGF_pinned;
    assert_counts(l1, PGT_l1, 1, 1);
    assert_counts(d0, PGT_writable, 1, 1);
    td_assert_invariants();
    pg(l1)->flags &= ~PGF_pinned;
    mm_put_page_type(dom, _mfn(l1));
    assert_counts(l1, PGT_none, 0, 0);
    assert_counts(d0, PGT_none, 0, 0);
}

static void test_nested_failure_unwinds_every_level(void **state)
{
    struct chain c;
    make_chain(&c);
    tbl(c.l1)[9] = pte(c.l3, P | RW | US); /* deep down: the L3 mapped writable */
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l4), PGT_l4), -XEN_EBUSY);
    assert_chain_released(&c);
    td_assert_invariants();
}

static void test_table_mapping_foreign_frame_fails(void **state)
{
    struct chain c;
    make_chain(&c);
    uint64_t foreign = frame(other);
    tbl(c.l1)[3] = pte(foreign, P | US); /* even read-only */
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l4), PGT_l4), -XEN_EBUSY);
    assert_chain_released(&c);
    assert_counts(foreign, PGT_none, 0, 0);

    /* A foreign table referenced from an upper level. */
    tbl(c.l1)[3] = 0;
    uint64_t foreign_l1 = frame(other);
    tbl(c.l2)[1] = pte(foreign_l1, P | RW | US);
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l4), PGT_l4), -XEN_EINVAL);
    assert_chain_released(&c);
    assert_counts(foreign_l1, PGT_none, 0, 0);

    /* And a frame number beyond the machine. */
    tbl(c.l2)[1] = pte(100000, P | RW | US);
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l4), PGT_l4), -XEN_EINVAL);
    assert_chain_released(&c);

    /* Nor can a domain take a type on a frame it does not own. */
    assert_int_equal(mm_get_page_type(dom, _mfn(foreign), PGT_writable), -XEN_EINVAL);
    assert_int_equal(mm_get_page_type(dom, _mfn(foreign), PGT_l1), -XEN_EINVAL);
    assert_counts(foreign, PGT_none, 0, 0);
    td_assert_invariants();
}

static void test_superpages_refused(void **state)
{
    struct chain c;
    make_chain(&c);
    uint64_t big = frame(dom);
    tbl(c.l2)[1] = pte(big, P | RW | US | _PAGE_PSE);
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l2), PGT_l2), -XEN_EINVAL);
    assert_chain_released(&c);
    assert_counts(big, PGT_none, 0, 0);

    tbl(c.l2)[1] = 0;
    tbl(c.l3)[1] = pte(big, P | RW | US | _PAGE_PSE);
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l4), PGT_l4), -XEN_EINVAL);
    assert_chain_released(&c);

    /* In an L1 the same bit is PAT, not a size: allowed. */
    tbl(c.l3)[1] = 0;
    tbl(c.l1)[4] = pte(big, P | US | _PAGE_PSE);
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l1), PGT_l1), 0);
    pg(c.l1)->flags |= PGF_pinned;
    td_assert_invariants();
}

static void test_l4_hypervisor_slots_replaced(void **state)
{
    struct chain c;
    make_chain(&c);
    /* Whatever the guest wrote in slots 256..271 becomes the machine's entries. */
    hv_mem.xen_l4[0] = 0x5000 | P | RW;
    tbl(c.l4)[256] = pte(c.l3, P | RW | US);
    tbl(c.l4)[271] = 0xdeadbeef000ULL | P;
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l4), PGT_l4), 0);
    assert_int_equal(tbl(c.l4)[256], 0x5000 | P | RW);
    assert_int_equal(tbl(c.l4)[271], 0);
    assert_counts(c.l3, PGT_l3, 1, 1); /* only slot 0 references it */
    pg(c.l4)->flags |= PGF_pinned;
    td_assert_invariants();
    /* The guest can neither change nor clear them (Xen: -EINVAL). */
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l4, 256), 0), -XEN_EINVAL);
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l4, 271), pte(c.l3, P | US)), -XEN_EINVAL);
    assert_int_equal(tbl(c.l4)[256], 0x5000 | P | RW);
    /* A changed hypervisor entry is an invariant violation. */
    tbl(c.l4)[256] = 0x6000 | P;
    char why[160];
    assert_int_not_equal(mm_check_invariants(why, sizeof(why)), 0);
    assert_non_null(strstr(why, "hypervisor's entry"));
    tbl(c.l4)[256] = 0x5000 | P | RW;
    pg(c.l4)->flags &= ~PGF_pinned;
    mm_put_page_type(dom, _mfn(c.l4));
    assert_chain_released(&c);
    hv_mem.xen_l4[0] = 0;

    /* Right outside the hypervisor's 16 slots the guest may map. */
    tbl(c.l4)[0] = 0;
    tbl(c.l4)[271] = 0;
    tbl(c.l4)[272] = pte(c.l3, P | RW | US);
    tbl(c.l4)[255] = 0;
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l4), PGT_l4), 0);
    pg(c.l4)->flags |= PGF_pinned;
    assert_counts(c.l3, PGT_l3, 1, 1);
    td_assert_invariants();
}

static void test_reserved_high_bits_refused(void **state)
{
    uint64_t l1 = frame(dom), d0 = frame(dom);
    tbl(l1)[0] = pte(d0, P | US) | (1ULL << 52);
    assert_int_equal(mm_get_page_type(dom, _mfn(l1), PGT_l1), -XEN_EINVAL);
    assert_counts(l1, PGT_none, 0, 0);
    assert_counts(d0, PGT_none, 0, 0);
    /* NX (bit 63) is architectural, not reserved. */
    tbl(l1)[0] = pte(d0, P | US) | _PAGE_NX;
    assert_int_equal(mm_get_page_type(dom, _mfn(l1), PGT_l1), 0);
    pg(l1)->flags |= PGF_pinned;
    td_assert_invariants();
}

static void test_type_conflicts(void **state)
{
    struct chain c;
    make_chain(&c);
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l4), PGT_l4), 0);
    pg(c.l4)->flags |= PGF_pinned;

    /* A frame in use as an L1 cannot also be an L2, nor writable. */
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l1), PGT_l2), -XEN_EINVAL);
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l1), PGT_writable), -XEN_EINVAL);
    assert_int_equal(mm_get_page_type(dom, _mfn(c.l1), PGT_seg_desc), -XEN_EINVAL);
    /* A writable data frame cannot become a table. */
    assert_int_equal(mm_get_page_type(dom, _mfn(c.d0), PGT_l1), -XEN_EINVAL);
    assert_counts(c.l1, PGT_l1, 1, 1);
    assert_counts(c.d0, PGT_writable, 1, 1);

    /* A hypervisor-shared frame (like shared_info) never becomes a table. */
    uint64_t xh = frame(dom);
    pg(xh)->flags |= PGF_xen_heap;
    assert_int_equal(mm_get_page_type(dom, _mfn(xh), PGT_l1), -XEN_EINVAL);
    assert_int_equal(mm_get_page_type(dom, _mfn(xh), PGT_writable), 0);
    mm_put_page_type(dom, _mfn(xh));
    assert_counts(xh, PGT_none, 0, 0);
    pg(xh)->flags = 0;
    td_assert_invariants();
}

/* ------------------------------------------------------------------------- */
/* mm_update_pte                                                             */

static void test_update_pte_table_frame_writable_refused(void **state)
{
    struct chain c;
    make_chain(&c);
    install_chain(&c, false);
    uint64_t old = tbl(c.l1)[5];
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l1, 5), pte(c.l2, P | RW | US)), -XEN_EBUSY);
    assert_int_equal(tbl(c.l1)[5], old);
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l1, 5), pte(c.l1, P | RW | US)), -XEN_EBUSY);
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l1, 0), pte(c.l4, P | RW | US)), -XEN_EBUSY);
    assert_int_equal(tbl(c.l1)[0], pte(c.d0, P | RW | US)); /* the old entry stays */
    assert_counts(c.l1, PGT_l1, 1, 1);
    assert_counts(c.l2, PGT_l2, 1, 1);
    assert_counts(c.l4, PGT_l4, 1, 0);
    assert_counts(c.d0, PGT_writable, 1, 1);
    td_assert_invariants();

    /* Read-only it is fine: one more reference, no type. */
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l1, 5), pte(c.l2, P | US)), 0);
    assert_counts(c.l2, PGT_l2, 1, 2);
    td_assert_invariants();
}

static void test_update_pte_moves_references(void **state)
{
    struct chain c;
    make_chain(&c);
    install_chain(&c, false);
    uint64_t e = frame(dom);
    unsigned int changed = fake.nr_mmu_changed;

    /* d0 RW -> e RW */
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l1, 0), pte(e, P | RW | US)), 0);
    assert_int_equal(tbl(c.l1)[0], pte(e, P | RW | US));
    assert_counts(c.d0, PGT_none, 0, 0);
    assert_counts(e, PGT_writable, 1, 1);
    assert_true(fake.nr_mmu_changed > changed);
    td_assert_invariants();

    /* e RW -> e RO: keeps a reference, drops the type. */
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l1, 0), pte(e, P | US)), 0);
    assert_counts(e, PGT_none, 0, 1);
    td_assert_invariants();

    /* Rewriting the same entry leaves the counts as they are. */
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l1, 2), pte(c.d2, P | RW)), 0);
    assert_counts(c.d2, PGT_writable, 1, 1);

    /* -> not present. */
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l1, 0), 0), 0);
    assert_counts(e, PGT_none, 0, 0);
    td_assert_invariants();

    /* Swap the L2's L1 for a new one: the new L1 is validated, the old one released. */
    uint64_t l1b = frame(dom), f = frame(dom);
    tbl(l1b)[0] = pte(f, P | RW | US);
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l2, 0), pte(l1b, P | RW | US)), 0);
    assert_counts(l1b, PGT_l1, 1, 1);
    assert_counts(f, PGT_writable, 1, 1);
    assert_counts(c.l1, PGT_none, 0, 0);
    assert_counts(c.d2, PGT_none, 0, 0);
    assert_counts(c.d1, PGT_none, 0, 0);
    td_assert_invariants();

    /* A new L1 that fails validation is refused and the old entry stays. */
    uint64_t bad = frame(dom);
    tbl(bad)[0] = pte(bad, P | RW | US);
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l2, 0), pte(bad, P | RW | US)), -XEN_EBUSY);
    assert_int_equal(tbl(c.l2)[0], pte(l1b, P | RW | US));
    assert_counts(bad, PGT_none, 0, 0);
    assert_counts(l1b, PGT_l1, 1, 1);
    td_assert_invariants();
}

static void test_update_pte_argument_checks(void **state)
{
    struct chain c;
    make_chain(&c);
    install_chain(&c, false);
    uint64_t foreign = frame(other);
    /* Misaligned. */
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l1, 0) + 4, 0), -XEN_EINVAL);
    assert_int_equal(tbl(c.l1)[0], pte(c.d0, P | RW | US));
    /* A foreign table frame. */
    assert_int_equal(mm_update_pte(dom, maddr_of(foreign, 0), 0x1234), -XEN_EINVAL);
    assert_int_equal(tbl(foreign)[0], 0);
    /* An entry mapping a foreign frame. */
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l1, 6), pte(foreign, P | US)), -XEN_EBUSY);
    assert_int_equal(tbl(c.l1)[6], 0);
    /* The hypervisor's L4 slots. */
    uint64_t l3b = frame(dom);
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l4, 256), pte(l3b, P | RW | US)), -XEN_EINVAL);
    assert_int_equal(tbl(c.l4)[256], 0);
    assert_counts(l3b, PGT_none, 0, 0);
    /* Superpage in the L2. */
    assert_int_equal(mm_update_pte(dom, maddr_of(c.l2, 3), pte(l3b, P | RW | _PAGE_PSE)),
                     -XEN_EINVAL);
    td_assert_invariants();
}

static void test_update_pte_on_data_frame(void **state)
{
    uint64_t data = frame(dom);
    assert_int_equal(mm_update_pte(dom, maddr_of(data, 3), 0x1234567), 0);
    assert_int_equal(tbl(data)[3], 0x1234567);
    assert_counts(data, PGT_none, 0, 0);
    /* Not while it is a descriptor table. */
    assert_int_equal(mm_get_page_type(dom, _mfn(data), PGT_seg_desc), 0);
    assert_int_equal(mm_update_pte(dom, maddr_of(data, 3), 0), -XEN_EINVAL);
    assert_int_equal(tbl(data)[3], 0x1234567);
    mm_put_page_type(dom, _mfn(data));
    td_assert_invariants();
}

static void test_l1e_maddr(void **state)
{
    struct chain c;
    make_chain(&c);
    assert_int_equal(mm_l1e_maddr(_mfn(c.l4), 0x2000), maddr_of(c.l1, 2));
    assert_int_equal(mm_l1e_maddr(_mfn(c.l4), 0x2fff), maddr_of(c.l1, 2));
    assert_int_equal(mm_l1e_maddr(_mfn(c.l4), 0x1ff000), maddr_of(c.l1, 511));
    assert_int_equal(mm_l1e_maddr(_mfn(c.l4), 0x200000), 0);   /* no L1 there */
    assert_int_equal(mm_l1e_maddr(_mfn(c.l4), 1ULL << 39), 0); /* no L3 there */
}

/* ------------------------------------------------------------------------- */
/* mm_translate                                                              */

#define XF MM_XLAT_FAULT

static void test_translate_kernel_mode(void **state)
{
    struct chain c;
    make_chain(&c);
    struct vcpu *v = install_chain(&c, false);
    uint64_t ma = 0;

    assert_int_equal(mm_translate(v, 0x123, ACCESS_READ, &ma), 0);
    assert_int_equal(ma, (c.d0 << 12) | 0x123);
    assert_int_equal(mm_translate(v, 0x0ff8, ACCESS_WRITE, &ma), 0);
    assert_int_equal(ma, (c.d0 << 12) | 0xff8);
    assert_int_equal(mm_translate(v, 0x1010, ACCESS_READ, &ma), 0);
    assert_int_equal(ma, (c.d1 << 12) | 0x10);
    /* Write to read-only: present | write. */
    assert_int_equal(mm_translate(v, 0x1010, ACCESS_WRITE, &ma), XF | 3);
    /* Not present: no bits. */
    assert_int_equal(mm_translate(v, 0x3000, ACCESS_READ, &ma), XF | 0);
    assert_int_equal(mm_translate(v, 0x3000, ACCESS_WRITE, &ma), XF | PFEC_write);
    assert_int_equal(mm_translate(v, 0x40000000, ACCESS_READ, &ma), XF | 0); /* no L2 */
    /* The guest kernel reaches pages without the user bit (Xen's _PAGE_GUEST_KERNEL). */
    assert_int_equal(mm_translate(v, 0x2000, ACCESS_WRITE, &ma), 0);
    assert_int_equal(ma, c.d2 << 12);
    /* Fetches: allowed unless NX; NX anywhere on the walk forbids. */
    assert_int_equal(mm_translate(v, 0x0, ACCESS_FETCH, &ma), 0);
    tbl(c.l1)[0] |= _PAGE_NX;
    assert_int_equal(mm_translate(v, 0x0, ACCESS_FETCH, &ma), XF | PFEC_present | PFEC_insn_fetch);
    assert_int_equal(mm_translate(v, 0x0, ACCESS_READ, &ma), 0);
    tbl(c.l1)[0] &= ~_PAGE_NX;
    tbl(c.l3)[0] |= _PAGE_NX;
    assert_int_equal(mm_translate(v, 0x1000, ACCESS_FETCH, &ma),
                     XF | PFEC_present | PFEC_insn_fetch);
    tbl(c.l3)[0] &= ~_PAGE_NX;
    /* A read-only upper level makes the whole range read-only. */
    tbl(c.l2)[0] &= ~RW;
    assert_int_equal(mm_translate(v, 0x0, ACCESS_WRITE, &ma), XF | 3);
    assert_int_equal(mm_translate(v, 0x0, ACCESS_READ, &ma), 0);
    tbl(c.l2)[0] |= RW;
    /* Superpage entries are never walked (validation refuses them anyway). */
    tbl(c.l2)[0] |= _PAGE_PSE;
    assert_int_equal(mm_translate(v, 0x0, ACCESS_READ, &ma) & XF, XF);
    tbl(c.l2)[0] &= ~_PAGE_PSE;
}

static void test_translate_user_mode(void **state)
{
    struct chain c;
    make_chain(&c);
    struct vcpu *v = install_chain(&c, true);
    v->kernel_mode = false;
    uint64_t ma = 0;

    assert_int_equal(mm_translate(v, 0x10, ACCESS_READ, &ma), 0);
    assert_int_equal(ma, (c.d0 << 12) | 0x10);
    assert_int_equal(mm_translate(v, 0x1000, ACCESS_WRITE, &ma), XF | 7);
    /*
     * Validation made the kernel-only page a user page (Xen's
     * adjust_guest_l1e: a 64-bit PV kernel runs in ring 3), so user mode
     * reaches it; only an entry without the bit (written behind the
     * validator's back here) is refused.
     */
    assert_int_equal(tbl(c.l1)[2], pte(c.d2, P | RW | US));
    assert_int_equal(mm_translate(v, 0x2000, ACCESS_READ, &ma), 0);
    tbl(c.l1)[2] &= ~US;
    assert_int_equal(mm_translate(v, 0x2000, ACCESS_READ, &ma), XF | 5);
    tbl(c.l1)[2] |= US;
    assert_int_equal(mm_translate(v, 0x3000, ACCESS_READ, &ma), XF | 4);
    assert_int_equal(mm_translate(v, 0x3000, ACCESS_FETCH, &ma), XF | 4 | PFEC_insn_fetch);
    /* A kernel-only upper level hides the whole range from user mode. */
    tbl(c.l3)[0] &= ~US;
    assert_int_equal(mm_translate(v, 0x10, ACCESS_READ, &ma), XF | 5);
    tbl(c.l3)[0] |= US;
    /* Without a user table nothing is reachable. */
    mm_put_page_type(dom, v->guest_table_user);
    v->guest_table_user = _mfn(0);
    assert_int_equal(mm_translate(v, 0x10, ACCESS_READ, &ma), XF | 4);
    td_assert_invariants();
}

static void test_translate_bad_addresses(void **state)
{
    struct chain c;
    make_chain(&c);
    struct vcpu *v = install_chain(&c, false);
    uint64_t ma = 0;
    /* Non-canonical. */
    assert_int_equal(mm_translate(v, 0x0000800000000000ULL, ACCESS_READ, &ma) & XF, XF);
    assert_int_equal(mm_translate(v, 0x8000000000000000ULL, ACCESS_READ, &ma) & XF, XF);
    /* The hypervisor hole, even if the guest's L4 slot looked mapped. */
    tbl(c.l4)[256] = tbl(c.l4)[0];
    assert_int_equal(mm_translate(v, 0xFFFF800000000000ULL, ACCESS_READ, &ma) & XF, XF);
    assert_int_equal(mm_translate(v, 0xFFFF87FFFFFFF000ULL, ACCESS_READ, &ma) & XF, XF);
    tbl(c.l4)[256] = 0;
    /* No table at all. */
    struct vcpu *w = &other->vcpus[0];
    assert_int_equal(mm_translate(w, 0x10, ACCESS_READ, &ma) & XF, XF);
}

/* ------------------------------------------------------------------------- */
/* copy_to_guest / copy_from_guest                                           */

static void test_copy_across_page_boundary(void **state)
{
    struct chain c;
    make_chain(&c);
    uint64_t d3 = frame(dom);
    tbl(c.l1)[1] = pte(d3, P | RW | US); /* VA 0x1000 now writable, frame not adjacent */
    struct vcpu *v = install_chain(&c, false);
    uint8_t out[32], in[32];
    for (unsigned int i = 0; i < 32; i++)
        out[i] = (uint8_t)(0xa0 + i);

    assert_int_equal(copy_to_guest(v, 0xff0, out, 32), 0);
    assert_memory_equal(fake.ram + c.d0 * 4096 + 0xff0, out, 16);
    assert_memory_equal(fake.ram + d3 * 4096, out + 16, 16);
    memset(in, 0, sizeof(in));
    assert_int_equal(copy_from_guest(v, in, 0xff0, 32), 0);
    assert_memory_equal(in, out, 32);
    /* Zero-length copies touch nothing and succeed. */
    assert_int_equal(copy_to_guest(v, 0x3000, out, 0), 0);
}

static void test_copy_faults(void **state)
{
    struct chain c;
    make_chain(&c);
    struct vcpu *v = install_chain(&c, false);
    uint8_t buf[64];
    memset(buf, 0x5a, sizeof(buf));

    /* Unmapped. */
    assert_int_equal(copy_from_guest(v, buf, 0x3000, 8), -XEN_EFAULT);
    assert_int_equal(copy_to_guest(v, 0x3000, buf, 8), -XEN_EFAULT);
    /* Read-only for writes, fine for reads. */
    assert_int_equal(copy_to_guest(v, 0x1000, buf, 8), -XEN_EFAULT);
    assert_int_equal(tbl(c.d1)[0], 0);
    assert_int_equal(copy_from_guest(v, buf, 0x1000, 8), 0);
    /* Crossing from a mapped page into an unmapped one. */
    assert_int_equal(copy_from_guest(v, buf, 0x2ff8, 16), -XEN_EFAULT);
    /* Non-canonical and the hypervisor hole. */
    assert_int_equal(copy_from_guest(v, buf, 0x0000800000000000ULL, 8), -XEN_EFAULT);
    assert_int_equal(copy_from_guest(v, buf, 0xFFFF800000000000ULL, 8), -XEN_EFAULT);
    assert_int_equal(copy_to_guest(v, 0xFFFF804000000000ULL, buf, 8), -XEN_EFAULT);
    assert_int_equal(copy_from_guest(v, buf, 0x00007ffffffffff8ULL, 16), -XEN_EFAULT);
    /* A length that wraps the address space is refused before anything is copied. */
    uint8_t before = fake.ram[c.d0 * 4096 + 0x10];
    assert_int_equal(copy_to_guest(v, 0x10, buf, SIZE_MAX - 8), -XEN_EFAULT);
    assert_int_equal(fake.ram[c.d0 * 4096 + 0x10], before);
    assert_int_equal(copy_from_guest(v, buf, 0x10, SIZE_MAX), -XEN_EFAULT);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(test_alloc_zeroes_owns_and_counts, setup),
    cmocka_unit_test_setup(test_chain_validates_and_releases, setup),
    cmocka_unit_test_setup(test_shared_l1_counted_twice, setup),
    cmocka_unit_test_setup(test_l1_mapping_itself_writable_fails, setup),
    cmocka_unit_test_setup(test_nested_failure_unwinds_every_level, setup),
    cmocka_unit_test_setup(test_table_mapping_foreign_frame_fails, setup),
    cmocka_unit_test_setup(test_superpages_refused, setup),
    cmocka_unit_test_setup(test_l4_hypervisor_slots_replaced, setup),
    cmocka_unit_test_setup(test_reserved_high_bits_refused, setup),
    cmocka_unit_test_setup(test_type_conflicts, setup),
    cmocka_unit_test_setup(test_update_pte_table_frame_writable_refused, setup),
    cmocka_unit_test_setup(test_update_pte_moves_references, setup),
    cmocka_unit_test_setup(test_update_pte_argument_checks, setup),
    cmocka_unit_test_setup(test_update_pte_on_data_frame, setup),
    cmocka_unit_test_setup(test_l1e_maddr, setup),
    cmocka_unit_test_setup(test_translate_kernel_mode, setup),
    cmocka_unit_test_setup(test_translate_user_mode, setup),
    cmocka_unit_test_setup(test_translate_bad_addresses, setup),
    cmocka_unit_test_setup(test_copy_across_page_boundary, setup),
    cmocka_unit_test_setup(test_copy_faults, setup),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
