/* A stand-in for hvsim-hv.elf that only speaks the serial contract, to test the ISO tooling. */

/*
 * tests/qemu-boot.sh boots this through scripts/mkiso.sh, GRUB and QEMU to
 * check tools/qemu-boot's verdicts (success, failure, hang, panic, reset)
 * without depending on the real hypervisor, and to see GRUB's quoting of
 * the module command lines end to end.  For each multiboot2 module it
 * prints
 *
 *   hv: module [<command line as GRUB passed it>]
 *   hv: <name> extra=[<extra after unquoting>]
 *   <name>| Test result: SUCCESS
 *
 * then the kernel's summary lines.  `fake=<mode>` on its own command line
 * picks what goes wrong: failure (the last domain reports FAILURE), hang,
 * panic, reset (a triple fault), noexit (summary, then no exit).
 *
 * Built with gcc -m32 -ffreestanding -nostdlib; GRUB enters in 32-bit
 * protected mode with paging off, so every pointer is a physical address.
 */

__asm__(".section .text.head, \"ax\"\n"
        ".align 8\n"
        "mb2_header:\n"
        ".long 0xe85250d6, 0, mb2_end - mb2_header\n"
        ".long -(0xe85250d6 + (mb2_end - mb2_header))\n"
        ".short 0, 0\n"
        ".long 8\n"
        "mb2_end:\n"
        ".globl _start\n"
        "_start:\n"
        "mov $stack_top, %esp\n"
        "push %ebx\n"
        "push %eax\n"
        "call fake_main\n"
        "1: cli; hlt; jmp 1b\n"
        ".section .bss\n"
        ".align 16\n"
        ".skip 16384\n"
        "stack_top:\n"
        ".text\n");

typedef unsigned int u32;

static inline void outb(unsigned short port, unsigned char v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline unsigned char inb(unsigned short port)
{
    unsigned char v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void put_char(char c)
{
    while (!(inb(0x3fd) & 0x20)) /* wait until the transmit holding register is empty */
        ;
    outb(0x3f8, (unsigned char)c);
}

static void put(const char *s)
{
    while (*s)
        put_char(*s++);
}

static void put_uint(u32 v)
{
    char buf[12];
    int n = 0;
    do
        buf[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        put_char(buf[--n]);
}

static void qemu_exit(u32 code)
{
    __asm__ volatile("outl %0, %1" ::"a"(code), "Nd"((unsigned short)0xf4));
    for (;;)
        __asm__ volatile("cli; hlt");
}

static int starts_with(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return 0;
    return 1;
}

static int equal(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/*
 * The next word of a command line, as the kernel's parser reads it: words
 * end at a blank outside double quotes, the quotes themselves are dropped
 * and a backslash takes the next byte as it is.  This covers key=value,
 * key="value with spaces" and "key=value with spaces".
 */
static const char *next_word(const char *p, char *out, u32 size)
{
    while (*p == ' ')
        p++;
    if (!*p)
        return 0;
    u32 n = 0;
    int quoted = 0;
    for (; *p && (quoted || *p != ' '); p++) {
        char c = *p;
        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (c == '\\' && p[1])
            c = *++p;
        if (n + 1 < size)
            out[n++] = c;
    }
    out[n] = 0;
    return p;
}

#define MAX_DOMAINS 64

static char names[MAX_DOMAINS][32];

void fake_main(u32 magic, u32 mbi);
void fake_main(u32 magic, u32 mbi)
{
    char word[1100], mode[16] = "";
    u32 n = 0;
    if (magic != 0x36d76289) {
        put("hv: PANIC: not booted by a multiboot2 loader\n");
        qemu_exit(2);
    }
    put("hv: fake hypervisor for tests/qemu-boot.sh\n");
    for (u32 p = mbi + 8;;) {
        u32 type = *(u32 *)p, size = *(u32 *)(p + 4);
        if (type == 0)
            break;
        if (type == 1) { /* the kernel's own command line */
            for (const char *s = (const char *)(p + 8); (s = next_word(s, word, sizeof(word)));) {
                if (starts_with(word, "fake="))
                    for (u32 i = 0; i < sizeof(mode) - 1 && word[5 + i]; i++)
                        mode[i] = word[5 + i];
            }
        }
        if (type == 3 && n < MAX_DOMAINS) { /* a module: one domain */
            const char *cmdline = (const char *)(p + 16);
            put("hv: module [");
            put(cmdline);
            put("]\n");
            char extra[1100] = "";
            for (const char *s = cmdline; (s = next_word(s, word, sizeof(word)));) {
                if (starts_with(word, "name="))
                    for (u32 i = 0; i < sizeof(names[n]) - 1 && word[5 + i]; i++)
                        names[n][i] = word[5 + i];
                if (starts_with(word, "extra="))
                    for (u32 i = 0; i < sizeof(extra) - 1 && word[6 + i]; i++)
                        extra[i] = word[6 + i];
            }
            put("hv: ");
            put(names[n]);
            put(" extra=[");
            put(extra);
            put("]\n");
            n++;
        }
        p += (size + 7) & ~7u;
    }
    if (equal(mode, "panic")) {
        put("hv: PANIC: fake panic\nhv: RIP 0x0 (a made-up register line)\n");
        qemu_exit(2);
    }
    if (equal(mode, "reset")) {
        /* No IDT: the breakpoint becomes a triple fault, which -no-reboot turns into an exit. */
        static const unsigned short empty_idt[3];
        __asm__ volatile("lidt %0; int3" ::"m"(empty_idt));
    }
    u32 ok = 0;
    for (u32 i = 0; i < n; i++) {
        int fail = equal(mode, "failure") && i == n - 1;
        put(names[i]);
        put(fail ? "| Test result: FAILURE\n" : "| Test result: SUCCESS\n");
    }
    if (equal(mode, "hang"))
        for (;;)
            __asm__ volatile("pause");
    for (u32 i = 0; i < n; i++) {
        int fail = equal(mode, "failure") && i == n - 1;
        put("hvsim: result ");
        put(names[i]);
        put(fail ? " FAILURE poweroff\n" : " SUCCESS poweroff\n");
        ok += !fail;
    }
    put("hvsim: done ");
    put_uint(ok);
    put("/");
    put_uint(n);
    put(" SUCCESS\n");
    if (equal(mode, "noexit"))
        for (;;)
            __asm__ volatile("cli; hlt");
    qemu_exit(ok == n ? 0 : 1);
}
