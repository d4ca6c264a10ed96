/* err.h — raison's one error convention.
 *
 * Every function that can fail returns int: 0 for success, a negative
 * rsn_err code for failure. The codes are the negated numbers of the
 * ErrorCode enum of proto/raison.proto, so an error travels from a module to
 * an API reply without a translation table. Codes past -100 are local
 * (files, terminals, sockets) and never sent over the API. */
#ifndef RSN_ERR_H
#define RSN_ERR_H

#if defined(__GNUC__) || defined(__clang__)
#define RSN_NODISCARD __attribute__((warn_unused_result))
#define RSN_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define RSN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RSN_NODISCARD
#define RSN_NONNULL(...)
#define RSN_PRINTF(f, a)
#endif

typedef enum {
    RSN_OK = 0,
    /* shared with the API (ErrorCode in raison.proto, negated) */
    RSN_ERR_BAD_REQUEST = -1,
    RSN_ERR_INTERNAL = -2,
    RSN_ERR_NOT_FOUND = -3,
    RSN_ERR_TOO_LARGE = -4,
    RSN_ERR_BAD_SIGNATURE = -5,
    RSN_ERR_BAD_SEQ = -6,
    RSN_ERR_BAD_PREV = -7,
    RSN_ERR_FORK = -8,
    RSN_ERR_FEED_FROZEN = -9,
    RSN_ERR_BODY_MISMATCH = -10,
    RSN_ERR_BAD_ENTRY = -11,
    RSN_ERR_UNKNOWN_GROUP = -12,
    RSN_ERR_UNKNOWN_MISSION = -13,
    RSN_ERR_INVALID_CHARTER = -14,
    RSN_ERR_NOT_OWNER = -15,
    RSN_ERR_NOT_MEMBER = -16,
    RSN_ERR_INVALID_BODY = -17,
    RSN_ERR_AMBIGUOUS = -18,
    RSN_ERR_UNKNOWN_ENTRY = -19,
    RSN_ERR_BUSY = -20,
    /* local only */
    RSN_ERR_IO = -101,          /* a file or the database failed */
    RSN_ERR_LOCKED = -102,      /* another process holds the database */
    RSN_ERR_PERMISSION = -103,  /* a key file readable by others */
    RSN_ERR_EXISTS = -104,      /* refusing to overwrite */
    RSN_ERR_BAD_KEYFILE = -105, /* not a raison key file */
    RSN_ERR_PASSPHRASE = -106,  /* wrong passphrase, or one is needed */
    RSN_ERR_TIMEOUT = -107,     /* the peer did not answer in time */
    RSN_ERR_UNAVAILABLE = -108, /* nothing listens there */
    RSN_ERR_NOMEM = -109,
    RSN_ERR_AGAIN = -110,        /* nothing ready yet (non-blocking calls) */
    RSN_ERR_INTERRUPTED = -111,  /* a signal arrived */
    RSN_ERR_INVALID_ARG = -112,  /* a caller's value out of range */
    RSN_ERR_CRYPTO = -113,       /* libsodium refused (key conversion, ...) */
    RSN_ERR_STORE_FORMAT = -114, /* a data folder of a format this build cannot read */
    RSN_ERR_KEY_HISTORY = -115,  /* a node key whose history the store lost (--new-key) */
} rsn_err;

/* A short, stable English text for an rsn_err code (never NULL). */
const char *rsn_strerror(int code);

#endif
