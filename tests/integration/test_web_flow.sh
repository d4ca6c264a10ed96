#!/usr/bin/env bash
# test_web_flow.sh — `raison web` on a real node, driven by curl as a page
# would (tests/support/weblib.sh): the invite of its first line enrols a key
# signed outside the server; the session cookie's flags; every read answers
# the document `raison CMD --json` prints for the same call; a post drafted
# through the server, signed outside it and published shows in the
# timeline; an event stream delivers it; the operator's calls; logout; and
# the same login under TLS, whose cookie is Secure.
set -euo pipefail
# shellcheck source=../support/weblib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/weblib.sh"

start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)
as alice id new >/dev/null 2>&1
as alice profile --name Alice --site paris >/dev/null
G=$(as alice --json charter new --name ops --purpose "Keep things running" \
    --mission "triage=Answer every page" --mission "docs=Write it down" \
    --benefit "Fewer pages" --data-policy "Improving the runbooks" --readers "engineers" \
    --retention-days 0 | json 'j["group"]')
as alice post "$G" --mission triage "disk full" >/dev/null

mkdir -p "$T/static"
echo '<!doctype html><title>raison</title>' >"$T/static/index.html"
echo 'body { margin: 0 }' >"$T/static/app.css"
web_start w n1 --static "$T/static"
assert_match "$WEB_INVITE" "^http://127\.0\.0\.1:$WEB_PORT/invite/[A-Za-z0-9_-]{43}$" "the first line is an invite URL"
TOKEN=${WEB_INVITE##*/}
[[ $(stat -c %a "$T/w-state") == 700 ]] || fail "the state folder is not 0700"
for f in "$T"/w-state/invites/*; do
    [[ $(stat -c %a "$f") == 600 ]] || fail "invite file $f is not 0600"
done

# --- the page and its headers ---
for path in / "/invite/$TOKEN"; do
    web_ok nobody GET "$path"
    assert_eq '<!doctype html><title>raison</title>' "$WEB_BODY" "GET $path serves index.html"
done
PAGE_HEADERS=$(curl -s -D - -o /dev/null "$WEB/static/app.css")
assert_contains "$PAGE_HEADERS" "Content-Type: text/css" "the type of a .css"
assert_contains "$PAGE_HEADERS" "frame-ancestors 'none'" "the CSP on a page"
HEADERS=$(curl -s -D - -o /dev/null "$WEB/api/me")
assert_contains "$HEADERS" "Content-Security-Policy: default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'" "the CSP"
assert_contains "$HEADERS" "X-Content-Type-Options: nosniff" "nosniff"
assert_contains "$HEADERS" "Referrer-Policy: no-referrer" "no referrer"
assert_contains "$HEADERS" "Cache-Control: no-store" "API answers are not cached"

# --- invite, login, the cookie ---
BOB=$("$WEB_TOOL" key 7)
web_login bob 7 "$TOKEN"
assert_eq "[\"$BOB\",true,true]" "$(json '[j["author"], j["operator"], j["enrolled"]]' <<<"$WEB_BODY")" \
    "the first invite enrols an operator"
COOKIE=$(grep "raison_session_$WEB_PORT" "$T/bob.jar") || fail "no cookie named raison_session_$WEB_PORT"
assert_contains "$COOKIE" "#HttpOnly_" "the cookie is HttpOnly"
LOGIN_HEADERS=$(web_challenge carol; curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    -H "Origin: $WEB" --data-binary "$(web_login_body 7 "$WEB_CHALLENGE")" "$WEB/api/login" -b "$T/carol.jar")
assert_match "$LOGIN_HEADERS" "^Set-Cookie: raison_session_$WEB_PORT=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict" \
    "the Set-Cookie flags"
assert_not_contains "$LOGIN_HEADERS" "Secure" "no Secure flag over plain HTTP"
web_ok bob GET /api/me
assert_eq "[\"$BOB\",true]" "$(json '[j["author"], j["operator"]]' <<<"$WEB_BODY")" "me"
web_login bob 7
assert_eq false "$(json 'j["enrolled"]' <<<"$WEB_BODY")" "a known key logs in again without an invite"
INVITE2=$("$RAISON" web invite --listen "127.0.0.1:$WEB_PORT" --state "$T/w-state" --name Dan --json | json 'j["url"]')
web_login dan 9 "${INVITE2##*/}"
assert_eq '[false,true]' "$(json '[j["operator"], j["enrolled"]]' <<<"$WEB_BODY")" \
    "an invite from 'raison web invite' enrols a member"

# --- reads: the CLI's documents ---
web_ok bob GET "/api/groups"
same_json "$(as alice --json groups)" "$(json 'j["groups"]' <<<"$WEB_BODY")" "groups"
assert_eq null "$(json 'j["next_cursor"]' <<<"$WEB_BODY")" "one page of groups"
web_ok bob GET "/api/groups?limit=1&order=name&text=running"
assert_eq "$G" "$(json 'j["groups"][0]["group"]' <<<"$WEB_BODY")" "groups by text"
web_ok bob GET "/api/group?g=$G"
same_json "$(as alice --json group "$G")" "$WEB_BODY" "group"
web_ok bob GET "/api/group?g=ops&members_limit=1"
assert_eq "$G" "$(json 'j["group"]' <<<"$WEB_BODY")" "a group by its name"
web_ok bob GET "/api/report?g=$G&days=2&site=paris"
same_json "$(as alice --json report "$G" --days 2 --site paris)" "$WEB_BODY" "report with a window"
web_ok bob GET "/api/report?g=$G"
same_json "$(as alice --json report "$G")" "$WEB_BODY" "report"
ALICE=$(as alice --json id show 2>/dev/null | json 'j["key"]' 2>/dev/null || true)
web_ok bob GET "/api/profile?author=$BOB"
assert_eq null "$(json 'j["profile"]' <<<"$WEB_BODY")" "no profile yet"
web_ok bob GET "/api/head?author=$BOB"
assert_eq 0 "$(json 'j["seq"]' <<<"$WEB_BODY")" "an empty feed"
web_ok bob GET "/api/status"
assert_eq "$(as alice --json status | json 'j["node_key"]')" "$(json 'j["node_key"]' <<<"$WEB_BODY")" "status"
assert_eq "$(as alice --json status | json 'sorted(j)')" "$(json 'sorted(j)' <<<"$WEB_BODY")" "status fields"
web_ok bob GET "/api/peers"
same_json "$(as alice --json peers)" "$WEB_BODY" "peers"

# --- an event stream, then the publish sequence through the server ---
curl -s -N -b "$T/bob.jar" "$WEB/api/events?g=ops" >"$T/events.txt" &
CURL_PID=$!
RSN_OTHER_PIDS+=("$CURL_PID")
wait_for "the stream's first bytes" grep -q "connected" "$T/events.txt"
web_publish bob 7 profile "$("$WEB_TOOL" profile-body Bob lyon)"
assert_eq 1 "$(json 'j["seq"]' <<<"$WEB_BODY")" "the profile is seq 1"
assert_eq "[\"$WEB_ID\",false,null]" "$(json '[j["id"], j["duplicate"], j["broken_rule"]]' <<<"$WEB_BODY")" "publish answer"
web_ok bob GET "/api/profile?author=$BOB"
assert_eq '["Bob","lyon"]' "$(json '[j["profile"]["name"], j["profile"]["site"]]' <<<"$WEB_BODY")" "the profile"
web_ok bob POST /api/draft "{\"kind\":\"post\",\"body\":\"$("$WEB_TOOL" post-body "$G" triage "on it")\"}"
CHARTER=$(json 'j["charter"]' <<<"$WEB_BODY")
assert_hex64 "$CHARTER" "the draft names the charter"
assert_eq 2 "$(json 'j["seq"]' <<<"$WEB_BODY")" "the draft's seq"
web_publish bob 7 post "$("$WEB_TOOL" post-body "$G" triage "on it <img src=x onerror=alert(1)>" "$CHARTER")"
POST_ID=$WEB_ID
web_ok bob GET "/api/timeline?g=$G&limit=10"
same_json "$(as alice --json timeline "$G")" "$(json 'j["posts"]' <<<"$WEB_BODY")" "timeline"
assert_eq "on it <img src=x onerror=alert(1)>" "$(json 'j["posts"][0]["text"]' <<<"$WEB_BODY")" "the post, as text"
web_ok bob GET "/api/timeline?g=$G&mission=triage&limit=1"
NEXT=$(json 'j["next_cursor"]' <<<"$WEB_BODY")
assert_hex64 "$POST_ID" "post id"
web_ok bob GET "/api/timeline?g=$G&mission=triage&limit=1&cursor=$NEXT"
assert_eq "disk full" "$(json 'j["posts"][0]["text"]' <<<"$WEB_BODY")" "the next page"
web_ok bob GET "/api/entry?id=$POST_ID"
same_json "$(as alice --json feed "$BOB" | json 'j["entries"][1]')" "$WEB_BODY" "entry"
wait_for "the post's event on the stream" grep -q "$POST_ID" "$T/events.txt"
EVENT=$(grep "^data: .*$POST_ID" "$T/events.txt" | head -n 1)
assert_eq "on it <img src=x onerror=alert(1)>" "$(json 'j["post"]["text"]' <<<"${EVENT#data: }")" "the event's post"
grep -q "^event: entry$" "$T/events.txt" || fail "no 'event: entry' line"
# the same bytes again: a duplicate, not a second entry
SIGNED=$("$WEB_TOOL" sign 7 post 2 "$(as alice --json feed "$BOB" | json 'j["entries"][0]["id"]')" \
    "$(as alice --json feed "$BOB" | json 'j["entries"][1]["timestamp"]')" \
    "$("$WEB_TOOL" post-body "$G" triage "on it <img src=x onerror=alert(1)>" "$CHARTER")")
web_ok bob POST /api/publish "$(json '{k: j[k] for k in ("entry", "signature", "body")}' <<<"$SIGNED")"
assert_eq "[\"$POST_ID\",true]" "$(json '[j["id"], j["duplicate"]]' <<<"$WEB_BODY")" "a resent entry is a duplicate"
kill "$CURL_PID" 2>/dev/null || true

# --- a member is not the operator; logout ---
web_ok dan GET /api/groups
web_expect 403 "status for a member" dan GET /api/status
web_expect 403 "peers for a member" dan GET /api/peers
curl -s -N -b "$T/dan.jar" "$WEB/api/events?g=$G" >"$T/dan-events.txt" &
DAN_CURL=$!
RSN_OTHER_PIDS+=("$DAN_CURL")
wait_for "dan's stream" grep -q "connected" "$T/dan-events.txt"
web_ok dan POST /api/logout '{}'
assert_contains "$(grep "raison_session_$WEB_PORT" "$T/dan.jar" || echo cleared)" "cleared" "logout clears the cookie"
web_expect 401 "after logout" dan GET /api/me
wait_exit "$DAN_CURL" "dan's stream after his logout"
web_stop

# --- TLS: a self-signed certificate, the Secure cookie ---
openssl req -x509 -newkey ed25519 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
WEB_SCHEME=https WEB_CURL_OPTS=(--cacert "$T/cert.pem")
web_start wt n1 --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --open-enrollment --json
assert_match "$(json 'j["url"]' <<<"$WEB_INVITE")" "^https://127\.0\.0\.1:$WEB_PORT/invite/[A-Za-z0-9_-]{43}$" \
    "with --json the first line is {\"url\"}, an https invite"
web_expect 421 "a wrong Host under TLS" nobody GET /api/me "" -H "Host: evil.example"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WEB_PORT/api/me") != 401 ]] ||
    fail "the TLS server answered plain HTTP"
web_login erin 11
assert_eq true "$(json 'j["enrolled"]' <<<"$WEB_BODY")" "open enrollment enrols any key"
grep -q "raison_session_$WEB_PORT" "$T/erin.jar" || fail "no session cookie under TLS"
TLS_HEADERS=$(web_challenge fay; curl -s -D - -o /dev/null --cacert "$T/cert.pem" -H 'Content-Type: application/json' \
    -H "Origin: $WEB" --data-binary "$(web_login_body 11 "$WEB_CHALLENGE")" "$WEB/api/login")
assert_match "$TLS_HEADERS" "^Set-Cookie: raison_session_$WEB_PORT=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict; Secure" \
    "the cookie is Secure under TLS"
web_ok erin GET "/api/group?g=$G"
same_json "$(as alice --json group "$G")" "$WEB_BODY" "group over TLS"
# the directory in name order, page by page: its cursor (72 bytes) goes out
# and comes back whole
as alice charter new --name aardvark --purpose "First by name" --mission a=b --benefit c \
    --data-policy d >/dev/null
web_ok erin GET "/api/groups?limit=1&order=name"
assert_eq aardvark "$(json 'j["groups"][0]["name"]' <<<"$WEB_BODY")" "the first group by name"
cursor=$(json 'j["next_cursor"]' <<<"$WEB_BODY")
assert_match "$cursor" '^[0-9a-f]{144}$' "the cursor of a page in name order"
web_ok erin GET "/api/groups?limit=1&order=name&cursor=$cursor"
assert_eq ops "$(json 'j["groups"][0]["name"]' <<<"$WEB_BODY")" "the next group by name"
web_stop
echo "test_web_flow: ok"
