/* keystate.c — what the CLI keeps per signing key, and the lock around it.
 *
 * The publish sequence (publish.c) needs three things that belong to the
 * key, not to one file holding it, so that two copies of one identity file
 * on one machine share them:
 *  - the lock: an flock on DIR/lock around the whole sequence; a publish
 *    that finds it held waits at most the run's timeout, then fails with
 *    RSN_ERR_LOCKED and a sentence (a web server reports it, never hangs);
 *  - the pending entry: DIR/pending (0600), the signed entry written before
 *    it is sent and removed only once a node stored it;
 *  - the known head: DIR/head, the last seq a node acknowledged.
 * DIR is $XDG_STATE_HOME/raison/keys/HEX (default ~/.local/state/...), HEX
 * the public key (with neither variable set: .raison-state/keys/HEX beside
 * the identity file): state, not runtime, since a pending entry must outlive
 * a reboot. FILE.pending and FILE.head beside an identity FILE, where older
 * versions kept them, are taken over. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

/* How often a held lock is tried again while waiting for it. */
#define LOCK_POLL_MS 50
/* Largest pending file read back: one signed entry. */
#define PENDING_MAX RSN_SIGNED_ENTRY_MAX

/* Creates PATH (mode 0700) and its parents; 0 or RSN_ERR_IO (said). */
static int make_dirs(rsn_cli_t *cli, const char *path)
{
    char *copy = rsn_arena_strdup(cli->arena, path);
    if (!copy) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    for (char *p = copy + 1;; p++) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
                return cli_fail(cli, RSN_ERR_IO, "cannot create %s: %s", copy, strerror(errno));
            }
            if (end) {
                return 0;
            }
            *p = '/';
        }
    }
}

int cli_keystate_open(rsn_cli_t *cli, const uint8_t key[RSN_KEY_BYTES], cli_keystate_t *ks)
{
    memset(ks, 0, sizeof *ks);
    ks->lock_fd = -1;
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    const char *hex = cli_hex(cli, key, RSN_KEY_BYTES);
    if (state && state[0] == '/') {
        ks->dir = rsn_arena_printf(cli->arena, "%s/raison/keys/%s", state, hex);
    } else if (home && home[0] == '/') {
        ks->dir = rsn_arena_printf(cli->arena, "%s/.local/state/raison/keys/%s", home, hex);
    } else {
        /* no home: beside the identity file, so that it still has a place */
        const char *slash = strrchr(cli->identity_path, '/');
        int dir_len = slash ? (int)(slash - cli->identity_path) : 1;
        const char *dir = slash ? cli->identity_path : ".";
        ks->dir = rsn_arena_printf(cli->arena, "%.*s/.raison-state/keys/%s", dir_len, dir, hex);
    }
    ks->lock = rsn_arena_printf(cli->arena, "%s/lock", ks->dir);
    ks->pending = rsn_arena_printf(cli->arena, "%s/pending", ks->dir);
    ks->head = rsn_arena_printf(cli->arena, "%s/head", ks->dir);
    ks->legacy_pending = rsn_arena_printf(cli->arena, "%s.pending", cli->identity_path);
    ks->legacy_head = rsn_arena_printf(cli->arena, "%s.head", cli->identity_path);
    if (!ks->dir || !ks->lock || !ks->pending || !ks->head || !ks->legacy_pending ||
        !ks->legacy_head) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    return make_dirs(cli, ks->dir);
}

/* Milliseconds of a monotonic clock. */
static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Moves a pending entry left beside the identity by an older raison into
 * the key's folder (when the folder has none). */
static int adopt_legacy_pending(rsn_cli_t *cli, cli_keystate_t *ks)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (access(ks->pending, F_OK) == 0 || access(ks->legacy_pending, F_OK) != 0) {
        return 0;
    }
    int rc = cli_keystate_read_file(cli, ks->legacy_pending, &bytes, &len);
    if (rc == 0 && (rc = cli_keystate_write_pending(cli, ks, bytes, len)) == 0) {
        unlink(ks->legacy_pending);
        cli_say(cli, CLI_MSG_NOTICE, "moved the pending entry %s to %s", ks->legacy_pending,
                ks->pending);
    }
    return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
}

int cli_keystate_lock(rsn_cli_t *cli, cli_keystate_t *ks)
{
    ks->lock_fd = open(ks->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (ks->lock_fd < 0) {
        return cli_fail(cli, RSN_ERR_IO, "cannot open the lock file %s: %s", ks->lock,
                        strerror(errno));
    }
    uint64_t deadline = mono_ms() + (uint64_t)(cli->timeout_ms > 0 ? cli->timeout_ms : 0);
    bool said = false;
    while (flock(ks->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int rc = cli_fail(cli, RSN_ERR_IO, "cannot lock %s: %s", ks->lock, strerror(errno));
            cli_keystate_unlock(ks);
            return rc;
        }
        if (mono_ms() >= deadline) {
            cli_keystate_unlock(ks);
            return cli_fail(cli, RSN_ERR_LOCKED,
                            "another raison is publishing with this key (it holds %s): nothing "
                            "was signed; try again once it is done",
                            ks->lock);
        }
        if (!said && cli_progress_wanted(cli)) {
            cli_say(cli, CLI_MSG_PROGRESS, "waiting for another raison publishing with this key");
            said = true;
        }
        usleep(LOCK_POLL_MS * 1000);
    }
    int rc = adopt_legacy_pending(cli, ks);
    if (rc != 0) {
        cli_keystate_unlock(ks);
    }
    return rc;
}

void cli_keystate_unlock(cli_keystate_t *ks)
{
    if (ks->lock_fd >= 0) {
        close(ks->lock_fd); /* releases the flock */
        ks->lock_fd = -1;
    }
}

int cli_keystate_read_file(rsn_cli_t *cli, const char *path, uint8_t **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return RSN_ERR_NOT_FOUND;
        }
        return cli_fail(cli, RSN_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    }
    uint8_t *buf = rsn_arena_alloc(cli->arena, PENDING_MAX + 1);
    size_t got = 0;
    int rc = buf ? 0 : RSN_ERR_NOMEM;
    while (rc == 0) {
        ssize_t n = read(fd, buf + got, PENDING_MAX + 1 - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = RSN_ERR_IO;
        } else if (n == 0) {
            break;
        } else if ((got += (size_t)n) > PENDING_MAX) {
            rc = RSN_ERR_TOO_LARGE;
        }
    }
    close(fd);
    if (rc != 0) {
        return cli_fail(cli, rc, "cannot read %s: %s", path, rsn_strerror(rc));
    }
    *out = buf;
    *len = got;
    return 0;
}

int cli_keystate_read_pending(rsn_cli_t *cli, const cli_keystate_t *ks, uint8_t **out, size_t *len)
{
    return cli_keystate_read_file(cli, ks->pending, out, len);
}

/* Writes LEN BYTES to PATH.tmp, syncs it and renames it over PATH: PATH
 * holds the old bytes or the new ones, never a part. */
static int write_atomic(rsn_cli_t *cli, const char *path, const uint8_t *bytes, size_t len)
{
    const char *tmp = rsn_arena_printf(cli->arena, "%s.tmp", path);
    if (!tmp) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return cli_fail(cli, RSN_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    }
    size_t done = 0;
    bool ok = true;
    while (ok && done < len) {
        ssize_t n = write(fd, bytes + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        done += ok ? (size_t)n : 0;
    }
    ok = ok && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int rc = cli_fail(cli, RSN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return rc;
    }
    return 0;
}

int cli_keystate_write_pending(rsn_cli_t *cli, const cli_keystate_t *ks, const uint8_t *bytes,
                               size_t len)
{
    return write_atomic(cli, ks->pending, bytes, len);
}

void cli_keystate_clear_pending(const cli_keystate_t *ks)
{
    unlink(ks->pending);
}

/* The seq in the head file PATH; 0 when there is none. */
static uint64_t read_head_file(rsn_cli_t *cli, const char *path)
{
    char text[32] = "";
    uint64_t seq = 0;
    FILE *f = fopen(path, "re");
    if (!f) {
        return 0;
    }
    bool ok = fgets(text, sizeof text, f) != NULL;
    fclose(f);
    text[strcspn(text, "\n")] = '\0';
    (void)cli;
    return ok && cli_parse_uint(text, UINT64_MAX, &seq) ? seq : 0;
}

uint64_t cli_keystate_known_head(rsn_cli_t *cli, const cli_keystate_t *ks)
{
    uint64_t seq = read_head_file(cli, ks->head);
    uint64_t legacy = read_head_file(cli, ks->legacy_head);
    return seq > legacy ? seq : legacy;
}

void cli_keystate_save_head(rsn_cli_t *cli, const cli_keystate_t *ks, uint64_t seq)
{
    char text[32];
    if (seq <= cli_keystate_known_head(cli, ks)) {
        return;
    }
    int n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)seq);
    if (n > 0 && write_atomic(cli, ks->head, (const uint8_t *)text, (size_t)n) != 0) {
        cli_say(cli, CLI_MSG_NOTICE, "could not record seq %llu as published in %s",
                (unsigned long long)seq, ks->head);
    }
}
