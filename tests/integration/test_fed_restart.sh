#!/usr/bin/env bash
# test_fed_restart.sh — a stopped node catches up; a stopped relay resumes.
#
# A line a–b–c. c is stopped (SIGTERM) and a publishes 50 entries (a burst of
# one author's profiles) and a group post; restarted, c catches up to exactly
# a's count and shows the post. Then b, the only link between a and c, is
# stopped; a posts again; c does not get it while b is down; restarted, b
# relays it, and c ends with a's entries and the post. Last, with c still
# up, b is restarted once more and linked to c only after it caught up, so
# that c can get what it lacks from anti-entropy alone.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

fed_init a b c
fed_start_line a b c

fed_author ALICE a alice Alice paris
fed_group G a alice restart "Survive restarts" \
    "ops=Keep every site in step" "Nothing is lost" \
    "Kept while useful"
N=2
wait_converged "$N" a b c

# --- c is down while a publishes ---------------------------------------------------
stop_node c
SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
AUTHOR=$("$API_TOOL" - pubkey "$SEED")
assert_hex64 "$AUTHOR" "the burst author's key"
"$API_TOOL" "$(node_socket a)" publish-burst "$SEED" 50 "$T/acks" >"$T/burst.out" \
    || fail "the burst at a: $(cat "$T/burst.out")"
assert_eq "acked=50" "$(cat "$T/burst.out")" "acks of the burst"
N=$((N + 50))
P1=$(as_on a alice --json post "$G" --mission ops "Posted while nantes was down" | json 'j["id"]')
N=$((N + 1))
assert_eq "$N" "$(st a entries)" "entries at a after the burst and the post"
wait_entries b "$N"

fed_start_peered c b
wait_converged "$N" a b c
wait_post c "$G" "$P1"
assert_eq "seq=50 frozen=0" "$(head_of c "$AUTHOR" | sed 's/ id=[0-9a-f]*//')" \
    "the burst author's head at c"
assert_eq "$(head_of a "$AUTHOR")" "$(head_of c "$AUTHOR")" "the burst author's head, a and c"
assert_eq "$(on a --json feed "$AUTHOR")" "$(on c --json feed "$AUTHOR")" \
    "the burst author's feed, a and c"

# --- b, the only link, is down while a posts -----------------------------------------
stop_node b
P2=$(as_on a alice --json post "$G" --mission ops "Posted while lyon was down" | json 'j["id"]')
N=$((N + 1))
assert_hex64 "$P2" "the post made while b was down"
stays_entries c $((N - 1)) 3
fed_start_peered b a c
wait_converged "$N" a b c
wait_post c "$G" "$P2"
assert_eq "$(on a --json timeline "$G")" "$(on c --json timeline "$G")" "timelines of a and c"

# --- c stays up; what it lacks can come only from anti-entropy -------------------------
# b goes down again, a posts, b comes back linked to a alone (from a config
# file) and catches up; only then does a SIGHUP link it to c. b commits
# nothing after that, so nothing is pushed: c, which ran all along (and
# caught up by anti-entropy before), must fetch the post in a new round.
stop_node b
P3=$(as_on a alice --json post "$G" --mission ops "Posted for anti-entropy" | json 'j["id"]')
N=$((N + 1))
fed_config b a
start_node b --config "$T/b.ini" --log-level "$RSN_FED_LOG_LEVEL"
wait_entries b "$N"
assert_eq $((N - 1)) "$(st c entries)" "entries at c before b links to it again"
fed_config_add_peer b c
wait_connected b c
wait_converged "$N" a b c
wait_post c "$G" "$P3"
for n in a b c; do
    assert_eq 0 "$(st "$n" forks)" "forks at $n"
done
# agreeing nodes exchange digests, never entries again, and strike nobody
fed_idle_check 8 a b c
fed_stop_all
echo "test_fed_restart: ok"
