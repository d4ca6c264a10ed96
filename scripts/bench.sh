#!/usr/bin/env bash
# bench.sh — builds raison in Release and runs its benchmarks.
#
#   scripts/bench.sh [ingest|catchup|propagation|idle|audit|scale|all] [ARGS...]
#
# Targets (default: all, one after the other):
#   ingest       one node, pre-signed entries published through the API
#                (tests/bench/bench_ingest.c; ARGS: AUTHORS PER_AUTHOR INFLIGHT,
#                default 100 200 512): ingest rate beside the raw verify rate.
#   catchup      a node with an empty store pulls 100,000 entries of 1,000
#                authors from a peer (bench_catchup.c; ARGS: AUTHORS PER_AUTHOR
#                INFLIGHT): entries/s beside the raw verify rate. Target >= 0.8.
#   propagation  10 nodes on loopback in a random connected 3-regular graph,
#                200 posts (bench_propagation.c; ARGS: NODES POSTS DEGREE SEED):
#                publish-to-every-node time, median and p99. Target p99 < 100 ms.
#   idle         two nodes holding the same 10,000 authors
#                (bench_idle.c; ARGS: AUTHORS SECONDS mutual|oneway): bytes per
#                anti-entropy round. Target < 512.
#   audit        `audit verify` of a node holding 100,000 entries of 1,000
#                authors, online (the API call) and offline (raisond verify of
#                the stopped node), beside the raw verify rate (target >= 0.8);
#                then checkpoint signing, consistency and inclusion proofs on a
#                real store of 1,000,000 leaves, in microseconds (bench_audit.c;
#                ARGS: AUTHORS PER_AUTHOR INFLIGHT LEAVES RUNS).
#   scale        issue 10's "a year of a large company on one node": stores of
#                10,000 and 1,000,000 entries (100,000 authors, 1,000 groups, a
#                busy group of 300,000 posts and 50,000 members, replies,
#                amendments, retractions), kept between runs under
#                ${RAISON_BENCH_CACHE:-/var/tmp/raison-bench-scale}; every read
#                call's p50/p99 cold and warm on both, status during an audit and
#                a catch-up, start-up, RSS, disk, catch-up and ingest rates, each
#                beside its target (bench_scale.c; ARGS: [SIZE] [--small N]
#                [--rebuild] [--json] [--via auto|api|direct] [--api-limit S];
#                `scale 100000` for a quick look). The first run builds the
#                stores (LARGE: ~15 minutes); later runs should take well under
#                30 minutes (longer on today's node: its busy-group calls are slow).
#                tests/bench/README.md says what each figure measures.
# ARGS go to the one target named; `all` runs every target with its defaults.
# For backward compatibility, `scripts/bench.sh 100 200 512` (numbers first)
# runs the ingest benchmark with those arguments.
#
# Each benchmark runs real raisond processes on a fresh folder under /tmp
# (the programs start and stop the nodes themselves; nodes die with them),
# and prints its figure beside a baseline measured in the same run.
# Benchmarks are not tests: nothing here fails on a slow figure. The script
# exits 1 only when a benchmark could not run (setup failed, a node died, a
# catch-up stalled), after running the others.
#
# Environment: BUILD (build folder, default build-bench/ in the checkout),
# JOBS (parallel build jobs, default: the number of processors).
set -euo pipefail

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SOURCE/build-bench}
JOBS=${JOBS:-$(nproc)}

target=all
if [[ $# -gt 0 && ! $1 =~ ^[0-9] ]]; then
    target=$1
    shift
fi
[[ $# -gt 0 && $target == all ]] && target=ingest # numbers alone: the old usage
case $target in
ingest | catchup | propagation | idle | audit | scale | all) ;;
*)
    echo "usage: scripts/bench.sh [ingest|catchup|propagation|idle|audit|scale|all] [ARGS...]" >&2
    exit 2
    ;;
esac
if [[ $target == all && $# -gt 0 ]]; then
    echo "bench.sh: arguments go with one target, not with all" >&2
    exit 2
fi

cmake -S "$SOURCE" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target raisond raison bench_ingest bench_catchup bench_propagation \
    bench_idle bench_audit bench_scale -j "$JOBS" >/dev/null

WORKS=()
NODE_PID=""
cleanup() {
    if [[ -n $NODE_PID ]]; then
        kill -TERM "$NODE_PID" 2>/dev/null || true
        wait "$NODE_PID" 2>/dev/null || true
    fi
    local w
    for w in "${WORKS[@]}"; do
        rm -rf "$w"
    done
}
trap cleanup EXIT

# new_work: a fresh short folder (API socket paths must stay under 107 bytes)
new_work() {
    WORK=$(mktemp -d /tmp/rsnbXXXXXX)
    WORKS+=("$WORK")
}

run_ingest() {
    new_work
    mkdir -m 700 "$WORK/node"
    "$BUILD/raisond" --data "$WORK/node" --site bench 2>"$WORK/node.log" &
    NODE_PID=$!
    local sock="$WORK/node/raison.sock"
    local deadline=$((SECONDS + 30))
    until "$BUILD/raison" --socket "$sock" status >/dev/null 2>&1; do
        if ! kill -0 "$NODE_PID" 2>/dev/null || ((SECONDS >= deadline)); then
            echo "bench.sh: raisond did not start:" >&2
            tail -n 20 "$WORK/node.log" >&2
            return 1
        fi
        sleep 0.05
    done
    local rc=0
    "$BUILD/tests/bench_ingest" "$sock" "$@" || rc=$?
    kill -TERM "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
    return "$rc"
}

run_program() {
    local program=$1
    shift
    new_work
    "$BUILD/tests/$program" "$BUILD/raisond" "$WORK" "$@"
}

run() {
    local name=$1
    shift
    echo "== $name ($(date -u +%H:%M:%S), load average $(cut -d' ' -f1-3 /proc/loadavg))"
    case $name in
    ingest) run_ingest "$@" ;;
    catchup) run_program bench_catchup "$@" ;;
    propagation) run_program bench_propagation "$@" ;;
    idle) run_program bench_idle "$@" ;;
    audit) run_program bench_audit "$@" ;;
    scale) run_program bench_scale "$@" ;;
    esac
}

echo "machine: $(nproc) processors, $(uname -sr); build: $BUILD (Release)"
failed=()
if [[ $target == all ]]; then
    for name in ingest catchup propagation idle audit scale; do
        run "$name" || failed+=("$name")
        echo
    done
else
    run "$target" "$@" || failed+=("$target")
fi
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "bench.sh: could not run: ${failed[*]}" >&2
    exit 1
fi
