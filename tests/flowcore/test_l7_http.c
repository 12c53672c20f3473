/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the HTTP/1.x parser (flowcore/l7/http.c), through the
 * engine and directly. Each scenario is a transcript of (side, bytes)
 * steps whose messages are rendered to JSON and compared:
 *  - a GET and its Content-Length response, field by field;
 *  - pipelined GET/HEAD/GET in one segment with in-order responses (the
 *    HEAD response carries no body, the 304 neither);
 *  - chunked response with extensions and trailers (decoded length);
 *  - POST bodies by Content-Length and chunked (request_body_len);
 *  - 100 Continue, read-until-close ended by FIN and by RST;
 *  - CONNECT 2xx and 101 Upgrade detach; a refused CONNECT does not;
 *  - every transcript split at every byte of every step, and fed one byte
 *    at a time, gives identical messages;
 *  - adversarial table: truncation at every byte (direct parse on exact
 *    heap copies: never reads past them, never errors on a prefix of a
 *    valid stream), Content-Length 0 / huge / conflicting, chunk sizes at
 *    0 and past 64 bits, header block over the limit, bad start lines
 *    (detach first, error later), gaps in a body and in headers.
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

#define CAP_MAX 64
#define OUT_MAX 65536

struct cap {
	struct fc_event_session ev;
	char out[OUT_MAX];   /* one JSON member list per line */
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
	int n;

	n = fc_l7_session_json(&c->ev, c->out + c->len, OUT_MAX - c->len - 8);
	assert_true(n > 0);
	c->len += (size_t)n;
	c->len += (size_t)snprintf(c->out + c->len, OUT_MAX - c->len, ",\"side\":%u\n",
				   c->ev.side);
	c->n++;
}

/* One transcript step. */
struct step {
	uint8_t side;        /* FC_SIDE_ORIG / FC_SIDE_RESP; 2 = gap of gap bytes */
	const char *data;
	uint32_t gap;
};

#define O(s) { FC_SIDE_ORIG, s, 0 }
#define R(s) { FC_SIDE_RESP, s, 0 }
#define END { 0, NULL, 0 }

static struct fc_l7_engine *eng;

static int
setup(void **st)
{
	struct fc_l7_engine_params p;

	if (fctest_eal_setup(st) != 0)
		return -1;
	memset(&p, 0, sizeof(p));
	p.name = "http_test";
	p.max_sessions = 64;
	p.tail_buffers = 16;
	p.enabled = 1u << FC_L7_HTTP;
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
feed_bytes(fc_l7_session_t *h, uint8_t side, const char *p, size_t n,
	   uint64_t ts, const struct fc_l7_sink *sink)
{
	uint8_t *copy;
	int rc;

	if (n == 0)
		return 0;
	copy = malloc(n);
	assert_non_null(copy);
	memcpy(copy, p, n);
	rc = fc_l7_feed(eng, h, IPPROTO_TCP, 40000, 80, side, copy, (uint32_t)n,
			ts, sink);
	free(copy);
	return rc;
}

/*
 * Run a transcript: step `split` (or none: -1) is cut at byte `at`;
 * bytewise = 1 feeds every step one byte at a time. Returns the last
 * non-zero feed result (0 if none); messages go to c.
 */
static int
run(const struct step *t, int split, size_t at, int bytewise, int fin,
    struct cap *c)
{
	struct fc_l7_sink sink = { cap_begin, cap_end, c };
	fc_l7_session_t h = 0;
	uint64_t ts = 1000;
	int rc = 0, r;

	c->len = 0;
	c->n = 0;
	c->out[0] = '\0';
	for (int i = 0; t[i].data != NULL || t[i].gap != 0; i++, ts += 1000) {
		size_t n;

		if (t[i].side == 2) {
			r = fc_l7_gap(eng, &h, FC_SIDE_RESP, t[i].gap);
			if (r != 0)
				rc = r;
			continue;
		}
		n = strlen(t[i].data);
		if (bytewise) {
			for (size_t k = 0; k < n; k++) {
				r = feed_bytes(&h, t[i].side, t[i].data + k, 1, ts, &sink);
				if (r != 0)
					rc = r;
			}
		} else if (i == split) {
			r = feed_bytes(&h, t[i].side, t[i].data, at, ts, &sink);
			if (r != 0)
				rc = r;
			r = feed_bytes(&h, t[i].side, t[i].data + at, n - at, ts, &sink);
			if (r != 0)
				rc = r;
		} else {
			r = feed_bytes(&h, t[i].side, t[i].data, n, ts, &sink);
			if (r != 0)
				rc = r;
		}
		if (rc == -EPROTO)
			break;
	}
	fc_l7_end(eng, &h, fin, ts, &sink);
	assert_int_equal(fc_l7_stats(eng)->sessions_in_use, 0);
	assert_int_equal(fc_l7_stats(eng)->tails_in_use, 0);
	return rc;
}

/* The transcript gives `expect` however its steps are split. */
static void
check(const struct step *t, int fin, int expect_rc, const char *expect)
{
	static struct cap whole, part;

	assert_int_equal(run(t, -1, 0, 0, fin, &whole), expect_rc);
	if (strcmp(whole.out, expect) != 0)
		fprintf(stderr, "got:\n%s\nexpected:\n%s\n", whole.out, expect);
	assert_string_equal(whole.out, expect);
	for (int i = 0; t[i].data != NULL || t[i].gap != 0; i++) {
		if (t[i].side == 2)
			continue;
		for (size_t at = 1; at < strlen(t[i].data); at++) {
			assert_int_equal(run(t, i, at, 0, fin, &part), expect_rc);
			if (strcmp(part.out, expect) != 0)
				fprintf(stderr, "step %d split at %zu:\n%s\n", i, at, part.out);
			assert_string_equal(part.out, expect);
		}
	}
	assert_int_equal(run(t, -1, 0, 1, fin, &part), expect_rc);
	assert_string_equal(part.out, expect);
}

static void
test_http_get(void **st)
{
	static const struct step t[] = {
		O("GET /download/CHANGES.txt HTTP/1.1\r\n"
		  "User-Agent: Wget/1.14 (darwin12.2.0)\r\n"
		  "Accept: */*\r\n"
		  "Host: bro.org\r\n"
		  "Connection: Keep-Alive\r\n\r\n"),
		R("HTTP/1.1 200 OK\r\n"
		  "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
		  "Content-Type: text/plain; charset=UTF-8\r\n"
		  "Content-Length: 11\r\n\r\n"
		  "hello world"),
		END,
	};

	(void)st;
	check(t, 1, 0,
	      "\"kind\":\"request\",\"trans_depth\":1,\"method\":\"GET\",\"host\":\"bro.org\","
	      "\"uri\":\"/download/CHANGES.txt\",\"version\":\"1.1\","
	      "\"user_agent\":\"Wget/1.14 (darwin12.2.0)\","
	      "\"headers\":[\"Accept: */*\",\"Connection: Keep-Alive\"],\"side\":0\n"
	      "\"kind\":\"response\",\"trans_depth\":1,\"version\":\"1.1\",\"status_code\":200,"
	      "\"status_msg\":\"OK\",\"content_type\":\"text/plain; charset=UTF-8\","
	      "\"content_length\":11,\"request_body_len\":0,\"response_body_len\":11,\"side\":1\n");
}

static void
test_http_pipelined(void **st)
{
	static const struct step t[] = {
		O("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
		  "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n"
		  "GET /c HTTP/1.1\r\nHost: h\r\n\r\n"),
		R("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
		  "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
		  "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"),
		O("\r\nGET /d HTTP/1.0\r\n\r\n"),
		R("HTTP/1.0 204 No Content\r\n\r\n"),
		END,
	};

	(void)st;
	check(t, 1, 0,
	      "\"kind\":\"request\",\"trans_depth\":1,\"method\":\"GET\",\"host\":\"h\",\"uri\":\"/a\",\"version\":\"1.1\",\"side\":0\n"
	      "\"kind\":\"request\",\"trans_depth\":2,\"method\":\"HEAD\",\"host\":\"h\",\"uri\":\"/b\",\"version\":\"1.1\",\"side\":0\n"
	      "\"kind\":\"request\",\"trans_depth\":3,\"method\":\"GET\",\"host\":\"h\",\"uri\":\"/c\",\"version\":\"1.1\",\"side\":0\n"
	      "\"kind\":\"response\",\"trans_depth\":1,\"version\":\"1.1\",\"status_code\":200,\"status_msg\":\"OK\",\"content_length\":5,\"request_body_len\":0,\"response_body_len\":5,\"side\":1\n"
	      "\"kind\":\"response\",\"trans_depth\":2,\"version\":\"1.1\",\"status_code\":200,\"status_msg\":\"OK\",\"content_length\":100,\"request_body_len\":0,\"response_body_len\":0,\"side\":1\n"
	      "\"kind\":\"response\",\"trans_depth\":3,\"version\":\"1.1\",\"status_code\":304,\"status_msg\":\"Not Modified\",\"content_length\":7,\"request_body_len\":0,\"response_body_len\":0,\"side\":1\n"
	      "\"kind\":\"request\",\"trans_depth\":4,\"method\":\"GET\",\"uri\":\"/d\",\"version\":\"1.0\",\"side\":0\n"
	      "\"kind\":\"response\",\"trans_depth\":4,\"version\":\"1.0\",\"status_code\":204,\"status_msg\":\"No Content\",\"request_body_len\":0,\"response_body_len\":0,\"side\":1\n");
}

static void
test_http_chunked(void **st)
{
	static const struct step t[] = {
		O("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		  "Content-Type: text/plain\r\n\r\n"
		  "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"),
		R("HTTP/1.1 100 Continue\r\n\r\n"
		  "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		  "A \r\n0123456789\r\n"
		  "10;name=\"v\"\r\n0123456789abcdef\r\n"
		  "0\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n"),
		END,
	};

	(void)st;
	check(t, 1, 0,
	      "\"kind\":\"request\",\"trans_depth\":1,\"method\":\"POST\",\"host\":\"h\",\"uri\":\"/up\",\"version\":\"1.1\",\"content_type\":\"text/plain\",\"transfer_encoding\":\"chunked\",\"side\":0\n"
	      "\"kind\":\"response\",\"trans_depth\":1,\"version\":\"1.1\",\"status_code\":100,\"status_msg\":\"Continue\",\"request_body_len\":5,\"response_body_len\":0,\"side\":1\n"
	      "\"kind\":\"response\",\"trans_depth\":1,\"version\":\"1.1\",\"status_code\":200,\"status_msg\":\"OK\",\"transfer_encoding\":\"gzip, chunked\",\"request_body_len\":5,\"response_body_len\":26,\"side\":1\n");
}

static void
test_http_post_until_close(void **st)
{
	static const struct step t[] = {
		O("POST /form HTTP/1.0\r\nContent-Length: 7\r\n\r\na=1&b=2"),
		R("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>"),
		R("</html>"),
		END,
	};
	static const char req[] =
		"\"kind\":\"request\",\"trans_depth\":1,\"method\":\"POST\",\"uri\":\"/form\",\"version\":\"1.0\",\"content_length\":7,\"side\":0\n";
	char expect[1024];

	(void)st;
	snprintf(expect, sizeof(expect), "%s%s", req,
		 "\"kind\":\"response\",\"trans_depth\":1,\"version\":\"1.0\",\"status_code\":200,\"status_msg\":\"OK\",\"content_type\":\"text/html\",\"request_body_len\":7,\"response_body_len\":13,\"side\":1\n");
	check(t, 1, 0, expect);
	/* The same ended by a reset: interrupted. */
	snprintf(expect, sizeof(expect), "%s%s", req,
		 "\"kind\":\"response\",\"trans_depth\":1,\"version\":\"1.0\",\"status_code\":200,\"status_msg\":\"OK\",\"content_type\":\"text/html\",\"request_body_len\":7,\"response_body_len\":13,\"interrupted\":true,\"side\":1\n");
	check(t, 0, 0, expect);
}

/* Bodies of known length cut by the end of the flow are interrupted. */
static void
test_http_interrupted_body(void **st)
{
	static const struct step t[] = {
		O("GET / HTTP/1.1\r\n\r\n"),
		R("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345"),
		END,
	};

	(void)st;
	check(t, 1, 0,
	      "\"kind\":\"request\",\"trans_depth\":1,\"method\":\"GET\",\"uri\":\"/\",\"version\":\"1.1\",\"side\":0\n"
	      "\"kind\":\"response\",\"trans_depth\":1,\"version\":\"1.1\",\"status_code\":200,\"status_msg\":\"OK\",\"content_length\":10,\"request_body_len\":0,\"response_body_len\":5,\"interrupted\":true,\"side\":1\n");
}

/* CONNECT 2xx and 101 end parsing; a refused CONNECT does not. */
static void
test_http_tunnels(void **st)
{
	static const struct step connect[] = {
		O("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
		O("\x16\x03\x01 binary bytes"),
		R("HTTP/1.1 200 Connection established\r\n\r\n"),
		R("\x16\x03\x03 more binary"),
		O("GET /not/parsed HTTP/1.1\r\n\r\n"),
		END,
	};
	static const struct step refused[] = {
		O("CONNECT a:443 HTTP/1.1\r\n\r\n"),
		R("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"),
		O("CONNECT a:443 HTTP/1.1\r\nProxy-Authorization: x\r\n\r\n"),
		END,
	};
	static const struct step upgrade[] = {
		O("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
		R("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"),
		O("\x81\x85garbage"),
		END,
	};
	static struct cap c;

	(void)st;
	assert_int_equal(run(connect, -1, 0, 0, 1, &c), 0);
	assert_int_equal(c.n, 2);
	assert_non_null(strstr(c.out, "\"status_code\":200"));
	assert_null(strstr(c.out, "not/parsed"));
	assert_int_equal(run(refused, -1, 0, 0, 1, &c), 0);
	assert_int_equal(c.n, 3);
	assert_non_null(strstr(c.out, "\"trans_depth\":2,\"method\":\"CONNECT\""));
	check(upgrade, 1, 0,
	      "\"kind\":\"request\",\"trans_depth\":1,\"method\":\"GET\",\"host\":\"h\",\"uri\":\"/chat\",\"version\":\"1.1\",\"headers\":[\"Upgrade: websocket\",\"Connection: Upgrade\"],\"side\":0\n"
	      "\"kind\":\"response\",\"trans_depth\":1,\"version\":\"1.1\",\"status_code\":101,\"status_msg\":\"Switching Protocols\",\"request_body_len\":0,\"response_body_len\":0,\"side\":1\n");
}

/* A response seen without its request (mid-stream): trans_depth 0. */
static void
test_http_response_only(void **st)
{
	static const struct step t[] = {
		R("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!"),
		END,
	};

	(void)st;
	check(t, 1, 0,
	      "\"kind\":\"response\",\"trans_depth\":0,\"version\":\"1.1\",\"status_code\":404,\"status_msg\":\"Not Found\",\"content_length\":3,\"request_body_len\":0,\"response_body_len\":3,\"side\":1\n");
}

/* Malformed framing: -EPROTO with the parser's reason. */
static void
expect_error(const struct step *t, const char *reason)
{
	struct fc_l7_sink sink;
	static struct cap c;
	fc_l7_session_t h = 0;
	int rc = 0;

	sink.begin = cap_begin;
	sink.end = cap_end;
	sink.arg = &c;
	c.len = 0;
	for (int i = 0; t[i].data != NULL && rc == 0; i++)
		rc = feed_bytes(&h, t[i].side, t[i].data, strlen(t[i].data), 1, &sink);
	assert_int_equal(rc, -EPROTO);
	assert_string_equal(fc_l7_session_error(eng, h), reason);
	fc_l7_end(eng, &h, 0, 1, &sink);
}

static void
test_http_errors(void **st)
{
	static const struct step bad_cl[] = { O("POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n"), END };
	static const struct step huge_cl[] = { O("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"), END };
	static const struct step two_cl[] = { O("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), END };
	static const struct step te_req[] = { O("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), END };
	static const struct step chunk_hex[] = {
		O("GET / HTTP/1.1\r\n\r\n"),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), END };
	static const struct step chunk_big[] = {
		O("GET / HTTP/1.1\r\n\r\n"),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"), END };
	static const struct step chunk_crlf[] = {
		O("GET / HTTP/1.1\r\n\r\n"),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY"), END };
	static const struct step second_bad[] = {
		O("GET / HTTP/1.1\r\n\r\nGARBAGE\x01\r\n\r\n"), END };

	(void)st;
	expect_error(bad_cl, "http: bad content-length");
	expect_error(huge_cl, "http: bad content-length");
	expect_error(two_cl, "http: bad content-length");
	expect_error(te_req, "http: request transfer-encoding not chunked");
	expect_error(chunk_hex, "http: bad chunk size");
	expect_error(chunk_big, "http: chunk size overflow");
	expect_error(chunk_crlf, "http: no CRLF after chunk data");
	expect_error(second_bad, "http: bad start line");
}

/* Lengths at their edges that are valid. */
static void
test_http_length_edges(void **st)
{
	static const struct step t[] = {
		O("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
		  "POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nab"),
		R("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
		  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
		END,
	};
	static const struct step big[] = {
		O("GET / HTTP/1.1\r\n\r\n"),
		R("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\nabc"),
		END,
	};
	static const struct step big_chunk[] = {
		O("GET / HTTP/1.1\r\n\r\n"),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\nxyz"),
		END,
	};
	static struct cap c;

	(void)st;
	assert_int_equal(run(t, -1, 0, 0, 1, &c), 0);
	assert_int_equal(c.n, 4);
	assert_non_null(strstr(c.out, "\"request_body_len\":2,\"response_body_len\":0"));
	assert_int_equal(run(big, -1, 0, 0, 0, &c), 0);
	assert_int_equal(c.n, 2);
	assert_non_null(strstr(c.out, "\"content_length\":9223372036854775807"));
	assert_non_null(strstr(c.out, "\"response_body_len\":3,\"interrupted\":true"));
	assert_int_equal(run(big_chunk, -1, 0, 0, 0, &c), 0);
	assert_int_equal(c.n, 2);
	assert_non_null(strstr(c.out, "\"response_body_len\":3,\"interrupted\":true"));
}

/* A header block that never ends fails at the parser's limit. */
static void
test_http_header_limit(void **st)
{
	fc_l7_session_t h = 0;
	char line[1024];
	int rc = 0;

	(void)st;
	assert_int_equal(feed_bytes(&h, FC_SIDE_ORIG, "GET / HTTP/1.1\r\n", 16, 1, NULL), 0);
	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Pad: ", 7);
	line[sizeof(line) - 2] = '\r';
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 20 && rc == 0; i++)
		rc = feed_bytes(&h, FC_SIDE_ORIG, line, sizeof(line), 1, NULL);
	assert_int_equal(rc, -EPROTO);
	assert_string_equal(fc_l7_session_error(eng, h), "http: header block too long");
	fc_l7_end(eng, &h, 0, 1, NULL);
}

/* Not HTTP after all: a bad first start line detaches silently. */
static void
test_http_not_http(void **st)
{
	static const char *const firsts[] = {
		"GET\x01/ HTTP/1.1\r\n\r\n",
		"GET / RTSP/1.0\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"GET /only-two-tokens\r\n\r\n",
	};

	(void)st;
	for (unsigned int i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		fc_l7_session_t h = 0;

		assert_int_equal(feed_bytes(&h, FC_SIDE_ORIG, firsts[i], strlen(firsts[i]),
					    1, NULL), 0);
		assert_true(fc_l7_session_done(h));
		fc_l7_end(eng, &h, 1, 1, NULL);
	}
	{
		/* Responder garbage after a good request: detach, no error. */
		fc_l7_session_t h = 0;

		assert_int_equal(feed_bytes(&h, FC_SIDE_ORIG, "GET / HTTP/1.1\r\n\r\n", 18, 1, NULL), 0);
		assert_int_equal(feed_bytes(&h, FC_SIDE_RESP, "SSH-2.0-x\r\n", 11, 1, NULL), 0);
		assert_true(fc_l7_session_done(h));
		assert_int_equal(fc_l7_session_proto(eng, h), FC_L7_HTTP);
		fc_l7_end(eng, &h, 1, 1, NULL);
	}
}

/* Gaps: inside a known-length body the response still completes; in
 * a header block the session detaches. */
static void
test_http_gaps(void **st)
{
	static const struct step body_gap[] = {
		O("GET / HTTP/1.1\r\n\r\n"),
		R("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12"),
		{ 2, NULL, 5 },
		R("890HTTP/1.1 204 No Content\r\n\r\n"),
		END,
	};
	static const struct step hdr_gap[] = {
		O("GET / HTTP/1.1\r\n\r\n"),
		R("HTTP/1.1 200 OK\r\nContent-Le"),
		{ 2, NULL, 5 },
		R("ngth: 3\r\n\r\nabc"),
		END,
	};
	static struct cap c;

	(void)st;
	assert_int_equal(run(body_gap, -1, 0, 0, 1, &c), 0);
	assert_int_equal(c.n, 3);
	assert_non_null(strstr(c.out, "\"status_code\":200,\"status_msg\":\"OK\",\"content_length\":10,\"request_body_len\":0,\"response_body_len\":5,"));
	assert_non_null(strstr(c.out, "\"status_code\":204"));
	assert_int_equal(run(hdr_gap, -1, 0, 0, 1, &c), 0);
	assert_int_equal(c.n, 1);
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

static enum fc_l7_result
direct_parse(const struct fc_l7_parser *ps, void *state, uint8_t side,
	     const uint8_t *data, uint32_t len, uint32_t *used)
{
	/* Messages are checked elsewhere: here only safety matters. */
	struct fc_l7_emit emit = { null_begin, null_end, NULL, NULL };
	uint32_t off = 0;

	while (off < len) {
		uint32_t n = 0;
		uint8_t *copy = malloc(len - off);
		enum fc_l7_result r;

		assert_non_null(copy);
		memcpy(copy, data + off, len - off);
		r = ps->parse(state, side, copy, len - off, &n, 0, &emit);
		free(copy);
		if (r == FC_L7_ERROR) {
			assert_non_null(emit.error);
			*used = off;
			return r;
		}
		if (r != FC_L7_OK || n == 0) {
			*used = off;
			return r;
		}
		assert_true(n <= len - off);
		off += n;
	}
	*used = off;
	return FC_L7_OK;
}

/*
 * Truncation at every byte, parsed directly from exact-size heap copies:
 * a prefix of a valid stream never errors and never consumes past a
 * message it has not completed.
 */
static void
test_http_truncation_every_byte(void **st)
{
	static const char *const streams[][2] = {
		{ "GET /x HTTP/1.1\r\nHost: a\r\nUser-Agent: b\r\n\r\n"
		  "POST /y HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n0\r\nT: 1\r\n\r\n",
		  "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
		  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\n\r\n" },
		{ "HEAD / HTTP/1.0\n\n",
		  "HTTP/1.0 200 OK\nContent-Length: 50\n\n" },
	};
	const struct fc_l7_parser *ps = &fc_l7_http;
	void *state = malloc(ps->state_size);

	(void)st;
	assert_non_null(state);
	for (unsigned int s = 0; s < 2; s++) {
		for (uint8_t side = 0; side < 2; side++) {
			const char *d = streams[s][side];
			size_t n = strlen(d);

			for (size_t k = 0; k <= n; k++) {
				uint32_t used;
				enum fc_l7_result r;

				memset(state, 0, ps->state_size);
				ps->init(state);
				r = direct_parse(ps, state, side, (const uint8_t *)d,
						 (uint32_t)k, &used);
				assert_true(r == FC_L7_OK || r == FC_L7_NEED_MORE ||
					    (k == n && r == FC_L7_DETACH));
				assert_true(used <= k);
				if (ps->fini != NULL)
					ps->fini(state);
			}
		}
	}
	free(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_get),
		cmocka_unit_test(test_http_pipelined),
		cmocka_unit_test(test_http_chunked),
		cmocka_unit_test(test_http_post_until_close),
		cmocka_unit_test(test_http_interrupted_body),
		cmocka_unit_test(test_http_tunnels),
		cmocka_unit_test(test_http_response_only),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_http_length_edges),
		cmocka_unit_test(test_http_header_limit),
		cmocka_unit_test(test_http_not_http),
		cmocka_unit_test(test_http_gaps),
		cmocka_unit_test(test_http_truncation_every_byte),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
