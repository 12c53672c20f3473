#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Runtime test: workers, software dispatch, export lcore, counters.

1. Every shared pcap through 1 RX worker, through 2 RX workers that
   each read the file and keep their share of the flows, and through 2
   RX workers fed by the software dispatch lcore (net_pcap) gives the
   same set of flow_end records
   (flow_id aside; a tunnelled flow's parent compared by the parent's
   identity): no flow split across lcores, no inner flow away from its
   outer flow, nothing lost. Tunnel captures also go through 3 workers.
2. The final stats add up in every run: decode.frames = decoded +
   undecodable, flows created = ended + active, events produced =
   exported + dropped in total and per worker (exported is counted by
   the export lcore as it writes, not derived), exported = the records
   written, each sink's records = written + dropped, port ipackets =
   frames given to workers + frames the dispatch lcore dropped, and
   offline runs (policy hold) drop nothing.
3. The single-lcore mode (--no-export-lcore) gives the same records.
4. A tiny event ring with --full-policy drop drops events, counts every
   one of them per worker and reason, and the sums still hold.

usage: test_runtime.py FLOWSCOPE SHARED_DIR
"""
import concurrent.futures
import csv
import json
import os
import subprocess
import sys

# Captures with tunnels: also run through 3 workers.
TUNNEL_WORDS = ("tunnel", "teredo", "vxlan", "gre", "gtp", "6in4")


def run(flowscope, pcap, extra, events="flow_end"):
    cmd = [flowscope, "--pcap", pcap, "--events", events, "--max-flows", "16384"] + extra
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.decode()))
    evs, stats = [], None
    for line in p.stdout.decode().splitlines():
        ev = json.loads(line)
        if ev["type"] == "stats":
            if ev.get("final"):
                stats = ev
        else:
            evs.append(ev)
    ends = [e for e in evs if e["type"] == "flow_end"]
    by_id = {e["flow_id"]: e for e in ends}
    out = []
    for ev in ends:
        ev = dict(ev)
        ev.pop("flow_id")
        ev.pop("ts", None)
        if "tunnel" in ev and "parent" in ev["tunnel"]:
            # the parent by its identity: flow ids differ between runs
            par = by_id.get(ev["tunnel"]["parent"])
            ev["tunnel"] = dict(ev["tunnel"])
            ev["tunnel"]["parent"] = None if par is None else [
                par["proto"], par["orig_h"], par["orig_p"], par["resp_h"],
                par["resp_p"], par["first_ts"]]
        out.append(json.dumps(ev, sort_keys=True))
    if stats is not None:
        stats["_records"] = len(evs)
    return sorted(out), stats


def check_counters(st):
    """Counters that must add up in every final stats object, live or offline."""
    bad = []
    e = st["events"]
    if e["produced"] != e["exported"] + e["dropped"]:
        bad.append("events.produced %d != exported %d + dropped %d"
                   % (e["produced"], e["exported"], e["dropped"]))
    if e["dropped"] != e["dropped_ring_full"] + e["dropped_pool_empty"]:
        bad.append("events.dropped is not the sum of its reasons")
    if e["queued"] != 0:
        bad.append("events.queued %d in the final stats" % e["queued"])
    wsum = {"produced": 0, "exported": 0, "dropped": 0}
    for i, w in enumerate(st["workers"]):
        we = w["events"]
        dropped = we["dropped_ring_full"] + we["dropped_pool_empty"]
        if we["produced"] != we["exported"] + dropped:
            bad.append("worker %d: produced %d != exported %d + dropped %d"
                       % (i, we["produced"], we["exported"], dropped))
        if we["enqueued"] != we["exported"]:
            bad.append("worker %d: enqueued %d, exported %d" % (i, we["enqueued"], we["exported"]))
        wsum["produced"] += we["produced"]
        wsum["exported"] += we["exported"]
        wsum["dropped"] += dropped
    if wsum != {k: e[k] for k in wsum}:
        bad.append("worker events %s do not sum to the totals" % wsum)
    if sum(w["frames"] for w in st["workers"]) != st["rx"]["frames"]:
        bad.append("worker frames do not sum to rx.frames")
    ports = st["rx"]["ports"]
    if ports:
        ipackets = sum(p["ipackets"] for p in ports)
        ddrop = st.get("dispatch", {}).get("dropped_ring_full", 0)
        if ipackets != st["rx"]["frames"] + ddrop:
            bad.append("port ipackets %d != rx.frames %d + dispatch drops %d"
                       % (ipackets, st["rx"]["frames"], ddrop))
        if "dispatch" in st and st["dispatch"]["frames"] != ipackets:
            bad.append("dispatch.frames %d != port ipackets %d"
                       % (st["dispatch"]["frames"], ipackets))
    elif st["rx"].get("reader", {}).get("frames") != st["rx"]["frames"]:
        bad.append("reader frames != rx.frames")
    if "_records" in st and st["_records"] != e["exported"]:
        bad.append("%d records written, events.exported %d" % (st["_records"], e["exported"]))
    for s in st["sinks"]:
        if s["records"] != s["written"] + s["dropped"]:
            bad.append("sink %s records != written + dropped" % s["output"])
    return bad


def check_stats(name, st):
    bad = check_counters(st)
    d = st["decode"]
    if d["frames"] != d["decoded"] + d["undecodable"]:
        bad.append("decode.frames != decoded + undecodable")
    f = st["flows"]
    if f["created"] != f["ended"] + f["active"]:
        bad.append("flows.created != ended + active")
    e = st["events"]
    if e["dropped"] != 0:
        bad.append("offline run dropped %d events" % e["dropped"])
    if st.get("dispatch", {}).get("dropped_ring_full", 0):
        bad.append("dispatch dropped frames offline")
    if st["rx"]["frames"] != d["frames"]:
        bad.append("rx.frames %d != decode.frames %d" % (st["rx"]["frames"], d["frames"]))
    return ["%s: %s" % (name, b) for b in bad]


def one(flowscope, shared, name):
    pcap = os.path.join(shared, "pcaps", name)
    base, st1 = run(flowscope, pcap, [])
    two, st2 = run(flowscope, pcap, ["--rx-lcores", "2", "--dispatch", "on"])
    split, st5 = run(flowscope, pcap, ["--rx-lcores", "2"])
    single, st3 = run(flowscope, pcap, ["--no-export-lcore"])
    runs = [("2 workers + dispatch", two, st2), ("2 workers, split reader", split, st5),
            ("--no-export-lcore", single, st3)]
    if any(w in name for w in TUNNEL_WORDS):
        three, st4 = run(flowscope, pcap, ["--rx-lcores", "3", "--dispatch", "on"])
        runs.append(("3 workers + dispatch", three, st4))
        three, st6 = run(flowscope, pcap, ["--rx-lcores", "3"])
        runs.append(("3 workers, split reader", three, st6))
    errs = []
    for label, other, _ in runs:
        if other != base:
            missing = set(base) - set(other)
            extra = set(other) - set(base)
            errs.append("%s: %s differs from 1 worker: %d missing, %d extra; e.g. %s"
                        % (name, label, len(missing), len(extra),
                           (sorted(missing) or sorted(extra))[0][:300]))
    for label, st in [("1 worker", st1)] + [(l, s) for l, _, s in runs]:
        if st is None:
            errs.append("%s (%s): no final stats" % (name, label))
        else:
            errs += check_stats("%s (%s)" % (name, label), st)
    for st in (st2, st5):
        if st is not None and len(st.get("workers", [])) != 2:
            errs.append("%s: stats list %d workers, want 2" % (name, len(st.get("workers", []))))
    if st2 is not None and not st2["rx"]["ports"]:
        errs.append("%s: --dispatch on did not read through net_pcap" % name)
    if st5 is not None and (st5["rx"]["ports"] or "reader" not in st5["rx"]):
        errs.append("%s: --rx-lcores 2 did not read through the reader" % name)
    return len(base), errs


def drop_run(flowscope, shared):
    """A 64-entry event ring, policy drop, an export lcore that sleeps up to
    100 ms when idle: events are dropped, and every one is counted."""
    pcap = os.path.join(shared, "pcaps", "zeek-http-206-ooo.pcap")
    _, st = run(flowscope, pcap, ["--rx-lcores", "2", "--dispatch", "on",
                                  "--full-policy", "drop", "--set", "events.ring_size=64",
                                  "--set", "events.pool_size=1024",
                                  "--set", "lcores.idle_backoff_us=100000"],
                events="all")
    if st is None:
        return ["drop run: no final stats"]
    errs = ["drop run: " + b for b in check_counters(st)]
    e = st["events"]
    if e["dropped_ring_full"] + e["dropped_pool_empty"] == 0:
        errs.append("drop run: no event dropped (%s)" % e)
    if not errs:
        print("ok drop run: %d events produced, %d exported, %d dropped (ring full %d, "
              "pool empty %d)" % (e["produced"], e["exported"], e["dropped"],
                                  e["dropped_ring_full"], e["dropped_pool_empty"]))
    return errs


def main():
    flowscope, shared = sys.argv[1], sys.argv[2]
    with open(os.path.join(shared, "pcaps", "MANIFEST.tsv")) as f:
        names = [r["file"] for r in csv.DictReader(f, delimiter="\t")]
    failed = passed = flows = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        for n, errs in ex.map(lambda nm: one(flowscope, shared, nm), names):
            flows += n
            if errs:
                failed += 1
                for e in errs:
                    print("FAIL " + e)
            else:
                passed += 1
    for e in drop_run(flowscope, shared):
        failed += 1
        print("FAIL " + e)
    print("runtime: %d pcaps passed, %d failed (%d flow_end records compared)"
          % (passed, failed, flows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
