/* peers.c — `raison peers`: the federation links of the node.
 *
 * One `peers` API call. For people: where the node listens, then a table of
 * its peers (short key, site, endpoint, link state and since when, entries
 * sent and received, entries the peer lacks that we hold, frames or entries
 * dropped as invalid), with the last error and any ban on a line under the
 * peer they concern. With --json: {"listen": ..., "peers": [...]} with full
 * keys and raw numbers (times in ms since the epoch, 0 when never). */
#include <string.h>

#include "cli/cli.h"

/* "12s", "3m 04s", "2h 05m", "4d 03h": a span of MS for people, in the arena. */
static const char *span(rsn_cli_t *cli, uint64_t ms)
{
    unsigned long long s = (unsigned long long)(ms / 1000);
    const char *t;
    if (s < 60) {
        t = rsn_arena_printf(cli->arena, "%llus", s);
    } else if (s < 3600) {
        t = rsn_arena_printf(cli->arena, "%llum %02llus", s / 60, s % 60);
    } else if (s < 86400) {
        t = rsn_arena_printf(cli->arena, "%lluh %02llum", s / 3600, s / 60 % 60);
    } else {
        t = rsn_arena_printf(cli->arena, "%llud %02lluh", s / 86400, s / 3600 % 24);
    }
    return t ? t : "?";
}

/* "up for 3m 04s", "down for 12s", "never connected": the link for people. */
static const char *link_text(rsn_cli_t *cli, const Raison__PeerInfo *p, uint64_t now)
{
    const char *state = p->connected ? "up" : "down";
    if (p->since == 0) {
        return p->connected ? "up" : "never connected";
    }
    uint64_t ago = now > p->since ? now - p->since : 0;
    const char *t = rsn_arena_printf(cli->arena, "%s for %s", state, span(cli, ago));
    return t ? t : state;
}

static void print_text(rsn_cli_t *cli, const Raison__PeersReply *pr)
{
    uint64_t now = cli_now_ms();
    size_t connected = 0;
    int ep_width = 8; /* "ENDPOINT" */
    for (size_t i = 0; i < pr->n_peers; i++) {
        const Raison__PeerInfo *p = pr->peers[i];
        connected += p->connected ? 1 : 0;
        int w = p->endpoint && p->endpoint[0] ? (int)strlen(p->endpoint) : 13;
        ep_width = w > ep_width ? w : ep_width;
    }
    ep_width = ep_width > 40 ? 40 : ep_width;
    printf("listening on %s; %zu peer%s, %zu connected\n",
           pr->listen && pr->listen[0] ? pr->listen : "(nothing: dial only)", pr->n_peers,
           pr->n_peers == 1 ? "" : "s", connected);
    if (pr->n_peers == 0) {
        printf("no peers configured: start raisond with --peer EP=KEY, or add\n"
               "peer=EP=KEY to the [federation] section of its config file and\n"
               "send it SIGHUP\n");
        return;
    }
    printf("\n%-12s  %-10s  %-*s  %-16s  %8s  %8s  %7s  %7s\n", "PEER", "SITE", ep_width,
           "ENDPOINT", "LINK", "SENT", "RECEIVED", "MISSING", "DROPPED");
    for (size_t i = 0; i < pr->n_peers; i++) {
        const Raison__PeerInfo *p = pr->peers[i];
        const char *key = cli_hex(cli, p->key.data, p->key.len < 6 ? p->key.len : 6);
        const char *site = p->site && p->site[0] ? cli_safe(cli, p->site) : "-";
        const char *ep = p->endpoint && p->endpoint[0] ? cli_safe(cli, p->endpoint) : "(dials us)";
        printf("%-12s  %-10.10s  %-*.*s  %-16s  %8llu  %8llu  %7llu  %7llu\n", key, site, ep_width,
               ep_width, ep, link_text(cli, p, now), (unsigned long long)p->entries_sent,
               (unsigned long long)p->entries_received, (unsigned long long)p->missing,
               (unsigned long long)p->dropped);
        if (p->bare_received || p->bodies_fetched) {
            printf("%14s%llu sent without their body, %llu missing bodies fetched from it\n", "",
                   (unsigned long long)p->bare_received, (unsigned long long)p->bodies_fetched);
        }
        if (p->banned_until > now) {
            printf("%14sbanned until %s (%s more)\n", "", cli_time(cli, p->banned_until),
                   span(cli, p->banned_until - now));
        }
        if (p->last_error && p->last_error[0]) {
            printf("%14slast error: %s\n", "", cli_safe(cli, p->last_error));
        }
        if (p->checkpoint_size > 0) {
            printf("%14slast checkpoint verified consistent: size %llu\n", "",
                   (unsigned long long)p->checkpoint_size);
        }
        if (p->inconsistency && p->inconsistency[0]) {
            printf("%14sINCONSISTENT HISTORY: %s (evidence kept)\n", "",
                   cli_safe(cli, p->inconsistency));
        }
        if (p->unanswered_consistency && p->unanswered_consistency[0]) {
            printf("%14sOWES A CONSISTENCY PROOF: %s (asking again)\n", "",
                   p->unanswered_consistency);
        }
    }
    printf("\nSENT, RECEIVED: entries; MISSING: entries we hold that the peer lacked at the\n"
           "last comparison; DROPPED: its frames or entries refused as invalid.\n");
}

int cli_cmd_peers(rsn_cli_t *cli, int argc, char **argv)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PeersRequest pr = RAISON__PEERS_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    int rc = cli_no_args(cli, argc, argv);
    if (rc != 0) {
        return rc;
    }
    req.call_case = RAISON__API_REQUEST__CALL_PEERS;
    req.peers = &pr;
    if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_PEERS, &reply)) != 0) {
        return rc;
    }
    if (!reply->peers) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an empty peer list");
    } else if (cli->json) {
        rc = cli_json_print(cli, cli_json_peers(reply->peers), false);
    } else {
        print_text(cli, reply->peers);
    }
    rsn_reply_free(reply);
    return rc;
}
