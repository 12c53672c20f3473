#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Export formats end to end: EVE JSON and Zeek logs next to NDJSON.

    test_export.py FLOWSCOPE SHARED

For every trace that has a Zeek conn.log, http.log, ssl.log or dns.log
baseline, run

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
  * records: EVE flow records == conn.log rows == NDJSON flow_end events
    == flows created, and no sink dropped anything;
  * http.log, ssl.log and dns.log are Zeek ASCII logs as above (#path,
    Zeek's standard #fields and #types for each), every row's uid is the
    uid of its flow's conn.log row with the same id.*, and the rows equal
    Zeek's baselines (parsed as TSV) on id.* and: method, host, uri,
    status_code (http, one row per transaction); version, cipher,
    server_name (ssl); query, qtype_name, rcode_name, answers (dns) --
    every difference listed with its reason in export-expect.tsv (a
    listed difference that has gone is reported as stale);
  * EVE http, tls and dns records: Suricata's field names and types, a
    flow_id and tuple equal to their flow record's, and as many as the
    NDJSON session events make (http: one per transaction, tls: one per
    handshake, dns: one per query with a question and one per response).
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
ID_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
ID_TYPES = ["time", "string", "addr", "port", "addr", "port"]
HTTP_FIELDS = ID_FIELDS + [
    "trans_depth", "method", "host", "uri", "referrer", "version", "user_agent",
    "origin", "request_body_len", "response_body_len", "status_code", "status_msg",
    "info_code", "info_msg", "tags", "username", "password", "proxied", "orig_fuids",
    "orig_filenames", "orig_mime_types", "resp_fuids", "resp_filenames",
    "resp_mime_types"]
HTTP_TYPES = ID_TYPES + [
    "count", "string", "string", "string", "string", "string", "string", "string",
    "count", "count", "count", "string", "count", "string", "set[enum]", "string",
    "string", "set[string]"] + ["vector[string]"] * 6
SSL_FIELDS = ID_FIELDS + [
    "version", "cipher", "curve", "server_name", "resumed", "last_alert",
    "next_protocol", "established", "ssl_history", "cert_chain_fps",
    "client_cert_chain_fps", "sni_matches_cert"]
SSL_TYPES = ID_TYPES + [
    "string", "string", "string", "string", "bool", "string", "string", "bool",
    "string", "vector[string]", "vector[string]", "bool"]
DNS_FIELDS = ID_FIELDS + [
    "proto", "trans_id", "rtt", "query", "qclass", "qclass_name", "qtype",
    "qtype_name", "rcode", "rcode_name", "AA", "TC", "RD", "RA", "Z", "answers",
    "TTLs", "rejected", "opcode", "opcode_name"]
DNS_TYPES = ID_TYPES + [
    "enum", "count", "interval", "string", "count", "string", "count", "string",
    "count", "string", "bool", "bool", "bool", "bool", "count", "vector[string]",
    "vector[interval]", "bool", "count", "string"]
SESSION_LOGS = {
    "http": (HTTP_FIELDS, HTTP_TYPES, ["method", "host", "uri", "status_code"]),
    "ssl": (SSL_FIELDS, SSL_TYPES, ["version", "cipher", "server_name"]),
    "dns": (DNS_FIELDS, DNS_TYPES, ["query", "qtype_name", "rcode_name", "answers"]),
}
EVE_SESSION_KEYS = {
    "http": {"hostname": str, "http_port": int, "url": str, "http_user_agent": str,
             "http_content_type": str, "http_refer": str, "http_method": str,
             "protocol": str, "status": int, "length": int},
    "tls": {"sni": str, "version": str, "ja3": dict, "ja3s": dict, "ja4": str},
    "dns": {"version": int, "type": str, "id": int, "flags": str, "qr": bool,
            "aa": bool, "tc": bool, "rd": bool, "ra": bool, "rrname": str,
            "rrtype": str, "rcode": str, "answers": list},
}
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


def read_zeek_log(path, rep, what, log="conn", want_fields=None, want_types=None):
    """Read a Zeek ASCII log the way zeek-cut does; return list of dicts."""
    want_fields = want_fields or CONN_FIELDS
    want_types = want_types or CONN_TYPES
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
    rep.check(meta.get("path") == [(4, log)], "%s: #path" % what)
    op = meta.get("open", [])
    rep.check(len(op) == 1 and op[0][0] == 5 and LOG_TIME.match(op[0][1]),
              "%s: #open %r" % (what, op))
    fields = meta.get("fields", [(0, "")])[0][1].split(sep)
    types = meta.get("types", [(0, "")])[0][1].split(sep)
    rep.check(fields == want_fields, "%s: #fields %r" % (what, fields))
    rep.check(types == want_types, "%s: #types %r" % (what, types))
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
        if isinstance(v, dict) and v.get("event_type") in EVE_SESSION_KEYS:
            continue
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
                            "all(.[]; (.event_type == \"flow\" and (.flow | type) == \"object\")"
                            " or (.event_type as $t | ([\"http\", \"tls\", \"dns\"] | index($t))"
                            " != null and (.[$t] | type) == \"object\"))",
                            path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        rep.check(p.returncode == 0, "%s: jq rejects the file: %s %s"
                  % (what, p.stdout.decode()[:200], p.stderr.decode()[:300]))
    return recs


def expected_eve_sessions(events):
    """How many EVE http/tls/dns records the NDJSON session events make."""
    want = {"http": 0, "tls": 0, "dns": 0}
    http = {}
    tls_pending = {}
    for e in events:
        t = e.get("type")
        if t == "flow_end":
            want["tls"] += tls_pending.pop(e["flow_id"], 0)
            continue
        if t != "session":
            continue
        fid, kind = e["flow_id"], e.get("kind")
        if e["proto"] == "http":
            code = e.get("status_code")
            if kind == "response" and code is not None and 100 <= code < 200 and code != 101:
                continue
            http.setdefault(fid, set()).add(e.get("trans_depth"))
        elif e["proto"] == "tls":
            if kind == "client_hello":
                want["tls"] += tls_pending.get(fid, 0)
                tls_pending[fid] = 1
            elif kind == "server_hello":
                tls_pending.pop(fid, None)
                want["tls"] += 1
        elif e["proto"] == "dns":
            if kind == "response" or (kind == "query" and "query" in e):
                want["dns"] += 1
    want["tls"] += sum(tls_pending.values())
    want["http"] = sum(len(d) for d in http.values())
    return want


def check_eve_sessions(recs, events, rep, what):
    """EVE http/tls/dns records: fields and types, linked to their flow record, counts."""
    flows = {v["flow_id"]: v for v in recs
             if isinstance(v, dict) and v.get("event_type") == "flow"}
    got = {"http": 0, "tls": 0, "dns": 0}
    for v in recs:
        t = v.get("event_type") if isinstance(v, dict) else None
        if t not in EVE_SESSION_KEYS:
            continue
        got[t] += 1
        body = v.get(t)
        keys = EVE_SESSION_KEYS[t]
        rep.check(isinstance(body, dict) and body and
                  all(k in keys and isinstance(x, keys[k]) and
                      (keys[k] is not int or not isinstance(x, bool))
                      for k, x in body.items()),
                  "%s: EVE %s object %r" % (what, t, body))
        rep.check(EVE_TIME.match(str(v.get("timestamp"))) is not None,
                  "%s: EVE %s timestamp %r" % (what, t, v.get("timestamp")))
        fl = flows.get(v.get("flow_id"))
        rep.check(fl is not None, "%s: EVE %s flow_id %r has no flow record"
                  % (what, t, v.get("flow_id")))
        if fl is not None:
            same = [k for k in ("src_ip", "src_port", "dest_ip", "dest_port", "proto",
                                "vlan", "community_id") if v.get(k) != fl.get(k)]
            rep.check(not same, "%s: EVE %s differs from its flow record on %s"
                      % (what, t, same))
        if t == "dns" and isinstance(body, dict):
            rep.check(body.get("type") in ("query", "answer") and
                      all(isinstance(a, dict) and isinstance(a.get("rdata"), str) and
                          isinstance(a.get("rrname"), str) and
                          isinstance(a.get("rrtype"), str) and
                          isinstance(a.get("ttl"), int) and
                          set(a) == {"rrname", "rrtype", "ttl", "rdata"}
                          for a in body.get("answers", [])),
                      "%s: EVE dns %r" % (what, body))
        if t == "tls" and isinstance(body, dict):
            rep.check(all(isinstance(body.get(k, {}), dict) and
                          set(body.get(k, {})) <= {"hash", "string"} for k in ("ja3", "ja3s")),
                      "%s: EVE tls %r" % (what, body))
    want = expected_eve_sessions(events)
    rep.check(got == want, "%s: EVE session records %r, NDJSON sessions make %r"
              % (what, got, want))
    return got


def session_what(log, r):
    """How a session row is named in export-expect.tsv."""
    base = "%s %s:%s" % (log, r["id.orig_h"], r["id.orig_p"])
    if log == "http":
        return "%s #%s" % (base, r["trans_depth"])
    if log == "dns":
        return "%s id %s %s" % (base, r["trans_id"], r["query"])
    return base


def session_key(log, r):
    k = ((golden.norm_addr(r["id.orig_h"]), int(r["id.orig_p"])),
         (golden.norm_addr(r["id.resp_h"]), int(r["id.resp_p"])))
    if log == "http":
        return k + (r["trans_depth"],)
    if log == "dns":
        return k + (r["trans_id"], r["query"].lower())
    return k


def session_diff(log, base, ours, compared):
    d = []
    for f in compared:
        a, b = base.get(f, "-"), ours.get(f, "-")
        if log == "dns" and f == "query":
            a, b = a.lower(), b.lower()
        if log == "dns" and f == "answers":
            # DNS names compare case-insensitively (RFC 4343); Zeek lowercases some.
            a, b = a.lower(), b.lower()
        if a != b:
            d.append(f)
    return d


def check_session_log(log, rows, conn_rows, base_rows, pcap, expect, used, rep):
    """One session log of one trace: uids and ids against conn.log, rows against Zeek's."""
    fields, types, compared = SESSION_LOGS[log]
    conn = {r["uid"]: r for r in conn_rows}
    for r in rows:
        c = conn.get(r["uid"])
        rep.check(c is not None and all(c[k] == r[k] for k in ID_FIELDS[2:]),
                  "%s %s.log: uid %s is not the conn.log row of %s:%s -> %s:%s"
                  % (pcap, log, r["uid"], r["id.orig_h"], r["id.orig_p"],
                     r["id.resp_h"], r["id.resp_p"]))
    mine = {}
    for r in rows:
        mine.setdefault(session_key(log, r), []).append(r)
    total = same = excepted = 0
    listed = {}
    for b in base_rows:
        total += 1
        cands = mine.get(session_key(log, b), [])
        got = next((c for c in cands if not session_diff(log, b, c, compared)), None)
        if got is None and cands:
            got = cands[0]
        if got is not None:
            cands.remove(got)
        diff = session_diff(log, b, got, compared) if got is not None else ["(no row)"]
        what = session_what(log, b)
        if not diff:
            same += 1
        if (pcap, what) in expect:
            # Listed: rows with this name may differ (several rows can share it).
            used.add((pcap, what))
            listed[what] = listed.get(what, False) or bool(diff)
            excepted += bool(diff)
            continue
        rep.check(not diff, "%s %s: %s differ: ours %s, Zeek %s"
                  % (pcap, what, diff,
                     {f: got.get(f) for f in diff} if got else None,
                     {f: b.get(f) for f in diff if f in b}))
    for what, differs in listed.items():
        rep.check(differs, "%s %s matches Zeek now; drop it from export-expect.tsv"
                  % (pcap, what))
    return total, same, excepted


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
    sexpect = {(x["pcap"], x["what"]): x for x in golden.read_tsv(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "export-expect.tsv"))}
    used_expect, used_counter, used_sexpect = set(), set(), set()
    total = same = 0
    stotal, ssame, sexcepted = {}, {}, {}
    eve_total = {"http": 0, "tls": 0, "dns": 0}
    conn_base = golden.zeek_rows(shared)
    session_base = {}
    gt = os.path.join(shared, "groundtruth")
    for name in sorted(os.listdir(gt)):
        for log in SESSION_LOGS:
            if name.endswith(".zeek.%s.tsv" % log):
                pcap = name.split(".zeek.")[0] + ".pcap"
                session_base.setdefault(pcap, {})[log] = golden.read_tsv(os.path.join(gt, name))
    tmp = tempfile.mkdtemp(prefix="fc-export-")
    try:
        for pcap in sorted(set(conn_base) | set(session_base)):
            base_rows = conn_base.get(pcap, [])
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
            got = check_eve_sessions(recs, events, rep, pcap + " eve.json")
            for k in eve_total:
                eve_total[k] += got[k]
            nflow = sum(1 for v in recs if isinstance(v, dict) and v.get("event_type") == "flow")
            rep.check(nflow == len(rows) == len(ends) and st is not None and
                      st["flows"]["created"] == len(ends) and st["events"]["dropped"] == 0,
                      "%s: records: eve %d, conn.log %d, flow_end %d, created %s, "
                      "dropped %s" % (pcap, nflow, len(rows), len(ends),
                                      st and st["flows"]["created"],
                                      st and st["events"]["dropped"]))
            for k in (st or {}).get("sinks", []):
                rep.check(k["dropped"] == 0 and k["records"] == k["written"],
                          "%s: sink %s records %d written %d dropped %d"
                          % (pcap, k["output"], k["records"], k["written"], k["dropped"]))
            for log, (fields, types, _) in SESSION_LOGS.items():
                path = os.path.join(zdir, log + ".log")
                base = session_base.get(pcap, {}).get(log, [])
                if not os.path.exists(path):
                    srows = []      # Zeek's rows are then each reported missing
                else:
                    srows = read_zeek_log(path, rep, "%s %s.log" % (pcap, log), log,
                                          fields, types)
                t, m, x = check_session_log(log, srows, rows, base, pcap, sexpect,
                                            used_sexpect, rep)
                stotal[log] = stotal.get(log, 0) + t
                ssame[log] = ssame.get(log, 0) + m
                sexcepted[log] = sexcepted.get(log, 0) + x
            if pcap not in conn_base:
                continue

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
    for k in sexpect:
        rep.check(k in used_sexpect, "stale export-expect.tsv line %s %s" % k)
    for log in SESSION_LOGS:
        print("int-export: %s.log: %d of %d Zeek rows equal, %d differ as listed in "
              "export-expect.tsv" % (log, ssame.get(log, 0), stotal.get(log, 0),
                                     sexcepted.get(log, 0)))
    print("int-export: EVE session records: %s" % eve_total)
    pct = 100.0 * same / total if total else 100.0
    print("int-export: %d of %d Zeek connections equal on id, proto, conn_state, "
          "history, packets, IP bytes and bytes (%.1f%%)" % (same, total, pct))
    rep.check(total > 0 and pct >= 95.0, "only %.1f%% equal to Zeek (target 95%%)" % pct)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
