#!/usr/bin/env bash
# test_web_browser.sh — raison web's page in a real browser, on real nodes.
#
# Two sites, paris and lyon, federated; tests/web/run.mjs starts a
# `raison web` beside each (and restarts lyon's mid-test), drives headless
# Debian Chromium through playwright-core (pinned in tests/web/package.json
# and its lock) and tells the story of issue 11 (see run.mjs). Its
# screenshots and the servers' logs are kept in $RSN_BUILD/web-artifacts.
#
# Needs node, npm, /usr/bin/chromium and fonts-dejavu-core (scripts/deps.sh
# installs them). playwright-core is installed with `npm ci` into
# $RSN_BUILD/web-tests when missing; when that fails (no registry), the test
# fails: it never passes by skipping.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

WEB_SRC="$RSN_SOURCE/tests/web"
WEB_RUN="$RSN_BUILD/web-tests"
CHROMIUM=${RSN_CHROMIUM:-/usr/bin/chromium}
command -v node >/dev/null || fail "node is not installed (scripts/deps.sh installs nodejs)"
command -v npm >/dev/null || fail "npm is not installed (scripts/deps.sh installs npm)"
[[ -x $CHROMIUM ]] || fail "$CHROMIUM is missing (scripts/deps.sh installs chromium)"

# the npm packages, installed again when the lock changed
mkdir -p "$WEB_RUN"
cp "$WEB_SRC/package.json" "$WEB_SRC/package-lock.json" "$WEB_SRC/run.mjs" "$WEB_RUN/"
if ! cmp -s "$WEB_SRC/package-lock.json" "$WEB_RUN/node_modules/.installed-lock" 2>/dev/null; then
    (cd "$WEB_RUN" && npm ci --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1 ||
        fail "npm ci of tests/web failed (is the npm registry reachable?): $(tail -n 5 "$T/npm.log")"
    cp "$WEB_SRC/package-lock.json" "$WEB_RUN/node_modules/.installed-lock"
fi

fed_init paris lyon
fed_start_peered paris lyon
fed_start_peered lyon paris
wait_connected paris lyon
wait_connected lyon paris

fed_next_port
PARIS_WEB=$FED_PORT
fed_next_port
LYON_WEB=$FED_PORT
fed_next_port
DOWN_WEB=$FED_PORT # a raison web whose node is not running
mkdir -m 700 "$T/down"
ART="$RSN_BUILD/web-artifacts"
rm -rf "$ART"
mkdir -p "$ART"
cat >"$T/web.json" <<JSON
{
  "raison": "${RSN_WEB_RAISON:-$RAISON}",
  "artifacts": "$ART",
  "sites": {
    "paris": {"socket": "$(node_socket paris)", "port": $PARIS_WEB, "state": "$T/web-paris"},
    "lyon": {"socket": "$(node_socket lyon)", "port": $LYON_WEB, "state": "$T/web-lyon"},
    "down": {"socket": "$T/down/raison.sock", "port": $DOWN_WEB, "state": "$T/web-down"}
  }
}
JSON
rc=0
RSN_CHROMIUM=$CHROMIUM node "$WEB_RUN/run.mjs" "$T/web.json" || rc=$?
[[ $rc -eq 0 ]] || fail "the browser test failed (screenshots and server logs in $ART)"

# what the browser wrote reached both nodes: the group, and bob's feed intact
G=$(on paris --json groups | json '[g["group"] for g in j if g["name"] == "platform"][0]')
assert_hex64 "$G" "the group founded in the browser, at paris"
wait_group lyon "$G"
assert_eq 0 "$(st paris forks)" "forks at paris after the browser story"
assert_eq 0 "$(st lyon forks)" "forks at lyon after the browser story"
echo "test_web_browser: ok"
