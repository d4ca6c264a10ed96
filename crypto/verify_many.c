/* verify_many.c — entry signatures checked on every core.
 *
 * Signature verification is what an entry costs (DESIGN.md, cost model); a
 * node ingesting a batch (a client's pipelined publishes, a peer's catch-up
 * batch) splits the batch across threads. Each thread owns a disjoint slice
 * of the items and of the results: nothing is shared but read-only input,
 * no lock is taken, and the threads live only for the call (or, begun with
 * rsn_entry_verify_start, until the join: the caller works meanwhile). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/thread.h"

#include "crypto/crypto.h"

#define THREADS_MAX 8
#define PER_THREAD_MIN 8 /* below this, a thread costs more than it saves */

typedef struct {
    const rsn_verify_item_t *items;
    int *results;
    size_t n;
} slice_t;

static void *verify_slice(void *arg)
{
    slice_t *s = arg;
    for (size_t i = 0; i < s->n; i++) {
        const rsn_verify_item_t *it = &s->items[i];
        s->results[i] = rsn_entry_verify(it->author, it->entry, it->len, it->signature);
    }
    return NULL;
}

int rsn_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > THREADS_MAX ? THREADS_MAX : (int)n;
}

void rsn_entry_verify_many(const rsn_verify_item_t *items, size_t n, int *results, int threads)
{
    if (threads <= 0) {
        threads = rsn_cpu_count();
    }
    if (threads > THREADS_MAX) {
        threads = THREADS_MAX;
    }
    if ((size_t)threads > n / PER_THREAD_MIN) {
        threads = (int)(n / PER_THREAD_MIN);
    }
    if (threads < 2) {
        slice_t all = {items, results, n};
        verify_slice(&all);
        return;
    }
    slice_t slices[THREADS_MAX];
    pthread_t tids[THREADS_MAX];
    bool started[THREADS_MAX] = {false};
    size_t per = (n + (size_t)threads - 1) / (size_t)threads;
    for (int t = 0; t < threads; t++) {
        size_t from = (size_t)t * per;
        size_t count = from >= n ? 0 : (n - from < per ? n - from : per);
        slices[t] = (slice_t){items + from, results + from, count};
    }
    /* slice 0 runs here; the others on threads (or here, if one cannot start) */
    for (int t = 1; t < threads; t++) {
        started[t] = rsn_thread_start(&tids[t], verify_slice, &slices[t]) == 0;
    }
    verify_slice(&slices[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t]) {
            pthread_join(tids[t], NULL);
        } else {
            verify_slice(&slices[t]);
        }
    }
}

struct rsn_verify_job {
    int threads;
    slice_t slices[THREADS_MAX];
    pthread_t tids[THREADS_MAX];
    bool started[THREADS_MAX];
};

void rsn_entry_verify_start(const rsn_verify_item_t *items, size_t n, int *results, int threads,
                            rsn_verify_job_t **job)
{
    *job = NULL;
    if (threads <= 0) {
        threads = rsn_cpu_count();
    }
    if (threads > THREADS_MAX) {
        threads = THREADS_MAX;
    }
    if ((size_t)threads > n / PER_THREAD_MIN) {
        threads = n >= PER_THREAD_MIN ? (int)(n / PER_THREAD_MIN) : 1;
    }
    if (n == 0) {
        return;
    }
    rsn_verify_job_t *j = calloc(1, sizeof *j);
    if (!j) {
        return;
    }
    j->threads = threads;
    size_t per = (n + (size_t)threads - 1) / (size_t)threads;
    bool any = false;
    for (int t = 0; t < threads; t++) {
        size_t from = (size_t)t * per;
        size_t count = from >= n ? 0 : (n - from < per ? n - from : per);
        j->slices[t] = (slice_t){items + from, results + from, count};
        j->started[t] = rsn_thread_start(&j->tids[t], verify_slice, &j->slices[t]) == 0;
        any = any || j->started[t];
    }
    if (!any) {
        free(j);
        return;
    }
    *job = j;
}

void rsn_entry_verify_join(rsn_verify_job_t **job, const rsn_verify_item_t *items, size_t n,
                           int *results)
{
    rsn_verify_job_t *j = *job;
    if (!j) {
        slice_t all = {items, results, n};
        verify_slice(&all);
        return;
    }
    for (int t = 0; t < j->threads; t++) {
        if (j->started[t]) {
            pthread_join(j->tids[t], NULL);
        } else {
            verify_slice(&j->slices[t]);
        }
    }
    free(j);
    *job = NULL;
}
