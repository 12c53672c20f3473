/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of flowcore/fc_pkt.c, the packet decoder. Frames are built
 * with tests/helpers/pktgen and decoded from a heap copy of exactly
 * cap_len bytes, so that ASan catches any read past the capture. Tests are
 * tables of hand-built frames: every encapsulation and decap policy, every
 * truncation point of representative frames, bad header values, fragments,
 * counters and the policy-string parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "fc_key.h"
#include "fc_pkt.h"

#include "eal.h"
#include "peek_check.h"
#include "pktgen.h"

/** A frame being built and its final length. */
struct frame {
	uint8_t buf[FCTEST_PKT_MAX];
	struct fctest_pkt p;
	uint32_t len;
};

/** A prefix-length boundary: prefixes of at least `from` bytes decode to st. */
struct cut {
	uint32_t from;
	enum fc_pkt_status st;
};

static struct fctest_pkt *
frame_start(struct frame *fr)
{
	fctest_pkt_init(&fr->p, fr->buf, sizeof(fr->buf));
	fr->len = 0;
	return &fr->p;
}

static uint32_t
frame_end(struct frame *fr)
{
	int n = fctest_pkt_finish(&fr->p);

	assert_true(n > 0);
	fr->len = (uint32_t)n;
	return fr->len;
}

/*
 * Decode the first len bytes of buf from a heap copy of exactly len bytes
 * (NULL for 0), with the meta poisoned first: decode must write it all.
 */
static enum fc_pkt_status
decode_buf(const uint8_t *buf, uint32_t len, uint32_t wire_len,
	   const struct fc_pkt_params *prm, struct fc_pkt_meta *m)
{
	uint8_t *copy = NULL;
	enum fc_pkt_status st;

	if (len != 0) {
		copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, buf, len);
	}
	memset(m, 0xa5, sizeof(*m));
	st = fc_pkt_decode(copy, len, wire_len, prm, m);
	free(copy);
	assert_int_equal(m->status, st);
	assert_int_equal(m->cap_len, len);
	assert_true(m->wire_len >= len);
	assert_true(m->n_layers <= FC_PKT_MAX_LAYERS);
	if (st == FC_PKT_OK) {
		assert_true(m->n_layers >= 1);
	} else {
		static const struct fc_pkt_layer zero;

		assert_int_equal(m->n_layers, 0);
		assert_memory_equal(&m->layer[0], &zero, sizeof(zero));
	}
	return st;
}

static enum fc_pkt_status
decode(const struct frame *fr, const struct fc_pkt_params *prm,
       struct fc_pkt_meta *m)
{
	return decode_buf(fr->buf, fr->len, 0, prm, m);
}

static struct fc_pkt_params
policy_all(enum fc_decap d)
{
	struct fc_pkt_params prm;
	unsigned int i;

	memset(&prm, 0, sizeof(prm));
	for (i = 0; i < FC_TUN_MAX; i++)
		prm.decap[i] = (uint8_t)d;
	return prm;
}

static void
assert_addr(const uint8_t got[16], const char *want)
{
	uint8_t a[16];

	assert_true(fctest_pkt_addr(want, a) > 0);
	assert_memory_equal(got, a, 16);
}

/*
 * Layer 0 is all zero when no layer was yielded; the layers past n_layers
 * are undefined (decode clears only the frame fields and layer 0).
 */
static void
assert_unused_layers_zero(const struct fc_pkt_meta *m)
{
	static const struct fc_pkt_layer zero;

	if (m->n_layers == 0)
		assert_memory_equal(&m->layer[0], &zero, sizeof(zero));
}

/* Every prefix 0..len decodes to the status of the last cut at or below it. */
static void
check_cuts(const struct frame *fr, const struct fc_pkt_params *prm,
	   const struct cut *cuts, size_t n)
{
	struct fc_pkt_meta m;
	uint32_t len;

	for (len = 0; len <= fr->len; len++) {
		enum fc_pkt_status want = FC_PKT_STATUS_MAX;
		enum fc_pkt_status got;
		size_t i;

		for (i = 0; i < n; i++)
			if (cuts[i].from <= len)
				want = cuts[i].st;
		got = decode_buf(fr->buf, len, 0, prm, &m);
		if (got != want)
			fail_msg("prefix %u of %u: got %s, want %s", len, fr->len,
				 fc_pkt_status_name(got), fc_pkt_status_name(want));
		if (got == FC_PKT_OK) {
			const struct fc_pkt_layer *l = &m.layer[m.n_layers - 1];

			assert_true(l->payload_cap <= l->payload_len);
			assert_int_equal(l->payload_off + l->payload_cap,
					 len < l->l3_off + l->ip_len ? len :
					 (uint32_t)l->l3_off + l->ip_len);
		}
	}
}

static const uint8_t tcp_opts_all[] = {
	2, 4, 0x05, 0xb4,                 /* MSS 1460 */
	1,                                /* NOP */
	3, 3, 7,                          /* window scale 7 */
	4, 2,                             /* SACK permitted */
	8, 10, 0, 0, 0, 1, 0, 0, 0, 2,    /* timestamps 1, 2 */
	5, 10, 0, 0, 0, 10, 0, 0, 0, 20,  /* SACK one block */
	0,                                /* EOL */
};

/* ----- Representative frames, shared by several tests ----- */

/* Ethernet / IPv4 / TCP SYN with MSS / 10 bytes of payload. */
static void
build_eth_ip4_tcp(struct frame *fr)
{
	static const uint8_t mss[] = { 2, 4, 0x05, 0xb4 };
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = "192.0.2.1",
		.dst = "198.51.100.2", .ttl = 61, .id = 0x1234 });
	fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 40000, .dport = 80,
		.seq = 1000, .ack = 2000, .flags = FCTEST_TCP_SYN | FCTEST_TCP_ACK,
		.win = 29200, .opts = mss, .opts_len = sizeof(mss) });
	fctest_pkt_bytes(p, "0123456789", 10);
	frame_end(fr);
}

/* Ethernet / 802.1ad 100 / 802.1Q 200 / IPv4 with 8 option bytes / TCP with 12 option bytes / 16 bytes. */
static void
build_qinq_ip4opt_tcpopt(struct frame *fr)
{
	static const uint8_t ipopt[] = { 0x94, 4, 0, 0, 1, 1, 1, 0 }; /* router alert, NOPs, EOL */
	static const uint8_t tcpopt[] = { 1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6 };
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_vlan(p, 0x88a8, 100);
	fctest_pkt_vlan(p, 0x8100, 200);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .opts = ipopt,
		.opts_len = sizeof(ipopt) });
	fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 1025, .dport = 443,
		.flags = FCTEST_TCP_ACK, .opts = tcpopt, .opts_len = sizeof(tcpopt) });
	fctest_pkt_bytes(p, NULL, 16);
	frame_end(fr);
}

/* Ethernet / IPv6 / hop-by-hop 8 / fragment (first) / dest opts 16 / UDP 53 / 12 bytes. */
static void
build_ip6_ext_udp(struct frame *fr)
{
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip6(p, &(struct fctest_ip6){ .flow_label = 0xabcde });
	fctest_pkt_ip6_ext(p, 0, 8);
	fctest_pkt_ip6_frag(p, 0, 1, 0xdeadbeef);
	fctest_pkt_ip6_ext(p, 60, 16);
	fctest_pkt_udp(p, 5353, 53);
	fctest_pkt_bytes(p, NULL, 12);
	frame_end(fr);
}

/* Ethernet / MPLS x3 / IPv6 / ICMPv6 echo request. */
static void
build_mpls_ip6_icmp6(struct frame *fr)
{
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_mpls(p, 100, 64);
	fctest_pkt_mpls(p, 200, 64);
	fctest_pkt_mpls(p, 300, 64);
	fctest_pkt_ip6(p, &(struct fctest_ip6){ 0 });
	fctest_pkt_icmp6(p, 128, 0, 0x00010002);
	fctest_pkt_bytes(p, NULL, 8);
	frame_end(fr);
}

/* Ethernet / IPv4 / SCTP 5000 -> 38412. */
static void
build_ip4_sctp(struct frame *fr)
{
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
	fctest_pkt_sctp(p, 5000, 38412, 0x11223344);
	fctest_pkt_bytes(p, NULL, 16);
	frame_end(fr);
}

/* Ethernet / VLAN 5 / IPv4 / UDP -> 4789 / VXLAN 42 / Ethernet / IPv4 / TCP 80 / 20 bytes. */
static void
build_vxlan_tcp(struct frame *fr)
{
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_vlan(p, 0, 5);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = "172.16.0.1",
		.dst = "172.16.0.2" });
	fctest_pkt_udp(p, 51000, 4789);
	fctest_pkt_vxlan(p, FCTEST_VXLAN_I, 42);
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = "10.1.1.1",
		.dst = "10.2.2.2" });
	fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 33000, .dport = 80,
		.flags = FCTEST_TCP_PSH | FCTEST_TCP_ACK });
	fctest_pkt_bytes(p, NULL, 20);
	frame_end(fr);
}

/* Ethernet / IPv4 / UDP -> 2152 / GTP-U E with 2 extensions (4 + 8 bytes) / IPv6 / UDP / 4 bytes. */
static void
build_gtpu_ext_ip6(struct frame *fr)
{
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
	fctest_pkt_udp(p, 2152, 2152);
	fctest_pkt_gtpu(p, &(struct fctest_gtpu){ .teid = 0xcafe0001,
		.flags = FCTEST_GTPU_E });
	fctest_pkt_gtpu_ext(p, 0x85, 1); /* PDU session container */
	fctest_pkt_gtpu_ext(p, 0x40, 2);
	fctest_pkt_ip6(p, &(struct fctest_ip6){ .src = "2001:db8:1::1",
		.dst = "2001:db8:2::2" });
	fctest_pkt_udp(p, 1111, 2222);
	fctest_pkt_bytes(p, NULL, 4);
	frame_end(fr);
}

/* Ethernet / IPv6 / GRE C+K+S TEB / Ethernet / VLAN 77 / IPv4 / ICMP echo. */
static void
build_gre_cks_teb(struct frame *fr)
{
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip6(p, &(struct fctest_ip6){ 0 });
	fctest_pkt_gre(p, &(struct fctest_gre){ .flags = FCTEST_GRE_C |
		FCTEST_GRE_K | FCTEST_GRE_S, .key = 0x01020304, .seq = 9 });
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_vlan(p, 0, 77);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = "10.9.9.9",
		.dst = "10.8.8.8" });
	fctest_pkt_icmp(p, 8, 0, 0x12340001);
	frame_end(fr);
}

/* Ethernet / IPv4 / GRE K=7 / IPv4 / UDP -> 4789 / VXLAN 42 / Ethernet / IPv6 / TCP. */
static void
build_vxlan_in_gre(struct frame *fr)
{
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = "1.1.1.1", .dst = "2.2.2.2" });
	fctest_pkt_gre(p, &(struct fctest_gre){ .flags = FCTEST_GRE_K, .key = 7 });
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = "3.3.3.3", .dst = "4.4.4.4" });
	fctest_pkt_udp(p, 40000, 4789);
	fctest_pkt_vxlan(p, FCTEST_VXLAN_I, 42);
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip6(p, &(struct fctest_ip6){ .src = "fd00::5", .dst = "fd00::6" });
	fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 5555, .dport = 22,
		.flags = FCTEST_TCP_SYN });
	frame_end(fr);
}

/* Ethernet / IPv4 proto 41 / IPv6 / TCP (6in4). */
static void
build_6in4(struct frame *fr)
{
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = "203.0.113.1",
		.dst = "203.0.113.2" });
	fctest_pkt_ip6(p, &(struct fctest_ip6){ 0 });
	fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 443, .dport = 50000,
		.flags = FCTEST_TCP_ACK });
	fctest_pkt_bytes(p, NULL, 5);
	frame_end(fr);
}

/* Ethernet ARP request (28 bytes) with 18 bytes of padding. */
static void
build_arp(struct frame *fr)
{
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0x0806);
	fctest_pkt_bytes(p, NULL, 28);
	fctest_pkt_trailer(p, 18);
	frame_end(fr);
}

/* Ethernet / IPv4 non-first fragment (offset 185 * 8) of a UDP datagram. */
static void
build_ip4_frag_later(struct frame *fr)
{
	struct fctest_pkt *p = frame_start(fr);

	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .proto = 17, .id = 777,
		.frag = 185 });
	fctest_pkt_bytes(p, NULL, 100);
	frame_end(fr);
}

/* ----- Ethernet and VLAN ----- */

/* Ethernet / IPv4 / TCP SYN-ACK with MSS and payload: every field of the common path. */
static void
test_decode_eth_ipv4_tcp_fields(void **state)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct fc_pkt_meta m;
	struct frame fr;
	const struct fc_pkt_layer *l = &m.layer[0];

	(void)state;
	build_eth_ip4_tcp(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_memory_equal(m.dst_mac, dst, 6);
	assert_memory_equal(m.src_mac, src, 6);
	assert_int_equal(m.ethertype, 0x0800);
	assert_int_equal(m.l2_len, 14);
	assert_int_equal(m.vlan_depth, 0);
	assert_int_equal(m.mpls_depth, 0);
	assert_int_equal(m.n_layers, 1);
	assert_int_equal(m.wire_len, fr.len);
	assert_int_equal(m.inner_status, FC_PKT_OK);
	assert_int_equal(l->ip_version, 4);
	assert_addr(l->src, "192.0.2.1");
	assert_addr(l->dst, "198.51.100.2");
	assert_int_equal(l->ttl, 61);
	assert_int_equal(l->proto, 6);
	assert_int_equal(l->frag, FC_FRAG_NONE);
	assert_int_equal(l->frag_id, 0);
	assert_int_equal(l->l3_off, 14);
	assert_int_equal(l->l4_off, 34);
	assert_int_equal(l->ip_len, 20 + 24 + 10);
	assert_int_equal(l->has_l4, 1);
	assert_int_equal(l->sport, 40000);
	assert_int_equal(l->dport, 80);
	assert_int_equal(l->tcp.seq, 1000);
	assert_int_equal(l->tcp.ack, 2000);
	assert_int_equal(l->tcp.flags, FC_TCP_SYN | FC_TCP_ACK);
	assert_int_equal(l->tcp.win, 29200);
	assert_int_equal(l->tcp.doff, 24);
	assert_int_equal(l->tcp.opts, FC_TCP_OPT_MSS);
	assert_int_equal(l->tcp.mss, 1460);
	assert_int_equal(l->payload_off, 58);
	assert_int_equal(l->payload_len, 10);
	assert_int_equal(l->payload_cap, 10);
	assert_memory_equal(fr.buf + l->payload_off, "0123456789", 10);
	assert_int_equal(l->tunnel, FC_TUN_NONE);
	assert_int_equal(l->encap, FC_TUN_NONE);
	assert_unused_layers_zero(&m);
}

/* VLAN stacks of depth 1, 2 and 3 with every TPID (0x8100, 0x88a8, 0x9100) in front of IPv4/UDP. */
static void
test_decode_vlan_depth_1_2_3_each_tpid(void **state)
{
	static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100 };
	unsigned int t, depth, i;

	(void)state;
	for (t = 0; t < FC_DIM(tpids); t++) {
		for (depth = 1; depth <= 3; depth++) {
			struct fc_pkt_meta m;
			struct frame fr;
			struct fctest_pkt *p = frame_start(&fr);

			fctest_pkt_eth(p, NULL, NULL, 0);
			for (i = 0; i < depth; i++)
				fctest_pkt_vlan(p, tpids[(t + i) % FC_DIM(tpids)],
						(uint16_t)(0x2000 | (10 * (i + 1))));
			fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
			fctest_pkt_udp(p, 1000, 2000);
			frame_end(&fr);
			assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
			assert_int_equal(m.vlan_depth, depth);
			assert_int_equal(m.vlan_outer, 10); /* PCP bits masked */
			assert_int_equal(m.vlan_inner, depth >= 2 ? 20 : 0);
			assert_int_equal(m.ethertype, 0x0800);
			assert_int_equal(m.l2_len, 14 + 4 * depth);
			assert_int_equal(m.layer[0].l3_off, 14 + 4 * depth);
			assert_int_equal(m.layer[0].dport, 2000);
		}
	}
}

/* Ethernet / 802.1ad 100 / 802.1Q 200 / IPv4 (options) / TCP (options): QinQ with the standard TPIDs. */
static void
test_decode_qinq_88a8_8100_ipv4_tcp(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_qinq_ip4opt_tcpopt(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.vlan_depth, 2);
	assert_int_equal(m.vlan_outer, 100);
	assert_int_equal(m.vlan_inner, 200);
	assert_int_equal(m.l2_len, 22);
	assert_int_equal(m.layer[0].l4_off, 22 + 28);
	assert_int_equal(m.layer[0].tcp.doff, 32);
	assert_int_equal(m.layer[0].tcp.opts, FC_TCP_OPT_TS);
	assert_int_equal(m.layer[0].tcp.tsval, 5);
	assert_int_equal(m.layer[0].tcp.tsecr, 6);
	assert_int_equal(m.layer[0].payload_len, 16);
}

/* 8 VLAN tags decode; a 9th tag is FC_PKT_E_VLAN_DEPTH. */
static void
test_decode_vlan_depth_over_limit(void **state)
{
	unsigned int depth, i;

	(void)state;
	for (depth = FC_PKT_MAX_VLAN; depth <= FC_PKT_MAX_VLAN + 1; depth++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		for (i = 0; i < depth; i++)
			fctest_pkt_vlan(p, 0, (uint16_t)(i + 1));
		fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
		fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 1, .dport = 2 });
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m),
				 depth <= FC_PKT_MAX_VLAN ? FC_PKT_OK :
				 FC_PKT_E_VLAN_DEPTH);
	}
}

/* 802.3/LLC (length field), ARP, LLDP, VLAN-tagged ARP and an unknown ethertype are L2-only. */
static void
test_decode_llc_arp_lldp_l2_only(void **state)
{
	static const struct {
		uint16_t type;
		int vlan;
	} cases[] = {
		{ 0x0026, 0 }, /* 802.3 length 38 (LLC/STP) */
		{ 0x05dc, 0 }, /* 802.3 length 1500 */
		{ 0x0806, 0 }, /* ARP */
		{ 0x88cc, 0 }, /* LLDP */
		{ 0x0806, 1 }, /* ARP in VLAN */
		{ 0x8864, 0 }, /* PPPoE session: not decoded */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(cases); i++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, cases[i].vlan ? 0 : cases[i].type);
		if (cases[i].vlan) {
			fctest_pkt_vlan(p, 0, 3);
			fctest_pkt_put16(p, 16, cases[i].type);
		}
		fctest_pkt_bytes(p, NULL, 46);
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m), FC_PKT_L2_ONLY);
		assert_int_equal(m.ethertype, cases[i].type);
		assert_int_equal(m.n_layers, 0);
		assert_int_equal(m.l2_len, cases[i].vlan ? 18 : 14);
		assert_int_equal(m.vlan_outer, cases[i].vlan ? 3 : 0);
		assert_int_equal(m.wire_len, fr.len);
		assert_unused_layers_zero(&m);
	}
}

/* ----- MPLS ----- */

/* MPLS stacks of 1 and 3 labels (unicast and multicast ethertypes) over IPv4/TCP and IPv6/ICMPv6. */
static void
test_decode_mpls_1_and_3_labels_ipv4_ipv6(void **state)
{
	unsigned int labels, v6, mc, i;

	(void)state;
	for (labels = 1; labels <= 3; labels += 2) {
		for (v6 = 0; v6 <= 1; v6++) {
			for (mc = 0; mc <= 1; mc++) {
				struct fc_pkt_meta m;
				struct frame fr;
				struct fctest_pkt *p = frame_start(&fr);

				fctest_pkt_eth(p, NULL, NULL, mc ? 0x8848 : 0);
				for (i = 0; i < labels; i++)
					fctest_pkt_mpls(p, 1000 + i, 255);
				if (v6) {
					fctest_pkt_ip6(p, &(struct fctest_ip6){ 0 });
					fctest_pkt_icmp6(p, 129, 0, 0);
				} else {
					fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
					fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 23,
						.dport = 40000 });
				}
				frame_end(&fr);
				assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
				assert_int_equal(m.mpls_depth, labels);
				assert_int_equal(m.ethertype, v6 ? 0x86dd : 0x0800);
				assert_int_equal(m.l2_len, 14 + 4 * labels);
				assert_int_equal(m.layer[0].ip_version, v6 ? 6 : 4);
				assert_int_equal(m.layer[0].sport, v6 ? 129 : 23);
			}
		}
	}
}

/* A VLAN tag in front of an MPLS label in front of IPv4/UDP. */
static void
test_decode_vlan_mpls_ipv4_udp(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p = frame_start(&fr);

	(void)state;
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_vlan(p, 0, 12);
	fctest_pkt_mpls(p, 16, 64);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
	fctest_pkt_udp(p, 53, 53);
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.vlan_depth, 1);
	assert_int_equal(m.mpls_depth, 1);
	assert_int_equal(m.l2_len, 22);
}

/* 16 MPLS labels decode; 17 are FC_PKT_E_MPLS_DEPTH. */
static void
test_decode_mpls_depth_over_limit(void **state)
{
	unsigned int depth, i;

	(void)state;
	for (depth = FC_PKT_MAX_MPLS; depth <= FC_PKT_MAX_MPLS + 1; depth++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		for (i = 0; i < depth; i++)
			fctest_pkt_mpls(p, i, 1);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
		fctest_pkt_udp(p, 1, 2);
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m),
				 depth <= FC_PKT_MAX_MPLS ? FC_PKT_OK :
				 FC_PKT_E_MPLS_DEPTH);
	}
}

/* MPLS whose payload starts with nibble 0 (pseudowire control word) or 5 is FC_PKT_E_MPLS_PAYLOAD. */
static void
test_decode_mpls_non_ip_payload(void **state)
{
	static const uint8_t first[] = { 0x00, 0x50, 0xf0 };
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(first); i++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_mpls(p, 99, 64);
		fctest_pkt_bytes(p, &first[i], 1);
		fctest_pkt_bytes(p, NULL, 40);
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m), FC_PKT_E_MPLS_PAYLOAD);
	}
}

/* ----- IPv4 ----- */

/* IPv4 with 4 to 40 bytes of options: layer offsets skip them. */
static void
test_decode_ipv4_options_skipped(void **state)
{
	uint8_t opts[40];
	unsigned int n;

	(void)state;
	memset(opts, 1, sizeof(opts)); /* NOPs */
	for (n = 4; n <= 40; n += 4) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ .opts = opts,
			.opts_len = (uint8_t)n });
		fctest_pkt_udp(p, 67, 68);
		fctest_pkt_bytes(p, NULL, 3);
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
		assert_int_equal(m.layer[0].l4_off, 14 + 20 + n);
		assert_int_equal(m.layer[0].sport, 67);
		assert_int_equal(m.layer[0].payload_len, 3);
	}
}

/* Bad IPv4 values: IHL < 5, version 5 and 6, total length < header, total length shorter than the TCP header. */
static void
test_decode_ipv4_bad_values(void **state)
{
	static const struct {
		uint32_t off;  /* offset from the IP header */
		int width;     /* 8 or 16 */
		uint16_t val;
		enum fc_pkt_status st;
	} cases[] = {
		{ 0, 8, 0x40, FC_PKT_E_BAD_IHL },
		{ 0, 8, 0x44, FC_PKT_E_BAD_IHL },
		{ 0, 8, 0x55, FC_PKT_E_BAD_IP_VERSION },
		{ 0, 8, 0x65, FC_PKT_E_BAD_IP_VERSION },
		{ 2, 16, 0, FC_PKT_E_BAD_IP_LEN },
		{ 2, 16, 19, FC_PKT_E_BAD_IP_LEN },
		{ 2, 16, 20, FC_PKT_E_BAD_IP_LEN },   /* TCP header past the packet */
		{ 2, 16, 39, FC_PKT_E_BAD_IP_LEN },
		{ 2, 16, 40, FC_PKT_OK },             /* header only, payload 0 */
		{ 2, 16, 1500, FC_PKT_OK },           /* longer than captured: snap length */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(cases); i++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
		fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 1, .dport = 2 });
		frame_end(&fr);
		if (cases[i].width == 8)
			fctest_pkt_put8(p, 14 + cases[i].off, (uint8_t)cases[i].val);
		else
			fctest_pkt_put16(p, 14 + cases[i].off, cases[i].val);
		if (decode(&fr, NULL, &m) != cases[i].st)
			fail_msg("case %u: got %s", i, fc_pkt_status_name(m.status));
	}
}

/* An IPv6 ethertype with an IPv4 header and the reverse are FC_PKT_E_BAD_IP_VERSION. */
static void
test_decode_ethertype_version_mismatch(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p = frame_start(&fr);

	(void)state;
	fctest_pkt_eth(p, NULL, NULL, 0x86dd);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .proto = 6 });
	fctest_pkt_bytes(p, NULL, 40);
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_E_BAD_IP_VERSION);
	p = frame_start(&fr);
	fctest_pkt_eth(p, NULL, NULL, 0x0800);
	fctest_pkt_ip6(p, &(struct fctest_ip6){ .nh = 59 });
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_E_BAD_IP_VERSION);
}

/* A frame cut by a snap length right after the TCP header: OK, payload_len from IP, payload_cap 0, wire_len estimated. */
static void
test_decode_ipv4_snaplen_headers_only(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_eth_ip4_tcp(&fr);
	assert_int_equal(decode_buf(fr.buf, 58, 0, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].payload_len, 10);
	assert_int_equal(m.layer[0].payload_cap, 0);
	assert_int_equal(m.wire_len, fr.len);
	assert_int_equal(decode_buf(fr.buf, 62, 0, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].payload_cap, 4);
	/* Cut inside the TCP header: an error, but the IP length still gives the wire length. */
	assert_int_equal(decode_buf(fr.buf, 40, 0, NULL, &m), FC_PKT_E_TRUNC_TCP);
	assert_int_equal(m.wire_len, fr.len);
	assert_int_equal(decode_buf(fr.buf, 30, 0, NULL, &m), FC_PKT_E_TRUNC_IP);
	assert_int_equal(m.wire_len, 30);
	/* A wire length given by the source is kept (never below cap_len). */
	assert_int_equal(decode_buf(fr.buf, 62, 1514, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.wire_len, 1514);
	assert_int_equal(decode_buf(fr.buf, 62, 20, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.wire_len, 62);
}

/* Ethernet trailer padding after a short IPv4/TCP packet is not payload. */
static void
test_decode_ipv4_trailer_padding_excluded(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p = frame_start(&fr);

	(void)state;
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
	fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 1, .dport = 2,
		.flags = FCTEST_TCP_ACK });
	fctest_pkt_bytes(p, "x", 1);
	fctest_pkt_trailer(p, 5);
	frame_end(&fr);
	assert_int_equal(fr.len, 60);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].ip_len, 41);
	assert_int_equal(m.layer[0].payload_len, 1);
	assert_int_equal(m.layer[0].payload_cap, 1);
	assert_int_equal(m.wire_len, 60);
}

/* IPv4 first fragment (MF, offset 0) keeps its ports; a later fragment has none; both carry the IP id. */
static void
test_decode_ipv4_fragments_first_later(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p = frame_start(&fr);

	(void)state;
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .id = 777, .frag = FCTEST_IP4_MF });
	fctest_pkt_udp(p, 53, 33333);
	fctest_pkt_bytes(p, NULL, 1472);
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].frag, FC_FRAG_FIRST);
	assert_int_equal(m.layer[0].frag_id, 777);
	assert_int_equal(m.layer[0].has_l4, 1);
	assert_int_equal(m.layer[0].sport, 53);
	assert_int_equal(m.layer[0].dport, 33333);

	build_ip4_frag_later(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].frag, FC_FRAG_LATER);
	assert_int_equal(m.layer[0].frag_id, 777);
	assert_int_equal(m.layer[0].proto, 17);
	assert_int_equal(m.layer[0].has_l4, 0);
	assert_int_equal(m.layer[0].sport, 0);
	assert_int_equal(m.layer[0].dport, 0);
	assert_int_equal(m.layer[0].l4_off, 34);
	assert_int_equal(m.layer[0].payload_off, 34);
	assert_int_equal(m.layer[0].payload_len, 100);

	/* Last fragment: offset set, MF clear. DF alone is not a fragment. */
	fctest_pkt_put16(&fr.p, 14 + 6, 200);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].frag, FC_FRAG_LATER);
	fctest_pkt_put16(&fr.p, 14 + 6, FCTEST_IP4_DF);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_E_BAD_UDP_LEN); /* zero bytes parsed as UDP */
	assert_int_equal(m.layer[0].frag, FC_FRAG_NONE);
}

/* UDP, ICMP (type/code in the ports), SCTP and ESP (no L4) over IPv4. */
static void
test_decode_ipv4_udp_icmp_sctp_esp(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p;

	(void)state;
	p = frame_start(&fr);
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
	fctest_pkt_icmp(p, 3, 13, 0);
	fctest_pkt_bytes(p, NULL, 28);
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].proto, 1);
	assert_int_equal(m.layer[0].icmp_type, 3);
	assert_int_equal(m.layer[0].icmp_code, 13);
	assert_int_equal(m.layer[0].sport, 3);
	assert_int_equal(m.layer[0].dport, 13);
	assert_int_equal(m.layer[0].payload_off, 42);
	assert_int_equal(m.layer[0].payload_len, 28);

	build_ip4_sctp(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].proto, 132);
	assert_int_equal(m.layer[0].has_l4, 1);
	assert_int_equal(m.layer[0].sport, 5000);
	assert_int_equal(m.layer[0].dport, 38412);
	assert_int_equal(m.layer[0].payload_len, 16);

	p = frame_start(&fr);
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .proto = 50 });
	fctest_pkt_bytes(p, NULL, 30);
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].proto, 50);
	assert_int_equal(m.layer[0].has_l4, 0);
	assert_int_equal(m.layer[0].sport, 0);
	assert_int_equal(m.layer[0].payload_off, 34);
	assert_int_equal(m.layer[0].payload_len, 30);
}

/* UDP length field below 8 is FC_PKT_E_BAD_UDP_LEN; 8 (empty datagram) is fine. */
static void
test_decode_udp_len_below_8(void **state)
{
	uint16_t ulen;

	(void)state;
	for (ulen = 0; ulen <= 8; ulen++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
		fctest_pkt_udp(p, 1, 2);
		frame_end(&fr);
		fctest_pkt_put16(p, 34 + 4, ulen);
		assert_int_equal(decode(&fr, NULL, &m),
				 ulen < 8 ? FC_PKT_E_BAD_UDP_LEN : FC_PKT_OK);
	}
}

/* TCP data offset 0..4 is FC_PKT_E_BAD_TCP_OFFSET; an offset past the captured bytes is truncated. */
static void
test_decode_tcp_doff_below_5(void **state)
{
	unsigned int doff;

	(void)state;
	for (doff = 0; doff <= 6; doff++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
		fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 1, .dport = 2 });
		fctest_pkt_bytes(p, NULL, 2);
		frame_end(&fr);
		fctest_pkt_put8(p, 34 + 12, (uint8_t)(doff << 4));
		assert_int_equal(decode(&fr, NULL, &m),
				 doff < 5 ? FC_PKT_E_BAD_TCP_OFFSET :
				 doff == 5 ? FC_PKT_OK : FC_PKT_E_BAD_IP_LEN);
	}
}

/* TCP options MSS, NOP, window scale, SACK-permitted, timestamps, SACK, EOL: every value. */
static void
test_decode_tcp_options_all(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p = frame_start(&fr);
	const struct fc_pkt_tcp *t = &m.layer[0].tcp;

	(void)state;
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
	fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 1, .dport = 2,
		.flags = FCTEST_TCP_SYN, .opts = tcp_opts_all,
		.opts_len = sizeof(tcp_opts_all) });
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(t->doff, 20 + 32);
	assert_int_equal(t->opts, FC_TCP_OPT_MSS | FC_TCP_OPT_WSCALE |
			 FC_TCP_OPT_SACKOK | FC_TCP_OPT_TS | FC_TCP_OPT_SACK);
	assert_int_equal(t->mss, 1460);
	assert_int_equal(t->wscale, 7);
	assert_int_equal(t->tsval, 1);
	assert_int_equal(t->tsecr, 2);
}

/* Malformed TCP option lists: FC_TCP_OPT_BAD, options before the fault kept, frame still OK. */
static void
test_decode_tcp_options_malformed(void **state)
{
	static const struct {
		uint8_t opts[12];
		uint8_t len;
		uint8_t want;
	} cases[] = {
		{ { 2, 4, 1, 0, 3, 0 }, 8, FC_TCP_OPT_MSS | FC_TCP_OPT_BAD },          /* length 0 */
		{ { 3, 3, 2, 2, 1 }, 8, FC_TCP_OPT_WSCALE | FC_TCP_OPT_BAD },          /* length 1 */
		{ { 2, 4, 1, 0, 8, 10, 0 }, 8, FC_TCP_OPT_MSS | FC_TCP_OPT_BAD },      /* TS past the header */
		{ { 1, 1, 1, 2 }, 4, FC_TCP_OPT_BAD },                                /* kind without length byte */
		{ { 2, 3, 5, 0 }, 4, FC_TCP_OPT_BAD },                                /* MSS of length 3 */
		{ { 3, 4, 1, 0 }, 4, FC_TCP_OPT_BAD },                                /* window scale of length 4 */
		{ { 4, 3, 0, 0 }, 4, FC_TCP_OPT_BAD },                                /* SACK-permitted of length 3 */
		{ { 5, 6, 0, 0, 0, 0, 0, 0 }, 8, FC_TCP_OPT_BAD },                    /* SACK shorter than a block */
		{ { 8, 8, 0, 0, 0, 0, 0, 0 }, 8, FC_TCP_OPT_BAD },                    /* TS of length 8 */
		{ { 3, 3, 30, 0 }, 4, FC_TCP_OPT_WSCALE },                            /* shift 30 used as 14 */
		{ { 0, 2, 4, 0x05, 0xb4 }, 8, 0 },                                    /* EOL ends the walk */
		{ { 99, 6, 0, 0, 0, 0, 2, 4, 1, 0 }, 12, FC_TCP_OPT_MSS },             /* unknown option skipped */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(cases); i++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
		fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 1, .dport = 2,
			.opts = cases[i].opts, .opts_len = cases[i].len });
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
		if (m.layer[0].tcp.opts != cases[i].want)
			fail_msg("case %u: opts 0x%x, want 0x%x", i,
				 m.layer[0].tcp.opts, cases[i].want);
		if (cases[i].want & FC_TCP_OPT_MSS)
			assert_int_equal(m.layer[0].tcp.mss, 0x0100);
		if (cases[i].want == FC_TCP_OPT_WSCALE)
			assert_int_equal(m.layer[0].tcp.wscale, 14);
	}
}

/* ----- IPv6 ----- */

/* IPv6 / TCP: addresses, flow label, hop limit, lengths. */
static void
test_decode_ipv6_tcp_fields(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p = frame_start(&fr);
	const struct fc_pkt_layer *l = &m.layer[0];

	(void)state;
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip6(p, &(struct fctest_ip6){ .src = "2001:db8::a",
		.dst = "2001:db8::b", .hlim = 7, .flow_label = 0x12345 });
	fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 22, .dport = 60000,
		.flags = FCTEST_TCP_FIN | FCTEST_TCP_ACK });
	fctest_pkt_bytes(p, NULL, 7);
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.ethertype, 0x86dd);
	assert_int_equal(l->ip_version, 6);
	assert_addr(l->src, "2001:db8::a");
	assert_addr(l->dst, "2001:db8::b");
	assert_int_equal(l->ttl, 7);
	assert_int_equal(l->flow_label, 0x12345);
	assert_int_equal(l->ip_len, 40 + 20 + 7);
	assert_int_equal(l->l4_off, 54);
	assert_int_equal(l->tcp.flags, FC_TCP_FIN | FC_TCP_ACK);
	assert_int_equal(l->payload_len, 7);
	assert_int_equal(m.wire_len, fr.len);
}

/* IPv6 / hop-by-hop / routing / destination options / fragment (first) / AH / UDP. */
static void
test_decode_ipv6_ext_chain_hbh_rt_dst_frag_ah_udp(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p = frame_start(&fr);
	const struct fc_pkt_layer *l = &m.layer[0];

	(void)state;
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip6(p, &(struct fctest_ip6){ 0 });
	fctest_pkt_ip6_ext(p, 0, 16);
	fctest_pkt_ip6_ext(p, 43, 24);
	fctest_pkt_ip6_ext(p, 60, 8);
	fctest_pkt_ip6_frag(p, 0, 1, 0x01020304);
	fctest_pkt_ip6_ext(p, 51, 24);
	fctest_pkt_udp(p, 500, 4500);
	fctest_pkt_bytes(p, NULL, 9);
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(l->proto, 17);
	assert_int_equal(l->l4_off, 54 + 16 + 24 + 8 + 8 + 24);
	assert_int_equal(l->frag, FC_FRAG_FIRST);
	assert_int_equal(l->frag_id, 0x01020304);
	assert_int_equal(l->sport, 500);
	assert_int_equal(l->dport, 4500);
	assert_int_equal(l->payload_len, 9);
}

/* 16 IPv6 extension headers decode; 17 are FC_PKT_E_IP6_EXT_DEPTH. */
static void
test_decode_ipv6_ext_depth_over_limit(void **state)
{
	unsigned int depth, i;

	(void)state;
	for (depth = FC_PKT_MAX_IP6_EXT; depth <= FC_PKT_MAX_IP6_EXT + 1; depth++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_ip6(p, &(struct fctest_ip6){ 0 });
		for (i = 0; i < depth; i++)
			fctest_pkt_ip6_ext(p, 60, 8);
		fctest_pkt_udp(p, 1, 2);
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m),
				 depth <= FC_PKT_MAX_IP6_EXT ? FC_PKT_OK :
				 FC_PKT_E_IP6_EXT_DEPTH);
	}
}

/* IPv6 next header 59 (no next header) after a destination options header: layer without L4. */
static void
test_decode_ipv6_no_next_header(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p = frame_start(&fr);

	(void)state;
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip6(p, &(struct fctest_ip6){ 0 });
	fctest_pkt_ip6_ext(p, 60, 8);
	fctest_pkt_put8(p, 54, 59);
	fctest_pkt_bytes(p, NULL, 6);
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].proto, 59);
	assert_int_equal(m.layer[0].has_l4, 0);
	assert_int_equal(m.layer[0].l4_off, 62);
	assert_int_equal(m.layer[0].payload_len, 6);
}

/* IPv6 fragments: first (ports), later (no ports, proto from the fragment header), atomic (not a fragment). */
static void
test_decode_ipv6_fragments_first_later(void **state)
{
	static const struct {
		uint16_t offset;
		int more;
		uint8_t frag;
	} cases[] = {
		{ 0, 1, FC_FRAG_FIRST },
		{ 181, 1, FC_FRAG_LATER },
		{ 181, 0, FC_FRAG_LATER },
		{ 0, 0, FC_FRAG_NONE },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(cases); i++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);
		const struct fc_pkt_layer *l = &m.layer[0];

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_ip6(p, &(struct fctest_ip6){ 0 });
		fctest_pkt_ip6_frag(p, cases[i].offset, cases[i].more, 0x55aa);
		fctest_pkt_udp(p, 53, 5353);
		fctest_pkt_bytes(p, NULL, 100);
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
		assert_int_equal(l->frag, cases[i].frag);
		assert_int_equal(l->frag_id, cases[i].frag ? 0x55aa : 0);
		assert_int_equal(l->proto, 17);
		assert_int_equal(l->l4_off, 62);
		if (cases[i].frag == FC_FRAG_LATER) {
			assert_int_equal(l->has_l4, 0);
			assert_int_equal(l->sport, 0);
			assert_int_equal(l->dport, 0);
			assert_int_equal(l->payload_len, 108);
		} else {
			assert_int_equal(l->has_l4, 1);
			assert_int_equal(l->sport, 53);
			assert_int_equal(l->dport, 5353);
			assert_int_equal(l->payload_len, 100);
		}
	}
}

/* An extension header or an L4 header past the IPv6 payload length (but captured) is FC_PKT_E_BAD_IP_LEN. */
static void
test_decode_ipv6_headers_past_payload_length(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_ip6_ext_udp(&fr);
	fctest_pkt_put16(&fr.p, 14 + 4, 4);      /* inside the hop-by-hop header */
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_E_BAD_IP_LEN);
	fctest_pkt_put16(&fr.p, 14 + 4, 8 + 8 + 16 + 4); /* inside UDP */
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_E_BAD_IP_LEN);
	fctest_pkt_put16(&fr.p, 14 + 4, 8 + 8 + 16 + 8); /* UDP header, no payload */
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.layer[0].payload_len, 0);
	assert_int_equal(m.layer[0].payload_cap, 0);
}

/* ----- Tunnels ----- */

/* GRE with every combination of C, K, S over IPv4/UDP: inner layer after the right header length, key as tunnel id. */
static void
test_decode_gre_flag_combos(void **state)
{
	unsigned int combo;

	(void)state;
	for (combo = 0; combo < 8; combo++) {
		uint16_t flags = (uint16_t)(((combo & 1) ? FCTEST_GRE_C : 0) |
			((combo & 2) ? FCTEST_GRE_K : 0) |
			((combo & 4) ? FCTEST_GRE_S : 0));
		unsigned int hl = 4 + 4 * (unsigned int)__builtin_popcount(combo);
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
		fctest_pkt_gre(p, &(struct fctest_gre){ .flags = flags,
			.key = 0xabcdef01, .seq = 0x11111111 });
		fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = "10.0.0.9",
			.dst = "10.0.0.10" });
		fctest_pkt_udp(p, 123, 123);
		fctest_pkt_bytes(p, NULL, 48);
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
		assert_int_equal(m.n_layers, 2);
		assert_int_equal(m.layer[0].proto, 47);
		assert_int_equal(m.layer[0].has_l4, 0);
		assert_int_equal(m.layer[0].encap, FC_TUN_GRE);
		assert_int_equal(m.layer[1].tunnel, FC_TUN_GRE);
		assert_int_equal(m.layer[1].tunnel_id,
				 (combo & 2) ? 0xabcdef01 : 0);
		assert_int_equal(m.layer[1].l3_off, 34 + hl);
		assert_addr(m.layer[1].src, "10.0.0.9");
		assert_int_equal(m.layer[1].sport, 123);
		assert_int_equal(m.layer[1].payload_len, 48);
		assert_int_equal(m.inner_status, FC_PKT_OK);
	}
}

/* GRE transparent Ethernet bridging over IPv6 with an inner VLAN tag: inner VLAN not in meta. */
static void
test_decode_gre_teb_inner_vlan_ignored(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_gre_cks_teb(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 2);
	assert_int_equal(m.vlan_depth, 0);
	assert_int_equal(m.vlan_outer, 0);
	assert_int_equal(m.ethertype, 0x86dd);
	assert_int_equal(m.layer[1].tunnel, FC_TUN_GRE);
	assert_int_equal(m.layer[1].tunnel_id, 0x01020304);
	assert_int_equal(m.layer[1].l3_off, 54 + 16 + 14 + 4);
	assert_int_equal(m.layer[1].proto, 1);
	assert_int_equal(m.layer[1].icmp_type, 8);
	assert_addr(m.layer[1].dst, "10.8.8.8");
}

/* GRE version 1 (PPTP), a set routing bit and a non-IP protocol: outer layer only, no error. */
static void
test_decode_gre_version1_routing_other_proto_not_decapped(void **state)
{
	static const struct {
		struct fctest_gre gre;
		uint8_t encap;
	} cases[] = {
		{ { .version = 1, .proto = 0x880b, .flags = FCTEST_GRE_K }, FC_TUN_NONE },
		{ { .version = 1, .proto = 0x0800 }, FC_TUN_NONE },
		{ { .flags = FCTEST_GRE_R, .proto = 0x0800 }, FC_TUN_NONE },
		{ { .proto = 0x880b }, FC_TUN_GRE },  /* PPP: valid GRE, payload not decoded */
		{ { .proto = 0x88be }, FC_TUN_GRE },  /* ERSPAN */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(cases); i++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
		fctest_pkt_gre(p, &cases[i].gre);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
		fctest_pkt_udp(p, 1, 2);
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
		assert_int_equal(m.n_layers, 1);
		assert_int_equal(m.layer[0].encap, cases[i].encap);
		assert_int_equal(m.inner_status, FC_PKT_OK);
		assert_unused_layers_zero(&m);
	}
}

/* VXLAN to port 4789 in a VLAN-tagged frame: VNI, inner Ethernet/IPv4/TCP, outer VLAN kept. */
static void
test_decode_vxlan_inner_tcp(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_vxlan_tcp(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 2);
	assert_int_equal(m.vlan_outer, 5);
	assert_int_equal(m.layer[0].proto, 17);
	assert_int_equal(m.layer[0].dport, 4789);
	assert_int_equal(m.layer[0].encap, FC_TUN_VXLAN);
	assert_int_equal(m.layer[1].tunnel, FC_TUN_VXLAN);
	assert_int_equal(m.layer[1].tunnel_id, 42);
	assert_int_equal(m.layer[1].l3_off, 18 + 20 + 8 + 8 + 14);
	assert_addr(m.layer[1].src, "10.1.1.1");
	assert_int_equal(m.layer[1].dport, 80);
	assert_int_equal(m.layer[1].payload_len, 20);
	assert_int_equal(m.layer[1].payload_cap, 20);
	assert_int_equal(m.wire_len, fr.len);
}

/* VXLAN matched by source port only, and on a configured port; not matched on another port. */
static void
test_decode_vxlan_src_port_and_custom_port(void **state)
{
	struct fc_pkt_params prm = { .vxlan_port = 8472 };
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_vxlan_tcp(&fr);
	fctest_pkt_put16(&fr.p, 38, 4789);  /* sport */
	fctest_pkt_put16(&fr.p, 40, 5000);  /* dport */
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 2);
	assert_int_equal(m.layer[1].tunnel, FC_TUN_VXLAN);
	assert_int_equal(decode(&fr, &prm, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 1);
	fctest_pkt_put16(&fr.p, 40, 8472);
	assert_int_equal(decode(&fr, &prm, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 2);
}

/* VXLAN without the I flag is not opened: a plain UDP flow. */
static void
test_decode_vxlan_bad_i_flag(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_vxlan_tcp(&fr);
	fctest_pkt_put8(&fr.p, 18 + 20 + 8, 0x00);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 1);
	assert_int_equal(m.layer[0].encap, FC_TUN_NONE);
	assert_int_equal(m.inner_status, FC_PKT_OK);
	fctest_pkt_put8(&fr.p, 18 + 20 + 8, 0x88); /* I and a reserved bit */
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 2);
}

/* GTP-U G-PDU: plain 8-byte header, S flag (12 bytes), E with two extension headers; IPv4 and IPv6 inside. */
static void
test_decode_gtpu_with_and_without_ext(void **state)
{
	static const struct {
		uint8_t flags;
		uint8_t n_ext;
		int v6;
		unsigned int hl;
	} cases[] = {
		{ 0, 0, 0, 8 },
		{ FCTEST_GTPU_S, 0, 1, 12 },
		{ FCTEST_GTPU_PN, 0, 0, 12 },
		{ FCTEST_GTPU_E, 1, 0, 12 + 4 },
		{ FCTEST_GTPU_E | FCTEST_GTPU_S, 2, 1, 12 + 4 + 8 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(cases); i++) {
		struct fc_pkt_meta m;
		struct frame fr;
		struct fctest_pkt *p = frame_start(&fr);

		fctest_pkt_eth(p, NULL, NULL, 0);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
		fctest_pkt_udp(p, 40000, 2152);
		fctest_pkt_gtpu(p, &(struct fctest_gtpu){ .teid = 0x1000 + i,
			.flags = cases[i].flags });
		if (cases[i].n_ext >= 1)
			fctest_pkt_gtpu_ext(p, 0x85, 1);
		if (cases[i].n_ext >= 2)
			fctest_pkt_gtpu_ext(p, 0x40, 2);
		if (cases[i].v6)
			fctest_pkt_ip6(p, &(struct fctest_ip6){ 0 });
		else
			fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = "100.64.0.1" });
		fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 1234, .dport = 443 });
		frame_end(&fr);
		assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
		if (m.n_layers != 2)
			fail_msg("case %u: %u layers, inner %s", i, m.n_layers,
				 fc_pkt_status_name(m.inner_status));
		assert_int_equal(m.layer[0].encap, FC_TUN_GTPU);
		assert_int_equal(m.layer[1].tunnel, FC_TUN_GTPU);
		assert_int_equal(m.layer[1].tunnel_id, 0x1000 + i);
		assert_int_equal(m.layer[1].ip_version, cases[i].v6 ? 6 : 4);
		assert_int_equal(m.layer[1].l3_off, 42 + cases[i].hl);
		assert_int_equal(m.layer[1].dport, 443);
	}
	/* The shared frame: E with two extensions, matched on both ports. */
	{
		struct fc_pkt_meta m;
		struct frame fr;

		build_gtpu_ext_ip6(&fr);
		assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
		assert_int_equal(m.n_layers, 2);
		assert_int_equal(m.layer[1].tunnel_id, 0xcafe0001);
		assert_addr(m.layer[1].src, "2001:db8:1::1");
		assert_int_equal(m.layer[1].sport, 1111);
	}
}

/* GTP-U echo request, GTPv2, PT=0 (GTP') and a zero-length extension: not opened, outer UDP only. */
static void
test_decode_gtpu_non_gpdu_not_decapped(void **state)
{
	static const struct {
		uint32_t off; /* from the GTP header */
		uint8_t val;
	} cases[] = {
		{ 1, 0x01 },  /* echo request */
		{ 1, 0x1a },  /* error indication */
		{ 0, 0x44 },  /* version 2 */
		{ 0, 0x24 },  /* version 1, PT 0 */
		{ 12, 0x00 }, /* first extension of length 0 */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(cases); i++) {
		struct fc_pkt_meta m;
		struct frame fr;

		build_gtpu_ext_ip6(&fr);
		fctest_pkt_put8(&fr.p, 42 + cases[i].off, cases[i].val);
		assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
		assert_int_equal(m.n_layers, 1);
		assert_int_equal(m.layer[0].encap, FC_TUN_NONE);
		assert_int_equal(m.inner_status, FC_PKT_OK);
	}
}

/* IP-in-IP: 4in4, 6in4, 4in6 and 6in6, inner TCP. */
static void
test_decode_ipip_4in4_6in4_4in6_6in6(void **state)
{
	unsigned int outer6, inner6;

	(void)state;
	for (outer6 = 0; outer6 <= 1; outer6++) {
		for (inner6 = 0; inner6 <= 1; inner6++) {
			struct fc_pkt_meta m;
			struct frame fr;
			struct fctest_pkt *p = frame_start(&fr);
			unsigned int ohl = outer6 ? 40 : 20;

			fctest_pkt_eth(p, NULL, NULL, 0);
			if (outer6)
				fctest_pkt_ip6(p, &(struct fctest_ip6){ 0 });
			else
				fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 });
			if (inner6)
				fctest_pkt_ip6(p, &(struct fctest_ip6){ .src = "fd00::1" });
			else
				fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = "192.168.0.1" });
			fctest_pkt_tcp(p, &(struct fctest_tcp){ .sport = 80, .dport = 8080 });
			frame_end(&fr);
			assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
			assert_int_equal(m.n_layers, 2);
			assert_int_equal(m.layer[0].proto, inner6 ? 41 : 4);
			assert_int_equal(m.layer[0].encap, FC_TUN_IPIP);
			assert_int_equal(m.layer[1].tunnel, FC_TUN_IPIP);
			assert_int_equal(m.layer[1].tunnel_id, 0);
			assert_int_equal(m.layer[1].ip_version, inner6 ? 6 : 4);
			assert_int_equal(m.layer[1].l3_off, 14 + ohl);
			assert_addr(m.layer[1].src, inner6 ? "fd00::1" : "192.168.0.1");
			assert_int_equal(m.layer[1].sport, 80);
		}
	}
}

/* VXLAN inside GRE: three layers with BOTH, each with the tunnel that carried it. */
static void
test_decode_nested_vxlan_in_gre(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_vxlan_in_gre(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 3);
	assert_int_equal(m.layer[0].tunnel, FC_TUN_NONE);
	assert_int_equal(m.layer[0].encap, FC_TUN_GRE);
	assert_int_equal(m.layer[1].tunnel, FC_TUN_GRE);
	assert_int_equal(m.layer[1].tunnel_id, 7);
	assert_int_equal(m.layer[1].encap, FC_TUN_VXLAN);
	assert_addr(m.layer[1].src, "3.3.3.3");
	assert_int_equal(m.layer[2].tunnel, FC_TUN_VXLAN);
	assert_int_equal(m.layer[2].tunnel_id, 42);
	assert_int_equal(m.layer[2].ip_version, 6);
	assert_addr(m.layer[2].src, "fd00::5");
	assert_int_equal(m.layer[2].dport, 22);
	assert_int_equal(m.layer[2].tcp.flags, FC_TCP_SYN);
}

/* Each decap policy, for all kinds and per kind, on VXLAN-in-GRE: layers yielded and their tunnels. */
static void
test_decode_decap_policies(void **state)
{
	static const struct {
		const char *spec;
		uint8_t n_layers;
		uint8_t tunnel[3];  /* layer[i].tunnel */
		uint8_t proto[3];   /* layer[i].proto */
		uint8_t encap0;     /* layer[0].encap */
	} cases[] = {
		{ "both", 3, { FC_TUN_NONE, FC_TUN_GRE, FC_TUN_VXLAN }, { 47, 17, 6 }, FC_TUN_GRE },
		{ "outer", 1, { FC_TUN_NONE }, { 47 }, FC_TUN_GRE },
		{ "none", 1, { FC_TUN_NONE }, { 47 }, FC_TUN_NONE },
		{ "inner", 1, { FC_TUN_VXLAN }, { 6 }, FC_TUN_NONE },
		{ "gre=inner", 2, { FC_TUN_GRE, FC_TUN_VXLAN }, { 17, 6 }, FC_TUN_VXLAN },
		{ "gre=outer", 1, { FC_TUN_NONE }, { 47 }, FC_TUN_GRE },
		{ "gre=none", 1, { FC_TUN_NONE }, { 47 }, FC_TUN_NONE },
		{ "vxlan=inner", 2, { FC_TUN_NONE, FC_TUN_VXLAN }, { 47, 6 }, FC_TUN_GRE },
		{ "vxlan=outer", 2, { FC_TUN_NONE, FC_TUN_GRE }, { 47, 17 }, FC_TUN_GRE },
		{ "vxlan=none", 2, { FC_TUN_NONE, FC_TUN_GRE }, { 47, 17 }, FC_TUN_GRE },
		{ "gre=inner,vxlan=outer", 1, { FC_TUN_GRE }, { 17 }, FC_TUN_VXLAN },
	};
	unsigned int i, j;

	(void)state;
	for (i = 0; i < FC_DIM(cases); i++) {
		struct fc_pkt_params prm;
		struct fc_pkt_meta m;
		struct frame fr;

		memset(&prm, 0, sizeof(prm));
		assert_int_equal(fc_pkt_parse_decap(cases[i].spec, &prm), 0);
		build_vxlan_in_gre(&fr);
		assert_int_equal(decode(&fr, &prm, &m), FC_PKT_OK);
		if (m.n_layers != cases[i].n_layers)
			fail_msg("%s: %u layers", cases[i].spec, m.n_layers);
		for (j = 0; j < m.n_layers; j++) {
			if (m.layer[j].tunnel != cases[i].tunnel[j] ||
			    m.layer[j].proto != cases[i].proto[j])
				fail_msg("%s: layer %u tunnel %s proto %u", cases[i].spec,
					 j, fc_tunnel_name(m.layer[j].tunnel),
					 m.layer[j].proto);
		}
		assert_int_equal(m.layer[0].encap, cases[i].encap0);
		assert_int_equal(m.inner_status, FC_PKT_OK);
		assert_unused_layers_zero(&m);
		/* The outer L2 and the wire length estimate stay those of the frame. */
		assert_int_equal(m.l2_len, 14);
		assert_int_equal(m.wire_len, fr.len);
	}
}

/* INNER on VXLAN keeps the VNI in the single yielded layer; NULL params behave as BOTH. */
static void
test_decode_decap_inner_vxlan_keeps_tunnel_id(void **state)
{
	struct fc_pkt_params prm = policy_all(FC_DECAP_INNER);
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_vxlan_tcp(&fr);
	assert_int_equal(decode(&fr, &prm, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 1);
	assert_int_equal(m.layer[0].tunnel, FC_TUN_VXLAN);
	assert_int_equal(m.layer[0].tunnel_id, 42);
	assert_int_equal(m.layer[0].dport, 80);
	assert_int_equal(m.vlan_outer, 5);
	prm = policy_all(FC_DECAP_BOTH);
	assert_int_equal(decode(&fr, &prm, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 2);
	prm.decap[FC_TUN_VXLAN] = 200; /* out of range: default */
	assert_int_equal(decode(&fr, &prm, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 2);
}

/* Five stacked IPv4 headers: BOTH stops at three layers; INNER opens two tunnels and yields one layer. */
static void
test_decode_tunnel_nesting_limit(void **state)
{
	struct fc_pkt_params prm = policy_all(FC_DECAP_INNER);
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p = frame_start(&fr);
	unsigned int i;
	char a[16];

	(void)state;
	fctest_pkt_eth(p, NULL, NULL, 0);
	for (i = 0; i < 5; i++) {
		snprintf(a, sizeof(a), "10.0.0.%u", i + 1);
		fctest_pkt_ip4(p, &(struct fctest_ip4){ .src = a });
	}
	fctest_pkt_udp(p, 1, 2);
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, FC_PKT_MAX_LAYERS);
	assert_addr(m.layer[2].src, "10.0.0.3");
	assert_int_equal(m.layer[2].proto, 4);
	assert_int_equal(m.layer[2].encap, FC_TUN_NONE); /* not examined */
	assert_int_equal(decode(&fr, &prm, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 1);
	assert_addr(m.layer[0].src, "10.0.0.3");
	assert_int_equal(m.layer[0].tunnel, FC_TUN_IPIP);
}

/* A tunnel payload that fails (inner IPv4 cut, bad inner version) keeps the outer layer under BOTH and INNER. */
static void
test_decode_tunnel_payload_bad_keeps_outer(void **state)
{
	static const enum fc_decap pols[] = { FC_DECAP_BOTH, FC_DECAP_INNER };
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(pols); i++) {
		struct fc_pkt_params prm = policy_all(pols[i]);
		struct fc_pkt_meta m;
		struct frame fr;

		build_vxlan_tcp(&fr);
		/* Cut in the inner IPv4 header. */
		assert_int_equal(decode_buf(fr.buf, 18 + 20 + 8 + 8 + 14 + 10, 0,
					    &prm, &m), FC_PKT_OK);
		assert_int_equal(m.n_layers, 1);
		assert_int_equal(m.layer[0].tunnel, FC_TUN_NONE);
		assert_int_equal(m.layer[0].dport, 4789);
		assert_int_equal(m.layer[0].encap, FC_TUN_VXLAN);
		assert_int_equal(m.inner_status, FC_PKT_E_TRUNC_IP);
		assert_int_equal(m.inner_tunnel, FC_TUN_VXLAN);
		assert_unused_layers_zero(&m);
		/* Bad inner version over GTP-U. */
		build_gtpu_ext_ip6(&fr);
		fctest_pkt_put8(&fr.p, 42 + 12 + 4 + 8, 0x55);
		assert_int_equal(decode(&fr, &prm, &m), FC_PKT_OK);
		assert_int_equal(m.n_layers, 1);
		assert_int_equal(m.inner_status, FC_PKT_E_BAD_IP_VERSION);
		assert_int_equal(m.inner_tunnel, FC_TUN_GTPU);
	}
}

/* A tunnel header cut by the capture: outer OK, inner_status truncated_tunnel; OUTER reports it too, NONE does not. */
static void
test_decode_tunnel_header_truncated(void **state)
{
	struct fc_pkt_params prm;
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_gtpu_ext_ip6(&fr);
	assert_int_equal(decode_buf(fr.buf, 42 + 14, 0, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 1);
	assert_int_equal(m.inner_status, FC_PKT_E_TRUNC_TUNNEL);
	assert_int_equal(m.inner_tunnel, FC_TUN_GTPU);
	prm = policy_all(FC_DECAP_OUTER);
	assert_int_equal(decode_buf(fr.buf, 42 + 14, 0, &prm, &m), FC_PKT_OK);
	assert_int_equal(m.inner_status, FC_PKT_E_TRUNC_TUNNEL);
	prm = policy_all(FC_DECAP_NONE);
	assert_int_equal(decode_buf(fr.buf, 42 + 14, 0, &prm, &m), FC_PKT_OK);
	assert_int_equal(m.inner_status, FC_PKT_OK);
}

/* Outer IPv4 fragments: a later fragment with protocol 4 or UDP 4789 is not opened; a first UDP fragment is. */
static void
test_decode_tunnel_in_fragments(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;
	struct fctest_pkt *p;

	(void)state;
	p = frame_start(&fr);
	fctest_pkt_eth(p, NULL, NULL, 0);
	fctest_pkt_ip4(p, &(struct fctest_ip4){ .proto = 4, .frag = 100 });
	fctest_pkt_ip4(p, &(struct fctest_ip4){ 0 }); /* looks like IPv4, but is not */
	fctest_pkt_udp(p, 1, 2);
	frame_end(&fr);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 1);
	assert_int_equal(m.layer[0].frag, FC_FRAG_LATER);

	build_vxlan_tcp(&fr);
	fctest_pkt_put16(&fr.p, 18 + 6, FCTEST_IP4_MF);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 2);
	assert_int_equal(m.layer[0].frag, FC_FRAG_FIRST);
	assert_int_equal(m.layer[1].frag, FC_FRAG_NONE);
	fctest_pkt_put16(&fr.p, 18 + 6, 10);
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 1);
	assert_int_equal(m.layer[0].frag, FC_FRAG_LATER);
}

/* Inner headers must lie inside the outer IP packet: an outer total length that ends in the inner header cuts it. */
static void
test_decode_inner_bounded_by_outer_ip_len(void **state)
{
	struct fc_pkt_meta m;
	struct frame fr;

	(void)state;
	build_6in4(&fr);
	fctest_pkt_put16(&fr.p, 14 + 2, 20 + 40 + 10); /* ends inside the inner TCP header */
	assert_int_equal(decode(&fr, NULL, &m), FC_PKT_OK);
	assert_int_equal(m.n_layers, 1);
	assert_int_equal(m.layer[0].payload_len, 50);
	assert_int_equal(m.inner_status, FC_PKT_E_TRUNC_TCP);
	assert_int_equal(m.inner_tunnel, FC_TUN_IPIP);
}

/* ----- Truncation at every prefix ----- */

/* QinQ / IPv4 with options / TCP with options / payload: exact reason at each boundary. */
static void
test_truncate_qinq_ipv4_tcp_every_prefix(void **state)
{
	static const struct cut cuts[] = {
		{ 0, FC_PKT_E_TRUNC_L2 },
		{ 14, FC_PKT_E_TRUNC_VLAN },
		{ 22, FC_PKT_E_TRUNC_IP },
		{ 22 + 28, FC_PKT_E_TRUNC_TCP },
		{ 22 + 28 + 32, FC_PKT_OK },
	};
	struct frame fr;

	(void)state;
	build_qinq_ip4opt_tcpopt(&fr);
	assert_int_equal(fr.len, 22 + 28 + 32 + 16);
	check_cuts(&fr, NULL, cuts, FC_DIM(cuts));
}

/* Ethernet / IPv4 / TCP: exact reason at each boundary. */
static void
test_truncate_eth_ipv4_tcp_every_prefix(void **state)
{
	static const struct cut cuts[] = {
		{ 0, FC_PKT_E_TRUNC_L2 },
		{ 14, FC_PKT_E_TRUNC_IP },
		{ 34, FC_PKT_E_TRUNC_TCP },
		{ 58, FC_PKT_OK },
	};
	struct frame fr;

	(void)state;
	build_eth_ip4_tcp(&fr);
	check_cuts(&fr, NULL, cuts, FC_DIM(cuts));
}

/* IPv6 / hop-by-hop / fragment / dest opts / UDP: exact reason at each boundary. */
static void
test_truncate_ipv6_ext_udp_every_prefix(void **state)
{
	static const struct cut cuts[] = {
		{ 0, FC_PKT_E_TRUNC_L2 },
		{ 14, FC_PKT_E_TRUNC_IP },
		{ 54, FC_PKT_E_TRUNC_IP6_EXT },
		{ 54 + 8 + 8 + 16, FC_PKT_E_TRUNC_UDP },
		{ 54 + 8 + 8 + 16 + 8, FC_PKT_OK },
	};
	struct frame fr;

	(void)state;
	build_ip6_ext_udp(&fr);
	check_cuts(&fr, NULL, cuts, FC_DIM(cuts));
}

/* MPLS x3 / IPv6 / ICMPv6 and IPv4 / SCTP: exact reason at each boundary. */
static void
test_truncate_mpls_icmp6_and_sctp_every_prefix(void **state)
{
	static const struct cut mpls[] = {
		{ 0, FC_PKT_E_TRUNC_L2 },
		{ 14, FC_PKT_E_TRUNC_MPLS },
		{ 27, FC_PKT_E_TRUNC_IP },
		{ 26 + 40, FC_PKT_E_TRUNC_ICMP },
		{ 26 + 40 + 8, FC_PKT_OK },
	};
	static const struct cut sctp[] = {
		{ 0, FC_PKT_E_TRUNC_L2 },
		{ 14, FC_PKT_E_TRUNC_IP },
		{ 34, FC_PKT_E_TRUNC_SCTP },
		{ 46, FC_PKT_OK },
	};
	struct frame fr;

	(void)state;
	build_mpls_ip6_icmp6(&fr);
	check_cuts(&fr, NULL, mpls, FC_DIM(mpls));
	build_ip4_sctp(&fr);
	check_cuts(&fr, NULL, sctp, FC_DIM(sctp));
}

/*
 * Tunnel frames cut at every prefix under every policy: the outer decodes
 * once its headers are in, and the inner status walks truncated_tunnel,
 * truncated_l2/ip/..., then OK with the inner layer.
 */
static void
test_truncate_tunnels_every_prefix(void **state)
{
	static void (*const builders[])(struct frame *) = {
		build_vxlan_tcp, build_gtpu_ext_ip6, build_gre_cks_teb,
		build_vxlan_in_gre, build_6in4,
	};
	unsigned int b, pol;

	(void)state;
	for (b = 0; b < FC_DIM(builders); b++) {
		for (pol = 0; pol < FC_DECAP_MAX; pol++) {
			struct fc_pkt_params prm = policy_all((enum fc_decap)pol);
			struct fc_pkt_meta full, m;
			struct frame fr;
			uint32_t len, outer_ok = 0;

			builders[b](&fr);
			assert_int_equal(decode(&fr, &prm, &full), FC_PKT_OK);
			assert_int_equal(full.inner_status, FC_PKT_OK);
			for (len = 0; len < fr.len; len++) {
				enum fc_pkt_status st = decode_buf(fr.buf, len, 0, &prm, &m);

				if (st != FC_PKT_OK) {
					/* Only truncations, and only before the outer headers are in. */
					assert_true(st >= FC_PKT_E_TRUNC_L2);
					assert_int_equal(outer_ok, 0);
					assert_true(strncmp(fc_pkt_status_name(st),
							    "truncated_", 10) == 0);
					continue;
				}
				if (outer_ok == 0)
					outer_ok = len;
				assert_true(m.n_layers <= full.n_layers);
				if (m.inner_status != FC_PKT_OK)
					assert_true(strncmp(fc_pkt_status_name(m.inner_status),
							    "truncated_", 10) == 0);
				assert_unused_layers_zero(&m);
			}
			assert_true(outer_ok > 0);
		}
	}
}

/* Random byte flips and cuts of the representative frames, each decoded from an exact-size heap copy: no over-read. */
static void
test_decode_mutations_no_overread(void **state)
{
	static void (*const builders[])(struct frame *) = {
		build_eth_ip4_tcp, build_qinq_ip4opt_tcpopt, build_ip6_ext_udp,
		build_mpls_ip6_icmp6, build_ip4_sctp, build_vxlan_tcp,
		build_gtpu_ext_ip6, build_gre_cks_teb, build_vxlan_in_gre,
		build_6in4, build_arp, build_ip4_frag_later,
	};
	uint32_t seed = 12345;
	unsigned int b, iter;

	(void)state;
	for (b = 0; b < FC_DIM(builders); b++) {
		for (iter = 0; iter < 2000; iter++) {
			struct fc_pkt_params prm = policy_all((enum fc_decap)(iter % FC_DECAP_MAX));
			struct fc_pkt_meta m;
			struct frame fr;
			unsigned int k;

			builders[b](&fr);
			for (k = 0; k < 1 + iter % 4; k++) {
				seed = seed * 1103515245 + 12345;
				fr.buf[(seed >> 8) % fr.len] = (uint8_t)(seed >> 20);
			}
			seed = seed * 1103515245 + 12345;
			(void)decode_buf(fr.buf, (seed >> 8) % (fr.len + 1), 0, &prm, &m);
		}
	}
}

/* ----- Counters, names, policy strings ----- */

/* A mixed table of frames: frames == decoded + errors, tunnels, fragments and inner failures counted. */
static void
test_stats_counters_add_up(void **state)
{
	static void (*const builders[])(struct frame *) = {
		build_eth_ip4_tcp, build_qinq_ip4opt_tcpopt, build_ip6_ext_udp,
		build_mpls_ip6_icmp6, build_ip4_sctp, build_vxlan_tcp,
		build_gtpu_ext_ip6, build_gre_cks_teb, build_vxlan_in_gre,
		build_6in4, build_arp, build_ip4_frag_later,
	};
	struct fc_pkt_stats s;
	struct fc_pkt_meta m;
	struct frame fr;
	uint64_t decoded, errors, sum;
	unsigned int b, i;
	uint32_t len;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (b = 0; b < FC_DIM(builders); b++) {
		builders[b](&fr);
		for (len = 0; len <= fr.len; len += 7) {
			(void)decode_buf(fr.buf, len, 0, NULL, &m);
			fc_pkt_stats_count(&s, &m);
		}
		(void)decode(&fr, NULL, &m);
		fc_pkt_stats_count(&s, &m);
	}
	decoded = s.status[FC_PKT_OK] + s.status[FC_PKT_L2_ONLY];
	errors = 0;
	for (i = FC_PKT_E_TRUNC_L2; i < FC_PKT_STATUS_MAX; i++)
		errors += s.status[i];
	assert_int_equal(s.frames, decoded + errors);
	assert_true(errors > 0);
	assert_true(s.status[FC_PKT_L2_ONLY] > 0);
	assert_int_equal(s.status[FC_PKT_E_TRUNC_TUNNEL], 0);
	for (sum = 0, i = 0; i < FC_PKT_STATUS_MAX; i++)
		sum += s.inner_bad[i];
	assert_true(sum > 0);
	assert_int_equal(s.inner_bad[FC_PKT_OK], 0);
	assert_true(s.inner_bad[FC_PKT_E_TRUNC_TUNNEL] > 0);
	assert_int_equal(s.tunnels[FC_TUN_NONE], 0);
	assert_true(s.tunnels[FC_TUN_VXLAN] >= 2);
	assert_true(s.tunnels[FC_TUN_GRE] >= 2);
	assert_true(s.tunnels[FC_TUN_GTPU] >= 1);
	assert_true(s.tunnels[FC_TUN_IPIP] >= 1);
	assert_true(s.fragments >= 2);

	/* Exact counts for a small table. */
	memset(&s, 0, sizeof(s));
	build_vxlan_in_gre(&fr);
	(void)decode(&fr, NULL, &m);
	fc_pkt_stats_count(&s, &m);
	build_ip4_frag_later(&fr);
	(void)decode(&fr, NULL, &m);
	fc_pkt_stats_count(&s, &m);
	build_arp(&fr);
	(void)decode(&fr, NULL, &m);
	fc_pkt_stats_count(&s, &m);
	(void)decode_buf(fr.buf, 5, 0, NULL, &m);
	fc_pkt_stats_count(&s, &m);
	assert_int_equal(s.frames, 4);
	assert_int_equal(s.status[FC_PKT_OK], 2);
	assert_int_equal(s.status[FC_PKT_L2_ONLY], 1);
	assert_int_equal(s.status[FC_PKT_E_TRUNC_L2], 1);
	assert_int_equal(s.tunnels[FC_TUN_GRE], 1);
	assert_int_equal(s.tunnels[FC_TUN_VXLAN], 1);
	assert_int_equal(s.fragments, 1);
}

/* Status, tunnel and policy names; "?" out of range. */
static void
test_names(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_PKT_STATUS_MAX; i++)
		assert_true(strcmp(fc_pkt_status_name(i), "?") != 0);
	assert_string_equal(fc_pkt_status_name(FC_PKT_OK), "ok");
	assert_string_equal(fc_pkt_status_name(FC_PKT_E_TRUNC_IP), "truncated_ip");
	assert_string_equal(fc_pkt_status_name(FC_PKT_E_TRUNC_TUNNEL),
			    "truncated_tunnel");
	assert_string_equal(fc_pkt_status_name(FC_PKT_STATUS_MAX), "?");
	assert_string_equal(fc_pkt_status_name(~0u), "?");
	assert_string_equal(fc_tunnel_name(FC_TUN_NONE), "none");
	assert_string_equal(fc_tunnel_name(FC_TUN_GTPU), "gtpu");
	assert_string_equal(fc_tunnel_name(FC_TUN_IPIP), "ipip");
	assert_string_equal(fc_tunnel_name(FC_TUN_MAX), "?");
	assert_string_equal(fc_decap_name(FC_DECAP_BOTH), "both");
	assert_string_equal(fc_decap_name(FC_DECAP_OUTER), "outer");
	assert_string_equal(fc_decap_name(FC_DECAP_INNER), "inner");
	assert_string_equal(fc_decap_name(FC_DECAP_NONE), "none");
	assert_string_equal(fc_decap_name(FC_DECAP_MAX), "?");
}

/* Good policy strings: one policy for all kinds, and KIND=POLICY lists (later items win). */
static void
test_parse_decap_good_strings(void **state)
{
	static const struct {
		const char *spec;
		uint8_t want[FC_TUN_MAX]; /* none, gre, vxlan, gtpu, ipip */
	} cases[] = {
		/* kinds in enum order: gre, vxlan, gtpu, ipip, teredo */
		{ "both", { 0, FC_DECAP_BOTH, FC_DECAP_BOTH, FC_DECAP_BOTH, FC_DECAP_BOTH, FC_DECAP_BOTH } },
		{ "none", { 0, FC_DECAP_NONE, FC_DECAP_NONE, FC_DECAP_NONE, FC_DECAP_NONE, FC_DECAP_NONE } },
		{ "inner", { 0, FC_DECAP_INNER, FC_DECAP_INNER, FC_DECAP_INNER, FC_DECAP_INNER, FC_DECAP_INNER } },
		{ "gre=inner", { 0, FC_DECAP_INNER, FC_DECAP_OUTER, FC_DECAP_OUTER, FC_DECAP_OUTER, FC_DECAP_OUTER } },
		{ "vxlan=none,gtpu=both", { 0, FC_DECAP_OUTER, FC_DECAP_NONE, FC_DECAP_BOTH, FC_DECAP_OUTER, FC_DECAP_OUTER } },
		{ "ipip=inner,gre=none,vxlan=inner,gtpu=inner",
		  { 0, FC_DECAP_NONE, FC_DECAP_INNER, FC_DECAP_INNER, FC_DECAP_INNER, FC_DECAP_OUTER } },
		{ "gre=inner,gre=both", { 0, FC_DECAP_BOTH, FC_DECAP_OUTER, FC_DECAP_OUTER, FC_DECAP_OUTER, FC_DECAP_OUTER } },
		{ "teredo=none", { 0, FC_DECAP_OUTER, FC_DECAP_OUTER, FC_DECAP_OUTER, FC_DECAP_OUTER, FC_DECAP_NONE } },
	};
	unsigned int i, k;

	(void)state;
	for (i = 0; i < FC_DIM(cases); i++) {
		struct fc_pkt_params prm = policy_all(FC_DECAP_OUTER);

		prm.vxlan_port = 1;
		assert_int_equal(fc_pkt_parse_decap(cases[i].spec, &prm), 0);
		for (k = FC_TUN_NONE + 1; k < FC_TUN_MAX; k++)
			if (prm.decap[k] != cases[i].want[k])
				fail_msg("%s: %s is %s", cases[i].spec, fc_tunnel_name(k),
					 fc_decap_name(prm.decap[k]));
		assert_int_equal(prm.vxlan_port, 1);
	}
}

/* Bad policy strings return -EINVAL and leave params unchanged. */
static void
test_parse_decap_bad_strings(void **state)
{
	static const char *const bad[] = {
		"", "bogus", "Both", "both ", " both", "gre", "gre=", "=inner",
		"gre=inner,", ",gre=inner", "gre=inner,,vxlan=both",
		"none=both", "6to4=inner", "gre=inner=both", "gre:inner",
		"gre=innerx", "gre = inner", "both,gre=inner",
	};
	struct fc_pkt_params prm = policy_all(FC_DECAP_OUTER), before = prm;
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(bad); i++) {
		if (fc_pkt_parse_decap(bad[i], &prm) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_memory_equal(&prm, &before, sizeof(prm));
	}
	assert_int_equal(fc_pkt_parse_decap(NULL, &prm), -EINVAL);
	assert_int_equal(fc_pkt_parse_decap("both", NULL), -EINVAL);
}

/* A NULL frame with cap_len 0 and runt frames are truncated_l2 with a clean meta. */
static void
test_decode_empty_and_runt_frames(void **state)
{
	static const struct fc_pkt_layer zero;
	struct fc_pkt_meta m;
	uint8_t b[13] = { 0 };
	uint32_t len;

	(void)state;
	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(fc_pkt_decode(NULL, 0, 0, NULL, &m), FC_PKT_E_TRUNC_L2);
	assert_int_equal(m.wire_len, 0);
	assert_int_equal(m.n_layers, 0);
	assert_int_equal(m.ethertype, 0);
	assert_memory_equal(&m.layer[0], &zero, sizeof(zero));
	for (len = 1; len < sizeof(b); len++)
		assert_int_equal(decode_buf(b, len, 0, NULL, &m), FC_PKT_E_TRUNC_L2);
}

/*
 * Directory of the shared captures: $FC_SHARED_DIR, or ../shared next to
 * the source tree (found from this file's path, which meson gives relative
 * to the build directory the tests run in). NULL if neither has pcaps/.
 */
static const char *
shared_pcap_dir(char *buf, size_t len)
{
	static const char self[] = "tests/flowcore/test_fc_pkt.c";
	const char *env = getenv("FC_SHARED_DIR");
	const char *file = __FILE__;
	size_t n = strlen(file);
	FILE *f;

	if (env != NULL && env[0] != '\0')
		snprintf(buf, len, "%s/pcaps", env);
	else if (n >= sizeof(self) - 1 &&
		 strcmp(file + n - (sizeof(self) - 1), self) == 0)
		snprintf(buf, len, "%.*s../shared/pcaps",
			 (int)(n - (sizeof(self) - 1)), file);
	else
		snprintf(buf, len, "%s/pcaps", fctest_shared_dir());
	snprintf(buf + strlen(buf), len - strlen(buf), "/MANIFEST.tsv");
	f = fopen(buf, "r");
	buf[strlen(buf) - strlen("/MANIFEST.tsv")] = '\0';
	if (f == NULL)
		return NULL;
	fclose(f);
	return buf;
}

/* Frames fc_pkt_peek() took, and fc_key_share_frame() took (all modes). */
static unsigned long peeked, shared_raw;

/*
 * The frame read off its headers against what fc_pkt_decode() made of it
 * (a): tests/helpers/peek_check.h.
 */
static void
diff_peek_share(const uint8_t *frame, uint32_t len,
		const struct fc_pkt_params *prm, const struct fc_pkt_meta *a,
		const char *where)
{
	struct fctest_peek_check r;

	switch (fctest_peek_share_check(frame, len, prm, a, &r)) {
	case FCTEST_PEEK_DIFFERS:
		fail_msg("%s (%u bytes): peek differs from the decoder", where, len);
		break;
	case FCTEST_SHARE_UNKEYED:
		fail_msg("%s (%u bytes): shared raw but not keyed", where, len);
		break;
	case FCTEST_SHARE_DIFFERS:
		fail_msg("%s (%u bytes), key mode %u: share hash %08x raw, %08x keyed",
			 where, len, r.mode, r.raw, r.decoded);
		break;
	default:
		break;
	}
	peeked += r.peeked;
	shared_raw += r.shared;
}

/*
 * Decode one frame (an exact-size heap copy) with the fast path and with
 * the general decoder; every field a consumer may read must match: the
 * frame fields and layers 0 .. max(n_layers, 1) - 1, byte for byte.
 */
static void
diff_decoders(const uint8_t *frame, uint32_t len, uint32_t wire_len,
	      const struct fc_pkt_params *prm, struct fc_pkt_stats s[2],
	      const char *where)
{
	struct fc_pkt_meta a, b;
	enum fc_pkt_status sa, sb;
	unsigned int n;

	memset(&a, 0x5a, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	sa = fc_pkt_decode(frame, len, wire_len, prm, &a);
	sb = fc_pkt_decode_generic(frame, len, wire_len, prm, &b);
	n = a.n_layers > 0 ? a.n_layers : 1;
	if (sa != sb || a.n_layers != b.n_layers ||
	    memcmp(&a, &b, offsetof(struct fc_pkt_meta, layer)) != 0 ||
	    memcmp(a.layer, b.layer, n * sizeof(a.layer[0])) != 0)
		fail_msg("%s (%u bytes): fast path %s/%u layers, general %s/%u",
			 where, len, fc_pkt_status_name(sa), a.n_layers,
			 fc_pkt_status_name(sb), b.n_layers);
	fc_pkt_stats_count(&s[0], &a);
	fc_pkt_stats_count(&s[1], &b);
	diff_peek_share(frame, len, prm, &a, where);
}

/*
 * Differential check of the fast path: every frame of every shared capture
 * (classic pcap), under five decap policy sets, with and without the wire
 * length, and every prefix up to 256 bytes of every 8th frame, decodes
 * exactly as the general decoder decodes it; the counters match too.
 */
static void
test_fast_path_matches_general_on_shared_pcaps(void **state)
{
	static const struct fc_pkt_params prms[] = {
		{ .decap = { 0 } },
		{ .decap = { FC_DECAP_OUTER, FC_DECAP_OUTER, FC_DECAP_OUTER,
			     FC_DECAP_OUTER, FC_DECAP_OUTER, FC_DECAP_OUTER } },
		{ .decap = { FC_DECAP_INNER, FC_DECAP_INNER, FC_DECAP_INNER,
			     FC_DECAP_INNER, FC_DECAP_INNER, FC_DECAP_INNER } },
		{ .decap = { FC_DECAP_NONE, FC_DECAP_NONE, FC_DECAP_NONE,
			     FC_DECAP_NONE, FC_DECAP_NONE, FC_DECAP_NONE } },
		{ .decap = { [FC_TUN_GRE] = FC_DECAP_INNER,
			     [FC_TUN_VXLAN] = FC_DECAP_OUTER },
		  .vxlan_port = 8472, .gtpu_port = 2123 },
	};
	struct fc_pkt_stats s[2];
	char dir[512], path[1024], where[1100];
	unsigned int files = 0, frames = 0;
	FILE *mf;
	char line[1024];

	(void)state;
	if (shared_pcap_dir(dir, sizeof(dir)) == NULL)
		skip(); /* no shared corpus here: nothing to compare on */
	memset(s, 0, sizeof(s));
	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", dir);
	mf = fopen(path, "r");
	assert_non_null(mf);
	while (fgets(line, sizeof(line), mf) != NULL) {
		size_t nl = strcspn(line, "\t\n");
		uint8_t *buf;
		long size;
		size_t off = 24;
		uint32_t magic;
		int swap;
		FILE *f;

		if (nl < 6 || strncmp(line + nl - 5, ".pcap", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%.*s", dir, (int)nl, line);
		f = fopen(path, "rb");
		if (f == NULL)
			continue;
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		size = ftell(f);
		rewind(f);
		assert_true(size >= 24);
		buf = malloc((size_t)size);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
		fclose(f);
		magic = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
			(uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
		swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
		assert_true(swap || magic == 0xa1b2c3d4 || magic == 0xa1b23c4d);
		files++;
		for (unsigned int fi = 0; (size_t)size - off >= 16; fi++) {
			const uint8_t *r = buf + off;
			uint32_t incl = swap ?
				(uint32_t)r[8] << 24 | (uint32_t)r[9] << 16 |
				(uint32_t)r[10] << 8 | r[11] :
				(uint32_t)r[11] << 24 | (uint32_t)r[10] << 16 |
				(uint32_t)r[9] << 8 | r[8];
			uint32_t orig = swap ?
				(uint32_t)r[12] << 24 | (uint32_t)r[13] << 16 |
				(uint32_t)r[14] << 8 | r[15] :
				(uint32_t)r[15] << 24 | (uint32_t)r[14] << 16 |
				(uint32_t)r[13] << 8 | r[12];
			uint8_t *copy;
			unsigned int i;

			off += 16;
			if (incl > (size_t)size - off)
				incl = (uint32_t)((size_t)size - off);
			snprintf(where, sizeof(where), "%.*s frame %u", (int)nl,
				 line, fi + 1);
			/* Headers lie in the first 256 bytes: longer prefixes only move payload_cap. */
			for (uint32_t len = (frames % 8 == 0) ? 0 : incl;
			     len <= incl;
			     len = (len >= 256 && len < incl) ? incl : len + 1) {
				copy = len != 0 ? malloc(len) : NULL;
				if (len != 0) {
					assert_non_null(copy);
					memcpy(copy, buf + off, len);
				}
				for (i = 0; i < FC_DIM(prms); i++) {
					if (len != incl && i % 2 != 0)
						continue;
					diff_decoders(copy, len, 0, &prms[i], s,
						      where);
					if (len == incl)
						diff_decoders(copy, len, orig,
							      &prms[i], s, where);
				}
				if (len == incl)
					diff_decoders(copy, len, 0, NULL, s, where);
				free(copy);
			}
			off += incl;
			frames++;
		}
		free(buf);
	}
	fclose(mf);
	assert_true(files > 0);
	assert_memory_equal(&s[0], &s[1], sizeof(s[0]));
	assert_true(peeked > 0 && shared_raw > 0);
	print_message("fast path vs general decoder: %u captures, %u frames, %lu decodes; "
		      "%lu peeked, %lu raw share hashes\n",
		      files, frames, (unsigned long)s[0].frames, peeked, shared_raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_eth_ipv4_tcp_fields),
		cmocka_unit_test(test_decode_vlan_depth_1_2_3_each_tpid),
		cmocka_unit_test(test_decode_qinq_88a8_8100_ipv4_tcp),
		cmocka_unit_test(test_decode_vlan_depth_over_limit),
		cmocka_unit_test(test_decode_llc_arp_lldp_l2_only),
		cmocka_unit_test(test_decode_mpls_1_and_3_labels_ipv4_ipv6),
		cmocka_unit_test(test_decode_vlan_mpls_ipv4_udp),
		cmocka_unit_test(test_decode_mpls_depth_over_limit),
		cmocka_unit_test(test_decode_mpls_non_ip_payload),
		cmocka_unit_test(test_decode_ipv4_options_skipped),
		cmocka_unit_test(test_decode_ipv4_bad_values),
		cmocka_unit_test(test_decode_ethertype_version_mismatch),
		cmocka_unit_test(test_decode_ipv4_snaplen_headers_only),
		cmocka_unit_test(test_decode_ipv4_trailer_padding_excluded),
		cmocka_unit_test(test_decode_ipv4_fragments_first_later),
		cmocka_unit_test(test_decode_ipv4_udp_icmp_sctp_esp),
		cmocka_unit_test(test_decode_udp_len_below_8),
		cmocka_unit_test(test_decode_tcp_doff_below_5),
		cmocka_unit_test(test_decode_tcp_options_all),
		cmocka_unit_test(test_decode_tcp_options_malformed),
		cmocka_unit_test(test_decode_ipv6_tcp_fields),
		cmocka_unit_test(test_decode_ipv6_ext_chain_hbh_rt_dst_frag_ah_udp),
		cmocka_unit_test(test_decode_ipv6_ext_depth_over_limit),
		cmocka_unit_test(test_decode_ipv6_no_next_header),
		cmocka_unit_test(test_decode_ipv6_fragments_first_later),
		cmocka_unit_test(test_decode_ipv6_headers_past_payload_length),
		cmocka_unit_test(test_decode_gre_flag_combos),
		cmocka_unit_test(test_decode_gre_teb_inner_vlan_ignored),
		cmocka_unit_test(test_decode_gre_version1_routing_other_proto_not_decapped),
		cmocka_unit_test(test_decode_vxlan_inner_tcp),
		cmocka_unit_test(test_decode_vxlan_src_port_and_custom_port),
		cmocka_unit_test(test_decode_vxlan_bad_i_flag),
		cmocka_unit_test(test_decode_gtpu_with_and_without_ext),
		cmocka_unit_test(test_decode_gtpu_non_gpdu_not_decapped),
		cmocka_unit_test(test_decode_ipip_4in4_6in4_4in6_6in6),
		cmocka_unit_test(test_decode_nested_vxlan_in_gre),
		cmocka_unit_test(test_decode_decap_policies),
		cmocka_unit_test(test_decode_decap_inner_vxlan_keeps_tunnel_id),
		cmocka_unit_test(test_decode_tunnel_nesting_limit),
		cmocka_unit_test(test_decode_tunnel_payload_bad_keeps_outer),
		cmocka_unit_test(test_decode_tunnel_header_truncated),
		cmocka_unit_test(test_decode_tunnel_in_fragments),
		cmocka_unit_test(test_decode_inner_bounded_by_outer_ip_len),
		cmocka_unit_test(test_truncate_eth_ipv4_tcp_every_prefix),
		cmocka_unit_test(test_truncate_qinq_ipv4_tcp_every_prefix),
		cmocka_unit_test(test_truncate_ipv6_ext_udp_every_prefix),
		cmocka_unit_test(test_truncate_mpls_icmp6_and_sctp_every_prefix),
		cmocka_unit_test(test_truncate_tunnels_every_prefix),
		cmocka_unit_test(test_decode_mutations_no_overread),
		cmocka_unit_test(test_stats_counters_add_up),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_parse_decap_good_strings),
		cmocka_unit_test(test_parse_decap_bad_strings),
		cmocka_unit_test(test_decode_empty_and_runt_frames),
		cmocka_unit_test(test_fast_path_matches_general_on_shared_pcaps),
	};

	return cmocka_run_group_tests(tests, fctest_eal_setup, fctest_eal_teardown);
}
