/* The domain builder: turns a PV kernel image into a ready-to-run domain. */
#ifndef HV_BUILDER_H
#define HV_BUILDER_H

#include "hv/blkback.h"
#include "hv/sched.h"

/* One boot module: its bytes and its command line (NULL for none). */
struct boot_module {
    const void *data;
    size_t len;
    const char *cmdline;
};

#define HV_MAX_BOOT_MODULES 16

/* A disk the toolstack attaches after the build (blkback_add_disk). */
struct boot_disk {
    const char *vdev; /* "xvda", ... */
    struct blk_image img;
};

struct domain_config {
    const char *name;
    const void *kernel;
    size_t kernel_len;
    const void *ramdisk; /* optional */
    size_t ramdisk_len;
    /* Or several modules, handed over as one multiboot package (SIF_MULTIBOOT_MOD). */
    const struct boot_module *modules;
    unsigned int nr_modules;
    const char *cmdline; /* `extra`; may be NULL */
    uint64_t memory_kb;
    unsigned int vcpus;
    const struct boot_disk *disks;
    unsigned int nr_disks;
};

/* Build a domain. 0 and *out, or a negative Xen error with err set. */
int domain_build(const struct domain_config *cfg, struct domain **out, char *err, size_t errlen);
/* Release every frame and port of a shut-down domain. */
void domain_destroy(struct domain *d);

/* Initialise the core over nr_frames frames of machine memory. */
void hv_init(uint64_t nr_frames, void *meta, const uint64_t *reserved, size_t nr_reserved);

#endif
