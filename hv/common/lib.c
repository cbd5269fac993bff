/* Freestanding string, memory and formatting helpers for the core. */
#include "hv/lib.h"
#include "hv/arch.h"

void *hv_memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *hv_memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int hv_memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t hv_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t hv_strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int hv_strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

int hv_strcmp(const char *a, const char *b)
{
    return hv_strncmp(a, b, (size_t)-1);
}

const char *hv_strstr(const char *hay, const char *needle)
{
    size_t n = hv_strlen(needle);
    for (; *hay; hay++)
        if (!hv_strncmp(hay, needle, n))
            return hay;
    return n ? NULL : hay;
}

size_t hv_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = hv_strlen(src);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        hv_memcpy(dst, src, c);
        dst[c] = 0;
    }
    return n;
}

/* Output cursor for hv_vsnprintf: counts every byte, stores what fits. */
struct fmt_out {
    char *buf;
    size_t size, len;
};

static void put_ch(struct fmt_out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct fmt_out *o, unsigned long long v, unsigned base, bool upper, bool neg,
                    int width, char pad)
{
    char tmp[24];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (neg)
        tmp[n++] = '-';
    for (int i = n; i < width; i++)
        put_ch(o, pad);
    while (n)
        put_ch(o, tmp[--n]);
}

int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct fmt_out o = {buf, size, 0};
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put_ch(&o, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            long long v = lng ? va_arg(ap, long long) : va_arg(ap, int);
            unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            put_num(&o, u, 10, false, v < 0, width, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            unsigned long long v = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            put_num(&o, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', false, width, pad);
            break;
        }
        case 'p':
            put_ch(&o, '0');
            put_ch(&o, 'x');
            put_num(&o, (unsigned long long)(uintptr_t)va_arg(ap, void *), 16, false, false, width,
                    pad);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int l = (int)hv_strlen(s);
            for (int i = l; i < width; i++)
                put_ch(&o, ' ');
            while (*s)
                put_ch(&o, *s++);
            break;
        }
        case 'c':
            put_ch(&o, (char)va_arg(ap, int));
            break;
        case '%':
            put_ch(&o, '%');
            break;
        default: /* unknown conversion: print it verbatim, loudly visible */
            put_ch(&o, '%');
            if (*fmt)
                put_ch(&o, *fmt);
            else
                fmt--;
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int hv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

bool hv_log_dropped;

void hv_log(const char *fmt, ...)
{
    if (hv_log_dropped)
        return; /* nobody would read the line: do not format it */
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    arch_log(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void hv_panic(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    hv_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    arch_panic(line);
}
