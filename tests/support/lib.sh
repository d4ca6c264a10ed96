# shellcheck shell=bash
# lib.sh — what every integration test script shares.
#
# Lives in tests/support/; sourced by tests/integration/test_*.sh (which run with `set -euo pipefail`).
# It makes the script's own short temporary folder ($T: socket paths must stay
# under 107 bytes), starts and stops real raisond processes on data folders
# inside it, wraps the raison CLI, and offers assertions that print what was
# expected and what came. Every wait polls with a deadline; nothing sleeps a
# fixed time to "let things settle". A trap stops every node this script
# started and removes $T; when the script fails, the tail of each node's log
# is printed first.
#
# Environment (set by ctest, see cmake/RsnHelpers.cmake): RSN_BUILD (build
# folder), RSN_SOURCE, RSN_TESTDATA.

: "${RSN_BUILD:?RSN_BUILD must name the build folder}"
RSN_SOURCE=${RSN_SOURCE:-}
RSN_TESTDATA=${RSN_TESTDATA:-}

# shellcheck disable=SC2034 # used by the scripts that source this file
RAISOND="$RSN_BUILD/raisond"
RAISON="$RSN_BUILD/raison"
# shellcheck disable=SC2034
API_TOOL="$RSN_BUILD/tests/api_tool"
PY=/usr/bin/python3
# Seconds any single wait may take before the test fails.
RSN_DEADLINE=${RSN_DEADLINE:-30}

T=$(mktemp -d /tmp/rsnXXXXXX)
# Keep the CLI and the node away from the real user's files.
export HOME="$T/home" XDG_DATA_HOME="$T/xdg-data" XDG_CONFIG_HOME="$T/xdg-config"
mkdir -p "$HOME"

declare -A RSN_PIDS=()   # node name -> pid of its raisond
declare -a RSN_OTHER_PIDS=() # other background processes the script started

# Current identity file and socket used by `rsn`.
RSN_IDENTITY=""
RSN_SOCKET=""

rsn_cleanup() {
    local status=$?
    trap - EXIT
    local name pid
    for name in "${!RSN_PIDS[@]}"; do
        pid=${RSN_PIDS[$name]}
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${RSN_OTHER_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for name in "${!RSN_PIDS[@]}"; do
        pid=${RSN_PIDS[$name]}
        local i
        for ((i = 0; i < 100; i++)); do
            running "$pid" || break
            sleep 0.05
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ $status -ne 0 ]]; then
        local log
        for log in "$T"/*.log; do
            [[ -f $log ]] || continue
            echo "---- last lines of $log ----" >&2
            tail -n 30 "$log" >&2
        done
    fi
    rm -rf "$T"
    exit "$status"
}
trap rsn_cleanup EXIT

# --- assertions -------------------------------------------------------------

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
    if [[ "$1" != "$2" ]]; then
        fail "$3: expected [$1], got [$2]"
    fi
}

# assert_ne UNEXPECTED ACTUAL WHAT
assert_ne() {
    if [[ "$1" == "$2" ]]; then
        fail "$3: did not expect [$1]"
    fi
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
    if [[ "$1" != *"$2"* ]]; then
        fail "$3: expected to find [$2] in [$1]"
    fi
}

# assert_not_contains HAYSTACK NEEDLE WHAT
assert_not_contains() {
    if [[ "$1" == *"$2"* ]]; then
        fail "$3: did not expect [$2] in [$1]"
    fi
}

# assert_match TEXT EXTENDED-REGEX WHAT (case-insensitive)
assert_match() {
    if ! grep -qiE -- "$2" <<<"$1"; then
        fail "$3: expected a match of /$2/ in [$1]"
    fi
}

# assert_hex64 VALUE WHAT: a key or an id in lowercase hex
assert_hex64() {
    if [[ ! "$1" =~ ^[0-9a-f]{64}$ ]]; then
        fail "$2: expected 64 lowercase hex characters, got [$1]"
    fi
}

# --- waiting ------------------------------------------------------------------

# wait_for WHAT COMMAND...: polls COMMAND until it succeeds, or fails the
# test after RSN_DEADLINE seconds.
wait_for() {
    local what=$1
    shift
    local deadline=$((SECONDS + RSN_DEADLINE))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            fail "timed out after ${RSN_DEADLINE}s waiting for: $what"
        fi
        sleep 0.05
    done
}

# running PID: true while PID runs (a zombie, exited but not yet waited for,
# does not count: kill -0 would still succeed on it).
running() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ -n $state && $state != Z ]]
}

# wait_exit PID WHAT: waits (polling, with the deadline) for the child PID to
# exit and leaves its exit status in RSN_RC.
wait_exit() {
    local deadline=$((SECONDS + RSN_DEADLINE))
    while running "$1"; do
        if ((SECONDS >= deadline)); then
            fail "timed out after ${RSN_DEADLINE}s waiting for $2 to exit"
        fi
        sleep 0.05
    done
    RSN_RC=0
    wait "$1" || RSN_RC=$?
}

# --- JSON -------------------------------------------------------------------

# json EXPR < JSON: evaluates the Python expression EXPR with the document
# bound to `j`; prints strings as they are, null as "null", and anything else
# as compact JSON (true, 3, ["a","b"]).
json() {
    "$PY" -c '
import json, sys
j = json.load(sys.stdin)
v = eval(sys.argv[1], {"j": j, "len": len})
if isinstance(v, str):
    print(v)
else:
    print(json.dumps(v, separators=(",", ":"), sort_keys=True))
' "$1"
}

# --- nodes ------------------------------------------------------------------

node_dir() { echo "$T/$1"; }
node_socket() { echo "$T/$1/raison.sock"; }

node_answers() {
    "$RAISON" --socket "$(node_socket "$1")" status >/dev/null 2>&1
}

# start_node NAME [ARGS...]: raisond on data folder $T/NAME, stderr to
# $T/NAME.log; returns once `raison status` answers. Fails when it exits.
start_node() {
    local name=$1
    shift
    mkdir -m 700 "$T/$name" 2>/dev/null || true
    "$RAISOND" --data "$T/$name" "$@" >>"$T/$name.log" 2>&1 &
    RSN_PIDS[$name]=$!
    local deadline=$((SECONDS + RSN_DEADLINE))
    until node_answers "$name"; do
        if ! running "${RSN_PIDS[$name]}"; then
            local rc=0
            wait "${RSN_PIDS[$name]}" || rc=$?
            unset "RSN_PIDS[$name]"
            fail "raisond $name exited ($rc) before answering: $(tail -n 5 "$T/$name.log")"
        fi
        if ((SECONDS >= deadline)); then
            fail "raisond $name did not answer status within ${RSN_DEADLINE}s"
        fi
        sleep 0.05
    done
}

# stop_node NAME: SIGTERM, then waits; a clean stop exits 0.
stop_node() {
    local name=$1
    local pid=${RSN_PIDS[$name]:?no node named $1}
    kill -TERM "$pid"
    wait_exit "$pid" "raisond $name after SIGTERM"
    unset "RSN_PIDS[$name]"
    assert_eq 0 "$RSN_RC" "exit status of raisond $name after SIGTERM"
}

# kill9_node NAME: SIGKILL, no chance to clean up.
kill9_node() {
    local name=$1
    local pid=${RSN_PIDS[$name]:?no node named $1}
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    unset "RSN_PIDS[$name]"
}

# --- the CLI ------------------------------------------------------------------

# rsn ARGS...: the CLI on $RSN_SOCKET with identity $RSN_IDENTITY.
rsn() {
    "$RAISON" --socket "$RSN_SOCKET" --identity "$RSN_IDENTITY" "$@"
}

# as NAME ARGS...: the CLI as the person whose key file is $T/NAME.key.
as() {
    local who=$1
    shift
    RSN_IDENTITY="$T/$who.key" rsn "$@"
}

# must_fail WHAT COMMAND...: COMMAND must exit non-zero with a message on
# stderr; the message is left in $RSN_ERR.
must_fail() {
    local what=$1
    shift
    local rc=0
    "$@" >"$T/must_fail.out" 2>"$T/must_fail.err" </dev/null || rc=$?
    RSN_ERR=$(cat "$T/must_fail.err")
    if [[ $rc -eq 0 ]]; then
        fail "$what: expected a failure, it succeeded: $(cat "$T/must_fail.out")"
    fi
    if [[ -z $RSN_ERR ]]; then
        fail "$what: failed ($rc) without a message on stderr"
    fi
    echo "refused as expected: $what: $RSN_ERR" >&2
}
