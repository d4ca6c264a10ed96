/* report_jobs.c — the re-judge jobs of the report's derived state
 * (report_state_int.h): what a later entry changes about the judgments of
 * earlier posts, applied a bounded number of posts at a time.
 *
 * DESIGN.md's "Rules that don't look back" leaves a few events that do: a
 * late charter v1 whose posts came first, an amendment or a dispute (the
 * group's posts: a group job), a membership event of M (M's posts in that
 * group: a member job), a retraction (what its target looks back on), a
 * fork (what each hidden entry looks back on: a fork job over the feed
 * from the forked seq), a profile (its author's posts and the replies to
 * them: a profile job, since the site they count under may have changed),
 * and a post whose replies came first (a replies job). Each is written in
 * the derive step of the event that causes it: a job runs RS_JOB_INLINE
 * units at once and, when more remains, becomes a 'j' key with a cursor
 * (the last index key it passed), counted in 'u' group (the "being
 * updated" flag; zeros for the jobs of a feed), that rs_background resumes
 * each turn of the event loop, a budget at a time, in steps of FLUSH_EVERY
 * units. A re-judge is idempotent (a fresh judgment against the store,
 * compared with 'p'), so jobs may overlap and run in any order. */
#include "daemon/report_state_int.h"

#include <string.h>

#include "common/log.h"
#include "daemon/entry.h"
#include "daemon/report_state.h"
#include "daemon/view_ctx.h"
#include "store/keys.h"
#include "store/tlog.h"

#define RS_JOB_INLINE 32 /* units of a new job run in the step that queues it */
#define FLUSH_EVERY \
    64               /* background units per derive step (the step's puts are searched linearly) */
#define SKIP_COST 16 /* entries passed over (not shown yet) that cost one unit */
#define JOB_HEAD (1 + RSN_ID_BYTES + RSN_ID_BYTES + 8 + 1)
#define JOB_MAX (JOB_HEAD + RSN_KEY_MAX)

static const uint8_t no_group[RSN_ID_BYTES];

static size_t job_encode(const rs_job_t *j, const uint8_t *cursor, size_t clen, uint8_t *v)
{
    v[0] = j->kind;
    memcpy(v + 1, j->group, RSN_ID_BYTES);
    memcpy(v + 1 + RSN_ID_BYTES, j->who, RSN_ID_BYTES);
    rsn_be64_put(v + 1 + 2 * RSN_ID_BYTES, j->from);
    v[JOB_HEAD - 1] = (uint8_t)clen;
    memcpy(v + JOB_HEAD, cursor, clen);
    return JOB_HEAD + clen;
}

static bool job_decode(const uint8_t *v, size_t len, rs_job_t *j, uint8_t *cursor, size_t *clen)
{
    if (len < JOB_HEAD || len != JOB_HEAD + (size_t)v[JOB_HEAD - 1] ||
        v[JOB_HEAD - 1] > RSN_KEY_MAX) {
        return false;
    }
    j->kind = v[0];
    memcpy(j->group, v + 1, RSN_ID_BYTES);
    memcpy(j->who, v + 1 + RSN_ID_BYTES, RSN_ID_BYTES);
    j->from = rsn_be64_get(v + 1 + 2 * RSN_ID_BYTES);
    *clen = v[JOB_HEAD - 1];
    memcpy(cursor, v + JOB_HEAD, *clen);
    return true;
}

/* The index a job walks: its prefix, the length of its keys, where the
 * entry's log index is (ID_AT into the key; 0: the value, as in 'S'), and
 * the first key (FIRST, FIRST_LEN; 0: the prefix's first). */
typedef struct {
    uint8_t prefix[RSN_KEY_MAX], first[RSN_KEY_MAX];
    size_t plen, key_len, id_at, first_len;
} walk_t;

static void job_walk(const rs_job_t *j, walk_t *w)
{
    memset(w, 0, sizeof *w);
    switch (j->kind) {
    case RS_JOB_GROUP:
        w->plen = rsn_key_prefix(w->prefix, RSN_TAG_POST, j->group);
        w->key_len = RSN_KEYLEN_ID_N_N;
        w->id_at = RSN_KEYOFF_ID_N_N;
        break;
    case RS_JOB_REPLIES:
        w->plen = rsn_key_prefix(w->prefix, RSN_TAG_REPLY, j->who);
        w->key_len = RSN_KEYLEN_ID_N;
        w->id_at = RSN_KEYOFF_ID_N;
        break;
    default: /* a feed: 'S' who seq -> index */
        w->plen = rsn_key_prefix(w->prefix, RSN_TAG_SEQ, j->who);
        w->key_len = RSN_KEYLEN_ID_N;
        w->first_len = rsn_key_feed_seq(w->first, j->who, j->kind == RS_JOB_FORK ? j->from : 1);
        break;
    }
}

/* What job J does with the entry at log INDEX that its walk reached. */
static int job_unit(rsn_dx_t *dx, rsn_view_ctx_t *x, const rs_job_t *j, uint64_t index)
{
    rs_facts_t f;
    bool found = false;
    uint8_t id[RSN_ID_BYTES];
    int rc = 0;
    if (j->kind == RS_JOB_PROFILE || j->kind == RS_JOB_FORK) {
        /* the only units that need the entry's id (the others go by index) */
        if ((rc = rsn_tlog_leaf(rsn_dx_store(dx), index, id)) != 0) {
            return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
        }
    }
    switch (j->kind) {
    case RS_JOB_GROUP:
    case RS_JOB_REPLIES: return rs_rejudge(dx, x, index);
    case RS_JOB_MEMBER:
        rc = rs_facts_get(dx, index, &f, &found);
        if (rc == 0 && found && f.kind == RS_POST && memcmp(f.group, j->group, RSN_ID_BYTES) == 0) {
            rc = rs_rejudge(dx, x, index);
        }
        return rc;
    case RS_JOB_PROFILE: {
        rc = rs_facts_get(dx, index, &f, &found);
        if (rc || !found || f.kind != RS_POST) {
            return rc;
        }
        uint8_t k[RSN_KEY_MAX];
        uint64_t replies = 0;
        if ((rc = rs_rejudge(dx, x, index)) != 0 ||
            (rc = rsn_dx_get_u64(dx, k, rsn_key_reply_count(k, id), &replies)) != 0 ||
            replies == 0) {
            return rc;
        }
        rs_job_t r = {.kind = RS_JOB_REPLIES};
        memcpy(r.group, f.group, RSN_ID_BYTES);
        memcpy(r.who, id, RSN_ID_BYTES);
        return rs_job_queue(dx, &r);
    }
    case RS_JOB_FORK: {
        rsn_loaded_t *l = NULL;
        rc = rsn_entry_try_load(rsn_dx_store(dx), rsn_view_ctx_arena(x), id, &l);
        return rc || !l ? rc : rs_lookback(dx, index, l, 0);
    }
    default: return 0;
    }
}

/* Runs at most BUDGET units of job J from CURSOR (CLEN bytes, 0: its
 * start), updating the cursor; *USED the units, *FINISHED when it is done. */
static int job_run(rsn_dx_t *dx, const rs_job_t *j, uint8_t *cursor, size_t *clen, size_t budget,
                   size_t *used, bool *finished)
{
    rsn_store_t *store = rsn_dx_store(dx);
    rsn_view_ctx_t *x = rsn_view_ctx_new(store, rsn_dx_arena(dx));
    if (x) {
        rsn_view_ctx_set_dx(x, dx);
    }
    *used = 0;
    *finished = false;
    if (!x) {
        return RSN_ERR_NOMEM;
    }
    if (j->kind == RS_JOB_POST) {
        uint64_t index = 0;
        int rc = rs_index_of(dx, j->who, &index);
        *used = 1;
        *finished = true;
        return rc == 0 ? rs_rejudge(dx, x, index) : rc == RSN_ERR_NOT_FOUND ? 0 : rc;
    }
    walk_t w;
    job_walk(j, &w);
    rsn_index_t ix;
    int rc = rsn_index_open(&ix, store, w.prefix, w.plen, w.key_len);
    if (rc) {
        return rc;
    }
    if (*clen) {
        rsn_index_seek(&ix, cursor, *clen);
        if (rsn_index_valid(&ix) && memcmp(rsn_index_key(&ix), cursor, *clen) == 0) {
            rsn_index_next(&ix);
        }
    } else if (w.first_len) {
        rsn_index_seek(&ix, w.first, w.first_len);
    } else {
        rsn_index_first(&ix);
    }
    /* entries not shown yet are passed over (derive.h, rsn_dx_horizon):
     * SKIP_COST of them cost one unit, so a walk stays bounded */
    uint64_t horizon = rsn_dx_horizon(dx);
    size_t passed = 0;
    for (; rc == 0 && rsn_index_valid(&ix) && *used + passed / SKIP_COST < budget;
         rsn_index_next(&ix)) {
        size_t vl = 8;
        const uint8_t *at = w.id_at ? rsn_index_key(&ix) + w.id_at : rsn_index_value(&ix, &vl);
        memcpy(cursor, rsn_index_key(&ix), w.key_len);
        *clen = w.key_len;
        uint64_t index = vl == 8 ? rsn_be64_get(at) : 0;
        if (vl != 8 || index >= horizon) {
            passed++;
            continue;
        }
        (*used)++;
        rc = job_unit(dx, x, j, index);
    }
    *used += passed / SKIP_COST;
    *finished = rc == 0 && !rsn_index_valid(&ix);
    rsn_index_close(&ix);
    return rc;
}

int rs_job_queue(rsn_dx_t *dx, const rs_job_t *job)
{
    uint8_t cursor[RSN_KEY_MAX], k[RSN_KEY_MAX], v[JOB_MAX];
    size_t clen = 0, used = 0;
    bool finished = false;
    int rc = job_run(dx, job, cursor, &clen, RS_JOB_INLINE, &used, &finished);
    if (rc || finished) {
        return rc;
    }
    uint64_t n = 0;
    size_t kl = rsn_key_jobs_pending(k, NULL);
    if ((rc = rsn_dx_get_u64(dx, k, kl, &n)) != 0) {
        return rc;
    }
    rsn_dx_put_u64(dx, k, kl, n + 1);
    rsn_dx_put(dx, k, rsn_key_job(k, n), v, job_encode(job, cursor, clen, v));
    return rsn_dx_add(dx, k, rsn_key_jobs_pending(k, job->group), 1);
}

/* Whether AUTHOR's site (its latest profile's, "" without one) differs
 * from the one its posts were last judged under ('o'); if so, records it.
 * Only such a profile re-judges the author's posts: a profile that keeps
 * the site (most do) costs one read, not a walk of the feed. */
static int site_moved(rsn_dx_t *dx, const uint8_t author[RSN_KEY_BYTES], bool *moved)
{
    rsn_view_ctx_t *x = rsn_view_ctx_new(rsn_dx_store(dx), rsn_dx_arena(dx));
    if (!x) {
        return RSN_ERR_NOMEM;
    }
    rsn_view_ctx_set_dx(x, dx);
    const char *site = rsn_view_ctx_profile(x, author)->site;
    uint8_t now[RSN_SITE_HASH_BYTES], was[RSN_SITE_HASH_BYTES], k[RSN_KEY_MAX], *v = NULL;
    size_t kl = rsn_key_site_of(k, author), vl = 0;
    rsn_report_site_hash(site ? site : "", now);
    rsn_report_site_hash("", was);
    int rc = rsn_dx_get(dx, k, kl, &v, &vl);
    if (rc == 0 && vl == RSN_SITE_HASH_BYTES) {
        memcpy(was, v, RSN_SITE_HASH_BYTES);
    } else if (rc < 0 && rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    *moved = memcmp(now, was, RSN_SITE_HASH_BYTES) != 0;
    if (*moved && site && *site) {
        rsn_dx_put(dx, k, kl, now, sizeof now);
    } else if (*moved) {
        rsn_dx_delete(dx, k, kl);
    }
    return 0;
}

int rs_lookback(rsn_dx_t *dx, uint64_t index, const rsn_loaded_t *l, int depth)
{
    rs_job_t job = {0};
    rs_facts_t f;
    bool found = false;
    int rc = rs_facts_get(dx, index, &f, &found);
    if (rc) {
        return rc;
    }
    switch (l->entry->kind) {
    case RAISON__KIND__KIND_POST:
        job.kind = RS_JOB_POST;
        memcpy(job.who, l->id, RSN_ID_BYTES);
        break;
    case RAISON__KIND__KIND_MEMBERSHIP:
        job.kind = RS_JOB_MEMBER;
        memcpy(job.who, f.member, RSN_KEY_BYTES);
        break;
    case RAISON__KIND__KIND_CHARTER: job.kind = RS_JOB_GROUP; break;
    case RAISON__KIND__KIND_PROFILE: {
        bool moved = false;
        if ((rc = site_moved(dx, l->entry->author.data, &moved)) != 0 || !moved) {
            return rc;
        }
        job.kind = RS_JOB_PROFILE;
        memcpy(job.who, l->entry->author.data, RSN_KEY_BYTES);
        found = false; /* a feed's job */
        break;
    }
    case RAISON__KIND__KIND_RETRACTION: {
        const Raison__Retraction *r = l->body;
        rsn_loaded_t *t = NULL;
        uint64_t ti = 0;
        if (depth > 0 || !r || r->target.len != RSN_ID_BYTES) {
            return 0;
        }
        rc = rs_index_of(dx, r->target.data, &ti);
        if (rc == 0) {
            rc = rsn_entry_load(rsn_dx_store(dx), rsn_dx_arena(dx), r->target.data, &t);
        }
        if (rc) {
            return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
        }
        return rs_lookback(dx, ti, t, depth + 1);
    }
    default: return 0;
    }
    if (job.kind != RS_JOB_PROFILE && !found) {
        return 0; /* seen without its body: nothing derived from it yet */
    }
    memcpy(job.group, found ? f.group : no_group, RSN_ID_BYTES);
    return rs_job_queue(dx, &job);
}

/* Positions on the first queued job: 0 and *FOUND (K, KL: its key). */
static int first_job(rsn_dx_t *dx, uint8_t *k, size_t *kl, uint8_t *v, size_t *vl, bool *found)
{
    uint8_t p[RSN_KEY_MAX];
    rsn_iter_t *it = rsn_iter_new(rsn_dx_store(dx), p, rsn_key_prefix(p, RSN_TAG_JOB, NULL));
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    rsn_iter_first(it);
    *found = false;
    if (rsn_iter_valid(it)) {
        const uint8_t *key = rsn_iter_key(it, kl);
        const uint8_t *val = rsn_iter_value(it, vl);
        if (*kl <= RSN_KEY_MAX && *vl <= JOB_MAX) {
            memcpy(k, key, *kl);
            memcpy(v, val, *vl);
            *found = true;
        }
    }
    rsn_iter_destroy(&it);
    return 0;
}

int rs_background(rsn_dx_t *dx, size_t budget, size_t *done)
{
    *done = 0;
    while (*done < budget) {
        uint8_t k[RSN_KEY_MAX], v[JOB_MAX], cursor[RSN_KEY_MAX], pk[RSN_KEY_MAX];
        size_t kl = 0, vl = 0, clen = 0, used = 0;
        bool found = false, finished = false;
        rs_job_t job;
        int rc = first_job(dx, k, &kl, v, &vl, &found);
        if (rc) {
            return rc;
        }
        if (!found) {
            /* the queue is empty: its number starts again (a drained state
             * is the same whatever ran) */
            uint64_t next = 0;
            size_t pl = rsn_key_jobs_pending(pk, NULL);
            rc = rsn_dx_get_u64(dx, pk, pl, &next);
            if (rc == 0 && next) {
                rsn_dx_delete(dx, pk, pl);
            }
            return rc;
        }
        if (!job_decode(v, vl, &job, cursor, &clen)) {
            rsn_warn("report state: a queued job of %zu bytes not understood; dropped", vl);
            rsn_dx_delete(dx, k, kl);
            *done += 1;
            continue;
        }
        size_t share = budget - *done < FLUSH_EVERY ? budget - *done : FLUSH_EVERY;
        rc = job_run(dx, &job, cursor, &clen, share, &used, &finished);
        if (rc) {
            return rc;
        }
        if (finished) {
            rsn_dx_delete(dx, k, kl);
            rc = rsn_dx_add(dx, pk, rsn_key_jobs_pending(pk, job.group), -1);
        } else {
            rsn_dx_put(dx, k, kl, v, job_encode(&job, cursor, clen, v));
        }
        *done += used ? used : 1;
        if (rc == 0) {
            rc = rsn_dx_flush(dx);
        }
        if (rc) {
            return rc;
        }
    }
    return 0;
}
