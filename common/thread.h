/* thread.h — starting a thread of the daemon's.
 *
 * Every thread raison starts (the API's front, workers, signature slices)
 * blocks every signal: the daemon's handlers only set flags the event loop
 * reads, and a signal delivered to another thread would reach the loop only
 * at its next wake instead of interrupting its poll. The mask is set around
 * pthread_create, which the new thread inherits. */
#ifndef RSN_THREAD_H
#define RSN_THREAD_H

#include <pthread.h>

/* pthread_create(THREAD, NULL, FN, ARG) with every signal blocked in the
 * new thread: 0 or pthread_create's error number. */
int rsn_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
