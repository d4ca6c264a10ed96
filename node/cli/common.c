/* common.c — what every `raison` command shares: where its messages go,
 * its exit status, the node it talks to.
 *
 * Messages: every error, notice and progress line of the CLI goes through
 * cli_say, which hands it to the run's sink: stderr ("raison: TEXT") for a
 * person at a terminal, or a caller's function (a web server reusing the
 * commands). Exit status: cli_exit_status, the one mapping from rsn_err,
 * which main applies once. The node: default paths (XDG), the connection
 * and the call-and-check of one request. And the small formatters and
 * parsers the commands share (hex, base64, ids, times). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "net/api_server.h"

/* --- messages and exit status ------------------------------------------------- */

/* The default sink: "raison: TEXT" on stderr, after what stdout holds. */
static void sink_stderr(void *ctx, cli_msg_kind_t kind, const char *text)
{
    (void)ctx;
    fflush(stdout);
    fprintf(stderr, "%s%s\n", kind == CLI_MSG_USAGE ? "" : "raison: ", text);
}

/* Formats PREFIX and FMT with AP (on the heap when it does not fit BUF)
 * for the sink. */
static void say_v(rsn_cli_t *cli, cli_msg_kind_t kind, const char *prefix, const char *fmt,
                  va_list ap)
{
    char buf[512];
    char *text = buf;
    size_t skip = strlen(prefix); /* a command's name: shorter than BUF */
    va_list again;
    va_copy(again, ap);
    memcpy(buf, prefix, skip);
    int n = (int)skip + vsnprintf(buf + skip, sizeof buf - skip, fmt, ap);
    if (n >= (int)sizeof buf && (text = malloc((size_t)n + 1)) != NULL) {
        memcpy(text, prefix, skip);
        vsnprintf(text + skip, (size_t)n + 1 - skip, fmt, again);
    } else if (n >= (int)sizeof buf) {
        text = buf; /* out of memory: the message, cut */
    }
    va_end(again);
    if (cli->sink) {
        cli->sink(cli->sink_ctx, kind, text);
    } else {
        /* messages quote the node's reasons, which may quote outside text */
        sink_stderr(NULL, kind, cli->arena ? cli_safe(cli, text) : text);
    }
    if (text != buf) {
        free(text);
    }
}

void cli_say(rsn_cli_t *cli, cli_msg_kind_t kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_v(cli, kind, "", fmt, ap);
    va_end(ap);
}

int cli_fail(rsn_cli_t *cli, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_v(cli, CLI_MSG_ERROR, "", fmt, ap);
    va_end(ap);
    return code;
}

int cli_usage_error(rsn_cli_t *cli, const char *fmt, ...)
{
    const char *name = cli->command_name;
    char prefix[128] = "";
    if (name) {
        snprintf(prefix, sizeof prefix, "%s: ", name);
    }
    va_list ap;
    va_start(ap, fmt);
    say_v(cli, CLI_MSG_ERROR, prefix, fmt, ap);
    va_end(ap);
    if (cli->command) {
        cli_say(cli, CLI_MSG_USAGE, "usage: raison %s %s\n(see 'raison %s --help')", name,
                cli->command->synopsis, name);
    } else {
        cli_say(cli, CLI_MSG_USAGE, "(see 'raison --help')");
    }
    return CLI_ERR_USAGE;
}

bool cli_progress_wanted(const rsn_cli_t *cli)
{
    return cli->sink != NULL || isatty(STDERR_FILENO);
}

int cli_exit_status(int rc)
{
    if (rc == 0 || rc == CLI_HELP_SHOWN) {
        return CLI_EXIT_OK;
    }
    return rc == CLI_ERR_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

/* --- paths and options ------------------------------------------------------ */

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
        /* no node of this user's own: the site's node, run as a service */
        struct stat st;
        if (cli->socket_path && stat(cli->socket_path, &st) != 0 &&
            stat(RSN_SYSTEM_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode)) {
            cli->socket_path = RSN_SYSTEM_SOCKET;
        }
    }
    if (!cli->identity_path) {
        cli->identity_path = env("RAISON_IDENTITY");
    }
    if (!cli->identity_path) {
        cli->identity_path = xdg_path(cli, "XDG_CONFIG_HOME", ".config", "identity.key");
    }
    if (!cli->socket_path || !cli->identity_path) {
        return cli_fail(cli, RSN_ERR_INVALID_ARG, "HOME is not set: give --socket and --identity");
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

int cli_parse_timeout(rsn_cli_t *cli, const char *text)
{
    uint64_t n = 0;
    if (!cli_parse_uint(text, 24 * 3600 * 1000, &n) || n == 0) {
        return cli_usage_error(cli, "--timeout-ms needs a positive number of milliseconds");
    }
    cli->timeout_ms = (int)n;
    cli->timeout_given = true;
    return 0;
}

/* --- the node ----------------------------------------------------------------- */

static int no_node(rsn_cli_t *cli)
{
    return cli_fail(cli, RSN_ERR_UNAVAILABLE, "no node is listening on %s (is raisond running?)",
                    cli->socket_path);
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
        return cli_fail(cli, RSN_ERR_INVALID_ARG,
                        "socket path %s is too long (a Unix socket path holds at most %d bytes)",
                        cli->socket_path, RSN_IPC_PATH_MAX);
    }
    /* the client library checks the file and probes it: a node that died
     * and left its socket file is told at once, not by a timeout */
    rc = rsn_client_connect(&cli->client, cli->socket_path, cli->timeout_ms);
    if (rc == RSN_ERR_UNAVAILABLE) {
        return no_node(cli);
    }
    if (rc != 0) {
        return cli_fail(cli, rc, "cannot connect to %s: %s", cli->socket_path, rsn_strerror(rc));
    }
    *out = cli->client;
    return 0;
}

int cli_node_error(rsn_cli_t *cli, const Raison__ApiReply *reply)
{
    const Raison__Error *e = reply->error;
    int code = e ? -(int)e->code : RSN_ERR_INTERNAL;
    if (code == 0) {
        code = RSN_ERR_INTERNAL;
    }
    if (e && e->message && e->message[0]) {
        return cli_fail(cli, code, "%s", e->message);
    }
    return cli_fail(cli, code, "the node refused: %s", rsn_strerror(code));
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
        return cli_fail(cli, rc, "the node at %s did not answer within %d ms", cli->socket_path,
                        cli->timeout_ms);
    }
    if (rc == RSN_ERR_UNAVAILABLE) {
        return no_node(cli);
    }
    if (rc != 0) {
        return cli_fail(cli, rc, "talking to the node failed: %s", rsn_strerror(rc));
    }
    if (r->result_case == RAISON__API_REPLY__RESULT_ERROR) {
        rc = cli_node_error(cli, r);
        rsn_reply_free(r);
        return rc;
    }
    if (r->result_case != expect) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                      "unexpected reply from the node (result %d, expected %d)",
                      (int)r->result_case, (int)expect);
        rsn_reply_free(r);
        return rc;
    }
    *reply = r;
    return 0;
}

/* Says that the node's answer about WHAT is incomplete; frees *REPLY. */
static int incomplete(rsn_cli_t *cli, Raison__ApiReply **reply, const char *what)
{
    rsn_reply_free(*reply);
    *reply = NULL;
    return cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node's answer about %s is incomplete",
                    what ? what : "it");
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
        rc = incomplete(cli, reply, rsn_arena_printf(cli->arena, "group '%s'", ref));
    }
    return rc;
}

int cli_entry(rsn_cli_t *cli, const uint8_t id[RSN_ID_BYTES], Raison__ApiReply **reply)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__EntryRequest e = RAISON__ENTRY_REQUEST__INIT;
    e.id.data = (uint8_t *)id;
    e.id.len = RSN_ID_BYTES;
    req.call_case = RAISON__API_REQUEST__CALL_ENTRY;
    req.entry = &e;
    int rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_ENTRY, reply);
    if (rc == 0 && (!(*reply)->entry || !(*reply)->entry->entry)) {
        rc = incomplete(cli, reply,
                        rsn_arena_printf(cli->arena, "entry %s", cli_hex(cli, id, RSN_ID_BYTES)));
    }
    return rc;
}

/* --- formatting and parsing ----------------------------------------------------- */

const char *cli_hex(rsn_cli_t *cli, const uint8_t *bytes, size_t len)
{
    char *out = rsn_arena_alloc(cli->arena, 2 * len + 1);
    if (!out) {
        return "?";
    }
    return len ? rsn_hex_encode(out, 2 * len + 1, bytes, len) : out;
}

const char *cli_b64(rsn_cli_t *cli, const uint8_t *bytes, size_t len)
{
    size_t size = rsn_base64_encoded_size(len);
    char *buf = rsn_arena_alloc(cli->arena, size);
    return buf ? rsn_base64_encode(buf, size, bytes, len) : "?";
}

int cli_parse_id(rsn_cli_t *cli, const char *hex, const char *what, uint8_t out[RSN_ID_BYTES])
{
    if (strlen(hex) != RSN_KEY_HEX || rsn_key_from_hex(out, hex) != 0) {
        return cli_fail(cli, CLI_ERR_USAGE, "%s must be 64 hexadecimal characters, not '%s'", what,
                        hex);
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
