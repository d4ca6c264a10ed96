#!/usr/bin/env bash
# test_bad_input.sh — a node refuses bad input with the right error code, and
# nothing refused is stored; an entry that breaks only a semantic rule is
# refused as a draft, and stored (hidden, listed by the audit) once signed.
#
# Every bad case of api_tool runs against one node. Some cases first publish
# valid entries as setup (a feed's seq 1 before a wrong seq 2, a charter
# before a post to an unknown mission): the table below says how many each
# one publishes, and api_tool reports the same number, so that `status`
# must show exactly those setup entries more, and nothing of the refused
# ones. The semantic cases (unknown group or mission, charters missing a
# part, an amendment by a non-owner, a non-member's post) are sent as drafts
# (issue 8: the node judges the unsigned draft; nothing is signed, nothing
# stored), then as signed-CASE: a signed entry that keeps the feed rule is
# always stored, PublishReply.broken_rule names the rule, no view shows it
# (EntryInfo.invalid, `groups`) and `audit verify` lists it as a rule
# violation. Then garbage and oversize requests; the node must still answer,
# and a good post must still go through.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

# case name, setup entries it publishes (accepted), forks it causes
CASES=(
    "bad-signature 0 0"
    "wrong-seq 1 0"
    "wrong-prev 1 0"
    "fork 1 1"
    "entry-too-large 0 0"
    "body-too-large 0 0"
    "body-hash-mismatch 0 0"
    "not-protobuf 0 0"
    "missing-fields 0 0"
    "unknown-group 0 0"
    "unknown-mission 1 0"
    "charter-no-purpose 0 0"
    "charter-no-mission 0 0"
    "charter-no-benefit 0 0"
    "amend-by-non-owner 1 0"
    "non-member-post 1 0"
)
# the semantic cases, signed: setup entries, and the entry stored (1)
SIGNED_CASES=(
    "unknown-group 0"
    "unknown-mission 1"
    "charter-no-purpose 0"
    "charter-no-mission 0"
    "charter-no-benefit 0"
    "amend-by-non-owner 1"
    "non-member-post 1"
)
# groups the setup founds, across both tables (a charter in each of
# unknown-mission, amend-by-non-owner and non-member-post)
SETUP_GROUPS=6

status_field() { rsn --json status | json "j[\"$1\"]"; }

start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)
ENTRIES_BEFORE=$(status_field entries)
FORKS_BEFORE=$(status_field forks)
assert_eq 0 "$ENTRIES_BEFORE" "entries of a new node"

SETUP=0
FORKS=0
for row in "${CASES[@]}"; do
    read -r name setup forks <<<"$row"
    rc=0
    out=$("$API_TOOL" "$RSN_SOCKET" bad "$name" 2>"$T/case.err") || rc=$?
    if [[ $rc -ne 0 ]]; then
        fail "bad case $name: api_tool exited $rc: $out $(cat "$T/case.err")"
    fi
    assert_contains "$out" "setup=$setup " "setup entries api_tool published for $name"
    SETUP=$((SETUP + setup))
    FORKS=$((FORKS + forks))
    # the node must answer between the cases, with exactly the setup stored
    assert_eq $((ENTRIES_BEFORE + SETUP)) "$(status_field entries)" "entries after $name"
    echo "ok $name: $out"
done
assert_eq $((FORKS_BEFORE + FORKS)) "$(status_field forks)" "forks after the bad cases"

# --- the semantic cases signed: stored, the rule named, hidden, audited ---------
STORED=()
for row in "${SIGNED_CASES[@]}"; do
    read -r name setup <<<"$row"
    rc=0
    out=$("$API_TOOL" "$RSN_SOCKET" bad "signed-$name" 2>"$T/case.err") || rc=$?
    if [[ $rc -ne 0 ]]; then
        fail "signed case $name: api_tool exited $rc: $out $(cat "$T/case.err")"
    fi
    assert_contains "$out" "setup=$setup " "setup entries api_tool published for signed-$name"
    id=$(sed -n 's/.*stored=\([0-9a-f]*\).*/\1/p' <<<"$out")
    assert_hex64 "$id" "id of the stored signed-$name"
    SETUP=$((SETUP + setup + 1))
    STORED+=("$id")
    assert_eq $((ENTRIES_BEFORE + SETUP)) "$(status_field entries)" "entries after signed-$name"
    "$API_TOOL" "$RSN_SOCKET" has "$id" || fail "signed-$name: the node does not hold $id"
    why=$("$API_TOOL" "$RSN_SOCKET" invalid "$id") ||
        fail "signed-$name: the views do not judge $id invalid: $why"
    echo "ok signed-$name: $out; $why"
done
GROUPS_JSON=$(rsn --json groups)
assert_eq "$SETUP_GROUPS" "$(json 'len(j)' <<<"$GROUPS_JSON")" \
    "groups shown: the setup's, none of the invalid charters"
VERIFY=$(rsn --json audit verify)
assert_eq true "$(json 'j["integrity_ok"]' <<<"$VERIFY")" "integrity with rule violations stored"
# the fork case's entry is kept as evidence only: one rule violation too
assert_eq $((${#STORED[@]} + FORKS)) "$(json 'j["rule_violations"]' <<<"$VERIFY")" \
    "rule violations the audit counts: the signed cases and the forked entry"
for id in "${STORED[@]}"; do
    assert_not_contains "$GROUPS_JSON" "$id" "groups do not show $id"
    assert_eq rule "$(json "[p['kind'] for p in j['problems'] if p.get('id') == '$id'][0]" \
        <<<"$VERIFY")" "audit verify lists $id as a rule violation"
done

# --- raw requests that are not ApiRequests ---------------------------------------
# an empty payload decodes as an ApiRequest with no call
assert_eq "code=1" "$("$API_TOOL" "$RSN_SOCKET" raw "")" "an empty request"
# a truncated field (length 5, one byte given)
assert_eq "code=1" "$("$API_TOOL" "$RSN_SOCKET" raw "0a05ff")" "a truncated request"
# a field of wire type 7, which does not exist
assert_eq "code=1" "$("$API_TOOL" "$RSN_SOCKET" raw "0f")" "an invalid wire type"
assert_eq "code=1" "$("$API_TOOL" "$RSN_SOCKET" junk 4000)" "4000 bytes of 0xff"
# over the API's message limit: ZeroMQ drops it and the client gets nothing
rc=0
API_TOOL_TIMEOUT_MS=1500 "$API_TOOL" "$RSN_SOCKET" junk 200000 >/dev/null 2>&1 || rc=$?
assert_eq 3 "$rc" "api_tool's exit for a 200000-byte request (3: no answer)"
assert_eq $((ENTRIES_BEFORE + SETUP)) "$(status_field entries)" "entries after raw garbage"

# --- the node still serves, and good input still goes through -------------------
as carol id new >/dev/null 2>&1
as carol profile --name Carol --site paris >/dev/null
G=$(as carol --json charter new --name after-the-storm --purpose "Prove the node still works" \
    --mission "check=Post after bad input" --benefit "Confidence" \
    --data-policy "Test data" | json 'j["group"]')
P=$(as carol --json post "$G" --mission check "still here" | json 'j["id"]')
assert_hex64 "$P" "id of a good post after the bad cases"
assert_eq "$P" "$(as carol --json timeline "$G" | json 'j[0]["id"]')" "the good post is shown"
assert_eq "still here" "$(as carol --json timeline "$G" | json 'j[0]["text"]')" \
    "the good post's text"
assert_eq $((ENTRIES_BEFORE + SETUP + 3)) "$(status_field entries)" \
    "entries after the good publishes"
"$API_TOOL" "$RSN_SOCKET" has "$P" || fail "api_tool has $P: the node does not hold it"

stop_node n1
echo "PASS test_bad_input ($SETUP setup entries, $FORKS fork)"
