/* Guest test "modules": the boot modules a scenario's `modules = [...]` hands over. */

/*
 * What it checks: start_info says SIF_MULTIBOOT_MOD and mod_start/mod_len
 * hold a multiboot package (xen-abi.md 3): descriptors at its start ended by
 * one with mod_start == 0, every address an offset from the package's start,
 * mod_end inclusive. Each descriptor must point inside the package, its
 * command line must end inside it, and modules must not overlap the
 * descriptors or each other. Per module it prints the command line, the size
 * and an FNV-1a checksum of the bytes, which the scenario matches against the
 * files it named; then the number of modules.
 */
#include "xtf.h"

const char test_title[] = "Boot modules (multiboot package)";

static uint32_t fnv1a(const uint8_t *p, uint64_t n)
{
    uint32_t h = 2166136261u;
    for (uint64_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

void test_main(void)
{
    const struct start_info *si = start_info;
    if (!(si->flags & SIF_MULTIBOOT_MOD)) {
        xtf_failure("start_info flags 0x%x: no SIF_MULTIBOOT_MOD (mod_len %lu)", si->flags,
                    (unsigned long)si->mod_len);
        return;
    }
    const uint8_t *pkg = (const uint8_t *)si->mod_start;
    uint64_t len = si->mod_len;
    const struct xen_multiboot_mod_list *e = (const void *)pkg;
    uint64_t max = len / sizeof(*e), n = 0, prev_end = 0;
    while (n < max && e[n].mod_start)
        n++;
    if (n == max) {
        xtf_failure("no terminating descriptor in the %lu-byte package", (unsigned long)len);
        return;
    }
    prev_end = (n + 1) * sizeof(*e);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t start = e[i].mod_start, end = (uint64_t)e[i].mod_end + 1, cmd = e[i].cmdline;
        if (start < prev_end || end < start || end > len) {
            xtf_failure("module %lu: bytes 0x%lx..0x%lx outside the package or overlapping",
                        (unsigned long)i + 1, (unsigned long)start, (unsigned long)end);
            return;
        }
        prev_end = end;
        uint64_t c = cmd;
        while (c < len && pkg[c])
            c++;
        if (cmd < (n + 1) * sizeof(*e) || c >= len || e[i].pad) {
            xtf_failure("module %lu: command line at 0x%lx not inside the package (pad %u)",
                        (unsigned long)i + 1, (unsigned long)cmd, e[i].pad);
            return;
        }
        printk("module %lu: '%s' %lu bytes fnv1a 0x%08x\n", (unsigned long)i + 1,
               (const char *)pkg + cmd, (unsigned long)(end - start),
               fnv1a(pkg + start, end - start));
    }
    printk("%lu modules\n", (unsigned long)n);
    xtf_success(NULL);
}
