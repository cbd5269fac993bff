/* Small hypercalls: console_io, xen_version, vm_assist, callbacks, trap table, segments. */
#include "hv/arch.h"
#include "hv/elf.h"
#include "hv/hypercall.h"
#include "hv/lib.h"
#include "hv/mm.h"

/* console_io: a domU's output is filtered to printable text, as Xen does. */
static long console_write(struct vcpu *v, uint64_t count, uint64_t buf)
{
    char chunk[128], out[128];
    while (count) {
        size_t n = MIN(count, sizeof(chunk));
        if (copy_from_guest(v, chunk, buf, n))
            return -XEN_EFAULT;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if ((chunk[i] >= 0x20 && chunk[i] < 0x7f) || chunk[i] == '\n')
                out[k++] = chunk[i];
        arch_console_io_write(v->domain, out, k);
        buf += n;
        count -= n;
    }
    return 0;
}

long do_console_io(struct vcpu *v, const uint64_t a[5])
{
    switch (a[0]) {
    case CONSOLEIO_write:
        return console_write(v, a[1], a[2]);
    case CONSOLEIO_read: {
        char tmp[256];
        size_t n = arch_console_io_read(v->domain, tmp, MIN(a[1], sizeof(tmp)));
        if (n && copy_to_guest(v, a[2], tmp, n))
            return -XEN_EFAULT;
        return (long)n;
    }
    default:
        return -XEN_ENOSYS;
    }
}

static long copy_string_out(struct vcpu *v, uint64_t arg, const char *s, size_t field)
{
    char buf[1024];
    hv_memset(buf, 0, field);
    hv_strlcpy(buf, s, field);
    return copy_to_guest(v, arg, buf, field) ? -XEN_EFAULT : 0;
}

long do_xen_version(struct vcpu *v, const uint64_t a[5])
{
    uint64_t arg = a[1];
    switch (a[0]) {
    case XENVER_version:
        return (HV_XEN_MAJOR << 16) | HV_XEN_MINOR;
    case XENVER_extraversion:
        return copy_string_out(v, arg, HV_XEN_EXTRAVERSION, 16);
    case XENVER_compile_info: {
        char info[144];
        hv_memset(info, 0, sizeof(info));
        hv_strlcpy(info, "hvsim", 64);              /* compiler */
        hv_strlcpy(info + 64, "hvsim", 16);         /* compile_by */
        hv_strlcpy(info + 80, "hvsim", 32);         /* compile_domain */
        hv_strlcpy(info + 112, "reproducible", 32); /* compile_date: no host time */
        return copy_to_guest(v, arg, info, sizeof(info)) ? -XEN_EFAULT : 0;
    }
    case XENVER_capabilities:
        return copy_string_out(v, arg, HV_CAPABILITIES, 1024);
    case XENVER_changeset:
        return copy_string_out(v, arg, "hvsim", 64);
    case XENVER_platform_parameters: {
        uint64_t virt_start = HYPERVISOR_VIRT_START_64;
        return copy_to_guest(v, arg, &virt_start, 8) ? -XEN_EFAULT : 0;
    }
    case XENVER_get_features: {
        struct xen_feature_info fi;
        if (copy_from_guest(v, &fi, arg, sizeof(fi)))
            return -XEN_EFAULT;
        if (fi.submap_idx >= 1)
            return -XEN_EINVAL;
        fi.submap = 1u << XENFEAT_mmu_pt_update_preserve_ad;
        return copy_to_guest(v, arg, &fi, sizeof(fi)) ? -XEN_EFAULT : 0;
    }
    case XENVER_pagesize:
        return PAGE_SIZE;
    case 8: /* guest_handle: the domain handle, all zero here */
        return copy_string_out(v, arg, "", 16);
    case 9: /* commandline: denied to unprivileged domains, in Xen's words */
        return copy_string_out(v, arg, "<denied>", 1024);
    default:
        return -XEN_ENOSYS;
    }
}

long do_vm_assist(struct vcpu *v, const uint64_t a[5])
{
    uint64_t cmd = a[0], type = a[1];
    /* Xen checks the type against the 64-bit PV valid set before the command. */
    switch (type) {
    case VMASST_TYPE_4gb_segments:
    case VMASST_TYPE_4gb_segments_notify:
    case VMASST_TYPE_pae_extended_cr3:
        /* 32-bit segment and cr3 assists: nothing to do for a 64-bit guest. */
    case VMASST_TYPE_m2p_strict:
    case VMASST_TYPE_runstate_update_flag:
        /* Nothing here depends on these yet: the guest's M2P view is always
         * read-only and there is no runstate area. Recorded for later. */
        break;
    case VMASST_TYPE_writable_pagetables:
    case VMASST_TYPE_architectural_iopl:
        hv_log("d%u: unmodelled: vm_assist type %llu", v->domain->domid, (unsigned long long)type);
        return -XEN_EINVAL;
    default:
        return -XEN_EINVAL;
    }
    if (cmd != VMASST_CMD_enable && cmd != VMASST_CMD_disable)
        return -XEN_ENOSYS;
    unsigned long bit = 1UL << (type & 63);
    if (cmd == VMASST_CMD_enable)
        v->domain->vm_assist |= bit;
    else
        v->domain->vm_assist &= ~bit;
    return 0;
}

long do_set_trap_table(struct vcpu *v, const uint64_t a[5])
{
    uint64_t list = a[0];
    if (!list) {
        hv_memset(v->trap_ctxt, 0, sizeof(v->trap_ctxt));
        return 0;
    }
    /* Entries until a zero address; bounded so a hostile list cannot spin us. */
    for (unsigned int i = 0; i < 65536; i++) {
        struct trap_info t;
        if (copy_from_guest(v, &t, list + i * sizeof(t), sizeof(t)))
            return -XEN_EFAULT;
        if (!t.address)
            return 0;
        if (!va_canonical(t.address))
            return -XEN_EINVAL;
        v->trap_ctxt[t.vector] = (struct trap_bounce_target){t.address, t.cs, t.flags};
    }
    return -XEN_EINVAL;
}

long do_set_callbacks(struct vcpu *v, const uint64_t a[5])
{
    v->event_callback = a[0];
    v->failsafe_callback = a[1];
    v->syscall_callback = a[2];
    v->syscall_mask_events = false;
    return 0;
}

static long register_callback(struct vcpu *v, const struct callback_register *cb)
{
    bool mask = cb->flags & CALLBACKF_mask_events;
    if (!va_canonical(cb->address))
        return -XEN_EINVAL;
    switch (cb->type) {
    case CALLBACKTYPE_event:
        v->event_callback = cb->address;
        return 0;
    case CALLBACKTYPE_failsafe:
        v->failsafe_callback = cb->address;
        return 0;
    case CALLBACKTYPE_syscall:
        v->syscall_callback = cb->address;
        v->syscall_mask_events = mask;
        return 0;
    case CALLBACKTYPE_syscall32:
    case CALLBACKTYPE_sysenter:
    case CALLBACKTYPE_nmi:
        /* Accepted as Xen does; delivered once 32-bit user code and NMIs exist. */
        return 0;
    default:
        return -XEN_ENOSYS; /* Xen's answer to an unknown (or deprecated) type */
    }
}

long do_callback_op(struct vcpu *v, const uint64_t a[5])
{
    switch (a[0]) {
    case CALLBACKOP_register: {
        struct callback_register cb;
        if (copy_from_guest(v, &cb, a[1], sizeof(cb)))
            return -XEN_EFAULT;
        return register_callback(v, &cb);
    }
    case CALLBACKOP_unregister: {
        struct callback_unregister cb;
        if (copy_from_guest(v, &cb, a[1], sizeof(cb)))
            return -XEN_EFAULT;
        /* Xen lets a guest unregister only its NMI callback; unknown types: -ENOSYS. */
        switch (cb.type) {
        case CALLBACKTYPE_nmi:
            return 0;
        case CALLBACKTYPE_event:
        case CALLBACKTYPE_failsafe:
        case CALLBACKTYPE_syscall:
        case CALLBACKTYPE_syscall32:
        case CALLBACKTYPE_sysenter:
            return -XEN_EINVAL;
        default:
            return -XEN_ENOSYS;
        }
    }
    default:
        return -XEN_ENOSYS;
    }
}

long do_stack_switch(struct vcpu *v, const uint64_t a[5])
{
    v->kernel_ss = a[0];
    v->kernel_sp = a[1];
    return 0;
}

long do_set_segment_base(struct vcpu *v, const uint64_t a[5])
{
    uint64_t which = a[0], base = a[1];
    if (which != SEGBASE_GS_USER_SEL && !va_canonical(base))
        return -XEN_EINVAL;
    switch (which) {
    case SEGBASE_FS:
        v->regs.fs_base = base;
        break;
    case SEGBASE_GS_USER:
        v->gs_base_user = base;
        break;
    case SEGBASE_GS_KERNEL:
        v->gs_base_kernel = base;
        v->regs.gs_base = base;
        break;
    case SEGBASE_GS_USER_SEL:
        if ((base & 0xffff) == 0) { /* null selector: user GS base 0 */
            v->gs_base_user = 0;
            break;
        }
        hv_log("d%u: unmodelled: set_segment_base(GS_USER_SEL, 0x%llx)", v->domain->domid,
               (unsigned long long)base);
        return -XEN_EINVAL;
    default:
        return -XEN_EINVAL;
    }
    arch_segments_changed(v);
    return 0;
}
