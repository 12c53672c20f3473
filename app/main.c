/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowscope: entry point. Reads options, builds the EAL arguments for
 * offline mode, initialises EAL, then wires ports -> tracker -> sink and
 * runs the RX loop until the input ends or SIGINT/SIGTERM arrives.
 *
 *     flowscope --pcap FILE [options]       offline: EAL args built here
 *     flowscope [EAL args] -- [options]     live: every probed ethdev port
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <fc_table.h>

#include "app.h"
#include "thp_heap.h"
#include "pcap_reader.h"
#include "stream_dump.h"

static volatile sig_atomic_t quit_flag;
static volatile sig_atomic_t hup_flag;

static void
on_signal(int sig)
{
	(void)sig;
	quit_flag = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	hup_flag = 1;
}

/*
 * Check that FILE is a readable capture before EAL starts, so a typo
 * costs a one-line error instead of a PMD probe failure. Classic pcap
 * (both byte orders, micro- and nanosecond) must be Ethernet (linktype 1);
 * pcapng is left to libpcap.
 */
static int
check_pcap(const char *path)
{
	unsigned char h[24];
	uint32_t magic, linktype;
	ssize_t n;
	int fd;

	if (strchr(path, ',') != NULL) {
		fprintf(stderr, "flowscope: %s: a ',' in the path cannot be passed "
			"to the pcap device; rename or link the file\n", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "flowscope: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n < 0) {
		fprintf(stderr, "flowscope: %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	if (n < 4) {
		fprintf(stderr, "flowscope: %s: not a pcap file (%zd bytes)\n",
			path, n);
		return -EINVAL;
	}
	magic = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
		(uint32_t)h[3] << 24;
	if (magic == 0x0a0d0d0a)
		return 0; /* pcapng */
	if (magic != 0xa1b2c3d4 && magic != 0xd4c3b2a1 &&
	    magic != 0xa1b23c4d && magic != 0x4d3cb2a1) {
		fprintf(stderr, "flowscope: %s: not a pcap or pcapng file "
			"(magic 0x%08x)\n", path, magic);
		return -EINVAL;
	}
	if (n < 24) {
		fprintf(stderr, "flowscope: %s: truncated pcap header (%zd of 24 bytes)\n",
			path, n);
		return -EINVAL;
	}
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		linktype = (uint32_t)h[20] | (uint32_t)h[21] << 8;
	else
		linktype = (uint32_t)h[23] | (uint32_t)h[22] << 8;
	if (linktype != 1) {
		fprintf(stderr, "flowscope: %s: link type %u is not Ethernet (1); "
			"only Ethernet captures are supported\n", path, linktype);
		return -EINVAL;
	}
	return 0;
}

/* Heap a mempool of n objects of size bytes takes (object header and padding included). */
static uint64_t
pool_bytes(uint64_t n, uint64_t size)
{
	return n * (RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE) + 2 * RTE_CACHE_LINE_SIZE);
}

/* Every worker's tracker parameters from the options (worker_init adds its name, socket, index). */
static void
tracker_params(const struct app_options *o, struct fc_tracker_params *tp)
{
	*tp = o->tracker;
	tp->reasm_enabled = o->reasm_enabled != 0 || o->dump.streams_dir[0] != '\0';
	tp->reasm = o->reasm;
	tp->l7_enabled = o->l7.enabled != 0;
	tp->l7.enabled = o->l7.enabled;
	tp->l7.probe_limit = o->l7.probe_limit;
	tp->flow_update_interval = o->events.flow_update_interval;
}

/*
 * DPDK heap for offline mode. Per worker: the tracker as flowcore sizes
 * it (fc_tracker_memory_need: flow table, event buffer, reassembly,
 * session parsers), the event pool and ring, the dispatch ring, the RX
 * scratch buffers. Then the net_pcap mbuf pool (--pcap-ethdev or
 * --dispatch on) and a fixed part for EAL itself; everything gets 1/8 on
 * top for the heap's own headers and fragmentation. Only the pages used
 * are touched, so a generous budget costs address space, not memory
 * (and most of it goes to the huge-page heap when there is one).
 */
static unsigned int
offline_mem_mb(const struct app_options *o)
{
	unsigned int workers = o->lcores.rx ? o->lcores.rx : 1;
	struct fc_tracker_params tp;
	uint64_t per, mb;

	tracker_params(o, &tp);
	per = fc_tracker_memory_need(&tp) +
		pool_bytes(o->events.pool_size, sizeof(struct fc_event)) +
		(uint64_t)o->events.ring_size * sizeof(void *) +
		1024 * sizeof(void *) +
		(uint64_t)FC_TRACKER_BURST * (64 * 1024 + 256);
	mb = per * workers;
	/* net_pcap: the port's mbuf pool (see port.c: descriptors, rings, caches) */
	if (o->pcap_ethdev || o->lcores.dispatch == APP_SW_ON) {
		uint64_t n = o->mem.mbufs ? o->mem.mbufs :
			1024 + workers * (128 + 1024) + (workers + 2) * 384 + 8192;

		mb += pool_bytes(n, (o->mem.mbuf_size ? o->mem.mbuf_size :
				     RTE_MBUF_DEFAULT_BUF_SIZE) + sizeof(struct rte_mbuf));
	}
	mb = 96 + (mb + mb / 8 + (1u << 20) - 1) / (1u << 20);
	return mb < UINT32_MAX ? (unsigned int)mb : UINT32_MAX;
}

/* Create a worker's tracker, rings and pools. */
static int
worker_init(struct app_ctx *ctx, struct app_worker *w)
{
	struct fc_tracker_params tp;
	char name[RTE_MEMPOOL_NAMESIZE];
	int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
	/* The event pool on the tables' heap (huge pages without hugepages). */
	int ev_socket = ctx->opt.tracker.table_heap != NULL ?
		rte_malloc_heap_get_socket(ctx->opt.tracker.table_heap) : socket;

	snprintf(name, sizeof(name), "fc_w%u", w->index);
	/* Reassembly, parsers and interim records from the config. */
	tracker_params(&ctx->opt, &tp);
	tp.name = name;
	tp.socket_id = socket;
	tp.lcore_index = (uint8_t)w->index;
	/* Workers reading one capture file each keep a share of its flows. */
	if (w->reader != NULL && ctx->n_workers > 1) {
		tp.share_count = (uint8_t)ctx->n_workers;
		tp.share_index = (uint8_t)w->index;
	}
	if (ctx->opt.dump.streams_dir[0] != '\0') {
		w->dump = app_stream_dump_open(ctx->opt.dump.streams_dir,
					       ctx->opt.dump.gap_fill == APP_GAP_SKIP ?
					       APP_DUMP_GAP_SKIP : ctx->opt.dump.gap_byte);
		if (w->dump == NULL)
			return -EINVAL;
		app_stream_dump_cb(w->dump, &w->dump_cb);
		tp.stream_cb = &w->dump_cb;
		tp.reasm_enabled = 1;
	}
	w->tracker = fc_tracker_create(&tp);
	if (w->tracker == NULL) {
		fprintf(stderr, "flowscope: worker %u: cannot create the flow table "
			"(%u flows) and reassembly: %s%s\n", w->index,
			ctx->opt.tracker.max_flows, rte_strerror(rte_errno),
			rte_errno == ENOMEM ? "; give EAL more memory (-m, --memory "
			"offline) or lower --max-flows / reassembly.memcap" : "");
		return -ENOMEM;
	}
	if (ctx->use_export) {
		snprintf(name, sizeof(name), "fc_evp%u", w->index);
		w->ev_pool = rte_mempool_create(name, ctx->opt.events.pool_size,
						sizeof(struct fc_event), 64, 0,
						NULL, NULL, NULL, NULL,
						ev_socket >= 0 ? ev_socket : socket,
						RTE_MEMPOOL_F_NO_IOVA_CONTIG);
		snprintf(name, sizeof(name), "fc_evr%u", w->index);
		if (w->ev_pool != NULL)
			w->ev_ring = rte_ring_create(name, ctx->opt.events.ring_size, socket,
						     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->ev_pool == NULL || w->ev_ring == NULL) {
			fprintf(stderr, "flowscope: worker %u: cannot create the event "
				"pool (%u) and ring (%u): %s\n", w->index,
				ctx->opt.events.pool_size, ctx->opt.events.ring_size,
				rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	if (ctx->use_dispatch) {
		snprintf(name, sizeof(name), "fc_in%u", w->index);
		w->in = rte_ring_create(name, 1024, socket,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->in == NULL) {
			fprintf(stderr, "flowscope: worker %u: cannot create its "
				"dispatch ring: %s\n", w->index, rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
}

static void
worker_fini(struct app_worker *w)
{
	fc_tracker_free(w->tracker);
	app_stream_dump_close(w->dump);
	rte_ring_free(w->ev_ring);
	rte_ring_free(w->in);
	rte_mempool_free(w->ev_pool);
}

/*
 * Lay out the lcores: the main lcore exports (and runs control), then the
 * dispatch lcore if any, then one lcore per RX worker.
 */
static int
assign_lcores(struct app_ctx *ctx)
{
	unsigned int need = ctx->n_workers + (ctx->use_dispatch ? 1 : 0);
	unsigned int lcore, k = 0;

	if (!ctx->use_export) {
		ctx->workers[0].lcore_id = rte_get_main_lcore();
		return 0;
	}
	if (rte_lcore_count() < need + 1) {
		fprintf(stderr, "flowscope: %u lcores needed (1 main/export%s + %u RX), "
			"EAL has %u: give more with -l/--lcores (lcores may share cores, "
			"e.g. --lcores '(0-%u)@(0-1)')\n", need + 1,
			ctx->use_dispatch ? " + 1 dispatch" : "", ctx->n_workers,
			rte_lcore_count(), need);
		return -EINVAL;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (k == 0 && ctx->use_dispatch)
			ctx->dispatch.lcore_id = lcore;
		else if (k - (ctx->use_dispatch ? 1 : 0) < ctx->n_workers)
			ctx->workers[k - (ctx->use_dispatch ? 1 : 0)].lcore_id = lcore;
		k++;
	}
	return 0;
}

/*
 * Without hugepages, the trackers (flow tables, reassembly, parsers) and
 * the event pools go to a heap on transparent huge pages (thp_heap.h),
 * sized for every worker's.
 */
static uint64_t
flow_heap_bytes(const struct app_options *o)
{
	struct fc_tracker_params tp;
	unsigned int workers = o->lcores.rx ? o->lcores.rx : 1;
	uint64_t per;

	tracker_params(o, &tp);
	per = fc_tracker_memory_need(&tp);
	if (o->lcores.export_lcore)
		/* The pool's objects, then its ring and caches. */
		per += pool_bytes(o->events.pool_size, sizeof(struct fc_event)) +
			(1u << 20);
	return per * workers + (16u << 20);
}

static void
flow_heap_open(struct app_ctx *ctx)
{
	const char *why = NULL;

	if (app_thp_heap_create(flow_heap_bytes(&ctx->opt), &why) > 0)
		ctx->opt.tracker.table_heap = APP_THP_HEAP_NAME;
}

/*
 * Offline through the reader: each worker reads the whole file through a
 * reader of its own (app_pcap_reader_share: its own position and window)
 * and keeps its share of the flows (rx_lcore.c); worker 0 has
 * ctx->reader, whose counters and error are the file's.
 */
static int
readers_open(struct app_ctx *ctx)
{
	unsigned int i;

	ctx->packet_clock = 1;
	ctx->workers[0].reader = ctx->reader;
	for (i = 1; i < ctx->n_workers; i++) {
		ctx->workers[i].reader = app_pcap_reader_share(ctx->reader);
		if (ctx->workers[i].reader == NULL) {
			fprintf(stderr, "flowscope: %s: worker %u: out of memory\n",
				ctx->opt.pcap, i);
			return APP_EXIT_ERROR;
		}
	}
	return 0;
}

static int
app_run(struct app_ctx *ctx)
{
	int ret = APP_EXIT_OK;
	unsigned int i;

	ctx->n_workers = ctx->opt.lcores.rx ? ctx->opt.lcores.rx : 1;
	ctx->use_export = ctx->opt.lcores.export_lcore != 0;
	if (ctx->n_workers > APP_MAX_WORKERS) {
		fprintf(stderr, "flowscope: at most %u RX lcores\n", APP_MAX_WORKERS);
		return APP_EXIT_USAGE;
	}
	if (ctx->n_workers > 1 && !ctx->use_export) {
		fprintf(stderr, "flowscope: several RX lcores need the export lcore "
			"(lcores.export on)\n");
		return APP_EXIT_USAGE;
	}
	if (ctx->reader != NULL) {
		/* The capture file through the reader: capture time, no ports. */
		if ((ret = readers_open(ctx)) != 0)
			goto out;
	} else if ((ret = app_ports_init(ctx)) != 0) {
		app_ports_close(ctx);
		return ret;
	}
	ctx->hold = ctx->opt.events.full_policy == APP_FULL_HOLD ||
		(ctx->opt.events.full_policy == APP_FULL_AUTO && ctx->packet_clock);
	if (assign_lcores(ctx) != 0) {
		app_ports_close(ctx);
		return APP_EXIT_USAGE;
	}
	for (i = 0; i < ctx->n_workers; i++) {
		ctx->workers[i].ctx = ctx;
		ctx->workers[i].index = i;
		if (worker_init(ctx, &ctx->workers[i]) != 0) {
			ret = APP_EXIT_ERROR;
			goto out;
		}
	}
	app_telemetry_register(ctx);
	ctx->start_tsc = rte_rdtsc();
	if (!ctx->use_export) {
		app_worker_main(&ctx->workers[0]);
	} else {
		if (ctx->use_dispatch)
			rte_eal_remote_launch(app_dispatch_main, ctx,
					      ctx->dispatch.lcore_id);
		for (i = 0; i < ctx->n_workers; i++)
			rte_eal_remote_launch(app_worker_main, &ctx->workers[i],
					      ctx->workers[i].lcore_id);
		app_export_loop(ctx);
		rte_eal_mp_wait_lcore();
	}
	/* Flush the sinks first so the final stats count what they wrote. */
	app_sinks_flush(&ctx->sinks, app_wall_ns());
	if (ctx->reader != NULL && app_pcap_reader_error(ctx->reader) != NULL)
		fprintf(stderr, "flowscope: %s: %s (every frame before it was tracked)\n",
			ctx->opt.pcap, app_pcap_reader_error(ctx->reader));
	if (ctx->opt.print_stats)
		app_stats_emit(ctx, 1);
out:
	app_telemetry_unregister();
	app_ports_close(ctx);
	for (i = 0; i < ctx->n_workers; i++) {
		worker_fini(&ctx->workers[i]);
		if (ctx->workers[i].reader != ctx->reader)
			app_pcap_reader_close(ctx->workers[i].reader);
	}
	return ret;
}

int
main(int argc, char **argv)
{
	struct app_ctx ctx;
	char *eal_argv[32];
	char mem[16], vdev[4200], lcores[32];
	unsigned int n_lcores;
	int eal_argc = 0, app_argc, dashes = -1, i, rc, ret = APP_EXIT_OK;
	char **app_argv;

	memset(&ctx, 0, sizeof(ctx));
	ctx.quit = &quit_flag;
	ctx.hup = &hup_flag;
	ctx.ts_dynfield = -1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			dashes = i;
			break;
		}
	}
	/* App options: everything after "--", or everything if there is none. */
	if (dashes >= 0) {
		app_argv = &argv[dashes];
		app_argc = argc - dashes;
	} else {
		app_argv = argv;
		app_argc = argc;
	}
	app_argv[0] = argv[0];
	rc = app_options_parse(&ctx.opt, app_argc, app_argv);
	if (rc != 0)
		return rc > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;

	if (ctx.opt.pcap != NULL) {
		if (dashes >= 0) {
			fprintf(stderr, "flowscope: --pcap builds its own EAL arguments; "
				"do not pass EAL arguments with it\n");
			return APP_EXIT_USAGE;
		}
		if (check_pcap(ctx.opt.pcap) != 0)
			return APP_EXIT_USAGE;
		/*
		 * The workers read the file themselves through the reader
		 * (pcap_reader.h: no ethdev, no mbuf copies); several workers
		 * each keep their share of the flows. net_pcap on request
		 * (--pcap-ethdev), or for the software dispatch lcore
		 * (--dispatch on).
		 */
		if (!ctx.opt.pcap_ethdev && ctx.opt.lcores.dispatch != APP_SW_ON) {
			char err[256];

			ctx.reader = app_pcap_reader_open_io(ctx.opt.pcap,
							     (enum app_pcap_io)ctx.opt.pcap_io,
							     0, err, sizeof(err));
			if (ctx.reader == NULL) {
				fprintf(stderr, "flowscope: %s: %s\n", ctx.opt.pcap, err);
				return APP_EXIT_USAGE;
			}
		}
		if (ctx.opt.tracker.max_flows == 0)
			ctx.opt.tracker.max_flows = 250000;
		snprintf(mem, sizeof(mem), "%u", ctx.opt.mem_mb ? ctx.opt.mem_mb :
			 offline_mem_mb(&ctx.opt));
		if ((size_t)snprintf(vdev, sizeof(vdev), "net_pcap0,rx_pcap=%s",
				     ctx.opt.pcap) >= sizeof(vdev)) {
			fprintf(stderr, "flowscope: %s: path too long\n", ctx.opt.pcap);
			return APP_EXIT_USAGE;
		}
		eal_argv[eal_argc++] = argv[0];
		eal_argv[eal_argc++] = "--no-huge";
		eal_argv[eal_argc++] = "--no-pci";
		eal_argv[eal_argc++] = "--no-shconf";
		eal_argv[eal_argc++] = "--no-telemetry";
		eal_argv[eal_argc++] = "-m";
		eal_argv[eal_argc++] = mem;
		/* Main (export) lcore, dispatch, workers: all share the two cores. */
		n_lcores = 1 + ctx.opt.lcores.rx +
			(ctx.opt.lcores.rx > 1 && ctx.reader == NULL &&
			 ctx.opt.lcores.dispatch != APP_SW_OFF ? 1 : 0);
		if (!ctx.opt.lcores.export_lcore)
			n_lcores = 1;
		snprintf(lcores, sizeof(lcores), n_lcores == 1 ? "0@(0-1)" :
			 "(0-%u)@(0-1)", n_lcores - 1);
		eal_argv[eal_argc++] = "--lcores";
		eal_argv[eal_argc++] = lcores;
		eal_argv[eal_argc++] = "--log-level";
		eal_argv[eal_argc++] = "error";
		if (ctx.reader == NULL) {
			eal_argv[eal_argc++] = "--vdev";
			eal_argv[eal_argc++] = vdev;
		}
		eal_argv[eal_argc] = NULL;
		/* Back the huge-page heap on the other core while EAL starts. */
		app_thp_heap_reserve(flow_heap_bytes(&ctx.opt));
		rc = rte_eal_init(eal_argc, eal_argv);
	} else {
		if (dashes < 0) {
			fprintf(stderr, "flowscope: no input: give --pcap FILE, or EAL "
				"arguments and '--' for live ports (see --help)\n");
			return APP_EXIT_USAGE;
		}
		if (ctx.opt.tracker.max_flows == 0)
			ctx.opt.tracker.max_flows = 1000000;
		rc = rte_eal_init(dashes, argv);
	}
	if (rc < 0) {
		fprintf(stderr, "flowscope: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		app_pcap_reader_close(ctx.reader);
		return APP_EXIT_ERROR;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_hup);
	signal(SIGPIPE, SIG_IGN);

	if (app_sinks_open(&ctx.sinks, ctx.opt.outputs, ctx.opt.n_outputs) != 0) {
		ret = APP_EXIT_USAGE;
		goto out;
	}
	flow_heap_open(&ctx);
	ret = app_run(&ctx);
	app_thp_heap_destroy();
out:
	if (app_sinks_close(&ctx.sinks) != 0 && ret == APP_EXIT_OK)
		ret = APP_EXIT_ERROR;
	app_pcap_reader_close(ctx.reader);
	rte_eal_cleanup();
	return ret;
}
