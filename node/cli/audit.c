/* audit.c — `raison audit`: the node's transparency log, from outside.
 *
 * key, checkpoint, prove, include and verify are one or two API calls each;
 * prove and include check the node's proof locally (RFC 9162, crypto/merkle.h)
 * before printing it and fail loudly when it does not verify. export
 * (audit_export.c) writes the public JSON Lines export of docs/audit.md, and
 * verify-export checks such a file with no node and no trust in whoever
 * wrote it (verify_export.c), naming the line of the first thing wrong. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/audit_fetch.h"
#include "cli/cli.h"
#include "cli/verify_export.h"
#include "crypto/merkle.h"
#include "crypto/note.h"

#define VERIFY_TIMEOUT_MS (10 * 60 * 1000)
#define VERIFY_PROGRESS_MS 1000 /* how often `verify` asks how far the node is */

/* --- small helpers ----------------------------------------------------------- */

static json_t *json_b64_list(const ProtobufCBinaryData *items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, cli_json_b64(items[i].data, items[i].len)) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

/* Prints the N hashes of a proof, one a line, after its title. */
static void print_proof(rsn_cli_t *cli, const ProtobufCBinaryData *items, size_t n,
                        const char *what)
{
    printf("%s proof (%zu hash%s):\n", what, n, n == 1 ? "" : "es");
    for (size_t i = 0; i < n; i++) {
        printf("  %s\n", cli_b64(cli, items[i].data, RSN_HASH_BYTES));
    }
}

/* Copies the N hashes of a proof from outside into PROOF, refusing any that
 * is not 32 bytes long and more than RSN_MERKLE_MAX_DEPTH of them. */
static int load_proof(rsn_cli_t *cli, const ProtobufCBinaryData *items, size_t n,
                      rsn_merkle_proof_t proof)
{
    if (n > RSN_MERKLE_MAX_DEPTH) {
        return cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node's proof has %zu hashes (at most %d)", n,
                        RSN_MERKLE_MAX_DEPTH);
    }
    for (size_t i = 0; i < n; i++) {
        if (items[i].len != RSN_HASH_BYTES) {
            return cli_fail(cli, RSN_ERR_BAD_REQUEST,
                            "hash %zu of the node's proof is %zu bytes long, not 32", i,
                            items[i].len);
        }
        memcpy(proof[i], items[i].data, RSN_HASH_BYTES);
    }
    return 0;
}

/* --- key, checkpoint ------------------------------------------------------------ */

static int audit_key(rsn_cli_t *cli, int argc, char **argv)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__AuditKeyRequest kr = RAISON__AUDIT_KEY_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    int rc = cli_no_args(cli, argc, argv);
    if (rc != 0) {
        return rc;
    }
    req.call_case = RAISON__API_REQUEST__CALL_AUDIT_KEY;
    req.audit_key = &kr;
    if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_AUDIT_KEY, &reply)) != 0) {
        return rc;
    }
    const Raison__AuditKeyReply *k = reply->audit_key;
    if (!k || !k->verifier_key || !k->verifier_key[0]) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent no verifier key");
    } else if (cli->json) {
        rc = cli_json_print(cli,
                            json_pack("{s:o,s:o}", "origin", cli_json_str(k->origin),
                                      "verifier_key", cli_json_str(k->verifier_key)),
                            false);
    } else {
        printf("%s\n", k->verifier_key);
    }
    rsn_reply_free(reply);
    return rc;
}

/* `checkpoint --fresh`. */
static int fresh_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    (void)value;
    if (opt != 'f') {
        return cli_usage_error(cli, "unexpected option");
    }
    *(bool *)ctx = true;
    return 0;
}

static int audit_checkpoint(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"fresh", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__CheckpointRequest cr = RAISON__CHECKPOINT_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    bool fresh = false;
    cli_args_t spec = {.options = opts, .on_option = fresh_option, .ctx = &fresh};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    cr.fresh = fresh;
    req.call_case = RAISON__API_REQUEST__CALL_CHECKPOINT;
    req.checkpoint = &cr;
    if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_CHECKPOINT, &reply)) != 0) {
        return rc;
    }
    const Raison__CheckpointReply *cp = reply->checkpoint;
    if (!cp || !cp->note || !cp->note[0]) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node has no signed checkpoint (try --fresh)");
    } else if (cli->json) {
        rc = cli_json_print(cli,
                            json_pack("{s:o,s:I,s:o}", "note", cli_json_str(cp->note), "size",
                                      (json_int_t)cp->size, "root",
                                      cli_json_b64(cp->root.data, cp->root.len)),
                            false);
    } else {
        /* byte for byte as signed: the note ends with its own newline */
        size_t len = strlen(cp->note);
        if (fwrite(cp->note, 1, len, stdout) != len || fflush(stdout) != 0) {
            rc = cli_fail(cli, RSN_ERR_IO, "cannot write the checkpoint: %s", strerror(errno));
        }
    }
    rsn_reply_free(reply);
    return rc;
}

/* --- prove, include ----------------------------------------------------------- */

/* The tree sizes of prove (--old, --new) and include (--size). */
typedef struct {
    uint64_t old_size, new_size, size; /* 0: not given */
} sizes_t;

static int size_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    sizes_t *s = ctx;
    const char *name = opt == 'o' ? "old" : opt == 'n' ? "new" : "size";
    uint64_t v = 0;
    if (opt != 'o' && opt != 'n' && opt != 's') {
        return cli_usage_error(cli, "unexpected option");
    }
    if (!cli_parse_uint(value, RSN_MERKLE_MAX_SIZE, &v) || v == 0) {
        return cli_usage_error(cli, "--%s needs a tree size of at least 1", name);
    }
    *(opt == 'o' ? &s->old_size : opt == 'n' ? &s->new_size : &s->size) = v;
    return 0;
}

static int audit_prove(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"old", required_argument, NULL, 'o'},
                                         {"new", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    sizes_t sizes = {0};
    cli_args_t spec = {.options = opts, .on_option = size_option, .ctx = &sizes};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    uint64_t old_size = sizes.old_size, new_size = sizes.new_size;
    if (!old_size) {
        return cli_usage_error(cli, "--old N is required");
    }
    if (new_size && new_size < old_size) {
        return cli_usage_error(cli, "--new must be at least --old");
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__ProveRequest pr = RAISON__PROVE_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    rsn_merkle_proof_t proof;
    pr.old_size = old_size;
    pr.new_size = new_size;
    req.call_case = RAISON__API_REQUEST__CALL_PROVE;
    req.prove = &pr;
    if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_PROVE, &reply)) != 0) {
        return rc;
    }
    const Raison__ProveReply *p = reply->prove;
    if (!p) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an empty proof reply");
        goto out;
    }
    if (p->old_size != old_size || (new_size && p->new_size != new_size)) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                      "the node proved sizes %llu -> %llu, not the ones asked",
                      (unsigned long long)p->old_size, (unsigned long long)p->new_size);
        goto out;
    }
    if ((rc = load_proof(cli, p->proof, p->n_proof, proof)) != 0) {
        goto out;
    }
    rc = rsn_merkle_verify_consistency(p->old_size, p->new_size, p->old_root.data, p->old_root.len,
                                       p->new_root.data, p->new_root.len,
                                       (const uint8_t(*)[RSN_HASH_BYTES])proof, p->n_proof);
    if (rc != 0 || p->old_root.len != RSN_HASH_BYTES || p->new_root.len != RSN_HASH_BYTES) {
        rc = cli_fail(cli, rc ? rc : RSN_ERR_BAD_REQUEST,
                      "THE NODE'S CONSISTENCY PROOF DOES NOT VERIFY (%llu -> %llu): %s",
                      (unsigned long long)p->old_size, (unsigned long long)p->new_size,
                      rc ? rsn_strerror(rc) : "roots are not 32 bytes");
        goto out;
    }
    if (cli->json) {
        rc = cli_json_print(cli,
                            json_pack("{s:I,s:I,s:o,s:o,s:o}", "old_size", (json_int_t)p->old_size,
                                      "new_size", (json_int_t)p->new_size, "old_root",
                                      cli_json_b64(p->old_root.data, RSN_HASH_BYTES), "new_root",
                                      cli_json_b64(p->new_root.data, RSN_HASH_BYTES), "proof",
                                      json_b64_list(p->proof, p->n_proof)),
                            false);
        goto out;
    }
    printf("old tree  size %-10llu root %s\n", (unsigned long long)p->old_size,
           cli_b64(cli, p->old_root.data, RSN_HASH_BYTES));
    printf("new tree  size %-10llu root %s\n", (unsigned long long)p->new_size,
           cli_b64(cli, p->new_root.data, RSN_HASH_BYTES));
    print_proof(cli, p->proof, p->n_proof, "consistency");
    printf("verified (RFC 9162): the tree of %llu leaves extends the tree of %llu leaves\n",
           (unsigned long long)p->new_size, (unsigned long long)p->old_size);
out:
    rsn_reply_free(reply);
    return rc;
}

/* The checkpoint a proof of a tree of SIZE leaves with root ROOT is
 * against: the node's latest signed one, its note verified under the node's
 * key, when it is of that size (*NOTE set); *NOTE NULL and *LATEST its size
 * when the latest is another. Fails when the signed root is not ROOT. */
static int proof_checkpoint(rsn_cli_t *cli, uint64_t size, const uint8_t root[RSN_HASH_BYTES],
                            const char **note, uint64_t *latest)
{
    char name[RSN_NOTE_NAME_MAX + 1];
    uint8_t pubkey[RSN_KEY_BYTES], signed_root[RSN_HASH_BYTES];
    *note = NULL;
    const char *text = NULL;
    int rc = cli_audit_fetch_key(cli, NULL, name, pubkey);
    if (rc == 0) {
        rc = cli_audit_fetch_checkpoint(cli, false, name, pubkey, &text, latest, signed_root);
    }
    if (rc != 0 || *latest != size) {
        return rc;
    }
    if (memcmp(signed_root, root, RSN_HASH_BYTES) != 0) {
        return cli_fail(cli, RSN_ERR_BAD_REQUEST,
                        "THE NODE'S PROOF ROOT IS NOT THE ROOT IT SIGNED FOR SIZE %llu",
                        (unsigned long long)size);
    }
    *note = text;
    return 0;
}

static int audit_include(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"size", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    sizes_t sizes = {0};
    uint8_t id[RSN_ID_BYTES];
    cli_args_t spec = {.options = opts,
                       .on_option = size_option,
                       .ctx = &sizes,
                       .min_operands = 1,
                       .max_operands = 1,
                       .missing = "missing ENTRY_ID",
                       .extra = "one ENTRY_ID only"};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0 || (rc = cli_parse_id(cli, argv[first], "ENTRY_ID", id)) != 0) {
        return rc;
    }
    uint64_t tree_size = sizes.size;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__IncludeRequest ir = RAISON__INCLUDE_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    rsn_merkle_proof_t proof;
    uint8_t leaf[RSN_HASH_BYTES];
    ir.id.data = id;
    ir.id.len = sizeof id;
    ir.tree_size = tree_size;
    req.call_case = RAISON__API_REQUEST__CALL_INCLUDE;
    req.include = &ir;
    if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_INCLUDE, &reply)) != 0) {
        return rc;
    }
    const Raison__IncludeReply *p = reply->include;
    rsn_merkle_leaf_hash(leaf, id, sizeof id);
    if (!p) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an empty inclusion reply");
        goto out;
    }
    if (tree_size && p->tree_size != tree_size) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                      "the node proved inclusion in a tree of %llu leaves, not %llu",
                      (unsigned long long)p->tree_size, (unsigned long long)tree_size);
        goto out;
    }
    if (p->leaf_hash.len != RSN_HASH_BYTES || memcmp(p->leaf_hash.data, leaf, sizeof leaf) != 0) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                      "THE NODE'S LEAF HASH IS NOT SHA-256(0x00 || entry id)");
        goto out;
    }
    if ((rc = load_proof(cli, p->proof, p->n_proof, proof)) != 0) {
        goto out;
    }
    rc = rsn_merkle_verify_inclusion(leaf, sizeof leaf, p->leaf_index, p->tree_size,
                                     (const uint8_t(*)[RSN_HASH_BYTES])proof, p->n_proof,
                                     p->root.data, p->root.len);
    if (rc != 0) {
        rc = cli_fail(cli, rc, "THE NODE'S INCLUSION PROOF DOES NOT VERIFY (leaf %llu of %llu): %s",
                      (unsigned long long)p->leaf_index, (unsigned long long)p->tree_size,
                      rsn_strerror(rc));
        goto out;
    }
    const char *note = NULL;
    uint64_t latest = 0;
    if ((rc = proof_checkpoint(cli, p->tree_size, p->root.data, &note, &latest)) != 0) {
        goto out;
    }
    if (cli->json) {
        json_t *cp = note ? json_pack("{s:I,s:o}", "size", (json_int_t)p->tree_size, "note",
                                      cli_json_str(note))
                          : json_null();
        rc = cli_json_print(cli,
                            json_pack("{s:I,s:I,s:o,s:o,s:o,s:o}", "leaf_index",
                                      (json_int_t)p->leaf_index, "tree_size",
                                      (json_int_t)p->tree_size, "root",
                                      cli_json_b64(p->root.data, RSN_HASH_BYTES), "leaf_hash",
                                      cli_json_b64(leaf, sizeof leaf), "proof",
                                      json_b64_list(p->proof, p->n_proof), "checkpoint", cp),
                            false);
        goto out;
    }
    printf("entry      %s\n", argv[first]);
    printf("leaf       index %llu, hash %s\n", (unsigned long long)p->leaf_index,
           cli_b64(cli, leaf, sizeof leaf));
    printf("tree       size %llu, root %s\n", (unsigned long long)p->tree_size,
           cli_b64(cli, p->root.data, RSN_HASH_BYTES));
    print_proof(cli, p->proof, p->n_proof, "inclusion");
    printf("verified (RFC 9162): the entry is leaf %llu of the tree of %llu leaves\n",
           (unsigned long long)p->leaf_index, (unsigned long long)p->tree_size);
    if (note) {
        printf("checkpoint size %llu: the node's latest signed checkpoint, its signature "
               "verified (`raison audit checkpoint` prints it)\n",
               (unsigned long long)p->tree_size);
    } else {
        printf("checkpoint none of size %llu is the latest signed (that one is of size %llu)\n",
               (unsigned long long)p->tree_size, (unsigned long long)latest);
    }
out:
    rsn_reply_free(reply);
    return rc;
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
        {"bodies_missing", v->bodies_missing},
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
    printf("bodies missing   %llu (never received, being fetched from peers)\n",
           (unsigned long long)v->bodies_missing);
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
        printf(": %s\n", cli_safe(cli, p->reason));
    }
    printf("\nintegrity: %s\n", v->integrity_ok ? "OK" : "BROKEN");
}

/* `verify --progress`. */
static int progress_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    (void)value;
    if (opt != 'p') {
        return cli_usage_error(cli, "unexpected option");
    }
    *(bool *)ctx = true;
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Says how far the node's verification is on stderr: one line rewritten on
 * a terminal, a line each time otherwise. */
static void say_progress(const Raison__AuditVerifyReply *p, bool tty)
{
    if (!p->running) {
        return;
    }
    unsigned pct = p->total ? (unsigned)(p->checked * 100 / p->total) : 0;
    fprintf(stderr, "%sverifying: %llu of %llu leaves (%u%%), %.1f s%s", tty ? "\r" : "",
            (unsigned long long)p->checked, (unsigned long long)p->total, pct,
            (double)p->elapsed_ms / 1000.0, tty ? "\033[K" : "\n");
}

/* Sends the verification request REQ and waits for its reply into *OUT,
 * asking the node on the same connection, every VERIFY_PROGRESS_MS, how far
 * the run is (a progress request is answered at once, the verification
 * when it ends: replies are told apart by request id). */
static int verify_with_progress(rsn_cli_t *cli, Raison__ApiRequest *req, Raison__ApiReply **out)
{
    bool tty = isatty(STDERR_FILENO);
    rsn_client_t *client = NULL;
    uint64_t id = 0, asked = 0;
    int rc = cli_client(cli, &client);
    if (rc != 0) {
        return rc;
    }
    if ((rc = rsn_client_send(client, req, &id)) != 0) {
        return cli_fail(cli, rc, "talking to the node failed: %s", rsn_strerror(rc));
    }
    Raison__ApiRequest preq = RAISON__API_REQUEST__INIT;
    Raison__AuditVerifyRequest pv = RAISON__AUDIT_VERIFY_REQUEST__INIT;
    pv.progress = true;
    preq.call_case = RAISON__API_REQUEST__CALL_AUDIT_VERIFY;
    preq.audit_verify = &pv;
    int64_t deadline = cli->timeout_ms < 0 ? INT64_MAX : mono_ms() + cli->timeout_ms;
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            rc = cli_fail(cli, RSN_ERR_TIMEOUT, "the node at %s did not answer within %d ms",
                          cli->socket_path, cli->timeout_ms);
            break;
        }
        Raison__ApiReply *r = NULL;
        rc = rsn_client_recv_timeout(client, &r,
                                     (int)(left < VERIFY_PROGRESS_MS ? left : VERIFY_PROGRESS_MS));
        if (rc == RSN_ERR_TIMEOUT) {
            if (asked == 0 && (rc = rsn_client_send(client, &preq, &asked)) != 0) {
                rc = cli_fail(cli, rc, "talking to the node failed: %s", rsn_strerror(rc));
                break;
            }
            continue;
        }
        if (rc != 0) {
            rc = cli_fail(cli, rc, "talking to the node failed: %s", rsn_strerror(rc));
            break;
        }
        if (r->request_id == id) {
            *out = r;
            break;
        }
        if (r->request_id == asked && r->audit_verify) {
            say_progress(r->audit_verify, tty);
            asked = 0;
        }
        rsn_reply_free(r);
    }
    if (tty) {
        fprintf(stderr, "\r\033[K");
    }
    return rc;
}

static int audit_verify(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"progress", no_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
    bool progress = false;
    cli_args_t spec = {.options = opts, .on_option = progress_option, .ctx = &progress};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    if (!cli->timeout_given && !cli->client) {
        cli->timeout_ms = VERIFY_TIMEOUT_MS; /* a whole store is read */
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__AuditVerifyRequest vr = RAISON__AUDIT_VERIFY_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    req.call_case = RAISON__API_REQUEST__CALL_AUDIT_VERIFY;
    req.audit_verify = &vr;
    if (progress || isatty(STDERR_FILENO)) {
        rc = verify_with_progress(cli, &req, &reply);
        if (rc == 0 && reply->result_case == RAISON__API_REPLY__RESULT_ERROR) {
            rc = cli_node_error(cli, reply);
        } else if (rc == 0 && reply->result_case != RAISON__API_REPLY__RESULT_AUDIT_VERIFY) {
            rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "unexpected reply from the node (result %d)",
                          (int)reply->result_case);
        }
    } else {
        rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_AUDIT_VERIFY, &reply);
    }
    if (rc != 0) {
        rsn_reply_free(reply);
        return rc;
    }
    const Raison__AuditVerifyReply *v = reply->audit_verify;
    if (!v) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an empty verification report");
    } else if (cli->json) {
        rc = cli_json_print(cli, json_verify(v), false);
    } else {
        print_verify(cli, v);
    }
    if (rc == 0 && !v->integrity_ok) {
        rc = cli_fail(cli, RSN_ERR_BAD_ENTRY,
                      "audit verify: the node's integrity is broken (%zu problem%s)", v->n_problems,
                      v->n_problems == 1 ? "" : "s");
    }
    rsn_reply_free(reply);
    return rc;
}

/* --- verify-export ------------------------------------------------------------ */

/* Prints what a verified export of PATH holds. */
static int print_export(rsn_cli_t *cli, const char *path, const rsn_export_report_t *r)
{
    const char *node = cli_hex(cli, r->node, sizeof r->node);
    if (cli->json) {
        return cli_json_print(
            cli,
            json_pack("{s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "ok", 1, "node", node, "entries",
                      (json_int_t)r->entries, "authors", (json_int_t)r->authors, "erased",
                      (json_int_t)r->erased, "forks", (json_int_t)r->forks, "tree_size",
                      (json_int_t)r->tree_size, "root", cli_json_b64(r->root, sizeof r->root)),
            false);
    }
    printf("%s: the export verifies\n", path);
    printf("  node          %s\n", node);
    printf("  entries       %llu (authors %llu, erased bodies %llu)\n",
           (unsigned long long)r->entries, (unsigned long long)r->authors,
           (unsigned long long)r->erased);
    printf("  forks         %llu\n", (unsigned long long)r->forks);
    printf("  tree size     %llu\n", (unsigned long long)r->tree_size);
    printf("  root          %s\n", cli_b64(cli, r->root, sizeof r->root));
    printf("every signature, id, body and chain checked; the checkpoint is signed by the\n"
           "node and its root is the RFC 9162 root of these entries\n");
    return 0;
}

static int audit_verify_export(rsn_cli_t *cli, int argc, char **argv)
{
    cli_args_t spec = {.min_operands = 1, .max_operands = 1};
    rsn_export_report_t report;
    char why[256] = "";
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    const char *path = argv[first];
    FILE *f = fopen(path, "r");
    if (!f) {
        return cli_fail(cli, RSN_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    }
    rc = rsn_export_verify(f, &report, why, sizeof why);
    fclose(f);
    if (rc == RSN_ERR_NOMEM && report.line == 0) {
        return cli_fail(cli, rc, "%s", why);
    }
    if (rc != 0) {
        cli_fail(cli, rc, "%s: line %lu: %s", path, report.line, why);
        return cli_fail(cli, rc, "%s does NOT verify", path);
    }
    return print_export(cli, path, &report);
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
     "  --size M   the tree size (default: the node's latest signed checkpoint, signed\n"
     "             afresh when it does not cover the entry)\n"
     "  the proof is verified here (RFC 9162) before it is printed, and said to be\n"
     "  against the node's latest signed checkpoint when its size is the tree's\n"
     "  --json: {\"leaf_index\", \"tree_size\", \"root\", \"leaf_hash\", \"proof\",\n"
     "          \"checkpoint\": {\"size\", \"note\"} or null}\n"
     "          (hashes in standard base64; leaf_hash = SHA-256(0x00 || id))\n"},
    {"verify", audit_verify, "[--progress]",
     "have the node check its whole store (signatures, chains, bodies, log)",
     "  waits up to 10 minutes unless --timeout-ms is given; exit status 1 when\n"
     "  the node's integrity is broken; the node serves everyone meanwhile\n"
     "  --progress  say how far the node is on stderr every second (the default\n"
     "              when stderr is a terminal)\n"
     "  --json: the counts, \"problems\": [{kind, id, index, reason}], integrity_ok\n"},
    {"export", cli_audit_export, "FILE",
     "write the node's audit export (JSON Lines, docs/audit.md)",
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
    static const cli_family_t family = {
        "audit", audit_commands, sizeof audit_commands / sizeof audit_commands[0],
        "which one: key, checkpoint, prove, include, verify, export or verify-export?", NULL};
    return cli_run_family(cli, argc, argv, &family);
}
