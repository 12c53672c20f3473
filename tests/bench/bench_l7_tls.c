/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the TLS session parser on one core (not a test: it prints
 * figures and asserts nothing).
 *
 *     bench_l7_tls [--flows N] [--mbytes M]
 *
 * Three figures, each against a floor measured in the same run:
 *
 *   hello     per flow: init, the ClientHello (517 bytes, ndpi-443-curl)
 *             in one piece, the ServerHello (107 bytes): record framing,
 *             decoding, JA3/JA4/JA3S digests and the message fields;
 *             floor: one SHA-256 of the same 624 bytes via EVP;
 *   decode    the same without messages (begin() answers NULL): framing
 *             and decoding only;
 *   skip      an encrypted side: 16 KiB application_data records arriving
 *             in 1448-byte pieces, consumed by count; floor: memcpy of the
 *             same pieces (what the engine's copy of a tail would cost).
 *
 * Figures are ns per flow / GB/s, printed with the CPU model.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <fc_l7.h>

#include "bench_common.h"

extern const struct fc_l7_parser fc_l7_tls;

/* ndpi-443-curl, first ClientHello and ServerHello records (tshark follow). */
/* 517 bytes */
static const char curl_ch[] =
	"1603010200010001fc03033e3841edcc20f6d0e5f7167ab7ee91a800c8ef70c2d624c7c7943a24026d9fbc000086cc14"
	"cc13cc15c030c02cc028c024c014c00a00a3009f006b006a00390038ff8500c400c3008800870081c032c02ec02ac026"
	"c00fc005009d003d003500c00084c02fc02bc027c023c013c00900a2009e006700400033003200be00bd00450044c031"
	"c02dc029c025c00ec004009c003c002f00ba0041c012c00800160013c00dc003000a00ff0100014d00000011000f0000"
	"0c7777772e6e746f702e6f7267000b000403000102000a003a0038000e000d0019001c000b000c001b00180009000a00"
	"1a00160017000800060007001400150004000500120013000100020003000f00100011000d00260024060106020603ef"
	"ef050105020503040104020403eeeeeded030103020303020102020203337400000010000e000c02683208687474702f"
	"312e31001500ae0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000";
/* 107 bytes */
static const char curl_sh[] =
	"16030300660200006203038f72dd2e35dcf5ddf38ae75db855d1610b4db32937cb20cd3187eec12057fb2520ea8fcd1d"
	"a8f8635bd5df2a45b603764dd7cfb5f82666ff77fd47635bf9a8f0cbc02f00001aff0100010000000000000b00040300"
	"0102001000050003026832";

#define PIECE 1448
#define REC 16384

struct sink {
	struct fc_event_session ev;
	struct fc_l7_msg msg;
	int refuse;
	uint64_t msgs;
};

static struct fc_l7_msg *
sink_begin(void *arg, uint8_t kind, uint8_t side)
{
	struct sink *s = arg;

	if (s->refuse)
		return NULL;
	s->ev.kind = kind;
	s->ev.side = side;
	s->ev.used = 0;
	s->ev.n_fields = 0;
	s->ev.truncated = 0;
	s->msg.s = &s->ev;
	return &s->msg;
}

static void
sink_end(void *arg, struct fc_l7_msg *m)
{
	struct sink *s = arg;

	(void)m;
	s->msgs++;
}

static size_t
unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n;
}

/* Parse one side's bytes in one piece; 0 if fully consumed. */
static int
run(void *st, uint8_t side, const uint8_t *p, uint32_t n, struct fc_l7_emit *em)
{
	uint32_t c = 0;
	enum fc_l7_result r = fc_l7_tls.parse(st, side, p, n, &c, 0, em);

	return (r == FC_L7_OK && c == n) ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static uint8_t ch[1024], sh[256], both[1280], stream[REC + 5];
	uint64_t flows = 200000, mbytes = 2000, t0, t_hello, t_decode, t_sha, t_skip, t_copy;
	uint8_t st[64], md[EVP_MAX_MD_SIZE], sinkbuf[PIECE];
	struct sink sink = { 0 };
	struct fc_l7_emit em = { sink_begin, sink_end, &sink, NULL };
	unsigned int mdlen;
	size_t nc, ns;
	uint64_t recs, bytes, acc = 0;
	char cpu[128];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--flows") == 0)
			flows = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--mbytes") == 0)
			mbytes = strtoull(argv[i + 1], NULL, 10);
	}
	if (fc_l7_tls.state_size > sizeof(st)) {
		fprintf(stderr, "bench: state too large\n");
		return 1;
	}
	nc = unhex(curl_ch, ch);
	ns = unhex(curl_sh, sh);
	memcpy(both, ch, nc);
	memcpy(both + nc, sh, ns);

	/* hello: full messages. */
	t0 = now_ns();
	for (uint64_t i = 0; i < flows; i++) {
		fc_l7_tls.init(st);
		if (run(st, 0, ch, (uint32_t)nc, &em) || run(st, 1, sh, (uint32_t)ns, &em)) {
			fprintf(stderr, "bench: hello not parsed\n");
			return 1;
		}
	}
	t_hello = now_ns() - t0;
	if (sink.msgs != 2 * flows) {
		fprintf(stderr, "bench: %" PRIu64 " messages\n", sink.msgs);
		return 1;
	}
	/* decode: no messages. */
	sink.refuse = 1;
	t0 = now_ns();
	for (uint64_t i = 0; i < flows; i++) {
		fc_l7_tls.init(st);
		if (run(st, 0, ch, (uint32_t)nc, &em) || run(st, 1, sh, (uint32_t)ns, &em))
			return 1;
	}
	t_decode = now_ns() - t0;
	/* floor: one SHA-256 of the hello bytes. */
	t0 = now_ns();
	for (uint64_t i = 0; i < flows; i++) {
		EVP_Digest(both, nc + ns, md, &mdlen, EVP_sha256(), NULL);
		acc += md[0];
	}
	t_sha = now_ns() - t0;

	/* skip: an encrypted side (one application_data record first). */
	stream[0] = 23;
	stream[1] = 3;
	stream[2] = 3;
	stream[3] = REC >> 8;
	stream[4] = REC & 0xff;
	for (size_t i = 5; i < sizeof(stream); i++)
		stream[i] = (uint8_t)i;
	recs = mbytes * 1000000ull / sizeof(stream) + 1;
	bytes = recs * sizeof(stream);
	fc_l7_tls.init(st);
	t0 = now_ns();
	for (uint64_t r = 0; r < recs; r++) {
		for (size_t o = 0; o < sizeof(stream); o += PIECE) {
			size_t n = sizeof(stream) - o < PIECE ? sizeof(stream) - o : PIECE;

			if (run(st, 0, stream + o, (uint32_t)n, &em))
				return 1;
		}
	}
	t_skip = now_ns() - t0;
	t0 = now_ns();
	for (uint64_t r = 0; r < recs; r++) {
		for (size_t o = 0; o < sizeof(stream); o += PIECE) {
			size_t n = sizeof(stream) - o < PIECE ? sizeof(stream) - o : PIECE;

			memcpy(sinkbuf, stream + o, n);
			__asm__ volatile("" : : "r"(sinkbuf) : "memory");
		}
	}
	t_copy = now_ns() - t0;

	cpu_model(cpu, sizeof(cpu));
	printf("# bench_l7_tls: one core, %s (checksum %" PRIu64 ")\n", cpu, acc & 1);
	printf("hello   %8.0f ns/flow  (%.2fx one SHA-256 of the %zu hello bytes: %.0f ns)\n",
	       (double)t_hello / flows, (double)t_hello / t_sha, nc + ns, (double)t_sha / flows);
	printf("decode  %8.0f ns/flow  (%.2fx the SHA-256 floor)\n",
	       (double)t_decode / flows, (double)t_decode / t_sha);
	printf("skip    %8.2f GB/s     (%.2fx memcpy of the same pieces: %.2f GB/s)\n",
	       (double)bytes / t_skip, (double)t_skip / t_copy, (double)bytes / t_copy);
	return 0;
}
