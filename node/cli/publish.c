/* publish.c — the signing sequence: how one entry is added to the user's
 * own feed without ever forking it.
 *
 * Every write command ends here (write.c). The CLI must never fork the
 * user's feed, and a retry must resend the very bytes it signed:
 *  - the whole head / sign / publish sequence runs under an exclusive flock
 *    on FILE.lock beside the identity FILE, so two `raison` processes of one
 *    user never sign two entries for one seq;
 *  - the signed entry is written to FILE.pending (0600) before it is sent
 *    and removed once the node acknowledges it (or refuses it); a timeout is
 *    retried with the same bytes, 3 times;
 *  - the next publish settles a pending entry first: stored already (the
 *    node's head is at or past it) → forgotten; the node is one entry behind
 *    → resent; anything else → refuse to go on, rather than fork;
 *  - the last acknowledged seq is kept in FILE.head: a node whose head is
 *    behind it (another node, not caught up yet) is refused, since signing
 *    on its head would fork the feed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

/* How many times a timed-out publish is resent before giving up. */
#define PUBLISH_RETRIES 3
/* Largest pending file read back: one signed entry. */
#define PENDING_MAX RSN_SIGNED_ENTRY_MAX

typedef struct {
    uint64_t seq;
    uint8_t id[RSN_ID_BYTES];
} head_t;

/* --- the lock ---------------------------------------------------------------- */

/* Takes the exclusive lock of the identity's feed. 0 and *FD. */
static int take_lock(rsn_cli_t *cli, int *fd)
{
    const char *path = rsn_arena_printf(cli->arena, "%s.lock", cli->identity_path);
    if (!path) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) {
        return cli_fail(cli, RSN_ERR_IO, "cannot open lock file %s: %s", path, strerror(errno));
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0) {
        return 0;
    }
    if (cli_progress_wanted(cli)) {
        cli_say(cli, CLI_MSG_PROGRESS, "waiting for another raison publishing with this identity");
    }
    while (flock(*fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int rc = cli_fail(cli, RSN_ERR_IO, "cannot lock %s: %s", path, strerror(errno));
            close(*fd);
            *fd = -1;
            return rc;
        }
    }
    return 0;
}

/* --- the node's head ------------------------------------------------------------ */

/* The node's head of AUTHOR's feed. Refuses a frozen feed. */
static int fetch_head(rsn_cli_t *cli, const uint8_t author[RSN_KEY_BYTES], head_t *head)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__HeadRequest h = RAISON__HEAD_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    h.author.data = (uint8_t *)author;
    h.author.len = RSN_KEY_BYTES;
    req.call_case = RAISON__API_REQUEST__CALL_HEAD;
    req.head = &h;
    int rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_HEAD, &reply);
    if (rc != 0) {
        return rc;
    }
    const Raison__HeadReply *hr = reply->head;
    memset(head, 0, sizeof *head);
    if (!hr) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an empty head");
    } else if (hr->frozen) {
        rc = cli_fail(cli, RSN_ERR_FEED_FROZEN,
                      "your feed is frozen: two different entries were signed for seq %llu "
                      "(a fork), so no node accepts new entries from this identity",
                      (unsigned long long)hr->fork_seq);
    } else if (hr->seq > 0 && hr->id.len != RSN_ID_BYTES) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent a head without an id");
    } else {
        head->seq = hr->seq;
        if (hr->seq > 0) {
            memcpy(head->id, hr->id.data, RSN_ID_BYTES);
        }
    }
    rsn_reply_free(reply);
    return rc;
}

/* FILE.head: the seq of the last entry a node acknowledged to this client. */
static const char *known_head_path(rsn_cli_t *cli)
{
    return rsn_arena_printf(cli->arena, "%s.head", cli->identity_path);
}

/* Refuses a node whose head is behind the last seq acknowledged to us. */
static int check_known_head(rsn_cli_t *cli, const head_t *head)
{
    const char *path = known_head_path(cli);
    char text[32] = "";
    uint64_t known = 0;
    FILE *f = path ? fopen(path, "re") : NULL;
    if (!f) {
        return 0; /* nothing published from here yet */
    }
    bool ok = fgets(text, sizeof text, f) != NULL;
    fclose(f);
    text[strcspn(text, "\n")] = '\0';
    if (!ok || !cli_parse_uint(text, UINT64_MAX, &known) || head->seq >= known) {
        return 0;
    }
    return cli_fail(cli, RSN_ERR_BAD_SEQ,
                    "the node at %s holds your feed up to seq %llu, but seq %llu was already "
                    "published (through another node?): publishing now would fork your feed; "
                    "wait until this node has caught up (if that feed is truly lost, remove %s)",
                    cli->socket_path, (unsigned long long)head->seq, (unsigned long long)known,
                    path);
}

/* Records SEQ as acknowledged (best effort: a failure only loses a guard). */
static void save_known_head(rsn_cli_t *cli, uint64_t seq)
{
    const char *path = known_head_path(cli);
    const char *tmp = rsn_arena_printf(cli->arena, "%s.head.tmp", cli->identity_path);
    char text[32];
    int n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)seq);
    if (!path || !tmp || n <= 0) {
        return;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return;
    }
    bool ok = write(fd, text, (size_t)n) == n;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
    }
}

/* --- sending ----------------------------------------------------------------------- */

/* Sends SE, resending the same bytes on a timeout. 0 and *REPLY (which may
 * be the node's error), RSN_ERR_TIMEOUT or RSN_ERR_UNAVAILABLE (said). */
static int send_signed(rsn_cli_t *cli, Raison__SignedEntry *se, Raison__ApiReply **reply)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PublishRequest p = RAISON__PUBLISH_REQUEST__INIT;
    rsn_client_t *client = NULL;
    int rc = cli_client(cli, &client);
    if (rc != 0) {
        return rc;
    }
    p.entry = se;
    req.call_case = RAISON__API_REQUEST__CALL_PUBLISH;
    req.publish = &p;
    for (int attempt = 0;; attempt++) {
        rc = rsn_client_call(client, &req, reply);
        if (rc != RSN_ERR_TIMEOUT || attempt == PUBLISH_RETRIES) {
            break;
        }
        cli_say(cli, CLI_MSG_PROGRESS, "no answer from the node within %d ms, resending (%d/%d)",
                cli->timeout_ms, attempt + 1, PUBLISH_RETRIES);
    }
    if (rc == RSN_ERR_TIMEOUT) {
        return cli_fail(cli, rc, "the node at %s did not acknowledge the entry after %d attempts",
                        cli->socket_path, PUBLISH_RETRIES + 1);
    }
    if (rc == RSN_ERR_UNAVAILABLE) {
        return cli_fail(cli, rc, "no node is listening on %s (is raisond running?)",
                        cli->socket_path);
    }
    if (rc != 0) {
        return cli_fail(cli, rc, "talking to the node failed: %s", rsn_strerror(rc));
    }
    return 0;
}

/* --- the pending file --------------------------------------------------------------- */

/* Writes the signed entry BYTES to PATH (0600), durably. */
static int write_pending(rsn_cli_t *cli, const char *path, const uint8_t *bytes, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return cli_fail(cli, RSN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
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
    if (!ok) {
        int rc = cli_fail(cli, RSN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return rc;
    }
    return 0;
}

/* Reads PATH (at most PENDING_MAX bytes) into the arena. RSN_ERR_NOT_FOUND
 * (not said) when there is no such file. */
static int read_pending(rsn_cli_t *cli, const char *path, uint8_t **out, size_t *len)
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

/* What the node said to a resent pending entry SE of seq SEQ: stored (HEAD
 * moves on), busy (try later), or refused (the entry is discarded). */
static int settle_reply(rsn_cli_t *cli, const char *pending, const Raison__SignedEntry *se,
                        uint64_t seq, const Raison__ApiReply *reply, head_t *head)
{
    if (reply->result_case == RAISON__API_REPLY__RESULT_PUBLISH) {
        cli_say(cli, CLI_MSG_NOTICE, "resent an unacknowledged entry (seq %llu)",
                (unsigned long long)seq);
        unlink(pending);
        head->seq = seq;
        rsn_entry_id(head->id, se->entry.data, se->entry.len);
        return 0;
    }
    if (reply->result_case != RAISON__API_REPLY__RESULT_ERROR) {
        return cli_fail(cli, RSN_ERR_BAD_REQUEST, "unexpected reply from the node to a publish");
    }
    if (reply->error && reply->error->code == RAISON__ERROR_CODE__ERROR_BUSY) {
        return cli_node_error(cli, reply);
    }
    cli_say(cli, CLI_MSG_NOTICE, "an unacknowledged entry (seq %llu) was refused: %s; discarded",
            (unsigned long long)seq,
            reply->error && reply->error->message ? reply->error->message : "");
    unlink(pending);
    return 0;
}

/* Settles an unacknowledged entry left in PENDING by an earlier run, given
 * the node's HEAD (updated when the entry is resent and stored). */
static int settle_pending(rsn_cli_t *cli, const char *pending, const uint8_t author[RSN_KEY_BYTES],
                          head_t *head)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    Raison__SignedEntry *se = NULL;
    Raison__Entry *e = NULL;
    Raison__ApiReply *reply = NULL;
    int rc = read_pending(cli, pending, &bytes, &len);
    if (rc == RSN_ERR_NOT_FOUND) {
        return 0;
    }
    if (rc != 0) {
        return rc;
    }
    if (rsn_signed_entry_decode(cli->arena, bytes, len, &se) != 0 ||
        rsn_entry_decode(cli->arena, se->entry.data, se->entry.len, &e, NULL, 0) != 0 ||
        !rsn_equal(e->author.data, author, RSN_KEY_BYTES)) {
        cli_say(cli, CLI_MSG_NOTICE, "%s does not hold an entry of this identity: removed",
                pending);
        unlink(pending);
        return 0;
    }
    if (head->seq >= e->seq) {
        /* stored after all (or superseded): nothing to resend */
        unlink(pending);
        return 0;
    }
    if (head->seq + 1 != e->seq) {
        return cli_fail(cli, RSN_ERR_BAD_SEQ,
                        "the node holds your feed up to seq %llu, but an unacknowledged entry of "
                        "seq %llu waits in %s: let the node catch up (or use the node it was "
                        "sent to) before publishing, so that your feed does not fork",
                        (unsigned long long)head->seq, (unsigned long long)e->seq, pending);
    }
    if ((rc = send_signed(cli, se, &reply)) != 0) {
        return rc;
    }
    rc = settle_reply(cli, pending, se, e->seq, reply, head);
    rsn_reply_free(reply);
    return rc;
}

/* --- signing ------------------------------------------------------------------------ */

/* The next entry of the feed after HEAD, of KIND, for BODY (packed), signed
 * by KP into *SE (arena memory) and packed into *BYTES / *LEN. */
static int sign_next(rsn_cli_t *cli, const rsn_keypair_t *kp, const head_t *head, Raison__Kind kind,
                     const uint8_t *body, size_t body_len, Raison__SignedEntry *se, uint8_t **bytes,
                     size_t *len)
{
    uint8_t *hash = rsn_arena_alloc(cli->arena, RSN_HASH_BYTES);
    uint8_t *sig = rsn_arena_alloc(cli->arena, RSN_SIG_BYTES);
    uint8_t *prev = rsn_arena_memdup(cli->arena, head->id, RSN_ID_BYTES);
    uint8_t *entry_bytes = NULL;
    size_t entry_len = 0;
    int rc = 0;
    if (!hash || !sig || !prev) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    Raison__Entry e = RAISON__ENTRY__INIT;
    rsn_sha256(hash, body, body_len);
    e.author.data = (uint8_t *)rsn_keypair_public(kp);
    e.author.len = RSN_KEY_BYTES;
    e.seq = head->seq + 1;
    e.prev.data = prev;
    e.prev.len = head->seq > 0 ? RSN_ID_BYTES : 0;
    e.timestamp = cli_now_ms();
    e.kind = kind;
    e.body_hash.data = hash;
    e.body_hash.len = RSN_HASH_BYTES;
    e.body_size = (uint32_t)body_len;
    if ((rc = rsn_pack(cli->arena, &e.base, &entry_bytes, &entry_len)) != 0) {
        return cli_fail(cli, rc, "out of memory");
    }
    if ((rc = rsn_keypair_sign_entry(kp, entry_bytes, entry_len, sig)) != 0) {
        return cli_fail(cli, rc, "cannot sign the entry: %s", rsn_strerror(rc));
    }
    raison__signed_entry__init(se);
    se->entry.data = entry_bytes;
    se->entry.len = entry_len;
    se->signature.data = sig;
    se->signature.len = RSN_SIG_BYTES;
    se->body.data = (uint8_t *)body;
    se->body.len = body_len;
    if ((rc = rsn_pack(cli->arena, &se->base, bytes, len)) != 0) {
        return cli_fail(cli, rc, "out of memory");
    }
    return 0;
}

/* Sends the signed SE kept in PENDING and reads the node's answer. */
static int send_new(rsn_cli_t *cli, const char *pending, Raison__SignedEntry *se)
{
    Raison__ApiReply *reply = NULL;
    int rc = send_signed(cli, se, &reply);
    if (rc != 0) {
        cli_say(cli, CLI_MSG_NOTICE,
                "the signed entry is kept in %s and will be resent first by the next publish",
                pending);
        return rc;
    }
    if (reply->result_case == RAISON__API_REPLY__RESULT_ERROR) {
        /* refused: nothing was stored, the signed bytes must not linger */
        unlink(pending);
        rc = cli_node_error(cli, reply);
    } else if (reply->result_case != RAISON__API_REPLY__RESULT_PUBLISH) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "unexpected reply from the node to a publish");
    } else {
        unlink(pending);
    }
    rsn_reply_free(reply);
    return rc;
}

int cli_publish(rsn_cli_t *cli, Raison__Kind kind, const ProtobufCMessage *body,
                uint8_t id[RSN_ID_BYTES])
{
    const rsn_keypair_t *kp = NULL;
    rsn_client_t *client = NULL;
    Raison__SignedEntry se;
    head_t head;
    int lock = -1;
    int rc = 0;
    uint8_t *body_bytes = NULL, *signed_bytes = NULL;
    size_t body_len = 0, signed_len = 0;

    if ((rc = cli_keypair(cli, &kp)) != 0 || (rc = cli_client(cli, &client)) != 0) {
        return rc;
    }
    const uint8_t *author = rsn_keypair_public(kp);
    const char *pending = rsn_arena_printf(cli->arena, "%s.pending", cli->identity_path);
    if (!pending || rsn_pack(cli->arena, body, &body_bytes, &body_len) != 0) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    if (body_len > RSN_BODY_MAX) {
        return cli_fail(cli, RSN_ERR_TOO_LARGE, "the %s is too large: %zu bytes, at most %d",
                        rsn_kind_name(kind), body_len, RSN_BODY_MAX);
    }
    if ((rc = take_lock(cli, &lock)) != 0) {
        return rc;
    }
    if ((rc = fetch_head(cli, author, &head)) != 0 ||
        (rc = settle_pending(cli, pending, author, &head)) != 0 ||
        (rc = check_known_head(cli, &head)) != 0 ||
        (rc = sign_next(cli, kp, &head, kind, body_bytes, body_len, &se, &signed_bytes,
                        &signed_len)) != 0 ||
        (rc = write_pending(cli, pending, signed_bytes, signed_len)) != 0 ||
        (rc = send_new(cli, pending, &se)) != 0) {
        goto out;
    }
    rsn_entry_id(id, se.entry.data, se.entry.len);
    save_known_head(cli, head.seq + 1);
out:
    close(lock); /* releases the flock */
    return rc;
}
