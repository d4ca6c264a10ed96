/* json_node.c — the JSON documents of the node's other replies: peers, a
 * subscription's event, a draft's and a publish's answers, a profile and a
 * feed's head; shared by `raison --json` (peers.c, watch.c) and `raison web`
 * (node/web/relay.c, events.c), so both print one shape for one call.
 * Conventions as in json.c; a builder returns a new reference, or NULL when
 * out of memory. */
#include "cli/cli.h"

/* Witnessing, beside the fields above: a consistency proof the peer owes
 * (docs/audit.md). */
static json_t *json_witness_owed(json_t *o, const Raison__PeerInfo *p)
{
    if (o && (json_object_set_new(o, "unanswered_consistency",
                                  cli_json_str(p->unanswered_consistency)) != 0 ||
              json_object_set_new(o, "pending_checkpoint_size",
                                  json_integer((json_int_t)p->pending_checkpoint_size)) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *json_peer(const Raison__PeerInfo *p)
{
    return json_pack(
        "{s:o,s:o,s:o,s:b,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:I}", "key",
        cli_json_hex(p->key.data, p->key.len), "endpoint", cli_json_str(p->endpoint), "site",
        cli_json_str(p->site), "connected", (int)p->connected, "since", (json_int_t)p->since,
        "entries_sent", (json_int_t)p->entries_sent, "entries_received",
        (json_int_t)p->entries_received, "missing", (json_int_t)p->missing, "dropped",
        (json_int_t)p->dropped, "last_error", cli_json_str(p->last_error), "bytes_sent",
        (json_int_t)p->bytes_sent, "bytes_received", (json_int_t)p->bytes_received, "banned_until",
        (json_int_t)p->banned_until, "checkpoint_size", (json_int_t)p->checkpoint_size,
        "checkpoint_note", cli_json_str(p->checkpoint_note), "inconsistency",
        cli_json_str(p->inconsistency), "bare_received", (json_int_t)p->bare_received,
        "bodies_fetched", (json_int_t)p->bodies_fetched, "lacking", (json_int_t)p->lacking);
}

json_t *cli_json_peers(const Raison__PeersReply *pr)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < pr->n_peers; i++) {
        json_t *peer = json_witness_owed(json_peer(pr->peers[i]), pr->peers[i]);
        if (json_array_append_new(list, peer) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list ? json_pack("{s:o,s:o}", "listen", cli_json_str(pr->listen), "peers", list) : NULL;
}

json_t *cli_json_event(rsn_cli_t *cli, const Raison__Event *ev)
{
    const Raison__EntryInfo *e = ev->entry;
    return json_pack("{s:o,s:o}", "entry", e ? cli_json_entry(cli, e) : json_null(), "post",
                     ev->post ? cli_json_post(ev->post) : json_null());
}

json_t *cli_json_draft(const Raison__DraftReply *d)
{
    return json_pack("{s:I,s:o,s:o,s:I,s:I,s:o}", "seq", (json_int_t)d->seq, "prev",
                     cli_json_hex(d->prev.data, d->prev.len), "charter",
                     cli_json_hex(d->charter.data, d->charter.len), "timestamp",
                     (json_int_t)d->timestamp, "member_seq", (json_int_t)d->member_seq, "answers",
                     cli_json_hex(d->answers.data, d->answers.len));
}

json_t *cli_json_error(int code, const char *name, const char *message)
{
    return json_pack("{s:I,s:s,s:o}", "code", (json_int_t)code, "name", name, "message",
                     cli_json_str(message));
}

json_t *cli_json_publish(const Raison__PublishReply *p)
{
    const Raison__Error *b = p->broken_rule;
    json_t *broken = json_null();
    if (b && b->code != RAISON__ERROR_CODE__ERROR_NONE) {
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value(&raison__error_code__descriptor, b->code);
        broken = cli_json_error((int)b->code, v ? v->name : "ERROR_UNKNOWN", b->message);
    }
    return json_pack("{s:o,s:I,s:b,s:o}", "id", cli_json_hex(p->id.data, p->id.len), "seq",
                     (json_int_t)p->seq, "duplicate", (int)p->duplicate, "broken_rule", broken);
}

json_t *cli_json_profile(const Raison__ProfileReply *p)
{
    json_t *body = p->profile ? cli_json_body(RAISON__KIND__KIND_PROFILE, p->profile) : json_null();
    return json_pack("{s:o,s:o,s:o}", "author", cli_json_hex(p->author.data, p->author.len),
                     "profile", body, "id", cli_json_hex(p->id.data, p->id.len));
}

json_t *cli_json_head(const Raison__HeadReply *h)
{
    return json_pack("{s:o,s:I,s:o,s:b,s:I}", "author", cli_json_hex(h->author.data, h->author.len),
                     "seq", (json_int_t)h->seq, "id", cli_json_hex(h->id.data, h->id.len), "frozen",
                     (int)h->frozen, "fork_seq", (json_int_t)h->fork_seq);
}
