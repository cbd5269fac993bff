/* printk over console_io, and the PV console ring writer. */
#include "console.h"
#include "hypercall.h"
#include "mm.h"

/* --- console_io, one hypercall per line --- */

static char line_buf[256];
static size_t line_len;

long console_io_write(const char *buf, size_t len)
{
    return hypercall_console_io(CONSOLEIO_write, (unsigned int)len, buf);
}

void printk_flush(void)
{
    if (line_len) {
        console_io_write(line_buf, line_len);
        line_len = 0;
    }
}

static void printk_putc(char c)
{
    line_buf[line_len++] = c;
    if (c == '\n' || line_len == sizeof(line_buf))
        printk_flush();
}

void vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1; /* truncated: keep what fits */
    for (int i = 0; i < n; i++)
        printk_putc(buf[i]);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

/* --- PV console ring --- */

static struct xencons_interface *cons_ring;
static evtchn_port_t cons_evtchn;

void pv_console_init(void)
{
    if ((start_info->flags & SIF_INITDOMAIN) || !start_info->console.domU.mfn)
        return;
    cons_ring = mfn_to_virt(start_info->console.domU.mfn);
    cons_evtchn = start_info->console.domU.evtchn;
}

bool pv_console_available(void)
{
    return cons_ring != NULL;
}

/* Notify the backend, then yield until it has consumed everything up to prod. */
static void pv_console_drain(uint32_t prod)
{
    unsigned long yields = 0;

    hypercall_evtchn_send(cons_evtchn);
    while (READ_ONCE(cons_ring->out_cons) != prod) {
        if (++yields > PV_CONSOLE_MAX_YIELDS)
            panic("console ring never drained (out_cons %u, out_prod %u, port %u)",
                  READ_ONCE(cons_ring->out_cons), prod, cons_evtchn);
        hypercall_yield();
    }
}

int pv_console_write(const char *buf, size_t len)
{
    uint32_t prod;

    if (!cons_ring)
        return -XEN_ENODEV;

    prod = READ_ONCE(cons_ring->out_prod);
    while (len) {
        uint32_t cons = READ_ONCE(cons_ring->out_cons);

        smp_rmb(); /* read out_cons before reusing the slots it frees */
        if (prod - cons >= sizeof(cons_ring->out)) {
            /* Ring full: publish what we have and wait for the backend. */
            smp_wmb();
            WRITE_ONCE(cons_ring->out_prod, prod);
            pv_console_drain(prod);
            continue;
        }
        cons_ring->out[MASK_XENCONS_IDX(prod, cons_ring->out)] = *buf++;
        prod++;
        len--;
    }

    smp_wmb(); /* data before the index that publishes it */
    WRITE_ONCE(cons_ring->out_prod, prod);
    pv_console_drain(prod);
    return 0;
}

int pv_console_printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    return pv_console_write(buf, (size_t)n);
}
