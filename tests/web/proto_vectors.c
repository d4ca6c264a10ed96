/* proto_vectors.c — test vectors for the page's protobuf encoder (proto.js).
 *
 * The page encodes Entry headers and bodies itself (node/web/static/proto.js)
 * and signs them with WebCrypto. This tool builds the same messages with the
 * protobuf-c code every node uses, packs them, and prints one JSON array:
 * each vector names the message, gives its fields (bytes in lowercase hex,
 * keys as JSON names of proto/raison.proto) and the packed bytes in hex.
 * A last vector is an Entry signed by the key of seed 32 x 0x07, with its id
 * and signature, so tests/web/proto_test.mjs also checks the signing input
 * and the id. The test encodes each field set with proto.js and compares. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "raison.pb-c.h"
#include "support/keys.h"

/* The largest packed message a vector may hold: these are all small. */
#define VEC_BYTES_MAX 1024

static json_t *hexj(const uint8_t *b, size_t n)
{
    char buf[2 * VEC_BYTES_MAX + 1];
    return json_string(rsn_hex_encode(buf, sizeof buf, b, n));
}

static void fill(uint8_t *b, size_t n, uint8_t start)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(start + i);
}

static int add(json_t *out, const char *type, json_t *fields, const ProtobufCMessage *m)
{
    uint8_t buf[VEC_BYTES_MAX];
    size_t n = protobuf_c_message_get_packed_size(m);
    if (n > sizeof buf)
        return -1;
    protobuf_c_message_pack(m, buf);
    json_array_append_new(
        out, json_pack("{s:s,s:o,s:o}", "type", type, "fields", fields, "hex", hexj(buf, n)));
    return 0;
}

static uint8_t k1[32], k2[32], id1[32], id2[32];

static int charters(json_t *out)
{
    Raison__Mission m1 = RAISON__MISSION__INIT, m2 = RAISON__MISSION__INIT;
    Raison__Mission *ms[2] = {&m1, &m2};
    Raison__DataPolicy dp = RAISON__DATA_POLICY__INIT;
    Raison__Charter c = RAISON__CHARTER__INIT;
    char *benefits[2] = {"faster fixes", "café — ünïcode ✓"};
    ProtobufCBinaryData owners[2] = {{32, k1}, {32, k2}};
    m1.key = "triage";
    m1.goal = "every incident owned within 1 h";
    m2.key = "post-mortems";
    m2.goal = "";
    dp.readers = "members";
    dp.use = "improving ops; never appraisal";
    dp.retention_days = 365;
    c.version = 1;
    c.name = "ops";
    c.purpose = "keep the sites running";
    c.n_missions = 2;
    c.missions = ms;
    c.n_benefits = 2;
    c.benefits = benefits;
    c.data_policy = &dp;
    c.access = RAISON__ACCESS__ACCESS_OPEN;
    c.n_owners = 2;
    c.owners = owners;
    json_t *f =
        json_pack("{s:i,s:s,s:s,s:[{s:s,s:s},{s:s,s:s}],s:[s,s],s:{s:s,s:s,s:i},s:i,s:[o,o]}",
                  "version", 1, "name", "ops", "purpose", "keep the sites running", "missions",
                  "key", "triage", "goal", m1.goal, "key", "post-mortems", "goal", "", "benefits",
                  benefits[0], benefits[1], "data_policy", "readers", dp.readers, "use", dp.use,
                  "retention_days", 365, "access", 1, "owners", hexj(k1, 32), hexj(k2, 32));
    if (add(out, "charter", f, &c.base) != 0)
        return -1;

    /* an amendment: group, supersedes, version 2, members-only, empty policy */
    Raison__DataPolicy empty = RAISON__DATA_POLICY__INIT;
    c.group.len = 32;
    c.group.data = id1;
    c.supersedes.len = 32;
    c.supersedes.data = id2;
    c.version = 2;
    c.access = RAISON__ACCESS__ACCESS_MEMBERS_ONLY;
    c.n_missions = 1;
    c.n_benefits = 1;
    c.n_owners = 1;
    c.data_policy = &empty;
    f = json_pack("{s:o,s:i,s:o,s:s,s:s,s:[{s:s,s:s}],s:[s],s:{},s:i,s:[o]}", "group",
                  hexj(id1, 32), "version", 2, "supersedes", hexj(id2, 32), "name", "ops",
                  "purpose", "keep the sites running", "missions", "key", "triage", "goal", m1.goal,
                  "benefits", benefits[0], "data_policy", "access", 2, "owners", hexj(k1, 32));
    return add(out, "charter", f, &c.base);
}

static int others(json_t *out)
{
    Raison__Membership mb = RAISON__MEMBERSHIP__INIT;
    mb.group = (ProtobufCBinaryData){32, id1};
    mb.action = RAISON__ACTION__ACTION_JOIN;
    mb.charter = (ProtobufCBinaryData){32, id2};
    if (add(out, "membership",
            json_pack("{s:o,s:i,s:o}", "group", hexj(id1, 32), "action", 1, "charter",
                      hexj(id2, 32)),
            &mb.base) != 0)
        return -1;
    mb.action = RAISON__ACTION__ACTION_REMOVE;
    mb.member = (ProtobufCBinaryData){32, k2};
    mb.member_seq = 300;
    mb.answers = (ProtobufCBinaryData){32, id1};
    if (add(out, "membership",
            json_pack("{s:o,s:i,s:o,s:o,s:i,s:o}", "group", hexj(id1, 32), "action", 4, "member",
                      hexj(k2, 32), "charter", hexj(id2, 32), "member_seq", 300, "answers",
                      hexj(id1, 32)),
            &mb.base) != 0)
        return -1;

    Raison__Post p = RAISON__POST__INIT;
    p.group = (ProtobufCBinaryData){32, id1};
    p.mission = "triage";
    p.text = "<img src=x onerror=alert(1)> line\nnext";
    if (add(out, "post",
            json_pack("{s:o,s:s,s:s}", "group", hexj(id1, 32), "mission", p.mission, "text",
                      p.text),
            &p.base) != 0)
        return -1;
    p.reply_to = (ProtobufCBinaryData){32, id2};
    p.charter = (ProtobufCBinaryData){32, id1};
    if (add(out, "post",
            json_pack("{s:o,s:s,s:s,s:o,s:o}", "group", hexj(id1, 32), "mission", p.mission, "text",
                      p.text, "reply_to", hexj(id2, 32), "charter", hexj(id1, 32)),
            &p.base) != 0)
        return -1;

    Raison__Profile pr = RAISON__PROFILE__INIT;
    pr.name = "Alice Martin";
    pr.site = "paris";
    pr.role = "";
    if (add(out, "profile",
            json_pack("{s:s,s:s,s:s}", "name", pr.name, "site", "paris", "role", ""),
            &pr.base) != 0)
        return -1;

    Raison__Retraction r = RAISON__RETRACTION__INIT;
    r.target = (ProtobufCBinaryData){32, id2};
    if (add(out, "retraction", json_pack("{s:o,s:b}", "target", hexj(id2, 32), "erase", 0),
            &r.base) != 0)
        return -1;
    r.erase = true;
    return add(out, "retraction", json_pack("{s:o,s:b}", "target", hexj(id2, 32), "erase", 1),
               &r.base);
}

/* Entries: seq 1 (no prev), a later one with a large timestamp; the last is
 * signed by the seeded key, with its id and signature. */
static int entries(json_t *out)
{
    rsn_keypair_t *kp = NULL;
    if (rsn_test_keypair_seeded(&kp, 0x07) != 0)
        return -1;
    const uint8_t *pk = rsn_keypair_public(kp);
    uint8_t hash[32];
    rsn_sha256(hash, "body", 4);
    Raison__Entry e = RAISON__ENTRY__INIT;
    e.author = (ProtobufCBinaryData){32, (uint8_t *)pk};
    e.seq = 1;
    e.timestamp = 1764633600123ULL;
    e.kind = RAISON__KIND__KIND_PROFILE;
    e.body_hash = (ProtobufCBinaryData){32, hash};
    e.body_size = 4;
    int rc = add(out, "entry",
                 json_pack("{s:o,s:i,s:I,s:i,s:o,s:i}", "author", hexj(pk, 32), "seq", 1,
                           "timestamp", (json_int_t)e.timestamp, "kind", 4, "body_hash",
                           hexj(hash, 32), "body_size", 4),
                 &e.base);
    if (rc != 0)
        goto out;
    e.seq = 70000;
    e.prev = (ProtobufCBinaryData){32, id1};
    e.timestamp = 4102444800000ULL;
    e.kind = RAISON__KIND__KIND_POST;
    e.body_size = 65536;
    uint8_t buf[VEC_BYTES_MAX], sig[64], id[32];
    size_t n = protobuf_c_message_get_packed_size(&e.base);
    protobuf_c_message_pack(&e.base, buf);
    rsn_entry_id(id, buf, n);
    rc = rsn_keypair_sign_entry(kp, buf, n, sig);
    if (rc != 0)
        goto out;
    uint8_t seed[32];
    memset(seed, 0x07, sizeof seed);
    json_array_append_new(
        out, json_pack("{s:s,s:{s:o,s:i,s:o,s:I,s:i,s:o,s:i},s:o,s:o,s:o,s:o}", "type", "entry",
                       "fields", "author", hexj(pk, 32), "seq", 70000, "prev", hexj(id1, 32),
                       "timestamp", (json_int_t)e.timestamp, "kind", 3, "body_hash", hexj(hash, 32),
                       "body_size", 65536, "hex", hexj(buf, n), "id", hexj(id, 32), "signature",
                       hexj(sig, 64), "seed", hexj(seed, 32)));
out:
    rsn_keypair_destroy(&kp);
    return rc;
}

int main(void)
{
    if (rsn_crypto_init() != 0)
        return 1;
    fill(k1, 32, 0x10);
    fill(k2, 32, 0x80);
    fill(id1, 32, 0xc0);
    fill(id2, 32, 0x01);
    json_t *out = json_array();
    int rc = charters(out);
    if (rc == 0)
        rc = others(out);
    if (rc == 0)
        rc = entries(out);
    if (rc != 0) {
        fprintf(stderr, "proto_vectors: building the vectors failed\n");
        json_decref(out);
        return 1;
    }
    char *s = json_dumps(out, JSON_INDENT(1));
    puts(s);
    free(s);
    json_decref(out);
    return 0;
}
