/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Events: names, masks, Community ID and the NDJSON rendering of the
 * native output format (DESIGN.md "Output contract").
 *
 * Rendering happens on the export side, never on the packet path: the
 * tracker only fills fixed-size struct fc_event records. JSON is written
 * with a small bounded writer (struct jw) that refuses to overrun the
 * caller's buffer instead of truncating silently.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/evp.h>

#include "fc_event.h"
#include "fc_pkt.h"
#include "fc_tcp.h"

#define X_DEFAULT_BIT(prefix, name, str, on) | ((on) ? FC_EV_BIT(prefix##name) : 0u)

static const char *const event_names[] = { FC_EVENT_TYPES(FC_X_NAME) };
static const char *const end_names[] = { FC_END_REASONS(FC_X_NAME) };
static const char *const anomaly_names[] = { FC_ANOMALY_KINDS(FC_X_NAME) };

static_assert(FC_DIM(event_names) == FC_EV_MAX, "event name table");
static_assert(FC_DIM(end_names) == FC_END_MAX, "end reason name table");
static_assert(FC_DIM(anomaly_names) == FC_AN_MAX, "anomaly name table");
static_assert(FC_EV_MAX <= 32, "event mask is 32 bits");

uint32_t
fc_event_default_mask(void)
{
	return 0u FC_EVENT_TYPES(X_DEFAULT_BIT);
}

const char *
fc_event_type_name(unsigned int type)
{
	return type < FC_EV_MAX ? event_names[type] : "?";
}

const char *
fc_end_reason_name(unsigned int reason)
{
	return reason < FC_END_MAX ? end_names[reason] : "?";
}

const char *
fc_anomaly_name(unsigned int kind)
{
	return kind < FC_AN_MAX ? anomaly_names[kind] : "?";
}

int
fc_event_parse_mask(const char *spec, uint32_t *mask)
{
	uint32_t m = 0;
	const char *p = spec;

	if (spec == NULL || spec[0] == '\0')
		return -EINVAL;
	if (spec[0] == '+') {
		m = fc_event_default_mask();
		p++;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		unsigned int t;
		int found = 0;

		if (n == 3 && strncmp(p, "all", 3) == 0) {
			m |= FC_EV_BIT(FC_EV_MAX) - 1;
			found = 1;
		} else if (n == 7 && strncmp(p, "default", 7) == 0) {
			m |= fc_event_default_mask();
			found = 1;
		}
		for (t = 0; !found && t < FC_EV_MAX; t++) {
			if (strlen(event_names[t]) == n &&
			    strncmp(p, event_names[t], n) == 0) {
				m |= FC_EV_BIT(t);
				found = 1;
			}
		}
		if (!found)
			return -EINVAL;
		p += n;
		if (*p == ',')
			p++;
	}
	*mask = m;
	return 0;
}

/*
 * Community ID v1 (https://github.com/corelight/community-id-spec):
 * SHA1 over seed(2) | saddr | daddr | proto(1) | 0(1) | sport(2) | dport(2),
 * all in network order, with the endpoints ordered so the smaller
 * (address, port) comes first; base64 of the digest, prefixed "1:".
 * ICMP types map to "ports" with fc_key_icmp_ports(); one-way types are
 * never reordered.
 */
int
fc_community_id(const struct fc_event_flow_id *id, char *buf, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t in[2 + 32 + 2 + 4], md[EVP_MAX_MD_SIZE];
	unsigned int alen, mdlen = 0, i, o = 0;
	const uint8_t *sa = id->orig_h, *da = id->resp_h;
	uint16_t sp = id->orig_p, dp = id->resp_p;
	size_t n = 0;
	int ports = 1, one_way = 0;

	if (id->family != FC_KEY_FAMILY_V4 && id->family != FC_KEY_FAMILY_V6)
		return -EINVAL;
	if (len < 32)
		return -ENOSPC;
	alen = id->family == FC_KEY_FAMILY_V4 ? 4 : 16;

	switch (id->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		one_way = !fc_key_icmp_ports(id->proto, id->icmp_type,
					     id->icmp_code, &sp, &dp);
		break;
	default:
		ports = 0;
		break;
	}
	if (!one_way) {
		int c = memcmp(sa, da, alen);

		if (c > 0 || (c == 0 && ports && sp > dp)) {
			const uint8_t *ta = sa;
			uint16_t tp = sp;

			sa = da;
			da = ta;
			sp = dp;
			dp = tp;
		}
	}
	in[n++] = 0; /* seed 0, network order */
	in[n++] = 0;
	memcpy(in + n, sa, alen);
	n += alen;
	memcpy(in + n, da, alen);
	n += alen;
	in[n++] = id->proto;
	in[n++] = 0;
	if (ports) {
		in[n++] = (uint8_t)(sp >> 8);
		in[n++] = (uint8_t)sp;
		in[n++] = (uint8_t)(dp >> 8);
		in[n++] = (uint8_t)dp;
	}
	if (EVP_Digest(in, n, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
		return -EIO;

	buf[o++] = '1';
	buf[o++] = ':';
	for (i = 0; i < mdlen; i += 3) {
		uint32_t v = (uint32_t)md[i] << 16;
		unsigned int rem = mdlen - i;

		if (rem > 1)
			v |= (uint32_t)md[i + 1] << 8;
		if (rem > 2)
			v |= md[i + 2];
		buf[o++] = b64[(v >> 18) & 63];
		buf[o++] = b64[(v >> 12) & 63];
		buf[o++] = rem > 1 ? b64[(v >> 6) & 63] : '=';
		buf[o++] = rem > 2 ? b64[v & 63] : '=';
	}
	buf[o] = '\0';
	return 0;
}

int
fc_event_ts_str(uint64_t ts_ns, char *buf, size_t len)
{
	return snprintf(buf, len, "%" PRIu64 ".%06" PRIu64,
			ts_ns / FC_NS_PER_SEC,
			(ts_ns % FC_NS_PER_SEC) / FC_NS_PER_USEC);
}

/* A bounded JSON writer: every append checks room; overflow is sticky. */
struct jw {
	char *buf;
	size_t len;
	size_t pos;
	int overflow;
};

static void
jw_printf(struct jw *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->pos, w->len - w->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->len - w->pos)
		w->overflow = 1;
	else
		w->pos += (size_t)n;
}

static void
jw_ts(struct jw *w, const char *name, uint64_t ts)
{
	char t[32];

	fc_event_ts_str(ts, t, sizeof(t));
	jw_printf(w, ",\"%s\":%s", name, t);
}

static void
jw_addr(struct jw *w, const char *name, const uint8_t *a, uint8_t family)
{
	char s[INET6_ADDRSTRLEN + 1];

	fc_addr_str(a, family, s, sizeof(s));
	jw_printf(w, ",\"%s\":\"%s\"", name, s);
}

static void
jw_proto(struct jw *w, uint8_t proto, uint8_t family)
{
	const char *p = NULL;

	if (family == FC_KEY_FAMILY_MAC) {
		jw_printf(w, ",\"proto\":\"l2\"");
		return;
	}
	switch (proto) {
	case IPPROTO_TCP: p = "tcp"; break;
	case IPPROTO_UDP: p = "udp"; break;
	case IPPROTO_ICMP: p = "icmp"; break;
	case IPPROTO_ICMPV6: p = "icmpv6"; break;
	case IPPROTO_SCTP: p = "sctp"; break;
	default: break;
	}
	if (p != NULL)
		jw_printf(w, ",\"proto\":\"%s\"", p);
	else
		jw_printf(w, ",\"proto\":%u", proto);
}

static void
jw_flow_id(struct jw *w, const struct fc_event_flow_id *id)
{
	jw_proto(w, id->proto, id->family);
	jw_addr(w, "orig_h", id->orig_h, id->family);
	jw_printf(w, ",\"orig_p\":%u", id->orig_p);
	jw_addr(w, "resp_h", id->resp_h, id->family);
	jw_printf(w, ",\"resp_p\":%u", id->resp_p);
	if (id->proto == IPPROTO_ICMP || id->proto == IPPROTO_ICMPV6)
		jw_printf(w, ",\"icmp_type\":%u,\"icmp_code\":%u",
			  id->icmp_type, id->icmp_code);
	if (id->vlan != 0)
		jw_printf(w, ",\"vlan\":%u", id->vlan);
	if (id->vlan_inner != 0)
		jw_printf(w, ",\"vlan_inner\":%u", id->vlan_inner);
	if (id->tunnel != FC_TUN_NONE) {
		jw_printf(w, ",\"tunnel\":{\"kind\":\"%s\",\"id\":%u",
			  fc_tunnel_name(id->tunnel), id->tunnel_id);
		if (id->tunnel_parent != 0)
			jw_printf(w, ",\"parent\":%" PRIu64, id->tunnel_parent);
		jw_printf(w, "}");
	}
}

static void
jw_flow_end(struct jw *w, const struct fc_event_flow_end *e)
{
	char cid[40];
	uint64_t dur = e->last_ts >= e->first_ts ? e->last_ts - e->first_ts : 0;

	jw_flow_id(w, &e->id);
	jw_ts(w, "first_ts", e->first_ts);
	jw_ts(w, "last_ts", e->last_ts);
	jw_printf(w, ",\"duration\":%" PRIu64 ".%06" PRIu64,
		  dur / FC_NS_PER_SEC, (dur % FC_NS_PER_SEC) / FC_NS_PER_USEC);
	jw_printf(w, ",\"orig_pkts\":%" PRIu64 ",\"resp_pkts\":%" PRIu64
		  ",\"orig_bytes\":%" PRIu64 ",\"resp_bytes\":%" PRIu64
		  ",\"orig_ip_bytes\":%" PRIu64 ",\"resp_ip_bytes\":%" PRIu64
		  ",\"orig_payload_bytes\":%" PRIu64
		  ",\"resp_payload_bytes\":%" PRIu64,
		  e->pkts[0], e->pkts[1], e->bytes[0], e->bytes[1],
		  e->ip_bytes[0], e->ip_bytes[1], e->payload_bytes[0],
		  e->payload_bytes[1]);
	if (e->is_tcp)
		jw_printf(w, ",\"orig_seq_bytes\":%" PRIu64
			  ",\"resp_seq_bytes\":%" PRIu64,
			  e->seq_bytes[0], e->seq_bytes[1]);
	jw_printf(w, ",\"state\":\"%s\",\"reason\":\"%s\"",
		  e->is_tcp ? fc_tcp_state_name(e->state) : "active",
		  fc_end_reason_name(e->reason));
	jw_printf(w, ",\"history\":\"%s\",\"fs_history\":\"%s\""
		  ",\"conn_state\":\"%s\"",
		  e->history, e->fs_history, e->conn_state);
	if (fc_community_id(&e->id, cid, sizeof(cid)) == 0)
		jw_printf(w, ",\"community_id\":\"%s\"", cid);
	if (e->app_proto != FC_L7_NONE)
		jw_printf(w, ",\"app_proto\":\"%s\"", fc_l7_proto_name(e->app_proto));
	if (e->has_reasm)
		for (int i = 0; i < 2; i++) {
			const struct fc_reasm_side_stats *r = &e->reasm[i];

			jw_printf(w, ",\"%s_reasm\":{\"delivered\":%" PRIu64
				  ",\"ooo_segs\":%" PRIu64 ",\"retransmits\":%" PRIu64
				  ",\"overlap_bytes\":%" PRIu64 ",\"gap_bytes\":%" PRIu64
				  ",\"dropped_oversize\":%" PRIu64
				  ",\"high_watermark\":%u}",
				  i == 0 ? "orig" : "resp", r->delivered, r->ooo_segs,
				  r->retransmits, r->overlap_bytes, r->gap_bytes,
				  r->dropped_oversize, r->high_watermark);
		}
}

size_t
fc_event_size(const struct fc_event *ev)
{
	size_t body;

	switch (ev->type) {
	case FC_EV_FLOW_START: body = sizeof(ev->u.start); break;
	case FC_EV_STATE_CHANGE: body = sizeof(ev->u.state); break;
	case FC_EV_FLOW_END: body = sizeof(ev->u.end); break;
	case FC_EV_FLOW_UPDATE: body = sizeof(ev->u.update); break;
	case FC_EV_PACKET: body = sizeof(ev->u.packet); break;
	case FC_EV_ANOMALY: body = sizeof(ev->u.anomaly); break;
	case FC_EV_SESSION:
		body = offsetof(struct fc_event_session, data) + ev->u.session.used;
		break;
	default: body = 0; break;
	}
	return offsetof(struct fc_event, u) + body;
}

int
fc_event_ndjson(const struct fc_event *ev, char *buf, size_t len)
{
	struct jw w = { .buf = buf, .len = len, .pos = 0, .overflow = 0 };

	if (len == 0)
		return -ENOSPC;
	jw_printf(&w, "{\"type\":\"%s\"", fc_event_type_name(ev->type));
	if (ev->type != FC_EV_ANOMALY || ev->u.anomaly.has_flow)
		jw_printf(&w, ",\"flow_id\":%" PRIu64, ev->flow_id);
	jw_ts(&w, "ts", ev->ts);

	switch (ev->type) {
	case FC_EV_FLOW_START:
		jw_flow_id(&w, &ev->u.start);
		break;
	case FC_EV_STATE_CHANGE:
		jw_printf(&w, ",\"from\":\"%s\",\"to\":\"%s\"",
			  fc_tcp_state_name(ev->u.state.from),
			  fc_tcp_state_name(ev->u.state.to));
		break;
	case FC_EV_FLOW_END:
		jw_flow_end(&w, &ev->u.end);
		break;
	case FC_EV_FLOW_UPDATE:
		jw_flow_end(&w, &ev->u.update);
		break;
	case FC_EV_SESSION: {
		int n;

		jw_printf(&w, ",\"side\":\"%s\",\"proto\":\"%s\",",
			  ev->u.session.side == FC_SIDE_ORIG ? "orig" : "resp",
			  fc_l7_proto_name(ev->u.session.proto));
		if (w.overflow)
			break;
		n = fc_l7_session_json(&ev->u.session, w.buf + w.pos, w.len - w.pos);
		if (n < 0)
			w.overflow = 1;
		else
			w.pos += (size_t)n;
		break;
	}
	case FC_EV_PACKET:
		jw_printf(&w, ",\"side\":\"%s\",\"len\":%u",
			  ev->u.packet.side == FC_SIDE_ORIG ? "orig" : "resp",
			  ev->u.packet.len);
		break;
	case FC_EV_ANOMALY:
		jw_printf(&w, ",\"kind\":\"%s\"",
			  fc_anomaly_name(ev->u.anomaly.kind));
		if (ev->u.anomaly.has_flow)
			jw_printf(&w, ",\"side\":\"%s\"",
				  ev->u.anomaly.side == FC_SIDE_ORIG ? "orig" : "resp");
		jw_printf(&w, ",\"count\":%" PRIu64 ",\"total\":%" PRIu64,
			  ev->u.anomaly.count, ev->u.anomaly.total);
		if (ev->u.anomaly.kind == FC_AN_BUFFER_OVERFLOW)
			jw_printf(&w, ",\"bytes\":%" PRIu64 ",\"policy\":\"%s\"",
				  ev->u.anomaly.bytes,
				  fc_reasm_overflow_name(ev->u.anomaly.policy));
		if (ev->u.anomaly.kind == FC_AN_PARSE_ERROR) {
			/* The reason is a parser's static text: plain ASCII. */
			jw_printf(&w, ",\"reason\":\"%s\"", ev->u.anomaly.reason);
		}
		break;
	default:
		break;
	}
	jw_printf(&w, "}\n");
	if (w.overflow)
		return -ENOSPC;
	return (int)w.pos;
}
