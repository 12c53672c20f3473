/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Flow keys: the second stage of the pipeline.
 *
 *     struct fc_pkt_meta -> fc_key_make() -> struct fc_flow_key + dir + hash
 *
 * One fixed-size, zero-padded key serves IPv4, IPv6 and MAC keys, so the
 * flow table hashes and compares 48 bytes with rte_hash's specialised
 * 48-byte compare. Bidirectional modes store the two endpoints in canonical
 * order (lower address, then lower port, first) and report the packet's
 * direction separately, so both directions of a connection map to one key.
 * The key is hashed once per packet; the table reuses that hash.
 *
 * Thread-safety: all functions are reentrant.
 */
#ifndef FC_KEY_H
#define FC_KEY_H

#include <stdint.h>
#include <assert.h>
#include <stdalign.h>

#include "fc_pkt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What identifies a flow. */
enum fc_key_mode {
	FC_KEY_5TUPLE = 0, /**< proto + addresses + ports, both directions one flow (default) */
	FC_KEY_5TUPLE_UNI, /**< proto + addresses + ports, each direction its own flow */
	FC_KEY_IP_PAIR,    /**< the two IP addresses, any protocol */
	FC_KEY_MAC_PAIR,   /**< the two Ethernet addresses, any frame */
	FC_KEY_MODE_MAX
};

/** Key option flags (struct fc_key_params.flags). */
#define FC_KEY_F_VLAN      0x01 /**< the outer VLAN id is part of the key */
#define FC_KEY_F_TUNNEL_ID 0x02 /**< a tunnelled layer's tunnel id (VNI/TEID/key) is part of the key */

/** Address family of a key (struct fc_flow_key.family). */
#define FC_KEY_FAMILY_MAC 0
#define FC_KEY_FAMILY_V4  4
#define FC_KEY_FAMILY_V6  6

/**
 * A flow key, 8-byte aligned (rte_hash_crc reads it 8 bytes at a time).
 * The struct has no implicit padding: fc_key_make() writes every byte
 * (pad included); code that fills a key by hand memsets it to zero first.
 * So no byte holds garbage and memcmp/hash are stable.
 */
struct fc_flow_key {
	alignas(8) uint8_t addr[2][16]; /**< endpoint 0 and 1: IPv4 in bytes 0..3, MAC in bytes 0..5, rest 0 */
	uint16_t port[2];    /**< ports of endpoint 0 and 1 (host order); ICMP: type/code in port[0/1] of the sender */
	uint16_t vlan;       /**< VLAN id with FC_KEY_F_VLAN, else 0 */
	uint8_t proto;       /**< IP protocol (0 for MAC keys) */
	uint8_t family;      /**< FC_KEY_FAMILY_* */
	uint32_t tunnel_id;  /**< tunnel id with FC_KEY_F_TUNNEL_ID, else 0 */
	uint8_t mode;        /**< enum fc_key_mode that built the key */
	uint8_t pad[3];      /**< always 0 */
};
static_assert(sizeof(struct fc_flow_key) == 48,
	      "fc_flow_key must stay 48 bytes (rte_hash fast compare)");

/** How keys are built. Zero-initialised means bidirectional 5-tuple. */
struct fc_key_params {
	uint8_t mode;   /**< enum fc_key_mode */
	uint8_t flags;  /**< FC_KEY_F_* */
};

/** Direction of a packet relative to its key. */
#define FC_DIR_FWD 0 /**< packet source is key endpoint 0 */
#define FC_DIR_REV 1 /**< packet source is key endpoint 1 */

/**
 * Build the key of one layer of a decoded frame.
 *
 * ICMP and ICMPv6 keys use the ports of fc_key_icmp_ports() (as Zeek and
 * Community ID do), so an echo request and its reply share one flow. A
 * non-first IP fragment has no L4 header and gets ports 0.
 *
 * @param[in]  p      key parameters
 * @param[in]  m      decoded frame (status OK, or L2_ONLY for MAC keys)
 * @param[in]  layer  index of the IP layer to key (< m->n_layers); ignored for MAC keys
 * @param[out] k      key, fully written (zero padded)
 * @param[out] dir    FC_DIR_FWD or FC_DIR_REV
 * @return 0, or -EINVAL if the frame has no such layer or the mode cannot
 *         key it (e.g. an L2-only frame in an IP mode).
 */
int fc_key_make(const struct fc_key_params *p, const struct fc_pkt_meta *m,
		unsigned int layer, struct fc_flow_key *k, uint8_t *dir);

/**
 * Map an ICMP/ICMPv6 message to flow "ports": the type as source port and,
 * for request/reply types (echo, timestamp, router and neighbour
 * solicitation/advertisement, ...), the counterpart type as destination
 * port; other types use the code and are one-way.
 * @return 1 if the message has a counterpart (two-way), 0 if one-way.
 */
int fc_key_icmp_ports(uint8_t proto, uint8_t type, uint8_t code,
		      uint16_t *sport, uint16_t *dport);

/**
 * The outer flow key k of the decoded frame m (built by fc_key_make() for
 * layer 0), narrowed so that spreading frames by its hash keeps every
 * tunnel's outer flow whole and its inner flows with it:
 *  - a tunnel carrier (GRE, IP-in-IP, UDP to or from the VXLAN or GTP-U
 *    port of pp) keeps its outer address pair only: the two directions
 *    of a tunnel may use different outer ports;
 *  - Teredo: a UDP frame with port 3544 on one side keeps the other
 *    endpoint (the client's address and port) only; a frame that decodes
 *    as Teredo on other ports keeps the endpoint whose port the client's
 *    Teredo address names (RFC 4380), when one side has it.
 * Other keys (plain frames, MAC keys, frames that did not decode) need
 * no narrowing.
 * @return 1 with the narrowed key in out, or 0 (out untouched): hash k.
 */
int fc_key_carrier(const struct fc_pkt_params *pp, const struct fc_pkt_meta *m,
		   const struct fc_flow_key *k, struct fc_flow_key *out);

/**
 * SHARES. Trackers that share one input (each given every frame, or a
 * dispatch lcore spreading frames over workers) split the flows by a
 * share hash: frame f belongs to share (hash * n) >> 32 of n. The hash
 * is that of the frame's outer flow key as fc_key_carrier() narrows it,
 * over the key's two addresses, ports and protocol only (not VLAN or
 * tunnel id, which do not split a flow's frames), and symmetric in the
 * two endpoints. Frames without a key belong to share 0.
 */

/** Share hash of a (layer 0, carrier-narrowed) key. */
uint32_t fc_key_share_hash(const struct fc_flow_key *k, uint32_t seed);

/** The share (0 .. n - 1) that share hash h gives among n. */
static inline unsigned int
fc_key_share_index(uint32_t h, unsigned int n)
{
	return (unsigned int)(((uint64_t)h * n) >> 32);
}

/**
 * Share hash of a decoded frame: its layer-0 key is made into *k and *dir
 * (fc_key_make(), for the caller to keep) and hashed as fc_key_carrier()
 * narrows it.
 * @return 0 with *hash set, or -1: the frame has no layer-0 key.
 */
int fc_key_share_decoded(const struct fc_key_params *kp,
			 const struct fc_pkt_params *pp,
			 const struct fc_pkt_meta *m, uint32_t seed,
			 struct fc_flow_key *k, uint8_t *dir, uint32_t *hash);

/**
 * Share hash of a frame without decoding it, where the frame is plain
 * enough for that: fc_pkt_peek() reads it and it is not a datagram that
 * fc_key_carrier() may narrow (key modes other than MAC pairs). Equal to
 * fc_key_share_hash() of the frame's carrier-narrowed layer-0 key.
 * @param kp  key parameters (NULL: defaults)
 * @param pp  decoder parameters (NULL: defaults)
 * @return 0 with *hash set, or -1: decode and key the frame to know.
 */
int fc_key_share_frame(const struct fc_key_params *kp,
		       const struct fc_pkt_params *pp, const uint8_t *frame,
		       uint32_t cap_len, uint32_t seed, uint32_t *hash);

/** Hash of a key (CRC32-C of its 48 bytes); computed once per packet. */
uint32_t fc_key_hash(const struct fc_flow_key *k);

/**
 * Hash of a key with a seed: CRC32-C from `seed` over its even 8-byte
 * words and, separately, its odd ones, the two joined by one more CRC32-C
 * step (two short dependency chains instead of one long one). The hash
 * of a table created with fc_table_params.hash_seed = seed (its rte_hash
 * hashes with fc_key_hash_rte()). fc_key_hash(k) is
 * fc_key_hash_seeded(k, 0).
 */
uint32_t fc_key_hash_seeded(const struct fc_flow_key *k, uint32_t seed);

/** fc_key_hash_seeded() as an rte_hash hash function (key_len 48). */
uint32_t fc_key_hash_rte(const void *key, uint32_t key_len, uint32_t init_val);

/** 1 if the two keys are equal, else 0. */
int fc_key_equal(const struct fc_flow_key *a, const struct fc_flow_key *b);

/**
 * Format an address of the given family (FC_KEY_FAMILY_*) as text: dotted
 * IPv4, RFC 5952 IPv6 or colon-separated MAC.
 * @return characters written (excluding NUL); buf always NUL-terminated.
 */
int fc_addr_str(const uint8_t *addr, uint8_t family, char *buf,
		unsigned int len);

/**
 * Format an endpoint address of a key as text: dotted IPv4, RFC 5952 IPv6
 * or colon-separated MAC.
 * @return characters written (excluding NUL); buf always NUL-terminated.
 */
int fc_key_addr_str(const struct fc_flow_key *k, unsigned int ep, char *buf,
		    unsigned int len);

/** Parse a key mode name (5tuple, 5tuple-uni, ip-pair, mac-pair); -EINVAL if unknown. */
int fc_key_parse_mode(const char *name);

/** Name of a key mode; "?" if out of range. */
const char *fc_key_mode_name(unsigned int mode);

#ifdef __cplusplus
}
#endif

#endif /* FC_KEY_H */
