#!/usr/bin/env bash
# test_audit_include_fresh.sh — a proof of an entry just published, at once.
#
# A node signs a checkpoint, then alice publishes a post and asks at once
# for its inclusion proof, before the node signs again on its own: the node
# signs a fresh checkpoint that covers it (it used to answer "ask for a
# fresh checkpoint"), and the CLI says which checkpoint the proof is
# against, in text and JSON. The proof is then checked with no raison code:
# the checkpoint note's signature by openssl (as docs/audit.md does), and
# the RFC 9162 root recomputed from the leaf hash and the proof in Python
# must be the root the note signs. An entry the latest checkpoint covers
# already gets its proof against that one, and no new signing.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)
as alice id new >/dev/null 2>&1
as alice profile --name Alice --site paris >/dev/null
G=$(as alice --json charter new --name proofs --purpose "Prove at once" \
    --mission "now=Show it" --benefit "Trust" --data-policy "Kept" | json 'j["group"]')
rsn audit checkpoint --fresh >/dev/null
SIGNED=$(rsn --json audit checkpoint | json 'j["size"]')
assert_eq 2 "$SIGNED" "the checkpoint signed before the post"

# --- published, then proved at once ----------------------------------------------
P=$(as alice --json post "$G" --mission now "Just written" | json 'j["id"]')
OUT=$(rsn audit include "$P" --json) || fail "include of a post just published: $OUT"
assert_eq 3 "$(json 'j["tree_size"]' <<<"$OUT")" "the proof's tree size"
assert_eq 2 "$(json 'j["leaf_index"]' <<<"$OUT")" "the post's leaf"
assert_eq 3 "$(json 'j["checkpoint"]["size"]' <<<"$OUT")" "the checkpoint named in JSON"
NOTE=$(json 'j["checkpoint"]["note"]' <<<"$OUT")
assert_eq "$(rsn audit checkpoint)" "$NOTE" "the note is the node's latest signed checkpoint"
TEXT=$(rsn audit include "$P")
assert_contains "$TEXT" "verified (RFC 9162): the entry is leaf 2 of the tree of 3 leaves" "text"
assert_contains "$TEXT" "checkpoint size 3: the node's latest signed checkpoint" "text names it"

# --- checked by hand: the note's signature (openssl), the root (Python) ----------
VKEY=$(rsn audit key)
cd "$T"
NAME=${VKEY%%+*}
REST=${VKEY#*+}
printf '%s' "${REST#*+}" | base64 -d >vkey.bin
tail -c 32 vkey.bin >node.key
{
    echo '-----BEGIN PUBLIC KEY-----'
    { printf '302a300506032b6570032100' | xxd -r -p; cat node.key; } | base64
    echo '-----END PUBLIC KEY-----'
} >node.pem
printf '%s\n' "$NOTE" >note.txt
sed '/^$/,$d' note.txt >text.txt
assert_eq "$NAME" "$(sed -n 1p text.txt)" "the note's origin"
assert_eq 3 "$(sed -n 2p text.txt)" "the note's size"
grep "^— $NAME " note.txt | cut -d' ' -f3 | base64 -d | tail -c 64 >sig.bin
assert_contains "$(openssl pkeyutl -verify -rawin -pubin -inkey node.pem -in text.txt \
    -sigfile sig.bin 2>&1)" "Signature Verified Successfully" "openssl on the checkpoint"
ROOT=$("$PY" -c '
import base64, hashlib, json, sys
j = json.loads(sys.argv[1])
h = lambda b: hashlib.sha256(b).digest()
leaf = bytes.fromhex(sys.argv[2])
r = h(b"\0" + leaf)
assert r == base64.b64decode(j["leaf_hash"]), "leaf hash"
fn, sn = j["leaf_index"], j["tree_size"] - 1
for p in map(base64.b64decode, j["proof"]):
    assert sn != 0, "proof too long"
    if fn & 1 or fn == sn:
        r = h(b"\1" + p + r)
        while fn & 1 == 0 and fn != 0:
            fn >>= 1; sn >>= 1
    else:
        r = h(b"\1" + r + p)
    fn >>= 1; sn >>= 1
assert sn == 0, "proof too short"
print(base64.b64encode(r).decode())
' "$OUT" "$P")
assert_eq "$(sed -n 3p text.txt)" "$ROOT" "the root recomputed from the proof is the one signed"
echo "proof of the post just published: leaf 2 of 3, checkpoint 3 verified by openssl"

# --- an entry already covered: proved against the latest, nothing new signed ------
OLD=$(rsn audit include "$P" --size 2 --json 2>&1 || true)
assert_contains "$OLD" "not yet in the tree of size 2" "an explicit size too small still says so"
OUT=$(rsn audit include "$P" --json)
assert_eq 3 "$(json 'j["checkpoint"]["size"]' <<<"$OUT")" "asked again: the same checkpoint"
assert_eq "$NOTE" "$(json 'j["checkpoint"]["note"]' <<<"$OUT")" "the same note"
echo "ok"
