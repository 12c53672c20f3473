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


def cmd_l7(flowscope, shared):
    """HTTP method/host/uri/status and TLS SNI/version/cipher equal Zeek's
    http.log/ssl.log; DNS query/qtype/rcode/answers equal Zeek's dns.log;
    JA3/JA3S/JA4 equal nDPI's; every difference is listed in l7-expect.tsv
    with its reason."""
    rep = Report("golden-l7")
    expect = {}
    for x in read_expect("l7-expect.tsv"):
        expect[(x["pcap"], x["what"])] = x["reason"]
    seen_expect = set()
    results = run_all(flowscope, shared)

    def verdict(pcap, what, ok, detail):
        key = (pcap, what)
        if key in expect:
            seen_expect.add(key)
            rep.check(not ok, "%s %s matches now; drop it from l7-expect.tsv" % (pcap, what))
            return
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
            verdict(pcap, what, got == want, "got %s, Zeek %s" % (got, want))

    # TLS: SNI, version, cipher per connection.
    for pcap, rows in zeek_log_rows(shared, "ssl").items():
        rc, events, err = results[pcap]
        ident, by_flow = l7_sessions(events)
        mine = {}
        for fid, evs in by_flow.items():
            t = mine.setdefault(ident.get(fid), {})
            for e in evs:
                if e["proto"] != "tls":
                    continue
                if e["kind"] == "client_hello":
                    t["server_name"] = e.get("server_name", "-")
                elif e["kind"] == "server_hello":
                    t["version"] = e.get("version", "-")
                    t["cipher"] = e.get("cipher", "-")
        for r in rows:
            k = ((norm_addr(r["id.orig_h"]), int(r["id.orig_p"])),
                 (norm_addr(r["id.resp_h"]), int(r["id.resp_p"])))
            want = {f: r[f] for f in ("server_name", "version", "cipher")}
            got = mine.get(k, {})
            got = {f: got.get(f, "-") for f in want}
            what = "tls %s:%s" % (r["id.orig_h"], r["id.orig_p"])
            verdict(pcap, what, got == want, "got %s, Zeek %s" % (got, want))

    # DNS: each Zeek row is a query (with its response, if any).
    for pcap, rows in zeek_log_rows(shared, "dns").items():
        rc, events, err = results[pcap]
        ident, by_flow = l7_sessions(events)
        mine = []
        for fid, evs in by_flow.items():
            for e in evs:
                if e["proto"] != "dns" or e["kind"] not in ("response", "unanswered", "query"):
                    continue
                mine.append((ident.get(fid), e))
        for r in rows:
            k = ((norm_addr(r["id.orig_h"]), int(r["id.orig_p"])),
                 (norm_addr(r["id.resp_h"]), int(r["id.resp_p"])))
            tid = int(r["trans_id"])
            # DNS names compare case-insensitively (RFC 4343); Zeek lowercases some.
            cands = [e for (i, e) in mine if i == k and e.get("trans_id") == tid
                     and e.get("query", "-").lower() == r["query"].lower()]
            ok = bool(cands)
            detail = "no message with id %d and query %s" % (tid, r["query"])
            if ok and r["answers"] != "-":
                answers = set(a.lower() for a in r["answers"].split(","))
                ok = any(set(str(a).lower() for a in e.get("answers", [])) == answers
                         for e in cands)
                detail = "answers %s, Zeek %s" % ([e.get("answers") for e in cands], sorted(answers))
            what = "dns %s:%s id %s %s" % (r["id.orig_h"], r["id.orig_p"], r["trans_id"], r["query"])
            verdict(pcap, what, ok, detail)

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
                elif e["proto"] == "tls" and e["kind"] == "server_hello":
                    fp.setdefault("JA3S", e.get("ja3s"))
        for eps, want in rows:
            got = mine.get(eps, {})
            for f, v in sorted(want.items()):
                what = "%s %s" % (f.lower(), "-".join("%s:%d" % e for e in sorted(eps)))
                verdict(pcap, what, got.get(f) == v, "got %s, nDPI %s" % (got.get(f), v))

    for key in sorted(set(expect) - seen_expect):
        rep.check(False, "l7-expect.tsv lists %s %s, which the baselines do not have" % key)
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
