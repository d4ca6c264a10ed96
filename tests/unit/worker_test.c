/* worker_test.c — worker threads and their inproc channel to the loop.
 *
 * Covered: a worker's messages reach the loop's callback in order, more of
 * them than the high-water mark (the thread waits for the loop), and the
 * end callback runs once, after the last message, with what the thread left
 * in memory visible; a worker that would send forever is stopped and joined
 * by rsn_worker_destroy (its send returns RSN_ERR_INTERRUPTED); a message
 * over the limit is refused; two workers of one set run at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/poller.h"
#include "net/worker.h"

#define COUNT 200 /* messages, well over RSN_WORKER_HWM */

typedef struct {
    uint32_t next;    /* the next number the loop expects */
    int ends;         /* end callbacks seen */
    uint32_t at_end;  /* NEXT when the end came */
    uint32_t written; /* what the thread left for the loop */
    int last_rc;      /* the thread's last send */
    int too_large;    /* the thread's send of an oversized message */
} seen_t;

static void count_up(rsn_worker_chan_t *chan, void *arg)
{
    seen_t *s = arg;
    static uint8_t big[RSN_WORKER_MESSAGE_MAX + 1];
    s->too_large = rsn_worker_send(chan, big, sizeof big);
    for (uint32_t i = 0; i < COUNT; i++) {
        if ((s->last_rc = rsn_worker_send(chan, &i, sizeof i)) < 0) {
            return;
        }
    }
    s->written = 12345;
}

static void send_forever(rsn_worker_chan_t *chan, void *arg)
{
    seen_t *s = arg;
    for (uint32_t i = 0;; i++) {
        if ((s->last_rc = rsn_worker_send(chan, &i, sizeof i)) < 0) {
            return;
        }
    }
}

static void on_msg(rsn_worker_t *w, const uint8_t *msg, size_t len, void *ctx)
{
    seen_t *s = ctx;
    (void)w;
    assert_int_equal(len, sizeof(uint32_t));
    uint32_t n;
    memcpy(&n, msg, sizeof n);
    assert_int_equal(n, s->next);
    s->next++;
}

static void on_end(rsn_worker_t *w, void *ctx)
{
    seen_t *s = ctx;
    assert_false(rsn_worker_running(w));
    s->ends++;
    s->at_end = s->next;
}

static void test_messages_in_order_then_end(void **state)
{
    (void)state;
    rsn_poller_t *poller = NULL;
    rsn_workers_t *set = NULL;
    assert_int_equal(rsn_poller_new(&poller), 0);
    assert_int_equal(rsn_workers_new(&set, poller), 0);
    seen_t a = {0}, b = {0};
    rsn_worker_t *wa = NULL, *wb = NULL;
    assert_int_equal(rsn_worker_start(&wa, set, count_up, &a, on_msg, on_end, &a), 0);
    assert_int_equal(rsn_worker_start(&wb, set, count_up, &b, on_msg, on_end, &b), 0);
    assert_true(rsn_worker_running(wa));
    for (int turns = 0; (a.ends == 0 || b.ends == 0) && turns < 10000; turns++) {
        int rc = rsn_poller_wait(poller, 1000);
        assert_true(rc == 0 || rc == RSN_ERR_TIMEOUT);
    }
    assert_int_equal(a.ends, 1);
    assert_int_equal(b.ends, 1);
    assert_int_equal(a.at_end, COUNT);
    assert_int_equal(b.at_end, COUNT);
    assert_int_equal(a.written, 12345);
    assert_int_equal(a.last_rc, 0);
    assert_int_equal(a.too_large, RSN_ERR_TOO_LARGE);
    assert_false(rsn_worker_running(wa));
    rsn_worker_destroy(&wa);
    rsn_worker_destroy(&wb);
    assert_null(wa);
    rsn_worker_destroy(&wa); /* idempotent */
    rsn_workers_destroy(&set);
    rsn_poller_destroy(&poller);
}

static void test_destroy_stops_a_busy_worker(void **state)
{
    (void)state;
    rsn_poller_t *poller = NULL;
    rsn_workers_t *set = NULL;
    assert_int_equal(rsn_poller_new(&poller), 0);
    assert_int_equal(rsn_workers_new(&set, poller), 0);
    seen_t s = {0};
    rsn_worker_t *w = NULL;
    assert_int_equal(rsn_worker_start(&w, set, send_forever, &s, on_msg, on_end, &s), 0);
    for (int i = 0; i < 5; i++) {
        int rc = rsn_poller_wait(poller, 50);
        assert_true(rc == 0 || rc == RSN_ERR_TIMEOUT);
    }
    assert_true(s.next > 0);
    rsn_worker_destroy(&w); /* the thread is blocked on a full queue, or sending */
    assert_null(w);
    assert_int_equal(s.last_rc, RSN_ERR_INTERRUPTED);
    assert_int_equal(s.ends, 0);
    rsn_workers_destroy(&set);
    rsn_poller_destroy(&poller);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_in_order_then_end),
        cmocka_unit_test(test_destroy_stops_a_busy_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
