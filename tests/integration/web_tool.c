/* web_tool.c — what the page does with its key, for the `raison web` tests
 * (test_web_*.sh): the tests drive the server with curl and sign outside
 * it, as a browser would, with a seeded key (rsn_test_keypair_seeded).
 *
 *   web_tool key SEED                      the public key of seed byte SEED, hex
 *   web_tool login SEED ORIGIN CHALLENGE   the login signature (base64) over
 *                                          "raison-web-login-v1" 0 ORIGIN 0
 *                                          CHALLENGE (CHALLENGE in base64)
 *   web_tool login-many SEED ORIGIN        the same for each challenge read
 *                                          from stdin, one a line (flushed)
 *   web_tool post-body GROUP MISSION TEXT [CHARTER]
 *                                          a Post body in base64 (GROUP and
 *                                          CHARTER in hex; no charter: empty)
 *   web_tool profile-body NAME SITE        a Profile body in base64
 *   web_tool sign SEED KIND SEQ PREV TS BODY
 *                                          the signed entry of SEED's feed:
 *                                          KIND post|profile|..., PREV hex or
 *                                          "-", BODY base64; prints
 *                                          {"entry","signature","body","id"}
 *
 * SEED is a number 1..255. Exit codes: 0 done, 2 a bad argument. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "proto/codec.h"
#include "support/bodies.h"
#include "support/entries.h"
#include "support/keys.h"

static rsn_keypair_t *seeded(const char *text)
{
    rsn_keypair_t *kp = NULL;
    long seed = strtol(text, NULL, 10);
    if (seed < 1 || seed > 255 || rsn_test_keypair_seeded(&kp, (uint8_t)seed) != 0) {
        fprintf(stderr, "web_tool: bad seed %s\n", text);
        exit(2);
    }
    return kp;
}

static void print_b64(const uint8_t *bytes, size_t len)
{
    size_t size = rsn_base64_encoded_size(len);
    char *buf = malloc(size);
    if (!buf) {
        exit(2);
    }
    printf("%s", rsn_base64_encode(buf, size, bytes, len));
    free(buf);
}

static void hex_arg(const char *text, uint8_t out[RSN_ID_BYTES])
{
    if (rsn_key_from_hex(out, text) != 0) {
        fprintf(stderr, "web_tool: not 64 hex characters: %s\n", text);
        exit(2);
    }
}

/* Prints the login signature of KP for ORIGIN over the base64 CHALLENGE. */
static int login_sig(const rsn_keypair_t *kp, const char *origin, const char *challenge)
{
    uint8_t ch[64], sig[RSN_SIG_BYTES];
    size_t ch_len = 0;
    if (rsn_base64_decode(ch, sizeof ch, &ch_len, challenge, strlen(challenge)) != 0) {
        return 2;
    }
    static const char prefix[] = "raison-web-login-v1";
    size_t olen = strlen(origin);
    size_t len = sizeof prefix + olen + 1 + ch_len;
    uint8_t *msg = malloc(len);
    if (!msg) {
        return 2;
    }
    memcpy(msg, prefix, sizeof prefix);
    memcpy(msg + sizeof prefix, origin, olen);
    msg[sizeof prefix + olen] = 0;
    memcpy(msg + sizeof prefix + olen + 1, ch, ch_len);
    int rc = rsn_keypair_sign(kp, msg, len, sig);
    free(msg);
    if (rc != 0) {
        return 2;
    }
    print_b64(sig, sizeof sig);
    printf("\n");
    fflush(stdout);
    return 0;
}

static int cmd_login(int argc, char **argv)
{
    if (argc != 5 && !(argc == 4 && strcmp(argv[1], "login-many") == 0)) {
        return 2;
    }
    rsn_keypair_t *kp = seeded(argv[2]);
    int rc = 0;
    if (argc == 5) {
        rc = login_sig(kp, argv[3], argv[4]);
    } else {
        char line[256];
        while (rc == 0 && fgets(line, sizeof line, stdin)) {
            line[strcspn(line, "\r\n")] = '\0';
            rc = login_sig(kp, argv[3], line);
        }
    }
    rsn_keypair_destroy(&kp);
    return rc;
}

static int print_message(rsn_arena_t *arena, const ProtobufCMessage *m)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!m || rsn_pack(arena, m, &bytes, &len) != 0) {
        return 2;
    }
    print_b64(bytes, len);
    printf("\n");
    return 0;
}

static int cmd_sign(rsn_arena_t *arena, int argc, char **argv)
{
    if (argc != 8) {
        return 2;
    }
    rsn_keypair_t *kp = seeded(argv[2]);
    rsn_test_header_t h = {.kind = rsn_kind_from_name(argv[3])};
    uint8_t prev[RSN_ID_BYTES];
    h.seq = strtoull(argv[4], NULL, 10);
    if (strcmp(argv[5], "-") != 0) {
        hex_arg(argv[5], prev);
        h.prev = prev;
    }
    h.timestamp_ms = strtoull(argv[6], NULL, 10);
    size_t n = strlen(argv[7]);
    uint8_t *body = rsn_arena_alloc(arena, n + 1);
    size_t body_len = 0;
    rsn_test_signed_t s;
    if (!body || rsn_base64_decode(body, n + 1, &body_len, argv[7], n) != 0 ||
        rsn_test_sign_body(arena, kp, &h, body, body_len, &s) != 0) {
        rsn_keypair_destroy(&kp);
        return 2;
    }
    char id[RSN_KEY_HEX + 1];
    printf("{\"entry\":\"");
    print_b64(s.entry, s.entry_len);
    printf("\",\"signature\":\"");
    print_b64(s.sig, sizeof s.sig);
    printf("\",\"body\":\"");
    print_b64(s.body, s.body_len);
    printf("\",\"id\":\"%s\"}\n", rsn_hex_encode(id, sizeof id, s.id, sizeof s.id));
    rsn_keypair_destroy(&kp);
    return 0;
}

int main(int argc, char **argv)
{
    rsn_arena_t *arena = rsn_arena_new();
    int rc = 2;
    if (!arena || rsn_crypto_init() != 0 || argc < 2) {
        fprintf(stderr, "usage: web_tool key|login|post-body|profile-body|sign ...\n");
        return 2;
    }
    if (strcmp(argv[1], "key") == 0 && argc == 3) {
        rsn_keypair_t *kp = seeded(argv[2]);
        char hex[RSN_KEY_HEX + 1];
        printf("%s\n", rsn_hex_encode(hex, sizeof hex, rsn_keypair_public(kp), RSN_KEY_BYTES));
        rsn_keypair_destroy(&kp);
        rc = 0;
    } else if (strcmp(argv[1], "login") == 0 || strcmp(argv[1], "login-many") == 0) {
        rc = cmd_login(argc, argv);
    } else if (strcmp(argv[1], "post-body") == 0 && (argc == 5 || argc == 6)) {
        uint8_t group[RSN_ID_BYTES], charter[RSN_ID_BYTES];
        hex_arg(argv[2], group);
        Raison__Post *p = rsn_test_body_post(arena, group, argv[3], argv[4], NULL);
        if (p && argc == 6) {
            hex_arg(argv[5], charter);
            p->charter = (ProtobufCBinaryData){RSN_ID_BYTES, charter};
        }
        rc = print_message(arena, p ? &p->base : NULL);
    } else if (strcmp(argv[1], "profile-body") == 0 && argc == 4) {
        Raison__Profile *p = rsn_test_body_profile(arena, argv[2], argv[3]);
        rc = print_message(arena, p ? &p->base : NULL);
    } else if (strcmp(argv[1], "sign") == 0) {
        rc = cmd_sign(arena, argc, argv);
    }
    if (rc == 2) {
        fprintf(stderr, "web_tool: bad arguments (see the head of web_tool.c)\n");
    }
    rsn_arena_destroy(&arena);
    return rc;
}
