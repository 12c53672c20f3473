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

PCAPS = ["zeek-http-get", "zeek-ftp-ipv6", "ndpi-1kxun", "ndpi-vxlan"]
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


def run_flowscope(flowscope, pcap, ipfix_target, ndjson):
    cmd = [flowscope, "--pcap", pcap, "--no-stats",
           "--output", "ipfix:" + ipfix_target, "--output", "ndjson:" + ndjson]
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
