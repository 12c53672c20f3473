/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EVE sink: `--output eve:FILE` (FILE may be "-" for stdout) writes
 * Suricata's EVE JSON, one object per line, so tools that read Suricata's
 * eve.json (Filebeat, Logstash, jq scripts, SIEM parsers) take flowscope's
 * flows as they are.
 *
 * WHAT IS WRITTEN. Every flow_end becomes one `"event_type":"flow"`
 * record; session messages become `"event_type":"http"`, `"tls"` and
 * `"dns"` records (below), written before their flow's record. Other event
 * types are not records (they are skipped and not counted; flow_start and
 * flow_update only tell the session records their flow's addresses, and
 * an interim flow_update is not a Suricata record). Flows of MAC keys
 * (--key mac-pair) have no IP tuple and are skipped too.
 *
 * FIELDS, as Suricata writes them:
 *   timestamp      the flow_end event time (when the flow ended), in
 *                  Suricata's form 2009-11-10T23:00:00.000000+0000, UTC
 *   flow_id        our flow_id folded to 51 bits as Suricata's are (JSON
 *                  readers keep 53 bits): the lcore index (7 bits) moves
 *                  from bits 56.. to bits 44..; the identity for lcore 0
 *   event_type     "flow"
 *   vlan           [outer] or [outer, inner] when tagged
 *   src_ip/dest_ip originator / responder, IPv6 in Suricata's full form
 *                  (eight groups of four hex digits)
 *   src_port/dest_port  TCP, UDP and SCTP only (Suricata omits them for ICMP)
 *   proto          Suricata's names: TCP, UDP, ICMP, IPv6-ICMP, SCTP, GRE,
 *                  ESP, AH, IGMP, PIM, VRRP; other protocols as the
 *                  three-digit number ("089")
 *   icmp_type/icmp_code  ICMP: type and code of the originator's first packet
 *   app_proto      the session parser's protocol (http, tls, dns); "failed"
 *                  for a TCP/UDP flow that carried payload and got no
 *                  parser (Suricata's "detection failed"); absent otherwise
 *   flow           pkts_toserver/toclient (originator/responder packets),
 *                  bytes_toserver/toclient (frame bytes, as Suricata counts
 *                  them), start/end (first/last packet), age (whole seconds
 *                  of end minus whole seconds of start, as Suricata), state,
 *                  reason, alerted:false (flowscope has no signatures)
 *   community_id   Community ID v1, seed 0
 *   tcp            TCP flows: see below
 *
 * STATE AND REASON MAPS (Suricata has three flow states and three end
 * reasons):
 *   state   TCP active/syn_sent/syn_received -> new;
 *           established/fin_wait -> established;
 *           closing/closed/reset/aborted -> closed (both FINs, or a RST:
 *           Suricata's last_ack/time_wait/closed count as closed);
 *           other protocols: established if the responder sent, else new
 *   reason  fin, rst, idle -> timeout (Suricata ends closed flows by their
 *           closed-state timeout too); evicted, buffer_overflow,
 *           parse_error -> forced; shutdown -> shutdown
 *
 * TCP OBJECT. flow_end carries no per-direction OR of TCP flags, so the
 * flags are derived from the Zeek history (s/h SYN, h/a ACK, f FIN,
 * r RST, i FIN+RST, q SYN with FIN or RST; a letter before an odd number
 * of '^' belongs to the other side) and the flowscope history (S F R per
 * packet). What this cannot tell is left out rather than guessed:
 *   - tcp_flags, tcp_flags_ts, tcp_flags_tc (hex, as Suricata) carry only
 *     the SYN, FIN, RST and ACK bits; ACK is set only when a pure ACK or a
 *     SYN-ACK was seen from that side (an ACK riding on data or a FIN
 *     leaves no trace in the histories);
 *   - the booleans syn, fin, rst, ack are written when true (as Suricata);
 *     psh, urg, ecn and cwr are never written (unknown);
 *   - state: syn_sent, syn_recv, established, closed (also after a RST)
 *     where our state says exactly that; omitted for fin_wait and closing
 *     (Suricata tells fin_wait1/fin_wait2/close_wait/last_ack/time_wait
 *     apart, we do not) and for flows picked up mid-stream.
 *
 * SESSION RECORDS share the flow record's header (timestamp, flow_id,
 * event_type, vlan, src/dest ip and port: originator = client, proto) and
 * its community_id, so they link to the flow record by flow_id. The
 * request and response of a transaction, and the two hellos of a
 * handshake, are joined first (app_join in sink.c: bounded, see sink.h).
 *   http   one record per transaction, when the response is complete (or
 *          at the flow's end without one); tx_id = trans_depth - 1;
 *          "http": hostname (Host without port), http_port (when the Host
 *          header names one), url (as sent), http_user_agent,
 *          http_content_type (the response's, parameters cut at ';'),
 *          http_refer, http_method, protocol ("HTTP/1.1"), status
 *          (number), length (response body bytes); fields the messages
 *          lack are left out, as Suricata does. Interim 1xx responses are
 *          not records. timestamp: the response's time (request's alone).
 *   tls    one record per handshake, at the server_hello (or at the flow's
 *          end with the client_hello alone): "tls": sni, version in
 *          Suricata's spelling (TLSv1, TLS 1.1, TLS 1.2, TLS 1.3, SSLv3,
 *          SSLv2; "UNDETERMINED" without a server_hello), ja3 {hash,
 *          string}, ja3s {hash, string}, ja4. No certificate fields (the
 *          parser stops at the hellos).
 *   dns    Suricata's version 2 format: a query record per query message
 *          with a question ("type":"query", id, rrname, rrtype), an
 *          answer record per response ("version":2, "type":"answer", id,
 *          flags in hex, qr/aa/tc/rd/ra when set, rrname and rrtype of the
 *          question, rcode, and "answers": one object per answer with
 *          rrname, rrtype, ttl and rdata; no "grouped" object). A query that
 *          got no answer is not a record (Suricata logs only its query).
 *          rrtype uses Suricata's names (ANY for Zeek's "*").
 * Session messages of a flow whose addresses never came (see sink.h) are
 * records dropped.
 *
 * WRITING. Records are rendered into a 1 MiB buffer and written with one
 * write(2) when it fills, on tick and at close. A failed write counts the
 * records not written as dropped (reported once on stderr; a line cut
 * short is ended with a newline) and the sink keeps going; EPIPE (the
 * reader went away, e.g. `| head`) is returned so the run stops. SIGHUP
 * reopens the file (logrotate), appending; a file that could not be
 * reopened is retried quietly on every tick.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <fc_tcp.h>

#include "sink.h"

#define EVE_BUF (1u << 20)
#define EVE_LINE_MAX 2048u
/* A session record: every byte of two session bodies escaped (\u00XX), plus the header. */
#define EVE_SESSION_MAX (2u * 6u * FC_SESSION_DATA_MAX + 2048u)

/* Suricata's flow reasons per end reason. */
static const char *const eve_reason[] = {
	[FC_END_FIN] = "timeout",
	[FC_END_RST] = "timeout",
	[FC_END_IDLE] = "timeout",
	[FC_END_EVICTED] = "forced",
	[FC_END_BUFFER_OVERFLOW] = "forced",
	[FC_END_PARSE_ERROR] = "forced",
	[FC_END_SHUTDOWN] = "shutdown",
};
static_assert(FC_DIM(eve_reason) == FC_END_MAX, "EVE reason per end reason");

/* Suricata's flow state per flowscope TCP state. */
static const char *const eve_flow_state[] = {
	[FC_TCP_S_ACTIVE] = "new",
	[FC_TCP_S_SYN_SENT] = "new",
	[FC_TCP_S_SYN_RECEIVED] = "new",
	[FC_TCP_S_ESTABLISHED] = "established",
	[FC_TCP_S_FIN_WAIT] = "established",
	[FC_TCP_S_CLOSING] = "closed",
	[FC_TCP_S_CLOSED] = "closed",
	[FC_TCP_S_RESET] = "closed",
	[FC_TCP_S_ABORTED] = "closed",
};
static_assert(FC_DIM(eve_flow_state) == FC_TCP_S_MAX, "EVE flow state per TCP state");

/* Suricata's TCP session state per flowscope TCP state; NULL: not told. */
static const char *const eve_tcp_state[] = {
	[FC_TCP_S_ACTIVE] = NULL,
	[FC_TCP_S_SYN_SENT] = "syn_sent",
	[FC_TCP_S_SYN_RECEIVED] = "syn_recv",
	[FC_TCP_S_ESTABLISHED] = "established",
	[FC_TCP_S_FIN_WAIT] = NULL,
	[FC_TCP_S_CLOSING] = NULL,
	[FC_TCP_S_CLOSED] = "closed",
	[FC_TCP_S_RESET] = "closed",
	[FC_TCP_S_ABORTED] = "closed",
};
static_assert(FC_DIM(eve_tcp_state) == FC_TCP_S_MAX, "EVE TCP state per TCP state");

/* TCP flag bits as Suricata prints them in tcp_flags*. */
#define EVE_TH_FIN 0x01
#define EVE_TH_SYN 0x02
#define EVE_TH_RST 0x04
#define EVE_TH_ACK 0x10

/* Field ids of the session messages, resolved at open. */
struct eve_fields {
	int h_depth, h_method, h_host, h_uri, h_version, h_ua, h_referrer, h_ctype,
	    h_status, h_resp_len;
	int t_sni, t_version, t_ja3, t_ja3_full, t_ja3s, t_ja3s_full, t_ja4;
	int d_trans_id, d_opcode, d_rcode, d_rcode_name, d_aa, d_tc, d_rd, d_ra, d_z,
	    d_query, d_qtype, d_qtype_name, d_answers, d_answer_names, d_answer_types,
	    d_ttls;
	int k_query, k_response;
};

struct eve {
	int fd;                  /**< -1 while the file is not open */
	int own_fd;              /**< 1 if we opened it (close at the end) */
	char *path;
	char *buf;
	size_t used;
	uint64_t pending;        /**< records in buf */
	int reported;            /**< an error was said on stderr: quiet until the sink recovers */
	int rc;                  /**< a flush error met while rendering session records */
	struct app_join *join;
	struct eve_fields f;
};

/* The bounded line writer, with a record's date cache. */
struct eve_w {
	struct fc_lw lw;
	uint64_t day;      /**< day number + 1 of date[] (0: none yet): a record's times share it */
	char date[10];     /**< "YYYY-MM-DD" of day */
};

/*
 * Suricata's timestamp form, in UTC: 2009-11-10T23:00:00.000000+0000.
 * The calendar date comes from the day count by the usual civil-calendar
 * arithmetic (eras of 400 years), avoiding gmtime_r/strftime, which cost
 * more than the rest of the record.
 */
static void
ew_time(struct eve_w *w, const char *name, uint64_t ts_ns)
{
	uint64_t sec = ts_ns / FC_NS_PER_SEC;
	unsigned int usec = (unsigned int)((ts_ns % FC_NS_PER_SEC) / FC_NS_PER_USEC);
	unsigned int sod = (unsigned int)(sec % 86400);
	char t[] = "\"YYYY-MM-DDTHH:MM:SS.uuuuuu+0000\"";

	if (w->day != sec / 86400 + 1) {
		int64_t z = (int64_t)(sec / 86400) + 719468;
		int64_t era = z / 146097;
		unsigned int doe = (unsigned int)(z - era * 146097);
		unsigned int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		unsigned int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		unsigned int mp = (5 * doy + 2) / 153;
		unsigned int d = doy - (153 * mp + 2) / 5 + 1;
		unsigned int m = mp < 10 ? mp + 3 : mp - 9;
		unsigned int y = (unsigned int)(yoe + era * 400 + (m <= 2)) % 10000;

		memcpy(w->date, &fc_event_digits2[2 * (y / 100)], 2);
		memcpy(w->date + 2, &fc_event_digits2[2 * (y % 100)], 2);
		w->date[4] = '-';
		memcpy(w->date + 5, &fc_event_digits2[2 * m], 2);
		w->date[7] = '-';
		memcpy(w->date + 8, &fc_event_digits2[2 * d], 2);
		w->day = sec / 86400 + 1;
	}
	memcpy(t + 1, w->date, sizeof(w->date));
	memcpy(t + 12, &fc_event_digits2[2 * (sod / 3600)], 2);
	memcpy(t + 15, &fc_event_digits2[2 * (sod / 60 % 60)], 2);
	memcpy(t + 18, &fc_event_digits2[2 * (sod % 60)], 2);
	memcpy(t + 21, &fc_event_digits2[2 * (usec / 10000)], 2);
	memcpy(t + 23, &fc_event_digits2[2 * (usec / 100 % 100)], 2);
	memcpy(t + 25, &fc_event_digits2[2 * (usec % 100)], 2);
	FC_LW_LIT(&w->lw, "\"");
	fc_lw_raw(&w->lw, name, strlen(name));
	FC_LW_LIT(&w->lw, "\":");
	fc_lw_raw(&w->lw, t, sizeof(t) - 1);
}

/* IPv4 dotted, IPv6 in Suricata's full form (no :: compression). */
static void
ew_addr(struct eve_w *w, const char *name, const uint8_t *a, uint8_t family)
{
	if (family == FC_KEY_FAMILY_V4) {
		char s[16];
		int n = fc_addr_str(a, family, s, sizeof(s));

		FC_LW_LIT(&w->lw, ",\"");
		fc_lw_raw(&w->lw, name, strlen(name));
		FC_LW_LIT(&w->lw, "\":\"");
		fc_lw_raw(&w->lw, s, (size_t)n);
		FC_LW_LIT(&w->lw, "\"");
		return;
	}
	{
		static const char hex[] = "0123456789abcdef";
		char t[40];

		for (int i = 0, o = 0; i < 16; i += 2) {
			t[o++] = hex[a[i] >> 4];
			t[o++] = hex[a[i] & 15];
			t[o++] = hex[a[i + 1] >> 4];
			t[o++] = hex[a[i + 1] & 15];
			t[o++] = ':';
		}
		FC_LW_LIT(&w->lw, ",\"");
		fc_lw_raw(&w->lw, name, strlen(name));
		FC_LW_LIT(&w->lw, "\":\"");
		fc_lw_raw(&w->lw, t, 39);
		FC_LW_LIT(&w->lw, "\"");
	}
}

static const char *
eve_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ICMP: return "ICMP";
	case IPPROTO_IGMP: return "IGMP";
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_GRE: return "GRE";
	case IPPROTO_ESP: return "ESP";
	case IPPROTO_AH: return "AH";
	case IPPROTO_ICMPV6: return "IPv6-ICMP";
	case IPPROTO_PIM: return "PIM";
	case 112: return "VRRP";
	case IPPROTO_SCTP: return "SCTP";
	default: return NULL;
	}
}

/* Our flow_id (lcore << 56 | counter) folded to Suricata's 51 bits. */
static uint64_t
eve_flow_id(uint64_t id)
{
	return (((id >> 56) & 0x7f) << 44) | (id & ((UINT64_C(1) << 44) - 1));
}

/*
 * TCP flags each side is known to have sent: [0] originator (to server),
 * [1] responder (to client).
 */
static void
eve_tcp_flags(const struct fc_event_flow_end *e, uint8_t fl[2])
{
	const char *h = e->history;
	size_t n = strnlen(h, sizeof(e->history));
	unsigned int flips = 0;

	fl[0] = fl[1] = 0;
	for (size_t i = 0; i < n; i++)
		flips += h[i] == '^';
	/* Zeek letters: a letter before an odd number of '^' is the other side's. */
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		unsigned int side;
		uint8_t b = 0;

		if (c == '^') {
			flips--;
			continue;
		}
		side = (c >= 'a' && c <= 'z') ? 1 : 0;
		side ^= flips & 1;
		switch (c | 0x20) {
		case 's': b = EVE_TH_SYN; break;
		case 'h': b = EVE_TH_SYN | EVE_TH_ACK; break;
		case 'a': b = EVE_TH_ACK; break;
		case 'f': b = EVE_TH_FIN; break;
		case 'r': b = EVE_TH_RST; break;
		case 'i': b = EVE_TH_FIN | EVE_TH_RST; break;
		case 'q': b = EVE_TH_SYN; break;
		default: break;
		}
		fl[side] |= b;
	}
	/* flowscope letters: upper case is always the originator. */
	n = strnlen(e->fs_history, sizeof(e->fs_history));
	for (size_t i = 0; i < n; i++) {
		char c = e->fs_history[i];
		unsigned int side = (c >= 'a' && c <= 'z') ? 1 : 0;

		switch (c | 0x20) {
		case 's': fl[side] |= EVE_TH_SYN; break;
		case 'f': fl[side] |= EVE_TH_FIN; break;
		case 'r': fl[side] |= EVE_TH_RST; break;
		default: break;
		}
	}
}

static void
ew_tcp(struct eve_w *w, const struct fc_event_flow_end *e)
{
	uint8_t fl[2], all;
	const char *st = e->state < FC_TCP_S_MAX ? eve_tcp_state[e->state] : NULL;

	static const char hex[] = "0123456789abcdef";
	char t[] = ",\"tcp\":{\"tcp_flags\":\"XX\",\"tcp_flags_ts\":\"XX\",\"tcp_flags_tc\":\"XX\"";

	eve_tcp_flags(e, fl);
	all = fl[0] | fl[1];
	/* The XX placeholders are at 21, 41 and 61. */
	t[21] = hex[all >> 4];
	t[22] = hex[all & 15];
	t[41] = hex[fl[0] >> 4];
	t[42] = hex[fl[0] & 15];
	t[61] = hex[fl[1] >> 4];
	t[62] = hex[fl[1] & 15];
	fc_lw_raw(&w->lw, t, sizeof(t) - 1);
	if (all & EVE_TH_SYN)
		FC_LW_LIT(&w->lw, ",\"syn\":true");
	if (all & EVE_TH_FIN)
		FC_LW_LIT(&w->lw, ",\"fin\":true");
	if (all & EVE_TH_RST)
		FC_LW_LIT(&w->lw, ",\"rst\":true");
	if (all & EVE_TH_ACK)
		FC_LW_LIT(&w->lw, ",\"ack\":true");
	if (st != NULL) {
		FC_LW_LIT(&w->lw, ",\"state\":\"");
		fc_lw_raw(&w->lw, st, strlen(st));
		FC_LW_LIT(&w->lw, "\"");
	}
	FC_LW_LIT(&w->lw, "}");
}

/* The header every record shares: {"timestamp":..,"flow_id":..,"event_type":"TYPE",vlan,tuple,proto */
static void
ew_head(struct eve_w *w, uint64_t ts, uint64_t flow_id, const char *type,
	const struct fc_event_flow_id *id)
{
	const char *pname = eve_proto_name(id->proto);
	int ports = id->proto == IPPROTO_TCP || id->proto == IPPROTO_UDP ||
		    id->proto == IPPROTO_SCTP;

	FC_LW_LIT(&w->lw, "{");
	ew_time(w, "timestamp", ts);
	FC_LW_LIT(&w->lw, ",\"flow_id\":");
	fc_lw_u64(&w->lw, eve_flow_id(flow_id));
	FC_LW_LIT(&w->lw, ",\"event_type\":\"");
	fc_lw_raw(&w->lw, type, strlen(type));
	FC_LW_LIT(&w->lw, "\"");
	if (id->vlan != 0) {
		FC_LW_LIT(&w->lw, ",\"vlan\":[");
		fc_lw_u64(&w->lw, id->vlan);
		if (id->vlan_inner != 0) {
			FC_LW_LIT(&w->lw, ",");
			fc_lw_u64(&w->lw, id->vlan_inner);
		}
		FC_LW_LIT(&w->lw, "]");
	}
	ew_addr(w, "src_ip", id->orig_h, id->family);
	if (ports) {
		FC_LW_LIT(&w->lw, ",\"src_port\":");
		fc_lw_u64(&w->lw, id->orig_p);
	}
	ew_addr(w, "dest_ip", id->resp_h, id->family);
	if (ports) {
		FC_LW_LIT(&w->lw, ",\"dest_port\":");
		fc_lw_u64(&w->lw, id->resp_p);
	}
	if (pname != NULL) {
		FC_LW_LIT(&w->lw, ",\"proto\":\"");
		fc_lw_raw(&w->lw, pname, strlen(pname));
		FC_LW_LIT(&w->lw, "\"");
	} else {
		fc_lw_printf(&w->lw, ",\"proto\":\"%03u\"", id->proto);
	}
}

/*
 * Render one flow_end as an EVE flow record (with '\n').
 * @return bytes written, or -ENOSPC if len is too small.
 */
static int
eve_render_flow(const struct fc_event *ev, char *buf, size_t len)
{
	const struct fc_event_flow_end *e = &ev->u.end;
	const struct fc_event_flow_id *id = &e->id;
	struct eve_w w = { .lw = { .buf = buf, .len = len } };
	int icmp = id->proto == IPPROTO_ICMP || id->proto == IPPROTO_ICMPV6;
	const char *state, *reason;
	char cid[40];

	if (len == 0)
		return -ENOSPC;
	ew_head(&w, ev->ts, ev->flow_id, "flow", id);
	if (icmp) {
		FC_LW_LIT(&w.lw, ",\"icmp_type\":");
		fc_lw_u64(&w.lw, id->icmp_type);
		FC_LW_LIT(&w.lw, ",\"icmp_code\":");
		fc_lw_u64(&w.lw, id->icmp_code);
	}
	if (e->app_proto != FC_L7_NONE) {
		const char *ap = fc_l7_proto_name(e->app_proto);

		FC_LW_LIT(&w.lw, ",\"app_proto\":\"");
		fc_lw_raw(&w.lw, ap, strlen(ap));
		FC_LW_LIT(&w.lw, "\"");
	} else if ((id->proto == IPPROTO_TCP || id->proto == IPPROTO_UDP) &&
		   e->payload_bytes[0] + e->payload_bytes[1] > 0) {
		FC_LW_LIT(&w.lw, ",\"app_proto\":\"failed\"");
	}

	if (e->is_tcp)
		state = e->state < FC_TCP_S_MAX ? eve_flow_state[e->state] : "new";
	else
		state = e->pkts[1] > 0 ? "established" : "new";
	FC_LW_LIT(&w.lw, ",\"flow\":{\"pkts_toserver\":");
	fc_lw_u64(&w.lw, e->pkts[0]);
	FC_LW_LIT(&w.lw, ",\"pkts_toclient\":");
	fc_lw_u64(&w.lw, e->pkts[1]);
	FC_LW_LIT(&w.lw, ",\"bytes_toserver\":");
	fc_lw_u64(&w.lw, e->bytes[0]);
	FC_LW_LIT(&w.lw, ",\"bytes_toclient\":");
	fc_lw_u64(&w.lw, e->bytes[1]);
	FC_LW_LIT(&w.lw, ",");
	ew_time(&w, "start", e->first_ts);
	FC_LW_LIT(&w.lw, ",");
	ew_time(&w, "end", e->last_ts);
	FC_LW_LIT(&w.lw, ",\"age\":");
	fc_lw_u64(&w.lw, e->last_ts / FC_NS_PER_SEC >= e->first_ts / FC_NS_PER_SEC ?
		   e->last_ts / FC_NS_PER_SEC - e->first_ts / FC_NS_PER_SEC : 0);
	FC_LW_LIT(&w.lw, ",\"state\":\"");
	fc_lw_raw(&w.lw, state, strlen(state));
	FC_LW_LIT(&w.lw, "\",\"reason\":\"");
	reason = e->reason < FC_END_MAX ? eve_reason[e->reason] : "timeout";
	fc_lw_raw(&w.lw, reason, strlen(reason));
	FC_LW_LIT(&w.lw, "\",\"alerted\":false}");
	if (fc_community_id(id, cid, sizeof(cid)) == 0) {
		FC_LW_LIT(&w.lw, ",\"community_id\":\"");
		fc_lw_raw(&w.lw, cid, strlen(cid));
		FC_LW_LIT(&w.lw, "\"");
	}
	if (e->is_tcp)
		ew_tcp(&w, e);
	FC_LW_LIT(&w.lw, "}\n");
	if (w.lw.overflow)
		return -ENOSPC;
	return (int)w.lw.pos;
}

/* ---- session records ------------------------------------------------------ */

/* A JSON string: '"' and '\\' escaped, bytes outside printable ASCII as \u00XX. */
static void
ew_str(struct eve_w *w, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	FC_LW_LIT(&w->lw, "\"");
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		fc_lw_raw(&w->lw, (const char *)p + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			fc_lw_raw(&w->lw, e, 2);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			fc_lw_raw(&w->lw, e, 6);
		}
	}
	fc_lw_raw(&w->lw, (const char *)p + run, n - run);
	FC_LW_LIT(&w->lw, "\"");
}

/* ,"key":"value" from a string field; nothing when the message lacks it. Returns 1 if written. */
static int
ew_kstr(struct eve_w *w, const char *key, const struct fc_event *ev, int field)
{
	struct app_l7_val v;

	if (ev == NULL || !app_l7_get(&ev->u.session, field, &v) || v.type != FC_L7_T_STR)
		return 0;
	FC_LW_LIT(&w->lw, ",\"");
	fc_lw_raw(&w->lw, key, strlen(key));
	FC_LW_LIT(&w->lw, "\":");
	ew_str(w, v.p, v.len);
	return 1;
}

/* ,"key":N from a count field; nothing when the message lacks it. */
static void
ew_ku64(struct eve_w *w, const char *key, const struct fc_event *ev, int field)
{
	struct app_l7_val v;

	if (ev == NULL || !app_l7_get(&ev->u.session, field, &v) || v.type != FC_L7_T_U64)
		return;
	FC_LW_LIT(&w->lw, ",\"");
	fc_lw_raw(&w->lw, key, strlen(key));
	FC_LW_LIT(&w->lw, "\":");
	fc_lw_u64(&w->lw, v.u);
}

/* ,"community_id":"..." and the record's end. */
static int
ew_tail(struct eve_w *w, const struct fc_event_flow_id *id)
{
	char cid[40];

	if (fc_community_id(id, cid, sizeof(cid)) == 0) {
		FC_LW_LIT(&w->lw, ",\"community_id\":\"");
		fc_lw_raw(&w->lw, cid, strlen(cid));
		FC_LW_LIT(&w->lw, "\"");
	}
	FC_LW_LIT(&w->lw, "}\n");
	return w->lw.overflow ? -ENOSPC : (int)w->lw.pos;
}

/*
 * The members of an object opened at mark were each written with a
 * leading ',': drop the first one's.
 */
static void
ew_drop_lead_comma(struct eve_w *w, size_t mark)
{
	struct fc_lw *lw = &w->lw;

	if (!lw->overflow && lw->pos > mark && lw->buf[mark] == ',') {
		memmove(lw->buf + mark, lw->buf + mark + 1, lw->pos - mark - 1);
		lw->pos--;
		lw->buf[lw->pos] = '\0';
	}
}

/* An HTTP transaction record. */
static int
eve_render_http(const struct eve *d, const struct app_join_flow *f,
		const struct fc_event *req, const struct fc_event *resp,
		char *buf, size_t len)
{
	const struct eve_fields *k = &d->f;
	struct eve_w w = { .lw = { .buf = buf, .len = len } };
	const struct fc_event *any = req != NULL ? req : resp;
	struct app_l7_val v;

	ew_head(&w, resp != NULL ? resp->ts : req->ts, f->flow_id, "http", f->id);
	if (app_l7_get(&any->u.session, k->h_depth, &v) && v.u > 0) {
		FC_LW_LIT(&w.lw, ",\"tx_id\":");
		fc_lw_u64(&w.lw, v.u - 1);
	}
	FC_LW_LIT(&w.lw, ",\"http\":{");
	{
		size_t mark = w.lw.pos;

		if (req != NULL && app_l7_get(&req->u.session, k->h_host, &v) &&
		    v.type == FC_L7_T_STR) {
			/* "host:port" (a bracketed IPv6 literal keeps its colons). */
			size_t n = v.len, hlen = v.len;
			const uint8_t *rb = v.len > 0 && v.p[0] == '[' ?
					    memchr(v.p, ']', v.len) : NULL;
			const uint8_t *colon = memchr(rb != NULL ? rb : v.p, ':',
						      v.len - (size_t)((rb != NULL ? rb : v.p) - v.p));
			unsigned long port = 0;
			int has_port = 0;

			if (colon != NULL) {
				size_t i = (size_t)(colon - v.p) + 1;

				hlen = (size_t)(colon - v.p);
				has_port = i < n;
				for (; i < n; i++) {
					if (v.p[i] < '0' || v.p[i] > '9' || port > 65535) {
						has_port = 0;
						break;
					}
					port = port * 10 + (v.p[i] - '0');
				}
				if (port > 65535)
					has_port = 0;
			}
			FC_LW_LIT(&w.lw, "\"hostname\":");
			ew_str(&w, v.p, hlen);
			if (has_port) {
				FC_LW_LIT(&w.lw, ",\"http_port\":");
				fc_lw_u64(&w.lw, port);
			}
		}
		ew_kstr(&w, "url", req, k->h_uri);
		ew_kstr(&w, "http_user_agent", req, k->h_ua);
		if (resp != NULL && app_l7_get(&resp->u.session, k->h_ctype, &v) &&
		    v.type == FC_L7_T_STR) {
			const uint8_t *semi = memchr(v.p, ';', v.len);

			FC_LW_LIT(&w.lw, ",\"http_content_type\":");
			ew_str(&w, v.p, semi != NULL ? (size_t)(semi - v.p) : v.len);
		}
		ew_kstr(&w, "http_refer", req, k->h_referrer);
		ew_kstr(&w, "http_method", req, k->h_method);
		if (app_l7_get(&any->u.session, k->h_version, &v) && v.type == FC_L7_T_STR) {
			FC_LW_LIT(&w.lw, ",\"protocol\":\"HTTP/");
			fc_lw_raw(&w.lw, (const char *)v.p, v.len < 8 ? v.len : 8);
			FC_LW_LIT(&w.lw, "\"");
		}
		ew_ku64(&w, "status", resp, k->h_status);
		ew_ku64(&w, "length", resp, k->h_resp_len);
		ew_drop_lead_comma(&w, mark);
	}
	FC_LW_LIT(&w.lw, "}");
	return ew_tail(&w, f->id);
}

/* Suricata's spelling of a TLS version given in Zeek's ("TLSv12"). */
static void
ew_tls_version(struct eve_w *w, const struct fc_event *sh, int field)
{
	static const struct { const char *zeek, *suricata; } map[] = {
		{ "TLSv10", "TLSv1" }, { "TLSv11", "TLS 1.1" }, { "TLSv12", "TLS 1.2" },
		{ "TLSv13", "TLS 1.3" }, { "SSLv3", "SSLv3" }, { "SSLv2", "SSLv2" },
	};
	struct app_l7_val v;
	const char *out = "UNDETERMINED";

	if (sh != NULL && app_l7_get(&sh->u.session, field, &v) && v.type == FC_L7_T_STR) {
		for (unsigned int i = 0; i < FC_DIM(map); i++)
			if (v.len == strlen(map[i].zeek) && memcmp(v.p, map[i].zeek, v.len) == 0)
				out = map[i].suricata;
		if (v.len > 13 && memcmp(v.p, "TLSv13-draft", 12) == 0) {
			FC_LW_LIT(&w->lw, ",\"version\":\"TLS 1.3 draft-");
			fc_lw_raw(&w->lw, (const char *)v.p + 12, v.len - 12 < 4 ? v.len - 12 : 4);
			FC_LW_LIT(&w->lw, "\"");
			return;
		}
	}
	FC_LW_LIT(&w->lw, ",\"version\":\"");
	fc_lw_raw(&w->lw, out, strlen(out));
	FC_LW_LIT(&w->lw, "\"");
}

/* ,"name":{"hash":..,"string":..} when the hello has the hash. */
static void
ew_ja3(struct eve_w *w, const char *name, const struct fc_event *hello, int hash, int full)
{
	struct app_l7_val h, s;

	if (hello == NULL || !app_l7_get(&hello->u.session, hash, &h))
		return;
	FC_LW_LIT(&w->lw, ",\"");
	fc_lw_raw(&w->lw, name, strlen(name));
	FC_LW_LIT(&w->lw, "\":{\"hash\":");
	ew_str(w, h.p, h.len);
	if (app_l7_get(&hello->u.session, full, &s)) {
		FC_LW_LIT(&w->lw, ",\"string\":");
		ew_str(w, s.p, s.len);
	}
	FC_LW_LIT(&w->lw, "}");
}

/* A TLS handshake record. */
static int
eve_render_tls(const struct eve *d, const struct app_join_flow *f,
	       const struct fc_event *ch, const struct fc_event *sh,
	       char *buf, size_t len)
{
	const struct eve_fields *k = &d->f;
	struct eve_w w = { .lw = { .buf = buf, .len = len } };
	size_t mark;

	ew_head(&w, sh != NULL ? sh->ts : ch->ts, f->flow_id, "tls", f->id);
	FC_LW_LIT(&w.lw, ",\"tls\":{");
	mark = w.lw.pos;
	ew_kstr(&w, "sni", ch, k->t_sni);
	ew_tls_version(&w, sh, k->t_version);
	ew_ja3(&w, "ja3", ch, k->t_ja3, k->t_ja3_full);
	ew_ja3(&w, "ja3s", sh, k->t_ja3s, k->t_ja3s_full);
	ew_kstr(&w, "ja4", ch, k->t_ja4);
	ew_drop_lead_comma(&w, mark);
	FC_LW_LIT(&w.lw, "}");
	return ew_tail(&w, f->id);
}

/* ,"rrtype":"NAME" of the question (Suricata's names; a number when unnamed). */
static void
ew_rrtype(struct eve_w *w, const struct eve *d, const struct fc_event *ev)
{
	struct app_l7_val v;

	if (app_l7_get(&ev->u.session, d->f.d_qtype_name, &v) && v.type == FC_L7_T_STR) {
		FC_LW_LIT(&w->lw, ",\"rrtype\":");
		if (v.len == 1 && v.p[0] == '*')
			FC_LW_LIT(&w->lw, "\"ANY\"");
		else
			ew_str(w, v.p, v.len);
	} else if (app_l7_get(&ev->u.session, d->f.d_qtype, &v)) {
		FC_LW_LIT(&w->lw, ",\"rrtype\":\"");
		fc_lw_u64(&w->lw, v.u);
		FC_LW_LIT(&w->lw, "\"");
	}
}

/* The i-th value of a repeated session field: 1 (p and len set), or 0. */
static int
eve_l7_nth(const struct fc_event_session *s, int field, unsigned int i,
	   const uint8_t **p, uint16_t *len)
{
	uint16_t off = 0;
	uint8_t fid, type;

	if (field < 0)
		return 0;
	while (fc_l7_next_field(s, &off, &fid, &type, p, len))
		if (fid == field && i-- == 0)
			return 1;
	return 0;
}

static uint64_t
eve_l7_u64(const struct fc_event *ev, int field)
{
	struct app_l7_val v;

	return app_l7_get(&ev->u.session, field, &v) ? v.u : 0;
}

/* A DNS query or answer record (v2); 0 when the message is not a record. */
static int
eve_render_dns(const struct eve *d, const struct app_join_flow *f,
	       const struct fc_event *ev, char *buf, size_t len)
{
	const struct eve_fields *k = &d->f;
	const struct fc_event_session *s = &ev->u.session;
	struct eve_w w = { .lw = { .buf = buf, .len = len } };
	struct app_l7_val q;
	int has_q = app_l7_get(s, k->d_query, &q) && q.type == FC_L7_T_STR;

	if (s->kind == k->k_query && !has_q)
		return 0;
	ew_head(&w, ev->ts, f->flow_id, "dns", f->id);
	if (s->kind == k->k_query) {
		FC_LW_LIT(&w.lw, ",\"dns\":{\"type\":\"query\",\"id\":");
		fc_lw_u64(&w.lw, eve_l7_u64(ev, k->d_trans_id));
		FC_LW_LIT(&w.lw, ",\"rrname\":");
		ew_str(&w, q.p, q.len);
		ew_rrtype(&w, d, ev);
	} else {
		static const char hex[] = "0123456789abcdef";
		uint64_t rcode = eve_l7_u64(ev, k->d_rcode);
		unsigned int flags = 0x8000u |
			(unsigned int)(eve_l7_u64(ev, k->d_opcode) & 0xf) << 11 |
			(unsigned int)(eve_l7_u64(ev, k->d_aa) != 0) << 10 |
			(unsigned int)(eve_l7_u64(ev, k->d_tc) != 0) << 9 |
			(unsigned int)(eve_l7_u64(ev, k->d_rd) != 0) << 8 |
			(unsigned int)(eve_l7_u64(ev, k->d_ra) != 0) << 7 |
			(unsigned int)(eve_l7_u64(ev, k->d_z) & 7) << 4 |
			(unsigned int)(rcode & 0xf);
		char fx[4];
		int nf = 0;
		uint16_t off = 0, plen;
		uint8_t fid, type;
		const uint8_t *p;
		struct app_l7_val rn;
		unsigned int na = 0;

		/* Suricata prints the flags with {:x}: no leading zeros. */
		for (int sh = 12; sh >= 0; sh -= 4)
			if (nf > 0 || (flags >> sh) & 0xf || sh == 0)
				fx[nf++] = hex[(flags >> sh) & 0xf];
		FC_LW_LIT(&w.lw, ",\"dns\":{\"version\":2,\"type\":\"answer\",\"id\":");
		fc_lw_u64(&w.lw, eve_l7_u64(ev, k->d_trans_id));
		FC_LW_LIT(&w.lw, ",\"flags\":\"");
		fc_lw_raw(&w.lw, fx, (size_t)nf);
		FC_LW_LIT(&w.lw, "\",\"qr\":true");
		if (flags & 0x0400)
			FC_LW_LIT(&w.lw, ",\"aa\":true");
		if (flags & 0x0200)
			FC_LW_LIT(&w.lw, ",\"tc\":true");
		if (flags & 0x0100)
			FC_LW_LIT(&w.lw, ",\"rd\":true");
		if (flags & 0x0080)
			FC_LW_LIT(&w.lw, ",\"ra\":true");
		if (has_q) {
			FC_LW_LIT(&w.lw, ",\"rrname\":");
			ew_str(&w, q.p, q.len);
			ew_rrtype(&w, d, ev);
		}
		FC_LW_LIT(&w.lw, ",\"rcode\":");
		if (app_l7_get(s, k->d_rcode_name, &rn) && rn.type == FC_L7_T_STR) {
			ew_str(&w, rn.p, rn.len);
		} else {
			FC_LW_LIT(&w.lw, "\"");
			fc_lw_u64(&w.lw, rcode);
			FC_LW_LIT(&w.lw, "\"");
		}
		/* answers[i]: the i-th entries of the parser's four parallel arrays. */
		while (fc_l7_next_field(s, &off, &fid, &type, &p, &plen)) {
			const uint8_t *np, *tp, *xp;
			uint16_t nl, tl, xl;
			uint64_t ttl;

			if (fid != k->d_answers || type != FC_L7_T_STR)
				continue;
			if (na == 0)
				FC_LW_LIT(&w.lw, ",\"answers\":[{");
			else
				FC_LW_LIT(&w.lw, ",{");
			if (eve_l7_nth(s, k->d_answer_names, na, &np, &nl)) {
				FC_LW_LIT(&w.lw, "\"rrname\":");
				ew_str(&w, np, nl);
				FC_LW_LIT(&w.lw, ",");
			}
			if (eve_l7_nth(s, k->d_answer_types, na, &tp, &tl)) {
				FC_LW_LIT(&w.lw, "\"rrtype\":");
				if (tl == 1 && tp[0] == '*')
					FC_LW_LIT(&w.lw, "\"ANY\"");
				else
					ew_str(&w, tp, tl);
				FC_LW_LIT(&w.lw, ",");
			}
			if (eve_l7_nth(s, k->d_ttls, na, &xp, &xl) && xl == sizeof(ttl)) {
				memcpy(&ttl, xp, sizeof(ttl));
				FC_LW_LIT(&w.lw, "\"ttl\":");
				fc_lw_u64(&w.lw, ttl);
				FC_LW_LIT(&w.lw, ",");
			}
			FC_LW_LIT(&w.lw, "\"rdata\":");
			ew_str(&w, p, plen);
			FC_LW_LIT(&w.lw, "}");
			na++;
		}
		if (na > 0)
			FC_LW_LIT(&w.lw, "]");
	}
	FC_LW_LIT(&w.lw, "}");
	return ew_tail(&w, f->id);
}

static int
eve_flush(struct app_sink *s)
{
	struct eve *d = s->priv;
	size_t off = 0;
	int err = 0;

	if (d->used == 0)
		return 0;
	if (d->fd < 0)
		err = EBADF;
	while (err == 0 && off < d->used) {
		ssize_t n = write(d->fd, d->buf + off, d->used - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n < 0 ? errno : EIO;
		else
			off += (size_t)n;
	}
	if (err != 0) {
		/*
		 * Lines that made it before the error are written, the rest
		 * dropped (an empty line ends an earlier cut line: no record).
		 */
		uint64_t done = 0;

		for (size_t i = 0, start = 0; i < off; i++) {
			if (d->buf[i] != '\n')
				continue;
			done += i > start;
			start = i + 1;
		}
		s->written += done;
		s->dropped += d->pending - done;
		if (!d->reported && err != EPIPE)
			fprintf(stderr, "flowscope: eve:%s: write failed: %s "
				"(records dropped until it recovers)\n",
				d->path, strerror(err));
		d->reported = 1;
		d->used = 0;
		/* A line cut short is ended, so the next record starts a line. */
		if (off > 0 && d->buf[off - 1] != '\n')
			d->buf[d->used++] = '\n';
	} else {
		s->written += d->pending;
		d->used = 0;
	}
	d->pending = 0;
	return -err;
}

/* Room for one record of up to max bytes (a flush when the buffer is nearly full). */
static void
eve_room(struct app_sink *s, struct eve *d, size_t max)
{
	if (EVE_BUF - d->used < max) {
		int r = eve_flush(s);

		if (r != 0)
			d->rc = r;
	}
}

/* A rendered record (len bytes at the end of the buffer, 0: none, or an error) is taken. */
static void
eve_took(struct app_sink *s, struct eve *d, int len)
{
	if (len == 0)
		return;
	s->records++;
	if (len < 0) {
		s->dropped++;
		return;
	}
	d->used += (size_t)len;
	d->pending++;
}

static void
eve_on_http(void *arg, const struct app_join_flow *f, const struct fc_event *req,
	    const struct fc_event *resp, const struct app_http_info *info)
{
	struct app_sink *s = arg;
	struct eve *d = s->priv;

	(void)info;
	eve_room(s, d, EVE_SESSION_MAX);
	eve_took(s, d, eve_render_http(d, f, req, resp, d->buf + d->used, EVE_SESSION_MAX));
}

static void
eve_on_tls(void *arg, const struct app_join_flow *f, const struct fc_event *ch,
	   const struct fc_event *sh, const char *alert)
{
	struct app_sink *s = arg;
	struct eve *d = s->priv;

	(void)alert;
	eve_room(s, d, EVE_SESSION_MAX);
	eve_took(s, d, eve_render_tls(d, f, ch, sh, d->buf + d->used, EVE_SESSION_MAX));
}

static void
eve_on_dns(void *arg, const struct app_join_flow *f, const struct fc_event *ev)
{
	struct app_sink *s = arg;
	struct eve *d = s->priv;

	if (ev->u.session.kind != d->f.k_query && ev->u.session.kind != d->f.k_response)
		return;
	eve_room(s, d, EVE_SESSION_MAX);
	eve_took(s, d, eve_render_dns(d, f, ev, d->buf + d->used, EVE_SESSION_MAX));
}

/* A message that will never be rendered: a record dropped if it would have been one. */
static void
eve_on_lost(void *arg, const struct fc_event *ev)
{
	struct app_sink *s = arg;
	struct eve *d = s->priv;
	const struct fc_event_session *m = &ev->u.session;

	if (m->proto == FC_L7_DNS && m->kind != d->f.k_query && m->kind != d->f.k_response)
		return;
	if (m->proto == FC_L7_HTTP && m->kind != app_l7_kind(FC_L7_HTTP, "request") &&
	    m->kind != app_l7_kind(FC_L7_HTTP, "response"))
		return;
	s->records++;
	s->dropped++;
}

static void
eve_resolve_fields(struct eve_fields *k)
{
	k->h_depth = app_l7_field(FC_L7_HTTP, "trans_depth");
	k->h_method = app_l7_field(FC_L7_HTTP, "method");
	k->h_host = app_l7_field(FC_L7_HTTP, "host");
	k->h_uri = app_l7_field(FC_L7_HTTP, "uri");
	k->h_version = app_l7_field(FC_L7_HTTP, "version");
	k->h_ua = app_l7_field(FC_L7_HTTP, "user_agent");
	k->h_referrer = app_l7_field(FC_L7_HTTP, "referrer");
	k->h_ctype = app_l7_field(FC_L7_HTTP, "content_type");
	k->h_status = app_l7_field(FC_L7_HTTP, "status_code");
	k->h_resp_len = app_l7_field(FC_L7_HTTP, "response_body_len");
	k->t_sni = app_l7_field(FC_L7_TLS, "server_name");
	k->t_version = app_l7_field(FC_L7_TLS, "version");
	k->t_ja3 = app_l7_field(FC_L7_TLS, "ja3");
	k->t_ja3_full = app_l7_field(FC_L7_TLS, "ja3_full");
	k->t_ja3s = app_l7_field(FC_L7_TLS, "ja3s");
	k->t_ja3s_full = app_l7_field(FC_L7_TLS, "ja3s_full");
	k->t_ja4 = app_l7_field(FC_L7_TLS, "ja4");
	k->d_trans_id = app_l7_field(FC_L7_DNS, "trans_id");
	k->d_opcode = app_l7_field(FC_L7_DNS, "opcode");
	k->d_rcode = app_l7_field(FC_L7_DNS, "rcode");
	k->d_rcode_name = app_l7_field(FC_L7_DNS, "rcode_name");
	k->d_aa = app_l7_field(FC_L7_DNS, "AA");
	k->d_tc = app_l7_field(FC_L7_DNS, "TC");
	k->d_rd = app_l7_field(FC_L7_DNS, "RD");
	k->d_ra = app_l7_field(FC_L7_DNS, "RA");
	k->d_z = app_l7_field(FC_L7_DNS, "Z");
	k->d_query = app_l7_field(FC_L7_DNS, "query");
	k->d_qtype = app_l7_field(FC_L7_DNS, "qtype");
	k->d_qtype_name = app_l7_field(FC_L7_DNS, "qtype_name");
	k->d_answers = app_l7_field(FC_L7_DNS, "answers");
	k->d_answer_names = app_l7_field(FC_L7_DNS, "answer_names");
	k->d_answer_types = app_l7_field(FC_L7_DNS, "answer_types");
	k->d_ttls = app_l7_field(FC_L7_DNS, "TTLs");
	k->k_query = app_l7_kind(FC_L7_DNS, "query");
	k->k_response = app_l7_kind(FC_L7_DNS, "response");
}

static int
eve_open_fd(struct eve *d, int flags)
{
	if (strcmp(d->path, "-") == 0) {
		d->fd = STDOUT_FILENO;
		d->own_fd = 0;
		return 0;
	}
	d->fd = open(d->path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	if (d->fd < 0) {
		int err = errno;

		/* Said once; retries on tick stay quiet until one succeeds. */
		if (!d->reported)
			fprintf(stderr, "flowscope: eve:%s: cannot open: %s\n",
				d->path, strerror(err));
		d->reported = 1;
		return -err;
	}
	d->own_fd = 1;
	d->reported = 0;
	return 0;
}

static int
eve_open(struct app_sink *s, const char *target)
{
	struct eve *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL || (d->buf = malloc(EVE_BUF)) == NULL ||
	    (d->path = strdup(target)) == NULL) {
		fprintf(stderr, "flowscope: eve:%s: out of memory for the output buffer\n",
			target);
		if (d != NULL)
			free(d->buf);
		free(d);
		return -ENOMEM;
	}
	d->fd = -1;
	/* A new run starts a new file; reopen (SIGHUP) appends. */
	rc = eve_open_fd(d, O_TRUNC);
	if (rc == 0) {
		struct app_join_ops jops = {
			.http = eve_on_http,
			.tls = eve_on_tls,
			.dns = eve_on_dns,
			.lost = eve_on_lost,
			.arg = s,
		};

		eve_resolve_fields(&d->f);
		d->join = app_join_create(&jops);
		if (d->join == NULL) {
			if (d->own_fd)
				close(d->fd);
			rc = -ENOMEM;
		}
	}
	if (rc != 0) {
		free(d->path);
		free(d->buf);
		free(d);
		return rc;
	}
	s->priv = d;
	return 0;
}

static int
eve_write(struct app_sink *s, const struct fc_event *ev, unsigned int n)
{
	struct eve *d = s->priv;
	int rc = 0;

	d->rc = 0;
	for (unsigned int i = 0; i < n; i++) {
		switch (ev[i].type) {
		case FC_EV_FLOW_END:
			/* The flow's held session records go first. */
			app_join_event(d->join, &ev[i]);
			if (ev[i].u.end.id.family != FC_KEY_FAMILY_V4 &&
			    ev[i].u.end.id.family != FC_KEY_FAMILY_V6)
				continue;
			break;
		case FC_EV_FLOW_START:
		case FC_EV_FLOW_UPDATE:
		case FC_EV_SESSION:
			app_join_event(d->join, &ev[i]);
			continue;
		default:
			continue;
		}
		eve_room(s, d, EVE_LINE_MAX);
		eve_took(s, d, eve_render_flow(&ev[i], d->buf + d->used, EVE_LINE_MAX));
	}
	rc = d->rc;
	d->rc = 0;
	return rc;
}

static int
eve_tick(struct app_sink *s, uint64_t now_ns)
{
	struct eve *d = s->priv;

	(void)now_ns;
	if (d->fd < 0)
		eve_open_fd(d, O_APPEND);
	return eve_flush(s);
}

static int
eve_reopen(struct app_sink *s)
{
	struct eve *d = s->priv;
	int rc = eve_flush(s);

	if (!d->own_fd && d->fd >= 0)
		return rc;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->reported = 0;
	return eve_open_fd(d, O_APPEND);
}

/* End of the run: messages still held are written (or lost), buffers flushed. */
static int
eve_finish(struct app_sink *s, uint64_t now_ns)
{
	struct eve *d = s->priv;

	app_join_flush(d->join);
	return eve_tick(s, now_ns);
}

static int
eve_close(struct app_sink *s)
{
	struct eve *d = s->priv;
	int rc;

	if (d == NULL)
		return 0;
	app_join_flush(d->join);
	rc = eve_flush(s);
	if (d->own_fd && d->fd >= 0 && close(d->fd) != 0 && rc == 0)
		rc = -errno;
	app_join_free(d->join);
	free(d->path);
	free(d->buf);
	free(d);
	s->priv = NULL;
	return rc == -EPIPE ? 0 : rc;
}

const struct app_sink_ops app_sink_eve_ops = {
	.scheme = "eve",
	.usage = "eve:-|eve:FILE         Suricata EVE JSON flow, http, tls and dns records",
	.open = eve_open,
	.write = eve_write,
	.write_stats = NULL,
	.tick = eve_tick,
	.reopen = eve_reopen,
	.flush = eve_finish,
	.close = eve_close,
};
