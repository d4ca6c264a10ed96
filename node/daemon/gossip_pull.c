/* gossip_pull.c — anti-entropy: finding what two nodes' stores differ in and
 * fetching it.
 *
 * Every RSN_GOSSIP_ROUND_MS (and on link-up) a node sends each peer a Digest:
 * its root over all feed heads, its counts and a root of the fork evidence it
 * holds. A peer whose root differs asks for the 256 bucket digests
 * (BucketsRequest), then for the heads of the feeds in the buckets that
 * differ (HeadsRequest), and queues what it lacks (gossip_wants.c). Heads
 * come in pages of at most heads_page heads, in (bucket, author) order; with
 * a peer whose protocol pages (gossip_pages_heads) the asking side follows
 * each page's cursor to the last page, RSN_GOSSIP_HEADS_PAGES pages a round,
 * and stops early when its queue of ranges is full: the next round resumes
 * at the cursor, so every feed of every differing bucket is compared in the
 * end. Wants are answered here with bounded EntryBatch frames read from the
 * 'S' index.
 * Entries received (pushed or pulled) go through rsn_ingest_stage like any
 * other; one that arrives ahead of its predecessor waits in a bounded buffer
 * (RSN_GOSSIP_BUFFER entries, WAITING_PER_PEER per peer, WAITING_BYTES_MAX
 * bytes, WAITING_MS at most) while its predecessors are asked for, and is
 * staged once they are held. */
#include <stdlib.h>
#include <string.h>

#include "daemon/entry.h"
#include "daemon/gossip_internal.h"
#include "store/keys.h"

#define WAITING_PER_PEER (RSN_GOSSIP_BUFFER / 8) /* one peer's share of the buffer */
#define WAITING_BYTES_MAX (16 * 1024 * 1024)     /* bytes the buffer may hold */
#define WAITING_MS 60000                         /* a waiting entry expires after */
#define HEADS_ASKED_MAX 4                        /* HeadsRequests counted as awaiting an answer */
#define HEADS_TIMEOUT_MS 10000 /* an unanswered page of heads is asked again after */
#define STAGE_ROOM 8           /* staging slots kept free when retrying waiting entries */

/* --- digests and buckets -------------------------------------------------- */

void gossip_send_digest(rsn_gossip_t *self, peer_t *p)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    rsn_counts_t c;
    rsn_ingest_counts(self->ingest, &c);
    Raison__Digest *d = rsn_arena_alloc(arena, sizeof *d);
    uint8_t *root = rsn_arena_alloc(arena, RSN_HASH_BYTES);
    if (d && root) {
        raison__digest__init(d);
        rsn_ingest_root(self->ingest, root);
        d->authors = c.authors;
        d->forks = c.forks;
        d->root.data = root;
        d->root.len = RSN_HASH_BYTES;
        uint8_t *fork_root = rsn_arena_alloc(arena, RSN_HASH_BYTES);
        static const uint8_t none[RSN_HASH_BYTES];
        if (fork_root) {
            rsn_ingest_fork_root(self->ingest, fork_root);
            if (memcmp(fork_root, none, RSN_HASH_BYTES) != 0) { /* absent: no evidence held */
                d->fork_root.data = fork_root;
                d->fork_root.len = RSN_HASH_BYTES;
            }
        }
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_DIGEST;
        f.digest = d;
        gossip_send(self, p, arena, &f);
    }
    p->last_digest_ms = gossip_now_ms();
    rsn_arena_destroy(&arena);
}

void gossip_on_digest(rsn_gossip_t *self, peer_t *p, const Raison__Digest *d)
{
    if (d->root.len != RSN_HASH_BYTES) {
        gossip_strike(self, p, "malformed digest");
        return;
    }
    uint8_t root[RSN_HASH_BYTES];
    rsn_ingest_root(self->ingest, root);
    uint8_t fork_root[RSN_HASH_BYTES];
    rsn_ingest_fork_root(self->ingest, fork_root);
    if (d->fork_root.len == RSN_HASH_BYTES &&
        memcmp(fork_root, d->fork_root.data, RSN_HASH_BYTES) != 0) {
        /* it holds evidence we may lack (when we hold some it lacks, it asks us:
         * a node with none sends no fork_root) */
        Raison__EvidenceRequest er = RAISON__EVIDENCE_REQUEST__INIT;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_EVIDENCE_REQUEST;
        f.evidence_request = &er;
        gossip_send_frame(self, p, &f);
    }
    if (memcmp(root, d->root.data, RSN_HASH_BYTES) == 0) {
        p->missing = 0;
        gossip_set_lacking(p, 0);
        p->heads_has_after = false; /* nothing differs: no walk to resume */
    } else if (p->n_outstanding == 0 && p->n_queue == 0 &&
               gossip_now_ms() - p->last_sync_ms >= RSN_GOSSIP_ROUND_MS / 2) {
        p->last_sync_ms = gossip_now_ms();
        Raison__BucketsRequest br = RAISON__BUCKETS_REQUEST__INIT;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_BUCKETS_REQUEST;
        f.buckets_request = &br;
        gossip_send_frame(self, p, &f);
    }
}

void gossip_on_buckets_request(rsn_gossip_t *self, peer_t *p)
{
    if (!gossip_allow_request(self, p, false)) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    const uint8_t(*buckets)[RSN_HASH_BYTES] = rsn_ingest_buckets(self->ingest);
    ProtobufCBinaryData *list = rsn_arena_alloc(arena, RSN_BUCKETS * sizeof *list);
    if (list) {
        for (int i = 0; i < RSN_BUCKETS; i++) {
            list[i].data = (uint8_t *)buckets[i];
            list[i].len = RSN_HASH_BYTES;
        }
        Raison__Buckets b = RAISON__BUCKETS__INIT;
        b.digests = list;
        b.n_digests = RSN_BUCKETS;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_BUCKETS;
        f.buckets = &b;
        gossip_send(self, p, arena, &f);
    }
    rsn_arena_destroy(&arena);
}

/* Whether bucket B is set in the bitmap BITS. */
static bool bucket_in(const uint8_t *bits, unsigned b)
{
    return (bits[b / 8] >> (b % 8)) & 1u;
}

/* The cursor of a head: its bucket (the author's first byte), then AUTHOR. */
static void head_cursor(uint8_t out[HEADS_CURSOR_BYTES], const uint8_t author[RSN_KEY_BYTES])
{
    out[0] = author[0];
    memcpy(out + 1, author, RSN_KEY_BYTES);
}

/* Asks P for the next page of the walk: the heads of its differing buckets,
 * after the walk's cursor when it has one (and the peer pages). */
static void ask_heads_page(rsn_gossip_t *self, peer_t *p)
{
    uint32_t list[RSN_BUCKETS];
    size_t n = 0;
    for (unsigned b = 0; b < RSN_BUCKETS; b++) {
        if (bucket_in(p->heads_buckets, b)) {
            list[n++] = b;
        }
    }
    if (n == 0) {
        return;
    }
    Raison__HeadsRequest hr = RAISON__HEADS_REQUEST__INIT;
    hr.buckets = list;
    hr.n_buckets = n;
    if (p->heads_has_after && gossip_pages_heads(p)) {
        hr.after.data = p->heads_after;
        hr.after.len = HEADS_CURSOR_BYTES;
    }
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_HEADS_REQUEST;
    f.heads_request = &hr;
    gossip_send_frame(self, p, &f);
    if (p->heads_asked < HEADS_ASKED_MAX) {
        p->heads_asked++;
    }
    p->heads_sent_ms = gossip_now_ms();
    p->heads_pages++;
}

void gossip_on_buckets(rsn_gossip_t *self, peer_t *p, const Raison__Buckets *b)
{
    if (b->n_digests != RSN_BUCKETS) {
        gossip_strike(self, p, "malformed buckets");
        return;
    }
    if (p->heads_asked > 0 && gossip_now_ms() - p->heads_sent_ms < HEADS_TIMEOUT_MS) {
        return; /* a page of the walk is still awaited: it goes on from there */
    }
    const uint8_t(*ours)[RSN_HASH_BYTES] = rsn_ingest_buckets(self->ingest);
    uint8_t diff[RSN_BUCKETS / 8] = {0};
    size_t n = 0;
    for (uint32_t i = 0; i < RSN_BUCKETS; i++) {
        if (b->digests[i].len != RSN_HASH_BYTES ||
            memcmp(b->digests[i].data, ours[i], RSN_HASH_BYTES) != 0) {
            diff[i / 8] |= (uint8_t)(1u << (i % 8));
            n++;
        }
    }
    if (n == 0) {
        p->heads_has_after = false;
        return;
    }
    memcpy(p->heads_buckets, diff, sizeof diff);
    if (!p->heads_has_after) {
        p->heads_missing = 0; /* a walk from the first head */
        p->heads_lacking = 0;
    }
    p->heads_pages = 0;
    ask_heads_page(self, p);
}

/* --- heads ------------------------------------------------------------------ */

/* The heads of one answer, built in ARENA: at most CAP, MORE when cut. */
typedef struct {
    rsn_arena_t *arena;
    Raison__Head **heads;
    size_t n;
    size_t cap;
    bool more;
} heads_t;

/* Adds AUTHOR's head (SEQ, ID) to HS; false when HS has no room left. */
static bool add_head(heads_t *hs, const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                     const uint8_t id[RSN_ID_BYTES])
{
    if (hs->n >= hs->cap) {
        return false;
    }
    Raison__Head *h = rsn_arena_alloc(hs->arena, sizeof *h);
    uint8_t *copy = rsn_arena_alloc(hs->arena, RSN_KEY_BYTES + RSN_ID_BYTES);
    if (!h || !copy) {
        return false;
    }
    raison__head__init(h);
    memcpy(copy, author, RSN_KEY_BYTES);
    memcpy(copy + RSN_KEY_BYTES, id, RSN_ID_BYTES);
    h->author.data = copy;
    h->author.len = RSN_KEY_BYTES;
    h->seq = seq;
    h->id.data = copy + RSN_KEY_BYTES;
    h->id.len = seq ? RSN_ID_BYTES : 0;
    hs->heads[hs->n++] = h;
    return true;
}

/* Adds to HS the effective head of each feed of BUCKET (the first byte of
 * its author) this node holds, in author order from the 'H' index scanned by
 * IX, after AFTER_AUTHOR when not NULL; sets MORE when one is left out for
 * want of room. */
static void add_bucket_heads(rsn_gossip_t *self, rsn_index_t *ix, unsigned bucket,
                             const uint8_t *after_author, heads_t *hs)
{
    uint8_t from[RSN_KEYLEN_ID] = {RSN_TAG_HEAD, (uint8_t)bucket};
    size_t from_len = after_author ? rsn_key_feed_head(from, after_author) : 2;
    for (rsn_index_seek(ix, from, from_len);
         rsn_index_valid(ix) && rsn_index_key(ix)[1] == (uint8_t)bucket; rsn_index_next(ix)) {
        const uint8_t *author = rsn_index_id(ix);
        uint64_t seq = 0;
        uint8_t id[RSN_ID_BYTES];
        bool frozen = false;
        if (after_author && memcmp(author, after_author, RSN_KEY_BYTES) == 0) {
            continue;
        }
        if (rsn_ingest_effective_head(self->ingest, author, &seq, id, &frozen) == 0 &&
            !add_head(hs, author, seq, id)) {
            hs->more = true;
            return;
        }
    }
}

int gossip_heads_page(rsn_gossip_t *self, rsn_arena_t *arena, const uint8_t *buckets,
                      const uint8_t *after, size_t cap, Raison__Heads *out)
{
    raison__heads__init(out);
    heads_t hs = {arena, rsn_arena_alloc(arena, (cap ? cap : 1) * sizeof *hs.heads), 0, cap, false};
    uint8_t *next = rsn_arena_alloc(arena, HEADS_CURSOR_BYTES);
    uint8_t prefix = RSN_TAG_HEAD;
    rsn_index_t ix;
    if (!hs.heads || !next ||
        rsn_index_open(&ix, self->store, &prefix, sizeof prefix, RSN_KEYLEN_ID) < 0) {
        return RSN_ERR_NOMEM;
    }
    for (unsigned b = after ? after[0] : 0; b < RSN_BUCKETS && !hs.more; b++) {
        if (bucket_in(buckets, b)) {
            add_bucket_heads(self, &ix, b, after && b == after[0] ? after + 1 : NULL, &hs);
        }
    }
    rsn_index_close(&ix);
    if (hs.more && hs.n == 0) {
        return RSN_ERR_NOMEM; /* not even one head fit: no cursor to give */
    }
    out->heads = hs.heads;
    out->n_heads = hs.n;
    out->more = hs.more;
    if (hs.more && hs.n > 0) {
        head_cursor(next, hs.heads[hs.n - 1]->author.data);
        out->next.data = next;
        out->next.len = HEADS_CURSOR_BYTES;
    }
    return 0;
}

void gossip_on_heads_request(rsn_gossip_t *self, peer_t *p, const Raison__HeadsRequest *hr)
{
    if (hr->n_buckets > RSN_BUCKETS) {
        gossip_strike(self, p, "too many buckets requested");
        return;
    }
    if (hr->after.len != 0 &&
        (hr->after.len != HEADS_CURSOR_BYTES || hr->after.data[0] != hr->after.data[1])) {
        gossip_strike(self, p, "malformed heads cursor");
        return;
    }
    if (!gossip_allow_request(self, p, false)) {
        return;
    }
    uint8_t buckets[RSN_BUCKETS / 8] = {0};
    for (size_t i = 0; i < hr->n_buckets; i++) {
        if (hr->buckets[i] < RSN_BUCKETS) {
            buckets[hr->buckets[i] / 8] |= (uint8_t)(1u << (hr->buckets[i] % 8));
        }
    }
    rsn_arena_t *arena = rsn_arena_new();
    Raison__Heads h;
    if (arena && gossip_heads_page(self, arena, buckets, hr->after.len ? hr->after.data : NULL,
                                   self->heads_page, &h) == 0) {
        /* a peer of an older protocol sends no cursor: it gets the first page */
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_HEADS;
        f.heads = &h;
        gossip_send(self, p, arena, &f);
    }
    rsn_arena_destroy(&arena);
}

/* What is wrong with page H (NULL: nothing). From a peer that pages (PAGED)
 * the heads come in (bucket, author) order and a page cut says where the
 * next one starts, at or after its last head. */
static const char *heads_fault(const Raison__Heads *h, bool paged)
{
    for (size_t i = 0; i < h->n_heads; i++) {
        const Raison__Head *their = h->heads[i];
        if (their->author.len != RSN_KEY_BYTES ||
            (their->seq > 0 && their->id.len != RSN_ID_BYTES)) {
            return "malformed head";
        }
        if (paged && i > 0 &&
            memcmp(h->heads[i - 1]->author.data, their->author.data, RSN_KEY_BYTES) >= 0) {
            return "heads out of order";
        }
    }
    if (paged && h->more) {
        if (h->next.len != HEADS_CURSOR_BYTES || h->next.data[0] != h->next.data[1] ||
            (h->n_heads > 0 &&
             memcmp(h->next.data + 1, h->heads[h->n_heads - 1]->author.data, RSN_KEY_BYTES) < 0)) {
            return "malformed heads cursor";
        }
    }
    return NULL;
}

/* Compares THEIR head with this node's and queues what P holds beyond it
 * (or, at the same height, the other branch of a fork); adds to *MISSING
 * what this node holds beyond it, to *LACKING what P holds beyond it. */
static void compare_head(rsn_gossip_t *self, peer_t *p, const Raison__Head *their,
                         uint64_t *missing, uint64_t *lacking)
{
    uint64_t seq = 0;
    uint8_t id[RSN_ID_BYTES];
    bool frozen = false;
    if (rsn_ingest_effective_head(self->ingest, their->author.data, &seq, id, &frozen) < 0) {
        return;
    }
    uint64_t fork_at = frozen ? rsn_ingest_frozen_at(self->ingest, their->author.data) : 0;
    uint64_t want_to = fork_at && their->seq >= fork_at ? fork_at - 1 : their->seq;
    if (want_to > seq) {
        gossip_queue_range(p, their->author.data, seq + 1, want_to, false);
        *lacking += want_to - seq;
    } else if (!frozen && their->seq == seq && seq > 0 &&
               memcmp(their->id.data, id, RSN_ID_BYTES) != 0) {
        /* same height, another entry: fetch it to get the fork evidence */
        gossip_queue_range(p, their->author.data, seq, seq, true);
    } else if (their->seq < seq) {
        *missing += seq - their->seq;
    }
}

/* Page H of P's walk was compared up to its DONE first heads (fewer than
 * all: the queue filled up): moves the walk's cursor on, and asks the next
 * page now, unless the round's bound is reached or the queue is full (the
 * next round resumes at the cursor). The last page ends the walk. */
static void follow_heads(rsn_gossip_t *self, peer_t *p, const Raison__Heads *h, size_t done)
{
    uint8_t resume[HEADS_CURSOR_BYTES];
    bool cut = done < h->n_heads;
    if (cut && done == 0) {
        return; /* nothing compared: resume where this page was asked */
    }
    if (cut) {
        head_cursor(resume, h->heads[done - 1]->author.data);
    } else if (h->more) {
        memcpy(resume, h->next.data, HEADS_CURSOR_BYTES);
    } else {
        p->missing = p->heads_missing; /* the walk is over */
        p->heads_missing = 0;
        gossip_set_lacking(p, p->heads_lacking);
        p->heads_lacking = 0;
        p->heads_has_after = false;
        return;
    }
    if (p->heads_has_after && memcmp(resume, p->heads_after, HEADS_CURSOR_BYTES) <= 0) {
        return; /* a page answered late: the walk is past it */
    }
    memcpy(p->heads_after, resume, HEADS_CURSOR_BYTES);
    p->heads_has_after = true;
    if (!cut && p->heads_pages < RSN_GOSSIP_HEADS_PAGES) {
        ask_heads_page(self, p);
    }
}

void gossip_on_heads(rsn_gossip_t *self, peer_t *p, const Raison__Heads *h)
{
    if (p->heads_asked == 0) {
        gossip_strike(self, p, "heads it was not asked for");
        return;
    }
    p->heads_asked--; /* one page answers one request */
    if (h->n_heads > HEADS_PAGE_MAX) {
        gossip_strike(self, p, "too many heads");
        return;
    }
    bool paged = gossip_pages_heads(p);
    const char *fault = heads_fault(h, paged);
    if (fault) {
        gossip_strike(self, p, fault);
        return;
    }
    uint64_t missing = 0, lacking = 0;
    size_t done = 0;
    for (; done < h->n_heads && !(paged && gossip_queue_full(p)); done++) {
        compare_head(self, p, h->heads[done], &missing, &lacking);
    }
    if (paged) {
        p->heads_missing += missing; /* over the pages of one walk */
        p->heads_lacking += lacking;
        follow_heads(self, p, h, done);
    } else {
        p->missing = missing; /* an older peer sends one page: all there is */
        gossip_set_lacking(p, lacking);
    }
    gossip_send_wants(self, p);
}

/* --- answering Wants ------------------------------------------------------ */

/* One EntryBatch being filled: at most RSN_GOSSIP_BATCH entries and about
 * FRAME_BYTES_SOFT bytes. */
typedef struct {
    Raison__SignedEntry **list;
    size_t count;
    size_t bytes;
} batch_t;

static bool batch_full(const batch_t *b)
{
    return b->count >= RSN_GOSSIP_BATCH || b->bytes >= FRAME_BYTES_SOFT;
}

/* Adds to B the entries of R's author from R's from_seq to its to_seq, in
 * order, read from the 'S' index. RSN_ERR_NOMEM when the scan cannot start. */
static int add_range(rsn_gossip_t *self, rsn_arena_t *arena, const Raison__WantRange *r, batch_t *b)
{
    uint8_t from[RSN_KEY_MAX], prefix[RSN_KEY_MAX];
    size_t from_len = rsn_key_feed_seq(from, r->author.data, r->from_seq);
    size_t prefix_len = rsn_key_prefix(prefix, RSN_TAG_SEQ, r->author.data);
    rsn_iter_t *it = rsn_iter_new(self->store, prefix, prefix_len);
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    for (rsn_iter_seek(it, from, from_len); rsn_iter_valid(it) && !batch_full(b);
         rsn_iter_next(it)) {
        size_t kl = 0, vl = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        const uint8_t *index = rsn_iter_value(it, &vl);
        if (kl != RSN_KEYLEN_ID_N || vl != 8 || rsn_be64_get(key + RSN_KEYLEN_ID) > r->to_seq) {
            break;
        }
        Raison__SignedEntry **se = &b->list[b->count];
        if (rsn_signed_load_at(self->store, arena, rsn_be64_get(index), se) == 0) {
            b->bytes += (*se)->entry.len + (*se)->signature.len + (*se)->body.len + 16;
            b->count++;
        }
    }
    rsn_iter_destroy(&it);
    return 0;
}

void gossip_on_want(rsn_gossip_t *self, peer_t *p, const Raison__Want *w)
{
    if (w->n_ranges > WANT_RANGES_PER_FRAME) {
        gossip_strike(self, p, "too many ranges wanted");
        return;
    }
    if (!gossip_allow_request(self, p, true)) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    batch_t batch = {rsn_arena_alloc(arena, RSN_GOSSIP_BATCH * sizeof *batch.list), 0, 0};
    for (size_t i = 0; batch.list && i < w->n_ranges && !batch_full(&batch); i++) {
        const Raison__WantRange *r = w->ranges[i];
        if (r->author.len != RSN_KEY_BYTES || r->from_seq == 0 || r->to_seq < r->from_seq) {
            gossip_strike(self, p, "malformed want");
            break;
        }
        if (add_range(self, arena, r, &batch) < 0) {
            break;
        }
    }
    Raison__EntryBatch b = RAISON__ENTRY_BATCH__INIT;
    b.entries = batch.list;
    b.n_entries = batch.count;
    b.push = false;
    gossip_fill_absent(self, arena, &b);
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_ENTRIES;
    f.entries = &b;
    gossip_send(self, p, arena, &f);
    p->entries_sent += batch.count;
    rsn_arena_destroy(&arena);
}

/* --- the out-of-order buffer ---------------------------------------------- */

/* Frees W's copies; the callers keep the byte count. */
static void waiting_free(waiting_t *w)
{
    free(w->entry);
    free(w->body);
    memset(w, 0, sizeof *w);
}

void gossip_waiting_free_all(rsn_gossip_t *self)
{
    for (size_t i = 0; i < self->n_waiting; i++) {
        waiting_free(&self->waiting[i]);
    }
    self->n_waiting = 0;
    self->waiting_bytes = 0;
}

/* Drops waiting entry W (its slot is compacted away by the caller). */
static void waiting_drop(rsn_gossip_t *self, waiting_t *w)
{
    self->waiting_bytes -= w->entry_len + w->body_len;
    waiting_free(w);
}

/* The buffer holds its first KEPT entries now: clears the slots after. */
static void waiting_compact(rsn_gossip_t *self, size_t kept)
{
    for (size_t i = kept; i < self->n_waiting; i++) {
        memset(&self->waiting[i], 0, sizeof self->waiting[i]);
    }
    self->n_waiting = kept;
}

void gossip_drop_waiting_of(rsn_gossip_t *self, int pi)
{
    size_t j = 0;
    for (size_t i = 0; i < self->n_waiting; i++) {
        waiting_t *w = &self->waiting[i];
        if (w->peer == pi) {
            waiting_drop(self, w);
        } else {
            self->waiting[j++] = *w;
        }
    }
    waiting_compact(self, j);
}

/* Keeps a copy of SE (AUTHOR's SEQ, from peer slot PEER) until its
 * predecessor is held; when the buffer or the peer's share is full it is
 * not kept: anti-entropy fetches it again in order. */
static void buffer_entry(rsn_gossip_t *self, int peer, const Raison__SignedEntry *se,
                         const uint8_t author[RSN_KEY_BYTES], uint64_t seq)
{
    size_t mine = 0;
    for (size_t i = 0; i < self->n_waiting; i++) {
        const waiting_t *w = &self->waiting[i];
        if (w->seq == seq && memcmp(w->author, author, RSN_KEY_BYTES) == 0) {
            return;
        }
        mine += w->peer == peer;
    }
    size_t bytes = se->entry.len + se->body.len;
    if (self->n_waiting >= RSN_GOSSIP_BUFFER || mine >= WAITING_PER_PEER ||
        self->waiting_bytes + bytes > WAITING_BYTES_MAX) {
        return;
    }
    waiting_t *w = &self->waiting[self->n_waiting];
    w->entry = malloc(se->entry.len);
    w->body = malloc(se->body.len ? se->body.len : 1);
    if (!w->entry || !w->body || se->signature.len != RSN_SIG_BYTES) {
        waiting_free(w);
        return;
    }
    memcpy(w->author, author, RSN_KEY_BYTES);
    w->seq = seq;
    w->peer = peer;
    memcpy(w->entry, se->entry.data, se->entry.len);
    w->entry_len = se->entry.len;
    memcpy(w->signature, se->signature.data, RSN_SIG_BYTES);
    if (se->body.len) {
        memcpy(w->body, se->body.data, se->body.len);
    }
    w->body_len = se->body.len;
    w->has_body = se->body.len > 0;
    w->since_ms = gossip_now_ms();
    self->waiting_bytes += bytes;
    self->n_waiting++;
}

/* --- staging what arrives ------------------------------------------------- */

int gossip_stage_from_peer(rsn_gossip_t *self, int pi, const rsn_ingest_input_t *in,
                           rsn_ingest_result_t *res, bool may_strike)
{
    peer_t *p = &self->peers[pi];
    char why[256] = "";
    rsn_ingest_input_t relayed = *in;
    relayed.origin = RSN_INGEST_RELAYED;
    relayed.from = p->key;
    int rc = rsn_ingest_stage(self->ingest, &relayed, res, why, sizeof why);
    if (rc == 0) {
        if (!res->duplicate) {
            p->entries_received++;
            gossip_remember_origin(self, res->id, pi);
            self->retry_waiting = true;
        }
        gossip_count_staged(self, p, res);
    } else if (rc == RSN_ERR_FORK || rc == RSN_ERR_FEED_FROZEN || rc == RSN_ERR_BUSY) {
        /* evidence staged, or a frozen feed: nothing wrong with the peer */
    } else if (rc != RSN_ERR_BAD_SEQ && rc != RSN_ERR_BAD_PREV && may_strike) {
        /* (not from the waiting buffer: a ban there would free what it walks) */
        gossip_strike(self, p, why[0] ? why : rsn_strerror(rc));
    }
    return rc;
}

/* SE from peer slot PI did not follow its feed's head (RC is RSN_ERR_BAD_SEQ
 * or RSN_ERR_BAD_PREV): ask for what lies between. */
static void out_of_order(rsn_gossip_t *self, int pi, rsn_arena_t *arena,
                         const Raison__SignedEntry *se, int rc)
{
    peer_t *p = &self->peers[pi];
    Raison__Entry *e = NULL;
    if (rsn_entry_decode(arena, se->entry.data, se->entry.len, &e, NULL, 0) < 0) {
        return;
    }
    uint64_t seq = 0;
    uint8_t id[RSN_ID_BYTES];
    bool frozen = false;
    if (rsn_ingest_effective_head(self->ingest, e->author.data, &seq, id, &frozen) < 0) {
        return;
    }
    if (rc == RSN_ERR_BAD_SEQ) {
        /* ahead of its predecessor: wait for it, and ask */
        buffer_entry(self, pi, se, e->author.data, e->seq);
        gossip_queue_range(p, e->author.data, seq + 1, e->seq - 1, false);
    } else {
        /* another branch below: fetch it to learn the fork */
        gossip_queue_range(p, e->author.data, seq ? seq : 1, e->seq - 1, seq > 0);
    }
}

void gossip_on_entries(rsn_gossip_t *self, peer_t *p, const Raison__EntryBatch *b)
{
    int pi = gossip_peer_slot(self, p);
    if (b->n_entries > RSN_GOSSIP_BATCH) {
        gossip_strike(self, p, "entry batch over the limit");
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    rsn_ingest_input_t *in = rsn_arena_alloc(arena, (b->n_entries + 1) * sizeof *in);
    if (!in) {
        goto out;
    }
    memset(in, 0, (b->n_entries + 1) * sizeof *in);
    for (size_t i = 0; i < b->n_entries; i++) {
        const Raison__SignedEntry *se = b->entries[i];
        in[i] = (rsn_ingest_input_t){.entry = se->entry.data,
                                     .entry_len = se->entry.len,
                                     .signature = se->signature.data,
                                     .signature_len = se->signature.len,
                                     .body = se->body.data,
                                     .body_len = se->body.len,
                                     .has_body = se->body.len > 0};
    }
    if (gossip_read_absent(self, p, b, in) < 0) {
        goto out;
    }
    if (b->n_entries > 1 && !self->verified_ahead) {
        rsn_ingest_preverify(self->ingest, in, b->n_entries);
    }
    for (size_t i = 0; i < b->n_entries && self->peers[pi].used; i++) {
        rsn_ingest_result_t res;
        int rc = gossip_stage_from_peer(self, pi, &in[i], &res, true);
        if (rc == RSN_ERR_BAD_SEQ || rc == RSN_ERR_BAD_PREV) {
            out_of_order(self, pi, arena, b->entries[i], rc);
        }
    }
    if (!b->push) {
        gossip_want_answered(p, b->n_entries == 0);
    }
out:
    rsn_arena_destroy(&arena);
}

/* Whether waiting entry W stays: false when it expired, is held already,
 * its feed froze, or it was staged now (PROGRESS set). */
static bool retry_one(rsn_gossip_t *self, waiting_t *w, bool *progress)
{
    uint64_t seq = 0;
    uint8_t id[RSN_ID_BYTES];
    bool frozen = false;
    if (gossip_now_ms() - w->since_ms > WAITING_MS) {
        return false; /* its predecessor never came */
    }
    if (rsn_ingest_effective_head(self->ingest, w->author, &seq, id, &frozen) < 0) {
        return true;
    }
    if (w->seq <= seq || frozen) {
        return false; /* held already, or the feed froze */
    }
    if (w->seq == seq + 1 && w->peer >= 0 &&
        rsn_ingest_pending(self->ingest) < RSN_INGEST_BATCH_MAX - STAGE_ROOM) {
        rsn_ingest_result_t res;
        (void)gossip_stage_from_peer(self, w->peer,
                                     &(rsn_ingest_input_t){.entry = w->entry,
                                                           .entry_len = w->entry_len,
                                                           .signature = w->signature,
                                                           .signature_len = RSN_SIG_BYTES,
                                                           .body = w->body,
                                                           .body_len = w->body_len,
                                                           .has_body = w->has_body},
                                     &res, false);
        *progress = true;
        return false;
    }
    return true;
}

void gossip_retry_waiting(rsn_gossip_t *self)
{
    if (!self->retry_waiting || self->n_waiting == 0) {
        self->retry_waiting = false;
        return;
    }
    self->retry_waiting = false;
    bool progress = true;
    while (progress && rsn_ingest_pending(self->ingest) < RSN_INGEST_BATCH_MAX - STAGE_ROOM) {
        progress = false;
        size_t j = 0;
        for (size_t i = 0; i < self->n_waiting; i++) {
            waiting_t *w = &self->waiting[i];
            if (retry_one(self, w, &progress)) {
                self->waiting[j++] = *w;
            } else {
                waiting_drop(self, w);
            }
        }
        waiting_compact(self, j);
    }
}
