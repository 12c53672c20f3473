/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Flow tables on transparent huge pages when EAL runs without hugepages.
 *
 * A flow table of a million flows is ~200 MB of records, keys and buckets
 * visited in random order: on 4 KiB pages nearly every lookup is also a
 * TLB miss and a page walk, which costs more than the cache miss itself.
 * With hugepages (the normal DPDK set-up) the DPDK heap is already on
 * 2 MiB or 1 GiB pages and nothing here is needed. With --no-huge (offline
 * runs, tests, small machines) EAL's heap sits on 4 KiB pages that the
 * kernel never merges (it is shared memory), so flowscope adds a DPDK
 * external malloc heap of its own over anonymous memory advised for
 * transparent huge pages (madvise(MADV_HUGEPAGE)), and creates the flow
 * tables, the reassembly pools, the session parsers and the event pools
 * there.
 *
 * DPDK clears memory added to a heap, so every page of it is backed (and
 * zeroed by the kernel) when the heap is created: on a virtual machine
 * that is often the slowest step of start-up (0.05 to 0.5 s for 300 MB,
 * depending on whether the host still backs the pages). Offline runs know
 * the size before EAL starts: app_thp_heap_reserve() maps the memory and
 * backs it on a thread of its own while rte_eal_init() runs on the other
 * core; app_thp_heap_create() then backs what is left together with it.
 * The pages are backed by writing to them, not with MADV_POPULATE_WRITE,
 * which holds the process's mmap lock for the whole region and so stalls
 * every mmap() of EAL's start-up (0.2 s became 0.7-0.9 s on a VM whose
 * host had to back 370 MB anew).
 *
 * The heap has no IO addresses: it holds CPU-only data (flow records,
 * extensions, rte_hash), never mbufs or anything a device reads.
 */
#ifndef APP_THP_HEAP_H
#define APP_THP_HEAP_H

#include <stddef.h>

/** Name of the heap (fc_tracker_params.table_heap). */
#define APP_THP_HEAP_NAME "fc_thp"

/**
 * Map `bytes` for the heap and start backing them on a thread, before
 * rte_eal_init() (offline runs, which always run EAL without hugepages).
 * app_thp_heap_create() backs the rest with the thread, waits for it and
 * uses the memory if it is large enough. Does nothing if the kernel offers no transparent huge
 * pages or mapping fails (the heap is then made as without it).
 */
void app_thp_heap_reserve(size_t bytes);

/**
 * Create the heap if it helps: EAL runs without hugepages and the kernel
 * offers transparent huge pages ("always" or "madvise"). Call after
 * rte_eal_init(), once.
 *
 * @param bytes  room to hold (every page is backed: DPDK clears it)
 * @param why    on return, a short reason when no heap was created
 * @return 1 heap created, 0 not needed or not possible (why says which),
 *         -errno on failure of DPDK's heap calls (message on stderr).
 */
int app_thp_heap_create(size_t bytes, const char **why);

/** Remove the heap and unmap its memory; call after every table was freed. */
void app_thp_heap_destroy(void);

#endif /* APP_THP_HEAP_H */
