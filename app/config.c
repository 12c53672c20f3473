/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration of flowscope: one schema table and everything it
 * drives.
 *
 * SCHEMA. app_cfg_keys[] has one row per key of the YAML file, in the
 * order --dump-config prints them: the dotted path, the type (bool,
 * unsigned with a range, byte count, seconds, enum with its names,
 * string, list of strings, the ports list), the default as config text,
 * the offsetof of the field in struct app_options, the command-line
 * alias and one help line. Sections (table, table.timeouts, ...) are rows
 * too, so every mapping of the file is known. Keys of each `ports` entry
 * are rows flagged APP_CFG_F_ITEM whose offset is in struct app_port_cfg.
 * A few keys have a syntax of their own (decap policy, event list, sink
 * specs, port timeouts, parser names, gap fill): their rows carry
 * parse/format hooks (struct app_cfg_ops), everything else is generic.
 *
 * ONE PATH PER VALUE. Defaults, the YAML file, --set and the command-line
 * aliases all end in cfg_set_scalar() or cfg_list_add(), so a value is
 * checked the same way wherever it comes from, and defaults are checked
 * like user input. Only the message prefix differs: "FILE:LINE:COL: KEY:"
 * for the file, "--OPTION:" for an alias (the texts of the options that
 * predate the config file are kept), "--set KEY:" for --set.
 *
 * YAML. The file is read with libyaml's event parser and walked against
 * the schema, never loaded into a tree: an unknown key, a mapping where a
 * value is expected or a nested list stops the walk at once, so deep
 * nesting or a huge document costs nothing beyond the first error.
 * Aliases are refused (a config has no use for them, and refusing them
 * rules out alias bombs and cycles), and so are tags beyond the core ones
 * (!!binary would mean a decoding this walker does not do). Duplicate
 * keys are an error, with the line of the first one. libyaml's reader
 * errors carry a byte offset instead of a mark: it is turned into
 * line:column here.
 *
 * Loading applies to a copy of the options and commits only on success,
 * so a failed load leaves them as they were.
 *
 * DUMP. app_config_dump() prints every key with a one-line comment made
 * from its row (help, accepted values, default, alias); with
 * APP_CONFIG_DUMP_REFERENCE and the defaults it prints the reference file
 * config/flowscope.yaml byte for byte. Strings are always double-quoted
 * with escapes, so what is dumped loads back to the same options.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>

#ifdef FLOWSCOPE_HAVE_YAML
#include <yaml.h>
#endif

#include <fc_event.h>
#include <fc_key.h>
#include <fc_l7.h>
#include <fc_pkt.h>
#include <fc_reasm.h>

#include "config.h"
#include "pcap_reader.h"

/* Largest config file read. */
#define CFG_FILE_MAX (1u << 20)
/* Longest dotted key, including NUL ("ports[7].promiscuous" fits). */
#define CFG_KEY_MAX 96
/* Most keys one mapping may hold (every section has fewer rows). */
#define CFG_SEEN_MAX 32

/* Where a value comes from, for messages. */
struct cfg_ctx {
	const char *src;          /* file name; NULL on the command line */
	const char *opt;          /* "--timeout-tcp" for an alias, else NULL */
	int set;                  /* 1 for --set */
	unsigned long line, col;  /* 1-based; 0 = no position */
	char key[CFG_KEY_MAX];    /* key being set, "" at the top */
	const char *buf;          /* the YAML text (reader errors) */
	size_t len;
	char *err;
	size_t errlen;
};

/* Custom syntax of a STRING or LIST row. */
struct app_cfg_ops {
	/* STRING: parse s into the field. LIST: add item s. 0 or -EINVAL. */
	int (*parse)(struct cfg_ctx *c, struct app_options *o, const char *s);
	/* LIST: forget every item. */
	void (*clear)(struct app_options *o);
	/* STRING: the value (i = 0). LIST: item i, -ENOENT past the last. */
	int (*format)(const struct app_options *o, unsigned int i, char *buf,
		      size_t len);
};

static int cfg_error(struct cfg_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One message line: "PREFIX: text", to c->err or to stderr. */
static int
cfg_error(struct cfg_ctx *c, const char *fmt, ...)
{
	char pre[CFG_KEY_MAX + 1200], msg[1024];
	size_t n = 0;
	va_list ap;

	pre[0] = '\0';
	if (c->src != NULL && c->line > 0)
		n = (size_t)snprintf(pre, sizeof(pre), "%s:%lu:%lu: ", c->src,
				     c->line, c->col);
	else if (c->src != NULL)
		n = (size_t)snprintf(pre, sizeof(pre), "%s: ", c->src);
	if (n >= sizeof(pre))
		n = sizeof(pre) - 1;
	if (c->opt != NULL)
		snprintf(pre + n, sizeof(pre) - n, "%s: ", c->opt);
	else if (c->set)
		snprintf(pre + n, sizeof(pre) - n, "--set%s%s: ",
			 c->key[0] ? " " : "", c->key);
	else if (c->key[0] != '\0')
		snprintf(pre + n, sizeof(pre) - n, "%s: ", c->key);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "%s%s", pre, msg);
	else if (c->err == NULL)
		fprintf(stderr, "flowscope: %s%s\n", pre, msg);
	return -EINVAL;
}

static void
cfg_init(struct cfg_ctx *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->err = err;
	c->errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
}

/* ---- a bounded text writer ---- */

struct sbuf {
	char *p;
	size_t len;
	size_t used;
	int over;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->over || b->used >= b->len) {
		b->over = 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->used) {
		b->over = 1;
		b->p[b->len - 1] = '\0';
		return;
	}
	b->used += (size_t)n;
}

/* A YAML double-quoted scalar. */
static void
sb_quoted(struct sbuf *b, const char *s)
{
	sb_printf(b, "\"");
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			sb_printf(b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			sb_printf(b, "\\x%02x", ch);
		else
			sb_printf(b, "%c", ch);
	}
	sb_printf(b, "\"");
}

/* ---- enum names that live in the app ---- */

static const char *const switch_names[] = { "auto", "on", "off" };
static const char *const onoff_names[] = { "off", "on" };
static const char *const full_names[] = { "auto", "drop", "hold" };
static const char *const pcap_io_names[] = { "read", "mmap" };

static_assert(FC_DIM(switch_names) == APP_SW_OFF + 1, "switch names");
static_assert(FC_DIM(full_names) == APP_FULL_HOLD + 1, "full policy names");
static_assert(FC_DIM(pcap_io_names) == APP_PCAP_IO_MMAP + 1, "pcap io names");

static const char *
switch_name(unsigned int v)
{
	return v < FC_DIM(switch_names) ? switch_names[v] : "?";
}

static const char *
onoff_name(unsigned int v)
{
	return v < FC_DIM(onoff_names) ? onoff_names[v] : "?";
}

static const char *
full_name(unsigned int v)
{
	return v < FC_DIM(full_names) ? full_names[v] : "?";
}

static const char *
pcap_io_name(unsigned int v)
{
	return v < FC_DIM(pcap_io_names) ? pcap_io_names[v] : "?";
}

/* ---- custom syntaxes ---- */

/* decode.decap: "both" or KIND=POLICY[,...] as fc_pkt_parse_decap() takes it. */
static int
decap_parse(struct cfg_ctx *c, struct app_options *o, const char *s)
{
	if (fc_pkt_parse_decap(s, &o->tracker.pkt) != 0)
		return cfg_error(c, "bad policy '%s'", s);
	return 0;
}

static int
decap_format(const struct app_options *o, unsigned int i, char *buf, size_t len)
{
	const uint8_t *d = o->tracker.pkt.decap;
	struct sbuf b = { buf, len, 0, 0 };
	unsigned int t, same = 1;

	(void)i;
	for (t = FC_TUN_NONE + 2; t < FC_TUN_MAX; t++)
		same &= d[t] == d[FC_TUN_NONE + 1];
	if (same) {
		sb_printf(&b, "%s", fc_decap_name(d[FC_TUN_NONE + 1]));
	} else {
		for (t = FC_TUN_NONE + 1; t < FC_TUN_MAX; t++)
			sb_printf(&b, "%s%s=%s", t > FC_TUN_NONE + 1 ? "," : "",
				  fc_tunnel_name(t), fc_decap_name(d[t]));
	}
	return b.over ? -ENOSPC : 0;
}

/* events.types: the --events list syntax. */
static int
events_parse(struct cfg_ctx *c, struct app_options *o, const char *s)
{
	uint32_t m;

	if (fc_event_parse_mask(s, &m) != 0 || m == 0)
		return cfg_error(c, "bad list '%s'", s);
	o->tracker.event_mask = m;
	return 0;
}

static int
events_format(const struct app_options *o, unsigned int i, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0, 0 };
	uint32_t m = o->tracker.event_mask;
	unsigned int t, n = 0;

	(void)i;
	if (m == 0 || m == fc_event_default_mask()) {
		sb_printf(&b, "default");
	} else if (m == FC_EV_BIT(FC_EV_MAX) - 1) {
		sb_printf(&b, "all");
	} else {
		for (t = 0; t < FC_EV_MAX; t++)
			if (m & FC_EV_BIT(t))
				sb_printf(&b, "%s%s", n++ ? "," : "",
					  fc_event_type_name(t));
	}
	return b.over ? -ENOSPC : 0;
}

/* dump.gap_fill: skip, zero, or a byte value. */
static int
gap_parse(struct cfg_ctx *c, struct app_options *o, const char *s)
{
	char *end;
	unsigned long v;

	if (strcmp(s, "skip") == 0) {
		o->dump.gap_fill = APP_GAP_SKIP;
		o->dump.gap_byte = 0;
		return 0;
	}
	if (strcmp(s, "zero") == 0) {
		o->dump.gap_fill = APP_GAP_FILL;
		o->dump.gap_byte = 0;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 0);
	if (!isdigit((unsigned char)s[0]) || errno != 0 || *end != '\0' ||
	    v > 255)
		return cfg_error(c, "'%s' is not skip, zero or a byte value 0..255", s);
	o->dump.gap_fill = APP_GAP_FILL;
	o->dump.gap_byte = (uint8_t)v;
	return 0;
}

static int
gap_format(const struct app_options *o, unsigned int i, char *buf, size_t len)
{
	int n;

	(void)i;
	if (o->dump.gap_fill == APP_GAP_SKIP)
		n = snprintf(buf, len, "skip");
	else if (o->dump.gap_byte == 0)
		n = snprintf(buf, len, "zero");
	else
		n = snprintf(buf, len, "%u", o->dump.gap_byte);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* outputs: sink specs SCHEME:TARGET. */
static void
outputs_clear(struct app_options *o)
{
	o->n_outputs = 0;
}

static int
outputs_add(struct cfg_ctx *c, struct app_options *o, const char *s)
{
	const char *colon = strchr(s, ':');
	unsigned int i, ok = 0;
	char list[128];
	struct sbuf b = { list, sizeof(list), 0, 0 };

	if (o->n_outputs == APP_MAX_SINKS)
		return cfg_error(c, "at most %u sinks", APP_MAX_SINKS);
	if (strlen(s) >= APP_OUTPUT_SPEC_MAX)
		return cfg_error(c, "sink spec longer than %u bytes",
				 APP_OUTPUT_SPEC_MAX - 1);
	for (i = 0; app_sink_formats[i] != NULL; i++) {
		const char *sch = app_sink_formats[i]->scheme;

		sb_printf(&b, " %s", sch);
		if (colon != NULL && colon[1] != '\0' &&
		    strlen(sch) == (size_t)(colon - s) &&
		    strncmp(sch, s, (size_t)(colon - s)) == 0)
			ok = 1;
	}
	if (!ok)
		return cfg_error(c, "%s: unsupported sink; expected SCHEME:TARGET "
				 "with SCHEME one of%s", s, list);
	memcpy(o->output_buf[o->n_outputs], s, strlen(s) + 1);
	o->outputs[o->n_outputs] = o->output_buf[o->n_outputs];
	o->n_outputs++;
	return 0;
}

static int
outputs_format(const struct app_options *o, unsigned int i, char *buf, size_t len)
{
	if (i >= o->n_outputs)
		return -ENOENT;
	if (strlen(o->outputs[i]) >= len)
		return -ENOSPC;
	memcpy(buf, o->outputs[i], strlen(o->outputs[i]) + 1);
	return 0;
}

/* table.port_timeouts: PROTO/PORT=SECONDS items. */
static const struct {
	const char *name;
	uint8_t proto;
} l4_names[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "sctp", IPPROTO_SCTP },
};

static void
port_timeouts_clear(struct app_options *o)
{
	o->tracker.n_port_timeouts = 0;
}

static int
port_timeouts_add(struct cfg_ctx *c, struct app_options *o, const char *s)
{
	struct fc_tracker_params *tp = &o->tracker;
	struct fc_port_timeout *pt;
	char proto[8];
	unsigned int port, t, i;
	int n = 0;

	if (tp->n_port_timeouts >= FC_TRACKER_MAX_PORT_TIMEOUTS)
		return cfg_error(c, "at most %d overrides",
				 FC_TRACKER_MAX_PORT_TIMEOUTS);
	if (sscanf(s, "%7[a-z]/%u=%u%n", proto, &port, &t, &n) != 3 ||
	    s[n] != '\0' || port == 0 || port > 65535 || t == 0 || t > 65535)
		return cfg_error(c, "'%s' is not P/PORT=SECONDS (e.g. tcp/179=3600)",
				 s);
	pt = &tp->port_timeouts[tp->n_port_timeouts];
	for (i = 0; i < FC_DIM(l4_names); i++)
		if (strcmp(proto, l4_names[i].name) == 0)
			break;
	if (i == FC_DIM(l4_names))
		return cfg_error(c, "unknown protocol '%s' (tcp, udp, sctp)", proto);
	pt->proto = l4_names[i].proto;
	pt->port = (uint16_t)port;
	pt->timeout_s = (uint16_t)t;
	tp->n_port_timeouts++;
	return 0;
}

static int
port_timeouts_format(const struct app_options *o, unsigned int i, char *buf,
		     size_t len)
{
	const struct fc_port_timeout *pt;
	const char *name = "?";
	unsigned int j;
	int n;

	if (i >= o->tracker.n_port_timeouts)
		return -ENOENT;
	pt = &o->tracker.port_timeouts[i];
	for (j = 0; j < FC_DIM(l4_names); j++)
		if (l4_names[j].proto == pt->proto)
			name = l4_names[j].name;
	n = snprintf(buf, len, "%s/%u=%u", name, pt->port, pt->timeout_s);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* parsers.enabled: protocol names, kept as a set. */
static void
parsers_clear(struct app_options *o)
{
	o->l7.enabled = 0;
}

static int
parsers_add(struct cfg_ctx *c, struct app_options *o, const char *s)
{
	unsigned int p;

	for (p = FC_L7_NONE + 1; p < FC_L7_PROTO_MAX; p++) {
		if (strcmp(s, fc_l7_proto_name(p)) == 0) {
			o->l7.enabled |= 1u << p;
			return 0;
		}
	}
	return cfg_error(c, "unknown parser '%s' (http, tls, dns)", s);
}

static int
parsers_format(const struct app_options *o, unsigned int i, char *buf, size_t len)
{
	unsigned int p, k = 0;

	for (p = FC_L7_NONE + 1; p < FC_L7_PROTO_MAX; p++) {
		if (!(o->l7.enabled & (1u << p)))
			continue;
		if (k++ == i) {
			if (strlen(fc_l7_proto_name(p)) >= len)
				return -ENOSPC;
			memcpy(buf, fc_l7_proto_name(p), strlen(fc_l7_proto_name(p)) + 1);
			return 0;
		}
	}
	return -ENOENT;
}

static const struct app_cfg_ops decap_ops = { decap_parse, NULL, decap_format };
static const struct app_cfg_ops events_ops = { events_parse, NULL, events_format };
static const struct app_cfg_ops gap_ops = { gap_parse, NULL, gap_format };
static const struct app_cfg_ops outputs_ops = {
	outputs_add, outputs_clear, outputs_format };
static const struct app_cfg_ops port_timeouts_ops = {
	port_timeouts_add, port_timeouts_clear, port_timeouts_format };
static const struct app_cfg_ops parsers_ops = {
	parsers_add, parsers_clear, parsers_format };

/* ---- the schema ---- */

#define FLD(f) .off = offsetof(struct app_options, f), \
	.size = sizeof(((struct app_options *)0)->f)
#define ITEM(f) .off = offsetof(struct app_port_cfg, f), \
	.size = sizeof(((struct app_port_cfg *)0)->f)
#define SECTION(k, h) { .key = k, .type = APP_CFG_SECTION, .help = h }
#define ENUM_OF(fn, n) .type = APP_CFG_ENUM, .enum_name = fn, .n_enum = n

const struct app_cfg_key app_cfg_keys[] = {
	{ .key = "ports", .type = APP_CFG_PORTS, FLD(ports), .def = "",
	  .values = "list of mappings of the keys below",
	  .help = "ethdev ports to set up (live mode); empty: every probed port "
		  "with the defaults below",
	  .example = "[{name: net_pcap0, rx_queues: 2}]" },
	{ .key = "ports.name", .type = APP_CFG_STRING, .flags = APP_CFG_F_ITEM,
	  ITEM(name), .def = "", .values = "text (required)",
	  .help = "device name (PCI address 0000:01:00.0, vdev net_pcap0) or port id (\"0\")",
	  .example = "0000:01:00.0" },
	{ .key = "ports.rx_queues", .type = APP_CFG_UINT,
	  .flags = APP_CFG_F_ITEM | APP_CFG_F_ZERO, ITEM(rx_queues),
	  .min = 1, .max = 64, .def = "0",
	  .help = "RX queues; 0 = one per RX lcore" },
	{ .key = "ports.rx_desc", .type = APP_CFG_UINT,
	  .flags = APP_CFG_F_ITEM | APP_CFG_F_POW2, ITEM(rx_desc),
	  .min = 64, .max = 32768, .def = "1024",
	  .help = "RX descriptors per queue" },
	{ .key = "ports.mtu", .type = APP_CFG_UINT,
	  .flags = APP_CFG_F_ITEM | APP_CFG_F_ZERO, ITEM(mtu),
	  .min = 68, .max = 16128, .def = "0",
	  .help = "MTU to set; 0 = leave the device's" },
	{ .key = "ports.promiscuous", .type = APP_CFG_BOOL, .flags = APP_CFG_F_ITEM,
	  ITEM(promiscuous), .def = "true",
	  .help = "receive every frame, not only those addressed to the port" },
	{ .key = "ports.rss", ENUM_OF(switch_name, FC_DIM(switch_names)),
	  .flags = APP_CFG_F_ITEM, ITEM(rss), .def = "auto", .arg = "MODE",
	  .help = "symmetric RSS over the RX queues; auto = where the device has it, "
		  "on = required (a device without RSS is an error), off = the "
		  "dispatch lcore spreads flows" },

	SECTION("lcores", "which lcores do what"),
	{ .key = "lcores.rx", .type = APP_CFG_UINT, FLD(lcores.rx),
	  .min = 1, .max = 32, .def = "1", .opt = "rx-lcores", .arg = "N",
	  .help = "RX worker lcores, each with its own flow table; with --pcap each "
		  "reads the file and keeps its share of the flows (2 uses both "
		  "cores of a 2-core machine)" },
	{ .key = "lcores.dispatch", ENUM_OF(switch_name, FC_DIM(switch_names)),
	  FLD(lcores.dispatch), .def = "auto", .opt = "dispatch", .arg = "MODE",
	  .help = "software dispatch lcore hashing flows to workers; auto = for "
		  "devices without RSS" },
	{ .key = "lcores.export", ENUM_OF(onoff_name, FC_DIM(onoff_names)),
	  FLD(lcores.export_lcore), .def = "on", .opt = "no-export-lcore",
	  .flag_value = "off",
	  .help = "an export lcore owning the sinks, fed by rings; off "
		  "(--no-export-lcore) = the one RX lcore writes them" },
	{ .key = "lcores.idle_backoff_us", .type = APP_CFG_UINT,
	  FLD(lcores.idle_backoff_us), .min = 0, .max = 100000, .def = "100",
	  .help = "longest sleep of an idle lcore, microseconds (0 = busy poll)" },

	SECTION("table", "the flow table of each RX lcore"),
	{ .key = "table.max_flows", .type = APP_CFG_UINT, .flags = APP_CFG_F_ZERO,
	  FLD(tracker.max_flows), .min = 8, .max = 1ul << 28, .def = "0",
	  .opt = "max-flows", .arg = "N",
	  .help = "flow table capacity per RX lcore; 0 = auto: 1000000 live, "
		  "250000 offline" },
	{ .key = "table.key", ENUM_OF(fc_key_mode_name, FC_KEY_MODE_MAX),
	  FLD(tracker.key.mode), .def = "5tuple", .opt = "key", .arg = "MODE",
	  .help = "flow key; 5tuple makes both directions one flow, 5tuple-uni "
		  "one flow each" },
	{ .key = "table.key_vlan", .type = APP_CFG_BOOL, FLD(tracker.key.flags),
	  .mask = FC_KEY_F_VLAN, .def = "false", .opt = "key-vlan",
	  .flag_value = "true",
	  .help = "make the outer VLAN id part of the flow key" },
	{ .key = "table.key_tunnel_id", .type = APP_CFG_BOOL, FLD(tracker.key.flags),
	  .mask = FC_KEY_F_TUNNEL_ID, .def = "false", .opt = "key-tunnel-id",
	  .flag_value = "true",
	  .help = "make the tunnel id (VNI, TEID, GRE key) part of inner flow keys" },
	SECTION("table.timeouts", "idle timeouts by protocol and TCP state"),
	{ .key = "table.timeouts.tcp", .type = APP_CFG_SECONDS,
	  FLD(tracker.timeout_tcp), .min = 1, .max = 65535, .def = "300",
	  .opt = "timeout-tcp", .arg = "S",
	  .help = "idle timeout of established TCP flows" },
	{ .key = "table.timeouts.tcp_embryonic", .type = APP_CFG_SECONDS,
	  FLD(tracker.timeout_tcp_embryonic), .min = 1, .max = 65535, .def = "30",
	  .opt = "timeout-tcp-embryonic", .arg = "S",
	  .help = "idle timeout of TCP flows not yet established" },
	{ .key = "table.timeouts.tcp_closing", .type = APP_CFG_SECONDS,
	  FLD(tracker.timeout_tcp_closing), .min = 1, .max = 65535, .def = "30",
	  .opt = "timeout-tcp-closing", .arg = "S",
	  .help = "idle timeout of TCP flows after a FIN" },
	{ .key = "table.timeouts.tcp_closed", .type = APP_CFG_SECONDS,
	  FLD(tracker.timeout_tcp_closed), .min = 1, .max = 65535, .def = "5",
	  .opt = "timeout-tcp-closed", .arg = "S",
	  .help = "linger of a closed or reset TCP flow for trailing packets" },
	{ .key = "table.timeouts.tcp_partial", .type = APP_CFG_SECONDS,
	  FLD(tracker.timeout_tcp_partial), .min = 1, .max = 65535, .def = "3",
	  .opt = "timeout-tcp-partial", .arg = "S",
	  .help = "idle timeout after an endpoint opens with FIN or RST" },
	{ .key = "table.timeouts.udp", .type = APP_CFG_SECONDS,
	  FLD(tracker.timeout_udp), .min = 1, .max = 65535, .def = "60",
	  .opt = "timeout-udp", .arg = "S",
	  .help = "idle timeout of UDP flows" },
	{ .key = "table.timeouts.other", .type = APP_CFG_SECONDS,
	  FLD(tracker.timeout_other), .min = 1, .max = 65535, .def = "30",
	  .opt = "timeout-other", .arg = "S",
	  .help = "idle timeout of other flows (ICMP, SCTP, L2)" },
	{ .key = "table.port_timeouts", .type = APP_CFG_LIST,
	  FLD(tracker.port_timeouts), .def = "", .opt = "port-timeout",
	  .arg = "P/PORT=S", .ops = &port_timeouts_ops,
	  .values = "list of PROTO/PORT=SECONDS, PROTO tcp|udp|sctp, at most 15; at most 16 different timeouts with table.timeouts",
	  .help = "idle timeout for flows with PORT on either side (repeatable); "
		  "udp/53=10 applies unless udp/53 is listed",
	  .example = "tcp/179=3600", .bad = "tcp/80" },
	{ .key = "table.expire_budget", .type = APP_CFG_UINT,
	  FLD(tracker.expire_budget), .min = 1, .max = 1u << 20, .def = "256",
	  .help = "timer wheel slots visited per expiry call" },
	{ .key = "table.evict_budget", .type = APP_CFG_UINT,
	  FLD(tracker.evict_budget), .min = 1, .max = 4096, .def = "64",
	  .help = "flows examined to pick an eviction victim when the table is full" },

	SECTION("decode", "packet decoding and tunnels"),
	{ .key = "decode.decap", .type = APP_CFG_STRING, FLD(tracker.pkt.decap),
	  .def = "both", .opt = "decap", .arg = "POLICY", .ops = &decap_ops,
	  .values = "both|outer|inner|none, or KIND=POLICY[,...] with KIND "
		    "gre|vxlan|gtpu|ipip|teredo",
	  .help = "tunnel policy: both tracks the outer and the inner flow",
	  .example = "gre=inner,vxlan=outer", .bad = "gre=sideways" },
	{ .key = "decode.vxlan_port", .type = APP_CFG_UINT,
	  FLD(tracker.pkt.vxlan_port), .min = 1, .max = 65535, .def = "4789",
	  .opt = "vxlan-port", .arg = "PORT", .help = "UDP port of VXLAN" },
	{ .key = "decode.gtpu_port", .type = APP_CFG_UINT,
	  FLD(tracker.pkt.gtpu_port), .min = 1, .max = 65535, .def = "2152",
	  .opt = "gtpu-port", .arg = "PORT", .help = "UDP port of GTP-U" },
	{ .key = "decode.verify_checksums", .type = APP_CFG_BOOL,
	  FLD(tracker.verify_checksums), .def = "false",
	  .opt = "verify-checksums", .flag_value = "true",
	  .help = "check TCP/UDP checksums: a bad one is Zeek's C letter and the "
		  "packet is only counted (off: captures of the sending host carry "
		  "offloaded, unfinished checksums)" },

	SECTION("reassembly", "TCP stream reassembly, per RX lcore"),
	{ .key = "reassembly.enabled", .type = APP_CFG_BOOL, FLD(reasm_enabled),
	  .def = "true", .opt = "no-reassembly", .flag_value = "false", .help = "reassemble TCP streams (the session parsers need it)" },
	{ .key = "reassembly.max_streams", .type = APP_CFG_UINT,
	  FLD(reasm.max_streams), .min = 1, .max = 1u << 24, .def = "65536",
	  .help = "stream states (one per flow side with payload)" },
	{ .key = "reassembly.memcap", .type = APP_CFG_BYTES, FLD(reasm.memcap),
	  .min = 1u << 20, .max = UINT64_C(64) << 30, .def = "64m",
	  .help = "memory for out-of-order segments" },
	{ .key = "reassembly.side_cap", .type = APP_CFG_BYTES, FLD(reasm.side_cap),
	  .min = 1u << 10, .max = 1u << 30, .def = "256k",
	  .help = "out-of-order bytes buffered per flow side" },
	{ .key = "reassembly.max_ooo_segs", .type = APP_CFG_UINT,
	  FLD(reasm.max_ooo_segs), .min = 1, .max = 65535, .def = "256",
	  .help = "out-of-order segments buffered per flow side" },
	{ .key = "reassembly.ooo_deadline_ms", .type = APP_CFG_UINT,
	  FLD(reasm.ooo_deadline_ms), .min = 1, .max = 3600000, .def = "1000",
	  .help = "a hole older than this (packet time, ms) becomes a gap" },
	{ .key = "reassembly.overflow",
	  ENUM_OF(fc_reasm_overflow_name, FC_REASM_OVERFLOW_MAX),
	  FLD(reasm.overflow), .def = "sliding_window", .opt = "reassembly-overflow",
	  .arg = "POLICY",
	  .help = "a side at its limits: sliding_window skips the hole, drop_flow "
		  "ends the flow" },

	SECTION("parsers", "session parsers"),
	{ .key = "parsers.enabled", .type = APP_CFG_LIST, FLD(l7.enabled),
	  .def = "http,tls,dns", .opt = "parser", .arg = "NAME", .ops = &parsers_ops,
	  .values = "list of http|tls|dns",
	  .help = "parsers to run", .example = "dns", .bad = "smtp" },
	{ .key = "parsers.probe_limit", .type = APP_CFG_BYTES, FLD(l7.probe_limit),
	  .min = 16, .max = 1u << 20, .def = "4k",
	  .help = "bytes of a flow side probed before giving up on finding a parser" },

	SECTION("events", "what the workers emit and how it reaches the sinks"),
	{ .key = "events.types", .type = APP_CFG_STRING, FLD(tracker.event_mask),
	  .def = "default", .opt = "events", .arg = "LIST", .ops = &events_ops,
	  .values = "comma list of flow_start,established,state_change,flow_end,"
		    "packet,anomaly,flow_update,session, or all, default, +TYPE",
	  .help = "event types to emit; default = all but packet and anomaly",
	  .example = "+packet", .bad = "flow_middle" },
	{ .key = "events.flow_update_interval", .type = APP_CFG_SECONDS,
	  FLD(events.flow_update_interval), .min = 0, .max = 86400, .def = "0",
	  .opt = "flow-update-interval", .arg = "S",
	  .help = "seconds between flow_update events of a long flow (0 = off)" },
	{ .key = "events.ring_size", .type = APP_CFG_UINT, .flags = APP_CFG_F_POW2,
	  FLD(events.ring_size), .min = 64, .max = 1u << 20, .def = "4096",
	  .help = "event ring entries per worker" },
	{ .key = "events.pool_size", .type = APP_CFG_UINT, FLD(events.pool_size),
	  .min = 1024, .max = 1u << 24, .def = "16384",
	  .help = "events in flight per worker" },
	{ .key = "events.full_policy", ENUM_OF(full_name, FC_DIM(full_names)),
	  FLD(events.full_policy), .def = "auto", .opt = "full-policy", .arg = "POLICY",
	  .help = "a full ring or event pool: drop counts the events as dropped, "
		  "hold stalls RX until there is room; auto = hold when every port "
		  "replays a pcap file (offline runs lose nothing), drop live" },

	{ .key = "outputs", .type = APP_CFG_LIST, FLD(outputs), .def = "ndjson:-",
	  .opt = "output", .arg = "SINK", .ops = &outputs_ops,
	  .values = "list of SCHEME:TARGET, at most 8",
	  .help = "where events go (repeatable): ndjson:- (stdout) or ndjson:FILE, "
		  "eve:FILE (Suricata EVE flow, http, tls, dns), zeek:DIR (DIR/conn.log, "
		  "http.log, ssl.log, dns.log), "
		  "ipfix:udp://HOST:PORT, ipfix:tcp://HOST:PORT or ipfix:FILE with "
		  "options ?mode=biflow|uniflow&template_interval=S&mtu=N; empty = "
		  "the default",
	  .example = "ndjson:/tmp/flows.json", .bad = "csv:-" },

	SECTION("stats", "the stats object"),
	{ .key = "stats.interval", .type = APP_CFG_SECONDS, FLD(stats_interval),
	  .min = 0, .max = 86400, .def = "0", .opt = "stats-interval", .arg = "S",
	  .help = "emit stats every S seconds of packet time (0 = only at exit)" },
	{ .key = "stats.enabled", .type = APP_CFG_BOOL, FLD(print_stats),
	  .def = "true", .opt = "no-stats", .flag_value = "false",
	  .help = "emit stats objects (--no-stats: do not)" },

	SECTION("dump", "raw stream dumps"),
	{ .key = "dump.streams_dir", .type = APP_CFG_STRING, FLD(dump.streams_dir),
	  .def = "", .opt = "dump-streams", .arg = "DIR",
	  .values = "a directory, \"\" = off",
	  .help = "write each reassembled stream side to a file in DIR",
	  .example = "/tmp/streams" },
	{ .key = "dump.gap_fill", .type = APP_CFG_STRING, FLD(dump.gap_fill),
	  .def = "skip", .opt = "dump-gap-fill", .arg = "FILL", .ops = &gap_ops,
	  .values = "skip|zero|a byte value 0..255",
	  .help = "what a dumped stream holds where reassembly found a gap",
	  .example = "0x2e", .bad = "256" },

	{ .key = "pcap_ethdev", .type = APP_CFG_BOOL, FLD(pcap_ethdev),
	  .def = "false", .opt = "pcap-ethdev", .flag_value = "true",
	  .help = "read --pcap through DPDK's net_pcap device instead of the "
		  "zero-copy reader (so too with lcores.dispatch on); with the "
		  "reader and lcores.rx > 1, each worker reads the file and keeps "
		  "its share of the flows" },
	{ .key = "pcap_io", ENUM_OF(pcap_io_name, FC_DIM(pcap_io_names)),
	  FLD(pcap_io), .def = "read", .opt = "pcap-io", .arg = "MODE",
	  .help = "how the reader takes in the --pcap file: read = pread(2) into "
		  "one reused 1 MiB window, mmap = a read-only mapping of the whole "
		  "file; frames are never copied in either (read is the faster "
		  "where first touching a mapped page is dear, as in virtual "
		  "machines: tests/bench/bench_pcap_reader --io)" },
	SECTION("memory", "packet buffers (mbufs): one pool per ethdev port"),
	{ .key = "memory.mbufs", .type = APP_CFG_UINT, .flags = APP_CFG_F_ZERO,
	  FLD(mem.mbufs), .min = 1024, .max = 1u << 26, .def = "0",
	  .opt = "mbufs", .arg = "N",
	  .help = "mbufs in each port's pool; 0 = auto: RX descriptors, rings and "
		  "caches, plus every packet of a net_pcap infinite_rx file",
	  .example = "262144" },
	{ .key = "memory.mbuf_size", .type = APP_CFG_BYTES, .flags = APP_CFG_F_ZERO,
	  FLD(mem.mbuf_size), .min = 1024, .max = 65535, .def = "0",
	  .opt = "mbuf-size", .arg = "B",
	  .help = "data room of one mbuf, headroom included; 0 = auto: 2176 (2048 "
		  "B of frame), more if a net_pcap infinite_rx file has larger frames",
	  .example = "9k", .bad = "65536" },
	{ .key = "memory_mb", .type = APP_CFG_UINT, .flags = APP_CFG_F_ZERO,
	  FLD(mem_mb), .min = 64, .max = 1u << 20, .def = "0",
	  .opt = "memory", .arg = "MB",
	  .help = "DPDK heap in offline mode, MB; 0 = sized from table.max_flows" },
};

const unsigned int app_cfg_n_keys = FC_DIM(app_cfg_keys);

/* ---- lookups ---- */

static const struct app_cfg_key *
cfg_find(const char *key, size_t n, int item)
{
	unsigned int i;

	for (i = 0; i < app_cfg_n_keys; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];

		if (!(k->flags & APP_CFG_F_ITEM) != !item)
			continue;
		if (item) {
			/* item rows are "ports.NAME": match NAME */
			const char *dot = strchr(k->key, '.');

			if (strlen(dot + 1) == n && memcmp(dot + 1, key, n) == 0)
				return k;
		} else if (strlen(k->key) == n && memcmp(k->key, key, n) == 0) {
			return k;
		}
	}
	return NULL;
}

const struct app_cfg_key *
app_config_key(const char *key)
{
	const struct app_cfg_key *k = cfg_find(key, strlen(key), 0);
	unsigned int i;

	if (k != NULL)
		return k;
	for (i = 0; i < app_cfg_n_keys; i++)
		if (strcmp(app_cfg_keys[i].key, key) == 0)
			return &app_cfg_keys[i];
	return NULL;
}

/* The part of a key after its last dot. */
static const char *
leaf_name(const char *key)
{
	const char *dot = strrchr(key, '.');

	return dot != NULL ? dot + 1 : key;
}

/* ---- scalar values ---- */

static uint64_t
field_get(const void *p, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	default: memcpy(&u64, p, 8); return u64;
	}
}

static void
field_put(void *p, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case 1: memcpy(p, &u8, 1); break;
	case 2: memcpy(p, &u16, 2); break;
	case 4: memcpy(p, &u32, 4); break;
	default: memcpy(p, &v, 8); break;
	}
}

static int
parse_bool(const char *s, int *v)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	unsigned int i;

	for (i = 0; i < FC_DIM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*v = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*v = 0;
			return 0;
		}
	}
	return -EINVAL;
}

/* Multiplier of a size or duration suffix; 0 if not one. */
static uint64_t
suffix_mult(uint8_t type, const char *s)
{
	if (s[0] == '\0')
		return 1;
	if (s[1] != '\0')
		return 0;
	if (type == APP_CFG_BYTES) {
		switch (s[0]) {
		case 'k': case 'K': return UINT64_C(1) << 10;
		case 'm': case 'M': return UINT64_C(1) << 20;
		case 'g': case 'G': return UINT64_C(1) << 30;
		}
	} else if (type == APP_CFG_SECONDS) {
		switch (s[0]) {
		case 's': return 1;
		case 'm': return 60;
		case 'h': return 3600;
		case 'd': return 86400;
		}
	}
	return 0;
}

/* A number as the row writes it: bytes with the largest exact suffix. */
static void
sb_number(struct sbuf *b, uint8_t type, uint64_t v)
{
	if (type == APP_CFG_BYTES && v != 0) {
		if (v % (UINT64_C(1) << 30) == 0) {
			sb_printf(b, "%llug", (unsigned long long)(v >> 30));
			return;
		}
		if (v % (UINT64_C(1) << 20) == 0) {
			sb_printf(b, "%llum", (unsigned long long)(v >> 20));
			return;
		}
		if (v % (UINT64_C(1) << 10) == 0) {
			sb_printf(b, "%lluk", (unsigned long long)(v >> 10));
			return;
		}
	}
	sb_printf(b, "%llu", (unsigned long long)v);
}

/* "[min, max]" plus what else is accepted, for range messages. */
static void
range_text(const struct app_cfg_key *k, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0, 0 };

	sb_printf(&b, "[");
	sb_number(&b, k->type, k->min);
	sb_printf(&b, ", ");
	sb_number(&b, k->type, k->max);
	sb_printf(&b, "]");
	if (k->flags & APP_CFG_F_ZERO)
		sb_printf(&b, " or 0");
}

static int
set_number(struct cfg_ctx *c, const struct app_cfg_key *k, void *field,
	   const char *s)
{
	char range[96];
	const char *p = s;
	uint64_t v = 0, mult;

	range_text(k, range, sizeof(range));
	if (!isdigit((unsigned char)*p))
		return cfg_error(c, "'%s' is not a number in %s", s, range);
	while (isdigit((unsigned char)*p)) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return cfg_error(c, "'%s' is out of range %s", s, range);
		v = v * 10 + d;
		p++;
	}
	mult = suffix_mult(k->type, p);
	if (mult == 0)
		return cfg_error(c, "'%s' is not a number in %s%s", s, range,
				 k->type == APP_CFG_BYTES ? " (suffixes k, m, g)" :
				 k->type == APP_CFG_SECONDS ?
				 " (suffixes s, m, h, d)" : "");
	if (v > UINT64_MAX / mult)
		return cfg_error(c, "'%s' is out of range %s", s, range);
	v *= mult;
	if (!(v == 0 && (k->flags & APP_CFG_F_ZERO)) && (v < k->min || v > k->max))
		return cfg_error(c, "'%s' is out of range %s", s, range);
	if ((k->flags & APP_CFG_F_POW2) && v != 0 && (v & (v - 1)) != 0)
		return cfg_error(c, "'%s' is not a power of two", s);
	field_put(field, k->size, v);
	return 0;
}

/*
 * Set a scalar row from text. base is the options, or the port entry for
 * an item row; o is the options either way (custom hooks).
 */
static int
cfg_set_scalar(struct cfg_ctx *c, const struct app_cfg_key *k,
	       struct app_options *o, void *base, const char *s)
{
	uint8_t *field = (uint8_t *)base + k->off;
	unsigned int i;
	int b;

	switch (k->type) {
	case APP_CFG_BOOL:
		if (parse_bool(s, &b) != 0)
			return cfg_error(c, "'%s' is not true or false", s);
		if (k->mask != 0)
			*field = (uint8_t)(b ? (*field | k->mask) : (*field & ~k->mask));
		else
			field_put(field, k->size, (uint64_t)b);
		return 0;
	case APP_CFG_UINT:
	case APP_CFG_BYTES:
	case APP_CFG_SECONDS:
		return set_number(c, k, field, s);
	case APP_CFG_ENUM: {
		char list[256];
		struct sbuf lb = { list, sizeof(list), 0, 0 };
		char what[16];
		size_t j;

		for (i = 0; i < k->n_enum; i++) {
			if (strcmp(s, k->enum_name(i)) == 0) {
				field_put(field, k->size, i);
				return 0;
			}
			sb_printf(&lb, "%s%s", i ? ", " : "", k->enum_name(i));
		}
		snprintf(what, sizeof(what), "%s", k->arg != NULL ? k->arg : "value");
		for (j = 0; what[j] != '\0'; j++)
			what[j] = (char)tolower((unsigned char)what[j]);
		return cfg_error(c, "unknown %s '%s' (%s)", what, s, list);
	}
	case APP_CFG_STRING:
		if (k->ops != NULL)
			return k->ops->parse(c, o, s);
		if (strlen(s) >= k->size)
			return cfg_error(c, "longer than %zu bytes", k->size - 1);
		memset(field, 0, k->size);
		memcpy(field, s, strlen(s));
		return 0;
	default:
		return cfg_error(c, "expected a list");
	}
}

static void
cfg_list_clear(const struct app_cfg_key *k, struct app_options *o)
{
	k->ops->clear(o);
}

static int
cfg_list_add(struct cfg_ctx *c, const struct app_cfg_key *k,
	     struct app_options *o, const char *s)
{
	return k->ops->parse(c, o, s);
}

/* Apply a default text: scalars as they are, lists split on ','. */
static void
cfg_apply_default(const struct app_cfg_key *k, struct app_options *o, void *base)
{
	struct cfg_ctx c;
	char item[256];
	const char *p;
	int rc = 0;

	cfg_init(&c, NULL, 0);
	snprintf(c.key, sizeof(c.key), "%s (default)", k->key);
	if (k->type == APP_CFG_SECTION)
		return;
	if (k->type == APP_CFG_PORTS) {
		o->n_port_cfg = 0;
		return;
	}
	if (k->type != APP_CFG_LIST) {
		rc = cfg_set_scalar(&c, k, o, base, k->def);
	} else {
		cfg_list_clear(k, o);
		for (p = k->def; rc == 0 && *p != '\0';) {
			size_t n = strcspn(p, ",");

			snprintf(item, sizeof(item), "%.*s", (int)n, p);
			rc = cfg_list_add(&c, k, o, item);
			p += n + (p[n] == ',');
		}
	}
	if (rc != 0)
		abort(); /* a schema row whose default it rejects */
}

void
app_config_defaults(struct app_options *o)
{
	unsigned int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < app_cfg_n_keys; i++)
		if (!(app_cfg_keys[i].flags & APP_CFG_F_ITEM))
			cfg_apply_default(&app_cfg_keys[i], o, o);
}

/* outputs[] point into output_buf[]: re-aim them after a struct copy. */
static void
cfg_fix_pointers(struct app_options *o)
{
	unsigned int i;

	for (i = 0; i < APP_MAX_SINKS; i++)
		o->outputs[i] = i < o->n_outputs ? o->output_buf[i] : NULL;
}

#ifdef FLOWSCOPE_HAVE_YAML

/* strlcpy: copy what fits, always terminated. */
static void
copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A new `ports` entry with the item defaults. */
static struct app_port_cfg *
cfg_port_new(struct cfg_ctx *c, struct app_options *o)
{
	struct app_port_cfg *p;
	unsigned int i;

	if (o->n_port_cfg == APP_MAX_PORTS) {
		cfg_error(c, "at most %d ports", APP_MAX_PORTS);
		return NULL;
	}
	p = &o->ports[o->n_port_cfg++];
	memset(p, 0, sizeof(*p));
	for (i = 0; i < app_cfg_n_keys; i++)
		if (app_cfg_keys[i].flags & APP_CFG_F_ITEM)
			cfg_apply_default(&app_cfg_keys[i], o, p);
	return p;
}

/* A finished `ports` entry: a name, not used by an earlier entry. */
static int
cfg_port_check(struct cfg_ctx *c, struct app_options *o)
{
	const struct app_port_cfg *p = &o->ports[o->n_port_cfg - 1];
	unsigned int i;

	if (p->name[0] == '\0')
		return cfg_error(c, "a port needs a name");
	for (i = 0; i + 1 < o->n_port_cfg; i++)
		if (strcmp(o->ports[i].name, p->name) == 0)
			return cfg_error(c, "port '%s' is listed twice", p->name);
	return 0;
}

/* ---- YAML ---- */

struct cfg_yaml {
	yaml_parser_t parser;
	yaml_event_t ev;
	int have;                 /* ev holds an event */
	struct cfg_ctx *c;
	struct app_options *o;
};

static const char *
ev_what(yaml_event_type_t t)
{
	switch (t) {
	case YAML_SCALAR_EVENT: return "a scalar";
	case YAML_SEQUENCE_START_EVENT: return "a list";
	case YAML_MAPPING_START_EVENT: return "a mapping";
	default: return "nothing";
	}
}

/* A libyaml error: its mark (or, for reader errors, its byte offset). */
static int
y_problem(struct cfg_yaml *y)
{
	struct cfg_ctx *c = y->c;
	yaml_parser_t *p = &y->parser;
	const char *problem = p->problem != NULL ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR)
		return cfg_error(c, "out of memory reading YAML");
	if (p->error == YAML_READER_ERROR) {
		size_t off = p->problem_offset, i;

		c->line = 1;
		c->col = 1;
		for (i = 0; i < off && i < c->len; i++) {
			if (c->buf[i] == '\n') {
				c->line++;
				c->col = 1;
			} else {
				c->col++;
			}
		}
		if (p->problem_value != -1)
			return cfg_error(c, "malformed YAML: %s (byte 0x%02x)",
					 problem, (unsigned int)p->problem_value & 0xff);
		return cfg_error(c, "malformed YAML: %s", problem);
	}
	c->line = (unsigned long)p->problem_mark.line + 1;
	c->col = (unsigned long)p->problem_mark.column + 1;
	return cfg_error(c, "malformed YAML: %s%s%s%s", problem,
			 p->context ? " (" : "", p->context ? p->context : "",
			 p->context ? ")" : "");
}

/*
 * Explicit tags: the core ones (!!str, !!int, ...) change nothing, since
 * the schema gives every value its type; any other (!!binary, !local)
 * would mean something this parser does not do, so it is refused.
 */
static int
y_check_tag(struct cfg_yaml *y)
{
	static const char *const core[] = { "str", "int", "bool", "null", "map",
					    "seq", "float" };
	static const char prefix[] = "tag:yaml.org,2002:";
	const char *tag = NULL;
	unsigned int i;

	if (y->ev.type == YAML_SCALAR_EVENT)
		tag = (const char *)y->ev.data.scalar.tag;
	else if (y->ev.type == YAML_SEQUENCE_START_EVENT)
		tag = (const char *)y->ev.data.sequence_start.tag;
	else if (y->ev.type == YAML_MAPPING_START_EVENT)
		tag = (const char *)y->ev.data.mapping_start.tag;
	if (tag == NULL || strcmp(tag, "!") == 0)
		return 0;
	if (strncmp(tag, prefix, sizeof(prefix) - 1) == 0)
		for (i = 0; i < FC_DIM(core); i++)
			if (strcmp(tag + sizeof(prefix) - 1, core[i]) == 0)
				return 0;
	return cfg_error(y->c, "tag '%.64s' is not supported", tag);
}

/* Next event; its start is the position of later messages. */
static int
y_next(struct cfg_yaml *y)
{
	if (y->have) {
		yaml_event_delete(&y->ev);
		y->have = 0;
	}
	if (!yaml_parser_parse(&y->parser, &y->ev))
		return y_problem(y);
	y->have = 1;
	if (y->c->src != NULL) {
		y->c->line = (unsigned long)y->ev.start_mark.line + 1;
		y->c->col = (unsigned long)y->ev.start_mark.column + 1;
	}
	if (y->ev.type == YAML_ALIAS_EVENT)
		return cfg_error(y->c, "aliases (*%s) are not supported",
				 (const char *)y->ev.data.alias.anchor);
	return y_check_tag(y);
}

/* The current scalar as a C string; NUL bytes inside are refused. */
static int
y_scalar(struct cfg_yaml *y, const char **s)
{
	const char *v = (const char *)y->ev.data.scalar.value;

	if (strlen(v) != y->ev.data.scalar.length)
		return cfg_error(y->c, "a NUL byte inside a value");
	*s = v;
	return 0;
}

/* An empty plain scalar, ~ or null. */
static int
y_is_null(const struct cfg_yaml *y)
{
	const char *v = (const char *)y->ev.data.scalar.value;

	if (y->ev.type != YAML_SCALAR_EVENT ||
	    y->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static int y_mapping(struct cfg_yaml *y, const char *prefix, void *item);

/* The value of row k; the current event is its first one. */
static int
y_value(struct cfg_yaml *y, const struct app_cfg_key *k, void *base)
{
	struct cfg_ctx *c = y->c;
	const char *s = NULL;
	int rc;

	switch (k->type) {
	case APP_CFG_SECTION:
		if (y->ev.type == YAML_MAPPING_START_EVENT)
			return y_mapping(y, k->key, NULL);
		if (y_is_null(y))
			return 0;
		return cfg_error(c, "expected a mapping, not %s", ev_what(y->ev.type));
	case APP_CFG_LIST:
		if (y->ev.type == YAML_SCALAR_EVENT) {
			cfg_list_clear(k, y->o);
			if (y_is_null(y))
				return 0;
			if (y_scalar(y, &s) != 0)
				return -EINVAL;
			return cfg_list_add(c, k, y->o, s);
		}
		if (y->ev.type != YAML_SEQUENCE_START_EVENT)
			return cfg_error(c, "expected a list, not %s", ev_what(y->ev.type));
		cfg_list_clear(k, y->o);
		for (;;) {
			if ((rc = y_next(y)) != 0)
				return rc;
			if (y->ev.type == YAML_SEQUENCE_END_EVENT)
				return 0;
			if (y->ev.type != YAML_SCALAR_EVENT)
				return cfg_error(c, "list items must be scalars, not %s",
						 ev_what(y->ev.type));
			if (y_scalar(y, &s) != 0 || cfg_list_add(c, k, y->o, s) != 0)
				return -EINVAL;
		}
	case APP_CFG_PORTS:
		if (y_is_null(y)) {
			y->o->n_port_cfg = 0;
			return 0;
		}
		if (y->ev.type != YAML_SEQUENCE_START_EVENT)
			return cfg_error(c, "expected a list of mappings, not %s",
					 ev_what(y->ev.type));
		y->o->n_port_cfg = 0;
		for (;;) {
			struct app_port_cfg *p;
			unsigned long line, col;

			if ((rc = y_next(y)) != 0)
				return rc;
			if (y->ev.type == YAML_SEQUENCE_END_EVENT)
				return 0;
			snprintf(c->key, sizeof(c->key), "ports[%u]", y->o->n_port_cfg);
			if (y->ev.type != YAML_MAPPING_START_EVENT)
				return cfg_error(c, "expected a mapping, not %s",
						 ev_what(y->ev.type));
			line = c->line;
			col = c->col;
			if ((p = cfg_port_new(c, y->o)) == NULL)
				return -EINVAL;
			if ((rc = y_mapping(y, "ports", p)) != 0)
				return rc;
			snprintf(c->key, sizeof(c->key), "ports[%u]",
				 y->o->n_port_cfg - 1);
			c->line = line;
			c->col = col;
			if ((rc = cfg_port_check(c, y->o)) != 0)
				return rc;
		}
	default:
		if (y->ev.type != YAML_SCALAR_EVENT)
			return cfg_error(c, "expected a scalar, not %s", ev_what(y->ev.type));
		if (y_scalar(y, &s) != 0)
			return -EINVAL;
		return cfg_set_scalar(c, k, y->o, base, s);
	}
}

/*
 * A mapping; the current event is its start. prefix is the section's
 * key ("" at the top); item is the `ports` entry being filled, or NULL.
 */
static int
y_mapping(struct cfg_yaml *y, const char *prefix, void *item)
{
	struct cfg_ctx *c = y->c;
	char seen[CFG_SEEN_MAX][CFG_KEY_MAX];
	char path[CFG_KEY_MAX];
	unsigned long seen_line[CFG_SEEN_MAX];
	char here[CFG_KEY_MAX];
	unsigned int n_seen = 0, i;
	int rc;

	copy_str(here, sizeof(here), c->key);
	for (;;) {
		const struct app_cfg_key *k;
		const char *name = NULL;
		struct sbuf pb = { path, sizeof(path), 0, 0 };
		size_t n;

		if ((rc = y_next(y)) != 0)
			return rc;
		if (y->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (y->ev.type != YAML_SCALAR_EVENT)
			return cfg_error(c, "a key must be a scalar, not %s",
					 ev_what(y->ev.type));
		if (y_scalar(y, &name) != 0)
			return -EINVAL;
		n = strlen(name);
		if (item != NULL) {
			k = cfg_find(name, n, 1);
			sb_printf(&pb, "%s.%.*s", here, (int)(n < 64 ? n : 64), name);
		} else {
			sb_printf(&pb, "%s%s%.*s", prefix, prefix[0] ? "." : "",
				  (int)(n < 64 ? n : 64), name);
			k = n < 64 ? cfg_find(path, strlen(path), 0) : NULL;
		}
		if (k == NULL) {
			c->key[0] = '\0';
			return cfg_error(c, "unknown key '%s'", path);
		}
		for (i = 0; i < n_seen; i++) {
			if (strcmp(seen[i], path) == 0) {
				c->key[0] = '\0';
				return cfg_error(c, "duplicate key '%s' (first at line %lu)",
						 path, seen_line[i]);
			}
		}
		if (n_seen < CFG_SEEN_MAX) {
			copy_str(seen[n_seen], sizeof(seen[n_seen]), path);
			seen_line[n_seen++] = c->line;
		}
		copy_str(c->key, sizeof(c->key), path);
		if ((rc = y_next(y)) != 0)
			return rc;
		if ((rc = y_value(y, k, item != NULL ? item : (void *)y->o)) != 0)
			return rc;
		copy_str(c->key, sizeof(c->key), here);
	}
	return 0;
}

/*
 * Parse buf as YAML. With k == NULL it is a whole config file (one
 * document, a mapping at the top); else it is the value of row k (--set).
 */
static int
y_load(struct cfg_ctx *c, struct app_options *o, const char *buf, size_t len,
       const struct app_cfg_key *k)
{
	struct cfg_yaml y;
	int rc;

	memset(&y, 0, sizeof(y));
	y.c = c;
	y.o = o;
	c->buf = buf;
	c->len = len;
	if (!yaml_parser_initialize(&y.parser))
		return cfg_error(c, "out of memory reading YAML");
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)buf, len);
	if ((rc = y_next(&y)) != 0)          /* stream start */
		goto out;
	if ((rc = y_next(&y)) != 0)
		goto out;
	if (y.ev.type == YAML_STREAM_END_EVENT) {
		if (k != NULL)
			rc = cfg_error(c, "empty value");
		goto out;                    /* an empty file: defaults */
	}
	if ((rc = y_next(&y)) != 0)          /* the document's node */
		goto out;
	if (k != NULL) {
		rc = y_value(&y, k, o);
	} else if (y.ev.type == YAML_MAPPING_START_EVENT) {
		rc = y_mapping(&y, "", NULL);
	} else if (!y_is_null(&y)) {
		rc = cfg_error(c, "the top level must be a mapping of keys, not %s",
			       ev_what(y.ev.type));
	}
	if (rc != 0)
		goto out;
	c->key[0] = '\0';
	if ((rc = y_next(&y)) != 0)          /* document end */
		goto out;
	if ((rc = y_next(&y)) != 0)
		goto out;
	if (y.ev.type != YAML_STREAM_END_EVENT)
		rc = cfg_error(c, "more than one YAML document");
out:
	if (y.have)
		yaml_event_delete(&y.ev);
	yaml_parser_delete(&y.parser);
	return rc;
}

#else /* !FLOWSCOPE_HAVE_YAML */

static int
y_load(struct cfg_ctx *c, struct app_options *o, const char *buf, size_t len,
       const struct app_cfg_key *k)
{
	(void)o;
	(void)buf;
	(void)len;
	(void)k;
	return cfg_error(c, "flowscope was built without libyaml: no YAML");
}

#endif /* FLOWSCOPE_HAVE_YAML */

/* Parse YAML into a copy of *o; commit the copy only on success. */
static int
cfg_transaction(struct app_options *o, struct cfg_ctx *c, const char *buf,
		size_t len, const struct app_cfg_key *k)
{
	struct app_options *tmp = malloc(sizeof(*tmp));
	int rc;

	if (tmp == NULL)
		return cfg_error(c, "out of memory");
	memcpy(tmp, o, sizeof(*tmp));
	cfg_fix_pointers(tmp);
	rc = y_load(c, tmp, buf, len, k);
	if (rc == 0) {
		memcpy(o, tmp, sizeof(*o));
		cfg_fix_pointers(o);
	}
	free(tmp);
	return rc;
}

int
app_config_load_buffer(struct app_options *o, const char *buf, size_t len,
		       const char *name, char *err, size_t errlen)
{
	struct cfg_ctx c;

	cfg_init(&c, err, errlen);
	c.src = name;
	return cfg_transaction(o, &c, buf, len, NULL);
}

int
app_config_load_file(struct app_options *o, const char *path, char *err,
		     size_t errlen)
{
	struct cfg_ctx c;
	FILE *f;
	char *buf;
	size_t n;
	int rc;

	cfg_init(&c, err, errlen);
	c.src = path;
	f = fopen(path, "r");
	if (f == NULL) {
		rc = -errno;
		cfg_error(&c, "%s", strerror(errno));
		return rc;
	}
	buf = malloc(CFG_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return cfg_error(&c, "out of memory");
	}
	n = fread(buf, 1, CFG_FILE_MAX + 1, f);
	if (ferror(f)) {
		rc = -errno;
		cfg_error(&c, "%s", strerror(errno));
	} else if (n > CFG_FILE_MAX) {
		rc = cfg_error(&c, "larger than %u bytes", CFG_FILE_MAX);
	} else {
		rc = cfg_transaction(o, &c, buf, n, NULL);
	}
	free(buf);
	fclose(f);
	return rc;
}

int
app_config_set(struct app_options *o, const char *assign, char *err,
	       size_t errlen)
{
	const struct app_cfg_key *k;
	const char *eq = strchr(assign, '=');
	const char *v;
	struct cfg_ctx c;
	size_t n;

	cfg_init(&c, err, errlen);
	c.set = 1;
	if (eq == NULL || eq == assign)
		return cfg_error(&c, "'%s' is not KEY=VALUE", assign);
	n = (size_t)(eq - assign);
	k = cfg_find(assign, n, 0);
	snprintf(c.key, sizeof(c.key), "%.*s", (int)(n < 64 ? n : 64), assign);
	if (k == NULL) {
		c.key[0] = '\0';
		return cfg_error(&c, "unknown key '%.*s'", (int)(n < 64 ? n : 64),
				 assign);
	}
	v = eq + 1;
	if (v[0] == '[' || v[0] == '{')
		return cfg_transaction(o, &c, v, strlen(v), k);
	switch (k->type) {
	case APP_CFG_SECTION:
		return cfg_error(&c, "a section: give a mapping, {key: value, ...}");
	case APP_CFG_PORTS:
		return cfg_error(&c, "give a list of mappings, [{name: ..., ...}]");
	case APP_CFG_LIST:
		if (v[0] == '\0') {
			cfg_list_clear(k, o);
			return 0;
		} else {
			/* all or nothing: check on a copy first */
			struct app_options *tmp = malloc(sizeof(*tmp));
			int rc;

			if (tmp == NULL)
				return cfg_error(&c, "out of memory");
			memcpy(tmp, o, sizeof(*tmp));
			cfg_list_clear(k, tmp);
			rc = cfg_list_add(&c, k, tmp, v);
			if (rc == 0) {
				cfg_list_clear(k, o);
				cfg_list_add(&c, k, o, v);
			}
			free(tmp);
			return rc;
		}
	default:
		return cfg_set_scalar(&c, k, o, o, v);
	}
}

int
app_config_apply_option(struct app_options *o, const struct app_cfg_key *k,
			const char *value, int append, char *err, size_t errlen)
{
	struct cfg_ctx c;
	char opt[CFG_KEY_MAX];

	cfg_init(&c, err, errlen);
	snprintf(opt, sizeof(opt), "--%s", k->opt != NULL ? k->opt : k->key);
	c.opt = opt;
	snprintf(c.key, sizeof(c.key), "%s", k->key);
	if (k->flag_value != NULL)
		value = k->flag_value;
	if (k->type == APP_CFG_LIST) {
		if (!append)
			cfg_list_clear(k, o);
		return cfg_list_add(&c, k, o, value);
	}
	if (k->type == APP_CFG_SECTION || k->type == APP_CFG_PORTS)
		return cfg_error(&c, "not a value");
	return cfg_set_scalar(&c, k, o, o, value);
}

int
app_config_finish(struct app_options *o, char *err, size_t errlen)
{
	struct cfg_ctx c;

	cfg_init(&c, err, errlen);
	cfg_fix_pointers(o);
	if (o->n_outputs == 0)
		cfg_apply_default(app_config_key("outputs"), o, o);
	if (o->reasm_enabled && o->reasm.side_cap > o->reasm.memcap)
		return cfg_error(&c, "reassembly.side_cap (%u) is larger than "
				 "reassembly.memcap (%llu)", o->reasm.side_cap,
				 (unsigned long long)o->reasm.memcap);
	if (fc_tracker_timeout_values(&o->tracker) > FC_TABLE_TIMEOUTS)
		return cfg_error(&c, "table.port_timeouts and table.timeouts name %u "
				 "different idle timeouts (udp/53=10 included); at most %d",
				 fc_tracker_timeout_values(&o->tracker),
				 FC_TABLE_TIMEOUTS);
	return 0;
}

/* ---- formatting and dump ---- */

static void
sb_scalar(struct sbuf *b, const struct app_cfg_key *k,
	  const struct app_options *o, const void *base)
{
	const uint8_t *field = (const uint8_t *)base + k->off;
	char tmp[APP_PATH_MAX + 64];
	uint64_t v;

	switch (k->type) {
	case APP_CFG_BOOL:
		v = k->mask ? (uint64_t)(*field & k->mask) : field_get(field, k->size);
		sb_printf(b, "%s", v ? "true" : "false");
		break;
	case APP_CFG_UINT:
	case APP_CFG_BYTES:
	case APP_CFG_SECONDS:
		sb_number(b, k->type, field_get(field, k->size));
		break;
	case APP_CFG_ENUM:
		sb_printf(b, "%s", k->enum_name((unsigned int)field_get(field, k->size)));
		break;
	case APP_CFG_STRING:
		if (k->ops != NULL) {
			if (k->ops->format(o, 0, tmp, sizeof(tmp)) != 0)
				b->over = 1;
			else
				sb_quoted(b, tmp);
		} else {
			snprintf(tmp, sizeof(tmp), "%.*s", (int)k->size,
				 (const char *)field);
			sb_quoted(b, tmp);
		}
		break;
	default:
		break;
	}
}

static void
sb_value(struct sbuf *b, const struct app_options *o, const struct app_cfg_key *k)
{
	char item[APP_OUTPUT_SPEC_MAX];
	unsigned int i, j;

	switch (k->type) {
	case APP_CFG_SECTION:
		break;
	case APP_CFG_LIST:
		sb_printf(b, "[");
		for (i = 0; k->ops->format(o, i, item, sizeof(item)) == 0; i++) {
			sb_printf(b, "%s", i ? ", " : "");
			sb_quoted(b, item);
		}
		sb_printf(b, "]");
		break;
	case APP_CFG_PORTS:
		sb_printf(b, "[");
		for (i = 0; i < o->n_port_cfg; i++) {
			unsigned int n = 0;

			sb_printf(b, "%s{", i ? ", " : "");
			for (j = 0; j < app_cfg_n_keys; j++) {
				const struct app_cfg_key *ik = &app_cfg_keys[j];

				if (!(ik->flags & APP_CFG_F_ITEM))
					continue;
				sb_printf(b, "%s%s: ", n++ ? ", " : "",
					  leaf_name(ik->key));
				sb_scalar(b, ik, o, &o->ports[i]);
			}
			sb_printf(b, "}");
		}
		sb_printf(b, "]");
		break;
	default:
		sb_scalar(b, k, o, o);
		break;
	}
}

int
app_config_format(const struct app_options *o, const struct app_cfg_key *k,
		  char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0, 0 };

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	sb_value(&b, o, k);
	return b.over ? -ENOSPC : 0;
}

const struct app_cfg_key *
app_config_diff(const struct app_options *a, const struct app_options *b)
{
	enum { LEN = APP_MAX_SINKS * (APP_OUTPUT_SPEC_MAX + 8) + 64 };
	const struct app_cfg_key *found = NULL;
	char *x = malloc(LEN), *y = malloc(LEN);
	unsigned int i;

	if (x == NULL || y == NULL) {
		found = &app_cfg_keys[0];
		goto out;
	}
	for (i = 0; i < app_cfg_n_keys && found == NULL; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];

		if (k->type == APP_CFG_SECTION || (k->flags & APP_CFG_F_ITEM))
			continue;
		if (app_config_format(a, k, x, LEN) != 0 ||
		    app_config_format(b, k, y, LEN) != 0 || strcmp(x, y) != 0)
			found = k;
	}
out:
	free(x);
	free(y);
	return found;
}

void
app_config_values(const struct app_cfg_key *k, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0, 0 };
	unsigned int i;

	buf[0] = '\0';
	switch (k->type) {
	case APP_CFG_BOOL:
		sb_printf(&b, "true|false");
		break;
	case APP_CFG_UINT:
	case APP_CFG_BYTES:
	case APP_CFG_SECONDS:
		if (k->flags & APP_CFG_F_ZERO)
			sb_printf(&b, "0 or ");
		sb_number(&b, k->type, k->min);
		sb_printf(&b, "..");
		sb_number(&b, k->type, k->max);
		if (k->flags & APP_CFG_F_POW2)
			sb_printf(&b, ", a power of two");
		if (k->type == APP_CFG_BYTES)
			sb_printf(&b, " bytes (suffix k, m, g)");
		if (k->type == APP_CFG_SECONDS)
			sb_printf(&b, " s (suffix s, m, h, d)");
		break;
	case APP_CFG_ENUM:
		for (i = 0; i < k->n_enum; i++)
			sb_printf(&b, "%s%s", i ? "|" : "", k->enum_name(i));
		break;
	default:
		sb_printf(&b, "%s", k->values != NULL ? k->values : "text");
		break;
	}
}

/* "help; values; default X; --opt ARG" on one line. */
static void
comment_text(const struct app_cfg_key *k, const struct app_options *defs,
	     char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0, 0 };
	char vals[256], def[512];

	app_config_values(k, vals, sizeof(vals));
	if (k->flags & APP_CFG_F_ITEM)
		snprintf(def, sizeof(def), "%s", k->def[0] ? k->def : "none");
	else if (app_config_format(defs, k, def, sizeof(def)) != 0)
		snprintf(def, sizeof(def), "?");
	sb_printf(&b, "%s; %s; default %s", k->help, vals, def);
	if (k->opt != NULL)
		sb_printf(&b, "; --%s%s%s", k->opt, k->arg && !k->flag_value ? " " : "",
			  k->arg && !k->flag_value ? k->arg : "");
}

static const char *const reference_header[] = {
	"flowscope reference configuration: every key at its default.",
	"",
	"    flowscope [EAL args] -- --config FILE [--set KEY=VALUE ...] [options]",
	"    flowscope --pcap CAPTURE --config FILE [--set KEY=VALUE ...] [options]",
	"",
	"Any key may be left out: it keeps its default. Values are applied in",
	"this order, later ones winning: the defaults, this file, then the",
	"command line from left to right, where an option such as",
	"--timeout-tcp 60 sets its key (table.timeouts.tcp) and",
	"--set table.timeouts.tcp=60 sets any key by its dotted name. A --set",
	"value is taken as it is, except that one starting with [ or { is YAML",
	"(lists, ports: --set 'parsers.enabled=[http, dns]'). A repeatable",
	"option (--output, --port-timeout) replaces the file's list the first",
	"time and adds to it after that.",
	"",
	"Units: durations are seconds, or N with a suffix s, m, h or d; sizes",
	"are bytes, or N with a suffix k, m or g (powers of 1024). Booleans are",
	"true/false (also yes/no, on/off).",
	"",
	"Errors name FILE:LINE:COLUMN and the key, and stop flowscope with exit",
	"code 2: an unknown or duplicate key, a value of the wrong type, out of",
	"range or not among the names listed, malformed YAML. YAML aliases (*x)",
	"and tags other than the core ones (!!str, !!int, ...) are not accepted.",
	"",
	"flowscope --dump-config [--config FILE] [options] prints the",
	"configuration that would run, in this format, and exits;",
	"flowscope --dump-defaults prints this file.",
	"",
	"Each key below has one comment: what it does; the values it takes;",
	"its default; its command-line option, if it has one.",
};

/* A one-line comment at `indent`. */
static void
dump_comment(FILE *f, int indent, const char *text)
{
	fprintf(f, "%*s# %s\n", indent, "", text);
}

void
app_config_dump(FILE *f, const struct app_options *o, unsigned int flags)
{
	enum { LEN = APP_MAX_SINKS * (APP_OUTPUT_SPEC_MAX + 8) + 64 };
	struct app_options *defs = malloc(sizeof(*defs));
	char *val = malloc(LEN);
	char line[1024];
	unsigned int i, j;

	if (defs == NULL || val == NULL)
		goto out;
	app_config_defaults(defs);
	if (flags & APP_CONFIG_DUMP_REFERENCE) {
		for (i = 0; i < FC_DIM(reference_header); i++)
			fprintf(f, "#%s%s\n", reference_header[i][0] ? " " : "",
				reference_header[i]);
	} else {
		fprintf(f, "# flowscope configuration (flowscope --dump-config);\n"
			"# each comment: what the key does; its values; its "
			"default; its option.\n");
	}
	for (i = 0; i < app_cfg_n_keys; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];
		const char *p;
		int depth = 0;

		if (k->flags & APP_CFG_F_ITEM)
			continue;
		for (p = k->key; *p != '\0'; p++)
			depth += *p == '.';
		if (depth == 0)
			fprintf(f, "\n");
		if (k->type == APP_CFG_SECTION) {
			dump_comment(f, 2 * depth, k->help);
			fprintf(f, "%*s%s:\n", 2 * depth, "", leaf_name(k->key));
			continue;
		}
		comment_text(k, defs, line, sizeof(line));
		dump_comment(f, 2 * depth, line);
		if (k->type != APP_CFG_PORTS) {
			if (app_config_format(o, k, val, LEN) != 0)
				snprintf(val, LEN, "?");
			fprintf(f, "%*s%s: %s\n", 2 * depth, "", leaf_name(k->key), val);
			continue;
		}
		/* ports: item keys documented, entries in block style */
		for (j = 0; j < app_cfg_n_keys; j++) {
			const struct app_cfg_key *ik = &app_cfg_keys[j];
			char text[900];

			if (!(ik->flags & APP_CFG_F_ITEM))
				continue;
			comment_text(ik, defs, text, sizeof(text));
			snprintf(line, sizeof(line), "  %s: %s", leaf_name(ik->key), text);
			dump_comment(f, 2 * depth, line);
		}
		if (o->n_port_cfg == 0) {
			fprintf(f, "%s: []\n", leaf_name(k->key));
			continue;
		}
		fprintf(f, "%s:\n", leaf_name(k->key));
		for (j = 0; j < o->n_port_cfg; j++) {
			unsigned int m, n = 0;

			for (m = 0; m < app_cfg_n_keys; m++) {
				const struct app_cfg_key *ik = &app_cfg_keys[m];
				struct sbuf b = { val, LEN, 0, 0 };

				if (!(ik->flags & APP_CFG_F_ITEM))
					continue;
				sb_scalar(&b, ik, o, &o->ports[j]);
				fprintf(f, "  %s %s: %s\n", n++ ? " " : "-",
					leaf_name(ik->key), val);
			}
		}
	}
out:
	free(defs);
	free(val);
}
