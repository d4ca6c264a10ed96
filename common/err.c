/* err.c — texts for rsn_err codes. */
#include "common/err.h"

const char *rsn_strerror(int code)
{
    switch (code) {
    case RSN_OK: return "success";
    case RSN_ERR_BAD_REQUEST: return "bad request";
    case RSN_ERR_INTERNAL: return "internal error";
    case RSN_ERR_NOT_FOUND: return "not found";
    case RSN_ERR_TOO_LARGE: return "too large";
    case RSN_ERR_BAD_SIGNATURE: return "bad signature";
    case RSN_ERR_BAD_SEQ: return "wrong seq";
    case RSN_ERR_BAD_PREV: return "wrong prev";
    case RSN_ERR_FORK: return "fork: another entry holds this (author, seq)";
    case RSN_ERR_FEED_FROZEN: return "feed frozen after a fork";
    case RSN_ERR_BODY_MISMATCH: return "body does not match its hash or size";
    case RSN_ERR_BAD_ENTRY: return "malformed entry";
    case RSN_ERR_UNKNOWN_GROUP: return "unknown group";
    case RSN_ERR_UNKNOWN_MISSION: return "unknown mission";
    case RSN_ERR_INVALID_CHARTER: return "invalid charter";
    case RSN_ERR_NOT_OWNER: return "not an owner of the group";
    case RSN_ERR_NOT_MEMBER: return "not a member of the group";
    case RSN_ERR_INVALID_BODY: return "invalid body";
    case RSN_ERR_AMBIGUOUS: return "ambiguous group reference";
    case RSN_ERR_UNKNOWN_ENTRY: return "unknown entry";
    case RSN_ERR_BUSY: return "busy";
    case RSN_ERR_IO: return "input/output error";
    case RSN_ERR_LOCKED: return "locked by another process";
    case RSN_ERR_PERMISSION: return "key file is readable by others";
    case RSN_ERR_EXISTS: return "already exists";
    case RSN_ERR_BAD_KEYFILE: return "not a raison key file";
    case RSN_ERR_PASSPHRASE: return "wrong or missing passphrase";
    case RSN_ERR_TIMEOUT: return "timed out";
    case RSN_ERR_UNAVAILABLE: return "unavailable";
    case RSN_ERR_NOMEM: return "out of memory";
    case RSN_ERR_AGAIN: return "try again";
    case RSN_ERR_INTERRUPTED: return "interrupted";
    case RSN_ERR_INVALID_ARG: return "invalid argument";
    case RSN_ERR_CRYPTO: return "cryptographic operation failed";
    case RSN_ERR_STORE_FORMAT: return "data folder of an unknown store format";
    case RSN_ERR_KEY_HISTORY: return "node key without the store it signed (see --new-key)";
    default: return "unknown error";
    }
}
