/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The export lcore (the main lcore): it owns every sink. It dequeues event
 * pointers in bursts from each worker's ring, hands the events to the
 * sinks, and returns the objects to the worker's pool. It also runs the
 * control work of the process: sink ticks (~100 ms: flush, templates,
 * reconnects), periodic stats, the live status line, SIGHUP (reopen
 * sinks for logrotate) and SIGINT/SIGTERM.
 *
 * Shutdown: a signal sets stop_rx; every worker then ends its open flows
 * (reason shutdown) and hands their events over; this loop keeps
 * draining until every worker is done and every ring is empty, then
 * writes the final stats. Nothing already captured is lost.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "app.h"

#define EXPORT_BURST 64
#define EXPORT_PREFETCH_LINES 8 /* 512 bytes: the header and a flow_end body */
#define TICK_NS (100 * 1000 * 1000ull)

/* Drain up to a few bursts of one worker's ring; returns events handled. */
static unsigned int
drain_worker(struct app_ctx *ctx, struct app_worker *w)
{
	void *obj[EXPORT_BURST];
	unsigned int n, i, total = 0;

	for (int round = 0; round < 8; round++) {
		n = rte_ring_sc_dequeue_burst(w->ev_ring, obj, EXPORT_BURST, NULL);
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			/*
			 * The worker wrote the next event on another core: start
			 * moving its first lines (header and a flow record) here
			 * while this one is rendered.
			 */
			if (i + 1 < n)
				for (unsigned int l = 0; l < EXPORT_PREFETCH_LINES; l++)
					rte_prefetch0((const char *)obj[i + 1] +
						      l * RTE_CACHE_LINE_SIZE);
			if (app_sinks_write(&ctx->sinks, obj[i], 1) == -EPIPE)
				*ctx->quit = 1;
		}
		rte_mempool_put_bulk(w->ev_pool, obj, n);
		w->ev_exported += n;
		total += n;
	}
	return total;
}

/* Packet time of the run (the most advanced worker), or the wall clock. */
static uint64_t
run_now(const struct app_ctx *ctx)
{
	uint64_t now = 0;

	if (!ctx->packet_clock)
		return app_wall_ns();
	for (unsigned int i = 0; i < ctx->n_workers; i++) {
		uint64_t t = fc_tracker_now(ctx->workers[i].tracker);

		if (t > now)
			now = t;
	}
	return now;
}

int
app_export_loop(struct app_ctx *ctx)
{
	uint64_t next_tick = 0, next_stats = 0, next_line = 0;
	unsigned int idle_us = 0;
	int live_line = isatty(STDERR_FILENO) && !ctx->packet_clock;

	for (;;) {
		unsigned int got = 0, done = 0;
		uint64_t wall = app_wall_ns(), now;

		if (*ctx->quit && !ctx->stop_rx)
			ctx->stop_rx = 1;
		if (*ctx->hup) {
			*ctx->hup = 0;
			app_sinks_reopen(&ctx->sinks);
		}
		for (unsigned int i = 0; i < ctx->n_workers; i++) {
			struct app_worker *w = &ctx->workers[i];
			int was_done = w->done;

			rte_smp_rmb();
			got += drain_worker(ctx, w);
			/* Done before the drain and the ring now empty: nothing more. */
			if (was_done && rte_ring_empty(w->ev_ring))
				done++;
		}
		if (done == ctx->n_workers)
			break;
		if (wall >= next_tick) {
			app_sinks_tick(&ctx->sinks, wall);
			next_tick = wall + TICK_NS;
		}
		now = run_now(ctx);
		if (ctx->opt.stats_interval && ctx->opt.print_stats && now != 0) {
			if (next_stats == 0)
				next_stats = now + ctx->opt.stats_interval * FC_NS_PER_SEC;
			else if (now >= next_stats) {
				app_stats_emit(ctx, 0);
				next_stats = now + ctx->opt.stats_interval * FC_NS_PER_SEC;
			}
		}
		if (live_line && wall >= next_line) {
			app_stats_live_line(ctx);
			next_line = wall + FC_NS_PER_SEC;
		}
		if (got > 0) {
			idle_us = 0;
		} else {
			idle_us = idle_us == 0 ? 1 : idle_us * 2;
			if (idle_us > ctx->opt.lcores.idle_backoff_us)
				idle_us = ctx->opt.lcores.idle_backoff_us;
			if (idle_us < 16)
				rte_pause();
			else
				usleep(idle_us);
		}
	}
	if (live_line)
		fputc('\n', stderr);
	return 0;
}
