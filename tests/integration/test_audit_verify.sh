#!/usr/bin/env bash
# test_audit_verify.sh — `audit verify` catches a database altered behind the
# node's back, and counts semantic violations without calling them broken.
#
# A node holds profiles, a charter, a post and a reply, and a checkpoint
# signed at its full size. `raisond verify` of the stopped node passes with
# exact counts (and `raison audit verify` of the running node agrees). Then
# each tampering is done on its own copy of the stopped node's folder
# (cp -a), through store_tool, which opens the LevelDB folder directly:
#   body     a byte of the post's body flipped        -> body_mismatches 1
#   entry    the post's stored entry replaced by       -> kind "id", a bad
#            another entry's bytes                        signature counted
#   sig      a byte of the reply's signature flipped   -> kind "signature"
#   leaf     log leaf 2 rewritten to leaf 0's id       -> log_ok false, the
#                                                         checkpoint contradicted
#   tree     the right-edge subtree hash T(2,0)        -> log_ok false only
#   oldckpt  the oldest signed checkpoint altered      -> bad_checkpoints 1
#   ckpt     the latest signed checkpoint altered      -> bad_checkpoints 1
#            (last: the restarted node must not sign over it)
#   drop     the last leaf deleted, the counter kept   -> history dropped
# each one caught offline (exit 1, integrity_ok false, the problem's kind
# named) and by a node restarted on the tampered copy (`raison audit verify
# --json`, exit 1). Last, a trusted peer (hostile_tool) sends a post for a
# mission the charter lacks, which the feed rule accepts and the views
# refuse: verify counts rule_violations 1 with the rule, integrity_ok true,
# exit 0.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

HOSTILE="$RSN_BUILD/tests/hostile_tool"
STORE_TOOL="$RSN_BUILD/tests/store_tool"

# offline DIR: `raisond verify --data DIR --json` into VJSON, its status in VRC.
offline() {
    VRC=0
    VJSON=$("$RAISOND" verify --data "$1" --json) || VRC=$?
}

# online NAME: `raison audit verify --json` at running node NAME.
online() {
    VRC=0
    VJSON=$("$RAISON" --socket "$(node_socket "$1")" --json --timeout-ms 30000 audit verify) ||
        VRC=$?
}

# v EXPR: a Python expression over the last report (j).
v() { json "($1)" <<<"$VJSON"; }

# kinds: the sorted set of problem kinds of the last report.
kinds() { v 'sorted(set(p["kind"] for p in j["problems"]))'; }

# counts: the counters of the last report, in a fixed order.
counts() {
    v '[j[k] for k in ["entries", "signatures_ok", "bad_signatures", "chain_errors",
        "body_mismatches", "erased", "forks", "bad_forks", "rule_violations", "log_size",
        "log_ok", "bad_checkpoints", "integrity_ok"]]'
}

db() { echo "$T/$1/db"; }

fed_init n
HSEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
HKEY=$("$HOSTILE" key "$HSEED")
assert_hex64 "$HKEY" "the hostile peer's key"
fed_start n --peer "=$HKEY"
RSN_SOCKET=$(node_socket n)

ALICE=$(as alice id new 2>/dev/null)
BOB=$(as bob id new 2>/dev/null)
assert_hex64 "$ALICE" "alice's key"
assert_hex64 "$BOB" "bob's key"
as alice profile --name Alice --site paris >/dev/null
as bob profile --name Bob --site lyon >/dev/null
G=$(as alice --json charter new --name audited --purpose "Keep an honest record" \
    --mission "ship=Ship the release" --benefit "Nobody rewrites history" \
    --data-policy "Kept for the audit" | json 'j["group"]')
assert_hex64 "$G" "group id"
P=$(as alice --json post "$G" --mission ship "The release is signed" | json 'j["id"]')
assert_hex64 "$P" "post id"
R=$(as bob --json reply "$P" "Checked on our side" | json 'j["id"]')
assert_hex64 "$R" "reply id"
N=5
CP=$(rsn --json audit checkpoint --fresh)
assert_eq "$N" "$(json 'j["size"]' <<<"$CP")" "size of the fresh checkpoint"

# --- the honest store passes, online and offline ---------------------------------
GOOD="[$N,$N,0,0,0,0,0,0,0,$N,true,0,true]"
online n
assert_eq 0 "$VRC" "exit status of audit verify on the honest node"
assert_eq "$GOOD" "$(counts)" "counts of audit verify on the honest node"
assert_eq '[]' "$(v 'j["problems"]')" "problems on the honest node"
stop_node n
offline "$T/n"
assert_eq 0 "$VRC" "exit status of raisond verify on the honest store"
assert_eq "$GOOD" "$(counts)" "counts of raisond verify on the honest store"
assert_eq '[]' "$(v 'j["problems"]')" "problems in the honest store"
NCP=$("$STORE_TOOL" "$(db n)" count 4b)
assert_eq "$NCP" "$(v 'j["checkpoints"]')" "checkpoints verified (every 'K' key)"
((NCP >= 1)) || fail "no checkpoint stored"

# the layout the tamperings rely on
mapfile -t LEAVES < <("$STORE_TOOL" "$(db n)" list 4c | cut -d' ' -f2)
assert_eq "$N" "${#LEAVES[@]}" "leaves in the store"
LAST_K=$("$STORE_TOOL" "$(db n)" keys 4b | tail -n1)
# the store names an entry by its log index (format 3): 'I' id -> index(8) received(8)
idx() { "$STORE_TOOL" "$(db pristine)" get "49$1" | cut -c1-16; }
assert_eq "4b$(printf '%016x' "$N")" "$LAST_K" "the latest checkpoint is at size $N"

# tamper NAME: a copy of the stopped honest node's folder, $T/NAME.
cp -a "$T/n" "$T/pristine"
tamper() {
    cp -a "$T/pristine" "$T/$1"
    rm -f "$T/$1/raison.sock"
}

# caught NAME KIND EXPR: offline and online, the copy NAME is reported broken
# (exit 1, integrity_ok false), with a problem of KIND, and EXPR holds.
caught() {
    local name=$1 kind=$2 expr=$3 where
    for where in offline online; do
        if [[ $where == online ]]; then
            start_node "$name" --log-level info
            online "$name"
        else
            offline "$T/$name"
        fi
        assert_eq 1 "$VRC" "$name ($where): exit status"
        assert_eq false "$(v 'j["integrity_ok"]')" "$name ($where): integrity_ok"
        assert_contains "$(kinds)" "\"$kind\"" "$name ($where): problem kinds"
        assert_eq true "$(v "$expr")" "$name ($where): $expr in $(counts) $(v 'j["problems"]')"
        echo "caught $name ($where): $(kinds) $(counts)"
    done
    stop_node "$name"
}

# body: one byte of the post's body
tamper body
"$STORE_TOOL" "$(db body)" flip "42$(idx "$P")" -1 >/dev/null
caught body body "j['body_mismatches'] == 1 and j['bad_signatures'] == 0 and
    any(p['kind'] == 'body' and p['id'] == '$P' for p in j['problems'])"

# entry: the post's stored entry replaced by alice's profile entry
tamper entry
PROFILE_ENTRY=$("$STORE_TOOL" "$(db entry)" get "45$(idx "${LEAVES[0]}")")
"$STORE_TOOL" "$(db entry)" put "45$(idx "$P")" "$PROFILE_ENTRY"
caught entry id "j['bad_signatures'] == 1 and j['signatures_ok'] == $((N - 1)) and
    any(p['kind'] == 'id' and p['id'] == '$P' for p in j['problems'])"

# sig: the last byte of the reply's stored entry is its signature's
tamper sig
"$STORE_TOOL" "$(db sig)" flip "45$(idx "$R")" -1 >/dev/null
caught sig signature "j['bad_signatures'] == 1 and j['signatures_ok'] == $((N - 1)) and
    any(p['kind'] == 'signature' and p['id'] == '$R' for p in j['problems'])"

# leaf: leaf 2 now names leaf 0's entry
tamper leaf
"$STORE_TOOL" "$(db leaf)" put "4c$(printf '%016x' 2)" "${LEAVES[0]}"
caught leaf checkpoint "not j['log_ok'] and j['bad_checkpoints'] >= 1 and
    j['signatures_ok'] == $N and any(p['kind'] == 'log' for p in j['problems'])"

# tree: the hash of leaves 0..3, on the right edge of the tree of 5
tamper tree
"$STORE_TOOL" "$(db tree)" flip "5402$(printf '%016x' 0)" 0 >/dev/null
caught tree log "not j['log_ok'] and j['bad_checkpoints'] == 0 and j['signatures_ok'] == $N
    and j['problems'][0]['reason'].find('tree hashes') >= 0"

# oldckpt: a byte of the oldest checkpoint's signature line (the latest one
# is altered last, below)
if ((NCP >= 2)); then
    tamper oldckpt
    "$STORE_TOOL" "$(db oldckpt)" flip "$("$STORE_TOOL" "$(db oldckpt)" keys 4b | head -n1)" -5 \
        >/dev/null
    caught oldckpt checkpoint "j['bad_checkpoints'] == 1 and j['log_ok'] and
        j['signatures_ok'] == $N and j['checkpoints'] == $NCP"
fi

# drop: the last leaf deleted, the leaves counter left at 5
tamper drop
"$STORE_TOOL" "$(db drop)" del "4c$(printf '%016x' $((N - 1)))"
caught drop log "not j['log_ok'] and j['bad_checkpoints'] >= 1 and
    any(p['kind'] == 'checkpoint' and 'dropped' in p['reason'] for p in j['problems'])"

# --- a semantic violation is counted, not called broken ---------------------------
fed_start n --peer "=$HKEY"
wait_for "the hostile peer linked to n" "$HOSTILE" peers "$(node_socket n)" "$HKEY"
OUT=$("$HOSTILE" "$HSEED" "${FED_KEY[n]}" "${FED_EP[n]}" rule-post "$G")
BADPOST=$(sed -n 's/.* id=\([0-9a-f]*\) .*/\1/p' <<<"$OUT")
assert_hex64 "$BADPOST" "id of the post for a missing mission ($OUT)"
wait_entries n $((N + 1))
RULE="[$((N + 1)),$((N + 1)),0,0,0,0,0,0,1,$((N + 1)),true,0,true]"
CHECK_RULE="len(j['problems']) == 1 and j['problems'][0]['kind'] == 'rule' and
    j['problems'][0]['id'] == '$BADPOST' and 'mission' in j['problems'][0]['reason']"
online n
assert_eq 0 "$VRC" "exit status of audit verify with a rule violation"
assert_eq "$RULE" "$(counts)" "counts with a rule violation (online)"
assert_eq true "$(v "$CHECK_RULE")" "the rule named (online): $(v 'j["problems"]')"
echo "rule violation: $(v 'j["problems"][0]["reason"]')"
stop_node n
offline "$T/n"
assert_eq 0 "$VRC" "exit status of raisond verify with a rule violation"
assert_eq "$RULE" "$(counts)" "counts with a rule violation (offline)"
assert_eq true "$(v "$CHECK_RULE")" "the rule named (offline): $(v 'j["problems"]')"

# ckpt: a byte of the latest checkpoint's signature line. A node restarted on
# it must not sign a new checkpoint over it (that would erase the evidence).
tamper ckpt
"$STORE_TOOL" "$(db ckpt)" flip "$LAST_K" -5 >/dev/null
caught ckpt checkpoint "j['bad_checkpoints'] == 1 and j['log_ok'] and
    j['signatures_ok'] == $N and j['checkpoints'] == $NCP"
echo "test_audit_verify: ok"
