/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: the mbuf pool and one RX queue per ethdev port. RX timestamps
 * are requested where the PMD offers them; the dynamic field that carries
 * them is looked up once here. Only a net_pcap port that replays a file
 * (rx_pcap=) has timestamps in epoch time (the capture time); when every
 * port is such a replay, the run uses packet time throughout (offline
 * semantics, end of file = end of input), otherwise the wall clock.
 *
 * Flows reach RX workers by symmetric RSS (rte_flow SYMMETRIC_TOEPLITZ
 * where the PMD has it, else the repeated 0x6d5a key: both make the two
 * directions of a flow hash alike), one queue per worker; devices
 * without RSS are read by the dispatch lcore instead (dispatch.c).
 */

#include <errno.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "app.h"

#define APP_RX_DESC 1024
#define APP_TX_DESC 64
#define APP_MBUFS 8191
#define APP_MBUF_CACHE 256

/* 1 if the port is net_pcap reading a capture file (devargs rx_pcap=). */
static int
port_replays_file(const struct rte_eth_dev_info *info)
{
	const struct rte_devargs *da;

	if (strcmp(info->driver_name, "net_pcap") != 0 || info->device == NULL)
		return 0;
	da = rte_dev_devargs(info->device);
	return da != NULL && da->args != NULL &&
		strstr(da->args, "rx_pcap=") != NULL;
}

/* The repeated 0x6d5a Toeplitz key: hash(a, b) == hash(b, a). */
static uint8_t sym_rss_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

/*
 * Ask the PMD for symmetric Toeplitz through rte_flow (one rule sending
 * every frame to RSS over all queues); 0 if it took it.
 */
static int
rss_flow_symmetric(uint16_t port, uint16_t n_rxq, uint64_t rss_hf)
{
	uint16_t queues[APP_MAX_WORKERS];
	struct rte_flow_attr attr = { .ingress = 1 };
	struct rte_flow_item pattern[] = {
		{ .type = RTE_FLOW_ITEM_TYPE_ETH },
		{ .type = RTE_FLOW_ITEM_TYPE_END },
	};
	struct rte_flow_action_rss rss = {
		.func = RTE_ETH_HASH_FUNCTION_SYMMETRIC_TOEPLITZ,
		.level = 0,
		.types = rss_hf,
		.queue_num = n_rxq,
		.queue = queues,
	};
	struct rte_flow_action actions[] = {
		{ .type = RTE_FLOW_ACTION_TYPE_RSS, .conf = &rss },
		{ .type = RTE_FLOW_ACTION_TYPE_END },
	};
	struct rte_flow_error err;

	for (uint16_t q = 0; q < n_rxq; q++)
		queues[q] = q;
	if (rte_flow_validate(port, &attr, pattern, actions, &err) != 0)
		return -ENOTSUP;
	return rte_flow_create(port, &attr, pattern, actions, &err) != NULL ? 0 : -ENOTSUP;
}

/*
 * The config entry of a port (ports: list), NULL if the list is empty
 * (every probed port with the defaults). *listed is 0 when the list is
 * not empty and does not name the port: it is left alone.
 */
static const struct app_port_cfg *
port_cfg(const struct app_ctx *ctx, uint16_t port, int *listed)
{
	char name[RTE_ETH_NAME_MAX_LEN];

	*listed = 1;
	if (ctx->opt.n_port_cfg == 0)
		return NULL;
	*listed = 0;
	if (rte_eth_dev_get_name_by_port(port, name) != 0)
		return NULL;
	for (unsigned int i = 0; i < ctx->opt.n_port_cfg; i++)
		if (strcmp(ctx->opt.ports[i].name, name) == 0) {
			*listed = 1;
			return &ctx->opt.ports[i];
		}
	return NULL;
}

/* Every port the config names must exist. */
static int
check_port_names(const struct app_ctx *ctx)
{
	for (unsigned int i = 0; i < ctx->opt.n_port_cfg; i++) {
		uint16_t id;

		if (rte_eth_dev_get_port_by_name(ctx->opt.ports[i].name, &id) != 0) {
			fprintf(stderr, "flowscope: ports: no ethdev port named '%s' "
				"(give it with -a PCI or --vdev)\n", ctx->opt.ports[i].name);
			return -ENODEV;
		}
	}
	return 0;
}

/*
 * Decide how flows reach workers: with one worker, trivially; with more,
 * each port's RSS spreads them over one queue per worker, unless a port
 * cannot (no RSS, too few queues) or lcores.dispatch is on, in which case
 * a dispatch lcore reads every queue and spreads them in software.
 */
static int
decide_dispatch(struct app_ctx *ctx)
{
	uint16_t port;

	if (ctx->opt.lcores.dispatch == APP_SW_ON)
		return 1;
	if (ctx->n_workers <= 1 || ctx->opt.lcores.dispatch == APP_SW_OFF)
		return 0;
	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_dev_info info;
		int listed;
		const struct app_port_cfg *pc = port_cfg(ctx, port, &listed);

		if (!listed)
			continue;
		if (pc != NULL && pc->rss == APP_SW_OFF)
			return 1;
		if (rte_eth_dev_info_get(port, &info) != 0 ||
		    info.flow_type_rss_offloads == 0 ||
		    info.max_rx_queues < ctx->n_workers)
			return 1;
	}
	return 0;
}

int
app_ports_init(struct app_ctx *ctx)
{
	uint16_t port;
	unsigned int nb_mbufs;
	int rc;

	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "flowscope: no ethdev port (give --pcap FILE or a --vdev/PCI device)\n");
		return -ENODEV;
	}
	if (check_port_names(ctx) != 0)
		return -ENODEV;
	if (ctx->n_workers == 0)
		ctx->n_workers = 1;
	if (ctx->n_workers > APP_MAX_WORKERS) {
		fprintf(stderr, "flowscope: at most %u RX lcores\n", APP_MAX_WORKERS);
		return -EINVAL;
	}
	ctx->use_dispatch = ctx->use_export && decide_dispatch(ctx);
	if (ctx->n_workers > 1 && !ctx->use_export) {
		fprintf(stderr, "flowscope: several RX lcores need the export lcore "
			"(lcores.export on)\n");
		return -EINVAL;
	}
	/* RX descriptors of every queue, the dispatch rings, bursts in flight. */
	nb_mbufs = rte_eth_dev_count_avail() * (ctx->use_dispatch ? APP_MAX_RXQ :
						 ctx->n_workers) * APP_RX_DESC +
		ctx->n_workers * (1024 + 64) + 1024;
	if (nb_mbufs < APP_MBUFS)
		nb_mbufs = APP_MBUFS;
	ctx->mbuf_pool = rte_pktmbuf_pool_create("app_mbufs", nb_mbufs,
						 APP_MBUF_CACHE, 0,
						 RTE_MBUF_DEFAULT_BUF_SIZE,
						 (int)rte_socket_id());
	if (ctx->mbuf_pool == NULL) {
		fprintf(stderr, "flowscope: cannot create the mbuf pool (%u mbufs): %s\n",
			nb_mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_conf conf;
		struct rte_eth_dev_info info;
		struct app_port *p;
		uint16_t n_rxq, q, rx_desc = APP_RX_DESC;
		uint64_t rss_hf = 0;
		int listed;
		const struct app_port_cfg *pc = port_cfg(ctx, port, &listed);

		if (!listed)
			continue;
		if (pc != NULL && pc->rx_desc != 0)
			rx_desc = pc->rx_desc;

		if (ctx->n_ports >= APP_MAX_PORTS) {
			fprintf(stderr, "flowscope: more than %d ports; ignoring port %u\n",
				APP_MAX_PORTS, port);
			continue;
		}
		rc = rte_eth_dev_info_get(port, &info);
		if (rc != 0) {
			fprintf(stderr, "flowscope: port %u: no device info: %s\n",
				port, rte_strerror(-rc));
			return rc;
		}
		memset(&conf, 0, sizeof(conf));
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
		if (ctx->use_dispatch) {
			/*
			 * af_packet reports exactly its qpairs (kernel fanout
			 * spreads flows over them); other devices get one queue
			 * (memif and ring report far more than their peer has).
			 */
			n_rxq = strcmp(info.driver_name, "net_af_packet") == 0 ?
				info.max_rx_queues : 1;
			if (n_rxq > APP_MAX_RXQ)
				n_rxq = APP_MAX_RXQ;
		} else {
			n_rxq = (uint16_t)ctx->n_workers;
		}
		if (pc != NULL && pc->rx_queues != 0) {
			if (!ctx->use_dispatch && pc->rx_queues != ctx->n_workers) {
				fprintf(stderr, "flowscope: port %s: rx_queues %u, but with RSS "
					"each of the %u RX lcores reads one queue (set "
					"rx_queues to 0 or %u, or lcores.dispatch on)\n",
					pc->name, pc->rx_queues, ctx->n_workers,
					ctx->n_workers);
				return -EINVAL;
			}
			n_rxq = pc->rx_queues < APP_MAX_RXQ ? pc->rx_queues : APP_MAX_RXQ;
		}
		if (n_rxq == 0)
			n_rxq = 1;
		if (n_rxq > 1 && !ctx->use_dispatch) {
			rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
				info.flow_type_rss_offloads;
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_key = sym_rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(sym_rss_key);
			conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
		}
		rc = rte_eth_dev_configure(port, n_rxq, 1, &conf);
		for (q = 0; rc == 0 && q < n_rxq; q++)
			rc = rte_eth_rx_queue_setup(port, q, rx_desc,
						    rte_eth_dev_socket_id(port),
						    NULL, ctx->mbuf_pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, 0, APP_TX_DESC,
						    rte_eth_dev_socket_id(port),
						    NULL);
		if (rc == 0)
			rc = rte_eth_dev_start(port);
		if (rc != 0) {
			fprintf(stderr, "flowscope: port %u (%s): setup with %u RX queues "
				"failed: %s\n", port, info.driver_name, n_rxq,
				rte_strerror(-rc));
			return rc;
		}
		if (pc != NULL && pc->mtu != 0 &&
		    (rc = rte_eth_dev_set_mtu(port, pc->mtu)) != 0)
			fprintf(stderr, "flowscope: port %s: cannot set MTU %u: %s "
				"(keeping the device's)\n", pc->name, pc->mtu,
				rte_strerror(-rc));
		/* Capture from the wire: see every frame, not just ours (default). */
		if (pc == NULL || pc->promiscuous)
			rte_eth_promiscuous_enable(port);
		p = &ctx->ports[ctx->n_ports++];
		p->port_id = port;
		p->n_rxq = n_rxq;
		p->is_pcap_file = port_replays_file(&info);
		snprintf(p->rss, sizeof(p->rss), "none");
		if (n_rxq > 1 && !ctx->use_dispatch) {
			if (rss_flow_symmetric(port, n_rxq, rss_hf) == 0)
				snprintf(p->rss, sizeof(p->rss), "symmetric_toeplitz");
			else
				snprintf(p->rss, sizeof(p->rss), "0x6d5a key");
			fprintf(stderr, "flowscope: port %u (%s): RSS over %u queues, %s\n",
				port, info.driver_name, n_rxq, p->rss);
		}
		/* Who reads the queues: the dispatch lcore, or worker q reads queue q. */
		for (q = 0; q < n_rxq; q++) {
			struct app_rxq *r;

			if (ctx->use_dispatch) {
				if (ctx->dispatch.n_rxq == APP_MAX_RXQ)
					break;
				r = &ctx->dispatch.rxq[ctx->dispatch.n_rxq++];
			} else {
				struct app_worker *w = &ctx->workers[q];

				if (w->n_rxq == APP_MAX_RXQ)
					break;
				r = &w->rxq[w->n_rxq++];
			}
			r->port = (uint16_t)(ctx->n_ports - 1);
			r->queue = q;
		}
	}
	ctx->packet_clock = 1;
	for (port = 0; port < ctx->n_ports; port++)
		ctx->packet_clock &= ctx->ports[port].is_pcap_file;
	ctx->ts_dynfield = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME,
						    NULL);
	rc = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	ctx->ts_dynflag = rc >= 0 ? RTE_BIT64(rc) : 0;
	return 0;
}

void
app_ports_close(struct app_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->n_ports; i++) {
		rte_eth_dev_stop(ctx->ports[i].port_id);
		rte_eth_dev_close(ctx->ports[i].port_id);
	}
	ctx->n_ports = 0;
	rte_mempool_free(ctx->mbuf_pool);
	ctx->mbuf_pool = NULL;
}
