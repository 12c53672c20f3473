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

/* The timeouts every test table knows (index = position). */
static const uint16_t tmo_list[FC_TABLE_TIMEOUTS] = {
	5, 30, 60, 300, 20000, 230, 630, 1030, 1430, 1830, 2230, 2630, 3030,
	3430, 3830, 4230,
};

static unsigned int
tmo_index(uint16_t v)
{
	unsigned int i;

	for (i = 0; i < FC_TABLE_TIMEOUTS; i++)
		if (tmo_list[i] == v)
			return i;
	fail_msg("timeout %u not in the test list", v);
	return 0;
}

static struct fc_table *
mk_ext(const char *name, uint32_t entries, uint32_t ext)
{
	struct fc_table_params p = { .name = name, .entries = entries,
				     .ext_entries = ext,
				     .socket_id = SOCKET_ID_ANY };
	struct fc_table *t;

	memcpy(p.timeouts, tmo_list, sizeof(p.timeouts));
	t = fc_table_create(&p);
	assert_non_null(t);
	return t;
}

static struct fc_table *
mk(const char *name, uint32_t entries)
{
	return mk_ext(name, entries, 0);
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
	fc_flow_set_first_us(f, ts_s * 1000000);
	fc_flow_set_tmo(f, tmo_index(timeout));
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
	/* a packet, no re-arm */
	fc_flow_set_last_us(fc_table_flow(t, pos), 1050 * 1000000ull);
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
		add_flow(t, i, 1000 + i * 37, tmo_list[i % FC_TABLE_TIMEOUTS], 0);
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

/*
 * A SYN flood does not push established flows out: with many established
 * flows filed for sooner expiry than the embryonic ones, eviction still
 * takes embryonic flows, oldest first, and closed flows before those.
 */
static void
test_table_evict_classes(void **state)
{
	struct fc_table *t = mk("t_classes", 1024);
	int32_t first_emb = -1, closed, victim;
	unsigned int i;

	(void)state;
	for (i = 0; i < 300; i++)
		add_flow(t, i, 100, 5, 0);        /* established, expiring at 105 */
	for (i = 0; i < 500; i++) {
		int32_t p = add_flow(t, 1000 + i, 101 + i / 100, 30,
				     FC_FLOW_F_EMBRYONIC);

		if (first_emb < 0)
			first_emb = p;
	}
	victim = fc_table_evict_candidate(t, 64);
	assert_true(fc_table_flow(t, victim)->flags & FC_FLOW_F_EMBRYONIC);
	assert_int_equal(fc_table_expiry_s(t, fc_table_flow(t, victim)), 131);
	closed = add_flow(t, 5000, 104, 60, FC_FLOW_F_CLOSED);
	assert_int_equal(fc_table_evict_candidate(t, 64), closed);
	fc_table_del(t, closed);
	/* Embryonic flows gone: the established flow nearest expiry. */
	for (i = 0; i < 500; i++) {
		struct fc_flow_key k;

		key_n(&k, 1000 + i);
		fc_table_del(t, fc_table_lookup(t, &k, fc_key_hash(&k)));
	}
	victim = fc_table_evict_candidate(t, 64);
	assert_int_equal(fc_table_flow(t, victim)->flags & FC_FLOW_F_EMBRYONIC, 0);
	/* A flow that became established is filed with the established ones. */
	victim = add_flow(t, 9000, 200, 30, FC_FLOW_F_EMBRYONIC);
	fc_table_flow(t, victim)->flags &= (uint8_t)~FC_FLOW_F_EMBRYONIC;
	fc_flow_set_tmo(fc_table_flow(t, victim), tmo_index(300));
	fc_table_arm(t, victim);
	assert_true(fc_table_evict_candidate(t, 64) != victim);
	fc_table_free(t);
}

/* Extensions: taken on demand, zeroed, one per flow, returned on delete. */
static void
test_table_extension_pool(void **state)
{
	struct fc_table *t = mk_ext("t_ext", 64, 2);
	struct fc_flow_ext *x;
	int32_t a, b, c;

	(void)state;
	a = add_flow(t, 1, 10, 30, 0);
	b = add_flow(t, 2, 10, 30, 0);
	c = add_flow(t, 3, 10, 30, 0);
	assert_null(fc_table_ext(t, fc_table_flow(t, a)));
	x = fc_table_ext_get(t, fc_table_flow(t, a));
	assert_non_null(x);
	x->tunnel_id = 7;
	assert_ptr_equal(fc_table_ext_get(t, fc_table_flow(t, a)), x);
	assert_ptr_equal(fc_table_ext(t, fc_table_flow(t, a)), x);
	assert_non_null(fc_table_ext_get(t, fc_table_flow(t, b)));
	assert_null(fc_table_ext_get(t, fc_table_flow(t, c)));
	assert_int_equal(fc_table_stats(t)->ext_full, 1);
	assert_int_equal(fc_table_stats(t)->ext_used, 2);
	fc_table_del(t, a);
	assert_int_equal(fc_table_stats(t)->ext_used, 1);
	x = fc_table_ext_get(t, fc_table_flow(t, c));
	assert_non_null(x);
	assert_int_equal(x->tunnel_id, 0);
	assert_int_equal(fc_table_stats(t)->ext_high, 2);
	fc_table_free(t);
}

/* Records are 128 bytes; counters carry into 48 bits; times keep microseconds. */
static void
test_table_record_layout(void **state)
{
	struct fc_table *t = mk("t_rec", 64);
	struct fc_flow *f;
	int32_t pos;

	(void)state;
	assert_int_equal(sizeof(struct fc_flow), 128);
	assert_int_equal(sizeof(struct fc_flow_ext), 64);
	pos = add_flow(t, 1, 10, 30, 0);
	f = fc_table_flow(t, pos);
	f->ctr[1].lo[FC_CTR_BYTES] = UINT32_MAX - 10;
	fc_flow_count(f, 1, 20, 6, 0);
	assert_int_equal(fc_flow_ctr(f, 1, FC_CTR_BYTES), (1ull << 32) + 9);
	assert_int_equal(fc_flow_ctr(f, 1, FC_CTR_PKTS), 1);
	assert_int_equal(fc_flow_ctr(f, 1, FC_CTR_IP), 6);
	assert_int_equal(fc_flow_ctr(f, 0, FC_CTR_PKTS), 0);
	/* Times: the first since the Unix epoch, the last after it; years apart fit. */
	fc_flow_set_first_us(f, 1700000000123456ull);
	assert_int_equal(fc_flow_last_us(f), 1700000000123456ull);
	fc_flow_set_last_us(f, 1800000000654321ull);
	assert_int_equal(fc_flow_first_us(f), 1700000000123456ull);
	assert_int_equal(fc_flow_last_us(f), 1800000000654321ull);
	/* A time before the first counts as the first; the flags are untouched. */
	f->flags = 0xa5;
	fc_flow_set_port_override(f, 9);
	fc_flow_set_last_us(f, 1600000000000000ull);
	assert_int_equal(fc_flow_last_us(f), 1700000000123456ull);
	assert_int_equal(f->flags, 0xa5);
	assert_int_equal(fc_flow_port_override(f), 9);
	assert_int_equal(fc_flow_first_us(f), 1700000000123456ull);
	f->flags = 0;
	fc_flow_set_vlan(f, 4094);
	fc_flow_set_tmo(f, 15);
	assert_int_equal(fc_flow_vlan(f), 4094);
	assert_int_equal(fc_flow_tmo(f), 15);
	assert_int_equal(fc_table_timeout(t, f), tmo_list[15]);
	fc_table_free(t);
}

/*
 * Iteration visits every flow once, in position order, across several
 * words of the live bitmap, skipping deleted flows; deleting while
 * iterating is safe.
 */
static void
test_table_iterate_and_delete(void **state)
{
	struct fc_table *t = mk("t_iter", 256);
	int32_t at[200], pos, last = -1;
	uint32_t iter = 0, seen = 0;
	unsigned int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		at[i] = add_flow(t, i, 1, 30, 0);
		assert_true(at[i] >= 0);
	}
	for (i = 0; i < 200; i += 3)
		fc_table_del(t, at[i]);
	while ((pos = fc_table_iterate(t, &iter)) != FC_TABLE_MISS) {
		assert_true(pos > last);
		last = pos;
		fc_table_del(t, pos);
		seen++;
	}
	assert_int_equal(seen, 200 - 67);
	assert_int_equal(fc_table_count(t), 0);
	iter = 0;
	assert_int_equal(fc_table_iterate(t, &iter), FC_TABLE_MISS);
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
		cmocka_unit_test(test_table_evict_classes),
		cmocka_unit_test(test_table_extension_pool),
		cmocka_unit_test(test_table_record_layout),
		cmocka_unit_test(test_table_iterate_and_delete),
	};

	return cmocka_run_group_tests(tests, fctest_eal_setup,
				      fctest_eal_teardown);
}
