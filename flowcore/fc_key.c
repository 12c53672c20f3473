/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow keys: turns one layer of a decoded frame (struct fc_pkt_meta) into
 * the fixed 48-byte struct fc_flow_key the flow table hashes, plus the
 * packet's direction relative to that key.
 *
 * Canonical order: in the bidirectional modes the endpoint that compares
 * lower (address bytes first, then port) becomes endpoint 0. A packet from
 * endpoint 0 is FC_DIR_FWD, one from endpoint 1 FC_DIR_REV. Equal
 * endpoints (a host talking to itself on one port) are FC_DIR_FWD both
 * ways, which is what a single socket pair on loopback looks like.
 *
 * The IPv6 flow label never enters a key: the two directions of one
 * connection usually carry different labels, so hashing it would split
 * every biflow in two. It stays in the decoded layer for whoever wants it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include "fc_key.h"

#define FC_KEY_FIELD(f) sizeof(((struct fc_flow_key *)0)->f)
static_assert(FC_KEY_FIELD(addr) + FC_KEY_FIELD(port) + FC_KEY_FIELD(vlan) +
	      FC_KEY_FIELD(proto) + FC_KEY_FIELD(family) +
	      FC_KEY_FIELD(tunnel_id) + FC_KEY_FIELD(mode) + FC_KEY_FIELD(pad) ==
	      sizeof(struct fc_flow_key),
	      "no implicit padding: fc_key_make() writes every byte by field");

static const char *const key_mode_names[FC_KEY_MODE_MAX] = {
	[FC_KEY_5TUPLE] = "5tuple",
	[FC_KEY_5TUPLE_UNI] = "5tuple-uni",
	[FC_KEY_IP_PAIR] = "ip-pair",
	[FC_KEY_MAC_PAIR] = "mac-pair",
};

/* Load 8 address bytes as a big-endian number, so integer order is byte order. */
static inline uint64_t
be64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_64(v);
}

/*
 * 1 if endpoint (a, pa) sorts after (b, pb): address bytes, then port. Two
 * 64-bit compares instead of a memcmp call: this runs on every packet.
 */
static inline int
endpoint_after(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb)
{
	uint64_t x = be64_at(a), y = be64_at(b);

	if (x != y)
		return x > y;
	x = be64_at(a + 8);
	y = be64_at(b + 8);
	if (x != y)
		return x > y;
	return pa > pb;
}

static void
key_set_endpoints(struct fc_flow_key *k, int canonical, const uint8_t *src,
		  uint16_t sport, const uint8_t *dst, uint16_t dport,
		  uint8_t *dir)
{
	if (canonical && endpoint_after(src, sport, dst, dport)) {
		memcpy(k->addr[0], dst, 16);
		memcpy(k->addr[1], src, 16);
		k->port[0] = dport;
		k->port[1] = sport;
		*dir = FC_DIR_REV;
	} else {
		memcpy(k->addr[0], src, 16);
		memcpy(k->addr[1], dst, 16);
		k->port[0] = sport;
		k->port[1] = dport;
		*dir = FC_DIR_FWD;
	}
}

/*
 * The general fc_key_make(): every mode, every frame. The fast path below
 * leaves it MAC keys, ICMP, and the frames or modes that cannot be keyed.
 */
static __attribute__((noinline)) int
key_make_general(const struct fc_key_params *p, const struct fc_pkt_meta *m,
		 unsigned int layer, struct fc_flow_key *k, uint8_t *dir)
{
	const struct fc_pkt_layer *l;
	uint16_t sport = 0, dport = 0;

	memset(k, 0, sizeof(*k));
	*dir = FC_DIR_FWD;
	k->mode = p->mode;
	if (p->flags & FC_KEY_F_VLAN)
		k->vlan = m->vlan_outer;

	if (p->mode == FC_KEY_MAC_PAIR) {
		uint8_t a[16] = {0}, b[16] = {0};

		if (m->status != FC_PKT_OK && m->status != FC_PKT_L2_ONLY)
			return -EINVAL;
		memcpy(a, m->src_mac, 6);
		memcpy(b, m->dst_mac, 6);
		k->family = FC_KEY_FAMILY_MAC;
		key_set_endpoints(k, 1, a, 0, b, 0, dir);
		return 0;
	}

	if (m->status != FC_PKT_OK || layer >= m->n_layers ||
	    p->mode >= FC_KEY_MODE_MAX)
		return -EINVAL;
	l = &m->layer[layer];
	k->family = l->ip_version == 6 ? FC_KEY_FAMILY_V6 : FC_KEY_FAMILY_V4;
	if ((p->flags & FC_KEY_F_TUNNEL_ID) && l->tunnel != FC_TUN_NONE)
		k->tunnel_id = l->tunnel_id;

	if (p->mode == FC_KEY_IP_PAIR) {
		key_set_endpoints(k, 1, l->src, 0, l->dst, 0, dir);
		return 0;
	}

	k->proto = l->proto;
	if (l->has_l4) {
		if (l->proto == IPPROTO_ICMP || l->proto == IPPROTO_ICMPV6) {
			fc_key_icmp_ports(l->proto, l->icmp_type, l->icmp_code,
					  &sport, &dport);
		} else {
			sport = l->sport;
			dport = l->dport;
		}
	}
	key_set_endpoints(k, p->mode == FC_KEY_5TUPLE, l->src, sport, l->dst,
			  dport, dir);
	return 0;
}

/*
 * The fast path, for IP keys of a layer without ICMP ports: everything
 * is read from the frame record before the first store (the compiler must
 * assume stores to the key may alias it), the endpoint order is one
 * compare, the addresses are copied 16 bytes at a time, and every byte of
 * the key is written once, with no memset first. Same result as
 * key_make_general() (a unit test compares it with a reference builder).
 */
static_assert(offsetof(struct fc_flow_key, port) == 32 &&
	      offsetof(struct fc_flow_key, vlan) == 36 &&
	      offsetof(struct fc_flow_key, proto) == 38 &&
	      offsetof(struct fc_flow_key, family) == 39 &&
	      offsetof(struct fc_flow_key, tunnel_id) == 40 &&
	      offsetof(struct fc_flow_key, mode) == 44,
	      "fc_key_make() writes the key's last 16 bytes as two words");

int
fc_key_make(const struct fc_key_params *p, const struct fc_pkt_meta *m,
	    unsigned int layer, struct fc_flow_key *k, uint8_t *dir)
{
	static const struct fc_key_params defaults;
	const struct fc_pkt_layer *l;
	const uint8_t *a, *b;
	uint32_t tunnel_id = 0;
	uint16_t sport = 0, dport = 0, vlan = 0;
	uint8_t mode, proto, family;
	int swap = 0;

	if (p == NULL)
		p = &defaults;
	mode = p->mode;
	if (FC_UNLIKELY(mode == FC_KEY_MAC_PAIR || mode >= FC_KEY_MODE_MAX ||
			m->status != FC_PKT_OK || layer >= m->n_layers))
		goto general;
	l = &m->layer[layer];
	proto = l->proto;
	if (mode == FC_KEY_IP_PAIR) {
		proto = 0;
	} else if (l->has_l4) {
		if (FC_UNLIKELY(proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6))
			goto general;
		sport = l->sport;
		dport = l->dport;
	}
	if (p->flags & FC_KEY_F_VLAN)
		vlan = m->vlan_outer;
	if ((p->flags & FC_KEY_F_TUNNEL_ID) && l->tunnel != FC_TUN_NONE)
		tunnel_id = l->tunnel_id;
	family = l->ip_version == 6 ? FC_KEY_FAMILY_V6 : FC_KEY_FAMILY_V4;
	if (mode != FC_KEY_5TUPLE_UNI)
		swap = endpoint_after(l->src, sport, l->dst, dport);
	a = swap ? l->dst : l->src;
	b = swap ? l->src : l->dst;

	memcpy(k->addr[0], a, 16);
	memcpy(k->addr[1], b, 16);
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	{
		/*
		 * The last 16 bytes as two whole words: the hash reads the key
		 * back 8 bytes at a time, and a load that spans several
		 * narrower stores cannot take its bytes from them (it waits
		 * for them to reach the cache).
		 */
		uint64_t w[2];

		w[0] = (uint64_t)(swap ? dport : sport) |
			(uint64_t)(swap ? sport : dport) << 16 |
			(uint64_t)vlan << 32 | (uint64_t)proto << 48 |
			(uint64_t)family << 56;
		w[1] = (uint64_t)tunnel_id | (uint64_t)mode << 32;
		memcpy((char *)k + offsetof(struct fc_flow_key, port), w, sizeof(w));
	}
#else
	k->port[0] = swap ? dport : sport;
	k->port[1] = swap ? sport : dport;
	k->vlan = vlan;
	k->proto = proto;
	k->family = family;
	k->tunnel_id = tunnel_id;
	k->mode = mode;
	memset(k->pad, 0, sizeof(k->pad));
#endif
	*dir = swap ? FC_DIR_REV : FC_DIR_FWD;
	return 0;
general:
	return key_make_general(p, m, layer, k, dir);
}

int
fc_key_icmp_ports(uint8_t proto, uint8_t type, uint8_t code, uint16_t *sport,
		  uint16_t *dport)
{
	/* Request/reply pairs, as listed by the Community ID specification. */
	static const uint8_t v4[][2] = {
		{8, 0}, {0, 8}, {13, 14}, {14, 13}, {15, 16}, {16, 15},
		{10, 9}, {9, 10}, {17, 18}, {18, 17},
	};
	static const uint8_t v6[][2] = {
		{128, 129}, {129, 128}, {133, 134}, {134, 133}, {135, 136},
		{136, 135}, {130, 131}, {131, 130}, {139, 140}, {140, 139},
		{144, 145}, {145, 144},
	};
	const uint8_t (*tab)[2] = proto == IPPROTO_ICMPV6 ? v6 : v4;
	size_t n = proto == IPPROTO_ICMPV6 ? FC_DIM(v6) : FC_DIM(v4);
	size_t i;

	*sport = type;
	for (i = 0; i < n; i++) {
		if (tab[i][0] == type) {
			*dport = tab[i][1];
			return 1;
		}
	}
	*dport = code;
	return 0;
}

/* CRC32-C steps over 8 and 4 bytes (SSE4.2 when the build targets it). */
static inline uint32_t
crc8(uint32_t c, uint64_t w)
{
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
	return (uint32_t)_mm_crc32_u64(c, w);
#else
	return rte_hash_crc_8byte(w, c);
#endif
}

static inline uint32_t
crc4(uint32_t c, uint32_t w)
{
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
	return _mm_crc32_u32(c, w);
#else
	return rte_hash_crc_4byte(w, c);
#endif
}

uint32_t
fc_key_hash_seeded(const struct fc_flow_key *k, uint32_t seed)
{
	/*
	 * CRC32-C in two chains, over the even and the odd 8-byte words,
	 * joined by one more step: half the dependent steps of one chain
	 * over all six (a step takes three cycles, a packet takes one hash).
	 */
	const uint8_t *p = (const uint8_t *)k;
	uint32_t a = seed, b = seed;

	/* Word loads, each matching a store of fc_key_make(): none waits. */
	for (unsigned int i = 0; i < sizeof(*k) / 8; i += 2) {
		uint64_t w0, w1;

		memcpy(&w0, p + 8 * i, 8);
		memcpy(&w1, p + 8 * i + 8, 8);
		a = crc8(a, w0);
		b = crc8(b, w1);
	}
	return crc4(a, b);
}

uint32_t
fc_key_hash_rte(const void *key, uint32_t key_len, uint32_t init_val)
{
	(void)key_len;
	return fc_key_hash_seeded(key, init_val);
}

uint32_t
fc_key_hash(const struct fc_flow_key *k)
{
	return fc_key_hash_seeded(k, 0);
}

int
fc_key_equal(const struct fc_flow_key *a, const struct fc_flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

int
fc_addr_str(const uint8_t *a, uint8_t family, char *buf, unsigned int len)
{
	int n;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	switch (family) {
	case FC_KEY_FAMILY_V4: {
		/* Dotted quad by hand: this runs once per exported address. */
		char t[16];
		unsigned int o = 0;

		for (int i = 0; i < 4; i++) {
			unsigned int v = a[i];

			if (v >= 100)
				t[o++] = (char)('0' + v / 100);
			if (v >= 10)
				t[o++] = (char)('0' + v / 10 % 10);
			t[o++] = (char)('0' + v % 10);
			t[o++] = '.';
		}
		o--; /* last dot */
		if (o >= len)
			o = len - 1;
		memcpy(buf, t, o);
		buf[o] = '\0';
		return (int)o;
	}
	case FC_KEY_FAMILY_V6:
		/* glibc's inet_ntop writes RFC 5952 form (lower case, :: for the longest zero run). */
		if (inet_ntop(AF_INET6, a, buf, len) == NULL) {
			buf[0] = '\0';
			return 0;
		}
		return (int)strlen(buf);
	default:
		n = snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
			     a[0], a[1], a[2], a[3], a[4], a[5]);
		break;
	}
	if (n < 0)
		return 0;
	return (unsigned int)n >= len ? (int)len - 1 : n;
}

int
fc_key_addr_str(const struct fc_flow_key *k, unsigned int ep, char *buf,
		unsigned int len)
{
	if (ep > 1) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	return fc_addr_str(k->addr[ep], k->family, buf, len);
}

int
fc_key_parse_mode(const char *name)
{
	unsigned int i;

	for (i = 0; i < FC_KEY_MODE_MAX; i++)
		if (strcmp(name, key_mode_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *
fc_key_mode_name(unsigned int mode)
{
	return mode < FC_KEY_MODE_MAX ? key_mode_names[mode] : "?";
}

/* ---------------------------------------------------------------- */
/* Keeping tunnels together (fc_key_carrier).                       */

/*
 * Spreading frames over workers (the dispatch lcore, trackers sharing a
 * file): the outer flow decides. A frame's worker is a function of
 * its outermost headers only, never of what decodes inside them, so an
 * outer flow is never split (also when some of its frames do not decode
 * as the tunnel: bubbles, GTP-U echo, a damaged header), and an inner
 * flow lands where its outer flow is, so tunnel.parent is right:
 *  - a plain frame uses its flow key (table.key mode);
 *  - a tunnel carrier (GRE, IP-in-IP, UDP to or from the VXLAN or GTP-U
 *    port) uses its outer address pair only: the two directions of a
 *    tunnel may use different outer ports (VXLAN and GTP-U pick the
 *    source port per inner flow), and all of them stay together;
 *  - Teredo: a client talks to its server (UDP port 3544) and to relays
 *    (any ports), and one inner flow may cross both (a ping test goes out
 *    through the server and comes back through a relay). So a UDP frame
 *    with port 3544 on one side uses the other endpoint (the client's
 *    address and port) only; a frame that decodes as Teredo on other
 *    ports uses the endpoint the client's Teredo address names (RFC
 *    4380: its obfuscated mapped port), when one of the two has that
 *    port; else the outer flow key. A relay flow is therefore split only
 *    if some of its frames do not decode as Teredo while others do.
 * In mac-pair mode the key has no addresses or ports to narrow: every
 * frame uses its MAC pair. Later IP fragments carry no ports and key as
 * their own flow, on one worker.
 */

#define TEREDO_PORT 3544

/* k narrowed to one endpoint of the outer layer o (0 = source, 1 = destination), into out. */
static void
key_endpoint(const struct fc_flow_key *k, const struct fc_pkt_layer *o, int side,
	     struct fc_flow_key *out)
{
	memset(out, 0, sizeof(*out));
	out->mode = k->mode;
	out->family = k->family;
	out->vlan = k->vlan;
	out->proto = IPPROTO_UDP;
	memcpy(out->addr[0], side == 0 ? o->src : o->dst, 16);
	if (k->mode != FC_KEY_IP_PAIR)
		out->port[0] = side == 0 ? o->sport : o->dport;
}

/*
 * The side of the outer layer o that a Teredo address of the inner layer
 * names (mapped port = ~bits 80..95 of 2001:0::/32), or -1.
 */
static int
teredo_client_side(const struct fc_pkt_layer *o, const struct fc_pkt_layer *in)
{
	const uint8_t *a[2] = { in->src, in->dst };

	for (int i = 0; i < 2; i++) {
		uint16_t port;

		if (a[i][0] != 0x20 || a[i][1] != 0x01 || a[i][2] != 0 || a[i][3] != 0)
			continue;
		port = (uint16_t)~(a[i][10] << 8 | a[i][11]);
		if (port == o->sport)
			return 0;
		if (port == o->dport)
			return 1;
	}
	return -1;
}

int
fc_key_carrier(const struct fc_pkt_params *pp, const struct fc_pkt_meta *m,
	       const struct fc_flow_key *k, struct fc_flow_key *out)
{
	const struct fc_pkt_layer *o = &m->layer[0];
	int side = -1;

	if (m->status != FC_PKT_OK || m->n_layers == 0 ||
	    k->family == FC_KEY_FAMILY_MAC)
		return 0;
	switch (o->proto) {
	case IPPROTO_GRE:
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		break;
	case IPPROTO_UDP:
		if (!o->has_l4)
			return 0;
		if (fc_pkt_tunnel_port(pp, o->sport, o->dport))
			break;
		if (o->dport == TEREDO_PORT && o->sport != TEREDO_PORT)
			side = 0;
		else if (o->sport == TEREDO_PORT && o->dport != TEREDO_PORT)
			side = 1;
		else if (m->n_layers > 1 && m->layer[1].tunnel == FC_TUN_TEREDO)
			side = teredo_client_side(o, &m->layer[1]);
		if (side < 0)
			return 0;
		key_endpoint(k, o, side, out);
		return 1;
	default:
		return 0;
	}
	/* A carrier: its outer address pair only. */
	*out = *k;
	out->port[0] = 0;
	out->port[1] = 0;
	out->proto = 0;
	return 1;
}

/*
 * The share hash of two endpoints: CRC32-C of the exclusive or of their
 * addresses, then of their ports and the protocol, so both directions
 * give the same hash without ordering the endpoints.
 */
static inline uint32_t
share_mix(const uint64_t a[2], const uint64_t b[2], uint16_t pa, uint16_t pb,
	  uint8_t proto, uint32_t seed)
{
	uint32_t h;

	h = rte_hash_crc_8byte(a[0] ^ b[0], seed);
	h = rte_hash_crc_8byte(a[1] ^ b[1], h);
	return rte_hash_crc_4byte((uint32_t)(pa ^ pb) | (uint32_t)proto << 16, h);
}

uint32_t
fc_key_share_hash(const struct fc_flow_key *k, uint32_t seed)
{
	uint64_t a[2], b[2];

	memcpy(a, k->addr[0], 16);
	memcpy(b, k->addr[1], 16);
	return share_mix(a, b, k->port[0], k->port[1], k->proto, seed);
}

int
fc_key_share_decoded(const struct fc_key_params *kp,
		     const struct fc_pkt_params *pp, const struct fc_pkt_meta *m,
		     uint32_t seed, struct fc_flow_key *k, uint8_t *dir,
		     uint32_t *hash)
{
	struct fc_flow_key c;

	if (fc_key_make(kp, m, 0, k, dir) != 0)
		return -1;
	*hash = fc_key_share_hash(fc_key_carrier(pp, m, k, &c) ? &c : k, seed);
	return 0;
}

int
fc_key_share_frame(const struct fc_key_params *kp,
		   const struct fc_pkt_params *pp, const uint8_t *frame,
		   uint32_t cap_len, uint32_t seed, uint32_t *hash)
{
	uint8_t mode = kp != NULL ? kp->mode : FC_KEY_5TUPLE;
	struct fc_pkt_peek p;

	/* fc_pkt_peek() leaves the VXLAN and GTP-U carriers to the decoder. */
	if (mode == FC_KEY_MAC_PAIR || mode >= FC_KEY_MODE_MAX ||
	    !fc_pkt_peek(frame, cap_len, pp, &p))
		return -1;
	/* A Teredo server datagram, which fc_key_carrier() narrows: decode it. */
	if (p.proto == IPPROTO_UDP &&
	    (p.sport == TEREDO_PORT || p.dport == TEREDO_PORT))
		return -1;
	/* The fields fc_key_make() puts in the key. */
	if (mode == FC_KEY_IP_PAIR)
		*hash = share_mix(p.src, p.dst, 0, 0, 0, seed);
	else
		*hash = share_mix(p.src, p.dst, p.sport, p.dport, p.proto, seed);
	return 0;
}
