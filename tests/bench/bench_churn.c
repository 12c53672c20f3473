/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of new-flow churn on one core: flows created and ended per
 * second (not a test: it prints figures and asserts nothing).
 *
 *     bench_churn [--flows N] [--proto tcp|udp|tcp,udp] [--pace F]
 *                 [--window W] [--timeout S] [--pages thp|4k]
 *     bench_churn --sizes
 *
 * Every flow is short: a TCP session (SYN, SYN-ACK, ACK, FIN-ACK,
 * FIN-ACK, ACK) or a UDP pair (request, response), 60-byte frames (64 on
 * the wire with the FCS). W sessions are open at a time and send in turn
 * (round robin), so the packets of one flow are W packets apart; when a
 * session has sent its last packet its slot takes the next flow. Packet
 * time advances so that F flows start per second of packet time; closed
 * TCP flows linger timeout_tcp_closed = S seconds and UDP flows idle out
 * after timeout_udp = S seconds (expiry has a resolution of one second,
 * so S = 2 means 1 to 2 s), and in the steady state the table holds about
 * F * (S + 1) flows while the timing wheel ends as many flows as start.
 *
 * Timed: the steady state, from the moment F * (S + 2) flows have started
 * (the table is full-sized and its memory touched; at most half the
 * flows) to the last packet. Flows created and flows ended in that window
 * are counted separately (they differ by the change in open flows). After
 * the last packet the clock moves S + 2 s on and fc_tracker_expire() runs,
 * untimed, until the table is empty, to check that every flow ended.
 *
 * The frames of each packet kind are prebuilt once (templates); per
 * packet the template is copied into a 64-slot ring, as a PMD writes
 * received frames into mbufs (timed, as on a real RX path), and the
 * client address and port of the flow are patched in with their IPv4 and
 * TCP/UDP checksums updated. The tracker runs as `tracking only` does in
 * the application: no reassembly, no parsers, only flow_end events
 * (drained and counted after every burst, as the RX lcore does), and
 * fc_tracker_expire() after every burst (FC_TRACKER_BURST frames, as the
 * RX lcore) with its default budget.
 *
 * Printed per protocol, with the CPU model: for the timed window, flows
 * created, wall seconds, flows created and ended per second, packets per
 * second and ns per flow; for the whole run, the peak number of open
 * flows and the end reasons (a flow evicted means the table was too
 * small, which the sizing avoids); and the tracker's heap per table slot
 * (fc_tracker_memory() / max_flows).
 *
 * The tracker lives on a heap of transparent huge pages (app/thp_heap.h),
 * as in the application's offline runs (live runs use EAL hugepages);
 * --pages 4k puts it on EAL's 4 KiB pages instead.
 *
 * --sizes prints the size of the flow record and of its optional
 * extension and exits (no EAL), for scripts/bench.sh's memory figures.
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

#include <fc_flow.h>
#include <fc_tracker.h>

#include "bench_common.h"
#include "thp_heap.h"

#define FRAME_LEN 60            /* 64 on the wire minus the FCS */
#define BURST FC_TRACKER_BURST /* as the RX lcore */
#define RING (2 * BURST)        /* frame slots, as mbufs behind a queue */
#define MAX_STEPS 6
#define T0_NS (1700000000ull * 1000000000ull)
#define CLIENT_NET 0x0a000000u  /* 10.0.0.0/8 */
#define SERVER_IP 0xc0a80001u   /* 192.168.0.1 */

/** One prebuilt packet of a flow, client address and port zero. */
struct tmpl {
	uint8_t f[FRAME_LEN];
	uint8_t dir;            /**< 0: client to server */
	uint32_t ip_sum;        /**< one's-complement sum of the IPv4 header */
	uint32_t l4_sum;        /**< sum of the pseudo-header and L4 header */
};

/** One open session. */
struct slot {
	uint64_t flow;          /**< flow index: client address and port */
	uint32_t step;          /**< next packet of the session */
	uint32_t live;          /**< 0 once no flow is left for it */
};

struct churn {
	const char *proto;
	int tcp;
	uint64_t flows;
	uint64_t pace;
	uint32_t window;
	uint16_t timeout;
	/* results: timed window (the steady state) */
	double wall_s;
	uint64_t packets;
	uint64_t created;
	uint64_t ended;
	/* results: whole run */
	uint64_t created_all;
	uint64_t ended_all;
	uint64_t flow_end_events;
	uint32_t peak_active;
	uint32_t max_flows;
	uint64_t memory;
	uint64_t reasons[FC_END_MAX];
	const char *heap;       /**< tracker heap (huge pages), NULL = EAL's */
};

static uint32_t
sum_words(const uint8_t *p, unsigned int n)
{
	uint32_t s = 0;
	unsigned int i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static inline uint16_t
fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Build a template: Ethernet, IPv4 (client address 0), TCP with flags
 * and seq/ack, or UDP with the rest of the frame as payload.
 */
static void
make_tmpl(struct tmpl *t, int tcp, uint8_t dir, uint8_t flags, uint32_t seq,
	  uint32_t ack)
{
	uint8_t *ip = t->f + 14, *l4 = ip + 20;
	const uint32_t ip_len = FRAME_LEN - 14;
	const uint32_t l4_len = ip_len - 20;
	uint8_t pseudo[12];

	memset(t, 0, sizeof(*t));
	t->dir = dir;
	t->f[0] = 0x02; t->f[5] = dir ? 0x01 : 0x02;
	t->f[6] = 0x02; t->f[11] = dir ? 0x02 : 0x01;
	put16(t->f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, tcp ? 40 : ip_len);  /* TCP: no payload, frame padded */
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = tcp ? 6 : 17;
	put32(dir ? ip + 12 : ip + 16, SERVER_IP);
	t->ip_sum = sum_words(ip, 20);
	if (tcp) {
		put16(dir ? l4 : l4 + 2, 80);
		put32(l4 + 4, seq);
		put32(l4 + 8, ack);
		l4[12] = 5 << 4;
		l4[13] = flags;
		put16(l4 + 14, 65535);
		put32(pseudo, 0);
		put32(pseudo + 4, SERVER_IP);
		put16(pseudo + 8, 6);
		put16(pseudo + 10, 20);
		t->l4_sum = sum_words(pseudo, 12) + sum_words(l4, 20);
	} else {
		put16(dir ? l4 : l4 + 2, 5001);
		put16(l4 + 4, l4_len);
		put32(pseudo, 0);
		put32(pseudo + 4, SERVER_IP);
		put16(pseudo + 8, 17);
		put16(pseudo + 10, l4_len);
		t->l4_sum = sum_words(pseudo, 12) + sum_words(l4, l4_len);
	}
}

/* The session of one flow, in packet order; returns the packet count. */
static unsigned int
make_session(struct tmpl *t, int tcp)
{
	const uint32_t c = 1000, s = 5000;   /* initial sequence numbers */

	if (!tcp) {
		make_tmpl(&t[0], 0, 0, 0, 0, 0);
		make_tmpl(&t[1], 0, 1, 0, 0, 0);
		return 2;
	}
	make_tmpl(&t[0], 1, 0, 0x02, c, 0);               /* SYN */
	make_tmpl(&t[1], 1, 1, 0x12, s, c + 1);           /* SYN-ACK */
	make_tmpl(&t[2], 1, 0, 0x10, c + 1, s + 1);       /* ACK */
	make_tmpl(&t[3], 1, 0, 0x11, c + 1, s + 1);       /* FIN-ACK */
	make_tmpl(&t[4], 1, 1, 0x11, s + 1, c + 2);       /* FIN-ACK */
	make_tmpl(&t[5], 1, 0, 0x10, c + 2, s + 2);       /* ACK */
	return 6;
}

/* Copy template t into d for flow index f: client address, port, checksums. */
static inline void
emit(uint8_t *d, const struct tmpl *t, uint64_t f)
{
	uint8_t *ip = d + 14, *l4 = ip + 20;
	uint32_t caddr = CLIENT_NET | (uint32_t)(f & 0xffffff);
	uint32_t cport = 1024 + (uint32_t)((f >> 24) % 64512);
	uint32_t asum = (caddr >> 16) + (caddr & 0xffff);

	memcpy(d, t->f, FRAME_LEN);
	put32(t->dir ? ip + 16 : ip + 12, caddr);
	put16(ip + 10, fold(t->ip_sum + asum));
	put16(t->dir ? l4 + 2 : l4, cport);
	put16(l4 + (ip[9] == 6 ? 16 : 6), fold(t->l4_sum + asum + cport));
}

static unsigned int
drain(struct fc_tracker *tr, struct churn *c)
{
	const struct fc_event *ev;
	unsigned int n, i;

	ev = fc_tracker_events(tr, &n);
	for (i = 0; i < n; i++)
		if (ev[i].type == FC_EV_FLOW_END)
			c->flow_end_events++;
	fc_tracker_events_clear(tr);
	return n;
}

static int
run(struct churn *c, const char *name)
{
	struct tmpl tm[MAX_STEPS];
	const unsigned int steps = make_session(tm, c->tcp);
	static uint8_t ring[RING][FRAME_LEN] __attribute__((aligned(64)));
	struct fc_frame fr[BURST];
	struct fc_tracker_params p;
	struct fc_tracker *tr;
	struct slot *sl;
	const struct fc_tracker_stats *st;
	uint64_t next_flow = 0, k = 0, t0 = 0, k0 = 0, c0 = 0, e0 = 0, ts = T0_NS, end_ts;
	uint64_t step_ns = 1000000000ull / (c->pace * steps);
	/* Warm-up: until the table holds its steady-state flows. */
	uint64_t warm = c->pace * (c->timeout + 2u);
	uint32_t open, cur = 0, i;
	unsigned int r = 0, guard;
	int timing = 0;

	if (step_ns == 0)
		step_ns = 1;
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.max_flows = (uint32_t)(c->pace * (c->timeout + 3u) + c->window);
	p.socket_id = (int)rte_socket_id();
	p.event_mask = FC_EV_BIT(FC_EV_FLOW_END);
	p.timeout_tcp_closed = c->timeout;
	p.timeout_udp = c->timeout;
	p.table_heap = c->heap;
	tr = fc_tracker_create(&p);
	sl = calloc(c->window, sizeof(*sl));
	c->max_flows = p.max_flows;
	c->memory = tr != NULL ? fc_tracker_memory(tr) : 0;
	if (tr == NULL || sl == NULL) {
		fprintf(stderr, "bench_churn: cannot create a tracker of %u flows: %s\n",
			p.max_flows, tr == NULL ? rte_strerror(rte_errno) : "out of memory");
		fc_tracker_free(tr);
		free(sl);
		return -1;
	}
	if (warm > c->flows / 2)
		warm = c->flows / 2;
	st = fc_tracker_stats(tr);
	for (open = 0; open < c->window && next_flow < c->flows; open++) {
		sl[open].flow = next_flow++;
		sl[open].live = 1;
	}
	while (open > 0) {
		unsigned int n = 0, done = 0;

		/* A burst: the next BURST packets, open sessions in turn. */
		while (n < BURST && open > 0) {
			struct slot *s = &sl[cur];

			if (++cur == c->window)
				cur = 0;
			if (!s->live)
				continue;
			emit(ring[r], &tm[s->step], s->flow);
			fr[n].data = ring[r];
			fr[n].cap_len = FRAME_LEN;
			fr[n].wire_len = FRAME_LEN;
			fr[n].ts = ts;
			n++;
			r = (r + 1) & (RING - 1);
			ts += step_ns;
			if (++s->step == steps) {
				s->step = 0;
				if (next_flow < c->flows) {
					s->flow = next_flow++;
				} else {
					s->live = 0;
					open--;
				}
			}
		}
		while (done < n) {
			done += fc_tracker_burst(tr, fr + done, n - done);
			drain(tr, c);
		}
		k += n;
		fc_tracker_expire(tr, ts);
		drain(tr, c);
		if (fc_tracker_active(tr) > c->peak_active)
			c->peak_active = fc_tracker_active(tr);
		if (!timing && next_flow >= warm) {
			timing = 1;
			t0 = now_ns();
			k0 = k;
			c0 = st->flows_created;
			e0 = st->flows_ended;
		}
	}
	/* The timed window ends with the last packet: a steady state throughout. */
	c->wall_s = (double)(now_ns() - t0) / 1e9;
	c->packets = k - k0;
	c->created = st->flows_created - c0;
	c->ended = st->flows_ended - e0;
	/* Untimed: let every flow time out, so the run checks they all end. */
	end_ts = ts + (uint64_t)(c->timeout + 2u) * 1000000000ull;
	for (guard = 0; fc_tracker_active(tr) > 0 && guard < 100000000u; guard++) {
		fc_tracker_expire(tr, end_ts);
		drain(tr, c);
	}
	c->created_all = st->flows_created;
	c->ended_all = st->flows_ended;
	for (i = 0; i < FC_END_MAX; i++)
		c->reasons[i] = st->ended[i];
	if (fc_tracker_active(tr) > 0)
		fprintf(stderr, "bench_churn: %u flows still open after the final expiry\n",
			fc_tracker_active(tr));
	fc_tracker_free(tr);
	free(sl);
	return 0;
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	if (s[0] == '-')
		return -1;
	x = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || x < min || x > max)
		return -1;
	*v = x;
	return 0;
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--flows N] [--proto tcp|udp|tcp,udp] [--pace F] [--window W] [--timeout S] [--pages thp|4k]\n"
		"  --flows N    flows per protocol (default 4000000)\n"
		"  --proto      which sessions: TCP (6 packets) and/or UDP (2) (default tcp,udp)\n"
		"  --pace F     flows starting per second of packet time (default 100000)\n"
		"  --window W   sessions open at a time, sending in turn (default 1024)\n"
		"  --timeout S  closed-TCP linger and UDP idle timeout, s (default 2)\n"
		"  --pages P    tracker memory: thp (huge pages, as offline) or 4k (default thp)\n"
		"  --sizes      print the flow record sizes and exit\n",
		prog);
}

int
main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf", "-m",
			"2048", "-l", "0", "--log-level=error", "--no-telemetry",
			NULL };
	uint64_t flows = 4000000, pace = 100000, window = 1024, timeout = 2;
	int do_tcp = 1, do_udp = 1, thp = 1, i, rc = 0;
	const char *heap = NULL, *why = NULL;
	char cpu[128];

	if (argc == 2 && strcmp(argv[1], "--sizes") == 0) {
		printf("record_bytes %zu (struct fc_flow; a flow that needs one also takes a "
		       "%zu-byte extension)\n", sizeof(struct fc_flow), sizeof(struct fc_flow_ext));
		return 0;
	}
	for (i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = v == NULL;

		if (strcmp(a, "--flows") == 0 && v != NULL)
			bad = parse_u64(v, 1, UINT64_C(1) << 40, &flows) < 0;
		else if (strcmp(a, "--pace") == 0 && v != NULL)
			bad = parse_u64(v, 1, 10000000, &pace) < 0;
		else if (strcmp(a, "--window") == 0 && v != NULL)
			bad = parse_u64(v, 1, 1u << 20, &window) < 0;
		else if (strcmp(a, "--timeout") == 0 && v != NULL)
			bad = parse_u64(v, 1, 3600, &timeout) < 0;
		else if (strcmp(a, "--pages") == 0 && v != NULL) {
			thp = strcmp(v, "thp") == 0;
			bad = !thp && strcmp(v, "4k") != 0;
		} else if (strcmp(a, "--proto") == 0 && v != NULL) {
			do_tcp = strstr(v, "tcp") != NULL;
			do_udp = strstr(v, "udp") != NULL;
			bad = !do_tcp && !do_udp;
		} else
			bad = 1;
		if (bad) {
			usage(argv[0]);
			return 2;
		}
	}
	if (flows < 2 * pace * (timeout + 2))
		fprintf(stderr, "bench_churn: --flows %" PRIu64 " is below 2 x pace x (timeout + 2):"
			" the timed window may not reach the steady state\n", flows);
	if (pace * (timeout + 3) + window > UINT32_MAX / 2) {
		fprintf(stderr, "bench_churn: --pace x (--timeout + 3) too large for one table\n");
		return 2;
	}
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "bench_churn: EAL init failed\n");
		return 1;
	}
	if (thp) {
		struct fc_tracker_params tp;

		/* One tracker at a time (TCP, then UDP), as run() makes it. */
		memset(&tp, 0, sizeof(tp));
		tp.max_flows = (uint32_t)(pace * (timeout + 3u) + window);
		tp.event_mask = FC_EV_BIT(FC_EV_FLOW_END);
		if (app_thp_heap_create(fc_tracker_memory_need(&tp) + (16u << 20), &why) > 0)
			heap = APP_THP_HEAP_NAME;
	}
	cpu_model(cpu, sizeof(cpu));
	printf("# bench_churn: one core, short flows created and ended (TCP: SYN, SYN-ACK, ACK, "
	       "FIN-ACK, FIN-ACK, ACK; UDP: request, response), 60-byte frames, "
	       "%" PRIu64 " sessions open in turn, %" PRIu64 " new flows per packet-second, "
	       "closed/idle timeout %" PRIu64 " s\n# cpu: %s\n# tracker on %s\n",
	       window, pace, timeout, cpu,
	       heap != NULL ? "transparent huge pages" :
	       why != NULL ? why : "4 KiB pages (EAL)");
	printf("%-5s %10s %8s %14s %14s %8s %9s %12s %9s %9s %8s %10s\n", "proto", "flows",
	       "wall_s", "created_per_s", "ended_per_s", "mpps", "ns_flow", "peak_active",
	       "end_fin", "end_idle", "end_evic", "heap_slot");
	for (i = 0; i < 2; i++) {
		struct churn c = {
			.proto = i == 0 ? "tcp" : "udp", .tcp = i == 0, .flows = flows,
			.pace = pace, .window = (uint32_t)window, .timeout = (uint16_t)timeout,
			.heap = heap,
		};

		if ((i == 0 && !do_tcp) || (i == 1 && !do_udp))
			continue;
		if (run(&c, i == 0 ? "churn_tcp" : "churn_udp") < 0) {
			rc = 1;
			continue;
		}
		if (c.created_all != flows || c.ended_all != flows || c.flow_end_events != flows)
			fprintf(stderr, "bench_churn: %s: %" PRIu64 " flows created, %" PRIu64
				" ended, %" PRIu64 " flow_end events, expected %" PRIu64 "\n",
				c.proto, c.created_all, c.ended_all, c.flow_end_events, flows);
		printf("%-5s %10" PRIu64 " %8.3f %14.0f %14.0f %8.2f %9.1f %12u %9" PRIu64
		       " %9" PRIu64 " %8" PRIu64 " %10.1f\n", c.proto, c.created, c.wall_s,
		       (double)c.created / c.wall_s, (double)c.ended / c.wall_s,
		       (double)c.packets / c.wall_s / 1e6,
		       c.created > 0 ? c.wall_s * 1e9 / (double)c.created : 0.0, c.peak_active,
		       c.reasons[FC_END_FIN], c.reasons[FC_END_IDLE], c.reasons[FC_END_EVICTED],
		       (double)c.memory / c.max_flows);
		fflush(stdout);
	}
	app_thp_heap_destroy();
	rte_eal_cleanup();
	return rc;
}
