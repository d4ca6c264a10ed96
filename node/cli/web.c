/* web.c — `raison web` (serve the site's web app beside the node) and
 * `raison web invite` (print a new one-time invite).
 *
 * The command line only: the server is the rsn_web library (node/web/,
 * docs/web.md). `raison web` parses its options, refuses a non-loopback
 * address without TLS (a usage error, exit status 2), starts the server,
 * prints an invite URL as its first stdout line (an operator's invite while
 * the state folder has no operator, a member's after that; {"url": ...}
 * with --json), flushed, then logs on stderr and serves until SIGINT or
 * SIGTERM. `raison web invite` writes an invite into the state folder of
 * the server at --listen (a running server reads it when it is used). This
 * file is linked into the raison program, not rsn_cli, which rsn_web uses. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "web/web.h"

#define WEB_DEFAULT_LISTEN "127.0.0.1:8080"
#define WEB_NAME_MAX 128
/* A node call blocks the server's one thread: it waits at most this, unless
 * --timeout-ms says otherwise. */
#define WEB_DEFAULT_TIMEOUT_MS 5000

/* The options of both subcommands (invite ignores the server's). */
typedef struct {
    const char *listen;
    const char *tls_cert, *tls_key;
    const char *state;
    const char *static_dir;
    const char *name;
    bool open_enrollment;
    bool operator_;
    char host[RSN_WEB_HOST_MAX];
    uint16_t port;
    char state_buf[1024];
} web_opts_t;

enum { OPT_LISTEN = 0x200, OPT_CERT, OPT_KEY, OPT_STATE, OPT_OPEN, OPT_STATIC, OPT_NAME, OPT_OP };

static int web_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    web_opts_t *o = ctx;
    switch (opt) {
    case OPT_LISTEN: o->listen = value; break;
    case OPT_CERT: o->tls_cert = value; break;
    case OPT_KEY: o->tls_key = value; break;
    case OPT_STATE: o->state = value; break;
    case OPT_OPEN: o->open_enrollment = true; break;
    case OPT_STATIC: o->static_dir = value; break;
    case OPT_NAME:
        if (strlen(value) > WEB_NAME_MAX) {
            return cli_usage_error(cli, "--name takes at most %d bytes", WEB_NAME_MAX);
        }
        o->name = value;
        break;
    case OPT_OP: o->operator_ = true; break;
    default: return cli_usage_error(cli, "unexpected option");
    }
    return 0;
}

/* Checks the options both subcommands share: the address and the state
 * folder. 0 or CLI_ERR_USAGE (said). */
static int resolve_opts(rsn_cli_t *cli, web_opts_t *o)
{
    if (rsn_web_parse_listen(o->listen, o->host, &o->port) != 0) {
        return cli_usage_error(cli, "--listen takes HOST:PORT (or [V6]:PORT), not '%s'",
                               cli_safe(cli, o->listen));
    }
    if (!o->state) {
        if (rsn_web_state_default(o->state_buf, sizeof o->state_buf, o->port) != 0) {
            return cli_usage_error(cli, "the default state folder is too long: give --state");
        }
        o->state = o->state_buf;
    }
    return 0;
}

/* Prints the invite URL of TOKEN, as text or {"url": ...}: on every
 * address (0.0.0.0, ::), the URL names this machine, as the Host check
 * does. */
static int print_url(rsn_cli_t *cli, const web_opts_t *o, bool tls, const char *token)
{
    char url[RSN_WEB_URL_MAX], name[RSN_WEB_HOST_MAX];
    const char *host = o->host;
    if ((strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) &&
        gethostname(name, sizeof name) == 0) {
        name[sizeof name - 1] = '\0';
        host = name;
    }
    rsn_web_invite_url(url, host, o->port, tls, token);
    if (cli->json) {
        return cli_json_print(cli, json_pack("{s:s}", "url", url), true);
    }
    printf("%s\n", url);
    fflush(stdout);
    return 0;
}

static int web_invite(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, OPT_LISTEN},
                                         {"state", required_argument, NULL, OPT_STATE},
                                         {"name", required_argument, NULL, OPT_NAME},
                                         {"operator", no_argument, NULL, OPT_OP},
                                         {NULL, 0, NULL, 0}};
    web_opts_t o = {.listen = WEB_DEFAULT_LISTEN};
    cli_args_t spec = {.options = opts, .on_option = web_option, .ctx = &o};
    char token[RSN_WEB_TOKEN_SIZE];
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0 || (rc = resolve_opts(cli, &o)) != 0) {
        return rc;
    }
    if ((rc = rsn_web_invite_new(o.state, o.name, o.operator_, token)) != 0) {
        return cli_fail(cli, rc, "cannot write an invite into %s: %s", o.state, rsn_strerror(rc));
    }
    /* TLS or not is the server's: an address off loopback is only served with it */
    return print_url(cli, &o, !rsn_web_is_loopback(o.host), token);
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int web_serve(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, OPT_LISTEN},
                                         {"tls-cert", required_argument, NULL, OPT_CERT},
                                         {"tls-key", required_argument, NULL, OPT_KEY},
                                         {"state", required_argument, NULL, OPT_STATE},
                                         {"open-enrollment", no_argument, NULL, OPT_OPEN},
                                         {"static", required_argument, NULL, OPT_STATIC},
                                         {NULL, 0, NULL, 0}};
    web_opts_t o = {.listen = WEB_DEFAULT_LISTEN}; /* no static_dir: the embedded page */
    cli_args_t spec = {.options = opts, .on_option = web_option, .ctx = &o};
    rsn_web_t *web = NULL;
    char token[RSN_WEB_TOKEN_SIZE];
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0 || (rc = resolve_opts(cli, &o)) != 0 || (rc = cli_resolve_paths(cli)) != 0) {
        return rc;
    }
    if (!o.tls_cert != !o.tls_key) {
        return cli_usage_error(cli, "--tls-cert and --tls-key go together");
    }
    if (!o.tls_cert && !rsn_web_is_loopback(o.host)) {
        return cli_usage_error(cli,
                               "refusing to listen on %s without TLS: give --tls-cert and "
                               "--tls-key, or listen on a loopback address (127.0.0.1)",
                               cli_safe(cli, o.host));
    }
    rsn_web_config_t cfg = {.port = o.port,
                            .tls_cert = o.tls_cert,
                            .tls_key = o.tls_key,
                            .socket_path = cli->socket_path,
                            .state_dir = o.state,
                            .static_dir = o.static_dir,
                            .open_enrollment = o.open_enrollment,
                            .timeout_ms =
                                cli->timeout_given ? cli->timeout_ms : WEB_DEFAULT_TIMEOUT_MS};
    snprintf(cfg.host, sizeof cfg.host, "%s", o.host);
    rsn_log_setup("raison web", getenv("RAISON_DEBUG") ? RSN_LOG_DEBUG : RSN_LOG_INFO);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = rsn_web_new(&web, &cfg)) != 0) {
        return rc == RSN_ERR_INVALID_ARG ? CLI_ERR_USAGE : rc; /* said by rsn_web_new */
    }
    bool op = rsn_web_needs_operator(o.state);
    if ((rc = rsn_web_invite_new(o.state, op ? "first operator" : NULL, op, token)) != 0) {
        rc = cli_fail(cli, rc, "cannot write an invite into %s", o.state);
    } else if ((rc = print_url(cli, &o, o.tls_cert != NULL, token)) == 0) {
        rsn_info("serving %s://%s:%u for the node at %s (state %s, page %s)%s",
                 o.tls_cert ? "https" : "http", o.host, o.port, cli->socket_path, o.state,
                 o.static_dir ? o.static_dir : "embedded",
                 o.open_enrollment ? ", open enrollment" : "");
        rc = rsn_web_run(web, &stop_requested);
        rsn_info("stopping");
    }
    rsn_web_destroy(&web);
    return rc;
}

int cli_cmd_web(rsn_cli_t *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "invite") == 0) {
        static const rsn_cli_command_t invite = {
            "invite", web_invite, "[--name N] [--operator] [--listen HOST:PORT] [--state DIR]",
            "print a new one-time invite URL of the web app (valid 7 days)",
            "  --name N            who it is for (kept in the state folder)\n"
            "  --operator          it enrols a site operator (status, peers)\n"
            "  --listen HOST:PORT  the server it is for (default " WEB_DEFAULT_LISTEN ")\n"
            "  --state DIR         that server's state folder (default\n"
            "                      $XDG_STATE_HOME/raison/web-PORT)\n"
            "  --json: {\"url\": ...}\n"};
        cli->command = &invite;
        cli->command_name = "web invite";
        return web_invite(cli, argc - 1, argv + 1);
    }
    return web_serve(cli, argc, argv);
}
