#!/usr/bin/env bash
# fuzz.sh — builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/
# and runs each for a while on its seed corpus. The targets are found, not
# listed: every tests/fuzz/fuzz_NAME.c is a target, its seeds are in
# tests/fuzz/corpus/NAME/ (a target without seeds starts from nothing).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 20)
#
# New inputs go to a temporary folder, never into the committed seeds. A crash
# leaves its input in build-fuzz/crashes/ and fails the script.
set -euo pipefail

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_EACH=${1:-20}
BUILD=${BUILD_FUZZ:-$SOURCE/build-fuzz}

bash "$SOURCE/scripts/deps.sh"
CC=clang cmake -S "$SOURCE" -B "$BUILD" -DRSN_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
targets=()
for src in "$SOURCE"/tests/fuzz/fuzz_*.c; do
    targets+=("$(basename "$src" .c)")
done
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "fuzz: no tests/fuzz/fuzz_*.c found" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets: ${targets[*]}"
cmake --build "$BUILD" --target "${targets[@]}" -j "$(nproc)" >/dev/null

mkdir -p "$BUILD/crashes"
failed=0
for t in "${targets[@]}"; do
    work=$(mktemp -d /tmp/rsnfuzzXXXXXX)
    seeds="$SOURCE/tests/fuzz/corpus/${t#fuzz_}"
    [[ -d $seeds ]] || seeds=""
    echo "fuzz: $t for ${SECONDS_EACH}s on ${seeds:-no seeds}"
    if ! (cd "$BUILD/crashes" && ASAN_OPTIONS=detect_leaks=1 "$BUILD/tests/$t" \
        -max_total_time="$SECONDS_EACH" -print_final_stats=1 "$work" \
        ${seeds:+"$seeds"} >"$BUILD/$t.log" 2>&1); then
        echo "fuzz: $t FAILED (see $BUILD/$t.log and $BUILD/crashes/)"
        tail -30 "$BUILD/$t.log"
        failed=1
    else
        grep -E "stat::number_of_executed_units" "$BUILD/$t.log" | sed "s/^/fuzz: $t: /" || true
    fi
    rm -rf "$work"
done
exit "$failed"
