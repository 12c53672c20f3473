#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Live capture test: a network namespace, a veth pair, tcpreplay, net_af_packet.

flowscope runs live in a fresh network namespace on one end of a veth pair
(net_af_packet, qpairs=2, two RX workers behind the software dispatch
lcore); tcpreplay sends a shared pcap into the other end; SIGINT ends the
run. The flows (packets and bytes per direction, summed per 5-tuple) must
equal those of the `--pcap` run of the same file: nothing lost, no flow
split across lcores. SIGHUP in the middle reopens the output file
(logrotate), and nothing is lost across it. Also checks that SIGINT ends the run with exit 0,
every open flow ended (closed ones keep fin/rst, the rest `shutdown`) and
final stats that add up.

Prints SKIP and exits 77 where namespaces cannot be created (no root, no
CAP_NET_ADMIN) or tcpreplay is missing.

usage: test_netns.py FLOWSCOPE SHARED_DIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PCAPS = ["zeek-http-get.pcap", "ndpi-443-curl.pcap", "zeek-ftp-ipv6.pcap"]


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
        for name in PCAPS:
            pcap = os.path.join(shared, "pcaps", name)
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, "live.ndjson")
                cmd = nx + [flowscope, "--no-huge", "--no-pci", "--no-shconf",
                            "--no-telemetry", "-m", "512", "--lcores", "(0-3)@(0-1)",
                            "--log-level", "error",
                            "--vdev", "net_af_packet0,iface=fsb,qpairs=2,framecnt=4096",
                            "--", "--rx-lcores", "2", "--max-flows", "4096",
                            "--events", "flow_end", "--output", "ndjson:" + out]
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                time.sleep(3)  # EAL up, sockets bound
                if proc.poll() is not None:
                    print("FAIL %s: flowscope exited early (%d): %s"
                          % (name, proc.returncode, proc.stderr.read().decode()))
                    failed += 1
                    continue
                r = sh(*nx, "tcpreplay", "-q", "--pps", "2000", "-i", "fsa", pcap, check=False)
                if r.returncode != 0:
                    print("FAIL %s: tcpreplay: %s" % (name, r.stderr.decode()))
                time.sleep(1.5)
                # logrotate: move the file away, SIGHUP; later records go to a new file
                os.rename(out, out + ".1")
                proc.send_signal(signal.SIGHUP)
                time.sleep(0.5)
                proc.send_signal(signal.SIGINT)
                try:
                    _, err = proc.communicate(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    print("FAIL %s: flowscope did not stop within 60 s of SIGINT" % name)
                    failed += 1
                    continue
                if proc.returncode != 0:
                    print("FAIL %s: exit %d after SIGINT: %s" % (name, proc.returncode, err.decode()))
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
                live, want = flows(live_lines), flows(ref)
                stats = [json.loads(l) for l in live_lines if '"type":"stats"' in l]
                bad = []
                if live != want:
                    for k in sorted(set(live) | set(want)):
                        if live.get(k) != want.get(k):
                            bad.append("%s: live %s, pcap %s" % (k, live.get(k), want.get(k)))
                if not stats or not stats[-1].get("final"):
                    bad.append("no final stats")
                else:
                    st = stats[-1]
                    if st["flows"]["created"] != st["flows"]["ended"] + st["flows"]["active"]:
                        bad.append("flows do not add up")
                    if st["events"]["produced"] != st["events"]["exported"] + st["events"]["dropped"]:
                        bad.append("events do not add up")
                    if len(st.get("workers", [])) != 2:
                        bad.append("want 2 workers in stats")
                    if st["flows"]["active"] != 0:
                        bad.append("%d flows still open after SIGINT" % st["flows"]["active"])
                if bad:
                    failed += 1
                    print("FAIL %s:\n  %s" % (name, "\n  ".join(bad[:10])))
                else:
                    print("ok %s: %d flows over af_packet qpairs=2 equal the pcap run"
                          % (name, len(live)))
    finally:
        sh("ip", "netns", "del", ns, check=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
