/* main.c — the raison node daemon: options, start, signals.
 *
 *   raisond [--data DIR] [--site NAME] [--config FILE] [--socket PATH] [--new-key]
 *   raisond keygen [--data DIR] [--json]
 *   raisond --check-config [--config FILE] [options] [--json]
 *
 * With no configuration at all it runs on the embedded defaults: data folder
 * $XDG_DATA_HOME/raison (else ~/.local/share/raison), API socket DIR/raison.sock.
 * A config file (daemon/config.c) may set the same things; options on the
 * command line win over it. SIGHUP re-reads the file's peers. Exit status:
 * 0 clean stop, 1 failure, 2 bad usage, 3 a node key beside a lost store
 * (EXIT_KEY_HISTORY: start once with --new-key, daemon/node_key.h). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "common/arena.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "daemon/audit.h"
#include "daemon/check_config.h"
#include "daemon/config.h"
#include "daemon/derive.h"
#include "daemon/digest.h"
#include "daemon/ingest.h"
#include "daemon/node.h"
#include "daemon/node_key.h"
#include "store/store.h"

#define EXIT_KEY_HISTORY 3 /* a node key beside a lost store: --new-key */
#define REINDEX_STEP 65536 /* entries derived between two progress lines at most */

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t reload_requested = 0;

static void on_signal(int sig)
{
    if (sig == SIGHUP) {
        reload_requested = 1;
    } else {
        stop_requested = 1;
    }
}

static void usage(FILE *out)
{
    fprintf(out, "usage: raisond [options]            run a node\n"
                 "       raisond keygen [--data DIR] [--json]\n"
                 "                                    create the node key if absent; print it\n"
                 "       raisond verify [--data DIR] [--json]\n"
                 "                                    check a STOPPED node's whole store offline\n"
                 "                                    (exit 1 when integrity is broken)\n"
                 "       raisond reindex [--data DIR] [--json]\n"
                 "                                    rebuild a STOPPED node's derived state\n"
                 "                                    (indexes, counters) from its entries\n"
                 "\n"
                 "options:\n"
                 "  -d, --data DIR       data folder (default $XDG_DATA_HOME/raison,\n"
                 "                       else ~/.local/share/raison); created 0700\n"
                 "  -s, --site NAME      this node's site (branch office) name\n"
                 "  -c, --config FILE    INI file: [node] data=, site=, socket=, socket_group=,\n"
                 "                       log_level=, metrics=, metrics_public= (true|false);\n"
                 "                       [federation] listen=, peer=EP=KEY (repeatable);\n"
                 "                       [store] block_cache=, write_buffer= (8M, 4M),\n"
                 "                       max_open_files= (1000), compression= (snappy|none).\n"
                 "                       SIGHUP re-reads its peers without a restart\n"
                 "  -S, --socket PATH    API socket file (default DATA/raison.sock)\n"
                 "  -l, --log-level L    debug, info (default), warn, error\n"
                 "  -L, --listen EP      federation endpoint to bind, e.g. tcp://0.0.0.0:7701\n"
                 "  -p, --peer EP=KEY    a trusted peer node (repeatable): its endpoint and node\n"
                 "                       key in hex, as `raisond keygen` prints it; EP may be\n"
                 "                       empty (=KEY) to trust a node that dials us\n"
                 "  -M, --metrics HOST:PORT  serve Prometheus metrics at http://HOST:PORT/metrics\n"
                 "                       (loopback only unless metrics_public = true in the\n"
                 "                       config file; docs/operations.md lists them)\n"
                 "  -N, --new-key        the store was lost: make a new node key (the old one\n"
                 "                       kept as node.key.old-TIME); refused beside a history.\n"
                 "                       Without it a used key beside an empty database is\n"
                 "                       refused (exit 3): a key never signs two histories\n"
                 "  -G, --socket-group G the API socket 0660 to group G (the node must be in\n"
                 "                       it): the operator and the web server reach the\n"
                 "                       node by group membership (docs/operations.md)\n"
                 "      --check-config   read and check the configuration, print what a\n"
                 "                       start would do, start nothing (exit 1: problems)\n"
                 "  -j, --json           keygen: print {\"key\": hex, \"curve\": hex};\n"
                 "                       --check-config: one JSON document\n"
                 "  -h, --help           this text\n"
                 "  -V, --version        print the version\n"
                 "\n"
                 "The node serves the local API on ipc://SOCKET; talk to it with `raison`.\n"
                 "SIGINT or SIGTERM stop it cleanly.\n");
}

/* What main keeps beside the configuration: the file, for SIGHUP. */
typedef struct {
    rsn_config_t cfg;
    const char *config_path;
} options_t;

/* SIGHUP: re-read the config file's peers and apply them. */
static void reload_peers(rsn_node_t *node, void *ctx)
{
    options_t *o = ctx;
    char why[RSN_CONFIG_WHY_MAX] = "";
    int line = 0;
    if (!o->config_path) {
        rsn_info("SIGHUP: no --config file to re-read");
        return;
    }
    /* keys of [node] are kept as they are: only peers change at run time */
    if (rsn_config_reload_peers(&o->cfg, o->config_path, &line, why, sizeof why) < 0) {
        rsn_error("SIGHUP: %s", why);
        rsn_error("SIGHUP: config file %s unreadable (line %d): peers unchanged", o->config_path,
                  line);
        return;
    }
    rsn_fed_peer_conf_t peers[2 * RSN_FED_MAX_PEERS];
    size_t n = rsn_config_peers(&o->cfg, peers);
    if (rsn_node_set_peers(node, peers, n) < 0) {
        rsn_error("SIGHUP: the new peer list was refused");
    }
}

/* SIGHUP, as systemd's ExecReload sends it: reload, told to systemd. */
static void reload(rsn_node_t *node, void *ctx)
{
    (void)sd_notify(0, "RELOADING=1");
    reload_peers(node, ctx);
    (void)sd_notify(0, "READY=1");
}

/* An option's value replaces the one given before it. */
static void set_string(char **slot, const char *value)
{
    free(*slot);
    *slot = strdup(value);
}

static char *default_data_dir(void)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    char buf[4096];
    if (xdg && xdg[0] == '/') {
        snprintf(buf, sizeof buf, "%s/raison", xdg);
    } else if (home && home[0]) {
        snprintf(buf, sizeof buf, "%s/.local/share/raison", home);
    } else {
        return NULL;
    }
    return strdup(buf);
}

static int parse_level(const char *text, rsn_log_level *level)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, names[i]) == 0) {
            *level = (rsn_log_level)i;
            return 0;
        }
    }
    return RSN_ERR_INVALID_ARG;
}

/* raisond keygen: creates the node key if absent and prints it. 0 or the
 * rsn_err of the folder or the key file (said on stderr). */
static int keygen(const char *data, bool json)
{
    int rc = rsn_node_make_dir(data);
    if (rc < 0) {
        return rc;
    }
    rsn_keypair_t *kp = NULL;
    bool created = false;
    rc = rsn_node_key(data, &kp, &created);
    if (rc < 0) {
        fprintf(stderr, "raisond: node key in %s: %s\n", data, rsn_strerror(rc));
        return rc;
    }
    char hex[65], curve_hex[65];
    uint8_t curve[32];
    rsn_hex_encode(hex, sizeof hex, rsn_keypair_public(kp), 32);
    if ((rc = rsn_curve_public(curve, rsn_keypair_public(kp))) < 0) {
        rsn_keypair_destroy(&kp);
        return rc;
    }
    rsn_hex_encode(curve_hex, sizeof curve_hex, curve, 32);
    if (json) {
        printf("{\"key\": \"%s\", \"curve\": \"%s\", \"created\": %s}\n", hex, curve_hex,
               created ? "true" : "false");
    } else {
        printf("%s\n", hex);
    }
    rsn_keypair_destroy(&kp);
    return 0;
}

/* Opens the store of a STOPPED node's folder DATA (raisond verify,
 * reindex): 0 and *OUT, or the rsn_err said on stderr. */
static int open_stopped(const char *data, rsn_store_t **out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/db", data);
    rsn_store_t *store = NULL;
    int rc = rsn_store_open(&store, path);
    if (rc == RSN_ERR_LOCKED) {
        fprintf(stderr,
                "raisond: %s is in use by a running raisond: stop it first "
                "(a running node is asked with `raison audit verify`)\n",
                data);
        return rc;
    }
    if (rc < 0) {
        fprintf(stderr, "raisond: cannot open the database in %s: %s\n", path, rsn_strerror(rc));
        return rc;
    }
    if ((rc = rsn_store_check_format(store, path)) < 0) {
        fprintf(stderr, "raisond: %s: %s\n", path, rsn_strerror(rc));
        rsn_store_destroy(&store);
        return rc;
    }
    *out = store;
    return 0;
}

/* raisond reindex: deletes the derived state of a STOPPED node's folder and
 * derives it again from the entries (daemon/derive.h), with progress on
 * stderr. 0 or the rsn_err said on stderr. */
static int reindex_offline(const char *data, bool json)
{
    rsn_store_t *store = NULL;
    int rc = open_stopped(data, &store);
    if (rc < 0) {
        return rc;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rsn_ingest_t *ingest = NULL;
    rc = rsn_derive_reset(store);
    if (rc == 0) {
        rc = rsn_ingest_new(&ingest, store);
    }
    rsn_counts_t c = {0};
    if (rc == 0) {
        rsn_ingest_counts(ingest, &c);
    }
    bool more = rc == 0;
    time_t said = time(NULL);
    while (rc == 0 && more) {
        rc = rsn_ingest_derive(ingest, REINDEX_STEP, &more);
        if (!json && time(NULL) != said) {
            said = time(NULL);
            fprintf(stderr, "raisond: reindex: %s\n",
                    rsn_ingest_derive_behind(ingest) ? "deriving entries" : "background work");
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    rsn_ingest_destroy(&ingest);
    rsn_store_destroy(&store);
    if (rc < 0) {
        fprintf(stderr, "raisond: reindex failed: %s (run it again)\n", rsn_strerror(rc));
        return rc;
    }
    if (json) {
        printf("{\"entries\": %llu, \"elapsed_ms\": %ld}\n", (unsigned long long)c.leaves, ms);
    } else {
        printf("reindexed %llu entries in %ld ms\n", (unsigned long long)c.leaves, ms);
    }
    return 0;
}

/* raisond verify: the audit of a stopped node's folder, read directly. 0
 * with *INTACT telling whether integrity holds, or the rsn_err that kept the
 * check from running (said on stderr). */
static int verify_offline(const char *data, bool json, bool *intact)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/node.key", data);
    rsn_keypair_t *kp = NULL;
    int rc = rsn_keypair_load(&kp, path, NULL);
    if (rc < 0) {
        fprintf(stderr, "raisond: node key %s: %s\n", path, rsn_strerror(rc));
        return rc;
    }
    uint8_t key[32];
    memcpy(key, rsn_keypair_public(kp), 32);
    rsn_keypair_destroy(&kp);
    rsn_store_t *store = NULL;
    if ((rc = open_stopped(data, &store)) < 0) {
        return rc;
    }
    rsn_arena_t *arena = rsn_arena_new();
    Raison__AuditVerifyReply *r = NULL;
    rc = arena ? rsn_audit_verify_store(store, key, arena, &r) : RSN_ERR_NOMEM;
    /* the persisted anti-entropy digest ('b') against its recomputation */
    bool digest_ok = false;
    if (rc == 0) {
        rc = rsn_digest_check_store(store, &digest_ok);
    }
    rsn_store_destroy(&store);
    if (rc < 0) {
        fprintf(stderr, "raisond: verification could not run: %s\n", rsn_strerror(rc));
        rsn_arena_destroy(&arena);
        return rc;
    }
    if (json) {
        json_t *o = json_pack(
            "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:I,s:b,s:I}", "entries",
            (json_int_t)r->entries, "signatures_ok", (json_int_t)r->signatures_ok, "bad_signatures",
            (json_int_t)r->bad_signatures, "chain_errors", (json_int_t)r->chain_errors,
            "body_mismatches", (json_int_t)r->body_mismatches, "erased", (json_int_t)r->erased,
            "forks", (json_int_t)r->forks, "bad_forks", (json_int_t)r->bad_forks, "rule_violations",
            (json_int_t)r->rule_violations, "log_size", (json_int_t)r->log_size, "log_ok",
            r->log_ok, "checkpoints", (json_int_t)r->checkpoints, "bad_checkpoints",
            (json_int_t)r->bad_checkpoints, "integrity_ok", r->integrity_ok && digest_ok,
            "elapsed_ms", (json_int_t)r->elapsed_ms);
        json_object_set_new(o, "digest_ok", json_boolean(digest_ok));
        json_t *list = json_array();
        for (size_t i = 0; o && list && i < r->n_problems; i++) {
            const Raison__AuditProblem *p = r->problems[i];
            char hex[65];
            json_t *id = p->id.len == 32
                             ? json_string(rsn_hex_encode(hex, sizeof hex, p->id.data, 32))
                             : json_null();
            json_array_append_new(list,
                                  json_pack("{s:s,s:o,s:I,s:s}", "kind", p->kind, "id", id, "index",
                                            (json_int_t)p->index, "reason", p->reason));
        }
        if (o && list) {
            json_object_set_new(o, "problems", list);
            json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            printf("\n");
        }
        json_decref(o);
    } else {
        printf("entries          %llu (%llu signatures verified, %llu bad)\n",
               (unsigned long long)r->entries, (unsigned long long)r->signatures_ok,
               (unsigned long long)r->bad_signatures);
        printf("chains           %llu errors\n", (unsigned long long)r->chain_errors);
        printf("bodies           %llu mismatches, %llu erased\n",
               (unsigned long long)r->body_mismatches, (unsigned long long)r->erased);
        printf("forks            %llu evidences (%llu invalid)\n", (unsigned long long)r->forks,
               (unsigned long long)r->bad_forks);
        printf("semantic rules   %llu entries kept as evidence only\n",
               (unsigned long long)r->rule_violations);
        printf("log              %llu leaves, %s\n", (unsigned long long)r->log_size,
               r->log_ok ? "consistent with its tree" : "INCONSISTENT");
        printf("checkpoints      %llu signed (%llu contradicted)\n",
               (unsigned long long)r->checkpoints, (unsigned long long)r->bad_checkpoints);
        for (size_t i = 0; i < r->n_problems; i++) {
            char hex[65] = "";
            if (r->problems[i]->id.len == 32) {
                rsn_hex_encode(hex, sizeof hex, r->problems[i]->id.data, 32);
            }
            printf("  %-10s %s%s%s\n", r->problems[i]->kind, hex, hex[0] ? ": " : "",
                   r->problems[i]->reason);
        }
        printf("digest           %s\n", digest_ok ? "persisted buckets equal their recomputation"
                                                  : "PERSISTED BUCKETS DIFFER from the heads");
        printf("%s (%llu ms)\n",
               r->integrity_ok && digest_ok ? "integrity holds" : "INTEGRITY BROKEN",
               (unsigned long long)r->elapsed_ms);
    }
    *intact = r->integrity_ok && digest_ok;
    rsn_arena_destroy(&arena);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"data", required_argument, NULL, 'd'},
                                             {"site", required_argument, NULL, 's'},
                                             {"config", required_argument, NULL, 'c'},
                                             {"socket", required_argument, NULL, 'S'},
                                             {"log-level", required_argument, NULL, 'l'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"listen", required_argument, NULL, 'L'},
                                             {"peer", required_argument, NULL, 'p'},
                                             {"new-key", no_argument, NULL, 'N'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'V'},
                                             {"check-config", no_argument, NULL, 'C'},
                                             {"socket-group", required_argument, NULL, 'G'},
                                             {"metrics", required_argument, NULL, 'M'},
                                             {NULL, 0, NULL, 0}};
    options_t o = {0};
    char why[RSN_CONFIG_WHY_MAX] = "";
    int status = 0;
    bool json = false;
    bool do_keygen = false;
    bool do_verify = false;
    bool do_reindex = false;
    bool new_key = false;
    bool check_only = false;
    int first = 1;
    /* everything the node writes (database, keys, socket, exports) is its
     * owner's alone, whatever umask it was started under */
    umask(077);
    if (argc > 1 && strcmp(argv[1], "keygen") == 0) {
        do_keygen = true;
        first = 2;
    } else if (argc > 1 && strcmp(argv[1], "verify") == 0) {
        do_verify = true;
        first = 2;
    } else if (argc > 1 && strcmp(argv[1], "reindex") == 0) {
        do_reindex = true;
        first = 2;
    }
    optind = first;
    int c;
    while ((c = getopt_long(argc, argv, "d:s:c:S:l:L:p:G:M:jNhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': set_string(&o.cfg.data, optarg); break;
        case 's': set_string(&o.cfg.site, optarg); break;
        case 'c': o.config_path = optarg; break;
        case 'S': set_string(&o.cfg.socket, optarg); break;
        case 'l': set_string(&o.cfg.log_level, optarg); break;
        case 'j': json = true; break;
        case 'N': new_key = true; break;
        case 'C': check_only = true; break;
        case 'G': set_string(&o.cfg.socket_group, optarg); break;
        case 'L': set_string(&o.cfg.listen, optarg); break;
        case 'M': set_string(&o.cfg.metrics, optarg); break;
        case 'p':
            if (rsn_config_add_peer(o.cfg.cli_peers, &o.cfg.n_cli_peers, optarg, "--peer", why,
                                    sizeof why) < 0) {
                fprintf(stderr, "raisond: %s\n", why);
                status = 2;
                goto out;
            }
            break;
        case 'h': usage(stdout); goto out;
        case 'V': printf("raisond %s\n", RSN_VERSION); goto out;
        default:
            usage(stderr);
            status = 2;
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "raisond: unexpected argument '%s' (see raisond --help)\n", argv[optind]);
        status = 2;
        goto out;
    }
    if (o.config_path) {
        int line = 0;
        if (rsn_config_load(&o.cfg, o.config_path, &line, why, sizeof why) < 0) {
            fprintf(stderr, "raisond: %s\n", why);
            if (line > 0) {
                fprintf(stderr, "raisond: config file %s: error on line %d\n", o.config_path, line);
            }
            status = 2;
            goto out;
        }
    }
    rsn_log_level level = RSN_LOG_INFO;
    if (o.cfg.log_level && parse_level(o.cfg.log_level, &level) < 0) {
        fprintf(stderr, "raisond: unknown log level '%s' (debug, info, warn, error)\n",
                o.cfg.log_level);
        status = 2;
        goto out;
    }
    rsn_log_setup("raisond", level);
    if (!o.cfg.data) {
        o.cfg.data = default_data_dir();
        if (!o.cfg.data) {
            fprintf(stderr, "raisond: no --data given and neither XDG_DATA_HOME nor HOME is set\n");
            status = 2;
            goto out;
        }
    }
    if (rsn_crypto_init() < 0) {
        fprintf(stderr, "raisond: libsodium failed to start\n");
        status = 1;
        goto out;
    }
    if (check_only) {
        status = rsn_check_config(&o.cfg, o.config_path, o.cfg.data, json);
        goto out;
    }
    /* secrets must never reach a core file */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    if (do_keygen) {
        status = keygen(o.cfg.data, json) < 0 ? 1 : 0;
        goto out;
    }
    if (do_reindex) {
        status = reindex_offline(o.cfg.data, json) < 0 ? 1 : 0;
        goto out;
    }
    if (do_verify) {
        bool intact = false;
        status = verify_offline(o.cfg.data, json, &intact) < 0 ? 2 : intact ? 0 : 1;
        goto out;
    }
    rsn_fed_peer_conf_t peers[2 * RSN_FED_MAX_PEERS];
    size_t n_peers = rsn_config_peers(&o.cfg, peers);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rsn_store_options_t store_options;
    rsn_config_store_options(&o.cfg, &store_options);
    unsigned socket_gid = 0;
    if (o.cfg.socket_group &&
        rsn_check_group(o.cfg.socket_group, &socket_gid, why, sizeof why) < 0) {
        fprintf(stderr, "raisond: %s\n", why);
        status = 2;
        goto out;
    }
    rsn_node_config_t cfg = {.data_dir = o.cfg.data,
                             .socket_path = o.cfg.socket,
                             .site = o.cfg.site,
                             .listen = o.cfg.listen,
                             .peers = peers,
                             .n_peers = n_peers,
                             .new_key = new_key,
                             .store = &store_options,
                             .share_socket = o.cfg.socket_group != NULL,
                             .socket_gid = socket_gid,
                             .metrics = o.cfg.metrics,
                             .metrics_public = o.cfg.metrics_public == 1};
    rsn_node_t *node = NULL;
    int rc = rsn_node_open(&node, &cfg);
    if (rc < 0) {
        fprintf(stderr, "raisond: cannot start: %s\n", rsn_strerror(rc));
        status = rc == RSN_ERR_KEY_HISTORY ? EXIT_KEY_HISTORY : 1;
        goto out;
    }
    /* systemd (Type=notify): the store is open and the sockets are bound;
     * a no-op when not started by systemd (no NOTIFY_SOCKET) */
    (void)sd_notify(0, "READY=1\nSTATUS=serving");
    rc = rsn_node_run(node, &stop_requested, &reload_requested, reload, &o);
    (void)sd_notify(0, "STOPPING=1");
    rsn_node_destroy(&node);
    rsn_info("stopped");
    status = rc < 0 ? 1 : 0;
out:
    rsn_config_clear(&o.cfg);
    return status;
}
