/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the sink unit tests (tests/app/test_sink_*.c): a
 * scratch directory per test binary, whole-file reads, stderr capture,
 * and session messages built field by field through the parser API.
 */
#ifndef SINK_TEST_H
#define SINK_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <fc_event.h>

/** The scratch directory made by sink_test_setup(). */
extern char tmpdir[64];

/** cmocka group setup/teardown: make and remove tmpdir. */
int sink_test_setup(void **state);
int sink_test_teardown(void **state);

/** buf = tmpdir/name. */
void path_of(char *buf, size_t len, const char *name);

/** The whole file, NUL-terminated, malloc'd; its length in *len if len is not NULL. */
void *slurp(const char *path, size_t *len);

/** Run f(arg) with stderr captured into buf (NUL-terminated). */
void capture_stderr(char *buf, size_t len, void (*f)(void *), void *arg);

/** A session message of protocol proto and kind `kind` (by name). */
void sess(struct fc_event *ev, uint64_t flow_id, uint64_t ts, uint8_t proto,
	  const char *kind, uint8_t side);

/** Field id of name in ev's protocol (fails the test if unknown). */
uint8_t fid(const struct fc_event *ev, const char *name);

/** Append a field to a session message (fails the test if it does not fit). */
void put_s(struct fc_event *ev, const char *name, const char *v);
void put_u(struct fc_event *ev, const char *name, uint64_t v);
void put_b(struct fc_event *ev, const char *name, int v);

#endif /* SINK_TEST_H */
