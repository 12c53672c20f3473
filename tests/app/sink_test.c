/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the sink unit tests (sink_test.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <fc_l7.h>

#include "sink.h"
#include "sink_test.h"

char tmpdir[64];

int
sink_test_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fc-sinktest-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

int
sink_test_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

void
path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

void *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return s;
}

void
capture_stderr(char *buf, size_t len, void (*f)(void *), void *arg)
{
	int saved, p[2];
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	f(arg);
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(p[0]);
}

void
sess(struct fc_event *ev, uint64_t flow_id, uint64_t ts, uint8_t proto,
     const char *kind, uint8_t side)
{
	int k = app_l7_kind(proto, kind);

	assert_true(k >= 0);
	memset(ev, 0, sizeof(*ev));
	ev->type = FC_EV_SESSION;
	ev->flow_id = flow_id;
	ev->ts = ts;
	ev->u.session.proto = proto;
	ev->u.session.side = side;
	ev->u.session.kind = (uint8_t)k;
}

uint8_t
fid(const struct fc_event *ev, const char *name)
{
	int f = app_l7_field(ev->u.session.proto, name);

	if (f < 0)
		fail_msg("no field %s", name);
	return (uint8_t)f;
}

void
put_s(struct fc_event *ev, const char *name, const char *v)
{
	struct fc_l7_msg m = { .s = &ev->u.session };

	assert_int_equal(fc_l7_put_str(&m, fid(ev, name), v, strlen(v)), 0);
}

void
put_u(struct fc_event *ev, const char *name, uint64_t v)
{
	struct fc_l7_msg m = { .s = &ev->u.session };

	assert_int_equal(fc_l7_put_u64(&m, fid(ev, name), v), 0);
}

void
put_b(struct fc_event *ev, const char *name, int v)
{
	struct fc_l7_msg m = { .s = &ev->u.session };

	assert_int_equal(fc_l7_put_bool(&m, fid(ev, name), v), 0);
}
