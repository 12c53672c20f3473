/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands, for dpdk-telemetry.py and any client of the
 * telemetry socket:
 *
 *     /flowscope/stats        totals: frames, flows, events, drops
 *     /flowscope/lcores       one entry per RX worker, keyed "worker<i>"
 *     /flowscope/flows,<n>    the n largest open flows (default 10, max
 *                             40), keyed by rank "1" (largest) to "<n>"
 *
 * DPDK 22.11 telemetry cannot put dicts into an array, so every list is
 * a dict of dicts. A reply is at most 16 KiB and DPDK silently leaves out
 * what does not fit: 40 flows of the longest form (IPv6, 20-digit
 * counters) fit.
 *
 * Callbacks run on the telemetry thread and only read counters the
 * lcores write (plain 64-bit loads; a value may be a moment old). DPDK
 * 22.11 callbacks take no user argument, so the run's context is kept in
 * the one file-scope pointer below, set before the lcores start and
 * cleared (under the lock every callback holds) before the workers'
 * tables are freed: a late query then gets an error, never freed memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "app.h"

/* Largest n of /flowscope/flows: what fits a 16 KiB reply. */
#define TEL_FLOWS_MAX 40

static struct app_ctx *tel_ctx;
static rte_spinlock_t tel_lock = RTE_SPINLOCK_INITIALIZER;

static int
tel_stats_locked(struct rte_tel_data *d)
{
	uint64_t frames = 0, created = 0, ended = 0, active = 0, events = 0,
		exported = 0, dropped = 0;

	for (unsigned int i = 0; i < tel_ctx->n_workers; i++) {
		const struct app_worker *w = &tel_ctx->workers[i];
		const struct fc_tracker_stats *st = fc_tracker_stats(w->tracker);

		frames += w->rx_frames;
		created += st->flows_created;
		ended += st->flows_ended;
		active += fc_tracker_active(w->tracker);
		events += st->events;
		exported += w->ev_exported;
		dropped += w->ex.drop_ring_full + w->ex.drop_pool_empty;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "frames", frames);
	rte_tel_data_add_dict_u64(d, "flows_created", created);
	rte_tel_data_add_dict_u64(d, "flows_ended", ended);
	rte_tel_data_add_dict_u64(d, "flows_active", active);
	rte_tel_data_add_dict_u64(d, "events", events);
	rte_tel_data_add_dict_u64(d, "events_exported", exported);
	rte_tel_data_add_dict_u64(d, "events_dropped", dropped);
	rte_tel_data_add_dict_u64(d, "dispatch_frames", tel_ctx->dispatch.frames);
	rte_tel_data_add_dict_u64(d, "dispatch_dropped", tel_ctx->dispatch.dropped);
	for (unsigned int i = 0; i < tel_ctx->sinks.n; i++) {
		char k[64];

		snprintf(k, sizeof(k), "sink%u_%s_records", i,
			 tel_ctx->sinks.s[i].ops->scheme);
		rte_tel_data_add_dict_u64(d, k, tel_ctx->sinks.s[i].records);
		snprintf(k, sizeof(k), "sink%u_%s_dropped", i,
			 tel_ctx->sinks.s[i].ops->scheme);
		rte_tel_data_add_dict_u64(d, k, tel_ctx->sinks.s[i].dropped);
	}
	return 0;
}

/*
 * Allocate n containers, all or none: DPDK frees a reply's containers
 * only when it sends it, so a command must not fail after adding one.
 */
static int
alloc_all(struct rte_tel_data **c, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		c[i] = rte_tel_data_alloc();
		if (c[i] == NULL) {
			while (i-- > 0)
				rte_tel_data_free(c[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

static int
tel_lcores_locked(struct rte_tel_data *d)
{
	struct rte_tel_data *c[APP_MAX_WORKERS];

	if (alloc_all(c, tel_ctx->n_workers) != 0)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < tel_ctx->n_workers; i++) {
		const struct app_worker *w = &tel_ctx->workers[i];
		char k[32];

		rte_tel_data_start_dict(c[i]);
		rte_tel_data_add_dict_u64(c[i], "lcore", w->lcore_id);
		rte_tel_data_add_dict_u64(c[i], "rx_queues", w->n_rxq);
		rte_tel_data_add_dict_u64(c[i], "frames", w->rx_frames);
		rte_tel_data_add_dict_u64(c[i], "flows_active", fc_tracker_active(w->tracker));
		rte_tel_data_add_dict_u64(c[i], "events_produced",
					  fc_tracker_stats(w->tracker)->events);
		rte_tel_data_add_dict_u64(c[i], "events_enqueued", w->ex.enqueued);
		rte_tel_data_add_dict_u64(c[i], "events_exported", w->ev_exported);
		rte_tel_data_add_dict_u64(c[i], "events_dropped_ring_full", w->ex.drop_ring_full);
		rte_tel_data_add_dict_u64(c[i], "events_dropped_pool_empty",
					  w->ex.drop_pool_empty);
		snprintf(k, sizeof(k), "worker%u", i);
		if (rte_tel_data_add_dict_container(d, k, c[i], 0) != 0)
			rte_tel_data_free(c[i]); /* cannot happen: fewer than 256 keys */
	}
	return 0;
}

static uint64_t
brief_bytes(const struct fc_tracker_flow_brief *b)
{
	return b->bytes[0] + b->bytes[1];
}

/* One of the largest flows and the worker that holds it. */
struct top_flow {
	struct fc_tracker_flow_brief b;
	unsigned int worker;
};

/* Insert x into all[] (sorted, largest first, at most n entries). */
static void
keep_top(struct top_flow *all, unsigned int *have, unsigned int n,
	 const struct fc_tracker_flow_brief *x, unsigned int worker)
{
	uint64_t b = brief_bytes(x);
	unsigned int k;

	if (*have == n) {
		if (brief_bytes(&all[n - 1].b) >= b)
			return;
		k = n - 1;
	} else {
		k = (*have)++;
	}
	while (k > 0 && brief_bytes(&all[k - 1].b) < b) {
		all[k] = all[k - 1];
		k--;
	}
	all[k].b = *x;
	all[k].worker = worker;
}

/* Parse the count parameter of /flowscope/flows: 1..TEL_FLOWS_MAX, default 10. */
static int
flows_count(const char *params, unsigned int *n)
{
	char *end;
	unsigned long v;

	*n = 10;
	if (params == NULL || *params == '\0')
		return 0;
	if (*params < '0' || *params > '9')
		return -EINVAL;
	v = strtoul(params, &end, 10);
	if (*end != '\0' || v == 0 || v > TEL_FLOWS_MAX)
		return -EINVAL;
	*n = (unsigned int)v;
	return 0;
}

static int
tel_flows_locked(const char *params, struct rte_tel_data *d)
{
	struct fc_tracker_flow_brief top[TEL_FLOWS_MAX];
	struct top_flow all[TEL_FLOWS_MAX];
	struct rte_tel_data *c[TEL_FLOWS_MAX];
	unsigned int n, have = 0;

	if (flows_count(params, &n) != 0)
		return -EINVAL;
	for (unsigned int i = 0; i < tel_ctx->n_workers; i++) {
		unsigned int got = fc_tracker_top_flows(tel_ctx->workers[i].tracker,
							n, top);

		for (unsigned int j = 0; j < got; j++)
			keep_top(all, &have, n, &top[j], i);
	}
	if (alloc_all(c, have) != 0)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < have; i++) {
		const struct fc_tracker_flow_brief *f = &all[i].b;
		char a[64], b[64], rank[16];

		fc_addr_str(f->id.orig_h, f->id.family, a, sizeof(a));
		fc_addr_str(f->id.resp_h, f->id.family, b, sizeof(b));
		rte_tel_data_start_dict(c[i]);
		rte_tel_data_add_dict_u64(c[i], "flow_id", f->flow_id);
		rte_tel_data_add_dict_u64(c[i], "worker", all[i].worker);
		rte_tel_data_add_dict_string(c[i], "orig_h", a);
		rte_tel_data_add_dict_u64(c[i], "orig_p", f->id.orig_p);
		rte_tel_data_add_dict_string(c[i], "resp_h", b);
		rte_tel_data_add_dict_u64(c[i], "resp_p", f->id.resp_p);
		rte_tel_data_add_dict_u64(c[i], "proto", f->id.proto);
		rte_tel_data_add_dict_u64(c[i], "orig_pkts", f->pkts[0]);
		rte_tel_data_add_dict_u64(c[i], "resp_pkts", f->pkts[1]);
		rte_tel_data_add_dict_u64(c[i], "orig_bytes", f->bytes[0]);
		rte_tel_data_add_dict_u64(c[i], "resp_bytes", f->bytes[1]);
		snprintf(rank, sizeof(rank), "%u", i + 1);
		if (rte_tel_data_add_dict_container(d, rank, c[i], 0) != 0)
			rte_tel_data_free(c[i]); /* cannot happen: at most 40 keys */
	}
	return 0;
}

/* Run one command under the lock, or fail once the run is being torn down. */
#define TEL_WRAP(name, call) \
static int \
name(const char *cmd, const char *params, struct rte_tel_data *d) \
{ \
	int rc = -ENODEV; \
	(void)cmd; \
	(void)params; \
	rte_spinlock_lock(&tel_lock); \
	if (tel_ctx != NULL) \
		rc = call; \
	rte_spinlock_unlock(&tel_lock); \
	return rc; \
}

TEL_WRAP(tel_stats, tel_stats_locked(d))
TEL_WRAP(tel_lcores, tel_lcores_locked(d))
TEL_WRAP(tel_flows, tel_flows_locked(params, d))

int
app_telemetry_register(struct app_ctx *ctx)
{
	rte_spinlock_lock(&tel_lock);
	tel_ctx = ctx;
	rte_spinlock_unlock(&tel_lock);
	rte_telemetry_register_cmd("/flowscope/stats", tel_stats,
				   "Totals: frames, flows, events, drops. No parameters");
	rte_telemetry_register_cmd("/flowscope/lcores", tel_lcores,
				   "Per RX worker: lcore, frames, flows, events. No parameters");
	rte_telemetry_register_cmd("/flowscope/flows", tel_flows,
				   "The largest open flows by bytes, keyed by rank. Parameter: count (1-40, default 10)");
	return 0;
}

void
app_telemetry_unregister(void)
{
	rte_spinlock_lock(&tel_lock);
	tel_ctx = NULL;
	rte_spinlock_unlock(&tel_lock);
}
