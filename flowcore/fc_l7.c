/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session layer: message encoding (fields as records in the session event
 * body), rendering as JSON members, the parser registry, and the per-lcore
 * engine that drives parsers (see fc_l7.h for the model).
 *
 * HOW THE ENGINE FEEDS A PARSER. A session keeps, per side, an optional
 * tail: bytes the parser left unconsumed, in a buffer of the tail pool.
 * Without a tail, new bytes are presented straight from the caller (zero
 * copy) and the parser is called again on the rest as long as it makes
 * progress; whatever it leaves is copied into a tail buffer. With a tail,
 * new bytes are appended to it in growing steps (never past the parser's
 * max_tail) and the tail is parsed again; as soon as the parser has
 * consumed every byte the tail held before, the tail is dropped and the
 * rest is presented from the caller's buffer again (zero copy). A parser that makes no
 * progress on a full max_tail never will: that is an error of the parser
 * ("message larger than the parser's limit"). A tail that cannot be kept
 * (pool empty) is dropped and reported to the parser as a gap.
 *
 * HOW PROBING WORKS. Until a parser is chosen, each side's first bytes are
 * offered to every candidate's probe: parsers whose port hints match the
 * flow first, then the others of the same transport (unless port_only).
 * YES selects the parser (the probed bytes become its first input, the
 * other side's probed bytes follow), NO excludes it for the flow, MAYBE
 * keeps the side's bytes in a tail buffer and waits. When every candidate
 * is excluded, a side probed probe_limit bytes without a YES, or the bytes
 * cannot be kept, the flow gets no parser and is never probed again. UDP
 * datagrams are probed one by one (nothing is kept between them).
 *
 * Session records, parser states and tail buffers come from fixed pools
 * with index free lists; nothing is allocated after create.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "fc_event.h"
#include "fc_l7.h"

static const char *const proto_names[] = { FC_L7_PROTOS(FC_X_NAME) };
static_assert(FC_DIM(proto_names) == FC_L7_PROTO_MAX, "l7 proto name table");

/* Record header: id, type, length (host order). */
#define REC_HDR 4

const struct fc_l7_parser *const fc_l7_registry[] = {
#ifdef FC_L7_HAVE_HTTP
	&fc_l7_http,
#endif
#ifdef FC_L7_HAVE_TLS
	&fc_l7_tls,
#endif
#ifdef FC_L7_HAVE_DNS
	&fc_l7_dns,
	&fc_l7_dns_tcp,
#endif
	NULL,
};
static_assert(FC_DIM(fc_l7_registry) <= FC_L7_MAX_PARSERS + 1, "registry too large");

const char *
fc_l7_proto_name(unsigned int proto)
{
	return proto < FC_L7_PROTO_MAX ? proto_names[proto] : "?";
}

const struct fc_l7_parser *
fc_l7_parser_by_name(const char *name)
{
	for (unsigned int i = 0; fc_l7_registry[i] != NULL; i++)
		if (strcmp(fc_l7_registry[i]->name, name) == 0)
			return fc_l7_registry[i];
	return NULL;
}

static const struct fc_l7_parser *
parser_of(unsigned int proto)
{
	for (unsigned int i = 0; fc_l7_registry[i] != NULL; i++)
		if (fc_l7_registry[i]->proto == proto)
			return fc_l7_registry[i];
	return NULL;
}

static int
put(struct fc_l7_msg *m, uint8_t field, uint8_t type, const void *p, size_t len)
{
	struct fc_event_session *s;
	uint16_t l;

	/* A message the sink had no room for: every put is a no-op. */
	if (m == NULL || m->s == NULL)
		return -ENOSPC;
	s = m->s;
	if (len > UINT16_MAX || s->used + REC_HDR + len > sizeof(s->data)) {
		s->truncated = 1;
		return -ENOSPC;
	}
	l = (uint16_t)len;
	s->data[s->used] = field;
	s->data[s->used + 1] = type;
	memcpy(&s->data[s->used + 2], &l, sizeof(l));
	if (len > 0)
		memcpy(&s->data[s->used + REC_HDR], p, len);
	s->used = (uint16_t)(s->used + REC_HDR + len);
	s->n_fields++;
	return 0;
}

int
fc_l7_room(struct fc_l7_msg *m, size_t n_fields, size_t value_bytes)
{
	if (m == NULL || m->s == NULL)
		return -ENOSPC;
	if (n_fields > sizeof(m->s->data) || value_bytes > sizeof(m->s->data) ||
	    m->s->used + n_fields * REC_HDR + value_bytes > sizeof(m->s->data)) {
		m->s->truncated = 1;
		return -ENOSPC;
	}
	return 0;
}

int
fc_l7_put_str(struct fc_l7_msg *m, uint8_t field, const void *p, size_t len)
{
	return put(m, field, FC_L7_T_STR, p, len);
}

int
fc_l7_put_cstr(struct fc_l7_msg *m, uint8_t field, const char *s)
{
	return put(m, field, FC_L7_T_STR, s, strlen(s));
}

int
fc_l7_put_u64(struct fc_l7_msg *m, uint8_t field, uint64_t v)
{
	return put(m, field, FC_L7_T_U64, &v, sizeof(v));
}

int
fc_l7_put_bool(struct fc_l7_msg *m, uint8_t field, int v)
{
	uint8_t b = v != 0;

	return put(m, field, FC_L7_T_BOOL, &b, 1);
}

int
fc_l7_put_ts(struct fc_l7_msg *m, uint8_t field, uint64_t ns)
{
	return put(m, field, FC_L7_T_TS, &ns, sizeof(ns));
}

int
fc_l7_next_field(const struct fc_event_session *s, uint16_t *off,
		 uint8_t *field, uint8_t *type, const uint8_t **p, uint16_t *len)
{
	uint16_t l;

	if (*off + REC_HDR > s->used)
		return 0;
	memcpy(&l, &s->data[*off + 2], sizeof(l));
	if (*off + REC_HDR + l > s->used)
		return 0;
	*field = s->data[*off];
	*type = s->data[*off + 1];
	*p = &s->data[*off + REC_HDR];
	*len = l;
	*off = (uint16_t)(*off + REC_HDR + l);
	return 1;
}

/* Bounded JSON writer for the members. */
struct out {
	char *buf;
	size_t len;
	size_t pos;
	int overflow;
};

static void
out_raw(struct out *o, const char *p, size_t n)
{
	if (o->overflow || o->pos + n >= o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->pos, p, n);
	o->pos += n;
	o->buf[o->pos] = '\0';
}

static void
out_str(struct out *o, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	out_raw(o, "\"", 1);
	for (size_t i = 0; i < n && !o->overflow; i++) {
		uint8_t c = p[i];
		char esc[6];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			out_raw(o, esc, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			/* Bytes outside printable ASCII: \u00XX keeps the line valid JSON
			 * whatever the traffic holds. */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			out_raw(o, esc, 6);
		} else {
			out_raw(o, (const char *)&c, 1);
		}
	}
	out_raw(o, "\"", 1);
}

static void
out_value(struct out *o, uint8_t type, const uint8_t *p, uint16_t len)
{
	char num[24];
	uint64_t v;
	int n;

	switch (type) {
	case FC_L7_T_U64:
		v = 0;
		if (len == sizeof(v))
			memcpy(&v, p, sizeof(v));
		n = snprintf(num, sizeof(num), "%" PRIu64, v);
		out_raw(o, num, (size_t)n);
		break;
	case FC_L7_T_BOOL:
		if (len == 1 && p[0])
			out_raw(o, "true", 4);
		else
			out_raw(o, "false", 5);
		break;
	case FC_L7_T_TS:
		v = 0;
		if (len == sizeof(v))
			memcpy(&v, p, sizeof(v));
		n = snprintf(num, sizeof(num), "%" PRIu64 ".%06" PRIu64,
			     v / FC_NS_PER_SEC, v % FC_NS_PER_SEC / FC_NS_PER_USEC);
		out_raw(o, num, (size_t)n);
		break;
	default:
		out_str(o, p, len);
		break;
	}
}

int
fc_l7_session_json(const struct fc_event_session *s, char *buf, size_t len)
{
	const struct fc_l7_parser *ps = parser_of(s->proto);
	struct out o = { .buf = buf, .len = len, .pos = 0, .overflow = 0 };
	uint8_t done[256] = { 0 };
	uint16_t off = 0;
	uint8_t field, type;
	const uint8_t *p;
	uint16_t l;
	const char *kind = "?";

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (ps != NULL && s->kind < ps->n_kinds)
		kind = ps->kinds[s->kind];
	out_raw(&o, "\"kind\":", 7);
	out_str(&o, (const uint8_t *)kind, strlen(kind));
	if (s->truncated)
		out_raw(&o, ",\"truncated\":true", 17);
	/* Fields in first-appearance order; repeats gathered into one array. */
	while (fc_l7_next_field(s, &off, &field, &type, &p, &l)) {
		const char *name;
		int repeated = 0;
		uint16_t off2 = off;
		uint8_t f2, t2;
		const uint8_t *p2;
		uint16_t l2;

		if (done[field])
			continue;
		done[field] = 1;
		if (ps != NULL && field < ps->n_fields) {
			name = ps->fields[field].name;
			repeated = ps->fields[field].repeated;
		} else {
			name = "?";
		}
		while (!repeated && fc_l7_next_field(s, &off2, &f2, &t2, &p2, &l2))
			if (f2 == field)
				repeated = 1;
		out_raw(&o, ",", 1);
		out_str(&o, (const uint8_t *)name, strlen(name));
		out_raw(&o, ":", 1);
		if (!repeated) {
			out_value(&o, type, p, l);
			continue;
		}
		out_raw(&o, "[", 1);
		out_value(&o, type, p, l);
		off2 = off;
		while (fc_l7_next_field(s, &off2, &f2, &t2, &p2, &l2)) {
			if (f2 != field)
				continue;
			out_raw(&o, ",", 1);
			out_value(&o, t2, p2, l2);
		}
		out_raw(&o, "]", 1);
	}
	if (o.overflow)
		return -ENOSPC;
	return (int)o.pos;
}

/*
 * ENGINE.
 */

/** Smallest append to a tail before the parser is called again. */
#define TAIL_STEP 256u

/** Session record states. */
enum sess_status {
	SESS_FREE = 0,
	SESS_PROBING,
	SESS_ACTIVE,
	SESS_POISONED,
};

/** One side of a session. */
struct l7_side {
	uint32_t tail;      /**< tail buffer index + 1, 0 = none */
	uint32_t tail_len;  /**< bytes held in the tail */
	uint32_t probed;    /**< bytes offered to probes */
};

/** One session record (the parser state lives in the parallel state pool). */
struct l7_session {
	const struct fc_l7_parser *parser; /**< chosen parser (ACTIVE / POISONED) */
	const char *error;                 /**< POISONED: the reason */
	struct l7_side side[2];
	uint32_t next_free;                /**< free list link: index + 1 */
	uint8_t status;                    /**< enum sess_status */
	uint8_t transport;                 /**< IPPROTO_TCP / IPPROTO_UDP */
	uint8_t excluded;                  /**< bit per engine parser: not a candidate */
	uint8_t hinted;                    /**< bit per engine parser: a port hint matched */
};

struct fc_l7_engine {
	struct fc_l7_engine_params p;
	const struct fc_l7_parser *parsers[FC_L7_MAX_PARSERS]; /**< enabled, registry order */
	unsigned int n_parsers;
	uint32_t state_stride;      /**< bytes per parser state (largest, rounded) */
	uint32_t tail_size;         /**< bytes per tail buffer (largest max_tail) */
	struct l7_session *sess;    /**< max_sessions records */
	uint8_t *state;             /**< max_sessions * state_stride */
	uint8_t *tails;             /**< tail_buffers * tail_size */
	uint32_t *tail_stack;       /**< free tail buffer indexes */
	uint32_t n_tail_free;
	uint32_t free_head;         /**< first free record: index + 1, 0 = none */
	uint64_t memory;            /**< bytes allocated */
	uint64_t last_ts;           /**< packet time of the last fc_l7_feed() */
	struct fc_l7_stats st;
};

/** One engine call: the emit interface a parser sees, bound to a sink. */
struct l7_call {
	struct fc_l7_emit emit;
	struct fc_l7_engine *e;
	const struct fc_l7_sink *sink;
	struct fc_l7_msg msg;
	uint64_t ts;                /**< packet time of the call */
	uint8_t proto;
	uint8_t open;               /**< a message is open at the sink */
};

static const char *const l7_counter_names[][2] = {
#define FC_X_ROW(name, desc) { #name, desc },
	FC_L7_COUNTERS(FC_X_ROW)
#undef FC_X_ROW
};

const char *
fc_l7_counter_name(unsigned int i, const char **desc)
{
	if (i >= FC_DIM(l7_counter_names))
		return NULL;
	if (desc != NULL)
		*desc = l7_counter_names[i][1];
	return l7_counter_names[i][0];
}

uint64_t
fc_l7_counter(const struct fc_l7_stats *s, unsigned int i)
{
	const uint64_t *v = (const uint64_t *)s;

	return i < FC_DIM(l7_counter_names) ? v[i] : 0;
}

static void
call_close(struct l7_call *c)
{
	if (!c->open)
		return;
	c->open = 0;
	c->msg.s = NULL;
	c->sink->end(c->sink->arg);
	c->e->st.messages++;
}

static struct fc_l7_msg *
call_begin(void *arg, uint8_t kind, uint8_t side)
{
	struct l7_call *c = arg;
	struct fc_event_session *s = NULL;

	/* One message at a time: a message left open is finished first. */
	call_close(c);
	if (c->sink != NULL && c->sink->begin != NULL)
		s = c->sink->begin(c->sink->arg, c->proto, kind, side);
	if (s == NULL) {
		c->e->st.messages_dropped++;
		return NULL;
	}
	s->proto = c->proto;
	s->side = side;
	s->kind = kind;
	s->truncated = 0;
	s->used = 0;
	s->n_fields = 0;
	c->msg.s = s;
	c->open = 1;
	return &c->msg;
}

static void
call_end(void *arg, struct fc_l7_msg *m)
{
	struct l7_call *c = arg;

	if (m == &c->msg)
		call_close(c);
}

static void
call_init(struct l7_call *c, struct fc_l7_engine *e,
	  const struct fc_l7_sink *sink, uint8_t proto)
{
	c->emit.begin = call_begin;
	c->emit.end = call_end;
	c->emit.arg = c;
	c->emit.error = NULL;
	c->e = e;
	c->sink = sink;
	c->msg.s = NULL;
	c->ts = e->last_ts;
	c->proto = proto;
	c->open = 0;
}

static struct l7_session *
sess_of(const struct fc_l7_engine *e, fc_l7_session_t h)
{
	if (h == 0 || fc_l7_session_done(h) || h > e->p.max_sessions)
		return NULL;
	if (e->sess[h - 1].status == SESS_FREE)
		return NULL;
	return &e->sess[h - 1];
}

static void *
state_of(const struct fc_l7_engine *e, fc_l7_session_t h)
{
	return e->state + (size_t)(h - 1) * e->state_stride;
}

static uint8_t *
tail_buf(const struct fc_l7_engine *e, const struct l7_side *sd)
{
	return e->tails + (size_t)(sd->tail - 1) * e->tail_size;
}

/* Give the side a tail buffer. @return 0, or -ENOSPC (counted). */
static int
tail_get(struct fc_l7_engine *e, struct l7_side *sd)
{
	if (sd->tail != 0)
		return 0;
	if (e->n_tail_free == 0) {
		e->st.tails_exhausted++;
		return -ENOSPC;
	}
	sd->tail = e->tail_stack[--e->n_tail_free] + 1;
	sd->tail_len = 0;
	e->st.tails_in_use++;
	return 0;
}

static void
tail_put(struct fc_l7_engine *e, struct l7_side *sd)
{
	if (sd->tail != 0) {
		e->tail_stack[e->n_tail_free++] = sd->tail - 1;
		e->st.tails_in_use--;
	}
	sd->tail = 0;
	sd->tail_len = 0;
}

/* Free the record and set the handle (0 or a done value). */
static void
sess_release(struct fc_l7_engine *e, fc_l7_session_t *h,
	     struct l7_session *s, fc_l7_session_t to)
{
	tail_put(e, &s->side[0]);
	tail_put(e, &s->side[1]);
	s->status = SESS_FREE;
	s->parser = NULL;
	s->next_free = e->free_head;
	e->free_head = *h;
	e->st.sessions_in_use--;
	*h = to;
}

static void
sess_fini(struct fc_l7_engine *e, fc_l7_session_t h, struct l7_session *s)
{
	if (s->parser != NULL && s->parser->fini != NULL)
		s->parser->fini(state_of(e, h));
}

/* The parser has nothing more to learn: release, keep the protocol. */
static int
sess_detach(struct fc_l7_engine *e, fc_l7_session_t *h, struct l7_session *s)
{
	uint8_t proto = s->parser->proto;

	sess_fini(e, *h, s);
	e->st.detached++;
	sess_release(e, h, s, FC_L7_SESSION_DONE | proto);
	return 0;
}

/*
 * The parser failed: keep the record (for the reason) until fc_l7_end.
 * The parser's end() runs first (fin = 0), so what it holds - DNS queries
 * still waiting for a response - is reported now: a poisoned session gets
 * no end() later.
 */
static int
sess_poison(struct fc_l7_engine *e, fc_l7_session_t h, struct l7_session *s,
	    const char *reason, struct l7_call *c)
{
	call_close(c);
	if (s->parser->end != NULL) {
		s->parser->end(state_of(e, h), 0, c->ts, &c->emit);
		call_close(c);
	}
	sess_fini(e, h, s);
	tail_put(e, &s->side[0]);
	tail_put(e, &s->side[1]);
	s->status = SESS_POISONED;
	s->error = reason != NULL ? reason : "parse error";
	e->st.errors++;
	return -EPROTO;
}

/* No parser for this flow, ever. */
static int
sess_give_up(struct fc_l7_engine *e, fc_l7_session_t *h, struct l7_session *s)
{
	e->st.gave_up++;
	e->st.proto_sessions[FC_L7_NONE]++;
	sess_release(e, h, s, FC_L7_SESSION_DONE | FC_L7_NONE);
	return 0;
}

/* Act on a parser result other than OK. */
static int
sess_result(struct fc_l7_engine *e, fc_l7_session_t *h, struct l7_session *s,
	    enum fc_l7_result r, struct l7_call *c)
{
	if (r == FC_L7_DETACH)
		return sess_detach(e, h, s);
	if (r == FC_L7_ERROR)
		return sess_poison(e, *h, s, c->emit.error, c);
	return 0;
}

/*
 * Parse p[0..len) for as long as the parser makes progress.
 * *used = bytes consumed. Returns OK, DETACH or ERROR.
 */
static enum fc_l7_result
run(const struct l7_session *s, void *st, uint8_t side, const uint8_t *p,
    uint32_t len, uint32_t *used, uint64_t ts, struct l7_call *c)
{
	uint32_t off = 0;

	while (off < len) {
		uint32_t n = 0;
		enum fc_l7_result r;

		r = s->parser->parse(st, side, p + off, len - off, &n, ts, &c->emit);
		call_close(c);
		if (r == FC_L7_DETACH || r == FC_L7_ERROR) {
			*used = off;
			return r;
		}
		if (r == FC_L7_NEED_MORE || n == 0)
			break;
		if (n > len - off) {
			c->emit.error = "parser consumed more bytes than offered";
			*used = off;
			return FC_L7_ERROR;
		}
		off += n;
	}
	*used = off;
	return FC_L7_OK;
}

/* A hole of len bytes (plus the side's tail, dropped with it). */
static int
sess_gap(struct fc_l7_engine *e, fc_l7_session_t *h, struct l7_session *s,
	 uint8_t side, uint32_t len, struct l7_call *c)
{
	struct l7_side *sd = &s->side[side];
	uint64_t total = (uint64_t)len + sd->tail_len;
	enum fc_l7_result r;

	e->st.gaps++;
	tail_put(e, sd);
	r = s->parser->gap == NULL ? FC_L7_DETACH :
		s->parser->gap(state_of(e, *h), side,
			       total > UINT32_MAX ? UINT32_MAX : (uint32_t)total);
	if (r == FC_L7_DETACH && s->parser->end != NULL) {
		/*
		 * gap() has no emitter: what the parser holds (DNS queries
		 * waiting for a response, an HTTP response in progress) is
		 * flushed by its end() (fin = 0) before the session detaches.
		 */
		s->parser->end(state_of(e, *h), 0, c->ts, &c->emit);
		call_close(c);
	}
	return sess_result(e, h, s, r, c);
}

/*
 * Stream bytes of an ACTIVE TCP session (see HOW THE ENGINE FEEDS A
 * PARSER above).
 */
static int
feed_stream(struct fc_l7_engine *e, fc_l7_session_t *h, struct l7_session *s,
	    uint8_t side, const uint8_t *p, uint32_t len, uint64_t ts,
	    struct l7_call *c)
{
	struct l7_side *sd = &s->side[side];
	uint32_t cap = s->parser->max_tail;
	void *st = state_of(e, *h);
	enum fc_l7_result r;
	uint32_t used, rest;

	while (sd->tail_len > 0) {
		uint8_t *b = tail_buf(e, sd);
		uint32_t old = sd->tail_len;
		/* Append in growing steps: a parser usually needs only a few
		 * more bytes to finish what the tail holds. */
		uint32_t n = old >= cap ? 0 :
			RTE_MIN(RTE_MIN(len, cap - old), RTE_MAX(old, TAIL_STEP));

		if (n > 0) {
			memcpy(b + old, p, n);
			sd->tail_len += n;
			e->st.tail_bytes += n;
		}
		r = run(s, st, side, b, sd->tail_len, &used, ts, c);
		if (r != FC_L7_OK)
			return sess_result(e, h, s, r, c);
		if (used >= old) {
			/* The parser is past the kept bytes: the rest is still in
			 * the caller's buffer, go on from there without copying. */
			p += used - old;
			len -= used - old;
			sd->tail_len = 0;
			break;
		}
		p += n;
		len -= n;
		if (used == 0) {
			if (sd->tail_len >= cap) {
				e->st.tail_overflows++;
				return sess_poison(e, *h, s,
						   "message larger than the parser's limit", c);
			}
			if (len == 0)
				return 0;
			continue;
		}
		sd->tail_len -= used;
		if (sd->tail_len > 0)
			memmove(b, b + used, sd->tail_len);
		if (len == 0)
			break;
	}
	if (sd->tail_len == 0)
		tail_put(e, sd);
	if (len == 0)
		return 0;
	/* Zero copy: straight from the caller's bytes. */
	r = run(s, st, side, p, len, &used, ts, c);
	if (r != FC_L7_OK)
		return sess_result(e, h, s, r, c);
	rest = len - used;
	if (rest == 0)
		return 0;
	if (rest >= cap) {
		/* run() stops only when the parser cannot progress: it needs
		 * more than max_tail bytes at once. */
		e->st.tail_overflows++;
		return sess_poison(e, *h, s, "message larger than the parser's limit", c);
	}
	if (tail_get(e, sd) != 0)
		return sess_gap(e, h, s, side, rest, c);
	memcpy(tail_buf(e, sd), p + used, rest);
	sd->tail_len = rest;
	e->st.tails++;
	e->st.tail_bytes += rest;
	return 0;
}

/*
 * The parser at engine index idx is chosen: init its state, then feed the
 * selecting side (its probed tail, then the rest of the current piece)
 * and the other side's probed tail, if any.
 */
static int
sess_activate(struct fc_l7_engine *e, fc_l7_session_t *h, struct l7_session *s,
	      unsigned int idx, uint8_t side, const uint8_t *p, uint32_t len,
	      uint64_t ts, struct l7_call *c)
{
	const struct fc_l7_parser *ps = e->parsers[idx];
	void *st = state_of(e, *h);
	uint8_t other = side ^ 1;
	uint32_t n;
	int rc;

	s->parser = ps;
	s->status = SESS_ACTIVE;
	e->st.selected++;
	e->st.proto_sessions[ps->proto]++;
	memset(st, 0, e->state_stride);
	if (ps->init != NULL)
		ps->init(st);
	c->proto = ps->proto;
	if (s->transport == IPPROTO_UDP) {
		enum fc_l7_result r = ps->parse(st, side, p, len, &n, ts, &c->emit);

		call_close(c);
		return sess_result(e, h, s, r, c);
	}
	rc = feed_stream(e, h, s, side, p, len, ts, c);
	if (rc != 0 || sess_of(e, *h) != s || s->status != SESS_ACTIVE)
		return rc;
	if (s->side[other].tail_len > 0)
		rc = feed_stream(e, h, s, other, (const uint8_t *)"", 0, ts, c);
	return rc;
}

/* Offer a side's first bytes to the candidates (hinted parsers first). */
static int
sess_probe(struct fc_l7_engine *e, fc_l7_session_t *h, struct l7_session *s,
	   uint8_t side, const uint8_t *p, uint32_t len, uint64_t ts,
	   struct l7_call *c)
{
	struct l7_side *sd = &s->side[side];
	uint32_t cap = RTE_MIN(e->p.probe_limit, e->tail_size);
	uint32_t all = (1u << e->n_parsers) - 1;
	const uint8_t *v = p;
	uint32_t vlen = len;
	uint32_t appended = 0;
	int maybe = 0;

	sd->probed += len;
	if (s->transport == IPPROTO_TCP && sd->tail_len > 0) {
		/* Earlier bytes of this side were kept: probe them with these. */
		appended = sd->tail_len >= cap ? 0 : RTE_MIN(len, cap - sd->tail_len);
		memcpy(tail_buf(e, sd) + sd->tail_len, p, appended);
		sd->tail_len += appended;
		v = tail_buf(e, sd);
		vlen = sd->tail_len;
	}
	for (unsigned int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < e->n_parsers; i++) {
			const struct fc_l7_parser *ps = e->parsers[i];
			uint32_t bit = 1u << i;
			enum fc_l7_probe pr;

			if ((s->excluded & bit) != 0 ||
			    ((s->hinted & bit) != 0) != (pass == 0))
				continue;
			e->st.probes++;
			if (ps->probe != NULL)
				pr = ps->probe(v, vlen, side);
			else
				pr = (s->hinted & bit) ? FC_L7_PROBE_YES : FC_L7_PROBE_NO;
			if (pr == FC_L7_PROBE_YES) {
				if (v == p)
					return sess_activate(e, h, s, i, side, p, len, ts, c);
				return sess_activate(e, h, s, i, side, p + appended,
						     len - appended, ts, c);
			}
			if (pr == FC_L7_PROBE_NO)
				s->excluded |= (uint8_t)bit;
			else
				maybe = 1;
		}
	}
	if (!maybe || (s->excluded & all) == all || sd->probed >= e->p.probe_limit)
		return sess_give_up(e, h, s);
	if (s->transport == IPPROTO_UDP)
		return 0;       /* the next datagram is probed on its own */
	if (v != p) {
		/* Bytes past what a probe buffer holds: nobody decided in time. */
		if (appended < len)
			return sess_give_up(e, h, s);
		return 0;
	}
	if (len > cap || tail_get(e, sd) != 0)
		return sess_give_up(e, h, s);
	memcpy(tail_buf(e, sd), p, len);
	sd->tail_len = len;
	return 0;
}

/* A record for a flow's first payload; NULL if none (or no candidate). */
static struct l7_session *
sess_new(struct fc_l7_engine *e, fc_l7_session_t *h, uint8_t transport,
	 uint16_t orig_port, uint16_t resp_port)
{
	uint8_t excluded = 0, hinted = 0;
	struct l7_session *s;

	for (unsigned int i = 0; i < e->n_parsers; i++) {
		const struct fc_l7_parser *ps = e->parsers[i];
		int hint = 0;

		for (unsigned int j = 0; j < ps->n_ports && j < FC_DIM(ps->ports); j++)
			if (ps->ports[j] == orig_port || ps->ports[j] == resp_port)
				hint = 1;
		if (ps->transport != transport || (!hint && ps->port_only))
			excluded |= (uint8_t)(1u << i);
		else if (hint)
			hinted |= (uint8_t)(1u << i);
	}
	if (excluded == (uint8_t)((1u << e->n_parsers) - 1)) {
		/* No candidate for this transport / these ports: decided now. */
		e->st.gave_up++;
		e->st.proto_sessions[FC_L7_NONE]++;
		*h = FC_L7_SESSION_DONE | FC_L7_NONE;
		return NULL;
	}
	if (e->free_head == 0) {
		e->st.sessions_exhausted++;
		return NULL;
	}
	*h = e->free_head;
	s = &e->sess[*h - 1];
	e->free_head = s->next_free;
	memset(s, 0, sizeof(*s));
	s->status = SESS_PROBING;
	s->transport = transport;
	s->excluded = excluded;
	s->hinted = hinted;
	e->st.sessions++;
	e->st.sessions_in_use++;
	return s;
}

int
fc_l7_feed(struct fc_l7_engine *e, fc_l7_session_t *h, uint8_t transport,
	   uint16_t orig_port, uint16_t resp_port, uint8_t side,
	   const uint8_t *p, uint32_t len, uint64_t ts,
	   const struct fc_l7_sink *sink)
{
	struct l7_session *s;
	struct l7_call c;

	if (fc_l7_session_done(*h) || len == 0 || side > FC_SIDE_RESP)
		return 0;
	if (*h == 0) {
		if (transport != IPPROTO_TCP && transport != IPPROTO_UDP)
			return 0;
		s = sess_new(e, h, transport, orig_port, resp_port);
		if (s == NULL)
			return fc_l7_session_done(*h) ? 0 : -ENOSPC;
	} else {
		s = sess_of(e, *h);
		if (s == NULL)
			return 0;
	}
	if (s->status == SESS_POISONED)
		return -EPROTO;
	e->st.bytes += len;
	e->last_ts = ts;
	call_init(&c, e, sink, s->parser != NULL ? s->parser->proto : FC_L7_NONE);
	if (s->status == SESS_PROBING)
		return sess_probe(e, h, s, side, p, len, ts, &c);
	if (s->transport == IPPROTO_UDP) {
		uint32_t n = 0;
		enum fc_l7_result r;

		r = s->parser->parse(state_of(e, *h), side, p, len, &n, ts, &c.emit);
		call_close(&c);
		return sess_result(e, h, s, r, &c);
	}
	return feed_stream(e, h, s, side, p, len, ts, &c);
}

int
fc_l7_gap_to(struct fc_l7_engine *e, fc_l7_session_t *h, uint8_t side,
	     uint32_t len, const struct fc_l7_sink *sink)
{
	struct l7_session *s = sess_of(e, *h);
	struct l7_call c;

	if (s == NULL || side > FC_SIDE_RESP || len == 0)
		return 0;
	if (s->status == SESS_POISONED)
		return -EPROTO;
	if (s->status == SESS_PROBING)
		return sess_give_up(e, h, s);
	call_init(&c, e, sink, s->parser->proto);
	return sess_gap(e, h, s, side, len, &c);
}

int
fc_l7_gap(struct fc_l7_engine *e, fc_l7_session_t *h, uint8_t side,
	  uint32_t len)
{
	return fc_l7_gap_to(e, h, side, len, NULL);
}

void
fc_l7_end(struct fc_l7_engine *e, fc_l7_session_t *h, int fin, uint64_t ts,
	  const struct fc_l7_sink *sink)
{
	struct l7_session *s = sess_of(e, *h);

	if (s != NULL) {
		if (s->status == SESS_ACTIVE) {
			struct l7_call c;

			call_init(&c, e, sink, s->parser->proto);
			if (s->parser->end != NULL)
				s->parser->end(state_of(e, *h), fin, ts, &c.emit);
			call_close(&c);
			sess_fini(e, *h, s);
		}
		e->st.ended++;
		sess_release(e, h, s, 0);
	}
	*h = 0;
}

uint8_t
fc_l7_session_proto(const struct fc_l7_engine *e, fc_l7_session_t h)
{
	const struct l7_session *s;

	if (fc_l7_session_done(h))
		return (uint8_t)(h & 0xff);
	s = sess_of(e, h);
	return s != NULL && s->parser != NULL ? s->parser->proto : FC_L7_NONE;
}

const char *
fc_l7_session_error(const struct fc_l7_engine *e, fc_l7_session_t h)
{
	const struct l7_session *s = sess_of(e, h);

	return s != NULL && s->status == SESS_POISONED ? s->error : NULL;
}

const struct fc_l7_stats *
fc_l7_stats(const struct fc_l7_engine *e)
{
	return &e->st;
}

uint64_t
fc_l7_engine_memory(const struct fc_l7_engine *e)
{
	return e->memory;
}

static void *
engine_alloc(struct fc_l7_engine *e, const char *type, size_t size)
{
	void *m = rte_zmalloc_socket(type, size, RTE_CACHE_LINE_SIZE,
				     e->p.socket_id);

	if (m != NULL)
		e->memory += size;
	return m;
}

/* The defaults of unset engine parameters. */
static void
engine_defaults(struct fc_l7_engine_params *p)
{
	if (p->max_sessions == 0)
		p->max_sessions = 16384;
	if (p->probe_limit == 0)
		p->probe_limit = 4096;
	if (p->tail_buffers == 0)
		p->tail_buffers = 512;
}

/* The largest state and tail of the parsers params enable; 0 if none. */
static unsigned int
engine_sizes(const struct fc_l7_engine_params *p, uint32_t *state, uint32_t *tail)
{
	const struct fc_l7_parser *const *list = p->parsers != NULL ? p->parsers :
		fc_l7_registry;
	unsigned int n = 0;

	*state = 16;
	*tail = 64;
	for (unsigned int i = 0; list[i] != NULL; i++) {
		if (p->enabled != 0 && (p->enabled & (1u << list[i]->proto)) == 0)
			continue;
		*state = RTE_MAX(*state, list[i]->state_size);
		*tail = RTE_MAX(*tail, list[i]->max_tail);
		n++;
	}
	return n;
}

uint64_t
fc_l7_engine_memory_need(const struct fc_l7_engine_params *p)
{
	struct fc_l7_engine_params d = *p;
	uint32_t state, tail;

	engine_defaults(&d);
	if (engine_sizes(&d, &state, &tail) == 0)
		return 0;
	return sizeof(struct fc_l7_engine) +
		(uint64_t)d.max_sessions * (sizeof(struct l7_session) +
					    RTE_ALIGN_CEIL(state, 16)) +
		(uint64_t)d.tail_buffers * (tail + sizeof(uint32_t)) +
		5 * RTE_CACHE_LINE_SIZE;
}

struct fc_l7_engine *
fc_l7_engine_create(const struct fc_l7_engine_params *params)
{
	struct fc_l7_engine *e;
	const struct fc_l7_parser *const *list;
	uint32_t state, tail;

	if (params == NULL || params->name == NULL ||
	    params->max_sessions > (1u << 24) || params->tail_buffers > (1u << 20)) {
		rte_errno = EINVAL;
		return NULL;
	}
	e = rte_zmalloc_socket("fc_l7_engine", sizeof(*e), RTE_CACHE_LINE_SIZE,
			       params->socket_id);
	if (e == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	e->memory = sizeof(*e);
	e->p = *params;
	engine_defaults(&e->p);
	list = e->p.parsers != NULL ? e->p.parsers : fc_l7_registry;
	for (unsigned int i = 0; list[i] != NULL; i++) {
		const struct fc_l7_parser *ps = list[i];

		if (e->n_parsers == FC_L7_MAX_PARSERS || ps->proto >= FC_L7_PROTO_MAX) {
			rte_free(e);
			rte_errno = EINVAL;
			return NULL;
		}
		if (e->p.enabled != 0 && (e->p.enabled & (1u << ps->proto)) == 0)
			continue;
		if (ps->max_tail == 0 || ps->max_tail > FC_L7_TAIL_MAX ||
		    ps->parse == NULL) {
			rte_free(e);
			rte_errno = EINVAL;
			return NULL;
		}
		e->parsers[e->n_parsers++] = ps;
	}
	if (engine_sizes(&e->p, &state, &tail) == 0) {
		rte_free(e);
		rte_errno = EINVAL;
		return NULL;
	}
	e->state_stride = RTE_ALIGN_CEIL(state, 16);
	e->tail_size = tail;
	e->sess = engine_alloc(e, "fc_l7_sessions",
			       sizeof(*e->sess) * (size_t)e->p.max_sessions);
	e->state = engine_alloc(e, "fc_l7_states",
				(size_t)e->state_stride * e->p.max_sessions);
	e->tails = engine_alloc(e, "fc_l7_tails",
				(size_t)e->tail_size * e->p.tail_buffers);
	e->tail_stack = engine_alloc(e, "fc_l7_tail_stack",
				     sizeof(uint32_t) * (size_t)e->p.tail_buffers);
	if (e->sess == NULL || e->state == NULL || e->tails == NULL ||
	    e->tail_stack == NULL) {
		fc_l7_engine_free(e);
		rte_errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < e->p.max_sessions; i++)
		e->sess[i].next_free = i + 2 <= e->p.max_sessions ? i + 2 : 0;
	e->free_head = 1;
	for (uint32_t i = 0; i < e->p.tail_buffers; i++)
		e->tail_stack[i] = e->p.tail_buffers - 1 - i;
	e->n_tail_free = e->p.tail_buffers;
	return e;
}

void
fc_l7_engine_free(struct fc_l7_engine *e)
{
	if (e == NULL)
		return;
	if (e->sess != NULL && e->state != NULL)
		for (uint32_t i = 0; i < e->p.max_sessions; i++)
			if (e->sess[i].status == SESS_ACTIVE)
				sess_fini(e, i + 1, &e->sess[i]);
	rte_free(e->tail_stack);
	rte_free(e->tails);
	rte_free(e->state);
	rte_free(e->sess);
	rte_free(e);
}
