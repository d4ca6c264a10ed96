/* cli_common.c — what every `raison` command shares.
 *
 * Default paths (XDG), errors on stderr, the connection to the node and the
 * call-and-check of one request, the identity and its passphrase (from a
 * file, the environment or a terminal prompt without echo, never waiting on a
 * terminal that is not there), hex and time formatting, and the renderings
 * of entries and charters for people. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "net/api_server.h"
#include "cli/cli.h"

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("raison: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return RSN_ERR_INVALID_ARG;
}

/* ENV when set and not empty, otherwise NULL. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

/* $XDG_VAR/raison/FILE, or $HOME/FALLBACK/raison/FILE. */
static const char *xdg_path(rsn_cli_t *cli, const char *xdg_var, const char *fallback,
                            const char *file)
{
    const char *base = env(xdg_var);
    if (base && base[0] == '/') {
        return rsn_arena_printf(cli->arena, "%s/raison/%s", base, file);
    }
    const char *home = env("HOME");
    if (!home) {
        return NULL;
    }
    return rsn_arena_printf(cli->arena, "%s/%s/raison/%s", home, fallback, file);
}

int cli_resolve_paths(rsn_cli_t *cli)
{
    if (!cli->socket_path) {
        cli->socket_path = env("RAISON_SOCKET");
    }
    if (!cli->socket_path) {
        cli->socket_path = xdg_path(cli, "XDG_DATA_HOME", ".local/share", "raison.sock");
    }
    if (!cli->identity_path) {
        cli->identity_path = env("RAISON_IDENTITY");
    }
    if (!cli->identity_path) {
        cli->identity_path = xdg_path(cli, "XDG_CONFIG_HOME", ".config", "identity.key");
    }
    if (!cli->socket_path || !cli->identity_path) {
        return cli_fail("HOME is not set: give --socket and --identity");
    }
    return 0;
}

bool cli_parse_uint(const char *text, uint64_t max, uint64_t *out)
{
    if (!text || text[0] < '0' || text[0] > '9') {
        return false;
    }
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static int no_node(rsn_cli_t *cli)
{
    cli_fail("no node is listening on %s (is raisond running?)", cli->socket_path);
    return RSN_ERR_UNAVAILABLE;
}

int cli_client(rsn_cli_t *cli, rsn_client_t **out)
{
    int rc = 0;
    if (cli->client) {
        *out = cli->client;
        return 0;
    }
    if ((rc = cli_resolve_paths(cli)) != 0) {
        return rc;
    }
    if (strlen(cli->socket_path) > RSN_IPC_PATH_MAX) {
        cli_fail("socket path %s is too long (a Unix socket path holds at most %d bytes)",
                 cli->socket_path, RSN_IPC_PATH_MAX);
        return RSN_ERR_INVALID_ARG;
    }
    /* the client library checks the file and probes it: a node that died
     * and left its socket file is told at once, not by a timeout */
    rc = rsn_client_connect(&cli->client, cli->socket_path, cli->timeout_ms);
    if (rc == RSN_ERR_UNAVAILABLE) {
        return no_node(cli);
    }
    if (rc != 0) {
        cli_fail("cannot connect to %s: %s", cli->socket_path, rsn_strerror(rc));
        return rc;
    }
    *out = cli->client;
    return 0;
}

int cli_node_error(const Raison__ApiReply *reply)
{
    const Raison__Error *e = reply->error;
    int code = e ? -(int)e->code : RSN_ERR_INTERNAL;
    if (code == 0) {
        code = RSN_ERR_INTERNAL;
    }
    if (e && e->message && e->message[0]) {
        cli_fail("%s", e->message);
    } else {
        cli_fail("the node refused: %s", rsn_strerror(code));
    }
    return code;
}

int cli_call(rsn_cli_t *cli, Raison__ApiRequest *req, Raison__ApiReply__ResultCase expect,
             Raison__ApiReply **reply)
{
    rsn_client_t *client = NULL;
    Raison__ApiReply *r = NULL;
    int rc = cli_client(cli, &client);
    *reply = NULL;
    if (rc != 0) {
        return rc;
    }
    rc = rsn_client_call(client, req, &r);
    if (rc == RSN_ERR_TIMEOUT) {
        cli_fail("the node at %s did not answer within %d ms", cli->socket_path, cli->timeout_ms);
        return rc;
    }
    if (rc == RSN_ERR_UNAVAILABLE) {
        return no_node(cli);
    }
    if (rc != 0) {
        cli_fail("talking to the node failed: %s", rsn_strerror(rc));
        return rc;
    }
    if (r->result_case == RAISON__API_REPLY__RESULT_ERROR) {
        rc = cli_node_error(r);
        raison__api_reply__free_unpacked(r, NULL);
        return rc;
    }
    if (r->result_case != expect) {
        cli_fail("unexpected reply from the node (result %d, expected %d)", (int)r->result_case,
                 (int)expect);
        raison__api_reply__free_unpacked(r, NULL);
        return RSN_ERR_BAD_REQUEST;
    }
    *reply = r;
    return 0;
}

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
 * with echo off. */
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

int cli_passphrase(rsn_cli_t *cli, const char *prompt, bool confirm, char **out)
{
    int rc = 0;
    char *again = NULL;
    char *buf = rsn_secure_alloc(CLI_PASSPHRASE_MAX);
    *out = NULL;
    if (!buf) {
        cli_fail("out of secure memory");
        return RSN_ERR_NOMEM;
    }
    memset(buf, 0, CLI_PASSPHRASE_MAX);
    const char *from_env = env("RAISON_PASSPHRASE");
    if (cli->passphrase_file) {
        int fd = open(cli->passphrase_file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            cli_fail("cannot read passphrase file %s: %s", cli->passphrase_file, strerror(errno));
            rc = RSN_ERR_IO;
            goto out;
        }
        rc = read_line(fd, buf);
        close(fd);
        if (rc != 0) {
            cli_fail("cannot read passphrase file %s: %s", cli->passphrase_file,
                     rc == RSN_ERR_TOO_LARGE ? "line too long" : "read error");
            goto out;
        }
    } else if (from_env) {
        if (strlen(from_env) >= CLI_PASSPHRASE_MAX) {
            cli_fail("RAISON_PASSPHRASE is too long");
            rc = RSN_ERR_TOO_LARGE;
            goto out;
        }
        memcpy(buf, from_env, strlen(from_env) + 1);
    } else if (isatty(STDIN_FILENO)) {
        if ((rc = prompt_hidden(prompt, buf)) != 0) {
            cli_fail("cannot read the passphrase from the terminal");
            goto out;
        }
        if (confirm) {
            again = rsn_secure_alloc(CLI_PASSPHRASE_MAX);
            if (!again || (rc = prompt_hidden("Repeat the passphrase: ", again)) != 0) {
                cli_fail("cannot read the passphrase from the terminal");
                rc = again ? rc : RSN_ERR_NOMEM;
                goto out;
            }
            if (strcmp(buf, again) != 0) {
                cli_fail("the two passphrases differ");
                rc = RSN_ERR_PASSPHRASE;
                goto out;
            }
        }
    } else {
        cli_fail("a passphrase is needed and stdin is not a terminal: "
                 "give --passphrase-file FILE or set RAISON_PASSPHRASE");
        rc = RSN_ERR_PASSPHRASE;
        goto out;
    }
    if (buf[0] == '\0') {
        cli_fail("the passphrase is empty");
        rc = RSN_ERR_PASSPHRASE;
        goto out;
    }
    *out = buf;
    buf = NULL;
out:
    rsn_secure_free(again);
    rsn_secure_free(buf);
    return rc;
}

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
        cli_fail("no identity at %s (create one with 'raison id new')", path);
        break;
    case RSN_ERR_PERMISSION:
        cli_fail("identity file %s is readable by others (chmod 600 %s)", path, path);
        break;
    case RSN_ERR_BAD_KEYFILE: cli_fail("%s is not a raison identity file", path); break;
    case RSN_ERR_PASSPHRASE: cli_fail("wrong passphrase for identity %s", path); break;
    default: cli_fail("cannot load identity %s: %s", path, rsn_strerror(rc)); break;
    }
    return rc;
}

const char *cli_hex(rsn_cli_t *cli, const uint8_t *bytes, size_t len)
{
    char *out = rsn_arena_alloc(cli->arena, 2 * len + 1);
    if (!out) {
        return "?";
    }
    return len ? rsn_hex_encode(out, 2 * len + 1, bytes, len) : out;
}

int cli_parse_id(const char *hex, const char *what, uint8_t out[32])
{
    if (strlen(hex) != RSN_KEY_HEX || rsn_key_from_hex(out, hex) != 0) {
        cli_fail("%s must be 64 hexadecimal characters, not '%s'", what, hex);
        return RSN_ERR_INVALID_ARG;
    }
    return 0;
}

const char *cli_time(rsn_cli_t *cli, uint64_t ms)
{
    if (ms == 0) {
        return "-";
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[64];
    if (!localtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
        return "?";
    }
    const char *s = rsn_arena_strdup(cli->arena, buf);
    return s ? s : "?";
}

uint64_t cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool cli_confirm(const char *question)
{
    char line[64];
    fflush(stdout);
    fprintf(stderr, "%s ", question);
    fflush(stderr);
    if (!fgets(line, sizeof line, stdin)) {
        return false;
    }
    return line[0] == 'y' || line[0] == 'Y';
}

int cli_group(rsn_cli_t *cli, const char *ref, Raison__ApiReply **reply)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__GroupRequest g = RAISON__GROUP_REQUEST__INIT;
    g.group = (char *)ref;
    req.call_case = RAISON__API_REQUEST__CALL_GROUP;
    req.group = &g;
    int rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_GROUP, reply);
    if (rc == 0 && (!(*reply)->group || !(*reply)->group->charter ||
                    (*reply)->group->group.len != RSN_ID_BYTES)) {
        cli_fail("the node's answer about group '%s' is incomplete", ref);
        raison__api_reply__free_unpacked(*reply, NULL);
        *reply = NULL;
        rc = RSN_ERR_BAD_REQUEST;
    }
    return rc;
}

int cli_entry(rsn_cli_t *cli, const uint8_t id[32], Raison__ApiReply **reply)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__EntryRequest e = RAISON__ENTRY_REQUEST__INIT;
    e.id.data = (uint8_t *)id;
    e.id.len = RSN_ID_BYTES;
    req.call_case = RAISON__API_REQUEST__CALL_ENTRY;
    req.entry = &e;
    int rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_ENTRY, reply);
    if (rc == 0 && (!(*reply)->entry || !(*reply)->entry->entry)) {
        cli_fail("the node's answer about entry %s is incomplete", cli_hex(cli, id, 32));
        raison__api_reply__free_unpacked(*reply, NULL);
        *reply = NULL;
        rc = RSN_ERR_BAD_REQUEST;
    }
    return rc;
}

void *cli_entry_body(rsn_cli_t *cli, const Raison__EntryInfo *info)
{
    void *body = NULL;
    const Raison__SignedEntry *se = info->signed_entry;
    if (info->erased || !se) {
        return NULL;
    }
    if (rsn_body_decode(cli->arena, info->kind, se->body.data, se->body.len, &body) != 0) {
        return NULL;
    }
    return body;
}

/* TEXT on one line, cut to about MAX bytes on a UTF-8 boundary. */
static const char *one_line(rsn_cli_t *cli, const char *text, size_t max)
{
    size_t n = strlen(text);
    bool cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    char *out = rsn_arena_alloc(cli->arena, n + 4);
    if (!out) {
        return "";
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = (text[i] == '\n' || text[i] == '\r' || text[i] == '\t') ? ' ' : text[i];
    }
    if (cut) {
        memcpy(out + n, "...", 4);
    }
    return out;
}

static const char *short_hex(rsn_cli_t *cli, ProtobufCBinaryData b)
{
    return cli_hex(cli, b.data, b.len < 6 ? b.len : 6);
}

static const char *action_name(Raison__Action a)
{
    switch (a) {
    case RAISON__ACTION__ACTION_JOIN: return "join";
    case RAISON__ACTION__ACTION_LEAVE: return "leave";
    case RAISON__ACTION__ACTION_ADD: return "add";
    case RAISON__ACTION__ACTION_REMOVE: return "remove";
    default: return "membership";
    }
}

const char *cli_entry_summary(rsn_cli_t *cli, const Raison__EntryInfo *info)
{
    const void *body = cli_entry_body(cli, info);
    const char *s = NULL;
    if (!body) {
        s = rsn_arena_printf(cli->arena, "%s (%s)", rsn_kind_name(info->kind),
                             info->erased ? "body erased" : "no readable body");
    } else {
        switch (info->kind) {
        case RAISON__KIND__KIND_CHARTER: {
            const Raison__Charter *c = body;
            s = rsn_arena_printf(cli->arena, "charter v%u \"%s\"%s%s", c->version,
                                 one_line(cli, c->name, 60), c->group.len ? " of group " : "",
                                 c->group.len ? short_hex(cli, c->group) : "");
            break;
        }
        case RAISON__KIND__KIND_MEMBERSHIP: {
            const Raison__Membership *m = body;
            bool other = m->action == RAISON__ACTION__ACTION_ADD ||
                         m->action == RAISON__ACTION__ACTION_REMOVE;
            s = rsn_arena_printf(cli->arena, "%s group %s%s%s", action_name(m->action),
                                 short_hex(cli, m->group), other ? " member " : "",
                                 other ? short_hex(cli, m->member) : "");
            break;
        }
        case RAISON__KIND__KIND_POST: {
            const Raison__Post *p = body;
            s = rsn_arena_printf(cli->arena, "%s [%s] in group %s: %s",
                                 p->reply_to.len ? "reply" : "post", p->mission,
                                 short_hex(cli, p->group), one_line(cli, p->text, 70));
            break;
        }
        case RAISON__KIND__KIND_PROFILE: {
            const Raison__Profile *p = body;
            s = rsn_arena_printf(cli->arena, "profile \"%s\" at %s%s%s", one_line(cli, p->name, 40),
                                 one_line(cli, p->site, 40), p->role[0] ? ", " : "",
                                 one_line(cli, p->role, 40));
            break;
        }
        case RAISON__KIND__KIND_RETRACTION: {
            const Raison__Retraction *r = body;
            s = rsn_arena_printf(cli->arena, "retract %s%s",
                                 cli_hex(cli, r->target.data, r->target.len),
                                 r->erase ? " (erase)" : "");
            break;
        }
        default: s = rsn_kind_name(info->kind); break;
        }
    }
    if (s && info->retracted) {
        s = rsn_arena_printf(cli->arena, "%s (retracted)", s);
    }
    if (s && info->invalid && info->invalid[0]) {
        s = rsn_arena_printf(cli->arena, "%s (not shown: %s)", s, info->invalid);
    }
    return s ? s : "";
}

void cli_print_charter(rsn_cli_t *cli, FILE *out, const Raison__Charter *c)
{
    fprintf(out, "%s (charter version %u)\n", c->name, c->version);
    fprintf(out, "  purpose:   %s\n", c->purpose);
    fprintf(out, "  missions:\n");
    for (size_t i = 0; i < c->n_missions; i++) {
        fprintf(out, "    %-12s %s\n", c->missions[i]->key, c->missions[i]->goal);
    }
    fprintf(out, "  benefits:\n");
    for (size_t i = 0; i < c->n_benefits; i++) {
        fprintf(out, "    - %s\n", c->benefits[i]);
    }
    const Raison__DataPolicy *d = c->data_policy;
    fprintf(out, "  data policy:\n");
    fprintf(out, "    readers:   %s\n", d ? d->readers : "");
    fprintf(out, "    use:       %s\n", d ? d->use : "");
    if (d && d->retention_days) {
        fprintf(out, "    retention: posts kept %u days\n", d->retention_days);
    } else {
        fprintf(out, "    retention: kept\n");
    }
    fprintf(out, "  access:    %s\n",
            c->access == RAISON__ACCESS__ACCESS_MEMBERS_ONLY ? "members only" : "open");
    fprintf(out, "  owners:\n");
    for (size_t i = 0; i < c->n_owners; i++) {
        fprintf(out, "    %s\n", cli_hex(cli, c->owners[i].data, c->owners[i].len));
    }
}

/* Checks that a command got only common options and at most MAX operands,
 * at least MIN. -1 to go on, or the exit status to return. */
int cli_plain_args(rsn_cli_t *cli, int argc, char **argv, int min, int max)
{
    static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        if (c == CLI_OPT_STOP) {
            return cli->status;
        }
        return cli_usage_error(cli, "unexpected option");
    }
    if (argc - optind < min) {
        return cli_usage_error(cli, "missing argument");
    }
    if (argc - optind > max) {
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + max]);
    }
    return -1;
}
