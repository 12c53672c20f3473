/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * TCP state of one flow: the stage between the flow table and reassembly.
 *
 *     table -> fc_tcp_update() -> struct fc_tcp_conn + struct fc_history
 *           -> (events: established / state_change / flow_end)
 *
 * Two machines run over the same packets:
 *
 *  - Zeek's per-endpoint machine (inactive, syn_sent, syn_ack_sent,
 *    partial, established, closed, reset), with Zeek's sequence tracking
 *    (start, highest sequence sent, highest acknowledgement received),
 *    role flips, retransmission, zero-window and content-gap detection.
 *    It produces the Zeek `history` letters, `conn_state`
 *    (fc_tcp_conn_state()) and the sequence-span byte counts
 *    (fc_tcp_seq_bytes()).
 *  - flowscope's 9-state machine (FC_TCP_STATES) that drives the
 *    established / state_change / flow_end events, with the reference's
 *    weaknesses fixed: the originator is the SYN sender (a flow first
 *    seen at its SYN-ACK or mid-stream is oriented as Zeek does it),
 *    simultaneous open and SYN-ACK-first handshakes reach Established,
 *    mid-stream flows reach Established once both sides talked and close
 *    by FIN, a FIN+ACK that completes a handshake counts for both, a
 *    retransmitted FIN does not count as the second FIN, and Closed needs
 *    both FINs acknowledged.
 *
 * Sides are originator-relative: 0 = originator, 1 = responder. When a
 * packet proves the roles wrong, fc_tcp_update() swaps the two endpoints
 * itself and reports FC_TCP_CHG_FLIP; the caller swaps its own per-side
 * data (counters, key orientation) and counts the packet for the side in
 * chg->side.
 *
 * All sequence comparisons are serial-number arithmetic (FC_SEQ_*), so
 * every ISN, including values around 2^31 and 2^32 - 1, works.
 *
 * Thread-safety: plain data, one writer (the lcore owning the flow). No
 * allocation; every function is O(1).
 */
#ifndef FC_TCP_H
#define FC_TCP_H

#include <stdint.h>

#include "fc_common.h"
#include "fc_history.h"
#include "fc_pkt.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * flowscope flow states: X(prefix, name, string). Non-TCP flows stay in
 * FC_TCP_S_ACTIVE. FC_TCP_S_ABORTED is declared (as in flowscope) but
 * never produced.
 */
#define FC_TCP_STATES(X) \
	X(FC_TCP_S_, ACTIVE,       "active") \
	X(FC_TCP_S_, SYN_SENT,     "syn_sent") \
	X(FC_TCP_S_, SYN_RECEIVED, "syn_received") \
	X(FC_TCP_S_, ESTABLISHED,  "established") \
	X(FC_TCP_S_, FIN_WAIT,     "fin_wait") \
	X(FC_TCP_S_, CLOSING,      "closing") \
	X(FC_TCP_S_, CLOSED,       "closed") \
	X(FC_TCP_S_, RESET,        "reset") \
	X(FC_TCP_S_, ABORTED,      "aborted")

/** flowscope flow state (struct fc_tcp_conn.state). */
enum fc_tcp_state {
	FC_TCP_STATES(FC_X_ENUM)
	FC_TCP_S_MAX
};

/**
 * Zeek endpoint states, same numbering as Zeek's TCP endpoint enum
 * (0 inactive ... 6 reset).
 */
#define FC_TCP_EP_STATES(X) \
	X(FC_TCP_EP_, INACTIVE,     "inactive") \
	X(FC_TCP_EP_, SYN_SENT,     "syn_sent") \
	X(FC_TCP_EP_, SYN_ACK_SENT, "syn_ack_sent") \
	X(FC_TCP_EP_, PARTIAL,      "partial") \
	X(FC_TCP_EP_, ESTABLISHED,  "established") \
	X(FC_TCP_EP_, CLOSED,       "closed") \
	X(FC_TCP_EP_, RESET,        "reset")

/** Zeek endpoint state (low nibble of struct fc_tcp_conn.ep[]). */
enum fc_tcp_ep {
	FC_TCP_EP_STATES(FC_X_ENUM)
	FC_TCP_EP_MAX
};

/** Zeek conn.log conn_state values. */
#define FC_TCP_CONN_STATES(X) \
	X(FC_TCP_CS_, S0,     "S0") \
	X(FC_TCP_CS_, S1,     "S1") \
	X(FC_TCP_CS_, SF,     "SF") \
	X(FC_TCP_CS_, REJ,    "REJ") \
	X(FC_TCP_CS_, S2,     "S2") \
	X(FC_TCP_CS_, S3,     "S3") \
	X(FC_TCP_CS_, RSTO,   "RSTO") \
	X(FC_TCP_CS_, RSTR,   "RSTR") \
	X(FC_TCP_CS_, RSTOS0, "RSTOS0") \
	X(FC_TCP_CS_, RSTRH,  "RSTRH") \
	X(FC_TCP_CS_, SH,     "SH") \
	X(FC_TCP_CS_, SHR,    "SHR") \
	X(FC_TCP_CS_, OTH,    "OTH")

/** Zeek conn_state. */
enum fc_tcp_cs {
	FC_TCP_CONN_STATES(FC_X_ENUM)
	FC_TCP_CS_MAX
};

/** Per-endpoint flags (struct fc_tcp_conn.pflags[]). */
#define FC_TCP_PF_SYN    0x01 /**< sent a SYN without ACK */
#define FC_TCP_PF_SYNACK 0x02 /**< sent a SYN with ACK */
#define FC_TCP_PF_FIN    0x04 /**< sent a FIN */
#define FC_TCP_PF_RST    0x08 /**< sent a RST */
#define FC_TCP_PF_SENT   0x10 /**< sent at least one packet */
#define FC_TCP_PF_DATA   0x20 /**< sent payload */
#define FC_TCP_PF_HOLE   0x40 /**< sent payload above the delivered edge */
#define FC_TCP_PF_ZWIN   0x80 /**< advertised a zero window */

/** Flow flags (struct fc_tcp_conn.flags). */
#define FC_TCP_CF_EST     0x01 /**< Established has been reported */
#define FC_TCP_CF_FLIPPED 0x02 /**< the roles flipped at least once */

/**
 * Sequence state of one endpoint, Zeek-style. Before the endpoint's
 * first packet these come from the peer's acknowledgements (as Zeek's
 * init_peer does), or are zero.
 *
 *  - isn: the start, i.e. the SYN's sequence number, or the first
 *    sequence number seen minus one (a flow picked up mid-stream);
 *  - seq_hi: the highest sequence end sent: seq + payload, +1 for a SYN,
 *    +1 for a FIN;
 *  - ack_hi: the delivered edge, the higher of the highest acknowledgement
 *    the peer sent for this endpoint and the end of the in-order payload
 *    seen (isn + 1 at the start). It stands in for both Zeek's ack_seq and
 *    its reassembler's delivered sequence.
 */
struct fc_tcp_peer {
	uint32_t isn;    /**< start of the sequence space */
	uint32_t seq_hi; /**< highest sequence end sent */
	uint32_t ack_hi; /**< delivered edge */
};

/**
 * Hot TCP state of one flow, 32 bytes. Per-side arrays are indexed by
 * originator-relative side and swapped together on a flip.
 */
struct fc_tcp_conn {
	struct fc_tcp_peer peer[2]; /**< [0] originator, [1] responder */
	uint8_t ep[2];     /**< Zeek endpoint state | previous state << 4 */
	uint8_t pflags[2]; /**< FC_TCP_PF_* */
	uint8_t state;     /**< enum fc_tcp_state (flowscope) */
	uint8_t flags;     /**< FC_TCP_CF_* */
	uint8_t spare[2];  /**< zero */
};
static_assert(sizeof(struct fc_tcp_conn) == 32, "hot TCP state is 32 bytes");

/**
 * fc_tcp_update() outcome bits (its return value and fc_tcp_change.flags):
 *  - STATE: the flowscope state changed (from != to);
 *  - ESTABLISHED: Established was entered, exactly once per flow;
 *  - TERMINAL: Closed or Reset was entered: end the flow, reason fin for
 *    Closed, rst for Reset;
 *  - FLIP: the roles flipped: swap your per-side data and count the packet
 *    for chg->side;
 *  - RXMIT: the payload ended at or below the sender's highest sequence
 *    (a retransmission, per side);
 *  - GAP: the ACK revealed a content gap of the peer (chg->missed bytes).
 */
#define FC_TCP_CHG_STATE       0x01
#define FC_TCP_CHG_ESTABLISHED 0x02
#define FC_TCP_CHG_TERMINAL    0x04
#define FC_TCP_CHG_FLIP        0x08
#define FC_TCP_CHG_RXMIT       0x10
#define FC_TCP_CHG_GAP         0x20

/**
 * What one packet did. Events to emit, in this order:
 *  - FC_TCP_CHG_ESTABLISHED: `established`; if `to` is not Established
 *    too (a FIN+ACK completing the handshake), then a state_change from
 *    Established to `to`;
 *  - otherwise FC_TCP_CHG_STATE: state_change from `from` to `to`;
 *  - FC_TCP_CHG_TERMINAL: flow_end with reason rst if `to` is Reset, fin
 *    if it is Closed.
 */
struct fc_tcp_change {
	uint8_t from;    /**< flowscope state before the packet */
	uint8_t to;      /**< flowscope state after the packet */
	uint8_t side;    /**< the packet's side after the update (flips!) */
	uint8_t flags;   /**< FC_TCP_CHG_* */
	uint32_t missed; /**< content-gap bytes newly revealed (missed_bytes) */
};

/**
 * Reset to "no packet seen" (all zero, state Active). Cannot fail.
 *
 * @param[out] c  TCP state to initialise
 */
void fc_tcp_init(struct fc_tcp_conn *c);

/**
 * Orientation of a new flow from its first TCP packet, as Zeek decides it.
 *
 * A first packet that is a SYN without ACK always makes its sender the
 * originator. Any other first packet (SYN-ACK, mid-stream, FIN, RST) makes
 * the receiver the originator when the source port is a likely server
 * port (fc_tcp_likely_server_port()) and the destination port is not;
 * when both are, only a non-SYN packet with source port < destination
 * port flips. Pass sport = dport = 0 to disable the port heuristic.
 * A SYN-ACK-first flow not flipped here is flipped by fc_tcp_update() on
 * its first following ACK or data packet.
 *
 * If this returns 1, create the flow with the receiver as originator and
 * call fc_tcp_flip() before the first fc_tcp_update() (history gets '^').
 * Zeek also never flips when the destination is a broadcast address.
 *
 * @param[in] tcp_flags  FC_TCP_* bits of the flow's first packet
 * @param[in] sport      its source port (0 with dport 0: no heuristic)
 * @param[in] dport      its destination port
 * @return 1 if the packet's receiver is the originator, 0 otherwise.
 */
int fc_tcp_orig_is_receiver(uint8_t tcp_flags, uint16_t sport,
			    uint16_t dport);

/**
 * Whether a port is in Zeek's default likely_server_ports (the ports the
 * base protocol scripts register). Zeek uses the same test for UDP flows:
 * flip when likely(sport) && !likely(dport).
 *
 * @param[in] ipproto  6 (TCP) or 17 (UDP); other values return 0
 * @param[in] port     port number (host order); 0 is never likely
 * @return 1 if likely a server port, 0 otherwise.
 */
int fc_tcp_likely_server_port(uint8_t ipproto, uint16_t port);

/**
 * Whether a packet for an existing flow is a new connection reusing the
 * 5-tuple (Zeek's IsReuse): a SYN (or a SYN-ACK while the originator
 * never sent anything) whose sequence number is not the known start, or
 * any such SYN once one side has closed or reset. The caller ends the
 * old flow and creates a new one for the packet. Unlike Zeek, a SYN
 * without ACK from the responder of an open flow (simultaneous open) is
 * not a reuse.
 *
 * @param[in] c     TCP state of the existing flow
 * @param[in] side  packet side relative to the current originator
 * @param[in] t     TCP header of the packet
 * @return 1 for a reuse, 0 otherwise.
 */
int fc_tcp_is_reuse(const struct fc_tcp_conn *c, unsigned int side,
		    const struct fc_pkt_tcp *t);

/**
 * Process one TCP packet of the flow.
 *
 * Call it before accounting the packet: when chg->flags has
 * FC_TCP_CHG_FLIP the endpoints were swapped and the packet belongs to
 * chg->side. After FC_TCP_CHG_TERMINAL the caller ends the flow; further
 * calls keep the flowscope state terminal (no second report).
 *
 * @param[in,out] c            TCP state of the flow
 * @param[in,out] h            history of the flow; NULL to skip letters
 * @param[in]     side         0 if the originator sent the packet, else 1
 * @param[in]     t            TCP header fields (host order)
 * @param[in]     payload_len  TCP payload length per the IP header
 * @param[in]     payload_cap  TCP payload bytes captured (a snap length
 *                             can cut it); a payload not fully captured
 *                             never fills the delivered edge, so the ACK
 *                             that covers it is a content gap, as in Zeek
 * @param[out]    chg          what changed; may be NULL
 * @return chg->flags (FC_TCP_CHG_* bits).
 */
unsigned int fc_tcp_update(struct fc_tcp_conn *c, struct fc_history *h,
			   unsigned int side, const struct fc_pkt_tcp *t,
			   uint32_t payload_len, uint32_t payload_cap,
			   struct fc_tcp_change *chg);

/**
 * Swap originator and responder (Zeek's FlipRoles): the endpoints move,
 * the history gets '^' and its flowscope letters change case. The flowscope
 * state is left alone. Use it for the orientation decided at creation
 * (fc_tcp_orig_is_receiver()); fc_tcp_update() flips by itself later.
 *
 * @param[in,out] c  TCP state
 * @param[in,out] h  history; may be NULL
 */
void fc_tcp_flip(struct fc_tcp_conn *c, struct fc_history *h);

/**
 * Zeek conn_state, computed from the two endpoint states as Zeek's conn
 * script does (the RSTOS0 test reads the Zeek history; with h NULL that
 * case reports OTH; REJ for two resets needs both byte counts 0).
 *
 * @param[in] c  TCP state
 * @param[in] h  history of the flow, or NULL
 * @return enum fc_tcp_cs value.
 */
enum fc_tcp_cs fc_tcp_conn_state_id(const struct fc_tcp_conn *c,
				    struct fc_history *h);

/**
 * fc_tcp_conn_state_id() as its conn.log string ("S0", "SF", ...).
 *
 * @param[in] c  TCP state
 * @param[in] h  history of the flow, or NULL
 * @return static string.
 */
const char *fc_tcp_conn_state(const struct fc_tcp_conn *c,
			      struct fc_history *h);

/**
 * conn_state of a UDP flow as Zeek computes it: SF both sides sent, S0
 * only the originator, SHR only the responder, OTH neither.
 *
 * @param[in] seen  bit 0: the originator sent; bit 1: the responder sent
 * @return static string.
 */
const char *fc_tcp_conn_state_udp(unsigned int seen);

/** Name of a conn_state value; "?" if out of range. */
const char *fc_tcp_conn_state_name(unsigned int cs);

/**
 * Payload bytes an endpoint sent according to its sequence span, as Zeek
 * computes conn.log orig_bytes / resp_bytes: from the start to the highest
 * of (sequence sent, acknowledgement received), minus the SYN and FIN
 * octets. Bytes never captured (gaps) are included; retransmissions are
 * not double counted.
 *
 * Limits: the span is 32-bit, so a direction that sends 4 GiB or more
 * reports its size modulo 2^32 (Zeek counts wraps); a span whose ends are
 * more than 2^31 apart is taken from the sequence side.
 *
 * @param[in] c     TCP state
 * @param[in] side  0 originator, 1 responder
 * @return payload bytes of that side's sequence span.
 */
uint64_t fc_tcp_seq_bytes(const struct fc_tcp_conn *c, unsigned int side);

/**
 * Whether Zeek would consider the connection over and remove it after its
 * close delay (5 s by default): an endpoint reset, both endpoints closed,
 * or one closed while the other never sent anything. Packets in that
 * delay still belong to the connection in Zeek.
 *
 * @param[in] c  TCP state
 * @return 1 if Zeek would schedule the connection's removal, 0 otherwise.
 */
int fc_tcp_zeek_closed(const struct fc_tcp_conn *c);

/** Zeek endpoint state of a side (enum fc_tcp_ep). */
static inline unsigned int
fc_tcp_endpoint_state(const struct fc_tcp_conn *c, unsigned int side)
{
	return c->ep[side & 1] & 0x0f;
}

/** Whether a flowscope state ends the flow (Closed, Reset, Aborted). */
static inline int
fc_tcp_state_is_terminal(unsigned int s)
{
	return s == FC_TCP_S_CLOSED || s == FC_TCP_S_RESET ||
		s == FC_TCP_S_ABORTED;
}

/** Name of a flowscope state ("active", ...); "?" if out of range. */
const char *fc_tcp_state_name(unsigned int s);

/** Name of a Zeek endpoint state ("inactive", ...); "?" if out of range. */
const char *fc_tcp_ep_state_name(unsigned int s);

#ifdef __cplusplus
}
#endif

#endif /* FC_TCP_H */
