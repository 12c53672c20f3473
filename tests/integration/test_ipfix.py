#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""IPFIX export against real collectors.

    test_ipfix.py FLOWSCOPE SHARED

For several shared pcaps, flowscope runs with two sinks at once,
`--output ipfix:udp://127.0.0.1:PORT --output ndjson:FILE`, and what the
collector stored must be the same flows, packets and IP bytes per
direction as the NDJSON flow_end records:

  * nfdump: nfcapd listens on a free loopback UDP port and writes to a
    temporary directory (biflow: RFC 5103 reverse counters become nfdump's
    out packets/bytes); after nfcapd is stopped (SIGTERM closes its file),
    `nfdump -R DIR -o csv` is compared flow by flow (a multiset of
    5-tuple, VLAN and both directions' counters), and nfcapd must have
    counted no sequence errors.
  * pmacct: nfacctd (print plugin, CSV) receives `mode=uniflow` records
    (it does not read reverse elements); its per-direction sums by
    5-tuple are compared with the NDJSON sums. Skipped with a message
    when pmacct is not installed.

The pcaps include a Q-in-Q trace (zeek-q-in-q), so vlanId (the outer tag)
is checked at the collector too.

  * ipfix:FILE: the file flowscope writes is read back two ways: by a small
    IPFIX reader here (message headers, per-domain sequence numbers,
    templates before data, RFC 5103 reverse elements) whose records must
    equal the NDJSON flow_end records as above, and by nfdump itself: the
    file's messages are replayed as datagrams to nfcapd and `nfdump -R`
    must show the same flows.
  * active timeout: with --flow-update-interval 1 on a long trace
    (ndpi-1kxun), every NDJSON flow_update is one record with
    flowEndReason 2, every flow_end one with its own reason, and for each
    flow key the delta counts summed over its records equal its flow_end
    totals (both directions).

The whole test prints "SKIP: ..." and exits 77 when nfdump is missing and
cannot be installed (apt-get, as root).
"""
import collections
import csv
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PCAPS = ["zeek-http-get", "zeek-ftp-ipv6", "ndpi-1kxun", "ndpi-vxlan", "zeek-q-in-q"]
VLAN_PCAP = "zeek-q-in-q"          # must show tagged flows at the collector
ACTIVE_PCAP = "ndpi-1kxun"         # long enough for flow_update records
PEN_REVERSE = 29305
# Information elements read back: (enterprise, id) -> name
IE = {(0, 152): "start", (0, 153): "end", (0, 1): "oct", (0, 2): "pkt",
      (PEN_REVERSE, 1): "roct", (PEN_REVERSE, 2): "rpkt", (0, 8): "src4",
      (0, 12): "dst4", (0, 27): "src6", (0, 28): "dst6", (0, 7): "sp", (0, 11): "dp",
      (0, 4): "proto", (0, 6): "flags", (PEN_REVERSE, 6): "rflags", (0, 136): "reason",
      (0, 58): "vlan"}
PROTO_NUM = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "ipv6-icmp": 58,
             "icmp6": 58, "sctp": 132, "gre": 47, "esp": 50, "ah": 51,
             "igmp": 2}
ICMP = (1, 58)

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def have(prog):
    return shutil.which(prog) is not None


def try_install(pkg):
    """apt-get install PKG when running as root; True if it worked."""
    if os.geteuid() != 0 or not have("apt-get"):
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        r = subprocess.run(["apt-get", "install", "-y", "-q", pkg],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=env, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proto_num(p):
    p = str(p).strip().lower()
    if p.isdigit():
        return int(p)
    if p in PROTO_NUM:
        return PROTO_NUM[p]
    try:
        return socket.getprotobyname(p)
    except OSError:
        return -1


def norm_ip(a):
    return str(ipaddress.ip_address(a.strip()))


def key(src, dst, sp, dp, proto):
    """A direction's 5-tuple; ICMP "ports" are left out (collectors differ)."""
    proto = proto_num(proto)
    if proto in ICMP:
        sp = dp = 0
    return (norm_ip(src), norm_ip(dst), int(sp), int(dp), proto)


def wait_for(path, text, proc, timeout=15.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            with open(path, errors="replace") as f:
                if text in f.read():
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def stop(proc, sig=signal.SIGTERM, timeout=15.0):
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_flowscope(flowscope, pcap, ipfix_target, ndjson, extra=(), updates=None):
    cmd = [flowscope, "--pcap", pcap, "--no-stats",
           "--output", "ipfix:" + ipfix_target, "--output", "ndjson:" + ndjson] + list(extra)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    if r.returncode != 0:
        fail("%s: flowscope exited %d: %s" % (" ".join(cmd), r.returncode,
                                             r.stderr.decode(errors="replace")))
        return None
    ends = []
    with open(ndjson) as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("type") == "flow_update" and updates is not None:
                try:
                    ipaddress.ip_address(ev["orig_h"])
                    updates.append(ev)
                except (KeyError, ValueError):
                    pass
            if ev.get("type") != "flow_end":
                continue
            try:
                ipaddress.ip_address(ev["orig_h"])
            except (KeyError, ValueError):
                continue  # not an IP flow: not exported
            ends.append(ev)
    return ends


def ndjson_flows(ends):
    """Multiset of (5-tuple, vlan, orig pkts/bytes, resp pkts/bytes)."""
    c = collections.Counter()
    for e in ends:
        k = key(e["orig_h"], e["resp_h"], e.get("orig_p", 0), e.get("resp_p", 0),
                e["proto"])
        c[(k, e.get("vlan", 0), e["orig_pkts"], e["orig_ip_bytes"],
           e["resp_pkts"], e["resp_ip_bytes"])] += 1
    return c


def ndjson_directions(ends):
    """Per-direction sums: 5-tuple -> [packets, bytes]."""
    d = collections.defaultdict(lambda: [0, 0])
    for e in ends:
        o = key(e["orig_h"], e["resp_h"], e.get("orig_p", 0), e.get("resp_p", 0),
                e["proto"])
        r = key(e["resp_h"], e["orig_h"], e.get("resp_p", 0), e.get("orig_p", 0),
                e["proto"])
        if e["orig_pkts"] > 0 or e["resp_pkts"] == 0:
            d[o][0] += e["orig_pkts"]
            d[o][1] += e["orig_ip_bytes"]
        if e["resp_pkts"] > 0:
            d[r][0] += e["resp_pkts"]
            d[r][1] += e["resp_ip_bytes"]
    return dict(d)


def show_diff(name, want, got):
    extra = got - want
    missing = want - got
    for k in list(missing)[:5]:
        print("  %s: missing at the collector: %r" % (name, k))
    for k in list(extra)[:5]:
        print("  %s: only at the collector: %r" % (name, k))


# ---- nfdump ------------------------------------------------------------


def nfdump_flows(nfdir):
    r = subprocess.run(["nfdump", "-R", nfdir, "-o", "csv"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if r.returncode != 0:
        fail("nfdump -R %s: %s" % (nfdir, r.stderr.decode(errors="replace")))
        return collections.Counter()
    lines = r.stdout.decode(errors="replace").splitlines()
    rows = []
    for i, line in enumerate(lines):
        if line.startswith("ts,te,"):
            for row in csv.DictReader(lines[i:]):
                if row.get("ts") in (None, "", "Summary") or row.get("sa") is None:
                    break
                rows.append(row)
            break
    c = collections.Counter()
    for row in rows:
        k = key(row["sa"], row["da"], float(row["sp"]) if row["sp"] else 0,
                float(row["dp"]) if row["dp"] else 0, row["pr"])
        c[(k, int(row.get("svln") or 0), int(row["ipkt"]), int(row["ibyt"]),
           int(row["opkt"]), int(row["obyt"]))] += 1
    return c


def check_nfdump(flowscope, shared, tmp, name):
    port = free_udp_port()
    nfdir = os.path.join(tmp, "nfcapd-" + name)
    os.mkdir(nfdir)
    log = os.path.join(tmp, "nfcapd-%s.log" % name)
    with open(log, "w") as lf:
        proc = subprocess.Popen(["nfcapd", "-w", nfdir, "-b", "127.0.0.1",
                                 "-p", str(port), "-t", "3600"],
                                stdout=lf, stderr=subprocess.STDOUT)
    try:
        if not wait_for(log, "Startup", proc):
            fail("%s: nfcapd did not start: %s" % (name, open(log).read()))
            return
        ends = run_flowscope(flowscope, os.path.join(shared, "pcaps", name + ".pcap"),
                             "udp://127.0.0.1:%d" % port,
                             os.path.join(tmp, name + ".ndjson"))
        time.sleep(0.5)  # let the last datagrams arrive
    finally:
        stop(proc)
    if ends is None:
        return
    text = open(log, errors="replace").read()
    for line in text.splitlines():
        if "Sequence Errors:" in line:
            n = line.split("Sequence Errors:")[1].split(",")[0].strip()
            if n != "0":
                fail("%s: nfcapd counted sequence errors: %s" % (name, line))
    want = ndjson_flows(ends)
    got = nfdump_flows(nfdir)
    if want != got:
        fail("%s: nfdump has %d flows, NDJSON %d flow_end; they differ"
             % (name, sum(got.values()), sum(want.values())))
        show_diff(name, want, got)
    else:
        print("ok nfdump %s: %d flows, %d packets, %d bytes" % (
            name, len(ends), sum(e["orig_pkts"] + e["resp_pkts"] for e in ends),
            sum(e["orig_ip_bytes"] + e["resp_ip_bytes"] for e in ends)))


# ---- reading an IPFIX file -------------------------------------------------


def be(b):
    return int.from_bytes(b, "big")


def read_ipfix(path, name):
    """Decode an IPFIX file (RFC 5655: a stream of messages) into records.

    Checks every message header, set length, template-before-data and the
    per-domain sequence numbers; returns (list of record dicts, list of
    raw messages)."""
    data = open(path, "rb").read()
    off = 0
    templates = {}
    seq = {}
    recs, msgs = [], []
    while off < len(data):
        if off + 16 > len(data):
            fail("%s: %d bytes of a cut message at the end of the file" % (name, len(data) - off))
            break
        ver, mlen = be(data[off:off + 2]), be(data[off + 2:off + 4])
        sq, dom = be(data[off + 8:off + 12]), be(data[off + 12:off + 16])
        if ver != 10 or mlen < 16 or off + mlen > len(data):
            fail("%s: bad message header at %d (version %d, length %d)" % (name, off, ver, mlen))
            break
        if sq != seq.get(dom, 0):
            fail("%s: domain %d sequence %d, expected %d" % (name, dom, sq, seq.get(dom, 0)))
        msg = data[off:off + mlen]
        msgs.append(msg)
        so = 16
        ndata = 0
        while so < mlen:
            sid, slen = be(msg[so:so + 2]), be(msg[so + 2:so + 4])
            if slen < 4 or so + slen > mlen:
                fail("%s: bad set length %d" % (name, slen))
                break
            body = msg[so + 4:so + slen]
            if sid == 2:
                t = 0
                while t + 4 <= len(body):
                    tid, n = be(body[t:t + 2]), be(body[t + 2:t + 4])
                    t += 4
                    fields = []
                    for _ in range(n):
                        fid, flen = be(body[t:t + 2]), be(body[t + 2:t + 4])
                        t += 4
                        pen = 0
                        if fid & 0x8000:
                            pen = be(body[t:t + 4])
                            t += 4
                        fields.append((pen, fid & 0x7fff, flen))
                    templates[(dom, tid)] = fields
            elif sid >= 256:
                fields = templates.get((dom, sid))
                if fields is None:
                    fail("%s: data set %d before its template" % (name, sid))
                    break
                rlen = sum(f[2] for f in fields)
                r = 0
                while r + rlen <= len(body):
                    rec = {"dom": dom}
                    q = r
                    for pen, fid, flen in fields:
                        v = body[q:q + flen]
                        q += flen
                        nm = IE.get((pen, fid))
                        if nm in ("src4", "dst4", "src6", "dst6"):
                            rec[nm[:3]] = str(ipaddress.ip_address(v))
                        elif nm is not None:
                            rec[nm] = be(v)
                    recs.append(rec)
                    ndata += 1
                    r += rlen
            so += slen
        seq[dom] = (seq.get(dom, 0) + ndata) % (1 << 32)
        off += mlen
    return recs, msgs


def file_flows(recs):
    """The records as ndjson_flows() counts flows."""
    c = collections.Counter()
    for r in recs:
        k = key(r["src"], r["dst"], r.get("sp", 0), r.get("dp", 0), r["proto"])
        c[(k, r.get("vlan", 0), r["pkt"], r["oct"], r.get("rpkt", 0), r.get("roct", 0))] += 1
    return c


def replay_to_nfcapd(msgs, tmp, name):
    """Send the file's messages as datagrams to a fresh nfcapd; its flows."""
    port = free_udp_port()
    nfdir = os.path.join(tmp, "nfcapd-file-" + name)
    os.mkdir(nfdir)
    log = os.path.join(tmp, "nfcapd-file-%s.log" % name)
    with open(log, "w") as lf:
        proc = subprocess.Popen(["nfcapd", "-w", nfdir, "-b", "127.0.0.1",
                                 "-p", str(port), "-t", "3600"],
                                stdout=lf, stderr=subprocess.STDOUT)
    try:
        if not wait_for(log, "Startup", proc):
            fail("%s: nfcapd did not start: %s" % (name, open(log).read()))
            return None
        # nfcapd says "Startup" a moment before it reads its socket (datagrams
        # sent at once were lost on a busy machine); flowscope's own start-up
        # gives it that moment in check_nfdump.
        time.sleep(1.5)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for m in msgs:
            s.sendto(m, ("127.0.0.1", port))
            time.sleep(0.001)
        s.close()
        time.sleep(0.5)
    finally:
        stop(proc)
    return nfdump_flows(nfdir)


def check_file(flowscope, shared, tmp, name):
    """ipfix:FILE read back by the reader above and by nfdump (replayed)."""
    path = os.path.join(tmp, name + ".ipfix")
    ends = run_flowscope(flowscope, os.path.join(shared, "pcaps", name + ".pcap"),
                         path, os.path.join(tmp, name + "-file.ndjson"))
    if ends is None:
        return
    recs, msgs = read_ipfix(path, name + ".ipfix")
    want = ndjson_flows(ends)
    got = file_flows(recs)
    if want != got:
        fail("%s: the IPFIX file has %d records, NDJSON %d flow_end; they differ"
             % (name, len(recs), len(ends)))
        show_diff(name + " file", want, got)
    else:
        print("ok ipfix file %s: %d records in %d messages" % (name, len(recs), len(msgs)))
    nf = replay_to_nfcapd(msgs, tmp, name)
    if nf is not None and nf != want:
        fail("%s: nfdump reads %d flows from the replayed file, NDJSON %d flow_end"
             % (name, sum(nf.values()), len(ends)))
        show_diff(name + " nfdump(file)", want, nf)
    elif nf is not None:
        print("ok nfdump reads the file of %s: %d flows" % (name, sum(nf.values())))
    if name == VLAN_PCAP:
        tagged = sum(n for (k, vlan, *_), n in got.items() if vlan != 0)
        tagged_nf = sum(n for (k, vlan, *_), n in (nf or {}).items() if vlan != 0)
        if tagged == 0 or tagged_nf == 0:
            fail("%s: no flow with a vlanId (file %d, nfdump %d)" % (name, tagged, tagged_nf))
        else:
            print("ok vlanId %s: %d tagged flows" % (name, tagged))


def check_active_timeout(flowscope, shared, tmp, name):
    """--flow-update-interval: delta records add up to the flow_end totals."""
    path = os.path.join(tmp, name + "-active.ipfix")
    updates = []
    ends = run_flowscope(flowscope, os.path.join(shared, "pcaps", name + ".pcap"),
                         path, os.path.join(tmp, name + "-active.ndjson"),
                         extra=["--flow-update-interval", "1"], updates=updates)
    if ends is None:
        return
    recs, _ = read_ipfix(path, name + "-active.ipfix")
    active = [r for r in recs if r.get("reason") == 2]
    final = [r for r in recs if r.get("reason") != 2]
    if not updates or len(active) != len(updates) or len(final) != len(ends):
        fail("%s: %d flow_update and %d flow_end events, %d active-timeout and %d "
             "other records" % (name, len(updates), len(ends), len(active), len(final)))
    want = collections.defaultdict(lambda: [0, 0, 0, 0])
    for e in ends:
        k = (key(e["orig_h"], e["resp_h"], e.get("orig_p", 0), e.get("resp_p", 0),
                 e["proto"]), e.get("vlan", 0))
        w = want[k]
        w[0] += e["orig_pkts"]
        w[1] += e["orig_ip_bytes"]
        w[2] += e["resp_pkts"]
        w[3] += e["resp_ip_bytes"]
    got = collections.defaultdict(lambda: [0, 0, 0, 0])
    for r in recs:
        k = (key(r["src"], r["dst"], r.get("sp", 0), r.get("dp", 0), r["proto"]),
             r.get("vlan", 0))
        g = got[k]
        g[0] += r["pkt"]
        g[1] += r["oct"]
        g[2] += r.get("rpkt", 0)
        g[3] += r.get("roct", 0)
    bad = [k for k in set(want) | set(got) if want.get(k) != got.get(k)]
    if bad:
        fail("%s: delta sums differ from flow_end totals for %d of %d flows, e.g. %r: "
             "records %r, flow_end %r" % (name, len(bad), len(want), bad[0],
                                         got.get(bad[0]), want.get(bad[0])))
    else:
        print("ok active timeout %s: %d update records, %d final records, sums equal "
              "the totals of %d flow keys" % (name, len(active), len(final), len(want)))


# ---- pmacct --------------------------------------------------------------


def pmacct_directions(path):
    d = collections.defaultdict(lambda: [0, 0])
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if not row or row[0] == "SRC_IP":
                continue
            src, dst, sp, dp, proto, pkts, octets = row[:7]
            k = key(src, dst, sp, dp, proto)
            d[k][0] += int(pkts)
            d[k][1] += int(octets)
    return dict(d)


def check_pmacct(flowscope, shared, tmp, name):
    port = free_udp_port()
    out = os.path.join(tmp, "pmacct-%s.csv" % name)
    conf = os.path.join(tmp, "nfacctd-%s.conf" % name)
    log = os.path.join(tmp, "nfacctd-%s.log" % name)
    with open(conf, "w") as f:
        f.write("daemonize: false\n"
                "nfacctd_ip: 127.0.0.1\n"
                "nfacctd_port: %d\n"
                "nfacctd_time_new: true\n"
                "plugins: print[p]\n"
                "aggregate[p]: src_host, dst_host, src_port, dst_port, proto\n"
                "print_output[p]: csv\n"
                "print_output_file[p]: %s\n"
                "print_output_file_append[p]: true\n"
                "print_refresh_time[p]: 1\n" % (port, out))
    with open(log, "w") as lf:
        proc = subprocess.Popen(["nfacctd", "-f", conf], stdout=lf,
                                stderr=subprocess.STDOUT)
    try:
        if not wait_for(log, "waiting for NetFlow", proc):
            fail("%s: nfacctd did not start: %s" % (name, open(log).read()))
            return
        ends = run_flowscope(flowscope, os.path.join(shared, "pcaps", name + ".pcap"),
                             "udp://127.0.0.1:%d?mode=uniflow" % port,
                             os.path.join(tmp, name + "-uni.ndjson"))
        time.sleep(2.5)  # two print refreshes
    finally:
        stop(proc, signal.SIGINT)
    if ends is None:
        return
    want = ndjson_directions(ends)
    got = pmacct_directions(out)
    if want != got:
        fail("%s: pmacct has %d directions, NDJSON %d; they differ"
             % (name, len(got), len(want)))
        w = set((k, tuple(v)) for k, v in want.items())
        g = set((k, tuple(v)) for k, v in got.items())
        show_diff(name, w, g)
    else:
        print("ok pmacct %s: %d directions" % (name, len(want)))


def main():
    if len(sys.argv) != 3:
        print("usage: test_ipfix.py FLOWSCOPE SHARED", file=sys.stderr)
        return 2
    flowscope, shared = sys.argv[1], sys.argv[2]
    if not (have("nfcapd") and have("nfdump")) and not try_install("nfdump"):
        skip("nfdump (nfcapd) is not installed and cannot be installed")
    if not (have("nfcapd") and have("nfdump")):
        skip("nfdump (nfcapd) is not installed")
    pcaps = [p for p in PCAPS
             if os.path.exists(os.path.join(shared, "pcaps", p + ".pcap"))]
    if not pcaps:
        skip("no shared pcaps under %s/pcaps" % shared)
    pmacct = have("nfacctd") or try_install("pmacct")
    pmacct = pmacct and have("nfacctd")
    tmp = tempfile.mkdtemp(prefix="fc_ipfix_it_")
    try:
        for name in pcaps:
            check_nfdump(flowscope, shared, tmp, name)
        for name in pcaps:
            check_file(flowscope, shared, tmp, name)
        if ACTIVE_PCAP in pcaps:
            check_active_timeout(flowscope, shared, tmp, ACTIVE_PCAP)
        if pmacct:
            for name in pcaps:
                check_pmacct(flowscope, shared, tmp, name)
        else:
            print("pmacct (nfacctd) is not installed: its part is skipped")
    finally:
        if not failures:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("files kept in " + tmp)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
