#!/usr/bin/env bash
# test_recovery.sh — the way back from a lost machine (issue 12), following
# docs/operations.md "The way back from a lost machine" step by step: the commands marked "doc" below (in
# rebuild, cut_off aside) are that page's commands, with the test's paths and
# keys in place of /etc/raison and /var/lib/raison, and kill -HUP for
# `systemctl reload`.
#
# Three sites, paris, lyon and nantes, each peered with the two others and
# run from a config file (which the operator backs up: the one thing of a
# site that is not replicated). People at each site found groups, join,
# post, reply, change a profile; carol (at nantes) erases a post's body and
# founds a members-only group that bob (at lyon) is added to; every site
# witnesses the others' checkpoints of the whole log.
#
# Then nantes is cut off from its peers (its peer lines removed, SIGHUP) and
# two things happen there that no peer receives: dave publishes two posts,
# and erin's post is stored but its acknowledgement lost (tests/integration/
# fake_node.py answers ERROR_INTERNAL after the node stored it), so her
# client keeps it pending. nantes dies (kill -9) and its whole data folder is
# deleted. It is rebuilt as the page says: the config file restored, a new
# node key (`raisond keygen` on the empty folder), the peers' `peer =` lines
# for nantes changed to the new key and SIGHUP'd, raisond started. Then:
#  - every entry that had reached a peer is back at nantes: the same counts in
#    `raison status --json`, the same feeds (ids, bodies, the erased body
#    still erased), the same timelines and reports as before the loss and as
#    at the peers; `raison audit verify` finds nothing wrong;
#  - the witnesses (lyon, paris) hold the new key's checkpoint of the whole
#    log with no evidence and nothing owed, and keep what they knew of the
#    old key (its last checkpoint, no evidence: 'W', no 'X'); the old key,
#    put back on an empty folder, is refused (exit 3);
#  - dave's two posts are lost for good (no site holds them); his client's
#    head file still says seq 5, so his next publish is refused rather than
#    fork his feed; once he has checked no site holds them and removed the
#    head file, he publishes seq 4 at the new node, no fork anywhere;
#  - erin's pending post, lost with nantes' store, is not lost: her client
#    kept it, `raison pending` stores it at the new nantes and it reaches
#    every site.
#
# Part 2, the old disk comes back: madrid and berlin; frank's two posts at a
# cut-off madrid are lost with it, madrid is rebuilt, frank's publish is
# refused (his head file is ahead); a copy of the old disk, started under its
# old key with the new madrid as its only peer, gives them back, and frank
# publishes on, no fork, no evidence at either witness.
#
# Part 3, why the procedure restores no database: a copy of oslo's database
# older than its key's last checkpoint is refused (exit 3, node.key.signed);
# a copy of its whole folder cannot be told apart, starts, and its witness
# bern records a rollback for good.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${RSN_SOURCE:-$(cd "$HERE/../.." && pwd)}
STORE_TOOL="$RSN_BUILD/tests/store_tool"
command -v protoc >/dev/null || fail "protoc not found: install protobuf-compiler (scripts/deps.sh)"

SITES=(paris lyon nantes)

# pf NODE PEERKEY FIELD: one field of NODE's `raison peers --json` for PEERKEY.
pf() { peers_json "$1" | json "[p['$3'] for p in j['peers'] if p['key'] == '$2'][0]"; }
field_is() { [[ $(pf "$1" "$2" "$3") == "$4" ]]; }
# lists_key NODE KEY: NODE's `raison peers` lists KEY.
lists_key() { [[ $(peers_json "$1" | json "any(p['key'] == '$2' for p in j['peers'])") == true ]]; }
# counts NODE: what `raison status --json` counts, without what is the node's own.
counts() {
    "$RAISON" --socket "$(node_socket "$1")" --json status |
        json '{k: j[k] for k in ("entries", "authors", "groups", "forks", "log_size",
                                 "bodies_missing", "bodies_erased")}'
}
# site_config NAME PEER...: NAME's config file (data folder, site, listen, peers).
site_config() {
    fed_config "$@"
    sed -i "/^\[node\]/a data = $T/$1\nlog_level = $RSN_FED_LOG_LEVEL" "$T/$1.ini"
}
# witnessed_all NODE PEER N: NODE holds PEER's checkpoint of size N, owing nothing.
witnessed_all() {
    field_is "$1" "${FED_KEY[$2]}" checkpoint_size "$3" &&
        field_is "$1" "${FED_KEY[$2]}" pending_checkpoint_size 0
}
# snapshot NODE FILE: what NODE shows of everything, into FILE (the feeds of
# every author, the timelines and reports of every group, the groups).
snapshot() {
    local who
    {
        for who in "${AUTHORS[@]}"; do
            on "$1" --json feed "$who"
        done
        for g in "$G1" "$G2" "$G3"; do
            on "$1" --json timeline "$g" --limit 1000
            on "$1" --json report "$g"
            on "$1" --json group "$g"
        done
        on "$1" --json groups
    } >"$2"
}

# refused_start WHAT ARGS...: raisond ARGS, expected to refuse to start; its
# exit status into RC, what it said into REFUSAL.
refused_start() {
    local what=$1
    shift
    RC=0
    timeout "$RSN_DEADLINE" "$RAISOND" "$@" >"$T/refused.out" 2>&1 </dev/null || RC=$?
    REFUSAL=$(cat "$T/refused.out")
    echo "$what: exit $RC: $(tail -n 1 "$T/refused.out")"
}
# cut_off SITE PEER...: SITE's peer lines removed and SIGHUP: what it holds
# from now on reaches no peer (each PEER shows it down).
cut_off() {
    local site=$1 p
    shift
    site_config "$site"
    kill -HUP "${RSN_PIDS[$site]}"
    for p in "$@"; do
        wait_for "$p to see $site down" eval "! peer_connected $p $site"
    done
}
# rebuild SITE PEER...: docs/operations.md "The way back from a lost machine" steps 1 to 3 for SITE, whose
# data folder is gone, and its peers PEER...; NEW_KEY is SITE's new key.
rebuild() {
    local site=$1 old=${FED_KEY[$1]} p
    shift
    # doc step 1: the config file from the backup, an empty data folder, a new node key
    cp "$T/backup/$site.ini" "$T/$site.ini"
    install -d -m 0700 "$T/$site"
    NEW_KEY=$("$RAISOND" keygen --data "$T/$site")
    assert_hex64 "$NEW_KEY" "$site's new node key"
    assert_ne "$old" "$NEW_KEY" "$site's new node key"
    # doc step 2: each peer's `peer =` line for SITE gets the new key, then SIGHUP
    for p in "$@"; do
        sed -i "s/=$old\$/=$NEW_KEY/" "$T/$p.ini"
        kill -HUP "${RSN_PIDS[$p]}"
    done
    for p in "$@"; do
        assert_eq 1 "$(grep -c "=$NEW_KEY\$" "$T/$p.ini")" "$p's peer line for $site"
        wait_for "$p to drop $site's old key" eval "! lists_key $p $old"
    done
    # doc step 3: start the node from its config file
    start_node "$site" --config "$T/$site.ini"
    FED_KEY["$site"]=$NEW_KEY
    assert_eq "$NEW_KEY" "$(st "$site" node_key)" "$site runs under its new key"
    # doc step 4: watch it catch up (raison peers: links up, RECEIVED; raison status)
    for p in "$@"; do
        wait_connected "$site" "$p"
        wait_connected "$p" "$site"
    done
}

# --- three sites, each peered with the others, run from config files --------------
fed_init "${SITES[@]}"
site_config paris lyon nantes
site_config lyon paris nantes
site_config nantes paris lyon
mkdir -m 700 "$T/backup"
cp "$T/nantes.ini" "$T/backup/nantes.ini" # doc: back up the config file
for s in "${SITES[@]}"; do
    start_node "$s" --config "$T/$s.ini"
done
for s in "${SITES[@]}"; do
    for p in "${SITES[@]}"; do
        [[ $s == "$p" ]] || wait_connected "$s" "$p"
    done
done
OLD_KEY=${FED_KEY[nantes]}
assert_eq "$OLD_KEY" "$(st nantes node_key)" "nantes' node key"

# --- people at each site write -----------------------------------------------------
fed_author ALICE paris alice Alice paris
fed_author BOB lyon bob Bob lyon
fed_author CAROL nantes carol Carol nantes
fed_author DAVE nantes dave Dave nantes
fed_author ERIN nantes erin Erin nantes
AUTHORS=("$ALICE" "$BOB" "$CAROL" "$DAVE" "$ERIN")
fed_group G1 paris alice kitchen "Better lunches" "menu=Plan the menu" "Happier teams" "Kept"
fed_group G2 nantes carol tools "Shared tools" "lend=Lend tools" "Less waste" "Kept a year"
wait_group lyon "$G2"
wait_group nantes "$G1"
as_on lyon bob join "$G1" --yes >/dev/null
as_on lyon bob join "$G2" --yes >/dev/null
as_on nantes carol join "$G1" --yes >/dev/null
as_on nantes dave join "$G2" --yes >/dev/null
wait_converged 11 "${SITES[@]}"
P1=$(as_on paris alice --json post "$G1" --mission menu "Monday: lasagna" | json 'j["id"]')
P2=$(as_on lyon bob --json post "$G2" --mission lend "A drill to lend" | json 'j["id"]')
P3=$(as_on nantes carol --json post "$G1" --mission menu "Tuesday: soup" | json 'j["id"]')
P4=$(as_on nantes carol --json post "$G2" --mission lend "My home phone, by mistake" |
    json 'j["id"]')
P5=$(as_on nantes dave --json post "$G2" --mission lend "A ladder too" | json 'j["id"]')
wait_post lyon "$G1" "$P3"
wait_post nantes "$G2" "$P2"
wait_post nantes "$G1" "$P1"
R1=$(as_on nantes carol --json reply "$P1" "Yes please" | json 'j["id"]')
R2=$(as_on paris alice --json reply "$P3" "With bread" | json 'j["id"]')
R3=$(as_on lyon bob --json reply "$P5" "I'll take it" | json 'j["id"]')
as_on nantes carol retract "$P4" --erase >/dev/null
as_on nantes carol profile --name "Carol B." --site nantes --role engineer >/dev/null
wait_converged 21 "${SITES[@]}"
# a members-only group of nantes with a member at lyon
G3=$(as_on nantes carol --json charter new --name vault --purpose "Review accesses" \
    --mission "audits=Review accesses" --benefit "Fewer leaks" --data-policy "Kept" \
    --members-only | json 'j["group"]')
assert_hex64 "$G3" "the members-only group"
as_on nantes carol add "$G3" "$BOB" >/dev/null
wait_converged 23 "${SITES[@]}"
as_on lyon bob join "$G3" --yes >/dev/null
P7=$(as_on lyon bob --json post "$G3" --mission audits "Lyon's accesses reviewed" |
    json 'j["id"]')
# 5 profiles, 3 charters, 5 joins, 1 add, 6 posts, 3 replies, 1 retraction, 1 profile
N=25
N_OLD=$N # the size of the old key's last checkpoint its peers witness
wait_converged "$N" "${SITES[@]}"
for id in "$P1" "$P2" "$P3" "$P5" "$P7" "$R1" "$R2" "$R3"; do
    assert_hex64 "$id" "an entry id"
done
assert_eq 1 "$(st paris bodies_erased)" "bodies erased at paris"
# every site witnesses the others' checkpoints of the whole log
for s in "${SITES[@]}"; do
    for p in "${SITES[@]}"; do
        [[ $s == "$p" ]] || wait_for "$s to hold $p's checkpoint of size $N" witnessed_all "$s" "$p" "$N"
    done
done
BEFORE_COUNTS=$(counts paris)
for s in lyon nantes; do
    assert_eq "$BEFORE_COUNTS" "$(counts "$s")" "raison status counts at $s and paris"
done
snapshot paris "$T/before.paris"
snapshot nantes "$T/before.nantes"
cmp -s "$T/before.paris" "$T/before.nantes" || fail "paris and nantes show different things"
# erased NODE ID: the `erased` flag of entry ID in carol's feed at NODE.
erased() { on "$1" --json feed "$CAROL" | json "[e['erased'] for e in j['entries'] if e['id'] == '$2'][0]"; }
assert_eq true "$(erased paris "$P4")" "carol's erased post at paris"
assert_not_contains "$(cat "$T/before.paris")" "home phone" "the erased body is nowhere"

# --- nantes is cut off; what happens there reaches no peer --------------------------
# erin talks to nantes through a fake node that lets her post be stored but
# answers ERROR_INTERNAL: her client keeps the entry pending
mkdir -p "$T/pb2"
protoc --python_out="$T/pb2" -I "$SRC/proto" "$SRC/proto/raison.proto"
FAKE=$T/fake.sock
echo internal-after >"$T/fake.rules"
"$PY" "$HERE/fake_node.py" --listen "$FAKE" --upstream "$(node_socket nantes)" --pb2 "$T/pb2" \
    --rules "$T/fake.rules" --record "$T/fake.record" 2>"$T/fake.log" &
RSN_OTHER_PIDS+=($!)
wait_for "the fake node's socket" test -S "$FAKE"

cut_off nantes paris lyon
as_on nantes dave post "$G2" --mission lend "Lost 1" >/dev/null
as_on nantes dave post "$G2" --mission lend "Lost 2" >/dev/null
RSN_SOCKET=$FAKE RSN_IDENTITY="$T/erin.key" must_fail "erin's post, stored but its ack lost" \
    rsn post "$G1" --mission menu "Erin's pending post"
ERIN_STATE=$HOME/.local/state/raison/keys/$ERIN
DAVE_STATE=$HOME/.local/state/raison/keys/$DAVE
[[ -s $ERIN_STATE/pending ]] || fail "erin's client keeps her post pending"
wait_entries nantes $((N + 3))
assert_eq 5 "$(cat "$DAVE_STATE/head")" "dave's client: the last seq a node acknowledged"
stays_entries paris "$N" 2
on paris peers # what a peer shows while nantes is away
assert_eq "$N" "$(st lyon entries)" "lyon holds none of what nantes got after the cut"

# --- nantes' machine is lost: kill -9, its data folder deleted --------------------------
cp "$T/nantes/node.key" "$T/old-node.key" # someone kept a copy of the old key
kill9_node nantes
rm -rf "$T/nantes" "$T/nantes.ini"

# --- the rebuild, as docs/operations.md "The way back from a lost machine" says ---------------------------------------------
rebuild nantes paris lyon
wait_converged "$N" "${SITES[@]}"
on nantes peers
RECEIVED=$(peers_json nantes | json 'sum(p["entries_received"] for p in j["peers"])')
((RECEIVED >= N)) || fail "nantes received $RECEIVED entries from its peers, expected $N or more"

# --- every entry is back ------------------------------------------------------------------------
for s in "${SITES[@]}"; do
    assert_eq "$BEFORE_COUNTS" "$(counts "$s")" "raison status counts at $s after the rebuild"
done
assert_eq 0 "$(st nantes bodies_missing)" "bodies missing at nantes"
snapshot nantes "$T/after.nantes"
snapshot lyon "$T/after.lyon"
cmp -s "$T/before.paris" "$T/after.nantes" ||
    fail "nantes shows something else than before: $(diff "$T/before.paris" "$T/after.nantes" | head -5)"
cmp -s "$T/before.paris" "$T/after.lyon" || fail "lyon shows something else than before"
assert_not_contains "$(cat "$T/after.nantes")" "home phone" "the erased body stays erased at nantes"
assert_eq true "$(erased nantes "$P4")" "carol's erased post at nantes"
for s in "${SITES[@]}"; do
    VERIFY=$(on "$s" --json audit verify)
    assert_eq true "$(json 'j["integrity_ok"]' <<<"$VERIFY")" "audit verify at $s"
    assert_eq 0 "$(json 'len(j["problems"])' <<<"$VERIFY")" "problems audit verify finds at $s"
done
on nantes status

# --- what the witnesses show -------------------------------------------------------------------
for s in paris lyon; do
    wait_for "$s to hold the new key's checkpoint of size $N" witnessed_all "$s" nantes "$N"
    assert_eq "" "$(pf "$s" "$NEW_KEY" inconsistency)" "$s's evidence against the new key"
    assert_eq "" "$(pf "$s" "$NEW_KEY" unanswered_consistency)" "what the new key owes $s"
    assert_eq false "$(lists_key "$s" "$OLD_KEY" && echo true || echo false)" \
        "$s lists the old key"
done
for p in paris lyon; do
    wait_for "nantes to hold $p's checkpoint of size $N" witnessed_all nantes "$p" "$N"
    assert_eq "" "$(pf nantes "${FED_KEY[$p]}" inconsistency)" "nantes' evidence against $p"
done
# the old key, put back on an empty folder, is refused: it signed a history
mkdir -m 700 "$T/old"
cp "$T/old-node.key" "$T/old/node.key"
refused_start "the old key on an empty folder" --data "$T/old" --site nantes
assert_eq 3 "$RC" "raisond under the old key on an empty folder"
assert_contains "$REFUSAL" "--new-key" "the refusal says what to do"

# --- dave's two posts are lost for good; his next publish does not fork -----------------------
for s in "${SITES[@]}"; do
    assert_eq 3 "$(on "$s" --json feed "$DAVE" | json 'j["head"]')" "dave's feed at $s"
done
assert_eq null "$(as_on nantes dave --json pending | json 'j["pending"]')" \
    "dave's client has nothing pending"
RSN_SOCKET=$(node_socket nantes) RSN_IDENTITY="$T/dave.key" must_fail \
    "dave's publish while his client knows seq 5" rsn post "$G2" --mission lend "After the loss"
assert_contains "$RSN_ERR" "would fork your feed" "why dave's publish is refused"
assert_contains "$RSN_ERR" "$DAVE_STATE/head" "the refusal names the head file"
# doc (people): no site holds seq 4 or 5 of dave's feed, so they are lost: remove the head file
rm "$DAVE_STATE/head"
P6=$(as_on nantes dave --json post "$G2" --mission lend "After the loss" | json 'j["id"]')
assert_eq 4 "$(on nantes --json feed "$DAVE" | json 'j["head"]')" "dave's feed after his publish"
N=$((N + 1))

# --- erin's pending post was stored only at the lost nantes: her client resends it ----------------
OUT=$(as_on nantes erin --json pending)
assert_eq true "$(json 'j["stored"]' <<<"$OUT")" "erin's pending post stored at the new nantes"
PE=$(json 'j["pending"]["id"]' <<<"$OUT")
[[ ! -e $ERIN_STATE/pending ]] || fail "erin's pending file is left after the entry was stored"
N=$((N + 1))
wait_converged "$N" "${SITES[@]}"
wait_post paris "$G2" "$P6"
wait_post lyon "$G1" "$PE"
wait_post nantes "$G3" "$P7"
for s in "${SITES[@]}"; do
    assert_eq 0 "$(st "$s" forks)" "forks at $s"
    assert_eq 4 "$(on "$s" --json feed "$DAVE" | json 'j["head"]')" "dave's feed at $s"
done
FINAL=$(counts paris)
for s in lyon nantes; do
    assert_eq "$FINAL" "$(counts "$s")" "raison status counts at $s at the end"
done
for s in paris lyon; do
    wait_for "$s to hold the new key's checkpoint of size $N" witnessed_all "$s" nantes "$N"
    assert_eq "" "$(pf "$s" "$NEW_KEY" inconsistency)" "$s's evidence against the new key"
done

# --- in the witnesses' stores: the old key's checkpoint kept, no evidence against any key ---------
fed_stop_all
wkey() { printf '57%s' "$1"; } # 'W' peer
for s in paris lyon; do
    NOTE=$("$STORE_TOOL" "$T/$s/db" get "$(wkey "$OLD_KEY")" | xxd -r -p)
    assert_contains "$NOTE" "raison/$OLD_KEY"$'\n'"$N_OLD"$'\n' \
        "$s keeps the old key's last checkpoint it witnessed (size $N_OLD)"
    NOTE=$("$STORE_TOOL" "$T/$s/db" get "$(wkey "$NEW_KEY")" | xxd -r -p)
    assert_contains "$NOTE" "raison/$NEW_KEY"$'\n'"$N"$'\n' "$s holds the new key's checkpoint"
    assert_eq 0 "$("$STORE_TOOL" "$T/$s/db" count 58)" "'X' (evidence) keys at $s"
done
assert_eq 0 "$("$STORE_TOOL" "$T/nantes/db" count 58)" "'X' (evidence) keys at nantes"

# --- part 2: the old disk comes back, with entries no peer had ---------------------------------
# madrid and berlin; frank posts twice at madrid while it is cut off, madrid
# dies and is rebuilt; then its old disk turns up: a copy of it, started
# under the old key with the new madrid as its only peer (trusted with
# `peer = =OLD_KEY` for the time being), gives the lost posts back, and
# frank's next publish follows them, no fork anywhere.
fed_init berlin madrid
site_config berlin madrid
site_config madrid berlin
cp "$T/madrid.ini" "$T/backup/madrid.ini"
start_node berlin --config "$T/berlin.ini"
start_node madrid --config "$T/madrid.ini"
wait_connected berlin madrid
wait_connected madrid berlin
fed_author FRANK madrid frank Frank madrid
fed_group G4 madrid frank garden "A shared garden" "plant=Plant trees" "Shade" "Kept"
wait_converged 2 berlin madrid
wait_for "berlin to hold madrid's checkpoint of size 2" witnessed_all berlin madrid 2
MADRID_OLD=${FED_KEY[madrid]}
cut_off madrid berlin
F1=$(as_on madrid frank --json post "$G4" --mission plant "An oak" | json 'j["id"]')
F2=$(as_on madrid frank --json post "$G4" --mission plant "A lime" | json 'j["id"]')
wait_entries madrid 4
kill9_node madrid
mv "$T/madrid" "$T/old-madrid" # the disk, taken out of the dead machine
rm "$T/madrid.ini"
rebuild madrid berlin
wait_converged 2 berlin madrid
FRANK_STATE=$HOME/.local/state/raison/keys/$FRANK
RSN_SOCKET=$(node_socket madrid) RSN_IDENTITY="$T/frank.key" must_fail \
    "frank's publish while his posts are on the old disk" rsn post "$G4" --mission plant "A pine"
assert_contains "$RSN_ERR" "would fork your feed" "why frank's publish is refused"
# doc (old disk): its copy under its old key, with one peer: the new madrid, which trusts it
start_node old-madrid --site madrid --peer "$(fed_peer madrid)"
assert_eq "$MADRID_OLD" "$(st old-madrid node_key)" "the old disk runs under its old key"
echo "peer = =$MADRID_OLD" >>"$T/madrid.ini"
kill -HUP "${RSN_PIDS[madrid]}"
wait_for "the new madrid to link with the old disk" field_is madrid "$MADRID_OLD" connected true
wait_converged 4 berlin madrid old-madrid
wait_post berlin "$G4" "$F1"
wait_post berlin "$G4" "$F2"
wait_for "madrid to hold the old key's checkpoint of size 4" field_is madrid "$MADRID_OLD" \
    checkpoint_size 4
assert_eq "" "$(pf madrid "$MADRID_OLD" inconsistency)" "madrid's evidence against the old key"
# doc (old disk): the line removed, SIGHUP, the copy stopped and destroyed
sed -i "/^peer = =$MADRID_OLD\$/d" "$T/madrid.ini"
kill -HUP "${RSN_PIDS[madrid]}"
wait_for "madrid to drop the old key" eval "! lists_key madrid $MADRID_OLD"
stop_node old-madrid
rm -rf "$T/old-madrid"
assert_eq 4 "$(cat "$FRANK_STATE/head")" "frank's head file"
as_on madrid frank post "$G4" --mission plant "A pine" >/dev/null
wait_converged 5 berlin madrid
for s in berlin madrid; do
    assert_eq 0 "$(st "$s" forks)" "forks at $s"
    assert_eq 5 "$(on "$s" --json feed "$FRANK" | json 'j["head"]')" "frank's feed at $s"
done
wait_for "berlin to hold the new madrid's checkpoint of size 5" witnessed_all berlin madrid 5
assert_eq "" "$(pf berlin "${FED_KEY[madrid]}" inconsistency)" "berlin's evidence against madrid"
fed_stop_all
for s in berlin madrid; do
    assert_eq 0 "$("$STORE_TOOL" "$T/$s/db" count 58)" "'X' (evidence) keys at $s"
done

# --- part 3: why the procedure restores no database --------------------------------------------
# oslo's data folder is copied while it is stopped (a backup); oslo goes on
# writing and bern witnesses more. oslo's database is lost and the copy's
# database put back: raisond refuses to start (exit 3), since its key signed
# a checkpoint of more entries than that database holds (node.key.signed).
# The whole folder put back, node.key.signed included, cannot be told from
# the real one: oslo starts, and bern records a rollback against its key for
# good, though the operator did nothing dishonest; --new-key is then refused
# beside that history.
fed_init bern oslo
fed_start_peered bern oslo
fed_start_peered oslo bern
wait_connected bern oslo
fed_author GINA oslo gina Gina oslo
fed_group G5 oslo gina radio "Radio club" "talk=Talk" "Friends" "Kept"
wait_for "bern to hold oslo's checkpoint of size 2" witnessed_all bern oslo 2
stop_node oslo
cp -a "$T/oslo" "$T/oslo-backup"
fed_start_peered oslo bern
as_on oslo gina post "$G5" --mission talk "Hello" >/dev/null
as_on oslo gina post "$G5" --mission talk "Again" >/dev/null
wait_for "bern to hold oslo's checkpoint of size 4" witnessed_all bern oslo 4
kill9_node oslo
assert_eq "${FED_KEY[oslo]} 4" "$(cat "$T/oslo/node.key.signed")" "node.key.signed at oslo"
# the database alone from the backup: refused
rm -rf "$T/oslo/db"
cp -a "$T/oslo-backup/db" "$T/oslo/db"
refused_start "an old database" --data "$T/oslo" --site oslo --listen "${FED_EP[oslo]}" \
    --peer "$(fed_peer bern)"
assert_eq 3 "$RC" "raisond on a database older than its key's last checkpoint"
assert_contains "$REFUSAL" "signed a checkpoint of 4 entries, but the database $T/oslo/db holds 2" \
    "the refusal says why"
assert_contains "$REFUSAL" "--new-key" "the refusal says what to do"
assert_eq "" "$(pf bern "${FED_KEY[oslo]}" inconsistency)" "bern's evidence after the refusal"
# the whole folder from the backup: a rollback
rm -rf "$T/oslo"
cp -a "$T/oslo-backup" "$T/oslo"
fed_start_peered oslo bern
wait_for "bern to record a rollback of oslo" eval \
    "[[ \$(pf bern ${FED_KEY[oslo]} inconsistency) == 'rolled back'* ]]"
assert_eq "rolled back: sent a checkpoint of size 2 after one of size 4" \
    "$(pf bern "${FED_KEY[oslo]}" inconsistency)" "bern's evidence against oslo's key"
stop_node oslo
refused_start "--new-key beside a history" --data "$T/oslo" --new-key
assert_eq 1 "$RC" "--new-key beside the restored database"
fed_stop_all
echo "test_recovery: ok"
