#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# One command on a fresh Debian bookworm: install what is missing, build,
# and run flowscope on the bundled sample capture (no NIC, no hugepages).
#   scripts/run.sh [PCAP] [flowscope options...]
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh run
scripts/build.sh build
pcap=${1:-tests/data/sample.pcap}
[ $# -gt 0 ] && shift
exec build/app/flowscope --pcap "$pcap" "$@"
