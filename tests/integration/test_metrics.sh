#!/usr/bin/env bash
# test_metrics.sh — the Prometheus endpoint of two peered nodes, scraped with
# curl, against what the nodes say through the API.
#
# a serves its metrics from --metrics, b from [node] metrics = in its config
# file. alice publishes at a; once b holds every entry, each page is read by
# an independent parser (py/prom_check.py: HELP and TYPE before each family,
# raison_ prefix, _total counters, escaped labels, histograms with ascending
# le, cumulative buckets and _count equal to +Inf), and its figures are
# compared with `raison status --json` and `raison peers --json`: the
# store's counts, what each link sent and received, the sync lag both ways,
# the witness state, the write path's counters (publishes at a, relays at b,
# entries committed), the latest checkpoint. A known number of API calls
# moves each call's counter and histogram count by exactly that number, an
# error counts as an error. The HTTP side: the content type, 404 for any
# other path, 405 for POST or DELETE, headers past the memory bound
# refused while the node keeps serving, four idle connections from one
# address holding off a fifth, an idle one closed after 10 s. b, stopped
# while a takes a burst and started again, shows a sync lag behind a that is
# above 0 while it catches up, never more than what it lacks, and 0 at the
# end. A non-loopback --metrics address is refused at start unless
# metrics_public = true, as is a malformed one.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

PROM="$PY $RSN_SOURCE/tests/integration/py/prom_check.py"

fed_init a b
fed_next_port
MA=$FED_PORT
fed_next_port
MB=$FED_PORT
fed_next_port
MPUB=$FED_PORT

fed_start a --peer "$(fed_peer b)" --metrics "127.0.0.1:$MA"
fed_config b a
sed -i "s/^\[node\]$/[node]\nmetrics = 127.0.0.1:$MB/" "$T/b.ini"
start_node b --listen "${FED_EP[b]}" --log-level "$RSN_FED_LOG_LEVEL" --config "$T/b.ini"
wait_connected a b
wait_connected b a
log_has a "metrics: serving http://127.0.0.1:$MA/metrics"
log_has b "metrics: serving http://127.0.0.1:$MB/metrics"

declare -A MPORT=([a]=$MA [b]=$MB)

# scrape NAME: the page of NAME into $T/NAME.prom (checked), headers in .hdr
scrape() {
    curl -sS -f -m 10 -D "$T/$1.hdr" -o "$T/$1.prom" "http://127.0.0.1:${MPORT[$1]}/metrics" ||
        fail "scraping node $1"
    $PROM check "$T/$1.prom" || fail "the page of node $1 breaks the format (above)"
}

# m NAME SERIES: the value of SERIES in NAME's last page
m() { $PROM get "$T/$1.prom" "$2" || fail "no series $2 in the page of node $1"; }

# --- entries published at a reach b ------------------------------------------------
fed_author ALICE a alice Alice paris
fed_group G a alice metrics "Watch the nodes" "watch=Know when to act" "Fewer outages" \
    "Kept a year"
as_on a alice join "$G" --yes >/dev/null 2>&1 || true
P1=$(as_on a alice --json post "$G" --mission watch "first" | json 'j["id"]')
P2=$(as_on a alice --json post "$G" --mission watch "second" | json 'j["id"]')
assert_hex64 "$P1" "first post"
assert_hex64 "$P2" "second post"
N=$(st a entries)
wait_entries b "$N"

# same_store_bytes NAME: the page and raison status give one store size
same_store_bytes() {
    scrape "$1"
    [[ $(m "$1" raison_store_bytes) == "$(st "$1" store_bytes)" ]]
}

# --- the store's figures equal raison status --------------------------------------
for node in a b; do
    scrape "$node"
    STATUS=$("$RAISON" --socket "$(node_socket "$node")" --json status)
    for f in entries authors groups forks log_size bodies_missing bodies_erased; do
        assert_eq "$(json "j['$f']" <<<"$STATUS")" "$(m "$node" "raison_$f")" \
            "raison_$f at $node against raison status"
    done
    assert_eq "$(json 'j["peers"]' <<<"$STATUS")" "$(m "$node" raison_peers)" "peers at $node"
    # LevelDB's approximation moves only when a table is written: equal once still
    wait_for "raison_store_bytes at $node to equal raison status" same_store_bytes "$node"
    assert_eq "$(json 'j["peers_connected"]' <<<"$STATUS")" "$(m "$node" raison_peers_connected)" \
        "peers connected at $node"
    assert_eq 1 "$(m "$node" "raison_build_info{version=\"$(json 'j["version"]' <<<"$STATUS")\",site=\"$node\"}")" \
        "build_info of $node names its version and site"
    assert_contains "$(tr -d '\r' <"$T/$node.hdr")" "Content-Type: text/plain; version=0.0.4" \
        "content type of $node's page"
    # the write path: what was committed is what is held (neither restarted)
    assert_eq "$N" "$(m "$node" raison_ingest_committed_entries_total)" \
        "entries committed at $node"
    assert_eq 0 "$(m "$node" raison_ingest_commit_failures_total)" "failed commits at $node"
    busy=$(m "$node" raison_loop_busy_seconds_total)
    up=$(m "$node" raison_uptime_seconds)
    [[ $($PY -c "print(0 < $busy <= $up)") == True ]] ||
        fail "loop busy time at $node ($busy s) is not within its uptime ($up s)"
done
assert_eq "$N" "$(m a 'raison_ingest_entries_total{origin="publish",result="accepted"}')" \
    "publishes accepted at a"
assert_eq 0 "$(m a 'raison_ingest_entries_total{origin="relayed",result="accepted"}')" \
    "relays accepted at a (b had nothing of its own)"
assert_eq "$N" "$(m b 'raison_ingest_entries_total{origin="relayed",result="accepted"}')" \
    "relays accepted at b"
assert_eq 0 "$(m b 'raison_ingest_entries_total{origin="publish",result="accepted"}')" \
    "publishes at b"

# --- each link's figures equal raison peers ---------------------------------------
# peer_expect NAME PEER FIELD: FIELD of PEER in NAME's raison peers --json
peer_expect() {
    peers_json "$1" | json "[p for p in j['peers'] if p['key'] == '${FED_KEY[$2]}'][0]$3"
}
# settled NAME PEER: NAME's raison peers shows nothing PEER lacks and no
# lag behind PEER, and its page no lag either
settled() {
    [[ $(peer_expect "$1" "$2" "['missing']") == 0 ]] || return 1
    [[ $(peer_expect "$1" "$2" "['lacking']") == 0 ]] || return 1
    scrape "$1"
    [[ $(m "$1" "raison_peer_lacking_entries{peer=\"${FED_KEY[$2]}\",site=\"$2\"}") == 0 ]]
}
for pair in "a b" "b a"; do
    read -r node peer <<<"$pair"
    K=${FED_KEY[$peer]}
    L="peer=\"$K\",site=\"$peer\""
    # what is asserted exactly must be still: wait for the pull to settle
    wait_for "no lag either way between $node and $peer" settled "$node" "$peer"
    scrape "$node"
    assert_eq 0 "$(m "$node" "raison_peer_lacking_entries{$L}")" "lag of $node behind $peer"
    assert_not_contains "$("$RAISON" --socket "$(node_socket "$node")" peers)" "entries this node lacks" \
        "raison peers at $node shows no lag"
    assert_eq 1 "$(m "$node" "raison_peer_up{$L}")" "link $node->$peer up"
    assert_eq 0 "$(m "$node" "raison_peer_banned{$L}")" "$peer banned at $node"
    for f in entries_sent:sent_entries_total entries_received:received_entries_total \
        missing:missing_entries dropped:dropped_total; do
        assert_eq "$(peer_expect "$node" "$peer" "['${f%%:*}']")" \
            "$(m "$node" "raison_peer_${f#*:}{$L}")" "raison_peer_${f#*:} of $peer at $node"
    done
    # bytes move with every heartbeat: the page's figure lies between zero
    # and what raison peers says just after
    for f in bytes_sent:sent_bytes_total bytes_received:received_bytes_total; do
        got=$(m "$node" "raison_peer_${f#*:}{$L}")
        later=$(peer_expect "$node" "$peer" "['${f%%:*}']")
        ((got > 0 && got <= later)) ||
            fail "raison_peer_${f#*:} of $peer at $node: $got, raison peers says $later after"
    done
done
assert_eq "$N" "$(m a "raison_peer_sent_entries_total{peer=\"${FED_KEY[b]}\",site=\"b\"}")" \
    "entries a sent b"
assert_eq "$N" "$(m b "raison_peer_received_entries_total{peer=\"${FED_KEY[a]}\",site=\"a\"}")" \
    "entries b received from a"

# --- checkpoints and witnessing --------------------------------------------------------
# a signs a checkpoint of its whole log within seconds; b verifies it
a_signed() { scrape a && [[ $(m a raison_checkpoint_size) == "$N" ]]; }
wait_for "a's checkpoint to cover its $N entries" a_signed
age=$(m a raison_checkpoint_age_seconds)
[[ $($PY -c "print(0 <= $age < $RSN_DEADLINE)") == True ]] || fail "checkpoint age at a: $age"
# witness_expected NAME PEER: the state raison peers shows, in the page's words
witness_expected() {
    peers_json "$1" | json "[('inconsistent' if p['inconsistency'] else 'unanswered'
        if p['unanswered_consistency'] else 'consistent' if p['checkpoint_size'] else 'none')
        for p in j['peers'] if p['key'] == '${FED_KEY[$2]}'][0]"
}
b_witnessed() {
    scrape b
    [[ $(peer_expect b a "['checkpoint_size']") == "$N" ]] &&
        [[ $(m b "raison_peer_checkpoint_size{peer=\"${FED_KEY[a]}\",site=\"a\"}") == "$N" ]]
}
wait_for "b to hold a's checkpoint of size $N" b_witnessed
state=$(witness_expected b a)
assert_eq consistent "$state" "witness state of a at b (raison peers)"
for s in none consistent unanswered inconsistent; do
    want=0
    [[ $s == "$state" ]] && want=1
    assert_eq "$want" "$(m b "raison_peer_witness{peer=\"${FED_KEY[a]}\",site=\"a\",state=\"$s\"}")" \
        "raison_peer_witness state=$s of a at b"
done
assert_eq 0 "$(m b 'raison_witness_results_total{result="inconsistent"}')" "inconsistencies at b"
assert_eq 0 "$(m b 'raison_witness_results_total{result="unanswered"}')" "unanswered at b"

# --- API calls: counted one by one, errors apart ------------------------------------
scrape a
S0=$(m a 'raison_api_call_duration_seconds_count{call="status"}')
OK0=$(m a 'raison_api_calls_total{call="status",result="ok"}')
G0=$(m a 'raison_api_calls_total{call="group",result="error"}')
for _ in 1 2 3 4 5 6 7; do
    "$RAISON" --socket "$(node_socket a)" status >/dev/null
done
must_fail "a group that does not exist" on a group no-such-group
scrape a
assert_eq $((S0 + 7)) "$(m a 'raison_api_call_duration_seconds_count{call="status"}')" \
    "histogram count of status calls after 7 more"
assert_eq $((OK0 + 7)) "$(m a 'raison_api_calls_total{call="status",result="ok"}')" \
    "status calls ok after 7 more"
assert_eq 0 "$(m a 'raison_api_calls_total{call="status",result="error"}')" "status errors"
assert_eq $((G0 + 1)) "$(m a 'raison_api_calls_total{call="group",result="error"}')" \
    "group calls refused"
assert_eq "$(m a 'raison_api_call_duration_seconds_bucket{call="status",le="+Inf"}')" \
    "$(m a 'raison_api_call_duration_seconds_count{call="status"}')" "status +Inf bucket"
# every publish was counted where the API dispatched it
PUB=$(m a 'raison_api_call_duration_seconds_count{call="publish"}')
assert_eq "$N" "$(m a 'raison_api_calls_total{call="publish",result="ok"}')" "publish calls ok"
assert_eq "$N" "$PUB" "publish calls in the histogram"

# --- HTTP: only GET /metrics ----------------------------------------------------------
code() { curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"; }
assert_eq 404 "$(code "http://127.0.0.1:$MA/")" "GET /"
assert_eq 404 "$(code "http://127.0.0.1:$MA/metrics/x")" "GET /metrics/x"
assert_eq 405 "$(code -X POST -d 'x=1' "http://127.0.0.1:$MA/metrics")" "POST /metrics"
assert_eq 405 "$(code -X DELETE "http://127.0.0.1:$MA/metrics")" "DELETE /metrics"
assert_eq 200 "$(code -I "http://127.0.0.1:$MA/metrics")" "HEAD /metrics"
assert_contains "$(curl -s -m 10 -D - -o /dev/null -X POST "http://127.0.0.1:$MA/metrics" | tr -d '\r')" \
    "Allow: GET, HEAD" "the Allow header of a 405"
BIG=$(head -c 20000 /dev/zero | tr '\0' 'x')
big=$(code -H "X-Big: $BIG" "http://127.0.0.1:$MA/metrics")
[[ $big != 200 ]] || fail "a 20 kB header was served (the bound is 16 kB)"
assert_eq 200 "$(code "http://127.0.0.1:$MA/metrics")" "a scrape after the refused one"

# a few connections at once: four idle ones from this address hold the
# per-address limit (RSN_HTTP_METRICS_PER_IP), a fifth gets no page; an idle
# one is closed after RSN_HTTP_METRICS_TIMEOUT_S (10 s: the loop's timer
# runs libmicrohttpd's time-outs); then scrapes work again
$PY - "$MA" <<'PYEOF' || fail "the connection bounds of the metrics server (above)"
import socket, sys, time
port = int(sys.argv[1])
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
start = time.monotonic()
time.sleep(0.3)
fifth = socket.create_connection(("127.0.0.1", port))
fifth.settimeout(5)
try:
    fifth.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    got = fifth.recv(100)
except OSError:
    got = b""
if got:
    sys.exit("a fifth connection from one address was served: %r" % got[:40])
idle[0].settimeout(20)
try:
    closed = idle[0].recv(1) == b""
except OSError:
    closed = True
waited = time.monotonic() - start
if not closed or not 9 <= waited <= 16:
    sys.exit("an idle connection was closed after %.1f s (closed: %s), not about 10 s"
             % (waited, closed))
for s in idle + [fifth]:
    s.close()
PYEOF
wait_for "a scrape once the idle connections are gone" curl -sf -m 10 -o /dev/null \
    "http://127.0.0.1:$MA/metrics"

# --- the sync lag while b catches up -------------------------------------------------
# b is away while a's clients publish a burst; back, b pulls it from a. Read
# every few ms while it does, the lag b shows behind a is never more than
# what b lacks in fact (a holds TOTAL), is above 0 for a while, and ends at 0
# with every entry held.
stop_node b
BURST=3000
SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
"$API_TOOL" "$(node_socket a)" publish-burst "$SEED" "$BURST" "$T/acks" >/dev/null 2>"$T/burst.err" ||
    fail "the burst at a: $(cat "$T/burst.err")"
TOTAL=$(st a entries)
assert_eq $((N + BURST)) "$TOTAL" "entries at a after the burst"
# started by hand, not by start_node (which waits for the API): the reading
# starts as the node does, before the catch-up can be over
"$RAISOND" --data "$T/b" --listen "${FED_EP[b]}" --log-level "$RSN_FED_LOG_LEVEL" \
    --config "$T/b.ini" >>"$T/b.log" 2>&1 &
RSN_PIDS[b]=$!
$PY - "$MB" "${FED_KEY[a]}" "$TOTAL" "$RSN_DEADLINE" <<'PYEOF' || fail "the sync lag at b (above)"
import http.client, re, sys, time
port, key, total, deadline = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lag_re = re.compile(r'^raison_peer_lacking_entries\{peer="%s",site="[^"]*"\} (\d+)$' % key, re.M)
held_re = re.compile(r"^raison_entries (\d+)$", re.M)
samples, most, end = 0, 0, time.monotonic() + deadline
while True:
    if time.monotonic() > end:
        sys.exit("b did not serve its metrics, or did not catch up, in %d s" % deadline)
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/metrics")
        page = c.getresponse().read().decode()
        c.close()
    except OSError:
        time.sleep(0.01)  # not serving yet
        continue
    held, lag = int(held_re.search(page).group(1)), int(lag_re.search(page).group(1))
    samples += 1
    if lag > total - held:
        sys.exit("b shows a lag of %d behind a, but lacks only %d (%d of %d held)"
                 % (lag, total - held, held, total))
    most = max(most, lag)
    if held == total and lag == 0:
        break
    if time.monotonic() > end:
        sys.exit("b holds %d of %d, lag %d, after %d s" % (held, total, lag, deadline))
    time.sleep(0.001)
if most == 0:
    sys.exit("b caught up on %d entries without ever showing a lag (%d samples)"
             % (total, samples))
print("sync lag at b: at most %d over %d samples" % (most, samples), file=sys.stderr)
PYEOF

# --- addresses refused at start ------------------------------------------------------------
mkdir -m 700 "$T/c"
must_fail "a metrics address that is not loopback" \
    "$RAISOND" --data "$T/c" --metrics "0.0.0.0:$MPUB"
assert_contains "$RSN_ERR" "metrics_public = true" "the refusal says what to set"
[[ ! -e $T/c/db ]] || fail "the refused start opened a store"
must_fail "a malformed metrics address" "$RAISOND" --data "$T/c" --metrics "nowhere"
assert_contains "$RSN_ERR" "HOST:PORT" "the refusal says the form"
printf '[node]\nmetrics_public = maybe\n' >"$T/c.ini"
must_fail "metrics_public not a boolean" "$RAISOND" --data "$T/c" --config "$T/c.ini"
printf '[node]\nmetrics = 0.0.0.0:%s\nmetrics_public = true\n' "$MPUB" >"$T/c.ini"
start_node c --config "$T/c.ini"
MPORT[c]=$MPUB
scrape c
assert_eq 0 "$(m c raison_entries)" "entries at c, served on every address"

fed_stop_all
