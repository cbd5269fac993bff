/* Writes the hand-made seed inputs of fuzz/corpus/{hypercall,elf} (see fuzz/README.md). */
#include "mkseeds.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_image.h"

/*
 * Usage: mkseeds OUTDIR [GUEST.elf...]
 * Writes OUTDIR/hypercall/<name> (mkseeds_hc.c) and OUTDIR/elf/<name>.
 * Guest kernels given on the command line become small elf seeds: their
 * headers and notes, with each loadable segment cut to a few bytes of file
 * (the rest becomes bss).
 */

static const char *outdir;

void put(struct seed *s, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

void save(const char *dir, const struct seed *s, const char *fmt, ...)
{
    char name[256], path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s/%s", outdir, dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f)) {
        perror(path);
        exit(1);
    }
}

/* --- elf seeds --- */

static void elf_seed(const char *name, uint8_t mem, uint8_t vcpus, uint8_t flags, uint8_t param,
                     const char *cmdline, const void *img, size_t len)
{
    struct seed s;
    s.n = 0;
    put(&s, mem, 1);
    put(&s, vcpus, 1);
    put(&s, flags | (cmdline ? 4 : 0), 1);
    put(&s, param, 1);
    put(&s, 0, 2); /* no ramdisk */
    if (cmdline) {
        memcpy(s.b + s.n, cmdline, strlen(cmdline) + 1);
        s.n += strlen(cmdline) + 1;
    }
    if (s.n + len > sizeof(s.b)) {
        fprintf(stderr, "mkseeds: %s too large\n", name);
        exit(1);
    }
    memcpy(s.b + s.n, img, len);
    s.n += len;
    save("elf", &s, "%s", name);
}

static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    while (n--)
        v = (v << 8) | p[n];
    return v;
}

static void wr(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * A 64-bit image, small: ELF header, program headers, the notes, and each
 * PT_LOAD cut to 64 bytes of file (memsz unchanged, so entry points and the
 * hypercall page stay inside the image). Section headers are dropped.
 * Returns the new length, 0 if the image is not one this can cut.
 */
static size_t shrink_elf64(const uint8_t *in, size_t n, uint8_t *out, size_t outsize)
{
    if (n < 64 || memcmp(in, "\177ELF", 4) || in[4] != 2)
        return 0;
    uint64_t phoff = rd(in + 32, 8), phnum = rd(in + 56, 2);
    size_t pos = 64 + phnum * 56;
    if (phoff + phnum * 56 > n || pos > outsize)
        return 0;
    memset(out, 0, outsize);
    memcpy(out, in, 64);
    wr(out + 32, 64, 8); /* e_phoff */
    wr(out + 40, 0, 8);  /* e_shoff */
    wr(out + 60, 0, 2);  /* e_shnum */
    wr(out + 62, 0, 2);  /* e_shstrndx */
    for (unsigned i = 0; i < phnum; i++) {
        uint8_t *ph = out + 64 + i * 56;
        memcpy(ph, in + phoff + i * 56, 56);
        uint64_t off = rd(ph + 8, 8), filesz = rd(ph + 32, 8);
        uint32_t type = (uint32_t)rd(ph, 4);
        if (type == 1 && filesz > 64)
            filesz = 64;
        if ((type != 1 && type != 4) || off + filesz > n || pos + filesz > outsize)
            filesz = 0;
        memcpy(out + pos, in + off, filesz);
        wr(ph + 8, pos, 8);
        wr(ph + 32, filesz, 8);
        pos += (filesz + 7) & ~7ULL;
    }
    return pos;
}

static void seed_from_guest(const char *path)
{
    static uint8_t in[1 << 22], out[16384];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(in, 1, sizeof(in), f) : 0;
    if (f)
        fclose(f);
    size_t len = shrink_elf64(in, n, out, sizeof(out));
    if (!len) {
        fprintf(stderr, "mkseeds: %s: not a 64-bit ELF this can cut, skipped\n", path);
        return;
    }
    const char *base = strrchr(path, '/');
    char name[128];
    snprintf(name, sizeof(name), "guest-%s", base ? base + 1 : path);
    /* 2 MiB: the bundled guests' images reach past 1 MiB + 16 KiB. */
    elf_seed(name, 64, 1, 0, 0, NULL, out, len);
}

static void seeds_elf_images(void)
{
    struct {
        const char *name;
        bool is_64;
        const char *pae, *features;
        bool hcpage;
    } v[] = {
        {"pv64", true, "yes", NULL, true},
        {"pv64-nohcpage", true, "yes", NULL, false},
        {"pv64-features", true, "yes", "writable_page_tables|!mmu_pt_update_preserve_ad", true},
        {"pv64-required-missing", true, "yes", "!writable_descriptor_tables", true},
        {"pv32-pae", false, "yes", NULL, true},
        {"pv32-bimodal", false, "bimodal", NULL, true},
        {"pv32-nopae", false, NULL, NULL, true},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct test_image_spec spec;
        test_image_default(&spec, v[i].is_64);
        spec.pae_mode = v[i].pae;
        spec.features = v[i].features;
        spec.hypercall_page = v[i].hcpage;
        size_t len;
        uint8_t *img = test_image_build(&spec, &len);
        /* The 64-bit ones cut to their headers (the 32-bit ones stay whole: 16 KiB). */
        static uint8_t small[16384];
        size_t cut = shrink_elf64(img, len, small, sizeof(small));
        if (cut) {
            memcpy(img, small, cut);
            len = cut;
        }
        /* 1152 KiB, 1 vCPU: the smallest domain this image fits. */
        elf_seed(v[i].name, 8, 1, 0, 0, NULL, img, len);
        if (i == 0) {
            elf_seed("pv64-cmdline-2vcpus", 64, 2, 0, 0, "console=hvc0 loglevel=9", img, len);
            elf_seed("pv64-exact-frames", 8, 1, 1, 1, NULL, img, len);
            elf_seed("pv64-one-frame-short", 8, 1, 1, 0, NULL, img, len);
            elf_seed("pv64-just-enough", 8, 1, 1, 2, NULL, img, len);
            elf_seed("pv64-fragmented", 8, 1, 2, 40, NULL, img, len);
            elf_seed("pv64-too-small", 0, 1, 0, 0, NULL, img, len);
            elf_seed("pv64-truncated", 8, 1, 0, 0, NULL, img, 0x180);
        }
        free(img);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mkseeds OUTDIR [GUEST.elf...]\n");
        return 2;
    }
    outdir = argv[1];
    seeds_hypercall();
    seeds_elf_images();
    for (int i = 2; i < argc; i++)
        seed_from_guest(argv[i]);
    return 0;
}
