/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * @internal fc_tcp internals shared with its unit tests.
 */
#ifndef FC_TCP_PRIV_H
#define FC_TCP_PRIV_H

#include "fc_tcp.h"

/**
 * @internal fc_tcp_update() without its steady-state shortcut: every
 * packet through the full machine. Same contract as fc_tcp_update(); the
 * tests compare the two on every packet they replay.
 */
unsigned int fc__tcp_update_full(struct fc_tcp_conn *c, struct fc_history *h,
				 unsigned int side, const struct fc_pkt_tcp *t,
				 uint32_t payload_len, uint32_t payload_cap,
				 struct fc_tcp_change *chg);

#endif /* FC_TCP_PRIV_H */
