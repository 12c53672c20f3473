/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Events: what the tracker tells the outside world.
 *
 *     tracker -> struct fc_event (tagged union) -> ring -> export lcore -> sink
 *
 * An event is a fixed-size record with a common header (type, ts, flow_id)
 * and a per-type body. Events are self-contained: a flow_end carries the
 * endpoints, counters and strings it needs, so a sink on another lcore
 * never touches the flow table. The same X-macro list gives the type enum,
 * the type names and the event-mask bits.
 *
 * fc_event_ndjson() renders one event as one JSON line per DESIGN.md's
 * output contract; fc_community_id() computes Community ID v1.
 */
#ifndef FC_EVENT_H
#define FC_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fc_common.h"
#include "fc_key.h"
#include "fc_l7.h"
#include "fc_reasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Event types; the third column says whether the type is on by default. */
#define FC_EVENT_TYPES(X) \
	X(FC_EV_, FLOW_START,   "flow_start",   1) \
	X(FC_EV_, ESTABLISHED,  "established",  1) \
	X(FC_EV_, STATE_CHANGE, "state_change", 1) \
	X(FC_EV_, FLOW_END,     "flow_end",     1) \
	X(FC_EV_, PACKET,       "packet",       0) \
	X(FC_EV_, ANOMALY,      "anomaly",      0) \
	X(FC_EV_, FLOW_UPDATE,  "flow_update",  1) \
	X(FC_EV_, SESSION,      "session",      1)

enum fc_event_type {
	FC_EVENT_TYPES(FC_X_ENUM)
	FC_EV_MAX
};

/** Event mask bit of a type. */
#define FC_EV_BIT(t) (1u << (t))

/** The default event mask: every type whose FC_EVENT_TYPES column is 1. */
uint32_t fc_event_default_mask(void);

/** Why a flow ended (DESIGN.md `reason`). */
#define FC_END_REASONS(X) \
	X(FC_END_, FIN,             "fin") \
	X(FC_END_, RST,             "rst") \
	X(FC_END_, IDLE,            "idle") \
	X(FC_END_, EVICTED,         "evicted") \
	X(FC_END_, BUFFER_OVERFLOW, "buffer_overflow") \
	X(FC_END_, PARSE_ERROR,     "parse_error") \
	X(FC_END_, SHUTDOWN,        "shutdown")

enum fc_end_reason {
	FC_END_REASONS(FC_X_ENUM)
	FC_END_MAX
};

/** Anomaly kinds. */
#define FC_ANOMALY_KINDS(X) \
	X(FC_AN_, EVICTION_PRESSURE, "eviction_pressure") \
	X(FC_AN_, TABLE_FULL,        "table_full") \
	X(FC_AN_, OUT_OF_ORDER,      "out_of_order") \
	X(FC_AN_, BUFFER_OVERFLOW,   "buffer_overflow") \
	X(FC_AN_, PARSE_ERROR,       "parse_error")

enum fc_anomaly_kind {
	FC_ANOMALY_KINDS(FC_X_ENUM)
	FC_AN_MAX
};

/** Originator-relative sides. */
#define FC_SIDE_ORIG 0
#define FC_SIDE_RESP 1

/** Longest history strings carried by an event (including NUL). */
#define FC_EVENT_HISTORY_LEN 32

/**
 * The identity of a flow as a sink prints it: originator first.
 * Filled from the key and the flow's originator direction.
 */
struct fc_event_flow_id {
	uint8_t orig_h[16];   /**< originator address (IPv4 in bytes 0..3; MAC in 0..5) */
	uint8_t resp_h[16];   /**< responder address */
	uint16_t orig_p;      /**< originator port (0 when none) */
	uint16_t resp_p;      /**< responder port */
	uint16_t vlan;        /**< outer VLAN id, 0 if untagged */
	uint16_t vlan_inner;  /**< inner VLAN id, 0 if fewer than two tags */
	uint8_t proto;        /**< IP protocol, 0 for MAC keys */
	uint8_t family;       /**< FC_KEY_FAMILY_* */
	uint8_t tunnel;       /**< enum fc_tunnel that carried the flow */
	uint8_t icmp_type;    /**< ICMP: type of the originator's first packet */
	uint8_t icmp_code;    /**< ICMP: code of the originator's first packet */
	uint8_t pad[3];
	uint32_t tunnel_id;   /**< VNI / TEID / GRE key when tunnel != none */
	uint64_t tunnel_parent; /**< flow_id of the outer tunnel flow, 0 if none */
};

/** Body of flow_end: everything the flow accumulated. Sides: [0]=orig, [1]=resp. */
struct fc_event_flow_end {
	struct fc_event_flow_id id;
	uint64_t first_ts;              /**< ns */
	uint64_t last_ts;               /**< ns */
	uint64_t pkts[2];
	uint64_t bytes[2];              /**< L2 frame bytes on the wire */
	uint64_t ip_bytes[2];           /**< sum of IP total lengths */
	uint64_t payload_bytes[2];      /**< sum of L4 payload lengths (per headers) */
	uint64_t seq_bytes[2];          /**< TCP: bytes covered by sequence space (Zeek orig/resp_bytes) */
	uint8_t reason;                 /**< enum fc_end_reason */
	uint8_t state;                  /**< flowscope TCP state (fc_tcp_state_name), 0 for non-TCP */
	uint8_t is_tcp;                 /**< 1 if the TCP machine ran */
	uint8_t app_proto;              /**< enum fc_l7_proto of the session parser, 0 = none */
	uint8_t has_reasm;              /**< 1 if reassembly ran for a side: reasm[] is valid */
	uint8_t pad[3];
	char conn_state[8];             /**< Zeek conn_state */
	char history[FC_EVENT_HISTORY_LEN];    /**< Zeek alphabet */
	char fs_history[FC_EVENT_HISTORY_LEN]; /**< flowscope alphabet */
	struct fc_reasm_side_stats reasm[2];   /**< reassembly diagnostics per side (has_reasm) */
};

/** Body of state_change. */
struct fc_event_state {
	uint8_t from;                   /**< flowscope TCP state before */
	uint8_t to;                     /**< flowscope TCP state after */
};

/** Body of packet (off by default). */
struct fc_event_packet {
	uint32_t len;                   /**< frame bytes on the wire */
	uint8_t side;                   /**< FC_SIDE_ORIG / FC_SIDE_RESP */
};

/** Longest parse_error reason carried by an anomaly (including NUL). */
#define FC_ANOMALY_REASON_LEN 128

/** Body of anomaly. */
struct fc_event_anomaly {
	uint8_t kind;                   /**< enum fc_anomaly_kind */
	uint8_t side;                   /**< side when per-flow, else 0 */
	uint8_t has_flow;               /**< 1 if flow_id names a flow */
	uint8_t policy;                 /**< buffer_overflow: enum fc_reasm_overflow */
	uint64_t count;                 /**< occurrences coalesced into this event (segments, evictions) */
	uint64_t total;                 /**< running total of the kind */
	uint64_t bytes;                 /**< buffer_overflow: bytes dropped in this call */
	char reason[FC_ANOMALY_REASON_LEN]; /**< parse_error: parser's reason (truncated) */
};

/** One event. Allocated by the tracker into its event buffer, copied by sinks. */
struct fc_event {
	uint8_t type;                   /**< enum fc_event_type */
	uint8_t pad[7];
	uint64_t ts;                    /**< ns since the epoch (packet time) */
	uint64_t flow_id;               /**< per-lcore unique flow id (lcore in the top bits) */
	union {
		struct fc_event_flow_id start;      /**< FC_EV_FLOW_START */
		struct fc_event_state state;        /**< FC_EV_STATE_CHANGE */
		struct fc_event_flow_end end;       /**< FC_EV_FLOW_END */
		struct fc_event_packet packet;      /**< FC_EV_PACKET */
		struct fc_event_anomaly anomaly;    /**< FC_EV_ANOMALY */
		struct fc_event_flow_end update;    /**< FC_EV_FLOW_UPDATE: counters so far (reason unused) */
		struct fc_event_session session;    /**< FC_EV_SESSION */
	} u;
};

/** Bytes of an event that carry information (header + the type's body): what a copy must move. */
size_t fc_event_size(const struct fc_event *ev);

/** Longest JSON line of one event (a session body of escaped bytes is the worst case). */
#define FC_EVENT_JSON_MAX (2048 + 6 * FC_SESSION_DATA_MAX)

/** Name of an event type; "?" if out of range. */
const char *fc_event_type_name(unsigned int type);

/** Name of an end reason; "?" if out of range. */
const char *fc_end_reason_name(unsigned int reason);

/** Name of an anomaly kind; "?" if out of range. */
const char *fc_anomaly_name(unsigned int kind);

/**
 * Parse a comma-separated list of event type names into a mask
 * ("flow_start,flow_end", "all", "default", "+packet" adds to the default).
 * @return 0 and *mask set, or -EINVAL on an unknown name.
 */
int fc_event_parse_mask(const char *spec, uint32_t *mask);

/**
 * Community ID v1 (seed 0) of a flow identity, "1:" + base64(SHA1(...)).
 * @param[out] buf at least 32 bytes.
 * @return 0, or -EINVAL for identities Community ID does not define (MAC keys).
 */
int fc_community_id(const struct fc_event_flow_id *id, char *buf, size_t len);

/** SHA-1 code of fc_sha1_block(). */
enum fc_sha1_impl {
	FC_SHA1_AUTO,       /**< the x86 SHA extensions where the CPU has them, else portable */
	FC_SHA1_PORTABLE,   /**< plain C */
	FC_SHA1_X86,        /**< the x86 SHA extensions (sha1rnds4 ...) */
};

/**
 * SHA-1 of a message that fits one block (Community ID's input; tests
 * check each implementation against OpenSSL).
 * @param[in] msg  n bytes, n <= 55
 * @param[out] out the 20-byte digest
 * @return 0, -EINVAL (n > 55), -ENOTSUP (impl not on this CPU or build).
 */
int fc_sha1_block(const void *msg, size_t n, uint8_t out[20], enum fc_sha1_impl impl);

/**
 * Render one event as a JSON object followed by '\n', "type" first.
 * @return bytes written (excluding NUL), or -ENOSPC if len is too small
 *         (buf content then undefined). FC_EVENT_JSON_MAX bytes always suffice.
 */
int fc_event_ndjson(const struct fc_event *ev, char *buf, size_t len);

/** Format a ns timestamp as seconds with microseconds ("1700000000.123456"). */
int fc_event_ts_str(uint64_t ts_ns, char *buf, size_t len);

/**
 * Decimal rendering shared by the JSON, EVE and Zeek writers (numbers are
 * most of a flow record): fc_event_digits2 holds "00" to "99", two
 * characters per pair (and a NUL).
 */
extern const char fc_event_digits2[201];

/** Number of decimal digits of v (1 to 20). */
static inline unsigned int
fc_event_u64_len(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
		10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
		100000000000ull, 1000000000000ull, 10000000000000ull,
		100000000000000ull, 1000000000000000ull, 10000000000000000ull,
		100000000000000000ull, 1000000000000000000ull,
		10000000000000000000ull,
	};
	/*
	 * t = floor(bits * log10(2)) (1233 / 4096 ~ log10(2)) is the digit
	 * count less one, or that count itself where v is below 10^t. v | 1
	 * has the digits of v (10^k - 1 is odd) and is not 0.
	 */
	uint64_t w = v | 1;
	unsigned int t = (unsigned int)((64 - __builtin_clzll(w)) * 1233) >> 12;

	return t + 1 - (w < pow10[t]);
}

/**
 * v in decimal, written so that it ends just before end (the caller left
 * fc_event_u64_len(v) characters of room).
 * @return its first character.
 */
static inline char *
fc_event_u64_back(char *end, uint64_t v)
{
	char *p = end;

	while (v >= 100) {
		unsigned int r = (unsigned int)(v % 100);

		v /= 100;
		p -= 2;
		memcpy(p, &fc_event_digits2[2 * r], 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, &fc_event_digits2[2 * v], 2);
	} else {
		*--p = (char)('0' + v);
	}
	return p;
}

/**
 * A bounded line writer, shared by the NDJSON renderer and the EVE and
 * Zeek sinks: every append checks the room left (keeping one byte for the
 * NUL written after it), an append that does not fit sets overflow, and
 * overflow is sticky, so a renderer checks it once at the end.
 */
struct fc_lw {
	char *buf;
	size_t len;
	size_t pos;
	int overflow;
};

/** Append n bytes. */
static inline void
fc_lw_raw(struct fc_lw *w, const char *p, size_t n)
{
	if (w->overflow || n >= w->len - w->pos) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->pos, p, n);
	w->pos += n;
	w->buf[w->pos] = '\0';
}

/** Append a string literal. */
#define FC_LW_LIT(w, lit) fc_lw_raw((w), (lit), sizeof(lit) - 1)

/** Append v in decimal (digits straight into the line). */
static inline void
fc_lw_u64(struct fc_lw *w, uint64_t v)
{
	unsigned int n = fc_event_u64_len(v);

	if (w->overflow || n >= w->len - w->pos) {
		w->overflow = 1;
		return;
	}
	fc_event_u64_back(w->buf + w->pos + n, v);
	w->pos += n;
	w->buf[w->pos] = '\0';
}

/** Append a ns time as seconds with microseconds: "1700000000.123456". */
static inline void
fc_lw_secs(struct fc_lw *w, uint64_t ns)
{
	unsigned int us = (unsigned int)((ns % FC_NS_PER_SEC) / FC_NS_PER_USEC);
	char t[7];

	fc_lw_u64(w, ns / FC_NS_PER_SEC);
	t[0] = '.';
	memcpy(t + 1, &fc_event_digits2[2 * (us / 10000)], 2);
	memcpy(t + 3, &fc_event_digits2[2 * (us / 100 % 100)], 2);
	memcpy(t + 5, &fc_event_digits2[2 * (us % 100)], 2);
	fc_lw_raw(w, t, sizeof(t));
}

/** Append printf output (for the rare fields that are not plain). */
void fc_lw_printf(struct fc_lw *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* FC_EVENT_H */
