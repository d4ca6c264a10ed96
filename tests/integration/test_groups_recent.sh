#!/usr/bin/env bash
# test_groups_recent.sh — `raison groups` prints each group's last 30 days
# (GroupSummary 14..20: posts, distinct people and sites, replies and
# cross-site replies, whether the counters are being updated) in its text
# and in --json, through the real CLI on a real node; a retraction takes its
# post out of the figures, and the author whose only post it was out of the
# people and the sites (the 'w'/'x' counts, docs/store.md). Everything is
# posted now, so the 30 days hold it all.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)

for who in alice bob carol; do
    as "$who" id new >/dev/null 2>&1
done
as alice profile --name Alice --site paris >/dev/null
as bob profile --name Bob --site lyon >/dev/null
as carol profile --name Carol --site oslo >/dev/null
G=$(as alice --json charter new --name ops --purpose "Keep things running" \
    --mission "triage=Answer every page" --benefit "Fewer pages" \
    --data-policy "Improving the runbooks" --readers "engineers" \
    --retention-days 0 | json 'j["group"]')
as bob join "$G" --yes >/dev/null
as carol join "$G" --yes >/dev/null
P1=$(as alice --json post "$G" --mission triage "disk full" | json 'j["id"]')
R1=$(as bob --json reply "$P1" "on it" | json 'j["id"]')
as alice reply "$P1" "thanks" >/dev/null
C1=$(as carol --json post "$G" --mission triage "seen from oslo" | json 'j["id"]')

recent() {
    as alice --json groups | json '[[g["recent"][k] for k in ["days","posts","people","sites","replies","cross_site_replies"]] + [g["counters_updating"], g["being_updated"]] for g in j]'
}
assert_eq '[[30,4,3,3,2,1,false,false]]' "$(recent)" \
    "--json: four posts by three people of three sites, two replies, one across sites"
TEXT=$(as alice groups)
assert_contains "$TEXT" \
    "  4 posts by 3 people from 3 sites in the last 30 days, 1 reply across sites (of 2 replies)" \
    "the text's 30-day line"
assert_contains "$TEXT" "charter version 1, open, 3 members, 4 posts" "the text's totals line"

# carol's only post goes: one person and one site fewer
as carol retract "$C1" >/dev/null
assert_eq '[[30,3,2,2,2,1,false,false]]' "$(recent)" "after carol's retraction"
TEXT=$(as alice groups)
assert_contains "$TEXT" "  3 posts by 2 people from 2 sites in the last 30 days" \
    "the text after the retraction"
# bob's reply goes: no reply across sites is left
as bob retract "$R1" >/dev/null
assert_eq '[[30,2,1,1,1,0,false,false]]' "$(recent)" "after bob's retraction"
assert_contains "$(as alice groups)" \
    "  2 posts by 1 person from 1 site in the last 30 days, 0 replies across sites (of 1 reply)" \
    "singulars"
echo "test_groups_recent: ok"
