/* check_config.h — `raisond --check-config`: parse and check the
 * configuration, say what a start would do, start nothing. */
#ifndef RSN_DAEMON_CHECK_CONFIG_H
#define RSN_DAEMON_CHECK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"

/* Checks CFG (read from CONFIG_PATH, NULL when none, and the command line),
 * whose data folder is DATA, without creating, opening or binding anything;
 * prints one line per thing a start would do and per problem that would stop
 * it (JSON: {"ok", "would": [...], "problems": [...]}). Returns the exit
 * status: 0 when a start would go ahead, 1 when a problem would stop it. */
int rsn_check_config(const rsn_config_t *cfg, const char *config_path, const char *data, bool json);

/* The gid of group NAME, which this process must belong to (or be root) to
 * give the API socket to it. 0 and *GID; RSN_ERR_INVALID_ARG (no such group)
 * or RSN_ERR_PERMISSION (not a member), with WHY. */
int rsn_check_group(const char *name, unsigned *gid, char *why, size_t why_size);

#endif
