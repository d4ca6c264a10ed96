#!/usr/bin/env bash
# test_publish_sequence.sh — the CLI never signs two entries for one seq
# (issue 8, finding 1: a refused publish, or a node answering ERROR_INTERNAL
# or ERROR_BUSY, made the CLI sign a second entry for the same seq, and the
# pair, sent as fork evidence, froze the feed on every node for good).
#
# `raison` talks to tests/integration/fake_node.py, which forwards to a real
# raisond but answers chosen publishes with ERROR_INTERNAL or ERROR_BUSY (not
# forwarded), stores one and lies about it, or drops one (a timeout), and
# records every signed entry it is sent. Then:
#  - a refused draft (a mistyped mission, a post before joining a
#    members-only group) signs nothing: no publish reaches the node;
#  - after each failure the same bytes are resent, by the next publish or by
#    `raison pending`, and every post arrives in the end;
#  - a post names the charter version the draft answered (Post.charter);
#  - two copies of one identity file share one lock: a held lock makes a
#    publish fail clearly within its timeout, and two publishes at once are
#    serialized, no fork;
#  - a stale pending entry whose seq now holds another entry (the key used
#    from another machine) is kept, never sent, and publishing is refused
#    with a clear message;
#  - over the whole run, no two different entries for one (author, seq)
#    ever reached the fake node, and the real node holds no fork.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${RSN_SOURCE:-$(cd "$HERE/../.." && pwd)}
command -v protoc >/dev/null || fail "protoc not found: install protobuf-compiler (scripts/deps.sh)"

start_node n1 --site paris
REAL=$(node_socket n1)
mkdir -p "$T/pb2"
protoc --python_out="$T/pb2" -I "$SRC/proto" "$SRC/proto/raison.proto"
FAKE=$T/fake.sock
RULES=$T/fake.rules
RECORD=$T/fake.record
: >"$RULES"
: >"$RECORD"
"$PY" "$HERE/fake_node.py" --listen "$FAKE" --upstream "$REAL" --pb2 "$T/pb2" --rules "$RULES" \
    --record "$RECORD" 2>"$T/fake.log" &
RSN_OTHER_PIDS+=($!)
wait_for "the fake node's socket" test -S "$FAKE"

# alice talks to the fake node; bob to the real one
alice() { RSN_SOCKET=$FAKE as alice "$@"; }
bob() { RSN_SOCKET=$REAL as bob "$@"; }
publishes() { grep -c '"call": "publish"' "$RECORD" || true; }
drafts() { grep -c '"call": "draft"' "$RECORD" || true; }
rules() { printf '%s\n' "$@" >"$RULES"; }
status_field() { RSN_SOCKET=$REAL rsn --json status | json "j[\"$1\"]"; }

# no_second_signature WHAT: every (author, seq) the fake node was sent has
# one entry id, however many times it was sent.
no_second_signature() {
    local out
    out=$("$PY" - "$RECORD" <<'PYEOF'
import json, sys
ids = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["call"] == "publish":
        ids.setdefault((r["author"], r["seq"]), set()).add(r["id"])
bad = {k: v for k, v in ids.items() if len(v) > 1}
print("; ".join("seq %d of %s...: %d entries" % (k[1], k[0][:12], len(v))
                for k, v in sorted(bad.items())) or "ok")
PYEOF
    )
    assert_eq ok "$out" "$1: no two different signed entries for one (author, seq)"
}

as alice id new >/dev/null 2>&1
as bob id new >/dev/null 2>&1
ALICE=$(as alice --json id show | json 'j["key"]')
alice profile --name Alice --site paris >/dev/null
G=$(alice --json charter new --name ops --purpose "Run the service" --mission "ops=Keep it up" \
    --benefit "Fewer pages" --data-policy "Posts stay in the group" | json 'j["group"]')
M=$(bob --json charter new --name closed --purpose "Owners only" --mission "plan=Plan" \
    --benefit "Focus" --data-policy "Posts stay" --members-only | json 'j["group"]')
wait_for "the members-only group through the fake node" alice group "$M"

# --- a refused draft signs nothing ---------------------------------------------
P0=$(publishes)
D0=$(drafts)
must_fail "a post to a mistyped mission" alice post "$G" --mission opz "typo"
assert_contains "$RSN_ERR" "no mission 'opz'" "why the mistyped mission is refused"
must_fail "a post before joining a members-only group" alice post "$M" --mission plan "early"
assert_contains "$RSN_ERR" "members-only" "why the early post is refused"
assert_eq "$P0" "$(publishes)" "signed entries sent for refused drafts"
assert_eq $((D0 + 2)) "$(drafts)" "drafts the fake node judged"
no_second_signature "refused drafts"

# --- ERROR_INTERNAL, not stored: the next publish resends the same bytes first ---
rules internal
must_fail "a post answered ERROR_INTERNAL" alice post "$G" --mission ops "p1"
assert_contains "$RSN_ERR" "will be resent" "the CLI says the entry stays pending"
PENDING=$HOME/.local/state/raison/keys/$ALICE/pending
[[ -s $PENDING ]] || fail "no pending file at $PENDING after ERROR_INTERNAL"
# as a user would: post again. The old CLI dropped p1 and signed p1b for the
# same seq (two signatures: fork evidence for anyone to send)
alice post "$G" --mission ops "p1b" >/dev/null
no_second_signature "a retry after ERROR_INTERNAL"
[[ ! -e $PENDING ]] || fail "the pending file is left after the entry was stored"

# --- ERROR_BUSY --------------------------------------------------------------------
rules busy
must_fail "a post answered ERROR_BUSY" alice post "$G" --mission ops "p2"
alice post "$G" --mission ops "p3" >/dev/null
no_second_signature "a retry after ERROR_BUSY"

# --- stored, and the node lies: the resend is a duplicate, seen as stored ------
rules internal-after
must_fail "a post stored but answered ERROR_INTERNAL" alice post "$G" --mission ops "p4"
alice post "$G" --mission ops "p5" >/dev/null
no_second_signature "a node that stores and lies"

# --- no answer at all: `raison pending` shows and resends it ------------------
rules drop drop drop drop
must_fail "a post never answered" alice --timeout-ms 300 post "$G" --mission ops "p6"
OUT=$(alice --json pending)
assert_eq true "$(json 'j["stored"]' <<<"$OUT")" "raison pending: stored"
assert_eq post "$(json 'j["pending"]["kind"]' <<<"$OUT")" "raison pending: the kind"
assert_eq null "$(alice --json pending | json 'j["pending"]')" "raison pending with nothing pending"
assert_eq "nothing pending" "$(alice pending)" "raison pending, text"
no_second_signature "a timeout, then raison pending"

# every post arrived, once
TL=$(RSN_SOCKET=$REAL rsn --json timeline "$G")
for p in p1 p1b p2 p3 p4 p5 p6; do
    assert_eq 1 "$(json "len([x for x in j if x['text'] == '$p'])" <<<"$TL")" "post $p in the timeline"
done
assert_eq 0 "$(status_field forks)" "forks at the real node"

# every post names the charter version the draft answered (v1: the group id)
NAMED=$("$PY" - "$RECORD" "$T/pb2" <<'PYEOF'
import json, sys
sys.path.insert(0, sys.argv[2])
import raison_pb2 as pb
out = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["call"] == "publish" and r["kind"] == pb.KIND_POST:
        out.add(pb.Post.FromString(bytes.fromhex(r["body"])).charter.hex())
print(" ".join(sorted(out)))
PYEOF
)
assert_eq "$G" "$NAMED" "Post.charter of every post: the charter version from the draft"

# --- two copies of one identity file share one lock ------------------------------
cp "$T/alice.key" "$T/alice2.key"
alice2() { RSN_SOCKET=$FAKE as alice2 "$@"; }
LOCK=$HOME/.local/state/raison/keys/$ALICE/lock
P0=$(publishes)
exec {HOLD}>"$LOCK"
flock -n "$HOLD" || fail "cannot take $LOCK for the test"
start=$SECONDS
must_fail "a publish while the key's lock is held" alice2 --timeout-ms 500 post "$G" --mission ops "locked"
assert_contains "$RSN_ERR" "another raison is publishing with this key" "why the publish waits no more"
((SECONDS - start < 10)) || fail "the publish waited $((SECONDS - start)) s for a held lock"
exec {HOLD}>&-
assert_eq "$P0" "$(publishes)" "entries signed while the lock was held"
# two at once, one through each copy: one waits for the other
alice post "$G" --mission ops "twin a" >"$T/twin-a.out" 2>"$T/twin-a.err" &
A_PID=$!
alice2 post "$G" --mission ops "twin b" >"$T/twin-b.out" 2>"$T/twin-b.err" &
B_PID=$!
wait "$A_PID" || fail "twin a failed: $(cat "$T/twin-a.err")"
wait "$B_PID" || fail "twin b failed: $(cat "$T/twin-b.err")"
no_second_signature "two copies of the key at once"
assert_eq 0 "$(status_field forks)" "forks after two copies published at once"

# --- a stale pending entry whose seq now holds another entry ---------------------
rules internal
must_fail "a post answered ERROR_INTERNAL (to be left pending)" alice post "$G" --mission ops "stale"
SUM=$(sha256sum <"$PENDING")
# the same key from another machine (its own state folder) takes that seq
XDG_STATE_HOME=$T/elsewhere RSN_SOCKET=$REAL as alice2 post "$G" --mission ops "elsewhere" >/dev/null
P0=$(publishes)
must_fail "a publish while a conflicting entry is pending" alice post "$G" --mission ops "after"
assert_contains "$RSN_ERR" "a different entry for that seq" "why nothing is published"
assert_contains "$RSN_ERR" "$PENDING" "the message names the pending file"
assert_eq "$SUM" "$(sha256sum <"$PENDING")" "the pending file is kept as it was"
must_fail "raison pending with a conflicting entry" alice pending
assert_contains "$RSN_ERR" "a different entry for that seq" "raison pending says why"
assert_eq "$P0" "$(publishes)" "entries sent while a conflicting entry is pending"
assert_eq 0 "$(status_field forks)" "forks after the stale pending entry"
HEAD=$("$API_TOOL" "$REAL" head "$ALICE")
assert_contains "$HEAD" "frozen=0" "alice's feed is not frozen"
no_second_signature "the whole run"

stop_node n1
echo "PASS test_publish_sequence"
