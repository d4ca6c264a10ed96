/* bench_idle.c — what anti-entropy costs between two nodes that agree.
 *
 * Issue 3's idle-cost benchmark: "bytes exchanged per anti-entropy round
 * between two nodes that already agree, with 10,000 authors. Target: under
 * 512 bytes."
 *
 * Starts two raisond (RAISOND, data under WORK) linked to each other (MODE
 * "mutual": each lists the other with its endpoint, as a real configuration
 * would, so there are two TCP connections; "oneway": only B dials A), publishes
 * one pre-signed profile entry for each of AUTHORS authors at A, waits until B
 * holds them all, lets the link settle for SETTLE_S, then measures over
 * SECONDS:
 *
 *  - payload bytes: the per-peer bytes_sent / bytes_received of the `peers`
 *    call at both nodes. net/fed.c counts there the FedFrame payloads handed
 *    to or taken from ZeroMQ (rsn_fed_send / deliver), nothing else: no ZMTP
 *    framing, no CURVE box, no heartbeat, no transport keepalive.
 *  - wire bytes: the TCP payload bytes of every connection between the two
 *    nodes, read from the kernel (tcp_info through `ss -ti`: bytes_sent and
 *    bytes_received of the accepting end of each connection, which is the
 *    whole two-way exchange): ZMTP frames, CURVE MESSAGE boxes, ZMTP
 *    PING/PONG heartbeats and the transport's keepalive frames included. The
 *    TCP/IP headers are estimated on top as 52 bytes a segment (20 IPv4 + 20
 *    TCP + 12 timestamp option; segments from tcp_info, pure ACKs included).
 *
 * A round is RSN_GOSSIP_ROUND_MS (every node sends each peer a Digest once a
 * round). The window is aligned on rounds: it opens just after A sends B a
 * frame (polling A's counter every 10 ms; on an idle link that frame is a
 * Digest) and closes just after the SECONDS / round -th next one, and the
 * figures are divided by that number of rounds. The wire figure also
 * carries the transport's per-second keepalives and heartbeats, which do not
 * depend on the number of authors: run with AUTHORS=10 to see that floor.
 *
 *   bench_idle RAISOND WORK [AUTHORS=10000] [SECONDS=20] [mutual|oneway]
 *
 * Not a test: it asserts nothing about the figures. It exits 1 when the setup
 * fails (a node does not start, B does not catch up within 120 s). */
#include "bench_util.h"
#include "daemon/gossip.h"

#define SETTLE_S 6.0
#define CATCHUP_S 120.0
#define SS_BYTES (256 * 1024)
/* per ZeroMQ message on a CURVE link: "\x07MESSAGE" + 8-byte nonce + 16-byte
 * MAC + flags byte (net/fed.c FED_CURVE_OVERHEAD), plus a 2-byte ZMTP header */
#define FRAME_OVERHEAD 35

typedef struct {
    uint64_t a_sent, a_received; /* A's counters for its peer B */
    uint64_t b_sent, b_received; /* B's counters for its peer A */
    uint64_t wire;               /* TCP payload bytes, both ways, all connections */
    uint64_t segs;               /* TCP segments, both ways */
    int connections;
} snapshot_t;

/* The counters NODE's client C holds for the peer whose hex key is KEY. */
static int peer_bytes(rsn_client_t *c, const char *key, uint64_t *sent, uint64_t *received)
{
    uint8_t bin[RSN_KEY_BYTES];
    Raison__ApiReply *reply = NULL;
    if (rsn_key_from_hex(bin, key) != 0 || rsn_test_api_peers(c, &reply) != 0) {
        return -1;
    }
    const Raison__PeerInfo *p = rsn_test_api_peer_of(reply, bin);
    if (p != NULL) {
        *sent = p->bytes_sent;
        *received = p->bytes_received;
    }
    rsn_test_reply_free(reply);
    if (p == NULL) {
        fprintf(stderr, "bench_idle: peer %.16s not listed\n", key);
        return -1;
    }
    return 0;
}

/* Value of "NAME:" in TEXT (a tcp_info line of ss), 0 when absent. */
static uint64_t ss_field(const char *text, const char *name)
{
    const char *p = text;
    size_t len = strlen(name);
    while ((p = strstr(p, name)) != NULL) {
        if ((p == text || p[-1] == ' ' || p[-1] == '\t') && p[len] == ':') {
            return strtoull(p + len + 1, NULL, 10);
        }
        p += len;
    }
    return 0;
}

/* Sums the tcp_info counters of the accepting end of every established
 * connection to port PA or PB. 0 or -1. */
static int wire_bytes(int pa, int pb, snapshot_t *s)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd,
             "ss -tinH state established '( sport = :%d or sport = :%d )' 2>/dev/null", pa, pb);
    FILE *f = popen(cmd, "r");
    if (f == NULL) {
        return -1;
    }
    char *buf = malloc(SS_BYTES);
    if (buf == NULL) {
        pclose(f);
        return -1;
    }
    size_t n = fread(buf, 1, SS_BYTES - 1, f);
    buf[n] = '\0';
    int status = pclose(f);
    s->wire = s->segs = 0;
    s->connections = 0;
    /* each socket is an address line, then an indented tcp_info line */
    for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (line[0] != '\t' && line[0] != ' ') {
            continue;
        }
        s->connections++;
        s->wire += ss_field(line, "bytes_sent") + ss_field(line, "bytes_received");
        s->segs += ss_field(line, "segs_out") + ss_field(line, "segs_in");
    }
    free(buf);
    return status == 0 ? 0 : -1;
}

/* Polls A's bytes_sent to B every 10 ms until it moves past *LAST (A just
 * sent a frame: in an idle link, its Digest); the new value in *LAST. 0, or
 * -1 after TIMEOUT_S without a change. */
static int wait_send(rsn_client_t *ca, const rsn_test_node_t *b, uint64_t *last, double timeout_s)
{
    double deadline = rsn_test_now() + timeout_s;
    while (rsn_test_now() < deadline) {
        uint64_t sent = 0, received = 0;
        if (peer_bytes(ca, b->key, &sent, &received) != 0) {
            return -1;
        }
        if (sent != *last) {
            *last = sent;
            return 0;
        }
        rsn_test_sleep_ms(10);
    }
    fprintf(stderr, "bench_idle: A sent nothing to B for %.0f s\n", timeout_s);
    return -1;
}

static int snapshot(rsn_client_t *ca, rsn_client_t *cb, const rsn_test_node_t *a,
                    const rsn_test_node_t *b, snapshot_t *s)
{
    if (peer_bytes(ca, b->key, &s->a_sent, &s->a_received) != 0 ||
        peer_bytes(cb, a->key, &s->b_sent, &s->b_received) != 0) {
        return -1;
    }
    if (wire_bytes(a->port, b->port, s) != 0) {
        fprintf(stderr, "bench_idle: `ss -ti` failed: no wire figure\n");
        s->connections = -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int status = 1;
    bench_set_t set = {0};
    rsn_client_t *ca = NULL;
    rsn_client_t *cb = NULL;
    rsn_test_node_t a = {0};
    rsn_test_node_t b = {0};

    if (argc < 3) {
        fprintf(stderr, "usage: bench_idle RAISOND WORK [AUTHORS] [SECONDS] [mutual|oneway]\n");
        return 2;
    }
    const char *raisond = argv[1];
    const char *work = argv[2];
    size_t authors = (size_t)bench_arg(argc, argv, 3, 10000, 1000000);
    double seconds = (double)bench_arg(argc, argv, 4, 20, 3600);
    const char *mode = argc > 5 ? argv[5] : "mutual";
    bool mutual = strcmp(mode, "mutual") == 0;
    if (!mutual && strcmp(mode, "oneway") != 0) {
        fprintf(stderr, "bench_idle: mode is mutual or oneway, not %s\n", mode);
        return 2;
    }

    if (bench_start("bench_idle") != 0) {
        return 1;
    }
    bench_print_machine();
    if (bench_set_make(&set, authors, 1) != 0) {
        goto out;
    }
    if (rsn_test_node_init(&a, raisond, work, "a") != 0 ||
        rsn_test_node_init(&b, raisond, work, "b") != 0 ||
        rsn_test_node_peer(&a, &b, mutual) != 0 || rsn_test_node_peer(&b, &a, true) != 0 ||
        rsn_test_node_start(&a, raisond) != 0 || rsn_test_node_start(&b, raisond) != 0 ||
        rsn_test_node_connect(&a, &ca, 30) != 0 || rsn_test_node_connect(&b, &cb, 30) != 0) {
        goto out;
    }
    double fill = bench_publish_all(ca, set.order, authors, 512);
    if (fill < 0) {
        goto out;
    }
    double t_fill = rsn_test_now();
    uint64_t entries = 0;
    uint32_t connected = 0;
    for (;;) {
        if (rsn_test_api_status(cb, &entries, &connected) != 0) {
            goto out;
        }
        if (entries >= authors) {
            break;
        }
        if (rsn_test_now() - t_fill > CATCHUP_S) {
            fprintf(stderr, "bench_idle: B holds %" PRIu64 " of %zu entries after %.0f s\n",
                    entries, authors, CATCHUP_S);
            bench_print_peers(ca, "a");
            bench_print_peers(cb, "b");
            goto out;
        }
        rsn_test_sleep_ms(50);
    }
    printf("%zu entries of %zu authors published at A (%.0f/s), all at B %.2f s after the"
           " last ack; links: %s\n",
           authors, authors, fill, rsn_test_now() - t_fill,
           mutual ? "mutual (each dials the other)" : "oneway (B dials A)");
    rsn_test_sleep_ms(SETTLE_S * 1000);

    /* the window runs from just after one of A's Digests to just after the
     * ROUNDS-th next one, so it spans whole rounds */
    int rounds = (int)(seconds * 1000 / RSN_GOSSIP_ROUND_MS);
    rounds = rounds < 1 ? 1 : rounds;
    snapshot_t s0, s1;
    uint64_t mark = 0;
    if (peer_bytes(ca, b.key, &mark, &entries) != 0 || wait_send(ca, &b, &mark, 10) != 0 ||
        snapshot(ca, cb, &a, &b, &s0) != 0) {
        goto out;
    }
    double t0 = rsn_test_now();
    for (int r = 0; r < rounds; r++) {
        if (wait_send(ca, &b, &mark, 10) != 0) {
            goto out;
        }
    }
    if (snapshot(ca, cb, &a, &b, &s1) != 0) {
        goto out;
    }
    double elapsed = rsn_test_now() - t0;
    uint64_t a_entries = 0, b_entries = 0;
    if (rsn_test_api_status(ca, &a_entries, &connected) != 0 ||
        rsn_test_api_status(cb, &b_entries, &connected) != 0) {
        goto out;
    }
    if (a_entries != b_entries) {
        printf("WARNING: the nodes disagree (%" PRIu64 " vs %" PRIu64 " entries)\n", a_entries,
               b_entries);
    }
    uint64_t a_to_b = s1.a_sent - s0.a_sent;
    uint64_t b_to_a = s1.b_sent - s0.b_sent;
    printf("measured over %d rounds of %d ms (A's Digest to A's Digest: %.2f s),"
           " %zu authors held by both\n",
           rounds, RSN_GOSSIP_ROUND_MS, elapsed, authors);
    printf("payload (FedFrame bytes as `peers` counts them): A->B %" PRIu64 " B->A %" PRIu64
           " (received: at B %" PRIu64 ", at A %" PRIu64 ")\n",
           a_to_b, b_to_a, s1.b_received - s0.b_received, s1.a_received - s0.a_received);
    printf("idle cost: %.0f payload bytes per round, both ways  (target < 512)\n",
           (double)(a_to_b + b_to_a) / rounds);
    printf("payload frames per round: A->B %.1f bytes, B->A %.1f bytes\n", (double)a_to_b / rounds,
           (double)b_to_a / rounds);
    printf("the Digests alone on the wire (estimate: payload + 35 B a frame, the CURVE MESSAGE"
           " box 33 B and the ZMTP frame header 2 B, one frame each way a round): %.0f bytes"
           " per round\n",
           (double)(a_to_b + b_to_a) / rounds + 2 * FRAME_OVERHEAD);
    if (s0.connections >= 0 && s1.connections >= 0) {
        uint64_t wire = s1.wire - s0.wire;
        uint64_t segs = s1.segs - s0.segs;
        printf("wire: %.0f TCP payload bytes per round (ZMTP + CURVE + heartbeats + keepalives,"
               " %d connection(s)); %.0f with TCP/IP headers (%.1f segments a round x 52 B)\n",
               (double)wire / rounds, s1.connections, (double)(wire + 52 * segs) / rounds,
               (double)segs / rounds);
    }
    status = 0;
out:
    rsn_client_destroy(&ca);
    rsn_client_destroy(&cb);
    rsn_test_node_stop(&b);
    rsn_test_node_stop(&a);
    bench_set_free(&set);
    return status;
}
