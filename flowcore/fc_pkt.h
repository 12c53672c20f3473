/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Packet decode: the first stage of the flowcore pipeline.
 *
 *     frame bytes -> fc_pkt_decode() -> struct fc_pkt_meta -> fc_key -> ...
 *
 * fc_pkt_decode() walks Ethernet II, 802.1Q/802.1ad/QinQ tags, MPLS label
 * stacks, IPv4 (options, fragments), IPv6 (extension header chain), TCP
 * (with options), UDP, ICMP/ICMPv6, SCTP and the tunnels GRE, VXLAN,
 * GTP-U, IP-in-IP, 6in4, 4in6 and Teredo. Every read is bounds-checked against the
 * captured length; nothing is read past the frame. The result is a flat
 * record of offsets and header fields, one entry per IP layer: layer 0 is
 * the outermost IP header, and each tunnel that the decap policy opens adds
 * one more layer.
 *
 * A frame that cannot be decoded gets a reason (enum fc_pkt_status) that
 * the caller counts with fc_pkt_stats_count(); the counters add up:
 * frames = decoded + sum(reasons).
 *
 * Thread-safety: all functions are reentrant; struct fc_pkt_stats is owned
 * by one lcore.
 */
#ifndef FC_PKT_H
#define FC_PKT_H

#include <stdint.h>

#include "fc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most IP layers one frame yields (outer + up to two nested tunnels). */
#define FC_PKT_MAX_LAYERS 3
/** Most VLAN tags walked before the frame is rejected (FC_PKT_E_VLAN_DEPTH). */
#define FC_PKT_MAX_VLAN 8
/** Most MPLS labels walked before the frame is rejected (FC_PKT_E_MPLS_DEPTH). */
#define FC_PKT_MAX_MPLS 16
/** Most IPv6 extension headers walked (FC_PKT_E_IP6_EXT_DEPTH past it). */
#define FC_PKT_MAX_IP6_EXT 16

/**
 * Decode outcome. FC_PKT_OK and FC_PKT_L2_ONLY are "decoded"; every other
 * value is the reason the frame could not be decoded. One list drives the
 * enum, the names and the counters.
 *
 * A header cut by cap_len is E_TRUNC_<header>; an IPv6 extension header or
 * an L4 header that crosses the end of the IP packet per its length field
 * (but not cap_len) is E_BAD_IP_LEN. E_TRUNC_TUNNEL is only ever an
 * inner_status: a tunnel header (GRE, VXLAN, GTP-U) cut by the capture.
 */
#define FC_PKT_STATUSES(X) \
	X(FC_PKT_, OK,              "ok") \
	X(FC_PKT_, L2_ONLY,         "l2_only") \
	X(FC_PKT_, E_TRUNC_L2,      "truncated_l2") \
	X(FC_PKT_, E_TRUNC_VLAN,    "truncated_vlan") \
	X(FC_PKT_, E_VLAN_DEPTH,    "vlan_depth") \
	X(FC_PKT_, E_TRUNC_MPLS,    "truncated_mpls") \
	X(FC_PKT_, E_MPLS_DEPTH,    "mpls_depth") \
	X(FC_PKT_, E_MPLS_PAYLOAD,  "mpls_payload") \
	X(FC_PKT_, E_TRUNC_IP,      "truncated_ip") \
	X(FC_PKT_, E_BAD_IP_VERSION, "bad_ip_version") \
	X(FC_PKT_, E_BAD_IHL,       "bad_ihl") \
	X(FC_PKT_, E_BAD_IP_LEN,    "bad_ip_len") \
	X(FC_PKT_, E_TRUNC_IP6_EXT, "truncated_ip6_ext") \
	X(FC_PKT_, E_IP6_EXT_DEPTH, "ip6_ext_depth") \
	X(FC_PKT_, E_TRUNC_TCP,     "truncated_tcp") \
	X(FC_PKT_, E_BAD_TCP_OFFSET, "bad_tcp_offset") \
	X(FC_PKT_, E_TRUNC_UDP,     "truncated_udp") \
	X(FC_PKT_, E_BAD_UDP_LEN,   "bad_udp_len") \
	X(FC_PKT_, E_TRUNC_ICMP,    "truncated_icmp") \
	X(FC_PKT_, E_TRUNC_SCTP,    "truncated_sctp") \
	X(FC_PKT_, E_TRUNC_TUNNEL,  "truncated_tunnel") /* inner_status only */

enum fc_pkt_status {
	FC_PKT_STATUSES(FC_X_ENUM)
	FC_PKT_STATUS_MAX
};

/** Tunnel kinds; one list drives the enum and the names. */
#define FC_TUNNELS(X) \
	X(FC_TUN_, NONE,  "none") \
	X(FC_TUN_, GRE,   "gre") \
	X(FC_TUN_, VXLAN, "vxlan") \
	X(FC_TUN_, GTPU,  "gtpu") \
	X(FC_TUN_, IPIP,  "ipip")   /**< IPv4 or IPv6 inside IPv4 or IPv6 (proto 4/41) */ \
	X(FC_TUN_, TEREDO, "teredo") /**< IPv6 in UDP port 3544 (RFC 4380) */

enum fc_tunnel {
	FC_TUNNELS(FC_X_ENUM)
	FC_TUN_MAX
};

/**
 * What to do with a tunnel of one kind. Zeek's default is BOTH: the outer
 * tunnel flow is a flow of its own and the inner flow is tracked too.
 */
enum fc_decap {
	FC_DECAP_BOTH = 0, /**< yield the outer and the inner layer (default) */
	FC_DECAP_OUTER,    /**< validate the tunnel, yield only the outer layer */
	FC_DECAP_INNER,    /**< yield only the inner layer (the outer one if the payload fails) */
	FC_DECAP_NONE,     /**< do not look into the tunnel at all */
	FC_DECAP_MAX
};

/** Decode parameters; zero-initialised means "decap both, default ports". */
struct fc_pkt_params {
	uint8_t decap[FC_TUN_MAX]; /**< enum fc_decap per tunnel kind */
	uint16_t vxlan_port;       /**< UDP port of VXLAN; 0 means 4789 */
	uint16_t gtpu_port;        /**< UDP port of GTP-U; 0 means 2152 */
};

/** The VXLAN port of decode parameters (NULL: defaults). */
static inline uint16_t
fc_pkt_vxlan_port(const struct fc_pkt_params *prm)
{
	return prm != NULL && prm->vxlan_port != 0 ? prm->vxlan_port : 4789;
}

/** The GTP-U port of decode parameters (NULL: defaults). */
static inline uint16_t
fc_pkt_gtpu_port(const struct fc_pkt_params *prm)
{
	return prm != NULL && prm->gtpu_port != 0 ? prm->gtpu_port : 2152;
}

/**
 * 1 if a UDP datagram between ports sport and dport is on the VXLAN or the
 * GTP-U port on either side: a tunnel carrier by its ports alone.
 */
static inline int
fc_pkt_tunnel_port(const struct fc_pkt_params *prm, uint16_t sport,
		   uint16_t dport)
{
	uint16_t vx = fc_pkt_vxlan_port(prm), gt = fc_pkt_gtpu_port(prm);

	return sport == vx || dport == vx || sport == gt || dport == gt;
}

/** IP fragment position of a layer. */
enum fc_frag {
	FC_FRAG_NONE = 0, /**< not a fragment */
	FC_FRAG_FIRST,    /**< offset 0, more fragments follow: L4 header present */
	FC_FRAG_LATER,    /**< offset > 0: no L4 header, ports are 0 */
};

/** TCP option presence bits (struct fc_pkt_tcp.opts). */
#define FC_TCP_OPT_MSS    0x01
#define FC_TCP_OPT_WSCALE 0x02
#define FC_TCP_OPT_SACKOK 0x04
#define FC_TCP_OPT_TS     0x08
#define FC_TCP_OPT_SACK   0x10
#define FC_TCP_OPT_BAD    0x80 /**< option list malformed (walk stopped) */

/** TCP flag bits (struct fc_pkt_tcp.flags), as on the wire. */
#define FC_TCP_FIN 0x01
#define FC_TCP_SYN 0x02
#define FC_TCP_RST 0x04
#define FC_TCP_PSH 0x08
#define FC_TCP_ACK 0x10
#define FC_TCP_URG 0x20
#define FC_TCP_ECE 0x40
#define FC_TCP_CWR 0x80

/** TCP header fields, host byte order. Valid when layer proto == 6. */
struct fc_pkt_tcp {
	uint32_t seq;    /**< sequence number */
	uint32_t ack;    /**< acknowledgement number */
	uint32_t tsval;  /**< timestamp option value (FC_TCP_OPT_TS) */
	uint32_t tsecr;  /**< timestamp option echo reply (FC_TCP_OPT_TS) */
	uint16_t win;    /**< raw window field (unscaled) */
	uint16_t mss;    /**< MSS option (FC_TCP_OPT_MSS) */
	uint8_t flags;   /**< FC_TCP_* flag bits */
	uint8_t doff;    /**< header length in bytes (20..60) */
	uint8_t wscale;  /**< window scale shift (FC_TCP_OPT_WSCALE), capped at 14 (RFC 7323) */
	uint8_t opts;    /**< FC_TCP_OPT_* presence bits */
};

/**
 * One IP layer and its transport header.
 *
 * Lengths come in two flavours: what the headers claim (ip_len,
 * payload_len) and what the capture holds (payload_cap). A frame cut by a
 * snap length has payload_cap < payload_len; Ethernet trailer padding is
 * excluded from both because they are bounded by the IP length.
 */
struct fc_pkt_layer {
	uint8_t src[16];       /**< source address; IPv4 in bytes 0..3, rest 0 */
	uint8_t dst[16];       /**< destination address, same layout */
	uint16_t sport;        /**< source port, or ICMP type; 0 if none */
	uint16_t dport;        /**< destination port, or ICMP code; 0 if none */
	uint16_t l3_off;       /**< offset of the IP header in the frame */
	uint16_t l4_off;       /**< offset of the L4 header (or of the data after the IP headers) */
	uint16_t ip_len;       /**< IP total length claimed by the header (v6: 40 + payload length, max 65535) */
	uint16_t payload_off;  /**< offset of the L4 payload in the frame */
	uint16_t payload_len;  /**< L4 payload length per the headers */
	uint16_t payload_cap;  /**< L4 payload bytes present in the capture */
	uint32_t flow_label;   /**< IPv6 flow label (20 bits); 0 for IPv4 */
	uint32_t frag_id;      /**< IPv4 identification or IPv6 fragment id (fragments only) */
	uint32_t tunnel_id;    /**< VXLAN VNI, GTP-U TEID or GRE key of the tunnel that carried this layer */
	uint8_t ip_version;    /**< 4 or 6 */
	uint8_t proto;         /**< transport protocol number (after IPv6 extension headers) */
	uint8_t ttl;           /**< IPv4 TTL / IPv6 hop limit */
	uint8_t frag;          /**< enum fc_frag */
	uint8_t tunnel;        /**< enum fc_tunnel that carried this layer (FC_TUN_NONE for layer 0) */
	uint8_t icmp_type;     /**< ICMP/ICMPv6 type */
	uint8_t icmp_code;     /**< ICMP/ICMPv6 code */
	uint8_t has_l4;        /**< 1 if the L4 header was decoded (ports/tcp valid) */
	/**
	 * enum fc_tunnel whose valid header follows this layer's headers, else
	 * FC_TUN_NONE. Set under every decap policy but NONE, whether or not
	 * the tunnel was opened, for layers within the nesting limit.
	 */
	uint8_t encap;
	struct fc_pkt_tcp tcp; /**< TCP header (proto 6 and has_l4 only) */
};

/** Decode result of one frame. Filled by fc_pkt_decode(). */
struct fc_pkt_meta {
	uint32_t cap_len;       /**< bytes captured */
	uint32_t wire_len;      /**< bytes on the wire (>= cap_len) */
	uint8_t dst_mac[6];     /**< outer Ethernet destination */
	uint8_t src_mac[6];     /**< outer Ethernet source */
	uint16_t ethertype;     /**< ethertype after VLAN tags (and MPLS: 0x0800/0x86dd) */
	uint16_t vlan_outer;    /**< outermost VLAN id (12 bits), 0 if untagged */
	uint16_t vlan_inner;    /**< second VLAN id, 0 if fewer than two tags */
	uint8_t vlan_depth;     /**< number of VLAN tags */
	uint8_t mpls_depth;     /**< number of MPLS labels */
	uint8_t n_layers;       /**< IP layers yielded (0 for L2-only frames) */
	uint8_t status;         /**< enum fc_pkt_status of the whole frame */
	uint8_t inner_status;   /**< enum fc_pkt_status of a tunnel payload that failed to decode (outer kept) */
	uint8_t inner_tunnel;   /**< enum fc_tunnel whose payload failed (inner_status != OK) */
	uint32_t l2_len;        /**< outer L2 header bytes (Ethernet + tags + labels) = outer IP offset */
	/**
	 * IP layers, outermost first. Only layer[0 .. n_layers) is defined,
	 * plus layer[0] itself, which is all zero when n_layers is 0; the
	 * layers past those are left as they were (fc_pkt_decode() clears
	 * only the frame fields and layer 0).
	 */
	struct fc_pkt_layer layer[FC_PKT_MAX_LAYERS];
};

/**
 * Per-lcore decode counters. frames == decoded + sum(err[2..]);
 * decoded == status[FC_PKT_OK] + status[FC_PKT_L2_ONLY].
 */
struct fc_pkt_stats {
	uint64_t frames;                      /**< frames passed to decode */
	uint64_t status[FC_PKT_STATUS_MAX];   /**< frames per outcome */
	uint64_t inner_bad[FC_PKT_STATUS_MAX]; /**< tunnel payloads that failed, outer still decoded */
	uint64_t tunnels[FC_TUN_MAX];         /**< tunnel layers opened, per kind */
	uint64_t fragments;                   /**< layers that were IP fragments */
};

/**
 * Decode one Ethernet frame.
 *
 * Ethernet with at most one 802.1Q tag, then IPv4 without options and not
 * a fragment or IPv6 without extension headers, then TCP or UDP, take a
 * straight-line path; every other frame goes through the general decoder
 * (fc_pkt_decode_generic()), with the same result for any frame.
 *
 * @param[in]  frame     first captured byte; may be NULL if cap_len is 0
 * @param[in]  cap_len   captured bytes (every read stays below this)
 * @param[in]  wire_len  original length on the wire; 0 means unknown (a
 *                       source such as net_pcap that drops it): decode then
 *                       estimates it as max(cap_len, l2_len + outer IP
 *                       total length), exact for snap-length cuts
 * @param[in]  params    decap policy; NULL means all defaults
 * @param[out] m         result; written on every return except the layers
 *                       past n_layers (see struct fc_pkt_meta.layer)
 * @return enum fc_pkt_status (also stored in m->status). FC_PKT_OK means
 *         m->n_layers >= 1; FC_PKT_L2_ONLY means a non-IP Ethernet frame
 *         (ARP, LLDP, ...): MAC addresses and ethertype are valid.
 */
enum fc_pkt_status fc_pkt_decode(const uint8_t *frame, uint32_t cap_len,
				 uint32_t wire_len,
				 const struct fc_pkt_params *params,
				 struct fc_pkt_meta *m);

/** The addresses and ports of a frame read by fc_pkt_peek(). */
struct fc_pkt_peek {
	uint64_t src[2];      /**< address bytes as in a key: IPv4 in bytes 0..3, the rest 0 */
	uint64_t dst[2];
	uint16_t sport;       /**< host order */
	uint16_t dport;
	uint8_t proto;        /**< IPPROTO_TCP or IPPROTO_UDP */
	uint8_t ip_version;   /**< 4 or 6 */
};

/**
 * Read a frame's addresses and ports without decoding it, where that is
 * all it is: a frame fc_pkt_decode() takes on its fast path as one TCP
 * or UDP layer, not a datagram that may carry a tunnel. For a frame it
 * takes, fc_pkt_decode() gives FC_PKT_OK with one layer holding the same
 * addresses, ports and protocol.
 * @return 1 with p filled, or 0: decode the frame to know.
 */
int fc_pkt_peek(const uint8_t *frame, uint32_t cap_len,
		const struct fc_pkt_params *params, struct fc_pkt_peek *p);

/**
 * The general decoder behind fc_pkt_decode(), without its fast path: same
 * parameters, same result for every frame. For tests that compare the two.
 */
enum fc_pkt_status fc_pkt_decode_generic(const uint8_t *frame, uint32_t cap_len,
					 uint32_t wire_len,
					 const struct fc_pkt_params *params,
					 struct fc_pkt_meta *m);

/**
 * Count the tunnels, fragments and inner failures of a decode result;
 * fc_pkt_stats_count() calls it for the frames that have any.
 */
void fc_pkt_stats_count_rare(struct fc_pkt_stats *s,
			     const struct fc_pkt_meta *m);

/** Count one decode result (frames, status, tunnels, inner failures). */
static inline void
fc_pkt_stats_count(struct fc_pkt_stats *s, const struct fc_pkt_meta *m)
{
	s->frames++;
	if (FC_LIKELY(m->status < FC_PKT_STATUS_MAX))
		s->status[m->status]++;
	/* Layer 0 is defined (zero) even when n_layers is 0. */
	if (FC_UNLIKELY((m->inner_status | m->layer[0].frag |
			 m->layer[0].tunnel) != 0 || m->n_layers > 1))
		fc_pkt_stats_count_rare(s, m);
}

/** Name of a status ("ok", "truncated_ip", ...); "?" if out of range. */
const char *fc_pkt_status_name(unsigned int status);

/** Name of a tunnel kind ("vxlan", ...); "?" if out of range. */
const char *fc_tunnel_name(unsigned int tunnel);

/**
 * Parse a decap policy string into params->decap[].
 * Grammar: "POLICY" (all kinds) or "KIND=POLICY[,KIND=POLICY...]", with
 * POLICY one of both|outer|inner|none and KIND one of gre|vxlan|gtpu|ipip|teredo.
 * @return 0, or -EINVAL (params unchanged) on a malformed string.
 */
int fc_pkt_parse_decap(const char *spec, struct fc_pkt_params *params);

/** Name of a decap policy ("both", ...); "?" if out of range. */
const char *fc_decap_name(unsigned int decap);

#ifdef __cplusplus
}
#endif

#endif /* FC_PKT_H */
