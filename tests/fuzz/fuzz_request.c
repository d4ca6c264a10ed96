/* fuzz_request.c — libFuzzer target for the API: bytes from a client.
 *
 * Decodes the input as an ApiRequest and, when it is a publish, runs it
 * through the real write path (rsn_ingest_stage, as a local publish) over a
 * store in a temporary folder, committing every few inputs; a draft is
 * judged as the API judges it (rsn_draft_judge) over the same store. The
 * published entry is signed first by a key the harness owns (sign.h: the
 * author, seq and prev follow that key's head, the body hash the body, as
 * the fuzzed signature's first byte says), so inputs get past the signature
 * check into the feed rule, the semantic rules and the indexes; a draft's
 * author is one of the same keys. Whatever the bytes, nothing may crash. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "daemon/draft.h"
#include "daemon/ingest.h"
#include "proto/codec.h"
#include "store/store.h"

#include "sign.h"

static rsn_store_t *store;
static rsn_ingest_t *ingest;
static fuzz_signer_t *signer;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (rsn_crypto_init() < 0) {
        abort();
    }
    char dir[] = "/tmp/rsnfuzzXXXXXX";
    static const uint8_t fills[FUZZ_SIGN_KEYS] = {0x11, 0x12};
    if (!mkdtemp(dir) || rsn_store_open(&store, dir) < 0 || rsn_ingest_new(&ingest, store) < 0 ||
        !(signer = fuzz_signer_new(fills))) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return 0;
    }
    Raison__ApiRequest *req = NULL;
    bool decoded = rsn_request_decode(arena, data, size, &req) == 0;
    if (decoded && req->call_case == RAISON__API_REQUEST__CALL_PUBLISH && req->publish->entry) {
        Raison__SignedEntry signed_entry = *req->publish->entry;
        const Raison__SignedEntry *se = &signed_entry;
        fuzz_sign_begin(signer, ingest);
        if (fuzz_sign_entry(signer, arena, &signed_entry) != 0) {
            goto out;
        }
        rsn_ingest_result_t res;
        char why[256];
        (void)rsn_ingest_stage(ingest,
                               &(rsn_ingest_input_t){.entry = se->entry.data,
                                                     .entry_len = se->entry.len,
                                                     .signature = se->signature.data,
                                                     .signature_len = se->signature.len,
                                                     .body = se->body.data,
                                                     .body_len = se->body.len,
                                                     .has_body = true,
                                                     .origin = RSN_INGEST_PUBLISH},
                               &res, why, sizeof why);
        if (rsn_ingest_pending(ingest) > 16) {
            (void)rsn_ingest_commit(ingest);
        }
    }
    if (decoded && req->call_case == RAISON__API_REQUEST__CALL_DRAFT && req->draft) {
        uint8_t seed[32];
        memset(seed, req->draft->body.len & 1 ? 0x12 : 0x11, sizeof seed);
        rsn_keypair_t *kp = req->draft->author.len ? NULL : rsn_keypair_from_seed(seed);
        uint8_t author[RSN_KEY_BYTES];
        if (kp) { /* no author fuzzed: one of the harness keys, whose feeds exist */
            memcpy(author, rsn_keypair_public(kp), sizeof author);
            req->draft->author.data = author;
            req->draft->author.len = sizeof author;
            rsn_keypair_destroy(&kp);
        }
        Raison__DraftReply *reply = NULL;
        char why[256];
        (void)rsn_draft_judge(ingest, store, arena, req->draft, &reply, why, sizeof why);
    }
out:
    rsn_arena_destroy(&arena);
    return 0;
}
