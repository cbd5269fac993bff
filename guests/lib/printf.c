/* vsnprintf for the guest runtime: %d %i %u %x %X %o %p %s %c %%, flags '-' '0' ' ' '+', widths. */
#include "lib.h"

/*
 * Supported: flags '-', '0', '+', ' ', '#'; width and precision (number
 * or '*'); length modifiers hh, h, l, ll, z, t; conversions d i u x X o c s p
 * and %%. %p prints 0x and the full pointer width in hex. Unknown
 * conversions are copied through as-is so a typo shows up in the output.
 * Like C's vsnprintf it returns the length the whole string would have.
 */

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

#define F_LEFT 1
#define F_ZERO 2
#define F_PLUS 4
#define F_SPACE 8
#define F_ALT 16
#define F_UPPER 32

/*
 * v /= base, returning v % base. On 32-bit a 64-bit division would call
 * libgcc's __udivdi3, which a -nostdlib guest does not link: divide in two
 * 32-bit steps instead (the high half, then remainder:low half with divl).
 */
static unsigned int divmod(unsigned long long *v, unsigned int base)
{
#if BYTES_PER_LONG == 8
    unsigned int r = (unsigned int)(*v % base);

    *v /= base;
    return r;
#else
    uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v, qhi = hi / base, qlo, r = hi % base;

    asm("divl %[base]" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), [base] "rm"(base));
    *v = ((unsigned long long)qhi << 32) | qlo;
    return r;
#endif
}

static void put_number(struct out *o, unsigned long long v, bool neg, unsigned int base,
                       unsigned int flags, int width, int prec)
{
    const char *digits = (flags & F_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0, len;
    char sign = 0;
    const char *prefix = "";

    do {
        tmp[n++] = digits[divmod(&v, base)];
    } while (v);

    if (prec >= 0)
        flags &= ~F_ZERO;
    else
        prec = 1;

    if (neg)
        sign = '-';
    else if (flags & F_PLUS)
        sign = '+';
    else if (flags & F_SPACE)
        sign = ' ';
    if ((flags & F_ALT) && base == 16)
        prefix = (flags & F_UPPER) ? "0X" : "0x";
    else if ((flags & F_ALT) && base == 8)
        prefix = "0";

    len = (n > prec ? n : prec) + (sign ? 1 : 0) + (int)strlen(prefix);

    if (!(flags & (F_LEFT | F_ZERO)))
        pad(o, ' ', width - len);
    if (sign)
        put(o, sign);
    while (*prefix)
        put(o, *prefix++);
    if (flags & F_ZERO)
        pad(o, '0', width - len);
    pad(o, '0', prec - n);
    while (n)
        put(o, tmp[--n]);
    if (flags & F_LEFT)
        pad(o, ' ', width - len);
}

static void put_string(struct out *o, const char *s, unsigned int flags, int width, int prec)
{
    int n;

    if (!s)
        s = "(null)";
    n = (int)strnlen(s, prec >= 0 ? (size_t)prec : (size_t)-1);
    if (!(flags & F_LEFT))
        pad(o, ' ', width - n);
    for (int i = 0; i < n; i++)
        put(o, s[i]);
    if (flags & F_LEFT)
        pad(o, ' ', width - n);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {.buf = buf, .size = size, .len = 0};

    for (const char *p = fmt; *p; p++) {
        const char *start = p;
        unsigned int flags = 0, base = 10;
        int width = 0, prec = -1, lng = 0; /* lng: -2 hh, -1 h, 0 int, 1 long, 2 long long */
        unsigned long long v;
        bool neg = false, is_signed = false;

        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        p++;

        for (;; p++) {
            if (*p == '-')
                flags |= F_LEFT;
            else if (*p == '0')
                flags |= F_ZERO;
            else if (*p == '+')
                flags |= F_PLUS;
            else if (*p == ' ')
                flags |= F_SPACE;
            else if (*p == '#')
                flags |= F_ALT;
            else
                break;
        }
        if (*p == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                width = width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
            }
        }
        if (flags & F_LEFT)
            flags &= ~F_ZERO;

        for (;; p++) {
            if (*p == 'h')
                lng--;
            else if (*p == 'l')
                lng++;
            else if (*p == 'z' || *p == 't')
                lng = sizeof(size_t) == sizeof(long long) ? 2 : 1;
            else
                break;
        }

        switch (*p) {
        case '%':
            put(&o, '%');
            continue;
        case 'c': {
            char c = (char)va_arg(ap, int);

            if (!(flags & F_LEFT))
                pad(&o, ' ', width - 1);
            put(&o, c);
            if (flags & F_LEFT)
                pad(&o, ' ', width - 1);
            continue;
        }
        case 's':
            put_string(&o, va_arg(ap, const char *), flags, width, prec);
            continue;
        case 'p':
            v = (uintptr_t)va_arg(ap, void *);
            put_number(&o, v, false, 16, flags | F_ALT | F_ZERO, 2 + 2 * (int)sizeof(void *), -1);
            continue;
        case 'd':
        case 'i':
            is_signed = true;
            break;
        case 'u':
            break;
        case 'X':
            flags |= F_UPPER;
            /* fall through */
        case 'x':
            base = 16;
            break;
        case 'o':
            base = 8;
            break;
        default:
            /* Unknown conversion (or a '%' at the end): copy it through verbatim. */
            while (start <= p && *start)
                put(&o, *start++);
            if (!*p)
                p--;
            continue;
        }

        if (is_signed) {
            long long s;

            if (lng >= 2)
                s = va_arg(ap, long long);
            else if (lng == 1)
                s = va_arg(ap, long);
            else
                s = va_arg(ap, int);
            if (lng == -1)
                s = (short)s;
            else if (lng <= -2)
                s = (signed char)s;
            neg = s < 0;
            v = neg ? -(unsigned long long)s : (unsigned long long)s;
        } else {
            if (lng >= 2)
                v = va_arg(ap, unsigned long long);
            else if (lng == 1)
                v = va_arg(ap, unsigned long);
            else
                v = va_arg(ap, unsigned int);
            if (lng == -1)
                v = (unsigned short)v;
            else if (lng <= -2)
                v = (unsigned char)v;
        }
        put_number(&o, v, neg, base, flags, width, prec);
    }

    if (o.size)
        o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
