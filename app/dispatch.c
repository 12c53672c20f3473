/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software dispatch lcore, for devices that cannot spread flows
 * themselves (pcap, af_packet, null, ring, memif): it reads every RX
 * queue, computes for each frame the share hash of its flow (fc_key.h,
 * SHARES: the same for both directions) and hands the mbuf to worker
 * (hash * n_workers) >> 32 over that worker's SP/SC ring.
 *
 * Which key: the outer flow decides (fc_key_carrier() in fc_key.c says
 * how tunnels are kept together), so an outer flow is never split and an
 * inner flow lands where its outer flow is. Workers that share a capture
 * file (rx_lcore.c) use the same rule inside the tracker.
 *
 * Offline, the dispatch lcore also publishes the packet time of the
 * newest frame it handed over: a worker whose ring is empty has processed
 * every frame up to that time, so it may expire its flows with it. The
 * workers thus share one packet clock, and a flow ends idle or at
 * shutdown exactly as it would with a single worker.
 *
 * A full worker ring: policy hold waits for room (offline runs lose
 * nothing), policy drop frees the frame and counts it. The end of every
 * port (pcap file) or stop_rx ends the lcore; `done` tells the workers
 * that nothing more will come.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <fc_key.h>
#include <fc_pkt.h>

#include "app.h"

#define DISPATCH_BURST 32
#define SCRATCH_LEN (64 * 1024 + 256) /* largest IP packet plus link headers */

/* Worker of one frame: its outer flow key, tunnels kept together. */
static unsigned int
worker_of(const struct app_ctx *ctx, struct rte_mbuf *m, uint8_t *scratch)
{
	const struct fc_tracker_params *tp = &ctx->opt.tracker;
	struct fc_pkt_meta meta;
	struct fc_flow_key k;
	const uint8_t *data;
	uint32_t len = m->pkt_len < SCRATCH_LEN ? m->pkt_len : SCRATCH_LEN;
	uint32_t h;
	uint8_t dir;

	data = m->nb_segs == 1 ? rte_pktmbuf_mtod(m, const uint8_t *) :
		rte_pktmbuf_read(m, 0, len, scratch);
	if (data == NULL)
		return 0;
	if (m->nb_segs == 1)
		len = m->data_len;
	/* Read off the headers where it can be, else decoded and keyed. */
	if (fc_key_share_frame(&tp->key, &tp->pkt, data, len, tp->hash_seed, &h) != 0) {
		fc_pkt_decode(data, len, 0, &tp->pkt, &meta);
		if (fc_key_share_decoded(&tp->key, &tp->pkt, &meta, tp->hash_seed,
					 &k, &dir, &h) != 0)
			return 0;
	}
	return fc_key_share_index(h, ctx->n_workers);
}

int
app_dispatch_main(void *arg)
{
	struct app_ctx *ctx = arg;
	struct app_dispatch *d = &ctx->dispatch;
	struct rte_mbuf *pkts[DISPATCH_BURST];
	struct rte_mbuf *per[APP_MAX_WORKERS][DISPATCH_BURST];
	unsigned int cnt[APP_MAX_WORKERS];
	uint8_t *scratch = rte_malloc("dispatch_scratch", SCRATCH_LEN, 0);
	unsigned int idle_us = 0;

	if (scratch == NULL) {
		fprintf(stderr, "flowscope: dispatch: cannot allocate the scratch buffer\n");
		*ctx->quit = 1;
		d->done = 1;
		return -ENOMEM;
	}
	while (!ctx->stop_rx) {
		unsigned int i, live = 0, got = 0;
		uint64_t newest = 0;

		for (i = 0; i < d->n_rxq; i++) {
			struct app_rxq *r = &d->rxq[i];
			struct app_port *p = &ctx->ports[r->port];
			uint16_t n, j;

			if (r->eof)
				continue;
			live++;
			n = rte_eth_rx_burst(p->port_id, r->queue, pkts,
					     DISPATCH_BURST);
			if (n == 0) {
				struct rte_eth_stats st;

				if (!p->is_pcap_file)
					continue;
				if (rte_eth_stats_get(p->port_id, &st) == 0 &&
				    st.rx_nombuf == r->last_nombuf)
					r->eof = 1;
				r->last_nombuf = st.rx_nombuf;
				continue;
			}
			got += n;
			d->frames += n;
			if (ctx->packet_clock && ctx->ts_dynfield >= 0 &&
			    (pkts[n - 1]->ol_flags & ctx->ts_dynflag))
				newest = *RTE_MBUF_DYNFIELD(pkts[n - 1], ctx->ts_dynfield,
							    rte_mbuf_timestamp_t *) *
					FC_NS_PER_USEC;
			memset(cnt, 0, sizeof(cnt[0]) * ctx->n_workers);
			for (j = 0; j < n; j++) {
				unsigned int wi = worker_of(ctx, pkts[j], scratch);

				per[wi][cnt[wi]++] = pkts[j];
			}
			for (unsigned int wi = 0; wi < ctx->n_workers; wi++) {
				unsigned int sent = 0, wait = 0;

				while (sent < cnt[wi]) {
					sent += rte_ring_sp_enqueue_burst(ctx->workers[wi].in,
						(void **)per[wi] + sent, cnt[wi] - sent, NULL);
					if (sent == cnt[wi])
						break;
					if (ctx->hold && !*ctx->quit) {
						d->hold_waits++;
						wait = wait == 0 ? 1 : (wait < 64 ? wait * 2 : 64);
						if (wait < 16)
							rte_pause();
						else
							usleep(wait);
						continue;
					}
					d->dropped += cnt[wi] - sent;
					rte_pktmbuf_free_bulk(per[wi] + sent, cnt[wi] - sent);
					break;
				}
			}
		}
		/* Published after the frames: a worker whose ring is empty has seen every frame up to it. */
		if (newest > d->clock) {
			rte_smp_wmb();
			d->clock = newest;
		}
		if (live == 0)
			break;
		if (got > 0 || ctx->packet_clock) {
			idle_us = 0;
		} else {
			idle_us = idle_us == 0 ? 1 : idle_us * 2;
			if (idle_us > ctx->opt.lcores.idle_backoff_us)
				idle_us = ctx->opt.lcores.idle_backoff_us;
			if (idle_us < 16)
				rte_pause();
			else
				usleep(idle_us);
		}
	}
	rte_free(scratch);
	rte_smp_wmb();
	d->done = 1;
	return 0;
}
