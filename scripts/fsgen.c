/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsgen: synthetic traffic for the performance work on flowscope, written
 * as a classic pcap file (little-endian header, microsecond timestamps,
 * LINKTYPE_ETHERNET). Plain C11 + libm; no DPDK.
 *
 *   fsgen --out FILE [options]
 *
 *   --out FILE              output file ("-": stdout); required
 *   --packets N             packets to write (default 1000000)
 *   --flows N               concurrent flows: the live set (default 1000)
 *   --proto tcp|udp|mix     transport; mix: half the flows of each (default tcp)
 *   --tcp-sessions          each TCP flow opens with SYN / SYN-ACK / ACK and
 *                           closes with FIN-ACK / FIN-ACK / ACK around its
 *                           data packets (sequence and ack numbers consistent)
 *   --size 64|imix|1500|N   Ethernet frame size on the wire, FCS included:
 *                           the pcap record holds N - 4 bytes (64 = the
 *                           smallest frame, a 60-byte record; 1500 = a
 *                           1496-byte record, IP packet 1482; 1518 = a full
 *                           1500-byte IP MTU);
 *                           imix = 64/570/1518 in the ratio 7:4:1 by count
 *                           (default 64)
 *   --popularity uniform|zipf[:s]|roundrobin
 *                           which live flow sends the next packet: uniform,
 *                           Zipf with exponent s over the flow slots
 *                           (slot 0 hottest; default s = 1.0), or round
 *                           robin: slot 0, 1, ..., N-1, 0, ... so every
 *                           live flow sends in turn (N packets over N
 *                           flows write exactly N flows)
 *   --rate FLOWS_PER_S      new-flow arrivals per second of traffic time;
 *                           each arrival replaces the oldest live flow, so
 *                           the live set stays at --flows while the total
 *                           grows (churn). Default 0: the set never changes
 *   --pps N                 packet rate, spaces the timestamps (default 1000000)
 *   --vlan ID               one 802.1Q tag (outer frame) on every frame
 *   --tunnel vxlan|gre      encapsulate every frame: IPv4/UDP 4789/VXLAN
 *                           (VNI 1)/Ethernet, or IPv4/GRE (RFC 2784, no
 *                           options); outer endpoints 192.0.2.1 <-> 192.0.2.2
 *   --ipv6-share PCT        percentage of flows that are IPv6 (default 0)
 *   --seed N                random seed (default 1): same options and seed,
 *                           same bytes
 *   --help
 *
 * At the end one line on stderr: packets, flows, bytes (sum of the pcap
 * record lengths), traffic seconds, and the generation time, rate and CPU
 * time (user + system: the machine may be shared).
 *
 * FLOWS. A flow is a distinct 5-tuple derived from its index f (0, 1, ...,
 * in order of creation): client 10.0.0.0 + (f + 1) % 2^24 or
 * 2001:db8::<f as 64 bits>, client port 1024 + a scramble of f, server
 * 198.18.0.(1 + f % 254) or 2001:db8:1::(1 + f % 254), server port
 * 5001 + f % 8. Distinct for the first 2^24 * 64512 flows. Whether a flow is
 * IPv6, TCP or UDP (mix), and its initial sequence numbers, come from a hash
 * of f and the seed. Packets of a flow alternate direction, client first.
 * A flow appears in the file the first time it is picked, so with random
 * picks (uniform: about 63% of the live set after as many packets as
 * flows; Zipf: fewer), or with fewer packets than flows, fewer flows than
 * the live set may appear: the summary counts the flows actually written.
 * Round robin writes every live flow once there are as many packets as
 * flows (with --tcp-sessions, as many sessions as fit).
 *
 * HOW IT WORKS. The live set is an array of --flows slots. Each packet
 * picks a slot: uniform is one multiply-high of a 64-bit random number;
 * Zipf uses Vose's alias table built once at start (one random number, one
 * compare per packet, no log or pow); round robin takes the slot after
 * the previous pick (no random number). Picks are drawn a few packets ahead
 * and their slots prefetched. The picked flow writes its next packet (the
 * handshake, data, or for UDP just data). Arrivals (--rate) are scheduled
 * on the packet index with integer arithmetic (arrival j comes before
 * packet ceil(j * pps / rate)); an arrival gives the oldest slot (round
 * robin) a new flow; a replaced TCP session first writes the rest of its
 * handshake, if any, and its close, right then.
 *
 * Every TCP session in the file is complete. The generator keeps the
 * number of packets that closing every open session would take; when the
 * packets left could no longer pay for opening one more session, new
 * sessions stop (picks of unopened flows go to the flow that sent last,
 * arrivals stop), and when the packets left equal that cost, every open
 * session closes. With fewer than 6 packets per session the file may
 * hold fewer packets than asked for (the summary says so).
 *
 * FRAMES. Data packets take the --size distribution; handshake and close
 * packets are as small as their headers allow. A record holds the frame
 * without its FCS (a 64-byte frame is a 60-byte record, captured length
 * = original length). A frame never shrinks below its headers nor below
 * 60 captured bytes (padding after the IP packet). Payload bytes are
 * zero. IPv4 header checksums and TCP/UDP checksums are correct (zero
 * payload adds nothing to the sum); the outer UDP checksum of VXLAN is 0,
 * as RFC 7348 allows over IPv4. Nothing depends on the machine or the
 * clock: timestamps start at 1700000000 s and step by 1/pps (integer
 * arithmetic), and the file is little-endian whatever the host order.
 *
 * MEMORY. 24 bytes per live flow (32 with Zipf); --flows up to 2^26.
 *
 * SPEED. Frames are built in place in a 256 KiB buffer (small enough to
 * stay in the L2 cache for the kernel's copy) written with one
 * write(2) each time it fills: no per-packet system call, no per-packet
 * allocation.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GEN_T0_SEC        1700000000u
#define GEN_BUF_SIZE      (256u << 10)
#define GEN_REC_HDR       16u
#define GEN_FCS           4u
#define GEN_MIN_CAP       60u         /* 64 on the wire minus the FCS */
#define GEN_MIN_SIZE      64u
#define GEN_MAX_SIZE      9600u       /* jumbo frames, FCS included */
#define GEN_SNAPLEN       65535u
#define GEN_MAX_FLOWS     (1u << 26)
#define GEN_AHEAD         8u          /* picks drawn ahead (power of 2) */
#define GEN_NS_PER_SEC    1000000000u
#define GEN_SESSION_OPEN  3u          /* SYN, SYN-ACK, ACK */
#define GEN_SESSION_CLOSE 3u          /* FIN-ACK, FIN-ACK, ACK */

#define ETH_LEN    14u
#define VLAN_LEN   4u
#define IP4_LEN    20u
#define IP6_LEN    40u
#define UDP_LEN    8u
#define TCP_LEN    20u
#define VXLAN_LEN  8u
#define GRE_LEN    4u
#define VXLAN_PORT 4789u

#define TH_FIN 0x01u
#define TH_SYN 0x02u
#define TH_PSH 0x08u
#define TH_ACK 0x10u

/* Flow kind bits (struct gen_slot.kind). */
#define K_TCP 0x1u
#define K_V6  0x2u

enum gen_proto { PROTO_TCP, PROTO_UDP, PROTO_MIX };
enum gen_tunnel { TUN_NONE, TUN_VXLAN, TUN_GRE };

/* IMIX 7:4:1 by count: one table entry per unit, picked uniformly. */
static const uint16_t imix_sizes[] = {
	64, 64, 64, 64, 64, 64, 64, 570, 570, 570, 570, 1518,
};

/** One live flow. */
struct gen_slot {
	uint64_t id;      /**< flow index: addresses and ports */
	uint32_t cnext;   /**< next client sequence number */
	uint32_t snext;   /**< next server sequence number */
	uint32_t npkts;   /**< packets written by this flow */
	uint8_t kind;     /**< K_TCP, K_V6 */
};

/** One entry of the alias table: keep the entry if rand32 < prob, else alias. */
struct gen_alias {
	uint32_t prob;
	uint32_t alias;
};

/** Options. */
struct gen_opts {
	const char *out;
	uint64_t packets;
	uint32_t flows;
	enum gen_proto proto;
	bool sessions;
	uint32_t size;          /**< wire size; 0 = imix */
	bool zipf;
	bool roundrobin;        /**< slots in turn, no random pick */
	double zipf_s;
	uint64_t rate;          /**< arrivals per second, 0 = none */
	uint64_t pps;
	int vlan;               /**< -1: untagged */
	enum gen_tunnel tunnel;
	uint32_t ipv6_pct;
	uint64_t seed;
};

/** Generator state. */
struct gen {
	struct gen_opts o;
	struct gen_slot *slots;
	struct gen_alias *alias; /**< Zipf: alias table, NULL for uniform */
	uint64_t rng;           /**< splitmix64 state */
	uint64_t draw[GEN_AHEAD];  /**< raw picks, alias entry prefetched */
	uint32_t ahead[GEN_AHEAD]; /**< resolved picks, slot prefetched */
	unsigned int ahead_pos;
	uint32_t rr_pick;       /**< round robin: slot of the next pick */
	uint64_t next_id;       /**< index of the next new flow */
	/* Counters. */
	uint64_t written;       /**< packets written */
	uint64_t bytes;         /**< sum of record lengths */
	uint64_t flows_seen;    /**< flows that wrote at least one packet */
	uint64_t open_cost;     /**< packets needed to close every open session */
	/* Clock: packet k at k * 1e9 / pps ns after T0. */
	uint64_t ts_sec;
	uint32_t ts_ns;
	uint32_t step_ns;
	uint64_t step_rem;
	uint64_t step_frac;
	/* Arrivals: arrival j before packet base + (acc != 0). */
	uint64_t arr_base;
	uint64_t arr_acc;
	uint64_t arr_q;
	uint64_t arr_r;
	uint32_t rr;            /**< next slot an arrival replaces */
	bool end_phase;         /**< no new sessions, no arrivals */
	int64_t last_slot;      /**< slot of the last picked packet, -1: none */
	/* Layout. */
	uint32_t l2_len;        /**< Ethernet (+ VLAN) of the outer frame */
	uint32_t tun_len;       /**< tunnel headers up to the inner IP header */
	/* Output. */
	int fd;
	uint8_t *buf;
	size_t used;
	int werr;               /**< errno of a failed write, 0 */
};

/* ---------------------------------------------------------------- */
/* Small helpers.                                                   */

static inline uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t
mix64(uint64_t x)
{
	uint64_t s = x;

	return splitmix64(&s);
}

/* Uniform integer in [0, n) from the high 32 bits of r. */
static inline uint32_t
range32(uint64_t r, uint32_t n)
{
	return (uint32_t)(((r >> 32) * (uint64_t)n) >> 32);
}

static inline void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/*
 * Checksums (RFC 1071) are summed from the field values as they are
 * written, never read back from the frame: reading just-written bytes
 * with wider loads stalls on store forwarding.
 */
static inline uint32_t
sum32(uint32_t v)
{
	return (v >> 16) + (v & 0xffff);
}

static inline uint32_t
sum64(uint64_t v)
{
	return sum32((uint32_t)(v >> 32)) + sum32((uint32_t)v);
}

static inline uint16_t
csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline void
put_mac(uint8_t *p, uint8_t last)
{
	p[0] = 0x02;
	p[1] = p[2] = p[3] = p[4] = 0;
	p[5] = last;
}

static inline void
put_ipv4(uint8_t *p, uint32_t total, uint32_t id, uint8_t proto,
	 uint32_t src, uint32_t dst)
{
	p[0] = 0x45;
	put16(p + 2, total);
	put16(p + 4, id);
	put16(p + 6, 0x4000);          /* DF */
	p[8] = 64;
	p[9] = proto;
	put32(p + 12, src);
	put32(p + 16, dst);
	put16(p + 10, csum_fold(0x4500 + total + (id & 0xffff) + 0x4000 +
				(64u << 8 | proto) + sum32(src) + sum32(dst)));
}

/* ---------------------------------------------------------------- */
/* Output.                                                          */

static void
out_flush(struct gen *g)
{
	size_t off = 0;

	while (off < g->used && g->werr == 0) {
		ssize_t n = write(g->fd, g->buf + off, g->used - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			g->werr = errno;
			break;
		}
		off += (size_t)n;
	}
	g->used = 0;
}

static void
out_file_header(struct gen *g)
{
	uint8_t *p = g->buf;

	put32le(p, 0xa1b2c3d4);
	p[4] = 2;                      /* version 2.4, little-endian */
	p[5] = 0;
	p[6] = 4;
	p[7] = 0;
	put32le(p + 8, 0);             /* thiszone */
	put32le(p + 12, 0);            /* sigfigs */
	put32le(p + 16, GEN_SNAPLEN);
	put32le(p + 20, 1);            /* LINKTYPE_ETHERNET */
	g->used = 24;
}

/* ---------------------------------------------------------------- */
/* Flows.                                                           */

static inline uint16_t
client_port(uint64_t id)
{
	uint32_t low = (uint32_t)(id & 0xffffff);
	uint64_t mix = (id >> 24) + ((low * UINT32_C(2654435761)) >> 16);

	return (uint16_t)(1024 + mix % 64512);
}

static inline uint16_t
server_port(uint64_t id)
{
	return (uint16_t)(5001 + (id & 7));
}

static void
slot_assign(struct gen *g, struct gen_slot *s, uint64_t id)
{
	uint64_t h = mix64(id ^ mix64(g->o.seed));
	uint8_t kind = 0;

	if ((uint32_t)(h % 100) < g->o.ipv6_pct)
		kind |= K_V6;
	if (g->o.proto == PROTO_TCP ||
	    (g->o.proto == PROTO_MIX && ((h >> 40) & 1) == 0))
		kind |= K_TCP;
	s->id = id;
	s->kind = kind;
	s->npkts = 0;
	s->cnext = (uint32_t)(h >> 8);
	s->snext = (uint32_t)mix64(h);
}

/* Packets still needed to close the session of slot s (0: none open). */
static inline uint32_t
slot_cost(const struct gen *g, const struct gen_slot *s)
{
	if (!g->o.sessions || !(s->kind & K_TCP) || s->npkts == 0)
		return 0;
	if (s->npkts >= GEN_SESSION_OPEN)
		return GEN_SESSION_CLOSE;
	return GEN_SESSION_OPEN - s->npkts + GEN_SESSION_CLOSE;
}

static inline uint32_t
pick_size(struct gen *g)
{
	if (g->o.size != 0)
		return g->o.size;
	return imix_sizes[range32(splitmix64(&g->rng),
				  (uint32_t)(sizeof(imix_sizes) / sizeof(imix_sizes[0])))];
}

/* A raw pick: a random number; its alias entry is prefetched. */
static inline uint64_t
pick_draw(struct gen *g)
{
	uint64_t r = splitmix64(&g->rng);

	if (g->alias != NULL)
		__builtin_prefetch(&g->alias[range32(r, g->o.flows)], 0, 1);
	return r;
}

/* The slot of a raw pick. */
static inline uint32_t
pick_resolve(const struct gen *g, uint64_t r)
{
	uint32_t i = range32(r, g->o.flows);

	if (g->alias != NULL && (uint32_t)r >= g->alias[i].prob)
		i = g->alias[i].alias;
	return i;
}

/*
 * Next pick, from a two-stage pipeline: a raw pick drawn now is resolved
 * GEN_AHEAD picks later (its alias entry has arrived), and used GEN_AHEAD
 * picks after that (its slot has arrived). The sequence of picks is the
 * same as without the pipeline. Round robin needs neither stage: the
 * slots are visited in order, which the hardware prefetcher follows.
 */
static inline uint32_t
pick_slot(struct gen *g)
{
	unsigned int k = g->ahead_pos;
	uint32_t i = g->ahead[k];
	uint32_t next;

	if (g->o.roundrobin) {
		i = g->rr_pick;
		if (++g->rr_pick == g->o.flows)
			g->rr_pick = 0;
		return i;
	}
	next = pick_resolve(g, g->draw[k]);

	g->ahead[k] = next;
	__builtin_prefetch(&g->slots[next], 1, 1);
	g->draw[k] = pick_draw(g);
	g->ahead_pos = (k + 1) & (GEN_AHEAD - 1);
	return i;
}

/* ---------------------------------------------------------------- */
/* Frames.                                                          */

static inline void
clock_step(struct gen *g)
{
	g->ts_ns += g->step_ns;
	g->step_frac += g->step_rem;
	if (g->step_frac >= g->o.pps) {
		g->step_frac -= g->o.pps;
		g->ts_ns++;
	}
	while (g->ts_ns >= GEN_NS_PER_SEC) {
		g->ts_ns -= GEN_NS_PER_SEC;
		g->ts_sec++;
	}
}

/*
 * Write one packet of flow s in direction dir (0: client to server) with
 * TCP flags (ignored for UDP) and a wire size (0: as small as possible).
 * Sequence and ack numbers come from the slot; the caller advances them.
 * Returns the L4 payload length.
 */
static uint32_t
emit(struct gen *g, struct gen_slot *s, unsigned int dir, uint8_t flags,
     uint32_t wire)
{
	const bool tcp = (s->kind & K_TCP) != 0;
	const bool v6 = (s->kind & K_V6) != 0;
	const uint32_t ip_len = v6 ? IP6_LEN : IP4_LEN;
	const uint32_t l4_len = tcp ? TCP_LEN : UDP_LEN;
	const uint32_t hdr = g->l2_len + g->tun_len + ip_len + l4_len;
	const uint32_t target = wire > GEN_FCS ? wire - GEN_FCS : 0;
	const uint32_t pay = target > hdr ? target - hdr : 0;
	const uint32_t cap_min = hdr + pay;
	const uint32_t cap = cap_min < GEN_MIN_CAP ? GEN_MIN_CAP : cap_min;
	const uint32_t inner_total = ip_len + l4_len + pay;
	const uint8_t l4_proto = tcp ? 6 : 17;
	const uint64_t id = s->id;
	uint16_t sport = client_port(id), dport = server_port(id);
	uint8_t *rec, *p, *l4;
	uint32_t sum;

	if (g->used + GEN_REC_HDR + cap > GEN_BUF_SIZE)
		out_flush(g);
	rec = g->buf + g->used;
	put32le(rec, (uint32_t)g->ts_sec);
	put32le(rec + 4, g->ts_ns / 1000);
	put32le(rec + 8, cap);
	put32le(rec + 12, cap);
	p = rec + GEN_REC_HDR;
	memset(p, 0, cap);

	/* Outer Ethernet (+ VLAN). */
	put_mac(p, (uint8_t)(dir ? 1 : 2));
	put_mac(p + 6, (uint8_t)(dir ? 2 : 1));
	p += 12;
	if (g->o.vlan >= 0) {
		put16(p, 0x8100);
		put16(p + 2, (uint32_t)g->o.vlan);
		p += VLAN_LEN;
	}
	if (g->o.tunnel == TUN_NONE) {
		put16(p, v6 ? 0x86dd : 0x0800);
		p += 2;
	} else {
		const uint32_t vtep_c = 0xc0000201, vtep_s = 0xc0000202;
		uint32_t osrc = dir ? vtep_s : vtep_c;
		uint32_t odst = dir ? vtep_c : vtep_s;

		put16(p, 0x0800);
		p += 2;
		if (g->o.tunnel == TUN_VXLAN) {
			put_ipv4(p, IP4_LEN + UDP_LEN + VXLAN_LEN + ETH_LEN + inner_total,
				 0, 17, osrc, odst);
			p += IP4_LEN;
			/* RFC 7348: source port from a hash of the inner flow. */
			put16(p, 49152 + (uint32_t)(mix64(id) & 0x3fff));
			put16(p + 2, VXLAN_PORT);
			put16(p + 4, UDP_LEN + VXLAN_LEN + ETH_LEN + inner_total);
			p += UDP_LEN;
			p[0] = 0x08;                   /* I flag: VNI valid */
			put32(p + 4, 1u << 8);         /* VNI 1 */
			p += VXLAN_LEN;
			put_mac(p, (uint8_t)(dir ? 0x11 : 0x12));
			put_mac(p + 6, (uint8_t)(dir ? 0x12 : 0x11));
			put16(p + 12, v6 ? 0x86dd : 0x0800);
			p += ETH_LEN;
		} else {
			put_ipv4(p, IP4_LEN + GRE_LEN + inner_total, 0, 47, osrc, odst);
			p += IP4_LEN;
			put16(p + 2, v6 ? 0x86dd : 0x0800);
			p += GRE_LEN;
		}
	}

	/* Inner IP; sum gets the pseudo-header (RFC 793, RFC 768, RFC 8200). */
	if (v6) {
		uint8_t *src = p + 8, *dst = p + 24, *c, *sv;

		p[0] = 0x60;
		put16(p + 4, l4_len + pay);
		p[6] = l4_proto;
		p[7] = 64;
		c = dir ? dst : src;
		sv = dir ? src : dst;
		put32(c, 0x20010db8);
		put64(c + 8, id);
		put32(sv, 0x20010db8);
		put16(sv + 4, 1);
		put16(sv + 14, 1 + (uint32_t)(id % 254));
		sum = 2 * (0x2001 + 0x0db8) + sum64(id) + 1 + 1 + (uint32_t)(id % 254) +
		      l4_len + pay + l4_proto;
		p += IP6_LEN;
	} else {
		uint32_t c = 0x0a000000 | (uint32_t)((id + 1) & 0xffffff);
		uint32_t sv = 0xc6120000 | (1 + (uint32_t)(id % 254));

		put_ipv4(p, inner_total, s->npkts, l4_proto, dir ? sv : c, dir ? c : sv);
		sum = sum32(c) + sum32(sv) + l4_len + pay + l4_proto;
		p += IP4_LEN;
	}

	/* L4 header; the payload is zero and adds nothing to the checksum. */
	l4 = p;
	put16(l4, dir ? dport : sport);
	put16(l4 + 2, dir ? sport : dport);
	if (tcp) {
		uint32_t seq = dir ? s->snext : s->cnext;
		uint32_t ack = (flags & TH_ACK) ? (dir ? s->cnext : s->snext) : 0;

		put32(l4 + 4, seq);
		put32(l4 + 8, ack);
		l4[12] = (TCP_LEN / 4) << 4;
		l4[13] = flags;
		put16(l4 + 14, 65535);
		sum += sport + dport + sum32(seq) + sum32(ack) +
		       ((TCP_LEN / 4) << 12 | flags) + 65535;
		put16(l4 + 16, csum_fold(sum));
	} else {
		uint16_t c;

		put16(l4 + 4, UDP_LEN + pay);
		c = csum_fold(sum + sport + dport + UDP_LEN + pay);
		put16(l4 + 6, c == 0 ? 0xffff : c);
	}

	g->used += GEN_REC_HDR + cap;
	g->written++;
	g->bytes += cap;
	clock_step(g);
	return pay;
}

/* ---------------------------------------------------------------- */
/* The flow state machine.                                          */

/* TCP packet of the current phase, keeping open_cost in step. */
static void
tcp_step(struct gen *g, struct gen_slot *s)
{
	uint32_t n = s->npkts;
	uint32_t pay;

	if (!g->o.sessions || n >= GEN_SESSION_OPEN) {
		/* Data: alternate directions, client first. */
		uint32_t k = g->o.sessions ? n - GEN_SESSION_OPEN : n;
		unsigned int dir = k & 1;

		pay = emit(g, s, dir, TH_PSH | TH_ACK, pick_size(g));
		if (dir)
			s->snext += pay;
		else
			s->cnext += pay;
	} else if (n == 0) {
		emit(g, s, 0, TH_SYN, 0);
		s->cnext++;
		g->open_cost += GEN_SESSION_OPEN - 1 + GEN_SESSION_CLOSE;
	} else if (n == 1) {
		emit(g, s, 1, TH_SYN | TH_ACK, 0);
		s->snext++;
		g->open_cost--;
	} else {
		emit(g, s, 0, TH_ACK, 0);
		g->open_cost--;
	}
	if (s->npkts == 0)
		g->flows_seen++;
	s->npkts++;
}

static void
flow_step(struct gen *g, struct gen_slot *s)
{
	if (s->kind & K_TCP) {
		tcp_step(g, s);
		return;
	}
	emit(g, s, s->npkts & 1, 0, pick_size(g));
	if (s->npkts == 0)
		g->flows_seen++;
	s->npkts++;
}

/* Finish the handshake if needed, then FIN-ACK, FIN-ACK, ACK. */
static void
session_close(struct gen *g, struct gen_slot *s)
{
	if (slot_cost(g, s) == 0)
		return;
	while (s->npkts < GEN_SESSION_OPEN)
		tcp_step(g, s);
	emit(g, s, 0, TH_FIN | TH_ACK, 0);
	s->cnext++;
	emit(g, s, 1, TH_FIN | TH_ACK, 0);
	s->snext++;
	emit(g, s, 0, TH_ACK, 0);
	s->npkts += GEN_SESSION_CLOSE;
	g->open_cost -= GEN_SESSION_CLOSE;
}

static void
arrival(struct gen *g)
{
	struct gen_slot *s = &g->slots[g->rr];

	session_close(g, s);
	slot_assign(g, s, g->next_id++);
	if (++g->rr == g->o.flows)
		g->rr = 0;
	g->arr_base += g->arr_q;
	g->arr_acc += g->arr_r;
	if (g->arr_acc >= g->o.rate) {
		g->arr_acc -= g->o.rate;
		g->arr_base++;
	}
}

static inline uint64_t
arrival_due(const struct gen *g)
{
	return g->arr_base + (g->arr_acc != 0);
}

/* Whether the next packet of s fits in the packets left. */
static inline bool
step_allowed(const struct gen *g, const struct gen_slot *s, uint64_t left)
{
	if (g->o.sessions && (s->kind & K_TCP) && s->npkts == 0)
		return left >= g->open_cost + GEN_SESSION_OPEN + GEN_SESSION_CLOSE;
	return left > g->open_cost ||
	       (s->npkts > 0 && s->npkts < GEN_SESSION_OPEN && slot_cost(g, s) > 0);
}

/* A slot whose next packet fits, for the end phase; -1: none. */
static int64_t
fallback_slot(struct gen *g, uint64_t left)
{
	uint32_t i;

	if (g->last_slot >= 0 && step_allowed(g, &g->slots[g->last_slot], left))
		return g->last_slot;
	for (i = 0; i < g->o.flows; i++)
		if (step_allowed(g, &g->slots[i], left))
			return i;
	return -1;
}

static void
generate(struct gen *g)
{
	const uint64_t total = g->o.packets;
	uint32_t i;

	for (i = 0; i < GEN_AHEAD && !g->o.roundrobin; i++)
		g->ahead[i] = pick_resolve(g, splitmix64(&g->rng));
	for (i = 0; i < GEN_AHEAD && !g->o.roundrobin; i++)
		g->draw[i] = pick_draw(g);
	while (g->written < total && g->werr == 0) {
		uint64_t left;
		int64_t k;
		struct gen_slot *s;

		while (g->o.rate != 0 && !g->end_phase &&
		       g->written >= arrival_due(g) && g->written < total)
			arrival(g);
		left = total - g->written;
		if (left == 0)
			break;
		if (left == g->open_cost) {
			for (i = 0; i < g->o.flows; i++)
				session_close(g, &g->slots[i]);
			break;
		}
		k = pick_slot(g);
		s = &g->slots[k];
		if (!step_allowed(g, s, left)) {
			g->end_phase = true;
			k = fallback_slot(g, left);
			if (k < 0)
				break;
			s = &g->slots[k];
		}
		flow_step(g, s);
		g->last_slot = k;
	}
	out_flush(g);
}

/* ---------------------------------------------------------------- */
/* Set-up.                                                          */

/*
 * Vose's alias method: weights w_i = (i + 1)^-s scaled to mean 1; each
 * entry keeps its own share (prob) and lends the rest to one "large"
 * entry (alias). A pick is a uniform entry plus one compare.
 */
static int
zipf_build(struct gen *g)
{
	const uint32_t n = g->o.flows;
	double *w = malloc(sizeof(*w) * n);
	uint32_t *small = malloc(sizeof(*small) * n);
	uint32_t *large = malloc(sizeof(*large) * n);
	uint32_t ns = 0, nl = 0, i;
	double sum = 0;
	int rc = -ENOMEM;

	g->alias = malloc(sizeof(*g->alias) * n);
	if (w == NULL || small == NULL || large == NULL || g->alias == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		w[i] = pow((double)i + 1.0, -g->o.zipf_s);
		sum += w[i];
	}
	for (i = 0; i < n; i++) {
		w[i] = w[i] * n / sum;
		if (w[i] < 1.0)
			small[ns++] = i;
		else
			large[nl++] = i;
	}
	while (ns > 0 && nl > 0) {
		uint32_t a = small[--ns], b = large[nl - 1];

		g->alias[a].prob = (uint32_t)(w[a] * 4294967296.0);
		g->alias[a].alias = b;
		w[b] -= 1.0 - w[a];
		if (w[b] < 1.0) {
			nl--;
			small[ns++] = b;
		}
	}
	/* Left-overs are 1 up to rounding: always keep them. */
	while (nl > 0) {
		i = large[--nl];
		g->alias[i].prob = UINT32_MAX;
		g->alias[i].alias = i;
	}
	while (ns > 0) {
		i = small[--ns];
		g->alias[i].prob = UINT32_MAX;
		g->alias[i].alias = i;
	}
	rc = 0;
out:
	free(w);
	free(small);
	free(large);
	return rc;
}

static void
usage(FILE *f)
{
	fputs(
"usage: fsgen --out FILE [options]\n"
"Write synthetic traffic as a classic pcap file (microsecond timestamps,\n"
"Ethernet); one summary line on stderr.\n"
"\n"
"  --out FILE              output file, '-' for stdout (required)\n"
"  --packets N             packets to write (default 1000000)\n"
"  --flows N               concurrent (live) flows (default 1000)\n"
"  --proto tcp|udp|mix     transport; mix: half the flows each (default tcp)\n"
"  --tcp-sessions          TCP flows open with SYN/SYN-ACK/ACK and close with\n"
"                          FIN-ACK/FIN-ACK/ACK around their data packets\n"
"  --size 64|imix|1500|N   frame size on the wire, FCS included (64..9600):\n"
"                          the pcap record is N - 4 bytes (no FCS), so 64 is\n"
"                          a 60-byte record, 1500 a 1496-byte record (IP\n"
"                          1482) and 1518 a full 1500-byte IP MTU; imix:\n"
"                          64/570/1518 at 7:4:1 (default 64); handshake and\n"
"                          close packets are minimal\n"
"  --popularity uniform|zipf[:s]|roundrobin\n"
"                          which flow sends the next packet (default uniform;\n"
"                          zipf exponent s default 1.0, slot 0 hottest;\n"
"                          roundrobin: every live flow in turn, so N packets\n"
"                          over N flows write exactly N flows)\n"
"  --rate FLOWS_PER_S      new flows per second of traffic time, each\n"
"                          replacing the oldest live flow (default 0: none)\n"
"  --pps N                 timestamp spacing, packets per second (default 1000000)\n"
"  --vlan ID               802.1Q tag ID (0..4095) on every frame\n"
"  --tunnel vxlan|gre      encapsulate every frame (outer IPv4)\n"
"  --ipv6-share PCT        percentage of IPv6 flows (default 0)\n"
"  --seed N                random seed (default 1); same seed, same bytes\n"
"  --help                  this text\n"
"\n"
"Flows: client 10.x.y.z or 2001:db8::f, server 198.18.0.x or 2001:db8:1::x,\n"
"client port from the flow index, server port 5001-5008: each flow a distinct\n"
"5-tuple. Packets alternate direction. IPv4, TCP and UDP checksums are correct\n"
"(payload bytes are zero); the VXLAN outer UDP checksum is 0.\n",
	      f);
}

static int
parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	if (s[0] == '-' || s[0] == '\0') {
		fprintf(stderr, "fsgen: %s: not a number: '%s'\n", opt, s);
		return -1;
	}
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max) {
		fprintf(stderr, "fsgen: %s: expected an integer in [%" PRIu64 ", %" PRIu64
			"], got '%s'\n", opt, min, max, s);
		return -1;
	}
	*v = x;
	return 0;
}

enum {
	OPT_OUT = 'o', OPT_HELP = 'h', OPT_PACKETS = 256, OPT_FLOWS, OPT_PROTO,
	OPT_SESSIONS, OPT_SIZE, OPT_POP, OPT_RATE, OPT_PPS, OPT_VLAN, OPT_TUNNEL,
	OPT_V6, OPT_SEED,
};

static const struct option long_opts[] = {
	{ "out",          required_argument, NULL, OPT_OUT },
	{ "packets",      required_argument, NULL, OPT_PACKETS },
	{ "flows",        required_argument, NULL, OPT_FLOWS },
	{ "proto",        required_argument, NULL, OPT_PROTO },
	{ "tcp-sessions", no_argument,       NULL, OPT_SESSIONS },
	{ "size",         required_argument, NULL, OPT_SIZE },
	{ "popularity",   required_argument, NULL, OPT_POP },
	{ "rate",         required_argument, NULL, OPT_RATE },
	{ "pps",          required_argument, NULL, OPT_PPS },
	{ "vlan",         required_argument, NULL, OPT_VLAN },
	{ "tunnel",       required_argument, NULL, OPT_TUNNEL },
	{ "ipv6-share",   required_argument, NULL, OPT_V6 },
	{ "seed",         required_argument, NULL, OPT_SEED },
	{ "help",         no_argument,       NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
parse_opts(int argc, char **argv, struct gen_opts *o)
{
	uint64_t v;
	int c;

	*o = (struct gen_opts){
		.packets = 1000000, .flows = 1000, .proto = PROTO_TCP, .size = 64,
		.zipf_s = 1.0, .pps = 1000000, .vlan = -1, .seed = 1,
	};
	while ((c = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_PACKETS:
			if (parse_u64("--packets", optarg, 0, UINT64_MAX / 2, &o->packets) < 0)
				return -1;
			break;
		case OPT_FLOWS:
			if (parse_u64("--flows", optarg, 1, GEN_MAX_FLOWS, &v) < 0)
				return -1;
			o->flows = (uint32_t)v;
			break;
		case OPT_PROTO:
			if (strcmp(optarg, "tcp") == 0)
				o->proto = PROTO_TCP;
			else if (strcmp(optarg, "udp") == 0)
				o->proto = PROTO_UDP;
			else if (strcmp(optarg, "mix") == 0)
				o->proto = PROTO_MIX;
			else {
				fprintf(stderr, "fsgen: --proto: tcp, udp or mix, got '%s'\n", optarg);
				return -1;
			}
			break;
		case OPT_SESSIONS:
			o->sessions = true;
			break;
		case OPT_SIZE:
			if (strcmp(optarg, "imix") == 0) {
				o->size = 0;
				break;
			}
			if (parse_u64("--size", optarg, GEN_MIN_SIZE, GEN_MAX_SIZE, &v) < 0)
				return -1;
			o->size = (uint32_t)v;
			break;
		case OPT_POP:
			o->zipf = false;
			o->roundrobin = false;
			if (strcmp(optarg, "uniform") == 0) {
				/* the default */
			} else if (strcmp(optarg, "roundrobin") == 0) {
				o->roundrobin = true;
			} else if (strncmp(optarg, "zipf", 4) == 0 &&
				   (optarg[4] == '\0' || optarg[4] == ':')) {
				o->zipf = true;
				if (optarg[4] == ':') {
					char *end;

					errno = 0;
					o->zipf_s = strtod(optarg + 5, &end);
					if (errno != 0 || *end != '\0' || end == optarg + 5 ||
					    !(o->zipf_s >= 0.0 && o->zipf_s <= 10.0)) {
						fprintf(stderr, "fsgen: --popularity: zipf exponent in [0, 10], got '%s'\n",
							optarg + 5);
						return -1;
					}
				}
			} else {
				fprintf(stderr, "fsgen: --popularity: uniform, zipf[:s] or roundrobin, got '%s'\n",
					optarg);
				return -1;
			}
			break;
		case OPT_RATE:
			if (parse_u64("--rate", optarg, 0, 1000000000, &o->rate) < 0)
				return -1;
			break;
		case OPT_PPS:
			if (parse_u64("--pps", optarg, 1, 1000000000, &o->pps) < 0)
				return -1;
			break;
		case OPT_VLAN:
			if (parse_u64("--vlan", optarg, 0, 4095, &v) < 0)
				return -1;
			o->vlan = (int)v;
			break;
		case OPT_TUNNEL:
			if (strcmp(optarg, "vxlan") == 0)
				o->tunnel = TUN_VXLAN;
			else if (strcmp(optarg, "gre") == 0)
				o->tunnel = TUN_GRE;
			else {
				fprintf(stderr, "fsgen: --tunnel: vxlan or gre, got '%s'\n", optarg);
				return -1;
			}
			break;
		case OPT_V6:
			if (parse_u64("--ipv6-share", optarg, 0, 100, &v) < 0)
				return -1;
			o->ipv6_pct = (uint32_t)v;
			break;
		case OPT_SEED:
			if (parse_u64("--seed", optarg, 0, UINT64_MAX, &o->seed) < 0)
				return -1;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fsgen: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->out == NULL) {
		fprintf(stderr, "fsgen: --out FILE is required (see --help)\n");
		return -1;
	}
	if (o->rate > o->pps) {
		fprintf(stderr, "fsgen: --rate above --pps: flows would end before sending\n");
		return -1;
	}
	return 0;
}

static int
gen_init(struct gen *g)
{
	uint32_t i;

	g->slots = calloc(g->o.flows, sizeof(*g->slots));
	g->buf = malloc(GEN_BUF_SIZE);
	if (g->slots == NULL || g->buf == NULL)
		return -ENOMEM;
	if (g->o.zipf && zipf_build(g) < 0)
		return -ENOMEM;
	g->rng = mix64(g->o.seed ^ UINT64_C(0x6673676e));   /* "fsgn" */
	for (i = 0; i < g->o.flows; i++)
		slot_assign(g, &g->slots[i], i);
	g->next_id = g->o.flows;
	g->ts_sec = GEN_T0_SEC;
	g->step_ns = (uint32_t)(GEN_NS_PER_SEC / g->o.pps);
	g->step_rem = GEN_NS_PER_SEC % g->o.pps;
	if (g->o.rate != 0) {
		g->arr_q = g->o.pps / g->o.rate;
		g->arr_r = g->o.pps % g->o.rate;
		/* Arrival 1 first. */
		g->arr_base = g->arr_q;
		g->arr_acc = g->arr_r;
	}
	g->last_slot = -1;
	g->l2_len = ETH_LEN + (g->o.vlan >= 0 ? VLAN_LEN : 0);
	switch (g->o.tunnel) {
	case TUN_VXLAN:
		g->tun_len = IP4_LEN + UDP_LEN + VXLAN_LEN + ETH_LEN;
		break;
	case TUN_GRE:
		g->tun_len = IP4_LEN + GRE_LEN;
		break;
	default:
		g->tun_len = 0;
		break;
	}
	out_file_header(g);
	return 0;
}

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct gen g;
	double t0, c0, el, cpu, traffic_s;
	int rc = 0;

	memset(&g, 0, sizeof(g));
	if (parse_opts(argc, argv, &g.o) < 0)
		return 2;
	if (strcmp(g.o.out, "-") == 0) {
		g.fd = STDOUT_FILENO;
	} else {
		g.fd = open(g.o.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (g.fd < 0) {
			fprintf(stderr, "fsgen: %s: %s\n", g.o.out, strerror(errno));
			return 1;
		}
	}
	if (gen_init(&g) < 0) {
		fprintf(stderr, "fsgen: out of memory for %" PRIu32 " flows\n", g.o.flows);
		return 1;
	}
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	generate(&g);
	el = clock_s(CLOCK_MONOTONIC) - t0;
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (g.fd != STDOUT_FILENO && close(g.fd) < 0 && g.werr == 0)
		g.werr = errno;
	if (g.werr != 0) {
		fprintf(stderr, "fsgen: %s: write: %s\n", g.o.out, strerror(g.werr));
		rc = 1;
	}
	traffic_s = (double)g.written / (double)g.o.pps;
	fprintf(stderr, "fsgen: %" PRIu64 " packets, %" PRIu64 " flows, %" PRIu64
		" bytes, %.6f s of traffic; written in %.3f s (%.2f Mpps), cpu %.3f s%s\n",
		g.written, g.flows_seen, g.bytes, traffic_s, el,
		el > 0 ? (double)g.written / el / 1e6 : 0.0, cpu,
		g.written < g.o.packets ? " [fewer packets than asked: sessions did not fit]" : "");
	free(g.slots);
	free(g.alias);
	free(g.buf);
	return rc;
}
