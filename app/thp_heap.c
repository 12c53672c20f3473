/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow tables on transparent huge pages (see thp_heap.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "thp_heap.h"

#define THP_SIZE (2u << 20)

/* The one heap of the process (DPDK's heap registry is process-wide too). */
static void *thp_map;
static size_t thp_map_len;
static void *thp_base;
static size_t thp_len;

/*
 * app_thp_heap_reserve(): memory mapped, being backed by a thread; the
 * main thread joins in once EAL is up. Each takes the next huge page.
 */
static struct {
	char *p;                /* aligned start, NULL if none */
	size_t bytes;
	atomic_size_t next;     /* offset of the next huge page to back */
	pthread_t thread;
	bool running;
} pre;

/* 1 if the kernel gives transparent huge pages to madvised memory. */
static int
thp_available(void)
{
	char buf[128];
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	int ok = 0;

	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL)
		ok = strstr(buf, "[always]") != NULL || strstr(buf, "[madvise]") != NULL;
	fclose(f);
	return ok;
}

/* Unmap the region mapped for the heap (thp_map_region). */
static void
region_drop(void)
{
	if (thp_map != NULL)
		munmap(thp_map, thp_map_len);
	thp_map = NULL;
}

/* Map bytes (a multiple of THP_SIZE) advised for huge pages; NULL with *why. */
static char *
thp_map_region(size_t bytes, const char **why)
{
	char *p;

	/* One spare huge page so the start can be aligned to one. */
	thp_map_len = bytes + THP_SIZE;
	thp_map = mmap(NULL, thp_map_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (thp_map == MAP_FAILED) {
		thp_map = NULL;
		*why = "mmap failed";
		return NULL;
	}
	p = (char *)(((uintptr_t)thp_map + THP_SIZE - 1) &
		     ~(uintptr_t)(THP_SIZE - 1));
	if (madvise(p, bytes, MADV_HUGEPAGE) != 0) {
		region_drop();
		*why = "madvise(MADV_HUGEPAGE) refused";
		return NULL;
	}
	return p;
}

/*
 * Back the reserved region, a huge page at a time, by writing to it (the
 * kernel zeroes each page). A write faults under the region's own lock,
 * so this does not hold up EAL's mappings on the other thread, as one
 * MADV_POPULATE_WRITE of the whole region does: it holds the process's
 * mmap lock throughout, which every mmap() waits for.
 */
static void
back_pages(void)
{
	size_t off;

	while ((off = atomic_fetch_add(&pre.next, THP_SIZE)) < pre.bytes)
		for (size_t i = 0; i < THP_SIZE; i += 4096)
			((volatile char *)pre.p)[off + i] = 0;
}

static void *
populate(void *arg)
{
	(void)arg;
	back_pages();
	return NULL;
}

void
app_thp_heap_reserve(size_t bytes)
{
	const char *why;

	if (pre.p != NULL || thp_base != NULL || !thp_available())
		return;
	bytes = (bytes + THP_SIZE - 1) & ~(size_t)(THP_SIZE - 1);
	if (bytes == 0)
		return;
	pre.p = thp_map_region(bytes, &why);
	if (pre.p == NULL)
		return;
	pre.bytes = bytes;
	atomic_store(&pre.next, 0);
	/* Without the thread the pages are backed by the heap's memset. */
	pre.running = pthread_create(&pre.thread, NULL, populate, NULL) == 0;
}

int
app_thp_heap_create(size_t bytes, const char **why)
{
	const char *dummy;
	char *p = pre.p;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	bytes = (bytes + THP_SIZE - 1) & ~(size_t)(THP_SIZE - 1);
	/*
	 * The reserved region, once backed: this thread backs its share of
	 * what is left. A region that will not be used stops the thread at
	 * its next page instead.
	 */
	if (pre.running) {
		if (thp_base == NULL && !rte_eal_has_hugepages() && bytes <= pre.bytes)
			back_pages();
		else
			atomic_store(&pre.next, pre.bytes);
		pthread_join(pre.thread, NULL);
		pre.running = false;
	}
	pre.p = NULL;
	if (thp_base != NULL) {
		*why = "already created";
		return 0;
	}
	if (p != NULL && (rte_eal_has_hugepages() || bytes > pre.bytes)) {
		region_drop();
		p = NULL;
	}
	if (rte_eal_has_hugepages()) {
		*why = "EAL has hugepages";
		return 0;
	}
	if (p != NULL) {
		bytes = pre.bytes;
	} else {
		if (!thp_available()) {
			*why = "the kernel offers no transparent huge pages";
			return 0;
		}
		if (bytes == 0) {
			*why = "nothing to hold";
			return 0;
		}
		p = thp_map_region(bytes, why);
		if (p == NULL)
			return 0;
	}
	/* DPDK clears the memory it is given: the pages are backed from here on. */
	if (rte_malloc_heap_create(APP_THP_HEAP_NAME) != 0 ||
	    rte_malloc_heap_memory_add(APP_THP_HEAP_NAME, p, bytes, NULL,
				       (unsigned int)(bytes / THP_SIZE),
				       THP_SIZE) != 0) {
		int err = rte_errno;

		fprintf(stderr, "flowscope: huge-page heap for the flow tables: %s\n",
			rte_strerror(err));
		rte_malloc_heap_destroy(APP_THP_HEAP_NAME);
		region_drop();
		return -(err != 0 ? err : ENOMEM);
	}
	thp_base = p;
	thp_len = bytes;
	return 1;
}

void
app_thp_heap_destroy(void)
{
	if (thp_base == NULL)
		return;
	if (rte_malloc_heap_memory_remove(APP_THP_HEAP_NAME, thp_base, thp_len) != 0 ||
	    rte_malloc_heap_destroy(APP_THP_HEAP_NAME) != 0) {
		/* Still in use: leave it mapped, the process is ending anyway. */
		fprintf(stderr, "flowscope: huge-page heap still in use at exit: %s\n",
			rte_strerror(rte_errno));
		return;
	}
	region_drop();
	thp_base = NULL;
	thp_len = 0;
}
