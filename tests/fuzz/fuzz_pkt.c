/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the packet decoder (flowcore/fc_pkt.c). Each input
 * is decoded under several decap policies and counted; invariants of the
 * result that the rest of the pipeline relies on are checked and abort on
 * violation, so the fuzzer reports them like crashes. Every decode is made
 * twice, by fc_pkt_decode() (fast path first) and by the general decoder
 * alone (fc_pkt_decode_generic()), and the two results must match.
 *
 * An input is one Ethernet frame, or, if it starts with a classic pcap
 * header, a capture whose records are decoded one by one. That way the
 * shared pcaps serve directly as the seed corpus. Each frame is decoded
 * from a heap copy of exactly its captured length, so ASan reports any
 * read past it.
 *
 * Build (clang only; the flowcore sources are compiled into the target with
 * the fuzzer's instrumentation):
 *
 *     CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=enabled
 *     ninja -C build-fuzz tests/fuzz/fuzz_pkt
 *
 * Run with the shared pcaps as seeds. The first directory receives the
 * inputs the fuzzer finds; the seed directory is only read. -max_len keeps
 * inputs small (a seed pcap is cut to its first frames), -timeout flags a
 * slow input:
 *
 *     mkdir -p /tmp/fuzz-pkt-corpus
 *     ./build-fuzz/tests/fuzz/fuzz_pkt /tmp/fuzz-pkt-corpus ../shared/pcaps \
 *         -max_len=4096 -timeout=5 -max_total_time=120 -jobs=2 -workers=2
 *
 * Replay one crashing input (or a whole pcap) without fuzzing:
 *
 *     ./build-fuzz/tests/fuzz/fuzz_pkt crash-<sha1>
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fc_pkt.h"
#include "peek_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Stop the run on a broken invariant (libFuzzer reports the abort). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

static void
fuzz_check_meta(const struct fc_pkt_meta *m, enum fc_pkt_status st,
		uint32_t cap_len)
{
	unsigned int i;

	fuzz_check(m->status == st && st < FC_PKT_STATUS_MAX);
	fuzz_check(st != FC_PKT_E_TRUNC_TUNNEL);
	fuzz_check(m->cap_len == cap_len && m->wire_len >= cap_len);
	fuzz_check(m->n_layers <= FC_PKT_MAX_LAYERS);
	fuzz_check(st == FC_PKT_OK ? m->n_layers >= 1 : m->n_layers == 0);
	fuzz_check(m->inner_status < FC_PKT_STATUS_MAX &&
		   m->inner_status != FC_PKT_L2_ONLY);
	fuzz_check((m->inner_status == FC_PKT_OK) ==
		   (m->inner_tunnel == FC_TUN_NONE));
	for (i = 0; i < m->n_layers; i++) {
		const struct fc_pkt_layer *l = &m->layer[i];

		fuzz_check(l->ip_version == 4 || l->ip_version == 6);
		fuzz_check(l->l3_off < cap_len && l->l3_off <= l->l4_off);
		fuzz_check(l->l4_off <= l->payload_off);
		fuzz_check(l->payload_cap <= l->payload_len);
		fuzz_check((uint32_t)l->payload_off + l->payload_cap <= cap_len);
		fuzz_check(l->frag <= FC_FRAG_LATER && l->tunnel < FC_TUN_MAX &&
			   l->encap < FC_TUN_MAX);
		fuzz_check(i == 0 || l->tunnel != FC_TUN_NONE);
		if (i > 0)
			fuzz_check(l->l3_off > m->layer[i - 1].l3_off);
		if (l->frag == FC_FRAG_LATER)
			fuzz_check(!l->has_l4 && l->sport == 0 && l->dport == 0);
		if (l->has_l4 && l->proto == 6)
			fuzz_check(l->tcp.doff >= 20 && l->tcp.doff <= 60);
	}
}

/**
 * Decode with fc_pkt_decode() (fast path first) and with the general
 * decoder alone; every field a consumer may read must be the same: the
 * frame fields and layers 0 .. max(n_layers, 1) - 1, byte for byte.
 */
static enum fc_pkt_status
fuzz_decode_both(const uint8_t *frame, uint32_t len, uint32_t wire_len,
		 const struct fc_pkt_params *prm, struct fc_pkt_meta *m)
{
	struct fc_pkt_meta g;
	enum fc_pkt_status st, sg;
	unsigned int n;

	memset(m, 0x5a, sizeof(*m));
	memset(&g, 0xa5, sizeof(g));
	st = fc_pkt_decode(frame, len, wire_len, prm, m);
	sg = fc_pkt_decode_generic(frame, len, wire_len, prm, &g);
	n = m->n_layers > 0 && m->n_layers <= FC_PKT_MAX_LAYERS ?
		m->n_layers : 1;
	fuzz_check(st == sg &&
		   memcmp(m, &g, offsetof(struct fc_pkt_meta, layer)) == 0 &&
		   memcmp(m->layer, g.layer, n * sizeof(g.layer[0])) == 0);
	return st;
}

/** The frame read off its headers agrees with the decoder (peek_check.h). */
static void
fuzz_peek_share(const uint8_t *frame, uint32_t len,
		const struct fc_pkt_params *prm, const struct fc_pkt_meta *m)
{
	struct fctest_peek_check r;

	fuzz_check(fctest_peek_share_check(frame, len, prm, m, &r) ==
		   FCTEST_PEEK_AGREES);
}

/** Decode one frame (from an exact-size copy) under every policy set. */
static void
fuzz_frame(const uint8_t *frame, uint32_t len, struct fc_pkt_stats *s)
{
	static const struct fc_pkt_params params[] = {
		{ .decap = { 0 } },
		{ .decap = { FC_DECAP_OUTER, FC_DECAP_OUTER, FC_DECAP_OUTER,
			     FC_DECAP_OUTER, FC_DECAP_OUTER } },
		{ .decap = { FC_DECAP_INNER, FC_DECAP_INNER, FC_DECAP_INNER,
			     FC_DECAP_INNER, FC_DECAP_INNER } },
		{ .decap = { FC_DECAP_NONE, FC_DECAP_NONE, FC_DECAP_NONE,
			     FC_DECAP_NONE, FC_DECAP_NONE } },
		{ .decap = { [FC_TUN_GRE] = FC_DECAP_INNER,
			     [FC_TUN_VXLAN] = FC_DECAP_OUTER,
			     [FC_TUN_IPIP] = FC_DECAP_INNER },
		  .vxlan_port = 8472, .gtpu_port = 2123 },
	};
	uint8_t *copy = NULL;
	unsigned int i;

	if (len != 0) {
		copy = malloc(len);
		if (copy == NULL)
			return;
		memcpy(copy, frame, len);
	}
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		struct fc_pkt_meta m;
		enum fc_pkt_status st;

		st = fuzz_decode_both(copy, len, i == 0 ? 0 : len, &params[i],
				      &m);
		fuzz_check_meta(&m, st, len);
		fuzz_peek_share(copy, len, &params[i], &m);
		fc_pkt_stats_count(s, &m);
	}
	{
		struct fc_pkt_meta m;

		fuzz_check_meta(&m, fuzz_decode_both(copy, len, 0, NULL, &m),
				len);
		fuzz_peek_share(copy, len, NULL, &m);
		fc_pkt_stats_count(s, &m);
	}
	free(copy);
}

static uint32_t
fuzz_rd32(const uint8_t *p, int swap)
{
	return swap ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3] :
		(uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
		(uint32_t)p[1] << 8 | p[0];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fc_pkt_stats s;
	uint64_t sum = 0;
	unsigned int i;
	uint32_t magic;
	int swap;

	memset(&s, 0, sizeof(s));
	magic = size >= 24 ? fuzz_rd32(data, 0) : 0;
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d ||
	    magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
		/* Classic pcap: 24-byte header, then 16-byte record headers. */
		size_t off = 24;

		swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
		while (size - off >= 16) {
			uint32_t incl = fuzz_rd32(data + off + 8, swap);

			off += 16;
			if (incl > size - off)
				incl = (uint32_t)(size - off);
			fuzz_frame(data + off, incl, &s);
			off += incl;
		}
	} else {
		fuzz_frame(data, (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size), &s);
	}
	/* The counters add up. */
	for (i = 0; i < FC_PKT_STATUS_MAX; i++)
		sum += s.status[i];
	fuzz_check(sum == s.frames);
	fuzz_check(s.inner_bad[FC_PKT_OK] == 0 && s.tunnels[FC_TUN_NONE] == 0);
	return 0;
}
