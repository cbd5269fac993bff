/* Guest start-of-day in C: hypercall page check, arch setup, shared_info, banner, test, exit. */
#include "console.h"
#include "hypercall.h"
#include "mm.h"
#include "report.h"
#include "traps.h"

const struct start_info *start_info;
struct shared_info *shared_info;

/* The page start_info->shared_info (a machine address) gets mapped over. */
static char shared_info_page[PAGE_SIZE] __page_aligned;

/* False until the builder-written hypercall page has been seen; panic() then uses `syscall`. */
static bool hypercall_page_ok;

void start_c(const struct start_info *si);

/* --- panic --- */

static long early_console_write(const char *s, size_t len)
{
    if (hypercall_page_ok)
        return hypercall_console_io(CONSOLEIO_write, (unsigned int)len, s);
    return raw_hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, len, (unsigned long)s);
}

void panic(const char *fmt, ...)
{
    static bool in_panic;
    char buf[640];
    va_list ap;
    int n;

    if (!in_panic) {
        in_panic = true;
        if (hypercall_page_ok)
            printk_flush(); /* whatever partial line was pending */

        n = snprintf(buf, sizeof(buf), "PANIC: ");
        va_start(ap, fmt);
        n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
        va_end(ap);
        if (n > (int)sizeof(buf) - 2)
            n = sizeof(buf) - 2;
        if (buf[n - 1] != '\n')
            buf[n++] = '\n';
        early_console_write(buf, (size_t)n);
    }

    /* A panic inside panic (a fault while printing) goes straight to the shutdown. */
    {
        struct sched_shutdown s = {.reason = SHUTDOWN_crash};

        if (hypercall_page_ok)
            hypercall_sched_op(SCHEDOP_shutdown, &s);
        else
            raw_hypercall3(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&s, 0);
    }
    for (;;)
        asm volatile("pause");
}

/* --- command line --- */

static bool parse_ulong(const char *s, size_t len, unsigned long *out)
{
    unsigned long v = 0;
    unsigned int base = 10;

    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        len -= 2;
    }
    if (!len)
        return false;
    for (; len; len--, s++) {
        unsigned int d;

        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

unsigned long cmdline_get_ulong(const char *key, unsigned long def)
{
    const char *p = (const char *)start_info->cmd_line;
    const char *end = p + strnlen(p, MAX_GUEST_CMDLINE);
    size_t klen = strlen(key);

    while (p < end) {
        const char *tok = p;
        size_t tlen;
        unsigned long v;

        while (p < end && *p != ' ')
            p++;
        tlen = p - tok;
        while (p < end && *p == ' ')
            p++;

        if (tlen > klen && tok[klen] == '=' && !strncmp(tok, key, klen) &&
            parse_ulong(tok + klen + 1, tlen - klen - 1, &v))
            return v;
    }
    return def;
}

/* --- start of day --- */

static void map_shared_info(void)
{
    long rc = hypercall_update_va_mapping((unsigned long)shared_info_page,
                                          start_info->shared_info | PTE_FLAGS_RW, UVMF_INVLPG);

    if (rc)
        panic("update_va_mapping(shared_info) failed: %ld", rc);
    shared_info = (struct shared_info *)shared_info_page;
}

/*
 * Called by head.S on our own stack with the start_info VA the builder put
 * in rsi. Order as XTF's pv boot: hypercall page check, trap table and
 * callbacks and kernel stack (arch_setup), shared_info, console ring, then
 * the banner and the test.
 */
void start_c(const struct start_info *si)
{
    start_info = si;

    if ((unsigned char)hypercall_page[0] == 0xc3)
        panic("Hypercall page not initialised correctly");
    hypercall_page_ok = true;

    arch_setup();
    map_shared_info();
    pv_console_init();

    printk("--- hvsim guest ---\n");
    printk("Environment: %s\n", ENVIRONMENT_DESCRIPTION);
    printk("Test: %s\n", test_title);

    test_main();

    xtf_exit();
}
