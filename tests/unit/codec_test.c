/* codec_test.c — the bounded decoders of proto/codec.c: a well-formed Entry
 * is accepted and each structural fault of DESIGN.md is refused with its own
 * code; bodies of every kind decode, garbage does not; API requests; mission
 * keys. Entries are built with the protobuf-c generated code, as a client
 * would build them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/codec.h"

static uint8_t author[32];
static uint8_t prev_id[32];
static uint8_t hash[32];

/* Garbage that no message decodes: a length-delimited field 1 that claims 80
 * bytes and has 3, and a tag varint that never ends. */
static const uint8_t truncated[] = {0x0a, 0x50, 'a', 'b', 'c'};
static const uint8_t endless[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static int setup(void **state)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return -1;
    }
    memset(author, 0xa1, sizeof author);
    memset(prev_id, 0xb2, sizeof prev_id);
    memset(hash, 0xc3, sizeof hash);
    *state = arena;
    return 0;
}

static int teardown(void **state)
{
    rsn_arena_t *arena = *state;
    rsn_arena_destroy(&arena);
    return 0;
}

/* A well-formed header: seq 2 of AUTHOR, a post of 100 bytes. */
static Raison__Entry good_entry(void)
{
    Raison__Entry e = RAISON__ENTRY__INIT;
    e.author.data = author;
    e.author.len = sizeof author;
    e.seq = 2;
    e.prev.data = prev_id;
    e.prev.len = sizeof prev_id;
    e.timestamp = 1790000000000ULL;
    e.kind = RAISON__KIND__KIND_POST;
    e.body_hash.data = hash;
    e.body_hash.len = sizeof hash;
    e.body_size = 100;
    return e;
}

static size_t pack_entry(const Raison__Entry *e, uint8_t *buf, size_t size)
{
    size_t n = raison__entry__get_packed_size(e);
    assert_true(n <= size);
    assert_int_equal(raison__entry__pack(e, buf), n);
    return n;
}

/* Packs E, decodes it and returns the code; WHY is filled on failure. */
static int decode(rsn_arena_t *arena, const Raison__Entry *e, Raison__Entry **out)
{
    uint8_t buf[2048];
    size_t n = pack_entry(e, buf, sizeof buf);
    char why[128] = "";
    int rc = rsn_entry_decode(arena, buf, n, out, why, sizeof why);
    if (rc == 0) {
        assert_string_equal(why, "");
    } else {
        assert_true(strlen(why) > 0);
        assert_null(*out);
    }
    return rc;
}

static void test_entry_good(void **state)
{
    rsn_arena_t *arena = *state;
    Raison__Entry e = good_entry();
    Raison__Entry *out = NULL;
    assert_int_equal(decode(arena, &e, &out), 0);
    assert_non_null(out);
    assert_int_equal(out->author.len, 32);
    assert_memory_equal(out->author.data, author, 32);
    assert_int_equal(out->seq, 2);
    assert_int_equal(out->prev.len, 32);
    assert_memory_equal(out->prev.data, prev_id, 32);
    assert_int_equal(out->timestamp, 1790000000000ULL);
    assert_int_equal(out->kind, RAISON__KIND__KIND_POST);
    assert_memory_equal(out->body_hash.data, hash, 32);
    assert_int_equal(out->body_size, 100);

    /* seq 1 with an empty prev */
    e.seq = 1;
    e.prev.data = NULL;
    e.prev.len = 0;
    out = NULL;
    assert_int_equal(decode(arena, &e, &out), 0);
    assert_int_equal(out->seq, 1);
    assert_int_equal(out->prev.len, 0);

    /* the limits themselves are allowed: body of 65536, every kind 1..5 */
    e.body_size = RSN_BODY_MAX;
    for (int k = RAISON__KIND__KIND_CHARTER; k <= RAISON__KIND__KIND_RETRACTION; k++) {
        e.kind = (Raison__Kind)k;
        assert_int_equal(decode(arena, &e, &out), 0);
        assert_int_equal(out->kind, k);
    }

    /* WHY may be NULL */
    uint8_t buf[256];
    size_t n = pack_entry(&e, buf, sizeof buf);
    assert_int_equal(rsn_entry_decode(arena, buf, n, &out, NULL, 0), 0);
    e.kind = RAISON__KIND__KIND_UNSPECIFIED;
    n = pack_entry(&e, buf, sizeof buf);
    assert_int_equal(rsn_entry_decode(arena, buf, n, &out, NULL, 0), RSN_ERR_BAD_ENTRY);
    assert_null(out);
}

static void test_entry_faults(void **state)
{
    rsn_arena_t *arena = *state;
    Raison__Entry *out = NULL;
    Raison__Entry e;

    e = good_entry();
    e.author.len = 31;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);
    e.author.len = 0;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);

    e = good_entry();
    e.seq = 0;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);
    e.prev.len = 0;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);

    e = good_entry();
    e.seq = 1; /* with a prev */
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);

    e = good_entry();
    e.prev.data = NULL;
    e.prev.len = 0; /* seq 2 without a prev */
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);
    e.prev.data = prev_id;
    e.prev.len = 31;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);

    e = good_entry();
    e.kind = RAISON__KIND__KIND_UNSPECIFIED;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);
    e.kind = (Raison__Kind)6;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);
    e.kind = (Raison__Kind)9;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);

    e = good_entry();
    e.body_hash.len = 31;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);
    e.body_hash.len = 0;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_BAD_ENTRY);

    e = good_entry();
    e.body_size = RSN_BODY_MAX + 1;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_TOO_LARGE);
    e.body_size = UINT32_MAX;
    assert_int_equal(decode(arena, &e, &out), RSN_ERR_TOO_LARGE);
}

/* A good entry padded with an unknown field 15 to exactly LEN bytes. */
static size_t padded_entry(uint8_t *buf, size_t size, size_t len)
{
    Raison__Entry e = good_entry();
    size_t n = pack_entry(&e, buf, size);
    size_t pad = len - n - 3; /* tag (1) + two-byte length */
    assert_true(pad >= 128 && pad < 16384 && len <= size);
    buf[n] = (15 << 3) | 2;
    buf[n + 1] = (uint8_t)(0x80 | (pad & 0x7f));
    buf[n + 2] = (uint8_t)(pad >> 7);
    memset(buf + n + 3, 'x', pad);
    return len;
}

static void test_entry_size_and_garbage(void **state)
{
    rsn_arena_t *arena = *state;
    Raison__Entry *out = NULL;
    char why[128];
    uint8_t buf[2048];

    size_t n = padded_entry(buf, sizeof buf, RSN_ENTRY_MAX);
    assert_int_equal(rsn_entry_decode(arena, buf, n, &out, why, sizeof why), 0);
    assert_non_null(out);
    assert_int_equal(out->seq, 2);

    n = padded_entry(buf, sizeof buf, RSN_ENTRY_MAX + 1);
    assert_int_equal(rsn_entry_decode(arena, buf, n, &out, why, sizeof why), RSN_ERR_TOO_LARGE);
    assert_null(out);
    assert_true(strlen(why) > 0);

    assert_int_equal(rsn_entry_decode(arena, truncated, sizeof truncated, &out, why, sizeof why),
                     RSN_ERR_BAD_ENTRY);
    assert_null(out);
    assert_int_equal(rsn_entry_decode(arena, endless, sizeof endless, &out, why, sizeof why),
                     RSN_ERR_BAD_ENTRY);
    assert_null(out);
    /* nothing at all decodes as an all-default Entry, which is malformed */
    assert_int_equal(rsn_entry_decode(arena, buf, 0, &out, why, sizeof why), RSN_ERR_BAD_ENTRY);
    assert_null(out);
}

static void test_body_each_kind(void **state)
{
    rsn_arena_t *arena = *state;
    uint8_t *bytes = NULL;
    size_t len = 0;
    void *out = NULL;

    Raison__Mission mission = RAISON__MISSION__INIT;
    mission.key = "ship-it";
    mission.goal = "ship it";
    Raison__Mission *missions[] = {&mission};
    char *benefits[] = {"learn"};
    Raison__DataPolicy policy = RAISON__DATA_POLICY__INIT;
    policy.readers = "everyone";
    policy.retention_days = 30;
    Raison__Charter charter = RAISON__CHARTER__INIT;
    charter.version = 1;
    charter.name = "crew";
    charter.purpose = "work";
    charter.n_missions = 1;
    charter.missions = missions;
    charter.n_benefits = 1;
    charter.benefits = benefits;
    charter.data_policy = &policy;
    charter.access = RAISON__ACCESS__ACCESS_OPEN;
    ProtobufCBinaryData owners[] = {{32, author}};
    charter.n_owners = 1;
    charter.owners = owners;
    assert_int_equal(rsn_pack(arena, &charter.base, &bytes, &len), 0);
    assert_int_equal(rsn_body_decode(arena, RAISON__KIND__KIND_CHARTER, bytes, len, &out), 0);
    Raison__Charter *c = out;
    assert_string_equal(c->name, "crew");
    assert_int_equal(c->n_missions, 1);
    assert_string_equal(c->missions[0]->key, "ship-it");
    assert_string_equal(c->benefits[0], "learn");
    assert_int_equal(c->data_policy->retention_days, 30);
    assert_int_equal(c->access, RAISON__ACCESS__ACCESS_OPEN);
    assert_int_equal(c->n_owners, 1);
    assert_memory_equal(c->owners[0].data, author, 32);

    Raison__Membership m = RAISON__MEMBERSHIP__INIT;
    m.group.data = hash;
    m.group.len = 32;
    m.action = RAISON__ACTION__ACTION_JOIN;
    assert_int_equal(rsn_pack(arena, &m.base, &bytes, &len), 0);
    assert_int_equal(rsn_body_decode(arena, RAISON__KIND__KIND_MEMBERSHIP, bytes, len, &out), 0);
    assert_int_equal(((Raison__Membership *)out)->action, RAISON__ACTION__ACTION_JOIN);
    assert_int_equal(((Raison__Membership *)out)->group.len, 32);

    Raison__Post p = RAISON__POST__INIT;
    p.mission = "ship-it";
    p.text = "hello";
    assert_int_equal(rsn_pack(arena, &p.base, &bytes, &len), 0);
    assert_int_equal(rsn_body_decode(arena, RAISON__KIND__KIND_POST, bytes, len, &out), 0);
    assert_string_equal(((Raison__Post *)out)->text, "hello");
    assert_string_equal(((Raison__Post *)out)->mission, "ship-it");

    Raison__Profile pr = RAISON__PROFILE__INIT;
    pr.name = "Ada";
    pr.site = "lyon";
    assert_int_equal(rsn_pack(arena, &pr.base, &bytes, &len), 0);
    assert_int_equal(rsn_body_decode(arena, RAISON__KIND__KIND_PROFILE, bytes, len, &out), 0);
    assert_string_equal(((Raison__Profile *)out)->site, "lyon");

    Raison__Retraction r = RAISON__RETRACTION__INIT;
    r.target.data = prev_id;
    r.target.len = 32;
    r.erase = 1;
    assert_int_equal(rsn_pack(arena, &r.base, &bytes, &len), 0);
    assert_int_equal(rsn_body_decode(arena, RAISON__KIND__KIND_RETRACTION, bytes, len, &out), 0);
    assert_true(((Raison__Retraction *)out)->erase);
    assert_memory_equal(((Raison__Retraction *)out)->target.data, prev_id, 32);
}

static void test_body_refused(void **state)
{
    rsn_arena_t *arena = *state;
    void *out = (void *)1;
    for (int k = RAISON__KIND__KIND_CHARTER; k <= RAISON__KIND__KIND_RETRACTION; k++) {
        out = (void *)1;
        assert_int_equal(rsn_body_decode(arena, (Raison__Kind)k, truncated, sizeof truncated, &out),
                         RSN_ERR_INVALID_BODY);
        assert_null(out);
        assert_int_equal(rsn_body_decode(arena, (Raison__Kind)k, endless, sizeof endless, &out),
                         RSN_ERR_INVALID_BODY);
    }
    /* a kind that has no body type */
    Raison__Post p = RAISON__POST__INIT;
    p.text = "x";
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(rsn_pack(arena, &p.base, &bytes, &len), 0);
    assert_int_equal(rsn_body_decode(arena, RAISON__KIND__KIND_UNSPECIFIED, bytes, len, &out),
                     RSN_ERR_INVALID_BODY);
    assert_int_equal(rsn_body_decode(arena, (Raison__Kind)9, bytes, len, &out),
                     RSN_ERR_INVALID_BODY);

    /* over 64 KiB, checked before unpacking */
    uint8_t *big = calloc(1, RSN_BODY_MAX + 1);
    assert_non_null(big);
    assert_int_equal(rsn_body_decode(arena, RAISON__KIND__KIND_POST, big, RSN_BODY_MAX + 1, &out),
                     RSN_ERR_TOO_LARGE);
    assert_null(out);
    free(big);
}

static void test_request(void **state)
{
    rsn_arena_t *arena = *state;
    Raison__StatusRequest status = RAISON__STATUS_REQUEST__INIT;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    req.request_id = 42;
    req.call_case = RAISON__API_REQUEST__CALL_STATUS;
    req.status = &status;
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(rsn_pack(arena, &req.base, &bytes, &len), 0);
    assert_true(len > 0);

    Raison__ApiRequest *out = NULL;
    assert_int_equal(rsn_request_decode(arena, bytes, len, &out), 0);
    assert_non_null(out);
    assert_int_equal(out->request_id, 42);
    assert_int_equal(out->call_case, RAISON__API_REQUEST__CALL_STATUS);

    assert_int_equal(rsn_request_decode(arena, truncated, sizeof truncated, &out),
                     RSN_ERR_BAD_REQUEST);
    assert_null(out);
    assert_int_equal(rsn_request_decode(arena, endless, sizeof endless, &out), RSN_ERR_BAD_REQUEST);
    assert_null(out);

    /* far over any request's size: refused before unpacking */
    size_t huge = 1024 * 1024;
    uint8_t *big = calloc(1, huge);
    assert_non_null(big);
    assert_int_equal(rsn_request_decode(arena, big, huge, &out), RSN_ERR_TOO_LARGE);
    assert_null(out);
    free(big);
}

static void test_pack_round_trip(void **state)
{
    rsn_arena_t *arena = *state;
    Raison__Entry e = good_entry();
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(rsn_pack(arena, &e.base, &bytes, &len), 0);
    uint8_t direct[256];
    size_t n = pack_entry(&e, direct, sizeof direct);
    assert_int_equal(len, n);
    assert_memory_equal(bytes, direct, n);

    /* an all-default message packs to nothing */
    Raison__Profile empty = RAISON__PROFILE__INIT;
    assert_int_equal(rsn_pack(arena, &empty.base, &bytes, &len), 0);
    assert_non_null(bytes);
    assert_int_equal(len, 0);
}

static void test_mission_key(void **state)
{
    (void)state;
    assert_true(rsn_mission_key_valid("a"));
    assert_true(rsn_mission_key_valid("ship-it"));
    assert_true(rsn_mission_key_valid("q3-2026"));
    assert_true(rsn_mission_key_valid("-"));
    assert_true(rsn_mission_key_valid("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */

    assert_false(rsn_mission_key_valid(""));
    assert_false(rsn_mission_key_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
    assert_false(rsn_mission_key_valid("Ship"));
    assert_false(rsn_mission_key_valid("ship it"));
    assert_false(rsn_mission_key_valid("ship_it"));
    assert_false(rsn_mission_key_valid("ship.it"));
    assert_false(rsn_mission_key_valid("caf\xc3\xa9"));
    assert_false(rsn_mission_key_valid("tab\t"));
}

static void test_kind_name(void **state)
{
    (void)state;
    assert_string_equal(rsn_kind_name(RAISON__KIND__KIND_CHARTER), "charter");
    assert_string_equal(rsn_kind_name(RAISON__KIND__KIND_MEMBERSHIP), "membership");
    assert_string_equal(rsn_kind_name(RAISON__KIND__KIND_POST), "post");
    assert_string_equal(rsn_kind_name(RAISON__KIND__KIND_PROFILE), "profile");
    assert_string_equal(rsn_kind_name(RAISON__KIND__KIND_RETRACTION), "retraction");
    assert_string_equal(rsn_kind_name(RAISON__KIND__KIND_UNSPECIFIED), "unspecified");
    assert_string_equal(rsn_kind_name((Raison__Kind)9), "unspecified");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_entry_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_size_and_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_each_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pack_round_trip, setup, teardown),
        cmocka_unit_test(test_mission_key),
        cmocka_unit_test(test_kind_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
