/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zeek sink: `--output zeek:DIR` writes DIR/conn.log, and DIR/http.log,
 * DIR/ssl.log and DIR/dns.log for the session parsers' messages, in Zeek's
 * ASCII (TSV) log format, so zeek-cut and every tool that reads Zeek logs
 * take flowscope's connections and transactions as they are. DIR is
 * created if missing (one level).
 *
 * FILE LAYOUT. A header block, one line per record, a #close line:
 *
 *     #separator \x09
 *     #set_separator	,
 *     #empty_field	(empty)
 *     #unset_field	-
 *     #path	conn                         (http, ssl, dns)
 *     #open	2024-01-02-03-04-05          (local time, when the file opened)
 *     #fields	ts	uid	id.orig_h	...	tunnel_parents
 *     #types	time	string	addr	...	set[string]
 *     <rows>
 *     #close	2024-01-02-03-09-05
 *
 * conn.log is opened with the sink; http.log, ssl.log and dns.log, as in
 * Zeek, when their first row is written (a run without HTTP has no
 * http.log). A new run starts new logs: conn.log is truncated, and the
 * three session logs of an earlier run are removed at open.
 *
 * conn.log COLUMNS (the standard ones, in Zeek's order, with its rules):
 *   ts             first packet, seconds.microseconds
 *   uid            "C" + 17 base62 characters derived from flow_id by a
 *                  bijective 64-bit mix, so it is stable across runs and
 *                  unique per flow (zeek_uid()); the session logs carry
 *                  the uid of their flow's conn.log row
 *   id.*           originator first, as flow_end gives it; ICMP "ports"
 *                  are the type and counterpart type/code (as Zeek)
 *   proto          tcp, udp, icmp (ICMPv6 too, as Zeek), else
 *                  unknown_transport
 *   service        http, ssl (TLS), dns from the session parser, else -
 *   duration       last - first packet; with orig_bytes and resp_bytes
 *                  unset (-) when it is zero (a single packet), as Zeek
 *   orig/resp_bytes TCP: bytes covered by sequence space (flow_end
 *                  seq_bytes, gaps included); other protocols: payload
 *   conn_state     flow_end conn_state
 *   local_orig/local_resp  - (flowscope has no local networks)
 *   missed_bytes   reassembly gap bytes of both sides when reassembly ran,
 *                  else 0
 *   history        Zeek history, - when empty
 *   orig/resp_pkts, orig/resp_ip_bytes  per side
 *   tunnel_parents uid of the outer tunnel flow, - when not tunnelled
 *
 * http.log: one row per transaction, Zeek's columns. The request and its
 * response (same trans_depth) are joined (app_join in sink.c); the row is
 * written when the response is complete, or alone when the flow ends
 * without one (response columns unset) or when the joiner needs room.
 *   ts             the request's time (the response's without a request)
 *   trans_depth, method, host, referrer, user_agent, origin  as sent
 *   uri            percent-decoded, as Zeek's unescaped URI
 *   version        the response's HTTP version, - without a response
 *   request_body_len, response_body_len  from the response (0 without)
 *   status_code, status_msg  the final response
 *   info_code, info_msg  the last interim (1xx) response, or a 101
 *   tags           (empty); username, password, proxied, the file
 *                  columns (*_fuids, *_filenames, *_mime_types): -
 *                  (flowscope has no file analysis)
 *
 * ssl.log: one row per handshake, written at the server_hello (joined with
 * the client_hello), or at the flow's end when the server never answered.
 *   ts             the client_hello's time
 *   version, cipher, curve, next_protocol  from the server_hello
 *   server_name    from the client_hello
 *   last_alert     an alert between the two hellos (a rejected hello);
 *                  alerts after the server_hello are not in the row
 *   resumed, established, ssl_history, the certificate columns: -
 *                  (the parser stops at the hellos)
 *
 * dns.log: one row per response, and per query that got none (the
 * parser's "unanswered", at the flow's end); queries themselves are not
 * rows, their response or unanswered record carries them. To a multicast
 * address (mDNS, LLMNR: the answers come from other hosts, so from other
 * flows) every message is a row of its own, queries included, as Zeek
 * logs them.
 *   ts             the query's time (response time minus rtt; an
 *                  unanswered query's query_ts), else the message's time
 *   proto          udp or tcp; rtt the response's rtt_us, - without query
 *   query, qclass(_name), qtype(_name), rcode(_name), AA, TC, RD, RA, Z,
 *   opcode(_name)  from the message (flags it does not carry are F);
 *                  rtt, AA and RA are the response's even when it has no
 *                  answer records (Zeek sets them only while logging
 *                  answers, so it leaves them unset/F there)
 *   answers, TTLs  a response's answer section (TTLs as intervals)
 *   rejected       T for a response with an error rcode and no question
 *
 * VALUES. Strings are escaped as Zeek's ASCII writer does: bytes outside
 * printable ASCII, the TAB separator and '\' as \xNN, ',' inside set and
 * vector elements as \x2c, an empty string as (empty), a string that is
 * exactly "-" as \x2d. Flows of MAC keys have no IP addresses and are
 * skipped (not records), as are event types without a log (flow_start,
 * flow_update, ...: those only tell the joiner a flow's addresses).
 *
 * WRITING. Rows are rendered into a buffer per log (1 MiB for conn.log,
 * 256 KiB for the others) and written with one write(2) when it fills, on
 * tick and at close. A failed write counts the rows not written as dropped
 * (reported once per log on stderr; a row cut short is ended with a
 * newline) and the sink keeps going; a header lost that way is written
 * again before the next row. Session messages that can never become a row
 * (their flow's addresses never came) are records dropped too.
 * SIGHUP (reopen): #close each open log, open it again (logrotate moved
 * the old one; an existing file is appended to) with a fresh header. A
 * file that cannot be reopened drops rows until a tick manages to open it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include "sink.h"

#define ZEEK_BUF (1u << 20)
#define ZEEK_SESSION_BUF (1u << 18)
#define ZEEK_LINE_MAX 1024u
#define ZEEK_ROW_MAX 16384u /* a session row: every string of one event escaped */
#define ZEEK_UID_LEN 18     /* "C" + 17 */

/* The conn.log columns: X(name, Zeek type). One list gives #fields and #types. */
#define ZEEK_CONN_COLUMNS(X) \
	X("ts",             "time") \
	X("uid",            "string") \
	X("id.orig_h",      "addr") \
	X("id.orig_p",      "port") \
	X("id.resp_h",      "addr") \
	X("id.resp_p",      "port") \
	X("proto",          "enum") \
	X("service",        "string") \
	X("duration",       "interval") \
	X("orig_bytes",     "count") \
	X("resp_bytes",     "count") \
	X("conn_state",     "string") \
	X("local_orig",     "bool") \
	X("local_resp",     "bool") \
	X("missed_bytes",   "count") \
	X("history",        "string") \
	X("orig_pkts",      "count") \
	X("orig_ip_bytes",  "count") \
	X("resp_pkts",      "count") \
	X("resp_ip_bytes",  "count") \
	X("tunnel_parents", "set[string]")

/* The connection columns every session log starts with. */
#define ZEEK_ID_COLUMNS(X) \
	X("ts",             "time") \
	X("uid",            "string") \
	X("id.orig_h",      "addr") \
	X("id.orig_p",      "port") \
	X("id.resp_h",      "addr") \
	X("id.resp_p",      "port")

#define ZEEK_HTTP_COLUMNS(X) \
	ZEEK_ID_COLUMNS(X) \
	X("trans_depth",       "count") \
	X("method",            "string") \
	X("host",              "string") \
	X("uri",               "string") \
	X("referrer",          "string") \
	X("version",           "string") \
	X("user_agent",        "string") \
	X("origin",            "string") \
	X("request_body_len",  "count") \
	X("response_body_len", "count") \
	X("status_code",       "count") \
	X("status_msg",        "string") \
	X("info_code",         "count") \
	X("info_msg",          "string") \
	X("tags",              "set[enum]") \
	X("username",          "string") \
	X("password",          "string") \
	X("proxied",           "set[string]") \
	X("orig_fuids",        "vector[string]") \
	X("orig_filenames",    "vector[string]") \
	X("orig_mime_types",   "vector[string]") \
	X("resp_fuids",        "vector[string]") \
	X("resp_filenames",    "vector[string]") \
	X("resp_mime_types",   "vector[string]")

#define ZEEK_SSL_COLUMNS(X) \
	ZEEK_ID_COLUMNS(X) \
	X("version",               "string") \
	X("cipher",                "string") \
	X("curve",                 "string") \
	X("server_name",           "string") \
	X("resumed",               "bool") \
	X("last_alert",            "string") \
	X("next_protocol",         "string") \
	X("established",           "bool") \
	X("ssl_history",           "string") \
	X("cert_chain_fps",        "vector[string]") \
	X("client_cert_chain_fps", "vector[string]") \
	X("sni_matches_cert",      "bool")

#define ZEEK_DNS_COLUMNS(X) \
	ZEEK_ID_COLUMNS(X) \
	X("proto",       "enum") \
	X("trans_id",    "count") \
	X("rtt",         "interval") \
	X("query",       "string") \
	X("qclass",      "count") \
	X("qclass_name", "string") \
	X("qtype",       "count") \
	X("qtype_name",  "string") \
	X("rcode",       "count") \
	X("rcode_name",  "string") \
	X("AA",          "bool") \
	X("TC",          "bool") \
	X("RD",          "bool") \
	X("RA",          "bool") \
	X("Z",           "count") \
	X("answers",     "vector[string]") \
	X("TTLs",        "vector[interval]") \
	X("rejected",    "bool") \
	X("opcode",      "count") \
	X("opcode_name", "string")

#define ZEEK_X_NAME(name, type) "\t" name
#define ZEEK_X_TYPE(name, type) "\t" type

/* The logs. */
enum zeek_log_id {
	ZL_CONN,
	ZL_HTTP,
	ZL_SSL,
	ZL_DNS,
	ZL_MAX,
};

/* What a log is: its #path, #fields and #types lines, its buffer size. */
struct zeek_log_def {
	const char *path;
	const char *fields;
	const char *types;
	size_t buf;
};

static const struct zeek_log_def zeek_logs[ZL_MAX] = {
	[ZL_CONN] = { "conn", "#fields" ZEEK_CONN_COLUMNS(ZEEK_X_NAME) "\n",
		      "#types" ZEEK_CONN_COLUMNS(ZEEK_X_TYPE) "\n", ZEEK_BUF },
	[ZL_HTTP] = { "http", "#fields" ZEEK_HTTP_COLUMNS(ZEEK_X_NAME) "\n",
		      "#types" ZEEK_HTTP_COLUMNS(ZEEK_X_TYPE) "\n", ZEEK_SESSION_BUF },
	[ZL_SSL] = { "ssl", "#fields" ZEEK_SSL_COLUMNS(ZEEK_X_NAME) "\n",
		     "#types" ZEEK_SSL_COLUMNS(ZEEK_X_TYPE) "\n", ZEEK_SESSION_BUF },
	[ZL_DNS] = { "dns", "#fields" ZEEK_DNS_COLUMNS(ZEEK_X_NAME) "\n",
		     "#types" ZEEK_DNS_COLUMNS(ZEEK_X_TYPE) "\n", ZEEK_SESSION_BUF },
};

/* Zeek service names per session protocol. */
static const char *const zeek_service[] = {
	[FC_L7_NONE] = "-",
	[FC_L7_HTTP] = "http",
	[FC_L7_TLS] = "ssl",
	[FC_L7_DNS] = "dns",
};
static_assert(FC_DIM(zeek_service) == FC_L7_PROTO_MAX, "Zeek service per protocol");

/* One log file. */
struct zeek_log {
	const struct zeek_log_def *def;
	int fd;                  /**< -1 while the file is not open */
	int opened;              /**< opened before in this run: later opens append */
	int wanted;              /**< the log has (had) rows: open it, retry on tick */
	char *path;              /**< DIR/<path>.log */
	char *buf;
	size_t used;
	uint64_t pending;        /**< rows in buf */
	int need_header;         /**< the next row must be preceded by a header */
	size_t header_len;       /**< end offset in buf of a header not yet written, 0 if none */
	int reported;            /**< an error was said on stderr: quiet until the log recovers */
};

/* Field ids of the session messages, resolved at open. */
struct zeek_fields {
	int h_depth, h_method, h_host, h_uri, h_referrer, h_version, h_ua, h_origin,
	    h_req_len, h_resp_len, h_status, h_msg;
	int t_version, t_cipher, t_curve, t_sni, t_next;
	int d_trans_id, d_rtt, d_query_ts, d_query, d_qclass, d_qclass_name, d_qtype, d_qtype_name,
	    d_rcode, d_rcode_name, d_aa, d_tc, d_rd, d_ra, d_z, d_answers, d_ttls,
	    d_opcode, d_opcode_name;
	int k_response, k_unanswered;
};

struct zeek {
	char *dir;
	struct zeek_log log[ZL_MAX];
	struct app_join *join;
	struct app_sink *sink;   /**< the sink, for the join callbacks */
	struct zeek_fields f;
};

/*
 * The uid of a flow: "C" + 17 base62 characters. The first 6 come from a
 * second mix (they only make uids look alike less), the last 11 encode the
 * bijective mix of flow_id in full, so distinct flows get distinct uids.
 */
static void
zeek_uid(uint64_t flow_id, char out[ZEEK_UID_LEN + 1])
{
	static const char b62[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	uint64_t a = flow_id, b;
	int i;

	/* splitmix64's finaliser: a bijection of 64-bit values. */
	a = (a ^ (a >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	a = (a ^ (a >> 27)) * UINT64_C(0x94d049bb133111eb);
	a ^= a >> 31;
	b = a ^ UINT64_C(0x9e3779b97f4a7c15);
	b = (b ^ (b >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	b = (b ^ (b >> 27)) * UINT64_C(0x94d049bb133111eb);
	b ^= b >> 31;
	out[0] = 'C';
	for (i = 6; i >= 1; i--) {
		out[i] = b62[b % 62];
		b /= 62;
	}
	for (i = 17; i >= 7; i--) {
		out[i] = b62[a % 62];
		a /= 62;
	}
	out[ZEEK_UID_LEN] = '\0';
}

static const char *
zeek_proto(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: return "icmp";
	default: return "unknown_transport";
	}
}

/* ---- session rows ------------------------------------------------------ */

/*
 * A string value as Zeek's ASCII writer escapes it; in_set: an element of
 * a set or vector (',' escaped too). Empty: (empty); exactly "-": \x2d.
 */
static void
zw_esc(struct fc_lw *w, const uint8_t *p, size_t n, int in_set)
{
	static const char hex[] = "0123456789abcdef";

	if (n == 0) {
		FC_LW_LIT(w, "(empty)");
		return;
	}
	if (n == 1 && p[0] == '-') {
		FC_LW_LIT(w, "\\x2d");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c < 0x20 || c >= 0x7f || c == '\\' || (in_set && c == ',')) {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

			fc_lw_raw(w, e, sizeof(e));
		} else {
			fc_lw_raw(w, (const char *)&c, 1);
		}
	}
}

/* \t then a string field of a session message, or - when it has none. */
static void
zw_field_str(struct fc_lw *w, const struct fc_event *ev, int field)
{
	struct app_l7_val v;

	FC_LW_LIT(w, "\t");
	if (ev != NULL && app_l7_get(&ev->u.session, field, &v) && v.type == FC_L7_T_STR)
		zw_esc(w, v.p, v.len, 0);
	else
		FC_LW_LIT(w, "-");
}

/* \t then a count field of a session message, or - when it has none. */
static void
zw_field_u64(struct fc_lw *w, const struct fc_event *ev, int field)
{
	struct app_l7_val v;

	FC_LW_LIT(w, "\t");
	if (ev != NULL && app_l7_get(&ev->u.session, field, &v) && v.type == FC_L7_T_U64)
		fc_lw_u64(w, v.u);
	else
		FC_LW_LIT(w, "-");
}

/* \t then a bool field as T/F (F when absent: Zeek's default). */
static void
zw_field_bool(struct fc_lw *w, const struct fc_event *ev, int field)
{
	struct app_l7_val v;

	if (app_l7_get(&ev->u.session, field, &v) && v.u)
		FC_LW_LIT(w, "\tT");
	else
		FC_LW_LIT(w, "\tF");
}

/* ts, uid and the id columns (no trailing tab). */
static void
zw_conn_id(struct fc_lw *w, uint64_t ts, const struct app_join_flow *f)
{
	char uid[ZEEK_UID_LEN + 1], a[48];
	int n;

	fc_lw_secs(w, ts);
	zeek_uid(f->flow_id, uid);
	FC_LW_LIT(w, "\t");
	fc_lw_raw(w, uid, ZEEK_UID_LEN);
	FC_LW_LIT(w, "\t");
	n = fc_addr_str(f->id->orig_h, f->id->family, a, sizeof(a));
	fc_lw_raw(w, a, (size_t)n);
	FC_LW_LIT(w, "\t");
	fc_lw_u64(w, f->id->orig_p);
	FC_LW_LIT(w, "\t");
	n = fc_addr_str(f->id->resp_h, f->id->family, a, sizeof(a));
	fc_lw_raw(w, a, (size_t)n);
	FC_LW_LIT(w, "\t");
	fc_lw_u64(w, f->id->resp_p);
}

static int
zeek_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* \t then the request target percent-decoded (Zeek's unescaped URI), escaped. */
static void
zw_uri(struct fc_lw *w, const struct fc_event *req, int field)
{
	struct app_l7_val v;
	uint8_t out[FC_SESSION_DATA_MAX];
	size_t n = 0;

	if (req == NULL || !app_l7_get(&req->u.session, field, &v) ||
	    v.type != FC_L7_T_STR) {
		FC_LW_LIT(w, "\t-");
		return;
	}
	for (size_t i = 0; i < v.len && n < sizeof(out); i++) {
		int hi, lo;

		if (v.p[i] == '%' && i + 2 < v.len &&
		    (hi = zeek_hexval(v.p[i + 1])) >= 0 && (lo = zeek_hexval(v.p[i + 2])) >= 0) {
			out[n++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else {
			out[n++] = v.p[i];
		}
	}
	FC_LW_LIT(w, "\t");
	zw_esc(w, out, n, 0);
}

/*
 * Render one flow_end as a conn.log row (with '\n'), by hand: this runs
 * once per flow, and a printf per row cost more than the rest of it.
 * @return bytes written, or -ENOSPC if len is too small.
 */
static int
zeek_render_conn(const struct fc_event *ev, char *buf, size_t len)
{
	const struct fc_event_flow_end *e = &ev->u.end;
	const struct fc_event_flow_id *id = &e->id;
	struct fc_lw w = { .buf = buf, .len = len, .pos = 0, .overflow = 0 };
	uint64_t dur = e->last_ts > e->first_ts ? e->last_ts - e->first_ts : 0;
	const uint64_t *bytes = e->is_tcp ? e->seq_bytes : e->payload_bytes;
	const char *proto = zeek_proto(id->proto);
	const char *service = e->app_proto < FC_L7_PROTO_MAX ? zeek_service[e->app_proto] : "-";
	struct app_join_flow f = { .flow_id = ev->flow_id, .id = id };
	size_t n;

	zw_conn_id(&w, e->first_ts, &f);
	FC_LW_LIT(&w, "\t");
	fc_lw_raw(&w, proto, strlen(proto));
	FC_LW_LIT(&w, "\t");
	fc_lw_raw(&w, service, strlen(service));
	if (dur > 0) {
		FC_LW_LIT(&w, "\t");
		fc_lw_secs(&w, dur);
		FC_LW_LIT(&w, "\t");
		fc_lw_u64(&w, bytes[0]);
		FC_LW_LIT(&w, "\t");
		fc_lw_u64(&w, bytes[1]);
	} else {
		FC_LW_LIT(&w, "\t-\t-\t-");
	}
	FC_LW_LIT(&w, "\t");
	n = strnlen(e->conn_state, sizeof(e->conn_state));
	if (n > 0)
		fc_lw_raw(&w, e->conn_state, n);
	else
		FC_LW_LIT(&w, "-");
	FC_LW_LIT(&w, "\t-\t-\t");              /* local_orig, local_resp */
	fc_lw_u64(&w, e->has_reasm ? e->reasm[0].gap_bytes + e->reasm[1].gap_bytes : 0);
	FC_LW_LIT(&w, "\t");
	n = strnlen(e->history, sizeof(e->history));
	if (n > 0)
		fc_lw_raw(&w, e->history, n);
	else
		FC_LW_LIT(&w, "-");
	FC_LW_LIT(&w, "\t");
	fc_lw_u64(&w, e->pkts[0]);
	FC_LW_LIT(&w, "\t");
	fc_lw_u64(&w, e->ip_bytes[0]);
	FC_LW_LIT(&w, "\t");
	fc_lw_u64(&w, e->pkts[1]);
	FC_LW_LIT(&w, "\t");
	fc_lw_u64(&w, e->ip_bytes[1]);
	FC_LW_LIT(&w, "\t");
	if (id->tunnel_parent != 0) {
		char parent[ZEEK_UID_LEN + 1];

		zeek_uid(id->tunnel_parent, parent);
		fc_lw_raw(&w, parent, ZEEK_UID_LEN);
	} else {
		FC_LW_LIT(&w, "-");
	}
	FC_LW_LIT(&w, "\n");
	return w.overflow ? -ENOSPC : (int)w.pos;
}

/* The http.log row of a transaction. */
static int
zeek_render_http(const struct zeek *d, const struct app_join_flow *f,
		 const struct fc_event *req, const struct fc_event *resp,
		 const struct app_http_info *info, char *buf, size_t len)
{
	const struct zeek_fields *k = &d->f;
	struct fc_lw w = { .buf = buf, .len = len, .pos = 0, .overflow = 0 };
	const struct fc_event *any = req != NULL ? req : resp;
	struct app_l7_val st;
	int has_st = resp != NULL && app_l7_get(&resp->u.session, k->h_status, &st);

	zw_conn_id(&w, any->ts, f);
	zw_field_u64(&w, any, k->h_depth);
	zw_field_str(&w, req, k->h_method);
	zw_field_str(&w, req, k->h_host);
	zw_uri(&w, req, k->h_uri);
	zw_field_str(&w, req, k->h_referrer);
	zw_field_str(&w, resp, k->h_version);
	zw_field_str(&w, req, k->h_ua);
	zw_field_str(&w, req, k->h_origin);
	if (resp != NULL) {
		zw_field_u64(&w, resp, k->h_req_len);
		zw_field_u64(&w, resp, k->h_resp_len);
	} else {
		FC_LW_LIT(&w, "\t0\t0");
	}
	zw_field_u64(&w, resp, k->h_status);
	zw_field_str(&w, resp, k->h_msg);
	if (has_st && st.u >= 100 && st.u < 200) {
		/* A final 101 (protocol switch) is informational too, as in Zeek. */
		zw_field_u64(&w, resp, k->h_status);
		zw_field_str(&w, resp, k->h_msg);
	} else if (info != NULL) {
		FC_LW_LIT(&w, "\t");
		fc_lw_u64(&w, info->code);
		FC_LW_LIT(&w, "\t");
		zw_esc(&w, (const uint8_t *)info->msg, strlen(info->msg), 0);
	} else {
		FC_LW_LIT(&w, "\t-\t-");
	}
	/* tags, username, password, proxied, six file columns */
	FC_LW_LIT(&w, "\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t-\n");
	return w.overflow ? -ENOSPC : (int)w.pos;
}

/* The ssl.log row of a handshake. */
static int
zeek_render_ssl(const struct zeek *d, const struct app_join_flow *f,
		const struct fc_event *ch, const struct fc_event *sh,
		const char *alert, char *buf, size_t len)
{
	const struct zeek_fields *k = &d->f;
	struct fc_lw w = { .buf = buf, .len = len, .pos = 0, .overflow = 0 };

	zw_conn_id(&w, (ch != NULL ? ch : sh)->ts, f);
	zw_field_str(&w, sh, k->t_version);
	zw_field_str(&w, sh, k->t_cipher);
	zw_field_str(&w, sh, k->t_curve);
	zw_field_str(&w, ch, k->t_sni);
	FC_LW_LIT(&w, "\t-\t");                   /* resumed */
	if (alert != NULL)
		zw_esc(&w, (const uint8_t *)alert, strlen(alert), 0);
	else
		FC_LW_LIT(&w, "-");
	zw_field_str(&w, sh, k->t_next);
	/* established, ssl_history, cert_chain_fps, client_cert_chain_fps, sni_matches_cert */
	FC_LW_LIT(&w, "\t-\t-\t-\t-\t-\n");
	return w.overflow ? -ENOSPC : (int)w.pos;
}

/* \t then every value of a repeated field (a vector), - when none. */
static void
zw_vector(struct fc_lw *w, const struct fc_event_session *s, int field, int secs)
{
	uint16_t off = 0, len;
	uint8_t fid, type;
	const uint8_t *p;
	unsigned int n = 0;

	FC_LW_LIT(w, "\t");
	while (field >= 0 && fc_l7_next_field(s, &off, &fid, &type, &p, &len)) {
		if (fid != field)
			continue;
		if (n++ > 0)
			FC_LW_LIT(w, ",");
		if (type == FC_L7_T_STR) {
			zw_esc(w, p, len, 1);
		} else if (type == FC_L7_T_U64 && len == sizeof(uint64_t)) {
			uint64_t v;

			memcpy(&v, p, sizeof(v));
			fc_lw_u64(w, v);
			if (secs)
				FC_LW_LIT(w, ".000000");
		}
	}
	if (n == 0)
		FC_LW_LIT(w, "-");
}

/* The dns.log row of a response or of a query that got none. */
static int
zeek_render_dns(const struct zeek *d, const struct app_join_flow *f,
		const struct fc_event *ev, char *buf, size_t len)
{
	const struct zeek_fields *k = &d->f;
	const struct fc_event_session *s = &ev->u.session;
	struct fc_lw w = { .buf = buf, .len = len, .pos = 0, .overflow = 0 };
	struct app_l7_val rtt, rc, q, qts;
	int has_rtt = app_l7_get(s, k->d_rtt, &rtt);
	int has_rc = app_l7_get(s, k->d_rcode, &rc);
	uint64_t ts = ev->ts;

	if (has_rtt && rtt.u * FC_NS_PER_USEC <= ts)
		ts -= rtt.u * FC_NS_PER_USEC;
	else if (app_l7_get(s, k->d_query_ts, &qts) && qts.len == sizeof(uint64_t))
		ts = qts.u;     /* an unanswered query: when it was sent */
	zw_conn_id(&w, ts, f);
	FC_LW_LIT(&w, "\t");
	fc_lw_raw(&w, zeek_proto(f->id->proto), strlen(zeek_proto(f->id->proto)));
	zw_field_u64(&w, ev, k->d_trans_id);
	FC_LW_LIT(&w, "\t");
	if (has_rtt)
		fc_lw_secs(&w, rtt.u * FC_NS_PER_USEC);
	else
		FC_LW_LIT(&w, "-");
	zw_field_str(&w, ev, k->d_query);
	zw_field_u64(&w, ev, k->d_qclass);
	zw_field_str(&w, ev, k->d_qclass_name);
	zw_field_u64(&w, ev, k->d_qtype);
	zw_field_str(&w, ev, k->d_qtype_name);
	zw_field_u64(&w, ev, k->d_rcode);
	zw_field_str(&w, ev, k->d_rcode_name);
	zw_field_bool(&w, ev, k->d_aa);
	zw_field_bool(&w, ev, k->d_tc);
	zw_field_bool(&w, ev, k->d_rd);
	zw_field_bool(&w, ev, k->d_ra);
	FC_LW_LIT(&w, "\t");
	{
		struct app_l7_val z;

		fc_lw_u64(&w, app_l7_get(s, k->d_z, &z) ? z.u : 0);
	}
	/* Answers of a query message (mDNS known answers) are not logged, as in Zeek. */
	zw_vector(&w, s, s->kind == k->k_response ? k->d_answers : -1, 0);
	zw_vector(&w, s, s->kind == k->k_response ? k->d_ttls : -1, 1);
	if (has_rc && rc.u != 0 && !app_l7_get(s, k->d_query, &q))
		FC_LW_LIT(&w, "\tT");
	else
		FC_LW_LIT(&w, "\tF");
	zw_field_u64(&w, ev, k->d_opcode);
	zw_field_str(&w, ev, k->d_opcode_name);
	FC_LW_LIT(&w, "\n");
	return w.overflow ? -ENOSPC : (int)w.pos;
}

/* ---- log files ---------------------------------------------------------- */

/* What zeek_append_meta() appends. */
enum zeek_meta {
	ZEEK_HEADER,  /**< the header block, #open = now */
	ZEEK_CLOSE,   /**< the #close line, time = now */
};

/* Append a header or #close line (not a record); buf has room by construction. */
static void
zeek_append_meta(struct zeek_log *l, enum zeek_meta what)
{
	size_t size = l->def->buf;
	char t[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(t, sizeof(t), "%Y-%m-%d-%H-%M-%S", &tm) == 0)
		strcpy(t, "-");
	if (what == ZEEK_CLOSE) {
		n = snprintf(l->buf + l->used, size - l->used, "#close\t%s\n", t);
	} else {
		n = snprintf(l->buf + l->used, size - l->used,
			     "#separator \\x09\n#set_separator\t,\n"
			     "#empty_field\t(empty)\n#unset_field\t-\n"
			     "#path\t%s\n#open\t%s\n%s%s", l->def->path, t,
			     l->def->fields, l->def->types);
		l->need_header = 0;
	}
	if (n > 0 && (size_t)n < size - l->used) {
		l->used += (size_t)n;
		if (what == ZEEK_HEADER)
			l->header_len = l->used;
	}
}

/*
 * Rows complete within the first n bytes of b: lines neither empty (the
 * end of an earlier cut row) nor starting with '#' (header, #close).
 */
static uint64_t
zeek_rows_in(const char *b, size_t n)
{
	uint64_t rows = 0;
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		if (b[i] != '\n')
			continue;
		rows += i > start && b[start] != '#';
		start = i + 1;
	}
	return rows;
}

static int
zeek_flush_log(struct app_sink *s, struct zeek_log *l)
{
	size_t off = 0;
	int err = 0;

	if (l->used == 0)
		return 0;
	if (l->fd < 0)
		err = EBADF;
	while (err == 0 && off < l->used) {
		ssize_t n = write(l->fd, l->buf + off, l->used - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n < 0 ? errno : EIO;
		else
			off += (size_t)n;
	}
	if (err != 0) {
		/* Rows that made it before the error are written, the rest dropped. */
		uint64_t done = zeek_rows_in(l->buf, off);

		s->written += done;
		s->dropped += l->pending - done;
		if (off < l->header_len)
			l->need_header = 1;
		if (!l->reported)
			fprintf(stderr, "flowscope: zeek:%s: write failed: %s "
				"(records dropped until it recovers)\n",
				l->path, strerror(err));
		l->reported = 1;
		l->used = 0;
		/* A row cut short is ended, so the next one starts a line. */
		if (off > 0 && l->buf[off - 1] != '\n')
			l->buf[l->used++] = '\n';
	} else {
		s->written += l->pending;
		l->used = 0;
	}
	l->header_len = 0;
	l->pending = 0;
	return -err;
}

static int
zeek_flush(struct app_sink *s)
{
	struct zeek *d = s->priv;
	int rc = 0;

	for (unsigned int i = 0; i < ZL_MAX; i++) {
		int r = zeek_flush_log(s, &d->log[i]);

		if (r != 0 && rc == 0)
			rc = r;
	}
	return rc;
}

/* Open a log (truncated the first time in a run, appended to after) and queue a header. */
static int
zeek_open_log(struct zeek *d, struct zeek_log *l)
{
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_CLOEXEC |
		     (l->opened ? O_APPEND : O_TRUNC), 0644);
	if (l->fd < 0) {
		int err = errno;

		/* Said once; retries on tick stay quiet until one succeeds. */
		if (!l->reported)
			fprintf(stderr, "flowscope: zeek:%s: cannot open %s: %s\n",
				d->dir, l->path, strerror(err));
		l->reported = 1;
		return -err;
	}
	l->opened = 1;
	l->reported = 0;
	zeek_append_meta(l, ZEEK_HEADER);
	return 0;
}

/* #close an open log whose header made it (before a reopen or at close). */
static void
zeek_close_line(struct app_sink *s, struct zeek_log *l)
{
	if (l->fd < 0 || l->need_header)
		return;
	if (l->def->buf - l->used < ZEEK_LINE_MAX)
		zeek_flush_log(s, l);
	zeek_append_meta(l, ZEEK_CLOSE);
}

static void
zeek_free(struct zeek *d)
{
	if (d == NULL)
		return;
	app_join_free(d->join);
	for (unsigned int i = 0; i < ZL_MAX; i++) {
		free(d->log[i].path);
		free(d->log[i].buf);
	}
	free(d->dir);
	free(d);
}

/*
 * Room for one row of up to `max` bytes in log l: flush if needed, open
 * a session log on its first row (or retry one that failed), header first.
 * @return the rc of a flush (the row is still taken).
 */
static int
zeek_room(struct app_sink *s, struct zeek *d, struct zeek_log *l, size_t max)
{
	int rc = 0;

	if (l->def->buf - l->used < max + ZEEK_LINE_MAX)
		rc = zeek_flush_log(s, l);
	if (l->fd < 0 && !l->wanted) {
		l->wanted = 1;
		zeek_open_log(d, l);
	}
	if (l->need_header && l->fd >= 0)
		zeek_append_meta(l, ZEEK_HEADER);
	return rc;
}

/* A rendered row (len bytes at the end of l's buffer, or an error) is taken. */
static void
zeek_took(struct app_sink *s, struct zeek_log *l, int len)
{
	s->records++;
	if (len < 0) {
		s->dropped++;
		return;
	}
	l->used += (size_t)len;
	l->pending++;
}

/* ---- join callbacks ------------------------------------------------------ */

static void
zeek_on_http(void *arg, const struct app_join_flow *f, const struct fc_event *req,
	     const struct fc_event *resp, const struct app_http_info *info)
{
	struct app_sink *s = arg;
	struct zeek *d = s->priv;
	struct zeek_log *l = &d->log[ZL_HTTP];

	zeek_room(s, d, l, ZEEK_ROW_MAX);
	zeek_took(s, l, zeek_render_http(d, f, req, resp, info, l->buf + l->used,
					  ZEEK_ROW_MAX));
}

static void
zeek_on_tls(void *arg, const struct app_join_flow *f, const struct fc_event *ch,
	    const struct fc_event *sh, const char *alert)
{
	struct app_sink *s = arg;
	struct zeek *d = s->priv;
	struct zeek_log *l = &d->log[ZL_SSL];

	zeek_room(s, d, l, ZEEK_ROW_MAX);
	zeek_took(s, l, zeek_render_ssl(d, f, ch, sh, alert, l->buf + l->used,
					 ZEEK_ROW_MAX));
}

/* A multicast responder (224.0.0.0/4, ff00::/8): mDNS, LLMNR. */
static int
zeek_multicast(const struct fc_event_flow_id *id)
{
	return id->family == FC_KEY_FAMILY_V4 ? (id->resp_h[0] & 0xf0) == 0xe0 :
						id->resp_h[0] == 0xff;
}

static void
zeek_on_dns(void *arg, const struct app_join_flow *f, const struct fc_event *ev)
{
	struct app_sink *s = arg;
	struct zeek *d = s->priv;
	struct zeek_log *l = &d->log[ZL_DNS];
	uint8_t kind = ev->u.session.kind;

	/* Multicast: a row per message, as Zeek (answers come from other hosts). */
	if (zeek_multicast(f->id) ? kind == d->f.k_unanswered :
	    kind != d->f.k_response && kind != d->f.k_unanswered)
		return;
	zeek_room(s, d, l, ZEEK_ROW_MAX);
	zeek_took(s, l, zeek_render_dns(d, f, ev, l->buf + l->used, ZEEK_ROW_MAX));
}

/* A message that will never be rendered: a record dropped if it would have been a row. */
static void
zeek_on_lost(void *arg, const struct fc_event *ev)
{
	struct app_sink *s = arg;
	struct zeek *d = s->priv;
	const struct fc_event_session *m = &ev->u.session;

	if (m->proto == FC_L7_DNS && m->kind != d->f.k_response &&
	    m->kind != d->f.k_unanswered)
		return;         /* (a multicast query would have been: unknown here) */
	s->records++;
	s->dropped++;
}

static void
zeek_resolve_fields(struct zeek_fields *k)
{
	k->h_depth = app_l7_field(FC_L7_HTTP, "trans_depth");
	k->h_method = app_l7_field(FC_L7_HTTP, "method");
	k->h_host = app_l7_field(FC_L7_HTTP, "host");
	k->h_uri = app_l7_field(FC_L7_HTTP, "uri");
	k->h_referrer = app_l7_field(FC_L7_HTTP, "referrer");
	k->h_version = app_l7_field(FC_L7_HTTP, "version");
	k->h_ua = app_l7_field(FC_L7_HTTP, "user_agent");
	k->h_origin = app_l7_field(FC_L7_HTTP, "origin");
	k->h_req_len = app_l7_field(FC_L7_HTTP, "request_body_len");
	k->h_resp_len = app_l7_field(FC_L7_HTTP, "response_body_len");
	k->h_status = app_l7_field(FC_L7_HTTP, "status_code");
	k->h_msg = app_l7_field(FC_L7_HTTP, "status_msg");
	k->t_version = app_l7_field(FC_L7_TLS, "version");
	k->t_cipher = app_l7_field(FC_L7_TLS, "cipher");
	k->t_curve = app_l7_field(FC_L7_TLS, "curve");
	k->t_sni = app_l7_field(FC_L7_TLS, "server_name");
	k->t_next = app_l7_field(FC_L7_TLS, "next_protocol");
	k->d_trans_id = app_l7_field(FC_L7_DNS, "trans_id");
	k->d_rtt = app_l7_field(FC_L7_DNS, "rtt_us");
	k->d_query_ts = app_l7_field(FC_L7_DNS, "query_ts");
	k->d_query = app_l7_field(FC_L7_DNS, "query");
	k->d_qclass = app_l7_field(FC_L7_DNS, "qclass");
	k->d_qclass_name = app_l7_field(FC_L7_DNS, "qclass_name");
	k->d_qtype = app_l7_field(FC_L7_DNS, "qtype");
	k->d_qtype_name = app_l7_field(FC_L7_DNS, "qtype_name");
	k->d_rcode = app_l7_field(FC_L7_DNS, "rcode");
	k->d_rcode_name = app_l7_field(FC_L7_DNS, "rcode_name");
	k->d_aa = app_l7_field(FC_L7_DNS, "AA");
	k->d_tc = app_l7_field(FC_L7_DNS, "TC");
	k->d_rd = app_l7_field(FC_L7_DNS, "RD");
	k->d_ra = app_l7_field(FC_L7_DNS, "RA");
	k->d_z = app_l7_field(FC_L7_DNS, "Z");
	k->d_answers = app_l7_field(FC_L7_DNS, "answers");
	k->d_ttls = app_l7_field(FC_L7_DNS, "TTLs");
	k->d_opcode = app_l7_field(FC_L7_DNS, "opcode");
	k->d_opcode_name = app_l7_field(FC_L7_DNS, "opcode_name");
	k->k_response = app_l7_kind(FC_L7_DNS, "response");
	k->k_unanswered = app_l7_kind(FC_L7_DNS, "unanswered");
}

/* ---- sink ops ------------------------------------------------------------ */

static int
zeek_open(struct app_sink *s, const char *target)
{
	struct zeek *d = calloc(1, sizeof(*d));
	struct app_join_ops jops = {
		.http = zeek_on_http,
		.tls = zeek_on_tls,
		.dns = zeek_on_dns,
		.lost = zeek_on_lost,
		.arg = s,
	};
	struct stat st;
	int rc;

	if (d == NULL || (d->dir = strdup(target)) == NULL) {
		fprintf(stderr, "flowscope: zeek:%s: out of memory for the output buffer\n",
			target);
		zeek_free(d);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < ZL_MAX; i++) {
		struct zeek_log *l = &d->log[i];
		size_t plen = strlen(target) + strlen(zeek_logs[i].path) + sizeof("/.log");

		l->def = &zeek_logs[i];
		l->fd = -1;
		if ((l->buf = malloc(l->def->buf)) == NULL || (l->path = malloc(plen)) == NULL) {
			fprintf(stderr, "flowscope: zeek:%s: out of memory for the output buffer\n",
				target);
			zeek_free(d);
			return -ENOMEM;
		}
		snprintf(l->path, plen, "%s/%s.log", target, l->def->path);
	}
	if (stat(target, &st) != 0) {
		if (errno != ENOENT || mkdir(target, 0755) != 0) {
			rc = -errno;
			fprintf(stderr, "flowscope: zeek:%s: cannot use the directory: %s\n",
				target, strerror(-rc));
			zeek_free(d);
			return rc;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "flowscope: zeek:%s: not a directory\n", target);
		zeek_free(d);
		return -ENOTDIR;
	}
	/* A new run starts new logs; reopen (SIGHUP) appends. */
	d->log[ZL_CONN].wanted = 1;
	rc = zeek_open_log(d, &d->log[ZL_CONN]);
	if (rc != 0) {
		zeek_free(d);
		return rc;
	}
	for (unsigned int i = ZL_CONN + 1; i < ZL_MAX; i++)
		if (unlink(d->log[i].path) != 0 && errno != ENOENT)
			fprintf(stderr, "flowscope: zeek:%s: cannot remove %s of an "
				"earlier run: %s\n", target, d->log[i].path, strerror(errno));
	zeek_resolve_fields(&d->f);
	s->priv = d;
	d->sink = s;
	d->join = app_join_create(&jops);
	if (d->join == NULL) {
		s->priv = NULL;
		close(d->log[ZL_CONN].fd);
		zeek_free(d);
		return -ENOMEM;
	}
	return 0;
}

static int
zeek_write(struct app_sink *s, const struct fc_event *ev, unsigned int n)
{
	struct zeek *d = s->priv;
	struct zeek_log *l = &d->log[ZL_CONN];
	int rc = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct fc_event *e = &ev[i];
		int r;

		switch (e->type) {
		case FC_EV_FLOW_END:
			app_join_event(d->join, e);
			if (e->u.end.id.family != FC_KEY_FAMILY_V4 &&
			    e->u.end.id.family != FC_KEY_FAMILY_V6)
				continue;
			break;
		case FC_EV_FLOW_START:
		case FC_EV_FLOW_UPDATE:
		case FC_EV_SESSION:
			app_join_event(d->join, e);
			continue;
		default:
			continue;
		}
		r = zeek_room(s, d, l, ZEEK_LINE_MAX);
		if (r != 0)
			rc = r;
		zeek_took(s, l, zeek_render_conn(e, l->buf + l->used, ZEEK_LINE_MAX));
	}
	return rc;
}

static int
zeek_tick(struct app_sink *s, uint64_t now_ns)
{
	struct zeek *d = s->priv;

	(void)now_ns;
	for (unsigned int i = 0; i < ZL_MAX; i++) {
		struct zeek_log *l = &d->log[i];

		if (l->fd < 0 && l->wanted) {
			zeek_flush_log(s, l);    /* rows with nowhere to go: dropped */
			zeek_open_log(d, l);
		}
	}
	return zeek_flush(s);
}

static int
zeek_reopen(struct app_sink *s)
{
	struct zeek *d = s->priv;
	int rc = 0;

	for (unsigned int i = 0; i < ZL_MAX; i++) {
		struct zeek_log *l = &d->log[i];
		int r, o;

		if (i != ZL_CONN && !l->opened)
			continue;            /* opened with its first row */
		zeek_close_line(s, l);
		r = zeek_flush_log(s, l);
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		l->reported = 0;
		l->need_header = 0;
		l->opened = 1;
		o = zeek_open_log(d, l);
		if (o != 0 && rc == 0)
			rc = o;
		else if (r != 0 && rc == 0)
			rc = r;
	}
	return rc;
}

/* End of the run: messages still held are written (or lost), buffers flushed. */
static int
zeek_finish(struct app_sink *s, uint64_t now_ns)
{
	struct zeek *d = s->priv;

	app_join_flush(d->join);
	return zeek_tick(s, now_ns);
}

static int
zeek_close(struct app_sink *s)
{
	struct zeek *d = s->priv;
	int rc;

	if (d == NULL)
		return 0;
	app_join_flush(d->join);
	for (unsigned int i = 0; i < ZL_MAX; i++)
		zeek_close_line(s, &d->log[i]);
	rc = zeek_flush(s);
	for (unsigned int i = 0; i < ZL_MAX; i++)
		if (d->log[i].fd >= 0 && close(d->log[i].fd) != 0 && rc == 0)
			rc = -errno;
	zeek_free(d);
	s->priv = NULL;
	return rc;
}

const struct app_sink_ops app_sink_zeek_ops = {
	.scheme = "zeek",
	.usage = "zeek:DIR               Zeek conn.log, http.log, ssl.log, dns.log (TSV) in DIR",
	.open = zeek_open,
	.write = zeek_write,
	.write_stats = NULL,
	.tick = zeek_tick,
	.reopen = zeek_reopen,
	.flush = zeek_finish,
	.close = zeek_close,
};
