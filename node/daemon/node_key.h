/* node_key.h — one node key, one history: the node key beside its store.
 *
 * A node signs its log's checkpoints with its node key and its peers
 * witness them: a checkpoint smaller than one they saw is a rollback. So a
 * node whose store is lost must not start again under the key that signed
 * the lost history (DESIGN.md "Audit"); it starts with a new key. The file
 * DATA/node.key.unused, written beside a key made by `raisond keygen` or at a
 * first start and removed once the node has signed a checkpoint, tells a key
 * that has signed nothing yet. docs/audit.md "A lost store". */
#ifndef RSN_DAEMON_NODE_KEY_H
#define RSN_DAEMON_NODE_KEY_H

#include <stdbool.h>

#include "common/err.h"
#include "crypto/keypair.h"
#include "store/store.h"

/* Creates DIR (and missing parents) with mode 0700. 0, RSN_ERR_IO, or
 * RSN_ERR_PERMISSION for an existing DIR that another user owns or that others
 * may enter (mode & 077), as ssh refuses such a key file (logged). */
RSN_NODISCARD int rsn_node_make_dir(const char *dir);

/* Loads DIR/node.key, creating it first when absent (then marked as a key
 * that has signed nothing: daemon/node_key.h). *CREATED tells which.
 * 0 and *OUT (a rsn_keypair_t*), or the errors of rsn_keypair_load/save. */
RSN_NODISCARD int rsn_node_key(const char *dir, rsn_keypair_t **out, bool *created);

/* Loads the node key of data folder DIR for its open STORE, or makes one:
 * used as it is when STORE holds a history (a checkpoint signed, a log
 * leaf) or the key has signed nothing yet (made when absent). A key that has
 * signed beside an empty or missing database is refused (RSN_ERR_KEY_HISTORY,
 * logged with what to do) unless NEW_KEY: then it is kept aside as
 * DIR/node.key.old-<UTC time> and a new key is made (logged). NEW_KEY with a
 * history is RSN_ERR_INVALID_ARG. 0 with *OUT and *UNUSED (the key has signed
 * nothing yet: call rsn_node_key_used once it has), or the key file's errors. */
RSN_NODISCARD int rsn_node_key_open(const char *dir, rsn_store_t *store, bool new_key,
                                    rsn_keypair_t **out, bool *unused);

/* The node key KP of DIR has signed a checkpoint of SIZE leaves: records it
 * in DIR/node.key.signed (written atomically, not synced: it may lag, never run ahead of the log)
 * when larger than the size recorded for KP, so that a database older than that is refused at the
 * next start (rsn_node_key_check_log). 0 or RSN_ERR_IO (logged). */
RSN_NODISCARD int rsn_node_key_signed(const char *dir, const rsn_keypair_t *kp, uint64_t size);

/* Judges the database's log of LOG_SIZE leaves against the largest
 * checkpoint the node key KP of DIR signed (node.key.signed): a log that
 * holds fewer is a database older than the key's history (a copy restored
 * from a backup), refused with RSN_ERR_KEY_HISTORY (logged with what to
 * do). 0 otherwise, also when nothing is recorded for KP. */
RSN_NODISCARD int rsn_node_key_check_log(const char *dir, const rsn_keypair_t *kp,
                                         uint64_t log_size);

/* Marks the node key of DIR as one that has signed nothing yet (beside a
 * key just made). 0 or RSN_ERR_IO (logged). */
RSN_NODISCARD int rsn_node_key_mark_unused(const char *dir);

/* The node key of DIR has signed a checkpoint: forgets that it was unused. */
void rsn_node_key_used(const char *dir);

#endif
