/* json.c — JSON renderings of API messages for `raison --json`.
 *
 * Built with jansson, never by hand. Conventions of every document: ids,
 * keys and hashes are lowercase hex, timestamps integer milliseconds, and an
 * absent optional id is null. A builder returns a new reference, or NULL
 * when out of memory (jansson's setters accept NULL and fail, so one NULL
 * makes the whole document NULL, which cli_json_print reports). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/limits.h"

json_t *cli_json_hex(const uint8_t *bytes, size_t len)
{
    if (len == 0) {
        return json_null();
    }
    char buf[2 * RSN_CURSOR_MAX + 1]; /* ids, keys, hashes, signatures and cursors */
    if (len > RSN_CURSOR_MAX) {
        return json_null();
    }
    return json_string(rsn_hex_encode(buf, sizeof buf, bytes, len));
}

json_t *cli_json_b64(const uint8_t *bytes, size_t len)
{
    size_t size = rsn_base64_encoded_size(len);
    char *buf = malloc(size);
    if (!buf) {
        return NULL;
    }
    rsn_base64_encode(buf, size, bytes, len);
    json_t *j = json_string(buf);
    free(buf);
    return j;
}

static json_t *hex_of(ProtobufCBinaryData b)
{
    return cli_json_hex(b.data, b.len);
}

/* A JSON string of S; text from other authors may not be valid UTF-8, and
 * jansson refuses that, so such bytes become '?'. */
json_t *cli_json_str(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j || !s) {
        return j;
    }
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (!copy) {
        return NULL;
    }
    for (size_t i = 0; i <= n; i++) {
        copy[i] = ((unsigned char)s[i] & 0x80) ? '?' : s[i];
    }
    j = json_string(copy);
    free(copy);
    return j;
}

static const char *access_name(Raison__Access a)
{
    switch (a) {
    case RAISON__ACCESS__ACCESS_OPEN: return "open";
    case RAISON__ACCESS__ACCESS_MEMBERS_ONLY: return "members-only";
    default: return "unspecified";
    }
}

json_t *cli_json_missions(Raison__Mission **m, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_array_append_new(a, json_pack("{s:o,s:o}", "key", cli_json_str(m[i]->key), "goal",
                                           cli_json_str(m[i]->goal)));
    }
    return a;
}

static json_t *strings(char **s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_array_append_new(a, cli_json_str(s[i]));
    }
    return a;
}

json_t *cli_json_charter(const Raison__Charter *c)
{
    json_t *owners = json_array();
    for (size_t i = 0; owners && i < c->n_owners; i++) {
        json_array_append_new(owners, hex_of(c->owners[i]));
    }
    const Raison__DataPolicy *d = c->data_policy;
    json_t *policy = json_pack("{s:o,s:o,s:I}", "readers", cli_json_str(d ? d->readers : ""), "use",
                               cli_json_str(d ? d->use : ""), "retention_days",
                               (json_int_t)(d ? d->retention_days : 0));
    return json_pack("{s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o}", "group", hex_of(c->group),
                     "version", (json_int_t)c->version, "supersedes", hex_of(c->supersedes), "name",
                     cli_json_str(c->name), "purpose", cli_json_str(c->purpose), "missions",
                     cli_json_missions(c->missions, c->n_missions), "benefits",
                     strings(c->benefits, c->n_benefits), "data_policy", policy, "access",
                     access_name(c->access), "owners", owners);
}

json_t *cli_json_post(const Raison__PostView *p)
{
    return json_pack("{s:o,s:o,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:I}", "id", hex_of(p->id),
                     "author", hex_of(p->author), "seq", (json_int_t)p->seq, "timestamp",
                     (json_int_t)p->timestamp, "group", hex_of(p->group), "mission",
                     cli_json_str(p->mission), "text", cli_json_str(p->text), "reply_to",
                     hex_of(p->reply_to), "author_name",
                     p->author_name[0] ? cli_json_str(p->author_name) : json_null(), "author_site",
                     p->author_site[0] ? cli_json_str(p->author_site) : json_null(), "erased",
                     (int)p->erased, "replies", (json_int_t)p->replies);
}

json_t *cli_json_body(Raison__Kind kind, const void *body)
{
    if (!body) {
        return json_null();
    }
    switch (kind) {
    case RAISON__KIND__KIND_CHARTER: return cli_json_charter(body);
    case RAISON__KIND__KIND_MEMBERSHIP: {
        const Raison__Membership *m = body;
        return json_pack("{s:o,s:s,s:o,s:o}", "group", hex_of(m->group), "action",
                         cli_action_name(m->action) ? cli_action_name(m->action) : "unspecified",
                         "member", hex_of(m->member), "charter", hex_of(m->charter));
    }
    case RAISON__KIND__KIND_POST: {
        const Raison__Post *p = body;
        return json_pack("{s:o,s:o,s:o,s:o}", "group", hex_of(p->group), "mission",
                         cli_json_str(p->mission), "text", cli_json_str(p->text), "reply_to",
                         hex_of(p->reply_to));
    }
    case RAISON__KIND__KIND_PROFILE: {
        const Raison__Profile *p = body;
        return json_pack("{s:o,s:o,s:o}", "name", cli_json_str(p->name), "site",
                         cli_json_str(p->site), "role", cli_json_str(p->role));
    }
    case RAISON__KIND__KIND_RETRACTION: {
        const Raison__Retraction *r = body;
        return json_pack("{s:o,s:b}", "target", hex_of(r->target), "erase", (int)r->erase);
    }
    default: return json_null();
    }
}

json_t *cli_json_entry(rsn_cli_t *cli, const Raison__EntryInfo *info)
{
    const char *invalid = info->invalid && info->invalid[0] ? info->invalid : NULL;
    return json_pack("{s:o,s:o,s:I,s:I,s:s,s:b,s:b,s:o,s:o,s:o}", "id", hex_of(info->id), "author",
                     hex_of(info->author), "seq", (json_int_t)info->seq, "timestamp",
                     (json_int_t)info->timestamp, "kind", rsn_kind_name(info->kind), "erased",
                     (int)info->erased, "retracted", (int)info->retracted, "invalid",
                     invalid ? cli_json_str(invalid) : json_null(), "summary",
                     cli_json_str(cli_entry_summary(cli, info)), "body",
                     cli_json_body(info->kind, cli_entry_body(cli, info)));
}

int cli_json_print(rsn_cli_t *cli, json_t *doc, bool line)
{
    if (!doc) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory building the JSON output");
    }
    size_t flags = line ? JSON_COMPACT : JSON_INDENT(2);
    int rc = json_dumpf(doc, stdout, flags);
    json_decref(doc);
    fputc('\n', stdout);
    fflush(stdout);
    if (rc != 0) {
        return cli_fail(cli, RSN_ERR_IO, "cannot write the JSON output");
    }
    return 0;
}
