/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the Zeek sink (app/sink_zeek.c): the conn.log header
 * block and #close line, exact rows for flow_end events built by hand
 * (IPv4 TCP, IPv6 UDP single packet, ICMP, a tunnelled flow and its
 * parent, VLAN, an unknown transport, reassembly gaps, services), uids
 * (format, stability, no collisions), what is not a record, reopen on
 * SIGHUP, and the error paths (a DIR that is a file or cannot hold the
 * log, writes that fail while the sink keeps going).
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

#define SEC FC_NS_PER_SEC
#define USEC FC_NS_PER_USEC

static char tmpdir[64];

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

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static void
path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
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
	text = slurp(log);
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
	a = slurp(moved);
	p = a;
	check_header(&p);
	assert_true(strncmp(p, "1258894080.100000\tCHCf31B1bQzrUOgUUe\t", 37) == 0);
	p = strchr(p, '\n') + 1;
	check_close(p);
	b = slurp(log);
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

/* Run f with stderr captured into buf (a pipe: file size limits do not apply). */
static void
capture_stderr(char *buf, size_t len, void (*f)(void *), void *arg)
{
	int saved, p[2];
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	f(arg);
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(p[0]);
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
	text = slurp(c.log);
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
	text = slurp(moved);
	p = text;
	check_header(&p);
	p = strchr(p, '\n') + 1;
	check_close(p);
	free(text);
	snprintf(log, sizeof(log), "%s/conn.log", c.dir);
	text = slurp(log);
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
	text = slurp(log);
	hlen = strlen(text) - rlen - strlen("#close\t2024-01-01-00-00-00\n");
	free(text);

	path_of(c.dir, sizeof(c.dir), "partial");
	c.limit = hlen + 2 * rlen + rlen / 2;
	capture_stderr(err, sizeof(err), do_partial, &c);
	assert_int_equal(c.s.records, 11);
	assert_int_equal(c.s.written, 3);
	assert_int_equal(c.s.dropped, 8);
	snprintf(log, sizeof(log), "%s/conn.log", c.dir);
	text = slurp(log);
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

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fc-zeek-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
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
		cmocka_unit_test(test_zeek_reopen),
		cmocka_unit_test(test_zeek_open_errors),
		cmocka_unit_test(test_zeek_write_errors),
		cmocka_unit_test(test_zeek_reopen_recovers),
		cmocka_unit_test(test_zeek_partial_write),
		cmocka_unit_test(test_zeek_registered),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
