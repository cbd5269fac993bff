/* Builds test domains on the fake machine and reads/writes their memory for the tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "test_domain.h"
#include "hv/hypercall.h"

struct domain *td_build(uint64_t memory_kb, const char *cmdline, unsigned int vcpus)
{
    size_t len;
    uint8_t *img = test_image_pv64(&len);
    struct domain_config cfg = {
        .name = "unit",
        .kernel = img,
        .kernel_len = len,
        .cmdline = cmdline,
        .memory_kb = memory_kb,
        .vcpus = vcpus,
    };
    struct domain *d = NULL;
    char err[256] = "";
    int rc = domain_build(&cfg, &d, err, sizeof(err));
    free(img);
    if (rc)
        fail_msg("domain_build failed: %d (%s)", rc, err);
    assert_non_null(d);
    return d;
}

struct domain *td_setup(void)
{
    fake_machine_init(TD_FRAMES);
    return td_build(TD_MEMORY_KB, NULL, 1);
}

uint64_t *td_l1e(struct vcpu *v, uint64_t va)
{
    uint64_t mfn = mfn_x(v->guest_table);
    for (int level = 4; level > 1; level--) {
        uint64_t *t = (uint64_t *)(fake.ram + mfn * 4096);
        uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];
        if (!(e & _PAGE_PRESENT))
            return NULL;
        mfn = (e & PTE_ADDR_MASK) >> 12;
        if (mfn >= fake.nr_frames)
            return NULL;
    }
    return (uint64_t *)(fake.ram + mfn * 4096) + ((va >> 12) & 511);
}

uint64_t td_mfn(struct vcpu *v, uint64_t va)
{
    uint64_t *l1e = td_l1e(v, va);
    if (!l1e || !(*l1e & _PAGE_PRESENT))
        fail_msg("guest va 0x%llx is not mapped", (unsigned long long)va);
    return (*l1e & PTE_ADDR_MASK) >> 12;
}

void *td_ptr(struct vcpu *v, uint64_t va)
{
    return fake.ram + td_mfn(v, va) * 4096 + (va & 4095);
}

void td_put(struct vcpu *v, uint64_t va, const void *src, size_t n)
{
    if (copy_to_guest(v, va, src, n))
        fail_msg("copy_to_guest(0x%llx, %zu) refused", (unsigned long long)va, n);
}

void td_get(struct vcpu *v, void *dst, uint64_t va, size_t n)
{
    if (copy_from_guest(v, dst, va, n))
        fail_msg("copy_from_guest(0x%llx, %zu) refused", (unsigned long long)va, n);
}

long td_hc(struct vcpu *v, unsigned long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
           uint64_t a4)
{
    const uint64_t a[5] = {a0, a1, a2, a3, a4};
    return hypercall_dispatch(v, nr, a);
}

void td_assert_invariants(void)
{
    char why[256] = "";
    if (mm_check_invariants(why, sizeof(why)))
        fail_msg("mm_check_invariants: %s", why);
}

uint64_t td_alloc_frame(struct domain *d)
{
    mfn_t m;
    assert_int_equal(mm_alloc_frame(d->domid, &m), 0);
    return mfn_x(m);
}
