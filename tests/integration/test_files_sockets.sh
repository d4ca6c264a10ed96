#!/usr/bin/env bash
# test_files_sockets.sh — the node's files are its owner's, and its socket path
# is never taken from anyone.
#
# Issue 9: the API socket was chmod-ed only after the bind, an existing data
# folder was not checked, the database files were 0644 under umask 022, and
# `--socket PATH` unlinked whatever was at PATH (two nodes with different data
# folders could take each other's socket). Started under umask 022, a node's
# folder is 0700 and its socket, node key and database files 0600; a data
# folder others can enter (or another user owns) is refused; `--socket` on a
# regular file is refused and the file left intact; `--socket` on a live
# node's socket, or on a socket another program answers on, is refused and
# that node keeps answering; a stale socket (after kill -9) is replaced.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

umask 022
start_node a
assert_eq 700 "$(stat -c %a "$T/a")" "mode of a's data folder"
assert_eq 600 "$(stat -c %a "$(node_socket a)")" "mode of a's API socket"
assert_eq 600 "$(stat -c %a "$T/a/node.key")" "mode of a's node key"
files=$(find "$T/a/db" -type f | wc -l)
((files > 0)) || fail "a's database has no files"
assert_eq "" "$(find "$T/a" -perm /077 ! -type l)" "files of a others may use"

# a data folder others can enter
mkdir -m 755 "$T/open"
must_fail "raisond on a folder of mode 755" timeout 20 "$RAISOND" --data "$T/open"
assert_contains "$RSN_ERR" "open to others" "the refusal of an open folder"
assert_eq "" "$(ls "$T/open")" "what raisond left in the open folder"
if [[ $(id -u) -eq 0 ]]; then
    mkdir -m 700 "$T/foreign"
    chown nobody "$T/foreign"
    must_fail "raisond on a folder of another user" timeout 20 "$RAISOND" --data "$T/foreign"
    assert_contains "$RSN_ERR" "belongs to another user" "the refusal of a foreign folder"
fi

# --socket on a regular file: refused, the file intact
echo "precious" >"$T/file.sock"
mkdir -m 700 "$T/b"
must_fail "raisond --socket on a regular file" timeout 20 \
    "$RAISOND" --data "$T/b" --socket "$T/file.sock"
assert_contains "$RSN_ERR" "not a socket" "the refusal of a regular file"
assert_eq "precious" "$(cat "$T/file.sock")" "the regular file after the refusal"

# --socket on another live node's socket: refused, a keeps answering
must_fail "raisond --socket on a's socket" timeout 20 \
    "$RAISOND" --data "$T/b" --socket "$(node_socket a)"
assert_contains "$RSN_ERR" "held by another raisond" "the refusal of a live node's socket"
node_answers a || fail "a stopped answering after b tried its socket"

# a socket another program answers on (no lock of ours there)
"$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[1] + ".ready", "w").close()
time.sleep(60)
' "$T/other.sock" &
RSN_OTHER_PIDS+=($!)
wait_for "the other program's socket" test -e "$T/other.sock.ready"
must_fail "raisond --socket on a live socket of another program" timeout 20 \
    "$RAISOND" --data "$T/b" --socket "$T/other.sock"
assert_contains "$RSN_ERR" "in use" "the refusal of a live socket"
[[ -S "$T/other.sock" ]] || fail "the other program's socket was removed"

# a stale socket (the node was killed) is replaced
kill9_node a
[[ -S "$(node_socket a)" ]] || fail "kill -9 left no socket file"
start_node a
assert_eq 600 "$(stat -c %a "$(node_socket a)")" "mode of a's socket after the restart"
stop_node a
echo "test_files_sockets: ok"
