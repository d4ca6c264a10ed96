/* gossip_test.c — the gossip engine without a network: frames from a peer
 * are handed to the engine directly (gossip_handle_frame, from the private
 * daemon/gossip_internal.h), and what it made of them is read back through
 * rsn_gossip_peers and the store.
 *
 * The node has a real store, write path and transport (rsn_fed_new without
 * a listen endpoint, trusting one peer it never dials), so nothing is sent
 * and every send is RSN_ERR_UNAVAILABLE, which the engine ignores. Covers:
 * a Hello's site, strikes for undecodable and unasked-for frames and the ban
 * after RSN_GOSSIP_BAN_AFTER of them, the Want queue merging ranges, peers
 * forgotten when no longer configured, and witnessing: a peer's checkpoint
 * kept, two roots for one size and a badly signed checkpoint stored as
 * evidence, and both read back after a restart; a rollback as evidence by
 * itself, a consistency request unanswered past the deadline or answered for
 * other sizes recorded, asked again with a backoff and cleared by a valid
 * proof, a proof that joins nothing as evidence; heads paged with a cursor:
 * a walk over the pages served sees every head once, a peer that pages is
 * followed to its last page (what it lacks summed over the pages), an older
 * peer is not, and a malformed cursor is struck. Each test works in a fresh
 * folder under /tmp. */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "crypto/note.h"
#include "daemon/gossip.h"
#include "daemon/gossip_internal.h"
#include "daemon/ingest.h"
#include "proto/codec.h"
#include "store/keys.h"
#include "store/store.h"
#include "support/fake_log.h"

typedef struct {
    char dir[64];
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    rsn_keypair_t *node;
    uint8_t *curve_secret;
    rsn_fed_t *fed;
    rsn_keypair_t *peer; /* the one peer the node trusts */
    uint8_t peer_key[RSN_KEY_BYTES];
    rsn_gossip_t *gossip;
    rsn_arena_t *arena;
} fx_t;

/* ------------------------------------------------------------ fixture -- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Orders node or author keys (for qsort). */
static int key_order(const void *a, const void *b)
{
    return memcmp(a, b, RSN_KEY_BYTES);
}

static rsn_keypair_t *keypair_of(uint8_t seed_byte)
{
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    return rsn_keypair_from_seed(seed);
}

static int setup(void **state)
{
    if (rsn_crypto_init() != 0) {
        return -1;
    }
    fx_t *f = calloc(1, sizeof *f);
    if (!f) {
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "/tmp/rsn-gossip-XXXXXX");
    if (!mkdtemp(f->dir) || rsn_store_open(&f->store, f->dir) != 0 ||
        rsn_ingest_new(&f->ingest, f->store) != 0) {
        return -1;
    }
    f->node = keypair_of(1);
    f->peer = keypair_of(2);
    f->curve_secret = rsn_secure_alloc(32);
    f->arena = rsn_arena_new();
    if (!f->node || !f->peer || !f->curve_secret || !f->arena ||
        rsn_keypair_curve_secret(f->node, f->curve_secret) != 0) {
        return -1;
    }
    memcpy(f->peer_key, rsn_keypair_public(f->peer), RSN_KEY_BYTES);
    if (rsn_fed_new(&f->fed, rsn_keypair_public(f->node), f->curve_secret, NULL) != 0) {
        return -1;
    }
    rsn_fed_peer_conf_t conf = {0};
    memcpy(conf.key, f->peer_key, RSN_KEY_BYTES); /* endpoint "": trusted, never dialled */
    if (rsn_fed_set_peers(f->fed, &conf, 1) != 0 ||
        rsn_gossip_new(&f->gossip, f->store, f->ingest, f->fed, rsn_keypair_public(f->node),
                       "here") != 0) {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    rsn_gossip_destroy(&f->gossip);
    rsn_fed_destroy(&f->fed);
    rsn_ingest_destroy(&f->ingest);
    rsn_store_destroy(&f->store);
    rsn_secure_free(f->curve_secret);
    rsn_keypair_destroy(&f->node);
    rsn_keypair_destroy(&f->peer);
    rsn_arena_destroy(&f->arena);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* The peer's slot in the engine (made on first use, as a frame would). */
static peer_t *the_peer(fx_t *f)
{
    peer_t *p = gossip_peer(f->gossip, f->peer_key, true);
    assert_non_null(p);
    return p;
}

/* Packs F and hands it to the engine as coming from the peer. */
static void deliver(fx_t *f, Raison__FedFrame *frame)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(rsn_pack(f->arena, &frame->base, &bytes, &len), 0);
    gossip_handle_frame(f->gossip, the_peer(f), bytes, len);
}

static void deliver_garbage(fx_t *f)
{
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff};
    gossip_handle_frame(f->gossip, the_peer(f), garbage, sizeof garbage);
}

/* The engine's report of the one peer. */
static const Raison__PeerInfo *info(fx_t *f)
{
    Raison__PeersReply *r = NULL;
    assert_int_equal(rsn_gossip_peers(f->gossip, f->arena, &r), 0);
    assert_int_equal(r->n_peers, 1);
    assert_memory_equal(r->peers[0]->key.data, f->peer_key, RSN_KEY_BYTES);
    return r->peers[0];
}

/* A checkpoint note of SIZE whose root is ROOT_BYTE repeated, signed by
 * SIGNER under the peer's name, into OUT. */
static void checkpoint_note(fx_t *f, const rsn_keypair_t *signer, uint64_t size, uint8_t root_byte,
                            char *out, size_t out_size)
{
    char name[RSN_NOTE_RAISON_NAME_SIZE];
    char text[512];
    uint8_t root[RSN_HASH_BYTES];
    memset(root, root_byte, sizeof root);
    assert_int_equal(rsn_note_raison_name(f->peer_key, name, sizeof name), 0);
    assert_int_equal(rsn_checkpoint_text(name, size, root, text, sizeof text), 0);
    assert_int_equal(rsn_note_sign(signer, name, text, out, out_size), 0);
}

static void deliver_checkpoint(fx_t *f, char *note)
{
    Raison__CheckpointNote c = RAISON__CHECKPOINT_NOTE__INIT;
    c.note = note;
    Raison__FedFrame frame = RAISON__FED_FRAME__INIT;
    frame.msg_case = RAISON__FED_FRAME__MSG_CHECKPOINT;
    frame.checkpoint = &c;
    deliver(f, &frame);
}

/* Stages and commits entry 1 of KP's feed, a profile, through the real
 * write path (not local: no semantic rule). */
static void put_profile(fx_t *f, const rsn_keypair_t *kp)
{
    Raison__Profile profile = RAISON__PROFILE__INIT;
    profile.name = (char *)"paged";
    uint8_t *body = NULL, *entry = NULL;
    size_t body_len = 0, entry_len = 0;
    assert_int_equal(rsn_pack(f->arena, &profile.base, &body, &body_len), 0);
    uint8_t hash[RSN_HASH_BYTES], sig[RSN_SIG_BYTES];
    rsn_sha256(hash, body, body_len);
    Raison__Entry e = RAISON__ENTRY__INIT;
    e.author.data = (uint8_t *)rsn_keypair_public(kp);
    e.author.len = RSN_KEY_BYTES;
    e.seq = 1;
    e.timestamp = 1700000000000ull;
    e.kind = RAISON__KIND__KIND_PROFILE;
    e.body_hash.data = hash;
    e.body_hash.len = RSN_HASH_BYTES;
    e.body_size = (uint32_t)body_len;
    assert_int_equal(rsn_pack(f->arena, &e.base, &entry, &entry_len), 0);
    assert_int_equal(rsn_keypair_sign_entry(kp, entry, entry_len, sig), 0);
    rsn_ingest_result_t res;
    char why[256] = "";
    assert_int_equal(rsn_ingest_stage(f->ingest,
                                      &(rsn_ingest_input_t){.entry = entry,
                                                            .entry_len = entry_len,
                                                            .signature = sig,
                                                            .signature_len = sizeof sig,
                                                            .body = body,
                                                            .body_len = body_len,
                                                            .has_body = true,
                                                            .origin = RSN_INGEST_RELAYED},
                                      &res, why, sizeof why),
                     0);
    assert_int_equal(rsn_ingest_commit(f->ingest), 0);
}

#define PAGED_AUTHORS 23

/* Publishes one profile for each of PAGED_AUTHORS keys (seeds 10, 11, ...)
 * and puts their public keys, sorted, into KEYS. */
static void put_paged_authors(fx_t *f, uint8_t keys[PAGED_AUTHORS][RSN_KEY_BYTES])
{
    for (int i = 0; i < PAGED_AUTHORS; i++) {
        rsn_keypair_t *kp = keypair_of((uint8_t)(10 + i));
        assert_non_null(kp);
        put_profile(f, kp);
        memcpy(keys[i], rsn_keypair_public(kp), RSN_KEY_BYTES);
        rsn_keypair_destroy(&kp);
    }
    qsort(keys, PAGED_AUTHORS, RSN_KEY_BYTES, key_order);
}

/* The peer says Hello speaking PROTOCOL. */
static void hello_with(fx_t *f, uint32_t protocol)
{
    Raison__Hello h = RAISON__HELLO__INIT;
    h.site = (char *)"paging";
    h.protocol = protocol;
    Raison__FedFrame frame = RAISON__FED_FRAME__INIT;
    frame.msg_case = RAISON__FED_FRAME__MSG_HELLO;
    frame.hello = &h;
    deliver(f, &frame);
}

/* A Heads page from the peer: N heads (authors KEYS, seq 0: "I hold
 * nothing of them"), MORE, and NEXT (a cursor, or NULL). */
static void deliver_heads(fx_t *f, uint8_t (*keys)[RSN_KEY_BYTES], size_t n, bool more,
                          uint8_t *next)
{
    Raison__Head heads[PAGED_AUTHORS];
    Raison__Head *list[PAGED_AUTHORS];
    for (size_t i = 0; i < n; i++) {
        raison__head__init(&heads[i]);
        heads[i].author.data = keys[i];
        heads[i].author.len = RSN_KEY_BYTES;
        list[i] = &heads[i];
    }
    Raison__Heads h = RAISON__HEADS__INIT;
    h.heads = list;
    h.n_heads = n;
    h.more = more;
    if (next) {
        h.next.data = next;
        h.next.len = HEADS_CURSOR_BYTES;
    }
    Raison__FedFrame frame = RAISON__FED_FRAME__INIT;
    frame.msg_case = RAISON__FED_FRAME__MSG_HEADS;
    frame.heads = &h;
    deliver(f, &frame);
}

/* The peer's checkpoint of the first SIZE leaves of LOG, signed by the
 * peer, into OUT. */
static void log_checkpoint(fx_t *f, rsn_test_log_t *log, uint64_t size, char *out, size_t out_size)
{
    char name[RSN_NOTE_RAISON_NAME_SIZE];
    char text[512];
    uint8_t root[RSN_HASH_BYTES];
    assert_int_equal(rsn_test_log_root(log, size, root), 0);
    assert_int_equal(rsn_note_raison_name(f->peer_key, name, sizeof name), 0);
    assert_int_equal(rsn_checkpoint_text(name, size, root, text, sizeof text), 0);
    assert_int_equal(rsn_note_sign(f->peer, name, text, out, out_size), 0);
}

/* The peer's valid ConsistencyProof from OLD to NEW in LOG. */
static void deliver_proof(fx_t *f, rsn_test_log_t *log, uint64_t old_size, uint64_t new_size)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(rsn_test_log_proof_frame(log, f->arena, old_size, new_size, &bytes, &len), 0);
    gossip_handle_frame(f->gossip, the_peer(f), bytes, len);
}

/* Reads back the evidence stored against the peer at SIZE. */
static Raison__WitnessEvidence *evidence_at(fx_t *f, uint64_t size)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_inconsistent(k, f->peer_key, size);
    void *v = NULL;
    size_t vl = 0;
    assert_int_equal(rsn_store_get(f->store, k, kl, &v, &vl), 0);
    Raison__WitnessEvidence *ev = NULL;
    assert_int_equal(rsn_witness_decode(f->arena, v, vl, &ev), 0);
    rsn_store_free(v);
    return ev;
}

/* -------------------------------------------------------------- tests -- */

static void test_hello_and_counts(void **state)
{
    fx_t *f = *state;
    uint32_t peers = 99, connected = 99;
    rsn_gossip_counts(f->gossip, &peers, &connected);
    assert_int_equal(peers, 1);
    assert_int_equal(connected, 0);
    assert_string_equal(info(f)->site, ""); /* no frame yet: no slot */

    Raison__Hello h = RAISON__HELLO__INIT;
    h.site = (char *)"lab-east";
    Raison__FedFrame frame = RAISON__FED_FRAME__INIT;
    frame.msg_case = RAISON__FED_FRAME__MSG_HELLO;
    frame.hello = &h;
    deliver(f, &frame);

    const Raison__PeerInfo *pi = info(f);
    assert_string_equal(pi->site, "lab-east");
    assert_int_equal(pi->dropped, 0);
    assert_true(the_peer(f)->linked); /* a frame that decodes shows the link up */
}

static void test_strikes_then_ban(void **state)
{
    fx_t *f = *state;
    for (int i = 0; i < RSN_GOSSIP_BAN_AFTER - 1; i++) {
        deliver_garbage(f);
    }
    const Raison__PeerInfo *pi = info(f);
    assert_int_equal(pi->dropped, RSN_GOSSIP_BAN_AFTER - 1);
    assert_string_equal(pi->last_error, "frame is not a protobuf FedFrame");
    assert_int_equal(pi->banned_until, 0);
    assert_int_equal(the_peer(f)->strikes, RSN_GOSSIP_BAN_AFTER - 1);

    /* an unasked-for Heads is a strike too; it is the one that bans */
    the_peer(f)->linked = true;
    gossip_queue_range(the_peer(f), f->peer_key, 1, 10, false);
    Raison__Heads h = RAISON__HEADS__INIT;
    Raison__FedFrame frame = RAISON__FED_FRAME__INIT;
    frame.msg_case = RAISON__FED_FRAME__MSG_HEADS;
    frame.heads = &h;
    deliver(f, &frame);

    pi = info(f);
    assert_int_equal(pi->dropped, RSN_GOSSIP_BAN_AFTER);
    assert_string_equal(pi->last_error, "heads it was not asked for");
    assert_true(pi->banned_until > 0);
    peer_t *p = the_peer(f);
    assert_int_equal(p->strikes, 0); /* counted afresh after the ban */
    assert_false(p->linked);
    assert_int_equal(p->n_queue, 0); /* what it owed is forgotten */
}

static void test_want_queue_merges(void **state)
{
    fx_t *f = *state;
    peer_t *p = the_peer(f);
    uint8_t a[RSN_KEY_BYTES], b[RSN_KEY_BYTES];
    memset(a, 0xa1, sizeof a);
    memset(b, 0xb2, sizeof b);
    gossip_queue_range(p, a, 5, 9, false);
    gossip_queue_range(p, a, 2, 7, false); /* widens the first */
    gossip_queue_range(p, a, 4, 4, true);  /* a probe is its own range */
    gossip_queue_range(p, b, 1, 3, false);
    assert_int_equal(p->n_queue, 3);
    assert_memory_equal(p->queue[0].author, a, RSN_KEY_BYTES);
    assert_int_equal(p->queue[0].from, 2);
    assert_int_equal(p->queue[0].to, 9);
    assert_true(p->queue[1].probe);
    assert_int_equal(p->queue[2].to, 3);

    /* an answer with nothing asked changes nothing */
    gossip_want_answered(p, true);
    assert_int_equal(p->n_queue, 3);
}

static void test_forget_absent(void **state)
{
    fx_t *f = *state;
    deliver_garbage(f);
    assert_non_null(gossip_peer(f->gossip, f->peer_key, false));
    rsn_gossip_forget_absent(f->gossip); /* still configured: kept */
    assert_non_null(gossip_peer(f->gossip, f->peer_key, false));
    assert_int_equal(rsn_fed_set_peers(f->fed, NULL, 0), 0);
    rsn_gossip_forget_absent(f->gossip);
    assert_null(gossip_peer(f->gossip, f->peer_key, false));
}

static void test_witness_keeps_and_accuses(void **state)
{
    fx_t *f = *state;
    char note[RSN_NOTE_MAX + 1];
    checkpoint_note(f, f->peer, 5, 0x11, note, sizeof note);
    deliver_checkpoint(f, note);
    const Raison__PeerInfo *pi = info(f);
    assert_int_equal(pi->checkpoint_size, 5);
    assert_string_equal(pi->checkpoint_note, note);
    assert_string_equal(pi->inconsistency, "");
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_witnessed(k, f->peer_key);
    assert_int_equal(rsn_store_has(f->store, k, kl), 0);

    /* another root for the same size: evidence at that size, the first kept */
    char other[RSN_NOTE_MAX + 1];
    checkpoint_note(f, f->peer, 5, 0x22, other, sizeof other);
    deliver_checkpoint(f, other);
    pi = info(f);
    assert_string_equal(pi->inconsistency, "signed two different roots for one tree size");
    assert_string_equal(pi->checkpoint_note, note);
    assert_int_equal(pi->dropped, 0);
    kl = rsn_key_inconsistent(k, f->peer_key, 5);
    void *v = NULL;
    size_t vl = 0;
    assert_int_equal(rsn_store_get(f->store, k, kl, &v, &vl), 0);
    Raison__WitnessEvidence *ev = NULL;
    assert_int_equal(rsn_witness_decode(f->arena, v, vl, &ev), 0);
    rsn_store_free(v);
    assert_string_equal(ev->a, note);
    assert_string_equal(ev->b, other);

    /* signed by another key: a strike and evidence at size 0 */
    rsn_keypair_t *stranger = keypair_of(3);
    assert_non_null(stranger);
    char forged[RSN_NOTE_MAX + 1];
    checkpoint_note(f, stranger, 6, 0x33, forged, sizeof forged);
    rsn_keypair_destroy(&stranger);
    deliver_checkpoint(f, forged);
    pi = info(f);
    assert_int_equal(pi->dropped, 1);
    assert_string_equal(pi->last_error, "badly signed checkpoint");
    assert_string_equal(pi->inconsistency,
                        "sent a checkpoint that does not verify under its node key");
    kl = rsn_key_inconsistent(k, f->peer_key, 0);
    assert_int_equal(rsn_store_has(f->store, k, kl), 0);

    /* after a restart the held checkpoint and the first evidence (in key
     * order: size 0) are read back from the store */
    rsn_gossip_destroy(&f->gossip);
    assert_null(f->gossip);
    assert_int_equal(rsn_gossip_new(&f->gossip, f->store, f->ingest, f->fed,
                                    rsn_keypair_public(f->node), "here"),
                     0);
    the_peer(f);
    pi = info(f);
    assert_int_equal(pi->checkpoint_size, 5);
    assert_string_equal(pi->checkpoint_note, note);
    assert_string_equal(pi->inconsistency,
                        "sent a checkpoint that does not verify under its node key");
}

/* A checkpoint smaller than one the peer sent is a rollback: evidence by
 * itself, nothing asked, kept across a restart, and not undone by a later
 * valid proof. */
static void test_witness_rollback(void **state)
{
    fx_t *f = *state;
    rsn_test_log_t *log = rsn_test_log_new(12, 1);
    assert_non_null(log);
    char eight[RSN_NOTE_MAX + 1], five[RSN_NOTE_MAX + 1], twelve[RSN_NOTE_MAX + 1];
    log_checkpoint(f, log, 8, eight, sizeof eight);
    log_checkpoint(f, log, 5, five, sizeof five);
    log_checkpoint(f, log, 12, twelve, sizeof twelve);
    deliver_checkpoint(f, eight);
    assert_int_equal(info(f)->checkpoint_size, 8);
    deliver_checkpoint(f, five);
    const Raison__PeerInfo *pi = info(f);
    assert_string_equal(pi->inconsistency,
                        "rolled back: sent a checkpoint of size 5 after one of size 8");
    assert_int_equal(pi->checkpoint_size, 8);
    assert_int_equal(pi->pending_checkpoint_size, 0); /* nothing to ask */
    assert_string_equal(pi->unanswered_consistency, "");
    Raison__WitnessEvidence *ev = evidence_at(f, 5);
    assert_string_equal(ev->a, eight);
    assert_string_equal(ev->b, five);
    assert_memory_equal(ev->peer.data, f->peer_key, RSN_KEY_BYTES);

    /* a valid proof to a newer checkpoint moves on, the evidence stays */
    deliver_checkpoint(f, twelve);
    assert_int_equal(info(f)->pending_checkpoint_size, 12);
    deliver_proof(f, log, 8, 12);
    pi = info(f);
    assert_int_equal(pi->checkpoint_size, 12);
    assert_int_equal(pi->pending_checkpoint_size, 0);
    assert_string_equal(pi->inconsistency,
                        "rolled back: sent a checkpoint of size 5 after one of size 8");

    /* after a restart */
    rsn_gossip_destroy(&f->gossip);
    assert_int_equal(rsn_gossip_new(&f->gossip, f->store, f->ingest, f->fed,
                                    rsn_keypair_public(f->node), "here"),
                     0);
    the_peer(f);
    pi = info(f);
    assert_int_equal(pi->checkpoint_size, 12);
    assert_string_equal(pi->inconsistency,
                        "rolled back: sent a checkpoint of size 5 after one of size 8");
    rsn_test_log_destroy(&log);
}

/* A newer checkpoint whose proof never comes: recorded unanswered at the
 * deadline (not before), asked again with a doubling backoff, not reset by
 * a still newer checkpoint; an answer for other sizes is recorded; a valid
 * proof clears it and the checkpoint that came meanwhile is asked next. */
static void test_witness_unanswered(void **state)
{
    fx_t *f = *state;
    rsn_test_log_t *log = rsn_test_log_new(16, 1);
    assert_non_null(log);
    char four[RSN_NOTE_MAX + 1], eight[RSN_NOTE_MAX + 1], twelve[RSN_NOTE_MAX + 1];
    log_checkpoint(f, log, 4, four, sizeof four);
    log_checkpoint(f, log, 8, eight, sizeof eight);
    log_checkpoint(f, log, 12, twelve, sizeof twelve);
    rsn_gossip_t *g = f->gossip;
    g->witness_deadline_ms = 6000;
    peer_t *p = the_peer(f);
    witness_t *w = &p->witness;

    deliver_checkpoint(f, four);
    deliver_checkpoint(f, eight);
    int64_t t0 = w->asked_ms;
    assert_true(t0 > 0);
    assert_int_equal(w->deadline_ms, t0 + 6000);
    assert_int_equal(w->retry_ms, 1000); /* deadline / 6 */
    const Raison__PeerInfo *pi = info(f);
    assert_int_equal(pi->checkpoint_size, 4);
    assert_int_equal(pi->pending_checkpoint_size, 8);
    assert_string_equal(pi->unanswered_consistency, "");

    /* asked again after 1 s, then after 2 s more; still in time */
    gossip_witness_tick(g, p, t0 + 999);
    assert_int_equal(w->asked_ms, t0);
    gossip_witness_tick(g, p, t0 + 1000);
    assert_int_equal(w->asked_ms, t0 + 1000);
    assert_int_equal(w->retry_ms, 2000);
    gossip_witness_tick(g, p, t0 + 2999);
    assert_int_equal(w->asked_ms, t0 + 1000);
    gossip_witness_tick(g, p, t0 + 5999);
    assert_int_equal(w->asked_ms, t0 + 5999);
    assert_string_equal(info(f)->unanswered_consistency, "");

    /* a newer checkpoint does not reset the question */
    deliver_checkpoint(f, twelve);
    assert_int_equal(w->deadline_ms, t0 + 6000);
    assert_int_equal(info(f)->pending_checkpoint_size, 8);
    gossip_witness_tick(g, p, t0 + 6000);
    pi = info(f);
    assert_string_equal(pi->unanswered_consistency,
                        "did not answer a consistency request from size 4 to 8 within 6 s");
    assert_string_equal(pi->inconsistency, ""); /* silence is not evidence of a fork */
    assert_int_equal(pi->checkpoint_size, 4);

    /* answered for other sizes (a valid proof, of another question) */
    deliver_proof(f, log, 4, 12);
    pi = info(f);
    assert_string_equal(pi->unanswered_consistency,
                        "answered a consistency request from size 4 to 8 with a proof from 4 "
                        "to 12");
    assert_int_equal(pi->checkpoint_size, 4);
    assert_int_equal(pi->pending_checkpoint_size, 8);

    /* the proof asked: cleared, and 12 is asked next with a fresh deadline */
    deliver_proof(f, log, 4, 8);
    pi = info(f);
    assert_string_equal(pi->unanswered_consistency, "");
    assert_int_equal(pi->checkpoint_size, 8);
    assert_int_equal(pi->pending_checkpoint_size, 12);
    assert_true(w->deadline_ms >= t0 + 6000);
    /* a late copy of the answer just taken is no wrong answer */
    deliver_proof(f, log, 4, 8);
    assert_string_equal(info(f)->unanswered_consistency, "");
    deliver_proof(f, log, 8, 12);
    pi = info(f);
    assert_int_equal(pi->checkpoint_size, 12);
    assert_int_equal(pi->pending_checkpoint_size, 0);
    assert_string_equal(pi->unanswered_consistency, "");
    assert_string_equal(pi->inconsistency, "");
    assert_int_equal(pi->dropped, 0);
    rsn_test_log_destroy(&log);
}

/* A proof that does not join the two checkpoints is evidence; the link
 * coming up asks a pending proof again without a fresh deadline. */
static void test_witness_refuted_and_relinked(void **state)
{
    fx_t *f = *state;
    rsn_test_log_t *log = rsn_test_log_new(8, 1);
    rsn_test_log_t *other = rsn_test_log_new(8, 2);
    assert_non_null(log);
    assert_non_null(other);
    char three[RSN_NOTE_MAX + 1], seven[RSN_NOTE_MAX + 1];
    log_checkpoint(f, log, 3, three, sizeof three);
    log_checkpoint(f, other, 7, seven, sizeof seven);
    rsn_gossip_t *g = f->gossip;
    g->witness_deadline_ms = 8000;
    peer_t *p = the_peer(f);
    deliver_checkpoint(f, three);
    deliver_checkpoint(f, seven);
    int64_t t0 = p->witness.asked_ms;
    gossip_witness_linked(g, p, t0 + 500);
    assert_int_equal(p->witness.asked_ms, t0 + 500);
    assert_int_equal(p->witness.deadline_ms, t0 + 8000); /* not pushed back */
    gossip_witness_linked(g, p, t0 + 7900);
    assert_int_equal(p->witness.deadline_ms, t0 + 7900 + 2000); /* a fair quarter */
    deliver_proof(f, other, 3, 7);
    const Raison__PeerInfo *pi = info(f);
    assert_string_equal(pi->inconsistency,
                        "showed two checkpoints that no consistency proof joins");
    assert_int_equal(pi->checkpoint_size, 3);
    assert_int_equal(pi->pending_checkpoint_size, 0);
    Raison__WitnessEvidence *ev = evidence_at(f, 7);
    assert_string_equal(ev->a, three);
    assert_string_equal(ev->b, seven);
    rsn_test_log_destroy(&log);
    rsn_test_log_destroy(&other);
}

static void test_malformed_checkpoint(void **state)
{
    fx_t *f = *state;
    Raison__CheckpointNote c = RAISON__CHECKPOINT_NOTE__INIT;
    Raison__FedFrame frame = RAISON__FED_FRAME__INIT;
    frame.msg_case = RAISON__FED_FRAME__MSG_CHECKPOINT;
    frame.checkpoint = &c; /* the default note is "": unsigned */
    deliver(f, &frame);
    const Raison__PeerInfo *pi = info(f);
    assert_int_equal(pi->dropped, 1);
    assert_string_equal(pi->last_error, "badly signed checkpoint");
    assert_int_equal(pi->checkpoint_size, 0);
}

/* Serving: a walk over every bucket in pages of 5 heads, each page asked
 * after the cursor of the one before, sees every head exactly once, in
 * (bucket, author) order; a walk over some buckets sees only theirs. */
static void test_heads_page_cursor_walk(void **state)
{
    fx_t *f = *state;
    uint8_t keys[PAGED_AUTHORS][RSN_KEY_BYTES];
    put_paged_authors(f, keys);
    uint8_t all[RSN_BUCKETS / 8];
    memset(all, 0xff, sizeof all);

    uint8_t after[HEADS_CURSOR_BYTES];
    bool has_after = false;
    size_t seen = 0, pages = 0;
    for (;;) {
        Raison__Heads h;
        assert_int_equal(
            gossip_heads_page(f->gossip, f->arena, all, has_after ? after : NULL, 5, &h), 0);
        pages++;
        assert_true(h.n_heads <= 5);
        for (size_t i = 0; i < h.n_heads; i++) {
            assert_true(seen < PAGED_AUTHORS);
            assert_memory_equal(h.heads[i]->author.data, keys[seen], RSN_KEY_BYTES);
            assert_int_equal(h.heads[i]->seq, 1);
            seen++;
        }
        if (!h.more) {
            assert_int_equal(h.next.len, 0);
            break;
        }
        assert_int_equal(h.n_heads, 5);
        assert_int_equal(h.next.len, HEADS_CURSOR_BYTES);
        assert_int_equal(h.next.data[0], keys[seen - 1][0]); /* the bucket */
        assert_memory_equal(h.next.data + 1, keys[seen - 1], RSN_KEY_BYTES);
        memcpy(after, h.next.data, HEADS_CURSOR_BYTES);
        has_after = true;
        assert_true(pages < 10);
    }
    assert_int_equal(seen, PAGED_AUTHORS);
    assert_int_equal(pages, (PAGED_AUTHORS + 4) / 5);

    /* only the buckets asked: those of the 3rd and the 20th author */
    uint8_t some[RSN_BUCKETS / 8] = {0};
    some[keys[2][0] / 8] |= (uint8_t)(1u << (keys[2][0] % 8));
    some[keys[19][0] / 8] |= (uint8_t)(1u << (keys[19][0] % 8));
    Raison__Heads h;
    assert_int_equal(gossip_heads_page(f->gossip, f->arena, some, NULL, 100, &h), 0);
    assert_false(h.more);
    size_t expected = 0;
    for (int i = 0; i < PAGED_AUTHORS; i++) {
        expected += keys[i][0] == keys[2][0] || keys[i][0] == keys[19][0];
    }
    assert_int_equal(h.n_heads, expected);
    for (size_t i = 0; i < h.n_heads; i++) {
        uint8_t b = h.heads[i]->author.data[0];
        assert_true(b == keys[2][0] || b == keys[19][0]);
    }
    /* after the 3rd author, in its own bucket: the rest of the two buckets */
    after[0] = keys[2][0];
    memcpy(after + 1, keys[2], RSN_KEY_BYTES);
    assert_int_equal(gossip_heads_page(f->gossip, f->arena, some, after, 100, &h), 0);
    size_t j = 0;
    for (int i = 3; i < PAGED_AUTHORS; i++) {
        if (keys[i][0] == keys[2][0] || keys[i][0] == keys[19][0]) {
            assert_true(j < h.n_heads);
            assert_memory_equal(h.heads[j]->author.data, keys[i], RSN_KEY_BYTES);
            j++;
        }
    }
    assert_int_equal(h.n_heads, j);
    assert_true(j >= 1); /* the 20th author at least */
}

/* Asking: a peer that pages is followed page after page (one request per
 * page), and what it lacks is counted over all the pages of the walk; its
 * protocol shows in the API. */
static void test_heads_pages_followed(void **state)
{
    fx_t *f = *state;
    uint8_t keys[PAGED_AUTHORS][RSN_KEY_BYTES];
    put_paged_authors(f, keys);
    hello_with(f, RSN_FED_PROTOCOL);
    assert_int_equal(info(f)->protocol, RSN_FED_PROTOCOL);
    peer_t *p = the_peer(f);
    assert_true(gossip_pages_heads(p));
    memset(p->heads_buckets, 0xff, sizeof p->heads_buckets);
    p->heads_asked = 1; /* as if the walk's first page was asked */

    uint8_t next[HEADS_CURSOR_BYTES];
    next[0] = keys[9][0];
    memcpy(next + 1, keys[9], RSN_KEY_BYTES);
    deliver_heads(f, keys, 10, true, next);
    assert_int_equal(info(f)->dropped, 0);
    assert_true(p->heads_has_after);
    assert_memory_equal(p->heads_after, next, HEADS_CURSOR_BYTES);
    assert_int_equal(p->heads_asked, 1); /* the next page was asked */
    assert_int_equal(p->heads_pages, 1);
    assert_int_equal(info(f)->missing, 0); /* not known before the walk ends */

    deliver_heads(f, keys + 10, PAGED_AUTHORS - 10, false, NULL);
    assert_int_equal(info(f)->dropped, 0);
    assert_false(p->heads_has_after);
    assert_int_equal(p->heads_asked, 0);
    /* it lacks entry 1 of each of the 23 feeds, over the two pages */
    assert_int_equal(info(f)->missing, PAGED_AUTHORS);

    /* a page out of order is a strike */
    p->heads_asked = 1;
    uint8_t swapped[2][RSN_KEY_BYTES];
    memcpy(swapped[0], keys[5], RSN_KEY_BYTES);
    memcpy(swapped[1], keys[4], RSN_KEY_BYTES);
    deliver_heads(f, swapped, 2, false, NULL);
    assert_int_equal(info(f)->dropped, 1);
    assert_string_equal(info(f)->last_error, "heads out of order");
}

/* A peer of an older protocol (no paging) is not followed: its one page is
 * all there is, as before; a HeadsRequest with a malformed cursor is a
 * strike. */
static void test_heads_older_peer(void **state)
{
    fx_t *f = *state;
    uint8_t keys[PAGED_AUTHORS][RSN_KEY_BYTES];
    put_paged_authors(f, keys);
    hello_with(f, 1);
    assert_int_equal(info(f)->protocol, 1);
    peer_t *p = the_peer(f);
    assert_false(gossip_pages_heads(p));
    p->heads_asked = 1;
    deliver_heads(f, keys, 10, true, NULL); /* no cursor: fine from it */
    assert_int_equal(info(f)->dropped, 0);
    assert_false(p->heads_has_after);
    assert_int_equal(p->heads_asked, 0); /* nothing more asked */
    assert_int_equal(info(f)->missing, 10);

    Raison__HeadsRequest hr = RAISON__HEADS_REQUEST__INIT;
    uint8_t bad[HEADS_CURSOR_BYTES];
    memset(bad, 0, sizeof bad);
    bad[0] = 7; /* not the author's first byte */
    hr.after.data = bad;
    hr.after.len = sizeof bad;
    Raison__FedFrame frame = RAISON__FED_FRAME__INIT;
    frame.msg_case = RAISON__FED_FRAME__MSG_HEADS_REQUEST;
    frame.heads_request = &hr;
    deliver(f, &frame);
    assert_int_equal(info(f)->dropped, 1);
    assert_string_equal(info(f)->last_error, "malformed heads cursor");
}

/* The sync lag (entries the peer holds that this node lacks): counted over
 * the heads compared, less what the peer sent since, and 0 once the
 * digests agree; and witnessing's results as the metrics count them. */
static void test_sync_lag_and_witness_counts(void **state)
{
    fx_t *f = *state;
    hello_with(f, 1); /* one page of heads is all there is */
    peer_t *p = the_peer(f);
    assert_int_equal(info(f)->lacking, 0);
    uint8_t keys[3][RSN_KEY_BYTES];
    Raison__Head heads[3];
    Raison__Head *list[3];
    for (int i = 0; i < 3; i++) {
        rsn_keypair_t *kp = keypair_of((uint8_t)(40 + i));
        assert_non_null(kp);
        memcpy(keys[i], rsn_keypair_public(kp), RSN_KEY_BYTES);
        rsn_keypair_destroy(&kp);
    }
    qsort(keys, 3, RSN_KEY_BYTES, key_order);
    for (int i = 0; i < 3; i++) {
        raison__head__init(&heads[i]);
        heads[i].author.data = keys[i];
        heads[i].author.len = RSN_KEY_BYTES;
        heads[i].seq = 5 + (uint64_t)i; /* it holds 5, 6 and 7 of three feeds we lack */
        heads[i].id.data = keys[i];     /* any 32 bytes: the head entry's id */
        heads[i].id.len = RSN_ID_BYTES;
        list[i] = &heads[i];
    }
    Raison__Heads h = RAISON__HEADS__INIT;
    h.heads = list;
    h.n_heads = 3;
    Raison__FedFrame frame = RAISON__FED_FRAME__INIT;
    frame.msg_case = RAISON__FED_FRAME__MSG_HEADS;
    frame.heads = &h;
    p->heads_asked = 1;
    deliver(f, &frame);
    assert_int_equal(info(f)->dropped, 0);
    assert_int_equal(info(f)->lacking, 18);
    assert_int_equal(info(f)->missing, 0);
    p->entries_received += 4; /* as if it sent four of them */
    assert_int_equal(info(f)->lacking, 14);
    p->entries_received += 40; /* more than it was known to hold: none left */
    assert_int_equal(info(f)->lacking, 0);
    p->entries_received -= 44;
    assert_int_equal(info(f)->lacking, 18);
    /* digests that agree: nothing lacks either way */
    uint8_t root[RSN_HASH_BYTES];
    rsn_ingest_root(f->ingest, root);
    Raison__Digest d = RAISON__DIGEST__INIT;
    d.root.data = root;
    d.root.len = RSN_HASH_BYTES;
    frame = (Raison__FedFrame)RAISON__FED_FRAME__INIT;
    frame.msg_case = RAISON__FED_FRAME__MSG_DIGEST;
    frame.digest = &d;
    deliver(f, &frame);
    assert_int_equal(info(f)->lacking, 0);

    /* witnessing: a proof verified, a proof owed past the deadline, a rollback */
    rsn_witness_counts_t w;
    rsn_gossip_witness_counts(f->gossip, &w);
    assert_int_equal(w.consistent + w.inconsistent + w.unanswered, 0);
    rsn_test_log_t *log = rsn_test_log_new(12, 1);
    assert_non_null(log);
    char four[RSN_NOTE_MAX + 1], eight[RSN_NOTE_MAX + 1], twelve[RSN_NOTE_MAX + 1];
    char five[RSN_NOTE_MAX + 1];
    log_checkpoint(f, log, 4, four, sizeof four);
    log_checkpoint(f, log, 8, eight, sizeof eight);
    log_checkpoint(f, log, 12, twelve, sizeof twelve);
    log_checkpoint(f, log, 5, five, sizeof five);
    f->gossip->witness_deadline_ms = 6000;
    deliver_checkpoint(f, four);
    deliver_checkpoint(f, eight);
    deliver_proof(f, log, 4, 8);
    rsn_gossip_witness_counts(f->gossip, &w);
    assert_int_equal(w.consistent, 1);
    assert_int_equal(w.inconsistent, 0);
    assert_int_equal(w.unanswered, 0);
    deliver_checkpoint(f, twelve);
    int64_t t0 = p->witness.asked_ms;
    gossip_witness_tick(f->gossip, p, t0 + 6000);
    gossip_witness_tick(f->gossip, p, t0 + 7000); /* the same silence counts once */
    rsn_gossip_witness_counts(f->gossip, &w);
    assert_int_equal(w.unanswered, 1);
    deliver_checkpoint(f, five);
    rsn_gossip_witness_counts(f->gossip, &w);
    assert_int_equal(w.consistent, 1);
    assert_int_equal(w.inconsistent, 1);
    assert_int_equal(w.unanswered, 1);
    rsn_test_log_destroy(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hello_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strikes_then_ban, setup, teardown),
        cmocka_unit_test_setup_teardown(test_want_queue_merges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_witness_keeps_and_accuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_witness_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_witness_unanswered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_witness_refuted_and_relinked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heads_page_cursor_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heads_pages_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heads_older_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_lag_and_witness_counts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
