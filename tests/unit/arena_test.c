/* arena_test.c — the request arena: zeroed, aligned memory; big requests
 * beside small ones; copies and printf; the byte count; destroy(NULL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/arena.h"

#define ALIGN _Alignof(max_align_t)

static bool all_zero(const void *p, size_t len)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < len; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

static void test_zeroed_and_aligned(void **state)
{
    (void)state;
    /* dirty the heap first so that zeroing is the arena's doing */
    for (int round = 0; round < 2; round++) {
        rsn_arena_t *a = rsn_arena_new();
        assert_non_null(a);
        for (size_t len = 0; len < 300; len++) {
            uint8_t *p = rsn_arena_alloc(a, len);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % ALIGN, 0);
            assert_true(all_zero(p, len));
            memset(p, 0xab, len);
        }
        rsn_arena_destroy(&a);
        assert_null(a);
    }
}

static void test_no_overlap(void **state)
{
    (void)state;
    rsn_arena_t *a = rsn_arena_new();
    assert_non_null(a);
    enum { N = 2000 };
    uint8_t *ptrs[N];
    for (size_t i = 0; i < N; i++) {
        size_t len = 1 + i % 37;
        ptrs[i] = rsn_arena_alloc(a, len);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], (int)(i & 0xff), len);
    }
    /* every allocation still holds what was written: none overlapped */
    for (size_t i = 0; i < N; i++) {
        size_t len = 1 + i % 37;
        for (size_t j = 0; j < len; j++) {
            assert_int_equal(ptrs[i][j], i & 0xff);
        }
    }
    rsn_arena_destroy(&a);
}

static void test_big(void **state)
{
    (void)state;
    rsn_arena_t *a = rsn_arena_new();
    assert_non_null(a);
    char *small = rsn_arena_strdup(a, "before");
    assert_non_null(small);

    size_t big_len = 1024 * 1024;
    uint8_t *big = rsn_arena_alloc(a, big_len);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % ALIGN, 0);
    assert_true(all_zero(big, big_len));
    memset(big, 0x5a, big_len);

    /* small ones after a big one still come, and nothing is disturbed */
    char *after = rsn_arena_strdup(a, "after");
    assert_non_null(after);
    uint8_t *big2 = rsn_arena_alloc(a, 100 * 1024);
    assert_non_null(big2);
    assert_true(all_zero(big2, 100 * 1024));
    assert_string_equal(small, "before");
    assert_string_equal(after, "after");
    assert_int_equal(big[0], 0x5a);
    assert_int_equal(big[big_len - 1], 0x5a);
    assert_true(rsn_arena_used(a) >= big_len + 100 * 1024);
    rsn_arena_destroy(&a);
}

static void test_copies_and_printf(void **state)
{
    (void)state;
    rsn_arena_t *a = rsn_arena_new();
    assert_non_null(a);

    const char *text = "hello, raison";
    char *s = rsn_arena_strdup(a, text);
    assert_non_null(s);
    assert_ptr_not_equal(s, text);
    assert_string_equal(s, text);
    char *e = rsn_arena_strdup(a, "");
    assert_non_null(e);
    assert_string_equal(e, "");

    const uint8_t bin[] = {0, 1, 2, 0xff, 0};
    uint8_t *m = rsn_arena_memdup(a, bin, sizeof bin);
    assert_non_null(m);
    assert_memory_equal(m, bin, sizeof bin);
    assert_non_null(rsn_arena_memdup(a, bin, 0));

    char *p = rsn_arena_printf(a, "%s #%d: %05.1f %x", "post", 42, 3.14159, 255u);
    assert_non_null(p);
    assert_string_equal(p, "post #42: 003.1 ff");
    char *empty = rsn_arena_printf(a, "%s", "");
    assert_non_null(empty);
    assert_string_equal(empty, "");

    /* longer than a block */
    char *long_text = malloc(40000);
    assert_non_null(long_text);
    memset(long_text, 'z', 39999);
    long_text[39999] = '\0';
    char *lp = rsn_arena_printf(a, "<%s>", long_text);
    assert_non_null(lp);
    assert_int_equal(strlen(lp), 40001);
    assert_int_equal(lp[0], '<');
    assert_int_equal(lp[40000], '>');
    free(long_text);
    rsn_arena_destroy(&a);
}

static void test_used_grows(void **state)
{
    (void)state;
    rsn_arena_t *a = rsn_arena_new();
    assert_non_null(a);
    assert_int_equal(rsn_arena_used(a), 0);
    size_t before = 0;
    for (size_t len = 1; len < 5000; len += 111) {
        assert_non_null(rsn_arena_alloc(a, len));
        size_t now = rsn_arena_used(a);
        assert_true(now >= before + len);
        before = now;
    }
    assert_non_null(rsn_arena_strdup(a, "twelve bytes"));
    assert_true(rsn_arena_used(a) >= before + 13);
    rsn_arena_destroy(&a);
}

static void test_destroy_null(void **state)
{
    (void)state;
    rsn_arena_destroy(NULL);
    rsn_arena_t *a = NULL;
    rsn_arena_destroy(&a);
    assert_null(a);
    a = rsn_arena_new(); /* an arena that never allocated */
    assert_non_null(a);
    rsn_arena_destroy(&a);
    assert_null(a);
    rsn_arena_destroy(&a); /* twice is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeroed_and_aligned),
        cmocka_unit_test(test_no_overlap),
        cmocka_unit_test(test_big),
        cmocka_unit_test(test_copies_and_printf),
        cmocka_unit_test(test_used_grows),
        cmocka_unit_test(test_destroy_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
