#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run flowscope live, fed by dpdk-testpmd over a memif pair: the design
# card's "benchmarking with testpmd traffic" use, with no NIC and no
# hugepages.
#
#   scripts/testpmd-feed.sh [SECONDS] [-- flowscope app options...]
#
# testpmd is the memif server in txonly mode (64-byte UDP frames, many
# flows with --txonly-multi-flow); flowscope is the memif client with two
# RX workers behind the software dispatch lcore (memif has no RSS) and
# the export lcore. After SECONDS (default 10) both get SIGINT: flowscope
# ends every flow (reason shutdown) and prints its final stats line, which
# this script shows together with testpmd's TX count.
#
# memif needs DPDK's multi-process channel, so both processes use
# --file-prefix instead of --no-shconf. Needs dpdk-testpmd (package dpdk-dev)
# and a built flowscope (scripts/build.sh).
set -eu

secs=${1:-10}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift

here=$(cd "$(dirname "$0")/.." && pwd)
flowscope=${FLOWSCOPE:-$here/build/app/flowscope}
testpmd=$(command -v dpdk-testpmd || true)
[ -x "$flowscope" ] || { echo "testpmd-feed: build flowscope first (scripts/build.sh)" >&2; exit 2; }
[ -n "$testpmd" ] || { echo "testpmd-feed: dpdk-testpmd not found (apt-get install dpdk-dev)" >&2; exit 2; }

tmp=$(mktemp -d)
sock=$tmp/memif.sock
trap 'kill $pmd $fs 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT INT TERM

"$testpmd" --no-huge --no-pci -m 512 --file-prefix fspmd$$ --lcores '(0-1)@(0-1)' \
    --log-level error --vdev "net_memif0,role=server,socket=$sock,socket-abstract=no" \
    -- --forward-mode=txonly --txonly-multi-flow --txpkts=64 --auto-start \
    --no-mlockall --total-num-mbufs=16384 --stats-period 1 >"$tmp/testpmd.log" 2>&1 </dev/null &
pmd=$!
sleep 2
"$flowscope" --no-huge --no-pci -m 1024 --file-prefix fscap$$ --lcores '(0-3)@(0-1)' \
    --log-level error --vdev "net_memif0,role=client,socket=$sock,socket-abstract=no" \
    -- --rx-lcores 2 --events flow_end --output "ndjson:$tmp/events.ndjson" "$@" \
    >"$tmp/flowscope.out" 2>"$tmp/flowscope.err" &
fs=$!
sleep "$secs"
kill -INT $fs
wait $fs || { echo "testpmd-feed: flowscope failed:"; cat "$tmp/flowscope.err"; exit 1; }
kill -INT $pmd 2>/dev/null || true
wait $pmd 2>/dev/null || true
echo "flowscope final stats:"
grep '"type":"stats"' "$tmp/events.ndjson" | tail -1
echo "flow_end records: $(grep -c '"flow_end"' "$tmp/events.ndjson" || true)"
grep -i 'TX-packets' "$tmp/testpmd.log" | tail -1 | sed 's/^ */testpmd: /' || true
