#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The benchmark suite in one go: where flowscope stands against the I/O
# floor (dpdk-testpmd rxonly) and against the tools users would pick
# instead (ndpiReader, softflowd, argus), on this machine, in this run.
#
#   scripts/bench.sh [--quick] [--only SECTIONS] [--build DIR] [--out DIR]
#
#   --quick          smoke sizes (1K/100K flows, a 1M-packet pcap, one run
#                    each): under 2 minutes, to check the suite works; the
#                    figures are not the issue's sizes
#   --only LIST      comma list of floor,churn,offline,memory,export
#                    (default: all)
#   --build DIR      release build with the benches (default build-rel;
#                    configured --buildtype=release -Dtests=enabled)
#   --out DIR        results (default bench/, git-ignored)
#   --param K=V      change one size of the mode (repeatable), e.g.
#                    floor_flows=1000000 or offline_repeat=1; the keys are
#                    QUICK/FULL in scripts/bench-run.py
#
# Writes DIR/results.csv (one row per figure: value, ratio to the floor or
# peer measured in the same run, or to the target; CPU model), DIR/results.md
# (the same as tables, with the commands) and DIR/floor.png (Mpps vs
# concurrent flows), DIR/peers.png (speed-up over each peer) and
# DIR/targets.png (each target's ratio). Prints the targets next to the
# measured ratios at the end; never fails on them. Generated pcaps are kept
# in DIR/work/ and reused by later runs (the full mode writes about 2 GB).
#
# Frames are 64 bytes on the wire: 60-byte pcap records plus the 4-byte
# FCS, as testpmd and pktgen count them (fsgen --size 64). The full mode
# takes about 20-30 minutes on 2 cores and needs about 8 GB of free memory
# at its 4M-flow points; run it on an otherwise idle machine: both
# programs being compared use both cores.
#
# Needs (scripts/deps.sh bench installs them): dpdk-testpmd, ndpiReader,
# softflowd, argus, gnuplot, /usr/bin/time. A missing tool skips its
# figures with a message; the rest still runs.
set -eu
cd "$(dirname "$0")/.."

quick=
only=
build="build-rel"
out=bench
params=
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=--quick ;;
    --param) params="$params --param ${2:?--param needs KEY=VALUE}"; shift ;;
    --only) only=${2:?--only needs a list}; shift ;;
    --build) build=${2:?--build needs a directory}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    -h|--help) sed -n '3,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if ! scripts/deps.sh bench; then
    echo "bench.sh: could not install every package of 'scripts/deps.sh bench';" \
         "figures needing a missing tool will be skipped" >&2
fi
scripts/build.sh "$build" --buildtype=release -Dtests=enabled
mkdir -p "$out"
# shellcheck disable=SC2086
exec python3 scripts/bench-run.py --build "$build" --out "$out" $quick $params \
    ${only:+--only "$only"}
