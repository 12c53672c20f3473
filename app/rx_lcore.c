/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RX loop: rx_burst -> fc_tracker_burst -> events -> sink, with
 * bounded idle expiry after every poll.
 *
 * Frames that span several mbufs are copied into a per-slot scratch
 * buffer (allocated once) so the decoder sees contiguous bytes; frames
 * longer than that buffer are truncated to it and counted. Timestamps
 * are the capture time (net_pcap's RX timestamp, in microseconds) when
 * every port replays a file, else the wall clock.
 *
 * End of input: for a pcap file, the first empty poll that is not caused
 * by mbuf exhaustion (rx_nombuf unchanged) is the end of the file. Then
 * every open flow ends with reason `shutdown` and a final stats object is
 * written. Idle live ports back off (up to 1 ms) instead of spinning.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>

#include "app.h"

#define RX_BURST FC_TRACKER_BURST
#define SCRATCH_LEN 16384
#define IDLE_SLEEP_MAX_US 1000

struct rx_state {
	struct rte_mbuf *pkts[RX_BURST];
	struct fc_frame frames[RX_BURST];
	uint8_t *scratch;              /**< RX_BURST x SCRATCH_LEN */
	uint64_t wall_base_ns;         /**< wall clock at tsc_base */
	uint64_t tsc_base;
	uint64_t tsc_hz;
	uint64_t next_stats_ns;        /**< packet time of the next periodic stats */
};

static uint64_t
wall_ns(const struct rx_state *rs)
{
	uint64_t d = rte_rdtsc() - rs->tsc_base;

	return rs->wall_base_ns + d / rs->tsc_hz * FC_NS_PER_SEC +
		(d % rs->tsc_hz) * FC_NS_PER_SEC / rs->tsc_hz;
}

/* Hand the tracker's events to the sink and forget them. */
static void
drain_events(struct app_ctx *ctx)
{
	const struct fc_event *ev;
	unsigned int n;

	ev = fc_tracker_events(ctx->tracker, &n);
	if (n == 0)
		return;
	if (app_sinks_write(&ctx->sinks, ev, n) == -EPIPE)
		*ctx->quit = 1;
	fc_tracker_events_clear(ctx->tracker);
}

static void
track_frames(struct app_ctx *ctx, struct rx_state *rs, unsigned int n)
{
	unsigned int done = 0;

	while (done < n) {
		done += fc_tracker_burst(ctx->tracker, rs->frames + done,
					 n - done);
		drain_events(ctx);
	}
}

static void
fill_frames(struct app_ctx *ctx, struct rx_state *rs, unsigned int n)
{
	uint64_t now = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = rs->pkts[i];
		struct fc_frame *f = &rs->frames[i];

		if (m->nb_segs == 1) {
			f->data = rte_pktmbuf_mtod(m, const uint8_t *);
			f->cap_len = m->data_len;
		} else {
			uint32_t len = m->pkt_len;
			uint8_t *buf = rs->scratch + (size_t)i * SCRATCH_LEN;

			if (len > SCRATCH_LEN) {
				len = SCRATCH_LEN;
				ctx->rx_oversize++;
			}
			f->data = rte_pktmbuf_read(m, 0, len, buf);
			f->cap_len = f->data != NULL ? len : 0;
			ctx->rx_linearized++;
		}
		f->wire_len = 0; /* the PMD does not report it: decode estimates */
		if (ctx->packet_clock && ctx->ts_dynfield >= 0 &&
		    (m->ol_flags & ctx->ts_dynflag)) {
			uint64_t us = *RTE_MBUF_DYNFIELD(m, ctx->ts_dynfield,
							 rte_mbuf_timestamp_t *);
			f->ts = us * FC_NS_PER_USEC;
		} else {
			if (now == 0)
				now = wall_ns(rs);
			f->ts = now;
		}
	}
}

/* 1 once every port has reached its end. */
static int
poll_ports(struct app_ctx *ctx, struct rx_state *rs, unsigned int *got)
{
	unsigned int i, live = 0;

	*got = 0;
	for (i = 0; i < ctx->n_ports; i++) {
		struct app_port *p = &ctx->ports[i];
		uint16_t n;

		if (p->eof)
			continue;
		live++;
		n = rte_eth_rx_burst(p->port_id, 0, rs->pkts, RX_BURST);
		if (n == 0) {
			struct rte_eth_stats st;

			if (!p->is_pcap_file)
				continue;
			if (rte_eth_stats_get(p->port_id, &st) == 0 &&
			    st.rx_nombuf == p->last_nombuf)
				p->eof = 1;
			p->last_nombuf = st.rx_nombuf;
			continue;
		}
		ctx->rx_frames += n;
		*got += n;
		fill_frames(ctx, rs, n);
		track_frames(ctx, rs, n);
		rte_pktmbuf_free_bulk(rs->pkts, n);
	}
	return live == 0;
}

static void
periodic_stats(struct app_ctx *ctx, struct rx_state *rs)
{
	uint64_t now = fc_tracker_now(ctx->tracker);

	if (ctx->opt.stats_interval == 0 || !ctx->opt.print_stats || now == 0)
		return;
	if (rs->next_stats_ns == 0)
		rs->next_stats_ns = now + ctx->opt.stats_interval * FC_NS_PER_SEC;
	if (now >= rs->next_stats_ns) {
		app_stats_emit(ctx, 0);
		rs->next_stats_ns = now + ctx->opt.stats_interval * FC_NS_PER_SEC;
	}
}

int
app_rx_loop(struct app_ctx *ctx)
{
	struct rx_state rs;
	struct timespec tp;
	unsigned int idle_us = 0, got;

	memset(&rs, 0, sizeof(rs));
	rs.scratch = rte_malloc("rx_scratch", (size_t)RX_BURST * SCRATCH_LEN, 0);
	if (rs.scratch == NULL) {
		fprintf(stderr, "flowscope: cannot allocate the RX scratch buffers\n");
		return -ENOMEM;
	}
	clock_gettime(CLOCK_REALTIME, &tp);
	rs.wall_base_ns = (uint64_t)tp.tv_sec * FC_NS_PER_SEC + (uint64_t)tp.tv_nsec;
	rs.tsc_base = rte_rdtsc();
	rs.tsc_hz = rte_get_tsc_hz();
	ctx->start_tsc = rs.tsc_base;

	while (!*ctx->quit) {
		int done = poll_ports(ctx, &rs, &got);
		int offline = ctx->packet_clock;

		/* Live: the clock moves without packets; offline: packet time only. */
		fc_tracker_expire(ctx->tracker, offline ? 0 : wall_ns(&rs));
		drain_events(ctx);
		periodic_stats(ctx, &rs);
		if (done)
			break;
		if (got > 0 || offline) {
			idle_us = 0;
		} else {
			/* Back off so oversubscribed cores still make progress. */
			idle_us = idle_us == 0 ? 1 : idle_us * 2;
			if (idle_us > IDLE_SLEEP_MAX_US)
				idle_us = IDLE_SLEEP_MAX_US;
			if (idle_us < 16)
				rte_pause();
			else
				usleep(idle_us);
		}
	}
	/* End of input (or a signal): end every open flow. */
	while (fc_tracker_end_all(ctx->tracker, 0) > 0)
		drain_events(ctx);
	drain_events(ctx);
	if (ctx->opt.print_stats)
		app_stats_emit(ctx, 1);
	rte_free(rs.scratch);
	return 0;
}
