#!/usr/bin/env bash
# test.sh — builds raison and runs every test (unit and integration) with ctest.
#
#   scripts/test.sh              optimized build (asserts kept) in build/
#   scripts/test.sh --sanitize   clang Debug build in build-san/ with ASan + UBSan
#
# Installs missing packages first (scripts/deps.sh). Exits non-zero when the
# build or any test fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SANITIZE=0
for arg in "$@"; do
    case "$arg" in
    --sanitize) SANITIZE=1 ;;
    -h | --help)
        sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "test.sh: unknown argument: $arg (try --help)" >&2
        exit 2
        ;;
    esac
done

bash "$ROOT/scripts/deps.sh"

JOBS=$(nproc 2>/dev/null || echo 2)
if [[ $SANITIZE -eq 1 ]]; then
    BUILD="$ROOT/build-san"
    export CC=clang
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    CONFIG=(-DCMAKE_BUILD_TYPE=Debug -DRSN_SANITIZE=ON)
else
    BUILD="$ROOT/build"
    # the same configuration as scripts/run.sh, so the two share build/; the
    # flags drop -DNDEBUG so that asserts stay on in the tests
    CONFIG=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g")
fi

LOG="$BUILD/ctest.log"
rm -f "$LOG" # a failed build must not leave an earlier run's results behind
echo "test: configuring $BUILD"
cmake -S "$ROOT" -B "$BUILD" "${CONFIG[@]}" >/dev/null
echo "test: building with -j$JOBS"
cmake --build "$BUILD" -j"$JOBS"

echo "test: running ctest"
set +e
ctest --test-dir "$BUILD" --output-on-failure -j2 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E 'tests passed|tests failed' "$LOG" | tail -n 1 || true)
echo "test: ${summary:-no ctest summary line} (build: $BUILD)"
if [[ -z $summary ]]; then
    echo "test: ctest ran no test" >&2
    rc=1
fi
exit "$rc"
