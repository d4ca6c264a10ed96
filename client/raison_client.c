/* raison_client.c — libraison-client, the installed C client library.
 *
 * A thin, stable face over the client the `raison` CLI uses (net/client.c):
 * the installed header (include/raison/client.h) names only raison_* and
 * protoc-c's Raison__* types, so a program built against it includes nothing
 * of raison's own tree, and the shared library exports only those names (its
 * version script). The CLI and this library share one implementation of
 * the socket, the framing and the default paths. */
#include "raison/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "net/client.h"
#include "proto/codec.h"

struct raison_client {
    rsn_client_t *client;
};

int raison_default_socket(char *buf, size_t size)
{
    const char *env = getenv("RAISON_SOCKET");
    int n;
    if (env != NULL && env[0] != '\0') {
        n = snprintf(buf, size, "%s", env);
        return n < 0 || (size_t)n >= size ? RSN_ERR_INVALID_ARG : 0;
    }
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (xdg != NULL && xdg[0] == '/') {
        n = snprintf(buf, size, "%s/raison/raison.sock", xdg);
    } else if (home != NULL && home[0] != '\0') {
        n = snprintf(buf, size, "%s/.local/share/raison/raison.sock", home);
    } else {
        n = snprintf(buf, size, "%s", RSN_SYSTEM_SOCKET);
    }
    if (n < 0 || (size_t)n >= size) {
        return RSN_ERR_INVALID_ARG;
    }
    struct stat st;
    if (stat(buf, &st) != 0 && stat(RSN_SYSTEM_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode)) {
        n = snprintf(buf, size, "%s", RSN_SYSTEM_SOCKET);
        return n < 0 || (size_t)n >= size ? RSN_ERR_INVALID_ARG : 0;
    }
    return 0;
}

int raison_client_connect(raison_client **out, const char *socket_path, int timeout_ms)
{
    char path[4096];
    int rc;
    *out = NULL;
    if (socket_path == NULL) {
        if ((rc = raison_default_socket(path, sizeof path)) < 0) {
            return rc;
        }
        socket_path = path;
    }
    raison_client *self = calloc(1, sizeof *self);
    if (self == NULL) {
        return RSN_ERR_NOMEM;
    }
    rc = rsn_client_connect(&self->client, socket_path, timeout_ms);
    if (rc < 0) {
        free(self);
        return rc;
    }
    *out = self;
    return 0;
}

void raison_client_close(raison_client **client)
{
    if (client == NULL || *client == NULL) {
        return;
    }
    rsn_client_destroy(&(*client)->client);
    free(*client);
    *client = NULL;
}

int raison_client_call(raison_client *client, Raison__ApiRequest *req, Raison__ApiReply **reply)
{
    *reply = NULL;
    if (client == NULL || req == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    return rsn_client_call(client->client, req, reply);
}

void raison_reply_free(Raison__ApiReply *reply)
{
    rsn_reply_free(reply);
}

const char *raison_strerror(int code)
{
    return rsn_strerror(code);
}
