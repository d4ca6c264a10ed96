#!/usr/bin/env bash
# test_audit_export.sh — `raison audit export` and `verify-export`, and the
# proofs of `audit prove` / `audit include` checked by an independent verifier.
#
# One node gets profiles, a charter, a membership, posts, a reply, an erased
# post and a fork (the same author signing two entries 1, via api_tool). Its
# export must verify and say what it holds. Tampered copies must fail, each
# with the line named: a flipped byte in an entry's base64 (decoding to other
# bytes), a flipped signature, a deleted line, two swapped lines, a
# checkpoint grafted from a second node's export, a changed body, a damaged
# fork line, a missing last line, a line appended after the checkpoint; then
# one bit flipped at every STRIDE-th byte of the whole file (RSN_FLIP_STRIDE,
# default 3, with the bit cycling) must each fail. Last, `audit prove --json`
# for every old size and `audit include --json` for every entry are checked
# by an RFC 9162 verifier written here in Python (hashlib only), which first
# proves itself against every vector of testdata/rfc9162 (rejections
# included); the roots are recomputed from the export's ids, and tampered
# proofs must be rejected by it.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

STRIDE=${RSN_FLIP_STRIDE:-3}

# --- an independent RFC 9162 verifier --------------------------------------------------
cat >"$T/rfc9162.py" <<'EOF'
"""RFC 9162 verification (2.1.3.2 inclusion, 2.1.4.2 consistency), written
from the RFC, for checking raison's proofs without raison's code.

  rfc9162.py vectors DIR               every vector of DIR/{inclusion,consistency}
  rfc9162.py consistency EXPORT JSON   a `raison audit prove --json` output
  rfc9162.py inclusion EXPORT ID JSON  a `raison audit include --json` output
"""
import base64, glob, hashlib, json, os, sys

MAX = (1 << 63) - 1


def H(b):
    return hashlib.sha256(b).digest()


def node(left, right):
    return H(b"\x01" + left + right)


def leaf(data):
    return H(b"\x00" + data)


def verify_inclusion(index, size, leaf_hash, proof, root):
    if not (0 <= index < size <= MAX) or any(len(p) != 32 for p in proof):
        return False
    if len(leaf_hash) != 32 or len(root) != 32:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, proof):
    if not (0 < first <= second <= MAX) or any(len(p) != 32 for p in proof):
        return False
    if first == second:
        return len(proof) == 0 and first_hash == second_hash
    if len(proof) == 0 or len(first_hash) != 32 or len(second_hash) != 32:
        return False
    if first & (first - 1) == 0:
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_hash and sr == second_hash


def mth(leaves):
    n = len(leaves)
    if n == 0:
        return H(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def b64(s):
    return base64.b64decode(s, validate=True)


def export_leaves(path):
    out = []
    with open(path) as f:
        for line in f:
            j = json.loads(line)
            if j["type"] == "entry":
                assert j["index"] == len(out)
                out.append((j["id"], leaf(bytes.fromhex(j["id"]))))
    return out


def vectors(d):
    n = 0
    for path in sorted(glob.glob(os.path.join(d, "inclusion", "**", "*.json"), recursive=True)):
        v = json.load(open(path))
        ok = verify_inclusion(v["leafIdx"], v["treeSize"], b64(v["leafHash"]),
                              [b64(p) for p in v["proof"] or []], b64(v["root"]))
        if ok == v["wantErr"]:
            sys.exit("inclusion vector %s: verifier says %s" % (path, ok))
        n += 1
    for path in sorted(glob.glob(os.path.join(d, "consistency", "**", "*.json"), recursive=True)):
        v = json.load(open(path))
        ok = verify_consistency(v["size1"], v["size2"], b64(v["root1"] or ""),
                                b64(v["root2"] or ""), [b64(p) for p in v["proof"] or []])
        if ok == v["wantErr"]:
            sys.exit("consistency vector %s: verifier says %s" % (path, ok))
        n += 1
    if n < 100:
        sys.exit("only %d vectors in %s" % (n, d))
    print("vectors", n)


def flipped(proof, i):
    p = list(proof)
    p[i] = bytes([p[i][0] ^ 1]) + p[i][1:]
    return p


def consistency(export, doc):
    j = json.loads(doc)
    assert list(j) == ["old_size", "new_size", "old_root", "new_root", "proof"], list(j)
    leaves = [h for _, h in export_leaves(export)]
    m, n = j["old_size"], j["new_size"]
    old_root, new_root = b64(j["old_root"]), b64(j["new_root"])
    proof = [b64(p) for p in j["proof"]]
    if old_root != mth(leaves[:m]) or new_root != mth(leaves[:n]):
        sys.exit("roots are not those of the export's first %d and %d entries" % (m, n))
    if not verify_consistency(m, n, old_root, new_root, proof):
        sys.exit("consistency proof %d -> %d does not verify" % (m, n))
    # the verifier is not a rubber stamp
    for i in range(len(proof)):
        assert not verify_consistency(m, n, old_root, new_root, flipped(proof, i))
    if m < n:
        assert not verify_consistency(m, n, new_root, old_root, proof)
        assert not verify_consistency(m, n, old_root, new_root, proof[:-1])
    print("consistency %d -> %d ok, %d hashes" % (m, n, len(proof)))


def inclusion(export, entry_id, doc):
    j = json.loads(doc)
    # issue 9: the proof names the signed checkpoint it is against
    assert list(j) == ["leaf_index", "tree_size", "root", "leaf_hash", "proof",
                       "checkpoint"], list(j)
    leaves = export_leaves(export)
    i, n = j["leaf_index"], j["tree_size"]
    if leaves[i][0] != entry_id:
        sys.exit("leaf %d of the export is not %s" % (i, entry_id))
    lh, root = b64(j["leaf_hash"]), b64(j["root"])
    if lh != leaf(bytes.fromhex(entry_id)):
        sys.exit("leaf_hash is not SHA-256(0x00 || id)")
    if root != mth([h for _, h in leaves[:n]]):
        sys.exit("root is not that of the export's first %d entries" % n)
    proof = [b64(p) for p in j["proof"]]
    if not verify_inclusion(i, n, lh, proof, root):
        sys.exit("inclusion proof of leaf %d in %d does not verify" % (i, n))
    for k in range(len(proof)):
        assert not verify_inclusion(i, n, lh, flipped(proof, k), root)
    if n > 1:
        assert not verify_inclusion((i + 1) % n, n, lh, proof, root)
    print("inclusion %d of %d ok" % (i, n))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "vectors":
        vectors(sys.argv[2])
    elif cmd == "consistency":
        consistency(sys.argv[2], sys.stdin.read())
    elif cmd == "inclusion":
        inclusion(sys.argv[2], sys.argv[3], sys.stdin.read())
    else:
        sys.exit("unknown command " + cmd)
EOF
RFC="$PY $T/rfc9162.py"
VECTORS="${RSN_TESTDATA:-$(dirname "${BASH_SOURCE[0]}")/../../../shared/testdata}/rfc9162"
[[ -d $VECTORS ]] || fail "no RFC 9162 vectors at $VECTORS"
$RFC vectors "$VECTORS"

# --- a node with a little of everything, and a fork ------------------------------
start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)
as alice id new >/dev/null 2>&1
BOB=$(as bob id new 2>/dev/null)
as alice profile --name Alice --site paris >/dev/null
as bob profile --name Bob --site lyon >/dev/null
G=$(as alice --json charter new --name exported --purpose "Be exported" \
    --mission "m=Leave a trace" --benefit "Accountability" \
    --data-policy "Kept for audits" | json 'j["group"]')
as bob join "$G" --yes >/dev/null
P1=$(as alice --json post "$G" --mission m "First post" | json 'j["id"]')
R1=$(as bob --json reply "$P1" "A reply" | json 'j["id"]')
P2=$(as alice --json post "$G" --mission m "Soon erased" | json 'j["id"]')
as alice retract "$P2" --erase >/dev/null
SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
"$API_TOOL" "$RSN_SOCKET" publish-seq1 "$SEED" "branch x" >/dev/null ||
    fail "publishing the forker's first entry 1"
"$API_TOOL" "$RSN_SOCKET" publish-seq1 "$SEED" "branch y" >/dev/null 2>&1 || true
assert_eq 1 "$(rsn --json status | json 'j["forks"]')" "forks held by the node"
LOG_SIZE=$(rsn --json status | json 'j["log_size"]')
assert_eq 9 "$LOG_SIZE" "log size (2 profiles, charter, join, 2 posts, reply, retraction, x)"

# --- export and verify-export ---------------------------------------------------------
E="$T/export.jsonl"
OUT=$(rsn audit export "$E")
assert_contains "$OUT" "9 entries, 1 fork" "export summary"
[[ ! -e "$E.tmp" ]] || fail "export left $E.tmp behind"
LINES=$(wc -l <"$E")
assert_eq $((LOG_SIZE + 3)) "$LINES" "lines: header, 9 entries, 1 fork, checkpoint"
HEADER=$(head -n 1 "$E")
VKEY=$(rsn audit key)
assert_match "$HEADER" '^\{"type":"header","format":"raison-audit-export","version":1,"node":"[0-9a-f]{64}","vkey":"[^"]+","tree_size":9\}$' \
    "the header line, keys in order"
assert_contains "$HEADER" "\"vkey\":\"$VKEY\"" "the header's vkey is audit key's"
NODE=$(json 'j["node"]' <<<"$HEADER")
assert_eq "raison/$NODE" "${VKEY%%+*}" "the vkey's name is raison/ + node"
assert_eq "$NODE" "$(rsn status | sed -n 's/^node *//p')" "the header's node is the node key"
assert_match "$(sed -n 2p "$E")" \
    '^\{"type":"entry","index":0,"id":"[0-9a-f]{64}","author":"[0-9a-f]{64}","seq":1,"entry":"[A-Za-z0-9+/=]+","signature":"[A-Za-z0-9+/]{86}==","body":"[A-Za-z0-9+/=]+"\}$' \
    "an entry line, keys in order"
assert_contains "$(grep "\"id\":\"$P2\"" "$E")" '"body":null}' "the erased post's body"
FORK_N=$((LINES - 1))
assert_match "$(sed -n "${FORK_N}p" "$E")" \
    '^\{"type":"fork","author":"[0-9a-f]{64}","seq":1,"a":\{"entry":"[^"]+","signature":"[^"]+"\},"b":\{"entry":"[^"]+","signature":"[^"]+"\}\}$' \
    "the fork line, keys in order"
assert_match "$(tail -n 1 "$E")" '^\{"type":"checkpoint","note":"raison/[0-9a-f]{64}\\n9\\n[A-Za-z0-9+/]{43}=\\n\\n— raison/' \
    "the checkpoint line"
assert_eq "" "$(tail -c 1 "$E" | tr -d '\n')" "the file ends with a newline"

V=$(rsn --json audit verify-export "$E")
assert_eq '[true,9,3,1,1,9]' \
    "$(json '[j["ok"], j["entries"], j["authors"], j["erased"], j["forks"], j["tree_size"]]' \
        <<<"$V")" "verify-export: ok, entries, authors (alice, bob, the forker), erased, forks, size"
ROOT=$(json 'j["root"]' <<<"$V")
assert_contains "$(tail -n 1 "$E")" "\\n9\\n$ROOT\\n" "the root verify-export computed is the signed one"
TEXT=$(rsn audit verify-export "$E")
assert_contains "$TEXT" "the export verifies" "verify-export text"
assert_contains "$TEXT" "erased bodies 1" "verify-export text: erased bodies"

# verify-export needs no node
stop_node n1
"$RAISON" --socket "$T/nowhere.sock" audit verify-export "$E" >/dev/null ||
    fail "verify-export needs a node"
start_node n1 --site paris

# --- tampered copies -----------------------------------------------------------------
# refused WHAT FILE EXPECTED: verify-export fails with EXPECTED in its message
refused() {
    must_fail "$1" "$RAISON" audit verify-export "$2"
    assert_contains "$RSN_ERR" "$3" "$1"
    assert_contains "$RSN_ERR" "does NOT verify" "$1"
}
# edit LINE_N PYTHON-EXPR: a copy of the export where line N (a dict `j`) is
# replaced by EXPR's value, re-serialized compact in the same key order
edit() {
    "$PY" - "$E" "$1" "$2" <<'EOF'
import base64, json, sys
path, n, expr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(path, encoding="utf-8").read().split("\n")[:-1]
j = json.loads(lines[n - 1])
def b(s): return base64.b64decode(s)
def e(x): return base64.b64encode(x).decode()
def flip(s, i): x = bytearray(b(s)); x[i] ^= 0x10; return e(bytes(x))
exec(expr)
lines[n - 1] = json.dumps(j, separators=(",", ":"), ensure_ascii=False)
sys.stdout.write("\n".join(lines) + "\n")
EOF
}
B="$T/bad.jsonl"

edit 4 'j["entry"] = flip(j["entry"], 50)' >"$B"
refused "a flipped byte in an entry's base64" "$B" "line 4: id is not the SHA-256 of the entry bytes"

edit 5 'j["signature"] = flip(j["signature"], 7)' >"$B"
refused "a flipped signature byte" "$B" "line 5: signature does not verify"

P1_N=$(grep -n "\"id\":\"$P1\"" "$E" | cut -d: -f1)
edit "$P1_N" 'j["body"] = e(b(j["body"]).replace(b"First", b"Fixed"))' >"$B"
assert_contains "$(sed -n "${P1_N}p" "$B" | json 'j["body"]' | base64 -d)" "Fixed post" \
    "the changed body"
refused "a changed body" "$B" "line $P1_N: body does not match the entry's body_hash"

sed '4d' "$E" >"$B"
refused "a deleted entry line" "$B" "line 4: index 3 where 2 was expected"

sed -e '3{h;d}' -e '4{G}' "$E" >"$B"
refused "two swapped entry lines" "$B" "line 3: index 2 where 1 was expected"

sed "$((LINES - 2))d" "$E" >"$B"
refused "the last entry line deleted" "$B" \
    "line $((LINES - 1)): the checkpoint covers 9 leaves but the file has 8 entry lines"

sed '$d' "$E" >"$B"
refused "the checkpoint line deleted" "$B" "line $LINES: the file ends without a checkpoint line"

sed '1d' "$E" >"$B"
refused "the header deleted" "$B" "line 1: the first line is not the header"

cp "$E" "$B"
tail -n 1 "$E" >>"$B"
refused "a line after the checkpoint" "$B" "line $((LINES + 1)): a line after the checkpoint"

edit "$FORK_N" 'j["b"]["signature"] = flip(j["b"]["signature"], 3)' >"$B"
refused "a damaged fork half" "$B" "line $FORK_N: fork half \"b\": signature does not verify"
edit "$FORK_N" 'j["b"] = j["a"]' >"$B"
refused "a fork of one entry" "$B" "line $FORK_N: the two halves of the fork are the same entry"

R1_N=$(grep -n "\"id\":\"$R1\"" "$E" | cut -d: -f1)
edit "$R1_N" 'j["seq"] = 2' >"$B"
refused "a seq that is not the entry's" "$B" "line $R1_N: seq 2 is not the entry's seq 3"

# a checkpoint from another node, grafted
start_node n2 --site lyon
as carol id new >/dev/null 2>&1
RSN_SOCKET=$(node_socket n2) as carol profile --name Carol --site lyon >/dev/null
RSN_SOCKET=$(node_socket n2) rsn audit export "$T/other.jsonl" >/dev/null
RSN_SOCKET=$(node_socket n2) rsn audit verify-export "$T/other.jsonl" >/dev/null ||
    fail "the second node's export does not verify"
{ sed '$d' "$E"; tail -n 1 "$T/other.jsonl"; } >"$B"
refused "a checkpoint from another node" "$B" \
    "line $LINES: the checkpoint is not signed by the node's key raison/$NODE"
# ... with the other node's header too: then the root gives it away
{ head -n 1 "$T/other.jsonl"; sed -e '1d' -e '$d' "$E"; tail -n 1 "$T/other.jsonl"; } >"$B"
refused "another node's header and checkpoint" "$B" \
    "line $LINES: the checkpoint covers 1 leaves but the file has 9 entry lines"

# a bit flipped anywhere
"$PY" - "$E" "$RAISON" "$STRIDE" <<'EOF'
import subprocess, sys
path, raison, stride = sys.argv[1], sys.argv[2], int(sys.argv[3])
src = open(path, "rb").read()
bad = path + ".flip"
masks = (0x01, 0x02, 0x04, 0x20, 0x40, 0x80)
tried = 0
for i in range(0, len(src), stride):
    b = bytearray(src)
    b[i] ^= masks[(i // stride) % len(masks)]
    open(bad, "wb").write(b)
    r = subprocess.run([raison, "audit", "verify-export", bad], capture_output=True)
    tried += 1
    if r.returncode != 1 or b"line " not in r.stderr or b"Sanitizer" in r.stderr \
            or b"runtime error" in r.stderr:
        sys.exit("a flipped bit at byte %d (%r) was not caught: %d %r"
                 % (i, bytes(src[max(0, i - 10):i + 10]), r.returncode, r.stderr))
print("flipped bits caught: %d of %d bytes tried" % (tried, len(src)))
EOF

# bounds: a line longer than 256 KiB is refused, not read
{ head -n 1 "$E"; printf '{"type":"entry","pad":"'; head -c 300000 /dev/zero | tr '\0' a;
  printf '"}\n'; } >"$B"
refused "a line over 256 KiB" "$B" "line 2: longer than 262144 bytes"

# --- proofs, checked by the independent verifier ------------------------------------
for ((m = 1; m <= LOG_SIZE; m++)); do
    rsn audit prove --old "$m" --new "$LOG_SIZE" --json | $RFC consistency "$E"
done
rsn audit prove --old 3 --json | $RFC consistency "$E" # the latest checkpoint: the export's
rsn audit prove --old 2 --new 5 --json | $RFC consistency "$E"
PROVE=$(rsn audit prove --old 2)
assert_contains "$PROVE" "verified (RFC 9162)" "prove for people"
grep '^{"type":"entry",' "$E" | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/' >"$T/ids"
while read -r id; do
    rsn audit include "$id" --json | $RFC inclusion "$E" "$id"
    rsn audit include "$id" --size "$LOG_SIZE" --json | $RFC inclusion "$E" "$id"
done <"$T/ids"
rsn audit include "$P1" --size 7 --json | $RFC inclusion "$E" "$P1"
assert_contains "$(rsn audit include "$P1")" "verified (RFC 9162)" "include for people"
must_fail "include of an unknown entry" rsn audit include "$(printf '%064d' 7)"
must_fail "prove beyond the log" rsn audit prove --old 1 --new 1000
must_fail "prove without --old" rsn audit prove
assert_eq 2 "$(rsn audit prove >/dev/null 2>&1 || echo $?)" "usage error status"

# --- the rest of the family ------------------------------------------------------------
CP=$(rsn audit checkpoint --fresh; echo x)
CP=${CP%x}
assert_match "$CP" "^raison/$NODE" "checkpoint --fresh: origin"
assert_eq "$(rsn audit checkpoint | xxd -p)" "$(printf '%s' "$CP" | xxd -p)" \
    "checkpoint prints the note byte for byte (one final newline, none added)"
assert_eq "$(printf '%s' "$CP" | tail -c 1 | xxd -p)" "0a" "the note ends with its newline"
VJ=$(rsn --json audit verify)
assert_eq '[true,9,0,0]' \
    "$(json '[j["integrity_ok"], j["entries"], j["bad_signatures"], j["chain_errors"]]' <<<"$VJ")" \
    "audit verify --json"
assert_contains "$(rsn audit verify)" "integrity: OK" "audit verify for people"

echo "test_audit_export: ok"
