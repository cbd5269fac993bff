/* Guest test "hypercalls": every implemented hypercall and sub-op, with good and bad arguments. */

/*
 * What it checks: the exact return value of each hypercall the core
 * implements, called once with good arguments and once or more with bad
 * ones (unknown numbers and sub-ops -> -ENOSYS, bad pointers -> -EFAULT,
 * out-of-range values -> -EINVAL), plus the data the good calls return
 * (version 4.19, capabilities string, feature bits, platform parameters,
 * event-channel status of the console port, multicall results). Every
 * mismatch is one "FAILURE: <what>: got X expected Y" line and the test
 * carries on, so one run lists every wrong result. A failure means the
 * hypervisor's ABI differs from Xen's (as written down in xen-abi.md) for
 * that call: a real PV kernel could take a wrong branch on it.
 *
 * Side effects a reader should know about: SCHEDOP_shutdown_code latches
 * reason 0 (poweroff) for the rest of the run, as in Xen; FS base is set
 * and restored to 0; m2p_strict is enabled; the callbacks and kernel stack
 * are re-registered with the same values setup used.
 */
#include "xtf.h"

const char test_title[] = "Hypercall ABI: results with good and bad arguments";

/* Unmapped in every domain we build (the initial mapping ends far below 2 GiB). */
#define UNMAPPED_VA 0x7fff0000UL
#define NONCANONICAL_VA 0xdead000000000000UL

#define XEN_VERSION_4_19 0x40013

static char page_buf[PAGE_SIZE] __page_aligned;

static void test_unknown_hypercall(void)
{
    check_rc("hypercall 45 (unused number)", HYPERCALL0(45), -XEN_ENOSYS);
}

static void test_console_io(void)
{
    static const char msg[] = "console_io: direct write\n";
    char buf[16];

    check_rc("console_io(write, 0, NULL)", hypercall_console_io(CONSOLEIO_write, 0, NULL), 0);
    check_rc("console_io(write, msg)", hypercall_console_io(CONSOLEIO_write, sizeof(msg) - 1, msg),
             0);
    check_rc("console_io(write, non-canonical buffer)",
             hypercall_console_io(CONSOLEIO_write, 4, (const char *)NONCANONICAL_VA), -XEN_EFAULT);
    check_rc("console_io(write, unmapped buffer)",
             hypercall_console_io(CONSOLEIO_write, 4, (const char *)UNMAPPED_VA), -XEN_EFAULT);
    check_rc("console_io(99)", hypercall_console_io(99, 0, NULL), -XEN_ENOSYS);
    check_rc("console_io(read, 16) with no input",
             hypercall_console_io(CONSOLEIO_read, sizeof(buf), buf), 0);
}

static void test_xen_version(void)
{
    char extra[16], caps[1024];
    struct xen_feature_info fi;
    struct xen_platform_parameters pp;
    long rc;

    check_rc("xen_version(version)", hypercall_xen_version(XENVER_version, NULL), XEN_VERSION_4_19);

    memset(extra, 0xff, sizeof(extra));
    rc = hypercall_xen_version(XENVER_extraversion, extra);
    if (check_rc("xen_version(extraversion)", rc, 0)) {
        if (strnlen(extra, sizeof(extra)) == sizeof(extra))
            xtf_failure("xen_version(extraversion): no NUL in the 16-byte buffer");
        else
            printk("extraversion: \"%s\"\n", extra);
    }

    memset(caps, 0xff, sizeof(caps));
    rc = hypercall_xen_version(XENVER_capabilities, caps);
    if (check_rc("xen_version(capabilities)", rc, 0)) {
        if (strnlen(caps, sizeof(caps)) == sizeof(caps))
            xtf_failure("xen_version(capabilities): no NUL in the 1024-byte buffer");
        else if (strcmp(caps, "xen-3.0-x86_64 xen-3.0-x86_32p"))
            xtf_failure("xen_version(capabilities): got \"%s\" expected "
                        "\"xen-3.0-x86_64 xen-3.0-x86_32p\"",
                        caps);
    }

    fi.submap_idx = 0;
    fi.submap = 0;
    rc = hypercall_xen_version(XENVER_get_features, &fi);
    if (check_rc("xen_version(get_features, 0)", rc, 0)) {
        printk("features submap 0: %#x\n", fi.submap);
        check_true("get_features(0): XENFEAT_mmu_pt_update_preserve_ad not set",
                   fi.submap & (1u << XENFEAT_mmu_pt_update_preserve_ad));
    }
    fi.submap_idx = 1;
    check_rc("xen_version(get_features, 1)", hypercall_xen_version(XENVER_get_features, &fi),
             -XEN_EINVAL);

    pp.virt_start = 0;
    rc = hypercall_xen_version(XENVER_platform_parameters, &pp);
    if (check_rc("xen_version(platform_parameters)", rc, 0) &&
        pp.virt_start != HYPERVISOR_VIRT_START_64)
        xtf_failure("platform_parameters.virt_start: got %#lx expected %#llx", pp.virt_start,
                    HYPERVISOR_VIRT_START_64);

    check_rc("xen_version(pagesize)", hypercall_xen_version(XENVER_pagesize, NULL), 4096);
    check_rc("xen_version(99)", hypercall_xen_version(99, NULL), -XEN_ENOSYS);
    check_rc("xen_version(capabilities, unmapped buffer)",
             hypercall_xen_version(XENVER_capabilities, (void *)UNMAPPED_VA), -XEN_EFAULT);
}

static evtchn_port_t console_port(void)
{
    return start_info->console.domU.evtchn;
}

static bool port_pending(evtchn_port_t port)
{
    const unsigned int bits = sizeof(xen_ulong_t) * 8;

    return READ_ONCE(shared_info->evtchn_pending[port / bits]) & (1UL << (port % bits));
}

static void clear_port_pending(evtchn_port_t port)
{
    const unsigned int bits = sizeof(xen_ulong_t) * 8;

    asm volatile("lock btr %1, %0"
                 : "+m"(shared_info->evtchn_pending[port / bits])
                 : "r"((unsigned long)(port % bits))
                 : "memory");
}

static void test_sched_op(void)
{
    struct sched_shutdown sd;
    struct sched_poll poll;
    evtchn_port_t ports[130];
    evtchn_port_t port = console_port();
    long rc;

    check_rc("sched_op(yield)", hypercall_sched_op(SCHEDOP_yield, NULL), 0);
    check_rc("sched_op(99)", hypercall_sched_op(99, NULL), -XEN_ENOSYS);

    /* Latches poweroff (0) as the shutdown code; the final shutdown is poweroff anyway. */
    sd.reason = SHUTDOWN_poweroff;
    check_rc("sched_op(shutdown_code, poweroff)", hypercall_sched_op(SCHEDOP_shutdown_code, &sd),
             0);

    /* If the hypervisor accepts this, the domain is gone: no result line (a CRASH). */
    sd.reason = 99;
    check_rc("sched_op(shutdown, reason 99)", hypercall_sched_op(SCHEDOP_shutdown, &sd),
             -XEN_EINVAL);

    memset(ports, 0, sizeof(ports));
    poll.ports = ports;
    poll.nr_ports = 129;
    poll.timeout = 0;
    check_rc("sched_op(poll, 129 ports)", hypercall_sched_op(SCHEDOP_poll, &poll), -XEN_EINVAL);

    /*
     * Poll the console port after a send. The console backend acknowledges
     * every send by setting the port pending, so this returns at once; the
     * pending bit is cleared first so that the return really is due to this
     * send. The timeout (absolute system time, 1 s from the last published
     * time) only keeps a broken backend from hanging the test forever.
     */
    clear_port_pending(port);
    check_rc("evtchn send before poll", hypercall_evtchn_send(port), 0);
    ports[0] = port;
    poll.nr_ports = 1;
    poll.timeout = pvclock_last_system_time() + 1000000000ULL;
    rc = hypercall_sched_op(SCHEDOP_poll, &poll);
    check_rc("sched_op(poll, console port, after send)", rc, 0);
    check_true("console port not pending after send + poll: the backend did not acknowledge",
               port_pending(port));
}

static void test_traps_and_callbacks(void)
{
    struct callback_register cb = {.type = 99, .address = (unsigned long)entry_hypervisor_callback};
    struct callback_unregister ucb = {.type = CALLBACKTYPE_event};

    check_rc("set_trap_table(unmapped list)",
             hypercall_set_trap_table((const struct trap_info *)UNMAPPED_VA), -XEN_EFAULT);

    check_rc("callback_op(register, type 99)", hypercall_callback_op(CALLBACKOP_register, &cb),
             -XEN_ENOSYS);
    check_rc("callback_op(unregister, event)", hypercall_callback_op(CALLBACKOP_unregister, &ucb),
             -XEN_EINVAL);
    check_rc("callback_op(99)", hypercall_callback_op(99, &cb), -XEN_ENOSYS);

    check_rc("set_callbacks(event, failsafe, 0)",
             hypercall_set_callbacks((unsigned long)entry_hypervisor_callback,
                                     (unsigned long)entry_failsafe_callback, 0),
             0);
    check_rc("stack_switch(kernel ss, kernel stack)",
             hypercall_stack_switch(KERNEL_SS, (unsigned long)kernel_stack_top), 0);
}

static void test_segment_base(void)
{
    static unsigned long fs_probe = 0x5eb5eb5eb5eb5eb5UL;
    unsigned long v;

    check_rc("set_segment_base(FS, 0x1000)", hypercall_set_segment_base(SEGBASE_FS, 0x1000), 0);

    /* The base must really be used: %fs:0 reads fs_probe once FS base is its address. */
    if (check_rc("set_segment_base(FS, &fs_probe)",
                 hypercall_set_segment_base(SEGBASE_FS, (unsigned long)&fs_probe), 0)) {
        asm volatile("mov %%fs:0, %0" : "=r"(v) : : "memory");
        if (v != fs_probe)
            xtf_failure("%%fs:0 with FS base = &fs_probe: got %#lx expected %#lx", v, fs_probe);
    }
    check_rc("set_segment_base(FS, 0)", hypercall_set_segment_base(SEGBASE_FS, 0), 0);

    check_rc("set_segment_base(99, 0)", hypercall_set_segment_base(99, 0), -XEN_EINVAL);
    check_rc("set_segment_base(FS, non-canonical)",
             hypercall_set_segment_base(SEGBASE_FS, 0x800000000000UL), -XEN_EINVAL);
}

static void test_vm_assist(void)
{
    check_rc("vm_assist(enable, m2p_strict)",
             hypercall_vm_assist(VMASST_CMD_enable, VMASST_TYPE_m2p_strict), 0);
    check_rc("vm_assist(enable, 99)", hypercall_vm_assist(VMASST_CMD_enable, 99), -XEN_EINVAL);
    check_rc("vm_assist(7, 0)", hypercall_vm_assist(7, 0), -XEN_ENOSYS);
}

static void test_multicall(void)
{
    struct multicall_entry mc[2];
    long rc;

    memset(mc, 0, sizeof(mc));
    mc[0].op = __HYPERVISOR_xen_version;
    mc[0].args[0] = XENVER_version;
    mc[1].op = __HYPERVISOR_sched_op;
    mc[1].args[0] = 99;
    mc[0].result = mc[1].result = 0x5a5a5a5a;

    rc = hypercall_multicall(mc, 2);
    if (check_rc("multicall([xen_version(version), sched_op(99)])", rc, 0)) {
        check_rc("multicall entry 0 (xen_version) result", (long)mc[0].result, XEN_VERSION_4_19);
        check_rc("multicall entry 1 (sched_op(99)) result", (long)mc[1].result, -XEN_ENOSYS);
    }
}

static void test_event_channel_op(void)
{
    evtchn_port_t port = console_port();
    struct evtchn_status st;
    struct evtchn_send send;
    long rc;

    check_rc("evtchn send(console port)", hypercall_evtchn_send(port), 0);
    check_rc("evtchn send(5000)", hypercall_evtchn_send(5000), -XEN_EINVAL);

    memset(&st, 0, sizeof(st));
    st.dom = DOMID_SELF;
    st.port = port;
    rc = hypercall_event_channel_op(EVTCHNOP_status, &st);
    if (check_rc("evtchn status(console port)", rc, 0)) {
        check_rc("evtchn status(console port).status", st.status, EVTCHNSTAT_interdomain);
        check_rc("evtchn status(console port).u.interdomain.dom", st.u.interdomain.dom, 0);
    }

    memset(&st, 0, sizeof(st));
    st.dom = DOMID_SELF;
    st.port = 40;
    st.status = 0x5a;
    rc = hypercall_event_channel_op(EVTCHNOP_status, &st);
    if (check_rc("evtchn status(40)", rc, 0))
        check_rc("evtchn status(40).status", st.status, EVTCHNSTAT_closed);

    memset(&st, 0, sizeof(st));
    st.dom = DOMID_SELF;
    st.port = 5000;
    check_rc("evtchn status(5000)", hypercall_event_channel_op(EVTCHNOP_status, &st), -XEN_EINVAL);

    send.port = port;
    check_rc("event_channel_op(99)", hypercall_event_channel_op(99, &send), -XEN_ENOSYS);
}

static void test_descriptors(void)
{
    unsigned long frames[16] = {0};
    uint64_t maddr = ((uint64_t)virt_to_mfn(page_buf) << PAGE_SHIFT) | 1;

    check_rc("set_gdt(20000 entries)", hypercall_set_gdt(frames, 20000), -XEN_EINVAL);
    check_rc("update_descriptor(odd machine address)", hypercall_update_descriptor(maddr, 0),
             -XEN_EINVAL);
}

static void test_mmuext_op(void)
{
    struct mmuext_op op = {.cmd = MMUEXT_TLB_FLUSH_LOCAL};
    unsigned int done = 0xdead;

    check_rc("mmuext_op(TLB_FLUSH_LOCAL)", hypercall_mmuext_op(&op, 1, &done, DOMID_SELF), 0);
    check_rc("mmuext_op(TLB_FLUSH_LOCAL) done count", done, 1);

    op.cmd = 99;
    check_rc("mmuext_op(99)", hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF), -XEN_ENOSYS);
}

static void test_update_va_mapping(void)
{
    check_rc("update_va_mapping(VA in the hypervisor hole)",
             hypercall_update_va_mapping(HYPERVISOR_VIRT_START_64 + 0x1000, 0, UVMF_INVLPG),
             -XEN_EINVAL);
}

void test_main(void)
{
    if (!pv_console_available()) {
        xtf_error("no PV console in start_info: the event-channel checks need its port");
        return;
    }

    test_unknown_hypercall();
    test_console_io();
    test_xen_version();
    test_sched_op();
    test_traps_and_callbacks();
    test_segment_base();
    test_vm_assist();
    test_multicall();
    test_event_channel_op();
    test_descriptors();
    test_mmuext_op();
    test_update_va_mapping();

    if (!xtf_has_failures())
        xtf_success(NULL);
}
