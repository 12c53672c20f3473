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
#include <rte_lcore.h>

#include "app.h"

static volatile sig_atomic_t quit_flag;

static void
on_signal(int sig)
{
	(void)sig;
	quit_flag = 1;
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

/* DPDK heap for offline mode: records, hash, mbufs, plus fixed overhead. */
static unsigned int
offline_mem_mb(const struct app_options *o)
{
	uint64_t flows = o->tracker.max_flows;
	/* ~340 B per flow: hash slot share + hot and cold records, with headroom. */
	uint64_t mb = 64 + (flows * 340 + (1u << 20) - 1) / (1u << 20);

	return (unsigned int)mb;
}

int
main(int argc, char **argv)
{
	struct app_ctx ctx;
	char *eal_argv[32];
	char mem[16], vdev[4200];
	int eal_argc = 0, app_argc, dashes = -1, i, rc, ret = APP_EXIT_OK;
	char **app_argv;

	memset(&ctx, 0, sizeof(ctx));
	ctx.quit = &quit_flag;
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
		if (ctx.opt.tracker.max_flows == 0)
			ctx.opt.tracker.max_flows = 1u << 18;
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
		eal_argv[eal_argc++] = "--lcores";
		eal_argv[eal_argc++] = "0@(0-1)";
		eal_argv[eal_argc++] = "--log-level";
		eal_argv[eal_argc++] = "error";
		eal_argv[eal_argc++] = "--vdev";
		eal_argv[eal_argc++] = vdev;
		eal_argv[eal_argc] = NULL;
		rc = rte_eal_init(eal_argc, eal_argv);
	} else {
		if (dashes < 0) {
			fprintf(stderr, "flowscope: no input: give --pcap FILE, or EAL "
				"arguments and '--' for live ports (see --help)\n");
			return APP_EXIT_USAGE;
		}
		if (ctx.opt.tracker.max_flows == 0)
			ctx.opt.tracker.max_flows = 1u << 20;
		rc = rte_eal_init(dashes, argv);
	}
	if (rc < 0) {
		fprintf(stderr, "flowscope: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return APP_EXIT_ERROR;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (app_sinks_open(&ctx.sinks, ctx.opt.outputs, ctx.opt.n_outputs) != 0) {
		ret = APP_EXIT_USAGE;
		goto out;
	}
	ctx.opt.tracker.name = "fc_lcore0";
	ctx.opt.tracker.socket_id = (int)rte_socket_id();
	ctx.opt.tracker.lcore_index = (uint8_t)rte_lcore_index(-1);
	ctx.tracker = fc_tracker_create(&ctx.opt.tracker);
	if (ctx.tracker == NULL) {
		fprintf(stderr, "flowscope: cannot create the flow table (%u flows, "
			"about %u MB of DPDK heap): %s%s\n",
			ctx.opt.tracker.max_flows, offline_mem_mb(&ctx.opt),
			rte_strerror(rte_errno),
			rte_errno == ENOMEM ? "; give EAL more memory (-m, --memory "
			"offline) or lower --max-flows" : "");
		ret = APP_EXIT_ERROR;
		goto out;
	}
	if (app_ports_init(&ctx) != 0) {
		ret = APP_EXIT_ERROR;
		goto out;
	}
	if (app_rx_loop(&ctx) != 0)
		ret = APP_EXIT_ERROR;
	app_ports_close(&ctx);
out:
	if (app_sinks_close(&ctx.sinks) != 0 && ret == APP_EXIT_OK)
		ret = APP_EXIT_ERROR;
	fc_tracker_free(ctx.tracker);
	rte_eal_cleanup();
	return ret;
}
