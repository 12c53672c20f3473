#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Stream dumps: the index DIR/streams.ndjson, gap fills, an old directory.

A capture written here holds three TCP connections:
  A  untagged; the client sends 201 segments of 100 bytes but every odd one
     is missing (100 holes); the server sends one segment;
  B  VLAN 42; the client sends segments 0 and 2 of 3 (one hole at 100);
  C  untagged, one segment each way, no hole.
Each ends with FIN, FIN, ACK. It goes through `--dump-streams` with the
gaps skipped, filled with 'A' (65) and zero-filled, and with two workers
behind the dispatch lcore. Checks:

- one index line per connection, with proto, endpoints, vlan (42 for B)
  and per side: file, bytes, gap_bytes, gaps [[offset, length], ...],
  gaps_truncated, untracked;
- A's client side lists its first 64 gaps exactly ([100k+100, 100] in
  stream offsets) and says gaps_truncated; B lists [[100, 100]];
- with a fill byte each file holds bytes + gap_bytes, the listed gap
  ranges hold the fill byte (or zeros), and cutting the gap ranges out
  gives the skip file byte for byte; the skip file is what was sent;
- two workers give the same files and index (flow ids aside);
- a directory used before: the stream files of the earlier run
  (<n>.orig, <n>.<ep>.part, <n>.<ep>.gaps.part) are removed with a
  note on stderr, other files stay;
- with a single stream state (reassembly.max_streams=1) the sides that
  had payload but no state are "untracked": true with no file, and their
  number is the reassembly counter streams_exhausted.

usage: test_stream_index.py FLOWSCOPE SHARED_DIR
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

SEG = 100


def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload=b"", vlan=0):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01"
    if vlan:
        eth += struct.pack("!HH", 0x8100, vlan)
    return eth + b"\x08\x00" + ip + tcp


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.t = 1_700_000_000_000_000  # us

    def add(self, frame):
        self.t += 100
        self.f.write(struct.pack("<IIII", self.t // 1_000_000, self.t % 1_000_000,
                                 len(frame), len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


def data(flow, k):
    """Segment k of a flow's client stream."""
    return bytes(((flow * 31 + k * 7 + i) & 0x7F) | 0x20 for i in range(SEG))


def connection(p, flow, cip, sip, cport, segments, server_data, vlan=0):
    """3WHS, client segments (the listed ones), one server segment, FIN/FIN/ACK.
    Returns the client bytes sent, in stream order."""
    ci, si = 1000 * flow, 5000 * flow

    def c2s(seq, ack, fl, pl=b""):
        p.add(tcp_frame(cip, sip, cport, 80, seq, ack, fl, pl, vlan))

    def s2c(seq, ack, fl, pl=b""):
        p.add(tcp_frame(sip, cip, 80, cport, seq, ack, fl, pl, vlan))

    c2s(ci, 0, 0x02)
    s2c(si, ci + 1, 0x12)
    c2s(ci + 1, si + 1, 0x10)
    sent = b""
    top = max(segments) + 1
    for k in segments:
        c2s(ci + 1 + k * SEG, si + 1, 0x18, data(flow, k))
        sent += data(flow, k)
    s2c(si + 1, ci + 1 + top * SEG, 0x18, server_data)
    cfin = ci + 1 + top * SEG
    sfin = si + 1 + len(server_data)
    c2s(cfin, sfin, 0x11)
    s2c(sfin, cfin + 1, 0x11)
    c2s(cfin + 1, sfin + 1, 0x10)
    return sent


def run(flowscope, pcap, out, extra):
    p = subprocess.run([flowscope, "--pcap", pcap, "--events", "flow_end", "--max-flows", "1024",
                        "--dump-streams", out] + extra,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr.decode()))
    with open(os.path.join(out, "streams.ndjson")) as f:
        index = [json.loads(l) for l in f]
    stats = [json.loads(l) for l in p.stdout.decode().splitlines()
             if '"type":"stats"' in l][-1]
    return index, stats, p.stderr.decode()


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def by_port(index):
    return {e["orig_p"]: e for e in index}


def main():
    flowscope = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="fc-sidx-")
    errs = []

    def check(ok, what):
        if not ok:
            errs.append(what)

    try:
        pcap = os.path.join(tmp, "holes.pcap")
        p = Pcap(pcap)
        sent_a = connection(p, 1, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), 40001,
                            list(range(0, 201, 2)), b"hello from A")
        sent_b = connection(p, 2, bytes([10, 0, 1, 1]), bytes([10, 0, 1, 2]), 40002,
                            [0, 2], b"hello from B", vlan=42)
        sent_c = connection(p, 3, bytes([10, 0, 2, 1]), bytes([10, 0, 2, 2]), 40003,
                            [0], b"hello from C")
        p.close()

        # An old run's files, and one that is not ours.
        skip_dir = os.path.join(tmp, "skip")
        os.mkdir(skip_dir)
        for n in ("999.orig", "998.resp", "997.1.part", "996.0.gaps.part", "notes.txt"):
            with open(os.path.join(skip_dir, n), "w") as f:
                f.write("old")
        idx_skip, st, err = run(flowscope, pcap, skip_dir, ["--dump-gap-fill", "skip"])
        left = sorted(os.listdir(skip_dir))
        check("notes.txt" in left and not any(n.startswith("99") for n in left),
              "old stream files not removed, or other files touched: %s" % left)
        check("removed 4 stream files of an earlier run" in err,
              "no note about the removed files: %r" % err)

        idx = by_port(idx_skip)
        check(sorted(idx) == [40001, 40002, 40003], "index ports %s" % sorted(idx))
        for e in idx_skip:
            check(e.get("proto") == "tcp" and "vlan" in e, "index key lacks proto/vlan: %s" % e)
            for side in ("orig", "resp"):
                s = e.get(side, {})
                for k in ("file", "bytes", "gap_bytes", "gaps", "gaps_truncated", "untracked"):
                    check(k in s, "index %s.%s lacks %s" % (e["orig_p"], side, k))
                check(s.get("untracked") is False, "%s.%s untracked" % (e["orig_p"], side))
        a, b, c = idx.get(40001, {}), idx.get(40002, {}), idx.get(40003, {})
        check(a.get("vlan") == 0 and b.get("vlan") == 42, "vlan: A %s, B %s"
              % (a.get("vlan"), b.get("vlan")))
        ao = a.get("orig", {})
        check(ao.get("gap_bytes") == 100 * SEG and ao.get("bytes") == len(sent_a),
              "A orig bytes/gaps: %s" % {k: ao.get(k) for k in ("bytes", "gap_bytes")})
        check(ao.get("gaps") == [[(2 * k + 1) * SEG, SEG] for k in range(64)]
              and ao.get("gaps_truncated") is True,
              "A orig gaps: %s... truncated %s" % (ao.get("gaps", [])[:3], ao.get("gaps_truncated")))
        check(b.get("orig", {}).get("gaps") == [[SEG, SEG]]
              and b["orig"].get("gaps_truncated") is False, "B orig gaps: %s" % b.get("orig"))
        check(c.get("orig", {}).get("gaps") == [] and c["orig"]["gap_bytes"] == 0,
              "C orig: %s" % c.get("orig"))
        for port, sent in ((40001, sent_a), (40002, sent_b), (40003, sent_c)):
            e = idx.get(port)
            if e and e["orig"]["file"]:
                check(read(skip_dir, e["orig"]["file"]) == sent,
                      "%d: skip file is not the bytes sent" % port)
        check(read(skip_dir, a["resp"]["file"]) == b"hello from A", "A resp file")

        # Fill byte 65 and zero: files hold the gaps; without them they are the skip file.
        for fill, byte in (("65", b"A"), ("zero", b"\0")):
            d = os.path.join(tmp, fill)
            index, _, _ = run(flowscope, pcap, d, ["--dump-gap-fill", fill])
            for e in index:
                ref = by_port(idx_skip)[e["orig_p"]]
                for side in ("orig", "resp"):
                    s, r = e[side], ref[side]
                    check({k: s[k] for k in ("bytes", "gap_bytes", "gaps", "gaps_truncated")}
                          == {k: r[k] for k in ("bytes", "gap_bytes", "gaps", "gaps_truncated")},
                          "fill %s: %d.%s index differs from skip" % (fill, e["orig_p"], side))
                    if not s["file"] or s["gaps_truncated"]:
                        continue
                    body = read(d, s["file"])
                    check(len(body) == s["bytes"] + s["gap_bytes"] ==
                          s["bytes"] + sum(g[1] for g in s["gaps"]),
                          "fill %s: %d.%s size %d" % (fill, e["orig_p"], side, len(body)))
                    cut, pos = b"", 0
                    for off, ln in s["gaps"]:
                        check(body[off:off + ln] == byte * ln,
                              "fill %s: %d.%s gap at %d not filled" % (fill, e["orig_p"], side, off))
                        cut += body[pos:off]
                        pos = off + ln
                    cut += body[pos:]
                    check(cut == read(skip_dir, r["file"]),
                          "fill %s: %d.%s without its gaps differs from skip"
                          % (fill, e["orig_p"], side))
            # A's client side: all 100 holes, also past the 64 listed
            body = read(d, by_port(index)[40001]["orig"]["file"])
            want = b"".join(data(1, k) if k % 2 == 0 else byte * SEG for k in range(201))
            check(body == want, "fill %s: A orig file is not data with filled holes" % fill)

        # Two workers: the same streams.
        d2 = os.path.join(tmp, "two")
        index2, _, _ = run(flowscope, pcap, d2, ["--dump-gap-fill", "65", "--rx-lcores", "2",
                                                 "--dispatch", "on"])
        one = os.path.join(tmp, "65")
        i1 = by_port(run(flowscope, pcap, one, ["--dump-gap-fill", "65"])[0])
        for e in index2:
            r = i1.get(e["orig_p"])
            strip = lambda x: {k: v for k, v in x.items() if k != "flow_id"}
            if r is None or json.dumps(strip({**e, "orig": {**e["orig"], "file": 0},
                                              "resp": {**e["resp"], "file": 0}}), sort_keys=True) \
                    != json.dumps(strip({**r, "orig": {**r["orig"], "file": 0},
                                         "resp": {**r["resp"], "file": 0}}), sort_keys=True):
                errs.append("2 workers: index of %d differs" % e["orig_p"])
                continue
            for side in ("orig", "resp"):
                check(read(d2, e[side]["file"]) == read(one, r[side]["file"]),
                      "2 workers: %d.%s file differs" % (e["orig_p"], side))
        check(len(index2) == 3, "2 workers: %d index lines" % len(index2))

        # One stream state: the other sides with payload are untracked.
        d1 = os.path.join(tmp, "one")
        index, st, _ = run(flowscope, pcap, d1, ["--set", "reassembly.max_streams=1"])
        untracked = [(e["orig_p"], s) for e in index for s in ("orig", "resp") if e[s]["untracked"]]
        exhausted = st.get("reassembly", {}).get("streams_exhausted")
        check(len(untracked) > 0 and len(untracked) == exhausted,
              "max_streams=1: %d untracked sides, streams_exhausted %s" % (len(untracked), exhausted))
        for port, side in untracked:
            s = by_port(index)[port][side]
            check(s["file"] is None and s["bytes"] == 0, "untracked %d.%s: %s" % (port, side, s))
    except (RuntimeError, OSError, ValueError, KeyError, IndexError) as e:
        errs.append("%s: %s" % (type(e).__name__, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for e in errs:
        print("FAIL " + e)
    if not errs:
        print("ok: stream index (gaps, truncation, vlan, untracked), fills, old files, 2 workers")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
