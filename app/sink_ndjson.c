/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NDJSON sink: the native output, one JSON object per line (DESIGN.md
 * "Output contract"), to stdout or a file. Lines are rendered into a
 * 1 MiB buffer and written with write(2) when it fills and at close, so
 * the cost is one system call per ~3000 events. A failed write is counted
 * and reported once on stderr; EPIPE (the reader went away, e.g. `| head`)
 * is returned so the caller can stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"

#define SINK_BUF (1u << 20)
#define SINK_LINE_MAX 4096

struct app_sink {
	int fd;
	int own_fd;              /**< 1 if we opened it (close at the end) */
	char *path;
	char *buf;
	size_t used;
	uint64_t written;        /**< records handed to the sink */
	uint64_t errors;         /**< records lost to write errors */
	uint64_t pending;        /**< records in buf */
	int reported;
};

static int
sink_flush(struct app_sink *s)
{
	size_t off = 0;

	while (off < s->used) {
		ssize_t n = write(s->fd, s->buf + off, s->used - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			s->errors += s->pending;
			if (!s->reported && err != EPIPE)
				fprintf(stderr, "flowscope: %s: write failed: %s\n",
					s->path, strerror(err));
			s->reported = 1;
			s->used = 0;
			s->pending = 0;
			return -err;
		}
		off += (size_t)n;
	}
	s->used = 0;
	s->pending = 0;
	return 0;
}

struct app_sink *
app_sink_open(const char *spec)
{
	const char *path = spec + strlen("ndjson:");
	struct app_sink *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->buf = malloc(SINK_BUF)) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		fprintf(stderr, "flowscope: out of memory for the output buffer\n");
		if (s != NULL) {
			free(s->buf);
			free(s);
		}
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		s->fd = STDOUT_FILENO;
	} else {
		s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->fd < 0) {
			fprintf(stderr, "flowscope: %s: %s\n", path, strerror(errno));
			free(s->path);
			free(s->buf);
			free(s);
			return NULL;
		}
		s->own_fd = 1;
	}
	return s;
}

int
app_sink_write_raw(struct app_sink *s, const char *line, size_t len)
{
	int rc = 0;

	if (s->used + len > SINK_BUF)
		rc = sink_flush(s);
	if (len > SINK_BUF)
		return -E2BIG;
	memcpy(s->buf + s->used, line, len);
	s->used += len;
	s->pending++;
	s->written++;
	return rc;
}

int
app_sink_write(struct app_sink *s, const struct fc_event *ev, unsigned int n)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		int len;

		if (SINK_BUF - s->used < SINK_LINE_MAX) {
			int r = sink_flush(s);

			if (r != 0)
				rc = r;
		}
		len = fc_event_ndjson(&ev[i], s->buf + s->used, SINK_LINE_MAX);
		if (len < 0) {
			s->errors++;
			continue;
		}
		s->used += (size_t)len;
		s->pending++;
		s->written++;
	}
	return rc;
}

uint64_t
app_sink_written(const struct app_sink *s)
{
	return s->written;
}

uint64_t
app_sink_errors(const struct app_sink *s)
{
	return s->errors;
}

int
app_sink_close(struct app_sink *s)
{
	int rc;

	if (s == NULL)
		return 0;
	rc = sink_flush(s);
	if (s->own_fd && close(s->fd) != 0 && rc == 0)
		rc = -errno;
	free(s->path);
	free(s->buf);
	free(s);
	return rc == -EPIPE ? 0 : rc;
}
