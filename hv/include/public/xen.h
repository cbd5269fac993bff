/* hvsim public guest ABI: the Xen PV interface as guests see it (native width). */
#ifndef HVSIM_PUBLIC_XEN_H
#define HVSIM_PUBLIC_XEN_H

/*
 * Written from docs/xen-abi.md. This header is shared by guests (built
 * 64-bit or 32-bit) and by the hypervisor (always 64-bit). Fields typed
 * `xen_ulong_t` follow the guest's native word, so one definition gives the
 * native layout in both guest builds. The hypervisor's view of a 32-bit
 * guest lives in public/compat.h. Every offset listed in xen-abi.md is pinned
 * by _Static_assert below.
 */

#include <stdint.h>

typedef unsigned long xen_ulong_t;
typedef xen_ulong_t xen_pfn_t;
typedef uint16_t domid_t;

/* --- Hypercall numbers (xen-abi.md 1.1) --- */
#define __HYPERVISOR_set_trap_table 0
#define __HYPERVISOR_mmu_update 1
#define __HYPERVISOR_set_gdt 2
#define __HYPERVISOR_stack_switch 3
#define __HYPERVISOR_set_callbacks 4
#define __HYPERVISOR_fpu_taskswitch 5
#define __HYPERVISOR_sched_op_compat 6
#define __HYPERVISOR_platform_op 7
#define __HYPERVISOR_set_debugreg 8
#define __HYPERVISOR_get_debugreg 9
#define __HYPERVISOR_update_descriptor 10
#define __HYPERVISOR_memory_op 12
#define __HYPERVISOR_multicall 13
#define __HYPERVISOR_update_va_mapping 14
#define __HYPERVISOR_set_timer_op 15
#define __HYPERVISOR_event_channel_op_compat 16
#define __HYPERVISOR_xen_version 17
#define __HYPERVISOR_console_io 18
#define __HYPERVISOR_physdev_op_compat 19
#define __HYPERVISOR_grant_table_op 20
#define __HYPERVISOR_vm_assist 21
#define __HYPERVISOR_update_va_mapping_otherdomain 22
#define __HYPERVISOR_iret 23
#define __HYPERVISOR_vcpu_op 24
#define __HYPERVISOR_set_segment_base 25
#define __HYPERVISOR_mmuext_op 26
#define __HYPERVISOR_xsm_op 27
#define __HYPERVISOR_nmi_op 28
#define __HYPERVISOR_sched_op 29
#define __HYPERVISOR_callback_op 30
#define __HYPERVISOR_xenoprof_op 31
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_physdev_op 33
#define NR_HYPERCALLS 64

/* --- Errors (xen-abi.md 1.4): hypercalls return -XEN_Exxx --- */
#define XEN_EPERM 1
#define XEN_ENOENT 2
#define XEN_ESRCH 3
#define XEN_EINTR 4
#define XEN_EIO 5
#define XEN_ENXIO 6
#define XEN_E2BIG 7
#define XEN_EBADF 9
#define XEN_EAGAIN 11
#define XEN_ENOMEM 12
#define XEN_EACCES 13
#define XEN_EFAULT 14
#define XEN_EBUSY 16
#define XEN_EEXIST 17
#define XEN_ENODEV 19
#define XEN_EINVAL 22
#define XEN_ENOSPC 28
#define XEN_ENOSYS 38
#define XEN_ENODATA 61
#define XEN_ETIME 62
#define XEN_EOVERFLOW 75
#define XEN_ERESTART 85
#define XEN_EOPNOTSUPP 95

/* --- Selectors and layout (xen-abi.md 1.2) --- */
#define FLAT_RING3_CS32 0xe023
#define FLAT_RING3_CS64 0xe033
#define FLAT_RING3_DS64 0x0000
#define FLAT_RING3_SS64 0xe02b
#define FLAT_KERNEL_CS64 FLAT_RING3_CS64
#define FLAT_KERNEL_SS64 FLAT_RING3_SS64
#define FLAT_USER_CS64 FLAT_RING3_CS64
#define FLAT_USER_SS64 FLAT_RING3_SS64
#define FLAT_RING1_CS 0xe019
#define FLAT_RING1_DS 0xe021
#define FLAT_RING3_CS 0xe02b
#define FLAT_RING3_DS 0xe033
#define FIRST_RESERVED_GDT_ENTRY 7168 /* 0xe000 / 8 */
#define FIRST_RESERVED_GDT_PAGE 14

#define HYPERVISOR_VIRT_START_64 0xFFFF800000000000ULL
#define HYPERVISOR_VIRT_END_64 0xFFFF880000000000ULL
#define MACH2PHYS_VIRT_START_64 0xFFFF800000000000ULL
#define MACH2PHYS_VIRT_END_64 0xFFFF804000000000ULL
#define HYPERVISOR_VIRT_START_PAE 0xF5800000U
#define MACH2PHYS_VIRT_START_PAE 0xF5800000U
#define MACH2PHYS_VIRT_END_PAE 0xF6800000U

/* --- iret (xen-abi.md 1.3) --- */
#define VGCF_in_syscall (1u << 8)
struct iret_context {
    uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;
};

/* --- vcpu_time_info / vcpu_info / shared_info (xen-abi.md 2) --- */
struct vcpu_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad1[2];
};
#define XEN_PVCLOCK_TSC_STABLE_BIT 1
#define XEN_PVCLOCK_GUEST_STOPPED 2

struct arch_vcpu_info {
    xen_ulong_t cr2;
#if defined(__x86_64__)
    xen_ulong_t pad;
#else
    xen_ulong_t pad[5];
#endif
};

struct vcpu_info {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;
    xen_ulong_t evtchn_pending_sel;
    struct arch_vcpu_info arch;
    struct vcpu_time_info time;
};

#define XEN_LEGACY_MAX_VCPUS 32

struct arch_shared_info {
    xen_ulong_t max_pfn;
    xen_ulong_t pfn_to_mfn_frame_list_list;
    xen_ulong_t nmi_reason;
    xen_ulong_t p2m_cr3;
    xen_ulong_t p2m_vaddr;
    xen_ulong_t p2m_generation;
#if !defined(__x86_64__)
    uint32_t wc_sec_hi;
#endif
};

struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    xen_ulong_t evtchn_pending[sizeof(xen_ulong_t) * 8];
    xen_ulong_t evtchn_mask[sizeof(xen_ulong_t) * 8];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
#if defined(__x86_64__)
    uint32_t wc_sec_hi;
#endif
    struct arch_shared_info arch;
};

/* --- start_info (xen-abi.md 3) --- */
#define MAX_GUEST_CMDLINE 1024
struct start_info {
    char magic[32];
    xen_ulong_t nr_pages;
    xen_ulong_t shared_info;
    uint32_t flags;
    xen_pfn_t store_mfn;
    uint32_t store_evtchn;
    union {
        struct {
            xen_pfn_t mfn;
            uint32_t evtchn;
        } domU;
        struct {
            uint32_t info_off;
            uint32_t info_size;
        } dom0;
    } console;
    xen_ulong_t pt_base;
    xen_ulong_t nr_pt_frames;
    xen_ulong_t mfn_list;
    xen_ulong_t mod_start;
    xen_ulong_t mod_len;
    int8_t cmd_line[MAX_GUEST_CMDLINE];
    xen_ulong_t first_p2m_pfn;
    xen_ulong_t nr_p2m_frames;
};
/*
 * With SIF_MULTIBOOT_MOD, mod_start/mod_len hold a package of modules: an array of these
 * descriptors at its start, ended by one with mod_start == 0, every address an offset from
 * the package's start; mod_end is the last byte (inclusive).  (xen-abi.md 3)
 */
struct xen_multiboot_mod_list {
    uint32_t mod_start;
    uint32_t mod_end;
    uint32_t cmdline;
    uint32_t pad;
};
#define SIF_PRIVILEGED (1u << 0)
#define SIF_INITDOMAIN (1u << 1)
#define SIF_MULTIBOOT_MOD (1u << 2)
#define SIF_MOD_START_PFN (1u << 3)
#define SIF_VIRT_P2M_4TOOLS (1u << 4)

/* Console ring (io/console.h). */
struct xencons_interface {
    char in[1024];
    char out[2048];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};
#define MASK_XENCONS_IDX(idx, ring) ((idx) & (sizeof(ring) - 1))

/* Xenstore ring (io/xs_wire.h). */
struct xenstore_domain_interface {
    char req[1024];
    char rsp[1024];
    uint32_t req_cons, req_prod;
    uint32_t rsp_cons, rsp_prod;
    uint32_t server_features;
    uint32_t connection;
    uint32_t error;
    uint32_t evtchn_port;
};

/* --- Event channels (xen-abi.md 4) --- */
typedef uint32_t evtchn_port_t;
#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_bind_pirq 2
#define EVTCHNOP_close 3
#define EVTCHNOP_send 4
#define EVTCHNOP_status 5
#define EVTCHNOP_alloc_unbound 6
#define EVTCHNOP_bind_ipi 7
#define EVTCHNOP_bind_vcpu 8
#define EVTCHNOP_unmask 9
#define EVTCHNOP_reset 10
struct evtchn_send {
    evtchn_port_t port;
};
struct evtchn_status {
    domid_t dom;
    evtchn_port_t port;
    uint32_t status;
    uint32_t vcpu;
    union {
        struct {
            domid_t dom;
        } unbound;
        struct {
            domid_t dom;
            evtchn_port_t port;
        } interdomain;
        uint32_t pirq;
        uint32_t virq;
    } u;
};
#define EVTCHNSTAT_closed 0
#define EVTCHNSTAT_unbound 1
#define EVTCHNSTAT_interdomain 2
#define EVTCHNSTAT_pirq 3
#define EVTCHNSTAT_virq 4
#define EVTCHNSTAT_ipi 5
struct evtchn_bind_virq {
    uint32_t virq;
    uint32_t vcpu;
    evtchn_port_t port; /* OUT */
};
struct evtchn_bind_ipi {
    uint32_t vcpu;
    evtchn_port_t port; /* OUT */
};
struct evtchn_alloc_unbound {
    domid_t dom;        /* DOMID_SELF or the caller */
    domid_t remote_dom; /* who may bind the far end */
    evtchn_port_t port; /* OUT */
};
struct evtchn_close {
    evtchn_port_t port;
};
struct evtchn_unmask {
    evtchn_port_t port;
};
/* Legacy hypercall 16 (event_channel_op_compat): the command, then its argument. */
struct evtchn_op {
    uint32_t cmd;
    union {
        struct evtchn_bind_virq bind_virq;
        struct evtchn_bind_ipi bind_ipi;
        struct evtchn_alloc_unbound alloc_unbound;
        struct evtchn_close close;
        struct evtchn_send send;
        struct evtchn_status status;
        struct evtchn_unmask unmask;
    } u;
};

/* VIRQs (xen-abi.md 4.4). TIMER, DEBUG and XENPMU are per vCPU; ARGO per domain. */
#define VIRQ_TIMER 0
#define VIRQ_DEBUG 1
#define VIRQ_CONSOLE 2
#define VIRQ_DOM_EXC 3
#define VIRQ_TBUF 4
#define VIRQ_DEBUGGER 6
#define VIRQ_XENOPROF 7
#define VIRQ_CON_RING 8
#define VIRQ_PCPU_STATE 9
#define VIRQ_MEM_EVENT 10
#define VIRQ_ARGO 11
#define VIRQ_ENOMEM 12
#define VIRQ_XENPMU 13
#define VIRQ_ARCH_0 16
#define NR_VIRQS 24

/* --- sched_op (xen-abi.md 5.1) --- */
#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
#define SCHEDOP_poll 3
#define SCHEDOP_remote_shutdown 4
#define SCHEDOP_shutdown_code 5
#define SCHEDOP_watchdog 6
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot 1
#define SHUTDOWN_suspend 2
#define SHUTDOWN_crash 3
#define SHUTDOWN_watchdog 4
#define SHUTDOWN_soft_reset 5
#define SHUTDOWN_MAX 5
struct sched_shutdown {
    unsigned int reason;
};
struct sched_poll {
    evtchn_port_t *ports; /* guest handle */
    unsigned int nr_ports;
    uint64_t timeout;
};

/* --- vcpu_op (xen-abi.md 5.3) --- */
#define VCPUOP_initialise 0
#define VCPUOP_up 1
#define VCPUOP_down 2
#define VCPUOP_is_up 3
#define VCPUOP_get_runstate_info 4
#define VCPUOP_register_runstate_memory_area 5
#define VCPUOP_set_periodic_timer 6
#define VCPUOP_stop_periodic_timer 7
#define VCPUOP_set_singleshot_timer 8
#define VCPUOP_stop_singleshot_timer 9
#define VCPUOP_register_vcpu_info 10
#define VCPUOP_send_nmi 11
#define VCPUOP_get_physid 12
#define VCPUOP_register_vcpu_time_memory_area 13
#define VCPUOP_register_runstate_phys_area 14
#define VCPUOP_register_vcpu_time_phys_area 15

#define RUNSTATE_running 0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked 2
#define RUNSTATE_offline 3
struct vcpu_runstate_info {
    int state;
    uint64_t state_entry_time; /* system time (ns) of the last state change */
    uint64_t time[4];          /* ns spent in each RUNSTATE_* */
};
struct vcpu_set_periodic_timer {
    uint64_t period_ns;
};
#define VCPU_SSHOTTMR_future 1 /* -ETIME if already passed; ignored by current Xen */
struct vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns; /* absolute system time */
    uint32_t flags;
};

/* --- console_io (5.4) --- */
#define CONSOLEIO_write 0
#define CONSOLEIO_read 1

/* --- xen_version (5.5) --- */
#define XENVER_version 0
#define XENVER_extraversion 1
#define XENVER_compile_info 2
#define XENVER_capabilities 3
#define XENVER_changeset 4
#define XENVER_platform_parameters 5
#define XENVER_get_features 6
#define XENVER_pagesize 7
struct xen_feature_info {
    uint32_t submap_idx;
    uint32_t submap;
};
struct xen_platform_parameters {
    xen_ulong_t virt_start;
};
#define XENFEAT_writable_page_tables 0
#define XENFEAT_writable_descriptor_tables 1
#define XENFEAT_auto_translated_physmap 2
#define XENFEAT_supervisor_mode_kernel 3
#define XENFEAT_pae_pgdir_above_4gb 4
#define XENFEAT_mmu_pt_update_preserve_ad 5

/* --- MMU (5.7) --- */
struct mmu_update {
    uint64_t ptr;
    uint64_t val;
};
#define MMU_NORMAL_PT_UPDATE 0
#define MMU_MACHPHYS_UPDATE 1
#define MMU_PT_UPDATE_PRESERVE_AD 2
#define MMU_PT_UPDATE_NO_TRANSLATE 3

struct mmuext_op {
    unsigned int cmd;
    union {
        xen_pfn_t mfn;
        xen_ulong_t linear_addr;
    } arg1;
    union {
        unsigned int nr_ents;
        const void *vcpumask;
        xen_pfn_t src_mfn;
    } arg2;
};
#define MMUEXT_PIN_L1_TABLE 0
#define MMUEXT_PIN_L2_TABLE 1
#define MMUEXT_PIN_L3_TABLE 2
#define MMUEXT_PIN_L4_TABLE 3
#define MMUEXT_UNPIN_TABLE 4
#define MMUEXT_NEW_BASEPTR 5
#define MMUEXT_TLB_FLUSH_LOCAL 6
#define MMUEXT_INVLPG_LOCAL 7
#define MMUEXT_TLB_FLUSH_MULTI 8
#define MMUEXT_INVLPG_MULTI 9
#define MMUEXT_TLB_FLUSH_ALL 10
#define MMUEXT_INVLPG_ALL 11
#define MMUEXT_FLUSH_CACHE 12
#define MMUEXT_SET_LDT 13
#define MMUEXT_NEW_USER_BASEPTR 15

#define UVMF_NONE 0
#define UVMF_TLB_FLUSH 1
#define UVMF_INVLPG 2
#define UVMF_FLUSHTYPE_MASK 3
#define UVMF_MULTI 0
#define UVMF_LOCAL 0
#define UVMF_ALL (1u << 2)

#define DOMID_SELF 0x7FF0
#define DOMID_IO 0x7FF1
#define DOMID_XEN 0x7FF2
#define DOMID_INVALID 0x7FF4

/* trap_info: bits 0-1 DPL, bit 2 = clear the event mask on delivery. */
struct trap_info {
    uint8_t vector;
    uint8_t flags;
    uint16_t cs;
    xen_ulong_t address;
};

/* callback_op */
#define CALLBACKOP_register 0
#define CALLBACKOP_unregister 1
#define CALLBACKTYPE_event 0
#define CALLBACKTYPE_failsafe 1
#define CALLBACKTYPE_syscall 2
#define CALLBACKTYPE_sysenter_deprecated 3
#define CALLBACKTYPE_nmi 4
#define CALLBACKTYPE_sysenter 5
#define CALLBACKTYPE_syscall32 7
#define CALLBACKF_mask_events 1
struct callback_register {
    uint16_t type;
    uint16_t flags;
#if defined(__x86_64__)
    uint64_t address;
#else
    struct {
        uint32_t cs;
        uint32_t eip;
    } address;
#endif
};
struct callback_unregister {
    uint16_t type;
    uint16_t _unused;
};

/* vm_assist */
#define VMASST_CMD_enable 0
#define VMASST_CMD_disable 1
#define VMASST_TYPE_4gb_segments 0
#define VMASST_TYPE_4gb_segments_notify 1
#define VMASST_TYPE_writable_pagetables 2
#define VMASST_TYPE_pae_extended_cr3 3
#define VMASST_TYPE_architectural_iopl 4
#define VMASST_TYPE_runstate_update_flag 5
#define VMASST_TYPE_m2p_strict 32

/* set_segment_base */
#define SEGBASE_FS 0
#define SEGBASE_GS_USER 1
#define SEGBASE_GS_KERNEL 2
#define SEGBASE_GS_USER_SEL 3

/* multicall */
struct multicall_entry {
    xen_ulong_t op;
    xen_ulong_t result;
    xen_ulong_t args[6];
};

/* --- ELF notes (xen-abi.md 6.1) --- */
#define XEN_ELFNOTE_INFO 0
#define XEN_ELFNOTE_ENTRY 1
#define XEN_ELFNOTE_HYPERCALL_PAGE 2
#define XEN_ELFNOTE_VIRT_BASE 3
#define XEN_ELFNOTE_PADDR_OFFSET 4
#define XEN_ELFNOTE_XEN_VERSION 5
#define XEN_ELFNOTE_GUEST_OS 6
#define XEN_ELFNOTE_GUEST_VERSION 7
#define XEN_ELFNOTE_LOADER 8
#define XEN_ELFNOTE_PAE_MODE 9
#define XEN_ELFNOTE_FEATURES 10
#define XEN_ELFNOTE_BSD_SYMTAB 11
#define XEN_ELFNOTE_HV_START_LOW 12
#define XEN_ELFNOTE_L1_MFN_VALID 13
#define XEN_ELFNOTE_SUSPEND_CANCEL 14
#define XEN_ELFNOTE_INIT_P2M 15
#define XEN_ELFNOTE_MOD_START_PFN 16
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define XEN_ELFNOTE_MAX 19

/* --- Layout pins: native 64-bit or 32-bit guest view (xen-abi.md) --- */
#include "abi_asserts.h"

#endif
