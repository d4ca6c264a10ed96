/* cli_audit.c — `raison audit`: the node's transparency log, from outside.
 *
 * key, checkpoint, prove, include and verify are one or two API calls each;
 * prove and include check the node's proof locally (RFC 9162, crypto/merkle.h)
 * before printing it and fail loudly when it does not verify. export writes
 * the public JSON Lines export of docs/audit.md: it asks the node to sign a
 * checkpoint first, then pages through exactly that many log leaves and
 * through the fork evidence, and renames FILE.tmp to FILE once the leaves
 * hash to the signed root. verify-export checks such a file with no node and
 * no trust in whoever wrote it: every line, with the line number of the first
 * thing wrong. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/merkle.h"
#include "crypto/note.h"
#include "cli/cli.h"

#define EXPORT_FORMAT "raison-audit-export"
#define EXPORT_VERSION 1
/* leaves asked per LeavesRequest: a page of the largest entries and bodies
 * (200 x 66 KiB) stays under the client library's 16 MiB reply limit */
#define EXPORT_PAGE 200
#define EXPORT_FORKS_PAGE 256    /* fork evidence asked per ForksRequest */
#define EXPORT_MAX_PAGES 1000000 /* a node that keeps sending cursors is not followed forever */
#define EXPORT_PROGRESS 10000    /* entries between two progress lines */
#define EXPORT_LINE_MAX (256 * 1024)
#define VERIFY_TIMEOUT_MS (10 * 60 * 1000)
#define JSON_LINE_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

/* --- small helpers ----------------------------------------------------------- */

/* A JSON string of the standard base64 of DATA (padded; "" for no bytes). */
static json_t *json_b64(const uint8_t *data, size_t len)
{
    size_t size = rsn_base64_encoded_size(len);
    char *buf = malloc(size);
    if (!buf) {
        return NULL;
    }
    rsn_base64_encode(buf, size, data, len);
    json_t *j = json_string(buf);
    free(buf);
    return j;
}

/* Base64 of 32 bytes in the run's arena. */
static const char *b64_hash(rsn_cli_t *cli, const uint8_t *hash, size_t len)
{
    size_t size = rsn_base64_encoded_size(len);
    char *buf = rsn_arena_alloc(cli->arena, size);
    return buf ? rsn_base64_encode(buf, size, hash, len) : "?";
}

static json_t *json_b64_list(const ProtobufCBinaryData *items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, json_b64(items[i].data, items[i].len)) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

/* Copies the N hashes of a proof from outside into PROOF, refusing any that
 * is not 32 bytes long and more than RSN_MERKLE_MAX_DEPTH of them. */
static int load_proof(const ProtobufCBinaryData *items, size_t n, rsn_merkle_proof_t proof)
{
    if (n > RSN_MERKLE_MAX_DEPTH) {
        return cli_fail("the node's proof has %zu hashes (at most %d)", n, RSN_MERKLE_MAX_DEPTH);
    }
    for (size_t i = 0; i < n; i++) {
        if (items[i].len != RSN_HASH_BYTES) {
            return cli_fail("hash %zu of the node's proof is %zu bytes long, not 32", i,
                            items[i].len);
        }
        memcpy(proof[i], items[i].data, RSN_HASH_BYTES);
    }
    return 0;
}

/* The node's verifier key: its text (arena), its name and its public key,
 * checked to parse and to agree with the origin the node gives. */
static int fetch_key(rsn_cli_t *cli, const char **vkey, char name[RSN_NOTE_NAME_MAX + 1],
                     uint8_t pubkey[RSN_KEY_BYTES])
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__AuditKeyRequest kr = RAISON__AUDIT_KEY_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    int rc = 0;
    req.call_case = RAISON__API_REQUEST__CALL_AUDIT_KEY;
    req.audit_key = &kr;
    if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_AUDIT_KEY, &reply)) != 0) {
        return rc;
    }
    const Raison__AuditKeyReply *k = reply->audit_key;
    if (!k || !k->verifier_key ||
        rsn_note_parse_verifier_key(k->verifier_key, name, RSN_NOTE_NAME_MAX + 1, pubkey) != 0) {
        rc = cli_fail("the node's verifier key is not a valid note verifier key");
    } else if (!k->origin || strcmp(k->origin, name) != 0) {
        rc = cli_fail("the node's origin '%s' is not its verifier key's name '%s'",
                      k->origin ? k->origin : "", name);
    } else if (vkey && !(*vkey = rsn_arena_strdup(cli->arena, k->verifier_key))) {
        rc = cli_fail("out of memory");
    }
    raison__api_reply__free_unpacked(reply, NULL);
    return rc;
}

/* The node's checkpoint (signed now when FRESH), its note verified under the
 * node's key NAME / PUBKEY and parsed: *NOTE (arena), *SIZE, ROOT. */
static int fetch_checkpoint(rsn_cli_t *cli, bool fresh, const char *name,
                            const uint8_t pubkey[RSN_KEY_BYTES], const char **note, uint64_t *size,
                            uint8_t root[RSN_HASH_BYTES])
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__CheckpointRequest cr = RAISON__CHECKPOINT_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    char origin[RSN_NOTE_NAME_MAX + 1];
    size_t text_len = 0;
    int rc = 0;
    cr.fresh = fresh;
    req.call_case = RAISON__API_REQUEST__CALL_CHECKPOINT;
    req.checkpoint = &cr;
    if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_CHECKPOINT, &reply)) != 0) {
        return rc;
    }
    const Raison__CheckpointReply *c = reply->checkpoint;
    size_t len = c && c->note ? strlen(c->note) : 0;
    if (len == 0) {
        rc = cli_fail("the node sent no checkpoint");
    } else if ((rc = rsn_note_verify(c->note, len, name, pubkey, &text_len)) != 0) {
        cli_fail("the node's checkpoint does not verify under its own key: %s", rsn_strerror(rc));
    } else if ((rc = rsn_checkpoint_parse(c->note, text_len, origin, sizeof origin, size, root)) !=
               0) {
        cli_fail("the node's checkpoint is not a valid tlog-checkpoint");
    } else if (strcmp(origin, name) != 0) {
        rc = cli_fail("the node's checkpoint has origin '%s', not '%s'", origin, name);
    } else if (c->size != *size || c->root.len != RSN_HASH_BYTES ||
               memcmp(c->root.data, root, RSN_HASH_BYTES) != 0) {
        rc = cli_fail("the node's checkpoint reply disagrees with its note");
    } else if (!(*note = rsn_arena_strdup(cli->arena, c->note))) {
        rc = cli_fail("out of memory");
    }
    raison__api_reply__free_unpacked(reply, NULL);
    return rc;
}

/* --- key, checkpoint ------------------------------------------------------------ */

static int audit_key(rsn_cli_t *cli, int argc, char **argv)
{
    int st = cli_plain_args(cli, argc, argv, 0, 0);
    if (st >= 0) {
        return st;
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__AuditKeyRequest kr = RAISON__AUDIT_KEY_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    req.call_case = RAISON__API_REQUEST__CALL_AUDIT_KEY;
    req.audit_key = &kr;
    if (cli_call(cli, &req, RAISON__API_REPLY__RESULT_AUDIT_KEY, &reply) != 0) {
        return CLI_EXIT_FAIL;
    }
    const Raison__AuditKeyReply *k = reply->audit_key;
    if (!k || !k->verifier_key || !k->verifier_key[0]) {
        cli_fail("the node sent no verifier key");
        st = CLI_EXIT_FAIL;
    } else if (cli->json) {
        st = cli_json_print(json_pack("{s:o,s:o}", "origin", cli_json_str(k->origin),
                                      "verifier_key", cli_json_str(k->verifier_key)),
                            false);
    } else {
        printf("%s\n", k->verifier_key);
        st = CLI_EXIT_OK;
    }
    raison__api_reply__free_unpacked(reply, NULL);
    return st;
}

static int audit_checkpoint(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"fresh", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    bool fresh = false;
    int c;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        if (c == CLI_OPT_STOP) {
            return cli->status;
        }
        if (c != 'f') {
            return cli_usage_error(cli, "unexpected option");
        }
        fresh = true;
    }
    if (optind < argc) {
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__CheckpointRequest cr = RAISON__CHECKPOINT_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    cr.fresh = fresh;
    req.call_case = RAISON__API_REQUEST__CALL_CHECKPOINT;
    req.checkpoint = &cr;
    if (cli_call(cli, &req, RAISON__API_REPLY__RESULT_CHECKPOINT, &reply) != 0) {
        return CLI_EXIT_FAIL;
    }
    int st = CLI_EXIT_FAIL;
    const Raison__CheckpointReply *cp = reply->checkpoint;
    if (!cp || !cp->note || !cp->note[0]) {
        cli_fail("the node has no signed checkpoint (try --fresh)");
    } else if (cli->json) {
        st = cli_json_print(json_pack("{s:o,s:I,s:o}", "note", cli_json_str(cp->note), "size",
                                      (json_int_t)cp->size, "root",
                                      json_b64(cp->root.data, cp->root.len)),
                            false);
    } else {
        /* byte for byte as signed: the note ends with its own newline */
        size_t len = strlen(cp->note);
        st = fwrite(cp->note, 1, len, stdout) == len && fflush(stdout) == 0 ? CLI_EXIT_OK
                                                                            : CLI_EXIT_FAIL;
        if (st != CLI_EXIT_OK) {
            cli_fail("cannot write the checkpoint: %s", strerror(errno));
        }
    }
    raison__api_reply__free_unpacked(reply, NULL);
    return st;
}

/* --- prove, include ----------------------------------------------------------- */

static int audit_prove(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_COMMON_OPTIONS,
                                         {"old", required_argument, NULL, 'o'},
                                         {"new", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    uint64_t old_size = 0, new_size = 0;
    bool have_old = false;
    int c;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        if (c == CLI_OPT_STOP) {
            return cli->status;
        }
        if (c == 'o' || c == 'n') {
            uint64_t v = 0;
            if (!cli_parse_uint(optarg, RSN_MERKLE_MAX_SIZE, &v) || v == 0) {
                return cli_usage_error(cli, "--%s needs a tree size of at least 1",
                                       c == 'o' ? "old" : "new");
            }
            *(c == 'o' ? &old_size : &new_size) = v;
            have_old = have_old || c == 'o';
        } else {
            return cli_usage_error(cli, "unexpected option");
        }
    }
    if (optind < argc) {
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    }
    if (!have_old) {
        return cli_usage_error(cli, "--old N is required");
    }
    if (new_size && new_size < old_size) {
        return cli_usage_error(cli, "--new must be at least --old");
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__ProveRequest pr = RAISON__PROVE_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    rsn_merkle_proof_t proof;
    int st = CLI_EXIT_FAIL;
    pr.old_size = old_size;
    pr.new_size = new_size;
    req.call_case = RAISON__API_REQUEST__CALL_PROVE;
    req.prove = &pr;
    if (cli_call(cli, &req, RAISON__API_REPLY__RESULT_PROVE, &reply) != 0) {
        return CLI_EXIT_FAIL;
    }
    const Raison__ProveReply *p = reply->prove;
    if (!p) {
        cli_fail("the node sent an empty proof reply");
        goto out;
    }
    if (p->old_size != old_size || (new_size && p->new_size != new_size)) {
        cli_fail("the node proved sizes %llu -> %llu, not the ones asked",
                 (unsigned long long)p->old_size, (unsigned long long)p->new_size);
        goto out;
    }
    if (load_proof(p->proof, p->n_proof, proof) != 0) {
        goto out;
    }
    int rc = rsn_merkle_verify_consistency(p->old_size, p->new_size, p->old_root.data,
                                           p->old_root.len, p->new_root.data, p->new_root.len,
                                           (const uint8_t(*)[RSN_HASH_BYTES])proof, p->n_proof);
    if (rc != 0 || p->old_root.len != RSN_HASH_BYTES || p->new_root.len != RSN_HASH_BYTES) {
        cli_fail("THE NODE'S CONSISTENCY PROOF DOES NOT VERIFY (%llu -> %llu): %s",
                 (unsigned long long)p->old_size, (unsigned long long)p->new_size,
                 rc ? rsn_strerror(rc) : "roots are not 32 bytes");
        goto out;
    }
    if (cli->json) {
        st = cli_json_print(json_pack("{s:I,s:I,s:o,s:o,s:o}", "old_size", (json_int_t)p->old_size,
                                      "new_size", (json_int_t)p->new_size, "old_root",
                                      json_b64(p->old_root.data, 32), "new_root",
                                      json_b64(p->new_root.data, 32), "proof",
                                      json_b64_list(p->proof, p->n_proof)),
                            false);
        goto out;
    }
    printf("old tree  size %-10llu root %s\n", (unsigned long long)p->old_size,
           b64_hash(cli, p->old_root.data, 32));
    printf("new tree  size %-10llu root %s\n", (unsigned long long)p->new_size,
           b64_hash(cli, p->new_root.data, 32));
    printf("consistency proof (%zu hash%s):\n", p->n_proof, p->n_proof == 1 ? "" : "es");
    for (size_t i = 0; i < p->n_proof; i++) {
        printf("  %s\n", b64_hash(cli, p->proof[i].data, 32));
    }
    printf("verified (RFC 9162): the tree of %llu leaves extends the tree of %llu leaves\n",
           (unsigned long long)p->new_size, (unsigned long long)p->old_size);
    st = CLI_EXIT_OK;
out:
    raison__api_reply__free_unpacked(reply, NULL);
    return st;
}

static int audit_include(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"size", required_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
    uint64_t tree_size = 0;
    uint8_t id[RSN_ID_BYTES];
    int c;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        if (c == CLI_OPT_STOP) {
            return cli->status;
        }
        if (c != 's') {
            return cli_usage_error(cli, "unexpected option");
        }
        if (!cli_parse_uint(optarg, RSN_MERKLE_MAX_SIZE, &tree_size) || tree_size == 0) {
            return cli_usage_error(cli, "--size needs a tree size of at least 1");
        }
    }
    if (argc - optind != 1) {
        return cli_usage_error(cli, argc - optind ? "one ENTRY_ID only" : "missing ENTRY_ID");
    }
    if (cli_parse_id(argv[optind], "ENTRY_ID", id) != 0) {
        return CLI_EXIT_USAGE;
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__IncludeRequest ir = RAISON__INCLUDE_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    rsn_merkle_proof_t proof;
    uint8_t leaf[RSN_HASH_BYTES];
    int st = CLI_EXIT_FAIL;
    ir.id.data = id;
    ir.id.len = sizeof id;
    ir.tree_size = tree_size;
    req.call_case = RAISON__API_REQUEST__CALL_INCLUDE;
    req.include = &ir;
    if (cli_call(cli, &req, RAISON__API_REPLY__RESULT_INCLUDE, &reply) != 0) {
        return CLI_EXIT_FAIL;
    }
    const Raison__IncludeReply *p = reply->include;
    rsn_merkle_leaf_hash(leaf, id, sizeof id);
    if (!p) {
        cli_fail("the node sent an empty inclusion reply");
        goto out;
    }
    if (tree_size && p->tree_size != tree_size) {
        cli_fail("the node proved inclusion in a tree of %llu leaves, not %llu",
                 (unsigned long long)p->tree_size, (unsigned long long)tree_size);
        goto out;
    }
    if (p->leaf_hash.len != RSN_HASH_BYTES || memcmp(p->leaf_hash.data, leaf, sizeof leaf) != 0) {
        cli_fail("THE NODE'S LEAF HASH IS NOT SHA-256(0x00 || entry id)");
        goto out;
    }
    if (load_proof(p->proof, p->n_proof, proof) != 0) {
        goto out;
    }
    int rc = rsn_merkle_verify_inclusion(leaf, sizeof leaf, p->leaf_index, p->tree_size,
                                         (const uint8_t(*)[RSN_HASH_BYTES])proof, p->n_proof,
                                         p->root.data, p->root.len);
    if (rc != 0) {
        cli_fail("THE NODE'S INCLUSION PROOF DOES NOT VERIFY (leaf %llu of %llu): %s",
                 (unsigned long long)p->leaf_index, (unsigned long long)p->tree_size,
                 rsn_strerror(rc));
        goto out;
    }
    if (cli->json) {
        st = cli_json_print(
            json_pack("{s:I,s:I,s:o,s:o,s:o}", "leaf_index", (json_int_t)p->leaf_index, "tree_size",
                      (json_int_t)p->tree_size, "root", json_b64(p->root.data, 32), "leaf_hash",
                      json_b64(leaf, sizeof leaf), "proof", json_b64_list(p->proof, p->n_proof)),
            false);
        goto out;
    }
    printf("entry      %s\n", argv[optind]);
    printf("leaf       index %llu, hash %s\n", (unsigned long long)p->leaf_index,
           b64_hash(cli, leaf, sizeof leaf));
    printf("tree       size %llu, root %s\n", (unsigned long long)p->tree_size,
           b64_hash(cli, p->root.data, 32));
    printf("inclusion proof (%zu hash%s):\n", p->n_proof, p->n_proof == 1 ? "" : "es");
    for (size_t i = 0; i < p->n_proof; i++) {
        printf("  %s\n", b64_hash(cli, p->proof[i].data, 32));
    }
    printf("verified (RFC 9162): the entry is leaf %llu of the tree of %llu leaves\n",
           (unsigned long long)p->leaf_index, (unsigned long long)p->tree_size);
    st = CLI_EXIT_OK;
out:
    raison__api_reply__free_unpacked(reply, NULL);
    return st;
}

/* --- verify ------------------------------------------------------------------- */

static json_t *json_verify(const Raison__AuditVerifyReply *v)
{
    json_t *problems = json_array();
    for (size_t i = 0; problems && i < v->n_problems; i++) {
        const Raison__AuditProblem *p = v->problems[i];
        json_t *o = json_pack("{s:o,s:o,s:I,s:o}", "kind", cli_json_str(p->kind), "id",
                              cli_json_hex(p->id.data, p->id.len), "index", (json_int_t)p->index,
                              "reason", cli_json_str(p->reason));
        if (json_array_append_new(problems, o) != 0) {
            json_decref(problems);
            problems = NULL;
        }
    }
    json_t *doc = json_object();
    struct {
        const char *name;
        uint64_t value;
    } counts[] = {
        {"entries", v->entries},
        {"signatures_ok", v->signatures_ok},
        {"bad_signatures", v->bad_signatures},
        {"chain_errors", v->chain_errors},
        {"body_mismatches", v->body_mismatches},
        {"erased", v->erased},
        {"forks", v->forks},
        {"bad_forks", v->bad_forks},
        {"rule_violations", v->rule_violations},
        {"log_size", v->log_size},
    };
    for (size_t i = 0; doc && i < sizeof counts / sizeof counts[0]; i++) {
        json_object_set_new(doc, counts[i].name, json_integer((json_int_t)counts[i].value));
    }
    if (doc) {
        json_object_set_new(doc, "log_ok", json_boolean(v->log_ok));
        json_object_set_new(doc, "checkpoints", json_integer((json_int_t)v->checkpoints));
        json_object_set_new(doc, "bad_checkpoints", json_integer((json_int_t)v->bad_checkpoints));
        json_object_set_new(doc, "elapsed_ms", json_integer((json_int_t)v->elapsed_ms));
        json_object_set_new(doc, "integrity_ok", json_boolean(v->integrity_ok));
        if (!problems || json_object_set_new(doc, "problems", problems) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    } else {
        json_decref(problems);
    }
    return doc;
}

static void print_verify(rsn_cli_t *cli, const Raison__AuditVerifyReply *v)
{
    printf("entries          %llu (signatures ok %llu, bad %llu)\n", (unsigned long long)v->entries,
           (unsigned long long)v->signatures_ok, (unsigned long long)v->bad_signatures);
    printf("chain errors     %llu\n", (unsigned long long)v->chain_errors);
    printf("body mismatches  %llu (erased bodies %llu)\n", (unsigned long long)v->body_mismatches,
           (unsigned long long)v->erased);
    printf("forks            %llu (bad evidence %llu)\n", (unsigned long long)v->forks,
           (unsigned long long)v->bad_forks);
    printf("rule violations  %llu (kept in the log, not shown in views)\n",
           (unsigned long long)v->rule_violations);
    printf("log              %llu leaves, %s\n", (unsigned long long)v->log_size,
           v->log_ok ? "consistent with the entries" : "INCONSISTENT");
    printf("checkpoints      %llu signed, %llu bad\n", (unsigned long long)v->checkpoints,
           (unsigned long long)v->bad_checkpoints);
    printf("elapsed          %llu ms\n", (unsigned long long)v->elapsed_ms);
    if (v->n_problems) {
        printf("\nproblems (%zu%s):\n", v->n_problems,
               v->n_problems >= 1000 ? ", the first ones only" : "");
    }
    for (size_t i = 0; i < v->n_problems; i++) {
        const Raison__AuditProblem *p = v->problems[i];
        printf("  %-10s", p->kind ? p->kind : "?");
        if (p->id.len) {
            printf(" entry %s", cli_hex(cli, p->id.data, p->id.len));
        }
        if (p->index || !p->id.len) {
            printf(" index %llu", (unsigned long long)p->index);
        }
        printf(": %s\n", p->reason ? p->reason : "");
    }
    printf("\nintegrity: %s\n", v->integrity_ok ? "OK" : "BROKEN");
}

static int audit_verify(rsn_cli_t *cli, int argc, char **argv)
{
    int st = cli_plain_args(cli, argc, argv, 0, 0);
    if (st >= 0) {
        return st;
    }
    if (!cli->timeout_given && !cli->client) {
        cli->timeout_ms = VERIFY_TIMEOUT_MS; /* a whole store is read */
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__AuditVerifyRequest vr = RAISON__AUDIT_VERIFY_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    req.call_case = RAISON__API_REQUEST__CALL_AUDIT_VERIFY;
    req.audit_verify = &vr;
    if (cli_call(cli, &req, RAISON__API_REPLY__RESULT_AUDIT_VERIFY, &reply) != 0) {
        return CLI_EXIT_FAIL;
    }
    const Raison__AuditVerifyReply *v = reply->audit_verify;
    if (!v) {
        cli_fail("the node sent an empty verification report");
        st = CLI_EXIT_FAIL;
    } else if (cli->json) {
        st = cli_json_print(json_verify(v), false);
    } else {
        print_verify(cli, v);
        st = CLI_EXIT_OK;
    }
    if (st == CLI_EXIT_OK && !v->integrity_ok) {
        fprintf(stderr, "raison: audit verify: the node's integrity is broken (%zu problem%s)\n",
                v->n_problems, v->n_problems == 1 ? "" : "s");
        st = CLI_EXIT_FAIL;
    }
    raison__api_reply__free_unpacked(reply, NULL);
    return st;
}

/* --- export ------------------------------------------------------------------- */

/* Writes OBJ as one compact line and releases it. */
static int write_line(FILE *f, json_t *obj)
{
    int rc = obj ? json_dumpf(obj, f, JSON_LINE_FLAGS) : -1;
    json_decref(obj);
    if (rc != 0 || fputc('\n', f) == EOF) {
        return obj ? RSN_ERR_IO : RSN_ERR_NOMEM;
    }
    return 0;
}

/* An object with KEY/VALUE pairs in this order (VALUE references stolen);
 * NULL when any is NULL. */
static json_t *ordered(size_t n, const char *const *keys, json_t **values)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        if (!o || !values[i] || json_object_set_new(o, keys[i], values[i]) != 0) {
            if (!o) {
                json_decref(values[i]);
            }
            json_decref(o);
            o = NULL;
            for (size_t j = i + 1; j < n; j++) {
                json_decref(values[j]);
            }
            return NULL;
        }
    }
    return o;
}

static json_t *entry_line(const Raison__Leaf *leaf, const Raison__Entry *e)
{
    static const char *const keys[] = {"type", "index", "id",        "author",
                                       "seq",  "entry", "signature", "body"};
    const Raison__SignedEntry *se = leaf->signed_entry;
    /* an absent body is an erased one, unless the entry's body is empty */
    bool erased = se->body.len == 0 && e->body_size != 0;
    json_t *values[] = {
        json_string("entry"),
        json_integer((json_int_t)leaf->index),
        cli_json_hex(leaf->id.data, leaf->id.len),
        cli_json_hex(e->author.data, e->author.len),
        json_integer((json_int_t)e->seq),
        json_b64(se->entry.data, se->entry.len),
        json_b64(se->signature.data, se->signature.len),
        erased ? json_null() : json_b64(se->body.data, se->body.len),
    };
    return ordered(8, keys, values);
}

static json_t *half_line(const Raison__SignedEntry *se)
{
    static const char *const keys[] = {"entry", "signature"};
    json_t *values[] = {
        json_b64(se ? se->entry.data : NULL, se ? se->entry.len : 0),
        json_b64(se ? se->signature.data : NULL, se ? se->signature.len : 0),
    };
    return ordered(2, keys, values);
}

static json_t *fork_line(const Raison__ForkEvidence *f)
{
    static const char *const keys[] = {"type", "author", "seq", "a", "b"};
    json_t *values[] = {
        json_string("fork"),
        cli_json_hex(f->author.data, f->author.len),
        json_integer((json_int_t)f->seq),
        half_line(f->a),
        half_line(f->b),
    };
    return ordered(5, keys, values);
}

/* Pages through the leaves [0, SIZE) into F, appending their leaf hashes to
 * FR. *WRITTEN counts them. A printed error on failure. */
static int export_leaves(rsn_cli_t *cli, FILE *f, uint64_t size, rsn_merkle_frontier_t *fr,
                         uint64_t *written)
{
    uint64_t next = 0;
    int rc = 0;
    for (unsigned page = 0; next < size && page < EXPORT_MAX_PAGES; page++) {
        Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
        Raison__LeavesRequest lr = RAISON__LEAVES_REQUEST__INIT;
        Raison__ApiReply *reply = NULL;
        rsn_arena_t *arena = rsn_arena_new();
        lr.from_index = next;
        lr.limit = EXPORT_PAGE;
        lr.tree_size = size;
        req.call_case = RAISON__API_REQUEST__CALL_LEAVES;
        req.leaves = &lr;
        if (!arena) {
            return cli_fail("out of memory");
        }
        if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_LEAVES, &reply)) != 0) {
            rsn_arena_destroy(&arena);
            return rc;
        }
        const Raison__LeavesReply *lv = reply->leaves;
        if (!lv || lv->n_leaves == 0) {
            rc = cli_fail("the node sent no leaves from index %llu (its checkpoint has %llu)",
                          (unsigned long long)next, (unsigned long long)size);
        }
        for (size_t i = 0; rc == 0 && i < lv->n_leaves; i++) {
            const Raison__Leaf *leaf = lv->leaves[i];
            const Raison__SignedEntry *se = leaf->signed_entry;
            Raison__Entry *e = NULL;
            char why[160] = "";
            uint8_t h[RSN_HASH_BYTES];
            rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
            size_t n_nodes = 0;
            if (leaf->index != next || next >= size) {
                rc = cli_fail("the node sent leaf %llu where leaf %llu of %llu was expected",
                              (unsigned long long)leaf->index, (unsigned long long)next,
                              (unsigned long long)size);
            } else if (leaf->id.len != RSN_ID_BYTES || !se) {
                rc = cli_fail("the node sent an incomplete leaf %llu", (unsigned long long)next);
            } else if (rsn_entry_decode(arena, se->entry.data, se->entry.len, &e, why,
                                        sizeof why) != 0) {
                rc = cli_fail("the entry of leaf %llu does not decode (%s): run 'raison audit "
                              "verify'",
                              (unsigned long long)next, why);
            } else if (write_line(f, entry_line(leaf, e)) != 0) {
                rc = cli_fail("cannot write the export: %s", strerror(errno));
            } else {
                rsn_merkle_leaf_hash(h, leaf->id.data, RSN_ID_BYTES);
                rc = rsn_merkle_frontier_append(fr, h, nodes, &n_nodes);
                next++;
                if (next % EXPORT_PROGRESS == 0) {
                    fprintf(stderr, "raison: audit export: %llu of %llu entries\n",
                            (unsigned long long)next, (unsigned long long)size);
                }
            }
        }
        raison__api_reply__free_unpacked(reply, NULL);
        rsn_arena_destroy(&arena);
        if (rc != 0) {
            return rc;
        }
    }
    *written = next;
    if (next != size) {
        return cli_fail("the node stopped sending leaves at %llu of %llu", (unsigned long long)next,
                        (unsigned long long)size);
    }
    return 0;
}

/* Pages through the node's fork evidence into F; *WRITTEN counts it. */
static int export_forks(rsn_cli_t *cli, FILE *f, uint64_t *written)
{
    uint8_t *cursor = NULL;
    size_t cursor_len = 0;
    int rc = 0;
    *written = 0;
    for (unsigned page = 0; page < EXPORT_MAX_PAGES; page++) {
        Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
        Raison__ForksRequest fr = RAISON__FORKS_REQUEST__INIT;
        Raison__ApiReply *reply = NULL;
        fr.limit = EXPORT_FORKS_PAGE;
        fr.cursor.data = cursor;
        fr.cursor.len = cursor_len;
        req.call_case = RAISON__API_REQUEST__CALL_FORKS;
        req.forks = &fr;
        if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_FORKS, &reply)) != 0) {
            break;
        }
        const Raison__ForksReply *fk = reply->forks;
        for (size_t i = 0; fk && rc == 0 && i < fk->n_forks; i++) {
            if (write_line(f, fork_line(fk->forks[i])) != 0) {
                rc = cli_fail("cannot write the export: %s", strerror(errno));
            }
            (*written)++;
        }
        bool more = fk && fk->next_cursor.len > 0 && fk->n_forks > 0;
        free(cursor);
        cursor = NULL;
        if (rc == 0 && more) {
            cursor_len = fk->next_cursor.len;
            if (!(cursor = malloc(cursor_len))) {
                rc = cli_fail("out of memory");
            } else {
                memcpy(cursor, fk->next_cursor.data, cursor_len);
            }
        }
        raison__api_reply__free_unpacked(reply, NULL);
        if (rc != 0 || !more) {
            break;
        }
    }
    free(cursor);
    return rc;
}

static int audit_export(rsn_cli_t *cli, int argc, char **argv)
{
    int st = cli_plain_args(cli, argc, argv, 1, 1);
    if (st >= 0) {
        return st;
    }
    const char *path = argv[optind];
    const char *tmp = rsn_arena_printf(cli->arena, "%s.tmp", path);
    const char *vkey = NULL, *note = NULL;
    char name[RSN_NOTE_NAME_MAX + 1];
    uint8_t pubkey[RSN_KEY_BYTES], root[RSN_HASH_BYTES], got[RSN_HASH_BYTES];
    uint64_t size = 0, entries = 0, forks = 0;
    rsn_merkle_frontier_t fr;
    FILE *f = NULL;
    st = CLI_EXIT_FAIL;
    if (!tmp) {
        cli_fail("out of memory");
        return CLI_EXIT_FAIL;
    }
    /* the checkpoint first: the export is exactly the leaves it covers */
    if (fetch_key(cli, &vkey, name, pubkey) != 0 ||
        fetch_checkpoint(cli, true, name, pubkey, &note, &size, root) != 0) {
        return CLI_EXIT_FAIL;
    }
    if (!(f = fopen(tmp, "w"))) {
        cli_fail("cannot create %s: %s", tmp, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    static const char *const hkeys[] = {"type", "format", "version", "node", "vkey", "tree_size"};
    json_t *hvalues[] = {
        json_string("header"),
        json_string(EXPORT_FORMAT),
        json_integer(EXPORT_VERSION),
        json_string(name + strlen(RSN_NOTE_ORIGIN_PREFIX)),
        json_string(vkey),
        json_integer((json_int_t)size),
    };
    if (write_line(f, ordered(6, hkeys, hvalues)) != 0) {
        cli_fail("cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    rsn_merkle_frontier_init(&fr);
    if (export_leaves(cli, f, size, &fr, &entries) != 0 || export_forks(cli, f, &forks) != 0) {
        goto out;
    }
    rsn_merkle_frontier_root(&fr, got);
    if (memcmp(got, root, sizeof root) != 0) {
        cli_fail("THE LEAVES THE NODE SENT DO NOT HASH TO ITS SIGNED ROOT: no export written "
                 "(run 'raison audit verify')");
        goto out;
    }
    static const char *const ckeys[] = {"type", "note"};
    json_t *cvalues[] = {json_string("checkpoint"), json_string(note)};
    if (write_line(f, ordered(2, ckeys, cvalues)) != 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        cli_fail("cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    int rc = fclose(f);
    f = NULL;
    if (rc != 0 || rename(tmp, path) != 0) {
        cli_fail("cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    if (cli->json) {
        st = cli_json_print(json_pack("{s:s,s:s,s:I,s:I,s:I,s:o}", "file", path, "node",
                                      name + strlen(RSN_NOTE_ORIGIN_PREFIX), "entries",
                                      (json_int_t)entries, "forks", (json_int_t)forks, "tree_size",
                                      (json_int_t)size, "root", json_b64(root, sizeof root)),
                            false);
    } else {
        printf("wrote %s: %llu entries, %llu fork%s, checkpoint of %llu leaves, root %s\n", path,
               (unsigned long long)entries, (unsigned long long)forks, forks == 1 ? "" : "s",
               (unsigned long long)size, b64_hash(cli, root, sizeof root));
        st = CLI_EXIT_OK;
    }
out:
    if (f) {
        fclose(f);
    }
    if (st != CLI_EXIT_OK) {
        unlink(tmp);
    }
    return st;
}

/* --- verify-export ------------------------------------------------------------ */

/* The head of one author's feed in the file: its last seq and that entry's id. */
typedef struct {
    uint8_t author[RSN_KEY_BYTES];
    uint64_t seq; /* 0: free slot */
    uint8_t id[RSN_ID_BYTES];
} head_t;

/* An open-addressing table of heads, by author. */
typedef struct {
    head_t *slots;
    size_t cap; /* a power of two */
    size_t n;
} heads_t;

static size_t slot_of(const heads_t *h, const uint8_t author[RSN_KEY_BYTES])
{
    uint64_t k;
    memcpy(&k, author, sizeof k); /* keys are uniformly random */
    size_t i = (size_t)k & (h->cap - 1);
    while (h->slots[i].seq != 0 && memcmp(h->slots[i].author, author, RSN_KEY_BYTES) != 0) {
        i = (i + 1) & (h->cap - 1);
    }
    return i;
}

/* The head of AUTHOR, created empty (seq 0) when new. NULL when out of memory. */
static head_t *head_get(heads_t *h, const uint8_t author[RSN_KEY_BYTES])
{
    if (2 * (h->n + 1) > h->cap) {
        heads_t bigger = {calloc(h->cap ? 2 * h->cap : 256, sizeof(head_t)),
                          h->cap ? 2 * h->cap : 256, h->n};
        if (!bigger.slots) {
            return NULL;
        }
        for (size_t i = 0; i < h->cap; i++) {
            if (h->slots[i].seq != 0) {
                bigger.slots[slot_of(&bigger, h->slots[i].author)] = h->slots[i];
            }
        }
        free(h->slots);
        *h = bigger;
    }
    size_t i = slot_of(h, author);
    if (h->slots[i].seq == 0) {
        memcpy(h->slots[i].author, author, RSN_KEY_BYTES);
    }
    return &h->slots[i];
}

/* What verify-export keeps while reading the file. */
typedef struct {
    const char *path;
    unsigned long line;
    char name[RSN_NOTE_NAME_MAX + 1]; /* the vkey's name: "raison/" + node hex */
    uint8_t node[RSN_KEY_BYTES];
    uint64_t tree_size; /* the header's */
    uint64_t entries, erased, forks;
    bool seen_fork, seen_checkpoint;
    heads_t heads;
    rsn_merkle_frontier_t frontier;
    uint8_t root[RSN_HASH_BYTES];
    uint8_t *body; /* RSN_BODY_MAX bytes */
} vx_t;

/* Prints "raison: FILE: line N: REASON" and returns RSN_ERR_INVALID_ARG. */
static int RSN_PRINTF(2, 3) bad(const vx_t *x, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "raison: %s: line %lu: ", x->path, x->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return RSN_ERR_INVALID_ARG;
}

/* Requires OBJ to hold exactly N members (with the required ones checked by
 * the getters, no unknown member can hide). */
static int members(const vx_t *x, const json_t *obj, size_t n, const char *what)
{
    if (!json_is_object(obj)) {
        return bad(x, "%s is not a JSON object", what);
    }
    if (json_object_size(obj) != n) {
        return bad(x, "%s has %zu fields, expected %zu", what, json_object_size(obj), n);
    }
    return 0;
}

static int get_str(const vx_t *x, const json_t *obj, const char *key, const char **out, size_t *len)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        return bad(x, "\"%s\" is missing or not a string", key);
    }
    *out = json_string_value(v);
    if (len) {
        *len = json_string_length(v);
    }
    return 0;
}

static int get_uint(const vx_t *x, const json_t *obj, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return bad(x, "\"%s\" is missing or not a non-negative integer", key);
    }
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* A 64-character lowercase hex field: a key or an id. */
static int get_hex32(const vx_t *x, const json_t *obj, const char *key, uint8_t out[32])
{
    const char *s = NULL;
    size_t len = 0;
    int rc = get_str(x, obj, key, &s, &len);
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            len = 0;
        }
    }
    if (len != RSN_KEY_HEX || rsn_key_from_hex(out, s) != 0) {
        return bad(x, "\"%s\" is not 64 lowercase hex characters", key);
    }
    return 0;
}

/* A base64 field of at most MAX bytes into OUT. */
static int get_b64(const vx_t *x, const json_t *obj, const char *key, uint8_t *out, size_t max,
                   size_t *out_len)
{
    const char *s = NULL;
    size_t len = 0;
    int rc = get_str(x, obj, key, &s, &len);
    if (rc != 0) {
        return rc;
    }
    if (len > 4 * ((max + 2) / 3) || rsn_base64_decode(out, max, out_len, s, len) != 0) {
        return bad(x, "\"%s\" is not standard base64 of at most %zu bytes", key, max);
    }
    return 0;
}

static int vx_header(vx_t *x, const json_t *o)
{
    const char *type = NULL, *format = NULL, *node_hex = NULL, *vkey = NULL;
    uint64_t version = 0;
    uint8_t vkey_pub[RSN_KEY_BYTES];
    int rc = 0;
    if ((rc = get_str(x, o, "type", &type, NULL)) != 0) {
        return rc;
    }
    if (strcmp(type, "header") != 0) {
        return bad(x, "the first line is not the header (type \"%s\")", type);
    }
    if ((rc = members(x, o, 6, "the header")) != 0 ||
        (rc = get_str(x, o, "format", &format, NULL)) ||
        (rc = get_uint(x, o, "version", &version)) || (rc = get_hex32(x, o, "node", x->node)) ||
        (rc = get_str(x, o, "vkey", &vkey, NULL)) ||
        (rc = get_uint(x, o, "tree_size", &x->tree_size))) {
        return rc;
    }
    node_hex = json_string_value(json_object_get(o, "node"));
    if (strcmp(format, EXPORT_FORMAT) != 0) {
        return bad(x, "format \"%s\" is not \"%s\"", format, EXPORT_FORMAT);
    }
    if (version != EXPORT_VERSION) {
        return bad(x, "version %llu is not %d (this raison reads version %d)",
                   (unsigned long long)version, EXPORT_VERSION, EXPORT_VERSION);
    }
    if (x->tree_size > RSN_MERKLE_MAX_SIZE) {
        return bad(x, "tree_size is too large");
    }
    if (rsn_note_parse_verifier_key(vkey, x->name, sizeof x->name, vkey_pub) != 0) {
        return bad(x, "vkey is not a valid note verifier key");
    }
    if (strncmp(x->name, RSN_NOTE_ORIGIN_PREFIX, strlen(RSN_NOTE_ORIGIN_PREFIX)) != 0 ||
        strcmp(x->name + strlen(RSN_NOTE_ORIGIN_PREFIX), node_hex) != 0) {
        return bad(x, "the vkey's name \"%s\" is not \"raison/\" + node", x->name);
    }
    if (memcmp(vkey_pub, x->node, RSN_KEY_BYTES) != 0) {
        return bad(x, "the vkey's public key is not the node key");
    }
    return 0;
}

/* Decodes, checks and verifies one signed entry: the bytes ENTRY of LEN
 * under AUTHOR with signature SIG. *E when it decodes. */
static int vx_signed(const vx_t *x, rsn_arena_t *arena, const uint8_t *entry, size_t len,
                     const uint8_t sig[RSN_SIG_BYTES], Raison__Entry **e, const char *what)
{
    char why[160] = "";
    if (rsn_entry_decode(arena, entry, len, e, why, sizeof why) != 0) {
        return bad(x, "%sentry does not decode: %s", what, why);
    }
    if (rsn_entry_verify((*e)->author.data, entry, len, sig) != 0) {
        return bad(x, "%ssignature does not verify", what);
    }
    return 0;
}

static int vx_entry(vx_t *x, rsn_arena_t *arena, const json_t *o)
{
    uint8_t entry[RSN_ENTRY_MAX], sig[RSN_SIG_BYTES], id[RSN_ID_BYTES], author[RSN_KEY_BYTES];
    uint8_t h[RSN_HASH_BYTES];
    size_t entry_len = 0, sig_len = 0, body_len = 0;
    uint64_t index = 0, seq = 0;
    Raison__Entry *e = NULL;
    int rc = 0;
    if ((rc = members(x, o, 8, "the entry line")) || (rc = get_uint(x, o, "index", &index))) {
        return rc;
    }
    if (index != x->entries) {
        return bad(x, "index %llu where %llu was expected (a line is missing or out of order)",
                   (unsigned long long)index, (unsigned long long)x->entries);
    }
    if ((rc = get_hex32(x, o, "id", id)) || (rc = get_hex32(x, o, "author", author)) ||
        (rc = get_uint(x, o, "seq", &seq)) ||
        (rc = get_b64(x, o, "entry", entry, sizeof entry, &entry_len)) ||
        (rc = get_b64(x, o, "signature", sig, sizeof sig, &sig_len))) {
        return rc;
    }
    if (sig_len != RSN_SIG_BYTES) {
        return bad(x, "signature is %zu bytes, not 64", sig_len);
    }
    rsn_entry_id(h, entry, entry_len);
    if (memcmp(h, id, sizeof id) != 0) {
        return bad(x, "id is not the SHA-256 of the entry bytes");
    }
    if ((rc = vx_signed(x, arena, entry, entry_len, sig, &e, ""))) {
        return rc;
    }
    if (memcmp(e->author.data, author, sizeof author) != 0) {
        return bad(x, "author is not the entry's author");
    }
    if (e->seq != seq) {
        return bad(x, "seq %llu is not the entry's seq %llu", (unsigned long long)seq,
                   (unsigned long long)e->seq);
    }
    const json_t *body = json_object_get(o, "body");
    if (json_is_null(body)) {
        x->erased++;
    } else if ((rc = get_b64(x, o, "body", x->body, RSN_BODY_MAX, &body_len))) {
        return rc;
    } else {
        rsn_sha256(h, x->body, body_len);
        if (body_len != e->body_size || memcmp(h, e->body_hash.data, sizeof h) != 0) {
            return bad(x, "body does not match the entry's body_hash and body_size");
        }
    }
    head_t *head = head_get(&x->heads, author);
    if (!head) {
        return bad(x, "out of memory");
    }
    if (head->seq >= seq) {
        return bad(x, "a second entry for author %.12s... seq %llu (the feed is at %llu)",
                   json_string_value(json_object_get(o, "author")), (unsigned long long)seq,
                   (unsigned long long)head->seq);
    }
    if (head->seq + 1 != seq) {
        return bad(x, "author %.12s... jumps from seq %llu to %llu (the chain is broken)",
                   json_string_value(json_object_get(o, "author")), (unsigned long long)head->seq,
                   (unsigned long long)seq);
    }
    if (seq > 1 && (e->prev.len != RSN_ID_BYTES || memcmp(e->prev.data, head->id, 32) != 0)) {
        return bad(x, "prev is not the id of the author's entry seq %llu",
                   (unsigned long long)(seq - 1));
    }
    if (seq == 1 && e->prev.len != 0) {
        return bad(x, "seq 1 with a prev");
    }
    if (head->seq == 0) {
        x->heads.n++;
    }
    head->seq = seq;
    memcpy(head->id, id, sizeof id);
    rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
    size_t n_nodes = 0;
    rsn_merkle_leaf_hash(h, id, sizeof id);
    if (rsn_merkle_frontier_append(&x->frontier, h, nodes, &n_nodes) != 0) {
        return bad(x, "the log is full");
    }
    x->entries++;
    return 0;
}

static int vx_half(const vx_t *x, rsn_arena_t *arena, const json_t *o, const char *which,
                   const uint8_t author[RSN_KEY_BYTES], uint64_t seq, uint8_t *entry,
                   size_t *entry_len)
{
    const json_t *half = json_object_get(o, which);
    uint8_t sig[RSN_SIG_BYTES];
    size_t sig_len = 0;
    Raison__Entry *e = NULL;
    char what[32];
    int rc = 0;
    snprintf(what, sizeof what, "fork half \"%s\": ", which);
    if ((rc = members(x, half, 2, what)) ||
        (rc = get_b64(x, half, "entry", entry, RSN_ENTRY_MAX, entry_len)) ||
        (rc = get_b64(x, half, "signature", sig, sizeof sig, &sig_len))) {
        return rc;
    }
    if (sig_len != RSN_SIG_BYTES) {
        return bad(x, "%ssignature is %zu bytes, not 64", what, sig_len);
    }
    if ((rc = vx_signed(x, arena, entry, *entry_len, sig, &e, what))) {
        return rc;
    }
    if (memcmp(e->author.data, author, RSN_KEY_BYTES) != 0 || e->seq != seq) {
        return bad(x, "%snot an entry of this author and seq", what);
    }
    return 0;
}

static int vx_fork(vx_t *x, rsn_arena_t *arena, const json_t *o)
{
    uint8_t author[RSN_KEY_BYTES], a[RSN_ENTRY_MAX], b[RSN_ENTRY_MAX];
    size_t a_len = 0, b_len = 0;
    uint64_t seq = 0;
    int rc = 0;
    if ((rc = members(x, o, 5, "the fork line")) || (rc = get_hex32(x, o, "author", author)) ||
        (rc = get_uint(x, o, "seq", &seq)) ||
        (rc = vx_half(x, arena, o, "a", author, seq, a, &a_len)) ||
        (rc = vx_half(x, arena, o, "b", author, seq, b, &b_len))) {
        return rc;
    }
    if (a_len == b_len && memcmp(a, b, a_len) == 0) {
        return bad(x, "the two halves of the fork are the same entry");
    }
    x->forks++;
    return 0;
}

static int vx_checkpoint(vx_t *x, const json_t *o)
{
    const char *note = NULL;
    size_t len = 0, text_len = 0;
    char origin[RSN_NOTE_NAME_MAX + 1];
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES];
    int rc = 0;
    if ((rc = members(x, o, 2, "the checkpoint line")) ||
        (rc = get_str(x, o, "note", &note, &len))) {
        return rc;
    }
    rc = rsn_note_verify(note, len, x->name, x->node, &text_len);
    if (rc == RSN_ERR_NOT_FOUND) {
        return bad(x, "the checkpoint is not signed by the node's key %s", x->name);
    }
    if (rc == RSN_ERR_BAD_SIGNATURE) {
        return bad(x, "the checkpoint's signature does not verify");
    }
    if (rc != 0) {
        return bad(x, "the checkpoint is not a valid signed note");
    }
    if (rsn_checkpoint_parse(note, text_len, origin, sizeof origin, &size, root) != 0) {
        return bad(x, "the checkpoint text is not a valid tlog-checkpoint");
    }
    if (strcmp(origin, x->name) != 0) {
        return bad(x, "the checkpoint's origin \"%s\" is not \"%s\"", origin, x->name);
    }
    if (size != x->tree_size) {
        return bad(x, "the checkpoint's size %llu is not the header's tree_size %llu",
                   (unsigned long long)size, (unsigned long long)x->tree_size);
    }
    if (size != x->entries) {
        return bad(x, "the checkpoint covers %llu leaves but the file has %llu entry lines",
                   (unsigned long long)size, (unsigned long long)x->entries);
    }
    rsn_merkle_frontier_root(&x->frontier, x->root);
    if (memcmp(root, x->root, sizeof root) != 0) {
        return bad(x, "the checkpoint's root is not the Merkle root of the entries");
    }
    x->seen_checkpoint = true;
    return 0;
}

/* One line of the file (LEN bytes, no newline). */
static int vx_line(vx_t *x, const char *text, size_t len)
{
    json_error_t jerr;
    rsn_arena_t *arena = NULL;
    const char *type = NULL;
    int rc = 0;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o) {
        return bad(x, "not JSON (%s)", jerr.text);
    }
    if (x->seen_checkpoint) {
        rc = bad(x, "a line after the checkpoint line, which must be the last");
    } else if (!json_is_object(o)) {
        rc = bad(x, "not a JSON object");
    } else if (x->line == 1) {
        rc = vx_header(x, o);
    } else if ((rc = get_str(x, o, "type", &type, NULL)) != 0) {
        /* printed */
    } else if (!(arena = rsn_arena_new())) {
        rc = bad(x, "out of memory");
    } else if (strcmp(type, "entry") == 0) {
        rc = x->seen_fork ? bad(x, "an entry line after the fork lines") : vx_entry(x, arena, o);
    } else if (strcmp(type, "fork") == 0) {
        x->seen_fork = true;
        rc = vx_fork(x, arena, o);
    } else if (strcmp(type, "checkpoint") == 0) {
        rc = vx_checkpoint(x, o);
    } else if (strcmp(type, "header") == 0) {
        rc = bad(x, "a second header line");
    } else {
        rc = bad(x, "unknown line type \"%s\"", type);
    }
    rsn_arena_destroy(&arena);
    json_decref(o);
    return rc;
}

/* Reads the next line of F into BUF (EXPORT_LINE_MAX bytes) without its
 * newline: 1 and *LEN, 0 at the end of the file, or a printed error. */
static int vx_read(vx_t *x, FILE *f, char *buf, size_t *len)
{
    size_t n = 0;
    int ch;
    while ((ch = getc_unlocked(f)) != EOF && ch != '\n') {
        if (n == EXPORT_LINE_MAX) {
            return bad(x, "longer than %d bytes", EXPORT_LINE_MAX);
        }
        buf[n++] = (char)ch;
    }
    if (ferror(f)) {
        return bad(x, "read error: %s", strerror(errno));
    }
    if (ch == EOF && n == 0) {
        return 0;
    }
    if (ch == EOF) {
        return bad(x, "the last line does not end with a newline (truncated file?)");
    }
    *len = n;
    return 1;
}

static int audit_verify_export(rsn_cli_t *cli, int argc, char **argv)
{
    int st = cli_plain_args(cli, argc, argv, 1, 1);
    if (st >= 0) {
        return st;
    }
    vx_t x = {.path = argv[optind]};
    char *buf = malloc(EXPORT_LINE_MAX);
    FILE *f = NULL;
    int rc = 0;
    size_t len = 0;
    st = CLI_EXIT_FAIL;
    x.body = malloc(RSN_BODY_MAX);
    rsn_merkle_frontier_init(&x.frontier);
    if (!buf || !x.body) {
        cli_fail("out of memory");
        goto out;
    }
    if (!(f = fopen(x.path, "r"))) {
        cli_fail("cannot open %s: %s", x.path, strerror(errno));
        goto out;
    }
    for (;;) {
        x.line++;
        if ((rc = vx_read(&x, f, buf, &len)) <= 0) {
            break;
        }
        if ((rc = vx_line(&x, buf, len)) != 0) {
            break;
        }
    }
    if (rc == 0 && x.line == 1) {
        rc = bad(&x, "the file is empty: no header line");
    } else if (rc == 0 && !x.seen_checkpoint) {
        rc = bad(&x, "the file ends without a checkpoint line (truncated?)");
    }
    if (rc != 0) {
        fprintf(stderr, "raison: %s does NOT verify\n", x.path);
        goto out;
    }
    const char *node = cli_hex(cli, x.node, sizeof x.node);
    if (cli->json) {
        st = cli_json_print(
            json_pack("{s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "ok", 1, "node", node, "entries",
                      (json_int_t)x.entries, "authors", (json_int_t)x.heads.n, "erased",
                      (json_int_t)x.erased, "forks", (json_int_t)x.forks, "tree_size",
                      (json_int_t)x.tree_size, "root", json_b64(x.root, sizeof x.root)),
            false);
    } else {
        printf("%s: the export verifies\n", x.path);
        printf("  node          %s\n", node);
        printf("  entries       %llu (authors %zu, erased bodies %llu)\n",
               (unsigned long long)x.entries, x.heads.n, (unsigned long long)x.erased);
        printf("  forks         %llu\n", (unsigned long long)x.forks);
        printf("  tree size     %llu\n", (unsigned long long)x.tree_size);
        printf("  root          %s\n", b64_hash(cli, x.root, sizeof x.root));
        printf("every signature, id, body and chain checked; the checkpoint is signed by the\n"
               "node and its root is the RFC 9162 root of these entries\n");
        st = CLI_EXIT_OK;
    }
out:
    if (f) {
        fclose(f);
    }
    free(x.heads.slots);
    free(x.body);
    free(buf);
    return st;
}

/* --- the family ----------------------------------------------------------------- */

static const rsn_cli_command_t audit_commands[] = {
    {"key", audit_key, "", "print the node's note verifier key (name+keyid+base64 key)",
     "  --json: {\"origin\", \"verifier_key\"}\n"},
    {"checkpoint", audit_checkpoint, "[--fresh]",
     "print the node's latest signed checkpoint, byte for byte as signed",
     "  --fresh    ask the node to sign one for its current log now\n"
     "  --json: {\"note\", \"size\", \"root\"} (root in standard base64)\n"},
    {"prove", audit_prove, "--old N [--new M]",
     "a consistency proof that the log of M leaves extends the log of N leaves",
     "  --old N    the older tree size (at least 1)\n"
     "  --new M    the newer tree size (default: the node's latest signed checkpoint)\n"
     "  the proof is verified here (RFC 9162) before it is printed\n"
     "  --json: {\"old_size\", \"new_size\", \"old_root\", \"new_root\", \"proof\"}\n"
     "          (hashes in standard base64)\n"},
    {"include", audit_include, "ENTRY_ID [--size M]",
     "an inclusion proof of an entry in the node's log",
     "  --size M   the tree size (default: the node's latest signed checkpoint)\n"
     "  the proof is verified here (RFC 9162) before it is printed\n"
     "  --json: {\"leaf_index\", \"tree_size\", \"root\", \"leaf_hash\", \"proof\"}\n"
     "          (hashes in standard base64; leaf_hash = SHA-256(0x00 || id))\n"},
    {"verify", audit_verify, "",
     "have the node check its whole store (signatures, chains, bodies, log)",
     "  waits up to 10 minutes unless --timeout-ms is given; exit status 1 when\n"
     "  the node's integrity is broken\n"
     "  --json: the counts, \"problems\": [{kind, id, index, reason}], integrity_ok\n"},
    {"export", audit_export, "FILE", "write the node's audit export (JSON Lines, docs/audit.md)",
     "  has the node sign a checkpoint, then writes every log leaf, the fork\n"
     "  evidence and that checkpoint to FILE (through FILE.tmp)\n"},
    {"verify-export", audit_verify_export, "FILE",
     "check an audit export with no node and no trust in it",
     "  every line: ids, signatures, bodies, chains, forks, and the checkpoint\n"
     "  signed by the node for the Merkle root of the entries; the first problem\n"
     "  is named with its line number (exit status 1)\n"},
};

int cli_cmd_audit(rsn_cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            cli_print_usage(cli, stdout);
            return CLI_EXIT_OK;
        }
        return cli_usage_error(cli, "which one: key, checkpoint, prove, include, verify, export "
                                    "or verify-export?");
    }
    const rsn_cli_command_t *sub = cli_find_sub(
        cli, audit_commands, sizeof audit_commands / sizeof audit_commands[0], "audit", argv[1]);
    if (!sub) {
        return cli_usage_error(cli, "unknown subcommand '%s'", argv[1]);
    }
    optind = 0;
    return sub->run(cli, argc - 1, argv + 1);
}
