/* The block backend inside the core: a disk image in memory served over the blkif ring. */
#ifndef HV_BLKBACK_H
#define HV_BLKBACK_H

#include "hv/sched.h"
#include "public/io/blkif.h"

#define HV_MAX_VBDS 16 /* block devices on the whole machine */

/* Machine start: no devices. */
void blkback_reset(void);

/*
 * A disk the toolstack hands over: `size` bytes at `data` (the hypervisor
 * reads and, unless read_only, writes them; the simulator gives a private
 * copy of the file, bare metal a GRUB module). size is a multiple of 512.
 */
struct blk_image {
    uint8_t *data;
    uint64_t size;
    bool read_only;
};

/*
 * Toolstack: give domain d a disk as `vdev` ("xvda", "hdb", "sdc", ... or a
 * number). Writes the xenstore frontend directory
 * /local/domain/<id>/device/vbd/<devid> and the backend directory
 * /local/domain/0/backend/vbd/<id>/<devid> as xl does, with the backend in
 * InitWait. Returns the devid (>0), or -XEN_EINVAL for a bad vdev,
 * -XEN_EEXIST for a vdev used twice, -XEN_ENOSPC past HV_MAX_VBDS.
 */
long blkback_add_disk(struct domain *d, const char *vdev, const struct blk_image *img);

/* The frontend notified the device's event channel: serve every request on its ring. */
void blkback_notify(struct domain *d, evtchn_port_t port);

/*
 * The guest closed a port a device was connected on (evtchn.c tells us
 * before the port is freed): that device lets go of its ring and goes to
 * Closing, so a later device that gets the same port number is not mixed
 * up with it.
 */
void blkback_port_closed(struct domain *d, evtchn_port_t port);

/* The domain is going away: disconnect its devices and release their grants. */
void blkback_domain_destroy(struct domain *d);

/* Translate an xl vdev name to the Linux/Xen device number (xvd 202, hd 3, sd 8). -1 if bad. */
long blkback_vdev_to_devid(const char *vdev);

#endif
