/* metrics_text.h — the Prometheus text exposition format (version 0.0.4),
 * written into a bounded buffer, and histograms with fixed buckets.
 *
 * The metrics endpoint (daemon/metrics.h) writes its page through this
 * writer so that the format's rules live in one place: each family opens
 * with its `# HELP` and `# TYPE` lines, a sample is `name{label="value"} v`
 * with label values escaped (backslash, double quote, newline) and the help
 * text escaped (backslash, newline), a histogram's buckets are cumulative in
 * ascending `le` order ending at `+Inf`, followed by `_sum` and `_count`.
 * The buffer never grows past the capacity given at creation: a page that
 * would is refused whole (RSN_ERR_TOO_LARGE) rather than cut, since a cut
 * page would read as valid samples missing. Names are the caller's constants
 * and are checked against the format's grammar; a bad one fails the page
 * too (a bug, caught by the tests). */
#ifndef RSN_DAEMON_METRICS_TEXT_H
#define RSN_DAEMON_METRICS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* The content type of what the writer produces. */
#define RSN_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Buckets of a histogram, at most (upper bounds, +Inf not counted). */
#define RSN_HISTOGRAM_BOUNDS_MAX 16

typedef struct rsn_mtext rsn_mtext_t;

/* One label of a sample: a name of the grammar [a-zA-Z_][a-zA-Z0-9_]* and
 * any UTF-8 value (escaped on output). */
typedef struct {
    const char *name;
    const char *value;
} rsn_mlabel_t;

/* A histogram with fixed buckets: the bounds (ascending, shared by every
 * histogram of a family) are the caller's; COUNTS[i] holds the observations
 * in bucket i alone (not cumulative), COUNTS[n] those above the last bound. */
typedef struct {
    uint64_t counts[RSN_HISTOGRAM_BOUNDS_MAX + 1];
    double sum;
    uint64_t count;
} rsn_histogram_t;

/* Counts VALUE into H, whose bucket bounds are BOUNDS (N of them, at most
 * RSN_HISTOGRAM_BOUNDS_MAX, ascending). A value equal to a bound falls in
 * that bound's bucket (le: less or equal). */
void rsn_histogram_observe(rsn_histogram_t *h, const double *bounds, size_t n, double value);

/* A writer of at most CAP bytes; NULL when out of memory. */
rsn_mtext_t *rsn_mtext_new(size_t cap);

/* Frees the writer and its text; accepts NULL; sets *SELF_P to NULL. */
void rsn_mtext_destroy(rsn_mtext_t **self_p);

/* Opens the family NAME (a metric name, [a-zA-Z_:][a-zA-Z0-9_:]*): its
 * `# HELP NAME HELP` and `# TYPE NAME TYPE` lines. TYPE is "counter",
 * "gauge" or "histogram". */
void rsn_mtext_family(rsn_mtext_t *self, const char *name, const char *type, const char *help);

/* One sample NAME{LABELS} VALUE, the N labels in the order given (N may be
 * 0 and LABELS NULL). Integral values print exactly. */
void rsn_mtext_sample(rsn_mtext_t *self, const char *name, const rsn_mlabel_t *labels, size_t n,
                      double value);

/* The same with an unsigned integer value, printed exactly at any size. */
void rsn_mtext_sample_u64(rsn_mtext_t *self, const char *name, const rsn_mlabel_t *labels, size_t n,
                          uint64_t value);

/* The samples of histogram H of family NAME with labels LABELS (N, at most
 * 7): NAME_bucket{...,le="B"} for each of the N_BOUNDS bounds and +Inf,
 * cumulative, then NAME_sum and NAME_count. */
void rsn_mtext_histogram(rsn_mtext_t *self, const char *name, const rsn_mlabel_t *labels, size_t n,
                         const rsn_histogram_t *h, const double *bounds, size_t n_bounds);

/* The page written: *TEXT (owned by SELF, NUL-terminated) and *LEN. 0;
 * RSN_ERR_TOO_LARGE when it did not fit in the capacity; RSN_ERR_INVALID_ARG
 * when a name broke the grammar. */
RSN_NODISCARD int rsn_mtext_result(const rsn_mtext_t *self, const char **text, size_t *len);

#endif
