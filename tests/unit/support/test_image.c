/* Writes minimal valid Xen PV kernel ELF images (64-bit, or 32-bit for refusal tests). */
#include "test_image.h"

#include <stdlib.h>
#include <string.h>

#include "public/xen.h"

#define PAGE 4096
#define NOTES_OFF 0x100
#define SEG_OFF 0x1000
#define NOTES_MAX (SEG_OFF - NOTES_OFF)

static void put16(uint8_t *p, uint64_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static size_t align4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* Append one "Xen" note at p + *off. */
static void note(uint8_t *p, size_t *off, uint32_t type, const void *desc, uint32_t descsz)
{
    uint8_t *n = p + *off;
    if (*off + 16 + align4(descsz) > NOTES_MAX)
        abort();
    put32(n, 4);
    put32(n + 4, descsz);
    put32(n + 8, type);
    memcpy(n + 12, "Xen", 4);
    memcpy(n + 16, desc, descsz);
    *off += 16 + align4(descsz);
}

static void note_str(uint8_t *p, size_t *off, uint32_t type, const char *s)
{
    note(p, off, type, s, (uint32_t)strlen(s) + 1);
}

static void note_num(uint8_t *p, size_t *off, uint32_t type, uint64_t v, bool is_64)
{
    uint8_t b[8];
    put64(b, v);
    note(p, off, type, b, is_64 ? 8 : 4);
}

uint8_t test_image_seg_byte(size_t off)
{
    if (off >= PAGE && off < 2 * PAGE)
        return 0xC3; /* the hypercall page, pre-filled with "ret" */
    return (uint8_t)(off * 7 + 0x21 + (off >> 8));
}

void test_image_default(struct test_image_spec *s, bool is_64)
{
    memset(s, 0, sizeof(*s));
    s->is_64 = is_64;
    s->pae_mode = "yes";
    s->hypercall_page = true;
}

uint8_t *test_image_build(const struct test_image_spec *s, size_t *len)
{
    size_t total = SEG_OFF + TI_FILE_PAGES * PAGE;
    uint8_t *img = calloc(1, total);
    if (!img)
        abort();
    bool w = s->is_64;

    /* Notes first: the PT_NOTE header needs their size. */
    uint8_t *notes = img + NOTES_OFF;
    size_t nlen = 0;
    note_str(notes, &nlen, XEN_ELFNOTE_GUEST_OS, TI_GUEST_OS);
    note_str(notes, &nlen, XEN_ELFNOTE_LOADER, "generic");
    note_str(notes, &nlen, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    if (s->hypercall_page)
        note_num(notes, &nlen, XEN_ELFNOTE_HYPERCALL_PAGE, TI_HYPERCALL_VA, w);
    note_num(notes, &nlen, XEN_ELFNOTE_ENTRY, TI_ENTRY, w);
    note_num(notes, &nlen, XEN_ELFNOTE_VIRT_BASE, 0, w);
    if (s->pae_mode)
        note_str(notes, &nlen, XEN_ELFNOTE_PAE_MODE, s->pae_mode);
    if (s->features)
        note_str(notes, &nlen, XEN_ELFNOTE_FEATURES, s->features);

    for (size_t k = 0; k < TI_FILE_PAGES * PAGE; k++)
        img[SEG_OFF + k] = test_image_seg_byte(k);

    /* ELF header. */
    unsigned ehsize = w ? 64 : 52, phentsize = w ? 56 : 32;
    memcpy(img, "\177ELF", 4);
    img[4] = w ? 2 : 1; /* class */
    img[5] = 1;         /* little endian */
    img[6] = 1;         /* version */
    put16(img + 16, 2); /* ET_EXEC */
    put16(img + 18, w ? 62 : 3);
    put32(img + 20, 1);
    if (w) {
        put64(img + 24, TI_E_ENTRY);
        put64(img + 32, ehsize); /* e_phoff */
        put64(img + 40, 0);      /* e_shoff */
    } else {
        put32(img + 24, TI_E_ENTRY);
        put32(img + 28, ehsize);
        put32(img + 32, 0);
    }
    unsigned f = w ? 48 : 36; /* e_flags */
    put32(img + f, 0);
    put16(img + f + 4, ehsize);
    put16(img + f + 6, phentsize);
    put16(img + f + 8, 2); /* e_phnum */
    put16(img + f + 10, w ? 64 : 40);
    put16(img + f + 12, 0);
    put16(img + f + 14, 0);

    /* Program headers: PT_LOAD, PT_NOTE. */
    struct {
        uint32_t type;
        uint64_t off, addr, filesz, memsz;
    } ph[2] = {
        {1, SEG_OFF, TI_LOAD_VA, TI_FILE_PAGES * PAGE, TI_MEM_PAGES * PAGE},
        {4, NOTES_OFF, 0, nlen, nlen},
    };
    for (int i = 0; i < 2; i++) {
        uint8_t *p = img + ehsize + i * phentsize;
        put32(p, ph[i].type);
        if (w) {
            put32(p + 4, 7);
            put64(p + 8, ph[i].off);
            put64(p + 16, ph[i].addr);
            put64(p + 24, ph[i].addr);
            put64(p + 32, ph[i].filesz);
            put64(p + 40, ph[i].memsz);
            put64(p + 48, i == 0 ? PAGE : 4);
        } else {
            put32(p + 4, ph[i].off);
            put32(p + 8, ph[i].addr);
            put32(p + 12, ph[i].addr);
            put32(p + 16, ph[i].filesz);
            put32(p + 20, ph[i].memsz);
            put32(p + 24, 7);
            put32(p + 28, i == 0 ? PAGE : 4);
        }
    }
    *len = total;
    return img;
}

uint8_t *test_image_pv64(size_t *len)
{
    struct test_image_spec s;
    test_image_default(&s, true);
    return test_image_build(&s, len);
}
