#!/usr/bin/env bash
# test_fed_join.sh — a new site with an empty store joins a running federation.
#
# a and b run peered, a from a config file. They hold content: a group
# founded by alice at a, bob's join and post at b, alice's post at a. A new
# node n, with an empty store, dials a: a does not trust it yet, so it is
# refused (a's log names n's Curve25519 key) and n holds nothing. Then a's
# config file gets a `peer =` line for n and a SIGHUP, without a restart: n
# is linked, and receives everything, bob's entries included though n has no
# link to b; `raison groups` at n shows the group; a post at n reaches b.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

fed_init a b n
fed_config a b
start_node a --config "$T/a.ini"
fed_start_peered b a
wait_connected a b
wait_connected b a

fed_author ALICE a alice Alice paris
fed_author BOB b bob Bob lyon
fed_group G a alice welcome "Greet new sites" \
    "greet=Make every new site at home" "Nobody starts alone" \
    "Kept while the group exists"
wait_group b "$G"
as_on b bob join "$G" --yes >/dev/null
PB=$(as_on b bob --json post "$G" --mission greet "Lyon says hello" | json 'j["id"]')
PA=$(as_on a alice --json post "$G" --mission greet "Paris says hello" | json 'j["id"]')
N=6
wait_converged "$N" a b
assert_eq "$(st a site)" a "a's site comes from its config file"

# --- n dials a, which does not trust it yet -----------------------------------------
fed_start_peered n a
wait_for "a's log to refuse n's key ${FED_CURVE[n]}" \
    log_has a "refused an untrusted node (curve key ${FED_CURVE[n]})"
assert_eq 0 "$(st n entries)" "entries at n while a refuses it"
assert_eq false "$(peers_json n | json 'j["peers"][0]["connected"]')" "n's link to a while refused"

# --- a trusts n: a config line and SIGHUP -----------------------------------------------
fed_config_add_peer a n
wait_for "a's log to take n as a peer" log_has a "node ${FED_KEY[n]} is a peer"
wait_connected n a
wait_connected a n
wait_converged "$N" a b n
wait_post n "$G" "$PB"
wait_post n "$G" "$PA"
assert_eq "${RSN_PIDS[a]}" "$(pgrep -f -n -- "--config $T/a.ini" || true)" \
    "a was not restarted"
GROUPS_N=$(on n groups)
assert_contains "$GROUPS_N" "welcome" "groups at n shows the group's name"
assert_contains "$GROUPS_N" "Greet new sites" "groups at n shows the purpose"
assert_eq "$(on a --json timeline "$G")" "$(on n --json timeline "$G")" "timelines of a and n"
assert_eq "$(on b --json feed "$BOB")" "$(on n --json feed "$BOB")" "bob's feed at b and n"
assert_eq lyon "$(on n --json timeline "$G" | json "[p['author_site'] for p in j
                                                   if p['id'] == '$PB'][0]")" \
    "bob's site at n"

# --- n is a full member of the federation now ----------------------------------------
CAROL=$(as_on n carol id new 2>/dev/null)
assert_hex64 "$CAROL" "carol's key"
PN=$(as_on n carol --json post "$G" --mission greet "Nantes joins in" | json 'j["id"]')
N=$((N + 1))
wait_post b "$G" "$PN"
wait_converged "$N" a b n
for x in a b n; do
    assert_eq 0 "$(st "$x" forks)" "forks at $x"
done
# agreeing nodes exchange digests, never entries again, and strike nobody
fed_idle_check 8 a b n
fed_stop_all
echo "test_fed_join: ok"
