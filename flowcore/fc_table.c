/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table: rte_hash for the keys, two record arrays indexed by the
 * key position, and a timer wheel for idle expiry and eviction.
 *
 * HOW THE WHEEL WORKS. There are FC_WHEEL_SLOTS one-second slots; slot
 * (s mod FC_WHEEL_SLOTS) holds flows filed to expire at second s. Each
 * slot is a doubly linked list threaded through the hot records by
 * position, so filing and unfiling are O(1) and touch at most two other
 * records. A flow is filed at creation and when its timeout shrinks; a
 * packet refreshing last_ts does not move it (that would cost two foreign
 * cache lines per packet). fc_table_expire() walks slots from the cursor
 * up to "now": a flow that is really idle is reported, a refreshed one is
 * re-filed under its true expiry. Expiry seconds further away than the
 * wheel spans are filed in the farthest slot and re-filed when reached.
 * If the clock jumps by more than the wheel's span (pcaps are spliced
 * from different days), the cursor jumps too: visiting FC_WHEEL_SLOTS
 * consecutive slots still visits every flow once.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "fc_table.h"

#define FC_WHEEL_SLOTS 4096u
#define FC_WHEEL_MASK (FC_WHEEL_SLOTS - 1)
#define NIL UINT32_MAX

struct fc_table {
	struct rte_hash *hash;       /**< keys -> positions */
	struct fc_flow *hot;         /**< hot records by position */
	struct fc_flow_cold *cold;   /**< cold records by position */
	uint32_t n_records;          /**< records allocated (max position + 1) */
	uint32_t capacity;           /**< flows allowed */
	uint32_t count;              /**< flows present */
	uint64_t cursor;             /**< wheel second being (or next to be) visited */
	int cursor_valid;            /**< 0 until the first flow is filed */
	uint32_t armed;              /**< flows filed on the wheel */
	uint64_t memory;             /**< bytes of heap held */
	uint32_t slot[FC_WHEEL_SLOTS]; /**< heads of the wheel slots */
};

/* rte_hash slots for a capacity: 1/8 headroom (see fc_table_create()). */
static uint32_t
hash_entries_for(uint32_t entries)
{
	return entries + entries / 8;
}

uint64_t
fc_table_memory_need(uint32_t entries)
{
	uint64_t he = hash_entries_for(entries);
	uint64_t pow2 = rte_align64pow2(he);
	uint64_t rec = sizeof(struct fc_flow) + sizeof(struct fc_flow_cold);

	/*
	 * rte_hash (22.11, rte_cuckoo_hash.c): pow2/8 buckets of one cache
	 * line, he + 1 key slots of align16(8 + key_len), and a free-slot
	 * ring of pow2(he + 1) pointers. Records: one per key slot. Each
	 * object also carries a malloc element header (a cache line).
	 */
	return sizeof(struct fc_table) + pow2 / 8 * RTE_CACHE_LINE_SIZE +
		(he + 1) * RTE_ALIGN_CEIL(8 + sizeof(struct fc_flow_key), 16) +
		rte_align64pow2(he + 1) * sizeof(void *) +
		(he + 1) * rec + 8 * RTE_CACHE_LINE_SIZE;
}

struct fc_table *
fc_table_create(const struct fc_table_params *p)
{
	struct rte_hash_parameters hp;
	struct fc_table *t;
	uint32_t hash_entries;
	int32_t max_id;
	uint32_t i;

	if (p == NULL || p->name == NULL || p->entries < 8 ||
	    p->entries > (1u << 30)) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("fc_table", sizeof(*t), RTE_CACHE_LINE_SIZE,
			       p->socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	/*
	 * Headroom of 1/8 so the cuckoo buckets are at most ~89% full when
	 * the flow count reaches capacity: inserts then practically never
	 * fail on bucket placement before our own limit stops them.
	 */
	hash_entries = hash_entries_for(p->entries);
	memset(&hp, 0, sizeof(hp));
	hp.name = p->name;
	hp.entries = hash_entries;
	hp.key_len = sizeof(struct fc_flow_key);
	hp.hash_func = rte_hash_crc;
	hp.hash_func_init_val = 0;
	hp.socket_id = p->socket_id;
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		int err = rte_errno;

		rte_free(t);
		rte_errno = err == 0 ? ENOMEM : err;
		return NULL;
	}
	max_id = rte_hash_max_key_id(t->hash);
	if (max_id < 0) {
		fc_table_free(t);
		rte_errno = EINVAL;
		return NULL;
	}
	t->n_records = (uint32_t)max_id + 1;
	t->capacity = p->entries;
	t->hot = rte_zmalloc_socket("fc_flow", sizeof(*t->hot) * t->n_records,
				    RTE_CACHE_LINE_SIZE, p->socket_id);
	t->cold = rte_zmalloc_socket("fc_flow_cold",
				     sizeof(*t->cold) * t->n_records,
				     RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t->hot == NULL || t->cold == NULL) {
		fc_table_free(t);
		rte_errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < FC_WHEEL_SLOTS; i++)
		t->slot[i] = NIL;
	t->memory = fc_table_memory_need(p->entries);
	return t;
}

void
fc_table_free(struct fc_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t->hot);
	rte_free(t->cold);
	rte_free(t);
}

uint32_t
fc_table_capacity(const struct fc_table *t)
{
	return t->capacity;
}

uint32_t
fc_table_count(const struct fc_table *t)
{
	return t->count;
}

uint64_t
fc_table_memory(const struct fc_table *t)
{
	return t->memory;
}

void
fc_table_lookup_bulk(struct fc_table *t, const struct fc_flow_key **keys,
		     const uint32_t *hashes, unsigned int n, int32_t *pos)
{
	unsigned int i, done = 0;

	while (done < n) {
		unsigned int k = n - done;

		if (k > RTE_HASH_LOOKUP_BULK_MAX)
			k = RTE_HASH_LOOKUP_BULK_MAX;
		rte_hash_lookup_with_hash_bulk(t->hash,
					       (const void **)(keys + done),
					       (hash_sig_t *)(uintptr_t)(hashes + done),
					       k, pos + done);
		/* Start the record fetches now; the caller updates them next. */
		for (i = done; i < done + k; i++) {
			if (pos[i] < 0) {
				pos[i] = FC_TABLE_MISS;
				continue;
			}
			rte_prefetch0(&t->hot[pos[i]]);
			rte_prefetch0((const char *)&t->hot[pos[i]] + RTE_CACHE_LINE_SIZE);
			rte_prefetch0(&t->cold[pos[i]]);
		}
		done += k;
	}
}

int32_t
fc_table_lookup(struct fc_table *t, const struct fc_flow_key *key,
		uint32_t hash)
{
	int32_t pos = rte_hash_lookup_with_hash(t->hash, key, hash);

	return pos < 0 ? FC_TABLE_MISS : pos;
}

static void
wheel_unlink(struct fc_table *t, uint32_t pos)
{
	struct fc_flow *f = &t->hot[pos];

	if (!(f->flags & FC_FLOW_F_ARMED))
		return;
	if (f->wheel_prev != NIL)
		t->hot[f->wheel_prev].wheel_next = f->wheel_next;
	else
		t->slot[f->wheel_slot] = f->wheel_next;
	if (f->wheel_next != NIL)
		t->hot[f->wheel_next].wheel_prev = f->wheel_prev;
	f->wheel_next = NIL;
	f->wheel_prev = NIL;
	f->flags &= (uint8_t)~FC_FLOW_F_ARMED;
	t->armed--;
}

static void
wheel_file(struct fc_table *t, uint32_t pos, uint64_t expiry_s)
{
	struct fc_flow *f = &t->hot[pos];
	uint32_t s;

	if (!t->cursor_valid) {
		t->cursor = f->last_ts / FC_NS_PER_SEC;
		t->cursor_valid = 1;
	}
	if (expiry_s < t->cursor)
		expiry_s = t->cursor;
	if (expiry_s > t->cursor + FC_WHEEL_MASK)
		expiry_s = t->cursor + FC_WHEEL_MASK;
	s = (uint32_t)(expiry_s & FC_WHEEL_MASK);
	f->wheel_slot = (uint16_t)s;
	f->wheel_prev = NIL;
	f->wheel_next = t->slot[s];
	if (f->wheel_next != NIL)
		t->hot[f->wheel_next].wheel_prev = pos;
	t->slot[s] = pos;
	f->flags |= FC_FLOW_F_ARMED;
	t->armed++;
}

int32_t
fc_table_add(struct fc_table *t, const struct fc_flow_key *key, uint32_t hash)
{
	int32_t pos;

	if (t->count >= t->capacity)
		return -ENOSPC;
	pos = rte_hash_add_key_with_hash(t->hash, key, hash);
	if (pos < 0)
		return -ENOSPC;
	memset(&t->hot[pos], 0, sizeof(t->hot[pos]));
	memset(&t->cold[pos], 0, sizeof(t->cold[pos]));
	t->hot[pos].wheel_next = NIL;
	t->hot[pos].wheel_prev = NIL;
	t->count++;
	return pos;
}

void
fc_table_del(struct fc_table *t, int32_t pos)
{
	const void *key;

	if (pos < 0 || (uint32_t)pos >= t->n_records)
		return;
	if (rte_hash_get_key_with_position(t->hash, pos, (void **)(uintptr_t)&key) != 0)
		return;
	wheel_unlink(t, (uint32_t)pos);
	if (rte_hash_del_key(t->hash, key) >= 0)
		t->count--;
}

struct fc_flow *
fc_table_flow(struct fc_table *t, int32_t pos)
{
	return &t->hot[pos];
}

struct fc_flow_cold *
fc_table_cold(struct fc_table *t, int32_t pos)
{
	return &t->cold[pos];
}

const struct fc_flow_key *
fc_table_key(struct fc_table *t, int32_t pos)
{
	void *key;

	if (pos < 0 || (uint32_t)pos >= t->n_records ||
	    rte_hash_get_key_with_position(t->hash, pos, &key) != 0)
		return NULL;
	return key;
}

void
fc_table_arm(struct fc_table *t, int32_t pos)
{
	wheel_unlink(t, (uint32_t)pos);
	wheel_file(t, (uint32_t)pos, fc_flow_expiry_s(&t->hot[pos]));
}

unsigned int
fc_table_expire(struct fc_table *t, uint64_t now_ns, unsigned int budget,
		int32_t *expired, unsigned int max)
{
	uint64_t now_s = now_ns / FC_NS_PER_SEC;
	unsigned int n = 0;

	if (!t->cursor_valid)
		return 0;
	if (t->armed == 0) {
		if (now_s > t->cursor)
			t->cursor = now_s;
		return 0;
	}
	/* A clock jump beyond the wheel span: one full turn visits everything. */
	if (now_s > t->cursor + FC_WHEEL_MASK)
		t->cursor = now_s - FC_WHEEL_MASK;

	while (budget > 0 && n < max && t->cursor <= now_s) {
		uint32_t s = (uint32_t)(t->cursor & FC_WHEEL_MASK);
		uint32_t pos = t->slot[s];
		struct fc_flow *f;

		budget--;
		if (pos == NIL) {
			t->cursor++;
			continue;
		}
		f = &t->hot[pos];
		wheel_unlink(t, pos);
		if (fc_flow_expiry_s(f) <= now_s)
			expired[n++] = (int32_t)pos;
		else
			wheel_file(t, pos, fc_flow_expiry_s(f));
	}
	return n;
}

/* Eviction class: lower goes first. */
static inline unsigned int
evict_class(const struct fc_flow *f)
{
	if (f->flags & FC_FLOW_F_CLOSED)
		return 0;
	if (f->flags & FC_FLOW_F_EMBRYONIC)
		return 1;
	return 2;
}

int32_t
fc_table_evict_candidate(struct fc_table *t, unsigned int budget)
{
	int32_t best = FC_TABLE_MISS;
	unsigned int best_class = 3;
	uint64_t best_exp = UINT64_MAX;
	uint32_t i;

	if (t->armed == 0)
		return FC_TABLE_MISS;
	/*
	 * Slots are scanned for free (a 16 KiB array); flows cost budget. The
	 * walk stops once the budget is spent or a closed flow is found.
	 */
	for (i = 0; i < FC_WHEEL_SLOTS && budget > 0 && best_class > 0; i++) {
		uint32_t pos = t->slot[(t->cursor + i) & FC_WHEEL_MASK];

		for (; pos != NIL && budget > 0; budget--) {
			const struct fc_flow *f = &t->hot[pos];
			unsigned int c = evict_class(f);
			uint64_t e = fc_flow_expiry_s(f);

			if (c < best_class || (c == best_class && e < best_exp)) {
				best = (int32_t)pos;
				best_class = c;
				best_exp = e;
			}
			pos = f->wheel_next;
		}
	}
	return best;
}

int32_t
fc_table_iterate(struct fc_table *t, uint32_t *iter)
{
	const void *key;
	void *data;
	int32_t pos = rte_hash_iterate(t->hash, &key, &data, iter);

	return pos < 0 ? FC_TABLE_MISS : pos;
}
