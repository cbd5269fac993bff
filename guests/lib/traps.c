/* Exception handling: record the fault, apply an exception-table fixup or panic. */
#include "traps.h"

extern const struct extable_entry __start_ex_table[], __stop_ex_table[];

struct ex_record last_exception;
unsigned long exception_count;

static const char *const exc_names[X86_NR_HANDLED_VECTORS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR",  "#UD", "#NM", "#DF", "#CSO",
    "#TS", "#NP", "#SS", "#GP", "#PF", "#SPV", "#MF", "#AC", "#MC", "#XM",
};

const char *exception_name(unsigned int vector)
{
    return vector < ARRAY_SIZE(exc_names) ? exc_names[vector] : "#??";
}

static const struct extable_entry *search_extable(unsigned long ip)
{
    for (const struct extable_entry *e = __start_ex_table; e < __stop_ex_table; e++) {
        if (e->fault == ip)
            return e;
    }
    return NULL;
}

void do_exception(struct ex_regs *regs)
{
    unsigned int vec = regs->entry_vector;
    const struct extable_entry *fix;

    exception_count++;
    last_exception.vector = vec;
    last_exception.error_code = regs->error_code;
    last_exception.ip = regs->ip;
    last_exception.cs = regs->cs;
    last_exception.flags = regs->flags;
    last_exception.sp = regs->sp;
    last_exception.ss = regs->ss;
    last_exception.cr2 = 0;
    /* cr2 is only readable once shared_info is mapped (setup does that early). */
    if (vec == X86_EXC_PF && shared_info)
        last_exception.cr2 = READ_ONCE(shared_info->vcpu_info[0].arch.cr2);

    fix = search_extable(regs->ip);
    if (fix) {
        regs->ax = EXINFO(vec, regs->error_code);
        regs->ip = fix->fixup;
        return;
    }

    panic("Unhandled exception %u (%s) at %04lx:%p, error code %#x, cr2 %p\n"
          "  flags %#lx sp %p ss %#lx\n"
          "  ax %#lx bx %#lx cx %#lx dx %#lx si %#lx di %#lx bp %#lx",
          vec, exception_name(vec), regs->cs & 0xffff, (void *)regs->ip, regs->error_code,
          (void *)last_exception.cr2, regs->flags, (void *)regs->sp, regs->ss, regs->ax, regs->bx,
          regs->cx, regs->dx, regs->si, regs->di, regs->bp);
}

void do_failsafe_callback(void)
{
    panic("failsafe callback (the hypervisor could not load a segment or bounce a frame)");
}
