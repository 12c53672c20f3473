#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Install the Debian packages flowscope needs, only those missing.
#   scripts/deps.sh run    build and run (DPDK, meson, libyaml, OpenSSL)
#   scripts/deps.sh test   + cmocka, python3, clang (fuzz build), and for the
#                          integration tests: nfdump and pmacct (IPFIX
#                          collectors), tcpreplay and iproute2 (live capture
#                          in a network namespace), jq (EVE validation),
#                          tshark (fsgen check)
#   scripts/deps.sh bench  + what scripts/bench.sh compares with and plots:
#                          dpdk-testpmd (dpdk-dev), ndpiReader (libndpi-bin),
#                          softflowd, argus (argus-server; ra: argus-client),
#                          gnuplot (gnuplot-nox), /usr/bin/time (time), and
#                          cmocka (the benches build with -Dtests=enabled)
# Idempotent: with everything present it only runs dpkg-query.
set -eu

profile=${1:-run}
pkgs="libdpdk-dev meson ninja-build pkg-config gcc libc6-dev libyaml-dev libssl-dev libpcap-dev"
case "$profile" in
run) ;;
test) pkgs="$pkgs libcmocka-dev python3 clang libclang-rt-14-dev nfdump pmacct tcpreplay iproute2 jq tshark" ;;
bench) pkgs="$pkgs libcmocka-dev python3 dpdk-dev libndpi-bin softflowd argus-server argus-client gnuplot-nox time" ;;
*) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
