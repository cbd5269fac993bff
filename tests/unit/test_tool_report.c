/* Unit tests for the results table printer (tools/lib/report.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Print to a temporary file and return what was written (caller frees). */
static char *render(const struct report_row *rows, size_t n)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    report_print(f, rows, n);
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    char *s = malloc((size_t)len + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
    s[len] = '\0';
    fclose(f);
    return s;
}

static void check(const struct report_row *rows, size_t n, const char *want)
{
    char *got = render(rows, n);
    if (strcmp(got, want))
        print_error("want:\n%s\ngot:\n%s\n", want, got);
    assert_string_equal(got, want);
    free(got);
}

static void test_two_rows(void **state)
{
    const struct report_row rows[] = {
        {"hello.scn", "hello", "SUCCESS", "SUCCESS", "poweroff", 12345, "ok", NULL, false},
        {"crash.scn", "crasher", "SUCCESS", "CRASH", "crash", 987654321, "FAIL",
         "expected SUCCESS, got CRASH", false},
    };
    check(rows, 2,
          "scenario   domain   expected  actual   shutdown      insns  verdict  note\n"
          "---------  -------  --------  -------  --------  ---------  -------  "
          "---------------------------\n"
          "hello.scn  hello    SUCCESS   SUCCESS  poweroff      12345  ok\n"
          "crash.scn  crasher  SUCCESS   CRASH    crash     987654321  FAIL     "
          "expected SUCCESS, got CRASH\n"
          "1 passed, 1 failed\n");
}

static void test_empty(void **state)
{
    check(NULL, 0,
          "scenario  domain  expected  actual  shutdown  insns  verdict  note\n"
          "--------  ------  --------  ------  --------  -----  -------  ----\n"
          "0 passed, 0 failed\n");
}

static void test_missing_fields(void **state)
{
    /* NULL cells print as "-", a NULL note as nothing; control characters become '?'. */
    const struct report_row rows[] = {
        {"a.scn", NULL, "SUCCESS", NULL, NULL, 0, NULL, "no\nexit ", false},
        {"a.scn", "b", "SKIP", "SKIP", "poweroff", 1, "ok", NULL, false},
    };
    check(rows, 2,
          "scenario  domain  expected  actual  shutdown  insns  verdict  note\n"
          "--------  ------  --------  ------  --------  -----  -------  --------\n"
          "a.scn     -       SUCCESS   -       -             0  -        no?exit\n"
          "a.scn     b       SKIP      SKIP    poweroff      1  ok\n"
          "1 passed, 1 failed\n");
}

static void test_no_insns(void **state)
{
    /* A bare-metal run has no instruction count: "-", right-aligned like the numbers. */
    const struct report_row rows[] = {
        {"a.scn", "a", "SUCCESS", "SUCCESS", "poweroff", 0, "ok", NULL, true},
        {"a.scn", "b", "SUCCESS", "SUCCESS", "poweroff", 123456, "ok", NULL, false},
    };
    check(rows, 2,
          "scenario  domain  expected  actual   shutdown   insns  verdict  note\n"
          "--------  ------  --------  -------  --------  ------  -------  ----\n"
          "a.scn     a       SUCCESS   SUCCESS  poweroff       -  ok\n"
          "a.scn     b       SUCCESS   SUCCESS  poweroff  123456  ok\n"
          "2 passed, 0 failed\n");
}

static void test_count(void **state)
{
    const struct report_row rows[] = {
        {.verdict = "ok"},
        {.verdict = "FAIL"},
        {.verdict = "ok"},
        {.verdict = NULL},
    };
    size_t passed = 99, failed = 99;
    report_count(rows, 4, &passed, &failed);
    assert_int_equal(passed, 2);
    assert_int_equal(failed, 2);
    report_count(rows, 0, &passed, NULL);
    assert_int_equal(passed, 0);

    const struct report_row big = {"s",        "d",  "SUCCESS", "SUCCESS", "poweroff",
                                   UINT64_MAX, "ok", NULL,      false};
    char *got = render(&big, 1);
    assert_non_null(strstr(got, "  18446744073709551615  ok\n1 passed, 0 failed\n"));
    free(got);
}

static void test_result_words(void **state)
{
    assert_string_equal(report_result_word(0), "SUCCESS");
    assert_string_equal(report_result_word(3), "SKIP");
    assert_string_equal(report_result_word(4), "ERROR");
    assert_string_equal(report_result_word(5), "FAILURE");
    assert_string_equal(report_result_word(6), "CRASH");
    assert_string_equal(report_result_word(1), "UNKNOWN");
    assert_string_equal(report_result_word(-1), "UNKNOWN");
    assert_string_equal(report_result_word(7), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_rows),       cmocka_unit_test(test_empty),
        cmocka_unit_test(test_missing_fields), cmocka_unit_test(test_count),
        cmocka_unit_test(test_result_words),   cmocka_unit_test(test_no_insns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
