/* Unit tests for scenario language v1: clock keys, modules/disk, [timeline], [expect], sweeps,
 * fuzz knobs and writing a knob-free copy (tools/lib/scenario.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

static struct scenario scn;
static char err[1024];

#define DOM "[domain]\nname = \"a\"\nkernel = \"k\"\nmemory = 16\n"
#define DOM2 "[domain]\nname = \"b-2\"\nkernel = \"k\"\nmemory = 16\nvcpus = 2\n"

static int parse_bound(const char *text, const struct scn_binding *b)
{
    size_t len = strlen(text);
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    err[0] = '\0';
    int rc = scn_parse_bound("t.scn", copy, len, b, &scn, err, sizeof(err));
    free(copy);
    return rc;
}

static void check_ok(const char *text)
{
    if (parse_bound(text, NULL)) {
        print_error("input:\n%s\nunexpected error: %s\n", text, err);
        fail();
    }
}

static void check_error(const char *text, const char *want)
{
    int rc = parse_bound(text, NULL);
    if (rc == 0 || strcmp(err, want)) {
        print_error("input:\n%s\nwant: %s\ngot:  %s\n", text, want, rc ? err : "success");
        scn_free(&scn);
        fail();
    }
    assert_int_equal(scn.nr_domains, 0);
    scn_free(&scn);
}

static void test_clock_keys(void **state)
{
    (void)state;
    check_ok(DOM);
    assert_int_equal(scn.tsc_khz, 3000000);
    assert_int_equal(scn.tsc_start, 0);
    assert_int_equal(scn.cycles_per_insn, 1);
    assert_int_equal(scn.refresh, SCN_REFRESH_XEN);
    scn_free(&scn);

    check_ok("[machine]\ntsc_khz = 100000\ntsc_start = 0xFFFFFFFA00000000\ncycles_per_insn = 3\n"
             "time_refresh = \"periodic:250\"\nwallclock = 1234567890\nwallclock_nsec = 5\n" DOM);
    assert_int_equal(scn.tsc_khz, 100000);
    assert_true(scn.tsc_start == 0xFFFFFFFA00000000ull);
    assert_int_equal(scn.cycles_per_insn, 3);
    assert_int_equal(scn.refresh, SCN_REFRESH_PERIODIC);
    assert_int_equal(scn.refresh_period_ms, 250);
    assert_int_equal(scn.wallclock_sec, 1234567890);
    assert_int_equal(scn.wallclock_nsec, 5);
    scn_free(&scn);

    check_ok("time_refresh = 'frozen'\n" DOM);
    assert_int_equal(scn.refresh, SCN_REFRESH_FROZEN);
    scn_free(&scn);
    check_ok("time_refresh = 'on-timer'\n" DOM);
    assert_int_equal(scn.refresh, SCN_REFRESH_ON_TIMER);
    scn_free(&scn);

    check_error("tsc_khz = 99999\n" DOM,
                "t.scn:1:11: 'tsc_khz' must be between 100000 and 10000000");
    check_error("tsc_khz = 10000001\n" DOM,
                "t.scn:1:11: 'tsc_khz' must be between 100000 and 10000000");
    check_error("cycles_per_insn = 0\n" DOM,
                "t.scn:1:19: 'cycles_per_insn' must be between 1 and 1000");
    check_error("time_refresh = 'frozn'\n" DOM,
                "t.scn:1:16: invalid value 'frozn' for 'time_refresh' (did you mean 'frozen'?)");
    check_error("time_refresh = 'periodic:0'\n" DOM,
                "t.scn:1:16: 'periodic:<ms>' needs a whole number of milliseconds, 1 to 60000");
    check_error("time_refresh = 'periodic:x'\n" DOM,
                "t.scn:1:16: 'periodic:<ms>' needs a whole number of milliseconds, 1 to 60000");
    check_error("time_refresh = 'sometimes'\n" DOM,
                "t.scn:1:16: invalid value 'sometimes' for 'time_refresh' (one of: xen, "
                "periodic:<ms>, on-timer, frozen)");
    check_error("wallclock_nsec = 1000000000\n" DOM,
                "t.scn:1:18: 'wallclock_nsec' must be between 0 and 999999999");
    check_error(DOM "[machine]\n",
                "t.scn:5:1: [machine] must be the first section (and appear only once)");
    check_error(DOM "tsc_khz = 100000\n",
                "t.scn:5:1: 'tsc_khz' must come before the first [domain]");
    check_error("tsc_khz = 1ms\n" DOM, "t.scn:1:11: 'tsc_khz' does not take a unit");
    check_error("tsc_kzh = 1\n" DOM, "t.scn:1:1: unknown key 'tsc_kzh' (did you mean 'tsc_khz'?)");
}

static void test_modules_disk(void **state)
{
    (void)state;
    check_ok(DOM "modules = [\"initrd.img\", 'extra.bin']\n"
                 "disk = ['root.img,raw,xvda,rw', 'format=qcow2, vdev=xvdb, target=data.q']\n");
    assert_int_equal(scn.domains[0].nr_modules, 2);
    assert_string_equal(scn.domains[0].modules[1], "extra.bin");
    assert_int_equal(scn.domains[0].nr_disks, 2);
    assert_string_equal(scn.domains[0].disks[0], "root.img,raw,xvda,rw");
    scn_free(&scn);
    check_error(DOM "disk = ['root.img,raw,xvda,rw,x']\n",
                "t.scn:5:9: disk spec: too many positional parameters (target,format,vdev,access)");
    check_error(DOM "disk = ['vdev=xvda,targte=x']\n",
                "t.scn:5:9: disk spec: unknown key 'targte' (did you mean 'target'?)");
    check_error(DOM "disk = ['x.img,raw,xvda,rx']\n", "t.scn:5:9: disk spec: invalid access 'rx'");
    check_error(DOM "disk = ['x.img,rav,xvda']\n", "t.scn:5:9: disk spec: invalid format 'rav'");
    check_error(DOM "disk = ['format=raw,vdev=xvda']\n",
                "t.scn:5:9: disk spec: no target (the image file)");
    check_error(DOM "modules = ['']\n", "t.scn:5:12: 'modules' entries must not be empty");
}

static void test_timeline(void **state)
{
    (void)state;
    check_ok(DOM DOM2 "[timeline]\n"
                      "at 10ms pause a\n"
                      "at 20ms unpause \"a\"\n"
                      "at 1s send 'b-2' 3   # a name with '-' needs quotes\n"
                      "at 2us tsc_jump -1000\n"
                      "at 3ns tsc_warp 'b-2' 1 +0x10\n"
                      "at 4s write a 0x1000 \"\\x90\\x01ab\"\n"
                      "at 5s write a 0x2000 [1, 2, 0xff]\n"
                      "on hypercall sched_op block in a count 3 destroy a\n"
                      "on trap GP pause 'b-2'\n"
                      "on trap \"#PF\" in 'b-2' stop\n"
                      "on console \"ready\" in a stop\n"
                      "on event 5 stop\n"
                      "on emulate rdtsc count 2 stop\n"
                      "on shutdown crash stop\n"
                      "on hypercall console_io stop\n"
                      "at 6s stop\n");
    assert_int_equal(scn.nr_actions, 16);
    struct scn_action *a = scn.actions;
    assert_int_equal(a[0].kind, SCN_ACT_PAUSE);
    assert_true(a[0].at_ns == 10000000);
    assert_int_equal(a[0].dom, 0);
    assert_int_equal(a[1].kind, SCN_ACT_UNPAUSE);
    assert_int_equal(a[2].kind, SCN_ACT_SEND);
    assert_int_equal(a[2].dom, 1);
    assert_int_equal(a[2].port, 3);
    assert_true(a[2].at_ns == 1000000000);
    assert_int_equal(a[3].kind, SCN_ACT_TSC_JUMP);
    assert_true(a[3].delta == -1000);
    assert_true(a[3].at_ns == 2000);
    assert_int_equal(a[4].kind, SCN_ACT_TSC_WARP);
    assert_int_equal(a[4].vcpu, 1);
    assert_true(a[4].delta == 16);
    assert_int_equal(a[5].nbytes, 4);
    assert_memory_equal(a[5].bytes,
                        "\x90\x01"
                        "ab",
                        4);
    assert_true(a[5].addr == 0x1000);
    assert_int_equal(a[6].nbytes, 3);
    assert_int_equal(a[6].bytes[2], 0xff);
    assert_true(a[7].on_event);
    assert_int_equal(a[7].when.kind, SCN_EV_HYPERCALL);
    assert_int_equal(a[7].when.nr, 29);
    assert_true(a[7].when.has_sub);
    assert_int_equal(a[7].when.sub, 1);
    assert_int_equal(a[7].when.dom, 0);
    assert_int_equal(a[7].count, 3);
    assert_int_equal(a[7].kind, SCN_ACT_DESTROY);
    assert_string_equal(a[7].when.desc, "hypercall sched_op block in a");
    assert_int_equal(a[8].when.kind, SCN_EV_TRAP);
    assert_int_equal(a[8].when.nr, 13);
    assert_int_equal(a[8].when.dom, -1);
    assert_int_equal(a[9].when.nr, 14);
    assert_int_equal(a[9].when.dom, 1);
    assert_string_equal(a[10].when.text, "ready");
    assert_int_equal(a[11].when.nr, 5);
    assert_int_equal(a[12].when.nr, 1);
    assert_int_equal(a[12].count, 2);
    assert_int_equal(a[13].when.kind, SCN_EV_SHUTDOWN);
    assert_true(a[13].when.has_nr);
    assert_int_equal(a[13].when.nr, 3);
    assert_false(a[14].when.has_sub);
    assert_int_equal(a[15].kind, SCN_ACT_STOP);
    assert_string_equal(a[0].text, "at 10ms pause a");
    scn_free(&scn);

    check_error(DOM "[timeline]\nat 10 pause a\n",
                "t.scn:6:4: the time needs a time unit (ns, us, ms or s)");
    check_error(DOM "[timeline]\nat 10ms pase a\n",
                "t.scn:6:9: unknown action 'pase' (did you mean 'pause'?)");
    check_error(DOM "[timeline]\nat 10ms pause c\n", "t.scn:6:15: no domain named 'c'");
    check_error(DOM "[timeline]\nafter 10ms pause a\n",
                "t.scn:6:1: a timeline line starts with 'at' or 'on', not 'after'");
    check_error(DOM "[timeline]\non hypercall sched_op blok stop\n",
                "t.scn:6:23: unknown sub-op 'blok' (did you mean 'block'?)");
    check_error(DOM "[timeline]\non hypercal sched_op stop\n",
                "t.scn:6:4: unknown event 'hypercal' (did you mean 'hypercall'?)");
    check_error(DOM "[timeline]\non trap QQQ stop\n", "t.scn:6:9: unknown vector 'QQQ'");
    check_error(DOM "[timeline]\nat 1s send a 0\n",
                "t.scn:6:14: 'a port' must be between 1 and 4095");
    check_error(
        DOM "[timeline]\nat 1s write a 0 []\n",
        "t.scn:6:17: write needs 1 to 4096 bytes: a string (\"\\x90\\x90\") or a list of bytes");
    check_error(DOM "[timeline]\nat 1s write a 0 [256]\n",
                "t.scn:6:18: 'a byte' must be between 0 and 255");
    check_error(DOM "[timeline]\nat 1s stop extra\n",
                "t.scn:6:12: expected end of line, found 'extra'");
    check_error(DOM "[timeline]\nat 1s tsc_warp a 8 1\n",
                "t.scn:6:18: 'a vCPU number' must be between 0 and 7");
    check_error(DOM "[timeline]\nat 1s tsc_jump 0x8000000000000000\n",
                "t.scn:6:16: 'a TSC delta in cycles' must be between -2^63 and 2^63-1");
    check_error(DOM "[timeline]\nname = 'x'\n",
                "t.scn:6:1: a timeline line starts with 'at' or 'on', not 'name'");
    check_error(DOM "[timeline]\non console \"\" stop\n",
                "t.scn:6:12: the console text must not be empty");
    check_error(DOM "[timeline]\nat 1s write a 0 \"\\x9\"\n",
                "t.scn:6:18: '\\x' needs two hex digits");
}

static void test_expect(void **state)
{
    (void)state;
    check_ok(DOM "[expect]\n"
                 "count hypercall sched_op block in a during 0s..500ms >= 3\n"
                 "never trap GP in a\n"
                 "count event from 1s < 10\n"
                 "count console 'tick' == 4\n"
                 "count hypercall vcpu_op set_periodic_timer != 0\n"
                 "count emulate rdtsc <= 100\n"
                 "count crash > 0\n");
    assert_int_equal(scn.nr_texpects, 7);
    struct scn_trace_expect *e = scn.texpects;
    assert_int_equal(e[0].cmp, SCN_GE);
    assert_int_equal(e[0].n, 3);
    assert_true(e[0].from_ns == 0 && e[0].to_ns == 500000000);
    assert_int_equal(e[1].cmp, SCN_EQ);
    assert_int_equal(e[1].n, 0);
    assert_true(e[1].to_ns == UINT64_MAX);
    assert_true(e[2].from_ns == 1000000000);
    assert_int_equal(e[2].cmp, SCN_LT);
    assert_int_equal(e[3].cmp, SCN_EQ);
    assert_int_equal(e[4].cmp, SCN_NE);
    assert_int_equal(e[4].pat.sub, 6);
    assert_int_equal(e[5].cmp, SCN_LE);
    assert_int_equal(e[6].cmp, SCN_GT);
    assert_string_equal(e[0].text, "count hypercall sched_op block in a during 0s..500ms >= 3");
    scn_free(&scn);

    check_error(DOM "[expect]\ncount trap GP 3\n",
                "t.scn:6:15: expected a comparison (>=, <=, ==, !=, >, <), found a number");
    check_error(DOM "[expect]\ncount trap GP during 2s..1s == 0\n",
                "t.scn:6:24: the window A..B needs A < B");
    check_error(DOM "[expect]\nalways trap GP\n",
                "t.scn:6:1: an [expect] line starts with 'count' or 'never', not 'always'");
    check_error(DOM "[expect]\ncount trap GP ! 1\n",
                "t.scn:6:15: unexpected character '!' (did you mean '!='?)");
    check_error(DOM "[expect]\nnever trap GP in z\n", "t.scn:6:18: no domain named 'z'");
}

static void test_sweeps(void **state)
{
    (void)state;
    check_ok("sweep khz = 100000..300000 step 100000\nsweep n = [1, 2]\n"
             "tsc_khz = $khz\n" DOM "extra = \"hz=${khz} n=${n} cost=\\$5\"\n"
             "vcpus = $n\n");
    assert_int_equal(scn.nr_sweeps, 2);
    assert_int_equal(scn.nr_runs, 6);
    assert_int_equal(scn.tsc_khz, 100000);
    assert_string_equal(scn.domains[0].extra, "hz=100000 n=1 cost=$5");
    struct scn_binding b;
    scn_run_binding(&scn, 5, &b);
    assert_int_equal(b.nr_sweeps, 2);
    assert_true(b.sweep_value[0] == 300000 && b.sweep_value[1] == 2);
    scn_run_binding(&scn, 1, &b);
    assert_true(b.sweep_value[0] == 100000 && b.sweep_value[1] == 2);
    scn_free(&scn);

    const char *text = "sweep khz = [100000, 200000]\ntsc_khz = $khz\n" DOM;
    struct scn_binding bind = {.nr_sweeps = 1, .sweep_name = {"khz"}, .sweep_value = {200000}};
    assert_int_equal(parse_bound(text, &bind), 0);
    assert_int_equal(scn.tsc_khz, 200000);
    scn_free(&scn);
    bind.sweep_value[0] = 5;
    assert_int_equal(parse_bound(text, &bind), -1);
    assert_string_equal(err, "t.scn:2:11: 'tsc_khz' must be between 100000 and 10000000 "
                             "(sweep 'khz' = 5)");

    /* A sweep with a unit: each value is used as if written with it. */
    check_ok("sweep t = 1ms..5ms step 2ms\n" DOM "[timeline]\nat $t stop\n");
    assert_int_equal(scn.sweeps[0].nr_values, 3);
    assert_true(scn.actions[0].at_ns == 1000000);
    scn_free(&scn);
}

static void test_sweep_errors(void **state)
{
    (void)state;
    check_error("sweep x = [1, 2]\n" DOM,
                "t.scn:1:1: sweep 'x' is never used (write $x where a value should vary)");
    check_error("tsc_khz = $y\n" DOM,
                "t.scn:1:12: unknown sweep variable 'y' (a sweep line must define it first)");
    check_error("sweep x = 5..1 step 1\nseed = $x\n" DOM,
                "t.scn:1:21: a sweep A..B step S needs A <= B and S >= 1");
    check_error("sweep x = 1..5 step 0\nseed = $x\n" DOM,
                "t.scn:1:21: a sweep A..B step S needs A <= B and S >= 1");
    check_error("sweep x = [1, 2ms]\nseed = $x\n" DOM,
                "t.scn:1:15: every value of a sweep has the same unit");
    check_error("sweep x = 1..2000 step 1\nseed = $x\n" DOM,
                "t.scn:1:11: a sweep takes 1 to 1024 values (this one has 2000)");
    check_error("sweep x = [1]\nsweep x = [2]\nseed = $x\n" DOM, "t.scn:2:7: duplicate sweep 'x'");
    check_error(DOM "sweep x = [1]\n",
                "t.scn:5:1: 'sweep' lines belong in the global part or [machine]");
    check_error("sweep x = 'a'\n" DOM, "t.scn:1:11: a sweep is A..B step S or a list of numbers");
    check_error("sweep a = 1..64 step 1\nsweep b = 1..64 step 1\nsweep c = 1..2 step 1\n"
                "seed = $a\nslice = $b\nlimit = $c\n" DOM,
                "t.scn:3:1: the sweeps make more than 4096 runs");
    check_error(DOM "extra = \"${x}\"\n", "t.scn:5:10: unknown sweep variable 'x'");
    check_error("seed = $ x\n" DOM, "t.scn:1:8: expected a sweep variable name right after '$'");
}

static void test_knobs(void **state)
{
    (void)state;
    const char *text = "tsc_start = fuzz(u64)\ntsc_khz = fuzz(1000000..3000000)\n" DOM
                       "[timeline]\nat fuzz(1ms..2s) tsc_jump fuzz(-100..100)\n";
    assert_int_equal(parse_bound(text, NULL), 0);
    assert_int_equal(scn.nr_knobs, 4);
    assert_true(scn.knobs[0].lo == 0 && scn.knobs[0].hi == UINT64_MAX);
    assert_string_equal(scn.knobs[0].what, "tsc_start");
    assert_true(scn.knobs[1].lo == 1000000 && scn.knobs[1].hi == 3000000);
    assert_int_equal(scn.tsc_khz, 1000000);
    assert_true(scn.knobs[2].lo == 1000000 && scn.knobs[2].hi == 2000000000);
    assert_int_equal(scn.knobs[2].unit, 'n');
    assert_string_equal(scn.knobs[2].what, "timeline line 8");
    assert_int_equal(scn.knobs[3].unit, '-');
    assert_true((int64_t)scn.knobs[3].lo == -100 && scn.knobs[3].hi == 100);
    assert_true(scn.actions[0].delta == -100);
    assert_int_equal(scn.knobs[1].line, 2);
    assert_int_equal(scn.knobs[1].col, 11);

    uint64_t vals[4] = {0xFFFFFFFFFFFFFFFFull, 2500000, 1500000, (uint64_t)-7};
    size_t n;
    char *c = scn_concretize(text, strlen(text), &scn, vals, &n);
    assert_non_null(c);
    assert_string_equal(c, "tsc_start = 18446744073709551615\ntsc_khz = 2500000\n" DOM
                           "[timeline]\nat 1500000ns tsc_jump -7\n");
    scn_free(&scn);
    /* The written copy parses, with the values in place and no knobs left. */
    assert_int_equal(parse_bound(c, NULL), 0);
    assert_int_equal(scn.nr_knobs, 0);
    assert_int_equal(scn.tsc_khz, 2500000);
    assert_true(scn.actions[0].at_ns == 1500000 && scn.actions[0].delta == -7);
    scn_free(&scn);
    free(c);

    struct scn_binding b = {.nr_knobs = 2, .knob_value = {5, 2000000}};
    assert_int_equal(parse_bound(text, &b), 0);
    assert_int_equal(scn.tsc_start, 5);
    assert_int_equal(scn.tsc_khz, 2000000);
    scn_free(&scn);
    b.knob_value[1] = 3000001;
    assert_int_equal(parse_bound(text, &b), -1);
    assert_string_equal(err, "t.scn:2:11: knob 2 (tsc_khz) value 3000001 is outside its range");

    check_error("tsc_khz = fuzz(1..3000000)\n" DOM,
                "t.scn:1:11: 'tsc_khz' must be between 100000 and 10000000 (in fuzz(...))");
    check_error("seed = fuzz(5..1)\n" DOM, "t.scn:1:8: fuzz(A..B) needs A <= B");
    check_error("seed = fuzz(u32)\n" DOM,
                "t.scn:1:13: expected a number in fuzz(...), found 'u32'");
    check_error("seed = fuzz(1 2)\n" DOM,
                "t.scn:1:15: expected '..' in fuzz(A..B), found a number");
    check_error("seed = fuzz(1..2\n" DOM,
                "t.scn:1:17: expected ')' to close fuzz(, found end of line");
    check_error("seed = fuzz\n" DOM, "t.scn:1:12: expected '(' after 'fuzz', found end of line");
    check_error("seed = fuzz(\n" DOM, "t.scn:1:8: unterminated fuzz(");
}

/* hvsim pin: each sweep narrowed to one run's value, everything else byte for byte. */
static void test_pin_run(void **state)
{
    (void)state;
    const char *text =
        "sweep khz = 100000..300000 step 100000  # three\n"
        "sweep t = [\n  1ms,\n  3ms\n]\ntsc_khz = $khz\n" DOM "[timeline]\nat $t stop\n";
    check_ok(text);
    assert_int_equal(scn.nr_runs, 6);
    size_t n;
    char *pinned = scn_pin_run(text, strlen(text), &scn, 3, &n);
    assert_non_null(pinned);
    assert_int_equal(n, strlen(pinned));
    char want[512];
    snprintf(want, sizeof(want),
             "sweep khz = [200000]  # three\nsweep t = [3ms]\ntsc_khz = $khz\n%s"
             "[timeline]\nat $t stop\n",
             DOM);
    assert_string_equal(pinned, want);
    assert_null(scn_pin_run(text, strlen(text), &scn, 6, &n)); /* no run 7 */
    scn_free(&scn);
    /* The pinned text is one run, the original's run 4. */
    check_ok(pinned);
    assert_int_equal(scn.nr_runs, 1);
    assert_int_equal(scn.tsc_khz, 200000);
    assert_true(scn.actions[0].at_ns == 3000000);
    scn_free(&scn);
    free(pinned);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_keys), cmocka_unit_test(test_modules_disk),
        cmocka_unit_test(test_timeline),   cmocka_unit_test(test_expect),
        cmocka_unit_test(test_sweeps),     cmocka_unit_test(test_sweep_errors),
        cmocka_unit_test(test_knobs),      cmocka_unit_test(test_pin_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
