#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Stalled outputs never stall the capture.

    test_backpressure.py FLOWSCOPE SHARED

A pcap of N one-packet UDP flows is written here (N flow_start and N
flow_end events, N IPFIX records at the end of the run). flowscope runs
it with the export lcore against two stalled readers:

  (a) an IPFIX TCP collector that accepts the connection and never reads
      (its receive buffer made small), next to ndjson to a regular file,
      with `--full-policy hold`: RX waits for the export lcore, so all N
      records reach the IPFIX sink (several MB, more than its 1 MiB queue
      plus the kernel's largest socket buffer hold), and the run still
      ends because the sink never blocks the export lcore;
  (b) with `--full-policy drop` (the live default: a full event ring drops
      events instead of holding RX),
      ndjson to a pipe that nobody reads for STALL seconds (the export
      lcore blocks in write(2)), read to the end afterwards.

Each run must end by itself (no deadlock), with exit status 0, and its
final stats must show every frame read, decoded and tracked, and counters
that add up: events produced = exported + dropped, flows created = ended,
and for every sink records = written + dropped. In (a) the IPFIX sink must
have dropped records (the collector took only what its buffers hold) and
the ndjson file must hold exactly the records the sink counts as written;
in (b) events must have been dropped at the full ring (RX went on while
the export lcore was stuck), and the ndjson lines read from the pipe must
equal the records written.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

N = 120000        # flows (one UDP packet each)
STALL = 3.0       # seconds the pipe reader of (b) waits before reading

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def ip_checksum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff


def write_pcap(path, n):
    """n UDP flows, one 60-byte frame each, 10.x.y.z:port -> 198.18.0.1:5001."""
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    payload = b"x" * 18
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            src = (0x0a000000 + i + 1).to_bytes(4, "big")
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), i & 0xffff,
                              0, 64, 17, 0, src, bytes([198, 18, 0, 1]))
            hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
            udp = struct.pack("!HHHH", 1024 + i % 60000, 5001, 8 + len(payload), 0)
            frame = eth + hdr + udp + payload
            f.write(struct.pack("<IIII", 1700000000 + i // 100000, (i % 100000) * 10,
                                len(frame), len(frame)))
            f.write(frame)


def final_stats(lines):
    st = None
    for line in lines:
        if line.startswith('{"type":"stats"'):
            v = json.loads(line)
            if v.get("final"):
                st = v
    return st


def check_stats(st, what, n):
    """Every frame counted; counters add up. Returns the stats (or None)."""
    if st is None:
        fail("%s: no final stats line" % what)
        return None
    fr = st["rx"]["frames"]
    if fr != n or st["decode"]["frames"] != n or st["tracker"]["frames"] != n:
        fail("%s: frames: rx %d, decode %d, tracker %d, pcap %d"
             % (what, fr, st["decode"]["frames"], st["tracker"]["frames"], n))
    fl = st["flows"]
    if fl["created"] != n or fl["ended"] != n or fl["active"] != 0:
        fail("%s: flows %r, expected %d created and ended" % (what, fl, n))
    ev = st["events"]
    if ev["produced"] != ev["exported"] + ev["dropped"]:
        fail("%s: events produced %d != exported %d + dropped %d"
             % (what, ev["produced"], ev["exported"], ev["dropped"]))
    for k in st["sinks"]:
        if k["records"] != k["written"] + k["dropped"]:
            fail("%s: sink %s records %d != written %d + dropped %d"
                 % (what, k["output"], k["records"], k["written"], k["dropped"]))
    return st


def sink(st, scheme):
    return next((k for k in st["sinks"] if k["output"] == scheme), None)


def stalled_collector(ready, stop, box):
    """Accept one connection and never read from it."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(0.2)
    box["port"] = srv.getsockname()[1]
    ready.set()
    conns = []
    while not stop.is_set():
        try:
            c, _ = srv.accept()
            conns.append(c)
            box["accepted"] = box.get("accepted", 0) + 1
        except socket.timeout:
            pass
    for c in conns:
        c.close()
    srv.close()


def case_ipfix(flowscope, pcap, tmp):
    ready, stop, box = threading.Event(), threading.Event(), {}
    t = threading.Thread(target=stalled_collector, args=(ready, stop, box))
    t.start()
    ready.wait(10)
    nd = os.path.join(tmp, "a.ndjson")
    t0 = time.time()
    try:
        p = subprocess.run([flowscope, "--pcap", pcap, "--full-policy", "hold",
                            "--output", "ipfix:tcp://127.0.0.1:%d" % box["port"],
                            "--output", "ndjson:" + nd],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    finally:
        stop.set()
        t.join()
    took = time.time() - t0
    if p.returncode != 0:
        fail("(a) flowscope exited %d: %s" % (p.returncode, p.stderr.decode()[-500:]))
        return
    lines = open(nd).read().splitlines()
    st = check_stats(final_stats(lines), "(a)", N)
    if st is None:
        return
    ip, js = sink(st, "ipfix"), sink(st, "ndjson")
    if box.get("accepted", 0) < 1:
        fail("(a) the collector saw no connection")
    if ip is None or ip["records"] != N or ip["dropped"] == 0 or ip["written"] == 0:
        fail("(a) ipfix sink %r: expected all %d records, both written and dropped" % (ip, N))
    # The file holds what the ndjson sink wrote, plus the final stats line itself.
    if js is None or js["dropped"] != 0 or len(lines) != js["written"] + 1:
        fail("(a) ndjson sink %r, %d lines in the file" % (js, len(lines)))
    print("ok (a) stalled IPFIX collector: %.1f s, ipfix records %d written %d dropped %d; "
          "events produced %d dropped %d" % (took, ip["records"], ip["written"],
                                             ip["dropped"], st["events"]["produced"],
                                             st["events"]["dropped"]))


def case_pipe(flowscope, pcap):
    t0 = time.time()
    p = subprocess.Popen([flowscope, "--pcap", pcap, "--full-policy", "drop",
                          "--output", "ndjson:-"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(STALL)           # nobody reads: the pipe fills, the export lcore blocks
    out, err = p.communicate(timeout=300)
    took = time.time() - t0
    if p.returncode != 0:
        fail("(b) flowscope exited %d: %s" % (p.returncode, err.decode()[-500:]))
        return
    lines = out.decode().splitlines()
    st = check_stats(final_stats(lines), "(b)", N)
    if st is None:
        return
    js = sink(st, "ndjson")
    if st["events"]["dropped"] == 0 or st["events"].get("dropped_ring_full", 1) == 0:
        fail("(b) no event dropped at the ring: %r (did RX wait for the export lcore?)"
             % st["events"])
    if js is None or len(lines) != js["written"] + 1:
        fail("(b) ndjson sink %r, %d lines read" % (js, len(lines)))
    bad = [l for l in lines if not (l.startswith("{") and l.endswith("}"))]
    if bad:
        fail("(b) %d lines are not whole JSON objects, e.g. %r" % (len(bad), bad[0][:100]))
    print("ok (b) stalled pipe reader (%.0f s): %.1f s, events produced %d exported %d "
          "dropped %d, %d lines" % (STALL, took, st["events"]["produced"],
                                    st["events"]["exported"], st["events"]["dropped"],
                                    len(lines)))


def main():
    if len(sys.argv) != 3:
        print("usage: test_backpressure.py FLOWSCOPE SHARED", file=sys.stderr)
        return 2
    flowscope = sys.argv[1]
    if not os.access(flowscope, os.X_OK):
        print("SKIP: %s is not executable" % flowscope)
        return 77
    tmp = tempfile.mkdtemp(prefix="fc_backpressure_")
    try:
        pcap = os.path.join(tmp, "udp-flows.pcap")
        write_pcap(pcap, N)
        case_ipfix(flowscope, pcap, tmp)
        case_pipe(flowscope, pcap)
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
