/* draft.c — judging an unsigned draft before the client signs it (draft.h).
 *
 * The draft becomes the entry the client would sign: the author's next seq
 * and prev, the node's clock as its timestamp, the body's hash and size; the
 * semantic rules then judge it exactly as rsn_ingest_stage judges a
 * publish (daemon/rules.c), so the draft's answer and the publish's
 * broken_rule never disagree while nothing changes in between. A post, an
 * add and a remove are told the group's current charter version, which they
 * name (Post.charter, Membership.charter); an add and a remove the member's
 * head as this node holds it (Membership.member_seq); a join in a
 * members-only group the add of its author that still stands
 * (Membership.answers): the body is judged with them filled in, as the
 * client will sign it. */
#include "daemon/draft.h"

#include <string.h>
#include <time.h>

#include "common/why.h"
#include "crypto/crypto.h"
#include "daemon/group.h"
#include "daemon/rules.h"

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The group a body of KIND acts in, when it must name a charter version:
 * a post's, an add's or a remove's; NULL otherwise. */
static const ProtobufCBinaryData *charter_group(Raison__Kind kind, const void *body)
{
    if (kind == RAISON__KIND__KIND_POST) {
        return &((const Raison__Post *)body)->group;
    }
    if (kind == RAISON__KIND__KIND_MEMBERSHIP) {
        const Raison__Membership *m = body;
        if (m->action == RAISON__ACTION__ACTION_ADD || m->action == RAISON__ACTION__ACTION_REMOVE) {
            return &m->group;
        }
    }
    return NULL;
}

/* The current charter version of the group BODY acts in, into R->charter
 * (left empty when the group is unknown: the rules then say so). */
static int name_charter(rsn_store_t *store, rsn_arena_t *arena, Raison__Kind kind, const void *body,
                        Raison__DraftReply *r)
{
    const ProtobufCBinaryData *group = charter_group(kind, body);
    if (!group || group->len != RSN_ID_BYTES) {
        return 0;
    }
    rsn_group_t *g = NULL;
    int rc = rsn_group_try_load(store, arena, group->data, &g);
    if (rc < 0 || !g) {
        return rc;
    }
    uint8_t *id = rsn_arena_alloc(arena, RSN_ID_BYTES);
    if (!id) {
        return RSN_ERR_NOMEM;
    }
    (void)rsn_group_charter(g, id);
    r->charter.data = id;
    r->charter.len = RSN_ID_BYTES;
    return 0;
}

/* What a membership draft M at seq SEQ of AUTHOR must name besides its
 * charter, into R and into M itself, so that the rules judge the body the
 * client will sign: an add or a remove, the member's head as this node
 * holds it (Membership.member_seq); a join that names no add, the add of
 * AUTHOR that still stands (Membership.answers), when there is one. */
static int name_membership(rsn_ingest_t *ingest, rsn_store_t *store, rsn_arena_t *arena,
                           const uint8_t author[RSN_KEY_BYTES], uint64_t seq, Raison__Membership *m,
                           Raison__DraftReply *r)
{
    if ((m->action == RAISON__ACTION__ACTION_ADD || m->action == RAISON__ACTION__ACTION_REMOVE) &&
        m->member.len == RSN_KEY_BYTES) {
        uint8_t ignored[RSN_ID_BYTES];
        int rc = rsn_ingest_head(ingest, m->member.data, &r->member_seq, ignored);
        if (rc < 0) {
            return rc;
        }
        if (m->member_seq == 0) {
            m->member_seq = r->member_seq;
        }
        return 0;
    }
    if (m->action != RAISON__ACTION__ACTION_JOIN || m->answers.len != 0 ||
        m->group.len != RSN_ID_BYTES) {
        return 0;
    }
    rsn_group_t *g = NULL;
    int rc = rsn_group_try_load(store, arena, m->group.data, &g);
    if (rc < 0 || !g) {
        return rc;
    }
    const uint8_t *add = rsn_group_standing_add(g, author, seq);
    if (add) {
        r->answers.data = (uint8_t *)add;
        r->answers.len = RSN_ID_BYTES;
        m->answers = r->answers;
    }
    return 0;
}

int rsn_draft_judge(rsn_ingest_t *ingest, rsn_store_t *store, rsn_arena_t *arena,
                    const Raison__DraftRequest *req, Raison__DraftReply **out, char *why,
                    size_t why_size)
{
    if (req->author.len != RSN_KEY_BYTES) {
        return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST, "draft needs a 32-byte author");
    }
    if (req->kind <= RAISON__KIND__KIND_UNSPECIFIED || req->kind > RAISON__KIND__KIND_RETRACTION) {
        return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST,
                       "draft needs a kind: charter, membership, post, profile or retraction");
    }
    if (req->body.len > RSN_BODY_MAX) {
        return rsn_why(why, why_size, RSN_ERR_TOO_LARGE, "body is %zu bytes; the limit is %d",
                       req->body.len, RSN_BODY_MAX);
    }
    const uint8_t *author = req->author.data;
    uint64_t frozen = rsn_ingest_frozen_at(ingest, author);
    if (frozen) {
        return rsn_why(why, why_size, RSN_ERR_FEED_FROZEN,
                       "this author's feed forked at seq %llu: no new entry is accepted",
                       (unsigned long long)frozen);
    }
    Raison__DraftReply *r = rsn_arena_alloc(arena, sizeof *r);
    uint8_t *prev = rsn_arena_alloc(arena, RSN_ID_BYTES);
    uint8_t *hash = rsn_arena_alloc(arena, RSN_HASH_BYTES);
    if (!r || !prev || !hash) {
        return RSN_ERR_NOMEM;
    }
    raison__draft_reply__init(r);
    uint64_t head = 0;
    int rc = rsn_ingest_head(ingest, author, &head, prev);
    if (rc < 0) {
        return rc;
    }
    void *body = NULL;
    if (rsn_body_decode(arena, req->kind, req->body.data, req->body.len, &body) < 0) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_BODY, "body is not a protobuf %s",
                       rsn_kind_name(req->kind));
    }
    if ((rc = name_charter(store, arena, req->kind, body, r)) < 0 ||
        (req->kind == RAISON__KIND__KIND_MEMBERSHIP &&
         (rc = name_membership(ingest, store, arena, author, head + 1, body, r)) < 0)) {
        return rc;
    }
    /* the entry the client would sign, as the rules see it */
    Raison__Entry e = RAISON__ENTRY__INIT;
    rsn_sha256(hash, req->body.data, req->body.len);
    e.author = req->author;
    e.seq = head + 1;
    e.prev.data = prev;
    e.prev.len = head > 0 ? RSN_ID_BYTES : 0;
    e.timestamp = wall_ms();
    e.kind = req->kind;
    e.body_hash.data = hash;
    e.body_hash.len = RSN_HASH_BYTES;
    e.body_size = (uint32_t)req->body.len;
    uint8_t no_id[RSN_ID_BYTES] = {0}; /* unsigned: it has no id yet */
    if ((rc = rsn_rules_check(store, arena, &e, body, no_id, why, why_size)) < 0) {
        return rc;
    }
    r->seq = e.seq;
    r->prev = e.prev;
    r->timestamp = e.timestamp;
    *out = r;
    return 0;
}
