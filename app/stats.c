/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stats object: every counter of the run in one JSON line, written
 * periodically (--stats-interval) and once at exit. The numbers are laid
 * out so they can be checked to add up:
 *   decode.frames  = decode.decoded + decode.undecodable
 *   flows.created  = flows.ended + flows.active
 *   events.produced = events.exported + events.dropped
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "app.h"

struct sbuf {
	char b[8192];
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

void
app_stats_emit(struct app_ctx *ctx, int final)
{
	const struct fc_tracker_stats *st = fc_tracker_stats(ctx->tracker);
	const struct fc_pkt_stats *ps = &st->pkt;
	struct sbuf sb, *s = &sb;
	char ts[32];
	uint64_t undecodable = 0, dropped;
	unsigned int i;
	const char *name;
	int first;

	s->n = 0;
	for (i = FC_PKT_L2_ONLY + 1; i < FC_PKT_STATUS_MAX; i++)
		undecodable += ps->status[i];
	fc_event_ts_str(fc_tracker_now(ctx->tracker), ts, sizeof(ts));
	sb_printf(s, "{\"type\":\"stats\",\"ts\":%s,\"final\":%s", ts,
		  final ? "true" : "false");

	sb_printf(s, ",\"rx\":{\"frames\":%" PRIu64 ",\"linearized\":%" PRIu64
		  ",\"truncated_oversize\":%" PRIu64 ",\"ports\":[",
		  ctx->rx_frames, ctx->rx_linearized, ctx->rx_oversize);
	for (i = 0; i < ctx->n_ports; i++) {
		struct rte_eth_stats es;

		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(ctx->ports[i].port_id, &es);
		sb_printf(s, "%s{\"port\":%u,\"ipackets\":%" PRIu64 ",\"imissed\":%"
			  PRIu64 ",\"ierrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 "}",
			  i ? "," : "", ctx->ports[i].port_id, es.ipackets,
			  es.imissed, es.ierrors, es.rx_nombuf);
	}
	sb_printf(s, "]}");

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

	sb_printf(s, ",\"flows\":{\"created\":%" PRIu64 ",\"ended\":%" PRIu64
		  ",\"active\":%u,\"ended_by_reason\":{", st->flows_created,
		  st->flows_ended, fc_tracker_active(ctx->tracker));
	for (i = 0; i < FC_END_MAX; i++)
		sb_printf(s, "%s\"%s\":%" PRIu64, i ? "," : "",
			  fc_end_reason_name(i), st->ended[i]);
	sb_printf(s, "}}");

	dropped = app_sinks_dropped(&ctx->sinks);
	sb_printf(s, ",\"events\":{\"produced\":%" PRIu64 ",\"exported\":%" PRIu64
		  ",\"dropped\":%" PRIu64 ",\"masked\":%" PRIu64 "}",
		  st->events, st->events - (dropped < st->events ? dropped : st->events),
		  dropped, st->events_masked);
	sb_printf(s, ",\"memory\":{\"tracker_bytes\":%" PRIu64 "}}\n",
		  fc_tracker_memory(ctx->tracker));
	app_sinks_write_stats(&ctx->sinks, s->b, s->n);
}
