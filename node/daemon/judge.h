/* judge.h — whether the views show a stored entry and, when they do not,
 * the semantic rule of DESIGN.md it breaks, as a sentence: the audit reports
 * it for every entry of the log, rsn_view_entry shows it as `invalid`, and
 * the timelines, counts and reports keep only the posts judged shown.
 *
 * Judging reads group states through a view context (view_ctx.h), so judging
 * many entries of the same groups loads each group once. */
#ifndef RSN_D_JUDGE_H
#define RSN_D_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/entry.h"
#include "daemon/group.h"
#include "daemon/view_ctx.h"

/* The semantic rule the stored entry L breaks (a sentence, from the
 * context's arena or static), or NULL when it keeps them; hidden by a fork
 * counts as a problem. Best effort for kinds other than charters,
 * memberships and posts. 0 or RSN_ERR_IO. */
RSN_NODISCARD int rsn_view_entry_problem(rsn_view_ctx_t *x, const rsn_loaded_t *l,
                                         const char **problem);

/* Loads post ID and tells whether views show it in group G (a post, shown,
 * keeping the rules of G): 0 and *OUT when they do; 0 and *OUT NULL when
 * they do not (or it is not held), so a scan skips it; RSN_ERR_IO,
 * RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_judge_post(rsn_view_ctx_t *x, const rsn_group_t *g,
                                 const uint8_t id[RSN_ID_BYTES], rsn_loaded_t **out);

/* As rsn_judge_post, for the entry at log INDEX (what an index key names). */
RSN_NODISCARD int rsn_judge_post_at(rsn_view_ctx_t *x, const rsn_group_t *g, uint64_t index,
                                    rsn_loaded_t **out);

/* Counts the posts of G that views show among the index keys of KEY_LEN
 * bytes under PREFIX, each ending with a post's log index ('P' group ts
 * index: the group's posts; 'Q' parent index: the replies to a post). 0 or
 * an error. */
RSN_NODISCARD int rsn_judge_count_posts(rsn_view_ctx_t *x, const rsn_group_t *g,
                                        const uint8_t *prefix, size_t prefix_len, size_t key_len,
                                        uint64_t *count);

#endif
