/* fuzz_export.c — libFuzzer target for the parser of audit exports: a file
 * from anyone.
 *
 * Feeds the input, as a file, to rsn_export_verify (node/cli/verify_export.c),
 * the parser `raison audit verify-export` runs on exports it has no reason
 * to trust. Whatever the bytes, nothing may crash or leak, a refusal must
 * come with a reason, and only a file that verifies may come back with 0.
 * The seeds (tests/fuzz/corpus/export/) are real exports of a node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verify_export.h"
#include "crypto/crypto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (rsn_crypto_init() < 0) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsn_export_report_t report;
    char why[256] = "";
    FILE *f = size ? fmemopen((void *)data, size, "r") : NULL; /* fmemopen needs a byte */
    if (!f) {
        return 0;
    }
    int rc = rsn_export_verify(f, &report, why, sizeof why);
    fclose(f);
    if (rc != 0 && why[0] == '\0') {
        abort(); /* a refusal without a reason */
    }
    if (rc == 0 && report.entries != report.tree_size) {
        abort(); /* a verified export covers exactly its checkpoint */
    }
    return 0;
}
