/* report_state.c — the report's derived state (report_state.h): an entry's
 * facts at first sight ('f'), a post's judgment ('p'), and the counters the
 * judgments move ('c' 'd' 'a' 's' 't' 'w' 'x' 'r').
 *
 * A post is judged as the timeline and the old linear report judged it
 * (judge.c): shown (not hidden by a fork, not retracted), its group known,
 * rsn_group_post_problem against the charter version it names, and a reply
 * to a held post of the same group; but from its facts, so an erased post
 * is judged on what its body said when it was seen, and counts in its
 * mission. A counted post moves, for its mission and for the whole group
 * (mission ""), the posts, the replies, the cross-site replies (its site
 * and its parent's author's site both known and different), and through
 * the per-author and per-site counts 'a' 's' the distinct authors and
 * sites; per day too ('d', with the day's last activity: a site's posts of
 * a day counted in 't', an author's first and last post of a day found from
 * its days 'w' and a scan of the day, author_day_edge), and its parent's
 * reply count 'r'. Every change of a judgment
 * is -1 of the old one and +1 of the new one, so any order of the same
 * entries ends in the same counters. The jobs of what looks back are
 * report_jobs.c's. */
#include "daemon/report_state.h"

#include <string.h>

#include "common/log.h"
#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/group.h"
#include "daemon/read_helpers.h"
#include "daemon/report_state_int.h"
#include "daemon/view_ctx.h"
#include "store/tlog.h"

#define FACTS_MAX (2 + RSN_ID_BYTES + RSN_KEY_BYTES + 16 + 3 * 32 + 1 + RSN_MISSION_KEY_MAX)
#define F_PARENT 1
#define F_CHARTER 2
#define F_MEMBER 4

typedef struct {
    bool counted, cross, has_site;
    uint8_t site[RSN_SITE_HASH_BYTES];
} judgment_t;

/* --- facts ---------------------------------------------------------------------------- */

static size_t facts_encode(const rs_facts_t *f, uint8_t *v)
{
    size_t n = 0;
    v[n++] = f->kind;
    uint8_t flags = (uint8_t)((f->has_parent ? F_PARENT : 0) | (f->has_charter ? F_CHARTER : 0) |
                              (f->kind == RS_MEMBERSHIP ? F_MEMBER : 0));
    v[n++] = flags;
    memcpy(v + n, f->group, RSN_ID_BYTES);
    n += RSN_ID_BYTES;
    memcpy(v + n, f->author, RSN_KEY_BYTES);
    n += RSN_KEY_BYTES;
    rsn_be64_put(v + n, f->seq);
    rsn_be64_put(v + n + 8, f->ts);
    n += 16;
    const uint8_t *opt[3] = {f->has_parent ? f->parent : NULL, f->has_charter ? f->charter : NULL,
                             f->kind == RS_MEMBERSHIP ? f->member : NULL};
    for (size_t i = 0; i < 3; i++) {
        if (opt[i]) {
            memcpy(v + n, opt[i], 32);
            n += 32;
        }
    }
    size_t ml = strlen(f->mission);
    v[n++] = (uint8_t)ml;
    memcpy(v + n, f->mission, ml);
    return n + ml;
}

int rs_facts_decode(const uint8_t *v, size_t len, rs_facts_t *f)
{
    memset(f, 0, sizeof *f);
    size_t n = 2 + RSN_ID_BYTES + RSN_KEY_BYTES + 16;
    if (len < n + 1) {
        return RSN_ERR_IO;
    }
    f->kind = v[0];
    memcpy(f->group, v + 2, RSN_ID_BYTES);
    memcpy(f->author, v + 2 + RSN_ID_BYTES, RSN_KEY_BYTES);
    f->seq = rsn_be64_get(v + 2 + RSN_ID_BYTES + RSN_KEY_BYTES);
    f->ts = rsn_be64_get(v + 10 + RSN_ID_BYTES + RSN_KEY_BYTES);
    uint8_t *opt[3] = {f->parent, f->charter, f->member};
    for (size_t i = 0; i < 3; i++) {
        if (v[1] & (1u << i)) {
            if (len < n + 32 + 1) {
                return RSN_ERR_IO;
            }
            memcpy(opt[i], v + n, 32);
            n += 32;
        }
    }
    f->has_parent = v[1] & F_PARENT;
    f->has_charter = v[1] & F_CHARTER;
    size_t ml = v[n++];
    if (ml > RSN_MISSION_KEY_MAX || len != n + ml) {
        return RSN_ERR_IO;
    }
    memcpy(f->mission, v + n, ml);
    f->mission[ml] = '\0';
    return 0;
}

int rs_facts_get(rsn_dx_t *dx, uint64_t index, rs_facts_t *f, bool *found)
{
    uint8_t k[RSN_KEY_MAX], *v = NULL;
    size_t len = 0;
    *found = false;
    int rc = rsn_dx_get(dx, k, rsn_key_facts(k, index), &v, &len);
    if (rc == RSN_ERR_NOT_FOUND) {
        return 0;
    }
    if (rc == 0 && (rc = rs_facts_decode(v, len, f)) != 0) {
        rsn_error("report state: the facts of entry %llu do not decode", (unsigned long long)index);
    }
    *found = rc == 0;
    return rc;
}

int rsn_report_group_of(rsn_store_t *store, uint64_t index, uint8_t group[RSN_ID_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    void *v = NULL;
    size_t len = 0;
    int rc = rsn_store_get(store, k, rsn_key_facts(k, index), &v, &len);
    rs_facts_t f;
    if (rc == 0 && rs_facts_decode(v, len, &f) != 0) {
        rc = RSN_ERR_IO;
    }
    if (rc == 0) {
        memcpy(group, f.group, RSN_ID_BYTES);
    }
    rsn_store_free(v);
    return rc;
}

static void copy_id(uint8_t out[32], const ProtobufCBinaryData *b, bool *has)
{
    *has = b->len == 32;
    if (*has) {
        memcpy(out, b->data, 32);
    }
}

/* The facts of DE's entry from its body: false when it has none to keep
 * (no body, a kind without a group, a group that is no id). */
static bool facts_of(const rsn_derive_entry_t *de, rs_facts_t *f)
{
    const rsn_loaded_t *l = de->l;
    bool ok = false;
    memset(f, 0, sizeof *f);
    if (!l->body || rsn_entry_group(l, f->group) != 0) {
        return false;
    }
    memcpy(f->author, l->entry->author.data, RSN_KEY_BYTES);
    f->seq = l->entry->seq;
    f->ts = rsn_clock_effective(l->entry->timestamp, de->received);
    switch (l->entry->kind) {
    case RAISON__KIND__KIND_POST: {
        const Raison__Post *p = l->body;
        f->kind = RS_POST;
        copy_id(f->parent, &p->reply_to, &f->has_parent);
        copy_id(f->charter, &p->charter, &f->has_charter);
        size_t ml = p->mission ? strlen(p->mission) : 0;
        ok = ml <= RSN_MISSION_KEY_MAX;
        memcpy(f->mission, ok ? p->mission : "", ok ? ml : 0);
        /* a reply_to or a charter that is no id is kept as a bad one: the
         * judgment refuses it as the old one did */
        f->has_parent = f->has_parent || p->reply_to.len != 0;
        f->has_charter = f->has_charter || p->charter.len != 0;
        break;
    }
    case RAISON__KIND__KIND_MEMBERSHIP: {
        const Raison__Membership *m = l->body;
        f->kind = RS_MEMBERSHIP;
        bool other =
            m->action == RAISON__ACTION__ACTION_ADD || m->action == RAISON__ACTION__ACTION_REMOVE;
        memcpy(f->member, other && m->member.len == 32 ? m->member.data : f->author, 32);
        ok = true;
        break;
    }
    case RAISON__KIND__KIND_CHARTER:
        f->kind = RS_CHARTER;
        ok = true;
        break;
    default: break;
    }
    return ok;
}

int rs_index_of(rsn_dx_t *dx, const uint8_t id[RSN_ID_BYTES], uint64_t *index)
{
    return rsn_tlog_leaf_index(rsn_dx_store(dx), id, index);
}

/* --- judging -------------------------------------------------------------------------- */

/* True when the parent PARENT of a post of GROUP is a held post of GROUP
 * (by its facts: a parent seen only without its body is in no group yet);
 * *AUTHOR gets its author. */
static int parent_in_group(rsn_dx_t *dx, const rs_facts_t *f, bool *in,
                           uint8_t author[RSN_KEY_BYTES])
{
    uint64_t index = 0;
    rs_facts_t pf;
    bool found = false;
    *in = false;
    /* facts are kept for held entries only, with their kind and author:
     * the parent itself is not loaded */
    int rc = rs_index_of(dx, f->parent, &index);
    if (rc == 0) {
        rc = rs_facts_get(dx, index, &pf, &found);
    }
    if (rc) {
        return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
    }
    *in = found && pf.kind == RS_POST && memcmp(pf.group, f->group, RSN_ID_BYTES) == 0;
    if (*in) {
        memcpy(author, pf.author, RSN_KEY_BYTES);
    }
    return 0;
}

/* The site AUTHOR's posts count under: its hash in HASH and *HAS, from
 * 'o' (what the latest derived profile of AUTHOR moved it to; absent: no
 * site). One read, where the profile itself is three and a decode. */
static int site_of(rsn_dx_t *dx, const uint8_t author[RSN_KEY_BYTES],
                   uint8_t hash[RSN_SITE_HASH_BYTES], bool *has)
{
    uint8_t k[RSN_KEY_MAX], *v = NULL;
    size_t vl = 0;
    int rc = rsn_dx_get(dx, k, rsn_key_site_of(k, author), &v, &vl);
    *has = rc == 0 && vl == RSN_SITE_HASH_BYTES;
    if (*has) {
        memcpy(hash, v, RSN_SITE_HASH_BYTES);
    }
    return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
}

/* The judgment of post ID (facts F) now. What it reads of the entry is in
 * its facts (author, seq, group, mission, parent, charter): neither the
 * entry nor its body is loaded, so a re-judge costs its facts, its leaf and
 * what the rules read (rsn_entry_shown's checks, by author and seq). */
static int judge(rsn_dx_t *dx, rsn_view_ctx_t *x, const uint8_t id[RSN_ID_BYTES],
                 const rs_facts_t *f, judgment_t *j)
{
    rsn_store_t *store = rsn_dx_store(dx);
    rsn_group_t *g = NULL;
    memset(j, 0, sizeof *j);
    if (rsn_feed_hidden(store, f->author, f->seq) ||
        rsn_entry_retracted(store, rsn_view_ctx_arena(x), id, f->author)) {
        return 0; /* not shown (rsn_entry_shown) */
    }
    int rc = rsn_view_ctx_group(x, f->group, &g);
    if (rc) {
        return rc == RSN_ERR_UNKNOWN_GROUP ? 0 : rc;
    }
    Raison__Post stub = RAISON__POST__INIT;
    stub.group = (ProtobufCBinaryData){RSN_ID_BYTES, (uint8_t *)f->group};
    stub.mission = (char *)f->mission;
    if (f->has_charter) {
        stub.charter = (ProtobufCBinaryData){RSN_ID_BYTES, (uint8_t *)f->charter};
    }
    if (rsn_group_post_problem(g, f->author, f->seq, &stub)) {
        return 0;
    }
    if ((rc = site_of(dx, f->author, j->site, &j->has_site)) != 0) {
        return rc;
    }
    uint8_t pauthor[RSN_KEY_BYTES];
    if (f->has_parent) {
        bool in = false, has = false;
        uint8_t psite[RSN_SITE_HASH_BYTES];
        if ((rc = parent_in_group(dx, f, &in, pauthor)) != 0 || !in ||
            (rc = site_of(dx, pauthor, psite, &has)) != 0) {
            memset(j, 0, sizeof *j);
            return rc;
        }
        j->cross = j->has_site && has && memcmp(j->site, psite, RSN_SITE_HASH_BYTES) != 0;
    }
    j->counted = true;
    return 0;
}

static size_t judgment_encode(const judgment_t *j, uint8_t v[1 + RSN_SITE_HASH_BYTES])
{
    v[0] = (uint8_t)((j->counted ? J_COUNTED : 0) | (j->cross ? J_CROSS : 0) |
                     (j->has_site ? J_SITE : 0));
    if (j->has_site) {
        memcpy(v + 1, j->site, RSN_SITE_HASH_BYTES);
    }
    return j->has_site ? 1 + RSN_SITE_HASH_BYTES : 1;
}

static void judgment_decode(const uint8_t *v, size_t len, judgment_t *j)
{
    memset(j, 0, sizeof *j);
    j->counted = len >= 1 && (v[0] & J_COUNTED);
    j->cross = len >= 1 && (v[0] & J_CROSS);
    j->has_site = len == 1 + RSN_SITE_HASH_BYTES && (v[0] & J_SITE);
    if (j->has_site) {
        memcpy(j->site, v + 1, RSN_SITE_HASH_BYTES);
    }
}

/* --- counters ------------------------------------------------------------------------- */

static int rec_get(rsn_dx_t *dx, const uint8_t *k, size_t kl, uint64_t *r, size_t n)
{
    uint8_t *v = NULL;
    size_t len = 0;
    memset(r, 0, n * sizeof *r);
    int rc = rsn_dx_get(dx, k, kl, &v, &len);
    if (rc == RSN_ERR_NOT_FOUND) {
        return 0;
    }
    if (rc == 0 && len != n * 8) {
        rsn_error("report state: a counter record of %zu bytes, not %zu", len, n * 8);
        return RSN_ERR_IO;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        r[i] = rsn_be64_get(v + 8 * i);
    }
    return rc;
}

static void rec_put(rsn_dx_t *dx, const uint8_t *k, size_t kl, const uint64_t *r, size_t n)
{
    uint8_t v[8 * D_FIELDS];
    if (r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0 && r[4] == 0) {
        /* no post counted, and so nothing else: a re-judge that takes a post
         * out and puts it back (apply) passes through posts 0 with its
         * author still counted, and keeps the record */
        rsn_dx_delete(dx, k, kl);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        rsn_be64_put(v + 8 * i, r[i]);
    }
    rsn_dx_put(dx, k, kl, v, n * 8);
}

/* Adds SIGN to the count at K; *EDGE gets +1 when it went 0 -> 1, -1 when 1 -> 0. */
static int count_edge(rsn_dx_t *dx, const uint8_t *k, size_t kl, int sign, int64_t *edge)
{
    uint64_t v = 0;
    int rc = rsn_dx_get_u64(dx, k, kl, &v);
    *edge = (sign > 0 && v == 0) ? 1 : (sign < 0 && v == 1) ? -1 : 0;
    return rc ? rc : rsn_dx_add(dx, k, kl, sign);
}

static void rec_add(uint64_t *r, int64_t d0, int64_t d1, int64_t d2, int64_t d3, int64_t d4)
{
    r[0] += (uint64_t)d0;
    r[1] += (uint64_t)d1;
    r[2] += (uint64_t)d2;
    r[3] += (uint64_t)d3;
    r[4] += (uint64_t)d4;
}

/* The latest post counted in MISSION ("": any) of F's group on F's day, by
 * AUTHOR (NULL: anyone), the post at log index SKIP left out: its time into
 * *LAST, 0 when none ('P' scan over one day, judgments and facts through
 * DX). What a post that leaves the counters needs: the day's last activity
 * after it, and whether its author still has another post that day. */
static int day_find(rsn_dx_t *dx, const rs_facts_t *f, const char *mission, const uint8_t *author,
                    uint64_t skip, uint64_t *last)
{
    uint8_t p[RSN_KEY_MAX], k[RSN_KEY_MAX];
    uint64_t day0 = f->ts / RSN_REPORT_DAY_MS * RSN_REPORT_DAY_MS;
    size_t pl = rsn_key_prefix(p, RSN_TAG_POST, f->group);
    size_t kl = rsn_key_group_post(k, f->group, day0 + RSN_REPORT_DAY_MS - 1, UINT64_MAX);
    rsn_index_t ix;
    *last = 0;
    int rc = rsn_index_open(&ix, rsn_dx_store(dx), p, pl, RSN_KEYLEN_ID_N_N);
    if (rc) {
        return rc;
    }
    for (rsn_index_seek_before(&ix, k, kl); rc == 0 && rsn_index_valid(&ix); rsn_index_prev(&ix)) {
        uint64_t ts = rsn_be64_get(rsn_index_key(&ix) + RSN_KEYLEN_ID), index = 0;
        if (ts < day0) {
            break;
        }
        uint8_t jk[RSN_KEY_MAX], *v = NULL;
        size_t len = 0;
        rs_facts_t pf;
        bool found = false;
        index = rsn_index_n(&ix);
        if (author && index == skip) {
            continue; /* the post leaving, whatever its new judgment */
        }
        if ((rc = rsn_dx_get(dx, jk, rsn_key_judged(jk, index), &v, &len)) != 0) {
            rc = rc == RSN_ERR_NOT_FOUND ? 0 : rc;
            continue;
        }
        if (len < 1 || !(v[0] & J_COUNTED) || (rc = rs_facts_get(dx, index, &pf, &found)) != 0) {
            continue;
        }
        if (found && (!*mission || strcmp(pf.mission, mission) == 0) &&
            (!author || memcmp(pf.author, author, RSN_KEY_BYTES) == 0)) {
            *last = ts;
            break;
        }
    }
    rsn_index_close(&ix);
    return rc;
}

/* Whether AUTHOR (F's) has a post counted in MISSION ("": any) of F's group
 * on DAY other than the one at log index SKIP, by a walk of the author's
 * feed ('S', then each entry's facts and judgment through DX): day_find's
 * question when the author's feed is shorter than the group's day. */
static int feed_find(rsn_dx_t *dx, const rs_facts_t *f, const char *mission, uint32_t day,
                     uint64_t skip, bool *found)
{
    uint8_t p[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(p, RSN_TAG_SEQ, f->author);
    rsn_iter_t *it = rsn_iter_new(rsn_dx_store(dx), p, pl);
    int rc = it ? 0 : RSN_ERR_NOMEM;
    *found = false;
    for (rsn_iter_first(it); rc == 0 && !*found && rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t vl = 0;
        const uint8_t *v = rsn_iter_value(it, &vl);
        if (vl != 8) {
            continue;
        }
        uint64_t index = rsn_be64_get(v);
        rs_facts_t pf;
        bool has = false;
        if (index == skip || (rc = rs_facts_get(dx, index, &pf, &has)) != 0 || !has ||
            pf.kind != RS_POST || pf.ts / RSN_REPORT_DAY_MS != day ||
            memcmp(pf.group, f->group, RSN_ID_BYTES) != 0 ||
            (*mission && strcmp(pf.mission, mission) != 0)) {
            continue;
        }
        uint8_t jk[RSN_KEY_MAX], *jv = NULL;
        size_t jl = 0;
        int got = rsn_dx_get(dx, jk, rsn_key_judged(jk, index), &jv, &jl);
        if (got != 0 && got != RSN_ERR_NOT_FOUND) {
            rc = got;
        }
        *found = got == 0 && jl >= 1 && (jv[0] & J_COUNTED);
    }
    rsn_iter_destroy(&it);
    return rc;
}

/* The edge of F's author's posts counted in MISSION on F's day as post F
 * (at log INDEX) comes in (SIGN +1) or leaves (-1): +1 its first of the day,
 * -1 its last, else 0. Kept without a count per author and day: the
 * author's days ('w') say whether it had one. A post leaving is the
 * author's last of the day when it was the author's last in MISSION at all
 * (AUTHOR_EDGE -1, its 'a' count's edge), else when a search for another
 * finds none: along the author's feed (feed_find) or the group's day
 * (day_find), whichever is shorter (the feed's head seq, the day's posts
 * counted), the post itself left out also when its new judgment counts it.
 * SIGN 0: it leaves to come back at once (apply's BACK), no edge. A post
 * leaves the counters only on a retraction or a re-judge. */
static int author_day_edge(rsn_dx_t *dx, const rs_facts_t *f, uint64_t index, const char *mission,
                           uint32_t day, int sign, int64_t author_edge, int64_t *edge)
{
    *edge = 0;
    if (sign == 0) {
        return 0; /* it comes back at once: its author keeps the day */
    }
    if (sign > 0) {
        bool had = false;
        int rc = rs_window_has_day(dx, f->group, mission, 'a', f->author, day, &had);
        *edge = rc == 0 && !had ? 1 : 0;
        return rc;
    }
    if (author_edge < 0) {
        *edge = -1; /* no post of the author counts in MISSION any more */
        return 0;
    }
    uint8_t k[RSN_KEY_MAX], *hv = NULL;
    size_t hl = 0;
    uint64_t day_posts[D_FIELDS], feed = UINT64_MAX;
    int rc = rec_get(dx, k, rsn_key_report_day(k, f->group, "", day), day_posts, D_FIELDS);
    if (rc == 0 && rsn_dx_get(dx, k, rsn_key_feed_head(k, f->author), &hv, &hl) == 0 && hl >= 8) {
        feed = rsn_be64_get(hv);
    }
    if (rc) {
        return rc;
    }
    bool other = false;
    if (feed <= day_posts[0]) {
        rc = feed_find(dx, f, mission, day, index, &other);
    } else {
        uint64_t last = 0;
        rc = day_find(dx, f, mission, f->author, index, &last);
        other = last != 0;
    }
    *edge = rc == 0 && !other ? -1 : 0;
    return rc;
}

/* Moves the counters of MISSION ("" too) by SIGN for counted post F (J), at
 * log INDEX; BACK: it leaves (SIGN -1) to come back at once, counted again
 * (a re-judge that changes its site or cross-site mark). */
static int apply_mission(rsn_dx_t *dx, const rs_facts_t *f, uint64_t index, const judgment_t *j,
                         const char *mission, int sign, bool back)
{
    uint8_t k[RSN_KEY_MAX];
    uint32_t day = (uint32_t)(f->ts / RSN_REPORT_DAY_MS);
    int64_t da = 0, ds = 0, dda = 0, dds = 0;
    int rc = count_edge(dx, k, rsn_key_report_author(k, f->group, mission, f->author), sign, &da);
    if (rc == 0) {
        rc = author_day_edge(dx, f, index, mission, day, back ? 0 : sign, da, &dda);
    }
    if (rc == 0 && j->has_site) {
        rc = count_edge(dx, k, rsn_key_report_site(k, f->group, mission, j->site), sign, &ds);
    }
    if (rc == 0 && j->has_site) {
        rc = count_edge(dx, k, rsn_key_report_day_who(k, f->group, mission, day, 's', j->site),
                        sign, &dds);
    }
    if (rc == 0 && dda) {
        rc = rs_window_edge(dx, f->group, mission, 'a', f->author, day, dda);
    }
    if (rc == 0 && dds) {
        rc = rs_window_edge(dx, f->group, mission, 's', j->site, day, dds);
    }
    uint64_t c[D_FIELDS];
    int64_t reply = f->has_parent ? sign : 0, cross = j->cross ? sign : 0;
    size_t kl = rsn_key_report_count(k, f->group, mission);
    if (rc == 0 && (rc = rec_get(dx, k, kl, c, C_FIELDS)) == 0) {
        rec_add(c, sign, da, ds, reply, cross);
        rec_put(dx, k, kl, c, C_FIELDS);
    }
    kl = rsn_key_report_day(k, f->group, mission, day);
    if (rc == 0 && (rc = rec_get(dx, k, kl, c, D_FIELDS)) == 0) {
        rec_add(c, sign, dda, dds, reply, cross);
        if (sign > 0 && f->ts > c[5]) {
            c[5] = f->ts;
        } else if (sign < 0 && c[0] > 0 && f->ts >= c[5]) {
            rc = day_find(dx, f, mission, NULL, 0, &c[5]);
        }
        rec_put(dx, k, kl, c, D_FIELDS);
    }
    return rc;
}

static int apply(rsn_dx_t *dx, const rs_facts_t *f, uint64_t index, const judgment_t *j, int sign,
                 bool back)
{
    if (!j->counted) {
        return 0;
    }
    uint8_t k[RSN_KEY_MAX];
    int rc = apply_mission(dx, f, index, j, f->mission, sign, back);
    if (rc == 0) {
        rc = apply_mission(dx, f, index, j, "", sign, back);
    }
    if (rc == 0 && f->has_parent) {
        rc = rsn_dx_add(dx, k, rsn_key_reply_count(k, f->parent), sign);
    }
    return rc;
}

/* Judges post L (at log INDEX, facts F) again; a changed judgment moves the
 * counters. */
static int rejudge_id(rsn_dx_t *dx, rsn_view_ctx_t *x, uint64_t index, const rs_facts_t *f,
                      const uint8_t id[RSN_ID_BYTES])
{
    uint8_t k[RSN_KEY_MAX], *v = NULL, enc[1 + RSN_SITE_HASH_BYTES];
    size_t len = 0;
    judgment_t old, now;
    int rc = judge(dx, x, id, f, &now);
    size_t kl = rsn_key_judged(k, index);
    int got = rc == 0 ? rsn_dx_get(dx, k, kl, &v, &len) : rc;
    if (got < 0 && got != RSN_ERR_NOT_FOUND) {
        return got;
    }
    judgment_decode(got == 0 ? v : NULL, got == 0 ? len : 0, &old);
    size_t el = judgment_encode(&now, enc);
    if (got == 0 && len == el && memcmp(v, enc, el) == 0) {
        return 0;
    }
    rsn_dx_put(dx, k, kl, enc, el);
    rc = apply(dx, f, index, &old, -1, now.counted);
    return rc ? rc : apply(dx, f, index, &now, +1, false);
}

int rs_rejudge(rsn_dx_t *dx, rsn_view_ctx_t *x, uint64_t index)
{
    rs_facts_t f;
    bool found = false;
    int rc = rs_facts_get(dx, index, &f, &found);
    if (rc || !found || f.kind != RS_POST) {
        return rc;
    }
    uint8_t id[RSN_ID_BYTES];
    rc = rsn_tlog_leaf(rsn_dx_store(dx), index, id);
    return rc ? rc : rejudge_id(dx, x, index, &f, id);
}

/* --- the deriver ---------------------------------------------------------------------- */

/* True when post ID has replies held ('Q' id). */
static bool has_replies(rsn_store_t *store, const uint8_t id[RSN_ID_BYTES])
{
    uint8_t p[RSN_KEY_MAX];
    rsn_iter_t *it = rsn_iter_new(store, p, rsn_key_prefix(p, RSN_TAG_REPLY, id));
    if (!it) {
        return true; /* out of memory: the job finds out */
    }
    rsn_iter_first(it);
    bool any = rsn_iter_valid(it);
    rsn_iter_destroy(&it);
    return any;
}

static int on_entry(rsn_dx_t *dx, const rsn_derive_entry_t *de)
{
    const rsn_loaded_t *l = de->l;
    uint8_t k[RSN_KEY_MAX], v[FACTS_MAX];
    rs_facts_t f;
    bool found = false;
    int rc = rs_facts_get(dx, de->index, &f, &found);
    if (rc == 0 && !found && facts_of(de, &f)) {
        /* first sight of the body: kept for good, never rewritten */
        rsn_dx_put(dx, k, rsn_key_facts(k, de->index), v, facts_encode(&f, v));
        found = true;
    }
    if (rc || l->entry->kind != RAISON__KIND__KIND_POST) {
        return rc ? rc : rs_lookback(dx, de->index, l, 0);
    }
    if (!found) {
        return 0; /* a post seen without its body: judged when it comes */
    }
    /* one context for the step's posts: each group loaded once a step */
    rsn_view_ctx_t **slot = (rsn_view_ctx_t **)rsn_dx_slot(dx), *x = *slot;
    if (!x && (x = rsn_view_ctx_new(rsn_dx_store(dx), rsn_dx_arena(dx))) != NULL) {
        rsn_view_ctx_set_dx(x, dx);
        *slot = x;
    }
    /* judged on its facts (judge: nothing more of the entry is read) */
    rc = !x ? RSN_ERR_NOMEM : f.kind == RS_POST ? rejudge_id(dx, x, de->index, &f, l->id) : 0;
    if (rc == 0 && has_replies(rsn_dx_store(dx), l->id)) {
        /* replies held before this post could not be judged in its group */
        rs_job_t job = {.kind = RS_JOB_REPLIES};
        memcpy(job.group, f.group, RSN_ID_BYTES);
        memcpy(job.who, l->id, RSN_ID_BYTES);
        rc = rs_job_queue(dx, &job);
    }
    return rc;
}

static int on_fork(rsn_dx_t *dx, const uint8_t author[RSN_KEY_BYTES], uint64_t seq)
{
    rs_job_t job = {.kind = RS_JOB_FORK, .from = seq};
    memcpy(job.who, author, RSN_KEY_BYTES);
    return rs_job_queue(dx, &job);
}

const rsn_deriver_t rsn_report_deriver = {
    .name = "report",
    .tags = "pcdastrjuowx", /* not 'f': facts outlive a reindex */
    .entry = on_entry,
    .fork = on_fork,
    .background = rs_background,
};
