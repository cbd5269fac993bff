/* The CPUID policy guests see: fixed values, so runs are the same on every host. */
#include "hv/entry.h"
#include "hv/hypercall.h"
#include "hv/lib.h"

static uint32_t str4(const char *s)
{
    return (uint32_t)(uint8_t)s[0] | (uint32_t)(uint8_t)s[1] << 8 | (uint32_t)(uint8_t)s[2] << 16 |
           (uint32_t)(uint8_t)s[3] << 24;
}

void cpuid_policy(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    out[0] = out[1] = out[2] = out[3] = 0;
    switch (leaf) {
    case 0: /* max basic leaf 1, "GenuineIntel" in ebx, edx, ecx */
        out[0] = 1;
        out[1] = str4("Genu");
        out[3] = str4("ineI");
        out[2] = str4("ntel");
        break;
    case 1:
        out[0] = 0x000906ea; /* family 6 */
        /* edx: FPU, TSC, CX8, CMOV, FXSR, SSE, SSE2; ecx: SSE3, hypervisor */
        out[3] =
            (1u << 0) | (1u << 4) | (1u << 8) | (1u << 15) | (1u << 24) | (1u << 25) | (1u << 26);
        out[2] = (1u << 0) | (1u << 31);
        break;
    case 0x40000000: /* Xen's hypervisor leaves: max leaf and "XenVMMXenVMM" */
        out[0] = 0x40000002;
        out[1] = str4("XenV");
        out[2] = str4("MMXe");
        out[3] = str4("nVMM");
        break;
    case 0x40000001:
        out[0] = (HV_XEN_MAJOR << 16) | HV_XEN_MINOR;
        break;
    case 0x40000002: /* one hypercall page; no MSR to set it (the builder writes it) */
        out[0] = 1;
        break;
    case 0x80000000:
        out[0] = 0x80000001;
        break;
    case 0x80000001: /* LM, NX, SYSCALL */
        out[3] = (1u << 29) | (1u << 20) | (1u << 11);
        break;
    default:
        break; /* unknown leaves read as zero, as on real CPUs past the max leaf */
    }
}
