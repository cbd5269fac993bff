/* Replay fuzz corpora without libFuzzer: call LLVMFuzzerTestOneInput once per input file. */
/*
 * Linked with one fuzz target (fuzz/NAME.c) by a plain gcc --coverage build, so that
 * coverage/run.sh can measure what the corpora reach. Usage:
 *
 *   replay [-option...] FILE_OR_DIR...
 *
 * A directory is read recursively, entries in name order, like libFuzzer's corpus
 * directories. Arguments starting with '-' (libFuzzer options) are ignored. Each input is
 * passed in a buffer of exactly its size. Exit status: 0 when every input was replayed,
 * 1 when a file could not be read. If an input crashes the target, the coverage counters
 * gathered so far are written out before the process dies with the same signal.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: present only if the target defines it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* libgcov's "write the counters now"; this file is always linked with --coverage. */
void __gcov_dump(void);

static const char *current_input;
static unsigned long replayed;
static int read_errors;

static void on_crash(int sig)
{
    /* Not async-signal-safe, but the process is dying anyway: keep what was counted. */
    fprintf(stderr, "replay: signal %d on input %s\n", sig, current_input ? current_input : "?");
    __gcov_dump();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    int failed = ferror(f) || !buf;
    fclose(f);
    if (failed) {
        free(buf);
        return -1;
    }
    /* An exact-size copy, so reading past the end is caught as it would be under libFuzzer. */
    *data = malloc(len ? len : 1);
    if (!*data) {
        free(buf);
        return -1;
    }
    memcpy(*data, buf, len);
    free(buf);
    *size = len;
    return 0;
}

static void replay_file(const char *path)
{
    uint8_t *data;
    size_t size;
    if (read_file(path, &data, &size) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno ? errno : EIO));
        read_errors++;
        return;
    }
    current_input = path;
    LLVMFuzzerTestOneInput(data, size);
    current_input = NULL;
    free(data);
    replayed++;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        read_errors++;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    struct dirent **names;
    int n = scandir(path, &names, NULL, by_name);
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        read_errors++;
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            char *child;
            if (asprintf(&child, "%s/%s", path, name) < 0) {
                fprintf(stderr, "replay: out of memory\n");
                exit(1);
            }
            replay_path(child);
            free(child);
        }
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    signal(SIGABRT, on_crash);
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    signal(SIGILL, on_crash);
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-')
            replay_path(argv[i]);
    printf("replay: %lu inputs\n", replayed);
    return read_errors ? 1 : 0;
}
