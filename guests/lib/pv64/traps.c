/* pv64 trap setup: the virtual IDT (set_trap_table), event/failsafe callbacks, kernel stack. */
#include "../hypercall.h"
#include "../traps.h"

_Static_assert(__HYPERVISOR_iret == 23, "entry.S jumps to HYPERCALL_iret = page + 23*32");

/* Asm stubs, entry.S. */
void entry_DE(void), entry_DB(void), entry_NMI(void), entry_BP(void), entry_OF(void);
void entry_BR(void), entry_UD(void), entry_NM(void), entry_DF(void), entry_CSO(void);
void entry_TS(void), entry_NP(void), entry_SS(void), entry_GP(void), entry_PF(void);
void entry_SPV(void), entry_MF(void), entry_AC(void), entry_MC(void), entry_XM(void);

/*
 * flags: bits 0-1 = DPL, the ring that may raise the vector with a
 * software `int n` (0: nobody). #BP and #OF are DPL 3 so int3/into work as
 * on bare metal. Bit 2 (mask events on entry) stays clear: most tests
 * never unmask upcalls, and this way the saved mask in the frame shows
 * what the hypervisor did, not what we asked for.
 */
static const struct trap_info trap_table[] = {
    {X86_EXC_DE, 0, KERNEL_CS, (unsigned long)entry_DE},
    {X86_EXC_DB, 0, KERNEL_CS, (unsigned long)entry_DB},
    {X86_EXC_NMI, 0, KERNEL_CS, (unsigned long)entry_NMI},
    {X86_EXC_BP, 3, KERNEL_CS, (unsigned long)entry_BP},
    {X86_EXC_OF, 3, KERNEL_CS, (unsigned long)entry_OF},
    {X86_EXC_BR, 0, KERNEL_CS, (unsigned long)entry_BR},
    {X86_EXC_UD, 0, KERNEL_CS, (unsigned long)entry_UD},
    {X86_EXC_NM, 0, KERNEL_CS, (unsigned long)entry_NM},
    {X86_EXC_DF, 0, KERNEL_CS, (unsigned long)entry_DF},
    {X86_EXC_CSO, 0, KERNEL_CS, (unsigned long)entry_CSO},
    {X86_EXC_TS, 0, KERNEL_CS, (unsigned long)entry_TS},
    {X86_EXC_NP, 0, KERNEL_CS, (unsigned long)entry_NP},
    {X86_EXC_SS, 0, KERNEL_CS, (unsigned long)entry_SS},
    {X86_EXC_GP, 0, KERNEL_CS, (unsigned long)entry_GP},
    {X86_EXC_PF, 0, KERNEL_CS, (unsigned long)entry_PF},
    {X86_EXC_SPV, 0, KERNEL_CS, (unsigned long)entry_SPV},
    {X86_EXC_MF, 0, KERNEL_CS, (unsigned long)entry_MF},
    {X86_EXC_AC, 0, KERNEL_CS, (unsigned long)entry_AC},
    {X86_EXC_MC, 0, KERNEL_CS, (unsigned long)entry_MC},
    {X86_EXC_XM, 0, KERNEL_CS, (unsigned long)entry_XM},
    {0, 0, 0, 0}, /* sentinel: address 0 ends the list */
};

static void register_callback(unsigned int type, void (*fn)(void), const char *name)
{
    struct callback_register cb = {
        .type = type,
        .flags = 0,
        .address = (unsigned long)fn,
    };
    long rc = hypercall_callback_op(CALLBACKOP_register, &cb);

    if (rc)
        panic("callback_op(register, %s) failed: %ld", name, rc);
}

void arch_setup(void)
{
    long rc;

    rc = hypercall_set_trap_table(trap_table);
    if (rc)
        panic("set_trap_table failed: %ld", rc);

    register_callback(CALLBACKTYPE_event, entry_hypervisor_callback, "event");
    register_callback(CALLBACKTYPE_failsafe, entry_failsafe_callback, "failsafe");

    rc = hypercall_stack_switch(KERNEL_SS, (unsigned long)kernel_stack_top);
    if (rc)
        panic("stack_switch failed: %ld", rc);
}
