/* Unit tests for the scenario file parser (tools/lib/scenario.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

/* One scenario at a time; it is large, so keep it off the stack. */
static struct scenario scn;
static char err[1024];

/* Parse from an exactly sized heap copy so ASan catches any read past the end. */
static int parse_len(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    err[0] = '\0';
    int rc = scn_parse_buffer("t.scn", copy, len, &scn, err, sizeof(err));
    free(copy);
    return rc;
}

static int parse(const char *text)
{
    return parse_len(text, strlen(text));
}

static void check_error_len(const char *text, size_t len, const char *want)
{
    int rc = parse_len(text, len);
    if (rc == 0 || strcmp(err, want)) {
        print_error("input:\n%.*s\nwant: %s\ngot:  %s (rc %d)\n", (int)len, text, want,
                    rc ? err : "success", rc);
        scn_free(&scn);
        fail();
    }
    /* A failed parse leaves nothing behind. */
    assert_int_equal(scn.nr_domains, 0);
    scn_free(&scn);
}

static void check_error(const char *text, const char *want)
{
    check_error_len(text, strlen(text), want);
}

static void check_ok(const char *text)
{
    if (parse(text)) {
        print_error("input:\n%s\nunexpected error: %s\n", text, err);
        fail();
    }
}

#define DOM "[domain]\nname = \"a\"\nkernel = \"k\"\nmemory = 16\n"

static const char full[] = "# full.scn: every key.\n"
                           "seed = 0x2a              # hex\n"
                           "limit = 200000000\n"
                           "machine_memory = 1G\n"
                           "\n"
                           "[domain]\n"
                           "name = \"hello\"\n"
                           "kernel = \"hello.elf\"\n"
                           "memory = 16M\n"
                           "vcpus = 2\n"
                           "extra = \"verbose \\\"quoted\\\" tab\\there\\\\ # not a comment\"\n"
                           "ramdisk = 'initrd.bin'\n"
                           "on_crash = 'preserve'\n"
                           "expect = \"SUCCESS\"\n"
                           "expect_shutdown = \"poweroff\"\n"
                           "expect_console = \"Hello from hvsim\"\n"
                           "expect_console = 'line\\n'\n"
                           "expect_no_console = \"warning:\"   # comment after value\n"
                           "\n"
                           "  [ domain ]   # second\n"
                           "name = \"second.dom-2\"\n"
                           "kernel = \"/abs/k.elf\"\n"
                           "memory = 4096\n"
                           "expect = \"CRASH\"\n"
                           "on_crash = \"coredump-restart\"\n"
                           "expect_shutdown = \"crash\"\n";

static void check_full(const struct scenario *s)
{
    assert_string_equal(s->path, "t.scn");
    assert_string_equal(s->dir, ".");
    assert_int_equal(s->seed, 42);
    assert_int_equal(s->limit, 200000000);
    assert_int_equal(s->machine_memory_mib, 1024);
    assert_int_equal(s->nr_domains, 2);

    const struct scn_domain *d = &s->domains[0];
    assert_string_equal(d->name, "hello");
    assert_string_equal(d->kernel, "hello.elf");
    assert_int_equal(d->memory_mib, 16);
    assert_int_equal(d->vcpus, 2);
    assert_string_equal(d->extra, "verbose \"quoted\" tab\there\\ # not a comment");
    assert_string_equal(d->ramdisk, "initrd.bin");
    assert_string_equal(d->on_crash, "preserve");
    assert_string_equal(d->expect, "SUCCESS");
    assert_string_equal(d->expect_shutdown, "poweroff");
    assert_int_equal(d->nr_expect_console, 2);
    assert_string_equal(d->expect_console[0], "Hello from hvsim");
    assert_string_equal(d->expect_console[1], "line\n");
    assert_int_equal(d->nr_expect_no_console, 1);
    assert_string_equal(d->expect_no_console[0], "warning:");
    assert_int_equal(d->line, 6);

    d = &s->domains[1];
    assert_string_equal(d->name, "second.dom-2");
    assert_string_equal(d->kernel, "/abs/k.elf");
    assert_int_equal(d->memory_mib, 4096);
    assert_int_equal(d->vcpus, 1);
    assert_string_equal(d->extra, "");
    assert_string_equal(d->ramdisk, "");
    assert_string_equal(d->on_crash, "coredump-restart");
    assert_string_equal(d->expect, "CRASH");
    assert_string_equal(d->expect_shutdown, "crash");
    assert_int_equal(d->nr_expect_console, 0);
    assert_int_equal(d->nr_expect_no_console, 0);
    assert_int_equal(d->line, 20);
}

static void test_full_file(void **state)
{
    check_ok(full);
    check_full(&scn);
    scn_free(&scn);
    assert_int_equal(scn.nr_domains, 0);
}

static void test_crlf(void **state)
{
    char buf[sizeof(full) * 2];
    size_t o = 0;
    for (const char *c = full; *c; c++) {
        if (*c == '\n')
            buf[o++] = '\r';
        buf[o++] = *c;
    }
    assert_int_equal(parse_len(buf, o), 0);
    check_full(&scn);
    scn_free(&scn);

    /* A CRLF line that is exactly at the length limit still fits. */
    char line[SCN_MAX_LINE + 64];
    memset(line, 0, sizeof(line));
    strcpy(line, DOM "expect_console = \"");
    size_t n = strlen(line);
    size_t start = n - strlen("expect_console = \"");
    while (n - start < SCN_MAX_LINE - 1)
        line[n++] = 'x';
    line[n++] = '"';
    line[n++] = '\r';
    line[n++] = '\n';
    assert_int_equal(parse_len(line, n), 0);
    assert_int_equal(strlen(scn.domains[0].expect_console[0]), SCN_MAX_LINE - 19);
    scn_free(&scn);
}

/* scn_key_line tells an explicit value from a default (grub-cfg relies on it). */
static void test_key_lines(void **state)
{
    check_ok("seed = 1\n\n[domain]\nname = \"a\"\nkernel = \"k\"\nmemory = 16\n"
             "expect_console = \"x\"\nvcpus = 1\nexpect_console = \"y\"\n");
    const struct scn_domain *d = &scn.domains[0];
    assert_int_equal(scn_key_line(&scn, NULL, "seed"), 1);
    assert_int_equal(scn_key_line(&scn, NULL, "limit"), 0);
    assert_int_equal(scn_key_line(&scn, d, "name"), 4);
    assert_int_equal(scn_key_line(&scn, d, "vcpus"), 8);
    assert_int_equal(scn_key_line(&scn, d, "expect_console"), 7);
    assert_int_equal(scn_key_line(&scn, d, "extra"), 0);
    assert_int_equal(scn_key_line(&scn, d, "no_such_key"), 0);
    scn_free(&scn);
}

static void test_defaults(void **state)
{
    check_ok(DOM);
    assert_int_equal(scn.seed, 1);
    assert_int_equal(scn.limit, 2000000000);
    assert_int_equal(scn.machine_memory_mib, 256);
    assert_int_equal(scn.nr_domains, 1);
    const struct scn_domain *d = &scn.domains[0];
    assert_string_equal(d->name, "a");
    assert_string_equal(d->kernel, "k");
    assert_int_equal(d->memory_mib, 16);
    assert_int_equal(d->vcpus, 1);
    assert_string_equal(d->extra, "");
    assert_string_equal(d->ramdisk, "");
    assert_string_equal(d->on_crash, "destroy");
    assert_string_equal(d->expect, "SUCCESS");
    assert_string_equal(d->expect_shutdown, "");
    assert_int_equal(d->nr_expect_console, 0);
    assert_int_equal(d->nr_expect_no_console, 0);
    assert_int_equal(d->line, 1);
    scn_free(&scn);

    /* No trailing newline, a comment on the last line, NULL path. */
    assert_int_equal(
        scn_parse_buffer(NULL, DOM "vcpus = 8 # last", strlen(DOM) + 16, &scn, err, sizeof(err)),
        0);
    assert_string_equal(scn.path, "<buffer>");
    assert_int_equal(scn.domains[0].vcpus, 8);
    scn_free(&scn);
}

static void test_numbers(void **state)
{
    check_ok("seed = 0xFFFFFFFFFFFFFFFF\nlimit = 18446744073709551615\n" DOM);
    assert_true(scn.seed == UINT64_MAX);
    assert_true(scn.limit == UINT64_MAX);
    scn_free(&scn);

    check_ok("seed = 0\nmachine_memory = 4096\n" DOM);
    assert_int_equal(scn.seed, 0);
    assert_int_equal(scn.machine_memory_mib, 4096);
    scn_free(&scn);

    check_ok("[domain]\nname = 'x'\nkernel = 'k'\nmemory = 16384K\n");
    assert_int_equal(scn.domains[0].memory_mib, 16);
    scn_free(&scn);

    check_ok("[domain]\nname = 'x'\nkernel = 'k'\nmemory = 4g\n");
    assert_int_equal(scn.domains[0].memory_mib, 4096);
    scn_free(&scn);

    check_ok("[domain]\nname = 'x'\nkernel = 'k'\nmemory = 0x10\n");
    assert_int_equal(scn.domains[0].memory_mib, 16);
    scn_free(&scn);

    check_error("seed = 99999999999999999999\n" DOM, "t.scn:1:8: number out of range");
    check_error("seed = 18446744073709551616\n" DOM, "t.scn:1:8: number out of range");
    check_error("seed = 0x10000000000000000\n" DOM, "t.scn:1:8: number out of range");
    check_error("machine_memory = 0xFFFFFFFFFFFFFFFG\n" DOM, "t.scn:1:18: number out of range");
    check_error("seed = 12abc\n" DOM, "t.scn:1:8: invalid number '12abc'");
    check_error("seed = 0x\n" DOM, "t.scn:1:8: invalid number '0x'");
    check_error("seed = 16MB\n" DOM, "t.scn:1:8: invalid number '16MB'");
    check_error("seed = -1\n" DOM, "t.scn:1:8: 'seed' cannot be negative");
    check_error("seed = 1M\n" DOM, "t.scn:1:8: 'seed' does not take a unit");
    check_error("limit = 0\n" DOM, "t.scn:1:9: 'limit' must be at least 1");
    check_error("machine_memory = 0\n" DOM,
                "t.scn:1:18: 'machine_memory' must be between 1 and 1048576 MiB");
    check_error(DOM "vcpus = 9\n", "t.scn:5:9: 'vcpus' must be between 1 and 8");
    check_error(DOM "vcpus = 0\n", "t.scn:5:9: 'vcpus' must be between 1 and 8");
    check_error(DOM "vcpus = 2M\n", "t.scn:5:9: 'vcpus' does not take a unit");
    check_error("[domain]\nname = 'x'\nkernel = 'k'\nmemory = 3\n",
                "t.scn:4:10: 'memory' must be between 4 and 4096 MiB");
    check_error("[domain]\nname = 'x'\nkernel = 'k'\nmemory = 5G\n",
                "t.scn:4:10: 'memory' must be between 4 and 4096 MiB");
    check_error("[domain]\nname = 'x'\nkernel = 'k'\nmemory = 1000K\n",
                "t.scn:4:10: 'memory' must be a whole number of MiB");
}

static void test_strings(void **state)
{
    check_ok("[domain]\nname = 'q'\nkernel = \"it's\"\nmemory = 16\n"
             "extra = 'say \"hi\" \\'x\\''\n");
    assert_string_equal(scn.domains[0].kernel, "it's");
    assert_string_equal(scn.domains[0].extra, "say \"hi\" 'x'");
    scn_free(&scn);

    check_ok("[domain]\nname='q'\nkernel='#k'#c\nmemory=16#c\nexpect_console=\"\\t\\\\\"\n");
    assert_string_equal(scn.domains[0].kernel, "#k");
    assert_string_equal(scn.domains[0].expect_console[0], "\t\\");
    scn_free(&scn);

    /* Bytes >= 0x80 (UTF-8) pass through. */
    check_ok(DOM "expect_console = \"caf\xc3\xa9\"\n");
    assert_string_equal(scn.domains[0].expect_console[0], "caf\xc3\xa9");
    scn_free(&scn);

    check_error("[domain]\nname = \"abc\n", "t.scn:2:8: unterminated string");
    check_error("[domain]\nname = 'abc", "t.scn:2:8: unterminated string");
    check_error("[domain]\nname = 'abc\\", "t.scn:2:8: unterminated string");
    check_error("[domain]\nname = 'abc\r\nkernel = 'k'\n", "t.scn:2:8: unterminated string");
    check_error("[domain]\nname = \"a\\qb\"\n", "t.scn:2:10: unknown escape '\\q' in string");
    check_error("[domain]\nname = \"a\x01\"\n", "t.scn:2:10: invalid byte 0x01 in string");
    check_error_len("[domain]\nname = \"a\0\"\n", 21, "t.scn:2:10: invalid byte 0x00 in string");
    check_error("[domain]\nname = ''\n", "t.scn:2:8: 'name' must not be empty");
    check_error("[domain]\nname = 'a'\nkernel = ''\n", "t.scn:3:10: 'kernel' must not be empty");
    check_error(DOM "ramdisk = \"\"\n", "t.scn:5:11: 'ramdisk' must not be empty");
    check_error(DOM "expect_console = \"\"\n", "t.scn:5:18: 'expect_console' must not be empty");
    check_error("[domain]\nname = 'a b'\n",
                "t.scn:2:8: invalid domain name 'a b' (use 1-31 of A-Z a-z 0-9 _ . -)");
    check_error("[domain]\nname = '0123456789012345678901234567890x'\n",
                "t.scn:2:8: 'name' is too long (max 31 bytes)");
    check_ok("[domain]\nname = '0123456789012345678901234567890'\nkernel = 'k'\nmemory = 4\n");
    scn_free(&scn);
    char extra[1100];
    int n = snprintf(extra, sizeof(extra), DOM "extra = '%01024d'\n", 0);
    check_error_len(extra, (size_t)n, "t.scn:5:9: 'extra' is too long (max 1023 bytes)");
    check_error("[domain]\nname = 16\n", "t.scn:2:8: 'name' expects a string");
    check_error("[domain]\nname = 'a'\nkernel = 'k'\nmemory = '16'\n",
                "t.scn:4:10: 'memory' expects a number");
    check_error(DOM "on_crash = preserve\n",
                "t.scn:5:12: bare word 'preserve' is not a value (strings need quotes)");
    check_error(DOM "on_crash = 'presrve'\n",
                "t.scn:5:12: invalid value 'presrve' for 'on_crash' (did you mean 'preserve'?)");
    check_error(DOM "on_crash = 'explode'\n",
                "t.scn:5:12: invalid value 'explode' for 'on_crash' (one of: destroy, restart, "
                "preserve, coredump-destroy, coredump-restart, rename-restart)");
    check_error(DOM "expect = 'success'\n",
                "t.scn:5:10: invalid value 'success' for 'expect' (did you mean 'SUCCESS'?)");
    check_error(DOM "expect_shutdown = 'halt'\n",
                "t.scn:5:19: invalid value 'halt' for 'expect_shutdown' (one of: poweroff, "
                "reboot, suspend, crash, watchdog, soft_reset, destroyed, running)");
}

static void test_structure_errors(void **state)
{
    check_error(DOM "memory = 32\n", "t.scn:5:1: duplicate key 'memory'");
    check_error(DOM "name = 'b'\n", "t.scn:5:1: duplicate key 'name'");
    check_error("seed = 1\nseed = 2\n" DOM, "t.scn:2:1: duplicate key 'seed'");
    check_error("seed = 1\n[domain]\nname = \"a\"\nmemory = 16\n",
                "t.scn:2:1: [domain] section is missing required key 'kernel'");
    check_error("\n  [domain]\nkernel = 'k'\nmemory = 16\n",
                "t.scn:2:3: [domain] section is missing required key 'name'");
    check_error("[domain]\nname = 'a'\nkernel = 'k'\n\n[domain]\nname = 'b'\n",
                "t.scn:1:1: [domain] section is missing required key 'memory'");
    check_error(DOM DOM, "t.scn:6:8: duplicate domain name 'a' (first on line 1)");
    check_error("[domain]", "t.scn:1:1: [domain] section is missing required key 'name'");
    check_error("", "t.scn:1:1: no [domain] section");
    check_error("# nothing\nseed = 3\n\n", "t.scn:1:1: no [domain] section");
    check_error(DOM "seed = 2\n", "t.scn:5:1: 'seed' must come before the first [domain]");
    check_error("memory = 16\n" DOM, "t.scn:1:1: 'memory' is only allowed in a [domain] section");
    check_error("[domian]\n", "t.scn:1:2: unknown section '[domian]' (did you mean '[domain]'?)");
    check_error("[network]\n", "t.scn:1:2: unknown section '[network]'");
    check_error("[domain\nname = 'a'\n", "t.scn:1:8: expected ']', found end of line");
    check_error("[]\n", "t.scn:1:2: expected a section name after '[', found ']'");
    check_error("[domain] x\n", "t.scn:1:10: expected end of line, found 'x'");
    check_error("seed = 1 2\n", "t.scn:1:10: expected end of line, found a number");
    check_error("seed 1\n", "t.scn:1:6: expected '=' after 'seed', found a number");
    check_error("seed = \n" DOM, "t.scn:1:8: expected a value, found end of line");
    check_error("seed =", "t.scn:1:7: expected a value, found end of file");
    check_error("= 1\n", "t.scn:1:1: expected a key or a [section], found '='");
    check_error("'x' = 1\n", "t.scn:1:1: expected a key or a [section], found a string");
    check_error_len(DOM "vcpus = 1\0\n", strlen(DOM) + 11, "t.scn:5:10: unexpected byte 0x00");
    check_error("\xff\n", "t.scn:1:1: unexpected byte 0xff");
    check_error("seed = 1 ; x\n", "t.scn:1:10: unexpected character ';'");
}

static void test_unknown_keys(void **state)
{
    check_error("[domain]\nname = 'a'\nkernel = 'k'\nmemroy = 16\n",
                "t.scn:4:1: unknown key 'memroy' (did you mean 'memory'?)");
    check_error("[domain]\nkernal = 'k'\n",
                "t.scn:2:1: unknown key 'kernal' (did you mean 'kernel'?)");
    check_error(DOM "vcpu = 2\n", "t.scn:5:1: unknown key 'vcpu' (did you mean 'vcpus'?)");
    check_error(DOM "expect_consol = 'x'\n",
                "t.scn:5:1: unknown key 'expect_consol' (did you mean 'expect_console'?)");
    check_error(DOM "  Memory = 16\n", "t.scn:5:3: unknown key 'Memory' (did you mean 'memory'?)");
    check_error("sed = 1\n" DOM, "t.scn:1:1: unknown key 'sed' (did you mean 'seed'?)");
    check_error("limt = 1\n" DOM, "t.scn:1:1: unknown key 'limt' (did you mean 'limit'?)");
    check_error("frobnicate = 1\n" DOM, "t.scn:1:1: unknown key 'frobnicate'");
    check_error("x = 1\n" DOM, "t.scn:1:1: unknown key 'x'");
}

static void test_lists(void **state)
{
    /* modules and disk take lists of strings; disk specs are checked. */
    check_error(DOM "disk = [ \"a.img\", 'b.img' ]\n",
                "t.scn:5:10: disk spec: no vdev (e.g. \"vdev=xvda\")");
    check_error(DOM "disk = \"a.img\"\n",
                "t.scn:5:8: 'disk' expects a list of strings, e.g. [\"a\", \"b\"]");
    check_error("modules = []\n" DOM, "t.scn:1:1: 'modules' is only allowed in a [domain] section");
    check_error(DOM "modules = [\n  \"a\",   # first\n\n  'b', 3,\n]\n",
                "t.scn:8:8: 'modules' entries are strings");
    check_error(DOM "disk = [ \"a\" \"b\" ]\n", "t.scn:5:14: expected ',' or ']' in list");
    check_error(DOM "disk = [ \"a\", , ]\n", "t.scn:5:15: expected a value, found ','");
    check_error(DOM "disk = [ [ ] ]\n", "t.scn:5:10: nested lists are not supported");
    check_error(DOM "disk = [ \"a\",\n", "t.scn:5:8: unterminated list");
    check_error(DOM "disk = [ x ]\n",
                "t.scn:5:10: bare word 'x' is not a value (strings need quotes)");
    check_error(DOM "disk = [ 'a' ] 'b'\n", "t.scn:5:16: expected end of line, found a string");
    check_error("[domain]\nname = [ 'a' ]\n", "t.scn:2:8: 'name' expects a string, not a list");
    check_error(DOM "vcpus = [1]\n", "t.scn:5:9: 'vcpus' expects a number, not a list");

    /* The item limit. */
    size_t cap = strlen(DOM) + 16 + 3 * (SCN_MAX_LIST + 1);
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t o = (size_t)snprintf(buf, cap, DOM "disk = [");
    for (int i = 0; i <= SCN_MAX_LIST; i++)
        o += (size_t)snprintf(buf + o, cap - o, i % 20 == 19 ? "1,\n" : "1, ");
    o += (size_t)snprintf(buf + o, cap - o, "]\n");
    int rc = parse_len(buf, o);
    free(buf);
    assert_int_equal(rc, -1);
    assert_string_equal(err, "t.scn:17:49: too many list items (max 256)");
}

static void test_limits(void **state)
{
    static char buf[64 * 1024];
    size_t o = 0;

    /* SCN_MAX_DOMAINS domains are fine, one more is not. */
    for (int i = 0; i < SCN_MAX_DOMAINS; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o,
                              "[domain]\nname = 'd%d'\nkernel = 'k'\nmemory = 4\n", i);
    assert_int_equal(parse_len(buf, o), 0);
    assert_int_equal(scn.nr_domains, SCN_MAX_DOMAINS);
    assert_string_equal(scn.domains[15].name, "d15");
    scn_free(&scn);
    o += (size_t)snprintf(buf + o, sizeof(buf) - o, "[domain]\n");
    check_error_len(buf, o, "t.scn:65:1: too many domains (max 16)");

    /* SCN_MAX_EXPECT expect_console entries are fine, one more is not. */
    o = (size_t)snprintf(buf, sizeof(buf), DOM);
    for (int i = 0; i < SCN_MAX_EXPECT; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o,
                              "expect_console = 'c%d'\n"
                              "expect_no_console = 'n%d'\n",
                              i, i);
    assert_int_equal(parse_len(buf, o), 0);
    assert_int_equal(scn.domains[0].nr_expect_console, SCN_MAX_EXPECT);
    assert_int_equal(scn.domains[0].nr_expect_no_console, SCN_MAX_EXPECT);
    assert_string_equal(scn.domains[0].expect_console[31], "c31");
    assert_string_equal(scn.domains[0].expect_no_console[31], "n31");
    scn_free(&scn);
    o += (size_t)snprintf(buf + o, sizeof(buf) - o, "expect_console = 'late'\n");
    check_error_len(buf, o, "t.scn:69:18: too many 'expect_console' entries (max 32)");

    /* Lines: 4096 bytes are fine, 4097 are not, wherever the line is. */
    o = (size_t)snprintf(buf, sizeof(buf), DOM "expect_console = '");
    size_t start = o - strlen("expect_console = '");
    while (o - start < SCN_MAX_LINE - 1)
        buf[o++] = 'x';
    buf[o++] = '\'';
    assert_int_equal(parse_len(buf, o), 0);
    scn_free(&scn);
    buf[o - 1] = 'x';
    buf[o++] = '\'';
    check_error_len(buf, o, "t.scn:5:4097: line too long (more than 4096 bytes)");
    memset(buf, '#', SCN_MAX_LINE + 1);
    check_error_len(buf, SCN_MAX_LINE + 1, "t.scn:1:4097: line too long (more than 4096 bytes)");
    check_error("[domain]\nextra = 'x\n", "t.scn:2:9: unterminated string");

    /* Error text is truncated to the caller's buffer, always terminated. */
    char small[8];
    assert_int_equal(scn_parse_buffer("t.scn", "x", 1, &scn, small, sizeof(small)), -1);
    assert_string_equal(small, "t.scn:1");
    assert_int_equal(scn_parse_buffer("t.scn", "x", 1, &scn, NULL, 0), -1);
    scn_free(NULL);
}

/* Every prefix of a valid file either parses or fails cleanly with a located message. */
static void test_truncations(void **state)
{
    size_t len = strlen(full);
    unsigned ok = 0;
    for (size_t n = 0; n <= len; n++) {
        int rc = parse_len(full, n);
        if (rc == 0) {
            ok++;
            assert_true(scn.nr_domains >= 1);
        } else {
            assert_int_equal(rc, -1);
            assert_true(strncmp(err, "t.scn:", 6) == 0);
        }
        scn_free(&scn);
    }
    /* At least the whole file, and the prefixes that end inside the last domain's tail. */
    assert_true(ok >= 2);
    assert_int_equal(parse_len(full, len), 0);
    scn_free(&scn);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*, fixed seeds: the same bytes on every host. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static void parse_any(const char *buf, size_t len)
{
    int rc = parse_len(buf, len);
    assert_true(rc == 0 || rc == -1);
    if (rc)
        assert_true(strncmp(err, "t.scn:", 6) == 0);
    scn_free(&scn);
}

static void test_random_bytes(void **state)
{
    static char buf[8192];
    static const char alphabet[] = "[]=,#'\"\\\n\r\t 0x9KMGabdemnorsy_\0";

    for (uint64_t seed = 1; seed <= 200; seed++) {
        rng_state = seed * 0x9E3779B97F4A7C15ull;
        size_t len = rng() % sizeof(buf);
        /* Raw bytes, then bytes from the format's own alphabet (which get further). */
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)rng();
        parse_any(buf, len);
        for (size_t i = 0; i < len; i++)
            buf[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
        parse_any(buf, len);
    }

    /* Mutations of the valid file: flip, insert and delete a few bytes. */
    size_t flen = strlen(full);
    for (uint64_t seed = 1; seed <= 500; seed++) {
        rng_state = seed * 0xD1B54A32D192ED03ull;
        memcpy(buf, full, flen);
        size_t len = flen;
        for (int k = 0; k < 4; k++) {
            size_t at = rng() % len;
            switch (rng() % 3) {
            case 0:
                buf[at] = (char)rng();
                break;
            case 1:
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = alphabet[rng() % (sizeof(alphabet) - 1)];
                len++;
                break;
            default:
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            }
        }
        parse_any(buf, len);
    }
}

static void test_parse_file(void **state)
{
    char dir[] = "/tmp/hvsim-scn-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/full.scn", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(full, 1, strlen(full), f);
    fclose(f);

    assert_int_equal(scn_parse_file(path, &scn, err, sizeof(err)), 0);
    assert_string_equal(scn.path, path);
    assert_string_equal(scn.dir, dir);
    assert_int_equal(scn.nr_domains, 2);
    scn_free(&scn);

    f = fopen(path, "wb");
    assert_non_null(f);
    fputs(DOM "vcpus = 10\n", f);
    fclose(f);
    assert_int_equal(scn_parse_file(path, &scn, err, sizeof(err)), -1);
    char want[512];
    snprintf(want, sizeof(want), "%s:5:9: 'vcpus' must be between 1 and 8", path);
    assert_string_equal(err, want);
    unlink(path);

    assert_int_equal(scn_parse_file(path, &scn, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
    assert_string_equal(err, want);

    assert_int_equal(scn_parse_file(dir, &scn, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: cannot read: Is a directory", dir);
    assert_string_equal(err, want);
    rmdir(dir);

    assert_int_equal(scn_parse_buffer("/x.scn", DOM, strlen(DOM), &scn, err, sizeof(err)), 0);
    assert_string_equal(scn.dir, "/");
    scn_free(&scn);
    assert_int_equal(scn_parse_buffer("a/b/c.scn", DOM, strlen(DOM), &scn, err, sizeof(err)), 0);
    assert_string_equal(scn.dir, "a/b");
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),    cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),      cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_unknown_keys), cmocka_unit_test(test_lists),
        cmocka_unit_test(test_limits),       cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_random_bytes), cmocka_unit_test(test_parse_file),
        cmocka_unit_test(test_key_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
