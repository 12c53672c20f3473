/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the session engine (fc_l7.c) and the message encoding.
 * Most scenarios use two small parsers defined here, so that every engine
 * path can be driven exactly:
 *  - "rec": a stream of 4-byte records after a "REC!" magic; "DET." makes
 *    it detach, "ERR." fails, anything else is one message; gap and end
 *    hooks count;
 *  - "maybe": a probe that never decides.
 * Scenarios: selection by probe on any port and by port hint; probing
 * across small pieces; give-up (every parser excluded, probe_limit
 * reached, UDP port-only parsers); zero copy vs tails at every split
 * point; detach and poison; gaps (a detach or a failure on a gap flushes
 * end() to the sink the gap carries); session, tail and sink exhaustion; a
 * tail over max_tail; end() flushing; counters adding up; JSON rendering.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include <rte_errno.h>

#include <fc_event.h>
#include <fc_l7.h>

#include "eal.h"

/* ---- capture sink ---- */

#define CAP_MAX 64

struct cap {
	struct fc_event_session ev[CAP_MAX];
	unsigned int n;
	unsigned int room;   /* messages accepted before begin() says no room */
};

static struct fc_event_session *
cap_begin(void *arg, uint8_t proto, uint8_t kind, uint8_t side)
{
	struct cap *c = arg;

	(void)proto;
	(void)kind;
	(void)side;
	if (c->n >= c->room || c->n >= CAP_MAX)
		return NULL;
	memset(&c->ev[c->n], 0xa5, sizeof(c->ev[c->n])); /* the engine fills the header */
	return &c->ev[c->n];
}

static void
cap_end(void *arg)
{
	((struct cap *)arg)->n++;
}

static struct cap *
cap_new(struct fc_l7_sink *sink)
{
	struct cap *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->room = CAP_MAX;
	sink->begin = cap_begin;
	sink->end = cap_end;
	sink->arg = c;
	return c;
}

/* ---- the "rec" parser ---- */

struct rec_state {
	uint32_t records;
	uint32_t gaps;
	uint32_t gap_bytes;
	uint32_t inits;
};

static const struct fc_l7_field rec_fields[] = {
	{ "rec", FC_L7_T_STR, 0 },
	{ "count", FC_L7_T_U64, 0 },
};
static const char *const rec_kinds[] = { "rec", "end" };

static enum fc_l7_probe
rec_probe(const uint8_t *p, uint32_t len, uint8_t side)
{
	(void)side;
	if (len >= 4)
		return memcmp(p, "REC!", 4) == 0 ? FC_L7_PROBE_YES : FC_L7_PROBE_NO;
	return memcmp(p, "REC!", len) == 0 ? FC_L7_PROBE_MAYBE : FC_L7_PROBE_NO;
}

static void
rec_init(void *state)
{
	((struct rec_state *)state)->inits++;
}

static enum fc_l7_result
rec_parse(void *state, uint8_t side, const uint8_t *p, uint32_t len,
	  uint32_t *consumed, uint64_t ts, struct fc_l7_emit *emit)
{
	struct rec_state *s = state;
	struct fc_l7_msg *m;

	(void)ts;
	if (len < 4)
		return FC_L7_NEED_MORE;
	if (memcmp(p, "DET.", 4) == 0)
		return FC_L7_DETACH;
	if (memcmp(p, "ERR.", 4) == 0) {
		emit->error = "rec: error record";
		return FC_L7_ERROR;
	}
	s->records++;
	m = emit->begin(emit->arg, 0, side);
	fc_l7_put_str(m, 0, p, 4);
	emit->end(emit->arg, m);
	*consumed = 4;
	return FC_L7_OK;
}

static enum fc_l7_result
rec_gap(void *state, uint8_t side, uint32_t len)
{
	struct rec_state *s = state;

	(void)side;
	s->gaps++;
	s->gap_bytes += len;
	return FC_L7_OK;
}

static void
rec_end(void *state, int fin, uint64_t ts, struct fc_l7_emit *emit)
{
	struct rec_state *s = state;
	struct fc_l7_msg *m = emit->begin(emit->arg, 1, FC_SIDE_ORIG);

	(void)fin;
	(void)ts;
	fc_l7_put_u64(m, 1, s->records);
	emit->end(emit->arg, m);
}

static const struct fc_l7_parser rec_parser = {
	.name = "rec",
	.proto = FC_L7_HTTP,
	.transport = IPPROTO_TCP,
	.state_size = sizeof(struct rec_state),
	.max_tail = 16,
	.fields = rec_fields,
	.n_fields = 2,
	.kinds = rec_kinds,
	.n_kinds = 2,
	.probe = rec_probe,
	.init = rec_init,
	.parse = rec_parse,
	.gap = rec_gap,
	.end = rec_end,
};

static enum fc_l7_probe
maybe_probe(const uint8_t *p, uint32_t len, uint8_t side)
{
	(void)p;
	(void)len;
	(void)side;
	return FC_L7_PROBE_MAYBE;
}

static const struct fc_l7_parser maybe_parser = {
	.name = "maybe",
	.proto = FC_L7_TLS,
	.transport = IPPROTO_TCP,
	.state_size = 8,
	.max_tail = 64,
	.fields = rec_fields,
	.n_fields = 2,
	.kinds = rec_kinds,
	.n_kinds = 2,
	.probe = maybe_probe,
	.parse = rec_parse,
};

static const struct fc_l7_parser *const rec_only[] = { &rec_parser, NULL };
static const struct fc_l7_parser *const rec_and_maybe[] = { &rec_parser, &maybe_parser, NULL };

static struct fc_l7_engine *
mk(const char *name, const struct fc_l7_parser *const *parsers,
   uint32_t max_sessions, uint32_t tails, uint32_t probe_limit)
{
	struct fc_l7_engine_params p;
	struct fc_l7_engine *e;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.max_sessions = max_sessions;
	p.tail_buffers = tails;
	p.probe_limit = probe_limit;
	p.parsers = parsers;
	e = fc_l7_engine_create(&p);
	assert_non_null(e);
	return e;
}

static int
feed(struct fc_l7_engine *e, fc_l7_session_t *h, uint8_t side, const char *s,
     const struct fc_l7_sink *sink)
{
	size_t n = strlen(s);
	uint8_t *copy = malloc(n + 1);
	int rc;

	/* An exact-size heap copy: ASan sees any read past it. */
	assert_non_null(copy);
	memcpy(copy, s, n);
	rc = fc_l7_feed(e, h, IPPROTO_TCP, 40000, 7777, side, copy, (uint32_t)n,
			1000, sink);
	free(copy);
	return rc;
}

static void
assert_rec(const struct cap *c, unsigned int i, const char *rec)
{
	uint16_t off = 0, len;
	uint8_t f, t;
	const uint8_t *p;

	assert_true(i < c->n);
	assert_int_equal(c->ev[i].kind, 0);
	assert_int_equal(c->ev[i].proto, FC_L7_HTTP);
	assert_int_equal(c->ev[i].truncated, 0);
	assert_true(fc_l7_next_field(&c->ev[i], &off, &f, &t, &p, &len));
	assert_int_equal(f, 0);
	assert_int_equal(len, 4);
	assert_memory_equal(p, rec, 4);
}

/*
 * Selection by probe on an arbitrary port, then records: all whole pieces
 * are parsed in place (no tail), end() flushes and releases.
 */
static void
test_l7_select_zero_copy(void **st)
{
	struct fc_l7_engine *e = mk("l7_sel", rec_only, 8, 4, 0);
	struct fc_l7_sink sink;
	struct cap *c = cap_new(&sink);
	const struct fc_l7_stats *s = fc_l7_stats(e);
	fc_l7_session_t h = 0;

	(void)st;
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "REC!AAAA", &sink), 0);
	assert_int_not_equal(h, 0);
	assert_false(fc_l7_session_done(h));
	assert_int_equal(fc_l7_session_proto(e, h), FC_L7_HTTP);
	assert_int_equal(feed(e, &h, FC_SIDE_RESP, "BBBBCCCC", &sink), 0);
	assert_int_equal(c->n, 4);
	assert_rec(c, 0, "REC!");
	assert_rec(c, 1, "AAAA");
	assert_rec(c, 2, "BBBB");
	assert_int_equal(c->ev[2].side, FC_SIDE_RESP);
	assert_int_equal(s->tails, 0);
	assert_int_equal(s->tail_bytes, 0);
	assert_int_equal(s->selected, 1);
	assert_int_equal(s->sessions_in_use, 1);
	fc_l7_end(e, &h, 1, 2000, &sink);
	assert_int_equal(h, 0);
	assert_int_equal(c->n, 5);
	assert_int_equal(c->ev[4].kind, 1);
	assert_int_equal(s->sessions_in_use, 0);
	assert_int_equal(s->ended, 1);
	assert_int_equal(s->messages, 5);
	free(c);
	fc_l7_engine_free(e);
}

/*
 * The same stream split at every point and byte by byte gives the same
 * records; tails are used only when a piece ends inside a record and are
 * all returned.
 */
static void
test_l7_tail_every_split(void **st)
{
	static const char stream[] = "REC!AAAABBBBCCCCDDDD";
	struct fc_l7_engine *e = mk("l7_split", rec_only, 8, 4, 0);
	const struct fc_l7_stats *s = fc_l7_stats(e);
	size_t n = strlen(stream);

	(void)st;
	for (size_t k = 1; k <= n; k++) {
		struct fc_l7_sink sink;
		struct cap *c = cap_new(&sink);
		fc_l7_session_t h = 0;
		char a[32], b[32];

		memcpy(a, stream, k);
		a[k] = '\0';
		strcpy(b, stream + k);
		assert_int_equal(feed(e, &h, FC_SIDE_ORIG, a, &sink), 0);
		if (b[0] != '\0')
			assert_int_equal(feed(e, &h, FC_SIDE_ORIG, b, &sink), 0);
		assert_int_equal(c->n, 5);
		assert_rec(c, 0, "REC!");
		assert_rec(c, 4, "DDDD");
		assert_int_equal(s->tails_in_use, 0);
		fc_l7_end(e, &h, 1, 0, NULL);
		free(c);
	}
	{
		struct fc_l7_sink sink;
		struct cap *c = cap_new(&sink);
		fc_l7_session_t h = 0;
		uint64_t tails0 = s->tails;

		for (size_t i = 0; i < n; i++) {
			char one[2] = { stream[i], 0 };

			assert_int_equal(feed(e, &h, FC_SIDE_ORIG, one, &sink), 0);
		}
		assert_int_equal(c->n, 5);
		assert_rec(c, 3, "CCCC");
		assert_true(s->tails > tails0);
		fc_l7_end(e, &h, 1, 0, NULL);
		free(c);
	}
	assert_int_equal(s->sessions_in_use, 0);
	assert_int_equal(s->tails_in_use, 0);
	fc_l7_engine_free(e);
}

/*
 * Give up: bytes no parser wants (every parser excluded at once), and a
 * probe that never decides (probe_limit bytes). Both leave a done handle
 * naming no protocol, hold nothing, and ignore later bytes.
 */
static void
test_l7_probe_give_up(void **st)
{
	struct fc_l7_engine *e = mk("l7_giveup", rec_and_maybe, 8, 4, 64);
	const struct fc_l7_stats *s = fc_l7_stats(e);
	fc_l7_session_t h = 0, h2 = 0;
	struct fc_l7_sink sink;
	struct cap *c = cap_new(&sink);
	unsigned int i;

	(void)st;
	/* "rec" says no at once, "maybe" keeps waiting until 64 bytes. */
	for (i = 0; i < 7; i++) {
		assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "xxxxxxxx", &sink), 0);
		assert_false(fc_l7_session_done(h));
	}
	assert_int_equal(s->tails_in_use, 1);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "xxxxxxxx", &sink), 0);
	assert_true(fc_l7_session_done(h));
	assert_int_equal(fc_l7_session_proto(e, h), FC_L7_NONE);
	assert_int_equal(s->gave_up, 1);
	assert_int_equal(s->tails_in_use, 0);
	assert_int_equal(s->sessions_in_use, 0);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "REC!", &sink), 0);
	assert_int_equal(c->n, 0);
	fc_l7_end(e, &h, 1, 0, &sink);
	assert_int_equal(h, 0);
	fc_l7_engine_free(e);

	/* Only "rec": the first non-matching byte decides. */
	e = mk("l7_giveup2", rec_only, 8, 4, 0);
	s = fc_l7_stats(e);
	assert_int_equal(feed(e, &h2, FC_SIDE_ORIG, "RX", &sink), 0);
	assert_true(fc_l7_session_done(h2));
	assert_int_equal(s->gave_up, 1);
	assert_int_equal(s->proto_sessions[FC_L7_NONE], 1);
	free(c);
	fc_l7_engine_free(e);
}

/*
 * Probing across pieces: "R", "E", "C" are kept (MAYBE) and become the
 * parser's first bytes once "!" decides; bytes of the other side probed
 * meanwhile follow.
 */
static void
test_l7_probe_pieces(void **st)
{
	struct fc_l7_engine *e = mk("l7_pieces", rec_only, 8, 4, 0);
	struct fc_l7_sink sink;
	struct cap *c = cap_new(&sink);
	fc_l7_session_t h = 0;

	(void)st;
	assert_int_equal(feed(e, &h, FC_SIDE_RESP, "RE", &sink), 0);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "R", &sink), 0);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "E", &sink), 0);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "C", &sink), 0);
	assert_int_equal(c->n, 0);
	assert_int_equal(fc_l7_session_proto(e, h), FC_L7_NONE);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "!AAAAB", &sink), 0);
	assert_int_equal(fc_l7_session_proto(e, h), FC_L7_HTTP);
	assert_int_equal(c->n, 2);
	assert_rec(c, 0, "REC!");
	assert_rec(c, 1, "AAAA");
	assert_int_equal(feed(e, &h, FC_SIDE_RESP, "C!", &sink), 0);
	assert_int_equal(c->n, 3);
	assert_rec(c, 2, "REC!");
	assert_int_equal(c->ev[2].side, FC_SIDE_RESP);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "BBB", &sink), 0);
	assert_int_equal(c->n, 4);
	assert_rec(c, 3, "BBBB");
	fc_l7_end(e, &h, 0, 0, NULL);
	assert_int_equal(fc_l7_stats(e)->tails_in_use, 0);
	free(c);
	fc_l7_engine_free(e);
}

/* DETACH: silent, the handle keeps the protocol, nothing is held. */
static void
test_l7_detach(void **st)
{
	struct fc_l7_engine *e = mk("l7_detach", rec_only, 8, 4, 0);
	const struct fc_l7_stats *s = fc_l7_stats(e);
	struct fc_l7_sink sink;
	struct cap *c = cap_new(&sink);
	fc_l7_session_t h = 0;

	(void)st;
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "REC!AAAADET.BBBB", &sink), 0);
	assert_true(fc_l7_session_done(h));
	assert_int_equal(fc_l7_session_proto(e, h), FC_L7_HTTP);
	assert_int_equal(c->n, 2);
	assert_int_equal(s->detached, 1);
	assert_int_equal(s->sessions_in_use, 0);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "CCCC", &sink), 0);
	assert_int_equal(c->n, 2);
	assert_int_equal(fc_l7_gap(e, &h, FC_SIDE_ORIG, 10), 0);
	fc_l7_end(e, &h, 1, 0, &sink);
	assert_int_equal(c->n, 2);      /* no end() after a detach */
	assert_int_equal(h, 0);
	free(c);
	fc_l7_engine_free(e);
}

/*
 * ERROR: -EPROTO with the parser's reason until fc_l7_end releases. The
 * parser's end() runs once, when it is poisoned (what it held is reported
 * then), and not again at fc_l7_end.
 */
static void
test_l7_error_poisons(void **st)
{
	struct fc_l7_engine *e = mk("l7_err", rec_only, 8, 4, 0);
	const struct fc_l7_stats *s = fc_l7_stats(e);
	struct fc_l7_sink sink;
	struct cap *c = cap_new(&sink);
	fc_l7_session_t h = 0;
	uint64_t v;

	(void)st;
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "REC!ER", &sink), 0);
	assert_null(fc_l7_session_error(e, h));
	assert_int_equal(c->n, 1);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "R.AA", &sink), -EPROTO);
	assert_string_equal(fc_l7_session_error(e, h), "rec: error record");
	assert_int_equal(s->errors, 1);
	assert_int_equal(s->tails_in_use, 0);
	/* end() reported at the poisoning: kind "end", 1 record parsed. */
	assert_int_equal(c->n, 2);
	assert_int_equal(c->ev[1].kind, 1);
	assert_int_equal(c->ev[1].data[0], 1);
	memcpy(&v, &c->ev[1].data[4], sizeof(v));
	assert_int_equal(v, 1);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "AAAA", &sink), -EPROTO);
	assert_int_equal(c->n, 2);
	fc_l7_end(e, &h, 0, 0, &sink);
	assert_int_equal(c->n, 2);      /* not ended a second time */
	assert_int_equal(h, 0);
	assert_int_equal(s->sessions_in_use, 0);
	free(c);
	fc_l7_engine_free(e);
}

/* A parser that never completes a message. */
static enum fc_l7_result
stuck_parse(void *state, uint8_t side, const uint8_t *p, uint32_t len,
	    uint32_t *consumed, uint64_t ts, struct fc_l7_emit *emit)
{
	(void)state;
	(void)side;
	(void)p;
	(void)len;
	(void)consumed;
	(void)ts;
	(void)emit;
	return FC_L7_NEED_MORE;
}

static const struct fc_l7_parser stuck_parser = {
	.name = "stuck",
	.proto = FC_L7_HTTP,
	.transport = IPPROTO_TCP,
	.state_size = 4,
	.max_tail = 16,
	.fields = rec_fields,
	.n_fields = 2,
	.kinds = rec_kinds,
	.n_kinds = 2,
	.probe = rec_probe,
	.parse = stuck_parse,
};

/*
 * A parser stuck on max_tail bytes is an error of that parser, whether
 * the bytes arrive in small pieces (tail path) or at once (zero copy).
 */
static void
test_l7_tail_over_max(void **st)
{
	static const struct fc_l7_parser *const stuck_only[] = { &stuck_parser, NULL };
	struct fc_l7_engine *e = mk("l7_over", stuck_only, 8, 4, 0);
	const struct fc_l7_stats *s = fc_l7_stats(e);
	fc_l7_session_t h = 0, h2 = 0;

	(void)st;
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "REC!0123", NULL), 0);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "0123", NULL), 0);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "012", NULL), 0);
	assert_int_equal(s->tails_in_use, 1);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "3", NULL), -EPROTO);
	assert_string_equal(fc_l7_session_error(e, h),
			    "message larger than the parser's limit");
	assert_int_equal(s->tail_overflows, 1);
	assert_int_equal(s->tails_in_use, 0);
	fc_l7_end(e, &h, 0, 0, NULL);
	assert_int_equal(feed(e, &h2, FC_SIDE_ORIG, "REC!0123456789abcdef", NULL),
			 -EPROTO);
	assert_int_equal(s->tail_overflows, 2);
	fc_l7_end(e, &h2, 0, 0, NULL);
	assert_int_equal(s->sessions_in_use, 0);
	fc_l7_engine_free(e);
}

/*
 * Gaps: the tail goes with the hole and the parser's gap hook is told the
 * total; a gap while probing gives up.
 */
static void
test_l7_gap(void **st)
{
	struct fc_l7_engine *e = mk("l7_gap", rec_only, 8, 4, 0);
	const struct fc_l7_stats *s = fc_l7_stats(e);
	struct fc_l7_sink sink;
	struct cap *c = cap_new(&sink);
	fc_l7_session_t h = 0, h2 = 0;

	(void)st;
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "REC!AA", &sink), 0);
	assert_int_equal(s->tails_in_use, 1);
	assert_int_equal(fc_l7_gap(e, &h, FC_SIDE_ORIG, 10), 0);
	assert_int_equal(s->tails_in_use, 0);
	assert_int_equal(s->gaps, 1);
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "BBBB", &sink), 0);
	assert_int_equal(c->n, 2);
	assert_rec(c, 1, "BBBB");
	fc_l7_end(e, &h, 1, 0, &sink);
	assert_int_equal(c->n, 3);
	{
		/* the end message counts 2 records; gap saw 12 bytes */
		uint16_t off = 0, len;
		uint8_t f, t;
		const uint8_t *p;
		uint64_t v;

		assert_true(fc_l7_next_field(&c->ev[2], &off, &f, &t, &p, &len));
		memcpy(&v, p, sizeof(v));
		assert_int_equal(v, 2);
	}
	assert_int_equal(feed(e, &h2, FC_SIDE_ORIG, "RE", &sink), 0);
	assert_int_equal(fc_l7_gap(e, &h2, FC_SIDE_ORIG, 5), 0);
	assert_true(fc_l7_session_done(h2));
	assert_int_equal(fc_l7_session_proto(e, h2), FC_L7_NONE);
	free(c);
	fc_l7_engine_free(e);
}

/* "rec" with a gap hook that detaches on holes of 100 bytes or more and fails on 13. */
static enum fc_l7_result
hole_gap(void *state, uint8_t side, uint32_t len)
{
	(void)state;
	(void)side;
	if (len == 13)
		return FC_L7_ERROR;
	return len >= 100 ? FC_L7_DETACH : FC_L7_OK;
}

static const struct fc_l7_parser hole_parser = {
	.name = "hole",
	.proto = FC_L7_HTTP,
	.transport = IPPROTO_TCP,
	.state_size = sizeof(struct rec_state),
	.max_tail = 16,
	.fields = rec_fields,
	.n_fields = 2,
	.kinds = rec_kinds,
	.n_kinds = 2,
	.probe = rec_probe,
	.parse = rec_parse,
	.gap = hole_gap,
	.end = rec_end,
};

/* The "end" message (kind 1) at c->ev[i] counts n records. */
static void
assert_end_msg(const struct cap *c, unsigned int i, uint64_t n)
{
	uint16_t off = 0, len;
	uint8_t f, t;
	const uint8_t *p;
	uint64_t v;

	assert_true(i < c->n);
	assert_int_equal(c->ev[i].kind, 1);
	assert_true(fc_l7_next_field(&c->ev[i], &off, &f, &t, &p, &len));
	assert_int_equal(f, 1);
	memcpy(&v, p, sizeof(v));
	assert_int_equal(v, n);
}

/*
 * A parser that detaches on a gap gets end() first (gap() cannot emit),
 * and so does one that fails in gap() (poisoned): the messages of that
 * end() go to the sink fc_l7_gap_to() carries, or are dropped (counted)
 * by fc_l7_gap(). A small hole is absorbed and ends nothing.
 */
static void
test_l7_gap_detach_and_error_flush(void **st)
{
	static const struct fc_l7_parser *const hole_only[] = { &hole_parser, NULL };
	struct fc_l7_engine *e = mk("l7_gapend", hole_only, 8, 4, 0);
	const struct fc_l7_stats *s = fc_l7_stats(e);
	struct fc_l7_sink sink;
	struct cap *c = cap_new(&sink);
	fc_l7_session_t h = 0;
	uint64_t dropped;

	(void)st;
	/* Detach on a big hole: end() runs, its message reaches the sink. */
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "REC!AAAA", &sink), 0);
	assert_int_equal(fc_l7_gap_to(e, &h, FC_SIDE_ORIG, 5, &sink), 0);
	assert_false(fc_l7_session_done(h));
	assert_int_equal(c->n, 2);      /* "REC!" is a record too */
	assert_int_equal(fc_l7_gap_to(e, &h, FC_SIDE_RESP, 100, &sink), 0);
	assert_true(fc_l7_session_done(h));
	assert_int_equal(s->detached, 1);
	assert_int_equal(s->sessions_in_use, 0);
	assert_int_equal(c->n, 3);
	assert_end_msg(c, 2, 2);
	fc_l7_end(e, &h, 1, 0, &sink);
	assert_int_equal(c->n, 3);      /* end() ran once, at the detach */

	/* The same without a sink: the message is counted as dropped. */
	dropped = s->messages_dropped;
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "REC!AAAABBBB", &sink), 0);
	assert_int_equal(c->n, 6);
	assert_int_equal(fc_l7_gap(e, &h, FC_SIDE_ORIG, 200), 0);
	assert_true(fc_l7_session_done(h));
	assert_int_equal(s->messages_dropped, dropped + 1);
	assert_int_equal(c->n, 6);
	fc_l7_end(e, &h, 1, 0, &sink);

	/* A failure in gap(): poisoned, end() once, to the sink. */
	assert_int_equal(feed(e, &h, FC_SIDE_ORIG, "REC!AAAABBBBCCCC", &sink), 0);
	assert_int_equal(c->n, 10);
	assert_int_equal(fc_l7_gap_to(e, &h, FC_SIDE_ORIG, 13, &sink), -EPROTO);
	assert_string_equal(fc_l7_session_error(e, h), "parse error");
	assert_int_equal(c->n, 11);
	assert_end_msg(c, 10, 4);
	assert_int_equal(fc_l7_gap_to(e, &h, FC_SIDE_ORIG, 200, &sink), -EPROTO);
	fc_l7_end(e, &h, 0, 0, &sink);
	assert_int_equal(c->n, 11);
	assert_int_equal(s->sessions_in_use, 0);
	free(c);
	fc_l7_engine_free(e);
}

/*
 * Pools: with 2 records the third flow gets -ENOSPC (counted) and gets
 * a session once one is free; with 1 tail buffer the second side that
 * needs one loses its tail as a gap; a full sink drops messages.
 */
static void
test_l7_exhaustion(void **st)
{
	struct fc_l7_engine *e = mk("l7_exh", rec_only, 2, 1, 0);
	const struct fc_l7_stats *s = fc_l7_stats(e);
	struct fc_l7_sink sink;
	struct cap *c = cap_new(&sink);
	fc_l7_session_t h[3] = { 0, 0, 0 };

	(void)st;
	assert_int_equal(feed(e, &h[0], FC_SIDE_ORIG, "REC!AA", &sink), 0);
	assert_int_equal(feed(e, &h[1], FC_SIDE_ORIG, "REC!BB", &sink), 0);
	assert_int_equal(s->tails_exhausted, 1);
	assert_int_equal(s->gaps, 1);
	assert_int_equal(feed(e, &h[2], FC_SIDE_ORIG, "REC!", &sink), -ENOSPC);
	assert_int_equal(h[2], 0);
	assert_int_equal(s->sessions_exhausted, 1);
	fc_l7_end(e, &h[0], 1, 0, NULL); /* its end message: no sink, dropped */
	assert_int_equal(s->messages_dropped, 1);
	assert_int_equal(s->tails_in_use, 0);
	assert_int_equal(feed(e, &h[2], FC_SIDE_ORIG, "REC!", &sink), 0);
	assert_int_equal(fc_l7_session_proto(e, h[2]), FC_L7_HTTP);

	c->room = c->n;                 /* the sink is full from now on */
	assert_int_equal(feed(e, &h[2], FC_SIDE_ORIG, "CCCCDDDD", &sink), 0);
	assert_int_equal(s->messages_dropped, 3);
	assert_int_equal(feed(e, &h[2], FC_SIDE_ORIG, "EEEE", NULL), 0);
	assert_int_equal(s->messages_dropped, 4);
	fc_l7_end(e, &h[1], 1, 0, NULL);
	fc_l7_end(e, &h[2], 1, 0, NULL);
	assert_int_equal(s->sessions_in_use, 0);
	assert_int_equal(s->sessions, 3);
	assert_int_equal(s->ended, 3);
	free(c);
	fc_l7_engine_free(e);
}

/*
 * Built-in parsers: HTTP is probed on any TCP port, DNS over UDP only on
 * its ports (elsewhere the flow is decided at once, no record used),
 * enabled mask honoured.
 */
static void
test_l7_builtin_selection(void **st)
{
	static const uint8_t dns_q[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
	};
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct fc_l7_engine_params p;
	struct fc_l7_engine *e;
	struct fc_l7_sink sink;
	struct cap *c = cap_new(&sink);
	fc_l7_session_t h1 = 0, h2 = 0, h3 = 0, h4 = 0;
	const struct fc_l7_stats *s;

	(void)st;
	memset(&p, 0, sizeof(p));
	p.name = "l7_builtin";
	p.max_sessions = 16;
	p.tail_buffers = 4;
	e = fc_l7_engine_create(&p);
	assert_non_null(e);
	s = fc_l7_stats(e);
	assert_int_equal(fc_l7_feed(e, &h1, IPPROTO_TCP, 50000, 12345, FC_SIDE_ORIG,
				    (const uint8_t *)req, sizeof(req) - 1, 1, &sink), 0);
	assert_int_equal(fc_l7_session_proto(e, h1), FC_L7_HTTP);
	assert_int_equal(c->n, 1);
	assert_int_equal(fc_l7_feed(e, &h2, IPPROTO_UDP, 50000, 53, FC_SIDE_ORIG,
				    dns_q, sizeof(dns_q), 1, &sink), 0);
	assert_int_equal(fc_l7_session_proto(e, h2), FC_L7_DNS);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->ev[1].proto, FC_L7_DNS);
	assert_int_equal(fc_l7_feed(e, &h3, IPPROTO_UDP, 50000, 9999, FC_SIDE_ORIG,
				    dns_q, sizeof(dns_q), 1, &sink), 0);
	assert_true(fc_l7_session_done(h3));
	assert_int_equal(s->sessions_in_use, 2);
	fc_l7_end(e, &h2, 1, 5, &sink);
	assert_int_equal(c->n, 3);      /* the unanswered query */
	fc_l7_end(e, &h1, 1, 5, &sink);
	fc_l7_end(e, &h3, 1, 5, &sink);
	fc_l7_engine_free(e);

	p.enabled = 1u << FC_L7_DNS;
	p.name = "l7_builtin2";
	e = fc_l7_engine_create(&p);
	assert_non_null(e);
	assert_int_equal(fc_l7_feed(e, &h4, IPPROTO_TCP, 50000, 80, FC_SIDE_ORIG,
				    (const uint8_t *)req, sizeof(req) - 1, 1, &sink), 0);
	assert_true(fc_l7_session_done(h4));
	assert_int_equal(fc_l7_session_proto(e, h4), FC_L7_NONE);
	fc_l7_engine_free(e);

	p.enabled = 1u << FC_L7_NONE;   /* nothing to run */
	assert_null(fc_l7_engine_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	free(c);
}

/* Encoding: repeated fields become arrays, overflow marks truncated. */
static void
test_l7_encoding_json(void **st)
{
	static struct fc_event_session s;
	struct fc_l7_msg m = { &s };
	char buf[4096];
	char big[2000];
	int n;

	(void)st;
	memset(&s, 0, sizeof(s));
	s.proto = FC_L7_HTTP;
	s.kind = 0;
	assert_int_equal(fc_l7_put_cstr(&m, 1, "GET"), 0);     /* method */
	assert_int_equal(fc_l7_put_str(&m, 16, "A: 1", 4), 0); /* headers */
	assert_int_equal(fc_l7_put_u64(&m, 0, 1), 0);          /* trans_depth */
	assert_int_equal(fc_l7_put_str(&m, 16, "B: \"2\"", 6), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(fc_l7_put_str(&m, 3, big, sizeof(big)), -ENOSPC);
	assert_int_equal(fc_l7_put_cstr(NULL, 3, "x"), -ENOSPC);
	n = fc_l7_session_json(&s, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(buf,
		"\"kind\":\"request\",\"truncated\":true,\"method\":\"GET\","
		"\"headers\":[\"A: 1\",\"B: \\\"2\\\"\"],\"trans_depth\":1");
	assert_int_equal(fc_l7_session_json(&s, buf, 10), -ENOSPC);
}

/* Counter names match the struct. */
static void
test_l7_counter_names(void **st)
{
	struct fc_l7_stats s;
	unsigned int i;
	const char *desc;

	(void)st;
	memset(&s, 0, sizeof(s));
	s.messages = 7;
	for (i = 0; fc_l7_counter_name(i, &desc) != NULL; i++) {
		assert_non_null(desc);
		if (strcmp(fc_l7_counter_name(i, NULL), "messages") == 0)
			assert_int_equal(fc_l7_counter(&s, i), 7);
	}
	assert_true(i > 10);
	assert_int_equal(fc_l7_counter(&s, i), 0);
	assert_non_null(fc_l7_parser_by_name("http"));
	assert_non_null(fc_l7_parser_by_name("dns"));
	assert_null(fc_l7_parser_by_name("nope"));
	assert_string_equal(fc_l7_proto_name(FC_L7_DNS), "dns");
	assert_string_equal(fc_l7_proto_name(99), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l7_select_zero_copy),
		cmocka_unit_test(test_l7_tail_every_split),
		cmocka_unit_test(test_l7_probe_give_up),
		cmocka_unit_test(test_l7_probe_pieces),
		cmocka_unit_test(test_l7_detach),
		cmocka_unit_test(test_l7_error_poisons),
		cmocka_unit_test(test_l7_tail_over_max),
		cmocka_unit_test(test_l7_gap),
		cmocka_unit_test(test_l7_gap_detach_and_error_flush),
		cmocka_unit_test(test_l7_exhaustion),
		cmocka_unit_test(test_l7_builtin_selection),
		cmocka_unit_test(test_l7_encoding_json),
		cmocka_unit_test(test_l7_counter_names),
	};

	return cmocka_run_group_tests(tests, fctest_eal_setup, fctest_eal_teardown);
}
