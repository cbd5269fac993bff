/* Unit tests for hvsim run --plot (tools/lib/plot.c): what is collected, the SVG bytes,
 * escaping, thinning, files. */
#define _GNU_SOURCE /* open_memstream */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot.h"
#include "public/xen.h"

#define MS 1000000ull

/* A probe without a machine: port 3 is every vCPU's VIRQ_TIMER port, and a singleshot's
 * argument "points" at its own deadline (0 cannot be read). */
static bool fake_timer_port(void *user, uint16_t dom, uint16_t vcpu, uint32_t port)
{
    (void)user;
    (void)dom;
    (void)vcpu;
    return port == 3;
}

static bool fake_singleshot(void *user, const struct trace_rec *r, uint64_t *ns)
{
    (void)user;
    *ns = r->args[2];
    return r->args[2] != 0;
}

static const struct plot_probe fake = {.timer_port = fake_timer_port,
                                       .singleshot_deadline = fake_singleshot};

static void feed(struct plot *p, struct trace_rec r, uint64_t now)
{
    assert_int_equal(plot_event_sink(p, &r, now), 0);
}

static void set_timer(struct plot *p, uint16_t dom, uint64_t deadline, uint64_t now)
{
    feed(p,
         (struct trace_rec){.kind = TR_HYPERCALL,
                            .dom = dom,
                            .nr = __HYPERVISOR_set_timer_op,
                            .nargs = 1,
                            .args = {deadline}},
         now);
}

static void event(struct plot *p, uint16_t dom, uint32_t port, uint64_t now)
{
    feed(p, (struct trace_rec){.kind = TR_EVENT, .dom = dom, .nr = port, .args = {1}}, now);
}

static void console(struct plot *p, uint16_t dom, unsigned source, const char *text, uint64_t now)
{
    feed(p,
         (struct trace_rec){
             .kind = TR_CONSOLE, .dom = dom, .nr = source, .text = text, .textlen = strlen(text)},
         now);
}

static void shutdown_rec(struct plot *p, uint16_t dom, unsigned reason, uint64_t now)
{
    feed(p, (struct trace_rec){.kind = TR_SHUTDOWN, .dom = dom, .nr = reason}, now);
}

/* The SVG of p (caller frees); asserts it was written. */
static char *render(const struct plot *p, size_t *len)
{
    char *buf = NULL, err[256] = "";
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    int rc = plot_write_svg(p, f, err, sizeof(err));
    assert_int_equal(fclose(f), 0);
    if (rc)
        print_error("plot_write_svg: %s\n", err);
    assert_int_equal(rc, 0);
    if (len)
        *len = n;
    return buf;
}

static void has(const char *svg, const char *want)
{
    if (!strstr(svg, want))
        print_error("missing: %s\n", want);
    assert_non_null(strstr(svg, want));
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *q = s; (q = strstr(q, what)); q += strlen(what))
        n++;
    return n;
}

/* A tick every 10 ms for 1 s: the deadline 10 ms ahead, the timer event when it fires. */
static void ticking(struct plot *p)
{
    plot_init(p, "ticks.scn", &fake);
    plot_name_domain(p, 1, "ticker");
    for (uint64_t k = 0; k < 100; k++) {
        set_timer(p, 1, k * 10 * MS + 10 * MS, k * 10 * MS);
        event(p, 1, 3, k * 10 * MS + 10 * MS);
    }
    shutdown_rec(p, 1, SHUTDOWN_poweroff, 1000 * MS);
    plot_finish(p, 1000 * MS);
}

static void test_deterministic_bytes(void **state)
{
    static struct plot a, b;
    ticking(&a);
    ticking(&b);
    size_t la, lb;
    char *sa = render(&a, &la), *sb = render(&b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(sa, sb, la);
    char *again = render(&a, NULL);
    assert_string_equal(sa, again);
    static const char head[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"528\" ";
    assert_memory_equal(sa, head, sizeof(head) - 1);
    /* x: 0 .. 1.025 s over 600 px from x=80; y: 0 .. 1.025 s over 300 px up from y=404. The
     * first deadline (10 ms at 0 ns) is 10e6 * 3000 / 1.025e9 = 29.3 tenths above the bottom. */
    has(sa, "stroke-linecap=\"round\" d=\"M80 401.1h0.1M");
    /* The last (1 s at 990 ms): x = 80 + 990 * 600 / 1025 = 659.5, y = 404 - 300 / 1.025. */
    has(sa, "M659.5 111.3h0.1\"/>");
    has(sa, "<title>ticks.scn: guest-observed time against virtual time</title>");
    has(sa, "domain ticker (d1)");
    has(sa, "timer deadline requested: 100</text>");
    has(sa, "VIRQ_TIMER events sent: 100</text>");
    has(sa, "console lines with \"warning:\": 0</text>");
    has(sa, "shutdown poweroff at 1.000000 s</text>");
    has(sa, "(s since boot)");
    /* Ticks every 100 ms, labelled in seconds with one decimal. */
    has(sa, ">0.0</text>");
    has(sa, ">1.0</text>");
    assert_null(strstr(sa, "around its first warning")); /* no warning, no detail panel */
    assert_int_equal(sa[la - 1], '\n');
    has(sa + la - 7, "</svg>\n");
    free(sa);
    free(sb);
    free(again);
    plot_free(&a);
    plot_free(&b);
}

static void test_units(void **state)
{
    static struct plot p;
    plot_init(&p, "short", &fake);
    set_timer(&p, 1, 20000, 1000);
    plot_finish(&p, 14000); /* 14 us */
    char *s = render(&p, NULL);
    has(s, "(\xc2\xb5s since boot)");
    has(s, "guest-observed time (\xc2\xb5s)");
    has(s, ">2</text>"); /* a tick every 2 us, whole numbers */
    has(s, "domain (unnamed) (d1)");
    has(s, "still running when the run ended at 0.000014 s");
    free(s);
    plot_free(&p);
}

static void test_what_is_collected(void **state)
{
    static struct plot p;
    plot_init(&p, "t", &fake);
    set_timer(&p, 2, 0, 5); /* 0 cancels: no deadline */
    set_timer(&p, 2, 7 * MS, 6);
    /* VCPUOP_set_singleshot_timer: the probe reads the deadline; a failed call has none. */
    feed(&p,
         (struct trace_rec){.kind = TR_HYPERCALL,
                            .dom = 2,
                            .nr = __HYPERVISOR_vcpu_op,
                            .nargs = 3,
                            .args = {VCPUOP_set_singleshot_timer, 0, 9 * MS}},
         8);
    feed(&p,
         (struct trace_rec){.kind = TR_HYPERCALL,
                            .dom = 2,
                            .nr = __HYPERVISOR_vcpu_op,
                            .nargs = 3,
                            .args = {VCPUOP_set_singleshot_timer, 0, 11 * MS},
                            .result = -XEN_EINVAL},
         9);
    feed(&p,
         (struct trace_rec){.kind = TR_HYPERCALL,
                            .dom = 2,
                            .nr = __HYPERVISOR_vcpu_op,
                            .nargs = 3,
                            .args = {VCPUOP_set_periodic_timer, 0, 12 * MS}},
         9);
    event(&p, 2, 3, 10);
    event(&p, 2, 4, 11); /* not the timer port */
    /* The first console line comes through console_io: ring copies are not read again. */
    console(&p, 2, TR_CON_HYPERCALL,
            "[time] warning: nsec 0x000000000076a95b < lastnsec "
            "0x00000000ffddfcfb",
            20);
    console(&p, 2, TR_CON_RING,
            "[time] warning: nsec 0x000000000076a95b < lastnsec "
            "0x00000000ffddfcfb",
            21);
    console(&p, 2, TR_CON_HYPERCALL, "the Mach clock stopped; 405 warnings", 22); /* no colon */
    console(&p, 2, TR_CON_HYPERCALL, "WARNING: something else", 23);
    console(&p, 2, TR_CON_HYPERCALL, "warning: nsec 0x00000000076a95b < lastnsec 0x1", 24);
    console(&p, 2, TR_CON_HYPERCALL,
            "warning: nsec 0x00000000000000001 < lastnsec 0x0000000000000002", 25);
    feed(&p, (struct trace_rec){.kind = TR_CRASH, .dom = 2, .text = "bad <rip>", .textlen = 9}, 30);
    shutdown_rec(&p, 2, SHUTDOWN_crash, 31);
    plot_finish(&p, 40);

    assert_int_equal(p.nr_doms, 1);
    const struct plot_domain *d = &p.doms[0];
    assert_int_equal(d->domid, 2);
    assert_int_equal(d->series[PLOT_DEADLINE].n, 2);
    assert_int_equal(d->series[PLOT_DEADLINE].v[0].x, 6);
    assert_int_equal(d->series[PLOT_DEADLINE].v[0].y, 7 * MS);
    assert_int_equal(d->series[PLOT_DEADLINE].v[1].y, 9 * MS);
    assert_int_equal(d->timer_events.n, 1);
    assert_int_equal(d->timer_events.v[0], 10);
    assert_int_equal(d->warnings.n, 4);
    assert_int_equal(d->series[PLOT_NSEC].n, 1);
    assert_int_equal(d->series[PLOT_NSEC].v[0].y, 0x76a95b);
    assert_int_equal(d->series[PLOT_LASTNSEC].n, 1);
    assert_int_equal(d->series[PLOT_LASTNSEC].v[0].y, 0xffddfcfb);
    assert_int_equal(d->first_warning_ns, 20);
    assert_true(d->crashed && d->shut_down);
    assert_int_equal(p.end_ns, 40);

    char *s = render(&p, NULL);
    has(s, "first warning at 0.000000 s: [time] warning: nsec 0x000000000076a95b &lt; lastnsec "
           "0x00000000ffddfcfb</text>");
    has(s, "nsec in GNU Mach warning: 1</text>");
    has(s, "lastnsec in GNU Mach warning: 1</text>");
    has(s, "console lines with \"warning:\": 4</text>");
    has(s, "crash: bad &lt;rip&gt;</text>");
    has(s, "crashed at 0.000000 s</text>");
    has(s, "shutdown crash at 0.000000 s</text>");
    has(s, "domain (unnamed) (d2): the 100 ms of virtual time around its first warning");
    free(s);
    plot_free(&p);
}

static void test_escaping(void **state)
{
    static struct plot p;
    /* Entities, a control byte, a tab, good UTF-8 (2 and 4 bytes), a stray byte, a
     * surrogate, U+FFFF and a sequence cut short by the end. */
    plot_init(&p,
              "a<b & \"c\" 'd' >\x01\tx \xc3\xa9 \xf0\x9f\x98\x80 \xff \xed\xa0\x80 \xef\xbf\xbf "
              "\xe2\x82",
              &fake);
    plot_name_domain(&p, 1, "h");
    plot_finish(&p, 1000);
    char *s = render(&p, NULL);
    has(s, "<title>a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;? x \xc3\xa9 \xf0\x9f\x98\x80 "
           "\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
           "\xef\xbf\xbd\xef\xbf\xbd: guest-observed");
    for (const char *q = s; *q; q++)
        assert_true((unsigned char)*q >= 0x20 || *q == '\n');
    free(s);
    plot_free(&p);

    /* Long texts are cut after 100 characters (the title), not in the middle of one. */
    char title[400] = "";
    for (int i = 0; i < 120; i++)
        strcat(title, "\xc3\xa9");
    plot_init(&p, title, &fake);
    s = render(&p, NULL);
    char want[300] = "<title>";
    for (int i = 0; i < 100; i++)
        strcat(want, "\xc3\xa9");
    strcat(want, "...: guest-observed");
    has(s, want);
    has(s, "no domain produced a trace record");
    free(s);
    plot_free(&p);
}

/* A 64-bit LCG: deterministic scatter. */
static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 11;
}

static void test_thinning(void **state)
{
    static struct plot p;
    plot_init(&p, "long run", &fake);
    plot_name_domain(&p, 1, "steady");
    plot_name_domain(&p, 2, "scatter");
    /* 360000 ticks of 10 ms (an hour): deadlines on a line, timer events, warnings. */
    for (uint64_t k = 0; k < 360000; k++) {
        uint64_t t = k * 10 * MS;
        set_timer(&p, 1, t + 10 * MS, t);
        event(&p, 1, 3, t + 10 * MS);
        if (k % 3 == 0)
            console(&p, 1, TR_CON_HYPERCALL, "warning: late", t);
    }
    /* 100000 deadlines anywhere below the end: more occupied pixels than dots allowed. */
    uint64_t x = 1;
    for (uint64_t k = 0; k < 100000; k++)
        set_timer(&p, 2, lcg(&x) % (3600000 * MS) + 1, k * 36 * MS);
    plot_finish(&p, 3600000 * MS);
    size_t len;
    char *s = render(&p, &len);
    assert_true(len < 200000);
    /* Steady: about a dot per pixel column; the timer events one rug of 300 bins; the
     * warnings one tick per column. Scatter: one min-max bar per column. */
    const char *steady = strstr(s, "domain steady"), *scatter = strstr(s, "domain scatter");
    assert_non_null(steady);
    assert_non_null(scatter);
    assert_true(count(s, "h0.1") < 2 * 600 + 20);
    assert_true(count(s, "V") < 3000);
    assert_int_equal(count(s, "<path stroke=\"#1f77b4\" stroke-width=\"1.5\" d=\""), 1);
    has(s, "timer deadline requested: 360000</text>");
    has(s, "VIRQ_TIMER events sent: 360000</text>");
    has(s, "console lines with \"warning:\": 120000</text>");
    has(s, "timer deadline requested: 100000</text>");
    free(s);
    plot_free(&p);
}

static void test_off_scale(void **state)
{
    static struct plot p;
    plot_init(&p, "huge", &fake);
    set_timer(&p, 1, 5 * MS, 1 * MS);
    set_timer(&p, 1, 1ull << 63, 2 * MS);             /* negative: Xen's "huge" timeout */
    set_timer(&p, 1, (1ull << 50) + 10 * MS, 3 * MS); /* 2^50 ns past the end */
    plot_finish(&p, 10 * MS);
    char *s = render(&p, NULL);
    has(s, "timer deadline requested: 3, 2 above the scale</text>");
    has(s, "<path fill=\"#1f77b4\" d=\"M");
    has(s, "(ms since boot)"); /* the scale is the run's, not the huge values' */
    free(s);
    plot_free(&p);
}

static void test_too_many_domains(void **state)
{
    static struct plot p;
    plot_init(&p, "many", &fake);
    for (uint16_t d = 1; d <= PLOT_MAX_DOMAINS + 1; d++)
        set_timer(&p, d, 5, 1);
    char err[128];
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(plot_write_svg(&p, f, err, sizeof(err)), -1);
    fclose(f);
    assert_string_equal(err, "no plot: more than 64 domains to draw");
    plot_free(&p);
}

static void test_run_path(void **state)
{
    char out[32];
    assert_int_equal(plot_run_path("x.svg", 3, out, sizeof(out)), 0);
    assert_string_equal(out, "x-3.svg");
    assert_int_equal(plot_run_path("a.b/plot", 12, out, sizeof(out)), 0);
    assert_string_equal(out, "a.b/plot-12");
    assert_int_equal(plot_run_path(".svg", 1, out, sizeof(out)), 0);
    assert_string_equal(out, ".svg-1");
    assert_int_equal(plot_run_path("a-very-long-file-name.svg", 100, out, 16), -1);
}

#define DIR "test_tool_plot.dir"

static bool exists(const char *path)
{
    struct stat st;
    return !stat(path, &st);
}

static void test_files(void **state)
{
    static struct plot p;
    char err[512];
    ticking(&p);
    mkdir(DIR, 0777);
    unlink(DIR "/ok.svg");
    assert_int_equal(plot_check_path(DIR "/ok.svg", err, sizeof(err)), 0);
    assert_false(exists(DIR "/ok.svg.tmp"));
    assert_false(exists(DIR "/ok.svg"));
    assert_int_equal(plot_save(&p, DIR "/ok.svg", err, sizeof(err)), 0);
    assert_true(exists(DIR "/ok.svg"));
    assert_false(exists(DIR "/ok.svg.tmp"));

    assert_int_equal(plot_check_path(DIR "/none/x.svg", err, sizeof(err)), -1);
    assert_string_equal(err, "hvsim: " DIR "/none/x.svg: No such file or directory");
    assert_int_equal(plot_save(&p, DIR "/none/x.svg", err, sizeof(err)), -1);
    assert_string_equal(err, "hvsim: " DIR "/none/x.svg: No such file or directory");

    /* A directory in the way: refused before the run, and at the end nothing is left. */
    mkdir(DIR "/sub.svg", 0777);
    assert_int_equal(plot_check_path(DIR "/sub.svg", err, sizeof(err)), -1);
    assert_string_equal(err, "hvsim: " DIR "/sub.svg: Is a directory");
    assert_int_equal(plot_save(&p, DIR "/sub.svg", err, sizeof(err)), -1);
    assert_string_equal(err, "hvsim: " DIR "/sub.svg: Is a directory");
    assert_false(exists(DIR "/sub.svg.tmp"));

    /* A plot that cannot be drawn leaves no file either. */
    static struct plot bad;
    plot_init(&bad, "many", &fake);
    for (uint16_t d = 1; d <= PLOT_MAX_DOMAINS + 1; d++)
        set_timer(&bad, d, 5, 1);
    assert_int_equal(plot_save(&bad, DIR "/bad.svg", err, sizeof(err)), -1);
    assert_string_equal(err, "hvsim: " DIR "/bad.svg: no plot: more than 64 domains to draw");
    assert_false(exists(DIR "/bad.svg"));
    assert_false(exists(DIR "/bad.svg.tmp"));

    unlink(DIR "/ok.svg");
    rmdir(DIR "/sub.svg");
    assert_int_equal(rmdir(DIR), 0);
    plot_free(&bad);
    plot_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic_bytes),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_what_is_collected),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_thinning),
        cmocka_unit_test(test_off_scale),
        cmocka_unit_test(test_too_many_domains),
        cmocka_unit_test(test_run_path),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
