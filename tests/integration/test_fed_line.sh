#!/usr/bin/env bash
# test_fed_line.sh — three sites in a line a–b–c converge through the middle.
#
# a and c have no link to each other: everything between them is relayed by
# b. alice (site paris) works at a, bob (site nantes) at c. alice founds a
# group at a; it reaches c; bob joins and posts at c, which reaches a;
# alice posts at a, which reaches c with the same id and text; bob replies at
# c to alice's post, and the value report at b counts one cross-site reply.
# Every node ends with the same entries and no fork, and each stops cleanly.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

fed_init a b c
fed_start_line a b c
wait_connected a b
wait_connected c b
# the line has no shortcut: a and c know nothing of each other
assert_eq '[]' "$(peers_json a | json "[p for p in j['peers'] if p['key'] == '${FED_KEY[c]}']")" \
    "a has no link to c"

ALICE=$(as_on a alice id new 2>/dev/null)
BOB=$(as_on c bob id new 2>/dev/null)
assert_hex64 "$ALICE" "alice's key"
assert_hex64 "$BOB" "bob's key"
N=0
as_on a alice profile --name Alice --site paris >/dev/null
N=$((N + 1))
as_on c bob profile --name Bob --site nantes >/dev/null
N=$((N + 1))

G=$(as_on a alice --json charter new --name relay --purpose "Work across the line" \
    --mission "ship=Ship the release together" --benefit "One plan for every site" \
    --data-policy "Kept for the release only" | json 'j["group"]')
N=$((N + 1))
assert_hex64 "$G" "group id"
wait_group c "$G"

# --- a post at c arrives at a -----------------------------------------------------
as_on c bob join "$G" --yes >/dev/null
N=$((N + 1))
PC=$(as_on c bob --json post "$G" --mission ship "Nantes has the build ready" | json 'j["id"]')
N=$((N + 1))
assert_hex64 "$PC" "bob's post id"
wait_post a "$G" "$PC"
TL=$(on a --json timeline "$G")
assert_eq '["Nantes has the build ready"]' "$(json "[p['text'] for p in j if p['id'] == '$PC']" \
    <<<"$TL")" "text of bob's post at a"
assert_eq "$BOB" "$(json "[p['author'] for p in j if p['id'] == '$PC'][0]" <<<"$TL")" \
    "author of bob's post at a"
assert_eq nantes "$(json "[p['author_site'] for p in j if p['id'] == '$PC'][0]" <<<"$TL")" \
    "bob's site at a (his profile travelled too)"

# --- a post at a arrives at c -------------------------------------------------------
PA=$(as_on a alice --json post "$G" --mission ship "Paris signs off the release" | json 'j["id"]')
N=$((N + 1))
assert_hex64 "$PA" "alice's post id"
wait_post c "$G" "$PA"
TL=$(on c --json timeline "$G")
assert_eq "[\"$PA\",\"$PC\"]" "$(json '[p["id"] for p in j]' <<<"$TL")" \
    "timeline ids at c, newest first"
assert_eq '["Paris signs off the release","Nantes has the build ready"]' \
    "$(json '[p["text"] for p in j]' <<<"$TL")" "timeline texts at c"
assert_eq '["paris","nantes"]' "$(json '[p["author_site"] for p in j]' <<<"$TL")" \
    "author sites at c"

# --- a reply across sites, counted at the site in the middle ---------------------
R=$(as_on c bob --json reply "$PA" "Nantes agrees, shipping" | json 'j["id"]')
N=$((N + 1))
assert_hex64 "$R" "bob's reply id"
wait_post b "$G" "$R"
wait_post a "$G" "$R"
REPORT=$(on b --json report "$G")
assert_eq '[3,2,2,1]' \
    "$(json '[j["posts"], j["authors"], j["sites"], j["cross_site_replies"]]' <<<"$REPORT")" \
    "report at b (posts, authors, sites, cross-site replies)"
assert_eq '{"ship":[3,1,1]}' \
    "$(json '{m["key"]: [m["posts"], m["replies"], m["cross_site_replies"]]
             for m in j["missions"]}' <<<"$REPORT")" "report per mission at b"
assert_eq "[\"$PA\"]" "$(on a --json timeline "$G" \
    | json "[p['reply_to'] for p in j if p['id'] == '$R']")" \
    "the reply at a points to alice's post"

# --- every node holds the same -----------------------------------------------------
wait_converged "$N" a b c
for n in a b c; do
    assert_eq 0 "$(st "$n" forks)" "forks at $n"
    assert_eq 1 "$(st "$n" groups)" "groups at $n"
    assert_eq 2 "$(st "$n" authors)" "authors at $n"
done
assert_eq "$(on a --json timeline "$G")" "$(on c --json timeline "$G")" "timelines of a and c"
assert_eq "$(on a --json report "$G")" "$(on c --json report "$G")" "reports of a and c"
fed_stop_all
echo "test_fed_line: ok"
