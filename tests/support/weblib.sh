# shellcheck shell=bash
# weblib.sh — what the `raison web` integration tests share (test_web_*.sh).
#
# Sources fedlib.sh (lib.sh's $T, nodes, assertions and `json`; fedlib's
# ports that parallel tests never share) and adds a real `raison web` for a
# node, and curl as the browser: one cookie jar per person, the JSON
# content type and the server's own Origin on every POST (as a browser's
# fetch sends them), and the login a page makes by signing the server's
# challenge with its key (tests/integration/web_tool.c signs outside the
# server, as the page does).
#
# Usage in a test:
#   web_start w n1 --open-enrollment   raison web for node n1; $WEB is its base URL,
#                                      $WEB_INVITE the invite of its first line
#   web_login bob 7 "$TOKEN"           bob logs in with seed 7's key (and an invite)
#   web_req bob GET "/api/groups"      then $WEB_STATUS and $WEB_BODY
#   web_ok bob GET "/api/me"           the same, and fails the test unless 200

# shellcheck source=fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/fedlib.sh"

WEB_TOOL="$RSN_BUILD/tests/web_tool"
WEB=""
WEB_INVITE=""
WEB_PORT=0
WEB_PID=0
WEB_STATUS=0
WEB_BODY=""
WEB_CURL_OPTS=()

# web_start NAME NODE [ARGS...]: `raison web` for node NODE on a free port of
# this script's block, state in $T/NAME-state, stderr in $T/NAME.log; waits
# for its first stdout line (the invite URL) and for it to answer.
web_start() {
    local name=$1 node=$2
    shift 2
    fed_next_port
    WEB_PORT=$FED_PORT
    "$RAISON" --socket "$(node_socket "$node")" web --listen "127.0.0.1:$WEB_PORT" \
        --state "$T/$name-state" "$@" >"$T/$name.out" 2>>"$T/$name.log" &
    WEB_PID=$!
    RSN_OTHER_PIDS+=("$WEB_PID")
    wait_for "the first line of raison web $name" grep -q . "$T/$name.out"
    WEB_INVITE=$(head -n 1 "$T/$name.out")
    WEB="${WEB_SCHEME:-http}://127.0.0.1:$WEB_PORT"
    wait_for "raison web $name answering" web_answers
}

# web_answers: the server answers (401 to /api/me without a session).
web_answers() {
    [[ $(curl -s -o /dev/null -w '%{http_code}' "${WEB_CURL_OPTS[@]}" "$WEB/api/me") == 401 ]]
}

# web_stop: SIGTERM to the server; it must exit 0.
web_stop() {
    kill -TERM "$WEB_PID"
    wait_exit "$WEB_PID" "raison web after SIGTERM"
    assert_eq 0 "$RSN_RC" "exit status of raison web after SIGTERM"
}

# web_req WHO METHOD PATH [BODY [CURL-ARGS...]]: one request with WHO's
# cookie jar ($T/WHO.jar); a POST carries the JSON type and the server's
# Origin unless CURL-ARGS give their own. Sets WEB_STATUS and WEB_BODY.
web_req() {
    local who=$1 method=$2 path=$3 body=${4-}
    shift 4 2>/dev/null || shift $#
    local args=(-s -o "$T/web.body" -w '%{http_code}' -b "$T/$who.jar" -c "$T/$who.jar"
        "${WEB_CURL_OPTS[@]}" -X "$method")
    if [[ $method == POST ]]; then
        [[ "$*" == *"Content-Type:"* ]] || args+=(-H "Content-Type: application/json")
        [[ "$*" == *"Origin:"* ]] || args+=(-H "Origin: $WEB")
        args+=(--data-binary "$body")
    fi
    WEB_STATUS=$(curl "${args[@]}" "$@" "$WEB$path") || WEB_STATUS=000
    WEB_BODY=$(cat "$T/web.body" 2>/dev/null || true)
}

# web_ok WHO METHOD PATH [BODY]: web_req, which must answer 200.
web_ok() {
    web_req "$@"
    [[ $WEB_STATUS == 200 ]] || fail "$2 $3: expected 200, got $WEB_STATUS: $WEB_BODY"
}

# web_expect STATUS WHAT WHO METHOD PATH [BODY [CURL-ARGS...]]: a request
# that must be answered STATUS with an error document.
web_expect() {
    local want=$1 what=$2
    shift 2
    web_req "$@"
    assert_eq "$want" "$WEB_STATUS" "$what (answer: $WEB_BODY)"
    if [[ $want != 421 ]]; then
        assert_contains "$WEB_BODY" '"error":' "$what: an error document"
    fi
    echo "refused as expected: $what: $WEB_STATUS $WEB_BODY" >&2
}

# web_login_body SEED CHALLENGE [ORIGIN [INVITE]]: the login body of SEED's key
# (ORIGIN: what it signs, default the server's own; INVITE: a token).
web_login_body() {
    local seed=$1 challenge=$2 origin=${3:-$WEB} invite=${4:-null}
    local sig author
    sig=$("$WEB_TOOL" login "$seed" "$origin" "$challenge")
    author=$("$WEB_TOOL" key "$seed")
    [[ $invite == null ]] || invite="\"$invite\""
    printf '{"author":"%s","challenge":"%s","signature":"%s","invite":%s}' \
        "$author" "$challenge" "$sig" "$invite"
}

# web_challenge WHO: a fresh challenge into WEB_CHALLENGE.
web_challenge() {
    web_ok "$1" POST /api/challenge '{}'
    WEB_CHALLENGE=$(json 'j["challenge"]' <<<"$WEB_BODY")
}

# web_login WHO SEED [INVITE-TOKEN]: WHO logs in with SEED's key.
web_login() {
    local who=$1 seed=$2 invite=${3:-null}
    web_challenge "$who"
    web_ok "$who" POST /api/login "$(web_login_body "$seed" "$WEB_CHALLENGE" "$WEB" "$invite")"
}

# web_publish WHO SEED KIND BODY_B64: the page's publish sequence for SEED's
# key: draft, sign outside the server, publish. Sets WEB_ID.
web_publish() {
    local who=$1 seed=$2 kind=$3 body=$4
    web_ok "$who" POST /api/draft "{\"kind\":\"$kind\",\"body\":\"$body\"}"
    local seq prev ts signed
    seq=$(json 'j["seq"]' <<<"$WEB_BODY")
    prev=$(json 'j["prev"] or "-"' <<<"$WEB_BODY")
    ts=$(json 'j["timestamp"]' <<<"$WEB_BODY")
    signed=$("$WEB_TOOL" sign "$seed" "$kind" "$seq" "$prev" "$ts" "$body")
    WEB_ID=$(json 'j["id"]' <<<"$signed")
    web_ok "$who" POST /api/publish "$(json '{k: j[k] for k in ("entry", "signature", "body")}' <<<"$signed")"
}

# same_json A B WHAT: A and B are one JSON document (keys in any order).
same_json() {
    local a b
    a=$(json 'j' <<<"$1")
    b=$(json 'j' <<<"$2")
    assert_eq "$a" "$b" "$3"
}
