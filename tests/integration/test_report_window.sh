#!/usr/bin/env bash
# test_report_window.sh — `raison report GROUP --days N --site S` through the
# real CLI on a real node: the window of the last N days beside the whole
# history, the posts by a site, the per-day series, and the groups listing's
# last-30-days figures, all read from the counters the node keeps
# (docs/api.md "The value report: windows and costs"). Everything is posted
# now, so a window of two days holds it all (even across midnight UTC).
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)

as alice id new >/dev/null 2>&1
as bob id new >/dev/null 2>&1
as alice profile --name Alice --site paris >/dev/null
as bob profile --name Bob --site lyon >/dev/null
G=$(as alice --json charter new --name ops --purpose "Keep things running" \
    --mission "triage=Answer every page" --mission "docs=Write it down" \
    --benefit "Fewer pages" --data-policy "Improving the runbooks" --readers "engineers" \
    --retention-days 0 | json 'j["group"]')
as bob join "$G" --yes >/dev/null
P1=$(as alice --json post "$G" --mission triage "disk full" | json 'j["id"]')
as bob reply "$P1" "on it" >/dev/null
as alice post "$G" --mission docs "runbook updated" >/dev/null

R=$(as bob --json report "$G" --days 2 --site paris)
assert_eq '[3,2,2,1,1,false]' \
    "$(json '[j["posts"], j["authors"], j["sites"], j["replies"], j["cross_site_replies"], j["being_updated"]]' <<<"$R")" \
    "report totals"
assert_eq '[3,2,2,1,1,2]' \
    "$(json '[j["window"][k] for k in ["posts","authors","sites","replies","cross_site_replies","site_posts"]]' <<<"$R")" \
    "the window of two days holds everything, two posts from paris"
assert_eq 2 "$(json 'j["site_posts"]' <<<"$R")" "posts from paris"
assert_eq 3 "$(json 'sum(d["posts"] for d in j["days"])' <<<"$R")" "the series adds up"
assert_eq '{"docs":[1,0,1],"triage":[2,1,1]}' \
    "$(json '{m["key"]: [m["window"]["posts"], m["window"]["cross_site_replies"], m["site_posts"]] for m in j["missions"]}' <<<"$R")" \
    "per mission in the window"

TEXT=$(as bob report "$G" --days 30 --site paris)
assert_contains "$TEXT" "last 30 days: 3 posts by 2 people from 2 sites, 1 reply (1 across sites), 2 from paris" \
    "the text report's window line"
assert_contains "$TEXT" "total: 3 posts by 2 authors from 2 sites, 1 cross-site reply" \
    "the text report's total line (one reply, in the singular)"
assert_contains "$TEXT" "  by paris: 1 post"$'\n' "a mission's one post from paris, in the singular"
must_fail "a window over ten years" as bob report "$G" --days 4000
