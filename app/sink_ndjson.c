/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NDJSON sink: the native output, one JSON object per line (DESIGN.md
 * "Output contract"), to stdout or a file. Lines are rendered into a
 * 1 MiB buffer and written with write(2) when it fills, on tick and at
 * close, so the cost is one system call per ~3000 events. A failed write
 * is counted (dropped) and reported once on stderr; EPIPE (the reader went
 * away, e.g. `| head`) is returned so the caller can stop. SIGHUP reopens
 * the file (logrotate moved it away).
 *
 * A write that stops inside a line (disk full after a partial write, a
 * file size limit) never leaves a cut line behind: the lines written
 * whole count as written, the cut one and the rest as dropped, and the
 * cut line is taken back off a regular file (truncated to the last whole
 * line). Bytes that reached a pipe or terminal cannot be taken back: the
 * cut line is ended with a newline before the next one (when the reader
 * is still there), so every later line stands alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sink.h"

#define SINK_BUF (1u << 20)
#define SINK_LINE_MAX FC_EVENT_JSON_MAX

struct ndjson {
	int fd;
	int own_fd;              /**< 1 if we opened it (close at the end) */
	char *path;
	char *buf;
	size_t used;
	uint64_t pending;        /**< records in buf */
	int reported;
	int cut;                 /**< a line was cut on a pipe/terminal: end it first */
};

/* Lines ('\n'-terminated) in b[0..n). */
static uint64_t
nd_lines(const char *b, size_t n)
{
	uint64_t lines = 0;
	const char *p = b, *end = b + n;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p++;
	}
	return lines;
}

/*
 * Take back the last `cut` bytes written (a line cut by a failed write).
 * @return 1 if done (a regular file), 0 if they cannot be taken back.
 */
static int
nd_uncut(struct ndjson *d, size_t cut)
{
	struct stat st;
	off_t end;

	if (fstat(d->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	end = lseek(d->fd, 0, SEEK_END);
	if (end < (off_t)cut || ftruncate(d->fd, end - (off_t)cut) != 0)
		return 0;
	/* Without O_APPEND (stdout redirected by a shell) the offset moves back too. */
	lseek(d->fd, end - (off_t)cut, SEEK_SET);
	return 1;
}

static int
nd_flush(struct app_sink *s)
{
	struct ndjson *d = s->priv;
	size_t off = 0;

	if (d->used > 0 && d->cut) {
		/* End the line a failed write cut on a pipe, so this one stands alone. */
		ssize_t n;

		do {
			n = write(d->fd, "\n", 1);
		} while (n < 0 && errno == EINTR);
		if (n == 1)
			d->cut = 0;
	}
	while (off < d->used) {
		ssize_t n = write(d->fd, d->buf + off, d->used - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			size_t whole = off;
			uint64_t done;

			/* Whole lines made it; a cut one is taken back or ended later. */
			while (whole > 0 && d->buf[whole - 1] != '\n')
				whole--;
			if (whole < off && !nd_uncut(d, off - whole))
				d->cut = 1;
			done = nd_lines(d->buf, whole);
			s->written += done;
			s->dropped += d->pending - done;
			if (!d->reported && err != EPIPE)
				fprintf(stderr, "flowscope: %s: write failed: %s\n",
					d->path, strerror(err));
			d->reported = 1;
			d->used = 0;
			d->pending = 0;
			return -err;
		}
		off += (size_t)n;
	}
	s->written += d->pending;
	d->used = 0;
	d->pending = 0;
	if (d->reported && off > 0)
		d->reported = 0;     /* recovered: a new failure is said again */
	return 0;
}

static int
nd_open_fd(struct ndjson *d)
{
	if (strcmp(d->path, "-") == 0) {
		d->fd = STDOUT_FILENO;
		d->own_fd = 0;
		return 0;
	}
	d->fd = open(d->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (d->fd < 0) {
		int err = errno;

		fprintf(stderr, "flowscope: %s: %s\n", d->path, strerror(err));
		return -err;
	}
	d->own_fd = 1;
	return 0;
}

static int
nd_open(struct app_sink *s, const char *target)
{
	struct ndjson *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL || (d->buf = malloc(SINK_BUF)) == NULL ||
	    (d->path = strdup(target)) == NULL) {
		fprintf(stderr, "flowscope: out of memory for the output buffer\n");
		if (d != NULL)
			free(d->buf);
		free(d);
		return -ENOMEM;
	}
	/* A new run starts a new file; reopen (SIGHUP) appends. */
	if (strcmp(target, "-") != 0) {
		int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
	}
	rc = nd_open_fd(d);
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
nd_append(struct app_sink *s, const char *line, size_t len)
{
	struct ndjson *d = s->priv;
	int rc = 0;

	if (len > SINK_BUF)
		return -E2BIG;
	if (d->used + len > SINK_BUF)
		rc = nd_flush(s);
	memcpy(d->buf + d->used, line, len);
	d->used += len;
	d->pending++;
	s->records++;
	return rc;
}

static int
nd_write(struct app_sink *s, const struct fc_event *ev, unsigned int n)
{
	struct ndjson *d = s->priv;
	int rc = 0;

	for (unsigned int i = 0; i < n; i++) {
		int len;

		if (SINK_BUF - d->used < SINK_LINE_MAX) {
			int r = nd_flush(s);

			if (r != 0)
				rc = r;
		}
		s->records++;
		len = fc_event_ndjson(&ev[i], d->buf + d->used, SINK_LINE_MAX);
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
nd_tick(struct app_sink *s, uint64_t now_ns)
{
	(void)now_ns;
	return nd_flush(s);
}

static int
nd_reopen(struct app_sink *s)
{
	struct ndjson *d = s->priv;
	int rc = nd_flush(s);

	if (!d->own_fd)
		return rc;
	close(d->fd);
	d->reported = 0;
	return nd_open_fd(d);
}

static int
nd_close(struct app_sink *s)
{
	struct ndjson *d = s->priv;
	int rc;

	if (d == NULL)
		return 0;
	rc = nd_flush(s);
	if (d->own_fd && d->fd >= 0 && close(d->fd) != 0 && rc == 0)
		rc = -errno;
	free(d->path);
	free(d->buf);
	free(d);
	s->priv = NULL;
	return rc == -EPIPE ? 0 : rc;
}

const struct app_sink_ops app_sink_ndjson_ops = {
	.scheme = "ndjson",
	.usage = "ndjson:-|ndjson:FILE   native NDJSON events (default: ndjson:-, stdout)",
	.open = nd_open,
	.write = nd_write,
	.write_stats = nd_append,
	.tick = nd_tick,
	.reopen = nd_reopen,
	.close = nd_close,
};
