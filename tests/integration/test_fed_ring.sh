#!/usr/bin/env bash
# test_fed_ring.sh — five sites in a ring converge.
#
# n0–n1–n2–n3–n4–n0: each node dials the next one and trusts the one before
# (so each link is dialled from one side only, and must still carry traffic
# both ways). alice founds a group at n0 and posts there; bob, at n2 (two
# hops away either way round), joins and posts too. Every node must end with
# the same number of entries, both posts in the group's timeline with the same
# texts, the same timeline, and no fork.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

NODES=(n0 n1 n2 n3 n4)
fed_init "${NODES[@]}"
for i in 0 1 2 3 4; do
    next=${NODES[$(((i + 1) % 5))]}
    prev=${NODES[$(((i + 4) % 5))]}
    fed_start "${NODES[$i]}" --peer "$(fed_peer "$next")" --peer "$(fed_trust "$prev")"
done
for i in 0 1 2 3 4; do
    wait_connected "${NODES[$i]}" "${NODES[$(((i + 1) % 5))]}"
    wait_connected "${NODES[$i]}" "${NODES[$(((i + 4) % 5))]}"
done

fed_author ALICE n0 alice Alice n0
fed_author BOB n2 bob Bob n2
fed_group G n0 alice ring "Pass things round" \
    "talk=Talk across the ring" "Nobody is left out" \
    "Kept while the ring exists"
P0=$(as_on n0 alice --json post "$G" --mission talk "Hello from n0" | json 'j["id"]')
wait_group n2 "$G"
as_on n2 bob join "$G" --yes >/dev/null
P2=$(as_on n2 bob --json post "$G" --mission talk "Hello from n2" | json 'j["id"]')
assert_hex64 "$P0" "post at n0"
assert_hex64 "$P2" "post at n2"
N=6 # two profiles, the charter, a join, two posts

wait_converged "$N" "${NODES[@]}"
for n in "${NODES[@]}"; do
    wait_post "$n" "$G" "$P0"
    wait_post "$n" "$G" "$P2"
done
REF=$(on n0 --json timeline "$G")
assert_eq "[\"$P2\",\"$P0\"]" "$(json '[p["id"] for p in j]' <<<"$REF")" "timeline ids at n0"
assert_eq '["Hello from n2","Hello from n0"]' "$(json '[p["text"] for p in j]' <<<"$REF")" \
    "timeline texts at n0"
assert_eq "[\"$BOB\",\"$ALICE\"]" "$(json '[p["author"] for p in j]' <<<"$REF")" \
    "timeline authors at n0"
for n in "${NODES[@]}"; do
    assert_eq "$REF" "$(on "$n" --json timeline "$G")" "timeline at $n is the one at n0"
    assert_eq 0 "$(st "$n" forks)" "forks at $n"
    assert_eq 2 "$(st "$n" authors)" "authors at $n"
    assert_eq 2 "$(st "$n" peers_connected)" "peers connected at $n"
done
fed_stop_all
echo "test_fed_ring: ok"
