/* bench_store.c — fills a node with a realistic store, for measuring the
 * store itself: its start-up, its memory and its size on disk.
 *
 * GROUPS open groups (one founder's charters v1, retention 0: nothing is
 * swept), AUTHORS authors who each publish a profile, join one group (the
 * groups' sizes fall off as 1/rank, so one group is busy) and POSTS posts
 * there; a fifth of the posts reply to an earlier post of the group. Post
 * bodies are text of 60..400 characters drawn from a word list, timestamps
 * spread over the last 300 days. Everything is signed first (the entries
 * stay in memory), then published through the API round robin over the
 * authors (bench_util.h). Prints the signed bytes (entries, signatures,
 * bodies) so that disk can be set beside them.
 *
 *   bench_store SOCKET [AUTHORS=1000] [POSTS=200] [GROUPS=4] [INFLIGHT=512]
 *
 * Not a test: it asserts nothing about time; exit 1 when a publish is
 * refused or lost. */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "raison.pb-c.h"

#define MAX_COUNT 1000000
#define DAY_MS (24ull * 3600 * 1000)
#define SPAN_DAYS 300
#define TEXT_MIN 60
#define TEXT_MAX 400

static const char *const WORDS[] = {
    "the",        "release",   "of",        "billing",    "service",  "was",      "moved",
    "to",         "Thursday",  "because",   "we",         "found",    "a",        "bug",
    "in",         "migration", "script",    "for",        "old",      "invoices", "please",
    "review",     "pull",      "request",   "before",     "standup",  "and",      "leave",
    "comments",   "on",        "design",    "document",   "customer", "reported", "latency",
    "spikes",     "after",     "deploy",    "rollback",   "fixed",    "it",       "our",
    "team",       "will",      "write",     "postmortem", "next",     "week",     "budget",
    "meeting",    "moved",     "Monday",    "Lyon",       "office",   "network",  "printer",
    "onboarding", "new",       "hires",     "need",       "laptops",  "access",   "badges",
    "by",         "Friday",    "quarterly", "goals",      "are",      "on",       "track",
    "except",     "hiring",    "thanks",    "everyone",   "who",      "helped",   "with",
    "incident",   "last",      "night",
};
#define N_WORDS (sizeof WORDS / sizeof WORDS[0])

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Realistic text: words until a length in [TEXT_MIN, TEXT_MAX). */
static char *make_text(rsn_arena_t *arena)
{
    size_t want = TEXT_MIN + next_rand() % (TEXT_MAX - TEXT_MIN);
    char *s = rsn_arena_alloc(arena, want + 32);
    size_t n = 0;
    while (s != NULL && n < want) {
        const char *w = WORDS[next_rand() % N_WORDS];
        size_t wl = strlen(w);
        memcpy(s + n, w, wl);
        n += wl;
        s[n++] = (next_rand() % 12 == 0) ? '.' : ' ';
    }
    if (s != NULL) {
        s[n] = '\0';
    }
    return s;
}

/* One author's feed as it is signed. */
typedef struct {
    rsn_keypair_t *kp;
    uint64_t seq;
    uint8_t prev[RSN_ID_BYTES];
    rsn_test_signed_t *entries; /* 2 + POSTS */
    size_t group;
} author_t;

static int sign_next(rsn_arena_t *arena, author_t *a, Raison__Kind kind,
                     const ProtobufCMessage *body, uint64_t ts, rsn_test_signed_t *out)
{
    rsn_test_header_t h = {
        .seq = a->seq + 1, .prev = a->seq == 0 ? NULL : a->prev, .timestamp_ms = ts, .kind = kind};
    int rc = rsn_test_sign_message(arena, a->kp, &h, body, out);
    if (rc == 0) {
        a->seq++;
        memcpy(a->prev, out->id, RSN_ID_BYTES);
    }
    return rc;
}

static ProtobufCBinaryData bin(const uint8_t *p, size_t len)
{
    ProtobufCBinaryData b = {len, (uint8_t *)p};
    return b;
}

static int sign_charter(rsn_arena_t *arena, author_t *founder, size_t g, uint64_t ts,
                        rsn_test_signed_t *out)
{
    Raison__Charter c = RAISON__CHARTER__INIT;
    Raison__Mission m1 = RAISON__MISSION__INIT, m2 = RAISON__MISSION__INIT;
    Raison__Mission *missions[2] = {&m1, &m2};
    Raison__DataPolicy dp = RAISON__DATA_POLICY__INIT;
    char *benefits[1] = {"fewer meetings"};
    ProtobufCBinaryData owners[1] = {bin(rsn_keypair_public(founder->kp), RSN_KEY_BYTES)};
    char name[32];
    snprintf(name, sizeof name, "group-%zu", g);
    c.version = 1;
    c.name = name;
    c.purpose = "coordinate the work of the teams of this site";
    m1.key = "ops";
    m1.goal = "keep the services running";
    m2.key = "people";
    m2.goal = "help new colleagues settle in";
    c.missions = missions;
    c.n_missions = 2;
    c.benefits = benefits;
    c.n_benefits = 1;
    dp.readers = "everyone in the company";
    dp.use = "coordination only, never evaluation";
    c.data_policy = &dp;
    c.access = RAISON__ACCESS__ACCESS_OPEN;
    c.owners = owners;
    c.n_owners = 1;
    return sign_next(arena, founder, RAISON__KIND__KIND_CHARTER, &c.base, ts, out);
}

int main(int argc, char **argv)
{
    int status = 1;
    rsn_client_t *client = NULL;
    rsn_arena_t *arena = NULL;
    author_t *authors = NULL;
    author_t founder = {0};
    rsn_test_signed_t *charters = NULL, **order = NULL, **recent = NULL;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_store SOCKET [AUTHORS] [POSTS] [GROUPS] [INFLIGHT]\n");
        return 2;
    }
    size_t n_authors = (size_t)bench_arg(argc, argv, 2, 1000, MAX_COUNT);
    size_t posts = (size_t)bench_arg(argc, argv, 3, 200, MAX_COUNT);
    size_t n_groups = (size_t)bench_arg(argc, argv, 4, 4, 1000);
    size_t inflight = (size_t)bench_arg(argc, argv, 5, 512, MAX_COUNT);
    size_t per_author = 2 + posts;
    size_t n = n_groups + n_authors * per_author;
    if (bench_start("bench_store") != 0) {
        return 1;
    }
    arena = rsn_arena_new();
    authors = calloc(n_authors, sizeof *authors);
    charters = calloc(n_groups, sizeof *charters);
    order = calloc(n, sizeof *order);
    recent = calloc(n_groups, sizeof *recent);
    founder.kp = rsn_keypair_generate();
    if (!arena || !authors || !charters || !order || !recent || !founder.kp) {
        fprintf(stderr, "bench_store: out of memory\n");
        goto out;
    }
    uint64_t now = rsn_test_wall_ms();
    uint64_t t0 = now - SPAN_DAYS * DAY_MS;
    size_t k = 0;
    for (size_t g = 0; g < n_groups; g++) {
        if (sign_charter(arena, &founder, g, t0, &charters[g]) != 0) {
            goto sign_failed;
        }
        order[k++] = &charters[g];
    }
    double harmonic = 0;
    for (size_t g = 0; g < n_groups; g++) {
        harmonic += 1.0 / (double)(g + 1);
    }
    uint64_t signed_bytes = 0;
    for (size_t a = 0; a < n_authors; a++) {
        author_t *au = &authors[a];
        au->kp = rsn_keypair_generate();
        au->entries = rsn_arena_alloc(arena, per_author * sizeof *au->entries);
        if (!au->kp || !au->entries) {
            goto sign_failed;
        }
        /* the author's group: rank r with probability 1/(r+1) / harmonic */
        double x = (double)(next_rand() % 1000000) / 1e6 * harmonic, acc = 0;
        size_t g = 0;
        for (; g + 1 < n_groups; g++) {
            acc += 1.0 / (double)(g + 1);
            if (x < acc) {
                break;
            }
        }
        au->group = g;
        Raison__Profile prof = RAISON__PROFILE__INIT;
        char pname[32];
        snprintf(pname, sizeof pname, "colleague %zu", a);
        prof.name = pname;
        prof.site = (a % 3 == 0) ? "lyon" : (a % 3 == 1) ? "paris" : "berlin";
        prof.role = "engineer";
        Raison__Membership join = RAISON__MEMBERSHIP__INIT;
        join.group = bin(charters[g].id, RSN_ID_BYTES);
        join.action = RAISON__ACTION__ACTION_JOIN;
        join.charter = bin(charters[g].id, RSN_ID_BYTES);
        if (sign_next(arena, au, RAISON__KIND__KIND_PROFILE, &prof.base, t0 + 1000,
                      &au->entries[0]) != 0 ||
            sign_next(arena, au, RAISON__KIND__KIND_MEMBERSHIP, &join.base, t0 + 2000,
                      &au->entries[1]) != 0) {
            goto sign_failed;
        }
    }
    /* posts in publishing order, so that a reply's parent is published first */
    for (size_t p = 0; p < posts; p++) {
        for (size_t a = 0; a < n_authors; a++) {
            author_t *au = &authors[a];
            size_t g = au->group;
            Raison__Post post = RAISON__POST__INIT;
            post.group = bin(charters[g].id, RSN_ID_BYTES);
            post.mission = (next_rand() % 3 == 0) ? "people" : "ops";
            post.text = make_text(arena);
            post.charter = bin(charters[g].id, RSN_ID_BYTES);
            if (recent[g] != NULL && next_rand() % 5 == 0) {
                post.reply_to = bin(recent[g]->id, RSN_ID_BYTES);
            }
            uint64_t ts = t0 + 3000 + (SPAN_DAYS * DAY_MS - 10000) / posts * p + a;
            rsn_test_signed_t *s = &au->entries[2 + p];
            if (!post.text ||
                sign_next(arena, au, RAISON__KIND__KIND_POST, &post.base, ts, s) != 0) {
                goto sign_failed;
            }
            if (recent[g] == NULL || next_rand() % 50 == 0) {
                recent[g] = s;
            }
        }
    }
    for (size_t s = 0; s < per_author; s++) {
        for (size_t a = 0; a < n_authors; a++) {
            order[k++] = &authors[a].entries[s];
        }
    }
    for (size_t i = 0; i < n; i++) {
        signed_bytes += order[i]->entry_len + RSN_SIG_BYTES + order[i]->body_len;
    }
    printf("signed %zu entries (%zu authors, %zu groups, %zu posts each): %" PRIu64
           " signed bytes (%.1f an entry)\n",
           n, n_authors, n_groups, posts, signed_bytes, (double)signed_bytes / (double)n);
    fflush(stdout);
    int rc = rsn_client_connect(&client, argv[1], RSN_TEST_API_TIMEOUT_MS);
    if (rc != 0) {
        fprintf(stderr, "bench_store: cannot connect to %s: %s\n", argv[1], rsn_strerror(rc));
        goto out;
    }
    double rate = bench_publish_all(client, order, n, inflight);
    if (rate < 0) {
        goto out;
    }
    printf("published %zu entries: %.0f entries/s\n", n, rate);
    printf("signed_bytes=%" PRIu64 " entries=%zu\n", signed_bytes, n);
    status = 0;
    goto out;
sign_failed:
    fprintf(stderr, "bench_store: signing failed\n");
out:
    rsn_client_destroy(&client);
    for (size_t a = 0; authors != NULL && a < n_authors; a++) {
        rsn_keypair_destroy(&authors[a].kp);
    }
    rsn_keypair_destroy(&founder.kp);
    free(authors);
    free(charters);
    free(order);
    free(recent);
    rsn_arena_destroy(&arena);
    return status;
}
