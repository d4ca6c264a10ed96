#!/usr/bin/env bash
# test_audit_openssl.sh — an export checked by hand, as docs/audit.md tells a
# reviewer, with no raison code.
#
# A node gets a profile, a charter, a membership, posts, a cross-author reply
# and an erased post through the CLI, then writes an export. The shell blocks
# of the section "Checking an export by hand" of docs/audit.md (those marked
# <!-- check:setup -->, <!-- check:entry --> and <!-- check:checkpoint -->)
# are taken from the document itself and run as they are, under `set -e`,
# for every entry line and for the checkpoint line: so what the document
# says is what is tested. They use only bash, openssl, sha256sum, base64,
# xxd, sed and grep (JSON fields are cut out with sed, no python). Each run
# must print only OK checks and "Signature Verified Successfully". Then the
# procedure must FAIL on tampered copies: a flipped signature bit (openssl
# refuses it), a changed body (the body_hash check), a prev pointing
# elsewhere, and a checkpoint whose signature or root was changed.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

DOC="${RSN_SOURCE:-$(dirname "${BASH_SOURCE[0]}")/../..}/docs/audit.md"
[[ -f $DOC ]] || fail "no $DOC"

# procedure NAME: the shell blocks of docs/audit.md marked <!-- check:NAME -->
procedure() {
    awk -v want="$1" '
        /^<!-- check:/ { tag = $0; sub(/^<!-- check:/, "", tag); sub(/ -->.*/, "", tag)
                         armed = (tag == want); next }
        armed && /^```sh$/ { inblock = 1; next }
        inblock && /^```$/ { inblock = 0; armed = 0; next }
        inblock { print }' "$DOC"
}
procedure setup >"$T/setup.sh"
procedure entry >"$T/entry.sh"
procedure checkpoint >"$T/checkpoint.sh"
for p in setup entry checkpoint; do
    [[ $(wc -l <"$T/$p.sh") -ge 5 ]] || fail "docs/audit.md has no '$p' procedure blocks"
done
assert_contains "$(cat "$T/entry.sh")" "openssl pkeyutl -verify -rawin" "the entry procedure"
assert_contains "$(cat "$T/checkpoint.sh")" "openssl pkeyutl -verify -rawin" \
    "the checkpoint procedure"

# by_hand WHAT EXPORT N: runs the entry procedure on line N in a fresh folder
# (or the checkpoint procedure when N is "checkpoint"); output in $T/hand.out.
by_hand() {
    local dir
    dir=$(mktemp -d "$T/handXXXX")
    local rc=0
    (
        cd "$dir"
        export EXPORT="$2" N="$3" VKEY
        if [[ $3 == checkpoint ]]; then
            bash -euo pipefail -c "source '$T/setup.sh'; source '$T/checkpoint.sh'"
        else
            bash -euo pipefail -c "source '$T/setup.sh'; source '$T/entry.sh'"
        fi
    ) >"$T/hand.out" 2>&1 || rc=$?
    return "$rc"
}

# must_pass_by_hand EXPORT N: every check OK, every signature verified.
must_pass_by_hand() {
    by_hand "" "$1" "$2" || fail "the documented procedure failed on line $2: $(cat "$T/hand.out")"
    local out
    out=$(cat "$T/hand.out")
    assert_not_contains "$out" "FAIL" "procedure on line $2"
    assert_contains "$out" "Signature Verified Successfully" "openssl on line $2"
    echo "by hand, line $2: $(grep -c '^OK' "$T/hand.out") checks OK, signature verified"
}

# must_fail_by_hand WHAT EXPORT N EXPECTED: the procedure stops with EXPECTED.
must_fail_by_hand() {
    if by_hand "" "$2" "$3"; then
        fail "$1: the documented procedure accepted it: $(cat "$T/hand.out")"
    fi
    assert_contains "$(cat "$T/hand.out")" "$4" "$1"
    echo "refused by hand as expected: $1"
}

# --- a node with a little of everything ----------------------------------------------
start_node n1 --site paris
RSN_SOCKET=$(node_socket n1)
ALICE=$(as alice id new 2>/dev/null)
BOB=$(as bob id new 2>/dev/null)
as alice profile --name Alice --site paris --role engineer >/dev/null
as bob profile --name Bob --site lyon >/dev/null
G=$(as alice --json charter new --name audit-me --purpose "Be checked by hand" \
    --mission "proof=Show our work" --benefit "Trust" \
    --data-policy "Kept for audits" | json 'j["group"]')
as bob join "$G" --yes >/dev/null
P1=$(as alice --json post "$G" --mission proof "Checked with openssl" | json 'j["id"]')
as bob --json reply "$P1" "And with sha256sum" >/dev/null
P2=$(as alice --json post "$G" --mission proof "To be erased" | json 'j["id"]')
as alice retract "$P2" --erase >/dev/null
VKEY=$(rsn audit key)

EXPORT="$T/export.jsonl"
rsn audit export "$EXPORT" >/dev/null
rsn audit verify-export "$EXPORT" >/dev/null || fail "verify-export refuses a fresh export"
LINES=$(wc -l <"$EXPORT")
ENTRIES=$(grep -c '^{"type":"entry",' "$EXPORT")
assert_eq 8 "$ENTRIES" "entry lines (2 profiles, charter, join, 2 posts, reply, retraction)"
assert_eq $((ENTRIES + 2)) "$LINES" "lines: header, entries, checkpoint"
ERASED_N=$(grep -n "\"id\":\"$P2\"" "$EXPORT" | cut -d: -f1)
assert_contains "$(sed -n "${ERASED_N}p" "$EXPORT")" '"body":null' "the erased post's line"

# --- every entry line, and the checkpoint, by hand ----------------------------------
for ((n = 2; n <= ENTRIES + 1; n++)); do
    must_pass_by_hand "$EXPORT" "$n"
done
by_hand "" "$EXPORT" "$ERASED_N"
assert_contains "$(cat "$T/hand.out")" "body erased" "the procedure on the erased post"
REPLY_N=$(grep -n "\"author\":\"$BOB\",\"seq\":3," "$EXPORT" | cut -d: -f1)
by_hand "" "$EXPORT" "$REPLY_N"
assert_match "$(cat "$T/hand.out")" "OK +prev \(field 3\) = id of line [0-9]+" \
    "the procedure follows bob's chain from his reply"
must_pass_by_hand "$EXPORT" checkpoint
assert_contains "$(cat "$T/hand.out")" "OK    root = Merkle root of the entries" "root by hand"
assert_eq 1 "$(grep -c 'Signature Verified Successfully' "$T/hand.out")" \
    "openssl verified the checkpoint's signature"

# --- tampered copies: the procedure must fail ----------------------------------------
# set_field FILE N FIELD VALUE: a copy's line N with FIELD's string set to VALUE
set_field() {
    sed -i "$2s|\"$3\":\"[^\"]*\"|\"$3\":\"$4\"|" "$1"
}
# b64_flip B64 OFFSET: the base64 of the bytes of B64 with bit 0 of byte OFFSET flipped
b64_flip() {
    local hex
    hex=$(printf '%s' "$1" | base64 -d | xxd -p | tr -d '\n')
    local b=${hex:$((2 * $2)):2}
    printf '%s%02x%s' "${hex:0:$((2 * $2))}" $((16#$b ^ 1)) "${hex:$((2 * $2 + 2))}" |
        xxd -r -p | base64 -w0
}
field_of() { sed -n "$2p" "$1" | sed -n "s/.*\"$3\":\"\([^\"]*\)\".*/\1/p"; }

# a flipped bit in a signature: openssl says no
BAD="$T/bad-sig.jsonl"
cp "$EXPORT" "$BAD"
set_field "$BAD" 3 signature "$(b64_flip "$(field_of "$EXPORT" 3 signature)" 10)"
must_fail_by_hand "a flipped signature bit" "$BAD" 3 "Signature Verification Failure"
must_fail "verify-export on the flipped signature" rsn audit verify-export "$BAD"
assert_contains "$RSN_ERR" "line 3: signature does not verify" "verify-export names line 3"

# the signature of another entry of the same author: openssl says no
cp "$EXPORT" "$BAD"
set_field "$BAD" 2 signature "$(field_of "$EXPORT" 4 signature)"
must_fail_by_hand "another entry's signature" "$BAD" 2 "Signature Verification Failure"

# a changed body (the post's text): its hash is not body_hash
P1_N=$(grep -n "\"id\":\"$P1\"" "$EXPORT" | cut -d: -f1)
cp "$EXPORT" "$BAD"
set_field "$BAD" "$P1_N" body "$(b64_flip "$(field_of "$EXPORT" "$P1_N" body)" 40)"
must_fail_by_hand "a changed body" "$BAD" "$P1_N" "FAIL  body_hash (field 6) = sha256(body)"

# an entry moved to another author's chain position: prev does not match
cp "$EXPORT" "$BAD"
REPLY_PREV=$(grep -n "\"author\":\"$BOB\",\"seq\":2," "$EXPORT" | cut -d: -f1)
sed -i "${REPLY_PREV}s|\"id\":\"[0-9a-f]*\"|\"id\":\"$(printf '%064d' 0)\"|" "$BAD"
must_fail_by_hand "a prev that is not the previous entry's id" "$BAD" "$REPLY_N" \
    "FAIL  prev (field 3)"

# an entry that is not the one its id names
cp "$EXPORT" "$BAD"
set_field "$BAD" 4 entry "$(b64_flip "$(field_of "$EXPORT" 4 entry)" 40)"
must_fail_by_hand "a flipped entry byte" "$BAD" 4 "FAIL  id = sha256(entry)"

# the checkpoint's signature flipped (its last base64 group before the padding)
cp "$EXPORT" "$BAD"
SIGB64=$(tail -n 1 "$EXPORT" | sed 's/.*— [^ ]* \([^\\]*\)\\n"}$/\1/')
NEWSIG=$(b64_flip "$SIGB64" 30)
sed -i "\$s|$SIGB64|$NEWSIG|" "$BAD"
assert_ne "$(tail -n 1 "$EXPORT")" "$(tail -n 1 "$BAD")" "the tampered checkpoint line"
must_fail_by_hand "a flipped checkpoint signature" "$BAD" checkpoint \
    "Signature Verification Failure"

# a checkpoint from another node: the header's vkey is not the one we trust
start_node n2 --site lyon
RSN_SOCKET=$(node_socket n2) rsn audit export "$T/other.jsonl" >/dev/null
cp "$EXPORT" "$BAD"
sed -i '$d' "$BAD"
tail -n 1 "$T/other.jsonl" >>"$BAD"
must_fail_by_hand "another node's checkpoint" "$BAD" checkpoint "FAIL  one signature line by raison/"

# an entry line dropped: the size and the root no longer match
cp "$EXPORT" "$BAD"
sed -i "${REPLY_N}d" "$BAD"
must_fail_by_hand "a dropped entry line" "$BAD" checkpoint "FAIL  size = the number of entry lines"

# two entry lines swapped: the indexes say so, and the root differs
cp "$EXPORT" "$BAD"
sed -i -e "3{h;d}" -e "4{G}" "$BAD"
assert_eq "$(sed -n 3p "$EXPORT")" "$(sed -n 4p "$BAD")" "the swap"
must_fail_by_hand "two swapped entry lines" "$BAD" checkpoint "FAIL  indexes are 0, 1, 2, ..."

echo "test_audit_openssl: ok"
