#!/usr/bin/env bash
# test_fed_heads_paging.sh — anti-entropy follows every page of heads.
#
# Heads are paged with a (bucket, author) cursor that the asking side follows
# to the end (docs/federation.md, "Heads are paged"). Two cases, each a node
# a holding many feeds and an empty node b that joins it and must end up
# with every entry:
#
#  1. pages of 50 heads on both nodes (RAISON_HEADS_PAGE=50, the test knob)
#     and 600 feeds, 300 of them in bucket 0 (the first seeds of the file
#     below) and 300 of random keys: twelve pages, followed in one round;
#  2. the real page size (8,000) and 8,100 feeds in ONE bucket (keys that
#     start with 0x00, from tests/integration/data/bucket0-seeds.bin, made
#     by make_bucket0_seeds.sh: the test never searches for keys), plus 300
#     feeds in other buckets: more feeds in one bucket than a page holds, and
#     more than b's queue of ranges (4,096) takes in one go, so the walk is
#     cut and resumed at its cursor in later rounds.
#
# Without paging, b stops at the first page: the same first heads of bucket
# 0 come back every round and the other buckets never get their turn (50
# feeds in case 1; 8,000 in case 2). Both cases run in every build (about
# 14 s, 27 s under ASan + UBSan); RSN_HEADS_BIG=0 skips case 2 while
# iterating.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

HEADS_TOOL="$RSN_BUILD/tests/heads_tool"
SEEDS="$(dirname "${BASH_SOURCE[0]}")/data/bucket0-seeds.bin"

# ms: milliseconds on the wall clock.
ms() { date +%s%3N; }

# converge_from A B N LABEL: starts the empty node B peered with A (A trusts
# it already), waits until both hold exactly N entries and B holds every id
# in $T/A.ids; prints how long B took.
converge_from() {
    local a=$1 b=$2 n=$3 label=$4 start
    start=$(ms)
    fed_start_peered "$b" "$a"
    wait_converged "$n" "$a" "$b"
    echo "test_fed_heads_paging: $label: $b converged to $n entries in $(($(ms) - start)) ms"
    assert_eq "held=$n lacking=0" "$("$HEADS_TOOL" "$(node_socket "$b")" has-all "$T/$a.ids")" \
        "entries of $a held at $b"
    assert_eq 0 "$(st "$b" forks)" "forks at $b"
}

# the seeds file: 8,100 seeds whose keys start with 0x00
assert_eq $((8100 * 32)) "$(wc -c <"$SEEDS")" "size of $SEEDS"
for at in 0 8099; do
    seed=$(od -An -tx1 -v -j $((at * 32)) -N 32 "$SEEDS" | tr -d ' \n')
    key=$("$API_TOOL" - pubkey "$seed")
    assert_eq 00 "${key:0:2}" "bucket of the key of seed $at"
done

# --- 1. pages of 50, 600 feeds --------------------------------------------------
fed_init a b
RAISON_HEADS_PAGE=50 fed_start a --peer "$(fed_trust b)"
wait_for "a's log to say its page size" log_has a "heads pages of 50 (RAISON_HEADS_PAGE)"
"$HEADS_TOOL" "$(node_socket a)" publish-seeds "$SEEDS" "$T/a.ids" 300
"$HEADS_TOOL" "$(node_socket a)" publish-random 300 "$T/a.ids"
assert_eq 600 "$(st a entries)" "entries published at a"
RAISON_HEADS_PAGE=50 converge_from a b 600 "pages of 50, 600 feeds"
# agreeing nodes exchange digests, never entries again, and strike nobody
fed_idle_check 4 a b
fed_stop_all

# --- 2. the real page, 8,100 feeds in bucket 0 ---------------------------------------
if [[ ${RSN_HEADS_BIG:-1} == 0 ]]; then
    echo "test_fed_heads_paging: skipped the 8,100-feed bucket (RSN_HEADS_BIG=0)"
    echo "test_fed_heads_paging: ok"
    exit 0
fi
fed_init c d
fed_start c --peer "$(fed_trust d)"
start=$(ms)
"$HEADS_TOOL" "$(node_socket c)" publish-seeds "$SEEDS" "$T/c.ids"
"$HEADS_TOOL" "$(node_socket c)" publish-random 300 "$T/c.ids"
echo "test_fed_heads_paging: published 8,400 entries at c in $(($(ms) - start)) ms"
assert_eq 8400 "$(st c entries)" "entries published at c"
RSN_DEADLINE=90 converge_from c d 8400 "real pages, 8,100 feeds in bucket 0"
fed_stop_all
echo "test_fed_heads_paging: ok"
