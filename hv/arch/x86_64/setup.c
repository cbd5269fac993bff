/* Start of day on bare metal: multiboot2 information, machine memory, the core, domains from
 * modules. */
#include "hv/builder.h"
#include "hv/lib.h"
#include "hv/mm.h"
#include "hv/time.h"
#include "x86.h"

#define MB2_BOOT_MAGIC 0x36d76289
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_MEM_AVAILABLE 1

/* Domain kernels and the boot modules and ramdisks attached to them. */
#define MAX_MODULES 64
#define MAX_REGIONS 64

struct mb2_tag {
    uint32_t type, size;
};
struct mb2_module {
    uint32_t type, size, mod_start, mod_end;
    char cmdline[];
};
struct mb2_mmap {
    uint32_t type, size, entry_size, entry_version;
};
struct mb2_mmap_entry {
    uint64_t base, len;
    uint32_t type, rsvd;
};

struct region {
    uint64_t start, end; /* machine addresses, [start, end) */
};
static struct region ram[MAX_REGIONS];
static unsigned int nr_ram;
static struct region modules[MAX_MODULES];
static const char *module_cmdline[MAX_MODULES];
static unsigned int nr_modules;
static const char *hv_cmdline = "";
static bool debug_fault; /* debug=fault: test the fault report with a real hypervisor #UD */

/* Module settings that could not become a domain: reported with the results. */
static char failed_names[MAX_MODULES][HV_NAME_LEN];
static unsigned int nr_failed;

extern const uint64_t boot_l3_maddr;
extern char _image_end[];

static void parse_mbi(uint64_t mbi_pa)
{
    const uint8_t *p = maddr_to_virt(mbi_pa);
    uint32_t total = *(const uint32_t *)p;
    const uint8_t *end = p + total;

    for (p += 8; p + sizeof(struct mb2_tag) <= end;) {
        const struct mb2_tag *t = (const void *)p;
        if (t->type == MB2_TAG_END || t->size < 8)
            break;
        if (t->type == MB2_TAG_CMDLINE) {
            hv_cmdline = (const char *)(p + 8);
        } else if (t->type == MB2_TAG_MODULE) {
            const struct mb2_module *m = (const void *)p;
            if (nr_modules == MAX_MODULES)
                hv_panic("more than %u modules", MAX_MODULES);
            modules[nr_modules] = (struct region){m->mod_start, m->mod_end};
            module_cmdline[nr_modules++] = m->cmdline;
        } else if (t->type == MB2_TAG_MMAP) {
            const struct mb2_mmap *mm = (const void *)p;
            for (const uint8_t *e = p + sizeof(*mm); e + mm->entry_size <= p + t->size;
                 e += mm->entry_size) {
                const struct mb2_mmap_entry *me = (const void *)e;
                if (me->type != MB2_MEM_AVAILABLE || nr_ram == MAX_REGIONS)
                    continue;
                uint64_t s = (me->base + PAGE_SIZE - 1) & PAGE_MASK;
                uint64_t en = MIN((me->base + me->len) & PAGE_MASK, (uint64_t)DIRECTMAP_BYTES);
                if (s < en)
                    ram[nr_ram++] = (struct region){s, en};
            }
        }
        p += (t->size + 7) & ~7u;
    }
    if (!nr_ram)
        hv_panic("the boot loader gave no memory map");
}

static bool in_ram(uint64_t frame)
{
    uint64_t a = frame << PAGE_SHIFT;
    for (unsigned int i = 0; i < nr_ram; i++)
        if (a >= ram[i].start && a < ram[i].end)
            return true;
    return false;
}

static void reserve_bytes(uint64_t start, uint64_t end)
{
    mm_reserve_range(start >> PAGE_SHIFT,
                     ((end + PAGE_SIZE - 1) >> PAGE_SHIFT) - (start >> PAGE_SHIFT));
}

/* Whether [s, e) overlaps anything the frame table must not cover yet. */
static bool busy(uint64_t s, uint64_t e, uint64_t mbi_pa)
{
    uint64_t img_end = virt_to_maddr(_image_end);
    if (s < img_end && e > KERNEL_PHYS)
        return true;
    if (s < mbi_pa + PAGE_SIZE * 16 && e > mbi_pa)
        return true;
    for (unsigned int i = 0; i < nr_modules; i++)
        if (s < modules[i].end && e > modules[i].start)
            return true;
    return s < 0x100000;
}

/* M2P tables for slot 256: read-only user mappings of hv_mem.m2p (4 GiB of RAM at most). */
static uint64_t m2p_l3[512] __attribute__((aligned(4096)));
static uint64_t m2p_l2[512] __attribute__((aligned(4096)));
static uint64_t m2p_l1[4][512] __attribute__((aligned(4096)));

static void map_m2p(uint64_t nr_frames)
{
    uint64_t pages = (nr_frames * 8 + PAGE_SIZE - 1) >> PAGE_SHIFT;
    uint64_t base = virt_to_maddr(hv_mem.m2p);
    const uint64_t ro_user = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;

    if (pages > 4 * 512)
        hv_panic("M2P of %llu pages does not fit its tables", (unsigned long long)pages);
    for (uint64_t i = 0; i < pages; i++)
        m2p_l1[i / 512][i % 512] = (base + (i << PAGE_SHIFT)) | ro_user;
    for (unsigned int i = 0; i < 4; i++)
        m2p_l2[i] = virt_to_maddr(m2p_l1[i]) | ro_user;
    m2p_l3[0] = virt_to_maddr(m2p_l2) | ro_user;
    hv_mem.xen_l4[0] = virt_to_maddr(m2p_l3) | ro_user;
    /* Accessed preset: the CPU would set it in every guest L4 and the copies would differ. */
    hv_mem.xen_l4[DIRECTMAP_SLOT - 256] = boot_l3_maddr | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED;
}

static void memory_init(uint64_t mbi_pa)
{
    uint64_t top = 0;
    for (unsigned int i = 0; i < nr_ram; i++)
        top = MAX(top, ram[i].end);
    uint64_t nr_frames = top >> PAGE_SHIFT;
    uint64_t meta_bytes = mm_meta_bytes(nr_frames), meta = 0;

    /* The frame table goes in the first free RAM that holds it. */
    for (unsigned int i = 0; i < nr_ram && !meta; i++)
        for (uint64_t s = ram[i].start; s + meta_bytes <= ram[i].end; s += 0x100000)
            if (!busy(s, s + meta_bytes, mbi_pa)) {
                meta = s;
                break;
            }
    if (!meta)
        hv_panic("no room for the frame table (%llu bytes)", (unsigned long long)meta_bytes);

    hv_init(nr_frames, maddr_to_virt(meta), NULL, 0);
    for (uint64_t f = 0; f < nr_frames;) {
        uint64_t g = f;
        while (g < nr_frames && !in_ram(g))
            g++;
        mm_reserve_range(f, g - f);
        while (g < nr_frames && in_ram(g))
            g++;
        f = g;
    }
    reserve_bytes(0, 0x100000);
    reserve_bytes(KERNEL_PHYS, virt_to_maddr(_image_end));
    reserve_bytes(mbi_pa, mbi_pa + *(const uint32_t *)maddr_to_virt(mbi_pa));
    reserve_bytes(meta, meta + meta_bytes);
    for (unsigned int i = 0; i < nr_modules; i++)
        reserve_bytes(modules[i].start, modules[i].end);
    map_m2p(nr_frames);
    hv_log("memory: %llu MiB below 4 GiB, %llu frames free", (unsigned long long)(top >> 20),
           (unsigned long long)hv_mem.free_frames);
}

/*
 * Command lines are "key=value" words. A value may be double-quoted (with
 * backslash escapes), and so may a whole word, since GRUB's own quoting
 * can turn `extra="a b"` into `"extra=a b"`. Words without '=' (a path
 * some loaders prepend) are skipped.
 */
struct kv {
    char key[16];
    char val[1024]; /* extra= may fill start_info's whole cmd_line */
};

static const char *next_kv(const char *s, struct kv *kv, bool *ok)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return NULL;
    char word[sizeof(kv->key) + sizeof(kv->val)];
    size_t n = 0;
    bool quoted = false;
    *ok = true;
    for (; *s && (quoted || (*s != ' ' && *s != '\t')); s++) {
        if (*s == '"') {
            quoted = !quoted;
            continue;
        }
        if (*s == '\\' && s[1])
            s++;
        if (n + 1 < sizeof(word))
            word[n++] = *s;
        else
            *ok = false;
    }
    word[n] = 0;
    const char *eq = hv_strstr(word, "=");
    if (!eq) {
        kv->key[0] = 0;
        return s;
    }
    size_t kl = (size_t)(eq - word);
    if (kl >= sizeof(kv->key))
        *ok = false;
    hv_strlcpy(kv->key, word, MIN(kl + 1, sizeof(kv->key)));
    hv_strlcpy(kv->val, eq + 1, sizeof(kv->val));
    return s;
}

static bool parse_u64(const char *s, uint64_t *out, uint64_t *unit_kb)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (~0ULL - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (unit_kb) {
        if (*s == 'G' || *s == 'g')
            *unit_kb = 1024 * 1024, s++;
        else if (*s == 'M' || *s == 'm')
            *unit_kb = 1024, s++;
        else if (*s == 'K' || *s == 'k')
            *unit_kb = 1, s++;
        else
            *unit_kb = 1024; /* xl: memory is in MiB */
    }
    *out = v;
    return *s == 0;
}

/* Decimal, or hexadecimal after 0x; the whole string; no overflow. */
static bool parse_num(const char *s, uint64_t *out)
{
    uint64_t v = 0, base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    for (; *s; s++) {
        uint64_t d;
        if (*s >= '0' && *s <= '9')
            d = (uint64_t)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (uint64_t)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (uint64_t)(*s - 'A' + 10);
        else
            return false;
        if (v > (~0ULL - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

/* The core's clock settings from the command line (time_configure before hv_init). */
static struct time_config time_cfg;

/* time_refresh=xen|periodic:<ms>|on-timer|frozen */
static bool parse_refresh(const char *s)
{
    uint64_t ms;
    if (!hv_strcmp(s, "xen"))
        time_cfg.refresh = TIME_REFRESH_XEN;
    else if (!hv_strcmp(s, "on-timer"))
        time_cfg.refresh = TIME_REFRESH_ON_TIMER;
    else if (!hv_strcmp(s, "frozen"))
        time_cfg.refresh = TIME_REFRESH_FROZEN;
    else if (!hv_strncmp(s, "periodic:", 9) && parse_num(s + 9, &ms) && ms && ms < (1ULL << 32)) {
        time_cfg.refresh = TIME_REFRESH_PERIODIC;
        time_cfg.refresh_period_ns = ms * 1000000ULL;
    } else
        return false;
    return true;
}

/* wallclock=<sec>[.<up to 9 digits of fraction>] */
static bool parse_wallclock(const char *s)
{
    char sec[24];
    const char *dot = hv_strstr(s, ".");
    size_t n = dot ? (size_t)(dot - s) : hv_strlen(s);
    uint64_t v, ns = 0;
    if (n >= sizeof(sec))
        return false;
    hv_strlcpy(sec, s, n + 1);
    if (!parse_num(sec, &v))
        return false;
    if (dot) {
        size_t digits = hv_strlen(dot + 1);
        if (!digits || digits > 9 || (dot[2] == 'x' || dot[2] == 'X') || !parse_num(dot + 1, &ns))
            return false;
        for (; digits < 9; digits++)
            ns *= 10;
    }
    time_cfg.wallclock_sec = v;
    time_cfg.wallclock_nsec = (uint32_t)ns;
    return true;
}

/* The clock options; false if kv is not one of them or its value is bad. */
static bool time_option(const struct kv *kv)
{
    uint64_t v;
    if (!hv_strcmp(kv->key, "tsc_khz")) {
        if (!parse_num(kv->val, &v) || v < 100000 || v > 10000000)
            return false; /* 100 MHz to 10 GHz */
        opt_tsc_khz = v;
        return true;
    }
    if (!hv_strcmp(kv->key, "tsc_start"))
        return parse_num(kv->val, &opt_tsc_start);
    if (!hv_strcmp(kv->key, "time_refresh"))
        return parse_refresh(kv->val);
    if (!hv_strcmp(kv->key, "wallclock"))
        return parse_wallclock(kv->val);
    if (!hv_strcmp(kv->key, "cycles_per_insn") && parse_num(kv->val, &v)) {
        hv_log("command line: cycles_per_insn is a simulator setting; the real CPU decides here");
        return true;
    }
    return false;
}

static void hv_options(void)
{
    struct kv kv;
    bool ok;
    for (const char *s = hv_cmdline; (s = next_kv(s, &kv, &ok));) {
        uint64_t v;
        if (!kv.key[0])
            continue;
        if (!hv_strcmp(kv.key, "console") && !hv_strcmp(kv.val, "com1"))
            continue;
        if (!hv_strcmp(kv.key, "exit") && !hv_strcmp(kv.val, "qemu"))
            exit_qemu = true;
        else if (!hv_strcmp(kv.key, "debug") && !hv_strcmp(kv.val, "fault"))
            debug_fault = true;
        else if (!hv_strcmp(kv.key, "trace") && !hv_strcmp(kv.val, "serial"))
            trace_serial = true;
        else if (!hv_strcmp(kv.key, "slice") && parse_u64(kv.val, &v, NULL) && v && v < 1000)
            slice_ms = (unsigned int)v;
        else if (time_option(&kv))
            continue;
        else
            hv_log("command line: '%s=%s' not understood (console=com1, exit=qemu, slice=MS, "
                   "trace=serial, debug=fault, tsc_khz=KHZ, tsc_start=N, "
                   "time_refresh=xen|periodic:MS|on-timer|frozen, wallclock=SEC[.FRAC])",
                   kv.key, kv.val);
    }
}

static void module_failed(unsigned int i, const char *name, const char *fmt, const char *what)
{
    hv_log("module %u (%s): %s%s", i + 1, name, fmt, what);
    if (nr_failed < MAX_MODULES)
        hv_strlcpy(failed_names[nr_failed++], name, HV_NAME_LEN);
}

/*
 * A module that belongs to a domain instead of being one: "bootmod=NAME [cmdline=TEXT]" (one of
 * its boot modules, in order), "ramdisk=NAME", or "disk=NAME vdev=VDEV [access=ro|rw]" (a disk
 * image: its vdev in cmdline). Returns the key ("bootmod", "ramdisk", "disk") or NULL.
 */
static const char *attachment(unsigned int i, char *owner, size_t ownerlen, char *cmdline,
                              size_t cmdlen, bool *read_only)
{
    struct kv kv;
    bool ok;
    const char *kind = NULL;
    cmdline[0] = 0;
    *read_only = false;
    for (const char *s = module_cmdline[i]; (s = next_kv(s, &kv, &ok));) {
        if (!hv_strcmp(kv.key, "bootmod") || !hv_strcmp(kv.key, "ramdisk") ||
            !hv_strcmp(kv.key, "disk")) {
            kind = !hv_strcmp(kv.key, "bootmod")   ? "bootmod"
                   : !hv_strcmp(kv.key, "ramdisk") ? "ramdisk"
                                                   : "disk";
            hv_strlcpy(owner, kv.val, ownerlen);
        } else if (!hv_strcmp(kv.key, "cmdline") || !hv_strcmp(kv.key, "vdev")) {
            hv_strlcpy(cmdline, kv.val, cmdlen);
        } else if (!hv_strcmp(kv.key, "access")) {
            *read_only = !hv_strcmp(kv.val, "ro");
        }
    }
    return kind;
}

/* Just the kind and owner of module i. */
static const char *attachment_kind(unsigned int i, char *owner, size_t ownerlen)
{
    char scratch[1024];
    bool ro;
    return attachment(i, owner, ownerlen, scratch, sizeof(scratch), &ro);
}

static bool claimed[MAX_MODULES];

/* The boot modules, ramdisk and disks GRUB loaded for domain `name`, into cfg. */
static bool attach(unsigned int i, const char *name, struct domain_config *cfg)
{
    static struct boot_module bm[MAX_MODULES];
    static char bm_cmd[MAX_MODULES][1024];
    static unsigned int used;
    static struct boot_disk disks[MAX_MODULES];
    static char vdevs[MAX_MODULES][32];
    static unsigned int nr_disks;
    unsigned int first = used, first_disk = nr_disks;
    for (unsigned int j = 0; j < nr_modules; j++) {
        char owner[HV_NAME_LEN];
        bool ro;
        const char *kind =
            attachment(j, owner, sizeof(owner), bm_cmd[used], sizeof(bm_cmd[0]), &ro);
        if (!kind || hv_strcmp(owner, name))
            continue;
        claimed[j] = true;
        void *data = maddr_to_virt(modules[j].start);
        size_t len = modules[j].end - modules[j].start;
        if (!hv_strcmp(kind, "disk")) {
            /* GRUB's copy of the image is the disk: the guest's writes stay in memory. */
            hv_strlcpy(vdevs[nr_disks], bm_cmd[used], sizeof(vdevs[0]));
            disks[nr_disks] = (struct boot_disk){
                .vdev = vdevs[nr_disks], .img = {.data = data, .size = len, .read_only = ro}};
            nr_disks++;
            continue;
        }
        if (!hv_strcmp(kind, "ramdisk")) {
            if (cfg->ramdisk) {
                module_failed(i, name, "more than one ramdisk", "");
                return false;
            }
            cfg->ramdisk = data;
            cfg->ramdisk_len = len;
            continue;
        }
        bm[used] = (struct boot_module){.data = data, .len = len, .cmdline = bm_cmd[used]};
        used++;
    }
    cfg->modules = &bm[first];
    cfg->nr_modules = used - first;
    cfg->disks = &disks[first_disk];
    cfg->nr_disks = nr_disks - first_disk;
    return true;
}

static void build_domain(unsigned int i)
{
    static char names[MAX_MODULES][HV_NAME_LEN];
    static char extras[MAX_MODULES][1024];
    char *name = names[i];
    struct domain_config cfg = {
        .name = name,
        .kernel = maddr_to_virt(modules[i].start),
        .kernel_len = modules[i].end - modules[i].start,
        .memory_kb = 16 * 1024,
        .vcpus = 1,
    };
    struct kv kv;
    bool ok;

    hv_snprintf(name, HV_NAME_LEN, "dom%u", i + 1);
    for (const char *s = module_cmdline[i]; (s = next_kv(s, &kv, &ok));) {
        uint64_t v, unit;
        if (!kv.key[0])
            continue;
        if (!ok) {
            module_failed(i, name, "setting too long: ", kv.key);
            return;
        }
        if (!hv_strcmp(kv.key, "name")) {
            if (!kv.val[0] || hv_strlen(kv.val) >= HV_NAME_LEN) {
                module_failed(i, name, "bad name: ", kv.val);
                return;
            }
            hv_strlcpy(name, kv.val, HV_NAME_LEN);
        } else if (!hv_strcmp(kv.key, "memory")) {
            if (!parse_u64(kv.val, &v, &unit) || !v || v > (1ULL << 32) / unit) {
                module_failed(i, name, "bad memory size: ", kv.val);
                return;
            }
            cfg.memory_kb = v * unit;
        } else if (!hv_strcmp(kv.key, "vcpus")) {
            if (!parse_u64(kv.val, &v, NULL) || !v || v > HV_MAX_VCPUS) {
                module_failed(i, name, "bad vcpus: ", kv.val);
                return;
            }
            cfg.vcpus = (unsigned int)v;
        } else if (!hv_strcmp(kv.key, "extra")) {
            hv_strlcpy(extras[i], kv.val, sizeof(extras[i]));
            cfg.cmdline = extras[i];
        } else {
            {
                module_failed(i, name, "unknown setting (name, memory, vcpus, extra): ", kv.key);
                return;
            }
        }
    }
    if (!attach(i, name, &cfg))
        return;
    char err[256];
    struct domain *d;
    if (domain_build(&cfg, &d, err, sizeof(err))) {
        module_failed(i, name, "", err);
        return;
    }
    hv_log("d%u %s: %llu KiB, %u vCPU(s), %u boot module(s)%s", d->domid, d->name,
           (unsigned long long)cfg.memory_kb, cfg.vcpus, cfg.nr_modules,
           cfg.ramdisk ? ", a ramdisk" : "");
    sched_add(d);
}

void x86_report_failed_builds(unsigned int *nr_domains)
{
    for (unsigned int i = 0; i < nr_failed; i++)
        x86_printf("hvsim: result %s ERROR none\n", failed_names[i]);
    *nr_domains += nr_failed;
}

void x86_start(uint32_t magic, uint64_t mbi_pa)
{
    serial_init();
    x86_printf("\nhv: hvsim bare-metal hypervisor\n");
    if (magic != MB2_BOOT_MAGIC)
        hv_panic("not started by a multiboot2 loader (magic 0x%x)", magic);
    parse_mbi(mbi_pa);
    hv_options();
    hv_log("command line: %s", hv_cmdline);
    pic_disable();
    cpu_init();
    time_calibrate();
    hv_log("TSC %llu kHz, guests see %llu kHz from %llu", (unsigned long long)x86_tsc_khz(),
           (unsigned long long)x86_virtual_tsc_khz(), (unsigned long long)opt_tsc_start);
    time_configure(&time_cfg);
    memory_init(mbi_pa);
    for (unsigned int i = 0; i < nr_modules; i++) {
        char owner[HV_NAME_LEN];
        if (!attachment_kind(i, owner, sizeof(owner)))
            build_domain(i);
    }
    /* A boot module, ramdisk or disk for a domain that does not exist is an error, never ignored.
     */
    for (unsigned int i = 0; i < nr_modules; i++) {
        char owner[HV_NAME_LEN];
        const char *kind = attachment_kind(i, owner, sizeof(owner));
        if (kind && !claimed[i])
            module_failed(i, owner, kind, "= names no domain that was built");
    }
    if (debug_fault) {
        hv_log("debug=fault: executing ud2 in the hypervisor");
        __asm__ volatile("ud2");
    }
    timer_start(1000);
    sched_start();
}
