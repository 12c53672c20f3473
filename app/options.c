/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line options of flowscope. One table (app_opts) lists every
 * option with its argument and help line; --help prints it, so the help
 * cannot drift from what is parsed. Errors are one line on stderr and exit
 * code 2 (APP_EXIT_USAGE), as for a missing or unreadable file.
 */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include <fc_event.h>
#include <fc_key.h>
#include <fc_pkt.h>

#include "app.h"

enum {
	OPT_HELP = 'h',
	OPT_VERSION = 'V',
	OPT_PCAP = 256,
	OPT_OUTPUT,
	OPT_DECAP,
	OPT_KEY,
	OPT_KEY_VLAN,
	OPT_KEY_TUNNEL_ID,
	OPT_EVENTS,
	OPT_MAX_FLOWS,
	OPT_TIMEOUT_TCP,
	OPT_TIMEOUT_TCP_EMBRYONIC,
	OPT_TIMEOUT_TCP_CLOSING,
	OPT_TIMEOUT_TCP_CLOSED,
	OPT_TIMEOUT_TCP_PARTIAL,
	OPT_TIMEOUT_UDP,
	OPT_TIMEOUT_OTHER,
	OPT_PORT_TIMEOUT,
	OPT_VXLAN_PORT,
	OPT_GTPU_PORT,
	OPT_MEMORY,
	OPT_STATS_INTERVAL,
	OPT_NO_STATS,
};

struct app_opt {
	struct option lo;
	const char *arg;
	const char *help;
};

static const struct app_opt app_opts[] = {
	{ {"pcap", required_argument, NULL, OPT_PCAP}, "FILE",
	  "read frames from a pcap/pcapng file (offline mode: no NIC, no hugepages)" },
	{ {"output", required_argument, NULL, OPT_OUTPUT}, "SINK",
	  "where events go, repeatable: ndjson:- (stdout, default), ndjson:FILE" },
	{ {"events", required_argument, NULL, OPT_EVENTS}, "LIST",
	  "event types to emit: comma list of flow_start,established,state_change,"
	  "flow_end,packet,anomaly, or all, default, +TYPE (default: all but packet)" },
	{ {"key", required_argument, NULL, OPT_KEY}, "MODE",
	  "flow key: 5tuple (default, both directions one flow), 5tuple-uni, ip-pair, mac-pair" },
	{ {"key-vlan", no_argument, NULL, OPT_KEY_VLAN}, NULL,
	  "make the outer VLAN id part of the flow key" },
	{ {"key-tunnel-id", no_argument, NULL, OPT_KEY_TUNNEL_ID}, NULL,
	  "make the tunnel id (VNI, TEID, GRE key) part of inner flow keys" },
	{ {"decap", required_argument, NULL, OPT_DECAP}, "POLICY",
	  "tunnel policy: both (default), outer, inner, none, or per kind "
	  "KIND=POLICY[,...] with KIND gre|vxlan|gtpu|ipip|teredo" },
	{ {"vxlan-port", required_argument, NULL, OPT_VXLAN_PORT}, "PORT",
	  "UDP port of VXLAN (default 4789)" },
	{ {"gtpu-port", required_argument, NULL, OPT_GTPU_PORT}, "PORT",
	  "UDP port of GTP-U (default 2152)" },
	{ {"max-flows", required_argument, NULL, OPT_MAX_FLOWS}, "N",
	  "flow table capacity per RX lcore (default 1048576 live, 262144 offline)" },
	{ {"timeout-tcp", required_argument, NULL, OPT_TIMEOUT_TCP}, "S",
	  "idle timeout of established TCP flows, seconds (default 300)" },
	{ {"timeout-tcp-embryonic", required_argument, NULL, OPT_TIMEOUT_TCP_EMBRYONIC}, "S",
	  "idle timeout of TCP flows not yet established, seconds (default 30)" },
	{ {"timeout-tcp-closing", required_argument, NULL, OPT_TIMEOUT_TCP_CLOSING}, "S",
	  "idle timeout of TCP flows after a FIN, seconds (default 30)" },
	{ {"timeout-tcp-closed", required_argument, NULL, OPT_TIMEOUT_TCP_CLOSED}, "S",
	  "linger of a closed or reset TCP flow for trailing packets, seconds (default 5)" },
	{ {"timeout-tcp-partial", required_argument, NULL, OPT_TIMEOUT_TCP_PARTIAL}, "S",
	  "idle timeout after an endpoint opens with FIN or RST, seconds (default 3)" },
	{ {"timeout-udp", required_argument, NULL, OPT_TIMEOUT_UDP}, "S",
	  "idle timeout of UDP flows, seconds (default 60)" },
	{ {"timeout-other", required_argument, NULL, OPT_TIMEOUT_OTHER}, "S",
	  "idle timeout of other flows (ICMP, SCTP, L2), seconds (default 30)" },
	{ {"port-timeout", required_argument, NULL, OPT_PORT_TIMEOUT}, "P/PORT=S",
	  "idle timeout for flows with PORT on either side, P = tcp|udp|sctp "
	  "(repeatable, at most 16; udp/53=10 is the default for DNS)" },
	{ {"memory", required_argument, NULL, OPT_MEMORY}, "MB",
	  "DPDK heap for offline mode (default: sized from --max-flows)" },
	{ {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL}, "S",
	  "emit a stats object every S seconds of packet time (default 0: only at exit)" },
	{ {"no-stats", no_argument, NULL, OPT_NO_STATS}, NULL,
	  "do not emit stats objects" },
	{ {"help", no_argument, NULL, OPT_HELP}, NULL, "print this help and exit" },
	{ {"version", no_argument, NULL, OPT_VERSION}, NULL, "print the version and exit" },
};

void
app_usage(FILE *f, const char *prog)
{
	size_t i;

	fprintf(f,
		"usage: %s --pcap FILE [options]          offline, no NIC, no hugepages\n"
		"       %s [EAL args] -- [options]        live, every ethdev port\n"
		"\n"
		"Passive flow tracker: prints one JSON event per line (flow_start,\n"
		"established, state_change, flow_end, anomaly, stats) on stdout.\n"
		"\noptions:\n", prog, prog);
	for (i = 0; i < FC_DIM(app_opts); i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", app_opts[i].lo.name,
			 app_opts[i].arg ? " " : "",
			 app_opts[i].arg ? app_opts[i].arg : "");
		fprintf(f, "  %-28s %s\n", left, app_opts[i].help);
	}
	fprintf(f,
		"\nexit status: 0 success, 1 runtime error, 2 usage error or unreadable input\n");
}

static int
parse_uint(const char *opt, const char *s, unsigned long min,
	   unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v = 0;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' ||
	    v < min || v > max) {
		fprintf(stderr, "flowscope: --%s: '%s' is not a number in [%lu, %lu]\n",
			opt, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Numeric options: one row each, parsed and range-checked by one path. */
struct num_opt {
	int id;
	const char *name;
	unsigned long min;
	unsigned long max;
	size_t off;   /**< offsetof the field in struct app_options */
	size_t size;  /**< 2 or 4 bytes */
};

#define NUM(id, name, min, max, field) \
	{ id, name, min, max, offsetof(struct app_options, field), \
	  sizeof(((struct app_options *)0)->field) }

static const struct num_opt num_opts[] = {
	NUM(OPT_VXLAN_PORT, "vxlan-port", 1, 65535, tracker.pkt.vxlan_port),
	NUM(OPT_GTPU_PORT, "gtpu-port", 1, 65535, tracker.pkt.gtpu_port),
	NUM(OPT_MAX_FLOWS, "max-flows", 8, 1ul << 28, tracker.max_flows),
	NUM(OPT_TIMEOUT_TCP, "timeout-tcp", 1, 65535, tracker.timeout_tcp),
	NUM(OPT_TIMEOUT_TCP_EMBRYONIC, "timeout-tcp-embryonic", 1, 65535,
	    tracker.timeout_tcp_embryonic),
	NUM(OPT_TIMEOUT_TCP_CLOSING, "timeout-tcp-closing", 1, 65535,
	    tracker.timeout_tcp_closing),
	NUM(OPT_TIMEOUT_TCP_CLOSED, "timeout-tcp-closed", 1, 65535,
	    tracker.timeout_tcp_closed),
	NUM(OPT_TIMEOUT_TCP_PARTIAL, "timeout-tcp-partial", 1, 65535,
	    tracker.timeout_tcp_partial),
	NUM(OPT_TIMEOUT_UDP, "timeout-udp", 1, 65535, tracker.timeout_udp),
	NUM(OPT_TIMEOUT_OTHER, "timeout-other", 1, 65535, tracker.timeout_other),
	NUM(OPT_MEMORY, "memory", 64, 1ul << 20, mem_mb),
	NUM(OPT_STATS_INTERVAL, "stats-interval", 0, 86400, stats_interval),
};

static int
parse_number(struct app_options *o, int id, const char *s)
{
	size_t i;

	for (i = 0; i < FC_DIM(num_opts); i++) {
		const struct num_opt *n = &num_opts[i];
		unsigned long v;
		uint8_t *dst = (uint8_t *)o + n->off;

		if (n->id != id)
			continue;
		if (parse_uint(n->name, s, n->min, n->max, &v) != 0)
			return -EINVAL;
		if (n->size == sizeof(uint16_t)) {
			uint16_t x = (uint16_t)v;

			memcpy(dst, &x, sizeof(x));
		} else {
			uint32_t x = (uint32_t)v;

			memcpy(dst, &x, sizeof(x));
		}
		return 0;
	}
	return -EINVAL;
}

static int
parse_port_timeout(struct fc_tracker_params *tp, const char *s)
{
	struct fc_port_timeout *pt;
	char proto[8];
	unsigned int port, t;
	int n = 0;

	if (tp->n_port_timeouts >= FC_TRACKER_MAX_PORT_TIMEOUTS) {
		fprintf(stderr, "flowscope: --port-timeout: at most %d overrides\n",
			FC_TRACKER_MAX_PORT_TIMEOUTS);
		return -EINVAL;
	}
	if (sscanf(s, "%7[a-z]/%u=%u%n", proto, &port, &t, &n) != 3 ||
	    s[n] != '\0' || port == 0 || port > 65535 || t == 0 || t > 65535) {
		fprintf(stderr, "flowscope: --port-timeout: '%s' is not P/PORT=SECONDS "
			"(e.g. tcp/179=3600)\n", s);
		return -EINVAL;
	}
	pt = &tp->port_timeouts[tp->n_port_timeouts];
	if (strcmp(proto, "tcp") == 0)
		pt->proto = IPPROTO_TCP;
	else if (strcmp(proto, "udp") == 0)
		pt->proto = IPPROTO_UDP;
	else if (strcmp(proto, "sctp") == 0)
		pt->proto = IPPROTO_SCTP;
	else {
		fprintf(stderr, "flowscope: --port-timeout: unknown protocol '%s' "
			"(tcp, udp, sctp)\n", proto);
		return -EINVAL;
	}
	pt->port = (uint16_t)port;
	pt->timeout_s = (uint16_t)t;
	tp->n_port_timeouts++;
	return 0;
}

/*
 * Parse app options (argv[0] is the program name). Returns 0, 1 when the
 * run should stop successfully (--help, --version), or -EINVAL after
 * printing a one-line error.
 */
int
app_options_parse(struct app_options *o, int argc, char **argv)
{
	struct option lo[FC_DIM(app_opts) + 1];
	struct fc_tracker_params *tp = &o->tracker;
	size_t i;
	int c, rc;

	memset(lo, 0, sizeof(lo));
	for (i = 0; i < FC_DIM(app_opts); i++)
		lo[i] = app_opts[i].lo;
	o->print_stats = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", lo, NULL)) != -1) {
		const char *name = optind > 0 && optind <= argc ?
			argv[optind - 1] : "?";

		rc = 0;
		switch (c) {
		case OPT_HELP:
			app_usage(stdout, "flowscope");
			return 1;
		case OPT_VERSION:
			printf("flowscope %s\n", FLOWSCOPE_VERSION);
			return 1;
		case OPT_PCAP:
			o->pcap = optarg;
			break;
		case OPT_OUTPUT:
			if (o->n_outputs == APP_MAX_SINKS) {
				fprintf(stderr, "flowscope: --output: at most %u sinks\n",
					APP_MAX_SINKS);
				rc = -EINVAL;
			} else if (app_sink_check_spec(optarg) != 0) {
				rc = -EINVAL;
			} else {
				o->outputs[o->n_outputs++] = optarg;
			}
			break;
		case OPT_EVENTS:
			if (fc_event_parse_mask(optarg, &tp->event_mask) != 0 ||
			    tp->event_mask == 0) {
				fprintf(stderr, "flowscope: --events: bad list '%s'\n",
					optarg);
				rc = -EINVAL;
			}
			break;
		case OPT_KEY:
			rc = fc_key_parse_mode(optarg);
			if (rc < 0)
				fprintf(stderr, "flowscope: --key: unknown mode '%s' "
					"(5tuple, 5tuple-uni, ip-pair, mac-pair)\n",
					optarg);
			else
				tp->key.mode = (uint8_t)rc;
			rc = rc < 0 ? rc : 0;
			break;
		case OPT_KEY_VLAN:
			tp->key.flags |= FC_KEY_F_VLAN;
			break;
		case OPT_KEY_TUNNEL_ID:
			tp->key.flags |= FC_KEY_F_TUNNEL_ID;
			break;
		case OPT_DECAP:
			rc = fc_pkt_parse_decap(optarg, &tp->pkt);
			if (rc != 0)
				fprintf(stderr, "flowscope: --decap: bad policy '%s'\n",
					optarg);
			break;
		case OPT_PORT_TIMEOUT:
			rc = parse_port_timeout(tp, optarg);
			break;
		case OPT_NO_STATS:
			o->print_stats = 0;
			break;
		case OPT_VXLAN_PORT:
		case OPT_GTPU_PORT:
		case OPT_MAX_FLOWS:
		case OPT_TIMEOUT_TCP:
		case OPT_TIMEOUT_TCP_EMBRYONIC:
		case OPT_TIMEOUT_TCP_CLOSING:
		case OPT_TIMEOUT_TCP_CLOSED:
		case OPT_TIMEOUT_TCP_PARTIAL:
		case OPT_TIMEOUT_UDP:
		case OPT_TIMEOUT_OTHER:
		case OPT_MEMORY:
		case OPT_STATS_INTERVAL:
			rc = parse_number(o, c, optarg);
			break;
		case ':':
			fprintf(stderr, "flowscope: option '%s' needs an argument\n",
				name);
			return -EINVAL;
		default:
			fprintf(stderr, "flowscope: unknown option '%s' (see --help)\n",
				name);
			return -EINVAL;
		}
		if (rc != 0)
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "flowscope: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->n_outputs == 0)
		o->outputs[o->n_outputs++] = "ndjson:-";
	return 0;
}
