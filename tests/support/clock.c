/* support/clock.c — the clocks and the sleep tests need (clock_gettime and
 * nanosleep, nothing else). */
#include "support/clock.h"

#include <errno.h>
#include <time.h>

double rsn_test_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t rsn_test_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t rsn_test_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void rsn_test_sleep_ms(double ms)
{
    time_t s = (time_t)(ms / 1000);
    struct timespec ts = {.tv_sec = s, .tv_nsec = (long)((ms - (double)s * 1000) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
