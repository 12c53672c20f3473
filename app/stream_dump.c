/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --dump-streams DIR: each TCP side's reassembled bytes to a file, the
 * forensics view tcpflow gives, and how reassembly is checked against
 * tshark.
 *
 * While a flow lives its sides are written to DIR/<flow_id>.<ep>.part,
 * named by key endpoint (which never changes); when it ends they are
 * renamed DIR/<flow_id>.orig and DIR/<flow_id>.resp (the roles are final
 * then) and one line goes to DIR/streams.ndjson: flow id, key (proto,
 * endpoints, VLAN ids, tunnel), and per side the file, bytes, gap bytes,
 * the gaps themselves, and whether the side had payload that reassembly
 * never saw (no stream state left: "untracked").
 *
 * Gaps: skipped (the file holds only the bytes seen), or filled with a
 * byte (zero fill makes a sparse hole, so a lost segment costs no disk).
 * Either way the index lists them as [offset, length] pairs, offset in
 * stream bytes (gap bytes included: with a fill it is the file offset;
 * with skip, subtract the lengths of the gaps before it). The first
 * DUMP_GAPS_LISTED of a side are listed, "gaps_truncated" says there were
 * more. While the flow lives they are appended to a side file
 * DIR/<flow_id>.<ep>.gaps.part (binary: file offset and length, 8 bytes
 * each), read back and removed when it ends: no memory per stream.
 *
 * A directory used by an earlier run: the files this dump writes
 * (<n>.orig, <n>.resp, <n>.<ep>.part, <n>.<ep>.gaps.part) are removed
 * when it is opened, with a note on stderr, so the directory holds the
 * streams of this run only, all of them in the index (which starts
 * empty). Other files are left alone.
 *
 * File descriptors: a direct-mapped cache of open files, each with a
 * write buffer, so a busy link costs one write(2) per 32 KiB and the
 * number of open files stays bounded whatever the number of flows; a
 * file pushed out of the cache is reopened in append mode when its flow
 * talks again. All memory is allocated when the dump is opened.
 *
 * One dump per RX lcore (flow ids are unique per lcore, so files never
 * collide); the index is appended with one write(2) per line (O_APPEND).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>

#include <fc_key.h>

#include "stream_dump.h"

#define DUMP_SLOTS 256
#define DUMP_BUF (32u * 1024)
/* Gaps of one side listed in the index. */
#define DUMP_GAPS_LISTED 64

struct dump_slot {
	uint64_t flow_id;      /**< 0 = free */
	uint8_t ep;
	int fd;
	uint32_t used;
	uint8_t *buf;
};

struct app_stream_dump {
	char *dir;
	int gap_fill;          /**< -1 skip, else the fill byte */
	int index_fd;
	struct dump_slot slot[DUMP_SLOTS];
	uint8_t *bufs;
	struct app_stream_dump_stats st;
	int reported;
};

static void
report(struct app_stream_dump *d, const char *what, const char *path, int err)
{
	d->st.errors++;
	if (d->reported)
		return;
	d->reported = 1;
	fprintf(stderr, "flowscope: --dump-streams: %s %s: %s (further errors counted)\n",
		what, path, strerror(err));
}

static void
part_path(const struct app_stream_dump *d, uint64_t flow_id, uint8_t ep,
	  char *buf, size_t len)
{
	snprintf(buf, len, "%s/%" PRIu64 ".%u.part", d->dir, flow_id, ep);
}

static struct dump_slot *
slot_of(struct app_stream_dump *d, uint64_t flow_id, uint8_t ep)
{
	uint64_t h = (flow_id * 2 + ep) * UINT64_C(0x9e3779b97f4a7c15);

	return &d->slot[h >> 56 & (DUMP_SLOTS - 1)];
}

static void
slot_flush(struct app_stream_dump *d, struct dump_slot *s)
{
	uint32_t off = 0;

	while (off < s->used) {
		ssize_t n = write(s->fd, s->buf + off, s->used - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			char p[PATH_MAX];

			part_path(d, s->flow_id, s->ep, p, sizeof(p));
			d->st.bytes_lost += s->used - off;
			report(d, "write", p, n < 0 ? errno : EIO);
			break;
		}
		off += (uint32_t)n;
	}
	s->used = 0;
}

static void
slot_close(struct app_stream_dump *d, struct dump_slot *s)
{
	if (s->flow_id == 0)
		return;
	slot_flush(d, s);
	close(s->fd);
	s->flow_id = 0;
	s->fd = -1;
}

/* The open file of (flow, ep), opening (appending) it if needed. */
static struct dump_slot *
slot_get(struct app_stream_dump *d, uint64_t flow_id, uint8_t ep)
{
	struct dump_slot *s = slot_of(d, flow_id, ep);
	char p[PATH_MAX];

	if (s->flow_id == flow_id && s->ep == ep)
		return s;
	slot_close(d, s);
	part_path(d, flow_id, ep, p, sizeof(p));
	s->fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (s->fd < 0) {
		report(d, "open", p, errno);
		return NULL;
	}
	d->st.opens++;
	s->flow_id = flow_id;
	s->ep = ep;
	s->used = 0;
	return s;
}

static void
dump_data(void *arg, uint64_t flow_id, uint8_t ep, const uint8_t *p,
	  uint32_t len)
{
	struct app_stream_dump *d = arg;
	struct dump_slot *s = slot_get(d, flow_id, ep);

	if (s == NULL) {
		d->st.bytes_lost += len;
		return;
	}
	d->st.bytes += len;
	while (len > 0) {
		uint32_t n = DUMP_BUF - s->used;

		if (n > len)
			n = len;
		memcpy(s->buf + s->used, p, n);
		s->used += n;
		p += n;
		len -= n;
		if (s->used == DUMP_BUF)
			slot_flush(d, s);
	}
}

static void
gaps_path(const struct app_stream_dump *d, uint64_t flow_id, uint8_t ep,
	  char *buf, size_t len)
{
	snprintf(buf, len, "%s/%" PRIu64 ".%u.gaps.part", d->dir, flow_id, ep);
}

/* Append (file offset, length) of a gap to the side's gap file. */
static void
gap_record(struct app_stream_dump *d, struct dump_slot *s, uint64_t flow_id,
	   uint8_t ep, uint32_t len)
{
	uint64_t rec[2];
	struct stat sb;
	char p[PATH_MAX];
	int fd;

	if (fstat(s->fd, &sb) != 0)
		sb.st_size = 0;
	rec[0] = (uint64_t)sb.st_size + s->used;
	rec[1] = len;
	gaps_path(d, flow_id, ep, p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
		report(d, "write", p, fd < 0 ? errno : EIO);
	if (fd >= 0)
		close(fd);
}

static void
dump_gap(void *arg, uint64_t flow_id, uint8_t ep, uint32_t len)
{
	struct app_stream_dump *d = arg;
	struct dump_slot *s;
	struct stat sb;

	d->st.gap_bytes += len;
	s = slot_get(d, flow_id, ep);
	if (s == NULL)
		return;
	gap_record(d, s, flow_id, ep, len);
	if (d->gap_fill < 0)
		return;
	if (d->gap_fill == 0) {
		/* A sparse hole: extend the file without writing. */
		slot_flush(d, s);
		if (fstat(s->fd, &sb) != 0 ||
		    ftruncate(s->fd, sb.st_size + (off_t)len) != 0) {
			char p[PATH_MAX];

			part_path(d, flow_id, ep, p, sizeof(p));
			report(d, "extend", p, errno);
		}
		return;
	}
	while (len > 0) {
		uint32_t n = DUMP_BUF - s->used;

		if (n > len)
			n = len;
		memset(s->buf + s->used, d->gap_fill, n);
		s->used += n;
		len -= n;
		if (s->used == DUMP_BUF)
			slot_flush(d, s);
	}
}

/* A bounded line builder for the index. */
struct line {
	char b[8192];
	size_t n;
	int over;
};

static void line_printf(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
line_printf(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (l->over)
		return;
	va_start(ap, fmt);
	r = vsnprintf(l->b + l->n, sizeof(l->b) - l->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(l->b) - l->n)
		l->over = 1;
	else
		l->n += (size_t)r;
}

/* List the gaps of a side from its gap file, then remove the file. */
static void
index_gaps(struct app_stream_dump *d, struct line *l, uint64_t flow_id, uint8_t ep)
{
	uint64_t rec[DUMP_GAPS_LISTED][2], before = 0;
	char p[PATH_MAX];
	struct stat sb;
	ssize_t got;
	size_t n, total;
	int fd;

	gaps_path(d, flow_id, ep, p, sizeof(p));
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			report(d, "open", p, errno);
		line_printf(l, ",\"gaps\":[],\"gaps_truncated\":false");
		return;
	}
	total = fstat(fd, &sb) == 0 ? (size_t)sb.st_size / sizeof(rec[0]) : 0;
	got = read(fd, rec, sizeof(rec));
	n = got > 0 ? (size_t)got / sizeof(rec[0]) : 0;
	close(fd);
	unlink(p);
	line_printf(l, ",\"gaps\":[");
	for (size_t i = 0; i < n; i++) {
		/* With skip the file lacks the earlier gaps: add them back. */
		uint64_t off = rec[i][0] + (d->gap_fill < 0 ? before : 0);

		line_printf(l, "%s[%" PRIu64 ",%" PRIu64 "]", i ? "," : "", off, rec[i][1]);
		before += rec[i][1];
	}
	line_printf(l, "],\"gaps_truncated\":%s", total > n ? "true" : "false");
}

static void
index_side(struct app_stream_dump *d, struct line *l, const char *role,
	   uint64_t flow_id, uint8_t ep, int has_file, const struct fc_event_flow_end *e,
	   unsigned int side)
{
	static const struct fc_reasm_side_stats untouched;
	const struct fc_reasm_side_stats *r = &e->reasm[side];
	/* Payload that reassembly never saw: the side got no stream state. */
	int untracked = e->payload_bytes[side] > 0 &&
		(!e->has_reasm || memcmp(r, &untouched, sizeof(*r)) == 0);

	if (has_file)
		line_printf(l, ",\"%s\":{\"file\":\"%" PRIu64 ".%s\"", role, flow_id, role);
	else
		line_printf(l, ",\"%s\":{\"file\":null", role);
	line_printf(l, ",\"bytes\":%" PRIu64 ",\"gap_bytes\":%" PRIu64,
		    e->has_reasm ? r->delivered : 0, e->has_reasm ? r->gap_bytes : 0);
	index_gaps(d, l, flow_id, ep);
	line_printf(l, ",\"untracked\":%s}", untracked ? "true" : "false");
}

static void
dump_end(void *arg, uint64_t flow_id, uint8_t orig_ep,
	 const struct fc_event_flow_end *e)
{
	struct app_stream_dump *d = arg;
	char a[INET6_ADDRSTRLEN + 1], b[INET6_ADDRSTRLEN + 1];
	int has[2] = { 0, 0 };
	struct line l;

	for (uint8_t ep = 0; ep < 2; ep++) {
		/* Roles are final now: ep -> orig/resp. */
		const char *role = (ep == orig_ep) ? "orig" : "resp";
		struct dump_slot *s = slot_of(d, flow_id, ep);
		char from[PATH_MAX], to[PATH_MAX];

		if (s->flow_id == flow_id && s->ep == ep)
			slot_close(d, s);
		part_path(d, flow_id, ep, from, sizeof(from));
		snprintf(to, sizeof(to), "%s/%" PRIu64 ".%s", d->dir, flow_id, role);
		if (rename(from, to) == 0)
			has[ep == orig_ep ? 0 : 1] = 1;
		else if (errno != ENOENT)
			report(d, "rename", from, errno);
	}
	fc_addr_str(e->id.orig_h, e->id.family, a, sizeof(a));
	fc_addr_str(e->id.resp_h, e->id.family, b, sizeof(b));
	l.n = 0;
	l.over = 0;
	line_printf(&l, "{\"flow_id\":%" PRIu64, flow_id);
	if (e->id.proto == IPPROTO_TCP)
		line_printf(&l, ",\"proto\":\"tcp\"");
	else
		line_printf(&l, ",\"proto\":%u", e->id.proto);
	line_printf(&l, ",\"orig_h\":\"%s\",\"orig_p\":%u,\"resp_h\":\"%s\",\"resp_p\":%u"
		    ",\"vlan\":%u", a, e->id.orig_p, b, e->id.resp_p, e->id.vlan);
	if (e->id.vlan_inner != 0)
		line_printf(&l, ",\"vlan_inner\":%u", e->id.vlan_inner);
	if (e->id.tunnel != FC_TUN_NONE)
		line_printf(&l, ",\"tunnel\":{\"kind\":\"%s\",\"id\":%u}",
			    fc_tunnel_name(e->id.tunnel), e->id.tunnel_id);
	index_side(d, &l, "orig", flow_id, orig_ep, has[0], e, 0);
	index_side(d, &l, "resp", flow_id, (uint8_t)(orig_ep ^ 1), has[1], e, 1);
	line_printf(&l, "}\n");
	if (l.over) {
		report(d, "index line too long for", "streams.ndjson", ENOSPC);
		return;
	}
	if (write(d->index_fd, l.b, l.n) != (ssize_t)l.n)
		report(d, "write", "streams.ndjson", errno);
	d->st.streams++;
}

/* 1 if name is a file this dump writes: <n>.orig, <n>.resp, <n>.<ep>.part, <n>.<ep>.gaps.part. */
static int
dump_file_name(const char *name)
{
	const char *p = name;

	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return strcmp(p, ".orig") == 0 || strcmp(p, ".resp") == 0 ||
		strcmp(p, ".0.part") == 0 || strcmp(p, ".1.part") == 0 ||
		strcmp(p, ".0.gaps.part") == 0 || strcmp(p, ".1.gaps.part") == 0;
}

/* Remove the stream files of an earlier run; 0, or -errno after a message. */
static int
clear_old_files(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	unsigned long removed = 0;
	int rc = 0;

	if (dh == NULL) {
		fprintf(stderr, "flowscope: --dump-streams %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(dh)) != NULL) {
		if (!dump_file_name(de->d_name))
			continue;
		if (unlinkat(dirfd(dh), de->d_name, 0) == 0) {
			removed++;
		} else if (errno != ENOENT) {
			fprintf(stderr, "flowscope: --dump-streams %s: cannot remove %s "
				"of an earlier run: %s\n", dir, de->d_name, strerror(errno));
			rc = -errno;
			break;
		}
	}
	closedir(dh);
	if (removed > 0)
		fprintf(stderr, "flowscope: --dump-streams %s: removed %lu stream "
			"files of an earlier run\n", dir, removed);
	return rc;
}

struct app_stream_dump *
app_stream_dump_open(const char *dir, int gap_fill)
{
	struct app_stream_dump *d;
	struct stat sb;
	char p[PATH_MAX];

	if (stat(dir, &sb) != 0 && mkdir(dir, 0755) != 0) {
		fprintf(stderr, "flowscope: --dump-streams %s: %s\n", dir, strerror(errno));
		return NULL;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "flowscope: --dump-streams %s: not a directory\n", dir);
		return NULL;
	}
	if (clear_old_files(dir) != 0)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->dir = strdup(dir)) == NULL ||
	    (d->bufs = malloc((size_t)DUMP_SLOTS * DUMP_BUF)) == NULL) {
		fprintf(stderr, "flowscope: --dump-streams: out of memory\n");
		if (d != NULL)
			free(d->dir);
		free(d);
		return NULL;
	}
	d->gap_fill = gap_fill;
	for (unsigned int i = 0; i < DUMP_SLOTS; i++) {
		d->slot[i].fd = -1;
		d->slot[i].buf = d->bufs + (size_t)i * DUMP_BUF;
	}
	snprintf(p, sizeof(p), "%s/streams.ndjson", dir);
	d->index_fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (d->index_fd < 0) {
		fprintf(stderr, "flowscope: --dump-streams: %s: %s\n", p, strerror(errno));
		free(d->bufs);
		free(d->dir);
		free(d);
		return NULL;
	}
	return d;
}

void
app_stream_dump_cb(struct app_stream_dump *d, struct fc_tracker_stream_cb *cb)
{
	cb->data = dump_data;
	cb->gap = dump_gap;
	cb->end = dump_end;
	cb->arg = d;
}

const struct app_stream_dump_stats *
app_stream_dump_stats(const struct app_stream_dump *d)
{
	return &d->st;
}

void
app_stream_dump_close(struct app_stream_dump *d)
{
	if (d == NULL)
		return;
	for (unsigned int i = 0; i < DUMP_SLOTS; i++)
		slot_close(d, &d->slot[i]);
	close(d->index_fd);
	free(d->bufs);
	free(d->dir);
	free(d);
}
