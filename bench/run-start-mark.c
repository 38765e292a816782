/* SPDX-License-Identifier: MIT */
/* run-start-mark: prints CLOCK_MONOTONIC in ns; run-start's COMMAND, static so its own start costs
 * little. */
#include <stdio.h>
#include <time.h>

int main(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        printf("%llu\n",
               (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec);
        return 0;
}
