/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the IPFIX sink's encoder and file output (not a test: it
 * prints figures and asserts nothing).
 *
 *     bench_sink_ipfix [--events N] [--target SPEC] [--v6 PERCENT]
 *
 * Builds 4096 synthetic flow_end events (TCP with a full history, a
 * quarter from a second lcore, PERCENT of them IPv6, default 10) and
 * hands N of them (default 1000000) to an `ipfix:` sink in bursts of 32,
 * as the export loop does, with a tick every 100 ms. SPEC is the sink
 * target (default /tmp/bench_sink_ipfix.ipfix, biflow); the time runs
 * from open to the end of close, so the final write is included. Prints
 * records/s, bytes written and the CPU model. No EAL is needed: the sink
 * uses no DPDK runtime.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sink.h"
#include "bench_common.h"

#define POOL 4096
#define BURST 32

static void
make_event(struct fc_event *ev, uint32_t i, int v6)
{
	struct fc_event_flow_end *e = &ev->u.end;

	memset(ev, 0, sizeof(*ev));
	ev->type = FC_EV_FLOW_END;
	ev->flow_id = (uint64_t)((i & 3) == 3) << 56 | i;
	e->id.family = v6 ? FC_KEY_FAMILY_V6 : FC_KEY_FAMILY_V4;
	if (v6) {
		e->id.orig_h[0] = 0x20;
		e->id.orig_h[1] = 0x01;
		e->id.orig_h[14] = (uint8_t)(i >> 8);
		e->id.orig_h[15] = (uint8_t)i;
		e->id.resp_h[0] = 0x20;
		e->id.resp_h[1] = 0x01;
		e->id.resp_h[15] = 1;
	} else {
		e->id.orig_h[0] = 10;
		e->id.orig_h[2] = (uint8_t)(i >> 8);
		e->id.orig_h[3] = (uint8_t)i;
		e->id.resp_h[0] = 192;
		e->id.resp_h[1] = 168;
		e->id.resp_h[3] = 1;
	}
	e->id.orig_p = (uint16_t)(1024 + i);
	e->id.resp_p = 443;
	e->id.proto = 6;
	e->first_ts = 1700000000000000000ull + (uint64_t)i * 1000;
	e->last_ts = e->first_ts + 2500000000ull;
	e->pkts[0] = 10 + (i & 7);
	e->pkts[1] = 12;
	e->ip_bytes[0] = 1000 + i;
	e->ip_bytes[1] = 15000;
	e->reason = FC_END_FIN;
	e->is_tcp = 1;
	snprintf(e->history, sizeof(e->history), "ShADadFf");
	snprintf(e->fs_history, sizeof(e->fs_history), "SsDdDdDdFf");
	snprintf(e->conn_state, sizeof(e->conn_state), "SF");
}

int
main(int argc, char **argv)
{
	const char *target = "/tmp/bench_sink_ipfix.ipfix";
	unsigned long n = 1000000, v6pct = 10;
	struct fc_event *pool;
	struct app_sink s;
	char cpu[128], path[256];
	uint64_t t0, t, next_tick;
	struct stat st;
	double sec;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--events") == 0)
			n = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--target") == 0)
			target = argv[i + 1];
		else if (strcmp(argv[i], "--v6") == 0)
			v6pct = strtoul(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--events N] [--target SPEC] [--v6 PERCENT]\n",
				argv[0]);
			return 2;
		}
	}
	pool = calloc(POOL, sizeof(*pool));
	if (pool == NULL)
		return 1;
	for (uint32_t i = 0; i < POOL; i++)
		make_event(&pool[i], i, (i % 100) < v6pct);
	memset(&s, 0, sizeof(s));
	s.ops = &app_sink_ipfix_ops;
	s.spec = target;

	t0 = now_ns();
	if (s.ops->open(&s, target) != 0)
		return 1;
	next_tick = t0 + 100000000ull;
	for (unsigned long done = 0; done < n; done += BURST) {
		unsigned int k = n - done < BURST ? (unsigned int)(n - done) : BURST;

		s.ops->write(&s, &pool[done % POOL], k);
		if ((done & 1023) == 0 && (t = now_ns()) >= next_tick) {
			s.ops->tick(&s, t);
			next_tick = t + 100000000ull;
		}
	}
	if (s.ops->close(&s) != 0)
		fprintf(stderr, "close failed\n");
	t = now_ns();
	sec = (double)(t - t0) / 1e9;

	cpu_model(cpu, sizeof(cpu));
	snprintf(path, sizeof(path), "%s", target);
	path[strcspn(path, "?")] = '\0';
	printf("ipfix sink: %lu flow_end events -> ipfix:%s (%lu%% IPv6)\n", n,
	       target, v6pct);
	printf("  records %" PRIu64 " written %" PRIu64 " dropped %" PRIu64 "\n",
	       s.records, s.written, s.dropped);
	printf("  %.3f s, %.2f M records/s, %.0f ns/record", sec,
	       (double)n / sec / 1e6, sec * 1e9 / (double)n);
	if (stat(path, &st) == 0)
		printf(", %.1f MB, %.0f MB/s", (double)st.st_size / 1e6,
		       (double)st.st_size / 1e6 / sec);
	printf("\n  CPU: %s\n", cpu);
	free(pool);
	return 0;
}
