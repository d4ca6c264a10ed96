/* cli.h — the shared pieces of the `raison` command-line client.
 *
 * `raison` is a client of the node's local API like any other: it talks to
 * raisond only through net/client.h, and keeps the user's identity and signs
 * with crypto/. This header is private to the CLI's files (node/raison.c and
 * node/cli_*.c): the run context every command gets (common options, the
 * lazily opened identity and node connection, an arena for the run), option
 * parsing with the common options, error reporting, the publish sequence and
 * the JSON and text renderings of API messages.
 *
 * Conventions: a command returns its exit status (0, CLI_EXIT_FAIL, or
 * CLI_EXIT_USAGE). A helper that fails prints "raison: ..." on stderr itself
 * and returns a negative rsn_err, so its caller only has to stop. */
#ifndef RSN_CLI_H
#define RSN_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "net/client.h"
#include "proto/codec.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* Replies are awaited this long unless --timeout-ms says otherwise. */
#define CLI_DEFAULT_TIMEOUT_MS 10000
/* A passphrase, read from a file, the environment or the terminal. */
#define CLI_PASSPHRASE_MAX 1024

/* Values of the long options every command takes. */
enum {
    CLI_OPT_SOCKET = 0x100,
    CLI_OPT_IDENTITY,
    CLI_OPT_JSON,
    CLI_OPT_PASSPHRASE_FILE,
    CLI_OPT_TIMEOUT,
    CLI_OPT_STOP, /* returned by cli_option: help printed or usage error */
};

/* clang-format off */
#define CLI_COMMON_OPTIONS                                                    \
    {"socket", required_argument, NULL, CLI_OPT_SOCKET},                      \
    {"identity", required_argument, NULL, CLI_OPT_IDENTITY},                  \
    {"json", no_argument, NULL, CLI_OPT_JSON},                                \
    {"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE},    \
    {"timeout-ms", required_argument, NULL, CLI_OPT_TIMEOUT},                 \
    {"help", no_argument, NULL, 'h'}
/* clang-format on */

typedef struct rsn_cli rsn_cli_t;

/* One command of the CLI: its name, a one-line summary and its usage. */
typedef struct {
    const char *name;
    int (*run)(rsn_cli_t *cli, int argc, char **argv);
    const char *synopsis; /* "GROUP --mission KEY TEXT" */
    const char *summary;  /* one line for `raison help` */
    const char *details;  /* the options, for `raison COMMAND --help` */
} rsn_cli_command_t;

/* The run context. Fields are read by commands; the helpers fill the rest. */
struct rsn_cli {
    const char *socket_path;     /* NULL until cli_resolve_paths */
    const char *identity_path;   /* idem */
    const char *passphrase_file; /* --passphrase-file, or NULL */
    bool json;
    bool timeout_given;
    int timeout_ms;
    const rsn_cli_command_t *command; /* the command being run */
    const char *command_name;         /* "post", "charter new", ... */
    int status;                       /* exit status when cli_option stops */
    rsn_arena_t *arena;               /* lives for the whole run */
    rsn_client_t *client;             /* opened by cli_client */
    rsn_keypair_t *keypair;           /* loaded by cli_keypair */
};

/* --- raison.c ------------------------------------------------------------ */

/* Prints the usage of the running command on OUT. */
void cli_print_usage(rsn_cli_t *cli, FILE *out);

/* Prints "raison: CMD: FMT" and a hint on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(rsn_cli_t *cli, const char *fmt, ...) RSN_PRINTF(2, 3);

/* Checks that a command got only the common options and between MIN and
 * MAX operands. -1 to go on, or the exit status to return. */
int cli_plain_args(rsn_cli_t *cli, int argc, char **argv, int min, int max);

/* The next option of the command's own OPTS (which must include
 * CLI_COMMON_OPTIONS); handles the common ones itself. -1 after the last
 * option (operands then start at optind); CLI_OPT_STOP when the command must
 * return cli->status (help printed, or a usage error printed). */
int cli_option(rsn_cli_t *cli, int argc, char **argv, const struct option *opts);

/* --- cli_common.c -------------------------------------------------------- */

/* Prints "raison: FMT" on stderr. Returns RSN_ERR_INVALID_ARG for chaining. */
int cli_fail(const char *fmt, ...) RSN_PRINTF(1, 2);

/* Fills the socket and identity paths from the options, the environment
 * (RAISON_SOCKET, RAISON_IDENTITY, XDG_DATA_HOME, XDG_CONFIG_HOME) and HOME. */
RSN_NODISCARD int cli_resolve_paths(rsn_cli_t *cli);

/* Parses a non-negative decimal of at most MAX; false when it is not one. */
bool cli_parse_uint(const char *text, uint64_t max, uint64_t *out);

/* The node connection, opened on first use. 0 or a printed error. */
RSN_NODISCARD int cli_client(rsn_cli_t *cli, rsn_client_t **out);

/* Sends REQ and waits for its reply; the reply must carry result EXPECT.
 * 0 and *REPLY (free with raison__api_reply__free_unpacked); a node error
 * is printed as "raison: MESSAGE" and its code returned (negated); timeouts
 * and unexpected replies are printed too. */
RSN_NODISCARD int cli_call(rsn_cli_t *cli, Raison__ApiRequest *req,
                           Raison__ApiReply__ResultCase expect, Raison__ApiReply **reply);

/* Prints a node's error reply and returns its code (negated). */
int cli_node_error(const Raison__ApiReply *reply);

/* Reads a passphrase for PURPOSE: --passphrase-file, RAISON_PASSPHRASE, or a
 * prompt on the terminal when stdin is one (twice when CONFIRM). Returns 0
 * and *OUT (free with rsn_secure_free); an error when none can be had. */
RSN_NODISCARD int cli_passphrase(rsn_cli_t *cli, const char *prompt, bool confirm, char **out);

/* The user's identity, loaded on first use (asking for its passphrase when
 * it is sealed). 0 or a printed error. */
RSN_NODISCARD int cli_keypair(rsn_cli_t *cli, const rsn_keypair_t **out);

/* Lowercase hex of BYTES in the run's arena ("" when LEN is 0). */
const char *cli_hex(rsn_cli_t *cli, const uint8_t *bytes, size_t len);

/* Decodes a 64-hex-character key or id; prints WHAT on failure. */
RSN_NODISCARD int cli_parse_id(const char *hex, const char *what, uint8_t out[32]);

/* Local readable time of a ms timestamp ("2026-11-27 14:03"), in the arena. */
const char *cli_time(rsn_cli_t *cli, uint64_t ms);

/* Milliseconds since the epoch, now. */
uint64_t cli_now_ms(void);

/* Asks QUESTION on the terminal; true when the answer starts with y/Y. */
bool cli_confirm(const char *question);

/* Fetches the state of group REF (`group` call). 0 and *REPLY. */
RSN_NODISCARD int cli_group(rsn_cli_t *cli, const char *ref, Raison__ApiReply **reply);

/* Fetches the entry ID (`entry` call). 0 and *REPLY. */
RSN_NODISCARD int cli_entry(rsn_cli_t *cli, const uint8_t id[32], Raison__ApiReply **reply);

/* The decoded body of INFO in the arena, or NULL (erased or undecodable). */
void *cli_entry_body(rsn_cli_t *cli, const Raison__EntryInfo *info);

/* A one-line summary of an entry for people, in the arena. */
const char *cli_entry_summary(rsn_cli_t *cli, const Raison__EntryInfo *info);

/* Prints a charter for people on OUT. */
void cli_print_charter(rsn_cli_t *cli, FILE *out, const Raison__Charter *c);

/* --- cli_publish.c ------------------------------------------------------- */

/* Publishes BODY as the next entry of KIND in the user's feed: under the
 * identity's lock, resends an unacknowledged entry first, signs the next
 * entry, keeps it in FILE.pending until the node acknowledges it, retries on
 * timeouts. 0 and ID; otherwise the error is printed. */
RSN_NODISCARD int cli_publish(rsn_cli_t *cli, Raison__Kind kind, const ProtobufCMessage *body,
                              uint8_t id[32]);

/* --- cli_json.c ---------------------------------------------------------- */

/* A JSON string of S (bytes that are not UTF-8 become '?'). */
json_t *cli_json_str(const char *s);
/* Hex string of BYTES, or JSON null when LEN is 0. */
json_t *cli_json_hex(const uint8_t *bytes, size_t len);
json_t *cli_json_charter(const Raison__Charter *c);
json_t *cli_json_post(const Raison__PostView *p);
json_t *cli_json_body(Raison__Kind kind, const void *body);
json_t *cli_json_entry(rsn_cli_t *cli, const Raison__EntryInfo *info);

/* Prints DOC on stdout (indented, or on one line when LINE) and releases it.
 * Returns CLI_EXIT_OK, or CLI_EXIT_FAIL when DOC is NULL (out of memory). */
int cli_json_print(json_t *doc, bool line);

/* --- the commands (cli_identity.c, cli_publish.c, cli_show.c, cli_peers.c) */

int cli_cmd_id(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_profile(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_charter(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_join(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_leave(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_add(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_remove(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_post(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_reply(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_retract(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_groups(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_group(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_timeline(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_feed(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_report(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_status(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_watch(rsn_cli_t *cli, int argc, char **argv);
int cli_cmd_peers(rsn_cli_t *cli, int argc, char **argv); /* cli_peers.c */
int cli_cmd_audit(rsn_cli_t *cli, int argc, char **argv); /* cli_audit.c */

/* Runs the subcommand SUB of a command family (id new, charter amend): sets
 * cli->command and cli->command_name. Returns the table entry or NULL. */
const rsn_cli_command_t *cli_find_sub(rsn_cli_t *cli, const rsn_cli_command_t *subs, size_t n,
                                      const char *family, const char *sub);

#endif
