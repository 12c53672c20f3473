/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the NDJSON sink (app/sink_ndjson.c) and of the flow
 * records it renders (flowcore/fc_event.c): flow_end and flow_update
 * lines (an update has no end reason but keeps counters, state, histories
 * and reassembly diagnostics), stats lines, and the write errors: a full
 * device (/dev/full), a reader that went away (closed pipe: -EPIPE), a
 * write cut inside a line on a regular file (the cut line is taken back,
 * whole lines count as written, the rest as dropped) and on a pipe (the
 * cut line is ended before the next one), reopen after logrotate, and
 * the Community ID of the flow records against OpenSSL's SHA-1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include <fc_tcp.h>

#include "sink.h"
#include "sink_test.h"

#define SEC FC_NS_PER_SEC
#define USEC FC_NS_PER_USEC


/* A TCP flow_end with reassembly diagnostics. */
static void
tcp_end(struct fc_event *ev, uint64_t flow_id)
{
	struct fc_event_flow_end *e = &ev->u.end;

	memset(ev, 0, sizeof(*ev));
	ev->type = FC_EV_FLOW_END;
	ev->flow_id = flow_id;
	ev->ts = 1258894089ull * SEC + 534255 * USEC;
	e->id.family = FC_KEY_FAMILY_V4;
	e->id.proto = IPPROTO_TCP;
	assert_int_equal(inet_pton(AF_INET, "10.0.0.1", e->id.orig_h), 1);
	assert_int_equal(inet_pton(AF_INET, "192.168.1.2", e->id.resp_h), 1);
	e->id.orig_p = 40000;
	e->id.resp_p = 80;
	e->first_ts = 1258894080ull * SEC + 100000 * USEC;
	e->last_ts = 1258894083ull * SEC + 99999 * USEC;
	e->is_tcp = 1;
	e->state = FC_TCP_S_CLOSED;
	e->reason = FC_END_FIN;
	e->pkts[0] = 6;
	e->pkts[1] = 5;
	e->bytes[0] = 480;
	e->bytes[1] = 5400;
	e->ip_bytes[0] = 396;
	e->ip_bytes[1] = 5330;
	e->payload_bytes[0] = 100;
	e->payload_bytes[1] = 5000;
	e->seq_bytes[0] = 100;
	e->seq_bytes[1] = 5000;
	e->has_reasm = 1;
	e->reasm[0].delivered = 100;
	e->reasm[1].delivered = 5000;
	e->reasm[1].gap_bytes = 7;
	strcpy(e->conn_state, "SF");
	strcpy(e->history, "ShADadFf");
	strcpy(e->fs_history, "SsDdFf");
}

/* Every line of text ends with '\n' and is a {...} object; returns the line count. */
static unsigned int
check_lines(const char *text)
{
	unsigned int n = 0;
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');

		assert_non_null(nl);
		assert_true(nl > p + 1);
		assert_int_equal(p[0], '{');
		assert_int_equal(nl[-1], '}');
		p = nl + 1;
		n++;
	}
	return n;
}

/*
 * flow_end carries "reason"; flow_update renders the same record without
 * it (the flow has not ended) and keeps counters, state, histories,
 * conn_state and the per-side reassembly diagnostics.
 */
static void
test_ndjson_flow_update(void **state)
{
	struct fc_event ev[2];
	struct app_sink s;
	char path[128], *text, *l2;
	static const char *const kept[] = {
		"\"orig_pkts\":6,", "\"resp_bytes\":5400,", "\"orig_ip_bytes\":396,",
		"\"resp_seq_bytes\":5000,", "\"state\":\"closed\"", "\"history\":\"ShADadFf\"",
		"\"fs_history\":\"SsDdFf\"", "\"conn_state\":\"SF\"", "\"community_id\":\"1:",
		"\"resp_reasm\":{\"delivered\":5000,", "\"gap_bytes\":7,",
		"\"first_ts\":1258894080.100000,", "\"last_ts\":1258894083.099999,",
	};

	(void)state;
	tcp_end(&ev[0], 3);
	ev[1] = ev[0];
	ev[1].type = FC_EV_FLOW_UPDATE;
	ev[1].u.update.reason = FC_END_IDLE;    /* set by the tracker, never shown */
	path_of(path, sizeof(path), "update.ndjson");
	memset(&s, 0, sizeof(s));
	assert_int_equal(app_sink_ndjson_ops.open(&s, path), 0);
	assert_int_equal(app_sink_ndjson_ops.write(&s, ev, 2), 0);
	assert_int_equal(app_sink_ndjson_ops.close(&s), 0);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.written, 2);
	text = slurp(path, NULL);
	assert_int_equal(check_lines(text), 2);
	l2 = strchr(text, '\n') + 1;
	l2[-1] = '\0';
	assert_true(strncmp(text, "{\"type\":\"flow_end\",\"flow_id\":3,", 31) == 0);
	assert_true(strncmp(l2, "{\"type\":\"flow_update\",\"flow_id\":3,", 34) == 0);
	assert_non_null(strstr(text, "\"reason\":\"fin\""));
	assert_null(strstr(l2, "\"reason\""));
	for (unsigned int i = 0; i < FC_DIM(kept); i++) {
		if (strstr(text, kept[i]) == NULL || strstr(l2, kept[i]) == NULL)
			fail_msg("'%s' missing", kept[i]);
	}
	free(text);
}

struct err_case {
	const char *target;
	struct app_sink s;
	int rc_write, rc_tick, rc_close;
	unsigned int n;
};

static void
do_errors(void *arg)
{
	struct err_case *c = arg;
	struct fc_event ev;

	tcp_end(&ev, 1);
	memset(&c->s, 0, sizeof(c->s));
	assert_int_equal(app_sink_ndjson_ops.open(&c->s, c->target), 0);
	c->rc_write = 0;
	for (unsigned int i = 0; i < c->n; i++) {
		int r = app_sink_ndjson_ops.write(&c->s, &ev, 1);

		if (r != 0)
			c->rc_write = r;
	}
	c->rc_tick = app_sink_ndjson_ops.tick(&c->s, 0);
	/* Still failing: counted again, not said again. */
	app_sink_ndjson_ops.write(&c->s, &ev, 1);
	c->rc_close = app_sink_ndjson_ops.close(&c->s);
}

/* /dev/full: every record dropped, one message naming the file, the sink goes on. */
static void
test_ndjson_dev_full(void **state)
{
	struct err_case c = { .target = "/dev/full", .n = 5000 };
	char err[1024];

	(void)state;
	capture_stderr(err, sizeof(err), do_errors, &c);
	/* 5000 lines overflow the 1 MiB buffer once: the write path sees the error too. */
	assert_int_equal(c.rc_write, -ENOSPC);
	assert_int_equal(c.rc_tick, -ENOSPC);
	assert_int_equal(c.rc_close, -ENOSPC);
	assert_int_equal(c.s.records, 5001);
	assert_int_equal(c.s.written, 0);
	assert_int_equal(c.s.dropped, 5001);
	assert_non_null(strstr(err, "flowscope: /dev/full: write failed: No space left on device\n"));
	assert_null(strstr(strstr(err, "write failed") + 1, "write failed"));
}

/* A closed pipe: -EPIPE so the run stops, records dropped, nothing said. */
static void
test_ndjson_epipe(void **state)
{
	struct err_case c = { .target = "-", .n = 3 };
	char err[1024];
	int p[2], saved;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	capture_stderr(err, sizeof(err), do_errors, &c);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(p[1]);
	assert_int_equal(c.rc_write, 0);
	assert_int_equal(c.rc_tick, -EPIPE);
	assert_int_equal(c.rc_close, 0);       /* the reader's choice, not an error */
	assert_int_equal(c.s.records, 4);
	assert_int_equal(c.s.dropped, 4);
	assert_string_equal(err, "");
}

struct partial_case {
	struct app_sink s;
	char path[128];
	rlim_t limit;
	int rc_tick;
};

static void
do_partial(void *arg)
{
	struct partial_case *c = arg;
	struct fc_event ev[10];
	struct rlimit old, lim;

	for (int i = 0; i < 10; i++)
		tcp_end(&ev[i], (uint64_t)i + 1);
	memset(&c->s, 0, sizeof(c->s));
	assert_int_equal(app_sink_ndjson_ops.open(&c->s, c->path), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = c->limit;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	app_sink_ndjson_ops.write(&c->s, ev, 10);
	c->rc_tick = app_sink_ndjson_ops.tick(&c->s, 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	ev[0].flow_id = 99;
	app_sink_ndjson_ops.write(&c->s, ev, 1);
	assert_int_equal(app_sink_ndjson_ops.close(&c->s), 0);
}

/*
 * A write that stops inside the third line of a regular file: the two
 * whole lines count as written, the cut one and the rest as dropped, the
 * cut bytes are taken off the file, and the next record follows whole.
 */
static void
test_ndjson_partial_write_file(void **state)
{
	struct partial_case c;
	struct fc_event ev;
	char err[1024], line[2048], *text;
	size_t len, llen;

	(void)state;
	tcp_end(&ev, 1);
	llen = (size_t)fc_event_ndjson(&ev, line, sizeof(line));
	assert_true(llen > 100);
	path_of(c.path, sizeof(c.path), "partial.ndjson");
	c.limit = 2 * llen + llen / 2;
	capture_stderr(err, sizeof(err), do_partial, &c);
	assert_int_equal(c.rc_tick, -EFBIG);
	assert_int_equal(c.s.records, 11);
	assert_int_equal(c.s.written, 3);
	assert_int_equal(c.s.dropped, 8);
	assert_non_null(strstr(err, "partial.ndjson: write failed: File too large\n"));
	text = slurp(c.path, &len);
	assert_int_equal(check_lines(text), 3);
	assert_true(strncmp(text, "{\"type\":\"flow_end\",\"flow_id\":1,", 31) == 0);
	assert_non_null(strstr(text, "\n{\"type\":\"flow_end\",\"flow_id\":2,"));
	assert_non_null(strstr(text, "\n{\"type\":\"flow_end\",\"flow_id\":99,"));
	assert_null(strstr(text, "\"flow_id\":3,"));
	free(text);
}

/*
 * The same cut on a pipe (a non-blocking one that fills up): what reached
 * the reader cannot be taken back, so the cut line is ended with a newline
 * before the next record, which stands on its own line.
 */
static void
test_ndjson_partial_write_pipe(void **state)
{
	enum { N = 200 };
	struct fc_event *ev = calloc(N, sizeof(*ev));
	struct app_sink s;
	int p[2], saved, fl, rc;
	char *got = malloc(1u << 20);
	size_t n = 0;
	ssize_t r;
	unsigned int whole = 0, cut = 0;
	const char *q;

	(void)state;
	assert_non_null(ev);
	assert_non_null(got);
	for (unsigned int i = 0; i < N; i++)
		tcp_end(&ev[i], i + 1);
	assert_int_equal(pipe(p), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
	fl = fcntl(p[1], F_GETFL);
	assert_int_equal(fcntl(p[1], F_SETFL, fl | O_NONBLOCK), 0);
	fl = fcntl(p[0], F_GETFL);
	assert_int_equal(fcntl(p[0], F_SETFL, fl | O_NONBLOCK), 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	memset(&s, 0, sizeof(s));
	assert_int_equal(app_sink_ndjson_ops.open(&s, "-"), 0);
	assert_int_equal(app_sink_ndjson_ops.write(&s, ev, N), 0);
	rc = app_sink_ndjson_ops.tick(&s, 0);      /* the pipe takes a few KiB only */
	assert_int_equal(rc, -EAGAIN);
	while ((r = read(p[0], got + n, (1u << 20) - n)) > 0)
		n += (size_t)r;
	/* The reader drained the pipe: the next record starts a line of its own. */
	ev[0].flow_id = 4242;
	assert_int_equal(app_sink_ndjson_ops.write(&s, ev, 1), 0);
	assert_int_equal(app_sink_ndjson_ops.tick(&s, 0), 0);
	while ((r = read(p[0], got + n, (1u << 20) - n)) > 0)
		n += (size_t)r;
	assert_int_equal(app_sink_ndjson_ops.close(&s), 0);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(p[1]);
	close(p[0]);
	got[n] = '\0';
	/* Lines are whole records, except one cut line, itself ended by '\n'. */
	for (q = got; *q != '\0';) {
		const char *nl = strchr(q, '\n');

		assert_non_null(nl);
		if (nl[-1] == '}')
			whole++;
		else
			cut++;
		q = nl + 1;
	}
	assert_int_equal(cut, 1);
	assert_true(whole >= 2);
	assert_non_null(strstr(got, "\n{\"type\":\"flow_end\",\"flow_id\":4242,"));
	assert_int_equal(s.records, N + 1);
	assert_int_equal(s.written, whole);
	assert_int_equal(s.dropped, N + 1 - whole);
	free(got);
	free(ev);
}

/* SIGHUP after logrotate moved the file: later records go to a new file. */
static void
test_ndjson_reopen(void **state)
{
	struct fc_event ev;
	struct app_sink s;
	char path[128], moved[160], *a, *b;

	(void)state;
	tcp_end(&ev, 1);
	path_of(path, sizeof(path), "rot.ndjson");
	snprintf(moved, sizeof(moved), "%s.1", path);
	memset(&s, 0, sizeof(s));
	assert_int_equal(app_sink_ndjson_ops.open(&s, path), 0);
	assert_int_equal(app_sink_ndjson_ops.write(&s, &ev, 1), 0);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(app_sink_ndjson_ops.reopen(&s), 0);
	ev.flow_id = 2;
	assert_int_equal(app_sink_ndjson_ops.write(&s, &ev, 1), 0);
	assert_int_equal(app_sink_ndjson_ops.write_stats(&s, "{\"type\":\"stats\"}\n", 17), 0);
	assert_int_equal(app_sink_ndjson_ops.close(&s), 0);
	a = slurp(moved, NULL);
	b = slurp(path, NULL);
	assert_int_equal(check_lines(a), 1);
	assert_int_equal(check_lines(b), 2);
	assert_non_null(strstr(a, "\"flow_id\":1,"));
	assert_non_null(strstr(b, "\"flow_id\":2,"));
	assert_non_null(strstr(b, "\n{\"type\":\"stats\"}\n"));
	assert_int_equal(s.records, 3);
	assert_int_equal(s.written, 3);
	free(a);
	free(b);
}

/*
 * Community ID v1 of random identities (IPv4/IPv6; TCP, UDP, SCTP and a
 * protocol without ports; both endpoint orders) equals a reference built
 * here with OpenSSL's SHA-1, and a vector from the specification.
 */
static void
test_community_id(void **state)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, 47 };
	struct fc_event_flow_id id;
	char got[40], want[40];
	uint64_t x = 88172645463325252ull;

	(void)state;
	/* The specification's example: TCP 128.232.110.120:34855 -> 66.35.250.204:80. */
	memset(&id, 0, sizeof(id));
	id.family = FC_KEY_FAMILY_V4;
	id.proto = IPPROTO_TCP;
	assert_int_equal(inet_pton(AF_INET, "128.232.110.120", id.orig_h), 1);
	assert_int_equal(inet_pton(AF_INET, "66.35.250.204", id.resp_h), 1);
	id.orig_p = 34855;
	id.resp_p = 80;
	assert_int_equal(fc_community_id(&id, got, sizeof(got)), 0);
	assert_string_equal(got, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	for (unsigned int it = 0; it < 20000; it++) {
		uint8_t in[40], md[EVP_MAX_MD_SIZE];
		unsigned int alen, mdlen = 0, n = 0, o = 0;
		const uint8_t *sa, *da;
		uint16_t sp, dp;
		int ports, c;

		memset(&id, 0, sizeof(id));
		for (unsigned int i = 0; i < 16; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			id.orig_h[i] = (uint8_t)x;
			id.resp_h[i] = (uint8_t)(x >> 8);
			if (it % 7 == 0)
				id.resp_h[i] = id.orig_h[i];     /* same address: ports decide */
		}
		id.family = it % 2 ? FC_KEY_FAMILY_V6 : FC_KEY_FAMILY_V4;
		id.proto = protos[(x >> 20) % FC_DIM(protos)];
		id.orig_p = (uint16_t)(x >> 32);
		id.resp_p = (uint16_t)(x >> 48);
		ports = id.proto != 47;
		alen = id.family == FC_KEY_FAMILY_V4 ? 4 : 16;
		sa = id.orig_h;
		da = id.resp_h;
		sp = ports ? id.orig_p : 0;
		dp = ports ? id.resp_p : 0;
		c = memcmp(sa, da, alen);
		if (c > 0 || (c == 0 && sp > dp)) {
			const uint8_t *t = sa;
			uint16_t tp = sp;

			sa = da;
			da = t;
			sp = dp;
			dp = tp;
		}
		in[n++] = 0;
		in[n++] = 0;
		memcpy(in + n, sa, alen);
		n += alen;
		memcpy(in + n, da, alen);
		n += alen;
		in[n++] = id.proto;
		in[n++] = 0;
		if (ports) {
			in[n++] = (uint8_t)(sp >> 8);
			in[n++] = (uint8_t)sp;
			in[n++] = (uint8_t)(dp >> 8);
			in[n++] = (uint8_t)dp;
		}
		assert_int_equal(EVP_Digest(in, n, md, &mdlen, EVP_sha1(), NULL), 1);
		want[o++] = '1';
		want[o++] = ':';
		for (unsigned int i = 0; i < 20; i += 3) {
			uint32_t v = (uint32_t)md[i] << 16 | (i + 1 < 20 ? (uint32_t)md[i + 1] << 8 : 0) |
				     (i + 2 < 20 ? md[i + 2] : 0);

			want[o++] = b64[v >> 18 & 63];
			want[o++] = b64[v >> 12 & 63];
			want[o++] = i + 1 < 20 ? b64[v >> 6 & 63] : '=';
			want[o++] = i + 2 < 20 ? b64[v & 63] : '=';
		}
		want[o] = '\0';
		assert_int_equal(fc_community_id(&id, got, sizeof(got)), 0);
		if (strcmp(got, want) != 0)
			fail_msg("case %u: %s, reference %s", it, got, want);
	}
}

/*
 * Each SHA-1 implementation behind the Community ID against OpenSSL's, on
 * every message length one block holds (0..55) with varied bytes; the x86
 * one where this CPU has the SHA extensions (said when it does not).
 */
static void
test_sha1_impls(void **state)
{
	static const enum fc_sha1_impl impls[] = { FC_SHA1_PORTABLE, FC_SHA1_X86, FC_SHA1_AUTO };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint8_t msg[56], got[20], want[EVP_MAX_MD_SIZE];

	(void)state;
	for (unsigned int k = 0; k < FC_DIM(impls); k++) {
		if (impls[k] == FC_SHA1_X86 &&
		    fc_sha1_block("", 0, got, FC_SHA1_X86) == -ENOTSUP) {
			print_message("no x86 SHA extensions here: only the portable SHA-1 checked\n");
			continue;
		}
		for (unsigned int rep = 0; rep < 200; rep++)
			for (unsigned int n = 0; n <= 55; n++) {
				unsigned int mdlen = 0;

				for (unsigned int i = 0; i < n; i++) {
					x ^= x << 13;
					x ^= x >> 7;
					x ^= x << 17;
					msg[i] = (uint8_t)(rep == 0 ? 0xff : x);
				}
				assert_int_equal(fc_sha1_block(msg, n, got, impls[k]), 0);
				assert_int_equal(EVP_Digest(msg, n, want, &mdlen, EVP_sha1(), NULL), 1);
				if (memcmp(got, want, 20) != 0)
					fail_msg("implementation %d, %u bytes, round %u: digests differ",
						 (int)impls[k], n, rep);
			}
	}
	assert_int_equal(fc_sha1_block(msg, 56, got, FC_SHA1_PORTABLE), -EINVAL);
}

/*
 * The decimal writers against snprintf: every power of ten and its
 * neighbours up to UINT64_MAX, and seconds with microseconds.
 */
static void
test_decimal_writers(void **state)
{
	char got[64], want[64];
	uint64_t p = 1;

	(void)state;
	for (int k = 0; k <= 20; k++) {
		uint64_t vs[3] = { p - 1, p, p + 1 };

		for (int i = 0; i < 3; i++) {
			struct fc_lw w = { .buf = got, .len = sizeof(got) };

			fc_lw_u64(&w, vs[i]);
			snprintf(want, sizeof(want), "%" PRIu64, vs[i]);
			assert_false(w.overflow);
			assert_int_equal(fc_event_u64_len(vs[i]), strlen(want));
			assert_string_equal(got, want);
		}
		if (k == 19) {
			p = UINT64_MAX; /* then UINT64_MAX - 1, UINT64_MAX, 0 */
			continue;
		}
		p *= 10;
	}
	for (uint64_t us = 0; us < 1000000; us += 999) {
		struct fc_lw w = { .buf = got, .len = sizeof(got) };
		uint64_t ns = 1700000000ull * 1000000000ull + us * 1000 + 999;

		fc_lw_secs(&w, ns);
		snprintf(want, sizeof(want), "1700000000.%06" PRIu64, us);
		assert_string_equal(got, want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ndjson_flow_update),
		cmocka_unit_test(test_sha1_impls),
		cmocka_unit_test(test_decimal_writers),
		cmocka_unit_test(test_community_id),
		cmocka_unit_test(test_ndjson_dev_full),
		cmocka_unit_test(test_ndjson_epipe),
		cmocka_unit_test(test_ndjson_partial_write_file),
		cmocka_unit_test(test_ndjson_partial_write_pipe),
		cmocka_unit_test(test_ndjson_reopen),
	};

	return cmocka_run_group_tests(tests, sink_test_setup, sink_test_teardown);
}
