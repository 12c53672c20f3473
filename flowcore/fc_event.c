/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Events: names, masks, Community ID and the NDJSON rendering of the
 * native output format (DESIGN.md "Output contract").
 *
 * Rendering happens on the export side, never on the packet path: the
 * tracker only fills fixed-size struct fc_event records. JSON is written
 * with the bounded line writer (struct fc_lw) that refuses to overrun the
 * caller's buffer instead of truncating silently.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "fc_event.h"
#include "fc_pkt.h"
#include "fc_tcp.h"

const char fc_event_digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

#define X_DEFAULT_BIT(prefix, name, str, on) | ((on) ? FC_EV_BIT(prefix##name) : 0u)

static const char *const event_names[] = { FC_EVENT_TYPES(FC_X_NAME) };
static const char *const end_names[] = { FC_END_REASONS(FC_X_NAME) };
static const char *const anomaly_names[] = { FC_ANOMALY_KINDS(FC_X_NAME) };

static_assert(FC_DIM(event_names) == FC_EV_MAX, "event name table");
static_assert(FC_DIM(end_names) == FC_END_MAX, "end reason name table");
static_assert(FC_DIM(anomaly_names) == FC_AN_MAX, "anomaly name table");
static_assert(FC_EV_MAX <= 32, "event mask is 32 bits");

uint32_t
fc_event_default_mask(void)
{
	return 0u FC_EVENT_TYPES(X_DEFAULT_BIT);
}

const char *
fc_event_type_name(unsigned int type)
{
	return type < FC_EV_MAX ? event_names[type] : "?";
}

const char *
fc_end_reason_name(unsigned int reason)
{
	return reason < FC_END_MAX ? end_names[reason] : "?";
}

const char *
fc_anomaly_name(unsigned int kind)
{
	return kind < FC_AN_MAX ? anomaly_names[kind] : "?";
}

int
fc_event_parse_mask(const char *spec, uint32_t *mask)
{
	uint32_t m = 0;
	const char *p = spec;

	if (spec == NULL || spec[0] == '\0')
		return -EINVAL;
	if (spec[0] == '+') {
		m = fc_event_default_mask();
		p++;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		unsigned int t;
		int found = 0;

		if (n == 3 && strncmp(p, "all", 3) == 0) {
			m |= FC_EV_BIT(FC_EV_MAX) - 1;
			found = 1;
		} else if (n == 7 && strncmp(p, "default", 7) == 0) {
			m |= fc_event_default_mask();
			found = 1;
		}
		for (t = 0; !found && t < FC_EV_MAX; t++) {
			if (strlen(event_names[t]) == n &&
			    strncmp(p, event_names[t], n) == 0) {
				m |= FC_EV_BIT(t);
				found = 1;
			}
		}
		if (!found)
			return -EINVAL;
		p += n;
		if (*p == ',')
			p++;
	}
	*mask = m;
	return 0;
}

static inline uint32_t
rol32(uint32_t x, unsigned int n)
{
	return (x << n) | (x >> (32 - n));
}

/*
 * SHA-1 (FIPS 180-4) of a message of at most 55 bytes, which pads to a
 * single 64-byte block. Community ID hashes at most 40 bytes per flow
 * record; done here in one block, it costs a fraction of a generic
 * digest call (an OpenSSL 3 EVP_Digest fetches the algorithm each time).
 */
/*
 * SHA-1 rounds, unrolled with the five working variables renamed instead
 * of moved; the message schedule is kept in a 16-word ring.
 */
#define SHA1_W(i) (w[(i) & 15] = rol32(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ \
				       w[((i) + 2) & 15] ^ w[(i) & 15], 1))
#define SHA1_F0(b, c, d) ((((c) ^ (d)) & (b)) ^ (d))
#define SHA1_F1(b, c, d) ((b) ^ (c) ^ (d))
#define SHA1_F2(b, c, d) ((((b) | (c)) & (d)) | ((b) & (c)))
#define SHA1_R(a, b, c, d, e, f, k, wi) do { \
		(e) += rol32((a), 5) + f((b), (c), (d)) + (k) + (wi); \
		(b) = rol32((b), 30); \
	} while (0)
#define SHA1_5(i, f, k, W) do { \
		SHA1_R(a, b, c, d, e, f, k, W(i)); \
		SHA1_R(e, a, b, c, d, f, k, W((i) + 1)); \
		SHA1_R(d, e, a, b, c, f, k, W((i) + 2)); \
		SHA1_R(c, d, e, a, b, f, k, W((i) + 3)); \
		SHA1_R(b, c, d, e, a, f, k, W((i) + 4)); \
	} while (0)
#define SHA1_W0(i) w[(i)]

/* The one block of a message of n <= 55 bytes: the message, 0x80, zeros, its length in bits. */
static inline void
sha1_pad(const uint8_t *msg, size_t n, uint8_t blk[64])
{
	uint64_t bits = (uint64_t)n * 8;

	memset(blk, 0, 64);
	memcpy(blk, msg, n);
	blk[n] = 0x80;
	for (int i = 0; i < 8; i++)
		blk[63 - i] = (uint8_t)(bits >> (8 * i));
}

/* The digest: the five state words, big-endian. */
static inline void
sha1_put(const uint32_t h[5], uint8_t out[20])
{
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

static void
sha1_one_block(const uint8_t *msg, size_t n, uint8_t out[20])
{
	static const uint32_t h0[5] = {
		0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u,
	};
	uint8_t blk[64];
	uint32_t w[16];
	uint32_t a = h0[0], b = h0[1], c = h0[2], d = h0[3], e = h0[4];
	int i;

	sha1_pad(msg, n, blk);
	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
		       (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
	SHA1_5(0, SHA1_F0, 0x5a827999u, SHA1_W0);
	SHA1_5(5, SHA1_F0, 0x5a827999u, SHA1_W0);
	SHA1_5(10, SHA1_F0, 0x5a827999u, SHA1_W0);
	SHA1_R(a, b, c, d, e, SHA1_F0, 0x5a827999u, w[15]);
	SHA1_R(e, a, b, c, d, SHA1_F0, 0x5a827999u, SHA1_W(16));
	SHA1_R(d, e, a, b, c, SHA1_F0, 0x5a827999u, SHA1_W(17));
	SHA1_R(c, d, e, a, b, SHA1_F0, 0x5a827999u, SHA1_W(18));
	SHA1_R(b, c, d, e, a, SHA1_F0, 0x5a827999u, SHA1_W(19));
	SHA1_5(20, SHA1_F1, 0x6ed9eba1u, SHA1_W);
	SHA1_5(25, SHA1_F1, 0x6ed9eba1u, SHA1_W);
	SHA1_5(30, SHA1_F1, 0x6ed9eba1u, SHA1_W);
	SHA1_5(35, SHA1_F1, 0x6ed9eba1u, SHA1_W);
	SHA1_5(40, SHA1_F2, 0x8f1bbcdcu, SHA1_W);
	SHA1_5(45, SHA1_F2, 0x8f1bbcdcu, SHA1_W);
	SHA1_5(50, SHA1_F2, 0x8f1bbcdcu, SHA1_W);
	SHA1_5(55, SHA1_F2, 0x8f1bbcdcu, SHA1_W);
	SHA1_5(60, SHA1_F1, 0xca62c1d6u, SHA1_W);
	SHA1_5(65, SHA1_F1, 0xca62c1d6u, SHA1_W);
	SHA1_5(70, SHA1_F1, 0xca62c1d6u, SHA1_W);
	SHA1_5(75, SHA1_F1, 0xca62c1d6u, SHA1_W);
	a += h0[0];
	b += h0[1];
	c += h0[2];
	d += h0[3];
	e += h0[4];
	{
		const uint32_t h[5] = { a, b, c, d, e };

		sha1_put(h, out);
	}
}

#undef SHA1_W
#undef SHA1_W0
#undef SHA1_F0
#undef SHA1_F1
#undef SHA1_F2
#undef SHA1_R
#undef SHA1_5

/*
 * The SHA-extension path needs GCC's __builtin_cpu_supports("sha") to pick
 * it at run time (clang 14 does not know that feature name): elsewhere
 * only the portable code is built.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FC_HAVE_X86_SHA 1
#endif

#ifdef FC_HAVE_X86_SHA
#include <immintrin.h>

/*
 * The same block with the x86 SHA extensions (sha1rnds4 does four rounds,
 * sha1nexte derives the next E, sha1msg1/sha1msg2 extend the message
 * schedule): about a tenth of the instructions of the portable code.
 * Registers hold (A, B, C, D) from the high lane down, and E in the high
 * lane; the message words are loaded big-endian the same way.
 */
#define SHA1_NI_NEXT(i, f) do { \
		if ((i) >= 4) \
			m[(i) & 3] = _mm_sha1msg2_epu32(_mm_xor_si128( \
				_mm_sha1msg1_epu32(m[(i) & 3], m[((i) + 1) & 3]), \
				m[((i) + 2) & 3]), m[((i) + 3) & 3]); \
		e = _mm_sha1nexte_epu32(prev, m[(i) & 3]); \
		prev = abcd; \
		abcd = _mm_sha1rnds4_epu32(abcd, e, (f)); \
	} while (0)

__attribute__((target("sha,ssse3,sse4.1")))
static void
sha1_one_block_ni(const uint8_t *msg, size_t n, uint8_t out[20])
{
	const __m128i bswap = _mm_set_epi64x(0x0001020304050607ll, 0x08090a0b0c0d0e0fll);
	const __m128i abcd0 = _mm_set_epi32(0x67452301, (int)0xefcdab89u,
					    (int)0x98badcfeu, 0x10325476);
	const __m128i e0 = _mm_set_epi32((int)0xc3d2e1f0u, 0, 0, 0);
	__m128i abcd = abcd0, prev, e, m[4];
	uint8_t blk[64];
	uint32_t h[5];
	int i;

	sha1_pad(msg, n, blk);
	for (i = 0; i < 4; i++)
		m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blk + 16 * i)),
					bswap);
	/* Rounds 0-3: E is the initial e plus the first words. */
	prev = abcd;
	abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e0, m[0]), 0);
	SHA1_NI_NEXT(1, 0);
	SHA1_NI_NEXT(2, 0);
	SHA1_NI_NEXT(3, 0);
	SHA1_NI_NEXT(4, 0);
	SHA1_NI_NEXT(5, 1);
	SHA1_NI_NEXT(6, 1);
	SHA1_NI_NEXT(7, 1);
	SHA1_NI_NEXT(8, 1);
	SHA1_NI_NEXT(9, 1);
	SHA1_NI_NEXT(10, 2);
	SHA1_NI_NEXT(11, 2);
	SHA1_NI_NEXT(12, 2);
	SHA1_NI_NEXT(13, 2);
	SHA1_NI_NEXT(14, 2);
	SHA1_NI_NEXT(15, 3);
	SHA1_NI_NEXT(16, 3);
	SHA1_NI_NEXT(17, 3);
	SHA1_NI_NEXT(18, 3);
	SHA1_NI_NEXT(19, 3);
	e = _mm_sha1nexte_epu32(prev, e0);
	abcd = _mm_add_epi32(abcd, abcd0);
	h[0] = (uint32_t)_mm_extract_epi32(abcd, 3);
	h[1] = (uint32_t)_mm_extract_epi32(abcd, 2);
	h[2] = (uint32_t)_mm_extract_epi32(abcd, 1);
	h[3] = (uint32_t)_mm_extract_epi32(abcd, 0);
	h[4] = (uint32_t)_mm_extract_epi32(e, 3);
	sha1_put(h, out);
}

#undef SHA1_NI_NEXT

#endif

static inline int
have_x86_sha(void)
{
#ifdef FC_HAVE_X86_SHA
	/* libgcc reads CPUID once, at load. */
	return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1");
#else
	return 0;
#endif
}

int
fc_sha1_block(const void *msg, size_t n, uint8_t out[20], enum fc_sha1_impl impl)
{
	if (n > 55)
		return -EINVAL;
	if (impl == FC_SHA1_AUTO)
		impl = have_x86_sha() ? FC_SHA1_X86 : FC_SHA1_PORTABLE;
	switch (impl) {
	case FC_SHA1_PORTABLE:
		sha1_one_block(msg, n, out);
		return 0;
	case FC_SHA1_X86:
#ifdef FC_HAVE_X86_SHA
		if (have_x86_sha()) {
			sha1_one_block_ni(msg, n, out);
			return 0;
		}
#endif
		return -ENOTSUP;
	default:
		return -EINVAL;
	}
}

/*
 * Community ID v1 (https://github.com/corelight/community-id-spec):
 * SHA1 over seed(2) | saddr | daddr | proto(1) | 0(1) | sport(2) | dport(2),
 * all in network order, with the endpoints ordered so the smaller
 * (address, port) comes first; base64 of the digest, prefixed "1:".
 * ICMP types map to "ports" with fc_key_icmp_ports(); one-way types are
 * never reordered.
 */
int
fc_community_id(const struct fc_event_flow_id *id, char *buf, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t in[2 + 32 + 2 + 4], md[20];
	unsigned int alen, mdlen = sizeof(md), i, o = 0;
	const uint8_t *sa = id->orig_h, *da = id->resp_h;
	uint16_t sp = id->orig_p, dp = id->resp_p;
	size_t n = 0;
	int ports = 1, one_way = 0;

	if (id->family != FC_KEY_FAMILY_V4 && id->family != FC_KEY_FAMILY_V6)
		return -EINVAL;
	if (len < 32)
		return -ENOSPC;
	alen = id->family == FC_KEY_FAMILY_V4 ? 4 : 16;

	switch (id->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		one_way = !fc_key_icmp_ports(id->proto, id->icmp_type,
					     id->icmp_code, &sp, &dp);
		break;
	default:
		ports = 0;
		break;
	}
	if (!one_way) {
		int c = memcmp(sa, da, alen);

		if (c > 0 || (c == 0 && ports && sp > dp)) {
			const uint8_t *ta = sa;
			uint16_t tp = sp;

			sa = da;
			da = ta;
			sp = dp;
			dp = tp;
		}
	}
	in[n++] = 0; /* seed 0, network order */
	in[n++] = 0;
	memcpy(in + n, sa, alen);
	n += alen;
	memcpy(in + n, da, alen);
	n += alen;
	in[n++] = id->proto;
	in[n++] = 0;
	if (ports) {
		in[n++] = (uint8_t)(sp >> 8);
		in[n++] = (uint8_t)sp;
		in[n++] = (uint8_t)(dp >> 8);
		in[n++] = (uint8_t)dp;
	}
	static_assert(sizeof(in) <= 55, "Community ID input fits one SHA-1 block");
	fc_sha1_block(in, n, md, FC_SHA1_AUTO);

	buf[o++] = '1';
	buf[o++] = ':';
	for (i = 0; i < mdlen; i += 3) {
		uint32_t v = (uint32_t)md[i] << 16;
		unsigned int rem = mdlen - i;

		if (rem > 1)
			v |= (uint32_t)md[i + 1] << 8;
		if (rem > 2)
			v |= md[i + 2];
		buf[o++] = b64[(v >> 18) & 63];
		buf[o++] = b64[(v >> 12) & 63];
		buf[o++] = rem > 1 ? b64[(v >> 6) & 63] : '=';
		buf[o++] = rem > 2 ? b64[v & 63] : '=';
	}
	buf[o] = '\0';
	return 0;
}

int
fc_event_ts_str(uint64_t ts_ns, char *buf, size_t len)
{
	return snprintf(buf, len, "%" PRIu64 ".%06" PRIu64,
			ts_ns / FC_NS_PER_SEC,
			(ts_ns % FC_NS_PER_SEC) / FC_NS_PER_USEC);
}

void
fc_lw_printf(struct fc_lw *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->pos, w->len - w->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->len - w->pos)
		w->overflow = 1;
	else
		w->pos += (size_t)n;
}

/* ,"name":value with a literal name */
#define JW_KU64(w, name, v) do { FC_LW_LIT(w, ",\"" name "\":"); fc_lw_u64(w, v); } while (0)
#define JW_KTS(w, name, v) do { FC_LW_LIT(w, ",\"" name "\":"); fc_lw_secs(w, v); } while (0)

/* Append a literal prefix, then a NUL-terminated string known to need no escaping. */
#define JW_STR_FIELD(w, prefix, s) \
	do { FC_LW_LIT(w, prefix); jw_str(w, s); } while (0)

static inline void
jw_str(struct fc_lw *w, const char *s)
{
	fc_lw_raw(w, s, strlen(s));
}

static inline __attribute__((always_inline)) void
jw_addr(struct fc_lw *w, const char *name, const uint8_t *a, uint8_t family)
{
	char s[INET6_ADDRSTRLEN + 1];
	int n = fc_addr_str(a, family, s, sizeof(s));

	FC_LW_LIT(w, ",\"");
	fc_lw_raw(w, name, strlen(name));
	FC_LW_LIT(w, "\":\"");
	fc_lw_raw(w, s, (size_t)n);
	FC_LW_LIT(w, "\"");
}

static inline __attribute__((always_inline)) void
jw_proto(struct fc_lw *w, uint8_t proto, uint8_t family)
{
	if (family == FC_KEY_FAMILY_MAC) {
		FC_LW_LIT(w, ",\"proto\":\"l2\"");
		return;
	}
	switch (proto) {
	case IPPROTO_TCP: FC_LW_LIT(w, ",\"proto\":\"tcp\""); break;
	case IPPROTO_UDP: FC_LW_LIT(w, ",\"proto\":\"udp\""); break;
	case IPPROTO_ICMP: FC_LW_LIT(w, ",\"proto\":\"icmp\""); break;
	case IPPROTO_ICMPV6: FC_LW_LIT(w, ",\"proto\":\"icmpv6\""); break;
	case IPPROTO_SCTP: FC_LW_LIT(w, ",\"proto\":\"sctp\""); break;
	default: JW_KU64(w, "proto", proto); break;
	}
}

static inline __attribute__((always_inline)) void
jw_flow_id(struct fc_lw *w, const struct fc_event_flow_id *id)
{
	jw_proto(w, id->proto, id->family);
	jw_addr(w, "orig_h", id->orig_h, id->family);
	JW_KU64(w, "orig_p", id->orig_p);
	jw_addr(w, "resp_h", id->resp_h, id->family);
	JW_KU64(w, "resp_p", id->resp_p);
	if (id->proto == IPPROTO_ICMP || id->proto == IPPROTO_ICMPV6) {
		JW_KU64(w, "icmp_type", id->icmp_type);
		JW_KU64(w, "icmp_code", id->icmp_code);
	}
	if (id->vlan != 0)
		JW_KU64(w, "vlan", id->vlan);
	if (id->vlan_inner != 0)
		JW_KU64(w, "vlan_inner", id->vlan_inner);
	if (id->tunnel != FC_TUN_NONE) {
		JW_STR_FIELD(w, ",\"tunnel\":{\"kind\":\"", fc_tunnel_name(id->tunnel));
		FC_LW_LIT(w, "\"");
		JW_KU64(w, "id", id->tunnel_id);
		if (id->tunnel_parent != 0)
			JW_KU64(w, "parent", id->tunnel_parent);
		FC_LW_LIT(w, "}");
	}
}

/*
 * The flow record of flow_end and flow_update: identity, times, counters,
 * state, histories, Community ID, app_proto and the reassembly
 * diagnostics; `reason` only for flow_end (an update has not ended).
 */
static void
jw_flow_record(struct fc_lw *out, const struct fc_event_flow_end *e, int with_reason)
{
	/*
	 * The writer in a local: its fields stay in registers, as the bytes
	 * written through its char buffer cannot alias them (*out could).
	 */
	struct fc_lw lw = *out, *w = &lw;
	char cid[40];
	uint64_t dur = e->last_ts >= e->first_ts ? e->last_ts - e->first_ts : 0;

	jw_flow_id(w, &e->id);
	JW_KTS(w, "first_ts", e->first_ts);
	JW_KTS(w, "last_ts", e->last_ts);
	JW_KTS(w, "duration", dur);
	JW_KU64(w, "orig_pkts", e->pkts[0]);
	JW_KU64(w, "resp_pkts", e->pkts[1]);
	JW_KU64(w, "orig_bytes", e->bytes[0]);
	JW_KU64(w, "resp_bytes", e->bytes[1]);
	JW_KU64(w, "orig_ip_bytes", e->ip_bytes[0]);
	JW_KU64(w, "resp_ip_bytes", e->ip_bytes[1]);
	JW_KU64(w, "orig_payload_bytes", e->payload_bytes[0]);
	JW_KU64(w, "resp_payload_bytes", e->payload_bytes[1]);
	if (e->is_tcp) {
		JW_KU64(w, "orig_seq_bytes", e->seq_bytes[0]);
		JW_KU64(w, "resp_seq_bytes", e->seq_bytes[1]);
	}
	JW_STR_FIELD(w, ",\"state\":\"", e->is_tcp ? fc_tcp_state_name(e->state) : "active");
	if (with_reason)
		JW_STR_FIELD(w, "\",\"reason\":\"", fc_end_reason_name(e->reason));
	/* history letters and conn_state are plain ASCII from fixed alphabets */
	JW_STR_FIELD(w, "\",\"history\":\"", e->history);
	JW_STR_FIELD(w, "\",\"fs_history\":\"", e->fs_history);
	JW_STR_FIELD(w, "\",\"conn_state\":\"", e->conn_state);
	FC_LW_LIT(w, "\"");
	if (fc_community_id(&e->id, cid, sizeof(cid)) == 0) {
		FC_LW_LIT(w, ",\"community_id\":\"");
		fc_lw_raw(w, cid, strlen(cid));
		FC_LW_LIT(w, "\"");
	}
	if (e->app_proto != FC_L7_NONE) {
		JW_STR_FIELD(w, ",\"app_proto\":\"", fc_l7_proto_name(e->app_proto));
		FC_LW_LIT(w, "\"");
	}
	if (e->has_reasm)
		for (int i = 0; i < 2; i++) {
			const struct fc_reasm_side_stats *r = &e->reasm[i];

			if (i == 0)
				FC_LW_LIT(w, ",\"orig_reasm\":{\"delivered\":");
			else
				FC_LW_LIT(w, ",\"resp_reasm\":{\"delivered\":");
			fc_lw_u64(w, r->delivered);
			JW_KU64(w, "ooo_segs", r->ooo_segs);
			JW_KU64(w, "retransmits", r->retransmits);
			JW_KU64(w, "overlap_bytes", r->overlap_bytes);
			JW_KU64(w, "gap_bytes", r->gap_bytes);
			JW_KU64(w, "dropped_oversize", r->dropped_oversize);
			JW_KU64(w, "out_of_window", r->out_of_window);
			JW_KU64(w, "pads_dropped", r->pads_dropped);
			JW_KU64(w, "high_watermark", r->high_watermark);
			FC_LW_LIT(w, "}");
		}
	*out = lw;
}

size_t
fc_event_size(const struct fc_event *ev)
{
	size_t body;

	switch (ev->type) {
	case FC_EV_FLOW_START: body = sizeof(ev->u.start); break;
	case FC_EV_STATE_CHANGE: body = sizeof(ev->u.state); break;
	case FC_EV_FLOW_END: body = sizeof(ev->u.end); break;
	case FC_EV_FLOW_UPDATE: body = sizeof(ev->u.update); break;
	case FC_EV_PACKET: body = sizeof(ev->u.packet); break;
	case FC_EV_ANOMALY: body = sizeof(ev->u.anomaly); break;
	case FC_EV_SESSION:
		body = offsetof(struct fc_event_session, data) + ev->u.session.used;
		break;
	default: body = 0; break;
	}
	return offsetof(struct fc_event, u) + body;
}

int
fc_event_ndjson(const struct fc_event *ev, char *buf, size_t len)
{
	struct fc_lw w = { .buf = buf, .len = len, .pos = 0, .overflow = 0 };

	if (len == 0)
		return -ENOSPC;
	JW_STR_FIELD(&w, "{\"type\":\"", fc_event_type_name(ev->type));
	FC_LW_LIT(&w, "\"");
	if (ev->type != FC_EV_ANOMALY || ev->u.anomaly.has_flow)
		JW_KU64(&w, "flow_id", ev->flow_id);
	JW_KTS(&w, "ts", ev->ts);

	switch (ev->type) {
	case FC_EV_FLOW_START:
		jw_flow_id(&w, &ev->u.start);
		break;
	case FC_EV_STATE_CHANGE:
		JW_STR_FIELD(&w, ",\"from\":\"", fc_tcp_state_name(ev->u.state.from));
		JW_STR_FIELD(&w, "\",\"to\":\"", fc_tcp_state_name(ev->u.state.to));
		FC_LW_LIT(&w, "\"");
		break;
	case FC_EV_FLOW_END:
		jw_flow_record(&w, &ev->u.end, 1);
		break;
	case FC_EV_FLOW_UPDATE:
		jw_flow_record(&w, &ev->u.update, 0);
		break;
	case FC_EV_SESSION: {
		int n;

		if (ev->u.session.side == FC_SIDE_ORIG)
			FC_LW_LIT(&w, ",\"side\":\"orig\",\"proto\":\"");
		else
			FC_LW_LIT(&w, ",\"side\":\"resp\",\"proto\":\"");
		jw_str(&w, fc_l7_proto_name(ev->u.session.proto));
		FC_LW_LIT(&w, "\",");
		if (w.overflow)
			break;
		n = fc_l7_session_json(&ev->u.session, w.buf + w.pos, w.len - w.pos);
		if (n < 0)
			w.overflow = 1;
		else
			w.pos += (size_t)n;
		break;
	}
	case FC_EV_PACKET:
		if (ev->u.packet.side == FC_SIDE_ORIG)
			FC_LW_LIT(&w, ",\"side\":\"orig\",\"len\":");
		else
			FC_LW_LIT(&w, ",\"side\":\"resp\",\"len\":");
		fc_lw_u64(&w, ev->u.packet.len);
		break;
	case FC_EV_ANOMALY:
		fc_lw_printf(&w, ",\"kind\":\"%s\"",
			  fc_anomaly_name(ev->u.anomaly.kind));
		if (ev->u.anomaly.has_flow)
			fc_lw_printf(&w, ",\"side\":\"%s\"",
				  ev->u.anomaly.side == FC_SIDE_ORIG ? "orig" : "resp");
		fc_lw_printf(&w, ",\"count\":%" PRIu64 ",\"total\":%" PRIu64,
			  ev->u.anomaly.count, ev->u.anomaly.total);
		if (ev->u.anomaly.kind == FC_AN_BUFFER_OVERFLOW)
			fc_lw_printf(&w, ",\"bytes\":%" PRIu64 ",\"policy\":\"%s\"",
				  ev->u.anomaly.bytes,
				  fc_reasm_overflow_name(ev->u.anomaly.policy));
		if (ev->u.anomaly.kind == FC_AN_PARSE_ERROR) {
			/* The reason is a parser's static text: plain ASCII. */
			fc_lw_printf(&w, ",\"reason\":\"%s\"", ev->u.anomaly.reason);
		}
		break;
	default:
		break;
	}
	FC_LW_LIT(&w, "}\n");
	if (w.overflow)
		return -ENOSPC;
	return (int)w.pos;
}
