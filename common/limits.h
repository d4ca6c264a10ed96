/* limits.h — the size limits of raison's formats, defined once.
 *
 * Every bound on bytes from outside (an entry, a body, a request, a key in the
 * store) is named here, so the decoder in proto/, the signer in crypto/ and
 * the checks in the daemon and the CLI agree by construction. DESIGN.md's
 * "Entry" section is the normative source of the entry limits. */
#ifndef RSN_LIMITS_H
#define RSN_LIMITS_H

#define RSN_ENTRY_MAX 1024               /* bytes of a serialized Entry */
#define RSN_BODY_MAX (64 * 1024)         /* bytes of a serialized body */
#define RSN_MISSION_KEY_MAX 32           /* characters of a mission key */
#define RSN_REQUEST_MAX (80 * 1024)      /* bytes of one ApiRequest (= RSN_API_MAX_MESSAGE) */
#define RSN_REPLY_MAX (16 * 1024 * 1024) /* bytes of one ApiReply a client accepts */
/* bytes of the items of one page of a paged reply (timeline, feed, members):
 * a page ends early, with its cursor, rather than pass it */
#define RSN_PAGE_BYTES_MAX (4 * 1024 * 1024)
#define RSN_FORK_EVIDENCE_MAX (4 * RSN_ENTRY_MAX) /* bytes of one ForkEvidence */
#define RSN_WITNESS_EVIDENCE_MAX (40 * 1024)      /* bytes of one WitnessEvidence: two notes */
#define RSN_FED_FRAME_MAX (1024 * 1024)           /* bytes of one federation frame */
/* bytes of one SignedEntry, body included */
#define RSN_SIGNED_ENTRY_MAX (RSN_ENTRY_MAX + RSN_BODY_MAX + 128)
/* bytes of one request body to `raison web`: a body in base64 and slack */
#define RSN_WEB_BODY_MAX (96 * 1024)

/* Bytes of any page cursor of the API, at most (a groups cursor in name
 * order is 72): what JSON renderings and the web server's query strings
 * carry, in hex. */
#define RSN_CURSOR_MAX 128

#endif
