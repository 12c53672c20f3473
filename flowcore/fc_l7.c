/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session layer: message encoding (fields as records in the session event
 * body), rendering as JSON members, and the parser registry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fc_l7.h"

static const char *const proto_names[] = { FC_L7_PROTOS(FC_X_NAME) };
static_assert(FC_DIM(proto_names) == FC_L7_PROTO_MAX, "l7 proto name table");

/* Record header: id, type, length (host order). */
#define REC_HDR 4

const struct fc_l7_parser *const fc_l7_registry[] = {
	NULL,
};

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
	struct fc_event_session *s = m->s;
	uint16_t l;

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
