/* gossip.h — the federation protocol: eager push and anti-entropy.
 *
 * Runs in raisond's event loop over net/fed.h. Every entry committed here is
 * pushed to every linked peer but the one it came from; entries from peers go
 * through the same write path as everything else (rsn_ingest_stage), so a
 * duplicate costs an id lookup and nothing invalid is ever stored. On
 * (re)connect and every RSN_GOSSIP_ROUND_MS, linked nodes exchange a Digest
 * of a few dozen bytes; only when digests differ do they narrow down by
 * bucket, then by feed head (paged: the asking side follows the cursor to the
 * end, RSN_GOSSIP_HEADS_PAGES pages a round), and pull what they miss in
 * bounded batches, two Wants in flight per peer (flow control). Entries that arrive ahead of
 * their predecessor wait in a small bounded buffer. A peer whose frames keep
 * failing validation is banned for a while. docs/federation.md. */
#ifndef RSN_D_GOSSIP_H
#define RSN_D_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/ingest.h"
#include "net/fed.h"
#include "proto/codec.h"
#include "store/store.h"

#define RSN_GOSSIP_ROUND_MS 2000 /* anti-entropy digest period */
#define RSN_GOSSIP_BATCH 1024    /* entries per EntryBatch frame */
#define RSN_GOSSIP_BUFFER 4096   /* entries waiting for a predecessor */
#define RSN_GOSSIP_BAN_MS 30000  /* penalty of a peer that keeps misbehaving */
#define RSN_GOSSIP_BAN_AFTER 20  /* invalid frames or entries before a ban */

/* The federation protocol this node speaks, sent in every Hello; two nodes
 * speak the lower of their versions (docs/federation.md, "Versions").
 * 0 or 1: Heads are not paged; 2: Heads are paged with a cursor. */
#define RSN_FED_PROTOCOL 2
#define RSN_FED_PROTOCOL_PAGED_HEADS 2 /* the first version whose Heads are paged */

/* Heads per Heads page. RAISON_HEADS_PAGE in the environment (1 to this),
 * read once by rsn_gossip_new, lowers it: a test knob, so that paging is
 * exercised with a few hundred feeds. */
#define RSN_GOSSIP_HEADS_PAGE 8000
#define RSN_GOSSIP_HEADS_PAGES 16 /* Heads pages asked of one peer per round, at most */

typedef struct rsn_gossip rsn_gossip_t;

/* A protocol engine for the node whose key is NODE_KEY at SITE, over STORE,
 * INGEST and FED (none owned). 0 and *OUT or RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_gossip_new(rsn_gossip_t **out, rsn_store_t *store, rsn_ingest_t *ingest,
                                 rsn_fed_t *fed, const uint8_t node_key[RSN_KEY_BYTES],
                                 const char *site);

/* Frees the engine and what it buffers; accepts NULL; sets *SELF_P to NULL. */
void rsn_gossip_destroy(rsn_gossip_t **self_p);

/* Takes frames from peers and handles them, staging entries. Stops early
 * (returning RSN_ERR_AGAIN) when the ingest batch is nearly full, so the
 * caller commits and calls again; 0 when no frame is waiting. A frame of
 * entries is taken ahead: its signatures are checked on other threads while
 * the caller commits, and it is handled first by the next call
 * (rsn_gossip_ahead says one waits: call again without waiting for the
 * socket). */
RSN_NODISCARD int rsn_gossip_receive(rsn_gossip_t *self);

/* True when a frame taken ahead waits for the next rsn_gossip_receive. */
bool rsn_gossip_ahead(const rsn_gossip_t *self);

/* After a commit: pushes the committed entries (IDS) and any new fork
 * evidence to the peers that did not send them, and asks peers for what
 * the entries that just arrived still lack. */
void rsn_gossip_after_commit(rsn_gossip_t *self, const uint8_t (*ids)[RSN_ID_BYTES], size_t n);

/* Link events and periodic anti-entropy; call every turn of the loop. */
void rsn_gossip_tick(rsn_gossip_t *self);

/* The peers' states for the API (built in ARENA). */
RSN_NODISCARD int rsn_gossip_peers(rsn_gossip_t *self, rsn_arena_t *arena,
                                   Raison__PeersReply **out);

/* Witnessing (docs/audit.md): with AUDIT set, the node sends its latest
 * signed checkpoint to each peer on link-up and whenever it signs one, keeps
 * each peer's latest checkpoint verified consistent ('W'), asks for a
 * consistency proof when a newer one arrives, and stores as evidence ('X')
 * two checkpoints of a peer that no proof joins, or a badly signed one. */
struct rsn_audit;
void rsn_gossip_set_audit(rsn_gossip_t *self, struct rsn_audit *audit);

/* Sends the latest signed checkpoint to every linked peer. */
void rsn_gossip_checkpoint_signed(rsn_gossip_t *self);

/* Forgets the state of peers the transport no longer trusts (after
 * rsn_fed_set_peers), freeing their slots. */
void rsn_gossip_forget_absent(rsn_gossip_t *self);

/* What witnessing found since the start, over every peer: consistency
 * proofs verified, inconsistencies seen (evidence stored), proofs recorded
 * unanswered (past the deadline, or answered for other sizes). */
typedef struct {
    uint64_t consistent;
    uint64_t inconsistent;
    uint64_t unanswered;
} rsn_witness_counts_t;

void rsn_gossip_witness_counts(const rsn_gossip_t *self, rsn_witness_counts_t *out);

/* How many peers are configured, and how many linked now. */
void rsn_gossip_counts(const rsn_gossip_t *self, uint32_t *peers, uint32_t *connected);

#endif
