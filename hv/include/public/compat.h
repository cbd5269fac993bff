/* The 32-bit PAE guest ABI ("compat") as the 64-bit hypervisor sees it. */
#ifndef HVSIM_PUBLIC_COMPAT_H
#define HVSIM_PUBLIC_COMPAT_H

/*
 * A 32-bit guest lays structures out by the i386 ABI: longs and pointers
 * are 4 bytes and a uint64_t is only 4-byte aligned inside a struct.
 * These definitions give the hypervisor (always x86-64) that exact layout.
 * Only layouts are here; the compat hypercall path arrives with pv32pae.
 */

#include <stddef.h>
#include <stdint.h>

typedef uint64_t compat_u64 __attribute__((aligned(4)));

struct compat_vcpu_info {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;
    uint16_t pad_;
    uint32_t evtchn_pending_sel;
    uint32_t cr2;
    uint32_t pad[5];
    uint32_t time_version;
    uint32_t time_pad0;
    compat_u64 tsc_timestamp;
    compat_u64 system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad1[2];
};

struct compat_shared_info {
    struct compat_vcpu_info vcpu_info[32];
    uint32_t evtchn_pending[32];
    uint32_t evtchn_mask[32];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
    uint32_t max_pfn;
    uint32_t pfn_to_mfn_frame_list_list;
    uint32_t nmi_reason;
    uint32_t p2m_cr3;
    uint32_t p2m_vaddr;
    uint32_t p2m_generation;
    uint32_t wc_sec_hi;
};

struct compat_start_info {
    char magic[32];
    uint32_t nr_pages;
    uint32_t shared_info;
    uint32_t flags;
    uint32_t store_mfn;
    uint32_t store_evtchn;
    uint32_t console_mfn;
    uint32_t console_evtchn;
    uint32_t pt_base;
    uint32_t nr_pt_frames;
    uint32_t mfn_list;
    uint32_t mod_start;
    uint32_t mod_len;
    int8_t cmd_line[1024];
    uint32_t first_p2m_pfn;
    uint32_t nr_p2m_frames;
};

struct compat_sched_poll {
    uint32_t ports;
    uint32_t nr_ports;
    compat_u64 timeout;
};

struct compat_trap_info {
    uint8_t vector;
    uint8_t flags;
    uint16_t cs;
    uint32_t address;
};

struct compat_callback_register {
    uint16_t type;
    uint16_t flags;
    uint32_t cs;
    uint32_t eip;
};

struct compat_mmuext_op {
    uint32_t cmd;
    uint32_t arg1;
    uint32_t arg2;
};

struct compat_multicall_entry {
    uint32_t op;
    uint32_t result;
    uint32_t args[6];
};

struct compat_vcpu_runstate_info {
    int32_t state;
    compat_u64 state_entry_time;
    compat_u64 time[4];
};

struct compat_vcpu_set_singleshot_timer {
    compat_u64 timeout_abs_ns;
    uint32_t flags;
};

#define COMPAT_OFF(type, field, off)                                                               \
    _Static_assert(offsetof(struct type, field) == (off), #type "." #field " offset")
#define COMPAT_SIZE(type, size) _Static_assert(sizeof(struct type) == (size), #type " size")

COMPAT_SIZE(compat_vcpu_info, 64);
COMPAT_OFF(compat_vcpu_info, evtchn_pending_sel, 4);
COMPAT_OFF(compat_vcpu_info, cr2, 8);
COMPAT_OFF(compat_vcpu_info, time_version, 32);
COMPAT_OFF(compat_vcpu_info, tsc_timestamp, 40);
COMPAT_OFF(compat_vcpu_info, system_time, 48);
COMPAT_OFF(compat_vcpu_info, tsc_to_system_mul, 56);
COMPAT_OFF(compat_vcpu_info, tsc_shift, 60);
COMPAT_OFF(compat_shared_info, evtchn_pending, 2048);
COMPAT_OFF(compat_shared_info, evtchn_mask, 2176);
COMPAT_OFF(compat_shared_info, wc_version, 2304);
COMPAT_OFF(compat_shared_info, wc_sec, 2308);
COMPAT_OFF(compat_shared_info, wc_nsec, 2312);
COMPAT_OFF(compat_shared_info, max_pfn, 2316);
COMPAT_OFF(compat_shared_info, wc_sec_hi, 2340);
COMPAT_SIZE(compat_shared_info, 2344);
COMPAT_OFF(compat_start_info, nr_pages, 32);
COMPAT_OFF(compat_start_info, shared_info, 36);
COMPAT_OFF(compat_start_info, flags, 40);
COMPAT_OFF(compat_start_info, store_mfn, 44);
COMPAT_OFF(compat_start_info, store_evtchn, 48);
COMPAT_OFF(compat_start_info, console_mfn, 52);
COMPAT_OFF(compat_start_info, console_evtchn, 56);
COMPAT_OFF(compat_start_info, pt_base, 60);
COMPAT_OFF(compat_start_info, nr_pt_frames, 64);
COMPAT_OFF(compat_start_info, mfn_list, 68);
COMPAT_OFF(compat_start_info, mod_start, 72);
COMPAT_OFF(compat_start_info, mod_len, 76);
COMPAT_OFF(compat_start_info, cmd_line, 80);
COMPAT_OFF(compat_start_info, first_p2m_pfn, 1104);
COMPAT_OFF(compat_start_info, nr_p2m_frames, 1108);
COMPAT_SIZE(compat_start_info, 1112);
COMPAT_SIZE(compat_sched_poll, 16);
COMPAT_SIZE(compat_trap_info, 8);
COMPAT_SIZE(compat_callback_register, 12);
COMPAT_SIZE(compat_mmuext_op, 12);
COMPAT_SIZE(compat_multicall_entry, 32);
COMPAT_SIZE(compat_vcpu_runstate_info, 44);
COMPAT_SIZE(compat_vcpu_set_singleshot_timer, 12);

#endif
