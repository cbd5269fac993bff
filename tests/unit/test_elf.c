/* Unit tests for hv/common/elf.c: Xen notes, libelf's checks, malformed images, loading. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/elf.h"
#include "public/xen.h"
#include "fake_arch.h"

/*
 * elf.c needs nothing from the fake machine, but hvcore's lib.c needs its
 * arch_log/arch_panic and the linker only pulls fake_arch.o in when the test
 * references it (unit_support comes before hvcore on the link line).
 */
struct fake_machine *const test_elf_fake_machine = &fake;

/* ------------------------------------------------------------------------- */
/* A tiny ELF writer: ehdr | phdrs | note area | segment bytes | sections.    */

#define MAX_NOTES 24
#define IMG_MAX 8192

struct note {
    uint32_t type;
    char name[8];
    uint32_t namesz;
    uint8_t desc[300];
    uint32_t descsz;
};

struct seg {
    uint64_t paddr;
    uint32_t filesz, memsz;
};

struct spec {
    bool is_64;
    uint16_t machine;
    uint64_t e_entry;
    struct note notes[MAX_NOTES];
    unsigned nr_notes;
    struct seg segs[2];
    unsigned nr_segs;
    bool notes_in_section; /* SHT_NOTE section instead of a PT_NOTE segment */
    bool legacy_section;   /* add an empty "__xen_guest" section */
};

/* Where things landed, so tests can corrupt individual fields. */
struct built {
    uint8_t *img; /* malloc'd with exactly len bytes: ASan sees any overread */
    size_t len;
    size_t phoff, phsize, note_off, note_size, seg_off[2], shoff;
    unsigned note_phdr; /* index of the PT_NOTE header */
};

static void w16(uint8_t *p, uint64_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static void w32(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void w64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void wword(bool is64, uint8_t *p, uint64_t v)
{
    is64 ? w64(p, v) : w32(p, v);
}
static uint32_t r32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static size_t al4(size_t v)
{
    return (v + 3) & ~(size_t)3;
}

static struct note *add_note(struct spec *s, const char *name, uint32_t type, const void *desc,
                             uint32_t descsz)
{
    assert_true(s->nr_notes < MAX_NOTES);
    struct note *n = &s->notes[s->nr_notes++];
    memset(n, 0, sizeof(*n));
    n->type = type;
    n->namesz = (uint32_t)strlen(name) + 1;
    memcpy(n->name, name, n->namesz);
    memcpy(n->desc, desc, descsz);
    n->descsz = descsz;
    return n;
}

static void add_str(struct spec *s, uint32_t type, const char *str)
{
    add_note(s, "Xen", type, str, (uint32_t)strlen(str) + 1);
}

static void add_num(struct spec *s, uint32_t type, uint64_t v, unsigned size)
{
    uint8_t b[8];
    w64(b, v);
    add_note(s, "Xen", type, b, size);
}

/* Remove every note of a type (to test defaults). */
static void drop_note(struct spec *s, uint32_t type)
{
    unsigned j = 0;
    for (unsigned i = 0; i < s->nr_notes; i++)
        if (s->notes[i].type != type)
            s->notes[j++] = s->notes[i];
    s->nr_notes = j;
}

static size_t write_notes(const struct spec *s, uint8_t *p)
{
    size_t o = 0;
    for (unsigned i = 0; i < s->nr_notes; i++) {
        const struct note *n = &s->notes[i];
        w32(p + o, n->namesz);
        w32(p + o + 4, n->descsz);
        w32(p + o + 8, n->type);
        memcpy(p + o + 12, n->name, n->namesz);
        o += 12 + al4(n->namesz);
        memcpy(p + o, n->desc, n->descsz);
        o += al4(n->descsz);
    }
    return o;
}

static void write_phdr(const struct spec *s, uint8_t *p, uint32_t type, uint64_t off,
                       uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
    w32(p, type);
    if (s->is_64) {
        w32(p + 4, 7); /* RWX */
        w64(p + 8, off);
        w64(p + 16, paddr);
        w64(p + 24, paddr);
        w64(p + 32, filesz);
        w64(p + 40, memsz);
        w64(p + 48, 4);
    } else {
        w32(p + 4, off);
        w32(p + 8, paddr);
        w32(p + 12, paddr);
        w32(p + 16, filesz);
        w32(p + 20, memsz);
        w32(p + 24, 7);
        w32(p + 28, 4);
    }
}

static void write_shdr(const struct spec *s, uint8_t *p, uint32_t name, uint32_t type, uint64_t off,
                       uint64_t size)
{
    w32(p, name);
    w32(p + 4, type);
    wword(s->is_64, p + (s->is_64 ? 24 : 16), off);
    wword(s->is_64, p + (s->is_64 ? 32 : 20), size);
}

static void write_ehdr(const struct spec *s, uint8_t *p, const struct built *b, unsigned phnum,
                       unsigned shnum)
{
    bool is64 = s->is_64;
    unsigned f = is64 ? 54 : 42; /* e_phentsize */

    memcpy(p, "\177ELF", 4);
    p[4] = is64 ? 2 : 1;
    p[5] = 1;
    p[6] = 1;
    w16(p + 16, 2);
    w16(p + 18, s->machine);
    w32(p + 20, 1);
    wword(is64, p + 24, s->e_entry);
    wword(is64, p + (is64 ? 32 : 28), b->phoff);
    wword(is64, p + (is64 ? 40 : 32), shnum ? b->shoff : 0);
    w16(p + f - 2, is64 ? 64 : 52);
    w16(p + f, b->phsize);
    w16(p + f + 2, phnum);
    w16(p + f + 4, is64 ? 64 : 40);
    w16(p + f + 6, shnum);
    w16(p + f + 8, shnum ? 1 : 0);
}

/* Segment i is filled with bytes (i+1)*0x11 + k so loads can be checked byte for byte. */
static uint8_t seg_byte(unsigned i, size_t k)
{
    return (uint8_t)((i + 1) * 0x11 + k);
}

static const char shstrtab[] = "\0.shstrtab\0.note.Xen\0__xen_guest";

static struct built build(const struct spec *s)
{
    uint8_t buf[IMG_MAX];
    struct built b = {0};
    unsigned ehsize = s->is_64 ? 64 : 52, phnum = s->nr_segs + !s->notes_in_section;
    unsigned shsize = s->is_64 ? 64 : 40, shnum = 0;
    size_t o;

    memset(buf, 0, sizeof(buf));
    b.phoff = ehsize;
    b.phsize = s->is_64 ? 56 : 32;
    b.note_off = o = ehsize + phnum * b.phsize;
    b.note_size = write_notes(s, buf + o);
    o += b.note_size;
    for (unsigned i = 0; i < s->nr_segs; i++) {
        b.seg_off[i] = o = al4(o);
        for (size_t k = 0; k < s->segs[i].filesz; k++)
            buf[o + k] = seg_byte(i, k);
        o += s->segs[i].filesz;
    }
    unsigned ph = 0;
    if (!s->notes_in_section) {
        b.note_phdr = ph;
        write_phdr(s, buf + b.phoff + ph++ * b.phsize, 4, b.note_off, 0, b.note_size, b.note_size);
    }
    for (unsigned i = 0; i < s->nr_segs; i++)
        write_phdr(s, buf + b.phoff + ph++ * b.phsize, 1, b.seg_off[i], s->segs[i].paddr,
                   s->segs[i].filesz, s->segs[i].memsz);
    if (s->notes_in_section || s->legacy_section) {
        size_t str_off = o;
        memcpy(buf + o, shstrtab, sizeof(shstrtab));
        o += sizeof(shstrtab);
        b.shoff = o = al4(o);
        /* [0] null, [1] .shstrtab, [2] .note.Xen or __xen_guest */
        write_shdr(s, buf + o + shsize, 1, 3, str_off, sizeof(shstrtab));
        if (s->notes_in_section)
            write_shdr(s, buf + o + 2 * shsize, 11, 7, b.note_off, b.note_size);
        else
            write_shdr(s, buf + o + 2 * shsize, 21, 1, str_off, 0);
        shnum = 3;
        o += shnum * shsize;
    }
    write_ehdr(s, buf, &b, phnum, shnum);
    assert_true(o <= IMG_MAX);
    b.len = o;
    b.img = malloc(o ? o : 1);
    memcpy(b.img, buf, o);
    return b;
}

/* A complete, valid 64-bit Linux-style image. */
static void spec64(struct spec *s)
{
    memset(s, 0, sizeof(*s));
    s->is_64 = true;
    s->machine = 62;
    s->e_entry = 0xffffffff81000000ULL;
    add_str(s, XEN_ELFNOTE_GUEST_OS, "linux");
    add_str(s, XEN_ELFNOTE_GUEST_VERSION, "2.6");
    add_str(s, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    add_num(s, XEN_ELFNOTE_VIRT_BASE, 0xffffffff80000000ULL, 8);
    add_num(s, XEN_ELFNOTE_PADDR_OFFSET, 0, 8);
    add_num(s, XEN_ELFNOTE_ENTRY, 0xffffffff81000010ULL, 8);
    add_num(s, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff81001000ULL, 8);
    s->segs[0] = (struct seg){0x1000000, 0x1100, 0x2000};
    s->segs[1] = (struct seg){0x1004000, 0x40, 0x40};
    s->nr_segs = 2;
}

/* A valid 32-bit PAE image in the "generic" loader style. */
static void spec32(struct spec *s, const char *pae)
{
    memset(s, 0, sizeof(*s));
    s->is_64 = false;
    s->machine = 3;
    s->e_entry = 0xc0100000;
    add_str(s, XEN_ELFNOTE_LOADER, "generic");
    add_str(s, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    add_num(s, XEN_ELFNOTE_VIRT_BASE, 0xc0000000, 4);
    add_num(s, XEN_ELFNOTE_PADDR_OFFSET, 0, 4);
    if (pae)
        add_str(s, XEN_ELFNOTE_PAE_MODE, pae);
    s->segs[0] = (struct seg){0x100000, 0x200, 0x1000};
    s->nr_segs = 1;
}

struct result {
    int rc;
    struct elf_xen_info info;
    char err[256];
};

static struct result parse_built(const struct built *b)
{
    struct result r;
    memset(&r, 0xAA, sizeof(r));
    r.rc = elf_xen_parse(b->img, b->len, &r.info, r.err, sizeof(r.err));
    if (r.rc == 0)
        r.err[0] = '\0';
    return r;
}

static struct result parse_spec(const struct spec *s)
{
    struct built b = build(s);
    struct result r = parse_built(&b);
    free(b.img);
    return r;
}

static void expect_err(const struct result *r, const char *msg)
{
    if (r->rc != -XEN_EINVAL || strcmp(r->err, msg))
        fail_msg("rc %d err '%s', expected '%s'", r->rc, r->err, msg);
}

/* An error of the given prefix, one line. */
static void expect_err_prefix(const struct result *r, const char *prefix)
{
    if (r->rc != -XEN_EINVAL || strncmp(r->err, prefix, strlen(prefix)) || strchr(r->err, '\n'))
        fail_msg("rc %d err '%s', expected prefix '%s'", r->rc, r->err, prefix);
}

static void expect_ok(const struct result *r)
{
    if (r->rc != 0)
        fail_msg("rc %d err '%s'", r->rc, r->err);
}

/* ------------------------------------------------------------------------- */
/* Valid images                                                              */

static void test_valid_64_all_notes(void **state)
{
    struct spec s;
    spec64(&s);
    add_str(&s, XEN_ELFNOTE_LOADER, "generic");
    add_str(&s, XEN_ELFNOTE_PAE_MODE, "yes");
    add_str(&s, XEN_ELFNOTE_FEATURES, "writable_page_tables|!dom0");
    add_str(&s, XEN_ELFNOTE_BSD_SYMTAB, "yes");
    add_num(&s, XEN_ELFNOTE_HV_START_LOW, 0xffff800000000000ULL, 8);
    add_num(&s, XEN_ELFNOTE_SUSPEND_CANCEL, 1, 4);
    add_num(&s, XEN_ELFNOTE_INIT_P2M, 0xffffea0000000000ULL, 8);
    add_num(&s, XEN_ELFNOTE_SUPPORTED_FEATURES, 0x801, 4);
    add_note(&s, "Xen", XEN_ELFNOTE_INFO, "whatever", 8);              /* ignored */
    add_note(&s, "Xen", XEN_ELFNOTE_L1_MFN_VALID, "abcdefghijkl", 12); /* ignored */
    add_note(&s, "Xen", 0x1000001, "x", 1);                            /* unknown: ignored */
    add_note(&s, "GNU", 3, "\x01\x02\x03", 3);                         /* not Xen: ignored */
    add_note(&s, "Xenx", XEN_ELFNOTE_ENTRY, "\x00\x00\x00\x00", 4);    /* name is not "Xen" */

    struct result r = parse_spec(&s);
    expect_ok(&r);
    const struct elf_xen_info *i = &r.info;
    assert_int_equal(i->machine, 62);
    assert_true(i->is_64);
    assert_true(i->has_notes);
    assert_int_equal(i->e_entry, 0xffffffff81000000ULL);
    assert_int_equal(i->entry, 0xffffffff81000010ULL);
    assert_int_equal(i->virt_base, 0xffffffff80000000ULL);
    assert_int_equal(i->paddr_offset, 0);
    assert_true(i->has_hypercall_page);
    assert_int_equal(i->hypercall_page, 0xffffffff81001000ULL);
    assert_int_equal(i->virt_kstart, 0xffffffff81000000ULL);
    assert_int_equal(i->virt_kend, 0xffffffff81004040ULL);
    assert_string_equal(i->xen_version, "xen-3.0");
    assert_string_equal(i->guest_os, "linux");
    assert_string_equal(i->guest_version, "2.6");
    assert_string_equal(i->loader, "generic");
    assert_string_equal(i->features, "writable_page_tables|!dom0");
    assert_int_equal(i->feat_supported, (1u << 0) | (1u << 11));
    assert_int_equal(i->feat_required, 1u << 11);
    assert_int_equal(i->pae, PAE_EXTCR3);
    assert_string_equal(i->guest_type, "xen-3.0-x86_64");
    char err[128] = "";
    assert_int_equal(elf_xen_compat_check(i, err, sizeof(err)), 0);
}

static void test_entry_defaults_to_e_entry(void **state)
{
    struct spec s;
    spec64(&s);
    drop_note(&s, XEN_ELFNOTE_ENTRY);
    drop_note(&s, XEN_ELFNOTE_HYPERCALL_PAGE);
    struct result r = parse_spec(&s);
    expect_ok(&r);
    assert_int_equal(r.info.entry, 0xffffffff81000000ULL);
    assert_int_equal(r.info.e_entry, 0xffffffff81000000ULL);
    assert_false(r.info.has_hypercall_page);
    assert_int_equal(r.info.hypercall_page, 0);
    assert_int_equal(r.info.pae, PAE_NO);
    assert_int_equal(r.info.feat_supported, 0);
}

static void test_virt_base_paddr_offset_default_zero(void **state)
{
    struct spec s;
    spec64(&s);
    drop_note(&s, XEN_ELFNOTE_VIRT_BASE);
    drop_note(&s, XEN_ELFNOTE_PADDR_OFFSET);
    drop_note(&s, XEN_ELFNOTE_ENTRY);
    drop_note(&s, XEN_ELFNOTE_HYPERCALL_PAGE);
    s.e_entry = 0x1000020;
    struct result r = parse_spec(&s);
    expect_ok(&r);
    assert_int_equal(r.info.virt_base, 0);
    assert_int_equal(r.info.paddr_offset, 0);
    assert_int_equal(r.info.virt_kstart, 0x1000000);
    assert_int_equal(r.info.virt_kend, 0x1004040);
}

struct put_call {
    uint64_t va;
    bool zero;
    size_t n;
    uint8_t bytes[0x2000];
};

struct put_log {
    struct put_call calls[8];
    unsigned nr;
    unsigned fail_at; /* 1-based call number that fails; 0 = never */
    int fail_rc;
};

static int record_put(void *ctx, uint64_t va, const void *src, size_t n)
{
    struct put_log *log = ctx;
    assert_true(log->nr < 8);
    struct put_call *c = &log->calls[log->nr++];
    if (log->fail_at == log->nr)
        return log->fail_rc;
    c->va = va;
    c->zero = src == NULL;
    c->n = n;
    if (src) {
        assert_true(n <= sizeof(c->bytes));
        memcpy(c->bytes, src, n);
    }
    return 0;
}

static void check_seg_call(const struct put_call *c, uint64_t va, unsigned seg, size_t n)
{
    assert_int_equal(c->va, va);
    assert_false(c->zero);
    assert_int_equal(c->n, n);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(c->bytes[k], seg_byte(seg, k));
}

static void check_zero_call(const struct put_call *c, uint64_t va, size_t n)
{
    assert_int_equal(c->va, va);
    assert_true(c->zero);
    assert_int_equal(c->n, n);
}

/* VIRT_BASE and PADDR_OFFSET move both the reported range and the put() addresses. */
static void test_virt_base_paddr_offset_applied(void **state)
{
    struct spec s;
    spec64(&s);
    drop_note(&s, XEN_ELFNOTE_VIRT_BASE);
    drop_note(&s, XEN_ELFNOTE_PADDR_OFFSET);
    drop_note(&s, XEN_ELFNOTE_ENTRY);
    drop_note(&s, XEN_ELFNOTE_HYPERCALL_PAGE);
    add_num(&s, XEN_ELFNOTE_VIRT_BASE, 0xffffffff80000000ULL, 8);
    add_num(&s, XEN_ELFNOTE_PADDR_OFFSET, 0x800000, 8);
    add_num(&s, XEN_ELFNOTE_ENTRY, 0xffffffff80800000ULL, 8);
    add_num(&s, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff80804000ULL, 8);
    struct built b = build(&s);
    struct result r = parse_built(&b);
    expect_ok(&r);
    assert_int_equal(r.info.virt_kstart, 0xffffffff80800000ULL);
    assert_int_equal(r.info.virt_kend, 0xffffffff80804040ULL);

    struct put_log *log = calloc(1, sizeof(*log));
    char err[128] = "";
    assert_int_equal(elf_xen_load(b.img, b.len, &r.info, record_put, log, err, sizeof(err)), 0);
    assert_int_equal(log->nr, 3);
    check_seg_call(&log->calls[0], 0xffffffff80800000ULL, 0, 0x1100);
    check_zero_call(&log->calls[1], 0xffffffff80801100ULL, 0xf00);
    check_seg_call(&log->calls[2], 0xffffffff80804000ULL, 1, 0x40); /* no tail: no call */
    free(log);
    free(b.img);
}

/* The old style: p_paddr holds virtual addresses and PADDR_OFFSET == VIRT_BASE. */
static void test_old_style_paddr_is_virtual(void **state)
{
    struct spec s;
    spec32(&s, "yes");
    drop_note(&s, XEN_ELFNOTE_PADDR_OFFSET);
    add_num(&s, XEN_ELFNOTE_PADDR_OFFSET, 0xc0000000, 4);
    s.segs[0].paddr = 0xc0100000;
    struct result r = parse_spec(&s);
    expect_ok(&r);
    assert_int_equal(r.info.virt_kstart, 0xc0100000);
    assert_int_equal(r.info.virt_kend, 0xc0101000);
    assert_int_equal(r.info.entry, 0xc0100000);
}

static void test_load_sequence_32(void **state)
{
    struct spec s;
    spec32(&s, "yes");
    struct built b = build(&s);
    struct result r = parse_built(&b);
    expect_ok(&r);
    struct put_log *log = calloc(1, sizeof(*log));
    char err[128] = "";
    assert_int_equal(elf_xen_load(b.img, b.len, &r.info, record_put, log, err, sizeof(err)), 0);
    assert_int_equal(log->nr, 2);
    check_seg_call(&log->calls[0], 0xc0100000, 0, 0x200);
    check_zero_call(&log->calls[1], 0xc0100200, 0xe00);
    free(log);
    free(b.img);
}

/* A bss-only segment gets a single zeroing call. */
static void test_load_bss_only_segment(void **state)
{
    struct spec s;
    spec64(&s);
    s.segs[1] = (struct seg){0x1004000, 0, 0x3000};
    struct built b = build(&s);
    struct result r = parse_built(&b);
    expect_ok(&r);
    assert_int_equal(r.info.virt_kend, 0xffffffff81007000ULL);
    struct put_log *log = calloc(1, sizeof(*log));
    char err[128] = "";
    assert_int_equal(elf_xen_load(b.img, b.len, &r.info, record_put, log, err, sizeof(err)), 0);
    assert_int_equal(log->nr, 3);
    check_seg_call(&log->calls[0], 0xffffffff81000000ULL, 0, 0x1100);
    check_zero_call(&log->calls[1], 0xffffffff81001100ULL, 0xf00);
    check_zero_call(&log->calls[2], 0xffffffff81004000ULL, 0x3000);
    free(log);
    free(b.img);
}

static void test_load_put_failure(void **state)
{
    struct spec s;
    spec64(&s);
    struct built b = build(&s);
    struct result r = parse_built(&b);
    expect_ok(&r);
    for (unsigned at = 1; at <= 3; at++) {
        struct put_log *log = calloc(1, sizeof(*log));
        char err[160] = "";
        log->fail_at = at;
        log->fail_rc = -12;
        int rc = elf_xen_load(b.img, b.len, &r.info, record_put, log, err, sizeof(err));
        assert_int_equal(rc, -12);
        assert_int_equal(log->nr, at); /* stops at the first failure */
        assert_non_null(strstr(err, "failed (-12)"));
        assert_null(strchr(err, '\n'));
        free(log);
    }
    free(b.img);
}

/* elf_xen_load re-checks the image: a different, broken image is refused, not read. */
static void test_load_rechecks_image(void **state)
{
    struct spec s;
    spec64(&s);
    struct built b = build(&s);
    struct result r = parse_built(&b);
    expect_ok(&r);
    struct put_log *log = calloc(1, sizeof(*log));
    char err[160] = "";
    int rc = elf_xen_load(b.img, b.len - 1, &r.info, record_put, log, err, sizeof(err));
    assert_int_equal(rc, -XEN_EINVAL);
    assert_int_equal(log->nr, 2); /* segment 0 went through, segment 1 is cut */
    assert_non_null(strstr(err, "beyond image size"));
    free(log);
    free(b.img);
}

static void test_notes_in_sections(void **state)
{
    struct spec s;
    spec64(&s);
    s.notes_in_section = true;
    struct result r = parse_spec(&s);
    expect_ok(&r);
    assert_string_equal(r.info.guest_os, "linux");
    assert_int_equal(r.info.entry, 0xffffffff81000010ULL);
}

/* ------------------------------------------------------------------------- */
/* libelf's rules                                                            */

static void test_no_xen_notes(void **state)
{
    struct spec s;
    spec64(&s);
    s.nr_notes = 0;
    struct result r = parse_spec(&s);
    expect_err(&r, "Not a Xen-ELF image");

    add_note(&s, "GNU", 3, "abcd", 4);
    add_note(&s, "Xe", XEN_ELFNOTE_GUEST_OS, "linux", 6);
    r = parse_spec(&s);
    expect_err(&r, "Not a Xen-ELF image");

    s.nr_notes = 0;
    s.notes_in_section = true;
    r = parse_spec(&s);
    expect_err(&r, "Not a Xen-ELF image");
}

static void test_legacy_xen_guest(void **state)
{
    struct spec s;
    spec64(&s);
    s.nr_notes = 0;
    s.legacy_section = true;
    struct result r = parse_spec(&s);
    expect_err(&r, "unmodelled: legacy __xen_guest section");
}

static void test_loader_or_linux_rule(void **state)
{
    static const char msg[] = "Will only load images built for the generic loader or Linux images";
    struct spec s;

    spec64(&s); /* GUEST_OS "linux", no LOADER */
    struct result r = parse_spec(&s);
    expect_ok(&r);

    drop_note(&s, XEN_ELFNOTE_GUEST_OS);
    r = parse_spec(&s);
    expect_err(&r, msg); /* neither */

    add_str(&s, XEN_ELFNOTE_GUEST_OS, "Mini-OS");
    r = parse_spec(&s);
    expect_err(&r, msg);

    add_str(&s, XEN_ELFNOTE_LOADER, "generic");
    r = parse_spec(&s);
    expect_ok(&r); /* generic loader, non-Linux guest */

    drop_note(&s, XEN_ELFNOTE_LOADER);
    add_str(&s, XEN_ELFNOTE_LOADER, "gener");
    r = parse_spec(&s);
    expect_err(&r, msg);

    drop_note(&s, XEN_ELFNOTE_GUEST_OS);
    add_str(&s, XEN_ELFNOTE_GUEST_OS, "linux-2.6");
    r = parse_spec(&s);
    expect_ok(&r); /* prefix match */
}

static void test_xen_version_rule(void **state)
{
    static const char msg[] = "Xen will only load images built for Xen v3.0";
    struct spec s;

    spec64(&s);
    drop_note(&s, XEN_ELFNOTE_XEN_VERSION);
    struct result r = parse_spec(&s);
    expect_err(&r, msg);

    add_str(&s, XEN_ELFNOTE_XEN_VERSION, "xen-4.0");
    r = parse_spec(&s);
    expect_err(&r, msg);

    drop_note(&s, XEN_ELFNOTE_XEN_VERSION);
    add_str(&s, XEN_ELFNOTE_XEN_VERSION, "xen-3.0-unstable");
    r = parse_spec(&s);
    expect_ok(&r);
}

static void test_32_pae_yes_is_x86_32p(void **state)
{
    struct spec s;
    spec32(&s, "yes");
    struct result r = parse_spec(&s);
    expect_ok(&r);
    assert_false(r.info.is_64);
    assert_int_equal(r.info.machine, 3);
    assert_int_equal(r.info.pae, PAE_EXTCR3);
    assert_string_equal(r.info.guest_type, "xen-3.0-x86_32p");
    char err[128] = "";
    assert_int_equal(elf_xen_compat_check(&r.info, err, sizeof(err)), 0);
}

static void test_32_pae_no_fails_compat(void **state)
{
    static const char msg[] =
        "xc_dom_compat_check: guest type xen-3.0-x86_32 not supported by xen kernel, sorry";
    const char *modes[] = {"no", NULL, "something-else"};

    for (unsigned m = 0; m < 3; m++) {
        struct spec s;
        spec32(&s, modes[m]);
        struct result r = parse_spec(&s);
        expect_ok(&r);
        assert_int_equal(r.info.pae, PAE_NO);
        assert_string_equal(r.info.guest_type, "xen-3.0-x86_32");
        char err[128] = "";
        assert_int_equal(elf_xen_compat_check(&r.info, err, sizeof(err)), -XEN_EINVAL);
        assert_string_equal(err, msg);
    }
}

static void test_32_bimodal(void **state)
{
    const char *modes[] = {"bimodal", "yes,bimodal"};

    for (unsigned m = 0; m < 2; m++) {
        struct spec s;
        spec32(&s, modes[m]);
        struct result r = parse_spec(&s);
        expect_ok(&r);
        assert_int_equal(r.info.pae, PAE_BIMODAL);
        assert_string_equal(r.info.guest_type, "xen-3.0-x86_32p");
        char err[128] = "";
        assert_int_equal(elf_xen_compat_check(&r.info, err, sizeof(err)), 0);
    }
}

static void test_compat_check_unknown_type(void **state)
{
    struct elf_xen_info info;
    char err[128] = "";
    memset(&info, 0, sizeof(info));
    info.guest_type = "xen-3.0-x86_64p"; /* a prefix/suffix of a capability must not match */
    assert_int_equal(elf_xen_compat_check(&info, err, sizeof(err)), -XEN_EINVAL);
    assert_string_equal(err, "xc_dom_compat_check: guest type xen-3.0-x86_64p not supported by "
                             "xen kernel, sorry");
    info.guest_type = "xen-3.0-x86";
    assert_int_equal(elf_xen_compat_check(&info, err, sizeof(err)), -XEN_EINVAL);
}

static void test_features(void **state)
{
    static const char *const names[] = {"writable_page_tables",
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
                                        "dom0"};
    struct spec s;
    struct result r;

    for (unsigned bit = 0; bit < 12; bit++) {
        char f[64];
        spec64(&s);
        snprintf(f, sizeof(f), "%s%s", bit & 1 ? "!" : "", names[bit]);
        add_str(&s, XEN_ELFNOTE_FEATURES, f);
        r = parse_spec(&s);
        expect_ok(&r);
        assert_int_equal(r.info.feat_supported, 1u << bit);
        assert_int_equal(r.info.feat_required, bit & 1 ? 1u << bit : 0);
    }

    spec64(&s);
    add_str(&s, XEN_ELFNOTE_FEATURES,
            "writable_page_tables|writable_descriptor_tables|auto_translated_physmap|"
            "!pae_pgdir_above_4gb|supervisor_mode_kernel||");
    r = parse_spec(&s);
    expect_ok(&r);
    assert_int_equal(r.info.feat_supported, 0x1f);
    assert_int_equal(r.info.feat_required, 0x10);

    spec64(&s);
    add_str(&s, XEN_ELFNOTE_FEATURES, "writable_page_tables|foo|dom0");
    r = parse_spec(&s);
    expect_err(&r, "ELF: unknown Xen feature 'foo'");

    spec64(&s);
    add_str(&s, XEN_ELFNOTE_FEATURES, "!dom");
    r = parse_spec(&s);
    expect_err(&r, "ELF: unknown Xen feature 'dom'");

    spec64(&s);
    add_str(&s, XEN_ELFNOTE_FEATURES, "dom0|!");
    r = parse_spec(&s);
    expect_err(&r, "ELF: unknown Xen feature ''");

    /* A features string longer than the 256-byte copy is still parsed whole. */
    spec64(&s);
    char longf[300] = "";
    while (strlen(longf) < 270)
        strcat(longf, "hvm_pirqs|");
    strcat(longf, "!dom0");
    add_str(&s, XEN_ELFNOTE_FEATURES, longf);
    r = parse_spec(&s);
    expect_ok(&r);
    assert_int_equal(r.info.feat_required, 1u << 11);
    assert_int_equal(strlen(r.info.features), 255);
}

/* Strings: truncated to the field, and safe when the descriptor has no NUL. */
static void test_string_notes_bounded(void **state)
{
    struct spec s;
    spec64(&s);
    drop_note(&s, XEN_ELFNOTE_GUEST_VERSION);
    char big[200];
    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    add_str(&s, XEN_ELFNOTE_GUEST_VERSION, big);
    add_note(&s, "Xen", XEN_ELFNOTE_LOADER, "genericXX", 7); /* no NUL inside descsz */
    struct result r = parse_spec(&s);
    expect_ok(&r);
    assert_int_equal(strlen(r.info.guest_version), ELF_XEN_STR - 1);
    assert_string_equal(r.info.loader, "generic");
}

/* ------------------------------------------------------------------------- */
/* Malformed images                                                          */

/* Every prefix of a valid image is an error, never a crash (the buffer is exact-size). */
static void truncate_all(const struct spec *s)
{
    struct built b = build(s);
    struct result r = parse_built(&b);
    expect_ok(&r);
    for (size_t len = 0; len < b.len; len++) {
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, b.img, len);
        struct elf_xen_info info;
        char err[256] = "";
        int rc = elf_xen_parse(cut, len, &info, err, sizeof(err));
        if (rc != -XEN_EINVAL || !err[0] || strchr(err, '\n'))
            fail_msg("len %zu of %zu: rc %d err '%s'", len, b.len, rc, err);
        free(cut);
    }
    free(b.img);
}

static void test_every_truncation(void **state)
{
    struct spec s;
    spec64(&s);
    truncate_all(&s);
    spec32(&s, "yes");
    truncate_all(&s);
    spec64(&s);
    s.notes_in_section = true;
    truncate_all(&s);
    spec32(&s, "bimodal");
    s.notes_in_section = true;
    truncate_all(&s);
}

static void test_truncation_messages(void **state)
{
    struct spec s;
    spec64(&s);
    struct built b = build(&s);
    struct result r;
    char err[256];
    struct elf_xen_info info;

    assert_int_equal(elf_xen_parse(b.img, 0, &info, err, sizeof(err)), -XEN_EINVAL);
    assert_string_equal(err, "ELF: image truncated: 0 bytes, too short for the ELF identification");
    assert_int_equal(elf_xen_parse(b.img, 40, &info, err, sizeof(err)), -XEN_EINVAL);
    assert_string_equal(err,
                        "ELF: image truncated: 40 bytes, too short for the 64-byte ELF header");
    assert_int_equal(elf_xen_parse(b.img, 100, &info, err, sizeof(err)), -XEN_EINVAL);
    assert_string_equal(err, "ELF: program header table 0x40+0xa8 beyond image size 0x64");
    b.len -= 1;
    r = parse_built(&b);
    char want[128];
    snprintf(want, sizeof(want),
             "ELF program header 2: file range 0x%zx+0x40 beyond image size 0x%zx", b.seg_off[1],
             b.len);
    expect_err(&r, want);
    free(b.img);
}

typedef void (*corrupt_fn)(const struct spec *s, struct built *b);

/* Build a valid image, corrupt it, expect an error starting with prefix. */
static void corrupt(const struct spec *s, corrupt_fn fn, const char *prefix)
{
    struct built b = build(s);
    fn(s, &b);
    struct result r = parse_built(&b);
    expect_err_prefix(&r, prefix);
    free(b.img);
}

static uint8_t *phdr_at(struct built *b, unsigned i)
{
    return b->img + b->phoff + i * b->phsize;
}

static void c_magic(const struct spec *s, struct built *b)
{
    b->img[1] = 'X';
}
static void c_class(const struct spec *s, struct built *b)
{
    b->img[4] = 3;
}
static void c_endian(const struct spec *s, struct built *b)
{
    b->img[5] = 2;
}
static void c_type(const struct spec *s, struct built *b)
{
    w16(b->img + 16, 3);
}
static void c_machine(const struct spec *s, struct built *b)
{
    w16(b->img + 18, 40);
}
static void c_machine_class(const struct spec *s, struct built *b)
{
    w16(b->img + 18, 3);
}
static void c_phnum_huge(const struct spec *s, struct built *b)
{
    w16(b->img + 56, 0xffff);
}
static void c_phentsize(const struct spec *s, struct built *b)
{
    w16(b->img + 54, 32);
}
static void c_phoff_past_end(const struct spec *s, struct built *b)
{
    w64(b->img + 32, b->len);
}
static void c_phoff_huge(const struct spec *s, struct built *b)
{
    w64(b->img + 32, UINT64_MAX - 8);
}
static void c_shoff_past_end(const struct spec *s, struct built *b)
{
    w16(b->img + 60, 2); /* two sections of 64 bytes at e_shoff */
    w64(b->img + 40, b->len - 64);
}
static void c_note_namesz(const struct spec *s, struct built *b)
{
    w32(b->img + b->note_off, 0xFFFFFFFF);
}
static void c_note_descsz(const struct spec *s, struct built *b)
{
    w32(b->img + b->note_off + 4, 0xFFFFFFFF);
}
static void c_note_descsz_pad(const struct spec *s, struct built *b)
{
    w32(b->img + b->note_off + 4, 0xFFFFFFFD); /* wraps to 0 if padded in 32 bits */
}
static void c_note_area_odd(const struct spec *s, struct built *b)
{
    w64(phdr_at(b, 0) + 32, b->note_size - 6); /* last note's header or data cut */
}
static void c_note_offset_huge(const struct spec *s, struct built *b)
{
    w64(phdr_at(b, 0) + 8, UINT64_MAX - 4);
}
static void c_filesz_gt_memsz(const struct spec *s, struct built *b)
{
    w64(phdr_at(b, 1) + 40, 0x10ff); /* p_filesz is 0x1100 */
}
static void c_offset_overflow(const struct spec *s, struct built *b)
{
    w64(phdr_at(b, 1) + 8, UINT64_MAX - 0x10);
}
static void c_filesz_huge(const struct spec *s, struct built *b)
{
    w64(phdr_at(b, 1) + 32, UINT64_MAX);
    w64(phdr_at(b, 1) + 40, UINT64_MAX);
}
static void c_paddr_wrap(const struct spec *s, struct built *b)
{
    w64(phdr_at(b, 2) + 24, UINT64_MAX - 0x10);
}
static void c_virt_wrap(const struct spec *s, struct built *b)
{
    /* 0x7fff...: fine as a physical range, but + VIRT_BASE 0xffffffff80000000 wraps */
    w64(phdr_at(b, 2) + 24, 0x7fffffffffff0000ULL);
}
static void c_virt_range_wrap(const struct spec *s, struct built *b)
{
    /* va = 0xffffffff80000000 + 0x7fffff00 = 0xffffffffffffff00, + 0x1000 wraps */
    w64(phdr_at(b, 2) + 24, 0x7fffff00);
    w64(phdr_at(b, 2) + 40, 0x1000);
}
static void c_no_load(const struct spec *s, struct built *b)
{
    w32(phdr_at(b, 1), 6);
    w32(phdr_at(b, 2), 6);
}
static void c_empty_loads(const struct spec *s, struct built *b)
{
    for (unsigned i = 1; i <= 2; i++) {
        w64(phdr_at(b, i) + 32, 0);
        w64(phdr_at(b, i) + 40, 0);
    }
}

/* Replace the descriptor of the first note of `type` in place. */
static void patch_note(struct built *b, uint32_t type, uint64_t v, unsigned size)
{
    size_t o = 0;
    while (o < b->note_size) {
        uint8_t *n = b->img + b->note_off + o;
        uint32_t namesz = r32(n), descsz = r32(n + 4);
        if (r32(n + 8) == type) {
            assert_true(size <= descsz);
            for (unsigned k = 0; k < size; k++)
                n[12 + al4(namesz) + k] = (uint8_t)(v >> (8 * k));
            return;
        }
        o += 12 + al4(namesz) + al4(descsz);
    }
    fail_msg("note %u not found", type);
}
static void c_entry_outside(const struct spec *s, struct built *b)
{
    patch_note(b, XEN_ELFNOTE_ENTRY, 0xffffffff81004040ULL, 8); /* == virt_kend */
}
static void c_entry_below(const struct spec *s, struct built *b)
{
    patch_note(b, XEN_ELFNOTE_ENTRY, 0xffffffff80ffffffULL, 8);
}
static void c_hypercall_in_gap(const struct spec *s, struct built *b)
{
    patch_note(b, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff81002000ULL, 8); /* in the gap is fine */
}
static void c_hypercall_far(const struct spec *s, struct built *b)
{
    patch_note(b, XEN_ELFNOTE_HYPERCALL_PAGE, 0x1000, 8);
}
static void c_paddr_below_offset(const struct spec *s, struct built *b)
{
    patch_note(b, XEN_ELFNOTE_PADDR_OFFSET, 0x1002000, 8);
}

static void test_corrupted_fields_64(void **state)
{
    struct spec s;
    spec64(&s);
    corrupt(&s, c_magic, "ELF: bad magic");
    corrupt(&s, c_class, "ELF: unsupported class 3");
    corrupt(&s, c_endian, "ELF: unsupported data encoding 2 (need little endian)");
    corrupt(&s, c_type, "ELF: unsupported type 3 (need ET_EXEC)");
    corrupt(&s, c_machine, "ELF: unsupported machine 40 (need x86-64 or i386)");
    corrupt(&s, c_machine_class, "ELF: machine 3 does not match class ELFCLASS64");
    corrupt(&s, c_phnum_huge, "ELF: program header table 0x40+0x37ffc8 beyond image size");
    corrupt(&s, c_phentsize, "ELF: program header entry size 32, expected 56");
    corrupt(&s, c_phoff_past_end, "ELF: program header table");
    corrupt(&s, c_phoff_huge, "ELF: program header table 0xfffffffffffffff7+0xa8 beyond");
    corrupt(&s, c_shoff_past_end, "ELF: section header table");
    corrupt(&s, c_note_namesz, "ELF program header 0: note at +0x0: namesz 0xffffffff descsz");
    corrupt(&s, c_note_descsz, "ELF program header 0: note at +0x0: namesz 0x4 descsz 0xffffffff");
    corrupt(&s, c_note_descsz_pad,
            "ELF program header 0: note at +0x0: namesz 0x4 descsz 0xfffffffd");
    corrupt(&s, c_note_area_odd, "ELF program header 0: note");
    corrupt(&s, c_note_offset_huge, "ELF program header 0: file range 0xfffffffffffffffb+");
    corrupt(&s, c_filesz_gt_memsz,
            "ELF program header 1: p_filesz 0x1100 larger than p_memsz 0x10ff");
    corrupt(&s, c_offset_overflow, "ELF program header 1: file range 0xffffffffffffffef+0x1100");
    corrupt(&s, c_filesz_huge, "ELF program header 1: file range");
    corrupt(&s, c_paddr_wrap, "ELF program header 2: physical range 0xffffffffffffffef+0x40 wraps");
    corrupt(&s, c_virt_wrap, "ELF program header 2: 0x7fffffffffff0000 + VIRT_BASE");
    corrupt(
        &s, c_virt_range_wrap,
        "ELF program header 2: virtual range 0xffffffffffffff00+0x1000 wraps the address space");
    corrupt(&s, c_no_load, "ELF: no loadable");
    corrupt(&s, c_empty_loads, "ELF: no loadable");
    corrupt(&s, c_entry_outside,
            "ELF: entry 0xffffffff81004040 outside the loaded image "
            "0xffffffff81000000-0xffffffff81004040");
    corrupt(&s, c_entry_below, "ELF: entry 0xffffffff80ffffff outside the loaded image");
    corrupt(&s, c_hypercall_far, "ELF: hypercall page 0x1000 outside the loaded image");
    corrupt(&s, c_paddr_below_offset,
            "ELF program header 1: p_paddr 0x1000000 below PADDR_OFFSET 0x1002000");

    /* An address in a hole between segments is still inside [kstart, kend). */
    struct built b = build(&s);
    c_hypercall_in_gap(&s, &b);
    struct result r = parse_built(&b);
    expect_ok(&r);
    free(b.img);
}

static void c32_virt_over_4g(const struct spec *s, struct built *b)
{
    /* 0xc0000000 + 0x3ffff000 = 0xfffff000, + 0x1000 memsz... make it 0x2000 */
    w32(phdr_at(b, 1) + 12, 0x3ffff000);
    w32(phdr_at(b, 1) + 20, 0x2000);
}
static void c32_phnum_huge(const struct spec *s, struct built *b)
{
    w16(b->img + 44, 0xffff);
}
static void c32_numeric_size(const struct spec *s, struct built *b)
{
    /* Turn the 4-byte VIRT_BASE note into a 2-byte one (still inside the area). */
    size_t o = 0;
    while (o < b->note_size) {
        uint8_t *n = b->img + b->note_off + o;
        if (r32(n + 8) == XEN_ELFNOTE_VIRT_BASE) {
            w32(n + 4, 2);
            return;
        }
        o += 12 + al4(r32(n)) + al4(r32(n + 4));
    }
}

static void test_corrupted_fields_32(void **state)
{
    struct spec s;
    spec32(&s, "yes");
    corrupt(&s, c32_virt_over_4g,
            "ELF program header 1: virtual range 0xfffff000+0x2000 wraps the address space");
    corrupt(&s, c32_phnum_huge, "ELF: program header table 0x34+0x1fffe0 beyond image size");
    corrupt(&s, c32_numeric_size, "ELF: Xen note 3: numeric descriptor of 2 bytes (need 4 or 8)");
    corrupt(&s, c_machine, "ELF: unsupported machine 40 (need x86-64 or i386)");
}

static void test_bad_numeric_sizes(void **state)
{
    struct spec s;
    spec64(&s);
    add_num(&s, XEN_ELFNOTE_SUSPEND_CANCEL, 1, 2);
    struct result r = parse_spec(&s);
    expect_err(&r, "ELF: Xen note 14: numeric descriptor of 2 bytes (need 4 or 8)");

    spec64(&s);
    add_note(&s, "Xen", XEN_ELFNOTE_ENTRY, "0123456789abcdef", 16);
    r = parse_spec(&s);
    expect_err(&r, "ELF: Xen note 1: numeric descriptor of 16 bytes (need 4 or 8)");

    /* 4-byte numbers in a 64-bit image are fine (zero-extended). */
    spec64(&s);
    drop_note(&s, XEN_ELFNOTE_PADDR_OFFSET);
    add_num(&s, XEN_ELFNOTE_PADDR_OFFSET, 0x1000, 4);
    drop_note(&s, XEN_ELFNOTE_ENTRY);
    drop_note(&s, XEN_ELFNOTE_HYPERCALL_PAGE);
    s.e_entry = 0xffffffff80fff000ULL;
    r = parse_spec(&s);
    expect_ok(&r);
    assert_int_equal(r.info.paddr_offset, 0x1000);
    assert_int_equal(r.info.virt_kstart, 0xffffffff80fff000ULL);
}

static int count_put(void *ctx, uint64_t va, const void *src, size_t n)
{
    ++*(unsigned *)ctx;
    assert_true(n > 0);
    return 0;
}

/* Deterministic random corruption: any result is fine except a crash or an overread. */
static void test_random_corruption(void **state)
{
    struct spec s[2];
    uint64_t x = 0x9e3779b97f4a7c15ULL;

    spec64(&s[0]);
    spec32(&s[1], "yes");
    s[1].notes_in_section = true;
    for (unsigned k = 0; k < 2; k++) {
        struct built b = build(&s[k]);
        uint8_t *img = malloc(b.len);
        for (unsigned iter = 0; iter < 20000; iter++) {
            memcpy(img, b.img, b.len);
            unsigned flips = 1 + iter % 4;
            for (unsigned f = 0; f < flips; f++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                /* mostly hit the headers and notes, where the parsing happens */
                size_t limit = (x >> 40) & 1 ? b.note_off + b.note_size : b.len;
                img[(x >> 8) % limit] = (uint8_t)x;
            }
            struct elf_xen_info info;
            char err[256] = "";
            int rc = elf_xen_parse(img, b.len, &info, err, sizeof(err));
            assert_true(rc == 0 || rc == -XEN_EINVAL);
            if (rc) {
                assert_true(err[0] != '\0');
                assert_null(strchr(err, '\n'));
                continue;
            }
            /* A parsed image must also load without trouble. */
            unsigned calls = 0;
            assert_int_equal(elf_xen_load(img, b.len, &info, count_put, &calls, err, sizeof(err)),
                             0);
        }
        free(img);
        free(b.img);
    }
}

static void test_null_err_buffer(void **state)
{
    struct elf_xen_info info;
    assert_int_equal(elf_xen_parse("", 0, &info, NULL, 0), -XEN_EINVAL);
    char err[8];
    assert_int_equal(elf_xen_parse("", 0, &info, err, sizeof(err)), -XEN_EINVAL);
    assert_int_equal(strlen(err), 7); /* truncated, still terminated */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_64_all_notes),
        cmocka_unit_test(test_entry_defaults_to_e_entry),
        cmocka_unit_test(test_virt_base_paddr_offset_default_zero),
        cmocka_unit_test(test_virt_base_paddr_offset_applied),
        cmocka_unit_test(test_old_style_paddr_is_virtual),
        cmocka_unit_test(test_load_sequence_32),
        cmocka_unit_test(test_load_bss_only_segment),
        cmocka_unit_test(test_load_put_failure),
        cmocka_unit_test(test_load_rechecks_image),
        cmocka_unit_test(test_notes_in_sections),
        cmocka_unit_test(test_no_xen_notes),
        cmocka_unit_test(test_legacy_xen_guest),
        cmocka_unit_test(test_loader_or_linux_rule),
        cmocka_unit_test(test_xen_version_rule),
        cmocka_unit_test(test_32_pae_yes_is_x86_32p),
        cmocka_unit_test(test_32_pae_no_fails_compat),
        cmocka_unit_test(test_32_bimodal),
        cmocka_unit_test(test_compat_check_unknown_type),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_string_notes_bounded),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_truncation_messages),
        cmocka_unit_test(test_corrupted_fields_64),
        cmocka_unit_test(test_corrupted_fields_32),
        cmocka_unit_test(test_bad_numeric_sizes),
        cmocka_unit_test(test_random_corruption),
        cmocka_unit_test(test_null_err_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
