/* Unit tests for hv/common/builder.c: start_info, start-of-day layout, page tables, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/builder.h"
#include "hv/evtchn.h"
#include "hv/mm.h"
#include "public/xen.h"
#include "fake_arch.h"
#include "test_domain.h"
#include "test_image.h"

#define MIB4 0x400000ULL

static struct start_info *start_info_of(struct domain *d)
{
    return td_ptr(&d->vcpus[0], d->start_info_va);
}

/* VA of a frame of d (virt_base 0 and the m2p give pfn << 12). */
static uint64_t va_of_mfn(uint64_t mfn)
{
    return hv_mem.m2p[mfn] << 12;
}

static int build_image(const uint8_t *img, size_t len, uint64_t memory_kb, const char *cmdline,
                       unsigned int vcpus, struct domain **d, char *err, size_t errlen)
{
    struct domain_config cfg = {
        .name = "unit",
        .kernel = img,
        .kernel_len = len,
        .cmdline = cmdline,
        .memory_kb = memory_kb,
        .vcpus = vcpus,
    };
    *d = NULL;
    return domain_build(&cfg, d, err, errlen);
}

static unsigned int domains_in_use(void)
{
    unsigned int n = 0;
    for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++)
        n += hv.domains[i].in_use;
    return n;
}

/* ------------------------------------------------------------------------- */

static void test_start_info_fields(void **state)
{
    fake_machine_init(TD_FRAMES);
    struct domain *d = td_build(TD_MEMORY_KB, "console=hvc0 root=/dev/xvda1", 1);
    struct start_info *si = start_info_of(d);

    assert_string_equal(si->magic, "xen-3.0-x86_64");
    assert_int_equal(si->nr_pages, TD_MEMORY_KB / 4);
    assert_int_equal(si->shared_info, mfn_x(d->shared_info_mfn) << 12);
    assert_int_equal(si->shared_info & 0xfff, 0);
    assert_int_equal(si->flags, 0);
    assert_int_equal(si->store_mfn, mfn_x(d->store_mfn));
    assert_int_equal(si->console.domU.mfn, mfn_x(d->console_mfn));
    assert_int_equal(si->store_evtchn, d->store_port);
    assert_int_equal(si->console.domU.evtchn, d->console_port);
    assert_int_not_equal(si->store_evtchn, 0);
    assert_int_not_equal(si->console.domU.evtchn, 0);
    assert_int_not_equal(si->store_evtchn, si->console.domU.evtchn);
    /* Both ports are bound to their backends. */
    assert_int_equal(d->evtchn[si->console.domU.evtchn].state, ECS_INTERDOMAIN);
    assert_int_equal(d->evtchn[si->console.domU.evtchn].backend, EVB_CONSOLE);
    assert_int_equal(d->evtchn[si->store_evtchn].state, ECS_INTERDOMAIN);
    assert_int_equal(d->evtchn[si->store_evtchn].backend, EVB_XENSTORE);
    assert_int_equal(si->mod_start, 0);
    assert_int_equal(si->mod_len, 0);
    /* The ring frames belong to the domain and are pages of its pseudo-physical space. */
    assert_int_equal(mfn_to_page(d->store_mfn)->owner, d->domid);
    assert_int_equal(mfn_to_page(d->console_mfn)->owner, d->domid);

    /* pt_base and mfn_list are virtual addresses inside the mapped region. */
    struct vcpu *v = &d->vcpus[0];
    assert_int_equal(si->pt_base & 0xfff, 0);
    assert_int_equal(td_mfn(v, si->pt_base), mfn_x(v->guest_table));
    assert_true(si->nr_pt_frames >= 4);
    assert_non_null(td_l1e(v, si->mfn_list));
    assert_non_null(td_l1e(v, si->mfn_list + si->nr_pages * 8 - 1));
    assert_int_equal(d->start_info_va, v->regs.rsi);

    char want[MAX_GUEST_CMDLINE] = "console=hvc0 root=/dev/xvda1";
    assert_memory_equal(si->cmd_line, want, sizeof(want)); /* copied and zero padded */
    td_assert_invariants();
}

static void test_start_info_no_cmdline_is_empty(void **state)
{
    struct domain *d = td_setup();
    struct start_info *si = start_info_of(d);
    char zero[MAX_GUEST_CMDLINE] = {0};
    assert_memory_equal(si->cmd_line, zero, sizeof(zero));
}

static void test_cmdline_longest_accepted_longer_refused(void **state)
{
    fake_machine_init(TD_FRAMES);
    char line[MAX_GUEST_CMDLINE + 1];
    memset(line, 'a', MAX_GUEST_CMDLINE - 1);
    line[MAX_GUEST_CMDLINE - 1] = 0;
    struct domain *d = td_build(TD_MEMORY_KB, line, 1);
    struct start_info *si = start_info_of(d);
    assert_int_equal(strlen((char *)si->cmd_line), MAX_GUEST_CMDLINE - 1);

    size_t len;
    uint8_t *img = test_image_pv64(&len);
    memset(line, 'b', MAX_GUEST_CMDLINE);
    line[MAX_GUEST_CMDLINE] = 0;
    char err[256] = "";
    struct domain *d2;
    assert_int_equal(build_image(img, len, TD_MEMORY_KB, line, 1, &d2, err, sizeof(err)),
                     -XEN_EINVAL);
    assert_non_null(strstr(err, "command line"));
    assert_null(d2);
    free(img);
}

static void test_layout_order_and_alignment(void **state)
{
    struct domain *d = td_setup();
    struct vcpu *v = &d->vcpus[0];
    struct start_info *si = start_info_of(d);

    uint64_t kernel_end = TI_LOAD_VA + TI_MEM_PAGES * 4096;
    uint64_t p2m = si->mfn_list;
    uint64_t start = d->start_info_va;
    uint64_t store = va_of_mfn(si->store_mfn);
    uint64_t console = va_of_mfn(si->console.domU.mfn);
    uint64_t pt = si->pt_base, pt_end = si->pt_base + si->nr_pt_frames * 4096;
    uint64_t stack = v->regs.rsp - 4096;

    uint64_t items[] = {p2m, start, store, console, pt, stack};
    for (unsigned int i = 0; i < sizeof(items) / sizeof(items[0]); i++)
        assert_int_equal(items[i] & 0xfff, 0);
    assert_true(p2m >= kernel_end);
    assert_true(start >= p2m + si->nr_pages * 8);
    assert_true(store > start);
    assert_true(console > store);
    assert_true(pt > console);
    assert_true(stack >= pt_end);
    /* The start_info VA and the store/console VAs point at those very frames. */
    assert_int_equal(td_mfn(v, store), si->store_mfn);
    assert_int_equal(td_mfn(v, console), si->console.domU.mfn);
    assert_ptr_equal(td_ptr(v, start), (void *)si);
}

static void test_mapped_region_is_4mib_multiple_with_slack(void **state)
{
    struct domain *d = td_setup();
    struct vcpu *v = &d->vcpus[0];
    uint64_t end = 0;
    while (td_l1e(v, end) && (*td_l1e(v, end) & _PAGE_PRESENT))
        end += 4096;
    assert_true(end > 0);
    assert_int_equal(end % MIB4, 0);
    for (uint64_t va = end; va < end + MIB4; va += 4096) {
        uint64_t *e = td_l1e(v, va);
        assert_true(!e || !(*e & _PAGE_PRESENT));
    }
    uint64_t stack_end = v->regs.rsp; /* the stack page is the last start-of-day item */
    assert_true(end - stack_end >= 512 * 1024);
}

static void test_layout_holds_for_several_sizes(void **state)
{
    const uint64_t sizes_kb[] = {6 * 1024, 16 * 1024, 64 * 1024, 96 * 1024 + 4};
    for (unsigned int i = 0; i < sizeof(sizes_kb) / sizeof(sizes_kb[0]); i++) {
        fake_machine_init(sizes_kb[i] / 4 + 64);
        struct domain *d = td_build(sizes_kb[i], NULL, 1);
        struct vcpu *v = &d->vcpus[0];
        struct start_info *si = start_info_of(d);
        assert_int_equal(si->nr_pages, sizes_kb[i] / 4);
        assert_true(d->start_info_va >= si->mfn_list + si->nr_pages * 8);
        assert_true(si->pt_base > va_of_mfn(si->console.domU.mfn));
        assert_int_equal(v->regs.rsp - 4096, si->pt_base + si->nr_pt_frames * 4096);
        uint64_t end = 0;
        while (td_l1e(v, end) && (*td_l1e(v, end) & _PAGE_PRESENT))
            end += 4096;
        assert_int_equal(end % MIB4, 0);
        assert_true(end - v->regs.rsp >= 512 * 1024);
        td_assert_invariants();
    }
}

/* Collect every page-table frame reachable from the L4 (mfns, no duplicates). */
static unsigned int table_frames(uint64_t l4, uint64_t *out, unsigned int max)
{
    unsigned int n = 0;
    out[n++] = l4;
    for (unsigned int i = 0; i < n; i++) {
        uint64_t mfn = out[i];
        unsigned int level = mfn_to_page(_mfn(mfn))->type;
        if (level <= PGT_l1)
            continue;
        uint64_t *t = (uint64_t *)(fake.ram + mfn * 4096);
        for (unsigned int s = 0; s < 512; s++) {
            if (!(t[s] & _PAGE_PRESENT))
                continue;
            assert_true(n < max);
            out[n++] = (t[s] & PTE_ADDR_MASK) >> 12;
        }
    }
    return n;
}

static void test_page_tables_read_only_rest_rw_user(void **state)
{
    struct domain *d = td_setup();
    struct vcpu *v = &d->vcpus[0];
    struct start_info *si = start_info_of(d);
    uint64_t pt = si->pt_base, pt_end = si->pt_base + si->nr_pt_frames * 4096;

    unsigned int ro = 0;
    for (uint64_t va = 0; td_l1e(v, va) && (*td_l1e(v, va) & _PAGE_PRESENT); va += 4096) {
        uint64_t e = *td_l1e(v, va);
        assert_true(e & _PAGE_USER);
        assert_false(e & _PAGE_NX);
        if (va >= pt && va < pt_end) {
            assert_false(e & _PAGE_RW);
            ro++;
        } else {
            assert_true(e & _PAGE_RW);
        }
    }
    assert_int_equal(ro, si->nr_pt_frames);

    /* Every table the hardware walks lies inside the read-only bootstrap range. */
    uint64_t frames[64];
    unsigned int n = table_frames(mfn_x(v->guest_table), frames, 64);
    unsigned int tables = 0;
    for (unsigned int i = 0; i < n; i++) {
        unsigned int type = mfn_to_page(_mfn(frames[i]))->type;
        if (type < PGT_l1 || type > PGT_l4)
            continue;
        tables++;
        uint64_t va = va_of_mfn(frames[i]);
        assert_true(va >= pt && va < pt_end);
    }
    assert_true(tables >= 4);
    /* Intermediate entries are present, writable and user too. */
    uint64_t *l4 = (uint64_t *)(fake.ram + mfn_x(v->guest_table) * 4096);
    assert_int_equal(l4[0] & (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER),
                     _PAGE_PRESENT | _PAGE_RW | _PAGE_USER);
}

static void test_p2m_and_m2p_agree(void **state)
{
    struct domain *d = td_setup();
    struct vcpu *v = &d->vcpus[0];
    struct start_info *si = start_info_of(d);
    uint64_t nr = si->nr_pages;
    uint64_t *p2m = malloc(nr * 8);
    td_get(v, p2m, si->mfn_list, nr * 8);
    for (uint64_t pfn = 0; pfn < nr; pfn++) {
        uint64_t mfn = p2m[pfn];
        assert_true(mfn < fake.nr_frames);
        assert_int_equal(hv_mem.m2p[mfn], pfn);
        assert_int_equal(mfn_to_page(_mfn(mfn))->owner, d->domid);
        if (pfn < 1024) /* mapped region: VA pfn << 12 maps that frame */
            assert_int_equal(td_mfn(v, pfn << 12), mfn);
    }
    /* Distinct frames: the m2p check above makes p2m injective; the count must match. */
    uint64_t owned = 0;
    for (uint64_t m = 0; m < fake.nr_frames; m++)
        owned += mfn_to_page(_mfn(m))->owner == d->domid;
    assert_int_equal(owned, nr + 1); /* + shared_info */
    free(p2m);
}

static void test_kernel_image_loaded(void **state)
{
    struct domain *d = td_setup();
    struct vcpu *v = &d->vcpus[0];
    for (uint64_t off = 0; off < TI_FILE_PAGES * 4096; off++) {
        if (off >= 4096 && off < 8192)
            continue; /* the hypercall page is rewritten */
        uint8_t b = *(uint8_t *)td_ptr(v, TI_LOAD_VA + off);
        if (b != test_image_seg_byte(off))
            fail_msg("image byte at 0x%llx: 0x%02x, want 0x%02x",
                     (unsigned long long)(TI_LOAD_VA + off), b, test_image_seg_byte(off));
    }
    for (uint64_t off = 0; off < 4096; off++)
        assert_int_equal(*(uint8_t *)td_ptr(v, TI_BSS_VA + off), 0);
}

static void test_hypercall_page_stubs(void **state)
{
    struct domain *d = td_setup();
    const uint8_t *page = td_ptr(&d->vcpus[0], TI_HYPERCALL_VA);
    static const uint8_t stub0[14] = {0x51, 0x41, 0x53, 0xb8, 0x00, 0x00, 0x00,
                                      0x00, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3};
    static const uint8_t stub23[11] = {0x51, 0x41, 0x53, 0x50, 0xb8, 0x17,
                                       0x00, 0x00, 0x00, 0x0f, 0x05};
    assert_memory_equal(page, stub0, sizeof(stub0));
    assert_memory_equal(page + 23 * 32, stub23, sizeof(stub23));
    for (unsigned int i = 0; i < 128; i++) {
        const uint8_t *s = page + i * 32;
        unsigned int used = i == 23 ? 11 : 14;
        if (i != 23) {
            uint8_t want[14];
            memcpy(want, stub0, 14);
            want[4] = (uint8_t)i;
            assert_memory_equal(s, want, 14);
        }
        for (unsigned int k = used; k < 32; k++)
            if (s[k] != 0xCC)
                fail_msg("stub %u byte %u is 0x%02x, want 0xCC", i, k, s[k]);
    }
}

static void test_shared_info_upcalls_masked(void **state)
{
    fake_machine_init(TD_FRAMES);
    struct domain *d = td_build(TD_MEMORY_KB, NULL, 2);
    struct shared_info *s = d->shared_info;
    assert_ptr_equal(s, fake.ram + mfn_x(d->shared_info_mfn) * 4096);
    for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++) {
        assert_int_equal(s->vcpu_info[i].evtchn_upcall_mask, 1);
        assert_int_equal(s->vcpu_info[i].evtchn_upcall_pending, 0);
        assert_int_equal(s->vcpu_info[i].evtchn_pending_sel, 0);
    }
    for (unsigned int i = 0; i < 64; i++) {
        assert_int_equal(s->evtchn_pending[i], 0);
        assert_int_equal(s->evtchn_mask[i], 0);
    }
    /* shared_info is a separate frame, not one of the domain's pages. */
    assert_int_equal(hv_mem.m2p[mfn_x(d->shared_info_mfn)], INVALID_PFN_RAW);
    assert_true(mfn_to_page(d->shared_info_mfn)->flags & PGF_xen_heap);
    /* The time record of each built vCPU is consistent (even version, scale set). */
    for (unsigned int i = 0; i < 2; i++) {
        assert_int_equal(s->vcpu_info[i].time.version & 1, 0);
        assert_int_not_equal(s->vcpu_info[i].time.version, 0);
        assert_int_not_equal(s->vcpu_info[i].time.tsc_to_system_mul, 0);
    }
}

static void test_vcpu0_initial_registers(void **state)
{
    fake_machine_init(TD_FRAMES);
    struct domain *d = td_build(TD_MEMORY_KB, NULL, 2);
    struct vcpu *v = &d->vcpus[0];
    struct start_info *si = start_info_of(d);
    uint64_t pt_end = si->pt_base + si->nr_pt_frames * 4096;

    assert_int_equal(v->regs.rip, TI_ENTRY);
    assert_int_equal(v->regs.rsi, d->start_info_va);
    assert_int_equal(v->regs.rsp & 0xfff, 0);
    assert_int_equal(v->regs.rsp - 4096, pt_end); /* the stack page follows the tables */
    uint64_t *stack_l1e = td_l1e(v, v->regs.rsp - 8);
    assert_non_null(stack_l1e);
    assert_true(*stack_l1e & _PAGE_RW);
    assert_int_equal(v->regs.cs, 0xe033);
    assert_int_equal(v->regs.ss, 0xe02b);
    assert_true(v->regs.rflags & X86_EFLAGS_IF);
    assert_false(v->regs.rflags & X86_EFLAGS_IOPL);
    assert_true(v->kernel_mode);
    assert_true(v->online);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(mfn_x(v->guest_table_user), 0);
    /* Secondary vCPUs wait for VCPUOP_up. */
    assert_false(d->vcpus[1].online);
    assert_int_equal(d->vcpus[1].state, VCPU_DOWN);
    assert_int_equal(d->max_vcpus, 2);
}

static void test_l4_pinned_type_counts(void **state)
{
    struct domain *d = td_setup();
    struct vcpu *v = &d->vcpus[0];
    struct page_info *l4 = mfn_to_page(v->guest_table);
    assert_int_equal(l4->type, PGT_l4);
    assert_true(l4->flags & PGF_pinned);
    assert_int_equal(l4->type_count, 2); /* the pin and the baseptr */
    assert_int_equal(l4->owner, d->domid);

    uint64_t frames[64];
    unsigned int n = table_frames(mfn_x(v->guest_table), frames, 64);
    unsigned int l3 = 0, l2 = 0, l1 = 0;
    for (unsigned int i = 0; i < n; i++) {
        struct page_info *pg = mfn_to_page(_mfn(frames[i]));
        l3 += pg->type == PGT_l3;
        l2 += pg->type == PGT_l2;
        l1 += pg->type == PGT_l1;
        if (pg->type >= PGT_l1 && pg->type <= PGT_l3)
            assert_int_equal(pg->type_count, 1);
    }
    assert_int_equal(l3, 1);
    assert_int_equal(l2, 1);
    assert_int_equal(l1, 2); /* 4 MiB mapped = two L1 tables */
    /* A RW-mapped data frame has the writable type, once. */
    struct page_info *data = mfn_to_page(_mfn(td_mfn(v, TD_SCRATCH_VA)));
    assert_int_equal(data->type, PGT_writable);
    assert_int_equal(data->type_count, 1);
    assert_int_equal(data->ref_count, 1);
    td_assert_invariants();
}

/* ------------------------------------------------------------------------- */
/* Errors                                                                    */

static void test_memory_too_small(void **state)
{
    fake_machine_init(TD_FRAMES);
    uint64_t free0 = hv_mem.free_frames;
    size_t len;
    uint8_t *img = test_image_pv64(&len);
    struct domain *d;
    char err[256] = "";

    /* The kernel fits but the start-of-day data do not. */
    int rc = build_image(img, len, 1040, NULL, 1, &d, err, sizeof(err));
    assert_int_equal(rc, -XEN_ENOMEM);
    assert_non_null(strstr(err, "memory too small"));
    assert_null(d);
    assert_int_equal(hv_mem.free_frames, free0);
    assert_int_equal(domains_in_use(), 0);

    /* The kernel itself does not fit. */
    err[0] = 0;
    rc = build_image(img, len, 1024, NULL, 1, &d, err, sizeof(err));
    assert_int_equal(rc, -XEN_ENOMEM);
    assert_non_null(strstr(err, "does not fit"));
    assert_int_equal(hv_mem.free_frames, free0);
    assert_int_equal(domains_in_use(), 0);

    /* Not a whole number of pages, or below 1 MiB. */
    assert_int_equal(build_image(img, len, 4098, NULL, 1, &d, err, sizeof(err)), -XEN_EINVAL);
    assert_int_equal(build_image(img, len, 512, NULL, 1, &d, err, sizeof(err)), -XEN_EINVAL);
    assert_non_null(strstr(err, "memory"));
    td_assert_invariants();
    free(img);
}

static void test_machine_out_of_memory(void **state)
{
    fake_machine_init(2048); /* 8 MiB machine, frame 0 reserved */
    uint64_t free0 = hv_mem.free_frames;
    size_t len;
    uint8_t *img = test_image_pv64(&len);
    struct domain *d;
    char err[256] = "";
    assert_int_equal(build_image(img, len, 8192, NULL, 1, &d, err, sizeof(err)), -XEN_ENOMEM);
    assert_non_null(strstr(err, "out of machine memory"));
    assert_int_equal(hv_mem.free_frames, free0);
    assert_int_equal(domains_in_use(), 0);
    free(img);
}

static void test_vcpus_out_of_range(void **state)
{
    fake_machine_init(TD_FRAMES);
    size_t len;
    uint8_t *img = test_image_pv64(&len);
    struct domain *d;
    char err[256] = "";
    assert_int_equal(build_image(img, len, TD_MEMORY_KB, NULL, 0, &d, err, sizeof(err)),
                     -XEN_EINVAL);
    assert_non_null(strstr(err, "vcpus"));
    assert_int_equal(
        build_image(img, len, TD_MEMORY_KB, NULL, HV_MAX_VCPUS + 1, &d, err, sizeof(err)),
        -XEN_EINVAL);
    assert_int_equal(domains_in_use(), 0);
    free(img);
}

static void test_too_many_domains(void **state)
{
    fake_machine_init(HV_MAX_DOMAINS * 520 + 64);
    domid_t ids[HV_MAX_DOMAINS];
    for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *d = td_build(2048, NULL, 1);
        ids[i] = d->domid;
        for (unsigned int k = 0; k < i; k++)
            assert_int_not_equal(ids[k], ids[i]);
    }
    uint64_t free_before = hv_mem.free_frames;
    size_t len;
    uint8_t *img = test_image_pv64(&len);
    struct domain *d;
    char err[256] = "";
    assert_int_equal(build_image(img, len, 2048, NULL, 1, &d, err, sizeof(err)), -XEN_ENOSPC);
    assert_non_null(strstr(err, "too many domains"));
    assert_null(d);
    assert_int_equal(hv_mem.free_frames, free_before);
    td_assert_invariants();
    free(img);
}

static void test_bad_elf_message_passes_through(void **state)
{
    fake_machine_init(TD_FRAMES);
    uint64_t free0 = hv_mem.free_frames;
    size_t len;
    uint8_t *img = test_image_pv64(&len);
    struct domain *d;
    char err[256] = "";

    img[1] = 'X'; /* bad magic */
    assert_int_equal(build_image(img, len, TD_MEMORY_KB, NULL, 1, &d, err, sizeof(err)),
                     -XEN_EINVAL);
    assert_string_equal(err, "ELF: bad magic, not an ELF image");
    img[1] = 'E';

    err[0] = 0;
    assert_int_equal(build_image(img, 10, TD_MEMORY_KB, NULL, 1, &d, err, sizeof(err)),
                     -XEN_EINVAL);
    assert_string_equal(err, "ELF: image truncated: 10 bytes, too short for the ELF "
                             "identification");
    assert_int_equal(hv_mem.free_frames, free0);
    assert_int_equal(domains_in_use(), 0);
    free(img);

    /* Notes missing the generic loader: libelf's words. */
    struct test_image_spec s;
    test_image_default(&s, true);
    img = test_image_build(&s, &len);
    size_t at = 0;
    while (at + 7 <= len && memcmp(img + at, "generic", 7))
        at++;
    assert_true(at + 7 <= len);
    memcpy(img + at, "special", 7);
    assert_int_equal(build_image(img, len, TD_MEMORY_KB, NULL, 1, &d, err, sizeof(err)),
                     -XEN_EINVAL);
    assert_string_equal(err, "Will only load images built for the generic loader or Linux "
                             "images");
    free(img);
}

static void test_32bit_pae_image_unmodelled(void **state)
{
    fake_machine_init(TD_FRAMES);
    uint64_t free0 = hv_mem.free_frames;
    struct test_image_spec s;
    test_image_default(&s, false);
    size_t len;
    uint8_t *img = test_image_build(&s, &len);
    struct domain *d;
    char err[256] = "";
    int rc = build_image(img, len, TD_MEMORY_KB, NULL, 1, &d, err, sizeof(err));
    assert_int_equal(rc, -XEN_EOPNOTSUPP);
    assert_int_equal(strncmp(err, "unmodelled", 10), 0);
    assert_non_null(strstr(err, "xen-3.0-x86_32p"));
    assert_null(d);
    assert_int_equal(hv_mem.free_frames, free0);
    assert_int_equal(domains_in_use(), 0);
    free(img);
}

static void test_32bit_non_pae_refused_by_compat_check(void **state)
{
    fake_machine_init(TD_FRAMES);
    struct test_image_spec s;
    test_image_default(&s, false);
    s.pae_mode = NULL;
    size_t len;
    uint8_t *img = test_image_build(&s, &len);
    struct domain *d;
    char err[256] = "";
    int rc = build_image(img, len, TD_MEMORY_KB, NULL, 1, &d, err, sizeof(err));
    assert_int_equal(rc, -XEN_EINVAL);
    assert_string_equal(err, "xc_dom_compat_check: guest type xen-3.0-x86_32 not supported by "
                             "xen kernel, sorry");
    assert_int_equal(domains_in_use(), 0);
    free(img);

    s.pae_mode = "no";
    img = test_image_build(&s, &len);
    assert_int_equal(build_image(img, len, TD_MEMORY_KB, NULL, 1, &d, err, sizeof(err)),
                     -XEN_EINVAL);
    assert_string_equal(err, "xc_dom_compat_check: guest type xen-3.0-x86_32 not supported by "
                             "xen kernel, sorry");
    free(img);
}

static void test_required_feature_not_offered(void **state)
{
    fake_machine_init(TD_FRAMES);
    struct test_image_spec s;
    test_image_default(&s, true);
    s.features = "!writable_page_tables";
    size_t len;
    uint8_t *img = test_image_build(&s, &len);
    struct domain *d;
    char err[256] = "";
    assert_int_equal(build_image(img, len, TD_MEMORY_KB, NULL, 1, &d, err, sizeof(err)),
                     -XEN_EINVAL);
    assert_non_null(strstr(err, "features"));
    free(img);

    /* A feature the hypervisor offers may be required. */
    s.features = "!mmu_pt_update_preserve_ad";
    img = test_image_build(&s, &len);
    assert_int_equal(build_image(img, len, TD_MEMORY_KB, NULL, 1, &d, err, sizeof(err)), 0);
    assert_non_null(d);
    free(img);
}

static void test_no_hypercall_page_note_leaves_page_alone(void **state)
{
    fake_machine_init(TD_FRAMES);
    struct test_image_spec s;
    test_image_default(&s, true);
    s.hypercall_page = false;
    size_t len;
    uint8_t *img = test_image_build(&s, &len);
    struct domain *d;
    char err[256] = "";
    assert_int_equal(build_image(img, len, TD_MEMORY_KB, NULL, 1, &d, err, sizeof(err)), 0);
    const uint8_t *page = td_ptr(&d->vcpus[0], TI_HYPERCALL_VA);
    for (unsigned int k = 0; k < 4096; k++)
        assert_int_equal(page[k], 0xC3);
    free(img);
}

static void test_destroy_frees_all_frames(void **state)
{
    fake_machine_init(TD_FRAMES);
    uint64_t free0 = hv_mem.free_frames;
    struct domain *d = td_build(TD_MEMORY_KB, NULL, 1);
    domid_t id = d->domid;
    assert_int_equal(hv_mem.free_frames, free0 - TD_MEMORY_KB / 4 - 1);
    d->is_shutting_down = true;
    domain_destroy(d);
    assert_int_equal(hv_mem.free_frames, free0);
    assert_false(d->in_use);
    assert_null(domain_by_id(id));
    for (uint64_t m = 0; m < fake.nr_frames; m++) {
        struct page_info *pg = mfn_to_page(_mfn(m));
        assert_int_not_equal(pg->owner, id);
        if (pg->owner == DOMID_FREE)
            assert_int_equal(hv_mem.m2p[m], INVALID_PFN_RAW);
    }
    td_assert_invariants();

    /* The machine can host the same domain again. */
    d = td_build(TD_MEMORY_KB, NULL, 1);
    assert_int_equal(hv_mem.free_frames, free0 - TD_MEMORY_KB / 4 - 1);
    td_assert_invariants();
}

static void test_two_domains_have_disjoint_frames(void **state)
{
    fake_machine_init(TD_FRAMES);
    struct domain *a = td_build(8192, NULL, 1);
    struct domain *b = td_build(8192, NULL, 1);
    assert_int_not_equal(a->domid, b->domid);
    assert_ptr_equal(domain_by_id(a->domid), a);
    assert_ptr_equal(domain_by_id(b->domid), b);
    assert_int_not_equal(mfn_x(a->shared_info_mfn), mfn_x(b->shared_info_mfn));
    for (uint64_t va = 0; va < 0x400000; va += 4096)
        assert_int_not_equal(td_mfn(&a->vcpus[0], va), td_mfn(&b->vcpus[0], va));
    td_assert_invariants();
}

/* Build the test image with boot modules (and maybe a ramdisk). */
static int build_with_modules(const struct boot_module *mods, unsigned int n, const void *ramdisk,
                              size_t ramdisk_len, struct domain **d, char *err, size_t errlen)
{
    size_t len;
    uint8_t *img = test_image_pv64(&len);
    struct domain_config cfg = {
        .name = "mods",
        .kernel = img,
        .kernel_len = len,
        .ramdisk = ramdisk,
        .ramdisk_len = ramdisk_len,
        .modules = mods,
        .nr_modules = n,
        .memory_kb = TD_MEMORY_KB,
        .vcpus = 1,
    };
    *d = NULL;
    int rc = domain_build(&cfg, d, err, errlen);
    free(img);
    return rc;
}

static void test_modules_multiboot_package(void **state)
{
    fake_machine_init(TD_FRAMES);
    static uint8_t big[5000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7 + 1);
    const struct boot_module mods[] = {
        {.data = "abc", .len = 3, .cmdline = "one.txt first arg"},
        {.data = big, .len = sizeof(big), .cmdline = NULL},
        {.data = NULL, .len = 0, .cmdline = "empty"},
    };
    struct domain *d;
    char err[256] = "";
    assert_int_equal(build_with_modules(mods, 3, NULL, 0, &d, err, sizeof(err)), 0);
    struct vcpu *v = &d->vcpus[0];
    struct start_info *si = start_info_of(d);
    assert_int_equal(si->flags, SIF_MULTIBOOT_MOD);
    assert_int_equal(si->mod_start & 0xfff, 0);
    assert_true(si->mod_start >= TI_LOAD_VA + TI_MEM_PAGES * 4096);
    assert_true(si->mfn_list >= si->mod_start + si->mod_len);

    /* Descriptors, then the terminator; every address is an offset in the package. */
    const struct xen_multiboot_mod_list *e = td_ptr(v, si->mod_start);
    const uint32_t cmd0 = 4 * sizeof(*e);
    assert_int_equal(e[0].cmdline, cmd0);
    assert_string_equal((char *)td_ptr(v, si->mod_start + e[0].cmdline), "one.txt first arg");
    assert_int_equal(e[1].cmdline, cmd0 + 18);
    assert_string_equal((char *)td_ptr(v, si->mod_start + e[1].cmdline), "");
    assert_int_equal(e[2].cmdline, cmd0 + 19);
    assert_string_equal((char *)td_ptr(v, si->mod_start + e[2].cmdline), "empty");
    assert_int_equal(e[0].mod_start, 4096); /* modules sit on page boundaries */
    assert_int_equal(e[0].mod_end, 4096 + 2);
    assert_memory_equal(td_ptr(v, si->mod_start + e[0].mod_start), "abc", 3);
    assert_int_equal(e[1].mod_start, 8192);
    assert_int_equal(e[1].mod_end, 8192 + sizeof(big) - 1);
    for (size_t i = 0; i < sizeof(big); i++)
        assert_int_equal(*(uint8_t *)td_ptr(v, si->mod_start + e[1].mod_start + i), big[i]);
    assert_int_equal(e[2].mod_start, 16384); /* empty: its last byte is before its first */
    assert_int_equal(e[2].mod_end, 16383);
    assert_int_equal(e[3].mod_start, 0);
    assert_int_equal(e[3].mod_end, 0);
    assert_int_equal(e[3].cmdline, 0);
    assert_int_equal(e[0].pad | e[1].pad | e[2].pad | e[3].pad, 0);
    assert_int_equal(si->mod_len, 16384);
    td_assert_invariants();
}

static void test_modules_refused(void **state)
{
    fake_machine_init(TD_FRAMES);
    uint64_t free0 = hv_mem.free_frames;
    const struct boot_module one = {.data = "x", .len = 1, .cmdline = "x"};
    struct boot_module many[HV_MAX_BOOT_MODULES + 1];
    for (unsigned int i = 0; i <= HV_MAX_BOOT_MODULES; i++)
        many[i] = one;
    struct domain *d;
    char err[256] = "";
    assert_int_equal(build_with_modules(&one, 1, "rd", 2, &d, err, sizeof(err)), -XEN_EINVAL);
    assert_string_equal(err,
                        "a ramdisk and modules together: a PV domain has one boot module slot");
    assert_int_equal(
        build_with_modules(many, HV_MAX_BOOT_MODULES + 1, NULL, 0, &d, err, sizeof(err)),
        -XEN_EINVAL);
    assert_string_equal(err, "17 modules: at most 16");
    const struct boot_module no_data = {.data = NULL, .len = 5};
    assert_int_equal(build_with_modules(&no_data, 1, NULL, 0, &d, err, sizeof(err)), -XEN_EINVAL);
    const struct boot_module huge = {.data = "x", .len = 0x100000000ull};
    assert_int_equal(build_with_modules(&huge, 1, NULL, 0, &d, err, sizeof(err)), -XEN_EINVAL);
    /* 16 modules of 4 GiB - 1 byte each add up to more than the 32-bit offsets can say. */
    struct boot_module big[2] = {{.data = "x", .len = 0xFFFFFFFFull},
                                 {.data = "x", .len = 0xFFFFFFFFull}};
    assert_int_equal(build_with_modules(big, 2, NULL, 0, &d, err, sizeof(err)), -XEN_E2BIG);
    assert_string_equal(err, "the modules add up to 4 GiB or more");
    /* A package larger than the domain is a plain out-of-memory, nothing is read past it. */
    static const char small[1];
    const struct boot_module toolarge = {.data = small, .len = 64ull << 20};
    assert_int_equal(build_with_modules(&toolarge, 1, NULL, 0, &d, err, sizeof(err)), -XEN_ENOMEM);
    assert_null(d);
    assert_int_equal(hv_mem.free_frames, free0);
    assert_int_equal(domains_in_use(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_info_fields),
        cmocka_unit_test(test_start_info_no_cmdline_is_empty),
        cmocka_unit_test(test_cmdline_longest_accepted_longer_refused),
        cmocka_unit_test(test_layout_order_and_alignment),
        cmocka_unit_test(test_mapped_region_is_4mib_multiple_with_slack),
        cmocka_unit_test(test_layout_holds_for_several_sizes),
        cmocka_unit_test(test_page_tables_read_only_rest_rw_user),
        cmocka_unit_test(test_p2m_and_m2p_agree),
        cmocka_unit_test(test_kernel_image_loaded),
        cmocka_unit_test(test_hypercall_page_stubs),
        cmocka_unit_test(test_shared_info_upcalls_masked),
        cmocka_unit_test(test_vcpu0_initial_registers),
        cmocka_unit_test(test_l4_pinned_type_counts),
        cmocka_unit_test(test_memory_too_small),
        cmocka_unit_test(test_machine_out_of_memory),
        cmocka_unit_test(test_vcpus_out_of_range),
        cmocka_unit_test(test_too_many_domains),
        cmocka_unit_test(test_bad_elf_message_passes_through),
        cmocka_unit_test(test_32bit_pae_image_unmodelled),
        cmocka_unit_test(test_32bit_non_pae_refused_by_compat_check),
        cmocka_unit_test(test_required_feature_not_offered),
        cmocka_unit_test(test_no_hypercall_page_note_leaves_page_alone),
        cmocka_unit_test(test_destroy_frees_all_frames),
        cmocka_unit_test(test_two_domains_have_disjoint_frames),
        cmocka_unit_test(test_modules_multiboot_package),
        cmocka_unit_test(test_modules_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
