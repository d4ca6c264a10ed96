#!/usr/bin/env bash
# test_fed_hostile.sh — a trusted peer that misbehaves cannot hurt a node.
#
# A victim node V is linked to an honest node H (H -- V) and trusts one
# hostile peer key per case (hostile_tool, which speaks the real CURVE
# transport). Each case sends one kind of bad input; after it, V must still
# run and answer `status` quickly, hold only the entries it should (honest
# ones and the valid setup entries the tool reports as valid=K), still get a
# post published at H within the deadline, and count the hostile peer's
# invalid frames in `peers` (dropped). Enough misbehaviour bans the hostile
# peer (V's log says so, the peer is no longer connected, and a new link from
# it gets nothing back) while H stays connected. Measurements (status
# latency, honest propagation, sizes of answers, V's memory) are printed.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

HOSTILE="$RSN_BUILD/tests/hostile_tool"
STATUS_MAX_MS=${RSN_HOSTILE_STATUS_MAX_MS:-2000}  # generous: CI runs under ASan
CASES=(garbage bad-signature body-mismatch wrong-chain dup-flood request-flood huge-range
    never-read oversize gap-fill)

read -r PORT_H PORT_V < <("$PY" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
EP_H="tcp://127.0.0.1:$PORT_H"
EP_V="tcp://127.0.0.1:$PORT_V"

mkdir -m 700 "$T/H" "$T/V"
KEY_H=$("$RAISOND" keygen --data "$T/H" 2>/dev/null | grep -oE '[0-9a-f]{64}' | head -n1)
KEY_V=$("$RAISOND" keygen --data "$T/V" 2>/dev/null | grep -oE '[0-9a-f]{64}' | head -n1)
assert_hex64 "$KEY_H" "H's node key"
assert_hex64 "$KEY_V" "V's node key"

declare -A SEED=() KEY=()
victim_peers=()
for c in "${CASES[@]}" ban; do
    SEED[$c]=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    KEY[$c]=$("$HOSTILE" key "${SEED[$c]}")
    assert_hex64 "${KEY[$c]}" "hostile key of $c"
    victim_peers+=(--peer "=${KEY[$c]}")
done

start_node H --site h --listen "$EP_H" --peer "$EP_V=$KEY_V"
start_node V --site v --listen "$EP_V" --peer "$EP_H=$KEY_H" "${victim_peers[@]}"
SOCK_H=$(node_socket H)
SOCK_V=$(node_socket V)

now_ms() { date +%s%3N; }

peer_field() { # peer_field KEY FIELD: V's view of peer KEY
    "$HOSTILE" peers "$SOCK_V" "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
peer_connected() { [[ $(peer_field "$1" connected) == 1 ]]; }
entries_at() {
    "$RAISON" --socket "$(node_socket "$1")" --json status | json 'j["entries"]'
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/${RSN_PIDS[V]}/status"; }

# status_ms: how long V takes to answer `status` (fails past STATUS_MAX_MS)
status_ms() {
    local t0 t1
    t0=$(now_ms)
    "$RAISON" --socket "$SOCK_V" --timeout-ms 10000 status >/dev/null ||
        fail "V does not answer status"
    t1=$(now_ms)
    echo $((t1 - t0))
}

HONEST_SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
HONEST=$("$API_TOOL" - pubkey "$HONEST_SEED")
# honest_post: one post at H; prints how long V took to hold it
honest_post() {
    : >"$T/acks"
    "$API_TOOL" "$SOCK_H" publish-burst "$HONEST_SEED" 1 "$T/acks" >/dev/null ||
        fail "H refused an honest post"
    local id t0
    id=$(tail -n1 "$T/acks")
    t0=$(now_ms)
    wait_for "honest entry $id at V" "$API_TOOL" "$SOCK_V" has "$id"
    echo $(($(now_ms) - t0))
}

wait_for "H and V linked" peer_connected "$KEY_H"
# an honest feed of 300 entries that V holds: what the range cases ask for
"$API_TOOL" "$SOCK_H" publish-burst "$HONEST_SEED" 300 "$T/acks" >/dev/null
wait_for "the honest feed at V" "$API_TOOL" "$SOCK_V" has "$(tail -n1 "$T/acks")"
echo "linked; V holds $(entries_at V) entries; status in $(status_ms) ms; RSS $(rss_kb) kB"

declare -A RESULT=()
run_case() { # run_case CASE ARGS...
    local c=$1
    shift
    local before rss0 out rc=0
    before=$(entries_at V)
    rss0=$(rss_kb)
    out=$("$HOSTILE" "${SEED[$c]}" "$KEY_V" "$EP_V" "$c" "$@" 2>"$T/tool.err") || rc=$?
    [[ $rc -eq 0 ]] || fail "hostile_tool $c failed ($rc): $(cat "$T/tool.err")"
    running "${RSN_PIDS[V]}" || fail "V died during $c"
    local lat prop valid after dropped rss1
    lat=$(status_ms)
    ((lat <= STATUS_MAX_MS)) || fail "$c: V took $lat ms to answer status"
    prop=$(honest_post)
    valid=$(sed -n 's/.*valid=\([0-9]*\).*/\1/p' <<<"$out")
    after=$(entries_at V)
    # honest: the post above; valid: what the tool sent that was legitimate
    assert_eq $((before + valid + 1)) "$after" "$c: V's entry count (before $before)"
    dropped=$(peer_field "${KEY[$c]}" dropped)
    echo "$c: V's view of the peer: $("$HOSTILE" peers "$SOCK_V" "${KEY[$c]}")"
    rss1=$(rss_kb)
    peer_connected "$KEY_H" || fail "$c: H is no longer connected to V"
    RESULT[$c]="$out | status ${lat}ms, honest post at V in ${prop}ms, dropped=$dropped,"
    RESULT[$c]+=" V RSS ${rss0}->${rss1} kB"
    echo "$c: ${RESULT[$c]}"
    LAST_DROPPED=$dropped
    LAST_OUT=$out
}

# --- invalid frames and entries: dropped and counted ------------------------

run_case garbage 10
((LAST_DROPPED >= 10)) || fail "garbage: 10 frames, dropped=$LAST_DROPPED"

run_case bad-signature 5
((LAST_DROPPED >= 5)) || fail "bad-signature: 5 entries, dropped=$LAST_DROPPED"

run_case body-mismatch 5
((LAST_DROPPED >= 5)) || fail "body-mismatch: 5 entries, dropped=$LAST_DROPPED"

run_case wrong-chain
author=$(sed -n 's/.*author=\([0-9a-f]*\).*/\1/p' <<<"$LAST_OUT")
head=$("$API_TOOL" "$SOCK_V" head "$author")
assert_contains "$head" "seq=1 " "wrong-chain: V's head of the hostile author"
assert_contains "$head" "frozen=0" "wrong-chain: no fork from a forged signature"
((LAST_DROPPED >= 1)) || fail "wrong-chain: the forged entry was not counted"

# --- floods and ranges: bounded, honest traffic keeps flowing -----------------

run_case dup-flood 500

run_case request-flood 2000
((LAST_DROPPED >= 1)) || fail "request-flood: nothing counted"
flooder=${KEY[request-flood]:0:16}
wait_for "V bans the request flooder" grep -qE "$flooder.*banned|banned.*$flooder" "$T/V.log"

run_case huge-range "$HONEST"
biggest=$(sed -n 's/.*max_frame=\([0-9]*\).*/\1/p' <<<"$LAST_OUT")
((biggest <= 1048576)) || fail "huge-range: an answer of $biggest bytes is over the frame limit"
n=$(sed -n 's/.* entries=\([0-9]*\).*/\1/p' <<<"$LAST_OUT")
((n >= 256)) || fail "huge-range: V answered $n entries of the 300 it holds"

# never-read runs in the background while honest traffic and status go on
rss0=$(rss_kb)
"$HOSTILE" "${SEED[never-read]}" "$KEY_V" "$EP_V" never-read "$HONEST" 8 >"$T/nr.out" 2>&1 &
NR_PID=$!
RSN_OTHER_PIDS+=("$NR_PID")
worst=0
while running "$NR_PID"; do
    lat=$(status_ms)
    ((lat > worst)) && worst=$lat
    honest_post >/dev/null
    sleep 0.5
done
wait_exit "$NR_PID" "hostile_tool never-read"
assert_eq 0 "$RSN_RC" "hostile_tool never-read: $(cat "$T/nr.out")"
echo "never-read: $(cat "$T/nr.out") | worst status ${worst}ms while it ran;" \
    "V RSS ${rss0}->$(rss_kb) kB; V's view: $("$HOSTILE" peers "$SOCK_V" "${KEY[never-read]}")"
((worst <= STATUS_MAX_MS)) || fail "never-read: V took $worst ms to answer status"

run_case oversize
assert_contains "$LAST_OUT" "disconnected=1" "oversize: the connection was not dropped"

# valid entries ahead of their predecessors: buffered, never stored, and no
# reason to blame the peer (an honest one sends them too)
run_case gap-fill "${RSN_HOSTILE_GAPS:-300}" 60000
assert_eq 0 "$LAST_DROPPED" "gap-fill: valid entries counted as invalid"

# --- a peer that keeps misbehaving is banned; H stays ---------------------------

"$HOSTILE" "${SEED[ban]}" "$KEY_V" "$EP_V" probe 5000 >/dev/null ||
    fail "the ban peer got no answer before misbehaving"
"$HOSTILE" "${SEED[ban]}" "$KEY_V" "$EP_V" garbage 40 >/dev/null
wait_for "V's log says the peer is banned" grep -q "${KEY[ban]}.*disconnected for" "$T/V.log"
assert_eq 0 "$(peer_field "${KEY[ban]}" connected)" "the banned peer's link"
echo "ban: dropped=$(peer_field "${KEY[ban]}" dropped)" \
    "banned_until=$(peer_field "${KEY[ban]}" banned_until)"
rc=0
"$HOSTILE" "${SEED[ban]}" "$KEY_V" "$EP_V" probe 3000 >/dev/null 2>&1 || rc=$?
assert_ne 0 "$rc" "a banned peer's new link got an answer"
peer_connected "$KEY_H" || fail "H was disconnected by another peer's ban"
echo "honest post after the ban: $(honest_post) ms"
running "${RSN_PIDS[V]}" || fail "V died"
echo "ok: V survived every hostile case"
