/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the session layer: the engine (flowcore/fc_l7.c)
 * and every built-in parser (flowcore/l7/<proto>.c).
 *
 * INPUT. Byte 0 picks the parser (index into fc_l7_registry, modulo its
 * size; FC_FUZZ_L7_PARSER=http|tls|dns|dns_tcp forces one); its high
 * nibble is also the packet time between pieces, in seconds (0-15), so
 * time-driven paths (the DNS 30 s query timeout) run too. Byte 1 gives
 * the number of pieces (1..16), then one byte per piece: bit 7 = side
 * (responder), bits 0..6 = piece length (0: 128); the last piece takes
 * whatever is left. The rest of the input is the payload, cut into those
 * pieces: TCP byte stream pieces, or UDP datagrams.
 *
 * Each input runs twice:
 *  - directly: the parser is driven like the engine does (restart with
 *    the unconsumed rest plus the next piece), but every call reads an
 *    exact-size heap copy, so ASan reports any read past the bytes;
 *  - through the engine (ports = the parser's first hint), with a sink
 *    that renders every message as JSON.
 * Invariants abort: consumed <= offered, an error has a reason, the
 * engine holds no session or tail after fc_l7_end(), messages render.
 *
 * Build (clang only):
 *
 *     CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=enabled
 *     ninja -C build-fuzz tests/fuzz/fuzz_l7
 *
 * Built-in seeds (an HTTP exchange, DNS over UDP and TCP, a TLS record,
 * and messages near and over the engine's 16 KiB tail limit: an HTTP
 * header block, a ClientHello across two records, a DNS/TCP response) are
 * written to $FC_FUZZ_L7_SEEDS when set, before the corpus is read. The
 * large ones also start libFuzzer's length limit ("lim") at their size,
 * so mutations reach the tail paths from the first run:
 *
 *     mkdir -p /tmp/l7-corpus
 *     FC_FUZZ_L7_SEEDS=/tmp/l7-corpus FC_FUZZ_L7_PARSER=http \
 *         ./build-fuzz/tests/fuzz/fuzz_l7 /tmp/l7-corpus -runs=1000000
 *
 * scripts/fuzz-l7.sh does this for every parser.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <rte_eal.h>

#include "fc_event.h"
#include "fc_l7.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PIECES 16

static struct fc_l7_engine *fuzz_eng;
/* Packet time of piece i: i * fuzz_tstep (ns), from byte 0 of the input. */
static uint64_t fuzz_tstep;
static int fuzz_forced = -1;
static unsigned int fuzz_n_parsers;

static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* ---- message sink: render each message ---- */

struct fuzz_sink {
	struct fc_event_session ev;
	char json[FC_EVENT_JSON_MAX];
};

static struct fuzz_sink fuzz_out;

static void
render(const struct fc_event_session *s)
{
	int n = fc_l7_session_json(s, fuzz_out.json, sizeof(fuzz_out.json));

	fuzz_check(n > 0 && (size_t)n < sizeof(fuzz_out.json));
	fuzz_check(s->used <= FC_SESSION_DATA_MAX);
}

static struct fc_event_session *
sink_begin(void *arg, uint8_t proto, uint8_t kind, uint8_t side)
{
	(void)arg;
	(void)kind;
	fuzz_check(proto < FC_L7_PROTO_MAX && side <= FC_SIDE_RESP);
	return &fuzz_out.ev;
}

static void
sink_end(void *arg)
{
	(void)arg;
	render(&fuzz_out.ev);
}

/* Direct driving: the emit interface a parser sees. */
struct direct_emit {
	struct fc_l7_msg msg;
	uint8_t proto;
	int open;
};

static struct fc_l7_msg *
direct_begin(void *arg, uint8_t kind, uint8_t side)
{
	struct direct_emit *d = arg;

	memset(&fuzz_out.ev, 0, offsetof(struct fc_event_session, data));
	fuzz_out.ev.proto = d->proto;
	fuzz_out.ev.kind = kind;
	fuzz_out.ev.side = side;
	d->msg.s = &fuzz_out.ev;
	d->open = 1;
	return &d->msg;
}

static void
direct_end(void *arg, struct fc_l7_msg *m)
{
	struct direct_emit *d = arg;

	fuzz_check(m == &d->msg && d->open);
	d->open = 0;
	render(&fuzz_out.ev);
}

/* ---- input layout ---- */

struct piece {
	const uint8_t *p;
	uint32_t len;
	uint8_t side;
};

static unsigned int
cut(const uint8_t *data, size_t size, struct piece *pc, const struct fc_l7_parser **ps)
{
	unsigned int n, i;
	size_t off;

	if (size < 2)
		return 0;
	*ps = fc_l7_registry[fuzz_forced >= 0 ? (unsigned int)fuzz_forced :
			     data[0] % fuzz_n_parsers];
	fuzz_tstep = (uint64_t)(data[0] >> 4) * 1000000000u;
	n = (unsigned int)(data[1] % MAX_PIECES) + 1;
	if (size < 2 + (size_t)n)
		return 0;
	off = 2 + n;
	for (i = 0; i < n; i++) {
		uint32_t want = data[2 + i] & 0x7f ? data[2 + i] & 0x7f : 128;
		size_t left = size - off;

		if (i == n - 1 || want > left)
			want = (uint32_t)left;
		pc[i].p = data + off;
		pc[i].len = want;
		pc[i].side = data[2 + i] >> 7;
		off += want;
	}
	return n;
}

/* Drive a parser like the engine, from exact-size heap copies. */
static void
run_direct(const struct fc_l7_parser *ps, const struct piece *pc, unsigned int n)
{
	struct direct_emit d = { .proto = ps->proto };
	struct fc_l7_emit emit = { direct_begin, direct_end, &d, NULL };
	uint8_t *pend[2] = { NULL, NULL };
	uint32_t pend_len[2] = { 0, 0 };
	void *state = calloc(1, ps->state_size ? ps->state_size : 1);
	int stopped = 0;

	fuzz_check(state != NULL);
	if (ps->init != NULL)
		ps->init(state);
	for (unsigned int i = 0; i < n && !stopped; i++) {
		uint8_t s = pc[i].side;
		uint32_t len = pend_len[s] + pc[i].len, off = 0;
		uint8_t *buf;

		if (len == 0)
			continue;
		if (ps->transport == IPPROTO_UDP) {
			uint32_t c = 0;
			uint8_t *dg = malloc(pc[i].len);

			fuzz_check(dg != NULL);
			memcpy(dg, pc[i].p, pc[i].len);
			if (ps->parse(state, s, dg, pc[i].len, &c, i * fuzz_tstep,
				      &emit) >= FC_L7_DETACH)
				stopped = 1;
			fuzz_check(!d.open || stopped);
			free(dg);
			continue;
		}
		buf = malloc(len);
		fuzz_check(buf != NULL);
		if (pend_len[s] > 0)
			memcpy(buf, pend[s], pend_len[s]);
		memcpy(buf + pend_len[s], pc[i].p, pc[i].len);
		free(pend[s]);
		pend[s] = NULL;
		pend_len[s] = 0;
		while (off < len) {
			uint32_t c = 0, rest = len - off;
			uint8_t *view = malloc(rest);
			enum fc_l7_result r;

			fuzz_check(view != NULL);
			memcpy(view, buf + off, rest);
			emit.error = NULL;
			r = ps->parse(state, s, view, rest, &c, i * fuzz_tstep, &emit);
			free(view);
			if (r == FC_L7_ERROR)
				fuzz_check(emit.error != NULL);
			if (r == FC_L7_ERROR || r == FC_L7_DETACH) {
				stopped = 1;
				break;
			}
			if (r == FC_L7_NEED_MORE || c == 0)
				break;
			fuzz_check(c <= rest);
			off += c;
		}
		if (!stopped && off < len) {
			if (len - off >= ps->max_tail) {
				stopped = 1;        /* the engine's tail limit */
			} else {
				pend_len[s] = len - off;
				pend[s] = malloc(pend_len[s]);
				fuzz_check(pend[s] != NULL);
				memcpy(pend[s], buf + off, pend_len[s]);
			}
		}
		free(buf);
	}
	if (!stopped && ps->end != NULL)
		ps->end(state, 1, n * fuzz_tstep, &emit);
	if (ps->fini != NULL)
		ps->fini(state);
	free(pend[0]);
	free(pend[1]);
	free(state);
}

/* The same through the engine. */
static void
run_engine(const struct fc_l7_parser *ps, const struct piece *pc, unsigned int n)
{
	struct fc_l7_sink sink = { sink_begin, sink_end, NULL };
	const struct fc_l7_stats *st = fc_l7_stats(fuzz_eng);
	uint16_t port = ps->n_ports > 0 ? ps->ports[0] : 80;
	fc_l7_session_t h = 0;
	int rc = 0;

	for (unsigned int i = 0; i < n && rc == 0; i++) {
		uint8_t *copy = malloc(pc[i].len ? pc[i].len : 1);

		fuzz_check(copy != NULL);
		memcpy(copy, pc[i].p, pc[i].len);
		rc = fc_l7_feed(fuzz_eng, &h, ps->transport, 40000, port, pc[i].side,
				copy, pc[i].len, i * fuzz_tstep, &sink);
		free(copy);
		fuzz_check(rc == 0 || rc == -EPROTO);
		if (rc == -EPROTO)
			fuzz_check(fc_l7_session_error(fuzz_eng, h) != NULL);
		if (i == n / 2 && rc == 0 && ps->transport == IPPROTO_TCP &&
		    (pc[i].len & 7) == 7)
			rc = fc_l7_gap_to(fuzz_eng, &h, pc[i].side, pc[i].len,
					  &sink);
	}
	fc_l7_end(fuzz_eng, &h, rc == 0, n * fuzz_tstep, &sink);
	fuzz_check(h == 0);
	fuzz_check(st->sessions_in_use == 0 && st->tails_in_use == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct piece pc[MAX_PIECES];
	const struct fc_l7_parser *ps = NULL;
	unsigned int n = cut(data, size, pc, &ps);

	if (n == 0)
		return 0;
	run_direct(ps, pc, n);
	run_engine(ps, pc, n);
	return 0;
}

/* ---- seeds ---- */

static const char seed_http[] =
	"GET /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: fuzz\r\n\r\n"
	"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
	"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\nbody"
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n0\r\nT: 1\r\n\r\n";

static const uint8_t seed_dns[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'c', 'd', 'n', 0xc0, 0x10,
	0xc0, 0x2d, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34,
};

static const uint8_t seed_tls[] = {
	0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
	20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 0x00, 0x00, 0x02, 0x13,
	0x01, 0x01, 0x00, 0x00, 0x00,
};

static int
parser_index(const char *name, uint8_t transport)
{
	for (unsigned int i = 0; fc_l7_registry[i] != NULL; i++)
		if (strcmp(fc_l7_registry[i]->name, name) == 0 &&
		    (transport == 0 || fc_l7_registry[i]->transport == transport))
			return (int)i;
	return -1;
}

static void
write_seed(const char *dir, const char *name, int parser, uint8_t npieces,
	   const uint8_t *desc, const void *payload, size_t len)
{
	char path[512];
	FILE *f;

	if (parser < 0)
		return;
	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	fputc(parser, f);
	fputc(npieces - 1, f);
	fwrite(desc, 1, npieces, f);
	fwrite(payload, 1, len, f);
	fclose(f);
}

/* Pieces of 127 bytes on one side, the last one the rest. */
static void
write_big_seed(const char *dir, const char *name, int parser, uint8_t side,
	       const uint8_t *payload, size_t len)
{
	uint8_t desc[MAX_PIECES];

	for (unsigned int i = 0; i < MAX_PIECES; i++)
		desc[i] = (uint8_t)((side ? 0x80 : 0) | 127);
	write_seed(dir, name, parser, MAX_PIECES, desc, payload, len);
}

/* A ClientHello whose padding extension makes the handshake `total` bytes, in records of at most 16384. */
static size_t
big_hello(uint8_t *out, size_t total)
{
	static const uint8_t head[] = {
		0x03, 0x03,
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
		20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
		0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00,
	};
	size_t body = total - 4, ext = body - sizeof(head) - 2, pad = ext - 4;
	size_t n = 0, off = 0, o = 0;
	uint8_t *hs = out + 2 * 5 + total;  /* scratch after the records */

	hs[n++] = 0x01;
	hs[n++] = (uint8_t)(body >> 16);
	hs[n++] = (uint8_t)(body >> 8);
	hs[n++] = (uint8_t)body;
	memcpy(hs + n, head, sizeof(head));
	n += sizeof(head);
	hs[n++] = (uint8_t)(ext >> 8);
	hs[n++] = (uint8_t)ext;
	hs[n++] = 0x00;                     /* padding extension (21) */
	hs[n++] = 0x15;
	hs[n++] = (uint8_t)(pad >> 8);
	hs[n++] = (uint8_t)pad;
	memset(hs + n, 0, pad);
	n += pad;
	while (off < n) {
		size_t l = n - off < 16384 ? n - off : 16384;

		out[o++] = 0x16;
		out[o++] = 0x03;
		out[o++] = 0x01;
		out[o++] = (uint8_t)(l >> 8);
		out[o++] = (uint8_t)l;
		memmove(out + o, hs + off, l);
		o += l;
		off += l;
	}
	return o;
}

/* Large seeds: near and over the 16 KiB tail limit. */
static void
write_big_seeds(const char *dir)
{
	static uint8_t buf[3 * 20000];
	size_t n = 0;

	/* HTTP: a request whose header block is about 17 KB. */
	n = (size_t)snprintf((char *)buf, sizeof(buf), "GET /big HTTP/1.1\r\nHost: h\r\n");
	for (unsigned int i = 0; n < 17000; i++)
		n += (size_t)snprintf((char *)buf + n, sizeof(buf) - n,
				      "X-Fill-%04u: %s\r\n", i,
				      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	n += (size_t)snprintf((char *)buf + n, sizeof(buf) - n, "\r\n");
	write_big_seed(dir, "http-big", parser_index("http", 0), 0, buf, n);

	/* TLS: ClientHellos of 16000 bytes (fits) and 16500 (does not). */
	n = big_hello(buf, 16000);
	write_big_seed(dir, "tls-large", parser_index("tls", 0), 0, buf, n);
	n = big_hello(buf, 16500);
	write_big_seed(dir, "tls-big", parser_index("tls", 0), 0, buf, n);

	/* DNS over TCP: a response of about 15.9 KB (990 A records). */
	n = 0;
	buf[n++] = 0;
	buf[n++] = 0;
	{
		static const uint8_t hdr[] = {
			0x12, 0x34, 0x81, 0x80, 0, 1, 0x03, 0xde, 0, 0, 0, 0,
			1, 'a', 0, 0, 1, 0, 1,
		};
		size_t m;

		memcpy(buf + n, hdr, sizeof(hdr));
		n += sizeof(hdr);
		for (unsigned int i = 0; i < 990; i++) {
			static const uint8_t rr[] = {
				0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1,
			};

			memcpy(buf + n, rr, sizeof(rr));
			n += sizeof(rr);
		}
		m = n - 2;
		buf[0] = (uint8_t)(m >> 8);
		buf[1] = (uint8_t)m;
	}
	write_big_seed(dir, "dns-tcp-big", parser_index("dns", IPPROTO_TCP), 1, buf, n);
}

static void
write_seeds(const char *dir)
{
	static const uint8_t http_desc[] = { 57, 60, 0x80 | 100, 0x80 | 0 };
	static const uint8_t dns_desc[] = { 33, 0x80 | 0 };
	static const uint8_t tls_desc[] = { 0 };
	uint8_t tcp[2 + sizeof(seed_dns) + 2];
	size_t q = 33, r = sizeof(seed_dns) - 33;

	(void)mkdir(dir, 0755);

	write_seed(dir, "http", parser_index("http", 0), 4, http_desc, seed_http,
		   sizeof(seed_http) - 1);
	write_seed(dir, "dns-udp", parser_index("dns", IPPROTO_UDP), 2, dns_desc,
		   seed_dns, sizeof(seed_dns));
	tcp[0] = 0;
	tcp[1] = (uint8_t)q;
	memcpy(tcp + 2, seed_dns, q);
	tcp[2 + q] = 0;
	tcp[3 + q] = (uint8_t)r;
	memcpy(tcp + 4 + q, seed_dns + q, r);
	{
		static const uint8_t tcp_desc[] = { 35, 0x80 | 0 };

		write_seed(dir, "dns-tcp", parser_index("dns", IPPROTO_TCP), 2, tcp_desc,
			   tcp, sizeof(tcp));
	}
	write_seed(dir, "tls", parser_index("tls", 0), 1, tls_desc, seed_tls,
		   sizeof(seed_tls));
	write_big_seeds(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal_argv[] = {
		"fuzz_l7", "--no-huge", "--no-pci", "--no-shconf", "-m", "64",
		"--no-telemetry", "--log-level=error", NULL,
	};
	struct fc_l7_engine_params p;
	const char *forced = getenv("FC_FUZZ_L7_PARSER");
	const char *seeds = getenv("FC_FUZZ_L7_SEEDS");

	(void)argc;
	(void)argv;
	while (fc_l7_registry[fuzz_n_parsers] != NULL)
		fuzz_n_parsers++;
	if (forced != NULL && forced[0] != '\0') {
		if (strcmp(forced, "dns_tcp") == 0)
			fuzz_forced = parser_index("dns", IPPROTO_TCP);
		else if (strcmp(forced, "dns") == 0)
			fuzz_forced = parser_index("dns", IPPROTO_UDP);
		else
			fuzz_forced = parser_index(forced, 0);
		if (fuzz_forced < 0) {
			fprintf(stderr, "fuzz_l7: no parser %s in this build\n", forced);
			exit(77);
		}
	}
	if (seeds != NULL && seeds[0] != '\0')
		write_seeds(seeds);
	if (rte_eal_init((int)(sizeof(eal_argv) / sizeof(eal_argv[0])) - 1, eal_argv) < 0) {
		fprintf(stderr, "fuzz_l7: EAL init failed\n");
		exit(1);
	}
	memset(&p, 0, sizeof(p));
	p.name = "fuzz_l7";
	p.max_sessions = 4;
	p.tail_buffers = 4;
	p.probe_limit = 512;
	fuzz_eng = fc_l7_engine_create(&p);
	if (fuzz_eng == NULL) {
		fprintf(stderr, "fuzz_l7: engine create failed\n");
		exit(1);
	}
	return 0;
}
