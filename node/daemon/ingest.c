/* ingest.c — the write path: checks every entry and stages it in a batch.
 *
 * The order of the checks is the cost model of DESIGN.md: cheap structural
 * checks first, then the duplicate lookup by id (a duplicate never costs a
 * signature verification), then the signature, the body hash, the feed rule,
 * and for a client's own publish the semantic rules; each is one function
 * below, called in that order by rsn_ingest_stage (a semantic rule never
 * refuses: it is reported with the stored entry), and each entry's body is
 * hashed once and decoded once. An accepted entry becomes one set of puts in
 * the shared batch: the entry, its body, its feed index and head, its
 * transparency-log leaf (store/tlog.h), the counters, and the indexes of its
 * kind (store/keys.h): ingest_batch.c stages them and commits the batch. */
#include "daemon/ingest_batch.h"

#include <stdlib.h>
#include <string.h>

#include "common/why.h"
#include "crypto/crypto.h"
#include "daemon/rules.h"
#include "daemon/views.h"
#include "proto/codec.h"
#include "store/keys.h"

/* --- signatures verified ahead ---------------------------------------------- */

static size_t verified_slot(const uint8_t id[RSN_ID_BYTES])
{
    return ((size_t)id[0] | (size_t)id[1] << 8) & (VERIFIED_SLOTS - 1);
}

static bool set_has(const verified_set_t *set, const uint8_t id[RSN_ID_BYTES],
                    const uint8_t signature[RSN_SIG_BYTES])
{
    for (size_t i = verified_slot(id), probes = 0; probes < VERIFIED_SLOTS;
         i = (i + 1) & (VERIFIED_SLOTS - 1), probes++) {
        const verified_t *v = &set->slots[i];
        if (!v->used) {
            return false;
        }
        if (memcmp(v->id, id, RSN_ID_BYTES) == 0 &&
            memcmp(v->signature, signature, RSN_SIG_BYTES) == 0) {
            return true;
        }
    }
    return false;
}

/* True when (ID, SIGNATURE) was verified ahead, for peers or for clients. */
static bool verified_has(const rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES],
                         const uint8_t signature[RSN_SIG_BYTES])
{
    return set_has(&self->verified[VERIFIED_PEERS], id, signature) ||
           set_has(&self->verified[VERIFIED_AHEAD], id, signature);
}

static void set_clear(verified_set_t *set)
{
    for (size_t i = 0; i < set->n; i++) {
        set->slots[set->used[i]].used = false;
    }
    set->n = 0;
}

static void set_add(verified_set_t *set, const uint8_t id[RSN_ID_BYTES],
                    const uint8_t signature[RSN_SIG_BYTES])
{
    if (set->n >= VERIFIED_SLOTS / 2) {
        return;
    }
    size_t i = verified_slot(id);
    while (set->slots[i].used) {
        i = (i + 1) & (VERIFIED_SLOTS - 1);
    }
    verified_t *v = &set->slots[i];
    v->used = true;
    memcpy(v->id, id, RSN_ID_BYTES);
    memcpy(v->signature, signature, RSN_SIG_BYTES);
    set->used[set->n++] = (uint16_t)i;
}

/* --- fork evidence from peers ---------------------------------------------- */

int rsn_ingest_evidence(rsn_ingest_t *self, const uint8_t *bytes, size_t len, char *why,
                        size_t why_size)
{
    if (len > RSN_FORK_EVIDENCE_MAX) {
        return rsn_why(why, why_size, RSN_ERR_TOO_LARGE, "fork evidence is over %d bytes",
                       RSN_FORK_EVIDENCE_MAX);
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return RSN_ERR_NOMEM;
    }
    Raison__ForkEvidence *ev = NULL;
    rsn_fork_ref_t ref;
    int rc = rsn_fork_evidence_decode(arena, bytes, len, &ev);
    if (rc < 0) {
        rc = rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "fork evidence does not decode");
        goto out;
    }
    if (rsn_forks_evidence_held(self->forks, arena, ev)) {
        goto out; /* costs a lookup, never a verification */
    }
    rc = rsn_forks_check(arena, ev, &ref, why, why_size);
    if (rc < 0) {
        goto out;
    }
    if (self->n_evidence + self->n_staged >= RSN_INGEST_BATCH_MAX) {
        rc = RSN_ERR_BUSY;
        goto out;
    }
    rc = rsn_ingest_stage_fork(self, arena, ref.author, ref.seq, ev->a, ev->b);
out:
    rsn_arena_destroy(&arena);
    return rc;
}

/* --- bodies ---------------------------------------------------------------------- */

/* True when BODY matches the header E (size and hash). */
static bool body_matches(const Raison__Entry *e, const uint8_t *body, size_t body_len)
{
    uint8_t h[RSN_HASH_BYTES];
    rsn_sha256(h, body, body_len);
    return body_len == e->body_size && rsn_equal(h, e->body_hash.data, RSN_HASH_BYTES);
}

/* Entry C comes without its body: keeps in C the reason the sender named
 * when it is one this node holds (then the body is erased, not missing).
 * A claim of "erased" with no reason, or naming a held entry that is no
 * reason, is a bad claim; a reason not held yet leaves the body missing. */
static void judge_absence(rsn_ingest_t *self, candidate_t *c, rsn_ingest_result_t *res)
{
    const uint8_t *by = c->erased_by;
    c->erased_by = NULL;
    if (c->absence != RSN_BODY_ERASED) {
        return;
    }
    uint8_t k[RSN_KEY_MAX];
    if (!by) {
        res->bad_claim = true;
    } else if (rsn_store_has(self->store, k, rsn_key_leaf_index(k, by)) == 0) {
        if (rsn_bodies_reason_valid(self->store, c->arena, c->e, c->id, by, rsn_bodies_now_ms())) {
            c->erased_by = by;
        } else {
            res->bad_claim = true;
        }
    }
}

/* A duplicate: when it brings the body of an entry held as missing, that
 * body is staged as if the entry had arrived whole (rsn_ingest_stage_body);
 * when it names a valid reason for a missing body, the body is erased. The
 * usual duplicate costs one lookup (a Bloom filter's miss). */
static int settle_duplicate(rsn_ingest_t *self, candidate_t *c, rsn_ingest_result_t *res, char *why,
                            size_t why_size)
{
    if (!c->has_body) {
        judge_absence(self, c, res);
    }
    if ((!c->has_body && !c->erased_by) || rsn_ingest_body_state(self, c->id) != RSN_BODY_MISSING) {
        return 0;
    }
    if (rsn_ingest_pending(self) >= RSN_INGEST_BATCH_MAX) {
        return rsn_why(why, why_size, RSN_ERR_BUSY, "too many entries staged; retry");
    }
    int rc = rsn_ingest_index_of(self, c->id, &c->index);
    if (rc < 0) {
        return rsn_why(why, why_size, rc == RSN_ERR_NOT_FOUND ? RSN_ERR_IO : rc,
                       "the log index of a held entry is unreadable");
    }
    if (!c->has_body) {
        rsn_ingest_stage_erased(self, c, c->erased_by, true);
    } else if (!body_matches(c->e, c->body, c->body_len)) {
        return rsn_why(why, why_size, RSN_ERR_BODY_MISMATCH,
                       "body (%zu bytes) does not match the entry's body_hash and body_size (%u)",
                       c->body_len, c->e->body_size);
    } else {
        rsn_ingest_stage_body(self, c, true);
    }
    self->n_evidence++; /* counts as pending work, so the batch is committed */
    res->restored = true;
    return 0;
}

/* --- the checks, in order ------------------------------------------------------ */

/* The batch has room, and the entry and body are within their limits. */
static int check_limits(const rsn_ingest_t *self, const rsn_ingest_input_t *in, char *why,
                        size_t why_size)
{
    if (self->n_staged >= RSN_INGEST_BATCH_MAX) {
        return rsn_why(why, why_size, RSN_ERR_BUSY, "too many entries staged; retry");
    }
    if (in->entry_len > RSN_ENTRY_MAX) {
        return rsn_why(why, why_size, RSN_ERR_TOO_LARGE, "entry is %zu bytes; the limit is %d",
                       in->entry_len, RSN_ENTRY_MAX);
    }
    if (in->has_body && in->body_len > RSN_BODY_MAX) {
        return rsn_why(why, why_size, RSN_ERR_TOO_LARGE, "body is %zu bytes; the limit is %d",
                       in->body_len, RSN_BODY_MAX);
    }
    return 0;
}

/* The header decodes and is well formed (proto/codec.h); its id. */
static int check_structure(candidate_t *c, char *why, size_t why_size)
{
    int rc = rsn_entry_decode(c->arena, c->entry, c->entry_len, &c->e, why, why_size);
    if (rc < 0) {
        return rc;
    }
    if (!c->has_body && c->e->body_size == 0) {
        /* an empty body cannot be told from an absent one on the wire */
        c->has_body = true;
        c->body = (const uint8_t *)"";
        c->body_len = 0;
    }
    rsn_entry_id(c->id, c->entry, c->entry_len);
    return 0;
}

/* The signature verifies under the author (unless verified ahead), and the
 * body, when there is one, matches the header; a publish carries its body. */
static int check_signature_and_body(rsn_ingest_t *self, const candidate_t *c, size_t signature_len,
                                    char *why, size_t why_size)
{
    if (signature_len != RSN_SIG_BYTES) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "signature is %zu bytes, not 64",
                       signature_len);
    }
    if (verified_has(self, c->id, c->signature)) {
        self->stats.verified_ahead++;
    } else if (rsn_entry_verify(c->e->author.data, c->entry, c->entry_len, c->signature) != 0) {
        return rsn_why(why, why_size, RSN_ERR_BAD_SIGNATURE,
                       "signature does not verify under the entry's author");
    }
    if (c->publish && !c->has_body) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "a publish must carry the entry's body");
    }
    if (c->has_body && !body_matches(c->e, c->body, c->body_len)) {
        return rsn_why(why, why_size, RSN_ERR_BODY_MISMATCH,
                       "body (%zu bytes) does not match the entry's body_hash and body_size (%u)",
                       c->body_len, c->e->body_size);
    }
    return 0;
}

/* The feed rule: seq = head + 1 and prev = the head's id, in a feed that is
 * not frozen. A second entry for a held seq is a fork: its evidence is
 * staged and RSN_ERR_FORK returned. */
static int check_feed_rule(rsn_ingest_t *self, candidate_t *c, char *why, size_t why_size)
{
    const Raison__Entry *e = c->e;
    c->frozen = rsn_forks_frozen_from(self->forks, e->author.data);
    int rc = rsn_ingest_head_of(self, e->author.data, &c->head_seq, c->head_id);
    if (rc < 0) {
        return rc;
    }
    if (e->seq <= c->head_seq) {
        Raison__SignedEntry held = RAISON__SIGNED_ENTRY__INIT;
        rc = rsn_ingest_held_at(self, c->arena, e->author.data, e->seq, &held);
        if (rc < 0) {
            return rc;
        }
        Raison__SignedEntry incoming = RAISON__SIGNED_ENTRY__INIT;
        incoming.entry.data = (uint8_t *)c->entry;
        incoming.entry.len = c->entry_len;
        incoming.signature.data = (uint8_t *)c->signature;
        incoming.signature.len = RSN_SIG_BYTES;
        rc = rsn_ingest_stage_fork(self, c->arena, e->author.data, e->seq, &held, &incoming);
        if (rc < 0) {
            return rc;
        }
        return rsn_why(why, why_size, RSN_ERR_FORK,
                       "a different entry is held for this author at seq %llu: both are kept as "
                       "fork evidence and the feed is frozen",
                       (unsigned long long)e->seq);
    }
    if (c->frozen && e->seq >= c->frozen) {
        return rsn_why(why, why_size, RSN_ERR_FEED_FROZEN,
                       "this author's feed forked at seq %llu: no new entry is accepted",
                       (unsigned long long)c->frozen);
    }
    if (e->seq != c->head_seq + 1) {
        return rsn_why(why, why_size, RSN_ERR_BAD_SEQ, "seq %llu is not the feed head + 1 (%llu)",
                       (unsigned long long)e->seq, (unsigned long long)c->head_seq + 1);
    }
    if (e->seq > 1 && memcmp(e->prev.data, c->head_id, RSN_ID_BYTES) != 0) {
        return rsn_why(why, why_size, RSN_ERR_BAD_PREV,
                       "prev is not the id of the feed head (seq %llu)",
                       (unsigned long long)c->head_seq);
    }
    return 0;
}

/* True for the rule failures that a staged entry could cure. */
static bool may_depend_on_staged(int rc)
{
    return rc == RSN_ERR_UNKNOWN_GROUP || rc == RSN_ERR_UNKNOWN_MISSION ||
           rc == RSN_ERR_NOT_OWNER || rc == RSN_ERR_NOT_MEMBER || rc == RSN_ERR_UNKNOWN_ENTRY ||
           rc == RSN_ERR_INVALID_CHARTER || rc == RSN_ERR_INVALID_BODY;
}

/* Decodes the body (once, for the rules and the indexes). A client's own
 * publish is judged by the semantic rules (daemon/rules.h) too, but never
 * refused for them: an entry that keeps the feed rule is stored whatever its
 * origin (DESIGN.md, the publish sequence), the views hide what breaks a
 * rule, and *BROKEN gets the rule's code (WHY its sentence) so that the
 * acknowledgement can say which. A body that does not decode is kept, and
 * indexed nowhere. Returns 0, or an error of the commit it may need. */
static int check_semantics(rsn_ingest_t *self, candidate_t *c, int *broken, char *why,
                           size_t why_size)
{
    *broken = 0;
    if (c->has_body &&
        rsn_body_decode(c->arena, c->e->kind, c->body, c->body_len, &c->decoded) < 0) {
        c->decoded = NULL;
        if (c->publish) {
            *broken = rsn_why(why, why_size, RSN_ERR_INVALID_BODY, "body is not a protobuf %s",
                              rsn_kind_name(c->e->kind));
        }
        return 0;
    }
    if (!c->publish) {
        return 0;
    }
    int rc = rsn_rules_check(self->store, c->arena, c->e, c->decoded, c->id, why, why_size);
    if (rc < 0 && may_depend_on_staged(rc) && self->n_staged > 0) {
        /* it may name an entry staged but not yet stored: written (and
         * derived) without a sync, which the group commit's sync covers */
        int crc = rsn_ingest_commit_unsynced(self);
        if (crc < 0) {
            return crc;
        }
        rc = rsn_rules_check(self->store, c->arena, c->e, c->decoded, c->id, why, why_size);
    }
    if (rc == RSN_ERR_IO || rc == RSN_ERR_NOMEM) {
        return rc; /* not a rule: the node could not read what the rules need */
    }
    *broken = rc < 0 ? rc : 0;
    return 0;
}

int rsn_ingest_head(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t *seq,
                    uint8_t id[RSN_ID_BYTES])
{
    return rsn_ingest_head_of(self, author, seq, id);
}

/* rsn_ingest_stage, without the counting. */
static int stage_entry(rsn_ingest_t *self, const rsn_ingest_input_t *in, rsn_ingest_result_t *res,
                       char *why, size_t why_size)
{
    memset(res, 0, sizeof *res);
    if (why && why_size) {
        why[0] = '\0';
    }
    int rc = check_limits(self, in, why, why_size);
    if (rc < 0) {
        return rc;
    }
    candidate_t c = {
        .arena = rsn_arena_new(),
        .entry = in->entry,
        .entry_len = in->entry_len,
        .signature = in->signature,
        .body = in->body,
        .body_len = in->body_len,
        .has_body = in->has_body,
        .publish = in->origin == RSN_INGEST_PUBLISH,
        .absence = in->absence,
        .erased_by = in->erased_by,
        .from = in->from,
    };
    if (!c.arena) {
        return RSN_ERR_NOMEM;
    }
    rc = check_structure(&c, why, why_size);
    if (rc < 0) {
        goto out;
    }
    memcpy(res->id, c.id, RSN_ID_BYTES);
    res->seq = c.e->seq;
    res->bare = !c.has_body;
    /* a duplicate costs a lookup, never a signature check */
    if (rsn_ingest_is_held(self, c.id)) {
        res->duplicate = true;
        rc = settle_duplicate(self, &c, res, why, why_size);
        goto out;
    }
    rc = check_signature_and_body(self, &c, in->signature_len, why, why_size);
    if (rc == 0) {
        rc = check_feed_rule(self, &c, why, why_size);
    }
    if (rc == 0) {
        rc = check_semantics(self, &c, &res->broken_rule, why, why_size);
    }
    if (rc == 0 && !c.has_body) {
        judge_absence(self, &c, res);
        res->missing = !c.erased_by;
    }
    if (rc == 0) {
        rc = rsn_ingest_stage_checked(self, &c);
    }
out:
    rsn_arena_destroy(&c.arena);
    return rc;
}

int rsn_ingest_stage(rsn_ingest_t *self, const rsn_ingest_input_t *in, rsn_ingest_result_t *res,
                     char *why, size_t why_size)
{
    int rc = stage_entry(self, in, res, why, why_size);
    rsn_ingest_stats_t *st = &self->stats;
    int origin = in->origin == RSN_INGEST_PUBLISH ? 1 : 0;
    if (rc == RSN_ERR_BUSY) {
        st->busy++; /* not a judgment: asked again once committed */
    } else if (rc < 0) {
        st->refused[origin]++;
    } else if (res->duplicate) {
        st->duplicates[origin]++;
    } else {
        st->accepted[origin]++;
    }
    return rc;
}

/* A batch's signatures being checked (rsn_ingest_preverify_start). */
struct rsn_preverify {
    rsn_arena_t *arena; /* the decoded entries the items point into */
    rsn_verify_item_t *items;
    int *results;
    uint8_t (*ids)[RSN_ID_BYTES];
    size_t count;
    rsn_verify_job_t *job;
};

static void preverify_free(rsn_preverify_t **job_p)
{
    rsn_preverify_t *job = *job_p;
    if (!job) {
        return;
    }
    free(job->items);
    free(job->results);
    free(job->ids);
    rsn_arena_destroy(&job->arena);
    free(job);
    *job_p = NULL;
}

/* The items of IN worth checking: those that decode and are not held. */
static rsn_preverify_t *preverify_prepare(rsn_ingest_t *self, const rsn_ingest_input_t *in,
                                          size_t n)
{
    if (n > RSN_INGEST_BATCH_MAX) {
        n = RSN_INGEST_BATCH_MAX;
    }
    rsn_preverify_t *job = calloc(1, sizeof *job);
    if (!job) {
        return NULL;
    }
    job->arena = rsn_arena_new();
    job->items = calloc(n ? n : 1, sizeof *job->items);
    job->results = calloc(n ? n : 1, sizeof *job->results);
    job->ids = calloc(n ? n : 1, RSN_ID_BYTES);
    if (!job->arena || !job->items || !job->results || !job->ids) {
        preverify_free(&job);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        Raison__Entry *e = NULL;
        if (in[i].signature_len != RSN_SIG_BYTES ||
            rsn_entry_decode(job->arena, in[i].entry, in[i].entry_len, &e, NULL, 0) < 0) {
            continue;
        }
        rsn_entry_id(job->ids[job->count], in[i].entry, in[i].entry_len);
        if (rsn_ingest_is_held(self, job->ids[job->count])) {
            continue; /* a duplicate is never verified */
        }
        /* copied: the job may outlive what IN points into (node.c) */
        rsn_verify_item_t *it = &job->items[job->count];
        it->author = e->author.data;
        it->entry = rsn_arena_memdup(job->arena, in[i].entry, in[i].entry_len);
        it->len = in[i].entry_len;
        it->signature = rsn_arena_memdup(job->arena, in[i].signature, RSN_SIG_BYTES);
        if (it->entry && it->signature) {
            job->count++;
        }
    }
    return job;
}

static void preverify_keep(verified_set_t *set, const rsn_preverify_t *job)
{
    set_clear(set);
    for (size_t i = 0; i < job->count; i++) {
        if (job->results[i] == 0) {
            set_add(set, job->ids[i], job->items[i].signature);
        }
    }
}

void rsn_ingest_preverify(rsn_ingest_t *self, const rsn_ingest_input_t *in, size_t n)
{
    rsn_preverify_t *job = preverify_prepare(self, in, n);
    if (!job) {
        set_clear(&self->verified[VERIFIED_PEERS]);
        return;
    }
    rsn_entry_verify_many(job->items, job->count, job->results, 0);
    preverify_keep(&self->verified[VERIFIED_PEERS], job);
    preverify_free(&job);
}

rsn_preverify_t *rsn_ingest_preverify_start(rsn_ingest_t *self, const rsn_ingest_input_t *in,
                                            size_t n)
{
    rsn_preverify_t *job = preverify_prepare(self, in, n);
    if (job) {
        rsn_entry_verify_start(job->items, job->count, job->results, 0, &job->job);
    }
    return job;
}

void rsn_ingest_preverify_finish(rsn_ingest_t *self, rsn_preverify_t **job_p, rsn_ahead_for_t side)
{
    rsn_preverify_t *job = *job_p;
    verified_set_t *set =
        &self->verified[side == RSN_AHEAD_PEERS ? VERIFIED_PEERS : VERIFIED_AHEAD];
    if (!job) {
        set_clear(set);
        return;
    }
    rsn_entry_verify_join(&job->job, job->items, job->count, job->results);
    preverify_keep(set, job);
    preverify_free(job_p);
}
