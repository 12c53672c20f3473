/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the session layer on one core (not a test: it prints
 * figures and asserts nothing).
 *
 *     bench_l7 [--transactions N]
 *
 * Three workloads go through the engine (fc_l7_feed) with a sink that
 * keeps one event and discards it, as the tracker's buffer would:
 *
 *   http-small  keep-alive connections of 100 transactions each: a
 *               browser-like GET (~420 bytes of headers) and a 200
 *               response (~260 bytes of headers, 1,024-byte body), cut
 *               into 1,448-byte segments as TCP delivers them (so some
 *               header blocks straddle segments and use a tail);
 *   http-large  the same with 64 KiB bodies (per-byte cost of bodies);
 *   dns-udp     query and response datagrams (11 answers) per flow.
 *
 * Figures: ns per message, ns per byte and MB/s; and, as the floor, the
 * same bytes scanned once with memchr for '\n' (the least an HTTP/1
 * parser must do), with the ratio parse / floor measured in the same run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include <rte_eal.h>

#include <fc_event.h>
#include <fc_l7.h>

#include "bench_common.h"

#define SEG 1448

static struct fc_event_session bench_ev;
static uint64_t bench_msgs;

static struct fc_event_session *
sink_begin(void *arg, uint8_t proto, uint8_t kind, uint8_t side)
{
	(void)arg;
	(void)proto;
	(void)kind;
	(void)side;
	return &bench_ev;
}

static void
sink_end(void *arg)
{
	(void)arg;
	bench_msgs++;
}

static const struct fc_l7_sink bench_sink = { sink_begin, sink_end, NULL };

/* One side's bytes of a connection. */
struct stream {
	uint8_t *b;
	size_t n;
};

static void
append(struct stream *s, const void *p, size_t n)
{
	s->b = realloc(s->b, s->n + n);
	if (s->b == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void
http_conn(struct stream *req, struct stream *resp, unsigned int per_conn,
	  size_t body)
{
	static const char rq[] =
		"GET /static/js/app.3f2a1c.js?v=20240101 HTTP/1.1\r\n"
		"Host: www.example.com\r\n"
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
		"Accept: */*\r\n"
		"Accept-Language: en-US,en;q=0.5\r\n"
		"Accept-Encoding: gzip, deflate, br\r\n"
		"Referer: https://www.example.com/index.html\r\n"
		"Connection: keep-alive\r\n"
		"Cookie: session=0123456789abcdef0123456789abcdef; theme=dark\r\n"
		"Sec-Fetch-Dest: script\r\n\r\n";
	char rs[512];
	char *b = malloc(body);
	int n;

	if (b == NULL)
		exit(1);
	memset(b, 'x', body);
	n = snprintf(rs, sizeof(rs),
		     "HTTP/1.1 200 OK\r\n"
		     "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
		     "Server: nginx/1.24.0\r\n"
		     "Content-Type: application/javascript; charset=utf-8\r\n"
		     "Content-Length: %zu\r\n"
		     "Cache-Control: public, max-age=31536000\r\n"
		     "ETag: \"5f2a1c-400\"\r\n"
		     "Connection: keep-alive\r\n\r\n", body);
	for (unsigned int i = 0; i < per_conn; i++) {
		append(req, rq, sizeof(rq) - 1);
		append(resp, rs, (size_t)n);
		append(resp, b, body);
	}
	free(b);
}

static void
feed_segments(struct fc_l7_engine *e, fc_l7_session_t *h, uint8_t side,
	      const struct stream *s, size_t *off)
{
	size_t n = s->n - *off < SEG ? s->n - *off : SEG;

	if (n > 0 && fc_l7_feed(e, h, IPPROTO_TCP, 40000, 80, side, s->b + *off,
				(uint32_t)n, 1, &bench_sink) != 0) {
		fprintf(stderr, "bench: parse error\n");
		exit(1);
	}
	*off += n;
}

/* memchr floor over the same bytes. */
static uint64_t
floor_scan(const struct stream *a, const struct stream *b, unsigned int conns)
{
	volatile size_t lines = 0;
	uint64_t t0 = now_ns();

	for (unsigned int c = 0; c < conns; c++) {
		const struct stream *ss[2] = { a, b };

		for (int k = 0; k < 2; k++) {
			const uint8_t *p = ss[k]->b, *end = p + ss[k]->n;

			while (p < end) {
				const uint8_t *q = memchr(p, '\n', (size_t)(end - p));

				if (q == NULL)
					break;
				lines++;
				p = q + 1;
			}
		}
	}
	return now_ns() - t0;
}

static void
bench_http(struct fc_l7_engine *e, const char *name, unsigned int transactions,
	   size_t body)
{
	const unsigned int per_conn = 100;
	unsigned int conns = transactions / per_conn ? transactions / per_conn : 1;
	struct stream req = { NULL, 0 }, resp = { NULL, 0 };
	uint64_t t0, t, fl, bytes;

	http_conn(&req, &resp, per_conn, body);
	bench_msgs = 0;
	t0 = now_ns();
	for (unsigned int c = 0; c < conns; c++) {
		fc_l7_session_t h = 0;
		size_t ro = 0, so = 0;

		/* Interleave the sides segment by segment, requests ahead. */
		while (ro < req.n || so < resp.n) {
			feed_segments(e, &h, FC_SIDE_ORIG, &req, &ro);
			feed_segments(e, &h, FC_SIDE_RESP, &resp, &so);
		}
		fc_l7_end(e, &h, 1, 2, &bench_sink);
	}
	t = now_ns() - t0;
	fl = floor_scan(&req, &resp, conns);
	bytes = (uint64_t)conns * (req.n + resp.n);
	printf("%-11s %10" PRIu64 " %10.1f %10.3f %10.1f %10.3f %8.2f\n", name,
	       bench_msgs, (double)t / (double)bench_msgs, (double)t / (double)bytes,
	       (double)bytes / (double)t * 1e3, (double)fl / (double)bytes,
	       (double)t / (double)fl);
	free(req.b);
	free(resp.b);
}

static void
bench_dns(struct fc_l7_engine *e, unsigned int transactions)
{
	static const uint8_t q[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	};
	uint8_t r[512];
	size_t n = 0;
	uint64_t t0, t;

	memcpy(r, q, sizeof(q));
	r[2] = 0x81;
	r[3] = 0x80;
	r[7] = 11;
	n = sizeof(q);
	for (int i = 0; i < 11; i++) {
		static const uint8_t a[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };

		memcpy(r + n, a, sizeof(a));
		n += sizeof(a);
		r[n++] = 10;
		r[n++] = 0;
		r[n++] = 0;
		r[n++] = (uint8_t)i;
	}
	bench_msgs = 0;
	t0 = now_ns();
	for (unsigned int i = 0; i < transactions; i++) {
		fc_l7_session_t h = 0;

		fc_l7_feed(e, &h, IPPROTO_UDP, 40000, 53, FC_SIDE_ORIG, q, sizeof(q), 1,
			   &bench_sink);
		fc_l7_feed(e, &h, IPPROTO_UDP, 40000, 53, FC_SIDE_RESP, r, (uint32_t)n, 2,
			   &bench_sink);
		fc_l7_end(e, &h, 1, 3, &bench_sink);
	}
	t = now_ns() - t0;
	printf("%-11s %10" PRIu64 " %10.1f %10.3f %10.1f %10s %8s\n", "dns-udp",
	       bench_msgs, (double)t / (double)bench_msgs,
	       (double)t / (double)(transactions * (sizeof(q) + n)),
	       (double)(transactions * (sizeof(q) + n)) / (double)t * 1e3, "-", "-");
}

int
main(int argc, char **argv)
{
	char *eal[] = {
		"bench_l7", "--no-huge", "--no-pci", "--no-shconf", "-m", "256",
		"--no-telemetry", "--log-level=error", NULL,
	};
	unsigned int transactions = 200000;
	struct fc_l7_engine_params p;
	struct fc_l7_engine *e;
	char cpu[128];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--transactions") == 0 && i + 1 < argc) {
			transactions = (unsigned int)strtoul(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [--transactions N]\n", argv[0]);
			return 2;
		}
	}
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "bench: EAL init failed\n");
		return 1;
	}
	memset(&p, 0, sizeof(p));
	p.name = "bench_l7";
	p.max_sessions = 64;
	p.tail_buffers = 64;
	e = fc_l7_engine_create(&p);
	if (e == NULL) {
		fprintf(stderr, "bench: engine create failed\n");
		return 1;
	}
	cpu_model(cpu, sizeof(cpu));
	printf("# bench_l7: one core, %s\n", cpu);
	printf("%-11s %10s %10s %10s %10s %10s %8s\n", "workload", "messages",
	       "ns/msg", "ns/byte", "MB/s", "floor_ns/B", "x_floor");
	bench_http(e, "http-small", transactions, 1024);
	bench_http(e, "http-large", transactions / 20, 65536);
	bench_dns(e, transactions);
	printf("# tails kept %" PRIu64 ", tail bytes %" PRIu64 "\n",
	       fc_l7_stats(e)->tails, fc_l7_stats(e)->tail_bytes);
	fc_l7_engine_free(e);
	rte_eal_cleanup();
	return 0;
}
