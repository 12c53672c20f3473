/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of fc_table: insert/lookup/delete, capacity, the timer wheel
 * (exact expiry second, refreshed flows re-filed, bounded work per call,
 * clock jumps beyond the wheel span), eviction preference and iteration.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rte_memory.h>

#include <fc_table.h>

#include "eal.h"

#define SEC FC_NS_PER_SEC

static void
key_n(struct fc_flow_key *k, uint32_t n)
{
	memset(k, 0, sizeof(*k));
	k->family = FC_KEY_FAMILY_V4;
	k->proto = 17;
	memcpy(k->addr[0], &n, sizeof(n));
	k->port[0] = 1;
	k->port[1] = 2;
}

static struct fc_table *
mk(const char *name, uint32_t entries)
{
	struct fc_table_params p = { .name = name, .entries = entries,
				     .socket_id = SOCKET_ID_ANY };
	struct fc_table *t = fc_table_create(&p);

	assert_non_null(t);
	return t;
}

/* Insert a flow with key n at time ts (s) and timeout (s), filed. */
static int32_t
add_flow(struct fc_table *t, uint32_t n, uint64_t ts_s, uint16_t timeout,
	 uint8_t flags)
{
	struct fc_flow_key k;
	struct fc_flow *f;
	int32_t pos;

	key_n(&k, n);
	pos = fc_table_add(t, &k, fc_key_hash(&k));
	if (pos < 0)
		return pos;
	f = fc_table_flow(t, pos);
	f->first_ts = f->last_ts = ts_s * SEC;
	f->timeout_s = timeout;
	f->flags |= flags;
	fc_table_arm(t, pos);
	return pos;
}

/* add -> lookup hit -> del -> lookup miss; count follows. */
static void
test_table_add_lookup_del(void **state)
{
	struct fc_table *t = mk("t_basic", 64);
	struct fc_flow_key k;
	int32_t pos;

	(void)state;
	pos = add_flow(t, 7, 100, 30, 0);
	assert_true(pos >= 0);
	assert_int_equal(fc_table_count(t), 1);
	key_n(&k, 7);
	assert_int_equal(fc_table_lookup(t, &k, fc_key_hash(&k)), pos);
	assert_non_null(fc_table_key(t, pos));
	fc_table_del(t, pos);
	assert_int_equal(fc_table_count(t), 0);
	assert_int_equal(fc_table_lookup(t, &k, fc_key_hash(&k)), FC_TABLE_MISS);
	assert_null(fc_table_key(t, pos));
	fc_table_free(t);
	fc_table_free(NULL);
}

/* Bulk lookup of a mix of present and absent keys. */
static void
test_table_lookup_bulk_mixed(void **state)
{
	struct fc_table *t = mk("t_bulk", 256);
	struct fc_flow_key keys[40];
	const struct fc_flow_key *kp[40];
	uint32_t h[40];
	int32_t pos[40], want[40];
	unsigned int i;

	(void)state;
	for (i = 0; i < 40; i++) {
		want[i] = (i % 3 == 0) ? add_flow(t, i, 1, 30, 0) : FC_TABLE_MISS;
		key_n(&keys[i], i);
		kp[i] = &keys[i];
		h[i] = fc_key_hash(&keys[i]);
	}
	fc_table_lookup_bulk(t, kp, h, 40, pos);
	for (i = 0; i < 40; i++)
		assert_int_equal(pos[i], want[i]);
	fc_table_free(t);
}

/* Capacity is exact: the next insert reports -ENOSPC. */
static void
test_table_full_enospc(void **state)
{
	struct fc_table *t = mk("t_full", 100);
	uint32_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		assert_true(add_flow(t, i, 1, 30, 0) >= 0);
	assert_int_equal(add_flow(t, 1000, 1, 30, 0), -ENOSPC);
	assert_int_equal(fc_table_capacity(t), 100);
	assert_true(fc_table_memory(t) > 100 * sizeof(struct fc_flow));
	fc_table_free(t);
}

/* A flow expires at exactly last_ts + timeout, not a second before. */
static void
test_table_expire_exact_second(void **state)
{
	struct fc_table *t = mk("t_exact", 64);
	int32_t out[8];
	int32_t pos;

	(void)state;
	pos = add_flow(t, 1, 1000, 60, 0);
	assert_int_equal(fc_table_expire(t, 1059 * SEC + SEC - 1, 10000, out, 8), 0);
	assert_int_equal(fc_table_expire(t, 1060 * SEC, 10000, out, 8), 1);
	assert_int_equal(out[0], pos);
	fc_table_free(t);
}

/* A flow refreshed by packets is re-filed, not expired. */
static void
test_table_refreshed_flow_refiled(void **state)
{
	struct fc_table *t = mk("t_refresh", 64);
	int32_t out[8];
	int32_t pos;

	(void)state;
	pos = add_flow(t, 1, 1000, 60, 0);
	fc_table_flow(t, pos)->last_ts = 1050 * SEC; /* a packet, no re-arm */
	assert_int_equal(fc_table_expire(t, 1060 * SEC, 10000, out, 8), 0);
	assert_int_equal(fc_table_expire(t, 1109 * SEC, 10000, out, 8), 0);
	assert_int_equal(fc_table_expire(t, 1110 * SEC, 10000, out, 8), 1);
	fc_table_free(t);
}

/* Work per call is bounded; repeated calls finish the job. */
static void
test_table_expire_budget_bounded(void **state)
{
	struct fc_table *t = mk("t_budget", 1024);
	int32_t out[1024];
	unsigned int i, n, total = 0, calls = 0;

	(void)state;
	for (i = 0; i < 500; i++)
		add_flow(t, i, 10, 5, 0);
	while ((n = fc_table_expire(t, 100 * SEC, 32, out, 1024)) > 0 ||
	       total < 500) {
		assert_true(n <= 32);
		total += n;
		for (i = 0; i < n; i++)
			fc_table_del(t, out[i]);
		assert_true(++calls < 1000);
	}
	assert_int_equal(total, 500);
	assert_int_equal(fc_table_count(t), 0);
	fc_table_free(t);
}

/* A clock jump of a year still expires every flow within bounded calls. */
static void
test_table_clock_jump_beyond_wheel(void **state)
{
	struct fc_table *t = mk("t_jump", 256);
	int32_t out[256];
	unsigned int i, n, total = 0, calls = 0;

	(void)state;
	for (i = 0; i < 100; i++)
		add_flow(t, i, 1000 + i * 37, (uint16_t)(30 + i * 200), 0);
	do {
		n = fc_table_expire(t, 1000 * SEC + 365ull * 86400 * SEC, 512,
				    out, 256);
		for (i = 0; i < n; i++)
			fc_table_del(t, out[i]);
		total += n;
		assert_true(++calls < 100);
	} while (total < 100);
	assert_int_equal(fc_table_count(t), 0);
	fc_table_free(t);
}

/* Timeouts longer than the wheel span wait in the last slot and re-file. */
static void
test_table_timeout_longer_than_wheel(void **state)
{
	struct fc_table *t = mk("t_long", 64);
	int32_t out[8];
	uint64_t s;
	unsigned int got = 0;

	(void)state;
	add_flow(t, 1, 0, 20000, 0);
	for (s = 0; s < 19999; s += 500)
		got += fc_table_expire(t, s * SEC, 100000, out, 8);
	assert_int_equal(got, 0);
	assert_int_equal(fc_table_expire(t, 20000 * SEC, 100000, out, 8), 1);
	fc_table_free(t);
}

/* Eviction picks the embryonic flow even when an established one is older. */
static void
test_table_evict_prefers_embryonic(void **state)
{
	struct fc_table *t = mk("t_evict", 64);
	int32_t old_est, young_emb;

	(void)state;
	old_est = add_flow(t, 1, 100, 300, 0);
	add_flow(t, 2, 150, 300, 0);
	young_emb = add_flow(t, 3, 390, 30, FC_FLOW_F_EMBRYONIC);
	assert_int_equal(fc_table_evict_candidate(t, 64), young_emb);
	fc_table_del(t, young_emb);
	/* without embryonic flows: the soonest true expiry */
	assert_int_equal(fc_table_evict_candidate(t, 64), old_est);
	fc_table_free(t);
}

/* Iteration visits every flow once; deleting while iterating is safe. */
static void
test_table_iterate_and_delete(void **state)
{
	struct fc_table *t = mk("t_iter", 128);
	uint32_t iter = 0, seen = 0;
	int32_t pos;
	unsigned int i;

	(void)state;
	for (i = 0; i < 50; i++)
		add_flow(t, i, 1, 30, 0);
	while ((pos = fc_table_iterate(t, &iter)) != FC_TABLE_MISS) {
		fc_table_del(t, pos);
		seen++;
	}
	assert_int_equal(seen, 50);
	assert_int_equal(fc_table_count(t), 0);
	fc_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_add_lookup_del),
		cmocka_unit_test(test_table_lookup_bulk_mixed),
		cmocka_unit_test(test_table_full_enospc),
		cmocka_unit_test(test_table_expire_exact_second),
		cmocka_unit_test(test_table_refreshed_flow_refiled),
		cmocka_unit_test(test_table_expire_budget_bounded),
		cmocka_unit_test(test_table_clock_jump_beyond_wheel),
		cmocka_unit_test(test_table_timeout_longer_than_wheel),
		cmocka_unit_test(test_table_evict_prefers_embryonic),
		cmocka_unit_test(test_table_iterate_and_delete),
	};

	return cmocka_run_group_tests(tests, fctest_eal_setup,
				      fctest_eal_teardown);
}
