/* why.h — the sentence that goes with an error code.
 *
 * A refusal in raison is a code (an rsn_err, for programs) and a sentence
 * (for people: "mission 'x' is not in the charter of group 'y'"). Functions
 * that can refuse take a caller's buffer, WHY of WHY_SIZE bytes (either may
 * be NULL/0 when the caller wants only the code), and fill it with this one
 * formatter, so every module words and truncates its reasons the same way. */
#ifndef RSN_WHY_H
#define RSN_WHY_H

#include <stddef.h>

#include "common/err.h"

/* Formats FMT into WHY (when WHY is not NULL and WHY_SIZE > 0, truncated to
 * fit) and returns CODE, so a refusal reads `return rsn_why(why, n, code,
 * "...", ...);`. */
int rsn_why(char *why, size_t why_size, int code, const char *fmt, ...) RSN_PRINTF(4, 5);

#endif
