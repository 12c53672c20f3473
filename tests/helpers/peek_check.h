/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The frame read off its headers checked against the decoder, as the
 * trackers of a shared input rely on it: fc_pkt_peek() must give the
 * decoded layer 0's addresses, ports and protocol, and
 * fc_key_share_frame(), under every key mode, the share hash of the
 * decoded frame (fc_key_share_decoded()). Header-only, for the unit test
 * (test_fc_pkt) and the fuzz target (fuzz_pkt), which report a failure
 * each in its own way.
 */
#ifndef FCTEST_PEEK_CHECK_H
#define FCTEST_PEEK_CHECK_H

#include <stdint.h>
#include <string.h>

#include "fc_key.h"
#include "fc_pkt.h"

enum fctest_peek_result {
	FCTEST_PEEK_AGREES = 0,  /**< everything taken agrees */
	FCTEST_PEEK_DIFFERS,     /**< fc_pkt_peek() differs from the decoder */
	FCTEST_SHARE_UNKEYED,    /**< shared raw, but the decoded frame has no key */
	FCTEST_SHARE_DIFFERS,    /**< the raw share hash differs from the decoded one */
};

/** What one check saw. */
struct fctest_peek_check {
	unsigned int peeked;     /**< 1 if fc_pkt_peek() took the frame */
	unsigned int shared;     /**< key modes whose share hash was read raw */
	unsigned int mode;       /**< key mode of a share failure */
	uint32_t raw, decoded;   /**< the two hashes of FCTEST_SHARE_DIFFERS */
};

/**
 * Check frame (len bytes), which the decoder gave m under prm (NULL:
 * defaults); the share hashes are seeded with 7.
 * @return enum fctest_peek_result: the first disagreement, or AGREES.
 */
static inline int
fctest_peek_share_check(const uint8_t *frame, uint32_t len,
			const struct fc_pkt_params *prm,
			const struct fc_pkt_meta *m, struct fctest_peek_check *r)
{
	const struct fc_pkt_layer *l = &m->layer[0];
	struct fc_pkt_peek p;

	memset(r, 0, sizeof(*r));
	if (fc_pkt_peek(frame, len, prm, &p)) {
		r->peeked = 1;
		if (m->status != FC_PKT_OK || m->n_layers != 1 || !l->has_l4 ||
		    l->proto != p.proto || l->ip_version != p.ip_version ||
		    l->sport != p.sport || l->dport != p.dport ||
		    memcmp(l->src, p.src, 16) != 0 || memcmp(l->dst, p.dst, 16) != 0)
			return FCTEST_PEEK_DIFFERS;
	}
	for (r->mode = 0; r->mode < FC_KEY_MODE_MAX; r->mode++) {
		struct fc_key_params kp = { .mode = (uint8_t)r->mode,
					    .flags = FC_KEY_F_VLAN | FC_KEY_F_TUNNEL_ID };
		struct fc_flow_key k;
		uint8_t dir;

		if (fc_key_share_frame(&kp, prm, frame, len, 7, &r->raw) != 0)
			continue;
		r->shared++;
		if (fc_key_share_decoded(&kp, prm, m, 7, &k, &dir, &r->decoded) != 0)
			return FCTEST_SHARE_UNKEYED;
		if (r->raw != r->decoded)
			return FCTEST_SHARE_DIFFERS;
	}
	return FCTEST_PEEK_AGREES;
}

#endif /* FCTEST_PEEK_CHECK_H */
