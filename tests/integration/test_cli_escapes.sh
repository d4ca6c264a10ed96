#!/usr/bin/env bash
# test_cli_escapes.sh — outside text cannot rewrite the reader's terminal.
#
# Issue 9: post text, names, sites and missions were printed raw by the CLI's
# human output, so an escape sequence in a post rewrote the reader's
# terminal. Eve's profile name and her post carry escape sequences (ESC, BEL,
# CR, the C1 CSI as UTF-8) beside UTF-8 text; `raison timeline`, `raison
# watch`, `raison feed` and `raison group` print no control byte (they show
# "\x1b" instead) and keep the UTF-8 text as it is; the JSON output keeps the
# text exact.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)
as alice id new >/dev/null 2>&1
as eve id new >/dev/null 2>&1
EVIL=$'\e]0;pwned\a\e[2J\e[31mred\r\xc2\x9b6n café ✓'
as alice profile --name Alice --site paris >/dev/null
as eve profile --name $'Eve\e[8m' --site $'lyon\e[1A' >/dev/null
G=$(as alice --json charter new --name $'ops\e[5m' --purpose $'Run\e[2J things' \
    --mission "triage=Sort the incoming issues" --benefit "Fewer pages" \
    --data-policy "Kept in the group" | json 'j["group"]')
as eve join "$G" --yes >/dev/null

# no_controls WHAT TEXT: TEXT holds no ESC, BEL, CR nor C1 control
no_controls() {
    if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]' <<<"$2"; then
        fail "$1 prints control characters: $(od -c <<<"$2" | head -5)"
    fi
}

as eve watch "$G" --count 1 >"$T/watch.out" 2>"$T/watch.err" &
WATCH=$!
RSN_OTHER_PIDS+=("$WATCH")
deadline=$((SECONDS + RSN_DEADLINE))
while [[ ! -s "$T/watch.out" ]]; do
    ((SECONDS < deadline)) || fail "watch received nothing within ${RSN_DEADLINE}s"
    as eve post "$G" --mission triage "$EVIL" >/dev/null
    for _ in $(seq 20); do
        [[ -s "$T/watch.out" ]] && break
        sleep 0.05
    done
done
wait_exit "$WATCH" "watch --count 1"
WATCHED=$(cat "$T/watch.out")
no_controls "watch" "$WATCHED"
assert_contains "$WATCHED" 'café ✓' "UTF-8 text in watch"
assert_contains "$WATCHED" '\x1b]0;pwned\x07\x1b[2J' "the escaped sequence in watch"

TIMELINE=$(as alice timeline "$G")
no_controls "timeline" "$TIMELINE"
assert_contains "$TIMELINE" 'café ✓' "UTF-8 text in the timeline"
assert_contains "$TIMELINE" '\x1b[31mred\x0d\u009b6n' "the escaped sequence in the timeline"
assert_contains "$TIMELINE" 'Eve\x1b[8m (lyon\x1b[1A)' "eve's name and site in the timeline"

EVE_KEY=$(as eve id show)
FEED=$(as alice feed "$EVE_KEY")
no_controls "feed" "$FEED"
assert_contains "$FEED" 'Eve\x1b[8m' "eve's profile in her feed"
GROUP=$(as alice group "$G")
no_controls "group" "$GROUP"
assert_contains "$GROUP" 'ops\x1b[5m' "the group's name"
no_controls "groups" "$(as alice groups)"

# JSON stays exact (escaped by the JSON encoder)
assert_eq "$EVIL" "$(as alice --json timeline "$G" | json 'j[0]["text"]')" "the post's text in JSON"
stop_node n1
echo "test_cli_escapes: ok"
