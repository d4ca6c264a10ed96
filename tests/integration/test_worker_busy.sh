#!/usr/bin/env bash
# test_worker_busy.sh — large exports and an online reindex do not hold the
# event loop, and keep their promises.
#
# Issue 10, "nothing long in the event loop ... the same for the retention
# sweep, reindex and large exports". A node holds 20,000 entries (busy_tool
# fill: pre-signed profiles of 200 authors) and a group with members and
# posts. Then:
#   - export: busy_tool export pipelines every page of 1,024 leaves of the
#     log, each page followed by a status request, three times over, on one
#     connection, while another connection times status every 20 ms. The
#     other connection's p99 stays within 3x an idle node's (+ 25 ms of
#     slack for a shared machine); on the code before pages went to a worker
#     the pages were built in the loop, one after the other, and status
#     waited for them. The exporter's replies come in the order sent (page,
#     status, page...) and cover the log three times.
#   - reindex: busy_tool reindex starts an online reindex and times status
#     every 20 ms until it ends, publishing meanwhile (acknowledged); while it
#     runs, other clients publish memberships and posts of the group (past
#     the draft, which is ERROR_BUSY then: api_tool publishes signed
#     entries), status says it runs, `raison group` says being_updated. The
#     same p50 bound; the p99 bound with 200 ms of slack (those publishes'
#     fsyncs land in the samples). Then `raison reindex` (the CLI, waiting) runs one more.
#   - equality: the stopped node's store, and a copy of it that `raisond
#     reindex --data` rebuilt offline, hold the same keys and values, every
#     tag; the group's members and report are those from before.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

BUSY=${RSN_BUSY_TOOL:-"$RSN_BUILD/tests/busy_tool"}
STORE_TOOL="$RSN_BUILD/tests/store_tool"
AUTHORS=200
PER_AUTHOR=100
N=$((AUTHORS * PER_AUTHOR))
SLACK_MS=100

start_node a --site paris
SOCK=$(node_socket a)
RSN_SOCKET=$SOCK
out=$("$BUSY" "$SOCK" fill "$AUTHORS" "$PER_AUTHOR")
assert_eq "published=$N" "$out" "entries published by busy_tool"
as alice id new >/dev/null 2>&1
G=$(as alice --json charter new --name ops --purpose "Keep things running" --mission "triage=sort" \
    --benefit "less toil" --data-policy "used for tests" | json 'j["group"]')
"$API_TOOL" "$SOCK" join-many "$G" 300 >/dev/null
for i in 1 2 3 4 5; do
    as alice post ops --mission triage "post $i" >/dev/null
done

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
# within_bound PROBE WHAT: busy p50 <= 3 x idle p50 + 5 ms, and busy p99 <=
# 3 x idle p99 + SLACK_MS: slack for a shared machine's scheduling (at a
# load average of 19 to 25 on 2 cores the new code's export p50 was 0.3 to
# 1.4 ms and its p99 14 to 85 ms; the old code's 1,354 and 1,608 ms)
within_bound() {
    local idle busy idle50 busy50
    idle=$(field idle_p99_ms "$1")
    busy=$(field busy_p99_ms "$1")
    idle50=$(field idle_p50_ms "$1")
    busy50=$(field busy_p50_ms "$1")
    python3 -c "import sys; sys.exit(0 if $busy50 <= 3 * $idle50 + 5 else 1)" ||
        fail "$2: status p50 $busy50 ms, idle p50 $idle50 ms (bound 3x + 5 ms): $1"
    python3 -c "import sys; sys.exit(0 if $busy <= 3 * $idle + ${3:-$SLACK_MS} else 1)" ||
        fail "$2: status p99 $busy ms, idle p99 $idle ms (bound 3x + ${3:-$SLACK_MS} ms): $1"
}

# --- a large export, pipelined ---------------------------------------------------------
LOG=$(rsn --json status | json 'j["log_size"]')
probe=$("$BUSY" "$SOCK" export 50 3)
echo "busy_tool export: $probe"
assert_eq 1 "$(field in_order "$probe")" "the exporter's replies come in the order it sent"
assert_eq $((3 * LOG)) "$(field leaves "$probe")" "three exports of every leaf"
assert_eq $((3 * ((LOG + 1023) / 1024))) "$(field pages "$probe")" "pages of the exports"
(($(field busy_samples "$probe") >= 10)) || fail "too few status samples during the export: $probe"
within_bound "$probe" "during a large export"

# --- an online reindex, with publishes meanwhile ----------------------------------------
MEMBERS_BEFORE=$(rsn --json group ops --all | json 'len(j["members"])')
"$BUSY" "$SOCK" reindex 50 >"$T/reindex.probe" &
PROBE_PID=$!
RSN_OTHER_PIDS+=("$PROBE_PID")
reindex_running() { [[ $(rsn --json status | json 'j["reindex_running"]') == true ]]; }
wait_for "the reindex to start" reindex_running
"$API_TOOL" "$SOCK" join-many "$G" 50 >/dev/null
SEED7=$(printf '07%.0s' $(seq 32))
for i in 1 2 3; do
    out=$("$API_TOOL" "$SOCK" post-at "$SEED7" "$G" triage "$(($(date +%s) * 1000))" \
        "during the reindex $i")
    assert_match "$out" "^id=[0-9a-f]{64} " "a post published during the reindex is stored"
done
if reindex_running; then
    # a group not derived again yet is busy, one derived says it is being updated
    if rsn --json group "$G" >"$T/group.json" 2>"$T/group.err"; then
        assert_eq true "$(json 'j["being_updated"]' <"$T/group.json")" \
            "the group says being_updated during the reindex"
    else
        assert_contains "$(cat "$T/group.err")" "rebuilding its derived state" \
            "a group not derived yet during the reindex says why"
    fi
    if ! as alice post ops --mission triage "refused?" >/dev/null 2>"$T/draft.err"; then
        assert_contains "$(cat "$T/draft.err")" "reindex" "a draft during the reindex says why"
    fi
else
    echo "note: the reindex ended before the publishes did" >&2
fi
wait_exit "$PROBE_PID" "busy_tool reindex"
assert_eq 0 "$RSN_RC" "exit status of busy_tool reindex"
probe=$(cat "$T/reindex.probe")
echo "busy_tool reindex: $probe"
assert_eq 1 "$(field started "$probe")" "the probe started the reindex"
assert_eq 1 "$(field publish_ok "$probe")" "publishes during the reindex are acknowledged"
(($(field busy_samples "$probe") >= 10)) || fail "too few status samples during the reindex: $probe"
# more slack: the publishes meanwhile (the probe's, the joins and posts
# above) are committed with an fsync each, which status samples may wait for
within_bound "$probe" "during an online reindex" 200
assert_eq false "$(rsn --json status | json 'j["reindex_running"]')" "status: the reindex ended"

out=$(rsn --json reindex)
assert_eq true "$(json 'j["started"]' <<<"$out")" "raison reindex started one"
assert_eq false "$(json 'j["running"]' <<<"$out")" "raison reindex waited for its end"
assert_eq "$(rsn --json status | json 'j["log_size"]')" "$(json 'j["derived"]' <<<"$out")" \
    "raison reindex derived the whole log"
assert_eq $((MEMBERS_BEFORE + 50)) "$(rsn --json group ops --all | json 'len(j["members"])')" \
    "members after the reindexes: those before and the 50 who joined during it"
assert_eq 8 "$(rsn --json report ops | json 'j["posts"]')" \
    "the report counts the posts from before and those published during the reindex"
assert_eq false "$(rsn --json group ops | json 'j["being_updated"]')" \
    "the group is no longer being updated"
REPORT=$(rsn --json report ops)

# --- the same store as an offline reindex makes -----------------------------------------
stop_node a
cp -a "$(node_dir a)" "$T/offline"
"$RAISOND" reindex --data "$T/offline" >/dev/null
dump() {
    local db=$1 t
    for t in $(python3 -c 'print(" ".join("%02x" % c for c in range(0x21, 0x7f)))'); do
        "$STORE_TOOL" "$db" list "$t"
    done
}
dump "$(node_dir a)/db" >"$T/online.keys"
dump "$T/offline/db" >"$T/offline.keys"
assert_eq "$(wc -l <"$T/offline.keys")" "$(wc -l <"$T/online.keys")" "keys in both stores"
cmp -s "$T/online.keys" "$T/offline.keys" ||
    fail "the online reindex's store differs from the offline one: $(diff "$T/online.keys" \
        "$T/offline.keys" | head -5)"
start_node a --site paris
assert_eq "$REPORT" "$(rsn --json report ops)" "the report after an offline reindex"
echo "test_worker_busy: ok"
