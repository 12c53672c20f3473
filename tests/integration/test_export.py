#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Export formats end to end: EVE JSON and Zeek conn.log next to NDJSON.

    test_export.py FLOWSCOPE SHARED

For every trace that has a Zeek conn.log baseline (the set golden.py's
`zeek` mode uses), run

    flowscope --pcap P --output eve:F --output zeek:D --output ndjson:N

and check:
  * conn.log is a Zeek ASCII log as zeek-cut reads it: the separator
    comes from the #separator line, columns from #fields, the header
    block and #close are complete, every row has every column, and the
    values have the types of #types;
  * conn.log rows equal Zeek's baselines on id.*, proto, conn_state,
    history, orig/resp_pkts and orig/resp_ip_bytes, and on orig/resp_bytes
    (sequence space for TCP, payload otherwise, unset for a zero-length
    flow) for >= 95% of Zeek's connections, with every difference listed with its reason: in
    ../golden/zeek-expect.tsv (golden.py's reviewed list, same matching
    of rows to connections) or, for counters only, in COUNTER_EXPECT
    below; a listed difference that has gone is reported as stale;
  * conn.log rows agree with NDJSON flow_end (uid derived from flow_id,
    counters, sequence-space bytes, tunnel parent uid);
  * EVE lines are JSON objects with Suricata's field names and types and
    agree with NDJSON flow_end (flow_id folding, tuple, packets, frame
    bytes, start/end, community_id); if jq is installed it must accept
    the file too (skipped otherwise);
  * records: EVE lines == conn.log rows == NDJSON flow_end events ==
    flows created, and no sink dropped anything.
"""
import csv
import datetime
import decimal
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.environ.get("FC_SOURCE_ROOT") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))
import golden  # noqa: E402  (reuses its corpus readers, matching and expectations)

# Counter-only differences from Zeek (history/conn_state equal or listed in
# zeek-expect.tsv): (pcap, conn) -> reason.
COUNTER_EXPECT = {
    ("zeek-tunnels-gtp1-outer-ip-frag.pcap",
     "udp 239.114.155.111:2152 63.94.149.181:2152"):
        "outer IPv4 fragments are not reassembled, so packets and IP lengths "
        "are counted per fragment where Zeek counts reassembled datagrams "
        "(see zeek-expect.tsv for the inner TCP flow)",
    ("zeek-tunnels-gtp1-outer-ip-frag.pcap",
     "tcp 10.131.47.185:1923 79.101.110.141:80"):
        "inner TCP of the fragmented GTP-U tunnel (see zeek-expect.tsv): the "
        "inner IP lengths and packets follow the outer fragments",
}

CONN_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
               "proto", "service", "duration", "orig_bytes", "resp_bytes",
               "conn_state", "local_orig", "local_resp", "missed_bytes",
               "history", "orig_pkts", "orig_ip_bytes", "resp_pkts",
               "resp_ip_bytes", "tunnel_parents"]
CONN_TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "string",
              "interval", "count", "count", "string", "bool", "bool", "count",
              "string", "count", "count", "count", "count", "set[string]"]
COMPARED = ["proto", "conn_state", "history", "orig_pkts", "resp_pkts",
            "orig_ip_bytes", "resp_ip_bytes", "orig_bytes", "resp_bytes"]
LOG_TIME = re.compile(r"^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$")
EVE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}$")
UID = re.compile(r"^C[0-9A-Za-z]{17}$")
EVE_PROTOS = {"TCP": 6, "UDP": 17, "ICMP": 1, "IPv6-ICMP": 58, "SCTP": 132,
              "GRE": 47, "ESP": 50, "AH": 51, "IGMP": 2, "PIM": 103, "VRRP": 112}

M64 = (1 << 64) - 1
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _mix(a):
    a = ((a ^ (a >> 30)) * 0xbf58476d1ce4e5b9) & M64
    a = ((a ^ (a >> 27)) * 0x94d049bb133111eb) & M64
    return a ^ (a >> 31)


def uid_of(flow_id):
    """The conn.log uid of a flow_id (sink_zeek.c zeek_uid)."""
    a = _mix(flow_id)
    b = _mix(a ^ 0x9e3779b97f4a7c15)
    head, tail = "", ""
    for _ in range(6):
        head = B62[b % 62] + head
        b //= 62
    for _ in range(11):
        tail = B62[a % 62] + tail
        a //= 62
    return "C" + head + tail


def eve_flow_id(flow_id):
    """The EVE flow_id of a flow_id (sink_eve.c eve_flow_id)."""
    return (((flow_id >> 56) & 0x7f) << 44) | (flow_id & ((1 << 44) - 1))


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def eve_time(s):
    """Microseconds since the epoch of an EVE timestamp (exact)."""
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z") - EPOCH
    return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds


def usec(ts):
    """Microseconds of an NDJSON time (a Decimal: exact)."""
    return int(ts * 1000000)


def norm(a):
    return str(ipaddress.ip_address(a))


def read_zeek_log(path, rep, what):
    """Read a Zeek ASCII log the way zeek-cut does; return list of dicts."""
    with open(path, newline="") as f:
        text = f.read()
    lines = text.split("\n")
    rep.check(text.endswith("\n"), "%s: last line not terminated" % what)
    if lines and lines[-1] == "":
        lines.pop()
    rep.check(lines and lines[0].startswith("#separator "),
              "%s: first line is not #separator" % what)
    if not lines or not lines[0].startswith("#separator "):
        return []
    sep = lines[0][len("#separator "):].encode().decode("unicode_escape")
    rep.check(sep == "\t", "%s: separator %r, want TAB" % (what, sep))
    meta, data = {}, []
    for i, line in enumerate(lines[1:], 1):
        if line.startswith("#"):
            key, _, val = line[1:].partition(sep)
            meta.setdefault(key, []).append((i, val))
        else:
            data.append(line)
    rep.check(meta.get("set_separator") == [(1, ",")], "%s: #set_separator" % what)
    rep.check(meta.get("empty_field") == [(2, "(empty)")], "%s: #empty_field" % what)
    rep.check(meta.get("unset_field") == [(3, "-")], "%s: #unset_field" % what)
    rep.check(meta.get("path") == [(4, "conn")], "%s: #path" % what)
    op = meta.get("open", [])
    rep.check(len(op) == 1 and op[0][0] == 5 and LOG_TIME.match(op[0][1]),
              "%s: #open %r" % (what, op))
    fields = meta.get("fields", [(0, "")])[0][1].split(sep)
    types = meta.get("types", [(0, "")])[0][1].split(sep)
    rep.check(fields == CONN_FIELDS, "%s: #fields %r" % (what, fields))
    rep.check(types == CONN_TYPES, "%s: #types %r" % (what, types))
    cl = meta.get("close", [])
    rep.check(len(cl) == 1 and cl[0][0] == len(lines) - 1 and
              LOG_TIME.match(cl[0][1]), "%s: #close %r" % (what, cl))
    rows = list(csv.DictReader(data, fieldnames=fields, delimiter=sep,
                               quoting=csv.QUOTE_NONE, restkey="_extra",
                               restval=None))
    for r in rows:
        rep.check("_extra" not in r and None not in r.values(),
                  "%s: row with %s columns" % (what, "extra" if "_extra" in r else "missing"))
    return rows


def check_conn_types(rows, rep, what):
    """Values have the types of #types; unset is '-'."""
    def num(v, kind):
        if v == "-":
            return True
        try:
            return float(v) >= 0 if kind == "f" else int(v) >= 0
        except ValueError:
            return False

    uids = set()
    for r in rows:
        if any(v is None for v in r.values()):
            continue
        ok = (num(r["ts"], "f") and r["ts"] != "-" and UID.match(r["uid"]) and
              0 <= int(r["id.orig_p"]) < 65536 and 0 <= int(r["id.resp_p"]) < 65536 and
              r["proto"] in ("tcp", "udp", "icmp", "unknown_transport") and
              num(r["duration"], "f") and num(r["orig_bytes"], "i") and
              num(r["resp_bytes"], "i") and r["local_orig"] in ("T", "F", "-") and
              r["local_resp"] in ("T", "F", "-") and r["missed_bytes"].isdigit() and
              all(r[c].isdigit() for c in ("orig_pkts", "orig_ip_bytes",
                                           "resp_pkts", "resp_ip_bytes")) and
              (r["tunnel_parents"] == "-" or
               all(UID.match(u) for u in r["tunnel_parents"].split(","))))
        try:
            norm(r["id.orig_h"])
            norm(r["id.resp_h"])
        except ValueError:
            ok = False
        rep.check(ok, "%s: bad values %r" % (what, r))
        rep.check(r["uid"] not in uids, "%s: uid %s twice" % (what, r["uid"]))
        uids.add(r["uid"])


def check_conn_vs_ndjson(rows, ends, rep, what):
    by_uid = {r["uid"]: r for r in rows}
    for e in ends:
        r = by_uid.get(uid_of(e["flow_id"]))
        rep.check(r is not None, "%s: flow %d has no conn.log row" % (what, e["flow_id"]))
        if r is None:
            continue
        zproto = {"tcp": "tcp", "udp": "udp", "icmp": "icmp",
                  "icmpv6": "icmp"}.get(e["proto"], "unknown_transport")
        single = e["first_ts"] == e["last_ts"]
        tcp = e["proto"] == "tcp"
        want = {
            "ts": "%.6f" % e["first_ts"],
            "id.orig_h": e["orig_h"], "id.orig_p": str(e["orig_p"]),
            "id.resp_h": e["resp_h"], "id.resp_p": str(e["resp_p"]),
            "proto": zproto,
            "orig_bytes": "-" if single else
            str(e["orig_seq_bytes"] if tcp else e["orig_payload_bytes"]),
            "resp_bytes": "-" if single else
            str(e["resp_seq_bytes"] if tcp else e["resp_payload_bytes"]),
            "duration": "-" if single else "%.6f" % e["duration"],
            "conn_state": e["conn_state"] or "-",
            "history": e["history"] or "-",
            "orig_pkts": str(e["orig_pkts"]), "resp_pkts": str(e["resp_pkts"]),
            "orig_ip_bytes": str(e["orig_ip_bytes"]),
            "resp_ip_bytes": str(e["resp_ip_bytes"]),
            "tunnel_parents": uid_of(e["tunnel"]["parent"])
            if e.get("tunnel", {}).get("parent") else "-",
        }
        got = {k: r[k] for k in want}
        rep.check(got == want, "%s: flow %d conn.log %r != NDJSON %r"
                  % (what, e["flow_id"], got, want))


def check_eve(path, ends, rep, what):
    lines = open(path).read().split("\n")
    rep.check(lines[-1] == "", "%s: last line not terminated" % what)
    recs = []
    for line in lines[:-1]:
        try:
            recs.append(json.loads(line))
        except ValueError:
            rep.check(False, "%s: not JSON: %r" % (what, line[:200]))
    by_id = {eve_flow_id(e["flow_id"]): e for e in ends}
    seen = set()
    for v in recs:
        ok = (isinstance(v, dict) and v.get("event_type") == "flow" and
              isinstance(v.get("timestamp"), str) and EVE_TIME.match(v["timestamp"]) and
              isinstance(v.get("flow_id"), int) and 0 <= v["flow_id"] < 1 << 51 and
              isinstance(v.get("src_ip"), str) and isinstance(v.get("dest_ip"), str) and
              isinstance(v.get("proto"), str) and isinstance(v.get("flow"), dict))
        rep.check(ok, "%s: EVE common fields %r" % (what, v))
        if not ok:
            continue
        fl = v["flow"]
        keys = ["pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient",
                "start", "end", "age", "state", "reason", "alerted"]
        rep.check(list(fl) == keys, "%s: flow keys %r" % (what, list(fl)))
        rep.check(all(isinstance(fl.get(k), int) and not isinstance(fl.get(k), bool)
                      for k in keys[:4] + ["age"]) and
                  EVE_TIME.match(str(fl.get("start"))) and
                  EVE_TIME.match(str(fl.get("end"))) and
                  fl.get("state") in ("new", "established", "closed") and
                  fl.get("reason") in ("timeout", "forced", "shutdown") and
                  fl.get("alerted") is False, "%s: flow values %r" % (what, fl))
        e = by_id.get(v["flow_id"])
        rep.check(e is not None, "%s: EVE flow_id %d not a flow_end" % (what, v["flow_id"]))
        if e is None:
            continue
        rep.check(v["flow_id"] not in seen, "%s: flow_id %d twice" % (what, v["flow_id"]))
        seen.add(v["flow_id"])
        proto = EVE_PROTOS.get(v["proto"])
        if proto is None:
            rep.check(re.match(r"^\d{3}$", v["proto"]) is not None,
                      "%s: proto %r" % (what, v["proto"]))
            proto = int(v["proto"]) if v["proto"].isdigit() else -1
        nd_proto = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58,
                    "sctp": 132}.get(e["proto"], e["proto"])
        rep.check(proto == nd_proto, "%s: proto %s vs %s" % (what, v["proto"], e["proto"]))
        got = [norm(v["src_ip"]), norm(v["dest_ip"]), v.get("src_port"),
               v.get("dest_port"), fl["pkts_toserver"], fl["pkts_toclient"],
               fl["bytes_toserver"], fl["bytes_toclient"], eve_time(fl["start"]),
               eve_time(fl["end"]), eve_time(v["timestamp"]), v.get("community_id")]
        ports = e["proto"] in ("tcp", "udp", "sctp")
        want = [norm(e["orig_h"]), norm(e["resp_h"]),
                e["orig_p"] if ports else None, e["resp_p"] if ports else None,
                e["orig_pkts"], e["resp_pkts"], e["orig_bytes"], e["resp_bytes"],
                usec(e["first_ts"]), usec(e["last_ts"]), usec(e["ts"]),
                e.get("community_id")]
        rep.check(got == want, "%s: EVE %r != NDJSON %r" % (what, got, want))
        rep.check(fl["age"] == int(e["last_ts"]) - int(e["first_ts"]),
                  "%s: age %d" % (what, fl["age"]))
        if e["proto"] == "tcp":
            t = v.get("tcp")
            rep.check(isinstance(t, dict) and
                      all(re.match(r"^[0-9a-f]{2}$", str(t.get(k)))
                          for k in ("tcp_flags", "tcp_flags_ts", "tcp_flags_tc")) and
                      set(t) <= {"tcp_flags", "tcp_flags_ts", "tcp_flags_tc", "syn",
                                 "fin", "rst", "ack", "state"} and
                      all(t[k] is True for k in ("syn", "fin", "rst", "ack") if k in t),
                      "%s: tcp %r" % (what, t))
            if isinstance(t, dict) and "tcp_flags_ts" in t:
                both = int(t["tcp_flags_ts"], 16) | int(t["tcp_flags_tc"], 16)
                rep.check(int(t["tcp_flags"], 16) == both, "%s: tcp_flags %r" % (what, t))
        else:
            rep.check("tcp" not in v, "%s: tcp object on %s" % (what, e["proto"]))
        if e["proto"] in ("icmp", "icmpv6"):
            rep.check(v.get("icmp_type") == e.get("icmp_type") and
                      v.get("icmp_code") == e.get("icmp_code"),
                      "%s: icmp type/code %r" % (what, v))
        if "vlan" in e:
            want_vlan = [e["vlan"]] + ([e["vlan_inner"]] if "vlan_inner" in e else [])
            rep.check(v.get("vlan") == want_vlan, "%s: vlan %r" % (what, v.get("vlan")))
    if shutil.which("jq"):
        p = subprocess.run(["jq", "-e", "-s",
                            "all(.[]; .event_type == \"flow\" and (.flow | type) == \"object\")",
                            path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        rep.check(p.returncode == 0, "%s: jq rejects the file: %s %s"
                  % (what, p.stdout.decode()[:200], p.stderr.decode()[:300]))
    return recs


def baseline_conn(r):
    proto = r.get("proto", "tcp")
    return "%s %s:%s %s:%s" % (proto, r["id.orig_h"], r["id.orig_p"],
                               r["id.resp_h"], r["id.resp_p"])


def row_diff(base, ours):
    """Compared fields where ours differs from a Zeek baseline row."""
    d = []
    for k in ("id.orig_h", "id.resp_h"):
        if norm(base[k]) != norm(ours[k]):
            d.append(k)
    for k in ("id.orig_p", "id.resp_p"):
        if int(base[k]) != int(ours[k]):
            d.append(k)
    for k in COMPARED:
        if k not in base:
            continue
        if k == "conn_state" and base[k] == "-":
            continue
        if base[k] != ours[k]:
            d.append(k)
    return d


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    flowscope, shared = argv[1], argv[2]
    if not os.path.isdir(os.path.join(shared, "pcaps")):
        print("SKIP: shared corpus not found at %s" % shared)
        return 77
    rep = golden.Report("int-export")
    expect = {(x["pcap"], x["conn"]): x for x in golden.read_expect("zeek-expect.tsv")}
    used_expect, used_counter = set(), set()
    total = same = 0
    tmp = tempfile.mkdtemp(prefix="fc-export-")
    try:
        for pcap, base_rows in sorted(golden.zeek_rows(shared).items()):
            d = os.path.join(tmp, pcap)
            os.mkdir(d)
            eve, zdir, nd = (os.path.join(d, "eve.json"), os.path.join(d, "zeek"),
                             os.path.join(d, "events.ndjson"))
            p = subprocess.run([flowscope, "--pcap", os.path.join(shared, "pcaps", pcap),
                                "--output", "eve:" + eve, "--output", "zeek:" + zdir,
                                "--output", "ndjson:" + nd],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
            rep.check(p.returncode == 0 and p.stdout == b"",
                      "%s: exit %d, stdout %r, stderr %s" % (pcap, p.returncode,
                                                            p.stdout[:100],
                                                            p.stderr.decode()[-300:]))
            if p.returncode != 0:
                continue
            events = [json.loads(line, parse_float=decimal.Decimal)
                      for line in open(nd) if line.strip()]
            ends = golden.flow_ends(events)
            st = golden.final_stats(events)
            rows = read_zeek_log(os.path.join(zdir, "conn.log"), rep, pcap + " conn.log")
            check_conn_types(rows, rep, pcap + " conn.log")
            check_conn_vs_ndjson(rows, ends, rep, pcap + " conn.log")
            recs = check_eve(eve, ends, rep, pcap + " eve.json")
            rep.check(len(recs) == len(rows) == len(ends) and st is not None and
                      st["flows"]["created"] == len(ends) and st["events"]["dropped"] == 0,
                      "%s: records: eve %d, conn.log %d, flow_end %d, created %s, "
                      "dropped %s" % (pcap, len(recs), len(rows), len(ends),
                                      st and st["flows"]["created"],
                                      st and st["events"]["dropped"]))

            # Zeek baselines, rows matched to connections as golden.py does.
            mine = {}
            for r in rows:
                k = golden.tuple_key(r["proto"], r["id.orig_h"], r["id.orig_p"],
                                     r["id.resp_h"], r["id.resp_p"])
                mine.setdefault(k, []).append(r)
            for b in base_rows:
                proto = b.get("proto", "tcp")
                k = golden.tuple_key(proto, b["id.orig_h"], b["id.orig_p"],
                                     b["id.resp_h"], b["id.resp_p"])
                cands = mine.get(k, [])
                got = next((c for c in cands if not row_diff(b, c)), None)
                if got is None:
                    got = next((c for c in cands
                                if (c["history"], c["conn_state"]) ==
                                (b["history"], b.get("conn_state", c["conn_state"]))),
                               None)
                if got is None and cands:
                    got = cands[0]
                if got is not None:
                    cands.remove(got)
                total += 1
                diff = row_diff(b, got) if got is not None else ["(no row)"]
                if not diff:
                    same += 1
                    continue
                conn = baseline_conn(b)
                x = expect.get((pcap, conn))
                hist_diff = [f for f in diff if f not in ("history", "conn_state")]
                listed_hist = (x is not None and got is not None and
                               x["ours"] == "%s %s" % (got["history"], got["conn_state"]))
                if x is not None:
                    used_expect.add((pcap, conn))
                if hist_diff:
                    used_counter.add((pcap, conn))
                ok = ((set(diff) <= {"history", "conn_state"} or
                       (pcap, conn) in COUNTER_EXPECT) and
                      (not set(diff) & {"history", "conn_state"} or listed_hist))
                rep.check(ok, "%s %s: fields %s differ from Zeek: ours %s, zeek %s"
                          % (pcap, conn, diff,
                             {f: got[f] for f in diff if got and f in got},
                             {f: b.get(f) for f in diff}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for k in expect:
        rep.check(k in used_expect, "stale expectation %s %s (now equal to Zeek)" % k)
    for k in COUNTER_EXPECT:
        rep.check(k in used_counter, "stale COUNTER_EXPECT %s %s (counters now equal)" % k)
    pct = 100.0 * same / total if total else 100.0
    print("int-export: %d of %d Zeek connections equal on id, proto, conn_state, "
          "history, packets, IP bytes and bytes (%.1f%%)" % (same, total, pct))
    rep.check(total > 0 and pct >= 95.0, "only %.1f%% equal to Zeek (target 95%%)" % pct)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
