/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the Zeek sink (app/sink_zeek.c): the conn.log header
 * block and #close line, exact rows for flow_end events built by hand
 * (IPv4 TCP, IPv6 UDP single packet, ICMP, a tunnelled flow and its
 * parent, VLAN, an unknown transport, reassembly gaps, services), uids
 * (format, stability, no collisions), what is not a record, reopen on
 * SIGHUP, the session logs (http.log, ssl.log, dns.log: joined
 * transactions and handshakes, escaping, uids shared with conn.log,
 * messages of unknown flows), and the error paths (a DIR that is a file
 * or cannot hold the log, writes that fail while the sink keeps going).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <fc_tcp.h>

#include "sink.h"
#include "sink_test.h"

#define SEC FC_NS_PER_SEC
#define USEC FC_NS_PER_USEC


static const char header_head[] =
	"#separator \\x09\n"
	"#set_separator\t,\n"
	"#empty_field\t(empty)\n"
	"#unset_field\t-\n"
	"#path\tconn\n"
	"#open\t";
static const char header_tail[] =
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice"
	"\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp"
	"\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts"
	"\tresp_ip_bytes\ttunnel_parents\n"
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval"
	"\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount"
	"\tcount\tset[string]\n";

static void
flow_end(struct fc_event *ev, uint64_t flow_id, uint8_t family, uint8_t proto,
	 const char *orig, uint16_t orig_p, const char *resp, uint16_t resp_p)
{
	struct fc_event_flow_end *e = &ev->u.end;
	int af = family == FC_KEY_FAMILY_V4 ? AF_INET : AF_INET6;

	memset(ev, 0, sizeof(*ev));
	ev->type = FC_EV_FLOW_END;
	ev->flow_id = flow_id;
	ev->ts = 1258894089ull * SEC;
	e->id.family = family;
	e->id.proto = proto;
	assert_int_equal(inet_pton(af, orig, e->id.orig_h), 1);
	assert_int_equal(inet_pton(af, resp, e->id.resp_h), 1);
	e->id.orig_p = orig_p;
	e->id.resp_p = resp_p;
	e->first_ts = 1258894080ull * SEC + 100000 * USEC;
	e->last_ts = 1258894083ull * SEC + 99999 * USEC;
	e->reason = FC_END_IDLE;
}

static void
tcp_session(struct fc_event *ev)
{
	struct fc_event_flow_end *e = &ev->u.end;

	flow_end(ev, 7, FC_KEY_FAMILY_V4, IPPROTO_TCP, "10.0.0.1", 40000,
		 "192.168.1.2", 80);
	e->is_tcp = 1;
	e->state = FC_TCP_S_CLOSED;
	e->reason = FC_END_FIN;
	e->pkts[0] = 6;
	e->pkts[1] = 5;
	e->bytes[0] = 480;
	e->bytes[1] = 5400;
	e->ip_bytes[0] = 396;
	e->ip_bytes[1] = 5330;
	e->payload_bytes[0] = 90;    /* a retransmission and a gap: seq differs */
	e->payload_bytes[1] = 5000;
	e->seq_bytes[0] = 100;
	e->seq_bytes[1] = 5000;
	strcpy(e->conn_state, "SF");
	strcpy(e->history, "ShADadFf");
	strcpy(e->fs_history, "SsDdFf");
}

/* Check a header block at *p (advancing it past the header). */
static void
check_header(const char **p)
{
	const char *s = *p;
	int y, mo, d, h, mi, sec, n = 0;

	assert_true(strncmp(s, header_head, strlen(header_head)) == 0);
	s += strlen(header_head);
	/* #open 2024-01-02-03-04-05 */
	assert_int_equal(sscanf(s, "%4d-%2d-%2d-%2d-%2d-%2d\n%n", &y, &mo, &d, &h,
				&mi, &sec, &n), 6);
	assert_int_equal(n, 20);
	assert_true(y >= 2020 && mo >= 1 && mo <= 12);
	s += n;
	assert_true(strncmp(s, header_tail, strlen(header_tail)) == 0);
	*p = s + strlen(header_tail);
}

/* Check that s is exactly "#close\t<time>\n". */
static void
check_close(const char *s)
{
	int y, mo, d, h, mi, sec, n = 0;

	assert_true(strncmp(s, "#close\t", 7) == 0);
	assert_int_equal(sscanf(s + 7, "%4d-%2d-%2d-%2d-%2d-%2d\n%n", &y, &mo, &d,
				&h, &mi, &sec, &n), 6);
	assert_int_equal(n, 20);
	assert_int_equal(s[7 + n], '\0');
}

/*
 * Render events through a fresh zeek sink into tmpdir/<dir>; return the
 * rows (header and #close checked and stripped).
 */
static char *
render(const char *dir, const struct fc_event *ev, unsigned int n,
       struct app_sink *out)
{
	struct app_sink s;
	char path[128], log[160];
	const char *p;
	char *text, *rows, *close_line;

	memset(&s, 0, sizeof(s));
	path_of(path, sizeof(path), dir);
	assert_int_equal(app_sink_zeek_ops.open(&s, path), 0);
	assert_int_equal(app_sink_zeek_ops.write(&s, ev, n), 0);
	assert_int_equal(app_sink_zeek_ops.close(&s), 0);
	assert_null(s.priv);
	assert_int_equal(s.records, s.written + s.dropped);
	if (out != NULL)
		*out = s;
	snprintf(log, sizeof(log), "%s/conn.log", path);
	text = slurp(log, NULL);
	p = text;
	check_header(&p);
	close_line = strstr(p, "#close\t");
	assert_non_null(close_line);
	check_close(close_line);
	rows = strndup(p, (size_t)(close_line - p));
	free(text);
	return rows;
}

/* The whole file: header, one exact row, #close. */
static void
test_zeek_ipv4_tcp(void **state)
{
	struct fc_event ev;
	struct app_sink s;
	char *rows;

	(void)state;
	tcp_session(&ev);
	rows = render("tcp", &ev, 1, &s);
	assert_string_equal(rows,
		"1258894080.100000\tCHCf31B1bQzrUOgUUe\t10.0.0.1\t40000\t192.168.1.2\t80"
		"\ttcp\t-\t2.999999\t100\t5000\tSF\t-\t-\t0\tShADadFf\t6\t396\t5\t5330\t-\n");
	assert_int_equal(s.records, 1);
	assert_int_equal(s.written, 1);
	assert_int_equal(s.dropped, 0);
	free(rows);
}

/* IPv6 UDP, one packet: duration and byte counts unset as Zeek leaves them. */
static void
test_zeek_ipv6_udp_single(void **state)
{
	struct fc_event ev[2];
	char *rows;

	(void)state;
	flow_end(&ev[0], 12, FC_KEY_FAMILY_V6, IPPROTO_UDP, "fe80::217:f2ff:fed7:cf65",
		 5353, "ff02::fb", 5353);
	ev[0].u.end.app_proto = FC_L7_DNS;
	ev[0].u.end.last_ts = ev[0].u.end.first_ts;
	ev[0].u.end.pkts[0] = 1;
	ev[0].u.end.ip_bytes[0] = 199;
	ev[0].u.end.payload_bytes[0] = 151;
	strcpy(ev[0].u.end.conn_state, "S0");
	strcpy(ev[0].u.end.history, "D");
	/* Two packets: UDP bytes are payload bytes. */
	ev[1] = ev[0];
	ev[1].flow_id = 3;
	ev[1].u.end.last_ts += 250 * USEC;
	ev[1].u.end.pkts[1] = 1;
	ev[1].u.end.ip_bytes[1] = 99;
	ev[1].u.end.payload_bytes[1] = 51;
	strcpy(ev[1].u.end.conn_state, "SF");
	strcpy(ev[1].u.end.history, "Dd");
	rows = render("udp6", ev, 2, NULL);
	assert_string_equal(rows,
		"1258894080.100000\tCNqhdsi4mijk7YBmns\tfe80::217:f2ff:fed7:cf65\t5353"
		"\tff02::fb\t5353\tudp\tdns\t-\t-\t-\tS0\t-\t-\t0\tD\t1\t199\t0\t0\t-\n"
		"1258894080.100000\tCWeAl0b2bQDIha5vDk\tfe80::217:f2ff:fed7:cf65\t5353"
		"\tff02::fb\t5353\tudp\tdns\t0.000250\t151\t51\tSF\t-\t-\t0\tDd\t1\t199"
		"\t1\t99\t-\n");
	free(rows);
}

/* ICMP: type and counterpart type as ports, proto icmp for ICMPv6 too. */
static void
test_zeek_icmp(void **state)
{
	struct fc_event ev[2];
	char *rows;

	(void)state;
	flow_end(&ev[0], 3, FC_KEY_FAMILY_V4, IPPROTO_ICMP, "10.1.1.1", 8,
		 "10.1.1.2", 0);
	ev[0].u.end.id.icmp_type = 8;
	ev[0].u.end.pkts[0] = 2;
	ev[0].u.end.pkts[1] = 2;
	ev[0].u.end.ip_bytes[0] = 168;
	ev[0].u.end.ip_bytes[1] = 168;
	ev[0].u.end.payload_bytes[0] = 112;
	ev[0].u.end.payload_bytes[1] = 112;
	strcpy(ev[0].u.end.conn_state, "OTH");
	flow_end(&ev[1], 4, FC_KEY_FAMILY_V6, IPPROTO_ICMPV6, "fe80::1", 135,
		 "ff02::1:ff00:2", 136);
	ev[1].u.end.last_ts = ev[1].u.end.first_ts;
	ev[1].u.end.pkts[0] = 1;
	ev[1].u.end.ip_bytes[0] = 72;
	strcpy(ev[1].u.end.conn_state, "OTH");
	rows = render("icmp", ev, 2, NULL);
	assert_string_equal(rows,
		"1258894080.100000\tCWeAl0b2bQDIha5vDk\t10.1.1.1\t8\t10.1.1.2\t0\ticmp\t-"
		"\t2.999999\t112\t112\tOTH\t-\t-\t0\t-\t2\t168\t2\t168\t-\n"
		"1258894080.100000\tC6KrguVFlWTzB4sI3Y\tfe80::1\t135\tff02::1:ff00:2\t136"
		"\ticmp\t-\t-\t-\t-\tOTH\t-\t-\t0\t-\t1\t72\t0\t0\t-\n");
	free(rows);
}

/* A tunnelled flow names its parent's uid; VLAN tags do not change the row. */
static void
test_zeek_tunnel_vlan(void **state)
{
	struct fc_event ev[2];
	char *rows;

	(void)state;
	tcp_session(&ev[0]);
	ev[0].flow_id = (3ull << 56) | 5;
	ev[0].u.end.id.tunnel = FC_TUN_VXLAN;
	ev[0].u.end.id.tunnel_id = 123;
	ev[0].u.end.id.tunnel_parent = (3ull << 56) | 4;
	ev[0].u.end.id.vlan = 100;
	ev[0].u.end.id.vlan_inner = 200;
	flow_end(&ev[1], (3ull << 56) | 4, FC_KEY_FAMILY_V4, IPPROTO_UDP, "10.1.200.131",
		 50000, "10.1.1.172", 4789);
	ev[1].u.end.pkts[0] = 12;
	ev[1].u.end.ip_bytes[0] = 10539;
	ev[1].u.end.payload_bytes[0] = 10203;
	strcpy(ev[1].u.end.conn_state, "S0");
	strcpy(ev[1].u.end.history, "D");
	rows = render("tunnel", ev, 2, NULL);
	assert_string_equal(rows,
		"1258894080.100000\tCkiWDyo8UpYQN3Rpnf\t10.0.0.1\t40000\t192.168.1.2\t80"
		"\ttcp\t-\t2.999999\t100\t5000\tSF\t-\t-\t0\tShADadFf\t6\t396\t5\t5330"
		"\tCnGZtdW1A6g8Z2USSM\n"
		"1258894080.100000\tCnGZtdW1A6g8Z2USSM\t10.1.200.131\t50000\t10.1.1.172"
		"\t4789\tudp\t-\t2.999999\t10203\t0\tS0\t-\t-\t0\tD\t12\t10539\t0\t0\t-\n");
	free(rows);
}

/* missed_bytes from reassembly gaps; services; unknown transports; empty history. */
static void
test_zeek_columns(void **state)
{
	struct fc_event ev[4];
	char *rows, *line;

	(void)state;
	tcp_session(&ev[0]);
	ev[0].u.end.has_reasm = 1;
	ev[0].u.end.reasm[0].gap_bytes = 10;
	ev[0].u.end.reasm[1].gap_bytes = 2892;
	ev[0].u.end.app_proto = FC_L7_HTTP;
	tcp_session(&ev[1]);
	ev[1].u.end.app_proto = FC_L7_TLS;
	ev[1].u.end.history[0] = '\0';
	ev[1].u.end.conn_state[0] = '\0';
	/* Reassembly stats without has_reasm are not read. */
	ev[1].u.end.reasm[0].gap_bytes = 77;
	flow_end(&ev[2], 9, FC_KEY_FAMILY_V4, 47, "10.0.0.1", 0, "10.0.0.2", 0);
	ev[2].u.end.pkts[0] = 2;
	ev[2].u.end.ip_bytes[0] = 200;
	ev[2].u.end.payload_bytes[0] = 160;
	strcpy(ev[2].u.end.conn_state, "OTH");
	ev[3] = ev[2];
	ev[3].u.end.app_proto = FC_L7_DNS;
	rows = render("cols", ev, 4, NULL);
	line = rows;
	assert_true(strncmp(line, "1258894080.100000\tCHCf31B1bQzrUOgUUe\t10.0.0.1\t40000"
			    "\t192.168.1.2\t80\ttcp\thttp\t2.999999\t100\t5000\tSF\t-\t-"
			    "\t2902\tShADadFf\t6\t", 117) == 0);
	line = strchr(line, '\n') + 1;
	assert_non_null(strstr(line, "\ttcp\tssl\t2.999999\t100\t5000\t-\t-\t-\t0\t-\t6\t"));
	line = strchr(line, '\n') + 1;
	assert_non_null(strstr(line, "\t10.0.0.1\t0\t10.0.0.2\t0\tunknown_transport\t-"
			       "\t2.999999\t160\t0\tOTH\t-\t-\t0\t-\t2\t200\t0\t0\t-\n"));
	line = strchr(line, '\n') + 1;
	assert_non_null(strstr(line, "\tunknown_transport\tdns\t"));
	free(rows);
}

/* uids: "C" + 17 base62, stable for a flow_id, distinct for 20000 flows. */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_zeek_uids(void **state)
{
	enum { N = 20000 };
	struct fc_event *ev = calloc(N, sizeof(*ev));
	char **uids = calloc(N, sizeof(*uids));
	char *rows, *line;
	unsigned int i;

	(void)state;
	assert_non_null(ev);
	assert_non_null(uids);
	for (i = 0; i < N; i++) {
		tcp_session(&ev[i]);
		ev[i].flow_id = ((uint64_t)(i % 4) << 56) | (i / 4 + 1);
	}
	rows = render("uids", ev, N, NULL);
	line = rows;
	for (i = 0; i < N; i++) {
		char *uid = strchr(line, '\t') + 1;

		assert_int_equal(strchr(uid, '\t') - uid, 18);
		assert_int_equal(uid[0], 'C');
		for (int k = 1; k < 18; k++)
			assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "abcdefghijklmnopqrstuvwxyz", uid[k]));
		uids[i] = strndup(uid, 18);
		line = strchr(line, '\n') + 1;
	}
	assert_int_equal(*line, '\0');
	/* Stable: flow_id 7 has the uid of the exact-row test. */
	assert_string_equal(uids[4 * 6], "CHCf31B1bQzrUOgUUe");
	qsort(uids, N, sizeof(*uids), cmp_str);
	for (i = 1; i < N; i++)
		assert_string_not_equal(uids[i - 1], uids[i]);
	for (i = 0; i < N; i++)
		free(uids[i]);
	free(uids);
	free(rows);
	free(ev);
}

/* Only flow_end of IP flows are records; an empty run is header + #close. */
static void
test_zeek_skips_non_records(void **state)
{
	struct fc_event ev[4];
	struct app_sink s;
	char *rows;

	(void)state;
	memset(ev, 0, sizeof(ev));
	ev[0].type = FC_EV_FLOW_START;
	ev[1].type = FC_EV_SESSION;
	tcp_session(&ev[2]);
	ev[2].u.end.id.family = FC_KEY_FAMILY_MAC;
	ev[3].type = FC_EV_FLOW_UPDATE;
	rows = render("skip", ev, 4, &s);
	assert_string_equal(rows, "");
	assert_int_equal(s.records, 0);
	free(rows);
}

/* A flow_start of flow_id with the identity of tcp_session()'s flow. */
static void
start_of(struct fc_event *ev, const struct fc_event *end, uint64_t flow_id)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = FC_EV_FLOW_START;
	ev->flow_id = flow_id;
	ev->ts = end->u.end.first_ts;
	ev->u.start = end->u.end.id;
}

/*
 * DIR/name.log: header block with #path name and the given #fields line,
 * the rows, #close; returns the rows.
 */
static char *
session_rows(const char *dir, const char *name, const char *fields)
{
	char log[192], want[64];
	char *text, *rows, *p, *close_line;

	snprintf(log, sizeof(log), "%s/%s/%s.log", tmpdir, dir, name);
	text = slurp(log, NULL);
	snprintf(want, sizeof(want), "#unset_field\t-\n#path\t%s\n#open\t", name);
	assert_true(strncmp(text, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n",
			    strlen("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n")) == 0);
	p = strstr(text, want);
	assert_non_null(p);
	p = strchr(p + strlen(want), '\n') + 1;
	assert_true(strncmp(p, fields, strlen(fields)) == 0);
	p = strchr(p, '\n') + 1;
	assert_true(strncmp(p, "#types\t", 7) == 0);
	p = strchr(p, '\n') + 1;
	close_line = strstr(p, "#close\t");
	assert_non_null(close_line);
	check_close(close_line);
	rows = strndup(p, (size_t)(close_line - p));
	free(text);
	return rows;
}

static const char http_fields[] =
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth"
	"\tmethod\thost\turi\treferrer\tversion\tuser_agent\torigin\trequest_body_len"
	"\tresponse_body_len\tstatus_code\tstatus_msg\tinfo_code\tinfo_msg\ttags"
	"\tusername\tpassword\tproxied\torig_fuids\torig_filenames\torig_mime_types"
	"\tresp_fuids\tresp_filenames\tresp_mime_types\n";
static const char ssl_fields[] =
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher"
	"\tcurve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished"
	"\tssl_history\tcert_chain_fps\tclient_cert_chain_fps\tsni_matches_cert\n";
static const char dns_fields[] =
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id"
	"\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA"
	"\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\topcode\topcode_name\n";

/*
 * http.log: request and response joined per trans_depth (an interim 100
 * noted as info), pipelined requests, a request never answered (written
 * at the flow's end with the response columns unset); the URI
 * percent-decoded; values escaped as Zeek does; the uid is conn.log's.
 */
static void
test_zeek_http_log(void **state)
{
	struct fc_event ev[8];
	struct app_sink s;
	char *conn, *rows;
	const uint64_t t0 = 1258894080ull * SEC + 100000 * USEC;

	(void)state;
	tcp_session(&ev[7]);
	start_of(&ev[0], &ev[7], 7);
	sess(&ev[1], 7, t0 + 1000, FC_L7_HTTP, "request", FC_SIDE_ORIG);
	put_u(&ev[1], "trans_depth", 1);
	put_s(&ev[1], "method", "POST");
	put_s(&ev[1], "host", "example.com:8080");
	put_s(&ev[1], "uri", "/a%20b/%41%zz?q=%2");
	put_s(&ev[1], "version", "1.1");
	put_s(&ev[1], "user_agent", "curl\t7\\x");
	put_s(&ev[1], "referrer", "-");
	put_s(&ev[1], "origin", "");
	sess(&ev[2], 7, t0 + 2000, FC_L7_HTTP, "request", FC_SIDE_ORIG);
	put_u(&ev[2], "trans_depth", 2);
	put_s(&ev[2], "method", "GET");
	put_s(&ev[2], "uri", "/caf\xc3\xa9");
	put_s(&ev[2], "version", "1.1");
	sess(&ev[3], 7, t0 + 3000, FC_L7_HTTP, "response", FC_SIDE_RESP);
	put_u(&ev[3], "trans_depth", 1);
	put_s(&ev[3], "version", "1.1");
	put_u(&ev[3], "status_code", 100);
	put_s(&ev[3], "status_msg", "Continue");
	sess(&ev[4], 7, t0 + 4000, FC_L7_HTTP, "response", FC_SIDE_RESP);
	put_u(&ev[4], "trans_depth", 1);
	put_s(&ev[4], "version", "1.0");
	put_u(&ev[4], "status_code", 404);
	put_s(&ev[4], "status_msg", "Not Found");
	put_u(&ev[4], "request_body_len", 12);
	put_u(&ev[4], "response_body_len", 345);
	/* A response without a request (its request was never seen). */
	sess(&ev[5], 7, t0 + 5000, FC_L7_HTTP, "response", FC_SIDE_RESP);
	put_u(&ev[5], "trans_depth", 9);
	put_u(&ev[5], "status_code", 200);
	put_s(&ev[5], "status_msg", "OK");
	ev[6] = ev[7];
	ev[6].type = FC_EV_STATE_CHANGE;
	conn = render("http", ev, 8, &s);
	assert_true(strncmp(conn, "1258894080.100000\tCHCf31B1bQzrUOgUUe\t", 37) == 0);
	assert_int_equal(s.records, 4);         /* conn row + 3 http rows */
	assert_int_equal(s.written, 4);
	rows = session_rows("http", "http", http_fields);
	assert_string_equal(rows,
		"1258894080.100001\tCHCf31B1bQzrUOgUUe\t10.0.0.1\t40000\t192.168.1.2\t80\t1"
		"\tPOST\texample.com:8080\t/a b/A%zz?q=%2\t\\x2d\t1.0\tcurl\\x097\\x5cx\t(empty)"
		"\t12\t345\t404\tNot Found\t100\tContinue\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t-\n"
		"1258894080.100005\tCHCf31B1bQzrUOgUUe\t10.0.0.1\t40000\t192.168.1.2\t80\t9"
		"\t-\t-\t-\t-\t-\t-\t-\t-\t-\t200\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t-\n"
		"1258894080.100002\tCHCf31B1bQzrUOgUUe\t10.0.0.1\t40000\t192.168.1.2\t80\t2"
		"\tGET\t-\t/caf\\xc3\\xa9\t-\t-\t-\t-\t0\t0\t-\t-\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t-\n");
	free(rows);
	free(conn);
}

/*
 * ssl.log: the two hellos joined (a rejected hello carries the alert that
 * answered it), a hello never answered written at the flow's end; no
 * ssl.log, http.log or dns.log at all in a run without such messages.
 */
static void
test_zeek_ssl_log(void **state)
{
	struct fc_event ev[7];
	struct app_sink s;
	char *conn, *rows, path[160];
	const uint64_t t0 = 1258894080ull * SEC + 100000 * USEC;
	struct stat st;

	(void)state;
	tcp_session(&ev[5]);
	ev[6] = ev[5];
	ev[6].flow_id = 3;
	start_of(&ev[0], &ev[5], 7);
	sess(&ev[1], 7, t0 + 10, FC_L7_TLS, "client_hello", FC_SIDE_ORIG);
	put_s(&ev[1], "server_name", "www.example.org");
	put_s(&ev[1], "ja3", "0123456789abcdef0123456789abcdef");
	sess(&ev[2], 7, t0 + 20, FC_L7_TLS, "alert", FC_SIDE_RESP);
	put_s(&ev[2], "level", "fatal");
	put_s(&ev[2], "description", "handshake_failure");
	sess(&ev[3], 7, t0 + 30, FC_L7_TLS, "server_hello", FC_SIDE_RESP);
	put_s(&ev[3], "version", "TLSv12");
	put_s(&ev[3], "cipher", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	put_s(&ev[3], "curve", "x25519");
	put_s(&ev[3], "next_protocol", "h2");
	/* Flow 3: a client_hello the server never answered (no flow_start: held). */
	sess(&ev[4], 3, t0 + 40, FC_L7_TLS, "client_hello", FC_SIDE_ORIG);
	conn = render("ssl", ev, 7, &s);
	assert_int_equal(s.records, 4);
	rows = session_rows("ssl", "ssl", ssl_fields);
	assert_string_equal(rows,
		"1258894080.100000\tCHCf31B1bQzrUOgUUe\t10.0.0.1\t40000\t192.168.1.2\t80"
		"\tTLSv12\tTLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\tx25519\twww.example.org\t-"
		"\thandshake_failure\th2\t-\t-\t-\t-\t-\n"
		"1258894080.100000\tCWeAl0b2bQDIha5vDk\t10.0.0.1\t40000\t192.168.1.2\t80"
		"\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\n");
	free(rows);
	free(conn);
	/* A run without session messages: conn.log only. */
	conn = render("only-conn", &ev[5], 1, &s);
	free(conn);
	path_of(path, sizeof(path), "only-conn/http.log");
	assert_int_equal(stat(path, &st), -1);
	path_of(path, sizeof(path), "only-conn/ssl.log");
	assert_int_equal(stat(path, &st), -1);
	path_of(path, sizeof(path), "only-conn/dns.log");
	assert_int_equal(stat(path, &st), -1);
}

/*
 * dns.log: a response (ts = query time from rtt), a query that got none
 * (its query_ts when the parser gives one), a rejected response (error
 * rcode, no question); queries are not rows. Answers and TTLs are vectors
 * (',' inside an answer escaped).
 */
static void
test_zeek_dns_log(void **state)
{
	struct fc_event ev[6];
	struct app_sink s;
	char *conn, *rows;
	const uint64_t t0 = 1258894080ull * SEC + 100000 * USEC;

	(void)state;
	flow_end(&ev[5], 11, FC_KEY_FAMILY_V6, IPPROTO_UDP, "2001:db8::1", 5353,
		 "2001:db8::53", 53);
	start_of(&ev[0], &ev[5], 11);
	sess(&ev[1], 11, t0, FC_L7_DNS, "query", FC_SIDE_ORIG);
	put_u(&ev[1], "trans_id", 4660);
	put_s(&ev[1], "query", "example.com");
	sess(&ev[2], 11, t0 + 1500 * USEC, FC_L7_DNS, "response", FC_SIDE_RESP);
	put_u(&ev[2], "trans_id", 4660);
	put_u(&ev[2], "opcode", 0);
	put_s(&ev[2], "opcode_name", "query");
	put_u(&ev[2], "rcode", 0);
	put_s(&ev[2], "rcode_name", "NOERROR");
	put_b(&ev[2], "AA", 0);
	put_b(&ev[2], "TC", 0);
	put_b(&ev[2], "RD", 1);
	put_b(&ev[2], "RA", 1);
	put_u(&ev[2], "Z", 0);
	put_s(&ev[2], "query", "example.com");
	put_u(&ev[2], "qclass", 1);
	put_s(&ev[2], "qclass_name", "C_INTERNET");
	put_u(&ev[2], "qtype", 1);
	put_s(&ev[2], "qtype_name", "A");
	put_s(&ev[2], "answers", "93.184.216.34");
	put_u(&ev[2], "TTLs", 300);
	put_s(&ev[2], "answers", "a,b");
	put_u(&ev[2], "TTLs", 60);
	put_u(&ev[2], "rtt_us", 1500);
	sess(&ev[3], 11, t0 + 9 * SEC, FC_L7_DNS, "unanswered", FC_SIDE_ORIG);
	put_u(&ev[3], "trans_id", 7);
	put_s(&ev[3], "query", "x.test");
	put_u(&ev[3], "qtype", 28);
	put_s(&ev[3], "qtype_name", "AAAA");
	sess(&ev[4], 11, t0 + 3 * SEC, FC_L7_DNS, "response", FC_SIDE_RESP);
	put_u(&ev[4], "trans_id", 8);
	put_u(&ev[4], "rcode", 5);
	put_s(&ev[4], "rcode_name", "REFUSED");
	conn = render("dns", ev, 6, &s);
	assert_int_equal(s.records, 4);
	rows = session_rows("dns", "dns", dns_fields);
	assert_string_equal(rows,
		"1258894080.100000\tCdlJ7mS4UqhaSLDF9R\t2001:db8::1\t5353\t2001:db8::53\t53\tudp"
		"\t4660\t0.001500\texample.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0"
		"\t93.184.216.34,a\\x2cb\t300.000000,60.000000\tF\t0\tquery\n"
		"1258894089.100000\tCdlJ7mS4UqhaSLDF9R\t2001:db8::1\t5353\t2001:db8::53\t53\tudp"
		"\t7\t-\tx.test\t-\t-\t28\tAAAA\t-\t-\tF\tF\tF\tF\t0\t-\t-\tF\t-\t-\n"
		"1258894083.100000\tCdlJ7mS4UqhaSLDF9R\t2001:db8::1\t5353\t2001:db8::53\t53\tudp"
		"\t8\t-\t-\t-\t-\t-\t-\t5\tREFUSED\tF\tF\tF\tF\t0\t-\t-\tT\t-\t-\n");
	free(rows);
	free(conn);
}

/*
 * Session messages of a flow whose flow_start never came wait for its
 * flow_end (rows written then, before the conn.log row); those of a flow
 * that never ends are records dropped at close.
 */
static void
test_zeek_session_unknown_flow(void **state)
{
	struct fc_event ev[4];
	struct app_sink s;
	char *conn, *rows;
	const uint64_t t0 = 1258894080ull * SEC + 100000 * USEC;

	(void)state;
	tcp_session(&ev[3]);
	sess(&ev[0], 7, t0, FC_L7_HTTP, "request", FC_SIDE_ORIG);
	put_u(&ev[0], "trans_depth", 1);
	put_s(&ev[0], "method", "GET");
	sess(&ev[1], 7, t0 + 1, FC_L7_HTTP, "response", FC_SIDE_RESP);
	put_u(&ev[1], "trans_depth", 1);
	put_u(&ev[1], "status_code", 204);
	sess(&ev[2], 12345, t0 + 2, FC_L7_HTTP, "request", FC_SIDE_ORIG);
	put_u(&ev[2], "trans_depth", 1);
	conn = render("unknown", ev, 4, &s);
	assert_int_equal(s.records, 3);
	assert_int_equal(s.written, 2);
	assert_int_equal(s.dropped, 1);
	rows = session_rows("unknown", "http", http_fields);
	assert_true(strncmp(rows, "1258894080.100000\tCHCf31B1bQzrUOgUUe\t10.0.0.1\t40000"
			    "\t192.168.1.2\t80\t1\tGET\t", 59) == 0);
	assert_non_null(strstr(rows, "\t204\t"));
	assert_int_equal(strchr(rows, '\n')[1], '\0');     /* one row */
	free(rows);
	free(conn);
}

/*
 * Bounded joining: more requests waiting for responses than the pool
 * holds (APP_JOIN_HELD) push the oldest out as rows of their own; every
 * request still becomes exactly one row, none is lost.
 */
static void
test_zeek_join_pool_full(void **state)
{
	enum { N = APP_JOIN_HELD + 100 };
	struct fc_event *ev = calloc(N + 2, sizeof(*ev));
	struct app_sink s;
	char *conn, *rows;
	unsigned int n = 0;
	const uint64_t t0 = 1258894080ull * SEC + 100000 * USEC;

	(void)state;
	assert_non_null(ev);
	tcp_session(&ev[N + 1]);
	start_of(&ev[0], &ev[N + 1], 7);
	for (unsigned int i = 0; i < N; i++) {
		sess(&ev[i + 1], 7, t0 + i, FC_L7_HTTP, "request", FC_SIDE_ORIG);
		put_u(&ev[i + 1], "trans_depth", i + 1);
		put_s(&ev[i + 1], "method", "GET");
	}
	conn = render("pool", ev, N + 2, &s);
	assert_int_equal(s.records, N + 1);
	assert_int_equal(s.written, N + 1);
	rows = session_rows("pool", "http", http_fields);
	for (const char *p = rows; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	assert_int_equal(n, N);
	/* The oldest went out first. */
	assert_true(strncmp(rows, "1258894080.100000\tCHCf31B1bQzrUOgUUe\t10.0.0.1\t40000"
			    "\t192.168.1.2\t80\t1\tGET\t", 59) == 0);
	free(rows);
	free(conn);
	free(ev);
}

/* SIGHUP: the moved log gets #close, the new one a fresh header and the later rows. */
static void
test_zeek_reopen(void **state)
{
	struct fc_event ev;
	struct app_sink s;
	char dir[128], log[160], moved[160];
	char *a, *b;
	const char *p;

	(void)state;
	tcp_session(&ev);
	path_of(dir, sizeof(dir), "rot");
	snprintf(log, sizeof(log), "%s/conn.log", dir);
	snprintf(moved, sizeof(moved), "%s/conn.log.1", dir);
	memset(&s, 0, sizeof(s));
	assert_int_equal(app_sink_zeek_ops.open(&s, dir), 0);
	assert_int_equal(app_sink_zeek_ops.write(&s, &ev, 1), 0);
	assert_int_equal(rename(log, moved), 0);
	assert_int_equal(app_sink_zeek_ops.reopen(&s), 0);
	ev.flow_id = 3;
	assert_int_equal(app_sink_zeek_ops.write(&s, &ev, 1), 0);
	assert_int_equal(app_sink_zeek_ops.close(&s), 0);
	a = slurp(moved, NULL);
	p = a;
	check_header(&p);
	assert_true(strncmp(p, "1258894080.100000\tCHCf31B1bQzrUOgUUe\t", 37) == 0);
	p = strchr(p, '\n') + 1;
	check_close(p);
	b = slurp(log, NULL);
	p = b;
	check_header(&p);
	assert_true(strncmp(p, "1258894080.100000\tCWeAl0b2bQDIha5vDk\t", 37) == 0);
	p = strchr(p, '\n') + 1;
	check_close(p);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.written, 2);
	free(a);
	free(b);
}

struct open_case {
	const char *target;
	int rc;
};

static void
do_open(void *arg)
{
	struct open_case *c = arg;
	struct app_sink s;

	memset(&s, 0, sizeof(s));
	c->rc = app_sink_zeek_ops.open(&s, c->target);
	if (c->rc == 0)
		app_sink_zeek_ops.close(&s);
}

/* DIR is a file, DIR cannot be created, conn.log cannot be created: clear errors. */
static void
test_zeek_open_errors(void **state)
{
	struct open_case c;
	char err[512], file[128], sub[160], made[128], log[160];
	FILE *f;

	(void)state;
	path_of(file, sizeof(file), "plain-file");
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	c.target = file;
	capture_stderr(err, sizeof(err), do_open, &c);
	assert_int_equal(c.rc, -ENOTDIR);
	assert_non_null(strstr(err, "flowscope: zeek:"));
	assert_non_null(strstr(err, "plain-file: not a directory\n"));

	snprintf(sub, sizeof(sub), "%s/sub", file);
	c.target = sub;
	capture_stderr(err, sizeof(err), do_open, &c);
	assert_int_equal(c.rc, -ENOTDIR);
	assert_non_null(strstr(err, "sub: cannot use the directory: Not a directory\n"));

	/* conn.log exists as a directory: the log cannot be opened. */
	path_of(made, sizeof(made), "logdir");
	snprintf(log, sizeof(log), "%s/conn.log", made);
	assert_int_equal(mkdir(made, 0755), 0);
	assert_int_equal(mkdir(log, 0755), 0);
	c.target = made;
	capture_stderr(err, sizeof(err), do_open, &c);
	assert_int_equal(c.rc, -EISDIR);
	assert_non_null(strstr(err, "cannot open"));
	assert_non_null(strstr(err, "conn.log: Is a directory\n"));

	/* A missing DIR is created. */
	path_of(made, sizeof(made), "new-dir");
	c.target = made;
	capture_stderr(err, sizeof(err), do_open, &c);
	assert_int_equal(c.rc, 0);
	assert_string_equal(err, "");
}

struct write_case {
	struct app_sink s;
	struct fc_event *ev;
	unsigned int n;
	int rc_fail, rc_ok;
	char log[160];
};

/*
 * Writes fail past a file size limit (EFBIG), then succeed again once the
 * limit is lifted: the failed rows are dropped, the sink goes on, and the
 * header lost with them is written again.
 */
static void
do_failing_writes(void *arg)
{
	struct write_case *c = arg;
	struct rlimit old, lim;
	char dir[128];

	path_of(dir, sizeof(dir), "full");
	snprintf(c->log, sizeof(c->log), "%s/conn.log", dir);
	memset(&c->s, 0, sizeof(c->s));
	assert_int_equal(app_sink_zeek_ops.open(&c->s, dir), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 0;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	app_sink_zeek_ops.write(&c->s, c->ev, c->n);
	c->rc_fail = app_sink_zeek_ops.tick(&c->s, 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	app_sink_zeek_ops.write(&c->s, c->ev, 1);
	c->rc_ok = app_sink_zeek_ops.close(&c->s);
}

static void
test_zeek_write_errors(void **state)
{
	enum { N = 6000 };
	struct write_case c;
	char err[1024];
	const char *p;
	char *text;

	(void)state;
	c.ev = calloc(N, sizeof(*c.ev));
	assert_non_null(c.ev);
	c.n = N;
	for (unsigned int i = 0; i < N; i++)
		tcp_session(&c.ev[i]);
	capture_stderr(err, sizeof(err), do_failing_writes, &c);
	assert_int_equal(c.rc_fail, -EFBIG);
	assert_int_equal(c.rc_ok, 0);
	assert_int_equal(c.s.records, N + 1);
	assert_int_equal(c.s.dropped, N);
	assert_int_equal(c.s.written, 1);
	assert_non_null(strstr(err, "conn.log: write failed: File too large"));
	assert_null(strstr(strstr(err, "write failed") + 1, "write failed"));
	/* The file holds a whole header, the one row written after recovery, #close. */
	text = slurp(c.log, NULL);
	p = text;
	check_header(&p);
	assert_true(strncmp(p, "1258894080.100000\tCHCf31B1bQzrUOgUUe\t", 37) == 0);
	p = strchr(p, '\n') + 1;
	check_close(p);
	free(text);
	free(c.ev);
}

struct recover_case {
	struct app_sink s;
	struct fc_event ev;
	char dir[128];
	int rc_reopen;
};

static void
do_recover(void *arg)
{
	struct recover_case *c = arg;
	char moved[160];

	memset(&c->s, 0, sizeof(c->s));
	assert_int_equal(app_sink_zeek_ops.open(&c->s, c->dir), 0);
	assert_int_equal(app_sink_zeek_ops.write(&c->s, &c->ev, 1), 0);
	snprintf(moved, sizeof(moved), "%s.moved", c->dir);
	assert_int_equal(rename(c->dir, moved), 0);
	c->rc_reopen = app_sink_zeek_ops.reopen(&c->s);
	app_sink_zeek_ops.write(&c->s, &c->ev, 1);
	app_sink_zeek_ops.tick(&c->s, 0);
	app_sink_zeek_ops.write(&c->s, &c->ev, 1);
	app_sink_zeek_ops.tick(&c->s, 0);
	assert_int_equal(mkdir(c->dir, 0755), 0);
	app_sink_zeek_ops.tick(&c->s, 0);
	c->ev.flow_id = 3;
	assert_int_equal(app_sink_zeek_ops.write(&c->s, &c->ev, 1), 0);
	assert_int_equal(app_sink_zeek_ops.close(&c->s), 0);
}

/* A reopen that fails: one message, rows dropped, a later tick reopens with a header. */
static void
test_zeek_reopen_recovers(void **state)
{
	struct recover_case c;
	char err[1024], log[160], moved[160];
	const char *p;
	char *text;

	(void)state;
	tcp_session(&c.ev);
	path_of(c.dir, sizeof(c.dir), "gone");
	capture_stderr(err, sizeof(err), do_recover, &c);
	assert_int_equal(c.rc_reopen, -ENOENT);
	assert_non_null(strstr(err, "conn.log: No such file or directory\n"));
	assert_null(strstr(strchr(err, '\n') + 1, "flowscope"));
	assert_int_equal(c.s.records, 4);
	assert_int_equal(c.s.written, 2);
	assert_int_equal(c.s.dropped, 2);
	/* The old log was closed properly before the reopen. */
	snprintf(moved, sizeof(moved), "%s.moved/conn.log", c.dir);
	text = slurp(moved, NULL);
	p = text;
	check_header(&p);
	p = strchr(p, '\n') + 1;
	check_close(p);
	free(text);
	snprintf(log, sizeof(log), "%s/conn.log", c.dir);
	text = slurp(log, NULL);
	p = text;
	check_header(&p);
	assert_true(strncmp(p, "1258894080.100000\tCWeAl0b2bQDIha5vDk\t", 37) == 0);
	p = strchr(p, '\n') + 1;
	check_close(p);
	free(text);
}

struct partial_case {
	struct app_sink s;
	struct fc_event ev;
	char dir[128];
	rlim_t limit;
};

static void
do_partial(void *arg)
{
	struct partial_case *c = arg;
	struct fc_event ev[10];
	struct rlimit old, lim;

	for (int i = 0; i < 10; i++)
		ev[i] = c->ev;
	memset(&c->s, 0, sizeof(c->s));
	assert_int_equal(app_sink_zeek_ops.open(&c->s, c->dir), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = c->limit;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	app_sink_zeek_ops.write(&c->s, ev, 10);
	assert_int_equal(app_sink_zeek_ops.tick(&c->s, 0), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	app_sink_zeek_ops.write(&c->s, ev, 1);
	assert_int_equal(app_sink_zeek_ops.close(&c->s), 0);
}

/*
 * A write that stops inside the buffer (here after the header and two and
 * a half rows): the whole rows count as written, the rest as dropped, and
 * the cut row is ended so the next row stands on its own line.
 */
static void
test_zeek_partial_write(void **state)
{
	struct partial_case c;
	char err[1024], log[160], row[256];
	size_t hlen, rlen;
	const char *p;
	char *text, *rows;

	(void)state;
	tcp_session(&c.ev);
	/* Header and row lengths, from a clean run. */
	rows = render("partial-ref", &c.ev, 1, NULL);
	snprintf(row, sizeof(row), "%s", rows);
	rlen = strlen(row);
	free(rows);
	path_of(log, sizeof(log), "partial-ref/conn.log");
	text = slurp(log, NULL);
	hlen = strlen(text) - rlen - strlen("#close\t2024-01-01-00-00-00\n");
	free(text);

	path_of(c.dir, sizeof(c.dir), "partial");
	c.limit = hlen + 2 * rlen + rlen / 2;
	capture_stderr(err, sizeof(err), do_partial, &c);
	assert_int_equal(c.s.records, 11);
	assert_int_equal(c.s.written, 3);
	assert_int_equal(c.s.dropped, 8);
	snprintf(log, sizeof(log), "%s/conn.log", c.dir);
	text = slurp(log, NULL);
	p = text;
	check_header(&p);
	assert_true(strncmp(p, row, rlen) == 0);
	assert_true(strncmp(p + rlen, row, rlen) == 0);
	p += 2 * rlen;
	assert_true(strncmp(p, row, rlen / 2) == 0);
	assert_int_equal(p[rlen / 2], '\n');
	p += rlen / 2 + 1;
	assert_true(strncmp(p, row, rlen) == 0);
	check_close(p + rlen);
	free(text);
}

/* The sink set: zeek is a registered format. */
static void
test_zeek_registered(void **state)
{
	struct app_sinks ss;
	struct fc_event ev;
	char spec[160], dir[128];
	const char *specs[1] = { spec };

	(void)state;
	tcp_session(&ev);
	path_of(dir, sizeof(dir), "set");
	snprintf(spec, sizeof(spec), "zeek:%s", dir);
	assert_int_equal(app_sinks_open(&ss, specs, 1), 0);
	assert_int_equal(app_sinks_write(&ss, &ev, 1), 0);
	app_sinks_reopen(&ss);
	assert_int_equal(app_sinks_close(&ss), 0);
	assert_int_equal(app_sinks_dropped(&ss), 0);
	assert_int_equal(ss.s[0].written, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeek_ipv4_tcp),
		cmocka_unit_test(test_zeek_ipv6_udp_single),
		cmocka_unit_test(test_zeek_icmp),
		cmocka_unit_test(test_zeek_tunnel_vlan),
		cmocka_unit_test(test_zeek_columns),
		cmocka_unit_test(test_zeek_uids),
		cmocka_unit_test(test_zeek_skips_non_records),
		cmocka_unit_test(test_zeek_http_log),
		cmocka_unit_test(test_zeek_ssl_log),
		cmocka_unit_test(test_zeek_dns_log),
		cmocka_unit_test(test_zeek_session_unknown_flow),
		cmocka_unit_test(test_zeek_join_pool_full),
		cmocka_unit_test(test_zeek_reopen),
		cmocka_unit_test(test_zeek_open_errors),
		cmocka_unit_test(test_zeek_write_errors),
		cmocka_unit_test(test_zeek_reopen_recovers),
		cmocka_unit_test(test_zeek_partial_write),
		cmocka_unit_test(test_zeek_registered),
	};

	return cmocka_run_group_tests(tests, sink_test_setup, sink_test_teardown);
}
