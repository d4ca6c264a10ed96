/* args.c — the one argument parser of the `raison` commands, and their usage.
 *
 * Every command, and main before the command, parses its argv with
 * cli_args: getopt_long over the common options (--socket, --identity,
 * --json, --passphrase-file, --timeout-ms, --help), which it handles
 * wherever they appear, and the command's own, which it hands to the
 * command; then it counts the operands. A wrong command line is said with
 * the usage of the command it was for (CLI_ERR_USAGE, exit status 2). The
 * command families (`id`, `charter`, `audit`) pick their subcommand with
 * cli_run_family. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Values of the long options every command takes. */
enum {
    OPT_SOCKET = 0x100,
    OPT_IDENTITY,
    OPT_JSON,
    OPT_PASSPHRASE_FILE,
    OPT_TIMEOUT,
};

static const struct option common_options[] = {
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"identity", required_argument, NULL, OPT_IDENTITY},
    {"json", no_argument, NULL, OPT_JSON},
    {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
};

#define N_COMMON (sizeof common_options / sizeof common_options[0])

static const char common_help[] =
    "common options:\n"
    "  --socket PATH           the node's API socket (env RAISON_SOCKET; default\n"
    "                          $XDG_DATA_HOME/raison/raison.sock, else the site's\n"
    "                          service's /run/raison/raison.sock)\n"
    "  --identity FILE         your identity (env RAISON_IDENTITY; default\n"
    "                          $XDG_CONFIG_HOME/raison/identity.key)\n"
    "  --passphrase-file FILE  passphrase of a sealed identity (or env RAISON_PASSPHRASE)\n"
    "  --json                  print one JSON document on stdout\n"
    "  --timeout-ms MS         wait at most MS for each reply of the node\n"
    "  --help                  print this help\n";

/* The usage of raison itself: its commands and the common options. */
static void print_main_usage(const rsn_cli_t *cli, FILE *out)
{
    fprintf(out, "usage: raison [OPTIONS] COMMAND [ARGS]\n\n"
                 "raison: a federated workplace network where every group has a charter.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < cli->n_commands; i++) {
        fprintf(out, "  %-10s %s\n", cli->commands[i].name, cli->commands[i].summary);
    }
    fprintf(out, "  %-10s %s\n\n%s\n", "help", "print this help, or a command's", common_help);
    fprintf(out, "'raison COMMAND --help' describes a command. Exit status: 0 success,\n"
                 "1 failure (the node refused, no node running, ...), 2 usage error.\n");
}

void cli_print_usage(rsn_cli_t *cli, FILE *out)
{
    const rsn_cli_command_t *c = cli->command;
    if (!c) {
        print_main_usage(cli, out);
        return;
    }
    fprintf(out, "usage: raison %s%s%s\n\n%s\n", cli->command_name, c->synopsis[0] ? " " : "",
            c->synopsis, c->summary);
    if (c->details && c->details[0]) {
        fprintf(out, "\n%s", c->details);
    }
    fprintf(out, "\n%s", common_help);
}

/* The common options followed by the command's OWN, in the arena. */
static struct option *all_options(rsn_cli_t *cli, const struct option *own)
{
    size_t n = 0;
    while (own && own[n].name) {
        n++;
    }
    struct option *all = rsn_arena_alloc(cli->arena, (N_COMMON + n + 1) * sizeof *all);
    if (!all) {
        return NULL;
    }
    memcpy(all, common_options, sizeof common_options);
    if (n) {
        memcpy(all + N_COMMON, own, n * sizeof *all);
    }
    memset(&all[N_COMMON + n], 0, sizeof *all);
    return all;
}

/* Handles option C of getopt_long (a common one, an error, or the
 * command's own through SPEC). */
static int one_option(rsn_cli_t *cli, int c, char **argv, const cli_args_t *spec)
{
    switch (c) {
    case OPT_SOCKET: cli->socket_path = optarg; return 0;
    case OPT_IDENTITY: cli->identity_path = optarg; return 0;
    case OPT_JSON: cli->json = true; return 0;
    case OPT_PASSPHRASE_FILE: cli->passphrase_file = optarg; return 0;
    case OPT_TIMEOUT: return cli_parse_timeout(cli, optarg);
    case 'h': cli_print_usage(cli, stdout); return CLI_HELP_SHOWN;
    case ':': return cli_usage_error(cli, "option %s needs a value", argv[optind - 1]);
    case '?':
        if (optopt) {
            return cli_usage_error(cli, "unknown option -%c", optopt);
        }
        return cli_usage_error(cli, "unknown option %s", argv[optind - 1]);
    default:
        if (spec->on_option) {
            return spec->on_option(cli, c, optarg, spec->ctx);
        }
        return cli_usage_error(cli, "unexpected option");
    }
}

int cli_args(rsn_cli_t *cli, int argc, char **argv, const cli_args_t *spec, int *first)
{
    struct option *opts = all_options(cli, spec->options);
    if (!opts) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    /* "+": stop at the first operand; ':': tell a missing value apart */
    const char *shorts = rsn_arena_printf(cli->arena, "%s:h%s", spec->leading ? "+" : "",
                                          spec->shorts ? spec->shorts : "");
    if (!shorts) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    opterr = 0;
    optind = 0; /* glibc: start afresh on this argv */
    for (;;) {
        int c = getopt_long(argc, argv, shorts, opts, NULL);
        if (c == -1) {
            break;
        }
        int rc = one_option(cli, c, argv, spec);
        if (rc != 0) {
            return rc;
        }
    }
    int n = argc - optind;
    if (n < spec->min_operands) {
        return cli_usage_error(cli, "%s", spec->missing ? spec->missing : "missing argument");
    }
    if (spec->max_operands >= 0 && n > spec->max_operands) {
        if (spec->extra) {
            return cli_usage_error(cli, "%s", spec->extra);
        }
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + spec->max_operands]);
    }
    *first = optind;
    return 0;
}

int cli_no_args(rsn_cli_t *cli, int argc, char **argv)
{
    static const cli_args_t none = {0};
    int first = 0;
    return cli_args(cli, argc, argv, &none, &first);
}

int cli_run_family(rsn_cli_t *cli, int argc, char **argv, const cli_family_t *family)
{
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            cli_print_usage(cli, stdout);
            return CLI_HELP_SHOWN;
        }
        return cli_usage_error(cli, "%s", family->which);
    }
    for (size_t i = 0; i < family->n_subs; i++) {
        const rsn_cli_command_t *sub = &family->subs[i];
        if (strcmp(sub->name, argv[1]) == 0) {
            cli->command = sub;
            cli->command_name = rsn_arena_printf(cli->arena, "%s %s", family->name, sub->name);
            return sub->run(cli, argc - 1, argv + 1);
        }
    }
    if (family->choices) {
        return cli_usage_error(cli, "unknown subcommand '%s' (%s)", argv[1], family->choices);
    }
    return cli_usage_error(cli, "unknown subcommand '%s'", argv[1]);
}
