#!/usr/bin/env bash
# test_fed_retention.sh — time that cannot be faked, and retention by the
# promise made, on two federated nodes a – b.
#
# Claimed timestamps: in a group kept one day, alice posts "first"; carol
# sends, raw (api_tool post-at: a timestamp is the author's claim), a post
# dated ten years ahead; once b holds it, alice posts "last". At both nodes
# `raison timeline` puts "last" first and the future post second: the
# order is that of the earlier of the claimed and the received time.
#
# Retroactive erasure: in a group kept thirty days, alice posts "under
# thirty" (the CLI names charter v1) and carol a post stamped two days ago
# that names no version; alice amends the retention down to one day and
# posts "under one" (naming v2).
#
# Then both nodes restart with the test knob RAISON_RETENTION_NOW_OFFSET_DAYS=2
# (their retention clock two days ahead; the sweep runs at start): at both,
# every post of the one-day group is erased, the future-dated one too; in
# the amended group "under one" is erased while "under thirty" and carol's
# two-day-old post keep their bodies — they were written under thirty days.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

NODES=(a b)
DAY_MS=86400000

start_pair() {
    fed_start_peered a b
    fed_start_peered b a
    wait_connected a b
    wait_connected b a
}

# texts NODE GROUP: the texts of GROUP's timeline at NODE, newest first, with
# "(erased)" for a post whose body is gone.
texts() {
    on "$1" --json timeline "$2" --limit 1000 |
        json '[p["text"] if not p["erased"] else "(erased)" for p in j]'
}

# erased NODE GROUP ID: true or false.
erased() {
    on "$1" --json timeline "$2" --limit 1000 | json "[p['erased'] for p in j if p['id'] == '$3'][0]"
}

is_erased() { [[ $(erased "$@") == true ]]; }

# post_raw SEED GROUP TS TEXT: carol's post of TEXT stamped TS, sent raw to a.
post_raw() {
    local out id
    out=$("$API_TOOL" "$(node_socket a)" post-at "$1" "$2" chat "$3" "$4")
    id=$(sed -n 's/^id=\([0-9a-f]*\) code=0$/\1/p' <<<"$out")
    assert_hex64 "$id" "id of carol's post stamped $3 ($out)"
    echo "$id"
}

fed_init a b
start_pair
fed_author ALICE a alice Alice paris
CAROL_SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

# --- a post dated ten years ahead -----------------------------------------------------
DAYG=$(as_on a alice --json charter new --name daily --purpose "Talk of the day" \
    --mission "chat=Chat about the day" --benefit "Nothing lingers" \
    --data-policy "Bodies erased after a day" --retention-days 1 | json 'j["group"]')
assert_hex64 "$DAYG" "one-day group id"
FIRST=$(as_on a alice --json post "$DAYG" --mission chat "first" | json 'j["id"]')
FUTURE=$(post_raw "$CAROL_SEED" "$DAYG" $(($(date +%s%3N) + 3653 * DAY_MS)) "from the future")
wait_post b "$DAYG" "$FUTURE"
LAST=$(as_on a alice --json post "$DAYG" --mission chat "last" | json 'j["id"]')
assert_hex64 "$LAST" "id of the last post"
wait_post b "$DAYG" "$LAST"
for n in "${NODES[@]}"; do
    assert_eq '["last","from the future","first"]' "$(texts "$n" "$DAYG")" \
        "the one-day group's timeline at $n (the future post does not lead)"
    first_line=$(on "$n" timeline "$DAYG" | grep -m1 -E 'last|from the future|first')
    assert_contains "$first_line" "last" "the first post of \`raison timeline\` at $n"
done

# --- a retention amended from thirty days to one ----------------------------------------
MONTHG=$(as_on a alice --json charter new --name monthly --purpose "Talk of the month" \
    --mission "chat=Chat about the month" --benefit "Time to look back" \
    --data-policy "Bodies erased after thirty days" --retention-days 30 | json 'j["group"]')
assert_hex64 "$MONTHG" "thirty-day group id"
THIRTY=$(as_on a alice --json post "$MONTHG" --mission chat "under thirty" | json 'j["id"]')
assert_hex64 "$THIRTY" "id of the post under thirty days"
OLD=$(post_raw "$CAROL_SEED" "$MONTHG" $(($(date +%s%3N) - 2 * DAY_MS)) "two days old")
wait_post b "$MONTHG" "$THIRTY"
wait_post b "$MONTHG" "$OLD"
as_on a alice charter amend "$MONTHG" --retention-days 1 >/dev/null
ONE=$(as_on a alice --json post "$MONTHG" --mission chat "under one" | json 'j["id"]')
assert_hex64 "$ONE" "id of the post under one day"
N=10 # alice: profile, 2 charters, 4 posts, the amendment; carol: 2 posts
wait_converged "$N" a b
for n in "${NODES[@]}"; do
    assert_eq '["under one","under thirty","two days old"]' "$(texts "$n" "$MONTHG")" \
        "the amended group's timeline at $n before the sweep"
done

# --- two days later, as the retention clock sees it --------------------------------------
fed_stop_all
export RAISON_RETENTION_NOW_OFFSET_DAYS=2
start_pair
for n in "${NODES[@]}"; do
    wait_for "the future post's body erased at $n" is_erased "$n" "$DAYG" "$FUTURE"
    assert_eq '["(erased)","(erased)","(erased)"]' "$(texts "$n" "$DAYG")" \
        "the one-day group at $n: every body past a day, the future-dated one too"
    wait_for "the post under one day erased at $n" is_erased "$n" "$MONTHG" "$ONE"
    assert_eq '["(erased)","under thirty","two days old"]' "$(texts "$n" "$MONTHG")" \
        "the amended group at $n: only the post written under one day is erased"
done
# the sweep runs again every minute: nothing else goes meanwhile
for n in "${NODES[@]}"; do
    assert_eq false "$(erased "$n" "$MONTHG" "$THIRTY")" "the post under thirty days at $n"
done
fed_stop_all
unset RAISON_RETENTION_NOW_OFFSET_DAYS
echo "test_fed_retention: ok"
