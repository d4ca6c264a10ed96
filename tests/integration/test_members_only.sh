#!/usr/bin/env bash
# test_members_only.sh — nobody enters a members-only group uninvited, and a
# removed member stays out, on two federated nodes (issue 9, finding 1).
#
# a and b run peered. alice (at a) founds a members-only group; bob (at b)
# has a seeded identity, so that api_tool and a Python snippet can sign as
# him too. Through the real CLI: bob's post is refused before any add; alice
# adds him (the add names his head as a held it); bob joins (the join names
# the add it answers); his post shows on both nodes. alice removes him (the
# remove names his seq as a held it): his post draft is refused with who
# removed him. Signed entries of bob sent raw past the remove — a post, a
# post whose timestamp claims a time before the remove, a join answering the
# old add and a post after it — are stored on both nodes but shown by none;
# `raison join` again without a new add is refused. alice adds him again:
# bob joins and posts, shown on both. At the end both nodes show the same
# timeline and the same members.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${RSN_SOURCE:-$(cd "$HERE/../.." && pwd)}
command -v protoc >/dev/null || fail "protoc not found: install protobuf-compiler (scripts/deps.sh)"
mkdir -p "$T/pb2"
protoc --python_out="$T/pb2" -I "$SRC/proto" "$SRC/proto/raison.proto"

fed_init a b
fed_start_peered a b
fed_start_peered b a
wait_connected a b
wait_connected b a

# bob's identity from a seed: a plain key file ("RSNKEY1" 0x00 seed public)
BOB_SEED=$(printf 'b0%.0s' {1..32})
BOB=$("$API_TOOL" "$(node_socket b)" pubkey "$BOB_SEED")
assert_hex64 "$BOB" "bob's key"
"$PY" - "$BOB_SEED" "$BOB" "$T/bob.key" <<'PYEOF'
import os, sys
seed, pub, path = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3]
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"RSNKEY1\x00" + seed + pub)
os.close(fd)
PYEOF
assert_eq "$BOB" "$(as_on b bob id show)" "the CLI reads bob's seeded identity"

fed_author ALICE a alice Alice paris
as_on b bob profile --name Bob --site lyon >/dev/null
S=$(as_on a alice --json charter new --name vault --purpose "Review access to production" \
    --mission "audits=Review every production access" --benefit "Nobody keeps old access" \
    --data-policy "Used for the audits only" --members-only | json 'j["group"]')
assert_hex64 "$S" "group id"
N=3
wait_converged "$N" a b

# timeline_ids NODE: the ids the group's timeline shows at NODE, oldest first.
timeline_ids() { on "$1" --json timeline "$S" --limit 100 | json '[p["id"] for p in reversed(j)]'; }
# signed_join ANSWERS: bob's next entry, a join answering ANSWERS, signed and
# published raw at b (no draft: the draft would refuse it); prints its id.
signed_join() {
    "$PY" - "$(node_socket b)" "$T/pb2" "$SRC/tests/integration/py" "$BOB_SEED" "$S" "$1" <<'PYEOF'
import hashlib, sys, time
import nacl.signing
sock, pb2, pydir, seed, group, answers = sys.argv[1:]
sys.path[:0] = [pb2, pydir]
import raison_pb2 as pb
import raison_client as rc
rc.pb = pb
client = rc.Client(sock)
key = nacl.signing.SigningKey(bytes.fromhex(seed))
public = bytes(key.verify_key)
head = client.head(public)
m = pb.Membership(group=bytes.fromhex(group), action=pb.ACTION_JOIN,
                  charter=bytes.fromhex(group), answers=bytes.fromhex(answers))
body = m.SerializeToString()
e = pb.Entry(author=public, seq=head.seq + 1, prev=head.id, timestamp=int(time.time() * 1000),
             kind=pb.KIND_MEMBERSHIP, body_hash=hashlib.sha256(body).digest(),
             body_size=len(body))
eb = e.SerializeToString()
sig = key.sign(rc.SIGN_CONTEXT + eb).signature
reply = client.publish(pb.SignedEntry(entry=eb, signature=sig, body=body))
assert reply.id == hashlib.sha256(eb).digest(), "the node stored another id"
print(reply.id.hex())
PYEOF
}
# raw_post TS TEXT: bob's next entry, a post stamped TS (ms), published raw
# at b; prints its id.
raw_post() {
    local out
    out=$("$API_TOOL" "$(node_socket b)" post-at "$BOB_SEED" "$S" audits "$1" "$2") ||
        fail "api_tool post-at: $out"
    sed -n 's/^id=\([0-9a-f]*\) code=0$/\1/p' <<<"$out"
}
# hidden ID: no node shows ID, and a says which rule it breaks.
hidden() {
    local name why
    for name in a b; do
        shows_post "$name" "$S" "$1" && fail "node $name shows bob's post $1"
    done
    why=$("$API_TOOL" "$(node_socket a)" invalid "$1") || fail "post $1 keeps the rules at a"
    assert_contains "$why" "member" "why post $1 is shown by no node"
}

# --- before any add: bob may not post, nor join ---------------------------------
must_fail "bob's post before any add" as_on b bob post "$S" --mission audits "Let me in"
assert_contains "$RSN_ERR" "members-only" "the refusal says the group is members-only"
assert_contains "$RSN_ERR" "add" "the refusal says an owner must add him"
must_fail "bob's join before any add" as_on b bob join "$S" --yes
assert_contains "$RSN_ERR" "must add you" "the refused join says why"
assert_eq "$N" "$(st b entries)" "entries at b after the refusals"

# --- alice adds bob; bob's join answers the add ---------------------------------
ADD=$(as_on a alice --json add "$S" "$BOB")
ADD1=$(json 'j["id"]' <<<"$ADD")
assert_eq 1 "$(json 'j["member_seq"]' <<<"$ADD")" "the add names bob's head as a held it"
N=$((N + 1))
wait_converged "$N" a b
JOIN=$(as_on b bob --json join "$S" --yes)
assert_eq "$ADD1" "$(json 'j["answers"]' <<<"$JOIN")" "bob's join answers alice's add"
P1=$(as_on b bob --json post "$S" --mission audits "Lyon's accesses are reviewed" | json 'j["id"]')
N=$((N + 2))
wait_converged "$N" a b
wait_post a "$S" "$P1"
wait_post b "$S" "$P1"
assert_contains "$(on a --json group "$S" | json '[m["key"] for m in j["members"]]')" "$BOB" \
    "bob is a member at a"

# --- alice removes bob: his later posts are shown by no node --------------------------
BEFORE_REMOVE=$(($(date +%s%3N) - 1000))
REMOVE=$(as_on a alice --json remove "$S" "$BOB")
assert_eq 3 "$(json 'j["member_seq"]' <<<"$REMOVE")" "the remove names bob's seq as a held it"
N=$((N + 1))
wait_converged "$N" a b
must_fail "bob's post draft after the remove" as_on b bob post "$S" --mission audits "Still here"
assert_contains "$RSN_ERR" "you were removed from group 'vault' by Alice" \
    "the refusal says who removed bob"
assert_eq "$N" "$(st b entries)" "a refused draft signs nothing"

PR=$(raw_post "$(date +%s%3N)" "signed past the remove")
PB=$(raw_post "$BEFORE_REMOVE" "dated before the remove, written after it")
assert_hex64 "$PR" "the raw post past the remove is stored"
assert_hex64 "$PB" "the backdated post is stored"
N=$((N + 2))
wait_converged "$N" a b
hidden "$PR"
hidden "$PB"

# --- a join without a new add opens nothing ---------------------------------------------
must_fail "bob's join again without a new add" as_on b bob join "$S" --yes
assert_contains "$RSN_ERR" "removed" "the refused join says bob was removed"
J2=$(signed_join "$ADD1")
assert_hex64 "$J2" "bob's signed join answering the old add is stored"
PJ=$(raw_post "$(date +%s%3N)" "after a join answering the old add")
N=$((N + 2))
wait_converged "$N" a b
hidden "$PJ"
must_fail "bob's post draft after that join" as_on b bob post "$S" --mission audits "Now?"
assert_contains "$RSN_ERR" "removed" "still removed"
assert_not_contains "$(on b --json group "$S" | json '[m["key"] for m in j["members"]]')" "$BOB" \
    "bob is no member at b"

# --- a new add lets him back ---------------------------------------------------------------
ADD2=$(as_on a alice --json add "$S" "$BOB" | json 'j["id"]')
N=$((N + 1))
wait_converged "$N" a b
assert_eq "$ADD2" "$(as_on b bob --json join "$S" --yes | json 'j["answers"]')" \
    "bob's new join answers the new add"
P2=$(as_on b bob --json post "$S" --mission audits "Back, with a new add" | json 'j["id"]')
N=$((N + 2))
wait_converged "$N" a b
wait_post a "$S" "$P2"
wait_post b "$S" "$P2"

# --- both nodes show the same -------------------------------------------------------------
assert_eq "[\"$P1\",\"$P2\"]" "$(timeline_ids a)" "the timeline at a"
assert_eq "$(timeline_ids a)" "$(timeline_ids b)" "the timelines of a and b"
assert_eq "$(on a --json group "$S" | json 'sorted(m["key"] for m in j["members"])')" \
    "$(on b --json group "$S" | json 'sorted(m["key"] for m in j["members"])')" \
    "the members at a and b"
assert_contains "$(on b --json group "$S" | json '[m["key"] for m in j["members"]]')" "$BOB" \
    "bob is a member again"
fed_stop_all
echo "test_members_only: ok"
