/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stats object: every counter of the run in one JSON line, written
 * periodically (--stats-interval) and once at exit. The numbers are laid
 * out so they can be checked to add up:
 *   decode.frames  = decode.decoded + decode.undecodable
 *   flows.created  = flows.ended + flows.active
 *   events.produced = events.exported + events.queued + events.dropped,
 *     in total and per worker (workers[].events); queued (on the rings
 *     to the export lcore) is 0 in the final stats
 *   sum of rx.ports[].ipackets = rx.frames + dispatch.dropped_ring_full
 *     (frames the ports delivered: to a worker, or dropped by the
 *     dispatch lcore); on the wire, a port also counts imissed (frames
 *     the device had no room for) and rx_nombuf (no mbuf to receive into)
 * exported is counted where events leave: by the export lcore as it
 * hands them to the sinks (by the worker when it writes them itself).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "app.h"
#include "pcap_reader.h"

struct sbuf {
	char b[16384];
	size_t n;
};

static void
sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (s->n >= sizeof(s->b))
		return;
	va_start(ap, fmt);
	r = vsnprintf(s->b + s->n, sizeof(s->b) - s->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		s->n += (size_t)r;
	if (s->n > sizeof(s->b))
		s->n = sizeof(s->b);
}

/* Sum structs made only of uint64_t counters. */
static void
sum_u64(void *dst, const void *src, size_t size)
{
	uint64_t *d = dst;
	const uint64_t *v = src;

	for (size_t i = 0; i < size / sizeof(uint64_t); i++)
		d[i] += v[i];
}

/* Everything the workers counted, summed. */
struct totals {
	struct fc_tracker_stats st;
	struct fc_reasm_stats ra;
	uint64_t l7[32];            /**< FC_L7_COUNTERS, summed */
	uint64_t l7_proto[FC_L7_PROTO_MAX];
	int has_l7;
	struct app_export_stats ex;
	uint64_t exported;
	uint64_t rx_frames, rx_linearized, rx_oversize;
	uint64_t active, memory, now;
	uint64_t capacity, ext_used, ext_high, ext_full, add_collision;
	int has_reasm;
};

static void
totals_get(const struct app_ctx *ctx, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < ctx->n_workers; i++) {
		const struct app_worker *w = &ctx->workers[i];
		const struct fc_reasm_stats *ra;
		uint64_t now;

		if (w->tracker == NULL)
			continue;
		sum_u64(&t->st, fc_tracker_stats(w->tracker), sizeof(t->st));
		ra = fc_tracker_reasm_stats(w->tracker);
		if (ra != NULL) {
			sum_u64(&t->ra, ra, sizeof(t->ra));
			t->has_reasm = 1;
		}
		if (fc_tracker_l7_stats(w->tracker) != NULL) {
			const struct fc_l7_stats *ls = fc_tracker_l7_stats(w->tracker);

			for (unsigned int k = 0; k < FC_DIM(t->l7) &&
			     fc_l7_counter_name(k, NULL) != NULL; k++)
				t->l7[k] += fc_l7_counter(ls, k);
			for (unsigned int k = 0; k < FC_L7_PROTO_MAX; k++)
				t->l7_proto[k] += ls->proto_sessions[k];
			t->has_l7 = 1;
		}
		sum_u64(&t->ex, &w->ex, sizeof(t->ex));
		t->exported += w->ev_exported;
		t->rx_frames += w->rx_frames;
		t->rx_linearized += w->rx_linearized;
		t->rx_oversize += w->rx_oversize;
		t->active += fc_tracker_active(w->tracker);
		t->memory += fc_tracker_memory(w->tracker);
		{
			const struct fc_table_stats *ts = fc_tracker_table_stats(w->tracker);

			t->capacity += fc_tracker_capacity(w->tracker);
			t->ext_used += ts->ext_used;
			t->ext_high += ts->ext_high;
			t->ext_full += ts->ext_full;
			t->add_collision += ts->add_collision;
		}
		now = fc_tracker_now(w->tracker);
		if (now > t->now)
			t->now = now;
	}
}

void
app_stats_emit(struct app_ctx *ctx, int final)
{
	struct totals tot;
	const struct fc_tracker_stats *st = &tot.st;
	const struct fc_pkt_stats *ps = &st->pkt;
	struct sbuf sb, *s = &sb;
	char ts[32];
	uint64_t undecodable = 0, dropped;
	unsigned int i;
	const char *name;
	int first;

	totals_get(ctx, &tot);
	s->n = 0;
	for (i = FC_PKT_L2_ONLY + 1; i < FC_PKT_STATUS_MAX; i++)
		undecodable += ps->status[i];
	fc_event_ts_str(ctx->packet_clock ? tot.now : app_wall_ns(), ts, sizeof(ts));
	sb_printf(s, "{\"type\":\"stats\",\"ts\":%s,\"final\":%s", ts,
		  final ? "true" : "false");

	sb_printf(s, ",\"rx\":{\"frames\":%" PRIu64 ",\"linearized\":%" PRIu64
		  ",\"truncated_oversize\":%" PRIu64 ",\"ports\":[",
		  tot.rx_frames, tot.rx_linearized, tot.rx_oversize);
	for (i = 0; i < ctx->n_ports; i++) {
		struct rte_eth_stats es;

		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(ctx->ports[i].port_id, &es);
		sb_printf(s, "%s{\"port\":%u,\"ipackets\":%" PRIu64 ",\"imissed\":%"
			  PRIu64 ",\"ierrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 "}",
			  i ? "," : "", ctx->ports[i].port_id, es.ipackets,
			  es.imissed, es.ierrors, es.rx_nombuf);
	}
	sb_printf(s, "]");
	if (ctx->reader != NULL) {
		const struct app_pcap_reader_stats *rd = app_pcap_reader_stats(ctx->reader);
		const uint64_t *v = (const uint64_t *)rd;

		sb_printf(s, ",\"reader\":{");
		for (i = 0; (name = app_pcap_reader_counter_name(i, NULL)) != NULL; i++)
			sb_printf(s, "%s\"%s\":%" PRIu64, i ? "," : "", name, v[i]);
		sb_printf(s, "}");
	}
	sb_printf(s, "}");

	sb_printf(s, ",\"decode\":{\"frames\":%" PRIu64 ",\"decoded\":%" PRIu64
		  ",\"undecodable\":%" PRIu64 ",\"l2_only\":%" PRIu64
		  ",\"fragments\":%" PRIu64 ",\"reasons\":{",
		  ps->frames, ps->status[FC_PKT_OK] + ps->status[FC_PKT_L2_ONLY],
		  undecodable, ps->status[FC_PKT_L2_ONLY], ps->fragments);
	for (i = FC_PKT_L2_ONLY + 1, first = 1; i < FC_PKT_STATUS_MAX; i++) {
		if (ps->status[i] == 0)
			continue;
		sb_printf(s, "%s\"%s\":%" PRIu64, first ? "" : ",",
			  fc_pkt_status_name(i), ps->status[i]);
		first = 0;
	}
	sb_printf(s, "},\"tunnels\":{");
	for (i = FC_TUN_NONE + 1, first = 1; i < FC_TUN_MAX; i++) {
		sb_printf(s, "%s\"%s\":%" PRIu64, first ? "" : ",",
			  fc_tunnel_name(i), ps->tunnels[i]);
		first = 0;
	}
	sb_printf(s, "},\"tunnel_inner_undecodable\":{");
	for (i = FC_PKT_L2_ONLY + 1, first = 1; i < FC_PKT_STATUS_MAX; i++) {
		if (ps->inner_bad[i] == 0)
			continue;
		sb_printf(s, "%s\"%s\":%" PRIu64, first ? "" : ",",
			  fc_pkt_status_name(i), ps->inner_bad[i]);
		first = 0;
	}
	sb_printf(s, "}}");

	sb_printf(s, ",\"tracker\":{");
	for (i = 0; (name = fc_tracker_counter_name(i, NULL)) != NULL; i++)
		sb_printf(s, "%s\"%s\":%" PRIu64, i ? "," : "", name,
			  fc_tracker_counter(st, i));
	sb_printf(s, "}");

	sb_printf(s, ",\"table\":{\"capacity\":%" PRIu64 ",\"ext_used\":%" PRIu64
		  ",\"ext_high\":%" PRIu64 ",\"ext_full\":%" PRIu64
		  ",\"add_collision\":%" PRIu64 "}", tot.capacity, tot.ext_used,
		  tot.ext_high, tot.ext_full, tot.add_collision);
	sb_printf(s, ",\"flows\":{\"created\":%" PRIu64 ",\"ended\":%" PRIu64
		  ",\"active\":%" PRIu64 ",\"ended_by_reason\":{", st->flows_created,
		  st->flows_ended, tot.active);
	for (i = 0; i < FC_END_MAX; i++)
		sb_printf(s, "%s\"%s\":%" PRIu64, i ? "," : "",
			  fc_end_reason_name(i), st->ended[i]);
	sb_printf(s, "}}");

	if (tot.has_reasm) {
		sb_printf(s, ",\"reassembly\":{\"chunks_in_use\":%" PRIu64
			  ",\"chunks_total\":%" PRIu64, tot.ra.chunks_in_use,
			  tot.ra.chunks_total);
		for (i = 0; (name = fc_reasm_counter_name(i, NULL)) != NULL; i++)
			sb_printf(s, ",\"%s\":%" PRIu64, name,
				  fc_reasm_counter(&tot.ra, i));
		sb_printf(s, "}");
	}
	if (tot.has_l7) {
		sb_printf(s, ",\"sessions\":{");
		for (i = 0; i < FC_DIM(tot.l7) && (name = fc_l7_counter_name(i, NULL)) != NULL; i++)
			sb_printf(s, "%s\"%s\":%" PRIu64, i ? "," : "", name, tot.l7[i]);
		sb_printf(s, ",\"by_proto\":{");
		for (i = 0; i < FC_L7_PROTO_MAX; i++)
			sb_printf(s, "%s\"%s\":%" PRIu64, i ? "," : "",
				  fc_l7_proto_name(i), tot.l7_proto[i]);
		sb_printf(s, "}}");
	}
	/*
	 * Counters are read while the lcores run (periodic stats): queued is
	 * what is left once exported and dropped are taken from produced, so
	 * a moment's skew shows there, never as a negative number.
	 */
	dropped = tot.ex.drop_ring_full + tot.ex.drop_pool_empty;
	sb_printf(s, ",\"events\":{\"produced\":%" PRIu64 ",\"exported\":%" PRIu64
		  ",\"queued\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"dropped_ring_full\":%" PRIu64
		  ",\"dropped_pool_empty\":%" PRIu64 ",\"hold_waits\":%" PRIu64
		  ",\"masked\":%" PRIu64 "}",
		  st->events, tot.exported,
		  st->events > tot.exported + dropped ? st->events - tot.exported - dropped : 0,
		  dropped, tot.ex.drop_ring_full, tot.ex.drop_pool_empty,
		  tot.ex.hold_waits, st->events_masked);
	sb_printf(s, ",\"sinks\":[");
	for (i = 0; i < ctx->sinks.n; i++) {
		const struct app_sink *k = &ctx->sinks.s[i];

		sb_printf(s, "%s{\"output\":\"%s\",\"records\":%" PRIu64
			  ",\"written\":%" PRIu64 ",\"dropped\":%" PRIu64 "}",
			  i ? "," : "", k->ops->scheme, k->records, k->written,
			  k->dropped);
	}
	sb_printf(s, "]");
	if (ctx->use_dispatch)
		sb_printf(s, ",\"dispatch\":{\"frames\":%" PRIu64 ",\"dropped_ring_full\":%"
			  PRIu64 ",\"hold_waits\":%" PRIu64 "}", ctx->dispatch.frames,
			  ctx->dispatch.dropped, ctx->dispatch.hold_waits);
	sb_printf(s, ",\"workers\":[");
	for (i = 0; i < ctx->n_workers; i++) {
		const struct app_worker *w = &ctx->workers[i];
		uint64_t produced = w->tracker != NULL ?
			fc_tracker_stats(w->tracker)->events : 0;

		sb_printf(s, "%s{\"lcore\":%u,\"frames\":%" PRIu64 ",\"active\":%u"
			  ",\"events\":{\"produced\":%" PRIu64 ",\"enqueued\":%" PRIu64
			  ",\"exported\":%" PRIu64 ",\"dropped_ring_full\":%" PRIu64
			  ",\"dropped_pool_empty\":%" PRIu64 ",\"hold_waits\":%" PRIu64 "}}",
			  i ? "," : "", w->lcore_id, w->rx_frames,
			  w->tracker != NULL ? fc_tracker_active(w->tracker) : 0,
			  produced, w->ex.enqueued, w->ev_exported, w->ex.drop_ring_full,
			  w->ex.drop_pool_empty, w->ex.hold_waits);
	}
	sb_printf(s, "]");
	sb_printf(s, ",\"memory\":{\"tracker_bytes\":%" PRIu64 "}}\n", tot.memory);
	app_sinks_write_stats(&ctx->sinks, s->b, s->n);
}

/* One status line on stderr (a terminal), rewritten in place every second. */
void
app_stats_live_line(struct app_ctx *ctx)
{
	static const char spin[] = "|/-\\";
	unsigned int tick = (unsigned int)(app_wall_ns() / FC_NS_PER_SEC);
	struct totals t;

	totals_get(ctx, &t);
	fprintf(stderr, "\r%c frames %" PRIu64 "  flows %" PRIu64 " active, %" PRIu64
		" ended  events %" PRIu64 " (dropped %" PRIu64 ")   ",
		spin[tick & 3], t.rx_frames, t.active, t.st.flows_ended,
		t.st.events, t.ex.drop_ring_full + t.ex.drop_pool_empty);
	fflush(stderr);
}
