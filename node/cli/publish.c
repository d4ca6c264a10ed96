/* publish.c — the publish sequence: how one entry is added to the user's
 * own feed without ever signing two entries for one seq.
 *
 * Every write command ends here (write.c), and `raison pending` too. A
 * signature, once made, can be shown by whoever received it, and two
 * signed entries for one seq freeze the feed on every node (DESIGN.md "The
 * publish sequence"; docs/api.md says the same to other client writers).
 * So, under the key's lock (keystate.c):
 *  1. settle anything pending: an entry signed by an earlier run and not
 *     known to be stored is resent, the very same bytes, until a node stores
 *     it; if the node holds *another* entry at its seq (a stale pending
 *     file, a second copy of the key), the pending file is kept and nothing
 *     is published: the user is told why;
 *  2. draft: the node judges the unsigned draft by the semantic rules and
 *     answers the seq and prev to sign, the charter version a post, an add
 *     or a remove must name, the member's head an add or a remove names and
 *     the add a join answers; a draft that breaks a rule is refused here,
 *     before anything is signed;
 *  3. check the answer against the last seq a node acknowledged (a node
 *     behind it would have us fork);
 *  4. sign, write the signed entry to the pending file, send it. Once
 *     signed, an entry is never replaced: after any failure (a refusal, a
 *     timeout, ERROR_INTERNAL, ERROR_BUSY, a crash) it stays pending and is
 *     resent by step 1 of the next run. A stored entry that breaks a rule
 *     (the rules changed since the draft) is reported, and the command
 *     fails. */
#include <string.h>

#include "cli/cli.h"

/* How many times a timed-out publish is resent before giving up. */
#define PUBLISH_RETRIES 3

typedef struct {
    uint64_t seq;
    uint8_t id[RSN_ID_BYTES];
} head_t;

/* --- asking the node ------------------------------------------------------------ */

/* The node's head of AUTHOR's feed. Refuses a frozen feed. */
static int fetch_head(rsn_cli_t *cli, const uint8_t author[RSN_KEY_BYTES], head_t *head)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__HeadRequest h = RAISON__HEAD_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    h.author.data = (uint8_t *)author;
    h.author.len = RSN_KEY_BYTES;
    req.call_case = RAISON__API_REQUEST__CALL_HEAD;
    req.head = &h;
    int rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_HEAD, &reply);
    if (rc != 0) {
        return rc;
    }
    const Raison__HeadReply *hr = reply->head;
    memset(head, 0, sizeof *head);
    if (!hr) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an empty head");
    } else if (hr->frozen) {
        rc = cli_fail(cli, RSN_ERR_FEED_FROZEN,
                      "your feed is frozen: two different entries were signed for seq %llu "
                      "(a fork), so no node accepts new entries from this identity",
                      (unsigned long long)hr->fork_seq);
    } else if (hr->seq > 0 && hr->id.len != RSN_ID_BYTES) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent a head without an id");
    } else {
        head->seq = hr->seq;
        if (hr->seq > 0) {
            memcpy(head->id, hr->id.data, RSN_ID_BYTES);
        }
    }
    rsn_reply_free(reply);
    return rc;
}

/* Whether the node holds entry ID: 0 and *HELD, or a said error. */
static int node_holds(rsn_cli_t *cli, const uint8_t id[RSN_ID_BYTES], bool *held)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__EntryRequest e = RAISON__ENTRY_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    rsn_client_t *client = NULL;
    e.id.data = (uint8_t *)id;
    e.id.len = RSN_ID_BYTES;
    req.call_case = RAISON__API_REQUEST__CALL_ENTRY;
    req.entry = &e;
    int rc = cli_client(cli, &client);
    if (rc == 0 && (rc = rsn_client_call(client, &req, &reply)) != 0) {
        return cli_fail(cli, rc, "the node at %s did not answer: %s", cli->socket_path,
                        rsn_strerror(rc));
    }
    if (rc == 0) {
        *held = reply->result_case == RAISON__API_REPLY__RESULT_ENTRY;
        if (!*held && !(reply->result_case == RAISON__API_REPLY__RESULT_ERROR && reply->error &&
                        reply->error->code == RAISON__ERROR_CODE__ERROR_NOT_FOUND)) {
            rc = cli_node_error(cli, reply);
        }
    }
    rsn_reply_free(reply);
    return rc;
}

/* Sends SE, resending the same bytes on a timeout. 0 and *REPLY (which may
 * be the node's error), RSN_ERR_TIMEOUT or RSN_ERR_UNAVAILABLE (said). */
static int send_signed(rsn_cli_t *cli, Raison__SignedEntry *se, Raison__ApiReply **reply)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PublishRequest p = RAISON__PUBLISH_REQUEST__INIT;
    rsn_client_t *client = NULL;
    int rc = cli_client(cli, &client);
    if (rc != 0) {
        return rc;
    }
    p.entry = se;
    req.call_case = RAISON__API_REQUEST__CALL_PUBLISH;
    req.publish = &p;
    for (int attempt = 0;; attempt++) {
        rc = rsn_client_call(client, &req, reply);
        if (rc != RSN_ERR_TIMEOUT || attempt == PUBLISH_RETRIES) {
            break;
        }
        cli_say(cli, CLI_MSG_PROGRESS, "no answer from the node within %d ms, resending (%d/%d)",
                cli->timeout_ms, attempt + 1, PUBLISH_RETRIES);
    }
    if (rc == RSN_ERR_TIMEOUT) {
        return cli_fail(cli, rc, "the node at %s did not acknowledge the entry after %d attempts",
                        cli->socket_path, PUBLISH_RETRIES + 1);
    }
    if (rc == RSN_ERR_UNAVAILABLE) {
        return cli_fail(cli, rc, "no node is listening on %s (is raisond running?)",
                        cli->socket_path);
    }
    if (rc != 0) {
        return cli_fail(cli, rc, "talking to the node failed: %s", rsn_strerror(rc));
    }
    return 0;
}

/* What the node answered to the publish of SE (id ID, seq SEQ): stored
 * (pending cleared, the known head moved on; a broken rule said and
 * returned, negated) or not (the pending entry kept, the reason said). */
static int take_reply(rsn_cli_t *cli, const cli_keystate_t *ks, const Raison__ApiReply *reply,
                      const uint8_t id[RSN_ID_BYTES], uint64_t seq, cli_publish_result_t *res)
{
    if (reply->result_case == RAISON__API_REPLY__RESULT_ERROR) {
        int rc = cli_node_error(cli, reply);
        cli_say(cli, CLI_MSG_NOTICE,
                "the signed entry (seq %llu) is kept in %s and will be resent, the same bytes, "
                "by the next publish or `raison pending`",
                (unsigned long long)seq, ks->pending);
        return rc;
    }
    const Raison__PublishReply *p = reply->publish;
    if (reply->result_case != RAISON__API_REPLY__RESULT_PUBLISH || !p ||
        p->id.len != RSN_ID_BYTES || !rsn_equal(p->id.data, id, RSN_ID_BYTES)) {
        return cli_fail(cli, RSN_ERR_BAD_REQUEST,
                        "the node's answer is not the acknowledgement of the entry kept in %s",
                        ks->pending);
    }
    cli_keystate_clear_pending(ks);
    cli_keystate_save_head(cli, ks, seq);
    res->stored = true;
    if (!p->broken_rule) {
        return 0;
    }
    res->broken_code = p->broken_rule->code ? -(int)p->broken_rule->code : RSN_ERR_INTERNAL;
    res->broken_message =
        rsn_arena_strdup(cli->arena, p->broken_rule->message ? p->broken_rule->message
                                                             : rsn_strerror(res->broken_code));
    return cli_fail(cli, res->broken_code,
                    "the node stored entry %s (seq %llu), but it breaks a rule, so no view "
                    "shows it: %s",
                    cli_hex(cli, id, RSN_ID_BYTES), (unsigned long long)seq,
                    res->broken_message ? res->broken_message : "");
}

/* --- the pending entry ------------------------------------------------------------ */

/* Refuses to go on while the entry pending in KS cannot be stored without
 * forking the feed: the node holds, as WHAT says, another entry at its seq
 * SEQ or another chain below it. */
static int refuse_conflict(rsn_cli_t *cli, const cli_keystate_t *ks, uint64_t seq, const char *what)
{
    return cli_fail(cli, RSN_ERR_FORK,
                    "the node holds %s than the entry signed for seq %llu and kept in %s (was "
                    "this key used elsewhere, or this file copied from another machine?): that "
                    "entry was not sent, since two entries for one seq would freeze your feed, "
                    "and nothing new is signed while it is pending; `raison pending` shows it "
                    "(move the file away yourself only if you are sure it must never be "
                    "published)",
                    what, (unsigned long long)seq, ks->pending);
}

int cli_settle_pending(rsn_cli_t *cli, const cli_keystate_t *ks,
                       const uint8_t author[RSN_KEY_BYTES], cli_publish_result_t *res)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    Raison__SignedEntry *se = NULL;
    Raison__Entry *e = NULL;
    Raison__ApiReply *reply = NULL;
    head_t head;
    memset(res, 0, sizeof *res);
    int rc = cli_keystate_read_pending(cli, ks, &bytes, &len);
    if (rc == RSN_ERR_NOT_FOUND) {
        return 0;
    }
    if (rc != 0) {
        return rc;
    }
    if (rsn_signed_entry_decode(cli->arena, bytes, len, &se) != 0 ||
        rsn_entry_decode(cli->arena, se->entry.data, se->entry.len, &e, NULL, 0) != 0 ||
        !rsn_equal(e->author.data, author, RSN_KEY_BYTES)) {
        return cli_fail(cli, RSN_ERR_BAD_ENTRY,
                        "%s does not hold a signed entry of this key: it was left as it is, and "
                        "nothing is published until it is moved away",
                        ks->pending);
    }
    res->pending = true;
    res->seq = e->seq;
    res->kind = e->kind;
    rsn_entry_id(res->id, se->entry.data, se->entry.len);
    if ((rc = fetch_head(cli, author, &head)) != 0) {
        return rc;
    }
    bool held = false;
    if (head.seq >= e->seq) {
        if ((rc = node_holds(cli, res->id, &held)) != 0) {
            return rc;
        }
        if (!held) {
            return refuse_conflict(cli, ks, e->seq, "a different entry for that seq");
        }
        cli_keystate_clear_pending(ks); /* stored after all: nothing to resend */
        cli_keystate_save_head(cli, ks, e->seq);
        res->stored = true;
        return 0;
    }
    if (head.seq + 1 < e->seq) {
        return cli_fail(cli, RSN_ERR_BAD_SEQ,
                        "the node holds your feed up to seq %llu, but an entry of seq %llu waits "
                        "in %s: let the node catch up (or use the node it was sent to) before "
                        "publishing, so that your feed does not fork",
                        (unsigned long long)head.seq, (unsigned long long)e->seq, ks->pending);
    }
    if (e->seq > 1 &&
        (e->prev.len != RSN_ID_BYTES || !rsn_equal(e->prev.data, head.id, RSN_ID_BYTES))) {
        return refuse_conflict(cli, ks, e->seq, "a different entry below that seq");
    }
    if ((rc = send_signed(cli, se, &reply)) != 0) {
        return rc;
    }
    rc = take_reply(cli, ks, reply, res->id, e->seq, res);
    rsn_reply_free(reply);
    if (res->stored) {
        cli_say(cli, CLI_MSG_NOTICE, "resent the pending entry %s (seq %llu): stored",
                cli_hex(cli, res->id, RSN_ID_BYTES), (unsigned long long)e->seq);
    }
    return rc;
}

/* --- drafting and signing ------------------------------------------------------------ */

/* Asks the node to judge the draft of KIND with BODY by AUTHOR: 0 and
 * *REPLY (its draft: seq, prev, charter), or the rule it breaks (said). */
static int draft(rsn_cli_t *cli, const uint8_t author[RSN_KEY_BYTES], Raison__Kind kind,
                 const uint8_t *body, size_t body_len, Raison__ApiReply **reply)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__DraftRequest d = RAISON__DRAFT_REQUEST__INIT;
    d.author.data = (uint8_t *)author;
    d.author.len = RSN_KEY_BYTES;
    d.kind = kind;
    d.body.data = (uint8_t *)body;
    d.body.len = body_len;
    req.call_case = RAISON__API_REQUEST__CALL_DRAFT;
    req.draft = &d;
    int rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_DRAFT, reply);
    if (rc != 0) {
        return rc;
    }
    const Raison__DraftReply *r = (*reply)->draft;
    if (!r || r->seq == 0 || (r->seq > 1 && r->prev.len != RSN_ID_BYTES) ||
        (r->charter.len != 0 && r->charter.len != RSN_ID_BYTES) ||
        (r->answers.len != 0 && r->answers.len != RSN_ID_BYTES)) {
        rsn_reply_free(*reply);
        *reply = NULL;
        return cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node's answer to the draft is malformed");
    }
    return 0;
}

/* Names, in BODY of KIND, what the draft D answered: the charter version
 * (a post's, an add's or a remove's), the member's head (an add's or a
 * remove's member_seq), the add a join answers; what the body already
 * names is kept. The ids are copied into CLI's arena: BODY outlives the
 * reply. */
static void name_from_draft(rsn_cli_t *cli, Raison__Kind kind, ProtobufCMessage *body,
                            const Raison__DraftReply *d)
{
    Raison__DraftReply copy = *d;
    copy.charter.data =
        d->charter.len ? rsn_arena_memdup(cli->arena, d->charter.data, d->charter.len) : NULL;
    copy.charter.len = copy.charter.data ? d->charter.len : 0;
    copy.answers.data =
        d->answers.len ? rsn_arena_memdup(cli->arena, d->answers.data, d->answers.len) : NULL;
    copy.answers.len = copy.answers.data ? d->answers.len : 0;
    d = &copy;
    if (kind == RAISON__KIND__KIND_POST) {
        if (d->charter.len == RSN_ID_BYTES) {
            ((Raison__Post *)body)->charter = d->charter;
        }
        return;
    }
    if (kind != RAISON__KIND__KIND_MEMBERSHIP) {
        return;
    }
    Raison__Membership *m = (Raison__Membership *)body;
    if (m->action == RAISON__ACTION__ACTION_ADD || m->action == RAISON__ACTION__ACTION_REMOVE) {
        if (d->charter.len == RSN_ID_BYTES) {
            m->charter = d->charter;
        }
        if (m->member_seq == 0) {
            m->member_seq = d->member_seq;
        }
    } else if (m->action == RAISON__ACTION__ACTION_JOIN && m->answers.len == 0 &&
               d->answers.len == RSN_ID_BYTES) {
        m->answers = d->answers;
    }
}

/* Entry SEQ of the feed after PREV (PREV_LEN 0 for seq 1), of KIND, for
 * BODY (packed), signed by KP into *SE (arena memory) and packed into
 * *BYTES / *LEN. */
static int sign_entry(rsn_cli_t *cli, const rsn_keypair_t *kp, uint64_t seq,
                      ProtobufCBinaryData prev, Raison__Kind kind, const uint8_t *body,
                      size_t body_len, Raison__SignedEntry *se, uint8_t **bytes, size_t *len)
{
    uint8_t *hash = rsn_arena_alloc(cli->arena, RSN_HASH_BYTES);
    uint8_t *sig = rsn_arena_alloc(cli->arena, RSN_SIG_BYTES);
    uint8_t *entry_bytes = NULL;
    size_t entry_len = 0;
    int rc = 0;
    if (!hash || !sig) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    Raison__Entry e = RAISON__ENTRY__INIT;
    rsn_sha256(hash, body, body_len);
    e.author.data = (uint8_t *)rsn_keypair_public(kp);
    e.author.len = RSN_KEY_BYTES;
    e.seq = seq;
    e.prev = seq > 1 ? prev : (ProtobufCBinaryData){0, NULL};
    e.timestamp = cli_now_ms();
    e.kind = kind;
    e.body_hash.data = hash;
    e.body_hash.len = RSN_HASH_BYTES;
    e.body_size = (uint32_t)body_len;
    if ((rc = rsn_pack(cli->arena, &e.base, &entry_bytes, &entry_len)) != 0) {
        return cli_fail(cli, rc, "out of memory");
    }
    if ((rc = rsn_keypair_sign_entry(kp, entry_bytes, entry_len, sig)) != 0) {
        return cli_fail(cli, rc, "cannot sign the entry: %s", rsn_strerror(rc));
    }
    raison__signed_entry__init(se);
    se->entry.data = entry_bytes;
    se->entry.len = entry_len;
    se->signature.data = sig;
    se->signature.len = RSN_SIG_BYTES;
    se->body.data = (uint8_t *)body;
    se->body.len = body_len;
    if ((rc = rsn_pack(cli->arena, &se->base, bytes, len)) != 0) {
        return cli_fail(cli, rc, "out of memory");
    }
    return 0;
}

/* Packs BODY of KIND into *BYTES / *LEN, within the body limit. */
static int pack_body(rsn_cli_t *cli, Raison__Kind kind, const ProtobufCMessage *body,
                     uint8_t **bytes, size_t *len)
{
    if (rsn_pack(cli->arena, body, bytes, len) != 0) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    if (*len > RSN_BODY_MAX) {
        return cli_fail(cli, RSN_ERR_TOO_LARGE, "the %s is too large: %zu bytes, at most %d",
                        rsn_kind_name(kind), *len, RSN_BODY_MAX);
    }
    return 0;
}

/* Steps 2 to 4 of the sequence, under the lock, once nothing is pending. */
static int draft_sign_send(rsn_cli_t *cli, const cli_keystate_t *ks, const rsn_keypair_t *kp,
                           Raison__Kind kind, ProtobufCMessage *body, uint8_t id[RSN_ID_BYTES],
                           cli_publish_result_t *res)
{
    const uint8_t *author = rsn_keypair_public(kp);
    Raison__ApiReply *answer = NULL, *reply = NULL;
    Raison__SignedEntry se;
    uint8_t *body_bytes = NULL, *signed_bytes = NULL;
    size_t body_len = 0, signed_len = 0;
    int rc = pack_body(cli, kind, body, &body_bytes, &body_len);
    if (rc != 0 || (rc = draft(cli, author, kind, body_bytes, body_len, &answer)) != 0) {
        return rc;
    }
    const Raison__DraftReply *d = answer->draft;
    uint64_t known = cli_keystate_known_head(cli, ks);
    if (d->seq <= known) {
        rc = cli_fail(cli, RSN_ERR_BAD_SEQ,
                      "the node at %s holds your feed up to seq %llu, but seq %llu was already "
                      "published (through another node?): publishing now would fork your feed; "
                      "wait until this node has caught up (if that feed is truly lost, remove %s)",
                      cli->socket_path, (unsigned long long)d->seq - 1, (unsigned long long)known,
                      ks->head);
        goto out;
    }
    name_from_draft(cli, kind, body, d);
    if ((rc = pack_body(cli, kind, body, &body_bytes, &body_len)) != 0 ||
        (rc = sign_entry(cli, kp, d->seq, d->prev, kind, body_bytes, body_len, &se, &signed_bytes,
                         &signed_len)) != 0 ||
        (rc = cli_keystate_write_pending(cli, ks, signed_bytes, signed_len)) != 0) {
        goto out;
    }
    /* signed: from here on this entry is the only one for its seq */
    rsn_entry_id(id, se.entry.data, se.entry.len);
    res->pending = true;
    res->seq = d->seq;
    res->kind = kind;
    memcpy(res->id, id, RSN_ID_BYTES);
    if ((rc = send_signed(cli, &se, &reply)) != 0) {
        cli_say(cli, CLI_MSG_NOTICE,
                "the signed entry (seq %llu) is kept in %s and will be resent, the same bytes, "
                "by the next publish or `raison pending`",
                (unsigned long long)d->seq, ks->pending);
        goto out;
    }
    rc = take_reply(cli, ks, reply, id, d->seq, res);
out:
    rsn_reply_free(reply);
    rsn_reply_free(answer);
    return rc;
}

int cli_publish(rsn_cli_t *cli, Raison__Kind kind, ProtobufCMessage *body, uint8_t id[RSN_ID_BYTES])
{
    const rsn_keypair_t *kp = NULL;
    rsn_client_t *client = NULL;
    cli_keystate_t ks;
    cli_publish_result_t settled, res;
    memset(&res, 0, sizeof res);
    int rc = 0;
    if ((rc = cli_keypair(cli, &kp)) != 0 || (rc = cli_client(cli, &client)) != 0 ||
        (rc = cli_keystate_open(cli, rsn_keypair_public(kp), &ks)) != 0 ||
        (rc = cli_keystate_lock(cli, &ks)) != 0) {
        return rc;
    }
    rc = cli_settle_pending(cli, &ks, rsn_keypair_public(kp), &settled);
    if (rc == 0 || (settled.stored && settled.broken_code)) {
        /* an earlier entry stored with a broken rule is said, and does not
         * stop this one */
        rc = draft_sign_send(cli, &ks, kp, kind, body, id, &res);
    }
    cli_keystate_unlock(&ks);
    return rc;
}
