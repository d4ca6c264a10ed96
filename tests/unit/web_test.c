/* web_test.c — the pieces of `raison web` that need no network: --listen
 * parsing, loopback, the Host check (DNS rebinding), base64url tokens and
 * the invites of the state folder (node/web/addr.c, session.c). The HTTP
 * side is tested on a real server by tests/integration/test_web_*.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "support/files.h"
#include "web/web_private.h"

static void test_parse_listen(void **state)
{
    (void)state;
    char host[RSN_WEB_HOST_MAX];
    uint16_t port = 0;
    assert_int_equal(rsn_web_parse_listen("127.0.0.1:8080", host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8080);
    assert_int_equal(rsn_web_parse_listen("[::1]:443", host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 443);
    assert_int_equal(rsn_web_parse_listen("raison.example:8443", host, &port), 0);
    assert_string_equal(host, "raison.example");
    const char *bad[] = {"127.0.0.1",       "127.0.0.1:",    ":8080",    "127.0.0.1:0",
                         "127.0.0.1:65536", "127.0.0.1:80x", "::1:8080", "[::1:8080",
                         "[]:80",           "127.0.0.1:-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(rsn_web_parse_listen(bad[i], host, &port), RSN_ERR_INVALID_ARG);
    }
}

static void test_loopback(void **state)
{
    (void)state;
    assert_true(rsn_web_is_loopback("127.0.0.1"));
    assert_true(rsn_web_is_loopback("127.3.2.1"));
    assert_true(rsn_web_is_loopback("::1"));
    assert_true(rsn_web_is_loopback("localhost"));
    assert_false(rsn_web_is_loopback("0.0.0.0"));
    assert_false(rsn_web_is_loopback("::"));
    assert_false(rsn_web_is_loopback("192.168.1.2"));
    assert_false(rsn_web_is_loopback("128.0.0.1"));
    assert_false(rsn_web_is_loopback("localhost.evil.example"));
}

static void test_host_check(void **state)
{
    (void)state;
    rsn_web_t w = {0};
    snprintf(w.cfg.host, sizeof w.cfg.host, "127.0.0.1");
    w.cfg.port = 8080;
    assert_true(web_host_ok(&w, "127.0.0.1:8080"));
    assert_true(web_host_ok(&w, "localhost:8080"));
    assert_true(web_host_ok(&w, "LOCALHOST:8080"));
    assert_true(web_host_ok(&w, "[::1]:8080"));
    assert_false(web_host_ok(&w, NULL));
    assert_false(web_host_ok(&w, "127.0.0.1")); /* port 80 is not 8080 */
    assert_false(web_host_ok(&w, "127.0.0.1:80"));
    assert_false(web_host_ok(&w, "127.0.0.1:8080x"));
    assert_false(web_host_ok(&w, "127.0.0.10:8080"));
    assert_false(web_host_ok(&w, "evil.example:8080"));
    assert_false(web_host_ok(&w, "127.0.0.1:8080.evil.example"));
    w.cfg.port = 443;
    w.tls = true;
    snprintf(w.cfg.host, sizeof w.cfg.host, "raison.example");
    assert_true(web_host_ok(&w, "raison.example"));
    assert_true(web_host_ok(&w, "raison.example:443"));
    assert_false(web_host_ok(&w, "localhost:443")); /* not a loopback listen */
    assert_false(web_host_ok(&w, "raison.example.evil:443"));
}

static void test_invites(void **state)
{
    (void)state;
    char dir[128], path[256], token[RSN_WEB_TOKEN_SIZE], token2[RSN_WEB_TOKEN_SIZE];
    struct stat st;
    assert_int_equal(rsn_test_tmpdir_make(dir, sizeof dir, "rsn-web"), 0);
    snprintf(path, sizeof path, "%s/state", dir);
    assert_true(rsn_web_needs_operator(path));
    assert_int_equal(rsn_web_invite_new(path, "Bob", true, token), 0);
    assert_int_equal(rsn_web_invite_new(path, NULL, false, token2), 0);
    assert_int_equal(strlen(token), RSN_BASE64URL_32_LEN);
    assert_string_not_equal(token, token2);
    assert_null(strpbrk(token, "+/="));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char url[RSN_WEB_URL_MAX];
    rsn_web_invite_url(url, "::1", 8443, true, token);
    assert_int_equal(strncmp(url, "https://[::1]:8443/invite/", 26), 0);
    assert_string_equal(url + 26, token);
    assert_true(rsn_web_needs_operator(path)); /* an invite is nobody yet */
    rsn_test_tmpdir_remove(dir);
}

int main(void)
{
    if (rsn_crypto_init() != 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_listen),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_host_check),
        cmocka_unit_test(test_invites),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
