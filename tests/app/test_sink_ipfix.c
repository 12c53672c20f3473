/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the IPFIX sink (app/sink_ipfix.c). Known flow_end events
 * go in; the messages that come out (file, UDP datagrams, TCP stream) are
 * decoded here by a small independent IPFIX reader that checks every
 * message header (version, length, export time, per-domain sequence
 * number = data records of the domain's earlier messages), every set
 * length, and decodes data records through the templates it received, so
 * the tests check what a collector would see: template fields, values,
 * biflow reverse elements, uniflow pairs, IPv4/IPv6, observation domains,
 * the mtu bound, template refresh, and a TCP collector that is absent,
 * then present, then gone and back (records dropped, never blocking).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "sink.h"
#include "sink_test.h"

#define PEN_REV 29305u
#define MAX_TMPL 16
#define MAX_FIELDS 32
#define MAX_RECS 8192
#define MAX_MSGS 4096

/* ---- a small IPFIX reader ------------------------------------------- */

struct tfield {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
};

struct ttmpl {
	uint32_t dom;
	uint16_t tid;
	uint16_t n;
	struct tfield f[MAX_FIELDS];
};

struct trec {
	uint32_t dom;
	uint16_t tid;
	uint32_t msg;
	uint64_t start, end, oct, pkt, roct, rpkt;
	uint8_t src[16], dst[16];
	uint8_t alen;
	uint8_t has_rev;
	uint16_t sport, dport, flags, rflags, vlan;
	uint8_t proto, reason;
};

struct tmsg {
	uint32_t len, export_time, seq, dom;
	uint32_t ntmpl;  /* template records */
	uint32_t nrec;   /* data records */
};

struct reader {
	struct ttmpl tmpl[MAX_TMPL];
	unsigned int ntmpl;
	struct trec rec[MAX_RECS];
	unsigned int nrec;
	struct tmsg msg[MAX_MSGS];
	unsigned int nmsg;
	uint32_t seq[257];        /* expected next sequence number per domain */
	uint32_t t_min, t_max;    /* export time bounds */
};

static struct reader *
reader_new(void)
{
	struct reader *rd = calloc(1, sizeof(*rd));
	time_t now = time(NULL);

	assert_non_null(rd);
	rd->t_min = (uint32_t)now - 1;
	rd->t_max = (uint32_t)now + 120;
	return rd;
}

static uint64_t
be(const uint8_t *p, unsigned int len)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

static struct ttmpl *
find_tmpl(struct reader *rd, uint32_t dom, uint16_t tid)
{
	for (unsigned int i = 0; i < rd->ntmpl; i++)
		if (rd->tmpl[i].dom == dom && rd->tmpl[i].tid == tid)
			return &rd->tmpl[i];
	return NULL;
}

static unsigned int
tmpl_len(const struct ttmpl *t)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < t->n; i++)
		n += t->f[i].len;
	return n;
}

static void
parse_templates(struct reader *rd, struct tmsg *m, const uint8_t *p, unsigned int len)
{
	unsigned int off = 0;

	while (off < len) {
		struct ttmpl *t;
		uint16_t tid, n;

		assert_true(off + 4 <= len);
		tid = (uint16_t)be(p + off, 2);
		n = (uint16_t)be(p + off + 2, 2);
		off += 4;
		assert_true(tid >= 256);
		assert_true(n > 0 && n <= MAX_FIELDS);
		t = find_tmpl(rd, m->dom, tid);
		if (t == NULL) {
			assert_true(rd->ntmpl < MAX_TMPL);
			t = &rd->tmpl[rd->ntmpl++];
		}
		t->dom = m->dom;
		t->tid = tid;
		t->n = n;
		for (unsigned int i = 0; i < n; i++) {
			uint16_t id;

			assert_true(off + 4 <= len);
			id = (uint16_t)be(p + off, 2);
			t->f[i].len = (uint16_t)be(p + off + 2, 2);
			off += 4;
			t->f[i].pen = 0;
			if (id & 0x8000) {
				assert_true(off + 4 <= len);
				t->f[i].pen = (uint32_t)be(p + off, 4);
				off += 4;
			}
			t->f[i].id = id & 0x7fff;
		}
		m->ntmpl++;
	}
	assert_int_equal(off, len);
}

static void
decode_field(struct trec *r, const struct tfield *f, const uint8_t *p)
{
	uint64_t v = f->len <= 8 ? be(p, f->len) : 0;

	if (f->pen == PEN_REV) {
		r->has_rev = 1;
		switch (f->id) {
		case 1: r->roct = v; return;
		case 2: r->rpkt = v; return;
		case 6: r->rflags = (uint16_t)v; return;
		default: fail_msg("unexpected reverse element %u", f->id);
		}
	}
	assert_int_equal(f->pen, 0);
	switch (f->id) {
	case 152: r->start = v; break;
	case 153: r->end = v; break;
	case 1: r->oct = v; break;
	case 2: r->pkt = v; break;
	case 8: assert_int_equal(f->len, 4); memcpy(r->src, p, 4); r->alen = 4; break;
	case 12: assert_int_equal(f->len, 4); memcpy(r->dst, p, 4); break;
	case 27: assert_int_equal(f->len, 16); memcpy(r->src, p, 16); r->alen = 16; break;
	case 28: assert_int_equal(f->len, 16); memcpy(r->dst, p, 16); break;
	case 7: r->sport = (uint16_t)v; break;
	case 11: r->dport = (uint16_t)v; break;
	case 4: r->proto = (uint8_t)v; break;
	case 6: r->flags = (uint16_t)v; break;
	case 136: r->reason = (uint8_t)v; break;
	case 58: r->vlan = (uint16_t)v; break;
	default: fail_msg("unexpected element %u", f->id);
	}
}

static void
parse_data(struct reader *rd, struct tmsg *m, uint16_t tid, const uint8_t *p,
	   unsigned int len)
{
	const struct ttmpl *t = find_tmpl(rd, m->dom, tid);
	unsigned int rl, off = 0;

	assert_non_null(t);   /* templates come before their data */
	rl = tmpl_len(t);
	assert_int_equal(len % rl, 0);   /* no padding is used */
	while (off < len) {
		struct trec *r;

		assert_true(rd->nrec < MAX_RECS);
		r = &rd->rec[rd->nrec++];
		memset(r, 0, sizeof(*r));
		r->dom = m->dom;
		r->tid = tid;
		r->msg = rd->nmsg;
		for (unsigned int i = 0; i < t->n; i++) {
			decode_field(r, &t->f[i], p + off);
			off += t->f[i].len;
		}
		m->nrec++;
	}
}

/* Decode one message at p (avail bytes); returns its length. */
static unsigned int
decode_msg(struct reader *rd, const uint8_t *p, unsigned int avail)
{
	struct tmsg *m;
	unsigned int off = 16;

	assert_true(avail >= 16);
	assert_true(rd->nmsg < MAX_MSGS);
	m = &rd->msg[rd->nmsg];
	memset(m, 0, sizeof(*m));
	assert_int_equal(be(p, 2), 10);
	m->len = (uint32_t)be(p + 2, 2);
	m->export_time = (uint32_t)be(p + 4, 4);
	m->seq = (uint32_t)be(p + 8, 4);
	m->dom = (uint32_t)be(p + 12, 4);
	assert_true(m->len >= 16 + 4 && m->len <= avail);
	assert_true(m->export_time >= rd->t_min && m->export_time <= rd->t_max);
	assert_true(m->dom >= 1 && m->dom <= 256);
	assert_int_equal(m->seq, rd->seq[m->dom]);
	while (off < m->len) {
		uint16_t sid, slen;

		assert_true(off + 4 <= m->len);
		sid = (uint16_t)be(p + off, 2);
		slen = (uint16_t)be(p + off + 2, 2);
		assert_true(slen > 4 && off + slen <= m->len);
		if (sid == 2)
			parse_templates(rd, m, p + off + 4, slen - 4u);
		else if (sid >= 256)
			parse_data(rd, m, sid, p + off + 4, slen - 4u);
		else
			fail_msg("unexpected set id %u", sid);
		off += slen;
	}
	assert_int_equal(off, m->len);
	assert_true(m->nrec > 0);  /* every message carries data */
	rd->seq[m->dom] += m->nrec;
	rd->nmsg++;
	return m->len;
}

static void
decode_stream(struct reader *rd, const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len)
		off += decode_msg(rd, p + off, (unsigned int)(len - off));
}

static struct reader *
decode_file(const char *path)
{
	struct reader *rd = reader_new();
	size_t len;
	uint8_t *buf = slurp(path, &len);

	decode_stream(rd, buf, len);
	free(buf);
	return rd;
}

/* ---- events ---------------------------------------------------------- */

struct flow {
	uint8_t lcore;
	int v6;
	const char *o, *r;
	uint16_t op, rp;
	uint8_t proto;
	uint64_t pkts[2], ipb[2];
	uint8_t reason;
	const char *hist, *fs;
	uint16_t vlan;
	uint64_t first_ns, last_ns;
};

static uint64_t next_id = 1;

static struct fc_event
mk(const struct flow *f)
{
	struct fc_event ev;
	struct fc_event_flow_end *e = &ev.u.end;

	memset(&ev, 0, sizeof(ev));
	ev.type = FC_EV_FLOW_END;
	ev.flow_id = (uint64_t)f->lcore << 56 | next_id++;
	ev.ts = f->last_ns;
	e->id.family = f->v6 ? FC_KEY_FAMILY_V6 : FC_KEY_FAMILY_V4;
	assert_int_equal(inet_pton(f->v6 ? AF_INET6 : AF_INET, f->o, e->id.orig_h), 1);
	assert_int_equal(inet_pton(f->v6 ? AF_INET6 : AF_INET, f->r, e->id.resp_h), 1);
	e->id.orig_p = f->op;
	e->id.resp_p = f->rp;
	e->id.proto = f->proto;
	e->id.vlan = f->vlan;
	e->first_ts = f->first_ns;
	e->last_ts = f->last_ns;
	for (int i = 0; i < 2; i++) {
		e->pkts[i] = f->pkts[i];
		e->ip_bytes[i] = f->ipb[i];
		e->bytes[i] = f->ipb[i] + 14 * f->pkts[i];
	}
	e->reason = f->reason;
	e->is_tcp = f->proto == IPPROTO_TCP;
	snprintf(e->history, sizeof(e->history), "%s", f->hist ? f->hist : "");
	snprintf(e->fs_history, sizeof(e->fs_history), "%s", f->fs ? f->fs : "");
	return ev;
}

/* A TCP flow numbered i (distinct ports), on lcore lc. */
static struct fc_event
mk_tcp(unsigned int i, uint8_t lc, int v6)
{
	struct flow f = {
		.lcore = lc, .v6 = v6,
		.o = v6 ? "2001:db8::1" : "10.0.0.1",
		.r = v6 ? "2001:db8::2" : "10.0.0.2",
		.op = (uint16_t)(10000 + i), .rp = 80, .proto = IPPROTO_TCP,
		.pkts = { 5 + i, 4 }, .ipb = { 300 + i, 4000 },
		.reason = FC_END_FIN, .hist = "ShADadFf", .fs = "SsDdFf",
		.first_ns = 1700000000123456789ull + i * 1000000ull,
		.last_ns = 1700000001987654321ull + i * 1000000ull,
	};

	return mk(&f);
}

static char *
tmp_path(void)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/fc_ipfix_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return path;
}

static void
sink_open(struct app_sink *s, const char *target)
{
	memset(s, 0, sizeof(*s));
	s->ops = &app_sink_ipfix_ops;
	s->spec = target;
	assert_int_equal(s->ops->open(s, target), 0);
}

static void
sink_close(struct app_sink *s)
{
	assert_int_equal(s->ops->close(s), 0);
	assert_int_equal(s->records, s->written + s->dropped);
}

/* ---- file output: header, templates, values --------------------------- */

/*
 * ipfix:FILE, biflow: a TCP flow with a full history, a one-way UDP flow
 * with a VLAN, an idle ICMP flow. One message: header, template set
 * (256 IPv4, 257 IPv6, RFC 5103 reverse fields), one data set; values.
 */
static void
test_ipfix_file_biflow_v4(void **state)
{
	char *path = tmp_path();
	char spec[96];
	struct app_sink s;
	struct reader *rd;
	struct fc_event ev[3];
	static const uint16_t v4_fields[][2] = {
		{ 152, 0 }, { 153, 0 }, { 1, 0 }, { 2, 0 }, { 1, PEN_REV & 0xffff },
		{ 2, PEN_REV & 0xffff }, { 8, 0 }, { 12, 0 }, { 7, 0 }, { 11, 0 },
		{ 4, 0 }, { 6, 0 }, { 6, PEN_REV & 0xffff }, { 136, 0 }, { 58, 0 },
	};
	struct flow udp = {
		.o = "192.168.1.10", .r = "192.168.1.1", .op = 5353, .rp = 53,
		.proto = IPPROTO_UDP, .pkts = { 3, 0 }, .ipb = { 180, 0 },
		.reason = FC_END_IDLE, .hist = "D", .fs = "DDD", .vlan = 5,
		.first_ns = 1600000000000000000ull, .last_ns = 1600000000999999999ull,
	};
	struct flow icmp = {
		.o = "10.1.1.1", .r = "10.1.1.2", .op = 8, .rp = 0,
		.proto = IPPROTO_ICMP, .pkts = { 2, 2 }, .ipb = { 168, 168 },
		.reason = FC_END_SHUTDOWN,
		.first_ns = 1600000000000000000ull, .last_ns = 1600000001000000000ull,
	};
	const struct trec *r;
	const struct ttmpl *t;

	(void)state;
	ev[0] = mk_tcp(0, 0, 0);
	ev[1] = mk(&udp);
	ev[2] = mk(&icmp);
	snprintf(spec, sizeof(spec), "%s", path);
	sink_open(&s, spec);
	assert_int_equal(s.ops->write(&s, ev, 3), 0);
	assert_int_equal(s.records, 3);
	sink_close(&s);
	assert_int_equal(s.written, 3);
	assert_int_equal(s.dropped, 0);

	rd = decode_file(path);
	assert_int_equal(rd->nmsg, 1);
	assert_int_equal(rd->msg[0].dom, 1);     /* lcore 0 + 1 */
	assert_int_equal(rd->msg[0].seq, 0);
	assert_int_equal(rd->msg[0].ntmpl, 2);
	assert_int_equal(rd->ntmpl, 2);
	t = find_tmpl(rd, 1, 256);
	assert_non_null(t);
	assert_int_equal(t->n, FC_DIM(v4_fields));
	for (unsigned int i = 0; i < t->n; i++) {
		assert_int_equal(t->f[i].id, v4_fields[i][0]);
		assert_int_equal(t->f[i].pen, v4_fields[i][1] ? PEN_REV : 0);
	}
	assert_int_equal(tmpl_len(t), 68);
	t = find_tmpl(rd, 1, 257);
	assert_non_null(t);
	assert_int_equal(tmpl_len(t), 92);
	assert_int_equal(t->f[6].id, 27);
	assert_int_equal(t->f[7].id, 28);

	assert_int_equal(rd->nrec, 3);
	r = &rd->rec[0];
	assert_int_equal(r->tid, 256);
	assert_int_equal(r->start, 1700000000123ull);
	assert_int_equal(r->end, 1700000001987ull);
	assert_int_equal(r->oct, 300);
	assert_int_equal(r->pkt, 5);
	assert_int_equal(r->roct, 4000);
	assert_int_equal(r->rpkt, 4);
	assert_memory_equal(r->src, "\x0a\x00\x00\x01", 4);
	assert_memory_equal(r->dst, "\x0a\x00\x00\x02", 4);
	assert_int_equal(r->sport, 10000);
	assert_int_equal(r->dport, 80);
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(r->flags, 0x13);        /* SYN ACK FIN */
	assert_int_equal(r->rflags, 0x13);
	assert_int_equal(r->reason, 3);
	assert_int_equal(r->vlan, 0);
	r = &rd->rec[1];
	assert_int_equal(r->proto, IPPROTO_UDP);
	assert_int_equal(r->oct, 180);
	assert_int_equal(r->pkt, 3);
	assert_int_equal(r->roct, 0);
	assert_int_equal(r->rpkt, 0);
	assert_int_equal(r->flags | r->rflags, 0);
	assert_int_equal(r->reason, 1);
	assert_int_equal(r->vlan, 5);
	assert_int_equal(r->sport, 5353);
	assert_int_equal(r->dport, 53);
	r = &rd->rec[2];
	assert_int_equal(r->proto, IPPROTO_ICMP);
	assert_int_equal(r->reason, 4);
	assert_int_equal(r->start, 1600000000000ull);
	assert_int_equal(r->end, 1600000001000ull);
	free(rd);
	unlink(path);
}

/*
 * Flows of lcores 0 and 2, IPv4 and IPv6, interleaved: two observation
 * domains (1 and 3), each with its templates and its own sequence
 * numbers; IPv6 addresses intact.
 */
static void
test_ipfix_v6_and_domains(void **state)
{
	char *path = tmp_path();
	struct app_sink s;
	struct reader *rd;
	struct fc_event ev[40];
	unsigned int per_dom[4] = { 0 }, v6 = 0;
	char spec[96];

	(void)state;
	for (unsigned int i = 0; i < 40; i++)
		ev[i] = mk_tcp(i, (uint8_t)((i & 1) ? 2 : 0), (i % 3) == 0);
	snprintf(spec, sizeof(spec), "%s?mtu=600", path);
	sink_open(&s, spec);
	assert_int_equal(s.ops->write(&s, ev, 20), 0);
	assert_int_equal(s.ops->tick(&s, 1), 0);
	assert_int_equal(s.ops->write(&s, ev + 20, 20), 0);
	sink_close(&s);
	assert_int_equal(s.written, 40);

	rd = decode_file(path);
	assert_int_equal(rd->nrec, 40);
	for (unsigned int i = 0; i < rd->nmsg; i++) {
		assert_true(rd->msg[i].len <= 600);
		assert_true(rd->msg[i].dom == 1 || rd->msg[i].dom == 3);
	}
	for (unsigned int i = 0; i < rd->nrec; i++) {
		const struct trec *r = &rd->rec[i];

		per_dom[r->dom]++;
		if (r->alen == 16) {
			v6++;
			assert_int_equal(r->tid, 257);
			assert_memory_equal(r->src, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
			assert_memory_equal(r->dst, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
		} else {
			assert_int_equal(r->tid, 256);
		}
	}
	assert_int_equal(per_dom[1], 20);
	assert_int_equal(per_dom[3], 20);
	assert_int_equal(v6, 14);
	assert_int_equal(rd->seq[1], 20);
	assert_int_equal(rd->seq[3], 20);
	assert_non_null(find_tmpl(rd, 1, 257));
	assert_non_null(find_tmpl(rd, 3, 256));
	free(rd);
	unlink(path);
}

/*
 * mode=uniflow: a two-way TCP flow gives two records in one message
 * (the second with addresses, ports, counters and flags swapped), a
 * one-way flow one record, a responder-only flow the responder's record.
 * Templates 258/259 carry no enterprise fields; sequence numbers count
 * data records, not flows.
 */
static void
test_ipfix_uniflow(void **state)
{
	char *path = tmp_path();
	struct app_sink s;
	struct reader *rd;
	struct fc_event ev[3];
	char spec[96];
	struct flow oneway = {
		.o = "10.2.0.1", .r = "10.2.0.2", .op = 1000, .rp = 2000,
		.proto = IPPROTO_UDP, .pkts = { 2, 0 }, .ipb = { 100, 0 },
		.reason = FC_END_IDLE,
	};
	struct flow backward = {
		.o = "10.3.0.1", .r = "10.3.0.2", .op = 3000, .rp = 4000,
		.proto = IPPROTO_UDP, .pkts = { 0, 7 }, .ipb = { 0, 700 },
		.reason = FC_END_IDLE,
	};
	const struct trec *r;

	(void)state;
	ev[0] = mk_tcp(1, 0, 1);
	ev[1] = mk(&oneway);
	ev[2] = mk(&backward);
	snprintf(spec, sizeof(spec), "%s?mode=uniflow", path);
	sink_open(&s, spec);
	assert_int_equal(s.ops->write(&s, ev, 3), 0);
	sink_close(&s);
	assert_int_equal(s.records, 3);
	assert_int_equal(s.written, 3);

	rd = decode_file(path);
	assert_int_equal(rd->nmsg, 1);
	assert_non_null(find_tmpl(rd, 1, 258));
	assert_non_null(find_tmpl(rd, 1, 259));
	assert_int_equal(find_tmpl(rd, 1, 258)->n, 12);
	assert_int_equal(tmpl_len(find_tmpl(rd, 1, 258)), 50);
	assert_int_equal(tmpl_len(find_tmpl(rd, 1, 259)), 74);
	assert_int_equal(rd->nrec, 4);
	assert_int_equal(rd->seq[1], 4);
	r = &rd->rec[0];
	assert_int_equal(r->tid, 259);
	assert_int_equal(r->has_rev, 0);
	assert_int_equal(r->sport, 10001);
	assert_int_equal(r->dport, 80);
	assert_int_equal(r->pkt, 6);
	assert_int_equal(r->oct, 301);
	assert_int_equal(r->flags, 0x13);
	assert_int_equal(r->src[15], 1);
	r = &rd->rec[1];
	assert_int_equal(r->tid, 259);
	assert_int_equal(r->sport, 80);
	assert_int_equal(r->dport, 10001);
	assert_int_equal(r->pkt, 4);
	assert_int_equal(r->oct, 4000);
	assert_int_equal(r->src[15], 2);
	assert_int_equal(r->dst[15], 1);
	assert_int_equal(r->start, rd->rec[0].start);
	r = &rd->rec[2];
	assert_int_equal(r->tid, 258);
	assert_int_equal(r->pkt, 2);
	assert_int_equal(r->sport, 1000);
	r = &rd->rec[3];
	assert_int_equal(r->pkt, 7);
	assert_int_equal(r->oct, 700);
	assert_int_equal(r->sport, 4000);
	assert_int_equal(r->dport, 3000);
	assert_memory_equal(r->src, "\x0a\x03\x00\x02", 4);
	free(rd);
	unlink(path);
}

/*
 * tcpControlBits from the histories, per side, across role flips; and
 * the flowEndReason of every end reason.
 */
static void
test_ipfix_tcp_flags_and_reasons(void **state)
{
	static const struct {
		const char *hist, *fs;
		uint8_t proto;
		uint16_t orig, resp;
	} c[] = {
		{ "ShADadFf", "SsDddddFf", IPPROTO_TCP, 0x13, 0x13 },
		{ "ShAR", "SsR", IPPROTO_TCP, 0x16, 0x12 },
		{ "Sr", "Sr", IPPROTO_TCP, 0x02, 0x04 },   /* rejected */
		{ "S", "SSS", IPPROTO_TCP, 0x02, 0x00 },
		{ "^hADdFaf", "", IPPROTO_TCP, 0x11, 0x13 }, /* retro flip: case already right */
		{ "SA^d", "", IPPROTO_TCP, 0x00, 0x12 },   /* letters before '^' change side */
		{ "SA^d^D", "", IPPROTO_TCP, 0x12, 0x00 }, /* two flips: back to the original */
		{ "Ii", "", IPPROTO_TCP, 0x05, 0x05 },
		{ "Q", "", IPPROTO_TCP, 0x02, 0x00 },
		{ "", "SFRD", IPPROTO_TCP, 0x17, 0x00 },   /* flowscope letters alone */
		{ "Dd", "Dd", IPPROTO_UDP, 0x00, 0x00 },   /* not TCP: none */
	};
	static const uint8_t reason[FC_END_MAX] = {
		[FC_END_FIN] = 3, [FC_END_RST] = 3, [FC_END_IDLE] = 1,
		[FC_END_EVICTED] = 5, [FC_END_BUFFER_OVERFLOW] = 5,
		[FC_END_PARSE_ERROR] = 4, [FC_END_SHUTDOWN] = 4,
	};
	const unsigned int nc = FC_DIM(c);
	struct fc_event ev[FC_DIM(c) + FC_END_MAX];
	char *path = tmp_path();
	struct app_sink s;
	struct reader *rd;

	(void)state;
	for (unsigned int i = 0; i < nc; i++) {
		struct flow f = {
			.o = "10.9.0.1", .r = "10.9.0.2", .op = (uint16_t)(100 + i),
			.rp = 80, .proto = c[i].proto, .pkts = { 1, 1 },
			.ipb = { 40, 40 }, .reason = FC_END_FIN,
			.hist = c[i].hist, .fs = c[i].fs,
		};
		ev[i] = mk(&f);
	}
	for (unsigned int i = 0; i < FC_END_MAX; i++) {
		ev[nc + i] = mk_tcp(i, 0, 0);
		ev[nc + i].u.end.reason = (uint8_t)i;
	}
	sink_open(&s, path);
	assert_int_equal(s.ops->write(&s, ev, nc + FC_END_MAX), 0);
	sink_close(&s);
	rd = decode_file(path);
	assert_int_equal(rd->nrec, nc + FC_END_MAX);
	for (unsigned int i = 0; i < nc; i++) {
		if (rd->rec[i].flags != c[i].orig || rd->rec[i].rflags != c[i].resp)
			fail_msg("case %u (%s / %s): flags 0x%02x/0x%02x, expected "
				 "0x%02x/0x%02x", i, c[i].hist, c[i].fs,
				 rd->rec[i].flags, rd->rec[i].rflags,
				 c[i].orig, c[i].resp);
	}
	for (unsigned int i = 0; i < FC_END_MAX; i++)
		assert_int_equal(rd->rec[nc + i].reason, reason[i]);
	free(rd);
	unlink(path);
}

/* Events that are not IP flow_ends or flow_updates are not records: nothing is written. */
static void
test_ipfix_skips_other_events(void **state)
{
	char *path = tmp_path();
	struct app_sink s;
	struct fc_event ev[4];
	struct stat st;

	(void)state;
	ev[0] = mk_tcp(0, 0, 0);
	ev[0].type = FC_EV_FLOW_START;
	ev[1] = mk_tcp(1, 0, 0);
	ev[1].type = FC_EV_STATE_CHANGE;
	ev[2] = mk_tcp(2, 0, 0);
	ev[2].u.end.id.family = FC_KEY_FAMILY_MAC;
	ev[3] = mk_tcp(3, 0, 0);
	ev[3].type = FC_EV_ANOMALY;
	sink_open(&s, path);
	assert_int_equal(s.ops->write(&s, ev, 4), 0);
	assert_int_equal(s.ops->tick(&s, 1000), 0);
	sink_close(&s);
	assert_int_equal(s.records, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	unlink(path);
}

/* A flow_update of flow f with counters scaled by k/4 of its final ones, at time t. */
static struct fc_event
mk_update(const struct fc_event *end, unsigned int k, uint64_t t)
{
	struct fc_event ev = *end;

	ev.type = FC_EV_FLOW_UPDATE;
	ev.ts = t;
	ev.u.update.last_ts = t;
	for (int i = 0; i < 2; i++) {
		ev.u.update.pkts[i] = end->u.end.pkts[i] * k / 4;
		ev.u.update.ip_bytes[i] = end->u.end.ip_bytes[i] * k / 4;
	}
	ev.u.update.reason = FC_END_IDLE;   /* not an end: must not show */
	return ev;
}

/*
 * Active timeout: flow_updates become records with flowEndReason 2 whose
 * delta counts (both directions, biflow and uniflow) sum with the final
 * record to the flow's totals; a flow without updates exports its totals
 * once; flowStart stays the flow's first packet, flowEnd its last so far.
 */
static void
test_ipfix_active_timeout_deltas(void **state)
{
	for (int uni = 0; uni < 2; uni++) {
		char *path = tmp_path();
		char spec[96];
		struct app_sink s;
		struct reader *rd;
		struct fc_event end[2], ev[6];
		uint64_t sum[2][4] = { { 0 } };
		unsigned int n_active = 0, n_end = 0;

		(void)state;
		end[0] = mk_tcp(1, 0, 0);
		end[0].u.end.pkts[0] = 400;
		end[0].u.end.pkts[1] = 300;
		end[0].u.end.ip_bytes[0] = 40000;
		end[0].u.end.ip_bytes[1] = 300000;
		end[0].u.end.last_ts = end[0].u.end.first_ts + 50 * FC_NS_PER_SEC;
		end[1] = mk_tcp(2, 1, 1);           /* another lcore, IPv6, no updates */
		ev[0] = mk_update(&end[0], 1, end[0].u.end.first_ts + 10 * FC_NS_PER_SEC);
		ev[1] = mk_update(&end[0], 2, end[0].u.end.first_ts + 20 * FC_NS_PER_SEC);
		ev[2] = mk_update(&end[0], 3, end[0].u.end.first_ts + 30 * FC_NS_PER_SEC);
		ev[3] = end[1];
		ev[4] = end[0];
		ev[5] = mk_update(&end[0], 4, end[0].u.end.first_ts + 40 * FC_NS_PER_SEC);
		ev[5].type = FC_EV_STATE_CHANGE;    /* not a record */
		snprintf(spec, sizeof(spec), "%s%s", path, uni ? "?mode=uniflow" : "");
		sink_open(&s, spec);
		assert_int_equal(s.ops->write(&s, ev, 6), 0);
		sink_close(&s);
		assert_int_equal(s.records, 5);
		assert_int_equal(s.written, 5);
		rd = decode_file(path);
		for (unsigned int i = 0; i < rd->nrec; i++) {
			const struct trec *r = &rd->rec[i];
			int fwd = r->sport == end[0].u.end.id.orig_p;
			int rev = r->dport == end[0].u.end.id.orig_p;

			if (r->alen == 16) {
				/* The flow without updates: its totals, once. */
				assert_int_equal(r->reason, 3);
				if (!uni || r->sport == end[1].u.end.id.orig_p)
					assert_int_equal(r->pkt, end[1].u.end.pkts[0]);
				continue;
			}
			assert_true(fwd || rev);
			assert_int_equal(r->start, end[0].u.end.first_ts / 1000000);
			if (r->reason == 2) {
				n_active++;
				assert_true(r->end < end[0].u.end.last_ts / 1000000);
			} else {
				assert_int_equal(r->reason, 3);
				n_end++;
				assert_int_equal(r->end, end[0].u.end.last_ts / 1000000);
			}
			if (uni) {
				sum[0][rev ? 2 : 0] += r->pkt;
				sum[0][rev ? 3 : 1] += r->oct;
			} else {
				sum[0][0] += r->pkt;
				sum[0][1] += r->oct;
				sum[0][2] += r->rpkt;
				sum[0][3] += r->roct;
				assert_int_equal(r->pkt, 100);
				assert_int_equal(r->rpkt, 75);
			}
		}
		/* Three updates and the end: each direction's records in uniflow mode. */
		assert_int_equal(n_active, uni ? 6 : 3);
		assert_int_equal(n_end, uni ? 2 : 1);
		assert_int_equal(sum[0][0], 400);
		assert_int_equal(sum[0][1], 40000);
		assert_int_equal(sum[0][2], 300);
		assert_int_equal(sum[0][3], 300000);
		free(rd);
		unlink(path);
	}
}

/*
 * Flows whose updates cannot be tracked (every way of their set taken by
 * a live flow) export no update and their totals at the end; an entry
 * stale for a day of packet time is reused.
 */
static void
test_ipfix_active_timeout_untracked(void **state)
{
	enum { N = 65536 * 2 };
	char *path = tmp_path();
	struct app_sink s;
	struct fc_event *ev = calloc(N, sizeof(*ev));
	uint64_t pk = 0, upd = 0;

	(void)state;
	assert_non_null(ev);
	/* N flows with one update each and no end yet: more than the table holds. */
	for (unsigned int i = 0; i < N; i++) {
		struct fc_event e = mk_tcp(i, 0, 0);

		ev[i] = mk_update(&e, 2, e.u.end.first_ts + FC_NS_PER_SEC);
	}
	sink_open(&s, path);
	assert_int_equal(s.ops->write(&s, ev, N), 0);
	upd = s.records;
	if (upd < 65536 / 2 || upd > 65536)
		fail_msg("%" PRIu64 " updates tracked", upd);
	/* Their ends: every flow's packets add up to its totals, tracked or not. */
	for (unsigned int i = 0; i < N; i++) {
		ev[i].type = FC_EV_FLOW_END;
		ev[i].u.end.pkts[0] *= 2;
		ev[i].u.end.pkts[1] *= 2;
		ev[i].u.end.ip_bytes[0] *= 2;
		ev[i].u.end.ip_bytes[1] *= 2;
		pk += ev[i].u.end.pkts[0];
	}
	assert_int_equal(s.ops->write(&s, ev, N), 0);
	sink_close(&s);
	assert_int_equal(s.records, upd + N);
	{
		/* Too many records for the test reader: sum the file by hand. */
		size_t len, off = 0;
		uint8_t *buf = slurp(path, &len);
		uint64_t got = 0;

		while (off + 16 <= len) {
			unsigned int mlen = (unsigned int)be(buf + off + 2, 2), so = 16;

			if (mlen == 0)
				break;
			while (so + 4 <= mlen) {
				unsigned int sid = (unsigned int)be(buf + off + so, 2);
				unsigned int slen = (unsigned int)be(buf + off + so + 2, 2);

				if (sid == 256)
					for (unsigned int r = 4; r + 68 <= slen; r += 68)
						got += be(buf + off + so + r + 24, 8);
				so += slen;
			}
			off += mlen;
		}
		free(buf);
		assert_int_equal(got, pk);
	}
	free(ev);
	unlink(path);
}

/* mtu=512: many messages, none longer, sequence numbers continuous, templates first only. */
static void
test_ipfix_file_mtu_sequence(void **state)
{
	char *path = tmp_path();
	struct app_sink s;
	struct reader *rd;
	struct fc_event ev[64];
	char spec[96];
	unsigned int sent = 0;

	(void)state;
	snprintf(spec, sizeof(spec), "%s?mtu=512&mode=biflow", path);
	sink_open(&s, spec);
	for (unsigned int round = 0; round < 8; round++) {
		for (unsigned int i = 0; i < 64; i++)
			ev[i] = mk_tcp(sent + i, 0, (i % 5) == 0);
		assert_int_equal(s.ops->write(&s, ev, 64), 0);
		sent += 64;
	}
	sink_close(&s);
	assert_int_equal(s.written, sent);
	rd = decode_file(path);
	assert_int_equal(rd->nrec, sent);
	assert_true(rd->nmsg > sent / 7);
	for (unsigned int i = 0; i < rd->nmsg; i++) {
		assert_true(rd->msg[i].len <= 512);
		assert_int_equal(rd->msg[i].ntmpl, i == 0 ? 2 : 0);
	}
	/* Every record once, in order. */
	for (unsigned int i = 0; i < sent; i++)
		assert_int_equal(rd->rec[i].sport, (uint16_t)(10000 + i));
	assert_int_equal(rd->seq[1], sent);
	free(rd);
	unlink(path);
}

/*
 * A file that cannot be written (/dev/full): every record is dropped and
 * counted, close reports the error, nothing crashes.
 */
static void
test_ipfix_file_write_error(void **state)
{
	struct app_sink s;
	struct fc_event ev[32];

	(void)state;
	for (unsigned int i = 0; i < 32; i++)
		ev[i] = mk_tcp(i, 0, 0);
	sink_open(&s, "/dev/full");
	for (unsigned int round = 0; round < 4; round++) {
		assert_int_equal(s.ops->write(&s, ev, 32), 0);
		assert_int_not_equal(s.ops->tick(&s, round), 0);
	}
	assert_int_equal(s.ops->write(&s, ev, 32), 0);
	assert_int_not_equal(s.ops->close(&s), 0);
	assert_int_equal(s.records, 160);
	assert_int_equal(s.written, 0);
	assert_int_equal(s.dropped, 160);
}

/*
 * SIGHUP after logrotate moved the file: the old file keeps its records,
 * the new one starts with the templates and the domain's numbers go on.
 */
static void
test_ipfix_file_reopen(void **state)
{
	char *path = tmp_path();
	char old[80];
	struct app_sink s;
	struct reader *rd;
	struct fc_event ev[10];

	(void)state;
	for (unsigned int i = 0; i < 10; i++)
		ev[i] = mk_tcp(i, 0, 0);
	snprintf(old, sizeof(old), "%s.1", path);
	sink_open(&s, path);
	assert_int_equal(s.ops->write(&s, ev, 6), 0);
	assert_int_equal(rename(path, old), 0);
	assert_int_equal(s.ops->reopen(&s), 0);
	assert_int_equal(s.ops->write(&s, ev + 6, 4), 0);
	sink_close(&s);
	assert_int_equal(s.written, 10);
	rd = decode_file(old);
	assert_int_equal(rd->nrec, 6);
	free(rd);
	rd = reader_new();
	rd->seq[1] = 6;
	{
		size_t len;
		uint8_t *buf = slurp(path, &len);

		decode_stream(rd, buf, len);
		free(buf);
	}
	assert_int_equal(rd->nrec, 4);
	assert_int_equal(rd->msg[0].ntmpl, 2);
	assert_int_equal(rd->rec[0].sport, 10006);
	free(rd);
	unlink(path);
	unlink(old);
}

/* ---- UDP -------------------------------------------------------------- */

static int
udp_collector(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 4 << 20;

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	*port = ntohs(a.sin_port);
	return fd;
}

/* Receive datagrams until none arrives for 300 ms; decode each. */
static unsigned int
udp_drain(int fd, struct reader *rd, unsigned int mtu)
{
	uint8_t buf[65536];
	unsigned int n = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t len;

		if (poll(&pfd, 1, 300) <= 0)
			return n;
		len = recv(fd, buf, sizeof(buf), 0);
		assert_true(len > 0);
		assert_true((unsigned int)len <= mtu);
		assert_int_equal(decode_msg(rd, buf, (unsigned int)len), len);
		n++;
	}
}

/*
 * udp://127.0.0.1:PORT?mtu=600: 300 flows from two lcores; every
 * datagram is one message within the mtu, per-domain sequence numbers
 * are continuous, each domain's first message starts with templates.
 */
static void
test_ipfix_udp_mtu_sequence(void **state)
{
	struct app_sink s;
	struct reader *rd = reader_new();
	struct fc_event ev[50];
	uint16_t port;
	int fd = udp_collector(&port);
	char spec[96];
	unsigned int first[257] = { 0 }, n;

	(void)state;
	snprintf(spec, sizeof(spec), "udp://127.0.0.1:%u?mtu=600", port);
	sink_open(&s, spec);
	for (unsigned int round = 0; round < 6; round++) {
		for (unsigned int i = 0; i < 50; i++)
			ev[i] = mk_tcp(round * 50 + i, (uint8_t)(i % 2), i % 4 == 0);
		assert_int_equal(s.ops->write(&s, ev, 50), 0);
		assert_int_equal(s.ops->tick(&s, (round + 1) * 100000000ull), 0);
	}
	n = udp_drain(fd, rd, 600);
	assert_int_equal(n, rd->nmsg);
	assert_int_equal(rd->nrec, 300);
	assert_int_equal(rd->seq[1], 150);
	assert_int_equal(rd->seq[2], 150);
	for (unsigned int i = 0; i < rd->nmsg; i++) {
		const struct tmsg *m = &rd->msg[i];

		assert_int_equal(m->ntmpl, first[m->dom]++ == 0 ? 2 : 0);
	}
	sink_close(&s);
	assert_int_equal(s.written, 300);
	close(fd);
	free(rd);
}

/*
 * template_interval=1: templates open the first message, then only a
 * message started at least 1 s (of tick time) after the last templates.
 */
static void
test_ipfix_udp_template_refresh(void **state)
{
	static const struct {
		uint64_t tick_before;   /* tick() before the write: the message's start time */
		uint32_t templates;     /* expected template records */
	} step[] = {
		{ 5000000000ull, 2 },
		{ 5500000000ull, 0 },
		{ 5900000000ull, 0 },
		{ 6000000000ull, 2 },   /* 1.0 s after 5.0 */
		{ 6400000000ull, 0 },
		{ 9000000000ull, 2 },
	};
	struct app_sink s;
	struct reader *rd = reader_new();
	uint16_t port;
	int fd = udp_collector(&port);
	char spec[96];

	(void)state;
	snprintf(spec, sizeof(spec), "udp://127.0.0.1:%u?template_interval=1", port);
	sink_open(&s, spec);
	for (unsigned int i = 0; i < FC_DIM(step); i++) {
		struct fc_event ev = mk_tcp(i, 0, 0);

		assert_int_equal(s.ops->tick(&s, step[i].tick_before), 0);
		assert_int_equal(s.ops->write(&s, &ev, 1), 0);
		assert_int_equal(s.ops->tick(&s, step[i].tick_before + 1), 0);
		assert_int_equal(udp_drain(fd, rd, 1400), 1);
		assert_int_equal(rd->msg[i].ntmpl, step[i].templates);
	}
	sink_close(&s);
	close(fd);
	free(rd);
}

/* ---- TCP -------------------------------------------------------------- */

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A loopback port nobody listens on. */
static uint16_t
closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/*
 * tcp:// to a port nobody listens on: open succeeds, every record is
 * dropped, reconnect attempts on tick fail, and no call blocks (1 s is a
 * bound to catch blocking forever, not a timing assertion).
 */
static void
test_ipfix_tcp_not_listening(void **state)
{
	struct app_sink s;
	struct fc_event ev[32];
	char spec[96];
	uint64_t t0, worst = 0;

	(void)state;
	snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%u", closed_port());
	t0 = mono_ns();
	sink_open(&s, spec);
	worst = mono_ns() - t0;
	for (unsigned int round = 0; round < 40; round++) {
		uint64_t t;

		for (unsigned int i = 0; i < 32; i++)
			ev[i] = mk_tcp(round * 32 + i, 0, 0);
		t = mono_ns();
		assert_int_equal(s.ops->write(&s, ev, 32), 0);
		assert_int_equal(s.ops->tick(&s, round * 1000000000ull), 0);
		t = mono_ns() - t;
		worst = t > worst ? t : worst;
	}
	assert_int_equal(s.records, 40 * 32);
	t0 = mono_ns();
	sink_close(&s);
	t0 = mono_ns() - t0;
	worst = t0 > worst ? t0 : worst;
	assert_int_equal(s.written, 0);
	assert_int_equal(s.dropped, 40 * 32);
	assert_true(worst < 1000000000ull);
}

static int
tcp_listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int
tcp_accept(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int fd;

	assert_int_equal(poll(&pfd, 1, 3000), 1);
	fd = accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	return fd;
}

/* Read the stream until it is quiet for 300 ms; decode it. */
static void
tcp_read(int fd, struct reader *rd)
{
	static uint8_t buf[1 << 20];
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 300) <= 0)
			break;
		n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	decode_stream(rd, buf, len);
}

/*
 * A TCP collector: templates first, records in order. The collector
 * closes the connection: the next tick notices, records meanwhile are
 * dropped, the reconnect waits for the backoff (1 s of tick time), and
 * the new connection starts with the templates again.
 */
static void
test_ipfix_tcp_collector_reconnect(void **state)
{
	struct app_sink s;
	struct reader *rd = reader_new();
	struct fc_event ev[50];
	uint16_t port;
	int lfd = tcp_listener(&port), cfd;
	char spec[96];
	struct pollfd pfd = { .events = POLLIN };

	(void)state;
	snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%u", port);
	sink_open(&s, spec);
	cfd = tcp_accept(lfd);
	for (unsigned int i = 0; i < 50; i++)
		ev[i] = mk_tcp(i, 0, i & 1);
	assert_int_equal(s.ops->write(&s, ev, 50), 0);
	assert_int_equal(s.ops->tick(&s, 1000000000ull), 0);
	tcp_read(cfd, rd);
	assert_int_equal(rd->nrec, 50);
	assert_int_equal(rd->msg[0].ntmpl, 2);
	assert_int_equal(s.written, 50);

	/* The collector goes away. */
	close(cfd);
	usleep(50000);
	assert_int_equal(s.ops->tick(&s, 2000000000ull), 0);
	assert_int_equal(s.ops->write(&s, ev, 10), 0);
	assert_int_equal(s.dropped, 10);
	/* Before the backoff: no attempt. */
	assert_int_equal(s.ops->tick(&s, 2500000000ull), 0);
	pfd.fd = lfd;
	assert_int_equal(poll(&pfd, 1, 100), 0);
	/* After it: a new connection, templates first. */
	assert_int_equal(s.ops->tick(&s, 3100000000ull), 0);
	cfd = tcp_accept(lfd);
	for (unsigned int i = 0; i < 20; i++)
		ev[i] = mk_tcp(100 + i, 0, 0);
	assert_int_equal(s.ops->write(&s, ev, 20), 0);
	assert_int_equal(s.ops->tick(&s, 3200000000ull), 0);
	free(rd);
	rd = reader_new();
	/*
	 * A new transport session; the domain's numbers go on: the 10
	 * records refused while down were never numbered.
	 */
	rd->seq[1] = 50;
	tcp_read(cfd, rd);
	assert_int_equal(rd->nrec, 20);
	assert_int_equal(rd->msg[0].ntmpl, 2);
	assert_int_equal(rd->rec[0].sport, 10100);
	sink_close(&s);
	assert_int_equal(s.records, 80);
	assert_int_equal(s.written, 70);
	assert_int_equal(s.dropped, 10);
	close(cfd);
	close(lfd);
	free(rd);
}

/* ---- target syntax ------------------------------------------------------ */

static void
test_ipfix_spec_parsing(void **state)
{
	static const char *const bad[] = {
		"udp://127.0.0.1", "udp://:4739", "udp://127.0.0.1:0",
		"udp://127.0.0.1:70000", "udp://127.0.0.1:47x", "tcp://[::1:4739",
		"tcp://::1:4739", "udp://", "tcp://?mode=biflow", "?mode=biflow",
		"/tmp/fc_ipfix_bad?mode=bi", "/tmp/fc_ipfix_bad?mtu=100",
		"/tmp/fc_ipfix_bad?mtu=70000", "/tmp/fc_ipfix_bad?mtu=",
		"/tmp/fc_ipfix_bad?template_interval=-1",
		"/tmp/fc_ipfix_bad?template_interval=100000",
		"/tmp/fc_ipfix_bad?foo=1", "/tmp/fc_ipfix_bad?mode",
		"/nonexistent-dir/x.ipfix",
	};
	static const char *const good[] = {
		"udp://127.0.0.1:4739?mode=uniflow&template_interval=0&mtu=65535",
		"udp://[::1]:4739?mtu=512",
		"udp://localhost:4739",
		"/tmp/fc_ipfix_good?mode=biflow&mtu=1400",
	};
	struct app_sinks ss;
	const char *spec = "ipfix:/tmp/fc_ipfix_good?mode=uniflow";

	(void)state;
	for (unsigned int i = 0; i < FC_DIM(bad); i++) {
		struct app_sink s;

		memset(&s, 0, sizeof(s));
		s.ops = &app_sink_ipfix_ops;
		if (s.ops->open(&s, bad[i]) >= 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_null(s.priv);
	}
	for (unsigned int i = 0; i < FC_DIM(good); i++) {
		struct app_sink s;

		sink_open(&s, good[i]);
		sink_close(&s);
	}
	/* Through the registry, as --output gives it. */
	assert_int_equal(app_sink_check_spec(spec), 0);
	assert_int_equal(app_sinks_open(&ss, &spec, 1), 0);
	assert_int_equal(ss.n, 1);
	assert_string_equal(ss.s[0].ops->scheme, "ipfix");
	assert_int_equal(app_sinks_close(&ss), 0);
	unlink("/tmp/fc_ipfix_good");
	unlink("/tmp/fc_ipfix_bad");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipfix_file_biflow_v4),
		cmocka_unit_test(test_ipfix_v6_and_domains),
		cmocka_unit_test(test_ipfix_uniflow),
		cmocka_unit_test(test_ipfix_tcp_flags_and_reasons),
		cmocka_unit_test(test_ipfix_skips_other_events),
		cmocka_unit_test(test_ipfix_active_timeout_deltas),
		cmocka_unit_test(test_ipfix_active_timeout_untracked),
		cmocka_unit_test(test_ipfix_file_mtu_sequence),
		cmocka_unit_test(test_ipfix_file_write_error),
		cmocka_unit_test(test_ipfix_file_reopen),
		cmocka_unit_test(test_ipfix_udp_mtu_sequence),
		cmocka_unit_test(test_ipfix_udp_template_refresh),
		cmocka_unit_test(test_ipfix_tcp_not_listening),
		cmocka_unit_test(test_ipfix_tcp_collector_reconnect),
		cmocka_unit_test(test_ipfix_spec_parsing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
