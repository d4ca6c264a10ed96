#!/usr/bin/env bash
# test_python_client.sh — a client in another language interoperates.
#
# Starts a real raisond on a fresh data folder, generates Python code from
# proto/raison.proto with protoc, and runs tests/integration/py/raison_client.py
# against the node: it signs with its own Ed25519 key (PyNaCl) and, following
# the publish sequence of docs/api.md (draft, then sign what the node answers),
# publishes a profile, a charter and a post, reads them back, and checks that a
# draft breaking a rule and a bad signature are refused. Needs /usr/bin/python3 with python3-zmq, python3-protobuf,
# python3-nacl and protoc (protobuf-compiler); scripts/deps.sh installs them
# (RSN_PYTHON may name another interpreter).
# Environment (set by ctest): RSN_BUILD, RSN_SOURCE.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RSN_SOURCE=${RSN_SOURCE:-$(cd "$HERE/../.." && pwd)}
RSN_BUILD=${RSN_BUILD:?RSN_BUILD must name the build folder}
PY=${RSN_PYTHON:-/usr/bin/python3} # Debian's, where deps.sh installs the modules

fail() {
    echo "test_python_client: $*" >&2
    exit 1
}

[[ -x $PY ]] || fail "$PY not found: run scripts/deps.sh (installs python3)"
if ! missing=$($PY - <<'PYEOF' 2>&1
import importlib
missing = []
for mod, pkg in (("zmq", "python3-zmq"), ("google.protobuf", "python3-protobuf"),
                 ("nacl.signing", "python3-nacl")):
    try:
        importlib.import_module(mod)
    except ImportError:
        missing.append(pkg)
if missing:
    print(" ".join(missing))
    raise SystemExit(1)
PYEOF
); then
    fail "$PY lacks Python modules; install: $missing (scripts/deps.sh does)"
fi
command -v protoc >/dev/null || fail "protoc not found: install protobuf-compiler (scripts/deps.sh)"
[[ -x $RSN_BUILD/raisond ]] || fail "$RSN_BUILD/raisond not built"
[[ -x $RSN_BUILD/raison ]] || fail "$RSN_BUILD/raison not built"

TMP=$(mktemp -d /tmp/rsnpyXXXXXX)
NODE_PID=
cleanup() {
    if [[ -n $NODE_PID ]] && kill -0 "$NODE_PID" 2>/dev/null; then
        kill -TERM "$NODE_PID" 2>/dev/null || true
        wait "$NODE_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

DATA=$TMP/d
SOCK=$DATA/raison.sock
mkdir -p "$DATA" "$TMP/pb2"
chmod 700 "$DATA"

protoc --python_out="$TMP/pb2" -I "$RSN_SOURCE/proto" "$RSN_SOURCE/proto/raison.proto"

"$RSN_BUILD/raisond" --data "$DATA" --site py-site --socket "$SOCK" 2>"$TMP/node.log" &
NODE_PID=$!

# wait until the node answers (never a fixed sleep)
deadline=$((SECONDS + 30))
until [[ -S $SOCK ]] && "$RSN_BUILD/raison" --socket "$SOCK" status >/dev/null 2>&1; do
    if ! kill -0 "$NODE_PID" 2>/dev/null; then
        cat "$TMP/node.log" >&2
        NODE_PID=
        fail "raisond exited before answering"
    fi
    if ((SECONDS > deadline)); then
        cat "$TMP/node.log" >&2
        fail "raisond did not answer on $SOCK within 30 s"
    fi
    sleep 0.05
done

rc=0
$PY "$RSN_SOURCE/tests/integration/py/raison_client.py" --socket "$SOCK" --pb2 "$TMP/pb2" || rc=$?

kill -TERM "$NODE_PID" 2>/dev/null || true
node_rc=0
wait "$NODE_PID" || node_rc=$?
NODE_PID=
if ((rc != 0)); then
    echo "--- raisond log" >&2
    cat "$TMP/node.log" >&2
    fail "the Python client failed (exit $rc)"
fi
if ((node_rc != 0)); then
    cat "$TMP/node.log" >&2
    fail "raisond exited with $node_rc on SIGTERM"
fi
echo "test_python_client: passed"
