/* Unit tests for record files: a written record reads back the same; damaged ones are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record.h"

static const char scn_text[] = "# a scenario\nseed = 3\n\n[domain]\nname = \"x\"\n";

static void make(struct record *r)
{
    memset(r, 0, sizeof(*r));
    strcpy(r->tool, "hvsim test");
    strcpy(r->scenario_path, "scenarios/x.scn");
    strcpy(r->knobs, "none");
    r->seed = 3;
    r->limit = 1000;
    r->nr_kernels = 3;
    strcpy(r->kernels[0].name, "x.elf");
    r->kernels[0].size = 77;
    r->kernels[0].fnv64 = 0x0123456789abcdefULL;
    strcpy(r->kernels[1].kind, "module");
    strcpy(r->kernels[1].name, "mods/a.txt");
    r->kernels[1].size = 5;
    r->kernels[1].fnv64 = 1;
    strcpy(r->kernels[2].kind, "ramdisk");
    strcpy(r->kernels[2].name, "rd.img");
    r->kernels[2].size = 0;
    r->kernels[2].fnv64 = 2;
    r->trace_hash = 0xfedcba9876543210ULL;
    r->scenario_text = strdup(scn_text);
    r->scenario_len = strlen(scn_text);
    assert_int_equal(record_add_event(r, "[    1] first", 13), 0);
    assert_int_equal(record_add_event(r, "[    2] second\\x00", strlen("[    2] second\\x00")), 0);
}

static void write_to(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void test_round_trip(void **state)
{
    struct record w, r;
    char err[256];
    make(&w);
    FILE *f = fopen("rt.rec", "w");
    assert_non_null(f);
    assert_int_equal(record_write(f, &w), 0);
    fclose(f);
    assert_int_equal(record_read("rt.rec", &r, err, sizeof(err)), 0);
    assert_string_equal(r.tool, "hvsim test");
    assert_string_equal(r.scenario_path, "scenarios/x.scn");
    assert_int_equal(r.seed, 3);
    assert_int_equal(r.limit, 1000);
    assert_int_equal(r.nr_kernels, 3);
    assert_string_equal(r.kernels[0].kind, "kernel");
    assert_string_equal(r.kernels[0].name, "x.elf");
    assert_string_equal(r.kernels[1].kind, "module");
    assert_string_equal(r.kernels[1].name, "mods/a.txt");
    assert_int_equal(r.kernels[1].size, 5);
    assert_string_equal(r.kernels[2].kind, "ramdisk");
    assert_int_equal(r.kernels[2].fnv64, 2);
    assert_int_equal(r.kernels[0].size, 77);
    assert_int_equal(r.kernels[0].fnv64, 0x0123456789abcdefULL);
    assert_int_equal(r.trace_hash, 0xfedcba9876543210ULL);
    assert_int_equal(r.scenario_len, strlen(scn_text));
    assert_memory_equal(r.scenario_text, scn_text, r.scenario_len);
    assert_int_equal(r.nr_events, 2);
    assert_string_equal(r.events[0], "[    1] first");
    assert_string_equal(r.events[1], "[    2] second\\x00");
    record_free(&r);
    record_free(&w);
    remove("rt.rec");
}

/* Each damaged record fails with path:line and a message naming the problem. */
static void test_damaged(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"hvsim-record 2\n", "rec:1: not an hvsim record"},
        {"hvsim-record 1\nseed x\n", "rec:2: bad seed 'x'"},
        {"hvsim-record 1\nfrobnicate 1\n", "rec:2: unknown line 'frobnicate 1'"},
        {"hvsim-record 1\nkernel a.elf\n", "rec:2: bad kernel line"},
        {"hvsim-record 1\nmodule a.txt 3\n", "rec:2: bad module line"},
        {"hvsim-record 1\nscenario-text 99\nabc", "rec:2: bad scenario-text size '99'"},
        {"hvsim-record 1\nscenario-text 3\nab\n\nevents 2\n[1] a\n", "rec:6: ends after 1 of 2"},
        {"hvsim-record 1\nscenario-text 3\nab\n\nevents 0\nmore\n", "rec:6: expected 'end'"},
        {"hvsim-record 1\nscenario-text 2\nabevents 0\n", "rec:2: the scenario text must be"},
        {"hvsim-record 1\nseed 1\n", "rec:2: ends before 'scenario-text'"},
    };
    char err[256];
    struct record r;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_to("rec", cases[i].text, strlen(cases[i].text));
        assert_int_equal(record_read("rec", &r, err, sizeof(err)), -1);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: error '%s' lacks '%s'", i, err, cases[i].want);
    }
    assert_int_equal(record_read("no-such.rec", &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no-such.rec:0: cannot open"));
    remove("rec");
}

static void test_fnv64(void **state)
{
    assert_int_equal(record_fnv64("", 0), 0xcbf29ce484222325ULL);
    assert_int_equal(record_fnv64("a", 1), 0xaf63dc4c8601ec8cULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_fnv64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
