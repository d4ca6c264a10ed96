/* store_test.c — the LevelDB wrapper: round trips through batches, prefix
 * iteration in both directions with neighbouring prefixes present, seeks,
 * reopening, the lock that keeps a second process off the database, and
 * snapshots read from another thread.
 * Each test works in its own fresh folder under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "support/files.h"

typedef struct {
    char dir[RSN_TEST_DIR_MAX];
    rsn_store_t *store;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    if (rsn_test_tmpdir_make(f->dir, sizeof f->dir, "rsn-store") != 0) {
        free(f);
        return -1;
    }
    if (rsn_store_open(&f->store, f->dir) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    rsn_store_destroy(&f->store);
    (void)rsn_test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Asserts that KEY holds exactly VALUE (of LEN bytes). */
static void assert_value(rsn_store_t *store, const char *key, size_t key_len, const char *value,
                         size_t len)
{
    void *got = NULL;
    size_t got_len = 99;
    assert_int_equal(rsn_store_get(store, key, key_len, &got, &got_len), 0);
    assert_non_null(got);
    assert_int_equal(got_len, len);
    if (len) {
        assert_memory_equal(got, value, len);
    }
    rsn_store_free(got);
}

static void assert_absent(rsn_store_t *store, const char *key, size_t key_len)
{
    void *got = (void *)1;
    size_t got_len = 99;
    assert_int_equal(rsn_store_get(store, key, key_len, &got, &got_len), RSN_ERR_NOT_FOUND);
    assert_null(got);
    assert_int_equal(got_len, 0);
    assert_int_equal(rsn_store_has(store, key, key_len), RSN_ERR_NOT_FOUND);
}

static void test_put_get_delete(void **state)
{
    fixture_t *f = *state;
    rsn_batch_t *b = rsn_batch_new();
    assert_non_null(b);
    assert_int_equal(rsn_batch_count(b), 0);

    rsn_batch_put(b, "k1", 2, "v1", 2);
    rsn_batch_put(b, "k\0bin", 5, "\0\1\2", 3);
    rsn_batch_put(b, "empty", 5, NULL, 0);
    assert_int_equal(rsn_batch_count(b), 3);
    assert_absent(f->store, "k1", 2); /* nothing before the write */
    assert_int_equal(rsn_store_write(f->store, b, false), 0);
    assert_int_equal(rsn_batch_count(b), 3); /* left as it was */

    assert_value(f->store, "k1", 2, "v1", 2);
    assert_value(f->store, "k\0bin", 5, "\0\1\2", 3);
    assert_value(f->store, "empty", 5, "", 0);
    assert_int_equal(rsn_store_has(f->store, "k1", 2), 0);
    assert_int_equal(rsn_store_has(f->store, "empty", 5), 0);
    assert_absent(f->store, "k", 1); /* a prefix of a key is not the key */
    assert_absent(f->store, "k10", 3);

    rsn_batch_clear(b);
    assert_int_equal(rsn_batch_count(b), 0);
    rsn_batch_put(b, "k1", 2, "second", 6); /* overwrite */
    rsn_batch_delete(b, "k\0bin", 5);
    rsn_batch_delete(b, "never", 5); /* deleting what is absent is fine */
    assert_int_equal(rsn_batch_count(b), 3);
    assert_int_equal(rsn_store_write(f->store, b, true), 0);
    assert_value(f->store, "k1", 2, "second", 6);
    assert_absent(f->store, "k\0bin", 5);

    /* a batch is applied in order: put then delete of one key leaves nothing */
    rsn_batch_clear(b);
    rsn_batch_put(b, "x", 1, "1", 1);
    rsn_batch_delete(b, "x", 1);
    assert_int_equal(rsn_store_write(f->store, b, true), 0);
    assert_absent(f->store, "x", 1);

    /* an empty batch writes nothing and succeeds */
    rsn_batch_clear(b);
    assert_int_equal(rsn_store_write(f->store, b, false), 0);
    rsn_batch_destroy(&b);
    assert_null(b);
}

static void test_not_found(void **state)
{
    fixture_t *f = *state;
    assert_absent(f->store, "nothing", 7);
    assert_absent(f->store, "", 0);
}

static void test_big_value(void **state)
{
    fixture_t *f = *state;
    size_t len = 64 * 1024;
    char *big = malloc(len);
    assert_non_null(big);
    for (size_t i = 0; i < len; i++) {
        big[i] = (char)(i * 7);
    }
    rsn_batch_t *b = rsn_batch_new();
    assert_non_null(b);
    rsn_batch_put(b, "big", 3, big, len);
    assert_int_equal(rsn_store_write(f->store, b, true), 0);
    assert_value(f->store, "big", 3, big, len);
    rsn_batch_destroy(&b);
    free(big);
}

static void test_reopen_keeps_data(void **state)
{
    fixture_t *f = *state;
    rsn_batch_t *b = rsn_batch_new();
    assert_non_null(b);
    rsn_batch_put(b, "synced", 6, "yes", 3);
    assert_int_equal(rsn_store_write(f->store, b, true), 0);
    rsn_batch_clear(b);
    rsn_batch_put(b, "unsynced", 8, "also", 4);
    assert_int_equal(rsn_store_write(f->store, b, false), 0);

    rsn_store_destroy(&f->store);
    assert_null(f->store);
    assert_int_equal(rsn_store_open(&f->store, f->dir), 0);
    assert_value(f->store, "synced", 6, "yes", 3);
    /* a clean close keeps unsynced writes too (only a crash may lose them) */
    assert_value(f->store, "unsynced", 8, "also", 4);

    /* and the reopened store takes writes */
    rsn_batch_clear(b);
    rsn_batch_delete(b, "synced", 6);
    assert_int_equal(rsn_store_write(f->store, b, true), 0);
    assert_absent(f->store, "synced", 6);
    rsn_batch_destroy(&b);
}

/* Runs this program again as a separate process (a forked child would
 * inherit LevelDB's in-process lock table and never reach the fcntl lock)
 * that opens DIR; returns its exit status: 0 when it got EXPECT. */
static int child_open(const char *dir, int expect)
{
    char code[16];
    snprintf(code, sizeof code, "%d", expect);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        execl("/proc/self/exe", "store_test", "--try-open", dir, code, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

/* The child's side of child_open: exit 0 when opening DIR gives EXPECT. */
static int try_open(const char *dir, const char *expect)
{
    rsn_store_t *s = NULL;
    int rc = rsn_store_open(&s, dir);
    rsn_store_destroy(&s);
    return rc == atoi(expect) ? 0 : 10 + (-rc % 100);
}

static void test_locked(void **state)
{
    fixture_t *f = *state;
    /* another process */
    assert_int_equal(child_open(f->dir, RSN_ERR_LOCKED), 0);

    /* this process, a second time */
    rsn_store_t *second = (rsn_store_t *)1;
    assert_int_equal(rsn_store_open(&second, f->dir), RSN_ERR_LOCKED);
    assert_null(second);

    /* the lock goes with the close */
    rsn_store_destroy(&f->store);
    assert_int_equal(child_open(f->dir, 0), 0);
    assert_int_equal(rsn_store_open(&f->store, f->dir), 0);
}

static void test_open_failures(void **state)
{
    fixture_t *f = *state;
    char path[128];
    rsn_store_t *s = (rsn_store_t *)1;

    /* a parent folder that does not exist */
    snprintf(path, sizeof path, "%s/no/such/folder", f->dir);
    assert_int_equal(rsn_store_open(&s, path), RSN_ERR_IO);
    assert_null(s);

    /* a regular file where the folder should be */
    snprintf(path, sizeof path, "%s/file", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    s = (rsn_store_t *)1;
    assert_int_equal(rsn_store_open(&s, path), RSN_ERR_IO);
    assert_null(s);
}

static void test_destroy_null(void **state)
{
    (void)state;
    rsn_store_destroy(NULL);
    rsn_store_t *s = NULL;
    rsn_store_destroy(&s);
    assert_null(s);
    rsn_batch_destroy(NULL);
    rsn_batch_t *b = NULL;
    rsn_batch_destroy(&b);
    rsn_iter_destroy(NULL);
    rsn_iter_t *it = NULL;
    rsn_iter_destroy(&it);
    rsn_store_free(NULL);
}

/* ------------------------------------------------------------ iteration -- */

typedef struct {
    const char *key;
    size_t len;
} test_key_t;

/* clang-format off */
#define K(s) {s, sizeof(s) - 1}
/* clang-format on */

static const test_key_t keys[] = {
    K("A\xff"), K("B\x00"), K("B\x01"), K("B\xff\xff"), K("C"), K("\xff\x01"), K("\xff\xff\x02"),
};
#define NKEYS (sizeof keys / sizeof keys[0])

static void fill(rsn_store_t *store)
{
    rsn_batch_t *b = rsn_batch_new();
    assert_non_null(b);
    for (size_t i = 0; i < NKEYS; i++) {
        char value[16];
        int n = snprintf(value, sizeof value, "v%zu", i);
        rsn_batch_put(b, keys[i].key, keys[i].len, value, (size_t)n);
    }
    assert_int_equal(rsn_store_write(store, b, false), 0);
    rsn_batch_destroy(&b);
}

/* Asserts that IT is valid and on keys[I], with its value. */
static void assert_at(const rsn_iter_t *it, size_t i)
{
    assert_true(rsn_iter_valid(it));
    size_t len = 0;
    const uint8_t *k = rsn_iter_key(it, &len);
    assert_non_null(k);
    assert_int_equal(len, keys[i].len);
    assert_memory_equal(k, keys[i].key, len);
    char value[16];
    int n = snprintf(value, sizeof value, "v%zu", i);
    const uint8_t *v = rsn_iter_value(it, &len);
    assert_non_null(v);
    assert_int_equal(len, (size_t)n);
    assert_memory_equal(v, value, len);
}

static void test_iter_prefix_forward_backward(void **state)
{
    fixture_t *f = *state;
    fill(f->store);
    rsn_iter_t *it = rsn_iter_new(f->store, "B", 1);
    assert_non_null(it);
    assert_false(rsn_iter_valid(it)); /* nowhere until a seek */

    rsn_iter_first(it);
    assert_at(it, 1);
    rsn_iter_next(it);
    assert_at(it, 2);
    rsn_iter_next(it);
    assert_at(it, 3);
    rsn_iter_next(it);
    assert_false(rsn_iter_valid(it)); /* "C" is there, but not in "B" */

    rsn_iter_last(it);
    assert_at(it, 3);
    rsn_iter_prev(it);
    assert_at(it, 2);
    rsn_iter_prev(it);
    assert_at(it, 1);
    rsn_iter_prev(it);
    assert_false(rsn_iter_valid(it)); /* "A\xff" is before "B" */
    rsn_iter_prev(it);                /* moving off the end stays off */
    assert_false(rsn_iter_valid(it));
    rsn_iter_destroy(&it);
    assert_null(it);

    /* a prefix with nothing in it */
    it = rsn_iter_new(f->store, "Bz", 2);
    assert_non_null(it);
    rsn_iter_first(it);
    assert_false(rsn_iter_valid(it));
    rsn_iter_last(it);
    assert_false(rsn_iter_valid(it));
    rsn_iter_destroy(&it);

    /* the whole database */
    it = rsn_iter_new(f->store, NULL, 0);
    assert_non_null(it);
    size_t n = 0;
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        assert_at(it, n);
        n++;
    }
    assert_int_equal(n, NKEYS);
    for (rsn_iter_last(it); rsn_iter_valid(it); rsn_iter_prev(it)) {
        n--;
        assert_at(it, n);
    }
    assert_int_equal(n, 0);
    rsn_iter_destroy(&it);
}

static void test_iter_last_of_ff_prefixes(void **state)
{
    fixture_t *f = *state;
    fill(f->store);

    /* "B\xff": its successor is "C" */
    rsn_iter_t *it = rsn_iter_new(f->store, "B\xff", 2);
    assert_non_null(it);
    rsn_iter_last(it);
    assert_at(it, 3);
    rsn_iter_prev(it);
    assert_false(rsn_iter_valid(it));
    rsn_iter_first(it);
    assert_at(it, 3);
    rsn_iter_destroy(&it);

    /* "\xff" and "\xff\xff": no successor, the last key of all */
    it = rsn_iter_new(f->store, "\xff", 1);
    assert_non_null(it);
    rsn_iter_last(it);
    assert_at(it, 6);
    rsn_iter_prev(it);
    assert_at(it, 5);
    rsn_iter_prev(it);
    assert_false(rsn_iter_valid(it));
    rsn_iter_destroy(&it);

    it = rsn_iter_new(f->store, "\xff\xff", 2);
    assert_non_null(it);
    rsn_iter_last(it);
    assert_at(it, 6);
    rsn_iter_first(it);
    assert_at(it, 6);
    rsn_iter_destroy(&it);

    /* "C": the successor "D" is past "C" but before "\xff\x01" */
    it = rsn_iter_new(f->store, "C", 1);
    assert_non_null(it);
    rsn_iter_last(it);
    assert_at(it, 4);
    rsn_iter_destroy(&it);

    /* "A": its successor "B" exists, one step back is "A\xff" */
    it = rsn_iter_new(f->store, "A", 1);
    assert_non_null(it);
    rsn_iter_last(it);
    assert_at(it, 0);
    rsn_iter_destroy(&it);
}

static void test_iter_seek(void **state)
{
    fixture_t *f = *state;
    fill(f->store);
    rsn_iter_t *it = rsn_iter_new(f->store, "B", 1);
    assert_non_null(it);

    rsn_iter_seek(it, "B\x01", 2); /* exact */
    assert_at(it, 2);
    rsn_iter_seek(it, "B\x00\x00", 3); /* between: the next one */
    assert_at(it, 2);
    rsn_iter_seek(it, "B\x02", 2);
    assert_at(it, 3);
    rsn_iter_seek(it, "B", 1); /* the prefix itself: the first */
    assert_at(it, 1);
    rsn_iter_seek(it, "A", 1); /* below the prefix: the first of the prefix */
    assert_at(it, 1);
    rsn_iter_seek(it, "B\xff\xff\x00", 4); /* past the last */
    assert_false(rsn_iter_valid(it));
    rsn_iter_seek(it, "D", 1); /* past the prefix */
    assert_false(rsn_iter_valid(it));

    rsn_iter_seek_before(it, "B\x01", 2); /* exact */
    assert_at(it, 2);
    rsn_iter_seek_before(it, "B\x02", 2); /* between: the one before */
    assert_at(it, 2);
    rsn_iter_seek_before(it, "B\x00", 2);
    assert_at(it, 1);
    rsn_iter_seek_before(it, "B\xff\xff\xff", 4);
    assert_at(it, 3);
    rsn_iter_seek_before(it, "B", 1); /* before every key of the prefix */
    assert_false(rsn_iter_valid(it));
    rsn_iter_seek_before(it, "A\xff\xff", 3); /* below the prefix */
    assert_false(rsn_iter_valid(it));
    rsn_iter_seek_before(it, "C", 1); /* past the prefix: its last key */
    assert_at(it, 3);
    rsn_iter_seek_before(it, "\xff\xff\xff", 3); /* past every key */
    assert_at(it, 3);
    rsn_iter_seek_before(it, "B\x01", 2); /* then walk on from there */
    rsn_iter_prev(it);
    assert_at(it, 1);
    rsn_iter_next(it);
    assert_at(it, 2);
    rsn_iter_destroy(&it);

    /* seek_before past every key without a prefix: the last key of all */
    it = rsn_iter_new(f->store, "", 0);
    assert_non_null(it);
    rsn_iter_seek_before(it, "\xff\xff\xff", 3);
    assert_at(it, 6);
    rsn_iter_seek_before(it, "0", 1); /* before the first key */
    assert_false(rsn_iter_valid(it));
    rsn_iter_seek(it, "0", 1);
    assert_at(it, 0);
    rsn_iter_destroy(&it);
}

static void test_iter_sees_its_moment(void **state)
{
    fixture_t *f = *state;
    fill(f->store);
    rsn_iter_t *it = rsn_iter_new(f->store, "B", 1);
    assert_non_null(it);

    rsn_batch_t *b = rsn_batch_new();
    assert_non_null(b);
    rsn_batch_put(b, "B\x02", 2, "new", 3);
    rsn_batch_delete(b, "B\x01", 2);
    assert_int_equal(rsn_store_write(f->store, b, true), 0);
    rsn_batch_destroy(&b);

    /* the iterator made before the write sees neither change */
    rsn_iter_first(it);
    assert_at(it, 1);
    rsn_iter_next(it);
    assert_at(it, 2);
    rsn_iter_next(it);
    assert_at(it, 3);
    rsn_iter_destroy(&it);

    /* a new one sees both */
    it = rsn_iter_new(f->store, "B", 1);
    assert_non_null(it);
    rsn_iter_seek(it, "B\x01", 2);
    assert_true(rsn_iter_valid(it));
    size_t len = 0;
    const uint8_t *k = rsn_iter_key(it, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(k, "B\x02", 2);
    const uint8_t *v = rsn_iter_value(it, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "new", 3);
    rsn_iter_destroy(&it);
}

static void test_iter_empty_store(void **state)
{
    fixture_t *f = *state;
    rsn_iter_t *it = rsn_iter_new(f->store, "B", 1);
    assert_non_null(it);
    rsn_iter_first(it);
    assert_false(rsn_iter_valid(it));
    rsn_iter_last(it);
    assert_false(rsn_iter_valid(it));
    rsn_iter_seek_before(it, "B\x01", 2);
    assert_false(rsn_iter_valid(it));
    rsn_iter_next(it); /* harmless when off the end */
    rsn_iter_prev(it);
    assert_false(rsn_iter_valid(it));
    size_t len = 7;
    assert_null(rsn_iter_key(it, &len));
    assert_int_equal(len, 0);
    len = 7;
    assert_null(rsn_iter_value(it, &len));
    assert_int_equal(len, 0);
    rsn_iter_destroy(&it);
}

/* A snapshot reads, on another thread, the store as it was when taken,
 * while the writes go on; it refuses writes, and is released before the
 * store closes. */
typedef struct {
    rsn_store_t *snap;
    int gets_ok;   /* "B\x01" still read as "one" */
    int index_len; /* keys of length 2 under 'B' */
} snap_reader_t;

static void *read_snapshot(void *arg)
{
    snap_reader_t *r = arg;
    void *v = NULL;
    size_t len = 0;
    if (rsn_store_get(r->snap, "B\x01", 2, &v, &len) == 0 && len == 3 && memcmp(v, "one", 3) == 0) {
        r->gets_ok = 1;
    }
    rsn_store_free(v);
    rsn_index_t ix;
    if (rsn_index_open(&ix, r->snap, "B", 1, 2) == 0) {
        for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
            r->index_len++;
        }
        rsn_index_close(&ix);
    }
    return NULL;
}

static void test_snapshot(void **state)
{
    fixture_t *f = *state;
    rsn_batch_t *b = rsn_batch_new();
    assert_non_null(b);
    rsn_batch_put(b, "B\x01", 2, "one", 3);
    rsn_batch_put(b, "B\x02", 2, "two", 3);
    assert_int_equal(rsn_store_write(f->store, b, true), 0);
    rsn_batch_clear(b);

    rsn_store_t *snap = NULL;
    assert_int_equal(rsn_store_snapshot_new(f->store, &snap), 0);
    assert_true(rsn_store_is_snapshot(snap));
    assert_false(rsn_store_is_snapshot(f->store));
    rsn_store_t *twice = NULL;
    assert_int_equal(rsn_store_snapshot_new(snap, &twice), RSN_ERR_INVALID_ARG);
    assert_null(twice);

    /* the store moves on */
    rsn_batch_delete(b, "B\x01", 2);
    rsn_batch_put(b, "B\x03", 2, "three", 5);
    assert_int_equal(rsn_store_write(f->store, b, true), 0);
    assert_absent(f->store, "B\x01", 2);

    /* the snapshot, read on a thread of its own, does not */
    snap_reader_t r = {.snap = snap};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, read_snapshot, &r), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(r.gets_ok, 1);
    assert_int_equal(r.index_len, 2);
    assert_absent(snap, "B\x03", 2);
    assert_value(snap, "B\x02", 2, "two", 3);

    /* and refuses writes */
    assert_int_equal(rsn_store_write(snap, b, true), RSN_ERR_INVALID_ARG);
    rsn_batch_destroy(&b);
    rsn_store_destroy(&snap);
    assert_null(snap);
    assert_value(f->store, "B\x03", 2, "three", 5);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--try-open") == 0) {
        return try_open(argv[2], argv[3]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_failures, setup, teardown),
        cmocka_unit_test(test_destroy_null),
        cmocka_unit_test_setup_teardown(test_iter_prefix_forward_backward, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iter_last_of_ff_prefixes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iter_seek, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iter_sees_its_moment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iter_empty_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
