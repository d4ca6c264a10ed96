#!/usr/bin/env bash
# test_fed_fork.sh — fork evidence travels, and every node freezes the feed.
#
# A line a–b–c holds a group founded by alice. b is stopped, so a and c are
# cut off from each other, and author z signs two different entries of seq
# 1: post x published at a, post y at c (api_tool publish-seq1). Each side
# shows its own branch and knows of no fork. b comes back: it gets both
# branches, so it holds fork evidence, which reaches a and c, though neither
# ever received the other's branch as an entry it accepted. Every node then
# counts one fork, has z's feed frozen (its feed shows head 0 and no entry;
# the head call says frozen), shows neither x nor y in the group's timeline,
# refuses any further entry of z, and shows the same timeline and the same
# feed of z as the others.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

fed_init a b c
fed_start_line a b c

fed_author ALICE a alice Alice paris
fed_group G a alice forked "Catch two-faced authors" \
    "m=Say one thing everywhere" "Everyone sees the same" \
    "Kept as evidence"
PA=$(as_on a alice --json post "$G" --mission m "An honest post" | json 'j["id"]')
wait_converged 3 a b c
wait_post c "$G" "$PA"

# --- z forks while a and c cannot talk -------------------------------------------------
stop_node b
SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
Z=$("$API_TOOL" - pubkey "$SEED")
assert_hex64 "$Z" "z's key"
OUT=$("$API_TOOL" "$(node_socket a)" publish-seq1 "$SEED" "branch x" "$G" m) \
    || fail "publishing x at a: $OUT"
X=${OUT#id=}
X=${X%% *}
OUT=$("$API_TOOL" "$(node_socket c)" publish-seq1 "$SEED" "branch y" "$G" m) \
    || fail "publishing y at c: $OUT"
Y=${OUT#id=}
Y=${Y%% *}
assert_hex64 "$X" "id of x"
assert_hex64 "$Y" "id of y"
assert_ne "$X" "$Y" "x and y are two entries"
shows_post a "$G" "$X" || fail "a does not show x before the fork is known"
shows_post c "$G" "$Y" || fail "c does not show y before the fork is known"
for n in a c; do
    assert_eq 0 "$(st "$n" forks)" "forks at $n before b comes back"
    assert_eq "frozen=0" "$(head_of "$n" "$Z" | grep -o 'frozen=.')" "z's feed at $n before"
done

# --- b links them again: the evidence travels -------------------------------------------
fed_start_peered b a c
for n in a b c; do
    wait_for "node $n to count the fork" has_forks "$n" 1
    wait_for "node $n to hide x" eval "! shows_post $n $G $X"
    wait_for "node $n to hide y" eval "! shows_post $n $G $Y"
done
REF_TL=$(on a --json timeline "$G")
assert_eq "[\"$PA\"]" "$(json '[p["id"] for p in j]' <<<"$REF_TL")" "timeline at a after the fork"
REF_FEED=$(on a --json feed "$Z")
assert_eq '[0,true,[]]' "$(json '[j["head"], j["frozen"], j["entries"]]' <<<"$REF_FEED")" \
    "z's feed at a: frozen before the fork, nothing shown"
for n in a b c; do
    assert_eq "$REF_FEED" "$(on "$n" --json feed "$Z")" "z's feed at $n"
    # the head call gives the branch this node stored (kept as evidence)
    assert_match "$(head_of "$n" "$Z")" "^seq=[01] id=[0-9a-f]* frozen=1$" "z's head at $n"
    assert_eq "$REF_TL" "$(on "$n" --json timeline "$G")" "timeline at $n"
    assert_eq 1 "$(st "$n" forks)" "forks at $n"
    # a third branch, or anything after, is refused everywhere
    if OUT=$("$API_TOOL" "$(node_socket "$n")" publish-seq1 "$SEED" "branch $n" 2>"$T/seq1.err")
    then
        fail "node $n accepted another entry of z's frozen feed: $OUT"
    fi
    assert_match "$(cat "$T/seq1.err")" "fork|frozen" "why $n refuses z's next entry"
done
# the stores agree once every node holds both branches (as evidence)
C_A=$(st a entries)
wait_converged "$C_A" a b c
# agreeing nodes exchange digests, never entries again, and strike nobody
fed_idle_check 8 a b c
fed_stop_all
echo "test_fed_fork: ok"
