#!/usr/bin/env bash
# demo.sh — a federation of three sites on this machine: paris, lyon, nantes.
#
#   scripts/demo.sh [start]   install what is missing, build build/, start
#                             the three nodes, run the story, leave them running
#   scripts/demo.sh status    show the demo's nodes (and any node added to it)
#   scripts/demo.sh stop      stop every node of the demo folder
#   scripts/demo.sh reset     stop them and delete the demo folder
#
# Each site has its own data folder and node key under the demo folder, its
# own config file (DIR/SITE.conf: [node] and [federation] with its peers), a
# log (DIR/SITE.log) and a pid file (DIR/SITE.pid). They listen on loopback
# and are peered in a line: paris – lyon – nantes. The story: alice@paris
# founds a group with a charter and posts; the post is shown arriving at lyon
# and nantes; bob@lyon joins and replies; the reply is shown arriving at
# paris; nantes prints the value report. Then paris and lyon get their web
# app (`raison web` beside the node, open enrollment, on 127.0.0.1:8080 and
# :8081; pid files DIR/SITE.web-pid, logs DIR/SITE-web.log), and the invite
# URLs, the commands to try the CLI against each site, to add a fourth site,
# and to stop are printed.
#
# Environment:
#   RAISON_DEMO_DIR    demo folder (default /tmp/raison-demo); keep it short:
#                      API socket paths must stay under 107 bytes
#   RAISON_DEMO_PORT   first of the three ports (default 7701: 7701-7703)
#   RAISON_DEMO_WEB_PORT  port of paris' web app; lyon's is the next one
#                      (default 8080: http://127.0.0.1:8080 and :8081)
#   RAISON_BUILD       use the binaries of this existing build folder; skips
#                      scripts/deps.sh and the build
#   RAISON_DEMO_WAIT   seconds any wait may take (default 30)
#
# Starting a demo that runs says so and changes nothing; starting a stopped
# one restarts its nodes on their data (the story is told only once per
# demo folder; `reset` starts over).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=${RAISON_DEMO_DIR:-/tmp/raison-demo}
PORT=${RAISON_DEMO_PORT:-7701}
WAIT=${RAISON_DEMO_WAIT:-30}
SITES=(paris lyon nantes)
WEB_SITES=(paris lyon) # the sites whose web app (raison web) the demo serves
WEB_PORT=${RAISON_DEMO_WEB_PORT:-8080}
declare -A USER_OF=([paris]=alice [lyon]=bob [nantes]=chloe)
declare -A NAME_OF=([alice]=Alice [bob]=Bob [chloe]=Chloé)
declare -A ROLE_OF=([alice]="platform engineer" [bob]="build engineer" [chloe]="designer")
GROUP_NAME=platform

say() { printf '%s\n' "$*"; }
STARTED=0 # set once this run has started nodes
die() {
    printf 'demo: %s\n' "$*" >&2
    if ((STARTED)); then
        printf 'demo: the nodes that started are left running to look at; stop them with: %s stop\n' \
            "$ME" >&2
    fi
    exit 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

if [[ ! "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1024 || PORT > 65500)); then
    die "RAISON_DEMO_PORT must be a port number between 1024 and 65500"
fi
[[ "$DEMO" == /* ]] || DEMO="$PWD/$DEMO"
if [[ -f "$DEMO/.port" ]]; then # a demo folder keeps the ports it was made with
    if [[ "${1:-start}" == start && -n "${RAISON_DEMO_PORT:-}" &&
        "$RAISON_DEMO_PORT" != "$(cat "$DEMO/.port")" ]]; then
        die "the demo in $DEMO uses ports from $(cat "$DEMO/.port"): reset it to change them"
    fi
    PORT=$(cat "$DEMO/.port")
fi
if [[ -f "$DEMO/.web-port" ]]; then
    WEB_PORT=$(cat "$DEMO/.web-port")
fi

# --- binaries -------------------------------------------------------------------

if [[ -n "${RAISON_BUILD:-}" ]]; then
    BUILD=$(cd "$RAISON_BUILD" && pwd)
elif [[ "${1:-start}" != start && -f "$DEMO/.build" ]]; then
    BUILD=$(cat "$DEMO/.build") # status: the binaries the demo was started with
else
    BUILD="$ROOT/build"
fi
set_build() { # set_build DIR: the binaries to use, and how printed commands name them
    BUILD=$1
    SHOW="$BUILD"
    [[ "$PWD" == "$ROOT" && "$BUILD" == "$ROOT/build" ]] && SHOW=build
    RAISOND="$BUILD/raisond"
    RAISON="$BUILD/raison"
}
set_build "$BUILD"
# how the printed commands call this script again
ME=scripts/demo.sh
[[ "$PWD" == "$ROOT" ]] || ME="$ROOT/scripts/demo.sh"
[[ -z "${RAISON_DEMO_DIR:-}" ]] || ME="RAISON_DEMO_DIR=$DEMO $ME"

build() {
    if [[ -n "${RAISON_BUILD:-}" ]]; then
        [[ -x "$RAISOND" && -x "$RAISON" ]] || die "no raisond and raison in $BUILD"
        return
    fi
    bash "$ROOT/scripts/deps.sh"
    say "building $SHOW/ (raisond, raison) ..."
    # the same configuration as scripts/run.sh and scripts/test.sh: they share build/
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g" >/dev/null
    cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" --target raisond raison >/dev/null \
        || die "the build failed: run  cmake --build $BUILD --target raisond raison  to see why"
}

# --- the nodes ------------------------------------------------------------------

port_of() {
    local i
    for i in "${!SITES[@]}"; do
        [[ "${SITES[$i]}" == "$1" ]] && echo $((PORT + i)) && return
    done
}
sock_of() { echo "$DEMO/$1/raison.sock"; }
cli() { # cli SITE ARGS...: the CLI against SITE as its demo user
    local site=$1
    shift
    "$RAISON" --socket "$(sock_of "$site")" --identity "$DEMO/${USER_OF[$site]}.key" "$@"
}

# pid_alive FILE: the pid in FILE when it is a running raisond, else nothing.
pid_alive() {
    local pid
    [[ -f "$1" ]] || return 1
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == raisond ]] || return 1
    local state
    state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
    [[ -n "$state" && "$state" != Z ]] || return 1
    echo "$pid"
}

# web_alive SITE: the pid of SITE's running `raison web`, else nothing.
web_alive() {
    local pid f="$DEMO/$1.web-pid"
    [[ -f "$f" ]] || return 1
    pid=$(cat "$f" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null)" == raison ]] || return 1
    echo "$pid"
}
web_port_of() { # web_port_of SITE: paris WEB_PORT, lyon WEB_PORT + 1
    local i
    for i in "${!WEB_SITES[@]}"; do
        [[ "${WEB_SITES[$i]}" != "$1" ]] || echo $((WEB_PORT + i))
    done
}

# start_web SITE: SITE's web app, a client of its node; its first stdout
# line (an invite URL that enrols an operator) kept in DIR/SITE.web-invite
start_web() {
    local site=$1 port out="$DEMO/$1.web-out" pidf="$DEMO/$1.web-pid"
    port=$(web_port_of "$site")
    : >"$out"
    echo "---- $(date '+%F %T') demo.sh starts the web app of $site ----" >>"$DEMO/$site-web.log"
    # shellcheck disable=SC2016 # expanded by that shell
    setsid bash -c 'echo $$ >"$1"; exec "$2" --socket "$3" web --listen "127.0.0.1:$4" \
        --state "$5" --open-enrollment' demo-web "$pidf.tmp" "$RAISON" "$(sock_of "$site")" \
        "$port" "$DEMO/$site-web" </dev/null >"$out" 2>>"$DEMO/$site-web.log" &
    local deadline=$((SECONDS + WAIT))
    until [[ -s "$pidf.tmp" ]] && grep -q '^http' "$out"; do
        if [[ -s "$pidf.tmp" ]] && ! [[ -d /proc/$(cat "$pidf.tmp") ]]; then
            tail -n 5 "$DEMO/$site-web.log" >&2 || true
            die "the web app of $site stopped at start (see $DEMO/$site-web.log)"
        fi
        ((SECONDS < deadline)) || die "the web app of $site did not start (see $DEMO/$site-web.log)"
        sleep 0.05
    done
    mv "$pidf.tmp" "$pidf"
    head -n 1 "$out" >"$DEMO/$site.web-invite"
}

# the names of the demo's nodes: the three sites, then every other DIR/NAME.pid
# (a node added by hand)
node_names() {
    local f name
    printf '%s\n' "${SITES[@]}"
    for f in "$DEMO"/*.pid; do
        [[ -f "$f" ]] || continue
        name=$(basename "$f" .pid)
        [[ " ${SITES[*]} " == *" $name "* ]] || echo "$name"
    done
}

write_config() { # write_config SITE: DIR/SITE.conf with the peers of the line
    local site=$1 i conf="$DEMO/$1.conf"
    [[ -f "$conf" ]] && return 0 # kept: the user may have added peers to it
    {
        echo "# $site: a node of the raison demo (scripts/demo.sh)."
        echo "# To trust one more node: append a line"
        echo "#   peer = tcp://HOST:PORT=NODEKEY     (or  peer = =NODEKEY  to only accept it)"
        echo "# to [federation], then:  kill -HUP \$(cat $DEMO/$site.pid)"
        echo "[node]"
        echo "data = $DEMO/$site"
        echo "site = $site"
        echo "log_level = info"
        echo
        echo "[federation]"
        echo "listen = tcp://127.0.0.1:$(port_of "$site")"
        for i in "${!SITES[@]}"; do
            if [[ "${SITES[$i]}" == "$site" ]]; then
                if ((i > 0)); then
                    echo "peer = tcp://127.0.0.1:$((PORT + i - 1))=${KEY[${SITES[$((i - 1))]}]}"
                fi
                if ((i + 1 < ${#SITES[@]})); then
                    echo "peer = tcp://127.0.0.1:$((PORT + i + 1))=${KEY[${SITES[$((i + 1))]}]}"
                fi
            fi
        done
    } >"$conf.tmp"
    mv "$conf.tmp" "$conf"
}

start_node() { # start_node SITE: in its own session, so ^C here does not stop it
    local site=$1
    local conf="$DEMO/$site.conf" log="$DEMO/$site.log" pidf="$DEMO/$site.pid"
    echo "---- $(date '+%F %T') demo.sh starts $site ----" >>"$log"
    # the shell writes its own pid, then becomes raisond: the pid file is exact
    # shellcheck disable=SC2016 # expanded by that shell
    setsid bash -c 'echo $$ >"$1"; exec "$2" --config "$3"' demo-start \
        "$pidf.tmp" "$RAISOND" "$conf" </dev/null >>"$log" 2>&1 &
    local deadline=$((SECONDS + 5))
    until [[ -s "$pidf.tmp" ]]; do
        ((SECONDS < deadline)) || die "$site did not start (see $log)"
        sleep 0.02
    done
    mv "$pidf.tmp" "$pidf"
}

# wait_up SITE: until the node answers `raison status`; fails if it died
wait_up() {
    local site=$1 t0 deadline=$((SECONDS + WAIT))
    t0=$(now_ms)
    until "$RAISON" --socket "$(sock_of "$site")" --timeout-ms 1000 status >/dev/null 2>&1; do
        if ! pid_alive "$DEMO/$site.pid" >/dev/null; then
            tail -n 15 "$DEMO/$site.log" >&2 || true
            die "$site stopped at start (log above, in $DEMO/$site.log)"
        fi
        ((SECONDS < deadline)) || die "$site does not answer after ${WAIT}s (see $DEMO/$site.log)"
        sleep 0.05
    done
    echo $(($(now_ms) - t0))
}

status_field() { # status_field SITE FIELD: a number of `raison status --json`, or nothing
    { "$RAISON" --socket "$(sock_of "$1")" --timeout-ms 2000 --json status 2>/dev/null || true; } \
        | sed -n "s/^ *\"$2\": \([0-9]*\).*/\1/p"
}

wait_linked() { # wait_linked SITE N: until SITE has N peers connected
    local deadline=$((SECONDS + WAIT))
    until [[ "$(status_field "$1" peers_connected)" == "$2" ]]; do
        ((SECONDS < deadline)) || die "$1 is not linked to its $2 peer(s) after ${WAIT}s \
(see $DEMO/$1.log and: $SHOW/raison --socket $(sock_of "$1") peers)"
        sleep 0.05
    done
}

# wait_shows SITE GROUP ID: until SITE's timeline of GROUP shows entry ID;
# prints the milliseconds it took
wait_shows() {
    local site=$1 group=$2 id=$3 t0 deadline=$((SECONDS + WAIT))
    t0=$(now_ms)
    until cli "$site" --json timeline "$group" 2>/dev/null | grep -q "$id"; do
        ((SECONDS < deadline)) || die "entry ${id:0:12} did not reach $site after ${WAIT}s"
        sleep 0.01
    done
    echo $(($(now_ms) - t0))
}

json_str() { # json_str KEY < JSON: the first string value of KEY
    sed -n "s/^ *\"$1\": \"\([^\"]*\)\".*/\1/p" | head -n 1
}

# --- commands -------------------------------------------------------------------

cmd_status() {
    local any=0 name pid
    if [[ ! -d "$DEMO" ]]; then
        say "no demo in $DEMO (start one with: $ME)"
        return 0
    fi
    say "demo folder $DEMO"
    printf '  %-8s %-8s %-9s %-22s %8s  %s\n' SITE PID STATE LISTEN ENTRIES PEERS
    for name in $(node_names); do
        any=1
        local listen entries peers
        listen=""
        if [[ -f "$DEMO/$name.conf" ]]; then
            listen=$(sed -n 's/^ *listen *= *//p' "$DEMO/$name.conf" | head -n 1)
        fi
        if pid=$(pid_alive "$DEMO/$name.pid") && [[ -z "$listen" ]]; then
            # a node started by hand: its --listen option
            listen=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n '/^--listen$/{n;p}' | head -n 1)
        fi
        if pid=$(pid_alive "$DEMO/$name.pid"); then
            entries=$(status_field "$name" entries)
            peers="$(status_field "$name" peers_connected)/$(status_field "$name" peers)"
            printf '  %-8s %-8s %-9s %-22s %8s  %s connected\n' "$name" "$pid" running \
                "${listen:--}" "${entries:-?}" "$peers"
        else
            printf '  %-8s %-8s %-9s %-22s %8s  %s\n' "$name" - stopped "${listen:--}" - -
        fi
    done
    ((any)) || say "  (no nodes)"
    for name in "${WEB_SITES[@]}"; do
        if pid=$(web_alive "$name"); then
            printf '  web app of %-7s pid %-8s http://127.0.0.1:%s\n' "$name" "$pid" \
                "$(web_port_of "$name")"
        fi
    done
    return 0
}

cmd_stop() {
    local name pid stopped=0
    [[ -d "$DEMO" ]] || {
        say "no demo in $DEMO"
        return 0
    }
    local -a pids=() names=()
    for name in "${WEB_SITES[@]}"; do
        if pid=$(web_alive "$name"); then
            kill -TERM "$pid" 2>/dev/null || true
            local n=0
            while [[ -d /proc/$pid ]] && ((n++ < 100)); do sleep 0.05; done
            say "stopped the web app of $name (pid $pid)"
        fi
        rm -f "$DEMO/$name.web-pid"
    done
    for name in $(node_names); do
        if pid=$(pid_alive "$DEMO/$name.pid"); then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
            names+=("$name")
        fi
        rm -f "$DEMO/$name.pid"
    done
    local i deadline=$((SECONDS + 15))
    for i in "${!pids[@]}"; do
        while [[ -d "/proc/${pids[$i]}" ]] \
            && [[ "$(cat "/proc/${pids[$i]}/comm" 2>/dev/null)" == raisond ]]; do
            if ((SECONDS >= deadline)); then
                say "${names[$i]} (pid ${pids[$i]}) did not stop on SIGTERM: killing it"
                kill -KILL "${pids[$i]}" 2>/dev/null || true
                break
            fi
            sleep 0.05
        done
        say "stopped ${names[$i]} (pid ${pids[$i]})"
        stopped=$((stopped + 1))
    done
    ((stopped)) || say "no node of the demo was running"
    say "the data stays in $DEMO: '$ME' restarts it, '$ME reset' deletes it"
    return 0
}

cmd_reset() {
    cmd_stop >/dev/null
    if [[ -d "$DEMO" ]]; then
        rm -rf "$DEMO"
        say "deleted $DEMO"
    fi
}

print_usage() {
    cat <<'MSG'
usage: scripts/demo.sh [start | status | stop | reset | help]
  start   (default) install, build, start paris, lyon and nantes on loopback,
          run the story, serve the web app of paris and lyon, and leave it
          all running
  status  show the demo's nodes
  stop    stop them all (the data stays)
  reset   stop them and delete the demo folder
environment: RAISON_DEMO_DIR (default /tmp/raison-demo), RAISON_DEMO_PORT
(default 7701), RAISON_DEMO_WEB_PORT (default 8080: paris, 8081: lyon), RAISON_BUILD (use this build folder: no deps, no build),
RAISON_DEMO_WAIT (seconds per wait, default 30)
MSG
}

declare -A KEY=()

print_web() {
    local site port R="$SHOW/raison" D="$DEMO"
    say
    say "==> The web app of two sites: open these in a browser on this machine"
    say "    (each person's key is made and kept in their browser; the node never sees it)"
    say
    for site in "${WEB_SITES[@]}"; do
        port=$(web_port_of "$site")
        if web_alive "$site" >/dev/null; then
            say "  $site: $(cat "$D/$site.web-invite" 2>/dev/null)"
            say "         (that invite is for the site's operator; anyone else: http://127.0.0.1:$port/)"
        else
            say "  $site: not running (see $D/$site-web.log)"
        fi
    done
    cat <<MSG

  # a one-time invite for a newcomer at paris
  $R web invite --listen 127.0.0.1:$(web_port_of paris) --state $D/paris-web --name Dana
MSG
}

print_guide() {
    local p4=$((PORT + 3)) site user
    local R="$SHOW/raison" D="$DEMO"
    print_web
    cat <<MSG

==> The three nodes keep running. Try the CLI against each site (paste any line):

MSG
    for site in "${SITES[@]}"; do
        user=${USER_OF[$site]}
        say "  # $site, as $user"
        say "  $R --socket $D/$site/raison.sock --identity $D/$user.key timeline $GROUP_NAME"
    done
    cat <<MSG

  # chloe joins at nantes and posts; watch it arrive at paris
  $R --socket $D/nantes/raison.sock --identity $D/chloe.key join $GROUP_NAME --yes
  $R --socket $D/paris/raison.sock --identity $D/alice.key watch $GROUP_NAME --count 1 &
  $R --socket $D/nantes/raison.sock --identity $D/chloe.key post $GROUP_NAME \\
      --mission tooling "The nantes runners are on the shared cache too"

  # what each node holds and how its links are doing
  $R --socket $D/lyon/raison.sock status
  $R --socket $D/lyon/raison.sock peers
  $R --socket $D/nantes/raison.sock report $GROUP_NAME

  (or: export RAISON_SOCKET=$D/lyon/raison.sock RAISON_IDENTITY=$D/bob.key
   and then simply: $R groups)

Logs: $D/paris.log, $D/lyon.log, $D/nantes.log; web apps: $D/paris-web.log, $D/lyon-web.log
Config files (the peers each node trusts): $D/paris.conf, $D/lyon.conf, $D/nantes.conf

MSG
    if [[ -d "$D/rennes" ]]; then
        cat <<MSG
==> The fourth site, rennes, was added to this demo; start it again with:
MSG
    else
        cat <<MSG
==> Add a fourth site, rennes, linked to nantes:

  # 1. its node key (created now; printed in hex)
  RENNES_KEY=\$($SHOW/raisond keygen --data $D/rennes)
  # 2. nantes trusts it: one line in nantes' config file, then SIGHUP (no restart)
  echo "peer = tcp://127.0.0.1:$p4=\$RENNES_KEY" >>$D/nantes.conf
  kill -HUP \$(cat $D/nantes.pid)
  # 3. start rennes, trusting and dialling nantes (its pid file makes
  #    '$ME status' and 'stop' include it)
MSG
    fi
    cat <<MSG
  $SHOW/raisond --data $D/rennes --site rennes --listen tcp://127.0.0.1:$p4 \\
      --peer tcp://127.0.0.1:$((PORT + 2))=${KEY[nantes]} \\
      >>$D/rennes.log 2>&1 </dev/null & echo \$! >$D/rennes.pid
  # once it answers, it has caught up with everything within a moment
  until $R --socket $D/rennes/raison.sock status >/dev/null 2>&1; do sleep 0.2; done
  $R --socket $D/rennes/raison.sock peers
  $R --socket $D/rennes/raison.sock --identity $D/alice.key timeline $GROUP_NAME

Status: $ME status
Stop everything: $ME stop
Start over from nothing: $ME reset
MSG
}

run_story() {
    local user site
    say
    say "==> One identity per site, each with a profile"
    for site in "${SITES[@]}"; do
        user=${USER_OF[$site]}
        if [[ ! -f "$DEMO/$user.key" ]]; then
            cli "$site" id new >/dev/null 2>&1
        fi
        cli "$site" profile --name "${NAME_OF[$user]}" --site "$site" \
            --role "${ROLE_OF[$user]}" >/dev/null
        printf '  %-13s %s  %s, %s\n' "$user@$site" "$(cli "$site" id show)" "${NAME_OF[$user]}" \
            "${ROLE_OF[$user]}"
    done

    say
    say "==> alice founds the group '$GROUP_NAME' at paris, with its charter"
    local out group post reply ms
    out=$(cli paris --json charter new --name "$GROUP_NAME" \
        --purpose "Keep the build fast and the tools shared for every site" \
        --mission "onboarding=Get newcomers productive within their first week" \
        --mission "tooling=Share build and test tools between the sites" \
        --benefit "Answers within a day from people who run the same builds" \
        --benefit "Fewer broken builds, shorter waits for CI" \
        --data-policy "Posts are used to improve our tools, never to rate people" \
        --readers "every engineer of the company")
    group=$(json_str group <<<"$out")
    [[ "$group" =~ ^[0-9a-f]{64}$ ]] || die "charter new gave no group id: $out"
    cli paris group "$group" | sed -n '1,12s/^/  /p'

    say
    say "==> alice posts at paris; each site's timeline is polled until the post shows"
    out=$(cli paris --json post "$group" --mission onboarding \
        "The new-starter guide is in the wiki: build, test and deploy in one afternoon")
    post=$(json_str id <<<"$out")
    [[ "$post" =~ ^[0-9a-f]{64}$ ]] || die "post gave no entry id: $out"
    say "  posted at paris: entry ${post:0:12}"
    ms=$(wait_shows lyon "$group" "$post")
    say "  arrived at lyon     after ${ms} ms"
    ms=$(wait_shows nantes "$group" "$post")
    say "  arrived at nantes   after ${ms} ms (through lyon: paris and nantes are not linked)"

    say
    say "==> bob joins at lyon under the charter, and replies to alice"
    cli lyon join "$group" --yes >/dev/null
    out=$(cli lyon --json reply "$post" \
        "Lyon follows the guide too; the remote build cache saves us ten minutes a run")
    reply=$(json_str id <<<"$out")
    [[ "$reply" =~ ^[0-9a-f]{64}$ ]] || die "reply gave no entry id: $out"
    say "  replied at lyon: entry ${reply:0:12}"
    ms=$(wait_shows paris "$group" "$reply")
    say "  reply arrived at paris   after ${ms} ms"
    ms=$(wait_shows nantes "$group" "$reply")
    say "  reply arrived at nantes  after ${ms} ms"

    say
    say "==> the timeline, read at nantes"
    cli nantes timeline "$group" | sed '/^ *$/d; s/^/  /'
    say
    say "==> the value report, computed at nantes (replies across sites count)"
    cli nantes report "$group" | sed 's/^ *$//; s/^./  &/'
    touch "$DEMO/.story-told"
}

cmd_start() {
    local site running=0 stopped=0
    if [[ -d "$DEMO" ]]; then
        for site in "${SITES[@]}"; do
            if pid_alive "$DEMO/$site.pid" >/dev/null; then
                running=$((running + 1))
            else
                stopped=$((stopped + 1))
            fi
        done
        if ((running == ${#SITES[@]})); then
            say "the demo is already running in $DEMO:"
            [[ -n "${RAISON_BUILD:-}" || ! -f "$DEMO/.build" ]] || set_build "$(cat "$DEMO/.build")"
            for site in "${WEB_SITES[@]}"; do
                web_alive "$site" >/dev/null || start_web "$site"
            done
            cmd_status
            for site in "${SITES[@]}"; do
                KEY[$site]=$("$RAISOND" keygen --data "$DEMO/$site" 2>/dev/null || echo NODEKEY)
            done
            print_guide
            return 0
        fi
    fi
    build
    for site in "${SITES[@]}"; do
        if ! pid_alive "$DEMO/$site.pid" >/dev/null &&
            (exec 3<>"/dev/tcp/127.0.0.1/$(port_of "$site")") 2>/dev/null; then
            local hint="RAISON_DEMO_PORT=$((PORT + 100)) $ME"
            [[ ! -f "$DEMO/.port" ]] || hint="$ME reset, then $hint"
            die "port $(port_of "$site") (for $site) is taken by another program: use other ports:" \
                "$hint"
        fi
    done
    for site in "${WEB_SITES[@]}"; do
        if ! web_alive "$site" >/dev/null &&
            (exec 3<>"/dev/tcp/127.0.0.1/$(web_port_of "$site")") 2>/dev/null; then
            die "port $(web_port_of "$site") (the web app of $site) is taken by another program:" \
                "RAISON_DEMO_WEB_PORT=$((WEB_PORT + 100)) $ME"
        fi
    done
    mkdir -p "$DEMO"
    chmod 700 "$DEMO"
    echo "$BUILD" >"$DEMO/.build"
    echo "$PORT" >"$DEMO/.port"
    echo "$WEB_PORT" >"$DEMO/.web-port"
    for site in "${SITES[@]}"; do
        local sock
        sock=$(sock_of "$site")
        if ((${#sock} > 106)); then
            die "the socket path $sock is ${#sock} bytes (at most 106): use a shorter RAISON_DEMO_DIR"
        fi
    done
    say "==> Three sites on this machine, in $DEMO"
    for site in "${SITES[@]}"; do
        KEY[$site]=$("$RAISOND" keygen --data "$DEMO/$site")
        [[ "${KEY[$site]}" =~ ^[0-9a-f]{64}$ ]] || die "raisond keygen failed for $site"
    done
    for site in "${SITES[@]}"; do
        write_config "$site"
    done
    for site in "${SITES[@]}"; do
        if pid_alive "$DEMO/$site.pid" >/dev/null; then
            continue # a stopped demo restarts only what is stopped
        fi
        start_node "$site"
        STARTED=1
    done
    for site in "${SITES[@]}"; do
        local ms
        ms=$(wait_up "$site")
        printf '  %-7s node key %s…  %s  pid %-7s answering after %s ms\n' "$site" \
            "${KEY[$site]:0:16}" "$(sed -n 's/^ *listen *= *//p' "$DEMO/$site.conf" | head -n 1)" \
            "$(cat "$DEMO/$site.pid")" "$ms"
    done
    local t0
    t0=$(now_ms)
    wait_linked paris 1
    wait_linked lyon 2
    wait_linked nantes 1
    say "  linked in a line: paris – lyon – nantes (CURVE, after $(($(now_ms) - t0)) ms)"
    if [[ -f "$DEMO/.story-told" ]]; then
        say
        say "(the demo in $DEMO was restarted on its data; the story was told when it was"
        say " first started: '$ME reset' starts over)"
    else
        run_story
    fi
    for site in "${WEB_SITES[@]}"; do
        web_alive "$site" >/dev/null || start_web "$site"
    done
    print_guide
}

case "${1:-start}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
reset) cmd_reset ;;
help | -h | --help) print_usage ;;
*)
    print_usage >&2
    exit 2
    ;;
esac
