/* Guest console output: the console_io hypercall and the PV console ring (xenconsoled's ring). */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include "lib.h"

/* Write raw bytes with console_io(CONSOLEIO_write). Returns the hypercall's result. */
long console_io_write(const char *buf, size_t len);

/*
 * The PV console ring (start_info->console.domU): set up by setup.c from
 * m2p[console.domU.mfn]. pv_console_write() copies into out[], notifies
 * the backend with EVTCHNOP_send, then yields until the backend has
 * consumed everything (out_cons == out_prod), like XTF. A backend that
 * never drains makes it panic ("console ring never drained") after
 * PV_CONSOLE_MAX_YIELDS yields instead of hanging.
 * Returns 0, or -XEN_ENODEV if the domain has no PV console (dom0-style).
 */
#define PV_CONSOLE_MAX_YIELDS 100000
void pv_console_init(void);
bool pv_console_available(void);
int pv_console_write(const char *buf, size_t len);
int pv_console_printf(const char *fmt, ...) __printf(1, 2);

#endif
