/* support/bodies.c — the body of each kind of entry, built in an arena
 * (bodies.h): protobuf-c messages initialised, their strings and byte
 * strings copied into the arena. */
#include "support/bodies.h"

#include <string.h>

/* LEN bytes at DATA copied into ARENA (empty for NULL); *OK cleared when
 * out of memory. */
static ProtobufCBinaryData bin(rsn_arena_t *arena, const uint8_t *data, size_t len, bool *ok)
{
    ProtobufCBinaryData b = {0, NULL};
    if (data && len) {
        b.data = rsn_arena_memdup(arena, data, len);
        b.len = len;
        *ok = *ok && b.data != NULL;
    }
    return b;
}

/* The missions of the comma-separated list KEYS into C; false when out of
 * memory. */
static bool add_missions(rsn_arena_t *arena, Raison__Charter *c, const char *keys)
{
    char *list = rsn_arena_strdup(arena, keys);
    c->missions = rsn_arena_alloc(arena, RSN_TEST_BODY_MISSIONS_MAX * sizeof *c->missions);
    if (list == NULL || c->missions == NULL) {
        return false;
    }
    for (char *save = NULL, *k = strtok_r(list, ",", &save);
         k && c->n_missions < RSN_TEST_BODY_MISSIONS_MAX; k = strtok_r(NULL, ",", &save)) {
        Raison__Mission *m = rsn_arena_alloc(arena, sizeof *m);
        if (m == NULL) {
            return false;
        }
        raison__mission__init(m);
        m->key = k;
        m->goal = rsn_arena_printf(arena, "the goal of %s", k);
        if (m->goal == NULL) {
            return false;
        }
        c->missions[c->n_missions++] = m;
    }
    return true;
}

Raison__Charter *rsn_test_body_charter(rsn_arena_t *arena, const char *name, Raison__Access access,
                                       const char *missions, const uint8_t *const *owner_keys,
                                       size_t n_owners, uint32_t retention_days)
{
    Raison__Charter *c = rsn_arena_alloc(arena, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    raison__charter__init(c);
    c->version = 1;
    c->name = rsn_arena_strdup(arena, name);
    c->purpose = "keep the lights on";
    bool ok = c->name != NULL && add_missions(arena, c, missions);
    c->benefits = rsn_arena_alloc(arena, sizeof *c->benefits);
    c->data_policy = rsn_arena_alloc(arena, sizeof *c->data_policy);
    c->owners = rsn_arena_alloc(arena, (n_owners + 1) * sizeof *c->owners);
    if (!ok || c->benefits == NULL || c->data_policy == NULL || c->owners == NULL) {
        return NULL;
    }
    c->benefits[0] = "fewer outages";
    c->n_benefits = 1;
    raison__data_policy__init(c->data_policy);
    c->data_policy->readers = "everyone in the company";
    c->data_policy->use = "coordination only, never evaluation";
    c->data_policy->retention_days = retention_days;
    c->access = access;
    for (size_t i = 0; i < n_owners; i++) {
        c->owners[c->n_owners++] = bin(arena, owner_keys[i], RSN_KEY_BYTES, &ok);
    }
    return ok ? c : NULL;
}

Raison__Charter *rsn_test_body_amend(rsn_arena_t *arena, Raison__Charter *c,
                                     const uint8_t group[RSN_ID_BYTES],
                                     const uint8_t prev_id[RSN_ID_BYTES], uint32_t version)
{
    bool ok = true;
    c->group = bin(arena, group, RSN_ID_BYTES, &ok);
    c->supersedes = bin(arena, prev_id, RSN_ID_BYTES, &ok);
    c->version = version;
    return ok ? c : NULL;
}

Raison__Post *rsn_test_body_post(rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                                 const char *mission, const char *text, const uint8_t *reply_to)
{
    Raison__Post *p = rsn_arena_alloc(arena, sizeof *p);
    if (p == NULL) {
        return NULL;
    }
    raison__post__init(p);
    bool ok = true;
    p->group = bin(arena, group, RSN_ID_BYTES, &ok);
    p->mission = rsn_arena_strdup(arena, mission);
    p->text = rsn_arena_strdup(arena, text);
    p->reply_to = bin(arena, reply_to, RSN_ID_BYTES, &ok);
    return ok && p->mission != NULL && p->text != NULL ? p : NULL;
}

Raison__Membership *rsn_test_body_membership(rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                                             Raison__Action action, const uint8_t *member,
                                             const uint8_t *charter_id)
{
    Raison__Membership *m = rsn_arena_alloc(arena, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    raison__membership__init(m);
    bool ok = true;
    m->group = bin(arena, group, RSN_ID_BYTES, &ok);
    m->action = action;
    m->member = bin(arena, member, RSN_KEY_BYTES, &ok);
    m->charter = bin(arena, charter_id, RSN_ID_BYTES, &ok);
    return ok ? m : NULL;
}

Raison__Profile *rsn_test_body_profile(rsn_arena_t *arena, const char *name, const char *site)
{
    Raison__Profile *p = rsn_arena_alloc(arena, sizeof *p);
    if (p == NULL) {
        return NULL;
    }
    raison__profile__init(p);
    p->name = rsn_arena_strdup(arena, name);
    if (site != NULL) {
        p->site = rsn_arena_strdup(arena, site);
    }
    return p->name != NULL && (site == NULL || p->site != NULL) ? p : NULL;
}

Raison__Retraction *rsn_test_body_retraction(rsn_arena_t *arena, const uint8_t target[RSN_ID_BYTES],
                                             bool erase)
{
    Raison__Retraction *r = rsn_arena_alloc(arena, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    raison__retraction__init(r);
    bool ok = true;
    r->target = bin(arena, target, RSN_ID_BYTES, &ok);
    r->erase = erase;
    return ok ? r : NULL;
}
