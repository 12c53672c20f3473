/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of fc_reasm. Most scenarios are step lists: each step is a
 * segment (offset from the stream start, bytes, flags, packet time), the
 * consumer appends delivered bytes to a string (a zero byte as '.') and
 * writes "<gap N>" for a gap, and the string is compared with the expected
 * picture before and
 * after fc_reasm_flush(), along with the side's counters. Every list runs
 * at the ISNs 0, 1, 2^31 and 2^32 - 1, so each case also crosses the
 * sequence wrap somewhere.
 *
 * Then: the memcap shared by many streams, stream-state exhaustion,
 * release returning every chunk, a random stream cut twice into random
 * segments and shuffled with duplicates (byte-exact, no gap), a random
 * lossy stream under tight limits (every delivered byte at its right
 * offset, the pool never exceeded), and the API's edges.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <cmocka.h>

#include <rte_errno.h>
#include <rte_memory.h>

#include <fc_reasm.h>

#include "eal.h"

#define MS 1000000ull
#define T0 (1700000000ull * 1000000000ull)

static const uint32_t isns[] = { 0, 1, UINT32_C(1) << 31, UINT32_MAX };

/* ------------------------------------------------------------ consumers */

/* Text picture of the stream: bytes as they are, gaps as "<gap N>". */
struct pic {
	char s[1024];
	size_t len;
};

static void
pic_data(void *arg, const uint8_t *p, uint32_t n)
{
	struct pic *c = arg;

	assert_true(c->len + n < sizeof(c->s));
	for (uint32_t i = 0; i < n; i++)
		c->s[c->len + i] = p[i] != 0 ? (char)p[i] : '.';
	c->len += n;
	c->s[c->len] = '\0';
}

static void
pic_gap(void *arg, uint32_t n)
{
	struct pic *c = arg;
	int k = snprintf(c->s + c->len, sizeof(c->s) - c->len, "<gap %u>", n);

	assert_true(k > 0 && c->len + (size_t)k < sizeof(c->s));
	c->len += (size_t)k;
}

static const struct fc_reasm_cb pic_cb = { pic_data, pic_gap };

/* Binary stream checked against the original at each byte's offset. */
struct checker {
	const uint8_t *orig;
	uint64_t orig_len;
	uint64_t off;          /* stream offset of the next byte */
	uint64_t data_bytes;
	uint64_t gap_bytes;
	unsigned int gaps;
	unsigned int bad;      /* bytes that differ from orig at their offset */
};

static void
chk_data(void *arg, const uint8_t *p, uint32_t n)
{
	struct checker *c = arg;

	for (uint32_t i = 0; i < n; i++)
		if (c->off + i >= c->orig_len || p[i] != c->orig[c->off + i])
			c->bad++;
	c->off += n;
	c->data_bytes += n;
}

static void
chk_gap(void *arg, uint32_t n)
{
	struct checker *c = arg;

	c->off += n;
	c->gap_bytes += n;
	c->gaps++;
}

static const struct fc_reasm_cb chk_cb = { chk_data, chk_gap };

/* ------------------------------------------------------------ step DSL */

struct step {
	int32_t rel;       /**< offset of the first byte from ISN + 1 */
	const char *data;  /**< NULL: a segment without payload (or zeros) */
	uint8_t flags;     /**< FC_REASM_SEG_*; SYN: rel is the ISN's offset */
	uint32_t t_ms;     /**< packet time after T0 */
	int rc;            /**< expected return */
	uint8_t last;      /**< end of the list */
	uint8_t zeros;     /**< data == NULL: payload of this many zero bytes */
};

#define S(rel, d) { (rel), (d), 0, 0, 0, 0, 0 }
#define ST(rel, d, t) { (rel), (d), 0, (t), 0, 0, 0 }
#define SF(rel, d, f) { (rel), (d), (f), 0, 0, 0, 0 }
#define SRC(rel, d, rc) { (rel), (d), 0, 0, (rc), 0, 0 }
#define Z(rel, n) { (rel), NULL, 0, 0, 0, 0, (n) }
#define ZF(rel, n, f) { (rel), NULL, (f), 0, 0, 0, (n) }
#define END { 0, NULL, 0, 0, 0, 1, 0 }

/* Sequence offset of a far segment, beyond FC_REASM_MAX_WINDOW. */
#define FAR 0x50000000

static const uint8_t zero_bytes[64];

struct counts {
	uint64_t retransmits;
	uint64_t overlap_bytes;
	uint64_t ooo_segs;
	uint64_t gap_bytes;
	uint64_t dropped;
	uint64_t out_of_window;
	uint64_t pads_dropped;
	uint64_t resyncs;
};

struct reasm_case {
	const char *name;
	uint32_t side_cap;
	uint16_t max_ooo_segs;
	uint32_t deadline_ms;
	uint8_t overflow;
	int has_isn;
	const struct step *steps;
	const char *expect;        /**< picture before the flush */
	const char *expect_flush;  /**< what the flush appends */
	struct counts c;
	int poisoned;
};

static struct fc_reasm *
mk(const char *name, uint32_t max_streams, uint64_t memcap, uint32_t side_cap,
   uint16_t max_segs, uint32_t deadline_ms, uint8_t overflow)
{
	struct fc_reasm_params p;
	struct fc_reasm *r;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.socket_id = SOCKET_ID_ANY;
	p.max_streams = max_streams;
	p.memcap = memcap;
	p.side_cap = side_cap;
	p.max_ooo_segs = max_segs;
	p.ooo_deadline_ms = deadline_ms;
	p.overflow = overflow;
	r = fc_reasm_create(&p);
	assert_non_null(r);
	return r;
}

static void
run_case(const struct reasm_case *k, uint32_t isn)
{
	struct fc_reasm *r = mk("steps", 4, 1 << 20, k->side_cap,
				k->max_ooo_segs, k->deadline_ms, k->overflow);
	struct fc_reasm_side_stats ss;
	const struct fc_reasm_stats *st = fc_reasm_stats(r);
	struct pic out = { .len = 0 };
	fc_stream_t h = 0;
	char want[1024];
	uint64_t bytes = 0;

	print_message("  %s at ISN %u\n", k->name, isn);
	for (const struct step *s = k->steps; !s->last; s++) {
		struct fc_reasm_seg seg = {
			.seq = isn + 1 + (uint32_t)s->rel,
			.len = s->data != NULL ? (uint32_t)strlen(s->data) : s->zeros,
			.payload = s->data != NULL ? (const uint8_t *)s->data :
				   s->zeros > 0 ? zero_bytes : NULL,
			.ts = T0 + s->t_ms * MS,
			.flags = s->flags,
		};

		bytes += seg.len;
		assert_int_equal(fc_reasm_segment(r, &h, &seg, k->has_isn, isn,
						  &pic_cb, &out), s->rc);
		assert_true(st->chunks_in_use <= st->chunks_total);
	}
	assert_string_equal(out.s, k->expect);
	fc_reasm_flush(r, h, &pic_cb, &out);
	snprintf(want, sizeof(want), "%s%s", k->expect, k->expect_flush);
	assert_string_equal(out.s, want);

	fc_reasm_side_stats(r, h, &ss);
	assert_int_equal(ss.retransmits, k->c.retransmits);
	assert_int_equal(ss.overlap_bytes, k->c.overlap_bytes);
	assert_int_equal(ss.ooo_segs, k->c.ooo_segs);
	assert_int_equal(ss.gap_bytes, k->c.gap_bytes);
	assert_int_equal(ss.dropped_oversize, k->c.dropped);
	assert_int_equal(ss.out_of_window, k->c.out_of_window);
	assert_int_equal(ss.pads_dropped, k->c.pads_dropped);
	assert_int_equal(ss.buffered, 0);
	assert_int_equal(fc_reasm_poisoned(r, h), k->poisoned);
	/* The context's counters are the one side's. */
	assert_int_equal(st->retransmits, k->c.retransmits);
	assert_int_equal(st->overlap_bytes, k->c.overlap_bytes);
	assert_int_equal(st->segments_ooo, k->c.ooo_segs);
	assert_int_equal(st->gap_bytes, k->c.gap_bytes);
	assert_int_equal(st->dropped_bytes, k->c.dropped);
	assert_int_equal(st->poisoned, (uint64_t)k->poisoned);
	assert_int_equal(st->out_of_window, k->c.out_of_window);
	assert_int_equal(st->pads_dropped, k->c.pads_dropped);
	assert_int_equal(st->resyncs, k->c.resyncs);
	assert_true(ss.delivered <= bytes);
	assert_int_equal(st->streams_created, 1);
	fc_reasm_release(r, &h);
	assert_int_equal(h, 0);
	assert_int_equal(st->chunks_in_use, 0);
	assert_int_equal(st->streams_released, 1);
	fc_reasm_free(r);
}

static void
run_cases(const struct reasm_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < FC_DIM(isns); j++)
			run_case(&cases[i], isns[j]);
}

/* ------------------------------------------------------------ step cases */

/*
 * Ordering: in order; reversed; holes filled later (the last filler is in
 * order by then); holes never filled become gaps at the flush.
 */
static void
test_reasm_ordering(void **state)
{
	const struct reasm_case cases[] = {
		{ .name = "in_order", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AAA"), S(3, "BBB"),
						  S(6, "CCC"), END },
		  .expect = "AAABBBCCC", .expect_flush = "" },
		{ .name = "reversed", .has_isn = 1,
		  .steps = (const struct step[]){ S(6, "CCC"), S(3, "BBB"),
						  S(0, "AAA"), END },
		  .expect = "AAABBBCCC", .expect_flush = "",
		  .c = { .ooo_segs = 2 } },
		{ .name = "holes_filled_later", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AA"), S(4, "CC"),
						  S(8, "EE"), S(2, "BB"),
						  S(6, "DD"), END },
		  .expect = "AABBCCDDEE", .expect_flush = "",
		  .c = { .ooo_segs = 2 } },
		{ .name = "holes_never_filled", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AA"), S(4, "CC"),
						  S(8, "EE"), END },
		  .expect = "AA", .expect_flush = "<gap 2>CC<gap 2>EE",
		  .c = { .ooo_segs = 2, .gap_bytes = 4 } },
	};

	(void)state;
	run_cases(cases, FC_DIM(cases));
}

/*
 * Overlaps, first wins: new bytes over delivered data are trimmed; new
 * bytes over buffered data are trimmed; one segment in order fills three
 * holes between buffered bytes; one segment ahead of a hole fills the
 * holes between buffered bytes; duplicates (of delivered and of
 * buffered data) are retransmits, not overlaps.
 */
static void
test_reasm_overlap_first_wins(void **state)
{
	const struct reasm_case cases[] = {
		{ .name = "overlap_delivered_wins", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AAAA"), S(2, "xxBB"), END },
		  .expect = "AAAABB", .expect_flush = "",
		  .c = { .overlap_bytes = 2 } },
		{ .name = "overlap_buffered_wins", .has_isn = 1,
		  .steps = (const struct step[]){ S(4, "BBBB"), S(6, "xxCC"),
						  S(0, "AAAAyy"), END },
		  .expect = "AAAABBBBCC", .expect_flush = "",
		  .c = { .ooo_segs = 2, .overlap_bytes = 4 } },
		{ .name = "fill_holes_in_order", .has_isn = 1,
		  .steps = (const struct step[]){ S(2, "B"), S(5, "D"), S(8, "F"),
						  S(0, "aaCccEeeGgg"), END },
		  .expect = "aaBccDeeFgg", .expect_flush = "",
		  .c = { .ooo_segs = 3, .overlap_bytes = 3 } },
		{ .name = "fill_holes_ahead", .has_isn = 1,
		  .steps = (const struct step[]){ S(4, "B"), S(7, "D"),
						  S(3, "xYyyZz"), S(0, "AAA"), END },
		  .expect = "AAAxByyDz", .expect_flush = "",
		  .c = { .ooo_segs = 3, .overlap_bytes = 2 } },
		{ .name = "duplicated", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AAA"), S(0, "AAA"),
						  S(6, "CCC"), S(6, "CCC"),
						  S(3, "BBB"), S(3, "BBB"), END },
		  .expect = "AAABBBCCC", .expect_flush = "",
		  .c = { .ooo_segs = 1, .retransmits = 3 } },
		{ .name = "covered_by_two", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AA"), S(4, "CC"),
						  S(6, "DD"), S(5, "cd"), S(2, "BB"),
						  END },
		  .expect = "AABBCCDD", .expect_flush = "",
		  .c = { .ooo_segs = 2, .retransmits = 1 } },
	};

	(void)state;
	run_cases(cases, FC_DIM(cases));
}

/*
 * Side limits under both policies. sliding_window: the head hole becomes
 * a gap to make room; a segment larger than the side cap with nothing
 * buffered is skipped to and delivered. drop_flow: the side is poisoned,
 * its buffer counted as dropped, and every later call gets -ENOSPC.
 */
static void
test_reasm_side_limits(void **state)
{
	const struct reasm_case cases[] = {
		{ .name = "segs_sliding", .has_isn = 1, .max_ooo_segs = 2,
		  .steps = (const struct step[]){ S(0, "AA"), S(4, "CC"),
						  S(7, "DD"), S(10, "EE"), END },
		  .expect = "AA<gap 2>CC", .expect_flush = "<gap 1>DD<gap 1>EE",
		  .c = { .ooo_segs = 3, .gap_bytes = 4 } },
		{ .name = "segs_drop_flow", .has_isn = 1, .max_ooo_segs = 2,
		  .overflow = FC_REASM_DROP_FLOW,
		  .steps = (const struct step[]){ S(0, "AA"), S(4, "CC"),
						  S(7, "DD"),
						  SRC(10, "EE", -ENOSPC),
						  SRC(2, "BB", -ENOSPC), END },
		  .expect = "AA", .expect_flush = "",
		  .c = { .ooo_segs = 3, .dropped = 8 }, .poisoned = 1 },
		{ .name = "bytes_sliding", .has_isn = 1, .side_cap = 4,
		  .steps = (const struct step[]){ S(0, "A"), S(3, "CC"),
						  S(6, "DDD"), END },
		  .expect = "A<gap 2>CC", .expect_flush = "<gap 1>DDD",
		  .c = { .ooo_segs = 2, .gap_bytes = 3 } },
		{ .name = "bytes_drop_flow", .has_isn = 1, .side_cap = 4,
		  .overflow = FC_REASM_DROP_FLOW,
		  .steps = (const struct step[]){ S(0, "A"), S(3, "CC"),
						  SRC(6, "DDD", -ENOSPC), END },
		  .expect = "A", .expect_flush = "",
		  .c = { .ooo_segs = 2, .dropped = 5 }, .poisoned = 1 },
		{ .name = "oversize_piece_sliding", .has_isn = 1, .side_cap = 4,
		  .steps = (const struct step[]){ S(0, "A"), S(5, "BBBBBB"),
						  S(11, "C"), END },
		  .expect = "A<gap 4>BBBBBBC", .expect_flush = "",
		  .c = { .ooo_segs = 1, .gap_bytes = 4 } },
		{ .name = "exact_cap_fits", .has_isn = 1, .side_cap = 4,
		  .overflow = FC_REASM_DROP_FLOW,
		  .steps = (const struct step[]){ S(2, "BB"), S(5, "DD"),
						  S(0, "AA"), S(4, "C"), END },
		  .expect = "AABBCDD", .expect_flush = "",
		  .c = { .ooo_segs = 2 } },
	};

	(void)state;
	run_cases(cases, FC_DIM(cases));
}

/*
 * Deadline (100 ms of packet time): at t=150 the hole before CC (t=0)
 * becomes a gap, EE (t=50) is exactly 100 ms old and waits; a segment
 * without payload at t=200 expires EE's hole; GG's hole waits for the
 * flush.
 */
static void
test_reasm_deadline(void **state)
{
	const struct reasm_case cases[] = {
		{ .name = "deadline", .has_isn = 1, .deadline_ms = 100,
		  .steps = (const struct step[]){ ST(0, "AA", 0), ST(4, "CC", 0),
						  ST(10, "EE", 50),
						  ST(20, "GG", 150),
						  ST(22, NULL, 200), END },
		  .expect = "AA<gap 2>CC<gap 4>EE", .expect_flush = "<gap 8>GG",
		  .c = { .ooo_segs = 3, .gap_bytes = 14 } },
		{ .name = "late_filler_beats_deadline", .has_isn = 1,
		  .deadline_ms = 100,
		  .steps = (const struct step[]){ ST(2, "BB", 0), ST(0, "AA", 500),
						  END },
		  .expect = "AABB", .expect_flush = "",
		  .c = { .ooo_segs = 1 } },
	};

	(void)state;
	run_cases(cases, FC_DIM(cases));
}

/*
 * Where the stream starts: with the SYN seen a first segment beyond
 * ISN + 1 waits for the bytes before it; mid-stream the first segment
 * sets the start and earlier bytes are old; data before the ISN is old;
 * a SYN's payload (TCP Fast Open) is delivered with or without the ISN.
 *
 * Out of window (more than 2^30 away): one stray segment far ahead or far
 * behind, then normal data, delivers everything with no gap (the stray is
 * only counted); scattered far strays, or far segments interrupted by
 * in-window data, never move the stream; a run of FC_REASM_RESYNC_SEGS
 * close far-ahead segments resynchronises at the lowest of them: the jump
 * is a gap and the hole the dropped run members leave becomes a gap too.
 */
static void
test_reasm_stream_start(void **state)
{
	const struct reasm_case cases[] = {
		{ .name = "syn_seen", .has_isn = 1,
		  .steps = (const struct step[]){ S(3, "BBB"), S(0, "AAA"), END },
		  .expect = "AAABBB", .expect_flush = "",
		  .c = { .ooo_segs = 1 } },
		{ .name = "syn_seen_never_filled", .has_isn = 1,
		  .steps = (const struct step[]){ S(3, "BBB"), END },
		  .expect = "", .expect_flush = "<gap 3>BBB",
		  .c = { .ooo_segs = 1, .gap_bytes = 3 } },
		{ .name = "midstream", .has_isn = 0,
		  .steps = (const struct step[]){ S(3, "BBB"), S(0, "AAA"),
						  S(6, "CCC"), END },
		  .expect = "BBBCCC", .expect_flush = "",
		  .c = { .retransmits = 1 } },
		{ .name = "before_isn", .has_isn = 1,
		  .steps = (const struct step[]){ S(-3, "xxx"), S(-2, "xxAA"),
						  S(2, "BB"), END },
		  .expect = "AABB", .expect_flush = "",
		  .c = { .retransmits = 1, .overlap_bytes = 2 } },
		{ .name = "tfo", .has_isn = 1,
		  .steps = (const struct step[]){ SF(-1, "HELLO", FC_REASM_SEG_SYN),
						  S(5, "WORLD"), END },
		  .expect = "HELLOWORLD", .expect_flush = "" },
		{ .name = "tfo_no_isn", .has_isn = 0,
		  .steps = (const struct step[]){ SF(-1, "HELLO", FC_REASM_SEG_SYN),
						  SF(-1, "HELLO", FC_REASM_SEG_SYN),
						  S(5, "WORLD"), END },
		  .expect = "HELLOWORLD", .expect_flush = "",
		  .c = { .retransmits = 1 } },
		{ .name = "bare_syn_fin", .has_isn = 1,
		  .steps = (const struct step[]){ SF(-1, NULL, FC_REASM_SEG_SYN),
						  S(0, "AB"),
						  SF(2, NULL, FC_REASM_SEG_FIN), END },
		  .expect = "AB", .expect_flush = "" },
		{ .name = "stray_far_ahead_then_normal", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AA"), S(FAR, "ZZ"),
						  S(2, "BB"), S(4, "CC"), END },
		  .expect = "AABBCC", .expect_flush = "",
		  .c = { .out_of_window = 1 } },
		{ .name = "stray_far_behind_then_normal", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AA"), S(-FAR, "ZZ"),
						  S(2, "BB"), S(4, "CC"), END },
		  .expect = "AABBCC", .expect_flush = "",
		  .c = { .out_of_window = 1 } },
		{ .name = "stray_far_midstream_then_normal", .has_isn = 0,
		  .steps = (const struct step[]){ S(0, "AA"), S(FAR, "ZZ"),
						  S(-FAR, "YY"), S(2, "BB"), END },
		  .expect = "AABB", .expect_flush = "",
		  .c = { .out_of_window = 2 } },
		{ .name = "far_strays_scattered", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AA"), S(FAR, "W"),
						  S(FAR + 0x4000000, "X"),
						  S(FAR + 0x8000000, "Y"),
						  S(FAR + 0xc000000, "Z"),
						  S(FAR + 0x10000000, "V"),
						  S(2, "BB"), END },
		  .expect = "AABB", .expect_flush = "",
		  .c = { .out_of_window = 5 } },
		{ .name = "far_run_broken_by_data", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AA"), S(FAR, "W"),
						  S(FAR + 1, "X"), S(FAR + 2, "Y"),
						  S(2, "BB"), S(FAR + 3, "Z"),
						  S(FAR + 4, "V"), S(4, "CC"), END },
		  .expect = "AABBCC", .expect_flush = "",
		  .c = { .out_of_window = 5 } },
		{ .name = "far_behind_run_never_resyncs", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AA"), S(-FAR, "W"),
						  S(-FAR + 1, "X"), S(-FAR + 2, "Y"),
						  S(-FAR + 3, "Z"), S(-FAR + 4, "V"),
						  S(2, "BB"), END },
		  .expect = "AABB", .expect_flush = "",
		  .c = { .out_of_window = 5 } },
		{ .name = "far_ahead_run_resyncs", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AA"), S(FAR + 1, "X"),
						  S(FAR, "W"), S(FAR + 2, "Y"),
						  S(FAR + 3, "Z"), S(FAR + 4, "V"),
						  END },
		  .expect = "AA<gap 1342177278>", .expect_flush = "<gap 3>ZV",
		  .c = { .out_of_window = 3, .resyncs = 1, .ooo_segs = 2,
			 .gap_bytes = 1342177281 } },
	};

	(void)state;
	run_cases(cases, FC_DIM(cases));
}

/*
 * Link padding (tiny all-zero payloads on pure ACKs, '.' in the picture):
 * data at the pad's place supersedes it (the capture's shape: a client's
 * 2-byte pad then its ClientHello at the same sequence number; a server's
 * 6-byte pads, repeated one byte lower, then its response); data after it
 * proves it was data, so are contiguous zero segments; a hole after it
 * delivers it; old retransmissions leave it held; at the flush a pad -
 * here on the FIN, then merged with one more, or on a RST - is dropped;
 * a SYN-ACK's padding is superseded like any other. Zero segments longer
 * than FC_REASM_PAD_MAX, or a single zero byte, are plain data.
 */
static void
test_reasm_link_padding(void **state)
{
	const struct reasm_case cases[] = {
		{ .name = "pad_superseded", .has_isn = 1,
		  .steps = (const struct step[]){ Z(0, 2), S(0, "HELLO"),
						  S(5, "!"), END },
		  .expect = "HELLO!", .expect_flush = "",
		  .c = { .pads_dropped = 1 } },
		{ .name = "pads_repeated_then_superseded", .has_isn = 1,
		  .steps = (const struct step[]){ Z(0, 6), Z(-1, 6), Z(-1, 6),
						  S(0, "HTTP/1.1"), END },
		  .expect = "HTTP/1.1", .expect_flush = "",
		  .c = { .pads_dropped = 1 } },
		{ .name = "pad_midstream_superseded", .has_isn = 0,
		  .steps = (const struct step[]){ Z(0, 6), S(0, "DATA"), END },
		  .expect = "DATA", .expect_flush = "",
		  .c = { .pads_dropped = 1 } },
		{ .name = "pad_then_continuation", .has_isn = 1,
		  .steps = (const struct step[]){ Z(0, 2), S(2, "AB"), END },
		  .expect = "..AB", .expect_flush = "" },
		{ .name = "zero_segments_contiguous", .has_isn = 1,
		  .steps = (const struct step[]){ Z(0, 2), Z(2, 2), Z(4, 6),
						  S(10, "A"), END },
		  .expect = "..........A", .expect_flush = "" },
		{ .name = "pad_then_hole", .has_isn = 1,
		  .steps = (const struct step[]){ Z(0, 2), S(4, "CD"), END },
		  .expect = "..", .expect_flush = "<gap 2>CD",
		  .c = { .ooo_segs = 1, .gap_bytes = 2 } },
		{ .name = "pad_kept_by_old_retransmit", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AB"), Z(2, 2), S(0, "AB"),
						  S(2, "CD"), END },
		  .expect = "ABCD", .expect_flush = "",
		  .c = { .retransmits = 1, .pads_dropped = 1 } },
		{ .name = "pad_on_fin_dropped_at_flush", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AB"),
						  ZF(2, 2, FC_REASM_SEG_FIN),
						  Z(3, 2), END },
		  .expect = "AB", .expect_flush = "",
		  .c = { .pads_dropped = 1 } },
		{ .name = "long_zero_segment_is_data", .has_isn = 1,
		  .steps = (const struct step[]){ Z(0, 7), S(0, "ABCDEFGH"), END },
		  .expect = ".......H", .expect_flush = "",
		  .c = { .overlap_bytes = 7 } },
		{ .name = "pad_on_syn_superseded", .has_isn = 1,
		  .steps = (const struct step[]){ ZF(-1, 2, FC_REASM_SEG_SYN),
						  S(0, "HELLO"), END },
		  .expect = "HELLO", .expect_flush = "",
		  .c = { .pads_dropped = 1 } },
		{ .name = "pad_on_rst_dropped_at_flush", .has_isn = 1,
		  .steps = (const struct step[]){ S(0, "AB"),
						  ZF(2, 6, FC_REASM_SEG_RST), END },
		  .expect = "AB", .expect_flush = "",
		  .c = { .pads_dropped = 1 } },
		{ .name = "one_zero_byte_is_data", .has_isn = 1,
		  .steps = (const struct step[]){ Z(0, 1), S(0, "AB"), END },
		  .expect = ".B", .expect_flush = "",
		  .c = { .overlap_bytes = 1 } },
		{ .name = "pad_behind_a_hole_is_buffered", .has_isn = 1,
		  .steps = (const struct step[]){ S(2, "CC"), Z(0, 2), END },
		  .expect = "..CC", .expect_flush = "",
		  .c = { .ooo_segs = 1 } },
	};

	(void)state;
	run_cases(cases, FC_DIM(cases));
}

/* ------------------------------------------------------------ contexts */

/*
 * Memcap across many streams: 40 sides each buffer one 1000-byte segment
 * (three chunks) ahead of a 1000-byte hole in a pool of about 20 chunks.
 * The sides that find the pool empty skip ahead to their segment at once
 * (a gap, counted as a memcap hit); the pool is never exceeded. Then the
 * holes are filled: the buffered sides deliver 2000 contiguous bytes, the
 * others see an old segment. Releasing every side returns every chunk.
 */
static void
test_reasm_memcap_many_streams(void **state)
{
	enum { N = 40, LEN = 1000 };
	struct fc_reasm *r;
	const struct fc_reasm_stats *st;
	static uint8_t data[2 * LEN];
	fc_stream_t h[N];
	struct checker ck[N];
	uint32_t fit, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	r = mk("memcap", N, 20 * 576, 0, 0, 0, FC_REASM_SLIDING_WINDOW);
	st = fc_reasm_stats(r);
	assert_true(st->chunks_total >= 10 && st->chunks_total <= 20);
	fit = (uint32_t)st->chunks_total / 3;
	for (i = 0; i < N; i++) {
		uint32_t isn = isns[i % FC_DIM(isns)] - 500;
		struct fc_reasm_seg seg = { .seq = isn + 1 + LEN, .len = LEN,
					    .payload = data + LEN, .ts = T0 };

		h[i] = 0;
		memset(&ck[i], 0, sizeof(ck[i]));
		ck[i].orig = data;
		ck[i].orig_len = sizeof(data);
		assert_int_equal(fc_reasm_segment(r, &h[i], &seg, 1, isn,
						  &chk_cb, &ck[i]), 0);
		assert_true(st->chunks_in_use <= st->chunks_total);
	}
	assert_int_equal(st->chunks_in_use, 3 * fit);
	assert_int_equal(st->memcap_hits, N - fit);
	for (i = 0; i < N; i++) {
		uint32_t isn = isns[i % FC_DIM(isns)] - 500;
		struct fc_reasm_seg seg = { .seq = isn + 1, .len = LEN,
					    .payload = data, .ts = T0 };

		assert_int_equal(fc_reasm_segment(r, &h[i], &seg, 1, isn,
						  &chk_cb, &ck[i]), 0);
		fc_reasm_flush(r, h[i], &chk_cb, &ck[i]);
		assert_int_equal(ck[i].bad, 0);
		assert_int_equal(ck[i].off, 2 * LEN);
		if (i < fit) {
			assert_int_equal(ck[i].gaps, 0);
			assert_int_equal(ck[i].data_bytes, 2 * LEN);
		} else {
			assert_int_equal(ck[i].gaps, 1);
			assert_int_equal(ck[i].gap_bytes, LEN);
			assert_int_equal(ck[i].data_bytes, LEN);
		}
	}
	assert_int_equal(st->retransmits, N - fit);
	for (i = 0; i < N; i++)
		fc_reasm_release(r, &h[i]);
	assert_int_equal(st->chunks_in_use, 0);
	assert_int_equal(st->streams_released, N);
	fc_reasm_free(r);
}

/*
 * Stream exhaustion: with two stream states, a third side is counted
 * once, marked untracked and not reassembled; released, its handle is 0
 * again, and once a state is free a new side gets one.
 */
static void
test_reasm_stream_exhaustion(void **state)
{
	struct fc_reasm *r = mk("exhaust", 2, 1 << 16, 0, 0, 0, 0);
	const struct fc_reasm_stats *st = fc_reasm_stats(r);
	struct fc_reasm_seg seg = { .seq = 100, .len = 3,
				    .payload = (const uint8_t *)"abc", .ts = T0 };
	struct fc_reasm_side_stats ss;
	struct pic out = { .len = 0 };
	fc_stream_t a = 0, b = 0, c = 0;

	(void)state;
	assert_int_equal(fc_reasm_segment(r, &a, &seg, 0, 0, &pic_cb, &out), 0);
	assert_int_equal(fc_reasm_segment(r, &b, &seg, 0, 0, &pic_cb, &out), 0);
	assert_true(a != 0 && b != 0 && a != b);
	assert_int_equal(fc_reasm_segment(r, &c, &seg, 0, 0, &pic_cb, &out), 0);
	assert_int_equal(c, FC_REASM_STREAM_UNTRACKED);
	seg.seq = 103;
	assert_int_equal(fc_reasm_segment(r, &c, &seg, 0, 0, &pic_cb, &out), 0);
	fc_reasm_flush(r, c, &pic_cb, &out);
	assert_string_equal(out.s, "abcabc");
	assert_int_equal(st->streams_exhausted, 1);
	assert_int_equal(st->streams_created, 2);
	fc_reasm_side_stats(r, c, &ss);
	assert_int_equal(ss.delivered, 0);
	assert_int_equal(fc_reasm_poisoned(r, c), 0);
	fc_reasm_release(r, &c);
	assert_int_equal(c, 0);
	fc_reasm_release(r, &a);
	assert_int_equal(fc_reasm_segment(r, &c, &seg, 0, 0, &pic_cb, &out), 0);
	assert_true(c != 0 && c != FC_REASM_STREAM_UNTRACKED);
	assert_string_equal(out.s, "abcabcabc");
	assert_int_equal(st->streams_created, 3);
	assert_int_equal(st->streams_released, 1);
	fc_reasm_free(r);
}

/*
 * Release without flush: 16 sides each hold several pieces (one of them
 * spanning several chunks); releasing them returns every chunk, delivers
 * nothing, and a handle released twice is harmless.
 */
static void
test_reasm_release_returns_chunks(void **state)
{
	enum { N = 16 };
	struct fc_reasm *r = mk("release", N, 1 << 20, 0, 0, 0, 0);
	const struct fc_reasm_stats *st = fc_reasm_stats(r);
	static uint8_t data[3000];
	fc_stream_t h[N] = { 0 };
	struct pic out = { .len = 0 };
	unsigned int i, j;

	(void)state;
	memset(data, 'x', sizeof(data));
	for (i = 0; i < N; i++)
		for (j = 0; j < 4; j++) {
			struct fc_reasm_seg seg = {
				.seq = isns[i % 4] + 1 + 100 + j * 1000,
				.len = j == 3 ? 2000 : 10,
				.payload = data, .ts = T0 };

			assert_int_equal(fc_reasm_segment(r, &h[i], &seg, 1,
							  isns[i % 4], &pic_cb,
							  &out), 0);
		}
	assert_int_equal(st->chunks_in_use, N * (3 + 5));
	for (i = 0; i < N; i++) {
		struct fc_reasm_side_stats ss;

		fc_reasm_side_stats(r, h[i], &ss);
		assert_int_equal(ss.buffered, 2030);
		assert_int_equal(ss.high_watermark, 2030);
		fc_reasm_release(r, &h[i]);
		fc_reasm_release(r, &h[i]);
	}
	assert_int_equal(out.len, 0);
	assert_int_equal(st->chunks_in_use, 0);
	assert_int_equal(st->streams_released, N);
	fc_reasm_free(r);
}

/* ------------------------------------------------------------ random */

static uint64_t rng_state;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

struct rseg {
	uint32_t off, len;
};

/* Cut [0, len) into segments of 1..max bytes, appended to v. */
static unsigned int
cut(struct rseg *v, unsigned int n, uint32_t len, uint32_t max)
{
	uint32_t off = 0;

	while (off < len) {
		uint32_t l = 1 + rnd(max);

		if (l > len - off)
			l = len - off;
		v[n].off = off;
		v[n].len = l;
		n++;
		off += l;
	}
	return n;
}

static void
shuffle(struct rseg *v, unsigned int n)
{
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j = rnd(i + 1);
		struct rseg t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

/*
 * A random 64 KiB stream is cut twice into random segments (1..3000
 * bytes, so the cuts overlap each other), some segments are repeated,
 * and everything is shuffled; with limits that allow it, the stream comes
 * out byte-exact with no gap, at each ISN, with and without the SYN.
 */
static void
test_reasm_random_shuffled(void **state)
{
	enum { LEN = 65536, MAXV = 2 * LEN + 64 };
	static uint8_t orig[LEN];
	static struct rseg v[MAXV];
	struct fc_reasm *r = mk("random", 4, 8 << 20, 1 << 20, 65535, 0, 0);
	const struct fc_reasm_stats *st = fc_reasm_stats(r);
	unsigned int round;

	(void)state;
	rng_state = 0x2545f4914f6cdd1dull;
	for (round = 0; round < 16; round++) {
		uint32_t isn = isns[round % 4];
		int has_isn = (round / 4) % 2;
		struct checker ck = { .orig = orig, .orig_len = LEN };
		fc_stream_t h = 0;
		unsigned int n, i, first;

		for (i = 0; i < LEN; i++)
			orig[i] = (uint8_t)rnd(256);
		n = cut(v, 0, LEN, 3000);
		n = cut(v, n, LEN, 3000);
		for (i = 0; i < 40; i++) {
			unsigned int j = rnd(n);

			v[n] = v[j];
			n++;
		}
		shuffle(v, n);
		/* Mid-stream, the first segment sets the start: make it 0. */
		for (first = 0; v[first].off != 0; first++)
			;
		if (!has_isn) {
			struct rseg t = v[0];

			v[0] = v[first];
			v[first] = t;
		}
		for (i = 0; i < n; i++) {
			struct fc_reasm_seg seg = { .seq = isn + 1 + v[i].off,
						    .len = v[i].len,
						    .payload = orig + v[i].off,
						    .ts = T0 + i * 1000 };

			assert_int_equal(fc_reasm_segment(r, &h, &seg, has_isn,
							  isn, &chk_cb, &ck), 0);
		}
		fc_reasm_flush(r, h, &chk_cb, &ck);
		assert_int_equal(ck.bad, 0);
		assert_int_equal(ck.gaps, 0);
		assert_int_equal(ck.data_bytes, LEN);
		fc_reasm_release(r, &h);
		assert_int_equal(st->chunks_in_use, 0);
	}
	assert_int_equal(st->gaps, 0);
	assert_true(st->retransmits > 0 && st->overlap_bytes > 0 &&
		    st->segments_ooo > 0);
	fc_reasm_free(r);
}

/*
 * A random lossy stream under tight limits (a 16-chunk side cap, 16
 * pieces, a 40-chunk pool shared by 4 interleaved sides, so the memcap is
 * met): about 5% of the segments are lost, the rest shuffled in windows
 * of 8 with duplicates, with a 50 ms deadline. Every delivered byte must
 * sit at its right offset (gaps included), the pool is never exceeded,
 * the consumer's byte and gap totals match the side's counters, and under
 * sliding_window nothing is dropped and over 85% of the stream arrives;
 * drop_flow poisons instead.
 */
static void
test_reasm_random_lossy_limits(void **state)
{
	enum { LEN = 200000, SIDES = 4, MAXV = LEN / 1 + 1024 };
	static uint8_t orig[LEN];
	static struct rseg v[SIDES][MAXV];
	unsigned int nv[SIDES];
	unsigned int pol;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < LEN; i++)
		orig[i] = (uint8_t)rnd(256);
	for (pol = 0; pol < FC_REASM_OVERFLOW_MAX; pol++) {
		struct fc_reasm *r = mk("lossy", SIDES, 40 * 576,
					16 * FC_REASM_CHUNK_DATA, 16, 50,
					(uint8_t)pol);
		const struct fc_reasm_stats *st = fc_reasm_stats(r);
		struct checker ck[SIDES];
		fc_stream_t h[SIDES] = { 0 };
		unsigned int pos[SIDES] = { 0 }, s, i, left = SIDES;
		uint64_t t = T0;

		for (s = 0; s < SIDES; s++) {
			unsigned int n = cut(v[s], 0, LEN, 1460), k = 0;

			for (i = 1; i < n; i++)  /* keep the first: it sets the start */
				if (rnd(100) >= 5)
					v[s][++k] = v[s][i];
			n = k + 1;
			for (i = 0; i < 100; i++) {
				unsigned int j = 1 + rnd(n - 1);

				v[s][n++] = v[s][j];
			}
			for (i = 1; i + 8 < n; i += 8)
				shuffle(&v[s][i], 8);
			nv[s] = n;
			memset(&ck[s], 0, sizeof(ck[s]));
			ck[s].orig = orig;
			ck[s].orig_len = LEN;
		}
		while (left > 0) {
			s = rnd(SIDES);
			if (pos[s] >= nv[s])
				continue;
			{
				const struct rseg *g = &v[s][pos[s]++];
				uint32_t isn = isns[s];
				struct fc_reasm_seg seg = { .seq = isn + 1 + g->off,
							    .len = g->len,
							    .payload = orig + g->off,
							    .ts = t };
				int rc = fc_reasm_segment(r, &h[s], &seg, 1, isn,
							  &chk_cb, &ck[s]);

				assert_true(rc == 0 ||
					    (rc == -ENOSPC && pol == FC_REASM_DROP_FLOW));
			}
			t += 100000; /* 0.1 ms: the 50 ms deadline fires too */
			assert_true(st->chunks_in_use <= st->chunks_total);
			if (pos[s] == nv[s])
				left--;
		}
		for (s = 0; s < SIDES; s++) {
			struct fc_reasm_side_stats ss;

			fc_reasm_flush(r, h[s], &chk_cb, &ck[s]);
			fc_reasm_side_stats(r, h[s], &ss);
			assert_int_equal(ck[s].bad, 0);
			assert_int_equal(ck[s].data_bytes, ss.delivered);
			assert_int_equal(ck[s].gap_bytes, ss.gap_bytes);
			assert_true(ck[s].off <= LEN);
			if (pol == FC_REASM_SLIDING_WINDOW) {
				assert_int_equal(ss.dropped_oversize, 0);
				/* ~5% lost, plus fillers that came after their gap */
				assert_true(ck[s].data_bytes > LEN * 85 / 100);
			}
			fc_reasm_release(r, &h[s]);
		}
		print_message("  %s: gaps %" PRIu64 " memcap_hits %" PRIu64
			      " poisoned %" PRIu64 "\n", fc_reasm_overflow_name(pol),
			      st->gaps, st->memcap_hits, st->poisoned);
		if (pol == FC_REASM_SLIDING_WINDOW)
			assert_true(st->gaps > 0 && st->memcap_hits > 0);
		else
			assert_true(st->poisoned > 0);
		assert_int_equal(st->chunks_in_use, 0);
		fc_reasm_free(r);
	}
}

/* ------------------------------------------------------------ API edges */

/*
 * API edges: parameter checks, names, counters, bad handles, NULL
 * consumer, memory figure.
 */
static void
test_reasm_api(void **state)
{
	struct fc_reasm_params p;
	struct fc_reasm *r, *dup;
	struct fc_reasm_side_stats ss;
	struct fc_reasm_seg seg = { .seq = 1, .len = 2,
				    .payload = (const uint8_t *)"ab", .ts = T0 };
	fc_stream_t h = 0, bad = 3;
	const char *name, *desc;
	unsigned int i;
	uint8_t pol;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_null(fc_reasm_create(NULL));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(fc_reasm_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.name = "a_name_much_too_long_for_a_mempool_name";
	assert_null(fc_reasm_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.name = "api";
	p.overflow = FC_REASM_OVERFLOW_MAX;
	assert_null(fc_reasm_create(&p));
	p.overflow = 0;
	p.memcap = 100; /* less than one chunk */
	assert_null(fc_reasm_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.memcap = 1 << 20;
	p.max_streams = 8;
	r = fc_reasm_create(&p);
	assert_non_null(r);
	dup = fc_reasm_create(&p);
	assert_null(dup);
	assert_int_equal(rte_errno, EEXIST);
	assert_true(fc_reasm_memory(r) >= (1 << 20) - 1024);
	assert_true(fc_reasm_memory(r) < 3 << 20); /* with the per-lcore caches */
	fc_reasm_free(NULL);

	for (i = 0; (name = fc_reasm_counter_name(i, &desc)) != NULL; i++)
		assert_non_null(desc);
	assert_int_equal(i, (sizeof(struct fc_reasm_stats) -
			     2 * sizeof(uint64_t)) / sizeof(uint64_t));
	assert_string_equal(fc_reasm_counter_name(0, NULL), "streams_created");
	assert_int_equal(fc_reasm_counter(fc_reasm_stats(r), 1000), 0);
	assert_string_equal(fc_reasm_overflow_name(FC_REASM_DROP_FLOW), "drop_flow");
	assert_string_equal(fc_reasm_overflow_name(99), "?");
	assert_int_equal(fc_reasm_overflow_parse("sliding_window", &pol), 0);
	assert_int_equal(pol, FC_REASM_SLIDING_WINDOW);
	assert_int_equal(fc_reasm_overflow_parse("drop", &pol), -EINVAL);

	assert_int_equal(fc_reasm_segment(NULL, &h, &seg, 0, 0, NULL, NULL), -EINVAL);
	assert_int_equal(fc_reasm_segment(r, NULL, &seg, 0, 0, NULL, NULL), -EINVAL);
	assert_int_equal(fc_reasm_segment(r, &h, NULL, 0, 0, NULL, NULL), -EINVAL);
	seg.payload = NULL;
	assert_int_equal(fc_reasm_segment(r, &h, &seg, 0, 0, NULL, NULL), -EINVAL);
	seg.payload = (const uint8_t *)"ab";
	assert_int_equal(h, 0);
	/* Bad handles: never a live stream. */
	assert_int_equal(fc_reasm_segment(r, &bad, &seg, 0, 0, NULL, NULL), -EINVAL);
	bad = 1000;
	assert_int_equal(fc_reasm_segment(r, &bad, &seg, 0, 0, NULL, NULL), -EINVAL);
	fc_reasm_flush(r, bad, NULL, NULL);
	fc_reasm_side_stats(r, bad, &ss);
	assert_int_equal(ss.delivered, 0);
	assert_int_equal(fc_reasm_poisoned(r, bad), 0);
	/* A bare segment creates nothing; a NULL consumer only counts. */
	seg.len = 0;
	assert_int_equal(fc_reasm_segment(r, &h, &seg, 0, 0, NULL, NULL), 0);
	assert_int_equal(h, 0);
	seg.len = 2;
	assert_int_equal(fc_reasm_segment(r, &h, &seg, 0, 0, NULL, NULL), 0);
	seg.seq = 5;
	assert_int_equal(fc_reasm_segment(r, &h, &seg, 0, 0, NULL, NULL), 0);
	fc_reasm_flush(r, h, NULL, NULL);
	fc_reasm_side_stats(r, h, &ss);
	assert_int_equal(ss.delivered, 4);
	assert_int_equal(ss.gap_bytes, 2);
	fc_reasm_side_stats(r, 0, &ss);
	assert_int_equal(ss.delivered, 0);
	assert_int_equal(fc_reasm_counter(fc_reasm_stats(r), 3), 2); /* segments */
	fc_reasm_release(r, &h);
	fc_reasm_release(r, NULL);
	fc_reasm_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasm_ordering),
		cmocka_unit_test(test_reasm_overlap_first_wins),
		cmocka_unit_test(test_reasm_side_limits),
		cmocka_unit_test(test_reasm_deadline),
		cmocka_unit_test(test_reasm_stream_start),
		cmocka_unit_test(test_reasm_link_padding),
		cmocka_unit_test(test_reasm_memcap_many_streams),
		cmocka_unit_test(test_reasm_stream_exhaustion),
		cmocka_unit_test(test_reasm_release_returns_chunks),
		cmocka_unit_test(test_reasm_random_shuffled),
		cmocka_unit_test(test_reasm_random_lossy_limits),
		cmocka_unit_test(test_reasm_api),
	};

	return cmocka_run_group_tests(tests, fctest_eal_setup,
				      fctest_eal_teardown);
}
