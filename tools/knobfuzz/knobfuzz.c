/*
 * hvsim-knobfuzz: libFuzzer over a scenario's fuzz(...) knobs (`hvsim fuzz`).
 *
 * The input is 8 bytes per knob (little-endian, missing bytes are zero);
 * knob i takes lo + value % (hi - lo + 1). The scenario runs in the
 * simulator with those values and its expectations are the oracle: when one
 * does not hold, the scenario is written out with the values filled in (a
 * plain file that `hvsim run` reproduces) and the process aborts, so that
 * libFuzzer reports the input. HVSIM_FUZZ_SCENARIO names the scenario,
 * HVSIM_FUZZ_OUT the directory for failing scenarios.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

int hvsim_run_knobs(const char *file, const char *text, size_t len,
                    const struct scn_binding *knobs);

static struct {
    const char *path, *out;
    char *text;
    size_t len;
    struct scenario tmpl;
} kf;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[1024];
    kf.path = getenv("HVSIM_FUZZ_SCENARIO");
    kf.out = getenv("HVSIM_FUZZ_OUT");
    if (!kf.path || !kf.out) {
        fprintf(stderr, "hvsim-knobfuzz: run it through `hvsim fuzz FILE.scn`\n");
        exit(2);
    }
    FILE *f = fopen(kf.path, "rb");
    if (!f) {
        perror(kf.path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    kf.text = malloc(n > 0 ? (size_t)n : 1);
    if (!kf.text || n < 0 || fread(kf.text, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: cannot read\n", kf.path);
        exit(2);
    }
    fclose(f);
    kf.len = (size_t)n;
    if (scn_parse_buffer(kf.path, kf.text, kf.len, &kf.tmpl, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        exit(2);
    }
    return 0;
}

/* The values an input gives the knobs. */
static void knob_values(const uint8_t *data, size_t size, struct scn_binding *b)
{
    memset(b, 0, sizeof(*b));
    b->nr_knobs = kf.tmpl.nr_knobs;
    for (unsigned i = 0; i < kf.tmpl.nr_knobs; i++) {
        uint64_t v = 0;
        for (unsigned k = 0; k < 8 && 8 * i + k < size; k++)
            v |= (uint64_t)data[8 * i + k] << (8 * k);
        const struct scn_knob *kn = &kf.tmpl.knobs[i];
        uint64_t span = kn->hi - kn->lo + 1; /* 0: the whole 64-bit range */
        b->knob_value[i] = kn->lo + (span ? v % span : v);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scn_binding b;
    knob_values(data, size, &b);
    int rc = hvsim_run_knobs(kf.path, kf.text, kf.len, &b);
    if (rc == 0)
        return 0;
    size_t n;
    char *text = scn_concretize(kf.text, kf.len, &kf.tmpl, b.knob_value, &n);
    const char *base = strrchr(kf.path, '/');
    base = base ? base + 1 : kf.path;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; text && i < n; i++)
        h = (h ^ (uint8_t)text[i]) * 1099511628211ull;
    char out[4096];
    snprintf(out, sizeof(out), "%s/%.*s-fail-%016llx.scn", kf.out, (int)strcspn(base, "."), base,
             (unsigned long long)h);
    FILE *f = text ? fopen(out, "w") : NULL;
    if (!f || fwrite(text, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "hvsim-knobfuzz: cannot write %s\n", out);
    } else {
        fprintf(stderr, "\nhvsim fuzz: %s with these knob values: %s\n",
                rc == 1 ? "an expectation does not hold" : "the scenario was refused", out);
        for (unsigned i = 0; i < kf.tmpl.nr_knobs; i++)
            fprintf(stderr, "  knob %u (%s, line %u) = %llu\n", i + 1, kf.tmpl.knobs[i].what,
                    kf.tmpl.knobs[i].line, (unsigned long long)b.knob_value[i]);
        fprintf(stderr, "  reproduce: hvsim run %s\n", out);
    }
    free(text);
    abort(); /* libFuzzer keeps the input as the crash artifact */
}
