/* write.c — the commands that write: profile, charters, memberships, posts,
 * replies and retractions.
 *
 * Each parses its command line, builds the body of one entry (fetching the
 * group or the parent post it refers to when it needs them) and hands it to
 * cli_publish (publish.c), which drafts, signs and sends it without ever forking the
 * user's feed. Each prints the new entry's id: hex, or {"id": hex} with
 * --json (a charter also gives its group, a membership its group and
 * charter). */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* --- shared by the commands ------------------------------------------------- */

/* Prints the id of a new entry: hex, or {"id": hex}. */
static int print_id(rsn_cli_t *cli, const uint8_t id[RSN_ID_BYTES])
{
    if (cli->json) {
        return cli_json_print(cli, json_pack("{s:o}", "id", cli_json_hex(id, RSN_ID_BYTES)), false);
    }
    printf("%s\n", cli_hex(cli, id, RSN_ID_BYTES));
    return 0;
}

/* Publishes BODY as an entry of KIND and prints its id. */
static int publish_and_print(rsn_cli_t *cli, Raison__Kind kind, ProtobufCMessage *body)
{
    uint8_t id[RSN_ID_BYTES];
    int rc = cli_publish(cli, kind, body, id);
    return rc != 0 ? rc : print_id(cli, id);
}

/* Joins ARGV[FROM..] with spaces in the arena: the TEXT of a post. */
static char *join_words(rsn_cli_t *cli, int argc, char **argv, int from)
{
    size_t n = 1;
    for (int i = from; i < argc; i++) {
        n += strlen(argv[i]) + 1;
    }
    char *out = rsn_arena_alloc(cli->arena, n);
    if (!out) {
        return NULL;
    }
    out[0] = '\0';
    for (int i = from; i < argc; i++) {
        if (i > from) {
            strcat(out, " ");
        }
        strcat(out, argv[i]);
    }
    return out;
}

/* Stores an option's value in the const char * that CTX points to; for
 * commands whose options are all strings (OPTS rows' val are indexes). */
static int string_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    (void)cli;
    ((const char **)ctx)[opt - 1] = value;
    return 0;
}

/* --- profile ------------------------------------------------------------------ */

int cli_cmd_profile(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"name", required_argument, NULL, 1},
                                         {"site", required_argument, NULL, 2},
                                         {"role", required_argument, NULL, 3},
                                         {NULL, 0, NULL, 0}};
    const char *values[3] = {"", "", ""}; /* name, site, role */
    cli_args_t spec = {.options = opts, .on_option = string_option, .ctx = values};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    if (!values[0][0] || !values[1][0]) {
        return cli_usage_error(cli, "--name and --site are required");
    }
    Raison__Profile p = RAISON__PROFILE__INIT;
    p.name = (char *)values[0];
    p.site = (char *)values[1];
    p.role = (char *)values[2];
    return publish_and_print(cli, RAISON__KIND__KIND_PROFILE, &p.base);
}

/* --- charters ----------------------------------------------------------------- */

/* The options of `charter new` and `charter amend`; NULL / 0: not given. */
typedef struct {
    const char *name, *purpose, *use, *readers;
    bool has_retention;
    uint32_t retention_days;
    int access; /* 0: not given */
    Raison__Mission **missions;
    size_t n_missions;
    char **benefits;
    size_t n_benefits;
    ProtobufCBinaryData *owners;
    size_t n_owners;
} charter_opts_t;

/* Adds KEY to the owners unless it is there already. */
static void add_owner(charter_opts_t *o, uint8_t *key)
{
    for (size_t i = 0; i < o->n_owners; i++) {
        if (memcmp(o->owners[i].data, key, RSN_KEY_BYTES) == 0) {
            return;
        }
    }
    o->owners[o->n_owners].data = key;
    o->owners[o->n_owners].len = RSN_KEY_BYTES;
    o->n_owners++;
}

/* --mission KEY=GOAL into O. */
static int mission_option(rsn_cli_t *cli, charter_opts_t *o, const char *value)
{
    const char *eq = strchr(value, '=');
    if (!eq) {
        return cli_usage_error(cli, "--mission needs KEY=GOAL, not '%s'", value);
    }
    Raison__Mission *m = rsn_arena_alloc(cli->arena, sizeof *m);
    char *key = rsn_arena_memdup(cli->arena, value, (size_t)(eq - value) + 1);
    if (!m || !key) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    key[eq - value] = '\0';
    raison__mission__init(m);
    m->key = key;
    m->goal = (char *)eq + 1;
    o->missions[o->n_missions++] = m;
    return 0;
}

/* --owner KEY into O. */
static int owner_option(rsn_cli_t *cli, charter_opts_t *o, const char *value)
{
    uint8_t *key = rsn_arena_alloc(cli->arena, RSN_KEY_BYTES);
    if (!key) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    if (strlen(value) != RSN_KEY_HEX || rsn_key_from_hex(key, value) != 0) {
        return cli_usage_error(cli, "--owner needs a key of 64 hex characters, not '%s'", value);
    }
    add_owner(o, key);
    return 0;
}

static int charter_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    charter_opts_t *o = ctx;
    uint64_t n = 0;
    switch (opt) {
    case 'n': o->name = value; return 0;
    case 'p': o->purpose = value; return 0;
    case 'd': o->use = value; return 0;
    case 'r': o->readers = value; return 0;
    case 'M': o->access = RAISON__ACCESS__ACCESS_MEMBERS_ONLY; return 0;
    case 'O': o->access = RAISON__ACCESS__ACCESS_OPEN; return 0;
    case 'b': o->benefits[o->n_benefits++] = (char *)value; return 0;
    case 't':
        if (!cli_parse_uint(value, UINT32_MAX, &n)) {
            return cli_usage_error(cli, "--retention-days needs a number of days (0: kept)");
        }
        o->has_retention = true;
        o->retention_days = (uint32_t)n;
        return 0;
    case 'm': return mission_option(cli, o, value);
    case 'o': return owner_option(cli, o, value);
    default: return cli_usage_error(cli, "unexpected option");
    }
}

/* Parses the charter options into O with MIN..MAX operands (GROUP for
 * amend); 0 and *FIRST. */
static int charter_options(rsn_cli_t *cli, int argc, char **argv, charter_opts_t *o, int n_groups,
                           int *first)
{
    static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
                                         {"purpose", required_argument, NULL, 'p'},
                                         {"mission", required_argument, NULL, 'm'},
                                         {"benefit", required_argument, NULL, 'b'},
                                         {"data-policy", required_argument, NULL, 'd'},
                                         {"readers", required_argument, NULL, 'r'},
                                         {"retention-days", required_argument, NULL, 't'},
                                         {"members-only", no_argument, NULL, 'M'},
                                         {"open", no_argument, NULL, 'O'},
                                         {"owner", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    size_t cap = (size_t)argc + 1;
    memset(o, 0, sizeof *o);
    o->missions = rsn_arena_alloc(cli->arena, cap * sizeof *o->missions);
    o->benefits = rsn_arena_alloc(cli->arena, cap * sizeof *o->benefits);
    o->owners = rsn_arena_alloc(cli->arena, cap * sizeof *o->owners);
    if (!o->missions || !o->benefits || !o->owners) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    cli_args_t spec = {.options = opts,
                       .on_option = charter_option,
                       .ctx = o,
                       .min_operands = n_groups,
                       .max_operands = n_groups,
                       .missing = "missing GROUP",
                       .extra = n_groups ? "unexpected argument" : NULL};
    return cli_args(cli, argc, argv, &spec, first);
}

static int charter_new(rsn_cli_t *cli, int argc, char **argv)
{
    charter_opts_t o;
    const rsn_keypair_t *kp = NULL;
    uint8_t id[RSN_ID_BYTES];
    int first = 0;
    int rc = charter_options(cli, argc, argv, &o, 0, &first);
    if (rc != 0) {
        return rc;
    }
    if (!o.name || !o.name[0]) {
        return cli_usage_error(cli, "--name is required");
    }
    if ((rc = cli_keypair(cli, &kp)) != 0) {
        return rc;
    }
    /* the author first among the owners, always */
    charter_opts_t owners = o;
    owners.owners = rsn_arena_alloc(cli->arena, (o.n_owners + 1) * sizeof *o.owners);
    if (!owners.owners) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    owners.n_owners = 0;
    add_owner(&owners, (uint8_t *)rsn_keypair_public(kp));
    for (size_t i = 0; i < o.n_owners; i++) {
        add_owner(&owners, o.owners[i].data);
    }

    Raison__DataPolicy d = RAISON__DATA_POLICY__INIT;
    d.readers = (char *)(o.readers ? o.readers : "everyone in the federation");
    d.use = (char *)(o.use ? o.use : "");
    d.retention_days = o.retention_days;
    Raison__Charter ch = RAISON__CHARTER__INIT;
    ch.version = 1;
    ch.name = (char *)o.name;
    ch.purpose = (char *)(o.purpose ? o.purpose : "");
    ch.missions = o.missions;
    ch.n_missions = o.n_missions;
    ch.benefits = o.benefits;
    ch.n_benefits = o.n_benefits;
    ch.data_policy = &d;
    ch.access = o.access ? (Raison__Access)o.access : RAISON__ACCESS__ACCESS_OPEN;
    ch.owners = owners.owners;
    ch.n_owners = owners.n_owners;
    if ((rc = cli_publish(cli, RAISON__KIND__KIND_CHARTER, &ch.base, id)) != 0) {
        return rc;
    }
    if (cli->json) {
        return cli_json_print(cli,
                              json_pack("{s:o,s:o}", "group", cli_json_hex(id, RSN_ID_BYTES), "id",
                                        cli_json_hex(id, RSN_ID_BYTES)),
                              false);
    }
    printf("%s\n", cli_hex(cli, id, RSN_ID_BYTES));
    return 0;
}

/* The next version of the charter CUR of group G, with what O changes, in
 * CH and D (which CH points to). */
static void amend(const Raison__GroupReply *g, const charter_opts_t *o, Raison__Charter *ch,
                  Raison__DataPolicy *d)
{
    const Raison__Charter *cur = g->charter;
    raison__data_policy__init(d);
    if (cur->data_policy) {
        *d = *cur->data_policy;
    }
    *ch = *cur;
    /* what this client does not know of the current version is not carried */
    ch->base.n_unknown_fields = 0;
    ch->base.unknown_fields = NULL;
    d->base.n_unknown_fields = 0;
    d->base.unknown_fields = NULL;
    ch->data_policy = d;
    ch->group = g->group;
    ch->supersedes = g->charter_id;
    ch->version = cur->version + 1;
    ch->name = o->name ? (char *)o->name : ch->name;
    ch->purpose = o->purpose ? (char *)o->purpose : ch->purpose;
    d->use = o->use ? (char *)o->use : d->use;
    d->readers = o->readers ? (char *)o->readers : d->readers;
    d->retention_days = o->has_retention ? o->retention_days : d->retention_days;
    ch->access = o->access ? (Raison__Access)o->access : ch->access;
    if (o->n_missions) {
        ch->missions = o->missions;
        ch->n_missions = o->n_missions;
    }
    if (o->n_benefits) {
        ch->benefits = o->benefits;
        ch->n_benefits = o->n_benefits;
    }
    if (o->n_owners) {
        ch->owners = o->owners;
        ch->n_owners = o->n_owners;
    }
}

static int charter_amend(rsn_cli_t *cli, int argc, char **argv)
{
    charter_opts_t o;
    Raison__ApiReply *reply = NULL;
    uint8_t id[RSN_ID_BYTES];
    int first = 0;
    int rc = charter_options(cli, argc, argv, &o, 1, &first);
    if (rc != 0) {
        return rc;
    }
    if (!o.name && !o.purpose && !o.use && !o.readers && !o.has_retention && !o.access &&
        !o.n_missions && !o.n_benefits && !o.n_owners) {
        return cli_usage_error(cli, "nothing to amend: give the parts of the charter to change");
    }
    if (o.name && !o.name[0]) {
        return cli_usage_error(cli, "--name cannot be empty");
    }
    if ((rc = cli_group(cli, argv[first], &reply)) != 0) {
        return rc;
    }
    const Raison__GroupReply *g = reply->group;
    Raison__Charter ch;
    Raison__DataPolicy d;
    amend(g, &o, &ch, &d);
    if (g->charter_id.len != RSN_ID_BYTES) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST,
                      "the node did not say which charter version is current");
        goto out;
    }
    if ((rc = cli_publish(cli, RAISON__KIND__KIND_CHARTER, &ch.base, id)) != 0) {
        goto out;
    }
    if (cli->json) {
        rc = cli_json_print(
            cli,
            json_pack("{s:o,s:o,s:I}", "group", cli_json_hex(g->group.data, g->group.len), "id",
                      cli_json_hex(id, RSN_ID_BYTES), "version", (json_int_t)ch.version),
            false);
    } else {
        printf("%s\n", cli_hex(cli, id, RSN_ID_BYTES));
        cli_say(cli, CLI_MSG_NOTICE, "published version %u of the charter of %s", ch.version,
                ch.name);
    }
out:
    rsn_reply_free(reply);
    return rc;
}

static const char charter_options_help[] =
    "  --name NAME            the group's name\n"
    "  --purpose TEXT         what the group is for\n"
    "  --mission KEY=GOAL     a mission (repeat; key: [a-z0-9-])\n"
    "  --benefit TEXT         what members gain (repeat)\n"
    "  --data-policy TEXT     what posts are used for, and not used for\n"
    "  --readers TEXT         who may read (default: everyone in the federation)\n"
    "  --retention-days N     erase post bodies after N days (0: kept)\n"
    "  --members-only         only members may post (default: open)\n"
    "  --open                 everyone may post\n"
    "  --owner KEY            an owner besides you (repeat)\n";

static const rsn_cli_command_t charter_commands[] = {
    {"new", charter_new,
     "--name NAME --purpose TEXT --mission KEY=GOAL... --benefit TEXT... --data-policy TEXT "
     "[--readers TEXT] [--retention-days N] [--members-only] [--owner KEY...]",
     "found a group: publish version 1 of its charter and print the group id",
     charter_options_help},
    {"amend", charter_amend, "GROUP [charter options]",
     "publish the next version of a group's charter (owners); each option given replaces "
     "that part (missions, benefits and owners given replace the lists)",
     charter_options_help},
};

int cli_cmd_charter(rsn_cli_t *cli, int argc, char **argv)
{
    static const cli_family_t family = {
        "charter", charter_commands, sizeof charter_commands / sizeof charter_commands[0],
        "which one: 'charter new' or 'charter amend'?", "new or amend"};
    return cli_run_family(cli, argc, argv, &family);
}

/* --- memberships ------------------------------------------------------------------ */

/* Shows the charter CH of the group to join and asks, when CONFIRM, whether
 * to join under it. */
static int confirm_join(rsn_cli_t *cli, const Raison__Charter *ch, bool confirm)
{
    if (confirm && !isatty(STDIN_FILENO)) {
        return cli_fail(cli, RSN_ERR_INVALID_ARG,
                        "refusing to join without confirmation: pass --yes");
    }
    /* with --json, stdout holds the one JSON document: the charter goes
     * to stderr when a person must read it before answering */
    if (!cli->json) {
        cli_print_charter(cli, stdout, ch);
    } else if (confirm) {
        cli_print_charter(cli, stderr, ch);
    }
    fflush(stdout);
    if (confirm) {
        char *q = rsn_arena_printf(cli->arena, "Join %s under this charter (version %u)? [y/N]",
                                   cli_safe(cli, ch->name), ch->version);
        if (!q || !cli_confirm(q)) {
            return cli_fail(cli, RSN_ERR_INVALID_ARG, "not joined");
        }
    }
    return 0;
}

/* Prints what the membership M of MEMBER, published as ID in G, did (M as
 * signed: its answers and member_seq filled in from the draft). */
static int print_membership(rsn_cli_t *cli, const Raison__GroupReply *g,
                            const Raison__Membership *m, const uint8_t *member,
                            const uint8_t id[RSN_ID_BYTES])
{
    const Raison__Charter *ch = g->charter;
    Raison__Action action = m->action;
    bool join = action == RAISON__ACTION__ACTION_JOIN;
    bool other = action == RAISON__ACTION__ACTION_ADD || action == RAISON__ACTION__ACTION_REMOVE;
    if (cli->json) {
        return cli_json_print(
            cli,
            json_pack("{s:o,s:o,s:o,s:I,s:o,s:o}", "id", cli_json_hex(id, RSN_ID_BYTES), "group",
                      cli_json_hex(g->group.data, g->group.len), "charter",
                      join ? cli_json_hex(g->charter_id.data, g->charter_id.len) : json_null(),
                      "version", (json_int_t)ch->version, "answers",
                      join && m->answers.len ? cli_json_hex(m->answers.data, m->answers.len)
                                             : json_null(),
                      "member_seq", other ? json_integer((json_int_t)m->member_seq) : json_null()),
            false);
    }
    switch (action) {
    case RAISON__ACTION__ACTION_JOIN:
        printf("joined %s under charter version %u", cli_safe(cli, ch->name), ch->version);
        if (m->answers.len == RSN_ID_BYTES) {
            printf(", answering the add %s", cli_hex(cli, m->answers.data, 6));
        }
        printf("\n");
        break;
    case RAISON__ACTION__ACTION_LEAVE: printf("left %s\n", cli_safe(cli, ch->name)); break;
    case RAISON__ACTION__ACTION_ADD:
        printf("added %s to %s (at seq %llu of their feed)\n", cli_hex(cli, member, RSN_KEY_BYTES),
               cli_safe(cli, ch->name), (unsigned long long)m->member_seq);
        break;
    default:
        printf("removed %s from %s (their posts after seq %llu are shown by no node)\n",
               cli_hex(cli, member, RSN_KEY_BYTES), cli_safe(cli, ch->name),
               (unsigned long long)m->member_seq);
        break;
    }
    printf("%s\n", cli_hex(cli, id, RSN_ID_BYTES));
    return 0;
}

/* Publishes a membership ACTION in group REF for MEMBER (NULL: oneself). */
static int membership(rsn_cli_t *cli, const char *ref, Raison__Action action, const uint8_t *member,
                      bool confirm)
{
    Raison__ApiReply *reply = NULL;
    const rsn_keypair_t *kp = NULL;
    uint8_t id[RSN_ID_BYTES];
    int rc = 0;
    if ((rc = cli_keypair(cli, &kp)) != 0 || (rc = cli_group(cli, ref, &reply)) != 0) {
        return rc;
    }
    const Raison__GroupReply *g = reply->group;
    if (action == RAISON__ACTION__ACTION_JOIN && (rc = confirm_join(cli, g->charter, confirm))) {
        goto out;
    }
    Raison__Membership m = RAISON__MEMBERSHIP__INIT;
    m.group = g->group;
    m.action = action;
    m.member.data = (uint8_t *)(member ? member : rsn_keypair_public(kp));
    m.member.len = RSN_KEY_BYTES;
    if (action == RAISON__ACTION__ACTION_JOIN) {
        m.charter = g->charter_id;
    }
    if ((rc = cli_publish(cli, RAISON__KIND__KIND_MEMBERSHIP, &m.base, id)) == 0) {
        rc = print_membership(cli, g, &m, member, id);
    }
out:
    rsn_reply_free(reply);
    return rc;
}

/* A flag (`join --yes`, `retract --erase`): sets the bool CTX points to. */
static int flag_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    (void)cli;
    (void)opt;
    (void)value;
    *(bool *)ctx = true;
    return 0;
}

int cli_cmd_join(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"yes", no_argument, NULL, 'y'}, {NULL, 0, NULL, 0}};
    bool yes = false;
    cli_args_t spec = {.options = opts,
                       .on_option = flag_option,
                       .ctx = &yes,
                       .min_operands = 1,
                       .max_operands = 1};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    return membership(cli, argv[first], RAISON__ACTION__ACTION_JOIN, NULL, !yes);
}

int cli_cmd_leave(rsn_cli_t *cli, int argc, char **argv)
{
    cli_args_t spec = {.min_operands = 1, .max_operands = 1};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    return membership(cli, argv[first], RAISON__ACTION__ACTION_LEAVE, NULL, false);
}

static int add_or_remove(rsn_cli_t *cli, int argc, char **argv, Raison__Action action)
{
    uint8_t key[RSN_KEY_BYTES];
    cli_args_t spec = {.min_operands = 2, .max_operands = 2};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    const char *hex = argv[first + 1];
    if (strlen(hex) != RSN_KEY_HEX || rsn_key_from_hex(key, hex) != 0) {
        return cli_usage_error(cli, "KEY must be 64 hex characters, not '%s'", hex);
    }
    return membership(cli, argv[first], action, key, false);
}

int cli_cmd_add(rsn_cli_t *cli, int argc, char **argv)
{
    return add_or_remove(cli, argc, argv, RAISON__ACTION__ACTION_ADD);
}

int cli_cmd_remove(rsn_cli_t *cli, int argc, char **argv)
{
    return add_or_remove(cli, argc, argv, RAISON__ACTION__ACTION_REMOVE);
}

/* --- posts ------------------------------------------------------------------------ */

int cli_cmd_post(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"mission", required_argument, NULL, 1},
                                         {NULL, 0, NULL, 0}};
    Raison__ApiReply *reply = NULL;
    const char *mission = NULL;
    cli_args_t spec = {.options = opts,
                       .on_option = string_option,
                       .ctx = &mission,
                       .min_operands = 1,
                       .max_operands = -1,
                       .missing = "missing GROUP"};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    if (!mission) {
        return cli_usage_error(cli, "--mission KEY is required: the mission this post serves");
    }
    char *text = join_words(cli, argc, argv, first + 1);
    if (!text || !text[0]) {
        return cli_usage_error(cli, "missing TEXT");
    }
    if ((rc = cli_group(cli, argv[first], &reply)) != 0) {
        return rc;
    }
    Raison__Post p = RAISON__POST__INIT;
    p.group = reply->group->group;
    p.mission = (char *)mission;
    p.text = text;
    rc = publish_and_print(cli, RAISON__KIND__KIND_POST, &p.base);
    rsn_reply_free(reply);
    return rc;
}

/* The ENTRY_ID operand ARGV[FIRST] into ID. */
static int entry_operand(rsn_cli_t *cli, char **argv, int first, uint8_t id[RSN_ID_BYTES])
{
    const char *hex = argv[first];
    if (strlen(hex) != RSN_KEY_HEX || rsn_key_from_hex(id, hex) != 0) {
        return cli_usage_error(cli, "ENTRY_ID must be 64 hex characters, not '%s'", hex);
    }
    return 0;
}

int cli_cmd_reply(rsn_cli_t *cli, int argc, char **argv)
{
    Raison__ApiReply *reply = NULL;
    uint8_t target[RSN_ID_BYTES];
    cli_args_t spec = {.min_operands = 1, .max_operands = -1, .missing = "missing ENTRY_ID"};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0 || (rc = entry_operand(cli, argv, first, target)) != 0) {
        return rc;
    }
    char *text = join_words(cli, argc, argv, first + 1);
    if (!text || !text[0]) {
        return cli_usage_error(cli, "missing TEXT");
    }
    if ((rc = cli_entry(cli, target, &reply)) != 0) {
        return rc;
    }
    const Raison__EntryInfo *info = reply->entry->entry;
    const Raison__Post *parent = NULL;
    if (info->kind != RAISON__KIND__KIND_POST) {
        rc = cli_fail(cli, RSN_ERR_INVALID_ARG, "entry %s is a %s, not a post", argv[first],
                      rsn_kind_name(info->kind));
    } else if (!(parent = cli_entry_body(cli, info))) {
        rc = cli_fail(cli, RSN_ERR_INVALID_ARG, "cannot reply to %s: its body was erased",
                      argv[first]);
    } else {
        Raison__Post p = RAISON__POST__INIT;
        p.group = parent->group;
        p.mission = parent->mission;
        p.text = text;
        p.reply_to.data = target;
        p.reply_to.len = RSN_ID_BYTES;
        rc = publish_and_print(cli, RAISON__KIND__KIND_POST, &p.base);
    }
    rsn_reply_free(reply);
    return rc;
}

int cli_cmd_retract(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"erase", no_argument, NULL, 'e'}, {NULL, 0, NULL, 0}};
    Raison__Retraction r = RAISON__RETRACTION__INIT;
    uint8_t target[RSN_ID_BYTES];
    bool erase = false;
    cli_args_t spec = {.options = opts,
                       .on_option = flag_option,
                       .ctx = &erase,
                       .min_operands = 1,
                       .max_operands = 1,
                       .missing = "missing ENTRY_ID",
                       .extra = "unexpected argument"};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0 || (rc = entry_operand(cli, argv, first, target)) != 0) {
        return rc;
    }
    r.erase = erase;
    r.target.data = target;
    r.target.len = RSN_ID_BYTES;
    return publish_and_print(cli, RAISON__KIND__KIND_RETRACTION, &r.base);
}
