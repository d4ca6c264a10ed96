/* poller_test.c — the event loop: ZeroMQ sockets, plain descriptors, timers.
 *
 * Covered: a ZeroMQ PAIR socket pair (the reader's callback runs once a
 * message waits, not before), a pipe's read end, timers firing in the order
 * of their deadlines (ties in the order they were added) and periodic ones
 * again, a callback removing another registration due in the same turn and
 * one removing itself, the timeout with nothing ready, and the argument
 * errors. The test includes zmq.h only to make the socket pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>
#include <zmq.h>

#include "net/poller.h"
#include "support/clock.h"

#define MAX_CALLS 32

typedef struct {
    int ids[MAX_CALLS]; /* registration ids, in the order their callbacks ran */
    int events[MAX_CALLS];
    size_t count;
    rsn_poller_t *poller;
    int remove_id; /* removed by the next callback, when > 0 */
} log_t;

static void record(log_t *log, int id, int events)
{
    assert_true(log->count < MAX_CALLS);
    log->ids[log->count] = id;
    log->events[log->count] = events;
    log->count++;
    if (log->remove_id > 0) {
        assert_int_equal(rsn_poller_remove(log->poller, log->remove_id), 0);
        log->remove_id = 0;
    }
}

static void on_io(rsn_poller_t *poller, int id, int events, void *ctx)
{
    (void)poller;
    record(ctx, id, events);
}

static void on_timer(rsn_poller_t *poller, int id, void *ctx)
{
    (void)poller;
    record(ctx, id, 0);
}

static void on_timer_remove_self(rsn_poller_t *poller, int id, void *ctx)
{
    record(ctx, id, 0);
    assert_int_equal(rsn_poller_remove(poller, id), 0);
    assert_int_equal(rsn_poller_remove(poller, id), RSN_ERR_NOT_FOUND);
}

static void test_zmq_pair(void **state)
{
    (void)state;
    rsn_poller_t *poller = NULL;
    log_t log = {0};
    void *context = zmq_ctx_new();
    void *a = zmq_socket(context, ZMQ_PAIR);
    void *b = zmq_socket(context, ZMQ_PAIR);
    assert_int_equal(zmq_bind(a, "inproc://poller-test"), 0);
    assert_int_equal(zmq_connect(b, "inproc://poller-test"), 0);
    assert_int_equal(rsn_poller_new(&poller), 0);
    int id = 0;
    assert_int_equal(rsn_poller_add_socket(poller, b, RSN_POLLER_READABLE, on_io, &log, &id), 0);
    assert_true(id > 0);

    int64_t start = rsn_test_mono_ms();
    assert_int_equal(rsn_poller_wait(poller, 50), RSN_ERR_TIMEOUT);
    assert_true(rsn_test_mono_ms() - start >= 45);
    assert_int_equal(log.count, 0);

    assert_int_equal(zmq_send(a, "hi", 2, 0), 2);
    assert_int_equal(rsn_poller_wait(poller, 2000), 0);
    assert_int_equal(log.count, 1);
    assert_int_equal(log.ids[0], id);
    assert_int_equal(log.events[0], RSN_POLLER_READABLE);
    char buf[8];
    assert_int_equal(zmq_recv(b, buf, sizeof buf, ZMQ_DONTWAIT), 2);
    assert_memory_equal(buf, "hi", 2);

    /* removed: a waiting message no longer calls it */
    assert_int_equal(rsn_poller_remove(poller, id), 0);
    assert_int_equal(zmq_send(a, "again", 5, 0), 5);
    assert_int_equal(rsn_poller_wait(poller, 30), RSN_ERR_TIMEOUT);
    assert_int_equal(log.count, 1);

    rsn_poller_destroy(&poller);
    assert_null(poller);
    rsn_poller_destroy(&poller); /* idempotent */
    zmq_close(a);
    zmq_close(b);
    zmq_ctx_term(context);
}

static void test_pipe_fd(void **state)
{
    (void)state;
    rsn_poller_t *poller = NULL;
    log_t log = {0};
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(rsn_poller_new(&poller), 0);
    int rid = 0;
    int wid = 0;
    assert_int_equal(rsn_poller_add_fd(poller, fds[0], RSN_POLLER_READABLE, on_io, &log, &rid), 0);
    assert_int_equal(rsn_poller_wait(poller, 20), RSN_ERR_TIMEOUT);
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(rsn_poller_wait(poller, 2000), 0);
    assert_int_equal(log.count, 1);
    assert_int_equal(log.ids[0], rid);
    assert_int_equal(log.events[0], RSN_POLLER_READABLE);

    /* an empty pipe is writable at once */
    assert_int_equal(rsn_poller_remove(poller, rid), 0);
    assert_int_equal(rsn_poller_add_fd(poller, fds[1], RSN_POLLER_WRITABLE, on_io, &log, &wid), 0);
    assert_int_not_equal(wid, rid);
    assert_int_equal(rsn_poller_wait(poller, 2000), 0);
    assert_int_equal(log.count, 2);
    assert_int_equal(log.ids[1], wid);
    assert_int_equal(log.events[1], RSN_POLLER_WRITABLE);

    rsn_poller_destroy(&poller);
    close(fds[0]);
    close(fds[1]);
}

static void test_timers_in_order(void **state)
{
    (void)state;
    rsn_poller_t *poller = NULL;
    log_t log = {0};
    int late = 0, early = 0, tie1 = 0, tie2 = 0, every = 0;
    assert_int_equal(rsn_poller_new(&poller), 0);
    assert_int_equal(rsn_poller_add_timer(poller, 60, 0, on_timer, &log, &late), 0);
    assert_int_equal(rsn_poller_add_timer(poller, 20, 0, on_timer, &log, &early), 0);
    assert_int_equal(rsn_poller_add_timer(poller, 40, 0, on_timer, &log, &tie1), 0);
    assert_int_equal(rsn_poller_add_timer(poller, 40, 0, on_timer, &log, &tie2), 0);
    assert_int_equal(rsn_poller_add_timer(poller, 10, 25, on_timer, &log, &every), 0);

    int64_t start = rsn_test_mono_ms();
    while (rsn_test_mono_ms() - start < 200) {
        int rc = rsn_poller_wait(poller, 200);
        assert_true(rc == 0 || rc == RSN_ERR_TIMEOUT);
    }
    /* the one-shot timers, each once, by deadline then by age */
    int order[4] = {0};
    size_t n = 0;
    size_t periodic = 0;
    for (size_t i = 0; i < log.count; i++) {
        if (log.ids[i] == every) {
            periodic++;
        } else {
            assert_true(n < 4);
            order[n++] = log.ids[i];
        }
    }
    assert_int_equal(n, 4);
    assert_int_equal(order[0], early);
    assert_int_equal(order[1], tie1);
    assert_int_equal(order[2], tie2);
    assert_int_equal(order[3], late);
    assert_true(periodic >= 3 && periodic <= 9); /* 10, 35, ... ms over 200 ms */
    assert_int_equal(log.ids[0], every);         /* due first, at 10 ms */
    /* a one-shot timer is gone once fired; the periodic one stays */
    assert_int_equal(rsn_poller_remove(poller, early), RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_poller_remove(poller, every), 0);
    rsn_poller_destroy(&poller);
}

static void test_remove_during_callback(void **state)
{
    (void)state;
    rsn_poller_t *poller = NULL;
    log_t log = {0};
    int first = 0, second = 0, self_id = 0;
    assert_int_equal(rsn_poller_new(&poller), 0);
    log.poller = poller;
    /* both due in the same turn; the first removes the second */
    assert_int_equal(rsn_poller_add_timer(poller, 0, 0, on_timer, &log, &first), 0);
    assert_int_equal(rsn_poller_add_timer(poller, 0, 0, on_timer, &log, &second), 0);
    assert_int_equal(rsn_poller_add_timer(poller, 30, 5, on_timer_remove_self, &log, &self_id), 0);
    log.remove_id = second;
    assert_int_equal(rsn_poller_wait(poller, 100), 0);
    assert_int_equal(log.count, 1);
    assert_int_equal(log.ids[0], first);

    /* a periodic timer removing itself fires once */
    int64_t start = rsn_test_mono_ms();
    while (rsn_test_mono_ms() - start < 100) {
        int rc = rsn_poller_wait(poller, 20);
        assert_true(rc == 0 || rc == RSN_ERR_TIMEOUT);
    }
    assert_int_equal(log.count, 2);
    assert_int_equal(log.ids[1], self_id);

    /* a socket callback removes the other socket ready in the same turn */
    int fds_a[2], fds_b[2];
    assert_int_equal(pipe(fds_a), 0);
    assert_int_equal(pipe(fds_b), 0);
    int ida = 0, idb = 0;
    assert_int_equal(rsn_poller_add_fd(poller, fds_a[0], RSN_POLLER_READABLE, on_io, &log, &ida),
                     0);
    assert_int_equal(rsn_poller_add_fd(poller, fds_b[0], RSN_POLLER_READABLE, on_io, &log, &idb),
                     0);
    assert_int_equal(write(fds_a[1], "a", 1), 1);
    assert_int_equal(write(fds_b[1], "b", 1), 1);
    log.remove_id = idb;
    assert_int_equal(rsn_poller_wait(poller, 1000), 0);
    assert_int_equal(log.count, 3);
    assert_int_equal(log.ids[2], ida);
    assert_int_equal(rsn_poller_remove(poller, idb), RSN_ERR_NOT_FOUND);
    /* the one left keeps working */
    assert_int_equal(rsn_poller_wait(poller, 1000), 0);
    assert_int_equal(log.count, 4);
    assert_int_equal(log.ids[3], ida);

    rsn_poller_destroy(&poller);
    close(fds_a[0]);
    close(fds_a[1]);
    close(fds_b[0]);
    close(fds_b[1]);
}

static void test_errors(void **state)
{
    (void)state;
    rsn_poller_t *poller = NULL;
    log_t log = {0};
    assert_int_equal(rsn_poller_new(&poller), 0);
    assert_int_equal(rsn_poller_add_fd(poller, -1, RSN_POLLER_READABLE, on_io, &log, NULL),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_poller_add_fd(poller, 0, 0, on_io, &log, NULL), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_poller_add_fd(poller, 0, RSN_POLLER_READABLE, NULL, &log, NULL),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_poller_add_socket(poller, NULL, RSN_POLLER_READABLE, on_io, &log, NULL),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_poller_add_timer(poller, -1, 0, on_timer, &log, NULL),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_poller_add_timer(poller, 0, -5, on_timer, &log, NULL),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_poller_remove(poller, 0), RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_poller_remove(poller, 12345), RSN_ERR_NOT_FOUND);
    /* nothing registered: a finite wait times out, an endless one is refused */
    assert_int_equal(rsn_poller_wait(poller, 10), RSN_ERR_TIMEOUT);
    assert_int_equal(rsn_poller_wait(poller, -1), RSN_ERR_INVALID_ARG);
    assert_int_equal(log.count, 0);
    rsn_poller_destroy(&poller);
    rsn_poller_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zmq_pair),        cmocka_unit_test(test_pipe_fd),
        cmocka_unit_test(test_timers_in_order), cmocka_unit_test(test_remove_during_callback),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
