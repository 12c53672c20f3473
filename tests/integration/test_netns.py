#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Live capture test: a network namespace, a veth pair, tcpreplay, net_af_packet.

flowscope runs live in a fresh network namespace on one end of a veth pair
(net_af_packet, qpairs=2, two RX workers behind the software dispatch
lcore, and once one RX worker reading both queues itself); tcpreplay
sends a shared pcap into the other end; SIGINT or SIGTERM (alternately)
ends the run. The flows (packets and bytes per
direction, summed per 5-tuple) must equal those of the `--pcap` run of
the same file: nothing lost, no flow split across lcores. SIGHUP in the
middle reopens the output file (logrotate), and nothing is lost across
it. Also checks that the signal ends the run with exit 0, that every
open flow ended with the reason of the `--pcap` run (closed ones keep
fin/rst, the rest `shutdown`), and final stats that add up: events
produced = exported + dropped per worker, port ipackets = frames given to
workers + dispatch drops, and ipackets + imissed = the frames tcpreplay
sent.

Then the RSS path: net_tap with two queues (the kernel's tun queue
selection spreads flows symmetrically), two RX lcores reading one queue
each, no dispatch lcore. The log must say which RSS was used (rte_flow
symmetric Toeplitz, or the 0x6d5a key and why rte_flow was refused), and
the flows must equal the pcap run's.

Prints SKIP and exits 77 where namespaces cannot be created (no root, no
CAP_NET_ADMIN) or tcpreplay is missing.

usage: test_netns.py FLOWSCOPE SHARED_DIR
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_runtime import check_counters  # noqa: E402

# (capture, signal that ends the run, RX workers); one worker reads both
# af_packet queues itself.
PCAPS = [("zeek-http-get.pcap", signal.SIGINT, 2), ("ndpi-443-curl.pcap", signal.SIGTERM, 2),
         ("zeek-ftp-ipv6.pcap", signal.SIGINT, 2), ("netring-mixed_short.pcap", signal.SIGTERM, 2),
         ("zeek-ftp-ipv6.pcap", signal.SIGTERM, 1)]
TAP_PCAP = "zeek-wikipedia.pcap"  # 34 flows: both queues get some


def sh(*args, check=True):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=check)


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def flows(lines):
    """Sum packets/bytes per (proto, endpoint pair) over flow_end events."""
    out = {}
    for line in lines:
        ev = json.loads(line)
        if ev["type"] != "flow_end":
            continue
        a = (ev["orig_h"], ev["orig_p"])
        b = (ev["resp_h"], ev["resp_p"])
        key = (ev["proto"],) + tuple(sorted((a, b)))
        fwd = a <= b
        s = out.setdefault(key, [0, 0, 0, 0])
        pk = (ev["orig_pkts"], ev["resp_pkts"]) if fwd else (ev["resp_pkts"], ev["orig_pkts"])
        by = (ev["orig_ip_bytes"], ev["resp_ip_bytes"]) if fwd else (ev["resp_ip_bytes"], ev["orig_ip_bytes"])
        s[0] += pk[0]
        s[1] += pk[1]
        s[2] += by[0]
        s[3] += by[1]
    return out


def reasons(lines):
    """End reasons per (proto, endpoint pair), sorted."""
    out = {}
    for line in lines:
        ev = json.loads(line)
        if ev["type"] != "flow_end":
            continue
        key = (ev["proto"],) + tuple(sorted(((ev["orig_h"], ev["orig_p"]),
                                             (ev["resp_h"], ev["resp_p"]))))
        out.setdefault(key, []).append(ev["reason"])
    return {k: sorted(v) for k, v in out.items()}


def replayed(r):
    """Frames tcpreplay says it sent."""
    m = re.search(r"Successful packets:\s+(\d+)", r.stdout.decode() + r.stderr.decode())
    return int(m.group(1)) if m else None


def stop(proc, sig, name):
    """Send sig; the output after exit, or a failure text."""
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None, "%s: flowscope did not stop within 60 s of %s" % (name, sig.name)
    if proc.returncode != 0:
        return None, "%s: exit %d after %s: %s" % (name, proc.returncode, sig.name,
                                                   err.decode())
    return err.decode(), None


def compare(name, live_lines, ref, workers=2):
    """What differs between a live run and the pcap run."""
    bad = []
    live, want = flows(live_lines), flows(ref)
    if live != want:
        for k in sorted(set(live) | set(want)):
            if live.get(k) != want.get(k):
                bad.append("%s: live %s, pcap %s" % (k, live.get(k), want.get(k)))
    lr, wr = reasons(live_lines), reasons(ref)
    if lr != wr:
        for k in sorted(set(lr) | set(wr)):
            if lr.get(k) != wr.get(k):
                bad.append("%s: end reasons live %s, pcap %s" % (k, lr.get(k), wr.get(k)))
    stats = [json.loads(l) for l in live_lines if '"type":"stats"' in l]
    if not stats or not stats[-1].get("final"):
        bad.append("no final stats")
        return bad, None
    st = stats[-1]
    bad += check_counters(st)
    if st["flows"]["created"] != st["flows"]["ended"] + st["flows"]["active"]:
        bad.append("flows do not add up")
    if len(st.get("workers", [])) != workers:
        bad.append("want %d workers in stats" % workers)
    if st["flows"]["active"] != 0:
        bad.append("%d flows still open after the signal" % st["flows"]["active"])
    ended = sum(len(v) for v in lr.values())
    by_reason = {k: v for k, v in st["flows"]["ended_by_reason"].items() if v}
    want_reason = {}
    for v in lr.values():
        for r in v:
            want_reason[r] = want_reason.get(r, 0) + 1
    if by_reason != want_reason or st["flows"]["ended"] != ended:
        bad.append("stats ended_by_reason %s, records %s" % (by_reason, want_reason))
    return bad, st


def main():
    flowscope, shared = os.path.abspath(sys.argv[1]), sys.argv[2]
    if shutil.which("tcpreplay") is None:
        skip("tcpreplay is not installed")
    if shutil.which("ip") is None:
        skip("iproute2 (ip) is not installed")
    ns = "fstest%d" % os.getpid()
    if sh("ip", "netns", "add", ns, check=False).returncode != 0:
        skip("cannot create a network namespace (needs root / CAP_NET_ADMIN)")
    failed = 0
    try:
        nx = ["ip", "netns", "exec", ns]
        sh(*nx, "ip", "link", "add", "fsa", "type", "veth", "peer", "name", "fsb")
        for dev in ("fsa", "fsb"):
            # No kernel chatter (IPv6 ND, MLD) on the capture link.
            sh(*nx, "sysctl", "-q", "-w", "net.ipv6.conf.%s.disable_ipv6=1" % dev, check=False)
            sh(*nx, "ip", "link", "set", dev, "mtu", "9000", "up")
        sh(*nx, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1", check=False)
        eal = ["--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "512",
               "--log-level", "error"]
        for name, sig, workers in PCAPS:
            pcap = os.path.join(shared, "pcaps", name)
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, "live.ndjson")
                cmd = nx + [flowscope] + eal + [
                    "--lcores", "(0-3)@(0-1)",
                    "--vdev", "net_af_packet0,iface=fsb,qpairs=2,framecnt=4096",
                    "--", "--rx-lcores", str(workers), "--max-flows", "4096",
                    "--events", "flow_end", "--output", "ndjson:" + out]
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                # EAL up, both queues' packet sockets open in the namespace
                # (slow under ASan), then a moment for the port to start.
                for _ in range(300):
                    if proc.poll() is not None or packet_sockets(nx) >= 2:
                        break
                    time.sleep(0.1)
                time.sleep(1)
                if proc.poll() is not None:
                    print("FAIL %s: flowscope exited early (%d): %s"
                          % (name, proc.returncode, proc.stderr.read().decode()))
                    failed += 1
                    continue
                r = sh(*nx, "tcpreplay", "--pps", "2000", "-i", "fsa", pcap, check=False)
                if r.returncode != 0:
                    print("FAIL %s: tcpreplay: %s" % (name, r.stderr.decode()))
                sent = replayed(r)
                time.sleep(1.5)
                # logrotate: move the file away, SIGHUP; later records go to a new file
                os.rename(out, out + ".1")
                proc.send_signal(signal.SIGHUP)
                time.sleep(0.5)
                _, why = stop(proc, sig, name)
                if why is not None:
                    print("FAIL " + why)
                    failed += 1
                    continue
                live_lines = []
                for path in (out + ".1", out):
                    if not os.path.exists(path):
                        print("FAIL %s: %s missing after SIGHUP" % (name, path))
                        failed += 1
                        continue
                    with open(path) as f:
                        live_lines += f.read().splitlines()
                ref = subprocess.run([flowscope, "--pcap", pcap, "--events", "flow_end"],
                                     stdout=subprocess.PIPE, check=True).stdout.decode().splitlines()
                bad, st = compare(name, live_lines, ref, workers)
                if st is not None:
                    port = st["rx"]["ports"][0]
                    if sent is None or port["ipackets"] + port["imissed"] != sent:
                        bad.append("port ipackets %d + imissed %d != %s frames sent by tcpreplay"
                                   % (port["ipackets"], port["imissed"], sent))
                if bad:
                    failed += 1
                    print("FAIL %s:\n  %s" % (name, "\n  ".join(bad[:10])))
                else:
                    print("ok %s: %d flows over af_packet qpairs=2, %d RX worker(s), equal "
                          "the pcap run, reasons kept, %s, counters add up"
                          % (name, len(flows(live_lines)), workers, sig.name))
        failed += tap_run(flowscope, shared, nx, eal)
    finally:
        sh("ip", "netns", "del", ns, check=False)
    return 1 if failed else 0


def packet_sockets(nx):
    """AF_PACKET sockets open in the namespace (rows of /proc/net/packet)."""
    r = sh(*nx, "cat", "/proc/net/packet", check=False)
    return max(0, len(r.stdout.splitlines()) - 1) if r.returncode == 0 else 0


def tap_run(flowscope, shared, nx, eal):
    """net_tap, 2 queues, 2 RX lcores on RSS (no dispatch lcore); 1 if it failed."""
    pcap = os.path.join(shared, "pcaps", TAP_PCAP)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "tap.ndjson")
        cmd = nx + [flowscope] + eal + [
            "--lcores", "(0-2)@(0-1)", "--vdev", "net_tap0,iface=fstap0",
            "--", "--rx-lcores", "2", "--dispatch", "off", "--max-flows", "4096",
            "--events", "flow_end", "--output", "ndjson:" + out]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        up = False
        for _ in range(100):
            if proc.poll() is not None:
                break
            r = sh(*nx, "ip", "-o", "link", "show", "fstap0", check=False)
            if r.returncode == 0 and b"UP" in r.stdout:
                up = True
                break
            time.sleep(0.1)
        if not up:
            if proc.poll() is None:
                proc.kill()
            _, err = proc.communicate()
            print("FAIL tap: fstap0 never came up (exit %s): %s" % (proc.returncode, err.decode()))
            return 1
        sh(*nx, "ip", "link", "set", "fstap0", "mtu", "9000", check=False)
        time.sleep(1)
        r = sh(*nx, "tcpreplay", "--pps", "2000", "-i", "fstap0", pcap, check=False)
        if r.returncode != 0:
            print("FAIL tap: tcpreplay: %s" % r.stderr.decode())
        time.sleep(1.5)
        err, why = stop(proc, signal.SIGINT, "tap")
        if why is not None:
            print("FAIL " + why)
            return 1
        with open(out) as f:
            live_lines = f.read().splitlines()
        ref = subprocess.run([flowscope, "--pcap", pcap, "--events", "flow_end"],
                             stdout=subprocess.PIPE, check=True).stdout.decode().splitlines()
        bad, st = compare("tap", live_lines, ref)
        rss = [l for l in err.splitlines() if "RSS over 2 queues" in l]
        if len(rss) != 1 or not re.search(r"symmetric_toeplitz$|0x6d5a key \(rte_flow "
                                          r"symmetric_toeplitz refused: .+\)", rss[0]):
            bad.append("no log line saying which RSS was used: %r" % err)
        if st is not None:
            if "dispatch" in st:
                bad.append("a dispatch lcore ran: the RSS path was not taken")
            if sum(1 for w in st["workers"] if w["frames"] > 0) != 2:
                bad.append("not both workers got frames: %s" % st["workers"])
        if bad:
            print("FAIL tap:\n  %s" % "\n  ".join(bad[:10]))
            return 1
        print("ok tap: %d flows over net_tap 2 queues + RSS equal the pcap run; %s"
              % (len(flows(live_lines)), rss[0].split(": ", 1)[1]))
        return 0


if __name__ == "__main__":
    sys.exit(main())
