/* report_read.c — the report's reads: the counters report_state.c keeps,
 * for a group and mission, whole-history (O(log n)) and over a window of
 * days (report_window.c's latest-day counts when the window ends today,
 * else a union of its days' authors and sites), a post's replies, and
 * whether re-judge jobs are pending. Reads the store as committed; writes
 * nothing. */
#include <string.h>

#include "common/log.h"
#include "daemon/read_helpers.h"
#include "daemon/report_state.h"
#include "daemon/report_state_int.h"

/* --- reads ---------------------------------------------------------------------------- */

void rsn_report_site_hash(const char *site, uint8_t out[RSN_SITE_HASH_BYTES])
{
    uint8_t h[RSN_HASH_BYTES];
    rsn_sha256(h, site, strlen(site));
    memcpy(out, h, RSN_SITE_HASH_BYTES);
}

static int store_rec(rsn_store_t *store, const uint8_t *k, size_t kl, uint64_t *r, size_t n)
{
    uint8_t v[8 * D_FIELDS];
    memset(r, 0, n * sizeof *r);
    int rc = rsn_store_get_fixed(store, k, kl, v, n * 8);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        r[i] = rsn_be64_get(v + 8 * i);
    }
    return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
}

static void rec_to(const uint64_t *r, rsn_rcount_t *out)
{
    out->posts = r[0];
    out->authors = r[1];
    out->sites = r[2];
    out->replies = r[3];
    out->cross = r[4];
}

int rsn_report_count(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES], const char *mission,
                     rsn_rcount_t *out)
{
    uint8_t k[RSN_KEY_MAX];
    uint64_t r[D_FIELDS];
    memset(out, 0, sizeof *out);
    int rc = store_rec(store, k, rsn_key_report_count(k, group, mission), r, C_FIELDS);
    if (rc || r[0] == 0) {
        return rc;
    }
    rec_to(r, out);
    /* the last activity: the latest day's */
    size_t pl = rsn_key_mission(k, RSN_TAG_RDAY, group, mission), kl = 0, vl = 0;
    rsn_iter_t *it = rsn_iter_new(store, k, pl);
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    rsn_iter_last(it);
    if (rsn_iter_valid(it) && rsn_iter_key(it, &kl) && kl == pl + 4) {
        const uint8_t *v = rsn_iter_value(it, &vl);
        out->last = vl == 8 * D_FIELDS ? rsn_be64_get(v + 40) : 0;
    }
    rsn_iter_destroy(&it);
    return 0;
}

int rsn_report_posts(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES], const char *mission,
                     uint64_t *out)
{
    uint8_t k[RSN_KEY_MAX];
    uint64_t r[D_FIELDS];
    int rc = store_rec(store, k, rsn_key_report_count(k, group, mission), r, C_FIELDS);
    *out = rc == 0 ? r[0] : 0;
    return rc;
}

int rsn_report_site_posts(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES],
                          const char *mission, const uint8_t site[RSN_SITE_HASH_BYTES],
                          uint64_t *out)
{
    uint8_t k[RSN_KEY_MAX];
    int rc = rsn_store_get_u64(store, k, rsn_key_report_site(k, group, mission, site), out);
    *out = rc == 0 ? *out : 0;
    return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
}

int rsn_report_replies(rsn_store_t *store, const uint8_t id[RSN_ID_BYTES], uint64_t *out)
{
    uint8_t k[RSN_KEY_MAX];
    int rc = rsn_store_get_u64(store, k, rsn_key_reply_count(k, id), out);
    *out = rc == 0 ? *out : 0;
    return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
}

static bool pending(rsn_store_t *store, const uint8_t *group)
{
    uint8_t k[RSN_KEY_MAX];
    uint64_t n = 0;
    return rsn_store_get_u64(store, k, rsn_key_jobs_pending(k, group), &n) == 0 && n > 0;
}

bool rsn_report_being_updated(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES])
{
    static const uint8_t feeds[RSN_ID_BYTES];
    return pending(store, group) || pending(store, feeds);
}

uint64_t rsn_report_groups_updating(rsn_store_t *store)
{
    uint8_t p[RSN_KEY_MAX];
    rsn_index_t ix;
    uint64_t n = 0;
    if (rsn_index_open(&ix, store, p, rsn_key_prefix(p, RSN_TAG_JOBS_PENDING, NULL),
                       RSN_KEYLEN_ID) != 0) {
        return 0;
    }
    for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
        n++;
    }
    rsn_index_close(&ix);
    return n;
}

/* A set of fixed-size keys (authors, site hashes) for a window's distinct
 * counts, from an arena: open addressing, doubled at half full. */
typedef struct {
    rsn_arena_t *arena;
    uint8_t *slots;
    bool *used;
    size_t cap, n, width;
} keyset_t;

static uint64_t key_hash(const uint8_t *key, size_t width)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < width; i++) {
        h = (h ^ key[i]) * 1099511628211ULL;
    }
    return h;
}

static int keyset_add(keyset_t *s, const uint8_t *key)
{
    if (2 * (s->n + 1) > s->cap) {
        keyset_t grown = {.arena = s->arena, .width = s->width, .cap = s->cap ? 2 * s->cap : 64};
        grown.slots = rsn_arena_alloc(s->arena, grown.cap * s->width);
        grown.used = rsn_arena_alloc(s->arena, grown.cap);
        if (!grown.slots || !grown.used) {
            return RSN_ERR_NOMEM;
        }
        memset(grown.used, 0, grown.cap);
        for (size_t i = 0; i < s->cap; i++) {
            if (s->used[i]) {
                (void)keyset_add(&grown, s->slots + i * s->width);
            }
        }
        *s = grown;
    }
    size_t i = (size_t)key_hash(key, s->width) & (s->cap - 1);
    for (; s->used[i]; i = (i + 1) & (s->cap - 1)) {
        if (memcmp(s->slots + i * s->width, key, s->width) == 0) {
            return 0;
        }
    }
    s->used[i] = true;
    memcpy(s->slots + i * s->width, key, s->width);
    s->n++;
    return 0;
}

/* Adds to SET the authors (WHAT 'a') or sites ('s') of one day. */
static int day_keys(rsn_store_t *store, const uint8_t *day_key, size_t dkl, char what,
                    keyset_t *set)
{
    uint8_t p[RSN_KEY_MAX];
    memcpy(p, day_key, dkl);
    p[0] = RSN_TAG_RDAYKEY;
    p[dkl] = (uint8_t)what;
    rsn_iter_t *it = rsn_iter_new(store, p, dkl + 1);
    int rc = it ? 0 : RSN_ERR_NOMEM;
    for (rsn_iter_first(it); rc == 0 && rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0;
        const uint8_t *k = rsn_iter_key(it, &kl);
        if (kl == dkl + 1 + set->width) {
            rc = keyset_add(set, k + dkl + 1);
        }
    }
    rsn_iter_destroy(&it);
    return rc;
}

/* Adds to SET the authors of the posts counted in MISSION ("": any) of
 * GROUP on DAY: a scan of that day's posts ('P'), their judgments and facts
 * (there is no count per author and day: author_day_edge). */
static int day_authors(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES], const char *mission,
                       uint32_t day, keyset_t *set)
{
    uint8_t p[RSN_KEY_MAX], k[RSN_KEY_MAX];
    uint64_t day0 = (uint64_t)day * RSN_REPORT_DAY_MS;
    size_t pl = rsn_key_prefix(p, RSN_TAG_POST, group);
    size_t kl = rsn_key_group_post(k, group, day0, 0);
    rsn_index_t ix;
    int rc = rsn_index_open(&ix, store, p, pl, RSN_KEYLEN_ID_N_N);
    if (rc) {
        return rc;
    }
    for (rsn_index_seek(&ix, k, kl); rc == 0 && rsn_index_valid(&ix); rsn_index_next(&ix)) {
        uint64_t ts = rsn_be64_get(rsn_index_key(&ix) + RSN_KEYLEN_ID);
        if (ts >= day0 + RSN_REPORT_DAY_MS) {
            break;
        }
        uint64_t index = rsn_index_n(&ix);
        uint8_t jk[RSN_KEY_MAX], fk[RSN_KEY_MAX], j = 0;
        void *v = NULL, *jv = NULL;
        size_t len = 0, jl = 0;
        rs_facts_t f;
        if (rsn_store_get(store, jk, rsn_key_judged(jk, index), &jv, &jl) == 0 && jl >= 1) {
            j = ((uint8_t *)jv)[0];
        }
        rsn_store_free(jv);
        if (!(j & J_COUNTED) || rsn_store_get(store, fk, rsn_key_facts(fk, index), &v, &len) != 0) {
            continue;
        }
        if (rs_facts_decode(v, len, &f) == 0 && (!*mission || strcmp(f.mission, mission) == 0)) {
            rc = keyset_add(set, f.author);
        }
        rsn_store_free(v);
    }
    rsn_index_close(&ix);
    return rc;
}

int rsn_report_window(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                      const char *mission, uint32_t first, uint32_t last,
                      const uint8_t site[RSN_SITE_HASH_BYTES], rsn_rcount_t *out, rsn_rday_t **days,
                      size_t *n_days)
{
    uint8_t p[RSN_KEY_MAX], k[RSN_KEY_MAX];
    size_t pl = rsn_key_mission(p, RSN_TAG_RDAY, group, mission), cap = 0;
    keyset_t authors = {.arena = arena, .width = RSN_KEY_BYTES};
    keyset_t sites = {.arena = arena, .width = RSN_SITE_HASH_BYTES};
    memset(out, 0, sizeof *out);
    if (days) {
        *days = NULL;
        *n_days = 0;
    }
    uint64_t n_authors = 0, n_sites = 0;
    bool exact = false;
    int rc = rs_window_distinct(store, group, mission, first, last, &n_authors, &n_sites, &exact);
    rsn_iter_t *it = rc == 0 ? rsn_iter_new(store, p, pl) : NULL;
    if (!it) {
        return rc ? rc : RSN_ERR_NOMEM;
    }
    size_t kl = rsn_key_report_day(k, group, mission, first);
    for (rsn_iter_seek(it, k, kl); rc == 0 && rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t dkl = 0, vl = 0;
        const uint8_t *dk = rsn_iter_key(it, &dkl);
        const uint8_t *v = rsn_iter_value(it, &vl);
        if (dkl != pl + 4 || vl != 8 * D_FIELDS) {
            continue;
        }
        uint32_t day = (uint32_t)dk[pl] << 24 | (uint32_t)dk[pl + 1] << 16 |
                       (uint32_t)dk[pl + 2] << 8 | dk[pl + 3];
        if (day > last) {
            break;
        }
        uint64_t r[D_FIELDS], sp = 0;
        for (size_t i = 0; i < D_FIELDS; i++) {
            r[i] = rsn_be64_get(v + 8 * i);
        }
        memcpy(k, dk, dkl);
        if (site) {
            uint8_t sk[RSN_KEY_MAX];
            rc = rsn_store_get_u64(store, sk,
                                   rsn_key_report_day_who(sk, group, mission, day, 's', site), &sp);
            sp = rc == 0 ? sp : 0;
            rc = rc == RSN_ERR_NOT_FOUND ? 0 : rc;
        }
        out->posts += r[0];
        out->replies += r[3];
        out->cross += r[4];
        out->last = r[5] > out->last ? r[5] : out->last;
        out->site_posts += sp;
        if (rc == 0 && !exact) {
            rc = day_authors(store, group, mission, day, &authors);
        }
        if (rc == 0 && !exact) {
            rc = day_keys(store, k, dkl, 's', &sites);
        }
        if (rc == 0 && days) {
            rc = rsn_views_grow(arena, (void **)days, *n_days, &cap, sizeof **days);
            if (rc == 0) {
                rsn_rday_t *d = &(*days)[(*n_days)++];
                memset(d, 0, sizeof *d);
                d->day = day;
                rec_to(r, &d->c);
                d->c.last = r[5];
                d->c.site_posts = sp;
            }
        }
    }
    rsn_iter_destroy(&it);
    out->authors = exact ? n_authors : authors.n;
    out->sites = exact ? n_sites : sites.n;
    return rc;
}
