/* XTF-style result reporting and the single "Test result:" line. */
#include "report.h"
#include "hypercall.h"

static enum xtf_status status = XTF_RUNNING;
static unsigned int nr_failures;

static const char *const status_names[] = {
    [XTF_RUNNING] = "RUNNING", [XTF_SUCCESS] = "SUCCESS", [XTF_SKIP] = "SKIP",
    [XTF_ERROR] = "ERROR",     [XTF_FAILURE] = "FAILURE",
};

static void report(enum xtf_status s, const char *prefix, const char *fmt, va_list ap)
{
    if (s > status)
        status = s;
    if (s == XTF_FAILURE)
        nr_failures++;
    if (!fmt)
        return;

    {
        char buf[512];
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);

        if (n > (int)sizeof(buf) - 1)
            n = sizeof(buf) - 1;
        printk("%s%s%s", prefix, buf, (n && buf[n - 1] == '\n') ? "" : "\n");
    }
}

#define DEFINE_REPORT(name, st, prefix)                                                            \
    void name(const char *fmt, ...)                                                                \
    {                                                                                              \
        va_list ap;                                                                                \
                                                                                                   \
        va_start(ap, fmt);                                                                         \
        report(st, prefix, fmt, ap);                                                               \
        va_end(ap);                                                                                \
    }

DEFINE_REPORT(xtf_success, XTF_SUCCESS, "")
DEFINE_REPORT(xtf_skip, XTF_SKIP, "SKIP: ")
DEFINE_REPORT(xtf_error, XTF_ERROR, "ERROR: ")
DEFINE_REPORT(xtf_failure, XTF_FAILURE, "FAILURE: ")

enum xtf_status xtf_status(void)
{
    return status;
}

bool xtf_has_failures(void)
{
    return nr_failures != 0;
}

void xtf_exit(void)
{
    if (status == XTF_RUNNING) {
        printk("ERROR: test_main() returned without reporting a result\n");
        status = XTF_ERROR;
    }
    printk("Test result: %s\n", status_names[status]);
    printk_flush();

    hypercall_shutdown(SHUTDOWN_poweroff);
    panic("xtf_exit(): still running after SCHEDOP_shutdown(poweroff)");
}

static const char *const errnames[] = {
    [XEN_EPERM] = "-EPERM",
    [XEN_ENOENT] = "-ENOENT",
    [XEN_ESRCH] = "-ESRCH",
    [XEN_EINTR] = "-EINTR",
    [XEN_EIO] = "-EIO",
    [XEN_ENXIO] = "-ENXIO",
    [XEN_E2BIG] = "-E2BIG",
    [XEN_EBADF] = "-EBADF",
    [XEN_EAGAIN] = "-EAGAIN",
    [XEN_ENOMEM] = "-ENOMEM",
    [XEN_EACCES] = "-EACCES",
    [XEN_EFAULT] = "-EFAULT",
    [XEN_EBUSY] = "-EBUSY",
    [XEN_EEXIST] = "-EEXIST",
    [XEN_ENODEV] = "-ENODEV",
    [XEN_EINVAL] = "-EINVAL",
    [XEN_ENOSPC] = "-ENOSPC",
    [XEN_ENOSYS] = "-ENOSYS",
    [XEN_ENODATA] = "-ENODATA",
    [XEN_ETIME] = "-ETIME",
    [XEN_EOVERFLOW] = "-EOVERFLOW",
    [XEN_ERESTART] = "-ERESTART",
    [XEN_EOPNOTSUPP] = "-EOPNOTSUPP",
};

const char *xen_errname(long rc)
{
    if (rc >= 0 || -rc >= (long)ARRAY_SIZE(errnames))
        return NULL;
    return errnames[-rc];
}

/* "-22 (-EINVAL)" for known errors, "263 (0x107)" otherwise. */
static void format_rc(char *buf, size_t size, long v)
{
    const char *name = v < 0 ? xen_errname(v) : NULL;

    if (name)
        snprintf(buf, size, "%ld (%s)", v, name);
    else
        snprintf(buf, size, "%ld (%#lx)", v, (unsigned long)v);
}

bool check_rc(const char *what, long got, long exp)
{
    char g[48], e[48];

    if (got == exp)
        return true;
    format_rc(g, sizeof(g), got);
    format_rc(e, sizeof(e), exp);
    xtf_failure("%s: got %s expected %s", what, g, e);
    return false;
}

bool check_true(const char *what, bool cond)
{
    if (!cond)
        xtf_failure("%s", what);
    return cond;
}
