/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Export throughput: synthetic flow_end events (IPv4 TCP, varied
 * endpoints and counters) rendered and written by each sink, the work the
 * export lcore does per record. Reports records/s and ns/record per sink.
 *
 *     bench_export [--events N] [--dir DIR] [--sink ndjson|eve|zeek|ipfix]
 *
 * Outputs go to files under DIR (default /tmp), so the figure includes
 * write(2) into the page cache but not the disk. --sink runs one sink
 * only (for a profiler: valgrind --tool=callgrind counts its
 * instructions per record reliably on a busy machine). The figure
 * includes building each event (as the tracker would), the same for
 * every sink.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink.h"

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
make_event(struct fc_event *ev, uint64_t i)
{
	struct fc_event_flow_end *e = &ev->u.end;

	memset(ev, 0, sizeof(*ev));
	ev->type = FC_EV_FLOW_END;
	ev->flow_id = i + 1;
	ev->ts = 1700000000ull * FC_NS_PER_SEC + i * 1000;
	e->id.family = FC_KEY_FAMILY_V4;
	e->id.proto = 6;
	e->id.orig_h[0] = 10;
	e->id.orig_h[1] = (uint8_t)(i >> 16);
	e->id.orig_h[2] = (uint8_t)(i >> 8);
	e->id.orig_h[3] = (uint8_t)i;
	e->id.resp_h[0] = 192;
	e->id.resp_h[1] = 0;
	e->id.resp_h[2] = 2;
	e->id.resp_h[3] = (uint8_t)(i * 7);
	e->id.orig_p = (uint16_t)(1024 + i % 60000);
	e->id.resp_p = 443;
	e->first_ts = ev->ts - 2500000000ull;
	e->last_ts = ev->ts;
	for (int s = 0; s < 2; s++) {
		e->pkts[s] = 10 + i % 100;
		e->bytes[s] = 1500 * e->pkts[s];
		e->ip_bytes[s] = 1486 * e->pkts[s];
		e->payload_bytes[s] = 1446 * e->pkts[s];
		e->seq_bytes[s] = e->payload_bytes[s];
	}
	e->is_tcp = 1;
	e->state = 7;
	e->reason = FC_END_FIN;
	strcpy(e->conn_state, "SF");
	strcpy(e->history, "ShADadFf");
	strcpy(e->fs_history, "SsDdFf");
}

int
main(int argc, char **argv)
{
	unsigned long n = 1000000;
	const char *dir = "/tmp", *only = NULL;
	struct fc_event *ev;
	char spec[4][512];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--events") == 0)
			n = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--sink") == 0)
			only = argv[i + 1];
	}
	ev = calloc(1024, sizeof(*ev));
	if (ev == NULL)
		return 1;
	snprintf(spec[0], sizeof(spec[0]), "ndjson:%s/bench_export.ndjson", dir);
	snprintf(spec[1], sizeof(spec[1]), "eve:%s/bench_export.eve.json", dir);
	snprintf(spec[2], sizeof(spec[2]), "zeek:%s/bench_export_zeek", dir);
	snprintf(spec[3], sizeof(spec[3]), "ipfix:%s/bench_export.ipfix", dir);
	printf("%-8s %12s %10s\n", "sink", "records/s", "ns/record");
	for (int k = 0; k < 4; k++) {
		struct app_sinks ss;
		const char *sp = spec[k];
		double t0, t;

		if (only != NULL && (strncmp(sp, only, strlen(only)) != 0 ||
				     sp[strlen(only)] != ':'))
			continue;
		if (app_sinks_open(&ss, &sp, 1) != 0)
			return 1;
		t0 = now_s();
		for (unsigned long i = 0; i < n; i += 1024) {
			unsigned int m = n - i < 1024 ? (unsigned int)(n - i) : 1024;

			for (unsigned int j = 0; j < m; j++)
				make_event(&ev[j], i + j);
			/* one event per call, as the export lcore hands them over */
			for (unsigned int j = 0; j < m; j++)
				app_sinks_write(&ss, &ev[j], 1);
		}
		app_sinks_close(&ss);
		t = now_s() - t0;
		printf("%-8.*s %12.0f %10.0f\n", (int)(strchr(sp, ':') - sp), sp,
		       (double)n / t, t * 1e9 / (double)n);
	}
	free(ev);
	return 0;
}
