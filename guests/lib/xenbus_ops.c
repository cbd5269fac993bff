/* Xenstore client, the request half: reads, writes, directories, watches, waits, transactions. */
#include "xenbus.h"
#include "report.h"
#include "xenbus_internal.h"

int xenbus_read(xenbus_transaction_t t, const char *path, char *buf, size_t len)
{
    const char *body;
    int rc = xenbus_request_str(t, XS_READ, path, &body);

    if (rc < 0)
        return rc;
    if ((size_t)rc >= len)
        return -XEN_E2BIG;
    memcpy(buf, body, (size_t)rc + 1);
    return rc;
}

int xenbus_read_u64(xenbus_transaction_t t, const char *path, uint64_t *out)
{
    char buf[32];
    const char *p = buf;
    unsigned int base = 10;
    uint64_t v = 0;
    int rc = xenbus_read(t, path, buf, sizeof(buf));

    if (rc < 0)
        return rc;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p)
        return -XEN_EINVAL;
    for (; *p; p++) {
        unsigned int d;

        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            return -XEN_EINVAL;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

int xenbus_write(xenbus_transaction_t t, const char *path, const char *value)
{
    struct xb_iov iov[2] = {{path, strlen(path) + 1}, {value, strlen(value)}};
    const char *body;
    int rc = xenbus_request(t, XS_WRITE, iov, 2, path, &body);

    return rc < 0 ? rc : 0;
}

int xenbus_printf(xenbus_transaction_t t, const char *path, const char *fmt, ...)
{
    char value[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(value))
        return -XEN_E2BIG;
    return xenbus_write(t, path, value);
}

int xenbus_mkdir(xenbus_transaction_t t, const char *path)
{
    const char *body;
    int rc = xenbus_request_str(t, XS_MKDIR, path, &body);

    return rc < 0 ? rc : 0;
}

int xenbus_rm(xenbus_transaction_t t, const char *path)
{
    const char *body;
    int rc = xenbus_request_str(t, XS_RM, path, &body);

    return rc < 0 ? rc : 0;
}

int xenbus_directory(xenbus_transaction_t t, const char *path, char *buf, size_t len)
{
    const char *body;
    int rc = xenbus_request_str(t, XS_DIRECTORY, path, &body);
    int count = 0;

    if (rc < 0)
        return rc;
    /* Every name ends in a NUL; a last one without (a sloppy daemon) gets ours. */
    if ((size_t)rc + 1 > len)
        return -XEN_E2BIG;
    memcpy(buf, body, (size_t)rc + 1);
    for (int i = 0; i < rc; i++)
        if (!buf[i] || i == rc - 1)
            count++;
    return count;
}

int xenbus_get_domain_path(domid_t domid, char *buf, size_t len)
{
    char arg[8];
    const char *body;
    int rc;

    snprintf(arg, sizeof(arg), "%u", domid);
    rc = xenbus_request_str(XBT_NIL, XS_GET_DOMAIN_PATH, arg, &body);
    if (rc < 0)
        return rc;
    if (strnlen(body, (size_t)rc + 1) >= len)
        return -XEN_E2BIG;
    memcpy(buf, body, strnlen(body, (size_t)rc) + 1);
    return (int)strlen(buf);
}

static int watch_request(enum xsd_sockmsg_type type, const char *path, const char *token)
{
    struct xb_iov iov[2] = {{path, strlen(path) + 1}, {token, strlen(token) + 1}};
    const char *body;
    int rc = xenbus_request(XBT_NIL, type, iov, 2, path, &body);

    return rc < 0 ? rc : 0;
}

int xenbus_watch(const char *path, const char *token)
{
    return watch_request(XS_WATCH, path, token);
}

int xenbus_unwatch(const char *path, const char *token)
{
    return watch_request(XS_UNWATCH, path, token);
}

int xenbus_next_watch(const char *token, char *path, size_t len, bool wait)
{
    unsigned int polls = 0;

    if (!xenbus_port())
        return -XEN_ENODEV;
    for (;;) {
        bool ok = xenbus_pump();

        if (xenbus_take_watch(token, path, len))
            return 0;
        if (!ok)
            return -XEN_EIO;
        if (!wait)
            return -XEN_EAGAIN;
        if (!xenbus_wait_store(&polls)) {
            xtf_failure("xenbus: no watch event for token '%s' after %u polls",
                        token ? token : "(any)", XENBUS_MAX_POLLS);
            return -XEN_ETIME;
        }
    }
}

int xenbus_wait_for_any(const char *path, const char *const *wanted, unsigned int n, char *got,
                        size_t len)
{
    static unsigned int waits;
    char token[24], value[128];
    unsigned int polls = 0;
    int rc, result = -XEN_ETIME;

    snprintf(token, sizeof(token), "xenbus-wait-%u", ++waits);
    rc = xenbus_watch(path, token);
    if (rc)
        return rc;

    for (;;) {
        /* Whatever fired, the value is what counts: drop the events, read it. */
        while (xenbus_take_watch(token, NULL, 0))
            ;
        rc = xenbus_read(XBT_NIL, path, value, sizeof(value));
        if (rc < 0) /* not there yet is fine: the other end may not have written it */
            snprintf(value, sizeof(value), "(%s)", xenbus_strerror(rc));
        for (unsigned int i = 0; rc >= 0 && i < n; i++)
            if (!strcmp(value, wanted[i])) {
                result = (int)i;
                goto out;
            }
        if (!xenbus_ready()) {
            result = -XEN_EIO;
            goto out;
        }

        /* Sleep until the watch fires again. */
        for (;;) {
            bool ok = xenbus_pump();

            if (xenbus_take_watch(token, NULL, 0) || !ok)
                break;
            if (!xenbus_wait_store(&polls)) {
                xtf_failure("xenbus: '%s' is still '%s' after %u polls (waiting for '%s'%s)", path,
                            value, XENBUS_MAX_POLLS, n ? wanted[0] : "",
                            n > 1 ? " or another" : "");
                goto out;
            }
        }
    }
out:
    if (got && len)
        snprintf(got, len, "%s", value);
    if (xenbus_ready())
        xenbus_unwatch(path, token);
    while (xenbus_take_watch(token, NULL, 0))
        ;
    return result;
}

int xenbus_wait_for_value(const char *path, const char *wanted)
{
    int rc = xenbus_wait_for_any(path, &wanted, 1, NULL, 0);

    return rc < 0 ? rc : 0;
}

int xenbus_transaction_start(xenbus_transaction_t *t)
{
    const char *body;
    uint64_t id = 0;
    int rc = xenbus_request_str(XBT_NIL, XS_TRANSACTION_START, "", &body);

    if (rc < 0)
        return rc;
    if (!*body) {
        xenbus_set_broken("TRANSACTION_START reply without an id (%d bytes)", rc);
        return -XEN_EIO;
    }
    for (const char *p = body; *p; p++) {
        if (*p < '0' || *p > '9') {
            xenbus_set_broken("TRANSACTION_START reply is not a number (byte 0x%02x at %u)",
                              (unsigned char)*p, (unsigned int)(p - body));
            return -XEN_EIO;
        }
        id = id * 10 + (unsigned int)(*p - '0');
    }
    if (!id || id > 0xffffffffULL) {
        xenbus_set_broken("TRANSACTION_START gave id %llu", (unsigned long long)id);
        return -XEN_EIO;
    }
    *t = (xenbus_transaction_t)id;
    return 0;
}

int xenbus_transaction_end(xenbus_transaction_t t, bool abort)
{
    const char *body;
    int rc = xenbus_request_str(t, XS_TRANSACTION_END, abort ? "F" : "T", &body);

    return rc < 0 ? rc : 0;
}
