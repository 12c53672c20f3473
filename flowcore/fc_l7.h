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
 * (HTTP and TLS on any port; parsers marked port_only, like DNS, only on
 * their hinted ports). A flow with no match after probe_limit bytes
 * gets no parser. A parser that merely does not recognise the traffic
 * (FC_L7_DETACH) detaches silently; one that fails on traffic it accepted
 * (FC_L7_ERROR) poisons the session: its end() runs at once (fin = 0) so
 * what it holds is reported (DNS queries still waiting for a response
 * become "unanswered"), then the caller ends the flow with reason
 * parse_error and emits a parse_error anomaly with the reason text. A
 * parser that detaches on a gap (fc_l7_gap_to()) gets the same end() call
 * first: gap() has no emitter to flush with.
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
#define FC_L7_T_TS 4   /**< 8-byte unsigned time in ns since the epoch, rendered like an event ts (seconds with 6 decimals) */

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

/**
 * Start/append helpers for parsers. Each returns 0, or -ENOSPC (field
 * dropped, message marked truncated). m may be NULL (begin() found no room
 * at the sink): then nothing is written and -ENOSPC is returned, so a
 * parser needs no check between begin() and end().
 */
int fc_l7_put_str(struct fc_l7_msg *m, uint8_t field, const void *p, size_t len);
int fc_l7_put_cstr(struct fc_l7_msg *m, uint8_t field, const char *s);
int fc_l7_put_u64(struct fc_l7_msg *m, uint8_t field, uint64_t v);
int fc_l7_put_bool(struct fc_l7_msg *m, uint8_t field, int v);
int fc_l7_put_ts(struct fc_l7_msg *m, uint8_t field, uint64_t ns);
/**
 * Whether n_fields more fields holding value_bytes in all still fit: 0,
 * or -ENOSPC (message marked truncated). For fields that belong together
 * (the i-th entries of parallel arrays): check first, then put all.
 */
int fc_l7_room(struct fc_l7_msg *m, size_t n_fields, size_t value_bytes);

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

/**
 * How a parser hands a finished message to the engine (the engine binds
 * it to the caller's struct fc_l7_sink for the duration of each call).
 * One message is open at a time; end() may be given the NULL that
 * begin() returned.
 */
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
	/**
	 * A hole of len bytes on side: resynchronise or return DETACH (then
	 * end() runs with fin = 0 before the session detaches).
	 */
	enum fc_l7_result (*gap)(void *state, uint8_t side, uint32_t len);
	/**
	 * The flow ends (fin != 0: fin/idle/shutdown; 0: rst/evicted/...), or
	 * the parser just failed or detached on a gap (fin = 0; not called
	 * again at the flow's end): flush what is pending. The state is as
	 * the last parse() or gap() left it.
	 */
	void (*end)(void *state, int fin, uint64_t ts, struct fc_l7_emit *emit);
	/**
	 * 1: probed only on flows where a port hint matches (protocols whose
	 * probe is too weak for arbitrary traffic, e.g. DNS); 0 (default):
	 * probed on every port of its transport, hinted ports first.
	 */
	uint8_t port_only;
};

/** Largest tail a parser may ask to be kept (per side). */
#define FC_L7_TAIL_MAX 16384

/** Most parsers in the registry (the engine keeps a per-session bit each). */
#define FC_L7_MAX_PARSERS 8

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

/** Built-in parsers (each defined only when its l7/<proto>.c is built). */
extern const struct fc_l7_parser fc_l7_http;
extern const struct fc_l7_parser fc_l7_tls;
extern const struct fc_l7_parser fc_l7_dns;     /**< DNS over UDP: one message per datagram */
extern const struct fc_l7_parser fc_l7_dns_tcp; /**< DNS over TCP: 2-byte length framing */

/*
 * ENGINE.
 *
 * One engine per RX lcore holds every session of that lcore: a fixed pool
 * of session records, a parallel pool of parser states (the largest
 * state_size of the enabled parsers each), and a pool of tail buffers
 * (the largest max_tail each), all allocated at create time. The caller
 * keeps one fc_l7_session_t per flow (0 before the first payload) and
 * passes its address to fc_l7_feed() and fc_l7_end().
 *
 * A session goes PROBING -> ACTIVE -> (DETACHED | POISONED | ended).
 * Detaching and giving up release the record at once and leave a "done"
 * handle that still names the protocol (fc_l7_session_done() tells it;
 * feeding it costs nothing), so long flows whose parser has nothing more
 * to learn hold no engine memory.
 */

/** @internal opaque per-lcore session engine */
struct fc_l7_engine;

/**
 * Session handle stored by the caller per flow. 0 = no session yet; a
 * value with the FC_L7_SESSION_DONE bits set = finished (no record held),
 * the low byte naming the protocol (FC_L7_NONE when no parser matched).
 */
typedef uint32_t fc_l7_session_t;

/** High bits of a finished session handle. */
#define FC_L7_SESSION_DONE 0xffffff00u

/** 1 if h is a finished session: feeding it again does nothing. */
static inline int
fc_l7_session_done(fc_l7_session_t h)
{
	return (h & FC_L7_SESSION_DONE) == FC_L7_SESSION_DONE;
}

/** Engine parameters; zero fields take the documented defaults. */
struct fc_l7_engine_params {
	const char *name;       /**< unique name of the lcore's objects */
	int socket_id;          /**< NUMA socket */
	uint32_t max_sessions;  /**< session records (default 16384); none left: counted, flow not parsed */
	uint32_t probe_limit;   /**< bytes per side probed before giving up (default 4096) */
	uint32_t enabled;       /**< bit (1u << enum fc_l7_proto) per protocol; 0 = every built-in parser */
	uint32_t tail_buffers;  /**< tail buffers (default 512); none left: the tail is dropped as a gap */
	/** NULL-terminated parser list used instead of fc_l7_registry (NULL:
	 *  the registry), at most FC_L7_MAX_PARSERS: custom protocols, tests. */
	const struct fc_l7_parser *const *parsers;
};

/**
 * Where session messages go. The tracker implements it by allocating a
 * session event in its event buffer.
 */
struct fc_l7_sink {
	/**
	 * Room for one message of `proto`/`kind` on `side`: a session body the
	 * engine fills (it sets every header field of the body itself), or
	 * NULL when there is no room (the engine counts the message as
	 * dropped and the parser carries on).
	 */
	struct fc_event_session *(*begin)(void *arg, uint8_t proto,
					  uint8_t kind, uint8_t side);
	/** The body returned by the last begin() is complete. */
	void (*end)(void *arg);
	void *arg;              /**< the sink's cookie */
};

/** Engine counters; one list gives the struct and the names. */
#define FC_L7_COUNTERS(X) \
	X(sessions,           "sessions created (first payload of a flow)") \
	X(sessions_exhausted, "flows not parsed: no session record left") \
	X(probes,             "probe calls") \
	X(selected,           "sessions that found a parser") \
	X(gave_up,            "sessions with no parser (probe_limit reached or every parser excluded)") \
	X(detached,           "sessions detached by their parser") \
	X(errors,             "sessions poisoned by a parse error") \
	X(ended,              "sessions ended by fc_l7_end") \
	X(bytes,              "payload bytes fed") \
	X(messages,           "messages emitted") \
	X(messages_dropped,   "messages lost: the sink had no room") \
	X(tails,              "tails kept (bytes copied because a parser left them unconsumed)") \
	X(tail_bytes,         "bytes copied into tail buffers") \
	X(tails_exhausted,    "tails not kept: no tail buffer left (dropped as a gap)") \
	X(tail_overflows,     "parsers that needed a tail over their max_tail (error)") \
	X(gaps,               "gaps passed to parsers")

/** Engine statistics. */
struct fc_l7_stats {
#define FC_X_FIELD(name, desc) uint64_t name;
	FC_L7_COUNTERS(FC_X_FIELD)
#undef FC_X_FIELD
	uint64_t proto_sessions[FC_L7_PROTO_MAX]; /**< sessions per selected protocol ([0]: gave up) */
	uint32_t sessions_in_use;  /**< session records held now */
	uint32_t tails_in_use;     /**< tail buffers held now */
};

/**
 * Create an engine and its pools.
 * @return engine, or NULL with rte_errno set (EINVAL: bad params or no
 *         parser enabled; ENOMEM).
 */
struct fc_l7_engine *fc_l7_engine_create(const struct fc_l7_engine_params *p);

/** Free an engine; open sessions are dropped (parsers' fini, no messages). NULL is a no-op. */
void fc_l7_engine_free(struct fc_l7_engine *e);

/**
 * Feed payload of one side of a flow.
 *
 * TCP: the reassembled in-order bytes of `side`, in any number of pieces.
 * UDP: one datagram per call. The session is created on the first call
 * with len > 0 and gets its parser by port hint, then by probing. Bytes
 * are read only during the call.
 *
 * @param[in,out] h        the flow's session handle (0 at first).
 * @param transport        IPPROTO_TCP or IPPROTO_UDP (others are ignored).
 * @param orig_port, resp_port  the flow's ports (used at session creation).
 * @param side             FC_SIDE_ORIG or FC_SIDE_RESP.
 * @param ts               packet time, ns.
 * @param sink             where messages go (NULL: every message is dropped).
 * @return 0 (messages, if any, went to the sink; the session may have
 *         become done); -EPROTO: the parser failed on this traffic, the
 *         session is poisoned: fc_l7_session_error() gives the reason, and
 *         the caller ends the flow (reason parse_error) with fc_l7_end();
 *         -ENOSPC: no session record left (counted; call again later).
 */
int fc_l7_feed(struct fc_l7_engine *e, fc_l7_session_t *h, uint8_t transport,
	       uint16_t orig_port, uint16_t resp_port, uint8_t side,
	       const uint8_t *p, uint32_t len, uint64_t ts,
	       const struct fc_l7_sink *sink);

/**
 * A hole of len bytes in a TCP side (reassembly gave up on it). The
 * side's tail is dropped with it and the parser's gap hook resynchronises,
 * or the session detaches: then the parser's end() runs first (fin = 0),
 * so what it holds is reported (DNS queries waiting for a response become
 * "unanswered"). A probing session gives up.
 *
 * @param sink  where the messages of that end() go, and those of a parser
 *              that fails here (its end() runs as for fc_l7_feed()); NULL:
 *              they are dropped (counted in messages_dropped).
 * @return 0, or -EPROTO if the parser failed (as for fc_l7_feed()).
 */
int fc_l7_gap_to(struct fc_l7_engine *e, fc_l7_session_t *h, uint8_t side,
		 uint32_t len, const struct fc_l7_sink *sink);

/** fc_l7_gap_to() without a sink: the messages a gap produces are dropped. */
int fc_l7_gap(struct fc_l7_engine *e, fc_l7_session_t *h, uint8_t side,
	      uint32_t len);

/**
 * The flow ends: the parser's end() flushes what is pending (fin != 0 for
 * fin/idle/shutdown ends, 0 for rst/evicted/errors), then the session is
 * released and *h becomes 0. Any handle is accepted (0, done, poisoned).
 */
void fc_l7_end(struct fc_l7_engine *e, fc_l7_session_t *h, int fin,
	       uint64_t ts, const struct fc_l7_sink *sink);

/** Protocol of a session (FC_L7_NONE while probing or when none matched). */
uint8_t fc_l7_session_proto(const struct fc_l7_engine *e, fc_l7_session_t h);

/** Reason text of a poisoned session (static string), NULL otherwise. */
const char *fc_l7_session_error(const struct fc_l7_engine *e, fc_l7_session_t h);

/** Counters (owned by the engine; read on its lcore). */
const struct fc_l7_stats *fc_l7_stats(const struct fc_l7_engine *e);

/** Bytes of DPDK heap held by the engine. */
uint64_t fc_l7_engine_memory(const struct fc_l7_engine *e);

/**
 * Bytes of DPDK heap an engine created with these parameters will hold
 * (defaults applied as fc_l7_engine_create() applies them), with each
 * allocation's malloc overhead; 0 if no parser would be enabled.
 */
uint64_t fc_l7_engine_memory_need(const struct fc_l7_engine_params *p);

/** Name and description of counter i of FC_L7_COUNTERS; NULL past the end. */
const char *fc_l7_counter_name(unsigned int i, const char **desc);

/** Value of counter i of FC_L7_COUNTERS. */
uint64_t fc_l7_counter(const struct fc_l7_stats *s, unsigned int i);

#ifdef __cplusplus
}
#endif

#endif /* FC_L7_H */
