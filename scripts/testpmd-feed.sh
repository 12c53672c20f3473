#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run flowscope live, fed by dpdk-testpmd over a memif pair: the design
# card's "benchmarking with testpmd traffic" use, with no NIC and no
# hugepages.
#
#   scripts/testpmd-feed.sh [SECONDS] [-- flowscope app options...]
#
# flowscope is the memif server (it creates the socket and waits), with
# two RX workers behind the software dispatch lcore (memif has no RSS) and
# the export lcore; testpmd is the memif client in txonly mode (64-byte UDP
# frames, many flows with --txonly-multi-flow). (testpmd as the server
# does not work: its port setup removes the listening socket again.) After
# SECONDS (default 10) flowscope gets SIGINT first, while the link is
# still up: it ends every flow (reason shutdown) and writes its final
# stats, which this script shows together with testpmd's TX count. Frames
# testpmd could not place in the memif ring (flowscope busy) are testpmd's
# TX-dropped.
#
# memif needs DPDK's multi-process channel, so both processes use
# --file-prefix instead of --no-shconf; their runtime directories are
# removed at the end. Needs dpdk-testpmd (package dpdk-dev) and a built
# flowscope (scripts/build.sh; FLOWSCOPE=path overrides it). KEEP=1 keeps
# the logs and the events file.
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
fsp=fscap$$
pmdp=fspmd$$
if [ "$(id -u)" = 0 ]; then rundir=/var/run/dpdk; else rundir=${XDG_RUNTIME_DIR:-/tmp}/dpdk; fi
pmd=
fs=
cleanup() {
    [ -n "$pmd" ] && kill "$pmd" 2>/dev/null || true
    [ -n "$fs" ] && kill "$fs" 2>/dev/null || true
    rm -rf "$rundir/$fsp" "$rundir/$pmdp"
    if [ -n "${KEEP:-}" ]; then echo "testpmd-feed: logs in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT INT TERM

"$flowscope" --no-huge --no-pci -m 1024 --file-prefix "$fsp" --lcores '(0-3)@(0-1)' \
    --log-level error --vdev "net_memif0,role=server,socket=$sock,socket-abstract=no" \
    -- --rx-lcores 2 --max-flows 65536 --events flow_end \
    --output "ndjson:$tmp/events.ndjson" "$@" >"$tmp/flowscope.out" 2>"$tmp/flowscope.err" &
fs=$!
i=0
while [ ! -S "$sock" ]; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $fs 2>/dev/null; then
        echo "testpmd-feed: flowscope did not open $sock:"; cat "$tmp/flowscope.err"; exit 1
    fi
    sleep 0.1
done
# Give flowscope time to start its lcores: a client that connects while
# the port is not yet polled was seen to stall after one ring of frames.
sleep 2
"$testpmd" --no-huge --no-pci -m 512 --file-prefix "$pmdp" --lcores '(0-1)@(0-1)' \
    --log-level error --vdev "net_memif0,role=client,socket=$sock,socket-abstract=no" \
    -- --forward-mode=txonly --txonly-multi-flow --txpkts=64 --auto-start \
    --no-mlockall --total-num-mbufs=16384 --stats-period 1 >"$tmp/testpmd.log" 2>&1 </dev/null &
pmd=$!
sleep "$secs"
kill -INT $fs
rc=0
wait $fs || rc=$?
fs=
[ $rc = 0 ] || { echo "testpmd-feed: flowscope failed ($rc):"; cat "$tmp/flowscope.err"; exit 1; }
kill -INT $pmd 2>/dev/null || true
wait $pmd 2>/dev/null || true
pmd=
echo "flowscope final stats:"
grep '"type":"stats"' "$tmp/events.ndjson" | tail -1
echo "flow_end records: $(grep -c '"flow_end"' "$tmp/events.ndjson" || true)"
grep -i 'TX-packets' "$tmp/testpmd.log" | tail -1 | sed 's/^ */testpmd: /' || true
