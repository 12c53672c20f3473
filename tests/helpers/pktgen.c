/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test frame builder (see pktgen.h). Headers are appended in wire order
 * into a flat buffer; a "pending next-type field" remembers where the
 * previous header announces what follows, so that 0 there can be filled
 * in by the next append, and a short list of length fields is fixed up
 * once the frame is complete.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#include "pktgen.h"

/* Kinds of pending next-type field (struct fctest_pkt.next_kind). */
enum fctest__next {
	FCTEST__NEXT_NONE = 0,
	FCTEST__NEXT_ETHERTYPE, /* 16-bit ethertype (Ethernet, VLAN) */
	FCTEST__NEXT_GRE,       /* 16-bit GRE protocol type */
	FCTEST__NEXT_IPPROTO,   /* 8-bit IPv4 protocol / IPv6 next header */
	FCTEST__NEXT_GTPU_EXT,  /* 8-bit GTP-U next extension type */
};

/* What is being appended, to pick the value of a pending field. */
enum fctest__hdr {
	FCTEST__H_RAW = 0,
	FCTEST__H_ETH,
	FCTEST__H_VLAN,
	FCTEST__H_MPLS,
	FCTEST__H_IP4,
	FCTEST__H_IP6,
	FCTEST__H_IP6_EXT,
	FCTEST__H_TCP,
	FCTEST__H_UDP,
	FCTEST__H_ICMP,
	FCTEST__H_ICMP6,
	FCTEST__H_SCTP,
	FCTEST__H_GRE,
	FCTEST__H_TUNNEL, /* VXLAN, GTP-U: announced by a port */
	FCTEST__H_GTPU_EXT,
};

/* Kinds of length field (struct fctest_pkt_fix.kind). */
enum fctest__fix {
	FCTEST__FIX_IP4 = 1,
	FCTEST__FIX_IP6,
	FCTEST__FIX_UDP,
	FCTEST__FIX_GTPU,
};

static void
fctest__wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void
fctest__wr32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* Value of a pending field of kind k for header h (sub: ext type, TPID), or 0. */
static uint16_t
fctest__next_value(unsigned int k, unsigned int h, uint16_t sub)
{
	switch (k) {
	case FCTEST__NEXT_ETHERTYPE:
	case FCTEST__NEXT_GRE:
		switch (h) {
		case FCTEST__H_IP4:
			return 0x0800;
		case FCTEST__H_IP6:
			return 0x86dd;
		case FCTEST__H_MPLS:
			return 0x8847;
		case FCTEST__H_VLAN:
			return sub;
		case FCTEST__H_ETH:
			return k == FCTEST__NEXT_GRE ? 0x6558 : 0;
		default:
			return 0;
		}
	case FCTEST__NEXT_IPPROTO:
		switch (h) {
		case FCTEST__H_IP4:
			return 4;
		case FCTEST__H_IP6:
			return 41;
		case FCTEST__H_IP6_EXT:
			return sub;
		case FCTEST__H_TCP:
			return 6;
		case FCTEST__H_UDP:
			return 17;
		case FCTEST__H_ICMP:
			return 1;
		case FCTEST__H_ICMP6:
			return 58;
		case FCTEST__H_SCTP:
			return 132;
		case FCTEST__H_GRE:
			return 47;
		default:
			return 0;
		}
	case FCTEST__NEXT_GTPU_EXT:
		return h == FCTEST__H_GTPU_EXT ? sub : 0;
	default:
		return 0;
	}
}

/*
 * Reserve n zeroed bytes for header h: fill the pending next-type field,
 * close an MPLS run. Returns the offset, or -1 (sticky) if it does not fit.
 */
static int
fctest__append(struct fctest_pkt *p, uint32_t n, unsigned int h, uint16_t sub)
{
	uint32_t off = p->len;
	uint16_t v;

	if (p->err || n > p->size - p->len || p->end != 0) {
		p->err = 1;
		return -1;
	}
	v = fctest__next_value(p->next_kind, h, sub);
	if (v != 0) {
		uint8_t *f = p->buf + p->next_off;

		if (p->next_kind == FCTEST__NEXT_ETHERTYPE ||
		    p->next_kind == FCTEST__NEXT_GRE) {
			if (f[0] == 0 && f[1] == 0)
				fctest__wr16(f, v);
		} else if (f[0] == 0) {
			f[0] = (uint8_t)v;
		}
	}
	p->next_kind = FCTEST__NEXT_NONE;
	if (p->in_mpls && h != FCTEST__H_MPLS)
		p->buf[p->mpls_off + 2] |= 0x01;
	p->in_mpls = 0;
	memset(p->buf + off, 0, n);
	p->len += n;
	return (int)off;
}

static void
fctest__pending(struct fctest_pkt *p, uint32_t off, unsigned int kind)
{
	p->next_off = off;
	p->next_kind = (uint8_t)kind;
}

static void
fctest__fix(struct fctest_pkt *p, uint32_t off, unsigned int kind)
{
	if (p->n_fix == FCTEST_PKT_MAX_FIX) {
		p->err = 1;
		return;
	}
	p->fix[p->n_fix].off = off;
	p->fix[p->n_fix].kind = (uint8_t)kind;
	p->n_fix++;
}

void
fctest_pkt_init(struct fctest_pkt *p, uint8_t *buf, uint32_t size)
{
	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->size = size;
}

int
fctest_pkt_eth(struct fctest_pkt *p, const uint8_t *dst, const uint8_t *src,
	       uint16_t type)
{
	static const uint8_t def_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t def_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	int off = fctest__append(p, 14, FCTEST__H_ETH, 0);
	uint8_t *h;

	if (off < 0)
		return -1;
	h = p->buf + off;
	memcpy(h, dst != NULL ? dst : def_dst, 6);
	memcpy(h + 6, src != NULL ? src : def_src, 6);
	fctest__wr16(h + 12, type);
	fctest__pending(p, (uint32_t)off + 12, FCTEST__NEXT_ETHERTYPE);
	return off;
}

int
fctest_pkt_vlan(struct fctest_pkt *p, uint16_t tpid, uint16_t tci)
{
	int off = fctest__append(p, 4, FCTEST__H_VLAN, tpid != 0 ? tpid : 0x8100);

	if (off < 0)
		return -1;
	fctest__wr16(p->buf + off, tci);
	fctest__pending(p, (uint32_t)off + 2, FCTEST__NEXT_ETHERTYPE);
	return off;
}

int
fctest_pkt_mpls(struct fctest_pkt *p, uint32_t label, uint8_t ttl)
{
	int off = fctest__append(p, 4, FCTEST__H_MPLS, 0);

	if (off < 0)
		return -1;
	fctest__wr32(p->buf + off, (label & 0xfffff) << 12 | ttl);
	p->in_mpls = 1;
	p->mpls_off = (uint32_t)off;
	return off;
}

int
fctest_pkt_addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (s == NULL)
		return -1;
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, out) == 1)
		return 6;
	return -1;
}

int
fctest_pkt_ip4(struct fctest_pkt *p, const struct fctest_ip4 *ip)
{
	uint32_t olen = ((uint32_t)ip->opts_len + 3) & ~3u;
	uint8_t a[16];
	uint8_t *h;
	int off;

	if (olen > 40) {
		p->err = 1;
		return -1;
	}
	off = fctest__append(p, 20 + olen, FCTEST__H_IP4, 0);
	if (off < 0)
		return -1;
	h = p->buf + off;
	h[0] = (uint8_t)(0x40 | (20 + olen) / 4);
	h[1] = ip->tos;
	fctest__wr16(h + 4, ip->id);
	fctest__wr16(h + 6, ip->frag);
	h[8] = ip->ttl != 0 ? ip->ttl : 64;
	h[9] = ip->proto;
	if (fctest_pkt_addr(ip->src != NULL ? ip->src : "10.0.0.1", a) != 4)
		p->err = 1;
	memcpy(h + 12, a, 4);
	if (fctest_pkt_addr(ip->dst != NULL ? ip->dst : "10.0.0.2", a) != 4)
		p->err = 1;
	memcpy(h + 16, a, 4);
	if (ip->opts_len != 0)
		memcpy(h + 20, ip->opts, ip->opts_len);
	fctest__pending(p, (uint32_t)off + 9, FCTEST__NEXT_IPPROTO);
	fctest__fix(p, (uint32_t)off, FCTEST__FIX_IP4);
	return off;
}

int
fctest_pkt_ip6(struct fctest_pkt *p, const struct fctest_ip6 *ip)
{
	uint8_t *h;
	int off = fctest__append(p, 40, FCTEST__H_IP6, 0);

	if (off < 0)
		return -1;
	h = p->buf + off;
	fctest__wr32(h, 6u << 28 | (uint32_t)ip->tclass << 20 |
		     (ip->flow_label & 0xfffff));
	h[6] = ip->nh;
	h[7] = ip->hlim != 0 ? ip->hlim : 64;
	if (fctest_pkt_addr(ip->src != NULL ? ip->src : "2001:db8::1", h + 8) != 6)
		p->err = 1;
	if (fctest_pkt_addr(ip->dst != NULL ? ip->dst : "2001:db8::2", h + 24) != 6)
		p->err = 1;
	fctest__pending(p, (uint32_t)off + 6, FCTEST__NEXT_IPPROTO);
	fctest__fix(p, (uint32_t)off, FCTEST__FIX_IP6);
	return off;
}

int
fctest_pkt_ip6_ext(struct fctest_pkt *p, uint8_t type, uint16_t len)
{
	int ah = type == 51;
	int off;

	if ((ah && (len < 12 || len % 4 != 0 || len > 1028)) ||
	    (!ah && (len < 8 || len % 8 != 0 || len > 2048))) {
		p->err = 1;
		return -1;
	}
	off = fctest__append(p, len, FCTEST__H_IP6_EXT, type);
	if (off < 0)
		return -1;
	p->buf[off + 1] = (uint8_t)(ah ? len / 4 - 2 : len / 8 - 1);
	fctest__pending(p, (uint32_t)off, FCTEST__NEXT_IPPROTO);
	return off;
}

int
fctest_pkt_ip6_frag(struct fctest_pkt *p, uint16_t offset, int more,
		    uint32_t id)
{
	int off = fctest__append(p, 8, FCTEST__H_IP6_EXT, 44);

	if (off < 0)
		return -1;
	fctest__wr16(p->buf + off + 2,
		     (uint16_t)(offset << 3 | (more ? 1 : 0)));
	fctest__wr32(p->buf + off + 4, id);
	fctest__pending(p, (uint32_t)off, FCTEST__NEXT_IPPROTO);
	return off;
}

int
fctest_pkt_tcp(struct fctest_pkt *p, const struct fctest_tcp *tcp)
{
	uint32_t olen = ((uint32_t)tcp->opts_len + 3) & ~3u;
	uint8_t *h;
	int off;

	if (olen > 40) {
		p->err = 1;
		return -1;
	}
	off = fctest__append(p, 20 + olen, FCTEST__H_TCP, 0);
	if (off < 0)
		return -1;
	h = p->buf + off;
	fctest__wr16(h, tcp->sport);
	fctest__wr16(h + 2, tcp->dport);
	fctest__wr32(h + 4, tcp->seq);
	fctest__wr32(h + 8, tcp->ack);
	h[12] = (uint8_t)((20 + olen) / 4 << 4);
	h[13] = tcp->flags;
	fctest__wr16(h + 14, tcp->win);
	if (tcp->opts_len != 0)
		memcpy(h + 20, tcp->opts, tcp->opts_len);
	return off;
}

int
fctest_pkt_udp(struct fctest_pkt *p, uint16_t sport, uint16_t dport)
{
	int off = fctest__append(p, 8, FCTEST__H_UDP, 0);

	if (off < 0)
		return -1;
	fctest__wr16(p->buf + off, sport);
	fctest__wr16(p->buf + off + 2, dport);
	fctest__fix(p, (uint32_t)off, FCTEST__FIX_UDP);
	return off;
}

static int
fctest__icmp(struct fctest_pkt *p, unsigned int h, uint8_t type, uint8_t code,
	     uint32_t rest)
{
	int off = fctest__append(p, 8, h, 0);

	if (off < 0)
		return -1;
	p->buf[off] = type;
	p->buf[off + 1] = code;
	fctest__wr32(p->buf + off + 4, rest);
	return off;
}

int
fctest_pkt_icmp(struct fctest_pkt *p, uint8_t type, uint8_t code,
		uint32_t rest)
{
	return fctest__icmp(p, FCTEST__H_ICMP, type, code, rest);
}

int
fctest_pkt_icmp6(struct fctest_pkt *p, uint8_t type, uint8_t code,
		 uint32_t rest)
{
	return fctest__icmp(p, FCTEST__H_ICMP6, type, code, rest);
}

int
fctest_pkt_sctp(struct fctest_pkt *p, uint16_t sport, uint16_t dport,
		uint32_t vtag)
{
	int off = fctest__append(p, 12, FCTEST__H_SCTP, 0);

	if (off < 0)
		return -1;
	fctest__wr16(p->buf + off, sport);
	fctest__wr16(p->buf + off + 2, dport);
	fctest__wr32(p->buf + off + 4, vtag);
	return off;
}

int
fctest_pkt_gre(struct fctest_pkt *p, const struct fctest_gre *gre)
{
	uint32_t n = 4, o = 4;
	uint8_t *h;
	int off;

	n += (gre->flags & FCTEST_GRE_C) ? 4 : 0;
	n += (gre->flags & FCTEST_GRE_K) ? 4 : 0;
	n += (gre->flags & FCTEST_GRE_S) ? 4 : 0;
	off = fctest__append(p, n, FCTEST__H_GRE, 0);
	if (off < 0)
		return -1;
	h = p->buf + off;
	fctest__wr16(h, (uint16_t)((gre->flags & 0xfff8) | (gre->version & 7)));
	fctest__wr16(h + 2, gre->proto);
	if (gre->flags & FCTEST_GRE_C)
		o += 4; /* checksum and reserved1 left 0 */
	if (gre->flags & FCTEST_GRE_K) {
		fctest__wr32(h + o, gre->key);
		o += 4;
	}
	if (gre->flags & FCTEST_GRE_S)
		fctest__wr32(h + o, gre->seq);
	fctest__pending(p, (uint32_t)off + 2, FCTEST__NEXT_GRE);
	return off;
}

int
fctest_pkt_vxlan(struct fctest_pkt *p, uint8_t flags, uint32_t vni)
{
	int off = fctest__append(p, 8, FCTEST__H_TUNNEL, 0);

	if (off < 0)
		return -1;
	p->buf[off] = flags;
	fctest__wr32(p->buf + off + 4, (vni & 0xffffff) << 8);
	return off;
}

int
fctest_pkt_gtpu(struct fctest_pkt *p, const struct fctest_gtpu *g)
{
	uint8_t opt = g->flags & 0x07;
	uint8_t *h;
	int off = fctest__append(p, opt != 0 ? 12 : 8, FCTEST__H_TUNNEL, 0);

	if (off < 0)
		return -1;
	h = p->buf + off;
	h[0] = (uint8_t)(0x30 | opt);
	h[1] = g->type != 0 ? g->type : 0xff;
	fctest__wr32(h + 4, g->teid);
	if (opt != 0) {
		fctest__wr16(h + 8, g->seq);
		fctest__pending(p, (uint32_t)off + 11, FCTEST__NEXT_GTPU_EXT);
	}
	fctest__fix(p, (uint32_t)off, FCTEST__FIX_GTPU);
	return off;
}

int
fctest_pkt_gtpu_ext(struct fctest_pkt *p, uint8_t type, uint8_t units)
{
	int off;

	if (units == 0 || p->next_kind != FCTEST__NEXT_GTPU_EXT) {
		p->err = 1;
		return -1;
	}
	off = fctest__append(p, (uint32_t)units * 4, FCTEST__H_GTPU_EXT, type);
	if (off < 0)
		return -1;
	p->buf[off] = units;
	fctest__pending(p, (uint32_t)off + units * 4u - 1, FCTEST__NEXT_GTPU_EXT);
	return off;
}

int
fctest_pkt_bytes(struct fctest_pkt *p, const void *data, uint32_t n)
{
	int off = fctest__append(p, n, FCTEST__H_RAW, 0);

	if (off < 0)
		return -1;
	if (data != NULL && n != 0)
		memcpy(p->buf + off, data, n);
	return off;
}

int
fctest_pkt_trailer(struct fctest_pkt *p, uint32_t n)
{
	int off = fctest__append(p, n, FCTEST__H_RAW, 0);

	if (off < 0)
		return -1;
	p->end = (uint32_t)off;
	return off;
}

/* RFC 1071 checksum of an IPv4 header. */
static uint16_t
fctest__ip4_csum(const uint8_t *h, uint32_t n)
{
	uint32_t sum = 0, i;

	for (i = 0; i < n; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
fctest_pkt_finish(struct fctest_pkt *p)
{
	uint32_t end = p->end != 0 ? p->end : p->len;
	unsigned int i;

	/* A frame ending in MPLS labels gets its bottom-of-stack bit too. */
	if (p->in_mpls)
		p->buf[p->mpls_off + 2] |= 0x01;
	p->in_mpls = 0;
	if (p->err)
		return -1;
	for (i = 0; i < p->n_fix; i++) {
		uint32_t off = p->fix[i].off;
		uint8_t *h = p->buf + off;

		switch (p->fix[i].kind) {
		case FCTEST__FIX_IP4:
			fctest__wr16(h + 2, (uint16_t)(end - off));
			fctest__wr16(h + 10, 0);
			fctest__wr16(h + 10,
				     fctest__ip4_csum(h, (uint32_t)(h[0] & 0x0f) * 4));
			break;
		case FCTEST__FIX_IP6:
			fctest__wr16(h + 4, (uint16_t)(end - off - 40));
			break;
		case FCTEST__FIX_UDP:
			fctest__wr16(h + 4, (uint16_t)(end - off));
			break;
		case FCTEST__FIX_GTPU:
			fctest__wr16(h + 2, (uint16_t)(end - off - 8));
			break;
		default:
			break;
		}
	}
	return (int)p->len;
}

void
fctest_pkt_put8(struct fctest_pkt *p, uint32_t off, uint8_t v)
{
	if (off < p->len)
		p->buf[off] = v;
}

void
fctest_pkt_put16(struct fctest_pkt *p, uint32_t off, uint16_t v)
{
	if (off + 2 <= p->len)
		fctest__wr16(p->buf + off, v);
}

void
fctest_pkt_put32(struct fctest_pkt *p, uint32_t off, uint32_t v)
{
	if (off + 4 <= p->len)
		fctest__wr32(p->buf + off, v);
}

struct rte_mbuf *
fctest_pkt_mbuf(struct rte_mempool *mp, const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *m;
	char *d;

	if (len > UINT16_MAX)
		return NULL;
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	d = rte_pktmbuf_append(m, (uint16_t)len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, frame, len);
	return m;
}
