/* The domain builder: ELF image -> memory, start-of-day layout, page tables, start_info. */
#include "hv/builder.h"
#include "hv/arch.h"
#include "hv/elf.h"
#include "hv/evtchn.h"
#include "hv/grant.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/xenstore.h"
#include "hv/time.h"

/* Bootstrap PTE flags: 64-bit PV kernels run in ring 3, so everything is USER. */
#define L1_PROT (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_USER)
#define LN_PROT (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_USER)
#define MIB4 (4ULL << 20)

/* Features a kernel may require that this hypervisor offers. */
#define HV_FEATURES_OFFERED (1u << XENFEAT_mmu_pt_update_preserve_ad)

struct build_ctx {
    struct domain *d;
    uint64_t nr_pages;
    uint64_t base_mfn; /* the domain's frames are one run: mfn = base_mfn + pfn */
};

static void *pfn_ptr(struct build_ctx *b, uint64_t pfn)
{
    return arch_mfn_to_virt(_mfn(b->base_mfn + pfn));
}

static uint64_t va_to_pfn(struct build_ctx *b, uint64_t va)
{
    return (va - b->d->virt_base) >> 12;
}

/* elf_put_fn: copy (or zero) bytes at a guest virtual address of the new domain. */
static int put_va(void *ctx, uint64_t va, const void *src, size_t n)
{
    struct build_ctx *b = ctx;
    const uint8_t *s = src;
    while (n) {
        if (va < b->d->virt_base || va_to_pfn(b, va) >= b->nr_pages)
            return -XEN_ENOMEM;
        size_t off = va & (PAGE_SIZE - 1), chunk = MIN(n, PAGE_SIZE - off);
        uint8_t *dst = (uint8_t *)pfn_ptr(b, va_to_pfn(b, va)) + off;
        if (s) {
            hv_memcpy(dst, s, chunk);
            s += chunk;
        } else {
            hv_memset(dst, 0, chunk);
        }
        va += chunk;
        n -= chunk;
    }
    return 0;
}

/* One run of nr consecutive free frames for the domain (deterministic first fit). */
static int alloc_domain_frames(struct domain *d, uint64_t nr, uint64_t *base)
{
    uint64_t run = 0;
    for (uint64_t i = 0; i < hv_mem.nr_frames; i++) {
        run = hv_mem.frame_table[i].owner == DOMID_FREE ? run + 1 : 0;
        if (run < nr)
            continue;
        *base = i + 1 - nr;
        for (uint64_t k = 0; k < nr; k++) {
            mfn_t m;
            hv_mem.next_free_hint = *base + k;
            if (mm_alloc_frame(d->domid, &m) || mfn_x(m) != *base + k)
                hv_panic("builder: frame run at %llx not free", (unsigned long long)*base);
            hv_mem.m2p[mfn_x(m)] = k;
        }
        return 0;
    }
    return -XEN_ENOMEM;
}

/* Page-table frames needed to map [vstart, vend) with 4 KiB pages. */
static uint64_t pt_frames_for(uint64_t vstart, uint64_t vend)
{
    uint64_t n = 1; /* L4 */
    for (unsigned int shift = 39; shift >= 21; shift -= 9)
        n += ((vend - 1) >> shift) - (vstart >> shift) + 1;
    return n;
}

struct layout {
    uint64_t payload_len; /* what mod_start holds: the ramdisk or the module package */
    uint64_t v_ramdisk, v_p2m, v_start_info, v_store, v_console, v_pt, v_stack, v_end;
    uint64_t nr_pt;
};

static int plan_layout(struct build_ctx *b, const struct elf_xen_info *info, size_t ramdisk_len,
                       struct layout *l, char *err, size_t errlen)
{
    uint64_t v = (info->virt_kend + PAGE_SIZE - 1) & PAGE_MASK;
    l->payload_len = ramdisk_len;
    l->v_ramdisk = v;
    v += (ramdisk_len + PAGE_SIZE - 1) & PAGE_MASK;
    l->v_p2m = v;
    v += (b->nr_pages * 8 + PAGE_SIZE - 1) & PAGE_MASK;
    l->v_start_info = v;
    l->v_store = v + PAGE_SIZE;
    l->v_console = v + 2 * PAGE_SIZE;
    l->v_pt = v + 3 * PAGE_SIZE;
    /* The tables map up to v_end, which depends on how many tables there are. */
    l->nr_pt = 1;
    for (;;) {
        uint64_t end = l->v_pt + (l->nr_pt + 1) * PAGE_SIZE + (512 << 10);
        end = (end + MIB4 - 1) & ~(MIB4 - 1);
        uint64_t need = pt_frames_for(b->d->virt_base, end);
        if (need <= l->nr_pt) {
            l->v_end = end;
            break;
        }
        l->nr_pt = need;
    }
    l->v_stack = l->v_pt + l->nr_pt * PAGE_SIZE;
    uint64_t need_pages = va_to_pfn(b, l->v_stack) + 1;
    if (need_pages > b->nr_pages) {
        hv_snprintf(err, errlen,
                    "domain memory too small: kernel and start-of-day data need %llu pages, "
                    "domain has %llu",
                    (unsigned long long)need_pages, (unsigned long long)b->nr_pages);
        return -XEN_ENOMEM;
    }
    return 0;
}

/* Build 4-level tables mapping [virt_base, v_end) onto the domain's frames. */
static void build_page_tables(struct build_ctx *b, const struct layout *l, uint64_t *l4_pfn)
{
    uint64_t next_pt = va_to_pfn(b, l->v_pt);
    uint64_t pt_first = next_pt, pt_end = next_pt + l->nr_pt;
    *l4_pfn = next_pt++;
    uint64_t *l4 = pfn_ptr(b, *l4_pfn);
    uint64_t map_pages = MIN(va_to_pfn(b, l->v_end), b->nr_pages);
    for (uint64_t pfn = 0; pfn < map_pages; pfn++) {
        uint64_t va = b->d->virt_base + (pfn << 12);
        uint64_t *t = l4;
        for (unsigned int shift = 39; shift > 12; shift -= 9) {
            uint64_t *e = &t[(va >> shift) & 511];
            if (!(*e & _PAGE_PRESENT))
                *e = ((b->base_mfn + next_pt++) << 12) | LN_PROT;
            t = arch_mfn_to_virt(_mfn((*e & PTE_ADDR_MASK) >> 12));
        }
        uint64_t prot = L1_PROT;
        if (pfn >= pt_first && pfn < pt_end)
            prot &= ~_PAGE_RW; /* page tables stay read-only to the guest */
        t[(va >> 12) & 511] = ((b->base_mfn + pfn) << 12) | prot;
    }
    HV_ASSERT(next_pt <= pt_end);
}

/* 64-bit hypercall page: 32-byte stubs "push rcx; push r11; mov $i,%eax; syscall; pop r11;
 * pop rcx; ret", and the iret stub "push rcx; push r11; push rax; mov $23,%eax; syscall". */
static void write_hypercall_page(uint8_t *p)
{
    hv_memset(p, 0xCC, PAGE_SIZE);
    for (unsigned int i = 0; i < PAGE_SIZE / 32; i++) {
        uint8_t *s = p + i * 32;
        unsigned int k = 0;
        s[k++] = 0x51;
        s[k++] = 0x41;
        s[k++] = 0x53;
        if (i == __HYPERVISOR_iret)
            s[k++] = 0x50;
        s[k++] = 0xb8;
        s[k++] = (uint8_t)i;
        s[k++] = 0;
        s[k++] = 0;
        s[k++] = 0;
        s[k++] = 0x0f;
        s[k++] = 0x05;
        if (i == __HYPERVISOR_iret)
            continue;
        s[k++] = 0x41;
        s[k++] = 0x5b;
        s[k++] = 0x59;
        s[k++] = 0xc3;
    }
}

static struct domain *alloc_domain_slot(void)
{
    for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *d = &hv.domains[i];
        if (!d->in_use) {
            hv_memset(d, 0, sizeof(*d));
            d->in_use = true;
            d->domid = (domid_t)(i + 1); /* 0 is the (absent) control domain */
            return d;
        }
    }
    return NULL;
}

/*
 * The multiboot package of cfg's modules (SIF_MULTIBOOT_MOD): the descriptors and their
 * terminator, the command lines, then each module on a page boundary of the package.  Written
 * at va when b is set; returns the package's size either way.  An empty module has
 * mod_end = mod_start - 1 (the last byte is inclusive).
 */
static uint64_t module_package(struct build_ctx *b, const struct domain_config *cfg, uint64_t va)
{
    unsigned int n = cfg->nr_modules;
    uint64_t cmd = (uint64_t)(n + 1) * sizeof(struct xen_multiboot_mod_list), data = cmd;
    for (unsigned int i = 0; i < n; i++)
        data += (cfg->modules[i].cmdline ? hv_strlen(cfg->modules[i].cmdline) : 0) + 1;
    for (unsigned int i = 0; i < n; i++) {
        const struct boot_module *m = &cfg->modules[i];
        const char *line = m->cmdline ? m->cmdline : "";
        size_t len = hv_strlen(line);
        data = (data + PAGE_SIZE - 1) & PAGE_MASK;
        if (b) {
            struct xen_multiboot_mod_list e = {
                .mod_start = (uint32_t)data,
                .mod_end = (uint32_t)(data + m->len - 1),
                .cmdline = (uint32_t)cmd,
            };
            put_va(b, va + i * sizeof(e), &e, sizeof(e));
            put_va(b, va + cmd, line, len + 1);
            put_va(b, va + data, m->data, m->len);
        }
        cmd += len + 1;
        data += m->len;
    }
    if (b) {
        static const struct xen_multiboot_mod_list end;
        put_va(b, va + n * sizeof(end), &end, sizeof(end));
    }
    return data;
}

/* What the guest finds at mod_start: the ramdisk, the module package, or nothing. */
static uint64_t boot_payload_len(const struct domain_config *cfg)
{
    return cfg->nr_modules ? module_package(NULL, cfg, 0) : cfg->ramdisk_len;
}

static int check_modules(const struct domain_config *cfg, char *err, size_t errlen)
{
    if (!cfg->nr_modules)
        return 0;
    if (cfg->ramdisk_len) {
        hv_snprintf(err, errlen,
                    "a ramdisk and modules together: a PV domain has one boot module slot");
        return -XEN_EINVAL;
    }
    if (cfg->nr_modules > HV_MAX_BOOT_MODULES || !cfg->modules) {
        hv_snprintf(err, errlen, "%u modules: at most %d", cfg->nr_modules, HV_MAX_BOOT_MODULES);
        return -XEN_EINVAL;
    }
    for (unsigned int i = 0; i < cfg->nr_modules; i++) {
        const struct boot_module *m = &cfg->modules[i];
        if ((m->len && !m->data) || m->len > 0xFFFFFFFFu ||
            (m->cmdline && hv_strlen(m->cmdline) >= MAX_GUEST_CMDLINE)) {
            hv_snprintf(err, errlen, "module %u: bad size or a command line of %d bytes or more",
                        i + 1, MAX_GUEST_CMDLINE);
            return -XEN_EINVAL;
        }
    }
    /* Offsets in the descriptors are 32-bit. */
    if (module_package(NULL, cfg, 0) > 0xFFFFFFFFu) {
        hv_snprintf(err, errlen, "the modules add up to 4 GiB or more");
        return -XEN_E2BIG;
    }
    return 0;
}

static int check_config(const struct domain_config *cfg, const struct elf_xen_info *info, char *err,
                        size_t errlen)
{
    if (!info->is_64) {
        hv_snprintf(err, errlen,
                    "unmodelled: %s guests are accepted by the capability check but the 32-bit "
                    "compat layer is not runnable yet",
                    info->guest_type);
        return -XEN_EOPNOTSUPP;
    }
    uint32_t missing = info->feat_required & ~HV_FEATURES_OFFERED;
    if (missing) {
        hv_snprintf(err, errlen,
                    "kernel requires Xen features this hypervisor does not offer "
                    "(bitmap 0x%x)",
                    missing);
        return -XEN_EINVAL;
    }
    if (!info->has_hypercall_page) {
        /* Allowed (GRUB issues syscall itself), but worth knowing in the log. */
        hv_log("%s: kernel has no HYPERCALL_PAGE note", cfg->name);
    }
    if (cfg->vcpus < 1 || cfg->vcpus > HV_MAX_VCPUS) {
        hv_snprintf(err, errlen, "vcpus = %u out of range 1..%u", cfg->vcpus, HV_MAX_VCPUS);
        return -XEN_EINVAL;
    }
    if (cfg->memory_kb < 1024 || cfg->memory_kb % 4) {
        hv_snprintf(err, errlen, "memory = %llu KiB: need at least 1 MiB in whole pages",
                    (unsigned long long)cfg->memory_kb);
        return -XEN_EINVAL;
    }
    if (cfg->cmdline && hv_strlen(cfg->cmdline) >= MAX_GUEST_CMDLINE) {
        hv_snprintf(err, errlen, "command line longer than %d bytes", MAX_GUEST_CMDLINE - 1);
        return -XEN_EINVAL;
    }
    return check_modules(cfg, err, errlen);
}

static void fill_start_info(struct build_ctx *b, const struct elf_xen_info *info,
                            const struct domain_config *cfg, const struct layout *l,
                            uint64_t l4_pfn)
{
    struct domain *d = b->d;
    struct start_info *si = pfn_ptr(b, va_to_pfn(b, l->v_start_info));
    hv_strlcpy(si->magic, info->guest_type, sizeof(si->magic));
    si->nr_pages = b->nr_pages;
    si->shared_info = mfn_x(d->shared_info_mfn) << 12;
    si->flags = cfg->nr_modules ? SIF_MULTIBOOT_MOD : 0;
    si->store_mfn = mfn_x(d->store_mfn);
    si->store_evtchn = d->store_port;
    si->console.domU.mfn = mfn_x(d->console_mfn);
    si->console.domU.evtchn = d->console_port;
    si->pt_base = d->virt_base + (l4_pfn << 12);
    si->nr_pt_frames = l->nr_pt;
    si->mfn_list = l->v_p2m;
    si->mod_start = l->payload_len ? l->v_ramdisk : 0;
    si->mod_len = l->payload_len;
    if (cfg->cmdline)
        hv_strlcpy((char *)si->cmd_line, cfg->cmdline, MAX_GUEST_CMDLINE);
    uint64_t *p2m = pfn_ptr(b, va_to_pfn(b, l->v_p2m));
    for (uint64_t pfn = 0; pfn < b->nr_pages; pfn++) /* spans pages: frames are consecutive */
        p2m[pfn] = b->base_mfn + pfn;
}

static int setup_shared_info(struct domain *d)
{
    int rc = mm_alloc_frame(d->domid, &d->shared_info_mfn);
    if (rc)
        return rc;
    mfn_to_page(d->shared_info_mfn)->flags |= PGF_xen_heap;
    d->shared_info = arch_mfn_to_virt(d->shared_info_mfn);
    /* As the toolstack does: all zero, every vCPU's upcalls masked. */
    for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        d->shared_info->vcpu_info[i].evtchn_upcall_mask = 1;
    d->shared_info->arch.max_pfn = d->tot_pages;
    return 0;
}

static void setup_vcpus(struct domain *d, const struct domain_config *cfg,
                        const struct elf_xen_info *info, const struct layout *l, uint64_t l4_mfn)
{
    d->max_vcpus = cfg->vcpus;
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = &d->vcpus[i];
        v->domain = d;
        v->vcpu_id = i;
        v->kernel_mode = true;
        v->state = i == 0 ? VCPU_RUNNABLE : VCPU_DOWN;
        v->online = i == 0;
        vcpu_timers_init(v);
        time_update_vcpu_info(v); /* "at boot": the only refresh under the frozen policy */
    }
    time_update_wallclock(d);
    struct vcpu *v = &d->vcpus[0];
    v->regs.rip = info->entry;
    v->regs.rsp = l->v_stack + PAGE_SIZE;
    v->regs.rsi = l->v_start_info;
    v->regs.rflags = X86_EFLAGS_IF | 2;
    v->regs.cs = FLAT_KERNEL_CS64;
    v->regs.ss = FLAT_KERNEL_SS64;
    /* The baseptr holds its own type reference, like MMUEXT_NEW_BASEPTR. */
    HV_ASSERT(mm_get_page_type(d, _mfn(l4_mfn), PGT_l4) == 0);
    v->guest_table = _mfn(l4_mfn);
}

static int load_and_map(struct build_ctx *b, const struct domain_config *cfg,
                        const struct elf_xen_info *info, char *err, size_t errlen)
{
    struct domain *d = b->d;
    struct layout l;
    int rc = plan_layout(b, info, boot_payload_len(cfg), &l, err, errlen);
    if (rc)
        return rc;
    rc = elf_xen_load(cfg->kernel, cfg->kernel_len, info, put_va, b, err, errlen);
    if (rc)
        return rc;
    if (cfg->nr_modules)
        module_package(b, cfg, l.v_ramdisk);
    else if (cfg->ramdisk_len)
        put_va(b, l.v_ramdisk, cfg->ramdisk, cfg->ramdisk_len);
    if (info->has_hypercall_page)
        write_hypercall_page(pfn_ptr(b, va_to_pfn(b, info->hypercall_page & PAGE_MASK)));
    uint64_t l4_pfn;
    build_page_tables(b, &l, &l4_pfn);
    d->console_mfn = _mfn(b->base_mfn + va_to_pfn(b, l.v_console));
    d->store_mfn = _mfn(b->base_mfn + va_to_pfn(b, l.v_store));
    d->start_info_va = l.v_start_info;
    fill_start_info(b, info, cfg, &l, l4_pfn);

    /* Pin the top-level table: validation checks every entry we just wrote. */
    mfn_t l4 = _mfn(b->base_mfn + l4_pfn);
    rc = mm_get_page_type(d, l4, PGT_l4);
    if (rc) {
        hv_snprintf(err, errlen, "builder: bootstrap page tables failed validation (%d)", rc);
        return rc;
    }
    mfn_to_page(l4)->flags |= PGF_pinned;
    setup_vcpus(d, cfg, info, &l, mfn_x(l4));
    return 0;
}

int domain_build(const struct domain_config *cfg, struct domain **out, char *err, size_t errlen)
{
    struct elf_xen_info info;
    int rc = elf_xen_parse(cfg->kernel, cfg->kernel_len, &info, err, errlen);
    if (rc)
        return rc;
    rc = elf_xen_compat_check(&info, err, errlen);
    if (rc)
        return rc;
    rc = check_config(cfg, &info, err, errlen);
    if (rc)
        return rc;
    struct domain *d = alloc_domain_slot();
    if (!d) {
        hv_snprintf(err, errlen, "too many domains (at most %d)", HV_MAX_DOMAINS);
        return -XEN_ENOSPC;
    }
    hv_strlcpy(d->name, cfg->name ? cfg->name : "domain", sizeof(d->name));
    d->shutdown_code = -1;
    d->virt_base = info.virt_base;
    struct build_ctx b = {.d = d, .nr_pages = cfg->memory_kb / 4};
    d->tot_pages = d->max_pages = b.nr_pages;
    if (info.virt_kstart < info.virt_base || va_to_pfn(&b, info.virt_kend - 1) >= b.nr_pages) {
        hv_snprintf(err, errlen, "kernel image (0x%llx-0x%llx) does not fit in %llu KiB",
                    (unsigned long long)info.virt_kstart, (unsigned long long)info.virt_kend,
                    (unsigned long long)cfg->memory_kb);
        d->in_use = false;
        return -XEN_ENOMEM;
    }
    rc = alloc_domain_frames(d, b.nr_pages, &b.base_mfn);
    if (!rc)
        rc = setup_shared_info(d);
    if (rc) {
        hv_snprintf(err, errlen, "out of machine memory for %llu KiB domain",
                    (unsigned long long)cfg->memory_kb);
        domain_destroy(d);
        return rc;
    }
    evtchn_init_domain(d);
    gnttab_domain_init(d);
    rc = load_and_map(&b, cfg, &info, err, errlen);
    if (!rc && (rc = xs_domain_introduce(d)) != 0)
        hv_snprintf(err, errlen, "xenstore: cannot introduce the domain (%d)", rc);
    for (unsigned int i = 0; !rc && i < cfg->nr_disks; i++) {
        long dev = blkback_add_disk(d, cfg->disks[i].vdev, &cfg->disks[i].img);
        if (dev < 0) {
            rc = (int)dev;
            hv_snprintf(err, errlen, "disk %u (%s): %s", i + 1, cfg->disks[i].vdev,
                        dev == -XEN_EEXIST   ? "vdev used twice"
                        : dev == -XEN_EINVAL ? "bad vdev name or an image under 512 bytes"
                                             : "no room for another block device");
        }
    }
    if (rc) {
        domain_destroy(d);
        return rc;
    }
    hv_log("d%u (%s): %s, entry 0x%llx, %llu pages at mfn 0x%llx", d->domid, d->name,
           info.guest_type, (unsigned long long)info.entry, (unsigned long long)b.nr_pages,
           (unsigned long long)b.base_mfn);
    *out = d;
    return 0;
}
