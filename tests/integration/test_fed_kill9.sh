#!/usr/bin/env bash
# test_fed_kill9.sh — a node killed with SIGKILL while it replicates recovers.
#
# Two nodes a–b. A client publishes a long burst of one author's entries at
# a (many in flight); as soon as b holds some of them, and while the burst
# still runs, b is killed with kill -9. Once the burst is over, b restarts on
# the same folder: it must open cleanly, catch up to exactly a's count, have
# the author's head equal to a's (seq = the burst's length, not frozen: what
# b half-wrote before the kill is not a fork), no fork anywhere, and the feed
# must still take new entries at b, which reach a.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

BURST=${RSN_FED_KILL9_BURST:-3000}
KILL_AT=${RSN_FED_KILL9_AT:-100}

fed_init a b
fed_start_peered a b
fed_start_peered b a
wait_connected a b
wait_connected b a

SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
AUTHOR=$("$API_TOOL" - pubkey "$SEED")
assert_hex64 "$AUTHOR" "the burst author's key"
"$API_TOOL" "$(node_socket a)" publish-burst "$SEED" "$BURST" "$T/acks" >"$T/burst.out" \
    2>"$T/burst.err" &
BURST_PID=$!
RSN_OTHER_PIDS+=("$BURST_PID")

deadline=$((SECONDS + RSN_DEADLINE))
until has_at_least b "$KILL_AT"; do
    running "$BURST_PID" || break
    ((SECONDS < deadline)) || fail "b did not reach $KILL_AT entries within ${RSN_DEADLINE}s"
    sleep 0.01
done
if running "$BURST_PID"; then
    AT_KILL=$(st b entries || echo "?")
    kill9_node b
    echo "b killed holding about $AT_KILL entries, a has $(st a entries)"
else
    # b gets here only if the whole burst went through before it held
    # KILL_AT entries: the kill then comes after the burst, still mid-catch-up
    echo "note: the burst ended before b held $KILL_AT entries" >&2
    kill9_node b
fi
wait_exit "$BURST_PID" "the burst client"
assert_eq 0 "$RSN_RC" "exit status of the burst client"
assert_eq "acked=$BURST" "$(cat "$T/burst.out")" "acks of the burst"
assert_eq "$BURST" "$(st a entries)" "entries at a"

fed_start_peered b a
wait_connected b a
wait_converged "$BURST" a b
HEAD_A=$(head_of a "$AUTHOR")
assert_eq "seq=$BURST frozen=0" "${HEAD_A%% id=*} ${HEAD_A##* }" "the author's head at a"
assert_eq "$HEAD_A" "$(head_of b "$AUTHOR")" "the author's head at b is a's"
for n in a b; do
    assert_eq 0 "$(st "$n" forks)" "forks at $n"
    assert_eq 1 "$(st "$n" authors)" "authors at $n"
done
# every acknowledged id is at b
ID_A=$(tail -n 1 "$T/acks")
"$API_TOOL" "$(node_socket b)" has "$ID_A" || fail "b lacks the last acknowledged entry"
"$API_TOOL" "$(node_socket b)" has "$(head -n 1 "$T/acks")" || fail "b lacks the first entry"

# the feed is not frozen: it goes on at b, and that reaches a
"$API_TOOL" "$(node_socket b)" publish-burst "$SEED" 5 "$T/acks2" >"$T/burst2.out" \
    || fail "publishing after the restart at b: $(cat "$T/burst2.out")"
wait_converged $((BURST + 5)) a b
assert_eq "seq=$((BURST + 5)) frozen=0" "$(head_of a "$AUTHOR" | sed 's/ id=[0-9a-f]*//')" \
    "the author's head at a after b published"
# agreeing nodes exchange digests, never entries again, and strike nobody
fed_idle_check 8 a b
fed_stop_all
echo "test_fed_kill9: ok"
