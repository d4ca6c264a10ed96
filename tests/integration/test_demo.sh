#!/usr/bin/env bash
# test_demo.sh — the README's run command, scripts/demo.sh, for real.
#
# Runs the demo on this build (RAISON_BUILD: no deps, no build) in a fresh
# folder with free loopback ports: it must exit 0 having shown alice's post
# arrive at lyon and nantes and bob's reply at paris. The three nodes must
# then run, linked in a line (checked with `raison peers --json` and
# `status --json`), with the post in nantes' timeline. Starting again must
# say the demo runs and change nothing. Then the "add a fourth site"
# commands the demo printed are run as printed: rennes must catch up with
# everything through nantes, and `demo.sh status` must list it. Last,
# `demo.sh stop` must leave no raisond of the demo running.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

DEMO_SH="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/demo.sh"
export RAISON_BUILD="$RSN_BUILD" RAISON_DEMO_DIR="$T/demo" RAISON_DEMO_WAIT=$((RSN_DEADLINE * 2))

# six consecutive free ports (the three sites, the fourth one, the two web apps)
RAISON_DEMO_PORT=$("$PY" - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 60000)
    socks = []
    try:
        for p in range(base, base + 6):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    break
PY
)
export RAISON_DEMO_PORT RAISON_DEMO_WEB_PORT=$((RAISON_DEMO_PORT + 4))
[[ -n "$RAISON_DEMO_PORT" ]] || fail "no four free consecutive ports found"

# demo_pids: the pids in the demo's pid files
demo_pids() {
    local f
    for f in "$RAISON_DEMO_DIR"/*.pid; do
        [[ -f "$f" ]] && cat "$f"
    done
    return 0
}

# on any exit: stop the demo's nodes (they are not this script's children),
# show their logs when the test failed, then lib.sh's own cleanup
demo_cleanup() {
    local status=$?
    local pid
    PIDS_AT_EXIT=$(demo_pids)
    bash "$DEMO_SH" stop >/dev/null 2>&1 || true
    for pid in $PIDS_AT_EXIT; do
        if running "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == raisond ]]; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    if [[ $status -ne 0 ]]; then
        local log
        for log in "$RAISON_DEMO_DIR"/*.log; do
            [[ -f $log ]] || continue
            echo "---- last lines of $log ----" >&2
            tail -n 30 "$log" >&2
        done
    fi
    (exit "$status")
    rsn_cleanup
}
trap demo_cleanup EXIT

sock() { echo "$RAISON_DEMO_DIR/$1/raison.sock"; }

# --- the run command ----------------------------------------------------------
rc=0
bash "$DEMO_SH" >"$T/demo.out" 2>"$T/demo.err" || rc=$?
if [[ $rc -ne 0 ]]; then
    cat "$T/demo.out" "$T/demo.err" >&2
    fail "scripts/demo.sh exited $rc"
fi
OUT=$(cat "$T/demo.out")
assert_match "$OUT" "arrived at lyon +after [0-9]+ ms" "the demo shows the post at lyon"
assert_match "$OUT" "arrived at nantes +after [0-9]+ ms" "the demo shows the post at nantes"
assert_match "$OUT" "reply arrived at paris +after [0-9]+ ms" "the demo shows the reply at paris"
assert_contains "$OUT" "value report of platform" "the demo prints nantes' value report"
assert_match "$OUT" "1 cross-site repl" "the report counts bob's reply across sites"
assert_contains "$OUT" "--socket $(sock paris) --identity $RAISON_DEMO_DIR/alice.key" \
    "the demo prints CLI commands for paris"
assert_contains "$OUT" "kill -HUP" "the demo tells how a node trusts a new one"
assert_contains "$OUT" "$DEMO_SH stop" "the demo tells how to stop it"

# --- the nodes keep running, linked in a line ----------------------------------
for site in paris lyon nantes; do
    pid=$(cat "$RAISON_DEMO_DIR/$site.pid")
    running "$pid" || fail "$site (pid $pid) is not running after the demo"
    assert_eq raisond "$(cat "/proc/$pid/comm")" "the pid file of $site names its raisond"
done
TIMELINE=$("$RAISON" --socket "$(sock nantes)" --json timeline platform)
assert_contains "$TIMELINE" "The new-starter guide is in the wiki" "alice's post at nantes"
assert_contains "$TIMELINE" "the remote build cache saves us" "bob's reply at nantes"

PEERS=$("$RAISON" --socket "$(sock lyon)" --json peers)
assert_eq "tcp://127.0.0.1:$((RAISON_DEMO_PORT + 1))" "$(json 'j["listen"]' <<<"$PEERS")" \
    "lyon's listen endpoint in peers --json"
assert_eq '["nantes","paris"]' "$(json 'sorted(p["site"] for p in j["peers"])' <<<"$PEERS")" \
    "lyon's peers are paris and nantes"
assert_eq '[true,true]' "$(json '[p["connected"] for p in j["peers"]]' <<<"$PEERS")" \
    "both of lyon's links are up"
assert_eq 0 "$(json 'sum(p["dropped"] for p in j["peers"])' <<<"$PEERS")" "nothing dropped"
assert_hex64 "$(json 'j["peers"][0]["key"]' <<<"$PEERS")" "a full peer key in peers --json"
assert_eq '["banned_until","bare_received","bodies_fetched","bytes_received","bytes_sent","checkpoint_note","checkpoint_size","connected","dropped","endpoint","entries_received","entries_sent","inconsistency","key","lacking","last_error","missing","pending_checkpoint_size","since","site","unanswered_consistency"]' \
    "$(json 'sorted(j["peers"][0].keys())' <<<"$PEERS")" "the fields of a peer in peers --json"
PEERS_TEXT=$("$RAISON" --socket "$(sock paris)" peers)
assert_match "$PEERS_TEXT" "lyon +tcp://127.0.0.1:$((RAISON_DEMO_PORT + 1)) +up for" \
    "paris' peers table shows lyon up"
assert_eq 2 "$("$RAISON" --socket "$(sock lyon)" --json status | json 'j["peers_connected"]')" \
    "lyon's status counts 2 peers connected"

# --- starting again changes nothing ----------------------------------------------
PIDS_BEFORE=$(demo_pids | sort)
AGAIN=$(bash "$DEMO_SH")
assert_contains "$AGAIN" "already running" "a second start says the demo runs"
assert_eq "$PIDS_BEFORE" "$(demo_pids | sort)" "a second start leaves the same nodes"

# --- the web app of paris and lyon ---------------------------------------------------
for site in paris lyon; do
    invite=$(grep -o "$site: http://127.0.0.1:[0-9]*/invite/[A-Za-z0-9_-]*" "$T/demo.out" |
        head -n 1 | sed "s/^$site: //")
    [[ -n $invite ]] || fail "the demo printed no invite URL for $site's web app"
    page=$(curl -s -m 10 -w '\n%{http_code}' "$invite")
    assert_eq 200 "$(tail -n 1 <<<"$page")" "$site's web app serves its invite page"
    assert_contains "$page" '/static/app.js' "$site's web app page"
done
port=$RAISON_DEMO_WEB_PORT
assert_eq 401 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/me")" \
    "paris' web app before a login"
WEB_PIDS="$(cat "$RAISON_DEMO_DIR/paris.web-pid") $(cat "$RAISON_DEMO_DIR/lyon.web-pid")"

# --- a fourth site, with the commands the demo printed ----------------------------
sed -n '/Add a fourth site/,/^Status:/p' "$T/demo.out" | sed '1d;$d' >"$T/fourth.sh"
assert_contains "$(cat "$T/fourth.sh")" "keygen" "the demo prints the fourth site's steps"
FOURTH=$(cd "$RSN_BUILD" && bash "$T/fourth.sh" 2>&1) || fail "the fourth-site steps failed: $FOURTH"
rennes_has_all() {
    local t
    t=$("$RAISON" --socket "$(sock rennes)" --json timeline platform 2>/dev/null) || return 1
    [[ "$t" == *"the remote build cache saves us"* ]]
}
wait_for "rennes catches up through nantes" rennes_has_all
assert_eq 7 "$("$RAISON" --socket "$(sock rennes)" --json status | json 'j["entries"]')" \
    "rennes holds every entry of the demo"
NANTES_PEERS=$("$RAISON" --socket "$(sock nantes)" --json peers)
assert_eq '["lyon","rennes"]' "$(json 'sorted(p["site"] for p in j["peers"])' <<<"$NANTES_PEERS")" \
    "nantes trusts rennes after SIGHUP"
STATUS=$(bash "$DEMO_SH" status)
assert_match "$STATUS" "rennes +[0-9]+ +running" "demo.sh status lists the fourth site"

# --- stop ---------------------------------------------------------------------------
ALL=$(demo_pids)
assert_eq 4 "$(wc -w <<<"$ALL")" "four pid files before stop"
bash "$DEMO_SH" stop >/dev/null
for pid in $ALL; do
    if running "$pid"; then
        fail "raisond pid $pid still runs after demo.sh stop"
    fi
done
assert_eq "" "$(demo_pids)" "no pid file left after stop"
for pid in $WEB_PIDS; do
    if running "$pid"; then
        fail "raison web pid $pid still runs after demo.sh stop"
    fi
done
assert_contains "$(bash "$DEMO_SH" status)" "stopped" "demo.sh status after stop"
echo "demo: ok"
