/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX sink: every flow_end (and flow_update, see ACTIVE TIMEOUT) becomes
 * IPFIX data records (RFC 7011), sent
 * to a collector over UDP or TCP, or written to an IPFIX file (RFC 5655:
 * a file is the same stream of messages a TCP collector would receive).
 *
 *     --output ipfix:udp://HOST:PORT[?OPTIONS]
 *     --output ipfix:tcp://HOST:PORT[?OPTIONS]
 *     --output ipfix:FILE[?OPTIONS]            ipfix:- writes to stdout
 *
 * HOST is a name or an address, an IPv6 address in brackets
 * (udp://[::1]:4739). OPTIONS are KEY=VALUE pairs joined by '&'; the
 * first '?' starts them, so a file name cannot contain one:
 *
 *     mode=biflow|uniflow   one record per flow carrying RFC 5103 reverse
 *                           counters (default), or one record per direction
 *     template_interval=S   UDP: resend the templates every S seconds
 *                           (default 60; 0: only in each domain's first message)
 *     mtu=N                 largest IPFIX message in bytes, 512..65535
 *                           (default 1400 over UDP, a datagram that fits a
 *                           1500-byte link even with IPv6 headers; 16384
 *                           over TCP and to files)
 *
 * e.g. ipfix:udp://127.0.0.1:4739?mode=uniflow&template_interval=30&mtu=1200
 *
 * RECORDS. One field table (IPFIX_FIELDS) generates both the template
 * records and the record encoder, so the two cannot disagree. Four
 * templates, by family and mode: 256/257 biflow IPv4/IPv6, 258/259
 * uniflow IPv4/IPv6. Fields, in order:
 *   flowStartMilliseconds(152), flowEndMilliseconds(153),
 *   octetDeltaCount(1), packetDeltaCount(2),
 *   biflow: reverse octetDeltaCount and packetDeltaCount (enterprise bit,
 *   PEN 29305, RFC 5103), sourceIPv4Address(8)/destinationIPv4Address(12)
 *   or sourceIPv6Address(27)/destinationIPv6Address(28),
 *   sourceTransportPort(7), destinationTransportPort(11),
 *   protocolIdentifier(4), tcpControlBits(6), biflow: reverse
 *   tcpControlBits, flowEndReason(136), vlanId(58: the outer tag, 0 when
 *   untagged).
 * Biflow records go originator -> responder (RFC 5103's initiator is our
 * originator). Uniflow mode sends the originator's record and, when the
 * responder sent anything, the responder's (addresses, ports, counters
 * and flags swapped), always both in the same message.
 *
 * Octets are IP bytes: the sum of the IP total length fields (NDJSON
 * orig_ip_bytes/resp_ip_bytes), which is what NetFlow/IPFIX collectors
 * expect of octetDeltaCount (no L2 header, no Ethernet padding; the inner
 * IP header's length for tunnelled flows).
 *
 * ACTIVE TIMEOUT. With --flow-update-interval, a long flow gets interim
 * flow_update events; each becomes a record with flowEndReason 2 (active
 * timeout) whose octetDeltaCount/packetDeltaCount (and reverse) count
 * what the flow sent since its previous record, so a collector that sums
 * a flow's records gets its totals; the flow_end record carries the rest.
 * The counters already exported are kept per flow in a bounded table
 * (IPFIX_TRACK entries in 4-way sets, allocated at the first flow_update,
 * an entry freed by its flow's end). When a flow's set is full, its
 * updates are not exported (counted in updates_skipped, said once at
 * close) and its flow_end record carries its totals, so the sums stay
 * exact; an entry whose flow sent no update for IPFIX_TRACK_STALE of
 * packet time (its end was lost) may be reused when its set has no free
 * way. flowStartMilliseconds and flowEndMilliseconds of every record are
 * the flow's first packet and its last packet so far.
 *
 * flowEndReason: idle -> idle timeout (1); flow_update -> active timeout
 * (2); fin, rst -> end of flow detected (3); shutdown, parse_error ->
 * forced end (4); evicted, buffer_overflow -> lack of resources (5).
 *
 * tcpControlBits (the OR of the flags a direction sent) are derived from
 * the two history strings of the event, as the tracker keeps no per-flow
 * flag union. SYN, FIN and RST are exact: the flowscope history records
 * every one (16 letters) and the Zeek history the first of each kind per
 * direction, so one is missed only if it came after both strings were
 * full. ACK is inferred: set for a direction that sent a SYN-ACK, a pure
 * ACK or payload (segments that carry ACK in any valid exchange; a
 * direction that only sent a bare SYN, FIN or RST gets none). PSH, URG,
 * ECE and CWR are never set. Zero for every protocol but TCP.
 *
 * Other event types, and flows without IP addresses (mac-pair keys), are
 * not exported and are not records of this sink.
 *
 * OBSERVATION DOMAINS AND SEQUENCE NUMBERS. Each RX lcore is one
 * observation domain, id = (flow_id >> 56) + 1: the lcore index plus one,
 * so never 0, which RFC 7011 keeps for "no specific domain". Each domain
 * has its own message under construction (its buffer allocated on the
 * domain's first record, at most 256 of them) and its own sequence
 * number: the header of a message carries the count, modulo 2^32, of the
 * data records of the domain's earlier messages (RFC 7011 §3.1; template
 * records are not counted). A message counts once it is complete and
 * handed to the transport: when the transport then loses it (full socket
 * buffer, collector gone, write error), the numbers are not rewound, so
 * the collector sees the gap. Records refused before they are encoded
 * (TCP collector down) take no sequence numbers. Export time is the wall
 * clock, in seconds, when the message is completed.
 *
 * MESSAGES. A message is bounded by mtu: a record that does not fit
 * completes the message and starts the next. Templates open a domain's
 * first message, and again: over UDP every template_interval seconds;
 * over TCP after every reconnect (and whenever a message that carried
 * them was lost); in a file after a reopen. Incomplete messages are
 * completed and sent on tick() (about every 100 ms) and at close.
 *
 * TRANSPORTS, never blocking the caller:
 *  - UDP: one sendto(MSG_DONTWAIT) per message; a datagram the kernel
 *    refuses is dropped (counted).
 *  - TCP: non-blocking connect; messages queue in a 1 MiB buffer and are
 *    sent with non-blocking send as the socket takes them; a message that
 *    finds the queue full is dropped. A failed connect or a lost
 *    connection drops what is queued, and tick() retries with exponential
 *    backoff (1 s, 2 s, ... 30 s); records that arrive while there is no
 *    connection (nor attempt in progress) are dropped at once. close()
 *    waits at most IPFIX_CLOSE_WAIT_MS for a pending connect and the queue.
 *  - File: messages collect in the same 1 MiB buffer, written with
 *    write(2) when full, on tick and at close; a failed write drops its
 *    records. SIGHUP (reopen) starts a new file (logrotate) with templates.
 * Timers (template refresh, backoff) run on the now_ns that tick() gives.
 *
 * COUNTERS. records = written + dropped (+ records still queued, zero
 * after close), counted per exported flow_end or flow_update event (a
 * uniflow pair is one record of the sink). written means handed to the kernel completely (datagram
 * sent, message fully in the TCP socket, bytes written to the file).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "sink.h"

#define IPFIX_VERSION        10
#define IPFIX_HDR_LEN        16
#define IPFIX_SET_HDR_LEN    4
#define IPFIX_SET_TEMPLATE   2
#define IPFIX_PEN_REVERSE    29305u  /**< RFC 5103 reverse information elements */
#define IPFIX_TID_BASE       256     /**< first template id (RFC 7011: >= 256) */

#define IPFIX_MTU_MIN        512
#define IPFIX_MTU_MAX        65535   /**< the 16-bit message length */
#define IPFIX_MTU_UDP        1400
#define IPFIX_MTU_STREAM     16384
#define IPFIX_TMPL_INTERVAL  60      /**< s */
#define IPFIX_TMPL_INTERVAL_MAX 86400
#define IPFIX_DOMAINS        256     /**< flow_id >> 56 */
#define IPFIX_QUEUE          (1u << 20)
#define IPFIX_QUEUE_MSGS     (IPFIX_QUEUE / 64)
#define IPFIX_BACKOFF_MIN    (1 * FC_NS_PER_SEC)
#define IPFIX_BACKOFF_MAX    (30 * FC_NS_PER_SEC)
#define IPFIX_CONNECT_TIMEOUT (10 * FC_NS_PER_SEC)
#define IPFIX_CLOSE_WAIT_MS  1000
#define IPFIX_TRACK          65536u  /**< flows whose exported counters are kept (active timeout) */
#define IPFIX_TRACK_WAYS     4u
#define IPFIX_TRACK_STALE    (86400 * FC_NS_PER_SEC)
#define IPFIX_REASON_ACTIVE  2       /**< flowEndReason: active timeout */

/* Template membership of a field: families and modes. */
#define IPFIX_F4   0x1
#define IPFIX_F6   0x2
#define IPFIX_FALL (IPFIX_F4 | IPFIX_F6)
#define IPFIX_MBI  0x1
#define IPFIX_MUNI 0x2
#define IPFIX_MALL (IPFIX_MBI | IPFIX_MUNI)

/* What one data record says; [0] is the record's own direction. */
struct ipfix_rec {
	uint64_t start_ms;
	uint64_t end_ms;
	uint64_t octets[2];
	uint64_t pkts[2];
	const uint8_t *src;
	const uint8_t *dst;
	uint16_t sport;
	uint16_t dport;
	uint16_t flags[2];
	uint16_t vlan;
	uint8_t proto;
	uint8_t reason;
};

/*
 * The fields: X(element id, enterprise number, length, families, modes,
 * statement that stores the value at q). Drives the template records and
 * the encoder; the lengths are static_asserted below.
 */
#define IPFIX_FIELDS(X) \
	X(152, 0, 8, IPFIX_FALL, IPFIX_MALL, put64(q, r->start_ms)) \
	X(153, 0, 8, IPFIX_FALL, IPFIX_MALL, put64(q, r->end_ms)) \
	X(1, 0, 8, IPFIX_FALL, IPFIX_MALL, put64(q, r->octets[0])) \
	X(2, 0, 8, IPFIX_FALL, IPFIX_MALL, put64(q, r->pkts[0])) \
	X(1, IPFIX_PEN_REVERSE, 8, IPFIX_FALL, IPFIX_MBI, put64(q, r->octets[1])) \
	X(2, IPFIX_PEN_REVERSE, 8, IPFIX_FALL, IPFIX_MBI, put64(q, r->pkts[1])) \
	X(8, 0, 4, IPFIX_F4, IPFIX_MALL, memcpy(q, r->src, 4)) \
	X(12, 0, 4, IPFIX_F4, IPFIX_MALL, memcpy(q, r->dst, 4)) \
	X(27, 0, 16, IPFIX_F6, IPFIX_MALL, memcpy(q, r->src, 16)) \
	X(28, 0, 16, IPFIX_F6, IPFIX_MALL, memcpy(q, r->dst, 16)) \
	X(7, 0, 2, IPFIX_FALL, IPFIX_MALL, put16(q, r->sport)) \
	X(11, 0, 2, IPFIX_FALL, IPFIX_MALL, put16(q, r->dport)) \
	X(4, 0, 1, IPFIX_FALL, IPFIX_MALL, *q = r->proto) \
	X(6, 0, 2, IPFIX_FALL, IPFIX_MALL, put16(q, r->flags[0])) \
	X(6, IPFIX_PEN_REVERSE, 2, IPFIX_FALL, IPFIX_MBI, put16(q, r->flags[1])) \
	X(136, 0, 1, IPFIX_FALL, IPFIX_MALL, *q = r->reason) \
	X(58, 0, 2, IPFIX_FALL, IPFIX_MALL, put16(q, r->vlan))

#define IPFIX_X_LEN(fam, mode) \
	0 IPFIX_FIELDS(IPFIX_X_LEN_ONE_##fam##_##mode)
#define IPFIX_LEN_IF(fams, modes, f, m, len) \
	((((fams) & (f)) && ((modes) & (m))) ? (len) : 0)
#define IPFIX_X_LEN_ONE_4_BI(id, pen, len, fams, modes, put) \
	+ IPFIX_LEN_IF(fams, modes, IPFIX_F4, IPFIX_MBI, len)
#define IPFIX_X_LEN_ONE_6_BI(id, pen, len, fams, modes, put) \
	+ IPFIX_LEN_IF(fams, modes, IPFIX_F6, IPFIX_MBI, len)
#define IPFIX_X_LEN_ONE_4_UNI(id, pen, len, fams, modes, put) \
	+ IPFIX_LEN_IF(fams, modes, IPFIX_F4, IPFIX_MUNI, len)
#define IPFIX_X_LEN_ONE_6_UNI(id, pen, len, fams, modes, put) \
	+ IPFIX_LEN_IF(fams, modes, IPFIX_F6, IPFIX_MUNI, len)

/** Data record lengths [mode][family]: mode 0 biflow, 1 uniflow; family 0 IPv4, 1 IPv6. */
static const uint32_t ipfix_rec_len[2][2] = {
	{ IPFIX_X_LEN(4, BI), IPFIX_X_LEN(6, BI) },
	{ IPFIX_X_LEN(4, UNI), IPFIX_X_LEN(6, UNI) },
};
static_assert(IPFIX_X_LEN(4, BI) == 68, "IPv4 biflow record is 68 bytes");
static_assert(IPFIX_X_LEN(6, BI) == 92, "IPv6 biflow record is 92 bytes");
static_assert(IPFIX_X_LEN(4, UNI) == 50, "IPv4 uniflow record is 50 bytes");
static_assert(IPFIX_X_LEN(6, UNI) == 74, "IPv6 uniflow record is 74 bytes");

/** IPFIX flowEndReason of each enum fc_end_reason (RFC 5102 / IANA registry). */
static const uint8_t ipfix_end_reason[FC_END_MAX] = {
	[FC_END_FIN] = 3,             /* end of flow detected */
	[FC_END_RST] = 3,
	[FC_END_IDLE] = 1,            /* idle timeout */
	[FC_END_EVICTED] = 5,         /* lack of resources */
	[FC_END_BUFFER_OVERFLOW] = 5,
	[FC_END_PARSE_ERROR] = 4,     /* forced end */
	[FC_END_SHUTDOWN] = 4,
};
static_assert(FC_DIM(ipfix_end_reason) == FC_END_MAX, "one IPFIX reason per end reason");

/* TCP header flag bits as tcpControlBits carries them. */
#define IPFIX_TCP_FIN 0x01
#define IPFIX_TCP_SYN 0x02
#define IPFIX_TCP_RST 0x04
#define IPFIX_TCP_ACK 0x10

enum ipfix_transport {
	IPFIX_UDP,
	IPFIX_TCP,
	IPFIX_FILE,
};

enum ipfix_tcp_state {
	IPFIX_TCP_DOWN,        /**< no socket; retry at retry_at */
	IPFIX_TCP_CONNECTING,  /**< non-blocking connect in progress */
	IPFIX_TCP_UP,
};

/** One observation domain (one RX lcore). Written by the export lcore only. */
struct ipfix_dom {
	uint8_t *msg;          /**< message under construction (mtu bytes), NULL until first use */
	uint32_t used;         /**< bytes in msg; 0: no message open */
	uint32_t set_off;      /**< offset of the open data set's header */
	uint16_t set_id;       /**< template id of the open data set, 0: none */
	uint8_t has_tmpl;      /**< msg carries the templates */
	uint8_t tmpl_due;      /**< the next message must carry the templates */
	uint32_t nrec;         /**< data records in msg */
	uint32_t nev;          /**< events (sink records) in msg */
	uint32_t seq;          /**< data records of earlier messages, mod 2^32 */
	uint64_t tmpl_ns;      /**< now_ns when templates last went into a message */
};

/** What was exported of a flow that had flow_update records. */
struct ipfix_track {
	uint64_t flow_id;
	uint64_t last_ts;      /**< packet time of the last update */
	uint64_t pkts[2];
	uint64_t octets[2];
	uint8_t used;
};

/** A complete message in the queue: where it ends (stream offset) and its events. */
struct ipfix_qmsg {
	uint64_t end;
	uint32_t nev;
};

struct ipfix {
	enum ipfix_transport transport;
	int biflow;
	uint32_t mtu;
	uint64_t tmpl_interval_ns;      /**< UDP template refresh, 0: never */
	char *name;                     /**< the target without options, for messages */
	int fd;
	int own_fd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint64_t now;                   /**< last now_ns given to tick() */
	/* TCP */
	enum ipfix_tcp_state tcp;
	uint64_t backoff;               /**< ns before the next retry after a failure */
	uint64_t retry_at;
	uint64_t connect_deadline;
	int reported;                   /**< an outage was reported on stderr */
	/* Stream queue (TCP, file): bytes [q_off, q_len) of q, stream offset q_base at q[0]. */
	uint8_t *q;
	uint32_t q_len;
	uint32_t q_off;
	uint64_t q_base;
	uint64_t q_done;                /**< stream offset where the last credited message ends */
	struct ipfix_qmsg *qm;          /**< FIFO ring of the queued messages */
	uint32_t qm_head;
	uint32_t qm_n;
	/* Templates */
	uint16_t tid[2];                /**< data set ids by family */
	uint32_t rec_len[2];
	uint32_t tmpl_len;
	uint8_t tmpl[IPFIX_SET_HDR_LEN + 2 * (4 + 17 * 8)];
	struct ipfix_track *track;      /**< IPFIX_TRACK entries, NULL until the first flow_update */
	uint64_t updates_skipped;       /**< flow_updates not exported: no room to track the flow */
	struct ipfix_dom dom[IPFIX_DOMAINS];
};

static inline void
put16(uint8_t *q, uint16_t v)
{
	v = rte_cpu_to_be_16(v);
	memcpy(q, &v, 2);
}

static inline void
put32(uint8_t *q, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(q, &v, 4);
}

static inline void
put64(uint8_t *q, uint64_t v)
{
	v = rte_cpu_to_be_64(v);
	memcpy(q, &v, 8);
}

/* Encode one record of the given family and mode; the constants fold the tests away. */
static __rte_always_inline uint8_t *
ipfix_encode(uint8_t *q, const struct ipfix_rec *r, unsigned int fam,
	     unsigned int mode)
{
#define IPFIX_X_PUT(id, pen, len, fams, modes, put) \
	if (((fams) & fam) && ((modes) & mode)) { \
		put; \
		q += (len); \
	}
	IPFIX_FIELDS(IPFIX_X_PUT)
#undef IPFIX_X_PUT
	return q;
}

/* Append one template record (id, fields of fam/mode) at q; returns the end. */
static uint8_t *
ipfix_template(uint8_t *q, uint16_t tid, unsigned int fam, unsigned int mode)
{
	uint8_t *count = q + 2;
	uint16_t n = 0;

	put16(q, tid);
	q += 4;
#define IPFIX_X_TMPL(id, pen, len, fams, modes, put) \
	if (((fams) & fam) && ((modes) & mode)) { \
		put16(q, (uint16_t)((id) | ((pen) != 0 ? 0x8000 : 0))); \
		put16(q + 2, (len)); \
		q += 4; \
		if ((pen) != 0) { \
			put32(q, (pen)); \
			q += 4; \
		} \
		n++; \
	}
	IPFIX_FIELDS(IPFIX_X_TMPL)
#undef IPFIX_X_TMPL
	put16(count, n);
	return q;
}

static void
ipfix_build_templates(struct ipfix *p)
{
	unsigned int mode = p->biflow ? IPFIX_MBI : IPFIX_MUNI;
	uint16_t base = IPFIX_TID_BASE + (p->biflow ? 0 : 2);
	uint8_t *q = p->tmpl + IPFIX_SET_HDR_LEN;

	p->tid[0] = base;
	p->tid[1] = base + 1;
	q = ipfix_template(q, p->tid[0], IPFIX_F4, mode);
	q = ipfix_template(q, p->tid[1], IPFIX_F6, mode);
	p->tmpl_len = (uint32_t)(q - p->tmpl);
	put16(p->tmpl, IPFIX_SET_TEMPLATE);
	put16(p->tmpl + 2, (uint16_t)p->tmpl_len);
	p->rec_len[0] = ipfix_rec_len[p->biflow ? 0 : 1][0];
	p->rec_len[1] = ipfix_rec_len[p->biflow ? 0 : 1][1];
}

/* ---- tcpControlBits from the history strings ------------------------- */

static uint16_t
ipfix_zeek_flags(char c)
{
	switch (c) {
	case 'S': return IPFIX_TCP_SYN;
	case 'H': return IPFIX_TCP_SYN | IPFIX_TCP_ACK;
	case 'A': return IPFIX_TCP_ACK;
	case 'D': return IPFIX_TCP_ACK;
	case 'F': return IPFIX_TCP_FIN;
	case 'R': return IPFIX_TCP_RST;
	case 'I': return IPFIX_TCP_FIN | IPFIX_TCP_RST;
	case 'Q': return IPFIX_TCP_SYN;   /* with FIN or RST: which one is not kept */
	default: return 0;
	}
}

/*
 * Flags per originator-relative side. The flowscope string keeps its case
 * right across role flips; Zeek's keeps the case a letter had when it was
 * written, so a letter followed by an odd number of '^' belongs to the
 * other side now.
 */
static void
ipfix_tcp_flags(const struct fc_event_flow_end *fe, uint16_t fl[2])
{
	const char *z = fe->history, *f = fe->fs_history;
	unsigned int i, flips = 0;

	fl[0] = fl[1] = 0;
	if (fe->id.proto != IPPROTO_TCP)
		return;
	for (i = 0; i < FC_EVENT_HISTORY_LEN && f[i] != '\0'; i++) {
		unsigned int side = f[i] >= 'a';
		char c = (char)(side ? f[i] - ('a' - 'A') : f[i]);

		switch (c) {
		case 'S': fl[side] |= IPFIX_TCP_SYN; break;
		case 'F': fl[side] |= IPFIX_TCP_FIN; break;
		case 'R': fl[side] |= IPFIX_TCP_RST; break;
		case 'D': fl[side] |= IPFIX_TCP_ACK; break;
		default: break;
		}
	}
	for (i = 0; i < FC_EVENT_HISTORY_LEN && z[i] != '\0'; i++)
		flips += z[i] == '^';
	for (i = 0; i < FC_EVENT_HISTORY_LEN && z[i] != '\0'; i++) {
		unsigned int side;
		char c = z[i];

		if (c == '^') {
			flips--;
			continue;
		}
		side = c >= 'a';
		if (side)
			c = (char)(c - ('a' - 'A'));
		fl[side ^ (flips & 1)] |= ipfix_zeek_flags(c);
	}
}

/* ---- the stream queue (TCP, file) ----------------------------------- */

static uint32_t
ipfix_qm_tail(const struct ipfix *p)
{
	return (p->qm_head + p->qm_n) % IPFIX_QUEUE_MSGS;
}

/* n bytes left the queue: credit the messages they complete. */
static void
ipfix_q_consumed(struct app_sink *s, struct ipfix *p, uint32_t n)
{
	uint64_t done;

	p->q_off += n;
	done = p->q_base + p->q_off;
	while (p->qm_n > 0 && p->qm[p->qm_head].end <= done) {
		s->written += p->qm[p->qm_head].nev;
		p->q_done = p->qm[p->qm_head].end;
		p->qm_head = (p->qm_head + 1) % IPFIX_QUEUE_MSGS;
		p->qm_n--;
	}
	if (p->q_off == p->q_len) {
		p->q_base += p->q_len;
		p->q_off = p->q_len = 0;
	}
}

static void
ipfix_tmpl_due_all(struct ipfix *p)
{
	for (unsigned int i = 0; i < IPFIX_DOMAINS; i++)
		p->dom[i].tmpl_due = 1;
}

/* Everything queued is lost: count it, and templates must be sent again. */
static void
ipfix_q_drop(struct app_sink *s, struct ipfix *p)
{
	while (p->qm_n > 0) {
		s->dropped += p->qm[p->qm_head].nev;
		p->qm_head = (p->qm_head + 1) % IPFIX_QUEUE_MSGS;
		p->qm_n--;
	}
	p->q_base += p->q_len;
	p->q_done = p->q_base;
	p->q_off = p->q_len = 0;
	ipfix_tmpl_due_all(p);
}

static void
ipfix_report(struct ipfix *p, const char *what, int err)
{
	if (p->reported)
		return;
	p->reported = 1;
	fprintf(stderr, "flowscope: ipfix %s: %s%s%s%s\n", p->name, what,
		err != 0 ? ": " : "", err != 0 ? strerror(err) : "",
		p->transport == IPFIX_TCP ?
		"; records are dropped until the collector is back" : "");
}

/*
 * File: write the whole queue. 0, or -errno (queue dropped). A message cut
 * by the failed write is cut off the file too, where the file allows it,
 * so what follows a recovery is still a readable stream of messages.
 */
static int
ipfix_file_flush(struct app_sink *s, struct ipfix *p)
{
	while (p->q_off < p->q_len) {
		ssize_t n = write(p->fd, p->q + p->q_off, p->q_len - p->q_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			uint64_t partial = p->q_base + p->q_off - p->q_done;

			if (err != EPIPE)
				ipfix_report(p, "write failed", err);
			if (partial > 0 && p->own_fd) {
				off_t end = lseek(p->fd, 0, SEEK_END);

				if (end >= (off_t)partial &&
				    ftruncate(p->fd, end - (off_t)partial) != 0)
					ipfix_report(p, "truncating a cut message", errno);
			}
			ipfix_q_drop(s, p);
			return -err;
		}
		ipfix_q_consumed(s, p, (uint32_t)n);
	}
	return 0;
}

static void ipfix_tcp_fail(struct app_sink *s, struct ipfix *p, const char *what, int err);

/* TCP: send what the socket takes now. */
static void
ipfix_tcp_send(struct app_sink *s, struct ipfix *p)
{
	while (p->tcp == IPFIX_TCP_UP && p->q_off < p->q_len) {
		ssize_t n = send(p->fd, p->q + p->q_off, p->q_len - p->q_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			ipfix_tcp_fail(s, p, "send failed", n < 0 ? errno : EPIPE);
			return;
		}
		ipfix_q_consumed(s, p, (uint32_t)n);
	}
}

/* Queue a complete message (TCP, file). -EPIPE if a file's reader went away. */
static int
ipfix_q_push(struct app_sink *s, struct ipfix *p, const uint8_t *msg,
	     uint32_t len, uint32_t nev, unsigned int dom, int has_tmpl)
{
	struct ipfix_qmsg *m;
	int rc = 0;

	if (p->q_len + len > IPFIX_QUEUE || p->qm_n == IPFIX_QUEUE_MSGS) {
		if (p->transport == IPFIX_FILE)
			rc = ipfix_file_flush(s, p);
		else
			ipfix_tcp_send(s, p);
		if (p->q_off > 0) {
			memmove(p->q, p->q + p->q_off, p->q_len - p->q_off);
			p->q_base += p->q_off;
			p->q_len -= p->q_off;
			p->q_off = 0;
		}
	}
	if (p->q_len + len > IPFIX_QUEUE || p->qm_n == IPFIX_QUEUE_MSGS ||
	    (p->transport == IPFIX_TCP && p->tcp == IPFIX_TCP_DOWN)) {
		/* The collector does not keep up (or went away meanwhile). */
		s->dropped += nev;
		if (has_tmpl)
			p->dom[dom].tmpl_due = 1;
		return rc;
	}
	memcpy(p->q + p->q_len, msg, len);
	p->q_len += len;
	m = &p->qm[ipfix_qm_tail(p)];
	m->end = p->q_base + p->q_len;
	m->nev = nev;
	p->qm_n++;
	if (p->transport == IPFIX_TCP)
		ipfix_tcp_send(s, p);
	return rc;
}

/* ---- TCP connection -------------------------------------------------- */

static void
ipfix_tcp_down(struct app_sink *s, struct ipfix *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->tcp = IPFIX_TCP_DOWN;
	ipfix_q_drop(s, p);
	/* Open messages were built for the lost stream: drop them too. */
	for (unsigned int i = 0; i < IPFIX_DOMAINS; i++) {
		struct ipfix_dom *d = &p->dom[i];

		if (d->used == 0)
			continue;
		s->dropped += d->nev;
		d->seq += d->nrec;
		d->used = 0;
	}
	p->retry_at = p->now + p->backoff;
	p->backoff = RTE_MIN(p->backoff * 2, IPFIX_BACKOFF_MAX);
}

static void
ipfix_tcp_fail(struct app_sink *s, struct ipfix *p, const char *what, int err)
{
	ipfix_report(p, what, err);
	ipfix_tcp_down(s, p);
}

static void
ipfix_tcp_up(struct ipfix *p)
{
	p->tcp = IPFIX_TCP_UP;
	p->backoff = IPFIX_BACKOFF_MIN;
	if (p->reported)
		fprintf(stderr, "flowscope: ipfix %s: connected\n", p->name);
	p->reported = 0;
}

static void
ipfix_tcp_connect(struct app_sink *s, struct ipfix *p)
{
	int fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		ipfix_tcp_fail(s, p, "socket", errno);
		return;
	}
	p->fd = fd;
	p->connect_deadline = p->now + IPFIX_CONNECT_TIMEOUT;
	if (connect(fd, (const struct sockaddr *)&p->addr, p->addrlen) == 0) {
		ipfix_tcp_up(p);
		return;
	}
	if (errno == EINPROGRESS || errno == EINTR) {
		p->tcp = IPFIX_TCP_CONNECTING;
		return;
	}
	ipfix_tcp_fail(s, p, "connect failed", errno);
}

/* A connect in progress: finished? (no waiting unless timeout_ms > 0) */
static void
ipfix_tcp_check_connect(struct app_sink *s, struct ipfix *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0, n;

	n = poll(&pfd, 1, timeout_ms);
	if (n == 0) {
		if (timeout_ms == 0 && p->now >= p->connect_deadline)
			ipfix_tcp_fail(s, p, "connect failed", ETIMEDOUT);
		return;
	}
	if (n < 0)
		return;
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		ipfix_tcp_fail(s, p, "connect failed", err);
		return;
	}
	ipfix_tcp_up(p);
	ipfix_tcp_send(s, p);
}

/* An established connection: did the collector close it? (Collectors send nothing.) */
static void
ipfix_tcp_check_peer(struct app_sink *s, struct ipfix *p)
{
	uint8_t buf[512];

	for (unsigned int i = 0; i < 64; i++) {
		ssize_t n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == 0)
			ipfix_tcp_fail(s, p, "closed by the collector", 0);
		else
			ipfix_tcp_fail(s, p, "connection lost", errno);
		return;
	}
}

/* ---- messages -------------------------------------------------------- */

static uint32_t
ipfix_wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint32_t)ts.tv_sec;
}

/* UDP: send one message. */
static void
ipfix_udp_send(struct app_sink *s, struct ipfix *p, const uint8_t *msg,
	       uint32_t len, uint32_t nev, struct ipfix_dom *d)
{
	ssize_t n;

	do {
		n = sendto(p->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)&p->addr, p->addrlen);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		s->written += nev;
		p->reported = 0;
		return;
	}
	s->dropped += nev;
	if (d->has_tmpl)
		d->tmpl_due = 1;
	ipfix_report(p, "send failed", n < 0 ? errno : EMSGSIZE);
}

/* Complete the open message of domain di and hand it to the transport. */
static int
ipfix_msg_finish(struct app_sink *s, struct ipfix *p, unsigned int di)
{
	struct ipfix_dom *d = &p->dom[di];
	uint8_t *m = d->msg;
	uint32_t len = d->used;
	int rc = 0;

	if (len == 0)
		return 0;
	if (d->set_id != 0)
		put16(m + d->set_off + 2, (uint16_t)(len - d->set_off));
	put16(m, IPFIX_VERSION);
	put16(m + 2, (uint16_t)len);
	put32(m + 4, ipfix_wall_seconds());
	put32(m + 8, d->seq);
	put32(m + 12, di + 1);
	d->seq += d->nrec;
	d->used = 0;
	switch (p->transport) {
	case IPFIX_UDP:
		ipfix_udp_send(s, p, m, len, d->nev, d);
		break;
	case IPFIX_TCP:
	case IPFIX_FILE:
		rc = ipfix_q_push(s, p, m, len, d->nev, di, d->has_tmpl);
		break;
	}
	return rc;
}

static void
ipfix_msg_start(struct ipfix *p, struct ipfix_dom *d)
{
	d->used = IPFIX_HDR_LEN;
	d->set_id = 0;
	d->nrec = 0;
	d->nev = 0;
	d->has_tmpl = 0;
	if (p->transport == IPFIX_UDP && p->tmpl_interval_ns != 0 &&
	    p->now - d->tmpl_ns >= p->tmpl_interval_ns)
		d->tmpl_due = 1;
	if (d->tmpl_due) {
		memcpy(d->msg + d->used, p->tmpl, p->tmpl_len);
		d->used += p->tmpl_len;
		d->tmpl_due = 0;
		d->has_tmpl = 1;
		d->tmpl_ns = p->now;
	}
}

/*
 * Room for len bytes of records of template tid in domain di's message:
 * completes the message if they do not fit, opens a data set if needed.
 * NULL if the domain's buffer cannot be allocated.
 */
static uint8_t *
ipfix_reserve(struct app_sink *s, struct ipfix *p, unsigned int di,
	      uint16_t tid, uint32_t len, int *rc)
{
	struct ipfix_dom *d = &p->dom[di];
	uint8_t *q;

	if (FC_UNLIKELY(d->msg == NULL)) {
		d->msg = malloc(p->mtu);
		if (d->msg == NULL)
			return NULL;
		d->tmpl_due = 1;
	}
	for (;;) {
		uint32_t need;

		if (d->used == 0)
			ipfix_msg_start(p, d);
		need = len + (d->set_id == tid ? 0 : IPFIX_SET_HDR_LEN);
		if (d->used + need <= p->mtu)
			break;
		/* An empty message always has room: mtu >= IPFIX_MTU_MIN. */
		if (ipfix_msg_finish(s, p, di) == -EPIPE)
			*rc = -EPIPE;
	}
	if (d->set_id != tid) {
		if (d->set_id != 0)
			put16(d->msg + d->set_off + 2, (uint16_t)(d->used - d->set_off));
		d->set_off = d->used;
		put16(d->msg + d->used, tid);
		d->used += IPFIX_SET_HDR_LEN;
		d->set_id = tid;
	}
	q = d->msg + d->used;
	d->used += len;
	return q;
}

static int
ipfix_flush_all(struct app_sink *s, struct ipfix *p)
{
	int rc = 0;

	for (unsigned int i = 0; i < IPFIX_DOMAINS; i++)
		if (p->dom[i].used != 0 && ipfix_msg_finish(s, p, i) == -EPIPE)
			rc = -EPIPE;
	return rc;
}

/* ---- active timeout: what was exported of flows with updates -------------- */

static struct ipfix_track *
ipfix_track_set(struct ipfix *p, uint64_t flow_id)
{
	uint64_t h = flow_id;

	h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
	h ^= h >> 31;
	return &p->track[h % (IPFIX_TRACK / IPFIX_TRACK_WAYS) * IPFIX_TRACK_WAYS];
}

static struct ipfix_track *
ipfix_track_find(struct ipfix *p, uint64_t flow_id)
{
	struct ipfix_track *set;

	if (p->track == NULL)
		return NULL;
	set = ipfix_track_set(p, flow_id);
	for (unsigned int w = 0; w < IPFIX_TRACK_WAYS; w++)
		if (set[w].used && set[w].flow_id == flow_id)
			return &set[w];
	return NULL;
}

/* The entry of a flow that has an update to export: found, or a free (or stale) one; NULL if none. */
static struct ipfix_track *
ipfix_track_get(struct ipfix *p, uint64_t flow_id, uint64_t ts)
{
	struct ipfix_track *t = ipfix_track_find(p, flow_id), *set;

	if (t != NULL)
		return t;
	if (p->track == NULL) {
		p->track = calloc(IPFIX_TRACK, sizeof(*p->track));
		if (p->track == NULL)
			return NULL;
	}
	/*
	 * A free way first; a stale one only when none is free, so that a
	 * jump in packet time (captures hold such packets) cannot take the
	 * entry of a flow that is still open while a free way exists.
	 */
	set = ipfix_track_set(p, flow_id);
	for (unsigned int pass = 0; pass < 2; pass++) {
		for (unsigned int w = 0; w < IPFIX_TRACK_WAYS; w++) {
			struct ipfix_track *e = &set[w];

			if (!e->used || (pass == 1 && ts > e->last_ts + IPFIX_TRACK_STALE)) {
				memset(e, 0, sizeof(*e));
				e->used = 1;
				e->flow_id = flow_id;
				return e;
			}
		}
	}
	return NULL;
}

/*
 * Encode one flow_end or flow_update (IPv4/IPv6) into its domain's
 * message: one biflow record, or the uniflow records of the directions
 * that sent packets in it (the originator's alone if neither did), side
 * by side. pkts/octets are the record's delta counts.
 */
static int
ipfix_event(struct app_sink *s, struct ipfix *p, const struct fc_event *ev,
	    const struct fc_event_flow_end *fe, const uint64_t pkts[2],
	    const uint64_t octets[2], uint8_t reason)
{
	unsigned int di = (unsigned int)(ev->flow_id >> 56);
	unsigned int v6 = fe->id.family == FC_KEY_FAMILY_V6;
	unsigned int fwd = 1, rev = 0;
	struct ipfix_rec r;
	uint8_t *q;
	int rc = 0;

	if (!p->biflow) {
		rev = pkts[1] > 0;
		fwd = pkts[0] > 0 || !rev;
	}
	q = ipfix_reserve(s, p, di, p->tid[v6], p->rec_len[v6] * (fwd + rev), &rc);
	if (FC_UNLIKELY(q == NULL)) {
		s->dropped++;
		return rc;
	}
	r.start_ms = fe->first_ts / 1000000;
	r.end_ms = fe->last_ts / 1000000;
	r.octets[0] = octets[0];
	r.octets[1] = octets[1];
	r.pkts[0] = pkts[0];
	r.pkts[1] = pkts[1];
	r.src = fe->id.orig_h;
	r.dst = fe->id.resp_h;
	r.sport = fe->id.orig_p;
	r.dport = fe->id.resp_p;
	r.vlan = fe->id.vlan;
	r.proto = fe->id.proto;
	r.reason = reason;
	ipfix_tcp_flags(fe, r.flags);
	if (p->biflow) {
		if (v6)
			ipfix_encode(q, &r, IPFIX_F6, IPFIX_MBI);
		else
			ipfix_encode(q, &r, IPFIX_F4, IPFIX_MBI);
	} else {
		if (fwd)
			q = v6 ? ipfix_encode(q, &r, IPFIX_F6, IPFIX_MUNI) :
				 ipfix_encode(q, &r, IPFIX_F4, IPFIX_MUNI);
		if (rev) {
			struct ipfix_rec b = r;

			b.octets[0] = r.octets[1];
			b.pkts[0] = r.pkts[1];
			b.src = r.dst;
			b.dst = r.src;
			b.sport = r.dport;
			b.dport = r.sport;
			b.flags[0] = r.flags[1];
			if (v6)
				ipfix_encode(q, &b, IPFIX_F6, IPFIX_MUNI);
			else
				ipfix_encode(q, &b, IPFIX_F4, IPFIX_MUNI);
		}
	}
	p->dom[di].nrec += fwd + rev;
	p->dom[di].nev++;
	return rc;
}

/* ---- sink ops ---------------------------------------------------------- */

static int
ipfix_write(struct app_sink *s, const struct fc_event *ev, unsigned int n)
{
	struct ipfix *p = s->priv;
	int rc = 0;

	if (p->transport == IPFIX_TCP && p->tcp == IPFIX_TCP_CONNECTING)
		ipfix_tcp_check_connect(s, p, 0);
	for (unsigned int i = 0; i < n; i++) {
		const struct fc_event *e = &ev[i];
		const struct fc_event_flow_end *fe = &e->u.end;
		struct ipfix_track *t = NULL;
		uint64_t pkts[2], octets[2];
		uint8_t reason;

		if ((e->type != FC_EV_FLOW_END && e->type != FC_EV_FLOW_UPDATE) ||
		    (fe->id.family != FC_KEY_FAMILY_V4 && fe->id.family != FC_KEY_FAMILY_V6))
			continue;
		if (e->type == FC_EV_FLOW_UPDATE) {
			t = ipfix_track_get(p, e->flow_id, e->ts);
			if (t == NULL) {
				/* Not tracked: the flow_end will carry the totals. */
				p->updates_skipped++;
				continue;
			}
			reason = IPFIX_REASON_ACTIVE;
		} else {
			if (FC_UNLIKELY(p->track != NULL))
				t = ipfix_track_find(p, e->flow_id);
			reason = fe->reason < FC_END_MAX ? ipfix_end_reason[fe->reason] : 4;
		}
		for (unsigned int k = 0; k < 2; k++) {
			pkts[k] = fe->pkts[k];
			octets[k] = fe->ip_bytes[k];
			if (t != NULL) {
				pkts[k] -= RTE_MIN(t->pkts[k], pkts[k]);
				octets[k] -= RTE_MIN(t->octets[k], octets[k]);
			}
		}
		if (t != NULL) {
			if (e->type == FC_EV_FLOW_UPDATE) {
				/* Counted as exported even if the record is lost on the way. */
				t->pkts[0] = fe->pkts[0];
				t->pkts[1] = fe->pkts[1];
				t->octets[0] = fe->ip_bytes[0];
				t->octets[1] = fe->ip_bytes[1];
				t->last_ts = e->ts;
			} else {
				t->used = 0;
			}
		}
		s->records++;
		if (p->transport == IPFIX_TCP && p->tcp == IPFIX_TCP_DOWN) {
			s->dropped++;
			continue;
		}
		if (ipfix_event(s, p, e, fe, pkts, octets, reason) == -EPIPE)
			rc = -EPIPE;
	}
	return rc;
}

static int
ipfix_tick(struct app_sink *s, uint64_t now_ns)
{
	struct ipfix *p = s->priv;
	int rc;

	p->now = now_ns;
	if (p->transport == IPFIX_TCP) {
		if (p->tcp == IPFIX_TCP_DOWN && now_ns >= p->retry_at)
			ipfix_tcp_connect(s, p);
		if (p->tcp == IPFIX_TCP_CONNECTING)
			ipfix_tcp_check_connect(s, p, 0);
		if (p->tcp == IPFIX_TCP_UP)
			ipfix_tcp_check_peer(s, p);
	}
	rc = ipfix_flush_all(s, p);
	if (p->transport == IPFIX_FILE) {
		int r = ipfix_file_flush(s, p);

		if (r != 0)
			rc = r;
	} else if (p->transport == IPFIX_TCP) {
		ipfix_tcp_send(s, p);
	}
	return rc;
}

static int
ipfix_open_file(struct ipfix *p, int flags)
{
	if (strcmp(p->name, "-") == 0) {
		p->fd = STDOUT_FILENO;
		p->own_fd = 0;
		return 0;
	}
	p->fd = open(p->name, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	if (p->fd < 0) {
		int err = errno;

		fprintf(stderr, "flowscope: %s: %s\n", p->name, strerror(err));
		return -err;
	}
	p->own_fd = 1;
	return 0;
}

static int
ipfix_reopen(struct app_sink *s)
{
	struct ipfix *p = s->priv;
	int rc;

	if (p->transport != IPFIX_FILE)
		return 0;
	rc = ipfix_flush_all(s, p);
	if (ipfix_file_flush(s, p) != 0 && rc == 0)
		rc = -EIO;
	if (!p->own_fd)
		return rc;
	if (p->fd >= 0)
		close(p->fd);
	p->reported = 0;
	/* The new file needs the templates before its first data. */
	ipfix_tmpl_due_all(p);
	return ipfix_open_file(p, O_APPEND);
}

static uint64_t
ipfix_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* TCP at close: let a pending connect finish and the queue drain, for a bounded time. */
static void
ipfix_tcp_drain(struct app_sink *s, struct ipfix *p)
{
	uint64_t end = ipfix_mono_ms() + IPFIX_CLOSE_WAIT_MS;

	for (;;) {
		uint64_t t = ipfix_mono_ms();
		int left = t < end ? (int)(end - t) : 0;

		if (p->tcp == IPFIX_TCP_CONNECTING) {
			if (left == 0)
				break;
			ipfix_tcp_check_connect(s, p, left);
			continue;
		}
		if (p->tcp != IPFIX_TCP_UP || p->q_off == p->q_len)
			break;
		ipfix_tcp_send(s, p);
		if (p->tcp == IPFIX_TCP_UP && p->q_off < p->q_len) {
			struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };

			if (left == 0 || poll(&pfd, 1, left) <= 0)
				break;
		}
	}
}

/*
 * End of the run: complete every open message and hand it over; TCP waits
 * (at most IPFIX_CLOSE_WAIT_MS) for the queue to drain and counts what it
 * could not send as dropped, so records = written + dropped from here on.
 */
static int
ipfix_flush(struct app_sink *s, uint64_t now_ns)
{
	struct ipfix *p = s->priv;
	int rc = ipfix_tick(s, now_ns);

	if (p->transport == IPFIX_TCP) {
		ipfix_tcp_drain(s, p);
		if (p->q_off < p->q_len || p->qm_n > 0)
			ipfix_q_drop(s, p);
	}
	return rc;
}

static void
ipfix_free(struct ipfix *p)
{
	if (p->updates_skipped > 0)
		fprintf(stderr, "flowscope: ipfix %s: %" PRIu64 " flow_update records not "
			"exported (no room to track their flows; their final records "
			"carry the totals)\n", p->name, p->updates_skipped);
	free(p->track);
	for (unsigned int i = 0; i < IPFIX_DOMAINS; i++)
		free(p->dom[i].msg);
	free(p->q);
	free(p->qm);
	free(p->name);
	free(p);
}

static int
ipfix_close(struct app_sink *s)
{
	struct ipfix *p = s->priv;
	int rc;

	if (p == NULL)
		return 0;
	rc = ipfix_flush_all(s, p);
	switch (p->transport) {
	case IPFIX_FILE: {
		int r = ipfix_file_flush(s, p);

		if (r != 0 && rc == 0)
			rc = r;
		if (p->own_fd && p->fd >= 0 && close(p->fd) != 0 && rc == 0)
			rc = -errno;
		break;
	}
	case IPFIX_TCP:
		ipfix_tcp_drain(s, p);
		ipfix_q_drop(s, p);  /* whatever could not be sent in time */
		if (p->fd >= 0)
			close(p->fd);
		break;
	case IPFIX_UDP:
		close(p->fd);
		break;
	}
	ipfix_free(p);
	s->priv = NULL;
	return rc == -EPIPE ? 0 : rc;
}

/* ---- parsing the target ----------------------------------------------- */

static int
ipfix_parse_uint(const char *v, unsigned long min, unsigned long max,
		 unsigned long *out)
{
	char *end;
	unsigned long x;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* Options after '?'. mtu_set says whether mtu was given. */
static int
ipfix_parse_options(struct ipfix *p, char *opts, const char *spec, int *mtu_set)
{
	char *save = NULL;

	for (char *kv = strtok_r(opts, "&", &save); kv != NULL;
	     kv = strtok_r(NULL, "&", &save)) {
		char *v = strchr(kv, '=');
		unsigned long x;

		if (v == NULL) {
			fprintf(stderr, "flowscope: --output ipfix:%s: option '%s' "
				"has no value (KEY=VALUE)\n", spec, kv);
			return -EINVAL;
		}
		*v++ = '\0';
		if (strcmp(kv, "mode") == 0) {
			if (strcmp(v, "biflow") == 0) {
				p->biflow = 1;
			} else if (strcmp(v, "uniflow") == 0) {
				p->biflow = 0;
			} else {
				fprintf(stderr, "flowscope: --output ipfix:%s: mode "
					"is biflow or uniflow, not '%s'\n", spec, v);
				return -EINVAL;
			}
		} else if (strcmp(kv, "template_interval") == 0) {
			if (ipfix_parse_uint(v, 0, IPFIX_TMPL_INTERVAL_MAX, &x) != 0) {
				fprintf(stderr, "flowscope: --output ipfix:%s: "
					"template_interval is 0..%u seconds, not '%s'\n",
					spec, IPFIX_TMPL_INTERVAL_MAX, v);
				return -EINVAL;
			}
			p->tmpl_interval_ns = x * FC_NS_PER_SEC;
		} else if (strcmp(kv, "mtu") == 0) {
			if (ipfix_parse_uint(v, IPFIX_MTU_MIN, IPFIX_MTU_MAX, &x) != 0) {
				fprintf(stderr, "flowscope: --output ipfix:%s: mtu is "
					"%u..%u bytes, not '%s'\n", spec,
					IPFIX_MTU_MIN, IPFIX_MTU_MAX, v);
				return -EINVAL;
			}
			p->mtu = (uint32_t)x;
			*mtu_set = 1;
		} else {
			fprintf(stderr, "flowscope: --output ipfix:%s: unknown option "
				"'%s' (mode, template_interval, mtu)\n", spec, kv);
			return -EINVAL;
		}
	}
	return 0;
}

/* "HOST:PORT" or "[V6]:PORT" -> p->addr. */
static int
ipfix_resolve(struct ipfix *p, char *hostport, int socktype, const char *spec)
{
	struct addrinfo hints, *res = NULL;
	char *host = hostport, *port;
	unsigned long x;
	int rc;

	if (*host == '[') {
		char *rb = strchr(host, ']');

		if (rb == NULL || rb[1] != ':') {
			fprintf(stderr, "flowscope: --output ipfix:%s: expected "
				"[IPV6]:PORT\n", spec);
			return -EINVAL;
		}
		*rb = '\0';
		host++;
		port = rb + 2;
	} else {
		port = strrchr(host, ':');
		if (port == NULL || strchr(host, ':') != port) {
			fprintf(stderr, "flowscope: --output ipfix:%s: expected "
				"HOST:PORT (IPv6 in brackets)\n", spec);
			return -EINVAL;
		}
		*port++ = '\0';
	}
	if (*host == '\0' || ipfix_parse_uint(port, 1, 65535, &x) != 0) {
		fprintf(stderr, "flowscope: --output ipfix:%s: expected HOST:PORT "
			"with PORT 1..65535\n", spec);
		return -EINVAL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0 || res == NULL) {
		fprintf(stderr, "flowscope: --output ipfix:%s: %s: %s\n", spec,
			host, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
	p->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
ipfix_open(struct app_sink *s, const char *target)
{
	struct ipfix *p = calloc(1, sizeof(*p));
	char *t = strdup(target), *opts, *where;
	int mtu_set = 0, rc = 0;

	if (p == NULL || t == NULL) {
		fprintf(stderr, "flowscope: out of memory for the ipfix sink\n");
		free(p);
		free(t);
		return -ENOMEM;
	}
	p->fd = -1;
	p->biflow = 1;
	p->tmpl_interval_ns = IPFIX_TMPL_INTERVAL * FC_NS_PER_SEC;
	p->backoff = IPFIX_BACKOFF_MIN;
	opts = strchr(t, '?');
	if (opts != NULL)
		*opts++ = '\0';
	where = t;
	if (strncmp(t, "udp://", 6) == 0) {
		p->transport = IPFIX_UDP;
		where = t + 6;
	} else if (strncmp(t, "tcp://", 6) == 0) {
		p->transport = IPFIX_TCP;
		where = t + 6;
	} else {
		p->transport = IPFIX_FILE;
	}
	p->name = strdup(t);
	if (p->name == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (*where == '\0') {
		fprintf(stderr, "flowscope: --output ipfix:%s: no %s\n", target,
			p->transport == IPFIX_FILE ? "file name" : "HOST:PORT");
		rc = -EINVAL;
		goto out;
	}
	if (opts != NULL) {
		rc = ipfix_parse_options(p, opts, target, &mtu_set);
		if (rc != 0)
			goto out;
	}
	if (!mtu_set)
		p->mtu = p->transport == IPFIX_UDP ? IPFIX_MTU_UDP : IPFIX_MTU_STREAM;
	ipfix_build_templates(p);
	if (p->transport != IPFIX_UDP) {
		p->q = malloc(IPFIX_QUEUE);
		p->qm = malloc(IPFIX_QUEUE_MSGS * sizeof(*p->qm));
		if (p->q == NULL || p->qm == NULL) {
			fprintf(stderr, "flowscope: out of memory for the ipfix sink\n");
			rc = -ENOMEM;
			goto out;
		}
	}
	switch (p->transport) {
	case IPFIX_UDP:
		rc = ipfix_resolve(p, where, SOCK_DGRAM, target);
		if (rc != 0)
			goto out;
		p->fd = socket(p->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, 0);
		if (p->fd < 0) {
			rc = -errno;
			fprintf(stderr, "flowscope: --output ipfix:%s: socket: %s\n",
				target, strerror(-rc));
			goto out;
		}
		break;
	case IPFIX_TCP:
		rc = ipfix_resolve(p, where, SOCK_STREAM, target);
		if (rc != 0)
			goto out;
		/* Not connected yet is not an error: records wait or are dropped. */
		ipfix_tcp_connect(s, p);
		break;
	case IPFIX_FILE:
		rc = ipfix_open_file(p, O_TRUNC);
		if (rc != 0)
			goto out;
		break;
	}
out:
	free(t);
	if (rc != 0) {
		if (p->fd >= 0 && p->transport != IPFIX_FILE)
			close(p->fd);
		ipfix_free(p);
		return rc;
	}
	s->priv = p;
	return 0;
}

const struct app_sink_ops app_sink_ipfix_ops = {
	.scheme = "ipfix",
	.usage = "ipfix:udp://HOST:PORT|ipfix:tcp://HOST:PORT|ipfix:FILE[?mode=biflow|uniflow"
		 "&template_interval=S&mtu=N]  IPFIX flow records (RFC 7011/5103)",
	.open = ipfix_open,
	.write = ipfix_write,
	.write_stats = NULL,
	.tick = ipfix_tick,
	.reopen = ipfix_reopen,
	.flush = ipfix_flush,
	.close = ipfix_close,
};
