#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write a pcap of an out-of-order TCP flood, to show that reassembly
never holds more than its memcap.

    gen-ooo-flood.py --out FILE [--flows N] [--segments S] [--seg-size B]
                     [--seed X] [--interval-us U] [--fill] [--close]

Every flow is a client 10.a.b.c:port -> server 172.16.x.y:80 (one
server address per flow, so every 5-tuple is distinct). First all
flows do their three-way handshake; then, round-robin over the flows, each
client sends data segments 1 .. S-1 of its stream: segment 0 (the first
B bytes after the SYN) is never sent, so every data segment of the flood
sits behind a hole and is out of order. --fill sends each flow's missing
segment after all the others (the hole finally fills); --close ends each
flow with FIN, FIN-ACK, ACK. Byte k of a flow's stream is (k + flow) & 0xff.

Frames are Ethernet/IPv4/TCP with valid checksums, spaced --interval-us
microseconds apart (default 1, so a large flood stays inside a 1 s
reassembly deadline). Output is a classic microsecond pcap, deterministic
for a given set of options. Plain struct packing, no third-party modules.
"""
import argparse
import array
import random
import struct
import sys

ETH_HDR = bytes.fromhex("020000000002" "020000000001") + b"\x08\x00"
ETH_HDR_REV = bytes.fromhex("020000000001" "020000000002") + b"\x08\x00"
SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10
PAGE = 1 << 20


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def words_sum(b):
    """Sum of the big-endian 16-bit words of b (padded to even length)."""
    if len(b) & 1:
        b += b"\x00"
    a = array.array("H", b)
    if sys.byteorder == "little":
        a.byteswap()
    return sum(a)


class Flow:
    def __init__(self, idx, rng):
        self.idx = idx
        self.cip = bytes([10, rng.randrange(256), rng.randrange(256),
                          1 + rng.randrange(254)])
        self.sip = bytes([172, 16, idx >> 8, idx & 0xFF])  # unique per flow
        self.cport = 1024 + rng.randrange(64000)
        self.sport = 80
        self.cisn = rng.randrange(1 << 32)
        self.sisn = rng.randrange(1 << 32)


class Writer:
    def __init__(self, out, interval_us):
        self.out = out
        self.buf = []
        self.size = 0
        self.t_us = 1700000000 * 1000000
        self.interval = interval_us
        self.packets = 0
        self.payload_sums = {}
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def tcp(self, f, from_client, flags, seq, ack, payload=b"", psum=None):
        src, dst = (f.cip, f.sip) if from_client else (f.sip, f.cip)
        sp, dp = (f.cport, f.sport) if from_client else (f.sport, f.cport)
        tcp_len = 20 + len(payload)
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF,
                          ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        if psum is None:
            psum = words_sum(payload)
        s = (words_sum(src + dst) + 6 + tcp_len + words_sum(tcp) + psum)
        csum = (~fold(s)) & 0xFFFF
        tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tcp_len,
                         self.packets & 0xFFFF, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", (~fold(words_sum(ip))) & 0xFFFF) + ip[12:]
        frame = (ETH_HDR if from_client else ETH_HDR_REV) + ip + tcp + payload
        sec, usec = divmod(self.t_us, 1000000)
        self.buf.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.buf.append(frame)
        self.size += 16 + len(frame)
        self.t_us += self.interval
        self.packets += 1
        if self.size >= PAGE:
            self.flush()

    def flush(self):
        self.out.write(b"".join(self.buf))
        self.buf = []
        self.size = 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flows", type=int, default=1000)
    ap.add_argument("--segments", type=int, default=100,
                    help="data segments per flow, the first one never sent")
    ap.add_argument("--seg-size", type=int, default=1460)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--interval-us", type=int, default=1)
    ap.add_argument("--fill", action="store_true",
                    help="send each flow's missing first segment at the end")
    ap.add_argument("--close", action="store_true",
                    help="end each flow with a FIN handshake")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if not (1 <= a.flows <= 65535 and 2 <= a.segments and
            1 <= a.seg_size <= 1460 and a.interval_us >= 0):
        ap.error("need 1 <= flows <= 65535, segments >= 2, "
                 "1 <= seg-size <= 1460, interval-us >= 0")

    rng = random.Random(a.seed)
    flows = [Flow(i, rng) for i in range(a.flows)]
    pattern = bytes(range(256)) * (a.seg_size // 256 + 2)
    psums = {}

    def payload(f, k):
        """Segment k of flow f and its word sum (cached: 256 variants)."""
        o = (k * a.seg_size + f.idx) & 0xFF
        p = pattern[o:o + a.seg_size]
        if o not in psums:
            psums[o] = words_sum(p)
        return p, psums[o]

    with open(a.out, "wb") as out:
        w = Writer(out, a.interval_us)
        for f in flows:
            w.tcp(f, True, SYN, f.cisn, 0)
            w.tcp(f, False, SYN | ACK, f.sisn, f.cisn + 1)
            w.tcp(f, True, ACK, f.cisn + 1, f.sisn + 1)
        for k in range(1, a.segments):
            for f in flows:
                p, s = payload(f, k)
                w.tcp(f, True, PSH | ACK, f.cisn + 1 + k * a.seg_size,
                      f.sisn + 1, p, s)
        for f in flows:
            end = f.cisn + 1 + a.segments * a.seg_size
            if a.fill:
                p, s = payload(f, 0)
                w.tcp(f, True, PSH | ACK, f.cisn + 1, f.sisn + 1, p, s)
            if a.close:
                w.tcp(f, True, FIN | ACK, end, f.sisn + 1)
                w.tcp(f, False, FIN | ACK, f.sisn + 1, end + 1)
                w.tcp(f, True, ACK, end + 1, f.sisn + 2)
        w.flush()
    data = a.flows * (a.segments - 1) * a.seg_size
    print(f"{a.out}: {w.packets} packets, {a.flows} flows, "
          f"{data} out-of-order payload bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
