/* pending.c — `raison pending`: what the publish sequence keeps pending for
 * the user's key, shown and resent.
 *
 * A signed entry that no node has stored yet stays pending (publish.c): it
 * is resent, the very same bytes, before anything new is signed. This
 * command does that step alone, so a user (or a script) can see what waits
 * and push it to a node — this one, or another with --socket — without
 * publishing anything new. It prints the pending entry and what became of
 * it; with --json, one object: {"pending": null} or {"pending": {"id",
 * "seq", "kind", "file"}, "stored": bool, "broken_rule": null or
 * {"code", "message"}}. It exits 0 once nothing is pending any more and
 * what was pending keeps the rules; 1 when the entry is still pending (the
 * node refused it, did not answer, or holds another entry at its seq) or
 * was stored but breaks a rule. */
#include <string.h>

#include "cli/cli.h"

/* Prints RES (what was pending in KS, and what became of it) for people. */
static void print_text(rsn_cli_t *cli, const cli_keystate_t *ks, const cli_publish_result_t *res)
{
    if (!res->pending) {
        printf("nothing pending\n");
        return;
    }
    printf("pending: seq %llu, a %s, entry %s\n", (unsigned long long)res->seq,
           rsn_kind_name(res->kind), cli_hex(cli, res->id, RSN_ID_BYTES));
    if (res->stored && res->broken_code) {
        printf("stored, but it breaks a rule (no view shows it): %s\n",
               cli_safe(cli, res->broken_message));
    } else if (res->stored) {
        printf("stored: nothing is pending any more\n");
    } else {
        printf("still pending in %s\n", ks->pending);
    }
}

/* RES as the command's JSON document. */
static json_t *to_json(const cli_keystate_t *ks, const cli_publish_result_t *res)
{
    if (!res->pending) {
        return json_pack("{s:n}", "pending");
    }
    json_t *broken = res->broken_code
                         ? json_pack("{s:i,s:o}", "code", -res->broken_code, "message",
                                     cli_json_str(res->broken_message ? res->broken_message : ""))
                         : json_null();
    return json_pack("{s:{s:o,s:I,s:s,s:s},s:b,s:o}", "pending", "id",
                     cli_json_hex(res->id, RSN_ID_BYTES), "seq", (json_int_t)res->seq, "kind",
                     rsn_kind_name(res->kind), "file", ks->pending, "stored", res->stored,
                     "broken_rule", broken);
}

int cli_cmd_pending(rsn_cli_t *cli, int argc, char **argv)
{
    const rsn_keypair_t *kp = NULL;
    cli_keystate_t ks;
    cli_publish_result_t res;
    int rc = cli_no_args(cli, argc, argv);
    if (rc != 0 || (rc = cli_keypair(cli, &kp)) != 0 ||
        (rc = cli_keystate_open(cli, rsn_keypair_public(kp), &ks)) != 0 ||
        (rc = cli_keystate_lock(cli, &ks)) != 0) {
        return rc;
    }
    rc = cli_settle_pending(cli, &ks, rsn_keypair_public(kp), &res);
    cli_keystate_unlock(&ks);
    if (cli->json) {
        int jrc = cli_json_print(cli, to_json(&ks, &res), false);
        return rc != 0 ? rc : jrc;
    }
    print_text(cli, &ks, &res);
    return rc;
}
