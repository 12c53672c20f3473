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

#include <rte_common.h>

#include <fc_reasm.h>
#include <fc_tracker.h>

#include "sink.h"

/** Exit codes. */
#define APP_EXIT_OK    0
#define APP_EXIT_ERROR 1 /**< runtime failure (EAL, port, memory) */
#define APP_EXIT_USAGE 2 /**< bad option, missing or unreadable file */

/** Most ethdev ports the app polls. */
#define APP_MAX_PORTS 8

/** Longest port name (PCI address or vdev name), including NUL. */
#define APP_PORT_NAME_MAX 64
/** Longest --output spec, including NUL. */
#define APP_OUTPUT_SPEC_MAX 1024
/** Longest directory path taken from the config, including NUL. */
#define APP_PATH_MAX 1024

/** Three-way switches of the config (auto|on|off). */
enum app_switch {
	APP_SW_AUTO = 0, /**< let the app decide from what the device offers */
	APP_SW_ON,
	APP_SW_OFF,
};

/** What a full event ring does to the worker (events.full_policy). */
enum app_full_policy {
	APP_FULL_AUTO = 0, /**< hold when every port replays a pcap file, else drop (default) */
	APP_FULL_DROP,     /**< count the events as dropped and go on */
	APP_FULL_HOLD,     /**< keep them and retry: back-pressure onto RX */
};

/** How dumped streams show a reassembly gap (dump.gap_fill). */
enum app_gap_fill {
	APP_GAP_SKIP = 0,  /**< leave the hole out */
	APP_GAP_FILL,      /**< write gap_byte once per missing byte */
};

/** One `ports` entry of the config. */
struct app_port_cfg {
	char name[APP_PORT_NAME_MAX]; /**< PCI address or vdev name (net_pcap0) */
	uint16_t rx_queues;    /**< RX queues; 0 = one per RX lcore */
	uint16_t rx_desc;      /**< RX descriptors per queue */
	uint16_t mtu;          /**< MTU to set; 0 = leave the device's */
	uint8_t promiscuous;   /**< 1: promiscuous mode */
	uint8_t rss;           /**< enum app_switch */
};

/** Lcore layout (lcores.*). */
struct app_lcore_cfg {
	uint16_t rx;               /**< RX worker lcores */
	uint8_t dispatch;          /**< enum app_switch: software dispatch lcore (devices without RSS) */
	uint8_t export_lcore;      /**< 1: a dedicated export lcore */
	uint32_t idle_backoff_us;  /**< longest sleep of an idle lcore, us */
};

/** Event transport (events.* but types). */
struct app_event_cfg {
	uint32_t flow_update_interval; /**< s between flow_update events of a flow; 0 = off */
	uint32_t ring_size;        /**< ring entries per worker (power of two) */
	uint32_t pool_size;        /**< events per worker */
	uint8_t full_policy;       /**< enum app_full_policy */
};

/** Session parsers (parsers.*). */
struct app_l7_cfg {
	uint32_t enabled;          /**< bit (1 << enum fc_l7_proto) per enabled parser */
	uint32_t probe_limit;      /**< bytes probed per side before giving up */
};

/** Packet buffers of the ports (memory.*). */
struct app_mem_cfg {
	uint32_t mbufs;            /**< mbufs in each port's pool; 0 = auto */
	uint32_t mbuf_size;        /**< data room of an mbuf (headroom included), B; 0 = auto */
};

/** Stream dumps (dump.*). */
struct app_dump_cfg {
	char streams_dir[APP_PATH_MAX]; /**< --dump-streams DIR; "" = off */
	uint8_t gap_fill;          /**< enum app_gap_fill */
	uint8_t gap_byte;          /**< fill byte with APP_GAP_FILL */
};

/**
 * Options: defaults, then the config file, then the command line (see
 * config.h; one schema table in config.c names every field). Holds its
 * strings itself, except pcap and config which point into argv.
 * outputs[i] points at output_buf[i]: copy the struct only while the
 * source lives.
 */
struct app_options {
	const char *pcap;              /**< --pcap FILE: offline mode */
	const char *config;            /**< --config FILE, NULL if none */
	const char *outputs[APP_MAX_SINKS]; /**< outputs: sink specs (--output, repeatable) */
	unsigned int n_outputs;
	char output_buf[APP_MAX_SINKS][APP_OUTPUT_SPEC_MAX]; /**< storage of outputs[] */
	unsigned int mem_mb;           /**< memory_mb: DPDK heap for offline mode, 0 = sized from max_flows */
	unsigned int stats_interval;   /**< stats.interval; 0 = only at exit */
	int print_stats;               /**< stats.enabled: emit stats objects */
	struct fc_tracker_params tracker; /**< table.*, decode.*, events.types */
	struct app_port_cfg ports[APP_MAX_PORTS]; /**< ports */
	unsigned int n_port_cfg;
	struct app_lcore_cfg lcores;   /**< lcores.* */
	int reasm_enabled;             /**< reassembly.enabled */
	int pcap_ethdev;               /**< pcap_ethdev: read --pcap through net_pcap, not the reader */
	uint8_t pcap_io;               /**< pcap_io: enum app_pcap_io, how the reader reads the file */
	struct fc_reasm_params reasm;  /**< reassembly.* (name, socket_id left to the caller) */
	struct app_l7_cfg l7;          /**< parsers.* */
	struct app_event_cfg events;   /**< events.* */
	struct app_dump_cfg dump;      /**< dump.* */
	struct app_mem_cfg mem;        /**< memory.* */
};

/** Most RX queues one worker polls. */
#define APP_MAX_RXQ 16
/** Most RX worker lcores. */
#define APP_MAX_WORKERS 32

/** Per-port state. */
struct app_port {
	uint16_t port_id;
	uint16_t n_rxq;            /**< RX queues configured */
	int is_pcap_file;          /**< net_pcap rx_pcap: an empty poll means EOF */
	struct rte_mempool *pool;  /**< the port's mbufs (on its socket) */
	char rss[24];              /**< how flows are spread: "none", "symmetric_toeplitz", "0x6d5a key" */
};

/** One RX queue a poller reads (state written by that poller only). */
struct app_rxq {
	uint16_t port;             /**< index into app_ctx.ports */
	uint16_t queue;
	int eof;                   /**< a replayed file's end: no more frames will come */
	uint64_t last_nombuf;      /**< port rx_nombuf at this queue's last empty poll */
};

/** Event hand-off counters of one worker (events produced = enqueued + dropped). */
#define APP_EXPORT_COUNTERS(X) \
	X(enqueued,        "events handed to the export lcore") \
	X(drop_ring_full,  "events dropped: the ring to the export lcore was full") \
	X(drop_pool_empty, "events dropped: no free event object") \
	X(hold_waits,      "waits for room while holding RX (policy hold)")

struct app_export_stats {
#define APP_X_FIELD(name, desc) uint64_t name;
	APP_EXPORT_COUNTERS(APP_X_FIELD)
#undef APP_X_FIELD
};

/**
 * The live clock of one lcore: the TSC converted to ns, anchored to
 * CLOCK_REALTIME (so timestamps are wall-clock time) and re-anchored
 * once a second, so it does not drift from it; it never goes back.
 */
struct app_clock {
	uint64_t tsc0;             /**< TSC at the anchor */
	uint64_t ns0;              /**< ns since the epoch at the anchor */
	uint64_t mult;             /**< ns per TSC tick, 32.32 fixed point */
	uint64_t next_anchor;      /**< TSC of the next re-anchoring */
	uint64_t hz;               /**< TSC ticks per second */
	uint64_t last;             /**< the last value returned */
};

struct app_ctx;
struct app_pcap_reader;
struct app_stream_dump;
struct rte_mbuf;
struct rte_ring;
struct rte_mempool;

/**
 * An RX worker lcore: its queues (or its ring from the dispatch lcore),
 * its tracker (flow table, reassembly), its event pool and ring.
 * Counters are written by the worker only; others read them for stats.
 */
struct app_worker {
	struct app_ctx *ctx;
	unsigned int index;
	unsigned int lcore_id;
	struct fc_tracker *tracker;
	struct app_rxq rxq[APP_MAX_RXQ];
	unsigned int n_rxq;
	struct rte_ring *in;            /**< mbufs from the dispatch lcore, or NULL */
	struct rte_ring *ev_ring;       /**< event pointers to the export lcore, or NULL (direct sinks) */
	struct rte_mempool *ev_pool;    /**< event objects (freed by the export lcore) */
	struct app_stream_dump *dump;   /**< --dump-streams, or NULL */
	struct app_pcap_reader *reader; /**< frames from a mapped capture file instead of queues, or NULL */
	struct fc_tracker_stream_cb dump_cb;
	struct app_clock clock;         /**< live time of this worker */
	uint64_t rx_frames;             /**< frames handed to the tracker */
	uint64_t rx_linearized;         /**< multi-segment frames copied to be contiguous */
	uint64_t rx_oversize;           /**< frames larger than the linearize buffer (truncated) */
	struct app_export_stats ex;
	/** Events given to the sinks: written by the export lcore (by the worker without one), on its own cache line. */
	uint64_t ev_exported __rte_cache_aligned;
	volatile int done;              /**< 1: finished, every event handed over */
};

/** The software dispatch lcore (devices without RSS). */
struct app_dispatch {
	unsigned int lcore_id;
	struct app_rxq rxq[APP_MAX_RXQ];
	unsigned int n_rxq;
	uint64_t frames;                /**< frames read */
	uint64_t dropped;               /**< frames dropped: a worker ring was full (policy drop) */
	uint64_t hold_waits;            /**< waits for room (policy hold) */
	volatile uint64_t clock;        /**< packet time (ns) of the newest frame handed over (offline) */
	volatile int done;              /**< 1: every port at its end, everything handed over */
};

/** Everything one run needs. */
struct app_ctx {
	struct app_options opt;
	struct app_port ports[APP_MAX_PORTS];
	unsigned int n_ports;
	struct app_worker workers[APP_MAX_WORKERS];
	unsigned int n_workers;
	int use_dispatch;           /**< 1 if a dispatch lcore feeds the workers */
	struct app_dispatch dispatch;
	int use_export;             /**< 1 if events go over rings to the export (main) lcore */
	int hold;                   /**< full rings hold RX instead of dropping */
	struct app_sinks sinks;
	struct app_pcap_reader *reader; /**< --pcap through the reader: worker 0's (the file's counters), or NULL */
	int packet_clock;           /**< 1 if every port replays a pcap file: time = capture time */
	int ts_dynfield;            /**< mbuf dynfield offset of RX timestamps, -1 if none */
	uint64_t ts_dynflag;        /**< ol_flags bit that says a timestamp is present */
	uint64_t start_tsc;         /**< TSC at start of the run */
	volatile sig_atomic_t *quit; /**< set by SIGINT/SIGTERM: stop RX, drain, end flows */
	volatile sig_atomic_t *hup;  /**< set by SIGHUP: reopen sinks */
	volatile int stop_rx;       /**< set by the main lcore: workers stop reading */
};

/* options.c */
int app_options_parse(struct app_options *o, int argc, char **argv);
void app_usage(FILE *f, const char *prog);

/* port.c */
/**
 * Set up every ethdev port the config lists (or every probed port): its
 * mbuf pool, RX queues (RSS or the dispatch lcore), TX queues, start.
 * @return 0; APP_EXIT_USAGE when the config does not fit the devices (an
 *         unknown port, rss on without RSS, a queue count), after a
 *         message; APP_EXIT_ERROR when a device or the memory fails.
 */
int app_ports_init(struct app_ctx *ctx);
void app_ports_close(struct app_ctx *ctx);

/* rx_lcore.c */
int app_worker_main(void *arg);
uint64_t app_wall_ns(void);
/** Start a live clock now. */
void app_clock_init(struct app_clock *c);
/** The live time now (ns since the epoch): one TSC read, once a second a CLOCK_REALTIME read. */
uint64_t app_clock_now(struct app_clock *c);
void app_frame_fill(const struct app_ctx *ctx, struct rte_mbuf *m, struct fc_frame *f,
		    uint8_t *scratch, uint64_t *now, struct app_worker *w);

/* dispatch.c */
int app_dispatch_main(void *arg);

/* export_lcore.c */
int app_export_loop(struct app_ctx *ctx);

/* stats.c */
void app_stats_emit(struct app_ctx *ctx, int final);
void app_stats_live_line(struct app_ctx *ctx);

/* telemetry.c */
/** Register the /flowscope/ telemetry commands; they read ctx from now on. */
int app_telemetry_register(struct app_ctx *ctx);
/** Make the commands fail from now on (before the workers are freed). */
void app_telemetry_unregister(void);

#endif /* APP_H */
