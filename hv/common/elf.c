/* Xen PV kernel images: ELF headers, Xen notes, libelf's checks and segment loading. */
#include "hv/elf.h"
#include "hv/lib.h"
#include "public/xen.h"

#define EI_NIDENT 16
#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_NOTE 4
#define SHT_NOTE 7
#define NOTE_HDR 12 /* namesz, descsz, type */

/*
 * Where the fields we use sit in each ELF class. Decoding through offsets
 * (rather than casting the image to structs) keeps every read byte-wise,
 * so an unaligned or short image can never cause an unaligned access.
 */
struct elf_layout {
    unsigned word; /* size of an address/offset field */
    unsigned ehsize, e_entry, e_phoff, e_shoff, e_phentsize;
    unsigned phsize, p_offset, p_paddr, p_filesz, p_memsz;
    unsigned shsize, sh_offset, sh_size;
};

static const struct elf_layout layout64 = {
    .word = 8,
    .ehsize = 64,
    .e_entry = 24,
    .e_phoff = 32,
    .e_shoff = 40,
    .e_phentsize = 54,
    .phsize = 56,
    .p_offset = 8,
    .p_paddr = 24,
    .p_filesz = 32,
    .p_memsz = 40,
    .shsize = 64,
    .sh_offset = 24,
    .sh_size = 32,
};

static const struct elf_layout layout32 = {
    .word = 4,
    .ehsize = 52,
    .e_entry = 24,
    .e_phoff = 28,
    .e_shoff = 32,
    .e_phentsize = 42,
    .phsize = 32,
    .p_offset = 4,
    .p_paddr = 12,
    .p_filesz = 16,
    .p_memsz = 20,
    .shsize = 40,
    .sh_offset = 16,
    .sh_size = 20,
};

/* An image being parsed: its bytes, its decoded file header and where errors go. */
struct elf {
    const uint8_t *p;
    size_t len;
    const struct elf_layout *lay;
    bool is_64;
    uint16_t machine;
    uint64_t entry, phoff, shoff;
    uint16_t phnum, shnum, shstrndx;
    char *err;
    size_t errlen;
};

struct phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

struct shdr {
    uint32_t name, type;
    uint64_t offset, size;
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        hv_vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -XEN_EINVAL;
}

#define FAIL(e, ...) fail((e)->err, (e)->errlen, __VA_ARGS__)
#define ULL(x) ((unsigned long long)(x))

/* Little-endian read of n bytes; the caller has bounds-checked them. */
static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    while (n--)
        v = (v << 8) | p[n];
    return v;
}

/* Is [off, off+size) inside the image? Written so that nothing can overflow. */
static bool in_image(const struct elf *e, uint64_t off, uint64_t size)
{
    return off <= e->len && size <= e->len - off;
}

static int check_ident(struct elf *e)
{
    const uint8_t *p = e->p;

    if (e->len < EI_NIDENT)
        return FAIL(e, "ELF: image truncated: %llu bytes, too short for the ELF identification",
                    ULL(e->len));
    if (hv_memcmp(p, "\177ELF", 4))
        return FAIL(e, "ELF: bad magic, not an ELF image");
    if (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64)
        return FAIL(e, "ELF: unsupported class %u (need ELFCLASS32 or ELFCLASS64)", p[EI_CLASS]);
    if (p[EI_DATA] != ELFDATA2LSB)
        return FAIL(e, "ELF: unsupported data encoding %u (need little endian)", p[EI_DATA]);
    e->is_64 = p[EI_CLASS] == ELFCLASS64;
    e->lay = e->is_64 ? &layout64 : &layout32;
    if (e->len < e->lay->ehsize)
        return FAIL(e, "ELF: image truncated: %llu bytes, too short for the %u-byte ELF header",
                    ULL(e->len), e->lay->ehsize);
    return 0;
}

/* A header table (program or section) must have our entry size and lie inside the image. */
static int check_table(struct elf *e, const char *what, uint64_t off, unsigned num,
                       unsigned entsize, unsigned want)
{
    uint64_t size = (uint64_t)num * entsize;

    if (num == 0)
        return 0;
    if (entsize != want)
        return FAIL(e, "ELF: %s header entry size %u, expected %u", what, entsize, want);
    if (!in_image(e, off, size))
        return FAIL(e, "ELF: %s header table 0x%llx+0x%llx beyond image size 0x%llx", what,
                    ULL(off), ULL(size), ULL(e->len));
    return 0;
}

/* Decode and check the file header and the placement of both header tables. */
static int read_ehdr(struct elf *e)
{
    const struct elf_layout *l;
    const uint8_t *p = e->p;
    unsigned type, w;
    int rc = check_ident(e);

    if (rc)
        return rc;
    l = e->lay;
    w = l->word;
    type = (unsigned)rd(p + 16, 2);
    e->machine = (uint16_t)rd(p + 18, 2);
    if (type != ET_EXEC)
        return FAIL(e, "ELF: unsupported type %u (need ET_EXEC)", type);
    if (e->machine != EM_X86_64 && e->machine != EM_386)
        return FAIL(e, "ELF: unsupported machine %u (need x86-64 or i386)", e->machine);
    if ((e->machine == EM_X86_64) != e->is_64)
        return FAIL(e, "ELF: machine %u does not match class ELFCLASS%u", e->machine,
                    e->is_64 ? 64 : 32);
    e->entry = rd(p + l->e_entry, w);
    e->phoff = rd(p + l->e_phoff, w);
    e->shoff = rd(p + l->e_shoff, w);
    /* e_phentsize, e_phnum, e_shentsize, e_shnum and e_shstrndx follow each other. */
    e->phnum = (uint16_t)rd(p + l->e_phentsize + 2, 2);
    e->shnum = (uint16_t)rd(p + l->e_phentsize + 6, 2);
    e->shstrndx = (uint16_t)rd(p + l->e_phentsize + 8, 2);
    rc = check_table(e, "program", e->phoff, e->phnum, (unsigned)rd(p + l->e_phentsize, 2),
                     l->phsize);
    if (rc)
        return rc;
    return check_table(e, "section", e->shoff, e->shnum, (unsigned)rd(p + l->e_phentsize + 4, 2),
                       l->shsize);
}

/* Program header i; read_ehdr has checked that the whole table is inside the image. */
static void get_phdr(const struct elf *e, unsigned i, struct phdr *ph)
{
    const struct elf_layout *l = e->lay;
    const uint8_t *p = e->p + e->phoff + (uint64_t)i * l->phsize;

    ph->type = (uint32_t)rd(p, 4);
    ph->offset = rd(p + l->p_offset, l->word);
    ph->paddr = rd(p + l->p_paddr, l->word);
    ph->filesz = rd(p + l->p_filesz, l->word);
    ph->memsz = rd(p + l->p_memsz, l->word);
}

static void get_shdr(const struct elf *e, unsigned i, struct shdr *sh)
{
    const struct elf_layout *l = e->lay;
    const uint8_t *p = e->p + e->shoff + (uint64_t)i * l->shsize;

    sh->name = (uint32_t)rd(p, 4);
    sh->type = (uint32_t)rd(p + 4, 4);
    sh->offset = rd(p + l->sh_offset, l->word);
    sh->size = rd(p + l->sh_size, l->word);
}

/* The file-level sanity of a PT_LOAD or PT_NOTE: its bytes are in the image, sizes agree. */
static int check_phdr(struct elf *e, unsigned i, const struct phdr *ph)
{
    if (ph->type != PT_LOAD && ph->type != PT_NOTE)
        return 0;
    if (!in_image(e, ph->offset, ph->filesz))
        return FAIL(e, "ELF program header %u: file range 0x%llx+0x%llx beyond image size 0x%llx",
                    i, ULL(ph->offset), ULL(ph->filesz), ULL(e->len));
    if (ph->type != PT_LOAD)
        return 0;
    if (ph->filesz > ph->memsz)
        return FAIL(e, "ELF program header %u: p_filesz 0x%llx larger than p_memsz 0x%llx", i,
                    ULL(ph->filesz), ULL(ph->memsz));
    if (ph->memsz > UINT64_MAX - ph->paddr)
        return FAIL(e, "ELF program header %u: physical range 0x%llx+0x%llx wraps", i,
                    ULL(ph->paddr), ULL(ph->memsz));
    return 0;
}

static int check_phdrs(struct elf *e)
{
    struct phdr ph;

    for (unsigned i = 0; i < e->phnum; i++) {
        get_phdr(e, i, &ph);
        int rc = check_phdr(e, i, &ph);
        if (rc)
            return rc;
    }
    return 0;
}

/* --- Xen notes --- */

enum note_kind { NOTE_IGNORED = 0, NOTE_NUMBER, NOTE_STRING };

/* How libelf reads each note type; anything not listed (INFO, L1_MFN_VALID, ...) is skipped. */
/* clang-format off */
static const uint8_t note_kinds[XEN_ELFNOTE_MAX + 1] = {
    [XEN_ELFNOTE_ENTRY] = NOTE_NUMBER,
    [XEN_ELFNOTE_HYPERCALL_PAGE] = NOTE_NUMBER,
    [XEN_ELFNOTE_VIRT_BASE] = NOTE_NUMBER,
    [XEN_ELFNOTE_PADDR_OFFSET] = NOTE_NUMBER,
    [XEN_ELFNOTE_XEN_VERSION] = NOTE_STRING,
    [XEN_ELFNOTE_GUEST_OS] = NOTE_STRING,
    [XEN_ELFNOTE_GUEST_VERSION] = NOTE_STRING,
    [XEN_ELFNOTE_LOADER] = NOTE_STRING,
    [XEN_ELFNOTE_PAE_MODE] = NOTE_STRING,
    [XEN_ELFNOTE_FEATURES] = NOTE_STRING,
    [XEN_ELFNOTE_BSD_SYMTAB] = NOTE_STRING,
    [XEN_ELFNOTE_HV_START_LOW] = NOTE_NUMBER,
    [XEN_ELFNOTE_SUSPEND_CANCEL] = NOTE_NUMBER,
    [XEN_ELFNOTE_INIT_P2M] = NOTE_NUMBER,
    [XEN_ELFNOTE_MOD_START_PFN] = NOTE_NUMBER,
    [XEN_ELFNOTE_SUPPORTED_FEATURES] = NOTE_NUMBER,
    [XEN_ELFNOTE_PHYS32_ENTRY] = NOTE_NUMBER,
};
/* clang-format on */

/* Bit numbers are the XENFEAT_* values. */
static const char *const feature_names[] = {
    "writable_page_tables",
    "writable_descriptor_tables",
    "auto_translated_physmap",
    "supervisor_mode_kernel",
    "pae_pgdir_above_4gb",
    "mmu_pt_update_preserve_ad",
    "highmem_assist",
    "gnttab_map_avail_bits",
    "hvm_callback_vector",
    "hvm_safe_pvclock",
    "hvm_pirqs",
    "dom0",
};

/* A note descriptor is not necessarily NUL-terminated: stop at descsz. */
static void copy_str(char *dst, size_t size, const uint8_t *src, uint32_t n)
{
    size_t l = hv_strnlen((const char *)src, n);

    if (l >= size)
        l = size - 1;
    hv_memcpy(dst, src, l);
    dst[l] = '\0';
}

/* Does the n-byte string s contain w? (hv_strstr needs a terminated haystack.) */
static bool contains(const char *s, size_t n, const char *w)
{
    size_t wl = hv_strlen(w);

    for (size_t i = 0; i + wl <= n; i++)
        if (!hv_memcmp(s + i, w, wl))
            return true;
    return false;
}

/* PAE_MODE: libelf maps "yes" to extended-cr3 and anything mentioning bimodal to bimodal. */
static enum elf_pae_mode parse_pae(const char *s, size_t n)
{
    if (contains(s, n, "bimodal"))
        return PAE_BIMODAL;
    if (n == 3 && !hv_memcmp(s, "yes", 3))
        return PAE_EXTCR3;
    return PAE_NO;
}

static int one_feature(struct elf *e, const char *s, size_t n, struct elf_xen_info *info)
{
    bool required = n && s[0] == '!';
    char name[48];

    if (n == 0)
        return 0; /* "a||b" or a trailing '|' */
    if (required) {
        s++;
        n--;
    }
    for (unsigned bit = 0; bit < ARRAY_SIZE(feature_names); bit++) {
        if (hv_strlen(feature_names[bit]) == n && !hv_memcmp(feature_names[bit], s, n)) {
            info->feat_supported |= 1u << bit;
            if (required)
                info->feat_required |= 1u << bit;
            return 0;
        }
    }
    copy_str(name, sizeof(name), (const uint8_t *)s, (uint32_t)n);
    return FAIL(e, "ELF: unknown Xen feature '%s'", name);
}

/* FEATURES is "name|!name|...": parsed from the descriptor itself, not the truncated copy. */
static int parse_features(struct elf *e, const char *s, size_t n, struct elf_xen_info *info)
{
    size_t i = 0;

    info->feat_supported = info->feat_required = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '|')
            j++;
        int rc = one_feature(e, s + i, j - i, info);
        if (rc)
            return rc;
        i = j + 1;
    }
    return 0;
}

static int number_note(struct elf *e, uint32_t type, const uint8_t *desc, uint32_t descsz,
                       struct elf_xen_info *info)
{
    uint64_t v;

    if (descsz != 4 && descsz != 8)
        return FAIL(e, "ELF: Xen note %u: numeric descriptor of %u bytes (need 4 or 8)", type,
                    descsz);
    v = rd(desc, descsz);
    switch (type) {
    case XEN_ELFNOTE_ENTRY:
        info->entry = v;
        break;
    case XEN_ELFNOTE_HYPERCALL_PAGE:
        info->hypercall_page = v;
        info->has_hypercall_page = true;
        break;
    case XEN_ELFNOTE_VIRT_BASE:
        info->virt_base = v;
        break;
    case XEN_ELFNOTE_PADDR_OFFSET:
        info->paddr_offset = v;
        break;
    default:
        break; /* well-formed but not used by this loader */
    }
    return 0;
}

static int string_note(struct elf *e, uint32_t type, const uint8_t *desc, uint32_t descsz,
                       struct elf_xen_info *info)
{
    size_t n = hv_strnlen((const char *)desc, descsz);

    switch (type) {
    case XEN_ELFNOTE_XEN_VERSION:
        copy_str(info->xen_version, sizeof(info->xen_version), desc, descsz);
        break;
    case XEN_ELFNOTE_GUEST_OS:
        copy_str(info->guest_os, sizeof(info->guest_os), desc, descsz);
        break;
    case XEN_ELFNOTE_GUEST_VERSION:
        copy_str(info->guest_version, sizeof(info->guest_version), desc, descsz);
        break;
    case XEN_ELFNOTE_LOADER:
        copy_str(info->loader, sizeof(info->loader), desc, descsz);
        break;
    case XEN_ELFNOTE_PAE_MODE:
        info->pae = parse_pae((const char *)desc, n);
        break;
    case XEN_ELFNOTE_FEATURES:
        copy_str(info->features, sizeof(info->features), desc, descsz);
        return parse_features(e, (const char *)desc, n, info);
    default:
        break;
    }
    return 0;
}

static int xen_note(struct elf *e, uint32_t type, const uint8_t *desc, uint32_t descsz,
                    struct elf_xen_info *info)
{
    info->has_notes = true;
    if (type >= ARRAY_SIZE(note_kinds))
        return 0; /* unknown types are ignored, as libelf does */
    if (note_kinds[type] == NOTE_NUMBER)
        return number_note(e, type, desc, descsz, info);
    if (note_kinds[type] == NOTE_STRING)
        return string_note(e, type, desc, descsz, info);
    return 0;
}

static uint64_t align4(uint64_t v)
{
    return (v + 3) & ~(uint64_t)3;
}

/*
 * Walk the notes in [off, off+size), already known to be inside the image.
 * Sizes are widened to 64 bits before padding so 0xFFFFFFFF cannot wrap.
 */
static int parse_notes(struct elf *e, const char *where, unsigned idx, uint64_t off, uint64_t size,
                       struct elf_xen_info *info)
{
    for (uint64_t pos = 0; pos < size;) {
        const uint8_t *n = e->p + off + pos;
        uint64_t rem = size - pos;

        if (rem < NOTE_HDR)
            return FAIL(e, "ELF %s %u: note header at +0x%llx truncated (0x%llx bytes left)", where,
                        idx, ULL(pos), ULL(rem));
        uint32_t namesz = (uint32_t)rd(n, 4), descsz = (uint32_t)rd(n + 4, 4);
        uint64_t name_pad = align4(namesz), avail = rem - NOTE_HDR;
        if (name_pad > avail || descsz > avail - name_pad)
            return FAIL(e,
                        "ELF %s %u: note at +0x%llx: namesz 0x%x descsz 0x%x overrun the "
                        "0x%llx-byte note area",
                        where, idx, ULL(pos), namesz, descsz, ULL(size));
        if (namesz == 4 && !hv_memcmp(n + NOTE_HDR, "Xen", 4)) {
            int rc = xen_note(e, (uint32_t)rd(n + 8, 4), n + NOTE_HDR + name_pad, descsz, info);
            if (rc)
                return rc;
        }
        /* The last descriptor's padding may be missing; the loop then simply ends. */
        pos += NOTE_HDR + name_pad + align4(descsz);
    }
    return 0;
}

static int notes_from_phdrs(struct elf *e, struct elf_xen_info *info)
{
    struct phdr ph;

    for (unsigned i = 0; i < e->phnum; i++) {
        get_phdr(e, i, &ph);
        if (ph.type != PT_NOTE)
            continue;
        int rc = parse_notes(e, "program header", i, ph.offset, ph.filesz, info);
        if (rc)
            return rc;
    }
    return 0;
}

/* libelf falls back to SHT_NOTE sections when the segments held no Xen note. */
static int notes_from_sections(struct elf *e, struct elf_xen_info *info)
{
    struct shdr sh;

    for (unsigned i = 0; i < e->shnum; i++) {
        get_shdr(e, i, &sh);
        if (sh.type != SHT_NOTE)
            continue;
        if (!in_image(e, sh.offset, sh.size))
            return FAIL(e, "ELF section %u: note range 0x%llx+0x%llx beyond image size 0x%llx", i,
                        ULL(sh.offset), ULL(sh.size), ULL(e->len));
        int rc = parse_notes(e, "section", i, sh.offset, sh.size, info);
        if (rc)
            return rc;
    }
    return 0;
}

/* Is there a section named `name`? Only consulted to name the legacy format in an error. */
static int find_section(struct elf *e, const char *name, bool *found)
{
    size_t nl = hv_strlen(name) + 1;
    struct shdr strtab, sh;

    *found = false;
    if (e->shnum == 0 || e->shstrndx == 0)
        return 0; /* no section names */
    if (e->shstrndx >= e->shnum)
        return FAIL(e, "ELF: e_shstrndx %u out of range (%u sections)", e->shstrndx, e->shnum);
    get_shdr(e, e->shstrndx, &strtab);
    if (!in_image(e, strtab.offset, strtab.size))
        return FAIL(e, "ELF: section name table 0x%llx+0x%llx beyond image size 0x%llx",
                    ULL(strtab.offset), ULL(strtab.size), ULL(e->len));
    for (unsigned i = 0; i < e->shnum; i++) {
        get_shdr(e, i, &sh);
        if (sh.name < strtab.size && strtab.size - sh.name >= nl &&
            !hv_memcmp(e->p + strtab.offset + sh.name, name, nl))
            *found = true;
    }
    return 0;
}

static int no_xen_notes(struct elf *e)
{
    bool legacy;
    int rc = find_section(e, "__xen_guest", &legacy);

    if (rc)
        return rc;
    if (legacy)
        return FAIL(e, "unmodelled: legacy __xen_guest section");
    return FAIL(e, "Not a Xen-ELF image");
}

/* elf_xen_note_check, with libelf's words. */
static int check_notes(struct elf *e, const struct elf_xen_info *info)
{
    if (!info->has_notes)
        return no_xen_notes(e);
    if (hv_strncmp(info->loader, "generic", 7) && hv_strncmp(info->guest_os, "linux", 5))
        return FAIL(e, "Will only load images built for the generic loader or Linux images");
    if (hv_strncmp(info->xen_version, "xen-3.0", 7))
        return FAIL(e, "Xen will only load images built for Xen v3.0");
    return 0;
}

static int read_notes(struct elf *e, struct elf_xen_info *info)
{
    int rc = notes_from_phdrs(e, info);

    if (!rc && !info->has_notes)
        rc = notes_from_sections(e, info);
    return rc ? rc : check_notes(e, info);
}

/* --- Placement --- */

/*
 * The virtual address of a non-empty PT_LOAD: p_paddr - paddr_offset +
 * virt_base, every step checked, and the whole [va, va+memsz) must fit the
 * guest's address space (2^32 for i386) without wrapping.
 */
static int seg_va(struct elf *e, unsigned i, const struct phdr *ph, const struct elf_xen_info *info,
                  uint64_t *va)
{
    uint64_t top = e->is_64 ? UINT64_MAX : (1ULL << 32);
    uint64_t v;

    if (ph->paddr < info->paddr_offset)
        return FAIL(e, "ELF program header %u: p_paddr 0x%llx below PADDR_OFFSET 0x%llx", i,
                    ULL(ph->paddr), ULL(info->paddr_offset));
    v = ph->paddr - info->paddr_offset;
    if (v > UINT64_MAX - info->virt_base)
        return FAIL(e, "ELF program header %u: 0x%llx + VIRT_BASE 0x%llx wraps", i, ULL(v),
                    ULL(info->virt_base));
    v += info->virt_base;
    if (v > top || ph->memsz > top - v)
        return FAIL(e, "ELF program header %u: virtual range 0x%llx+0x%llx wraps the address space",
                    i, ULL(v), ULL(ph->memsz));
    *va = v;
    return 0;
}

static int compute_range(struct elf *e, struct elf_xen_info *info)
{
    bool any = false;
    struct phdr ph;
    uint64_t va;

    for (unsigned i = 0; i < e->phnum; i++) {
        get_phdr(e, i, &ph);
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        int rc = seg_va(e, i, &ph, info, &va);
        if (rc)
            return rc;
        if (!any || va < info->virt_kstart)
            info->virt_kstart = va;
        if (!any || va + ph.memsz > info->virt_kend)
            info->virt_kend = va + ph.memsz;
        any = true;
    }
    if (!any)
        return FAIL(e, "ELF: no loadable (non-empty PT_LOAD) segment");
    return 0;
}

static int check_addr(struct elf *e, const struct elf_xen_info *info, const char *what, uint64_t a)
{
    if (a < info->virt_kstart || a >= info->virt_kend)
        return FAIL(e, "ELF: %s 0x%llx outside the loaded image 0x%llx-0x%llx", what, ULL(a),
                    ULL(info->virt_kstart), ULL(info->virt_kend));
    return 0;
}

/* xc_dom_guest_type; a bimodal kernel runs as PAE because our capabilities include x86_32p. */
static const char *guest_type(const struct elf_xen_info *info)
{
    if (info->machine == EM_X86_64)
        return "xen-3.0-x86_64";
    if (info->pae == PAE_NO)
        return "xen-3.0-x86_32";
    return "xen-3.0-x86_32p";
}

static void elf_init(struct elf *e, const void *img, size_t len, char *err, size_t errlen)
{
    hv_memset(e, 0, sizeof(*e));
    e->p = img;
    e->len = img ? len : 0; /* a NULL image is an empty one */
    e->err = err;
    e->errlen = errlen;
    if (err && errlen)
        err[0] = '\0';
}

int elf_xen_parse(const void *img, size_t len, struct elf_xen_info *info, char *err, size_t errlen)
{
    struct elf e;
    int rc;

    elf_init(&e, img, len, err, errlen);
    hv_memset(info, 0, sizeof(*info));
    rc = read_ehdr(&e);
    if (!rc)
        rc = check_phdrs(&e);
    if (rc)
        return rc;
    info->machine = e.machine;
    info->is_64 = e.is_64;
    info->e_entry = info->entry = e.entry; /* an ENTRY note overrides */
    rc = read_notes(&e, info);
    if (!rc)
        rc = compute_range(&e, info);
    if (!rc)
        rc = check_addr(&e, info, "entry", info->entry);
    if (!rc && info->has_hypercall_page)
        rc = check_addr(&e, info, "hypercall page", info->hypercall_page);
    if (rc)
        return rc;
    info->guest_type = guest_type(info);
    return 0;
}

/* put() the file bytes of one segment, then its zero tail. */
static int load_seg(struct elf *e, unsigned i, const struct phdr *ph, uint64_t va, elf_put_fn put,
                    void *ctx)
{
    uint64_t tail = ph->memsz - ph->filesz;
    int rc;

    if (tail > SIZE_MAX)
        return FAIL(e, "ELF program header %u: zero tail 0x%llx too large", i, ULL(tail));
    if (ph->filesz) {
        rc = put(ctx, va, e->p + ph->offset, (size_t)ph->filesz);
        if (rc < 0) {
            FAIL(e, "ELF program header %u: copy of 0x%llx bytes to 0x%llx failed (%d)", i,
                 ULL(ph->filesz), ULL(va), rc);
            return rc;
        }
    }
    if (tail) {
        rc = put(ctx, va + ph->filesz, NULL, (size_t)tail);
        if (rc < 0) {
            FAIL(e, "ELF program header %u: zeroing 0x%llx bytes at 0x%llx failed (%d)", i,
                 ULL(tail), ULL(va + ph->filesz), rc);
            return rc;
        }
    }
    return 0;
}

int elf_xen_load(const void *img, size_t len, const struct elf_xen_info *info, elf_put_fn put,
                 void *ctx, char *err, size_t errlen)
{
    struct elf e;
    struct phdr ph;
    uint64_t va;
    int rc;

    /* Re-check everything we touch: a mismatched image must not lead us out of bounds. */
    elf_init(&e, img, len, err, errlen);
    rc = read_ehdr(&e);
    if (rc)
        return rc;
    for (unsigned i = 0; i < e.phnum; i++) {
        get_phdr(&e, i, &ph);
        rc = check_phdr(&e, i, &ph);
        if (rc)
            return rc;
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        rc = seg_va(&e, i, &ph, info, &va);
        if (!rc)
            rc = load_seg(&e, i, &ph, va, put, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

int elf_xen_compat_check(const struct elf_xen_info *info, char *err, size_t errlen)
{
    const char *caps = HV_CAPABILITIES;
    const char *type = info->guest_type ? info->guest_type : "(unknown)";
    char item[64];

    /* Split on spaces and strcmp each capability, as xc_dom_compat_check does. */
    while (*caps) {
        size_t n = 0;
        while (caps[n] && caps[n] != ' ')
            n++;
        if (n && n < sizeof(item)) {
            hv_memcpy(item, caps, n);
            item[n] = '\0';
            if (!hv_strcmp(item, type))
                return 0;
        }
        caps += n;
        while (*caps == ' ')
            caps++;
    }
    return fail(err, errlen,
                "xc_dom_compat_check: guest type %s not supported by xen kernel, sorry", type);
}
