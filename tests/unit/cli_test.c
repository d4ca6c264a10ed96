/* cli_test.c — the CLI's plumbing without a node: the exit status of every
 * kind of code, the message sink (what a caller other than a terminal
 * receives), and the one argument parser (common options anywhere, a
 * command's own options, operand counts and their messages, --help, main's
 * options before the command) and the subcommand families. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

/* What the sink received. */
typedef struct {
    int n;
    cli_msg_kind_t kind[8];
    char text[8][2048];
} capture_t;

static void capture(void *ctx, cli_msg_kind_t kind, const char *text)
{
    capture_t *c = ctx;
    if (c->n < 8) {
        c->kind[c->n] = kind;
        snprintf(c->text[c->n], sizeof c->text[c->n], "%s", text);
    }
    c->n++;
}

static const rsn_cli_command_t test_command = {"post", NULL, "GROUP --mission KEY TEXT",
                                               "post in a group", ""};

static rsn_cli_t cli;
static capture_t cap;

static int setup(void **state)
{
    (void)state;
    memset(&cli, 0, sizeof cli);
    memset(&cap, 0, sizeof cap);
    cli.arena = rsn_arena_new();
    cli.timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
    cli.sink = capture;
    cli.sink_ctx = &cap;
    cli.command = &test_command;
    cli.command_name = "post";
    return cli.arena ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rsn_arena_destroy(&cli.arena);
    return 0;
}

/* --- exit status ------------------------------------------------------------- */

static void test_exit_status(void **state)
{
    (void)state;
    assert_int_equal(cli_exit_status(0), CLI_EXIT_OK);
    assert_int_equal(cli_exit_status(CLI_HELP_SHOWN), CLI_EXIT_OK);
    assert_int_equal(cli_exit_status(CLI_ERR_USAGE), CLI_EXIT_USAGE);
    /* the old "-1 = go on" sentinel was this code: it is a failure now */
    assert_int_equal(cli_exit_status(RSN_ERR_BAD_REQUEST), CLI_EXIT_FAIL);
    assert_int_equal(cli_exit_status(RSN_ERR_INVALID_ARG), CLI_EXIT_FAIL);
    assert_int_equal(cli_exit_status(RSN_ERR_UNAVAILABLE), CLI_EXIT_FAIL);
    assert_int_equal(cli_exit_status(RSN_ERR_IO), CLI_EXIT_FAIL);
    assert_int_equal(cli_exit_status(-(int)RAISON__ERROR_CODE__ERROR_NOT_OWNER), CLI_EXIT_FAIL);
    assert_int_equal(CLI_EXIT_OK, 0);
    assert_int_equal(CLI_EXIT_FAIL, 1);
    assert_int_equal(CLI_EXIT_USAGE, 2);
}

/* --- messages ------------------------------------------------------------------ */

static void test_fail_returns_its_code(void **state)
{
    (void)state;
    assert_int_equal(cli_fail(&cli, RSN_ERR_IO, "cannot write %s: %s", "f.tmp", "disk full"),
                     RSN_ERR_IO);
    assert_int_equal(cli_fail(&cli, RSN_ERR_BAD_SEQ, "seq %d", 7), RSN_ERR_BAD_SEQ);
    assert_int_equal(cap.n, 2);
    assert_int_equal(cap.kind[0], CLI_MSG_ERROR);
    /* the sink gets the sentence alone: no "raison: ", no newline */
    assert_string_equal(cap.text[0], "cannot write f.tmp: disk full");
    assert_string_equal(cap.text[1], "seq 7");
}

static void test_say_kinds_and_long_text(void **state)
{
    (void)state;
    char long_path[1500];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    cli_say(&cli, CLI_MSG_NOTICE, "created identity %s", "/k");
    cli_say(&cli, CLI_MSG_PROGRESS, "audit export: %d of %d entries", 10000, 20000);
    cli_say(&cli, CLI_MSG_NOTICE, "%s/x", long_path);
    assert_int_equal(cap.n, 3);
    assert_int_equal(cap.kind[0], CLI_MSG_NOTICE);
    assert_string_equal(cap.text[0], "created identity /k");
    assert_int_equal(cap.kind[1], CLI_MSG_PROGRESS);
    assert_string_equal(cap.text[1], "audit export: 10000 of 20000 entries");
    /* longer than the stack buffer: whole, not cut */
    assert_int_equal(strlen(cap.text[2]), strlen(long_path) + 2);
    assert_string_equal(cap.text[2] + strlen(long_path), "/x");
    assert_true(cli_progress_wanted(&cli)); /* a custom sink wants everything */
}

static void test_usage_error(void **state)
{
    (void)state;
    assert_int_equal(cli_usage_error(&cli, "missing %s", "GROUP"), CLI_ERR_USAGE);
    assert_int_equal(cap.n, 2);
    assert_int_equal(cap.kind[0], CLI_MSG_ERROR);
    assert_string_equal(cap.text[0], "post: missing GROUP");
    assert_int_equal(cap.kind[1], CLI_MSG_USAGE);
    assert_string_equal(cap.text[1], "usage: raison post GROUP --mission KEY TEXT\n"
                                     "(see 'raison post --help')");
    /* a long operand is said whole, after the command's name */
    char arg[1000];
    memset(arg, 'x', sizeof arg - 1);
    arg[sizeof arg - 1] = '\0';
    assert_int_equal(cli_usage_error(&cli, "unexpected argument '%s'", arg), CLI_ERR_USAGE);
    assert_int_equal(strlen(cap.text[2]), strlen("post: unexpected argument ''") + strlen(arg));
    assert_int_equal(strncmp(cap.text[2], "post: unexpected argument 'xxx", 30), 0);
}

/* --- the parser ------------------------------------------------------------------ */

typedef struct {
    const char *mission;
    int calls;
} own_t;

static int own_option(rsn_cli_t *c, int opt, const char *value, void *ctx)
{
    own_t *o = ctx;
    o->calls++;
    if (opt != 'm') {
        return cli_usage_error(c, "unexpected option");
    }
    if (strcmp(value, "bad") == 0) {
        return cli_usage_error(c, "--mission '%s' is bad", value);
    }
    o->mission = value;
    return 0;
}

static const struct option post_opts[] = {{"mission", required_argument, NULL, 'm'},
                                          {NULL, 0, NULL, 0}};

static int parse(own_t *o, int min, int max, char **argv, int *first)
{
    int argc = 0;
    while (argv[argc]) {
        argc++;
    }
    cli_args_t spec = {.options = post_opts,
                       .on_option = own_option,
                       .ctx = o,
                       .min_operands = min,
                       .max_operands = max,
                       .missing = "missing GROUP"};
    return cli_args(&cli, argc, argv, &spec, first);
}

static void test_args_common_and_own_anywhere(void **state)
{
    (void)state;
    own_t o = {0};
    int first = -1;
    char *argv[] = {"post",     "g1",          "--json",           "--mission", "perf", "hello",
                    "--socket", "/tmp/s.sock", "--timeout-ms=250", "world",     NULL};
    assert_int_equal(parse(&o, 1, -1, argv, &first), 0);
    assert_true(cli.json);
    assert_string_equal(cli.socket_path, "/tmp/s.sock");
    assert_int_equal(cli.timeout_ms, 250);
    assert_true(cli.timeout_given);
    assert_string_equal(o.mission, "perf");
    assert_int_equal(o.calls, 1);
    /* getopt moved the operands to the end, in their order */
    assert_int_equal(first, 7);
    assert_string_equal(argv[first], "g1");
    assert_string_equal(argv[first + 1], "hello");
    assert_string_equal(argv[first + 2], "world");
    assert_int_equal(cap.n, 0);
}

static void test_args_operand_counts(void **state)
{
    (void)state;
    own_t o = {0};
    int first = -1;
    char *none[] = {"post", NULL};
    assert_int_equal(parse(&o, 1, 1, none, &first), CLI_ERR_USAGE);
    assert_string_equal(cap.text[0], "post: missing GROUP");
    char *two[] = {"post", "g1", "g2", NULL};
    assert_int_equal(parse(&o, 1, 1, two, &first), CLI_ERR_USAGE);
    assert_string_equal(cap.text[2], "post: unexpected argument 'g2'");
    char *one[] = {"post", "g1", NULL};
    assert_int_equal(parse(&o, 1, 1, one, &first), 0);
    assert_int_equal(first, 1);
    assert_int_equal(cap.n, 4); /* two usage errors: a sentence and the usage each */
}

static void test_args_errors(void **state)
{
    (void)state;
    own_t o = {0};
    int first = -1;
    char *unknown[] = {"post", "--bogus", "g", NULL};
    assert_int_equal(parse(&o, 0, -1, unknown, &first), CLI_ERR_USAGE);
    assert_string_equal(cap.text[0], "post: unknown option --bogus");
    char *no_value[] = {"post", "g", "--socket", NULL};
    assert_int_equal(parse(&o, 0, -1, no_value, &first), CLI_ERR_USAGE);
    assert_string_equal(cap.text[2], "post: option --socket needs a value");
    char *zero[] = {"post", "--timeout-ms", "0", NULL};
    assert_int_equal(parse(&o, 0, -1, zero, &first), CLI_ERR_USAGE);
    assert_string_equal(cap.text[4], "post: --timeout-ms needs a positive number of milliseconds");
    /* the command's own refusal comes back as it is */
    char *bad[] = {"post", "--mission", "bad", NULL};
    assert_int_equal(parse(&o, 0, -1, bad, &first), CLI_ERR_USAGE);
    assert_string_equal(cap.text[6], "post: --mission 'bad' is bad");
    assert_int_equal(cap.kind[7], CLI_MSG_USAGE);
}

static void test_args_help(void **state)
{
    (void)state;
    own_t o = {0};
    int first = -1;
    char *argv[] = {"post", "g", "--help", "--bogus", NULL};
    /* --help stops the parse: no error for what follows, nothing said */
    assert_int_equal(parse(&o, 1, 1, argv, &first), CLI_HELP_SHOWN);
    assert_int_equal(cap.n, 0);
    assert_int_equal(cli_exit_status(CLI_HELP_SHOWN), CLI_EXIT_OK);
}

static void test_args_leading(void **state)
{
    (void)state;
    int first = -1;
    char *argv[] = {"raison", "--json", "status", "--bogus", NULL};
    cli_args_t spec = {.max_operands = -1, .leading = true};
    cli.command = NULL;
    cli.command_name = NULL;
    assert_int_equal(cli_args(&cli, 4, argv, &spec, &first), 0);
    assert_true(cli.json);
    /* the command and its own options are left to the command */
    assert_int_equal(first, 2);
    assert_string_equal(argv[first], "status");
    assert_string_equal(argv[first + 1], "--bogus");
    char *before[] = {"raison", "--bogus", "status", NULL};
    assert_int_equal(cli_args(&cli, 3, before, &spec, &first), CLI_ERR_USAGE);
    assert_string_equal(cap.text[0], "unknown option --bogus");
    assert_string_equal(cap.text[1], "(see 'raison --help')");
}

/* --- families --------------------------------------------------------------------- */

static int sub_argc;
static const char *sub_arg0;

static int sub_run(rsn_cli_t *c, int argc, char **argv)
{
    (void)c;
    sub_argc = argc;
    sub_arg0 = argv[0];
    return RSN_ERR_NOT_FOUND;
}

static void test_family(void **state)
{
    (void)state;
    static const rsn_cli_command_t subs[] = {{"new", sub_run, "", "new one", ""},
                                             {"show", sub_run, "", "show one", ""}};
    static const cli_family_t family = {"id", subs, 2, "which one: 'id new' or 'id show'?",
                                        "new or show"};
    char *run[] = {"id", "show", "--json", NULL};
    assert_int_equal(cli_run_family(&cli, 3, run, &family), RSN_ERR_NOT_FOUND);
    assert_int_equal(sub_argc, 2);
    assert_string_equal(sub_arg0, "show");
    assert_string_equal(cli.command_name, "id show");
    assert_ptr_equal(cli.command, &subs[1]);

    char *unknown[] = {"id", "drop", NULL};
    cli.command = &test_command;
    cli.command_name = "id";
    assert_int_equal(cli_run_family(&cli, 2, unknown, &family), CLI_ERR_USAGE);
    assert_string_equal(cap.text[0], "id: unknown subcommand 'drop' (new or show)");
    char *none[] = {"id", NULL};
    assert_int_equal(cli_run_family(&cli, 1, none, &family), CLI_ERR_USAGE);
    assert_string_equal(cap.text[2], "id: which one: 'id new' or 'id show'?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exit_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_returns_its_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_say_kinds_and_long_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_common_and_own_anywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_operand_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_leading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_family, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
