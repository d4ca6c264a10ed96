/* text.c — the renderings of API messages for people.
 *
 * What the commands print when --json is not given and several of them
 * show the same thing: the one-line summary of an entry (feed, watch, the
 * JSON "summary" field) and a charter in full (group, join). Text from other
 * authors is kept on one line and cut on a UTF-8 boundary where a summary
 * must stay short. Every human printer passes text that comes from outside
 * (posts, names, sites, missions, a peer's last error) through cli_safe, so
 * an escape sequence in a post cannot rewrite the reader's terminal. json.c
 * is the same for programs. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

void *cli_entry_body(rsn_cli_t *cli, const Raison__EntryInfo *info)
{
    void *body = NULL;
    const Raison__SignedEntry *se = info->signed_entry;
    if (info->erased || !se) {
        return NULL;
    }
    if (rsn_body_decode(cli->arena, info->kind, se->body.data, se->body.len, &body) != 0) {
        return NULL;
    }
    return body;
}

/* The length of the well-formed UTF-8 sequence at S (1 to 4), or 0 when S
 * does not start one (a stray continuation byte, an overlong or surrogate
 * form, a truncated sequence). */
static size_t utf8_sequence(const unsigned char *s)
{
    if (s[0] < 0x80) {
        return 1;
    }
    size_t n = 0;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) { /* a NUL ends the text: never read past it */
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)) {
        return 0;
    }
    return n;
}

const char *cli_safe(rsn_cli_t *cli, const char *text)
{
    if (text == NULL) {
        return "";
    }
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text);
    char *out = rsn_arena_alloc(cli->arena, len * 6 + 1); /* \u009b for 2 bytes at worst */
    if (out == NULL) {
        return "";
    }
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence(s + i);
        bool c0 = n == 1 && ((s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') || s[i] == 0x7F);
        bool c1 = n == 2 && s[i] == 0xC2 && s[i + 1] < 0xA0; /* U+0080..U+009F */
        if (n == 0 || c0) {
            o += (size_t)sprintf(out + o, "\\x%02x", s[i]);
            i++;
        } else if (c1) {
            o += (size_t)sprintf(out + o, "\\u%04x", s[i + 1]);
            i += 2;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

/* TEXT on one line, cut to about MAX bytes on a UTF-8 boundary. */
static const char *one_line(rsn_cli_t *cli, const char *text, size_t max)
{
    size_t n = strlen(text);
    bool cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    char *out = rsn_arena_alloc(cli->arena, n + 4);
    if (!out) {
        return "";
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = (text[i] == '\n' || text[i] == '\r' || text[i] == '\t') ? ' ' : text[i];
    }
    if (cut) {
        memcpy(out + n, "...", 4);
    } else {
        out[n] = '\0';
    }
    return cli_safe(cli, out);
}

static const char *short_hex(rsn_cli_t *cli, ProtobufCBinaryData b)
{
    return cli_hex(cli, b.data, b.len < 6 ? b.len : 6);
}

const char *cli_action_name(Raison__Action a)
{
    switch (a) {
    case RAISON__ACTION__ACTION_JOIN: return "join";
    case RAISON__ACTION__ACTION_LEAVE: return "leave";
    case RAISON__ACTION__ACTION_ADD: return "add";
    case RAISON__ACTION__ACTION_REMOVE: return "remove";
    default: return NULL;
    }
}

const char *cli_entry_summary(rsn_cli_t *cli, const Raison__EntryInfo *info)
{
    const void *body = cli_entry_body(cli, info);
    const char *s = NULL;
    if (!body) {
        s = rsn_arena_printf(cli->arena, "%s (%s)", rsn_kind_name(info->kind),
                             info->erased ? "body erased" : "no readable body");
    } else {
        switch (info->kind) {
        case RAISON__KIND__KIND_CHARTER: {
            const Raison__Charter *c = body;
            s = rsn_arena_printf(cli->arena, "charter v%u \"%s\"%s%s", c->version,
                                 one_line(cli, c->name, 60), c->group.len ? " of group " : "",
                                 c->group.len ? short_hex(cli, c->group) : "");
            break;
        }
        case RAISON__KIND__KIND_MEMBERSHIP: {
            const Raison__Membership *m = body;
            bool other = m->action == RAISON__ACTION__ACTION_ADD ||
                         m->action == RAISON__ACTION__ACTION_REMOVE;
            s = rsn_arena_printf(cli->arena, "%s group %s%s%s",
                                 cli_action_name(m->action) ? cli_action_name(m->action)
                                                            : "membership",
                                 short_hex(cli, m->group), other ? " member " : "",
                                 other ? short_hex(cli, m->member) : "");
            break;
        }
        case RAISON__KIND__KIND_POST: {
            const Raison__Post *p = body;
            s = rsn_arena_printf(cli->arena, "%s [%s] in group %s: %s",
                                 p->reply_to.len ? "reply" : "post", cli_safe(cli, p->mission),
                                 short_hex(cli, p->group), one_line(cli, p->text, 70));
            break;
        }
        case RAISON__KIND__KIND_PROFILE: {
            const Raison__Profile *p = body;
            s = rsn_arena_printf(cli->arena, "profile \"%s\" at %s%s%s", one_line(cli, p->name, 40),
                                 one_line(cli, p->site, 40), p->role[0] ? ", " : "",
                                 one_line(cli, p->role, 40));
            break;
        }
        case RAISON__KIND__KIND_RETRACTION: {
            const Raison__Retraction *r = body;
            s = rsn_arena_printf(cli->arena, "retract %s%s",
                                 cli_hex(cli, r->target.data, r->target.len),
                                 r->erase ? " (erase)" : "");
            break;
        }
        default: s = rsn_kind_name(info->kind); break;
        }
    }
    if (s && info->retracted) {
        s = rsn_arena_printf(cli->arena, "%s (retracted)", s);
    }
    if (s && info->invalid && info->invalid[0]) {
        s = rsn_arena_printf(cli->arena, "%s (not shown: %s)", s, cli_safe(cli, info->invalid));
    }
    return s ? s : "";
}

const char *cli_who(rsn_cli_t *cli, const char *name, const char *site, ProtobufCBinaryData key)
{
    if (name && name[0]) {
        const char *s =
            site && site[0] ? rsn_arena_printf(cli->arena, "%s (%s)", name, site) : name;
        return cli_safe(cli, s ? s : name);
    }
    return cli_hex(cli, key.data, key.len < 6 ? key.len : 6);
}

void cli_print_charter(rsn_cli_t *cli, FILE *out, const Raison__Charter *c)
{
    fprintf(out, "%s (charter version %u)\n", cli_safe(cli, c->name), c->version);
    fprintf(out, "  purpose:   %s\n", cli_safe(cli, c->purpose));
    fprintf(out, "  missions:\n");
    for (size_t i = 0; i < c->n_missions; i++) {
        fprintf(out, "    %-12s %s\n", cli_safe(cli, c->missions[i]->key),
                cli_safe(cli, c->missions[i]->goal));
    }
    fprintf(out, "  benefits:\n");
    for (size_t i = 0; i < c->n_benefits; i++) {
        fprintf(out, "    - %s\n", cli_safe(cli, c->benefits[i]));
    }
    const Raison__DataPolicy *d = c->data_policy;
    fprintf(out, "  data policy:\n");
    fprintf(out, "    readers:   %s\n", cli_safe(cli, d ? d->readers : ""));
    fprintf(out, "    use:       %s\n", cli_safe(cli, d ? d->use : ""));
    if (d && d->retention_days) {
        fprintf(out, "    retention: posts kept %u days\n", d->retention_days);
    } else {
        fprintf(out, "    retention: kept\n");
    }
    fprintf(out, "  access:    %s\n",
            c->access == RAISON__ACCESS__ACCESS_MEMBERS_ONLY ? "members only" : "open");
    fprintf(out, "  owners:\n");
    for (size_t i = 0; i < c->n_owners; i++) {
        fprintf(out, "    %s\n", cli_hex(cli, c->owners[i].data, c->owners[i].len));
    }
}
