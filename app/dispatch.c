/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software dispatch lcore, for devices that cannot spread flows
 * themselves (pcap, af_packet, null, ring, memif): it reads every RX
 * queue, computes for each frame the hash of its canonical flow key -
 * the same for both directions - and hands the mbuf to worker
 * (hash * n_workers) >> 32 over that worker's SP/SC ring.
 *
 * Which key: the outer flow decides. A frame's worker is a function of
 * its outermost headers only, never of what decodes inside them, so an
 * outer flow is never split (also when some of its frames do not decode
 * as the tunnel: bubbles, GTP-U echo, a damaged header), and an inner
 * flow lands where its outer flow is, so tunnel.parent is right:
 *  - a plain frame uses its flow key (table.key mode);
 *  - a tunnel carrier (GRE, IP-in-IP, UDP to or from the VXLAN or GTP-U
 *    port) uses its outer address pair only: the two directions of a
 *    tunnel may use different outer ports (VXLAN and GTP-U pick the
 *    source port per inner flow), and all of them stay together;
 *  - Teredo: a client talks to its server (UDP port 3544) and to relays
 *    (any ports), and one inner flow may cross both (a ping test goes out
 *    through the server and comes back through a relay). So a UDP frame
 *    with port 3544 on one side uses the other endpoint (the client's
 *    address and port) only; a frame that decodes as Teredo on other
 *    ports uses the endpoint the client's Teredo address names (RFC
 *    4380: its obfuscated mapped port), when one of the two has that
 *    port; else the outer flow key. A relay flow is therefore split only
 *    if some of its frames do not decode as Teredo while others do.
 * In mac-pair mode the key has no addresses or ports to narrow: every
 * frame uses its MAC pair. Later IP fragments carry no ports and key as
 * their own flow, on one worker.
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

#define TEREDO_PORT 3544

/* Narrow k to one endpoint of the outer layer o (0 = source, 1 = destination). */
static void
key_endpoint(struct fc_flow_key *k, const struct fc_pkt_layer *o, int side)
{
	uint8_t mode = k->mode, family = k->family;
	uint16_t vlan = k->vlan;

	memset(k, 0, sizeof(*k));
	k->mode = mode;
	k->family = family;
	k->vlan = vlan;
	k->proto = IPPROTO_UDP;
	memcpy(k->addr[0], side == 0 ? o->src : o->dst, 16);
	if (mode != FC_KEY_IP_PAIR)
		k->port[0] = side == 0 ? o->sport : o->dport;
}

/*
 * The side of the outer layer o that a Teredo address of the inner layer
 * names (mapped port = ~bits 80..95 of 2001:0::/32), or -1.
 */
static int
teredo_client_side(const struct fc_pkt_layer *o, const struct fc_pkt_layer *in)
{
	const uint8_t *a[2] = { in->src, in->dst };

	for (int i = 0; i < 2; i++) {
		uint16_t port;

		if (a[i][0] != 0x20 || a[i][1] != 0x01 || a[i][2] != 0 || a[i][3] != 0)
			continue;
		port = (uint16_t)~(a[i][10] << 8 | a[i][11]);
		if (port == o->sport)
			return 0;
		if (port == o->dport)
			return 1;
	}
	return -1;
}

/* Apply the tunnel rules above to the outer flow key k. */
static void
carrier_key(const struct fc_tracker_params *tp, const struct fc_pkt_meta *m,
	    struct fc_flow_key *k)
{
	const struct fc_pkt_layer *o = &m->layer[0];
	uint16_t vx = tp->pkt.vxlan_port ? tp->pkt.vxlan_port : 4789;
	uint16_t gt = tp->pkt.gtpu_port ? tp->pkt.gtpu_port : 2152;
	int side = -1;

	if (k->family == FC_KEY_FAMILY_MAC)
		return;
	switch (o->proto) {
	case IPPROTO_GRE:
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		break;
	case IPPROTO_UDP:
		if (!o->has_l4)
			return;
		if (o->sport == vx || o->dport == vx || o->sport == gt || o->dport == gt)
			break;
		if (o->dport == TEREDO_PORT && o->sport != TEREDO_PORT)
			side = 0;
		else if (o->sport == TEREDO_PORT && o->dport != TEREDO_PORT)
			side = 1;
		else if (m->n_layers > 1 && m->layer[1].tunnel == FC_TUN_TEREDO)
			side = teredo_client_side(o, &m->layer[1]);
		if (side >= 0)
			key_endpoint(k, o, side);
		return;
	default:
		return;
	}
	/* A carrier: its outer address pair only. */
	k->port[0] = 0;
	k->port[1] = 0;
	k->proto = 0;
}

unsigned int
app_frame_worker(const struct app_ctx *ctx, const uint8_t *data, uint32_t len)
{
	const struct fc_tracker_params *tp = &ctx->opt.tracker;
	struct fc_pkt_meta meta;
	struct fc_flow_key k;
	uint8_t dir;

	fc_pkt_decode(data, len, 0, &tp->pkt, &meta);
	if (fc_key_make(&tp->key, &meta, 0, &k, &dir) != 0)
		return 0;
	if (meta.status == FC_PKT_OK && meta.n_layers > 0)
		carrier_key(tp, &meta, &k);
	return (unsigned int)(((uint64_t)fc_key_hash(&k) * ctx->n_workers) >> 32);
}

/* Worker of one mbuf. */
static unsigned int
worker_of(const struct app_ctx *ctx, struct rte_mbuf *m, uint8_t *scratch)
{
	const uint8_t *data;
	uint32_t len = m->pkt_len < SCRATCH_LEN ? m->pkt_len : SCRATCH_LEN;

	data = m->nb_segs == 1 ? rte_pktmbuf_mtod(m, const uint8_t *) :
		rte_pktmbuf_read(m, 0, len, scratch);
	if (data == NULL)
		return 0;
	if (m->nb_segs == 1)
		len = m->data_len;
	return app_frame_worker(ctx, data, len);
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
