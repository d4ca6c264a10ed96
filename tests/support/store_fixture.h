/* support/store_fixture.h — a fresh store with the real write path on it.
 *
 * Tests of what the daemon derives from the log (views, rules, timelines,
 * the report) need a store filled the way a node fills it: entries signed by
 * their authors (support/entries.h) and staged through rsn_ingest_stage, then
 * committed. This fixture is that: a folder under /tmp, the store in it, an
 * ingest over the store and an arena for bodies and replies; destroying it
 * closes everything and removes the folder. It links the daemon's library
 * (rsn_test_support_daemon), so tests of lower modules do not. */
#ifndef RSN_TEST_STORE_FIXTURE_H
#define RSN_TEST_STORE_FIXTURE_H

#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"
#include "daemon/ingest.h"
#include "store/store.h"
#include "support/entries.h"
#include "support/files.h"

/* What a test works with; every field belongs to the fixture. */
typedef struct {
    char dir[RSN_TEST_DIR_MAX];
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    rsn_arena_t *arena;
} rsn_test_store_t;

/* A fresh fixture in a new folder /tmp/PREFIX-XXXXXX into *OUT.
 * RSN_ERR_NOMEM, RSN_ERR_IO, or the store's error. */
RSN_NODISCARD int rsn_test_store_new(rsn_test_store_t **out, const char *prefix);

/* Closes the ingest, the store and the arena, removes the folder and frees
 * *SELF_P; accepts NULL; sets *SELF_P to NULL. */
void rsn_test_store_destroy(rsn_test_store_t **self_p);

/* Stages S through the real write path as an entry from a peer (not local:
 * no semantic rule is checked): the stage's code, 0 and RES on success; WHY
 * gets its sentence. The caller commits (rsn_ingest_commit(f->ingest)) when
 * it wants the batch written, and checks that commit. */
RSN_NODISCARD int rsn_test_store_stage(rsn_test_store_t *f, const rsn_test_signed_t *s,
                                       rsn_ingest_result_t *res, char *why, size_t why_size);

/* S, with its body, as the write path's input from ORIGIN (pointing into
 * S): what rsn_test_store_stage hands rsn_ingest_stage, for a program that
 * stages or preverifies entries on an ingest of its own. */
rsn_ingest_input_t rsn_test_store_input(const rsn_test_signed_t *s, rsn_ingest_origin_t origin);

/* The same as from ORIGIN: RSN_INGEST_PUBLISH stages S as a local publish,
 * which checks the semantic rules (daemon/rules.h) on the way in. */
RSN_NODISCARD int rsn_test_store_stage_from(rsn_test_store_t *f, const rsn_test_signed_t *s,
                                            rsn_ingest_origin_t origin, rsn_ingest_result_t *res,
                                            char *why, size_t why_size);

#endif
