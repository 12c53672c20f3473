/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands, for dpdk-telemetry.py and any client of the
 * telemetry socket:
 *
 *     /flowscope/stats        totals: frames, flows, events, drops
 *     /flowscope/lcores       one entry per RX worker
 *     /flowscope/flows,<n>    the n largest open flows (default 10, max 100)
 *
 * Callbacks run on the telemetry thread and only read counters the
 * lcores write (plain 64-bit loads; a value may be a moment old). DPDK
 * 22.11 callbacks take no user argument, so the run's context is kept in
 * the one file-scope pointer below, set once before the lcores start.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "app.h"

static struct app_ctx *tel_ctx;

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t frames = 0, created = 0, ended = 0, active = 0, events = 0,
		dropped = 0;

	(void)cmd;
	(void)params;
	for (unsigned int i = 0; i < tel_ctx->n_workers; i++) {
		const struct app_worker *w = &tel_ctx->workers[i];
		const struct fc_tracker_stats *st = fc_tracker_stats(w->tracker);

		frames += w->rx_frames;
		created += st->flows_created;
		ended += st->flows_ended;
		active += fc_tracker_active(w->tracker);
		events += st->events;
		dropped += w->ex.drop_ring_full + w->ex.drop_pool_empty;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "frames", frames);
	rte_tel_data_add_dict_u64(d, "flows_created", created);
	rte_tel_data_add_dict_u64(d, "flows_ended", ended);
	rte_tel_data_add_dict_u64(d, "flows_active", active);
	rte_tel_data_add_dict_u64(d, "events", events);
	rte_tel_data_add_dict_u64(d, "events_dropped", dropped);
	rte_tel_data_add_dict_u64(d, "dispatch_dropped", tel_ctx->dispatch.dropped);
	for (unsigned int i = 0; i < tel_ctx->sinks.n; i++) {
		char k[64];

		snprintf(k, sizeof(k), "sink%u_%s_dropped", i,
			 tel_ctx->sinks.s[i].ops->scheme);
		rte_tel_data_add_dict_u64(d, k, tel_ctx->sinks.s[i].dropped);
	}
	return 0;
}

static int
tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < tel_ctx->n_workers; i++) {
		const struct app_worker *w = &tel_ctx->workers[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		char k[32];

		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", w->lcore_id);
		rte_tel_data_add_dict_u64(c, "frames", w->rx_frames);
		rte_tel_data_add_dict_u64(c, "flows_active", fc_tracker_active(w->tracker));
		rte_tel_data_add_dict_u64(c, "events_enqueued", w->ex.enqueued);
		rte_tel_data_add_dict_u64(c, "events_dropped",
					  w->ex.drop_ring_full + w->ex.drop_pool_empty);
		rte_tel_data_add_dict_u64(c, "rx_queues", w->n_rxq);
		snprintf(k, sizeof(k), "worker%u", i);
		rte_tel_data_add_dict_container(d, k, c, 0);
	}
	return 0;
}

static uint64_t
brief_bytes(const struct fc_tracker_flow_brief *b)
{
	return b->bytes[0] + b->bytes[1];
}

/* Insert x into all[] (sorted, largest first, at most n entries). */
static void
keep_top(struct fc_tracker_flow_brief *all, unsigned int *have, unsigned int n,
	 const struct fc_tracker_flow_brief *x)
{
	uint64_t b = brief_bytes(x);
	unsigned int k;

	if (*have == n) {
		if (brief_bytes(&all[n - 1]) >= b)
			return;
		k = n - 1;
	} else {
		k = (*have)++;
	}
	while (k > 0 && brief_bytes(&all[k - 1]) < b) {
		all[k] = all[k - 1];
		k--;
	}
	all[k] = *x;
}

static int
tel_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct fc_tracker_flow_brief top[100], all[100];
	unsigned int n = 10, have = 0;

	(void)cmd;
	if (params != NULL && *params != '\0') {
		char *end;
		unsigned long v = strtoul(params, &end, 10);

		if (*end != '\0' || v == 0 || v > 100)
			return -EINVAL;
		n = (unsigned int)v;
	}
	for (unsigned int i = 0; i < tel_ctx->n_workers; i++) {
		unsigned int got = fc_tracker_top_flows(tel_ctx->workers[i].tracker,
							n, top);

		for (unsigned int j = 0; j < got; j++)
			keep_top(all, &have, n, &top[j]);
	}
	rte_tel_data_start_array(d, RTE_TEL_CONTAINER);
	for (unsigned int i = 0; i < have; i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		char a[64], b[64];

		if (c == NULL)
			return -ENOMEM;
		fc_addr_str(all[i].id.orig_h, all[i].id.family, a, sizeof(a));
		fc_addr_str(all[i].id.resp_h, all[i].id.family, b, sizeof(b));
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "flow_id", all[i].flow_id);
		rte_tel_data_add_dict_string(c, "orig_h", a);
		rte_tel_data_add_dict_u64(c, "orig_p", all[i].id.orig_p);
		rte_tel_data_add_dict_string(c, "resp_h", b);
		rte_tel_data_add_dict_u64(c, "resp_p", all[i].id.resp_p);
		rte_tel_data_add_dict_u64(c, "proto", all[i].id.proto);
		rte_tel_data_add_dict_u64(c, "orig_pkts", all[i].pkts[0]);
		rte_tel_data_add_dict_u64(c, "resp_pkts", all[i].pkts[1]);
		rte_tel_data_add_dict_u64(c, "orig_bytes", all[i].bytes[0]);
		rte_tel_data_add_dict_u64(c, "resp_bytes", all[i].bytes[1]);
		rte_tel_data_add_array_container(d, c, 0);
	}
	return 0;
}

int
app_telemetry_register(struct app_ctx *ctx)
{
	tel_ctx = ctx;
	rte_telemetry_register_cmd("/flowscope/stats", tel_stats,
				   "Totals: frames, flows, events, drops. No parameters");
	rte_telemetry_register_cmd("/flowscope/lcores", tel_lcores,
				   "Per RX worker: lcore, frames, flows, events. No parameters");
	rte_telemetry_register_cmd("/flowscope/flows", tel_flows,
				   "The largest open flows by bytes. Parameter: count (1-100, default 10)");
	return 0;
}
