#!/usr/bin/env bash
# test_fed_flood.sh — strangers with fresh keys cannot flood a node's log.
#
# Issue 9: the ZAP handler logged each refused key once a minute, but a key
# costs nothing, so 300 handshakes with 300 random keys wrote 300 warning
# lines. flood_tool makes 300 such connections to node a; every one is
# refused, a's log holds at most a handful of refusal lines plus one summary
# line counting the rest, and a still answers.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

fed_init a
fed_start a
out=$("${FLOOD_TOOL:-$RSN_BUILD/tests/flood_tool}" "${FED_CURVE[a]}" "${FED_EP[a]}" 300)
echo "flood: $out" >&2
assert_eq "refused=300" "$out" "connections refused"
node_answers a || fail "a stopped answering after the flood"
lines=$(grep -c "refused" "$T/a.log" || true)
echo "refusal lines in a's log: $lines" >&2
# at most FED_REFUSED_LINES (5) one by one per 10 s window, and a summary
# each: the flood fits in two windows at most
((lines <= 12)) || fail "a's log has $lines lines about refused connections (at most 12)"
((lines >= 1)) || fail "a's log says nothing of the refused connections"
# the summary line names the count of the rest, once the window ends
wait_for "the summary line in a's log" log_has a "connections of untrusted keys and"
fed_stop_all
echo "test_fed_flood: ok"
