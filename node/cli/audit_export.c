/* audit_export.c — `raison audit export FILE`: the node's public audit
 * export, written from outside.
 *
 * Writes the JSON Lines export of docs/audit.md (the format verify_export.c
 * checks): it asks the node for its verifier key and to sign a checkpoint
 * first, then pages through exactly that many log leaves and through the
 * fork evidence, and renames FILE.tmp to FILE only once the leaves hash to
 * the signed root, so a FILE is always a whole export the node signed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/audit_fetch.h"
#include "cli/cli.h"
#include "cli/verify_export.h"
#include "crypto/merkle.h"
#include "crypto/note.h"

/* leaves asked per LeavesRequest: a page of the largest entries and bodies
 * (200 x 66 KiB) stays under the client library's 16 MiB reply limit */
#define EXPORT_PAGE 200
#define EXPORT_FORKS_PAGE 256    /* fork evidence asked per ForksRequest */
#define EXPORT_MAX_PAGES 1000000 /* a node that keeps sending cursors is not followed forever */
#define EXPORT_PROGRESS 10000    /* entries between two progress lines */
#define JSON_LINE_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

/* --- what the node signed ---------------------------------------------------- */

/* The node's verifier key: its text (arena), its name and its public key,
 * checked to parse and to agree with the origin the node gives. */
int cli_audit_fetch_key(rsn_cli_t *cli, const char **vkey, char name[RSN_NOTE_NAME_MAX + 1],
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
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                      "the node's verifier key is not a valid note verifier key");
    } else if (!k->origin || strcmp(k->origin, name) != 0) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                      "the node's origin '%s' is not its verifier key's name '%s'",
                      k->origin ? k->origin : "", name);
    } else if (vkey && !(*vkey = rsn_arena_strdup(cli->arena, k->verifier_key))) {
        rc = cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    rsn_reply_free(reply);
    return rc;
}

/* The node's checkpoint (signed now when FRESH), its note verified under the
 * node's key NAME / PUBKEY and parsed: *NOTE (arena), *SIZE, ROOT. */
int cli_audit_fetch_checkpoint(rsn_cli_t *cli, bool fresh, const char *name,
                               const uint8_t pubkey[RSN_KEY_BYTES], const char **note,
                               uint64_t *size, uint8_t root[RSN_HASH_BYTES])
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
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent no checkpoint");
    } else if ((rc = rsn_note_verify(c->note, len, name, pubkey, &text_len)) != 0) {
        rc = cli_fail(cli, rc, "the node's checkpoint does not verify under its own key: %s",
                      rsn_strerror(rc));
    } else if ((rc = rsn_checkpoint_parse(c->note, text_len, origin, sizeof origin, size, root)) !=
               0) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                      "the node's checkpoint is not a valid tlog-checkpoint");
    } else if (strcmp(origin, name) != 0) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node's checkpoint has origin '%s', not '%s'",
                      origin, name);
    } else if (c->size != *size || c->root.len != RSN_HASH_BYTES ||
               memcmp(c->root.data, root, RSN_HASH_BYTES) != 0) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                      "the node's checkpoint reply disagrees with its note");
    } else if (!(*note = rsn_arena_strdup(cli->arena, c->note))) {
        rc = cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    rsn_reply_free(reply);
    return rc;
}

/* --- the lines ---------------------------------------------------------------- */

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
        cli_json_b64(se->entry.data, se->entry.len),
        cli_json_b64(se->signature.data, se->signature.len),
        erased ? json_null() : cli_json_b64(se->body.data, se->body.len),
    };
    return ordered(8, keys, values);
}

static json_t *half_line(const Raison__SignedEntry *se)
{
    static const char *const keys[] = {"entry", "signature"};
    json_t *values[] = {
        cli_json_b64(se ? se->entry.data : NULL, se ? se->entry.len : 0),
        cli_json_b64(se ? se->signature.data : NULL, se ? se->signature.len : 0),
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
            return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
        }
        if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_LEAVES, &reply)) != 0) {
            rsn_arena_destroy(&arena);
            return rc;
        }
        const Raison__LeavesReply *lv = reply->leaves;
        if (!lv || lv->n_leaves == 0) {
            rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                          "the node sent no leaves from index %llu (its checkpoint has %llu)",
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
                rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                              "the node sent leaf %llu where leaf %llu of %llu was expected",
                              (unsigned long long)leaf->index, (unsigned long long)next,
                              (unsigned long long)size);
            } else if (leaf->id.len != RSN_ID_BYTES || !se) {
                rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an incomplete leaf %llu",
                              (unsigned long long)next);
            } else if (rsn_entry_decode(arena, se->entry.data, se->entry.len, &e, why,
                                        sizeof why) != 0) {
                rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                              "the entry of leaf %llu does not decode (%s): run 'raison audit "
                              "verify'",
                              (unsigned long long)next, why);
            } else if (write_line(f, entry_line(leaf, e)) != 0) {
                rc = cli_fail(cli, RSN_ERR_IO, "cannot write the export: %s", strerror(errno));
            } else {
                rsn_merkle_leaf_hash(h, leaf->id.data, RSN_ID_BYTES);
                rc = rsn_merkle_frontier_append(fr, h, nodes, &n_nodes);
                next++;
                if (next % EXPORT_PROGRESS == 0) {
                    cli_say(cli, CLI_MSG_PROGRESS, "audit export: %llu of %llu entries",
                            (unsigned long long)next, (unsigned long long)size);
                }
            }
        }
        rsn_reply_free(reply);
        rsn_arena_destroy(&arena);
        if (rc != 0) {
            return rc;
        }
    }
    *written = next;
    if (next != size) {
        return cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node stopped sending leaves at %llu of %llu",
                        (unsigned long long)next, (unsigned long long)size);
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
                rc = cli_fail(cli, RSN_ERR_IO, "cannot write the export: %s", strerror(errno));
            }
            (*written)++;
        }
        bool more = fk && fk->next_cursor.len > 0 && fk->n_forks > 0;
        free(cursor);
        cursor = NULL;
        if (rc == 0 && more) {
            cursor_len = fk->next_cursor.len;
            if (!(cursor = malloc(cursor_len))) {
                rc = cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
            } else {
                memcpy(cursor, fk->next_cursor.data, cursor_len);
            }
        }
        rsn_reply_free(reply);
        if (rc != 0 || !more) {
            break;
        }
    }
    free(cursor);
    return rc;
}

/* --- the file ------------------------------------------------------------------ */

/* Writes the header, the leaves and forks, the checkpoint NOTE of SIZE
 * leaves and ROOT to F, checking that the leaves hash to ROOT; *ENTRIES and
 * *FORKS count what was written. */
static int write_export(rsn_cli_t *cli, FILE *f, const char *tmp, const char *name,
                        const char *vkey, const char *note, uint64_t size,
                        const uint8_t root[RSN_HASH_BYTES], uint64_t *entries, uint64_t *forks)
{
    static const char *const hkeys[] = {"type", "format", "version", "node", "vkey", "tree_size"};
    static const char *const ckeys[] = {"type", "note"};
    uint8_t got[RSN_HASH_BYTES];
    rsn_merkle_frontier_t fr;
    int rc = 0;
    json_t *hvalues[] = {
        json_string("header"),
        json_string(RSN_EXPORT_FORMAT),
        json_integer(RSN_EXPORT_VERSION),
        json_string(name + strlen(RSN_NOTE_ORIGIN_PREFIX)),
        json_string(vkey),
        json_integer((json_int_t)size),
    };
    if (write_line(f, ordered(6, hkeys, hvalues)) != 0) {
        return cli_fail(cli, RSN_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    }
    rsn_merkle_frontier_init(&fr);
    if ((rc = export_leaves(cli, f, size, &fr, entries)) != 0 ||
        (rc = export_forks(cli, f, forks)) != 0) {
        return rc;
    }
    rsn_merkle_frontier_root(&fr, got);
    if (memcmp(got, root, RSN_HASH_BYTES) != 0) {
        return cli_fail(cli, RSN_ERR_BAD_REQUEST,
                        "THE LEAVES THE NODE SENT DO NOT HASH TO ITS SIGNED ROOT: no export "
                        "written (run 'raison audit verify')");
    }
    json_t *cvalues[] = {json_string("checkpoint"), json_string(note)};
    if (write_line(f, ordered(2, ckeys, cvalues)) != 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        return cli_fail(cli, RSN_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    }
    return 0;
}

int cli_audit_export(rsn_cli_t *cli, int argc, char **argv)
{
    cli_args_t spec = {.min_operands = 1, .max_operands = 1};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    const char *path = argv[first];
    const char *tmp = rsn_arena_printf(cli->arena, "%s.tmp", path);
    const char *vkey = NULL, *note = NULL;
    char name[RSN_NOTE_NAME_MAX + 1];
    uint8_t pubkey[RSN_KEY_BYTES], root[RSN_HASH_BYTES];
    uint64_t size = 0, entries = 0, forks = 0;
    if (!tmp) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    /* the checkpoint first: the export is exactly the leaves it covers */
    if ((rc = cli_audit_fetch_key(cli, &vkey, name, pubkey)) != 0 ||
        (rc = cli_audit_fetch_checkpoint(cli, true, name, pubkey, &note, &size, root)) != 0) {
        return rc;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        return cli_fail(cli, RSN_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    }
    rc = write_export(cli, f, tmp, name, vkey, note, size, root, &entries, &forks);
    if (fclose(f) != 0 && rc == 0) {
        rc = cli_fail(cli, RSN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = cli_fail(cli, RSN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    if (cli->json) {
        return cli_json_print(cli,
                              json_pack("{s:s,s:s,s:I,s:I,s:I,s:o}", "file", path, "node",
                                        name + strlen(RSN_NOTE_ORIGIN_PREFIX), "entries",
                                        (json_int_t)entries, "forks", (json_int_t)forks,
                                        "tree_size", (json_int_t)size, "root",
                                        cli_json_b64(root, sizeof root)),
                              false);
    }
    printf("wrote %s: %llu entries, %llu fork%s, checkpoint of %llu leaves, root %s\n", path,
           (unsigned long long)entries, (unsigned long long)forks, forks == 1 ? "" : "s",
           (unsigned long long)size, cli_b64(cli, root, sizeof root));
    return 0;
}
