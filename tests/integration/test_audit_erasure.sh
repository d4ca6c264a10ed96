#!/usr/bin/env bash
# test_audit_erasure.sh — erasure drops a body at every node, keeps the signed
# header, and the audit still verifies.
#
# Three nodes in a line a–b–c. alice posts at a; the post reaches c; she runs
# `raison retract ID --erase` at a. At every node the post's body is gone
# (her feed shows it erased and retracted, with no body) while its header
# stays, and `raison audit verify` passes with erased 1 (bob's reply to it,
# written before, is no rule violation). Then retention: a
# group founded with --retention-days 1 gets a post stamped two days ago
# (api_tool post-at: the CLI always stamps now) and a fresh one. Once every
# node has restarted (the retention sweep runs at start), the old post's body
# is erased at every node (the timeline still lists it, erased) and the fresh
# one is whole. With every node stopped, store_tool shows the 'E' headers
# kept and the 'B' bodies gone, and `raisond verify` passes with erased 2.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

STORE_TOOL="$RSN_BUILD/tests/store_tool"
# the store names an entry by its log index (format 3): 'I' id -> index(8) received(8)
idx() { "$STORE_TOOL" "$1" get "49$2" | cut -c1-16; }
NODES=(a b c)

# feed_field NODE AUTHOR ID FIELD: FIELD of entry ID in AUTHOR's feed at NODE.
feed_field() {
    on "$1" --json feed "$2" --limit 1000 |
        json "[e['$4'] for e in j['entries'] if e['id'] == '$3'][0]"
}
erased_at() { [[ $(feed_field "$1" "$2" "$3" erased) == true ]]; }

# audited NODE ERASED: `raison audit verify` at NODE passes with ERASED erased.
audited() {
    local doc rc=0
    doc=$("$RAISON" --socket "$(node_socket "$1")" --json --timeout-ms 30000 audit verify) ||
        rc=$?
    assert_eq 0 "$rc" "exit status of audit verify at $1"
    assert_eq "[true,$2,0,0]" \
        "$(json '[j["integrity_ok"], j["erased"], j["rule_violations"], j["body_mismatches"]]' \
            <<<"$doc")" "audit verify at $1 (integrity_ok, erased, rules, bodies)"
}

start_line() {
    fed_start_peered a b
    fed_start_peered b a c
    fed_start_peered c b
    wait_connected a b
    wait_connected b c
}

fed_init a b c
start_line
fed_author ALICE a alice Alice paris
fed_group G a alice erasable "Say things, unsay them" \
    "ship=Ship the release" "Mistakes can be taken back" \
    "Bodies erased on request"
P=$(as_on a alice --json post "$G" --mission ship "A secret that must go" | json 'j["id"]')
assert_hex64 "$P" "post id"
KEEP=$(as_on a alice --json post "$G" --mission ship "This one stays" | json 'j["id"]')
wait_post c "$G" "$P"
wait_post c "$G" "$KEEP"
BOB=$(as_on c bob id new 2>/dev/null)
assert_hex64 "$BOB" "bob's key"
REPLY=$(as_on c bob --json reply "$P" "Noted, from Lyon" | json 'j["id"]')
assert_hex64 "$REPLY" "bob's reply id"
wait_post a "$G" "$REPLY"
assert_eq "A secret that must go" "$(on c --json timeline "$G" |
    json "[p['text'] for p in j if p['id'] == '$P'][0]")" "the body reached c"

# --- erasure by the author ------------------------------------------------------
X=$(as_on a alice --json retract "$P" --erase | json 'j["id"]')
assert_hex64 "$X" "retraction id"
N=6
wait_converged "$N" a b c
for n in "${NODES[@]}"; do
    wait_for "the post's body erased at $n" erased_at "$n" "$ALICE" "$P"
    assert_eq '[true,true,null,3]' "$(on "$n" --json feed "$ALICE" | json "[[e['erased'],
        e['retracted'], e['body'], e['seq']] for e in j['entries'] if e['id'] == '$P'][0]")" \
        "the post at $n (erased, retracted, body, seq: the header stays)"
    assert_eq false "$(feed_field "$n" "$ALICE" "$KEEP" erased)" "the other post at $n"
    audited "$n" 1
done

# --- retention: a post older than its group's retention -------------------------------
G2=$(as_on a alice --json charter new --name shortlived --purpose "Talk that fades" \
    --mission "chat=Chat about the day" --benefit "Nothing lingers" \
    --data-policy "Bodies erased after a day" --retention-days 1 | json 'j["group"]')
assert_hex64 "$G2" "short-lived group id"
CAROL_SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
CAROL=$("$API_TOOL" x pubkey "$CAROL_SEED")
OLD_TS=$(($(date +%s%3N) - 2 * 86400000))
OUT=$("$API_TOOL" "$(node_socket a)" post-at "$CAROL_SEED" "$G2" chat "$OLD_TS" \
    "Said two days ago")
OLD=$(sed -n 's/^id=\([0-9a-f]*\) code=0$/\1/p' <<<"$OUT")
assert_hex64 "$OLD" "id of the post stamped two days ago ($OUT)"
FRESH=$(as_on a alice --json post "$G2" --mission chat "Said today" | json 'j["id"]')
assert_hex64 "$FRESH" "fresh post id"
N=$((N + 3))
wait_converged "$N" a b c

fed_stop_all
start_line
for n in "${NODES[@]}"; do
    wait_for "the old post's body erased at $n" erased_at "$n" "$CAROL" "$OLD"
    TL=$(on "$n" --json timeline "$G2")
    assert_eq "[[\"$FRESH\",false,\"Said today\"],[\"$OLD\",true,null]]" \
        "$(json '[[p["id"], p["erased"], p["text"]] if not p["erased"] else
            [p["id"], p["erased"], None] for p in j]' <<<"$TL")" \
        "the short-lived group's timeline at $n (newest first)"
    assert_eq "[$OLD_TS,false]" "$(on "$n" --json feed "$CAROL" | json "[[e['timestamp'],
        e['retracted']] for e in j['entries'] if e['id'] == '$OLD'][0]")" \
        "the old post's header at $n (timestamp, not retracted)"
    audited "$n" 2
done
assert_eq "$N" "$(st c entries)" "entries at c after the sweeps"

# --- the stores: headers kept, bodies gone, verify passes ------------------------------
fed_stop_all
for n in "${NODES[@]}"; do
    db="$T/$n/db"
    for id in "$P" "$OLD"; do
        "$STORE_TOOL" "$db" get "45$(idx "$db" "$id")" >/dev/null || fail "the header of $id is gone at $n"
        RC=0
        "$STORE_TOOL" "$db" get "42$(idx "$db" "$id")" >/dev/null 2>&1 || RC=$?
        assert_eq 1 "$RC" "the body of $id at $n (store_tool get: 1 = absent)"
    done
    for id in "$KEEP" "$FRESH" "$REPLY"; do
        "$STORE_TOOL" "$db" get "42$(idx "$db" "$id")" >/dev/null || fail "the body of $id is gone at $n"
    done
    RC=0
    V=$("$RAISOND" verify --data "$T/$n" --json) || RC=$?
    assert_eq 0 "$RC" "exit status of raisond verify at $n"
    assert_eq "[true,2,$N,$N]" "$(json '[j["integrity_ok"], j["erased"], j["entries"],
        j["signatures_ok"]]' <<<"$V")" "raisond verify at $n (integrity, erased, entries, sigs)"
done
echo "test_audit_erasure: ok"
