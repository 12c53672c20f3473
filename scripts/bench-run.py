#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark suite of flowscope; scripts/bench.sh builds and runs it.

    bench-run.py --build DIR --out DIR [--quick] [--only SECTION[,...]]
                 [--param KEY=VALUE ...]

Sections (issue 7), each written as rows of OUT/results.csv, tables of
OUT/results.md and the plots OUT/*.png (gnuplot):

  floor    dpdk-testpmd --forward-mode=rxonly and flowscope tracking only
           (one RX lcore; with and without the export lcore) on the same
           net_pcap infinite_rx=1 vdev of a 64-byte UDP pcap with one packet
           per flow, at 1K/100K/1M/4M flows: steady-state Mpps, median of
           the 1-second samples after a warm-up, and its ratio to testpmd;
  churn    tests/bench/bench_churn: short TCP sessions and UDP pairs created
           and ended per second on one core;
  offline  whole-process wall time (best of 3) and max RSS on one
           10M-packet / 1M-flow pcap (64-byte frames, TCP sessions of 10
           packets): flowscope --pcap (default features, and tracking only)
           against ndpiReader, softflowd and argus; ratio = peer time /
           flowscope time;
  memory   flowscope's own table figure (stats memory.tracker_bytes) and
           the real max RSS of an offline run at 1M and 4M flows minus a
           1000-flow baseline, per flow;
  export   tests/bench/bench_export (render + write per record, each sink)
           and end to end: flow_end NDJSON records per second through the
           export lcore on a pcap of many short flows, fed by one worker
           and by two (the faster counts).

Every figure gets a ratio against the floor or peer measured in the same
run, or against its target where there is nothing to compare with; the
targets are printed next to the ratios and never fail the run. A tool
that is missing or fails is skipped with its error, the rest still runs.

The machine is shared and small: nothing here is a pass/fail test, and
timings from a loaded machine are noisy (the load average is recorded).
"""
import argparse
import csv
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

FRAME = 64            # frame size on the wire; pcap records hold 60 bytes (no FCS)
MBUF_SIZE = 1024      # mbuf data room for both testpmd and flowscope (flowscope's minimum)
TARGETS = {
    "floor": 0.5,         # tracking only at 1M flows >= 0.5x testpmd rxonly
    "offline": 5.0,       # >= 5x faster than the fastest peer
    "churn": 3e6,         # >= 3M flows/s on one core
    "record": 128,        # <= 128 B of flow record per flow (+ the rte_hash slot)
    "export": 1e6,        # >= 1M flow_end NDJSON records/s
}

QUICK = {
    "floor_flows": [1000, 100000],
    "floor_secs": 3,
    "floor_skip": 1,
    "churn_flows": 1000000,
    "offline_packets": 500000,
    "offline_flows": 50000,
    "offline_repeat": 1,
    "memory_flows": [100000],
    "export_events": 100000,
    "export_repeat": 1,
    "export_flows": 100000,
}
FULL = {
    "floor_flows": [1000, 100000, 1000000, 4000000],
    "floor_secs": 8,
    "floor_skip": 2,
    "churn_flows": 4000000,
    "offline_packets": 10000000,
    "offline_flows": 1000000,
    "offline_repeat": 3,
    "memory_flows": [1000000, 4000000],
    "export_events": 2000000,
    "export_repeat": 3,
    "export_flows": 1000000,
}


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def fmt_num(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e4:
        return "%.0fK" % (v / 1e3)
    if v == int(v):
        return "%d" % v
    return "%.3g" % v


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


class Skip(Exception):
    """A measurement that cannot run here; the message says why."""


class Bench:
    def __init__(self, args):
        self.a = args
        self.p = dict(QUICK if args.quick else FULL)
        for kv in args.param or []:
            k, _, v = kv.partition("=")
            if k not in self.p or not v:
                raise SystemExit("bench-run: --param %s: one of %s=VALUE" %
                                 (kv, ", ".join(sorted(self.p))))
            self.p[k] = ([int(x) for x in v.split(",")] if isinstance(self.p[k], list)
                         else int(v))
        self.build = os.path.abspath(args.build)
        self.out = os.path.abspath(args.out)
        self.work = os.path.join(self.out, "work")
        os.makedirs(self.work, exist_ok=True)
        # Scratch outputs on tmpfs: writing them costs memory copies, not disk.
        self.shm = tempfile.mkdtemp(prefix="fsbench-",
                                    dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        self.cpu = cpu_model()
        self.rows = []
        self.notes = []      # (section, text): skips, errors, choices
        self.md = {}         # section -> list of markdown lines
        self.flowscope = os.path.join(self.build, "app", "flowscope")
        self.fsgen = os.path.join(self.build, "scripts", "fsgen")
        self.bench_dir = os.path.join(self.build, "tests", "bench")

    # ------------------------------------------------------------ helpers
    def row(self, section, metric, flows, value, unit, ratio=None, ratio_to="", target=None,
            note=""):
        self.rows.append({
            "section": section, "metric": metric, "flows": flows if flows is not None else "",
            "value": value, "unit": unit,
            "ratio": ("%.3f" % ratio) if ratio is not None else "",
            "ratio_to": ratio_to,
            "target": target if target is not None else "",
            "met": ("" if ratio is None or target is None else
                    ("yes" if ratio >= target else "no")),
            "cpu": self.cpu, "note": note,
        })

    def show(self, argv):
        """A command line for the report: paths relative to the checkout."""
        root = os.path.dirname(self.build)
        return " ".join(a.replace(root + "/", "") for a in argv)

    def note(self, section, text):
        log("%s: %s" % (section, text))
        self.notes.append((section, text))

    def pcap(self, name, *args):
        """fsgen a pcap into the work dir once (same arguments, same file)."""
        path = os.path.join(self.work, name + ".pcap")
        stamp = path + ".args"
        argv = [str(a) for a in args]
        if os.path.exists(path) and os.path.exists(stamp):
            with open(stamp) as f:
                if f.read() == " ".join(argv):
                    return path
        log("fsgen %s: %s" % (name, " ".join(argv)))
        r = subprocess.run([self.fsgen, "--out", path] + argv, capture_output=True, text=True)
        if r.returncode != 0:
            raise Skip("fsgen failed: " + r.stderr.strip())
        log(r.stderr.strip())
        with open(stamp, "w") as f:
            f.write(" ".join(argv))
        return path

    def timed(self, argv, stdout=subprocess.DEVNULL):
        """Run to completion: wall s (monotonic), max RSS KiB, CPU s, rc, stderr."""
        tfile = os.path.join(self.shm, "time.txt")
        t0 = time.monotonic()
        r = subprocess.run(["/usr/bin/time", "-v", "-o", tfile] + argv, stdout=stdout,
                           stderr=subprocess.PIPE, text=True, errors="replace")
        wall = time.monotonic() - t0
        rss = cpu = None
        try:
            with open(tfile) as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("Maximum resident set size"):
                        rss = int(line.split(":")[1])
                    elif line.startswith("User time") or line.startswith("System time"):
                        cpu = (cpu or 0.0) + float(line.split(":")[1])
        except (OSError, ValueError):
            pass
        return wall, rss, cpu, r.returncode, r.stderr

    def live(self, argv, sample, ready, secs, start_timeout=900):
        """
        Start argv and read its output: sample(line) turns a line into a
        value (None: not a sample). The first value for which ready(value)
        holds starts the measured window: `secs` seconds later the process
        gets SIGINT. Returns the values, the index of the first ready one
        (None if it never got ready), the last other lines and the status.
        """
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, errors="replace", bufsize=1)
        values, tail, start = [], [], []
        go = threading.Event()

        def reader():
            for line in p.stdout:
                v = sample(line)
                if v is None:
                    tail.append(line.rstrip())
                    del tail[:-40]
                    continue
                values.append(v)
                if not start and ready(v):
                    start.append(len(values) - 1)
                    go.set()
            go.set()

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        go.wait(start_timeout)
        if p.poll() is None and start:
            time.sleep(secs + 0.5)     # secs full samples before the signal
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=300)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        th.join(timeout=120)
        return values, start[0] if start else None, tail, p.returncode

    def steady(self, rates):
        """Median of the per-second rates of the window, after floor_skip of them."""
        skip = self.p["floor_skip"]
        use = rates[skip:] if len(rates) > skip else rates[-1:]
        return statistics.median(use) if use else None

    def eal_mem_mb(self, packets, flows):
        mbufs = (packets + 8192) * (MBUF_SIZE + 256)
        table = (flows + flows // 8 + 1024) * 512
        return int((mbufs + table) / 2**20) + 512

    # ------------------------------------------------------------ floor
    def testpmd_rate(self, pcap, packets, mem):
        exe = shutil.which("dpdk-testpmd")
        if exe is None:
            raise Skip("dpdk-testpmd not found (Debian package dpdk-dev: scripts/deps.sh bench)")
        argv = [exe, "--no-huge", "--no-pci", "--no-shconf", "-m", str(mem), "-l", "0-1",
                "--log-level=error", "--no-telemetry",
                "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap, "--",
                "--forward-mode=rxonly", "--total-num-mbufs=%d" % (packets + 8192),
                "--mbuf-size=%d" % MBUF_SIZE, "--stats-period", "1"]
        pat = re.compile(r"Rx-pps:\s+(\d+)")

        def sample(line):
            m = pat.search(line)
            return int(m.group(1)) if m else None

        # The first display (0 pps) comes before forwarding starts.
        vals, start, tail, rc = self.live(argv, sample, lambda v: v > 0, self.p["floor_secs"])
        if start is None:
            raise Skip("testpmd gave no rate (rc %s): %s" % (rc, " | ".join(tail[-5:])))
        return self.steady(vals[start:start + self.p["floor_secs"]]), argv

    def flowscope_rate(self, pcap, packets, flows, mem, export):
        argv = [self.flowscope, "--no-huge", "--no-pci", "--no-shconf", "-m", str(mem),
                "-l", "0-1", "--log-level=error", "--no-telemetry",
                "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap, "--",
                "--no-reassembly", "--set", "parsers.enabled=[]", "--events", "flow_end",
                "--stats-interval", "1", "--full-policy", "hold",
                "--max-flows", str(max(flows + flows // 8, 4096)),
                "--mbufs", str(packets + 8192), "--mbuf-size", str(MBUF_SIZE),
                "--output", "ndjson:-"]
        if not export:
            argv.append("--no-export-lcore")

        def sample(line):
            if '"type":"stats"' not in line:
                return None
            try:
                o = json.loads(line)
            except ValueError:
                return None
            return (float(o["ts"]), int(o["rx"]["frames"]), bool(o.get("final")),
                    int(o["flows"]["created"]))

        # The window starts once every flow of the file exists (the first
        # pass through the file creates them, at the insert rate).
        vals, start, tail, rc = self.live(argv, sample, lambda v: v[3] >= flows and not v[2],
                                          self.p["floor_secs"])
        if start is None:
            raise Skip("flowscope never had the %d flows open (rc %s; %s flows at the end): %s" %
                       (flows, rc, vals[-1][3] if vals else 0, " | ".join(tail[-3:])[-300:]))
        # Flows created per second during the first pass, for the record.
        self.first_pass = ((vals[start][3] - vals[0][3]) / (vals[start][0] - vals[0][0])
                           if start > 0 and vals[start][0] > vals[0][0] else None)
        # The window: `secs` 1-second intervals from the ready sample (after
        # SIGINT the samples go on while the flows end, with no new frames).
        per = [v for v in vals[start:start + self.p["floor_secs"] + 1] if not v[2]]
        rates = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(per, per[1:]) if b[0] > a[0]]
        if not rates:
            raise Skip("flowscope gave no rate (rc %s): %s" % (rc, " | ".join(tail[-3:])[-300:]))
        return self.steady(rates), argv

    def sec_floor(self):
        md = ["Steady-state packet rate on one `net_pcap` `infinite_rx=1` vdev of a %d-byte UDP "
              "pcap with one packet per flow (fsgen round robin). Measured window: %d s from "
              "the moment testpmd forwards, or every flow of the file exists in flowscope's "
              "table (its first pass creates them); median of the 1-second samples after the "
              "first %d. Same EAL memory (`-m`) and lcores (`-l 0-1`) for both; mbufs of %d B "
              "data room. flowscope: tracking only (no reassembly, no parsers, flow_end events "
              "only), one RX lcore." %
              (FRAME, self.p["floor_secs"], self.p["floor_skip"], MBUF_SIZE), "",
              "| flows | testpmd rxonly Mpps | flowscope + export lcore Mpps | ratio | "
              "flowscope, no export lcore Mpps | ratio |", "|---|---|---|---|---|---|"]
        self.floor_points = []
        cmds, passes = [], []
        for n in self.p["floor_flows"]:
            try:
                pcap = self.pcap("floor-udp64-%d" % n, "--packets", n, "--flows", n,
                                 "--popularity", "roundrobin", "--proto", "udp",
                                 "--size", FRAME)
            except Skip as e:
                self.note("floor", "%d flows: %s" % (n, e))
                continue
            mem = self.eal_mem_mb(n, n)
            res, first_pass = {}, {}
            for name, fn in (("testpmd", lambda: self.testpmd_rate(pcap, n, mem)),
                             ("fs_export", lambda: self.flowscope_rate(pcap, n, n, mem, True)),
                             ("fs_noexport", lambda: self.flowscope_rate(pcap, n, n, mem, False))):
                log("floor %d flows: %s" % (n, name))
                try:
                    self.first_pass = None
                    res[name], argv = fn()
                    first_pass[name] = self.first_pass
                    if n == self.p["floor_flows"][-1]:
                        cmds.append(self.show(argv))
                except Skip as e:
                    self.note("floor", "%d flows, %s: %s" % (n, name, e))
                    res[name] = None
            tp = res.get("testpmd")
            cells = ["%d" % n, fmt_mpps(tp)]
            self.row("floor", "testpmd_rxonly_mpps", n, mpps(tp), "Mpps", 1.0 if tp else None,
                     "testpmd")
            for name, label in (("fs_export", "flowscope_track_export_mpps"),
                                ("fs_noexport", "flowscope_track_noexport_mpps")):
                if first_pass.get(name):
                    self.row("floor", label.replace("_mpps", "_first_pass_flows_per_s"), n,
                             "%.0f" % first_pass[name], "flows/s", note="flows created per "
                             "second while the first pass fills the table")
                v = res.get(name)
                ratio = v / tp if v and tp else None
                self.row("floor", label, n, mpps(v), "Mpps", ratio, "testpmd_rxonly",
                         TARGETS["floor"] if n == 1000000 else None)
                cells += [fmt_mpps(v), fmt_ratio(ratio)]
            self.floor_points.append((n, tp, res.get("fs_export"), res.get("fs_noexport")))
            md.append("| " + " | ".join(cells) + " |")
            passes.append("%s flows: %s / %s" % (fmt_num(n), *(
                fmt_num(first_pass[k]) if first_pass.get(k) else "-"
                for k in ("fs_export", "fs_noexport"))))
        md += ["", "flowscope's first pass through the file (creating the flows), flows/s with / "
               "without the export lcore: " + "; ".join(passes) + " (-: every flow existed "
               "by the first 1-second sample, too soon to rate).",
               "", "Commands (largest point):", ""] + ["    " + c for c in cmds]
        self.md["floor"] = md

    # ------------------------------------------------------------ churn
    def sec_churn(self):
        exe = os.path.join(self.bench_dir, "bench_churn")
        if not os.path.exists(exe):
            raise Skip("%s not built (meson -Dtests=enabled)" % exe)
        argv = [exe, "--flows", str(self.p["churn_flows"])]
        log("churn: " + " ".join(argv))
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            raise Skip("bench_churn failed: " + r.stderr.strip()[-300:])
        md = ["`%s` (one core; every flow created and ended inside the timed run):" %
              " ".join([os.path.basename(exe)] + argv[1:]), "", "```"]
        md += [l for l in r.stdout.splitlines()]
        md += ["```", "", "| proto | flows/s (created and ended) | target | ratio to target |",
               "|---|---|---|---|"]
        col = {}
        for line in r.stdout.splitlines():
            f = line.split()
            if f and f[0] == "proto":
                col = {name: i for i, name in enumerate(f)}
                continue
            if not col or len(f) != len(col) or f[0] not in ("tcp", "udp"):
                continue
            # The headline: flows created per second in the steady state
            # (ended per second is the same up to the change in open flows).
            v = float(f[col["created_per_s"]])
            ratio = v / TARGETS["churn"]
            n = int(f[col["flows"]])
            self.row("churn", "flows_per_s_" + f[0], n, "%.0f" % v, "flows/s", ratio,
                     "target 3M flows/s", 1.0, "flows created per second")
            self.row("churn", "ended_per_s_" + f[0], n, f[col["ended_per_s"]], "flows/s",
                     float(f[col["ended_per_s"]]) / TARGETS["churn"], "target 3M flows/s")
            self.row("churn", "mpps_" + f[0], n, f[col["mpps"]], "Mpps")
            md.append("| %s | %s | 3M | %s |" % (f[0], fmt_num(v), fmt_ratio(ratio)))
        for line in r.stderr.splitlines():
            if line.startswith("bench_churn:"):
                self.note("churn", line)
        self.md["churn"] = md

    # ------------------------------------------------------------ offline
    def sec_offline(self):
        npk, nfl = self.p["offline_packets"], self.p["offline_flows"]
        pcap = self.pcap("offline-tcp64-%d-%d" % (npk, nfl), "--packets", npk, "--flows", nfl,
                         "--tcp-sessions", "--popularity", "roundrobin", "--size", FRAME)
        maxf = nfl + nfl // 4
        maxf2 = nfl // 2 + nfl // 8   # per worker with two workers
        port = free_udp_port()
        tracking = ["--no-reassembly", "--set", "parsers.enabled=[]", "--events", "flow_end"]
        tools = [
            ("flowscope_default", [self.flowscope, "--pcap", pcap, "--max-flows", str(maxf),
                                   "--output", "ndjson:/dev/null"]),
            ("flowscope_tracking", [self.flowscope, "--pcap", pcap, "--max-flows", str(maxf)] +
             tracking + ["--output", "ndjson:/dev/null"]),
            ("flowscope_default_2w", [self.flowscope, "--pcap", pcap, "--rx-lcores", "2",
                                      "--max-flows", str(maxf2), "--output", "ndjson:/dev/null"]),
            ("flowscope_tracking_2w", [self.flowscope, "--pcap", pcap, "--rx-lcores", "2",
                                       "--max-flows", str(maxf2)] + tracking +
             ["--output", "ndjson:/dev/null"]),
            ("ndpiReader", ["ndpiReader", "-i", pcap, "-q"]),
            ("softflowd", ["softflowd", "-r", pcap, "-n", "127.0.0.1:%d" % port,
                           "-m", str(maxf)]),
            ("argus", ["argus", "-r", pcap, "-w", "/dev/null"]),
        ]
        res = {}
        for name, argv in tools:
            if shutil.which(argv[0]) is None and not os.path.exists(argv[0]):
                self.note("offline", "%s skipped: not installed (scripts/deps.sh bench)" % name)
                continue
            best = None
            for i in range(self.p["offline_repeat"]):
                log("offline %s run %d/%d" % (name, i + 1, self.p["offline_repeat"]))
                wall, rss, cpu, rc, err = self.timed(argv)
                if rc != 0:
                    self.note("offline", "%s skipped: exit %d: %s" %
                              (name, rc, err.strip().splitlines()[-1] if err.strip() else ""))
                    best = None
                    break
                if best is None or wall < best[0]:
                    best = (wall, rss, cpu)
            if best:
                res[name] = best + (self.show(argv),)
        # Each mode's figure: the faster of one worker and two (_2w).
        def fastest_of(mode):
            c = [(k, v) for k, v in res.items() if k in (mode, mode + "_2w")]
            return min(c, key=lambda kv: kv[1][0]) if c else (None, None)
        fs_name, fs = fastest_of("flowscope_default")
        ft_name, ft = fastest_of("flowscope_tracking")
        peers = {k: v for k, v in res.items() if not k.startswith("flowscope")}
        md = ["Whole-process wall time, best of %d, on one pcap: %s packets, %s flows "
              "(fsgen TCP sessions of %d packets, round robin: every flow open at once), "
              "%d-byte frames. Ratio = peer time / flowscope time. flowscope runs with one "
              "worker and with two (`_2w`: `--rx-lcores 2`, each worker reading the file and "
              "keeping half the flows, its table sized for them); each mode's ratio uses the "
              "faster: default %s, tracking only %s." %
              (self.p["offline_repeat"], fmt_num(npk), fmt_num(nfl), npk // nfl, FRAME,
               fs_name or "-", ft_name or "-"), "",
              "| tool | wall s | CPU s | max RSS MB | peer / flowscope default | "
              "peer / flowscope tracking only | CPU time: peer / default, / tracking |",
              "|---|---|---|---|---|---|---|"]
        self.peer_bars = []
        for name, (wall, rss, cpu, cmd) in res.items():
            r_def = wall / fs[0] if fs and name in peers else None
            r_trk = wall / ft[0] if ft and name in peers else None
            self.row("offline", "wall_s_" + name, nfl, "%.3f" % wall, "s", r_def,
                     "flowscope_default" if r_def else "")
            if r_trk is not None:
                self.row("offline", "wall_s_" + name, nfl, "%.3f" % wall, "s", r_trk,
                         "flowscope_tracking")
            self.row("offline", "maxrss_mb_" + name, nfl, "%.0f" % (rss / 1024) if rss else "",
                     "MB")
            # CPU time (user + system) is less sensitive to a loaded machine.
            c_def = cpu / fs[2] if fs and fs[2] and cpu and name in peers else None
            c_trk = cpu / ft[2] if ft and ft[2] and cpu and name in peers else None
            self.row("offline", "cpu_s_" + name, nfl, "%.3f" % cpu if cpu is not None else "",
                     "s", c_def, "flowscope_default" if c_def else "")
            if c_trk is not None:
                self.row("offline", "cpu_s_" + name, nfl, "%.3f" % cpu, "s", c_trk,
                         "flowscope_tracking")
            md.append("| %s | %.2f | %s | %s | %s | %s | %s |" % (
                name, wall, "%.2f" % cpu if cpu is not None else "-",
                "%.0f" % (rss / 1024) if rss else "-", fmt_ratio(r_def), fmt_ratio(r_trk),
                "%s / %s" % (fmt_ratio(c_def), fmt_ratio(c_trk)) if name in peers else "-"))
            if name in peers:
                self.peer_bars.append((name, r_def, r_trk))
        if peers and (fs or ft):
            fastest = min(peers.items(), key=lambda kv: kv[1][0])
            for label, f in (("flowscope_default", fs), ("flowscope_tracking", ft)):
                if f:
                    sp = fastest[1][0] / f[0]
                    self.row("offline", "speedup_vs_fastest_peer_" + label, nfl, "%.3f" % sp,
                             "x", sp, fastest[0], TARGETS["offline"])
        md += ["", "Wall time is the figure; CPU time (user + system, from /usr/bin/time -v) "
               "is shown because it depends less on other load on the machine "
               "(load average above).", "", "Commands:", ""] + ["    " + v[3] for v in res.values()]
        md += ["", "ndpiReader runs its DPI (its only mode; -q only silences the report); "
               "softflowd exports NetFlow v5 to a closed local UDP port (-m sized to hold "
               "every flow); argus writes its records to /dev/null with Debian's "
               "/etc/argus.conf; flowscope writes NDJSON to /dev/null."]
        self.md["offline"] = md

    # ------------------------------------------------------------ memory
    def fs_stats_run(self, pcap, maxf):
        """Offline tracking-only run (net_pcap reader, so the file's pages are not RSS)."""
        out = os.path.join(self.shm, "mem.ndjson")
        argv = [self.flowscope, "--pcap", pcap, "--pcap-ethdev", "--max-flows", str(maxf),
                "--no-reassembly", "--set", "parsers.enabled=[]", "--events", "flow_update",
                "--output", "ndjson:" + out]
        wall, rss, cpu, rc, err = self.timed(argv)
        if rc != 0:
            raise Skip("flowscope exit %d: %s" % (rc, err.strip()[-300:]))
        st = None
        with open(out) as f:
            for line in f:
                if '"type":"stats"' in line:
                    st = json.loads(line)
        os.unlink(out)
        if st is None:
            raise Skip("no stats line")
        return rss, st, argv

    def sec_memory(self):
        base_pcap = self.pcap("floor-udp64-1000", "--packets", 1000, "--flows", 1000,
                              "--popularity", "roundrobin", "--proto", "udp", "--size", FRAME)
        log("memory: baseline (1000 flows)")
        base_rss = self.fs_stats_run(base_pcap, 1024)[0]
        md = ["Offline tracking-only runs (`--pcap-ethdev`, so file pages are not counted) of "
              "the floor pcaps; `--max-flows` = flows. RSS per flow = (max RSS - max RSS of a "
              "1000-flow run with `--max-flows 1024`) / flows. Baseline RSS: %.0f MB." %
              (base_rss / 1024), "",
              "| flows | flows tracked | tracker heap B/flow (stats) | RSS MB | "
              "RSS B/flow over baseline |", "|---|---|---|---|---|"]
        for n in self.p["memory_flows"]:
            pcap = self.pcap("floor-udp64-%d" % n, "--packets", n, "--flows", n,
                             "--popularity", "roundrobin", "--proto", "udp", "--size", FRAME)
            log("memory: %d flows" % n)
            try:
                rss, st, _ = self.fs_stats_run(pcap, n)
            except Skip as e:
                self.note("memory", "%d flows: %s" % (n, e))
                continue
            tb = st.get("memory", {}).get("tracker_bytes")
            created = st.get("flows", {}).get("created")
            per_tb = tb / n if tb else None
            per_rss = (rss - base_rss) * 1024 / n
            self.row("memory", "tracker_bytes_per_flow", n, "%.1f" % per_tb if per_tb else "",
                     "B")
            self.row("memory", "rss_mb", n, "%.0f" % (rss / 1024), "MB")
            self.row("memory", "rss_bytes_per_flow", n, "%.1f" % per_rss, "B",
                     per_rss / per_tb if per_tb else None, "tracker_bytes_per_flow",
                     note="real memory over flowscope's own figure")
            md.append("| %s | %s | %s | %.0f | %.1f |" % (
                fmt_num(n), fmt_num(created), "%.1f" % per_tb if per_tb else "-",
                rss / 1024, per_rss))
        rec = self.record_size()
        if rec:
            self.row("memory", "flow_record_bytes", "", rec[0], "B", TARGETS["record"] / rec[0],
                     "target 128 B", 1.0, rec[1])
            md += ["", "Flow record: %d B per flow: %s. Target: <= %d B plus the rte_hash "
                   "slot." % (rec[0], rec[1].strip("()"), TARGETS["record"])]
        self.md["memory"] = md

    def record_size(self):
        exe = os.path.join(self.bench_dir, "bench_churn")
        if not os.path.exists(exe):
            return None
        r = subprocess.run([exe, "--sizes"], capture_output=True, text=True)
        m = re.search(r"record_bytes (\d+)(.*)", r.stdout)
        return (int(m.group(1)), m.group(2).strip()) if m else None

    # ------------------------------------------------------------ export
    def sec_export(self):
        md = []
        exe = os.path.join(self.bench_dir, "bench_export")
        if os.path.exists(exe):
            # Best of export_repeat runs per sink, as the offline section
            # takes the best of its runs: a fresh tmpfs file's pages cost
            # several times more while the host is slow to back them.
            best, outs = {}, []
            argv = [exe, "--events", str(self.p["export_events"]), "--dir", "DIR"]
            for i in range(self.p["export_repeat"]):
                d = tempfile.mkdtemp(dir=self.shm)
                argv[-1] = d
                log("export: %s (run %d/%d)" % (" ".join(argv), i + 1,
                                                 self.p["export_repeat"]))
                r = subprocess.run(argv, capture_output=True, text=True)
                shutil.rmtree(d, ignore_errors=True)
                if r.returncode != 0:
                    self.note("export", "bench_export failed: " + r.stderr.strip()[-200:])
                    continue
                outs.append(r.stdout.rstrip())
                for line in r.stdout.splitlines():
                    f = line.split()
                    if len(f) >= 2 and re.fullmatch(r"\d+", f[1]):
                        best[f[0]] = max(best.get(f[0], 0.0), float(f[1]))
            if outs:
                md += ["`bench_export --events %d` (render + write(2) to tmpfs per record, one "
                       "core), %d run%s; the figures are the best run of each sink:" %
                       (self.p["export_events"], len(outs), "s" if len(outs) > 1 else ""), "",
                       "```", "\n\n".join(outs), "```", ""]
            for sink, v in best.items():
                tgt = sink == "ndjson"
                self.row("export", "records_per_s_" + sink, self.p["export_events"],
                         "%.0f" % v, "records/s", v / TARGETS["export"] if tgt else None,
                         "target 1M/s" if tgt else "", 1.0 if tgt else None)
        else:
            self.note("export", "bench_export not built")
        # End to end: many short flows through the export lcore, fed by one
        # worker and by two (--rx-lcores 2: each reads the file and keeps
        # half the flows); the target takes the faster, as the offline
        # section does.
        nfl = self.p["export_flows"]
        pcap = self.pcap("export-churn-%d" % nfl, "--packets", nfl * 7, "--flows", 1000,
                         "--rate", 160000, "--tcp-sessions", "--size", FRAME)
        # 160K flows/s of packet time, closed flows linger 1-2 s: at most
        # ~330K flows in the table.
        maxf = min(nfl + nfl // 4, 524288)
        opts = ["--timeout-tcp-closed", "1", "--no-reassembly",
                "--set", "parsers.enabled=[]", "--events", "flow_end"]
        base = [self.flowscope, "--pcap", self.pcap("floor-udp64-1000", "--packets", 1000,
                                                    "--flows", 1000, "--popularity",
                                                    "roundrobin", "--proto", "udp", "--size",
                                                    FRAME),
                "--max-flows", str(maxf)] + opts + ["--output", "ndjson:/dev/null"]
        log("export: end to end, %d short flows" % nfl)
        bwall = self.timed(base)[0]
        runs = []
        for workers in (1, 2):
            more = (["--max-flows", str(maxf)] if workers == 1 else
                    ["--rx-lcores", str(workers), "--max-flows", str(maxf // workers)])
            log("export: end to end, %d worker%s" % (workers, "s" if workers > 1 else ""))
            r = self.e2e_run([self.flowscope, "--pcap", pcap] + more + opts, bwall)
            if r is None:
                continue
            r["workers"] = workers
            runs.append(r)
            self.row("export", "e2e_flow_end_per_s_%dw" % workers, r["ends"],
                     "%.0f" % r["rate"] if r["rate"] else "", "records/s",
                     note="records / (last write - first write) = %.2f s" % r["window"])
        if not runs:
            self.md["export"] = md
            return
        best = max(runs, key=lambda r: r["rate"] or 0)
        self.row("export", "e2e_flow_end_per_s", best["ends"],
                 "%.0f" % best["rate"] if best["rate"] else "", "records/s",
                 best["rate"] / TARGETS["export"] if best["rate"] else None, "target 1M/s", 1.0,
                 "%d worker(s): records / (last write - first write) = %.2f s" %
                 (best["workers"], best["window"]))
        self.row("export", "e2e_flow_end_per_s_wall", best["ends"],
                 "%.0f" % best["rate_wall"] if best["rate_wall"] else "", "records/s",
                 best["rate_wall"] / TARGETS["export"] if best["rate_wall"] else None,
                 "target 1M/s", 1.0, "records / (wall %.2f s - start-up and exit %.2f s)" %
                 (best["wall"], bwall))
        md += ["End to end: `flowscope --pcap` of %s short TCP sessions (fsgen --rate, %d "
               "packets), tracking only, `--events flow_end`, NDJSON to a tmpfs file through the "
               "export lcore, fed by one worker and by two (`--rx-lcores 2`); the target takes "
               "the faster. Records/s while records were being written = records / (the file's "
               "last change - its first); whole run = records / (wall - start-up and exit, "
               "%.2f s for a 1000-packet run with the same options)." % (fmt_num(nfl), nfl * 7,
                                                                         bwall), "",
               "| workers | flow_end records | sink written | writing s | records/s while "
               "writing | wall s | records/s whole run |", "|---|---|---|---|---|---|---|"]
        for r in runs:
            md.append("| %d | %d | %s | %.2f | %s | %.2f | %s |" %
                      (r["workers"], r["ends"], r["written"], r["window"],
                       ("**%s**" if r is best else "%s") %
                       (fmt_num(r["rate"]) if r["rate"] else "-"), r["wall"],
                       fmt_num(r["rate_wall"]) if r["rate_wall"] else "-"))
        md += ["", "Commands:", ""] + ["    " + self.show(r["argv"]) for r in runs]
        self.md["export"] = md

    def e2e_run(self, argv, bwall):
        """One end-to-end export run, its output watched as it grows; None if it failed."""
        out = os.path.join(self.shm, "export.ndjson")
        argv = argv + ["--output", "ndjson:" + out]
        # The records are written between the file's first and last change.
        growth, stop = [], threading.Event()

        def watch():
            last = -1
            while not stop.is_set():
                try:
                    size = os.stat(out).st_size
                except OSError:
                    size = 0
                if size != last:
                    growth.append((time.monotonic(), size))
                    last = size
                stop.wait(0.01)

        th = threading.Thread(target=watch, daemon=True)
        th.start()
        wall, _, _, rc, err = self.timed(argv)
        stop.set()
        th.join()
        if rc != 0:
            self.note("export", "end-to-end run failed: exit %d: %s: %s" %
                      (rc, self.show(argv), err.strip()[-200:]))
            return None
        ends, st = 0, None
        with open(out) as f:
            for line in f:
                if '"type":"flow_end"' in line[:40]:
                    ends += 1
                elif '"type":"stats"' in line:
                    st = json.loads(line)
        os.unlink(out)
        grown = [g for g in growth if g[1] > 0]
        window = grown[-1][0] - grown[0][0] if len(grown) > 1 else 0
        net = wall - bwall
        return {"argv": argv, "ends": ends, "window": window, "wall": wall,
                "rate": ends / window if window > 0 else None,
                "rate_wall": ends / net if net > 0 else None,
                "written": (st["sinks"][0].get("written")
                            if st and st.get("sinks") else None)}

    # ------------------------------------------------------------ output
    def write(self):
        path = os.path.join(self.out, "results.csv")
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["section", "metric", "flows", "value", "unit",
                                              "ratio", "ratio_to", "target", "met", "cpu",
                                              "note"])
            w.writeheader()
            w.writerows(self.rows)
        targets = self.target_lines()
        md = ["# flowscope benchmarks", "",
              "- mode: %s%s" % ("quick (smoke sizes: not the issue's sizes)" if self.a.quick
                                else "full",
                                "; sizes changed: " + ", ".join(self.a.param)
                                if self.a.param else ""),
              "- CPU: %s, %d CPUs; load average at start %s, at end %s" %
              (self.cpu, os.cpu_count() or 0, self.load0, loadavg()),
              "- date: %s; flowscope build: %s" % (time.strftime("%Y-%m-%d %H:%M"),
                                                   os.path.relpath(self.build)),
              "- frames: %d bytes on the wire = 60-byte pcap records + 4-byte FCS" % FRAME,
              "", "## Targets (ratios measured in this run; never pass/fail)", "",
              "| target | measured | ratio to target | met |", "|---|---|---|---|"]
        md += targets
        titles = {"floor": "1. I/O floor (Mpps vs concurrent flows)",
                  "churn": "2. New-flow churn", "offline": "3. Offline, whole process vs peers",
                  "memory": "4. Memory per tracked flow", "export": "5. NDJSON export"}
        for sec in ("floor", "churn", "offline", "memory", "export"):
            if sec in self.md:
                md += ["", "## " + titles[sec], ""] + self.md[sec]
        if self.notes:
            md += ["", "## Skipped or failed", ""] + ["- %s: %s" % n for n in self.notes]
        md += ["", "Plots: " + ", ".join("`%s`" % p for p in self.plots) if self.plots else ""]
        with open(os.path.join(self.out, "results.md"), "w") as f:
            f.write("\n".join(md) + "\n")
        print("\n".join(["", "cpu: %s; results in %s" % (self.cpu, self.out),
                          "%-52s %-40s %6s  %s" % ("target (issue 7)", "measured in this run",
                                                   "ratio", "met")] +
                         [self.plain_target(t) for t in self.target_rows]))

    def target_lines(self):
        self.target_rows = []
        # Floor: the better flowscope variant at 1M flows (else the largest measured).
        fl = [r for r in self.rows if r["section"] == "floor" and r["ratio"] and
              r["metric"].startswith("flowscope")]
        if fl:
            at = 1000000 if any(r["flows"] == 1000000 for r in fl) else max(r["flows"] for r in fl)
            best = max((r for r in fl if r["flows"] == at), key=lambda r: float(r["ratio"]))
            variant = "no export lcore" if "noexport" in best["metric"] else "export lcore"
            self.target_rows.append(("tracking only, %s flows, >= 0.5x testpmd rxonly" %
                                     fmt_num(at), "%s Mpps (%s) = %.2fx testpmd" %
                                     (best["value"], variant, float(best["ratio"])),
                                     float(best["ratio"]) / TARGETS["floor"]))
        for label in ("flowscope_tracking", "flowscope_default"):
            r = [x for x in self.rows if x["metric"] == "speedup_vs_fastest_peer_" + label]
            if r:
                self.target_rows.append(("offline (%s) >= 5x the fastest peer" %
                                         label.split("_")[1],
                                         "%.2fx %s" % (float(r[0]["value"]), r[0]["ratio_to"]),
                                         float(r[0]["ratio"]) / TARGETS["offline"]))
        for proto in ("tcp", "udp"):
            r = [x for x in self.rows if x["metric"] == "flows_per_s_" + proto]
            if r:
                self.target_rows.append(("churn %s >= 3M flows/s on one core" % proto,
                                         "%s flows/s" % fmt_num(float(r[0]["value"])),
                                         float(r[0]["ratio"])))
        r = [x for x in self.rows if x["metric"] == "flow_record_bytes"]
        if r:
            self.target_rows.append(("flow record <= 128 B (+ the rte_hash slot)",
                                     "%s B" % r[0]["value"], float(r[0]["ratio"])))
        for metric, label in (("records_per_s_ndjson", "bench_export ndjson"),
                              ("e2e_flow_end_per_s", "end to end")):
            r = [x for x in self.rows if x["metric"] == metric and x["ratio"]]
            if r:
                self.target_rows.append(("export, %s, >= 1M records/s" % label,
                                         "%s records/s" % fmt_num(float(r[0]["value"])),
                                         float(r[0]["ratio"])))
        return ["| %s | %s | %.2f | %s |" % (t[0], t[1], t[2], "yes" if t[2] >= 1.0 else "no")
                for t in self.target_rows]

    @staticmethod
    def plain_target(t):
        return "%-52s %-40s %6.2f  %s" % (t[0], t[1], t[2], "yes" if t[2] >= 1.0 else "no")

    def plot(self):
        self.plots = []
        if shutil.which("gnuplot") is None:
            self.note("plots", "gnuplot not found (Debian gnuplot-nox: scripts/deps.sh bench)")
            return
        title = self.cpu.replace('"', "'")
        if getattr(self, "floor_points", None):
            dat = os.path.join(self.work, "floor.dat")
            with open(dat, "w") as f:
                for n, tp, fe, fn in self.floor_points:
                    f.write("%d %s %s %s\n" % (n, *(("%.3f" % (v / 1e6)) if v else "NaN"
                                                     for v in (tp, fe, fn))))
            self.gnuplot("floor.png", """
set logscale x
set xlabel "concurrent flows"
set ylabel "Mpps"
set yrange [0:*]
set key outside bottom center horizontal
set grid
set title "I/O floor vs tracking only, 64-byte frames\\n{/*0.8 %s}"
plot "%s" u 1:2 w lp lw 2 pt 7 t "testpmd rxonly (floor)", \\
     "" u 1:3 w lp lw 2 pt 5 t "flowscope + export lcore", \\
     "" u 1:4 w lp lw 2 pt 9 t "flowscope, no export lcore"
""" % (title, dat))
        bars = [(n, d, t) for n, d, t in getattr(self, "peer_bars", [])]
        if bars:
            dat = os.path.join(self.work, "peers.dat")
            with open(dat, "w") as f:
                for n, d, t in bars:
                    f.write('"%s" %s %s\n' % (n, "%.3f" % d if d else "NaN",
                                              "%.3f" % t if t else "NaN"))
            self.gnuplot("peers.png", """
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel "peer wall time / flowscope wall time"
set yrange [0:*]
set grid ytics
set key outside bottom center horizontal
set title "Offline, whole process: speed-up over each peer (target 5x)\\n{/*0.8 %s}"
plot "%s" u 2:xtic(1) t "flowscope default features", "" u 3 t "flowscope tracking only", \\
     5 w l lw 2 dt 2 lc rgb "red" t "target 5x"
""" % (title, dat))
        if getattr(self, "target_rows", None):
            dat = os.path.join(self.work, "targets.dat")
            with open(dat, "w") as f:
                for t in self.target_rows:
                    f.write('"%s" %.3f\n' % (t[0].replace('"', "'"), t[2]))
            self.gnuplot("targets.png", """
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set ylabel "measured / target (>= 1 meets it)"
set logscale y
set grid ytics
set xtics rotate by -30 font ",8"
set key off
set title "Targets of issue 7: ratio to target\\n{/*0.8 %s}"
plot "%s" u 2:xtic(1), 1 w l lw 2 dt 2 lc rgb "red"
""" % (title, dat))

    def gnuplot(self, png, script):
        path = os.path.join(self.out, png)
        full = 'set terminal pngcairo size 1000,600 font "sans,10"\nset output "%s"\n%s' % (
            path, script)
        r = subprocess.run(["gnuplot"], input=full, capture_output=True, text=True)
        if r.returncode != 0:
            self.note("plots", "%s: gnuplot: %s" % (png, r.stderr.strip()[-200:]))
        else:
            self.plots.append(png)

    def run(self):
        self.load0 = loadavg()
        log("cpu: %s; load average %s; mode %s" % (self.cpu, self.load0,
                                                   "quick" if self.a.quick else "full"))
        only = self.a.only.split(",") if self.a.only else ["floor", "churn", "offline",
                                                           "memory", "export"]
        try:
            for sec in only:
                fn = getattr(self, "sec_" + sec, None)
                if fn is None:
                    self.note(sec, "unknown section")
                    continue
                t0 = time.monotonic()
                try:
                    fn()
                except Skip as e:
                    self.note(sec, str(e))
                log("%s done in %.0f s" % (sec, time.monotonic() - t0))
            self.target_lines()
            self.plot()
            self.write()
        finally:
            shutil.rmtree(self.shm, ignore_errors=True)


def mpps(v):
    return "%.3f" % (v / 1e6) if v else ""


def fmt_mpps(v):
    return "%.2f" % (v / 1e6) if v else "-"


def fmt_ratio(r):
    return "%.2f" % r if r is not None else "-"


def free_udp_port():
    """A local UDP port nobody listens on (softflowd's exports go nowhere)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="release build dir with tests enabled")
    ap.add_argument("--out", required=True, help="output dir (results.csv, results.md, *.png)")
    ap.add_argument("--quick", action="store_true", help="smoke sizes, under 2 minutes")
    ap.add_argument("--only", help="comma list of sections: floor,churn,offline,memory,export")
    ap.add_argument("--param", action="append", metavar="KEY=VALUE",
                    help="override one size of the mode, e.g. floor_flows=1000000 or "
                         "offline_repeat=1 (repeatable)")
    args = ap.parse_args()
    Bench(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
