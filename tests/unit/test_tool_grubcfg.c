/* Unit tests for the bare-metal grub.cfg writer (tools/lib/grubcfg.c). */
#define _GNU_SOURCE /* mkdtemp, open_memstream */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grubcfg.h"
#include "scenario.h"

/*
 * Every test runs inside a fresh temporary directory holding small fake
 * kernels, so scenario paths (and so the generated text) are the same on
 * every machine.  grubcfg only needs the kernels to exist.
 */
static char tmpdir[64];
static char olddir[PATH_MAX];
static struct scenario scns[3];
static char err[4096];

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not really an ELF\n", f);
    fclose(f);
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/hvsim-grubcfg-XXXXXX");
    if (!getcwd(olddir, sizeof(olddir)) || !mkdtemp(tmpdir) || chdir(tmpdir))
        return -1;
    mkdir("a", 0700);
    mkdir("b", 0700);
    mkdir("guests", 0700);
    touch("hello.elf");
    touch("other.elf");
    touch("a/hello.elf");
    touch("b/hello.elf");
    touch("guests/traps.elf");
    touch("bad name.elf");
    touch("hvsim-hv.elf");
    memset(scns, 0, sizeof(scns));
    return 0;
}

static int teardown(void **state)
{
    for (unsigned i = 0; i < 3; i++)
        scn_free(&scns[i]);
    static const char *const files[] = {"hello.elf",   "other.elf",        "a/hello.elf",
                                        "b/hello.elf", "guests/traps.elf", "bad name.elf",
                                        "hvsim-hv.elf"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        unlink(files[i]);
    rmdir("a");
    rmdir("b");
    rmdir("guests");
    if (chdir(olddir))
        return -1;
    return rmdir(tmpdir);
}

static void parse(unsigned i, const char *path, const char *text)
{
    if (scn_parse_buffer(path, text, strlen(text), &scns[i], err, sizeof(err))) {
        print_error("parse %s: %s\n", path, err);
        fail();
    }
}

static const char *const search[] = {"guests"};
static const struct grubcfg_options opts = {.search_dirs = search, .nr_search_dirs = 1};

static void check_cfg(unsigned n, const struct grubcfg_options *o, const char *want_cfg,
                      const char *want_files)
{
    struct grubcfg_output out;
    if (grubcfg_generate(scns, n, o, &out, err, sizeof(err))) {
        print_error("unexpected error: %s\n", err);
        fail();
    }
    if (strcmp(out.cfg, want_cfg))
        print_error("want:\n%s\ngot:\n%s\n", want_cfg, out.cfg);
    assert_string_equal(out.cfg, want_cfg);
    if (want_files)
        assert_string_equal(out.files, want_files);
    grubcfg_free(&out);
    assert_null(out.cfg);
}

static void check_error(unsigned n, const char *want)
{
    struct grubcfg_output out;
    err[0] = 0;
    int rc = grubcfg_generate(scns, n, &opts, &out, err, sizeof(err));
    if (rc == 0 || strcmp(err, want))
        print_error("want error: %s\ngot:        %s (rc %d)\n", want, rc ? err : "success", rc);
    assert_int_equal(rc, -1);
    assert_string_equal(err, want);
    /* Nothing is handed back on an error. */
    assert_null(out.cfg);
    assert_null(out.files);
}

#define HEADER                                                                                     \
    "# One module2 line per domain: its kernel, name=, memory= (MiB), and vcpus= and\n"            \
    "# extra= when the scenario sets them. GRUB drops the single quotes and expands\n"             \
    "# nothing inside them; it passes an argument holding a space to the kernel as\n"              \
    "# \"key=value\". GRUB stays on its default terminal: the serial line carries\n"               \
    "# only the hypervisor's output.\n"                                                            \
    "set timeout=0\n"                                                                              \
    "set default=0\n"

static void test_one_scenario(void **state)
{
    parse(0, "hello.scn",
          "seed = 3\nlimit = 1000\n"
          "[domain]\nname = \"hello\"\nkernel = \"hello.elf\"\nmemory = 16\n"
          "expect_shutdown = \"poweroff\"\nexpect_console = \"Hello\"\n");
    check_cfg(1, &opts,
              "# grub.cfg for hvsim's bare-metal build, written by `hvsim grub-cfg` from:\n"
              "#   hello.scn\n" HEADER "\n"
              "# hello.scn\n"
              "# simulator-only, not used here: seed = 3, limit = 1000\n"
              "menuentry 'hvsim: hello.scn' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu\n"
              "    # hello: expect SUCCESS, shutdown poweroff, 1 console check\n"
              "    module2 /boot/hello.elf name=hello memory=16M\n"
              "    boot\n"
              "}\n",
              "./hello.elf\n");
}

static void test_all_entry_first(void **state)
{
    parse(0, "one.scn",
          "[domain]\nname = \"a\"\nkernel = \"hello.elf\"\nmemory = 16\n"
          "[domain]\nname = \"b\"\nkernel = \"traps.elf\"\nmemory = 1G\nvcpus = 2\n"
          "expect = \"SKIP\"\n");
    parse(1, "two.scn",
          "slice = 20\nmachine_memory = 64\n"
          "[domain]\nname = \"c\"\nkernel = \"./hello.elf\"\nmemory = 4\nvcpus = 1\n"
          "expect_no_console = \"x\"\nexpect_console = \"y\"\n");
    /* hello.elf named twice is one file; traps.elf comes from the search directory. */
    check_cfg(2, &opts,
              "# grub.cfg for hvsim's bare-metal build, written by `hvsim grub-cfg` from:\n"
              "#   one.scn\n"
              "#   two.scn\n" HEADER "\n"
              "menuentry 'hvsim: all of 2 scenarios' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu\n"
              "    # one.scn\n"
              "    # a: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=a memory=16M\n"
              "    # b: expect SKIP\n"
              "    module2 /boot/traps.elf name=b memory=1024M vcpus=2\n"
              "    # two.scn\n"
              "    # c: expect SUCCESS, 2 console checks\n"
              "    module2 /boot/hello.elf name=c memory=4M vcpus=1\n"
              "    boot\n"
              "}\n"
              "\n"
              "# one.scn\n"
              "menuentry 'hvsim: one.scn' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu\n"
              "    # a: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=a memory=16M\n"
              "    # b: expect SKIP\n"
              "    module2 /boot/traps.elf name=b memory=1024M vcpus=2\n"
              "    boot\n"
              "}\n"
              "\n"
              "# two.scn\n"
              "# simulator-only, not used here: slice = 20, machine_memory = 64 MiB\n"
              "menuentry 'hvsim: two.scn' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu\n"
              "    # c: expect SUCCESS, 2 console checks\n"
              "    module2 /boot/hello.elf name=c memory=4M vcpus=1\n"
              "    boot\n"
              "}\n",
              "./hello.elf\nguests/traps.elf\n");
}

static void test_extra_quoting(void **state)
{
    /* extra as GRUB must see it: one word, nothing expanded, quotes and backslashes kept. */
    parse(0, "q.scn",
          "[domain]\nname = \"q\"\nkernel = \"hello.elf\"\nmemory = 16\n"
          "extra = \"a b 'c' \\\"d\\\" $HOME \\${x} \\\\ #e\"\n"
          "[domain]\nname = \"plain\"\nkernel = \"hello.elf\"\nmemory = 16\n"
          "extra = \"iters=10,verbose\"\n");
    struct grubcfg_options o = opts;
    o.hv_args = "  console=com1   loglvl=all x$y ";
    check_cfg(1, &o,
              "# grub.cfg for hvsim's bare-metal build, written by `hvsim grub-cfg` from:\n"
              "#   q.scn\n" HEADER "\n"
              "# q.scn\n"
              "menuentry 'hvsim: q.scn' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 loglvl=all 'x$y'\n"
              "    # q: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=q memory=16M "
              "'extra=a b '\\''c'\\'' \"d\" $HOME ${x} \\ #e'\n"
              "    # plain: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=plain memory=16M extra=iters=10,verbose\n"
              "    boot\n"
              "}\n",
              NULL);
}

static char *word(const char *s)
{
    static char buf[256];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    assert_non_null(f);
    grubcfg_put_word(f, s);
    fclose(f);
    return buf;
}

static void test_put_word(void **state)
{
    assert_string_equal(word("name=hello"), "name=hello");
    assert_string_equal(word("a,b:c/d+e-f_g.h"), "a,b:c/d+e-f_g.h");
    assert_string_equal(word(""), "''");
    assert_string_equal(word("a b"), "'a b'");
    assert_string_equal(word("it's"), "'it'\\''s'");
    assert_string_equal(word("'"), "''\\'''");
    assert_string_equal(word("$x"), "'$x'");
    assert_string_equal(word("a;b"), "'a;b'");
    assert_string_equal(word("{x}"), "'{x}'");
    assert_string_equal(word("caf\xc3\xa9"), "'caf\xc3\xa9'");
}

static void test_comments_stay_comments(void **state)
{
    /* A scenario path with a line break must not end a comment and start a GRUB command. */
    parse(0, "x\nboot\n.scn", "[domain]\nname = \"x\"\nkernel = \"/dev/null\"\nmemory = 16\n");
    struct grubcfg_output out;
    /* /dev/null: 'null' is a usable file name, and the file exists everywhere. */
    assert_int_equal(grubcfg_generate(scns, 1, &opts, &out, err, sizeof(err)), 0);
    assert_non_null(strstr(out.cfg, "#   x?boot?.scn\n"));
    assert_non_null(strstr(out.cfg, "menuentry 'hvsim: x?boot?.scn' {\n"));
    assert_null(strstr(out.cfg, "\nboot"));
    assert_string_equal(out.files, "/dev/null\n");
    grubcfg_free(&out);
}

static void test_unsupported(void **state)
{
    parse(0, "r.scn",
          "[domain]\nname = \"r\"\nkernel = \"hello.elf\"\nmemory = 16\n\n"
          "disk = [\"other.elf,raw,xvda,rw\", \"other.elf,qcow2,xvdb,rw\"]\n");
    check_error(1, "r.scn:6: domain 'r': disk 2: only raw images are supported (a qcow, qcow2, "
                   "vhd or qed image needs a format driver hvsim does not have)");
    scn_free(&scns[0]);

    parse(0, "s.scn",
          "[domain]\nname = \"s\"\nkernel = \"hello.elf\"\nmemory = 16\n"
          "disk = [\"vdev=xvda, target=gone.img\"]\n");
    check_error(1, "s.scn:5: disk 'gone.img' not found (looked in ., guests)");
    scn_free(&scns[0]);

    parse(0, "m.scn",
          "[domain]\nname = \"m\"\nkernel = \"hello.elf\"\nmemory = 16\n"
          "modules = [\"other.elf\", \"other.elf a\\x01b\"]\n");
    check_error(1, "m.scn:5: module 2 holds a control character (byte 0x01), which a GRUB "
                   "command line cannot pass on");
    scn_free(&scns[0]);

    parse(0, "n.scn",
          "[domain]\nname = \"n\"\nkernel = \"hello.elf\"\nmemory = 16\n"
          "modules = [\"missing.bin\"]\n");
    check_error(1, "n.scn:5: modules 'missing.bin' not found (looked in ., guests)");
    scn_free(&scns[0]);

    parse(0, "c.scn",
          "[domain]\nname = \"c\"\nkernel = \"hello.elf\"\nmemory = 16\non_crash = \"restart\"\n");
    check_error(1, "c.scn:5: on_crash = \"restart\" is not supported on bare metal (a crashed "
                   "domain is always destroyed there)");
    scn_free(&scns[0]);

    parse(0, "t.scn",
          "[domain]\nname = \"t\"\nkernel = \"hello.elf\"\nmemory = 16\nextra = \"a\\tb\"\n");
    check_error(1, "t.scn:5: 'extra' holds a control character (byte 0x09), which a GRUB "
                   "command line cannot pass on");
    scn_free(&scns[0]);

    /* Saying the default out loud is fine. */
    parse(0, "d.scn",
          "[domain]\nname = \"d\"\nkernel = \"hello.elf\"\nmemory = 16\non_crash = \"destroy\"\n");
    struct grubcfg_output out;
    assert_int_equal(grubcfg_generate(scns, 1, &opts, &out, err, sizeof(err)), 0);
    grubcfg_free(&out);
}

static void test_modules_and_ramdisk(void **state)
{
    /* Each boot module and the ramdisk is one more GRUB module naming its domain. */
    parse(0, "m.scn",
          "[domain]\nname = \"m\"\nkernel = \"hello.elf\"\nmemory = 16\n"
          "modules = [\"other.elf --verbose x=1\", \"hello.elf\"]\n"
          "[domain]\nname = \"r\"\nkernel = \"hello.elf\"\nmemory = 16\nramdisk = \"other.elf\"\n");
    check_cfg(1, &opts,
              "# grub.cfg for hvsim's bare-metal build, written by `hvsim grub-cfg` from:\n"
              "#   m.scn\n" HEADER "\n"
              "# m.scn\n"
              "menuentry 'hvsim: m.scn' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu\n"
              "    # m: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=m memory=16M\n"
              "    module2 /boot/other.elf bootmod=m 'cmdline=other.elf --verbose x=1'\n"
              "    module2 /boot/hello.elf bootmod=m cmdline=hello.elf\n"
              "    # r: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=r memory=16M\n"
              "    module2 /boot/other.elf ramdisk=r\n"
              "    boot\n"
              "}\n",
              "./hello.elf\n./other.elf\n"); /* each file once, however often it is named */
}

static void test_disks(void **state)
{
    /* Each disk is one more GRUB module: GRUB loads the file anew for each, so two disks
       from one image are two copies. */
    parse(0, "d.scn",
          "[domain]\nname = \"d\"\nkernel = \"hello.elf\"\nmemory = 16\n"
          "disk = [\"other.elf,raw,xvda,rw\", \"format=raw, vdev=xvdb, access=ro, "
          "target=other.elf\"]\n");
    check_cfg(1, &opts,
              "# grub.cfg for hvsim's bare-metal build, written by `hvsim grub-cfg` from:\n"
              "#   d.scn\n" HEADER "\n"
              "# d.scn\n"
              "menuentry 'hvsim: d.scn' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu\n"
              "    # d: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=d memory=16M\n"
              "    module2 /boot/other.elf disk=d vdev=xvda access=rw\n"
              "    module2 /boot/other.elf disk=d vdev=xvdb access=ro\n"
              "    boot\n"
              "}\n",
              "./hello.elf\n./other.elf\n");
}

static void test_duplicate_names(void **state)
{
    parse(0, "one.scn", "[domain]\nname = \"x\"\nkernel = \"hello.elf\"\nmemory = 16\n");
    parse(1, "two.scn", "[domain]\nname = \"y\"\nkernel = \"hello.elf\"\nmemory = 16\n");
    parse(2, "three.scn",
          "[domain]\nname = \"z\"\nkernel = \"hello.elf\"\nmemory = 16\n"
          "[domain]\nkernel = \"hello.elf\"\nmemory = 16\nname = \"y\"\n");
    check_error(3, "three.scn:8: duplicate domain name 'y' (also in two.scn:2)");
}

static void test_kernel_files(void **state)
{
    parse(0, "m.scn", "[domain]\nname = \"m\"\nkernel = \"missing.elf\"\nmemory = 16\n");
    check_error(1, "m.scn:3: kernel 'missing.elf' not found (looked in ., guests)");
    scn_free(&scns[0]);

    parse(0, "abs.scn", "[domain]\nname = \"m\"\nkernel = \"/nonexistent/k.elf\"\nmemory = 16\n");
    check_error(1, "abs.scn:3: kernel '/nonexistent/k.elf' not found");
    scn_free(&scns[0]);

    parse(0, "sp.scn", "[domain]\nname = \"s\"\nmemory = 16\nkernel = \"bad name.elf\"\n");
    check_error(1, "sp.scn:4: kernel file name 'bad name.elf' cannot be used on the ISO (it must "
                   "be made of A-Z a-z 0-9 _ . + - and not be hvsim-hv.elf or grub)");
    scn_free(&scns[0]);

    parse(0, "hv.scn", "[domain]\nname = \"s\"\nmemory = 16\nkernel = \"hvsim-hv.elf\"\n");
    check_error(1, "hv.scn:4: kernel file name 'hvsim-hv.elf' cannot be used on the ISO (it must "
                   "be made of A-Z a-z 0-9 _ . + - and not be hvsim-hv.elf or grub)");
    scn_free(&scns[0]);

    /* Two different files would land on the same /boot path. */
    parse(0, "clash.scn",
          "[domain]\nname = \"a\"\nkernel = \"a/hello.elf\"\nmemory = 16\n"
          "[domain]\nname = \"b\"\nkernel = \"b/hello.elf\"\nmemory = 16\n");
    check_error(1, "clash.scn:7: kernel './b/hello.elf' and './a/hello.elf' (clash.scn:3) are "
                   "different files but would both be /boot/hello.elf");
}

static void test_clock_groups(void **state)
{
    /* a and c keep the default clock and boot together; b has its own clock and its own boot,
     * so it may reuse a name from the other group. */
    parse(0, "a.scn", "[domain]\nname = \"x\"\nkernel = \"hello.elf\"\nmemory = 16\n");
    parse(1, "b.scn",
          "tsc_khz = 3000000\ntime_refresh = \"frozen\"\n"
          "[domain]\nname = \"x\"\nkernel = \"hello.elf\"\nmemory = 16\n");
    parse(2, "c.scn", "[domain]\nname = \"y\"\nkernel = \"hello.elf\"\nmemory = 16\n");
    check_cfg(3, &opts,
              "# grub.cfg for hvsim's bare-metal build, written by `hvsim grub-cfg` from:\n"
              "#   a.scn\n"
              "#   b.scn\n"
              "#   c.scn\n" HEADER "\n"
              "menuentry 'hvsim: 2 scenarios with the default clock' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu\n"
              "    # a.scn\n"
              "    # x: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=x memory=16M\n"
              "    # c.scn\n"
              "    # y: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=y memory=16M\n"
              "    boot\n"
              "}\n"
              "\n"
              "# a.scn\n"
              "menuentry 'hvsim: a.scn' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu\n"
              "    # x: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=x memory=16M\n"
              "    boot\n"
              "}\n"
              "\n"
              "# b.scn\n"
              "menuentry 'hvsim: b.scn' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu tsc_khz=3000000 "
              "time_refresh=frozen\n"
              "    # x: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=x memory=16M\n"
              "    boot\n"
              "}\n"
              "\n"
              "# c.scn\n"
              "menuentry 'hvsim: c.scn' {\n"
              "    multiboot2 /boot/hvsim-hv.elf console=com1 exit=qemu\n"
              "    # y: expect SUCCESS\n"
              "    module2 /boot/hello.elf name=y memory=16M\n"
              "    boot\n"
              "}\n",
              "./hello.elf\n");
    /* Within one clock, names still clash. */
    scn_free(&scns[2]);
    parse(2, "c.scn", "[domain]\nname = \"x\"\nkernel = \"hello.elf\"\nmemory = 16\n");
    check_error(3, "c.scn:2: duplicate domain name 'x' (also in a.scn:2)");
}

static void test_skip_sim_only(void **state)
{
    parse(0, "sw.scn",
          "sweep s = [1, 2]\nseed = $s\n"
          "[domain]\nname = \"x\"\nkernel = \"hello.elf\"\nmemory = 16\n");
    parse(1, "ok.scn", "[domain]\nname = \"y\"\nkernel = \"hello.elf\"\nmemory = 16\n");
    /* Without the option a sweep is an error; with it, it is left out and named. */
    check_error(2, "sw.scn:1: sweeps need the simulator (not on bare metal; one boot per run: "
                   "hvsim pin --run K)");
    struct grubcfg_options o = opts;
    o.skip_sim_only = true;
    struct grubcfg_output out;
    assert_int_equal(grubcfg_generate(scns, 2, &o, &out, err, sizeof(err)), 0);
    assert_string_equal(out.skipped, "sw.scn:1: sweeps need the simulator (not on bare metal; one "
                                     "boot per run: hvsim pin --run K)\n");
    assert_non_null(strstr(out.cfg, "\n# Left out: they need the simulator.\n#   sw.scn\n"));
    assert_null(strstr(out.cfg, "menuentry 'hvsim: sw.scn'"));
    assert_non_null(strstr(out.cfg, "menuentry 'hvsim: ok.scn'"));
    assert_null(strstr(out.cfg, "scenarios with")); /* one booted scenario: no combined entry */
    grubcfg_free(&out);
    assert_null(out.skipped);
    /* Nothing left to boot is an error that says why. */
    assert_int_equal(grubcfg_generate(scns, 1, &o, &out, err, sizeof(err)), -1);
    assert_string_equal(err, "no scenario can boot on bare metal (sw.scn:1: sweeps need the "
                             "simulator (not on bare metal; one boot per run: hvsim pin --run K))");
    assert_null(out.cfg);
}

static void test_no_scenarios(void **state)
{
    check_error(0, "no scenario");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_scenario, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_entry_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extra_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_word, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comments_stay_comments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kernel_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_scenarios, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_sim_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modules_and_ramdisk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
