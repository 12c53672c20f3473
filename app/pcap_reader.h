/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Offline capture reader: classic pcap and pcapng files, zero copy.
 *
 * Frames are handed out as struct fc_frame whose data points into the
 * reader's window on the file (enum app_pcap_io: a buffer filled by
 * pread(2), or a mapping of the whole file): no copy, no mbuf, no
 * allocation per frame. Formats read:
 *  - classic pcap, either byte order, microsecond (0xa1b2c3d4) and
 *    nanosecond (0xa1b23c4d) variants, version 2.x, LINKTYPE_ETHERNET;
 *  - pcapng, either byte order (per section): Section Header, Interface
 *    Description (linktype, snaplen, if_tsresol, if_tsoffset), Enhanced
 *    Packet and Simple Packet blocks; every other block is skipped and
 *    counted. Simple Packet Blocks carry no time: they take the time of
 *    the packet before them.
 *
 * Only Ethernet is read. A classic file with another linktype, or a
 * pcapng file whose first packet is on a non-Ethernet interface, fails to
 * open with a message; a later pcapng packet on a non-Ethernet interface
 * stops the reading as a bad record.
 *
 * Damaged files never crash or hang the reader: every header is bounds
 * checked against the window and the file, and every step moves forward.
 * A record cut by the end of the file (its size at open) is counted
 * (truncated_records) and ends the reading; every record before it is
 * handed out. A record that cannot be valid (captured length above the
 * snaplen or APP_PCAP_MAX_CAPLEN, or a malformed pcapng block, or one
 * longer than APP_PCAP_MAX_BLOCK) is counted (bad_records) and ends the
 * reading; so does a read error (no counter: the message says it).
 * app_pcap_reader_error() says why the reading stopped early.
 *
 * Thread-safety: a reader is used by one thread at a time.
 */
#ifndef APP_PCAP_READER_H
#define APP_PCAP_READER_H

#include <stddef.h>
#include <stdint.h>

#include <fc_tracker.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest captured length accepted; a larger record is a bad record. */
#define APP_PCAP_MAX_CAPLEN (256u * 1024u)

/** Longest pcapng block accepted (of any type); a longer one is a bad record. */
#define APP_PCAP_MAX_BLOCK (64u << 20)

/** Read mode's default window: the buffer pread(2) fills. */
#define APP_PCAP_WINDOW (1u << 20)

/** How the file's bytes reach the reader. */
enum app_pcap_io {
	/**
	 * pread(2) into one reused buffer (the window), moved forward as the
	 * cursor reaches its end: the default, and the faster one where
	 * first touching a mapped page is dear (virtual machines).
	 */
	APP_PCAP_IO_READ = 0,
	/** A read-only mapping of the whole file, populated ahead of the cursor. */
	APP_PCAP_IO_MMAP,
};

/** Most pcapng interfaces per section. */
#define APP_PCAP_MAX_IFS 64

/** Reader counters; one list gives the struct and the names. */
#define APP_PCAP_READER_COUNTERS(X) \
	X(frames,            "frames handed out") \
	X(bytes,             "captured bytes handed out") \
	X(truncated_records, "records cut by the end of the file (the reading stops there)") \
	X(bad_records,       "invalid records: caplen above the snaplen or 256 KiB, malformed pcapng block (the reading stops there)") \
	X(skipped_blocks,    "pcapng blocks skipped (statistics, name resolution, custom, obsolete packet blocks)")

/** Reader statistics (owned by the reader). */
struct app_pcap_reader_stats {
#define APP_PCAP_X_FIELD(name, desc) uint64_t name;
	APP_PCAP_READER_COUNTERS(APP_PCAP_X_FIELD)
#undef APP_PCAP_X_FIELD
};

/** @internal opaque reader handle */
struct app_pcap_reader;

/**
 * Open and map a capture file, and check its header.
 *
 * @param[in] path    file to read (a regular file)
 * @param[out] err    on failure, a one-line message naming the file
 * @param[in] errlen  size of err (0: no message)
 * @return reader, or NULL with errno set (the open(2)/mmap(2) error,
 *         EINVAL for an empty, unknown, non-Ethernet or damaged header,
 *         ENOMEM) and a message in err.
 */
struct app_pcap_reader *app_pcap_reader_open(const char *path, char *err,
					     size_t errlen);

/**
 * app_pcap_reader_open() with a reading mode, and for read mode the
 * window's size in bytes (0: APP_PCAP_WINDOW; at least 64; it grows for a
 * record or block longer than it). Frames are the same in both modes.
 */
struct app_pcap_reader *app_pcap_reader_open_io(const char *path,
						enum app_pcap_io io,
						size_t window, char *err,
						size_t errlen);

/**
 * Hand out the next frames in file order.
 *
 * Each frame's data points into the reader's window (no copy) and stays
 * valid until the next app_pcap_reader_burst() or app_pcap_reader_close()
 * of this reader. ts is in ns since the epoch; wire_len is the original
 * length (never below cap_len). A burst may hold fewer than n frames
 * before the end: the window moves only between bursts.
 *
 * @param[in] r  reader
 * @param[out] f room for n frames
 * @param[in] n  frames wanted (> 0)
 * @return frames written to f; 0 at the end of the file or after the
 *         reading stopped (see app_pcap_reader_error()).
 */
unsigned int app_pcap_reader_burst(struct app_pcap_reader *r,
				   struct fc_frame *f, unsigned int n);

/** Counters of r. */
const struct app_pcap_reader_stats *
app_pcap_reader_stats(const struct app_pcap_reader *r);

/**
 * Why the reading stopped before the end of the file ("truncated record
 * at offset ...", "bad record at offset ..."), or NULL while reading and
 * after a clean end. Owned by the reader.
 */
const char *app_pcap_reader_error(const struct app_pcap_reader *r);

/** Name and description of counter i of APP_PCAP_READER_COUNTERS; NULL past the end. */
const char *app_pcap_reader_counter_name(unsigned int i, const char **desc);

/**
 * A second reader of r's file with a position of its own (where r is
 * now: share a reader before reading from it) and, in read mode, a
 * descriptor and window of its own. In mmap mode it reads r's mapping:
 * readers of one file running side by side fault each page once; only r
 * releases the mapping behind it, so close the shared readers before r.
 *
 * @return the reader, or NULL (out of memory).
 */
struct app_pcap_reader *app_pcap_reader_share(const struct app_pcap_reader *r);

/**
 * Unmap (not a shared reader) and free. Frames handed out become invalid.
 * NULL is a no-op.
 */
void app_pcap_reader_close(struct app_pcap_reader *r);

#ifdef __cplusplus
}
#endif

#endif /* APP_PCAP_READER_H */
