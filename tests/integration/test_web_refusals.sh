#!/usr/bin/env bash
# test_web_refusals.sh — every bad input and attack `raison web` must refuse,
# on a real node with curl as the browser (tests/support/weblib.sh), each
# answered with its status and the JSON error document: no session (401),
# a member asking for the operator's calls (403), a wrong Host (421, DNS
# rebinding), a cross-origin or non-JSON POST (403, CSRF), bodies over the
# bound (413, declared or streamed), bad JSON, base64, hex, kinds, unknown
# fields and parameters, too many of them, nesting (400 naming the field), a
# replayed or unknown challenge, a signature made for another origin, a
# used or expired invite, a key without one, too many failed logins (429),
# a publish of another author's entry (403), node errors with their codes,
# static paths outside the folder, no node (503); the bounds on
# challenges, sessions and event streams; and a non-loopback --listen
# without TLS, refused at start (exit status 2).
set -euo pipefail
# shellcheck source=../support/weblib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/weblib.sh"

# --- at start: no TLS off loopback ---
must_fail "a non-loopback listen without TLS" "$RAISON" --socket "$T/none.sock" web \
    --listen 0.0.0.0:18443 --state "$T/s0"
assert_contains "$RSN_ERR" "refusing to listen on 0.0.0.0 without TLS" "the reason"
RC=0
"$RAISON" web --listen 192.0.2.1:8443 --state "$T/s0" 2>/dev/null || RC=$?
assert_eq 2 "$RC" "exit status of a non-loopback listen without TLS"
RC=0
"$RAISON" web --listen 127.0.0.1 --state "$T/s0" 2>/dev/null || RC=$?
assert_eq 2 "$RC" "exit status of a listen without a port"
RC=0
"$RAISON" web --tls-cert "$T/none.pem" --state "$T/s0" 2>/dev/null || RC=$?
assert_eq 2 "$RC" "exit status of --tls-cert without --tls-key"

start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)
as alice id new >/dev/null 2>&1
G=$(as alice --json charter new --name ops --purpose "Keep things running" \
    --mission "triage=Answer every page" --benefit "Fewer pages" \
    --data-policy "Improving the runbooks" --readers "engineers" --retention-days 0 |
    json 'j["group"]')
mkdir -p "$T/static/sub"
echo '<!doctype html>' >"$T/static/index.html"
echo 'x' >"$T/static/.hidden.js"
echo 'x' >"$T/static/tool.exe"
echo 'secret' >"$T/secret.js"
web_start w n1 --static "$T/static"
TOKEN=${WEB_INVITE##*/}

# --- no session, the operator's calls, the Host ---
for path in /api/me /api/groups "/api/group?g=$G" "/api/timeline?g=$G" "/api/report?g=$G" \
    /api/status /api/peers "/api/events?g=$G"; do
    web_expect 401 "GET $path without a session" nobody GET "$path"
done
web_expect 401 "a draft without a session" nobody POST /api/draft '{"kind":"post","body":""}'
web_expect 401 "a forged cookie" nobody GET /api/me "" \
    -H "Cookie: raison_session_$WEB_PORT=$(printf '%064d' 0)"
web_login op 3 "$TOKEN" # the first invite: the operator
web_login mem 4 "$("$RAISON" web invite --listen "127.0.0.1:$WEB_PORT" --state "$T/w-state" \
    --json | json 'j["url"].rsplit("/", 1)[1]')"
assert_eq false "$(json 'j["operator"]' <<<"$WEB_BODY")" "a member"
web_expect 403 "status for a member" mem GET /api/status
web_expect 403 "peers for a member" mem GET /api/peers
web_ok op GET /api/status
web_expect 421 "a wrong Host (DNS rebinding)" op GET /api/me "" -H "Host: evil.example:$WEB_PORT"
web_expect 421 "a wrong port in Host" op GET /api/me "" -H "Host: 127.0.0.1:1"
web_expect 401 "localhost is this server too (no cookie of its own: 401, not 421)" op GET /api/me "" \
    -H "Host: localhost:$WEB_PORT"

# --- CSRF: Origin and content type ---
web_expect 403 "a cross-origin POST" op POST /api/logout '{}' -H "Origin: http://evil.example"
web_expect 403 "a POST from another port" op POST /api/logout '{}' -H "Origin: http://127.0.0.1:1"
web_expect 403 "a form POST" op POST /api/logout 'a=b' -H "Content-Type: application/x-www-form-urlencoded"
web_expect 403 "a text/plain POST" op POST /api/draft '{"kind":"post","body":""}' -H "Content-Type: text/plain"
web_ok op GET /api/me # still logged in after all that

# --- sizes and shapes of bodies ---
head -c 100000 /dev/zero | tr '\0' 'a' >"$T/big.txt"
web_expect 413 "a declared body over 96 KiB" op POST /api/draft "@$T/big.txt"
web_expect 413 "a streamed (chunked) body over 96 KiB" op POST /api/draft "@$T/big.txt" \
    -H "Transfer-Encoding: chunked"
head -c 3000000 /dev/zero >"$T/huge.txt"
web_req op POST /api/draft "@$T/huge.txt" -H "Transfer-Encoding: chunked"
assert_ne 200 "$WEB_STATUS" "a chunked body of 3 MB is cut"
web_ok op GET /api/me # and the server goes on
web_expect 400 "a body that is not JSON" op POST /api/draft '{"kind":'
assert_contains "$WEB_BODY" "not JSON" "the reason"
web_expect 400 "a JSON array body" op POST /api/draft '[1,2]'
python3 -c 'print("[" * 5000 + "]" * 5000)' >"$T/deep.json"
web_expect 400 "a deeply nested body" op POST /api/draft "@$T/deep.json"
web_expect 400 "a nested field" op POST /api/draft '{"kind":{"a":{"b":1}},"body":""}'
assert_contains "$WEB_BODY" "field 'kind'" "the field is named"
web_expect 400 "an unknown field" op POST /api/draft '{"kind":"post","body":"","admin":true}'
assert_contains "$WEB_BODY" "unknown field 'admin'" "the field is named"
web_expect 400 "a duplicated field" op POST /api/draft '{"kind":"post","kind":"charter","body":""}'
web_expect 400 "too many fields" op POST /api/login \
    '{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}'
web_expect 400 "a bad kind" op POST /api/draft '{"kind":"admin","body":""}'
assert_contains "$WEB_BODY" "field 'kind'" "the field is named"
web_expect 400 "bad base64" op POST /api/draft '{"kind":"post","body":"!!!!"}'
assert_contains "$WEB_BODY" "field 'body'" "the field is named"
web_expect 400 "base64 without padding" op POST /api/draft '{"kind":"post","body":"YWI"}'
web_expect 400 "a body of a number" op POST /api/draft '{"kind":"post","body":5}'
web_expect 400 "a missing field" op POST /api/draft '{"kind":"post"}'
assert_contains "$WEB_BODY" "field 'body'" "the field is named"

# --- query parameters ---
web_expect 400 "an unknown parameter" op GET "/api/groups?admin=1"
assert_contains "$WEB_BODY" "unknown parameter 'admin'" "the parameter is named"
web_expect 400 "a parameter over 256 bytes" op GET "/api/groups?text=$(printf 'a%.0s' {1..300})"
web_expect 400 "too many parameters" op GET "/api/groups?limit=1&limit=1&limit=1&limit=1&limit=1&limit=1&limit=1&limit=1&limit=1&limit=1&limit=1&limit=1&limit=1"
web_expect 400 "a limit that is not a number" op GET "/api/groups?limit=ten"
assert_contains "$WEB_BODY" "parameter 'limit'" "the parameter is named"
web_expect 400 "a limit over the node's bound" op GET "/api/timeline?g=$G&limit=501"
web_expect 400 "a cursor that is not hex" op GET "/api/timeline?g=$G&cursor=zz"
web_expect 400 "a bad order" op GET "/api/groups?order=size"
web_expect 400 "an author that is not hex" op GET "/api/profile?author=xyz"
web_expect 400 "an entry id of 63 characters" op GET "/api/entry?id=$(printf 'a%.0s' {1..63})"
web_expect 400 "a group missing" op GET "/api/timeline"
web_expect 405 "GET of a POST call" op GET /api/login
web_expect 404 "an unknown call" op GET /api/nothing

# --- node errors keep their code and name ---
web_expect 404 "an unknown group" op GET "/api/group?g=nosuchgroup"
assert_eq '[12,"ERROR_UNKNOWN_GROUP"]' "$(json '[j["error"]["code"], j["error"]["name"]]' <<<"$WEB_BODY")" \
    "the node's code and name"
web_expect 404 "an unknown entry" op GET "/api/entry?id=$(printf 'ab%.0s' {1..32})"
web_expect 400 "a draft to an unknown mission" op POST /api/draft \
    "{\"kind\":\"post\",\"body\":\"$("$WEB_TOOL" post-body "$G" nosuch "hi")\"}"
assert_eq '[13,"ERROR_UNKNOWN_MISSION"]' "$(json '[j["error"]["code"], j["error"]["name"]]' <<<"$WEB_BODY")" \
    "the node's code and name"
web_expect 404 "a draft to an unknown group" op POST /api/draft \
    "{\"kind\":\"post\",\"body\":\"$("$WEB_TOOL" post-body "$(printf 'cd%.0s' {1..32})" triage "hi")\"}"
assert_eq ERROR_UNKNOWN_GROUP "$(json 'j["error"]["name"]' <<<"$WEB_BODY")" "its name"

# --- publish: only one's own entries, well formed ---
SIGNED=$("$WEB_TOOL" sign 5 profile 1 - "$(date +%s%3N)" "$("$WEB_TOOL" profile-body Mallory x)")
web_expect 403 "a publish of another author's entry" op POST /api/publish \
    "$(json '{k: j[k] for k in ("entry", "signature", "body")}' <<<"$SIGNED")"
assert_contains "$WEB_BODY" "not signed by your key" "the reason"
web_expect 400 "an entry that is not an entry" op POST /api/publish \
    '{"entry":"AAAA","signature":"AAAA","body":""}'
web_expect 400 "a signature of 3 bytes" op POST /api/publish \
    "$(json '{"entry": j["entry"], "signature": "AAAA", "body": j["body"]}' <<<"$SIGNED")"
assert_contains "$WEB_BODY" "field 'signature'" "the field is named"
OWN=$("$WEB_TOOL" sign 3 profile 1 - "$(date +%s%3N)" "$("$WEB_TOOL" profile-body Op paris)")
web_expect 400 "a body that does not match the header" op POST /api/publish \
    "$(json '{"entry": j["entry"], "signature": j["signature"], "body": "AAAA"}' <<<"$OWN")"
assert_eq ERROR_BODY_MISMATCH "$(json 'j["error"]["name"]' <<<"$WEB_BODY")" "the node's refusal"
web_expect 400 "a bad signature" op POST /api/publish \
    "$(json '{"entry": j["entry"], "signature": j["signature"][:-4] + "AAA=", "body": j["body"]}' <<<"$OWN")"

# --- login: challenges, signatures, invites ---
web_challenge eve
BODY=$(web_login_body 20 "$WEB_CHALLENGE")
web_expect 403 "a key without an invite" eve POST /api/login "$BODY"
assert_contains "$WEB_BODY" "this key is not enrolled here: ask your site's operator for an invite" "the message"
web_expect 403 "a replayed challenge" eve POST /api/login "$BODY"
assert_contains "$WEB_BODY" "challenge" "the reason"
web_challenge eve
web_expect 403 "a signature made for another origin" eve POST /api/login \
    "$(web_login_body 3 "$WEB_CHALLENGE" "http://evil.example:$WEB_PORT")"
assert_contains "$WEB_BODY" "does not verify" "the reason"
web_expect 403 "a challenge the server never gave" eve POST /api/login \
    "$(web_login_body 3 "$(head -c 32 /dev/urandom | base64)")"
web_challenge eve
web_expect 403 "a used invite" eve POST /api/login "$(web_login_body 21 "$WEB_CHALLENGE" "$WEB" "$TOKEN")"
assert_contains "$WEB_BODY" "already used" "the reason"
web_challenge eve
web_expect 400 "an invite that is not a token" eve POST /api/login \
    "$(web_login_body 21 "$WEB_CHALLENGE" "$WEB" "../../people")"
OLD=$("$RAISON" web invite --listen "127.0.0.1:$WEB_PORT" --state "$T/w-state" | sed 's|.*/||')
for f in "$T"/w-state/invites/*; do
    [[ $f == *.used ]] || python3 - "$f" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["expires_ms"] = 1
json.dump(d, open(sys.argv[1], "w"))
PYEOF
done
web_challenge eve
web_expect 403 "an expired invite" eve POST /api/login "$(web_login_body 22 "$WEB_CHALLENGE" "$WEB" "$OLD")"
assert_contains "$WEB_BODY" "expired" "the reason"
web_challenge eve
web_expect 400 "an author of 63 hex" eve POST /api/login \
    "{\"author\":\"$(printf 'a%.0s' {1..63})\",\"challenge\":\"$WEB_CHALLENGE\",\"signature\":\"AAAA\",\"invite\":null}"
# failed logins from one address: after 10 in a minute, 429
for ((i = 0; i < 12; i++)); do
    web_req eve POST /api/challenge '{}'
    [[ $WEB_STATUS == 200 ]] || break
    web_req eve POST /api/login "$(web_login_body 23 "$(json 'j["challenge"]' <<<"$WEB_BODY")")"
    assert_eq 403 "$WEB_STATUS" "a failed login"
done
web_expect 429 "too many failed logins" eve POST /api/challenge '{}'
assert_contains "$WEB_BODY" "too many failed logins" "the reason"
web_expect 429 "a login after too many failures" eve POST /api/login "$BODY"

# --- static files: nothing outside the folder, no dotfiles, known types ---
for path in "/static/../secret.js" "/static/%2e%2e/secret.js" "/static/.hidden.js" \
    "/static/tool.exe" "/static/sub/../index.html" "/static//etc/passwd" "/nothing" \
    "/invite/..%2f..%2fsecret.js"; do
    web_req nobody GET "$path" "" --path-as-is
    assert_eq 404 "$WEB_STATUS" "GET $path"
    assert_not_contains "$WEB_BODY" "secret" "GET $path shows nothing outside the folder"
done
web_expect 405 "a POST to a page" nobody POST / '{}'

# --- the node stopped: 503, and a clear message ---
stop_node n1
web_expect 503 "a read with the node stopped" op GET "/api/group?g=$G"
assert_contains "$WEB_BODY" "node" "the message says the node"
start_node n1 --site paris
web_ok op GET "/api/group?g=$G"
web_stop

# --- bounds: challenges, sessions, event streams ---
web_start b n1 --open-enrollment --static "$T/static"
python3 - "$WEB" "$WEB_PORT" "$WEB_TOOL" "$G" <<'PYEOF'
import http.client, json, subprocess, sys, socket, time
base, port, tool, group = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
origin = base
def req(method, path, body=None, cookie=None, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Content-Type": "application/json", "Origin": origin}
    if cookie:
        h["Cookie"] = cookie
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    data = r.read()
    return r.status, data, r.getheader("Set-Cookie")
signer = subprocess.Popen([tool, "login-many", "30", origin], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
author = subprocess.run([tool, "key", "30"], capture_output=True, text=True).stdout.strip()
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
def login():
    s, d, _ = req("POST", "/api/challenge", {}, conn=conn)
    assert s == 200, (s, d)
    ch = json.loads(d)["challenge"]
    signer.stdin.write(ch + "\n"); signer.stdin.flush()
    sig = signer.stdout.readline().strip()
    s, d, cookie = req("POST", "/api/login", {"author": author, "challenge": ch, "signature": sig, "invite": None}, conn=conn)
    assert s == 200, (s, d)
    return cookie.split(";")[0]
# sessions: the 1025th login evicts the least recently used session
first = login()
assert req("GET", "/api/me", cookie=first, conn=conn)[0] == 200
for i in range(1024):
    last = login()
s = req("GET", "/api/me", cookie=first, conn=conn)[0]
assert s == 401, "the oldest of 1025 sessions must be gone, got %d" % s
assert req("GET", "/api/me", cookie=last, conn=conn)[0] == 200
print("sessions: bounded at 1024, the least recently used evicted")
# event streams: 64, then 503
streams = []
for i in range(64):
    sk = socket.create_connection(("127.0.0.1", port))
    sk.sendall(("GET /api/events?g=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: %s\r\n\r\n" % (group, port, last)).encode())
    head = b""
    while b"connected" not in head:
        chunk = sk.recv(4096)
        assert chunk, "stream %d closed: %r" % (i, head)
        head += chunk
    assert b"200 OK" in head and b"text/event-stream" in head, head
    streams.append(sk)
s, d, _ = req("GET", "/api/events?g=" + group, cookie=last)
assert s == 503, (s, d)
assert b"too many event streams" in d, d
for sk in streams[:8]:
    sk.close()
# a closed stream is noticed at its next write (a ping, within 15 s)
def open_status():
    sk = socket.create_connection(("127.0.0.1", port))
    sk.sendall(("GET /api/events?g=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: %s\r\n\r\n" % (group, port, last)).encode())
    line = sk.recv(64).split(b"\r\n")[0]
    return sk, line
deadline = time.time() + 40
while True:
    sk, line = open_status()
    if b" 200 " in line or time.time() > deadline:
        break
    sk.close()
    time.sleep(1)
assert b" 200 " in line, line
print("streams: bounded at 64, a closed one's place is taken again")
# challenges: 1024 outstanding, then 429 (on a new connection: the server
# closes one left idle while the streams were waited for)
conn.close()
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
n = 0
while True:
    s, d, _ = req("POST", "/api/challenge", {}, conn=conn)
    if s != 200:
        break
    n += 1
    assert n <= 1024, "more than 1024 outstanding challenges"
assert s == 429 and n == 1024, (n, s, d)
print("challenges: bounded at 1024")
signer.stdin.close()
PYEOF
web_stop
echo "test_web_refusals: ok"
