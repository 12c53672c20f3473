/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zeek sink: `--output zeek:DIR` writes DIR/conn.log in Zeek's ASCII (TSV)
 * log format, so zeek-cut and every tool that reads Zeek logs take
 * flowscope's connections as they are. DIR is created if missing (one
 * level).
 *
 * FILE LAYOUT. A header block, one line per flow_end, a #close line:
 *
 *     #separator \x09
 *     #set_separator	,
 *     #empty_field	(empty)
 *     #unset_field	-
 *     #path	conn
 *     #open	2024-01-02-03-04-05          (local time, when the file opened)
 *     #fields	ts	uid	id.orig_h	...	tunnel_parents
 *     #types	time	string	addr	...	set[string]
 *     <rows>
 *     #close	2024-01-02-03-09-05
 *
 * COLUMNS (the standard conn.log ones, in Zeek's order, with its rules):
 *   ts             first packet, seconds.microseconds
 *   uid            "C" + 17 base62 characters derived from flow_id by a
 *                  bijective 64-bit mix, so it is stable across runs and
 *                  unique per flow (zeek_uid())
 *   id.*           originator first, as flow_end gives it; ICMP "ports"
 *                  are the type and counterpart type/code (as Zeek)
 *   proto          tcp, udp, icmp (ICMPv6 too, as Zeek), else
 *                  unknown_transport
 *   service        http, ssl (TLS), dns from the session parser, else -
 *   duration       last - first packet; with orig_bytes and resp_bytes
 *                  unset (-) when it is zero (a single packet), as Zeek
 *   orig/resp_bytes TCP: bytes covered by sequence space (flow_end
 *                  seq_bytes, gaps included); other protocols: payload
 *   conn_state     flow_end conn_state
 *   local_orig/local_resp  - (flowscope has no local networks)
 *   missed_bytes   reassembly gap bytes of both sides when reassembly ran,
 *                  else 0
 *   history        Zeek history, - when empty
 *   orig/resp_pkts, orig/resp_ip_bytes  per side
 *   tunnel_parents uid of the outer tunnel flow, - when not tunnelled
 * Flows of MAC keys have no IP addresses and are skipped (not records),
 * as are all other event types (session records will get their own
 * http/ssl/dns logs).
 *
 * WRITING. Rows are rendered into a 1 MiB buffer and written with one
 * write(2) when it fills, on tick and at close. A failed write counts the
 * rows not written as dropped (reported once on stderr; a row cut short
 * is ended with a newline) and the sink keeps going; a header lost that
 * way is written again before the next row.
 * SIGHUP (reopen): #close the file, open DIR/conn.log again (logrotate
 * moved the old one; an existing file is appended to) with a fresh
 * header. A file that cannot be reopened drops rows until a tick
 * manages to open it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include "sink.h"

#define ZEEK_BUF (1u << 20)
#define ZEEK_LINE_MAX 1024u
#define ZEEK_UID_LEN 18     /* "C" + 17 */

/* The conn.log columns: X(name, Zeek type). One list gives #fields and #types. */
#define ZEEK_CONN_COLUMNS(X) \
	X("ts",             "time") \
	X("uid",            "string") \
	X("id.orig_h",      "addr") \
	X("id.orig_p",      "port") \
	X("id.resp_h",      "addr") \
	X("id.resp_p",      "port") \
	X("proto",          "enum") \
	X("service",        "string") \
	X("duration",       "interval") \
	X("orig_bytes",     "count") \
	X("resp_bytes",     "count") \
	X("conn_state",     "string") \
	X("local_orig",     "bool") \
	X("local_resp",     "bool") \
	X("missed_bytes",   "count") \
	X("history",        "string") \
	X("orig_pkts",      "count") \
	X("orig_ip_bytes",  "count") \
	X("resp_pkts",      "count") \
	X("resp_ip_bytes",  "count") \
	X("tunnel_parents", "set[string]")

#define ZEEK_X_NAME(name, type) "\t" name
#define ZEEK_X_TYPE(name, type) "\t" type

static const char zeek_fields[] = "#fields" ZEEK_CONN_COLUMNS(ZEEK_X_NAME) "\n";
static const char zeek_types[] = "#types" ZEEK_CONN_COLUMNS(ZEEK_X_TYPE) "\n";

/* Zeek service names per session protocol. */
static const char *const zeek_service[] = {
	[FC_L7_NONE] = "-",
	[FC_L7_HTTP] = "http",
	[FC_L7_TLS] = "ssl",
	[FC_L7_DNS] = "dns",
};
static_assert(FC_DIM(zeek_service) == FC_L7_PROTO_MAX, "Zeek service per protocol");

struct zeek {
	int fd;                  /**< -1 while the file is not open */
	char *dir;
	char *path;              /**< DIR/conn.log */
	char *buf;
	size_t used;
	uint64_t pending;        /**< rows in buf */
	int need_header;         /**< the next row must be preceded by a header */
	size_t header_len;       /**< end offset in buf of a header not yet written, 0 if none */
	int reported;            /**< an error was said on stderr: quiet until the sink recovers */
};

/*
 * The uid of a flow: "C" + 17 base62 characters. The first 6 come from a
 * second mix (they only make uids look alike less), the last 11 encode the
 * bijective mix of flow_id in full, so distinct flows get distinct uids.
 */
static void
zeek_uid(uint64_t flow_id, char out[ZEEK_UID_LEN + 1])
{
	static const char b62[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	uint64_t a = flow_id, b;
	int i;

	/* splitmix64's finaliser: a bijection of 64-bit values. */
	a = (a ^ (a >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	a = (a ^ (a >> 27)) * UINT64_C(0x94d049bb133111eb);
	a ^= a >> 31;
	b = a ^ UINT64_C(0x9e3779b97f4a7c15);
	b = (b ^ (b >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	b = (b ^ (b >> 27)) * UINT64_C(0x94d049bb133111eb);
	b ^= b >> 31;
	out[0] = 'C';
	for (i = 6; i >= 1; i--) {
		out[i] = b62[b % 62];
		b /= 62;
	}
	for (i = 17; i >= 7; i--) {
		out[i] = b62[a % 62];
		a /= 62;
	}
	out[ZEEK_UID_LEN] = '\0';
}

/* Seconds.microseconds of a ns time or interval. */
static int
zeek_secs(char *buf, size_t len, uint64_t ns)
{
	return snprintf(buf, len, "%" PRIu64 ".%06" PRIu64, ns / FC_NS_PER_SEC,
			(ns % FC_NS_PER_SEC) / FC_NS_PER_USEC);
}

static const char *
zeek_proto(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: return "icmp";
	default: return "unknown_transport";
	}
}

/*
 * Render one flow_end as a conn.log row (with '\n').
 * @return bytes written, or -ENOSPC if len is too small.
 */
static int
zeek_render_conn(const struct fc_event *ev, char *buf, size_t len)
{
	const struct fc_event_flow_end *e = &ev->u.end;
	const struct fc_event_flow_id *id = &e->id;
	uint64_t dur = e->last_ts > e->first_ts ? e->last_ts - e->first_ts : 0;
	const uint64_t *bytes = e->is_tcp ? e->seq_bytes : e->payload_bytes;
	char ts[32], sdur[32], ob[24], rb[24], oh[48], rh[48];
	char uid[ZEEK_UID_LEN + 1], parent[ZEEK_UID_LEN + 1];
	uint64_t missed = 0;
	int n;

	zeek_secs(ts, sizeof(ts), e->first_ts);
	zeek_uid(ev->flow_id, uid);
	fc_addr_str(id->orig_h, id->family, oh, sizeof(oh));
	fc_addr_str(id->resp_h, id->family, rh, sizeof(rh));
	if (dur > 0) {
		zeek_secs(sdur, sizeof(sdur), dur);
		snprintf(ob, sizeof(ob), "%" PRIu64, bytes[0]);
		snprintf(rb, sizeof(rb), "%" PRIu64, bytes[1]);
	} else {
		strcpy(sdur, "-");
		strcpy(ob, "-");
		strcpy(rb, "-");
	}
	if (e->has_reasm)
		missed = e->reasm[0].gap_bytes + e->reasm[1].gap_bytes;
	if (id->tunnel_parent != 0)
		zeek_uid(id->tunnel_parent, parent);
	else
		strcpy(parent, "-");

	n = snprintf(buf, len,
		     "%s\t%s\t%s\t%u\t%s\t%u\t%s\t%s\t%s\t%s\t%s\t%.*s\t-\t-\t%" PRIu64
		     "\t%.*s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%s\n",
		     ts, uid, oh, id->orig_p, rh, id->resp_p, zeek_proto(id->proto),
		     e->app_proto < FC_L7_PROTO_MAX ? zeek_service[e->app_proto] : "-",
		     sdur, ob, rb,
		     e->conn_state[0] ? (int)strnlen(e->conn_state, sizeof(e->conn_state)) : 1,
		     e->conn_state[0] ? e->conn_state : "-",
		     missed,
		     e->history[0] ? (int)strnlen(e->history, sizeof(e->history)) : 1,
		     e->history[0] ? e->history : "-",
		     e->pkts[0], e->ip_bytes[0], e->pkts[1], e->ip_bytes[1], parent);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

/* What zeek_append_meta() appends. */
enum zeek_meta {
	ZEEK_HEADER,  /**< the header block, #open = now */
	ZEEK_CLOSE,   /**< the #close line, time = now */
};

/* Append a header or #close line (not a record); buf has room by construction. */
static void
zeek_append_meta(struct zeek *d, enum zeek_meta what)
{
	char t[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(t, sizeof(t), "%Y-%m-%d-%H-%M-%S", &tm) == 0)
		strcpy(t, "-");
	if (what == ZEEK_CLOSE) {
		n = snprintf(d->buf + d->used, ZEEK_BUF - d->used, "#close\t%s\n", t);
	} else {
		n = snprintf(d->buf + d->used, ZEEK_BUF - d->used,
			     "#separator \\x09\n#set_separator\t,\n"
			     "#empty_field\t(empty)\n#unset_field\t-\n"
			     "#path\tconn\n#open\t%s\n%s%s", t, zeek_fields,
			     zeek_types);
		d->need_header = 0;
	}
	if (n > 0 && (size_t)n < ZEEK_BUF - d->used) {
		d->used += (size_t)n;
		if (what == ZEEK_HEADER)
			d->header_len = d->used;
	}
}

/*
 * Rows complete within the first n bytes of b: lines neither empty (the
 * end of an earlier cut row) nor starting with '#' (header, #close).
 */
static uint64_t
zeek_rows_in(const char *b, size_t n)
{
	uint64_t rows = 0;
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		if (b[i] != '\n')
			continue;
		rows += i > start && b[start] != '#';
		start = i + 1;
	}
	return rows;
}

static int
zeek_flush(struct app_sink *s)
{
	struct zeek *d = s->priv;
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
		/* Rows that made it before the error are written, the rest dropped. */
		uint64_t done = zeek_rows_in(d->buf, off);

		s->written += done;
		s->dropped += d->pending - done;
		if (off < d->header_len)
			d->need_header = 1;
		if (!d->reported)
			fprintf(stderr, "flowscope: zeek:%s: write failed: %s "
				"(records dropped until it recovers)\n",
				d->path, strerror(err));
		d->reported = 1;
		d->used = 0;
		/* A row cut short is ended, so the next one starts a line. */
		if (off > 0 && d->buf[off - 1] != '\n')
			d->buf[d->used++] = '\n';
	} else {
		s->written += d->pending;
		d->used = 0;
	}
	d->header_len = 0;
	d->pending = 0;
	return -err;
}

/* Open DIR/conn.log and queue a header. */
static int
zeek_open_file(struct zeek *d, int flags)
{
	d->fd = open(d->path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	if (d->fd < 0) {
		int err = errno;

		/* Said once; retries on tick stay quiet until one succeeds. */
		if (!d->reported)
			fprintf(stderr, "flowscope: zeek:%s: cannot open %s: %s\n",
				d->dir, d->path, strerror(err));
		d->reported = 1;
		return -err;
	}
	d->reported = 0;
	zeek_append_meta(d, ZEEK_HEADER);
	return 0;
}

static void
zeek_free(struct zeek *d)
{
	if (d == NULL)
		return;
	free(d->dir);
	free(d->path);
	free(d->buf);
	free(d);
}

static int
zeek_open(struct app_sink *s, const char *target)
{
	struct zeek *d = calloc(1, sizeof(*d));
	struct stat st;
	size_t plen = strlen(target) + sizeof("/conn.log");
	int rc;

	if (d == NULL || (d->buf = malloc(ZEEK_BUF)) == NULL ||
	    (d->dir = strdup(target)) == NULL ||
	    (d->path = malloc(plen)) == NULL) {
		fprintf(stderr, "flowscope: zeek:%s: out of memory for the output buffer\n",
			target);
		zeek_free(d);
		return -ENOMEM;
	}
	d->fd = -1;
	snprintf(d->path, plen, "%s/conn.log", target);
	if (stat(target, &st) != 0) {
		if (errno != ENOENT || mkdir(target, 0755) != 0) {
			rc = -errno;
			fprintf(stderr, "flowscope: zeek:%s: cannot use the directory: %s\n",
				target, strerror(-rc));
			zeek_free(d);
			return rc;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "flowscope: zeek:%s: not a directory\n", target);
		zeek_free(d);
		return -ENOTDIR;
	}
	/* A new run starts a new log; reopen (SIGHUP) appends. */
	rc = zeek_open_file(d, O_TRUNC);
	if (rc != 0) {
		zeek_free(d);
		return rc;
	}
	s->priv = d;
	return 0;
}

static int
zeek_write(struct app_sink *s, const struct fc_event *ev, unsigned int n)
{
	struct zeek *d = s->priv;
	int rc = 0;

	for (unsigned int i = 0; i < n; i++) {
		int len;

		if (ev[i].type != FC_EV_FLOW_END ||
		    (ev[i].u.end.id.family != FC_KEY_FAMILY_V4 &&
		     ev[i].u.end.id.family != FC_KEY_FAMILY_V6))
			continue;
		if (ZEEK_BUF - d->used < 2 * ZEEK_LINE_MAX) {
			int r = zeek_flush(s);

			if (r != 0)
				rc = r;
		}
		if (d->need_header && d->fd >= 0)
			zeek_append_meta(d, ZEEK_HEADER);
		s->records++;
		len = zeek_render_conn(&ev[i], d->buf + d->used, ZEEK_LINE_MAX);
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
zeek_tick(struct app_sink *s, uint64_t now_ns)
{
	struct zeek *d = s->priv;

	(void)now_ns;
	if (d->fd < 0) {
		zeek_flush(s);           /* rows with nowhere to go: dropped */
		zeek_open_file(d, O_APPEND);
	}
	return zeek_flush(s);
}

static int
zeek_reopen(struct app_sink *s)
{
	struct zeek *d = s->priv;
	int rc, r;

	if (d->fd >= 0 && !d->need_header) {
		if (ZEEK_BUF - d->used < ZEEK_LINE_MAX)
			zeek_flush(s);
		zeek_append_meta(d, ZEEK_CLOSE);
	}
	rc = zeek_flush(s);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->reported = 0;
	d->need_header = 0;
	r = zeek_open_file(d, O_APPEND);
	return r != 0 ? r : rc;
}

static int
zeek_close(struct app_sink *s)
{
	struct zeek *d = s->priv;
	int rc;

	if (d == NULL)
		return 0;
	if (d->fd >= 0 && !d->need_header) {
		if (ZEEK_BUF - d->used < ZEEK_LINE_MAX)
			zeek_flush(s);
		zeek_append_meta(d, ZEEK_CLOSE);
	}
	rc = zeek_flush(s);
	if (d->fd >= 0 && close(d->fd) != 0 && rc == 0)
		rc = -errno;
	zeek_free(d);
	s->priv = NULL;
	return rc;
}

const struct app_sink_ops app_sink_zeek_ops = {
	.scheme = "zeek",
	.usage = "zeek:DIR               Zeek conn.log (TSV) in DIR",
	.open = zeek_open,
	.write = zeek_write,
	.write_stats = NULL,
	.tick = zeek_tick,
	.reopen = zeek_reopen,
	.close = zeek_close,
};
