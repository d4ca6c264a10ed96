/* report_window.c — what makes a window's distinct authors and sites cheap
 * (report_state_int.h): for each author and each site of a group's mission,
 * the days on which it has posts counted ('w', one value, as bitmaps of 64
 * days), and per day how many authors and sites have that day as their
 * latest ('x').
 *
 * The report's windows and the groups listing's last 30 days end today, and
 * no post counts after today (a post's day is its effective time, never
 * later than when this node received it). Over such a window, FIRST to the
 * latest day, an author has posts exactly when its latest day is FIRST or
 * later, so the window's distinct authors are the sum of 'x' over its days:
 * O(days) reads, where a union of the days' authors is O(author-days).
 * A window with posts after its end (a report `until` in the past) is not
 * of that shape: the caller unions the days' authors and sites.
 *
 * Kept on the edges of an author's or a site's posts of a day (its first
 * post of a day counted, its last one of that day un-counted: the site's
 * from its 't' count, the author's from 'w' and a scan of the day's posts,
 * report_state.c author_day_edge), so a retraction
 * or a re-judge moves them exactly: removing an author's latest day finds
 * the next latest in the same value, by point reads only (a derive step's
 * scans do not see its own writes, and these change within one step).
 * Every figure is a function of the posts counted and their days, so a
 * rebuild gives the same bytes. A value holds one 12-byte record per 64-day stretch with
 * posts: at most a few kilobytes, since no day lies after today. */
#include <string.h>

#include "common/log.h"
#include "daemon/report_state_int.h"
#include "store/keys.h"

#define CHUNK_DAYS 64 /* days of one bitmap of a 'w' value */
#define REC_BYTES 12  /* a 'w' record: chunk(4: day / CHUNK_DAYS) bits(8) */
#define X_BYTES 16    /* an 'x' value: authors(8) sites(8) */

static uint32_t be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The latest day of a 'w' value V (LEN bytes): false when it holds none. */
static bool latest_of(const uint8_t *v, size_t len, uint32_t *day)
{
    if (len < REC_BYTES) {
        return false;
    }
    const uint8_t *r = v + len - REC_BYTES;
    uint64_t bits = rsn_be64_get(r + 4);
    if (bits == 0) {
        return false; /* never written so */
    }
    *day = be32_get(r) * CHUNK_DAYS + (uint32_t)(63 - __builtin_clzll(bits));
    return true;
}

/* Adds DELTA to field WHAT ('a' authors, 's' sites) of DAY's 'x' value. */
static int latest_add(rsn_dx_t *dx, const uint8_t *group, const char *mission, uint32_t day,
                      char what, int64_t delta)
{
    uint8_t k[RSN_KEY_MAX], *v = NULL, nv[X_BYTES];
    size_t kl = rsn_key_report_latest(k, group, mission, day), len = 0;
    uint64_t c[2] = {0, 0};
    int rc = rsn_dx_get(dx, k, kl, &v, &len);
    if (rc == 0 && len != X_BYTES) {
        rsn_error("report state: an 'x' value of %zu bytes", len);
        return RSN_ERR_IO;
    }
    if (rc == 0) {
        c[0] = rsn_be64_get(v);
        c[1] = rsn_be64_get(v + 8);
    } else if (rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    c[what == 'a' ? 0 : 1] += (uint64_t)delta;
    if (c[0] == 0 && c[1] == 0) {
        rsn_dx_delete(dx, k, kl);
        return 0;
    }
    rsn_be64_put(nv, c[0]);
    rsn_be64_put(nv + 8, c[1]);
    rsn_dx_put(dx, k, kl, nv, sizeof nv);
    return 0;
}

int rs_window_edge(rsn_dx_t *dx, const uint8_t group[RSN_ID_BYTES], const char *mission, char what,
                   const uint8_t *who, uint32_t day, int64_t edge)
{
    uint8_t k[RSN_KEY_MAX], *v = NULL;
    size_t kl = rsn_key_report_days_of(k, group, mission, what, who), len = 0;
    int rc = rsn_dx_get(dx, k, kl, &v, &len);
    if (rc == RSN_ERR_NOT_FOUND) {
        rc = 0;
        len = 0;
    }
    if (rc == 0 && len % REC_BYTES != 0) {
        rsn_error("report state: a 'w' value of %zu bytes", len);
        rc = RSN_ERR_IO;
    }
    uint8_t *nv = rc == 0 ? rsn_arena_alloc(rsn_dx_arena(dx), len + REC_BYTES) : NULL;
    if (rc || !nv) {
        return rc ? rc : RSN_ERR_NOMEM;
    }
    uint32_t chunk = day / CHUNK_DAYS, before = 0, after = 0;
    uint64_t bit = 1ULL << (day % CHUNK_DAYS), bits = 0;
    bool had = latest_of(v, len, &before);
    size_t i = 0, n = len / REC_BYTES, out = 0;
    for (; i < n && be32_get(v + i * REC_BYTES) < chunk; i++) {
    }
    if (i > 0) { /* v is NULL when the key is new: no memcpy from NULL, even of 0 bytes */
        memcpy(nv, v, i * REC_BYTES);
    }
    out = i * REC_BYTES;
    if (i < n && be32_get(v + i * REC_BYTES) == chunk) {
        bits = rsn_be64_get(v + i * REC_BYTES + 4);
        i++;
    }
    bits = edge > 0 ? bits | bit : bits & ~bit;
    if (bits) {
        be32_put(nv + out, chunk);
        rsn_be64_put(nv + out + 4, bits);
        out += REC_BYTES;
    }
    if (n > i) {
        memcpy(nv + out, v + i * REC_BYTES, (n - i) * REC_BYTES);
    }
    out += (n - i) * REC_BYTES;
    if (out) {
        rsn_dx_put(dx, k, kl, nv, out);
    } else {
        rsn_dx_delete(dx, k, kl);
    }
    bool has = latest_of(nv, out, &after);
    if (had == has && before == after) {
        return 0; /* its latest day stays: no 'x' moves */
    }
    rc = had ? latest_add(dx, group, mission, before, what, -1) : 0;
    return rc == 0 && has ? latest_add(dx, group, mission, after, what, +1) : rc;
}

int rs_window_has_day(rsn_dx_t *dx, const uint8_t group[RSN_ID_BYTES], const char *mission,
                      char what, const uint8_t *who, uint32_t day, bool *has)
{
    uint8_t k[RSN_KEY_MAX], *v = NULL;
    size_t kl = rsn_key_report_days_of(k, group, mission, what, who), len = 0;
    *has = false;
    int rc = rsn_dx_get(dx, k, kl, &v, &len);
    if (rc == RSN_ERR_NOT_FOUND) {
        return 0;
    }
    if (rc == 0 && len % REC_BYTES != 0) {
        rsn_error("report state: a 'w' value of %zu bytes", len);
        rc = RSN_ERR_IO;
    }
    uint32_t chunk = day / CHUNK_DAYS;
    for (size_t i = 0; rc == 0 && i < len / REC_BYTES; i++) {
        if (be32_get(v + i * REC_BYTES) == chunk) {
            *has = (rsn_be64_get(v + i * REC_BYTES + 4) >> (day % CHUNK_DAYS)) & 1;
            break;
        }
    }
    return rc;
}

int rs_window_distinct(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES], const char *mission,
                       uint32_t first, uint32_t last, uint64_t *authors, uint64_t *sites,
                       bool *exact)
{
    uint8_t p[RSN_KEY_MAX], k[RSN_KEY_MAX];
    size_t pl = rsn_key_mission(p, RSN_TAG_RLATEST, group, mission);
    size_t kl = rsn_key_report_latest(k, group, mission, first);
    *authors = *sites = 0;
    *exact = true;
    rsn_iter_t *it = rsn_iter_new(store, p, pl);
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    for (rsn_iter_seek(it, k, kl); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t xl = 0, vl = 0;
        const uint8_t *x = rsn_iter_key(it, &xl);
        const uint8_t *v = rsn_iter_value(it, &vl);
        if (xl != pl + 4 || vl != X_BYTES) {
            continue;
        }
        if (be32_get(x + pl) > last) {
            *exact = false; /* posts after the window: not a window to today */
            break;
        }
        *authors += rsn_be64_get(v);
        *sites += rsn_be64_get(v + 8);
    }
    rsn_iter_destroy(&it);
    return 0;
}
