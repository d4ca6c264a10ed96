#!/usr/bin/env bash
# bench.sh — builds raison in Release and runs the ingest benchmark.
#
# Starts a raisond on a fresh data folder in a temporary directory, runs
# tests/bench/bench_ingest against its API socket (20,000 pre-signed entries
# of 100 authors, 512 requests in flight by default), prints the ingest rate
# beside the raw verification rate of the same run, and stops the node.
# Benchmarks are not tests: nothing here fails on a slow figure.
#
#   scripts/bench.sh [AUTHORS] [PER_AUTHOR] [INFLIGHT]
#
# Environment: BUILD (build folder, default /tmp/build-raison-bench),
# JOBS (parallel build jobs, default: the number of processors).
set -euo pipefail

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-/tmp/build-raison-bench}
JOBS=${JOBS:-$(nproc)}

cmake -S "$SOURCE" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target raisond raison bench_ingest -j "$JOBS" >/dev/null

T=$(mktemp -d /tmp/rsnbXXXXXX)
NODE_PID=""
cleanup() {
    if [[ -n $NODE_PID ]]; then
        kill -TERM "$NODE_PID" 2>/dev/null || true
        wait "$NODE_PID" 2>/dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT

mkdir -m 700 "$T/node"
"$BUILD/raisond" --data "$T/node" --site bench 2>"$T/node.log" &
NODE_PID=$!
SOCK="$T/node/raison.sock"
deadline=$((SECONDS + 30))
until "$BUILD/raison" --socket "$SOCK" status >/dev/null 2>&1; do
    if ! kill -0 "$NODE_PID" 2>/dev/null || ((SECONDS >= deadline)); then
        echo "bench.sh: raisond did not start:" >&2
        tail -n 20 "$T/node.log" >&2
        exit 1
    fi
    sleep 0.05
done

echo "machine: $(nproc) processors, $(uname -sr)"
"$BUILD/tests/bench_ingest" "$SOCK" "$@"
