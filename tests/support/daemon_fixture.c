/* daemon_fixture.c — see daemon_fixture.h. Entries are signed exactly as a
 * client signs them and staged through rsn_ingest_stage with local=false:
 * no semantic rule is checked on the way in, so a test can store entries
 * that break them and see how the views judge them. */
#define _GNU_SOURCE /* nftw */
#include "daemon_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int fx_setup(void **state)
{
    if (rsn_crypto_init() != 0) {
        return -1;
    }
    fx_t *f = calloc(1, sizeof *f);
    if (!f) {
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "/tmp/rsn-daemon-XXXXXX");
    if (!mkdtemp(f->dir) || rsn_store_open(&f->store, f->dir) != 0) {
        free(f);
        return -1;
    }
    f->arena = rsn_arena_new();
    if (rsn_ingest_new(&f->ingest, f->store) != 0 || !f->arena) {
        return -1;
    }
    *state = f;
    return 0;
}

int fx_teardown(void **state)
{
    fx_t *f = *state;
    rsn_ingest_destroy(&f->ingest);
    rsn_store_destroy(&f->store);
    rsn_arena_destroy(&f->arena);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

fx_author_t *fx_author_new(uint8_t seed_byte)
{
    fx_author_t *a = calloc(1, sizeof *a);
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    assert_non_null(a);
    a->kp = rsn_keypair_from_seed(seed);
    assert_non_null(a->kp);
    memcpy(a->pk, rsn_keypair_public(a->kp), RSN_KEY_BYTES);
    return a;
}

void fx_author_free(fx_author_t *a)
{
    rsn_keypair_destroy(&a->kp);
    free(a);
}

void fx_put(fx_t *f, fx_author_t *a, Raison__Kind kind, const void *body, uint64_t ts,
            uint8_t id[RSN_ID_BYTES])
{
    uint8_t *b = NULL, *eb = NULL;
    size_t blen = 0, elen = 0;
    uint64_t seq = a->seq + 1;
    assert_int_equal(rsn_pack(f->arena, body, &b, &blen), 0);
    uint8_t hash[RSN_HASH_BYTES], sig[RSN_SIG_BYTES];
    rsn_sha256(hash, b, blen);
    Raison__Entry e = RAISON__ENTRY__INIT;
    e.author.data = a->pk;
    e.author.len = RSN_KEY_BYTES;
    e.seq = seq;
    if (seq > 1) {
        e.prev.data = a->ids[seq - 1];
        e.prev.len = RSN_ID_BYTES;
    }
    e.timestamp = ts;
    e.kind = kind;
    e.body_hash.data = hash;
    e.body_hash.len = RSN_HASH_BYTES;
    e.body_size = (uint32_t)blen;
    assert_int_equal(rsn_pack(f->arena, &e.base, &eb, &elen), 0);
    assert_int_equal(rsn_keypair_sign_entry(a->kp, eb, elen, sig), 0);
    rsn_ingest_result_t res;
    char why[256] = "";
    int rc = rsn_ingest_stage(f->ingest,
                              &(rsn_ingest_input_t){.entry = eb,
                                                    .entry_len = elen,
                                                    .signature = sig,
                                                    .signature_len = RSN_SIG_BYTES,
                                                    .body = b,
                                                    .body_len = blen,
                                                    .has_body = true,
                                                    .origin = RSN_INGEST_RELAYED},
                              &res, why, sizeof why);
    assert_int_equal(rsn_ingest_commit(f->ingest), 0);
    assert_int_equal(rc, 0);
    a->seq = seq;
    memcpy(a->ids[seq], res.id, RSN_ID_BYTES);
    if (id) {
        memcpy(id, res.id, RSN_ID_BYTES);
    }
}

static ProtobufCBinaryData bin(fx_t *f, const uint8_t *data, size_t len)
{
    ProtobufCBinaryData b = {0, NULL};
    if (data && len) {
        b.data = rsn_arena_memdup(f->arena, data, len);
        b.len = len;
    }
    return b;
}

Raison__Charter *fx_charter(fx_t *f, const char *name, Raison__Access access, const char *missions,
                            fx_author_t **owners, size_t n_owners)
{
    Raison__Charter *c = rsn_arena_alloc(f->arena, sizeof *c);
    raison__charter__init(c);
    c->version = 1;
    c->name = rsn_arena_strdup(f->arena, name);
    c->purpose = "keep the lights on";
    char *list = rsn_arena_strdup(f->arena, missions);
    c->missions = rsn_arena_alloc(f->arena, 16 * sizeof *c->missions);
    for (char *save = NULL, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        Raison__Mission *m = rsn_arena_alloc(f->arena, sizeof *m);
        raison__mission__init(m);
        m->key = k;
        m->goal = rsn_arena_printf(f->arena, "the goal of %s", k);
        c->missions[c->n_missions++] = m;
    }
    c->benefits = rsn_arena_alloc(f->arena, sizeof *c->benefits);
    c->benefits[0] = "fewer outages";
    c->n_benefits = 1;
    c->data_policy = rsn_arena_alloc(f->arena, sizeof *c->data_policy);
    raison__data_policy__init(c->data_policy);
    c->data_policy->readers = "everyone in the company";
    c->data_policy->use = "coordination only, never evaluation";
    c->access = access;
    c->owners = rsn_arena_alloc(f->arena, (n_owners + 1) * sizeof *c->owners);
    for (size_t i = 0; i < n_owners; i++) {
        c->owners[c->n_owners++] = bin(f, owners[i]->pk, RSN_KEY_BYTES);
    }
    return c;
}

Raison__Charter *fx_amend(fx_t *f, Raison__Charter *c, const uint8_t group[RSN_ID_BYTES],
                          const uint8_t prev_id[RSN_ID_BYTES], uint32_t version)
{
    c->group = bin(f, group, RSN_ID_BYTES);
    c->supersedes = bin(f, prev_id, RSN_ID_BYTES);
    c->version = version;
    return c;
}

Raison__Post *fx_post(fx_t *f, const uint8_t group[RSN_ID_BYTES], const char *mission,
                      const char *text, const uint8_t *reply_to)
{
    Raison__Post *p = rsn_arena_alloc(f->arena, sizeof *p);
    raison__post__init(p);
    p->group = bin(f, group, RSN_ID_BYTES);
    p->mission = rsn_arena_strdup(f->arena, mission);
    p->text = rsn_arena_strdup(f->arena, text);
    p->reply_to = bin(f, reply_to, RSN_ID_BYTES);
    return p;
}

Raison__Membership *fx_membership(fx_t *f, const uint8_t group[RSN_ID_BYTES], Raison__Action action,
                                  const uint8_t *member, const uint8_t *charter_id)
{
    Raison__Membership *m = rsn_arena_alloc(f->arena, sizeof *m);
    raison__membership__init(m);
    m->group = bin(f, group, RSN_ID_BYTES);
    m->action = action;
    m->member = bin(f, member, RSN_KEY_BYTES);
    m->charter = bin(f, charter_id, RSN_ID_BYTES);
    return m;
}

Raison__Profile *fx_profile(fx_t *f, const char *name, const char *site)
{
    Raison__Profile *p = rsn_arena_alloc(f->arena, sizeof *p);
    raison__profile__init(p);
    p->name = rsn_arena_strdup(f->arena, name);
    p->site = rsn_arena_strdup(f->arena, site);
    return p;
}

Raison__Retraction *fx_retraction(fx_t *f, const uint8_t target[RSN_ID_BYTES])
{
    Raison__Retraction *r = rsn_arena_alloc(f->arena, sizeof *r);
    raison__retraction__init(r);
    r->target = bin(f, target, RSN_ID_BYTES);
    return r;
}
