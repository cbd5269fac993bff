/* Freestanding helpers for the core: memory, strings, formatting, assertions. */
#ifndef HV_LIB_H
#define HV_LIB_H

#include <stdarg.h>
#include "hv/types.h"

void *hv_memcpy(void *dst, const void *src, size_t n);
void *hv_memset(void *dst, int c, size_t n);
int hv_memcmp(const void *a, const void *b, size_t n);
size_t hv_strlen(const char *s);
size_t hv_strnlen(const char *s, size_t max);
int hv_strcmp(const char *a, const char *b);
int hv_strncmp(const char *a, const char *b, size_t n);
const char *hv_strstr(const char *hay, const char *needle);
/* Copies at most size-1 bytes and always terminates (size > 0). */
size_t hv_strlcpy(char *dst, const char *src, size_t size);

/*
 * A small vsnprintf: %d %i %u %x %X %s %c %p %% with optional '0' flag,
 * width, and 'l'/'ll'/'z' length modifiers. Returns the length it would have
 * written; the output is always terminated when size > 0.
 */
int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hv_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Hypervisor log line (not a guest console); goes to arch_log. */
void hv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Set by a machine whose arch_log drops every line (the fuzz targets, unless
 * asked to be verbose): hv_log then returns before formatting. False (log)
 * unless a machine sets it.
 */
extern bool hv_log_dropped;

/* A broken hypervisor invariant: never caused by guest input. */
__attribute__((noreturn)) void hv_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define HV_ASSERT(c)                                                                               \
    do {                                                                                           \
        if (!(c))                                                                                  \
            hv_panic("assertion '%s' failed at %s:%d", #c, __FILE__, __LINE__);                    \
    } while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
