/* Guest test "xenstore": the xenstore daemon as a PV guest sees it through its store ring. */

/*
 * What it checks, with the runtime's xenbus client (lib/xenbus.c):
 * - the toolstack's nodes: "domid" and "name" in the domain's directory,
 *   and GET_DOMAIN_PATH(domid) = "/local/domain/<domid>", the base that
 *   relative paths use (the same values read both ways);
 * - write, read back, overwrite, an empty value, a value longer than the
 *   1 KiB ring (both directions then wrap the rings), MKDIR, DIRECTORY (the
 *   children, in any order), RM of a node and of a subtree;
 * - errors by name: writing under /local/domain/0 (not ours) is EACCES,
 *   reading a missing node is ENOENT;
 * - a watch fires once as soon as it is set, then for a write below it, not
 *   for a write elsewhere, and no more once it is removed; one set by a
 *   relative path names relative paths in its events;
 * - a transaction's write is seen inside it and not outside until it
 *   commits; a watch fires at the commit, not at the write; an aborted
 *   transaction leaves nothing behind.
 * A FAILURE line names the request, the path and what came back instead.
 * A daemon that never answers makes the client give up after a bounded
 * number of polls (a FAILURE), never a hang.
 */
#include "xtf.h"
#include "xenbus.h"

const char test_title[] =
    "Xenstore: paths, values, directories, permissions, watches, transactions";

static char home[32]; /* "/local/domain/<domid>" */

/* home + "/" + rel in a rotating set of buffers, so several may be used in one call. */
static const char *abs_path(const char *rel)
{
    static char bufs[4][128];
    static unsigned int next;
    char *b = bufs[next++ % ARRAY_SIZE(bufs)];

    snprintf(b, sizeof(bufs[0]), "%s/%s", home, rel);
    return b;
}

static bool check_ok(const char *what, const char *path, int rc)
{
    if (rc >= 0)
        return true;
    xtf_failure("%s %s: error %s (%d)", what, path, xenbus_strerror(rc), rc);
    return false;
}

static bool check_read(xenbus_transaction_t t, const char *path, const char *want)
{
    char buf[128];
    int rc = xenbus_read(t, path, buf, sizeof(buf));

    if (!check_ok("read", path, rc))
        return false;
    if (strcmp(buf, want) || (size_t)rc != strlen(want)) {
        xtf_failure("read %s: '%s' (%d bytes), expected '%s'", path, buf, rc, want);
        return false;
    }
    return true;
}

/* The request failed with XS_ERROR `name` (and the client's code for it). */
static bool check_xs_error(const char *what, const char *path, int rc, const char *name, int err)
{
    if (rc >= 0) {
        xtf_failure("%s %s: succeeded, expected %s", what, path, name);
        return false;
    }
    if (strcmp(xenbus_errstr(), name) || rc != -err) {
        xtf_failure("%s %s: error '%s' (%d), expected %s", what, path, xenbus_strerror(rc), rc,
                    name);
        return false;
    }
    return true;
}

static bool check_missing(xenbus_transaction_t t, const char *path)
{
    char buf[64];

    return check_xs_error("read", path, xenbus_read(t, path, buf, sizeof(buf)), "ENOENT",
                          XEN_ENOENT);
}

static void test_identity(void)
{
    char name[64], dompath[64], domid_str[16];
    uint64_t domid;
    int rc;

    rc = xenbus_read_u64(XBT_NIL, "domid", &domid);
    if (!check_ok("read", "domid", rc) || !check_true("domid fits a domid_t", domid < 0x7ff0))
        return;
    rc = xenbus_read(XBT_NIL, "name", name, sizeof(name));
    if (!check_ok("read", "name", rc))
        return;
    printk("domid %u, name \"%s\"\n", (unsigned int)domid, name);

    rc = xenbus_get_domain_path((domid_t)domid, dompath, sizeof(dompath));
    if (!check_ok("GET_DOMAIN_PATH", "domid", rc))
        return;
    snprintf(home, sizeof(home), "/local/domain/%u", (unsigned int)domid);
    if (strcmp(dompath, home))
        xtf_failure("GET_DOMAIN_PATH(%u): '%s', expected '%s'", (unsigned int)domid, dompath, home);
    printk("domain path %s\n", dompath);

    /* The same nodes by absolute path. */
    snprintf(domid_str, sizeof(domid_str), "%u", (unsigned int)domid);
    if (check_read(XBT_NIL, abs_path("domid"), domid_str) &&
        check_read(XBT_NIL, abs_path("name"), name))
        printk("domid and name read the same by absolute path\n");
}

static void test_values(void)
{
    static char long_value[1500], long_back[1600];
    char buf[64];
    int rc;

    /* Relative and absolute paths name the same node, either way round. */
    if (check_ok("write", "data/greeting", xenbus_write(XBT_NIL, "data/greeting", "hello")) &&
        check_read(XBT_NIL, abs_path("data/greeting"), "hello") &&
        check_ok("write", abs_path("data/answer"),
                 xenbus_write(XBT_NIL, abs_path("data/answer"), "42")) &&
        check_read(XBT_NIL, "data/answer", "42"))
        printk("relative and absolute paths agree\n");

    if (check_ok("write", "data/greeting",
                 xenbus_printf(XBT_NIL, "data/greeting", "%s %d", "bye", 7)) &&
        check_read(XBT_NIL, "data/greeting", "bye 7") &&
        check_ok("write", "data/empty", xenbus_write(XBT_NIL, "data/empty", "")) &&
        check_read(XBT_NIL, "data/empty", ""))
        printk("overwrite and empty value read back\n");

    /* Longer than the 1024-byte rings: request and reply each wrap. */
    for (unsigned int i = 0; i < sizeof(long_value) - 1; i++)
        long_value[i] = (char)('a' + i % 26);
    rc = xenbus_write(XBT_NIL, "data/long", long_value);
    if (check_ok("write", "data/long (1499 bytes)", rc)) {
        rc = xenbus_read(XBT_NIL, "data/long", long_back, sizeof(long_back));
        if (check_ok("read", "data/long", rc)) {
            if (rc != (int)strlen(long_value) || strcmp(long_back, long_value))
                xtf_failure("read data/long: %d bytes that differ from the 1499 written", rc);
            else
                printk("a %d-byte value went through the rings both ways\n", rc);
        }
    }

    /* A second read of something small after the long one: the rings are still in step. */
    rc = xenbus_read(XBT_NIL, "data/answer", buf, sizeof(buf));
    check_ok("read", "data/answer (after the long value)", rc);
}

static void test_directories(void)
{
    static const char *const names[] = {"a", "b", "c"};
    char list[256];
    bool seen[3] = {false, false, false};
    int n;

    if (!check_ok("mkdir", "data/dir", xenbus_mkdir(XBT_NIL, "data/dir")) ||
        !check_ok("write", "data/dir/a", xenbus_write(XBT_NIL, "data/dir/a", "1")) ||
        !check_ok("write", "data/dir/b", xenbus_write(XBT_NIL, "data/dir/b", "2")) ||
        !check_ok("write", "data/dir/c/deep", xenbus_write(XBT_NIL, "data/dir/c/deep", "3")))
        return;

    n = xenbus_directory(XBT_NIL, "data/dir", list, sizeof(list));
    if (!check_ok("directory", "data/dir", n))
        return;
    const char *e = list;

    for (int i = 0; i < n; i++, e = xenbus_dir_next(e)) {
        unsigned int k;

        for (k = 0; k < ARRAY_SIZE(names); k++)
            if (!strcmp(e, names[k]) && !seen[k])
                break;
        if (k == ARRAY_SIZE(names))
            xtf_failure("directory data/dir: unexpected or repeated entry '%s'", e);
        else
            seen[k] = true;
    }
    if (n != 3 || !seen[0] || !seen[1] || !seen[2])
        xtf_failure("directory data/dir: %d entries, expected a, b and c", n);
    else
        printk("directory data/dir: a, b, c\n");

    /* The directory is a node too: MKDIR gave it an empty value. */
    check_read(XBT_NIL, "data/dir", "");

    if (check_ok("rm", "data/dir/b", xenbus_rm(XBT_NIL, "data/dir/b")) &&
        check_missing(XBT_NIL, "data/dir/b")) {
        n = xenbus_directory(XBT_NIL, "data/dir", list, sizeof(list));
        if (check_ok("directory", "data/dir", n) && n != 2)
            xtf_failure("directory data/dir after rm b: %d entries, expected 2", n);
    }
    if (check_ok("rm", "data/dir", xenbus_rm(XBT_NIL, "data/dir")) &&
        check_missing(XBT_NIL, "data/dir/c/deep") && check_missing(XBT_NIL, "data/dir"))
        printk("rm removed a node, then a whole subtree\n");
}

static void test_errors(void)
{
    char buf[64];
    int rc;

    rc = xenbus_write(XBT_NIL, "/local/domain/0/x", "intruder");
    if (check_xs_error("write", "/local/domain/0/x", rc, "EACCES", XEN_EACCES))
        printk("write /local/domain/0/x: EACCES\n");

    rc = xenbus_read(XBT_NIL, "data/missing", buf, sizeof(buf));
    if (check_xs_error("read", "data/missing", rc, "ENOENT", XEN_ENOENT))
        printk("read data/missing: ENOENT\n");
}

/* No event for `token` is queued: every reply so far has been read, so none is on its way. */
static bool check_no_event(const char *token, const char *after)
{
    char path[128];

    if (xenbus_next_watch(token, path, sizeof(path), false) == 0) {
        xtf_failure("watch %s fired for %s after %s", token, path, after);
        return false;
    }
    return true;
}

static bool check_event(const char *token, const char *want_path, const char *after)
{
    char path[128];
    int rc = xenbus_next_watch(token, path, sizeof(path), true);

    if (rc)
        return false; /* the client printed the FAILURE line */
    if (strcmp(path, want_path)) {
        xtf_failure("watch %s after %s: event for '%s', expected '%s'", token, after, path,
                    want_path);
        return false;
    }
    return true;
}

static void test_watches(void)
{
    const char *watched = abs_path("data/watched");
    const char *child = abs_path("data/watched/child");
    bool ok = true;

    if (!check_ok("write", watched, xenbus_write(XBT_NIL, watched, "0")) ||
        !check_ok("watch", watched, xenbus_watch(watched, "tok-w")))
        return;
    if (check_event("tok-w", watched, "setting it"))
        printk("watch fired at once when set\n");
    else
        ok = false;
    ok &= check_no_event("tok-w", "the first event");

    if (check_ok("write", child, xenbus_write(XBT_NIL, child, "1")) &&
        check_event("tok-w", child, "a write below it"))
        printk("watch fired for a write below it\n");
    else
        ok = false;

    ok &= check_ok("write", "data/elsewhere", xenbus_write(XBT_NIL, "data/elsewhere", "1")) &&
          check_no_event("tok-w", "a write elsewhere");

    ok &= check_ok("unwatch", watched, xenbus_unwatch(watched, "tok-w")) &&
          check_ok("write", watched, xenbus_write(XBT_NIL, watched, "2")) &&
          check_no_event("tok-w", "unwatch");
    if (ok)
        printk("watch silent for other paths and after unwatch\n");

    /* A watch set by relative path reports relative paths, as xenstored does. */
    if (check_ok("watch", "data/rel", xenbus_watch("data/rel", "tok-r")) &&
        check_event("tok-r", "data/rel", "setting it") &&
        check_ok("write", "data/rel/x", xenbus_write(XBT_NIL, "data/rel/x", "1")) &&
        check_event("tok-r", "data/rel/x", "a write below it") &&
        check_ok("unwatch", "data/rel", xenbus_unwatch("data/rel", "tok-r")))
        printk("relative watch: events name relative paths\n");
    if (xenbus_watch_events_lost())
        xtf_error("%u watch events lost (client queue full)", xenbus_watch_events_lost());
}

static void test_transactions(void)
{
    const char *watched = abs_path("data/tx");
    xenbus_transaction_t t;
    int rc;

    /* Committed: seen inside at once, outside only after the commit, and the watch then. */
    if (!check_ok("watch", watched, xenbus_watch(watched, "tok-tx")) ||
        !check_event("tok-tx", watched, "setting it"))
        return;
    rc = xenbus_transaction_start(&t);
    if (!check_ok("transaction_start", "", rc))
        return;
    if (check_ok("write (in transaction)", "data/tx", xenbus_write(t, "data/tx", "committed")) &&
        check_read(t, "data/tx", "committed") && check_missing(XBT_NIL, "data/tx") &&
        check_no_event("tok-tx", "a write inside a transaction"))
        printk("transaction: its write is seen inside it only\n");
    rc = xenbus_transaction_end(t, false);
    if (check_ok("transaction_end (commit)", "", rc) &&
        check_read(XBT_NIL, "data/tx", "committed") && check_event("tok-tx", watched, "the commit"))
        printk("transaction committed: the write is there, the watch fired\n");
    check_ok("unwatch", watched, xenbus_unwatch(watched, "tok-tx"));

    /* Aborted: nothing of it stays. */
    rc = xenbus_transaction_start(&t);
    if (!check_ok("transaction_start", "", rc))
        return;
    if (!check_ok("write (in transaction)", "data/tx-aborted",
                  xenbus_write(t, "data/tx-aborted", "gone")) ||
        !check_ok("write (in transaction)", "data/tx", xenbus_write(t, "data/tx", "changed")) ||
        !check_ok("rm (in transaction)", "data/answer", xenbus_rm(t, "data/answer")))
        return;
    rc = xenbus_transaction_end(t, true);
    if (check_ok("transaction_end (abort)", "", rc) && check_missing(XBT_NIL, "data/tx-aborted") &&
        check_read(XBT_NIL, "data/tx", "committed") && check_read(XBT_NIL, "data/answer", "42"))
        printk("transaction aborted: its writes and rm are gone\n");
}

void test_main(void)
{
    int rc = xenbus_init();

    if (rc) {
        xtf_failure("xenbus_init: %d: start_info gives no store ring (store_mfn %#lx)", rc,
                    (unsigned long)start_info->store_mfn);
        return;
    }
    printk(TIME_PREFIX "store ring at mfn %#lx, port %u\n", (unsigned long)start_info->store_mfn,
           xenbus_port());

    test_identity();
    if (!home[0])
        return; /* everything else builds on the domain's path */
    test_values();
    test_directories();
    test_errors();
    test_watches();
    test_transactions();

    check_ok("rm", "data", xenbus_rm(XBT_NIL, "data"));
    if (!xtf_has_failures())
        xtf_success(NULL);
}
