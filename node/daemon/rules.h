/* rules.h — the semantic rules of DESIGN.md applied to a client's own
 * publish, before anything is stored.
 *
 * The read views apply the same rules at read time and simply hide what
 * breaks them (group.h, judge.h); here the node refuses up front, with a code
 * from common/err.h and a sentence a person can act on ("group 'ops' has no
 * mission 'x' (missions: a, b)"). */
#ifndef RSN_D_RULES_H
#define RSN_D_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "proto/codec.h"
#include "store/store.h"

/* Checks the entry E (header decoded, BODY its decoded body, ID its id)
 * against the semantic rules given what STORE holds: charter content,
 * amendments by owners only, adds and removes by owners of the version they
 * name, joins in a members-only group answering an add that stands, posts
 * to a known group and a mission of the version they name (the current one
 * when they name none), members-only posting by the post's seq
 * (daemon/membership.h), replies and retractions naming held entries. 0 when it may be stored;
 * otherwise RSN_ERR_INVALID_CHARTER, RSN_ERR_UNKNOWN_GROUP, RSN_ERR_UNKNOWN_MISSION,
 * RSN_ERR_NOT_OWNER, RSN_ERR_NOT_MEMBER, RSN_ERR_UNKNOWN_ENTRY or RSN_ERR_INVALID_BODY, with a
 * sentence for people in WHY. */
RSN_NODISCARD int rsn_rules_check(rsn_store_t *store, rsn_arena_t *arena, const Raison__Entry *e,
                                  const void *body, const uint8_t id[RSN_ID_BYTES], char *why,
                                  size_t why_size);

#endif
