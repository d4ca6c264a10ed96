#!/usr/bin/env bash
# test_fed_bodies.sh — a trusted peer that strips bodies breaks nothing for
# good (issue 8, finding 2; DESIGN.md "Bodies: erased is not missing").
#
# Node s holds the data: alice's profile, a group's charter, bob's profile
# and membership, two posts and a reply, and an erase-retraction of one post
# (every kind). hostile_tool (a peer the victims trust) relays s's whole log
# (read through the API) with bodies stripped:
#   v  bare, no reason given: every entry held as body missing (status,
#      `audit verify` lists them apart from erased and integrity holds);
#      then the whole copies (push): groups, the timeline, the value report,
#      the erased post and the counts come out exactly as at s.
#   w  "erased" naming no reason, then naming an entry that is no reason:
#      the peer is struck (`peers` shows it) and, once s is a peer of w, the
#      bodies are fetched by id (BodiesRequest) from s all the same.
#   x - y - s in a line (x never linked to s): both get the log as "missing"
#      (an honest relay's claim: not struck); once s is y's peer, y fetches
#      the bodies from s and x fetches them from y.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

HOSTILE="$RSN_BUILD/tests/hostile_tool"
SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
HKEY=$("$HOSTILE" key "$SEED")
assert_hex64 "$HKEY" "hostile key"

# relay NODE MODE [KINDS]: hostile_tool relays s's log to NODE.
relay() {
    "$HOSTILE" "$SEED" "${FED_KEY[$1]}" "${FED_EP[$1]}" relay "$(node_socket s)" "$2" \
        "${3:-all}" >"$T/relay.out" || fail "hostile_tool relay $2 to $1"
    cat "$T/relay.out"
}
# hpeer NODE FIELD: FIELD of NODE's `peers --json` entry for the hostile peer.
hpeer() { peers_json "$1" | json "[p['$2'] for p in j['peers'] if p['key'] == '$HKEY'][0]"; }
# ppeer NODE PEER FIELD: FIELD of NODE's `peers --json` entry for node PEER.
ppeer() {
    peers_json "$1" | json "[p['$3'] for p in j['peers'] if p['key'] == '${FED_KEY[$2]}'][0]"
}
dropped_over() { (($(hpeer "$1" dropped) > $2)); }
missing_is() { [[ $(st "$1" bodies_missing) == "$2" ]]; }
# views NODE: what a reader sees at NODE (groups, timeline, report, feeds).
views() {
    on "$1" --json groups
    on "$1" --json timeline "$G" --limit 1000
    on "$1" --json report "$G"
    on "$1" --json feed "$ALICE" --limit 1000 | json '[[e["id"], e["erased"], e["retracted"],
        e["body"]] for e in j["entries"]]'
    for f in groups bodies_erased bodies_missing entries; do echo "$f=$(st "$1" $f)"; done
}
same_views() { [[ $(views "$1") == "$(views s)" ]]; }
# verify NODE: `raison audit verify --json` at NODE.
verify() { "$RAISON" --socket "$(node_socket "$1")" --json --timeout-ms 30000 audit verify; }

fed_init s v w x y
fed_start s --peer "$(fed_trust w)" --peer "$(fed_trust y)"
fed_start v --peer "=$HKEY"
fed_config w
echo "peer = =$HKEY" >>"$T/w.ini"
start_node w --config "$T/w.ini" --log-level "$RSN_FED_LOG_LEVEL"
fed_config y x
echo "peer = =$HKEY" >>"$T/y.ini"
start_node y --config "$T/y.ini" --log-level "$RSN_FED_LOG_LEVEL"
fed_start x --peer "$(fed_peer y)" --peer "=$HKEY"
wait_connected x y

# --- the data, at s alone ----------------------------------------------------------
fed_author ALICE s alice Alice paris
fed_group G s alice stripped "Bodies must survive" "ship=Ship it" "Nothing is lost" \
    "Kept while the group lives"
fed_author BOB s bob Bob lyon
as_on s bob join "$G" --yes >/dev/null
P1=$(as_on s alice --json post "$G" --mission ship "The first post" | json 'j["id"]')
P2=$(as_on s alice --json post "$G" --mission ship "A secret that must go" | json 'j["id"]')
R=$(as_on s bob --json reply "$P1" "A reply from Lyon" | json 'j["id"]')
X=$(as_on s alice --json retract "$P2" --erase | json 'j["id"]')
for id in "$P1" "$P2" "$R" "$X"; do assert_hex64 "$id" "an entry id"; done
N=$(st s entries)
assert_eq 8 "$N" "entries at s"
assert_eq 1 "$(st s bodies_erased)" "bodies erased at s"
assert_eq 0 "$(st s bodies_missing)" "bodies missing at s"

# --- v: every body stripped, no reason given; then the whole copies ------------------
relay v bare
wait_converged "$N" v
# 7 bodies stripped, and the erased post sent bare too with no reason: v
# cannot tell it from the others, all 8 are missing
wait_for "8 bodies missing at v" missing_is v 8
assert_eq 0 "$(st v groups)" "groups at v while the charter's body is missing"
assert_eq 0 "$(st v bodies_erased)" "nothing erased at v: no reason is known"
assert_eq "$N" "$(hpeer v bare_received)" "v counts what the hostile peer sent bare"
DOC=$(verify v)
assert_eq '[true,8,0]' "$(json '[j["integrity_ok"], j["bodies_missing"], j["erased"]]' <<<"$DOC")" \
    "audit verify at v (integrity_ok, bodies_missing, erased) with bodies missing"
assert_eq 8 "$(json 'len([p for p in j["problems"] if p["kind"] == "body-missing"])' <<<"$DOC")" \
    "body-missing problems listed by audit verify at v"
relay v whole
wait_for "v to see what s sees" same_views v
assert_eq 1 "$(st v groups)" "groups at v once the bodies arrived"
assert_eq false "$(on v --json timeline "$G" | json "any(p['id'] == '$P2' for p in j)")" \
    "the erased post is not in v's timeline"
DOC=$(verify v)
assert_eq '[true,0,1]' "$(json '[j["integrity_ok"], j["bodies_missing"], j["erased"]]' <<<"$DOC")" \
    "audit verify at v once the bodies arrived"
assert_eq 7 "$(hpeer v bodies_fetched)" "v counts the bodies the hostile peer brought"

# --- w: "erased" with no reason, then naming one that is none; s has the bodies -----------
relay w erased
wait_converged "$N" w
wait_for "8 bodies missing at w" missing_is w 8
DROPPED=$(hpeer w dropped)
(( DROPPED >= 7 )) || fail "w struck the hostile peer $DROPPED times for 7 claims without reason"
assert_match "$(hpeer w last_error)" "erased" "w's last error for the hostile peer"
relay w erased-wrong
wait_for "w to strike claims naming an entry that is no reason" dropped_over w "$DROPPED"
assert_eq 8 "$(st w bodies_missing)" "bodies still missing at w"
fed_config_add_peer w s
wait_for "w to see what s sees" same_views w
(( $(ppeer w s bodies_fetched) == 7 )) || fail "w fetched $(ppeer w s bodies_fetched) bodies from s"

# --- x - y - s: the body is only at the far end -------------------------------------
relay x missing
relay y missing
wait_converged "$N" x y
wait_for "8 bodies missing at x" missing_is x 8
wait_for "8 bodies missing at y" missing_is y 8
assert_eq 0 "$(hpeer x dropped)" "an honest claim of missing is not struck at x"
fed_config_add_peer y s
wait_for "y to see what s sees" same_views y
wait_for "x to see what s sees" same_views x
(( $(ppeer x y bodies_fetched) == 7 )) || fail "x fetched $(ppeer x y bodies_fetched) bodies from y"
assert_eq false "$(peers_json x | json "any(p['key'] == '${FED_KEY[s]}' for p in j['peers'])")" \
    "x never had s as a peer"
fed_stop_all
echo "PASS test_fed_bodies"
