/* cli_identity.c — `raison id new` and `raison id show`.
 *
 * A user's identity is an Ed25519 key pair in a file of mode 0600 (by
 * default $XDG_CONFIG_HOME/raison/identity.key), optionally sealed with a
 * passphrase. Creating one never overwrites a file, and creates the missing
 * folders with mode 0700. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

/* Creates every missing folder of the parent of PATH, with mode 0700. */
static int make_parents(rsn_cli_t *cli, const char *path)
{
    char *dir = rsn_arena_strdup(cli->arena, path);
    if (!dir) {
        cli_fail("out of memory");
        return RSN_ERR_NOMEM;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        return 0;
    }
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            cli_fail("cannot create folder %s: %s", dir, strerror(errno));
            return RSN_ERR_IO;
        }
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        cli_fail("cannot create folder %s: %s", dir, strerror(errno));
        return RSN_ERR_IO;
    }
    return 0;
}

static int id_new(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"passphrase", no_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
    bool seal = false;
    char *pass = NULL;
    rsn_keypair_t *kp = NULL;
    int status = CLI_EXIT_FAIL;
    int c;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        switch (c) {
        case 'p': seal = true; break;
        case CLI_OPT_STOP: return cli->status;
        default: return cli_usage_error(cli, "unexpected option");
        }
    }
    if (optind < argc) {
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    }
    if (cli_resolve_paths(cli) != 0) {
        return CLI_EXIT_FAIL;
    }
    const char *path = cli->identity_path;
    struct stat st;
    if (lstat(path, &st) == 0) {
        cli_fail("identity %s already exists (refusing to overwrite it)", path);
        return CLI_EXIT_FAIL;
    }
    seal = seal || cli->passphrase_file;
    if (seal && cli_passphrase(cli, "Passphrase for the new identity: ", true, &pass) != 0) {
        goto out;
    }
    if (make_parents(cli, path) != 0) {
        goto out;
    }
    kp = rsn_keypair_generate();
    if (!kp) {
        cli_fail("cannot create a key pair (out of secure memory)");
        goto out;
    }
    int rc = rsn_keypair_save(kp, path, pass);
    if (rc == RSN_ERR_EXISTS) {
        cli_fail("identity %s already exists (refusing to overwrite it)", path);
        goto out;
    }
    if (rc != 0) {
        cli_fail("cannot write identity %s: %s", path, rsn_strerror(rc));
        goto out;
    }
    const uint8_t *pk = rsn_keypair_public(kp);
    if (cli->json) {
        status = cli_json_print(json_pack("{s:o,s:s,s:b}", "key", cli_json_hex(pk, 32), "file",
                                          path, "sealed", (int)seal),
                                false);
    } else {
        printf("%s\n", cli_hex(cli, pk, 32));
        fprintf(stderr, "raison: created identity %s%s\n", path,
                seal ? " (sealed with a passphrase)" : "");
        status = CLI_EXIT_OK;
    }
out:
    rsn_keypair_destroy(&kp);
    rsn_secure_free(pass);
    return status;
}

static int id_show(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    const rsn_keypair_t *kp = NULL;
    int c;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        if (c == CLI_OPT_STOP) {
            return cli->status;
        }
        return cli_usage_error(cli, "unexpected option");
    }
    if (optind < argc) {
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    }
    if (cli_keypair(cli, &kp) != 0) {
        return CLI_EXIT_FAIL;
    }
    const uint8_t *pk = rsn_keypair_public(kp);
    if (cli->json) {
        return cli_json_print(json_pack("{s:o}", "key", cli_json_hex(pk, 32)), false);
    }
    printf("%s\n", cli_hex(cli, pk, 32));
    return CLI_EXIT_OK;
}

static const rsn_cli_command_t id_commands[] = {
    {"new", id_new, "[--passphrase]", "create an identity and print its public key (hex)",
     "  --passphrase   seal the identity with a passphrase: from --passphrase-file,\n"
     "                 RAISON_PASSPHRASE, or a prompt when stdin is a terminal\n"
     "  the file is created with mode 0600 and never overwritten\n"},
    {"show", id_show, "", "print the public key of your identity (hex)", ""},
};

int cli_cmd_id(rsn_cli_t *cli, int argc, char **argv)
{
    /* `raison id --help` and `raison id` alone describe the family */
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            cli_print_usage(cli, stdout);
            return CLI_EXIT_OK;
        }
        return cli_usage_error(cli, "which one: 'id new' or 'id show'?");
    }
    const rsn_cli_command_t *sub =
        cli_find_sub(cli, id_commands, sizeof id_commands / sizeof id_commands[0], "id", argv[1]);
    if (!sub) {
        return cli_usage_error(cli, "unknown subcommand '%s' (new or show)", argv[1]);
    }
    optind = 0;
    return sub->run(cli, argc - 1, argv + 1);
}
