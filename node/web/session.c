/* session.c — who gets into `raison web`: invites, enrolled people, login
 * challenges, sessions and the rate limit of failed logins.
 *
 * Nobody has a password. A person holds an Ed25519 key in their browser and
 * logs in by signing a challenge of the server's with it, bound to the
 * server's origin ("raison-web-login-v1" 0x00 ORIGIN 0x00 CHALLENGE), so a
 * signature made for another site is worth nothing here. A key the server
 * does not know gets in only with a one-time invite (or under
 * --open-enrollment) and is then enrolled.
 *
 * The state folder (0700) holds invites/, one file (0600) per invite named
 * by the SHA-256 of its token (the token itself is never stored) and renamed
 * to NAME.used once used, and people.json, the enrolled keys, rewritten
 * atomically. `raison web invite` writes invites while a server runs: the
 * server reads an invite's file when it is used. Challenges and sessions
 * live in memory only, in bounded tables (web_private.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "web/web_private.h"

/* The prefix of what a login signature covers, NUL included. */
static const char login_prefix[] = "raison-web-login-v1";

typedef struct {
    uint8_t bytes[WEB_TOKEN_BYTES];
    uint64_t expires;
} challenge_t;

typedef struct {
    uint8_t token[WEB_TOKEN_BYTES];
    web_person_t person;
    uint64_t last_used;
} session_t;

typedef struct {
    char addr[64];
    uint64_t start;
    int count;
} fails_t;

struct web_sessions {
    const rsn_web_config_t *cfg;
    char cookie_name[40];
    char people_path[1024];
    char invites_dir[1024];
    web_person_t *people;
    size_t n_people, cap_people;
    challenge_t challenges[WEB_CHALLENGES_MAX];
    size_t n_challenges;
    session_t sessions[WEB_SESSIONS_MAX];
    size_t n_sessions;
    fails_t fails[WEB_FAIL_ADDRS];
};

/* Wall-clock milliseconds: invites and challenges, whose expiry the page
 * and the state files see. */
static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Monotonic milliseconds: sessions' idle time and the failure count, which
 * a change of the clock must not stretch or end. */
static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- files --------------------------------------------------------------------- */

static int make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        return RSN_ERR_IO;
    }
    return chmod(path, 0700) == 0 ? 0 : RSN_ERR_IO;
}

/* mkdir -p of PATH's folders and PATH, each 0700. */
static int make_dirs(const char *path)
{
    char buf[1024];
    if (strlen(path) >= sizeof buf) {
        return RSN_ERR_INVALID_ARG;
    }
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
                return RSN_ERR_IO;
            }
            *p = '/';
        }
    }
    return make_dir(buf);
}

/* Writes DOC to PATH (0600) through a temporary file and a rename. */
static int write_json(const char *path, json_t *doc)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return RSN_ERR_IO;
    }
    int rc = json_dumpfd(doc, fd, JSON_INDENT(1)) == 0 && fsync(fd) == 0 ? 0 : RSN_ERR_IO;
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = RSN_ERR_IO;
    }
    if (rc != 0) {
        unlink(tmp);
    }
    return rc;
}

int rsn_web_state_default(char *out, size_t size, uint16_t port)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (state && state[0]) {
        n = snprintf(out, size, "%s/raison/web-%u", state, port);
    } else {
        n = snprintf(out, size, "%s/.local/state/raison/web-%u", home ? home : ".", port);
    }
    return n > 0 && (size_t)n < size ? 0 : RSN_ERR_INVALID_ARG;
}

/* The file of the invite whose token is TOKEN: DIR/invites/SHA256HEX. */
static void invite_path(char *out, size_t size, const char *dir, const char *token)
{
    uint8_t h[RSN_HASH_BYTES];
    char hex[2 * RSN_HASH_BYTES + 1];
    rsn_sha256(h, token, strlen(token));
    snprintf(out, size, "%s/invites/%s", dir, rsn_hex_encode(hex, sizeof hex, h, sizeof h));
}

int rsn_web_invite_new(const char *state_dir, const char *name, bool operator_,
                       char token[RSN_WEB_TOKEN_SIZE])
{
    char dir[1024], path[1100];
    uint8_t raw[WEB_TOKEN_BYTES];
    snprintf(dir, sizeof dir, "%s/invites", state_dir);
    if (make_dirs(state_dir) != 0 || make_dir(dir) != 0) {
        return RSN_ERR_IO;
    }
    rsn_random(raw, sizeof raw);
    rsn_base64url_encode(token, RSN_WEB_TOKEN_SIZE, raw, sizeof raw);
    invite_path(path, sizeof path, state_dir, token);
    uint64_t now = now_ms();
    json_t *doc = json_pack("{s:o,s:b,s:I,s:I}", "name", name ? cli_json_str(name) : json_null(),
                            "operator", (int)operator_, "created_ms", (json_int_t)now, "expires_ms",
                            (json_int_t)(now + WEB_INVITE_MS));
    int rc = doc ? write_json(path, doc) : RSN_ERR_NOMEM;
    json_decref(doc);
    return rc;
}

void rsn_web_invite_url(char out[RSN_WEB_URL_MAX], const char *host, uint16_t port, bool tls,
                        const char *token)
{
    bool v6 = strchr(host, ':') != NULL;
    snprintf(out, RSN_WEB_URL_MAX, "%s://%s%s%s:%u/invite/%s", tls ? "https" : "http",
             v6 ? "[" : "", host, v6 ? "]" : "", port, token);
}

/* Loads people.json into SELF (a missing file: nobody yet). */
static int load_people(web_sessions_t *self)
{
    json_error_t err;
    json_t *doc = json_load_file(self->people_path, JSON_REJECT_DUPLICATES, &err);
    if (!doc) {
        return access(self->people_path, F_OK) == 0 ? RSN_ERR_IO : 0;
    }
    json_t *list = json_object_get(doc, "people"), *p;
    size_t i;
    int rc = json_is_array(list) && json_array_size(list) <= WEB_PEOPLE_MAX ? 0 : RSN_ERR_IO;
    self->cap_people = rc == 0 ? json_array_size(list) + 16 : 0;
    self->people = rc == 0 ? calloc(self->cap_people, sizeof *self->people) : NULL;
    if (rc == 0 && !self->people) {
        rc = RSN_ERR_NOMEM;
    }
    json_array_foreach(list, i, p)
    {
        const char *hex = json_string_value(json_object_get(p, "author"));
        if (rc != 0 || !hex || rsn_key_from_hex(self->people[self->n_people].author, hex) != 0) {
            rc = rc ? rc : RSN_ERR_IO;
            break;
        }
        self->people[self->n_people++].operator_ = json_is_true(json_object_get(p, "operator"));
    }
    json_decref(doc);
    return rc;
}

static int save_people(const web_sessions_t *self)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < self->n_people; i++) {
        json_array_append_new(list, json_pack("{s:o,s:b}", "author",
                                              cli_json_hex(self->people[i].author, RSN_KEY_BYTES),
                                              "operator", (int)self->people[i].operator_));
    }
    json_t *doc = list ? json_pack("{s:o}", "people", list) : NULL;
    int rc = doc ? write_json(self->people_path, doc) : RSN_ERR_NOMEM;
    json_decref(doc);
    return rc;
}

bool rsn_web_needs_operator(const char *state_dir)
{
    rsn_web_config_t cfg = {.state_dir = state_dir};
    web_sessions_t *s = NULL;
    bool needs = true;
    if (web_sessions_new(&s, &cfg) == 0) {
        for (size_t i = 0; i < s->n_people; i++) {
            needs = needs && !s->people[i].operator_;
        }
    }
    web_sessions_destroy(&s);
    return needs;
}

int web_sessions_new(web_sessions_t **out, const rsn_web_config_t *cfg)
{
    web_sessions_t *s = calloc(1, sizeof *s);
    int rc = RSN_ERR_NOMEM;
    *out = NULL;
    if (!s) {
        return rc;
    }
    s->cfg = cfg;
    snprintf(s->cookie_name, sizeof s->cookie_name, "raison_session_%u", cfg->port);
    snprintf(s->people_path, sizeof s->people_path, "%s/people.json", cfg->state_dir);
    snprintf(s->invites_dir, sizeof s->invites_dir, "%s/invites", cfg->state_dir);
    if ((rc = make_dirs(cfg->state_dir)) != 0 || (rc = make_dir(s->invites_dir)) != 0 ||
        (rc = load_people(s)) != 0) {
        web_sessions_destroy(&s);
        return rc;
    }
    *out = s;
    return 0;
}

void web_sessions_destroy(web_sessions_t **self_p)
{
    web_sessions_t *s = *self_p;
    if (s) {
        explicit_bzero(s->sessions, sizeof s->sessions);
        free(s->people);
        free(s);
        *self_p = NULL;
    }
}

/* --- people and invites --------------------------------------------------------- */

static web_person_t *person_of(web_sessions_t *s, const uint8_t author[RSN_KEY_BYTES])
{
    for (size_t i = 0; i < s->n_people; i++) {
        if (memcmp(s->people[i].author, author, RSN_KEY_BYTES) == 0) {
            return &s->people[i];
        }
    }
    return NULL;
}

static int enrol(web_sessions_t *s, const uint8_t author[RSN_KEY_BYTES], bool operator_,
                 web_person_t **out)
{
    if (s->n_people >= WEB_PEOPLE_MAX) {
        return RSN_ERR_BUSY;
    }
    if (s->n_people == s->cap_people) {
        size_t cap = s->cap_people ? s->cap_people * 2 : 16;
        web_person_t *grown = realloc(s->people, cap * sizeof *grown);
        if (!grown) {
            return RSN_ERR_NOMEM;
        }
        s->people = grown;
        s->cap_people = cap;
    }
    web_person_t *p = &s->people[s->n_people++];
    memcpy(p->author, author, RSN_KEY_BYTES);
    p->operator_ = operator_;
    int rc = save_people(s);
    if (rc != 0) {
        s->n_people--;
        return rc;
    }
    *out = p;
    return 0;
}

/* Uses the invite TOKEN: 0 and *OPERATOR when it is valid, unused and
 * unexpired (it is then used up); -1 answered 403 otherwise. */
static int use_invite(web_call_t *c, web_sessions_t *s, const char *token, bool *operator_)
{
    char path[1100], used[1110];
    bool ok = strlen(token) == RSN_BASE64URL_32_LEN;
    for (const char *p = token; ok && *p; p++) {
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '-' || *p == '_';
    }
    if (!ok) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "field 'invite': not an invite token");
    }
    invite_path(path, sizeof path, s->cfg->state_dir, token);
    snprintf(used, sizeof used, "%s.used", path);
    json_error_t err;
    json_t *doc = json_load_file(path, 0, &err);
    if (!doc) {
        return access(used, F_OK) == 0
                   ? web_fail(c, MHD_HTTP_FORBIDDEN, "this invite was already used")
                   : web_fail(c, MHD_HTTP_FORBIDDEN, "no such invite here");
    }
    json_int_t expires = json_integer_value(json_object_get(doc, "expires_ms"));
    *operator_ = json_is_true(json_object_get(doc, "operator"));
    json_decref(doc);
    if ((uint64_t)expires <= now_ms()) {
        return web_fail(c, MHD_HTTP_FORBIDDEN, "this invite has expired");
    }
    if (rename(path, used) != 0) {
        return web_fail(c, MHD_HTTP_FORBIDDEN, "this invite was already used");
    }
    return 0;
}

/* --- the failure count ---------------------------------------------------------- */

/* The failures of ADDR in the current minute (a new slot when unseen). */
static fails_t *fails_of(web_sessions_t *s, const char *addr)
{
    uint64_t now = mono_ms();
    fails_t *oldest = &s->fails[0];
    for (size_t i = 0; i < WEB_FAIL_ADDRS; i++) {
        fails_t *f = &s->fails[i];
        if (strcmp(f->addr, addr) == 0) {
            if (now - f->start >= 60000) {
                f->start = now;
                f->count = 0;
            }
            return f;
        }
        oldest = f->start < oldest->start ? f : oldest;
    }
    snprintf(oldest->addr, sizeof oldest->addr, "%s", addr);
    oldest->start = now;
    oldest->count = 0;
    return oldest;
}

/* Answers 403 with MESSAGE and counts a failure of the call's address. */
static int login_refused(web_call_t *c, const char *message)
{
    fails_of(c->web->sessions, c->addr)->count++;
    if (c->status != MHD_HTTP_OK && c->reply) {
        return -1; /* answered already */
    }
    return web_fail(c, MHD_HTTP_FORBIDDEN, "%s", message);
}

/* --- challenges and sessions ----------------------------------------------------- */

int web_api_challenge(web_call_t *c)
{
    web_sessions_t *s = c->web->sessions;
    uint64_t now = now_ms();
    size_t kept = 0;
    for (size_t i = 0; i < s->n_challenges; i++) {
        if (s->challenges[i].expires > now) {
            s->challenges[kept++] = s->challenges[i];
        }
    }
    s->n_challenges = kept;
    if (fails_of(s, c->addr)->count >= WEB_FAILS_PER_MINUTE) {
        return web_fail(c, MHD_HTTP_TOO_MANY_REQUESTS, "too many failed logins: wait a minute");
    }
    if (s->n_challenges >= WEB_CHALLENGES_MAX) {
        return web_fail(c, MHD_HTTP_TOO_MANY_REQUESTS, "too many logins at once: retry soon");
    }
    challenge_t *ch = &s->challenges[s->n_challenges++];
    rsn_random(ch->bytes, sizeof ch->bytes);
    ch->expires = now + WEB_CHALLENGE_MS;
    c->reply = json_pack("{s:o,s:I}", "challenge", cli_json_b64(ch->bytes, sizeof ch->bytes),
                         "expires_ms", (json_int_t)ch->expires);
    return 0;
}

/* Takes the challenge BYTES out of the table: true when it was there and
 * unexpired. */
static bool take_challenge(web_sessions_t *s, const uint8_t *bytes)
{
    for (size_t i = 0; i < s->n_challenges; i++) {
        if (rsn_equal(s->challenges[i].bytes, bytes, WEB_TOKEN_BYTES)) {
            bool live = s->challenges[i].expires > now_ms();
            s->challenges[i] = s->challenges[--s->n_challenges];
            return live;
        }
    }
    return false;
}

/* Opens a session for P and sets its cookie on C. */
static int open_session(web_call_t *c, const web_person_t *p)
{
    web_sessions_t *s = c->web->sessions;
    uint64_t now = mono_ms();
    size_t kept = 0, lru = 0;
    for (size_t i = 0; i < s->n_sessions; i++) {
        if (now - s->sessions[i].last_used < WEB_SESSION_IDLE_MS) {
            s->sessions[kept++] = s->sessions[i];
        }
    }
    s->n_sessions = kept;
    if (s->n_sessions == WEB_SESSIONS_MAX) {
        for (size_t i = 1; i < s->n_sessions; i++) {
            lru = s->sessions[i].last_used < s->sessions[lru].last_used ? i : lru;
        }
        s->sessions[lru] = s->sessions[--s->n_sessions]; /* the least recently used goes */
    }
    session_t *se = &s->sessions[s->n_sessions++];
    rsn_random(se->token, sizeof se->token);
    se->person = *p;
    se->last_used = now;
    char hex[2 * WEB_TOKEN_BYTES + 1];
    snprintf(c->cookie, sizeof c->cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
             s->cookie_name, rsn_hex_encode(hex, sizeof hex, se->token, sizeof se->token),
             c->web->tls ? "; Secure" : "");
    return 0;
}

/* The session of the call's cookie (its slot), or NULL. */
static session_t *session_slot(web_call_t *c)
{
    web_sessions_t *s = c->web->sessions;
    const char *v = MHD_lookup_connection_value(c->conn, MHD_COOKIE_KIND, s->cookie_name);
    uint8_t token[WEB_TOKEN_BYTES];
    size_t len = 0;
    if (!v || strlen(v) != 2 * WEB_TOKEN_BYTES ||
        rsn_hex_decode(token, sizeof token, &len, v) != 0 || len != sizeof token) {
        return NULL;
    }
    uint64_t now = mono_ms();
    for (size_t i = 0; i < s->n_sessions; i++) {
        session_t *se = &s->sessions[i];
        if (rsn_equal(se->token, token, sizeof token)) {
            if (now - se->last_used >= WEB_SESSION_IDLE_MS) {
                return NULL;
            }
            se->last_used = now;
            return se;
        }
    }
    return NULL;
}

const web_person_t *web_session_of(web_call_t *c)
{
    session_t *se = session_slot(c);
    if (se) {
        memcpy(c->session, se->token, sizeof c->session);
    }
    return se ? &se->person : NULL;
}

int web_api_login(web_call_t *c)
{
    web_sessions_t *s = c->web->sessions;
    const char *author_hex = NULL, *invite = NULL;
    uint8_t *challenge = NULL, *sig = NULL;
    size_t challenge_len = 0, sig_len = 0;
    uint8_t author[RSN_KEY_BYTES];
    if (fails_of(s, c->addr)->count >= WEB_FAILS_PER_MINUTE) {
        return web_fail(c, MHD_HTTP_TOO_MANY_REQUESTS, "too many failed logins: wait a minute");
    }
    if (web_field_str(c, "author", RSN_KEY_HEX, false, &author_hex) != 0 ||
        web_field_b64(c, "challenge", WEB_TOKEN_BYTES, &challenge, &challenge_len) != 0 ||
        web_field_b64(c, "signature", RSN_SIG_BYTES, &sig, &sig_len) != 0 ||
        web_field_str(c, "invite", 64, true, &invite) != 0) {
        return -1;
    }
    if (strlen(author_hex) != RSN_KEY_HEX || rsn_key_from_hex(author, author_hex) != 0) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "field 'author': 64 hex characters");
    }
    if (challenge_len != WEB_TOKEN_BYTES || sig_len != RSN_SIG_BYTES) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "field '%s': %d bytes are needed",
                        challenge_len != WEB_TOKEN_BYTES ? "challenge" : "signature",
                        challenge_len != WEB_TOKEN_BYTES ? WEB_TOKEN_BYTES : RSN_SIG_BYTES);
    }
    if (!take_challenge(s, challenge)) {
        return login_refused(c, "unknown, used or expired challenge: ask for a new one");
    }
    size_t olen = strlen(c->origin);
    size_t mlen = sizeof login_prefix + olen + 1 + WEB_TOKEN_BYTES;
    uint8_t *msg = rsn_arena_alloc(c->arena, mlen);
    if (!msg) {
        return web_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    memcpy(msg, login_prefix, sizeof login_prefix);
    memcpy(msg + sizeof login_prefix, c->origin, olen);
    msg[sizeof login_prefix + olen] = 0;
    memcpy(msg + sizeof login_prefix + olen + 1, challenge, WEB_TOKEN_BYTES);
    if (rsn_signature_verify(author, msg, mlen, sig) != 0) {
        return login_refused(c, "the signature does not verify for this key and this site");
    }
    web_person_t *p = person_of(s, author);
    bool enrolled = false;
    if (!p && (invite || s->cfg->open_enrollment)) {
        bool op = false;
        if (invite && use_invite(c, s, invite, &op) != 0) {
            return login_refused(c, "");
        }
        int rc = enrol(s, author, op, &p);
        if (rc != 0) {
            return web_fail(c, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot enrol this key: %s",
                            rsn_strerror(rc));
        }
        enrolled = true;
        rsn_info("web: enrolled %.12s%s", author_hex, op ? " (operator)" : "");
    }
    if (!p) {
        return login_refused(
            c, "this key is not enrolled here: ask your site's operator for an invite");
    }
    open_session(c, p);
    c->reply = json_pack("{s:o,s:b,s:b}", "author", cli_json_hex(author, RSN_KEY_BYTES), "operator",
                         (int)p->operator_, "enrolled", (int)enrolled);
    return 0;
}

int web_api_logout(web_call_t *c)
{
    web_sessions_t *s = c->web->sessions;
    session_t *se = session_slot(c);
    if (se) {
        web_events_end_session(c->web->events, se->token);
        *se = s->sessions[--s->n_sessions];
    }
    snprintf(c->cookie, sizeof c->cookie, "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
             s->cookie_name, c->web->tls ? "; Secure" : "");
    c->reply = json_object();
    return 0;
}

int web_api_me(web_call_t *c)
{
    c->reply = json_pack("{s:o,s:b}", "author", cli_json_hex(c->person->author, RSN_KEY_BYTES),
                         "operator", (int)c->person->operator_);
    return 0;
}
