/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the DNS parser (flowcore/l7/dns.c) on crafted messages:
 *  - a query and its response over UDP through the engine, every decoded
 *    answer type (A, AAAA, CNAME, NS, PTR, MX, TXT, SOA, SRV, others) with
 *    compressed names, TTLs and rtt_us, answers rendered as Zeek's dns.log
 *    does (MX/SRV: the target name, SOA: mname, TXT: "TXT <len> <str>");
 *  - correlation: 32 parallel queries all answered with their rtt; the
 *    33rd pushes out the oldest; a query unanswered for 30 s is reported
 *    on the next message (with its query_ts) and its late response has
 *    no rtt; at end every pending query is reported, oldest first;
 *    retransmitted queries counted once; a poisoned session reports its
 *    pending queries, and so does a DNS/TCP session that a gap detaches;
 *    query names in the per-flow arena survive its
 *    compaction, and a name that finds no room is left out, not the
 *    query;
 *  - TCP framing: query and response split at every byte and one byte at
 *    a time give identical messages; a message over the tail limit is
 *    skipped with framing kept;
 *  - adversarial table: truncation at every byte (UDP: every prefix is an
 *    error; TCP: every prefix needs more), exact-size heap copies for
 *    ASan; compression pointers to themselves, forwards, into the header,
 *    mutual loops, long backward chains; names over 255 bytes; reserved
 *    label types; length fields at 0 and at their maximum.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include <fc_event.h>
#include <fc_l7.h>

#include "eal.h"

#define OUT_MAX 32768
#define MS (1000 * 1000ull)

/* ---- message builder ---- */

struct mb {
	uint8_t b[70000];
	size_t n;
};

static void
put8(struct mb *m, unsigned int v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void
put16(struct mb *m, unsigned int v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void
putbytes(struct mb *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* "www.example.com" as labels; a trailing "@NN" ends with a pointer to NN. */
static void
putname(struct mb *m, const char *name)
{
	const char *p = name;

	while (*p != '\0' && *p != '@') {
		const char *dot = strpbrk(p, ".@");
		size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);

		put8(m, (unsigned int)l);
		putbytes(m, p, l);
		p += l;
		if (*p == '.')
			p++;
	}
	if (*p == '@')
		put16(m, 0xc000 | (unsigned int)atoi(p + 1));
	else
		put8(m, 0);
}

static void
header(struct mb *m, unsigned int id, unsigned int flags, unsigned int qd,
       unsigned int an, unsigned int ns, unsigned int ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

static void
rr(struct mb *m, const char *name, unsigned int type, uint32_t ttl,
   const void *rdata, size_t rdlen)
{
	putname(m, name);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, (unsigned int)rdlen);
	putbytes(m, rdata, rdlen);
}

/* Record whose rdata is built by the caller: returns the rdlen offset. */
static size_t
rr_open(struct mb *m, const char *name, unsigned int type, uint32_t ttl)
{
	size_t at;

	putname(m, name);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	at = m->n;
	put16(m, 0);
	return at;
}

static void
rr_close(struct mb *m, size_t at)
{
	size_t l = m->n - at - 2;

	m->b[at] = (uint8_t)(l >> 8);
	m->b[at + 1] = (uint8_t)l;
}

/* ---- capture sink ---- */

struct cap {
	struct fc_event_session ev;
	char out[OUT_MAX];
	size_t len;
	unsigned int n;
};

static struct fc_event_session *
cap_begin(void *arg, uint8_t proto, uint8_t kind, uint8_t side)
{
	struct cap *c = arg;

	(void)proto;
	(void)kind;
	(void)side;
	memset(&c->ev, 0, sizeof(c->ev));
	return &c->ev;
}

static void
cap_end(void *arg)
{
	struct cap *c = arg;
	int n = fc_l7_session_json(&c->ev, c->out + c->len, OUT_MAX - c->len - 2);

	assert_true(n > 0);
	c->len += (size_t)n;
	c->out[c->len++] = '\n';
	c->out[c->len] = '\0';
	c->n++;
}

static void
cap_reset(struct cap *c)
{
	c->len = 0;
	c->n = 0;
	c->out[0] = '\0';
}

static struct fc_l7_engine *eng;

static int
setup(void **st)
{
	struct fc_l7_engine_params p;

	if (fctest_eal_setup(st) != 0)
		return -1;
	memset(&p, 0, sizeof(p));
	p.name = "dns_test";
	p.max_sessions = 64;
	p.tail_buffers = 16;
	p.enabled = 1u << FC_L7_DNS;
	eng = fc_l7_engine_create(&p);
	return eng == NULL ? -1 : 0;
}

static int
teardown(void **st)
{
	fc_l7_engine_free(eng);
	return fctest_eal_teardown(st);
}

static int
feed(fc_l7_session_t *h, uint8_t transport, uint8_t side, const uint8_t *p,
     size_t n, uint64_t ts, struct cap *c)
{
	struct fc_l7_sink sink = { cap_begin, cap_end, c };
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, p, n);
	rc = fc_l7_feed(eng, h, transport, 40000, 53, side, copy, (uint32_t)n, ts,
			c != NULL ? &sink : NULL);
	free(copy);
	return rc;
}

static void
end(fc_l7_session_t *h, struct cap *c)
{
	struct fc_l7_sink sink = { cap_begin, cap_end, c };

	fc_l7_end(eng, h, 1, 0, c != NULL ? &sink : NULL);
	assert_int_equal(fc_l7_stats(eng)->sessions_in_use, 0);
	assert_int_equal(fc_l7_stats(eng)->tails_in_use, 0);
}

static void
build_query_name(struct mb *m, unsigned int id, const char *name)
{
	header(m, id, 0x0100, 1, 0, 0, 0);
	putname(m, name);
	put16(m, 1);
	put16(m, 1);
}

static void
build_query(struct mb *m, unsigned int id)
{
	build_query_name(m, id, "www.example.com");
}

/* A NOERROR response without answers to a query for name. */
static void
build_empty_response(struct mb *m, unsigned int id, const char *name)
{
	header(m, id, 0x8180, 1, 0, 0, 0);
	putname(m, name);
	put16(m, 1);
	put16(m, 1);
}

/* Occurrences of needle in hay. */
static unsigned int
count_of(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* A response with every decoded type; names compressed against the question. */
static void
build_response(struct mb *m, unsigned int id)
{
	static const uint8_t a[4] = { 93, 184, 216, 34 };
	static const uint8_t aaaa[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t https[3] = { 0, 1, 0 };
	size_t at;

	header(m, id, 0x8180, 1, 11, 1, 1);
	putname(m, "www.example.com");          /* offset 12; "example" at 16 */
	put16(m, 1);
	put16(m, 1);
	at = rr_open(m, "@12", 5, 300);         /* CNAME -> cdn.example.com */
	putname(m, "cdn@16");
	rr_close(m, at);
	rr(m, "cdn@16", 1, 60, a, sizeof(a));
	rr(m, "@12", 28, 60, aaaa, sizeof(aaaa));
	at = rr_open(m, "@16", 2, 3600);        /* NS */
	putname(m, "ns1@16");
	rr_close(m, at);
	at = rr_open(m, "@16", 12, 10);         /* PTR */
	putname(m, "host.in-addr.arpa");
	rr_close(m, at);
	at = rr_open(m, "@16", 15, 20);         /* MX */
	put16(m, 10);
	putname(m, "mail@16");
	rr_close(m, at);
	at = rr_open(m, "@16", 16, 30);         /* TXT */
	putbytes(m, "\x06v=spf1\x04-all", 12);
	rr_close(m, at);
	at = rr_open(m, "@16", 6, 40);          /* SOA */
	putname(m, "ns1@16");
	putname(m, "hostmaster@16");
	put32(m, 2024010101);
	put32(m, 7200);
	put32(m, 3600);
	put32(m, 1209600);
	put32(m, 300);
	rr_close(m, at);
	at = rr_open(m, "_sip._tcp@16", 33, 50); /* SRV */
	put16(m, 1);
	put16(m, 2);
	put16(m, 5060);
	putname(m, "sip@16");
	rr_close(m, at);
	rr(m, "@16", 65, 5, https, sizeof(https));
	rr(m, "@16", 4242, 5, "\x01\x02", 2);
	at = rr_open(m, "@16", 2, 100);         /* authority NS */
	putname(m, "ns2@16");
	rr_close(m, at);
	putname(m, "");                         /* additional: OPT */
	put16(m, 41);
	put16(m, 4096);
	put32(m, 0);
	put16(m, 0);
}

static const char expect_query[] =
	"\"kind\":\"query\",\"trans_id\":4660,\"opcode\":0,\"opcode_name\":\"query\","
	"\"AA\":false,\"TC\":false,\"RD\":true,\"RA\":false,\"Z\":0,"
	"\"query\":\"www.example.com\",\"qclass\":1,\"qclass_name\":\"C_INTERNET\","
	"\"qtype\":1,\"qtype_name\":\"A\"\n";

static const char expect_response[] =
	"\"kind\":\"response\",\"trans_id\":4660,\"opcode\":0,\"opcode_name\":\"query\","
	"\"rcode\":0,\"rcode_name\":\"NOERROR\","
	"\"AA\":false,\"TC\":false,\"RD\":true,\"RA\":true,\"Z\":0,"
	"\"query\":\"www.example.com\",\"qclass\":1,\"qclass_name\":\"C_INTERNET\","
	"\"qtype\":1,\"qtype_name\":\"A\","
	"\"answer_names\":[\"www.example.com\",\"cdn.example.com\",\"www.example.com\","
	"\"example.com\",\"example.com\",\"example.com\",\"example.com\","
	"\"example.com\",\"_sip._tcp.example.com\",\"example.com\",\"example.com\"],"
	"\"answer_types\":[\"CNAME\",\"A\",\"AAAA\",\"NS\",\"PTR\",\"MX\",\"TXT\","
	"\"SOA\",\"SRV\",\"HTTPS\",\"4242\"],"
	"\"answers\":[\"cdn.example.com\",\"93.184.216.34\",\"2001:db8::1\","
	"\"ns1.example.com\",\"host.in-addr.arpa\",\"mail.example.com\","
	"\"TXT 6 v=spf1 TXT 4 -all\",\"ns1.example.com\","
	"\"sip.example.com\",\"HTTPS: 3 bytes\",\"TYPE4242: 2 bytes\"],"
	"\"TTLs\":[300,60,60,3600,10,20,30,40,50,5,5],\"rtt_us\":12500\n";

static void
test_dns_udp_query_response(void **st)
{
	static struct mb q, r;
	static struct cap c;
	fc_l7_session_t h = 0;
	char expect[4096];

	(void)st;
	cap_reset(&c);
	build_query(&q, 0x1234);
	build_response(&r, 0x1234);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, 100 * MS, &c), 0);
	assert_int_equal(fc_l7_session_proto(eng, h), FC_L7_DNS);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_RESP, r.b, r.n,
			      100 * MS + 12500000, &c), 0);
	end(&h, &c);
	snprintf(expect, sizeof(expect), "%s%s", expect_query, expect_response);
	if (strcmp(c.out, expect) != 0)
		fprintf(stderr, "got:\n%s\n", c.out);
	assert_string_equal(c.out, expect);
}

/* TXT as Zeek renders it: each string "TXT <len> <str>", even empty ones. */
static void
test_dns_txt_rendering(void **st)
{
	static struct mb q, r;
	static struct cap c;
	fc_l7_session_t h = 0;
	size_t at;

	(void)st;
	cap_reset(&c);
	build_query(&q, 9);
	header(&r, 9, 0x8180, 1, 1, 0, 0);
	putname(&r, "www.example.com");
	put16(&r, 16);
	put16(&r, 1);
	at = rr_open(&r, "@12", 16, 60);
	putbytes(&r, "\x00\x03" "a b\x01\"", 7);
	rr_close(&r, at);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, 1 * MS, &c), 0);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_RESP, r.b, r.n, 2 * MS, &c), 0);
	end(&h, &c);
	assert_non_null(strstr(c.out, "\"answers\":[\"TXT 0  TXT 3 a b TXT 1 \\\"\"]"));
}

/* Elements of the JSON array after key in s (none: 0). */
static unsigned int
array_len(const char *s, const char *key)
{
	const char *p = strstr(s, key), *e;
	unsigned int n = 1;

	if (p == NULL)
		return 0;
	p += strlen(key);
	e = strchr(p, ']');
	assert_non_null(e);
	for (; p < e; p++)
		n += *p == ',';
	return n;
}

/*
 * More answers than a session event holds: the message is marked
 * truncated and the four answer arrays stop at the same answer, so the
 * i-th entries still describe one record.
 */
static void
test_dns_answers_truncated_aligned(void **st)
{
	static struct mb q, r;
	static struct cap c;
	static const char *long_name =
		"a-rather-long-label-for-the-owner-name-of-each-answer.example.com";
	fc_l7_session_t h = 0;
	unsigned int n;

	(void)st;
	cap_reset(&c);
	build_query(&q, 11);
	header(&r, 11, 0x8180, 1, 60, 0, 0);
	putname(&r, "www.example.com");
	put16(&r, 1);
	put16(&r, 1);
	for (unsigned int i = 0; i < 60; i++)
		rr(&r, long_name, 1, i, "\x5d\xb8\xd8\x22", 4);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, 1 * MS, &c), 0);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_RESP, r.b, r.n, 2 * MS, &c), 0);
	end(&h, &c);
	assert_non_null(strstr(c.out, "\"truncated\":true"));
	n = array_len(c.out, "\"answer_names\":[");
	assert_true(n > 5 && n < 60);
	assert_int_equal(array_len(c.out, "\"answer_types\":["), n);
	assert_int_equal(array_len(c.out, "\"answers\":["), n);
	assert_int_equal(array_len(c.out, "\"TTLs\":["), n);
}

/*
 * Unanswered at end: every pending query, oldest first, with its question
 * and query_ts; a retransmitted query is a query message, not a new entry.
 */
static void
test_dns_unanswered(void **st)
{
	static struct mb q;
	static struct cap c;
	fc_l7_session_t h = 0;

	(void)st;
	cap_reset(&c);
	for (unsigned int id = 3; id >= 1; id--) {
		build_query(&q, id);
		assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n,
				      (4 - id) * MS, &c), 0);
	}
	/* A retransmission of id 1. */
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, 9 * MS, &c), 0);
	assert_int_equal(c.n, 4);
	assert_null(strstr(c.out, "unanswered"));
	end(&h, &c);
	assert_int_equal(c.n, 7);
	assert_non_null(strstr(c.out,
		"\"kind\":\"unanswered\",\"trans_id\":3,\"query\":\"www.example.com\",\"qclass\":1,"
		"\"qclass_name\":\"C_INTERNET\",\"qtype\":1,\"qtype_name\":\"A\","
		"\"query_ts\":0.001000\n"
		"\"kind\":\"unanswered\",\"trans_id\":2,"));
	assert_non_null(strstr(c.out, "\"trans_id\":1,\"query\":\"www.example.com\","
			       "\"qclass\":1,\"qclass_name\":\"C_INTERNET\",\"qtype\":1,"
			       "\"qtype_name\":\"A\",\"query_ts\":0.003000\n"));
}

/*
 * A resolver's parallel queries on one flow: 32 outstanding queries are
 * all answered (in reverse order) with their own rtt_us, none reported
 * unanswered. A 33rd outstanding query pushes the oldest out at once.
 */
static void
test_dns_many_outstanding(void **st)
{
	static struct mb q, r;
	static struct cap c;
	fc_l7_session_t h = 0;
	char want[128];

	(void)st;
	cap_reset(&c);
	for (unsigned int id = 1; id <= 32; id++) {
		build_query(&q, id);
		assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, id * MS, &c), 0);
	}
	for (unsigned int id = 32; id >= 1; id--) {
		build_empty_response(&r, id, "www.example.com");
		assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_RESP, r.b, r.n, 100 * MS, &c), 0);
		snprintf(want, sizeof(want), "\"rtt_us\":%u\n", (100 - id) * 1000);
		assert_non_null(strstr(c.out, want));
	}
	assert_int_equal(count_of(c.out, "\"rtt_us\":"), 32);
	end(&h, &c);
	assert_int_equal(c.n, 64);
	assert_null(strstr(c.out, "unanswered"));

	cap_reset(&c);
	for (unsigned int id = 1; id <= 33; id++) {
		build_query(&q, id);
		assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, id * MS, &c), 0);
	}
	assert_int_equal(c.n, 34);
	assert_non_null(strstr(c.out, "\"kind\":\"unanswered\",\"trans_id\":1,"));
	assert_int_equal(count_of(c.out, "unanswered"), 1);
	build_empty_response(&r, 2, "www.example.com");
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_RESP, r.b, r.n, 50 * MS, &c), 0);
	assert_non_null(strstr(c.out, "\"rtt_us\":48000\n"));
	end(&h, &c);
	assert_int_equal(count_of(c.out, "unanswered"), 32);
}

/*
 * Per-query timeout (30 s, packet time): checked on every later message.
 * Query 1 at 0 s and 2 at 10 s; a query at 31 s reports 1 (not 2) first;
 * 1's late response has no rtt_us; 2's response at 35 s has its rtt; at
 * end only the last query is left.
 */
static void
test_dns_query_timeout(void **st)
{
	static struct mb q, r;
	static struct cap c;
	fc_l7_session_t h = 0;
	const uint64_t t0 = UINT64_C(1700000000) * 1000 * MS;
	const char *u;

	(void)st;
	cap_reset(&c);
	build_query(&q, 1);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, t0, &c), 0);
	build_query(&q, 2);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n,
			      t0 + 10000 * MS, &c), 0);
	/* 29.999 s after query 1: not yet. */
	build_query(&q, 3);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n,
			      t0 + 29999 * MS, &c), 0);
	assert_null(strstr(c.out, "unanswered"));
	build_query(&q, 4);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n,
			      t0 + 31000 * MS, &c), 0);
	u = strstr(c.out, "\"kind\":\"unanswered\"");
	assert_non_null(u);
	/* Reported before the query that found it expired. */
	assert_non_null(strstr(u, "\"kind\":\"unanswered\",\"trans_id\":1,\"query\":"
			       "\"www.example.com\",\"qclass\":1,\"qclass_name\":"
			       "\"C_INTERNET\",\"qtype\":1,\"qtype_name\":\"A\","
			       "\"query_ts\":1700000000.000000\n"
			       "\"kind\":\"query\",\"trans_id\":4,"));
	assert_int_equal(count_of(c.out, "unanswered"), 1);
	build_empty_response(&r, 1, "www.example.com");
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_RESP, r.b, r.n,
			      t0 + 32000 * MS, &c), 0);
	assert_int_equal(count_of(c.out, "\"rtt_us\""), 0);
	/* The response for 2 comes 25 s after its query, 2 s after 3's deadline. */
	build_empty_response(&r, 2, "www.example.com");
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_RESP, r.b, r.n,
			      t0 + 35000 * MS, &c), 0);
	assert_non_null(strstr(c.out, "\"rtt_us\":25000000\n"));
	assert_int_equal(count_of(c.out, "unanswered"), 1);
	build_empty_response(&r, 3, "www.example.com");
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_RESP, r.b, r.n,
			      t0 + 60000 * MS, &c), 0);
	/* 3 (at 29.999 s) timed out at 59.999 s: reported, then its response. */
	assert_int_equal(count_of(c.out, "unanswered"), 2);
	assert_non_null(strstr(c.out, "\"trans_id\":3,\"query\":\"www.example.com\","
			       "\"qclass\":1,\"qclass_name\":\"C_INTERNET\",\"qtype\":1,"
			       "\"qtype_name\":\"A\",\"query_ts\":1700000029.999000\n"
			       "\"kind\":\"response\",\"trans_id\":3,"));
	end(&h, &c);
	assert_int_equal(count_of(c.out, "unanswered"), 3);
	assert_non_null(strstr(c.out, "\"kind\":\"unanswered\",\"trans_id\":4,"));
}

/*
 * A malformed message poisons the session: the queries still pending are
 * reported unanswered at once (the session gets no end() later).
 */
static void
test_dns_poisoned_reports_pending(void **st)
{
	static struct mb q, r;
	static struct cap c;
	fc_l7_session_t h = 0;

	(void)st;
	cap_reset(&c);
	build_query(&q, 1);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, 1 * MS, &c), 0);
	build_query(&q, 2);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, 2 * MS, &c), 0);
	header(&r, 1, 0x8180, 0, 1, 0, 0);     /* one answer, truncated */
	putname(&r, "a");
	put16(&r, 1);
	assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_RESP, r.b, r.n, 3 * MS, &c), -EPROTO);
	assert_string_equal(fc_l7_session_error(eng, h), "dns: truncated record");
	assert_int_equal(c.n, 4);
	assert_non_null(strstr(c.out, "\"kind\":\"unanswered\",\"trans_id\":1,"));
	assert_non_null(strstr(c.out, "\"kind\":\"unanswered\",\"trans_id\":2,"));
	end(&h, &c);
	assert_int_equal(c.n, 4);
}

/*
 * Query names live in a 1024-byte arena per flow. 32 pending queries with
 * 60-character names do not all fit: those that find no room are still
 * correlated and reported, without their name. Once answered queries
 * free theirs, compaction makes room again for new long names.
 */
static void
test_dns_name_arena(void **st)
{
	static struct mb q, r;
	static struct cap c;
	fc_l7_session_t h = 0;
	char name[64], want[160];

	(void)st;
	cap_reset(&c);
	for (unsigned int id = 1; id <= 32; id++) {
		/* 60 characters: "nn-" + 53 x + ".com" */
		snprintf(name, sizeof(name), "%02u-%s.com", id,
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		assert_int_equal(strlen(name), 60);
		build_query_name(&q, id, name);
		assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, id * MS, &c), 0);
	}
	/* 17 names fit (1020 bytes); answer them all: rtt for every one. */
	for (unsigned int id = 1; id <= 17; id++) {
		snprintf(name, sizeof(name), "%02u-%s.com", id,
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		build_empty_response(&r, id, name);
		assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_RESP, r.b, r.n, 40 * MS, &c), 0);
	}
	assert_int_equal(count_of(c.out, "\"rtt_us\""), 17);
	/* 17 new long names: the arena is compacted (15 nameless are live). */
	for (unsigned int id = 101; id <= 117; id++) {
		snprintf(name, sizeof(name), "%03u-%s.com", id,
			 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
		assert_int_equal(strlen(name), 60);
		build_query_name(&q, id, name);
		assert_int_equal(feed(&h, IPPROTO_UDP, FC_SIDE_ORIG, q.b, q.n, 50 * MS, &c), 0);
	}
	cap_reset(&c);
	end(&h, &c);
	assert_int_equal(count_of(c.out, "unanswered"), 32);
	/* 18..32 without a name, but with their question's type. */
	assert_non_null(strstr(c.out, "\"kind\":\"unanswered\",\"trans_id\":18,\"qclass\":1,"
			       "\"qclass_name\":\"C_INTERNET\",\"qtype\":1,\"qtype_name\":\"A\","
			       "\"query_ts\":0.018000\n"));
	assert_int_equal(count_of(c.out, "\"query\":\"1"), 17);
	for (unsigned int id = 101; id <= 117; id++) {
		snprintf(want, sizeof(want), "\"trans_id\":%u,\"query\":\"%03u-yyyy", id, id);
		assert_non_null(strstr(c.out, want));
	}
}

/* TCP: the same exchange, framed, split anywhere. */
static void
test_dns_tcp_splits(void **st)
{
	static struct mb q, r, tq, tr;
	static struct cap whole, part;
	fc_l7_session_t h = 0;

	(void)st;
	build_query(&q, 0x1234);
	build_response(&r, 0x1234);
	/* Two queries back to back on the originator side. */
	tq.n = 0;
	put16(&tq, (unsigned int)q.n);
	putbytes(&tq, q.b, q.n);
	build_query(&q, 0x1235);
	put16(&tq, (unsigned int)q.n);
	putbytes(&tq, q.b, q.n);
	tr.n = 0;
	put16(&tr, (unsigned int)r.n);
	putbytes(&tr, r.b, r.n);
	cap_reset(&whole);
	assert_int_equal(feed(&h, IPPROTO_TCP, FC_SIDE_ORIG, tq.b, tq.n, 1 * MS, &whole), 0);
	assert_int_equal(feed(&h, IPPROTO_TCP, FC_SIDE_RESP, tr.b, tr.n, 2 * MS, &whole), 0);
	end(&h, &whole);
	assert_int_equal(whole.n, 4);   /* 2 queries, 1 response, 1 unanswered */
	for (int side = 0; side < 2; side++) {
		const struct mb *t = side == 0 ? &tq : &tr;

		for (size_t at = 1; at < t->n; at++) {
			cap_reset(&part);
			if (side == 0) {
				assert_int_equal(feed(&h, IPPROTO_TCP, 0, tq.b, at, 1 * MS, &part), 0);
				assert_int_equal(feed(&h, IPPROTO_TCP, 0, tq.b + at, tq.n - at, 1 * MS, &part), 0);
				assert_int_equal(feed(&h, IPPROTO_TCP, 1, tr.b, tr.n, 2 * MS, &part), 0);
			} else {
				assert_int_equal(feed(&h, IPPROTO_TCP, 0, tq.b, tq.n, 1 * MS, &part), 0);
				assert_int_equal(feed(&h, IPPROTO_TCP, 1, tr.b, at, 2 * MS, &part), 0);
				assert_int_equal(feed(&h, IPPROTO_TCP, 1, tr.b + at, tr.n - at, 2 * MS, &part), 0);
			}
			end(&h, &part);
			assert_string_equal(part.out, whole.out);
		}
	}
	cap_reset(&part);
	for (size_t i = 0; i < tq.n; i++)
		assert_int_equal(feed(&h, IPPROTO_TCP, 0, tq.b + i, 1, 1 * MS, &part), 0);
	for (size_t i = 0; i < tr.n; i++)
		assert_int_equal(feed(&h, IPPROTO_TCP, 1, tr.b + i, 1, 2 * MS, &part), 0);
	end(&h, &part);
	assert_string_equal(part.out, whole.out);
}

/*
 * DNS over TCP: a hole the framing cannot skip detaches the session, and
 * its pending queries are reported unanswered then (to the sink the gap
 * carries), not lost; a hole inside a skipped message is absorbed.
 */
static void
test_dns_tcp_gap_reports_pending(void **st)
{
	static struct mb q, t;
	static struct cap c;
	struct fc_l7_sink sink = { cap_begin, cap_end, &c };
	fc_l7_session_t h = 0;

	(void)st;
	cap_reset(&c);
	t.n = 0;
	for (unsigned int id = 1; id <= 2; id++) {
		build_query(&q, id);
		put16(&t, (unsigned int)q.n);
		putbytes(&t, q.b, q.n);
	}
	assert_int_equal(feed(&h, IPPROTO_TCP, FC_SIDE_ORIG, t.b, t.n, 1 * MS, &c), 0);
	assert_int_equal(c.n, 2);
	/* A large response being skipped absorbs a hole inside it. */
	t.n = 0;
	put16(&t, 0xffff);
	while (t.n < 100)
		put8(&t, 0);
	assert_int_equal(feed(&h, IPPROTO_TCP, FC_SIDE_RESP, t.b, t.n, 2 * MS, &c), 0);
	assert_int_equal(fc_l7_gap_to(eng, &h, FC_SIDE_RESP, 1000, &sink), 0);
	assert_false(fc_l7_session_done(h));
	assert_int_equal(c.n, 2);
	/* A hole in the queries' side: framing lost, both reported. */
	assert_int_equal(fc_l7_gap_to(eng, &h, FC_SIDE_ORIG, 10, &sink), 0);
	assert_true(fc_l7_session_done(h));
	assert_int_equal(c.n, 4);
	assert_non_null(strstr(c.out, "\"kind\":\"unanswered\",\"trans_id\":1,"
			       "\"query\":\"www.example.com\""));
	assert_non_null(strstr(c.out, "\"kind\":\"unanswered\",\"trans_id\":2,"));
	assert_non_null(strstr(c.out, "\"query_ts\":0.001000"));
	end(&h, &c);
	assert_int_equal(c.n, 4);
}

/* A TCP message larger than the tail limit is skipped, framing kept. */
static void
test_dns_tcp_oversize(void **st)
{
	static struct mb t, q;
	static struct cap c;
	fc_l7_session_t h = 0;

	(void)st;
	cap_reset(&c);
	build_query(&q, 7);
	t.n = 0;
	put16(&t, (unsigned int)q.n);
	putbytes(&t, q.b, q.n);
	assert_int_equal(feed(&h, IPPROTO_TCP, 0, t.b, t.n, 1, &c), 0);
	t.n = 0;
	put16(&t, 0xffff);              /* the largest length: skipped */
	header(&q, 7, 0x8180, 0, 0, 0, 0);
	putbytes(&t, q.b, 12);
	while (t.n < 2 + 0xffff - 4000)
		put8(&t, 0);
	assert_int_equal(feed(&h, IPPROTO_TCP, 1, t.b, t.n, 2, &c), 0);
	t.n = 0;
	while (t.n < 4000)
		put8(&t, 0);
	header(&q, 7, 0x8183, 0, 0, 0, 0);  /* NXDOMAIN after the skipped one */
	put16(&t, 12);
	putbytes(&t, q.b, 12);
	assert_int_equal(feed(&h, IPPROTO_TCP, 1, t.b, t.n, 3, &c), 0);
	assert_int_equal(c.n, 2);
	assert_non_null(strstr(c.out, "\"rcode_name\":\"NXDOMAIN\""));
	end(&h, &c);
}

static struct fc_l7_msg *
null_begin(void *arg, uint8_t kind, uint8_t side)
{
	(void)arg;
	(void)kind;
	(void)side;
	return NULL;
}

static void
null_end(void *arg, struct fc_l7_msg *m)
{
	(void)arg;
	(void)m;
}

/* One direct parse of an exact-size heap copy with a fresh state. */
static enum fc_l7_result
direct(const struct fc_l7_parser *ps, const uint8_t *p, size_t n,
       uint32_t *consumed, const char **err)
{
	struct fc_l7_emit emit = { null_begin, null_end, NULL, NULL };
	void *state = calloc(1, ps->state_size);
	uint8_t *copy = malloc(n ? n : 1);
	enum fc_l7_result r;

	assert_non_null(state);
	assert_non_null(copy);
	memcpy(copy, p, n);
	*consumed = 0;
	r = ps->parse(state, 0, copy, (uint32_t)n, consumed, 0, &emit);
	ps->end(state, 1, 0, &emit);
	free(copy);
	free(state);
	if (err != NULL)
		*err = emit.error;
	if (r == FC_L7_ERROR)
		assert_non_null(emit.error);
	return r;
}

static void
test_dns_truncation_every_byte(void **st)
{
	static struct mb r, t;
	uint32_t used;

	(void)st;
	build_response(&r, 0x4321);
	assert_int_equal(direct(&fc_l7_dns, r.b, r.n, &used, NULL), FC_L7_OK);
	for (size_t k = 0; k < r.n; k++)
		assert_int_equal(direct(&fc_l7_dns, r.b, k, &used, NULL), FC_L7_ERROR);
	t.n = 0;
	put16(&t, (unsigned int)r.n);
	putbytes(&t, r.b, r.n);
	assert_int_equal(direct(&fc_l7_dns_tcp, t.b, t.n, &used, NULL), FC_L7_OK);
	assert_int_equal(used, t.n);
	for (size_t k = 0; k < t.n; k++) {
		assert_int_equal(direct(&fc_l7_dns_tcp, t.b, k, &used, NULL), FC_L7_NEED_MORE);
		assert_int_equal(used, 0);
	}
}

/* A one-question query whose name is given as raw bytes. */
static enum fc_l7_result
name_case(const uint8_t *prefix, size_t pn, const uint8_t *name, size_t nn,
	  const char **err)
{
	static struct mb m;
	uint32_t used;

	header(&m, 1, 0x0100, 1, 0, 0, 0);
	if (pn > 0)
		putbytes(&m, prefix, pn);
	putbytes(&m, name, nn);
	put16(&m, 1);
	put16(&m, 1);
	return direct(&fc_l7_dns, m.b, m.n, &used, err);
}

static void
test_dns_compression_attacks(void **st)
{
	static struct mb m;
	const char *err;
	uint32_t used;

	(void)st;
	/* Pointer to itself (offset 12). */
	assert_int_equal(name_case(NULL, 0, (const uint8_t *)"\xc0\x0c", 2, &err), FC_L7_ERROR);
	assert_string_equal(err, "dns: bad question name");
	/* Pointer forwards. */
	assert_int_equal(name_case(NULL, 0, (const uint8_t *)"\xc0\x20", 2, &err), FC_L7_ERROR);
	/* Pointer into the header. */
	assert_int_equal(name_case(NULL, 0, (const uint8_t *)"\xc0\x02", 2, &err), FC_L7_ERROR);
	/* Label, then a pointer back to that label: a loop. */
	assert_int_equal(name_case(NULL, 0, (const uint8_t *)"\x01" "a\xc0\x0c", 4, &err),
			 FC_L7_ERROR);
	/* Reserved label types 01 and 10. */
	assert_int_equal(name_case(NULL, 0, (const uint8_t *)"\x41\x00", 2, &err), FC_L7_ERROR);
	assert_int_equal(name_case(NULL, 0, (const uint8_t *)"\x81\x00", 2, &err), FC_L7_ERROR);

	/* Mutual loop between two records' names: answer name at X points
	 * to the answer at Y > X, which points back to X. */
	header(&m, 1, 0x8180, 0, 2, 0, 0);
	put8(&m, 1);
	put8(&m, 'a');
	put16(&m, 0xc000 | 18);          /* 12: "a" -> 18 (forwards) */
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 0);
	put16(&m, 0);
	assert_int_equal(direct(&fc_l7_dns, m.b, m.n, &used, &err), FC_L7_ERROR);

	/* Names longer than 255 wire bytes. */
	{
		uint8_t name[400];
		size_t n = 0;

		for (int l = 0; l < 5; l++) {
			name[n++] = 63;
			memset(name + n, 'a' + l, 63);
			n += 63;
		}
		name[n++] = 0;
		assert_int_equal(name_case(NULL, 0, name, n, &err), FC_L7_ERROR);
		/* 3 x 63 + 61 + root = 255 wire bytes: the longest valid name */
		n = 0;
		for (int l = 0; l < 3; l++) {
			name[n++] = 63;
			memset(name + n, 'a' + l, 63);
			n += 63;
		}
		name[n++] = 61;
		memset(name + n, 'z', 61);
		n += 61;
		name[n++] = 0;
		assert_int_equal(n, 255);
		assert_int_equal(name_case(NULL, 0, name, n, &err), FC_L7_OK);
		n = 0;                       /* 3 x 63 + 62 + root = 256 */
		for (int l = 0; l < 3; l++) {
			name[n++] = 63;
			memset(name + n, 'a' + l, 63);
			n += 63;
		}
		name[n++] = 62;
		memset(name + n, 'z', 62);
		n += 62;
		name[n++] = 0;
		assert_int_equal(n, 256);
		assert_int_equal(name_case(NULL, 0, name, n, &err), FC_L7_ERROR);
	}
}

/*
 * Chain of backward pointers, each a one-label run ending in a pointer
 * to the previous run: decoded up to the jump cap, refused past it.
 */
static void
test_dns_jump_cap(void **st)
{
	static struct mb m;
	uint32_t used;
	const char *err;

	(void)st;
	for (unsigned int runs = 30; runs <= 36; runs++) {
		size_t prev;

		/* Question 1: the chain. Its first run is the root at 12; each
		 * next run "x" + pointer to the previous run. Question 2 is a
		 * pointer to the last run: runs - 1 jumps within it, + 1. */
		header(&m, 1, 0x0100, 1 + runs, 0, 0, 0);
		prev = m.n;
		put8(&m, 0);
		put16(&m, 1);
		put16(&m, 1);
		for (unsigned int i = 1; i < runs; i++) {
			size_t here = m.n;

			put8(&m, 1);
			put8(&m, 'x');
			put16(&m, 0xc000 | (unsigned int)prev);
			put16(&m, 1);
			put16(&m, 1);
			prev = here;
		}
		put16(&m, 0xc000 | (unsigned int)prev);
		put16(&m, 1);
		put16(&m, 1);
		/* The last question jumps `runs` times in a row. */
		if (runs <= 32)
			assert_int_equal(direct(&fc_l7_dns, m.b, m.n, &used, &err), FC_L7_OK);
		else
			assert_int_equal(direct(&fc_l7_dns, m.b, m.n, &used, &err), FC_L7_ERROR);
	}
}

/* Length fields at 0 and at their maximum. */
static void
test_dns_length_edges(void **st)
{
	static struct mb m;
	uint32_t used;
	const char *err;

	(void)st;
	/* TCP lengths 0 and 11: shorter than a header. */
	assert_int_equal(direct(&fc_l7_dns_tcp, (const uint8_t *)"\x00\x00", 2, &used, &err),
			 FC_L7_ERROR);
	assert_int_equal(direct(&fc_l7_dns_tcp, (const uint8_t *)"\x00\x0b" "0123456789a", 13,
				&used, &err), FC_L7_ERROR);
	/* TCP length 0xffff: skipped, the prefix consumed. */
	assert_int_equal(direct(&fc_l7_dns_tcp, (const uint8_t *)"\xff\xff\x00", 3, &used, &err),
			 FC_L7_OK);
	assert_int_equal(used, 2);
	/* A header alone is valid; qdcount 0xffff on it is not. */
	header(&m, 1, 0x8180, 0, 0, 0, 0);
	assert_int_equal(direct(&fc_l7_dns, m.b, m.n, &used, &err), FC_L7_OK);
	header(&m, 1, 0x8180, 0xffff, 0, 0, 0);
	assert_int_equal(direct(&fc_l7_dns, m.b, m.n, &used, &err), FC_L7_ERROR);
	header(&m, 1, 0x8180, 0, 0xffff, 0xffff, 0xffff);
	assert_int_equal(direct(&fc_l7_dns, m.b, m.n, &used, &err), FC_L7_ERROR);
	/* rdlen 0: fine for an unknown type, wrong for A; past the end. */
	header(&m, 1, 0x8180, 0, 1, 0, 0);
	rr(&m, "", 4242, 0, "", 0);
	assert_int_equal(direct(&fc_l7_dns, m.b, m.n, &used, &err), FC_L7_OK);
	header(&m, 1, 0x8180, 0, 1, 0, 0);
	rr(&m, "", 1, 0, "", 0);
	assert_int_equal(direct(&fc_l7_dns, m.b, m.n, &used, &err), FC_L7_ERROR);
	assert_string_equal(err, "dns: bad record data");
	header(&m, 1, 0x8180, 0, 1, 0, 0);
	rr(&m, "", 16, 0, "\x05" "abc", 4);     /* TXT string past rdata */
	assert_int_equal(direct(&fc_l7_dns, m.b, m.n, &used, &err), FC_L7_ERROR);
	header(&m, 1, 0x8180, 0, 1, 0, 0);
	rr(&m, "", 16, 0xffffffff, "\x03" "abc", 4);
	m.b[m.n - 5] = 0xff;                    /* rdlen 0xff04 */
	assert_int_equal(direct(&fc_l7_dns, m.b, m.n, &used, &err), FC_L7_ERROR);
	assert_string_equal(err, "dns: record data past the message");
}

/* Port hints and probes: garbage on port 53 is not DNS. */
static void
test_dns_probe(void **st)
{
	static struct mb q;
	fc_l7_session_t h = 0;

	(void)st;
	assert_int_equal(feed(&h, IPPROTO_UDP, 0, (const uint8_t *)"hello", 5, 1, NULL), 0);
	assert_true(fc_l7_session_done(h));
	assert_int_equal(fc_l7_session_proto(eng, h), FC_L7_NONE);
	end(&h, NULL);
	header(&q, 1, 0x7800, 1, 0, 0, 0);  /* opcode 15 */
	putname(&q, "a");
	put16(&q, 1);
	put16(&q, 1);
	assert_int_equal(feed(&h, IPPROTO_UDP, 0, q.b, q.n, 1, NULL), 0);
	assert_true(fc_l7_session_done(h));
	end(&h, NULL);
	/* TCP: the length prefix and header arrive in pieces. */
	build_query(&q, 3);
	{
		uint8_t pre[2] = { 0, (uint8_t)q.n };

		assert_int_equal(feed(&h, IPPROTO_TCP, 0, pre, 1, 1, NULL), 0);
		assert_int_equal(feed(&h, IPPROTO_TCP, 0, pre + 1, 1, 1, NULL), 0);
		assert_int_equal(feed(&h, IPPROTO_TCP, 0, q.b, 5, 1, NULL), 0);
		assert_int_equal(fc_l7_session_proto(eng, h), FC_L7_NONE);
		assert_false(fc_l7_session_done(h));
		assert_int_equal(feed(&h, IPPROTO_TCP, 0, q.b + 5, q.n - 5, 1, NULL), 0);
		assert_int_equal(fc_l7_session_proto(eng, h), FC_L7_DNS);
		end(&h, NULL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_udp_query_response),
		cmocka_unit_test(test_dns_txt_rendering),
		cmocka_unit_test(test_dns_answers_truncated_aligned),
		cmocka_unit_test(test_dns_unanswered),
		cmocka_unit_test(test_dns_many_outstanding),
		cmocka_unit_test(test_dns_query_timeout),
		cmocka_unit_test(test_dns_poisoned_reports_pending),
		cmocka_unit_test(test_dns_tcp_gap_reports_pending),
		cmocka_unit_test(test_dns_name_arena),
		cmocka_unit_test(test_dns_tcp_splits),
		cmocka_unit_test(test_dns_tcp_oversize),
		cmocka_unit_test(test_dns_truncation_every_byte),
		cmocka_unit_test(test_dns_compression_attacks),
		cmocka_unit_test(test_dns_jump_cap),
		cmocka_unit_test(test_dns_length_edges),
		cmocka_unit_test(test_dns_probe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
