#!/usr/bin/env bash
# test_audit_witness_silence.sh — witnessing cannot be evaded by silence, and
# an honest node whose store was lost is not taken for a rollback (issue 9,
# DESIGN.md "Audit", docs/audit.md "Witnessing").
#
# Part 1: node w trusts three hostile peers (hostile_tool `silence`, each
# with a real RFC 9162 log of its own) and runs with a short proof deadline
# (RAISON_WITNESS_DEADLINE_MS=1500, the test knob). R sends a checkpoint of
# size 8, then one of size 5: a rollback, recorded as evidence with no
# question asked, and still there after w restarts. S sends 4, then 8, and
# never answers: w asks again and again (with a backoff), and once the
# deadline has passed `raison peers` (text and --json) says S owes a proof;
# nothing is evidence yet. S then answers: the proof clears "unanswered" and
# w holds S's checkpoint of size 8. W answers each request with a proof for
# other sizes: recorded at once.
#
# Part 2: a lost store. Nodes a and b witness each other; alice writes at a
# and b holds a's checkpoint of the whole log. a is stopped and its database
# deleted, node.key kept: raisond refuses to start (exit 3, a message naming
# --new-key) and changes nothing. With --new-key it makes a new node key
# (the old one kept as node.key.old-TIME, said in the log); b, told the new
# key, syncs a back and holds the new key's checkpoint, and records no
# rollback for either key. A node that never signed anything restarts as it
# is, and --new-key beside a history is refused.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

HOSTILE="$RSN_BUILD/tests/hostile_tool"
STORE_TOOL="$RSN_BUILD/tests/store_tool"

# pf NODE PEERKEY FIELD: one field of NODE's `raison peers --json` for PEERKEY.
pf() { peers_json "$1" | json "[p['$3'] for p in j['peers'] if p['key'] == '$2'][0]"; }
field_is() { [[ $(pf "$1" "$2" "$3") == "$4" ]]; }
field_has() { [[ $(pf "$1" "$2" "$3") == *"$4"* ]]; }

# --- part 1: a hostile peer's silence is recorded -------------------------------
fed_init w
declare -A HSEED=() HKEY=()
for h in R S W; do
    HSEED[$h]=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    HKEY[$h]=$("$HOSTILE" key "${HSEED[$h]}")
    assert_hex64 "${HKEY[$h]}" "hostile peer $h's key"
done
W_ARGS=(--peer "=${HKEY[R]}" --peer "=${HKEY[S]}" --peer "=${HKEY[W]}")
RAISON_WITNESS_DEADLINE_MS=1500 fed_start w "${W_ARGS[@]}"
KW=${FED_KEY[w]}
hostile() { "$HOSTILE" "${HSEED[$1]}" "$KW" "${FED_EP[w]}" silence "${@:2}"; }

# R: a rollback is evidence by itself
OUT=$(hostile R rollback 1000)
assert_eq "asked=0" "$OUT" "R's checkpoints raise no question"
wait_for "w to record R's rollback" field_has w "${HKEY[R]}" inconsistency "rolled back"
assert_eq "rolled back: sent a checkpoint of size 5 after one of size 8" \
    "$(pf w "${HKEY[R]}" inconsistency)" "w's evidence against R"
assert_eq 8 "$(pf w "${HKEY[R]}" checkpoint_size)" "R's checkpoint held by w"
assert_eq "" "$(pf w "${HKEY[R]}" unanswered_consistency)" "R owes nothing"

# S: a newer checkpoint and silence
OUT=$(hostile S silent 4000)
echo "S: $OUT"
ASKED=${OUT#asked=}
((ASKED >= 3)) || fail "w asks S again and again (asked $ASKED times in 4 s)"
((ASKED <= 12)) || fail "w asks S with a backoff, not in a loop (asked $ASKED times in 4 s)"
assert_contains "$(pf w "${HKEY[S]}" unanswered_consistency)" \
    "did not answer a consistency request from size 4 to 8" "S's unanswered request"
assert_eq "" "$(pf w "${HKEY[S]}" inconsistency)" "silence is no evidence of a fork"
assert_eq 4 "$(pf w "${HKEY[S]}" checkpoint_size)" "S's checkpoint held by w"
assert_eq 8 "$(pf w "${HKEY[S]}" pending_checkpoint_size)" "S's checkpoint awaiting its proof"
TEXT=$("$RAISON" --socket "$(node_socket w)" peers)
assert_contains "$TEXT" "OWES A CONSISTENCY PROOF: did not answer" "raison peers (text)"
assert_log() { log_has w "did not answer a consistency request from size 4 to 8"; }
wait_for "w's log to say S did not answer" assert_log
# S answers at last (w asks again when S links up). First w must have seen
# S's silent session end (a link is down 6 s after its last frame): S coming
# back before that is the same link to w, whose next ask then waits for its
# backoff (seconds by now), and the window below saw none (a CI flake).
wait_for "w to see S's link go down" field_is w "${HKEY[S]}" connected false
OUT=$(hostile S answer 1500)
assert_ne "asked=0" "$OUT" "w asks S again when it links up"
wait_for "w to hold S's checkpoint of size 8" field_is w "${HKEY[S]}" checkpoint_size 8
assert_eq "" "$(pf w "${HKEY[S]}" unanswered_consistency)" "a valid proof clears it"
assert_eq 0 "$(pf w "${HKEY[S]}" pending_checkpoint_size)" "nothing awaits a proof from S"
assert_eq "" "$(pf w "${HKEY[S]}" inconsistency)" "S is not inconsistent"

# W: answers for other sizes
OUT=$(hostile W wrong-sizes 1500)
assert_ne "asked=0" "$OUT" "w asked W"
assert_eq "answered a consistency request from size 4 to 8 with a proof from 2 to 8" \
    "$(pf w "${HKEY[W]}" unanswered_consistency)" "W's wrong answer"
assert_eq 4 "$(pf w "${HKEY[W]}" checkpoint_size)" "W's checkpoint held by w"

# the rollback evidence survives a restart of the witness
stop_node w
RAISON_WITNESS_DEADLINE_MS=1500 fed_start w "${W_ARGS[@]}"
assert_eq "rolled back: sent a checkpoint of size 5 after one of size 8" \
    "$(pf w "${HKEY[R]}" inconsistency)" "w's evidence against R after a restart"
assert_eq 8 "$(pf w "${HKEY[S]}" checkpoint_size)" "S's checkpoint held after a restart"
stop_node w
assert_eq 1 "$("$STORE_TOOL" "$T/w/db" keys 58 | grep -c "^58${HKEY[R]}")" "'X' keys for R"
assert_eq 0 "$("$STORE_TOOL" "$T/w/db" keys 58 | grep -c "^58${HKEY[S]}" || true)" \
    "'X' keys for S (silence is recorded, not kept as evidence)"

# --- part 2: a lost store starts with a new key -----------------------------------
fed_init a b c
fed_start_peered a b
fed_start_peered b a
wait_connected a b
wait_connected b a
KA=${FED_KEY[a]}
fed_author ALICE a alice Alice paris
fed_group G a alice lost "Lose a store" "ship=Ship it" "Nothing is lost" "Kept"
for i in 1 2 3; do
    as_on a alice post "$G" --mission ship "Post $i" >/dev/null
done
N=5
wait_converged "$N" a b
wait_for "b to hold a's checkpoint of size $N" field_is b "$KA" checkpoint_size "$N"

stop_node a
rm -rf "$T/a/db"
RC=0
timeout "$RSN_DEADLINE" "$RAISOND" --data "$T/a" --site a --listen "${FED_EP[a]}" \
    --peer "$(fed_peer b)" >"$T/a.refused" 2>&1 </dev/null || RC=$?
echo "refused: $(tail -n 2 "$T/a.refused")"
assert_eq 3 "$RC" "raisond on a lost store, without --new-key"
assert_contains "$(cat "$T/a.refused")" "--new-key" "the refusal says what to do"
assert_contains "$(cat "$T/a.refused")" "rollback" "the refusal says why"
assert_eq "$KA" "$("$RAISOND" keygen --data "$T/a")" "the refused start kept the key"
[[ -z $(compgen -G "$T/a/node.key.old-*") ]] || fail "nothing is moved aside without --new-key"

fed_start a --peer "$(fed_peer b)" --new-key
KA2=$(st a node_key)
assert_hex64 "$KA2" "a's new node key"
assert_ne "$KA" "$KA2" "a's node key after --new-key"
OLD=$(compgen -G "$T/a/node.key.old-*")
[[ -f $OLD ]] || fail "the old key is kept as node.key.old-TIME"
log_has a "--new-key: node key $KA2 made; the old key $KA is kept as $OLD" ||
    fail "a's log says which key was made and where the old one is"
# b is told a's new key (a restart of b, with its peer line changed)
FED_KEY[a]=$KA2
stop_node b
fed_start_peered b a
wait_connected a b
wait_connected b a
wait_converged "$N" a b
wait_for "b to hold a's new checkpoint of size $N" field_is b "$KA2" checkpoint_size "$N"
assert_eq "" "$(pf b "$KA2" inconsistency)" "b records no rollback of a's new key"
fed_stop_all
assert_eq 0 "$("$STORE_TOOL" "$T/b/db" count 58)" "'X' keys at b"

# a node that signed nothing yet restarts as it is; --new-key beside a history is refused
fed_start c
stop_node c
fed_start c
stop_node c
RC=0
timeout "$RSN_DEADLINE" "$RAISOND" --data "$T/b" --new-key >"$T/b.refused" 2>&1 </dev/null ||
    RC=$?
assert_eq 1 "$RC" "--new-key beside a history"
assert_contains "$(cat "$T/b.refused")" "--new-key is for a lost store" "why --new-key was refused"
echo "test_audit_witness_silence: ok"
