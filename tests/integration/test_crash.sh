#!/usr/bin/env bash
# test_crash.sh — an acknowledged publish survives kill -9.
#
# A client publishes a long chain of one author's entries, many in flight,
# and writes each acknowledged id to a file (fsynced) as the ack arrives. The
# node is killed with SIGKILL in the middle. Restarted on the same folder, it
# must open cleanly, hold every acknowledged id, have the author's head at or
# past the number of acks (entries committed but not yet acknowledged may be
# there too), and accept the rest of the chain.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

BURST=${RSN_CRASH_BURST:-5000}
KILL_AFTER=${RSN_CRASH_KILL_AFTER:-200}
SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
AUTHOR=$("$API_TOOL" - pubkey "$SEED")
assert_hex64 "$AUTHOR" "the burst author's key"
ACKS="$T/acks"
: >"$ACKS"

start_node n1
RSN_SOCKET=$(node_socket n1)
SOCK=$RSN_SOCKET

"$API_TOOL" "$SOCK" publish-burst "$SEED" "$BURST" "$ACKS" >"$T/burst.out" 2>"$T/burst.err" &
BURST_PID=$!
RSN_OTHER_PIDS+=("$BURST_PID")

acked() { wc -l <"$ACKS"; }
deadline=$((SECONDS + RSN_DEADLINE))
while (($(acked) < KILL_AFTER)); do
    if ! running "$BURST_PID"; then
        fail "the burst ended before $KILL_AFTER acks: $(cat "$T/burst.err")"
    fi
    ((SECONDS < deadline)) || fail "fewer than $KILL_AFTER acks within ${RSN_DEADLINE}s"
    sleep 0.01
done
kill9_node n1
if ! running "$BURST_PID"; then
    echo "note: the burst finished before the kill; the crash is then at rest" >&2
fi
# the client would wait for its timeout: stop it, then read what it recorded
kill -TERM "$BURST_PID" 2>/dev/null || true
wait_exit "$BURST_PID" "the burst client"

# only complete lines are acknowledgements that were recorded
grep -E '^[0-9a-f]{64}$' "$ACKS" >"$T/acked" || true
N=$(wc -l <"$T/acked")
echo "acknowledged before the kill: $N of $BURST"
((N >= KILL_AFTER)) || fail "expected at least $KILL_AFTER recorded acks, got $N"

start_node n1
missing=0
while read -r id; do
    if ! "$API_TOOL" "$SOCK" has "$id" 2>/dev/null; then
        echo "acknowledged entry $id is missing after the crash" >&2
        missing=$((missing + 1))
    fi
done <"$T/acked"
assert_eq 0 "$missing" "acknowledged entries missing after kill -9"

HEAD=$("$API_TOOL" "$SOCK" head "$AUTHOR")
SEQ=$(sed -E 's/.*seq=([0-9]+).*/\1/' <<<"$HEAD")
assert_contains "$HEAD" "frozen=0" "the author's feed after the crash"
((SEQ >= N)) || fail "head seq after the crash: expected >= $N, got $SEQ ($HEAD)"
ENTRIES=$(rsn --json status | json 'j["entries"]')
assert_eq "$SEQ" "$ENTRIES" "status entries after the crash (one author only)"
# the last acknowledged id is the entry of seq N: the chain has no gaps
LAST=$(tail -n 1 "$T/acked")
if ((SEQ == N)); then
    assert_contains "$HEAD" "id=$LAST" "the head is the last acknowledged entry"
fi

# the chain goes on from the head the node kept
: >"$T/more"
"$API_TOOL" "$SOCK" publish-burst "$SEED" 100 "$T/more" >"$T/more.out" 2>"$T/more.err" \
    || fail "publishing after the restart failed: $(cat "$T/more.err")"
assert_eq "acked=100" "$(cat "$T/more.out")" "acks of the publish after the restart"
assert_eq 100 "$(wc -l <"$T/more")" "ids recorded after the restart"
HEAD=$("$API_TOOL" "$SOCK" head "$AUTHOR")
assert_contains "$HEAD" "seq=$((SEQ + 100)) " "head after 100 more"
assert_contains "$HEAD" "id=$(tail -n 1 "$T/more")" "the head is the last new entry"

stop_node n1
echo "PASS test_crash ($N acknowledged before kill -9, head $SEQ after restart)"
