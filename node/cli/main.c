/* raison.c — the `raison` command-line client: main, dispatch, usage.
 *
 * Parses the options that may come before the command (the common ones,
 * --help, --version), finds the command in the table below and runs it with
 * its own argv. Each command parses its options with cli_option, which
 * handles the common ones (--socket, --identity, --json, --passphrase-file,
 * --timeout-ms, --help) wherever they appear. Exit status: 0 success, 1 a
 * failure (the node refused, no node, a file), 2 a usage error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "cli/cli.h"

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
    {"timeline", cli_cmd_timeline, "GROUP [--mission KEY] [--limit N]",
     "show the posts of a group, replies under their posts",
     "  --mission KEY    only this mission\n"
     "  --limit N        at most N posts (default 50)\n"},
    {"feed", cli_cmd_feed, "[AUTHOR] [--limit N]", "show a feed (default: your own)",
     "  AUTHOR      an author's key in hex (default: your identity)\n"
     "  --limit N   at most N entries (default: all)\n"},
    {"report", cli_cmd_report, "GROUP", "the value report of a group, per mission", ""},
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
    {"watch", cli_cmd_watch, "[GROUP] [--count N] [--timeout-ms MS]",
     "print entries as they arrive (Ctrl-C to stop)",
     "  GROUP            only entries of this group (default: every entry)\n"
     "  --count N        exit after N entries\n"
     "  --timeout-ms MS  exit after MS milliseconds (status 1 if --count was not reached)\n"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char common_help[] =
    "common options:\n"
    "  --socket PATH           the node's API socket (env RAISON_SOCKET; default\n"
    "                          $XDG_DATA_HOME/raison/raison.sock)\n"
    "  --identity FILE         your identity (env RAISON_IDENTITY; default\n"
    "                          $XDG_CONFIG_HOME/raison/identity.key)\n"
    "  --passphrase-file FILE  passphrase of a sealed identity (or env RAISON_PASSPHRASE)\n"
    "  --json                  print one JSON document on stdout\n"
    "  --timeout-ms MS         wait at most MS for each reply of the node\n"
    "  --help                  print this help\n";

static void print_main_usage(FILE *out)
{
    fprintf(out, "usage: raison [OPTIONS] COMMAND [ARGS]\n\n"
                 "raison: a federated workplace network where every group has a charter.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "  %-10s %s\n\n%s\n", "help", "print this help, or a command's", common_help);
    fprintf(out, "'raison COMMAND --help' describes a command. Exit status: 0 success,\n"
                 "1 failure (the node refused, no node running, ...), 2 usage error.\n");
}

void cli_print_usage(rsn_cli_t *cli, FILE *out)
{
    const rsn_cli_command_t *c = cli->command;
    if (!c) {
        print_main_usage(out);
        return;
    }
    fprintf(out, "usage: raison %s%s%s\n\n%s\n", cli->command_name, c->synopsis[0] ? " " : "",
            c->synopsis, c->summary);
    if (c->details && c->details[0]) {
        fprintf(out, "\n%s", c->details);
    }
    fprintf(out, "\n%s", common_help);
}

int cli_usage_error(rsn_cli_t *cli, const char *fmt, ...)
{
    const char *name = cli->command_name ? cli->command_name : NULL;
    fprintf(stderr, "raison: ");
    if (name) {
        fprintf(stderr, "%s: ", name);
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (cli->command) {
        fprintf(stderr, "usage: raison %s %s\n(see 'raison %s --help')\n", name,
                cli->command->synopsis, name);
    } else {
        fprintf(stderr, "(see 'raison --help')\n");
    }
    cli->status = CLI_EXIT_USAGE;
    return CLI_EXIT_USAGE;
}

int cli_option(rsn_cli_t *cli, int argc, char **argv, const struct option *opts)
{
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, ":h", opts, NULL);
        uint64_t n = 0;
        switch (c) {
        case CLI_OPT_SOCKET: cli->socket_path = optarg; break;
        case CLI_OPT_IDENTITY: cli->identity_path = optarg; break;
        case CLI_OPT_JSON: cli->json = true; break;
        case CLI_OPT_PASSPHRASE_FILE: cli->passphrase_file = optarg; break;
        case CLI_OPT_TIMEOUT:
            if (!cli_parse_uint(optarg, 24 * 3600 * 1000, &n) || n == 0) {
                cli_usage_error(cli, "--timeout-ms needs a positive number of milliseconds");
                return CLI_OPT_STOP;
            }
            cli->timeout_ms = (int)n;
            cli->timeout_given = true;
            break;
        case 'h':
            cli_print_usage(cli, stdout);
            cli->status = CLI_EXIT_OK;
            return CLI_OPT_STOP;
        case ':':
            cli_usage_error(cli, "option %s needs a value", argv[optind - 1]);
            return CLI_OPT_STOP;
        case '?':
            if (optopt) {
                cli_usage_error(cli, "unknown option -%c", optopt);
            } else {
                cli_usage_error(cli, "unknown option %s", argv[optind - 1]);
            }
            return CLI_OPT_STOP;
        default: return c;
        }
    }
}

const rsn_cli_command_t *cli_find_sub(rsn_cli_t *cli, const rsn_cli_command_t *subs, size_t n,
                                      const char *family, const char *sub)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(subs[i].name, sub) == 0) {
            cli->command = &subs[i];
            cli->command_name = rsn_arena_printf(cli->arena, "%s %s", family, sub);
            return &subs[i];
        }
    }
    return NULL;
}

static const rsn_cli_command_t *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

/* `raison help [COMMAND [SUB]]`: help for a command is its --help. */
static int run_help(rsn_cli_t *cli, int argc, char **argv)
{
    if (argc < 2) {
        print_main_usage(stdout);
        return CLI_EXIT_OK;
    }
    const rsn_cli_command_t *c = find_command(argv[1]);
    if (!c) {
        return cli_usage_error(cli, "unknown command '%s'", argv[1]);
    }
    cli->command = c;
    cli->command_name = c->name;
    char *sub_argv[4] = {argv[1], argc > 2 ? argv[2] : "--help", argc > 2 ? "--help" : NULL, NULL};
    optind = 0;
    return c->run(cli, argc > 2 ? 3 : 2, sub_argv);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    rsn_cli_t cli = {.timeout_ms = CLI_DEFAULT_TIMEOUT_MS};
    int status = CLI_EXIT_FAIL;

    /* the libraries' log lines would repeat what raison says itself */
    rsn_log_setup("raison", getenv("RAISON_DEBUG") ? RSN_LOG_DEBUG : RSN_LOG_ERROR);
    cli.arena = rsn_arena_new();
    if (!cli.arena || rsn_crypto_init() != 0) {
        fprintf(stderr, "raison: cannot initialise (out of memory or no crypto)\n");
        goto out;
    }
    opterr = 0;
    for (;;) {
        /* "+": stop at the command; its own options are its business */
        int c = getopt_long(argc, argv, "+:hV", opts, NULL);
        if (c == -1) {
            break;
        }
        if (c == 'V') {
            printf("raison %s\n", CLI_VERSION);
            status = CLI_EXIT_OK;
            goto out;
        }
        if (c == 'h') {
            print_main_usage(stdout);
            status = CLI_EXIT_OK;
            goto out;
        }
        if (c == '?' || c == ':') {
            optind--;
            /* unknown before the command: report it as such */
            status =
                cli_usage_error(&cli, "%s option %s", c == ':' ? "missing value for" : "unknown",
                                argv[optind] ? argv[optind] : "?");
            goto out;
        }
        switch (c) {
        case CLI_OPT_SOCKET: cli.socket_path = optarg; break;
        case CLI_OPT_IDENTITY: cli.identity_path = optarg; break;
        case CLI_OPT_JSON: cli.json = true; break;
        case CLI_OPT_PASSPHRASE_FILE: cli.passphrase_file = optarg; break;
        case CLI_OPT_TIMEOUT: {
            uint64_t n = 0;
            if (!cli_parse_uint(optarg, 24 * 3600 * 1000, &n) || n == 0) {
                status = cli_usage_error(&cli, "--timeout-ms needs a positive number");
                goto out;
            }
            cli.timeout_ms = (int)n;
            cli.timeout_given = true;
            break;
        }
        default: break;
        }
    }
    if (optind >= argc) {
        print_main_usage(stderr);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    if (strcmp(sub_argv[0], "help") == 0) {
        status = run_help(&cli, sub_argc, sub_argv);
        goto out;
    }
    const rsn_cli_command_t *cmd = find_command(sub_argv[0]);
    if (!cmd) {
        status = cli_usage_error(&cli, "unknown command '%s'", sub_argv[0]);
        goto out;
    }
    cli.command = cmd;
    cli.command_name = cmd->name;
    optind = 0; /* glibc: start the command's parsing afresh */
    status = cmd->run(&cli, sub_argc, sub_argv);
out:
    fflush(stdout);
    rsn_client_destroy(&cli.client);
    rsn_keypair_destroy(&cli.keypair);
    rsn_arena_destroy(&cli.arena);
    return status;
}
