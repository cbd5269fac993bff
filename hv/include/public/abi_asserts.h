/* Offsets and sizes of the native guest ABI, pinned from docs/xen-abi.md. */
#ifndef HVSIM_PUBLIC_ABI_ASSERTS_H
#define HVSIM_PUBLIC_ABI_ASSERTS_H

#include <stddef.h>

#define ABI_OFF(type, field, off)                                                                  \
    _Static_assert(offsetof(struct type, field) == (off), #type "." #field " offset")
#define ABI_SIZE(type, size) _Static_assert(sizeof(struct type) == (size), #type " size")

/* Same on both widths. */
ABI_SIZE(vcpu_time_info, 32);
ABI_OFF(vcpu_time_info, tsc_timestamp, 8);
ABI_OFF(vcpu_time_info, system_time, 16);
ABI_OFF(vcpu_time_info, tsc_to_system_mul, 24);
ABI_OFF(vcpu_time_info, tsc_shift, 28);
ABI_OFF(vcpu_time_info, flags, 29);
ABI_SIZE(vcpu_info, 64);
ABI_OFF(vcpu_info, evtchn_upcall_mask, 1);
ABI_OFF(vcpu_info, time, 32);
ABI_SIZE(xencons_interface, 3088);
ABI_OFF(xencons_interface, out, 1024);
ABI_OFF(xencons_interface, in_cons, 3072);
ABI_OFF(xencons_interface, in_prod, 3076);
ABI_OFF(xencons_interface, out_cons, 3080);
ABI_OFF(xencons_interface, out_prod, 3084);
ABI_OFF(xenstore_domain_interface, req_cons, 2048);
ABI_OFF(xenstore_domain_interface, evtchn_port, 2076);
ABI_SIZE(mmu_update, 16);
ABI_OFF(evtchn_status, port, 4);
ABI_OFF(evtchn_alloc_unbound, remote_dom, 2);
ABI_OFF(evtchn_alloc_unbound, port, 4);
ABI_SIZE(evtchn_alloc_unbound, 8);
ABI_OFF(evtchn_status, status, 8);
ABI_OFF(evtchn_status, vcpu, 12);
ABI_OFF(evtchn_status, u, 16);
ABI_SIZE(evtchn_status, 24);
ABI_SIZE(sched_shutdown, 4);
ABI_SIZE(evtchn_bind_virq, 12);
ABI_SIZE(evtchn_bind_ipi, 8);
ABI_SIZE(evtchn_close, 4);
ABI_SIZE(evtchn_unmask, 4);
ABI_OFF(evtchn_op, u, 4);
ABI_SIZE(evtchn_op, 28);
ABI_SIZE(vcpu_set_periodic_timer, 8);

#if defined(__x86_64__)
ABI_OFF(vcpu_info, evtchn_pending_sel, 8);
ABI_OFF(vcpu_info, arch.cr2, 16);
ABI_OFF(shared_info, evtchn_pending, 2048);
ABI_OFF(shared_info, evtchn_mask, 2560);
ABI_OFF(shared_info, wc_version, 3072);
ABI_OFF(shared_info, wc_sec, 3076);
ABI_OFF(shared_info, wc_nsec, 3080);
ABI_OFF(shared_info, wc_sec_hi, 3084);
ABI_OFF(shared_info, arch, 3088);
ABI_OFF(shared_info, arch.pfn_to_mfn_frame_list_list, 3096);
ABI_OFF(shared_info, arch.nmi_reason, 3104);
ABI_OFF(shared_info, arch.p2m_cr3, 3112);
ABI_OFF(shared_info, arch.p2m_vaddr, 3120);
ABI_OFF(shared_info, arch.p2m_generation, 3128);
ABI_SIZE(shared_info, 3136);
ABI_SIZE(arch_shared_info, 48);
ABI_OFF(start_info, nr_pages, 32);
ABI_OFF(start_info, shared_info, 40);
ABI_OFF(start_info, flags, 48);
ABI_OFF(start_info, store_mfn, 56);
ABI_OFF(start_info, store_evtchn, 64);
ABI_OFF(start_info, console.domU.mfn, 72);
ABI_OFF(start_info, console.domU.evtchn, 80);
ABI_OFF(start_info, pt_base, 88);
ABI_OFF(start_info, nr_pt_frames, 96);
ABI_OFF(start_info, mfn_list, 104);
ABI_OFF(start_info, mod_start, 112);
ABI_OFF(start_info, mod_len, 120);
ABI_OFF(start_info, cmd_line, 128);
ABI_OFF(start_info, first_p2m_pfn, 1152);
ABI_OFF(start_info, nr_p2m_frames, 1160);
ABI_SIZE(start_info, 1168);
ABI_SIZE(sched_poll, 24);
ABI_OFF(sched_poll, nr_ports, 8);
ABI_OFF(sched_poll, timeout, 16);
ABI_SIZE(trap_info, 16);
ABI_SIZE(callback_register, 16);
ABI_SIZE(mmuext_op, 24);
ABI_SIZE(multicall_entry, 64);
ABI_SIZE(iret_context, 72);
ABI_SIZE(vcpu_runstate_info, 48);
ABI_OFF(vcpu_runstate_info, state_entry_time, 8);
ABI_OFF(vcpu_runstate_info, time, 16);
ABI_SIZE(vcpu_set_singleshot_timer, 16);
#elif defined(__i386__)
ABI_OFF(vcpu_info, evtchn_pending_sel, 4);
ABI_OFF(vcpu_info, arch.cr2, 8);
ABI_OFF(shared_info, evtchn_pending, 2048);
ABI_OFF(shared_info, evtchn_mask, 2176);
ABI_OFF(shared_info, wc_version, 2304);
ABI_OFF(shared_info, arch, 2316);
ABI_OFF(shared_info, arch.wc_sec_hi, 2340);
ABI_SIZE(shared_info, 2344);
ABI_SIZE(arch_shared_info, 28);
ABI_OFF(start_info, shared_info, 36);
ABI_OFF(start_info, flags, 40);
ABI_OFF(start_info, store_mfn, 44);
ABI_OFF(start_info, store_evtchn, 48);
ABI_OFF(start_info, console.domU.mfn, 52);
ABI_OFF(start_info, console.domU.evtchn, 56);
ABI_OFF(start_info, pt_base, 60);
ABI_OFF(start_info, nr_pt_frames, 64);
ABI_OFF(start_info, mfn_list, 68);
ABI_OFF(start_info, mod_start, 72);
ABI_OFF(start_info, mod_len, 76);
ABI_OFF(start_info, cmd_line, 80);
ABI_OFF(start_info, first_p2m_pfn, 1104);
ABI_OFF(start_info, nr_p2m_frames, 1108);
ABI_SIZE(start_info, 1112);
ABI_SIZE(sched_poll, 16);
ABI_SIZE(trap_info, 8);
ABI_SIZE(callback_register, 12);
ABI_SIZE(mmuext_op, 12);
ABI_SIZE(multicall_entry, 32);
ABI_SIZE(vcpu_runstate_info, 44);
ABI_OFF(vcpu_runstate_info, state_entry_time, 4);
ABI_OFF(vcpu_runstate_info, time, 12);
ABI_SIZE(vcpu_set_singleshot_timer, 12);
#endif

#endif
