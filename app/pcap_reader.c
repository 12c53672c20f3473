/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline capture reader (pcap_reader.h): the frames of a classic pcap or
 * pcapng file, straight out of a window on the file, for the offline run
 * (file -> reader -> fc_tracker_burst).
 *
 * HOW IT READS. One cursor (a file offset) walks the file. The window is
 * the part of the file in memory: in read mode (the default) a buffer of
 * APP_PCAP_WINDOW bytes filled by pread(2) and moved forward when the
 * record at the cursor is not all in it (what is left of it is moved to
 * the front, the rest filled from the file; a record or block longer than
 * the buffer grows it); in mmap mode a read-only mapping of the whole
 * file. Each step reads a fixed-size record or block header at the
 * cursor, checks it against the bytes left in the window and in the file,
 * fills an fc_frame pointing at the data and moves the cursor past the
 * record. Every header read is preceded by a check that the header fits;
 * lengths from the file are compared with what is left (never added to
 * the cursor before that), so a hostile length cannot overflow or leave
 * the window. Every step moves the cursor forward by at least a record
 * header (16 bytes) or a minimal block (12 bytes), so no file makes the
 * reader loop. The window moves only at the start of a burst, so the
 * frames of a burst stay valid until the next one.
 *
 * Classic pcap (draft-ietf-opsawg-pcap): a 24-byte file header, then
 * 16-byte record headers (seconds, micro- or nanoseconds, captured length,
 * original length) each followed by the captured bytes. The magic number
 * gives the byte order and the time unit. The byte-order test is taken
 * out of the record loop: the loop is instantiated once per byte order.
 *
 * pcapng (draft-ietf-opsawg-pcapng): blocks of type, total length, body,
 * total length again. A Section Header Block sets the byte order (its
 * byte-order magic) and starts a new list of interfaces; Interface
 * Description Blocks give each interface its linktype, snaplen and time
 * resolution (if_tsresol: 10^-n or 2^-n seconds, default 10^-6) and
 * offset (if_tsoffset, seconds); Enhanced Packet Blocks carry a packet of
 * one interface with a 64-bit timestamp in that resolution; Simple Packet
 * Blocks carry a packet of interface 0 with no timestamp. Block lengths
 * must be multiples of 4, at least 12, at most APP_PCAP_MAX_BLOCK, and
 * match their trailing copy.
 *
 * WHY READ MODE. Measured on this project's 2-vCPU virtual machines with
 * tests/bench/bench_pcap_reader on a 760 MB file of 10 M 64-byte frames
 * in the page cache: mmap mode takes 0.43 s of CPU, read mode about
 * 0.13 s. Populating the page tables (0.03 s for the whole file) is not
 * where the time goes: a second pass over the same mapping takes 0.04 s,
 * so the first touch of each 4 KiB page of a mapping costs about 2 us on
 * such a host (its own page tables), while pread(2) copies through the
 * kernel's direct map into one buffer that stays mapped and in cache.
 *
 * PAGING (mmap mode). The mapping is advised MADV_SEQUENTIAL. Ahead of the
 * cursor the page tables are filled 4 MiB at a time (MADV_POPULATE_READ,
 * Linux 5.14; ignored where unknown) instead of one fault per 64 KiB. On
 * files larger than two windows (64 MiB each) the reader releases the
 * page-table entries of what lies more than a window behind the cursor
 * (MADV_DONTNEED): the pages stay in the page cache, and the resident size
 * stays near 130 MB whatever the file size.
 *
 * Limits: the file is read up to its size at open. In read mode a file
 * that shrinks meanwhile ends the reading (counted as a truncated
 * record); a mapped file must not shrink (the kernel sends SIGBUS for
 * pages past the new end). The classic "modified" (Kuznetsov) and other
 * pcap variants are refused at open.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_prefetch.h>

#include <fc_common.h>

#include "pcap_reader.h"

/* How far ahead of the record being read the next ones are prefetched. */
#define READ_AHEAD     4096u
#define PCAP_FILE_HDR  24u
#define PCAP_REC_HDR   16u
#define PCAP_MAGIC_US  0xa1b2c3d4u
#define PCAP_MAGIC_NS  0xa1b23c4du
#define LINKTYPE_ETHERNET 1u

#define NG_SHB      0x0a0d0d0au
#define NG_IDB      0x00000001u
#define NG_SPB      0x00000003u
#define NG_EPB      0x00000006u
#define NG_BOM      0x1a2b3c4du
#define NG_MIN_BLOCK 12u        /* type, length, trailing length */
#define NG_SHB_MIN  28u
#define NG_IDB_MIN  20u
#define NG_EPB_MIN  32u
#define NG_SPB_MIN  16u
#define NG_OPT_END       0u
#define NG_OPT_TSRESOL   9u
#define NG_OPT_TSOFFSET  14u

#define PAGING_WINDOW (64u << 20)   /* MADV_DONTNEED granule */
#define POPULATE_STEP (4u << 20)    /* MADV_POPULATE_READ granule */

enum ts_kind {
	TS_MUL,      /**< ns = ts * mul */
	TS_DIV,      /**< ns = ts / div */
	TS_SHIFT,    /**< ns = ts * 1e9 >> shift */
};

/** One pcapng interface. */
struct ng_if {
	uint32_t linktype;
	uint32_t caplen_max;    /**< snaplen, or APP_PCAP_MAX_CAPLEN if lower/unset */
	enum ts_kind kind;
	uint64_t ts_k;          /**< mul, div or shift */
	uint64_t ts_off_ns;     /**< if_tsoffset in ns (two's complement) */
};

enum pcap_fmt { FMT_PCAP, FMT_PCAPNG };

struct app_pcap_reader {
	const uint8_t *win;     /**< the file's bytes from win_off on */
	size_t win_off;         /**< file offset of win[0] */
	size_t win_len;         /**< bytes at win */
	size_t size;            /**< file size (at open) */
	size_t pos;             /**< cursor: file offset of the next record or block */
	enum app_pcap_io io;
	/* APP_PCAP_IO_READ: win is buf, cap bytes, filled by pread(2) from fd. */
	int fd;
	uint8_t *buf;
	size_t cap;
	/* APP_PCAP_IO_MMAP: win is the mapping of the whole file. */
	size_t behind;          /**< start of the range not yet released */
	size_t populated;       /**< end of the range populated ahead */
	size_t page;            /**< page size */
	enum pcap_fmt fmt;
	bool swapped;           /**< file byte order differs from the host's */
	bool done;              /**< end reached, or stopped */
	bool shared;            /**< another reader's mapping (app_pcap_reader_share) */
	uint32_t caplen_max;    /**< classic: snaplen capped at APP_PCAP_MAX_CAPLEN */
	uint32_t ts_frac_ns;    /**< classic: ns per fraction unit (1000 or 1) */
	uint64_t last_ts;       /**< pcapng: time of the last packet (for SPBs) */
	unsigned int n_ifs;     /**< pcapng: interfaces of the current section */
	struct app_pcap_reader_stats st;
	char error[200];        /**< why the reading stopped early, "" if it did not */
	struct ng_if ifs[APP_PCAP_MAX_IFS];
};

static const char *const counter_names[][2] = {
#define APP_PCAP_X_ROW(name, desc) { #name, desc },
	APP_PCAP_READER_COUNTERS(APP_PCAP_X_ROW)
#undef APP_PCAP_X_ROW
};

static_assert(FC_DIM(counter_names) * sizeof(uint64_t) ==
	      sizeof(struct app_pcap_reader_stats), "counter table");

/* ---------------------------------------------------------------- */
/* Byte access. Callers have checked that the bytes are in the map.  */

static inline uint16_t
rd16(const uint8_t *p, bool sw)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return sw ? __builtin_bswap16(v) : v;
}

static inline uint32_t
rd32(const uint8_t *p, bool sw)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return sw ? __builtin_bswap32(v) : v;
}

static inline uint64_t
rd64(const uint8_t *p, bool sw)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return sw ? __builtin_bswap64(v) : v;
}

/* ---------------------------------------------------------------- */
/* Stops.                                                           */

static void __attribute__((format(printf, 3, 4)))
stop(struct app_pcap_reader *r, uint64_t *counter, const char *fmt, ...)
{
	va_list ap;

	if (counter != NULL)
		(*counter)++;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	r->done = true;
}

#define STOP_TRUNCATED(r, pos, need, left) \
	stop(r, &(r)->st.truncated_records, \
	     "truncated record at offset %zu: %" PRIu64 " bytes, %zu left in the file", \
	     (size_t)(pos), (uint64_t)(need), (size_t)(left))

/* ---------------------------------------------------------------- */
/* Paging.                                                          */

/*
 * Populate the page tables a step ahead of the cursor; release the
 * mapping more than a window behind it (large files).
 */
static void
paging(struct app_pcap_reader *r)
{
	if (r->io != APP_PCAP_IO_MMAP)
		return;
#ifdef MADV_POPULATE_READ
	if (r->pos + POPULATE_STEP > r->populated && r->populated < r->size) {
		size_t len = r->size - r->populated < POPULATE_STEP ?
			r->size - r->populated : POPULATE_STEP;

		madvise((void *)(uintptr_t)(r->win + r->populated), len,
			MADV_POPULATE_READ);
		r->populated += len;
	}
#endif
	if (!r->shared && r->size > 2 * (size_t)PAGING_WINDOW &&
	    r->pos > r->behind + 2 * (size_t)PAGING_WINDOW) {
		size_t end = (r->pos - PAGING_WINDOW) & ~(r->page - 1);

		madvise((void *)(uintptr_t)(r->win + r->behind), end - r->behind,
			MADV_DONTNEED);
		r->behind = end;
	}
}

/* ---------------------------------------------------------------- */
/* The window.                                                      */

/* The bytes at file offset pos (inside the window). */
static inline const uint8_t *
at(const struct app_pcap_reader *r, size_t pos)
{
	return r->win + (pos - r->win_off);
}

/*
 * Move the window (read mode) to start at the cursor and hold at least
 * len bytes, which the caller has checked are in the file; frames handed
 * out before become invalid. Fills as much of the buffer as the file
 * has, growing it for a block longer than it (up to APP_PCAP_MAX_BLOCK,
 * checked by the caller). 0, or -1 after stopping (read error, or a file
 * shorter than at open).
 */
static int
window_move(struct app_pcap_reader *r, size_t len)
{
	size_t keep = 0;

	if (r->io != APP_PCAP_IO_READ) {
		/* The mapping holds the whole file: a caller bug. */
		stop(r, &r->st.bad_records, "internal: window move at offset %zu", r->pos);
		return -1;
	}
	if (r->pos < r->win_off + r->win_len)
		keep = r->win_off + r->win_len - r->pos;
	if (len > r->cap) {
		size_t cap = r->cap * 2 > len ? r->cap * 2 : len;
		uint8_t *b;

		cap = cap < APP_PCAP_MAX_BLOCK ? cap : APP_PCAP_MAX_BLOCK;
		b = malloc(cap);
		if (b == NULL) {
			stop(r, &r->st.bad_records, "block at offset %zu: out of memory "
			     "for %zu bytes", r->pos, len);
			return -1;
		}
		memcpy(b, r->buf + (r->pos - r->win_off), keep);
		free(r->buf);
		r->buf = b;
		r->cap = cap;
	} else if (keep > 0 && r->pos != r->win_off) {
		memmove(r->buf, r->buf + (r->pos - r->win_off), keep);
	}
	r->win = r->buf;
	r->win_off = r->pos;
	r->win_len = keep;
	while (r->win_len < len) {
		size_t want = r->cap - r->win_len;
		size_t in_file = r->size - (r->win_off + r->win_len);
		ssize_t got;

		if (want > in_file)
			want = in_file;
		got = pread(r->fd, r->buf + r->win_len, want,
			    (off_t)(r->win_off + r->win_len));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got < 0)
				stop(r, NULL, "read error at offset %zu: %s",
				     r->win_off + r->win_len, strerror(errno));
			else
				stop(r, &r->st.truncated_records, "the file ends at offset "
				     "%zu, before its size at open (%zu bytes)",
				     r->win_off + r->win_len, r->size);
			return -1;
		}
		r->win_len += (size_t)got;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Classic pcap.                                                    */

static inline __attribute__((always_inline)) unsigned int
pcap_burst(struct app_pcap_reader *r, struct fc_frame *f, unsigned int n,
	   const bool sw)
{
	const uint32_t caplen_max = r->caplen_max;
	const uint64_t frac_ns = r->ts_frac_ns;
	uint64_t bytes = 0;
	unsigned int i = 0;

	for (;;) {
		const uint8_t *const base = r->win;
		const size_t wlen = r->win_len;
		size_t p = r->pos - r->win_off; /* in the window */
		size_t need = PCAP_REC_HDR, left;

		for (; i < n; i++) {
			const size_t avail = wlen - p;
			const uint8_t *h = base + p;
			uint32_t cap, len;

			/* Records are read in order: start loading the ones to come. */
			if (avail > READ_AHEAD)
				rte_prefetch0(h + READ_AHEAD);
			need = PCAP_REC_HDR;
			if (avail < PCAP_REC_HDR)
				break;
			cap = rd32(h + 8, sw);
			len = rd32(h + 12, sw);
			if (cap > caplen_max) {
				r->pos = r->win_off + p;
				stop(r, &r->st.bad_records,
				     "bad record at offset %zu: captured length %" PRIu32
				     " above the limit %" PRIu32, r->pos, cap, caplen_max);
				goto out;
			}
			need = PCAP_REC_HDR + (size_t)cap;
			if (cap > avail - PCAP_REC_HDR)
				break;
			f[i].data = h + PCAP_REC_HDR;
			f[i].cap_len = cap;
			f[i].wire_len = len < cap ? cap : len;
			f[i].ts = (uint64_t)rd32(h, sw) * FC_NS_PER_SEC +
				  (uint64_t)rd32(h + 4, sw) * frac_ns;
			bytes += cap;
			p += PCAP_REC_HDR + cap;
		}
		r->pos = r->win_off + p;
		if (i == n)
			break;
		/* The record at the cursor (need bytes) is not all in the window. */
		left = r->size - r->pos;
		if (left < need) {
			if (left == 0)
				r->done = true;
			else
				STOP_TRUNCATED(r, r->pos, need, left);
			break;
		}
		/* Frames out point into the window: it moves on the next call. */
		if (i > 0 || window_move(r, need) != 0)
			break;
	}
out:
	r->st.frames += i;
	r->st.bytes += bytes;
	return i;
}

static int
pcap_open(struct app_pcap_reader *r, const char *path, char *err, size_t errlen)
{
	const uint8_t *h = at(r, 0);
	uint32_t magic, snap, link;
	uint16_t major;

	if (r->size < PCAP_FILE_HDR) {
		snprintf(err, errlen, "%s: truncated pcap file header (%zu of %u bytes)",
			 path, r->size, PCAP_FILE_HDR);
		return -EINVAL;
	}
	magic = rd32(h, false);
	r->swapped = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
		     magic == __builtin_bswap32(PCAP_MAGIC_NS);
	magic = rd32(h, r->swapped);
	r->ts_frac_ns = magic == PCAP_MAGIC_NS ? 1 : 1000;
	major = rd16(h + 4, r->swapped);
	snap = rd32(h + 16, r->swapped);
	link = rd32(h + 20, r->swapped);
	if (major != 2) {
		snprintf(err, errlen, "%s: pcap version %u.%u not supported (2.x is)",
			 path, major, rd16(h + 6, r->swapped));
		return -EINVAL;
	}
	/* Low 16 bits: the linktype; the high bits may flag FCS bytes. */
	if ((link & 0xffff) != LINKTYPE_ETHERNET) {
		snprintf(err, errlen, "%s: linktype %" PRIu32 " is not Ethernet (1): "
			 "only Ethernet captures are read", path, link & 0xffff);
		return -EINVAL;
	}
	r->caplen_max = snap == 0 || snap > APP_PCAP_MAX_CAPLEN ?
		APP_PCAP_MAX_CAPLEN : snap;
	r->fmt = FMT_PCAP;
	r->pos = PCAP_FILE_HDR;
	return 0;
}

/* ---------------------------------------------------------------- */
/* pcapng.                                                          */

static void
ng_if_tsresol(struct ng_if *ifc, uint8_t res)
{
	static const uint64_t pow10[] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
		10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
	};
	unsigned int e = res & 0x7f;

	if (res & 0x80) {
		/* 2^-e s: e up to 127, the product fits in 128 bits. */
		ifc->kind = TS_SHIFT;
		ifc->ts_k = e;
	} else if (e <= 9) {
		ifc->kind = TS_MUL;
		ifc->ts_k = pow10[9 - e];
	} else {
		/* Finer than 1 ns: 10^-19 is the finest a 64-bit count can hold. */
		ifc->kind = TS_DIV;
		ifc->ts_k = e - 9 < FC_DIM(pow10) ? pow10[e - 9] : pow10[FC_DIM(pow10) - 1];
	}
}

static inline uint64_t
ng_ts(const struct ng_if *ifc, uint64_t ts)
{
	switch (ifc->kind) {
	case TS_MUL:
		return ts * ifc->ts_k + ifc->ts_off_ns;
	case TS_DIV:
		return ts / ifc->ts_k + ifc->ts_off_ns;
	default:
		return (uint64_t)(((unsigned __int128)ts * FC_NS_PER_SEC) >> ifc->ts_k) +
		       ifc->ts_off_ns;
	}
}

/* Interface Description Block at b (length blen, already checked). */
static int
ng_idb(struct app_pcap_reader *r, const uint8_t *b, uint32_t blen)
{
	const bool sw = r->swapped;
	struct ng_if *ifc;
	size_t off = 16, end = blen - 4;
	uint32_t snap;

	if (blen < NG_IDB_MIN) {
		stop(r, &r->st.bad_records, "bad interface block at offset %zu: length %" PRIu32,
		     r->pos, blen);
		return -1;
	}
	if (r->n_ifs == APP_PCAP_MAX_IFS) {
		stop(r, &r->st.bad_records, "bad interface block at offset %zu: more than %u interfaces",
		     r->pos, APP_PCAP_MAX_IFS);
		return -1;
	}
	ifc = &r->ifs[r->n_ifs++];
	memset(ifc, 0, sizeof(*ifc));
	ifc->linktype = rd16(b + 8, sw);
	snap = rd32(b + 12, sw);
	ifc->caplen_max = snap == 0 || snap > APP_PCAP_MAX_CAPLEN ?
		APP_PCAP_MAX_CAPLEN : snap;
	ng_if_tsresol(ifc, 6);
	/* Options: code, length, value padded to 4; a malformed one ends the list. */
	while (end - off >= 4) {
		uint16_t code = rd16(b + off, sw);
		uint16_t olen = rd16(b + off + 2, sw);
		size_t padded = ((size_t)olen + 3) & ~(size_t)3;

		if (code == NG_OPT_END || padded > end - off - 4)
			break;
		if (code == NG_OPT_TSRESOL && olen >= 1)
			ng_if_tsresol(ifc, b[off + 4]);
		else if (code == NG_OPT_TSOFFSET && olen >= 8)
			ifc->ts_off_ns = rd64(b + off + 4, sw) * FC_NS_PER_SEC;
		off += 4 + padded;
	}
	return 0;
}

/* Section Header Block at b (length blen, already checked). */
static int
ng_shb(struct app_pcap_reader *r, const uint8_t *b, uint32_t blen)
{
	uint16_t major = blen >= NG_SHB_MIN ? rd16(b + 12, r->swapped) : 0;

	if (major != 1) {
		stop(r, &r->st.bad_records, "bad section header at offset %zu: length %" PRIu32
		     ", version %u", r->pos, blen, major);
		return -1;
	}
	r->n_ifs = 0;
	return 0;
}

/*
 * The interface a packet block refers to, or NULL after stopping: it must
 * exist and be Ethernet.
 */
static const struct ng_if *
ng_packet_if(struct app_pcap_reader *r, uint32_t id)
{
	const struct ng_if *ifc;

	if (id >= r->n_ifs) {
		stop(r, &r->st.bad_records, "bad packet block at offset %zu: interface %" PRIu32
		     " not described", r->pos, id);
		return NULL;
	}
	ifc = &r->ifs[id];
	if (ifc->linktype != LINKTYPE_ETHERNET) {
		stop(r, &r->st.bad_records, "packet block at offset %zu: interface %" PRIu32
		     " has linktype %" PRIu32 ", only Ethernet (1) is read", r->pos, id,
		     ifc->linktype);
		return NULL;
	}
	return ifc;
}

/*
 * Check the block at the cursor: its header fits, its length is sane and
 * matches the trailing copy. A Section Header sets the byte order first.
 * Returns the block length with *bp at its bytes; 0 after stopping or at
 * the end; NG_AGAIN if the block is not all in the window and the window
 * may not move (!may_move: frames are out).
 */
#define NG_AGAIN 1u

/* The window holds the len bytes at the cursor: 0; 1 if it would have to move and may not; -1 after stopping. */
static int
ng_window(struct app_pcap_reader *r, size_t len, bool may_move)
{
	if (r->pos + len <= r->win_off + r->win_len)
		return 0;
	if (!may_move)
		return 1;
	return window_move(r, len) != 0 ? -1 : 0;
}

static uint32_t
ng_block(struct app_pcap_reader *r, uint32_t *type, bool may_move,
	 const uint8_t **bp)
{
	const size_t left = r->size - r->pos;
	const uint8_t *b;
	uint32_t blen;
	int rc;

	if (left < NG_MIN_BLOCK) {
		if (left == 0)
			r->done = true;
		else
			STOP_TRUNCATED(r, r->pos, NG_MIN_BLOCK, left);
		return 0;
	}
	if ((rc = ng_window(r, NG_MIN_BLOCK, may_move)) != 0)
		return rc > 0 ? NG_AGAIN : 0;
	b = at(r, r->pos);
	*type = rd32(b, r->swapped);
	if (*type == NG_SHB) {
		uint32_t bom = rd32(b + 8, false);

		if (bom != NG_BOM && bom != __builtin_bswap32(NG_BOM)) {
			stop(r, &r->st.bad_records, "bad section header at offset %zu: "
			     "byte-order magic 0x%08" PRIx32, r->pos, bom);
			return 0;
		}
		r->swapped = bom != NG_BOM;
	}
	blen = rd32(b + 4, r->swapped);
	if (blen < NG_MIN_BLOCK || blen % 4 != 0 || blen > APP_PCAP_MAX_BLOCK) {
		stop(r, &r->st.bad_records, "bad block at offset %zu: length %" PRIu32,
		     r->pos, blen);
		return 0;
	}
	if (blen > left) {
		STOP_TRUNCATED(r, r->pos, blen, left);
		return 0;
	}
	if ((rc = ng_window(r, blen, may_move)) != 0)
		return rc > 0 ? NG_AGAIN : 0;
	b = at(r, r->pos);
	if (rd32(b + blen - 4, r->swapped) != blen) {
		stop(r, &r->st.bad_records, "bad block at offset %zu: length %" PRIu32
		     ", trailing length %" PRIu32, r->pos, blen, rd32(b + blen - 4, r->swapped));
		return 0;
	}
	*bp = b;
	return blen;
}

/* Enhanced Packet Block into f; false after stopping. */
static bool
ng_epb(struct app_pcap_reader *r, const uint8_t *b, uint32_t blen, struct fc_frame *f)
{
	const bool sw = r->swapped;
	const struct ng_if *ifc;
	uint32_t cap, len;

	if (blen < NG_EPB_MIN) {
		stop(r, &r->st.bad_records, "bad packet block at offset %zu: length %" PRIu32,
		     r->pos, blen);
		return false;
	}
	ifc = ng_packet_if(r, rd32(b + 8, sw));
	if (ifc == NULL)
		return false;
	cap = rd32(b + 20, sw);
	len = rd32(b + 24, sw);
	if (cap > ifc->caplen_max || cap > blen - NG_EPB_MIN) {
		stop(r, &r->st.bad_records, "bad record at offset %zu: captured length %" PRIu32
		     " above the limit %" PRIu32 " or the block (%" PRIu32 " bytes)",
		     r->pos, cap, ifc->caplen_max, blen);
		return false;
	}
	f->data = b + 28;
	f->cap_len = cap;
	f->wire_len = len < cap ? cap : len;
	f->ts = ng_ts(ifc, (uint64_t)rd32(b + 12, sw) << 32 | rd32(b + 16, sw));
	r->last_ts = f->ts;
	return true;
}

/* Simple Packet Block into f (interface 0, no time); false after stopping. */
static bool
ng_spb(struct app_pcap_reader *r, const uint8_t *b, uint32_t blen, struct fc_frame *f)
{
	const struct ng_if *ifc;
	uint32_t len, cap;

	if (blen < NG_SPB_MIN) {
		stop(r, &r->st.bad_records, "bad packet block at offset %zu: length %" PRIu32,
		     r->pos, blen);
		return false;
	}
	ifc = ng_packet_if(r, 0);
	if (ifc == NULL)
		return false;
	len = rd32(b + 8, r->swapped);
	/* Captured: the original length, cut to the snaplen and the block. */
	cap = len < blen - NG_SPB_MIN ? len : blen - NG_SPB_MIN;
	if (cap > ifc->caplen_max) {
		if (ifc->caplen_max == APP_PCAP_MAX_CAPLEN) {
			stop(r, &r->st.bad_records, "bad record at offset %zu: captured length %"
			     PRIu32 " above %u", r->pos, cap, APP_PCAP_MAX_CAPLEN);
			return false;
		}
		cap = ifc->caplen_max;
	}
	f->data = b + 12;
	f->cap_len = cap;
	f->wire_len = len < cap ? cap : len;
	f->ts = r->last_ts;
	return true;
}

/*
 * Walk blocks from the cursor until n frames are out, the end, or a stop.
 * With n == 0 (at open) the walk stops before the first packet block
 * instead, leaving the cursor on it.
 */
static unsigned int
pcapng_burst(struct app_pcap_reader *r, struct fc_frame *f, unsigned int n,
	     uint32_t *first_if)
{
	unsigned int i = 0;
	uint64_t bytes = 0;

	while (!r->done && (i < n || n == 0)) {
		const uint8_t *b = NULL;
		uint32_t type = 0;
		/* Frames out point into the window: it moves on the next call. */
		uint32_t blen = ng_block(r, &type, i == 0, &b);
		bool ok = true;

		if (blen == 0 || blen == NG_AGAIN)
			break;
		switch (type) {
		case NG_SHB:
			ok = ng_shb(r, b, blen) == 0;
			break;
		case NG_IDB:
			ok = ng_idb(r, b, blen) == 0;
			break;
		case NG_EPB:
		case NG_SPB:
			if (n == 0) {
				*first_if = type == NG_EPB && blen >= NG_EPB_MIN ?
					rd32(b + 8, r->swapped) : 0;
				return 0;
			}
			ok = type == NG_EPB ? ng_epb(r, b, blen, &f[i]) :
					      ng_spb(r, b, blen, &f[i]);
			if (ok)
				bytes += f[i++].cap_len;
			break;
		default:
			r->st.skipped_blocks++;
			break;
		}
		if (!ok)
			break;
		r->pos += blen;
	}
	r->st.frames += i;
	r->st.bytes += bytes;
	return i;
}

static int
pcapng_open(struct app_pcap_reader *r, const char *path, char *err, size_t errlen)
{
	uint32_t type = 0, blen, first_if = UINT32_MAX;
	const uint8_t *b = NULL;

	r->fmt = FMT_PCAPNG;
	r->pos = 0;
	blen = ng_block(r, &type, true, &b);
	if (blen == 0 || ng_shb(r, b, blen) < 0) {
		snprintf(err, errlen, "%s: pcapng: %s", path,
			 r->error[0] != '\0' ? r->error : "damaged section header");
		return -EINVAL;
	}
	r->pos = blen;
	/*
	 * Walk the blocks before the first packet: the interface of the first
	 * packet must be Ethernet. A damaged or truncated block here is not
	 * an open failure: it is counted and the reader reads nothing.
	 */
	pcapng_burst(r, NULL, 0, &first_if);
	if (!r->done && first_if < r->n_ifs &&
	    r->ifs[first_if].linktype != LINKTYPE_ETHERNET) {
		snprintf(err, errlen, "%s: pcapng interface %" PRIu32 " has linktype %"
			 PRIu32 ", not Ethernet (1): only Ethernet captures are read",
			 path, first_if, r->ifs[first_if].linktype);
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* API.                                                             */

struct app_pcap_reader *
app_pcap_reader_open(const char *path, char *err, size_t errlen)
{
	return app_pcap_reader_open_io(path, APP_PCAP_IO_READ, 0, err, errlen);
}

struct app_pcap_reader *
app_pcap_reader_open_io(const char *path, enum app_pcap_io io, size_t window,
			char *err, size_t errlen)
{
	struct app_pcap_reader *r;
	struct stat sb;
	const char *why = NULL;
	char dummy[1];
	uint32_t magic;
	int fd, rc;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (io != APP_PCAP_IO_READ && io != APP_PCAP_IO_MMAP) {
		snprintf(err, errlen, "%s: unknown reading mode %d", path, (int)io);
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(rc));
		errno = rc;
		return NULL;
	}
	rc = 0;
	if (fstat(fd, &sb) < 0) {
		rc = errno;
		why = strerror(rc);
	} else if (!S_ISREG(sb.st_mode)) {
		rc = EINVAL;
		why = "not a regular file";
	} else if (sb.st_size == 0) {
		rc = EINVAL;
		why = "empty file";
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		close(fd);
		errno = rc;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	r->io = io;
	r->fd = -1;
	r->size = (size_t)sb.st_size;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	if (io == APP_PCAP_IO_MMAP) {
		void *map = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);

		rc = errno;
		close(fd);
		if (map == MAP_FAILED) {
			snprintf(err, errlen, "%s: mmap: %s", path, strerror(rc));
			free(r);
			errno = rc;
			return NULL;
		}
		madvise(map, r->size, MADV_SEQUENTIAL);
		r->win = map;
		r->win_len = r->size;
	} else {
		r->fd = fd;
		r->cap = window != 0 ? window : APP_PCAP_WINDOW;
		if (r->cap < 64)
			r->cap = 64;
		r->buf = malloc(r->cap);
		if (r->buf == NULL) {
			snprintf(err, errlen, "%s: out of memory", path);
			app_pcap_reader_close(r);
			errno = ENOMEM;
			return NULL;
		}
		r->win = r->buf;
		if (window_move(r, r->size < 64 ? r->size : 64) != 0) {
			snprintf(err, errlen, "%s: %s", path, r->error);
			app_pcap_reader_close(r);
			errno = EIO;
			return NULL;
		}
	}
	rc = -EINVAL;
	if (r->size < sizeof(magic)) {
		snprintf(err, errlen, "%s: too short for a capture file (%zu bytes)",
			 path, r->size);
		goto fail;
	}
	magic = rd32(at(r, 0), false);
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
	    magic == __builtin_bswap32(PCAP_MAGIC_US) ||
	    magic == __builtin_bswap32(PCAP_MAGIC_NS))
		rc = pcap_open(r, path, err, errlen);
	else if (magic == NG_SHB)
		rc = pcapng_open(r, path, err, errlen);
	else
		snprintf(err, errlen, "%s: not a pcap or pcapng file (magic 0x%08" PRIx32 ")",
			 path, magic);
	if (rc < 0)
		goto fail;
	return r;
fail:
	app_pcap_reader_close(r);
	errno = -rc;
	return NULL;
}

unsigned int
app_pcap_reader_burst(struct app_pcap_reader *r, struct fc_frame *f, unsigned int n)
{
	if (r->done || n == 0)
		return 0;
	paging(r);
	if (r->fmt == FMT_PCAPNG)
		return pcapng_burst(r, f, n, NULL);
	return r->swapped ? pcap_burst(r, f, n, true) : pcap_burst(r, f, n, false);
}

const struct app_pcap_reader_stats *
app_pcap_reader_stats(const struct app_pcap_reader *r)
{
	return &r->st;
}

const char *
app_pcap_reader_error(const struct app_pcap_reader *r)
{
	return r->error[0] != '\0' ? r->error : NULL;
}

const char *
app_pcap_reader_counter_name(unsigned int i, const char **desc)
{
	if (i >= FC_DIM(counter_names))
		return NULL;
	if (desc != NULL)
		*desc = counter_names[i][1];
	return counter_names[i][0];
}

struct app_pcap_reader *
app_pcap_reader_share(const struct app_pcap_reader *r)
{
	struct app_pcap_reader *c = malloc(sizeof(*c));

	if (c == NULL)
		return NULL;
	*c = *r;
	c->shared = true;
	if (r->io == APP_PCAP_IO_READ) {
		/* Its own descriptor (pread: no shared file offset) and window. */
		c->buf = malloc(r->cap);
		c->fd = c->buf != NULL ? fcntl(r->fd, F_DUPFD_CLOEXEC, 0) : -1;
		if (c->fd < 0) {
			free(c->buf);
			free(c);
			return NULL;
		}
		memcpy(c->buf, r->buf, r->win_len);
		c->win = c->buf;
	}
	return c;
}

void
app_pcap_reader_close(struct app_pcap_reader *r)
{
	if (r == NULL)
		return;
	if (r->io == APP_PCAP_IO_MMAP && r->win != NULL && !r->shared)
		munmap((void *)(uintptr_t)r->win, r->size);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r);
}
