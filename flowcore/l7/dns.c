/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS session parser (RFC 1035), over UDP (fc_l7_dns: one message per
 * datagram) and over TCP (fc_l7_dns_tcp: each message behind a two-byte
 * length, RFC 1035 section 4.2.2 / RFC 7766). Both share the message
 * decoder, the field table and the per-flow state.
 *
 * MESSAGES. Kinds "query" (QR = 0), "response" (QR = 1) and "unanswered"
 * (a query that got no response: see CORRELATION). Field names follow
 * Zeek's dns.log: trans_id,
 * opcode, opcode_name, rcode, rcode_name (responses), the header flags AA,
 * TC, RD, RA and Z (the three bits after RA), the first question as
 * query, qclass, qclass_name, qtype, qtype_name (questions: the count, only
 * when there is more than one), and for responses the answer section as
 * answers (repeated, presentation text) with TTLs (repeated, seconds),
 * each answer's owner name and type as answer_names and answer_types
 * (repeated, the type by its mnemonic or in decimal; the i-th entries of
 * the four arrays describe the i-th answer: an answer that does not fit
 * the event ends the arrays, so they stay aligned), and rtt_us, the time from the matching query to the response in
 * microseconds. Answers are rendered as Zeek's dns.log renders them: A and
 * AAAA as addresses, CNAME, NS and PTR as the name, MX as the exchange
 * name and SRV as the target name (Zeek drops preference, priority,
 * weight and port), SOA as the primary server name (mname), TXT as
 * "TXT <length> <string>" per character-string, joined by a space; any
 * other type renders as "<TYPE>: <rdlen> bytes". The root name renders
 * as ".".
 *
 * CORRELATION. Queries wait in a per-flow table of DNS_PENDING entries
 * (enough for a resolver's parallel queries on one flow) keyed by
 * transaction id; a response takes the entry with its id and reports
 * rtt_us. A query whose id is already pending (a retransmission) keeps
 * the first entry. A query is reported "unanswered" (with trans_id, its
 * question and query_ts, the time it was sent) when it has waited
 * DNS_QUERY_TIMEOUT_NS - checked on every later message of the flow - or
 * when the flow ends, or when the session is poisoned, or when a hole in
 * a DNS/TCP stream that the framing cannot skip detaches the session, or,
 * if the table is full, when a newer query needs its entry (the oldest
 * goes). Query
 * names live in a per-flow arena of DNS_NAME_ARENA bytes, compacted when
 * it fills; a query whose name finds no room there (every entry holding
 * a long name) is still correlated and reported, without its name.
 *
 * NAMES. Compression pointers (RFC 1035 section 4.1.4) must point before
 * the start of the label run that contains them and past the header, so
 * every jump goes strictly backwards and decoding ends; jumps are also
 * capped (DNS_MAX_JUMPS) and a name longer than 255 wire bytes, a label
 * type other than 00/11 or a read past the message is an error.
 *
 * VALIDATION. A message is decoded twice: once to validate every section
 * (all records, including authority and additional, must lie inside the
 * message), then, if it is valid, to emit it. A malformed message is an
 * error (the session is poisoned with the reason). Over TCP a message too
 * large for the engine's tail (DNS_TCP_MAX) is skipped whole while the
 * framing is kept.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "fc_event.h"
#include "fc_l7.h"

/** Pending (unanswered) queries per flow. */
#define DNS_PENDING 32
/** A query unanswered for this long is reported (ns; Zeek and the reference Correlator use 30 s). */
#define DNS_QUERY_TIMEOUT_NS (UINT64_C(30) * FC_NS_PER_SEC)
/** Bytes of query names kept per flow for the pending queries. */
#define DNS_NAME_ARENA 1024
/** Most compression jumps in one name. */
#define DNS_MAX_JUMPS 32
/** Longest name in presentation form (254 characters) plus NUL. */
#define DNS_NAME_MAX 256
/** Largest TCP message (length prefix included) parsed; larger ones are skipped. */
#define DNS_TCP_MAX FC_L7_TAIL_MAX
/** Longest answer text. */
#define DNS_ANSWER_MAX 512

#define DNS_FIELDS(X) \
	X(TRANS_ID,    "trans_id",    FC_L7_T_U64,  0) \
	X(OPCODE,      "opcode",      FC_L7_T_U64,  0) \
	X(OPCODE_NAME, "opcode_name", FC_L7_T_STR,  0) \
	X(RCODE,       "rcode",       FC_L7_T_U64,  0) \
	X(RCODE_NAME,  "rcode_name",  FC_L7_T_STR,  0) \
	X(AA,          "AA",          FC_L7_T_BOOL, 0) \
	X(TC,          "TC",          FC_L7_T_BOOL, 0) \
	X(RD,          "RD",          FC_L7_T_BOOL, 0) \
	X(RA,          "RA",          FC_L7_T_BOOL, 0) \
	X(Z,           "Z",           FC_L7_T_U64,  0) \
	X(QUERY,       "query",       FC_L7_T_STR,  0) \
	X(QCLASS,      "qclass",      FC_L7_T_U64,  0) \
	X(QCLASS_NAME, "qclass_name", FC_L7_T_STR,  0) \
	X(QTYPE,       "qtype",       FC_L7_T_U64,  0) \
	X(QTYPE_NAME,  "qtype_name",  FC_L7_T_STR,  0) \
	X(QUESTIONS,   "questions",   FC_L7_T_U64,  0) \
	X(ANSWER_NAMES, "answer_names", FC_L7_T_STR, 1) \
	X(ANSWER_TYPES, "answer_types", FC_L7_T_STR, 1) \
	X(ANSWERS,     "answers",     FC_L7_T_STR,  1) \
	X(TTLS,        "TTLs",        FC_L7_T_U64,  1) \
	X(RTT_US,      "rtt_us",      FC_L7_T_U64,  0) \
	X(QUERY_TS,    "query_ts",    FC_L7_T_TS,   0)

#define DNS_X_ENUM(id, name, type, rep) DF_##id,
enum dns_field { DNS_FIELDS(DNS_X_ENUM) DF_MAX };
#undef DNS_X_ENUM

#define DNS_X_ROW(id, name, type, rep) [DF_##id] = { name, type, rep },
static const struct fc_l7_field dns_fields[] = { DNS_FIELDS(DNS_X_ROW) };
#undef DNS_X_ROW
static_assert(FC_DIM(dns_fields) == DF_MAX, "dns field table");

enum dns_kind { DK_QUERY, DK_RESPONSE, DK_UNANSWERED, DK_MAX };
static const char *const dns_kinds[] = {
	[DK_QUERY] = "query",
	[DK_RESPONSE] = "response",
	[DK_UNANSWERED] = "unanswered",
};
static_assert(FC_DIM(dns_kinds) == DK_MAX, "dns kind table");

static const char *const dns_opcodes[16] = {
	"query", "iquery", "status", NULL, "notify", "update", "dso",
};

static const char *const dns_rcodes[16] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
};

/* RR types with a name (Zeek's spelling, "*" for ANY). */
static const struct {
	uint16_t type;
	const char *name;
} dns_types[] = {
	{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
	{ 13, "HINFO" }, { 15, "MX" }, { 16, "TXT" }, { 17, "RP" },
	{ 18, "AFSDB" }, { 24, "SIG" }, { 25, "KEY" }, { 28, "AAAA" },
	{ 29, "LOC" }, { 33, "SRV" }, { 35, "NAPTR" }, { 36, "KX" },
	{ 37, "CERT" }, { 39, "DNAME" }, { 41, "OPT" }, { 42, "APL" },
	{ 43, "DS" }, { 44, "SSHFP" }, { 45, "IPSECKEY" }, { 46, "RRSIG" },
	{ 47, "NSEC" }, { 48, "DNSKEY" }, { 49, "DHCID" }, { 50, "NSEC3" },
	{ 51, "NSEC3PARAM" }, { 52, "TLSA" }, { 53, "SMIMEA" }, { 55, "HIP" },
	{ 59, "CDS" }, { 60, "CDNSKEY" }, { 61, "OPENPGPKEY" }, { 62, "CSYNC" },
	{ 63, "ZONEMD" }, { 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" },
	{ 249, "TKEY" }, { 250, "TSIG" }, { 251, "IXFR" }, { 252, "AXFR" },
	{ 253, "MAILB" }, { 254, "MAILA" }, { 255, "*" }, { 256, "URI" },
	{ 257, "CAA" },
};

enum {
	T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_PTR = 12, T_MX = 15,
	T_TXT = 16, T_AAAA = 28, T_SRV = 33,
};

struct dns_pending {
	uint64_t ts;          /**< query time, ns */
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	uint16_t name_off;    /**< query name at names[name_off] */
	uint8_t name_len;     /**< bytes of the name kept (0: none) */
	uint8_t used;
	uint8_t side;         /**< side that sent the query */
	uint8_t has_q;        /**< a question was present */
};

struct dns_state {
	struct dns_pending pend[DNS_PENDING];
	uint32_t skip[2];     /**< TCP: bytes of an oversize message still to skip */
	uint16_t names_top;   /**< bytes of names[] handed out (live or not) */
	char names[DNS_NAME_ARENA]; /**< query names of the pending entries */
};

static const char *
dns_type_name(uint16_t t)
{
	for (unsigned int i = 0; i < FC_DIM(dns_types); i++)
		if (dns_types[i].type == t)
			return dns_types[i].name;
	return NULL;
}

static const char *
dns_class_name(uint16_t c)
{
	switch (c) {
	case 1: return "C_INTERNET";
	case 3: return "C_CHAOS";
	case 4: return "C_HESIOD";
	case 254: return "C_NONE";
	case 255: return "C_ANY";
	default: return NULL;
	}
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Decode the name at *off of msg[0..n) into out (presentation form, at
 * least DNS_NAME_MAX bytes, NUL-terminated). *off moves past the name's
 * bytes at its place (up to and including its first pointer).
 * @return length of the text, or -1 on a malformed name.
 */
static int
dns_name(const uint8_t *msg, uint32_t n, uint32_t *off, char *out)
{
	uint32_t pos = *off, run = *off, wire = 0, o = 0;
	unsigned int jumps = 0;
	int jumped = 0;

	for (;;) {
		uint8_t l;

		if (pos >= n)
			return -1;
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			uint32_t t;

			if (pos + 1 >= n)
				return -1;
			t = (uint32_t)(l & 0x3f) << 8 | msg[pos + 1];
			/* Strictly backwards (before this run) and past the header. */
			if (t >= run || t < 12 || ++jumps > DNS_MAX_JUMPS)
				return -1;
			if (!jumped) {
				*off = pos + 2;
				jumped = 1;
			}
			pos = run = t;
			continue;
		}
		if (l & 0xc0)
			return -1;          /* 01 / 10: extended or reserved label */
		wire += (uint32_t)l + 1;
		if (wire > 255)
			return -1;
		if (l == 0) {
			pos++;
			break;
		}
		if (pos + 1 + l > n)
			return -1;
		if (o > 0)
			out[o++] = '.';
		memcpy(out + o, msg + pos + 1, l);
		o += l;
		pos += 1u + l;
	}
	if (!jumped)
		*off = pos;
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return (int)o;
}

/* Append formatted text to an answer buffer (truncating). */
static void
ans_printf(char *buf, uint32_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
ans_printf(char *buf, uint32_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= DNS_ANSWER_MAX - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, DNS_ANSWER_MAX - *len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*len += (uint32_t)n;
	if (*len > DNS_ANSWER_MAX - 1)
		*len = DNS_ANSWER_MAX - 1;
}

/* Dotted quad without printf. @return text length. */
static int
ipv4_str(const uint8_t *a, char *out)
{
	int o = 0;

	for (int i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (i > 0)
			out[o++] = '.';
		if (v >= 100)
			out[o++] = (char)('0' + v / 100);
		if (v >= 10)
			out[o++] = (char)('0' + v / 10 % 10);
		out[o++] = (char)('0' + v % 10);
	}
	out[o] = '\0';
	return o;
}

/*
 * Check the rdata of one record (rd at msg[rd..rd + rdlen)) and, when
 * out != NULL, render it as answer text. @return text length (0 when not
 * rendered), or -1 if the rdata is malformed.
 */
static int
dns_rdata(const uint8_t *msg, uint16_t type, uint32_t rd,
	  uint16_t rdlen, char *out)
{
	char name[DNS_NAME_MAX], name2[DNS_NAME_MAX];
	uint32_t end = rd + rdlen, off = rd, len = 0;

	switch (type) {
	case T_A:
		if (rdlen != 4)
			return -1;
		return out != NULL ? ipv4_str(msg + rd, out) : 0;
	case T_AAAA:
		if (rdlen != 16)
			return -1;
		if (out == NULL)
			return 0;
		if (inet_ntop(AF_INET6, msg + rd, out, DNS_ANSWER_MAX) == NULL)
			return -1;
		return (int)strlen(out);
	case T_NS:
	case T_CNAME:
	case T_PTR:
		if (dns_name(msg, end, &off, name) < 0 || off != end)
			return -1;
		if (out == NULL)
			return 0;
		ans_printf(out, &len, "%s", name);
		return (int)len;
	case T_MX:
		if (rdlen < 3)
			return -1;
		off += 2;
		if (dns_name(msg, end, &off, name) < 0 || off != end)
			return -1;
		if (out == NULL)
			return 0;
		ans_printf(out, &len, "%s", name);
		return (int)len;
	case T_SRV:
		if (rdlen < 7)
			return -1;
		off += 6;
		if (dns_name(msg, end, &off, name) < 0 || off != end)
			return -1;
		if (out == NULL)
			return 0;
		ans_printf(out, &len, "%s", name);
		return (int)len;
	case T_SOA:
		if (dns_name(msg, end, &off, name) < 0 ||
		    dns_name(msg, end, &off, name2) < 0 || end - off != 20)
			return -1;
		if (out == NULL)
			return 0;
		ans_printf(out, &len, "%s", name);
		return (int)len;
	case T_TXT:
		while (off < end) {
			uint8_t l = msg[off];

			if (off + 1 + l > end)
				return -1;
			if (out == NULL) {
				off += 1u + l;
				continue;
			}
			ans_printf(out, &len, "%sTXT %u ", len > 0 ? " " : "", l);
			for (uint32_t i = 0; i < l && len < DNS_ANSWER_MAX - 1; i++)
				out[len++] = (char)msg[off + 1 + i];
			off += 1u + l;
		}
		if (out != NULL)
			out[len] = '\0';
		return (int)len;
	default:
		if (out == NULL)
			return 0;
		if (dns_type_name(type) != NULL)
			ans_printf(out, &len, "%s: %u bytes", dns_type_name(type), rdlen);
		else
			ans_printf(out, &len, "TYPE%u: %u bytes", type, rdlen);
		return (int)len;
	}
}

/* The first question of a message. */
struct dns_q {
	char name[DNS_NAME_MAX];
	int name_len;
	uint16_t qtype;
	uint16_t qclass;
	uint8_t present;
};

static void
put_question(struct fc_l7_msg *m, const char *name, uint32_t name_len,
	     uint16_t qtype, uint16_t qclass)
{
	const char *cn = dns_class_name(qclass);
	const char *tn = dns_type_name(qtype);

	if (name != NULL)
		fc_l7_put_str(m, DF_QUERY, name, name_len);
	fc_l7_put_u64(m, DF_QCLASS, qclass);
	if (cn != NULL)
		fc_l7_put_cstr(m, DF_QCLASS_NAME, cn);
	fc_l7_put_u64(m, DF_QTYPE, qtype);
	if (tn != NULL)
		fc_l7_put_cstr(m, DF_QTYPE_NAME, tn);
}

/*
 * One answer: its four array entries, all or none (a message that runs
 * out of room keeps the arrays aligned). @return 1 when it did not fit.
 */
static int
put_answer(struct fc_l7_msg *m, const char *name, uint32_t name_len, uint16_t type,
	   const char *ans, uint32_t ans_len, uint32_t ttl)
{
	const char *tn = dns_type_name(type);
	char num[8];
	uint32_t tl;

	if (tn == NULL) {
		tl = (uint32_t)snprintf(num, sizeof(num), "%u", type);
		tn = num;
	} else {
		tl = (uint32_t)strlen(tn);
	}
	if (fc_l7_room(m, 4, name_len + tl + ans_len + sizeof(uint64_t)) != 0)
		return 1;
	fc_l7_put_str(m, DF_ANSWER_NAMES, name, name_len);
	fc_l7_put_str(m, DF_ANSWER_TYPES, tn, tl);
	fc_l7_put_str(m, DF_ANSWERS, ans, ans_len);
	fc_l7_put_u64(m, DF_TTLS, ttl);
	return 0;
}

/*
 * Walk a whole message. m == NULL: validate only. Fills *q with the first
 * question. @return NULL, or the reason it is malformed.
 */
static const char *
dns_walk(const uint8_t *msg, uint32_t n, struct dns_q *q, struct fc_l7_msg *m)
{
	uint16_t qd, an, ns, ar;
	uint32_t off = 12;
	char name[DNS_NAME_MAX];
	char ans[DNS_ANSWER_MAX];
	int full = 0;

	if (n < 12)
		return "dns: message shorter than its header";
	qd = rd16(msg + 4);
	an = rd16(msg + 6);
	ns = rd16(msg + 8);
	ar = rd16(msg + 10);
	q->present = 0;
	for (uint32_t i = 0; i < qd; i++) {
		int l = dns_name(msg, n, &off, i == 0 ? q->name : name);

		if (l < 0)
			return "dns: bad question name";
		if (off + 4 > n)
			return "dns: truncated question";
		if (i == 0) {
			q->name_len = l;
			q->qtype = rd16(msg + off);
			q->qclass = rd16(msg + off + 2);
			q->present = 1;
		}
		off += 4;
	}
	if (m != NULL && q->present)
		put_question(m, q->name, (uint32_t)q->name_len, q->qtype, q->qclass);
	for (uint32_t i = 0; i < (uint32_t)an + ns + ar; i++) {
		uint16_t type, rdlen;
		uint32_t ttl;
		int l, nl;

		nl = dns_name(msg, n, &off, name);
		if (nl < 0)
			return "dns: bad record name";
		if (off + 10 > n)
			return "dns: truncated record";
		type = rd16(msg + off);
		ttl = rd32(msg + off + 4);
		rdlen = rd16(msg + off + 8);
		off += 10;
		if (off + rdlen > n)
			return "dns: record data past the message";
		if (i < an) {
			l = dns_rdata(msg, type, off, rdlen, m != NULL ? ans : NULL);
			if (l < 0)
				return "dns: bad record data";
			if (m != NULL && !full)
				full = put_answer(m, name, (uint32_t)nl, type, ans,
						  (uint32_t)l, ttl);
		}
		off += rdlen;
	}
	return NULL;
}

static void
put_header(struct fc_l7_msg *m, const uint8_t *msg, int response)
{
	uint16_t flags = rd16(msg + 2);
	unsigned int opcode = (flags >> 11) & 0xf, rcode = flags & 0xf;

	fc_l7_put_u64(m, DF_TRANS_ID, rd16(msg));
	fc_l7_put_u64(m, DF_OPCODE, opcode);
	if (dns_opcodes[opcode] != NULL)
		fc_l7_put_cstr(m, DF_OPCODE_NAME, dns_opcodes[opcode]);
	if (response) {
		fc_l7_put_u64(m, DF_RCODE, rcode);
		if (dns_rcodes[rcode] != NULL)
			fc_l7_put_cstr(m, DF_RCODE_NAME, dns_rcodes[rcode]);
	}
	fc_l7_put_bool(m, DF_AA, flags & 0x0400);
	fc_l7_put_bool(m, DF_TC, flags & 0x0200);
	fc_l7_put_bool(m, DF_RD, flags & 0x0100);
	fc_l7_put_bool(m, DF_RA, flags & 0x0080);
	fc_l7_put_u64(m, DF_Z, (flags >> 4) & 7);
	if (rd16(msg + 4) > 1)
		fc_l7_put_u64(m, DF_QUESTIONS, rd16(msg + 4));
}

static void
emit_unanswered(struct dns_state *s, struct dns_pending *pq,
		struct fc_l7_emit *emit)
{
	struct fc_l7_msg *m = emit->begin(emit->arg, DK_UNANSWERED, pq->side);

	fc_l7_put_u64(m, DF_TRANS_ID, pq->id);
	if (pq->has_q)
		put_question(m, pq->name_len > 0 ? s->names + pq->name_off : NULL,
			     pq->name_len, pq->qtype, pq->qclass);
	fc_l7_put_ts(m, DF_QUERY_TS, pq->ts);
	emit->end(emit->arg, m);
	pq->used = 0;
	pq->name_len = 0;
}

/* The pending entry that waits longest, NULL if none. */
static struct dns_pending *
pend_oldest(struct dns_state *s)
{
	struct dns_pending *oldest = NULL;

	for (unsigned int i = 0; i < DNS_PENDING; i++)
		if (s->pend[i].used && (oldest == NULL || s->pend[i].ts < oldest->ts))
			oldest = &s->pend[i];
	return oldest;
}

/* Report, oldest first, the queries that waited DNS_QUERY_TIMEOUT_NS by now. */
static void
pend_expire(struct dns_state *s, uint64_t now, struct fc_l7_emit *emit)
{
	struct dns_pending *pq;

	while ((pq = pend_oldest(s)) != NULL && now > pq->ts &&
	       now - pq->ts >= DNS_QUERY_TIMEOUT_NS)
		emit_unanswered(s, pq, emit);
}

/*
 * Room for n bytes of name: the arena is compacted (live names moved to
 * its start, in place order) when its top would pass the end.
 * @return the offset, or -1 if the live names leave no room.
 */
static int
names_alloc(struct dns_state *s, uint32_t n)
{
	uint16_t top = 0;

	if (s->names_top + n <= DNS_NAME_ARENA) {
		s->names_top = (uint16_t)(s->names_top + n);
		return s->names_top - (int)n;
	}
	for (;;) {
		struct dns_pending *low = NULL;

		/* The live name lowest in the arena not yet moved. */
		for (unsigned int i = 0; i < DNS_PENDING; i++) {
			struct dns_pending *pq = &s->pend[i];

			if (pq->used && pq->name_len > 0 && pq->name_off >= top &&
			    (low == NULL || pq->name_off < low->name_off))
				low = pq;
		}
		if (low == NULL)
			break;
		memmove(s->names + top, s->names + low->name_off, low->name_len);
		low->name_off = top;
		top = (uint16_t)(top + low->name_len);
	}
	s->names_top = top;
	if (top + n > DNS_NAME_ARENA)
		return -1;
	s->names_top = (uint16_t)(top + n);
	return top;
}

static void
pend_add(struct dns_state *s, uint8_t side, uint16_t id, const struct dns_q *q,
	 uint64_t ts, struct fc_l7_emit *emit)
{
	struct dns_pending *slot = NULL;

	for (unsigned int i = 0; i < DNS_PENDING; i++) {
		struct dns_pending *pq = &s->pend[i];

		if (!pq->used) {
			if (slot == NULL)
				slot = pq;
			continue;
		}
		if (pq->id == id)
			return;             /* a retransmission: keep the first */
	}
	if (slot == NULL) {
		slot = pend_oldest(s);
		emit_unanswered(s, slot, emit);
	}
	memset(slot, 0, sizeof(*slot));
	slot->used = 1;
	slot->id = id;
	slot->ts = ts;
	slot->side = side;
	if (q->present) {
		/* Presentation names are at most 254 characters. */
		uint32_t n = q->name_len < UINT8_MAX ? (uint32_t)q->name_len : UINT8_MAX;
		int off = names_alloc(s, n);

		slot->has_q = 1;
		slot->qtype = q->qtype;
		slot->qclass = q->qclass;
		if (off >= 0) {
			slot->name_off = (uint16_t)off;
			slot->name_len = (uint8_t)n;
			memcpy(s->names + off, q->name, n);
		}
	}
}

static struct dns_pending *
pend_find(struct dns_state *s, uint16_t id)
{
	for (unsigned int i = 0; i < DNS_PENDING; i++)
		if (s->pend[i].used && s->pend[i].id == id)
			return &s->pend[i];
	return NULL;
}

/* One whole message msg[0..n). */
static enum fc_l7_result
dns_message(struct dns_state *s, uint8_t side, const uint8_t *msg, uint32_t n,
	    uint64_t ts, struct fc_l7_emit *emit)
{
	struct dns_q q;
	const char *err = dns_walk(msg, n, &q, NULL);
	struct fc_l7_msg *m;
	int response;
	uint16_t id;

	if (err != NULL) {
		emit->error = err;
		return FC_L7_ERROR;
	}
	response = msg[2] >> 7;
	id = rd16(msg);
	pend_expire(s, ts, emit);
	if (!response) {
		pend_add(s, side, id, &q, ts, emit);
		m = emit->begin(emit->arg, DK_QUERY, side);
		put_header(m, msg, 0);
		dns_walk(msg, n, &q, m);
		emit->end(emit->arg, m);
		return FC_L7_OK;
	}
	m = emit->begin(emit->arg, DK_RESPONSE, side);
	put_header(m, msg, 1);
	dns_walk(msg, n, &q, m);
	{
		struct dns_pending *pq = pend_find(s, id);

		if (pq != NULL) {
			fc_l7_put_u64(m, DF_RTT_US,
				      ts >= pq->ts ? (ts - pq->ts) / FC_NS_PER_USEC : 0);
			pq->used = 0;
			pq->name_len = 0;
		}
	}
	emit->end(emit->arg, m);
	return FC_L7_OK;
}

static enum fc_l7_result
dns_parse_udp(void *state, uint8_t side, const uint8_t *p, uint32_t len,
	      uint32_t *consumed, uint64_t ts, struct fc_l7_emit *emit)
{
	*consumed = len;
	return dns_message(state, side & 1, p, len, ts, emit);
}

static enum fc_l7_result
dns_parse_tcp(void *state, uint8_t side, const uint8_t *p, uint32_t len,
	      uint32_t *consumed, uint64_t ts, struct fc_l7_emit *emit)
{
	struct dns_state *s = state;
	enum fc_l7_result r;
	uint32_t l;

	side &= 1;
	*consumed = 0;
	if (s->skip[side] > 0) {
		uint32_t n = len < s->skip[side] ? len : s->skip[side];

		s->skip[side] -= n;
		*consumed = n;
		return n > 0 ? FC_L7_OK : FC_L7_NEED_MORE;
	}
	if (len < 2)
		return FC_L7_NEED_MORE;
	l = rd16(p);
	if (l < 12) {
		emit->error = "dns: tcp message shorter than its header";
		return FC_L7_ERROR;
	}
	if (l + 2 > DNS_TCP_MAX) {
		/* Too large to hold (zone transfers): skip it, keep framing. */
		s->skip[side] = l;
		*consumed = 2;
		return FC_L7_OK;
	}
	if (len < l + 2)
		return FC_L7_NEED_MORE;
	r = dns_message(s, side, p + 2, l, ts, emit);
	if (r == FC_L7_OK)
		*consumed = l + 2;
	return r;
}

/*
 * A hole inside a skipped message is absorbed; anywhere else the framing
 * is lost: detach (the engine runs dns_end() first, so the pending
 * queries are reported unanswered).
 */
static enum fc_l7_result
dns_gap_tcp(void *state, uint8_t side, uint32_t len)
{
	struct dns_state *s = state;

	if (len <= s->skip[side & 1]) {
		s->skip[side & 1] -= len;
		return FC_L7_OK;
	}
	return FC_L7_DETACH;
}

/* Flow end, poisoned session or gap detach: every pending query, oldest first. */
static void
dns_end(void *state, int fin, uint64_t ts, struct fc_l7_emit *emit)
{
	struct dns_state *s = state;
	struct dns_pending *pq;

	(void)fin;
	(void)ts;
	while ((pq = pend_oldest(s)) != NULL)
		emit_unanswered(s, pq, emit);
	s->names_top = 0;
}

/*
 * A plausible header for a message of msg_len bytes: a known opcode,
 * counts that fit, a question in a query.
 */
static enum fc_l7_probe
dns_probe_hdr(const uint8_t *p, uint32_t msg_len)
{
	unsigned int opcode = (p[2] >> 3) & 0xf;
	uint32_t qd = rd16(p + 4), rr = (uint32_t)rd16(p + 6) + rd16(p + 8) + rd16(p + 10);

	if (msg_len < 12 || opcode > 6 || opcode == 3)
		return FC_L7_PROBE_NO;
	if (!(p[2] & 0x80) && qd == 0)
		return FC_L7_PROBE_NO;
	if (12 + qd * 5 + rr * 11 > msg_len)
		return FC_L7_PROBE_NO;
	return FC_L7_PROBE_YES;
}

static enum fc_l7_probe
dns_probe_udp(const uint8_t *p, uint32_t len, uint8_t side)
{
	(void)side;
	if (len < 12)
		return FC_L7_PROBE_NO;
	return dns_probe_hdr(p, len);
}

static enum fc_l7_probe
dns_probe_tcp(const uint8_t *p, uint32_t len, uint8_t side)
{
	(void)side;
	if (len < 2)
		return FC_L7_PROBE_MAYBE;
	if (rd16(p) < 12)
		return FC_L7_PROBE_NO;
	if (len < 14)
		return FC_L7_PROBE_MAYBE;
	return dns_probe_hdr(p + 2, rd16(p));
}

const struct fc_l7_parser fc_l7_dns = {
	.name = "dns",
	.proto = FC_L7_DNS,
	.transport = IPPROTO_UDP,
	.n_ports = 3,
	.ports = { 53, 5353, 5355 },
	.state_size = sizeof(struct dns_state),
	.max_tail = 512,
	.fields = dns_fields,
	.n_fields = DF_MAX,
	.kinds = dns_kinds,
	.n_kinds = DK_MAX,
	.probe = dns_probe_udp,
	.parse = dns_parse_udp,
	.end = dns_end,
	.port_only = 1,
};

const struct fc_l7_parser fc_l7_dns_tcp = {
	.name = "dns",
	.proto = FC_L7_DNS,
	.transport = IPPROTO_TCP,
	.n_ports = 2,
	.ports = { 53, 5353 },
	.state_size = sizeof(struct dns_state),
	.max_tail = DNS_TCP_MAX,
	.fields = dns_fields,
	.n_fields = DF_MAX,
	.kinds = dns_kinds,
	.n_kinds = DK_MAX,
	.probe = dns_probe_tcp,
	.parse = dns_parse_tcp,
	.gap = dns_gap_tcp,
	.end = dns_end,
	.port_only = 1,
};
