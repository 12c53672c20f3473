/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Sinks: where events leave flowscope. One file per format (sink_*.c),
 * each exporting one const struct app_sink_ops; sink.c lists them and
 * parses `--output SCHEME:TARGET` (repeatable: several sinks at once).
 *
 * Sinks run on the export lcore (the only thread that touches them). They
 * must never block the caller for long: a sink that cannot write (disk
 * full, collector gone) counts the records as dropped and recovers later.
 *
 * Counters per sink add up: records = written + dropped (+ records still
 * buffered, zero after close). A record is one event the sink rendered
 * (a sink may skip event types it does not export: those are not records).
 */
#ifndef APP_SINK_H
#define APP_SINK_H

#include <stddef.h>
#include <stdint.h>

#include <fc_event.h>

struct app_sink;

/** One output format. */
struct app_sink_ops {
	const char *scheme;  /**< "ndjson", "eve", "zeek", "ipfix" */
	const char *usage;   /**< one line for --help: "ndjson:-|ndjson:FILE  native events (default)" */
	/** Open `target` (the part after "SCHEME:"). 0, or -errno after one line on stderr. */
	int (*open)(struct app_sink *s, const char *target);
	/** Render/export n events. -EPIPE: the reader went away, stop the run. */
	int (*write)(struct app_sink *s, const struct fc_event *ev, unsigned int n);
	/** A rendered `stats` JSON line (ends with '\n'); NULL: the format has none. */
	int (*write_stats)(struct app_sink *s, const char *line, size_t len);
	/** Called about every 100 ms and when idle: push buffered data, resend templates, reconnect. NULL: nothing. */
	int (*tick)(struct app_sink *s, uint64_t now_ns);
	/** SIGHUP: reopen files (logrotate). NULL: nothing to reopen. */
	int (*reopen)(struct app_sink *s);
	/**
	 * The run is over (before the final stats): write, or count as
	 * dropped, everything still buffered or held, waiting a bounded time
	 * at most, so records = written + dropped. NULL: tick() does it.
	 */
	int (*flush)(struct app_sink *s, uint64_t now_ns);
	/** Flush and free everything (priv included). 0 or -errno. */
	int (*close)(struct app_sink *s);
};

/** A sink instance. */
struct app_sink {
	const struct app_sink_ops *ops;
	const char *spec;    /**< the --output argument */
	void *priv;          /**< the format's state (allocated by open, freed by close) */
	uint64_t records;    /**< events the sink took as records */
	uint64_t written;    /**< records written/sent */
	uint64_t dropped;    /**< records lost (write errors, collector away, buffer full) */
};

/** Every output format, NULL-terminated (sink.c). */
extern const struct app_sink_ops *const app_sink_formats[];

/** The formats (sink_*.c). */
extern const struct app_sink_ops app_sink_ndjson_ops;
extern const struct app_sink_ops app_sink_eve_ops;
extern const struct app_sink_ops app_sink_zeek_ops;
extern const struct app_sink_ops app_sink_ipfix_ops;

/** Most --output sinks at once. */
#define APP_MAX_SINKS 8

/** The set of sinks of a run. */
struct app_sinks {
	struct app_sink s[APP_MAX_SINKS];
	unsigned int n;
};

/** Open every spec. 0, or -errno (message printed; already opened ones closed). */
int app_sinks_open(struct app_sinks *ss, const char *const *specs, unsigned int n);
/** Hand n events to every sink. -EPIPE if a sink's reader went away. */
int app_sinks_write(struct app_sinks *ss, const struct fc_event *ev, unsigned int n);
/** Hand a stats line to every sink that takes one. */
void app_sinks_write_stats(struct app_sinks *ss, const char *line, size_t len);
/** Periodic work of every sink. */
void app_sinks_tick(struct app_sinks *ss, uint64_t now_ns);
/** SIGHUP: reopen every sink. */
void app_sinks_reopen(struct app_sinks *ss);
/** End of the run: every sink writes or drops what it still buffers (see flush). */
void app_sinks_flush(struct app_sinks *ss, uint64_t now_ns);
/** Close every sink. 0, or the first error. */
int app_sinks_close(struct app_sinks *ss);
/** Sum of dropped records over the sinks. */
uint64_t app_sinks_dropped(const struct app_sinks *ss);
/** Check a spec's scheme without opening it: 0 or -EINVAL (message printed). */
int app_sink_check_spec(const char *spec);

/*
 * SESSION FIELDS. Session events carry (field id, type, bytes) records
 * whose ids index the parser's field table; sinks find the ids of the
 * fields they render by name once, at open.
 */

/** Field id of `name` in the session messages of protocol `proto`, -1 if it has none. */
int app_l7_field(uint8_t proto, const char *name);

/** Message kind index of `name` ("request", "client_hello", ...) for protocol `proto`, -1 if none. */
int app_l7_kind(uint8_t proto, const char *name);

/** One field value of a session message. */
struct app_l7_val {
	const uint8_t *p;       /**< FC_L7_T_STR: the bytes (not NUL-terminated) */
	uint16_t len;
	uint8_t type;           /**< FC_L7_T_* */
	uint64_t u;             /**< FC_L7_T_U64 / FC_L7_T_BOOL (and time fields, ns): the value */
};

/**
 * The first value of field `field` in a session body.
 * @return 1 and *v set, 0 if the message has no such field (field < 0 included).
 */
int app_l7_get(const struct fc_event_session *s, int field, struct app_l7_val *v);

/*
 * SESSION JOINING (EVE and Zeek). Session events carry a flow_id but not
 * the flow's addresses, and Zeek's http.log / Suricata's http record
 * describe a whole transaction (request and response), ssl.log / the tls
 * record a whole handshake. struct app_join turns the event stream into
 * such records, with bounded memory:
 *
 *  - IDENTITY. flow_start, flow_update and flow_end put the flow's
 *    identity into a 4-way set-associative cache (APP_JOIN_IDS entries).
 *    A flow's first session message pins its entry until the flow ends;
 *    an unpinned entry is replaced by newer flows, a pinned one only after
 *    APP_JOIN_PIN_STALE of packet time without session messages (its end
 *    was lost). A session message of a flow not in the cache (its
 *    flow_start was not emitted, was dropped, or was replaced) is held
 *    until the flow_end names the flow.
 *  - HOLDING. Messages wait in a pool of APP_JOIN_HELD event copies: an
 *    HTTP request until its response (same trans_depth), a TLS
 *    client_hello until the server_hello, messages of unknown flows until
 *    the flow_end. The flow_end first replays and releases everything its
 *    flow holds (a request without response, a hello without answer are
 *    handed over alone). A full pool hands over its oldest message alone
 *    (or loses it when its flow is unknown) to make room.
 *  - OUTPUT. The callbacks below get each record with the flow's identity.
 *    Messages that can never be rendered (unknown flow whose end never
 *    came, at close; no room) are reported to lost().
 */

/** The flow a joined record belongs to. */
struct app_join_flow {
	uint64_t flow_id;
	const struct fc_event_flow_id *id;
};

/** Interim (1xx) response seen for a held HTTP request. */
struct app_http_info {
	uint16_t code;          /**< 0: none */
	char msg[64];
};

/** Where joined records go. Every pointer may be NULL except the flow. */
struct app_join_ops {
	/** One HTTP transaction: request and/or response (one may be NULL). */
	void (*http)(void *arg, const struct app_join_flow *f, const struct fc_event *req,
		     const struct fc_event *resp, const struct app_http_info *info);
	/**
	 * One TLS handshake: client_hello and/or server_hello; alert is the
	 * description of the last alert between them (NULL if none).
	 */
	void (*tls)(void *arg, const struct app_join_flow *f, const struct fc_event *ch,
		    const struct fc_event *sh, const char *alert);
	/** One DNS message (query, response or unanswered). */
	void (*dns)(void *arg, const struct app_join_flow *f, const struct fc_event *msg);
	/** A session message that will never be rendered (its flow stayed unknown). */
	void (*lost)(void *arg, const struct fc_event *msg);
	void *arg;
};

/** Identity cache entries (4-way sets). */
#define APP_JOIN_IDS 65536u
/** Held messages. */
#define APP_JOIN_HELD 1024u
/** Packet time after which a pinned identity without session messages may be replaced. */
#define APP_JOIN_PIN_STALE (3600 * FC_NS_PER_SEC)

/** Joiner statistics. */
struct app_join_stats {
	uint64_t held;          /**< messages that waited in the pool */
	uint64_t unknown;       /**< messages of flows whose identity was not cached */
	uint64_t forced;        /**< messages handed over alone because the pool was full */
	uint64_t lost;          /**< messages reported to lost() */
	uint64_t uncached;      /**< flows not cached: their set was all pinned */
};

struct app_join;

/** A joiner. NULL (message printed) if out of memory. */
struct app_join *app_join_create(const struct app_join_ops *ops);

/**
 * Take one event. Session events are joined and handed to the callbacks;
 * for a flow_end the flow's held messages are handed over first, and the
 * caller renders the flow_end itself after this returns.
 */
void app_join_event(struct app_join *j, const struct fc_event *ev);

/** Hand over everything still held (close): alone, or to lost() when the flow is unknown. */
void app_join_flush(struct app_join *j);

/** Counters. */
const struct app_join_stats *app_join_stats(const struct app_join *j);

/** Flush and free; NULL is a no-op. */
void app_join_free(struct app_join *j);

#endif /* APP_SINK_H */
