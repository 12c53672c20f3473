/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * --dump-streams DIR: reassembled TCP bytes per side to files, with an
 * index (DIR/streams.ndjson). See stream_dump.c.
 */
#ifndef APP_STREAM_DUMP_H
#define APP_STREAM_DUMP_H

#include <stdint.h>

#include <fc_tracker.h>

struct app_stream_dump;

/** Counters of a dump. */
struct app_stream_dump_stats {
	uint64_t streams;     /**< flows with reassembly indexed */
	uint64_t bytes;       /**< bytes handed to the dump */
	uint64_t gap_bytes;   /**< gap bytes (filled or skipped) */
	uint64_t bytes_lost;  /**< bytes not written (I/O errors) */
	uint64_t opens;       /**< files opened (first open and reopens) */
	uint64_t errors;      /**< I/O errors */
};

/** Gap policy value for app_stream_dump_open(): skip gaps. */
#define APP_DUMP_GAP_SKIP (-1)

/**
 * Open a dump into dir (created if missing). gap_fill: APP_DUMP_GAP_SKIP
 * or the fill byte 0..255. NULL after a message on stderr.
 */
struct app_stream_dump *app_stream_dump_open(const char *dir, int gap_fill);

/** Fill a tracker stream consumer that writes into the dump. */
void app_stream_dump_cb(struct app_stream_dump *d, struct fc_tracker_stream_cb *cb);

/** Counters. */
const struct app_stream_dump_stats *app_stream_dump_stats(const struct app_stream_dump *d);

/** Flush and close every file. NULL is a no-op. */
void app_stream_dump_close(struct app_stream_dump *d);

#endif /* APP_STREAM_DUMP_H */
