/* scale_shape.c — the generator of bench_scale's entries (scale_shape.h):
 * the shape's sizes, the authors' keys from seeds, and a resumable walk
 * through four phases (profiles; charters; memberships; the year of posts,
 * replies, retractions, amendments and site changes), each entry made with
 * support/entries.h's rsn_test_entry_make over a body from
 * support/bodies.h; signing on threads, each with its own cache of
 * keypairs (a keypair lives in sodium_malloc'd pages, so a hundred thousand
 * of them at once would exhaust the process's memory maps). */
#include "scale_shape.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keypair.h"
#include "support/bodies.h"

#define DAY_MS (24ULL * 3600 * 1000)
#define BUSY_RING 4096 /* recent posts of the busy group a reply or retraction picks from */
#define RING 32        /* the same for another group */
#define MAX_OWNERS 3
#define MAX_MISSIONS 6
#define SIGN_THREADS_MAX 8
#define KEY_CACHE 1024 /* keypairs each signing thread keeps */

static const char LOREM[] =
    "we moved the deploy window to thursday so that the on-call rotation overlaps with the "
    "release train; the runbook has the new steps, and the dashboards now show the error "
    "budget per service, which should make the weekly review shorter and the hand-over clearer "
    "for the people joining from the other sites next month";

typedef struct {
    uint8_t id[RSN_ID_BYTES];
    uint32_t author;
    bool live;
} ring_slot_t;

typedef struct {
    uint8_t id[RSN_ID_BYTES];  /* charter v1's id */
    uint8_t cur[RSN_ID_BYTES]; /* the current version's id */
    uint32_t version;
    uint32_t n_missions;
    bool members_only;
    uint32_t owners[MAX_OWNERS];
    uint32_t n_owners;
    uint32_t *members;
    size_t n_members;
    ring_slot_t *ring;
    size_t ring_cap, ring_n, ring_next;
} group_t;

typedef enum { PH_PROFILES, PH_CHARTERS, PH_MEMBERS, PH_YEAR, PH_DONE } phase_t;

typedef struct {
    uint32_t group;
    uint32_t version;
} amend_t;

struct scale_gen {
    scale_shape_t shape;
    scale_facts_t facts;
    uint64_t rng;
    rsn_arena_t *arena; /* the current chunk's bytes */
    uint8_t (*pk)[RSN_KEY_BYTES];
    uint8_t (*head)[RSN_ID_BYTES];
    uint32_t *seq;
    uint8_t *site;
    group_t *groups;
    amend_t *amends;
    size_t n_amends;
    phase_t phase;
    size_t step;       /* entries made in this phase */
    size_t phase_len;  /* entries the phase makes */
    size_t busy_left;  /* members phase: busy members to add; year: busy posts */
    size_t other_next; /* members phase: the next other-group task */
    size_t other_tasks;
    bool join_due; /* an add was made: its join comes next */
    uint32_t join_member, join_group;
    uint8_t join_answers[RSN_ID_BYTES];
    size_t posts_left, retractions_left, changes_left, amends_next, broken_left;
    size_t year_slot;
    rsn_keypair_t *cache[SIGN_THREADS_MAX][KEY_CACHE];
    uint32_t cache_who[SIGN_THREADS_MAX][KEY_CACHE];
};

/* ------------------------------------------------------------- the shape -- */

static size_t at_least(double v, size_t floor)
{
    return v < (double)floor ? floor : (size_t)v;
}

static bool members_only_group(size_t g)
{
    return g == 0 || g % 7 == 0;
}

void scale_shape_for(scale_shape_t *s, size_t total, uint64_t base_ms)
{
    double k = (double)total / 1e6;
    memset(s, 0, sizeof *s);
    s->total = total;
    s->base_ms = base_ms;
    s->authors = at_least(100000 * k, 60);
    s->groups = at_least(1000 * k, 4);
    s->busy_members = at_least(50000 * k, 10);
    s->other_members = s->authors / 4 < 40 ? s->authors / 4 : 40;
    s->profile_changes = at_least(s->authors / 100.0, 1);
    s->amendments = 2; /* the busy group's v2 and v3 */
    for (size_t g = 1; g < s->groups; g++) {
        s->amendments += (g % 10 == 1) + (g % 30 == 1);
    }
    size_t member_entries = 2 * s->busy_members;
    for (size_t g = 1; g < s->groups; g++) {
        member_entries += s->other_members * (members_only_group(g) ? 2 : 1);
    }
    size_t fixed = s->authors + s->profile_changes + s->groups + s->amendments + member_entries +
                   SCALE_KNOWN_BROKEN;
    size_t rest = total > fixed ? total - fixed : 0;
    s->posts = at_least(rest / 1.01, 4 * s->groups);
    s->retractions = rest > s->posts ? rest - s->posts : s->posts / 100;
    s->busy_posts = at_least(300000 * k, 2);
    if (s->busy_posts > s->posts / 2) {
        s->busy_posts = s->posts / 2;
    }
}

/* ------------------------------------------------------------ randomness -- */

static uint64_t next_u64(scale_gen_t *self)
{
    uint64_t z = (self->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t below(scale_gen_t *self, size_t n)
{
    return n == 0 ? 0 : (size_t)(next_u64(self) % n);
}

static double unit(scale_gen_t *self)
{
    return (double)(next_u64(self) >> 11) / 9007199254740992.0;
}

/* The seed of author A: SHA-256 of its name. */
static void author_seed(uint8_t seed[32], uint32_t a)
{
    char name[48];
    int len = snprintf(name, sizeof name, "raison bench_scale author %" PRIu32, a);
    rsn_sha256(seed, name, (size_t)len);
}

/* --------------------------------------------------------------- set-up -- */

static bool in(const uint32_t *list, size_t n, uint32_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] == v) {
            return true;
        }
    }
    return false;
}

static int setup_group(scale_gen_t *self, size_t g, const uint32_t *perm)
{
    const scale_shape_t *s = &self->shape;
    group_t *gr = &self->groups[g];
    gr->members_only = members_only_group(g);
    gr->n_missions = 2 + (uint32_t)below(self, 3);
    gr->version = 1;
    if (g == 0) {
        gr->owners[0] = 0;
        gr->owners[1] = 1;
        gr->n_owners = 2;
    } else {
        gr->n_owners = 1 + (uint32_t)below(self, MAX_OWNERS);
        for (uint32_t i = 0; i < gr->n_owners; i++) {
            gr->owners[i] = (uint32_t)below(self, s->authors);
        }
    }
    size_t want = g == 0 ? s->busy_members : s->other_members;
    gr->members = calloc(want + 1, sizeof *gr->members);
    gr->ring_cap = g == 0 ? BUSY_RING : RING;
    gr->ring = calloc(gr->ring_cap, sizeof *gr->ring);
    if (gr->members == NULL || gr->ring == NULL) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; gr->n_members < want && i < s->authors; i++) {
        uint32_t a = g == 0 ? perm[i] : (uint32_t)below(self, s->authors);
        if (!in(gr->owners, gr->n_owners, a) && !in(gr->members, gr->n_members, a)) {
            gr->members[gr->n_members++] = a;
        }
    }
    return 0;
}

static int setup(scale_gen_t *self)
{
    const scale_shape_t *s = &self->shape;
    self->pk = calloc(s->authors, sizeof *self->pk);
    self->head = calloc(s->authors, sizeof *self->head);
    self->seq = calloc(s->authors, sizeof *self->seq);
    self->site = calloc(s->authors, sizeof *self->site);
    self->groups = calloc(s->groups, sizeof *self->groups);
    self->amends = calloc(s->amendments + 1, sizeof *self->amends);
    uint32_t *perm = calloc(s->authors, sizeof *perm);
    int rc = RSN_ERR_NOMEM;
    if (!self->pk || !self->head || !self->seq || !self->site || !self->groups || !self->amends ||
        !perm) {
        goto out;
    }
    for (uint32_t a = 0; a < s->authors; a++) {
        uint8_t seed[32];
        author_seed(seed, a);
        rsn_keypair_t *kp = rsn_keypair_from_seed(seed);
        if (kp == NULL) {
            goto out;
        }
        memcpy(self->pk[a], rsn_keypair_public(kp), RSN_KEY_BYTES);
        rsn_keypair_destroy(&kp);
        self->site[a] = (uint8_t)below(self, SCALE_SITES);
        perm[a] = a;
    }
    for (size_t i = s->authors - 1; i > 0; i--) {
        size_t j = below(self, i + 1);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t g = 0; g < s->groups; g++) {
        if ((rc = setup_group(self, g, perm)) != 0) {
            goto out;
        }
    }
    /* every v2 before any v3 */
    self->amends[self->n_amends++] = (amend_t){0, 2};
    for (size_t g = 1; g < s->groups; g++) {
        if (g % 10 == 1) {
            self->amends[self->n_amends++] = (amend_t){(uint32_t)g, 2};
        }
    }
    self->amends[self->n_amends++] = (amend_t){0, 3};
    for (size_t g = 1; g < s->groups; g++) {
        if (g % 30 == 1) {
            self->amends[self->n_amends++] = (amend_t){(uint32_t)g, 3};
        }
    }
    size_t n_authors = s->authors < SCALE_SAMPLE_KEYS ? s->authors : SCALE_SAMPLE_KEYS;
    for (size_t i = 0; i < n_authors; i++) {
        memcpy(self->facts.author[i], self->pk[i * s->authors / n_authors], RSN_KEY_BYTES);
    }
    self->facts.n_authors = n_authors;
    rc = 0;
out:
    free(perm);
    return rc;
}

int scale_gen_new(scale_gen_t **out, const scale_shape_t *shape)
{
    scale_gen_t *self = calloc(1, sizeof *self);
    if (self == NULL) {
        return RSN_ERR_NOMEM;
    }
    self->shape = *shape;
    self->rng = 0x5ca1ab1e ^ shape->total;
    self->phase = PH_PROFILES;
    self->phase_len = shape->authors;
    int rc = setup(self);
    if (rc != 0) {
        scale_gen_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void scale_gen_destroy(scale_gen_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    scale_gen_t *self = *self_p;
    for (size_t g = 0; self->groups && g < self->shape.groups; g++) {
        free(self->groups[g].members);
        free(self->groups[g].ring);
    }
    for (size_t t = 0; t < SIGN_THREADS_MAX; t++) {
        for (size_t i = 0; i < KEY_CACHE; i++) {
            rsn_keypair_destroy(&self->cache[t][i]);
        }
    }
    free(self->pk);
    free(self->head);
    free(self->seq);
    free(self->site);
    free(self->groups);
    free(self->amends);
    rsn_arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

const scale_facts_t *scale_gen_facts(const scale_gen_t *self)
{
    return &self->facts;
}

/* ------------------------------------------------------------- entries -- */

/* The claimed time of the next entry: the phases share the year out. */
static uint64_t now_ms(const scale_gen_t *self)
{
    static const uint64_t start_day[] = {0, 1, 10, 40, 365};
    uint64_t from = start_day[self->phase] * DAY_MS;
    uint64_t span = (start_day[self->phase + 1] - start_day[self->phase]) * DAY_MS;
    size_t len = self->phase_len > 0 ? self->phase_len : 1;
    return self->shape.base_ms + from + (uint64_t)((double)span * (double)self->step / (double)len);
}

/* Makes author A's next entry of KIND over BODY into C. */
static int emit(scale_gen_t *self, scale_chunk_t *c, uint32_t a, Raison__Kind kind,
                const void *body, uint8_t id_out[RSN_ID_BYTES])
{
    if (body == NULL) {
        return RSN_ERR_NOMEM;
    }
    rsn_test_header_t h = {.seq = self->seq[a] + 1ULL,
                           .prev = self->seq[a] > 0 ? self->head[a] : NULL,
                           .timestamp_ms = now_ms(self),
                           .kind = kind};
    rsn_test_signed_t *s = &c->all[c->n];
    int rc = rsn_test_entry_make(self->arena, self->pk[a], &h, body, s);
    if (rc != 0) {
        return rc;
    }
    c->order[c->n] = s;
    c->author[c->n] = a;
    c->broken[c->n] = false;
    c->n++;
    self->seq[a]++;
    memcpy(self->head[a], s->id, RSN_ID_BYTES);
    scale_facts_t *f = &self->facts;
    size_t every = self->shape.total / SCALE_SAMPLE_KEYS + 1;
    if (f->made % every == every / 2 && f->n_entries < SCALE_SAMPLE_KEYS) {
        memcpy(f->entry[f->n_entries++], s->id, RSN_ID_BYTES);
    }
    f->made++;
    f->signed_bytes += s->entry_len + RSN_SIG_BYTES + s->body_len;
    f->by_kind[kind]++;
    if (id_out != NULL) {
        memcpy(id_out, s->id, RSN_ID_BYTES);
    }
    self->step++;
    return 0;
}

static int emit_profile(scale_gen_t *self, scale_chunk_t *c, uint32_t a)
{
    char name[32], site[16];
    snprintf(name, sizeof name, "person %" PRIu32, a);
    snprintf(site, sizeof site, "site-%02u", self->site[a]);
    Raison__Profile *p = rsn_test_body_profile(self->arena, name, site);
    if (p != NULL) {
        p->role = a % 5 == 0 ? "lead" : "engineer";
    }
    return emit(self, c, a, RAISON__KIND__KIND_PROFILE, p, NULL);
}

static void group_name(char *out, size_t size, size_t g)
{
    if (g == 0) {
        snprintf(out, size, "busy");
    } else {
        snprintf(out, size, "team-%04zu", g);
    }
}

static Raison__Charter *charter_body(scale_gen_t *self, size_t g, uint32_t n_missions)
{
    const group_t *gr = &self->groups[g];
    char name[32], missions[64] = "";
    group_name(name, sizeof name, g);
    for (uint32_t m = 0; m < n_missions; m++) {
        size_t used = strlen(missions);
        snprintf(missions + used, sizeof missions - used, "%sm%" PRIu32, m ? "," : "", m);
    }
    const uint8_t *owners[MAX_OWNERS];
    for (uint32_t i = 0; i < gr->n_owners; i++) {
        owners[i] = self->pk[gr->owners[i]];
    }
    return rsn_test_body_charter(self->arena, name,
                                 gr->members_only ? RAISON__ACCESS__ACCESS_MEMBERS_ONLY
                                                  : RAISON__ACCESS__ACCESS_OPEN,
                                 missions, owners, gr->n_owners, 0);
}

static int emit_charter(scale_gen_t *self, scale_chunk_t *c, size_t g)
{
    group_t *gr = &self->groups[g];
    int rc = emit(self, c, gr->owners[0], RAISON__KIND__KIND_CHARTER,
                  charter_body(self, g, gr->n_missions), gr->id);
    memcpy(gr->cur, gr->id, RSN_ID_BYTES);
    scale_facts_t *f = &self->facts;
    if (g == 0) {
        memcpy(f->busy, gr->id, RSN_ID_BYTES);
        group_name(f->busy_name, sizeof f->busy_name, g);
    } else if (f->n_groups < SCALE_SAMPLE_KEYS) {
        memcpy(f->group[f->n_groups], gr->id, RSN_ID_BYTES);
        group_name(f->group_name[f->n_groups], sizeof f->group_name[0], g);
        f->n_groups++;
    }
    return rc;
}

static int emit_amendment(scale_gen_t *self, scale_chunk_t *c, const amend_t *am)
{
    group_t *gr = &self->groups[am->group];
    if (gr->version + 1 != am->version || gr->n_missions >= MAX_MISSIONS) {
        return RSN_ERR_INTERNAL;
    }
    Raison__Charter *ch = charter_body(self, am->group, gr->n_missions + 1);
    if (ch != NULL) {
        ch = rsn_test_body_amend(self->arena, ch, gr->id, gr->cur, am->version);
    }
    uint8_t id[RSN_ID_BYTES];
    int rc = emit(self, c, gr->owners[0], RAISON__KIND__KIND_CHARTER, ch, id);
    if (rc == 0) {
        memcpy(gr->cur, id, RSN_ID_BYTES);
        gr->version = am->version;
        gr->n_missions++;
    }
    return rc;
}

/* The add of MEMBER to group G by its founder (members-only groups). */
static int emit_add(scale_gen_t *self, scale_chunk_t *c, uint32_t g, uint32_t member)
{
    group_t *gr = &self->groups[g];
    Raison__Membership *m = rsn_test_body_membership(
        self->arena, gr->id, RAISON__ACTION__ACTION_ADD, self->pk[member], gr->cur);
    if (m != NULL) {
        m->member_seq = self->seq[member];
    }
    self->join_due = true;
    self->join_member = member;
    self->join_group = g;
    return emit(self, c, gr->owners[0], RAISON__KIND__KIND_MEMBERSHIP, m, self->join_answers);
}

/* MEMBER's join of group G, answering the add just made when ANSWERS. */
static int emit_join(scale_gen_t *self, scale_chunk_t *c, uint32_t g, uint32_t member,
                     const uint8_t *answers)
{
    group_t *gr = &self->groups[g];
    Raison__Membership *m =
        rsn_test_body_membership(self->arena, gr->id, RAISON__ACTION__ACTION_JOIN, NULL, gr->cur);
    if (m != NULL && answers != NULL) {
        m->answers.data = rsn_arena_memdup(self->arena, answers, RSN_ID_BYTES);
        m->answers.len = m->answers.data ? RSN_ID_BYTES : 0;
    }
    self->join_due = false;
    return emit(self, c, member, RAISON__KIND__KIND_MEMBERSHIP, m, NULL);
}

static int members_step(scale_gen_t *self, scale_chunk_t *c)
{
    if (self->join_due) {
        return emit_join(self, c, self->join_group, self->join_member, self->join_answers);
    }
    const scale_shape_t *s = &self->shape;
    size_t other_left = self->other_tasks - self->other_next;
    group_t *busy = &self->groups[0];
    if (self->busy_left > 0 && below(self, self->busy_left + other_left) < self->busy_left) {
        uint32_t member = busy->members[busy->n_members - self->busy_left--];
        return emit_add(self, c, 0, member);
    }
    size_t t = self->other_next++;
    uint32_t g = (uint32_t)(1 + t % (s->groups - 1));
    group_t *gr = &self->groups[g];
    size_t j = t / (s->groups - 1);
    if (j >= gr->n_members) {
        return 1; /* this group has fewer members: nothing made */
    }
    if (gr->members_only) {
        return emit_add(self, c, g, gr->members[j]);
    }
    return emit_join(self, c, g, gr->members[j], NULL);
}

/* A live post of group GR, from the newest SPAN of its ring; NULL if none. */
static ring_slot_t *pick_live(scale_gen_t *self, group_t *gr, size_t span)
{
    size_t n = gr->ring_n < span ? gr->ring_n : span;
    for (int tries = 0; n > 0 && tries < 8; tries++) {
        size_t back = 1 + below(self, n);
        ring_slot_t *r = &gr->ring[(gr->ring_next + gr->ring_cap - back) % gr->ring_cap];
        if (r->live) {
            return r;
        }
    }
    return NULL;
}

static int emit_post(scale_gen_t *self, scale_chunk_t *c, uint32_t g, bool broken)
{
    group_t *gr = &self->groups[g];
    double u = unit(self);
    uint32_t a = g == 0 ? gr->members[(size_t)((double)gr->n_members * u * u)]
                        : gr->members[below(self, gr->n_members)];
    const ring_slot_t *parent = NULL;
    if (!broken && below(self, 3) == 0) {
        parent = pick_live(self, gr, g == 0 && below(self, 10) == 0 ? BUSY_RING : 64);
    }
    char mission[16];
    snprintf(mission, sizeof mission, broken ? "no-such-mission" : "m%zu",
             below(self, gr->n_missions));
    int len = 40 + (int)below(self, sizeof LOREM - 41);
    char *text = rsn_arena_printf(self->arena, "%" PRIu64 ": %.*s", self->facts.made, len, LOREM);
    Raison__Post *p =
        text ? rsn_test_body_post(self->arena, gr->id, mission, text, parent ? parent->id : NULL)
             : NULL;
    if (p != NULL) {
        p->charter.data = rsn_arena_memdup(self->arena, gr->cur, RSN_ID_BYTES);
        p->charter.len = p->charter.data ? RSN_ID_BYTES : 0;
    }
    if (parent != NULL) {
        self->facts.replies++;
        self->facts.cross_site += self->site[parent->author] != self->site[a];
    }
    uint8_t id[RSN_ID_BYTES];
    int rc = emit(self, c, a, RAISON__KIND__KIND_POST, p, id);
    if (rc != 0) {
        return rc;
    }
    if (broken) {
        c->broken[c->n - 1] = true;
        self->facts.known_broken++;
        return 0;
    }
    ring_slot_t *slot = &gr->ring[gr->ring_next];
    memcpy(slot->id, id, RSN_ID_BYTES);
    slot->author = a;
    slot->live = true;
    gr->ring_next = (gr->ring_next + 1) % gr->ring_cap;
    gr->ring_n += gr->ring_n < gr->ring_cap;
    return 0;
}

static int emit_retraction(scale_gen_t *self, scale_chunk_t *c)
{
    size_t g = below(self, 3) == 0 ? 0 : 1 + below(self, self->shape.groups - 1);
    ring_slot_t *r = pick_live(self, &self->groups[g], RING);
    if (r == NULL) {
        return emit_post(self, c, (uint32_t)g, false);
    }
    bool erase = below(self, 3) == 0;
    r->live = false;
    self->facts.erasures += erase;
    return emit(self, c, r->author, RAISON__KIND__KIND_RETRACTION,
                rsn_test_body_retraction(self->arena, r->id, erase), NULL);
}

static int emit_site_change(scale_gen_t *self, scale_chunk_t *c)
{
    uint32_t a = (uint32_t)below(self, self->shape.authors);
    self->site[a] = (uint8_t)((self->site[a] + 1 + below(self, SCALE_SITES - 1)) % SCALE_SITES);
    return emit_profile(self, c, a);
}

static int year_step(scale_gen_t *self, scale_chunk_t *c)
{
    size_t slot = self->year_slot++;
    size_t every = self->phase_len / (SCALE_KNOWN_BROKEN + 1) + 1;
    if (self->broken_left > 0 && slot % every == every - 1) {
        self->broken_left--;
        return emit_post(self, c, 1, true);
    }
    size_t left = self->posts_left + self->retractions_left + self->changes_left +
                  (self->n_amends - self->amends_next);
    size_t r = below(self, left);
    if (r < self->n_amends - self->amends_next) {
        return emit_amendment(self, c, &self->amends[self->amends_next++]);
    }
    r -= self->n_amends - self->amends_next;
    if (r < self->retractions_left) {
        self->retractions_left--;
        return emit_retraction(self, c);
    }
    r -= self->retractions_left;
    if (r < self->changes_left) {
        self->changes_left--;
        return emit_site_change(self, c);
    }
    bool busy = below(self, self->posts_left) < self->busy_left;
    self->posts_left--;
    self->busy_left -= busy;
    return emit_post(self, c, busy ? 0 : (uint32_t)(1 + below(self, self->shape.groups - 1)),
                     false);
}

/* Moves to the next phase when this one has made its entries. */
static void advance_phase(scale_gen_t *self)
{
    const scale_shape_t *s = &self->shape;
    switch (self->phase) {
    case PH_PROFILES:
        if (self->step < s->authors) {
            return;
        }
        self->phase = PH_CHARTERS;
        self->phase_len = s->groups;
        break;
    case PH_CHARTERS:
        if (self->step < s->groups) {
            return;
        }
        self->phase = PH_MEMBERS;
        self->busy_left = self->groups[0].n_members;
        self->other_tasks = s->other_members * (s->groups - 1);
        self->phase_len = 2 * self->busy_left;
        for (size_t g = 1; g < s->groups; g++) {
            const group_t *gr = &self->groups[g];
            self->phase_len += gr->n_members * (gr->members_only ? 2 : 1);
        }
        break;
    case PH_MEMBERS:
        if (self->join_due || self->busy_left > 0 || self->other_next < self->other_tasks) {
            return;
        }
        self->phase = PH_YEAR;
        self->posts_left = s->posts;
        self->busy_left = s->busy_posts;
        self->retractions_left = s->retractions;
        self->changes_left = s->profile_changes;
        self->broken_left = SCALE_KNOWN_BROKEN;
        self->phase_len =
            s->posts + s->retractions + s->profile_changes + self->n_amends + SCALE_KNOWN_BROKEN;
        break;
    case PH_YEAR:
        if (self->posts_left + self->retractions_left + self->changes_left + self->broken_left >
                0 ||
            self->amends_next < self->n_amends) {
            return;
        }
        self->phase = PH_DONE;
        break;
    case PH_DONE: return;
    }
    self->step = 0;
}

int scale_gen_next(scale_gen_t *self, scale_chunk_t *c)
{
    c->n = 0;
    rsn_arena_destroy(&self->arena);
    self->arena = rsn_arena_new();
    if (self->arena == NULL) {
        return RSN_ERR_NOMEM;
    }
    while (c->n < SCALE_CHUNK && self->phase != PH_DONE) {
        int rc = 0;
        switch (self->phase) {
        case PH_PROFILES: rc = emit_profile(self, c, (uint32_t)self->step); break;
        case PH_CHARTERS: rc = emit_charter(self, c, self->step); break;
        case PH_MEMBERS: rc = members_step(self, c); break;
        case PH_YEAR: rc = year_step(self, c); break;
        case PH_DONE: break;
        }
        if (rc < 0) {
            return rc;
        }
        advance_phase(self);
    }
    return 0;
}

/* ------------------------------------------------------------- signing -- */

typedef struct {
    scale_gen_t *gen;
    scale_chunk_t *c;
    int t, threads;
    int rc;
} sign_job_t;

/* Author A's keypair from thread T's cache (made on a miss); NULL when out
 * of memory. */
static rsn_keypair_t *keypair_of(scale_gen_t *self, int t, uint32_t a, int threads)
{
    size_t slot = (a / (uint32_t)threads) % KEY_CACHE;
    rsn_keypair_t **kp = &self->cache[t][slot];
    if (*kp == NULL || self->cache_who[t][slot] != a) {
        rsn_keypair_destroy(kp);
        uint8_t seed[32];
        author_seed(seed, a);
        *kp = rsn_keypair_from_seed(seed);
        self->cache_who[t][slot] = a;
    }
    return *kp;
}

static void *sign_thread(void *arg)
{
    sign_job_t *j = arg;
    for (size_t i = 0; i < j->c->n && j->rc == 0; i++) {
        uint32_t a = j->c->author[i];
        if ((int)(a % (uint32_t)j->threads) != j->t) {
            continue;
        }
        rsn_keypair_t *kp = keypair_of(j->gen, j->t, a, j->threads);
        j->rc = kp == NULL ? RSN_ERR_NOMEM : rsn_test_entry_sign(kp, &j->c->all[i]);
    }
    return NULL;
}

int scale_gen_sign(scale_gen_t *self, scale_chunk_t *c, int threads)
{
    if (threads < 1) {
        threads = 1;
    }
    if (threads > SIGN_THREADS_MAX) {
        threads = SIGN_THREADS_MAX;
    }
    sign_job_t jobs[SIGN_THREADS_MAX];
    pthread_t tids[SIGN_THREADS_MAX];
    int started = 0;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (sign_job_t){.gen = self, .c = c, .t = t, .threads = threads, .rc = 0};
    }
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&tids[t], NULL, sign_thread, &jobs[t]) != 0) {
            break;
        }
        started = t;
    }
    /* threads that did not start are signed here */
    for (int t = started + 1; t < threads; t++) {
        sign_thread(&jobs[t]);
    }
    sign_thread(&jobs[0]);
    int rc = jobs[0].rc;
    for (int t = 1; t <= started; t++) {
        pthread_join(tids[t], NULL);
    }
    for (int t = 1; t < threads && rc == 0; t++) {
        rc = jobs[t].rc;
    }
    return rc;
}
