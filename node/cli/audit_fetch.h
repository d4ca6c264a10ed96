/* audit_fetch.h — the node's audit identity and signed checkpoint, fetched
 * and checked by the CLI.
 *
 * `raison audit export` and `raison audit include` both need the node's note
 * verifier key and a checkpoint whose note verifies under it, parsed and
 * compared with the reply's size and root; the two calls live in
 * audit_export.c, and this header shares them. */
#ifndef RSN_CLI_AUDIT_FETCH_H
#define RSN_CLI_AUDIT_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/cli.h"
#include "crypto/note.h"

/* The node's note verifier key: *VKEY (its text, in the CLI arena; VKEY may
 * be NULL), NAME and PUBKEY parsed from it, checked to agree with the origin
 * the node gives. 0 or the error already reported. */
RSN_NODISCARD int cli_audit_fetch_key(rsn_cli_t *cli, const char **vkey,
                                      char name[RSN_NOTE_NAME_MAX + 1],
                                      uint8_t pubkey[RSN_KEY_BYTES]);

/* The node's latest checkpoint (signed now when FRESH), its note verified
 * under NAME / PUBKEY and parsed: *NOTE (CLI arena), *SIZE, ROOT. 0 or the
 * error already reported. */
RSN_NODISCARD int cli_audit_fetch_checkpoint(rsn_cli_t *cli, bool fresh, const char *name,
                                             const uint8_t pubkey[RSN_KEY_BYTES], const char **note,
                                             uint64_t *size, uint8_t root[RSN_HASH_BYTES]);

#endif
