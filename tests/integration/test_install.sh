#!/usr/bin/env bash
# test_install.sh — `cmake --install` into a temporary folder gives what a
# site installs: the programs, the client library with its headers and
# raison.pc, the schema, the man pages and the systemd units; a program built
# with nothing but `pkg-config --cflags --libs raison` against that folder
# asks a running node for its status; the units pass `systemd-analyze
# verify` (where systemd is installed); the man pages render.
#
# Issue 12: nothing installed. What is installed must not need raison's
# source tree: the headers include no "../common/" and no path of the tree.
set -euo pipefail
# shellcheck source=../support/fedlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/fedlib.sh"

P=$T/prefix
cmake --install "$RSN_BUILD" --prefix "$P" >"$T/install.log"
for f in bin/raisond bin/raison include/raison/client.h include/raison/raison.pb-c.h \
    share/raison/raison.proto share/man/man1/raison.1 share/man/man8/raisond.8 \
    lib/systemd/system/raisond.service lib/systemd/system/raison-web.service \
    lib/sysusers.d/raison.conf etc/raison/raisond.conf; do
    [[ -e $P/$f ]] || fail "cmake --install did not install $f: $(cat "$T/install.log")"
done
libdir=$(dirname "$(find "$P" -name raison.pc -path '*pkgconfig*' | head -n 1)")/..
[[ -e $libdir/libraison-client.a ]] || fail "no static libraison-client.a in $libdir"
[[ -e $libdir/libraison-client.so ]] || fail "no shared libraison-client.so in $libdir"
assert_eq "" "$(grep -l '"\.\./\|"common/\|"net/\|"proto/' "$P"/include/raison/*.h || true)" \
    "installed headers that include raison's source tree"
# the shared library exports the API's names only
others=$(nm -D --defined-only "$libdir/libraison-client.so" | awk '{print $3}' |
    grep -v '^raison_\|^raison__' || true)
assert_eq "" "$others" "names libraison-client.so exports beyond raison_* and raison__*"
"$P/bin/raisond" --version | grep -q "^raisond " || fail "the installed raisond has no --version"

# a program of someone else's, built from pkg-config alone, outside the tree
# (with the build's compiler, and its sanitizers when the library has them)
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$RSN_BUILD/CMakeCache.txt")
CC=${CC:-cc}
SAN=()
if grep -q '^RSN_SANITIZE:BOOL=ON' "$RSN_BUILD/CMakeCache.txt"; then
    SAN=(-fsanitize=address,undefined)
fi
mkdir "$T/elsewhere"
cp "$RSN_SOURCE/tests/install/status_client.c" "$T/elsewhere/"
export PKG_CONFIG_PATH=$libdir/pkgconfig
flags=$(pkg-config --cflags --libs raison)
(cd "$T/elsewhere" && "$CC" -Wall -Werror "${SAN[@]}" -o status_client status_client.c $flags) ||
    fail "status_client did not build with: $flags"
start_node site
out=$(LD_LIBRARY_PATH=$libdir "$T/elsewhere/status_client" "$(node_socket site)")
key=$("$RAISON" --socket "$(node_socket site)" status --json | json 'j["node_key"]')
assert_eq "entries 0 node_key $key" "$out" "the status a pkg-config-built program reads"
# the static archive links too (Requires.private)
(cd "$T/elsewhere" && "$CC" "${SAN[@]}" -o status_static status_client.c \
    $(pkg-config --cflags raison) "$libdir/libraison-client.a" \
    $(pkg-config --static --libs-only-l raison | sed 's/-lraison-client//')) ||
    fail "status_client did not link statically"
out=$("$T/elsewhere/status_static" "$(node_socket site)")
assert_contains "$out" "node_key $key" "the status through the static library"

# the installed `raison web` serves the page built into it, byte for byte
fed_next_port
"$P/bin/raison" --socket "$(node_socket site)" web --listen "127.0.0.1:$FED_PORT" --state "$T/web" \
    >"$T/web.out" 2>"$T/web.log" &
RSN_OTHER_PIDS+=($!)
wait_for "the installed raison web prints its invite" grep -q '^http' "$T/web.out"
base=$(head -n 1 "$T/web.out" | sed 's|/invite/.*||')
for f in index.html app.js app.css proto.js; do
    curl -s -m 10 "$base/static/$f" >"$T/got.$f"
    cmp -s "$T/got.$f" "$RSN_SOURCE/node/web/static/$f" ||
        fail "the installed raison web serves another $f than node/web/static/$f"
done
assert_contains "$(cat "$T/web.log")" "page embedded" "where the installed raison web's page is"

# the man pages render without a warning
for page in share/man/man1/raison.1 share/man/man8/raisond.8; do
    text=$(MANWIDTH=80 man -l "$P/$page" 2>"$T/man.err")
    assert_eq "" "$(cat "$T/man.err")" "warnings of man $page"
    assert_contains "$text" "SYNOPSIS" "man $page"
done
# the units, their binaries moved to this prefix, pass systemd-analyze verify
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir "$T/units"
    bindir=$(grep -o 'ExecStart=[^ ]*raisond' "$P/lib/systemd/system/raisond.service" |
        sed 's/ExecStart=//; s|/raisond$||')
    for unit in raisond.service raison-web.service; do
        sed "s|$bindir/|$P/bin/|g" "$P/lib/systemd/system/$unit" >"$T/units/$unit"
    done
    MANPATH=$P/share/man systemd-analyze verify "$T/units/raisond.service" \
        "$T/units/raison-web.service" >"$T/verify.out" 2>&1 ||
        fail "systemd-analyze verify: $(cat "$T/verify.out")"
    assert_eq "" "$(cat "$T/verify.out")" "what systemd-analyze verify says of the units"
fi
echo "install: all good"
