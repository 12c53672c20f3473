/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Flow table: the third stage of the pipeline.
 *
 *     key + hash -> fc_table_lookup_bulk() -> record position -> struct fc_flow
 *
 * One table per RX lcore (one writer, no locks). Keys live in an rte_hash
 * created with the precomputed hash (seeded per table); the 128-byte flow
 * records live in one preallocated array indexed by the rte_hash key
 * position, and the optional 64-byte extensions in a pool taken on first
 * need. Nothing is allocated after fc_table_create().
 *
 * Records keep idle timeouts as an index into the list given at creation.
 *
 * Idle expiry runs on a timer wheel of one-second slots, with one list per
 * slot for each eviction class (closed flows, embryonic flows, the rest).
 * A flow is filed under its expiry second when it is created and when its
 * class or timeout changes; a packet only refreshes its last-seen time.
 * When the wheel reaches a slot, each flow in it is either really idle
 * (handed to the caller to end) or re-filed under its true expiry. Each
 * flow is therefore re-filed at most once per timeout period, and the work
 * of one fc_table_expire() call is bounded by its budget. The same wheel,
 * read from its cursor, lists the flows that will expire soonest: eviction
 * takes its victim from there, closed flows first, then embryonic ones, so
 * a SYN flood cannot push established flows out.
 */
#ifndef FC_TABLE_H
#define FC_TABLE_H

#include <stdint.h>

#include "fc_flow.h"
#include "fc_key.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @internal opaque table handle */
struct fc_table;

/** Idle timeouts a table knows (struct fc_table_params.timeouts). */
#define FC_TABLE_TIMEOUTS 16

/** Table creation parameters. */
struct fc_table_params {
	const char *name;     /**< unique name (rte_hash name), at most 26 chars */
	uint32_t entries;     /**< capacity in flows (8 .. 2^30 - 2) */
	uint32_t ext_entries; /**< flow extensions in the pool (0 .. FC_FLOW_EXT_MAX) */
	int socket_id;        /**< NUMA socket (or external heap) of the memory, or SOCKET_ID_ANY */
	uint32_t hash_seed;   /**< initial value of the key hash (fc_key_hash_seeded) */
	/** idle timeouts in seconds by index (struct fc_flow timeout index) */
	uint16_t timeouts[FC_TABLE_TIMEOUTS];
};

/** Table counters. */
struct fc_table_stats {
	uint64_t ext_full;     /**< extensions wanted while the pool was empty */
	uint64_t add_collision; /**< inserts refused by rte_hash below capacity (bucket pair full) */
	uint32_t ext_used;     /**< extensions in use */
	uint32_t ext_high;     /**< most extensions ever in use at once */
};

/** Result of a lookup that found nothing. */
#define FC_TABLE_MISS (-1)

/**
 * Create a table.
 * @return the table, or NULL with rte_errno set (EINVAL bad params,
 *         ENOMEM out of DPDK heap, EEXIST name in use).
 */
struct fc_table *fc_table_create(const struct fc_table_params *p);

/** Free a table and everything in it; NULL is a no-op. */
void fc_table_free(struct fc_table *t);

/** Capacity in flows. */
uint32_t fc_table_capacity(const struct fc_table *t);

/** Flows currently in the table. */
uint32_t fc_table_count(const struct fc_table *t);

/** Counters (owned by the table). */
const struct fc_table_stats *fc_table_stats(const struct fc_table *t);

/**
 * Look up a burst of keys with their precomputed hashes; starts loading
 * the records found.
 * @param[out] pos  per key: record position (>= 0) or FC_TABLE_MISS
 */
void fc_table_lookup_bulk(struct fc_table *t, const struct fc_flow_key **keys,
			  const uint32_t *hashes, unsigned int n, int32_t *pos);

/** Look up one key; record position or FC_TABLE_MISS. */
int32_t fc_table_lookup(struct fc_table *t, const struct fc_flow_key *key,
			uint32_t hash);

/**
 * Insert a key that is not in the table. The record at the returned
 * position is zeroed except the wheel links; the caller fills it and then
 * calls fc_table_arm().
 * @return record position, or -ENOSPC when the table is full or rte_hash
 *         cannot place the key (stats add_collision; evicting one flow and
 *         retrying usually succeeds).
 */
int32_t fc_table_add(struct fc_table *t, const struct fc_flow_key *key,
		     uint32_t hash);

/** Remove the flow at a position (unfiles it, returns its extension). */
void fc_table_del(struct fc_table *t, int32_t pos);

/**
 * Remove the flow at a position whose key the caller already holds (from
 * fc_table_key() for that position): one rte_hash operation instead of
 * two.
 */
void fc_table_del_key(struct fc_table *t, int32_t pos,
		      const struct fc_flow_key *key);

/**
 * Bring the rte_hash buckets of the flows at these positions into the
 * cache before they are deleted one by one: the deletes of a batch of
 * expired flows then wait for memory once, not once per flow.
 */
void fc_table_prefetch_del(struct fc_table *t, const int32_t *pos, unsigned int n);

/** Record at a position (valid until fc_table_del of that position). */
static inline struct fc_flow *fc_table_flow(struct fc_table *t, int32_t pos);

/** The flow's extension, or NULL if it has none. */
struct fc_flow_ext *fc_table_ext(struct fc_table *t, const struct fc_flow *f);

/**
 * The flow's extension, taken from the pool if it has none yet (zeroed).
 * @return the extension, or NULL when the pool is empty (stats ext_full).
 */
struct fc_flow_ext *fc_table_ext_get(struct fc_table *t, struct fc_flow *f);

/** Key stored at a position, or NULL if the position is free. */
const struct fc_flow_key *fc_table_key(struct fc_table *t, int32_t pos);

/**
 * File (or re-file) a flow on the wheel under its expiry, in the list of
 * its eviction class. Call after creating a flow and whenever its class
 * (FC_FLOW_F_CLOSED / FC_FLOW_F_EMBRYONIC) or timeout index changes; a
 * refresh of the last-seen time needs no call.
 */
void fc_table_arm(struct fc_table *t, int32_t pos);

/**
 * Advance the wheel to `now` and collect flows whose idle time reached
 * their timeout (last seen + timeout <= now, in whole seconds). At most
 * `budget` flows and empty slots are visited; call again to continue.
 * Expired flows are NOT removed: the caller ends them and calls
 * fc_table_del().
 * @param[out] expired positions of expired flows (room for `max`)
 * @return number of positions written.
 */
unsigned int fc_table_expire(struct fc_table *t, uint64_t now_ns,
			     unsigned int budget, int32_t *expired,
			     unsigned int max);

/**
 * Choose a flow to evict: a closed flow, else an embryonic flow, else any
 * flow; within the first class that has flows, the one that expires
 * soonest. Flows filed earlier than their true expiry met on the way are
 * re-filed (at most `budget` flows are looked at; then the soonest seen
 * is taken).
 * @return position, or FC_TABLE_MISS if the table is empty.
 */
int32_t fc_table_evict_candidate(struct fc_table *t, unsigned int budget);

/**
 * Iterate over every flow, in position order: *iter starts at 0. The
 * walk may delete the flows it visits (and go on with the same *iter).
 * @return next position, or FC_TABLE_MISS at the end.
 */
int32_t fc_table_iterate(struct fc_table *t, uint32_t *iter);

/** Bytes of DPDK heap the table holds (hash, records, extensions, wheel). */
uint64_t fc_table_memory(const struct fc_table *t);

/**
 * Bytes of DPDK heap a table of `entries` flows and `ext_entries`
 * extensions will hold, computed the way fc_table_create() and rte_hash
 * size their objects (for sizing the heap before creating tables).
 * Cannot fail.
 */
uint64_t fc_table_memory_need(uint32_t entries, uint32_t ext_entries);

/** The flow's idle timeout in seconds. */
static inline uint16_t fc_table_timeout(const struct fc_table *t,
					const struct fc_flow *f);

/** Second (since the Unix epoch) at which the flow is idle past its timeout. */
static inline uint64_t fc_table_expiry_s(const struct fc_table *t,
					 const struct fc_flow *f);

/* Inline fast path. */
/** @internal the part of struct fc_table the inline accessors read */
struct fc_table_hot {
	struct fc_flow *rec;
	uint16_t timeouts[FC_TABLE_TIMEOUTS];
};

static inline struct fc_flow *
fc_table_flow(struct fc_table *t, int32_t pos)
{
	return &((struct fc_table_hot *)(void *)t)->rec[pos];
}

static inline uint16_t
fc_table_timeout(const struct fc_table *t, const struct fc_flow *f)
{
	return ((const struct fc_table_hot *)(const void *)t)->timeouts[fc_flow_tmo(f)];
}

static inline uint64_t
fc_table_expiry_s(const struct fc_table *t, const struct fc_flow *f)
{
	return fc_flow_last_us(f) / 1000000 + fc_table_timeout(t, f);
}

#ifdef __cplusplus
}
#endif

#endif /* FC_TABLE_H */
