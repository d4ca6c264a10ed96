/* web.h — `raison web`: the site's web app server, a client of the node's
 * API socket that speaks HTTP to browsers (libmicrohttpd, TLS through its
 * GnuTLS support).
 *
 * The public face of the rsn_web library, used by node/cli/web.c: the
 * configuration, the server's life (new: bound and listening; run: the loop
 * until asked to stop; destroy), and the state folder's invites, which
 * `raison web invite` writes without a server running. Everything else
 * (sessions, the API relay, server-sent events) is private to node/web/;
 * docs/web.md is the HTTP contract. */
#ifndef RSN_WEB_H
#define RSN_WEB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* An invite token: 32 random bytes in base64url (43 characters) and a NUL. */
#define RSN_WEB_TOKEN_SIZE 44
/* A host name as --listen gives it, without the port. */
#define RSN_WEB_HOST_MAX 256
/* A URL the server prints (scheme, host, port, path, token). */
#define RSN_WEB_URL_MAX 384

typedef struct rsn_web rsn_web_t;

/* How the server runs (strings are copied by rsn_web_new). */
typedef struct {
    char host[RSN_WEB_HOST_MAX]; /* "127.0.0.1", "0.0.0.0", "::1", a name */
    uint16_t port;
    const char *tls_cert; /* PEM file, or NULL for plain HTTP */
    const char *tls_key;
    const char *socket_path; /* the node's API socket */
    const char *state_dir;   /* invites and enrolled people */
    const char *static_dir;  /* the page's files */
    bool open_enrollment;    /* any new key may enrol */
    int timeout_ms;          /* a node call waits at most this */
} rsn_web_config_t;

/* Splits "HOST:PORT" or "[V6]:PORT" into HOST and PORT. 0, or
 * RSN_ERR_INVALID_ARG for anything else (no port, port 0, too long). */
RSN_NODISCARD int rsn_web_parse_listen(const char *text, char host[RSN_WEB_HOST_MAX],
                                       uint16_t *port);

/* True when HOST is a loopback address (127.0.0.0/8, ::1, "localhost"). */
bool rsn_web_is_loopback(const char *host);

/* The default state folder of a server on PORT: $XDG_STATE_HOME/raison/web-PORT
 * (or ~/.local/state/...). 0, or RSN_ERR_INVALID_ARG when it does not fit. */
RSN_NODISCARD int rsn_web_state_default(char *out, size_t size, uint16_t port);

/* Writes a new invite into STATE_DIR (created 0700; the file 0600): NAME
 * (may be NULL) for the operator's records, OPERATOR when it enrols an
 * operator; TOKEN gets its token. One-time, expiring after 7 days. 0 or
 * RSN_ERR_IO. */
RSN_NODISCARD int rsn_web_invite_new(const char *state_dir, const char *name, bool operator_,
                                     char token[RSN_WEB_TOKEN_SIZE]);

/* True when STATE_DIR has enrolled no operator yet. */
bool rsn_web_needs_operator(const char *state_dir);

/* The invite URL of TOKEN for a server at HOST:PORT ("https" when TLS). */
void rsn_web_invite_url(char out[RSN_WEB_URL_MAX], const char *host, uint16_t port, bool tls,
                        const char *token);

/* Starts a server as CFG says: reads the TLS files, loads the state folder,
 * binds the address. 0 and *OUT; RSN_ERR_INVALID_ARG (said on stderr: a
 * non-loopback address without TLS, unreadable files), RSN_ERR_IO (the
 * address is taken). */
RSN_NODISCARD int rsn_web_new(rsn_web_t **out, const rsn_web_config_t *cfg);

/* Serves until *STOP becomes non-zero (a signal handler sets it). 0. */
RSN_NODISCARD int rsn_web_run(rsn_web_t *self, volatile sig_atomic_t *stop);

/* Stops and frees; accepts NULL; sets *SELF_P to NULL. */
void rsn_web_destroy(rsn_web_t **self_p);

#endif
