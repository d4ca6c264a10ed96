#!/usr/bin/env bash
# test_cli_edges.sh — start-up, configuration and identity edge cases, through
# the real binaries: a socket path over the Unix limit, config files (good,
# unknown keys, bad peers), a sealed identity and its passphrase sources, a
# CLI with no node behind its socket, and `raisond keygen`.
set -euo pipefail
# shellcheck source=tests/support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

# --- a socket path over 107 bytes is refused at start, clearly ---------------
long="$T/$(printf 'd%.0s' {1..120})"
rc=0
out=$("$RAISOND" --data "$long" 2>&1) || rc=$?
assert_ne 0 "$rc" "raisond on a data folder whose socket path is too long"
assert_contains "$out" "a Unix socket path holds at most 107" "the refusal says why"
[[ ! -e $long/db ]] || fail "nothing may be created before the socket path is checked"

# --- config files ---------------------------------------------------------------
cat >"$T/good.conf" <<EOF
[node]
site = brest
log_level = warn
EOF
start_node cfg --config "$T/good.conf"
RSN_SOCKET=$(node_socket cfg)
status=$("$RAISON" --socket "$RSN_SOCKET" --json status)
assert_eq brest "$(json 'j["site"]' <<<"$status")" "site from the config file"
# the command line wins over the file
start_node cfg2 --config "$T/good.conf" --site quimper
assert_eq quimper "$("$RAISON" --socket "$(node_socket cfg2)" --json status | json 'j["site"]')" \
    "--site over the config file"

printf '[node]\nsight = typo\n' >"$T/typo.conf"
rc=0
out=$("$RAISOND" --data "$T/typo" --config "$T/typo.conf" 2>&1) || rc=$?
assert_eq 2 "$rc" "an unknown config key is a usage error"
assert_contains "$out" "unknown key 'sight'" "the config error names the key"

rc=0
out=$("$RAISOND" --data "$T/nofile" --config "$T/missing.conf" 2>&1) || rc=$?
assert_eq 2 "$rc" "a missing config file"
assert_contains "$out" "cannot read config file" "the missing file is named"

rc=0
out=$("$RAISOND" --data "$T/badpeer" --peer "tcp://127.0.0.1:1=nothex" 2>&1) || rc=$?
assert_eq 2 "$rc" "a peer key that is not hex"
assert_contains "$out" "is not 64 hex characters" "the bad peer key is explained"
rc=0
out=$("$RAISOND" --data "$T/badpeer" --peer "udp://x=$(printf 'a%.0s' {1..64})" 2>&1) || rc=$?
assert_eq 2 "$rc" "a peer endpoint of an unknown transport"
assert_contains "$out" "must start with tcp:// or ipc://" "the bad endpoint is explained"

# --- raisond keygen -------------------------------------------------------------
key=$("$RAISOND" keygen --data "$T/kg")
assert_match "$key" '^[0-9a-f]{64}$' "keygen prints the node key alone, in hex"
assert_eq "$key" "$("$RAISOND" keygen --data "$T/kg")" "keygen is stable once the key exists"
kj=$("$RAISOND" keygen --data "$T/kg" --json)
assert_eq "$key" "$(json 'j["key"]' <<<"$kj")" "keygen --json key"
assert_match "$(json 'j["curve"]' <<<"$kj")" '^[0-9a-f]{64}$' "keygen --json gives the curve form"
assert_eq 600 "$(stat -c %a "$T/kg/node.key")" "node key mode"
assert_eq 700 "$(stat -c %a "$T/kg")" "data folder mode"

# --- a sealed identity ----------------------------------------------------------
printf 'correct horse battery staple\n' >"$T/pass"
id=$("$RAISON" --identity "$T/sealed.key" id new --passphrase-file "$T/pass")
assert_match "$id" '[0-9a-f]{64}' "id new (sealed) prints the key"
assert_eq 600 "$(stat -c %a "$T/sealed.key")" "sealed identity mode"
shown=$(RAISON_PASSPHRASE='correct horse battery staple' \
    "$RAISON" --identity "$T/sealed.key" --json id show | json 'j["key"]')
assert_contains "$id" "$shown" "RAISON_PASSPHRASE opens the sealed identity"
rc=0
out=$(RAISON_PASSPHRASE='wrong' "$RAISON" --identity "$T/sealed.key" id show 2>&1) || rc=$?
assert_ne 0 "$rc" "a wrong passphrase"
assert_contains "$out" "passphrase" "the refusal mentions the passphrase"
rc=0
out=$("$RAISON" --identity "$T/sealed.key" id show </dev/null 2>&1) || rc=$?
assert_ne 0 "$rc" "a sealed identity with no passphrase and no terminal fails, never waits"
rc=0
out=$("$RAISON" --identity "$T/sealed.key" id new 2>&1) || rc=$?
assert_ne 0 "$rc" "id new refuses to overwrite"
assert_eq "$shown" "$(RAISON_PASSPHRASE='correct horse battery staple' \
    "$RAISON" --identity "$T/sealed.key" --json id show | json 'j["key"]')" \
    "the identity is unchanged after the refused overwrite"
# the sealed identity publishes through a node
RSN_SOCKET=$(node_socket cfg)
RAISON_PASSPHRASE='correct horse battery staple' \
    "$RAISON" --socket "$RSN_SOCKET" --identity "$T/sealed.key" profile --name Sealed --site brest
assert_eq 1 "$("$RAISON" --socket "$RSN_SOCKET" --json status | json 'j["entries"]')" \
    "the sealed identity's profile is stored"

# --- no node behind the socket --------------------------------------------------
rc=0
out=$("$RAISON" --socket "$T/nothing.sock" status 2>&1) || rc=$?
assert_eq 1 "$rc" "status with no node"
assert_contains "$out" "no node is listening on $T/nothing.sock" "the CLI says no node listens"

echo "test_cli_edges: ok"
