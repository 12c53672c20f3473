/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Flow table: the third stage of the pipeline.
 *
 *     key + hash -> fc_table_lookup_bulk() -> record position -> struct fc_flow
 *
 * One table per RX lcore (one writer, no locks). Keys live in an rte_hash
 * created with the precomputed hash; the flow records live in two
 * preallocated arrays indexed by the rte_hash key position: the hot part
 * (struct fc_flow, 128 bytes, touched by every packet) and the cold part
 * (struct fc_flow_cold: ids, tunnel, history). Nothing is allocated after
 * fc_table_create().
 *
 * Idle expiry runs on a timer wheel of one-second slots. A flow is filed
 * under its expiry second when it is created or its timeout shrinks; a
 * packet only refreshes last_ts. When the wheel reaches a slot, each flow
 * in it is either really idle (handed to the caller to end) or re-filed
 * under its true expiry. Each flow is therefore re-filed at most once per
 * timeout period, and the work of one fc_table_expire() call is bounded by
 * its budget. The same wheel, read from its cursor, lists the flows that
 * will expire soonest: eviction takes its victim from there, preferring
 * flows that already closed (FC_FLOW_F_CLOSED) and then embryonic flows
 * (FC_FLOW_F_EMBRYONIC), so a SYN flood cannot push established flows out.
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

/** Table creation parameters. */
struct fc_table_params {
	const char *name;     /**< unique name (rte_hash name), at most 26 chars */
	uint32_t entries;     /**< capacity in flows (>= 8) */
	int socket_id;        /**< NUMA socket of the memory, or SOCKET_ID_ANY */
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

/**
 * Look up a burst of keys with their precomputed hashes.
 * @param[out] pos  per key: record position (>= 0) or FC_TABLE_MISS
 */
void fc_table_lookup_bulk(struct fc_table *t, const struct fc_flow_key **keys,
			  const uint32_t *hashes, unsigned int n, int32_t *pos);

/** Look up one key; record position or FC_TABLE_MISS. */
int32_t fc_table_lookup(struct fc_table *t, const struct fc_flow_key *key,
			uint32_t hash);

/**
 * Insert a key that is not in the table. The records at the returned
 * position are zeroed except the wheel links; the caller fills them and
 * then calls fc_table_arm().
 * @return record position, or -ENOSPC when the table is full.
 */
int32_t fc_table_add(struct fc_table *t, const struct fc_flow_key *key,
		     uint32_t hash);

/** Remove the flow at a position (unfiles it from the wheel). */
void fc_table_del(struct fc_table *t, int32_t pos);

/** Hot record at a position (valid until fc_table_del of that position). */
struct fc_flow *fc_table_flow(struct fc_table *t, int32_t pos);

/** Cold record at a position. */
struct fc_flow_cold *fc_table_cold(struct fc_table *t, int32_t pos);

/** Key stored at a position, or NULL if the position is free. */
const struct fc_flow_key *fc_table_key(struct fc_table *t, int32_t pos);

/**
 * File (or re-file) a flow on the wheel under last_ts + timeout_s. Call
 * after creating a flow and whenever its timeout shrinks; a refresh of
 * last_ts needs no call.
 */
void fc_table_arm(struct fc_table *t, int32_t pos);

/**
 * Advance the wheel to `now` and collect flows whose idle time reached
 * their timeout (last_ts + timeout_s <= now, in whole seconds). At most
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
 * Choose a flow to evict: among the first `budget` flows on the wheel
 * from its cursor, a closed flow, else an embryonic flow, else any flow;
 * within a class the one with the soonest true expiry.
 * @return position, or FC_TABLE_MISS if the table is empty.
 */
int32_t fc_table_evict_candidate(struct fc_table *t, unsigned int budget);

/**
 * Iterate over every flow: *iter starts at 0.
 * @return next position, or FC_TABLE_MISS at the end.
 */
int32_t fc_table_iterate(struct fc_table *t, uint32_t *iter);

/** Bytes of DPDK heap the table holds (hash + records + wheel). */
uint64_t fc_table_memory(const struct fc_table *t);

/**
 * Bytes of DPDK heap a table of `entries` flows will hold, computed the
 * way fc_table_create() and rte_hash size their objects (for sizing the
 * heap before creating tables). Cannot fail.
 */
uint64_t fc_table_memory_need(uint32_t entries);

#ifdef __cplusplus
}
#endif

#endif /* FC_TABLE_H */
