#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Telemetry, live: the /flowscope/ commands over DPDK's telemetry socket.

flowscope runs live with telemetry on (a --file-prefix of its own, so the
socket is DPDK_RUNTIME/<prefix>/dpdk_telemetry.v2), fed by net_pcap with
infinite_rx=1 looping a capture of 20000 packets and 200 flows (written by
fsgen; more packets than the fixed 8191-mbuf pool could ever hold, so the
automatic pool size is exercised too), two RX workers behind the software
dispatch lcore. The test talks to the socket as dpdk-telemetry.py does
(SOCK_SEQPACKET, one JSON reply per command) and checks:

- "/" lists /flowscope/stats, /flowscope/lcores, /flowscope/flows;
- /flowscope/stats: every counter, frames and active flows > 0;
- /flowscope/lcores: one dict per worker with its counters;
- /flowscope/flows,5: a dict keyed "1".."5" (rank), largest first, each a
  flow with its endpoints and counters; /flowscope/flows: at most 10;
  /flowscope/flows,40: exactly 40 (the reply fits DPDK's 16 KiB); bad
  counts (0, 41, abc) answer null;
- SIGINT then ends the run with exit 0 and final stats whose counters add
  up: per worker events produced = exported + dropped, port ipackets =
  frames given to workers + frames the dispatch lcore dropped; the looped
  file was read more than once; event timestamps are wall-clock time
  (the live clock is the TSC anchored to CLOCK_REALTIME).

Prints SKIP and exits 77 when the DPDK runtime directory cannot be written
or fsgen was not built.

usage: test_telemetry.py FLOWSCOPE SHARED_DIR
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PACKETS = 20000
FLOWS = 200


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def runtime_dir(prefix):
    """DPDK's runtime directory for a file prefix (as EAL and dpdk-telemetry.py compute it)."""
    base = os.environ.get("RUNTIME_DIRECTORY")
    if not base:
        base = "/var/run" if os.getuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    return os.path.join(base, "dpdk", prefix)


class Telemetry:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(10)
        self.s.connect(path)
        info = json.loads(self.s.recv(1024).decode())
        self.max_len = info["max_output_len"]

    def query(self, cmd):
        self.s.send(cmd.encode())
        reply = self.s.recv(self.max_len).decode()
        return json.loads(reply)[cmd.split(",")[0]]

    def close(self):
        self.s.close()


def main():
    flowscope, _shared = os.path.abspath(sys.argv[1]), sys.argv[2]
    fsgen = os.path.join(os.path.dirname(os.path.dirname(flowscope)), "scripts", "fsgen")
    if not os.access(fsgen, os.X_OK):
        skip("fsgen not built (%s)" % fsgen)
    prefix = "fstel%d" % os.getpid()
    rdir = runtime_dir(prefix)
    try:
        os.makedirs(rdir, exist_ok=False)
        os.rmdir(rdir)
    except OSError as e:
        skip("cannot create the DPDK runtime directory %s: %s" % (rdir, e))
    tmp = tempfile.mkdtemp(prefix="fc-tel-")
    errs = []
    proc = None
    try:
        pcap = os.path.join(tmp, "loop.pcap")
        subprocess.run([fsgen, "--out", pcap, "--packets", str(PACKETS), "--flows", str(FLOWS),
                        "--proto", "mix"], check=True, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
        out = os.path.join(tmp, "events.ndjson")
        cmd = [flowscope, "--no-huge", "--no-pci", "--file-prefix", prefix, "-m", "512",
               "--lcores", "(0-3)@(0-1)", "--log-level", "error",
               "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap,
               "--", "--rx-lcores", "2", "--max-flows", "4096", "--events", "flow_end",
               "--output", "ndjson:" + out]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        path = os.path.join(rdir, "dpdk_telemetry.v2")
        tel = None
        for _ in range(200):
            if proc.poll() is not None:
                break
            if os.path.exists(path):
                try:
                    tel = Telemetry(path)
                    st = tel.query("/flowscope/stats")
                    if st and st.get("frames", 0) > 0 and st.get("flows_active", 0) >= 40:
                        break
                except (OSError, ValueError, KeyError):
                    pass
            time.sleep(0.1)
        if tel is None or proc.poll() is not None:
            errs.append("no telemetry socket at %s (flowscope %s)" % (
                path, "exited %d: %s" % (proc.returncode, proc.stderr.read().decode())
                if proc.poll() is not None else "running"))
            return report(errs)
        wall = time.time()

        cmds = tel.query("/")
        for c in ("/flowscope/stats", "/flowscope/lcores", "/flowscope/flows"):
            if c not in cmds:
                errs.append("/ does not list %s" % c)

        st = tel.query("/flowscope/stats")
        for k in ("frames", "flows_created", "flows_ended", "flows_active", "events",
                  "events_exported", "events_dropped", "dispatch_frames", "dispatch_dropped"):
            if not isinstance(st.get(k), int):
                errs.append("/flowscope/stats: %s missing: %s" % (k, st))
        if st.get("frames", 0) <= 0 or st.get("flows_active", 0) <= 0:
            errs.append("/flowscope/stats: no frames or no active flows: %s" % st)

        lc = tel.query("/flowscope/lcores")
        if not isinstance(lc, dict) or sorted(lc) != ["worker0", "worker1"]:
            errs.append("/flowscope/lcores: want worker0 and worker1, got %s" % lc)
        else:
            for name, w in lc.items():
                for k in ("lcore", "rx_queues", "frames", "flows_active", "events_produced",
                          "events_enqueued", "events_exported", "events_dropped_ring_full",
                          "events_dropped_pool_empty"):
                    if not isinstance(w.get(k), int):
                        errs.append("/flowscope/lcores: %s.%s missing: %s" % (name, k, w))
            if sum(w.get("frames", 0) for w in lc.values()) <= 0:
                errs.append("/flowscope/lcores: no frames: %s" % lc)

        def check_flows(cmd, want_max, want_exact=None):
            fl = tel.query(cmd)
            if not isinstance(fl, dict):
                errs.append("%s: not a dict: %r" % (cmd, fl))
                return
            ranks = sorted(fl, key=int)
            if ranks != [str(i) for i in range(1, len(fl) + 1)] or not 1 <= len(fl) <= want_max:
                errs.append("%s: keys %s, want \"1\"..\"n\", n <= %d" % (cmd, ranks, want_max))
                return
            if want_exact is not None and len(fl) != want_exact:
                errs.append("%s: %d flows, want %d (reply cut?)" % (cmd, len(fl), want_exact))
            sizes = []
            for r in ranks:
                f = fl[r]
                for k in ("flow_id", "worker", "orig_h", "orig_p", "resp_h", "resp_p",
                          "proto", "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes"):
                    if k not in f:
                        errs.append("%s: flow %s lacks %s: %s" % (cmd, r, k, f))
                        return
                if f["worker"] not in (0, 1) or f["proto"] not in (6, 17):
                    errs.append("%s: flow %s: %s" % (cmd, r, f))
                sizes.append(f["orig_bytes"] + f["resp_bytes"])
            if sizes != sorted(sizes, reverse=True):
                errs.append("%s: not largest first: %s" % (cmd, sizes))

        check_flows("/flowscope/flows,5", 5, 5)
        check_flows("/flowscope/flows", 10, 10)
        check_flows("/flowscope/flows,40", 40, 40)
        for bad in ("/flowscope/flows,0", "/flowscope/flows,41", "/flowscope/flows,abc"):
            if tel.query(bad) is not None:
                errs.append("%s: want null (an error)" % bad)
        # Let the looped file go round at least once (slow under ASan).
        deadline = time.time() + 90
        while time.time() < deadline:
            st = tel.query("/flowscope/stats")
            if st and st.get("frames", 0) > PACKETS:
                break
            time.sleep(0.2)
        tel.close()

        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            errs.append("flowscope did not stop within 60 s of SIGINT")
            return report(errs)
        if proc.returncode != 0:
            errs.append("exit %d after SIGINT: %s" % (proc.returncode, err.decode()))
            return report(errs)
        with open(out) as f:
            lines = [json.loads(l) for l in f]
        stats = [l for l in lines if l["type"] == "stats"]
        ends = [l for l in lines if l["type"] == "flow_end"]
        if not stats or not stats[-1].get("final"):
            errs.append("no final stats")
            return report(errs)
        fin = stats[-1]
        errs += check_final(fin, len(ends))
        if fin["rx"]["frames"] < st["frames"]:
            errs.append("final frames %d below the telemetry's %d" % (fin["rx"]["frames"], st["frames"]))
        if fin["rx"]["ports"][0]["ipackets"] <= PACKETS:
            errs.append("infinite_rx: %d frames, not more than the file's %d"
                        % (fin["rx"]["ports"][0]["ipackets"], PACKETS))
        bad_ts = [e["ts"] for e in ends if abs(e["ts"] - wall) > 600]
        if bad_ts:
            errs.append("flow_end ts not wall-clock time (now %.0f): %s" % (wall, bad_ts[:3]))
        if not errs:
            print("ok: telemetry stats/lcores/flows answered; %d frames, %d flow_end, "
                  "counters add up" % (fin["rx"]["frames"], len(ends)))
        return report(errs)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(rdir, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def check_final(st, n_ends):
    bad = []
    e = st["events"]
    if e["produced"] != e["exported"] + e["dropped"] or e["queued"] != 0:
        bad.append("events: produced %d != exported %d + dropped %d (queued %d)"
                   % (e["produced"], e["exported"], e["dropped"], e["queued"]))
    for i, w in enumerate(st["workers"]):
        we = w["events"]
        if we["produced"] != we["exported"] + we["dropped_ring_full"] + we["dropped_pool_empty"]:
            bad.append("worker %d: events do not add up: %s" % (i, we))
    ipackets = sum(p["ipackets"] for p in st["rx"]["ports"])
    dropped = st.get("dispatch", {}).get("dropped_ring_full", 0)
    if ipackets != st["rx"]["frames"] + dropped:
        bad.append("port ipackets %d != frames %d + dispatch drops %d"
                   % (ipackets, st["rx"]["frames"], dropped))
    if sum(w["frames"] for w in st["workers"]) != st["rx"]["frames"]:
        bad.append("worker frames do not sum to rx.frames")
    if st["flows"]["active"] != 0 or st["flows"]["created"] != st["flows"]["ended"]:
        bad.append("flows open after SIGINT: %s" % st["flows"])
    if e["exported"] != n_ends:
        bad.append("events exported %d, flow_end records written %d" % (e["exported"], n_ends))
    return bad


def report(errs):
    for e in errs:
        print("FAIL " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
