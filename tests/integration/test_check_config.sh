#!/usr/bin/env bash
# test_check_config.sh — `raisond --check-config` says what a start would do
# and what would stop it, starting nothing; `socket_group` opens the API
# socket (0660) to a group, so that an operator's account and the web server
# reach the node by group membership while the data folder stays the node's;
# the node speaks systemd's notify protocol (Type=notify).
#
# Issue 12: there was no way to check a config file before a restart, and the
# socket was 0600 to the node's user only (a service account's socket was
# unreachable by anyone else). A good config passes (exit 0) and names the
# socket, peers and store it would use; each bad one is refused (exit 1) with
# the problem named, and nothing is created; a node given a socket_group
# serves a socket of mode 0660 in that group, and (as root) a user of that
# group who is not the node's user gets `status` through it.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

KEY=$(printf 'ab%.0s' {1..32})
cat >"$T/good.conf" <<CONF
[node]
data = $T/good
site = lyon
[federation]
listen = tcp://127.0.0.1:7999
peer = tcp://127.0.0.1:7998=$KEY
[store]
block_cache = 16M
CONF
out=$("$RAISOND" --check-config --config "$T/good.conf")
assert_contains "$out" "config OK" "a good config"
assert_contains "$out" "data folder $T/good: absent, would be created" "the data folder"
assert_contains "$out" "would listen on tcp://127.0.0.1:7999" "the listen address"
assert_contains "$out" "peer $KEY: trusted, would dial tcp://127.0.0.1:7998" "the peer"
assert_contains "$out" "block cache 16777216 bytes" "the store's cache"
[[ ! -e $T/good ]] || fail "--check-config created the data folder"
json_out=$("$RAISOND" --check-config --config "$T/good.conf" --json)
assert_eq true "$(json 'j["ok"]' <<<"$json_out")" "ok in --json"

# each problem: exit 1, the problem named, nothing started or created
check_bad() {
    local what=$1 expect=$2
    shift 2
    local rc=0
    out=$("$RAISOND" --check-config "$@" 2>&1) || rc=$?
    assert_eq 1 "$rc" "exit status of --check-config with $what"
    assert_contains "$out" "$expect" "the problem with $what"
}
mkdir -m 755 "$T/open"
check_bad "a folder open to others" "is open to others (mode 0755)" --data "$T/open"
check_bad "a bad listen address" "listen 'tcp://nowhere': not an endpoint" \
    --data "$T/d1" --listen tcp://nowhere
check_bad "a bad peer endpoint" "is not tcp://HOST:PORT" --data "$T/d1" \
    --peer "tcp://x=$KEY"
check_bad "an unknown group" "socket_group 'nosuchgroup': no such group" \
    --data "$T/d1" --socket-group nosuchgroup
check_bad "a socket path too long" "a Unix socket path holds at most 107" \
    --data "$T/d1" --socket "$T/$(printf 'x%.0s' {1..110}).sock"
mkdir -m 700 "$T/keyed"
touch "$T/keyed/node.key"
chmod 644 "$T/keyed/node.key"
check_bad "a key others can read" "is readable by others (mode 0644)" --data "$T/keyed"
check_bad "a group socket inside the data folder" "socket is inside the data folder" \
    --data "$T/d1" --socket-group "$(id -gn)"
[[ ! -e $T/d1 ]] || fail "--check-config created a data folder"
# a malformed file: refused as a start refuses it (exit 2, the line named)
printf '[node]\nnosuchkey = 1\n' >"$T/bad.conf"
must_fail "a config with an unknown key" "$RAISOND" --check-config --config "$T/bad.conf"
assert_contains "$RSN_ERR" "unknown key 'nosuchkey' in [node]" "the unknown key"

# socket_group: the socket 0660 in the group, outside the data folder
group=$(id -gn)
mkdir -m 750 "$T/run"
mkdir -m 700 "$T/svc"
printf '[node]\ndata = %s\nsocket = %s\nsocket_group = %s\n' "$T/svc" "$T/run/raison.sock" \
    "$group" >"$T/svc.conf"
out=$("$RAISOND" --check-config --config "$T/svc.conf")
assert_contains "$out" "mode 0660, group $group" "the group socket in --check-config"
"$RAISOND" --config "$T/svc.conf" >>"$T/svc.log" 2>&1 &
RSN_OTHER_PIDS+=($!)
wait_for "the service node answers" "$RAISON" --socket "$T/run/raison.sock" status
assert_eq "660 $group" "$(stat -c '%a %G' "$T/run/raison.sock")" "mode and group of the socket"
assert_eq 700 "$(stat -c %a "$T/svc")" "mode of the node's data folder"
if [[ $(id -u) -eq 0 ]] && id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null; then
    # another user, in the socket's group only, reaches the node
    mkdir -m 750 "$T/run2"
    chgrp nogroup "$T/run2"
    chmod o+x "$T"
    mkdir -m 700 "$T/svc2"
    "$RAISOND" --data "$T/svc2" --socket "$T/run2/raison.sock" --socket-group nogroup \
        >>"$T/svc2.log" 2>&1 &
    RSN_OTHER_PIDS+=($!)
    wait_for "the nogroup node answers" "$RAISON" --socket "$T/run2/raison.sock" status
    out=$(runuser -u nobody -- env HOME=/tmp "$RAISON" --socket "$T/run2/raison.sock" status --json)
    assert_contains "$out" '"entries"' "status for a user of the socket's group"
    # and a user who is not in it does not
    mkdir -m 700 "$T/svc3"
    "$RAISOND" --data "$T/svc3" --socket "$T/run/raison3.sock" >>"$T/svc3.log" 2>&1 &
    RSN_OTHER_PIDS+=($!)
    wait_for "the private node answers" "$RAISON" --socket "$T/run/raison3.sock" status
    rc=0
    runuser -u nobody -- env HOME=/tmp "$RAISON" --socket "$T/run/raison3.sock" status \
        >/dev/null 2>&1 || rc=$?
    assert_ne 0 "$rc" "status for a user outside the group"
fi

# systemd's notify protocol (Type=notify): READY=1 once the socket answers,
# RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 on a stop; read from a
# datagram socket standing in for systemd's NOTIFY_SOCKET
"$PY" - "$T/notify.sock" >"$T/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
seen = []
while "STOPPING=1" not in seen:
    for line in s.recv(4096).decode().split("\n"):
        if line:
            seen.append(line)
            print(line, flush=True)
PY
listener=$!
RSN_OTHER_PIDS+=("$listener")
wait_for "the notify listener" test -S "$T/notify.sock"
mkdir -m 700 "$T/notified"
printf '[node]\nsite = lyon\n' >"$T/notified.conf"
NOTIFY_SOCKET=$T/notify.sock "$RAISOND" --data "$T/notified" --config "$T/notified.conf" \
    >>"$T/notified.log" 2>&1 &
npid=$!
wait_for "READY=1 from the node" grep -q '^READY=1' "$T/notify.out"
"$RAISON" --socket "$T/notified/raison.sock" status >/dev/null ||
    fail "the node said READY=1 before its socket answered"
kill -HUP "$npid"
wait_for "RELOADING=1 then READY=1 after SIGHUP" \
    bash -c "grep -A1 '^RELOADING=1' '$T/notify.out' | grep -q '^READY=1'"
kill -TERM "$npid"
wait_exit "$npid" "the notified node after SIGTERM"
wait_for "STOPPING=1 on a stop" grep -q '^STOPPING=1' "$T/notify.out"
assert_eq "READY=1 STATUS=serving RELOADING=1 READY=1 STOPPING=1" "$(tr '\n' ' ' <"$T/notify.out" | sed 's/ $//')" \
    "what the node told systemd"
echo "check-config, the group socket and sd_notify: all good"
