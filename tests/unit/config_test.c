/* config_test.c — raisond's configuration: INI texts and files, peer lines.
 *
 * Covered: a good file (every key, peers with and without an endpoint), the
 * command line winning over the file, the refusals the integration tests
 * expect of raisond (an unknown key named, a missing file, a peer key that is
 * not hex, an endpoint of another transport) and the others (an unknown
 * section, a line that is not INI, too many peers), a SIGHUP re-read that
 * replaces the file's peers or, on error, changes nothing, and the merge of
 * --peer lines with the file's; the [store] section (LevelDB's block cache,
 * write buffer, open files, compression): sizes with suffixes, the defaults
 * for what it leaves out, and each bad value refused with its bounds; the
 * metrics keys of [node] (metrics, metrics_public). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "support/files.h"

#define KEY_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define KEY_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static int parse(rsn_config_t *cfg, const char *text, int *line, char *why, size_t why_size)
{
    return rsn_config_parse(cfg, text, strlen(text), "test.conf", line, why, why_size);
}

/* A file in a fresh temporary folder holding TEXT; PATH gets its name. */
static void write_file(char dir[RSN_TEST_DIR_MAX], char *path, size_t path_size, const char *text)
{
    assert_int_equal(rsn_test_tmpdir_make(dir, RSN_TEST_DIR_MAX, "rsncfg"), 0);
    snprintf(path, path_size, "%s/raisond.conf", dir);
    assert_int_equal(rsn_test_file_write(path, text, strlen(text)), 0);
}

static void test_good_text(void **state)
{
    (void)state;
    rsn_config_t cfg = {0};
    char why[RSN_CONFIG_WHY_MAX] = "";
    int line = -1;
    const char *text = "; a comment\n"
                       "[node]\n"
                       "data = /var/lib/raison\n"
                       "site = brest\n"
                       "socket = /run/raison.sock\n"
                       "log_level = warn\n"
                       "[federation]\n"
                       "listen = tcp://0.0.0.0:7701\n"
                       "peer = tcp://10.0.0.2:7701=" KEY_A "\n"
                       "peer = =" KEY_B "\n";
    assert_int_equal(parse(&cfg, text, &line, why, sizeof why), 0);
    assert_int_equal(line, 0);
    assert_string_equal(cfg.data, "/var/lib/raison");
    assert_string_equal(cfg.site, "brest");
    assert_string_equal(cfg.socket, "/run/raison.sock");
    assert_string_equal(cfg.log_level, "warn");
    assert_string_equal(cfg.listen, "tcp://0.0.0.0:7701");
    assert_int_equal(cfg.n_file_peers, 2);
    assert_int_equal(cfg.n_cli_peers, 0);
    assert_string_equal(cfg.file_peers[0].endpoint, "tcp://10.0.0.2:7701");
    assert_int_equal(cfg.file_peers[0].key[0], 0xaa);
    assert_int_equal(cfg.file_peers[0].key[31], 0xaa);
    assert_string_equal(cfg.file_peers[1].endpoint, "");
    assert_int_equal(cfg.file_peers[1].key[0], 0xbb);
    rsn_config_clear(&cfg);
    assert_null(cfg.site);
    assert_int_equal(cfg.n_file_peers, 0);
    rsn_config_clear(NULL);
}

static void test_command_line_wins(void **state)
{
    (void)state;
    rsn_config_t cfg = {0};
    char why[RSN_CONFIG_WHY_MAX] = "";
    cfg.site = strdup("quimper");
    cfg.listen = strdup("tcp://127.0.0.1:9");
    assert_non_null(cfg.site);
    assert_int_equal(parse(&cfg,
                           "[node]\nsite = brest\nlog_level = debug\n[federation]\n"
                           "listen = tcp://0.0.0.0:7701\n",
                           NULL, why, sizeof why),
                     0);
    assert_string_equal(cfg.site, "quimper");
    assert_string_equal(cfg.listen, "tcp://127.0.0.1:9");
    assert_string_equal(cfg.log_level, "debug");
    rsn_config_clear(&cfg);
}

/* TEXT is refused with a sentence holding EXPECTED, first error on LINE. */
static void refused(const char *text, const char *expected, int expected_line)
{
    rsn_config_t cfg = {0};
    char why[RSN_CONFIG_WHY_MAX] = "";
    int line = 0;
    assert_int_equal(parse(&cfg, text, &line, why, sizeof why), RSN_ERR_INVALID_ARG);
    if (strstr(why, expected) == NULL) {
        fail_msg("'%s' does not say '%s'", why, expected);
    }
    assert_non_null(strstr(why, "test.conf: "));
    assert_int_equal(line, expected_line);
    rsn_config_clear(&cfg);
}

static void test_refusals(void **state)
{
    (void)state;
    refused("[node]\nsight = typo\n", "unknown key 'sight' in [node]", 2);
    refused("[federation]\nlisten = tcp://x:1\nport = 7\n", "unknown key 'port' in [federation]",
            3);
    refused("[nodes]\nsite = x\n", "unknown section [nodes]", 2);
    refused("[node\n", "line 1 is not", 1);
    refused("[federation]\npeer = tcp://127.0.0.1:1=nothex\n", "is not 64 hex characters", 2);
    refused("[federation]\npeer = udp://x=" KEY_A "\n", "must start with tcp:// or ipc://", 2);
    refused("[federation]\npeer = " KEY_A "\n", "is not ENDPOINT=NODEKEY", 2);
    /* only the first error is told, with its line */
    refused("[node]\nsite = ok\nfirst = 1\nsecond = 2\n", "unknown key 'first'", 3);
}

static void test_store_section(void **state)
{
    (void)state;
    rsn_config_t cfg = {0};
    rsn_store_options_t o;
    rsn_config_store_options(&cfg, &o);
    assert_int_equal(o.block_cache_bytes, RSN_STORE_CACHE_DEFAULT);
    assert_int_equal(o.write_buffer_bytes, RSN_STORE_WRITE_BUFFER_DEFAULT);
    assert_int_equal(o.max_open_files, RSN_STORE_OPEN_FILES_DEFAULT);
    assert_true(o.compression == RSN_STORE_COMPRESSION_DEFAULT);
    char why[RSN_CONFIG_WHY_MAX] = "";
    int line = -1;
    assert_int_equal(parse(&cfg,
                           "[store]\nblock_cache = 16M\nwrite_buffer = 2097152\n"
                           "max_open_files = 200\ncompression = none\n",
                           &line, why, sizeof why),
                     0);
    rsn_config_store_options(&cfg, &o);
    assert_int_equal(o.block_cache_bytes, 16u * 1024 * 1024);
    assert_int_equal(o.write_buffer_bytes, 2097152);
    assert_int_equal(o.max_open_files, 200);
    assert_false(o.compression);
    rsn_config_clear(&cfg);
    assert_int_equal(
        parse(&cfg, "[store]\nblock_cache = 512k\ncompression = snappy\n", &line, why, sizeof why),
        0);
    rsn_config_store_options(&cfg, &o);
    assert_int_equal(o.block_cache_bytes, 512u * 1024);
    assert_int_equal(o.write_buffer_bytes, RSN_STORE_WRITE_BUFFER_DEFAULT);
    assert_true(o.compression);
    rsn_config_clear(&cfg);

    refused("[store]\nblock_cache = lots\n", "block_cache = lots: not a size from 64K to 4G", 2);
    refused("[store]\nblock_cache = 1K\n", "not a size from 64K to 4G", 2);
    refused("[store]\nblock_cache = 5G\n", "not a size from 64K to 4G", 2);
    refused("[store]\nblock_cache = -8M\n", "not a size from 64K to 4G", 2);
    refused("[store]\nblock_cache = 8MB\n", "not a size from 64K to 4G", 2);
    refused("[store]\nwrite_buffer = 2T\n", "write_buffer = 2T: not a size from 64K to 1G", 2);
    refused("[store]\nmax_open_files = 3\n", "max_open_files = 3: not a count from 16 to 65536", 2);
    refused("[store]\nmax_open_files = 1K\n", "not a count from 16 to 65536", 2);
    refused("[store]\ncompression = zstd\n", "compression = zstd: not snappy or none", 2);
    refused("[store]\ncache = 8M\n", "unknown key 'cache' in [store]", 2);
}

static void test_peer_lines(void **state)
{
    (void)state;
    rsn_fed_peer_conf_t peer;
    rsn_fed_peer_conf_t list[RSN_FED_MAX_PEERS];
    size_t n = 0;
    char why[RSN_CONFIG_WHY_MAX] = "";
    char text[512];

    assert_int_equal(rsn_config_parse_peer("ipc:///tmp/x.sock=" KEY_C, &peer, why, sizeof why), 0);
    assert_string_equal(peer.endpoint, "ipc:///tmp/x.sock");
    assert_int_equal(peer.key[5], 0xcc);
    /* the key is after the last '=' */
    assert_int_equal(rsn_config_parse_peer("tcp://h:1=x=" KEY_C, &peer, why, sizeof why), 0);
    assert_string_equal(peer.endpoint, "tcp://h:1=x");
    snprintf(text, sizeof text, "tcp://%0300d=%s", 0, KEY_A);
    assert_int_equal(rsn_config_parse_peer(text, &peer, why, sizeof why), RSN_ERR_INVALID_ARG);
    assert_string_equal(why, "peer endpoint is over 255 characters");
    assert_int_equal(rsn_config_parse_peer("=" KEY_A "00", &peer, why, sizeof why),
                     RSN_ERR_INVALID_ARG);

    for (size_t i = 0; i < RSN_FED_MAX_PEERS; i++) {
        snprintf(text, sizeof text, "tcp://10.0.0.%zu:7701=" KEY_A, i);
        assert_int_equal(rsn_config_add_peer(list, &n, text, "--peer", why, sizeof why), 0);
    }
    assert_int_equal(n, RSN_FED_MAX_PEERS);
    assert_int_equal(rsn_config_add_peer(list, &n, "=" KEY_B, "--peer", why, sizeof why),
                     RSN_ERR_INVALID_ARG);
    assert_string_equal(why, "--peer: more than 64 peers");
    assert_int_equal(n, RSN_FED_MAX_PEERS);
    n = 0;
    assert_int_equal(rsn_config_add_peer(list, &n, "bad", "--peer", why, sizeof why),
                     RSN_ERR_INVALID_ARG);
    assert_string_equal(why, "--peer: peer 'bad' is not ENDPOINT=NODEKEY");
    assert_int_equal(n, 0);
}

static void test_merge(void **state)
{
    (void)state;
    rsn_config_t cfg = {0};
    char why[RSN_CONFIG_WHY_MAX] = "";
    rsn_fed_peer_conf_t out[2 * RSN_FED_MAX_PEERS];
    assert_int_equal(rsn_config_add_peer(cfg.cli_peers, &cfg.n_cli_peers, "tcp://cli:1=" KEY_A,
                                         "--peer", why, sizeof why),
                     0);
    assert_int_equal(
        parse(&cfg, "[federation]\npeer = tcp://file:1=" KEY_A "\npeer = tcp://file:2=" KEY_B "\n",
              NULL, why, sizeof why),
        0);
    assert_int_equal(rsn_config_peers(&cfg, out), 2);
    assert_string_equal(out[0].endpoint, "tcp://cli:1"); /* --peer wins for the same key */
    assert_string_equal(out[1].endpoint, "tcp://file:2");
    rsn_config_clear(&cfg);
}

static void test_files(void **state)
{
    (void)state;
    rsn_config_t cfg = {0};
    char why[RSN_CONFIG_WHY_MAX] = "";
    char dir[RSN_TEST_DIR_MAX];
    char path[RSN_TEST_DIR_MAX + 16];
    int line = -1;

    assert_int_equal(rsn_config_load(&cfg, "/nonexistent/raisond.conf", &line, why, sizeof why),
                     RSN_ERR_IO);
    assert_non_null(strstr(why, "cannot read config file /nonexistent/raisond.conf: "));
    assert_int_equal(line, 0);

    write_file(dir, path, sizeof path,
               "[node]\nsite = brest\n[federation]\npeer = tcp://a:1=" KEY_A "\n");
    assert_int_equal(rsn_config_load(&cfg, path, &line, why, sizeof why), 0);
    assert_string_equal(cfg.site, "brest");
    assert_int_equal(cfg.n_file_peers, 1);

    /* SIGHUP: the peers are replaced, [node] keys are not applied */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[node]\nsite = morlaix\n[federation]\npeer = tcp://b:1=" KEY_B
          "\npeer = tcp://c:1=" KEY_C "\n",
          f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rsn_config_reload_peers(&cfg, path, &line, why, sizeof why), 0);
    assert_string_equal(cfg.site, "brest");
    assert_int_equal(cfg.n_file_peers, 2);
    assert_string_equal(cfg.file_peers[0].endpoint, "tcp://b:1");
    assert_string_equal(cfg.file_peers[1].endpoint, "tcp://c:1");

    /* a broken file changes nothing */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[federation]\npeer = tcp://d:1=" KEY_A "\npeer = nonsense\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rsn_config_reload_peers(&cfg, path, &line, why, sizeof why),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(line, 3);
    assert_int_equal(cfg.n_file_peers, 2);
    assert_string_equal(cfg.file_peers[0].endpoint, "tcp://b:1");

    rsn_config_clear(&cfg);
    (void)rsn_test_tmpdir_remove(dir);
}

/* [node] metrics = HOST:PORT and metrics_public = true|false: the command
 * line's --metrics wins, metrics_public is unset until the file says, and
 * anything but true or false is refused with the key named. */
static void test_metrics_keys(void **state)
{
    (void)state;
    rsn_config_t cfg = {0};
    char why[RSN_CONFIG_WHY_MAX] = "";
    int line = -1;
    assert_int_equal(parse(&cfg, "[node]\nsite = x\n", &line, why, sizeof why), 0);
    assert_null(cfg.metrics);
    assert_int_equal(cfg.metrics_public, 0);
    assert_int_equal(parse(&cfg, "[node]\nmetrics = 0.0.0.0:9464\nmetrics_public = true\n", &line,
                           why, sizeof why),
                     0);
    assert_string_equal(cfg.metrics, "0.0.0.0:9464");
    assert_int_equal(cfg.metrics_public, 1);
    rsn_config_clear(&cfg);

    cfg.metrics = strdup("127.0.0.1:1"); /* as --metrics sets it */
    assert_int_equal(parse(&cfg, "[node]\nmetrics = 127.0.0.1:2\nmetrics_public = false\n", &line,
                           why, sizeof why),
                     0);
    assert_string_equal(cfg.metrics, "127.0.0.1:1");
    assert_int_equal(cfg.metrics_public, 2);
    rsn_config_clear(&cfg);

    assert_int_equal(parse(&cfg, "[node]\nmetrics_public = yes\n", &line, why, sizeof why),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(line, 2);
    assert_non_null(strstr(why, "metrics_public = yes: not true or false"));
    assert_int_equal(cfg.metrics_public, 0);
    rsn_config_clear(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_text),     cmocka_unit_test(test_command_line_wins),
        cmocka_unit_test(test_refusals),      cmocka_unit_test(test_peer_lines),
        cmocka_unit_test(test_merge),         cmocka_unit_test(test_files),
        cmocka_unit_test(test_store_section), cmocka_unit_test(test_metrics_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
