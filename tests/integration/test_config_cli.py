#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The config file and its command line, end to end.

    test_config_cli.py FLOWSCOPE SHARED_DIR

- config/flowscope.yaml is exactly what `flowscope --dump-defaults` prints;
- --dump-config prints YAML that loads back to the same configuration,
  and shows what the file, --set and the options changed;
- a config file drives a real run over a capture of the shared corpus,
  and the command line overrides it;
- every option of the reference file's comments is in --help;
- broken config files and --set values exit 2 with one line on stderr
  that names FILE:LINE:COLUMN and the key, and nothing on stdout.
"""
import json
import os
import re
import subprocess
import sys
import tempfile


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: %s" % what)

    def done(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def run(flowscope, args, timeout=120):
    p = subprocess.run([flowscope] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def source_root():
    root = os.environ.get("FC_SOURCE_ROOT")
    if root:
        return root
    return os.path.normpath(os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", ".."))


def events_of(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    flowscope, shared = argv[1], argv[2]
    pcap = os.path.join(shared, "pcaps", "zeek-http-get.pcap")
    if not os.path.exists(pcap):
        print("SKIP: %s not found (shared corpus)" % pcap)
        return 77
    rep = Report()
    tmp = tempfile.mkdtemp(prefix="fc-config-")

    def write(name, data):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    # The reference file cannot drift from the schema.
    rc, ref, err = run(flowscope, ["--dump-defaults"])
    rep.check(rc == 0 and err == "", "--dump-defaults: exit %d %r" % (rc, err))
    with open(os.path.join(source_root(), "config", "flowscope.yaml")) as f:
        rep.check(f.read() == ref, "config/flowscope.yaml differs from "
                  "flowscope --dump-defaults (regenerate it)")

    # The effective config: defaults, then as changed by each source.
    rc, base, err = run(flowscope, ["--dump-config"])
    rep.check(rc == 0 and "timeouts:" in base, "--dump-config: exit %d %r" % (rc, err))
    rc, ref_dump, _ = run(flowscope, ["--config", write("ref.yaml", ref),
                                      "--dump-config"])
    rep.check(rc == 0 and ref_dump == base,
              "the reference file does not load back to the defaults")
    cfg = write("a.yaml", "table:\n  timeouts:\n    udp: 33\n"
                "reassembly:\n  memcap: 128m\noutputs: [ndjson:/tmp/x]\n")
    rc, out, err = run(flowscope, ["--config", cfg, "--set", "lcores.rx=2",
                                   "--timeout-tcp", "2m", "--dump-config"])
    rep.check(rc == 0, "--dump-config with a file: exit %d %r" % (rc, err))
    for want in ("    udp: 33\n", "    tcp: 120\n", "  memcap: 128m\n",
                 "  rx: 2\n", 'outputs: ["ndjson:/tmp/x"]\n'):
        rep.check(want in out, "--dump-config lacks %r" % want)
    again = write("again.yaml", out)
    rc, out2, _ = run(flowscope, ["--config", again, "--dump-config"])
    rep.check(rc == 0 and out2 == out, "dump -> load -> dump differs")
    # precedence: the last of --set and the alias wins, the file loses
    rc, out, _ = run(flowscope, ["--timeout-udp", "10", "--config", cfg,
                                 "--set", "table.timeouts.udp=20", "--dump-config"])
    rep.check(rc == 0 and "    udp: 20\n" in out, "--set after the alias does not win")
    rc, out, _ = run(flowscope, ["--set", "table.timeouts.udp=20", "--config", cfg,
                                 "--timeout-udp", "10", "--dump-config"])
    rep.check(rc == 0 and "    udp: 10\n" in out, "the alias after --set does not win")

    # --help documents every option the schema names.
    rc, helptext, _ = run(flowscope, ["--help"])
    rep.check(rc == 0, "--help: exit %d" % rc)
    opts = set(re.findall(r"; (--[a-z0-9-]+)", ref))
    rep.check(len(opts) >= 20, "the reference names only %d options" % len(opts))
    for opt in sorted(opts | {"--config", "--set", "--dump-config", "--dump-defaults"}):
        rep.check(re.search(r"^  %s\b" % re.escape(opt), helptext, re.M) is not None,
                  "--help does not document %s" % opt)

    # A run driven by a config file, and the command line over it.
    events_path = os.path.join(tmp, "events.json")
    run_cfg = write("run.yaml",
                    "# a run from a file\n"
                    "events:\n  types: \"flow_start,flow_end\"\n"
                    "stats:\n  enabled: false\n"
                    "outputs: [\"ndjson:%s\"]\n"
                    "table:\n  max_flows: 1024\n  timeouts: {tcp: 10m}\n"
                    % events_path)
    rc, out, err = run(flowscope, ["--pcap", pcap, "--config", run_cfg])
    rep.check(rc == 0, "run with a config: exit %d %r" % (rc, err))
    rep.check(out == "", "run with ndjson:FILE wrote to stdout")
    try:
        with open(events_path) as f:
            evs = events_of(f.read())
    except (OSError, ValueError) as e:
        evs = []
        rep.check(False, "events file: %s" % e)
    types = sorted({e["type"] for e in evs})
    rep.check(types == ["flow_end", "flow_start"],
              "config events.types/stats.enabled not applied: %s" % types)
    rep.check(any(e["type"] == "flow_end" and e.get("resp_p") == 80 for e in evs),
              "no flow_end of the HTTP connection")
    rc, out, err = run(flowscope, ["--pcap", pcap, "--config", run_cfg,
                                   "--output", "ndjson:-", "--set", "stats.enabled=true",
                                   "--events", "default"])
    rep.check(rc == 0, "run with overrides: exit %d %r" % (rc, err))
    try:
        types = {e["type"] for e in events_of(out)}
    except ValueError:
        types = set()
    rep.check("stats" in types and "established" in types,
              "command line did not override the file: %s" % sorted(types))

    # Broken files and values: exit 2, one line, FILE:LINE:COL and the key.
    good = ("table:\n  max_flows: 4096\n  timeouts:\n    tcp: 300\n"
            "reassembly:\n  memcap: 64m\nports:\n  - name: net_pcap0\n")
    bad = [
        ("unknown.yaml", "table:\n  max_flow: 8\n", r"unknown.yaml:2:3: unknown key 'table.max_flow'"),
        ("type.yaml", "table:\n  max_flows: [8]\n", r"type.yaml:2:14: table.max_flows: expected a scalar"),
        ("range.yaml", "table:\n  timeouts:\n    udp: 70000\n",
         r"range.yaml:3:10: table.timeouts.udp: '70000' is out of range \[1, 65535\]"),
        ("enum.yaml", "reassembly:\n  overflow: panic\n",
         r"enum.yaml:2:13: reassembly.overflow: unknown policy 'panic'"),
        ("dup.yaml", "stats:\n  interval: 1\n  interval: 2\n",
         r"dup.yaml:3:3: duplicate key 'stats.interval' \(first at line 2\)"),
        ("syntax.yaml", "table:\n  max_flows: 8\n bogus\n", r"syntax.yaml:\d+:\d+: .*malformed YAML: "),
        ("alias.yaml", "a: &x 1\ntable: *x\n", r"alias.yaml:1:1: unknown key 'a'"),
        ("alias2.yaml", "table: &x {max_flows: 8}\ndecode: *x\n",
         r"alias2.yaml:2:9: decode: aliases \(\*x\) are not supported"),
        ("junk.yaml", bytes(range(256)), r"junk.yaml:\d+:\d+: malformed YAML: "),
        ("utf8.yaml", b"table:\n  key: \xc3\x28\n", r"utf8.yaml:2:\d+: malformed YAML: "),
        ("deep.yaml", "outputs: " + "[" * 100000, r"deep.yaml:1:\d+: outputs: list items must be scalars"),
        ("port.yaml", "ports:\n  - mtu: 9000\n", r"port.yaml:2:5: ports\[0\]: a port needs a name"),
        ("sink.yaml", "outputs: [csv:-]\n", r"sink.yaml:1:11: outputs: csv:-: unsupported sink"),
    ]
    for i in range(1, len(good)):
        bad.append(("cut%d.yaml" % i, good[:i], None))
    for name, text, want in bad:
        path = write(name, text)
        rc, out, err = run(flowscope, ["--pcap", pcap, "--config", path])
        lines = err.strip().splitlines()
        if want is None:
            # a truncation is fine or a clean error, never a crash
            rep.check(rc in (0, 2), "%s: exit %d %r" % (name, rc, err))
            if rc == 2:
                rep.check(len(lines) == 1 and lines[0].startswith("flowscope: " + path),
                          "%s: stderr %r" % (name, lines))
            continue
        rep.check(rc == 2, "%s: exit %d, want 2 (%r)" % (name, rc, err))
        rep.check(out == "", "%s: wrote to stdout" % name)
        rep.check(len(lines) == 1 and re.match(r"flowscope: %s" % re.escape(tmp + "/") + want,
                                               lines[0]) is not None,
                  "%s: stderr %r, want %r" % (name, lines, want))
    for args, want in [
        (["--config", os.path.join(tmp, "missing.yaml")], r"flowscope: .*missing.yaml: No such file"),
        (["--config", tmp], r"flowscope: .*: Is a directory"),
        (["--config", cfg, "--config", cfg], r"flowscope: --config: given twice"),
        (["--set", "table.max_flows"], r"flowscope: --set: 'table.max_flows' is not KEY=VALUE"),
        (["--set", "nope.key=1"], r"flowscope: --set: unknown key 'nope.key'"),
        (["--set", "events.ring_size=1000"],
         r"flowscope: --set events.ring_size: '1000' is not a power of two"),
        (["--set", "parsers.enabled=[http, smtp]"],
         r"flowscope: --set parsers.enabled: unknown parser 'smtp'"),
        (["--timeout-tcp", "0"], r"flowscope: --timeout-tcp: '0' is out of range"),
        (["--max-flows", "-5"], r"flowscope: --max-flows: '-5' is not a number"),
    ]:
        rc, out, err = run(flowscope, ["--pcap", pcap] + args)
        lines = err.strip().splitlines()
        rep.check(rc == 2 and out == "", "%s: exit %d" % (args, rc))
        rep.check(len(lines) == 1 and re.match(want, lines[0]) is not None,
                  "%s: stderr %r, want %r" % (args, lines, want))

    # Live ports named in the config: by device name or port id; a name
    # no device has, or rss: on where the device has no RSS, is a usage
    # error (exit 2). net_pcap replaying a file ends at its end.
    eal = ["--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "256",
           "--lcores", "(0-3)@(0-1)", "--log-level", "error",
           "--vdev", "net_pcap0,rx_pcap=%s" % pcap, "--"]
    common = ["--max-flows", "1024", "--events", "flow_end"]
    for label, args, want_rc, want in [
        ("port by id", ["--set", "ports=[{name: \"0\"}]"], 0, None),
        ("port by name", ["--set", "ports=[{name: net_pcap0, rx_desc: 512}]"], 0, None),
        ("unknown port", ["--set", "ports=[{name: net_pcap9}]"], 2,
         r"flowscope: ports\[0\]\.name: no ethdev port named 'net_pcap9'"),
        ("unknown port id", ["--set", "ports=[{name: \"7\"}]"], 2,
         r"flowscope: ports\[0\]\.name: no ethdev port named '7'"),
        ("port twice", ["--set", "ports=[{name: net_pcap0}, {name: \"0\"}]"], 2,
         r"flowscope: ports\[1\]\.name: '0' is port 0, already listed as ports\[0\]"),
        ("rss on, no RSS", ["--set", "ports=[{name: net_pcap0, rss: on}]", "--rx-lcores", "2"], 2,
         r"flowscope: port net_pcap0: rss: on, but net_pcap has no RSS .*set rss: auto or off"),
        ("rss on, one lcore", ["--set", "ports=[{name: net_pcap0, rss: on}]"], 2,
         r"flowscope: port net_pcap0: rss: on, but net_pcap has no RSS"),
    ]:
        rc, out, err = run(flowscope, eal + common + args)
        rep.check(rc == want_rc, "%s: exit %d, want %d (%r)" % (label, rc, want_rc, err))
        if want is None:
            rep.check(any(e["type"] == "flow_end" and e.get("resp_p") == 80
                          for e in events_of(out)), "%s: no flow_end of the HTTP flow" % label)
        else:
            rep.check(re.search(want, err) is not None, "%s: stderr %r, want %r" % (label, err, want))

    # net_pcap infinite_rx keeps the whole file in mbufs: a pool set too
    # small, or mbufs too small for its frames, fail with the key to raise.
    big = os.path.join(shared, "pcaps", "zeek-ssh.pcap")  # 1797 packets, full-size frames
    inf = eal[:-3] + ["--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % big, "--"]
    for label, args, want in [
        ("mbufs too few", ["--mbufs", "1024"],
         r"flowscope: net_pcap infinite_rx keeps every packet of its file in mbufs \(1797 "
         r"packets\), the pool has 1024 \(memory\.mbufs\); raise memory\.mbufs \(--mbufs\)"),
        ("mbufs too small", ["--mbuf-size", "1024"],
         r"flowscope: net_pcap infinite_rx needs every frame in one mbuf: .*raise "
         r"memory\.mbuf_size \(--mbuf-size\)"),
    ]:
        rc, out, err = run(flowscope, inf + common + args)
        rep.check(rc == 1, "%s: exit %d, want 1 (%r)" % (label, rc, err))
        rep.check(re.search(want, err) is not None, "%s: stderr %r, want %r" % (label, err, want))
    return rep.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
