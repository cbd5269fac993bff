/* The xenstore wire protocol and shared ring (io/xs_wire.h; docs/devices.md 2). */
#ifndef HVSIM_PUBLIC_IO_XS_WIRE_H
#define HVSIM_PUBLIC_IO_XS_WIRE_H

#include "public/xen.h" /* struct xenstore_domain_interface */

enum xsd_sockmsg_type {
    XS_CONTROL = 0, /* was XS_DEBUG */
    XS_DIRECTORY = 1,
    XS_READ = 2,
    XS_GET_PERMS = 3,
    XS_WATCH = 4,
    XS_UNWATCH = 5,
    XS_TRANSACTION_START = 6,
    XS_TRANSACTION_END = 7,
    XS_INTRODUCE = 8,
    XS_RELEASE = 9,
    XS_GET_DOMAIN_PATH = 10,
    XS_WRITE = 11,
    XS_MKDIR = 12,
    XS_RM = 13,
    XS_SET_PERMS = 14,
    XS_WATCH_EVENT = 15,
    XS_ERROR = 16,
    XS_IS_DOMAIN_INTRODUCED = 17,
    XS_RESUME = 18,
    XS_SET_TARGET = 19,
    XS_RESET_WATCHES = 21,
    XS_DIRECTORY_PART = 22,
    XS_INVALID = 0xffff,
};

/*
 * Every message on either ring: this 16-byte header, then `len` payload
 * bytes (at most XENSTORE_PAYLOAD_MAX). Strings in payloads are
 * NUL-terminated except the value of XS_WRITE and the reply to XS_READ.
 * Errors are replies of type XS_ERROR whose payload is an errno name
 * ("ENOENT\0").
 */
struct xsd_sockmsg {
    uint32_t type;
    uint32_t req_id; /* echoed in the reply */
    uint32_t tx_id;  /* transaction, 0 = none */
    uint32_t len;
};

#define XENSTORE_PAYLOAD_MAX 4096
#define XENSTORE_ABS_PATH_MAX 3072
#define XENSTORE_REL_PATH_MAX 2048
#define XENSTORE_RING_SIZE 1024
typedef uint32_t XENSTORE_RING_IDX;
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1))

/* server_features / connection fields of the ring page. */
#define XENSTORE_SERVER_FEATURE_RECONNECTION 1
#define XENSTORE_SERVER_FEATURE_ERROR 2
#define XENSTORE_CONNECTED 0
#define XENSTORE_RECONNECT 1

/* Xenbus device states, kept in each end's "state" node as a decimal string. */
enum xenbus_state {
    XenbusStateUnknown = 0,
    XenbusStateInitialising = 1,
    XenbusStateInitWait = 2,
    XenbusStateInitialised = 3,
    XenbusStateConnected = 4,
    XenbusStateClosing = 5,
    XenbusStateClosed = 6,
    XenbusStateReconfiguring = 7,
    XenbusStateReconfigured = 8,
};

ABI_SIZE(xsd_sockmsg, 16);
ABI_OFF(xenstore_domain_interface, rsp, 1024);
ABI_OFF(xenstore_domain_interface, rsp_prod, 2060);
ABI_OFF(xenstore_domain_interface, server_features, 2064);
ABI_OFF(xenstore_domain_interface, connection, 2068);
ABI_OFF(xenstore_domain_interface, error, 2072);

#endif
