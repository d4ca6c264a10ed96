/* support/clock.h — the clocks and the sleep tests need.
 *
 * Tests wait for things (a link to come up, a node to answer) against a
 * deadline on the monotonic clock, and stamp entries with the wall clock the
 * node itself uses (milliseconds since the epoch). */
#ifndef RSN_TEST_CLOCK_H
#define RSN_TEST_CLOCK_H

#include <stdint.h>

/* Seconds on the monotonic clock (for rates and deadlines). */
double rsn_test_now(void);

/* Milliseconds on the monotonic clock. */
int64_t rsn_test_mono_ms(void);

/* Milliseconds since the epoch (an entry's timestamp). */
uint64_t rsn_test_wall_ms(void);

/* Sleeps MS milliseconds, resuming after signals. */
void rsn_test_sleep_ms(double ms);

#endif
