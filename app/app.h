/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The flowscope application context: one struct passed to every lcore.
 * Nothing global but the quit flag the signal handler sets.
 */
#ifndef APP_H
#define APP_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <fc_tracker.h>

#include "sink.h"

/** Exit codes. */
#define APP_EXIT_OK    0
#define APP_EXIT_ERROR 1 /**< runtime failure (EAL, port, memory) */
#define APP_EXIT_USAGE 2 /**< bad option, missing or unreadable file */

/** Most ethdev ports the app polls. */
#define APP_MAX_PORTS 8

/** Options from the command line (and, later, the config file). */
struct app_options {
	const char *pcap;              /**< --pcap FILE: offline mode */
	const char *outputs[APP_MAX_SINKS]; /**< --output SCHEME:TARGET (repeatable; default ndjson:-) */
	unsigned int n_outputs;
	unsigned int mem_mb;           /**< --memory MB for the DPDK heap (offline mode) */
	unsigned int stats_interval;   /**< --stats-interval S; 0 = only at exit */
	int print_stats;               /**< emit stats objects (default 1) */
	struct fc_tracker_params tracker; /**< table, keys, decap, timeouts, events */
};

/** Per-port state. */
struct app_port {
	uint16_t port_id;
	int is_pcap_file;          /**< net_pcap rx_pcap: an empty poll means EOF */
	int eof;                   /**< no more frames will come */
	uint64_t last_nombuf;      /**< rx_nombuf at the last empty poll */
};

/** Everything one run needs. */
struct app_ctx {
	struct app_options opt;
	struct rte_mempool *mbuf_pool;
	struct app_port ports[APP_MAX_PORTS];
	unsigned int n_ports;
	struct fc_tracker *tracker;
	struct app_sinks sinks;
	int packet_clock;           /**< 1 if every port replays a pcap file: time = capture time */
	int ts_dynfield;            /**< mbuf dynfield offset of RX timestamps, -1 if none */
	uint64_t ts_dynflag;        /**< ol_flags bit that says a timestamp is present */
	uint64_t rx_frames;         /**< frames received from all ports */
	uint64_t rx_linearized;     /**< multi-segment frames copied to be contiguous */
	uint64_t rx_oversize;       /**< frames larger than the linearize buffer (truncated) */
	uint64_t start_tsc;         /**< TSC at start of the run */
	volatile sig_atomic_t *quit; /**< set by SIGINT/SIGTERM */
};

/* options.c */
int app_options_parse(struct app_options *o, int argc, char **argv);
void app_usage(FILE *f, const char *prog);

/* port.c */
int app_ports_init(struct app_ctx *ctx);
void app_ports_close(struct app_ctx *ctx);

/* rx_lcore.c */
int app_rx_loop(struct app_ctx *ctx);

/* stats.c */
void app_stats_emit(struct app_ctx *ctx, int final);

#endif /* APP_H */
