/* libFuzzer target: the domain builder (ELF headers, Xen notes, loading, layout) on arbitrary
 * bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_arch.h"
#include "hv/builder.h"
#include "hv/elf.h"
#include "hv/mm.h"
#include "public/xen.h"

/*
 * Input (little endian; also in fuzz/README.md):
 *   [0]    memory: < 0xC0: 1024 + 16 * [0] KiB (1 to 4 MiB); else one of odd_kb[]
 *   [1]    vCPUs: [1] % 10 (0 and 9 are out of range)
 *   [2]    flags: bits 0-1 allocator state (0 all free, 1 exactly the domain's
 *          frames +[3]-1, 2 fragmented every [3] frames, 3 nothing free),
 *          bit 2 a command line follows, bit 3 small error buffer (16 bytes)
 *   [3]    parameter of the allocator state
 *   [4..5] ramdisk length (bytes taken from the input)
 *   then the command line (NUL-terminated, at most 1100 bytes) if flagged,
 *   the ramdisk, and the rest of the input is the kernel image.
 *
 * Oracles: no crash or sanitizer report; a failure returns a Xen errno with
 * a non-empty, terminated message and leaves the frame table and the domain
 * slots exactly as they were; a success gives a domain whose frames, page
 * tables and vCPU pass mm_check_invariants, and destroying it gives every
 * frame back.
 */

#define NR_FRAMES 1536ULL /* 6 MiB: enough for the largest size above, not for every odd one */

static struct page_info *ft_before;
static size_t ft_bytes;

static const uint64_t odd_kb[] = {
    0, 4, 1020, 1022, 1023, 1026, 5120, 6144, 1ULL << 20, 1ULL << 40, UINT64_MAX - 3, UINT64_MAX,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_machine_init(NR_FRAMES);
    ft_bytes = NR_FRAMES * sizeof(struct page_info);
    ft_before = malloc(ft_bytes);
    if (!ft_before)
        fz_die("out of memory");
    return 0;
}

/* Leave the allocator in the state the input asks for (failure injection). */
static void shape_allocator(unsigned mode, unsigned param, uint64_t nr_pages)
{
    switch (mode) {
    case 1: { /* one free run of nr_pages + param - 1 frames (the shared_info frame decides) */
        uint64_t want = nr_pages + (param % 4) - 1;
        if (want + 1 < NR_FRAMES)
            mm_reserve_range(1 + want, NR_FRAMES);
        break;
    }
    case 2: /* every k-th frame taken: no long runs */
        for (uint64_t m = 0; m < NR_FRAMES; m += 2 + param % 300)
            mm_reserve_range(m, 1);
        break;
    case 3:
        mm_reserve_range(0, NR_FRAMES);
        break;
    default:
        break;
    }
}

static void check_info(const struct elf_xen_info *info)
{
    if (info->virt_kstart >= info->virt_kend)
        fz_die("elf_xen_parse succeeded with an empty range 0x%llx-0x%llx",
               (unsigned long long)info->virt_kstart, (unsigned long long)info->virt_kend);
    if (info->entry < info->virt_kstart || info->entry >= info->virt_kend)
        fz_die("elf_xen_parse succeeded with entry 0x%llx outside the image",
               (unsigned long long)info->entry);
    if (!info->guest_type)
        fz_die("elf_xen_parse succeeded without a guest type");
    const char *strs[] = {info->xen_version, info->guest_os, info->guest_version, info->loader};
    for (size_t i = 0; i < 4; i++)
        if (strnlen(strs[i], ELF_XEN_STR) >= ELF_XEN_STR)
            fz_die("elf_xen_parse left note string %zu unterminated", i);
    if (strnlen(info->features, sizeof(info->features)) >= sizeof(info->features))
        fz_die("elf_xen_parse left FEATURES unterminated");
}

static unsigned domains_in_use(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < HV_MAX_DOMAINS; i++)
        n += hv.domains[i].in_use;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6)
        return 0;
    uint8_t mem = data[0], vcpus = data[1], flags = data[2], param = data[3];
    size_t rd_len = (size_t)data[4] | (size_t)data[5] << 8;
    const uint8_t *p = data + 6;
    size_t n = size - 6;

    char *cmdline = NULL;
    if (flags & 4) {
        size_t l = strnlen((const char *)p, n < 1100 ? n : 1100);
        cmdline = malloc(l + 1);
        memcpy(cmdline, p, l);
        cmdline[l] = 0;
        p += l < n ? l + 1 : l;
        n -= l < n ? l + 1 : l;
    }
    if (rd_len > n)
        rd_len = n;
    /* Exact heap copies, so ASan sees any read past the end of either. */
    uint8_t *ramdisk = rd_len ? malloc(rd_len) : NULL;
    if (rd_len)
        memcpy(ramdisk, p, rd_len);
    p += rd_len;
    n -= rd_len;
    uint8_t *kernel = malloc(n ? n : 1);
    memcpy(kernel, p, n);

    size_t errlen = (flags & 8) ? 16 : 256;
    char *err = malloc(errlen);
    memset(err, 'X', errlen);

    struct domain_config cfg = {
        .name = "fuzz",
        .kernel = kernel,
        .kernel_len = n,
        .ramdisk = ramdisk,
        .ramdisk_len = rd_len,
        .cmdline = cmdline,
        .memory_kb = mem < 0xC0 ? 1024 + 16ULL * mem : odd_kb[(mem - 0xC0) % 12],
        .vcpus = vcpus % 10,
    };

    /* The parser alone first: what it promises about a parsed image. */
    struct elf_xen_info info;
    if (elf_xen_parse(kernel, n, &info, err, errlen) == 0)
        check_info(&info);

    unsigned mode = flags & 3;
    shape_allocator(mode, param, cfg.memory_kb / 4);
    memcpy(ft_before, hv_mem.frame_table, ft_bytes);
    uint64_t free_before = hv_mem.free_frames;
    unsigned in_use = domains_in_use();

    struct domain *d = NULL;
    memset(err, 'X', errlen);
    int rc = domain_build(&cfg, &d, err, errlen);
    if (rc) {
        if (rc > 0 || !fz_result_valid(rc))
            fz_die("domain_build returned %d, not a Xen errno", rc);
        if (!memchr(err, 0, errlen))
            fz_die("domain_build failed (%d) with an unterminated error text", rc);
        if (!err[0])
            fz_die("domain_build failed (%d) with an empty error text", rc);
        if (hv_mem.free_frames != free_before)
            fz_die("domain_build failed (%d: %s) and leaked %lld frames", rc, err,
                   (long long)(free_before - hv_mem.free_frames));
        if (memcmp(ft_before, hv_mem.frame_table, ft_bytes))
            fz_die("domain_build failed (%d: %s) and changed the frame table", rc, err);
        if (domains_in_use() != in_use)
            fz_die("domain_build failed (%d: %s) and kept a domain slot", rc, err);
    } else {
        uint64_t pages = cfg.memory_kb / 4;
        char why[256] = "";
        if (!d || !d->in_use)
            fz_die("domain_build succeeded without a domain");
        if (mm_check_invariants(why, sizeof(why)))
            fz_die("domain_build succeeded but mm_check_invariants: %s", why);
        if (d->tot_pages != pages || free_before - hv_mem.free_frames != pages + 1)
            fz_die("domain_build: %llu pages asked, tot_pages %llu, %llu frames taken",
                   (unsigned long long)pages, (unsigned long long)d->tot_pages,
                   (unsigned long long)(free_before - hv_mem.free_frames));
        if (!mfn_x(d->vcpus[0].guest_table) || d->max_vcpus != cfg.vcpus)
            fz_die("domain_build: vCPU 0 without page tables or wrong vCPU count");
        domain_destroy(d);
        if (hv_mem.free_frames != free_before || memcmp(ft_before, hv_mem.frame_table, ft_bytes))
            fz_die("domain_destroy did not give every frame back");
        if (domains_in_use() != in_use)
            fz_die("domain_destroy kept the domain slot");
    }
    /* The injected allocator state is the only thing that needs undoing. */
    if (mode)
        fz_core_reset();

    free(err);
    free(kernel);
    free(ramdisk);
    free(cmdline);
    return 0;
}
