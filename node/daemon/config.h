/* config.h — raisond's configuration: the INI file and the peer lines.
 *
 * A config file (INI, read with libinih) holds [node] data=, site=, socket=,
 * socket_group=, log_level=, metrics= (HOST:PORT of the metrics endpoint),
 * metrics_public= (true or false: may that address be other than loopback),
 * [federation] listen=, peer=ENDPOINT=NODEKEY (repeatable) and [store]
 * block_cache=, write_buffer= (sizes: bytes, or with K, M, G),
 * max_open_files=, compression= (snappy or none): LevelDB's tunables
 * (store/store.h), each refused outside its RSN_STORE_* bounds.
 * The command line wins over the file: a value already set when the file is
 * read is kept, and --peer lines come before the file's. A peer line is
 * "ENDPOINT=NODEKEY": NODEKEY is 64 hex characters (raisond keygen prints
 * it), ENDPOINT a tcp:// or ipc:// endpoint, or empty to trust a node that
 * dials us without dialling it. Nothing here prints: each error comes back
 * as a code and a sentence (WHY) that main prints, or SIGHUP logs. */
#ifndef RSN_DAEMON_CONFIG_H
#define RSN_DAEMON_CONFIG_H

#include <stddef.h>

#include "common/err.h"
#include "net/fed.h"
#include "store/store.h"

/* Longest sentence an error of this module needs. */
#define RSN_CONFIG_WHY_MAX 512

typedef struct {
    char *data; /* malloc'd; NULL: not set */
    char *site;
    char *socket;
    char *log_level;
    char *socket_group; /* [node] socket_group: the API socket 0660 to this group */
    char *listen;
    char *metrics;      /* [node] metrics = HOST:PORT, or --metrics */
    int metrics_public; /* [node] metrics_public: 0 unset, 1 true, 2 false */
    rsn_fed_peer_conf_t cli_peers[RSN_FED_MAX_PEERS]; /* from --peer */
    size_t n_cli_peers;
    rsn_fed_peer_conf_t file_peers[RSN_FED_MAX_PEERS]; /* from the config file */
    size_t n_file_peers;
    /* [store]: 0 (or COMPRESSION_UNSET) when the file does not set it */
    size_t store_block_cache;
    size_t store_write_buffer;
    int store_max_open_files;
    int store_compression; /* 0 unset, 1 snappy, 2 none */
} rsn_config_t;

/* LevelDB's options as CFG's [store] section sets them, the defaults
 * (rsn_store_options_default) for what it leaves out. */
void rsn_config_store_options(const rsn_config_t *cfg, rsn_store_options_t *out);

/* Parses the peer line TEXT into OUT. 0, or RSN_ERR_INVALID_ARG with WHY. */
RSN_NODISCARD int rsn_config_parse_peer(const char *text, rsn_fed_peer_conf_t *out, char *why,
                                        size_t why_size);

/* Parses TEXT and appends it to LIST, which holds *N peers (at most
 * RSN_FED_MAX_PEERS). WHERE ("--peer", a file name) opens WHY. 0, or
 * RSN_ERR_INVALID_ARG with WHY (a bad line, or one peer too many). */
RSN_NODISCARD int rsn_config_add_peer(rsn_fed_peer_conf_t *list, size_t *n, const char *text,
                                      const char *where, char *why, size_t why_size);

/* Reads the INI text TEXT (LEN bytes, no NUL needed) into CFG; WHERE names
 * it in WHY. 0; RSN_ERR_INVALID_ARG with WHY (the first error: an unknown
 * section or key, a bad peer, a malformed line) and *LINE its line number
 * (LINE may be NULL); RSN_ERR_NOMEM. CFG keeps what was read before. */
RSN_NODISCARD int rsn_config_parse(rsn_config_t *cfg, const char *text, size_t len,
                                   const char *where, int *line, char *why, size_t why_size);

/* The same for the file PATH; RSN_ERR_IO when it cannot be read (WHY says
 * "cannot read config file PATH: " and the system's reason). */
RSN_NODISCARD int rsn_config_load(rsn_config_t *cfg, const char *path, int *line, char *why,
                                  size_t why_size);

/* Re-reads PATH for its peers alone (SIGHUP: the rest is not applied at run
 * time) and replaces CFG's file peers with them. On error CFG is unchanged;
 * the errors of rsn_config_load. */
RSN_NODISCARD int rsn_config_reload_peers(rsn_config_t *cfg, const char *path, int *line, char *why,
                                          size_t why_size);

/* Fills OUT (room for 2 * RSN_FED_MAX_PEERS) with the --peer list, then the
 * file's peers not already named, at most RSN_FED_MAX_PEERS in all; returns
 * how many. */
size_t rsn_config_peers(const rsn_config_t *cfg, rsn_fed_peer_conf_t *out);

/* Frees CFG's strings and empties it; accepts NULL. */
void rsn_config_clear(rsn_config_t *cfg);

#endif
