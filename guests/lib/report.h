/* XTF-style result reporting: success < skip < error < failure, the most severe one wins. */
#ifndef GUEST_REPORT_H
#define GUEST_REPORT_H

#include "lib.h"

enum xtf_status {
    XTF_RUNNING,
    XTF_SUCCESS,
    XTF_SKIP,    /* the test could not run here (feature missing) */
    XTF_ERROR,   /* the test itself or its environment went wrong */
    XTF_FAILURE, /* the hypervisor did something wrong */
};

/*
 * Each call raises the status (never lowers it) and, if fmt is not NULL,
 * prints the message: xtf_success() as is, the others prefixed with
 * "SKIP: ", "ERROR: " or "FAILURE: ". A missing final '\n' is added.
 */
void xtf_success(const char *fmt, ...) __printf(1, 2);
void xtf_skip(const char *fmt, ...) __printf(1, 2);
void xtf_error(const char *fmt, ...) __printf(1, 2);
void xtf_failure(const char *fmt, ...) __printf(1, 2);

enum xtf_status xtf_status(void);
bool xtf_has_failures(void);

/*
 * Print exactly one "Test result: X" line (a test that reported nothing is
 * an ERROR), then SCHEDOP_shutdown(SHUTDOWN_poweroff). Never returns: if the
 * domain is still running afterwards, it panics.
 */
void xtf_exit(void) __noreturn;

/*
 * Check helpers for hypercall tests: on mismatch they report
 * xtf_failure("<what>: got <got> expected <exp>") and return false, so a
 * test can carry on and report every wrong result in one run. Values are
 * printed in decimal and hex; errors as -XEN_Exx names where known.
 */
bool check_rc(const char *what, long got, long exp);
bool check_true(const char *what, bool cond);
const char *xen_errname(long rc);

#endif
