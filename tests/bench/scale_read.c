/* scale_read.c — bench_scale's timed API calls (scale_read.h): one request
 * built per probe and key, timed around rsn_client_call, the samples sorted
 * into nearest-rank percentiles. */
#include "scale_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/api.h"
#include "support/clock.h"

#define WARM_KEYS 4       /* keys a warm probe goes round */
#define TIMELINE_LIMIT 20 /* as `raison timeline G --limit 20` */
#define GROUPS_LIMIT 10   /* a groups page: SMALL holds 10 groups (tests/bench/README.md) */
#define PREFIX_HEX 12     /* hex digits of a group named by prefix */
#define DEEP_PAGE_MIN 20
#define DEEP_PAGE_MAX 500

static const char *const NAMES[P_COUNT] = {
    [P_STATUS] = "status",
    [P_GROUPS_FIRST] = "groups first page",
    [P_GROUPS_LATER] = "groups later page",
    [P_GROUP_BUSY] = "group busy",
    [P_GROUP_SMALL] = "group small",
    [P_RESOLVE_NAME] = "group by name",
    [P_RESOLVE_PREFIX] = "group by prefix",
    [P_TIMELINE_FIRST] = "timeline busy first",
    [P_TIMELINE_DEEP] = "timeline busy deep",
    [P_FEED] = "feed",
    [P_REPORT_BUSY] = "report busy",
    [P_REPORT_SMALL] = "report small",
    [P_PROFILE] = "profile",
    [P_ENTRY] = "entry",
    [P_PEERS] = "peers",
    [P_HEAD] = "head",
};

const char *scale_probe_name(scale_probe_t p)
{
    return p < P_COUNT ? NAMES[p] : "?";
}

/* Every request a probe may send, filled by fill(). */
typedef struct {
    Raison__ApiRequest req;
    Raison__StatusRequest status;
    Raison__GroupsRequest groups;
    Raison__GroupRequest group;
    Raison__TimelineRequest timeline;
    Raison__FeedRequest feed;
    Raison__ReportRequest report;
    Raison__ProfileRequest profile;
    Raison__EntryRequest entry;
    Raison__PeersRequest peers;
    Raison__HeadRequest head;
    char ref[2 * RSN_ID_BYTES + 1];
    Raison__ApiReply__ResultCase wanted;
} call_t;

/* Keys probe P can name. */
static size_t keys_of(const scale_keys_t *k, scale_probe_t p)
{
    switch (p) {
    case P_GROUPS_LATER: return k->n_groups_cursors;
    case P_GROUP_SMALL:
    case P_RESOLVE_NAME:
    case P_RESOLVE_PREFIX:
    case P_REPORT_SMALL: return k->facts->n_groups;
    case P_TIMELINE_DEEP: return k->n_deep;
    case P_FEED:
    case P_PROFILE:
    case P_HEAD: return k->facts->n_authors;
    case P_ENTRY: return k->facts->n_entries;
    default: return 1;
    }
}

static ProtobufCBinaryData bytes(const uint8_t *data, size_t len)
{
    return (ProtobufCBinaryData){len, (uint8_t *)data};
}

static void init_call(call_t *c)
{
    memset(c, 0, sizeof *c);
    raison__api_request__init(&c->req);
    raison__status_request__init(&c->status);
    raison__groups_request__init(&c->groups);
    raison__group_request__init(&c->group);
    raison__timeline_request__init(&c->timeline);
    raison__feed_request__init(&c->feed);
    raison__report_request__init(&c->report);
    raison__profile_request__init(&c->profile);
    raison__entry_request__init(&c->entry);
    raison__peers_request__init(&c->peers);
    raison__head_request__init(&c->head);
}

static void group_ref(call_t *c, const uint8_t id[RSN_ID_BYTES])
{
    rsn_hex_encode(c->ref, sizeof c->ref, id, RSN_ID_BYTES);
}

/* The request of probe P naming key I into C. */
static void fill(call_t *c, const scale_keys_t *k, scale_probe_t p, size_t i)
{
    const scale_facts_t *f = k != NULL ? k->facts : NULL;
    size_t n = k != NULL ? keys_of(k, p) : 1;
    i = n > 0 ? i % n : 0;
    init_call(c);
    switch (p) {
    case P_STATUS:
        c->req.call_case = RAISON__API_REQUEST__CALL_STATUS;
        c->req.status = &c->status;
        c->wanted = RAISON__API_REPLY__RESULT_STATUS;
        return;
    case P_GROUPS_FIRST:
    case P_GROUPS_LATER:
        if (p == P_GROUPS_LATER) {
            c->groups.cursor = bytes(k->groups_cursor[i], k->groups_cursor_len[i]);
        }
        c->groups.limit = GROUPS_LIMIT;
        c->req.call_case = RAISON__API_REQUEST__CALL_GROUPS;
        c->req.groups = &c->groups;
        c->wanted = RAISON__API_REPLY__RESULT_GROUPS;
        return;
    case P_GROUP_BUSY:
    case P_GROUP_SMALL:
    case P_RESOLVE_NAME:
    case P_RESOLVE_PREFIX:
        group_ref(c, p == P_GROUP_BUSY ? f->busy : f->group[i]);
        if (p == P_RESOLVE_NAME) {
            snprintf(c->ref, sizeof c->ref, "%s", f->group_name[i]);
        } else if (p == P_RESOLVE_PREFIX) {
            c->ref[PREFIX_HEX] = '\0';
        }
        c->group.group = c->ref;
        c->req.call_case = RAISON__API_REQUEST__CALL_GROUP;
        c->req.group = &c->group;
        c->wanted = RAISON__API_REPLY__RESULT_GROUP;
        return;
    case P_TIMELINE_FIRST:
    case P_TIMELINE_DEEP:
        group_ref(c, f->busy);
        c->timeline.group = c->ref;
        c->timeline.limit = TIMELINE_LIMIT;
        if (p == P_TIMELINE_DEEP) {
            c->timeline.cursor = bytes(k->deep_cursor[i], k->deep_cursor_len[i]);
        }
        c->req.call_case = RAISON__API_REQUEST__CALL_TIMELINE;
        c->req.timeline = &c->timeline;
        c->wanted = RAISON__API_REPLY__RESULT_TIMELINE;
        return;
    case P_FEED:
        c->feed.author = bytes(f->author[i], RSN_KEY_BYTES);
        c->req.call_case = RAISON__API_REQUEST__CALL_FEED;
        c->req.feed = &c->feed;
        c->wanted = RAISON__API_REPLY__RESULT_FEED;
        return;
    case P_REPORT_BUSY:
    case P_REPORT_SMALL:
        group_ref(c, p == P_REPORT_BUSY ? f->busy : f->group[i]);
        c->report.group = c->ref;
        c->req.call_case = RAISON__API_REQUEST__CALL_REPORT;
        c->req.report = &c->report;
        c->wanted = RAISON__API_REPLY__RESULT_REPORT;
        return;
    case P_PROFILE:
        c->profile.author = bytes(f->author[i], RSN_KEY_BYTES);
        c->req.call_case = RAISON__API_REQUEST__CALL_PROFILE;
        c->req.profile = &c->profile;
        c->wanted = RAISON__API_REPLY__RESULT_PROFILE;
        return;
    case P_ENTRY:
        c->entry.id = bytes(f->entry[i], RSN_ID_BYTES);
        c->req.call_case = RAISON__API_REQUEST__CALL_ENTRY;
        c->req.entry = &c->entry;
        c->wanted = RAISON__API_REPLY__RESULT_ENTRY;
        return;
    case P_PEERS:
        c->req.call_case = RAISON__API_REQUEST__CALL_PEERS;
        c->req.peers = &c->peers;
        c->wanted = RAISON__API_REPLY__RESULT_PEERS;
        return;
    case P_HEAD:
    case P_COUNT:
        c->head.author = bytes(f->author[i], RSN_KEY_BYTES);
        c->req.call_case = RAISON__API_REQUEST__CALL_HEAD;
        c->req.head = &c->head;
        c->wanted = RAISON__API_REPLY__RESULT_HEAD;
        return;
    }
}

/* One call of C's request: its milliseconds; *OK false when it failed or
 * the node answered an error; the reply into *REPLY when REPLY is set. */
static double timed(rsn_client_t *client, call_t *c, bool *ok, Raison__ApiReply **reply)
{
    Raison__ApiReply *r = NULL;
    double t = rsn_test_now();
    int rc = rsn_client_call(client, &c->req, &r);
    double ms = (rsn_test_now() - t) * 1000;
    *ok = rc == 0 && r != NULL && r->result_case == c->wanted;
    if (reply != NULL && *ok) {
        *reply = r;
    } else {
        rsn_test_reply_free(r);
    }
    return ms;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentiles of the N samples at MS into OUT. */
static void summarize(double *ms, size_t n, size_t errors, scale_lat_t *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    out->errors = errors;
    if (n == 0) {
        return;
    }
    qsort(ms, n, sizeof *ms, by_value);
    size_t r50 = (size_t)ceil(0.50 * (double)n), r99 = (size_t)ceil(0.99 * (double)n);
    out->p50 = ms[r50 > 0 ? r50 - 1 : 0];
    out->p99 = ms[r99 > 0 ? r99 - 1 : 0];
    out->max = ms[n - 1];
}

void scale_probe_run(rsn_client_t *client, const scale_keys_t *k, scale_probe_t p, bool cold,
                     double cap_s, scale_lat_t *out)
{
    size_t keys = keys_of(k, p);
    double ms[SCALE_WARM_CALLS];
    size_t n = 0, errors = 0;
    bool ok;
    call_t c;
    memset(out, 0, sizeof *out);
    if (keys == 0) {
        return;
    }
    size_t calls = cold ? (keys < SCALE_COLD_KEYS ? keys : SCALE_COLD_KEYS) : SCALE_WARM_CALLS;
    size_t ring = cold ? calls : (keys < WARM_KEYS ? keys : WARM_KEYS);
    double start = rsn_test_now();
    while (n < calls && (n == 0 || rsn_test_now() - start < cap_s)) {
        fill(&c, k, p, n % ring);
        ms[n++] = timed(client, &c, &ok, NULL);
        errors += !ok;
    }
    summarize(ms, n, errors, out);
}

/* The next_cursor of REPLY's groups or timeline into BUF; its length. */
static size_t take_cursor(const ProtobufCBinaryData *cursor, uint8_t buf[SCALE_CURSOR_MAX])
{
    if (cursor->len == 0 || cursor->len > SCALE_CURSOR_MAX) {
        return 0;
    }
    memcpy(buf, cursor->data, cursor->len);
    return cursor->len;
}

/* Cursors after 1, 2, ... groups: a walk one group a page. */
static void collect_groups(rsn_client_t *client, scale_keys_t *k, double deadline)
{
    uint8_t cur[SCALE_CURSOR_MAX];
    size_t cur_len = 0;
    while (k->n_groups_cursors < SCALE_CURSORS && rsn_test_now() < deadline) {
        call_t c;
        fill(&c, k, P_GROUPS_FIRST, 0);
        c.groups.limit = 1;
        c.groups.cursor = bytes(cur, cur_len);
        Raison__ApiReply *r = NULL;
        bool ok;
        (void)timed(client, &c, &ok, &r);
        if (!ok) {
            fprintf(stderr, "bench_scale: groups paging failed\n");
            return;
        }
        cur_len = take_cursor(&r->groups->next_cursor, cur);
        rsn_test_reply_free(r);
        if (cur_len == 0) {
            return;
        }
        size_t at = k->n_groups_cursors++;
        memcpy(k->groups_cursor[at], cur, cur_len);
        k->groups_cursor_len[at] = cur_len;
    }
}

/* Cursors of the busy timeline, paged down towards DEPTH posts; the
 * deepest SCALE_CURSORS kept. */
static void collect_deep(rsn_client_t *client, scale_keys_t *k, size_t depth, double deadline)
{
    size_t page = depth / SCALE_CURSORS;
    page = page < DEEP_PAGE_MIN ? DEEP_PAGE_MIN : page > DEEP_PAGE_MAX ? DEEP_PAGE_MAX : page;
    uint8_t cur[SCALE_CURSOR_MAX];
    size_t cur_len = 0, seen = 0, pages = 0;
    while (seen < depth && rsn_test_now() < deadline) {
        call_t c;
        fill(&c, k, P_TIMELINE_FIRST, 0);
        c.timeline.limit = (uint32_t)page;
        c.timeline.cursor = bytes(cur, cur_len);
        Raison__ApiReply *r = NULL;
        bool ok;
        (void)timed(client, &c, &ok, &r);
        if (!ok) {
            fprintf(stderr, "bench_scale: timeline paging failed\n");
            return;
        }
        seen += r->timeline->n_posts;
        cur_len = take_cursor(&r->timeline->next_cursor, cur);
        rsn_test_reply_free(r);
        if (cur_len == 0) {
            break;
        }
        size_t at = pages++ % SCALE_CURSORS;
        memcpy(k->deep_cursor[at], cur, cur_len);
        k->deep_cursor_len[at] = cur_len;
    }
    k->n_deep = pages < SCALE_CURSORS ? pages : SCALE_CURSORS;
    k->deep_depth = pages * page;
}

void scale_keys_collect(rsn_client_t *client, scale_keys_t *k, size_t target_depth, double budget_s)
{
    double start = rsn_test_now();
    collect_groups(client, k, start + budget_s / 3);
    collect_deep(client, k, target_depth / 3, start + budget_s);
}

bool scale_status_sample(rsn_client_t *client, bool (*done)(void *ctx), void *ctx, int interval_ms,
                         double limit_s, scale_lat_t *out)
{
    size_t cap = 1024, n = 0, errors = 0;
    double *ms = malloc(cap * sizeof *ms);
    double start = rsn_test_now();
    bool finished = false;
    while (ms != NULL) {
        if (done(ctx)) {
            finished = true;
            break;
        }
        if (rsn_test_now() - start > limit_s) {
            break;
        }
        if (n == cap) {
            double *more = realloc(ms, 2 * cap * sizeof *ms);
            if (more == NULL) {
                break;
            }
            ms = more;
            cap *= 2;
        }
        call_t c;
        bool ok;
        fill(&c, NULL, P_STATUS, 0);
        ms[n++] = timed(client, &c, &ok, NULL);
        errors += !ok;
        rsn_test_sleep_ms(interval_ms);
    }
    summarize(ms, n, errors, out);
    free(ms);
    return finished;
}
