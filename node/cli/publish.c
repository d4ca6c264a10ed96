/* cli_publish.c — the commands that write: the publish sequence, profile,
 * charters, memberships, posts, replies and retractions.
 *
 * Every write appends one signed entry to the user's own feed. The CLI must
 * never fork that feed, and a retry must resend the very bytes it signed:
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
/* Largest pending file read back: an entry, a body, framing. */
#define PENDING_MAX (RSN_ENTRY_MAX + RSN_BODY_MAX + 256)

/* --- the publish sequence ------------------------------------------------- */

typedef struct {
    uint64_t seq;
    uint8_t id[RSN_ID_BYTES];
} head_t;

/* Takes the exclusive lock of the identity's feed. 0 and *FD. */
static int take_lock(rsn_cli_t *cli, int *fd)
{
    const char *path = rsn_arena_printf(cli->arena, "%s.lock", cli->identity_path);
    if (!path) {
        cli_fail("out of memory");
        return RSN_ERR_NOMEM;
    }
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) {
        cli_fail("cannot open lock file %s: %s", path, strerror(errno));
        return RSN_ERR_IO;
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0) {
        return 0;
    }
    if (isatty(STDERR_FILENO)) {
        fprintf(stderr, "raison: waiting for another raison publishing with this identity\n");
    }
    while (flock(*fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            cli_fail("cannot lock %s: %s", path, strerror(errno));
            close(*fd);
            *fd = -1;
            return RSN_ERR_IO;
        }
    }
    return 0;
}

/* The node's head of AUTHOR's feed. Refuses a frozen feed. */
static int fetch_head(rsn_cli_t *cli, const uint8_t author[32], head_t *head)
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
        rc = cli_fail("the node sent an empty head");
    } else if (hr->frozen) {
        cli_fail("your feed is frozen: two different entries were signed for seq %llu "
                 "(a fork), so no node accepts new entries from this identity",
                 (unsigned long long)hr->fork_seq);
        rc = RSN_ERR_FEED_FROZEN;
    } else if (hr->seq > 0 && hr->id.len != RSN_ID_BYTES) {
        rc = cli_fail("the node sent a head without an id");
    } else {
        head->seq = hr->seq;
        if (hr->seq > 0) {
            memcpy(head->id, hr->id.data, RSN_ID_BYTES);
        }
    }
    raison__api_reply__free_unpacked(reply, NULL);
    return rc;
}

/* Sends SE, resending the same bytes on a timeout. 0 and *REPLY (which may
 * be the node's error), RSN_ERR_TIMEOUT or RSN_ERR_UNAVAILABLE (printed). */
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
        fprintf(stderr, "raison: no answer from the node within %d ms, resending (%d/%d)\n",
                cli->timeout_ms, attempt + 1, PUBLISH_RETRIES);
    }
    if (rc == RSN_ERR_TIMEOUT) {
        cli_fail("the node at %s did not acknowledge the entry after %d attempts", cli->socket_path,
                 PUBLISH_RETRIES + 1);
    } else if (rc == RSN_ERR_UNAVAILABLE) {
        cli_fail("no node is listening on %s (is raisond running?)", cli->socket_path);
    } else if (rc != 0) {
        cli_fail("talking to the node failed: %s", rsn_strerror(rc));
    }
    return rc;
}

/* Writes the signed entry BYTES to PATH (0600), durably. */
static int write_pending(const char *path, const uint8_t *bytes, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        cli_fail("cannot write %s: %s", path, strerror(errno));
        return RSN_ERR_IO;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, bytes + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            cli_fail("cannot write %s: %s", path, strerror(errno));
            close(fd);
            unlink(path);
            return RSN_ERR_IO;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        cli_fail("cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return RSN_ERR_IO;
    }
    return 0;
}

/* Reads PATH (at most PENDING_MAX bytes) into the arena. RSN_ERR_NOT_FOUND
 * when there is no such file. */
static int read_pending(rsn_cli_t *cli, const char *path, uint8_t **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return RSN_ERR_NOT_FOUND;
        }
        cli_fail("cannot read %s: %s", path, strerror(errno));
        return RSN_ERR_IO;
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
        cli_fail("cannot read %s: %s", path, rsn_strerror(rc));
        return rc;
    }
    *out = buf;
    *len = got;
    return 0;
}

/* Settles an unacknowledged entry left in PENDING by an earlier run, given
 * the node's HEAD (updated when the entry is resent and stored). */
static int settle_pending(rsn_cli_t *cli, const char *pending, const uint8_t author[32],
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
    ProtobufCAllocator a = rsn_arena_allocator(cli->arena);
    se = raison__signed_entry__unpack(&a, len, bytes);
    if (!se || rsn_entry_decode(cli->arena, se->entry.data, se->entry.len, &e, NULL, 0) != 0 ||
        !rsn_equal(e->author.data, author, RSN_KEY_BYTES)) {
        fprintf(stderr, "raison: %s does not hold an entry of this identity: removed\n", pending);
        unlink(pending);
        return 0;
    }
    if (head->seq >= e->seq) {
        /* stored after all (or superseded): nothing to resend */
        unlink(pending);
        return 0;
    }
    if (head->seq + 1 != e->seq) {
        cli_fail("the node holds your feed up to seq %llu, but an unacknowledged entry of "
                 "seq %llu waits in %s: let the node catch up (or use the node it was sent "
                 "to) before publishing, so that your feed does not fork",
                 (unsigned long long)head->seq, (unsigned long long)e->seq, pending);
        return RSN_ERR_BAD_SEQ;
    }
    if ((rc = send_signed(cli, se, &reply)) != 0) {
        return rc;
    }
    if (reply->result_case == RAISON__API_REPLY__RESULT_PUBLISH) {
        fprintf(stderr, "raison: resent an unacknowledged entry (seq %llu)\n",
                (unsigned long long)e->seq);
        unlink(pending);
        head->seq = e->seq;
        rsn_entry_id(head->id, se->entry.data, se->entry.len);
    } else if (reply->result_case == RAISON__API_REPLY__RESULT_ERROR && reply->error &&
               reply->error->code == RAISON__ERROR_CODE__ERROR_BUSY) {
        rc = cli_node_error(reply);
    } else if (reply->result_case == RAISON__API_REPLY__RESULT_ERROR) {
        fprintf(stderr,
                "raison: an unacknowledged entry (seq %llu) was refused: %s; "
                "discarded\n",
                (unsigned long long)e->seq,
                reply->error && reply->error->message ? reply->error->message : "");
        unlink(pending);
    } else {
        rc = cli_fail("unexpected reply from the node to a publish");
    }
    raison__api_reply__free_unpacked(reply, NULL);
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
    cli_fail("the node at %s holds your feed up to seq %llu, but seq %llu was already "
             "published (through another node?): publishing now would fork your feed; "
             "wait until this node has caught up (if that feed is truly lost, remove %s)",
             cli->socket_path, (unsigned long long)head->seq, (unsigned long long)known, path);
    return RSN_ERR_BAD_SEQ;
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

int cli_publish(rsn_cli_t *cli, Raison__Kind kind, const ProtobufCMessage *body, uint8_t id[32])
{
    const rsn_keypair_t *kp = NULL;
    rsn_client_t *client = NULL;
    Raison__ApiReply *reply = NULL;
    head_t head;
    int lock = -1;
    int rc = 0;
    uint8_t *body_bytes = NULL, *entry_bytes = NULL, *signed_bytes = NULL;
    size_t body_len = 0, entry_len = 0, signed_len = 0;
    uint8_t body_hash[RSN_HASH_BYTES], sig[RSN_SIG_BYTES];

    if ((rc = cli_keypair(cli, &kp)) != 0 || (rc = cli_client(cli, &client)) != 0) {
        return rc;
    }
    const uint8_t *author = rsn_keypair_public(kp);
    const char *pending = rsn_arena_printf(cli->arena, "%s.pending", cli->identity_path);
    if (!pending || rsn_pack(cli->arena, body, &body_bytes, &body_len) != 0) {
        cli_fail("out of memory");
        return RSN_ERR_NOMEM;
    }
    if (body_len > RSN_BODY_MAX) {
        cli_fail("the %s is too large: %zu bytes, at most %d", rsn_kind_name(kind), body_len,
                 RSN_BODY_MAX);
        return RSN_ERR_TOO_LARGE;
    }
    if ((rc = take_lock(cli, &lock)) != 0) {
        return rc;
    }
    if ((rc = fetch_head(cli, author, &head)) != 0 ||
        (rc = settle_pending(cli, pending, author, &head)) != 0 ||
        (rc = check_known_head(cli, &head)) != 0) {
        goto out;
    }

    Raison__Entry e = RAISON__ENTRY__INIT;
    rsn_sha256(body_hash, body_bytes, body_len);
    e.author.data = (uint8_t *)author;
    e.author.len = RSN_KEY_BYTES;
    e.seq = head.seq + 1;
    e.prev.data = head.id;
    e.prev.len = head.seq > 0 ? RSN_ID_BYTES : 0;
    e.timestamp = cli_now_ms();
    e.kind = kind;
    e.body_hash.data = body_hash;
    e.body_hash.len = RSN_HASH_BYTES;
    e.body_size = (uint32_t)body_len;
    if ((rc = rsn_pack(cli->arena, &e.base, &entry_bytes, &entry_len)) != 0) {
        cli_fail("out of memory");
        goto out;
    }
    if ((rc = rsn_keypair_sign_entry(kp, entry_bytes, entry_len, sig)) != 0) {
        cli_fail("cannot sign the entry: %s", rsn_strerror(rc));
        goto out;
    }
    Raison__SignedEntry se = RAISON__SIGNED_ENTRY__INIT;
    se.entry.data = entry_bytes;
    se.entry.len = entry_len;
    se.signature.data = sig;
    se.signature.len = RSN_SIG_BYTES;
    se.body.data = body_bytes;
    se.body.len = body_len;
    if ((rc = rsn_pack(cli->arena, &se.base, &signed_bytes, &signed_len)) != 0) {
        cli_fail("out of memory");
        goto out;
    }
    if ((rc = write_pending(pending, signed_bytes, signed_len)) != 0) {
        goto out;
    }
    if ((rc = send_signed(cli, &se, &reply)) != 0) {
        fprintf(stderr,
                "raison: the signed entry is kept in %s and will be resent first "
                "by the next publish\n",
                pending);
        goto out;
    }
    if (reply->result_case == RAISON__API_REPLY__RESULT_ERROR) {
        /* refused: nothing was stored, the signed bytes must not linger */
        unlink(pending);
        rc = cli_node_error(reply);
        goto out;
    }
    if (reply->result_case != RAISON__API_REPLY__RESULT_PUBLISH) {
        rc = cli_fail("unexpected reply from the node to a publish");
        goto out;
    }
    unlink(pending);
    rsn_entry_id(id, entry_bytes, entry_len);
    save_known_head(cli, e.seq);
out:
    if (reply) {
        raison__api_reply__free_unpacked(reply, NULL);
    }
    if (lock >= 0) {
        close(lock); /* releases the flock */
    }
    return rc;
}

/* --- shared by the commands ---------------------------------------------- */

/* Prints the id of a new entry: hex, or {"id": hex}. */
static int print_id(rsn_cli_t *cli, const uint8_t id[32])
{
    if (cli->json) {
        return cli_json_print(json_pack("{s:o}", "id", cli_json_hex(id, 32)), false);
    }
    printf("%s\n", cli_hex(cli, id, 32));
    return CLI_EXIT_OK;
}

/* Joins ARGV[FROM..] with spaces in the arena: the TEXT of a post. */
static char *join_words(rsn_cli_t *cli, int argc, char **argv, int from)
{
    size_t n = 1;
    for (int i = from; i < argc; i++) {
        n += strlen(argv[i]) + 1;
    }
    char *out = rsn_arena_alloc(cli->arena, n);
    if (!out) {
        return NULL;
    }
    for (int i = from; i < argc; i++) {
        if (i > from) {
            strcat(out, " ");
        }
        strcat(out, argv[i]);
    }
    return out;
}

/* Parses a command with only the common options (and --yes when YES is not
 * NULL); checks it has exactly NARGS operands. -1 to go on, or the exit
 * status to return. */
static int simple_args(rsn_cli_t *cli, int argc, char **argv, int nargs, bool *yes)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"yes", no_argument, NULL, 'y'}, {NULL, 0, NULL, 0}};
    static const struct option plain[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_option(cli, argc, argv, yes ? opts : plain)) != -1) {
        if (c == CLI_OPT_STOP) {
            return cli->status;
        }
        if (c == 'y' && yes) {
            *yes = true;
            continue;
        }
        return cli_usage_error(cli, "unexpected option");
    }
    if (argc - optind < nargs) {
        return cli_usage_error(cli, "missing argument");
    }
    if (argc - optind > nargs) {
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + nargs]);
    }
    return -1;
}

/* --- profile ---------------------------------------------------------------- */

int cli_cmd_profile(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_COMMON_OPTIONS,
                                         {"name", required_argument, NULL, 'n'},
                                         {"site", required_argument, NULL, 's'},
                                         {"role", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    Raison__Profile p = RAISON__PROFILE__INIT;
    uint8_t id[32];
    int c;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        switch (c) {
        case 'n': p.name = optarg; break;
        case 's': p.site = optarg; break;
        case 'r': p.role = optarg; break;
        case CLI_OPT_STOP: return cli->status;
        default: return cli_usage_error(cli, "unexpected option");
        }
    }
    if (optind < argc) {
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    }
    if (!p.name[0] || !p.site[0]) {
        return cli_usage_error(cli, "--name and --site are required");
    }
    if (cli_publish(cli, RAISON__KIND__KIND_PROFILE, &p.base, id) != 0) {
        return CLI_EXIT_FAIL;
    }
    return print_id(cli, id);
}

/* --- charters -------------------------------------------------------------- */

/* The options of `charter new` and `charter amend`; NULL / 0: not given. */
typedef struct {
    const char *name, *purpose, *use, *readers;
    bool has_retention;
    uint32_t retention_days;
    int access; /* 0: not given */
    Raison__Mission **missions;
    size_t n_missions;
    char **benefits;
    size_t n_benefits;
    ProtobufCBinaryData *owners;
    size_t n_owners;
} charter_opts_t;

/* Adds KEY to the owners unless it is there already. */
static void add_owner(charter_opts_t *o, uint8_t *key)
{
    for (size_t i = 0; i < o->n_owners; i++) {
        if (memcmp(o->owners[i].data, key, RSN_KEY_BYTES) == 0) {
            return;
        }
    }
    o->owners[o->n_owners].data = key;
    o->owners[o->n_owners].len = RSN_KEY_BYTES;
    o->n_owners++;
}

/* Parses the charter options. -1 to go on, or the exit status to return. */
static int charter_options(rsn_cli_t *cli, int argc, char **argv, charter_opts_t *o)
{
    static const struct option opts[] = {CLI_COMMON_OPTIONS,
                                         {"name", required_argument, NULL, 'n'},
                                         {"purpose", required_argument, NULL, 'p'},
                                         {"mission", required_argument, NULL, 'm'},
                                         {"benefit", required_argument, NULL, 'b'},
                                         {"data-policy", required_argument, NULL, 'd'},
                                         {"readers", required_argument, NULL, 'r'},
                                         {"retention-days", required_argument, NULL, 't'},
                                         {"members-only", no_argument, NULL, 'M'},
                                         {"open", no_argument, NULL, 'O'},
                                         {"owner", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    size_t cap = (size_t)argc + 1;
    memset(o, 0, sizeof *o);
    o->missions = rsn_arena_alloc(cli->arena, cap * sizeof *o->missions);
    o->benefits = rsn_arena_alloc(cli->arena, cap * sizeof *o->benefits);
    o->owners = rsn_arena_alloc(cli->arena, cap * sizeof *o->owners);
    if (!o->missions || !o->benefits || !o->owners) {
        cli_fail("out of memory");
        return CLI_EXIT_FAIL;
    }
    int c;
    uint64_t n = 0;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        switch (c) {
        case 'n': o->name = optarg; break;
        case 'p': o->purpose = optarg; break;
        case 'd': o->use = optarg; break;
        case 'r': o->readers = optarg; break;
        case 'M': o->access = RAISON__ACCESS__ACCESS_MEMBERS_ONLY; break;
        case 'O': o->access = RAISON__ACCESS__ACCESS_OPEN; break;
        case 'b': o->benefits[o->n_benefits++] = optarg; break;
        case 't':
            if (!cli_parse_uint(optarg, UINT32_MAX, &n)) {
                return cli_usage_error(cli, "--retention-days needs a number of days (0: kept)");
            }
            o->has_retention = true;
            o->retention_days = (uint32_t)n;
            break;
        case 'm': {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                return cli_usage_error(cli, "--mission needs KEY=GOAL, not '%s'", optarg);
            }
            Raison__Mission *m = rsn_arena_alloc(cli->arena, sizeof *m);
            char *key = rsn_arena_memdup(cli->arena, optarg, (size_t)(eq - optarg) + 1);
            if (!m || !key) {
                cli_fail("out of memory");
                return CLI_EXIT_FAIL;
            }
            key[eq - optarg] = '\0';
            raison__mission__init(m);
            m->key = key;
            m->goal = eq + 1;
            o->missions[o->n_missions++] = m;
            break;
        }
        case 'o': {
            uint8_t *key = rsn_arena_alloc(cli->arena, RSN_KEY_BYTES);
            if (!key) {
                cli_fail("out of memory");
                return CLI_EXIT_FAIL;
            }
            if (strlen(optarg) != RSN_KEY_HEX || rsn_key_from_hex(key, optarg) != 0) {
                return cli_usage_error(cli, "--owner needs a key of 64 hex characters, not '%s'",
                                       optarg);
            }
            add_owner(o, key);
            break;
        }
        case CLI_OPT_STOP: return cli->status;
        default: return cli_usage_error(cli, "unexpected option");
        }
    }
    return -1;
}

static int charter_new(rsn_cli_t *cli, int argc, char **argv)
{
    charter_opts_t o;
    const rsn_keypair_t *kp = NULL;
    uint8_t id[32];
    int status = charter_options(cli, argc, argv, &o);
    if (status != -1) {
        return status;
    }
    if (optind < argc) {
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    }
    if (!o.name || !o.name[0]) {
        return cli_usage_error(cli, "--name is required");
    }
    if (cli_keypair(cli, &kp) != 0) {
        return CLI_EXIT_FAIL;
    }
    /* the author first among the owners, always */
    charter_opts_t owners = o;
    owners.owners = rsn_arena_alloc(cli->arena, (o.n_owners + 1) * sizeof *o.owners);
    if (!owners.owners) {
        cli_fail("out of memory");
        return CLI_EXIT_FAIL;
    }
    owners.n_owners = 0;
    add_owner(&owners, (uint8_t *)rsn_keypair_public(kp));
    for (size_t i = 0; i < o.n_owners; i++) {
        add_owner(&owners, o.owners[i].data);
    }

    Raison__DataPolicy d = RAISON__DATA_POLICY__INIT;
    d.readers = (char *)(o.readers ? o.readers : "everyone in the federation");
    d.use = (char *)(o.use ? o.use : "");
    d.retention_days = o.retention_days;
    Raison__Charter ch = RAISON__CHARTER__INIT;
    ch.version = 1;
    ch.name = (char *)o.name;
    ch.purpose = (char *)(o.purpose ? o.purpose : "");
    ch.missions = o.missions;
    ch.n_missions = o.n_missions;
    ch.benefits = o.benefits;
    ch.n_benefits = o.n_benefits;
    ch.data_policy = &d;
    ch.access = o.access ? (Raison__Access)o.access : RAISON__ACCESS__ACCESS_OPEN;
    ch.owners = owners.owners;
    ch.n_owners = owners.n_owners;
    if (cli_publish(cli, RAISON__KIND__KIND_CHARTER, &ch.base, id) != 0) {
        return CLI_EXIT_FAIL;
    }
    if (cli->json) {
        return cli_json_print(
            json_pack("{s:o,s:o}", "group", cli_json_hex(id, 32), "id", cli_json_hex(id, 32)),
            false);
    }
    printf("%s\n", cli_hex(cli, id, 32));
    return CLI_EXIT_OK;
}

static int charter_amend(rsn_cli_t *cli, int argc, char **argv)
{
    charter_opts_t o;
    Raison__ApiReply *reply = NULL;
    uint8_t id[32];
    int status = charter_options(cli, argc, argv, &o);
    if (status != -1) {
        return status;
    }
    if (argc - optind != 1) {
        return cli_usage_error(cli, argc - optind < 1 ? "missing GROUP" : "unexpected argument");
    }
    if (!o.name && !o.purpose && !o.use && !o.readers && !o.has_retention && !o.access &&
        !o.n_missions && !o.n_benefits && !o.n_owners) {
        return cli_usage_error(cli, "nothing to amend: give the parts of the charter to change");
    }
    if (o.name && !o.name[0]) {
        return cli_usage_error(cli, "--name cannot be empty");
    }
    if (cli_group(cli, argv[optind], &reply) != 0) {
        return CLI_EXIT_FAIL;
    }
    status = CLI_EXIT_FAIL;
    const Raison__GroupReply *g = reply->group;
    const Raison__Charter *cur = g->charter;
    Raison__DataPolicy d = RAISON__DATA_POLICY__INIT;
    if (cur->data_policy) {
        d = *cur->data_policy;
    }
    Raison__Charter ch = *cur;
    /* what this client does not know of the current version is not carried */
    ch.base.n_unknown_fields = 0;
    ch.base.unknown_fields = NULL;
    d.base.n_unknown_fields = 0;
    d.base.unknown_fields = NULL;
    ch.data_policy = &d;
    ch.group = g->group;
    ch.supersedes = g->charter_id;
    ch.version = cur->version + 1;
    if (o.name) {
        ch.name = (char *)o.name;
    }
    if (o.purpose) {
        ch.purpose = (char *)o.purpose;
    }
    if (o.use) {
        d.use = (char *)o.use;
    }
    if (o.readers) {
        d.readers = (char *)o.readers;
    }
    if (o.has_retention) {
        d.retention_days = o.retention_days;
    }
    if (o.access) {
        ch.access = (Raison__Access)o.access;
    }
    if (o.n_missions) {
        ch.missions = o.missions;
        ch.n_missions = o.n_missions;
    }
    if (o.n_benefits) {
        ch.benefits = o.benefits;
        ch.n_benefits = o.n_benefits;
    }
    if (o.n_owners) {
        ch.owners = o.owners;
        ch.n_owners = o.n_owners;
    }
    if (g->charter_id.len != RSN_ID_BYTES) {
        cli_fail("the node did not say which charter version is current");
        goto out;
    }
    if (cli_publish(cli, RAISON__KIND__KIND_CHARTER, &ch.base, id) != 0) {
        goto out;
    }
    if (cli->json) {
        status = cli_json_print(json_pack("{s:o,s:o,s:I}", "group",
                                          cli_json_hex(g->group.data, g->group.len), "id",
                                          cli_json_hex(id, 32), "version", (json_int_t)ch.version),
                                false);
    } else {
        printf("%s\n", cli_hex(cli, id, 32));
        fprintf(stderr, "raison: published version %u of the charter of %s\n", ch.version, ch.name);
        status = CLI_EXIT_OK;
    }
out:
    raison__api_reply__free_unpacked(reply, NULL);
    return status;
}

static const char charter_options_help[] =
    "  --name NAME            the group's name\n"
    "  --purpose TEXT         what the group is for\n"
    "  --mission KEY=GOAL     a mission (repeat; key: [a-z0-9-])\n"
    "  --benefit TEXT         what members gain (repeat)\n"
    "  --data-policy TEXT     what posts are used for, and not used for\n"
    "  --readers TEXT         who may read (default: everyone in the federation)\n"
    "  --retention-days N     erase post bodies after N days (0: kept)\n"
    "  --members-only         only members may post (default: open)\n"
    "  --open                 everyone may post\n"
    "  --owner KEY            an owner besides you (repeat)\n";

static const rsn_cli_command_t charter_commands[] = {
    {"new", charter_new,
     "--name NAME --purpose TEXT --mission KEY=GOAL... --benefit TEXT... --data-policy TEXT "
     "[--readers TEXT] [--retention-days N] [--members-only] [--owner KEY...]",
     "found a group: publish version 1 of its charter and print the group id",
     charter_options_help},
    {"amend", charter_amend, "GROUP [charter options]",
     "publish the next version of a group's charter (owners); each option given replaces "
     "that part (missions, benefits and owners given replace the lists)",
     charter_options_help},
};

int cli_cmd_charter(rsn_cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            cli_print_usage(cli, stdout);
            return CLI_EXIT_OK;
        }
        return cli_usage_error(cli, "which one: 'charter new' or 'charter amend'?");
    }
    const rsn_cli_command_t *sub =
        cli_find_sub(cli, charter_commands, sizeof charter_commands / sizeof charter_commands[0],
                     "charter", argv[1]);
    if (!sub) {
        return cli_usage_error(cli, "unknown subcommand '%s' (new or amend)", argv[1]);
    }
    optind = 0;
    return sub->run(cli, argc - 1, argv + 1);
}

/* --- memberships -------------------------------------------------------------- */

/* Publishes a membership ACTION in group REF for MEMBER (NULL: oneself). */
static int membership(rsn_cli_t *cli, const char *ref, Raison__Action action, const uint8_t *member,
                      bool confirm)
{
    Raison__ApiReply *reply = NULL;
    const rsn_keypair_t *kp = NULL;
    uint8_t id[32];
    int status = CLI_EXIT_FAIL;
    if (cli_keypair(cli, &kp) != 0 || cli_group(cli, ref, &reply) != 0) {
        return CLI_EXIT_FAIL;
    }
    const Raison__GroupReply *g = reply->group;
    const Raison__Charter *ch = g->charter;
    if (action == RAISON__ACTION__ACTION_JOIN) {
        if (confirm && !isatty(STDIN_FILENO)) {
            cli_fail("refusing to join without confirmation: pass --yes");
            goto out;
        }
        /* with --json, stdout holds the one JSON document: the charter goes
         * to stderr when a person must read it before answering */
        if (!cli->json) {
            cli_print_charter(cli, stdout, ch);
        } else if (confirm) {
            cli_print_charter(cli, stderr, ch);
        }
        fflush(stdout);
        if (confirm) {
            char *q = rsn_arena_printf(cli->arena, "Join %s under this charter (version %u)? [y/N]",
                                       ch->name, ch->version);
            if (!q || !cli_confirm(q)) {
                cli_fail("not joined");
                goto out;
            }
        }
    }
    Raison__Membership m = RAISON__MEMBERSHIP__INIT;
    m.group = g->group;
    m.action = action;
    m.member.data = (uint8_t *)(member ? member : rsn_keypair_public(kp));
    m.member.len = RSN_KEY_BYTES;
    if (action == RAISON__ACTION__ACTION_JOIN) {
        m.charter = g->charter_id;
    }
    if (cli_publish(cli, RAISON__KIND__KIND_MEMBERSHIP, &m.base, id) != 0) {
        goto out;
    }
    if (cli->json) {
        status = cli_json_print(json_pack("{s:o,s:o,s:o,s:I}", "id", cli_json_hex(id, 32), "group",
                                          cli_json_hex(g->group.data, g->group.len), "charter",
                                          action == RAISON__ACTION__ACTION_JOIN
                                              ? cli_json_hex(g->charter_id.data, g->charter_id.len)
                                              : json_null(),
                                          "version", (json_int_t)ch->version),
                                false);
        goto out;
    }
    switch (action) {
    case RAISON__ACTION__ACTION_JOIN:
        printf("joined %s under charter version %u\n", ch->name, ch->version);
        break;
    case RAISON__ACTION__ACTION_LEAVE: printf("left %s\n", ch->name); break;
    case RAISON__ACTION__ACTION_ADD:
        printf("added %s to %s\n", cli_hex(cli, member, 32), ch->name);
        break;
    default: printf("removed %s from %s\n", cli_hex(cli, member, 32), ch->name); break;
    }
    printf("%s\n", cli_hex(cli, id, 32));
    status = CLI_EXIT_OK;
out:
    raison__api_reply__free_unpacked(reply, NULL);
    return status;
}

int cli_cmd_join(rsn_cli_t *cli, int argc, char **argv)
{
    bool yes = false;
    int status = simple_args(cli, argc, argv, 1, &yes);
    if (status != -1) {
        return status;
    }
    return membership(cli, argv[optind], RAISON__ACTION__ACTION_JOIN, NULL, !yes);
}

int cli_cmd_leave(rsn_cli_t *cli, int argc, char **argv)
{
    int status = simple_args(cli, argc, argv, 1, NULL);
    if (status != -1) {
        return status;
    }
    return membership(cli, argv[optind], RAISON__ACTION__ACTION_LEAVE, NULL, false);
}

static int add_or_remove(rsn_cli_t *cli, int argc, char **argv, Raison__Action action)
{
    uint8_t key[32];
    int status = simple_args(cli, argc, argv, 2, NULL);
    if (status != -1) {
        return status;
    }
    const char *hex = argv[optind + 1];
    if (strlen(hex) != RSN_KEY_HEX || rsn_key_from_hex(key, hex) != 0) {
        return cli_usage_error(cli, "KEY must be 64 hex characters, not '%s'", hex);
    }
    return membership(cli, argv[optind], action, key, false);
}

int cli_cmd_add(rsn_cli_t *cli, int argc, char **argv)
{
    return add_or_remove(cli, argc, argv, RAISON__ACTION__ACTION_ADD);
}

int cli_cmd_remove(rsn_cli_t *cli, int argc, char **argv)
{
    return add_or_remove(cli, argc, argv, RAISON__ACTION__ACTION_REMOVE);
}

/* --- posts ---------------------------------------------------------------------- */

int cli_cmd_post(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"mission", required_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
    Raison__ApiReply *reply = NULL;
    const char *mission = NULL;
    uint8_t id[32];
    int c;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        switch (c) {
        case 'm': mission = optarg; break;
        case CLI_OPT_STOP: return cli->status;
        default: return cli_usage_error(cli, "unexpected option");
        }
    }
    if (argc - optind < 1) {
        return cli_usage_error(cli, "missing GROUP");
    }
    if (!mission) {
        return cli_usage_error(cli, "--mission KEY is required: the mission this post serves");
    }
    char *text = join_words(cli, argc, argv, optind + 1);
    if (!text || !text[0]) {
        return cli_usage_error(cli, "missing TEXT");
    }
    if (cli_group(cli, argv[optind], &reply) != 0) {
        return CLI_EXIT_FAIL;
    }
    Raison__Post p = RAISON__POST__INIT;
    p.group = reply->group->group;
    p.mission = (char *)mission;
    p.text = text;
    int status = CLI_EXIT_FAIL;
    if (cli_publish(cli, RAISON__KIND__KIND_POST, &p.base, id) == 0) {
        status = print_id(cli, id);
    }
    raison__api_reply__free_unpacked(reply, NULL);
    return status;
}

int cli_cmd_reply(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    Raison__ApiReply *reply = NULL;
    uint8_t target[32], id[32];
    int status = CLI_EXIT_FAIL;
    int c;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        if (c == CLI_OPT_STOP) {
            return cli->status;
        }
        return cli_usage_error(cli, "unexpected option");
    }
    if (argc - optind < 1) {
        return cli_usage_error(cli, "missing ENTRY_ID");
    }
    const char *hex = argv[optind];
    if (strlen(hex) != RSN_KEY_HEX || rsn_key_from_hex(target, hex) != 0) {
        return cli_usage_error(cli, "ENTRY_ID must be 64 hex characters, not '%s'", hex);
    }
    char *text = join_words(cli, argc, argv, optind + 1);
    if (!text || !text[0]) {
        return cli_usage_error(cli, "missing TEXT");
    }
    if (cli_entry(cli, target, &reply) != 0) {
        return CLI_EXIT_FAIL;
    }
    const Raison__EntryInfo *info = reply->entry->entry;
    const Raison__Post *parent = NULL;
    if (info->kind != RAISON__KIND__KIND_POST) {
        cli_fail("entry %s is a %s, not a post", hex, rsn_kind_name(info->kind));
        goto out;
    }
    if (!(parent = cli_entry_body(cli, info))) {
        cli_fail("cannot reply to %s: its body was erased", hex);
        goto out;
    }
    Raison__Post p = RAISON__POST__INIT;
    p.group = parent->group;
    p.mission = parent->mission;
    p.text = text;
    p.reply_to.data = target;
    p.reply_to.len = RSN_ID_BYTES;
    if (cli_publish(cli, RAISON__KIND__KIND_POST, &p.base, id) == 0) {
        status = print_id(cli, id);
    }
out:
    raison__api_reply__free_unpacked(reply, NULL);
    return status;
}

int cli_cmd_retract(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"erase", no_argument, NULL, 'e'}, {NULL, 0, NULL, 0}};
    Raison__Retraction r = RAISON__RETRACTION__INIT;
    uint8_t target[32], id[32];
    int c;
    while ((c = cli_option(cli, argc, argv, opts)) != -1) {
        switch (c) {
        case 'e': r.erase = true; break;
        case CLI_OPT_STOP: return cli->status;
        default: return cli_usage_error(cli, "unexpected option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage_error(cli, argc - optind < 1 ? "missing ENTRY_ID" : "unexpected argument");
    }
    const char *hex = argv[optind];
    if (strlen(hex) != RSN_KEY_HEX || rsn_key_from_hex(target, hex) != 0) {
        return cli_usage_error(cli, "ENTRY_ID must be 64 hex characters, not '%s'", hex);
    }
    r.target.data = target;
    r.target.len = RSN_ID_BYTES;
    if (cli_publish(cli, RAISON__KIND__KIND_RETRACTION, &r.base, id) != 0) {
        return CLI_EXIT_FAIL;
    }
    return print_id(cli, id);
}
