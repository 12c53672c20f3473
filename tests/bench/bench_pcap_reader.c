/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the offline capture reader alone (not a test: it prints
 * figures and asserts nothing).
 *
 *     bench_pcap_reader FILE [--rounds N] [--burst N] [--touch] [--io read|mmap]
 *
 * Each round opens FILE, reads every frame in bursts (default 32, as the
 * tracker takes them) and closes it. Without --touch only the record
 * headers are read (the reader's own cost); with --touch the first cache
 * line of every frame is read too, as a decoder would. --io picks the
 * reader's mode (default read: pread(2) into its window; mmap: a mapping
 * of the whole file). Figures per round:
 * frames, Mpps, GB/s of file, CPU time (user + system: on a shared
 * machine the wall time also counts other processes), minor page faults,
 * and the peak resident size of the process. The first round may pay for reading the file from
 * disk; later ones read it from the page cache.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "pcap_reader.h"
#include "bench_common.h"

#define MAX_BURST 256

static void
usage(void)
{
	fprintf(stderr, "usage: bench_pcap_reader FILE [--rounds N] [--burst N] [--touch] "
		"[--io read|mmap]\n");
}

int
main(int argc, char **argv)
{
	const char *file = NULL;
	unsigned int rounds = 3, burst = 32, round;
	int touch = 0, i;
	enum app_pcap_io io = APP_PCAP_IO_READ;
	struct fc_frame f[MAX_BURST];
	struct stat sb;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--burst") == 0 && i + 1 < argc)
			burst = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--touch") == 0)
			touch = 1;
		else if (strcmp(argv[i], "--io") == 0 && i + 1 < argc &&
			 (strcmp(argv[i + 1], "read") == 0 || strcmp(argv[i + 1], "mmap") == 0))
			io = strcmp(argv[++i], "mmap") == 0 ? APP_PCAP_IO_MMAP : APP_PCAP_IO_READ;
		else if (argv[i][0] != '-' && file == NULL)
			file = argv[i];
		else {
			usage();
			return 2;
		}
	}
	if (file == NULL || burst == 0 || burst > MAX_BURST || rounds == 0) {
		usage();
		return 2;
	}
	if (stat(file, &sb) < 0) {
		fprintf(stderr, "%s: %s\n", file, strerror(errno));
		return 1;
	}
	printf("file %s, %.1f MB, burst %u, %s, %s\n", file, (double)sb.st_size / 1e6,
	       burst, touch ? "first cache line of each frame read" : "headers only",
	       io == APP_PCAP_IO_MMAP ? "mmap" : "read");
	for (round = 0; round < rounds; round++) {
		char err[256];
		struct rusage ru0, ru1;
		struct app_pcap_reader *r;
		const struct app_pcap_reader_stats *st;
		uint64_t t0, dt, sink = 0;
		double cpu;
		unsigned int n, k;

		getrusage(RUSAGE_SELF, &ru0);
		t0 = now_ns();
		r = app_pcap_reader_open_io(file, io, 0, err, sizeof(err));
		if (r == NULL) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		while ((n = app_pcap_reader_burst(r, f, burst)) > 0) {
			for (k = 0; k < n; k++) {
				sink += f[k].cap_len;
				if (touch && f[k].cap_len > 0)
					sink += *(const volatile uint8_t *)f[k].data +
						*(const volatile uint8_t *)(f[k].data + (f[k].cap_len - 1) % 64);
			}
		}
		dt = now_ns() - t0;
		getrusage(RUSAGE_SELF, &ru1);
		st = app_pcap_reader_stats(r);
		cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec +
			       ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
		      (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec +
			       ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
		printf("round %u: %" PRIu64 " frames in %.3f s: %.1f Mpps, %.2f GB/s; "
		       "cpu %.3f s (%.1f Mpps per cpu second); "
		       "%ld minor faults, max RSS %ld MB%s%s (%" PRIu64 ")\n",
		       round, st->frames, (double)dt / 1e9,
		       (double)st->frames * 1e3 / (double)dt,
		       (double)sb.st_size / (double)dt,
		       cpu, cpu > 0 ? (double)st->frames / cpu / 1e6 : 0.0,
		       ru1.ru_minflt - ru0.ru_minflt, ru1.ru_maxrss / 1024,
		       app_pcap_reader_error(r) ? "; stopped: " : "",
		       app_pcap_reader_error(r) ? app_pcap_reader_error(r) : "",
		       sink & 1);
		app_pcap_reader_close(r);
	}
	return 0;
}
