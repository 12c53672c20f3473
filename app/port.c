/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: the mbuf pool and one RX queue per ethdev port. RX timestamps
 * are requested where the PMD offers them; the dynamic field that carries
 * them is looked up once here. Only a net_pcap port that replays a file
 * (rx_pcap=) has timestamps in epoch time (the capture time); when every
 * port is such a replay, the run uses packet time throughout (offline
 * semantics, end of file = end of input), otherwise the wall clock.
 */

#include <errno.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
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

int
app_ports_init(struct app_ctx *ctx)
{
	uint16_t port;
	int rc;

	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "flowscope: no ethdev port (give --pcap FILE or a --vdev/PCI device)\n");
		return -ENODEV;
	}
	ctx->mbuf_pool = rte_pktmbuf_pool_create("app_mbufs", APP_MBUFS,
						 APP_MBUF_CACHE, 0,
						 RTE_MBUF_DEFAULT_BUF_SIZE,
						 (int)rte_socket_id());
	if (ctx->mbuf_pool == NULL) {
		fprintf(stderr, "flowscope: cannot create the mbuf pool: %s\n",
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_conf conf;
		struct rte_eth_dev_info info;
		struct app_port *p;

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
		rc = rte_eth_dev_configure(port, 1, 1, &conf);
		if (rc == 0)
			rc = rte_eth_rx_queue_setup(port, 0, APP_RX_DESC,
						    rte_eth_dev_socket_id(port),
						    NULL, ctx->mbuf_pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, 0, APP_TX_DESC,
						    rte_eth_dev_socket_id(port),
						    NULL);
		if (rc == 0)
			rc = rte_eth_dev_start(port);
		if (rc != 0) {
			fprintf(stderr, "flowscope: port %u (%s): setup failed: %s\n",
				port, info.driver_name, rte_strerror(-rc));
			return rc;
		}
		/* Capture from the wire: see every frame, not just ours. */
		rte_eth_promiscuous_enable(port);
		p = &ctx->ports[ctx->n_ports++];
		p->port_id = port;
		p->is_pcap_file = port_replays_file(&info);
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
