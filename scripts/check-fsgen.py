#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check fsgen: generate small files for each option and verify them.

    check-fsgen.py FSGEN

Every file is read back by the small pcap and frame parser below, which
checks the file header, the record lengths, the timestamps, every header
(VLAN tag, VXLAN or GRE outer layers, IPv4/IPv6, TCP/UDP), the IPv4 header
and TCP/UDP checksums, and groups packets into flows by 5-tuple. On top of
that each case checks what its options promise: the number of flows,
frame sizes (fixed and IMIX), the IPv6 share, the TCP/UDP mix, complete
TCP sessions with consistent sequence numbers, churn (--rate), the Zipf
skew, round-robin popularity (every live flow in turn), and determinism
(same seed, same sha256). tshark cross-checks the conversation counts
(-z conv,tcp / conv,udp) and the checksums.

Prints "SKIP: <reason>" and exits 77 when tshark is missing.
"""
import collections
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

T0 = 1700000000
SUMMARY = re.compile(r"fsgen: (\d+) packets, (\d+) flows, (\d+) bytes, ([\d.]+) s of traffic")
IMIX_CAP = {60, 566, 1514}       # 64, 570, 1518 on the wire minus the FCS

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)
    return cond


def run_fsgen(fsgen, path, *args):
    r = subprocess.run([fsgen, "--out", path] + [str(a) for a in args],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError("fsgen %s failed: %s" % (" ".join(map(str, args)), r.stderr))
    m = SUMMARY.search(r.stderr)
    if not m:
        raise RuntimeError("no summary line: " + r.stderr)
    return {"packets": int(m.group(1)), "flows": int(m.group(2)),
            "bytes": int(m.group(3)), "seconds": float(m.group(4))}


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def parse_ip(b, off, pkt):
    """IPv4/IPv6 + TCP/UDP at b[off:]: fills pkt, checks checksums."""
    ver = b[off] >> 4
    if ver == 4:
        check(csum(b[off:off + 20]) == 0xffff, "IPv4 header checksum")
        total, proto = struct.unpack("!H", b[off + 2:off + 4])[0], b[off + 9]
        src, dst = b[off + 12:off + 16], b[off + 16:off + 20]
        l4 = off + 20
        l4_len = total - 20
        pseudo = src + dst + struct.pack("!BBH", 0, proto, l4_len)
    else:
        check(ver == 6, "IP version %d" % ver)
        plen, proto = struct.unpack("!HB", b[off + 4:off + 7])
        src, dst = b[off + 8:off + 24], b[off + 24:off + 40]
        l4 = off + 40
        l4_len = plen
        pseudo = src + dst + struct.pack("!IxxxB", l4_len, proto)
    check(l4 + l4_len <= len(b), "IP length within the frame")
    seg = b[l4:l4 + l4_len]
    check(csum(pseudo + seg) == 0xffff, "L4 checksum")
    pkt.update(v6=(ver == 6), proto=proto, src=bytes(src), dst=bytes(dst))
    sport, dport = struct.unpack("!HH", b[l4:l4 + 4])
    pkt.update(sport=sport, dport=dport)
    if proto == 6:
        seq, ack, off_fl = struct.unpack("!IIH", b[l4 + 4:l4 + 14])
        hl = (off_fl >> 12) * 4
        pkt.update(seq=seq, ack=ack, flags=off_fl & 0x3f, payload=l4_len - hl)
    else:
        check(proto == 17, "L4 protocol %d" % proto)
        ulen = struct.unpack("!H", b[l4 + 4:l4 + 6])[0]
        check(ulen == l4_len, "UDP length")
        pkt.update(payload=ulen - 8)
    # Padding only after the IP packet, and zero; payload zero too.
    check(not any(b[l4 + l4_len - pkt["payload"]:]), "payload and padding are zero")


def decode(b):
    pkt = {"vlan": None, "tunnel": None, "caplen": len(b)}
    off = 12
    etype = struct.unpack("!H", b[off:off + 2])[0]
    if etype == 0x8100:
        pkt["vlan"] = struct.unpack("!H", b[off + 2:off + 4])[0] & 0xfff
        off += 4
        etype = struct.unpack("!H", b[off:off + 2])[0]
    off += 2
    outer_start = off
    if etype == 0x0800 and b[off + 9] in (17, 47) and (
            b[off + 9] == 47 or struct.unpack("!H", b[off + 22:off + 24])[0] == 4789):
        check(csum(b[off:off + 20]) == 0xffff, "outer IPv4 header checksum")
        pkt["outer"] = (bytes(b[off + 12:off + 16]), bytes(b[off + 16:off + 20]))
        total = struct.unpack("!H", b[off + 2:off + 4])[0]
        if b[off + 9] == 17:
            pkt["tunnel"] = "vxlan"
            ulen = struct.unpack("!H", b[off + 24:off + 26])[0]
            check(ulen == total - 20, "VXLAN outer UDP length")
            vx = off + 28
            check(b[vx] == 0x08, "VXLAN I flag")
            pkt["vni"] = struct.unpack("!I", b[vx + 4:vx + 8])[0] >> 8
            inner_type = struct.unpack("!H", b[vx + 20:vx + 22])[0]
            off = vx + 8 + 14
        else:
            pkt["tunnel"] = "gre"
            check(b[off + 20:off + 22] == b"\0\0", "GRE flags and version 0")
            inner_type = struct.unpack("!H", b[off + 22:off + 24])[0]
            off += 24
        check(inner_type == (0x86dd if b[off] >> 4 == 6 else 0x0800), "inner ethertype")
        inner_start = off
        parse_ip(b, off, pkt)
        ip_total = (struct.unpack("!H", b[off + 2:off + 4])[0] if b[off] >> 4 == 4
                    else 40 + struct.unpack("!H", b[off + 4:off + 6])[0])
        check(total == inner_start - outer_start + ip_total, "outer IPv4 total length")
        return pkt
    check(etype == (0x86dd if b[off] >> 4 == 6 else 0x0800), "ethertype")
    parse_ip(b, off, pkt)
    return pkt


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, vmaj, vmin, _, _, snap, link = struct.unpack("<IHHiIII", data[:24])
    check(magic == 0xa1b2c3d4 and (vmaj, vmin) == (2, 4), "pcap magic/version")
    check(link == 1, "linktype Ethernet")
    recs = []
    off = 24
    while off < len(data):
        sec, usec, cap, wire = struct.unpack("<IIII", data[off:off + 16])
        check(cap == wire and cap <= snap and cap >= 60, "record lengths %d/%d" % (cap, wire))
        recs.append((sec, usec, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    check(off == len(data), "records end with the file")
    return recs


def is_client(addr):
    return addr[0] == 10 or addr[:6] == bytes.fromhex("20010db80000")


def flow_key(p):
    """5-tuple with the client side first."""
    if is_client(p["src"]):
        return (p["proto"], p["src"], p["sport"], p["dst"], p["dport"])
    return (p["proto"], p["dst"], p["dport"], p["src"], p["sport"])


def analyse(path, pps=1000000):
    """Decode every packet; group into flows keyed by client side."""
    recs = read_pcap(path)
    flows = collections.OrderedDict()
    pkts = []
    for k, (sec, usec, frame) in enumerate(recs):
        ns = k * 1000000000 // pps
        if not check((sec, usec) == (T0 + ns // 1000000000, ns % 1000000000 // 1000),
                     "timestamp of packet %d: %d.%06d" % (k, sec, usec)):
            break
        p = decode(frame)
        c2s = is_client(p["src"])
        check(c2s != is_client(p["dst"]), "one client end")
        key = flow_key(p)
        p["dir"] = 0 if c2s else 1
        flows.setdefault(key, []).append(p)
        pkts.append(p)
    return pkts, flows


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tshark_conv(path, kind):
    out = subprocess.run(["tshark", "-r", path, "-q", "-z", "conv," + kind],
                         capture_output=True, text=True, check=True).stdout
    n = frames = 0
    for line in out.splitlines():
        if "<->" in line:
            n += 1
            # A <-> B  <-frames bytes  ->frames bytes  total-frames bytes  start  duration
            fr = re.findall(r"(\d+)\s+[\d,.]+\s*(?:bytes|kB|MB|GB)", line)
            frames += int(fr[2]) if len(fr) >= 3 else 0
    return n, frames


def tshark_bad_checksums(path):
    r = subprocess.run(["tshark", "-r", path,
                        "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                        "-o", "udp.check_checksum:TRUE",
                        "-Y", "ip.checksum.status == 0 || tcp.checksum.status == 0 || "
                              "udp.checksum.status == 0 || _ws.malformed"],
                       capture_output=True, text=True, check=True)
    return len(r.stdout.splitlines())


def check_sessions(flows, what):
    """Every TCP flow: S, SA, A, data alternating, FA, FA, A; seq/ack in step."""
    ok = True
    for key, ps in flows.items():
        if key[0] != 6:
            continue
        shape = [(p["dir"], p["flags"]) for p in ps]
        good = (len(ps) >= 6 and shape[:3] == [(0, 0x02), (1, 0x12), (0, 0x10)] and
                shape[-3:] == [(0, 0x11), (1, 0x11), (0, 0x10)])
        data = shape[3:-3]
        good = good and all(d == (i & 1) and f == 0x18 for i, (d, f) in enumerate(data))
        nxt = [ps[0]["seq"], ps[1]["seq"]]
        for p in ps:
            d = p["dir"]
            good = good and p["seq"] == nxt[d]
            if p["flags"] & 0x10:
                good = good and p["ack"] == nxt[1 - d]
            nxt[d] = (nxt[d] + p["payload"] + (1 if p["flags"] & 0x03 else 0)) & 0xffffffff
        if not good:
            ok = False
            check(False, "%s: session shape of flow %r: %r" % (what, key[1:], shape[:8]))
            break
    return ok


def main():
    if len(sys.argv) != 2:
        print("usage: check-fsgen.py FSGEN", file=sys.stderr)
        return 2
    fsgen = sys.argv[1]
    if shutil.which("tshark") is None:
        print("SKIP: tshark not found")
        return 77
    tmp = tempfile.mkdtemp(prefix="fsgen-check-")
    try:
        cases(fsgen, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all fsgen checks passed")
    return 0


def cases(fsgen, tmp):
    f = lambda name: os.path.join(tmp, name + ".pcap")  # noqa: E731

    # 1. Plain TCP, 64-byte frames, uniform: every flow appears, every
    # frame 60 bytes, directions alternate, 1 us spacing.
    s = run_fsgen(fsgen, f("tcp"), "--packets", 5000, "--flows", 50, "--seed", 7)
    pkts, flows = analyse(f("tcp"))
    check(len(pkts) == 5000 and s["packets"] == 5000, "tcp: packet count")
    check(len(flows) == 50 and s["flows"] == 50, "tcp: 50 flows, got %d" % len(flows))
    check(all(p["caplen"] == 60 for p in pkts), "tcp: 60-byte frames")
    check(all(p["proto"] == 6 and not p["v6"] for p in pkts), "tcp: IPv4 TCP only")
    check(all([p["dir"] for p in ps] == [i & 1 for i in range(len(ps))]
              for ps in flows.values()), "tcp: directions alternate, client first")
    check(s["bytes"] == 5000 * 60 and abs(s["seconds"] - 0.005) < 1e-9, "tcp: summary bytes/seconds")
    n, fr = tshark_conv(f("tcp"), "tcp")
    check(n == 50 and fr == 5000, "tcp: tshark conv,tcp %d conversations %d frames" % (n, fr))

    # 2. TCP sessions: complete handshake and close around alternating data.
    s = run_fsgen(fsgen, f("sess"), "--packets", 3000, "--flows", 40, "--tcp-sessions")
    pkts, flows = analyse(f("sess"))
    check(len(pkts) == 3000 and len(flows) == 40 == s["flows"], "sessions: counts")
    check_sessions(flows, "sessions")
    n, fr = tshark_conv(f("sess"), "tcp")
    check(n == 40 and fr == 3000, "sessions: tshark conv,tcp %d conversations %d frames" % (n, fr))
    check(tshark_bad_checksums(f("sess")) == 0, "sessions: tshark checksums")

    # 3. UDP, fixed size, VLAN.
    s = run_fsgen(fsgen, f("udp"), "--packets", 2000, "--flows", 20, "--proto", "udp",
                  "--size", 1500, "--vlan", 100)
    pkts, flows = analyse(f("udp"))
    check(len(flows) == 20 and all(k[0] == 17 for k in flows), "udp: 20 UDP flows")
    check(all(p["caplen"] == 1496 for p in pkts), "udp: 1500-byte frames (1496 captured)")
    check(all(p["vlan"] == 100 for p in pkts), "udp: VLAN 100 on every frame")
    n, fr = tshark_conv(f("udp"), "udp")
    check(n == 20 and fr == 2000, "udp: tshark conv,udp %d conversations %d frames" % (n, fr))

    # 4. Mix, IPv6 share, IMIX sizes, sessions, Zipf.
    s = run_fsgen(fsgen, f("mix"), "--packets", 24000, "--flows", 400, "--proto", "mix",
                  "--ipv6-share", 50, "--size", "imix", "--tcp-sessions", "--popularity", "zipf:0.5")
    pkts, flows = analyse(f("mix"))
    check(len(pkts) == 24000 and len(flows) == s["flows"], "mix: counts")
    v6 = sum(1 for ps in flows.values() if ps[0]["v6"]) / len(flows)
    tcp = sum(1 for k in flows if k[0] == 6) / len(flows)
    check(0.38 < v6 < 0.62, "mix: IPv6 share %.2f" % v6)
    check(0.38 < tcp < 0.62, "mix: TCP share %.2f" % tcp)
    check_sessions(flows, "mix")
    data = [p for p in pkts if p["proto"] == 17 or p["flags"] == 0x18]
    sizes = collections.Counter(p["caplen"] for p in data)
    # Sizes grow to fit headers: 64-byte IPv6/TCP frames are 74 bytes.
    small = sum(c for sz, c in sizes.items() if sz < 200)
    mid = sizes[566]
    big = sizes[1514]
    check(small + mid + big == len(data), "mix: IMIX sizes only: %r" % sizes.most_common(6))
    check(abs(small / len(data) - 7 / 12) < 0.05 and abs(mid / len(data) - 4 / 12) < 0.05 and
          abs(big / len(data) - 1 / 12) < 0.03, "mix: IMIX 7:4:1 %d/%d/%d" % (small, mid, big))
    check(tshark_bad_checksums(f("mix")) == 0, "mix: tshark checksums")

    # 5. Tunnels (with a VLAN on the outer frame, IPv6 inside).
    for tun in ("vxlan", "gre"):
        s = run_fsgen(fsgen, f(tun), "--packets", 2000, "--flows", 30, "--tunnel", tun,
                      "--vlan", 5, "--ipv6-share", 30, "--size", 256, "--tcp-sessions")
        pkts, flows = analyse(f(tun))
        check(len(flows) == 30 == s["flows"], "%s: 30 inner flows" % tun)
        check(all(p["tunnel"] == tun and p["vlan"] == 5 for p in pkts), "%s: every frame encapsulated" % tun)
        check(all(p["caplen"] == 252 for p in pkts if p["proto"] == 17 or p["flags"] == 0x18),
              "%s: data frames of 256 bytes on the wire" % tun)
        if tun == "vxlan":
            check(all(p["vni"] == 1 for p in pkts), "vxlan: VNI 1")
        check(all(p["outer"] == ((bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])) if p["dir"] == 0
                                 else (bytes([192, 0, 2, 2]), bytes([192, 0, 2, 1]))) for p in pkts),
              "%s: outer endpoints follow the direction" % tun)
        check_sessions(flows, tun)
        n, fr = tshark_conv(f(tun), "tcp")
        check(n == 30 and fr == 2000, "%s: tshark conv,tcp (inner) %d conversations %d frames" % (tun, n, fr))
        check(tshark_bad_checksums(f(tun)) == 0, "%s: tshark checksums" % tun)

    # 6. Churn: flows arrive at --rate, each replacing the oldest.
    s = run_fsgen(fsgen, f("churn"), "--packets", 100000, "--flows", 100, "--rate", 10000,
                  "--proto", "mix", "--tcp-sessions")
    pkts, flows = analyse(f("churn"))
    # 0.1 s of traffic: 1000 arrivals on top of the first 100 flows.
    check(len(pkts) == 100000, "churn: packet count")
    check(len(flows) == s["flows"] and 1050 <= len(flows) <= 1100, "churn: %d flows" % len(flows))
    check_sessions(flows, "churn")

    # 7. Zipf skew: the hottest flow of 100 takes ~19% (s = 1), uniform ~1%.
    for pop, lo, hi in (("zipf", 0.15, 0.24), ("uniform", 0.0, 0.03)):
        run_fsgen(fsgen, f(pop), "--packets", 20000, "--flows", 100, "--popularity", pop,
                  "--proto", "udp")
        pkts, flows = analyse(f(pop))
        top = max(len(ps) for ps in flows.values()) / len(pkts)
        check(lo <= top <= hi, "%s: hottest flow share %.3f" % (pop, top))

    # 8. Timestamps follow --pps.
    run_fsgen(fsgen, f("pps"), "--packets", 1000, "--pps", 3000, "--flows", 3)
    analyse(f("pps"), pps=3000)

    # 9. Too few packets for every session: only complete sessions.
    s = run_fsgen(fsgen, f("tiny"), "--packets", 10, "--flows", 5, "--tcp-sessions")
    pkts, flows = analyse(f("tiny"))
    check(len(pkts) == s["packets"] <= 10 and len(flows) >= 1, "tiny: %d packets" % len(pkts))
    check_sessions(flows, "tiny")

    # 10. Determinism: same seed, same bytes; another seed, other bytes.
    args = ("--packets", 5000, "--flows", 64, "--proto", "mix", "--ipv6-share", 20,
            "--size", "imix", "--tcp-sessions", "--popularity", "zipf", "--rate", 20000,
            "--tunnel", "vxlan", "--seed", 42)
    run_fsgen(fsgen, f("det1"), *args)
    run_fsgen(fsgen, f("det2"), *args)
    run_fsgen(fsgen, f("det3"), *(args[:-1] + (43,)))
    check(sha256(f("det1")) == sha256(f("det2")), "determinism: same seed, same sha256")
    check(sha256(f("det1")) != sha256(f("det3")), "determinism: another seed, other bytes")

    # 11. Round robin: N packets over N flows write exactly N flows (uniform
    # picks would give about 63%); every live flow sends in turn, so with
    # sessions 6N packets are N complete 6-packet sessions: N SYNs in turn,
    # then (the packets left only pay for finishing the open sessions) each
    # session's rest in one go.
    s = run_fsgen(fsgen, f("rr"), "--packets", 3000, "--flows", 3000, "--proto", "udp",
                  "--popularity", "roundrobin")
    pkts, flows = analyse(f("rr"))
    check(len(pkts) == 3000 and len(flows) == 3000 == s["flows"],
          "roundrobin: 3000 packets over 3000 flows give %d flows" % len(flows))
    s = run_fsgen(fsgen, f("rrs"), "--packets", 1200, "--flows", 200, "--tcp-sessions",
                  "--popularity", "roundrobin")
    pkts, flows = analyse(f("rrs"))
    check(len(pkts) == 1200 and len(flows) == 200 == s["flows"] and
          all(len(ps) == 6 for ps in flows.values()),
          "roundrobin sessions: 200 flows of 6 packets, got %d flows" % len(flows))
    check_sessions(flows, "roundrobin")
    order = [flow_key(p) for p in pkts]
    check(len(set(order[:200])) == 200 and all(p["flags"] == 0x02 for p in pkts[:200]),
          "roundrobin: the first 200 packets are the SYNs of 200 flows")
    s = run_fsgen(fsgen, f("rrd"), "--packets", 2000, "--flows", 200, "--popularity", "roundrobin")
    pkts, flows = analyse(f("rrd"))
    order = [flow_key(p) for p in pkts]
    check(len(flows) == 200 and all(order[k] == order[k % 200] for k in range(2000)),
          "roundrobin: packet k belongs to flow k mod 200")

    # 12. Bad options are refused with status 2.
    for bad in (["--size", "63"], ["--proto", "icmp"], ["--popularity", "zipf:x"],
                ["--vlan", "4096"], ["--flows", "0"], ["--rate", "2000000"],
                ["--popularity", "round"]):
        r = subprocess.run([fsgen, "--out", f("bad")] + bad, capture_output=True, check=False)
        check(r.returncode == 2, "option %r refused" % bad)


if __name__ == "__main__":
    sys.exit(main())
