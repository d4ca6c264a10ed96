/* identity.c — the user's identity: `raison id new`, `raison id show`, and
 * loading it for the commands that sign.
 *
 * A user's identity is an Ed25519 key pair in a file of mode 0600 (by
 * default $XDG_CONFIG_HOME/raison/identity.key), optionally sealed with a
 * passphrase. Creating one never overwrites a file, and creates the missing
 * folders with mode 0700. Its passphrase comes from --passphrase-file,
 * RAISON_PASSPHRASE, or a prompt without echo when stdin is a terminal; the
 * CLI never waits on a terminal that is not there. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

/* --- the passphrase ----------------------------------------------------------- */

/* Reads one line from FD into BUF (secure memory of CLI_PASSPHRASE_MAX),
 * without its end of line. 0, or RSN_ERR_IO / RSN_ERR_TOO_LARGE. */
static int read_line(int fd, char *buf)
{
    size_t n = 0;
    for (;;) {
        char ch;
        ssize_t got = read(fd, &ch, 1);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return RSN_ERR_IO;
        }
        if (got == 0 || ch == '\n') {
            break;
        }
        if (n + 1 >= CLI_PASSPHRASE_MAX) {
            return RSN_ERR_TOO_LARGE;
        }
        buf[n++] = ch;
    }
    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }
    buf[n] = '\0';
    return 0;
}

/* Prompts PROMPT on stderr and reads a line from the terminal on stdin
 * with echo off. (A prompt is a question to the terminal, not a message.) */
static int prompt_hidden(const char *prompt, char *buf)
{
    struct termios old, quiet;
    bool restore = false;
    fprintf(stderr, "%s", prompt);
    fflush(stderr);
    if (tcgetattr(STDIN_FILENO, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        restore = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
    }
    int rc = read_line(STDIN_FILENO, buf);
    if (restore) {
        (void)tcsetattr(STDIN_FILENO, TCSANOW, &old);
    }
    fputc('\n', stderr);
    return rc;
}

/* The passphrase from --passphrase-file into BUF. */
static int passphrase_from_file(rsn_cli_t *cli, char *buf)
{
    int fd = open(cli->passphrase_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return cli_fail(cli, RSN_ERR_IO, "cannot read passphrase file %s: %s", cli->passphrase_file,
                        strerror(errno));
    }
    int rc = read_line(fd, buf);
    close(fd);
    if (rc != 0) {
        return cli_fail(cli, rc, "cannot read passphrase file %s: %s", cli->passphrase_file,
                        rc == RSN_ERR_TOO_LARGE ? "line too long" : "read error");
    }
    return 0;
}

/* The passphrase typed on the terminal into BUF (twice when CONFIRM). */
static int passphrase_from_terminal(rsn_cli_t *cli, const char *prompt, bool confirm, char *buf)
{
    char *again = NULL;
    int rc = prompt_hidden(prompt, buf);
    if (rc != 0) {
        return cli_fail(cli, rc, "cannot read the passphrase from the terminal");
    }
    if (!confirm) {
        return 0;
    }
    again = rsn_secure_alloc(CLI_PASSPHRASE_MAX);
    if (!again || (rc = prompt_hidden("Repeat the passphrase: ", again)) != 0) {
        rc = cli_fail(cli, again ? rc : RSN_ERR_NOMEM,
                      "cannot read the passphrase from the terminal");
    } else if (strcmp(buf, again) != 0) {
        rc = cli_fail(cli, RSN_ERR_PASSPHRASE, "the two passphrases differ");
    }
    rsn_secure_free(again);
    return rc;
}

int cli_passphrase(rsn_cli_t *cli, const char *prompt, bool confirm, char **out)
{
    int rc = 0;
    char *buf = rsn_secure_alloc(CLI_PASSPHRASE_MAX);
    *out = NULL;
    if (!buf) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of secure memory");
    }
    memset(buf, 0, CLI_PASSPHRASE_MAX);
    const char *from_env = getenv("RAISON_PASSPHRASE");
    if (cli->passphrase_file) {
        rc = passphrase_from_file(cli, buf);
    } else if (from_env && from_env[0]) {
        if (strlen(from_env) >= CLI_PASSPHRASE_MAX) {
            rc = cli_fail(cli, RSN_ERR_TOO_LARGE, "RAISON_PASSPHRASE is too long");
        } else {
            memcpy(buf, from_env, strlen(from_env) + 1);
        }
    } else if (isatty(STDIN_FILENO)) {
        rc = passphrase_from_terminal(cli, prompt, confirm, buf);
    } else {
        rc = cli_fail(cli, RSN_ERR_PASSPHRASE,
                      "a passphrase is needed and stdin is not a terminal: "
                      "give --passphrase-file FILE or set RAISON_PASSPHRASE");
    }
    if (rc == 0 && buf[0] == '\0') {
        rc = cli_fail(cli, RSN_ERR_PASSPHRASE, "the passphrase is empty");
    }
    if (rc == 0) {
        *out = buf;
        buf = NULL;
    }
    rsn_secure_free(buf);
    return rc;
}

/* --- loading it ----------------------------------------------------------------- */

int cli_keypair(rsn_cli_t *cli, const rsn_keypair_t **out)
{
    int rc = 0;
    bool sealed = false;
    char *pass = NULL;
    if (cli->keypair) {
        *out = cli->keypair;
        return 0;
    }
    if ((rc = cli_resolve_paths(cli)) != 0) {
        return rc;
    }
    const char *path = cli->identity_path;
    rc = rsn_keyfile_is_sealed(path, &sealed);
    if (rc == 0 && sealed) {
        char *prompt = rsn_arena_printf(cli->arena, "Passphrase for %s: ", path);
        if ((rc = cli_passphrase(cli, prompt ? prompt : "Passphrase: ", false, &pass)) != 0) {
            return rc;
        }
    }
    if (rc == 0) {
        rc = rsn_keypair_load(&cli->keypair, path, pass);
    }
    rsn_secure_free(pass);
    switch (rc) {
    case 0: *out = cli->keypair; return 0;
    case RSN_ERR_NOT_FOUND:
        return cli_fail(cli, rc, "no identity at %s (create one with 'raison id new')", path);
    case RSN_ERR_PERMISSION:
        return cli_fail(cli, rc, "identity file %s is readable by others (chmod 600 %s)", path,
                        path);
    case RSN_ERR_BAD_KEYFILE: return cli_fail(cli, rc, "%s is not a raison identity file", path);
    case RSN_ERR_PASSPHRASE: return cli_fail(cli, rc, "wrong passphrase for identity %s", path);
    default: return cli_fail(cli, rc, "cannot load identity %s: %s", path, rsn_strerror(rc));
    }
}

/* --- id new, id show -------------------------------------------------------------- */

/* Creates every missing folder of the parent of PATH, with mode 0700. */
static int make_parents(rsn_cli_t *cli, const char *path)
{
    char *dir = rsn_arena_strdup(cli->arena, path);
    if (!dir) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        return 0;
    }
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }
        char was = *p;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            return cli_fail(cli, RSN_ERR_IO, "cannot create folder %s: %s", dir, strerror(errno));
        }
        if (was == '\0') {
            return 0;
        }
        *p = was;
    }
}

/* `id new --passphrase`. */
static int id_new_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    (void)value;
    if (opt != 'p') {
        return cli_usage_error(cli, "unexpected option");
    }
    *(bool *)ctx = true;
    return 0;
}

static int id_new(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"passphrase", no_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    bool seal = false;
    char *pass = NULL;
    rsn_keypair_t *kp = NULL;
    int first = 0;
    cli_args_t spec = {.options = opts, .on_option = id_new_option, .ctx = &seal};
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0 || (rc = cli_resolve_paths(cli)) != 0) {
        return rc;
    }
    const char *path = cli->identity_path;
    struct stat st;
    if (lstat(path, &st) == 0) {
        return cli_fail(cli, RSN_ERR_EXISTS,
                        "identity %s already exists (refusing to overwrite it)", path);
    }
    seal = seal || cli->passphrase_file;
    if ((seal &&
         (rc = cli_passphrase(cli, "Passphrase for the new identity: ", true, &pass)) != 0) ||
        (rc = make_parents(cli, path)) != 0) {
        goto out;
    }
    kp = rsn_keypair_generate();
    if (!kp) {
        rc = cli_fail(cli, RSN_ERR_NOMEM, "cannot create a key pair (out of secure memory)");
        goto out;
    }
    rc = rsn_keypair_save(kp, path, pass);
    if (rc == RSN_ERR_EXISTS) {
        rc = cli_fail(cli, rc, "identity %s already exists (refusing to overwrite it)", path);
        goto out;
    }
    if (rc != 0) {
        rc = cli_fail(cli, rc, "cannot write identity %s: %s", path, rsn_strerror(rc));
        goto out;
    }
    const uint8_t *pk = rsn_keypair_public(kp);
    if (cli->json) {
        rc = cli_json_print(cli,
                            json_pack("{s:o,s:s,s:b}", "key", cli_json_hex(pk, RSN_KEY_BYTES),
                                      "file", path, "sealed", (int)seal),
                            false);
    } else {
        printf("%s\n", cli_hex(cli, pk, RSN_KEY_BYTES));
        cli_say(cli, CLI_MSG_NOTICE, "created identity %s%s", path,
                seal ? " (sealed with a passphrase)" : "");
    }
out:
    rsn_keypair_destroy(&kp);
    rsn_secure_free(pass);
    return rc;
}

static int id_show(rsn_cli_t *cli, int argc, char **argv)
{
    const rsn_keypair_t *kp = NULL;
    int rc = cli_no_args(cli, argc, argv);
    if (rc != 0 || (rc = cli_keypair(cli, &kp)) != 0) {
        return rc;
    }
    const uint8_t *pk = rsn_keypair_public(kp);
    rsn_keyfile_sealing_t seal;
    if (rsn_keyfile_sealing(cli->identity_path, &seal) != 0) {
        memset(&seal, 0, sizeof seal); /* it just opened: nothing to say */
    }
    if (cli->json) {
        return cli_json_print(cli,
                              json_pack("{s:o,s:b,s:b}", "key", cli_json_hex(pk, RSN_KEY_BYTES),
                                        "sealed", (int)seal.sealed, "weak_seal", (int)seal.weak),
                              false);
    }
    printf("%s\n", cli_hex(cli, pk, RSN_KEY_BYTES));
    if (seal.weak) {
        /* the key stays on stdout alone: scripts read it */
        cli_say(cli, CLI_MSG_NOTICE,
                "identity %s is sealed with weaker Argon2id limits (%llu passes, %llu MiB) than "
                "new files get (%llu passes, %llu MiB)",
                cli->identity_path, (unsigned long long)seal.opslimit,
                (unsigned long long)(seal.memlimit >> 20), (unsigned long long)seal.seal_opslimit,
                (unsigned long long)(seal.seal_memlimit >> 20));
    }
    return 0;
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
    static const cli_family_t family = {"id", id_commands,
                                        sizeof id_commands / sizeof id_commands[0],
                                        "which one: 'id new' or 'id show'?", "new or show"};
    return cli_run_family(cli, argc, argv, &family);
}
