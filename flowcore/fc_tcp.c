/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP state: the pipeline stage after the flow table (table -> tcp
 * state/history -> reassembly). For every TCP packet of a flow,
 * fc_tcp_update() advances Zeek's per-endpoint machine (which yields the
 * conn.log `history`, `conn_state` and byte counts) and flowscope's
 * 9-state flow machine (which yields the established / state_change /
 * flow_end events), both over one 32-byte struct fc_tcp_conn.
 *
 * The Zeek half follows the behaviour Zeek documents and its baselines
 * show; it is our own code, written from those rules. The flowscope half
 * keeps flowscope's states and event semantics and fixes the weaknesses
 * listed in the reference (see the essay above fs_step()).
 */
#include <string.h>

#include "fc_tcp.h"
#include "fc_tcp_priv.h"

/* Zeek's TOO_LARGE_SEQ_DELTA: larger SYN/RST sequence jumps are not trusted. */
#define SEQ_JUMP_MAX 1048576

static const char *const tcp_state_names[] = { FC_TCP_STATES(FC_X_NAME) };
static const char *const ep_state_names[] = { FC_TCP_EP_STATES(FC_X_NAME) };
static const char *const conn_state_names[] = { FC_TCP_CONN_STATES(FC_X_NAME) };

static_assert(FC_DIM(tcp_state_names) == FC_TCP_S_MAX, "flowscope state names");
static_assert(FC_DIM(ep_state_names) == FC_TCP_EP_MAX, "endpoint state names");
static_assert(FC_DIM(conn_state_names) == FC_TCP_CS_MAX, "conn_state names");
static_assert(FC_TCP_EP_MAX <= 16, "endpoint state fits a nibble");

/*
 * Zeek's default likely_server_ports: the ports its base protocol and
 * tunnel scripts register (http, ssl, ssh, ftp, smtp, dns, ...), sorted
 * for a binary search.
 */
static const uint16_t likely_tcp[] = {
	21, 22, 25, 53, 80, 81, 88, 135, 139, 143, 389, 443, 445, 502, 563,
	585, 587, 614, 631, 636, 989, 990, 992, 993, 995, 1080, 1434, 1883,
	2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6666, 6667, 6668,
	6669, 8000, 8080, 8888, 20000,
};
static const uint16_t likely_udp[] = {
	53, 67, 88, 123, 137, 161, 162, 389, 443, 514, 750, 1812, 2123, 2152,
	3544, 4789, 5060, 5072, 5353, 5355, 6081, 20000,
};

static int
port_in(const uint16_t *tab, unsigned int n, uint16_t port)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (tab[mid] == port)
			return 1;
		if (tab[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
fc_tcp_likely_server_port(uint8_t ipproto, uint16_t port)
{
	if (port == 0)
		return 0;
	if (ipproto == 6)
		return port_in(likely_tcp, FC_DIM(likely_tcp), port);
	if (ipproto == 17)
		return port_in(likely_udp, FC_DIM(likely_udp), port);
	return 0;
}

int
fc_tcp_orig_is_receiver(uint8_t tcp_flags, uint16_t sport, uint16_t dport)
{
	const int syn = (tcp_flags & FC_TCP_SYN) != 0;

	if (syn && !(tcp_flags & FC_TCP_ACK))
		return 0; /* a SYN: its sender originates */
	if (!fc_tcp_likely_server_port(6, sport))
		return 0;
	if (!fc_tcp_likely_server_port(6, dport))
		return 1;
	/* Both plausible: not for a SYN-ACK (stealth scans), favour the lower port. */
	return !syn && sport < dport;
}

/* ---- endpoint helpers ---------------------------------------------- */

static inline unsigned int
ep_state(const struct fc_tcp_conn *c, unsigned int s)
{
	return c->ep[s] & 0x0f;
}

static inline unsigned int
ep_prev(const struct fc_tcp_conn *c, unsigned int s)
{
	return c->ep[s] >> 4;
}

/* Zeek's SetState: remember the previous state on a change. */
static inline void
ep_set(struct fc_tcp_conn *c, unsigned int s, unsigned int st)
{
	unsigned int cur = c->ep[s] & 0x0f;

	if (cur != st)
		c->ep[s] = (uint8_t)((cur << 4) | st);
}

/* Established, or closed straight from established (Zeek's is_clean). */
static inline int
ep_clean(const struct fc_tcp_conn *c, unsigned int s)
{
	return ep_state(c, s) == FC_TCP_EP_ESTABLISHED ||
		(ep_state(c, s) == FC_TCP_EP_CLOSED &&
		 ep_prev(c, s) == FC_TCP_EP_ESTABLISHED);
}

static inline int
ep_did_close(const struct fc_tcp_conn *c, unsigned int s)
{
	return ep_state(c, s) == FC_TCP_EP_CLOSED ||
		ep_state(c, s) == FC_TCP_EP_RESET;
}

static inline void
peer_start(struct fc_tcp_peer *p, uint32_t isn, uint32_t last)
{
	p->isn = isn;
	p->seq_hi = last;
	p->ack_hi = isn + 1; /* first payload byte: nothing delivered yet */
}

/* The endpoint's FIN was acknowledged (the FIN is its highest sequence). */
static inline int
fin_acked(const struct fc_tcp_conn *c, unsigned int s)
{
	return (c->pflags[s] & FC_TCP_PF_FIN) &&
		FC_SEQ_GEQ(c->peer[s].ack_hi, c->peer[s].seq_hi);
}

void
fc_tcp_init(struct fc_tcp_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->state = FC_TCP_S_ACTIVE;
}

static void
conn_swap(struct fc_tcp_conn *c)
{
	struct fc_tcp_peer p = c->peer[0];
	uint8_t b;

	c->peer[0] = c->peer[1];
	c->peer[1] = p;
	b = c->ep[0];
	c->ep[0] = c->ep[1];
	c->ep[1] = b;
	b = c->pflags[0];
	c->pflags[0] = c->pflags[1];
	c->pflags[1] = b;
	c->flags |= FC_TCP_CF_FLIPPED;
}

void
fc_tcp_flip(struct fc_tcp_conn *c, struct fc_history *h)
{
	conn_swap(c);
	if (h != NULL)
		fc_history_flip(h);
}

/*
 * The flow began with a SYN-ACK from side 0 that was not flipped at
 * creation, and an ACK or data packet now follows: the SYN-ACK sender is
 * the server (a stealth scan would answer with a RST or nothing). Redo the
 * orientation as if it had been decided at creation: the SYN-ACK sender
 * becomes the responder, whose unsolicited SYN-ACK made it established,
 * and the history reads '^h...'.
 */
static void
flip_retro(struct fc_tcp_conn *c, struct fc_history *h)
{
	conn_swap(c);
	c->ep[1] = (uint8_t)((FC_TCP_EP_INACTIVE << 4) | FC_TCP_EP_ESTABLISHED);
	if (h != NULL)
		fc_history_flip_retro(h);
}

int
fc_tcp_is_reuse(const struct fc_tcp_conn *c, unsigned int side,
		const struct fc_pkt_tcp *t)
{
	unsigned int o = 0; /* the endpoint whose start the SYN must repeat */

	if (!(t->flags & FC_TCP_SYN))
		return 0;
	if (t->flags & FC_TCP_ACK) {
		if (ep_state(c, 0) != FC_TCP_EP_INACTIVE)
			return 0;
		o = 1;
	}
	if (ep_did_close(c, 0) || ep_did_close(c, 1))
		return 1;
	if (t->seq == c->peer[o].isn)
		return 0;
	/*
	 * The responder's own SYN on an open flow is a simultaneous open (or
	 * the SYN of a reversed handshake), not a new connection. Zeek would
	 * start a new connection here; we keep the flow.
	 */
	if (!(t->flags & FC_TCP_ACK) && (side & 1) == 1)
		return 0;
	/* An initial SYN matching a SYN-ACK seen first: the reversal, not a reuse. */
	if (!(t->flags & FC_TCP_ACK) &&
	    ep_state(c, o) == FC_TCP_EP_SYN_ACK_SENT &&
	    ep_state(c, 1) == FC_TCP_EP_INACTIVE && t->seq == c->peer[1].isn)
		return 0;
	/* Nothing seen from that endpoint yet: its start is only a guess. */
	if (ep_state(c, o) == FC_TCP_EP_INACTIVE && ep_state(c, o ^ 1) ==
	    FC_TCP_EP_INACTIVE)
		return 0;
	return 1;
}

/* ---- Zeek: history letters of one packet --------------------------- */

static void
zeek_letters(struct fc_history *h, const struct fc_tcp_conn *c,
	     unsigned int s, uint8_t fl, uint32_t rel, uint32_t len)
{
	const int syn = !!(fl & FC_TCP_SYN), fin = !!(fl & FC_TCP_FIN);
	const int rst = !!(fl & FC_TCP_RST), ack = !!(fl & FC_TCP_ACK);
	const struct fc_tcp_peer *e = &c->peer[s];

	if (syn + fin + rst > 1) {
		fc_history_once(h, s, (fin && rst) ? FC_HIST_INCONS :
				FC_HIST_MULTI);
	} else if (syn) {
		/* A SYN starts the endpoint's sequence space: relative 0. */
		fc_history_seq(h, s, ack ? FC_HIST_SYNACK : FC_HIST_SYN,
			       rel != 0);
	} else if (fin) {
		/* A FIN's position is its end: compare with the previous FIN's end. */
		uint32_t prev = (c->pflags[s] & FC_TCP_PF_FIN) ?
			e->seq_hi - 1 - e->isn : 0;

		fc_history_seq(h, s, FC_HIST_FIN, rel + len != prev);
	} else if (rst) {
		fc_history_rst(h, s, (uint16_t)rel);
	} else if (len > 0) {
		fc_history_once(h, s, FC_HIST_DATA);
	} else if (ack) {
		fc_history_once(h, s, FC_HIST_ACK);
	}
}

/* ---- Zeek: endpoint state machine ---------------------------------- */

/*
 * Zeek's per-endpoint transitions for a packet from side s. Returns 1 when
 * the packet was the SYN of a SYN/SYN-ACK reversal (the originator's SYN
 * arriving after the responder's SYN-ACK): the roles are then flipped
 * here, after the states moved, exactly where Zeek flips them.
 */
static int
zeek_step(struct fc_tcp_conn *c, struct fc_history *h, unsigned int s,
	  uint8_t fl, uint32_t len)
{
	const int syn = !!(fl & FC_TCP_SYN), fin = !!(fl & FC_TCP_FIN);
	const int rst = !!(fl & FC_TCP_RST), ack = !!(fl & FC_TCP_ACK);
	const unsigned int o = s ^ 1;
	int reversal = 0;

	switch (ep_state(c, s)) {
	case FC_TCP_EP_INACTIVE:
		if (syn && s == 0) {
			ep_set(c, s, ack ? FC_TCP_EP_SYN_ACK_SENT :
			       FC_TCP_EP_SYN_SENT);
		} else if (syn) {
			if (!ack && ep_state(c, o) == FC_TCP_EP_SYN_ACK_SENT) {
				reversal = 1;
				ep_set(c, o, FC_TCP_EP_ESTABLISHED);
			}
			if (ep_state(c, o) == FC_TCP_EP_SYN_SENT)
				ep_set(c, o, FC_TCP_EP_ESTABLISHED);
			ep_set(c, s, FC_TCP_EP_ESTABLISHED);
		}
		if (fin)
			ep_set(c, s, FC_TCP_EP_CLOSED);
		if (rst)
			ep_set(c, s, FC_TCP_EP_RESET);
		if (ep_state(c, s) == FC_TCP_EP_INACTIVE) {
			if (s == 1 && len == 0 &&
			    ep_state(c, 0) == FC_TCP_EP_SYN_SENT)
				; /* an ACK before the SYN-ACK: not partial yet */
			else if (ack && ep_state(c, o) == FC_TCP_EP_ESTABLISHED)
				ep_set(c, s, FC_TCP_EP_ESTABLISHED);
			else
				ep_set(c, s, FC_TCP_EP_PARTIAL);
		}
		break;
	case FC_TCP_EP_SYN_SENT:
	case FC_TCP_EP_SYN_ACK_SENT:
		if (fin)
			ep_set(c, s, FC_TCP_EP_CLOSED);
		if (rst)
			ep_set(c, s, FC_TCP_EP_RESET);
		break;
	case FC_TCP_EP_ESTABLISHED:
	case FC_TCP_EP_PARTIAL:
		if (syn && !ack && ep_state(c, s) == FC_TCP_EP_PARTIAL &&
		    ep_state(c, o) == FC_TCP_EP_INACTIVE)
			ep_set(c, s, FC_TCP_EP_SYN_SENT);
		if (fin && !rst) {
			ep_set(c, s, FC_TCP_EP_CLOSED);
			/* FIN after the peer's FIN+RST: a normal close after all. */
			if (ep_state(c, o) == FC_TCP_EP_RESET &&
			    ep_prev(c, o) == FC_TCP_EP_CLOSED)
				ep_set(c, o, FC_TCP_EP_CLOSED);
		}
		if (rst)
			ep_set(c, s, FC_TCP_EP_RESET);
		break;
	case FC_TCP_EP_CLOSED:
		/* After a full FIN exchange a RST changes nothing. */
		if (rst && ep_state(c, o) != FC_TCP_EP_CLOSED)
			ep_set(c, s, FC_TCP_EP_RESET);
		break;
	default:
		break;
	}
	if (reversal) {
		conn_swap(c);
		if (h != NULL)
			fc_history_flip(h);
	}
	return reversal;
}

/* ---- flowscope: the 9-state flow machine ---------------------------- */

/*
 * How it works. flowscope moves one step per packet on (state, flags,
 * side): any RST -> Reset; Active + SYN from the initiator -> SynSent;
 * SynSent + SYN-ACK from the responder -> SynReceived; SynReceived + ACK
 * from the initiator -> Established; Established + FIN -> FinWait;
 * FinWait + FIN -> ClosingTcp; ClosingTcp + ACK -> Closed.
 *
 * Kept: the states, their names, "any RST resets", one Established
 * report per flow, Closed/Reset end the flow.
 *
 * Fixed:
 *  - roles: side 0 is Zeek's originator (the SYN sender; SYN-ACK-first
 *    and mid-stream flows are oriented, and re-oriented, as Zeek does), so
 *    a SYN-ACK seen first goes Active -> SynReceived and its ACK
 *    establishes the flow;
 *  - simultaneous open: a SYN from the responder in SynSent moves to
 *    SynReceived, and the next ACK (or both sides' SYN-ACKs) establishes;
 *  - mid-stream pickup: Active -> Established once both sides have sent
 *    a packet; a FIN in Active moves to FinWait, so such flows close;
 *  - one packet may take several steps: the ACK+FIN that completes a
 *    handshake reports Established and lands in FinWait;
 *  - FinWait -> Closing needs a FIN from each side (a retransmitted FIN
 *    does not count twice), and Closing -> Closed needs both FINs
 *    acknowledged (the ACK covers the FIN's sequence number), so a late
 *    ACK from the wrong side does not end the flow early.
 */
static unsigned int
fs_step(struct fc_tcp_conn *c, unsigned int s, uint8_t fl, uint32_t len)
{
	const int syn = !!(fl & FC_TCP_SYN), fin = !!(fl & FC_TCP_FIN);
	const int rst = !!(fl & FC_TCP_RST), ack = !!(fl & FC_TCP_ACK);
	const int both_sent = (c->pflags[0] & c->pflags[1] & FC_TCP_PF_SENT) != 0;
	unsigned int st = c->state, out = 0;
	int est = 0;

	if (fc_tcp_state_is_terminal(st))
		return 0;
	if (rst) {
		c->state = FC_TCP_S_RESET;
		return FC_TCP_CHG_STATE | FC_TCP_CHG_TERMINAL;
	}
	switch (st) {
	case FC_TCP_S_ACTIVE:
		if (syn)
			st = ack ? FC_TCP_S_SYN_RECEIVED : FC_TCP_S_SYN_SENT;
		else if (both_sent)
			est = 1;
		else if (fin)
			st = FC_TCP_S_FIN_WAIT;
		break;
	case FC_TCP_S_SYN_SENT:
		if (syn) {
			if (s == 1) /* SYN-ACK, or the other SYN of a simultaneous open */
				st = FC_TCP_S_SYN_RECEIVED;
		} else if (s == 1 && len > 0) {
			est = 1; /* the responder talks: its SYN-ACK was missed */
		} else if (fin) {
			st = FC_TCP_S_FIN_WAIT;
		}
		break;
	case FC_TCP_S_SYN_RECEIVED:
		if (!syn && ack)
			est = 1;
		else if (syn && ack && (c->pflags[0] & FC_TCP_PF_SYNACK) &&
			 (c->pflags[1] & FC_TCP_PF_SYNACK))
			est = 1; /* simultaneous open: both sides sent SYN-ACK */
		else if (!syn && fin)
			st = FC_TCP_S_FIN_WAIT;
		break;
	default:
		break;
	}
	if (est) {
		st = FC_TCP_S_ESTABLISHED;
		if (!(c->flags & FC_TCP_CF_EST)) {
			c->flags |= FC_TCP_CF_EST;
			out |= FC_TCP_CHG_ESTABLISHED;
		}
	}
	if (fin && st == FC_TCP_S_ESTABLISHED)
		st = FC_TCP_S_FIN_WAIT;
	if (st == FC_TCP_S_FIN_WAIT &&
	    (c->pflags[0] & c->pflags[1] & FC_TCP_PF_FIN))
		st = FC_TCP_S_CLOSING;
	if (st == FC_TCP_S_CLOSING && fin_acked(c, 0) && fin_acked(c, 1))
		st = FC_TCP_S_CLOSED;
	if (st != c->state) {
		out |= FC_TCP_CHG_STATE;
		if (st == FC_TCP_S_CLOSED)
			out |= FC_TCP_CHG_TERMINAL;
		c->state = (uint8_t)st;
	}
	return out;
}

/* ---- one packet ---------------------------------------------------- */

/*
 * How it works (Zeek half), per packet from endpoint E to peer P:
 *
 *  1. A flow that began with an unflipped SYN-ACK is flipped when an ACK
 *     or data packet follows (from either side).
 *  2. E's sequence space starts (again) where Zeek's does: at a SYN, or
 *     at seq - 1 for a first non-SYN packet; a new SYN with another number
 *     restarts it.
 *  3. History letters, from flags, payload and the sequence number
 *     relative to E's start.
 *  4. A zero window (not on a RST, not after P closed or E reset) counts
 *     a 'w'.
 *  5. An ACK starts P's sequence space if P never sent anything (at
 *     ack - 1), otherwise raises P's delivered edge (a RST's ack is not
 *     trusted; acks below P's start are ignored).
 *  6. E's highest sequence moves up; a payload that ends at or below it is
 *     a retransmission ('t'). SYN/RST jumps of more than 1 MiB are ignored.
 *  7. Zeek's endpoint machine; a SYN/SYN-ACK reversal flips the roles.
 *  8. If the ACK moved P's edge past data never seen (up to P's FIN), that
 *     is a content gap ('g'), recorded while both endpoints are cleanly
 *     established or closing, as Zeek reports it.
 *  9. E's payload, if fully captured and not in a RST, extends E's edge
 *     when it is in order; payload above the edge opens a hole. When a
 *     packet fills the bottom of a hole we assume the data above it was
 *     seen too (the common out-of-order case): without the segments we
 *     cannot tell, and Zeek's reassembler would have buffered them.
 *
 * The delivered edge (ack_hi) stands in for both Zeek's ack_seq and its
 * reassembler's last delivered sequence: it never exceeds seq_hi except
 * through acknowledgements, so the byte count (max of the two) is Zeek's.
 */
/*
 * The steady state of a connection, decided without the full machine: a
 * packet with ACK and without SYN/FIN/RST, non-zero window, both endpoints
 * established or partial (Zeek), flowscope state established, no FIN or
 * hole on either side, E's once-letter for this packet already recorded,
 * the acknowledgement within what P delivered (no gap), and payload (if
 * any) in order and fully captured. Every step of fc_tcp_update() then
 * reduces to moving E's highest sequence and delivered edge, and the
 * flowscope letter; anything else returns 0 for the full machine. The
 * unit tests replay every packet through both and compare.
 */
static inline int
fast_path(struct fc_tcp_conn *c, struct fc_history *h, unsigned int s,
	  const struct fc_pkt_tcp *t, uint32_t len, uint32_t cap,
	  struct fc_tcp_change *chg)
{
	const unsigned int o = s ^ 1;
	struct fc_tcp_peer *e = &c->peer[s], *p = &c->peer[o];
	const unsigned int es = ep_state(c, s), os = ep_state(c, o);
	uint32_t end;

	if ((t->flags & (FC_TCP_SYN | FC_TCP_FIN | FC_TCP_RST | FC_TCP_ACK)) !=
	    FC_TCP_ACK || t->win == 0 || c->state != FC_TCP_S_ESTABLISHED ||
	    (es != FC_TCP_EP_ESTABLISHED && es != FC_TCP_EP_PARTIAL) ||
	    (os != FC_TCP_EP_ESTABLISHED && os != FC_TCP_EP_PARTIAL) ||
	    ((c->pflags[0] | c->pflags[1]) & (FC_TCP_PF_FIN | FC_TCP_PF_HOLE)) ||
	    !(c->pflags[s] & FC_TCP_PF_SENT) ||
	    (len > 0 && !(c->pflags[s] & FC_TCP_PF_DATA)))
		return 0;
	if (h != NULL && !(fc_history_seen(h, s) &
			   (1u << (len > 0 ? 2 : 1)))) /* slots of D and A */
		return 0;
	if (FC_SEQ_LT(t->ack, p->isn) || FC_SEQ_GT(t->ack, p->ack_hi))
		return 0;
	end = t->seq + len;
	if (len > 0) {
		if (cap < len || FC_SEQ_LT(t->seq, e->isn) ||
		    !FC_SEQ_GT(end, e->seq_hi) ||
		    !FC_SEQ_LEQ(t->seq, e->ack_hi) || !FC_SEQ_GT(end, e->ack_hi))
			return 0;
		e->ack_hi = end;
		if (h != NULL)
			fc_history_fs_packet(h, s, t->flags, len);
	}
	if (FC_SEQ_GT(end, e->seq_hi))
		e->seq_hi = end;
	chg->from = c->state;
	chg->to = c->state;
	chg->missed = 0;
	chg->side = (uint8_t)s;
	chg->flags = 0;
	return 1;
}

unsigned int
fc_tcp_update(struct fc_tcp_conn *c, struct fc_history *h, unsigned int side,
	      const struct fc_pkt_tcp *t, uint32_t payload_len,
	      uint32_t payload_cap, struct fc_tcp_change *chg)
{
	struct fc_tcp_change dummy;

	if (chg == NULL)
		chg = &dummy;
	if (fast_path(c, h, side & 1, t, payload_len, payload_cap, chg))
		return 0;
	return fc__tcp_update_full(c, h, side, t, payload_len, payload_cap, chg);
}

unsigned int
fc__tcp_update_full(struct fc_tcp_conn *c, struct fc_history *h,
		    unsigned int side, const struct fc_pkt_tcp *t,
		    uint32_t payload_len, uint32_t payload_cap,
		    struct fc_tcp_change *chg)
{
	const uint8_t fl = t->flags;
	const int syn = !!(fl & FC_TCP_SYN), fin = !!(fl & FC_TCP_FIN);
	const int rst = !!(fl & FC_TCP_RST), ack = !!(fl & FC_TCP_ACK);
	const uint32_t len = payload_len;
	struct fc_tcp_change dummy;
	struct fc_tcp_peer *e, *p;
	unsigned int s = side & 1, o, out = 0;
	uint32_t end, rel, old_edge = 0;
	int32_t d;
	int underflow, check_gap = 0;

	if (chg == NULL)
		chg = &dummy;
	chg->from = c->state;
	chg->missed = 0;

	/* 1. SYN-ACK first, then an ACK or data: flip as if at creation. */
	if (!syn && !rst && (ack || len > 0) &&
	    ep_state(c, 0) == FC_TCP_EP_SYN_ACK_SENT &&
	    ep_state(c, 1) == FC_TCP_EP_INACTIVE) {
		flip_retro(c, h);
		s ^= 1;
		out |= FC_TCP_CHG_FLIP;
	}
	o = s ^ 1;
	e = &c->peer[s];
	p = &c->peer[o];

	/* 2. Start of E's sequence space. SYN and FIN take one number each. */
	end = t->seq + (uint32_t)syn + (uint32_t)fin + (rst ? 0 : len);
	switch (ep_state(c, s)) {
	case FC_TCP_EP_INACTIVE:
		if (syn)
			peer_start(e, t->seq, end);
		else
			peer_start(e, t->seq - 1, t->seq);
		break;
	case FC_TCP_EP_SYN_SENT:
	case FC_TCP_EP_SYN_ACK_SENT:
		if (syn && t->seq != e->isn)
			peer_start(e, t->seq, end);
		break;
	case FC_TCP_EP_ESTABLISHED:
	case FC_TCP_EP_PARTIAL:
		if (syn)
			peer_start(e, t->seq, end);
		break;
	case FC_TCP_EP_RESET:
		if (syn && ep_prev(c, s) == FC_TCP_EP_INACTIVE)
			peer_start(e, t->seq, end);
		break;
	default:
		break;
	}
	d = FC_SEQ_DIFF(t->seq, e->isn);
	underflow = d < 0;
	rel = (uint32_t)d;

	/* 3. Zeek letters, with the roles as they stand before this packet. */
	if (h != NULL)
		zeek_letters(h, c, s, fl, rel, len);

	/* 4. Zero window. */
	if (t->win == 0 && !rst && ep_state(c, o) != FC_TCP_EP_CLOSED &&
	    ep_state(c, s) != FC_TCP_EP_RESET) {
		c->pflags[s] |= FC_TCP_PF_ZWIN;
		if (h != NULL)
			fc_history_count(h, s, FC_HIST_ZWIN);
	}

	c->pflags[s] |= FC_TCP_PF_SENT;
	if (syn)
		c->pflags[s] |= ack ? FC_TCP_PF_SYNACK : FC_TCP_PF_SYN;
	if (fin)
		c->pflags[s] |= FC_TCP_PF_FIN;
	if (rst)
		c->pflags[s] |= FC_TCP_PF_RST;
	if (len > 0)
		c->pflags[s] |= FC_TCP_PF_DATA;

	/* 5. The acknowledgement, for P. */
	if (ack) {
		if (ep_state(c, o) == FC_TCP_EP_INACTIVE) {
			peer_start(p, t->ack - 1, t->ack - 1);
		} else if (!rst && FC_SEQ_GEQ(t->ack, p->isn)) {
			old_edge = p->ack_hi;
			check_gap = 1;
			d = FC_SEQ_DIFF(t->ack, p->ack_hi);
			if (d > 0 && !(t->ack == 0 && d > SEQ_JUMP_MAX))
				p->ack_hi = t->ack;
		}
	}

	/* 6. E's highest sequence; payload at or below it is a retransmission. */
	d = FC_SEQ_DIFF(end, e->seq_hi);
	if ((syn || rst) && (d > SEQ_JUMP_MAX || d < -SEQ_JUMP_MAX)) {
		/* not trusted */
	} else if (fin && e->seq_hi == e->isn + 1) {
		e->seq_hi = end; /* only the SYN seen before this FIN */
	} else if (ep_state(c, s) == FC_TCP_EP_RESET) {
		/* nothing after a RST is trusted */
	} else if (d > 0) {
		e->seq_hi = end;
	} else if (len > 0) {
		out |= FC_TCP_CHG_RXMIT;
		if (h != NULL)
			fc_history_count(h, s, FC_HIST_RXMIT);
	}

	/* 7. Zeek's endpoint machine; a SYN/SYN-ACK reversal flips here. */
	if (zeek_step(c, h, s, fl, len)) {
		s ^= 1;
		o ^= 1;
		e = &c->peer[s];
		p = &c->peer[o];
		out |= FC_TCP_CHG_FLIP;
	}

	/* 8. Content gap of P revealed by this ACK. */
	if (check_gap) {
		uint32_t upto = t->ack;

		if ((c->pflags[o] & FC_TCP_PF_FIN) &&
		    FC_SEQ_GT(upto, p->seq_hi - 1))
			upto = p->seq_hi - 1; /* the FIN octet is no data */
		if (FC_SEQ_GT(upto, old_edge)) {
			/* A partial flow's edge is guessed: ignore its first two octets. */
			int guessed = !(c->pflags[o] &
					(FC_TCP_PF_SYN | FC_TCP_PF_SYNACK)) &&
				FC_SEQ_DIFF(upto, p->isn) <= 2;

			if (!guessed && ep_clean(c, o) && ep_clean(c, s)) {
				chg->missed += upto - old_edge;
				out |= FC_TCP_CHG_GAP;
				if (h != NULL)
					fc_history_count(h, o, FC_HIST_GAP);
			}
			if (c->pflags[o] & FC_TCP_PF_HOLE) {
				/*
				 * The ACK jumped a hole below data seen out of
				 * order: count the hole once and take the data
				 * above it as delivered, or every later ACK of
				 * that data would look like another gap.
				 */
				uint32_t top = p->seq_hi -
					((c->pflags[o] & FC_TCP_PF_FIN) ? 1 : 0);

				if (FC_SEQ_GT(top, p->ack_hi))
					p->ack_hi = top;
				c->pflags[o] &= (uint8_t)~FC_TCP_PF_HOLE;
			}
		}
	}

	/* 9. E's payload: in order extends the edge, above it opens a hole. */
	if (len > 0 && payload_cap >= len && !rst && !underflow) {
		uint32_t lo = t->seq + (uint32_t)syn, hi = lo + len;

		if (FC_SEQ_LEQ(lo, e->ack_hi) && FC_SEQ_GT(hi, e->ack_hi)) {
			e->ack_hi = hi;
			if (c->pflags[s] & FC_TCP_PF_HOLE) {
				uint32_t top = e->seq_hi -
					((c->pflags[s] & FC_TCP_PF_FIN) ? 1 : 0);

				if (FC_SEQ_GT(top, e->ack_hi))
					e->ack_hi = top;
				c->pflags[s] &= (uint8_t)~FC_TCP_PF_HOLE;
			}
		} else if (FC_SEQ_GT(lo, e->ack_hi)) {
			c->pflags[s] |= FC_TCP_PF_HOLE;
		}
	}

	/* 10. flowscope letters and state. */
	if (h != NULL)
		fc_history_fs_packet(h, s, fl, len);
	out |= fs_step(c, s, fl, len);

	chg->to = c->state;
	chg->side = (uint8_t)s;
	chg->flags = (uint8_t)out;
	return out;
}

/* ---- conn_state and sizes ------------------------------------------ */

/* Zeek's RSTOS0 test: the history matches /^\^?S[^HAFGIQ]*R.*$/. */
static int
history_rstos0(const char *hs)
{
	if (*hs == '^')
		hs++;
	if (*hs++ != 'S')
		return 0;
	for (; *hs != '\0'; hs++) {
		if (*hs == 'R')
			return 1;
		if (strchr("HAFGIQ", *hs) != NULL)
			return 0;
	}
	return 0;
}

enum fc_tcp_cs
fc_tcp_conn_state_id(const struct fc_tcp_conn *c, struct fc_history *h)
{
	const unsigned int os = ep_state(c, 0), rs = ep_state(c, 1);
	const int o_inactive = os == FC_TCP_EP_INACTIVE ||
		os == FC_TCP_EP_PARTIAL;
	const int r_inactive = rs == FC_TCP_EP_INACTIVE ||
		rs == FC_TCP_EP_PARTIAL;

	if (rs == FC_TCP_EP_RESET) {
		if (os == FC_TCP_EP_SYN_SENT || os == FC_TCP_EP_SYN_ACK_SENT ||
		    (os == FC_TCP_EP_RESET && fc_tcp_seq_bytes(c, 0) == 0 &&
		     fc_tcp_seq_bytes(c, 1) == 0))
			return FC_TCP_CS_REJ;
		return o_inactive ? FC_TCP_CS_RSTRH : FC_TCP_CS_RSTR;
	}
	if (os == FC_TCP_EP_RESET) {
		if (!r_inactive)
			return FC_TCP_CS_RSTO;
		if (h != NULL && history_rstos0(fc_history_zeek(h)))
			return FC_TCP_CS_RSTOS0;
		return FC_TCP_CS_OTH;
	}
	if (rs == FC_TCP_EP_CLOSED && os == FC_TCP_EP_CLOSED)
		return FC_TCP_CS_SF;
	if (os == FC_TCP_EP_CLOSED)
		return r_inactive ? FC_TCP_CS_SH : FC_TCP_CS_S2;
	if (rs == FC_TCP_EP_CLOSED)
		return o_inactive ? FC_TCP_CS_SHR : FC_TCP_CS_S3;
	if (os == FC_TCP_EP_SYN_SENT && rs == FC_TCP_EP_INACTIVE)
		return FC_TCP_CS_S0;
	if (os == FC_TCP_EP_ESTABLISHED && rs == FC_TCP_EP_ESTABLISHED)
		return FC_TCP_CS_S1;
	return FC_TCP_CS_OTH;
}

const char *
fc_tcp_conn_state(const struct fc_tcp_conn *c, struct fc_history *h)
{
	return conn_state_names[fc_tcp_conn_state_id(c, h)];
}

const char *
fc_tcp_conn_state_udp(unsigned int seen)
{
	static const enum fc_tcp_cs udp_cs[4] = {
		FC_TCP_CS_OTH, FC_TCP_CS_S0, FC_TCP_CS_SHR, FC_TCP_CS_SF,
	};

	return conn_state_names[udp_cs[seen & 3]];
}

uint64_t
fc_tcp_seq_bytes(const struct fc_tcp_conn *c, unsigned int side)
{
	const unsigned int s = side & 1;
	const struct fc_tcp_peer *p = &c->peer[s];
	uint32_t top, size;

	/* A SYN answered by nothing and then reset: no data could be sent. */
	if (ep_prev(c, s) == FC_TCP_EP_SYN_SENT &&
	    ep_state(c, s) == FC_TCP_EP_RESET &&
	    ep_state(c, s ^ 1) == FC_TCP_EP_INACTIVE &&
	    (uint32_t)(p->ack_hi - p->isn) > 1)
		return 0;
	top = FC_SEQ_GT(p->ack_hi, p->seq_hi) ? p->ack_hi : p->seq_hi;
	size = top - p->isn;
	if (size != 0)
		size--; /* the SYN octet (or its stand-in for partial flows) */
	if ((c->pflags[s] & FC_TCP_PF_FIN) && size != 0)
		size--; /* the FIN octet */
	return size;
}

int
fc_tcp_zeek_closed(const struct fc_tcp_conn *c)
{
	const unsigned int os = ep_state(c, 0), rs = ep_state(c, 1);

	if (os == FC_TCP_EP_RESET || rs == FC_TCP_EP_RESET)
		return 1;
	if (os == FC_TCP_EP_CLOSED)
		return rs == FC_TCP_EP_CLOSED || rs == FC_TCP_EP_INACTIVE;
	if (rs == FC_TCP_EP_CLOSED)
		return os == FC_TCP_EP_INACTIVE;
	return 0;
}

const char *
fc_tcp_state_name(unsigned int s)
{
	return s < FC_TCP_S_MAX ? tcp_state_names[s] : "?";
}

const char *
fc_tcp_ep_state_name(unsigned int s)
{
	return s < FC_TCP_EP_MAX ? ep_state_names[s] : "?";
}

const char *
fc_tcp_conn_state_name(unsigned int cs)
{
	return cs < FC_TCP_CS_MAX ? conn_state_names[cs] : "?";
}
