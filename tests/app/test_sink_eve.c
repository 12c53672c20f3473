/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the EVE sink (app/sink_eve.c): flow_end events built by
 * hand (IPv4 TCP, IPv6 UDP, ICMP, ICMPv6, a tunnelled flow on another
 * lcore, VLAN tags, an unnamed protocol) are rendered through the sink
 * into a file and compared line by line with the exact EVE text; TCP
 * flags from histories with role flips; the state and reason maps; event
 * types that are not records; the http, tls and dns records (joining,
 * Suricata's field names and forms, JSON escaping, messages of flows
 * whose addresses come late or never); stdout; reopen; and the error
 * paths (a file that cannot be opened, writes that fail, a reader that
 * went away).
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


/* A flow_end event with the identity and counters most tests need. */
static void
flow_end(struct fc_event *ev, uint64_t flow_id, uint8_t family, uint8_t proto,
	 const char *orig, uint16_t orig_p, const char *resp, uint16_t resp_p)
{
	struct fc_event_flow_end *e = &ev->u.end;
	int af = family == FC_KEY_FAMILY_V4 ? AF_INET : AF_INET6;

	memset(ev, 0, sizeof(*ev));
	ev->type = FC_EV_FLOW_END;
	ev->flow_id = flow_id;
	ev->ts = 1258894089ull * SEC + 534255 * USEC;
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

/* The TCP session of most tests: handshake, data both ways, FINs. */
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
	e->payload_bytes[0] = 100;
	e->payload_bytes[1] = 5000;
	e->seq_bytes[0] = 100;
	e->seq_bytes[1] = 5000;
	strcpy(e->conn_state, "SF");
	strcpy(e->history, "ShADadFf");
	strcpy(e->fs_history, "SsDdFf");
}

/* Render events through a fresh eve sink into tmpdir/name; return the file text. */
static char *
render(const char *name, const struct fc_event *ev, unsigned int n,
       struct app_sink *out)
{
	struct app_sink s;
	char path[128];

	memset(&s, 0, sizeof(s));
	path_of(path, sizeof(path), name);
	assert_int_equal(app_sink_eve_ops.open(&s, path), 0);
	assert_int_equal(app_sink_eve_ops.write(&s, ev, n), 0);
	assert_int_equal(app_sink_eve_ops.close(&s), 0);
	assert_null(s.priv);
	assert_int_equal(s.records, s.written + s.dropped);
	if (out != NULL)
		*out = s;
	return slurp(path, NULL);
}

static char *
render1(const struct fc_event *ev)
{
	return render("one.json", ev, 1, NULL);
}

/* IPv4 TCP: every field as Suricata writes it. */
static void
test_eve_ipv4_tcp(void **state)
{
	struct fc_event ev;
	struct app_sink s;
	char *out;

	(void)state;
	tcp_session(&ev);
	out = render("tcp.json", &ev, 1, &s);
	assert_string_equal(out,
		"{\"timestamp\":\"2009-11-22T12:48:09.534255+0000\",\"flow_id\":7,"
		"\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":40000,"
		"\"dest_ip\":\"192.168.1.2\",\"dest_port\":80,\"proto\":\"TCP\","
		"\"app_proto\":\"failed\",\"flow\":{\"pkts_toserver\":6,"
		"\"pkts_toclient\":5,\"bytes_toserver\":480,\"bytes_toclient\":5400,"
		"\"start\":\"2009-11-22T12:48:00.100000+0000\","
		"\"end\":\"2009-11-22T12:48:03.099999+0000\",\"age\":3,"
		"\"state\":\"closed\",\"reason\":\"timeout\",\"alerted\":false},"
		"\"community_id\":\"1:UCffkKgSwco2fG5CBE3QIF9AmFs=\","
		"\"tcp\":{\"tcp_flags\":\"13\",\"tcp_flags_ts\":\"13\","
		"\"tcp_flags_tc\":\"13\",\"syn\":true,\"fin\":true,\"ack\":true,"
		"\"state\":\"closed\"}}\n");
	assert_int_equal(s.records, 1);
	assert_int_equal(s.written, 1);
	assert_int_equal(s.dropped, 0);
	free(out);
}

/* IPv6 UDP with a session protocol: full-form addresses, no tcp object. */
static void
test_eve_ipv6_udp(void **state)
{
	struct fc_event ev;
	struct fc_event_flow_end *e = &ev.u.end;
	char *out;

	(void)state;
	flow_end(&ev, 12, FC_KEY_FAMILY_V6, IPPROTO_UDP, "2001:db8::1", 5353,
		 "fe80::217:f2ff:fed7:cf65", 53);
	e->app_proto = FC_L7_DNS;
	e->pkts[0] = 1;
	e->pkts[1] = 1;
	e->bytes[0] = 90;
	e->bytes[1] = 130;
	e->payload_bytes[0] = 28;
	e->payload_bytes[1] = 68;
	strcpy(e->conn_state, "SF");
	strcpy(e->history, "Dd");
	out = render1(&ev);
	assert_string_equal(out,
		"{\"timestamp\":\"2009-11-22T12:48:09.534255+0000\",\"flow_id\":12,"
		"\"event_type\":\"flow\","
		"\"src_ip\":\"2001:0db8:0000:0000:0000:0000:0000:0001\",\"src_port\":5353,"
		"\"dest_ip\":\"fe80:0000:0000:0000:0217:f2ff:fed7:cf65\",\"dest_port\":53,"
		"\"proto\":\"UDP\",\"app_proto\":\"dns\",\"flow\":{\"pkts_toserver\":1,"
		"\"pkts_toclient\":1,\"bytes_toserver\":90,\"bytes_toclient\":130,"
		"\"start\":\"2009-11-22T12:48:00.100000+0000\","
		"\"end\":\"2009-11-22T12:48:03.099999+0000\",\"age\":3,"
		"\"state\":\"established\",\"reason\":\"timeout\",\"alerted\":false},"
		"\"community_id\":\"1:hZH6JaiM4KbZfjLMhMJSDT+ISpM=\"}\n");
	free(out);
}

/* ICMP echo without a reply: no ports, type/code, state new, age over a second boundary. */
static void
test_eve_icmp(void **state)
{
	struct fc_event ev;
	struct fc_event_flow_end *e = &ev.u.end;
	char *out;

	(void)state;
	flow_end(&ev, 3, FC_KEY_FAMILY_V4, IPPROTO_ICMP, "10.1.1.1", 8,
		 "10.1.1.2", 0);
	e->id.icmp_type = 8;
	e->id.icmp_code = 0;
	e->first_ts = 1700000010ull * SEC + 900000 * USEC;
	e->last_ts = 1700000012ull * SEC + 100000 * USEC;
	e->pkts[0] = 3;
	e->bytes[0] = 294;
	e->payload_bytes[0] = 168;
	e->reason = FC_END_SHUTDOWN;
	strcpy(e->conn_state, "OTH");
	out = render1(&ev);
	assert_string_equal(out,
		"{\"timestamp\":\"2009-11-22T12:48:09.534255+0000\",\"flow_id\":3,"
		"\"event_type\":\"flow\",\"src_ip\":\"10.1.1.1\",\"dest_ip\":\"10.1.1.2\","
		"\"proto\":\"ICMP\",\"icmp_type\":8,\"icmp_code\":0,"
		"\"flow\":{\"pkts_toserver\":3,\"pkts_toclient\":0,"
		"\"bytes_toserver\":294,\"bytes_toclient\":0,"
		"\"start\":\"2023-11-14T22:13:30.900000+0000\","
		"\"end\":\"2023-11-14T22:13:32.100000+0000\",\"age\":2,"
		"\"state\":\"new\",\"reason\":\"shutdown\",\"alerted\":false},"
		"\"community_id\":\"1:h7QbrWLjZWwr8Sb6FWTzBr6w97Y=\"}\n");
	free(out);
}

/* ICMPv6 is IPv6-ICMP; a protocol without a name is three digits. */
static void
test_eve_proto_names(void **state)
{
	struct fc_event ev[2];
	char *out, *l2;

	(void)state;
	flow_end(&ev[0], 4, FC_KEY_FAMILY_V6, IPPROTO_ICMPV6, "fe80::1", 135,
		 "ff02::1:ff00:2", 136);
	ev[0].u.end.id.icmp_type = 135;
	flow_end(&ev[1], 5, FC_KEY_FAMILY_V4, 89, "10.0.0.1", 0, "224.0.0.5", 0);
	ev[1].u.end.pkts[0] = 1;
	ev[1].u.end.payload_bytes[0] = 40;
	out = render("protos.json", ev, 2, NULL);
	assert_non_null(strstr(out, "\"proto\":\"IPv6-ICMP\",\"icmp_type\":135,"
			       "\"icmp_code\":0,\"flow\""));
	l2 = strchr(out, '\n') + 1;
	assert_non_null(strstr(l2, "\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"224.0.0.5\","
			       "\"proto\":\"089\",\"flow\":"));
	/* No app_proto for a protocol Suricata does not detect on. */
	assert_null(strstr(l2, "app_proto"));
	free(out);
}

/* A tunnelled flow of lcore 3: the flow_id folds into 51 bits; tunnel fields stay out. */
static void
test_eve_tunnel_flow_id(void **state)
{
	struct fc_event ev;
	char *out;
	char want[64];

	(void)state;
	flow_end(&ev, (3ull << 56) | 5, FC_KEY_FAMILY_V4, IPPROTO_UDP, "172.16.0.1",
		 5000, "172.16.0.2", 53);
	ev.u.end.id.tunnel = FC_TUN_GRE;
	ev.u.end.id.tunnel_id = 42;
	ev.u.end.id.tunnel_parent = (3ull << 56) | 4;
	out = render1(&ev);
	snprintf(want, sizeof(want), "\"flow_id\":%llu,", (3ull << 44) | 5);
	assert_non_null(strstr(out, want));
	assert_true(((3ull << 44) | 5) < (1ull << 51));
	assert_null(strstr(out, "tunnel"));
	assert_null(strstr(out, "parent"));
	free(out);
}

/* VLAN tags become Suricata's vlan array. */
static void
test_eve_vlan(void **state)
{
	struct fc_event ev[2];
	char *out, *l2;

	(void)state;
	flow_end(&ev[0], 1, FC_KEY_FAMILY_V4, IPPROTO_UDP, "10.0.0.1", 1, "10.0.0.2", 2);
	ev[0].u.end.id.vlan = 100;
	ev[1] = ev[0];
	ev[1].u.end.id.vlan_inner = 200;
	out = render("vlan.json", ev, 2, NULL);
	assert_non_null(strstr(out, "\"event_type\":\"flow\",\"vlan\":[100],\"src_ip\""));
	l2 = strchr(out, '\n') + 1;
	assert_non_null(strstr(l2, "\"event_type\":\"flow\",\"vlan\":[100,200],\"src_ip\""));
	free(out);
}

/* Flags per side from the histories, with a flip and with flowscope letters. */
static void
test_eve_tcp_flags(void **state)
{
	struct fc_event ev;
	struct fc_event_flow_end *e = &ev.u.end;
	char *out;

	(void)state;
	tcp_session(&ev);
	/* S and h before the flip belong to the other side; a after it is the
	 * responder, R the originator. */
	strcpy(e->history, "Sh^aR");
	e->fs_history[0] = '\0';
	e->state = FC_TCP_S_RESET;
	e->reason = FC_END_RST;
	out = render1(&ev);
	assert_non_null(strstr(out, "\"tcp\":{\"tcp_flags\":\"16\",\"tcp_flags_ts\":\"16\","
			       "\"tcp_flags_tc\":\"12\",\"syn\":true,\"rst\":true,"
			       "\"ack\":true,\"state\":\"closed\"}"));
	free(out);

	/* Only the flowscope alphabet knows the responder's RST; I is FIN+RST. */
	strcpy(e->history, "SI");
	strcpy(e->fs_history, "Sr");
	e->state = FC_TCP_S_SYN_SENT;
	out = render1(&ev);
	assert_non_null(strstr(out, "\"tcp\":{\"tcp_flags\":\"07\",\"tcp_flags_ts\":\"07\","
			       "\"tcp_flags_tc\":\"04\",\"syn\":true,\"fin\":true,"
			       "\"rst\":true,\"state\":\"syn_sent\"}"));
	assert_non_null(strstr(out, "\"state\":\"new\",\"reason\":\"timeout\""));
	free(out);

	/* Mid-stream pickup: no flags known, no TCP state told. */
	strcpy(e->history, "Dd");
	e->fs_history[0] = '\0';
	e->state = FC_TCP_S_FIN_WAIT;
	out = render1(&ev);
	assert_non_null(strstr(out, "\"tcp\":{\"tcp_flags\":\"00\",\"tcp_flags_ts\":\"00\","
			       "\"tcp_flags_tc\":\"00\"}}\n"));
	assert_non_null(strstr(out, "\"state\":\"established\""));
	assert_null(strstr(out, "psh"));
	free(out);
}

/* Every end reason and TCP state maps to one of Suricata's values. */
static void
test_eve_state_reason_maps(void **state)
{
	static const char *const reason[FC_END_MAX] = {
		[FC_END_FIN] = "timeout", [FC_END_RST] = "timeout",
		[FC_END_IDLE] = "timeout", [FC_END_EVICTED] = "forced",
		[FC_END_BUFFER_OVERFLOW] = "forced", [FC_END_PARSE_ERROR] = "forced",
		[FC_END_SHUTDOWN] = "shutdown",
	};
	static const char *const flow_state[FC_TCP_S_MAX] = {
		[FC_TCP_S_ACTIVE] = "new", [FC_TCP_S_SYN_SENT] = "new",
		[FC_TCP_S_SYN_RECEIVED] = "new", [FC_TCP_S_ESTABLISHED] = "established",
		[FC_TCP_S_FIN_WAIT] = "established", [FC_TCP_S_CLOSING] = "closed",
		[FC_TCP_S_CLOSED] = "closed", [FC_TCP_S_RESET] = "closed",
		[FC_TCP_S_ABORTED] = "closed",
	};
	static const char *const tcp_state[FC_TCP_S_MAX] = {
		[FC_TCP_S_SYN_SENT] = "syn_sent", [FC_TCP_S_SYN_RECEIVED] = "syn_recv",
		[FC_TCP_S_ESTABLISHED] = "established", [FC_TCP_S_CLOSED] = "closed",
		[FC_TCP_S_RESET] = "closed", [FC_TCP_S_ABORTED] = "closed",
	};
	struct fc_event ev;
	char want[96];
	char *out;

	(void)state;
	tcp_session(&ev);
	for (unsigned int r = 0; r < FC_END_MAX; r++) {
		ev.u.end.reason = (uint8_t)r;
		out = render1(&ev);
		snprintf(want, sizeof(want), "\"reason\":\"%s\",", reason[r]);
		assert_non_null(strstr(out, want));
		free(out);
	}
	for (unsigned int st = 0; st < FC_TCP_S_MAX; st++) {
		ev.u.end.state = (uint8_t)st;
		out = render1(&ev);
		snprintf(want, sizeof(want), "\"age\":3,\"state\":\"%s\",", flow_state[st]);
		assert_non_null(strstr(out, want));
		if (tcp_state[st] != NULL) {
			snprintf(want, sizeof(want), ",\"state\":\"%s\"}}\n", tcp_state[st]);
			assert_non_null(strstr(out, want));
		} else {
			assert_non_null(strstr(out, "\"ack\":true}}\n"));
		}
		free(out);
	}
}

/*
 * Only flow_end of IP flows (and session messages, tested below) are
 * records: other types and MAC flows are skipped.
 */
static void
test_eve_skips_non_records(void **state)
{
	struct fc_event ev[5];
	struct app_sink s;
	char *out;

	(void)state;
	memset(ev, 0, sizeof(ev));
	ev[0].type = FC_EV_FLOW_START;
	ev[1].type = FC_EV_STATE_CHANGE;
	tcp_session(&ev[2]);
	ev[3] = ev[2];
	ev[3].u.end.id.family = FC_KEY_FAMILY_MAC;
	ev[3].u.end.id.proto = 0;
	ev[4].type = FC_EV_ANOMALY;
	out = render("skip.json", ev, 5, &s);
	assert_int_equal(s.records, 1);
	assert_int_equal(s.written, 1);
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
	free(out);
}

static void
start_of(struct fc_event *ev, const struct fc_event *end)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = FC_EV_FLOW_START;
	ev->flow_id = end->flow_id;
	ev->ts = end->u.end.first_ts;
	ev->u.start = end->u.end.id;
}

/* Line i (0-based) of text, without its '\n', in a static buffer. */
static const char *
line_n(const char *text, unsigned int i)
{
	static char buf[4096];
	const char *p = text, *nl;

	for (; i > 0 && p != NULL; i--) {
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	assert_non_null(p);
	nl = strchr(p, '\n');
	assert_non_null(nl);
	assert_true((size_t)(nl - p) < sizeof(buf));
	memcpy(buf, p, (size_t)(nl - p));
	buf[nl - p] = '\0';
	return buf;
}

#define TCP_HEAD(ts, type) \
	"{\"timestamp\":\"" ts "\",\"flow_id\":7,\"event_type\":\"" type "\"," \
	"\"src_ip\":\"10.0.0.1\",\"src_port\":40000,\"dest_ip\":\"192.168.1.2\"," \
	"\"dest_port\":80,\"proto\":\"TCP\""
#define TCP_CID ",\"community_id\":\"1:UCffkKgSwco2fG5CBE3QIF9AmFs=\"}"

/*
 * http: request and response joined into one record per transaction
 * (tx_id = trans_depth - 1, Host port split off, content type cut at ';',
 * JSON escaping), an interim 100 is not a record, a request never
 * answered is written alone at the flow's end, before the flow record.
 */
static void
test_eve_http(void **state)
{
	struct fc_event ev[7];
	struct app_sink s;
	char *out;
	const uint64_t t0 = 1258894080ull * SEC + 100000 * USEC;

	(void)state;
	tcp_session(&ev[6]);
	start_of(&ev[0], &ev[6]);
	sess(&ev[1], 7, t0 + 1 * USEC, FC_L7_HTTP, "request", FC_SIDE_ORIG);
	put_u(&ev[1], "trans_depth", 1);
	put_s(&ev[1], "method", "GET");
	put_s(&ev[1], "host", "www.test.org:1337");
	put_s(&ev[1], "uri", "/a\"b\\c");
	put_s(&ev[1], "version", "1.1");
	put_s(&ev[1], "user_agent", "Wget/1.13.4 (linux-gnu)\x01\xff");
	put_s(&ev[1], "referrer", "http://www.vg.no/");
	sess(&ev[2], 7, t0 + 2 * USEC, FC_L7_HTTP, "request", FC_SIDE_ORIG);
	put_u(&ev[2], "trans_depth", 2);
	put_s(&ev[2], "method", "HEAD");
	put_s(&ev[2], "host", "[2001:db8::1]:8080");
	put_s(&ev[2], "uri", "/");
	put_s(&ev[2], "version", "1.0");
	sess(&ev[3], 7, t0 + 3 * USEC, FC_L7_HTTP, "response", FC_SIDE_RESP);
	put_u(&ev[3], "trans_depth", 1);
	put_s(&ev[3], "version", "1.1");
	put_u(&ev[3], "status_code", 100);
	sess(&ev[4], 7, t0 + 4 * USEC, FC_L7_HTTP, "response", FC_SIDE_RESP);
	put_u(&ev[4], "trans_depth", 1);
	put_s(&ev[4], "version", "1.1");
	put_u(&ev[4], "status_code", 200);
	put_s(&ev[4], "status_msg", "OK");
	put_s(&ev[4], "content_type", "application/json; charset=utf-8");
	put_u(&ev[4], "response_body_len", 310);
	ev[5] = ev[6];
	ev[5].type = FC_EV_ESTABLISHED;
	out = render("http.json", ev, 7, &s);
	assert_int_equal(s.records, 3);
	assert_int_equal(s.written, 3);
	assert_string_equal(line_n(out, 0), TCP_HEAD("2009-11-22T12:48:00.100004+0000", "http")
		",\"tx_id\":0,\"http\":{\"hostname\":\"www.test.org\",\"http_port\":1337,"
		"\"url\":\"/a\\\"b\\\\c\",\"http_user_agent\":\"Wget/1.13.4 (linux-gnu)"
		"\\u0001\\u00ff\",\"http_content_type\":\"application/json\","
		"\"http_refer\":\"http://www.vg.no/\",\"http_method\":\"GET\","
		"\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":310}" TCP_CID);
	assert_string_equal(line_n(out, 1), TCP_HEAD("2009-11-22T12:48:00.100002+0000", "http")
		",\"tx_id\":1,\"http\":{\"hostname\":\"[2001:db8::1]\",\"http_port\":8080,"
		"\"url\":\"/\",\"http_method\":\"HEAD\",\"protocol\":\"HTTP/1.0\"}" TCP_CID);
	assert_true(strncmp(line_n(out, 2), "{\"timestamp\":\"2009-11-22T12:48:09.534255+0000\","
			    "\"flow_id\":7,\"event_type\":\"flow\"", 77) == 0);
	free(out);
}

/* tls: the hellos joined at the server_hello; a hello alone at the flow's end. */
static void
test_eve_tls(void **state)
{
	struct fc_event ev[5];
	struct app_sink s;
	char *out;
	const uint64_t t0 = 1258894080ull * SEC + 100000 * USEC;

	(void)state;
	tcp_session(&ev[4]);
	start_of(&ev[0], &ev[4]);
	sess(&ev[1], 7, t0 + 10 * USEC, FC_L7_TLS, "client_hello", FC_SIDE_ORIG);
	put_s(&ev[1], "server_name", "example.org");
	put_s(&ev[1], "ja3", "e7d705a3286e19ea42f587b344ee6865");
	put_s(&ev[1], "ja3_full", "771,4865-4866,0-23,29,0");
	put_s(&ev[1], "ja4", "t13d1516h2_8daaf6152771_e5627efa2ab1");
	sess(&ev[2], 7, t0 + 20 * USEC, FC_L7_TLS, "server_hello", FC_SIDE_RESP);
	put_s(&ev[2], "version", "TLSv13");
	put_s(&ev[2], "ja3s", "f4febc55ea12b31ae17cfb7e614afda8");
	put_s(&ev[2], "ja3s_full", "771,4865,43-51");
	sess(&ev[3], 7, t0 + 30 * USEC, FC_L7_TLS, "client_hello", FC_SIDE_ORIG);
	put_s(&ev[3], "server_name", "again.example.org");
	out = render("tls.json", ev, 5, &s);
	assert_int_equal(s.records, 3);
	assert_string_equal(line_n(out, 0), TCP_HEAD("2009-11-22T12:48:00.100020+0000", "tls")
		",\"tls\":{\"sni\":\"example.org\",\"version\":\"TLS 1.3\","
		"\"ja3\":{\"hash\":\"e7d705a3286e19ea42f587b344ee6865\","
		"\"string\":\"771,4865-4866,0-23,29,0\"},"
		"\"ja3s\":{\"hash\":\"f4febc55ea12b31ae17cfb7e614afda8\","
		"\"string\":\"771,4865,43-51\"},"
		"\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\"}" TCP_CID);
	assert_string_equal(line_n(out, 1), TCP_HEAD("2009-11-22T12:48:00.100030+0000", "tls")
		",\"tls\":{\"sni\":\"again.example.org\",\"version\":\"UNDETERMINED\"}"
		TCP_CID);
	free(out);
}

/*
 * dns: a query record and an answer record in Suricata's v2 form (flags
 * rebuilt from the header bits, ANY for "*", answers with rrname,
 * rrtype, ttl and rdata); unanswered queries and queries without a question are not
 * records.
 */
static void
test_eve_dns(void **state)
{
	struct fc_event ev[6];
	struct app_sink s;
	char *out;
	const uint64_t t0 = 1258894080ull * SEC + 100000 * USEC;

	(void)state;
	flow_end(&ev[5], 12, FC_KEY_FAMILY_V4, IPPROTO_UDP, "10.0.0.1", 5353,
		 "10.0.0.53", 53);
	start_of(&ev[0], &ev[5]);
	sess(&ev[1], 12, t0, FC_L7_DNS, "query", FC_SIDE_ORIG);
	put_u(&ev[1], "trans_id", 45444);
	put_s(&ev[1], "query", "www.suricata-ids.org");
	put_u(&ev[1], "qtype", 255);
	put_s(&ev[1], "qtype_name", "*");
	sess(&ev[2], 12, t0 + 1 * USEC, FC_L7_DNS, "response", FC_SIDE_RESP);
	put_u(&ev[2], "trans_id", 45444);
	put_u(&ev[2], "opcode", 0);
	put_u(&ev[2], "rcode", 0);
	put_s(&ev[2], "rcode_name", "NOERROR");
	put_b(&ev[2], "AA", 0);
	put_b(&ev[2], "TC", 0);
	put_b(&ev[2], "RD", 1);
	put_b(&ev[2], "RA", 1);
	put_u(&ev[2], "Z", 0);
	put_s(&ev[2], "query", "www.suricata-ids.org");
	put_u(&ev[2], "qtype", 1);
	put_s(&ev[2], "qtype_name", "A");
	put_s(&ev[2], "answer_names", "www.suricata-ids.org");
	put_s(&ev[2], "answer_types", "CNAME");
	put_s(&ev[2], "answers", "suricata-ids.org");
	put_u(&ev[2], "TTLs", 3324);
	put_s(&ev[2], "answer_names", "suricata-ids.org");
	put_s(&ev[2], "answer_types", "A");
	put_s(&ev[2], "answers", "192.0.78.24");
	put_u(&ev[2], "TTLs", 10);
	sess(&ev[3], 12, t0 + 2 * USEC, FC_L7_DNS, "unanswered", FC_SIDE_ORIG);
	put_u(&ev[3], "trans_id", 1);
	sess(&ev[4], 12, t0 + 3 * USEC, FC_L7_DNS, "query", FC_SIDE_ORIG);
	put_u(&ev[4], "trans_id", 2);
	out = render("dns.json", ev, 6, &s);
	assert_int_equal(s.records, 3);
	assert_string_equal(line_n(out, 0),
		"{\"timestamp\":\"2009-11-22T12:48:00.100000+0000\",\"flow_id\":12,"
		"\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\",\"src_port\":5353,"
		"\"dest_ip\":\"10.0.0.53\",\"dest_port\":53,\"proto\":\"UDP\","
		"\"dns\":{\"type\":\"query\",\"id\":45444,\"rrname\":\"www.suricata-ids.org\","
		"\"rrtype\":\"ANY\"},\"community_id\":\"1:SDEXDl65XMdu7j7EFg6VWLuprH4=\"}");
	assert_string_equal(line_n(out, 1),
		"{\"timestamp\":\"2009-11-22T12:48:00.100001+0000\",\"flow_id\":12,"
		"\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\",\"src_port\":5353,"
		"\"dest_ip\":\"10.0.0.53\",\"dest_port\":53,\"proto\":\"UDP\","
		"\"dns\":{\"version\":2,\"type\":\"answer\",\"id\":45444,"
		"\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true,"
		"\"rrname\":\"www.suricata-ids.org\",\"rrtype\":\"A\",\"rcode\":\"NOERROR\","
		"\"answers\":[{\"rrname\":\"www.suricata-ids.org\",\"rrtype\":\"CNAME\","
		"\"ttl\":3324,\"rdata\":\"suricata-ids.org\"},"
		"{\"rrname\":\"suricata-ids.org\",\"rrtype\":\"A\",\"ttl\":10,"
		"\"rdata\":\"192.0.78.24\"}]},"
		"\"community_id\":\"1:SDEXDl65XMdu7j7EFg6VWLuprH4=\"}");
	assert_true(strncmp(line_n(out, 2), "{\"timestamp\":\"2009-11-22T12:48:09.534255+0000\","
			    "\"flow_id\":12,\"event_type\":\"flow\"", 78) == 0);
	free(out);
}

/*
 * Messages of a flow whose flow_start never came are written at its
 * flow_end; a flow that never ends loses them (records dropped); a
 * flow_update is not a record but gives the flow's addresses.
 */
static void
test_eve_session_unknown_flow(void **state)
{
	struct fc_event ev[5];
	struct app_sink s;
	char *out;
	const uint64_t t0 = 1258894080ull * SEC + 100000 * USEC;

	(void)state;
	tcp_session(&ev[4]);
	sess(&ev[0], 7, t0, FC_L7_TLS, "client_hello", FC_SIDE_ORIG);
	put_s(&ev[0], "server_name", "held.example");
	sess(&ev[1], 99, t0, FC_L7_TLS, "client_hello", FC_SIDE_ORIG);
	ev[2] = ev[4];
	ev[2].type = FC_EV_FLOW_UPDATE;
	ev[2].flow_id = 8;
	sess(&ev[3], 8, t0, FC_L7_DNS, "query", FC_SIDE_ORIG);
	put_u(&ev[3], "trans_id", 1);
	put_s(&ev[3], "query", "via.update");
	out = render("unknown.json", ev, 5, &s);
	assert_int_equal(s.records, 4);
	assert_int_equal(s.written, 3);
	assert_int_equal(s.dropped, 1);
	assert_true(strncmp(line_n(out, 0), "{\"timestamp\":\"2009-11-22T12:48:00.100000+0000\","
			    "\"flow_id\":8,\"event_type\":\"dns\"", 77) == 0);
	assert_string_equal(line_n(out, 1), TCP_HEAD("2009-11-22T12:48:00.100000+0000", "tls")
		",\"tls\":{\"sni\":\"held.example\",\"version\":\"UNDETERMINED\"}" TCP_CID);
	free(out);
}

/* Many records: the 1 MiB buffer is written when full, nothing is lost. */
static void
test_eve_buffered_writes(void **state)
{
	enum { N = 5000 };
	struct fc_event *ev = calloc(N, sizeof(*ev));
	struct app_sink s;
	char path[128];
	size_t lines = 0;
	char *out;

	(void)state;
	assert_non_null(ev);
	for (unsigned int i = 0; i < N; i++) {
		tcp_session(&ev[i]);
		ev[i].flow_id = i + 1;
	}
	memset(&s, 0, sizeof(s));
	path_of(path, sizeof(path), "many.json");
	assert_int_equal(app_sink_eve_ops.open(&s, path), 0);
	assert_int_equal(app_sink_eve_ops.write(&s, ev, N), 0);
	/* More than 1 MiB rendered: at least one write happened already. */
	assert_true(s.written > 0 && s.written < N);
	assert_int_equal(app_sink_eve_ops.tick(&s, 0), 0);
	assert_int_equal(s.written, N);
	assert_int_equal(app_sink_eve_ops.close(&s), 0);
	out = slurp(path, NULL);
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, N);
	assert_int_equal(s.records, N);
	free(out);
	free(ev);
}

/* eve:- writes to stdout. */
static void
test_eve_stdout(void **state)
{
	struct fc_event ev;
	struct app_sink s;
	char path[128];
	int saved, fd;
	char *out;

	(void)state;
	tcp_session(&ev);
	path_of(path, sizeof(path), "stdout.json");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	memset(&s, 0, sizeof(s));
	assert_int_equal(app_sink_eve_ops.open(&s, "-"), 0);
	assert_int_equal(app_sink_eve_ops.write(&s, &ev, 1), 0);
	assert_int_equal(app_sink_eve_ops.close(&s), 0);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(fd);
	out = slurp(path, NULL);
	assert_true(strncmp(out, "{\"timestamp\":\"2009-11-22T12:48:09.534255+0000\","
			    "\"flow_id\":7,\"event_type\":\"flow\"", 70) == 0);
	assert_int_equal(s.written, 1);
	free(out);
}

/* SIGHUP: the moved file keeps what was written, a new file gets the rest. */
static void
test_eve_reopen(void **state)
{
	struct fc_event ev;
	struct app_sink s;
	char path[128], moved[128];
	char *a, *b;

	(void)state;
	tcp_session(&ev);
	path_of(path, sizeof(path), "rot.json");
	path_of(moved, sizeof(moved), "rot.json.1");
	memset(&s, 0, sizeof(s));
	assert_int_equal(app_sink_eve_ops.open(&s, path), 0);
	assert_int_equal(app_sink_eve_ops.write(&s, &ev, 1), 0);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(app_sink_eve_ops.reopen(&s), 0);
	ev.flow_id = 8;
	assert_int_equal(app_sink_eve_ops.write(&s, &ev, 1), 0);
	assert_int_equal(app_sink_eve_ops.close(&s), 0);
	a = slurp(moved, NULL);
	b = slurp(path, NULL);
	assert_non_null(strstr(a, "\"flow_id\":7,"));
	assert_null(strstr(a, "\"flow_id\":8,"));
	assert_non_null(strstr(b, "\"flow_id\":8,"));
	assert_null(strstr(b, "\"flow_id\":7,"));
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
	c->rc = app_sink_eve_ops.open(&s, c->target);
	if (c->rc == 0)
		app_sink_eve_ops.close(&s);
}

static void
do_check_spec(void *arg)
{
	struct open_case *c = arg;

	c->rc = app_sink_check_spec("eve:");
}

/* A file that cannot be opened: open fails with one clear line. */
static void
test_eve_open_errors(void **state)
{
	struct open_case c;
	char err[512], path[128];

	(void)state;
	path_of(path, sizeof(path), "no-such-dir/eve.json");
	c.target = path;
	capture_stderr(err, sizeof(err), do_open, &c);
	assert_int_equal(c.rc, -ENOENT);
	assert_non_null(strstr(err, "flowscope: eve:"));
	assert_non_null(strstr(err, "cannot open: No such file or directory\n"));
	assert_non_null(strstr(err, path));

	c.target = tmpdir;
	capture_stderr(err, sizeof(err), do_open, &c);
	assert_int_equal(c.rc, -EISDIR);
	assert_non_null(strstr(err, "Is a directory"));
	/* The registry rejects a spec without a target, and names eve and zeek. */
	capture_stderr(err, sizeof(err), do_check_spec, &c);
	assert_int_equal(c.rc, -EINVAL);
	assert_non_null(strstr(err, "unsupported sink"));
	assert_non_null(strstr(err, " eve zeek"));
	assert_int_equal(app_sink_check_spec("eve:-"), 0);
}

struct write_case {
	struct app_sink s;
	struct fc_event ev[3];
	int rc_write, rc_tick, rc_close;
};

static void
do_failing_writes(void *arg)
{
	struct write_case *c = arg;

	memset(&c->s, 0, sizeof(c->s));
	assert_int_equal(app_sink_eve_ops.open(&c->s, "/dev/full"), 0);
	c->rc_write = app_sink_eve_ops.write(&c->s, c->ev, 3);
	c->rc_tick = app_sink_eve_ops.tick(&c->s, 0);
	/* The sink keeps going: more records, dropped again. */
	app_sink_eve_ops.write(&c->s, c->ev, 2);
	c->rc_close = app_sink_eve_ops.close(&c->s);
}

/* Writes that fail are counted as dropped, reported once, and the sink goes on. */
static void
test_eve_write_errors(void **state)
{
	struct write_case c;
	char err[1024];

	(void)state;
	for (int i = 0; i < 3; i++)
		tcp_session(&c.ev[i]);
	capture_stderr(err, sizeof(err), do_failing_writes, &c);
	assert_int_equal(c.rc_write, 0);
	assert_int_equal(c.rc_tick, -ENOSPC);
	assert_int_equal(c.rc_close, -ENOSPC);
	assert_int_equal(c.s.records, 5);
	assert_int_equal(c.s.written, 0);
	assert_int_equal(c.s.dropped, 5);
	assert_non_null(strstr(err, "eve:/dev/full: write failed: No space left on device"));
	/* Reported once. */
	assert_null(strstr(strstr(err, "write failed") + 1, "write failed"));
}

struct partial_case {
	struct app_sink s;
	struct fc_event ev[10];
	char path[128];
	rlim_t limit;
	int rc_tick;
};

static void
do_partial(void *arg)
{
	struct partial_case *c = arg;
	struct rlimit old, lim;

	memset(&c->s, 0, sizeof(c->s));
	assert_int_equal(app_sink_eve_ops.open(&c->s, c->path), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = c->limit;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	app_sink_eve_ops.write(&c->s, c->ev, 10);
	c->rc_tick = app_sink_eve_ops.tick(&c->s, 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	app_sink_eve_ops.write(&c->s, c->ev, 1);
	assert_int_equal(app_sink_eve_ops.close(&c->s), 0);
}

/*
 * A write that stops inside the buffer (after two and a half lines): whole
 * lines count as written, the rest as dropped, the cut line is ended.
 */
static void
test_eve_partial_write(void **state)
{
	struct partial_case c;
	char line[1024], err[512];
	size_t len;
	char *out, *p;

	(void)state;
	for (int i = 0; i < 10; i++)
		tcp_session(&c.ev[i]);
	out = render1(&c.ev[0]);
	snprintf(line, sizeof(line), "%s", out);
	len = strlen(line);
	free(out);
	path_of(c.path, sizeof(c.path), "partial.json");
	c.limit = 2 * len + len / 2;
	capture_stderr(err, sizeof(err), do_partial, &c);
	assert_int_equal(c.rc_tick, -EFBIG);
	assert_non_null(strstr(err, "write failed: File too large"));
	assert_int_equal(c.s.records, 11);
	assert_int_equal(c.s.written, 3);
	assert_int_equal(c.s.dropped, 8);
	out = slurp(c.path, NULL);
	p = out;
	assert_true(strncmp(p, line, len) == 0);
	assert_true(strncmp(p + len, line, len) == 0);
	p += 2 * len;
	assert_true(strncmp(p, line, len / 2) == 0);
	assert_int_equal(p[len / 2], '\n');
	assert_string_equal(p + len / 2 + 1, line);
	free(out);
}

/* The reader went away: EPIPE is returned so the run stops; records are dropped. */
static void
test_eve_epipe(void **state)
{
	struct fc_event ev;
	struct app_sink s;
	int p[2], saved;

	(void)state;
	tcp_session(&ev);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	memset(&s, 0, sizeof(s));
	assert_int_equal(app_sink_eve_ops.open(&s, "-"), 0);
	assert_int_equal(app_sink_eve_ops.write(&s, &ev, 1), 0);
	assert_int_equal(app_sink_eve_ops.tick(&s, 0), -EPIPE);
	assert_int_equal(app_sink_eve_ops.close(&s), 0);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(p[1]);
	assert_int_equal(s.records, 1);
	assert_int_equal(s.dropped, 1);
}

struct recover_case {
	struct app_sink s;
	struct fc_event ev;
	char dir[128], path[160];
	int rc_reopen;
};

static void
do_recover(void *arg)
{
	struct recover_case *c = arg;
	char moved[160];

	memset(&c->s, 0, sizeof(c->s));
	assert_int_equal(app_sink_eve_ops.open(&c->s, c->path), 0);
	assert_int_equal(app_sink_eve_ops.write(&c->s, &c->ev, 1), 0);
	snprintf(moved, sizeof(moved), "%s.moved", c->dir);
	assert_int_equal(rename(c->dir, moved), 0);
	c->rc_reopen = app_sink_eve_ops.reopen(&c->s);
	/* No file: records are dropped, retries stay quiet. */
	app_sink_eve_ops.write(&c->s, &c->ev, 1);
	app_sink_eve_ops.tick(&c->s, 0);
	app_sink_eve_ops.write(&c->s, &c->ev, 1);
	app_sink_eve_ops.tick(&c->s, 0);
	/* The directory is back: the next tick opens the file again. */
	assert_int_equal(mkdir(c->dir, 0755), 0);
	app_sink_eve_ops.tick(&c->s, 0);
	c->ev.flow_id = 9;
	assert_int_equal(app_sink_eve_ops.write(&c->s, &c->ev, 1), 0);
	assert_int_equal(app_sink_eve_ops.close(&c->s), 0);
}

/* A reopen that fails: one message, records dropped, recovery on a later tick. */
static void
test_eve_reopen_recovers(void **state)
{
	struct recover_case c;
	char err[1024];
	char *out;

	(void)state;
	tcp_session(&c.ev);
	path_of(c.dir, sizeof(c.dir), "gone");
	snprintf(c.path, sizeof(c.path), "%s/eve.json", c.dir);
	assert_int_equal(mkdir(c.dir, 0755), 0);
	capture_stderr(err, sizeof(err), do_recover, &c);
	assert_int_equal(c.rc_reopen, -ENOENT);
	assert_non_null(strstr(err, "eve.json: cannot open: No such file or directory\n"));
	assert_null(strstr(strchr(err, '\n') + 1, "flowscope"));
	assert_int_equal(c.s.records, 4);
	assert_int_equal(c.s.written, 2);
	assert_int_equal(c.s.dropped, 2);
	out = slurp(c.path, NULL);
	assert_non_null(strstr(out, "\"flow_id\":9,"));
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
	free(out);
}

/* The sink set: eve is a registered format and fans out with the others. */
static void
test_eve_registered(void **state)
{
	struct app_sinks ss;
	struct fc_event ev;
	char spec[160], path[128];
	const char *specs[1] = { spec };
	char *out;

	(void)state;
	tcp_session(&ev);
	path_of(path, sizeof(path), "set.json");
	snprintf(spec, sizeof(spec), "eve:%s", path);
	assert_int_equal(app_sinks_open(&ss, specs, 1), 0);
	assert_int_equal(app_sinks_write(&ss, &ev, 1), 0);
	assert_int_equal(app_sinks_close(&ss), 0);
	assert_int_equal(app_sinks_dropped(&ss), 0);
	out = slurp(path, NULL);
	assert_non_null(strstr(out, "\"event_type\":\"flow\""));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eve_ipv4_tcp),
		cmocka_unit_test(test_eve_ipv6_udp),
		cmocka_unit_test(test_eve_icmp),
		cmocka_unit_test(test_eve_proto_names),
		cmocka_unit_test(test_eve_tunnel_flow_id),
		cmocka_unit_test(test_eve_vlan),
		cmocka_unit_test(test_eve_tcp_flags),
		cmocka_unit_test(test_eve_state_reason_maps),
		cmocka_unit_test(test_eve_skips_non_records),
		cmocka_unit_test(test_eve_http),
		cmocka_unit_test(test_eve_tls),
		cmocka_unit_test(test_eve_dns),
		cmocka_unit_test(test_eve_session_unknown_flow),
		cmocka_unit_test(test_eve_buffered_writes),
		cmocka_unit_test(test_eve_stdout),
		cmocka_unit_test(test_eve_reopen),
		cmocka_unit_test(test_eve_open_errors),
		cmocka_unit_test(test_eve_write_errors),
		cmocka_unit_test(test_eve_partial_write),
		cmocka_unit_test(test_eve_epipe),
		cmocka_unit_test(test_eve_reopen_recovers),
		cmocka_unit_test(test_eve_registered),
	};

	return cmocka_run_group_tests(tests, sink_test_setup, sink_test_teardown);
}
