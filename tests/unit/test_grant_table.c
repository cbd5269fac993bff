/* Unit tests for grant tables (hv/common/grant_table.c): grant_table_op and backends' holds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hv/grant.h"
#include "hv/hypercall.h"
#include "hv/mm.h"
#include "public/grant_table.h"
#include "public/xen.h"
#include "fake_arch.h"
#include "test_domain.h"

/*
 * Every test runs on a fresh machine with one built 16 MiB domain. Argument
 * structures go to guest memory at S (TD_SCRATCH_VA, free RW pages) through
 * copy_to_guest, exactly where a guest would put them; the hypercalls go
 * through the real dispatcher.
 */
static struct domain *d;
static struct vcpu *v;

#define S TD_SCRATCH_VA
#define LIST (S + 0x1000)   /* frame_list of setup_table */
#define TABLE (S + 0x10000) /* where the guest maps its first table frame */
#define DATA (S + 0x20000)  /* a data page the guest grants */
#define NONCANON 0x0000800000000000ULL
#define HOLE 0xFFFF800000001000ULL
#define P _PAGE_PRESENT
#define RW _PAGE_RW
#define US _PAGE_USER

static int setup(void **state)
{
    d = td_setup();
    v = &d->vcpus[0];
    return 0;
}

static long gop_on(struct vcpu *on, uint64_t cmd, uint64_t uop, uint64_t count)
{
    return td_hc(on, __HYPERVISOR_grant_table_op, cmd, uop, count, 0, 0);
}
static long gop(uint64_t cmd, uint64_t uop, uint64_t count)
{
    return gop_on(v, cmd, uop, count);
}

static struct page_info *pg(uint64_t mfn)
{
    return mfn_to_page(_mfn(mfn));
}

/* setup_table through the hypercall with the struct at S; returns the call's result. */
static long setup_table_on(struct vcpu *on, domid_t dom, uint32_t nr, uint64_t list,
                           int16_t *status)
{
    struct gnttab_setup_table op = {.dom = dom, .nr_frames = nr, .status = 0x5a5a};
    op.frame_list = (xen_pfn_t *)(uintptr_t)list;
    td_put(on, S, &op, sizeof(op));
    long rc = gop_on(on, GNTTABOP_setup_table, S, 1);
    td_get(on, &op, S, sizeof(op));
    *status = op.status;
    return rc;
}
static int16_t setup_table(uint32_t nr)
{
    int16_t status;
    assert_int_equal(setup_table_on(v, DOMID_SELF, nr, LIST, &status), 0);
    return status;
}

static struct gnttab_query_size query_size(domid_t dom)
{
    struct gnttab_query_size q = {.dom = dom, .nr_frames = 77, .max_nr_frames = 88, .status = 99};
    td_put(v, S, &q, sizeof(q));
    assert_int_equal(gop(GNTTABOP_query_size, S, 1), 0);
    td_get(v, &q, S, sizeof(q));
    return q;
}

/* Map the guest's first table frame writable at TABLE (as a guest kernel would). */
static uint64_t map_table_frame(void)
{
    assert_int_equal(setup_table(1), GNTST_okay);
    uint64_t t = mfn_x(d->gnttab.frames[0]);
    assert_int_equal(
        td_hc(v, __HYPERVISOR_update_va_mapping, TABLE, (t << 12) | P | RW | US, UVMF_INVLPG, 0, 0),
        0);
    assert_int_equal(td_mfn(v, TABLE), t);
    return t;
}

/* The guest writes grant entry ref of its table (mapped at TABLE). */
static void grant(grant_ref_t ref, uint16_t flags, domid_t domid, uint64_t frame)
{
    struct grant_entry_v1 e = {.flags = flags, .domid = domid, .frame = (uint32_t)frame};
    td_put(v, TABLE + ref * sizeof(e), &e, sizeof(e));
}
static struct grant_entry_v1 entry(grant_ref_t ref)
{
    struct grant_entry_v1 e;
    td_get(v, &e, TABLE + ref * sizeof(e), sizeof(e));
    return e;
}

/* ------------------------------------------------------------------------- */
/* setup_table                                                               */

static void test_setup_table_grows_1_to_4(void **state)
{
    struct gnttab_query_size q = query_size(DOMID_SELF);
    assert_int_equal(q.status, GNTST_okay);
    assert_int_equal(q.nr_frames, 0); /* frames come with the first setup_table */
    assert_int_equal(q.max_nr_frames, HV_GNTTAB_MAX_FRAMES);

    xen_pfn_t list[HV_GNTTAB_MAX_FRAMES + 1];
    xen_pfn_t seen[HV_GNTTAB_MAX_FRAMES] = {0};
    uint64_t free0 = hv_mem.free_frames;
    for (uint32_t nr = 1; nr <= HV_GNTTAB_MAX_FRAMES; nr++) {
        memset(list, 0xee, sizeof(list));
        td_put(v, LIST, list, sizeof(list));
        assert_int_equal(setup_table(nr), GNTST_okay);
        assert_int_equal(d->gnttab.nr_frames, nr);
        td_get(v, list, LIST, sizeof(list));
        for (uint32_t i = 0; i < nr; i++) {
            /* Frames already handed out stay where they are. */
            if (seen[i])
                assert_int_equal(list[i], seen[i]);
            seen[i] = list[i];
            assert_int_equal(list[i], mfn_x(d->gnttab.frames[i]));
            struct page_info *p = pg(list[i]);
            assert_int_equal(p->owner, d->domid);
            assert_true(p->flags & PGF_xen_heap);
            for (uint32_t j = 0; j < i; j++)
                assert_int_not_equal(list[i], list[j]);
        }
        /* Only nr entries are written. */
        assert_int_equal(list[nr], (xen_pfn_t)0xeeeeeeeeeeeeeeeeULL);
        /* A table frame and its active frame per table frame. */
        assert_int_equal(hv_mem.free_frames, free0 - 2 * nr);
        assert_int_equal(query_size(DOMID_SELF).nr_frames, nr);
        td_assert_invariants();
    }

    /* The table never shrinks; a smaller request lists the first frames; 0 lists none. */
    memset(list, 0, sizeof(list));
    td_put(v, LIST, list, sizeof(list));
    assert_int_equal(setup_table(2), GNTST_okay);
    td_get(v, list, LIST, sizeof(list));
    assert_int_equal(list[0], seen[0]);
    assert_int_equal(list[1], seen[1]);
    assert_int_equal(list[2], 0);
    assert_int_equal(d->gnttab.nr_frames, HV_GNTTAB_MAX_FRAMES);
    assert_int_equal(setup_table(0), GNTST_okay);
    assert_int_equal(hv_mem.free_frames, free0 - 2 * HV_GNTTAB_MAX_FRAMES);

    /* Fresh table frames are zero: every entry GTF_invalid. */
    const uint8_t *t = (const uint8_t *)fake.ram + seen[3] * 4096;
    for (unsigned int i = 0; i < 4096; i++)
        assert_int_equal(t[i], 0);
    td_assert_invariants();
}

static void test_setup_table_domain_and_size_errors(void **state)
{
    struct domain *d2 = td_build(8192, NULL, 1);
    int16_t status;

    /* Another existing domain: permission denied, and its table is left alone. */
    assert_int_equal(setup_table_on(v, d2->domid, 1, LIST, &status), 0);
    assert_int_equal(status, GNTST_permission_denied);
    assert_int_equal(d2->gnttab.nr_frames, 0);
    /* No such domain (DOMID_XEN is not one a guest can name here either). */
    const domid_t none[] = {9, 0, DOMID_XEN, 0x7FF1, 0xFFFF};
    for (unsigned int i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        assert_int_equal(setup_table_on(v, none[i], 1, LIST, &status), 0);
        assert_int_equal(status, GNTST_bad_domain);
    }
    assert_int_equal(d->gnttab.nr_frames, 0);

    /* More frames than the limit. */
    assert_int_equal(setup_table(HV_GNTTAB_MAX_FRAMES + 1), GNTST_general_error);
    assert_int_equal(setup_table(0xFFFFFFFFu), GNTST_general_error);
    assert_int_equal(d->gnttab.nr_frames, 0);

    /* The caller's own id is as good as DOMID_SELF. */
    assert_int_equal(setup_table_on(v, d->domid, 2, LIST, &status), 0);
    assert_int_equal(status, GNTST_okay);
    assert_int_equal(d->gnttab.nr_frames, 2);
    /* d2 may set up its own. */
    assert_int_equal(setup_table_on(&d2->vcpus[0], DOMID_SELF, 1, LIST, &status), 0);
    assert_int_equal(status, GNTST_okay);
    assert_int_equal(d2->gnttab.nr_frames, 1);
    assert_int_equal(d->gnttab.nr_frames, 2);
    td_assert_invariants();
}

static void test_setup_table_bad_pointers(void **state)
{
    int16_t status;
    /* An unmapped frame_list: the table still grows, the status says the list was not written. */
    assert_int_equal(setup_table_on(v, DOMID_SELF, 1, TD_UNMAPPED_VA, &status), 0);
    assert_int_equal(status, GNTST_bad_virt_addr);
    assert_int_equal(d->gnttab.nr_frames, 1);

    /* A list running off the mapped region: the entries that can be written are. */
    uint64_t edge = 0x400000 - sizeof(xen_pfn_t);
    xen_pfn_t z = 0;
    td_put(v, edge, &z, sizeof(z));
    assert_int_equal(setup_table_on(v, DOMID_SELF, 2, edge, &status), 0);
    assert_int_equal(status, GNTST_bad_virt_addr);
    td_get(v, &z, edge, sizeof(z));
    assert_int_equal(z, mfn_x(d->gnttab.frames[0]));
    assert_int_equal(d->gnttab.nr_frames, 2);

    /* Outside guest space (Xen's guest_handle_okay): -EFAULT before anything. */
    assert_int_equal(setup_table_on(v, DOMID_SELF, 3, HOLE, &status), -XEN_EFAULT);
    assert_int_equal(status, 0x5a5a);
    assert_int_equal(setup_table_on(v, DOMID_SELF, 3, NONCANON, &status), -XEN_EFAULT);
    assert_int_equal(d->gnttab.nr_frames, 2);
    /* Above the hole it is guest space, only unmapped: a status, not -EFAULT. */
    assert_int_equal(setup_table_on(v, DOMID_SELF, 3, HYPERVISOR_VIRT_END_64, &status), 0);
    assert_int_equal(status, GNTST_bad_virt_addr);
    assert_int_equal(d->gnttab.nr_frames, 3);

    /* The struct itself unreadable, or its status unwritable. */
    assert_int_equal(gop(GNTTABOP_setup_table, TD_UNMAPPED_VA, 1), -XEN_EFAULT);
    assert_int_equal(gop(GNTTABOP_setup_table, HOLE, 1), -XEN_EFAULT);
    struct gnttab_setup_table op = {.dom = DOMID_SELF, .nr_frames = 4};
    op.frame_list = (xen_pfn_t *)(uintptr_t)LIST;
    uint64_t ro = S + 0x30000;
    td_put(v, ro, &op, sizeof(op));
    uint64_t m = td_mfn(v, ro);
    assert_int_equal(td_hc(v, __HYPERVISOR_update_va_mapping, ro, (m << 12) | P | US, 0, 0, 0), 0);
    assert_int_equal(gop(GNTTABOP_setup_table, ro, 1), -XEN_EFAULT);
    assert_int_equal(d->gnttab.nr_frames, 4); /* Xen has done the work by then */
    td_assert_invariants();
}

static void test_setup_table_count_and_cmd(void **state)
{
    struct gnttab_setup_table op = {.dom = DOMID_SELF, .nr_frames = 1};
    op.frame_list = (xen_pfn_t *)(uintptr_t)LIST;
    td_put(v, S, &op, sizeof(op));
    /* Exactly one operation. */
    assert_int_equal(gop(GNTTABOP_setup_table, S, 0), -XEN_EINVAL);
    assert_int_equal(gop(GNTTABOP_setup_table, S, 2), -XEN_EINVAL);
    /* count is an unsigned int: negative as an int is -EINVAL for any command. */
    assert_int_equal(gop(GNTTABOP_setup_table, S, 0x80000000u), -XEN_EINVAL);
    assert_int_equal(gop(GNTTABOP_map_grant_ref, S, 0xFFFFFFFFu), -XEN_EINVAL);
    /* Continuation bits on a command other than cache_flush. */
    assert_int_equal(gop(GNTTABOP_setup_table | (1u << 12), S, 1), -XEN_EINVAL);
    assert_int_equal(d->gnttab.nr_frames, 0);
    /* The registers' upper halves are not part of cmd or count. */
    assert_int_equal(gop(GNTTABOP_setup_table | (1ULL << 32), S, 1 | (1ULL << 32)), 0);
    assert_int_equal(d->gnttab.nr_frames, 1);
    td_assert_invariants();
}

/* ------------------------------------------------------------------------- */
/* query_size, set_version, get_version, the rest                            */

static void test_query_size(void **state)
{
    struct domain *d2 = td_build(8192, NULL, 1);
    assert_int_equal(setup_table(3), GNTST_okay);
    struct gnttab_query_size q = query_size(d->domid);
    assert_int_equal(q.status, GNTST_okay);
    assert_int_equal(q.nr_frames, 3);
    assert_int_equal(q.max_nr_frames, HV_GNTTAB_MAX_FRAMES);
    /* Errors leave the other fields as the guest wrote them (the whole struct is copied back). */
    q = query_size(d2->domid);
    assert_int_equal(q.status, GNTST_permission_denied);
    assert_int_equal(q.nr_frames, 77);
    assert_int_equal(q.max_nr_frames, 88);
    q = query_size(12);
    assert_int_equal(q.status, GNTST_bad_domain);
    assert_int_equal(q.nr_frames, 77);
    /* Exactly one operation; a bad pointer. */
    assert_int_equal(gop(GNTTABOP_query_size, S, 0), -XEN_EINVAL);
    assert_int_equal(gop(GNTTABOP_query_size, S, 5), -XEN_EINVAL);
    assert_int_equal(gop(GNTTABOP_query_size, TD_UNMAPPED_VA, 1), -XEN_EFAULT);
    assert_int_equal(gop(GNTTABOP_query_size, NONCANON, 1), -XEN_EFAULT);
    td_assert_invariants();
}

static void test_set_version(void **state)
{
    struct gnttab_set_version sv;
    const struct {
        uint32_t ask;
        long rc;
    } cases[] = {
        {1, 0}, {2, -XEN_ENOSYS}, {0, -XEN_EINVAL}, {3, -XEN_EINVAL}, {0xFFFFFFFFu, -XEN_EINVAL}};
    for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sv.version = cases[i].ask;
        td_put(v, S, &sv, sizeof(sv));
        /* count is not looked at. */
        assert_int_equal(gop(GNTTABOP_set_version, S, i), cases[i].rc);
        td_get(v, &sv, S, sizeof(sv));
        assert_int_equal(sv.version, 1); /* the version in force, whatever the answer */
        assert_int_equal(d->gnttab.version, 1);
    }
    assert_int_equal(gop(GNTTABOP_set_version, TD_UNMAPPED_VA, 1), -XEN_EFAULT);
    /* Readable but not writable: the answer is -EFAULT even for a good version. */
    uint64_t ro = S + 0x30000;
    sv.version = 1;
    td_put(v, ro, &sv, sizeof(sv));
    uint64_t m = td_mfn(v, ro);
    assert_int_equal(td_hc(v, __HYPERVISOR_update_va_mapping, ro, (m << 12) | P | US, 0, 0, 0), 0);
    assert_int_equal(gop(GNTTABOP_set_version, ro, 1), -XEN_EFAULT);
    td_assert_invariants();
}

static void test_get_version(void **state)
{
    struct domain *d2 = td_build(8192, NULL, 1);
    struct gnttab_get_version gv = {.dom = DOMID_SELF, .pad = 0x1234, .version = 99};
    td_put(v, S, &gv, sizeof(gv));
    assert_int_equal(gop(GNTTABOP_get_version, S, 0), 0);
    td_get(v, &gv, S, sizeof(gv));
    assert_int_equal(gv.version, 1);
    assert_int_equal(gv.pad, 0x1234); /* only the version field is written */
    assert_int_equal(gv.dom, DOMID_SELF);

    gv = (struct gnttab_get_version){.dom = d->domid, .version = 99};
    td_put(v, S, &gv, sizeof(gv));
    assert_int_equal(gop(GNTTABOP_get_version, S, 7), 0);
    td_get(v, &gv, S, sizeof(gv));
    assert_int_equal(gv.version, 1);

    /* Errors are the call's result here, and nothing is written. */
    gv = (struct gnttab_get_version){.dom = d2->domid, .version = 99};
    td_put(v, S, &gv, sizeof(gv));
    assert_int_equal(gop(GNTTABOP_get_version, S, 1), -XEN_EPERM);
    gv.dom = 13;
    td_put(v, S, &gv, sizeof(gv));
    assert_int_equal(gop(GNTTABOP_get_version, S, 1), -XEN_ESRCH);
    td_get(v, &gv, S, sizeof(gv));
    assert_int_equal(gv.version, 99);
    assert_int_equal(gop(GNTTABOP_get_version, TD_UNMAPPED_VA, 1), -XEN_EFAULT);
    td_assert_invariants();
}

static void test_unmodelled_and_unknown_ops_enosys(void **state)
{
    uint8_t junk[64];
    memset(junk, 0xff, sizeof(junk));
    td_put(v, S, junk, sizeof(junk));
    const uint32_t cmds[] = {GNTTABOP_map_grant_ref,
                             GNTTABOP_unmap_grant_ref,
                             GNTTABOP_dump_table,
                             GNTTABOP_transfer,
                             GNTTABOP_copy,
                             GNTTABOP_unmap_and_replace,
                             GNTTABOP_get_status_frames,
                             GNTTABOP_swap_grant_ref,
                             GNTTABOP_cache_flush,
                             13,
                             100,
                             0xFFF};
    for (unsigned int i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        assert_int_equal(gop(cmds[i], S, 1), -XEN_ENOSYS);
        assert_int_equal(gop(cmds[i], TD_UNMAPPED_VA, 3), -XEN_ENOSYS);
    }
    /* cache_flush may carry continuation bits; still unmodelled. */
    assert_int_equal(gop(GNTTABOP_cache_flush | (5u << 12), S, 1), -XEN_ENOSYS);
    /* Nothing was touched. */
    uint8_t after[64];
    td_get(v, after, S, sizeof(after));
    assert_memory_equal(junk, after, sizeof(junk));
    assert_int_equal(d->gnttab.nr_frames, 0);
    td_assert_invariants();
}

static void test_through_multicall(void **state)
{
    struct gnttab_setup_table op = {.dom = DOMID_SELF, .nr_frames = 2};
    op.frame_list = (xen_pfn_t *)(uintptr_t)LIST;
    td_put(v, S + 0x800, &op, sizeof(op));
    struct multicall_entry e[2];
    memset(e, 0, sizeof(e));
    e[0].op = __HYPERVISOR_grant_table_op;
    e[0].args[0] = GNTTABOP_setup_table;
    e[0].args[1] = S + 0x800;
    e[0].args[2] = 1;
    e[1].op = __HYPERVISOR_grant_table_op;
    e[1].args[0] = GNTTABOP_copy;
    e[1].args[1] = S + 0x900;
    e[1].args[2] = 1;
    td_put(v, S, e, sizeof(e));
    assert_int_equal(td_hc(v, __HYPERVISOR_multicall, S, 2, 0, 0, 0), 0);
    td_get(v, e, S, sizeof(e));
    assert_int_equal(e[0].result, 0);
    assert_int_equal((long)e[1].result, -XEN_ENOSYS);
    td_get(v, &op, S + 0x800, sizeof(op));
    assert_int_equal(op.status, GNTST_okay);
    assert_int_equal(d->gnttab.nr_frames, 2);
    xen_pfn_t list[2];
    td_get(v, list, LIST, sizeof(list));
    assert_int_equal(list[1], mfn_x(d->gnttab.frames[1]));
    td_assert_invariants();
}

/* ------------------------------------------------------------------------- */
/* The guest's table, and backends' holds                                    */

static void test_guest_maps_table_writable(void **state)
{
    uint64_t t = map_table_frame();
    assert_int_equal(pg(t)->type, PGT_writable);
    assert_int_equal(pg(t)->type_count, 1);
    assert_int_equal(pg(t)->ref_count, 1);
    td_assert_invariants();

    /* The guest writes an entry; the hypervisor sees it in the frame. */
    grant(7, GTF_permit_access, 0, 0x1234);
    const struct grant_entry_v1 *raw = (const void *)(fake.ram + t * 4096);
    assert_int_equal(raw[7].flags, GTF_permit_access);
    assert_int_equal(raw[7].frame, 0x1234);

    /* Also through mmu_update on a second mapping, then unmapped again. */
    uint64_t va2 = S + 0x11000;
    uint64_t old = *td_l1e(v, va2);
    struct mmu_update u = {.ptr = (uint64_t)((uint8_t *)td_l1e(v, va2) - fake.ram),
                           .val = (t << 12) | P | RW | US};
    td_put(v, S, &u, sizeof(u));
    assert_int_equal(td_hc(v, __HYPERVISOR_mmu_update, S, 1, 0, DOMID_SELF, 0), 0);
    assert_int_equal(pg(t)->type_count, 2);
    struct grant_entry_v1 e;
    td_get(v, &e, va2 + 7 * sizeof(e), sizeof(e));
    assert_int_equal(e.frame, 0x1234);
    td_assert_invariants();
    u.val = old;
    td_put(v, S, &u, sizeof(u));
    assert_int_equal(td_hc(v, __HYPERVISOR_mmu_update, S, 1, 0, DOMID_SELF, 0), 0);
    assert_int_equal(pg(t)->type_count, 1);

    /* A table frame never becomes a page table, nor gets an M2P entry from the guest. */
    assert_int_equal(mm_get_page_type(d, _mfn(t), PGT_l1), -XEN_EINVAL);
    u.ptr = (t << 12) | MMU_MACHPHYS_UPDATE;
    u.val = 5;
    td_put(v, S, &u, sizeof(u));
    assert_int_not_equal(td_hc(v, __HYPERVISOR_mmu_update, S, 1, 0, DOMID_SELF, 0), 0);
    td_assert_invariants();
}

static void test_acquire_and_release(void **state)
{
    map_table_frame();
    uint64_t data = td_mfn(v, DATA);
    uint32_t tc = pg(data)->type_count, rc = pg(data)->ref_count;
    grant(5, GTF_permit_access, 0, data);

    mfn_t m = _mfn(0);
    assert_int_equal(gnttab_acquire(d, 5, 0, false, &m), GNTST_okay);
    assert_int_equal(mfn_x(m), data);
    assert_int_equal(entry(5).flags, GTF_permit_access | GTF_reading);
    assert_int_equal(gnttab_nr_held(d), 1);
    assert_int_equal(pg(data)->type_count, tc); /* reading takes no type */
    assert_int_equal(pg(data)->ref_count, rc + 1);
    td_assert_invariants();

    /* A write hold on top: GTF_writing, and a writable type reference. */
    assert_int_equal(gnttab_acquire(d, 5, 0, true, &m), GNTST_okay);
    assert_int_equal(entry(5).flags, GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(pg(data)->type, PGT_writable);
    assert_int_equal(pg(data)->type_count, tc + 1);
    assert_int_equal(pg(data)->ref_count, rc + 2);
    /* Nested holds of both kinds. */
    assert_int_equal(gnttab_acquire(d, 5, 0, true, &m), GNTST_okay);
    assert_int_equal(gnttab_acquire(d, 5, 0, false, &m), GNTST_okay);
    assert_int_equal(gnttab_nr_held(d), 4);
    assert_int_equal(pg(data)->type_count, tc + 2);
    td_assert_invariants();

    /* Flags go at the last hold of their kind. */
    gnttab_release(d, 5, true);
    assert_int_equal(entry(5).flags, GTF_permit_access | GTF_reading | GTF_writing);
    gnttab_release(d, 5, true);
    assert_int_equal(entry(5).flags, GTF_permit_access | GTF_reading);
    assert_int_equal(pg(data)->type_count, tc);
    gnttab_release(d, 5, false);
    assert_int_equal(entry(5).flags, GTF_permit_access | GTF_reading);
    gnttab_release(d, 5, false);
    assert_int_equal(entry(5).flags, GTF_permit_access);
    assert_int_equal(gnttab_nr_held(d), 0);
    assert_int_equal(pg(data)->ref_count, rc);
    td_assert_invariants();

    /* A release matching no hold changes nothing (logged, not fatal). */
    gnttab_release(d, 5, false);
    gnttab_release(d, 5, true);
    gnttab_release(d, 100000, false);
    assert_int_equal(entry(5).flags, GTF_permit_access);
    assert_int_equal(gnttab_nr_held(d), 0);
    td_assert_invariants();

    /* A read-only grant may be held for reading. */
    grant(6, GTF_permit_access | GTF_readonly, 0, data);
    assert_int_equal(gnttab_acquire(d, 6, 0, false, &m), GNTST_okay);
    assert_int_equal(entry(6).flags, GTF_permit_access | GTF_readonly | GTF_reading);
    gnttab_release(d, 6, false);
    assert_int_equal(entry(6).flags, GTF_permit_access | GTF_readonly);
    td_assert_invariants();
}

/* gnttab_acquire refuses with want; the entry, the counts and the frame are unchanged. */
static void refused(grant_ref_t ref, domid_t grantee, bool write, int want)
{
    struct grant_entry_v1 before = ref < 512 ? entry(ref) : (struct grant_entry_v1){0};
    unsigned int held = gnttab_nr_held(d);
    uint64_t data = td_mfn(v, DATA);
    struct page_info p = *pg(data);
    mfn_t m = _mfn(0x4242);
    assert_int_equal(gnttab_acquire(d, ref, grantee, write, &m), want);
    assert_int_equal(mfn_x(m), 0x4242);
    if (ref < 512) {
        struct grant_entry_v1 after = entry(ref);
        assert_memory_equal(&before, &after, sizeof(before));
    }
    assert_int_equal(gnttab_nr_held(d), held);
    assert_memory_equal(&p, pg(data), sizeof(p));
    td_assert_invariants();
}

static void test_acquire_refusals(void **state)
{
    mfn_t m;
    /* No table yet: every ref is out of range. */
    assert_int_equal(gnttab_acquire(d, 0, 0, false, &m), GNTST_bad_gntref);
    uint64_t t = map_table_frame();
    uint64_t data = td_mfn(v, DATA);
    struct domain *d2 = td_build(8192, NULL, 1);
    uint64_t foreign = td_mfn(&d2->vcpus[0], 0x200000);
    uint64_t ptm = td_mfn(v, ((struct start_info *)td_ptr(v, d->start_info_va))->pt_base);

    /* Refs beyond the table. */
    refused(512, 0, false, GNTST_bad_gntref);
    refused(0xFFFFFFFFu, 0, false, GNTST_bad_gntref);

    /* Entries that do not permit access to this grantee. */
    grant(1, GTF_invalid, 0, data);
    refused(1, 0, false, GNTST_general_error);
    grant(1, GTF_accept_transfer, 0, data);
    refused(1, 0, false, GNTST_general_error);
    grant(1, GTF_permit_access | GTF_sub_page, 0, data);
    refused(1, 0, false, GNTST_general_error);
    grant(1, GTF_permit_access, 3, data);
    refused(1, 0, false, GNTST_general_error);
    refused(1, 2, true, GNTST_general_error);
    /* Read-only, for writing. */
    grant(1, GTF_permit_access | GTF_readonly, 0, data);
    refused(1, 0, true, GNTST_general_error);

    /* Frames the granter may not grant. */
    const uint64_t bad_frames[] = {
        foreign,                    /* another domain's */
        0,                          /* the hypervisor's (reserved) */
        TD_FRAMES - 1,              /* free */
        0xFFFFFFFFu,                /* beyond RAM */
        t,                          /* its own grant table */
        mfn_x(d->shared_info_mfn),  /* shared_info */
        mfn_x(d->gnttab.active[0]), /* the hypervisor's record of its holds */
    };
    assert_int_equal(pg(TD_FRAMES - 1)->owner, DOMID_FREE);
    for (unsigned int i = 0; i < sizeof(bad_frames) / sizeof(bad_frames[0]); i++) {
        grant(2, GTF_permit_access, 0, bad_frames[i]);
        refused(2, 0, false, GNTST_bad_page);
        refused(2, 0, true, GNTST_bad_page);
    }

    /* A page table: for reading yes, for writing no. */
    grant(3, GTF_permit_access, 0, ptm);
    refused(3, 0, true, GNTST_general_error);
    assert_int_equal(gnttab_acquire(d, 3, 0, false, &m), GNTST_okay);
    assert_int_equal(mfn_x(m), ptm);
    /* Held, it cannot gain write access either. */
    refused(3, 0, true, GNTST_general_error);
    assert_int_equal(entry(3).flags, GTF_permit_access | GTF_reading);
    gnttab_release(d, 3, false);
    assert_int_equal(entry(3).flags, GTF_permit_access);

    /* Held by one grantee, not to be taken by another, even if the entry now names it. */
    grant(4, GTF_permit_access, 0, data);
    assert_int_equal(gnttab_acquire(d, 4, 0, false, &m), GNTST_okay);
    grant(4, GTF_permit_access | GTF_reading, 5, data);
    refused(4, 5, false, GNTST_general_error);
    gnttab_release(d, 4, false);
    assert_int_equal(gnttab_nr_held(d), 0);

    /* The hold counts cannot overflow: Xen stops at 0x80. */
    grant(8, GTF_permit_access, 0, data);
    for (unsigned int i = 0; i < 0x80; i++)
        assert_int_equal(gnttab_acquire(d, 8, 0, false, &m), GNTST_okay);
    refused(8, 0, false, GNTST_general_error);
    refused(8, 0, true, GNTST_general_error);
    for (unsigned int i = 0; i < 0x80; i++)
        gnttab_release(d, 8, false);
    assert_int_equal(entry(8).flags, GTF_permit_access);
    assert_int_equal(gnttab_nr_held(d), 0);

    /* A dead granter. */
    d2->in_use = false;
    assert_int_equal(gnttab_acquire(d2, 0, 0, false, &m), GNTST_bad_domain);
    d2->in_use = true;
    td_assert_invariants();
}

static void test_write_hold_keeps_frame_from_becoming_table(void **state)
{
    map_table_frame();
    /* A frame the guest maps read-only only: untyped until a backend writes to it. */
    uint64_t va = DATA;
    uint64_t data = td_mfn(v, va);
    assert_int_equal(td_hc(v, __HYPERVISOR_update_va_mapping, va, (data << 12) | P | US, 0, 0, 0),
                     0);
    assert_int_equal(pg(data)->type_count, 0);
    grant(9, GTF_permit_access, 0, data);
    mfn_t m;
    assert_int_equal(gnttab_acquire(d, 9, 0, true, &m), GNTST_okay);
    assert_int_equal(pg(data)->type, PGT_writable);
    assert_int_equal(pg(data)->type_count, 1);
    /* While held for writing the guest cannot pin it as a page table. */
    struct mmuext_op op = {.cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = data};
    td_put(v, S, &op, sizeof(op));
    assert_int_not_equal(td_hc(v, __HYPERVISOR_mmuext_op, S, 1, 0, DOMID_SELF, 0), 0);
    td_assert_invariants();

    /* The guest rewrites the entry while it is held: the release still drops the right frame. */
    uint64_t other = td_mfn(v, DATA + 0x1000);
    uint32_t other_tc = pg(other)->type_count;
    grant(9, GTF_permit_access | GTF_reading | GTF_writing, 0, other);
    gnttab_release(d, 9, true);
    assert_int_equal(pg(data)->type_count, 0);
    assert_int_equal(pg(other)->type_count, other_tc);
    assert_int_equal(entry(9).flags, GTF_permit_access);
    td_assert_invariants();

    /* Released, it can become one. */
    assert_int_equal(td_hc(v, __HYPERVISOR_mmuext_op, S, 1, 0, DOMID_SELF, 0), 0);
    assert_int_equal(pg(data)->type, PGT_l1);
    td_assert_invariants();
}

static void test_invariants_see_broken_holds(void **state)
{
    map_table_frame();
    uint64_t data = td_mfn(v, DATA);
    grant(1, GTF_permit_access, 0, data);
    mfn_t m;
    assert_int_equal(gnttab_acquire(d, 1, 0, true, &m), GNTST_okay);
    td_assert_invariants();
    char why[256];
    /* A lost type reference. */
    pg(data)->type_count--;
    assert_int_equal(mm_check_invariants(why, sizeof(why)), -1);
    pg(data)->type_count++;
    /* A miscounted hold. */
    d->gnttab.nr_held++;
    assert_int_equal(mm_check_invariants(why, sizeof(why)), -1);
    assert_non_null(strstr(why, "grant holds"));
    d->gnttab.nr_held--;
    td_assert_invariants();
    gnttab_release(d, 1, true);
    td_assert_invariants();
}

static void test_destroy_with_holds(void **state)
{
    uint64_t free0 = hv_mem.free_frames;
    struct domain *d2 = td_build(8192, NULL, 1);
    struct vcpu *v2 = &d2->vcpus[0];
    int16_t status;
    assert_int_equal(setup_table_on(v2, DOMID_SELF, 2, LIST, &status), 0);
    assert_int_equal(status, GNTST_okay);
    uint64_t t1 = mfn_x(d2->gnttab.frames[1]);
    /* d2 maps its second table frame and grants two of its pages through it. */
    assert_int_equal(
        td_hc(v2, __HYPERVISOR_update_va_mapping, TABLE, (t1 << 12) | P | RW | US, 0, 0, 0), 0);
    struct grant_entry_v1 e[2] = {
        {GTF_permit_access, 0, (uint32_t)td_mfn(v2, DATA)},
        {GTF_permit_access | GTF_readonly, 0, (uint32_t)td_mfn(v2, DATA + 0x1000)},
    };
    td_put(v2, TABLE, e, sizeof(e));
    mfn_t m;
    assert_int_equal(gnttab_acquire(d2, 512, 0, true, &m), GNTST_okay);
    assert_int_equal(gnttab_acquire(d2, 512, 0, false, &m), GNTST_okay);
    assert_int_equal(gnttab_acquire(d2, 513, 0, false, &m), GNTST_okay);
    assert_int_equal(gnttab_nr_held(d2), 3);
    td_assert_invariants();

    /* d's own table and holds are not touched by d2's end. */
    map_table_frame();
    grant(1, GTF_permit_access, 0, td_mfn(v, DATA));
    assert_int_equal(gnttab_acquire(d, 1, 0, true, &m), GNTST_okay);

    d2->is_shutting_down = true;
    domain_destroy(d2);
    assert_int_equal(hv_mem.free_frames, free0 - 2); /* only d's table frame and its active */
    td_assert_invariants();
    assert_int_equal(gnttab_nr_held(d), 1);
    gnttab_release(d, 1, true);
    td_assert_invariants();

    /* And d itself, with a hold and its table mapped. */
    assert_int_equal(gnttab_acquire(d, 1, 0, true, &m), GNTST_okay);
    uint64_t before = hv_mem.free_frames;
    d->is_shutting_down = true;
    domain_destroy(d);
    assert_int_equal(hv_mem.free_frames, before + TD_MEMORY_KB / 4 + 1 + 2);
    td_assert_invariants();
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(test_setup_table_grows_1_to_4, setup),
    cmocka_unit_test_setup(test_setup_table_domain_and_size_errors, setup),
    cmocka_unit_test_setup(test_setup_table_bad_pointers, setup),
    cmocka_unit_test_setup(test_setup_table_count_and_cmd, setup),
    cmocka_unit_test_setup(test_query_size, setup),
    cmocka_unit_test_setup(test_set_version, setup),
    cmocka_unit_test_setup(test_get_version, setup),
    cmocka_unit_test_setup(test_unmodelled_and_unknown_ops_enosys, setup),
    cmocka_unit_test_setup(test_through_multicall, setup),
    cmocka_unit_test_setup(test_guest_maps_table_writable, setup),
    cmocka_unit_test_setup(test_acquire_and_release, setup),
    cmocka_unit_test_setup(test_acquire_refusals, setup),
    cmocka_unit_test_setup(test_write_hold_keeps_frame_from_becoming_table, setup),
    cmocka_unit_test_setup(test_invariants_see_broken_holds, setup),
    cmocka_unit_test_setup(test_destroy_with_holds, setup),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
