/* verify_export.h — checking an audit export with no node and no trust in
 * whoever wrote it.
 *
 * An audit export (docs/audit.md, written by `raison audit export`) is JSON
 * Lines: a header naming the node and its note verifier key, one line per
 * log leaf (the signed entry, its body unless erased), the fork evidence,
 * and last the node's signed checkpoint. This parser reads such a file from
 * anyone: every line is bounded, every id, signature, body and chain link is
 * checked, and the checkpoint must be signed by the header's key for the
 * RFC 9162 root of exactly these entries. The first problem is named with
 * its line number. It prints nothing: `raison audit verify-export` says what
 * it found, and tests/fuzz/fuzz_export.c feeds it arbitrary bytes. */
#ifndef RSN_VERIFY_EXPORT_H
#define RSN_VERIFY_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "crypto/crypto.h"

/* The format the export writer and this parser share. */
#define RSN_EXPORT_FORMAT "raison-audit-export"
#define RSN_EXPORT_VERSION 1
#define RSN_EXPORT_LINE_MAX (256 * 1024) /* bytes of one line, newline excluded */

/* What a verified export holds; LINE also says where a problem was. */
typedef struct {
    uint8_t node[RSN_KEY_BYTES]; /* the node's key (the header's) */
    uint64_t entries, authors, erased, forks;
    uint64_t tree_size;
    uint8_t root[RSN_HASH_BYTES]; /* the Merkle root of the entries */
    unsigned long line;           /* the line of the first problem; 0: not about a line */
} rsn_export_report_t;

/* Reads an export from F to its end and checks it. 0 and *REPORT when it
 * verifies; otherwise WHY (WHY_SIZE bytes) says what is wrong, at line
 * REPORT->line: RSN_ERR_INVALID_ARG when the file does not verify, RSN_ERR_IO
 * when it cannot be read, RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_export_verify(FILE *f, rsn_export_report_t *report, char *why,
                                    size_t why_size);

#endif
