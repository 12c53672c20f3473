/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The tracker: one per RX lcore, it drives every flowcore stage.
 *
 *     frames -> decode -> key -> table -> tcp/history -> events
 *
 * fc_tracker_burst() takes a burst of frames, decodes them, builds and
 * hashes their keys, looks the whole burst up in the table at once, then
 * updates each flow in packet order and appends events to the tracker's
 * event buffer. The caller drains that buffer (fc_tracker_events() +
 * fc_tracker_events_clear()) after each call and hands the events to the
 * export path. The buffer never overflows: a call stops early when the
 * room left could not hold the worst case of the next frames, and returns
 * how many frames it consumed.
 *
 * With reassembly on, TCP payload of every flow goes through the lcore's
 * fc_reasm context: in-order bytes and explicit gaps reach the stream
 * consumer (fc_tracker_params.stream_cb, e.g. the stream dump) as they
 * arrive; when a flow ends its buffered data is flushed first, then its
 * flow_end carries the reassembly diagnostics of both sides. A side whose
 * reassembly overflows under the drop_flow policy ends its flow with
 * reason buffer_overflow; the flow's entry stays (silently) until it goes
 * idle, so later packets of the same connection do not start a new flow.
 *
 * With the session parsers on, reassembled TCP bytes and UDP datagrams
 * also go to the lcore's fc_l7 engine; each parsed message becomes a
 * `session` event of its flow, and a parser failing on traffic it
 * accepted ends the flow (reason parse_error, parse_error anomaly), kept
 * dead like a buffer_overflow. Session events use only the event buffer
 * room left after the worst case of the frames still to process; beyond
 * that they are dropped and counted (fc_l7 messages_dropped).
 *
 * Anomalies (out_of_order, buffer_overflow, eviction_pressure) are
 * coalesced: at most one per flow, side and kind per fc_tracker_burst()
 * chunk, emitted after the chunk's other events.
 *
 * Thread-safety: not MT-safe; one tracker per lcore, one writer per table.
 */
#ifndef FC_TRACKER_H
#define FC_TRACKER_H

#include <stdint.h>

#include "fc_event.h"
#include "fc_key.h"
#include "fc_pkt.h"
#include "fc_reasm.h"
#include "fc_table.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @internal opaque tracker handle */
struct fc_tracker;

/**
 * Most frames fc_tracker_burst() looks up in one go: rte_hash's bulk
 * maximum, so each of its rounds of memory accesses serves 64 packets.
 */
#define FC_TRACKER_BURST 64

/**
 * Most per-port timeout overrides. Together with the seven state timeouts
 * they may name at most FC_TABLE_TIMEOUTS (16) distinct values.
 */
#define FC_TRACKER_MAX_PORT_TIMEOUTS 15

/** A timeout for one transport port (either side of the flow). */
struct fc_port_timeout {
	uint8_t proto;      /**< IPPROTO_TCP / IPPROTO_UDP / ... */
	uint16_t port;      /**< port on either endpoint */
	uint16_t timeout_s; /**< idle timeout in seconds */
};

/**
 * Consumer of reassembled TCP bytes (optional). Sides are named by key
 * endpoint (`ep`: 0 = the key's endpoint 0 sent these bytes), which never
 * changes even when the tracker later swaps originator and responder;
 * end() tells which endpoint ended up as the originator.
 */
struct fc_tracker_stream_cb {
	void (*data)(void *arg, uint64_t flow_id, uint8_t ep, const uint8_t *p, uint32_t len);
	void (*gap)(void *arg, uint64_t flow_id, uint8_t ep, uint32_t len);
	/** The flow ended; called after its last data/gap, before its flow_end event is produced. */
	void (*end)(void *arg, uint64_t flow_id, uint8_t orig_ep, const struct fc_event_flow_end *e);
	void *arg;
};

/** Tracker parameters. Zero fields take the documented defaults. */
struct fc_tracker_params {
	const char *name;          /**< unique name of the lcore's objects */
	uint32_t max_flows;        /**< table capacity (default 1000000) */
	uint32_t ext_entries;      /**< flow extensions (default max_flows / 8 + 1024, + reasm.max_streams with reassembly) */
	uint32_t hash_seed;        /**< key hash seed (default 0; a random one resists crafted collisions) */
	int socket_id;             /**< NUMA socket */
	const char *table_heap;    /**< DPDK malloc heap of the tracker's memory: flow table, event buffer, reassembly pool, session parsers (e.g. an external one on huge pages); NULL = socket_id */
	uint8_t lcore_index;       /**< stored in the top 8 bits of every flow_id */
	/**
	 * Input shared by share_count trackers (each given every frame, e.g.
	 * each reading the same capture file): this one keeps the frames of
	 * share share_index (fc_key.h, SHARES: the share hash, seeded with
	 * hash_seed, read off the headers where it can be, else from the
	 * decoded frame); frames without a key go to share 0. The others
	 * only move its clock and count as frames_foreign, not in frames or
	 * the decode counters: most are not even decoded.
	 * 0 or 1 = keep every frame.
	 */
	uint8_t share_count;
	uint8_t share_index;
	struct fc_pkt_params pkt;  /**< decode / decap policy */
	struct fc_key_params key;  /**< key mode */
	uint32_t event_mask;       /**< FC_EV_BIT() set; 0 means fc_event_default_mask() */
	uint16_t timeout_tcp;      /**< established TCP idle timeout, s (default 300) */
	uint16_t timeout_tcp_embryonic; /**< TCP not yet established, s (default 30) */
	uint16_t timeout_tcp_closing;   /**< TCP after a FIN or in half-close, s (default 30) */
	uint16_t timeout_tcp_closed;    /**< TCP closed or reset: linger for trailing packets, s (default 5) */
	uint16_t timeout_tcp_partial;   /**< TCP whose endpoint opened with a FIN or RST (partial close), s (default 3) */
	uint16_t timeout_udp;      /**< UDP, s (default 60) */
	uint16_t timeout_other;    /**< everything else, s (default 30) */
	unsigned int n_port_timeouts; /**< entries used in port_timeouts; udp/53 = 10 s is added unless given */
	struct fc_port_timeout port_timeouts[FC_TRACKER_MAX_PORT_TIMEOUTS];
	uint32_t expire_budget;    /**< wheel visits per fc_tracker_expire() (default 256) */
	uint32_t evict_budget;     /**< flows examined to pick an eviction victim (default 64) */
	uint32_t event_capacity;   /**< event buffer entries (default 4096; at least the worst case of one chunk, 2113) */
	uint32_t flow_update_interval; /**< s between flow_update events of a long-lived flow; 0 = none */
	uint8_t verify_checksums;  /**< 1: check TCP/UDP checksums; a bad one is Zeek's C letter and the packet is only counted */
	uint8_t reasm_enabled;     /**< 1: reassemble TCP payload */
	struct fc_reasm_params reasm; /**< reassembly limits (reasm_enabled); name/socket filled in */
	const struct fc_tracker_stream_cb *stream_cb; /**< consumer of reassembled bytes, NULL = none */
	uint8_t l7_enabled;        /**< 1: run the session parsers (TCP needs reassembly) */
	struct fc_l7_engine_params l7; /**< parsers, sessions (l7_enabled); name/socket filled in */
};

/** One frame handed to the tracker. */
struct fc_frame {
	const uint8_t *data;   /**< first byte; contiguous for cap_len bytes */
	uint32_t cap_len;      /**< captured bytes */
	uint32_t wire_len;     /**< wire bytes, 0 if unknown (see fc_pkt_decode) */
	uint64_t ts;           /**< ns since the epoch */
};

/** Tracker counters; one list gives the struct and the names. */
#define FC_TRACKER_COUNTERS(X) \
	X(frames,          "frames passed to the tracker and kept (not another share's)") \
	X(frames_foreign,  "frames of another tracker's share (share_count): clock only") \
	X(frames_unkeyed,  "frames that yielded no flow key (undecodable, or L2-only in an IP key mode)") \
	X(layers,          "flow updates (a tunnelled frame updates one flow per layer)") \
	X(flows_created,   "flows created") \
	X(flows_ended,     "flows ended (all reasons)") \
	X(flows_evicted,   "flows ended to make room") \
	X(table_full,      "flow updates dropped: table full and no victim") \
	X(events,          "events produced") \
	X(events_masked,   "events suppressed by the event mask") \
	X(frames_dead_flow, "frames of flows already ended by buffer_overflow, absorbed until idle") \
	X(flow_updates,    "flow_update events produced") \
	X(ident_lost,      "tunnelled or QinQ flows created without their tunnel/inner VLAN identity: no flow extension left") \
	X(reasm_no_ext,    "TCP payload segments not reassembled: no flow extension left") \
	X(bad_checksum,    "TCP/UDP packets with a bad checksum (verify_checksums): counted, history C, not analysed")

/** Tracker statistics. flows_created == flows_ended + fc_tracker_active(). */
struct fc_tracker_stats {
#define FC_X_FIELD(name, desc) uint64_t name;
	FC_TRACKER_COUNTERS(FC_X_FIELD)
#undef FC_X_FIELD
	uint64_t ended[FC_END_MAX];  /**< flows ended per reason */
	struct fc_pkt_stats pkt;     /**< decode counters */
};

/**
 * Create a tracker and its table.
 * @return tracker, or NULL with rte_errno set (EINVAL, ENOMEM, EEXIST).
 */
struct fc_tracker *fc_tracker_create(const struct fc_tracker_params *p);

/** Free a tracker; open flows are dropped without events. NULL is a no-op. */
void fc_tracker_free(struct fc_tracker *tr);

/**
 * Track a burst of frames in order.
 * @return frames consumed (< n only when the event buffer needs draining).
 */
unsigned int fc_tracker_burst(struct fc_tracker *tr,
			      const struct fc_frame *frames, unsigned int n);

/**
 * End flows idle at `now` (bounded work: expire_budget wheel visits).
 * @return flows ended by this call.
 */
unsigned int fc_tracker_expire(struct fc_tracker *tr, uint64_t now_ns);

/**
 * End open flows with reason `shutdown` (or `idle` for a flow already
 * idle past its timeout at now), as many as the event buffer holds; call
 * (draining events in between) until it returns 0.
 * @return flows still open.
 */
uint32_t fc_tracker_end_all(struct fc_tracker *tr, uint64_t now_ns);

/** Events produced since the last clear; *n gets the count. */
const struct fc_event *fc_tracker_events(const struct fc_tracker *tr,
					 unsigned int *n);

/** Forget the drained events. */
void fc_tracker_events_clear(struct fc_tracker *tr);

/** Counters (owned by the tracker; read on its lcore). */
const struct fc_tracker_stats *fc_tracker_stats(const struct fc_tracker *tr);

/** Flows currently open. */
uint32_t fc_tracker_active(const struct fc_tracker *tr);

/**
 * Distinct idle timeouts these parameters name (the seven state timeouts
 * and the per-port values, defaults applied). fc_tracker_create() refuses
 * more than FC_TABLE_TIMEOUTS (EINVAL); check with this first to say why.
 */
unsigned int fc_tracker_timeout_values(const struct fc_tracker_params *p);

/**
 * Bytes of DPDK heap a whole tracker created with these parameters will
 * hold, defaults applied as fc_tracker_create() applies them: the flow
 * table, the event buffer, reassembly and the session parsers when
 * enabled (each module's own reckoning). All of it goes to table_heap
 * when that is set. For sizing the heap beforehand.
 */
uint64_t fc_tracker_memory_need(const struct fc_tracker_params *p);

/** Flow table capacity (flows). */
uint32_t fc_tracker_capacity(const struct fc_tracker *tr);

/** Flow table counters (extension pool use, rte_hash placement failures). */
const struct fc_table_stats *fc_tracker_table_stats(const struct fc_tracker *tr);

/** Latest packet time seen (ns), clamped monotonic. */
uint64_t fc_tracker_now(const struct fc_tracker *tr);

/** A flow as fc_tracker_top_flows() reports it. */
struct fc_tracker_flow_brief {
	uint64_t flow_id;
	struct fc_event_flow_id id;
	uint64_t first_ts;
	uint64_t last_ts;
	uint64_t pkts[2];
	uint64_t bytes[2];
};

/**
 * The n flows with the most bytes (both sides), largest first. Walks the
 * whole table: for operators (telemetry), not for the packet path. It
 * may run on another thread than the tracker's: records are never freed
 * while the tracker lives, so it is memory-safe, but a flow updated
 * meanwhile may be reported with torn counters.
 * @return flows written to out (<= n).
 */
unsigned int fc_tracker_top_flows(struct fc_tracker *tr, unsigned int n,
				  struct fc_tracker_flow_brief *out);

/** Session engine counters, NULL when the parsers are off. */
const struct fc_l7_stats *fc_tracker_l7_stats(const struct fc_tracker *tr);

/** Reassembly counters, NULL when reassembly is off. */
const struct fc_reasm_stats *fc_tracker_reasm_stats(const struct fc_tracker *tr);

/** Bytes of DPDK heap held by the tracker. */
uint64_t fc_tracker_memory(const struct fc_tracker *tr);

/** Name and description of counter i of FC_TRACKER_COUNTERS; NULL past the end. */
const char *fc_tracker_counter_name(unsigned int i, const char **desc);

/** Value of counter i of FC_TRACKER_COUNTERS. */
uint64_t fc_tracker_counter(const struct fc_tracker_stats *s, unsigned int i);

#ifdef __cplusplus
}
#endif

#endif /* FC_TRACKER_H */
