/* group_state_codec.c — the values of the derived group state's keys
 * (group_state.h): a group ('g'), a member's record ('m'), and reading them
 * through a source (the store, or a derive step). Every value starts with a
 * format byte; numbers are big-endian; docs/store.md gives the layouts. */
#include "daemon/group_state_internal.h"

#include <string.h>

#include "common/log.h"
#include "store/keys.h"

#define FORMAT 1
#define G_FOUNDED 0x01
#define G_UPDATING 0x02
#define SPAN_BYTES 16
#define ADD_BYTES (RSN_ID_BYTES + 16)

/* --- a cursor over a value ------------------------------------------------------ */

typedef struct {
    const uint8_t *p;
    size_t left;
    bool bad;
} rd_t;

static const uint8_t *take(rd_t *r, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static uint64_t take64(rd_t *r)
{
    const uint8_t *p = take(r, 8);
    return p ? rsn_be64_get(p) : 0;
}

static uint32_t take32(rd_t *r)
{
    const uint8_t *p = take(r, 4);
    return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

static void put64(uint8_t **w, uint64_t v)
{
    rsn_be64_put(*w, v);
    *w += 8;
}

static void put32(uint8_t **w, uint32_t v)
{
    (*w)[0] = (uint8_t)(v >> 24);
    (*w)[1] = (uint8_t)(v >> 16);
    (*w)[2] = (uint8_t)(v >> 8);
    (*w)[3] = (uint8_t)v;
    *w += 4;
}

static void put_bytes(uint8_t **w, const void *b, size_t n)
{
    if (n == 0) {
        return; /* B may be NULL then (an empty name) */
    }
    memcpy(*w, b, n);
    *w += n;
}

/* --- reading through a source ---------------------------------------------------- */

int rsn_gs_get(const rsn_gs_src_t *src, rsn_arena_t *arena, const uint8_t *key, size_t kl,
               uint8_t **value, size_t *len)
{
    if (src->dx) {
        return rsn_dx_get(src->dx, key, kl, value, len);
    }
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(src->store, key, kl, &v, &vl);
    if (rc < 0) {
        return rc;
    }
    *value = rsn_arena_memdup(arena, v, vl ? vl : 1);
    *len = vl;
    rsn_store_free(v);
    return *value ? 0 : RSN_ERR_NOMEM;
}

static int damaged(const char *what)
{
    rsn_error("group state: a '%s' value does not decode (a damaged store: raisond reindex)", what);
    return RSN_ERR_IO;
}

/* --- 'g' ------------------------------------------------------------------------ */

int rsn_gs_group_decode(rsn_arena_t *arena, const uint8_t *v, size_t len, rsn_gs_group_t *out)
{
    rd_t r = {v, len, false};
    memset(out, 0, sizeof *out);
    const uint8_t *head = take(&r, 2);
    if (!head || head[0] != FORMAT) {
        return damaged("g");
    }
    out->founded = head[1] & G_FOUNDED;
    out->updating = head[1] & G_UPDATING;
    out->n_joined = take64(&r);
    out->n_spanned = take64(&r);
    out->n_subjects = take64(&r);
    uint32_t name_len = take32(&r);
    const uint8_t *name = take(&r, name_len);
    out->n_chain = take32(&r);
    out->chain = (const void *)take(&r, out->n_chain * (size_t)RSN_ID_BYTES);
    out->n_dispute = take32(&r);
    out->dispute = (const void *)take(&r, out->n_dispute * (size_t)RSN_ID_BYTES);
    char *s = r.bad ? NULL : rsn_arena_alloc(arena, (size_t)name_len + 1);
    if (r.bad) {
        return damaged("g");
    }
    if (!s) {
        return RSN_ERR_NOMEM;
    }
    memcpy(s, name, name_len);
    out->name = s;
    return 0;
}

int rsn_gs_group_read(const rsn_gs_src_t *src, rsn_arena_t *arena,
                      const uint8_t group[RSN_ID_BYTES], rsn_gs_group_t *out)
{
    uint8_t k[RSN_KEY_MAX], *v = NULL;
    size_t len = 0;
    int rc = rsn_gs_get(src, arena, k, rsn_key_gs_group(k, group), &v, &len);
    return rc < 0 ? rc : rsn_gs_group_decode(arena, v, len, out);
}

uint8_t *rsn_gs_group_encode(rsn_arena_t *arena, const rsn_gs_group_t *g, size_t *len)
{
    size_t name_len = g->name ? strlen(g->name) : 0;
    *len = 2 + 24 + 4 + name_len + 4 + g->n_chain * RSN_ID_BYTES + 4 + g->n_dispute * RSN_ID_BYTES;
    uint8_t *v = rsn_arena_alloc(arena, *len), *w = v;
    if (!v) {
        return NULL;
    }
    *w++ = FORMAT;
    *w++ = (uint8_t)((g->founded ? G_FOUNDED : 0) | (g->updating ? G_UPDATING : 0));
    put64(&w, g->n_joined);
    put64(&w, g->n_spanned);
    put64(&w, g->n_subjects);
    put32(&w, (uint32_t)name_len);
    put_bytes(&w, g->name ? g->name : "", name_len);
    put32(&w, (uint32_t)g->n_chain);
    put_bytes(&w, g->chain, g->n_chain * RSN_ID_BYTES);
    put32(&w, (uint32_t)g->n_dispute);
    put_bytes(&w, g->dispute, g->n_dispute * RSN_ID_BYTES);
    return v;
}

/* --- 'm' ------------------------------------------------------------------------ */

int rsn_gs_member_decode(rsn_arena_t *arena, const uint8_t *v, size_t len,
                         const uint8_t member[RSN_KEY_BYTES], rsn_gs_member_t *out)
{
    rd_t r = {v, len, false};
    memset(out, 0, sizeof *out);
    const uint8_t *head = take(&r, 2);
    if (!head || head[0] != FORMAT) {
        return damaged("m");
    }
    out->flags = head[1];
    out->joined_charter = out->flags & RSN_GS_JOINED ? take(&r, RSN_ID_BYTES) : NULL;
    out->spanned_charter = out->flags & RSN_GS_SPANNED ? take(&r, RSN_ID_BYTES) : NULL;
    out->removed_by = out->flags & RSN_GS_REMOVED ? take(&r, RSN_KEY_BYTES) : NULL;
    out->n_spans = take32(&r);
    const uint8_t *spans = take(&r, out->n_spans * (size_t)SPAN_BYTES);
    out->n_adds = take32(&r);
    const uint8_t *adds = take(&r, out->n_adds * (size_t)ADD_BYTES);
    if (r.bad || r.left) {
        return damaged("m");
    }
    out->spans = rsn_arena_alloc(arena, (out->n_spans + 1) * sizeof *out->spans);
    out->adds = rsn_arena_alloc(arena, (out->n_adds + 1) * sizeof *out->adds);
    uint8_t *key = rsn_arena_memdup(arena, member, RSN_KEY_BYTES);
    if (!out->spans || !out->adds || !key) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < out->n_spans; i++) {
        out->spans[i].open = rsn_be64_get(spans + i * SPAN_BYTES);
        out->spans[i].close = rsn_be64_get(spans + i * SPAN_BYTES + 8);
    }
    for (size_t i = 0; i < out->n_adds; i++) {
        const uint8_t *a = adds + i * ADD_BYTES;
        rsn_membership_t *e = &out->adds[i];
        e->id = a;
        e->member = key;
        e->action = RAISON__ACTION__ACTION_ADD;
        e->member_seq = rsn_be64_get(a + RSN_ID_BYTES);
        e->seq = rsn_be64_get(a + RSN_ID_BYTES + 8);
    }
    return 0;
}

int rsn_gs_member_read(const rsn_gs_src_t *src, rsn_arena_t *arena,
                       const uint8_t group[RSN_ID_BYTES], const uint8_t member[RSN_KEY_BYTES],
                       rsn_gs_member_t *out)
{
    uint8_t k[RSN_KEY_MAX], *v = NULL;
    size_t len = 0;
    int rc = rsn_gs_get(src, arena, k, rsn_key_gs_member(k, group, member), &v, &len);
    return rc < 0 ? rc : rsn_gs_member_decode(arena, v, len, member, out);
}

uint8_t *rsn_gs_member_encode(rsn_arena_t *arena, const rsn_gs_member_t *m, size_t *len)
{
    size_t charters = ((m->flags & RSN_GS_JOINED) ? 1 : 0) + ((m->flags & RSN_GS_SPANNED) ? 1 : 0) +
                      ((m->flags & RSN_GS_REMOVED) ? 1 : 0);
    *len = 2 + charters * RSN_ID_BYTES + 4 + m->n_spans * SPAN_BYTES + 4 + m->n_adds * ADD_BYTES;
    uint8_t *v = rsn_arena_alloc(arena, *len), *w = v;
    if (!v) {
        return NULL;
    }
    *w++ = FORMAT;
    *w++ = m->flags;
    if (m->flags & RSN_GS_JOINED) {
        put_bytes(&w, m->joined_charter, RSN_ID_BYTES);
    }
    if (m->flags & RSN_GS_SPANNED) {
        put_bytes(&w, m->spanned_charter, RSN_ID_BYTES);
    }
    if (m->flags & RSN_GS_REMOVED) {
        put_bytes(&w, m->removed_by, RSN_KEY_BYTES);
    }
    put32(&w, (uint32_t)m->n_spans);
    for (size_t i = 0; i < m->n_spans; i++) {
        put64(&w, m->spans[i].open);
        put64(&w, m->spans[i].close);
    }
    put32(&w, (uint32_t)m->n_adds);
    for (size_t i = 0; i < m->n_adds; i++) {
        put_bytes(&w, m->adds[i].id, RSN_ID_BYTES);
        put64(&w, m->adds[i].member_seq);
        put64(&w, m->adds[i].seq);
    }
    return v;
}

/* --- 'e' ------------------------------------------------------------------------ */

#define E_SELF 0x01
#define E_CHARTER_SHIFT 1 /* 2 bits: 0 none, 1 an id, 2 another length */
#define E_ANSWERS_SHIFT 3

static unsigned field_kind(const ProtobufCBinaryData *b)
{
    return b->len == 0 ? 0 : b->len == RSN_ID_BYTES ? 1 : 2;
}

uint8_t *rsn_gs_event_encode(rsn_arena_t *arena, const rsn_loaded_t *l, size_t *len)
{
    const Raison__Membership *m = l->body;
    const uint8_t *author = l->entry->author.data;
    bool self = m->member.len == 0 ||
                (m->member.len == RSN_KEY_BYTES && memcmp(m->member.data, author, 32) == 0);
    unsigned ck = field_kind(&m->charter), ak = field_kind(&m->answers);
    *len = 2 * RSN_ID_BYTES + 16 + 2 + (ck == 1 ? 32 : 0) + (ak == 1 ? 32 : 0);
    uint8_t *v = rsn_arena_alloc(arena, *len), *w = v;
    if (!v) {
        return NULL;
    }
    put_bytes(&w, l->id, RSN_ID_BYTES);
    put_bytes(&w, author, RSN_KEY_BYTES);
    put64(&w, l->entry->seq);
    put64(&w, m->member_seq);
    *w++ = (uint8_t)m->action;
    *w++ = (uint8_t)((self ? E_SELF : 0) | ck << E_CHARTER_SHIFT | ak << E_ANSWERS_SHIFT);
    if (ck == 1) {
        put_bytes(&w, m->charter.data, RSN_ID_BYTES);
    }
    if (ak == 1) {
        put_bytes(&w, m->answers.data, RSN_ID_BYTES);
    }
    return v;
}

/* A field of kind K (field_kind) back: an id from R, or one byte of another
 * length, or none. */
static ProtobufCBinaryData field_back(rd_t *r, unsigned k)
{
    static uint8_t other[1];
    ProtobufCBinaryData b = {0, NULL};
    if (k == 1) {
        b.data = (uint8_t *)take(r, RSN_ID_BYTES);
        b.len = RSN_ID_BYTES;
    } else if (k == 2) {
        b.data = other;
        b.len = 1;
    }
    return b;
}

int rsn_gs_event_decode(const uint8_t *v, size_t len, const uint8_t group[RSN_ID_BYTES],
                        const uint8_t member[RSN_KEY_BYTES], rsn_gs_event_t *out)
{
    static uint8_t other[1];
    rd_t r = {v, len, false};
    memset(out, 0, sizeof *out);
    raison__membership__init(&out->body);
    out->id = take(&r, RSN_ID_BYTES);
    out->author = take(&r, RSN_KEY_BYTES);
    out->seq = take64(&r);
    out->body.member_seq = take64(&r);
    const uint8_t *f = take(&r, 2);
    if (r.bad) {
        return damaged("e");
    }
    out->body.action = (Raison__Action)f[0];
    out->body.group.data = (uint8_t *)group;
    out->body.group.len = RSN_ID_BYTES;
    bool other_member = out->body.action == RAISON__ACTION__ACTION_ADD ||
                        out->body.action == RAISON__ACTION__ACTION_REMOVE;
    if (other_member) {
        out->body.member.data = (uint8_t *)member;
        out->body.member.len = RSN_KEY_BYTES;
    } else if (!(f[1] & E_SELF)) {
        out->body.member.data = other;
        out->body.member.len = 1;
    }
    out->body.charter = field_back(&r, (f[1] >> E_CHARTER_SHIFT) & 3);
    out->body.answers = field_back(&r, (f[1] >> E_ANSWERS_SHIFT) & 3);
    return r.bad || r.left ? damaged("e") : 0;
}
