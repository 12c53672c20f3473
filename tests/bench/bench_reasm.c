/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of TCP reassembly on one core (not a test: it prints figures
 * and asserts nothing).
 *
 *     bench_reasm [--segments N] [--seg-size B] [--reorder PCT] [--runs R]
 *                 [--touch]
 *
 * Three figures, each the best of R runs:
 *
 *   in_order   one stream of N segments of B bytes fed to
 *              fc_reasm_segment() in order: the zero-copy path;
 *   reordered  the same stream where each segment, with probability PCT%,
 *              is swapped with its successor (the successor arrives first,
 *              is copied into chunks, and is delivered from them when the
 *              hole fills). Also printed: the extra cost per OOO segment
 *              compared with in_order;
 *   copy/keep  the two ways of holding an out-of-order segment:
 *              copy = rte_mempool_get_bulk of the chunks it needs, memcpy
 *              into them, rte_mempool_put_bulk (what fc_reasm does);
 *              keep = rte_pktmbuf_refcnt_update(m, 1) on the RX mbuf, then
 *              rte_pktmbuf_free(m) when it is delivered (the alternative).
 *
 * Payloads come from a 4 MiB buffer, cycled, as a PMD would have just
 * written them. The consumer only counts bytes and reads one byte per
 * call, so in_order measures the reassembler's own cost (the payload is
 * never touched: GB/s far above memory bandwidth); with --touch it reads
 * every byte, as a parser would. Figures are GB/s of payload delivered
 * and ns per segment, with the CPU model.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <fc_reasm.h>

#include "bench_common.h"

#define PAYLOAD_BUF (4u << 20)
#define N_MBUFS 4095
#define KEEP_DEPTH 64   /* segments held at once in the copy/keep loops */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct sink {
	uint64_t bytes;
	uint64_t gaps;
	uint8_t x;
};

static void
sink_data(void *arg, const uint8_t *p, uint32_t n)
{
	struct sink *s = arg;

	s->bytes += n;
	s->x ^= p[0];
}

static void
sink_gap(void *arg, uint32_t n)
{
	struct sink *s = arg;

	(void)n;
	s->gaps++;
}

/* --touch: the consumer reads every delivered byte, as a parser would. */
static void
sink_touch(void *arg, const uint8_t *p, uint32_t n)
{
	struct sink *s = arg;
	uint64_t acc = 0, w;
	uint32_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc ^= w;
	}
	for (; i < n; i++)
		acc ^= p[i];
	s->bytes += n;
	s->x ^= (uint8_t)acc;
}

static struct fc_reasm_cb cb = { sink_data, sink_gap };

struct cfg {
	uint32_t segments;
	uint32_t seg_size;
	uint32_t reorder_pct;
	uint32_t runs;
	uint8_t *payload;
	uint32_t *order;     /* segment indices in arrival order */
	uint32_t n_ooo;      /* segments that arrive ahead of a hole */
};

static void
make_order(struct cfg *c)
{
	uint32_t i = 0;

	c->n_ooo = 0;
	while (i < c->segments) {
		if (i + 1 < c->segments && rng() % 100 < c->reorder_pct) {
			c->order[i] = i + 1;
			c->order[i + 1] = i;
			c->n_ooo++;
			i += 2;
		} else {
			c->order[i] = i;
			i++;
		}
	}
}

/* One pass of the stream; returns ns, or 0 on a wrong result. */
static uint64_t
run_stream(struct fc_reasm *r, const struct cfg *c, int reordered)
{
	const uint32_t isn = 0xfffff000u; /* wraps early in the run */
	const uint32_t per_buf = (PAYLOAD_BUF - c->seg_size) / c->seg_size;
	struct sink s = { 0 };
	fc_stream_t h = 0;
	uint64_t t0, t1;
	uint32_t i;

	t0 = now_ns();
	for (i = 0; i < c->segments; i++) {
		uint32_t k = reordered ? c->order[i] : i;
		struct fc_reasm_seg seg = {
			.seq = isn + 1 + k * c->seg_size,
			.len = c->seg_size,
			.payload = c->payload + (size_t)(k % per_buf) * c->seg_size,
			.ts = 1000 + i,
		};

		fc_reasm_segment(r, &h, &seg, 1, isn, &cb, &s);
	}
	t1 = now_ns();
	fc_reasm_release(r, &h);
	if (s.bytes != (uint64_t)c->segments * c->seg_size || s.gaps != 0) {
		fprintf(stderr, "bench: delivered %" PRIu64 " bytes, %" PRIu64
			" gaps\n", s.bytes, s.gaps);
		return 0;
	}
	return t1 - t0;
}

/* Copy each segment into pool chunks, held KEEP_DEPTH segments deep. */
static uint64_t
run_copy(struct rte_mempool *mp, const struct cfg *c)
{
	const uint32_t k = (c->seg_size + FC_REASM_CHUNK_DATA - 1) / FC_REASM_CHUNK_DATA;
	const uint32_t per_buf = (PAYLOAD_BUF - c->seg_size) / c->seg_size;
	static void *held[KEEP_DEPTH][64];
	uint64_t t0, t1;
	uint32_t i, j;

	if (k > 64)
		return 0;
	t0 = now_ns();
	for (i = 0; i < c->segments; i++) {
		void **o = held[i % KEEP_DEPTH];
		const uint8_t *p = c->payload + (size_t)(i % per_buf) * c->seg_size;

		if (i >= KEEP_DEPTH)
			rte_mempool_put_bulk(mp, o, k);
		if (rte_mempool_get_bulk(mp, o, k) != 0)
			return 0;
		for (j = 0; j < k; j++) {
			uint32_t off = j * FC_REASM_CHUNK_DATA;
			uint32_t n = c->seg_size - off < FC_REASM_CHUNK_DATA ?
				c->seg_size - off : FC_REASM_CHUNK_DATA;

			/* 24-byte chunk header, then data (fc_reasm.c layout) */
			memcpy((uint8_t *)o[j] + 24, p + off, n);
		}
	}
	t1 = now_ns();
	for (i = 0; i < KEEP_DEPTH && i < c->segments; i++)
		rte_mempool_put_bulk(mp, held[i], k);
	return t1 - t0;
}

/* Hold a reference on each segment's mbuf, KEEP_DEPTH segments deep. */
static uint64_t
run_keep(struct rte_mbuf **m, const struct cfg *c)
{
	static struct rte_mbuf *held[KEEP_DEPTH];
	uint64_t t0, t1;
	uint32_t i;

	t0 = now_ns();
	for (i = 0; i < c->segments; i++) {
		struct rte_mbuf *b = m[i % N_MBUFS];

		if (i >= KEEP_DEPTH)
			rte_pktmbuf_free(held[i % KEEP_DEPTH]);
		rte_pktmbuf_refcnt_update(b, 1);
		held[i % KEEP_DEPTH] = b;
	}
	t1 = now_ns();
	for (i = 0; i < KEEP_DEPTH && i < c->segments; i++)
		rte_pktmbuf_free(held[i]);
	return t1 - t0;
}

static uint64_t
best(uint64_t a, uint64_t b)
{
	return a == 0 ? b : (b != 0 && b < a ? b : a);
}

int
main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf", "-m",
			"512", "-l", "0", "--log-level=error", "--no-telemetry",
			NULL };
	struct cfg c = { .segments = 2000000, .seg_size = 1460,
			 .reorder_pct = 5, .runs = 3 };
	struct fc_reasm_params p;
	struct fc_reasm *r;
	struct rte_mempool *chunks, *mbufs;
	struct rte_mbuf *m[N_MBUFS];
	uint64_t t_in = 0, t_re = 0, t_copy = 0, t_keep = 0;
	double bytes, n;
	char cpu[128];
	uint32_t i, k;
	int a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--segments") == 0 && a + 1 < argc)
			c.segments = (uint32_t)strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--seg-size") == 0 && a + 1 < argc)
			c.seg_size = (uint32_t)strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--reorder") == 0 && a + 1 < argc)
			c.reorder_pct = (uint32_t)strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--runs") == 0 && a + 1 < argc)
			c.runs = (uint32_t)strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--touch") == 0)
			cb.data = sink_touch;
		else {
			fprintf(stderr, "usage: %s [--segments N] [--seg-size B] "
				"[--reorder PCT] [--runs R] [--touch]\n", argv[0]);
			return 2;
		}
	}
	if (c.segments < 2 || c.seg_size == 0 || c.seg_size > 9000 ||
	    c.reorder_pct > 100 || c.runs == 0) {
		fprintf(stderr, "bench: bad arguments\n");
		return 2;
	}
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "bench: EAL init failed\n");
		return 1;
	}
	c.payload = malloc(PAYLOAD_BUF);
	c.order = malloc(sizeof(*c.order) * c.segments);
	if (c.payload == NULL || c.order == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		return 1;
	}
	for (i = 0; i < PAYLOAD_BUF; i++)
		c.payload[i] = (uint8_t)rng();
	make_order(&c);

	memset(&p, 0, sizeof(p));
	p.name = "bench";
	p.socket_id = (int)rte_socket_id();
	p.max_streams = 16;
	p.memcap = 16u << 20;
	r = fc_reasm_create(&p);
	chunks = rte_mempool_create("bench_chunks", 8191, 512, 64, 0, NULL, NULL,
				    NULL, NULL, (int)rte_socket_id(),
				    RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	mbufs = rte_pktmbuf_pool_create("bench_mbufs", N_MBUFS, 256, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (r == NULL || chunks == NULL || mbufs == NULL) {
		fprintf(stderr, "bench: create: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (i = 0; i < N_MBUFS; i++) {
		char *d;

		m[i] = rte_pktmbuf_alloc(mbufs);
		d = m[i] != NULL ? rte_pktmbuf_append(m[i], (uint16_t)c.seg_size) : NULL;
		if (d == NULL) {
			fprintf(stderr, "bench: mbuf setup failed\n");
			return 1;
		}
		memcpy(d, c.payload + (size_t)i * 64, c.seg_size);
	}

	for (i = 0; i < c.runs; i++) {
		t_in = best(t_in, run_stream(r, &c, 0));
		t_re = best(t_re, run_stream(r, &c, 1));
		t_copy = best(t_copy, run_copy(chunks, &c));
		t_keep = best(t_keep, run_keep(m, &c));
	}
	if (t_in == 0 || t_re == 0 || t_copy == 0 || t_keep == 0) {
		fprintf(stderr, "bench: a run failed\n");
		return 1;
	}

	cpu_model(cpu, sizeof(cpu));
	n = c.segments;
	bytes = n * c.seg_size;
	printf("# bench_reasm: one core, one stream of %u x %u-byte segments, "
	       "best of %u runs, consumer %s\n# cpu: %s\n", c.segments,
	       c.seg_size, c.runs,
	       cb.data == sink_touch ? "reads every byte" : "counts bytes", cpu);
	printf("%-28s %10s %12s\n", "case", "GB/s", "ns/segment");
	printf("%-28s %10.2f %12.2f\n", "in_order", bytes / (double)t_in,
	       (double)t_in / n);
	printf("%-28s %10.2f %12.2f\n", "reordered", bytes / (double)t_re,
	       (double)t_re / n);
	printf("# reordered: %u%% swaps, %u OOO segments (%.1f%%), extra "
	       "%.1f ns per OOO segment vs in_order\n", c.reorder_pct, c.n_ooo,
	       100.0 * c.n_ooo / n,
	       c.n_ooo ? ((double)t_re - (double)t_in) / c.n_ooo : 0.0);
	printf("%-28s %10.2f %12.2f\n", "hold_copy_into_chunks",
	       bytes / (double)t_copy, (double)t_copy / n);
	printf("%-28s %10.2f %12.2f\n", "hold_mbuf_refcnt",
	       bytes / (double)t_keep, (double)t_keep / n);
	k = (c.seg_size + FC_REASM_CHUNK_DATA - 1) / FC_REASM_CHUNK_DATA;
	printf("# memory held per %u-byte OOO segment: copy %u chunks = %u B "
	       "of reassembly pool; keep 1 mbuf = %u B of the RX pool\n",
	       c.seg_size, k, k * (chunks->header_size + chunks->elt_size +
				   chunks->trailer_size),
	       mbufs->header_size + mbufs->elt_size + mbufs->trailer_size);

	for (i = 0; i < N_MBUFS; i++)
		rte_pktmbuf_free(m[i]);
	fc_reasm_free(r);
	rte_mempool_free(chunks);
	rte_mempool_free(mbufs);
	free(c.payload);
	free(c.order);
	rte_eal_cleanup();
	return 0;
}
