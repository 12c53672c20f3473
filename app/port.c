/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: one mbuf pool per port (on the port's socket), the RX queues,
 * as many TX queues as the device wants (nothing is sent: some PMDs,
 * net_tap for one, need as many TX as RX queues). RX timestamps are
 * requested where the PMD offers them; the dynamic field that carries
 * them is looked up once here. Only a net_pcap port that replays a file
 * (rx_pcap=, without infinite_rx) has timestamps in epoch time (the
 * capture time); when every port is such a replay, the run uses packet
 * time throughout (offline semantics, end of file = end of input),
 * otherwise the live clock. A net_pcap infinite_rx port is a traffic
 * generator: it never ends and runs on the live clock.
 *
 * Pool size (memory.mbufs, 0 = auto): the RX descriptors of the port's
 * queues, the frames in flight (dispatch rings, bursts), the per-lcore
 * caches, and with infinite_rx every packet of the file, which net_pcap
 * keeps in mbufs for the whole run. Data room (memory.mbuf_size, 0 =
 * auto): RTE_MBUF_DEFAULT_BUF_SIZE, or enough for the largest frame of an
 * infinite_rx file (that mode refuses frames spanning several mbufs).
 *
 * Flows reach RX workers by symmetric RSS (rte_flow SYMMETRIC_TOEPLITZ
 * where the PMD has it, else the repeated 0x6d5a key: both make the two
 * directions of a flow hash alike), one queue per worker; devices
 * without RSS are read by the dispatch lcore instead (dispatch.c). Which
 * one was used, and why the first was not, is logged; when the device
 * cannot report its hash configuration the log says the key is
 * unconfirmed.
 *
 * A `ports` entry names a port by device name (net_pcap0, 0000:01:00.0)
 * or by port id ("0").
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "app.h"
#include "pcap_reader.h"

#define APP_RX_DESC 1024
#define APP_TX_DESC 64
#define APP_MBUFS 8191
#define APP_MBUF_CACHE 256
/* Frames a worker or the dispatch lcore holds at once (bursts, staging). */
#define APP_INFLIGHT_BURSTS 128
/* Entries of a dispatch -> worker ring (main.c worker_init). */
#define APP_DISPATCH_RING 1024

/* What the devargs of a net_pcap port say. */
struct pcap_args {
	int files;          /* rx_pcap= arguments (one RX queue each) */
	int infinite;       /* infinite_rx=1 */
	uint64_t packets;   /* packets of every rx_pcap file (counted with infinite_rx) */
	uint32_t max_len;   /* largest captured frame of those files */
};

/* Count the packets and the largest frame of a capture file; 0 if it cannot be read. */
static int
count_file(const char *path, struct pcap_args *pa)
{
	struct fc_frame f[64];
	struct app_pcap_reader *r;
	char err[256];
	unsigned int n;

	r = app_pcap_reader_open(path, err, sizeof(err));
	if (r == NULL)
		return -1;
	while ((n = app_pcap_reader_burst(r, f, FC_DIM(f))) > 0) {
		pa->packets += n;
		for (unsigned int i = 0; i < n; i++)
			if (f[i].cap_len > pa->max_len)
				pa->max_len = f[i].cap_len;
	}
	app_pcap_reader_close(r);
	return 0;
}

/* Parse the devargs of a net_pcap port (rx_pcap=F,...,infinite_rx=1). */
static void
pcap_args_get(const struct rte_eth_dev_info *info, struct pcap_args *pa)
{
	const struct rte_devargs *da;
	char args[4096], *save = NULL, *tok;

	memset(pa, 0, sizeof(*pa));
	if (strcmp(info->driver_name, "net_pcap") != 0 || info->device == NULL)
		return;
	da = rte_dev_devargs(info->device);
	if (da == NULL || da->args == NULL ||
	    (size_t)snprintf(args, sizeof(args), "%s", da->args) >= sizeof(args))
		return;
	for (tok = strtok_r(args, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "rx_pcap=", 8) == 0)
			pa->files++;
		else if (strcmp(tok, "infinite_rx=1") == 0)
			pa->infinite = 1;
	}
	if (!pa->infinite)
		return;
	snprintf(args, sizeof(args), "%s", da->args);
	for (tok = strtok_r(args, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save))
		if (strncmp(tok, "rx_pcap=", 8) == 0)
			count_file(tok + 8, pa);
}

/* The repeated 0x6d5a Toeplitz key: hash(a, b) == hash(b, a). */
static uint8_t sym_rss_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

/* Text of an ethdev return code (some PMDs return -1, which is not an errno). */
static const char *
eth_err(int rc)
{
	return rc < -1 ? rte_strerror(-rc) : "the driver refused (see its message above)";
}

/*
 * Ask the PMD for symmetric Toeplitz through rte_flow (one rule sending
 * every frame to RSS over all queues); 0 if it took it, else -ENOTSUP
 * with the PMD's reason in why.
 */
static int
rss_flow_symmetric(uint16_t port, uint16_t n_rxq, uint64_t rss_hf, char *why,
		   size_t whylen)
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
	memset(&err, 0, sizeof(err));
	if (rte_flow_validate(port, &attr, pattern, actions, &err) == 0 &&
	    rte_flow_create(port, &attr, pattern, actions, &err) != NULL)
		return 0;
	snprintf(why, whylen, "%s", err.message != NULL ? err.message :
		 rte_strerror(rte_errno));
	return -ENOTSUP;
}

/* 1 if the config entry name names port (its device name or its id). */
static int
name_matches(const char *cfg, uint16_t port, const char *dev_name)
{
	char *end;
	unsigned long id;

	if (strcmp(cfg, dev_name) == 0)
		return 1;
	if (cfg[0] < '0' || cfg[0] > '9')
		return 0;
	id = strtoul(cfg, &end, 10);
	return *end == '\0' && id == port;
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
		if (name_matches(ctx->opt.ports[i].name, port, name)) {
			*listed = 1;
			return &ctx->opt.ports[i];
		}
	return NULL;
}

/* Every port the config names must exist, and be named once. */
static int
check_port_names(const struct app_ctx *ctx)
{
	for (unsigned int i = 0; i < ctx->opt.n_port_cfg; i++) {
		const char *n = ctx->opt.ports[i].name;
		uint16_t id, port, hits = 0;

		RTE_ETH_FOREACH_DEV(port) {
			char name[RTE_ETH_NAME_MAX_LEN];

			if (rte_eth_dev_get_name_by_port(port, name) == 0 &&
			    name_matches(n, port, name))
				hits++;
		}
		if (hits == 0 && rte_eth_dev_get_port_by_name(n, &id) != 0) {
			fprintf(stderr, "flowscope: ports[%u].name: no ethdev port named "
				"'%s' (%u ports probed; name one by device name or port "
				"id, and give the device with -a PCI or --vdev)\n", i, n,
				rte_eth_dev_count_avail());
			return -ENODEV;
		}
		for (unsigned int j = 0; j < i; j++) {
			char name[RTE_ETH_NAME_MAX_LEN];

			RTE_ETH_FOREACH_DEV(port) {
				if (rte_eth_dev_get_name_by_port(port, name) == 0 &&
				    name_matches(n, port, name) &&
				    name_matches(ctx->opt.ports[j].name, port, name)) {
					fprintf(stderr, "flowscope: ports[%u].name: '%s' is "
						"port %u, already listed as ports[%u] ('%s')\n",
						i, n, port, j, ctx->opt.ports[j].name);
					return -EINVAL;
				}
			}
		}
	}
	return 0;
}

/* 1 if the device can spread flows over n queues by RSS. */
static int
has_rss(const struct rte_eth_dev_info *info, unsigned int n)
{
	return info->flow_type_rss_offloads != 0 && info->max_rx_queues >= n;
}

/*
 * Decide how flows reach workers: with one worker, trivially; with more,
 * each port's RSS spreads them over one queue per worker, unless a port
 * cannot (no RSS, too few queues) or lcores.dispatch is on, in which case
 * a dispatch lcore reads every queue and spreads them in software.
 * A port whose entry says rss: on must have RSS: -EINVAL after a message.
 */
static int
decide_dispatch(struct app_ctx *ctx, int *dispatch)
{
	uint16_t port;
	int sw = 0;

	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_dev_info info;
		int listed;
		const struct app_port_cfg *pc = port_cfg(ctx, port, &listed);

		if (!listed)
			continue;
		if (rte_eth_dev_info_get(port, &info) != 0) {
			sw = 1;
			continue;
		}
		if (pc != NULL && pc->rss == APP_SW_ON) {
			if (!has_rss(&info, ctx->n_workers > 1 ? ctx->n_workers : 1)) {
				fprintf(stderr, "flowscope: port %s: rss: on, but %s "
					"%s (RSS hash types 0x%" PRIx64 ", %u RX queues "
					"at most); set rss: auto or off to let the "
					"dispatch lcore spread flows\n", pc->name,
					info.driver_name, info.flow_type_rss_offloads == 0 ?
					"has no RSS" : "has too few RX queues for the RX lcores",
					info.flow_type_rss_offloads, info.max_rx_queues);
				return -EINVAL;
			}
			if (ctx->opt.lcores.dispatch == APP_SW_ON) {
				fprintf(stderr, "flowscope: port %s: rss: on contradicts "
					"lcores.dispatch: on (the dispatch lcore reads one "
					"queue per port); set one of them to auto\n", pc->name);
				return -EINVAL;
			}
		}
		if (pc != NULL && pc->rss == APP_SW_OFF)
			sw = 1;
		if (!has_rss(&info, ctx->n_workers))
			sw = 1;
	}
	if (ctx->opt.lcores.dispatch == APP_SW_ON)
		*dispatch = 1;
	else if (ctx->n_workers <= 1 || ctx->opt.lcores.dispatch == APP_SW_OFF)
		*dispatch = 0;
	else
		*dispatch = sw;
	return 0;
}

/*
 * Create the mbuf pool of a port. The auto size covers its RX
 * descriptors, the frames in flight and the lcore caches, plus with
 * infinite_rx every packet of the file.
 */
static uint64_t
auto_mbufs(const struct app_ctx *ctx, unsigned int n_rxq, unsigned int rx_desc,
	   const struct pcap_args *pa)
{
	uint64_t n = (uint64_t)n_rxq * rx_desc +
		(uint64_t)ctx->n_workers * APP_INFLIGHT_BURSTS +
		(uint64_t)rte_lcore_count() * APP_MBUF_CACHE * 3 / 2;

	if (ctx->use_dispatch)
		n += (uint64_t)ctx->n_workers * APP_DISPATCH_RING;
	if (pa->infinite)
		n += pa->packets;
	if (n < APP_MBUFS)
		n = APP_MBUFS;
	return n < UINT32_MAX ? n : UINT32_MAX;
}

static int
port_pool(struct app_ctx *ctx, struct app_port *p, uint16_t port, const char *driver,
	  unsigned int n_rxq, unsigned int rx_desc, const struct pcap_args *pa)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	uint64_t n = ctx->opt.mem.mbufs;
	uint32_t room = ctx->opt.mem.mbuf_size;
	int socket = rte_eth_dev_socket_id(port);

	if (n == 0)
		n = auto_mbufs(ctx, n_rxq, rx_desc, pa);
	if (room == 0) {
		room = RTE_MBUF_DEFAULT_BUF_SIZE;
		if (pa->infinite && pa->max_len + RTE_PKTMBUF_HEADROOM > room)
			room = pa->max_len + RTE_PKTMBUF_HEADROOM < UINT16_MAX ?
				pa->max_len + RTE_PKTMBUF_HEADROOM : UINT16_MAX;
	}
	if (room <= RTE_PKTMBUF_HEADROOM + 64) {
		fprintf(stderr, "flowscope: memory.mbuf_size %u leaves no room for "
			"a frame after the %u B headroom\n", room, RTE_PKTMBUF_HEADROOM);
		return APP_EXIT_USAGE;
	}
	snprintf(name, sizeof(name), "app_mbufs%u", port);
	p->pool = rte_pktmbuf_pool_create(name, (unsigned int)n, APP_MBUF_CACHE, 0,
					  (uint16_t)room,
					  socket >= 0 ? socket : (int)rte_socket_id());
	if (p->pool == NULL) {
		fprintf(stderr, "flowscope: port %u (%s): cannot create its mbuf pool "
			"(%" PRIu64 " mbufs of %u B, about %" PRIu64 " MB): %s; give "
			"EAL more memory (-m), or lower memory.mbufs (--mbufs) or "
			"memory.mbuf_size\n", port, driver, n, room,
			(n * (room + sizeof(struct rte_mbuf) + 64) >> 20) + 1,
			rte_strerror(rte_errno));
		return APP_EXIT_ERROR;
	}
	return 0;
}

/* After a failed queue setup: say which key to raise, if one would help. */
static void
explain_setup_error(const struct app_ctx *ctx, const struct app_port *p,
		    unsigned int n_rxq, unsigned int rx_desc, const struct pcap_args *pa)
{
	unsigned int have = p->pool->size;
	uint16_t room = rte_pktmbuf_data_room_size(p->pool);

	if (!pa->infinite)
		return;
	if (pa->max_len + RTE_PKTMBUF_HEADROOM > room)
		fprintf(stderr, "flowscope: net_pcap infinite_rx needs every frame in "
			"one mbuf: the file has frames of %u B, the mbufs hold %u; "
			"raise memory.mbuf_size (--mbuf-size) to %u or more, or set "
			"it to 0 (auto)\n", pa->max_len, room - RTE_PKTMBUF_HEADROOM,
			pa->max_len + RTE_PKTMBUF_HEADROOM);
	else if (pa->packets >= have)
		fprintf(stderr, "flowscope: net_pcap infinite_rx keeps every packet "
			"of its file in mbufs (%" PRIu64 " packets), the pool has %u%s; "
			"raise memory.mbufs (--mbufs) to %" PRIu64 " or more, or set it "
			"to 0 (auto)\n", pa->packets, have,
			ctx->opt.mem.mbufs ? " (memory.mbufs)" : "",
			auto_mbufs(ctx, n_rxq, rx_desc, pa));
}

int
app_ports_init(struct app_ctx *ctx)
{
	uint16_t port;
	int rc;

	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "flowscope: no ethdev port (give --pcap FILE or a --vdev/PCI device)\n");
		return APP_EXIT_USAGE;
	}
	if (check_port_names(ctx) != 0)
		return APP_EXIT_USAGE;
	if (decide_dispatch(ctx, &ctx->use_dispatch) != 0)
		return APP_EXIT_USAGE;
	ctx->use_dispatch = ctx->use_export && ctx->use_dispatch;
	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_conf conf;
		struct rte_eth_dev_info info;
		struct pcap_args pa;
		struct app_port *p;
		uint16_t n_rxq, n_txq, q, rx_desc = APP_RX_DESC;
		uint64_t rss_hf = 0;
		int listed, fixed;
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
				port, eth_err(rc));
			return APP_EXIT_ERROR;
		}
		memset(&conf, 0, sizeof(conf));
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
		/*
		 * af_packet has exactly its qpairs (the kernel's fanout spreads
		 * flows over them), net_pcap one queue per rx_pcap file: all of
		 * them are read, by the dispatch lcore or by the one worker.
		 * Other devices get one queue then (memif and ring report far
		 * more than their peer has); with RSS, one per worker.
		 */
		fixed = strcmp(info.driver_name, "net_af_packet") == 0 ||
			strcmp(info.driver_name, "net_pcap") == 0;
		if (ctx->use_dispatch || ctx->n_workers == 1)
			n_rxq = fixed ? RTE_MIN(info.max_rx_queues, APP_MAX_RXQ) : 1;
		else
			n_rxq = (uint16_t)ctx->n_workers;
		if (pc != NULL && pc->rx_queues != 0) {
			if (!ctx->use_dispatch && ctx->n_workers > 1 &&
			    pc->rx_queues != ctx->n_workers) {
				fprintf(stderr, "flowscope: port %s: rx_queues %u, but with RSS "
					"each of the %u RX lcores reads one queue (set "
					"rx_queues to 0 or %u, or lcores.dispatch on)\n",
					pc->name, pc->rx_queues, ctx->n_workers,
					ctx->n_workers);
				return APP_EXIT_USAGE;
			}
			n_rxq = pc->rx_queues < APP_MAX_RXQ ? pc->rx_queues : APP_MAX_RXQ;
		}
		if (n_rxq == 0)
			n_rxq = 1;
		if (n_rxq > info.max_rx_queues) {
			fprintf(stderr, "flowscope: port %u (%s): %u RX queues wanted, the "
				"device has at most %u (lower rx_queues or lcores.rx, or "
				"let the dispatch lcore spread flows)\n", port,
				info.driver_name, n_rxq, info.max_rx_queues);
			return APP_EXIT_USAGE;
		}
		/* Nothing is sent, but some PMDs (net_tap) need TX queues = RX queues. */
		n_txq = RTE_MIN(n_rxq, info.max_tx_queues);
		if (n_rxq > 1 && !ctx->use_dispatch && ctx->n_workers > 1) {
			rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
				info.flow_type_rss_offloads;
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_key = sym_rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(sym_rss_key);
			conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
		}
		p = &ctx->ports[ctx->n_ports];
		memset(p, 0, sizeof(*p));
		p->port_id = port;
		pcap_args_get(&info, &pa);
		rc = port_pool(ctx, p, port, info.driver_name, n_rxq, rx_desc, &pa);
		if (rc != 0)
			return rc;
		ctx->n_ports++;
		rc = rte_eth_dev_configure(port, n_rxq, n_txq, &conf);
		for (q = 0; rc == 0 && q < n_rxq; q++)
			rc = rte_eth_rx_queue_setup(port, q, rx_desc,
						    rte_eth_dev_socket_id(port),
						    NULL, p->pool);
		for (q = 0; rc == 0 && q < n_txq; q++)
			rc = rte_eth_tx_queue_setup(port, q, APP_TX_DESC,
						    rte_eth_dev_socket_id(port),
						    NULL);
		if (rc == 0)
			rc = rte_eth_dev_start(port);
		if (rc != 0) {
			fprintf(stderr, "flowscope: port %u (%s): setup with %u RX and %u "
				"TX queues failed: %s\n", port, info.driver_name, n_rxq,
				n_txq, eth_err(rc));
			explain_setup_error(ctx, p, n_rxq, rx_desc, &pa);
			return APP_EXIT_ERROR;
		}
		if (pc != NULL && pc->mtu != 0 &&
		    (rc = rte_eth_dev_set_mtu(port, pc->mtu)) != 0)
			fprintf(stderr, "flowscope: port %s: cannot set MTU %u: %s "
				"(keeping the device's)\n", pc->name, pc->mtu,
				eth_err(rc));
		/* Capture from the wire: see every frame, not just ours (default). */
		if (pc == NULL || pc->promiscuous)
			rte_eth_promiscuous_enable(port);
		p->n_rxq = n_rxq;
		p->is_pcap_file = pa.files > 0 && !pa.infinite;
		snprintf(p->rss, sizeof(p->rss), "none");
		if (n_rxq > 1 && !ctx->use_dispatch && ctx->n_workers > 1) {
			struct rte_eth_rss_conf got;
			uint8_t key[64];
			char why[160];

			if (rss_flow_symmetric(port, n_rxq, rss_hf, why, sizeof(why)) == 0) {
				snprintf(p->rss, sizeof(p->rss), "symmetric_toeplitz");
				fprintf(stderr, "flowscope: port %u (%s): RSS over %u queues, "
					"rte_flow symmetric_toeplitz\n", port,
					info.driver_name, n_rxq);
			} else {
				memset(&got, 0, sizeof(got));
				got.rss_key = key;
				got.rss_key_len = sizeof(key);
				rc = rte_eth_dev_rss_hash_conf_get(port, &got);
				snprintf(p->rss, sizeof(p->rss), "0x6d5a key");
				fprintf(stderr, "flowscope: port %u (%s): RSS over %u queues, "
					"0x6d5a key (rte_flow symmetric_toeplitz refused: "
					"%s)%s%s\n", port, info.driver_name, n_rxq, why,
					rc != 0 ? "; the key is unconfirmed, the device does not "
					"report its hash configuration: " : "",
					rc != 0 ? eth_err(rc) : "");
			}
		}
		/* Who reads the queues: the dispatch lcore, or worker q % n reads queue q. */
		for (q = 0; q < n_rxq; q++) {
			struct app_rxq *r;

			if (ctx->use_dispatch) {
				if (ctx->dispatch.n_rxq == APP_MAX_RXQ)
					break;
				r = &ctx->dispatch.rxq[ctx->dispatch.n_rxq++];
			} else {
				struct app_worker *w = &ctx->workers[q % ctx->n_workers];

				if (w->n_rxq == APP_MAX_RXQ)
					break;
				r = &w->rxq[w->n_rxq++];
			}
			r->port = (uint16_t)(ctx->n_ports - 1);
			r->queue = q;
		}
	}
	ctx->packet_clock = ctx->n_ports > 0;
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
	for (i = 0; i < ctx->n_ports; i++) {
		rte_mempool_free(ctx->ports[i].pool);
		ctx->ports[i].pool = NULL;
	}
	ctx->n_ports = 0;
}
