/* group_resolve.c — a group named by a client (group.h rsn_group_resolve):
 * its id in hex, a unique hex prefix of one (a seek of the 'G' index), or
 * its exact current name (a seek of the derived name index 'n',
 * group_state.h), each in O(log n + matches). A reference that matches
 * several groups is ambiguous, listed in id order as it always was. */
#include "daemon/group.h"

#include <stdio.h>
#include <string.h>

#include "common/why.h"
#include "daemon/group_state.h"
#include "store/keys.h"

static bool is_hex(const char *s)
{
    for (; *s; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F'))) {
            return false;
        }
    }
    return true;
}

enum { SHOWN = 8, RESOLVE_COUNT_MAX = 64 };

typedef struct {
    uint8_t id[RESOLVE_COUNT_MAX][RSN_ID_BYTES];
    const char *name[RESOLVE_COUNT_MAX];
    size_t n;
} matches_t;

/* Adds group ID named NAME to M, once; false when M is full. */
static bool add_match(matches_t *m, const uint8_t *id, const char *name)
{
    for (size_t i = 0; i < m->n; i++) {
        if (memcmp(m->id[i], id, RSN_ID_BYTES) == 0) {
            return true;
        }
    }
    if (m->n == RESOLVE_COUNT_MAX) {
        return false;
    }
    size_t j = m->n++;
    while (j > 0 && memcmp(m->id[j - 1], id, RSN_ID_BYTES) > 0) { /* in id order */
        memcpy(m->id[j], m->id[j - 1], RSN_ID_BYTES);
        m->name[j] = m->name[j - 1];
        j--;
    }
    memcpy(m->id[j], id, RSN_ID_BYTES);
    m->name[j] = name;
    return true;
}

/* The groups whose id starts with the LEN hex digits LOWER: a seek of the
 * 'G' index, then its neighbours while they match (O(log n + matches)). */
static int match_prefix(rsn_store_t *store, rsn_arena_t *arena, const char *lower, size_t len,
                        matches_t *m)
{
    uint8_t from[RSN_ID_BYTES] = {0}, prefix[RSN_KEY_MAX], k[RSN_KEY_MAX];
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(lower[i] <= '9' ? lower[i] - '0' : lower[i] - 'a' + 10);
        from[i / 2] |= (uint8_t)(i % 2 ? d : d << 4);
    }
    rsn_index_t ix;
    int rc = rsn_index_open(&ix, store, prefix, rsn_key_prefix(prefix, RSN_TAG_GROUP, NULL),
                            RSN_KEYLEN_ID);
    if (rc) {
        return rc;
    }
    for (rsn_index_seek(&ix, k, rsn_key_group(k, from)); rsn_index_valid(&ix);
         rsn_index_next(&ix)) {
        const uint8_t *id = rsn_index_id(&ix);
        char hex[RSN_KEY_HEX + 1];
        rsn_hex_encode(hex, sizeof hex, id, RSN_ID_BYTES);
        if (strncmp(hex, lower, len) != 0) {
            break;
        }
        rsn_group_t *g = NULL;
        if ((rc = rsn_group_try_load(store, arena, id, &g)) != 0) {
            break;
        }
        if (g && !add_match(m, id, rsn_group_charter(g, NULL)->name)) {
            break;
        }
    }
    rsn_index_close(&ix);
    return rc;
}

/* The groups named exactly NAME: a seek of the name index ('n'), each
 * candidate's whole name compared (O(log n + groups sharing the key)). */
static int match_name(rsn_store_t *store, rsn_arena_t *arena, const char *name, matches_t *m)
{
    static const uint8_t zero[RSN_ID_BYTES];
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_gs_name(prefix, name, zero) - RSN_ID_BYTES;
    rsn_index_t ix;
    int rc = rsn_index_open(&ix, store, prefix, pl, pl + RSN_ID_BYTES);
    if (rc) {
        return rc;
    }
    rsn_gs_src_t src = {.store = store, .dx = NULL};
    for (rsn_index_first(&ix); rc == 0 && rsn_index_valid(&ix); rsn_index_next(&ix)) {
        rsn_gs_group_t gs;
        const uint8_t *id = rsn_index_id(&ix);
        rc = rsn_gs_group_read(&src, arena, id, &gs);
        if (rc == 0 && gs.founded && strcmp(gs.name, name) == 0 && !add_match(m, id, gs.name)) {
            break;
        }
        rc = rc == RSN_ERR_NOT_FOUND ? 0 : rc;
    }
    rsn_index_close(&ix);
    return rc;
}

int rsn_group_resolve(rsn_store_t *store, rsn_arena_t *arena, const char *ref,
                      uint8_t group[RSN_ID_BYTES], char *why, size_t why_size)
{
    size_t len = ref ? strlen(ref) : 0;
    rsn_group_t *g = NULL;
    int rc = 0;
    if (len == 0) {
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_GROUP, "no group given");
    }
    if (len == RSN_KEY_HEX && is_hex(ref)) {
        uint8_t id[RSN_ID_BYTES];
        if (rsn_key_from_hex(id, ref) == 0) {
            rc = rsn_group_load(store, arena, id, &g);
            if (rc == 0) {
                memcpy(group, id, RSN_ID_BYTES);
                return 0;
            }
            if (rc != RSN_ERR_UNKNOWN_GROUP) {
                return rsn_why(why, why_size, rc, "could not read group '%s': %s", ref,
                               rsn_strerror(rc));
            }
        }
    }
    char lower[RSN_KEY_HEX + 1] = "";
    bool hex_ref = len < RSN_KEY_HEX && is_hex(ref);
    for (size_t i = 0; hex_ref && i < len; i++) {
        lower[i] = (char)(ref[i] >= 'A' && ref[i] <= 'F' ? ref[i] - 'A' + 'a' : ref[i]);
    }
    matches_t *m = rsn_arena_alloc(arena, sizeof *m);
    rc = m ? 0 : RSN_ERR_NOMEM;
    if (rc == 0 && hex_ref) {
        rc = match_prefix(store, arena, lower, len, m);
    }
    if (rc == 0) {
        rc = match_name(store, arena, ref, m);
    }
    if (rc) {
        return rsn_why(why, why_size, rc, "could not read the groups: %s", rsn_strerror(rc));
    }
    if (m->n == 0) {
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_GROUP, "no group '%s'", ref);
    }
    if (m->n == 1) {
        memcpy(group, m->id[0], RSN_ID_BYTES);
        return 0;
    }
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < m->n && i < SHOWN && used < sizeof list; i++) {
        char hex[13];
        rsn_hex_encode(hex, sizeof hex, m->id[i], 6);
        int w =
            snprintf(list + used, sizeof list - used, "%s%s (%s)", i ? ", " : "", hex, m->name[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    return rsn_why(why, why_size, RSN_ERR_AMBIGUOUS, "'%s' matches %s%zu groups: %s%s", ref,
                   m->n == RESOLVE_COUNT_MAX ? "at least " : "", m->n, list,
                   m->n > SHOWN ? ", ..." : "");
}
