/* Guest test "hello": the smallest end-to-end run through both console paths. */

/*
 * What it checks: the domain boots (ELF notes, start_info, hypercall page,
 * trap table, callbacks, shared_info mapping all worked, or setup would
 * have panicked), console_io(CONSOLEIO_write) prints "Hello from hvsim",
 * and the PV console ring carries "Hello via the console ring" to the
 * console backend, which must drain it (out_cons catches up with
 * out_prod). A failure here means the basic boot path or the console
 * backend is broken; every other guest depends on both.
 */
#include "xtf.h"

const char test_title[] = "Hello World";

void test_main(void)
{
    int rc;

    printk("Hello from hvsim\n");

    if (!pv_console_available()) {
        xtf_error("no PV console ring in start_info (console.domU.mfn is 0)");
        return;
    }
    rc = pv_console_write("Hello via the console ring\n", 27);
    if (rc) {
        xtf_failure("pv_console_write: %d", rc);
        return;
    }

    xtf_success(NULL);
}
