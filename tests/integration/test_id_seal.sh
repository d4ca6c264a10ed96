#!/usr/bin/env bash
# test_id_seal.sh — `raison id show` tells an identity sealed at weak limits.
#
# Issue 9: identities were sealed with Argon2id at libsodium's INTERACTIVE
# limits; new ones are sealed at MODERATE. data/interactive-sealed.key was
# made by the earlier version (`raison id new --passphrase-file`, passphrase
# "old interactive seal"): it still opens, and `id show` says on stderr that
# it is sealed with weaker limits (its key alone on stdout; --json says
# weak_seal true). A new sealed identity gets no such notice.
set -euo pipefail
# shellcheck source=../support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

DATA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/data"
install -m 600 "$DATA/interactive-sealed.key" "$T/old.key"
printf 'old interactive seal\n' >"$T/pass"
OLD=62a24535d72e5248f01421588082cc955321f47b6de123c8113927a16cbb9fe3
out=$("$RAISON" --identity "$T/old.key" --passphrase-file "$T/pass" id show 2>"$T/err")
assert_eq "$OLD" "$out" "the key of the old sealed identity"
assert_contains "$(cat "$T/err")" "sealed with weaker Argon2id limits (2 passes, 64 MiB)" \
    "id show on an INTERACTIVE seal"
json_out=$("$RAISON" --identity "$T/old.key" --passphrase-file "$T/pass" --json id show 2>/dev/null)
assert_eq true "$(json 'j["weak_seal"]' <<<"$json_out")" "weak_seal of the old identity"

"$RAISON" --identity "$T/new.key" --passphrase-file "$T/pass" id new >/dev/null 2>&1
out=$("$RAISON" --identity "$T/new.key" --passphrase-file "$T/pass" id show 2>"$T/err")
assert_hex64 "$out" "the key of the new identity"
assert_eq "" "$(cat "$T/err")" "id show's stderr on a new sealed identity"
json_out=$("$RAISON" --identity "$T/new.key" --passphrase-file "$T/pass" --json id show)
assert_eq false "$(json 'j["weak_seal"]' <<<"$json_out")" "weak_seal of a new identity"
assert_eq true "$(json 'j["sealed"]' <<<"$json_out")" "sealed of a new identity"
echo "test_id_seal: ok"
