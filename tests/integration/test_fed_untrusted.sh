#!/usr/bin/env bash
# test_fed_untrusted.sh — a node that is not trusted is refused and gets nothing.
#
# a and b run peered. d, a node b does not list, is started with --peer to b
# (it trusts b and dials it). b refuses it: b's log names d's Curve25519 key
# as refused, d's view of the link says it is down with an error saying it
# was refused, b's peers never show d, and d holds no entry, neither of the
# content there before it dialled nor of posts made while it keeps trying,
# over more than two anti-entropy rounds. Honest traffic between a and b
# keeps flowing all along.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

fed_init a b d
fed_start_peered a b
fed_start_peered b a
wait_connected b a

fed_author ALICE b alice Alice lyon
fed_group G b alice private "Stay between trusted sites" \
    "plan=Plan the quarter" "Plans stay inside" \
    "Kept inside the company"
N=2
wait_converged "$N" a b

fed_start_peered d b
wait_for "b's log to refuse d's curve key ${FED_CURVE[d]}" \
    log_has b "refused an untrusted node (curve key ${FED_CURVE[d]})"
D_PEER="[p for p in j['peers'] if p['key'] == '${FED_KEY[b]}']"
d_sees_refusal() {
    [[ $(peers_json d | json "[[p['connected'], 'refused' in p['last_error']]
                               for p in $D_PEER]") == '[[false,true]]' ]]
}
wait_for "d's peers to show b refusing it" d_sees_refusal

# b keeps getting new posts; d gets none of them, nor what was there before
for i in 1 2 3; do
    P=$(as_on b alice --json post "$G" --mission plan "Plan item $i" | json 'j["id"]')
    N=$((N + 1))
    wait_post a "$G" "$P"
done
wait_converged "$N" a b
stays_entries d 0 5
assert_eq 0 "$(st d authors)" "authors at d"
assert_eq 0 "$(st d peers_connected)" "peers connected at d"
for n in a b; do
    assert_eq "[]" "$(peers_json "$n" | json "[p for p in j['peers']
        if p['key'] == '${FED_KEY[d]}' and p['connected']]")" "$n shows d connected"
    assert_not_contains "$(peers_json "$n")" "${FED_KEY[d]}" "$n's peers name d"
    assert_eq 1 "$(st "$n" peers_connected)" "peers connected at $n"
done
assert_not_contains "$(cat "$T/b.log")" "link to node ${FED_KEY[d]} up" "b's log: a link to d"
assert_eq true "$(peers_json a | json "[p['connected'] for p in j['peers']][0]")" \
    "the link a–b is still up"
fed_stop_all
echo "test_fed_untrusted: ok"
