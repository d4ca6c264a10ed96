#!/usr/bin/env bash
# make_bucket0_seeds.sh — (re)makes tests/integration/data/bucket0-seeds.bin:
# 8,100 Ed25519 seeds (32 bytes each) whose public keys all start with 0x00,
# so that one anti-entropy bucket holds more feeds than a Heads page (8,000).
# test_fed_heads_paging.sh reads the file; it never searches for keys itself.
# The seeds are SHA-256("bucket0 " counter) for counter = 0, 1, ..., kept
# when the key falls in bucket 0 (one in 256): about 2.1 million key
# generations, about two minutes; the same file comes out every time.
#
# Usage: tests/integration/make_bucket0_seeds.sh BUILD_DIR [COUNT]
set -euo pipefail
build=${1:?usage: make_bucket0_seeds.sh BUILD_DIR [COUNT]}
count=${2:-8100}
out="$(dirname "${BASH_SOURCE[0]}")/data/bucket0-seeds.bin"
"$build/tests/heads_tool" - bucket0-seeds "$count" "$out"
echo "wrote $count seeds to $out ($(wc -c <"$out") bytes)"
