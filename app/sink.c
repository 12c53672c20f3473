/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sink registry and fan-out: `--output SCHEME:TARGET` picks a format
 * from app_sink_formats[]; every event goes to every sink in order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

const struct app_sink_ops *const app_sink_formats[] = {
	&app_sink_ndjson_ops,
	&app_sink_eve_ops,
	&app_sink_zeek_ops,
	&app_sink_ipfix_ops,
	NULL,
};

static const struct app_sink_ops *
format_of(const char *spec, const char **target)
{
	const char *colon = strchr(spec, ':');

	if (colon == NULL)
		return NULL;
	for (unsigned int i = 0; app_sink_formats[i] != NULL; i++) {
		const struct app_sink_ops *o = app_sink_formats[i];

		if (strlen(o->scheme) == (size_t)(colon - spec) &&
		    strncmp(o->scheme, spec, (size_t)(colon - spec)) == 0) {
			*target = colon + 1;
			return o;
		}
	}
	return NULL;
}

int
app_sink_check_spec(const char *spec)
{
	const char *target;
	const struct app_sink_ops *o = format_of(spec, &target);

	if (o == NULL || *target == '\0') {
		fprintf(stderr, "flowscope: --output %s: unsupported sink; expected SCHEME:TARGET with SCHEME one of", spec);
		for (unsigned int i = 0; app_sink_formats[i] != NULL; i++)
			fprintf(stderr, " %s", app_sink_formats[i]->scheme);
		fprintf(stderr, "\n");
		return -EINVAL;
	}
	return 0;
}

int
app_sinks_open(struct app_sinks *ss, const char *const *specs, unsigned int n)
{
	memset(ss, 0, sizeof(*ss));
	if (n > APP_MAX_SINKS) {
		fprintf(stderr, "flowscope: at most %u --output sinks\n", APP_MAX_SINKS);
		return -E2BIG;
	}
	for (unsigned int i = 0; i < n; i++) {
		const char *target;
		const struct app_sink_ops *o;
		struct app_sink *s = &ss->s[i];
		int rc;

		if (app_sink_check_spec(specs[i]) != 0) {
			app_sinks_close(ss);
			return -EINVAL;
		}
		o = format_of(specs[i], &target);
		s->ops = o;
		s->spec = specs[i];
		rc = o->open(s, target);
		if (rc != 0) {
			s->ops = NULL;
			app_sinks_close(ss);
			return rc;
		}
		ss->n = i + 1;
	}
	return 0;
}

int
app_sinks_write(struct app_sinks *ss, const struct fc_event *ev, unsigned int n)
{
	int rc = 0;

	for (unsigned int i = 0; i < ss->n; i++)
		if (ss->s[i].ops->write(&ss->s[i], ev, n) == -EPIPE)
			rc = -EPIPE;
	return rc;
}

void
app_sinks_write_stats(struct app_sinks *ss, const char *line, size_t len)
{
	for (unsigned int i = 0; i < ss->n; i++)
		if (ss->s[i].ops->write_stats != NULL)
			ss->s[i].ops->write_stats(&ss->s[i], line, len);
}

void
app_sinks_tick(struct app_sinks *ss, uint64_t now_ns)
{
	for (unsigned int i = 0; i < ss->n; i++)
		if (ss->s[i].ops->tick != NULL)
			ss->s[i].ops->tick(&ss->s[i], now_ns);
}

void
app_sinks_flush(struct app_sinks *ss, uint64_t now_ns)
{
	for (unsigned int i = 0; i < ss->n; i++) {
		struct app_sink *s = &ss->s[i];

		if (s->ops->flush != NULL)
			s->ops->flush(s, now_ns);
		else if (s->ops->tick != NULL)
			s->ops->tick(s, now_ns);
	}
}

void
app_sinks_reopen(struct app_sinks *ss)
{
	for (unsigned int i = 0; i < ss->n; i++)
		if (ss->s[i].ops->reopen != NULL)
			ss->s[i].ops->reopen(&ss->s[i]);
}

int
app_sinks_close(struct app_sinks *ss)
{
	int rc = 0;

	for (unsigned int i = 0; i < ss->n; i++) {
		struct app_sink *s = &ss->s[i];
		int r;

		if (s->ops == NULL)
			continue;
		r = s->ops->close(s);
		if (r != 0 && rc == 0)
			rc = r;
		s->ops = NULL;
	}
	return rc;
}

uint64_t
app_sinks_dropped(const struct app_sinks *ss)
{
	uint64_t d = 0;

	for (unsigned int i = 0; i < ss->n; i++)
		d += ss->s[i].dropped;
	return d;
}

/* ---- session fields --------------------------------------------------- */

static const struct fc_l7_parser *
l7_parser(uint8_t proto)
{
	for (unsigned int i = 0; fc_l7_registry[i] != NULL; i++)
		if (fc_l7_registry[i]->proto == proto)
			return fc_l7_registry[i];
	return NULL;
}

int
app_l7_field(uint8_t proto, const char *name)
{
	const struct fc_l7_parser *ps = l7_parser(proto);

	if (ps == NULL)
		return -1;
	for (unsigned int i = 0; i < ps->n_fields; i++)
		if (ps->fields[i].name != NULL && strcmp(ps->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
app_l7_kind(uint8_t proto, const char *name)
{
	const struct fc_l7_parser *ps = l7_parser(proto);

	if (ps == NULL)
		return -1;
	for (unsigned int i = 0; i < ps->n_kinds; i++)
		if (ps->kinds[i] != NULL && strcmp(ps->kinds[i], name) == 0)
			return (int)i;
	return -1;
}

int
app_l7_get(const struct fc_event_session *s, int field, struct app_l7_val *v)
{
	uint16_t off = 0, len;
	uint8_t f, type;
	const uint8_t *p;

	if (field < 0)
		return 0;
	while (fc_l7_next_field(s, &off, &f, &type, &p, &len)) {
		if (f != field)
			continue;
		v->p = p;
		v->len = len;
		v->type = type;
		v->u = 0;
		if (type == FC_L7_T_U64 && len == sizeof(uint64_t))
			memcpy(&v->u, p, sizeof(uint64_t));
#ifdef FC_L7_T_TS
		else if (type == FC_L7_T_TS && len == sizeof(uint64_t))
			memcpy(&v->u, p, sizeof(uint64_t));
#endif
		else if (type == FC_L7_T_BOOL && len == 1)
			v->u = p[0] != 0;
		return 1;
	}
	return 0;
}

/* ---- session joining -------------------------------------------------- */

#define JOIN_WAYS 4u
#define JOIN_SETS (APP_JOIN_IDS / JOIN_WAYS)
#define JOIN_BUCKETS 1024u
#define JOIN_NONE UINT32_MAX

static_assert((JOIN_SETS & (JOIN_SETS - 1)) == 0, "identity sets: a power of two");

/** A cached flow identity. */
struct join_id {
	uint64_t flow_id;
	uint64_t stamp;            /**< insertion order (replacement of unpinned entries) */
	uint64_t last_ts;          /**< packet time of the last session message (pinned) */
	uint8_t valid;
	uint8_t pinned;
	struct fc_event_flow_id id;
};

/** Why a message is held. */
enum join_hold {
	HOLD_RAW,                  /**< its flow is unknown: replayed at the flow_end */
	HOLD_REQ,                  /**< an HTTP request awaiting its response */
	HOLD_CH,                   /**< a TLS client_hello awaiting the server_hello */
};

/** A held message. */
struct join_held {
	uint32_t next;             /**< next in the bucket (arrival order), JOIN_NONE at the end */
	uint8_t used;
	uint8_t why;               /**< enum join_hold */
	uint8_t has_alert;         /**< HOLD_CH: an alert followed (alert is valid) */
	char alert[48];            /**< HOLD_CH: description of the last alert */
	uint64_t seq;              /**< arrival order */
	uint64_t trans_depth;      /**< HOLD_REQ */
	struct app_http_info info; /**< HOLD_REQ: interim response */
	struct fc_event ev;        /**< the message (header + session body) */
};

struct app_join {
	struct app_join_ops ops;
	struct app_join_stats st;
	uint64_t stamp;
	uint64_t seq;
	uint32_t free_head;        /**< free held slots, linked by next */
	uint32_t n_held;
	/* field ids and kinds */
	int http_depth, http_status, http_msg, tls_desc;
	int k_req, k_resp, k_ch, k_sh, k_alert;
	uint32_t bucket[JOIN_BUCKETS]; /**< first held message per bucket */
	struct join_id ids[APP_JOIN_IDS];
	struct join_held held[APP_JOIN_HELD];
};

static inline uint64_t
join_mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/*
 * The set of a flow: its counter's low bits (flow ids count up per RX
 * lcore; the lcore index in the top byte shifts its flows to other sets),
 * so flows that start together share cache lines and pages instead of
 * scattering over the table.
 */
static inline struct join_id *
join_set(struct app_join *j, uint64_t flow_id)
{
	uint64_t k = flow_id + (flow_id >> 56) * UINT64_C(0x2545);

	return &j->ids[(k & (JOIN_SETS - 1)) * JOIN_WAYS];
}

static struct join_id *
join_id_find(struct app_join *j, uint64_t flow_id)
{
	struct join_id *set = join_set(j, flow_id);

	for (unsigned int w = 0; w < JOIN_WAYS; w++)
		if (set[w].valid && set[w].flow_id == flow_id)
			return &set[w];
	return NULL;
}

static void join_release_flow(struct app_join *j, uint64_t flow_id,
			      const struct fc_event_flow_id *id);

/* Cache a flow's identity (flow_start, flow_update, flow_end). */
static struct join_id *
join_id_put(struct app_join *j, uint64_t flow_id, const struct fc_event_flow_id *id,
	    uint64_t ts)
{
	struct join_id *set = join_set(j, flow_id);
	struct join_id *victim = NULL;

	for (unsigned int w = 0; w < JOIN_WAYS; w++) {
		struct join_id *e = &set[w];

		if (e->valid && e->flow_id == flow_id) {
			e->id = *id;
			return e;
		}
		if (!e->valid) {
			if (victim == NULL || victim->valid)
				victim = e;
			continue;
		}
		if (victim != NULL && !victim->valid)
			continue;
		if (e->pinned && ts <= e->last_ts + APP_JOIN_PIN_STALE)
			continue;
		if (victim == NULL || (victim->pinned && !e->pinned) ||
		    (victim->pinned == e->pinned && e->stamp < victim->stamp))
			victim = e;
	}
	if (victim == NULL) {
		j->st.uncached++;
		return NULL;
	}
	if (victim->valid && victim->pinned) {
		/* A stale pinned flow: its end was lost; hand over what it holds. */
		struct join_id old = *victim;

		victim->valid = 0;
		join_release_flow(j, old.flow_id, &old.id);
	}
	victim->valid = 1;
	victim->pinned = 0;
	victim->flow_id = flow_id;
	victim->stamp = ++j->stamp;
	victim->last_ts = ts;
	victim->id = *id;
	return victim;
}

static inline uint32_t
join_bucket(uint64_t flow_id)
{
	return (uint32_t)(join_mix(flow_id ^ UINT64_C(0x9e3779b97f4a7c15)) & (JOIN_BUCKETS - 1));
}

/* Copy an event's meaningful bytes. */
static void
join_copy(struct fc_event *dst, const struct fc_event *src)
{
	memcpy(dst, src, fc_event_size(src));
}

/* Unlink held slot i (found at *link) and put it on the free list. */
static void
join_unlink(struct app_join *j, uint32_t *link, uint32_t i)
{
	*link = j->held[i].next;
	j->held[i].used = 0;
	j->held[i].next = j->free_head;
	j->free_head = i;
	j->n_held--;
}

/* Hand a held message over alone (or to lost() when its flow is unknown). */
static void
join_emit_alone(struct app_join *j, const struct join_held *h,
		const struct app_join_flow *f)
{
	if (f == NULL || f->id == NULL) {
		j->st.lost++;
		if (j->ops.lost != NULL)
			j->ops.lost(j->ops.arg, &h->ev);
		return;
	}
	switch (h->why) {
	case HOLD_REQ:
		if (j->ops.http != NULL)
			j->ops.http(j->ops.arg, f, &h->ev, NULL,
				    h->info.code != 0 ? &h->info : NULL);
		break;
	case HOLD_CH:
		if (j->ops.tls != NULL)
			j->ops.tls(j->ops.arg, f, &h->ev, NULL,
				   h->has_alert ? h->alert : NULL);
		break;
	default:
		break;
	}
}

/* Room for one more held message: the oldest goes out alone if the pool is full. */
static uint32_t
join_alloc(struct app_join *j)
{
	uint32_t i;

	if (j->free_head == JOIN_NONE) {
		uint32_t oldest = JOIN_NONE, *link, b;
		struct join_held *h;
		struct join_id *e;
		struct app_join_flow f;

		for (i = 0; i < APP_JOIN_HELD; i++)
			if (j->held[i].used &&
			    (oldest == JOIN_NONE || j->held[i].seq < j->held[oldest].seq))
				oldest = i;
		h = &j->held[oldest];
		b = join_bucket(h->ev.flow_id);
		for (link = &j->bucket[b]; *link != oldest; link = &j->held[*link].next)
			;
		j->st.forced++;
		e = h->why == HOLD_RAW ? NULL : join_id_find(j, h->ev.flow_id);
		f.flow_id = h->ev.flow_id;
		f.id = e != NULL ? &e->id : NULL;
		join_emit_alone(j, h, &f);
		join_unlink(j, link, oldest);
	}
	i = j->free_head;
	j->free_head = j->held[i].next;
	j->n_held++;
	return i;
}

/* Hold a message (appended to its bucket). */
static struct join_held *
join_hold(struct app_join *j, const struct fc_event *ev, enum join_hold why)
{
	uint32_t i = join_alloc(j), b = join_bucket(ev->flow_id), *link;
	struct join_held *h = &j->held[i];

	h->used = 1;
	h->why = (uint8_t)why;
	h->has_alert = 0;
	h->seq = ++j->seq;
	h->trans_depth = 0;
	h->info.code = 0;
	h->info.msg[0] = '\0';
	h->next = JOIN_NONE;
	join_copy(&h->ev, ev);
	for (link = &j->bucket[b]; *link != JOIN_NONE; link = &j->held[*link].next)
		;
	*link = i;
	j->st.held++;
	return h;
}

/* The first held message of a flow held for `why` (and trans_depth for requests). */
static uint32_t *
join_find(struct app_join *j, uint64_t flow_id, enum join_hold why, uint64_t depth)
{
	uint32_t *link = &j->bucket[join_bucket(flow_id)];

	for (; *link != JOIN_NONE; link = &j->held[*link].next) {
		const struct join_held *h = &j->held[*link];

		if (h->ev.flow_id == flow_id && h->why == why &&
		    (why != HOLD_REQ || h->trans_depth == depth))
			return link;
	}
	return NULL;
}

static uint64_t
join_depth(const struct app_join *j, const struct fc_event *ev)
{
	struct app_l7_val v;

	return app_l7_get(&ev->u.session, j->http_depth, &v) ? v.u : 0;
}

/* One session message of a flow whose identity is known. */
static void
join_session(struct app_join *j, const struct fc_event *ev, const struct app_join_flow *f)
{
	const struct fc_event_session *s = &ev->u.session;
	uint32_t *link;

	switch (s->proto) {
	case FC_L7_HTTP: {
		uint64_t depth = join_depth(j, ev);
		struct app_l7_val st;

		if (s->kind == j->k_req) {
			struct join_held *h = join_hold(j, ev, HOLD_REQ);

			h->trans_depth = depth;
			return;
		}
		if (s->kind != j->k_resp)
			return;
		link = join_find(j, ev->flow_id, HOLD_REQ, depth);
		if (app_l7_get(s, j->http_status, &st) && st.u >= 100 && st.u < 200 &&
		    st.u != 101) {
			/* Interim: noted on the request, which waits for the final response. */
			struct app_l7_val m;

			if (link != NULL) {
				struct join_held *h = &j->held[*link];

				h->info.code = (uint16_t)st.u;
				h->info.msg[0] = '\0';
				if (app_l7_get(s, j->http_msg, &m)) {
					size_t n = m.len < sizeof(h->info.msg) - 1 ?
						   m.len : sizeof(h->info.msg) - 1;

					memcpy(h->info.msg, m.p, n);
					h->info.msg[n] = '\0';
				}
			}
			return;
		}
		if (link != NULL) {
			uint32_t i = *link;
			const struct join_held *h = &j->held[i];

			if (j->ops.http != NULL)
				j->ops.http(j->ops.arg, f, &h->ev, ev,
					    h->info.code != 0 ? &h->info : NULL);
			join_unlink(j, link, i);
		} else if (j->ops.http != NULL) {
			j->ops.http(j->ops.arg, f, NULL, ev, NULL);
		}
		return;
	}
	case FC_L7_TLS:
		if (s->kind == j->k_ch) {
			/* A second hello (renegotiation, retry): the first goes out alone. */
			link = join_find(j, ev->flow_id, HOLD_CH, 0);
			if (link != NULL) {
				uint32_t i = *link;

				join_emit_alone(j, &j->held[i], f);
				join_unlink(j, link, i);
			}
			join_hold(j, ev, HOLD_CH);
			return;
		}
		link = join_find(j, ev->flow_id, HOLD_CH, 0);
		if (s->kind == j->k_alert) {
			struct app_l7_val d;

			if (link != NULL && app_l7_get(s, j->tls_desc, &d)) {
				struct join_held *h = &j->held[*link];
				size_t n = d.len < sizeof(h->alert) - 1 ? d.len : sizeof(h->alert) - 1;

				memcpy(h->alert, d.p, n);
				h->alert[n] = '\0';
				h->has_alert = 1;
			}
			return;
		}
		if (s->kind != j->k_sh)
			return;
		if (link != NULL) {
			uint32_t i = *link;
			const struct join_held *h = &j->held[i];

			if (j->ops.tls != NULL)
				j->ops.tls(j->ops.arg, f, &h->ev, ev,
					   h->has_alert ? h->alert : NULL);
			join_unlink(j, link, i);
		} else if (j->ops.tls != NULL) {
			j->ops.tls(j->ops.arg, f, NULL, ev, NULL);
		}
		return;
	case FC_L7_DNS:
		if (j->ops.dns != NULL)
			j->ops.dns(j->ops.arg, f, ev);
		return;
	default:
		return;
	}
}

/*
 * A flow ends (or its identity is given up): replay its messages held for
 * want of an identity, in arrival order, then hand over what still waits.
 */
static void
join_release_flow(struct app_join *j, uint64_t flow_id, const struct fc_event_flow_id *id)
{
	struct app_join_flow f = { .flow_id = flow_id, .id = id };
	uint32_t b = join_bucket(flow_id);

	for (;;) {
		uint32_t *link, *best = NULL;

		for (link = &j->bucket[b]; *link != JOIN_NONE; link = &j->held[*link].next) {
			const struct join_held *h = &j->held[*link];

			if (h->ev.flow_id == flow_id && h->why == HOLD_RAW &&
			    (best == NULL || h->seq < j->held[*best].seq))
				best = link;
		}
		if (best == NULL)
			break;
		{
			uint32_t i = *best;
			struct fc_event ev;

			join_copy(&ev, &j->held[i].ev);
			join_unlink(j, best, i);
			if (id == NULL) {
				j->st.lost++;
				if (j->ops.lost != NULL)
					j->ops.lost(j->ops.arg, &ev);
			} else {
				join_session(j, &ev, &f);
			}
		}
	}
	for (;;) {
		uint32_t *link, *best = NULL;

		for (link = &j->bucket[b]; *link != JOIN_NONE; link = &j->held[*link].next) {
			const struct join_held *h = &j->held[*link];

			if (h->ev.flow_id == flow_id &&
			    (best == NULL || h->seq < j->held[*best].seq))
				best = link;
		}
		if (best == NULL)
			break;
		{
			uint32_t i = *best;

			join_emit_alone(j, &j->held[i], &f);
			join_unlink(j, best, i);
		}
	}
}

struct app_join *
app_join_create(const struct app_join_ops *ops)
{
	struct app_join *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		fprintf(stderr, "flowscope: out of memory for the session records of a sink\n");
		return NULL;
	}
	j->ops = *ops;
	for (unsigned int i = 0; i < JOIN_BUCKETS; i++)
		j->bucket[i] = JOIN_NONE;
	for (unsigned int i = 0; i < APP_JOIN_HELD; i++)
		j->held[i].next = i + 1 < APP_JOIN_HELD ? i + 1 : JOIN_NONE;
	j->free_head = 0;
	j->http_depth = app_l7_field(FC_L7_HTTP, "trans_depth");
	j->http_status = app_l7_field(FC_L7_HTTP, "status_code");
	j->http_msg = app_l7_field(FC_L7_HTTP, "status_msg");
	j->tls_desc = app_l7_field(FC_L7_TLS, "description");
	j->k_req = app_l7_kind(FC_L7_HTTP, "request");
	j->k_resp = app_l7_kind(FC_L7_HTTP, "response");
	j->k_ch = app_l7_kind(FC_L7_TLS, "client_hello");
	j->k_sh = app_l7_kind(FC_L7_TLS, "server_hello");
	j->k_alert = app_l7_kind(FC_L7_TLS, "alert");
	return j;
}

static int
join_ip(const struct fc_event_flow_id *id)
{
	return id->family == FC_KEY_FAMILY_V4 || id->family == FC_KEY_FAMILY_V6;
}

void
app_join_event(struct app_join *j, const struct fc_event *ev)
{
	switch (ev->type) {
	case FC_EV_FLOW_START:
		if (join_ip(&ev->u.start))
			join_id_put(j, ev->flow_id, &ev->u.start, ev->ts);
		return;
	case FC_EV_FLOW_UPDATE:
		if (join_ip(&ev->u.update.id))
			join_id_put(j, ev->flow_id, &ev->u.update.id, ev->ts);
		return;
	case FC_EV_FLOW_END: {
		struct join_id *e = join_id_find(j, ev->flow_id);
		const struct fc_event_flow_id *id = join_ip(&ev->u.end.id) ? &ev->u.end.id : NULL;

		if (j->n_held > 0)
			join_release_flow(j, ev->flow_id, id);
		if (e != NULL)
			e->valid = 0;
		return;
	}
	case FC_EV_SESSION: {
		struct join_id *e;

		if (ev->u.session.proto != FC_L7_HTTP && ev->u.session.proto != FC_L7_TLS &&
		    ev->u.session.proto != FC_L7_DNS)
			return;
		e = join_id_find(j, ev->flow_id);
		if (e == NULL) {
			j->st.unknown++;
			join_hold(j, ev, HOLD_RAW);
			return;
		}
		e->pinned = 1;
		e->last_ts = ev->ts;
		{
			struct app_join_flow f = { .flow_id = ev->flow_id, .id = &e->id };

			join_session(j, ev, &f);
		}
		return;
	}
	default:
		return;
	}
}

void
app_join_flush(struct app_join *j)
{
	for (uint32_t i = 0; i < APP_JOIN_HELD && j->n_held > 0; i++) {
		struct join_held *h = &j->held[i];
		struct join_id *e;

		if (!h->used)
			continue;
		e = join_id_find(j, h->ev.flow_id);
		/* Releasing the flow takes all its messages, in order. */
		join_release_flow(j, h->ev.flow_id, e != NULL ? &e->id : NULL);
		if (e != NULL)
			e->valid = 0;
	}
}

const struct app_join_stats *
app_join_stats(const struct app_join *j)
{
	return &j->st;
}

void
app_join_free(struct app_join *j)
{
	if (j == NULL)
		return;
	app_join_flush(j);
	free(j);
}
