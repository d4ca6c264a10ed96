/* main.c — the `raison` command-line client: the command table, dispatch
 * and the exit status.
 *
 * Parses the options that may come before the command (the common ones,
 * --help, --version), finds the command in the table below and runs it with
 * its own argv; each command parses its own with cli_args (args.c), which
 * handles the common options wherever they appear. Every command returns 0
 * or a negative rsn_err, and main turns that into the exit status, once:
 * 0 success, 1 a failure (the node refused, no node, a file), 2 a usage
 * error (cli_exit_status). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"

#define CLI_VERSION "0.1.0"

static const rsn_cli_command_t commands[] = {
    {"id", cli_cmd_id, "new [--passphrase] | show", "create or show your identity",
     "  raison id new [--passphrase]   create an identity (mode 0600) and print its key\n"
     "  raison id show                 print the public key of your identity\n"
     "  --passphrase                   seal the new identity with a passphrase\n"},
    {"profile", cli_cmd_profile, "--name NAME --site SITE [--role ROLE]",
     "publish your display name, site and role",
     "  --name NAME    display name\n"
     "  --site SITE    your site (branch office)\n"
     "  --role ROLE    your role (optional)\n"},
    {"charter", cli_cmd_charter, "new OPTIONS | amend GROUP OPTIONS",
     "found a group with a charter, or amend its charter",
     "  raison charter new --name NAME --purpose TEXT --mission KEY=GOAL...\n"
     "      --benefit TEXT... --data-policy TEXT [--readers TEXT]\n"
     "      [--retention-days N] [--members-only] [--owner KEY...]\n"
     "  raison charter amend GROUP [the same options; --open]\n"
     "  see 'raison charter new --help' and 'raison charter amend --help'\n"},
    {"groups", cli_cmd_groups, "", "list the groups: purpose, missions, benefits",
     "  lists every group with what it is for, what members gain, its missions,\n"
     "  charter version, members and posts\n"},
    {"group", cli_cmd_group, "GROUP", "show a group: charter, history, dispute, members",
     "  GROUP is a group id, a unique prefix of it, or the group's exact name\n"},
    {"join", cli_cmd_join, "GROUP [--yes]", "join a group under its current charter",
     "  shows the charter and asks for confirmation\n"
     "  --yes    do not ask (required when stdin is not a terminal)\n"},
    {"leave", cli_cmd_leave, "GROUP", "leave a group", ""},
    {"add", cli_cmd_add, "GROUP KEY", "add a member to a members-only group (owners)", ""},
    {"remove", cli_cmd_remove, "GROUP KEY", "remove a member from a group (owners)", ""},
    {"post", cli_cmd_post, "GROUP --mission KEY TEXT", "post in a group, for one of its missions",
     "  --mission KEY    the mission of the group's charter this post serves\n"},
    {"reply", cli_cmd_reply, "ENTRY_ID TEXT", "reply to a post (same group and mission)", ""},
    {"retract", cli_cmd_retract, "ENTRY_ID [--erase]", "withdraw one of your entries",
     "  --erase    also ask nodes to erase its body (the signed header stays)\n"},
    {"pending", cli_cmd_pending, "",
     "show the signed entry not yet stored by a node, and resend it",
     "  An entry, once signed, is never replaced by another: until a node stores it,\n"
     "  it stays pending (in $XDG_STATE_HOME/raison/keys/KEY/pending) and every\n"
     "  publish resends it first. This command shows it and resends it, to the\n"
     "  node of --socket, without publishing anything new.\n"
     "  exit 0: nothing is pending (any more); 1: it is still pending (the node\n"
     "  refused it, did not answer, or holds another entry at its seq: then it is\n"
     "  kept and nothing new can be published), or it was stored but breaks a rule\n"
     "  --json: {\"pending\": null} or {\"pending\": {id, seq, kind, file},\n"
     "          \"stored\", \"broken_rule\": null or {code, message}}\n"},
    {"timeline", cli_cmd_timeline, "GROUP [--mission KEY] [--limit N]",
     "show the posts of a group, replies under their posts",
     "  --mission KEY    only this mission\n"
     "  --limit N        at most N posts (default 50)\n"},
    {"feed", cli_cmd_feed, "[AUTHOR] [--limit N]", "show a feed (default: your own)",
     "  AUTHOR      an author's key in hex (default: your identity)\n"
     "  --limit N   at most N entries (default: all)\n"},
    {"report", cli_cmd_report, "GROUP [--days N] [--site S]",
     "the value report of a group, per mission (--days: the last N days too)",
     "  --days N   the figures of the last N days (UTC, today included) beside the whole history\n"
     "  --site S   the posts by authors of site S beside each figure\n"},
    {"status", cli_cmd_status, "", "the node's key, site, counters and peers", ""},
    {"peers", cli_cmd_peers, "", "the node's federation peers: links, traffic, errors",
     "  one line per peer: its node key (short; full with --json), site,\n"
     "  endpoint, link up or down and for how long, entries sent and received,\n"
     "  entries it lacks that this node holds, frames or entries it sent that\n"
     "  were dropped as invalid; then its last error and any ban\n"
     "  --json: {\"listen\", \"peers\": [{key, endpoint, site, connected, since,\n"
     "          entries_sent, entries_received, missing, dropped, last_error,\n"
     "          bytes_sent, bytes_received, banned_until}]} (times: ms since epoch)\n"},
    {"audit", cli_cmd_audit, "key | checkpoint | prove | include | verify | export | verify-export",
     "the node's transparency log: checkpoints, proofs, verification, exports",
     "  raison audit key                      the node's note verifier key\n"
     "  raison audit checkpoint [--fresh]     the latest signed checkpoint\n"
     "  raison audit prove --old N [--new M]  a consistency proof, verified here\n"
     "  raison audit include ENTRY_ID         an inclusion proof, verified here\n"
     "  raison audit verify                   have the node check its whole store\n"
     "  raison audit export FILE              write the audit export (JSON Lines)\n"
     "  raison audit verify-export FILE       check an export (no node needed)\n"
     "  see 'raison audit SUBCOMMAND --help' and docs/audit.md\n"},
    {"web", cli_cmd_web,
     "[--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--state DIR] [--open-enrollment]"
     " [--static DIR] | invite [--name N] [--operator]",
     "serve the site's web app beside the node (docs/web.md)",
     "  --listen HOST:PORT   where to listen (default 127.0.0.1:8080); an address\n"
     "                       off loopback needs --tls-cert and --tls-key\n"
     "  --tls-cert FILE      PEM certificate (chain) for HTTPS\n"
     "  --tls-key FILE       PEM private key for HTTPS\n"
     "  --state DIR          invites and enrolled people (default\n"
     "                       $XDG_STATE_HOME/raison/web-PORT)\n"
     "  --open-enrollment    any new key may enrol (a trusted network, a demo)\n"
     "  --static DIR         serve the page from DIR (default: the page built in)\n"
     "  the first stdout line is an invite URL ({\"url\"} with --json); logs on stderr\n"
     "  raison web invite [--name N] [--operator]: print a new invite URL\n"},
    {"reindex", cli_cmd_reindex, "[--no-wait] [--progress]",
     "have the node rebuild its derived state from its log while it serves",
     "  waits until the node is done (views say being_updated meanwhile, drafts\n"
     "  are answered ERROR_BUSY); the progress on stderr every second when it\n"
     "  is a terminal or with --progress\n"
     "  --no-wait   return once it started\n"
     "  --json: {started, running, clearing, derived, total, elapsed_ms}\n"},
    {"watch", cli_cmd_watch, "[GROUP] [--count N] [--timeout-ms MS]",
     "print entries as they arrive (Ctrl-C to stop)",
     "  GROUP            only entries of this group (default: every entry)\n"
     "  --count N        exit after N entries\n"
     "  --timeout-ms MS  exit after MS milliseconds (status 1 if --count was not reached)\n"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const rsn_cli_command_t *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

/* Says the usage of raison itself, for a command line without a command. */
static int no_command(rsn_cli_t *cli)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out) {
        cli_print_usage(cli, out);
        fclose(out);
    }
    if (text && len > 0 && text[len - 1] == '\n') {
        text[len - 1] = '\0';
    }
    cli_say(cli, CLI_MSG_USAGE, "%s", text ? text : "usage: raison [OPTIONS] COMMAND [ARGS]");
    free(text);
    return CLI_ERR_USAGE;
}

/* `raison help [COMMAND [SUB]]`: help for a command is its --help. */
static int run_help(rsn_cli_t *cli, int argc, char **argv)
{
    if (argc < 2) {
        cli_print_usage(cli, stdout);
        return 0;
    }
    const rsn_cli_command_t *c = find_command(argv[1]);
    if (!c) {
        return cli_usage_error(cli, "unknown command '%s'", argv[1]);
    }
    cli->command = c;
    cli->command_name = c->name;
    char *sub_argv[4] = {argv[1], argc > 2 ? argv[2] : "--help", argc > 2 ? "--help" : NULL, NULL};
    return c->run(cli, argc > 2 ? 3 : 2, sub_argv);
}

/* `raison --version`. */
static int version_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    (void)value;
    (void)ctx;
    if (opt != 'V') {
        return cli_usage_error(cli, "unexpected option");
    }
    printf("raison %s\n", CLI_VERSION);
    return CLI_HELP_SHOWN;
}

/* The whole run: options before the command, then the command. */
static int run(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    cli_args_t spec = {.options = opts,
                       .shorts = "V",
                       .on_option = version_option,
                       .max_operands = -1,
                       .leading = true};
    int first = 0;

    /* the libraries' log lines would repeat what raison says itself */
    rsn_log_setup("raison", getenv("RAISON_DEBUG") ? RSN_LOG_DEBUG : RSN_LOG_ERROR);
    cli->arena = rsn_arena_new();
    if (!cli->arena || rsn_crypto_init() != 0) {
        return cli_fail(cli, RSN_ERR_NOMEM, "cannot initialise (out of memory or no crypto)");
    }
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    if (first >= argc) {
        return no_command(cli);
    }
    int sub_argc = argc - first;
    char **sub_argv = argv + first;
    if (strcmp(sub_argv[0], "help") == 0) {
        return run_help(cli, sub_argc, sub_argv);
    }
    const rsn_cli_command_t *cmd = find_command(sub_argv[0]);
    if (!cmd) {
        return cli_usage_error(cli, "unknown command '%s'", sub_argv[0]);
    }
    cli->command = cmd;
    cli->command_name = cmd->name;
    return cmd->run(cli, sub_argc, sub_argv);
}

int main(int argc, char **argv)
{
    rsn_cli_t cli = {
        .timeout_ms = CLI_DEFAULT_TIMEOUT_MS, .commands = commands, .n_commands = N_COMMANDS};
    int rc = run(&cli, argc, argv);
    fflush(stdout);
    rsn_client_destroy(&cli.client);
    rsn_keypair_destroy(&cli.keypair);
    rsn_arena_destroy(&cli.arena);
    return cli_exit_status(rc);
}
