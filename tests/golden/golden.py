#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden tests: run `flowscope --pcap` over the shared corpus and compare.

    golden.py decode FLOWSCOPE SHARED   every pcap runs clean, counters add up
    golden.py conv   FLOWSCOPE SHARED   per-direction counts == tshark's
    golden.py zeek   FLOWSCOPE SHARED   history / conn_state == Zeek's
    golden.py cli    FLOWSCOPE SHARED   usage errors exit 2 with one line

SHARED is the corpus directory (pcaps/, groundtruth/). Exclusions and known
differences live next to this file (conv-exclusions.tsv, zeek-expect.tsv),
one line each with the reason, so every difference is reviewed.
"""
import concurrent.futures
import csv
import ipaddress
import json
import os
import subprocess
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def read_tsv(path):
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f, delimiter="\t")]
    rows = [r for r in rows if r and not r[0].startswith("#")]
    if not rows:
        return []
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def read_expect(name):
    """Rows of a reviewed expectation file (comments start with #)."""
    path = os.path.join(HERE, name)
    return read_tsv(path) if os.path.exists(path) else []


def manifest(shared):
    return read_tsv(os.path.join(shared, "pcaps", "MANIFEST.tsv"))


def run_flowscope(flowscope, pcap, extra=()):
    """Run flowscope on one pcap; return (returncode, events, stderr)."""
    cmd = [flowscope, "--pcap", pcap] + list(extra)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    events = []
    bad = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            bad.append(line)
    if bad:
        return (p.returncode or 99, events,
                p.stderr.decode() + "\nnot JSON: %r" % bad[:3])
    return p.returncode, events, p.stderr.decode("utf-8", "replace")


def run_all(flowscope, shared, extra=()):
    """Run every manifest pcap (2 at a time); dict name -> (rc, events, err)."""
    names = [m["file"] for m in manifest(shared)]
    out = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        futs = {ex.submit(run_flowscope, flowscope,
                          os.path.join(shared, "pcaps", n), extra): n
                for n in names}
        for fut in concurrent.futures.as_completed(futs):
            out[futs[fut]] = fut.result()
    return out


def final_stats(events):
    st = [e for e in events if e.get("type") == "stats" and e.get("final")]
    return st[-1] if st else None


class Report:
    def __init__(self, name):
        self.name = name
        self.ok = 0
        self.fail = 0

    def check(self, cond, what):
        if cond:
            self.ok += 1
        else:
            self.fail += 1
            print("FAIL %s: %s" % (self.name, what))

    def done(self):
        print("%s: %d passed, %d failed" % (self.name, self.ok, self.fail))
        return 0 if self.fail == 0 else 1


def cmd_decode(flowscope, shared):
    """Every pcap: exit 0, no crash, frames == manifest, counters add up."""
    rep = Report("golden-decode")
    man = {m["file"]: m for m in manifest(shared)}
    results = run_all(flowscope, shared)
    for name in sorted(results):
        rc, events, err = results[name]
        rep.check(rc == 0, "%s: exit %d: %s" % (name, rc, err.strip()[-300:]))
        st = final_stats(events)
        rep.check(st is not None, "%s: no final stats" % name)
        if st is None:
            continue
        d = st["decode"]
        want = int(man[name]["packets"])
        rep.check(st["rx"]["frames"] == want,
                  "%s: rx.frames %d != %d packets in the file"
                  % (name, st["rx"]["frames"], want))
        rep.check(d["frames"] == st["rx"]["frames"],
                  "%s: decode.frames %d != rx.frames %d"
                  % (name, d["frames"], st["rx"]["frames"]))
        rep.check(d["decoded"] + d["undecodable"] == d["frames"],
                  "%s: decoded %d + undecodable %d != frames %d"
                  % (name, d["decoded"], d["undecodable"], d["frames"]))
        rep.check(sum(d["reasons"].values()) == d["undecodable"],
                  "%s: reasons %r do not sum to undecodable %d"
                  % (name, d["reasons"], d["undecodable"]))
        f = st["flows"]
        rep.check(f["created"] == f["ended"] + f["active"],
                  "%s: flows created %d != ended %d + active %d"
                  % (name, f["created"], f["ended"], f["active"]))
        rep.check(f["active"] == 0, "%s: %d flows still active at exit"
                  % (name, f["active"]))
        ev = st["events"]
        rep.check(ev["produced"] == ev["exported"] + ev["dropped"],
                  "%s: events produced %d != exported %d + dropped %d"
                  % (name, ev["produced"], ev["exported"], ev["dropped"]))
        n_ev = len([e for e in events if e.get("type") != "stats"])
        rep.check(n_ev == ev["exported"],
                  "%s: %d event lines but stats says %d exported"
                  % (name, n_ev, ev["exported"]))
        starts = len([e for e in events if e["type"] == "flow_start"])
        ends = len([e for e in events if e["type"] == "flow_end"])
        rep.check(starts == ends == f["created"],
                  "%s: flow_start %d / flow_end %d / created %d"
                  % (name, starts, ends, f["created"]))
    return rep.done()


def norm_addr(a):
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a


def tuple_key(proto, h1, p1, h2, p2):
    """Unordered endpoint pair + proto."""
    e1 = (norm_addr(h1), int(p1))
    e2 = (norm_addr(h2), int(p2))
    return (proto,) + (tuple(sorted([e1, e2])))


def flow_ends(events):
    return [e for e in events if e.get("type") == "flow_end"]


def our_conv(events):
    """Aggregate flow_end per unordered 5-tuple and per sending endpoint."""
    agg = {}
    for e in flow_ends(events):
        if e["proto"] not in ("tcp", "udp"):
            continue
        k = tuple_key(e["proto"], e["orig_h"], e["orig_p"], e["resp_h"],
                      e["resp_p"])
        d = agg.setdefault(k, {})
        for side, h, p in (("orig", e["orig_h"], e["orig_p"]),
                           ("resp", e["resp_h"], e["resp_p"])):
            ep = (norm_addr(h), int(p))
            v = d.setdefault(ep, [0, 0, 0, 0])
            v[0] += e[side + "_pkts"]
            v[1] += e[side + "_bytes"]
            v[2] += e[side + "_ip_bytes"]
            v[3] += e[side + "_payload_bytes"]
    return agg


def tshark_conv(shared):
    rows = read_tsv(os.path.join(shared, "groundtruth", "tshark-conv-exact.tsv"))
    per = {}
    for r in rows:
        k = tuple_key(r["proto"], r["a_addr"], r["a_port"], r["b_addr"],
                      r["b_port"])
        d = per.setdefault(r["pcap"], {}).setdefault(k, {})
        for src, pre in (((norm_addr(r["a_addr"]), int(r["a_port"])), "a_to_b"),
                         ((norm_addr(r["b_addr"]), int(r["b_port"])), "b_to_a")):
            v = d.setdefault(src, [0, 0, 0, 0])
            v[0] += int(r[pre + "_frames"])
            v[1] += int(r[pre + "_frame_bytes"])
            v[2] += int(r[pre + "_ip_bytes"])
            v[3] += int(r[pre + "_l4_payload_bytes"])
    return per


def excluded(excl, pcap, key):
    for x in excl:
        if x["pcap"] != pcap:
            continue
        if x["conversation"] == "*":
            return x["reason"]
        if x["conversation"] == "%s %s:%d %s:%d" % (key[0], key[1][0], key[1][1],
                                                     key[2][0], key[2][1]):
            return x["reason"]
    return None


def cmd_conv(flowscope, shared):
    """Per-direction packets, frame, IP and payload bytes equal tshark's."""
    rep = Report("golden-conv")
    excl = read_expect("conv-exclusions.tsv")
    used = set()
    truth = tshark_conv(shared)
    results = run_all(flowscope, shared)
    n_cmp = n_excl = 0
    for pcap in sorted(truth):
        rc, events, err = results[pcap]
        ours = our_conv(events)
        for key, sides in sorted(truth[pcap].items()):
            why = excluded(excl, pcap, key)
            if why is not None:
                n_excl += 1
                used.add(pcap)
                continue
            n_cmp += 1
            mine = ours.get(key)
            if mine is None:
                rep.check(False, "%s %s: no flow" % (pcap, key))
                continue
            for ep, want in sides.items():
                got = mine.get(ep, [0, 0, 0, 0])
                rep.check(got == want,
                          "%s %s from %s: ours pkts/bytes/ip/payload %s, "
                          "tshark %s" % (pcap, key, ep, got, want))
    for x in excl:
        rep.check(x["pcap"] in used or x["pcap"] not in truth,
                  "stale exclusion %s %s" % (x["pcap"], x["conversation"]))
    print("golden-conv: %d conversations compared, %d excluded (%s)"
          % (n_cmp, n_excl, "conv-exclusions.tsv"))
    return rep.done()


def zeek_rows(shared):
    """pcap -> list of conn rows from every Zeek conn log of the corpus."""
    out = {}
    gt = os.path.join(shared, "groundtruth")
    for f in sorted(os.listdir(gt)):
        if not (f.endswith(".zeek.conn.tsv") or f.endswith(".zeek.conn-size.tsv")):
            continue
        pcap = f.split(".zeek.")[0] + ".pcap"
        rows = read_tsv(os.path.join(gt, f))
        out.setdefault(pcap, []).extend(
            r for r in rows if "history" in r and "id.orig_h" in r)
    return out


def cmd_zeek(flowscope, shared):
    """history and conn_state equal Zeek's for >= 95% of connections, and
    every difference is listed in zeek-expect.tsv with its reason."""
    rep = Report("golden-zeek")
    expect = {}
    for x in read_expect("zeek-expect.tsv"):
        expect[(x["pcap"], x["conn"])] = x
    seen_expect = set()
    results = run_all(flowscope, shared)
    total = same = 0
    for pcap, rows in sorted(zeek_rows(shared).items()):
        rc, events, err = results[pcap]
        mine = {}
        for e in flow_ends(events):
            # Zeek's conn.log calls ICMPv6 "icmp".
            proto = "icmp" if e["proto"] == "icmpv6" else e["proto"]
            k = tuple_key(proto, e["orig_h"], e["orig_p"], e["resp_h"],
                          e["resp_p"])
            mine.setdefault(k, []).append(e)
        for r in rows:
            proto = r.get("proto", "tcp")
            k = tuple_key(proto, r["id.orig_h"], r["id.orig_p"], r["id.resp_h"],
                          r["id.resp_p"])
            conn = "%s %s:%s %s:%s" % (proto, r["id.orig_h"], r["id.orig_p"],
                                       r["id.resp_h"], r["id.resp_p"])
            cands = mine.get(k, [])
            want = (r["history"], r.get("conn_state", "-"))
            got = None
            # Several rows can share a 5-tuple (reuse after close): take the
            # first of ours that matches, else the first unused one.
            for c in cands:
                h = c["history"] or "-"
                if (h, c["conn_state"]) == want or want[1] == "-" and h == want[0]:
                    got = c
                    break
            if got is None and cands:
                got = cands[0]
            if got is not None:
                cands.remove(got)
            total += 1
            have = ((got["history"] or "-"), got["conn_state"]) if got else ("(none)", "(none)")
            ok = have[0] == want[0] and (want[1] == "-" or have[1] == want[1])
            if ok:
                same += 1
                continue
            x = expect.get((pcap, conn))
            seen_expect.add((pcap, conn))
            rep.check(x is not None and x["ours"] == "%s %s" % have,
                      "%s %s: ours %s %s, zeek %s %s%s"
                      % (pcap, conn, have[0], have[1], want[0], want[1],
                         "" if x is None else " (expected ours: %s)" % x["ours"]))
    for k in expect:
        rep.check(k in seen_expect, "stale expectation %s %s (now equal to Zeek)" % k)
    pct = 100.0 * same / total if total else 100.0
    print("golden-zeek: %d of %d Zeek connections equal (%.1f%%)" % (same, total, pct))
    rep.check(pct >= 95.0, "only %.1f%% equal to Zeek (target 95%%)" % pct)
    zeek_extra_baselines(rep, results, shared)
    return rep.done()


def zeek_extra_baselines(rep, results, shared):
    """The Zeek baselines that are not conn.log files: history and state
    of single-connection traces, the history after the retransmission
    events, Community ID, and endpoint packet/byte counts."""
    gt = os.path.join(shared, "groundtruth")
    n = 0
    for name in sorted(os.listdir(gt)):
        path = os.path.join(gt, name)
        pcap = name.split(".zeek.")[0] + ".pcap"
        if ".zeek." not in name or pcap not in results:
            continue
        ends = [e for e in flow_ends(results[pcap][1]) if e.get("proto") == "tcp"]
        if name.endswith(".history-state.txt"):
            want = open(path).read().strip().split(", ")
            got = [(e["history"] or "-", e["conn_state"]) for e in ends]
            rep.check(got == [tuple(want)],
                      "%s: history/conn_state %s, zeek %s" % (pcap, got, want))
            n += 1
        elif name.endswith(".retransmit-events.txt"):
            last = [l for l in open(path).read().splitlines() if l.startswith("REMOVE:")]
            want = last[-1].rsplit(", ", 1)[1]
            got = [e["history"] for e in ends]
            rep.check(got == [want], "%s: history %s, zeek %s" % (pcap, got, want))
            n += 1
        elif name.endswith(".community-id.tsv"):
            for r in read_tsv(path):
                k = tuple_key(r["proto"], r["id.orig_h"], r["id.orig_p"],
                              r["id.resp_h"], r["id.resp_p"])
                got = [e.get("community_id") for e in flow_ends(results[pcap][1])
                       if tuple_key(e["proto"], e["orig_h"], e["orig_p"],
                                    e["resp_h"], e["resp_p"]) == k]
                rep.check(got == [r["community_id"]],
                          "%s: community_id %s, zeek %s" % (pcap, got, r["community_id"]))
                n += 1
        elif name.endswith(".endpoints.txt"):
            # Zeek's endpoint records, originator then responder:
            # [size=.., state=.., num_pkts=.., num_bytes_ip=.., ...]
            eps = []
            for line in open(path).read().splitlines():
                f = dict(kv.split("=", 1) for kv in line.strip("[]").split(", ")
                         if "=" in kv)
                eps.append((int(f["num_pkts"]), int(f["num_bytes_ip"])))
            got = [[(e["orig_pkts"], e["orig_ip_bytes"]),
                    (e["resp_pkts"], e["resp_ip_bytes"])] for e in ends]
            rep.check(got == [eps], "%s: endpoint packets/IP bytes %s, zeek %s"
                      % (pcap, got, eps))
            n += 1
    print("golden-zeek: %d other Zeek baselines compared "
          "(history-state, retransmits, community-id, endpoints)" % n)
    rep.check(n >= 8, "only %d other Zeek baselines found" % n)


def cmd_cli(flowscope, shared):
    """Usage errors: one line on stderr, exit 2; a truncated capture keeps
    every whole frame; --help documents every option."""
    import tempfile
    rep = Report("golden-cli")
    tmp = tempfile.mkdtemp(prefix="fc-cli-")
    sample = os.path.join(shared, "pcaps", "zeek-http-get.pcap")
    with open(sample, "rb") as f:
        data = f.read()
    trunc = os.path.join(tmp, "trunc.pcap")
    with open(trunc, "wb") as f:
        f.write(data[:len(data) - 100])   # cut inside the last record
    notpcap = os.path.join(tmp, "text.pcap")
    with open(notpcap, "w") as f:
        f.write("hello, this is not a capture\n")
    short = os.path.join(tmp, "short.pcap")
    with open(short, "wb") as f:
        f.write(data[:10])
    unreadable = os.path.join(tmp, "dir.pcap")
    os.mkdir(unreadable)
    cases = [
        (["--bogus"], "unknown option"),
        (["--pcap"], "needs an argument"),
        (["--pcap", os.path.join(tmp, "missing.pcap")], "No such file"),
        (["--pcap", notpcap], "not a pcap"),
        (["--pcap", short], "truncated pcap header"),
        (["--pcap", unreadable], "Is a directory"),
        (["--pcap", sample, "--key", "7tuple"], "unknown mode"),
        (["--pcap", sample, "--max-flows", "-5"], "not a number"),
        (["--pcap", sample, "--decap", "gre=sideways"], "bad policy"),
        (["--pcap", sample, "--port-timeout", "tcp/80"], "P/PORT=SECONDS"),
        (["--pcap", sample, "--output", "csv:-"], "unsupported sink"),
        ([], "no input"),
    ]
    for args, want in cases:
        p = subprocess.run([flowscope] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        rep.check(p.returncode == 2, "%s: exit %d, want 2" % (args, p.returncode))
        rep.check(len(err) == 1 and want in err[0],
                  "%s: stderr %r, want one line with %r" % (args, err, want))
        rep.check(p.stdout == b"", "%s: wrote to stdout" % (args,))
    rc, events, err = run_flowscope(flowscope, trunc)
    st = final_stats(events)
    whole, off, cut = 0, 24, len(data) - 100
    while off + 16 <= cut:                 # classic little-endian pcap
        caplen = int.from_bytes(data[off + 8:off + 12], "little")
        if off + 16 + caplen > cut:
            break
        whole += 1
        off += 16 + caplen
    rep.check(rc == 0 and st is not None, "truncated pcap: exit %d %s" % (rc, err))
    if st is not None:
        rep.check(st["rx"]["frames"] == whole,
                  "truncated pcap: %d frames, want the %d whole ones"
                  % (st["rx"]["frames"], whole))
    p = subprocess.run([flowscope, "--help"], stdout=subprocess.PIPE,
                       timeout=60)
    text = p.stdout.decode()
    rep.check(p.returncode == 0, "--help exit %d" % p.returncode)
    for opt in ("--pcap", "--output", "--events", "--key", "--decap",
                "--max-flows", "--timeout-tcp", "--port-timeout", "--memory",
                "--stats-interval", "--version"):
        rep.check(opt in text, "--help does not document %s" % opt)
    return rep.done()


def l7_sessions(events):
    """flow_id -> (proto, orig endpoint, resp endpoint); and session events by flow."""
    ident = {}
    for e in events:
        if e.get("type") in ("flow_start", "flow_end"):
            ident[e["flow_id"]] = ((norm_addr(e["orig_h"]), e["orig_p"]),
                                   (norm_addr(e["resp_h"]), e["resp_p"]))
    by_flow = {}
    for e in events:
        if e.get("type") == "session":
            by_flow.setdefault(e["flow_id"], []).append(e)
    return ident, by_flow


def tls_by_connection(events, ident, by_flow):
    """(orig endpoint, resp endpoint) -> one dict per flow that has TLS
    session events, in the order the flows started (flow_start time, then
    flow id): server_name from its first client_hello, version and cipher
    from its first server_hello. A tuple reused by a later connection
    gets one entry per flow, never a merge of them."""
    start = {}
    for e in events:
        if e.get("type") == "flow_start":
            start[e["flow_id"]] = e.get("ts", 0)
    out = {}
    for fid in sorted(by_flow, key=lambda f: (start.get(f, 0), f)):
        if fid not in ident:
            continue
        t = {}
        for e in by_flow[fid]:
            if e["proto"] != "tls":
                continue
            if e["kind"] == "client_hello":
                t.setdefault("server_name", e.get("server_name", "-"))
            elif e["kind"] == "server_hello":
                t.setdefault("version", e.get("version", "-"))
                t.setdefault("cipher", e.get("cipher", "-"))
        if any(e["proto"] == "tls" for e in by_flow[fid]):
            out.setdefault(ident[fid], []).append(t)
    return out


def tls_by_connection_selfcheck(rep):
    """tls_by_connection() on two connections that reuse one 5-tuple (and
    a third flow without TLS on it): two entries, in start order."""
    a, b = ("10.0.0.1", 40000), ("10.0.0.2", 443)
    ev = [{"type": "flow_start", "flow_id": 7, "ts": 2.0},
          {"type": "flow_start", "flow_id": 3, "ts": 1.0},
          {"type": "flow_start", "flow_id": 9, "ts": 1.5},
          {"type": "session", "flow_id": 7, "proto": "tls", "kind": "client_hello",
           "server_name": "second.example"},
          {"type": "session", "flow_id": 3, "proto": "tls", "kind": "client_hello",
           "server_name": "first.example"},
          {"type": "session", "flow_id": 3, "proto": "tls", "kind": "server_hello",
           "version": "TLSv12", "cipher": "C1"},
          {"type": "session", "flow_id": 7, "proto": "tls", "kind": "server_hello",
           "version": "TLSv13", "cipher": "C2"}]
    ident = {3: (a, b), 7: (a, b), 9: (a, b)}
    by_flow = {}
    for e in ev:
        if e["type"] == "session":
            by_flow.setdefault(e["flow_id"], []).append(e)
    by_flow[9] = [{"type": "session", "flow_id": 9, "proto": "http", "kind": "request"}]
    got = tls_by_connection(ev, ident, by_flow)
    want = {(a, b): [{"server_name": "first.example", "version": "TLSv12", "cipher": "C1"},
                     {"server_name": "second.example", "version": "TLSv13", "cipher": "C2"}]}
    rep.check(got == want, "tls_by_connection self-check: got %s, want %s" % (got, want))


def zeek_log_rows(shared, log):
    out = {}
    gt = os.path.join(shared, "groundtruth")
    for name in sorted(os.listdir(gt)):
        if name.endswith(".zeek.%s.tsv" % log):
            out[name.split(".zeek.")[0] + ".pcap"] = read_tsv(os.path.join(gt, name))
    return out


def ndpi_tls(shared):
    """pcap -> list of (endpoint pair, {JA3C, JA3S, JA4}) from nDPI's flow lines."""
    out = {}
    gt = os.path.join(shared, "groundtruth")
    flow_re = re.compile(r"\s\d+\s+TCP\s+(\S+)\s+<?->\s+(\S+)\s")
    for name in sorted(os.listdir(gt)):
        if not name.endswith(".ndpi.out"):
            continue
        rows = []
        with open(os.path.join(gt, name)) as f:
            for line in f:
                m = flow_re.match(line)
                if not m or "[JA3C:" not in line and "[JA4:" not in line and "[JA3S:" not in line:
                    continue
                fp = {}
                for k in ("JA3C", "JA3S", "JA4"):
                    mm = re.search(r"\[%s: ([0-9a-z_]+)" % k, line)
                    if mm:
                        fp[k] = mm.group(1)
                eps = []
                for ep in (m.group(1), m.group(2)):
                    h, p = ep.rsplit(":", 1)
                    eps.append((norm_addr(h.strip("[]")), int(p)))
                rows.append((frozenset(eps), fp))
        out[name.split(".ndpi.out")[0] + ".pcap"] = rows
    return out


def ja4_ndpi_to_foxio(ndpi, ours, ch):
    """nDPI's JA4 spelled the FoxIO way where it differs from the spec only
    by nDPI's two known quirks, each undone only when this flow's own
    ClientHello shows the quirk applies:
      - nDPI writes 'i' as the SNI character when the SNI is an IP literal;
        the spec writes 'd' whenever the server_name extension is present;
      - nDPI takes the first two characters of the first ALPN value
        ("ht" for http/1.1, "sp" for spdy/3.1); the spec takes its first
        and last ("h1", "s1").
    Everything else (the other characters and both hashes) stays as nDPI
    wrote it and is compared exactly."""
    if not ndpi or not ours or len(ndpi) < 10 or len(ours) < 10 or ch is None:
        return ndpi
    n = list(ndpi)
    sni = ch.get("server_name")
    if n[3] == "i" and ours[3] == "d" and sni is not None:
        try:
            ipaddress.ip_address(sni)
            n[3] = "d"
        except ValueError:
            pass
    alpn = ch.get("alpn") or []
    if isinstance(alpn, str):
        alpn = [alpn]
    if alpn and len(alpn[0]) >= 2:
        a = alpn[0]
        if ndpi[8:10] == a[:2] and ours[8:10] == a[0] + a[-1]:
            n[8:10] = list(a[0] + a[-1])
    return "".join(n)


def zeek_rtt_us(v):
    """Zeek's rtt column (seconds, 6 decimals) in microseconds; None for '-'."""
    if v in ("-", ""):
        return None
    return int(round(float(v) * 1e6))


# Microseconds our rtt_us may differ from Zeek's rtt (both round the same
# packet times to a microsecond, differently).
RTT_TOLERANCE_US = 1


# ---- crafted captures for cmd_l7: a poisoned parser end to end ----

def pcap_bytes(frames):
    """A classic pcap (Ethernet) of (ts_seconds, frame bytes) records."""
    import struct
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    for ts, fr in frames:
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        out.append(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
        out.append(fr)
    return b"".join(out)


def ip_csum(b):
    import struct
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth_ipv4(src, dst, proto, l4):
    """Ethernet + IPv4 (no options, checksum set) around an L4 header+payload."""
    import struct
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0,
                      ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed)
    hdr = hdr[:10] + struct.pack("!H", ip_csum(hdr)) + hdr[12:]
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + hdr + l4


def udp_frame(src, sport, dst, dport, payload):
    import struct
    return eth_ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)


def tcp_frame(src, sport, dst, dport, seq, ack, flags, payload=b""):
    """flags: a string of S, A, P, F, R. The TCP checksum is left 0 (not verified)."""
    import struct
    bits = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c] for c in flags)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                      5 << 4, bits, 65535, 0, 0)
    return eth_ipv4(src, dst, 6, tcp + payload)


def dns_msg(tid, flags, qname, ancount=0, tail=b""):
    import struct
    q = b"".join(bytes([len(l)]) + l.encode() for l in qname.split(".")) + b"\0"
    return struct.pack("!HHHHHH", tid, flags, 1, ancount, 0, 0) + q + b"\0\x01\0\x01" + tail


def crafted_poison_pcap():
    """Two flows whose parser fails on malformed traffic it had accepted:
    - DNS over UDP: queries 1 and 2, then a response to 1 whose answer
      record is cut short, then query 3 on the same 5-tuple;
    - HTTP over TCP: a handshake, a good request and its response, then a
      second request whose request line is not HTTP, then more data.
    Returns (pcap bytes, facts the checks use)."""
    c, d = "10.9.0.1", "10.9.0.53"
    frames = [
        (100.0, udp_frame(c, 40000, d, 53, dns_msg(1, 0x0100, "a.example"))),
        (100.1, udp_frame(c, 40000, d, 53, dns_msg(2, 0x0100, "b.example"))),
        # answer: name pointer to the question, then only 2 of its 10 fixed bytes
        (100.2, udp_frame(d, 53, c, 40000, dns_msg(1, 0x8180, "a.example", 1, b"\xc0\x0c\x00\x01"))),
        (100.3, udp_frame(c, 40000, d, 53, dns_msg(3, 0x0100, "c.example"))),
    ]
    h, w = "10.9.0.2", "10.9.0.80"
    req = b"GET /x HTTP/1.1\r\nHost: w.example\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    bad = b"\x00\x01garbage that is no request line\r\n\r\n"
    cs, ss = 1000, 5000
    frames += [
        (200.0, tcp_frame(h, 41000, w, 80, cs, 0, "S")),
        (200.01, tcp_frame(w, 80, h, 41000, ss, cs + 1, "SA")),
        (200.02, tcp_frame(h, 41000, w, 80, cs + 1, ss + 1, "A")),
        (200.03, tcp_frame(h, 41000, w, 80, cs + 1, ss + 1, "PA", req)),
        (200.04, tcp_frame(w, 80, h, 41000, ss + 1, cs + 1 + len(req), "PA", resp)),
        (200.05, tcp_frame(h, 41000, w, 80, cs + 1 + len(req), ss + 1 + len(resp), "PA", bad)),
        (200.06, tcp_frame(h, 41000, w, 80, cs + 1 + len(req) + len(bad), ss + 1 + len(resp),
                           "PA", req)),
    ]
    return pcap_bytes(frames), {"dns": ((c, 40000), (d, 53)), "http": ((h, 41000), (w, 80))}


def l7_poison_checks(flowscope, verdict):
    """End to end: a parser that fails on traffic it accepted ends the flow
    with reason parse_error and a parse_error anomaly carrying the reason;
    a DNS session reports its pending queries unanswered (with query_ts)
    when it is poisoned; later packets of the flow create no new flow and
    no session messages."""
    import tempfile
    data, flows = crafted_poison_pcap()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "poison.pcap")
        with open(path, "wb") as f:
            f.write(data)
        rc, events, err = run_flowscope(flowscope, path, ["--events", "+anomaly"])
    what = "crafted poison.pcap"
    verdict(what, "crafted", "flowscope exit", rc == 0, "exit %d: %s" % (rc, err[-300:]))
    starts = {}
    for e in events:
        if e.get("type") == "flow_start":
            k = frozenset([(e["orig_h"], e["orig_p"]), (e["resp_h"], e["resp_p"])])
            starts.setdefault(k, []).append(e["flow_id"])
    for name, (a, b) in sorted(flows.items()):
        ids = starts.get(frozenset([a, b]), [])
        verdict(what, "crafted", "%s one flow" % name, len(ids) == 1,
                "flow_start ids %s for %s" % (ids, (a, b)))
        if len(ids) != 1:
            continue
        fid = ids[0]
        mine = [e for e in events if e.get("flow_id") == fid]
        ends = [e for e in mine if e["type"] == "flow_end"]
        an = [e for e in mine if e["type"] == "anomaly" and e.get("kind") == "parse_error"]
        sess = [e for e in mine if e["type"] == "session"]
        verdict(what, "crafted", "%s flow_end parse_error" % name,
                len(ends) == 1 and ends[0].get("reason") == "parse_error",
                "flow_end %s" % [(e.get("reason"), e.get("app_proto")) for e in ends])
        want_reason = {"dns": "dns: truncated record", "http": "http: bad start line"}[name]
        verdict(what, "crafted", "%s parse_error anomaly" % name,
                len(an) == 1 and an[0].get("reason") == want_reason,
                "anomalies %s, want reason %r" % ([e.get("reason") for e in an], want_reason))
        if ends and an:
            verdict(what, "crafted", "%s anomaly before flow_end" % name,
                    mine.index(an[0]) < mine.index(ends[0]), "order %s" % [e["type"] for e in mine])
        kinds = [(e.get("kind"), e.get("trans_id")) for e in sess]
        if name == "dns":
            want = [("query", 1), ("query", 2), ("unanswered", 1), ("unanswered", 2)]
            un = {e["trans_id"]: e for e in sess if e.get("kind") == "unanswered"}
            ok = kinds == want and un[1].get("query") == "a.example" and \
                abs(un[1].get("query_ts", 0) - 100.0) < 1e-6 and \
                abs(un[2].get("query_ts", 0) - 100.1) < 1e-6
            verdict(what, "crafted", "dns pending queries unanswered at the poisoning", ok,
                    "session messages %s" % [(e.get("kind"), e.get("trans_id"), e.get("query"),
                                              e.get("query_ts")) for e in sess])
        else:
            want = [("request", None), ("response", None)]
            verdict(what, "crafted", "http messages before the poisoning only", kinds == want,
                    "session messages %s" % kinds)


def cmd_l7(flowscope, shared):
    """HTTP method/host/uri/status and TLS SNI/version/cipher equal Zeek's
    http.log/ssl.log; every Zeek dns.log row has our response (or, when
    Zeek saw none, unanswered) event with the same query, qtype, rcode and
    answers, and the same rtt when Zeek gives one; JA3/JA3S/JA4 equal
    nDPI's (JA4 after undoing nDPI's two documented quirks). Every
    difference is listed in l7-expect.tsv with its reason. Then a crafted
    capture checks parse errors end to end (l7_poison_checks). Prints per
    category how many values were compared, matched and excepted."""
    rep = Report("golden-l7")
    expect = {}
    for x in read_expect("l7-expect.tsv"):
        expect[(x["pcap"], x["what"])] = x["reason"]
    seen_expect = set()
    counts = {}
    results = run_all(flowscope, shared)

    def verdict(pcap, cat, what, ok, detail):
        c = counts.setdefault(cat, {"compared": 0, "matched": 0, "excepted": 0})
        c["compared"] += 1
        key = (pcap, what)
        if key in expect:
            seen_expect.add(key)
            c["excepted"] += 1
            rep.check(not ok, "%s %s matches now; drop it from l7-expect.tsv" % (pcap, what))
            return
        c["matched"] += bool(ok)
        rep.check(ok, "%s %s: %s" % (pcap, what, detail))

    # HTTP: one row per transaction (trans_depth) of a connection.
    for pcap, rows in zeek_log_rows(shared, "http").items():
        rc, events, err = results[pcap]
        ident, by_flow = l7_sessions(events)
        mine = {}
        for fid, evs in by_flow.items():
            for e in evs:
                if e["proto"] != "http" or fid not in ident:
                    continue
                k = ident[fid] + (e.get("trans_depth"),)
                t = mine.setdefault(k, {})
                if e["kind"] == "request":
                    t.update(method=e.get("method", "-"), host=e.get("host", "-"),
                             uri=e.get("uri", "-"))
                elif e["kind"] == "response":
                    t.update(status_code=str(e.get("status_code", "-")))
        for r in rows:
            k = ((norm_addr(r["id.orig_h"]), int(r["id.orig_p"])),
                 (norm_addr(r["id.resp_h"]), int(r["id.resp_p"])), int(r["trans_depth"]))
            want = {"method": r["method"], "host": r["host"], "uri": r["uri"],
                    "status_code": r["status_code"]}
            got = mine.get(k, {})
            got = {f: got.get(f, "-") for f in want}
            what = "http %s:%s #%s" % (r["id.orig_h"], r["id.orig_p"], r["trans_depth"])
            verdict(pcap, "http", what, got == want, "got %s, Zeek %s" % (got, want))

    # TLS: SNI, version, cipher per connection. A 5-tuple reused by later
    # connections: the n-th Zeek row for it (ssl.log order; its timestamps
    # are masked) is compared with our n-th flow for it that has TLS.
    tls_by_connection_selfcheck(rep)
    for pcap, rows in zeek_log_rows(shared, "ssl").items():
        rc, events, err = results[pcap]
        ident, by_flow = l7_sessions(events)
        mine = tls_by_connection(events, ident, by_flow)
        nth = {}
        for r in rows:
            k = ((norm_addr(r["id.orig_h"]), int(r["id.orig_p"])),
                 (norm_addr(r["id.resp_h"]), int(r["id.resp_p"])))
            i = nth.get(k, 0)
            nth[k] = i + 1
            want = {f: r[f] for f in ("server_name", "version", "cipher")}
            flows = mine.get(k, [])
            got = flows[i] if i < len(flows) else {}
            got = {f: got.get(f, "-") for f in want}
            what = "tls %s:%s" % (r["id.orig_h"], r["id.orig_p"])
            if i > 0:
                what += " #%d" % (i + 1)
            verdict(pcap, "tls", what, got == want, "got %s, Zeek %s" % (got, want))

    # DNS: each Zeek row is a query; Zeek's rcode says whether it saw the
    # response. Ours must be the matching response (or unanswered) event.
    for pcap, rows in zeek_log_rows(shared, "dns").items():
        rc, events, err = results[pcap]
        ident, by_flow = l7_sessions(events)
        mine = []
        for fid, evs in by_flow.items():
            for e in evs:
                if e["proto"] == "dns" and e["kind"] in ("response", "unanswered"):
                    mine.append((ident.get(fid), e))
        for r in rows:
            k = ((norm_addr(r["id.orig_h"]), int(r["id.orig_p"])),
                 (norm_addr(r["id.resp_h"]), int(r["id.resp_p"])))
            tid = int(r["trans_id"])
            answered = r["rcode"] != "-"
            kind = "response" if answered else "unanswered"
            # DNS names compare case-insensitively (RFC 4343); Zeek lowercases some.
            cands = [e for (i, e) in mine if i == k and e.get("trans_id") == tid
                     and e["kind"] == kind
                     and e.get("query", "-").lower() == r["query"].lower()]
            want = {"qtype": r["qtype"], "rcode": r["rcode"],
                    "answers": sorted(a.lower() for a in r["answers"].split(","))
                    if r["answers"] != "-" else []}
            zrtt = zeek_rtt_us(r["rtt"])
            ok = False
            detail = "no %s event with id %d and query %s" % (kind, tid, r["query"])
            for e in cands:
                got = {"qtype": str(e.get("qtype", "-")),
                       "rcode": str(e.get("rcode", "-")),
                       "answers": sorted(str(a).lower() for a in e.get("answers", []))}
                good = got == want
                if zrtt is not None:
                    good = good and e.get("rtt_us") is not None and \
                        abs(e["rtt_us"] - zrtt) <= RTT_TOLERANCE_US
                if good:
                    ok = True
                    break
                detail = "got %s rtt_us %s, Zeek %s rtt_us %s" % (
                    got, e.get("rtt_us"), want, zrtt)
            what = "dns %s:%s id %s %s" % (r["id.orig_h"], r["id.orig_p"], r["trans_id"], r["query"])
            verdict(pcap, "dns", what, ok, detail)

    # JA3/JA3S/JA4 against nDPI.
    for pcap, rows in ndpi_tls(shared).items():
        if pcap not in results:
            continue
        rc, events, err = results[pcap]
        ident, by_flow = l7_sessions(events)
        mine = {}
        for fid, evs in by_flow.items():
            if fid not in ident:
                continue
            fp = mine.setdefault(frozenset(ident[fid]), {})
            for e in evs:
                if e["proto"] == "tls" and e["kind"] == "client_hello":
                    fp.setdefault("JA3C", e.get("ja3"))
                    fp.setdefault("JA4", e.get("ja4"))
                    fp.setdefault("ch", e)
                elif e["proto"] == "tls" and e["kind"] == "server_hello":
                    fp.setdefault("JA3S", e.get("ja3s"))
        for eps, want in rows:
            got = mine.get(eps, {})
            for f, v in sorted(want.items()):
                what = "%s %s" % (f.lower(), "-".join("%s:%d" % e for e in sorted(eps)))
                g = got.get(f)
                cmp_v = v
                if f == "JA4":
                    cmp_v = ja4_ndpi_to_foxio(v, g, got.get("ch"))
                note = "" if cmp_v == v else " (as FoxIO spells it: %s)" % cmp_v
                verdict(pcap, f.lower(), what, g == cmp_v,
                        "got %s, nDPI %s%s" % (g, v, note))

    l7_poison_checks(flowscope, verdict)

    for key in sorted(set(expect) - seen_expect):
        rep.check(False, "l7-expect.tsv lists %s %s, which the baselines do not have" % key)
    for cat in ("http", "tls", "dns", "ja3c", "ja3s", "ja4", "crafted"):
        c = counts.get(cat, {"compared": 0, "matched": 0, "excepted": 0})
        print("golden-l7 %-7s compared %3d, matched %3d, excepted %3d (l7-expect.tsv)"
              % (cat, c["compared"], c["matched"], c["excepted"]))
    return rep.done()


def main(argv):
    if len(argv) != 4 or argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    flowscope, shared = argv[2], argv[3]
    if not os.path.isdir(os.path.join(shared, "pcaps")):
        print("golden: shared corpus not found at %s" % shared, file=sys.stderr)
        return 2
    return COMMANDS[argv[1]](flowscope, shared)


COMMANDS = {
    "decode": cmd_decode,
    "conv": cmd_conv,
    "zeek": cmd_zeek,
    "cli": cmd_cli,
    "l7": cmd_l7,
}

if __name__ == "__main__":
    sys.exit(main(sys.argv))
