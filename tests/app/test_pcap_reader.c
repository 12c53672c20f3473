/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the offline capture reader (app/pcap_reader.c). Every file
 * is written by the test into a temporary directory: classic pcap in both
 * byte orders with micro- and nanosecond stamps, pcapng with several block
 * types, sections of both byte orders and time resolutions, then damaged
 * files: cut at every byte offset, empty, wrong magic, wrong linktype,
 * lengths above the snaplen, malformed blocks, random corruption. Each
 * frame handed out is checked to lie inside the file's mapping (found in
 * /proc/self/maps). Last, every capture of the shared corpus is read and
 * its frame count compared with MANIFEST.tsv, and each is rewritten as
 * pcapng (both byte orders) and read back frame for frame.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pcap_reader.h"

#define NS 1000000000ull
#define FC_TEST_DIM(a) (sizeof(a) / sizeof((a)[0]))
#define WBUF_MAX (1u << 16)
#define MAX_RECS 64

/* ------------------------------------------------------------------ */
/* File writer.                                                       */

/** A file image being written, in one byte order. */
struct wbuf {
	uint8_t d[WBUF_MAX];
	size_t n;
	bool be;                        /**< big-endian fields */
	/* What a reader must hand out, in order. */
	unsigned int nrec;
	size_t rec_end[MAX_RECS];       /**< file offset just past each record/block */
	bool rec_is_frame[MAX_RECS];    /**< record/block carries a frame */
	size_t data_off[MAX_RECS];      /**< frame data offset */
	uint32_t cap[MAX_RECS];
	uint32_t wire[MAX_RECS];
	uint64_t ts[MAX_RECS];
};

static char tmpdir[256];
static char path[300];

/* How the readers of a run of the tests read (main() runs them all in each). */
static const struct mode {
	const char *name;
	enum app_pcap_io io;
	size_t window;
} modes[] = {
	{ "read, default window", APP_PCAP_IO_READ, 0 },
	{ "read, 64-byte window (moves at nearly every record)", APP_PCAP_IO_READ, 64 },
	{ "read, 1000-byte window", APP_PCAP_IO_READ, 1000 },
	{ "mmap", APP_PCAP_IO_MMAP, 0 },
};
static const struct mode *mode = &modes[0];

static struct app_pcap_reader *
open_r(const char *file, char *err, size_t errlen)
{
	return app_pcap_reader_open_io(file, mode->io, mode->window, err, errlen);
}

static void
w8(struct wbuf *w, uint8_t v)
{
	assert_true(w->n < WBUF_MAX);
	w->d[w->n++] = v;
}

static void
wn(struct wbuf *w, uint64_t v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		unsigned int sh = w->be ? 8 * (bytes - 1 - i) : 8 * i;

		w8(w, (uint8_t)(v >> sh));
	}
}

static void
wdata(struct wbuf *w, uint32_t len, unsigned int seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		w8(w, (uint8_t)(seed * 31 + i * 7 + 1));
}

static void
wpad4(struct wbuf *w)
{
	while (w->n % 4)
		w8(w, 0);
}

/* Overwrite a field in place. */
static void
wput32(struct wbuf *w, size_t off, uint32_t v)
{
	size_t save = w->n;

	w->n = off;
	wn(w, v, 4);
	w->n = save;
}

static void
rec_mark(struct wbuf *w, bool frame, size_t data_off, uint32_t cap,
	 uint32_t wire, uint64_t ts)
{
	unsigned int i = w->nrec++;

	assert_true(i < MAX_RECS);
	w->rec_end[i] = w->n;
	w->rec_is_frame[i] = frame;
	w->data_off[i] = data_off;
	w->cap[i] = cap;
	w->wire[i] = wire;
	w->ts[i] = ts;
}

static void
pcap_hdr(struct wbuf *w, bool be, bool nano, uint32_t snaplen, uint32_t link)
{
	memset(w, 0, sizeof(*w));
	w->be = be;
	wn(w, nano ? 0xa1b23c4d : 0xa1b2c3d4, 4);
	wn(w, 2, 2);
	wn(w, 4, 2);
	wn(w, 0, 4);
	wn(w, 0, 4);
	wn(w, snaplen, 4);
	wn(w, link, 4);
	rec_mark(w, false, 0, 0, 0, 0);
}

/* A record; frac in the file's unit. */
static void
pcap_rec(struct wbuf *w, bool nano, uint32_t sec, uint32_t frac, uint32_t cap,
	 uint32_t len)
{
	size_t off;

	wn(w, sec, 4);
	wn(w, frac, 4);
	wn(w, cap, 4);
	wn(w, len, 4);
	off = w->n;
	wdata(w, cap, w->nrec);
	rec_mark(w, true, off, cap, len < cap ? cap : len,
		 sec * NS + (uint64_t)frac * (nano ? 1 : 1000));
}

static void
ng_begin(struct wbuf *w, uint32_t type)
{
	wn(w, type, 4);
	wn(w, 0, 4);            /* length, set by ng_end */
}

static void
ng_end(struct wbuf *w, size_t start)
{
	uint32_t len;

	wpad4(w);
	len = (uint32_t)(w->n - start + 4);
	wn(w, len, 4);
	wput32(w, start + 4, len);
}

static void
ng_shb(struct wbuf *w, bool be)
{
	size_t s = w->n;

	w->be = be;
	ng_begin(w, 0x0a0d0d0a);
	wn(w, 0x1a2b3c4d, 4);
	wn(w, 1, 2);
	wn(w, 0, 2);
	wn(w, UINT64_MAX, 8);
	/* shb_userappl option, then the end of options. */
	wn(w, 4, 2);
	wn(w, 4, 2);
	wdata(w, 4, 0);
	wn(w, 0, 4);
	ng_end(w, s);
	rec_mark(w, false, 0, 0, 0, 0);
}

/* tsresol < 0: no option; tsoff != 0: an if_tsoffset option. */
static void
ng_idb(struct wbuf *w, uint16_t link, uint32_t snaplen, int tsresol, int64_t tsoff)
{
	size_t s = w->n;

	ng_begin(w, 1);
	wn(w, link, 2);
	wn(w, 0, 2);
	wn(w, snaplen, 4);
	/* if_name first, to be skipped. */
	wn(w, 2, 2);
	wn(w, 3, 2);
	wdata(w, 3, 9);
	wpad4(w);
	if (tsresol >= 0) {
		wn(w, 9, 2);
		wn(w, 1, 2);
		w8(w, (uint8_t)tsresol);
		wpad4(w);
	}
	if (tsoff != 0) {
		wn(w, 14, 2);
		wn(w, 8, 2);
		wn(w, (uint64_t)tsoff, 8);
	}
	wn(w, 0, 4);
	ng_end(w, s);
	rec_mark(w, false, 0, 0, 0, 0);
}

static void
ng_epb(struct wbuf *w, uint32_t ifid, uint64_t ts_raw, uint64_t ts_ns,
       uint32_t cap, uint32_t len)
{
	size_t s = w->n, off;

	ng_begin(w, 6);
	wn(w, ifid, 4);
	wn(w, ts_raw >> 32, 4);
	wn(w, ts_raw & 0xffffffff, 4);
	wn(w, cap, 4);
	wn(w, len, 4);
	off = w->n;
	wdata(w, cap, w->nrec);
	wpad4(w);
	/* epb_flags option. */
	wn(w, 2, 2);
	wn(w, 4, 2);
	wn(w, 0, 4);
	wn(w, 0, 4);
	ng_end(w, s);
	rec_mark(w, true, off, cap, len < cap ? cap : len, ts_ns);
}

/* An SPB whose block holds `stored` bytes of a `len`-byte packet. */
static void
ng_spb(struct wbuf *w, uint32_t len, uint32_t stored, uint64_t ts_ns)
{
	size_t s = w->n, off;

	ng_begin(w, 3);
	wn(w, len, 4);
	off = w->n;
	wdata(w, stored, w->nrec);
	ng_end(w, s);
	rec_mark(w, true, off, stored < len ? stored : len, len, ts_ns);
}

/* Any other block: skipped by the reader. */
static void
ng_other(struct wbuf *w, uint32_t type, uint32_t body)
{
	size_t s = w->n;

	ng_begin(w, type);
	wdata(w, body, 3);
	ng_end(w, s);
	rec_mark(w, false, 0, 0, 0, 0);
}

static void
write_file(const void *d, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (n > 0)
		assert_int_equal(fwrite(d, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* ------------------------------------------------------------------ */
/* Reading back.                                                      */

/* The address range of the mapping of `path` in this process. */
static bool
mapping_of(const char *name, uintptr_t *lo, uintptr_t *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024], file[PATH_MAX];
	bool found = false;

	if (f == NULL)
		return false;
	if (realpath(name, file) == NULL) {
		fclose(f);
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strchr(line, '/');
		size_t l;

		if (p == NULL)
			continue;
		l = strlen(p);
		if (l > 0 && p[l - 1] == '\n')
			p[l - 1] = '\0';
		if (strcmp(p, file) == 0 &&
		    sscanf(line, "%" SCNxPTR "-%" SCNxPTR, lo, hi) == 2) {
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Result of reading a whole file (frame data copied: a window moves). */
struct readout {
	unsigned int n;
	struct fc_frame f[MAX_RECS];
	uint8_t data[WBUF_MAX];
	size_t used;
	struct app_pcap_reader_stats st;
	bool has_error;
};

/*
 * Read every frame of the open reader in bursts of `burst`, checking that
 * each lies inside the mapping of `file` (size bytes) in mmap mode.
 */
static void
read_all(struct app_pcap_reader *r, const char *file, size_t size,
	 unsigned int burst, struct readout *out)
{
	uintptr_t lo = 0, hi = 0;
	bool mapped = mapping_of(file, &lo, &hi);
	struct fc_frame f[8];
	unsigned int got, i, calls = 0;

	assert_true(burst <= 8);
	memset(out, 0, sizeof(*out));
	while ((got = app_pcap_reader_burst(r, f, burst)) > 0) {
		assert_true(got <= burst);
		assert_true(++calls <= size + 1);   /* no endless reading */
		for (i = 0; i < got; i++) {
			if (mapped) {
				assert_true((uintptr_t)f[i].data >= lo);
				assert_true((uintptr_t)f[i].data + f[i].cap_len <= lo + size);
				assert_true(lo + size <= hi);
			}
			assert_true(f[i].wire_len >= f[i].cap_len);
			if (out->n < MAX_RECS) {
				out->f[out->n] = f[i];
				if (f[i].cap_len <= sizeof(out->data) - out->used) {
					memcpy(out->data + out->used, f[i].data, f[i].cap_len);
					out->f[out->n].data = out->data + out->used;
					out->used += f[i].cap_len;
				} else {
					out->f[out->n].data = NULL;
				}
			}
			out->n++;
		}
	}
	/* The end stays the end. */
	assert_int_equal(app_pcap_reader_burst(r, f, burst), 0);
	out->st = *app_pcap_reader_stats(r);
	out->has_error = app_pcap_reader_error(r) != NULL;
	assert_int_equal(out->st.frames, out->n);
}

/* The frames of w whose records end at or before `cut`, as read. */
static void
expect_frames(const struct wbuf *w, const struct readout *o, size_t cut)
{
	unsigned int i, k = 0;
	uint64_t bytes = 0;

	for (i = 0; i < w->nrec && w->rec_end[i] <= cut; i++) {
		if (!w->rec_is_frame[i])
			continue;
		assert_true(k < o->n);
		assert_int_equal(o->f[k].cap_len, w->cap[i]);
		assert_int_equal(o->f[k].wire_len, w->wire[i]);
		assert_int_equal(o->f[k].ts, w->ts[i]);
		assert_memory_equal(o->f[k].data, w->d + w->data_off[i], w->cap[i]);
		bytes += w->cap[i];
		k++;
	}
	assert_int_equal(o->n, k);
	assert_int_equal(o->st.bytes, bytes);
}

/* Write w, open, read all in bursts of `burst`, check against w. */
static void
roundtrip(const struct wbuf *w, unsigned int burst)
{
	char err[256];
	struct app_pcap_reader *r;
	struct readout o;

	write_file(w->d, w->n);
	r = open_r(path, err, sizeof(err));
	assert_non_null(r);
	read_all(r, path, w->n, burst, &o);
	expect_frames(w, &o, w->n);
	assert_int_equal(o.st.truncated_records, 0);
	assert_int_equal(o.st.bad_records, 0);
	assert_false(o.has_error);
	app_pcap_reader_close(r);
}

/* ------------------------------------------------------------------ */
/* Sample files.                                                      */

static void
classic_sample(struct wbuf *w, bool be, bool nano)
{
	pcap_hdr(w, be, nano, 65535, 1);
	pcap_rec(w, nano, 1700000000, nano ? 123456789 : 123456, 60, 60);
	pcap_rec(w, nano, 1700000001, 1, 0, 0);                 /* empty record */
	pcap_rec(w, nano, 1700000002, nano ? 999999999 : 999999, 54, 1514); /* cut by snaplen */
	pcap_rec(w, nano, 1700000003, 7, 77, 10);               /* original below captured */
	pcap_rec(w, nano, 0xffffffff, 0, 1, 1);
}

/*
 * SHB, IDB (ns), a skipped NRB, EPB, IDB (ms, +offset), custom block,
 * EPB on interface 1, ISB, SPB (interface 0, time of the last packet),
 * IDB (2^-10 s), EPB on it, then a new section in the other byte order
 * (interfaces start again) with a default-resolution (us) IDB, an SPB cut
 * to its snaplen and an EPB.
 */
static void
pcapng_sample(struct wbuf *w, bool be)
{
	memset(w, 0, sizeof(*w));
	ng_shb(w, be);
	ng_idb(w, 1, 0, 9, 0);
	ng_other(w, 4, 20);                                     /* NRB */
	ng_epb(w, 0, 1700000000123456789ull, 1700000000123456789ull, 60, 60);
	ng_idb(w, 1, 1500, 3, -100);
	ng_other(w, 0x00000bad, 9);                             /* custom */
	ng_epb(w, 1, 1700000000123ull, 1700000000123000000ull - 100 * NS, 41, 1000);
	ng_other(w, 5, 24);                                     /* ISB */
	ng_spb(w, 33, 33, 1700000000123000000ull - 100 * NS);
	ng_idb(w, 1, 0, 0x80 | 10, 0);
	ng_epb(w, 2, 1024ull * 1700000000 + 512, 1700000000ull * NS + 500000000, 0, 0);
	ng_shb(w, !be);
	ng_idb(w, 1, 40, -1, 0);
	ng_spb(w, 100, 40, 1700000000ull * NS + 500000000);
	ng_epb(w, 0, 1700000001000001ull, 1700000001000001000ull, 40, 64);
}

/* ------------------------------------------------------------------ */
/* Tests.                                                             */

/* Classic pcap: little/big-endian x micro/nano, bursts of 1, 2 and 8. */
static void
test_classic_orders_and_units(void **state)
{
	struct wbuf *w = malloc(sizeof(*w));
	int be, nano;

	(void)state;
	assert_non_null(w);
	for (be = 0; be < 2; be++)
		for (nano = 0; nano < 2; nano++) {
			classic_sample(w, be, nano);
			roundtrip(w, 1);
			roundtrip(w, 2);
			roundtrip(w, 8);
		}
	free(w);
}

/* pcapng: every block type, sections of both byte orders, resolutions. */
static void
test_pcapng_blocks(void **state)
{
	struct wbuf *w = malloc(sizeof(*w));
	struct app_pcap_reader *r;
	struct readout o;
	char err[256];
	int be;

	(void)state;
	assert_non_null(w);
	for (be = 0; be < 2; be++) {
		pcapng_sample(w, be);
		roundtrip(w, 1);
		roundtrip(w, 3);
		roundtrip(w, 8);
		r = open_r(path, err, sizeof(err));
		assert_non_null(r);
		read_all(r, path, w->n, 8, &o);
		assert_int_equal(o.n, 6);
		assert_int_equal(o.st.skipped_blocks, 3);
		/* The SPB cut to its interface's snaplen (40) of 100 bytes. */
		assert_int_equal(o.f[4].cap_len, 40);
		assert_int_equal(o.f[4].wire_len, 100);
		app_pcap_reader_close(r);
	}
	free(w);
}

/*
 * Cut a file at every byte offset: the header cut fails to open; past it,
 * the complete records before the cut come out and a cut inside a record
 * is counted once.
 */
static void
cut_everywhere(const struct wbuf *w, size_t header)
{
	size_t cut;

	for (cut = 0; cut <= w->n; cut++) {
		char err[256] = "";
		struct app_pcap_reader *r;
		struct readout o;
		bool boundary = false;
		unsigned int i;

		write_file(w->d, cut);
		errno = 0;
		r = open_r(path, err, sizeof(err));
		if (cut < header) {
			assert_null(r);
			assert_int_equal(errno, EINVAL);
			assert_true(strlen(err) > 0);
			continue;
		}
		assert_non_null(r);
		read_all(r, path, cut, 2, &o);
		expect_frames(w, &o, cut);
		for (i = 0; i < w->nrec; i++)
			boundary |= w->rec_end[i] == cut;
		assert_int_equal(o.st.truncated_records, boundary ? 0 : 1);
		assert_int_equal(o.st.bad_records, 0);
		assert_int_equal(o.has_error, !boundary);
		app_pcap_reader_close(r);
	}
}

static void
test_truncation_every_offset(void **state)
{
	struct wbuf *w = malloc(sizeof(*w));

	(void)state;
	assert_non_null(w);
	classic_sample(w, false, false);
	cut_everywhere(w, 24);
	classic_sample(w, true, true);
	cut_everywhere(w, 24);
	pcapng_sample(w, false);
	cut_everywhere(w, w->rec_end[0]);
	pcapng_sample(w, true);
	cut_everywhere(w, w->rec_end[0]);
	free(w);
}

static void
expect_open_error(const void *d, size_t n, int err_no, const char *needle)
{
	char err[256] = "";

	write_file(d, n);
	errno = 0;
	assert_null(open_r(path, err, sizeof(err)));
	assert_int_equal(errno, err_no);
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err, needle);
	assert_non_null(strstr(err, path));
}

/* Empty, wrong magic, unknown version, missing file, a directory. */
static void
test_open_errors(void **state)
{
	static const uint8_t gif[] = "GIF89a, not a capture at all, no";
	char err[256];
	struct wbuf *w = malloc(sizeof(*w));

	(void)state;
	assert_non_null(w);
	expect_open_error("", 0, EINVAL, "empty file");
	expect_open_error(gif, sizeof(gif), EINVAL, "not a pcap or pcapng file");
	expect_open_error(gif, 3, EINVAL, "too short");
	pcap_hdr(w, false, false, 65535, 1);
	wput32(w, 4, 0x00040003);               /* version 3.4 */
	expect_open_error(w->d, w->n, EINVAL, "version");
	/* A pcapng section header with an unknown byte-order magic. */
	pcapng_sample(w, false);
	wput32(w, 8, 0x11223344);
	expect_open_error(w->d, w->n, EINVAL, "byte-order");
	/* pcapng major version 2. */
	pcapng_sample(w, false);
	w->d[12] = 2;
	expect_open_error(w->d, w->n, EINVAL, "version");

	errno = 0;
	assert_null(open_r("/nonexistent/x.pcap", err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.pcap"));
	assert_null(open_r(tmpdir, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	/* No room for a message is fine. */
	assert_null(open_r(tmpdir, NULL, 0));
	free(w);
}

/* Only Ethernet: classic linktype 101, pcapng first or later interface. */
static void
test_wrong_linktype(void **state)
{
	struct wbuf *w = malloc(sizeof(*w));
	struct app_pcap_reader *r;
	struct readout o;
	char err[256];

	(void)state;
	assert_non_null(w);
	pcap_hdr(w, false, false, 65535, 101);
	pcap_rec(w, false, 1, 2, 20, 20);
	expect_open_error(w->d, w->n, EINVAL, "linktype 101");
	pcap_hdr(w, true, true, 65535, 113);
	expect_open_error(w->d, w->n, EINVAL, "linktype 113");
	/* The FCS bits above the low 16 do not change the linktype. */
	pcap_hdr(w, false, false, 65535, 1u | 1u << 26 | 4u << 28);
	pcap_rec(w, false, 1, 2, 20, 20);
	roundtrip(w, 4);

	memset(w, 0, sizeof(*w));
	ng_shb(w, false);
	ng_idb(w, 113, 0, -1, 0);
	ng_epb(w, 0, 1, 1000, 20, 20);
	expect_open_error(w->d, w->n, EINVAL, "linktype 113");

	/* Later packets on a non-Ethernet interface stop the reading. */
	memset(w, 0, sizeof(*w));
	ng_shb(w, true);
	ng_idb(w, 1, 0, -1, 0);
	ng_epb(w, 0, 1, 1000, 20, 20);
	ng_idb(w, 101, 0, -1, 0);
	ng_epb(w, 1, 2, 2000, 20, 20);
	ng_epb(w, 0, 3, 3000, 20, 20);
	write_file(w->d, w->n);
	r = open_r(path, err, sizeof(err));
	assert_non_null(r);
	read_all(r, path, w->n, 8, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.st.bad_records, 1);
	assert_non_null(strstr(app_pcap_reader_error(r), "linktype 101"));
	app_pcap_reader_close(r);
	free(w);
}

/* Read w; expect `frames` frames, then one bad record with `needle`. */
static void
expect_bad(const struct wbuf *w, unsigned int frames, const char *needle)
{
	struct app_pcap_reader *r;
	struct readout o;
	char err[256];

	write_file(w->d, w->n);
	r = open_r(path, err, sizeof(err));
	assert_non_null(r);
	read_all(r, path, w->n, 8, &o);
	if (o.n != frames || o.st.bad_records != 1 || o.st.truncated_records != 0 ||
	    !o.has_error)
		fail_msg("'%s': %u frames (want %u), %" PRIu64 " bad, %" PRIu64
			 " truncated", needle, o.n, frames, o.st.bad_records,
			 o.st.truncated_records);
	if (strstr(app_pcap_reader_error(r), needle) == NULL)
		fail_msg("error '%s' lacks '%s'", app_pcap_reader_error(r), needle);
	app_pcap_reader_close(r);
}

/* Captured lengths above the snaplen or 256 KiB; malformed pcapng blocks. */
static void
test_bad_records(void **state)
{
	struct wbuf *w = malloc(sizeof(*w));
	size_t at;

	(void)state;
	assert_non_null(w);
	pcap_hdr(w, false, false, 64, 1);
	pcap_rec(w, false, 1, 0, 64, 64);
	pcap_rec(w, false, 2, 0, 65, 65);
	expect_bad(w, 1, "captured length 65");
	/* Snaplen 0 (unset): 256 KiB is the limit; the length alone decides. */
	pcap_hdr(w, true, false, 0, 1);
	pcap_rec(w, false, 1, 0, 10, 10);
	wn(w, 2, 4);
	wn(w, 0, 4);
	wn(w, APP_PCAP_MAX_CAPLEN + 1, 4);
	wn(w, APP_PCAP_MAX_CAPLEN + 1, 4);
	expect_bad(w, 1, "captured length 262145");

	/*
	 * pcapng. The sample's second section has the other byte order, so
	 * w->be is set back to the first section's before each edit.
	 * Block length not a multiple of 4.
	 */
	pcapng_sample(w, false);
	w->be = false;
	wput32(w, w->rec_end[2] + 4, 21);
	expect_bad(w, 0, "length 21");
	/* Trailing length differs. */
	pcapng_sample(w, true);
	w->be = true;
	wput32(w, w->rec_end[6] - 4, 8);
	expect_bad(w, 1, "trailing length");
	/* A block longer than any accepted (its bytes need not exist). */
	pcapng_sample(w, false);
	w->be = false;
	wput32(w, w->rec_end[2] + 4, APP_PCAP_MAX_BLOCK + 4);
	expect_bad(w, 0, "length 67108868");
	/* Block length below the minimum. */
	pcapng_sample(w, false);
	w->be = false;
	wput32(w, w->rec_end[2] + 4, 8);
	expect_bad(w, 0, "length 8");
	/* EPB captured length beyond its block. */
	pcapng_sample(w, false);
	w->be = false;
	wput32(w, w->rec_end[2] + 20, 200);
	expect_bad(w, 0, "captured length 200");
	/* EPB captured length above the interface snaplen (1500). */
	pcapng_sample(w, true);
	w->be = true;
	at = w->rec_end[5];
	wput32(w, at + 20, 1501);
	expect_bad(w, 1, "captured length 1501");
	/* EPB on an interface never described. */
	pcapng_sample(w, false);
	w->be = false;
	wput32(w, w->rec_end[2] + 8, 7);
	expect_bad(w, 0, "interface 7");
	/* Too many interfaces in one section. */
	memset(w, 0, sizeof(*w));
	ng_shb(w, false);
	for (at = 0; at <= APP_PCAP_MAX_IFS; at++) {
		ng_idb(w, 1, 0, -1, 0);
		w->nrec = 0;
	}
	expect_bad(w, 0, "interfaces");
	/* An EPB too short for its fields, an SPB with no interface. */
	memset(w, 0, sizeof(*w));
	ng_shb(w, false);
	ng_idb(w, 1, 0, -1, 0);
	ng_other(w, 6, 12);
	expect_bad(w, 0, "length 24");
	memset(w, 0, sizeof(*w));
	ng_shb(w, false);
	ng_spb(w, 10, 10, 0);
	expect_bad(w, 0, "interface 0");
	free(w);
}

/*
 * Read mode: a file cut after it was opened. What the window already
 * holds is handed out; the first read that finds the end early stops the
 * reading, counted as a truncated record, with the offset in the message.
 * (A mapped file must not shrink: the kernel would send SIGBUS.)
 */
static void
test_file_shrinks(void **state)
{
	struct wbuf *w = malloc(sizeof(*w));
	struct app_pcap_reader *r;
	struct readout *o = malloc(sizeof(*o));
	char err[256];
	unsigned int i;

	(void)state;
	assert_non_null(w);
	assert_non_null(o);
	if (mode->io != APP_PCAP_IO_READ) {
		free(w);
		free(o);
		skip();
	}
	pcap_hdr(w, false, false, 0, 1);
	for (i = 0; i < 40; i++)
		pcap_rec(w, false, i, 0, 100, 100);
	write_file(w->d, w->n);
	r = app_pcap_reader_open_io(path, APP_PCAP_IO_READ, 1000, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(truncate(path, (off_t)(w->n / 2)), 0);
	read_all(r, path, w->n, 8, o);
	assert_int_equal(o->st.truncated_records, 1);
	assert_true(o->n < 40 && o->n > 0);
	assert_non_null(app_pcap_reader_error(r));
	assert_non_null(strstr(app_pcap_reader_error(r), "before its size at open"));
	app_pcap_reader_close(r);
	free(w);
	free(o);
}

/*
 * A file of exactly one page whose last record claims more bytes than
 * are left: nothing past the page is read, the cut is counted.
 */
static void
test_page_sized_file(void **state)
{
	struct wbuf *w = malloc(sizeof(*w));
	struct app_pcap_reader *r;
	struct readout o;
	char err[256];
	long page = sysconf(_SC_PAGESIZE);

	(void)state;
	assert_non_null(w);
	assert_true(page > 100 && page <= (long)WBUF_MAX);
	pcap_hdr(w, false, false, 0, 1);
	pcap_rec(w, false, 1, 0, 60, 60);
	while ((long)w->n + 2 * (16 + 200) < page)
		pcap_rec(w, false, 1, 0, 200, 200);
	wn(w, 2, 4);
	wn(w, 0, 4);
	wn(w, 500, 4);
	wn(w, 500, 4);
	while ((long)w->n < page)
		w8(w, 0xee);
	write_file(w->d, w->n);
	r = open_r(path, err, sizeof(err));
	assert_non_null(r);
	read_all(r, path, w->n, 8, &o);
	assert_int_equal(o.st.truncated_records, 1);
	assert_int_equal(o.n, w->nrec - 1);
	app_pcap_reader_close(r);

	/* The same page ending exactly with a record: a clean end. */
	w->n = w->rec_end[w->nrec - 1];
	pcap_rec(w, false, 3, 0, (uint32_t)(page - (long)w->n - 16), 1514);
	assert_int_equal(w->n, page);
	roundtrip(w, 8);
	free(w);
}

/*
 * Random damage (fixed seed): bytes flipped, length fields set to random
 * or extreme values, files cut short. The reader must open or refuse,
 * then end, with every frame inside the mapping.
 */
static void
test_random_corruption(void **state)
{
	struct wbuf *orig = malloc(sizeof(*orig)), *w = malloc(sizeof(*w));
	uint64_t rng = 0x243f6a8885a308d3ull;
	static const uint32_t extreme[] = {
		0, 1, 3, 4, 11, 12, 13, 16, 28, 32, 0x7fffffff, 0x80000000,
		0xfffffff0, 0xfffffffc, 0xffffffff,
	};
	unsigned int iter, kind;

	(void)state;
	assert_non_null(orig);
	assert_non_null(w);
	for (iter = 0; iter < 3000; iter++) {
		struct app_pcap_reader *r;
		struct readout o;
		char err[256];
		unsigned int k, flips;

		kind = iter % 3;
		if (kind == 0)
			classic_sample(orig, iter & 4, iter & 8);
		else
			pcapng_sample(orig, iter & 4);
		memcpy(w, orig, sizeof(*w));
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		flips = 1 + (unsigned int)(rng >> 60);
		for (k = 0; k < flips; k++) {
			size_t at;

			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			at = (size_t)((rng >> 33) % w->n);
			if ((rng >> 20) & 1)
				w->d[at] ^= (uint8_t)(1u << ((rng >> 8) & 7));
			else if (at + 4 <= w->n)
				wput32(w, at & ~(size_t)3,
				       extreme[(rng >> 12) % (sizeof(extreme) / sizeof(extreme[0]))]);
		}
		if ((rng >> 40) % 4 == 0)
			w->n = (size_t)((rng >> 24) % (w->n + 1));
		write_file(w->d, w->n);
		r = open_r(path, err, sizeof(err));
		if (r == NULL) {
			assert_true(strlen(err) > 0);
			continue;
		}
		read_all(r, path, w->n, 1 + iter % 8, &o);
		assert_true(o.st.truncated_records + o.st.bad_records <= 1);
		assert_int_equal(o.has_error, o.st.truncated_records + o.st.bad_records == 1);
		app_pcap_reader_close(r);
	}
	free(orig);
	free(w);
}

static void
test_counter_names(void **state)
{
	const char *desc = NULL;

	(void)state;
	assert_string_equal(app_pcap_reader_counter_name(0, &desc), "frames");
	assert_non_null(desc);
	assert_string_equal(app_pcap_reader_counter_name(2, NULL), "truncated_records");
	assert_string_equal(app_pcap_reader_counter_name(3, NULL), "bad_records");
	assert_non_null(app_pcap_reader_counter_name(4, NULL));
	assert_null(app_pcap_reader_counter_name(5, NULL));
	app_pcap_reader_close(NULL);
}

/* ------------------------------------------------------------------ */
/* Shared corpus.                                                     */

static const char *
shared_dir(void)
{
	static char buf[512];
	const char *d = getenv("FC_SHARED_DIR");

	if (d != NULL && d[0] != '\0')
		return d;
	snprintf(buf, sizeof(buf), "%s/../shared", FC_TEST_SOURCE_ROOT);
	return buf;
}

/* Write the frames of r (classic) as pcapng into file `ng` (ns stamps). */
static size_t
rewrite_pcapng(struct app_pcap_reader *r, const char *ng, bool be, uint64_t *frames)
{
	FILE *f = fopen(ng, "wb");
	static struct wbuf w;
	struct fc_frame fr[32];
	unsigned int got, i;
	size_t total = 0;

	assert_non_null(f);
	memset(&w, 0, sizeof(w));
	ng_shb(&w, be);
	ng_idb(&w, 1, 0, 9, 0);
	*frames = 0;
	while ((got = app_pcap_reader_burst(r, fr, 32)) > 0) {
		for (i = 0; i < got; i++) {
			size_t s = w.n;

			assert_true(fr[i].cap_len + 64 <= WBUF_MAX);
			if (w.n + fr[i].cap_len + 64 > WBUF_MAX) {
				assert_int_equal(fwrite(w.d, 1, w.n, f), w.n);
				total += w.n;
				w.n = 0;
				s = 0;
			}
			ng_begin(&w, 6);
			wn(&w, 0, 4);
			wn(&w, fr[i].ts >> 32, 4);
			wn(&w, fr[i].ts & 0xffffffff, 4);
			wn(&w, fr[i].cap_len, 4);
			wn(&w, fr[i].wire_len, 4);
			memcpy(w.d + w.n, fr[i].data, fr[i].cap_len);
			w.n += fr[i].cap_len;
			ng_end(&w, s);
			w.nrec = 0;
			(*frames)++;
		}
	}
	assert_int_equal(fwrite(w.d, 1, w.n, f), w.n);
	total += w.n;
	assert_int_equal(fclose(f), 0);
	return total;
}

/* Same frames, same order, from two readers (bursts of one: windows move apart). */
static void
compare_readers(struct app_pcap_reader *a, struct app_pcap_reader *b)
{
	struct fc_frame fa[1], fb[1];
	unsigned int na, nb, i;

	do {
		na = app_pcap_reader_burst(a, fa, 1);
		nb = app_pcap_reader_burst(b, fb, 1);
		assert_int_equal(na, nb);
		for (i = 0; i < na; i++) {
			assert_int_equal(fa[i].cap_len, fb[i].cap_len);
			assert_int_equal(fa[i].wire_len, fb[i].wire_len);
			assert_int_equal(fa[i].ts, fb[i].ts);
			assert_memory_equal(fa[i].data, fb[i].data, fa[i].cap_len);
		}
	} while (na > 0);
}

/*
 * Every capture of the shared corpus: the frame count is MANIFEST.tsv's
 * `packets`, nothing cut or bad; rewritten as pcapng in both byte orders,
 * it reads back frame for frame.
 */
static void
test_shared_corpus(void **state)
{
	char mpath[600], line[4096], file[600], ng[400];
	unsigned int files = 0;
	int col_file = -1, col_packets = -1;
	FILE *m;

	(void)state;
	snprintf(mpath, sizeof(mpath), "%s/pcaps/MANIFEST.tsv", shared_dir());
	m = fopen(mpath, "r");
	if (m == NULL) {
		print_message("no shared corpus at %s\n", mpath);
		skip();
	}
	snprintf(ng, sizeof(ng), "%s/corpus.pcapng", tmpdir);
	while (fgets(line, sizeof(line), m) != NULL) {
		char *save = NULL, *tok, *name = NULL;
		unsigned long long want = 0;
		int col = 0;

		for (tok = strtok_r(line, "\t\n", &save); tok != NULL;
		     tok = strtok_r(NULL, "\t\n", &save), col++) {
			if (col_file < 0 || col_packets < 0) {
				if (strcmp(tok, "file") == 0)
					col_file = col;
				else if (strcmp(tok, "packets") == 0)
					col_packets = col;
				continue;
			}
			if (col == col_file)
				name = tok;
			else if (col == col_packets)
				want = strtoull(tok, NULL, 10);
		}
		if (name == NULL)
			continue;
		snprintf(file, sizeof(file), "%s/pcaps/%s", shared_dir(), name);
		{
			char err[256];
			struct app_pcap_reader *r = open_r(file, err, sizeof(err));
			struct app_pcap_reader *a, *b;
			const struct app_pcap_reader_stats *st;
			struct fc_frame f[32];
			uint64_t n = 0;
			int be;

			if (r == NULL)
				fail_msg("%s", err);
			while (app_pcap_reader_burst(r, f, 32) > 0)
				;
			st = app_pcap_reader_stats(r);
			if (st->frames != want || st->truncated_records != 0 ||
			    st->bad_records != 0)
				fail_msg("%s: %" PRIu64 " frames (want %llu), %" PRIu64
					 " truncated, %" PRIu64 " bad: %s", name, st->frames,
					 want, st->truncated_records, st->bad_records,
					 app_pcap_reader_error(r) ? app_pcap_reader_error(r) : "");
			app_pcap_reader_close(r);
			for (be = 0; be < 2; be++) {
				r = open_r(file, err, sizeof(err));
				assert_non_null(r);
				rewrite_pcapng(r, ng, be, &n);
				app_pcap_reader_close(r);
				assert_int_equal(n, want);
				a = open_r(file, err, sizeof(err));
				b = open_r(ng, err, sizeof(err));
				assert_non_null(a);
				assert_non_null(b);
				compare_readers(a, b);
				assert_int_equal(app_pcap_reader_stats(b)->frames, want);
				app_pcap_reader_close(a);
				app_pcap_reader_close(b);
			}
			unlink(ng);
		}
		files++;
	}
	fclose(m);
	assert_true(col_file >= 0 && col_packets >= 0);
	assert_true(files > 0);
	print_message("%u shared captures read\n", files);
}

static int
group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/fc-pcap-reader-XXXXXX",
		 t != NULL && t[0] != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/f.pcap", tmpdir);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic_orders_and_units),
		cmocka_unit_test(test_pcapng_blocks),
		cmocka_unit_test(test_truncation_every_offset),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_wrong_linktype),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_page_sized_file),
		cmocka_unit_test(test_file_shrinks),
		cmocka_unit_test(test_random_corruption),
		cmocka_unit_test(test_counter_names),
		cmocka_unit_test(test_shared_corpus),
	};

	int failed = 0;

	for (mode = modes; mode < modes + FC_TEST_DIM(modes); mode++) {
		print_message("reader mode: %s\n", mode->name);
		failed += cmocka_run_group_tests(tests, group_setup, group_teardown);
	}
	return failed;
}
