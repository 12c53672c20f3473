/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An RX worker lcore: frames -> its tracker -> events -> export.
 *
 * Frames come from the worker's own RX queues (symmetric RSS spreads the
 * flows, so both directions of a flow reach the same worker) or, for
 * devices without RSS, from its ring filled by the dispatch lcore. The
 * worker owns its tracker (flow table, reassembly): nothing on this path
 * is shared or locked.
 *
 * Events leave in bursts: each is copied (only the bytes its type uses)
 * into an object of the worker's event mempool and the pointers are
 * enqueued on the worker's SP/SC ring to the export lcore, which writes
 * the sinks and frees the objects. When the ring is full or the pool
 * empty, policy drop counts the events per reason and goes on; policy
 * hold waits (RX stalls, the NIC counts imissed) until the export lcore
 * catches up. Without an export lcore (lcores.export off, one worker) the
 * worker writes the sinks itself.
 *
 * Frames that span several mbufs are copied into a per-slot scratch
 * buffer (allocated once); frames longer than that are truncated to it
 * and counted. Timestamps are the capture time when every port replays a
 * file, else the live clock: the TSC read once per burst and converted to
 * ns (struct app_clock), anchored to CLOCK_REALTIME so that events carry
 * wall-clock time; the same clock drives expiry.
 *
 * Offline, workers read the capture file directly (pcap_reader.c): frames
 * point into the reader's window, no mbuf, no copy. Several workers each
 * read the whole file through a reader of their own and their trackers
 * keep their share of the flows (fc_tracker_params.share_count, the
 * dispatch lcore's rule): no lcore is spent on dispatch and nothing is
 * handed between lcores.
 *
 * End: a pcap file ends at the first empty poll not caused by mbuf
 * exhaustion; a dispatch ring ends when the dispatch lcore is done and
 * the ring is empty; a signal (stop_rx) ends a live run. Then every open
 * flow ends with reason `shutdown`, the last events are handed over, and
 * `done` is set. Idle polling backs off (up to idle_backoff_us) so
 * oversubscribed cores still make progress.
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
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "app.h"
#include "pcap_reader.h"

#define RX_BURST FC_TRACKER_BURST
#define SCRATCH_LEN (64 * 1024 + 256) /* largest IP packet plus link headers */
#define EV_BURST 64

uint64_t
app_wall_ns(void)
{
	struct timespec tp;

	clock_gettime(CLOCK_REALTIME, &tp);
	return (uint64_t)tp.tv_sec * FC_NS_PER_SEC + (uint64_t)tp.tv_nsec;
}

void
app_clock_init(struct app_clock *c)
{
	memset(c, 0, sizeof(*c));
	c->hz = rte_get_tsc_hz();
	if (c->hz == 0)
		c->hz = 1;
	/* ns per tick, 32.32 fixed point (the product is taken in 128 bits) */
	c->mult = ((uint64_t)FC_NS_PER_SEC << 32) / c->hz;
	c->tsc0 = rte_rdtsc();
	c->ns0 = app_wall_ns();
	c->next_anchor = c->tsc0 + c->hz;
	c->last = c->ns0;
}

uint64_t
app_clock_now(struct app_clock *c)
{
	uint64_t tsc = rte_rdtsc(), ns;

	if (tsc >= c->next_anchor || tsc < c->tsc0) {
		/* Re-anchor to the wall clock, never going back. */
		ns = app_wall_ns();
		c->tsc0 = tsc;
		c->ns0 = ns > c->last ? ns : c->last;
		c->next_anchor = tsc + c->hz;
	}
	ns = c->ns0 + (uint64_t)(((unsigned __int128)(tsc - c->tsc0) * c->mult) >> 32);
	if (ns < c->last)
		ns = c->last;
	c->last = ns;
	return ns;
}

/* Back off while idle: pause first, then sleep up to max_us. */
static void
idle_wait(unsigned int *idle_us, unsigned int max_us)
{
	*idle_us = *idle_us == 0 ? 1 : *idle_us * 2;
	if (*idle_us > max_us)
		*idle_us = max_us;
	if (*idle_us < 16)
		rte_pause();
	else
		usleep(*idle_us);
}

/* Hand n events to the export lcore (or the sinks); never silent. */
static void
hand_over(struct app_worker *w, const struct fc_event *ev, unsigned int n)
{
	struct app_ctx *ctx = w->ctx;
	void *obj[EV_BURST];
	unsigned int i = 0, idle = 0;

	if (w->ev_ring == NULL) {
		if (app_sinks_write(&ctx->sinks, ev, n) == -EPIPE)
			*ctx->quit = 1;
		w->ex.enqueued += n;
		w->ev_exported += n;
		return;
	}
	while (i < n) {
		unsigned int k = n - i < EV_BURST ? n - i : EV_BURST;
		unsigned int j, sent;

		if (rte_mempool_get_bulk(w->ev_pool, obj, k) != 0) {
			if (ctx->hold && !*ctx->quit) {
				w->ex.hold_waits++;
				idle_wait(&idle, 100);
				continue;
			}
			/* Partial: as many single objects as there are. */
			for (k = 0; k < n - i && k < EV_BURST; k++)
				if (rte_mempool_get(w->ev_pool, &obj[k]) != 0)
					break;
			if (k == 0) {
				w->ex.drop_pool_empty += n - i;
				return;
			}
		}
		for (j = 0; j < k; j++)
			memcpy(obj[j], &ev[i + j], fc_event_size(&ev[i + j]));
		sent = 0;
		while (sent < k) {
			sent += rte_ring_sp_enqueue_burst(w->ev_ring, obj + sent,
							  k - sent, NULL);
			if (sent == k)
				break;
			if (ctx->hold && !*ctx->quit) {
				w->ex.hold_waits++;
				idle_wait(&idle, 100);
				continue;
			}
			w->ex.drop_ring_full += k - sent;
			rte_mempool_put_bulk(w->ev_pool, obj + sent, k - sent);
			break;
		}
		w->ex.enqueued += sent;
		i += k;
		idle = 0;
	}
}

static void
drain_events(struct app_worker *w)
{
	const struct fc_event *ev;
	unsigned int n;

	ev = fc_tracker_events(w->tracker, &n);
	if (n == 0)
		return;
	hand_over(w, ev, n);
	fc_tracker_events_clear(w->tracker);
}

static void
track_frames(struct app_worker *w, struct fc_frame *frames, unsigned int n)
{
	unsigned int done = 0;

	while (done < n) {
		done += fc_tracker_burst(w->tracker, frames + done, n - done);
		drain_events(w);
	}
}

void
app_frame_fill(const struct app_ctx *ctx, struct rte_mbuf *m, struct fc_frame *f,
	       uint8_t *scratch, uint64_t *now, struct app_worker *w)
{
	if (m->nb_segs == 1) {
		f->data = rte_pktmbuf_mtod(m, const uint8_t *);
		f->cap_len = m->data_len;
	} else {
		uint32_t len = m->pkt_len;

		if (len > SCRATCH_LEN) {
			len = SCRATCH_LEN;
			w->rx_oversize++;
		}
		f->data = rte_pktmbuf_read(m, 0, len, scratch);
		f->cap_len = f->data != NULL ? len : 0;
		w->rx_linearized++;
	}
	f->wire_len = 0; /* the PMD does not report it: decode estimates */
	if (ctx->packet_clock && ctx->ts_dynfield >= 0 &&
	    (m->ol_flags & ctx->ts_dynflag)) {
		uint64_t us = *RTE_MBUF_DYNFIELD(m, ctx->ts_dynfield,
						 rte_mbuf_timestamp_t *);
		f->ts = us * FC_NS_PER_USEC;
	} else {
		if (*now == 0)
			*now = app_clock_now(&w->clock);
		f->ts = *now;
	}
}

struct rx_state {
	struct rte_mbuf *pkts[RX_BURST];
	struct fc_frame frames[RX_BURST];
	uint8_t *scratch;              /**< RX_BURST x SCRATCH_LEN */
	uint64_t next_stats_ns;        /**< packet time of the next periodic stats (no export lcore) */
};

static void
process(struct app_worker *w, struct rx_state *rs, unsigned int n)
{
	uint64_t now = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		app_frame_fill(w->ctx, rs->pkts[i], &rs->frames[i],
			       rs->scratch + (size_t)i * SCRATCH_LEN, &now, w);
	w->rx_frames += n;
	track_frames(w, rs->frames, n);
	rte_pktmbuf_free_bulk(rs->pkts, n);
}

/* Poll the worker's queues; 1 once every one of them has ended. */
static int
poll_queues(struct app_worker *w, struct rx_state *rs, unsigned int *got)
{
	struct app_ctx *ctx = w->ctx;
	unsigned int i, live = 0;

	*got = 0;
	for (i = 0; i < w->n_rxq; i++) {
		struct app_rxq *r = &w->rxq[i];
		struct app_port *p = &ctx->ports[r->port];
		uint16_t n;

		if (r->eof)
			continue;
		live++;
		n = rte_eth_rx_burst(p->port_id, r->queue, rs->pkts, RX_BURST);
		if (n == 0) {
			struct rte_eth_stats st;

			/*
			 * A replayed file: an empty poll not caused by a lack
			 * of mbufs is its end (one file per queue).
			 */
			if (!p->is_pcap_file)
				continue;
			if (rte_eth_stats_get(p->port_id, &st) == 0 &&
			    st.rx_nombuf == r->last_nombuf)
				r->eof = 1;
			r->last_nombuf = st.rx_nombuf;
			continue;
		}
		*got += n;
		process(w, rs, n);
	}
	return live == 0;
}

/*
 * Read the capture file; 1 at its end. Workers that share the file (each
 * through its own reader) hand every frame to their tracker, which keeps
 * its share of the flows (fc_tracker_params.share_count) and lets the
 * others move its clock only: every worker's clock follows the whole
 * file, as one worker's would, so flows go idle and end at shutdown at
 * the same times. rx_frames counts the frames kept.
 */
static int
poll_reader(struct app_worker *w, struct rx_state *rs, unsigned int *got)
{
	const struct fc_tracker_stats *st = fc_tracker_stats(w->tracker);
	unsigned int n = app_pcap_reader_burst(w->reader, rs->frames, RX_BURST);
	uint64_t foreign = st->frames_foreign;

	*got = n;
	if (n == 0)
		return 1;
	track_frames(w, rs->frames, n);
	w->rx_frames += n - (st->frames_foreign - foreign);
	return 0;
}

/*
 * Read the dispatch ring; 1 once the dispatch lcore is done and it is
 * empty. An empty ring means every frame up to the dispatch clock read
 * before it was processed: *clock gets that time (else 0).
 */
static int
poll_ring(struct app_worker *w, struct rx_state *rs, unsigned int *got,
	  uint64_t *clock)
{
	int dispatch_done = w->ctx->dispatch.done;
	uint64_t c = w->ctx->dispatch.clock;
	unsigned int n;

	rte_smp_rmb();
	n = rte_ring_sc_dequeue_burst(w->in, (void **)rs->pkts, RX_BURST, NULL);
	*got = n;
	*clock = n == 0 ? c : 0;
	if (n > 0)
		process(w, rs, n);
	return n == 0 && dispatch_done;
}

static void
periodic_stats(struct app_worker *w, struct rx_state *rs)
{
	struct app_ctx *ctx = w->ctx;
	uint64_t now = fc_tracker_now(w->tracker);

	if (ctx->use_export || ctx->opt.stats_interval == 0 ||
	    !ctx->opt.print_stats || now == 0)
		return;
	if (rs->next_stats_ns == 0)
		rs->next_stats_ns = now + ctx->opt.stats_interval * FC_NS_PER_SEC;
	if (now >= rs->next_stats_ns) {
		app_stats_emit(ctx, 0);
		rs->next_stats_ns = now + ctx->opt.stats_interval * FC_NS_PER_SEC;
	}
}

/* Without an export lcore the worker owns the sinks: ticks and SIGHUP. */
static void
sink_chores(struct app_ctx *ctx, uint64_t *next_tick)
{
	uint64_t wall = app_wall_ns();

	if (*ctx->hup) {
		*ctx->hup = 0;
		app_sinks_reopen(&ctx->sinks);
	}
	if (wall >= *next_tick) {
		app_sinks_tick(&ctx->sinks, wall);
		*next_tick = wall + 100 * 1000 * 1000ull;
	}
	if (*ctx->quit)
		ctx->stop_rx = 1;
}

int
app_worker_main(void *arg)
{
	struct app_worker *w = arg;
	struct app_ctx *ctx = w->ctx;
	struct rx_state rs;
	unsigned int idle_us = 0, got;
	uint64_t next_tick = 0;

	memset(&rs, 0, sizeof(rs));
	app_clock_init(&w->clock);
	rs.scratch = rte_malloc_socket("rx_scratch", (size_t)RX_BURST * SCRATCH_LEN,
				       0, (int)rte_socket_id());
	if (rs.scratch == NULL) {
		fprintf(stderr, "flowscope: worker %u: cannot allocate the RX scratch buffers\n",
			w->index);
		*ctx->quit = 1;
		w->done = 1;
		return -ENOMEM;
	}
	while (!ctx->stop_rx) {
		uint64_t shared_clock = 0;
		int ended = w->reader != NULL ? poll_reader(w, &rs, &got) :
			w->in != NULL ? poll_ring(w, &rs, &got, &shared_clock) :
			poll_queues(w, &rs, &got);

		/*
		 * Live: the clock moves without packets; offline: packet time
		 * only, shared through the dispatch lcore when there is one.
		 */
		fc_tracker_expire(w->tracker, ctx->packet_clock ? shared_clock :
				  app_clock_now(&w->clock));
		drain_events(w);
		periodic_stats(w, &rs);
		if (!ctx->use_export)
			sink_chores(ctx, &next_tick);
		if (ended)
			break;
		if (got > 0 || (ctx->packet_clock && w->in == NULL))
			idle_us = 0;
		else
			idle_wait(&idle_us, ctx->opt.lcores.idle_backoff_us);
	}
	/* Stopped by a signal: take what the dispatch lcore already handed over. */
	while (w->in != NULL) {
		uint64_t c;

		if (poll_ring(w, &rs, &got, &c))
			break;
		if (got == 0)
			rte_pause();
	}
	/* End of input (or a signal): end every open flow. */
	while (fc_tracker_end_all(w->tracker, w->in != NULL && ctx->packet_clock ?
				  ctx->dispatch.clock : 0) > 0)
		drain_events(w);
	drain_events(w);
	rte_free(rs.scratch);
	rte_smp_wmb();
	w->done = 1;
	return 0;
}
