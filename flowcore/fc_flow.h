/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The flow record: 128 bytes (two cache lines) per flow, everything a
 * tracked flow needs, plus an optional 64-byte extension for what few
 * flows need.
 *
 * struct fc_flow lives in an array owned by the lcore's fc_table, indexed
 * by the key's rte_hash position; only that lcore writes it. The first
 * line holds time and counters (written by every packet), the second the
 * TCP state, the packed history, the timer-wheel links and the flow's
 * identity. A datagram flow's usual packet (not its side's first with
 * payload, no datagram parser) reads and writes the first line only, so
 * the tracker loads the second just for TCP and parsed flows. To fit, values are stored as narrowly as they can be without
 * losing anything a flow can reach:
 *
 *  - timestamps are microseconds (the resolution of every output): the
 *    first since the Unix epoch in 52 bits (to 2112), the last as the time
 *    since the first in 48 bits (8.9 years);
 *  - the four counters per side (packets, L2 bytes, IP bytes, payload
 *    bytes) are 48 bits (2.8e14) as a 32-bit low word and a 16-bit high
 *    word;
 *  - the idle timeout is an index into the table's timeout list (4 bits),
 *    next to the outer VLAN id (12 bits); the per-port override that
 *    chose it (4 bits) sits above the first time;
 *  - which sides sent packets is read off the packet counters, and
 *    whether the flow is filed on the timer wheel off its wheel link;
 *  - the flow_id sequence is 40 bits (1.1e12 flows per lcore), next to the
 *    extension's index (24 bits).
 *
 * struct fc_flow_ext holds what is rare or optional: Zeek history letters
 * beyond the tenth and its c/g/t/w counters, tunnel identity, the inner
 * VLAN, TCP reassembly streams and the TCP session parser. Extensions come
 * from a per-table pool (fc_table_params.ext_entries) on first need; a
 * flow that cannot get one is counted (fc_table_stats.ext_full) and loses
 * only that optional state (its history is marked truncated, its streams
 * are not reassembled).
 *
 * Per-side arrays are indexed by originator-relative side
 * (FC_SIDE_ORIG = 0, FC_SIDE_RESP = 1); when the tracker decides the roles
 * were guessed wrong it swaps them.
 */
#ifndef FC_FLOW_H
#define FC_FLOW_H

#include <stdalign.h>
#include <stdint.h>

#include "fc_history.h"
#include "fc_l7.h"
#include "fc_reasm.h"
#include "fc_tcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Flow flags (struct fc_flow.flags). */
#define FC_FLOW_F_ORIG_REV  0x01 /**< the originator is key endpoint 1 */
#define FC_FLOW_F_TCP       0x02 /**< the TCP machine runs for this flow */
#define FC_FLOW_F_EMBRYONIC 0x04 /**< not (yet) a two-way conversation: evicted first */
#define FC_FLOW_F_DEAD      0x08 /**< already ended (buffer_overflow, parse_error): absorbs packets until idle, removed silently */
#define FC_FLOW_F_CLOSED    0x10 /**< TCP closed or reset: lingering for trailing packets, evicted first */
#define FC_FLOW_F_RST       0x20 /**< with FC_FLOW_F_CLOSED: it was a reset (end reason rst, else fin) */
#define FC_FLOW_F_PARTIAL   0x40 /**< an endpoint's first packet was a FIN or RST (Zeek's partial close) */
#define FC_FLOW_F_UDP       0x80 /**< an IP protocol 17 flow */

/** Counter indexes of struct fc_flow_ctr. */
enum fc_flow_ctr_id {
	FC_CTR_PKTS = 0,  /**< packets */
	FC_CTR_BYTES,     /**< L2 frame bytes on the wire */
	FC_CTR_IP,        /**< IP total length */
	FC_CTR_PAYLOAD,   /**< L4 payload per the headers */
	FC_CTR_MAX
};

/** Four 48-bit counters of one side: low words, then high words. */
struct fc_flow_ctr {
	uint32_t lo[FC_CTR_MAX];
	uint16_t hi[FC_CTR_MAX];
};

/** State of a flow that is not TCP (shares the TCP state's place). */
struct fc_flow_dgram {
	uint8_t icmp_type;          /**< ICMP type of the originator's first packet */
	uint8_t icmp_code;          /**< ICMP code of the originator's first packet */
	uint8_t pad[2];
	fc_l7_session_t session;    /**< datagram session parser, 0 = none yet */
	uint8_t spare[24];
};

/** The flow record (one writer: the owning RX lcore). */
struct fc_flow {
	/* Line 0: time and counters. */
	uint32_t first_lo;          /**< first packet, us since the Unix epoch: bits 0-31 */
	uint16_t first_mid;         /**< ... bits 32-47 */
	uint8_t first_hi;           /**< ... bits 48-51 (low nibble); per-port timeout override + 1 (high nibble) */
	uint8_t flags;              /**< FC_FLOW_F_* */
	uint32_t last_lo;           /**< last packet, us after the first: bits 0-31 */
	uint16_t last_hi;           /**< ... bits 32-47 */
	uint16_t vt;                /**< outer VLAN id (bits 0-11), timeout index (12-15) */
	struct fc_flow_ctr ctr[2];  /**< per side */
	/* Line 1: state and identity. */
	union {
		struct fc_tcp_conn tcp;     /**< FC_FLOW_F_TCP */
		struct fc_flow_dgram dg;    /**< other flows */
	};
	struct fc_history_core hist;    /**< packed history letters */
	uint32_t wheel_next;        /**< filed class (bits 30-31; 3 = not filed) and next flow's position */
	uint32_t wheel_prev;        /**< previous flow (position), or FC_FLOW_WHEEL_HEAD | class << 12 | slot */
	uint64_t ident;             /**< flow_id sequence (bits 0-39), extension index + 1 (40-63) */
};
static_assert(sizeof(struct fc_flow) == 128, "a flow record is two cache lines");

/** wheel_prev of the first flow of a slot list. */
#define FC_FLOW_WHEEL_HEAD 0x80000000u

/** The optional part of a flow (see the file comment). */
struct fc_flow_ext {
	struct fc_history_ext hist;    /**< long history, counters, RST sequences */
	uint64_t tunnel_parent;        /**< flow_id of the outer tunnel flow, 0 if none */
	uint32_t tunnel_id;            /**< VNI / TEID / GRE key */
	fc_stream_t stream[2];         /**< reassembly stream per side (originator-relative), 0 = none */
	fc_l7_session_t session;       /**< TCP session parser, 0 = none yet */
	uint16_t vlan_inner;           /**< inner VLAN id */
	uint8_t tunnel;                /**< enum fc_tunnel that carried the flow */
	uint8_t pad[1];
	uint32_t next_free;            /**< free-list link (pool use) */
};
static_assert(sizeof(struct fc_flow_ext) == 64, "a flow extension is one cache line");

/** Largest flow_id sequence a record holds. */
#define FC_FLOW_SEQ_MASK ((1ull << 40) - 1)
/** Most extensions a table can index. */
#define FC_FLOW_EXT_MAX ((1u << 24) - 1)

/** Largest time a record holds: us since the Unix epoch in 52 bits (2112). */
#define FC_FLOW_US_MAX ((1ull << 52) - 1)
/** Longest flow a record measures: 48 bits of us (8.9 years). */
#define FC_FLOW_SPAN_MAX ((1ull << 48) - 1)

static inline uint64_t
fc_flow_first_us(const struct fc_flow *f)
{
	return (uint64_t)(f->first_hi & 0xf) << 48 |
		(uint64_t)f->first_mid << 32 | f->first_lo;
}

/** Set the first time (and the last to the same); us is clamped to 52 bits. */
static inline void
fc_flow_set_first_us(struct fc_flow *f, uint64_t us)
{
	if (us > FC_FLOW_US_MAX)
		us = FC_FLOW_US_MAX;
	f->first_lo = (uint32_t)us;
	f->first_mid = (uint16_t)(us >> 32);
	f->first_hi = (uint8_t)((f->first_hi & 0xf0) | (us >> 48));
	f->last_lo = 0;
	f->last_hi = 0;
}

static inline uint64_t
fc_flow_span_us(const struct fc_flow *f)
{
	return (uint64_t)f->last_hi << 32 | f->last_lo;
}

static inline uint64_t
fc_flow_last_us(const struct fc_flow *f)
{
	return fc_flow_first_us(f) + fc_flow_span_us(f);
}

/** Set the last time: a time before the first counts as the first. */
static inline void
fc_flow_set_last_us(struct fc_flow *f, uint64_t us)
{
	uint64_t first = fc_flow_first_us(f);
	uint64_t d = us > first ? us - first : 0;

	if (d > FC_FLOW_SPAN_MAX)
		d = FC_FLOW_SPAN_MAX;
	f->last_lo = (uint32_t)d;
	f->last_hi = (uint16_t)(d >> 32);
}

/** Per-port timeout override of the flow: its index + 1, 0 = none. */
static inline unsigned int
fc_flow_port_override(const struct fc_flow *f)
{
	return f->first_hi >> 4;
}

static inline void
fc_flow_set_port_override(struct fc_flow *f, unsigned int o)
{
	f->first_hi = (uint8_t)((f->first_hi & 0x0f) | (o & 0xf) << 4);
}

/** Index of the flow's idle timeout in its table's timeout list. */
static inline unsigned int
fc_flow_tmo(const struct fc_flow *f)
{
	return f->vt >> 12;
}

static inline void
fc_flow_set_tmo(struct fc_flow *f, unsigned int i)
{
	f->vt = (uint16_t)((f->vt & 0x0fff) | (i & 0xf) << 12);
}

static inline uint16_t
fc_flow_vlan(const struct fc_flow *f)
{
	return f->vt & 0x0fff;
}

static inline void
fc_flow_set_vlan(struct fc_flow *f, uint16_t vlan)
{
	f->vt = (uint16_t)((f->vt & 0xf000) | (vlan & 0x0fff));
}

/** Sides that sent a packet: bit 0 originator, bit 1 responder. */
static inline unsigned int
fc_flow_seen(const struct fc_flow *f)
{
	return ((f->ctr[0].lo[FC_CTR_PKTS] | f->ctr[0].hi[FC_CTR_PKTS]) != 0) |
		((f->ctr[1].lo[FC_CTR_PKTS] | f->ctr[1].hi[FC_CTR_PKTS]) != 0) << 1;
}

/** 1 if the flow is filed on its table's timer wheel. */
static inline int
fc_flow_filed(const struct fc_flow *f)
{
	return (f->wheel_next >> 30) != 3;
}

static inline uint64_t
fc_flow_ctr(const struct fc_flow *f, unsigned int side, unsigned int c)
{
	return (uint64_t)f->ctr[side].hi[c] << 32 | f->ctr[side].lo[c];
}

/** Count one packet for a side (48-bit counters, carries into the high words). */
static inline void
fc_flow_count(struct fc_flow *f, unsigned int side, uint32_t wire,
	      uint32_t ip, uint32_t payload)
{
	struct fc_flow_ctr *c = &f->ctr[side];
	const uint32_t add[FC_CTR_MAX] = { 1, wire, ip, payload };
	unsigned int i;

	for (i = 0; i < FC_CTR_MAX; i++) {
		uint32_t o = c->lo[i];

		c->lo[i] = o + add[i];
		c->hi[i] = (uint16_t)(c->hi[i] + (c->lo[i] < o));
	}
}

static inline uint64_t
fc_flow_seq(const struct fc_flow *f)
{
	return f->ident & FC_FLOW_SEQ_MASK;
}

/** Extension index + 1 (0: the flow has none). */
static inline uint32_t
fc_flow_ext_ref(const struct fc_flow *f)
{
	return (uint32_t)(f->ident >> 40);
}

#ifdef __cplusplus
}
#endif

#endif /* FC_FLOW_H */
