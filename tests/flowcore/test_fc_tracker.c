/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of fc_tracker: the whole per-lcore pipeline on hand-built
 * frames. Scenarios: a full TCP session gives one start, one established
 * and one fin end; a flow created and reset inside one burst; a SYN flood
 * into a full table evicts embryonic flows, never the established one;
 * counters add up at every step; idle expiry by packet time; 5-tuple
 * reuse; the event buffer never overflows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <sys/mman.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include <fc_tracker.h>

#include "eal.h"
#include "pktgen.h"

#define SEC FC_NS_PER_SEC
#define T0 (1700000000ull * SEC)

struct frame {
	uint8_t buf[256];
	uint32_t len;
};

/* An IPv4 TCP frame. */
static void
tcp_frame(struct frame *fr, const char *src, uint16_t sport, const char *dst,
	  uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
	  uint32_t payload)
{
	struct fctest_pkt p;
	struct fctest_ip4 ip = { .src = src, .dst = dst };
	struct fctest_tcp t = { .sport = sport, .dport = dport, .seq = seq,
				.ack = ack, .flags = flags, .win = 1024 };
	static const uint8_t data[128];

	fctest_pkt_init(&p, fr->buf, sizeof(fr->buf));
	fctest_pkt_eth(&p, NULL, NULL, 0);
	fctest_pkt_ip4(&p, &ip);
	fctest_pkt_tcp(&p, &t);
	if (payload > 0)
		fctest_pkt_bytes(&p, data, payload);
	assert_true(fctest_pkt_finish(&p) > 0);
	fr->len = p.len;
}

static void
udp_frame(struct frame *fr, const char *src, uint16_t sport, const char *dst,
	  uint16_t dport)
{
	struct fctest_pkt p;
	struct fctest_ip4 ip = { .src = src, .dst = dst };

	fctest_pkt_init(&p, fr->buf, sizeof(fr->buf));
	fctest_pkt_eth(&p, NULL, NULL, 0);
	fctest_pkt_ip4(&p, &ip);
	fctest_pkt_udp(&p, sport, dport);
	fctest_pkt_bytes(&p, "hello", 5);
	assert_true(fctest_pkt_finish(&p) > 0);
	fr->len = p.len;
}

/* Parameters of a tracker of every event type, otherwise defaults. */
static void
params_all(struct fc_tracker_params *p, const char *name, uint32_t max_flows)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->max_flows = max_flows;
	p->socket_id = SOCKET_ID_ANY;
	p->event_mask = FC_EV_BIT(FC_EV_MAX) - 1;
}

static struct fc_tracker *
mk(const char *name, uint32_t max_flows)
{
	struct fc_tracker_params p;
	struct fc_tracker *tr;

	params_all(&p, name, max_flows);
	tr = fc_tracker_create(&p);
	assert_non_null(tr);
	return tr;
}

/* Event counts by type, accumulated by drain(). */
struct counts {
	unsigned int type[FC_EV_MAX];
	unsigned int end_reason[FC_END_MAX];
	struct fc_event last_end;
};

static void
drain(struct fc_tracker *tr, struct counts *c)
{
	unsigned int n, i;
	const struct fc_event *ev = fc_tracker_events(tr, &n);

	for (i = 0; i < n; i++) {
		c->type[ev[i].type]++;
		if (ev[i].type == FC_EV_FLOW_END) {
			c->end_reason[ev[i].u.end.reason]++;
			c->last_end = ev[i];
		}
	}
	fc_tracker_events_clear(tr);
}

/* Track frames (1 us apart from ts), handing the events to take() after each burst. */
static void
feed_to(struct fc_tracker *tr, struct frame *frs, unsigned int n, uint64_t ts,
	void (*take)(struct fc_tracker *, void *), void *arg)
{
	struct fc_frame f[64];
	unsigned int i, done = 0;

	assert_true(n <= 64);
	for (i = 0; i < n; i++) {
		f[i].data = frs[i].buf;
		f[i].cap_len = frs[i].len;
		f[i].wire_len = 0;
		f[i].ts = ts + i * 1000;
	}
	while (done < n) {
		done += fc_tracker_burst(tr, f + done, n - done);
		take(tr, arg);
	}
}

static void
take_counts(struct fc_tracker *tr, void *arg)
{
	drain(tr, arg);
}

static void
feed(struct fc_tracker *tr, struct frame *frs, unsigned int n, uint64_t ts,
     struct counts *c)
{
	feed_to(tr, frs, n, ts, take_counts, c);
}

static void
assert_counters_add_up(struct fc_tracker *tr)
{
	const struct fc_tracker_stats *s = fc_tracker_stats(tr);
	uint64_t by_reason = 0;
	unsigned int i;

	assert_int_equal(s->flows_created, s->flows_ended + fc_tracker_active(tr));
	for (i = 0; i < FC_END_MAX; i++)
		by_reason += s->ended[i];
	assert_int_equal(by_reason, s->flows_ended);
	assert_int_equal(s->frames, s->pkt.frames);
}

/* SYN, SYN-ACK, ACK, data both ways, FIN, FIN, ACK in one burst. */
static void
test_tracker_tcp_session_one_burst(void **state)
{
	struct fc_tracker *tr = mk("tr_sess", 1024);
	struct frame fr[9];
	struct counts c;
	const char *a = "10.0.0.1", *b = "10.0.0.2";

	(void)state;
	memset(&c, 0, sizeof(c));
	tcp_frame(&fr[0], a, 40000, b, 80, FCTEST_TCP_SYN, 100, 0, 0);
	tcp_frame(&fr[1], b, 80, a, 40000, FCTEST_TCP_SYN | FCTEST_TCP_ACK, 500, 101, 0);
	tcp_frame(&fr[2], a, 40000, b, 80, FCTEST_TCP_ACK, 101, 501, 0);
	tcp_frame(&fr[3], a, 40000, b, 80, FCTEST_TCP_ACK | FCTEST_TCP_PSH, 101, 501, 10);
	tcp_frame(&fr[4], b, 80, a, 40000, FCTEST_TCP_ACK | FCTEST_TCP_PSH, 501, 111, 20);
	tcp_frame(&fr[5], a, 40000, b, 80, FCTEST_TCP_FIN | FCTEST_TCP_ACK, 111, 521, 0);
	tcp_frame(&fr[6], b, 80, a, 40000, FCTEST_TCP_FIN | FCTEST_TCP_ACK, 521, 112, 0);
	tcp_frame(&fr[7], a, 40000, b, 80, FCTEST_TCP_ACK, 112, 522, 0);
	feed(tr, fr, 8, T0, &c);
	assert_int_equal(c.type[FC_EV_FLOW_START], 1);
	assert_int_equal(c.type[FC_EV_ESTABLISHED], 1);
	assert_int_equal(c.type[FC_EV_PACKET], 8);
	/* closed flows linger (Zeek's close delay), then end with reason fin */
	assert_int_equal(c.type[FC_EV_FLOW_END], 0);
	fc_tracker_expire(tr, T0 + 10 * SEC);
	drain(tr, &c);
	assert_int_equal(c.end_reason[FC_END_FIN], 1);
	assert_int_equal(c.last_end.u.end.pkts[0], 5);
	assert_int_equal(c.last_end.u.end.pkts[1], 3);
	assert_int_equal(c.last_end.u.end.payload_bytes[0], 10);
	assert_int_equal(c.last_end.u.end.payload_bytes[1], 20);
	assert_string_equal(c.last_end.u.end.history, "ShADdFf"); /* no pure ACK from the responder */
	assert_string_equal(c.last_end.u.end.fs_history, "SsDdFf");
	assert_string_equal(c.last_end.u.end.conn_state, "SF");
	assert_counters_add_up(tr);
	fc_tracker_free(tr);
}

/* SYN-ACK captured first: the receiver is the originator. */
static void
test_tracker_synack_first_orig_is_receiver(void **state)
{
	struct fc_tracker *tr = mk("tr_synack", 64);
	struct frame fr[3];
	struct counts c;
	char orig[16];

	(void)state;
	memset(&c, 0, sizeof(c));
	tcp_frame(&fr[0], "10.0.0.2", 80, "10.0.0.1", 40000,
		  FCTEST_TCP_SYN | FCTEST_TCP_ACK, 500, 101, 0);
	tcp_frame(&fr[1], "10.0.0.1", 40000, "10.0.0.2", 80, FCTEST_TCP_SYN, 100, 0, 0);
	tcp_frame(&fr[2], "10.0.0.1", 40000, "10.0.0.2", 80, FCTEST_TCP_ACK, 101, 501, 0);
	feed(tr, fr, 3, T0, &c);
	while (fc_tracker_end_all(tr, 0) > 0)
		drain(tr, &c);
	drain(tr, &c);
	assert_int_equal(c.type[FC_EV_FLOW_END], 1);
	snprintf(orig, sizeof(orig), "%u.%u.%u.%u", c.last_end.u.end.id.orig_h[0],
		 c.last_end.u.end.id.orig_h[1], c.last_end.u.end.id.orig_h[2],
		 c.last_end.u.end.id.orig_h[3]);
	assert_string_equal(orig, "10.0.0.1");
	assert_int_equal(c.last_end.u.end.id.resp_p, 80);
	assert_int_equal(c.end_reason[FC_END_SHUTDOWN], 1);
	fc_tracker_free(tr);
}

/*
 * A full table under a SYN flood: the established flow survives, the
 * embryonic flows are evicted, each victim gets flow_end(evicted) and the
 * pressure is reported once per burst.
 */
static void
test_tracker_syn_flood_keeps_established(void **state)
{
	/* 60, not 64: at a power of two rte_hash's buckets fill completely. */
	struct fc_tracker *tr = mk("tr_flood", 60);
	struct frame fr[32];
	struct counts c;
	unsigned int i, round;
	char src[32];

	(void)state;
	memset(&c, 0, sizeof(c));
	tcp_frame(&fr[0], "10.9.9.9", 50000, "10.0.0.2", 443, FCTEST_TCP_SYN, 1, 0, 0);
	tcp_frame(&fr[1], "10.0.0.2", 443, "10.9.9.9", 50000,
		  FCTEST_TCP_SYN | FCTEST_TCP_ACK, 9, 2, 0);
	tcp_frame(&fr[2], "10.9.9.9", 50000, "10.0.0.2", 443, FCTEST_TCP_ACK, 2, 10, 0);
	feed(tr, fr, 3, T0, &c);
	assert_int_equal(c.type[FC_EV_ESTABLISHED], 1);

	for (round = 0; round < 10; round++) {
		for (i = 0; i < 32; i++) {
			snprintf(src, sizeof(src), "172.16.%u.%u", round, i + 1);
			tcp_frame(&fr[i], src, 1024, "10.0.0.2", 80,
				  FCTEST_TCP_SYN, i, 0, 0);
		}
		feed(tr, fr, 32, T0 + (round + 1) * SEC, &c);
		assert_counters_add_up(tr);
		assert_true(fc_tracker_active(tr) <= 60);
	}
	/* the established flow is still there: its next packet is no new flow */
	tcp_frame(&fr[0], "10.9.9.9", 50000, "10.0.0.2", 443, FCTEST_TCP_ACK, 2, 10, 0);
	memset(&c.type, 0, sizeof(c.type));
	feed(tr, fr, 1, T0 + 20 * SEC, &c);
	assert_int_equal(c.type[FC_EV_FLOW_START], 0);
	assert_true(fc_tracker_stats(tr)->flows_evicted >= 320 - 60);
	assert_int_equal(fc_tracker_stats(tr)->table_full, 0);
	assert_true(c.end_reason[FC_END_EVICTED] > 0);
	fc_tracker_free(tr);
}

/* Idle expiry by packet time; a packet after the timeout starts a new flow. */
static void
test_tracker_udp_idle_by_packet_time(void **state)
{
	struct fc_tracker *tr = mk("tr_idle", 64);
	struct frame fr[1];
	struct counts c;

	(void)state;
	memset(&c, 0, sizeof(c));
	udp_frame(&fr[0], "10.0.0.1", 5000, "10.0.0.2", 6000);
	feed(tr, fr, 1, T0, &c);
	fc_tracker_expire(tr, T0 + 59 * SEC);
	drain(tr, &c);
	assert_int_equal(c.type[FC_EV_FLOW_END], 0);
	fc_tracker_expire(tr, T0 + 60 * SEC);
	drain(tr, &c);
	assert_int_equal(c.end_reason[FC_END_IDLE], 1);
	/* without an expire call, a late packet ends the stale flow itself */
	feed(tr, fr, 1, T0 + 100 * SEC, &c);
	feed(tr, fr, 1, T0 + 200 * SEC, &c);
	assert_int_equal(c.end_reason[FC_END_IDLE], 2);
	assert_int_equal(c.type[FC_EV_FLOW_START], 3);
	assert_counters_add_up(tr);
	fc_tracker_free(tr);
}

/* flow_update every 10 s of a flow's life, with the counters so far. */
static void
test_tracker_flow_update_interval(void **state)
{
	struct fc_tracker_params p;
	struct fc_tracker *tr;
	struct frame fr[1];
	struct counts c;
	const uint64_t at[] = { 0, 5, 12, 13, 25, 49 };
	unsigned int i;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.name = "tr_upd";
	p.max_flows = 64;
	p.socket_id = SOCKET_ID_ANY;
	p.event_mask = FC_EV_BIT(FC_EV_MAX) - 1;
	p.flow_update_interval = 10;
	tr = fc_tracker_create(&p);
	assert_non_null(tr);
	memset(&c, 0, sizeof(c));
	udp_frame(&fr[0], "10.0.0.1", 5000, "10.0.0.2", 6000);
	for (i = 0; i < FC_DIM(at); i++)
		feed(tr, fr, 1, T0 + at[i] * SEC, &c);
	/* boundaries 10, 20 and 40 crossed (30 skipped while idle: one record) */
	assert_int_equal(c.type[FC_EV_FLOW_UPDATE], 3);
	assert_int_equal(fc_tracker_stats(tr)->flow_updates, 3);
	assert_int_equal(c.type[FC_EV_FLOW_END], 0);
	fc_tracker_free(tr);
}

/* At the end of input, a flow already idle past its timeout ends idle, the rest shutdown. */
static void
test_tracker_end_all_idle_vs_shutdown(void **state)
{
	struct fc_tracker *tr = mk("tr_endall", 64);
	struct frame fr[2];
	struct counts c;

	(void)state;
	memset(&c, 0, sizeof(c));
	udp_frame(&fr[0], "10.0.0.1", 5000, "10.0.0.2", 6000);
	udp_frame(&fr[1], "10.0.0.3", 5000, "10.0.0.4", 6000);
	feed(tr, &fr[0], 1, T0, &c);
	feed(tr, &fr[1], 1, T0 + 100 * SEC, &c);
	while (fc_tracker_end_all(tr, 0) > 0)
		drain(tr, &c);
	drain(tr, &c);
	assert_int_equal(c.end_reason[FC_END_IDLE], 1);
	assert_int_equal(c.end_reason[FC_END_SHUTDOWN], 1);
	assert_counters_add_up(tr);
	fc_tracker_free(tr);
}

/*
 * More open flows than the event buffer holds: end_all() stops when the
 * buffer is full and the next call goes on where it stopped, so every
 * flow ends exactly once, in a few calls.
 */
static void
test_tracker_end_all_resumes(void **state)
{
	struct fc_tracker *tr = mk("tr_endall_many", 8192);
	static struct frame fr[64];
	struct counts c;
	unsigned int i, j, calls = 0;
	char src[16];

	(void)state;
	memset(&c, 0, sizeof(c));
	for (i = 0; i < 6000; i += 64) {
		unsigned int n = 6000 - i < 64 ? 6000 - i : 64;

		for (j = 0; j < n; j++) {
			snprintf(src, sizeof(src), "10.1.%u.%u", (i + j) / 250, (i + j) % 250 + 1);
			udp_frame(&fr[j], src, 5000, "10.0.0.2", 6000);
		}
		feed(tr, fr, n, T0, &c);
	}
	assert_int_equal(c.type[FC_EV_FLOW_START], 6000);
	while (fc_tracker_end_all(tr, 0) > 0) {
		drain(tr, &c);
		calls++;
		assert_true(calls < 10);
	}
	drain(tr, &c);
	assert_true(calls >= 1);
	assert_int_equal(c.type[FC_EV_FLOW_END], 6000);
	assert_int_equal(c.end_reason[FC_END_SHUTDOWN], 6000);
	assert_counters_add_up(tr);
	fc_tracker_free(tr);
}

/* Reassembled bytes reach the stream consumer in order; flow_end carries the diagnostics. */
struct sink_buf {
	uint8_t data[2][512];
	uint32_t len[2];
	uint32_t gaps[2];
	unsigned int ends;
	uint8_t orig_ep;
};

static void
sb_data(void *arg, uint64_t flow_id, uint8_t ep, const uint8_t *p, uint32_t len)
{
	struct sink_buf *b = arg;

	(void)flow_id;
	assert_true(b->len[ep] + len <= sizeof(b->data[ep]));
	memcpy(b->data[ep] + b->len[ep], p, len);
	b->len[ep] += len;
}

static void
sb_gap(void *arg, uint64_t flow_id, uint8_t ep, uint32_t len)
{
	struct sink_buf *b = arg;

	(void)flow_id;
	b->gaps[ep] += len;
}

static void
sb_end(void *arg, uint64_t flow_id, uint8_t orig_ep, const struct fc_event_flow_end *e)
{
	struct sink_buf *b = arg;

	(void)flow_id;
	assert_true(e->has_reasm);
	b->ends++;
	b->orig_ep = orig_ep;
}

static struct fc_tracker *
mk_reasm(const char *name, struct sink_buf *b, struct fc_tracker_stream_cb *cb,
	 uint8_t overflow, uint16_t max_ooo)
{
	struct fc_tracker_params p;
	struct fc_tracker *tr;

	params_all(&p, name, 64);
	p.reasm_enabled = 1;
	p.reasm.max_streams = 64;
	p.reasm.memcap = 1 << 20;
	p.reasm.max_ooo_segs = max_ooo;
	p.reasm.overflow = overflow;
	cb->data = sb_data;
	cb->gap = sb_gap;
	cb->end = sb_end;
	cb->arg = b;
	p.stream_cb = cb;
	tr = fc_tracker_create(&p);
	assert_non_null(tr);
	return tr;
}

/* Data segments (10 bytes each, byte value = segment index) of the client, given order. */
static void
client_segments(struct frame *fr, const unsigned int *order, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct fctest_pkt p;
		struct fctest_ip4 ip = { .src = "10.0.0.1", .dst = "10.0.0.2" };
		struct fctest_tcp t = { .sport = 40000, .dport = 80,
					.seq = 1001 + order[i] * 10, .ack = 5001,
					.flags = FC_TCP_ACK | FC_TCP_PSH, .win = 1024 };
		uint8_t data[10];

		memset(data, 'a' + (int)order[i], sizeof(data));
		fctest_pkt_init(&p, fr[i].buf, sizeof(fr[i].buf));
		fctest_pkt_eth(&p, NULL, NULL, 0);
		fctest_pkt_ip4(&p, &ip);
		fctest_pkt_tcp(&p, &t);
		fctest_pkt_bytes(&p, data, sizeof(data));
		assert_true(fctest_pkt_finish(&p) > 0);
		fr[i].len = p.len;
	}
}

static void
handshake(struct fc_tracker *tr, struct counts *c)
{
	struct frame fr[3];

	tcp_frame(&fr[0], "10.0.0.1", 40000, "10.0.0.2", 80, FC_TCP_SYN, 1000, 0, 0);
	tcp_frame(&fr[1], "10.0.0.2", 80, "10.0.0.1", 40000, FC_TCP_SYN | FC_TCP_ACK, 5000, 1001, 0);
	tcp_frame(&fr[2], "10.0.0.1", 40000, "10.0.0.2", 80, FC_TCP_ACK, 1001, 5001, 0);
	feed(tr, fr, 3, T0, c);
}

static void
test_tracker_reasm_reorder(void **state)
{
	struct sink_buf b;
	struct fc_tracker_stream_cb cb;
	struct fc_tracker *tr;
	struct frame fr[4];
	const unsigned int order[] = { 0, 2, 3, 1 };
	struct counts c;
	unsigned int i, anomalies = 0;
	const struct fc_event *ev;

	(void)state;
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	tr = mk_reasm("tr_ra1", &b, &cb, FC_REASM_SLIDING_WINDOW, 0);
	handshake(tr, &c);
	client_segments(fr, order, 4);
	{
		struct fc_frame f[4];

		for (i = 0; i < 4; i++) {
			f[i].data = fr[i].buf;
			f[i].cap_len = fr[i].len;
			f[i].wire_len = 0;
			f[i].ts = T0 + SEC;
		}
		assert_int_equal(fc_tracker_burst(tr, f, 4), 4);
		ev = fc_tracker_events(tr, &i);
		for (unsigned int k = 0; k < i; k++)
			if (ev[k].type == FC_EV_ANOMALY) {
				anomalies++;
				/* two segments arrived ahead of the hole: one coalesced anomaly */
				assert_int_equal(ev[k].u.anomaly.kind, FC_AN_OUT_OF_ORDER);
				assert_int_equal(ev[k].u.anomaly.count, 2);
			}
		drain(tr, &c);
	}
	assert_int_equal(anomalies, 1);
	assert_int_equal(b.len[0], 40);
	assert_memory_equal(b.data[0], "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd", 40);
	while (fc_tracker_end_all(tr, 0) > 0)
		drain(tr, &c);
	drain(tr, &c);
	assert_int_equal(b.ends, 1);
	assert_int_equal(c.last_end.u.end.has_reasm, 1);
	assert_int_equal(c.last_end.u.end.reasm[FC_SIDE_ORIG].delivered, 40);
	assert_int_equal(c.last_end.u.end.reasm[FC_SIDE_ORIG].ooo_segs, 2);
	assert_int_equal(c.last_end.u.end.reasm[FC_SIDE_ORIG].gap_bytes, 0);
	assert_int_equal(fc_tracker_reasm_stats(tr)->chunks_in_use, 0);
	assert_counters_add_up(tr);
	fc_tracker_free(tr);
}

/* drop_flow: the flow ends with buffer_overflow and is not resurrected. */
static void
test_tracker_reasm_drop_flow(void **state)
{
	struct sink_buf b;
	struct fc_tracker_stream_cb cb;
	struct fc_tracker *tr;
	struct frame fr[6];
	const unsigned int order[] = { 1, 2, 3, 4, 5, 0 };
	struct counts c;

	(void)state;
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	tr = mk_reasm("tr_ra2", &b, &cb, FC_REASM_DROP_FLOW, 2);
	handshake(tr, &c);
	client_segments(fr, order, 6);
	feed(tr, fr, 6, T0 + SEC, &c);
	assert_int_equal(c.end_reason[FC_END_BUFFER_OVERFLOW], 1);
	assert_int_equal(c.type[FC_EV_FLOW_START], 1);
	assert_true(fc_tracker_stats(tr)->frames_dead_flow >= 1);
	assert_int_equal(fc_tracker_active(tr), 0);
	assert_counters_add_up(tr);
	/* the connection goes on: still no new flow */
	feed(tr, fr, 2, T0 + 2 * SEC, &c);
	assert_int_equal(c.type[FC_EV_FLOW_START], 1);
	/* once idle past the linger, the same 5-tuple is a new flow */
	fc_tracker_expire(tr, T0 + 60 * SEC);
	drain(tr, &c);
	assert_int_equal(c.type[FC_EV_FLOW_END], 1);
	feed(tr, fr, 1, T0 + 61 * SEC, &c);
	assert_int_equal(c.type[FC_EV_FLOW_START], 2);
	assert_counters_add_up(tr);
	fc_tracker_free(tr);
}

/* A new SYN with another ISN after a reset starts a new flow. */
static void
test_tracker_reuse_after_rst(void **state)
{
	struct fc_tracker *tr = mk("tr_reuse", 64);
	struct frame fr[4];
	struct counts c;

	(void)state;
	memset(&c, 0, sizeof(c));
	tcp_frame(&fr[0], "10.0.0.1", 40000, "10.0.0.2", 80, FCTEST_TCP_SYN, 100, 0, 0);
	tcp_frame(&fr[1], "10.0.0.2", 80, "10.0.0.1", 40000,
		  FCTEST_TCP_RST | FCTEST_TCP_ACK, 0, 101, 0);
	tcp_frame(&fr[2], "10.0.0.1", 40000, "10.0.0.2", 80, FCTEST_TCP_SYN, 7777, 0, 0);
	feed(tr, fr, 3, T0, &c);
	assert_int_equal(c.type[FC_EV_FLOW_START], 2);
	assert_int_equal(c.end_reason[FC_END_RST], 1);
	assert_string_equal(c.last_end.u.end.conn_state, "REJ");
	assert_counters_add_up(tr);
	fc_tracker_free(tr);
}

/* Undecodable and L2-only frames are counted, never keyed. */
static void
test_tracker_unkeyed_frames_counted(void **state)
{
	struct fc_tracker *tr = mk("tr_unkeyed", 64);
	struct frame fr[2];
	struct counts c;

	(void)state;
	memset(&c, 0, sizeof(c));
	udp_frame(&fr[0], "10.0.0.1", 1, "10.0.0.2", 2);
	fr[0].len = 20; /* cut inside the IPv4 header */
	memset(fr[1].buf, 0, sizeof(fr[1].buf));
	fr[1].buf[12] = 0x08;
	fr[1].buf[13] = 0x06; /* ARP */
	fr[1].len = 42;
	feed(tr, fr, 2, T0, &c);
	assert_int_equal(fc_tracker_stats(tr)->frames_unkeyed, 2);
	assert_int_equal(fc_tracker_stats(tr)->pkt.status[FC_PKT_E_TRUNC_IP], 1);
	assert_int_equal(fc_tracker_stats(tr)->pkt.status[FC_PKT_L2_ONLY], 1);
	assert_int_equal(c.type[FC_EV_FLOW_START], 0);
	fc_tracker_free(tr);
}

/* Many new flows per burst with every event on: the buffer never overflows. */
static void
test_tracker_event_buffer_backpressure(void **state)
{
	struct fc_tracker *tr = mk("tr_buf", 1u << 14);
	struct frame fr[64];
	struct counts c;
	unsigned int i, r;
	char src[32];

	(void)state;
	memset(&c, 0, sizeof(c));
	for (r = 0; r < 100; r++) {
		for (i = 0; i < 64; i++) {
			snprintf(src, sizeof(src), "10.%u.%u.1", r, i);
			tcp_frame(&fr[i], src, 1, "10.0.0.2", 2, FCTEST_TCP_SYN, 1, 0, 0);
		}
		feed(tr, fr, 64, T0 + r * SEC, &c);
	}
	assert_int_equal(c.type[FC_EV_FLOW_START], 6400);
	/* each SYN: flow_start, state_change, packet; nothing was lost */
	assert_int_equal(c.type[FC_EV_STATE_CHANGE], 6400);
	assert_int_equal(c.type[FC_EV_PACKET], 6400);
	assert_int_equal(fc_tracker_stats(tr)->events, 3 * 6400);
	while (fc_tracker_end_all(tr, 0) > 0)
		drain(tr, &c);
	drain(tr, &c);
	assert_int_equal(c.type[FC_EV_FLOW_END], 6400);
	assert_int_equal(fc_tracker_active(tr), 0);
	assert_counters_add_up(tr);
	fc_tracker_free(tr);
}

/* Events of one drain, in order. */
struct ev_log {
	struct fc_event ev[4096];
	unsigned int n;
};

static void
drain_log(struct fc_tracker *tr, struct ev_log *lg)
{
	unsigned int n, i;
	const struct fc_event *ev = fc_tracker_events(tr, &n);

	for (i = 0; i < n && lg->n < FC_DIM(lg->ev); i++)
		lg->ev[lg->n++] = ev[i];
	fc_tracker_events_clear(tr);
}

static void
take_log(struct fc_tracker *tr, void *arg)
{
	drain_log(tr, arg);
}

static void
feed_log(struct fc_tracker *tr, struct frame *frs, unsigned int n, uint64_t ts,
	 struct ev_log *lg)
{
	feed_to(tr, frs, n, ts, take_log, lg);
}

/*
 * A SYN flood against a full table while 200 established flows are in
 * their first 30 seconds (filed earlier than the embryonic ones would
 * be): none of them is evicted, every victim is an embryonic flow, and
 * the pressure is reported as one anomaly per burst with its count.
 */
static void
test_tracker_syn_flood_many_established(void **state)
{
	static struct ev_log lg;
	struct fc_tracker *tr = mk("tr_flood2", 250);
	struct frame fr[32];
	char src[32];
	unsigned int i, j, n_pressure = 0;
	uint64_t pressure = 0;

	(void)state;
	lg.n = 0;
	for (i = 0; i < 200; i += 10) {
		for (j = 0; j < 10; j++) {
			snprintf(src, sizeof(src), "10.1.%u.%u", (i + j) / 200, (i + j) % 200 + 1);
			tcp_frame(&fr[3 * j], src, 50000, "10.0.0.2", 443, FCTEST_TCP_SYN, 1, 0, 0);
			tcp_frame(&fr[3 * j + 1], "10.0.0.2", 443, src, 50000,
				  FCTEST_TCP_SYN | FCTEST_TCP_ACK, 9, 2, 0);
			tcp_frame(&fr[3 * j + 2], src, 50000, "10.0.0.2", 443,
				  FCTEST_TCP_ACK, 2, 10, 0);
		}
		feed_log(tr, fr, 30, T0, &lg);
	}
	assert_int_equal(fc_tracker_active(tr), 200);
	lg.n = 0;
	for (i = 0; i < 1000; i += 32) {
		for (j = 0; j < 32; j++) {
			snprintf(src, sizeof(src), "172.16.%u.%u", (i + j) / 200, (i + j) % 200 + 1);
			tcp_frame(&fr[j], src, 1024, "10.0.0.2", 80, FCTEST_TCP_SYN, i + j, 0, 0);
		}
		feed_log(tr, fr, 32, T0 + 5 * SEC, &lg);
	}
	for (i = 0; i < lg.n; i++) {
		const struct fc_event *ev = &lg.ev[i];

		if (ev->type == FC_EV_FLOW_END) {
			/* only SYN-flood flows (to port 80) are victims */
			assert_int_equal(ev->u.end.reason, FC_END_EVICTED);
			assert_int_equal(ev->u.end.id.resp_p, 80);
			assert_string_equal(ev->u.end.conn_state, "S0");
		} else if (ev->type == FC_EV_ANOMALY &&
			   ev->u.anomaly.kind == FC_AN_EVICTION_PRESSURE) {
			n_pressure++;
			pressure += ev->u.anomaly.count;
		}
	}
	assert_int_equal(pressure, fc_tracker_stats(tr)->flows_evicted);
	assert_true(pressure >= 1000 - 50);
	assert_true(n_pressure <= (1000 + 31) / 32);
	assert_int_equal(fc_tracker_stats(tr)->table_full, 0);
	assert_counters_add_up(tr);
	fc_tracker_free(tr);
}

/* When the flow of frame `fr` ends idle, with the time it went idle. */
static void
expect_idle_end(struct fc_tracker *tr, struct frame *fr, unsigned int n,
		uint64_t idle_s, const char *what)
{
	static struct ev_log lg;
	static uint64_t base = T0;   /* packet time only moves forward */
	const uint64_t t0 = base;
	unsigned int i, ends = 0;

	base += (idle_s + 100) * SEC;
	lg.n = 0;
	feed_log(tr, fr, n, t0, &lg);
	fc_tracker_expire(tr, t0 + (idle_s - 1) * SEC + 999999999ull);
	drain_log(tr, &lg);
	for (i = 0; i < lg.n; i++)
		if (lg.ev[i].type == FC_EV_FLOW_END)
			fail_msg("%s: ended before %llu s", what,
				 (unsigned long long)idle_s);
	/* bounded work per call: as many calls as the seconds need */
	for (i = 0; i < 64; i++)
		fc_tracker_expire(tr, t0 + (idle_s + 20) * SEC);
	drain_log(tr, &lg);
	for (i = 0; i < lg.n; i++) {
		if (lg.ev[i].type != FC_EV_FLOW_END)
			continue;
		ends++;
		/* the last frame was sent at t0 + (n - 1) us */
		if (lg.ev[i].ts != t0 + (uint64_t)(n - 1) * 1000 + idle_s * SEC)
			fail_msg("%s: flow_end at %llu, expected %llu", what,
				 (unsigned long long)lg.ev[i].ts,
				 (unsigned long long)(t0 + (n - 1) * 1000 + idle_s * SEC));
	}
	if (ends != 1)
		fail_msg("%s: %u flow_end", what, ends);
}

/*
 * Idle timeouts by protocol and TCP state, and per-port overrides: an
 * override replaces the established/UDP timeout, the embryonic, closing,
 * closed and partial ones still apply. flow_end carries the moment the
 * flow went idle, not when the wheel noticed.
 */
static void
test_tracker_timeouts_by_state(void **state)
{
	struct fc_tracker_params p;
	struct fc_tracker *tr;
	struct frame fr[4];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.name = "tr_tmo";
	p.max_flows = 1000;
	p.socket_id = SOCKET_ID_ANY;
	p.event_mask = FC_EV_BIT(FC_EV_MAX) - 1;
	p.n_port_timeouts = 1;
	p.port_timeouts[0].proto = IPPROTO_TCP;
	p.port_timeouts[0].port = 179;
	p.port_timeouts[0].timeout_s = 3600;
	tr = fc_tracker_create(&p);
	assert_non_null(tr);

	tcp_frame(&fr[0], "10.0.0.1", 40000, "10.0.0.2", 80, FC_TCP_SYN, 1, 0, 0);
	expect_idle_end(tr, fr, 1, 30, "embryonic");
	tcp_frame(&fr[0], "10.0.0.1", 40001, "10.0.0.2", 179, FC_TCP_SYN, 1, 0, 0);
	expect_idle_end(tr, fr, 1, 30, "embryonic on an overridden port");
	tcp_frame(&fr[0], "10.0.0.1", 40002, "10.0.0.2", 179, FC_TCP_SYN, 1, 0, 0);
	tcp_frame(&fr[1], "10.0.0.2", 179, "10.0.0.1", 40002, FC_TCP_SYN | FC_TCP_ACK, 9, 2, 0);
	tcp_frame(&fr[2], "10.0.0.1", 40002, "10.0.0.2", 179, FC_TCP_ACK, 2, 10, 0);
	expect_idle_end(tr, fr, 3, 3600, "established on an overridden port");
	tcp_frame(&fr[0], "10.0.0.1", 40003, "10.0.0.2", 80, FC_TCP_SYN, 1, 0, 0);
	tcp_frame(&fr[1], "10.0.0.2", 80, "10.0.0.1", 40003, FC_TCP_SYN | FC_TCP_ACK, 9, 2, 0);
	tcp_frame(&fr[2], "10.0.0.1", 40003, "10.0.0.2", 80, FC_TCP_ACK, 2, 10, 0);
	expect_idle_end(tr, fr, 3, 300, "established");
	tcp_frame(&fr[3], "10.0.0.1", 40004, "10.0.0.2", 80, FC_TCP_FIN | FC_TCP_ACK, 2, 10, 0);
	tcp_frame(&fr[0], "10.0.0.1", 40004, "10.0.0.2", 80, FC_TCP_SYN, 1, 0, 0);
	tcp_frame(&fr[1], "10.0.0.2", 80, "10.0.0.1", 40004, FC_TCP_SYN | FC_TCP_ACK, 9, 2, 0);
	tcp_frame(&fr[2], "10.0.0.1", 40004, "10.0.0.2", 80, FC_TCP_ACK, 2, 10, 0);
	expect_idle_end(tr, fr, 4, 30, "closing");
	tcp_frame(&fr[0], "10.0.0.1", 40005, "10.0.0.2", 80, FC_TCP_FIN | FC_TCP_ACK, 1, 1, 0);
	expect_idle_end(tr, fr, 1, 3, "partial");
	udp_frame(&fr[0], "10.0.0.1", 5000, "10.0.0.2", 6000);
	expect_idle_end(tr, fr, 1, 60, "udp");
	udp_frame(&fr[0], "10.0.0.1", 5000, "10.0.0.2", 53);
	expect_idle_end(tr, fr, 1, 10, "udp/53");
	assert_counters_add_up(tr);
	fc_tracker_free(tr);
}

/*
 * drop_flow overflow with anomalies on: the flow's out_of_order and
 * buffer_overflow anomalies come before its flow_end, at packet time.
 */
static void
test_tracker_anomalies_before_overflow_end(void **state)
{
	static struct ev_log lg;
	struct sink_buf b;
	struct fc_tracker_stream_cb cb;
	struct fc_tracker *tr;
	struct frame fr[6];
	const unsigned int order[] = { 1, 2, 3, 4, 5, 0 };
	unsigned int i, end_at = 0, an = 0;

	(void)state;
	memset(&b, 0, sizeof(b));
	lg.n = 0;
	tr = mk_reasm("tr_an", &b, &cb, FC_REASM_DROP_FLOW, 2);
	handshake(tr, &(struct counts){ 0 });
	client_segments(fr, order, 6);
	feed_log(tr, fr, 6, T0 + SEC, &lg);
	for (i = 0; i < lg.n; i++) {
		if (lg.ev[i].type == FC_EV_FLOW_END) {
			assert_int_equal(lg.ev[i].u.end.reason, FC_END_BUFFER_OVERFLOW);
			end_at = i;
		} else if (lg.ev[i].type == FC_EV_ANOMALY) {
			assert_true(end_at == 0);
			assert_true(lg.ev[i].ts >= T0 + SEC &&
				    lg.ev[i].ts <= T0 + SEC + 6 * 1000);
			an++;
		}
	}
	assert_true(end_at > 0);
	assert_true(an >= 2);
	fc_tracker_free(tr);
}

/*
 * A hole the sender never fills: the sender's later pure ACKs (no
 * payload) let the out-of-order deadline run, so the data behind the hole
 * is delivered (after a gap) before the flow ends.
 */
static void
test_tracker_reasm_deadline_on_pure_ack(void **state)
{
	struct sink_buf b;
	struct fc_tracker_stream_cb cb;
	struct fc_tracker *tr;
	struct frame fr[3];
	const unsigned int order[] = { 0, 2, 3 };
	struct counts c;

	(void)state;
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	tr = mk_reasm("tr_dl", &b, &cb, FC_REASM_SLIDING_WINDOW, 16);
	handshake(tr, &c);
	client_segments(fr, order, 3);
	feed(tr, fr, 3, T0 + SEC, &c);
	assert_int_equal(b.len[0], 10); /* segment 0 only; 2 and 3 wait */
	tcp_frame(&fr[0], "10.0.0.1", 40000, "10.0.0.2", 80, FC_TCP_ACK, 1041, 5001, 0);
	feed(tr, fr, 1, T0 + 3 * SEC, &c);
	assert_int_equal(b.gaps[0], 10);
	assert_int_equal(b.len[0], 30);
	assert_int_equal(b.ends, 0);
	fc_tracker_free(tr);
}

/* Fill in the TCP checksum of an Ethernet + IPv4 (20 bytes) + TCP frame. */
static void
tcp_csum_fix(struct frame *fr, int corrupt)
{
	uint8_t *ip = fr->buf + 14, *tcp = ip + 20;
	uint32_t len = ((uint32_t)ip[2] << 8 | ip[3]) - 20, sum = 0, i;

	tcp[16] = tcp[17] = 0;
	for (i = 0; i < 8; i += 2)
		sum += (uint32_t)ip[12 + i] << 8 | ip[13 + i];
	sum += IPPROTO_TCP + len;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)tcp[i] << 8 | tcp[i + 1];
	if (len & 1)
		sum += (uint32_t)tcp[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	if (corrupt)
		sum ^= 0x0100;
	tcp[16] = (uint8_t)(sum >> 8);
	tcp[17] = (uint8_t)sum;
}

/* A tracker of every event type, checksum verification on or off. */
static struct fc_tracker *
mk_checksums(const char *name, unsigned int verify)
{
	struct fc_tracker_params p;
	struct fc_tracker *tr;

	params_all(&p, name, 64);
	p.verify_checksums = (uint8_t)verify;
	tr = fc_tracker_create(&p);
	assert_non_null(tr);
	return tr;
}

/* Feed n frames at T0 into fresh counts c, then end every flow. */
static void
feed_and_end(struct fc_tracker *tr, struct frame *fr, unsigned int n,
	     struct counts *c)
{
	memset(c, 0, sizeof(*c));
	feed(tr, fr, n, T0, c);
	while (fc_tracker_end_all(tr, 0) > 0)
		drain(tr, c);
	drain(tr, c);
}

/*
 * verify_checksums: a segment with a bad TCP checksum leaves Zeek's C (c
 * for the responder) in the history and is counted with its flow, but
 * does not move the TCP machine; without the option it is an ordinary
 * packet. A UDP datagram with a bad checksum is counted (payload
 * included) but leaves only C: the next good datagram of its side is
 * still that side's first data, D.
 */
static void
test_tracker_bad_checksum(void **state)
{
	unsigned int verify;

	(void)state;
	for (verify = 0; verify <= 1; verify++) {
		struct fc_tracker *tr = mk_checksums(verify ? "tr_csum1" : "tr_csum0", verify);
		struct frame fr[5];
		struct counts c;
		unsigned int i;

		tcp_frame(&fr[0], "10.0.0.1", 40000, "10.0.0.2", 80, FC_TCP_SYN, 1000, 0, 0);
		tcp_frame(&fr[1], "10.0.0.2", 80, "10.0.0.1", 40000,
			  FC_TCP_SYN | FC_TCP_ACK, 5000, 1001, 0);
		tcp_frame(&fr[2], "10.0.0.1", 40000, "10.0.0.2", 80, FC_TCP_ACK, 1001, 5001, 0);
		/* a corrupted FIN from the server: must not close anything */
		tcp_frame(&fr[3], "10.0.0.2", 80, "10.0.0.1", 40000,
			  FC_TCP_FIN | FC_TCP_ACK, 5001, 1001, 0);
		tcp_frame(&fr[4], "10.0.0.1", 40000, "10.0.0.2", 80,
			  FC_TCP_ACK | FC_TCP_PSH, 1001, 5001, 20);
		for (i = 0; i < 5; i++)
			tcp_csum_fix(&fr[i], i == 3);
		feed_and_end(tr, fr, 5, &c);
		assert_int_equal(c.type[FC_EV_FLOW_END], 1);
		assert_int_equal(c.last_end.u.end.pkts[0], 3);
		assert_int_equal(c.last_end.u.end.pkts[1], 2);
		if (verify) {
			assert_string_equal(c.last_end.u.end.history, "ShAcD");
			assert_int_equal(fc_tracker_stats(tr)->bad_checksum, 1);
			assert_string_equal(fc_tcp_state_name(c.last_end.u.end.state),
					    "established");
		} else {
			assert_string_equal(c.last_end.u.end.history, "ShAfD");
			assert_int_equal(fc_tracker_stats(tr)->bad_checksum, 0);
		}
		assert_counters_add_up(tr);
		fc_tracker_free(tr);

		/* UDP: a bad datagram leaves C, the next good one is still D */
		tr = mk_checksums(verify ? "tr_ucsum1" : "tr_ucsum0", verify);
		udp_frame(&fr[0], "10.0.0.1", 5000, "10.0.0.2", 6000);
		udp_frame(&fr[1], "10.0.0.1", 5000, "10.0.0.2", 6000);
		udp_frame(&fr[2], "10.0.0.2", 6000, "10.0.0.1", 5000);
		/* UDP checksum (Ethernet 14 + IPv4 20 + 6): wrong, then none */
		fr[0].buf[40] = 0x12;
		fr[0].buf[41] = 0x34;
		fr[1].buf[40] = fr[1].buf[41] = 0;
		fr[2].buf[40] = fr[2].buf[41] = 0;
		feed_and_end(tr, fr, 3, &c);
		assert_int_equal(c.type[FC_EV_FLOW_END], 1);
		assert_int_equal(c.last_end.u.end.pkts[0], 2);
		assert_int_equal(c.last_end.u.end.payload_bytes[0], 10);
		assert_string_equal(c.last_end.u.end.history, verify ? "CDd" : "Dd");
		assert_counters_add_up(tr);
		fc_tracker_free(tr);
	}
}

/*
 * A VXLAN frame of inner UDP src:sport -> 192.168.0.9:53 between VTEPs
 * 10.9.0.1 and 10.9.0.2: the request from outer port osport, the reply
 * to outer port osport + 1 (each VTEP picks its own source port), so the
 * two directions are two outer flows that must stay on one tracker.
 */
static void
vxlan_frame(struct frame *fr, uint16_t osport, const char *src, uint16_t sport, int reply)
{
	struct fctest_pkt p;
	struct fctest_ip4 o = { .src = reply ? "10.9.0.2" : "10.9.0.1",
				.dst = reply ? "10.9.0.1" : "10.9.0.2" };
	struct fctest_ip4 in = { .src = reply ? "192.168.0.9" : src,
				 .dst = reply ? src : "192.168.0.9" };

	fctest_pkt_init(&p, fr->buf, sizeof(fr->buf));
	fctest_pkt_eth(&p, NULL, NULL, 0);
	fctest_pkt_ip4(&p, &o);
	fctest_pkt_udp(&p, reply ? 4789 : osport, reply ? (uint16_t)(osport + 1) : 4789);
	fctest_pkt_vxlan(&p, FCTEST_VXLAN_I, 77);
	fctest_pkt_eth(&p, NULL, NULL, 0);
	fctest_pkt_ip4(&p, &in);
	fctest_pkt_udp(&p, reply ? 53 : sport, reply ? sport : 53);
	fctest_pkt_bytes(&p, "q", 1);
	assert_true(fctest_pkt_finish(&p) > 0);
	fr->len = p.len;
}

/* flow_end records by identity, for comparing sets. */
struct end_set {
	unsigned int n;
	char id[64][96];
};

static void
take_ends(struct fc_tracker *tr, void *arg)
{
	struct end_set *s = arg;
	unsigned int n, i;
	const struct fc_event *ev = fc_tracker_events(tr, &n);

	for (i = 0; i < n; i++) {
		const struct fc_event_flow_end *e = &ev[i].u.end;

		if (ev[i].type != FC_EV_FLOW_END)
			continue;
		assert_true(s->n < FC_DIM(s->id));
		snprintf(s->id[s->n++], sizeof(s->id[0]),
			 "%u %u.%u.%u.%u:%u %u.%u.%u.%u:%u %" PRIu64 "/%" PRIu64 " tun %u",
			 e->id.proto, e->id.orig_h[0], e->id.orig_h[1], e->id.orig_h[2],
			 e->id.orig_h[3], e->id.orig_p, e->id.resp_h[0], e->id.resp_h[1],
			 e->id.resp_h[2], e->id.resp_h[3], e->id.resp_p, e->pkts[0], e->pkts[1],
			 e->id.tunnel);
	}
	fc_tracker_events_clear(tr);
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Trackers sharing one input (share_count 3, each given every frame):
 * every frame is kept by exactly one (frames + frames_foreign = all,
 * the kept frames add up), each VXLAN tunnel's outer flow and inner
 * flows stay on one tracker although the outer source port differs per
 * inner flow, and together they end the same flows with the same
 * counters as one tracker given everything.
 */
static void
test_tracker_share(void **state)
{
	struct frame fr[48];
	struct end_set one, parts;
	unsigned int i, n = 0, t, kept = 0;
	char src[32];

	(void)state;
	for (i = 0; i < 12; i++) {
		snprintf(src, sizeof(src), "10.1.%u.%u", i, i * 7 + 1);
		tcp_frame(&fr[n++], src, (uint16_t)(40000 + i), "10.2.0.1", 80, FC_TCP_SYN, 1, 0, 0);
		tcp_frame(&fr[n++], "10.2.0.1", 80, src, (uint16_t)(40000 + i),
			  FC_TCP_SYN | FC_TCP_ACK, 9, 2, 0);
	}
	for (i = 0; i < 12; i++) {
		snprintf(src, sizeof(src), "172.16.%u.1", i);
		vxlan_frame(&fr[n++], (uint16_t)(50000 + i * 13), src, (uint16_t)(3000 + i), 0);
		vxlan_frame(&fr[n++], (uint16_t)(50000 + i * 13), src, (uint16_t)(3000 + i), 1);
	}
	memset(&one, 0, sizeof(one));
	memset(&parts, 0, sizeof(parts));
	{
		struct fc_tracker *tr = mk("tr_share_all", 256);

		feed_to(tr, fr, n, T0, take_ends, &one);
		while (fc_tracker_end_all(tr, 0) > 0)
			take_ends(tr, &one);
		take_ends(tr, &one);
		assert_int_equal(fc_tracker_stats(tr)->frames, n);
		assert_int_equal(fc_tracker_stats(tr)->frames_foreign, 0);
		fc_tracker_free(tr);
	}
	for (t = 0; t < 3; t++) {
		struct fc_tracker_params p;
		struct fc_tracker *tr;
		char name[32];

		snprintf(name, sizeof(name), "tr_share%u", t);
		params_all(&p, name, 256);
		p.share_count = 3;
		p.share_index = (uint8_t)t;
		tr = fc_tracker_create(&p);
		assert_non_null(tr);
		feed_to(tr, fr, n, T0, take_ends, &parts);
		while (fc_tracker_end_all(tr, 0) > 0)
			take_ends(tr, &parts);
		take_ends(tr, &parts);
		assert_int_equal(fc_tracker_stats(tr)->frames +
				 fc_tracker_stats(tr)->frames_foreign, n);
		kept += (unsigned int)fc_tracker_stats(tr)->frames;
		/* Every share's clock followed every frame. */
		assert_int_equal(fc_tracker_now(tr), T0 + (n - 1) * 1000);
		assert_counters_add_up(tr);
		fc_tracker_free(tr);
	}
	assert_int_equal(kept, n);
	assert_int_equal(one.n, parts.n);
	qsort(one.id, one.n, sizeof(one.id[0]), cmp_id);
	qsort(parts.id, parts.n, sizeof(parts.id[0]), cmp_id);
	for (i = 0; i < one.n; i++)
		assert_string_equal(one.id[i], parts.id[i]);
	/* A share outside its count is refused. */
	{
		struct fc_tracker_params p;

		memset(&p, 0, sizeof(p));
		p.name = "tr_share_bad";
		p.max_flows = 64;
		p.socket_id = SOCKET_ID_ANY;
		p.share_count = 2;
		p.share_index = 2;
		assert_null(fc_tracker_create(&p));
		assert_int_equal(rte_errno, EINVAL);
	}
}

/*
 * fc_tracker_memory_need() is enough: a DPDK heap of exactly that size
 * (external memory, 4 KiB pages, rounded up to a page) holds the whole
 * tracker - table, event buffer, reassembly pool and streams, session
 * parsers - in each combination, at two sizes; the tracker then reports
 * no more than the need, and a heap a tenth smaller does not hold it.
 */
static void
test_tracker_memory_need(void **state)
{
	static const uint32_t flows[] = { 1000, 50000 };
	unsigned int combo, fi, k = 0;

	(void)state;
	for (fi = 0; fi < FC_DIM(flows); fi++)
		for (combo = 0; combo < 4; combo++) {
			struct fc_tracker_params p;
			struct fc_tracker *tr;
			char heap[32], name[32];
			uint64_t need, len, shrink;
			void *mem;

			params_all(&p, NULL, flows[fi]);
			p.reasm_enabled = combo & 1;
			p.reasm.memcap = 4u << 20;
			p.reasm.max_streams = 4096;
			p.l7_enabled = (combo >> 1) & 1;
			need = fc_tracker_memory_need(&p);
			for (shrink = 0; shrink <= 1; shrink++) {
				len = RTE_ALIGN_CEIL(shrink ? need - need / 10 : need, 4096);
				mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				assert_true(mem != MAP_FAILED);
				snprintf(heap, sizeof(heap), "fc_need%u", k);
				snprintf(name, sizeof(name), "tr_need%u", k++);
				assert_int_equal(rte_malloc_heap_create(heap), 0);
				assert_int_equal(rte_malloc_heap_memory_add(heap, mem, len, NULL,
									    (unsigned int)(len / 4096),
									    4096), 0);
				p.name = name;
				p.table_heap = heap;
				tr = fc_tracker_create(&p);
				if (!shrink) {
					if (tr == NULL)
						fail_msg("%u flows, reasm %u, l7 %u: no room in a "
							 "heap of the need (%" PRIu64 " bytes): %s",
							 flows[fi], p.reasm_enabled, p.l7_enabled,
							 need, rte_strerror(rte_errno));
					assert_true(fc_tracker_memory(tr) <= need);
				} else if (tr != NULL) {
					fail_msg("%u flows, reasm %u, l7 %u: the need (%" PRIu64
						 " bytes) is a tenth too generous", flows[fi],
						 p.reasm_enabled, p.l7_enabled, need);
				}
				fc_tracker_free(tr);
				assert_int_equal(rte_malloc_heap_memory_remove(heap, mem, len), 0);
				assert_int_equal(rte_malloc_heap_destroy(heap), 0);
				munmap(mem, len);
			}
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tracker_memory_need),
		cmocka_unit_test(test_tracker_share),
		cmocka_unit_test(test_tracker_tcp_session_one_burst),
		cmocka_unit_test(test_tracker_synack_first_orig_is_receiver),
		cmocka_unit_test(test_tracker_syn_flood_keeps_established),
		cmocka_unit_test(test_tracker_udp_idle_by_packet_time),
		cmocka_unit_test(test_tracker_reuse_after_rst),
		cmocka_unit_test(test_tracker_unkeyed_frames_counted),
		cmocka_unit_test(test_tracker_event_buffer_backpressure),
		cmocka_unit_test(test_tracker_flow_update_interval),
		cmocka_unit_test(test_tracker_end_all_idle_vs_shutdown),
		cmocka_unit_test(test_tracker_end_all_resumes),
		cmocka_unit_test(test_tracker_reasm_reorder),
		cmocka_unit_test(test_tracker_reasm_drop_flow),
		cmocka_unit_test(test_tracker_syn_flood_many_established),
		cmocka_unit_test(test_tracker_timeouts_by_state),
		cmocka_unit_test(test_tracker_anomalies_before_overflow_end),
		cmocka_unit_test(test_tracker_reasm_deadline_on_pure_ack),
		cmocka_unit_test(test_tracker_bad_checksum),
	};

	return cmocka_run_group_tests(tests, fctest_eal_setup,
				      fctest_eal_teardown);
}
