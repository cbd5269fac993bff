/* Minimal Xen PV kernel images built in memory for core unit tests (see test_image.c). */
#ifndef TEST_IMAGE_H
#define TEST_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The image: one PT_LOAD at TI_LOAD_VA (VIRT_BASE 0, so paddr = vaddr) with
 * TI_FILE_PAGES pages from the file and TI_MEM_PAGES in memory (the last one
 * is bss), and a PT_NOTE with the Xen notes. Page 0 is text, page 1 the
 * hypercall page (filled with 0xC3 in the file, as XTF does, so a builder
 * that forgets it is caught), page 2 data.
 */
#define TI_LOAD_VA 0x100000ULL
#define TI_E_ENTRY 0x100000ULL /* e_entry; the ENTRY note overrides it */
#define TI_ENTRY 0x100040ULL   /* XEN_ELFNOTE_ENTRY */
#define TI_HYPERCALL_VA 0x101000ULL
#define TI_DATA_VA 0x102000ULL
#define TI_BSS_VA 0x103000ULL
#define TI_FILE_PAGES 3
#define TI_MEM_PAGES 4
#define TI_GUEST_OS "hvsim-unit"

struct test_image_spec {
    bool is_64;           /* ELFCLASS64/EM_X86_64, else ELFCLASS32/EM_386 */
    const char *pae_mode; /* PAE_MODE note text; NULL = no note */
    bool hypercall_page;  /* emit XEN_ELFNOTE_HYPERCALL_PAGE */
    const char *features; /* FEATURES note text; NULL = no note */
};

/* The default spec: everything the brief lists, PAE_MODE "yes". */
void test_image_default(struct test_image_spec *s, bool is_64);
/* Build an image (malloc'd, exactly *len bytes; free() it). */
uint8_t *test_image_build(const struct test_image_spec *s, size_t *len);
/* The default 64-bit image. */
uint8_t *test_image_pv64(size_t *len);
/* The byte the image holds at offset `off` of its loaded segment (file part). */
uint8_t test_image_seg_byte(size_t off);

#endif
