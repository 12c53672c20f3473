/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EVE sink: `--output eve:FILE` (FILE may be "-" for stdout) writes
 * Suricata's EVE JSON, one object per line, so tools that read Suricata's
 * eve.json (Filebeat, Logstash, jq scripts, SIEM parsers) take flowscope's
 * flows as they are.
 *
 * WHAT IS WRITTEN. Every flow_end becomes one `"event_type":"flow"`
 * record. Other event types are not records (they are skipped and not
 * counted), except `session`, which is the place where the http, tls and
 * dns records will be rendered (see eve_write(); skipped for now). Flows
 * of MAC keys (--key mac-pair) have no IP tuple and are skipped too.
 *
 * FIELDS, as Suricata writes them:
 *   timestamp      the flow_end event time (when the flow ended), in
 *                  Suricata's form 2009-11-10T23:00:00.000000+0000, UTC
 *   flow_id        our flow_id folded to 51 bits as Suricata's are (JSON
 *                  readers keep 53 bits): the lcore index (7 bits) moves
 *                  from bits 56.. to bits 44..; the identity for lcore 0
 *   event_type     "flow"
 *   vlan           [outer] or [outer, inner] when tagged
 *   src_ip/dest_ip originator / responder, IPv6 in Suricata's full form
 *                  (eight groups of four hex digits)
 *   src_port/dest_port  TCP, UDP and SCTP only (Suricata omits them for ICMP)
 *   proto          Suricata's names: TCP, UDP, ICMP, IPv6-ICMP, SCTP, GRE,
 *                  ESP, AH, IGMP, PIM, VRRP; other protocols as the
 *                  three-digit number ("089")
 *   icmp_type/icmp_code  ICMP: type and code of the originator's first packet
 *   app_proto      the session parser's protocol (http, tls, dns); "failed"
 *                  for a TCP/UDP flow that carried payload and got no
 *                  parser (Suricata's "detection failed"); absent otherwise
 *   flow           pkts_toserver/toclient (originator/responder packets),
 *                  bytes_toserver/toclient (frame bytes, as Suricata counts
 *                  them), start/end (first/last packet), age (whole seconds
 *                  of end minus whole seconds of start, as Suricata), state,
 *                  reason, alerted:false (flowscope has no signatures)
 *   community_id   Community ID v1, seed 0
 *   tcp            TCP flows: see below
 *
 * STATE AND REASON MAPS (Suricata has three flow states and three end
 * reasons):
 *   state   TCP active/syn_sent/syn_received -> new;
 *           established/fin_wait -> established;
 *           closing/closed/reset/aborted -> closed (both FINs, or a RST:
 *           Suricata's last_ack/time_wait/closed count as closed);
 *           other protocols: established if the responder sent, else new
 *   reason  fin, rst, idle -> timeout (Suricata ends closed flows by their
 *           closed-state timeout too); evicted, buffer_overflow,
 *           parse_error -> forced; shutdown -> shutdown
 *
 * TCP OBJECT. flow_end carries no per-direction OR of TCP flags, so the
 * flags are derived from the Zeek history (s/h SYN, h/a ACK, f FIN,
 * r RST, i FIN+RST, q SYN with FIN or RST; a letter before an odd number
 * of '^' belongs to the other side) and the flowscope history (S F R per
 * packet). What this cannot tell is left out rather than guessed:
 *   - tcp_flags, tcp_flags_ts, tcp_flags_tc (hex, as Suricata) carry only
 *     the SYN, FIN, RST and ACK bits; ACK is set only when a pure ACK or a
 *     SYN-ACK was seen from that side (an ACK riding on data or a FIN
 *     leaves no trace in the histories);
 *   - the booleans syn, fin, rst, ack are written when true (as Suricata);
 *     psh, urg, ecn and cwr are never written (unknown);
 *   - state: syn_sent, syn_recv, established, closed (also after a RST)
 *     where our state says exactly that; omitted for fin_wait and closing
 *     (Suricata tells fin_wait1/fin_wait2/close_wait/last_ack/time_wait
 *     apart, we do not) and for flows picked up mid-stream.
 *
 * WRITING. Records are rendered into a 1 MiB buffer and written with one
 * write(2) when it fills, on tick and at close. A failed write counts the
 * records not written as dropped (reported once on stderr; a line cut
 * short is ended with a newline) and the sink keeps going; EPIPE (the
 * reader went away, e.g. `| head`) is returned so the run stops. SIGHUP
 * reopens the file (logrotate), appending; a file that could not be
 * reopened is retried quietly on every tick.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <fc_tcp.h>

#include "sink.h"

#define EVE_BUF (1u << 20)
#define EVE_LINE_MAX 2048u

/* Suricata's flow reasons per end reason. */
static const char *const eve_reason[] = {
	[FC_END_FIN] = "timeout",
	[FC_END_RST] = "timeout",
	[FC_END_IDLE] = "timeout",
	[FC_END_EVICTED] = "forced",
	[FC_END_BUFFER_OVERFLOW] = "forced",
	[FC_END_PARSE_ERROR] = "forced",
	[FC_END_SHUTDOWN] = "shutdown",
};
static_assert(FC_DIM(eve_reason) == FC_END_MAX, "EVE reason per end reason");

/* Suricata's flow state per flowscope TCP state. */
static const char *const eve_flow_state[] = {
	[FC_TCP_S_ACTIVE] = "new",
	[FC_TCP_S_SYN_SENT] = "new",
	[FC_TCP_S_SYN_RECEIVED] = "new",
	[FC_TCP_S_ESTABLISHED] = "established",
	[FC_TCP_S_FIN_WAIT] = "established",
	[FC_TCP_S_CLOSING] = "closed",
	[FC_TCP_S_CLOSED] = "closed",
	[FC_TCP_S_RESET] = "closed",
	[FC_TCP_S_ABORTED] = "closed",
};
static_assert(FC_DIM(eve_flow_state) == FC_TCP_S_MAX, "EVE flow state per TCP state");

/* Suricata's TCP session state per flowscope TCP state; NULL: not told. */
static const char *const eve_tcp_state[] = {
	[FC_TCP_S_ACTIVE] = NULL,
	[FC_TCP_S_SYN_SENT] = "syn_sent",
	[FC_TCP_S_SYN_RECEIVED] = "syn_recv",
	[FC_TCP_S_ESTABLISHED] = "established",
	[FC_TCP_S_FIN_WAIT] = NULL,
	[FC_TCP_S_CLOSING] = NULL,
	[FC_TCP_S_CLOSED] = "closed",
	[FC_TCP_S_RESET] = "closed",
	[FC_TCP_S_ABORTED] = "closed",
};
static_assert(FC_DIM(eve_tcp_state) == FC_TCP_S_MAX, "EVE TCP state per TCP state");

/* TCP flag bits as Suricata prints them in tcp_flags*. */
#define EVE_TH_FIN 0x01
#define EVE_TH_SYN 0x02
#define EVE_TH_RST 0x04
#define EVE_TH_ACK 0x10

struct eve {
	int fd;                  /**< -1 while the file is not open */
	int own_fd;              /**< 1 if we opened it (close at the end) */
	char *path;
	char *buf;
	size_t used;
	uint64_t pending;        /**< records in buf */
	int reported;            /**< an error was said on stderr: quiet until the sink recovers */
};

/* A bounded line writer: every append checks room; overflow is sticky. */
struct eve_w {
	char *buf;
	size_t len;
	size_t pos;
	int overflow;
};

static void
ew_printf(struct eve_w *w, const char *fmt, ...)
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

static inline void
ew_raw(struct eve_w *w, const char *p, size_t n)
{
	if (w->overflow || n >= w->len - w->pos) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->pos, p, n);
	w->pos += n;
	w->buf[w->pos] = '\0';
}

#define EW_LIT(w, lit) ew_raw((w), (lit), sizeof(lit) - 1)

static inline void
ew_u64(struct eve_w *w, uint64_t v)
{
	char t[20];
	unsigned int i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	ew_raw(w, t + i, sizeof(t) - i);
}

/* n decimal digits of v, zero-padded, at p. */
static inline void
put_digits(char *p, unsigned int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * Suricata's timestamp form, in UTC: 2009-11-10T23:00:00.000000+0000.
 * The calendar date comes from the day count by the usual civil-calendar
 * arithmetic (eras of 400 years), avoiding gmtime_r/strftime, which cost
 * more than the rest of the record.
 */
static void
ew_time(struct eve_w *w, const char *name, uint64_t ts_ns)
{
	uint64_t sec = ts_ns / FC_NS_PER_SEC;
	unsigned int usec = (unsigned int)((ts_ns % FC_NS_PER_SEC) / FC_NS_PER_USEC);
	unsigned int sod = (unsigned int)(sec % 86400);
	int64_t z = (int64_t)(sec / 86400) + 719468;
	int64_t era = z / 146097;
	unsigned int doe = (unsigned int)(z - era * 146097);
	unsigned int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned int mp = (5 * doy + 2) / 153;
	unsigned int d = doy - (153 * mp + 2) / 5 + 1;
	unsigned int m = mp < 10 ? mp + 3 : mp - 9;
	unsigned int y = (unsigned int)(yoe + era * 400 + (m <= 2));
	char t[] = "\"YYYY-MM-DDTHH:MM:SS.uuuuuu+0000\"";

	put_digits(t + 1, y % 10000, 4);
	put_digits(t + 6, m, 2);
	put_digits(t + 9, d, 2);
	put_digits(t + 12, sod / 3600, 2);
	put_digits(t + 15, sod / 60 % 60, 2);
	put_digits(t + 18, sod % 60, 2);
	put_digits(t + 21, usec, 6);
	EW_LIT(w, "\"");
	ew_raw(w, name, strlen(name));
	EW_LIT(w, "\":");
	ew_raw(w, t, sizeof(t) - 1);
}

/* IPv4 dotted, IPv6 in Suricata's full form (no :: compression). */
static void
ew_addr(struct eve_w *w, const char *name, const uint8_t *a, uint8_t family)
{
	if (family == FC_KEY_FAMILY_V4) {
		char s[16];
		int n = fc_addr_str(a, family, s, sizeof(s));

		EW_LIT(w, ",\"");
		ew_raw(w, name, strlen(name));
		EW_LIT(w, "\":\"");
		ew_raw(w, s, (size_t)n);
		EW_LIT(w, "\"");
		return;
	}
	ew_printf(w, ",\"%s\":\"%02x%02x:%02x%02x:%02x%02x:%02x%02x:"
		  "%02x%02x:%02x%02x:%02x%02x:%02x%02x\"", name,
		  a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7],
		  a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]);
}

static const char *
eve_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ICMP: return "ICMP";
	case IPPROTO_IGMP: return "IGMP";
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_GRE: return "GRE";
	case IPPROTO_ESP: return "ESP";
	case IPPROTO_AH: return "AH";
	case IPPROTO_ICMPV6: return "IPv6-ICMP";
	case IPPROTO_PIM: return "PIM";
	case 112: return "VRRP";
	case IPPROTO_SCTP: return "SCTP";
	default: return NULL;
	}
}

/* Our flow_id (lcore << 56 | counter) folded to Suricata's 51 bits. */
static uint64_t
eve_flow_id(uint64_t id)
{
	return (((id >> 56) & 0x7f) << 44) | (id & ((UINT64_C(1) << 44) - 1));
}

/*
 * TCP flags each side is known to have sent: [0] originator (to server),
 * [1] responder (to client).
 */
static void
eve_tcp_flags(const struct fc_event_flow_end *e, uint8_t fl[2])
{
	const char *h = e->history;
	size_t n = strnlen(h, sizeof(e->history));
	unsigned int flips = 0;

	fl[0] = fl[1] = 0;
	for (size_t i = 0; i < n; i++)
		flips += h[i] == '^';
	/* Zeek letters: a letter before an odd number of '^' is the other side's. */
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		unsigned int side;
		uint8_t b = 0;

		if (c == '^') {
			flips--;
			continue;
		}
		side = (c >= 'a' && c <= 'z') ? 1 : 0;
		side ^= flips & 1;
		switch (c | 0x20) {
		case 's': b = EVE_TH_SYN; break;
		case 'h': b = EVE_TH_SYN | EVE_TH_ACK; break;
		case 'a': b = EVE_TH_ACK; break;
		case 'f': b = EVE_TH_FIN; break;
		case 'r': b = EVE_TH_RST; break;
		case 'i': b = EVE_TH_FIN | EVE_TH_RST; break;
		case 'q': b = EVE_TH_SYN; break;
		default: break;
		}
		fl[side] |= b;
	}
	/* flowscope letters: upper case is always the originator. */
	n = strnlen(e->fs_history, sizeof(e->fs_history));
	for (size_t i = 0; i < n; i++) {
		char c = e->fs_history[i];
		unsigned int side = (c >= 'a' && c <= 'z') ? 1 : 0;

		switch (c | 0x20) {
		case 's': fl[side] |= EVE_TH_SYN; break;
		case 'f': fl[side] |= EVE_TH_FIN; break;
		case 'r': fl[side] |= EVE_TH_RST; break;
		default: break;
		}
	}
}

static void
ew_tcp(struct eve_w *w, const struct fc_event_flow_end *e)
{
	uint8_t fl[2], all;
	const char *st = e->state < FC_TCP_S_MAX ? eve_tcp_state[e->state] : NULL;

	eve_tcp_flags(e, fl);
	all = fl[0] | fl[1];
	ew_printf(w, ",\"tcp\":{\"tcp_flags\":\"%02x\",\"tcp_flags_ts\":\"%02x\","
		  "\"tcp_flags_tc\":\"%02x\"", all, fl[0], fl[1]);
	if (all & EVE_TH_SYN)
		ew_printf(w, ",\"syn\":true");
	if (all & EVE_TH_FIN)
		ew_printf(w, ",\"fin\":true");
	if (all & EVE_TH_RST)
		ew_printf(w, ",\"rst\":true");
	if (all & EVE_TH_ACK)
		ew_printf(w, ",\"ack\":true");
	if (st != NULL)
		ew_printf(w, ",\"state\":\"%s\"", st);
	ew_printf(w, "}");
}

/*
 * Render one flow_end as an EVE flow record (with '\n').
 * @return bytes written, or -ENOSPC if len is too small.
 */
static int
eve_render_flow(const struct fc_event *ev, char *buf, size_t len)
{
	const struct fc_event_flow_end *e = &ev->u.end;
	const struct fc_event_flow_id *id = &e->id;
	struct eve_w w = { .buf = buf, .len = len, .pos = 0, .overflow = 0 };
	const char *pname = eve_proto_name(id->proto);
	int ports = id->proto == IPPROTO_TCP || id->proto == IPPROTO_UDP ||
		    id->proto == IPPROTO_SCTP;
	int icmp = id->proto == IPPROTO_ICMP || id->proto == IPPROTO_ICMPV6;
	const char *state;
	char cid[40];

	if (len == 0)
		return -ENOSPC;
	ew_printf(&w, "{");
	ew_time(&w, "timestamp", ev->ts);
	EW_LIT(&w, ",\"flow_id\":");
	ew_u64(&w, eve_flow_id(ev->flow_id));
	EW_LIT(&w, ",\"event_type\":\"flow\"");
	if (id->vlan != 0) {
		if (id->vlan_inner != 0)
			ew_printf(&w, ",\"vlan\":[%u,%u]", id->vlan, id->vlan_inner);
		else
			ew_printf(&w, ",\"vlan\":[%u]", id->vlan);
	}
	ew_addr(&w, "src_ip", id->orig_h, id->family);
	if (ports) {
		EW_LIT(&w, ",\"src_port\":");
		ew_u64(&w, id->orig_p);
	}
	ew_addr(&w, "dest_ip", id->resp_h, id->family);
	if (ports) {
		EW_LIT(&w, ",\"dest_port\":");
		ew_u64(&w, id->resp_p);
	}
	if (pname != NULL)
		ew_printf(&w, ",\"proto\":\"%s\"", pname);
	else
		ew_printf(&w, ",\"proto\":\"%03u\"", id->proto);
	if (icmp)
		ew_printf(&w, ",\"icmp_type\":%u,\"icmp_code\":%u",
			  id->icmp_type, id->icmp_code);
	if (e->app_proto != FC_L7_NONE)
		ew_printf(&w, ",\"app_proto\":\"%s\"", fc_l7_proto_name(e->app_proto));
	else if ((id->proto == IPPROTO_TCP || id->proto == IPPROTO_UDP) &&
		 e->payload_bytes[0] + e->payload_bytes[1] > 0)
		ew_printf(&w, ",\"app_proto\":\"failed\"");

	if (e->is_tcp)
		state = e->state < FC_TCP_S_MAX ? eve_flow_state[e->state] : "new";
	else
		state = e->pkts[1] > 0 ? "established" : "new";
	EW_LIT(&w, ",\"flow\":{\"pkts_toserver\":");
	ew_u64(&w, e->pkts[0]);
	EW_LIT(&w, ",\"pkts_toclient\":");
	ew_u64(&w, e->pkts[1]);
	EW_LIT(&w, ",\"bytes_toserver\":");
	ew_u64(&w, e->bytes[0]);
	EW_LIT(&w, ",\"bytes_toclient\":");
	ew_u64(&w, e->bytes[1]);
	EW_LIT(&w, ",");
	ew_time(&w, "start", e->first_ts);
	ew_printf(&w, ",");
	ew_time(&w, "end", e->last_ts);
	ew_printf(&w, ",\"age\":%" PRIu64 ",\"state\":\"%s\",\"reason\":\"%s\""
		  ",\"alerted\":false}",
		  e->last_ts / FC_NS_PER_SEC >= e->first_ts / FC_NS_PER_SEC ?
		  e->last_ts / FC_NS_PER_SEC - e->first_ts / FC_NS_PER_SEC : 0,
		  state, e->reason < FC_END_MAX ? eve_reason[e->reason] : "timeout");
	if (fc_community_id(id, cid, sizeof(cid)) == 0)
		ew_printf(&w, ",\"community_id\":\"%s\"", cid);
	if (e->is_tcp)
		ew_tcp(&w, e);
	ew_printf(&w, "}\n");
	if (w.overflow)
		return -ENOSPC;
	return (int)w.pos;
}

static int
eve_flush(struct app_sink *s)
{
	struct eve *d = s->priv;
	size_t off = 0;
	int err = 0;

	if (d->used == 0)
		return 0;
	if (d->fd < 0)
		err = EBADF;
	while (err == 0 && off < d->used) {
		ssize_t n = write(d->fd, d->buf + off, d->used - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n < 0 ? errno : EIO;
		else
			off += (size_t)n;
	}
	if (err != 0) {
		/*
		 * Lines that made it before the error are written, the rest
		 * dropped (an empty line ends an earlier cut line: no record).
		 */
		uint64_t done = 0;

		for (size_t i = 0, start = 0; i < off; i++) {
			if (d->buf[i] != '\n')
				continue;
			done += i > start;
			start = i + 1;
		}
		s->written += done;
		s->dropped += d->pending - done;
		if (!d->reported && err != EPIPE)
			fprintf(stderr, "flowscope: eve:%s: write failed: %s "
				"(records dropped until it recovers)\n",
				d->path, strerror(err));
		d->reported = 1;
		d->used = 0;
		/* A line cut short is ended, so the next record starts a line. */
		if (off > 0 && d->buf[off - 1] != '\n')
			d->buf[d->used++] = '\n';
	} else {
		s->written += d->pending;
		d->used = 0;
	}
	d->pending = 0;
	return -err;
}

static int
eve_open_fd(struct eve *d, int flags)
{
	if (strcmp(d->path, "-") == 0) {
		d->fd = STDOUT_FILENO;
		d->own_fd = 0;
		return 0;
	}
	d->fd = open(d->path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	if (d->fd < 0) {
		int err = errno;

		/* Said once; retries on tick stay quiet until one succeeds. */
		if (!d->reported)
			fprintf(stderr, "flowscope: eve:%s: cannot open: %s\n",
				d->path, strerror(err));
		d->reported = 1;
		return -err;
	}
	d->own_fd = 1;
	d->reported = 0;
	return 0;
}

static int
eve_open(struct app_sink *s, const char *target)
{
	struct eve *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL || (d->buf = malloc(EVE_BUF)) == NULL ||
	    (d->path = strdup(target)) == NULL) {
		fprintf(stderr, "flowscope: eve:%s: out of memory for the output buffer\n",
			target);
		if (d != NULL)
			free(d->buf);
		free(d);
		return -ENOMEM;
	}
	d->fd = -1;
	/* A new run starts a new file; reopen (SIGHUP) appends. */
	rc = eve_open_fd(d, O_TRUNC);
	if (rc != 0) {
		free(d->path);
		free(d->buf);
		free(d);
		return rc;
	}
	s->priv = d;
	return 0;
}

static int
eve_write(struct app_sink *s, const struct fc_event *ev, unsigned int n)
{
	struct eve *d = s->priv;
	int rc = 0;

	for (unsigned int i = 0; i < n; i++) {
		int len;

		switch (ev[i].type) {
		case FC_EV_FLOW_END:
			if (ev[i].u.end.id.family != FC_KEY_FAMILY_V4 &&
			    ev[i].u.end.id.family != FC_KEY_FAMILY_V6)
				continue;
			break;
		case FC_EV_SESSION:
			/*
			 * Session messages become Suricata's "http", "tls" and
			 * "dns" records here once their renderers exist; until
			 * then they are skipped and are not records.
			 */
			continue;
		default:
			continue;
		}
		if (EVE_BUF - d->used < EVE_LINE_MAX) {
			int r = eve_flush(s);

			if (r != 0)
				rc = r;
		}
		s->records++;
		len = eve_render_flow(&ev[i], d->buf + d->used, EVE_LINE_MAX);
		if (len < 0) {
			s->dropped++;
			continue;
		}
		d->used += (size_t)len;
		d->pending++;
	}
	return rc;
}

static int
eve_tick(struct app_sink *s, uint64_t now_ns)
{
	struct eve *d = s->priv;

	(void)now_ns;
	if (d->fd < 0)
		eve_open_fd(d, O_APPEND);
	return eve_flush(s);
}

static int
eve_reopen(struct app_sink *s)
{
	struct eve *d = s->priv;
	int rc = eve_flush(s);

	if (!d->own_fd && d->fd >= 0)
		return rc;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->reported = 0;
	return eve_open_fd(d, O_APPEND);
}

static int
eve_close(struct app_sink *s)
{
	struct eve *d = s->priv;
	int rc;

	if (d == NULL)
		return 0;
	rc = eve_flush(s);
	if (d->own_fd && d->fd >= 0 && close(d->fd) != 0 && rc == 0)
		rc = -errno;
	free(d->path);
	free(d->buf);
	free(d);
	s->priv = NULL;
	return rc == -EPIPE ? 0 : rc;
}

const struct app_sink_ops app_sink_eve_ops = {
	.scheme = "eve",
	.usage = "eve:-|eve:FILE         Suricata EVE JSON flow records",
	.open = eve_open,
	.write = eve_write,
	.write_stats = NULL,
	.tick = eve_tick,
	.reopen = eve_reopen,
	.close = eve_close,
};
