/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Test frame builder: appends headers, outermost first, into a flat
 * caller-owned buffer, then fixes up the length fields.
 *
 *     uint8_t buf[FCTEST_PKT_MAX];
 *     struct fctest_pkt p;
 *
 *     fctest_pkt_init(&p, buf, sizeof(buf));
 *     fctest_pkt_eth(&p, NULL, NULL, 0);
 *     fctest_pkt_vlan(&p, 0x88a8, 100);
 *     fctest_pkt_ip4(&p, &(struct fctest_ip4){ .src = "10.0.0.1", .dst = "10.0.0.2" });
 *     fctest_pkt_tcp(&p, &(struct fctest_tcp){ .sport = 1234, .dport = 80,
 *                                              .flags = FCTEST_TCP_SYN });
 *     len = fctest_pkt_finish(&p);
 *
 * Next-type fields (ethertype, VLAN/GRE protocol, IPv4 protocol, IPv6 next
 * header) given as 0 are filled in from the header appended next: an IPv4
 * header after an Ethernet header gets 0x0800, TCP after IPv4 gets 6, and so
 * on; a non-zero value is written as given. The MPLS bottom-of-stack bit is
 * set on the last label of a run. fctest_pkt_finish() sets the IPv4 total
 * length (and header checksum), the IPv6 payload length, the UDP length and
 * the GTP-U length of every header so that each extends to the end of the
 * frame, not counting a trailer added with fctest_pkt_trailer(). L4
 * checksums are left 0.
 *
 * Every append returns the offset of the header it wrote, so a test can
 * corrupt a field after fctest_pkt_finish() with fctest_pkt_put8/16/32.
 * An append that does not fit returns -1 and makes the builder fail (the
 * error is sticky: fctest_pkt_finish() returns -1).
 *
 * Not thread-safe per builder; no global state. Used by the unit tests of
 * fc_pkt and by every test that needs frames (flow keys, tracker).
 */
#ifndef FCTEST_PKTGEN_H
#define FCTEST_PKTGEN_H

#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;

/** A buffer of this size holds any frame the builder makes in practice. */
#define FCTEST_PKT_MAX 2048
/** Most length fields one frame may need fixed up. */
#define FCTEST_PKT_MAX_FIX 16

/** IPv4 fragment field bits (struct fctest_ip4.frag); the rest is the offset in 8-byte units. */
#define FCTEST_IP4_DF 0x4000
#define FCTEST_IP4_MF 0x2000

/** TCP flag bits (struct fctest_tcp.flags). */
#define FCTEST_TCP_FIN 0x01
#define FCTEST_TCP_SYN 0x02
#define FCTEST_TCP_RST 0x04
#define FCTEST_TCP_PSH 0x08
#define FCTEST_TCP_ACK 0x10
#define FCTEST_TCP_URG 0x20

/** GRE flag bits (struct fctest_gre.flags). */
#define FCTEST_GRE_C 0x8000 /**< checksum present (+4 bytes) */
#define FCTEST_GRE_R 0x4000 /**< routing present (bit only; no routing field is written) */
#define FCTEST_GRE_K 0x2000 /**< key present (+4 bytes) */
#define FCTEST_GRE_S 0x1000 /**< sequence number present (+4 bytes) */

/** VXLAN I flag (valid VNI). */
#define FCTEST_VXLAN_I 0x08

/** GTP-U optional-field flags (struct fctest_gtpu.flags). */
#define FCTEST_GTPU_E  0x04 /**< extension header follows (use fctest_pkt_gtpu_ext) */
#define FCTEST_GTPU_S  0x02 /**< sequence number present */
#define FCTEST_GTPU_PN 0x01 /**< N-PDU number present */

/** One length field fixed up by fctest_pkt_finish(). */
struct fctest_pkt_fix {
	uint32_t off;  /**< offset of the header owning the field */
	uint8_t kind;  /**< internal kind of field */
};

/**
 * A frame under construction. Fields are for the builder; tests read
 * buf and len (valid after fctest_pkt_finish()).
 */
struct fctest_pkt {
	uint8_t *buf;        /**< caller's buffer */
	uint32_t size;       /**< size of buf */
	uint32_t len;        /**< bytes written so far */
	uint32_t end;        /**< end of the packet before the trailer (0: no trailer) */
	int err;             /**< an append did not fit (sticky) */
	uint32_t next_off;   /**< offset of the pending next-type field */
	uint8_t next_kind;   /**< kind of the pending next-type field (0: none) */
	uint8_t in_mpls;     /**< the last header is an MPLS label */
	uint32_t mpls_off;   /**< offset of that label */
	unsigned int n_fix;  /**< entries of fix[] */
	struct fctest_pkt_fix fix[FCTEST_PKT_MAX_FIX]; /**< length fields to fix */
};

/** IPv4 header options (fctest_pkt_ip4). Zero fields take the defaults. */
struct fctest_ip4 {
	const char *src;      /**< dotted quad; NULL means 10.0.0.1 */
	const char *dst;      /**< dotted quad; NULL means 10.0.0.2 */
	uint8_t proto;        /**< 0: from the next header appended */
	uint8_t ttl;          /**< 0 means 64 */
	uint8_t tos;          /**< DSCP/ECN byte */
	uint16_t id;          /**< identification */
	uint16_t frag;        /**< FCTEST_IP4_DF/MF | offset in 8-byte units */
	const uint8_t *opts;  /**< options, zero-padded to a multiple of 4 */
	uint8_t opts_len;     /**< option bytes (at most 40) */
};

/** IPv6 header options (fctest_pkt_ip6). Zero fields take the defaults. */
struct fctest_ip6 {
	const char *src;      /**< text address; NULL means 2001:db8::1 */
	const char *dst;      /**< text address; NULL means 2001:db8::2 */
	uint8_t nh;           /**< 0: from the next header appended */
	uint8_t hlim;         /**< 0 means 64 */
	uint8_t tclass;       /**< traffic class */
	uint32_t flow_label;  /**< 20-bit flow label */
};

/** TCP header options (fctest_pkt_tcp). All fields are written as given. */
struct fctest_tcp {
	uint16_t sport;       /**< source port */
	uint16_t dport;       /**< destination port */
	uint32_t seq;         /**< sequence number */
	uint32_t ack;         /**< acknowledgement number */
	uint8_t flags;        /**< FCTEST_TCP_* */
	uint16_t win;         /**< window */
	const uint8_t *opts;  /**< options, EOL-padded to a multiple of 4 */
	uint8_t opts_len;     /**< option bytes (at most 40) */
};

/** GRE header options (fctest_pkt_gre). */
struct fctest_gre {
	uint16_t flags;       /**< FCTEST_GRE_* */
	uint8_t version;      /**< version (0; 1 is PPTP) */
	uint16_t proto;       /**< 0: from the next header appended (0x6558 for Ethernet) */
	uint32_t key;         /**< key (FCTEST_GRE_K) */
	uint32_t seq;         /**< sequence number (FCTEST_GRE_S) */
};

/** GTP-U header options (fctest_pkt_gtpu). Version 1 and PT 1 are always set. */
struct fctest_gtpu {
	uint32_t teid;        /**< tunnel endpoint id */
	uint8_t flags;        /**< FCTEST_GTPU_E/S/PN */
	uint8_t type;         /**< message type; 0 means 0xff (G-PDU) */
	uint16_t seq;         /**< sequence number (written when any flag is set) */
};

/** Start a frame in buf (size bytes). */
void fctest_pkt_init(struct fctest_pkt *p, uint8_t *buf, uint32_t size);

/**
 * Append an Ethernet II header.
 * @param dst, src  6-byte addresses; NULL means 02:00:00:00:00:02 / :01
 * @param type      ethertype; 0: from the next header appended
 */
int fctest_pkt_eth(struct fctest_pkt *p, const uint8_t *dst, const uint8_t *src,
		   uint16_t type);

/**
 * Append an 802.1Q tag. Its TPID (0 means 0x8100) goes into the pending
 * ethertype field if that was given as 0; the tag's own ethertype is
 * filled in from the next header appended.
 * @param tci  PCP/DEI/VLAN id as on the wire
 */
int fctest_pkt_vlan(struct fctest_pkt *p, uint16_t tpid, uint16_t tci);

/** Append an MPLS label (ethertype 0x8847 if pending); S is set on the last label of a run. */
int fctest_pkt_mpls(struct fctest_pkt *p, uint32_t label, uint8_t ttl);

/** Append an IPv4 header (total length and checksum fixed at finish). */
int fctest_pkt_ip4(struct fctest_pkt *p, const struct fctest_ip4 *ip);

/** Append an IPv6 header (payload length fixed at finish). */
int fctest_pkt_ip6(struct fctest_pkt *p, const struct fctest_ip6 *ip);

/**
 * Append an IPv6 extension header of len bytes, zero-filled but for the
 * next-header and length fields.
 * @param type  0 (hop-by-hop), 43 (routing), 60 (destination options):
 *              len a multiple of 8, at least 8; 51 (AH): len a multiple of
 *              4, at least 12
 */
int fctest_pkt_ip6_ext(struct fctest_pkt *p, uint8_t type, uint16_t len);

/**
 * Append an IPv6 fragment header.
 * @param offset  fragment offset in 8-byte units
 * @param more    M flag
 */
int fctest_pkt_ip6_frag(struct fctest_pkt *p, uint16_t offset, int more,
			uint32_t id);

/** Append a TCP header with options. */
int fctest_pkt_tcp(struct fctest_pkt *p, const struct fctest_tcp *tcp);

/** Append a UDP header (length fixed at finish). */
int fctest_pkt_udp(struct fctest_pkt *p, uint16_t sport, uint16_t dport);

/** Append an 8-byte ICMP header (rest: the 4 bytes after the checksum). */
int fctest_pkt_icmp(struct fctest_pkt *p, uint8_t type, uint8_t code,
		    uint32_t rest);

/** Append an 8-byte ICMPv6 header (rest: the 4 bytes after the checksum). */
int fctest_pkt_icmp6(struct fctest_pkt *p, uint8_t type, uint8_t code,
		     uint32_t rest);

/** Append an SCTP common header (12 bytes). */
int fctest_pkt_sctp(struct fctest_pkt *p, uint16_t sport, uint16_t dport,
		    uint32_t vtag);

/** Append a GRE header with the optional fields its flags select. */
int fctest_pkt_gre(struct fctest_pkt *p, const struct fctest_gre *gre);

/** Append a VXLAN header (flags as on the wire: FCTEST_VXLAN_I for a valid one). */
int fctest_pkt_vxlan(struct fctest_pkt *p, uint8_t flags, uint32_t vni);

/**
 * Append a GTP-U header: 8 bytes, plus 4 if any flag is set (its next
 * extension type is filled by fctest_pkt_gtpu_ext). Length fixed at finish.
 */
int fctest_pkt_gtpu(struct fctest_pkt *p, const struct fctest_gtpu *g);

/**
 * Append a GTP-U extension header of units * 4 bytes (units >= 1) and
 * write its type into the pending next-extension-type field. Its own
 * next type stays 0 (end of chain) unless another one follows.
 */
int fctest_pkt_gtpu_ext(struct fctest_pkt *p, uint8_t type, uint8_t units);

/** Append n bytes (zeros if data is NULL) as payload. */
int fctest_pkt_bytes(struct fctest_pkt *p, const void *data, uint32_t n);

/**
 * Append n zero bytes after the packet (Ethernet trailer padding): they
 * are not counted in any length field. Must be the last append.
 */
int fctest_pkt_trailer(struct fctest_pkt *p, uint32_t n);

/** Fix up the length fields and checksums. @return frame length, or -1 if an append failed. */
int fctest_pkt_finish(struct fctest_pkt *p);

/** Overwrite one byte of the frame (after finish, to corrupt a field). */
void fctest_pkt_put8(struct fctest_pkt *p, uint32_t off, uint8_t v);

/** Overwrite a big-endian 16-bit field. */
void fctest_pkt_put16(struct fctest_pkt *p, uint32_t off, uint16_t v);

/** Overwrite a big-endian 32-bit field. */
void fctest_pkt_put32(struct fctest_pkt *p, uint32_t off, uint32_t v);

/**
 * Parse a text address into 16 bytes, the layout of struct fc_pkt_layer
 * (IPv4 in bytes 0..3, rest 0). @return 4, 6, or -1 if it does not parse.
 */
int fctest_pkt_addr(const char *s, uint8_t out[16]);

/**
 * Copy a frame into a new single-segment mbuf from mp.
 * @return the mbuf (caller frees), or NULL if mp is empty or the frame does not fit
 */
struct rte_mbuf *fctest_pkt_mbuf(struct rte_mempool *mp, const uint8_t *frame,
				 uint32_t len);

#endif /* FCTEST_PKTGEN_H */
