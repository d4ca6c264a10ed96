/* check_config.c — `raisond --check-config`: what a start would do, without
 * starting.
 *
 * An operator who edits /etc/raison/raisond.conf wants to know before a
 * restart whether the node will come up, and on what: this reads the same
 * configuration main() would (the file, then the command line over it),
 * looks at the paths it names without creating or opening anything (no
 * database open, no key made, no socket bound, no lock taken), and prints one
 * line per thing it would do, then every problem that would stop the start.
 * The checks are the ones the start makes (data folder owned by this user and
 * closed to others, the key file 0600, a socket path a Unix socket can hold,
 * the socket's group one this process belongs to, endpoints ZeroMQ accepts),
 * so a config that passes here fails a start only for what changes between
 * the two (a port taken meanwhile, a disk gone). */
#include "daemon/check_config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/why.h"
#include "crypto/crypto.h"
#include "net/api_server.h"

#define CHECK_LINE_MAX 640 /* one finding, printed */
#define CHECK_MAX 96       /* findings of one check at most */

typedef struct {
    json_t *doing;    /* what the start would do: array of strings */
    json_t *problems; /* what would stop it: array of strings */
} findings_t;

static void add(json_t *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(json_t *list, const char *fmt, ...)
{
    char line[CHECK_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (json_array_size(list) < CHECK_MAX) {
        json_array_append_new(list, json_string(line));
    }
}

int rsn_check_group(const char *name, unsigned *gid, char *why, size_t why_size)
{
    errno = 0;
    struct group *g = getgrnam(name);
    if (g == NULL) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_ARG, "socket_group '%s': no such group",
                       name);
    }
    bool member = getegid() == g->gr_gid;
    gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);
    for (int i = 0; i < n && !member; i++) {
        member = groups[i] == g->gr_gid;
    }
    if (!member && geteuid() != 0) {
        return rsn_why(why, why_size, RSN_ERR_PERMISSION,
                       "socket_group '%s': this process (uid %u) is not in that group, so it "
                       "cannot give the socket to it",
                       name, (unsigned)geteuid());
    }
    *gid = (unsigned)g->gr_gid;
    return 0;
}

/* The data folder: what exists and whether the start would take it. */
static void check_data(findings_t *f, const char *data)
{
    struct stat st;
    if (stat(data, &st) != 0) {
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", data);
        char *slash = strrchr(parent, '/');
        if (slash != NULL && slash != parent) {
            *slash = '\0';
        }
        if (errno == ENOENT && access(slash ? parent : ".", W_OK) == 0) {
            add(f->doing,
                "data folder %s: absent, would be created (mode 0700) with a new "
                "node key and an empty store",
                data);
        } else {
            add(f->problems, "data folder %s: %s, and it cannot be created here", data,
                strerror(errno));
        }
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        add(f->problems, "data folder %s is not a folder", data);
        return;
    }
    if (st.st_uid != geteuid()) {
        add(f->problems, "data folder %s belongs to uid %u, not to this user (uid %u)", data,
            (unsigned)st.st_uid, (unsigned)geteuid());
    }
    if (st.st_mode & 077) {
        add(f->problems, "data folder %s is open to others (mode %04o): chmod 700 %s", data,
            (unsigned)(st.st_mode & 07777), data);
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/node.key", data);
    if (stat(path, &st) != 0) {
        add(f->doing, "node key %s: absent, would be created (mode 0600)", path);
    } else if (st.st_mode & 077) {
        add(f->problems, "node key %s is readable by others (mode %04o): chmod 600 %s", path,
            (unsigned)(st.st_mode & 07777), path);
    } else {
        add(f->doing, "node key %s: present (raisond keygen prints it)", path);
    }
    snprintf(path, sizeof path, "%s/db/CURRENT", data);
    add(f->doing, "store %s/db: %s", data,
        access(path, F_OK) == 0 ? "present, would be opened" : "absent, would be created");
}

/* The API socket: its path, its folder, who may reach it. */
static void check_socket(findings_t *f, const rsn_config_t *cfg, const char *data)
{
    char fallback[PATH_MAX];
    const char *path = cfg->socket;
    if (path == NULL) {
        snprintf(fallback, sizeof fallback, "%s/raison.sock", data);
        path = fallback;
    }
    if (strlen(path) > RSN_IPC_PATH_MAX) {
        add(f->problems, "socket %s: %zu bytes, a Unix socket path holds at most %d", path,
            strlen(path), RSN_IPC_PATH_MAX);
        return;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    struct stat st;
    if (slash != NULL && dir[0] != '\0' && strcmp(dir, data) != 0 && stat(dir, &st) != 0) {
        add(f->problems, "socket %s: its folder %s: %s", path, dir, strerror(errno));
        return;
    }
    if (cfg->socket_group == NULL) {
        add(f->doing, "API: would serve ipc://%s, mode 0600 (this user only)", path);
        return;
    }
    unsigned gid = 0;
    char why[RSN_CONFIG_WHY_MAX];
    if (rsn_check_group(cfg->socket_group, &gid, why, sizeof why) < 0) {
        add(f->problems, "%s", why);
        return;
    }
    add(f->doing, "API: would serve ipc://%s, mode 0660, group %s (gid %u)", path,
        cfg->socket_group, gid);
    if (slash != NULL && strcmp(dir, data) == 0) {
        add(f->problems,
            "socket_group is set but the socket is inside the data folder %s, "
            "which only this user may enter: set socket= elsewhere "
            "(e.g. /run/raison/raison.sock)",
            data);
    }
}

/* An endpoint ZeroMQ would bind or dial: tcp://HOST:PORT or ipc://PATH. */
static bool endpoint_ok(const char *ep)
{
    if (strncmp(ep, "ipc://", 6) == 0) {
        return strlen(ep + 6) > 0 && strlen(ep + 6) <= RSN_IPC_PATH_MAX;
    }
    if (strncmp(ep, "tcp://", 6) != 0) {
        return false;
    }
    const char *colon = strrchr(ep + 6, ':');
    if (colon == NULL || colon == ep + 6) {
        return false;
    }
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    return end != colon + 1 && *end == '\0' &&
           ((port > 0 && port <= 65535) || strcmp(colon + 1, "*") == 0);
}

static void check_federation(findings_t *f, const rsn_config_t *cfg)
{
    if (cfg->listen == NULL) {
        add(f->doing, "federation: not listening (no listen=)");
    } else if (endpoint_ok(cfg->listen)) {
        add(f->doing, "federation: would listen on %s (CURVE; only trusted node keys get in)",
            cfg->listen);
    } else {
        add(f->problems, "listen '%s': not an endpoint (tcp://HOST:PORT or ipc://PATH)",
            cfg->listen);
    }
    rsn_fed_peer_conf_t peers[2 * RSN_FED_MAX_PEERS];
    size_t n = rsn_config_peers(cfg, peers);
    for (size_t i = 0; i < n; i++) {
        char hex[65];
        rsn_hex_encode(hex, sizeof hex, peers[i].key, 32);
        if (peers[i].endpoint[0] == '\0') {
            add(f->doing, "peer %s: trusted, not dialled (it dials us)", hex);
        } else if (endpoint_ok(peers[i].endpoint)) {
            add(f->doing, "peer %s: trusted, would dial %s", hex, peers[i].endpoint);
        } else {
            add(f->problems, "peer %s: endpoint '%s' is not tcp://HOST:PORT or ipc://PATH", hex,
                peers[i].endpoint);
        }
    }
    if (n == 0) {
        add(f->doing, "no peers: a single site (add peer= lines to federate)");
    }
}

static void check_store(findings_t *f, const rsn_config_t *cfg)
{
    rsn_store_options_t o;
    rsn_config_store_options(cfg, &o);
    add(f->doing, "store: block cache %zu bytes, write buffer %zu bytes, %d open files, %s",
        o.block_cache_bytes, o.write_buffer_bytes, o.max_open_files,
        o.compression ? "snappy compression" : "no compression");
}

int rsn_check_config(const rsn_config_t *cfg, const char *config_path, const char *data, bool json)
{
    findings_t f = {json_array(), json_array()};
    int status = 1;
    if (f.doing == NULL || f.problems == NULL) {
        fprintf(stderr, "raisond: out of memory\n");
        goto out;
    }
    if (config_path != NULL) {
        add(f.doing, "config file %s: read", config_path);
    } else {
        add(f.doing, "no config file: the defaults and the command line");
    }
    add(f.doing, "site '%s'", cfg->site ? cfg->site : "");
    check_data(&f, data);
    check_socket(&f, cfg, data);
    check_federation(&f, cfg);
    check_store(&f, cfg);
    size_t n_problems = json_array_size(f.problems);
    if (json) {
        json_t *doc = json_pack("{s:b, s:O, s:O}", "ok", n_problems == 0, "would", f.doing,
                                "problems", f.problems);
        char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
        if (text != NULL) {
            printf("%s\n", text);
        }
        free(text);
        json_decref(doc);
    } else {
        size_t i;
        json_t *v;
        json_array_foreach(f.doing, i, v)
        {
            printf("  %s\n", json_string_value(v));
        }
        json_array_foreach(f.problems, i, v)
        {
            printf("problem: %s\n", json_string_value(v));
        }
        printf("%s\n",
               n_problems == 0 ? "config OK" : "config has problems: the node would not start");
    }
    status = n_problems == 0 ? 0 : 1;
out:
    json_decref(f.doing);
    json_decref(f.problems);
    return status;
}
