/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the flow table and the whole tracker on one core (not a
 * test: it prints figures and asserts nothing).
 *
 *     bench_tracker [--flows N[,N...]] [--packets M] [--proto tcp|udp]
 *
 * For each flow count it builds one 64-byte frame per flow in memory
 * (IPv4, TCP with 6 payload bytes or UDP, distinct 5-tuples), then plays
 * them in rounds, each round visiting every flow once, in one random order
 * (drawn once; the frames are stored in that order, as a NIC ring hands
 * them over): the flow table is hit at random places, the worst case for
 * caches, every lookup a miss at large counts.
 * The tracker's flows are conversations: three untimed rounds open them
 * (SYN, SYN-ACK, ACK), then client and server take turns sending in-order
 * payload that acknowledges the other side. Two figures:
 *
 *   table    key + hash of each frame precomputed (copied into a burst
 *            array, prefetched one burst ahead); fc_table_lookup_bulk in
 *            bursts of FC_TRACKER_BURST, fc_table_add on a miss, then one counter update
 *            in the record (the table's own cost);
 *   tracker  each frame is first copied into a 2-burst ring, as a PMD
 *            writes received frames into mbufs (so headers are in cache,
 *            as on a real RX path; the copy is timed too, its source is
 *            prefetched one burst ahead), then
 *            fc_tracker_burst on the frames: decode, key, hash, bulk
 *            lookup, TCP state and history, counters, events (flow_start
 *            only in the warm-up round; then none).
 *
 * Warm-up rounds create the flows and are not timed. Figures are Mpps per
 * core and ns per packet, printed with the CPU model.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_prefetch.h>

#include <fc_table.h>
#include <fc_tracker.h>

#include "thp_heap.h"
#include "bench_common.h"

#define FRAME_LEN 64
#define BURST FC_TRACKER_BURST /* as the RX lcore */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
shuffle(uint32_t *a, uint32_t n)
{
	uint32_t i;

	for (i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng() % (i + 1));
		uint32_t t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

static uint16_t
csum16(const uint8_t *p, unsigned int n)
{
	uint32_t s = 0;
	unsigned int i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Frame i: 10.x.y.z:port -> 192.168.0.1:80 (TCP ACK) or :53 (UDP). */
static void
make_frame(uint8_t *f, uint32_t i, int tcp)
{
	uint8_t *ip = f + 14, *l4 = ip + 20;
	uint16_t sport = (uint16_t)(1024 + (i & 0x3fff));
	uint32_t host = i >> 14;

	memset(f, 0, FRAME_LEN);
	f[0] = 0x02; f[5] = 0x02; f[6] = 0x02; f[11] = 0x01;
	f[12] = 0x08; f[13] = 0x00;
	ip[0] = 0x45;
	ip[2] = 0; ip[3] = FRAME_LEN - 14;
	ip[8] = 64;
	ip[9] = tcp ? 6 : 17;
	ip[12] = 10; ip[13] = (uint8_t)(host >> 16); ip[14] = (uint8_t)(host >> 8);
	ip[15] = (uint8_t)host;
	ip[16] = 192; ip[17] = 168; ip[18] = 0; ip[19] = 1;
	{
		uint16_t c = csum16(ip, 20);

		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	}
	l4[0] = (uint8_t)(sport >> 8); l4[1] = (uint8_t)sport;
	if (tcp) {
		l4[2] = 0; l4[3] = 80;
		l4[4] = 0; l4[5] = 0; l4[6] = 0x10; l4[7] = 0;   /* seq */
		l4[8] = 0; l4[9] = 0; l4[10] = 0x20; l4[11] = 0; /* ack */
		l4[12] = 5 << 4;
		l4[13] = 0x18; /* PSH|ACK, 10 payload bytes */
		l4[14] = 0xff; l4[15] = 0xff;
	} else {
		l4[2] = 0; l4[3] = 53;
		l4[4] = 0; l4[5] = FRAME_LEN - 14 - 20;
	}
}

/* 1: flow tables on the transparent-huge-page heap (as flowscope does without hugepages). */
static int use_thp;

static int
table_socket(void)
{
	return use_thp ? rte_malloc_heap_get_socket(APP_THP_HEAP_NAME) :
		(int)rte_socket_id();
}

/*
 * Rounds 0-2 open every TCP flow (SYN, SYN-ACK, ACK; UDP: a first
 * datagram) and are not timed. Then each round carries one packet per
 * flow, client and server taking turns, each with in-order payload and
 * acknowledging everything the other side sent: an established
 * conversation.
 */
#define WARMUP_ROUNDS 3
#define ISN_C 0x1000u
#define ISN_S 0x8000u

/* Turn a flow's client->server template (already copied to d) into its packet of `round`. */
static void
conversation_step(uint8_t *d, int tcp, uint32_t round)
{
	uint8_t *ip = d + 14, *l4 = ip + 20;
	const uint32_t pay = FRAME_LEN - 14 - 20 - 20;
	uint32_t server = round >= WARMUP_ROUNDS ? (round - WARMUP_ROUNDS) & 1 :
		(tcp ? round == 1 : 0);
	uint32_t c_sent, s_sent, seq, ack;
	uint8_t flags;
	unsigned int b;

	if (server) { /* swap addresses and ports */
		for (b = 0; b < 4; b++) {
			uint8_t t = ip[12 + b];

			ip[12 + b] = ip[16 + b];
			ip[16 + b] = t;
		}
		for (b = 0; b < 2; b++) {
			uint8_t t = l4[b];

			l4[b] = l4[2 + b];
			l4[2 + b] = t;
		}
	}
	if (!tcp)
		return;
	if (round < WARMUP_ROUNDS) {
		static const uint8_t hs_flags[WARMUP_ROUNDS] = { 0x02, 0x12, 0x10 };

		flags = hs_flags[round];
		seq = round == 1 ? ISN_S : ISN_C + (round == 2);
		ack = round == 0 ? 0 : round == 1 ? ISN_C + 1 : ISN_S + 1;
		ip[3] = 40;
	} else {
		c_sent = (round - WARMUP_ROUNDS + 1) / 2;
		s_sent = (round - WARMUP_ROUNDS) / 2;
		flags = 0x18; /* PSH|ACK */
		seq = server ? ISN_S + 1 + pay * s_sent : ISN_C + 1 + pay * c_sent;
		ack = server ? ISN_C + 1 + pay * c_sent : ISN_S + 1 + pay * s_sent;
	}
	put32(l4 + 4, seq);
	put32(l4 + 8, ack);
	l4[13] = flags;
}

struct run {
	uint32_t flows;
	uint64_t packets;
	int tcp;
	uint8_t *frames;     /* flows x FRAME_LEN */
	uint32_t *order;     /* flows */
};

/* Table alone: precomputed keys and hashes, bulk lookup, add, update. */
static double
bench_table(struct run *r, char *name)
{
	struct fc_table_params tp = { .name = name, .entries = r->flows,
				      .socket_id = table_socket() };
	struct fc_table *t = fc_table_create(&tp);
	struct fc_flow_key *keys;
	uint32_t *hash;
	const struct fc_flow_key *kp[BURST];
	struct fc_flow_key kb[BURST];
	uint32_t hb[BURST];
	int32_t pos[BURST];
	uint64_t done = 0, t0 = 0;
	uint32_t i, round;
	struct fc_pkt_meta m;

	if (t == NULL) {
		fprintf(stderr, "table %u: %s\n", r->flows, rte_strerror(rte_errno));
		return 0;
	}
	keys = rte_malloc(NULL, sizeof(*keys) * r->flows, 64);
	hash = rte_malloc(NULL, sizeof(*hash) * r->flows, 64);
	if (keys == NULL || hash == NULL) {
		fprintf(stderr, "bench: out of memory for keys\n");
		exit(1);
	}
	for (i = 0; i < r->flows; i++) {
		uint8_t dir;

		fc_pkt_decode(r->frames + (size_t)i * FRAME_LEN, FRAME_LEN, 0,
			      NULL, &m);
		fc_key_make(NULL, &m, 0, &keys[i], &dir);
		hash[i] = fc_key_hash(&keys[i]);
	}
	for (round = 0; done < r->packets; round++) {
		if (round == 1)
			t0 = now_ns();
		for (i = 0; i < r->flows; i += BURST) {
			uint32_t n = r->flows - i < BURST ? r->flows - i : BURST;
			uint32_t j;

			/* Keys arrive with their packets: the next burst's are fetched now. */
			for (j = 0; i + BURST + j < r->flows && j < BURST; j++) {
				rte_prefetch0(&keys[i + BURST + j]);
				rte_prefetch0(&hash[i + BURST + j]);
			}
			for (j = 0; j < n; j++) {
				kb[j] = keys[i + j];
				kp[j] = &kb[j];
				hb[j] = hash[i + j];
			}
			fc_table_lookup_bulk(t, kp, hb, n, pos);
			for (j = 0; j < n; j++) {
				int32_t p = pos[j];

				if (p < 0)
					p = fc_table_add(t, kp[j], hb[j]);
				/* the record line the lookup prefetched */
				if (p >= 0)
					fc_table_flow(t, p)->ctr[0].lo[FC_CTR_PKTS]++;
			}
			if (round > 0)
				done += n;
		}
	}
	t0 = now_ns() - t0;
	rte_free(keys);
	rte_free(hash);
	fc_table_free(t);
	return (double)done / ((double)t0 / 1e9) / 1e6;
}

/* The whole tracker. */
static double
bench_tracker(struct run *r, char *name, uint64_t *mem)
{
	struct fc_tracker_params p;
	struct fc_tracker *tr;
	struct fc_frame fr[BURST];
	static uint8_t ring[2 * BURST][FRAME_LEN] __attribute__((aligned(64)));
	unsigned int slot = 0;
	uint64_t done = 0, t0 = 0, base_ts = 1700000000ull * 1000000000ull;
	uint32_t i, round;

	memset(&p, 0, sizeof(p));
	p.name = name;
	/* Room for every flow: this measures tracking, not eviction. */
	p.max_flows = r->flows + r->flows / 8;
	p.socket_id = (int)rte_socket_id();
	p.table_heap = use_thp ? APP_THP_HEAP_NAME : NULL;
	p.event_mask = FC_EV_BIT(FC_EV_FLOW_START) | FC_EV_BIT(FC_EV_FLOW_END);
	tr = fc_tracker_create(&p);
	if (tr == NULL) {
		fprintf(stderr, "tracker %u: %s\n", r->flows, rte_strerror(rte_errno));
		return 0;
	}
	*mem = fc_tracker_memory(tr);
	for (round = 0; done < r->packets; round++) {
		if (round == WARMUP_ROUNDS)
			t0 = now_ns();
		for (i = 0; i < r->flows; i += BURST) {
			uint32_t n = r->flows - i < BURST ? r->flows - i : BURST;
			uint32_t j, k = 0;

			/* A NIC writes frames into mbufs: the next burst's are fetched now. */
			for (j = 0; i + BURST + j < r->flows && j < BURST; j++)
				rte_prefetch0(r->frames + (size_t)(i + BURST + j) *
					      FRAME_LEN);
			for (j = 0; j < n; j++) {
				uint8_t *d = ring[slot];

				slot = (slot + 1) % (2 * BURST);
				memcpy(d, r->frames + (size_t)(i + j) * FRAME_LEN,
				       FRAME_LEN);
				conversation_step(d, r->tcp, round);
				fr[j].data = d;
				fr[j].cap_len = FRAME_LEN;
				fr[j].wire_len = FRAME_LEN;
				fr[j].ts = base_ts + round * 1000000ull;
			}
			while (k < n) {
				unsigned int ne;

				k += fc_tracker_burst(tr, fr + k, n - k);
				(void)fc_tracker_events(tr, &ne);
				fc_tracker_events_clear(tr);
			}
			if (round >= WARMUP_ROUNDS)
				done += n;
		}
	}
	t0 = now_ns() - t0;
	if (fc_tracker_stats(tr)->flows_created != r->flows)
		fprintf(stderr, "bench: %" PRIu64 " flows created, expected %u\n",
			fc_tracker_stats(tr)->flows_created, r->flows);
	fc_tracker_free(tr);
	return (double)done / ((double)t0 / 1e9) / 1e6;
}

int
main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf", "-m",
			"3072", "-l", "0", "--log-level=error", "--no-telemetry",
			NULL };
	uint32_t flows[8] = { 1000, 100000, 1000000, 4000000 };
	unsigned int n_flows = 4, f;
	uint64_t packets = 20000000;
	int tcp = 1, i;
	const char *pages = "thp", *why = NULL;
	uint32_t max_flows = 0;
	char cpu[128];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--flows") == 0 && i + 1 < argc) {
			char *s = argv[++i], *tok;

			n_flows = 0;
			for (tok = strtok(s, ","); tok && n_flows < 8; tok = strtok(NULL, ","))
				flows[n_flows++] = (uint32_t)strtoul(tok, NULL, 10);
		} else if (strcmp(argv[i], "--packets") == 0 && i + 1 < argc) {
			packets = strtoull(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--proto") == 0 && i + 1 < argc) {
			tcp = strcmp(argv[++i], "udp") != 0;
		} else if (strcmp(argv[i], "--pages") == 0 && i + 1 < argc) {
			pages = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--flows N[,N...]] [--packets M] "
				"[--proto tcp|udp] [--pages thp|4k]\n", argv[0]);
			return 2;
		}
	}
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "bench: EAL init failed\n");
		return 1;
	}
	for (f = 0; f < n_flows; f++)
		if (flows[f] > max_flows)
			max_flows = flows[f];
	if (strcmp(pages, "thp") == 0) {
		struct fc_tracker_params tp;

		memset(&tp, 0, sizeof(tp));
		tp.max_flows = max_flows + max_flows / 8;
		/* room for the table bench's table and the tracker at once */
		use_thp = app_thp_heap_create(2 * fc_tracker_memory_need(&tp) +
					      (64u << 20), &why) > 0;
	}
	cpu_model(cpu, sizeof(cpu));
	printf("# bench_tracker: one core, 64-byte IPv4 %s frames, flows visited "
	       "in one random order each round\n# cpu: %s\n# flow tables on %s\n",
	       tcp ? "TCP data" : "UDP", cpu,
	       use_thp ? "transparent huge pages" :
	       why != NULL ? why : "4 KiB pages");
	printf("%-10s %14s %14s %12s %12s %16s\n", "flows", "table_mpps",
	       "tracker_mpps", "table_ns", "tracker_ns", "tracker_bytes");
	for (f = 0; f < n_flows; f++) {
		struct run r = { .flows = flows[f], .packets = packets, .tcp = tcp };
		char tn[32], kn[32];
		double tm, km;
		uint64_t mem = 0;
		uint32_t j;

		r.frames = malloc((size_t)r.flows * FRAME_LEN);
		r.order = malloc(sizeof(*r.order) * r.flows);
		if (r.frames == NULL || r.order == NULL) {
			fprintf(stderr, "bench: out of memory\n");
			return 1;
		}
		/* Frame j belongs to flow order[j]: the frames are stored in visiting order. */
		for (j = 0; j < r.flows; j++)
			r.order[j] = j;
		shuffle(r.order, r.flows);
		for (j = 0; j < r.flows; j++)
			make_frame(r.frames + (size_t)j * FRAME_LEN, r.order[j], tcp);
		snprintf(tn, sizeof(tn), "bt%u", f);
		snprintf(kn, sizeof(kn), "bk%u", f);
		tm = bench_table(&r, tn);
		km = bench_tracker(&r, kn, &mem);
		printf("%-10u %14.2f %14.2f %12.1f %12.1f %16" PRIu64 "\n", r.flows,
		       tm, km, tm > 0 ? 1000.0 / tm : 0, km > 0 ? 1000.0 / km : 0,
		       mem);
		fflush(stdout);
		free(r.frames);
		free(r.order);
	}
	app_thp_heap_destroy();
	rte_eal_cleanup();
	return 0;
}
