/* ELF loading with the Xen ELF notes and libelf's checks. */
#ifndef HV_ELF_H
#define HV_ELF_H

#include "hv/types.h"

enum elf_pae_mode { PAE_NO = 0, PAE_YES, PAE_EXTCR3, PAE_BIMODAL };

#define ELF_XEN_STR 64

struct elf_xen_info {
    uint16_t machine; /* EM_X86_64 (62) or EM_386 (3) */
    bool is_64;       /* ELFCLASS64 */
    bool has_notes;   /* at least one "Xen" note was found */
    uint64_t e_entry;
    uint64_t entry;          /* XEN_ELFNOTE_ENTRY, else e_entry */
    uint64_t virt_base;      /* XEN_ELFNOTE_VIRT_BASE, else 0 */
    uint64_t paddr_offset;   /* XEN_ELFNOTE_PADDR_OFFSET, else 0 */
    uint64_t hypercall_page; /* virtual address; 0 if absent */
    bool has_hypercall_page;
    uint64_t virt_kstart, virt_kend; /* virtual range of the PT_LOAD segments */
    char xen_version[ELF_XEN_STR];
    char guest_os[ELF_XEN_STR];
    char guest_version[ELF_XEN_STR];
    char loader[ELF_XEN_STR];
    char features[256];
    uint32_t feat_supported, feat_required; /* FEATURES as XENFEAT_* bits; '!' = required */
    enum elf_pae_mode pae;
    const char *guest_type; /* "xen-3.0-x86_64", "xen-3.0-x86_32p" or "xen-3.0-x86_32" */
};

/*
 * Parse and check an image. Returns 0, or -XEN_EINVAL with a one-line
 * reason in err (libelf's words where libelf has them: "Not a Xen-ELF
 * image", ...). Never reads outside [img, img+len).
 */
int elf_xen_parse(const void *img, size_t len, struct elf_xen_info *info, char *err, size_t errlen);

/*
 * Copy every PT_LOAD segment to its virtual address (p_paddr - paddr_offset
 * + virt_base) through `put`, which copies n bytes from src (or zeroes them
 * when src is NULL) at guest virtual address va and returns 0 or a negative
 * error. Only call after a successful elf_xen_parse of the same image.
 */
typedef int (*elf_put_fn)(void *ctx, uint64_t va, const void *src, size_t n);
int elf_xen_load(const void *img, size_t len, const struct elf_xen_info *info, elf_put_fn put,
                 void *ctx, char *err, size_t errlen);

/* The capability check of the toolstack (xc_dom_compat_check). */
#define HV_CAPABILITIES "xen-3.0-x86_64 xen-3.0-x86_32p"
int elf_xen_compat_check(const struct elf_xen_info *info, char *err, size_t errlen);

#endif
