/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet decode, the first stage of the flowcore pipeline: one captured
 * Ethernet frame in, one struct fc_pkt_meta out (offsets, addresses, ports,
 * TCP header fields), one IP layer per opened tunnel. Nothing is copied but
 * the few header fields the later stages need, and nothing is allocated.
 *
 * HOW IT WORKS. Every header is checked once against a limit before any of
 * its fields is read (fc_fits()), then its fields are loaded with the
 * fc_be16()/fc_be32() readers. Three limits nest:
 *
 *   - cap_len, the captured bytes: crossing it is a truncation
 *     (FC_PKT_E_TRUNC_*);
 *   - the end of the IP packet per its length field: an IPv6 extension
 *     header or an L4 header that crosses it (but not cap_len) is a lie of
 *     the IP header (FC_PKT_E_BAD_IP_LEN), and Ethernet trailer padding
 *     behind it is never taken for payload;
 *   - for a tunnel payload, the captured part of the outer layer's payload:
 *     the inner headers must lie inside the outer packet.
 *
 * A total length larger than the capture is normal (a snap length); only
 * header reads must fit. Header offsets are kept below 65536 so that they
 * fit the uint16_t fields of struct fc_pkt_layer; a header past byte 65535
 * of a frame counts as truncated.
 *
 * The common frames (Ethernet, at most one VLAN tag, IPv4 without options
 * or IPv6 without extension headers, TCP or UDP) take a straight-line fast
 * path in fc_pkt_decode(): all of its checks first, then the stores. Any
 * other frame, and any frame that fails one of those checks, goes to the
 * general decoder (fc_dec_frame()), which walks VLAN/MPLS, IPv4 options,
 * IPv6 extension headers and tunnels and names every error. Only the frame
 * fields and layer 0 of the result are cleared (fc_meta_clear()); a tunnel
 * layer is cleared when it is decoded.
 *
 * Tunnels are opened one level at a time (fc_dec_tunnels()), at most
 * FC_PKT_MAX_LAYERS - 1 levels deep, each as params->decap[kind] says:
 * BOTH appends the inner layer, INNER overwrites the carrying layer with it,
 * OUTER only validates the tunnel header (layer.encap) and NONE does not
 * look. A tunnel payload that does not decode leaves the layers decoded so
 * far in place and is reported in inner_status/inner_tunnel.
 *
 * References: IEEE 802.1Q (VLAN, QinQ), RFC 3032 (MPLS), RFC 791 (IPv4),
 * RFC 8200 (IPv6), RFC 4302 (AH), RFC 9293 and RFC 7323 (TCP and options),
 * RFC 2018 (SACK), RFC 768 (UDP), RFC 9260 (SCTP), RFC 2784/2890 (GRE),
 * RFC 7348 (VXLAN), 3GPP TS 29.281 (GTP-U), RFC 2003/4213 (IP-in-IP).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fc_pkt.h"

#define FC_ETH_HLEN        14
#define FC_ETH_P_IPV4      0x0800
#define FC_ETH_P_IPV6      0x86dd
#define FC_ETH_P_VLAN      0x8100
#define FC_ETH_P_QINQ      0x88a8
#define FC_ETH_P_QINQ_OLD  0x9100
#define FC_ETH_P_MPLS_UC   0x8847
#define FC_ETH_P_MPLS_MC   0x8848
#define FC_ETH_P_TEB       0x6558

#define FC_IPPROTO_HOPOPTS 0
#define FC_IPPROTO_ICMP    1
#define FC_IPPROTO_IPIP    4
#define FC_IPPROTO_TCP     6
#define FC_IPPROTO_UDP     17
#define FC_IPPROTO_IPV6    41
#define FC_IPPROTO_ROUTING 43
#define FC_IPPROTO_FRAG    44
#define FC_IPPROTO_GRE     47
#define FC_IPPROTO_AH      51
#define FC_IPPROTO_ICMPV6  58
#define FC_IPPROTO_DSTOPTS 60
#define FC_IPPROTO_SCTP    132

/** IPv6 extension headers walked by fc_dec_ip6(), as a bit mask of next-header values < 64. */
#define FC_IP6_EXT_MASK ((1ull << FC_IPPROTO_HOPOPTS) | (1ull << FC_IPPROTO_ROUTING) | \
			 (1ull << FC_IPPROTO_FRAG) | (1ull << FC_IPPROTO_AH) | \
			 (1ull << FC_IPPROTO_DSTOPTS))

#define FC_TCP_HLEN  20
#define FC_UDP_HLEN  8
#define FC_ICMP_HLEN 8
#define FC_SCTP_HLEN 12

#define FC_TCPOPT_EOL    0
#define FC_TCPOPT_NOP    1
#define FC_TCPOPT_MSS    2
#define FC_TCPOPT_WSCALE 3
#define FC_TCPOPT_SACKOK 4
#define FC_TCPOPT_SACK   5
#define FC_TCPOPT_TS     8
#define FC_TCP_MAX_WSCALE 14 /* RFC 7323 2.3: larger shifts are used as 14 */

#define FC_GRE_C    0x8000
#define FC_GRE_R    0x4000
#define FC_GRE_K    0x2000
#define FC_GRE_S    0x1000
#define FC_GRE_VER  0x0007

#define FC_VXLAN_I       0x08
#define FC_GTPU_GPDU     0xff
#define FC_GTPU_E        0x04
#define FC_GTPU_OPT      0x07 /* E, S or PN: the 4 optional bytes are present */

/** Header offsets must fit the uint16_t fields of struct fc_pkt_layer. */
#define FC_OFF_MAX UINT16_MAX

static_assert(offsetof(struct fc_pkt_meta, src_mac) ==
	      offsetof(struct fc_pkt_meta, dst_mac) + 6,
	      "src_mac follows dst_mac (one 12-byte copy)");

static const char *const fc_pkt_status_names[] = {
	FC_PKT_STATUSES(FC_X_NAME)
};
static_assert(FC_DIM(fc_pkt_status_names) == FC_PKT_STATUS_MAX,
	      "one name per enum fc_pkt_status");

static const char *const fc_tunnel_names[] = {
	FC_TUNNELS(FC_X_NAME)
};
static_assert(FC_DIM(fc_tunnel_names) == FC_TUN_MAX,
	      "one name per enum fc_tunnel");

static const char *const fc_decap_names[] = {
	[FC_DECAP_BOTH] = "both",
	[FC_DECAP_OUTER] = "outer",
	[FC_DECAP_INNER] = "inner",
	[FC_DECAP_NONE] = "none",
};
static_assert(FC_DIM(fc_decap_names) == FC_DECAP_MAX,
	      "one name per enum fc_decap");

/** What follows a tunnel header (struct fc_tun.inner). */
enum fc_inner {
	FC_INNER_NONE = 0, /* valid tunnel, payload we do not decode */
	FC_INNER_ETH,      /* Ethernet frame (VXLAN, GRE TEB) */
	FC_INNER_IP4,      /* IPv4 (GRE 0x0800, IP proto 4) */
	FC_INNER_IP6,      /* IPv6 (GRE 0x86dd, IP proto 41) */
	FC_INNER_IP,       /* IPv4 or IPv6 by the version nibble (GTP-U) */
};

/** Outcome of a tunnel header parse (fc_tun_parse()). */
enum fc_tun_res {
	FC_TUN_RES_OK = 0,  /* valid header, struct fc_tun filled */
	FC_TUN_RES_INVALID, /* not a tunnel we open: outer layer only */
	FC_TUN_RES_TRUNC,   /* header cut by the capture: FC_PKT_E_TRUNC_TUNNEL */
};

/** A parsed tunnel header. */
struct fc_tun {
	uint32_t off;  /* offset of the tunnel payload */
	uint32_t id;   /* VNI, TEID or GRE key */
	uint8_t inner; /* enum fc_inner */
};

static inline uint16_t
fc_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
fc_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t
fc_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/** True if n bytes at off lie below lim (no overflow for any input). */
static inline int
fc_fits(uint32_t off, uint32_t n, uint32_t lim)
{
	return off <= lim && n <= lim - off;
}

/**
 * Reason for a header that ends at need_end but does not fit: the IP
 * length field lies if the header crosses it, else the capture is short.
 */
static inline enum fc_pkt_status
fc_short(uint32_t need_end, uint32_t ip_end, enum fc_pkt_status trunc)
{
	return need_end > ip_end ? FC_PKT_E_BAD_IP_LEN : trunc;
}

static inline int
fc_is_vlan(uint16_t type)
{
	return type == FC_ETH_P_VLAN || type == FC_ETH_P_QINQ ||
		type == FC_ETH_P_QINQ_OLD;
}

static inline int
fc_is_mpls(uint16_t type)
{
	return type == FC_ETH_P_MPLS_UC || type == FC_ETH_P_MPLS_MC;
}

/**
 * Walk VLAN tags and an MPLS stack. On entry *typep is the ethertype just
 * read and *offp the offset after it; on FC_PKT_OK they are the final
 * ethertype (MPLS: 0x0800 or 0x86dd from the payload's version nibble) and
 * the offset of what it announces. m receives the VLAN ids and depths (the
 * outer frame), or is NULL (a tunnelled Ethernet frame).
 */
static enum fc_pkt_status
fc_dec_tags(const uint8_t *f, uint32_t lim, uint32_t *offp, uint16_t *typep,
	    struct fc_pkt_meta *m)
{
	uint32_t off = *offp;
	uint16_t type = *typep;
	unsigned int n;

	for (n = 0; fc_is_vlan(type); n++) {
		uint16_t vid;

		if (n == FC_PKT_MAX_VLAN)
			return FC_PKT_E_VLAN_DEPTH;
		if (!fc_fits(off, 4, lim))
			return FC_PKT_E_TRUNC_VLAN;
		vid = fc_be16(f + off) & 0x0fff;
		if (m != NULL) {
			if (n == 0)
				m->vlan_outer = vid;
			else if (n == 1)
				m->vlan_inner = vid;
			m->vlan_depth = (uint8_t)(n + 1);
		}
		type = fc_be16(f + off + 2);
		off += 4;
	}
	if (fc_is_mpls(type)) {
		/* RFC 3032: 4-byte entries down to the bottom-of-stack bit. */
		for (n = 0;; n++) {
			int bos;

			if (n == FC_PKT_MAX_MPLS)
				return FC_PKT_E_MPLS_DEPTH;
			if (!fc_fits(off, 4, lim))
				return FC_PKT_E_TRUNC_MPLS;
			bos = f[off + 2] & 0x01;
			off += 4;
			if (m != NULL)
				m->mpls_depth = (uint8_t)(n + 1);
			if (bos)
				break;
		}
		/* No payload type in MPLS: guess it from the first nibble. */
		if (!fc_fits(off, 1, lim))
			return FC_PKT_E_TRUNC_MPLS;
		switch (f[off] >> 4) {
		case 4:
			type = FC_ETH_P_IPV4;
			break;
		case 6:
			type = FC_ETH_P_IPV6;
			break;
		default:
			return FC_PKT_E_MPLS_PAYLOAD;
		}
	}
	*offp = off;
	*typep = type;
	return FC_PKT_OK;
}

/**
 * Walk a TCP option list (RFC 9293 3.2, RFC 7323, RFC 2018). Known options
 * with a wrong length and list-structure errors set FC_TCP_OPT_BAD and stop
 * the walk; what was found before stays valid. Returns FC_PKT_OK, always
 * (a bad option list does not fail the frame), so that the fast path can
 * end with a tail call.
 */
static enum fc_pkt_status
fc_dec_tcp_opts(const uint8_t *o, uint32_t n, struct fc_pkt_tcp *t)
{
	uint32_t i = 0;

	while (i < n) {
		uint32_t len;

		if (o[i] == FC_TCPOPT_EOL)
			return FC_PKT_OK;
		if (o[i] == FC_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (n - i < 2)
			goto bad;
		len = o[i + 1];
		if (len < 2 || len > n - i)
			goto bad;
		switch (o[i]) {
		case FC_TCPOPT_MSS:
			if (len != 4)
				goto bad;
			t->mss = fc_be16(o + i + 2);
			t->opts |= FC_TCP_OPT_MSS;
			break;
		case FC_TCPOPT_WSCALE:
			if (len != 3)
				goto bad;
			t->wscale = o[i + 2] > FC_TCP_MAX_WSCALE ?
				FC_TCP_MAX_WSCALE : o[i + 2];
			t->opts |= FC_TCP_OPT_WSCALE;
			break;
		case FC_TCPOPT_SACKOK:
			if (len != 2)
				goto bad;
			t->opts |= FC_TCP_OPT_SACKOK;
			break;
		case FC_TCPOPT_SACK:
			if (len < 10 || (len - 2) % 8 != 0)
				goto bad;
			t->opts |= FC_TCP_OPT_SACK;
			break;
		case FC_TCPOPT_TS:
			if (len != 10)
				goto bad;
			t->tsval = fc_be32(o + i + 2);
			t->tsecr = fc_be32(o + i + 6);
			t->opts |= FC_TCP_OPT_TS;
			break;
		default:
			break;
		}
		i += len;
	}
	return FC_PKT_OK;
bad:
	t->opts |= FC_TCP_OPT_BAD;
	return FC_PKT_OK;
}

/**
 * Decode the transport header at l4 of a layer whose IP part is filled
 * (proto, frag), and set the payload offset and lengths. ip_end is the end
 * of the IP packet per its header, lim the capture limit of this layer.
 */
static inline enum fc_pkt_status
fc_dec_l4(const uint8_t *f, uint32_t l4, uint32_t ip_end, uint32_t lim,
	  struct fc_pkt_layer *l)
{
	uint32_t cap_end = fc_min(lim, ip_end);
	uint32_t hlim = fc_min(cap_end, FC_OFF_MAX);
	uint32_t pay = l4;
	const uint8_t *h = f + l4;
	uint32_t doff;

	l->l4_off = (uint16_t)l4;
	if (FC_UNLIKELY(l->frag == FC_FRAG_LATER))
		goto payload; /* no L4 header in a non-first fragment */
	switch (l->proto) {
	case FC_IPPROTO_TCP:
		if (FC_UNLIKELY(!fc_fits(l4, FC_TCP_HLEN, hlim)))
			return fc_short(l4 + FC_TCP_HLEN, ip_end,
					FC_PKT_E_TRUNC_TCP);
		doff = (uint32_t)(h[12] >> 4) * 4;
		if (FC_UNLIKELY(doff < FC_TCP_HLEN))
			return FC_PKT_E_BAD_TCP_OFFSET;
		if (FC_UNLIKELY(!fc_fits(l4, doff, hlim)))
			return fc_short(l4 + doff, ip_end, FC_PKT_E_TRUNC_TCP);
		l->sport = fc_be16(h);
		l->dport = fc_be16(h + 2);
		l->tcp.seq = fc_be32(h + 4);
		l->tcp.ack = fc_be32(h + 8);
		l->tcp.flags = h[13];
		l->tcp.win = fc_be16(h + 14);
		l->tcp.doff = (uint8_t)doff;
		if (doff > FC_TCP_HLEN)
			fc_dec_tcp_opts(h + FC_TCP_HLEN, doff - FC_TCP_HLEN,
					&l->tcp);
		pay = l4 + doff;
		break;
	case FC_IPPROTO_UDP:
		if (FC_UNLIKELY(!fc_fits(l4, FC_UDP_HLEN, hlim)))
			return fc_short(l4 + FC_UDP_HLEN, ip_end,
					FC_PKT_E_TRUNC_UDP);
		if (FC_UNLIKELY(fc_be16(h + 4) < FC_UDP_HLEN))
			return FC_PKT_E_BAD_UDP_LEN;
		l->sport = fc_be16(h);
		l->dport = fc_be16(h + 2);
		pay = l4 + FC_UDP_HLEN;
		break;
	case FC_IPPROTO_ICMP:
	case FC_IPPROTO_ICMPV6:
		if (FC_UNLIKELY(!fc_fits(l4, FC_ICMP_HLEN, hlim)))
			return fc_short(l4 + FC_ICMP_HLEN, ip_end,
					FC_PKT_E_TRUNC_ICMP);
		l->icmp_type = h[0];
		l->icmp_code = h[1];
		l->sport = h[0];
		l->dport = h[1];
		pay = l4 + FC_ICMP_HLEN;
		break;
	case FC_IPPROTO_SCTP:
		if (FC_UNLIKELY(!fc_fits(l4, FC_SCTP_HLEN, hlim)))
			return fc_short(l4 + FC_SCTP_HLEN, ip_end,
					FC_PKT_E_TRUNC_SCTP);
		l->sport = fc_be16(h);
		l->dport = fc_be16(h + 2);
		pay = l4 + FC_SCTP_HLEN;
		break;
	default:
		goto payload; /* GRE, IP-in-IP, ESP, ...: layer without L4 */
	}
	l->has_l4 = 1;
payload:
	/* pay <= hlim <= cap_end <= ip_end here. */
	l->payload_off = (uint16_t)pay;
	l->payload_len = (uint16_t)(ip_end - pay);
	l->payload_cap = (uint16_t)(cap_end - pay);
	return FC_PKT_OK;
}

/** Decode the IPv4 header at off (RFC 791) and its transport header. */
static inline enum fc_pkt_status
fc_dec_ip4(const uint8_t *f, uint32_t off, uint32_t lim,
	   struct fc_pkt_layer *l)
{
	const uint8_t *h = f + off;
	uint32_t ihl, total;
	uint16_t frag;

	if (FC_UNLIKELY(!fc_fits(off, 20, fc_min(lim, FC_OFF_MAX))))
		return FC_PKT_E_TRUNC_IP;
	if (FC_UNLIKELY((h[0] >> 4) != 4))
		return FC_PKT_E_BAD_IP_VERSION;
	ihl = (uint32_t)(h[0] & 0x0f) * 4;
	if (FC_UNLIKELY(ihl < 20))
		return FC_PKT_E_BAD_IHL;
	if (FC_UNLIKELY(!fc_fits(off, ihl, fc_min(lim, FC_OFF_MAX))))
		return FC_PKT_E_TRUNC_IP;
	total = fc_be16(h + 2);
	if (FC_UNLIKELY(total < ihl))
		return FC_PKT_E_BAD_IP_LEN;
	l->ip_version = 4;
	l->l3_off = (uint16_t)off;
	l->ip_len = (uint16_t)total;
	l->ttl = h[8];
	l->proto = h[9];
	memcpy(l->src, h + 12, 4);
	memcpy(l->dst, h + 16, 4);
	frag = fc_be16(h + 6);
	if (FC_UNLIKELY(frag & 0x3fff)) { /* MF or a fragment offset */
		l->frag = (frag & 0x1fff) != 0 ? FC_FRAG_LATER : FC_FRAG_FIRST;
		l->frag_id = fc_be16(h + 4);
	}
	return fc_dec_l4(f, off + ihl, off + total, lim, l);
}

/**
 * Decode the IPv6 header at off (RFC 8200), walk its extension headers
 * (hop-by-hop, routing, fragment, destination options, AH) and decode the
 * transport header. A non-first fragment ends the walk: what follows its
 * fragment header is the middle of the original packet.
 */
static enum fc_pkt_status
fc_dec_ip6(const uint8_t *f, uint32_t off, uint32_t lim,
	   struct fc_pkt_layer *l)
{
	const uint8_t *h = f + off;
	uint32_t ip_end, hlim, p, n;
	uint8_t nh;

	if (FC_UNLIKELY(!fc_fits(off, 40, fc_min(lim, FC_OFF_MAX))))
		return FC_PKT_E_TRUNC_IP;
	if (FC_UNLIKELY((h[0] >> 4) != 6))
		return FC_PKT_E_BAD_IP_VERSION;
	ip_end = off + 40 + fc_be16(h + 4);
	l->ip_version = 6;
	l->l3_off = (uint16_t)off;
	l->ip_len = (uint16_t)fc_min(40u + fc_be16(h + 4), UINT16_MAX);
	l->flow_label = fc_be32(h) & 0x000fffff;
	l->ttl = h[7];
	memcpy(l->src, h + 8, 16);
	memcpy(l->dst, h + 24, 16);
	nh = h[6];
	p = off + 40;
	hlim = fc_min(fc_min(lim, ip_end), FC_OFF_MAX);
	for (n = 0; nh < 64 && ((FC_IP6_EXT_MASK >> nh) & 1); n++) {
		const uint8_t *e = f + p;
		uint32_t elen;

		if (n == FC_PKT_MAX_IP6_EXT)
			return FC_PKT_E_IP6_EXT_DEPTH;
		if (!fc_fits(p, 2, hlim))
			return fc_short(p + 2, ip_end, FC_PKT_E_TRUNC_IP6_EXT);
		if (nh == FC_IPPROTO_FRAG)
			elen = 8;
		else if (nh == FC_IPPROTO_AH)
			elen = ((uint32_t)e[1] + 2) * 4; /* RFC 4302: 4-byte units - 2 */
		else
			elen = ((uint32_t)e[1] + 1) * 8; /* 8-byte units, first 8 not counted */
		if (!fc_fits(p, elen, hlim))
			return fc_short(p + elen, ip_end,
					FC_PKT_E_TRUNC_IP6_EXT);
		if (nh == FC_IPPROTO_FRAG) {
			uint16_t fo = fc_be16(e + 2);

			/* Offset 0 and M 0 is an atomic fragment (RFC 6946): not a fragment. */
			if (fo & 0xfff9) {
				l->frag = (fo & 0xfff8) != 0 ?
					FC_FRAG_LATER : FC_FRAG_FIRST;
				l->frag_id = fc_be32(e + 4);
			}
			if (l->frag == FC_FRAG_LATER) {
				nh = e[0];
				p += elen;
				break;
			}
		}
		nh = e[0];
		p += elen;
	}
	l->proto = nh;
	return fc_dec_l4(f, p, ip_end, lim, l);
}

/** Decode an IP layer of the given version (4 or 6). */
static inline enum fc_pkt_status
fc_dec_ip(const uint8_t *f, uint32_t off, uint32_t lim, unsigned int version,
	  struct fc_pkt_layer *l)
{
	return version == 4 ? fc_dec_ip4(f, off, lim, l) :
		fc_dec_ip6(f, off, lim, l);
}

/** Decap policy of one tunnel kind; NULL params and bad values mean BOTH. */
static inline unsigned int
fc_decap_of(const struct fc_pkt_params *prm, unsigned int kind)
{
	unsigned int d = prm != NULL ? prm->decap[kind] : FC_DECAP_BOTH;

	return d < FC_DECAP_MAX ? d : FC_DECAP_BOTH;
}

/**
 * Tunnel kind a decoded layer may carry, from its protocol and ports only:
 * GRE, IP-in-IP, or UDP to/from the VXLAN or GTP-U port (destination port
 * first). A non-first fragment carries no tunnel header.
 */
static inline unsigned int
fc_tun_kind(const struct fc_pkt_layer *l, const struct fc_pkt_params *prm)
{
	uint16_t vx, gt;

	if (l->frag == FC_FRAG_LATER)
		return FC_TUN_NONE;
	switch (l->proto) {
	case FC_IPPROTO_GRE:
		return FC_TUN_GRE;
	case FC_IPPROTO_IPIP:
	case FC_IPPROTO_IPV6:
		return FC_TUN_IPIP;
	case FC_IPPROTO_UDP:
		if (!l->has_l4)
			return FC_TUN_NONE;
		vx = fc_pkt_vxlan_port(prm);
		gt = fc_pkt_gtpu_port(prm);
		if (l->dport == vx)
			return FC_TUN_VXLAN;
		if (l->dport == gt)
			return FC_TUN_GTPU;
		if (l->sport == vx)
			return FC_TUN_VXLAN;
		if (l->sport == gt)
			return FC_TUN_GTPU;
		/* Teredo is recognised by content on any port, as Zeek does. */
		return FC_TUN_TEREDO;
	default:
		return FC_TUN_NONE;
	}
}

/**
 * Parse a GRE header (RFC 2784, key and sequence of RFC 2890). Version 0
 * only (version 1 is PPTP's enhanced GRE); a set routing bit (RFC 1701
 * source routing) is not opened. C, K and S each add 4 bytes.
 */
static enum fc_tun_res
fc_tun_gre(const uint8_t *f, uint32_t off, uint32_t lim, struct fc_tun *t)
{
	const uint8_t *h = f + off;
	uint32_t hl = 4;
	uint16_t flags;

	if (!fc_fits(off, 4, lim))
		return FC_TUN_RES_TRUNC;
	flags = fc_be16(h);
	if ((flags & FC_GRE_VER) != 0 || (flags & FC_GRE_R) != 0)
		return FC_TUN_RES_INVALID;
	if (flags & FC_GRE_C)
		hl += 4;
	if (flags & FC_GRE_K) {
		if (!fc_fits(off, hl + 4, lim))
			return FC_TUN_RES_TRUNC;
		t->id = fc_be32(h + hl);
		hl += 4;
	}
	if (flags & FC_GRE_S)
		hl += 4;
	if (!fc_fits(off, hl, lim))
		return FC_TUN_RES_TRUNC;
	t->off = off + hl;
	switch (fc_be16(h + 2)) {
	case FC_ETH_P_IPV4:
		t->inner = FC_INNER_IP4;
		break;
	case FC_ETH_P_IPV6:
		t->inner = FC_INNER_IP6;
		break;
	case FC_ETH_P_TEB:
		t->inner = FC_INNER_ETH;
		break;
	default:
		t->inner = FC_INNER_NONE;
		break;
	}
	return FC_TUN_RES_OK;
}

/** Parse a VXLAN header (RFC 7348): 8 bytes, I flag set, 24-bit VNI. */
static enum fc_tun_res
fc_tun_vxlan(const uint8_t *f, uint32_t off, uint32_t lim, struct fc_tun *t)
{
	if (!fc_fits(off, 8, lim))
		return FC_TUN_RES_TRUNC;
	if ((f[off] & FC_VXLAN_I) == 0)
		return FC_TUN_RES_INVALID;
	t->id = fc_be32(f + off + 4) >> 8;
	t->off = off + 8;
	t->inner = FC_INNER_ETH;
	return FC_TUN_RES_OK;
}

/**
 * Parse a GTP-U header (3GPP TS 29.281 5.1/5.2): version 1, PT 1, message
 * G-PDU. 8 bytes, plus 4 (sequence, N-PDU, next extension type) if any of
 * E, S, PN is set, plus the extension header chain if E is set: each
 * extension is length * 4 bytes and ends with the next extension type.
 */
static enum fc_tun_res
fc_tun_gtpu(const uint8_t *f, uint32_t off, uint32_t lim, struct fc_tun *t)
{
	const uint8_t *h = f + off;
	uint32_t p;
	uint8_t next;

	if (!fc_fits(off, 8, lim))
		return FC_TUN_RES_TRUNC;
	if ((h[0] >> 4) != 0x3 || h[1] != FC_GTPU_GPDU)
		return FC_TUN_RES_INVALID; /* version != 1, GTP', or signalling */
	t->id = fc_be32(h + 4);
	p = off + 8;
	if (h[0] & FC_GTPU_OPT) {
		if (!fc_fits(off, 12, lim))
			return FC_TUN_RES_TRUNC;
		next = (h[0] & FC_GTPU_E) ? h[11] : 0;
		p += 4;
		while (next != 0) { /* each extension is >= 4 bytes: bounded by lim */
			uint32_t elen;

			if (!fc_fits(p, 1, lim))
				return FC_TUN_RES_TRUNC;
			elen = (uint32_t)f[p] * 4;
			if (elen == 0)
				return FC_TUN_RES_INVALID;
			if (!fc_fits(p, elen, lim))
				return FC_TUN_RES_TRUNC;
			next = f[p + elen - 1];
			p += elen;
		}
	}
	t->off = p;
	t->inner = FC_INNER_IP;
	return FC_TUN_RES_OK;
}

/**
 * Recognise Teredo (RFC 4380 5.1.1) in any UDP payload (relays and
 * clients talk on arbitrary ports; only the server uses 3544), like
 * Zeek's content-based detection: an optional authentication indicator
 * (type 0x0001: id and auth lengths, id, auth value, 8-byte nonce,
 * confirmation byte), an optional origin indication (type 0x0000, 8
 * bytes), then an IPv6 packet. There is no magic number, so the IPv6
 * header must be a real one: version 6 and a payload length that fills
 * the UDP payload exactly. Anything else stays plain UDP; the test costs
 * a few byte compares per UDP packet and `teredo=none` turns it off.
 */
static enum fc_tun_res
fc_tun_teredo(const uint8_t *f, uint32_t lim, const struct fc_pkt_layer *l,
	      struct fc_tun *t)
{
	uint32_t off = l->payload_off;
	uint32_t end = (uint32_t)l->payload_off + l->payload_len;

	if (end > lim)
		end = lim;
	if (fc_fits(off, 4, end) && f[off] == 0 && f[off + 1] == 1)
		off += 4 + (uint32_t)f[off + 2] + f[off + 3] + 9;
	if (fc_fits(off, 8, end) && f[off] == 0 && f[off + 1] == 0)
		off += 8;
	if (!fc_fits(off, 40, end) || (f[off] >> 4) != 6 ||
	    off + 40 + fc_be16(f + off + 4) !=
	    (uint32_t)l->payload_off + l->payload_len)
		return FC_TUN_RES_INVALID;
	t->off = off;
	t->inner = FC_INNER_IP6;
	return FC_TUN_RES_OK;
}

/** Parse the tunnel header of the given kind in layer l's payload. */
static enum fc_tun_res
fc_tun_parse(const uint8_t *f, uint32_t lim, const struct fc_pkt_layer *l,
	     unsigned int kind, struct fc_tun *t)
{
	t->id = 0;
	switch (kind) {
	case FC_TUN_GRE:
		return fc_tun_gre(f, l->payload_off, lim, t);
	case FC_TUN_VXLAN:
		return fc_tun_vxlan(f, l->payload_off, lim, t);
	case FC_TUN_GTPU:
		return fc_tun_gtpu(f, l->payload_off, lim, t);
	case FC_TUN_TEREDO:
		return fc_tun_teredo(f, lim, l, t);
	default: /* FC_TUN_IPIP: the payload is the inner IP header */
		t->off = l->payload_off;
		t->inner = l->proto == FC_IPPROTO_IPIP ?
			FC_INNER_IP4 : FC_INNER_IP6;
		return FC_TUN_RES_OK;
	}
}

/**
 * Decode a tunnel payload into l (zeroed first). FC_PKT_L2_ONLY means an
 * inner Ethernet frame that carries no IP, or a payload we do not decode.
 */
static enum fc_pkt_status
fc_dec_inner(const uint8_t *f, uint32_t lim, const struct fc_tun *t,
	     struct fc_pkt_layer *l)
{
	uint32_t off = t->off;
	uint16_t type;
	unsigned int version;
	enum fc_pkt_status st;

	memset(l, 0, sizeof(*l));
	switch (t->inner) {
	case FC_INNER_ETH:
		if (!fc_fits(off, FC_ETH_HLEN, lim))
			return FC_PKT_E_TRUNC_L2;
		type = fc_be16(f + off + 12);
		off += FC_ETH_HLEN;
		st = fc_dec_tags(f, lim, &off, &type, NULL);
		if (st != FC_PKT_OK)
			return st;
		if (type == FC_ETH_P_IPV4)
			version = 4;
		else if (type == FC_ETH_P_IPV6)
			version = 6;
		else
			return FC_PKT_L2_ONLY;
		break;
	case FC_INNER_IP4:
		version = 4;
		break;
	case FC_INNER_IP6:
		version = 6;
		break;
	case FC_INNER_IP:
		if (!fc_fits(off, 1, lim))
			return FC_PKT_E_TRUNC_IP;
		version = f[off] >> 4;
		if (version != 4 && version != 6)
			return FC_PKT_E_BAD_IP_VERSION;
		break;
	default:
		return FC_PKT_L2_ONLY;
	}
	return fc_dec_ip(f, off, lim, version, l);
}

/**
 * Open the tunnels of a decoded frame whose layer 0 may carry one, one
 * level per iteration. slot is the layer that carries the tunnel; the
 * inner layer is decoded into slot + 1 and then kept there (BOTH) or moved
 * over the carrier (INNER). At most FC_PKT_MAX_LAYERS - 1 tunnels are
 * opened whatever the policies, which bounds the work per frame. Returns
 * FC_PKT_OK, always (a tunnel payload that fails leaves the frame decoded),
 * so that the fast path can end with a tail call.
 */
static enum fc_pkt_status
fc_dec_tunnels(const uint8_t *f, const struct fc_pkt_params *prm,
	       struct fc_pkt_meta *m)
{
	unsigned int slot = 0, depth;

	for (depth = 0; depth < FC_PKT_MAX_LAYERS - 1; depth++) {
		struct fc_pkt_layer *l = &m->layer[slot];
		struct fc_pkt_layer *in = &m->layer[slot + 1];
		uint32_t lim = (uint32_t)l->payload_off + l->payload_cap;
		unsigned int kind = fc_tun_kind(l, prm);
		unsigned int pol;
		enum fc_tun_res res;
		enum fc_pkt_status st;
		struct fc_tun t;

		if (kind == FC_TUN_NONE)
			break;
		pol = fc_decap_of(prm, kind);
		if (pol == FC_DECAP_NONE)
			break;
		res = fc_tun_parse(f, lim, l, kind, &t);
		if (res == FC_TUN_RES_INVALID)
			break;
		if (res == FC_TUN_RES_TRUNC) {
			m->inner_status = FC_PKT_E_TRUNC_TUNNEL;
			m->inner_tunnel = (uint8_t)kind;
			break;
		}
		l->encap = (uint8_t)kind;
		if (pol == FC_DECAP_OUTER)
			break;
		st = fc_dec_inner(f, lim, &t, in);
		if (st != FC_PKT_OK) {
			memset(in, 0, sizeof(*in));
			if (st != FC_PKT_L2_ONLY) {
				m->inner_status = (uint8_t)st;
				m->inner_tunnel = (uint8_t)kind;
			}
			break;
		}
		in->tunnel = (uint8_t)kind;
		in->tunnel_id = t.id;
		if (pol == FC_DECAP_INNER) {
			*l = *in;
			memset(in, 0, sizeof(*in));
		} else {
			slot++;
		}
	}
	m->n_layers = (uint8_t)(slot + 1);
	return FC_PKT_OK;
}

/*
 * Clear the frame fields but cap_len (which every decode sets) and layer 0
 * of m: eight 16-byte stores. A memset() of this size is compiled to
 * `rep stosq`, whose start-up costs more than the stores themselves.
 */
static inline void
fc_meta_clear(struct fc_pkt_meta *m)
{
	typedef uint8_t fc_v16 __attribute__((vector_size(16), aligned(1),
					      may_alias));
	const fc_v16 z = { 0 };
	fc_v16 *p = (fc_v16 *)(void *)&m->wire_len;

	static_assert(offsetof(struct fc_pkt_meta, wire_len) ==
		      sizeof(m->cap_len), "cap_len is the first field");
	static_assert(offsetof(struct fc_pkt_meta, layer[1]) -
		      offsetof(struct fc_pkt_meta, wire_len) == 8 * sizeof(fc_v16),
		      "frame fields after cap_len and layer 0 are 128 bytes");
	p[0] = z;
	p[1] = z;
	p[2] = z;
	p[3] = z;
	p[4] = z;
	p[5] = z;
	p[6] = z;
	p[7] = z;
}

/*
 * The general decoder: every encapsulation, every error. fc_pkt_decode()
 * comes here for whatever its fast path does not take. Kept out of line so
 * that the fast path stays a small leaf function.
 */
static __attribute__((noinline)) enum fc_pkt_status
fc_dec_frame(const uint8_t *frame, uint32_t cap_len, uint32_t wire_len,
	     const struct fc_pkt_params *params, struct fc_pkt_meta *m)
{
	enum fc_pkt_status st;
	uint32_t off = FC_ETH_HLEN;
	uint32_t ip_len = 0;
	uint16_t type;

	fc_meta_clear(m);
	m->cap_len = cap_len;
	if (FC_UNLIKELY(cap_len < FC_ETH_HLEN)) {
		st = FC_PKT_E_TRUNC_L2;
		goto out;
	}
	memcpy(m->dst_mac, frame, 6);
	memcpy(m->src_mac, frame + 6, 6);
	type = fc_be16(frame + 12);
	if (FC_UNLIKELY(type != FC_ETH_P_IPV4 && type != FC_ETH_P_IPV6)) {
		m->ethertype = type;
		st = fc_dec_tags(frame, cap_len, &off, &type, m);
		if (st != FC_PKT_OK)
			goto out;
	}
	m->ethertype = type;
	m->l2_len = off;
	if (FC_LIKELY(type == FC_ETH_P_IPV4)) {
		st = fc_dec_ip4(frame, off, cap_len, &m->layer[0]);
	} else if (type == FC_ETH_P_IPV6) {
		st = fc_dec_ip6(frame, off, cap_len, &m->layer[0]);
	} else {
		st = FC_PKT_L2_ONLY; /* 802.3 length, ARP, LLDP, ... */
		goto out;
	}
	/* Set once the IP header itself is accepted, even if an L4 header is not. */
	ip_len = m->layer[0].ip_len;
	if (FC_UNLIKELY(st != FC_PKT_OK)) {
		memset(&m->layer[0], 0, sizeof(m->layer[0]));
		goto out;
	}
	m->n_layers = 1;
	if (FC_UNLIKELY(fc_tun_kind(&m->layer[0], params) != FC_TUN_NONE))
		fc_dec_tunnels(frame, params, m);
out:
	m->status = (uint8_t)st;
	if (wire_len == 0 && ip_len != 0)
		wire_len = m->l2_len + ip_len;
	m->wire_len = wire_len > cap_len ? wire_len : cap_len;
	return st;
}

enum fc_pkt_status
fc_pkt_decode_generic(const uint8_t *frame, uint32_t cap_len,
		      uint32_t wire_len, const struct fc_pkt_params *params,
		      struct fc_pkt_meta *m)
{
	return fc_dec_frame(frame, cap_len, wire_len, params, m);
}

/* What the fast path has read of a frame it takes (fc_fast_take()). */
struct fc_fast {
	uint32_t off;      /**< IP header */
	uint32_t l4;       /**< transport header */
	uint32_t ip_end;   /**< end of the IP packet per its header */
	uint32_t cap_end;  /**< end of the captured part of it */
	uint32_t hl;       /**< transport header length */
	uint16_t type;     /**< FC_ETH_P_IPV4 or FC_ETH_P_IPV6 */
	uint8_t proto;     /**< FC_IPPROTO_TCP or FC_IPPROTO_UDP */
};

/*
 * The frames the fast path takes: Ethernet, at most one VLAN tag, IPv4
 * without options and not a fragment or IPv6 without extension headers,
 * then a TCP or UDP header that fits the capture and the IP packet. Every
 * test the general decoder makes on such a frame is made here too, each
 * before the fields it guards are read. 1 if the frame is one (x filled),
 * 0 if it needs the general decoder. Shared by fc_pkt_decode() and
 * fc_pkt_peek(), so the two take the same frames.
 */
static inline int
fc_fast_take(const uint8_t *frame, uint32_t cap_len, struct fc_fast *x)
{
	const uint8_t *h, *t;
	uint32_t off = FC_ETH_HLEN;
	uint16_t type;

	/* Ethernet + IPv4 + UDP is the shortest frame taken here. */
	if (FC_UNLIKELY(cap_len < FC_ETH_HLEN + 20 + FC_UDP_HLEN))
		return 0;
	type = fc_be16(frame + 12);
	if (type == FC_ETH_P_VLAN) {
		type = fc_be16(frame + FC_ETH_HLEN + 2);
		off += 4;
	}
	h = frame + off;
	if (FC_LIKELY(type == FC_ETH_P_IPV4)) {
		/* Version 4, 20-byte header; no MF flag, no fragment offset. */
		if (FC_UNLIKELY(h[0] != 0x45 || (fc_be16(h + 6) & 0x3fff) != 0))
			return 0;
		x->ip_end = off + fc_be16(h + 2);
		x->l4 = off + 20;
		x->proto = h[9];
	} else if (type == FC_ETH_P_IPV6) {
		if (FC_UNLIKELY(cap_len < off + 40 || (h[0] >> 4) != 6))
			return 0;
		x->ip_end = off + 40 + fc_be16(h + 4);
		x->l4 = off + 40;
		x->proto = h[6];
	} else {
		return 0;
	}
	/* An IPv4 total length below 20 leaves cap_end below l4. */
	x->cap_end = fc_min(cap_len, x->ip_end);
	t = frame + x->l4;
	if (FC_LIKELY(x->proto == FC_IPPROTO_TCP)) {
		if (FC_UNLIKELY(x->cap_end < x->l4 + FC_TCP_HLEN))
			return 0;
		x->hl = (uint32_t)(t[12] >> 4) * 4;
		if (FC_UNLIKELY(x->hl < FC_TCP_HLEN || x->cap_end < x->l4 + x->hl))
			return 0;
	} else if (x->proto == FC_IPPROTO_UDP) {
		if (FC_UNLIKELY(x->cap_end < x->l4 + FC_UDP_HLEN ||
				fc_be16(t + 4) < FC_UDP_HLEN))
			return 0;
		x->hl = FC_UDP_HLEN;
	} else {
		return 0;
	}
	x->off = off;
	x->type = type;
	return 1;
}

/*
 * Whether a UDP datagram the fast path takes (x, ports sport and dport)
 * may be a tunnel: on a VXLAN or GTP-U port, or able to hold what
 * fc_tun_teredo() accepts (40 bytes or more, opening with 0x00 or an IPv6
 * version nibble; Teredo runs on any port).
 */
static inline int
fc_fast_udp_tunnel(const uint8_t *frame, const struct fc_fast *x,
		   uint16_t sport, uint16_t dport,
		   const struct fc_pkt_params *params)
{
	uint32_t pay = x->l4 + FC_UDP_HLEN;

	return fc_pkt_tunnel_port(params, sport, dport) ||
		(x->cap_end - pay >= 40 &&
		 (frame[pay] == 0 || (frame[pay] >> 4) == 6));
}

/*
 * The fast path: the frames fc_fast_take() takes. A frame it does not
 * take goes to fc_dec_frame(). The result is the general decoder's, field
 * for field (a unit test compares the two on every frame of the shared
 * captures).
 */
enum fc_pkt_status
fc_pkt_decode(const uint8_t *frame, uint32_t cap_len, uint32_t wire_len,
	      const struct fc_pkt_params *params, struct fc_pkt_meta *m)
{
	struct fc_pkt_layer *l = &m->layer[0];
	const uint8_t *h, *t;
	struct fc_fast x;
	uint32_t pay;
	uint16_t ip_len;

	if (FC_UNLIKELY(!fc_fast_take(frame, cap_len, &x)))
		return fc_dec_frame(frame, cap_len, wire_len, params, m);
	/* Accepted: from here on the frame cannot fail. */
	fc_meta_clear(m);
	m->cap_len = cap_len;
	memcpy(m->dst_mac, frame, 12); /* dst_mac, then src_mac */
	if (x.off != FC_ETH_HLEN) {
		m->vlan_outer = fc_be16(frame + FC_ETH_HLEN) & 0x0fff;
		m->vlan_depth = 1;
	}
	m->ethertype = x.type;
	m->l2_len = x.off;
	h = frame + x.off;
	if (FC_LIKELY(x.type == FC_ETH_P_IPV4)) {
		ip_len = fc_be16(h + 2);
		l->ip_version = 4;
		l->ttl = h[8];
		memcpy(l->src, h + 12, 4);
		memcpy(l->dst, h + 16, 4);
	} else {
		ip_len = (uint16_t)fc_min(x.ip_end - x.off, UINT16_MAX);
		l->ip_version = 6;
		l->flow_label = fc_be32(h) & 0x000fffff;
		l->ttl = h[7];
		memcpy(l->src, h + 8, 16);
		memcpy(l->dst, h + 24, 16);
	}
	m->n_layers = 1;
	l->ip_len = ip_len;
	if (wire_len == 0)
		wire_len = x.off + ip_len;
	m->wire_len = wire_len > cap_len ? wire_len : cap_len;
	t = frame + x.l4;
	pay = x.l4 + x.hl;
	l->sport = fc_be16(t);
	l->dport = fc_be16(t + 2);
	l->l3_off = (uint16_t)x.off;
	l->l4_off = (uint16_t)x.l4;
	l->payload_off = (uint16_t)pay;
	l->payload_len = (uint16_t)(x.ip_end - pay);
	l->payload_cap = (uint16_t)(x.cap_end - pay);
	l->proto = x.proto;
	l->has_l4 = 1;
	if (x.proto == FC_IPPROTO_UDP) {
		if (fc_fast_udp_tunnel(frame, &x, l->sport, l->dport, params))
			return fc_dec_tunnels(frame, params, m);
		return FC_PKT_OK;
	}
	l->tcp.seq = fc_be32(t + 4);
	l->tcp.ack = fc_be32(t + 8);
	l->tcp.flags = t[13];
	l->tcp.win = fc_be16(t + 14);
	l->tcp.doff = (uint8_t)x.hl;
	if (x.hl > FC_TCP_HLEN) {
		/* NOP, NOP, timestamps: what most data segments carry. */
		if (x.hl == FC_TCP_HLEN + 12 && fc_be32(t + 20) == 0x0101080a) {
			l->tcp.tsval = fc_be32(t + 24);
			l->tcp.tsecr = fc_be32(t + 28);
			l->tcp.opts = FC_TCP_OPT_TS;
		} else {
			return fc_dec_tcp_opts(t + FC_TCP_HLEN,
					       x.hl - FC_TCP_HLEN, &l->tcp);
		}
	}
	return FC_PKT_OK;
}

int
fc_pkt_peek(const uint8_t *frame, uint32_t cap_len,
	    const struct fc_pkt_params *params, struct fc_pkt_peek *p)
{
	const uint8_t *h, *t;
	struct fc_fast x;
	uint16_t sport, dport;

	if (!fc_fast_take(frame, cap_len, &x))
		return 0;
	t = frame + x.l4;
	sport = fc_be16(t);
	dport = fc_be16(t + 2);
	if (x.proto == FC_IPPROTO_UDP &&
	    fc_fast_udp_tunnel(frame, &x, sport, dport, params))
		return 0;
	h = frame + x.off;
	/* Whole words: the caller reads them back as such. */
	if (x.type == FC_ETH_P_IPV4) {
		uint32_t a, b;

		memcpy(&a, h + 12, 4);
		memcpy(&b, h + 16, 4);
		p->src[0] = a; /* bytes 0..3 in memory order (little-endian word) */
		p->dst[0] = b;
		p->src[1] = p->dst[1] = 0;
		p->ip_version = 4;
	} else {
		memcpy(p->src, h + 8, 16);
		memcpy(p->dst, h + 24, 16);
		p->ip_version = 6;
	}
	p->sport = sport;
	p->dport = dport;
	p->proto = x.proto;
	return 1;
}

void
fc_pkt_stats_count_rare(struct fc_pkt_stats *s, const struct fc_pkt_meta *m)
{
	unsigned int i;

	if (m->inner_status != FC_PKT_OK &&
	    m->inner_status < FC_PKT_STATUS_MAX)
		s->inner_bad[m->inner_status]++;
	for (i = 0; i < m->n_layers && i < FC_PKT_MAX_LAYERS; i++) {
		const struct fc_pkt_layer *l = &m->layer[i];

		if (l->tunnel != FC_TUN_NONE && l->tunnel < FC_TUN_MAX)
			s->tunnels[l->tunnel]++;
		if (l->frag != FC_FRAG_NONE)
			s->fragments++;
	}
}

const char *
fc_pkt_status_name(unsigned int status)
{
	return status < FC_DIM(fc_pkt_status_names) ?
		fc_pkt_status_names[status] : "?";
}

const char *
fc_tunnel_name(unsigned int tunnel)
{
	return tunnel < FC_DIM(fc_tunnel_names) ? fc_tunnel_names[tunnel] : "?";
}

const char *
fc_decap_name(unsigned int decap)
{
	return decap < FC_DIM(fc_decap_names) ? fc_decap_names[decap] : "?";
}

/** Index of the name equal to s[0..len) in names[from..n), or -1. */
static int
fc_name_index(const char *const *names, unsigned int from, unsigned int n,
	      const char *s, size_t len)
{
	unsigned int i;

	for (i = from; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return (int)i;
	return -1;
}

int
fc_pkt_parse_decap(const char *spec, struct fc_pkt_params *params)
{
	uint8_t decap[FC_TUN_MAX];
	const char *p;
	unsigned int i;
	int pol;

	if (spec == NULL || params == NULL)
		return -EINVAL;
	memcpy(decap, params->decap, sizeof(decap));
	pol = fc_name_index(fc_decap_names, 0, FC_DECAP_MAX, spec, strlen(spec));
	if (pol >= 0) {
		for (i = 0; i < FC_TUN_MAX; i++)
			decap[i] = (uint8_t)pol;
		memcpy(params->decap, decap, sizeof(decap));
		return 0;
	}
	/* KIND=POLICY[,KIND=POLICY...]; no empty items, no blanks. */
	p = spec;
	for (;;) {
		const char *eq = strchr(p, '=');
		const char *end = strchr(p, ',');
		int kind;

		if (end == NULL)
			end = p + strlen(p);
		if (eq == NULL || eq > end)
			return -EINVAL;
		kind = fc_name_index(fc_tunnel_names, FC_TUN_NONE + 1,
				     FC_TUN_MAX, p, (size_t)(eq - p));
		pol = fc_name_index(fc_decap_names, 0, FC_DECAP_MAX, eq + 1,
				    (size_t)(end - eq - 1));
		if (kind < 0 || pol < 0)
			return -EINVAL;
		decap[kind] = (uint8_t)pol;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	memcpy(params->decap, decap, sizeof(decap));
	return 0;
}
