/* Shared helpers of the simulator self-test (see run.sh). */
#ifndef SIM_SELFTEST_H
#define SIM_SELFTEST_H

#include <stdio.h>

extern unsigned int selftest_failures;

/* Record a failure (with a message) and go on. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            selftest_failures++;                                                                   \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

void facts_check(void);

#endif
