#!/usr/bin/env bash
# test_audit_verify_busy.sh — `audit verify` does not hold the event loop.
#
# Issue 10, "nothing long in the event loop": a node holds 40,000 entries
# (busy_tool fill: pre-signed profiles of 200 authors, published pipelined),
# enough for a verification of a second or more. While `raison audit verify
# --progress --json` runs:
#   - `raison status` answers, five times, each in under 500 ms and with a
#     median under 100 ms, and says a verification runs (with today's
#     single-threaded loop, status waited for the whole verification);
#   - the verification is still running after those samples (else the store
#     is too small for the test to mean anything);
#   - busy_tool probe times status calls (idle, then during a second
#     verification, printed for the report: p50/p99) and publishes a new
#     entry during it, which is acknowledged.
# The verifications' verdicts are those of a store verified offline:
# entries 40,000 (each run verifies the snapshot taken when it started),
# integrity_ok; `raisond verify` of the stopped node counts the published
# entry too. The progress lines on stderr name the leaves checked of 40000,
# and stdout is the usual JSON.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

BUSY="$RSN_BUILD/tests/busy_tool"
AUTHORS=200
PER_AUTHOR=200
N=$((AUTHORS * PER_AUTHOR))

start_node a
SOCK=$(node_socket a)
out=$("$BUSY" "$SOCK" fill "$AUTHORS" "$PER_AUTHOR")
assert_eq "published=$N" "$out" "entries published by busy_tool"

# --- status, timed by the CLI, while the CLI's verification runs -----------------------
"$RAISON" --socket "$SOCK" audit verify --progress --json >"$T/verify.json" 2>"$T/verify.err" &
VERIFY_PID=$!
RSN_OTHER_PIDS+=("$VERIFY_PID")
sleep 0.3 # the request is with the node
times=()
for i in 1 2 3 4 5; do
    t0=$(date +%s%N)
    st=$("$RAISON" --socket "$SOCK" --json status)
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
    ((i == 1)) && first_status=$st
    sleep 0.05
done
still_running=false
running "$VERIFY_PID" && still_running=true
echo "raison status during audit verify (ms): ${times[*]}"
for t in "${times[@]}"; do
    ((t < 500)) || fail "raison status took $t ms while audit verify ran (samples: ${times[*]})"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
((median < 100)) || fail "raison status took a median $median ms during audit verify (${times[*]})"
[[ $still_running == true ]] ||
    fail "the verification ended before the status samples did: the store is too small for this test"
assert_eq true "$(json 'j.get("audit_verify_running")' <<<"$first_status")" \
    "status says a verification runs"
assert_match "$(json 'j.get("audit_verify_checked")' <<<"$first_status")" '^[0-9]+$' \
    "status says how many leaves the verification checked"

wait_exit "$VERIFY_PID" "raison audit verify"
assert_eq 0 "$RSN_RC" "exit status of raison audit verify"
assert_eq "$N" "$(json 'j["entries"]' <"$T/verify.json")" "entries verified"
assert_eq "$N" "$(json 'j["signatures_ok"]' <"$T/verify.json")" "signatures verified"
assert_eq true "$(json 'j["integrity_ok"]' <"$T/verify.json")" "integrity_ok"
assert_match "$(cat "$T/verify.err")" "verifying: [0-9]+ of $N leaves" "progress on stderr"

# --- the API's view: p50/p99 idle and during a verification, and a publish -------------
probe=$("$BUSY" "$SOCK" probe 50)
echo "busy_tool probe: $probe"
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$probe"; }
assert_eq 1 "$(field running_seen)" "status said the verification ran"
assert_eq 1 "$(field publish_ok)" "a publish during the verification is acknowledged"
assert_eq "$N" "$(field verify_entries)" "entries of the verification's snapshot"
assert_eq 1 "$(field verify_integrity_ok)" "the probe's verification: integrity_ok"
echo "status p99 idle $(field idle_p99_ms) ms, during audit verify $(field busy_p99_ms) ms" \
    "($(field busy_samples) samples; verify $(field verify_elapsed_ms) ms)"

# --- offline, the same verdict, with the published entry --------------------------------
stop_node a
off=$("$RAISOND" verify --data "$(node_dir a)" --json)
assert_eq "$((N + 1))" "$(json 'j["entries"]' <<<"$off")" "entries verified offline"
assert_eq true "$(json 'j["integrity_ok"]' <<<"$off")" "integrity_ok offline"
echo "test_audit_verify_busy: ok"
