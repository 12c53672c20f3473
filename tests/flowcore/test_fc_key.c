/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of fc_key: canonical ordering, directions, modes, options,
 * ICMP port mapping, address formatting and hashing. Layers are filled by
 * hand so each test states exactly what the key sees.
 */
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <rte_hash_crc.h>

#include <fc_key.h>

#include "eal.h"
#include "pktgen.h"

/* A decoded single-layer frame: src:sport -> dst:dport over proto. */
static void
meta_v4(struct fc_pkt_meta *m, const char *src, uint16_t sport,
	const char *dst, uint16_t dport, uint8_t proto)
{
	memset(m, 0, sizeof(*m));
	m->status = FC_PKT_OK;
	m->n_layers = 1;
	m->layer[0].ip_version = 4;
	m->layer[0].proto = proto;
	m->layer[0].has_l4 = 1;
	m->layer[0].sport = sport;
	m->layer[0].dport = dport;
	inet_pton(AF_INET, src, m->layer[0].src);
	inet_pton(AF_INET, dst, m->layer[0].dst);
}

static void
meta_v6(struct fc_pkt_meta *m, const char *src, uint16_t sport,
	const char *dst, uint16_t dport, uint8_t proto)
{
	memset(m, 0, sizeof(*m));
	m->status = FC_PKT_OK;
	m->n_layers = 1;
	m->layer[0].ip_version = 6;
	m->layer[0].proto = proto;
	m->layer[0].has_l4 = 1;
	m->layer[0].sport = sport;
	m->layer[0].dport = dport;
	inet_pton(AF_INET6, src, m->layer[0].src);
	inet_pton(AF_INET6, dst, m->layer[0].dst);
}

/* Both directions of a TCP connection give one key, opposite dirs. */
static void
test_key_5tuple_both_directions_one_key(void **state)
{
	struct fc_key_params p = { .mode = FC_KEY_5TUPLE };
	struct fc_pkt_meta m;
	struct fc_flow_key a, b;
	uint8_t da, db;

	(void)state;
	meta_v4(&m, "10.0.0.2", 40000, "10.0.0.1", 80, IPPROTO_TCP);
	assert_int_equal(fc_key_make(&p, &m, 0, &a, &da), 0);
	meta_v4(&m, "10.0.0.1", 80, "10.0.0.2", 40000, IPPROTO_TCP);
	assert_int_equal(fc_key_make(&p, &m, 0, &b, &db), 0);
	assert_true(fc_key_equal(&a, &b));
	assert_int_equal(fc_key_hash(&a), fc_key_hash(&b));
	assert_int_not_equal(da, db);
	/* lower address first */
	assert_int_equal(a.addr[0][3], 1);
	assert_int_equal(a.port[0], 80);
	assert_int_equal(da, FC_DIR_REV);
}

/* Same addresses, ports decide the order. */
static void
test_key_5tuple_same_host_ports_order(void **state)
{
	struct fc_pkt_meta m;
	struct fc_flow_key a, b;
	uint8_t da, db;

	(void)state;
	meta_v4(&m, "127.0.0.1", 5000, "127.0.0.1", 4000, IPPROTO_UDP);
	assert_int_equal(fc_key_make(NULL, &m, 0, &a, &da), 0);
	meta_v4(&m, "127.0.0.1", 4000, "127.0.0.1", 5000, IPPROTO_UDP);
	assert_int_equal(fc_key_make(NULL, &m, 0, &b, &db), 0);
	assert_true(fc_key_equal(&a, &b));
	assert_int_equal(a.port[0], 4000);
	assert_int_equal(da, FC_DIR_REV);
	assert_int_equal(db, FC_DIR_FWD);
}

/* Directional mode: the two directions are two keys, both forward. */
static void
test_key_5tuple_uni_two_keys(void **state)
{
	struct fc_key_params p = { .mode = FC_KEY_5TUPLE_UNI };
	struct fc_pkt_meta m;
	struct fc_flow_key a, b;
	uint8_t da, db;

	(void)state;
	meta_v4(&m, "10.0.0.2", 40000, "10.0.0.1", 80, IPPROTO_TCP);
	fc_key_make(&p, &m, 0, &a, &da);
	meta_v4(&m, "10.0.0.1", 80, "10.0.0.2", 40000, IPPROTO_TCP);
	fc_key_make(&p, &m, 0, &b, &db);
	assert_false(fc_key_equal(&a, &b));
	assert_int_equal(da, FC_DIR_FWD);
	assert_int_equal(db, FC_DIR_FWD);
}

/* IP pair: ports and protocol do not matter. */
static void
test_key_ip_pair_ignores_ports_and_proto(void **state)
{
	struct fc_key_params p = { .mode = FC_KEY_IP_PAIR };
	struct fc_pkt_meta m;
	struct fc_flow_key a, b;
	uint8_t d;

	(void)state;
	meta_v4(&m, "10.0.0.2", 1, "10.0.0.1", 2, IPPROTO_TCP);
	fc_key_make(&p, &m, 0, &a, &d);
	meta_v4(&m, "10.0.0.1", 53, "10.0.0.2", 9, IPPROTO_UDP);
	fc_key_make(&p, &m, 0, &b, &d);
	assert_true(fc_key_equal(&a, &b));
	assert_int_equal(a.proto, 0);
}

/* MAC pair keys L2-only frames too. */
static void
test_key_mac_pair_l2_only_frame(void **state)
{
	struct fc_key_params p = { .mode = FC_KEY_MAC_PAIR };
	struct fc_pkt_meta m;
	struct fc_flow_key a, b;
	uint8_t da, db;
	static const uint8_t x[6] = {2, 0, 0, 0, 0, 1}, y[6] = {2, 0, 0, 0, 0, 2};

	(void)state;
	memset(&m, 0, sizeof(m));
	m.status = FC_PKT_L2_ONLY;
	memcpy(m.src_mac, y, 6);
	memcpy(m.dst_mac, x, 6);
	assert_int_equal(fc_key_make(&p, &m, 0, &a, &da), 0);
	memcpy(m.src_mac, x, 6);
	memcpy(m.dst_mac, y, 6);
	assert_int_equal(fc_key_make(&p, &m, 0, &b, &db), 0);
	assert_true(fc_key_equal(&a, &b));
	assert_int_equal(a.family, FC_KEY_FAMILY_MAC);
	assert_int_not_equal(da, db);
}

/* An L2-only frame has no IP key; a missing layer is refused. */
static void
test_key_ip_mode_refuses_l2_only_and_bad_layer(void **state)
{
	struct fc_pkt_meta m;
	struct fc_flow_key k;
	uint8_t d;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.status = FC_PKT_L2_ONLY;
	assert_int_equal(fc_key_make(NULL, &m, 0, &k, &d), -EINVAL);
	meta_v4(&m, "1.1.1.1", 1, "2.2.2.2", 2, IPPROTO_UDP);
	assert_int_equal(fc_key_make(NULL, &m, 1, &k, &d), -EINVAL);
	m.status = FC_PKT_E_TRUNC_IP;
	assert_int_equal(fc_key_make(NULL, &m, 0, &k, &d), -EINVAL);
}

/* VLAN in the key only when asked. */
static void
test_key_vlan_flag(void **state)
{
	struct fc_key_params plain = { 0 }, vlan = { .flags = FC_KEY_F_VLAN };
	struct fc_pkt_meta m;
	struct fc_flow_key a, b;
	uint8_t d;

	(void)state;
	meta_v4(&m, "10.0.0.1", 1, "10.0.0.2", 2, IPPROTO_UDP);
	m.vlan_outer = 100;
	fc_key_make(&plain, &m, 0, &a, &d);
	assert_int_equal(a.vlan, 0);
	fc_key_make(&vlan, &m, 0, &b, &d);
	assert_int_equal(b.vlan, 100);
	assert_false(fc_key_equal(&a, &b));
}

/* Tunnel id in inner keys only when asked; the outer layer never has one. */
static void
test_key_tunnel_id_flag(void **state)
{
	struct fc_key_params tid = { .flags = FC_KEY_F_TUNNEL_ID };
	struct fc_pkt_meta m;
	struct fc_flow_key k;
	uint8_t d;

	(void)state;
	meta_v4(&m, "10.0.0.1", 1, "10.0.0.2", 2, IPPROTO_UDP);
	m.layer[0].tunnel = FC_TUN_VXLAN;
	m.layer[0].tunnel_id = 42;
	fc_key_make(NULL, &m, 0, &k, &d);
	assert_int_equal(k.tunnel_id, 0);
	fc_key_make(&tid, &m, 0, &k, &d);
	assert_int_equal(k.tunnel_id, 42);
}

/* The IPv6 flow label never splits a biflow. */
static void
test_key_ipv6_flow_label_does_not_split(void **state)
{
	struct fc_pkt_meta m;
	struct fc_flow_key a, b;
	uint8_t d;

	(void)state;
	meta_v6(&m, "2001:db8::1", 1000, "2001:db8::2", 443, IPPROTO_TCP);
	m.layer[0].flow_label = 0x12345;
	fc_key_make(NULL, &m, 0, &a, &d);
	meta_v6(&m, "2001:db8::2", 443, "2001:db8::1", 1000, IPPROTO_TCP);
	m.layer[0].flow_label = 0xabcde;
	fc_key_make(NULL, &m, 0, &b, &d);
	assert_true(fc_key_equal(&a, &b));
	assert_int_equal(a.family, FC_KEY_FAMILY_V6);
}

/* Echo request and reply share a flow with Zeek's ports 8/0. */
static void
test_key_icmp_echo_request_reply_one_flow(void **state)
{
	struct fc_pkt_meta m;
	struct fc_flow_key a, b;
	uint8_t da, db;
	uint16_t sp, dp;

	(void)state;
	meta_v4(&m, "10.0.0.1", 0, "10.0.0.2", 0, IPPROTO_ICMP);
	m.layer[0].icmp_type = 8;
	fc_key_make(NULL, &m, 0, &a, &da);
	meta_v4(&m, "10.0.0.2", 0, "10.0.0.1", 0, IPPROTO_ICMP);
	m.layer[0].icmp_type = 0;
	fc_key_make(NULL, &m, 0, &b, &db);
	assert_true(fc_key_equal(&a, &b));
	assert_int_not_equal(da, db);
	assert_int_equal(fc_key_icmp_ports(IPPROTO_ICMP, 3, 3, &sp, &dp), 0);
	assert_int_equal(sp, 3);
	assert_int_equal(dp, 3);
	assert_int_equal(fc_key_icmp_ports(IPPROTO_ICMPV6, 135, 0, &sp, &dp), 1);
	assert_int_equal(dp, 136);
}

/* Later fragments carry no ports. */
static void
test_key_later_fragment_has_no_ports(void **state)
{
	struct fc_pkt_meta m;
	struct fc_flow_key k;
	uint8_t d;

	(void)state;
	meta_v4(&m, "10.0.0.1", 0, "10.0.0.2", 0, IPPROTO_UDP);
	m.layer[0].has_l4 = 0;
	m.layer[0].frag = FC_FRAG_LATER;
	assert_int_equal(fc_key_make(NULL, &m, 0, &k, &d), 0);
	assert_int_equal(k.port[0], 0);
	assert_int_equal(k.port[1], 0);
	assert_int_equal(k.proto, IPPROTO_UDP);
}

/* Padding stays zero whatever was in the key before. */
static void
test_key_zero_padded(void **state)
{
	struct fc_pkt_meta m;
	struct fc_flow_key k;
	uint8_t d;
	unsigned int i;

	(void)state;
	memset(&k, 0xa5, sizeof(k));
	meta_v4(&m, "10.0.0.1", 1, "10.0.0.2", 2, IPPROTO_UDP);
	fc_key_make(NULL, &m, 0, &k, &d);
	for (i = 4; i < 16; i++) {
		assert_int_equal(k.addr[0][i], 0);
		assert_int_equal(k.addr[1][i], 0);
	}
	for (i = 0; i < sizeof(k.pad); i++)
		assert_int_equal(k.pad[i], 0);
}

/*
 * Reference key builder, written for clarity rather than speed: zero the
 * key, then fill it field by field, with memcmp for the canonical order.
 * fc_key_make() must give the same key, direction and result.
 */
static int
ref_key_make(const struct fc_key_params *p, const struct fc_pkt_meta *m,
	     unsigned int layer, struct fc_flow_key *k, uint8_t *dir)
{
	static const struct fc_key_params defaults;
	const struct fc_pkt_layer *l;
	uint8_t a[16] = {0}, b[16] = {0};
	uint16_t pa = 0, pb = 0;
	int canonical = 1, c;

	if (p == NULL)
		p = &defaults;
	memset(k, 0, sizeof(*k));
	*dir = FC_DIR_FWD;
	k->mode = p->mode;
	if (p->flags & FC_KEY_F_VLAN)
		k->vlan = m->vlan_outer;
	if (p->mode == FC_KEY_MAC_PAIR) {
		if (m->status != FC_PKT_OK && m->status != FC_PKT_L2_ONLY)
			return -EINVAL;
		memcpy(a, m->src_mac, 6);
		memcpy(b, m->dst_mac, 6);
		k->family = FC_KEY_FAMILY_MAC;
	} else {
		if (m->status != FC_PKT_OK || layer >= m->n_layers ||
		    p->mode >= FC_KEY_MODE_MAX)
			return -EINVAL;
		l = &m->layer[layer];
		k->family = l->ip_version == 6 ? FC_KEY_FAMILY_V6 :
			FC_KEY_FAMILY_V4;
		if ((p->flags & FC_KEY_F_TUNNEL_ID) && l->tunnel != 0)
			k->tunnel_id = l->tunnel_id;
		memcpy(a, l->src, 16);
		memcpy(b, l->dst, 16);
		if (p->mode != FC_KEY_IP_PAIR) {
			k->proto = l->proto;
			if (l->has_l4 && (l->proto == IPPROTO_ICMP ||
					  l->proto == IPPROTO_ICMPV6))
				fc_key_icmp_ports(l->proto, l->icmp_type,
						  l->icmp_code, &pa, &pb);
			else if (l->has_l4) {
				pa = l->sport;
				pb = l->dport;
			}
			canonical = p->mode == FC_KEY_5TUPLE;
		}
	}
	c = memcmp(a, b, 16);
	if (c == 0)
		c = (int)pa - (int)pb;
	if (canonical && c > 0) {
		memcpy(k->addr[0], b, 16);
		memcpy(k->addr[1], a, 16);
		k->port[0] = pb;
		k->port[1] = pa;
		*dir = FC_DIR_REV;
	} else {
		memcpy(k->addr[0], a, 16);
		memcpy(k->addr[1], b, 16);
		k->port[0] = pa;
		k->port[1] = pb;
	}
	return 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Random address; often one of a few, so that ties and near ties occur. */
static void
rand_addr(uint8_t a[16], unsigned int version)
{
	static const uint8_t pool[4][16] = {
		{ 10, 0, 0, 1 }, { 10, 0, 0, 2 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
	};
	unsigned int i, r = rng() % 8;

	memset(a, 0, 16);
	if (r < 4) {
		memcpy(a, pool[r], 16);
	} else {
		for (i = 0; i < (version == 4 ? 4u : 16u); i++)
			a[i] = (uint8_t)rng();
		if (r == 4) /* differs from the pool in the second half only */
			memcpy(a, pool[2], 8);
	}
}

/*
 * The key hash as fc_key.h states it, with DPDK's CRC32-C steps: one chain
 * over words 0, 2, 4 and one over 1, 3, 5, from the seed, then the first
 * chain's value stepped over the second's.
 */
static uint32_t
ref_hash(const struct fc_flow_key *k, uint32_t seed)
{
	uint64_t w[6];
	uint32_t c[2] = { seed, seed };

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 6; i++)
		c[i % 2] = rte_hash_crc_8byte(w[i], c[i % 2]);
	return rte_hash_crc_4byte(c[1], c[0]);
}

/*
 * fc_key_make() against the reference builder on random frames: every
 * mode (and a bad one), every flag combination, every layer index (and
 * one past), every status kind, ICMP/ICMPv6/TCP/UDP/other with and without
 * an L4 header, equal and near-equal endpoints; the key is poisoned first.
 * The hash equals ref_hash(), seeded or not.
 */
static void
test_key_make_matches_reference(void **state)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
					  IPPROTO_ICMPV6, IPPROTO_GRE, 132 };
	static const uint8_t statuses[] = { FC_PKT_OK, FC_PKT_OK, FC_PKT_OK,
					    FC_PKT_L2_ONLY, FC_PKT_E_TRUNC_IP };
	unsigned int iter, layer, mode, flags, i;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		struct fc_pkt_meta m;

		memset(&m, 0, sizeof(m));
		m.status = statuses[rng() % FC_DIM(statuses)];
		m.n_layers = m.status == FC_PKT_OK ? (uint8_t)(1 + rng() % 3) : 0;
		m.vlan_outer = (uint16_t)(rng() % 3 == 0 ? rng() & 0x0fff : 0);
		for (i = 0; i < 6; i++) {
			m.src_mac[i] = (uint8_t)(rng() % 3);
			m.dst_mac[i] = (uint8_t)(rng() % 3);
		}
		for (layer = 0; layer < FC_PKT_MAX_LAYERS; layer++) {
			struct fc_pkt_layer *l = &m.layer[layer];

			l->ip_version = rng() % 2 ? 4 : 6;
			rand_addr(l->src, l->ip_version);
			if (rng() % 4 == 0)
				memcpy(l->dst, l->src, 16);
			else
				rand_addr(l->dst, l->ip_version);
			l->proto = protos[rng() % FC_DIM(protos)];
			l->has_l4 = rng() % 5 != 0;
			l->sport = (uint16_t)(rng() % 3 == 0 ? 80 : rng());
			l->dport = (uint16_t)(rng() % 3 == 0 ? 80 : rng());
			l->icmp_type = (uint8_t)(rng() % 2 ? rng() % 20 : 128 + rng() % 20);
			l->icmp_code = (uint8_t)rng();
			l->tunnel = (uint8_t)(layer > 0 || rng() % 4 == 0 ?
					      1 + rng() % (FC_TUN_MAX - 1) : 0);
			l->tunnel_id = rng();
		}
		for (mode = 0; mode <= FC_KEY_MODE_MAX; mode++) {
			for (flags = 0; flags < 4; flags++) {
				struct fc_key_params p = { .mode = (uint8_t)mode,
							   .flags = (uint8_t)flags };

				for (layer = 0; layer <= FC_PKT_MAX_LAYERS; layer++) {
					struct fc_flow_key got, want;
					uint8_t dg = 0xee, dw = 0xdd;
					int rg, rw;
					uint32_t seed = rng();

					memset(&got, 0xa5, sizeof(got));
					rw = ref_key_make(&p, &m, layer, &want, &dw);
					rg = fc_key_make(mode == 0 && flags == 0 &&
							 layer == 0 ? NULL : &p,
							 &m, layer, &got, &dg);
					if (rg != rw || dg != dw ||
					    memcmp(&got, &want, sizeof(got)) != 0)
						fail_msg("iter %u mode %u flags %u layer %u: "
							 "result %d/%d dir %u/%u",
							 iter, mode, flags, layer, rg,
							 rw, dg, dw);
					assert_int_equal(fc_key_hash_seeded(&got, seed),
							 ref_hash(&want, seed));
					assert_int_equal(fc_key_hash(&got), ref_hash(&want, 0));
					assert_int_equal(fc_key_hash_rte(&got, sizeof(got), seed),
							 ref_hash(&want, seed));
				}
			}
		}
	}
}

/* Text forms: dotted quad, RFC 5952, MAC; mode names round-trip. */
static void
test_key_addr_str_and_mode_names(void **state)
{
	struct fc_pkt_meta m;
	struct fc_flow_key k;
	char buf[64];
	uint8_t d;
	unsigned int i;

	(void)state;
	meta_v6(&m, "2001:0db8:0000:0000:0001:0000:0000:0001", 1,
		"2001:db8::2", 2, IPPROTO_UDP);
	fc_key_make(NULL, &m, 0, &k, &d);
	fc_key_addr_str(&k, 1, buf, sizeof(buf)); /* ::2 sorts first */
	assert_string_equal(buf, "2001:db8::1:0:0:1");
	meta_v4(&m, "192.0.2.1", 1, "192.0.2.200", 2, IPPROTO_UDP);
	fc_key_make(NULL, &m, 0, &k, &d);
	fc_key_addr_str(&k, 1, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.200");
	assert_int_equal(fc_key_addr_str(&k, 1, buf, 4), 3);
	assert_string_equal(buf, "192");
	for (i = 0; i < FC_KEY_MODE_MAX; i++)
		assert_int_equal(fc_key_parse_mode(fc_key_mode_name(i)), (int)i);
	assert_int_equal(fc_key_parse_mode("6tuple"), -EINVAL);
	assert_string_equal(fc_key_mode_name(99), "?");
}

/* A frame's share hash the long way: decoded, keyed, carrier-narrowed. */
static int
share_keyed(const struct fc_key_params *kp, const uint8_t *f, uint32_t len,
	    uint32_t *h)
{
	static const struct fc_pkt_params pp;
	struct fc_pkt_meta m;
	struct fc_flow_key k;
	uint8_t d;

	fc_pkt_decode(f, len, 0, &pp, &m);
	return fc_key_share_decoded(kp, &pp, &m, 3, &k, &d, h);
}

/* One Ethernet frame: IPv4 src:sport -> dst:dport, TCP or UDP (5 bytes). */
static uint32_t
share_frame(uint8_t *buf, const char *src, uint16_t sport, const char *dst,
	    uint16_t dport, int tcp, uint16_t frag)
{
	struct fctest_pkt p;
	struct fctest_ip4 ip = { .src = src, .dst = dst, .frag = frag };
	struct fctest_tcp t = { .sport = sport, .dport = dport,
				.flags = FCTEST_TCP_ACK };

	fctest_pkt_init(&p, buf, 256);
	fctest_pkt_eth(&p, NULL, NULL, 0);
	fctest_pkt_ip4(&p, &ip);
	if (tcp)
		fctest_pkt_tcp(&p, &t);
	else
		fctest_pkt_udp(&p, sport, dport);
	fctest_pkt_bytes(&p, "hello", 5);
	assert_true(fctest_pkt_finish(&p) > 0);
	return p.len;
}

/*
 * Share hashes (fc_key.h, SHARES): both directions of a flow agree, read
 * off the headers or the long way. Frames whose key fc_key_carrier() may
 * narrow (UDP on the VXLAN, GTP-U or Teredo port), fragments and MAC keys
 * are left to the long way, which narrows them.
 */
static void
test_key_share_hash(void **state)
{
	struct fc_key_params ip = { .mode = FC_KEY_5TUPLE };
	struct fc_key_params pair = { .mode = FC_KEY_IP_PAIR };
	struct fc_key_params mac = { .mode = FC_KEY_MAC_PAIR };
	uint8_t a[256], b[256];
	uint32_t la, lb, ha, hb, h;

	(void)state;
	la = share_frame(a, "10.0.0.1", 40000, "10.0.0.2", 80, 1, 0);
	lb = share_frame(b, "10.0.0.2", 80, "10.0.0.1", 40000, 1, 0);
	assert_int_equal(fc_key_share_frame(&ip, NULL, a, la, 3, &ha), 0);
	assert_int_equal(fc_key_share_frame(&ip, NULL, b, lb, 3, &hb), 0);
	assert_int_equal(ha, hb);
	assert_int_equal(share_keyed(&ip, a, la, &h), 0);
	assert_int_equal(h, ha);
	/* IP pairs: ports and protocol are not in the key, nor in the hash */
	assert_int_equal(fc_key_share_frame(&pair, NULL, a, la, 3, &ha), 0);
	lb = share_frame(b, "10.0.0.2", 53, "10.0.0.1", 9999, 0, 0);
	assert_int_equal(fc_key_share_frame(&pair, NULL, b, lb, 3, &hb), 0);
	assert_int_equal(ha, hb);
	/* MAC keys: the long way */
	assert_int_equal(fc_key_share_frame(&mac, NULL, a, la, 3, &h), -1);
	/* a fragment: the long way */
	lb = share_frame(b, "10.0.0.1", 40000, "10.0.0.2", 80, 1, FCTEST_IP4_MF);
	assert_int_equal(fc_key_share_frame(&ip, NULL, b, lb, 3, &h), -1);
	/* a short datagram to the Teredo port: narrowed to the client */
	la = share_frame(a, "10.0.0.1", 40000, "192.0.2.1", 3544, 0, 0);
	lb = share_frame(b, "10.0.0.1", 40000, "192.0.2.9", 3544, 0, 0);
	assert_int_equal(fc_key_share_frame(&ip, NULL, a, la, 3, &h), -1);
	assert_int_equal(share_keyed(&ip, a, la, &ha), 0);
	assert_int_equal(share_keyed(&ip, b, lb, &hb), 0);
	assert_int_equal(ha, hb);
	/* VXLAN and GTP-U ports: the long way, on either side */
	la = share_frame(a, "10.0.0.1", 4789, "10.0.0.2", 1234, 0, 0);
	assert_int_equal(fc_key_share_frame(&ip, NULL, a, la, 3, &h), -1);
	la = share_frame(a, "10.0.0.1", 1234, "10.0.0.2", 2152, 0, 0);
	assert_int_equal(fc_key_share_frame(&ip, NULL, a, la, 3, &h), -1);
	/* a plain datagram is read off its headers, as keyed */
	la = share_frame(a, "10.0.0.1", 1234, "10.0.0.2", 53, 0, 0);
	assert_int_equal(fc_key_share_frame(&ip, NULL, a, la, 3, &ha), 0);
	assert_int_equal(share_keyed(&ip, a, la, &h), 0);
	assert_int_equal(h, ha);
	/* too short to hold the headers */
	assert_int_equal(fc_key_share_frame(&ip, NULL, a, 40, 3, &h), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_5tuple_both_directions_one_key),
		cmocka_unit_test(test_key_share_hash),
		cmocka_unit_test(test_key_5tuple_same_host_ports_order),
		cmocka_unit_test(test_key_5tuple_uni_two_keys),
		cmocka_unit_test(test_key_ip_pair_ignores_ports_and_proto),
		cmocka_unit_test(test_key_mac_pair_l2_only_frame),
		cmocka_unit_test(test_key_ip_mode_refuses_l2_only_and_bad_layer),
		cmocka_unit_test(test_key_vlan_flag),
		cmocka_unit_test(test_key_tunnel_id_flag),
		cmocka_unit_test(test_key_ipv6_flow_label_does_not_split),
		cmocka_unit_test(test_key_icmp_echo_request_reply_one_flow),
		cmocka_unit_test(test_key_later_fragment_has_no_ports),
		cmocka_unit_test(test_key_zero_padded),
		cmocka_unit_test(test_key_addr_str_and_mode_names),
		cmocka_unit_test(test_key_make_matches_reference),
	};

	return cmocka_run_group_tests(tests, fctest_eal_setup,
				      fctest_eal_teardown);
}
