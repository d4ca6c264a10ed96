/* metrics_text_test.c — the Prometheus text writer (daemon/metrics_text.h)
 * and the counting of daemon/metrics.h, without a node.
 *
 * Covers: a family's HELP and TYPE lines, help text escaped (backslash and
 * newline, quotes kept), label values escaped (backslash, quote, newline),
 * labels in the order given; values printed exactly (integers at any
 * size, fractions, +Inf, -Inf, NaN); a histogram's buckets in ascending le
 * order, cumulative, ending at +Inf equal to _count, a value on a bound
 * counted in that bound's bucket; a page that does not fit refused whole,
 * one that fits exactly kept; names outside the grammar refused; and the
 * metrics module's API call counts: ok and error apart, the histogram's
 * count equal to the calls, an unknown call counted as "none", every call
 * of the API listed from the start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "daemon/metrics.h"
#include "daemon/metrics_text.h"
#include "proto/codec.h"

/* The page of T, which must be whole. */
static const char *page(const rsn_mtext_t *t)
{
    const char *text = NULL;
    size_t len = 0;
    assert_int_equal(rsn_mtext_result(t, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    return text;
}

static void test_family_and_escaping(void **state)
{
    (void)state;
    rsn_mtext_t *t = rsn_mtext_new(4096);
    assert_non_null(t);
    rsn_mtext_family(t, "raison_x_total", "counter", "Says \"hi\" with a \\ and\na newline.");
    rsn_mlabel_t l[] = {{"peer", "a\"b\\c\nd"}, {"site", "paris"}};
    rsn_mtext_sample_u64(t, "raison_x_total", l, 2, 18446744073709551615ull);
    rsn_mtext_sample(t, "raison_x_total", NULL, 0, 0.25);
    assert_string_equal(page(t), "# HELP raison_x_total Says \"hi\" with a \\\\ and\\na newline.\n"
                                 "# TYPE raison_x_total counter\n"
                                 "raison_x_total{peer=\"a\\\"b\\\\c\\nd\",site=\"paris\"} "
                                 "18446744073709551615\n"
                                 "raison_x_total 0.25\n");
    rsn_mtext_destroy(&t);
    assert_null(t);
    rsn_mtext_destroy(&t); /* idempotent */
}

static void test_values(void **state)
{
    (void)state;
    rsn_mtext_t *t = rsn_mtext_new(4096);
    assert_non_null(t);
    rsn_mtext_family(t, "raison_v", "gauge", "Values.");
    rsn_mtext_sample(t, "raison_v", NULL, 0, 3);
    rsn_mtext_sample(t, "raison_v", NULL, 0, -2);
    rsn_mtext_sample(t, "raison_v", NULL, 0, 1.5e-7);
    rsn_mtext_sample(t, "raison_v", NULL, 0, 0.1 + 0.2);
    rsn_mtext_sample(t, "raison_v", NULL, 0, INFINITY);
    rsn_mtext_sample(t, "raison_v", NULL, 0, -INFINITY);
    rsn_mtext_sample(t, "raison_v", NULL, 0, NAN);
    rsn_mtext_sample(t, "raison_v", NULL, 0, 1e300);
    assert_string_equal(page(t), "# HELP raison_v Values.\n# TYPE raison_v gauge\n"
                                 "raison_v 3\nraison_v -2\nraison_v 1.5e-07\n"
                                 "raison_v 0.3\nraison_v +Inf\nraison_v -Inf\nraison_v NaN\n"
                                 "raison_v 1e+300\n");
    rsn_mtext_destroy(&t);
}

static void test_histogram_buckets(void **state)
{
    (void)state;
    static const double bounds[] = {0.001, 0.01, 0.1};
    rsn_histogram_t h = {0};
    /* out of order on purpose; 0.01 is on a bound: its bucket, not the next */
    double values[] = {0.5, 0.0001, 0.01, 0.05, 0.0005, 7};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        rsn_histogram_observe(&h, bounds, 3, values[i]);
    }
    assert_int_equal(h.count, 6);
    assert_int_equal(h.counts[0], 2);
    assert_int_equal(h.counts[1], 1);
    assert_int_equal(h.counts[2], 1);
    assert_int_equal(h.counts[3], 2);
    rsn_mtext_t *t = rsn_mtext_new(4096);
    assert_non_null(t);
    rsn_mtext_family(t, "raison_d_seconds", "histogram", "Durations.");
    rsn_mlabel_t l[] = {{"call", "status"}};
    rsn_mtext_histogram(t, "raison_d_seconds", l, 1, &h, bounds, 3);
    assert_string_equal(page(t), "# HELP raison_d_seconds Durations.\n"
                                 "# TYPE raison_d_seconds histogram\n"
                                 "raison_d_seconds_bucket{call=\"status\",le=\"0.001\"} 2\n"
                                 "raison_d_seconds_bucket{call=\"status\",le=\"0.01\"} 3\n"
                                 "raison_d_seconds_bucket{call=\"status\",le=\"0.1\"} 4\n"
                                 "raison_d_seconds_bucket{call=\"status\",le=\"+Inf\"} 6\n"
                                 "raison_d_seconds_sum{call=\"status\"} 7.5606\n"
                                 "raison_d_seconds_count{call=\"status\"} 6\n");
    rsn_mtext_destroy(&t);
}

static void test_bounded(void **state)
{
    (void)state;
    const char *want = "# HELP raison_a A.\n# TYPE raison_a gauge\nraison_a 1\n";
    size_t n = strlen(want);
    rsn_mtext_t *t = rsn_mtext_new(n); /* exactly enough */
    assert_non_null(t);
    rsn_mtext_family(t, "raison_a", "gauge", "A.");
    rsn_mtext_sample(t, "raison_a", NULL, 0, 1);
    assert_string_equal(page(t), want);
    rsn_mtext_destroy(&t);

    t = rsn_mtext_new(n - 1); /* one byte short: refused whole, not cut */
    assert_non_null(t);
    rsn_mtext_family(t, "raison_a", "gauge", "A.");
    rsn_mtext_sample(t, "raison_a", NULL, 0, 1);
    rsn_mtext_sample(t, "raison_a", NULL, 0, 2); /* nothing written past the overflow */
    const char *text = NULL;
    size_t len = 0;
    assert_int_equal(rsn_mtext_result(t, &text, &len), RSN_ERR_TOO_LARGE);
    rsn_mtext_destroy(&t);
}

static void test_bad_names(void **state)
{
    (void)state;
    const char *metrics[] = {"9raison", "raison-x", "", "raison x"};
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++) {
        rsn_mtext_t *t = rsn_mtext_new(4096);
        assert_non_null(t);
        rsn_mtext_sample(t, metrics[i], NULL, 0, 1);
        const char *text = NULL;
        size_t len = 0;
        assert_int_equal(rsn_mtext_result(t, &text, &len), RSN_ERR_INVALID_ARG);
        rsn_mtext_destroy(&t);
    }
    const char *labels[] = {"a:b", "1a", "", "a b"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        rsn_mtext_t *t = rsn_mtext_new(4096);
        assert_non_null(t);
        rsn_mlabel_t l[] = {{labels[i], "v"}};
        rsn_mtext_sample(t, "raison_ok:sub", l, 1, 1); /* a colon is fine in a metric name */
        const char *text = NULL;
        size_t len = 0;
        assert_int_equal(rsn_mtext_result(t, &text, &len), RSN_ERR_INVALID_ARG);
        rsn_mtext_destroy(&t);
    }
}

static void test_api_calls_counted(void **state)
{
    (void)state;
    rsn_metrics_t *m = rsn_metrics_new();
    assert_non_null(m);
    for (int i = 0; i < 5; i++) {
        rsn_metrics_api_call(m, RAISON__API_REQUEST__CALL_STATUS, 0, 0.0002);
    }
    rsn_metrics_api_call(m, RAISON__API_REQUEST__CALL_STATUS, RSN_ERR_BAD_REQUEST, 3.0);
    rsn_metrics_api_call(m, 0, RSN_ERR_BAD_REQUEST, 0.00001);
    rsn_metrics_api_call(NULL, RAISON__API_REQUEST__CALL_STATUS, 0, 1); /* ignored */
    rsn_metrics_sources_t src = {.site = "x\"y", .version = "1"};
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(rsn_metrics_render(m, &src, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "raison_api_calls_total{call=\"status\",result=\"ok\"} 5\n"));
    assert_non_null(strstr(text, "raison_api_calls_total{call=\"status\",result=\"error\"} 1\n"));
    assert_non_null(strstr(text, "raison_api_call_duration_seconds_count{call=\"status\"} 6\n"));
    assert_non_null(strstr(
        text, "raison_api_call_duration_seconds_bucket{call=\"status\",le=\"0.00025\"} 5\n"));
    assert_non_null(
        strstr(text, "raison_api_call_duration_seconds_bucket{call=\"status\",le=\"2.5\"} 5\n"));
    assert_non_null(
        strstr(text, "raison_api_call_duration_seconds_bucket{call=\"status\",le=\"+Inf\"} 6\n"));
    assert_non_null(strstr(text, "raison_api_calls_total{call=\"none\",result=\"error\"} 1\n"));
    /* calls never made are listed at 0 */
    assert_non_null(strstr(text, "raison_api_calls_total{call=\"publish\",result=\"ok\"} 0\n"));
    assert_non_null(strstr(text, "raison_api_call_duration_seconds_count{call=\"publish\"} 0\n"));
    assert_non_null(strstr(text, "raison_build_info{version=\"1\",site=\"x\\\"y\"} 1\n"));
    /* without sources, their families are left out */
    assert_null(strstr(text, "raison_entries"));
    assert_null(strstr(text, "raison_peer_up"));
    free(text);
    rsn_metrics_destroy(&m);
    assert_null(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_and_escaping), cmocka_unit_test(test_values),
        cmocka_unit_test(test_histogram_buckets),   cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_bad_names),           cmocka_unit_test(test_api_calls_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
