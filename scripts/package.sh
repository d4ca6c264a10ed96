#!/usr/bin/env bash
# package.sh — builds the Debian package, and with --test installs it on this
# machine and checks it as a site would run it.
#
#   scripts/package.sh           build build-deb/ (Release, prefix /usr) and
#                                cpack -G DEB: build-deb/raison_VERSION_ARCH.deb
#   scripts/package.sh --test    the same, then (root only; it installs into
#                                this system, so CI runs it, not the test
#                                suite): apt-get install the .deb (its Depends
#                                pulled as a user would), check `raisond
#                                --version`, the raison users, the units
#                                enabled and accepted by systemd-analyze
#                                verify, the conffile; run the unit's
#                                ExecStart line as user raison with the
#                                folders systemd would make; `raison status`
#                                as an operator in group raison over the
#                                group-shared socket; then purge the package
#
# Environment: BUILD (default build-deb/ in the checkout), JOBS.
set -euo pipefail

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SOURCE/build-deb}
JOBS=${JOBS:-$(nproc)}
test_it=0
case ${1:-} in
    --test) test_it=1 ;;
    "") ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

bash "$SOURCE/scripts/deps.sh"
cmake -S "$SOURCE" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target raisond raison raison-client raison-client-static man \
    >"$BUILD/build.log" 2>&1 || { tail -n 30 "$BUILD/build.log" >&2; exit 1; }
rm -f "$BUILD"/raison_*.deb
(cd "$BUILD" && cpack -G DEB >/dev/null)
deb=$(ls "$BUILD"/raison_*.deb)
echo "package: $deb"
dpkg-deb -f "$deb" Package Version Depends
((test_it)) || exit 0

fail() {
    echo "package: FAILED: $*" >&2
    exit 1
}
[[ $(id -u) -eq 0 ]] || fail "--test installs the package: run it as root (CI does)"
if dpkg-query -W raison >/dev/null 2>&1; then
    fail "a raison package is already installed here: not touching it"
fi
W=$(mktemp -d /tmp/rsnpkgXXXXXX)
node_pid=""
web_pid=""
cleanup() {
    if [[ -n $web_pid ]]; then
        kill -TERM "$web_pid" 2>/dev/null || true
        wait "$web_pid" 2>/dev/null || true
    fi
    if [[ -n $node_pid ]]; then
        kill -TERM "$node_pid" 2>/dev/null || true
        wait "$node_pid" 2>/dev/null || true
    fi
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q raison >/dev/null 2>&1 || true
    userdel rsnop 2>/dev/null || true
    rm -rf "$W" /run/raison /var/lib/raison /var/lib/raison-web
}
trap cleanup EXIT

DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >"$W/apt.log" 2>&1 ||
    fail "apt-get install: $(tail -n 20 "$W/apt.log")"
raisond --version | grep -q "^raisond " || fail "raisond --version"
echo "package: installed; $(raisond --version)"
getent passwd raison >/dev/null || fail "no raison user after install"
id -nG raison-web | grep -qw raison || fail "raison-web is not in group raison"
for unit in raisond.service raison-web.service; do
    [[ -L /etc/systemd/system/multi-user.target.wants/$unit ]] || fail "$unit not enabled"
done
dpkg-query -W -f='${Conffiles}\n' raison | grep -q /etc/raison/raisond.conf ||
    fail "/etc/raison/raisond.conf is not a conffile"
systemd-analyze verify /usr/lib/systemd/system/raisond.service \
    /usr/lib/systemd/system/raison-web.service >"$W/verify" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$W/verify")"
man -w raison >/dev/null && man -w raisond >/dev/null || fail "man raison / man raisond"

# the unit's ExecStart, as systemd would run it: user raison, its folders
exec_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/raisond.service)
install -d -m 0700 -o raison -g raison /var/lib/raison
install -d -m 0750 -o raison -g raison /run/raison
# shellcheck disable=SC2086
runuser -u raison -g raison -- ${exec_start/raisond /raisond --check-config } >"$W/check" ||
    fail "raisond --check-config on the unit's line: $(cat "$W/check")"
echo "package: raisond --check-config on the unit's line: $(tail -n 1 "$W/check")"
echo "package: running as raison: $exec_start"
# shellcheck disable=SC2086 # the unit's line, split as systemd splits it
runuser -u raison -g raison -- $exec_start >"$W/node.log" 2>&1 &
node_pid=$!
useradd --no-create-home --groups raison rsnop
for ((i = 0; i < 200; i++)); do
    runuser -u rsnop -- env HOME=$W raison status >/dev/null 2>&1 && break
    kill -0 "$node_pid" 2>/dev/null || fail "the node exited: $(cat "$W/node.log")"
    sleep 0.1
done
out=$(runuser -u rsnop -- env HOME=$W raison status --json) ||
    fail "raison status as an operator in group raison: $(cat "$W/node.log")"
echo "package: raison status as rsnop (group raison) over /run/raison/raison.sock:"
echo "$out" | head -n 5
[[ $(stat -c '%a %U %G' /run/raison/raison.sock) == "660 raison raison" ]] ||
    fail "socket mode: $(stat -c '%a %U %G' /run/raison/raison.sock)"
[[ $(stat -c '%a %U' /var/lib/raison) == "700 raison" ]] || fail "data folder mode"
if runuser -u nobody -- env HOME=/tmp raison --socket /run/raison/raison.sock status \
    >/dev/null 2>&1; then
    fail "a user outside group raison reached the node"
fi

# the web app's unit line, as user raison-web (group raison for the socket)
web_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/raison-web.service)
web_start=${web_start//\$RAISON_WEB_ARGS/--listen 127.0.0.1:18080}
install -d -m 0700 -o raison-web -g raison-web /var/lib/raison-web
# shellcheck disable=SC2086 # the unit's line, split as systemd splits it
runuser -u raison-web -- $web_start >"$W/web.out" 2>"$W/web.log" &
web_pid=$!
for ((i = 0; i < 100; i++)); do
    grep -q '^http' "$W/web.out" 2>/dev/null && break
    kill -0 "$web_pid" 2>/dev/null || fail "raison web exited: $(cat "$W/web.log")"
    sleep 0.1
done
page=$(curl -s -m 10 "$(head -n 1 "$W/web.out")") || fail "the web app's invite page"
[[ $page == *"/static/app.js"* ]] || fail "the web app served no page: $page"
me=$(curl -s -m 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:18080/api/me)
[[ $me == 401 ]] || fail "the web app's /api/me without a session: $me"
echo "package: raison web as raison-web (group raison) serves its page: $(head -n 1 "$W/web.out")"
echo "package: all good"
