/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table: rte_hash for the keys, one record array indexed by the key
 * position, a pool of extensions, and a timer wheel for idle expiry and
 * eviction.
 *
 * HOW THE WHEEL WORKS. There are FC_WHEEL_SLOTS one-second slots; slot
 * (s mod FC_WHEEL_SLOTS) holds flows filed to expire at second s, in one
 * list per eviction class. Each list is doubly linked through the records
 * by position (the first flow's back link names its class and slot), so
 * filing and unfiling are O(1) and touch at most two other records. A
 * flow is filed at creation and when its class or timeout changes; a
 * packet refreshing the last-seen time does not move it (that would cost
 * two foreign cache lines per packet). fc_table_expire() walks slots from
 * the cursor up to "now": a flow that is really idle is reported, a
 * refreshed one is re-filed under its true expiry. Expiry seconds further
 * away than the wheel spans are filed in the farthest slot and re-filed
 * when reached. If the clock jumps by more than the wheel's span (pcaps
 * are spliced from different days), the cursor jumps too: visiting
 * FC_WHEEL_SLOTS consecutive slots still visits every flow once.
 *
 * CAPACITY. rte_hash is created with exactly `entries` key slots, so one
 * record per key slot is one record per flow: no headroom is paid for in
 * records. rte_hash places keys in 8-slot buckets (cuckoo, two candidate
 * buckets); when both of a key's buckets are full below capacity the
 * insert fails, which the caller answers like a full table (evict, retry).
 * With a capacity that is not a power of two the buckets are at most ~95%
 * full and that practically never happens; at exactly 2^k flows it starts
 * in the last half percent.
 *
 * KEYS BY POSITION. rte_hash_get_key_with_position() proves the position
 * holds a key by looking the key up again (a hash and a bucket search:
 * a cache miss per expired flow). The table knows which positions are
 * live from its own bitmap, so it only needs the address: rte_hash keeps
 * its keys in one array of fixed-size slots indexed by position. That
 * stride and base are measured once at creation with two probe keys
 * (added, located through the public call, compared byte for byte,
 * removed); if the measurement does not hold, the public call is used.
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
#define FC_WHEEL_CLASSES 3
#define NIL UINT32_MAX /* unfiled / end of the extension free list */
#define US_PER_SEC 1000000ull
/*
 * Link words. wheel_next: the filed class in bits 30-31, the next flow's
 * position (or LNIL) below. wheel_prev: the previous flow's position, or
 * FC_FLOW_WHEEL_HEAD | class << 12 | slot for the first flow of a list.
 */
#define LNIL 0x3fffffffu
#define LPOS(w) ((w) & LNIL)
#define LCLASS(w) ((w) >> 30)

struct fc_table {
	struct fc_table_hot hot;     /**< must stay first (inline accessors) */
	struct rte_hash *hash;       /**< keys -> positions */
	struct fc_flow_ext *ext;     /**< extension pool */
	uint64_t *live;              /**< one bit per position: a flow is there */
	uintptr_t key_base;          /**< key of position p at key_base + p * key_stride */
	uintptr_t key_stride;        /**< 0: not measured, ask rte_hash */
	uint32_t ext_free;           /**< first free extension, NIL = none */
	uint32_t n_ext;              /**< extensions in the pool */
	uint32_t n_records;          /**< records allocated (max position + 1) */
	uint32_t capacity;           /**< flows allowed */
	uint32_t count;              /**< flows present */
	uint64_t cursor;             /**< wheel second being (or next to be) visited */
	int cursor_valid;            /**< 0 until the first flow is filed */
	uint32_t armed;              /**< flows filed on the wheel */
	uint32_t class_count[FC_WHEEL_CLASSES]; /**< flows filed per class */
	uint64_t memory;             /**< bytes of heap held */
	uint32_t hash_seed;          /**< key hash seed */
	struct fc_table_stats st;
	/** heads of the wheel slot lists, per class */
	uint32_t slot[FC_WHEEL_CLASSES][FC_WHEEL_SLOTS];
};

uint64_t
fc_table_memory_need(uint32_t entries, uint32_t ext_entries)
{
	uint64_t e = entries;
	uint64_t pow2 = rte_align64pow2(e);

	/*
	 * rte_hash (22.11, rte_cuckoo_hash.c): pow2/8 buckets of one cache
	 * line, e + 1 key slots of align16(8 + key_len), and a free-slot ring
	 * of pow2(e + 1) pointers. Records: one per key slot. Each object also
	 * carries a malloc element header (a cache line).
	 */
	return sizeof(struct fc_table) + pow2 / 8 * RTE_CACHE_LINE_SIZE +
		(e + 1) * RTE_ALIGN_CEIL(8 + sizeof(struct fc_flow_key), 16) +
		rte_align64pow2(e + 1) * sizeof(void *) +
		(e + 1) * sizeof(struct fc_flow) +
		(uint64_t)ext_entries * sizeof(struct fc_flow_ext) +
		(e + 64) / 64 * sizeof(uint64_t) +
		9 * RTE_CACHE_LINE_SIZE;
}

/* Measure where rte_hash keeps the key of a position (see above). */
static void
key_layout(struct fc_table *t)
{
	struct fc_flow_key k[3];
	int32_t pos[3];
	void *at[3];
	intptr_t stride = 0;
	unsigned int i, n = 0;

	memset(k, 0, sizeof(k));
	for (i = 0; i < 3; i++) {
		k[i].family = 0xff;     /* never a real key's */
		k[i].proto = (uint8_t)i;
		pos[i] = rte_hash_add_key_with_hash(t->hash, &k[i],
						    fc_key_hash_seeded(&k[i], t->hash_seed));
		if (pos[i] < 0 ||
		    rte_hash_get_key_with_position(t->hash, pos[i], &at[i]) != 0)
			break;
		n++;
	}
	if (n == 3 && pos[1] != pos[0]) {
		stride = ((intptr_t)at[1] - (intptr_t)at[0]) / (pos[1] - pos[0]);
		for (i = 0; i < 3; i++)
			if (stride < (intptr_t)sizeof(struct fc_flow_key) ||
			    (intptr_t)at[i] - (intptr_t)at[0] != stride * (pos[i] - pos[0]) ||
			    memcmp(at[i], &k[i], sizeof(k[i])) != 0)
				stride = 0;
	}
	if (stride > 0) {
		t->key_stride = (uintptr_t)stride;
		t->key_base = (uintptr_t)at[0] - (uintptr_t)pos[0] * (uintptr_t)stride;
	}
	for (i = 0; i < n; i++)
		rte_hash_del_key_with_hash(t->hash, &k[i],
					   fc_key_hash_seeded(&k[i], t->hash_seed));
}

struct fc_table *
fc_table_create(const struct fc_table_params *p)
{
	struct rte_hash_parameters hp;
	struct fc_table *t;
	int32_t max_id;
	uint32_t i, c;

	if (p == NULL || p->name == NULL || p->entries < 8 ||
	    p->entries > (1u << 30) - 2 || p->ext_entries > FC_FLOW_EXT_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("fc_table", sizeof(*t), RTE_CACHE_LINE_SIZE,
			       p->socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	memset(&hp, 0, sizeof(hp));
	hp.name = p->name;
	hp.entries = p->entries;
	hp.key_len = sizeof(struct fc_flow_key);
	hp.hash_func = fc_key_hash_rte; /* what fc_key_hash_seeded() gives */
	hp.hash_func_init_val = p->hash_seed;
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
	/*
	 * Not zeroed: fc_table_add() clears a record when its flow arrives,
	 * so the pages of a table that never fills are never touched.
	 */
	t->hot.rec = rte_malloc_socket("fc_flow",
				       sizeof(struct fc_flow) * t->n_records,
				       RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t->hot.rec == NULL) {
		fc_table_free(t);
		rte_errno = ENOMEM;
		return NULL;
	}
	/* Which positions hold a flow: iteration walks positions in order. */
	t->live = rte_zmalloc_socket("fc_live",
				     (t->n_records + 63) / 64 * sizeof(uint64_t),
				     RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t->live == NULL) {
		fc_table_free(t);
		rte_errno = ENOMEM;
		return NULL;
	}
	t->ext_free = NIL;
	if (p->ext_entries > 0) {
		t->ext = rte_zmalloc_socket("fc_flow_ext",
					    sizeof(*t->ext) * p->ext_entries,
					    RTE_CACHE_LINE_SIZE, p->socket_id);
		if (t->ext == NULL) {
			fc_table_free(t);
			rte_errno = ENOMEM;
			return NULL;
		}
		t->n_ext = p->ext_entries;
		for (i = p->ext_entries; i-- > 0;) {
			t->ext[i].next_free = t->ext_free;
			t->ext_free = i;
		}
	}
	memcpy(t->hot.timeouts, p->timeouts, sizeof(t->hot.timeouts));
	t->hash_seed = p->hash_seed;
	key_layout(t);
	for (c = 0; c < FC_WHEEL_CLASSES; c++)
		for (i = 0; i < FC_WHEEL_SLOTS; i++)
			t->slot[c][i] = LNIL;
	t->memory = fc_table_memory_need(p->entries, p->ext_entries);
	return t;
}

void
fc_table_free(struct fc_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t->hot.rec);
	rte_free(t->live);
	rte_free(t->ext);
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

const struct fc_table_stats *
fc_table_stats(const struct fc_table *t)
{
	return &t->st;
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
		/*
		 * Start loading the records' first lines now; the caller
		 * updates them next (and fetches line 1 where it needs it).
		 */
		for (i = done; i < done + k; i++) {
			if (pos[i] < 0) {
				pos[i] = FC_TABLE_MISS;
				continue;
			}
			rte_prefetch0(&t->hot.rec[pos[i]]);
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


static void
wheel_unlink(struct fc_table *t, uint32_t pos)
{
	struct fc_flow *rec = t->hot.rec;
	struct fc_flow *f = &rec[pos];
	uint32_t prev = f->wheel_prev, next = LPOS(f->wheel_next);
	unsigned int c = LCLASS(f->wheel_next);

	if (!fc_flow_filed(f))
		return;
	if (prev & FC_FLOW_WHEEL_HEAD)
		t->slot[c][prev & FC_WHEEL_MASK] = next;
	else
		rec[prev].wheel_next = (rec[prev].wheel_next & ~LNIL) | next;
	if (next != LNIL)
		rec[next].wheel_prev = prev;
	f->wheel_next = NIL;
	f->wheel_prev = NIL;
	t->class_count[c]--;
	t->armed--;
}

static void
wheel_file(struct fc_table *t, uint32_t pos, uint64_t expiry_s)
{
	struct fc_flow *rec = t->hot.rec;
	struct fc_flow *f = &rec[pos];
	unsigned int c = evict_class(f);
	uint32_t s, head;

	if (!t->cursor_valid) {
		t->cursor = fc_flow_last_us(f) / US_PER_SEC;
		t->cursor_valid = 1;
	}
	if (expiry_s < t->cursor)
		expiry_s = t->cursor;
	if (expiry_s > t->cursor + FC_WHEEL_MASK)
		expiry_s = t->cursor + FC_WHEEL_MASK;
	s = (uint32_t)(expiry_s & FC_WHEEL_MASK);
	head = t->slot[c][s];
	f->wheel_prev = FC_FLOW_WHEEL_HEAD | c << 12 | s;
	f->wheel_next = (uint32_t)c << 30 | head;
	if (head != LNIL)
		rec[head].wheel_prev = pos;
	t->slot[c][s] = pos;
	t->class_count[c]++;
	t->armed++;
}

int32_t
fc_table_add(struct fc_table *t, const struct fc_flow_key *key, uint32_t hash)
{
	struct fc_flow *f;
	int32_t pos;

	if (t->count >= t->capacity)
		return -ENOSPC;
	pos = rte_hash_add_key_with_hash(t->hash, key, hash);
	if (pos < 0) {
		t->st.add_collision++;
		return -ENOSPC;
	}
	f = &t->hot.rec[pos];
	memset(f, 0, sizeof(*f));
	f->wheel_next = NIL;
	f->wheel_prev = NIL;
	t->live[(uint32_t)pos / 64] |= UINT64_C(1) << ((uint32_t)pos % 64);
	t->count++;
	return pos;
}

static void
ext_put(struct fc_table *t, struct fc_flow *f)
{
	uint32_t ref = fc_flow_ext_ref(f);

	if (ref == 0)
		return;
	t->ext[ref - 1].next_free = t->ext_free;
	t->ext_free = ref - 1;
	t->st.ext_used--;
	f->ident &= FC_FLOW_SEQ_MASK;
}

void
fc_table_del_key(struct fc_table *t, int32_t pos, const struct fc_flow_key *key)
{
	if (pos < 0 || (uint32_t)pos >= t->n_records || key == NULL)
		return;
	wheel_unlink(t, (uint32_t)pos);
	ext_put(t, &t->hot.rec[pos]);
	t->live[(uint32_t)pos / 64] &= ~(UINT64_C(1) << ((uint32_t)pos % 64));
	if (rte_hash_del_key_with_hash(t->hash, key,
				       fc_key_hash_seeded(key, t->hash_seed)) >= 0)
		t->count--;
}

void
fc_table_prefetch_del(struct fc_table *t, const int32_t *pos, unsigned int n)
{
	const struct fc_flow_key *keys[RTE_HASH_LOOKUP_BULK_MAX];
	uint32_t hash[RTE_HASH_LOOKUP_BULK_MAX];
	int32_t found[RTE_HASH_LOOKUP_BULK_MAX];

	while (n > 0) {
		unsigned int k = 0, i;

		for (i = 0; i < n && i < RTE_HASH_LOOKUP_BULK_MAX; i++) {
			const struct fc_flow_key *key = fc_table_key(t, pos[i]);

			if (key == NULL)
				continue;
			keys[k] = key;
			hash[k++] = fc_key_hash_seeded(key, t->hash_seed);
		}
		/* The bulk lookup fetches all their buckets in one round. */
		if (k > 0)
			rte_hash_lookup_with_hash_bulk(t->hash, (const void **)keys, hash,
						       k, found);
		pos += i;
		n -= i;
	}
}

void
fc_table_del(struct fc_table *t, int32_t pos)
{
	fc_table_del_key(t, pos, fc_table_key(t, pos));
}

struct fc_flow_ext *
fc_table_ext(struct fc_table *t, const struct fc_flow *f)
{
	uint32_t ref = fc_flow_ext_ref(f);

	return ref == 0 ? NULL : &t->ext[ref - 1];
}

struct fc_flow_ext *
fc_table_ext_get(struct fc_table *t, struct fc_flow *f)
{
	uint32_t ref = fc_flow_ext_ref(f), i;
	struct fc_flow_ext *x;

	if (ref != 0)
		return &t->ext[ref - 1];
	if (t->ext_free == NIL) {
		t->st.ext_full++;
		return NULL;
	}
	i = t->ext_free;
	x = &t->ext[i];
	t->ext_free = x->next_free;
	memset(x, 0, sizeof(*x));
	f->ident = (f->ident & FC_FLOW_SEQ_MASK) | (uint64_t)(i + 1) << 40;
	if (++t->st.ext_used > t->st.ext_high)
		t->st.ext_high = t->st.ext_used;
	return x;
}

const struct fc_flow_key *
fc_table_key(struct fc_table *t, int32_t pos)
{
	void *key;

	if (pos < 0 || (uint32_t)pos >= t->n_records ||
	    !(t->live[(uint32_t)pos / 64] & UINT64_C(1) << ((uint32_t)pos % 64)))
		return NULL;
	if (t->key_stride != 0)
		return (const struct fc_flow_key *)(t->key_base + (uintptr_t)pos * t->key_stride);
	if (rte_hash_get_key_with_position(t->hash, pos, &key) != 0)
		return NULL;
	return key;
}

void
fc_table_arm(struct fc_table *t, int32_t pos)
{
	wheel_unlink(t, (uint32_t)pos);
	wheel_file(t, (uint32_t)pos, fc_table_expiry_s(t, &t->hot.rec[pos]));
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
		uint32_t pos = LNIL;
		unsigned int c;
		struct fc_flow *f;

		budget--;
		for (c = 0; c < FC_WHEEL_CLASSES && pos == LNIL; c++)
			pos = t->slot[c][s];
		if (pos == LNIL) {
			t->cursor++;
			continue;
		}
		f = &t->hot.rec[pos];
		wheel_unlink(t, pos);
		if (fc_table_expiry_s(t, f) <= now_s)
			expired[n++] = (int32_t)pos;
		else
			wheel_file(t, pos, fc_table_expiry_s(t, f));
	}
	return n;
}

int32_t
fc_table_evict_candidate(struct fc_table *t, unsigned int budget)
{
	unsigned int c;

	if (t->armed == 0)
		return FC_TABLE_MISS;
	/*
	 * The first class with flows filed; in it, slots from the cursor
	 * (scanned for free: a 16 KiB array). A flow filed there whose true
	 * expiry is later (packets refreshed it) is re-filed where it now
	 * belongs, as the expiry walk would do, and the walk goes on; the
	 * first flow that is filed at its true expiry is the class's soonest
	 * to expire. Each flow is re-filed at most once per timeout period, so
	 * the work is amortised O(1) per eviction; `budget` bounds one call,
	 * after which the soonest flow seen is taken.
	 */
	for (c = 0; c < FC_WHEEL_CLASSES; c++) {
		int32_t best = FC_TABLE_MISS;
		uint64_t best_exp = UINT64_MAX;
		unsigned int left = budget, i;

		if (t->class_count[c] == 0)
			continue;
		for (i = 0; i < FC_WHEEL_SLOTS && left > 0; i++) {
			uint64_t sec = t->cursor + i;
			uint32_t pos = t->slot[c][sec & FC_WHEEL_MASK];

			while (pos != LNIL && left > 0) {
				struct fc_flow *f = &t->hot.rec[pos];
				uint32_t next = LPOS(f->wheel_next);
				uint64_t e = fc_table_expiry_s(t, f);

				left--;
				if (e <= sec || i == FC_WHEEL_MASK)
					return (int32_t)pos;
				if (e < best_exp) {
					best = (int32_t)pos;
					best_exp = e;
				}
				if (next != LNIL)
					rte_prefetch0(&t->hot.rec[next]);
				wheel_unlink(t, pos);
				wheel_file(t, pos, e);
				pos = next;
			}
		}
		if (best != FC_TABLE_MISS)
			return best;
	}
	return FC_TABLE_MISS;
}

/*
 * Positions in order, from the live bitmap: records and key slots are
 * then read in address order (a walk of rte_hash_iterate() would visit
 * the buckets in order and the key slots, and records, at random).
 */
int32_t
fc_table_iterate(struct fc_table *t, uint32_t *iter)
{
	uint32_t i = *iter;

	while (i < t->n_records) {
		uint64_t w = t->live[i / 64] >> (i % 64);

		if (w != 0) {
			i += (uint32_t)__builtin_ctzll(w);
			*iter = i + 1;
			return (int32_t)i;
		}
		i = (i | 63) + 1;
	}
	*iter = t->n_records;
	return FC_TABLE_MISS;
}
