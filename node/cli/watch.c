/* watch.c — `raison watch`: entries as they arrive.
 *
 * Keeps a subscription open (of one group, or of every entry), renews it
 * before it expires by resending the very same request (same request_id, so
 * the node sees one subscription), prints each event as a line for people or
 * one JSON object per line, and stops on SIGINT or SIGTERM, after --count
 * events or after --timeout-ms, which here bounds the whole watch. On the
 * way out it tells the node to stop sending (best effort: a subscription
 * expires anyway). */
#include <signal.h>
#include <string.h>

#include "cli/cli.h"

/* `watch --count N`. */
static int count_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    (void)opt;
    if (!cli_parse_uint(value, UINT32_MAX, ctx) || *(uint64_t *)ctx == 0) {
        return cli_usage_error(cli, "--count needs a positive number");
    }
    return 0;
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Prints one event: a line for people, or one JSON object on a line. */
static void print_event(rsn_cli_t *cli, const Raison__Event *ev)
{
    const Raison__EntryInfo *e = ev->entry;
    if (cli->json) {
        if (cli_json_print(cli, cli_json_event(cli, ev), true) != 0) {
            /* said; one event lost, the watch goes on */
        }
        return;
    }
    if (ev->post) {
        const Raison__PostView *p = ev->post;
        printf("%s  %s  %s [%s]%s: %s\n", cli_time(cli, p->timestamp),
               cli_hex(cli, p->id.data, p->id.len),
               cli_who(cli, p->author_name, p->author_site, p->author), cli_safe(cli, p->mission),
               p->reply_to.len ? " (reply)" : "", p->erased ? "(erased)" : cli_safe(cli, p->text));
    } else if (e) {
        printf("%s  %s  %s seq %llu: %s\n", cli_time(cli, e->timestamp),
               cli_hex(cli, e->id.data, e->id.len), cli_hex(cli, e->author.data, 6),
               (unsigned long long)e->seq, cli_entry_summary(cli, e));
    }
    fflush(stdout);
}

int cli_cmd_watch(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"count", required_argument, NULL, 'c'},
                                         {NULL, 0, NULL, 0}};
    uint64_t count = 0, seen = 0;
    cli_args_t spec = {
        .options = opts, .on_option = count_option, .ctx = &count, .max_operands = 1};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    /* here --timeout-ms bounds the whole watch; replies still get the default */
    uint64_t start = cli_now_ms();
    uint64_t deadline = cli->timeout_given ? start + (uint64_t)cli->timeout_ms : UINT64_MAX;
    cli->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);

    rsn_client_t *client = NULL;
    Raison__ApiReply *reply = NULL;
    uint8_t *again = NULL;
    size_t again_len = 0;
    uint64_t rid = 0;
    if ((rc = cli_client(cli, &client)) != 0) {
        return rc;
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__SubscribeRequest sub = RAISON__SUBSCRIBE_REQUEST__INIT;
    sub.group = (char *)(first < argc ? argv[first] : "");
    req.call_case = RAISON__API_REQUEST__CALL_SUBSCRIBE;
    req.subscribe = &sub;
    if (rsn_client_send(client, &req, &rid) != 0) {
        return cli_fail(cli, RSN_ERR_UNAVAILABLE,
                        "no node is listening on %s (is raisond running?)", cli->socket_path);
    }
    /* the renewal is the very same request: same request_id, same bytes */
    req.request_id = rid;
    if (rsn_pack(cli->arena, &req.base, &again, &again_len) != 0) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    bool subscribed = false;
    uint64_t renew_at = UINT64_MAX, sub_deadline = start + CLI_DEFAULT_TIMEOUT_MS;
    while (!stop_requested) {
        uint64_t now = cli_now_ms();
        if (now >= deadline) {
            if (count && seen < count) {
                rc = cli_fail(cli, RSN_ERR_TIMEOUT, "timed out after %llu of %llu events",
                              (unsigned long long)seen, (unsigned long long)count);
                goto out;
            }
            break;
        }
        if (!subscribed && now >= sub_deadline) {
            rc = cli_fail(cli, RSN_ERR_TIMEOUT, "the node at %s did not answer the subscription",
                          cli->socket_path);
            goto out;
        }
        if (now >= renew_at) {
            if (rsn_client_send_raw(client, again, again_len) != 0) {
                rc = cli_fail(cli, RSN_ERR_UNAVAILABLE, "lost the node at %s", cli->socket_path);
                goto out;
            }
            renew_at = UINT64_MAX; /* until the node answers with a new expiry */
        }
        uint64_t wake = deadline < renew_at ? deadline : renew_at;
        int wait = wake - now < 200 ? (int)(wake - now) : 200;
        rc = rsn_client_recv_timeout(client, &reply, wait);
        if (rc == RSN_ERR_TIMEOUT || rc == RSN_ERR_INTERRUPTED || rc == RSN_ERR_BAD_REQUEST) {
            continue;
        }
        if (rc != 0) {
            rc = cli_fail(cli, rc, "lost the node at %s: %s", cli->socket_path, rsn_strerror(rc));
            goto out;
        }
        if (reply->request_id == rid) {
            switch (reply->result_case) {
            case RAISON__API_REPLY__RESULT_ERROR: rc = cli_node_error(cli, reply); goto out;
            case RAISON__API_REPLY__RESULT_SUBSCRIBE: {
                uint32_t ms = reply->subscribe ? reply->subscribe->expires_in_ms : 0;
                subscribed = true;
                /* renew at half the time left: a slow reply never lets it lapse */
                renew_at = ms ? cli_now_ms() + ms / 2 : UINT64_MAX;
                break;
            }
            case RAISON__API_REPLY__RESULT_EVENT:
                if (reply->event) {
                    subscribed = true;
                    print_event(cli, reply->event);
                    seen++;
                }
                break;
            default: break;
            }
        }
        rsn_reply_free(reply);
        reply = NULL;
        if (count && seen >= count) {
            break;
        }
    }
    rc = 0;
out:
    rsn_reply_free(reply);
    /* tell the node to stop sending; best effort, it expires anyway */
    sub.cancel = true;
    uint8_t *cancel = NULL;
    size_t cancel_len = 0;
    if (rsn_pack(cli->arena, &req.base, &cancel, &cancel_len) == 0) {
        if (rsn_client_send_raw(client, cancel, cancel_len) != 0) {
            /* the node is gone: nothing to cancel */
        }
    }
    return rc;
}
