/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --dump-streams DIR: each TCP side's reassembled bytes to a file, the
 * forensics view tcpflow gives, and how reassembly is checked against
 * tshark.
 *
 * While a flow lives its sides are written to DIR/<flow_id>.<ep>.part,
 * named by key endpoint (which never changes); when it ends they are
 * renamed DIR/<flow_id>.orig and DIR/<flow_id>.resp (the roles are final
 * then) and one line goes to DIR/streams.ndjson: flow id, endpoints,
 * bytes and gap bytes per side, file names.
 *
 * Gaps: skipped (the file holds only the bytes seen), or filled with a
 * byte (zero fill makes a sparse hole, so a lost segment costs no disk).
 * Either way the index records the gap bytes.
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
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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
dump_gap(void *arg, uint64_t flow_id, uint8_t ep, uint32_t len)
{
	struct app_stream_dump *d = arg;
	struct dump_slot *s;
	struct stat sb;

	d->st.gap_bytes += len;
	if (d->gap_fill < 0)
		return;
	s = slot_get(d, flow_id, ep);
	if (s == NULL)
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

static void
index_side(char *line, size_t cap, size_t *pos, const char *role,
	   uint64_t flow_id, int has_file, const struct fc_reasm_side_stats *r)
{
	int n;

	if (has_file)
		n = snprintf(line + *pos, cap - *pos,
			     ",\"%s\":{\"file\":\"%" PRIu64 ".%s\",\"bytes\":%" PRIu64
			     ",\"gap_bytes\":%" PRIu64 "}",
			     role, flow_id, role, r->delivered, r->gap_bytes);
	else
		n = snprintf(line + *pos, cap - *pos,
			     ",\"%s\":{\"file\":null,\"bytes\":0,\"gap_bytes\":%" PRIu64 "}",
			     role, r->gap_bytes);
	if (n > 0 && (size_t)n < cap - *pos)
		*pos += (size_t)n;
}

static void
dump_end(void *arg, uint64_t flow_id, uint8_t orig_ep,
	 const struct fc_event_flow_end *e)
{
	struct app_stream_dump *d = arg;
	char line[1024], a[INET6_ADDRSTRLEN + 1], b[INET6_ADDRSTRLEN + 1];
	int has[2] = { 0, 0 };
	size_t pos;
	int n;

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
	n = snprintf(line, sizeof(line),
		     "{\"flow_id\":%" PRIu64 ",\"orig_h\":\"%s\",\"orig_p\":%u"
		     ",\"resp_h\":\"%s\",\"resp_p\":%u",
		     flow_id, a, e->id.orig_p, b, e->id.resp_p);
	pos = n > 0 ? (size_t)n : 0;
	index_side(line, sizeof(line), &pos, "orig", flow_id, has[0], &e->reasm[0]);
	index_side(line, sizeof(line), &pos, "resp", flow_id, has[1], &e->reasm[1]);
	if (pos + 2 < sizeof(line)) {
		line[pos++] = '}';
		line[pos++] = '\n';
	}
	if (write(d->index_fd, line, pos) != (ssize_t)pos)
		report(d, "write", "streams.ndjson", errno);
	d->st.streams++;
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
