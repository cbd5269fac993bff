/* Umbrella header for guest tests: the whole runtime API in one include. */
#ifndef GUEST_XTF_H
#define GUEST_XTF_H

#include "lib.h"
#include "hypercall.h"
#include "console.h"
#include "report.h"
#include "traps.h"
#include "mm.h"
#include "time.h"
#include "pvclock.h"
#include "events.h"

#endif
