/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The flow record, split by access pattern.
 *
 * struct fc_flow is the hot part: everything a packet of the flow reads or
 * writes, 128 bytes (two cache lines), static_asserted. struct fc_flow_cold
 * holds what is written once (ids, tunnel, VLANs) or rarely (history
 * letters). Both live in arrays owned by the lcore's fc_table, indexed by
 * the key's rte_hash position; only that lcore writes them.
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
#define FC_FLOW_F_ARMED     0x08 /**< filed on the timer wheel */
#define FC_FLOW_F_CLOSED    0x10 /**< TCP closed or reset: lingering for trailing packets, evicted first */
#define FC_FLOW_F_RST       0x20 /**< with FC_FLOW_F_CLOSED: it was a reset (end reason rst, else fin) */
#define FC_FLOW_F_PARTIAL   0x40 /**< an endpoint's first packet was a FIN or RST (Zeek's partial close) */
#define FC_FLOW_F_PORT_TO   0x80 /**< timeout_s is a per-port override, fixed for the flow's life */

/** More flow flags (struct fc_flow.xflags). */
#define FC_FLOW_X_DEAD 0x01 /**< already ended (buffer_overflow): absorbs packets until idle, removed silently */

/** Hot per-flow state (one writer: the owning RX lcore). */
struct fc_flow {
	uint64_t first_ts;          /**< ns, first packet */
	uint64_t last_ts;           /**< ns, last packet */
	uint64_t pkts[2];           /**< packets per side */
	uint64_t bytes[2];          /**< L2 frame bytes on the wire per side */
	uint64_t ip_bytes[2];       /**< IP total length per side */
	uint64_t payload_bytes[2];  /**< L4 payload per side (per headers) */
	struct fc_tcp_conn tcp;     /**< TCP endpoints (FC_FLOW_F_TCP) */
	uint32_t wheel_next;        /**< next flow in the wheel slot (position), UINT32_MAX = none */
	uint32_t wheel_prev;        /**< previous flow in the slot, UINT32_MAX = head */
	uint16_t wheel_slot;        /**< slot the flow is filed under */
	uint16_t timeout_s;         /**< idle timeout in seconds (current state) */
	uint8_t flags;              /**< FC_FLOW_F_* */
	uint8_t seen;               /**< bit per side: 1 = that side sent a packet */
	uint8_t xflags;             /**< FC_FLOW_X_* */
};
static_assert(sizeof(struct fc_flow) <= 128,
	      "hot flow state must fit in two cache lines");

/** Second (of the epoch) at which the flow is idle past its timeout. */
static inline uint64_t
fc_flow_expiry_s(const struct fc_flow *f)
{
	return f->last_ts / FC_NS_PER_SEC + f->timeout_s;
}

/**
 * Cold per-flow state (one writer: the owning RX lcore). The history is
 * the only part TCP packets touch, so it sits alone in the first cache
 * line (the table prefetches that line with the hot record); the rest is
 * written at creation and read at the end.
 */
struct fc_flow_cold {
	alignas(64) struct fc_history hist; /**< Zeek and flowscope history letters */
	uint64_t flow_id;           /**< unique id (lcore id in the top 8 bits) */
	uint64_t tunnel_parent;     /**< flow_id of the outer tunnel flow, 0 if none */
	uint32_t tunnel_id;         /**< VNI / TEID / GRE key */
	uint16_t vlan;              /**< outer VLAN id */
	uint16_t vlan_inner;        /**< inner VLAN id */
	uint8_t tunnel;             /**< enum fc_tunnel that carried the flow */
	uint8_t icmp_type;          /**< ICMP type of the originator's first packet */
	uint8_t icmp_code;          /**< ICMP code of the originator's first packet */
	uint8_t proto;              /**< IP protocol of the key */
	fc_stream_t stream[2];      /**< reassembly stream per side (originator-relative), 0 = none */
	fc_l7_session_t session;    /**< session parser handle, 0 = none yet */
};
static_assert(sizeof(struct fc_flow_cold) == 128,
	      "cold flow state: history line + id line");

#ifdef __cplusplus
}
#endif

#endif /* FC_FLOW_H */
