/* metrics_text.c — the Prometheus text exposition format into a bounded
 * buffer (daemon/metrics_text.h says the rules it keeps).
 *
 * Every write goes through put(), which stops at the capacity and marks the
 * page overflowed; nothing after that is written, so a page is either whole
 * or refused. */
#include "daemon/metrics_text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTOGRAM_LABELS_MAX 7 /* a histogram's own labels, besides le */
#define NUMBER_MAX 40          /* one printed number */

struct rsn_mtext {
    char *buf;
    size_t cap; /* bytes of text at most (the buffer holds one more: the NUL) */
    size_t len;
    bool overflow;
    bool bad_name;
};

void rsn_histogram_observe(rsn_histogram_t *h, const double *bounds, size_t n, double value)
{
    if (n > RSN_HISTOGRAM_BOUNDS_MAX) {
        n = RSN_HISTOGRAM_BOUNDS_MAX;
    }
    size_t i = 0;
    while (i < n && value > bounds[i]) {
        i++;
    }
    h->counts[i]++;
    h->count++;
    h->sum += value;
}

rsn_mtext_t *rsn_mtext_new(size_t cap)
{
    rsn_mtext_t *self = calloc(1, sizeof *self);
    if (!self) {
        return NULL;
    }
    self->buf = malloc(cap + 1);
    if (!self->buf) {
        free(self);
        return NULL;
    }
    self->cap = cap;
    self->buf[0] = '\0';
    return self;
}

void rsn_mtext_destroy(rsn_mtext_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    free((*self_p)->buf);
    free(*self_p);
    *self_p = NULL;
}

/* Appends LEN bytes of S, or marks the page overflowed. */
static void put(rsn_mtext_t *self, const char *s, size_t len)
{
    if (self->overflow) {
        return;
    }
    if (len > self->cap - self->len) {
        self->overflow = true;
        return;
    }
    memcpy(self->buf + self->len, s, len);
    self->len += len;
    self->buf[self->len] = '\0';
}

static void puts_(rsn_mtext_t *self, const char *s)
{
    put(self, s, strlen(s));
}

/* Appends S escaped: a backslash and a newline always, a double quote when
 * QUOTE (label values; help text keeps its quotes). */
static void put_escaped(rsn_mtext_t *self, const char *s, bool quote)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\\') {
            puts_(self, "\\\\");
        } else if (*p == '\n') {
            puts_(self, "\\n");
        } else if (*p == '"' && quote) {
            puts_(self, "\\\"");
        } else {
            put(self, p, 1);
        }
    }
}

/* True when S is a name of the format: a first character of FIRST's kind
 * (letters, '_', and ':' when COLON), then those and digits. */
static bool valid_name(const char *s, bool colon)
{
    if (!s || !*s) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (colon && c == ':') || (p != s && c >= '0' && c <= '9');
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Checks NAME (a metric name when METRIC, else a label name). */
static void check_name(rsn_mtext_t *self, const char *name, bool metric)
{
    if (!valid_name(name, metric)) {
        self->bad_name = true;
    }
}

void rsn_mtext_family(rsn_mtext_t *self, const char *name, const char *type, const char *help)
{
    check_name(self, name, true);
    puts_(self, "# HELP ");
    puts_(self, name);
    puts_(self, " ");
    put_escaped(self, help, false);
    puts_(self, "\n# TYPE ");
    puts_(self, name);
    puts_(self, " ");
    puts_(self, type);
    puts_(self, "\n");
}

/* Writes NAME{LABELS} and the space before the value. */
static void put_series(rsn_mtext_t *self, const char *name, const rsn_mlabel_t *labels, size_t n)
{
    check_name(self, name, true);
    puts_(self, name);
    if (n > 0) {
        puts_(self, "{");
        for (size_t i = 0; i < n; i++) {
            check_name(self, labels[i].name, false);
            puts_(self, i ? "," : "");
            puts_(self, labels[i].name);
            puts_(self, "=\"");
            put_escaped(self, labels[i].value ? labels[i].value : "", true);
            puts_(self, "\"");
        }
        puts_(self, "}");
    }
    puts_(self, " ");
}

/* VALUE as the format writes a float: +Inf, -Inf, NaN, an integral value
 * without exponent while exact, else nine significant digits (a duration
 * to the nanosecond below a second). */
static void format_value(char out[NUMBER_MAX], double value)
{
    if (isnan(value)) {
        snprintf(out, NUMBER_MAX, "NaN");
    } else if (isinf(value)) {
        snprintf(out, NUMBER_MAX, value > 0 ? "+Inf" : "-Inf");
    } else if (value == floor(value) && fabs(value) < 9007199254740992.0) {
        snprintf(out, NUMBER_MAX, "%.0f", value);
    } else {
        snprintf(out, NUMBER_MAX, "%.9g", value);
    }
}

void rsn_mtext_sample(rsn_mtext_t *self, const char *name, const rsn_mlabel_t *labels, size_t n,
                      double value)
{
    char number[NUMBER_MAX];
    format_value(number, value);
    put_series(self, name, labels, n);
    puts_(self, number);
    puts_(self, "\n");
}

void rsn_mtext_sample_u64(rsn_mtext_t *self, const char *name, const rsn_mlabel_t *labels, size_t n,
                          uint64_t value)
{
    char number[NUMBER_MAX];
    snprintf(number, sizeof number, "%llu", (unsigned long long)value);
    put_series(self, name, labels, n);
    puts_(self, number);
    puts_(self, "\n");
}

/* NAME with SUFFIX appended into OUT (SIZE bytes); false when too long. */
static bool suffixed(char *out, size_t size, const char *name, const char *suffix)
{
    int w = snprintf(out, size, "%s%s", name, suffix);
    return w > 0 && (size_t)w < size;
}

void rsn_mtext_histogram(rsn_mtext_t *self, const char *name, const rsn_mlabel_t *labels, size_t n,
                         const rsn_histogram_t *h, const double *bounds, size_t n_bounds)
{
    char bucket[128], sum[128], count[128];
    if (n > HISTOGRAM_LABELS_MAX || n_bounds > RSN_HISTOGRAM_BOUNDS_MAX ||
        !suffixed(bucket, sizeof bucket, name, "_bucket") ||
        !suffixed(sum, sizeof sum, name, "_sum") ||
        !suffixed(count, sizeof count, name, "_count")) {
        self->bad_name = true;
        return;
    }
    rsn_mlabel_t with_le[HISTOGRAM_LABELS_MAX + 1];
    for (size_t i = 0; i < n; i++) {
        with_le[i] = labels[i];
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= n_bounds; i++) {
        char le[NUMBER_MAX];
        format_value(le, i < n_bounds ? bounds[i] : INFINITY);
        cumulative += h->counts[i];
        with_le[n] = (rsn_mlabel_t){"le", le};
        rsn_mtext_sample_u64(self, bucket, with_le, n + 1, cumulative);
    }
    rsn_mtext_sample(self, sum, labels, n, h->sum);
    rsn_mtext_sample_u64(self, count, labels, n, h->count);
}

int rsn_mtext_result(const rsn_mtext_t *self, const char **text, size_t *len)
{
    if (self->bad_name) {
        return RSN_ERR_INVALID_ARG;
    }
    if (self->overflow) {
        return RSN_ERR_TOO_LARGE;
    }
    *text = self->buf;
    *len = self->len;
    return 0;
}
