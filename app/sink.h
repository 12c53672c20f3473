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
/** Close every sink. 0, or the first error. */
int app_sinks_close(struct app_sinks *ss);
/** Sum of dropped records over the sinks. */
uint64_t app_sinks_dropped(const struct app_sinks *ss);
/** Check a spec's scheme without opening it: 0 or -EINVAL (message printed). */
int app_sink_check_spec(const char *spec);

#endif /* APP_SINK_H */
