/* Guest runtime basics: types, compiler helpers, string functions, printk and panic. */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define IS_ALIGNED(x, a) (((x) & ((a)-1)) == 0)

#define __aligned(n) __attribute__((aligned(n)))
#define __page_aligned __aligned(4096)
#define __noreturn __attribute__((noreturn))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __used __attribute__((used))

#define barrier() asm volatile("" ::: "memory")
/* x86 is TSO: ordering stores against stores (or loads against loads) needs only the compiler. */
#define smp_wmb() barrier()
#define smp_rmb() barrier()
#define smp_mb() asm volatile("mfence" ::: "memory")
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* string.c: gcc may emit calls to memcpy/memset/memmove/memcmp even when freestanding. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* printf.c */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/*
 * console.c: printk formats and writes with console_io(CONSOLEIO_write),
 * one hypercall per complete line (a partial line waits for its '\n').
 * Lines whose content differs between machines (TSC values, times) must
 * start with TIME_PREFIX so that the differential test can mask them.
 */
#define TIME_PREFIX "[time] "
void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap);
void printk_flush(void);

/* setup.c: print "PANIC: ...", shut down with SHUTDOWN_crash. Never returns. */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;

/* setup.c: the start_info page the builder passed in rsi/esi. */
extern const struct start_info *start_info;
/* setup.c: our mapping of the shared_info frame (valid once setup has run). */
extern struct shared_info *shared_info;

/*
 * setup.c: "key=value" from start_info->cmd_line, value parsed as decimal
 * or 0x-hex. Returns def if the key is absent or its value does not parse.
 */
unsigned long cmdline_get_ulong(const char *key, unsigned long def);

/* Provided by each test (tests/<name>/main.c). */
extern const char test_title[];
void test_main(void);

#endif
