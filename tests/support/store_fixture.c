/* support/store_fixture.c — a fresh store with the real write path on it:
 * mkdtemp, rsn_store_open, rsn_ingest_new, and staging through
 * rsn_ingest_stage as a node stages what a peer sends. */
#include "support/store_fixture.h"

#include <stdlib.h>

int rsn_test_store_new(rsn_test_store_t **out, const char *prefix)
{
    rsn_test_store_t *f = calloc(1, sizeof *f);
    if (f == NULL) {
        return RSN_ERR_NOMEM;
    }
    int rc = rsn_test_tmpdir_make(f->dir, sizeof f->dir, prefix);
    if (rc != 0) {
        free(f);
        return rc;
    }
    rc = rsn_store_open(&f->store, f->dir);
    if (rc == 0) {
        rc = rsn_ingest_new(&f->ingest, f->store);
    }
    f->arena = rsn_arena_new();
    if (rc == 0 && f->arena == NULL) {
        rc = RSN_ERR_NOMEM;
    }
    if (rc != 0) {
        rsn_test_store_destroy(&f);
        return rc;
    }
    *out = f;
    return 0;
}

void rsn_test_store_destroy(rsn_test_store_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    rsn_test_store_t *f = *self_p;
    rsn_ingest_destroy(&f->ingest);
    rsn_store_destroy(&f->store);
    rsn_arena_destroy(&f->arena);
    (void)rsn_test_tmpdir_remove(f->dir);
    free(f);
    *self_p = NULL;
}

rsn_ingest_input_t rsn_test_store_input(const rsn_test_signed_t *s, rsn_ingest_origin_t origin)
{
    return (rsn_ingest_input_t){.entry = s->entry,
                                .entry_len = s->entry_len,
                                .signature = s->sig,
                                .signature_len = RSN_SIG_BYTES,
                                .body = s->body,
                                .body_len = s->body_len,
                                .has_body = true,
                                .origin = origin};
}

int rsn_test_store_stage_from(rsn_test_store_t *f, const rsn_test_signed_t *s,
                              rsn_ingest_origin_t origin, rsn_ingest_result_t *res, char *why,
                              size_t why_size)
{
    rsn_ingest_input_t in = rsn_test_store_input(s, origin);
    return rsn_ingest_stage(f->ingest, &in, res, why, why_size);
}

int rsn_test_store_stage(rsn_test_store_t *f, const rsn_test_signed_t *s, rsn_ingest_result_t *res,
                         char *why, size_t why_size)
{
    return rsn_test_store_stage_from(f, s, RSN_INGEST_RELAYED, res, why, why_size);
}
