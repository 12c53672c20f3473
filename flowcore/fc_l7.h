/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Session layer: the parser interface, the registry, and the per-lcore
 * session engine that feeds reassembled bytes (TCP) or datagrams (UDP) to
 * parsers and turns their messages into `session` events.
 *
 *     reassembly / UDP payload -> fc_l7_feed() -> parser -> fc_l7_msg -> event
 *
 * PARSERS. One const struct fc_l7_parser per protocol (l7/http.c,
 * l7/tls.c, l7/dns.c), collected in one registry table (fc_l7.c). A parser
 * is restartable: parse() reads from a contiguous buffer, returns how many
 * bytes it consumed, and is called again with the unconsumed rest plus
 * new bytes. The engine presents bytes straight from the stream when it
 * can (zero copy) and keeps an unconsumed tail in a bounded per-side
 * buffer from a per-lcore pool otherwise. Messages point into that buffer
 * and are copied only into the outgoing event.
 *
 * SELECTION. Port hints first, then probing of each side's first bytes
 * (HTTP and TLS on any port). A flow with no match after probe_limit bytes
 * gets no parser. A parser that merely does not recognise the traffic
 * (FC_L7_DETACH) detaches silently; one that fails on traffic it accepted
 * (FC_L7_ERROR) poisons the session: the caller ends the flow with reason
 * parse_error and emits a parse_error anomaly with the reason text.
 *
 * MESSAGES. A message is a kind plus typed fields, encoded as
 * (field id, type, length, bytes) records in a bounded area of the
 * session event (FC_SESSION_DATA_MAX). Field ids and names come from the
 * parser's field table; a field put several times renders as a JSON
 * array. A field that does not fit is dropped and the message is marked
 * truncated.
 *
 * Thread-safety: not MT-safe; one engine per lcore.
 */
#ifndef FC_L7_H
#define FC_L7_H

#include <stddef.h>
#include <stdint.h>

#include "fc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Application protocols (also flow_end app_proto). */
#define FC_L7_PROTOS(X) \
	X(FC_L7_, NONE, "none") \
	X(FC_L7_, HTTP, "http") \
	X(FC_L7_, TLS,  "tls") \
	X(FC_L7_, DNS,  "dns")

enum fc_l7_proto {
	FC_L7_PROTOS(FC_X_ENUM)
	FC_L7_PROTO_MAX
};

/** Bytes of encoded fields one session event carries. */
#define FC_SESSION_DATA_MAX 1536

/** Field value types. */
#define FC_L7_T_STR 1  /**< bytes, rendered as a JSON string (escaped) */
#define FC_L7_T_U64 2  /**< 8-byte unsigned, rendered as a JSON number */
#define FC_L7_T_BOOL 3 /**< 1 byte, rendered true/false */

/** One field of a parser's field table. Index in the table = field id. */
struct fc_l7_field {
	const char *name;   /**< JSON key */
	uint8_t type;       /**< FC_L7_T_* */
	uint8_t repeated;   /**< 1: always rendered as an array */
};

/** Body of a `session` event. */
struct fc_event_session {
	uint8_t proto;      /**< enum fc_l7_proto */
	uint8_t side;       /**< FC_SIDE_ORIG / FC_SIDE_RESP */
	uint8_t kind;       /**< parser-defined message kind (index into its kinds table) */
	uint8_t truncated;  /**< 1 if a field did not fit */
	uint16_t used;      /**< bytes of data used */
	uint16_t n_fields;  /**< records in data */
	uint8_t data[FC_SESSION_DATA_MAX]; /**< records: id u8, type u8, len u16 (host order), bytes */
};

/** A message being built by a parser (wraps the event body). */
struct fc_l7_msg {
	struct fc_event_session *s;
};

/** Start/append helpers for parsers. Each returns 0, or -ENOSPC (field dropped, message marked truncated). */
int fc_l7_put_str(struct fc_l7_msg *m, uint8_t field, const void *p, size_t len);
int fc_l7_put_cstr(struct fc_l7_msg *m, uint8_t field, const char *s);
int fc_l7_put_u64(struct fc_l7_msg *m, uint8_t field, uint64_t v);
int fc_l7_put_bool(struct fc_l7_msg *m, uint8_t field, int v);

/** Walk the records of a session body: returns 1 and fills the out
 * parameters for record at *off (advancing it), 0 at the end. */
int fc_l7_next_field(const struct fc_event_session *s, uint16_t *off,
		     uint8_t *field, uint8_t *type, const uint8_t **p, uint16_t *len);

/** Parser results. */
enum fc_l7_result {
	FC_L7_OK = 0,      /**< consumed some or all bytes; call again with the rest + more */
	FC_L7_NEED_MORE,   /**< consumed nothing: needs more bytes than offered */
	FC_L7_DETACH,      /**< not this protocol (or nothing more to learn): detach silently */
	FC_L7_ERROR,       /**< malformed traffic of this protocol: poison (parse_error) */
};

/** probe() answers. */
enum fc_l7_probe {
	FC_L7_PROBE_NO = 0,
	FC_L7_PROBE_MAYBE, /**< not enough bytes to say */
	FC_L7_PROBE_YES,
};

/** How a parser hands a finished message to the engine. */
struct fc_l7_emit {
	/** Open a message of `kind` for `side`; NULL if no room (count it, carry on). */
	struct fc_l7_msg *(*begin)(void *arg, uint8_t kind, uint8_t side);
	/** Finish the message opened last. */
	void (*end)(void *arg, struct fc_l7_msg *m);
	void *arg;
	/** Reason text for FC_L7_ERROR (static string), set by the parser. */
	const char *error;
};

/** One protocol. All callbacks but probe/gap/fini are mandatory. */
struct fc_l7_parser {
	const char *name;            /**< "http", "tls", "dns" */
	uint8_t proto;               /**< enum fc_l7_proto */
	uint8_t transport;           /**< IPPROTO_TCP or IPPROTO_UDP */
	uint8_t n_ports;
	uint16_t ports[6];           /**< port hints (either side) */
	uint32_t state_size;         /**< bytes of per-flow state (both sides) */
	uint32_t max_tail;           /**< largest unconsumed tail it may ask the engine to keep (<= FC_L7_TAIL_MAX) */
	const struct fc_l7_field *fields; /**< field table (id = index) */
	uint8_t n_fields;
	const char *const *kinds;    /**< message kind names (index = kind) */
	uint8_t n_kinds;
	/** Recognise the protocol from a side's first bytes. */
	enum fc_l7_probe (*probe)(const uint8_t *p, uint32_t len, uint8_t side);
	void (*init)(void *state);
	void (*fini)(void *state);
	/**
	 * TCP: parse stream bytes of `side` from p[0..len). UDP: one datagram
	 * (p, len) per call, *consumed ignored. ts is packet time (ns).
	 */
	enum fc_l7_result (*parse)(void *state, uint8_t side, const uint8_t *p,
				   uint32_t len, uint32_t *consumed, uint64_t ts,
				   struct fc_l7_emit *emit);
	/** A hole of len bytes on side: resynchronise or return DETACH. */
	enum fc_l7_result (*gap)(void *state, uint8_t side, uint32_t len);
	/** The flow ends (fin != 0: fin/idle/shutdown; 0: rst/evicted/...): flush what is pending. */
	void (*end)(void *state, int fin, uint64_t ts, struct fc_l7_emit *emit);
};

/** Largest tail a parser may ask to be kept (per side). */
#define FC_L7_TAIL_MAX 16384

/** Registry: every built-in parser, NULL-terminated. */
extern const struct fc_l7_parser *const fc_l7_registry[];

/** Parser by name, NULL if unknown. */
const struct fc_l7_parser *fc_l7_parser_by_name(const char *name);

/** Name of a protocol, "?" if out of range. */
const char *fc_l7_proto_name(unsigned int proto);

/**
 * Render the fields of a session body as JSON members (no braces):
 * `"kind":"request","method":"GET",...`. Repeated fields become arrays.
 * @return bytes written (excluding NUL) or -ENOSPC.
 */
int fc_l7_session_json(const struct fc_event_session *s, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* FC_L7_H */
