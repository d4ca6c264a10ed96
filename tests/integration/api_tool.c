/* api_tool.c — speaks the local API directly, for the integration tests.
 *
 * The CLI never sends a malformed or hostile request, so the node's refusals
 * of bad input (bad signatures, broken chains, forks, oversize entries,
 * garbage bytes; semantic violations, as drafts and signed) are driven from here, one case per
 * run, through the same C client library as any client. Each bad case
 * publishes the setup it needs with fresh random identities, prints
 * `setup=K code=N` (K entries legitimately accepted as setup, N the node's
 * ErrorCode) and exits 0 only when the node answered with the expected code.
 *
 *   api_tool SOCKET raw HEXBYTES             send raw payload bytes, print code
 *   api_tool SOCKET junk N                   send N bytes of 0xff; print code,
 *                                            or exit 3 when no answer comes
 *   api_tool SOCKET bad CASE                 one bad-input case (see CASES); a
 *                                            semantic case is sent as a draft
 *                                            (refused, nothing signed), and as
 *                                            signed-CASE signed (stored, the
 *                                            rule named; prints stored=ID)
 *   api_tool SOCKET publish-burst SEED N OUT publish N profiles of SEED's
 *                                            author, pipelined, appending each
 *                                            acknowledged id to OUT (fsynced)
 *   api_tool SOCKET join-many GROUP N        N fresh authors each join GROUP (id hex,
 *                                            an open group; the join names v1),
 *                                            pipelined; print joined=N
 *   api_tool SOCKET has ID                   exit 0 when the node holds ID
 *   api_tool SOCKET invalid ID               print invalid=WHY, the rule entry ID
 *                                            breaks; exit 0 when it breaks one
 *   api_tool SOCKET head KEY                 print seq=N id=HEX frozen=0|1
 *   api_tool SOCKET pubkey SEED              print the public key of SEED
 *   api_tool SOCKET publish-seq1 SEED TEXT [GROUP MISSION]
 *                                            publish entry 1 of SEED's feed: a
 *                                            profile named TEXT, or a post of
 *                                            TEXT in GROUP (id hex) for MISSION;
 *                                            print id=HEX (two runs with other
 *                                            TEXTs make a fork)
 *   api_tool SOCKET post-at SEED GROUP MISSION TS_MS TEXT
 *                                            publish, after SEED's head, a post
 *                                            of TEXT in GROUP for MISSION whose
 *                                            timestamp is TS_MS (ms since the
 *                                            epoch; the CLI always stamps now);
 *                                            print id=HEX code=N
 *
 * Exit codes: 0 as expected, 1 the node answered otherwise, 2 the tool or
 * its setup failed. API_TOOL_TIMEOUT_MS in the environment bounds every wait
 * for a reply (default 10000). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "net/client.h"
#include "proto/codec.h"
#include "raison.pb-c.h"
#include "support/api.h"
#include "support/clock.h"
#include "support/entries.h"
#include "support/keys.h"

#define TIMEOUT_MS 10000
#define BURST_WINDOW 64

/* When not 0, the timestamp of every entry made (post-at); else now. */
static uint64_t stamp_ms = 0;

/* One signed entry ready to publish; its memory is in the tool's arena. */
typedef rsn_test_signed_t signed_t;

/* How a semantic case is sent: as the draft of the entry (the node must
 * refuse it, and store nothing) or signed (the node must store it and name
 * the rule it breaks in PublishReply.broken_rule). */
typedef enum { JUDGE_DRAFT, JUDGE_SIGNED } judge_mode_t;

typedef struct {
    rsn_client_t *client;
    rsn_arena_t *arena;
    judge_mode_t mode;
    bool stored; /* a signed semantic case was stored: its id */
    uint8_t stored_id[RSN_ID_BYTES];
} tool_t;

static void die(const char *what)
{
    fprintf(stderr, "api_tool: %s\n", what);
    exit(2);
}

static void *grab(tool_t *t, size_t len)
{
    void *p = rsn_arena_alloc(t->arena, len);
    if (p == NULL) {
        die("out of memory");
    }
    return p;
}

/* Builds and signs the entry SEQ of KP's feed (PREV NULL for seq 1) over
 * BODY of KIND. */
static signed_t make_entry(tool_t *t, const rsn_keypair_t *kp, uint64_t seq, const uint8_t *prev,
                           Raison__Kind kind, const ProtobufCMessage *body)
{
    signed_t s;
    rsn_test_header_t h = {.seq = seq,
                           .prev = prev,
                           .timestamp_ms = stamp_ms != 0 ? stamp_ms : rsn_test_wall_ms(),
                           .kind = kind};
    if (rsn_test_sign_message(t->arena, kp, &h, body, &s) != 0) {
        die("signing failed");
    }
    return s;
}

static signed_t make_profile(tool_t *t, const rsn_keypair_t *kp, uint64_t seq, const uint8_t *prev,
                             const char *name)
{
    Raison__Profile p = RAISON__PROFILE__INIT;
    p.name = (char *)name;
    p.site = "api-tool";
    p.role = "tester";
    return make_entry(t, kp, seq, prev, RAISON__KIND__KIND_PROFILE, &p.base);
}

/* What a charter test case leaves out or changes. */
typedef struct {
    bool no_purpose;
    bool no_mission;
    bool no_benefit;
    Raison__Access access;
    const uint8_t *group;      /* amendments: the group id */
    const uint8_t *supersedes; /* amendments: the version amended */
    uint32_t version;
} charter_opts_t;

/* A charter with missions "m1" and "m2", owned by OWNER, signed by KP. */
static signed_t make_charter(tool_t *t, const rsn_keypair_t *kp, const rsn_keypair_t *owner,
                             uint64_t seq, const uint8_t *prev, const charter_opts_t *o)
{
    Raison__Charter c = RAISON__CHARTER__INIT;
    Raison__Mission m1 = RAISON__MISSION__INIT;
    Raison__Mission m2 = RAISON__MISSION__INIT;
    Raison__Mission *missions[2] = {&m1, &m2};
    Raison__DataPolicy dp = RAISON__DATA_POLICY__INIT;
    char *benefits[1] = {"faster answers"};
    ProtobufCBinaryData owners[1];
    char name[64];
    uint8_t salt[4];

    rsn_random(salt, sizeof salt);
    snprintf(name, sizeof name, "tool-%02x%02x%02x%02x", salt[0], salt[1], salt[2], salt[3]);
    m1.key = "m1";
    m1.goal = "first goal";
    m2.key = "m2";
    m2.goal = "second goal";
    dp.readers = "everyone of the company";
    dp.use = "only this group's work";
    dp.retention_days = 0;
    owners[0].data = (uint8_t *)rsn_keypair_public(owner);
    owners[0].len = RSN_KEY_BYTES;

    c.version = o->version == 0 ? 1 : o->version;
    if (o->group != NULL) {
        c.group.data = (uint8_t *)o->group;
        c.group.len = RSN_ID_BYTES;
    }
    if (o->supersedes != NULL) {
        c.supersedes.data = (uint8_t *)o->supersedes;
        c.supersedes.len = RSN_ID_BYTES;
    }
    c.name = name;
    c.purpose = o->no_purpose ? "" : "test the node's refusals";
    if (!o->no_mission) {
        c.n_missions = 2;
        c.missions = missions;
    }
    if (!o->no_benefit) {
        c.n_benefits = 1;
        c.benefits = benefits;
    }
    c.data_policy = &dp;
    c.access = o->access == 0 ? RAISON__ACCESS__ACCESS_OPEN : o->access;
    c.n_owners = 1;
    c.owners = owners;
    return make_entry(t, kp, seq, prev, RAISON__KIND__KIND_CHARTER, &c.base);
}

static signed_t make_post_text(tool_t *t, const rsn_keypair_t *kp, uint64_t seq,
                               const uint8_t *prev, const uint8_t group[RSN_ID_BYTES],
                               const char *mission, const char *text)
{
    Raison__Post p = RAISON__POST__INIT;
    p.group.data = (uint8_t *)group;
    p.group.len = RSN_ID_BYTES;
    p.mission = (char *)mission;
    p.text = (char *)text;
    return make_entry(t, kp, seq, prev, RAISON__KIND__KIND_POST, &p.base);
}

static signed_t make_post(tool_t *t, const rsn_keypair_t *kp, uint64_t seq, const uint8_t *prev,
                          const uint8_t group[RSN_ID_BYTES], const char *mission)
{
    return make_post_text(t, kp, seq, prev, group, mission, "a post from api_tool");
}

/* The code of REPLY: 0 for a result of EXPECTED_CASE, the ErrorCode of an
 * error, -1 for anything else. Frees REPLY. */
static int reply_code(Raison__ApiReply *reply, Raison__ApiReply__ResultCase expected_case)
{
    int code = -1;
    if (reply->result_case == RAISON__API_REPLY__RESULT_ERROR && reply->error != NULL) {
        code = (int)reply->error->code;
        fprintf(stderr, "api_tool: node says %d: %s\n", code,
                reply->error->message ? reply->error->message : "");
    } else if (reply->result_case == expected_case) {
        code = 0;
    } else {
        fprintf(stderr, "api_tool: unexpected reply kind %d\n", (int)reply->result_case);
    }
    rsn_test_reply_free(reply);
    return code;
}

/* Publishes S (without its body when WITH_BODY is false); returns the code. */
static int publish_signed(tool_t *t, const signed_t *s, bool with_body)
{
    Raison__ApiReply *reply = NULL;
    if (rsn_test_api_publish(t->client, s, with_body, &reply) != 0) {
        exit(2);
    }
    return reply_code(reply, RAISON__API_REPLY__RESULT_PUBLISH);
}

static int publish(tool_t *t, const signed_t *s)
{
    return publish_signed(t, s, true);
}

/* Publishes a setup entry that must be accepted; counts it in *SETUP. */
static void publish_setup(tool_t *t, const signed_t *s, int *setup)
{
    int code = publish(t, s);
    if (code != 0) {
        fprintf(stderr, "api_tool: a setup entry was refused (code %d)\n", code);
        exit(2);
    }
    (*setup)++;
}

/* Sends the draft of S (its author, KIND and body, unsigned); returns the
 * node's code (0: a draft reply). */
static int draft(tool_t *t, const signed_t *s, Raison__Kind kind)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__DraftRequest d = RAISON__DRAFT_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    d.author.data = (uint8_t *)s->author;
    d.author.len = RSN_KEY_BYTES;
    d.kind = kind;
    d.body.data = s->body;
    d.body.len = s->body_len;
    req.call_case = RAISON__API_REQUEST__CALL_DRAFT;
    req.draft = &d;
    if (rsn_client_call(t->client, &req, &reply) != 0) {
        die("the draft got no answer");
    }
    return reply_code(reply, RAISON__API_REPLY__RESULT_DRAFT);
}

/* Publishes S, which breaks a semantic rule: the node must store it (a
 * publish reply for S's id, not a duplicate) and name the rule; returns the
 * rule's code (0 when none was named, -1 when not stored). */
static int publish_broken(tool_t *t, const signed_t *s)
{
    Raison__ApiReply *reply = NULL;
    if (rsn_test_api_publish(t->client, s, true, &reply) != 0) {
        exit(2);
    }
    int code = -1;
    if (rsn_test_api_acknowledges(reply, s, 0, false)) {
        const Raison__Error *rule = reply->publish->broken_rule;
        code = rule ? (int)rule->code : 0;
        fprintf(stderr, "api_tool: stored; broken rule %d: %s\n", code,
                rule && rule->message ? rule->message : "(none)");
        t->stored = true;
        memcpy(t->stored_id, s->id, RSN_ID_BYTES);
    }
    rsn_test_reply_free(reply);
    return code;
}

/* The entry S of KIND breaks a semantic rule: as the case's mode says, its
 * draft is sent (the code of the refusal) or S itself (the rule named). */
static int judge(tool_t *t, const signed_t *s, Raison__Kind kind)
{
    return t->mode == JUDGE_DRAFT ? draft(t, s, kind) : publish_broken(t, s);
}

static int send_raw(tool_t *t, const uint8_t *bytes, size_t len)
{
    Raison__ApiReply *reply = NULL;
    int rc = rsn_client_send_raw(t->client, bytes, len);
    if (rc == 0) {
        rc = rsn_client_recv(t->client, &reply);
    }
    if (rc == RSN_ERR_TIMEOUT) {
        fprintf(stderr, "api_tool: no answer to a raw request of %zu bytes\n", len);
        exit(3);
    }
    if (rc != 0) {
        fprintf(stderr, "api_tool: raw request failed: %s\n", rsn_strerror(rc));
        exit(2);
    }
    return reply_code(reply, RAISON__API_REPLY__RESULT__NOT_SET);
}

static rsn_keypair_t *fresh_key(void)
{
    rsn_keypair_t *kp = rsn_keypair_generate();
    if (kp == NULL) {
        die("cannot generate a key");
    }
    return kp;
}

/* --- the bad cases ------------------------------------------------------ */

/* Each returns the first code the node gave for the bad request; THEN gets
 * a second code for cases that check two answers (-1 when unused). */
typedef int (*case_fn)(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup, int *then);

static int case_bad_signature(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup, int *then)
{
    signed_t s = make_profile(t, a, 1, NULL, "bad signature");
    s.sig[10] ^= 0x01;
    return publish(t, &s);
}

static int case_wrong_seq(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup, int *then)
{
    signed_t s1 = make_profile(t, a, 1, NULL, "seq one");
    publish_setup(t, &s1, setup);
    /* prev names the head, as it should; only seq skips one */
    signed_t s3 = make_profile(t, a, 3, s1.id, "seq three");
    return publish(t, &s3);
}

static int case_wrong_prev(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup, int *then)
{
    uint8_t other[RSN_ID_BYTES];
    signed_t s1 = make_profile(t, a, 1, NULL, "seq one");
    publish_setup(t, &s1, setup);
    rsn_random(other, sizeof other);
    signed_t s2 = make_profile(t, a, 2, other, "seq two, wrong prev");
    return publish(t, &s2);
}

static int case_fork(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup, int *then)
{
    signed_t s1 = make_profile(t, a, 1, NULL, "branch one");
    publish_setup(t, &s1, setup);
    signed_t other = make_profile(t, a, 1, NULL, "branch two");
    int code = publish(t, &other);
    signed_t s2 = make_profile(t, a, 2, s1.id, "after the fork");
    *then = publish(t, &s2);
    return code;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v & 0x7f) | 0x80;
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static int case_entry_too_large(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup,
                                int *then)
{
    /* A valid entry followed by an unknown field (number 100, 1100 bytes):
     * protobuf would skip it, so only the size breaks the rules. Our keypair
     * refuses to sign over 1 KiB, so the signature is the one of the valid
     * prefix: the node must bound the size before it verifies anything. */
    signed_t s = make_profile(t, a, 1, NULL, "too large");
    size_t pad = 1100;
    size_t len = s.entry_len + 2 + 2 + pad; /* both varints take 2 bytes */
    uint8_t *bytes = grab(t, len);
    memcpy(bytes, s.entry, s.entry_len);
    uint8_t *p = bytes + s.entry_len;
    p = put_varint(p, 100 << 3 | 2); /* field 100, length-delimited */
    p = put_varint(p, pad);
    memset(p, 'x', pad);
    s.entry = bytes;
    s.entry_len = len;
    return publish(t, &s);
}

static int case_body_too_large(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup, int *then)
{
    /* a Profile whose name makes the body 65537 bytes: the name's tag and
     * 3-byte length, the name, and the other fields of make_profile */
    Raison__Profile rest = RAISON__PROFILE__INIT;
    rest.name = "";
    rest.site = "api-tool";
    rest.role = "tester";
    size_t name_len = RSN_BODY_MAX + 1 - 4 - raison__profile__get_packed_size(&rest);
    char *name = grab(t, name_len + 1);
    memset(name, 'n', name_len);
    signed_t s = make_profile(t, a, 1, NULL, name);
    if (s.body_len != RSN_BODY_MAX + 1) {
        die("the oversize body is not 65537 bytes");
    }
    return publish(t, &s);
}

static int case_body_hash_mismatch(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup,
                                   int *then)
{
    signed_t s = make_profile(t, a, 1, NULL, "body will change");
    s.body[s.body_len - 1] ^= 0x01; /* same size, other bytes */
    return publish(t, &s);
}

static int case_not_protobuf(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup, int *then)
{
    /* an overlong varint, then a field of wire type 7: never protobuf */
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0x0f, 0x07, 0x42};
    return send_raw(t, garbage, sizeof garbage);
}

static int case_missing_fields(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup, int *then)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PublishRequest pub = RAISON__PUBLISH_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;

    /* an ApiRequest with no call at all */
    if (rsn_client_call(t->client, &req, &reply) != 0) {
        die("the call without a call got no answer");
    }
    int code = reply_code(reply, RAISON__API_REPLY__RESULT__NOT_SET);
    /* a publish without its entry */
    req.call_case = RAISON__API_REQUEST__CALL_PUBLISH;
    req.publish = &pub;
    if (rsn_client_call(t->client, &req, &reply) != 0) {
        die("the publish without an entry got no answer");
    }
    *then = reply_code(reply, RAISON__API_REPLY__RESULT_PUBLISH);
    return code;
}

static int case_unknown_group(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup, int *then)
{
    uint8_t group[RSN_ID_BYTES];
    rsn_random(group, sizeof group);
    signed_t s = make_post(t, a, 1, NULL, group, "m1");
    return judge(t, &s, RAISON__KIND__KIND_POST);
}

static int case_unknown_mission(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup,
                                int *then)
{
    charter_opts_t o = {0};
    signed_t c = make_charter(t, a, a, 1, NULL, &o);
    publish_setup(t, &c, setup);
    signed_t s = make_post(t, a, 2, c.id, c.id, "no-such-mission");
    return judge(t, &s, RAISON__KIND__KIND_POST);
}

static int charter_case(tool_t *t, rsn_keypair_t *a, const charter_opts_t *o)
{
    signed_t c = make_charter(t, a, a, 1, NULL, o);
    return judge(t, &c, RAISON__KIND__KIND_CHARTER);
}

static int case_charter_no_purpose(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup,
                                   int *then)
{
    charter_opts_t o = {.no_purpose = true};
    return charter_case(t, a, &o);
}

static int case_charter_no_mission(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup,
                                   int *then)
{
    charter_opts_t o = {.no_mission = true};
    return charter_case(t, a, &o);
}

static int case_charter_no_benefit(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup,
                                   int *then)
{
    charter_opts_t o = {.no_benefit = true};
    return charter_case(t, a, &o);
}

static int case_amend_by_non_owner(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup,
                                   int *then)
{
    charter_opts_t o = {0};
    signed_t v1 = make_charter(t, a, a, 1, NULL, &o);
    publish_setup(t, &v1, setup);
    /* B signs version 2 and even names A as the owner: B is not one */
    charter_opts_t amend = {.group = v1.id, .supersedes = v1.id, .version = 2};
    signed_t v2 = make_charter(t, b, a, 1, NULL, &amend);
    return judge(t, &v2, RAISON__KIND__KIND_CHARTER);
}

static int case_non_member_post(tool_t *t, rsn_keypair_t *a, rsn_keypair_t *b, int *setup,
                                int *then)
{
    charter_opts_t o = {.access = RAISON__ACCESS__ACCESS_MEMBERS_ONLY};
    signed_t c = make_charter(t, a, a, 1, NULL, &o);
    publish_setup(t, &c, setup);
    signed_t s = make_post(t, b, 1, NULL, c.id, "m1");
    return judge(t, &s, RAISON__KIND__KIND_POST);
}

static const struct {
    const char *name;
    case_fn fn;
    int expected;
    int expected_then; /* -1: no second answer */
    bool semantic;     /* a semantic rule: judged as a draft, or signed */
} CASES[] = {
    {"bad-signature", case_bad_signature, RAISON__ERROR_CODE__ERROR_BAD_SIGNATURE, -1, false},
    {"wrong-seq", case_wrong_seq, RAISON__ERROR_CODE__ERROR_BAD_SEQ, -1, false},
    {"wrong-prev", case_wrong_prev, RAISON__ERROR_CODE__ERROR_BAD_PREV, -1, false},
    {"fork", case_fork, RAISON__ERROR_CODE__ERROR_FORK, RAISON__ERROR_CODE__ERROR_FEED_FROZEN,
     false},
    {"entry-too-large", case_entry_too_large, RAISON__ERROR_CODE__ERROR_TOO_LARGE, -1, false},
    {"body-too-large", case_body_too_large, RAISON__ERROR_CODE__ERROR_TOO_LARGE, -1, false},
    {"body-hash-mismatch", case_body_hash_mismatch, RAISON__ERROR_CODE__ERROR_BODY_MISMATCH, -1,
     false},
    {"not-protobuf", case_not_protobuf, RAISON__ERROR_CODE__ERROR_BAD_REQUEST, -1, false},
    {"missing-fields", case_missing_fields, RAISON__ERROR_CODE__ERROR_BAD_REQUEST,
     RAISON__ERROR_CODE__ERROR_BAD_REQUEST, false},
    {"unknown-group", case_unknown_group, RAISON__ERROR_CODE__ERROR_UNKNOWN_GROUP, -1, true},
    {"unknown-mission", case_unknown_mission, RAISON__ERROR_CODE__ERROR_UNKNOWN_MISSION, -1, true},
    {"charter-no-purpose", case_charter_no_purpose, RAISON__ERROR_CODE__ERROR_INVALID_CHARTER, -1,
     true},
    {"charter-no-mission", case_charter_no_mission, RAISON__ERROR_CODE__ERROR_INVALID_CHARTER, -1,
     true},
    {"charter-no-benefit", case_charter_no_benefit, RAISON__ERROR_CODE__ERROR_INVALID_CHARTER, -1,
     true},
    {"amend-by-non-owner", case_amend_by_non_owner, RAISON__ERROR_CODE__ERROR_NOT_OWNER, -1, true},
    {"non-member-post", case_non_member_post, RAISON__ERROR_CODE__ERROR_NOT_MEMBER, -1, true},
};

/* Runs the bad case NAME; "signed-NAME" runs a semantic case signed. */
static int run_bad(tool_t *t, const char *name)
{
    const char *signed_prefix = "signed-";
    bool signed_mode = strncmp(name, signed_prefix, strlen(signed_prefix)) == 0;
    const char *base = signed_mode ? name + strlen(signed_prefix) : name;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        if (strcmp(CASES[i].name, base) != 0 || (signed_mode && !CASES[i].semantic)) {
            continue;
        }
        t->mode = signed_mode ? JUDGE_SIGNED : JUDGE_DRAFT;
        rsn_keypair_t *a = fresh_key();
        rsn_keypair_t *b = fresh_key();
        int setup = 0;
        int then = -1;
        int code = CASES[i].fn(t, a, b, &setup, &then);
        rsn_keypair_destroy(&a);
        rsn_keypair_destroy(&b);
        char hex[RSN_KEY_HEX + 1] = "";
        if (t->stored) {
            rsn_hex_encode(hex, sizeof hex, t->stored_id, RSN_ID_BYTES);
        }
        if (CASES[i].expected_then >= 0) {
            printf("setup=%d code=%d then=%d\n", setup, code, then);
        } else if (signed_mode) {
            printf("setup=%d code=%d stored=%s\n", setup, code, hex);
        } else {
            printf("setup=%d code=%d\n", setup, code);
        }
        if (code != CASES[i].expected) {
            fprintf(stderr, "api_tool: %s: expected code %d, the node gave %d\n", name,
                    CASES[i].expected, code);
            return 1;
        }
        if (then != CASES[i].expected_then) {
            fprintf(stderr, "api_tool: %s: expected then %d, the node gave %d\n", name,
                    CASES[i].expected_then, then);
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "api_tool: no bad case named %s; the cases are:", name);
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        fprintf(stderr, " %s%s", CASES[i].name, CASES[i].semantic ? " (also signed-)" : "");
    }
    fprintf(stderr, "\n");
    return 2;
}

/* --- the other commands -------------------------------------------------- */

static int run_raw(tool_t *t, const char *hex)
{
    size_t len = 0;
    size_t max = strlen(hex) / 2 + 1;
    uint8_t *bytes = grab(t, max);
    if (rsn_hex_decode(bytes, max, &len, hex) != 0) {
        die("HEXBYTES is not hex");
    }
    printf("code=%d\n", send_raw(t, bytes, len));
    return 0;
}

static int run_junk(tool_t *t, const char *count)
{
    long n = strtol(count, NULL, 10);
    if (n <= 0 || n > 64L * 1024 * 1024) {
        die("N must be from 1 to 64 MiB");
    }
    uint8_t *bytes = grab(t, (size_t)n);
    memset(bytes, 0xff, (size_t)n);
    printf("code=%d\n", send_raw(t, bytes, (size_t)n));
    return 0;
}

/* Asks for the head of AUTHOR: *SEQ and ID (zeroed when seq is 0); 0, 2
 * when the call failed, 1 when the node answered otherwise. */
static int query_head(tool_t *t, const uint8_t author[RSN_KEY_BYTES], uint64_t *seq,
                      uint8_t id[RSN_ID_BYTES], bool *frozen)
{
    int rc = rsn_test_api_head(t->client, author, seq, id, frozen);
    if (rc == RSN_ERR_BAD_REQUEST || rc == RSN_ERR_INTERNAL) {
        return 1;
    }
    return rc == 0 ? 0 : 2;
}

static int run_head(tool_t *t, const char *key_hex)
{
    uint8_t key[RSN_KEY_BYTES];
    uint8_t id[RSN_ID_BYTES];
    char hex[RSN_KEY_HEX + 1];
    uint64_t seq = 0;
    bool frozen = false;

    if (rsn_key_from_hex(key, key_hex) != 0) {
        die("KEY is not 64 hex characters");
    }
    int rc = query_head(t, key, &seq, id, &frozen);
    if (rc != 0) {
        return rc;
    }
    printf("seq=%" PRIu64 " id=%s frozen=%d\n", seq,
           seq > 0 ? rsn_hex_encode(hex, sizeof hex, id, RSN_ID_BYTES) : "", frozen ? 1 : 0);
    return 0;
}

/* Asks for entry ID_HEX (into ID): 0 and *REPLY, whatever its result (the
 * caller frees it); 2 when the call failed. */
static int entry_call(tool_t *t, const char *id_hex, uint8_t id[RSN_ID_BYTES],
                      Raison__ApiReply **reply)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__EntryRequest er = RAISON__ENTRY_REQUEST__INIT;
    if (rsn_key_from_hex(id, id_hex) != 0) {
        die("ID is not 64 hex characters");
    }
    er.id.data = id;
    er.id.len = RSN_ID_BYTES;
    req.call_case = RAISON__API_REQUEST__CALL_ENTRY;
    req.entry = &er;
    int rc = rsn_client_call(t->client, &req, reply);
    if (rc != 0) {
        fprintf(stderr, "api_tool: entry call failed: %s\n", rsn_strerror(rc));
        return 2;
    }
    return 0;
}

static int run_has(tool_t *t, const char *id_hex)
{
    Raison__ApiReply *reply = NULL;
    uint8_t id[RSN_ID_BYTES];
    if (entry_call(t, id_hex, id, &reply) != 0) {
        return 2;
    }
    bool held = reply->result_case == RAISON__API_REPLY__RESULT_ENTRY &&
                reply->entry->entry != NULL && reply->entry->entry->id.len == RSN_ID_BYTES &&
                memcmp(reply->entry->entry->id.data, id, RSN_ID_BYTES) == 0;
    if (!held) {
        fprintf(stderr, "api_tool: %s is not held\n", id_hex);
    }
    rsn_test_reply_free(reply);
    return held ? 0 : 1;
}

/* Prints why the view judges entry ID_HEX invalid (EntryInfo.invalid): exit
 * 0 when it breaks a rule (it is shown nowhere), 1 when it keeps them. */
static int run_invalid(tool_t *t, const char *id_hex)
{
    Raison__ApiReply *reply = NULL;
    uint8_t id[RSN_ID_BYTES];
    if (entry_call(t, id_hex, id, &reply) != 0) {
        return 2;
    }
    const Raison__EntryInfo *info =
        reply->result_case == RAISON__API_REPLY__RESULT_ENTRY ? reply->entry->entry : NULL;
    const char *invalid = info ? info->invalid : NULL;
    bool broken = invalid && invalid[0];
    printf("invalid=%s\n", broken ? invalid : "");
    rsn_test_reply_free(reply);
    return broken ? 0 : 1;
}

static rsn_keypair_t *key_of_seed(const char *seed_hex)
{
    rsn_keypair_t *kp = NULL;
    int rc = rsn_test_keypair_from_hex(&kp, seed_hex);
    if (rc == RSN_ERR_INVALID_ARG) {
        die("SEED is not 64 hex characters");
    }
    if (rc != 0) {
        die("cannot make a key from SEED");
    }
    return kp;
}

static int run_pubkey(const char *seed_hex)
{
    char hex[RSN_KEY_HEX + 1];
    rsn_keypair_t *kp = key_of_seed(seed_hex);
    printf("%s\n", rsn_hex_encode(hex, sizeof hex, rsn_keypair_public(kp), RSN_KEY_BYTES));
    rsn_keypair_destroy(&kp);
    return 0;
}

/* Appends the id of S in hex and a newline to OUT (a FILE *), durably. */
static void record_ack(void *out, const signed_t *s)
{
    char hex[RSN_KEY_HEX + 1];
    if (fprintf(out, "%s\n", rsn_hex_encode(hex, sizeof hex, s->id, RSN_ID_BYTES)) < 0 ||
        fflush(out) != 0 || fsync(fileno(out)) != 0) {
        die("cannot record an acknowledged id");
    }
}

/* Publishes N profiles after the author's current head, keeping up to
 * BURST_WINDOW requests in flight; each acknowledged id goes to OUT. */
static int run_burst(tool_t *t, const char *seed_hex, long n, const char *out_path)
{
    int rc = 2;
    uint64_t head_seq = 0;
    bool frozen = false;
    uint8_t prev[RSN_ID_BYTES];
    rsn_keypair_t *kp = key_of_seed(seed_hex);
    FILE *out = fopen(out_path, "a");

    if (out == NULL || n <= 0) {
        fprintf(stderr, "api_tool: cannot open %s or bad N\n", out_path);
        goto out;
    }
    rc = query_head(t, rsn_keypair_public(kp), &head_seq, prev, &frozen);
    if (rc != 0) {
        goto out;
    }
    /* the tool's one arena holds N entries of about 200 bytes, which is fine */
    signed_t *all = grab(t, (size_t)n * sizeof *all);
    signed_t **order = grab(t, (size_t)n * sizeof *order);
    for (long i = 0; i < n; i++) {
        uint64_t seq = head_seq + 1 + (uint64_t)i;
        char name[48];
        snprintf(name, sizeof name, "burst %" PRIu64, seq);
        const uint8_t *after = i > 0 ? all[i - 1].id : seq == 1 ? NULL : prev;
        all[i] = make_profile(t, kp, seq, after, name);
        order[i] = &all[i];
    }
    rsn_test_publish_opts_t o = {
        .inflight = BURST_WINDOW, .allow_duplicate = true, .on_ack = record_ack, .ctx = out};
    if (rsn_test_api_publish_all(t->client, order, (size_t)n, &o) != 0) {
        rc = 1;
        goto out;
    }
    printf("acked=%ld\n", n);
    rc = 0;
out:
    if (out != NULL) {
        fclose(out);
    }
    rsn_keypair_destroy(&kp);
    return rc;
}

/* N fresh authors join GROUP_HEX (seq 1 of each feed), pipelined. */
static int run_join_many(tool_t *t, const char *group_hex, long n)
{
    uint8_t group[RSN_ID_BYTES];
    if (rsn_key_from_hex(group, group_hex) != 0 || n <= 0) {
        die("join-many takes a group id in hex and N > 0");
    }
    signed_t *all = grab(t, (size_t)n * sizeof *all);
    signed_t **order = grab(t, (size_t)n * sizeof *order);
    for (long i = 0; i < n; i++) {
        rsn_keypair_t *kp = fresh_key();
        Raison__Membership m = RAISON__MEMBERSHIP__INIT;
        m.group.data = group;
        m.group.len = RSN_ID_BYTES;
        m.action = RAISON__ACTION__ACTION_JOIN;
        m.charter = m.group;
        all[i] = make_entry(t, kp, 1, NULL, RAISON__KIND__KIND_MEMBERSHIP, &m.base);
        order[i] = &all[i];
        rsn_keypair_destroy(&kp);
    }
    rsn_test_publish_opts_t o = {.inflight = BURST_WINDOW, .allow_duplicate = false};
    if (rsn_test_api_publish_all(t->client, order, (size_t)n, &o) != 0) {
        return 1;
    }
    printf("joined=%ld\n", n);
    return 0;
}

/* Publishes seq 1 of SEED's feed: a profile named TEXT, or (GROUP_HEX not
 * NULL) a post of TEXT in that group for MISSION. Prints its id. */
static int run_seq1(tool_t *t, const char *seed_hex, const char *text, const char *group_hex,
                    const char *mission)
{
    char hex[RSN_KEY_HEX + 1];
    uint8_t group[RSN_ID_BYTES];
    rsn_keypair_t *kp = key_of_seed(seed_hex);
    signed_t s;

    if (group_hex != NULL) {
        if (rsn_key_from_hex(group, group_hex) != 0) {
            die("GROUP is not 64 hex characters");
        }
        s = make_post_text(t, kp, 1, NULL, group, mission, text);
    } else {
        s = make_profile(t, kp, 1, NULL, text);
    }
    rsn_keypair_destroy(&kp);
    int code = publish(t, &s);
    printf("id=%s code=%d\n", rsn_hex_encode(hex, sizeof hex, s.id, RSN_ID_BYTES), code);
    return code == 0 ? 0 : 1;
}

/* Publishes, after SEED's head, a post of TEXT in GROUP_HEX for MISSION
 * stamped TS_TEXT; prints its id and the node's code. */
static int run_post_at(tool_t *t, const char *seed_hex, const char *group_hex, const char *mission,
                       const char *ts_text, const char *text)
{
    char hex[RSN_KEY_HEX + 1];
    uint8_t group[RSN_ID_BYTES];
    uint8_t prev[RSN_ID_BYTES];
    uint64_t seq = 0;
    bool frozen = false;
    char *end = NULL;

    if (rsn_key_from_hex(group, group_hex) != 0) {
        die("GROUP is not 64 hex characters");
    }
    unsigned long long ts = strtoull(ts_text, &end, 10);
    if (end == ts_text || *end != '\0' || ts == 0) {
        die("TS_MS must be a positive number of milliseconds");
    }
    rsn_keypair_t *kp = key_of_seed(seed_hex);
    int rc = query_head(t, rsn_keypair_public(kp), &seq, prev, &frozen);
    if (rc != 0) {
        rsn_keypair_destroy(&kp);
        return rc;
    }
    stamp_ms = (uint64_t)ts;
    signed_t s = make_post_text(t, kp, seq + 1, seq > 0 ? prev : NULL, group, mission, text);
    stamp_ms = 0;
    rsn_keypair_destroy(&kp);
    int code = publish(t, &s);
    printf("id=%s code=%d\n", rsn_hex_encode(hex, sizeof hex, s.id, RSN_ID_BYTES), code);
    return code == 0 ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: api_tool SOCKET raw HEXBYTES | junk N | bad CASE | "
                    "publish-burst SEED N OUTFILE | join-many GROUP N | has ID | invalid ID | head "
                    "KEY | pubkey SEED | "
                    "publish-seq1 SEED TEXT [GROUP MISSION] | "
                    "post-at SEED GROUP MISSION TS_MS TEXT\n");
    exit(2);
}

int main(int argc, char **argv)
{
    tool_t t = {0};
    int rc = 2;

    if (argc < 4) {
        usage();
    }
    rsn_log_setup("api_tool", RSN_LOG_WARN);
    if (rsn_crypto_init() != 0) {
        die("libsodium does not start");
    }
    const char *cmd = argv[2];
    if (strcmp(cmd, "pubkey") == 0) {
        return run_pubkey(argv[3]);
    }
    t.arena = rsn_arena_new();
    if (t.arena == NULL) {
        die("out of memory");
    }
    const char *timeout = getenv("API_TOOL_TIMEOUT_MS");
    rc = rsn_client_connect(&t.client, argv[1], timeout ? atoi(timeout) : TIMEOUT_MS);
    if (rc != 0) {
        fprintf(stderr, "api_tool: cannot connect to %s: %s\n", argv[1], rsn_strerror(rc));
        rc = 2;
        goto out;
    }
    if (strcmp(cmd, "raw") == 0) {
        rc = run_raw(&t, argv[3]);
    } else if (strcmp(cmd, "junk") == 0) {
        rc = run_junk(&t, argv[3]);
    } else if (strcmp(cmd, "bad") == 0) {
        rc = run_bad(&t, argv[3]);
    } else if (strcmp(cmd, "has") == 0) {
        rc = run_has(&t, argv[3]);
    } else if (strcmp(cmd, "invalid") == 0) {
        rc = run_invalid(&t, argv[3]);
    } else if (strcmp(cmd, "head") == 0) {
        rc = run_head(&t, argv[3]);
    } else if (strcmp(cmd, "publish-seq1") == 0 && (argc == 5 || argc == 7)) {
        rc = run_seq1(&t, argv[3], argv[4], argc == 7 ? argv[5] : NULL, argc == 7 ? argv[6] : NULL);
    } else if (strcmp(cmd, "post-at") == 0 && argc == 8) {
        rc = run_post_at(&t, argv[3], argv[4], argv[5], argv[6], argv[7]);
    } else if (strcmp(cmd, "join-many") == 0 && argc == 5) {
        rc = run_join_many(&t, argv[3], strtol(argv[4], NULL, 10));
    } else if (strcmp(cmd, "publish-burst") == 0 && argc == 6) {
        rc = run_burst(&t, argv[3], strtol(argv[4], NULL, 10), argv[5]);
    } else {
        usage();
    }
out:
    rsn_client_destroy(&t.client);
    rsn_arena_destroy(&t.arena);
    return rc;
}
