#!/usr/bin/env bash
# test_group_scale.sh — a group of 5,000 joins reads in a page (issue 10).
#
# One node; alice founds an open group "big" and a group "small"; 5,000
# fresh authors join "big" (api_tool join-many, pipelined) and 10 join
# "small". `raison group` and `raison groups` answer from the derived group
# state: the times of both groups are printed side by side (measured in this
# run; not asserted). Asserted: the member counts, the default page of 100
# with its cursor, and that all the pages of "big" together are every member
# once (no duplicate, none missing); `--all` gives the same; names resolve
# through the name index, an ambiguous name is still refused; the groups
# listing filters by name prefix and by text. Then a restart and a reindex
# of the stopped node: the same answers.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

JOINS=${RSN_SCALE_JOINS:-5000}

start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)
as alice id new >/dev/null 2>&1
new_group() {
    as alice --json charter new --name "$1" --purpose "$2" --mission "m=the goal" \
        --benefit "a benefit" --data-policy "used for tests" | json 'j["group"]'
}
BIG=$(new_group big "Where everyone meets")
SMALL=$(new_group small "A quiet corner")
assert_hex64 "$BIG" "big's id"
"$API_TOOL" "$RSN_SOCKET" join-many "$BIG" "$JOINS" >/dev/null
"$API_TOOL" "$RSN_SOCKET" join-many "$SMALL" 10 >/dev/null

ms() { date +%s%3N; }
timed() { local t0 t1; t0=$(ms); "$@" >/dev/null; t1=$(ms); echo $((t1 - t0)); }
echo "timing: group big ($JOINS joins) $(timed rsn --json group "$BIG") ms," \
    "group small (10) $(timed rsn --json group "$SMALL") ms, groups $(timed rsn groups) ms"

BIG_JSON=$(rsn --json group big)
assert_eq $((JOINS + 1)) "$(json 'j["members_total"]' <<<"$BIG_JSON")" "big's members"
assert_eq 100 "$(json 'len(j["members"])' <<<"$BIG_JSON")" "the default page of members"
assert_eq true "$(json 'j["members"][0]["owner"]' <<<"$BIG_JSON")" "the owner comes first"
assert_eq false "$(json 'j["being_updated"]' <<<"$BIG_JSON")" "big is not being updated"
assert_eq 11 "$(rsn --json group small | json 'j["members_total"]')" "small's members"
assert_eq 11 "$(rsn --json group small | json 'len(j["members"])')" "small in one page"
assert_eq null "$(rsn --json group small | json 'j["members_next_cursor"]')" "small's last page"
GROUPS_JSON=$(rsn --json groups)
assert_eq "$((JOINS + 1))" "$(json '[g["members"] for g in j if g["name"] == "big"][0]' \
    <<<"$GROUPS_JSON")" "groups counts big's members"

# every page of 500, concatenated: every member once
CURSOR=""
: >"$T/keys"
for _ in $(seq 1 100); do
    PAGE=$(rsn --json group "$BIG" --limit 500 ${CURSOR:+--cursor "$CURSOR"})
    json '"\n".join(m["key"] for m in j["members"])' <<<"$PAGE" >>"$T/keys"
    CURSOR=$(json 'j["members_next_cursor"] or ""' <<<"$PAGE")
    [ -n "$CURSOR" ] || break
done
assert_eq "" "$CURSOR" "the pages end"
assert_eq $((JOINS + 1)) "$(sort "$T/keys" | wc -l)" "members over all pages"
assert_eq $((JOINS + 1)) "$(sort -u "$T/keys" | wc -l)" "no member twice"
ALL=$(rsn --json group "$BIG" --all | json '"\n".join(sorted(m["key"] for m in j["members"]))')
assert_eq "$(sort "$T/keys")" "$ALL" "--all gives the same members"
TEXT=$(rsn group "$BIG")
assert_contains "$TEXT" "members ($((JOINS + 1))):" "the text says how many members"
assert_contains "$TEXT" "--cursor" "the text says how to see more"

# names: exact through the index; two groups named alike are ambiguous
assert_eq "$SMALL" "$(rsn --json group small | json 'j["group"]')" "small by name"
new_group small "Another corner" >/dev/null
must_fail "an ambiguous name" rsn group small
assert_match "$RSN_ERR" "matches 2 groups" "the ambiguity is said"

# the listing's filters: a name prefix (name order), a text in the purpose
assert_eq '["small","small"]' "$(rsn --json groups --prefix sma | json '[g["name"] for g in j]')" \
    "groups by name prefix"
assert_eq '["big"]' "$(rsn --json groups --text EVERYONE | json '[g["name"] for g in j]')" \
    "groups by a text of the purpose"
assert_eq '["big","small","small"]' "$(rsn --json groups --by-name | json '[g["name"] for g in j]')" \
    "groups in name order"

stop_node n1
"$RAISOND" reindex --data "$(node_dir n1)" >/dev/null 2>&1
start_node n1 --site paris
AFTER=$(rsn --json group "$BIG" --all | json '"\n".join(sorted(m["key"] for m in j["members"]))')
assert_eq "$ALL" "$AFTER" "the same members after a reindex"
echo "ok"
