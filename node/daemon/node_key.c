/* node_key.c — one node key, one history: the node key beside its store.
 *
 * At start the node key and the database are judged together (see
 * node_key.h): a database with a history goes with the key that signed it;
 * a key that has signed nothing (DIR/node.key.unused beside it) goes with
 * anything; a key that has signed, beside a database that holds nothing, is
 * the case of a lost store: the node would sign a second, shorter history
 * under the same key and its peers would record a rollback. It is refused
 * unless the operator asks for a new key (--new-key). So is a database older
 * than the largest checkpoint the key signed (DIR/node.key.signed, kept
 * beside the key as the node signs): a copy restored from a backup, whose
 * next checkpoint would be smaller than one its peers witnessed. The data
 * folder that holds the key (made 0700, refused when another user owns it
 * or others may enter it) and the key file itself are made here too. */
#include "daemon/node_key.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "store/keys.h"

#define PATH_SIZE 4096
#define SIGNED_FILE "node.key.signed"
#define SIGNED_TEXT_MAX 128 /* "KEYHEX SIZE\n" */

/* DIR/NAME into OUT; RSN_ERR_INVALID_ARG when too long. */
static int path_in(char out[PATH_SIZE], const char *dir, const char *name)
{
    int n = snprintf(out, PATH_SIZE, "%s/%s", dir, name);
    return n > 0 && n < PATH_SIZE ? 0 : RSN_ERR_INVALID_ARG;
}

/* True when STORE holds at least one key tagged TAG. */
static bool holds_tag(rsn_store_t *store, uint8_t tag)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t len = rsn_key_prefix(prefix, tag, NULL);
    rsn_iter_t *it = rsn_iter_new(store, prefix, len);
    if (!it) {
        return true; /* out of memory: never take a store for empty */
    }
    rsn_iter_first(it);
    bool held = rsn_iter_valid(it);
    rsn_iter_destroy(&it);
    return held;
}

/* True when STORE holds a history: a checkpoint it signed or a log leaf. */
static bool holds_history(rsn_store_t *store)
{
    return holds_tag(store, RSN_TAG_CHECKPOINT) || holds_tag(store, RSN_TAG_LEAF);
}

int rsn_node_key_mark_unused(const char *dir)
{
    char path[PATH_SIZE];
    if (path_in(path, dir, "node.key.unused") < 0) {
        return RSN_ERR_INVALID_ARG;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rsn_error("cannot write %s: %s", path, strerror(errno));
        return RSN_ERR_IO;
    }
    static const char text[] = "this node key has signed no checkpoint yet\n";
    ssize_t n = write(fd, text, sizeof text - 1);
    int rc = n == (ssize_t)(sizeof text - 1) && fsync(fd) == 0 ? 0 : RSN_ERR_IO;
    close(fd);
    if (rc < 0) {
        rsn_error("cannot write %s", path);
    }
    return rc;
}

int rsn_node_make_dir(const char *dir)
{
    char path[4096];
    if (strlen(dir) >= sizeof path) {
        return RSN_ERR_INVALID_ARG;
    }
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                rsn_error("cannot create folder %s: %s", path, strerror(errno));
                return RSN_ERR_IO;
            }
            *p = '/';
        }
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        rsn_error("cannot create folder %s: %s", path, strerror(errno));
        return RSN_ERR_IO;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rsn_error("%s is not a folder", path);
        return RSN_ERR_IO;
    }
    /* it holds the node key and the API socket: as ssh refuses a key file
     * others can read, refuse a folder others can enter or own */
    if (st.st_uid != geteuid()) {
        rsn_error("data folder %s belongs to another user (uid %u, this is uid %u): refusing "
                  "to use it",
                  path, (unsigned)st.st_uid, (unsigned)geteuid());
        return RSN_ERR_PERMISSION;
    }
    if ((st.st_mode & 077) != 0) {
        rsn_error("data folder %s is open to others (mode %04o): refusing to use it; "
                  "run chmod 700 %s",
                  path, (unsigned)(st.st_mode & 07777), path);
        return RSN_ERR_PERMISSION;
    }
    return 0;
}

int rsn_node_key(const char *dir, struct rsn_keypair **out, bool *created)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/node.key", dir);
    *created = false;
    int rc = rsn_keypair_load(out, path, NULL);
    if (rc != RSN_ERR_NOT_FOUND) {
        if (rc < 0) {
            rsn_error("node key %s: %s", path, rsn_strerror(rc));
        }
        return rc;
    }
    rsn_keypair_t *kp = rsn_keypair_generate();
    if (!kp) {
        return RSN_ERR_NOMEM;
    }
    rc = rsn_keypair_save(kp, path, NULL);
    if (rc < 0) {
        rsn_error("cannot write node key %s: %s", path, rsn_strerror(rc));
        rsn_keypair_destroy(&kp);
        return rc;
    }
    if ((rc = rsn_node_key_mark_unused(dir)) < 0) {
        rsn_keypair_destroy(&kp);
        return rc;
    }
    *created = true;
    *out = kp;
    return 0;
}

void rsn_node_key_used(const char *dir)
{
    char path[PATH_SIZE];
    if (path_in(path, dir, "node.key.unused") == 0 && unlink(path) != 0 && errno != ENOENT) {
        rsn_warn("cannot remove %s: %s", path, strerror(errno));
    }
}

/* True when DIR/NAME exists. */
static bool exists_in(const char *dir, const char *name)
{
    char path[PATH_SIZE];
    return path_in(path, dir, name) == 0 && access(path, F_OK) == 0;
}

/* Moves DIR/node.key aside as DIR/node.key.old-<UTC time>, named in OLD. */
static int key_aside(const char *dir, char old[PATH_SIZE])
{
    char from[PATH_SIZE], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "node.key.old-%Y%m%dT%H%M%SZ", &tm);
    if (path_in(from, dir, "node.key") < 0 || path_in(old, dir, stamp) < 0) {
        return RSN_ERR_INVALID_ARG;
    }
    if (access(old, F_OK) == 0) {
        rsn_error("%s already exists: try --new-key again in a second", old);
        return RSN_ERR_EXISTS;
    }
    if (rename(from, old) != 0) {
        rsn_error("cannot move %s aside to %s: %s", from, old, strerror(errno));
        return RSN_ERR_IO;
    }
    return 0;
}

/* The key's hex into HEX (65 bytes). */
static const char *key_hex(char hex[65], const rsn_keypair_t *kp)
{
    return rsn_hex_encode(hex, 65, rsn_keypair_public(kp), RSN_KEY_BYTES);
}

/* The largest tree size the key HEX signed, as DIR/node.key.signed says: 0
 * when the file is absent, unreadable or names another key. */
static uint64_t signed_size(const char *dir, const char hex[65])
{
    char path[PATH_SIZE], text[SIGNED_TEXT_MAX + 1];
    if (path_in(path, dir, SIGNED_FILE) < 0) {
        return 0;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    ssize_t n = read(fd, text, SIGNED_TEXT_MAX);
    close(fd);
    if (n <= 65 || memcmp(text, hex, 64) != 0 || text[64] != ' ') {
        return 0;
    }
    text[n] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long long size = strtoull(text + 65, &end, 10);
    return errno == 0 && end != text + 65 && (*end == '\n' || *end == '\0') ? size : 0;
}

int rsn_node_key_signed(const char *dir, const rsn_keypair_t *kp, uint64_t size)
{
    char path[PATH_SIZE], tmp[PATH_SIZE], hex[65], text[SIGNED_TEXT_MAX];
    key_hex(hex, kp);
    if (path_in(path, dir, SIGNED_FILE) < 0 || path_in(tmp, dir, SIGNED_FILE ".tmp") < 0) {
        return RSN_ERR_INVALID_ARG;
    }
    if (size <= signed_size(dir, hex)) {
        return 0;
    }
    int len = snprintf(text, sizeof text, "%s %" PRIu64 "\n", hex, size);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rsn_error("cannot write %s: %s", tmp, strerror(errno));
        return RSN_ERR_IO;
    }
    /* not synced: it may lag after a power loss (a check that lets more
     * through), never run ahead of the log, whose leaves are durable before
     * they are signed; and the event loop pays no fsync for it */
    bool ok = write(fd, text, (size_t)len) == len;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        rsn_error("cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return RSN_ERR_IO;
    }
    return 0;
}

int rsn_node_key_check_log(const char *dir, const rsn_keypair_t *kp, uint64_t log_size)
{
    char hex[65];
    uint64_t signed_leaves = signed_size(dir, key_hex(hex, kp));
    if (log_size >= signed_leaves) {
        return 0;
    }
    rsn_error("node key %s in %s has signed a checkpoint of %" PRIu64 " entries, but the "
              "database %s/db holds %" PRIu64
              ": it is older than this key's history (restored from "
              "a backup?). Its next checkpoint would show its peers a shorter log (a rollback). "
              "Restore a newer copy, or move %s/db aside (every entry is at the peers) and start "
              "once with --new-key",
              hex, dir, signed_leaves, dir, log_size, dir);
    return RSN_ERR_KEY_HISTORY;
}

/* The refusal, said in full: what happened and what to do. */
static int refuse(const char *dir, const rsn_keypair_t *kp)
{
    char hex[65];
    rsn_error("node key %s in %s has signed checkpoints, but the database %s/db holds no "
              "history: the store was lost. Starting again under this key would show its "
              "peers a shorter log (a rollback). Restore the database, or start once with "
              "--new-key: a new node key is made (this one kept as node.key.old-<time>) and "
              "the peers must be given the new key",
              key_hex(hex, kp), dir, dir);
    return RSN_ERR_KEY_HISTORY;
}

int rsn_node_key_open(const char *dir, rsn_store_t *store, bool new_key, rsn_keypair_t **out,
                      bool *unused)
{
    *out = NULL;
    *unused = false;
    bool history = holds_history(store);
    bool had_key = exists_in(dir, "node.key");
    bool was_unused = exists_in(dir, "node.key.unused");
    char hex[65], old[PATH_SIZE] = "";
    rsn_keypair_t *kp = NULL;
    bool created = false;
    int rc = 0;
    if (new_key && history) {
        rsn_error("--new-key is for a lost store, but %s/db holds this node's history: "
                  "start without --new-key",
                  dir);
        return RSN_ERR_INVALID_ARG;
    }
    if (had_key && !history && (new_key || !was_unused)) {
        if ((rc = rsn_node_key(dir, &kp, &created)) < 0) {
            return rc;
        }
        if (!new_key) {
            rc = refuse(dir, kp);
            goto out;
        }
        key_hex(hex, kp);
        rsn_keypair_destroy(&kp);
        if ((rc = key_aside(dir, old)) < 0) {
            return rc;
        }
    }
    if ((rc = rsn_node_key(dir, &kp, &created)) < 0) {
        return rc;
    }
    if (old[0]) {
        char fresh[65];
        rsn_warn("--new-key: node key %s made; the old key %s is kept as %s. Peers know this "
                 "node by its key: give them the new one (peer = EP=%s)",
                 key_hex(fresh, kp), hex, old, fresh);
    } else {
        rsn_info("node key %s%s", key_hex(hex, kp), created ? " (created)" : "");
    }
    *unused = created || was_unused;
out:
    if (rc < 0) {
        rsn_keypair_destroy(&kp);
        return rc;
    }
    *out = kp;
    return 0;
}
