#!/usr/bin/env bash
# deps.sh — installs, with apt-get on Debian, the packages raison needs to build
# and test that are not installed yet. Safe to run again: when everything is
# present it only says so. Runs apt-get through sudo when not root.
set -euo pipefail

PACKAGES=(
    # build
    build-essential cmake pkg-config clang-format
    libzmq3-dev libsodium-dev libleveldb-dev libprotobuf-c-dev protobuf-c-compiler
    libcmocka-dev libjansson-dev libinih-dev libsystemd-dev
    # man pages (scdoc), reading them, the units' checks and the .deb's test
    scdoc man-db systemd file dpkg-dev
    # raison web: libmicrohttpd (HTTP, TLS through GnuTLS)
    libmicrohttpd-dev libgnutls28-dev
    # sanitizer build (scripts/test.sh --sanitize)
    clang libclang-rt-14-dev
    # the Python client integration test
    python3 python3-zmq python3-protobuf python3-nacl protobuf-compiler
    # audit tests
    openssl xxd
    # raison web tests
    curl
    # the browser test of raison web's page (tests/web: playwright-core from npm drives it)
    chromium fonts-dejavu-core nodejs
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done
# npm comes with some builds of nodejs (NodeSource's) and as its own package in Debian's
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "deps: all ${#PACKAGES[@]} packages installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: no apt-get here (raison's scripts expect Debian); install them by hand" >&2
    exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "deps: missing packages: ${missing[*]}" >&2
        echo "deps: not root and no sudo: install them as root" >&2
        exit 1
    fi
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
