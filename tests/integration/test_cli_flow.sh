#!/usr/bin/env bash
# test_cli_flow.sh — the "Done when" story, through the real CLI on a real node.
#
# Two people on one node: alice (site paris) and bob (site lyon). Alice founds
# a group with a charter of two missions; bob reads it, joins it (the join is
# refused without --yes and without a terminal), both post, bob replies to
# alice across sites; the timeline, the value report, group references by
# name and by prefix, charter amendments (by the owner: version 2; by bob:
# refused), a members-only group, retraction and `watch` are checked with
# exact values. The node is then restarted and everything must still be
# there. Last: an identity readable by others is refused by every command,
# and a second raisond on the same data folder fails at once while the first
# keeps serving.
#
# Every command that publishes adds one entry; EXPECTED_ENTRIES counts them
# so that `status` can be checked exactly.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

EXPECTED_ENTRIES=0
published() { EXPECTED_ENTRIES=$((EXPECTED_ENTRIES + 1)); }

status_field() { rsn --json status | json "j[\"$1\"]"; }

start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)

assert_eq 0 "$(status_field entries)" "entries of a new node"

# --- identities and profiles ------------------------------------------------
ALICE=$(as alice id new 2>/dev/null)
BOB=$(as bob id new 2>/dev/null)
assert_hex64 "$ALICE" "alice's key from id new"
assert_hex64 "$BOB" "bob's key from id new"
assert_ne "$ALICE" "$BOB" "two identities"
assert_eq "$ALICE" "$(as alice id show)" "id show prints the key id new printed"
assert_eq "$BOB" "$(as bob --json id show | json 'j["key"]')" "id show --json key"
assert_eq 600 "$(stat -c %a "$T/alice.key")" "mode of a new identity file"

as alice profile --name Alice --site paris --role engineer >/dev/null
published
as bob profile --name Bob --site lyon --role designer >/dev/null
published

# --- alice founds a group ----------------------------------------------------
CHARTER=$(as alice --json charter new --name platform \
    --purpose "Keep the build fast for every site" \
    --mission "onboarding=Get newcomers productive in a week" \
    --mission "tooling=Share build tools between sites" \
    --benefit "Answers within a day" --benefit "Fewer broken builds" \
    --data-policy "Used to improve our tools, never to rate people" \
    --readers "all engineers" --retention-days 0)
published
G=$(json 'j["group"]' <<<"$CHARTER")
assert_hex64 "$G" "group id from charter new --json"
assert_eq "$G" "$(json 'j["id"]' <<<"$CHARTER")" "a group's id is its charter v1 id"

# --- bob reads the list of groups ------------------------------------------
GROUPS_TEXT=$(as bob groups)
assert_contains "$GROUPS_TEXT" "platform" "groups shows the name"
assert_contains "$GROUPS_TEXT" "Keep the build fast for every site" "groups shows the purpose"
assert_contains "$GROUPS_TEXT" "Answers within a day" "groups shows the benefits"
assert_contains "$GROUPS_TEXT" "Fewer broken builds" "groups shows every benefit"

# --- joining -----------------------------------------------------------------
must_fail "join without --yes and without a terminal" as bob join "$G"
assert_match "$RSN_ERR" "--yes|confirm" "the refused join says how to confirm"
assert_eq "$EXPECTED_ENTRIES" "$(status_field entries)" "entries after a refused join"
as bob join "$G" --yes >/dev/null
published
MEMBERS=$(as bob --json group "$G" | json '[m["key"] for m in j["members"]]')
assert_contains "$MEMBERS" "$BOB" "bob is a member after join --yes"

# --- posts and a cross-site reply -------------------------------------------
P1=$(as alice --json post "$G" --mission onboarding "The welcome guide is in the wiki" \
    | json 'j["id"]')
published
P2=$(as bob --json post "$G" --mission tooling "The build cache is up in lyon" | json 'j["id"]')
published
R1=$(as bob --json reply "$P1" "Thanks, the guide got me going in lyon" | json 'j["id"]')
published
P3=$(as alice --json post "$G" --mission tooling "Paris will mirror the cache" | json 'j["id"]')
published
for id in "$P1" "$P2" "$R1" "$P3"; do
    assert_hex64 "$id" "post id"
done

# --- timeline ------------------------------------------------------------------
TL=$(as bob --json timeline "$G")
assert_eq "[\"$P3\",\"$R1\",\"$P2\",\"$P1\"]" "$(json '[p["id"] for p in j]' <<<"$TL")" \
    "timeline ids, newest first"
TEXTS='["Paris will mirror the cache","Thanks, the guide got me going in lyon",'
TEXTS+='"The build cache is up in lyon","The welcome guide is in the wiki"]'
assert_eq "$TEXTS" "$(json '[p["text"] for p in j]' <<<"$TL")" "timeline texts"
assert_eq "[null,\"$P1\",null,null]" "$(json '[p["reply_to"] for p in j]' <<<"$TL")" \
    "timeline reply_to"
assert_eq '["tooling","onboarding","tooling","onboarding"]' \
    "$(json '[p["mission"] for p in j]' <<<"$TL")" "timeline missions"
assert_eq "[\"$ALICE\",\"$BOB\",\"$BOB\",\"$ALICE\"]" \
    "$(json '[p["author"] for p in j]' <<<"$TL")" "timeline authors"
assert_eq '["Alice","Bob","Bob","Alice"]' "$(json '[p["author_name"] for p in j]' <<<"$TL")" \
    "timeline author names"
assert_eq '["paris","lyon","lyon","paris"]' "$(json '[p["author_site"] for p in j]' <<<"$TL")" \
    "timeline author sites"
assert_eq '[0,0,0,1]' "$(json '[p["replies"] for p in j]' <<<"$TL")" "timeline reply counts"
assert_eq true "$(json 'all(j[i]["timestamp"] >= j[i+1]["timestamp"] for i in range(len(j)-1))' \
    <<<"$TL")" "timeline timestamps decrease"

assert_eq "[\"$P3\",\"$P2\"]" \
    "$(as bob --json timeline "$G" --mission tooling | json '[p["id"] for p in j]')" \
    "timeline --mission tooling"
assert_eq "[\"$R1\",\"$P1\"]" \
    "$(as bob --json timeline "$G" --mission onboarding | json '[p["id"] for p in j]')" \
    "timeline --mission onboarding"
assert_eq "[\"$P3\",\"$R1\"]" \
    "$(as bob --json timeline "$G" --limit 2 | json '[p["id"] for p in j]')" \
    "timeline --limit 2"
TL_TEXT=$(as bob timeline "$G")
assert_contains "$TL_TEXT" "Paris will mirror the cache" "timeline text output"
assert_contains "$TL_TEXT" "Thanks, the guide got me going in lyon" "timeline text output"

# --- group by name and by prefix ----------------------------------------------
assert_eq "$TL" "$(as bob --json timeline platform)" "timeline by exact name"
assert_eq "$TL" "$(as bob --json timeline "${G:0:12}")" "timeline by id prefix"
assert_eq "$G" "$(as bob --json group platform | json 'j["group"]')" "group by name"
assert_eq "$G" "$(as bob --json group "${G:0:12}" | json 'j["group"]')" "group by prefix"
must_fail "a group that does not exist" as bob timeline no-such-group

# --- value report -----------------------------------------------------------------
REPORT=$(as bob --json report "$G")
M='{m["key"]: [m["posts"], m["authors"], m["sites"], m["replies"], m["cross_site_replies"]]
    for m in j["missions"]}'
# per mission: posts (a reply is a post), authors, sites, replies, cross-site replies
assert_eq '{"onboarding":[2,2,2,1,1],"tooling":[2,2,2,0,0]}' "$(json "$M" <<<"$REPORT")" \
    "report per mission"
assert_eq '[4,2,2,1]' \
    "$(json '[j["posts"], j["authors"], j["sites"], j["cross_site_replies"]]' <<<"$REPORT")" \
    "report totals (posts, authors, sites, cross-site replies)"
assert_eq '[false,false]' "$(json '[m["retired"] for m in j["missions"]]' <<<"$REPORT")" \
    "no mission retired"
assert_eq true "$(json 'all(m["last_activity"] > 0 for m in j["missions"])' <<<"$REPORT")" \
    "every mission has a last activity"

# --- charter amendments --------------------------------------------------------
as alice charter amend "$G" --purpose "Keep the build fast and green for every site" \
    >/dev/null
published
GROUP=$(as bob --json group "$G")
assert_eq 2 "$(json 'j["charter"]["version"]' <<<"$GROUP")" "charter version after amend"
assert_eq "Keep the build fast and green for every site" \
    "$(json 'j["charter"]["purpose"]' <<<"$GROUP")" "purpose after amend"
assert_eq '["onboarding","tooling"]' "$(json '[m["key"] for m in j["charter"]["missions"]]' \
    <<<"$GROUP")" "missions kept by the amendment"

must_fail "an amendment by bob, who is not an owner" \
    as bob charter amend "$G" --purpose "Bob rewrites the purpose"
assert_match "$RSN_ERR" "owner" "the refusal says bob is not an owner"
GROUP=$(as alice --json group "$G")
assert_eq 2 "$(json 'j["charter"]["version"]' <<<"$GROUP")" "version after bob's amendment"
assert_eq "Keep the build fast and green for every site" \
    "$(json 'j["charter"]["purpose"]' <<<"$GROUP")" "purpose after bob's amendment"
assert_eq "$EXPECTED_ENTRIES" "$(status_field entries)" "entries after a refused amendment"

# --- a members-only group -----------------------------------------------------------
S=$(as alice --json charter new --name security --purpose "Review access to production" \
    --mission "audits=Review every production access each month" \
    --benefit "Nobody keeps access they no longer need" \
    --data-policy "Used for the audits only" --members-only | json 'j["group"]')
published
must_fail "a post by bob, not a member of a members-only group" \
    as bob post "$S" --mission audits "Can I see the audit?"
assert_match "$RSN_ERR" "member" "the refusal says bob is not a member"
assert_eq "$EXPECTED_ENTRIES" "$(status_field entries)" "entries after a refused post"
as alice add "$S" "$BOB" >/dev/null
published
# issue 9: the add lets bob in once his join answers it
as bob join "$S" --yes >/dev/null
published
SP=$(as bob --json post "$S" --mission audits "Lyon's accesses are reviewed" | json 'j["id"]')
published
assert_eq "[\"$SP\"]" "$(as alice --json timeline "$S" | json '[p["id"] for p in j]')" \
    "timeline of the members-only group"

# --- retraction ------------------------------------------------------------------
as alice retract "$P3" >/dev/null
published
assert_eq "[\"$R1\",\"$P2\",\"$P1\"]" \
    "$(as bob --json timeline "$G" | json '[p["id"] for p in j]')" \
    "timeline after alice retracts her post"
must_fail "retracting someone else's post" as alice retract "$P2"

# --- watch: a post made after it started reaches it --------------------------------
L=$(as alice --json charter new --name lobby --purpose "Say hello" \
    --mission "hello=Meet people of other sites" --benefit "Know who is who" \
    --data-policy "Nothing is kept beyond the group" | json 'j["group"]')
published
as bob --json watch "$L" --count 1 >"$T/watch.out" 2>"$T/watch.err" &
WATCH=$!
RSN_OTHER_PIDS+=("$WATCH")
# The subscription is live at some point after the start: post until it
# reports one (each try is a distinct post, counted), then check it is one.
PINGS=()
deadline=$((SECONDS + RSN_DEADLINE))
while [[ ! -s "$T/watch.out" ]]; do
    ((SECONDS < deadline)) || fail "watch received nothing within ${RSN_DEADLINE}s"
    PINGS+=("$(as alice --json post "$L" --mission hello "ping ${#PINGS[@]}" | json 'j["id"]')")
    published
    for _ in $(seq 20); do
        [[ -s "$T/watch.out" ]] && break
        sleep 0.05
    done
done
wait_exit "$WATCH" "watch --count 1"
assert_eq 0 "$RSN_RC" "exit status of watch --count 1"
assert_eq 1 "$(wc -l <"$T/watch.out")" "lines printed by watch --count 1"
EVENT=$(cat "$T/watch.out")
# one object per line: {"entry": {...}, "post": {...}}
assert_contains " ${PINGS[*]} " " $(json 'j["post"]["id"]' <<<"$EVENT") " \
    "watch reports a posted id"
assert_eq "$(json 'j["post"]["id"]' <<<"$EVENT")" "$(json 'j["entry"]["id"]' <<<"$EVENT")" \
    "watch's entry and post are the same"
assert_match "$(json 'j["post"]["text"]' <<<"$EVENT")" "^ping [0-9]+$" \
    "watch reports the post's text"
assert_eq "$L" "$(json 'j["post"]["group"]' <<<"$EVENT")" "watch reports the post's group"

# --- watch of a group: a retraction (its body erased too) of one of its posts reaches it
TARGETS=()
for i in 1 2 3 4 5 6 7 8; do
    TARGETS+=("$(as alice --json post "$L" --mission hello "to retract $i" | json 'j["id"]')")
    published
done
as bob --json watch "$L" --count 1 >"$T/watch2.out" 2>"$T/watch2.err" &
WATCH=$!
RSN_OTHER_PIDS+=("$WATCH")
# retract them one by one until the live subscription reports one
RETRACTED=()
for target in "${TARGETS[@]}"; do
    RETRACTED+=("$(as alice --json retract "$target" --erase | json 'j["id"]')")
    published
    for _ in $(seq 20); do
        [[ -s "$T/watch2.out" ]] && break
        sleep 0.05
    done
    [[ -s "$T/watch2.out" ]] && break
done
[[ -s "$T/watch2.out" ]] || fail "watch of $L reported none of ${#RETRACTED[@]} retractions"
wait_exit "$WATCH" "watch --count 1 (a retraction)"
assert_eq 0 "$RSN_RC" "exit status of watch --count 1 (a retraction)"
EVENT=$(cat "$T/watch2.out")
assert_eq retraction "$(json 'j["entry"]["kind"]' <<<"$EVENT")" \
    "a group's watch reports the retraction of its post"
assert_contains " ${RETRACTED[*]} " " $(json 'j["entry"]["id"]' <<<"$EVENT") " \
    "the retraction reported is one alice made"

# --- status, before and after a restart ------------------------------------------------
STATUS=$(rsn --json status)
assert_eq "$EXPECTED_ENTRIES" "$(json 'j["entries"]' <<<"$STATUS")" "status entries"
assert_eq 2 "$(json 'j["authors"]' <<<"$STATUS")" "status authors"
assert_eq 3 "$(json 'j["groups"]' <<<"$STATUS")" "status groups"
assert_eq 0 "$(json 'j["forks"]' <<<"$STATUS")" "status forks"
assert_eq paris "$(json 'j["site"]' <<<"$STATUS")" "status site"
NODE_KEY=$(json 'j["node_key"]' <<<"$STATUS")
assert_hex64 "$NODE_KEY" "status node_key"

TL_BEFORE=$(as bob --json timeline "$G")
REPORT_BEFORE=$(as bob --json report "$G")
GROUP_BEFORE=$(as bob --json group "$G")
S_BEFORE=$(as bob --json timeline "$S")

stop_node n1
must_fail "status while the node is stopped" rsn status
start_node n1 --site paris

STATUS=$(rsn --json status)
assert_eq "$EXPECTED_ENTRIES" "$(json 'j["entries"]' <<<"$STATUS")" "entries after restart"
assert_eq 2 "$(json 'j["authors"]' <<<"$STATUS")" "authors after restart"
assert_eq 3 "$(json 'j["groups"]' <<<"$STATUS")" "groups after restart"
assert_eq "$NODE_KEY" "$(json 'j["node_key"]' <<<"$STATUS")" "node key after restart"
assert_eq "$TL_BEFORE" "$(as bob --json timeline "$G")" "timeline after restart"
assert_eq "$REPORT_BEFORE" "$(as bob --json report "$G")" "report after restart"
assert_eq "$GROUP_BEFORE" "$(as bob --json group "$G")" "group after restart"
assert_eq "$S_BEFORE" "$(as bob --json timeline "$S")" "members-only timeline after restart"
# and it still takes new posts, chained after what it held
P4=$(as bob --json post "$G" --mission onboarding "Back after the restart" | json 'j["id"]')
published
assert_eq "$P4" "$(as alice --json timeline "$G" --limit 1 | json 'j[0]["id"]')" \
    "a post after restart heads the timeline"

# --- an identity readable by others is refused by every command ---------------
chmod 644 "$T/alice.key"
for cmd in "id show" "profile --name Alice --site paris" \
    "post $G --mission onboarding refused" "reply $P1 refused" "join $S --yes" \
    "charter amend $G --purpose refused" "retract $P1"; do
    # shellcheck disable=SC2086
    must_fail "alice's $cmd with a key file of mode 644" as alice $cmd
    assert_match "$RSN_ERR" "permission|readable|0600|mode|others" \
        "the refusal of '$cmd' says why"
done
assert_eq "$EXPECTED_ENTRIES" "$(status_field entries)" "entries after refused commands"
chmod 600 "$T/alice.key"
assert_eq "$ALICE" "$(as alice id show)" "the identity works again at mode 600"

# --- a second raisond on the same data folder ------------------------------------
T0=$(date +%s%N)
"$RAISOND" --data "$T/n1" --site paris >"$T/second.out" 2>"$T/second.err" &
SECOND=$!
RSN_OTHER_PIDS+=("$SECOND")
wait_exit "$SECOND" "the second raisond"
ELAPSED_MS=$((($(date +%s%N) - T0) / 1000000))
assert_ne 0 "$RSN_RC" "exit status of a second raisond on the same folder"
((ELAPSED_MS < 5000)) || fail "the second raisond took ${ELAPSED_MS} ms to give up"
SECOND_ERR=$(cat "$T/second.err")
echo "the second raisond said: $SECOND_ERR" >&2
assert_match "$SECOND_ERR" "in use|lock|already" "the second raisond says the folder is in use"
assert_eq "$EXPECTED_ENTRIES" "$(status_field entries)" "the first node still serves"
assert_eq "$P4" "$(as alice --json timeline "$G" --limit 1 | json 'j[0]["id"]')" \
    "the first node still serves timelines"

stop_node n1
echo "PASS test_cli_flow ($EXPECTED_ENTRIES entries)"
