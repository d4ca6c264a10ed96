/* cli.h — the shared pieces of the `raison` command-line client.
 *
 * `raison` is a client of the node's local API like any other: it talks to
 * raisond only through net/client.h, and keeps the user's identity and signs
 * with crypto/. This header is private to the CLI's files (everything in node/cli/): the
 * run context every command gets (common options, the lazily opened identity
 * and node connection, an arena for the run, where its messages go), the one
 * argument parser, the one message function, the publish sequence and the
 * JSON and text renderings of API messages.
 *
 * Conventions: every function, commands included, returns 0 or a negative
 * rsn_err; main turns that into the exit status once (cli_exit_status). A
 * function that fails says why through cli_fail (or cli_usage_error for a
 * wrong command line) itself and returns the code, so its caller only has to
 * stop and pass the code on. */
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

/* Exit statuses: success, a failure (the node refused, no node, a file), a
 * command line that cannot be run. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* The CLI's two codes of its own, local like those past -100 in
 * common/err.h and never produced by a library:
 *  - CLI_ERR_USAGE: the command line is wrong (said, with the usage);
 *  - CLI_HELP_SHOWN: not a failure: the help was printed and the command
 *    has nothing more to do (exit status 0). */
#define CLI_ERR_USAGE (-150)
#define CLI_HELP_SHOWN (-151)

/* Replies are awaited this long unless --timeout-ms says otherwise. */
#define CLI_DEFAULT_TIMEOUT_MS 10000
/* A passphrase, read from a file, the environment or the terminal. */
#define CLI_PASSPHRASE_MAX 1024

typedef struct rsn_cli rsn_cli_t;

/* One command of the CLI: its name, a one-line summary and its usage. */
typedef struct {
    const char *name;
    int (*run)(rsn_cli_t *cli, int argc, char **argv);
    const char *synopsis; /* "GROUP --mission KEY TEXT" */
    const char *summary;  /* one line for `raison help` */
    const char *details;  /* the options, for `raison COMMAND --help` */
} rsn_cli_command_t;

/* What a message is, for a receiver that shows them apart. */
typedef enum {
    CLI_MSG_ERROR,    /* why the command failed */
    CLI_MSG_NOTICE,   /* something the user should know: "created identity ..." */
    CLI_MSG_PROGRESS, /* how far a long command is, or why it waits */
    CLI_MSG_USAGE,    /* the usage that goes with a usage error (lines, no prefix) */
} cli_msg_kind_t;

/* Receives one message TEXT (one sentence, no "raison: " prefix and no
 * final newline) of KIND; CTX is the sink_ctx of the run. */
typedef void (*cli_sink_fn)(void *ctx, cli_msg_kind_t kind, const char *text);

/* The run context. Fields are read by commands; the helpers fill the rest. */
struct rsn_cli {
    const char *socket_path;     /* NULL until cli_resolve_paths */
    const char *identity_path;   /* idem */
    const char *passphrase_file; /* --passphrase-file, or NULL */
    bool json;
    bool timeout_given;
    int timeout_ms;
    const rsn_cli_command_t *commands; /* the table of `raison help` */
    size_t n_commands;
    const rsn_cli_command_t *command; /* the command being run */
    const char *command_name;         /* "post", "charter new", ... */
    rsn_arena_t *arena;               /* lives for the whole run */
    rsn_client_t *client;             /* opened by cli_client */
    rsn_keypair_t *keypair;           /* loaded by cli_keypair */
    cli_sink_fn sink;                 /* where messages go; NULL: stderr */
    void *sink_ctx;
};

/* --- args.c: the one argument parser ------------------------------------ */

/* What a command takes besides the common options (--socket, --identity,
 * --json, --passphrase-file, --timeout-ms, --help). */
typedef struct {
    /* its own long options, ending with a zero row; NULL when none */
    const struct option *options;
    const char *shorts; /* its own short options (getopt letters); NULL: none */
    /* each of its own options (the row's val) and its value: 0 to go on, or
     * the code to stop with (from cli_usage_error) */
    int (*on_option)(rsn_cli_t *cli, int opt, const char *value, void *ctx);
    void *ctx;
    int min_operands;
    int max_operands;    /* -1: any number */
    const char *missing; /* said below MIN; NULL: "missing argument" */
    const char *extra;   /* said above MAX; NULL: "unexpected argument 'X'" */
    bool leading;        /* options only before the first operand (main's) */
} cli_args_t;

/* Parses a command's ARGV (ARGV[0] is the command's name) as SPEC says. 0
 * and *FIRST, the index of the first operand; CLI_HELP_SHOWN when --help
 * printed the usage; CLI_ERR_USAGE (said) or ON_OPTION's code otherwise. */
RSN_NODISCARD int cli_args(rsn_cli_t *cli, int argc, char **argv, const cli_args_t *spec,
                           int *first);

/* cli_args for a command with only the common options and no operand. */
RSN_NODISCARD int cli_no_args(rsn_cli_t *cli, int argc, char **argv);

/* Prints the usage of the running command (of raison when none) on OUT. */
void cli_print_usage(rsn_cli_t *cli, FILE *out);

/* A family of subcommands (`id new`, `charter amend`, `audit verify`). */
typedef struct {
    const char *name; /* "charter" */
    const rsn_cli_command_t *subs;
    size_t n_subs;
    const char *which;   /* said when no subcommand is given */
    const char *choices; /* "new or amend", after an unknown one; or NULL */
} cli_family_t;

/* Runs the subcommand ARGV[1] of FAMILY with ARGV[1..] (cli->command and
 * cli->command_name name it); `FAMILY --help` prints the family's usage. */
RSN_NODISCARD int cli_run_family(rsn_cli_t *cli, int argc, char **argv, const cli_family_t *family);

/* --- common.c: messages, exit status, the node, small helpers ------------ */

/* The one message function: formats FMT and hands it, as KIND, to the
 * run's sink (stderr, "raison: TEXT", by default). */
void cli_say(rsn_cli_t *cli, cli_msg_kind_t kind, const char *fmt, ...) RSN_PRINTF(3, 4);

/* Says FMT as an error; returns CODE (a negative rsn_err) for chaining:
 * `return cli_fail(cli, RSN_ERR_IO, "cannot write %s", path);`. */
int cli_fail(rsn_cli_t *cli, int code, const char *fmt, ...) RSN_PRINTF(3, 4);

/* Says "CMD: FMT" and the usage of the running command; returns
 * CLI_ERR_USAGE. */
int cli_usage_error(rsn_cli_t *cli, const char *fmt, ...) RSN_PRINTF(2, 3);

/* True when a progress message has someone to read it: a custom sink, or
 * stderr on a terminal. */
bool cli_progress_wanted(const rsn_cli_t *cli);

/* The exit status for the code a command returned: 0 and CLI_HELP_SHOWN
 * give CLI_EXIT_OK, CLI_ERR_USAGE gives CLI_EXIT_USAGE, any other code
 * CLI_EXIT_FAIL. */
int cli_exit_status(int rc);

/* Fills the socket and identity paths from the options, the environment
 * (RAISON_SOCKET, RAISON_IDENTITY, XDG_DATA_HOME, XDG_CONFIG_HOME) and HOME. */
RSN_NODISCARD int cli_resolve_paths(rsn_cli_t *cli);

/* Parses a non-negative decimal of at most MAX; false when it is not one. */
bool cli_parse_uint(const char *text, uint64_t max, uint64_t *out);

/* Parses --timeout-ms MS into the run context; CLI_ERR_USAGE (said). */
RSN_NODISCARD int cli_parse_timeout(rsn_cli_t *cli, const char *text);

/* The node connection, opened on first use. 0 or a said error. */
RSN_NODISCARD int cli_client(rsn_cli_t *cli, rsn_client_t **out);

/* Sends REQ and waits for its reply; the reply must carry result EXPECT.
 * 0 and *REPLY (free with rsn_reply_free); a node error is said as
 * "raison: MESSAGE" and its code returned (negated); timeouts and
 * unexpected replies are said too. */
RSN_NODISCARD int cli_call(rsn_cli_t *cli, Raison__ApiRequest *req,
                           Raison__ApiReply__ResultCase expect, Raison__ApiReply **reply);

/* Says a node's error reply and returns its code (negated). */
int cli_node_error(rsn_cli_t *cli, const Raison__ApiReply *reply);

/* Lowercase hex of BYTES in the run's arena ("" when LEN is 0). */
const char *cli_hex(rsn_cli_t *cli, const uint8_t *bytes, size_t len);

/* Standard base64 of BYTES in the run's arena ("?" when out of memory). */
const char *cli_b64(rsn_cli_t *cli, const uint8_t *bytes, size_t len);

/* Decodes a 64-hex-character key or id; says WHAT on failure and returns
 * CLI_ERR_USAGE. */
RSN_NODISCARD int cli_parse_id(rsn_cli_t *cli, const char *hex, const char *what,
                               uint8_t out[RSN_ID_BYTES]);

/* Local readable time of a ms timestamp ("2026-11-27 14:03"), in the arena. */
const char *cli_time(rsn_cli_t *cli, uint64_t ms);

/* Milliseconds since the epoch, now. */
uint64_t cli_now_ms(void);

/* Asks QUESTION on the terminal; true when the answer starts with y/Y. */
bool cli_confirm(const char *question);

/* Fetches the state of group REF (`group` call). 0 and *REPLY. */
RSN_NODISCARD int cli_group(rsn_cli_t *cli, const char *ref, Raison__ApiReply **reply);

/* Fetches the entry ID (`entry` call). 0 and *REPLY. */
RSN_NODISCARD int cli_entry(rsn_cli_t *cli, const uint8_t id[RSN_ID_BYTES],
                            Raison__ApiReply **reply);

/* --- identity.c ---------------------------------------------------------- */

/* Reads a passphrase for PURPOSE: --passphrase-file, RAISON_PASSPHRASE, or a
 * prompt on the terminal when stdin is one (twice when CONFIRM). Returns 0
 * and *OUT (free with rsn_secure_free); an error when none can be had. */
RSN_NODISCARD int cli_passphrase(rsn_cli_t *cli, const char *prompt, bool confirm, char **out);

/* The user's identity, loaded on first use (asking for its passphrase when
 * it is sealed). 0 or a said error. */
RSN_NODISCARD int cli_keypair(rsn_cli_t *cli, const rsn_keypair_t **out);

/* --- text.c: renderings for people ---------------------------------------- */

/* The decoded body of INFO in the arena, or NULL (erased or undecodable). */
void *cli_entry_body(rsn_cli_t *cli, const Raison__EntryInfo *info);

/* "join", "leave", "add", "remove"; NULL for an action this client does
 * not know. */
const char *cli_action_name(Raison__Action a);

/* A one-line summary of an entry for people, in the arena. */
const char *cli_entry_summary(rsn_cli_t *cli, const Raison__EntryInfo *info);

/* A person for people: "NAME (SITE)" when the name is known, else the first
 * bytes of KEY in hex. In the arena. */
const char *cli_who(rsn_cli_t *cli, const char *name, const char *site, ProtobufCBinaryData key);

/* Prints a charter for people on OUT. */
void cli_print_charter(rsn_cli_t *cli, FILE *out, const Raison__Charter *c);

/* TEXT from outside (a post, a name, a site, a mission, a peer's error) made
 * safe for a terminal, in the run's arena: control characters (C0 but newline
 * and tab, DEL, C1) and bytes that are not well-formed UTF-8 are shown
 * escaped ("\x1b", "\u009b"); UTF-8 text is kept as it is. NULL gives "". */
const char *cli_safe(rsn_cli_t *cli, const char *text);

/* "" for one, "s" otherwise: "%llu post%s". */
static inline const char *cli_s(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* "reply" or "replies" for N. */
static inline const char *cli_replies(uint64_t n)
{
    return n == 1 ? "reply" : "replies";
}

/* --- keystate.c: what the CLI keeps per signing key ------------------------ */

/* The files of one key, shared by every copy of its identity file on this
 * machine: DIR is $XDG_STATE_HOME/raison/keys/HEX (HEX the public key;
 * default ~/.local/state/raison/keys/HEX). */
typedef struct {
    const char *dir;
    const char *lock;           /* DIR/lock: flock around the publish sequence */
    const char *pending;        /* DIR/pending: the signed entry not yet stored */
    const char *head;           /* DIR/head: the last seq a node acknowledged */
    const char *legacy_pending; /* FILE.pending beside the identity (older raison) */
    const char *legacy_head;    /* FILE.head, idem */
    int lock_fd;                /* -1 when not held */
} cli_keystate_t;

/* The paths of KEY's state into KS (the folder created, mode 0700). 0 or
 * a said error. */
RSN_NODISCARD int cli_keystate_open(rsn_cli_t *cli, const uint8_t key[RSN_KEY_BYTES],
                                    cli_keystate_t *ks);

/* Takes KS's lock without ever blocking for good: a lock held elsewhere is
 * tried again for at most the run's timeout, then RSN_ERR_LOCKED (said).
 * Takes over FILE.pending of an older raison. 0 or a said error. */
RSN_NODISCARD int cli_keystate_lock(rsn_cli_t *cli, cli_keystate_t *ks);

/* Releases the lock (when held). */
void cli_keystate_unlock(cli_keystate_t *ks);

/* Reads PATH (at most one signed entry's size) into the arena: 0, *OUT and
 * *LEN; RSN_ERR_NOT_FOUND (not said) when there is no such file. */
RSN_NODISCARD int cli_keystate_read_file(rsn_cli_t *cli, const char *path, uint8_t **out,
                                         size_t *len);

/* The pending entry's bytes, as cli_keystate_read_file. */
RSN_NODISCARD int cli_keystate_read_pending(rsn_cli_t *cli, const cli_keystate_t *ks, uint8_t **out,
                                            size_t *len);

/* Writes the pending entry (0600, synced, replaced atomically). */
RSN_NODISCARD int cli_keystate_write_pending(rsn_cli_t *cli, const cli_keystate_t *ks,
                                             const uint8_t *bytes, size_t len);

/* Removes the pending entry: only once a node stored it. */
void cli_keystate_clear_pending(const cli_keystate_t *ks);

/* The last seq a node acknowledged to this machine (0: none). */
uint64_t cli_keystate_known_head(rsn_cli_t *cli, const cli_keystate_t *ks);

/* Records SEQ as acknowledged, when it is past the known head (best effort:
 * a failure is said and only loses a guard). */
void cli_keystate_save_head(rsn_cli_t *cli, const cli_keystate_t *ks, uint64_t seq);

/* --- publish.c: the publish sequence ------------------------------------------ */

/* What became of one signed entry. */
typedef struct {
    bool pending; /* an entry was signed, or found pending */
    bool stored;  /* a node stored it: it is pending no more */
    uint64_t seq;
    Raison__Kind kind;
    uint8_t id[RSN_ID_BYTES];
    int broken_code;            /* stored, but breaks a semantic rule: its rsn_err */
    const char *broken_message; /* that rule, for people */
} cli_publish_result_t;

/* Publishes BODY as the next entry of KIND in the user's feed, in the
 * order of docs/api.md "The publish sequence": under the key's lock,
 * settles what is pending, drafts (the node judges the unsigned draft and
 * names seq, prev and, for a post, an add or a remove, the charter version,
 * which is written into BODY), checks the answer against the known head,
 * signs, keeps the signed entry pending until a node stores it, sends it.
 * 0 and ID; otherwise the error is said and returned (a stored entry that
 * breaks a rule too: that rule's code). Never signs two entries for one
 * seq: a signed entry that was not stored stays pending and is resent. */
RSN_NODISCARD int cli_publish(rsn_cli_t *cli, Raison__Kind kind, ProtobufCMessage *body,
                              uint8_t id[RSN_ID_BYTES]);

/* Step 1 of the sequence, under KS's lock: resends the entry pending for
 * AUTHOR, if any, the very same bytes. 0 when nothing is pending any more
 * (RES says what there was); RSN_ERR_FORK when the node holds another entry
 * at its seq (the file is kept); a broken rule's code when it was stored
 * but breaks one; or the node's refusal (the file is kept). Said. */
RSN_NODISCARD int cli_settle_pending(rsn_cli_t *cli, const cli_keystate_t *ks,
                                     const uint8_t author[RSN_KEY_BYTES],
                                     cli_publish_result_t *res);

/* --- json.c ---------------------------------------------------------------- */

/* A JSON string of S (bytes that are not UTF-8 become '?'). */
json_t *cli_json_str(const char *s);
/* Hex string of BYTES, or JSON null when LEN is 0. */
json_t *cli_json_hex(const uint8_t *bytes, size_t len);
/* Standard base64 string of BYTES (padded; "" for no bytes). */
json_t *cli_json_b64(const uint8_t *bytes, size_t len);
/* [{"key", "goal"}] of the N missions M. */
json_t *cli_json_missions(Raison__Mission **m, size_t n);
json_t *cli_json_charter(const Raison__Charter *c);
json_t *cli_json_post(const Raison__PostView *p);
json_t *cli_json_body(Raison__Kind kind, const void *body);
json_t *cli_json_entry(rsn_cli_t *cli, const Raison__EntryInfo *info);

/* --- json_views.c, json_node.c: the documents of the calls, shared by
 * `raison CMD --json` and `raison web` ------------------------------------- */

/* One group of a `groups` page. */
json_t *cli_json_group_summary(const Raison__GroupSummary *g);
/* The version of charter ID in G's history, 0 when not there. */
uint32_t cli_group_version_of(const Raison__GroupReply *g, ProtobufCBinaryData id);
/* A `group` page: the charter's fields, history, members and their paging. */
json_t *cli_json_group(const Raison__GroupReply *g);
/* `status`, with the SOCKET_PATH the client used. */
json_t *cli_json_status(const Raison__StatusReply *st, const char *socket_path);
/* `report`: with the window's fields when DAYS, the site's when SITE. */
json_t *cli_json_report(const Raison__ReportReply *rr, uint32_t days, const char *site);
/* `peers`: {"listen", "peers": [...]}. */
json_t *cli_json_peers(const Raison__PeersReply *pr);
/* One subscription event: {"entry", "post"}. */
json_t *cli_json_event(rsn_cli_t *cli, const Raison__Event *ev);
/* `draft`: {"seq", "prev", "charter", "timestamp", "member_seq", "answers"}. */
json_t *cli_json_draft(const Raison__DraftReply *d);
/* `publish`: {"id", "seq", "duplicate", "broken_rule"}. */
json_t *cli_json_publish(const Raison__PublishReply *p);
/* An error: {"code", "name", "message"}. */
json_t *cli_json_error(int code, const char *name, const char *message);
/* `profile`: {"author", "profile": {"name","site","role"}|null, "id"}. */
json_t *cli_json_profile(const Raison__ProfileReply *p);
/* `head`: {"author", "seq", "id", "frozen", "fork_seq"}. */
json_t *cli_json_head(const Raison__HeadReply *h);

/* Prints DOC on stdout (indented, or on one line when LINE) and releases it.
 * 0, RSN_ERR_NOMEM when DOC is NULL, RSN_ERR_IO when it cannot be written
 * (both said). */
RSN_NODISCARD int cli_json_print(rsn_cli_t *cli, json_t *doc, bool line);

/* --- the commands ------------------------------------------------------------ */

int cli_cmd_id(rsn_cli_t *cli, int argc, char **argv);       /* identity.c */
int cli_cmd_profile(rsn_cli_t *cli, int argc, char **argv);  /* write.c */
int cli_cmd_charter(rsn_cli_t *cli, int argc, char **argv);  /* write.c */
int cli_cmd_join(rsn_cli_t *cli, int argc, char **argv);     /* write.c */
int cli_cmd_leave(rsn_cli_t *cli, int argc, char **argv);    /* write.c */
int cli_cmd_add(rsn_cli_t *cli, int argc, char **argv);      /* write.c */
int cli_cmd_remove(rsn_cli_t *cli, int argc, char **argv);   /* write.c */
int cli_cmd_post(rsn_cli_t *cli, int argc, char **argv);     /* write.c */
int cli_cmd_reply(rsn_cli_t *cli, int argc, char **argv);    /* write.c */
int cli_cmd_retract(rsn_cli_t *cli, int argc, char **argv);  /* write.c */
int cli_cmd_pending(rsn_cli_t *cli, int argc, char **argv);  /* pending.c */
int cli_cmd_groups(rsn_cli_t *cli, int argc, char **argv);   /* show.c */
int cli_cmd_group(rsn_cli_t *cli, int argc, char **argv);    /* show.c */
int cli_cmd_timeline(rsn_cli_t *cli, int argc, char **argv); /* show.c */
int cli_cmd_feed(rsn_cli_t *cli, int argc, char **argv);     /* show.c */
int cli_cmd_report(rsn_cli_t *cli, int argc, char **argv);   /* show.c */
int cli_cmd_status(rsn_cli_t *cli, int argc, char **argv);   /* show.c */
int cli_cmd_watch(rsn_cli_t *cli, int argc, char **argv);    /* watch.c */
int cli_cmd_peers(rsn_cli_t *cli, int argc, char **argv);    /* peers.c */
int cli_cmd_audit(rsn_cli_t *cli, int argc, char **argv);    /* audit.c */
int cli_cmd_web(rsn_cli_t *cli, int argc, char **argv);      /* web.c, in the raison program */
int cli_cmd_reindex(rsn_cli_t *cli, int argc, char **argv);  /* reindex.c */

/* `raison audit export FILE` (audit_export.c). */
int cli_audit_export(rsn_cli_t *cli, int argc, char **argv);

#endif
