/* config.c — raisond's configuration file and peer lines, read with libinih.
 *
 * libinih calls one handler per "key = value" line with its section; the
 * handler fills an rsn_config_t, keeping values the command line already set,
 * and refuses unknown sections and keys, so a typo stops the start instead of
 * being ignored. libinih goes on after a refused line and returns the first
 * bad line's number; the sentence of that first error is kept for WHY. */
#include "daemon/config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/why.h"
#include "crypto/crypto.h"

/* What the handler needs besides the config: where the text came from, and
 * the first error seen. */
typedef struct {
    rsn_config_t *cfg;
    const char *where;
    char *why;
    size_t why_size;
    bool failed;
    bool nomem;
} reader_t;

int rsn_config_parse_peer(const char *text, rsn_fed_peer_conf_t *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    const char *eq = strrchr(text, '=');
    if (!eq) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_ARG, "peer '%s' is not ENDPOINT=NODEKEY",
                       text);
    }
    size_t elen = (size_t)(eq - text);
    if (elen > RSN_FED_ENDPOINT_MAX) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_ARG, "peer endpoint is over %d characters",
                       RSN_FED_ENDPOINT_MAX);
    }
    if (elen > 0 && strncmp(text, "tcp://", 6) != 0 && strncmp(text, "ipc://", 6) != 0) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_ARG,
                       "peer endpoint '%.*s' must start with tcp:// or ipc://", (int)elen, text);
    }
    if (rsn_key_from_hex(out->key, eq + 1) < 0) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_ARG,
                       "peer key '%s' is not 64 hex characters (raisond keygen prints it)", eq + 1);
    }
    memcpy(out->endpoint, text, elen);
    out->endpoint[elen] = '\0';
    return 0;
}

int rsn_config_add_peer(rsn_fed_peer_conf_t *list, size_t *n, const char *text, const char *where,
                        char *why, size_t why_size)
{
    char reason[RSN_CONFIG_WHY_MAX];
    if (*n >= RSN_FED_MAX_PEERS) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_ARG, "%s: more than %d peers", where,
                       RSN_FED_MAX_PEERS);
    }
    if (rsn_config_parse_peer(text, &list[*n], reason, sizeof reason) < 0) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_ARG, "%s: %s", where, reason);
    }
    (*n)++;
    return 0;
}

/* Keeps the first error's sentence; returns 0, libinih's "refused". */
static int refuse(reader_t *r, const char *fmt, ...) RSN_PRINTF(2, 3);
static int refuse(reader_t *r, const char *fmt, ...)
{
    if (!r->failed) {
        char reason[RSN_CONFIG_WHY_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof reason, fmt, ap);
        va_end(ap);
        (void)rsn_why(r->why, r->why_size, RSN_ERR_INVALID_ARG, "%s: %s", r->where, reason);
        r->failed = true;
    }
    return 0;
}

/* Sets *SLOT to a copy of VALUE unless the command line set it; libinih's
 * 1 (go on), or 0 when out of memory. */
static int keep_first(reader_t *r, char **slot, const char *value)
{
    if (*slot == NULL && (*slot = strdup(value)) == NULL) {
        r->nomem = true;
        return 0;
    }
    return 1;
}

/* Parses TEXT as a size in bytes with an optional K, M or G (binary)
 * suffix into *OUT, within [MIN, MAX]. */
static bool parse_size(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || errno != 0 || text[0] == '-') {
        return false;
    }
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') {
        shift = 10;
    } else if (*end == 'M' || *end == 'm') {
        shift = 20;
    } else if (*end == 'G' || *end == 'g') {
        shift = 30;
    }
    end += shift ? 1 : 0;
    if (*end != '\0' || v > (max >> shift)) {
        return false;
    }
    *out = (uint64_t)v << shift;
    return *out >= min && *out <= max;
}

/* One key of [store]: 1, or refuse()'s 0 with the bounds in the sentence. */
static int on_store(reader_t *r, const char *name, const char *value)
{
    rsn_config_t *cfg = r->cfg;
    uint64_t v = 0;
    if (strcmp(name, "block_cache") == 0) {
        if (!parse_size(value, RSN_STORE_CACHE_MIN, RSN_STORE_CACHE_MAX, &v)) {
            return refuse(r, "[store] block_cache = %s: not a size from 64K to 4G", value);
        }
        cfg->store_block_cache = (size_t)v;
        return 1;
    }
    if (strcmp(name, "write_buffer") == 0) {
        if (!parse_size(value, RSN_STORE_WRITE_BUFFER_MIN, RSN_STORE_WRITE_BUFFER_MAX, &v)) {
            return refuse(r, "[store] write_buffer = %s: not a size from 64K to 1G", value);
        }
        cfg->store_write_buffer = (size_t)v;
        return 1;
    }
    if (strcmp(name, "max_open_files") == 0) {
        if (!parse_size(value, RSN_STORE_OPEN_FILES_MIN, RSN_STORE_OPEN_FILES_MAX, &v) ||
            strpbrk(value, "KkMmGg") != NULL) {
            return refuse(r, "[store] max_open_files = %s: not a count from %d to %d", value,
                          RSN_STORE_OPEN_FILES_MIN, RSN_STORE_OPEN_FILES_MAX);
        }
        cfg->store_max_open_files = (int)v;
        return 1;
    }
    if (strcmp(name, "compression") == 0) {
        if (strcmp(value, "snappy") == 0 || strcmp(value, "none") == 0) {
            cfg->store_compression = strcmp(value, "snappy") == 0 ? 1 : 2;
            return 1;
        }
        return refuse(r, "[store] compression = %s: not snappy or none", value);
    }
    return refuse(r, "unknown key '%s' in [store]", name);
}

void rsn_config_store_options(const rsn_config_t *cfg, rsn_store_options_t *out)
{
    rsn_store_options_default(out);
    if (cfg->store_block_cache) {
        out->block_cache_bytes = cfg->store_block_cache;
    }
    if (cfg->store_write_buffer) {
        out->write_buffer_bytes = cfg->store_write_buffer;
    }
    if (cfg->store_max_open_files) {
        out->max_open_files = cfg->store_max_open_files;
    }
    if (cfg->store_compression) {
        out->compression = cfg->store_compression == 1;
    }
}

/* [node] metrics_public = true or false: 1, or refuse()'s 0. */
static int on_metrics_public(reader_t *r, const char *value)
{
    if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
        if (r->cfg->metrics_public == 0) {
            r->cfg->metrics_public = strcmp(value, "true") == 0 ? 1 : 2;
        }
        return 1;
    }
    return refuse(r, "[node] metrics_public = %s: not true or false", value);
}

/* libinih's handler, one call per "key = value": its contract is 1 to go
 * on, 0 for a refused line (not an rsn_err). */
static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    reader_t *r = user;
    rsn_config_t *cfg = r->cfg;
    if (strcmp(section, "federation") == 0) {
        if (strcmp(name, "peer") == 0) {
            /* only the first error's sentence is kept */
            if (rsn_config_add_peer(cfg->file_peers, &cfg->n_file_peers, value, r->where,
                                    r->failed ? NULL : r->why, r->failed ? 0 : r->why_size) < 0) {
                r->failed = true;
                return 0;
            }
            return 1;
        }
        if (strcmp(name, "listen") == 0) {
            return keep_first(r, &cfg->listen, value);
        }
        return refuse(r, "unknown key '%s' in [federation]", name);
    }
    if (strcmp(section, "store") == 0) {
        return on_store(r, name, value);
    }
    if (strcmp(section, "node") != 0) {
        return refuse(r, "unknown section [%s]", section);
    }
    static const struct {
        const char *name;
        size_t offset;
    } keys[] = {
        {"data", offsetof(rsn_config_t, data)},
        {"site", offsetof(rsn_config_t, site)},
        {"socket", offsetof(rsn_config_t, socket)},
        {"log_level", offsetof(rsn_config_t, log_level)},
        {"socket_group", offsetof(rsn_config_t, socket_group)},
        {"metrics", offsetof(rsn_config_t, metrics)},
    };
    if (strcmp(name, "metrics_public") == 0) {
        return on_metrics_public(r, value);
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(name, keys[i].name) == 0) {
            return keep_first(r, (char **)((char *)cfg + keys[i].offset), value);
        }
    }
    return refuse(r, "unknown key '%s' in [node]", name);
}

/* Turns libinih's result into an rsn_err with WHY. */
static int finish(reader_t *r, int result, int *line)
{
    if (line != NULL) {
        *line = result > 0 ? result : 0;
    }
    if (r->nomem || result == -2) {
        return rsn_why(r->why, r->why_size, RSN_ERR_NOMEM, "%s: out of memory", r->where);
    }
    if (result == 0) {
        return 0;
    }
    if (!r->failed) {
        (void)rsn_why(r->why, r->why_size, RSN_ERR_INVALID_ARG,
                      "%s: line %d is not a [section], a key = value or a comment", r->where,
                      result);
    }
    return RSN_ERR_INVALID_ARG;
}

int rsn_config_parse(rsn_config_t *cfg, const char *text, size_t len, const char *where, int *line,
                     char *why, size_t why_size)
{
    reader_t r = {.cfg = cfg, .where = where, .why = why, .why_size = why_size};
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return rsn_why(why, why_size, RSN_ERR_NOMEM, "%s: out of memory", where);
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    int result = ini_parse_string(copy, on_entry, &r);
    free(copy);
    return finish(&r, result, line);
}

int rsn_config_load(rsn_config_t *cfg, const char *path, int *line, char *why, size_t why_size)
{
    reader_t r = {.cfg = cfg, .where = path, .why = why, .why_size = why_size};
    int result = ini_parse(path, on_entry, &r);
    if (result == -1) {
        if (line != NULL) {
            *line = 0;
        }
        return rsn_why(why, why_size, RSN_ERR_IO, "cannot read config file %s: %s", path,
                       strerror(errno));
    }
    return finish(&r, result, line);
}

int rsn_config_reload_peers(rsn_config_t *cfg, const char *path, int *line, char *why,
                            size_t why_size)
{
    rsn_config_t fresh = {0};
    int rc = rsn_config_load(&fresh, path, line, why, why_size);
    if (rc == 0) {
        memcpy(cfg->file_peers, fresh.file_peers, sizeof cfg->file_peers);
        cfg->n_file_peers = fresh.n_file_peers;
    }
    rsn_config_clear(&fresh);
    return rc;
}

size_t rsn_config_peers(const rsn_config_t *cfg, rsn_fed_peer_conf_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_cli_peers; i++) {
        out[n++] = cfg->cli_peers[i];
    }
    for (size_t i = 0; i < cfg->n_file_peers; i++) {
        bool seen = false;
        for (size_t j = 0; j < n; j++) {
            seen = seen || memcmp(out[j].key, cfg->file_peers[i].key, RSN_KEY_BYTES) == 0;
        }
        if (!seen && n < RSN_FED_MAX_PEERS) {
            out[n++] = cfg->file_peers[i];
        }
    }
    return n;
}

void rsn_config_clear(rsn_config_t *cfg)
{
    if (cfg == NULL) {
        return;
    }
    free(cfg->data);
    free(cfg->site);
    free(cfg->socket);
    free(cfg->socket_group);
    free(cfg->log_level);
    free(cfg->listen);
    free(cfg->metrics);
    memset(cfg, 0, sizeof *cfg);
}
