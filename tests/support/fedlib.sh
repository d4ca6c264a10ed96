# shellcheck shell=bash
# fedlib.sh — what the federation integration tests share (test_fed_*.sh).
#
# Sources lib.sh (the temporary folder $T, start_node / stop_node /
# kill9_node, the assertions, `json`, the cleanup trap) and adds what a
# federation of real raisond processes on loopback needs: node keys made
# before any node starts (so that each can be started with the others' keys),
# listen ports that parallel tests never share, a node started with its
# listen endpoint and peers (on the command line or through a config file
# that SIGHUP re-reads), and polling waits for what federation promises: a
# node holding N entries, a node showing a post, a link up or down.
#
# Ports: each script gets a block of 50 ports from 20000 to 31999 (below
# Linux's ephemeral range, so no outgoing connection ever takes one of them
# while a node is down): the first block, from one chosen by the script's
# name, that no other running script holds (a flock on a file in /tmp says
# so); each port is checked free before use and skipped when not.
#
# Usage in a test:
#   fed_init a b c                       keys, ports, endpoints of three nodes
#   fed_start a --peer "$(fed_peer b)"   raisond a, listening, peered with b
#   wait_entries c 5                     until c holds exactly 5 entries
#   on c --json timeline "$G"            the CLI against node c

RSN_DEADLINE=${RSN_DEADLINE:-60}
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# RSN_FED_LOG_LEVEL (default info) is the nodes' log level; RSN_FED_KEEP, a
# folder, receives the nodes' logs and peers when a test fails.
RSN_FED_LOG_LEVEL=${RSN_FED_LOG_LEVEL:-info}

declare -A FED_KEY=()   # node name -> node key (Ed25519, hex)
declare -A FED_CURVE=() # node name -> node key in its Curve25519 form (hex)
declare -A FED_EP=()    # node name -> tcp://127.0.0.1:PORT it listens on
FED_NEXT_PORT=0

# fed_port_slot: the block this script starts looking from.
fed_port_slot() {
    local name
    name=$(basename "$0" .sh)
    case $name in
    test_fed_line) echo 1 ;;
    test_fed_ring) echo 3 ;;
    test_fed_restart) echo 5 ;;
    test_fed_kill9) echo 7 ;;
    test_fed_join) echo 9 ;;
    test_fed_untrusted) echo 11 ;;
    test_fed_fork) echo 13 ;;
    *) echo $((20 + $(cksum <<<"$name" | cut -d' ' -f1) % 219)) ;;
    esac
}

# fed_claim_block: takes the first block, from this script's slot on, whose
# lock (/tmp/rsn-fed-ports-BASE.lock, flock) no other script holds, and keeps
# it for the script's life (the nodes inherit the descriptor): two scripts,
# even two runs of one script, never share a block. Sets FED_PORT_BASE.
FED_PORT_BASE=0
fed_claim_block() {
    local slot i base
    slot=$(fed_port_slot)
    for ((i = 0; i < 240; i++)); do
        base=$((20000 + ((slot + i) % 240) * 50))
        exec {FED_LOCK_FD}>>"/tmp/rsn-fed-ports-$base.lock"
        if flock -n "$FED_LOCK_FD"; then
            FED_PORT_BASE=$base
            FED_NEXT_PORT=$base
            return 0
        fi
        exec {FED_LOCK_FD}>&-
    done
    fail "every block of ports from 20000 to 31999 is taken by another test"
}

# port_free PORT: true when nothing is bound to 127.0.0.1:PORT.
port_free() {
    "$PY" -c '
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
' "$1"
}

# fed_next_port: prints the next free port of this script's block; run it in
# the current shell (not in $(...)): it sets FED_PORT.
fed_next_port() {
    ((FED_PORT_BASE > 0)) || fed_claim_block
    while ! port_free "$FED_NEXT_PORT"; do
        FED_NEXT_PORT=$((FED_NEXT_PORT + 1))
        ((FED_NEXT_PORT < FED_PORT_BASE + 50)) ||
            fail "no free port in $FED_PORT_BASE..$((FED_PORT_BASE + 49))"
    done
    FED_PORT=$FED_NEXT_PORT
    FED_NEXT_PORT=$((FED_NEXT_PORT + 1))
}

# fed_init NAME...: for each node, its data folder $T/NAME with a fresh node
# key (FED_KEY, FED_CURVE) and a listen endpoint (FED_EP).
fed_init() {
    local name out
    for name in "$@"; do
        mkdir -m 700 "$T/$name"
        out=$("$RAISOND" keygen --data "$T/$name" --json) || fail "keygen for node $name"
        FED_KEY[$name]=$(json 'j["key"]' <<<"$out")
        FED_CURVE[$name]=$(json 'j["curve"]' <<<"$out")
        assert_hex64 "${FED_KEY[$name]}" "node key of $name"
        assert_hex64 "${FED_CURVE[$name]}" "curve key of $name"
        fed_next_port
        FED_EP[$name]="tcp://127.0.0.1:$FED_PORT"
    done
}

# fed_peer NAME: the --peer / config value that names NAME as a peer to dial.
fed_peer() { echo "${FED_EP[$1]:?no node $1}=${FED_KEY[$1]}"; }

# fed_trust NAME: trusts NAME when it dials us, without dialling it.
fed_trust() { echo "=${FED_KEY[$1]:?no node $1}"; }

# fed_start NAME [ARGS...]: raisond NAME, site NAME, listening on its
# endpoint, with ARGS (e.g. --peer "$(fed_peer b)").
fed_start() {
    local name=$1
    shift
    start_node "$name" --site "$name" --listen "${FED_EP[$name]:?no node $name}" \
        --log-level "$RSN_FED_LOG_LEVEL" "$@"
}

# fed_peers_args NAME...: prints one `--peer EP=KEY` per line, for mapfile.
fed_peers_args() {
    local name
    for name in "$@"; do
        printf -- '--peer\n%s\n' "$(fed_peer "$name")"
    done
}

# fed_start_peered NAME PEER...: fed_start NAME peered with each PEER.
fed_start_peered() {
    local name=$1
    shift
    local -a args=()
    mapfile -t args < <(fed_peers_args "$@")
    fed_start "$name" "${args[@]}"
}

# fed_config NAME PEER...: writes $T/NAME.ini (site, listen, one peer line
# per PEER, [federation] last so that peers can be appended).
fed_config() {
    local name=$1
    shift
    local file="$T/$name.ini" peer
    {
        echo "[node]"
        echo "site = $name"
        echo "[federation]"
        echo "listen = ${FED_EP[$name]}"
        for peer in "$@"; do
            echo "peer = $(fed_peer "$peer")"
        done
    } >"$file"
}

# fed_config_add_peer NAME PEER: appends PEER to NAME's config file, then
# SIGHUP makes the running node re-read it.
fed_config_add_peer() {
    echo "peer = $(fed_peer "$2")" >>"$T/$1.ini"
    kill -HUP "${RSN_PIDS[$1]:?node $1 is not running}"
}

# fail MESSAGE: lib.sh's fail, after printing what each running node says of
# its peers (the first thing to read when federation did not converge).
fail() {
    local name
    echo "FAIL: $*" >&2
    for name in "${!RSN_PIDS[@]}"; do
        {
            echo "---- peers of $name ----"
            timeout 5 "$RAISON" --socket "$(node_socket "$name")" --json --timeout-ms 2000 \
                peers 2>&1 || true
            echo "---- status of $name ----"
            timeout 5 "$RAISON" --socket "$(node_socket "$name")" --json --timeout-ms 2000 \
                status 2>&1 || true
        } >"$T/$name.peers" 2>&1
        cat "$T/$name.peers" >&2
    done
    if [[ -n ${RSN_FED_KEEP:-} ]]; then
        mkdir -p "$RSN_FED_KEEP"
        cp "$T"/*.log "$T"/*.peers "$RSN_FED_KEEP"/ 2>/dev/null || true
    fi
    exit 1
}

# --- reading a node -----------------------------------------------------------

# on NAME ARGS...: the CLI against node NAME, as the identity $RSN_IDENTITY.
on() {
    local name=$1
    shift
    RSN_SOCKET=$(node_socket "$name") rsn "$@"
}

# as_on NAME WHO ARGS...: the CLI against node NAME as person WHO ($T/WHO.key).
as_on() {
    local name=$1 who=$2
    shift 2
    RSN_SOCKET=$(node_socket "$name") RSN_IDENTITY="$T/$who.key" rsn "$@"
}

# st NAME FIELD: one field of `raison status --json` at node NAME.
st() {
    "$RAISON" --socket "$(node_socket "$1")" --json status | json "j[\"$2\"]"
}

# peers_json NAME: `raison peers --json` at NAME.
peers_json() { "$RAISON" --socket "$(node_socket "$1")" --json peers; }

# head_of NAME AUTHOR: "seq=N id=HEX frozen=0|1" of AUTHOR's feed at NAME.
head_of() { "$API_TOOL" "$(node_socket "$1")" head "$2"; }

# --- predicates (for wait_for) --------------------------------------------------

# has_entries NAME N: NAME holds exactly N entries.
has_entries() { [[ $(st "$1" entries) == "$2" ]]; }

# has_at_least NAME N: NAME holds N entries or more.
has_at_least() { (($(st "$1" entries) >= $2)); }

# shows_post NAME GROUP ID: ID is in GROUP's timeline at NAME.
shows_post() {
    local tl
    tl=$("$RAISON" --socket "$(node_socket "$1")" --json timeline "$2" --limit 1000) || return 1
    [[ $(json "any(p[\"id\"] == \"$3\" for p in j)" <<<"$tl") == true ]]
}

# has_group NAME GROUP: GROUP (an id) is known at NAME.
has_group() {
    "$RAISON" --socket "$(node_socket "$1")" --json group "$2" >/dev/null 2>&1
}

# peer_connected NAME PEER: `raison peers --json` at NAME shows PEER linked.
# (With a CLI that has no `peers` yet: status shows a peer connected.)
peer_connected() {
    local doc
    if doc=$(peers_json "$1" 2>/dev/null); then
        [[ $(json "any(p[\"key\"] == \"${FED_KEY[$2]}\" and p[\"connected\"]
                   for p in j[\"peers\"])" <<<"$doc") == true ]]
    else
        (($(st "$1" peers_connected) >= 1))
    fi
}

# has_forks NAME N: status at NAME counts N forks.
has_forks() { [[ $(st "$1" forks) == "$2" ]]; }

# log_has NAME TEXT: NAME's log holds TEXT.
log_has() { grep -qF -- "$2" "$T/$1.log"; }

# --- waits ------------------------------------------------------------------------

# wait_entries NAME N: NAME holds exactly N entries.
wait_entries() { wait_converged "$2" "$1"; }

wait_post() { wait_for "post $3 in the timeline of $2 at node $1" shows_post "$1" "$2" "$3"; }

wait_group() { wait_for "group $2 at node $1" has_group "$1" "$2"; }

wait_connected() { wait_for "node $1 to show peer $2 connected" peer_connected "$1" "$2"; }

# wait_converged N NAME...: every node holds exactly N entries. The message
# on timeout gives each node's count.
wait_converged() {
    local n=$1
    shift
    local deadline=$((SECONDS + RSN_DEADLINE)) name ok counts
    while true; do
        ok=1
        counts=""
        for name in "$@"; do
            local c
            c=$(st "$name" entries 2>/dev/null || echo "?")
            counts+=" $name=$c"
            [[ $c == "$n" ]] || ok=0
        done
        ((ok)) && return 0
        if ((SECONDS >= deadline)); then
            fail "timed out after ${RSN_DEADLINE}s waiting for $n entries at every node:$counts"
        fi
        sleep 0.1
    done
}

# stays_entries NAME N SECONDS: NAME holds N entries all along SECONDS
# (checked every 0.2 s): for what must NOT arrive.
stays_entries() {
    local until=$((SECONDS + $3)) c
    while ((SECONDS < until)); do
        c=$(st "$1" entries)
        [[ $c == "$2" ]] || fail "node $1 should hold $2 entries, it holds $c"
        sleep 0.2
    done
}

# peer_counters NAME: one line per peer of NAME: "KEY entries_sent dropped".
peer_counters() {
    peers_json "$1" | json '" ".join("%s:%d:%d" % (p["key"][:8], p["entries_sent"], p["dropped"])
                                     for p in j["peers"])'
}

# fed_idle_check SECONDS NAME...: the nodes agree already; over SECONDS (more
# than a Want's timeout and an anti-entropy round) no node sends any entry to
# any peer (agreeing nodes have nothing to send) nor strikes one (honest
# peers send nothing invalid, ask nothing too often).
fed_idle_check() {
    local secs=$1 name
    shift
    declare -A before=()
    for name in "$@"; do
        before[$name]=$(peer_counters "$name")
    done
    local until=$((SECONDS + secs))
    while ((SECONDS < until)); do
        sleep 0.5
    done
    for name in "$@"; do
        assert_eq "${before[$name]}" "$(peer_counters "$name")" \
            "entries sent and strikes (key:sent:dropped) at $name over ${secs}s of agreement"
    done
}

# fed_stop_all: stops every running node with SIGTERM; each must exit 0
# (under the sanitizer build, a leak or an error found at exit fails here).
fed_stop_all() {
    local name
    for name in "${!RSN_PIDS[@]}"; do
        stop_node "$name"
    done
}

# --- what many federation scripts set up the same way ---------------------------

# fed_start_line A B C: starts A - B - C in a line (each peered with its
# neighbours, A and C unknown to each other) and waits until B shows both of
# its links up.
fed_start_line() {
    fed_start_peered "$1" "$2"
    fed_start_peered "$2" "$1" "$3"
    fed_start_peered "$3" "$2"
    wait_connected "$2" "$1"
    wait_connected "$2" "$3"
}

# fed_author VAR NODE WHO NAME SITE: a new identity WHO at NODE (its key,
# checked to be hex, into the variable VAR) that publishes its profile (NAME
# at SITE).
fed_author() {
    local key
    key=$(as_on "$2" "$3" id new 2>/dev/null)
    assert_hex64 "$key" "$3's key"
    as_on "$2" "$3" profile --name "$4" --site "$5" >/dev/null
    printf -v "$1" '%s' "$key"
}

# fed_group VAR NODE WHO NAME PURPOSE MISSION BENEFIT POLICY: WHO at NODE
# founds group NAME (MISSION is KEY=GOAL); its id, checked to be hex, into
# the variable VAR.
fed_group() {
    local id
    id=$(as_on "$2" "$3" --json charter new --name "$4" --purpose "$5" --mission "$6" \
        --benefit "$7" --data-policy "$8" | json 'j["group"]')
    assert_hex64 "$id" "group id"
    printf -v "$1" '%s' "$id"
}
