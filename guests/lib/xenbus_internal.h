/* What the ring half of the xenstore client (xenbus.c) gives the request half (xenbus_ops.c). */
#ifndef GUEST_XENBUS_INTERNAL_H
#define GUEST_XENBUS_INTERNAL_H

#include "xenbus.h"

/* A request whose payload is one string with its NUL (most of them). */
int xenbus_request_str(xenbus_transaction_t t, enum xsd_sockmsg_type type, const char *arg,
                       const char **body);

/* Read what the daemon has written (watch events go to the queue); false once broken. */
bool xenbus_pump(void);
/* One bounded wait for the daemon: poll the store port. False once the bound is used up. */
bool xenbus_wait_store(unsigned int *polls);
/* Take the oldest queued event for token (NULL: any), its path into path/len if not NULL. */
bool xenbus_take_watch(const char *token, char *path, size_t len);
/* A protocol error: print a FAILURE line, refuse every later request. */
void xenbus_set_broken(const char *fmt, ...) __printf(1, 2);

#endif
