/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * TCP reassembly: one context per RX lcore, one stream per (flow, side).
 *
 *     tracker -> fc_reasm_segment() -> in-order bytes / gaps -> consumer
 *
 * A stream is created lazily on the first payload byte of a side. In-order
 * payload is handed to the consumer at once, straight from the frame (no
 * copy). Out-of-order segments are copied into fixed-size chunks of a
 * per-lcore rte_mempool (the memcap) and kept sorted by sequence number
 * until the hole before them fills. Retransmissions and overlaps are
 * trimmed with one policy, "first wins": bytes already delivered or
 * buffered are never replaced.
 *
 * Holes are explicit. When a hole cannot be filled - the side's OOO
 * segment or byte limit is reached, the lcore memcap is exhausted, the
 * oldest buffered segment waited longer than the OOO deadline, or the
 * flow ends - the consumer is told gap(N) and delivery continues after
 * the hole. A lost segment never stops later data.
 *
 * Per-side cap policy (the reference's OverflowPolicy): SlidingWindow
 * (default) skips holes as above; DropFlow poisons the stream instead and
 * the caller ends the flow with reason buffer_overflow. The policy is
 * about the side's own limits (max_ooo_segs, side_cap): the lcore memcap,
 * the deadline and flow end always produce gaps, so a side is never
 * poisoned because other flows hold the memory.
 *
 * Sequence numbers are compared with serial-number arithmetic (FC_SEQ_*),
 * so every ISN, including 0, 1, 2^31 and 2^32 - 1, works. A segment more
 * than FC_REASM_MAX_WINDOW away from the next expected byte is out of the
 * window: it is counted (out_of_window) and dropped, with no gap. Only a
 * run of FC_REASM_RESYNC_SEGS such segments, all far ahead and close to
 * one another, moves the stream there (counter resyncs).
 *
 * Link padding counted as payload: some networks deliver pure ACKs whose
 * IP length covers the Ethernet padding, so 2 to 6 zero bytes appear as
 * data at the sender's next sequence number, and the real data later
 * arrives at that same number. A tiny all-zero segment (2 to
 * FC_REASM_PAD_MAX bytes, whatever its flags: a SYN-ACK or RST without
 * options is padded too) that would be delivered in order is
 * therefore held back: data that starts at or before its first byte
 * supersedes it (the zeros are dropped, counter pads_dropped); data that
 * starts after it, or a hole behind it, proves it was stream data and it
 * is delivered. At the flush a held pad is dropped.
 *
 * Thread-safety: not MT-safe; one context per lcore.
 */
#ifndef FC_REASM_H
#define FC_REASM_H

#include <stdint.h>

#include "fc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @internal opaque per-lcore reassembly context */
struct fc_reasm;

/** Stream handle stored by the caller per (flow, side); 0 = none yet. */
typedef uint32_t fc_stream_t;

/**
 * Handle value meaning "no stream state was left when this side began":
 * the side is not reassembled (counted once in streams_exhausted), later
 * calls with it do nothing and fc_reasm_release() turns it back into 0.
 */
#define FC_REASM_STREAM_UNTRACKED UINT32_MAX

/**
 * Payload bytes per OOO chunk (a 512-byte pool element less its header):
 * a 1460-byte segment takes three chunks. memcap / 576 (element plus the
 * pool's per-object header) is roughly the number of chunks.
 */
#define FC_REASM_CHUNK_DATA 488

/**
 * Farthest a segment may lie from the next expected byte, either way
 * (2^30, the largest TCP window, RFC 7323 section 2.3). A segment beyond
 * it cannot belong to the stream as we know it: it is counted
 * (out_of_window) and dropped without a gap, so one stray or corrupt
 * segment never costs the stream anything.
 */
#define FC_REASM_MAX_WINDOW (UINT32_C(1) << 30)

/**
 * Consecutive far-ahead segments (each more than FC_REASM_MAX_WINDOW ahead
 * of the next expected byte, each within FC_REASM_RESYNC_SPAN of the one
 * before, no in-window segment between them) after which the stream
 * resynchronises: what is buffered is flushed, the jump to the lowest of
 * them is declared as a gap and delivery goes on from there (counter
 * resyncs). This is the capture that lost gigabytes of one connection; a
 * segment far behind never moves the stream.
 */
#define FC_REASM_RESYNC_SEGS 4

/** Largest distance between consecutive segments of one far-ahead run. */
#define FC_REASM_RESYNC_SPAN (UINT32_C(1) << 20)

/**
 * Largest all-zero segment held back as possible link padding: the
 * Ethernet padding of a pure ACK (60-byte minimum frame - 14 - 20 - 20).
 */
#define FC_REASM_PAD_MAX 6

/** What to do when a side's limits are reached. */
#define FC_REASM_OVERFLOW_POLICIES(X) \
	X(FC_REASM_, SLIDING_WINDOW, "sliding_window") \
	X(FC_REASM_, DROP_FLOW,      "drop_flow")

enum fc_reasm_overflow {
	FC_REASM_OVERFLOW_POLICIES(FC_X_ENUM)
	FC_REASM_OVERFLOW_MAX
};

/** Parameters; zero fields take the documented defaults. */
struct fc_reasm_params {
	const char *name;        /**< unique name for the lcore's pools */
	int socket_id;           /**< NUMA socket */
	uint32_t max_streams;    /**< stream states (default 65536); none left: counted, side not reassembled */
	uint64_t memcap;         /**< bytes of OOO chunk memory per lcore, pool overhead included (default 64 MiB) */
	uint32_t side_cap;       /**< OOO bytes buffered per side (default 256 KiB) */
	uint16_t max_ooo_segs;   /**< OOO segments buffered per side (default 256; a segment stored into several holes counts once per hole) */
	uint32_t ooo_deadline_ms;/**< hole older than this (packet time) becomes a gap (default 1000; 0 = default) */
	uint8_t overflow;        /**< enum fc_reasm_overflow (default SLIDING_WINDOW) */
};

/** Segment flags (struct fc_reasm_seg.flags). */
#define FC_REASM_SEG_SYN 0x01
#define FC_REASM_SEG_FIN 0x02
#define FC_REASM_SEG_RST 0x04

/** One TCP segment of one side. */
struct fc_reasm_seg {
	uint32_t seq;            /**< sequence number of the first payload byte (SYN: the ISN) */
	uint32_t len;            /**< payload bytes */
	const uint8_t *payload;  /**< len bytes; only read during the call */
	uint64_t ts;             /**< packet time, ns */
	uint8_t flags;           /**< FC_REASM_SEG_* */
};

/**
 * Consumer of a side's byte stream. Called during fc_reasm_segment() /
 * fc_reasm_flush() / fc_reasm_release(); pointers are valid only during
 * the call. `arg` is the caller's per-call cookie.
 */
struct fc_reasm_cb {
	void (*data)(void *arg, const uint8_t *p, uint32_t len);
	void (*gap)(void *arg, uint32_t len);
};

/** Diagnostics of one side, as flow_end reports them. */
struct fc_reasm_side_stats {
	uint64_t delivered;      /**< bytes handed to the consumer */
	uint64_t ooo_segs;       /**< segments that arrived ahead of a hole */
	uint64_t retransmits;    /**< segments entirely at or below delivered/buffered data */
	uint64_t overlap_bytes;  /**< bytes of partial overlaps trimmed (first wins) */
	uint64_t gap_bytes;      /**< bytes declared missing */
	uint64_t dropped_oversize; /**< bytes not kept: drop_flow poisoned the side (its buffer, the segment, every later one); sliding_window never drops, it declares gaps */
	uint64_t out_of_window;  /**< segments dropped: more than FC_REASM_MAX_WINDOW from the next byte */
	uint64_t pads_dropped;   /**< tiny all-zero segments dropped as link padding (superseded, or held at the flush) */
	uint32_t high_watermark; /**< peak OOO bytes buffered */
	uint32_t buffered;       /**< OOO bytes buffered now */
};

/** Per-lcore counters. */
#define FC_REASM_COUNTERS(X) \
	X(streams_created,    "streams created") \
	X(streams_released,   "streams released") \
	X(streams_exhausted,  "sides not reassembled: no stream state left") \
	X(segments,           "payload segments seen") \
	X(segments_ooo,       "segments that arrived ahead of a hole") \
	X(retransmits,        "segments already delivered or buffered") \
	X(overlap_bytes,      "bytes of partial overlaps trimmed") \
	X(gaps,               "holes declared") \
	X(gap_bytes,          "bytes declared missing") \
	X(memcap_hits,        "segments that met the memcap") \
	X(dropped_bytes,      "bytes not kept: poisoned streams (drop_flow)") \
	X(poisoned,           "streams poisoned by the drop_flow policy") \
	X(resyncs,            "runs of far-ahead segments: delivery restarted there") \
	X(out_of_window,      "segments dropped: farther than the maximum window from the next byte") \
	X(pads_dropped,       "tiny all-zero segments dropped as link padding")

struct fc_reasm_stats {
#define FC_X_FIELD(name, desc) uint64_t name;
	FC_REASM_COUNTERS(FC_X_FIELD)
#undef FC_X_FIELD
	uint64_t chunks_in_use;  /**< chunks held now */
	uint64_t chunks_total;   /**< chunks in the pool */
};

/** Create a context. @return NULL with rte_errno set (EINVAL, ENOMEM, EEXIST). */
struct fc_reasm *fc_reasm_create(const struct fc_reasm_params *p);

/** Free a context and every stream. NULL is a no-op. */
void fc_reasm_free(struct fc_reasm *r);

/**
 * Feed one segment of one side. Creates the stream on the first payload
 * byte (*stream == 0); segments without payload (a bare SYN, ACK or FIN)
 * never create one. has_isn = 1 says the side's SYN was seen with
 * sequence number isn, so the stream starts at isn + 1 and a first
 * payload segment beyond it is out of order; with has_isn = 0 the first
 * payload segment sets the start (mid-stream pickup). A SYN's payload
 * (TCP Fast Open) starts at seq + 1 and is delivered like any other.
 * FIN and RST need no delivery action: call fc_reasm_flush() when the
 * flow ends. A segment without payload on an existing stream still lets
 * the OOO deadline run (packet time seg->ts).
 *
 * If no stream state is left, *stream becomes FC_REASM_STREAM_UNTRACKED
 * and the side is not reassembled; 0 is returned.
 *
 * @param r [in] context
 * @param stream [in,out] the side's handle (0 before its first payload)
 * @param seg [in] the segment; its payload is read during the call only
 * @param has_isn 1 if the side's SYN was seen
 * @param isn that SYN's sequence number (used when has_isn is 1)
 * @param cb [in] consumer (NULL: bytes are only counted)
 * @param arg cookie passed to cb
 * @return 0, -ENOSPC if the side was poisoned by the drop_flow policy
 *         by this or an earlier call (end the flow with buffer_overflow),
 *         or -EINVAL for a NULL argument, a payload pointer that is NULL
 *         with len > 0, len > FC_REASM_MAX_WINDOW, or a handle that is
 *         not a live stream of this context.
 */
int fc_reasm_segment(struct fc_reasm *r, fc_stream_t *stream,
		     const struct fc_reasm_seg *seg, int has_isn, uint32_t isn,
		     const struct fc_reasm_cb *cb, void *arg);

/**
 * Deliver everything buffered on a side: each remaining hole becomes a
 * gap. Call when the flow ends normally (fin, idle, shutdown) before
 * fc_reasm_release().
 */
void fc_reasm_flush(struct fc_reasm *r, fc_stream_t stream,
		    const struct fc_reasm_cb *cb, void *arg);

/** Diagnostics of a side; zeroes for stream 0. */
void fc_reasm_side_stats(const struct fc_reasm *r, fc_stream_t stream,
			 struct fc_reasm_side_stats *out);

/** Free a side's buffers and state (no delivery); *stream becomes 0. */
void fc_reasm_release(struct fc_reasm *r, fc_stream_t *stream);

/** 1 if the side is poisoned (drop_flow). */
int fc_reasm_poisoned(const struct fc_reasm *r, fc_stream_t stream);

/** Counters of the context. */
const struct fc_reasm_stats *fc_reasm_stats(const struct fc_reasm *r);

/** Bytes of DPDK heap held by the context (pools included). */
uint64_t fc_reasm_memory(const struct fc_reasm *r);

/**
 * Bytes of DPDK heap an engine created with these parameters will hold
 * (defaults applied as fc_reasm_create() applies them), with each
 * allocation's malloc overhead: for sizing a heap beforehand.
 */
uint64_t fc_reasm_memory_need(const struct fc_reasm_params *p);

/** Name of an overflow policy, "?" if out of range. */
const char *fc_reasm_overflow_name(unsigned int policy);

/** Parse an overflow policy name. @return 0 or -EINVAL. */
int fc_reasm_overflow_parse(const char *s, uint8_t *policy);

/** Name and description of counter i of FC_REASM_COUNTERS; NULL past the end. */
const char *fc_reasm_counter_name(unsigned int i, const char **desc);

/** Value of counter i of FC_REASM_COUNTERS. */
uint64_t fc_reasm_counter(const struct fc_reasm_stats *s, unsigned int i);

#ifdef __cplusplus
}
#endif

#endif /* FC_REASM_H */
