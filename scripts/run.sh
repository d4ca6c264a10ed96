#!/usr/bin/env bash
# run.sh — builds raison (optimized, in build/) and starts the node in the
# foreground. Arguments go to raisond: [--data DIR] [--site NAME]
# [--config FILE] [--socket PATH]. With none, the node keeps its data in
# $XDG_DATA_HOME/raison (~/.local/share/raison) and needs no configuration.
# Stop it with Ctrl-C (SIGINT) or SIGTERM.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build"
SHOW=build
[[ "$PWD" == "$ROOT" ]] || SHOW="$BUILD"

bash "$ROOT/scripts/deps.sh" >&2
# the same configuration as scripts/test.sh (asserts kept), so they share build/
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g" >/dev/null
cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" --target raisond raison >&2

cat >&2 <<MSG

raisond is starting. From another terminal, talk to it with the CLI:
  $SHOW/raison --help
  $SHOW/raison id new        # create your identity (key stays with you)
  $SHOW/raison status        # what the node holds
(add --socket PATH to the CLI if you started the node with --data or --socket)

MSG
exec "$BUILD/raisond" "$@"
