/* The PV block protocol: shared ring and requests (io/blkif.h, io/ring.h; docs/devices.md 3). */
#ifndef HVSIM_PUBLIC_IO_BLKIF_H
#define HVSIM_PUBLIC_IO_BLKIF_H

#include "public/grant_table.h"

typedef uint32_t RING_IDX;

/*
 * The shared ring page: a 64-byte header, then a power-of-two array of
 * slots, each big enough for a request or a response. Producers move
 * *_prod after writing the slot; a consumer asks for a notification by
 * setting *_event to the index it waits for.
 */
struct blkif_sring_header {
    RING_IDX req_prod, req_event;
    RING_IDX rsp_prod, rsp_event;
    uint8_t pad[48];
};
#define BLKIF_RING_HEADER_BYTES 64

#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
#define BLKIF_OP_WRITE_BARRIER 2
#define BLKIF_OP_FLUSH_DISKCACHE 3
#define BLKIF_OP_RESERVED_1 4
#define BLKIF_OP_DISCARD 5
#define BLKIF_OP_INDIRECT 6

#define BLKIF_MAX_SEGMENTS_PER_REQUEST 11

#define BLKIF_RSP_EOPNOTSUPP (-2)
#define BLKIF_RSP_ERROR (-1)
#define BLKIF_RSP_OKAY 0

/* Sectors are always 512 bytes here, whatever "sector-size" says. */
#define BLKIF_SECTOR_BYTES 512

/* One segment: sectors first_sect..last_sect (inclusive, 0..7) of a granted page. */
struct blkif_request_segment {
    grant_ref_t gref;
    uint8_t first_sect, last_sect;
};

/* x86-64 layout ("x86_64-abi"): 112 bytes. */
struct blkif_request {
    uint8_t operation;
    uint8_t nr_segments;
    uint16_t handle;
    uint64_t id; /* echoed in the response */
    uint64_t sector_number;
    struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

/* x86-64 layout: 16 bytes. */
struct blkif_response {
    uint64_t id;
    uint8_t operation;
    int16_t status;
};

/* Slots per ring page (both ABIs): rounddown_pow2((4096 - 64) / 112) = 32. */
#define BLKIF_RING_SLOTS 32
#define BLKIF_RING_SLOT_BYTES 112

/* "info" bits in the backend directory. */
#define VDISK_CDROM 0x1
#define VDISK_REMOVABLE 0x2
#define VDISK_READONLY 0x4

ABI_SIZE(blkif_sring_header, BLKIF_RING_HEADER_BYTES);
ABI_SIZE(blkif_request_segment, 8);
#if defined(__x86_64__)
ABI_OFF(blkif_request, handle, 2);
ABI_OFF(blkif_request, id, 8);
ABI_OFF(blkif_request, sector_number, 16);
ABI_OFF(blkif_request, seg, 24);
ABI_SIZE(blkif_request, BLKIF_RING_SLOT_BYTES);
ABI_OFF(blkif_response, operation, 8);
ABI_OFF(blkif_response, status, 10);
ABI_SIZE(blkif_response, 16);
_Static_assert(BLKIF_RING_HEADER_BYTES + BLKIF_RING_SLOTS * BLKIF_RING_SLOT_BYTES <= 4096 &&
                   BLKIF_RING_HEADER_BYTES + 2 * BLKIF_RING_SLOTS * BLKIF_RING_SLOT_BYTES > 4096,
               "32 slots is the largest power of two that fits a page");
#endif

#endif
