/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of fc_tcp: flowscope's 9-state machine (exhaustively over
 * every flag/side sequence up to four packets, and as named scenarios),
 * Zeek's endpoint machine through conn_state (one scenario per value),
 * Zeek history letters replayed packet by packet from the Zeek and nDPI
 * test traces (sequences taken with tshark from ../shared/pcaps and
 * hard-coded below, expectations from ../shared/groundtruth), and
 * sequence handling at ISNs around the wrap (0, 1, 2^31, 2^32 - 1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fc_tcp.h"
#include "fc_tcp_priv.h"
#include "eal.h"

/* Endpoints of a test flow: A sends the first packet, B is the other one. */
enum { A = 0, B = 1 };

#define SYN FC_TCP_SYN
#define ACK FC_TCP_ACK
#define FIN FC_TCP_FIN
#define RST FC_TCP_RST
#define PSH FC_TCP_PSH
#define URG FC_TCP_URG

/**
 * One packet of a trace: endpoint, flags, seq, ack, payload length,
 * window, payload bytes missing from the capture, repeat count.
 */
struct step {
	uint8_t from;
	uint8_t flags;
	uint32_t seq;
	uint32_t ack;
	uint16_t len;
	uint16_t win;
	uint16_t cut;
	uint8_t rep; /**< the packet appears rep times in a row (0 = once) */
};

struct trace {
	const struct step *s;
	unsigned int n;
	uint16_t port_a; /**< source port of A */
	uint16_t port_b;
};

/* A flow under test, with the invariants every packet must keep. */
struct tflow {
	struct fc_tcp_conn c;
	struct fc_history h;
	unsigned int a_side; /* current side of endpoint A */
	unsigned int n_est;
	unsigned int n_term;
	unsigned int n_flip;
	unsigned int n_rxmit;
	uint64_t missed;
	char trail[160];     /* state names entered, comma-separated */
};

static void
tflow_open(struct tflow *f, uint8_t first_flags, uint16_t sport,
	   uint16_t dport)
{
	memset(f, 0, sizeof(*f));
	fc_tcp_init(&f->c);
	fc_history_init(&f->h);
	if (fc_tcp_orig_is_receiver(first_flags, sport, dport)) {
		fc_tcp_flip(&f->c, &f->h);
		f->a_side = 1;
	}
}

/*
 * fc_tcp_update() (which takes its steady-state shortcut when it can), and
 * the full machine on a copy of the same state: both must leave the same
 * connection, history and change record.
 */
static unsigned int
update_checked(struct fc_tcp_conn *c, struct fc_history *h, unsigned int side,
	       const struct fc_pkt_tcp *t, uint32_t len, uint32_t cap,
	       struct fc_tcp_change *chg)
{
	struct fc_tcp_conn c2 = *c;
	struct fc_history_core w2;
	struct fc_history_ext x2;
	struct fc_history h2;
	struct fc_tcp_change chg2;
	unsigned int r, r2;

	memcpy(w2.w, h->w, sizeof(w2.w));
	x2 = *h->x;
	fc_history_attach(&h2, &w2, &x2, NULL, NULL);
	memcpy(&chg2, chg, sizeof(chg2));
	r2 = fc__tcp_update_full(&c2, &h2, side, t, len, cap, &chg2);
	r = fc_tcp_update(c, h, side, t, len, cap, chg);
	assert_int_equal(r, r2);
	assert_memory_equal(c, &c2, sizeof(c2));
	assert_memory_equal(h->w, w2.w, sizeof(w2.w));
	assert_memory_equal(h->x, &x2, sizeof(x2));
	assert_int_equal(chg->flags, chg2.flags);
	assert_int_equal(chg->from, chg2.from);
	assert_int_equal(chg->to, chg2.to);
	assert_int_equal(chg->side, chg2.side);
	assert_int_equal(chg->missed, chg2.missed);
	return r;
}

static unsigned int
tflow_pkt(struct tflow *f, unsigned int from, uint8_t flags, uint32_t seq,
	  uint32_t ack, uint32_t len, uint16_t win, uint32_t cap)
{
	struct fc_pkt_tcp t;
	struct fc_tcp_change chg;
	unsigned int side = from == A ? f->a_side : f->a_side ^ 1;
	unsigned int r;
	uint8_t before = f->c.state;

	memset(&t, 0, sizeof(t));
	t.flags = flags;
	t.seq = seq;
	t.ack = ack;
	t.win = win;
	memset(&chg, 0x5a, sizeof(chg));
	r = update_checked(&f->c, &f->h, side, &t, len, cap, &chg);

	assert_int_equal(r, chg.flags);
	assert_int_equal(chg.from, before);
	assert_int_equal(chg.to, f->c.state);
	assert_int_equal((r & FC_TCP_CHG_STATE) != 0, chg.from != chg.to);
	if (r & FC_TCP_CHG_FLIP) {
		f->a_side ^= 1;
		f->n_flip++;
		assert_int_equal(chg.side, side ^ 1);
	} else {
		assert_int_equal(chg.side, side);
	}
	if (r & FC_TCP_CHG_ESTABLISHED) {
		f->n_est++;
		assert_true(f->n_est <= 1);
		assert_false(fc_tcp_state_is_terminal(chg.from));
	}
	assert_int_equal((r & FC_TCP_CHG_TERMINAL) != 0,
			 !fc_tcp_state_is_terminal(chg.from) &&
			 fc_tcp_state_is_terminal(chg.to));
	if (fc_tcp_state_is_terminal(chg.from))
		assert_int_equal(chg.to, chg.from);
	if (r & FC_TCP_CHG_TERMINAL)
		f->n_term++;
	if (r & FC_TCP_CHG_RXMIT)
		f->n_rxmit++;
	if (r & FC_TCP_CHG_STATE &&
	    strlen(f->trail) + 16 < sizeof(f->trail)) {
		strcat(f->trail, fc_tcp_state_name(chg.to));
		strcat(f->trail, ",");
	}
	f->missed += chg.missed;
	assert_true(strlen(fc_history_zeek(&f->h)) <= FC_HISTORY_ZEEK_LEN);
	assert_true(strlen(fc_history_fs(&f->h)) <= FC_HISTORY_FS_LEN);
	assert_int_not_equal(fc_tcp_conn_state(&f->c, &f->h)[0], '?');
	return r;
}

/* Packet with a fully captured payload. */
static unsigned int
P(struct tflow *f, unsigned int from, uint8_t flags, uint32_t seq,
  uint32_t ack, uint32_t len)
{
	return tflow_pkt(f, from, flags, seq, ack, len, 8192, len);
}

/* Replay a trace; ports 0 disable the likely-server-port heuristic. */
static void
run_trace(struct tflow *f, const struct trace *t, int use_ports)
{
	unsigned int i, k;

	tflow_open(f, t->s[0].flags, use_ports ? t->port_a : 0,
		   use_ports ? t->port_b : 0);
	for (i = 0; i < t->n; i++) {
		const struct step *s = &t->s[i];

		for (k = 0; k < (s->rep ? s->rep : 1u); k++)
			tflow_pkt(f, s->from, s->flags, s->seq, s->ack, s->len,
				  s->win, (uint32_t)(s->len - s->cut));
	}
}

/* Side of the originator's endpoint (A or B) after the replay. */
static unsigned int
orig_endpoint(const struct tflow *f)
{
	return f->a_side == 0 ? A : B;
}

static const char *
zeek(struct tflow *f)
{
	return fc_history_zeek(&f->h);
}

static const char *
cstate(struct tflow *f)
{
	return fc_tcp_conn_state(&f->c, &f->h);
}

/* ---- traces (tshark field dumps of ../shared/pcaps) ----------------- */

/* zeek-tcp-syn-then-rst.pcap: 1.1.1.1:13131 (A) <-> 1.1.1.2:31313 (B) */
static const struct step tr_syn_rst[] = {
	{ A, SYN, 0u, 0u, 0, 8192, 0, 0 },
	{ A, RST, 0u, 0u, 0, 8192, 0, 0 },
};
static const struct trace tr_syn_rst_t = { tr_syn_rst, FC_DIM(tr_syn_rst), 13131, 31313 };

/* zeek-tcp-single-rst.pcap: 10.0.0.10:48777 (A) <-> 10.0.0.80:80 (B) */
static const struct step tr_single_rst[] = {
	{ A, RST, 0u, 0u, 0, 8192, 0, 0 },
};
static const struct trace tr_single_rst_t = { tr_single_rst, FC_DIM(tr_single_rst), 48777, 80 };

/* zeek-tcp-syn-then-ack-then-rst.pcap: 1.1.1.1:13131 (A) <-> 1.1.1.2:31313 (B) */
static const struct step tr_syn_ack_rst[] = {
	{ A, SYN, 0u, 0u, 0, 8192, 0, 0 },
	{ B, ACK, 0u, 0u, 0, 8192, 0, 0 },
	{ A, RST, 0u, 0u, 0, 8192, 0, 0 },
};
static const struct trace tr_syn_ack_rst_t = { tr_syn_ack_rst, FC_DIM(tr_syn_ack_rst), 13131, 31313 };

/* zeek-tcp-syn-then-stuff-then-rst.pcap: 1.1.1.1:13131 (A) <-> 1.1.1.2:31313 (B) */
static const struct step tr_syn_stuff_rst[] = {
	{ A, SYN, 0u, 0u, 0, 8192, 0, 0 },
	{ B, ACK, 0u, 0u, 0, 8192, 0, 0 },
	{ A, FIN, 0u, 0u, 0, 8192, 0, 0 },
	{ A, RST, 0u, 0u, 0, 8192, 0, 0 },
};
static const struct trace tr_syn_stuff_rst_t = { tr_syn_stuff_rst, FC_DIM(tr_syn_stuff_rst), 13131, 31313 };

/* zeek-http-get.pcap: 141.142.228.5:59856 (A) <-> 192.150.187.43:80 (B) */
static const struct step tr_http_get[] = {
	{ A, SYN, 4263588410u, 0u, 0, 65535, 0, 0 },
	{ B, SYN|ACK, 2779762238u, 4263588411u, 0, 14480, 0, 0 },
	{ A, ACK, 4263588411u, 2779762239u, 0, 8235, 0, 0 },
	{ A, ACK|PSH, 4263588411u, 2779762239u, 136, 8235, 0, 0 },
	{ B, ACK, 2779762239u, 4263588547u, 0, 122, 0, 0 },
	{ B, ACK, 2779762239u, 4263588547u, 1448, 122, 0, 0 },
	{ B, ACK, 2779763687u, 4263588547u, 1448, 122, 0, 0 },
	{ B, ACK, 2779765135u, 4263588547u, 1448, 122, 0, 0 },
	{ B, ACK|PSH, 2779766583u, 4263588547u, 663, 122, 0, 0 },
	{ A, ACK, 4263588547u, 2779765135u, 0, 8054, 0, 0 },
	{ A, ACK, 4263588547u, 2779767246u, 0, 7922, 0, 0 },
	{ A, ACK|FIN, 4263588547u, 2779767246u, 0, 8192, 0, 0 },
	{ B, ACK|FIN, 2779767246u, 4263588548u, 0, 122, 0, 0 },
	{ A, ACK, 4263588548u, 2779767247u, 0, 8192, 0, 0 },
};
static const struct trace tr_http_get_t = { tr_http_get, FC_DIM(tr_http_get), 59856, 80 };

/* zeek-tcp-missing-syn.pcap: 125.190.109.199:80 (A) <-> 141.42.64.125:56730 (B) */
static const struct step tr_missing_syn[] = {
	{ A, SYN|ACK, 2697137987u, 1512382794u, 0, 57344, 0, 0 },
	{ B, ACK, 1512382794u, 2697137988u, 0, 1460, 0, 0 },
	{ B, ACK|PSH, 1512382794u, 2697137988u, 98, 1460, 0, 0 },
	{ A, ACK, 2697137988u, 1512382892u, 1448, 57920, 0, 0 },
	{ A, ACK, 2697139436u, 1512382892u, 1448, 57920, 0, 0 },
	{ B, ACK, 1512382892u, 2697139436u, 0, 2184, 0, 0 },
	{ B, ACK, 1512382892u, 2697140884u, 0, 2908, 0, 0 },
	{ A, ACK, 2697140884u, 1512382892u, 1448, 57920, 0, 0 },
	{ A, ACK, 2697142332u, 1512382892u, 1448, 57920, 0, 0 },
	{ A, ACK, 2697143780u, 1512382892u, 1448, 57920, 0, 0 },
	{ A, ACK, 2697145228u, 1512382892u, 1448, 57920, 0, 0 },
	{ B, ACK, 1512382892u, 2697142332u, 0, 3632, 0, 0 },
	{ B, ACK, 1512382892u, 2697143780u, 0, 4356, 0, 0 },
	{ B, ACK, 1512382892u, 2697145228u, 0, 5080, 0, 0 },
	{ B, ACK, 1512382892u, 2697146676u, 0, 5804, 0, 0 },
	{ A, ACK|PSH, 2697146676u, 1512382892u, 729, 57920, 0, 0 },
	{ B, ACK, 1512382892u, 2697147405u, 0, 6528, 0, 0 },
	{ B, ACK|FIN, 1512382892u, 2697147405u, 0, 6528, 0, 0 },
	{ A, ACK, 2697147405u, 1512382893u, 0, 57920, 0, 0 },
	{ A, ACK|FIN, 2697147405u, 1512382893u, 0, 57920, 0, 0 },
	{ B, ACK, 1512382893u, 2697147406u, 0, 6528, 0, 0 },
};
static const struct trace tr_missing_syn_t = { tr_missing_syn, FC_DIM(tr_missing_syn), 80, 56730 };

/* zeek-tcp-handshake-reorder.pcap: 192.150.187.43:80 (A) <-> 141.142.228.5:59856 (B) */
static const struct step tr_reorder[] = {
	{ A, SYN|ACK, 2779762238u, 4263588411u, 0, 14480, 0, 0 },
	{ B, SYN, 4263588410u, 0u, 0, 65535, 0, 0 },
	{ B, ACK, 4263588411u, 2779762239u, 0, 8235, 0, 0 },
	{ B, ACK|PSH, 4263588411u, 2779762239u, 136, 8235, 0, 0 },
	{ A, ACK, 2779762239u, 4263588547u, 0, 122, 0, 0 },
	{ A, ACK, 2779762239u, 4263588547u, 1448, 122, 0, 0 },
	{ A, ACK, 2779763687u, 4263588547u, 1448, 122, 0, 0 },
	{ A, ACK, 2779765135u, 4263588547u, 1448, 122, 0, 0 },
	{ A, ACK|PSH, 2779766583u, 4263588547u, 663, 122, 0, 0 },
	{ B, ACK, 4263588547u, 2779765135u, 0, 8054, 0, 0 },
	{ B, ACK, 4263588547u, 2779767246u, 0, 7922, 0, 0 },
	{ B, ACK|FIN, 4263588547u, 2779767246u, 0, 8192, 0, 0 },
	{ A, ACK|FIN, 2779767246u, 4263588548u, 0, 122, 0, 0 },
	{ B, ACK, 4263588548u, 2779767247u, 0, 8192, 0, 0 },
};
static const struct trace tr_reorder_t = { tr_reorder, FC_DIM(tr_reorder), 80, 59856 };

/* zeek-tcp-fin_retransmission.pcap: 10.1.30.117:55344 (A) <-> 17.167.193.62:443 (B) */
static const struct step tr_fin_rexmit[] = {
	{ A, SYN, 2187051757u, 0u, 0, 65535, 0, 0 },
	{ A, FIN, 2187051757u, 0u, 0, 65535, 0, 0 },
	{ B, SYN|ACK, 1539553752u, 2187051758u, 0, 8190, 0, 0 },
	{ A, ACK|FIN, 2187051757u, 1539553753u, 0, 16384, 0, 0 },
	{ B, RST, 1539553753u, 2397663729u, 0, 8201, 0, 0 },
};
static const struct trace tr_fin_rexmit_t = { tr_fin_rexmit, FC_DIM(tr_fin_rexmit), 55344, 443 };

/* zeek-tcp-miss_end_data.pcap: 192.168.122.230:60648 (A) <-> 77.238.160.184:80 (B) */
static const struct step tr_miss_end[] = {
	{ A, SYN, 3810936567u, 0u, 0, 8192, 0, 0 },
	{ B, SYN|ACK, 1268090424u, 3810936568u, 0, 5840, 0, 0 },
	{ A, ACK, 3810936568u, 1268090425u, 0, 16425, 0, 0 },
	{ A, ACK|PSH, 3810936568u, 1268090425u, 538, 16425, 0, 0 },
	{ B, ACK, 1268090425u, 3810937106u, 0, 14, 0, 0 },
	{ B, ACK|FIN, 1268093327u, 3810937106u, 0, 14, 0, 0 },
	{ A, ACK, 3810937106u, 1268093328u, 0, 16425, 0, 0 },
	{ A, ACK|FIN, 3810937106u, 1268093328u, 0, 16425, 0, 0 },
	{ B, ACK, 1268093328u, 3810937107u, 0, 14, 0, 0 },
};
static const struct trace tr_miss_end_t = { tr_miss_end, FC_DIM(tr_miss_end), 60648, 80 };

/* zeek-tcp-retransmit-fast009.pcap: 10.0.88.85:50368 (A) <-> 192.168.0.27:80 (B) */
static const struct step tr_fast009[] = {
	{ A, SYN, 414291386u, 0u, 0, 65535, 0, 0 },
	{ B, SYN|ACK, 4249385775u, 414291387u, 0, 5720, 0, 0 },
	{ A, ACK, 414291387u, 4249385776u, 0, 65535, 0, 0 },
	{ A, ACK|PSH, 414291387u, 4249385776u, 474, 65535, 474, 0 },
	{ B, ACK, 4249385776u, 414291861u, 0, 6432, 0, 0 },
	{ B, ACK, 4249385776u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249387222u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249388668u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249390114u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249391560u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249393006u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249394452u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249395898u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249397344u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249398790u, 414291861u, 1286, 6432, 1286, 0 },
	{ A, ACK, 414291861u, 4249388636u, 0, 65535, 0, 0 },
	{ A, ACK, 414291861u, 4249390066u, 0, 65535, 0, 0 },
	{ B, ACK, 4249400076u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249401522u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249402968u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249404414u, 414291861u, 1446, 6432, 1446, 0 },
	{ B, ACK, 4249405860u, 414291861u, 1366, 6432, 1366, 0 },
	{ A, ACK, 414291861u, 4249392926u, 0, 65535, 0, 0 },
	{ A, ACK, 414291861u, 4249394356u, 0, 65535, 0, 0 },
	{ B, ACK, 4249407226u, 414291861u, 1430, 6432, 1430, 0 },
	{ B, ACK|PSH, 4249408656u, 414291861u, 903, 6432, 903, 0 },
	{ A, ACK, 414291861u, 4249397216u, 0, 65535, 0, 0 },
	{ A, ACK, 414291861u, 4249398646u, 0, 65535, 0, 4 },
	{ B, ACK, 4249398646u, 414291861u, 1430, 6432, 1430, 0 },
	{ A, ACK, 414291861u, 4249398646u, 0, 65535, 0, 0 },
	{ B, ACK, 4249404366u, 414291861u, 1430, 6432, 1430, 0 },
	{ A, ACK, 414291861u, 4249398646u, 0, 65535, 0, 0 },
	{ B, ACK, 4249405796u, 414291861u, 1430, 6432, 1430, 0 },
	{ A, ACK, 414291861u, 4249404366u, 0, 65535, 0, 0 },
	{ A, ACK, 414291861u, 4249409559u, 0, 65535, 0, 0 },
	{ A, ACK|RST, 414291861u, 4249409559u, 0, 0, 0, 0 },
};
static const struct trace tr_fast009_t = { tr_fast009, FC_DIM(tr_fast009), 50368, 80 };

/* zeek-tcp-ctu-64702-888.pcap: 185.33.86.224:888 (A) <-> 192.168.1.108:64702 (B) */
static const struct step tr_ctu[] = {
	{ A, SYN|ACK, 2500392577u, 1331021504u, 0, 42340, 0, 2 },
	{ B, ACK, 1331021504u, 2500392578u, 0, 256, 0, 2 },
	{ A, ACK|FIN, 2500392591u, 1331021504u, 0, 83, 0, 2 },
	{ A, ACK|PSH, 2500392578u, 1331021504u, 13, 83, 0, 2 },
	{ B, ACK, 1331021504u, 2500392578u, 0, 256, 0, 2 },
	{ B, ACK, 1331021504u, 2500392592u, 0, 256, 0, 2 },
	{ B, ACK|FIN, 1331021504u, 2500392592u, 0, 256, 0, 2 },
	{ A, RST, 2500392592u, 0u, 0, 0, 0, 2 },
};
static const struct trace tr_ctu_t = { tr_ctu, FC_DIM(tr_ctu), 888, 64702 };

/* zeek-tcp-one-sided-2745.pcap: 245.181.165.133:1433 (A) <-> 247.180.123.139:2745 (B) */
static const struct step tr_one_sided_0[] = {
	{ A, SYN|ACK, 1898078251u, 1847199028u, 0, 16430, 0, 0 },
	{ A, ACK, 1898078252u, 1847199080u, 0, 16430, 0, 0 },
	{ A, ACK|FIN, 1898078252u, 1847199081u, 0, 16430, 0, 0 },
};
static const struct trace tr_one_sided_0_t = { tr_one_sided_0, FC_DIM(tr_one_sided_0), 1433, 2745 };

/* zeek-tcp-one-sided-2745.pcap: 245.181.165.131:281 (A) <-> 91.189.148.149:2745 (B) */
static const struct step tr_one_sided_1[] = {
	{ A, SYN|ACK, 3299244903u, 315776003u, 0, 16430, 0, 0 },
	{ A, ACK, 3299244904u, 315776070u, 0, 16430, 0, 0 },
	{ A, ACK|FIN, 3299244904u, 315776071u, 0, 16430, 0, 0 },
};
static const struct trace tr_one_sided_1_t = { tr_one_sided_1, FC_DIM(tr_one_sided_1), 281, 2745 };

/* ndpi-tcp_scan.pcap: 192.168.1.178:56272 (A) <-> 192.168.1.2:80 (B) */
static const struct step tr_scan_0[] = {
	{ A, SYN, 439450770u, 0u, 0, 65535, 0, 0 },
	{ B, SYN|ACK, 3222045538u, 439450771u, 0, 28960, 0, 0 },
	{ A, ACK, 439450771u, 3222045539u, 0, 4117, 0, 0 },
	{ A, ACK|RST, 439450771u, 3222045539u, 0, 4117, 0, 0 },
};
static const struct trace tr_scan_0_t = { tr_scan_0, FC_DIM(tr_scan_0), 56272, 80 };

/* ndpi-tcp_scan.pcap: 192.168.1.178:56273 (A) <-> 192.168.1.2:443 (B) */
static const struct step tr_scan_1[] = {
	{ A, SYN, 2860353583u, 0u, 0, 65535, 0, 0 },
	{ B, SYN|ACK, 3489573943u, 2860353584u, 0, 28960, 0, 0 },
	{ A, ACK, 2860353584u, 3489573944u, 0, 4117, 0, 0 },
	{ A, ACK|RST, 2860353584u, 3489573944u, 0, 4117, 0, 0 },
};
static const struct trace tr_scan_1_t = { tr_scan_1, FC_DIM(tr_scan_1), 56273, 443 };

/* ndpi-tcp_scan.pcap: 192.168.1.178:56274 (A) <-> 192.168.1.2:445 (B) */
static const struct step tr_scan_2[] = {
	{ A, SYN, 763417299u, 0u, 0, 65535, 0, 0 },
	{ B, ACK|RST, 0u, 763417300u, 0, 0, 0, 0 },
};
static const struct trace tr_scan_2_t = { tr_scan_2, FC_DIM(tr_scan_2), 56274, 445 };

/* ndpi-tcp_scan.pcap: 192.168.1.178:43067 (A) <-> 192.168.1.2:3389 (B) */
static const struct step tr_scan_3[] = {
	{ A, SYN, 4150816406u, 0u, 0, 1024, 0, 0 },
	{ B, ACK|RST, 0u, 4150816407u, 0, 0, 0, 0 },
};
static const struct trace tr_scan_3_t = { tr_scan_3, FC_DIM(tr_scan_3), 43067, 3389 };

/* ndpi-tcp_scan.pcap: 192.168.1.178:62971 (A) <-> 192.168.1.2:3390 (B) */
static const struct step tr_scan_4[] = {
	{ A, FIN, 4273590571u, 0u, 0, 1024, 0, 0 },
	{ B, ACK|RST, 0u, 4273590572u, 0, 0, 0, 0 },
};
static const struct trace tr_scan_4_t = { tr_scan_4, FC_DIM(tr_scan_4), 62971, 3390 };

/* ndpi-tcp_scan.pcap: 192.168.1.178:57916 (A) <-> 192.168.1.2:3391 (B) */
static const struct step tr_scan_5[] = {
	{ A, 0, 3092930907u, 0u, 0, 1024, 0, 0 },
	{ B, ACK|RST, 0u, 3092930907u, 0, 0, 0, 0 },
};
static const struct trace tr_scan_5_t = { tr_scan_5, FC_DIM(tr_scan_5), 57916, 3391 };

/* ndpi-tcp_scan.pcap: 192.168.1.178:63243 (A) <-> 192.168.1.2:3392 (B) */
static const struct step tr_scan_6[] = {
	{ A, FIN|PSH|URG, 3382815324u, 0u, 0, 1024, 0, 0 },
	{ B, ACK|RST, 0u, 3382815325u, 0, 0, 0, 0 },
};
static const struct trace tr_scan_6_t = { tr_scan_6, FC_DIM(tr_scan_6), 63243, 3392 };

/* zeek-tcp-ssh-dups.pcap: 192.168.0.102:53206 (A) <-> 192.168.0.112:22 (B) */
static const struct step tr_ssh_dups[] = {
	{ A, SYN, 2352338406u, 0u, 0, 65535, 0, 0 },
	{ B, SYN|ACK, 1633514157u, 2352338407u, 0, 28960, 0, 0 },
	{ A, ACK, 2352338407u, 1633514158u, 0, 2058, 0, 0 },
	{ A, ACK|PSH, 2352338407u, 1633514158u, 21, 2058, 0, 4 },
	{ B, ACK, 1633514158u, 2352338428u, 0, 227, 0, 4 },
	{ B, ACK|PSH, 1633514158u, 2352338428u, 41, 227, 0, 4 },
	{ A, ACK, 2352338428u, 1633514199u, 0, 2058, 0, 4 },
	{ A, ACK|PSH, 2352338428u, 1633514199u, 1392, 2058, 0, 4 },
	{ B, ACK, 1633514199u, 2352339820u, 0, 249, 0, 4 },
	{ B, ACK|PSH, 1633514199u, 2352339820u, 1080, 249, 0, 4 },
	{ A, ACK, 2352339820u, 1633515279u, 0, 2041, 0, 4 },
	{ A, ACK|PSH, 2352339820u, 1633515279u, 48, 2048, 0, 4 },
	{ B, ACK|PSH, 1633515279u, 2352339868u, 452, 249, 0, 4 },
	{ A, ACK, 2352339868u, 1633515731u, 0, 2040, 0, 4 },
	{ A, ACK|PSH, 2352339868u, 1633515731u, 16, 2048, 0, 4 },
	{ B, ACK, 1633515731u, 2352339884u, 0, 249, 0, 4 },
	{ A, ACK|PSH, 2352339884u, 1633515731u, 44, 2048, 0, 4 },
	{ B, ACK, 1633515731u, 2352339928u, 0, 249, 0, 4 },
	{ B, ACK|PSH, 1633515731u, 2352339928u, 44, 249, 0, 4 },
	{ A, ACK, 2352339928u, 1633515775u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352339928u, 1633515775u, 68, 2048, 0, 4 },
	{ B, ACK|PSH, 1633515775u, 2352339996u, 52, 249, 0, 4 },
	{ A, ACK, 2352339996u, 1633515827u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352339996u, 1633515827u, 372, 2048, 0, 4 },
	{ B, ACK|PSH, 1633515827u, 2352340368u, 332, 271, 0, 4 },
	{ A, ACK, 2352340368u, 1633516159u, 0, 2042, 0, 4 },
	{ A, ACK|PSH, 2352340368u, 1633516159u, 652, 2048, 0, 4 },
	{ B, ACK|PSH, 1633516159u, 2352341020u, 28, 293, 0, 4 },
	{ A, ACK, 2352341020u, 1633516187u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341020u, 1633516187u, 112, 2048, 0, 4 },
	{ B, ACK, 1633516187u, 2352341132u, 0, 293, 0, 4 },
	{ B, ACK|PSH, 1633516187u, 2352341132u, 500, 293, 0, 4 },
	{ A, ACK, 2352341132u, 1633516687u, 0, 2040, 0, 4 },
	{ B, ACK|PSH, 1633516687u, 2352341132u, 44, 293, 0, 4 },
	{ A, ACK, 2352341132u, 1633516731u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341132u, 1633516731u, 452, 2048, 0, 4 },
	{ B, ACK, 1633516731u, 2352341584u, 0, 315, 0, 4 },
	{ B, ACK|PSH, 1633516731u, 2352341584u, 108, 315, 0, 4 },
	{ A, ACK, 2352341584u, 1633516839u, 0, 2046, 0, 4 },
	{ B, ACK|PSH, 1633516839u, 2352341584u, 252, 315, 0, 4 },
	{ A, ACK, 2352341584u, 1633517091u, 0, 2044, 0, 4 },
	{ B, ACK|PSH, 1633517091u, 2352341584u, 204, 315, 0, 4 },
	{ B, ACK|PSH, 1633517295u, 2352341584u, 260, 315, 0, 4 },
	{ A, ACK, 2352341584u, 1633517295u, 0, 2044, 0, 4 },
	{ A, ACK, 2352341584u, 1633517555u, 0, 2043, 0, 4 },
	{ B, ACK|PSH, 1633517555u, 2352341584u, 108, 315, 0, 4 },
	{ A, ACK, 2352341584u, 1633517663u, 0, 2046, 0, 4 },
	{ A, ACK|PSH, 2352341584u, 1633517663u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633517663u, 2352341620u, 36, 315, 0, 4 },
	{ A, ACK, 2352341620u, 1633517699u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341620u, 1633517699u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633517699u, 2352341656u, 36, 315, 0, 4 },
	{ A, ACK, 2352341656u, 1633517735u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341656u, 1633517735u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633517735u, 2352341692u, 36, 315, 0, 4 },
	{ A, ACK, 2352341692u, 1633517771u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341692u, 1633517771u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633517771u, 2352341728u, 36, 315, 0, 4 },
	{ A, ACK, 2352341728u, 1633517807u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341728u, 1633517807u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633517807u, 2352341764u, 36, 315, 0, 4 },
	{ A, ACK, 2352341764u, 1633517843u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341764u, 1633517843u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633517843u, 2352341800u, 36, 315, 0, 4 },
	{ A, ACK, 2352341800u, 1633517879u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341800u, 1633517879u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633517879u, 2352341836u, 36, 315, 0, 4 },
	{ A, ACK, 2352341836u, 1633517915u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341836u, 1633517915u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633517915u, 2352341872u, 36, 315, 0, 4 },
	{ A, ACK, 2352341872u, 1633517951u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341872u, 1633517951u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633517951u, 2352341908u, 36, 315, 0, 4 },
	{ A, ACK, 2352341908u, 1633517987u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341908u, 1633517987u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633517987u, 2352341944u, 36, 315, 0, 4 },
	{ A, ACK, 2352341944u, 1633518023u, 0, 2047, 0, 4 },
	{ A, ACK|PSH, 2352341944u, 1633518023u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633518023u, 2352341980u, 36, 315, 0, 4 },
	{ B, ACK|PSH, 1633518059u, 2352341980u, 44, 315, 0, 4 },
	{ A, ACK, 2352341980u, 1633518059u, 0, 2047, 0, 4 },
	{ A, ACK, 2352341980u, 1633518103u, 0, 2047, 0, 4 },
	{ B, ACK|PSH, 1633518103u, 2352341980u, 108, 315, 0, 4 },
	{ A, ACK, 2352341980u, 1633518211u, 0, 2046, 0, 4 },
	{ A, ACK|PSH, 2352341980u, 1633518211u, 36, 2048, 0, 4 },
	{ B, ACK|PSH, 1633518211u, 2352342016u, 44, 315, 0, 4 },
	{ A, ACK, 2352342016u, 1633518255u, 0, 2047, 0, 4 },
	{ B, ACK|PSH, 1633518255u, 2352342016u, 36, 315, 0, 4 },
	{ A, ACK, 2352342016u, 1633518291u, 0, 2047, 0, 4 },
	{ B, ACK|PSH, 1633518291u, 2352342016u, 140, 315, 0, 4 },
	{ A, ACK, 2352342016u, 1633518431u, 0, 2045, 0, 4 },
	{ A, ACK|PSH, 2352342016u, 1633518431u, 36, 2048, 0, 4 },
	{ A, ACK|PSH, 2352342052u, 1633518431u, 60, 2048, 0, 4 },
	{ A, ACK|FIN, 2352342112u, 1633518431u, 0, 2048, 0, 3 },
	{ B, ACK, 1633518431u, 2352342113u, 0, 315, 0, 4 },
	{ B, ACK|FIN, 1633518431u, 2352342113u, 0, 315, 0, 3 },
	{ A, ACK, 2352342113u, 1633518432u, 0, 2048, 0, 4 },
};
static const struct trace tr_ssh_dups_t = { tr_ssh_dups, FC_DIM(tr_ssh_dups), 53206, 22 };

/* ---- Zeek traces ----------------------------------------------------- */

/*
 * zeek-tcp-syn-then-rst, -single-rst, -syn-then-ack-then-rst,
 * -syn-then-stuff-then-rst: Zeek prints "SR, RSTOS0", "R, OTH",
 * "SaR, RSTOS0", "SaFR, OTH" (conn_state-RST-behavior baseline).
 */
static void
test_trace_rst_behavior(void **state)
{
	struct tflow f;

	(void)state;
	run_trace(&f, &tr_syn_rst_t, 1);
	assert_string_equal(zeek(&f), "SR");
	assert_string_equal(cstate(&f), "RSTOS0");
	assert_int_equal(f.c.state, FC_TCP_S_RESET);
	assert_int_equal(f.n_term, 1);

	run_trace(&f, &tr_single_rst_t, 1);
	assert_string_equal(zeek(&f), "R");
	assert_string_equal(cstate(&f), "OTH");
	assert_int_equal(f.n_term, 1);

	run_trace(&f, &tr_syn_ack_rst_t, 1);
	assert_string_equal(zeek(&f), "SaR");
	assert_string_equal(cstate(&f), "RSTOS0");

	run_trace(&f, &tr_syn_stuff_rst_t, 1);
	assert_string_equal(zeek(&f), "SaFR");
	assert_string_equal(cstate(&f), "OTH");
	assert_int_equal(f.n_est, 0);
}

/* zeek-http-get: ShADadFf SF, orig_bytes 136, resp_bytes 5007. */
static void
test_trace_http_get(void **state)
{
	struct tflow f;

	(void)state;
	run_trace(&f, &tr_http_get_t, 1);
	assert_string_equal(zeek(&f), "ShADadFf");
	assert_string_equal(cstate(&f), "SF");
	assert_int_equal(orig_endpoint(&f), A);
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 0), 136);
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 1), 5007);
	assert_string_equal(fc_history_fs(&f.h), "SsDddddFf");
	assert_string_equal(f.trail,
			    "syn_sent,syn_received,established,fin_wait,closing,closed,");
	assert_int_equal(f.n_est, 1);
	assert_int_equal(f.n_term, 1);
	assert_int_equal(f.c.state, FC_TCP_S_CLOSED);
	assert_int_equal(f.missed, 0);
	assert_int_equal(f.n_rxmit, 0);
}

/*
 * zeek-tcp-missing-syn: first packet is the server's SYN-ACK.
 * Zeek: ^hADdFaf SF 98/9417, originator 141.42.64.125 (B). Same result
 * with the port heuristic (flip at creation) and without it (flip on
 * the next ACK).
 */
static void
test_trace_missing_syn(void **state)
{
	struct tflow f;
	int ports;

	(void)state;
	for (ports = 0; ports <= 1; ports++) {
		run_trace(&f, &tr_missing_syn_t, ports);
		assert_string_equal(zeek(&f), "^hADdFaf");
		assert_string_equal(cstate(&f), "SF");
		assert_int_equal(orig_endpoint(&f), B);
		assert_int_equal(fc_tcp_seq_bytes(&f.c, 0), 98);
		assert_int_equal(fc_tcp_seq_bytes(&f.c, 1), 9417);
		assert_int_equal(f.n_est, 1);
		assert_int_equal(f.c.state, FC_TCP_S_CLOSED);
		assert_int_equal(f.n_flip, ports ? 0 : 1);
	}
}

/*
 * zeek-tcp-handshake-reorder: SYN-ACK before SYN. Zeek (test run with
 * likely_server_ports = {}): history "H" at new_connection, "Hs^" at
 * connection_flipped (the SYN), "Hs^ADadFf" at the end; originator
 * 141.142.228.5 (B). With the default port heuristic Zeek flips at
 * creation instead: "^hSADadFf".
 */
static void
test_trace_handshake_reorder(void **state)
{
	struct tflow f;

	(void)state;
	tflow_open(&f, tr_reorder[0].flags, 0, 0);
	P(&f, A, tr_reorder[0].flags, tr_reorder[0].seq, tr_reorder[0].ack, 0);
	assert_string_equal(zeek(&f), "H");
	assert_int_equal(f.c.state, FC_TCP_S_SYN_RECEIVED);
	assert_true(P(&f, B, tr_reorder[1].flags, tr_reorder[1].seq,
		      tr_reorder[1].ack, 0) & FC_TCP_CHG_FLIP);
	assert_string_equal(zeek(&f), "Hs^");

	run_trace(&f, &tr_reorder_t, 0);
	assert_string_equal(zeek(&f), "Hs^ADadFf");
	assert_string_equal(cstate(&f), "SF");
	assert_int_equal(orig_endpoint(&f), B);
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 0), 136);
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 1), 5007);
	assert_int_equal(f.n_est, 1);
	assert_int_equal(f.n_term, 1);

	run_trace(&f, &tr_reorder_t, 1);
	assert_string_equal(zeek(&f), "^hSADadFf");
	assert_string_equal(cstate(&f), "SF");
	assert_int_equal(orig_endpoint(&f), B);
	assert_int_equal(f.n_est, 1);
}

/*
 * zeek-tcp-fin_retransmission: SYN, FIN, SYN-ACK, FIN+ACK, RST. Zeek's
 * endpoint records: originator state 5 (closed), responder 6 (reset),
 * size 0 each.
 */
static void
test_trace_fin_retransmission(void **state)
{
	struct tflow f;

	(void)state;
	run_trace(&f, &tr_fin_rexmit_t, 1);
	assert_int_equal(fc_tcp_endpoint_state(&f.c, 0), 5);
	assert_int_equal(fc_tcp_endpoint_state(&f.c, 1), 6);
	assert_int_equal(fc_tcp_endpoint_state(&f.c, 0), FC_TCP_EP_CLOSED);
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 0), 0);
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 1), 0);
	assert_string_equal(cstate(&f), "RSTR");
	assert_int_equal(f.c.state, FC_TCP_S_RESET);
	assert_int_equal(f.n_term, 1);
}

/*
 * zeek-tcp-ssh-dups: every packet captured four times. Zeek reports
 * tcp_multiple_retransmissions at the 10th retransmission of each side
 * with history ShADTadtT, then ShADTadtTt; final ShADTadtTtFf.
 */
static void
test_trace_ssh_dups(void **state)
{
	struct tflow f;
	unsigned int i, k, seen1 = 0, seen2 = 0;

	(void)state;
	tflow_open(&f, tr_ssh_dups[0].flags, tr_ssh_dups_t.port_a,
		   tr_ssh_dups_t.port_b);
	for (i = 0; i < tr_ssh_dups_t.n; i++) {
		const struct step *s = &tr_ssh_dups[i];

		for (k = 0; k < (s->rep ? s->rep : 1u); k++) {
			tflow_pkt(&f, s->from, s->flags, s->seq, s->ack,
				  s->len, s->win, s->len);
			if (strcmp(zeek(&f), "ShADTadtT") == 0)
				seen1 = 1;
			if (strcmp(zeek(&f), "ShADTadtTt") == 0)
				seen2 = seen1;
		}
	}
	assert_true(seen1);
	assert_true(seen2);
	assert_string_equal(zeek(&f), "ShADTadtTtFf");
	assert_string_equal(cstate(&f), "SF");
	assert_true(f.n_rxmit >= 20);
	assert_int_equal(f.n_est, 1);
}

/*
 * zeek-tcp-miss_end_data: the server's 2902 bytes before its FIN were
 * never captured. Zeek: ShADafgF SF, 538/2902, missed_bytes 2902, one
 * content_gap on the responder.
 */
static void
test_trace_miss_end_data(void **state)
{
	struct tflow f;

	(void)state;
	run_trace(&f, &tr_miss_end_t, 1);
	assert_string_equal(zeek(&f), "ShADafgF");
	assert_string_equal(cstate(&f), "SF");
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 0), 538);
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 1), 2902);
	assert_int_equal(f.missed, 2902);
}

/*
 * zeek-tcp-retransmit-fast009: snap length 54, no payload captured.
 * Zeek: ShADaGdgtR RSTO, 474/23783, missed_bytes 24257.
 */
static void
test_trace_retransmit_fast009(void **state)
{
	struct tflow f;

	(void)state;
	run_trace(&f, &tr_fast009_t, 1);
	assert_string_equal(zeek(&f), "ShADaGdgtR");
	assert_string_equal(cstate(&f), "RSTO");
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 0), 474);
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 1), 23783);
	assert_int_equal(f.missed, 24257);
	assert_int_equal(f.c.state, FC_TCP_S_RESET);
}

/*
 * zeek-tcp-ctu-64702-888 and zeek-tcp-one-sided-2745 (conn-size-flip
 * baselines): flows that start at a SYN-ACK from a port Zeek does not
 * know. Zeek flips on the next packet: ^hAfdtFr with originator
 * 192.168.1.108 (B); ^haf twice, originator the silent 2745 side (B).
 */
static void
test_trace_synack_first_flips(void **state)
{
	struct tflow f;

	(void)state;
	run_trace(&f, &tr_ctu_t, 1);
	assert_string_equal(zeek(&f), "^hAfdtFr");
	assert_int_equal(orig_endpoint(&f), B);
	assert_int_equal(f.n_flip, 1);

	run_trace(&f, &tr_one_sided_0_t, 1);
	assert_string_equal(zeek(&f), "^haf");
	assert_int_equal(orig_endpoint(&f), B);
	assert_string_equal(cstate(&f), "SHR");

	run_trace(&f, &tr_one_sided_1_t, 1);
	assert_string_equal(zeek(&f), "^haf");
	assert_int_equal(orig_endpoint(&f), B);
}

/*
 * ndpi-tcp_scan: connect scans and stealth probes (no Zeek baseline for
 * this trace; expectations follow Zeek's rules as exercised above).
 */
static void
test_trace_tcp_scan(void **state)
{
	static const struct {
		const struct trace *t;
		const char *hist;
		const char *cs;
	} want[] = {
		{ &tr_scan_0_t, "ShAR", "RSTO" },  /* connect, then RST */
		{ &tr_scan_1_t, "ShAR", "RSTO" },
		{ &tr_scan_2_t, "Sr", "REJ" },     /* closed port */
		{ &tr_scan_3_t, "Sr", "REJ" },
		{ &tr_scan_4_t, "Fr", "RSTR" },    /* FIN scan */
		{ &tr_scan_5_t, "r", "RSTRH" },    /* NULL scan: no letter */
		{ &tr_scan_6_t, "Fr", "RSTR" },    /* Xmas scan */
	};
	struct tflow f;
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_DIM(want); i++) {
		run_trace(&f, want[i].t, 1);
		assert_string_equal(zeek(&f), want[i].hist);
		assert_string_equal(cstate(&f), want[i].cs);
		assert_int_equal(f.n_term, 1);
		assert_int_equal(f.c.state, FC_TCP_S_RESET);
		assert_int_equal(orig_endpoint(&f), A);
	}
}

/* ---- flowscope machine: named scenarios ------------------------------ */

/* Three-way handshake (SYN, SYN-ACK, ACK): Established reported once. */
static void
test_fs_3whs_one_established(void **state)
{
	struct tflow f;

	(void)state;
	tflow_open(&f, SYN, 40000, 80);
	assert_int_equal(P(&f, A, SYN, 100, 0, 0),
			 FC_TCP_CHG_STATE);
	assert_int_equal(f.c.state, FC_TCP_S_SYN_SENT);
	P(&f, B, SYN | ACK, 500, 101, 0);
	assert_int_equal(f.c.state, FC_TCP_S_SYN_RECEIVED);
	assert_int_equal(P(&f, A, ACK, 101, 501, 0),
			 FC_TCP_CHG_STATE | FC_TCP_CHG_ESTABLISHED);
	assert_int_equal(f.c.state, FC_TCP_S_ESTABLISHED);
	P(&f, A, ACK | PSH, 101, 501, 10);
	P(&f, B, ACK | PSH, 501, 111, 20);
	P(&f, A, ACK, 111, 521, 0);
	assert_int_equal(f.n_est, 1);
	assert_int_equal(f.c.state, FC_TCP_S_ESTABLISHED);
	assert_string_equal(zeek(&f), "ShADd"); /* A's ACK: 'A' seen already */
	assert_string_equal(cstate(&f), "S1");
}

/*
 * Graceful close: FIN+ACK (A) -> fin_wait, FIN+ACK (B, acks A's FIN)
 * -> closing, ACK (A) -> closed, terminal once; a retransmitted FIN
 * from A in fin_wait does not count as B's.
 */
static void
test_fs_graceful_close(void **state)
{
	struct tflow f;

	(void)state;
	tflow_open(&f, SYN, 40000, 80);
	P(&f, A, SYN, 100, 0, 0);
	P(&f, B, SYN | ACK, 500, 101, 0);
	P(&f, A, ACK, 101, 501, 0);
	P(&f, A, FIN | ACK, 101, 501, 0);
	assert_int_equal(f.c.state, FC_TCP_S_FIN_WAIT);
	P(&f, A, FIN | ACK, 101, 501, 0); /* retransmitted */
	assert_int_equal(f.c.state, FC_TCP_S_FIN_WAIT);
	P(&f, B, FIN | ACK, 501, 102, 0);
	assert_int_equal(f.c.state, FC_TCP_S_CLOSING);
	/* A late ACK from B (not acking anything new) keeps it closing. */
	P(&f, B, ACK, 502, 102, 0);
	assert_int_equal(f.c.state, FC_TCP_S_CLOSING);
	assert_int_equal(P(&f, A, ACK, 102, 502, 0),
			 FC_TCP_CHG_STATE | FC_TCP_CHG_TERMINAL);
	assert_int_equal(f.c.state, FC_TCP_S_CLOSED);
	assert_int_equal(f.n_term, 1);
	assert_string_equal(zeek(&f), "ShAFfa");
	assert_string_equal(cstate(&f), "SF");
	/* Nothing more is reported after the end. */
	assert_int_equal(P(&f, A, ACK, 102, 502, 0) &
			 (FC_TCP_CHG_STATE | FC_TCP_CHG_TERMINAL), 0);
}

/* SYN, SYN-ACK, then FIN+ACK from A: Established and fin_wait at once. */
static void
test_fs_fin_ack_completes_handshake(void **state)
{
	struct tflow f;
	unsigned int r;

	(void)state;
	tflow_open(&f, SYN, 40000, 80);
	P(&f, A, SYN, 100, 0, 0);
	P(&f, B, SYN | ACK, 500, 101, 0);
	r = P(&f, A, FIN | ACK, 101, 501, 0);
	assert_int_equal(r, FC_TCP_CHG_STATE | FC_TCP_CHG_ESTABLISHED);
	assert_int_equal(f.c.state, FC_TCP_S_FIN_WAIT);
	P(&f, B, FIN | ACK, 501, 102, 0);
	r = P(&f, A, ACK, 102, 502, 0);
	assert_true(r & FC_TCP_CHG_TERMINAL);
	assert_int_equal(f.n_est, 1);
}

/* Simultaneous open: SYN A, SYN B, SYN-ACK A, SYN-ACK B, ACK A. */
static void
test_fs_simultaneous_open(void **state)
{
	struct tflow f;
	struct fc_pkt_tcp t;

	(void)state;
	tflow_open(&f, SYN, 40000, 40001);
	P(&f, A, SYN, 100, 0, 0);
	memset(&t, 0, sizeof(t));
	t.flags = SYN;
	t.seq = 500;
	assert_int_equal(fc_tcp_is_reuse(&f.c, 1, &t), 0);
	P(&f, B, SYN, 500, 0, 0);
	assert_int_equal(f.c.state, FC_TCP_S_SYN_RECEIVED);
	assert_int_equal(f.n_flip, 0);
	P(&f, A, SYN | ACK, 100, 501, 0);
	P(&f, B, SYN | ACK, 500, 101, 0);
	assert_int_equal(f.c.state, FC_TCP_S_ESTABLISHED);
	assert_int_equal(f.n_est, 1);
	P(&f, A, ACK, 101, 501, 0);
	assert_int_equal(f.n_est, 1);
	assert_int_equal(orig_endpoint(&f), A);
	assert_string_equal(cstate(&f), "S1");
}

/*
 * SYN-ACK seen first (no port heuristic): the SYN-ACK sender becomes the
 * responder on the client's ACK; the handshake completes there.
 */
static void
test_fs_synack_first(void **state)
{
	struct tflow f;
	unsigned int r;

	(void)state;
	tflow_open(&f, SYN | ACK, 0, 0);
	assert_int_equal(f.a_side, 0);
	P(&f, A, SYN | ACK, 500, 101, 0);
	assert_int_equal(f.c.state, FC_TCP_S_SYN_RECEIVED);
	r = P(&f, B, ACK, 101, 501, 0);
	assert_true(r & FC_TCP_CHG_FLIP);
	assert_true(r & FC_TCP_CHG_ESTABLISHED);
	assert_int_equal(orig_endpoint(&f), B);
	assert_string_equal(zeek(&f), "^hA");
	assert_true(f.c.flags & FC_TCP_CF_FLIPPED);
	/* A SYN-ACK answered by a RST (stealth scan) is not flipped. */
	tflow_open(&f, SYN | ACK, 0, 0);
	P(&f, A, SYN | ACK, 500, 101, 0);
	r = P(&f, B, RST, 101, 0, 0);
	assert_false(r & FC_TCP_CHG_FLIP);
	assert_string_equal(zeek(&f), "Hr");
	assert_string_equal(cstate(&f), "REJ");
}

/*
 * Mid-stream pickup: data both ways -> Established (once); FIN each
 * way and the last ACK close it (reason fin).
 */
static void
test_fs_midstream_close_by_fin(void **state)
{
	struct tflow f;

	(void)state;
	tflow_open(&f, ACK | PSH, 40000, 4000);
	P(&f, A, ACK | PSH, 1000, 9000, 100);
	assert_int_equal(f.c.state, FC_TCP_S_ACTIVE);
	P(&f, B, ACK | PSH, 9000, 1100, 50);
	assert_int_equal(f.c.state, FC_TCP_S_ESTABLISHED);
	assert_int_equal(f.n_est, 1);
	P(&f, A, FIN | ACK, 1100, 9050, 0);
	assert_int_equal(f.c.state, FC_TCP_S_FIN_WAIT);
	P(&f, B, FIN | ACK, 9050, 1101, 0);
	assert_int_equal(f.c.state, FC_TCP_S_CLOSING);
	P(&f, A, ACK, 1101, 9051, 0);
	assert_int_equal(f.c.state, FC_TCP_S_CLOSED);
	assert_int_equal(f.n_term, 1);
	assert_string_equal(zeek(&f), "DdFfA");
	assert_string_equal(cstate(&f), "SF");
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 0), 100);
	assert_int_equal(fc_tcp_seq_bytes(&f.c, 1), 50);

	/* One-sided: a FIN alone still moves on, no Established. */
	tflow_open(&f, FIN | ACK, 40000, 4000);
	P(&f, A, FIN | ACK, 1000, 9000, 0);
	assert_int_equal(f.c.state, FC_TCP_S_FIN_WAIT);
	assert_int_equal(f.n_est, 0);
}

/* RST from either side ends the flow with reason rst. */
static void
test_fs_rst_either_side(void **state)
{
	struct tflow f;
	unsigned int from, r;

	(void)state;
	for (from = A; from <= B; from++) {
		tflow_open(&f, SYN, 40000, 80);
		P(&f, A, SYN, 100, 0, 0);
		P(&f, B, SYN | ACK, 500, 101, 0);
		P(&f, A, ACK, 101, 501, 0);
		r = P(&f, from, RST | ACK, from == A ? 101 : 501,
		      from == A ? 501 : 101, 0);
		assert_int_equal(r, FC_TCP_CHG_STATE | FC_TCP_CHG_TERMINAL);
		assert_int_equal(f.c.state, FC_TCP_S_RESET);
		assert_string_equal(cstate(&f), from == A ? "RSTO" : "RSTR");
	}
	/* Even in Active (flowscope's rule). */
	tflow_open(&f, RST, 40000, 80);
	assert_true(P(&f, A, RST, 5, 0, 0) & FC_TCP_CHG_TERMINAL);
}

/* ---- conn_state: one scenario per value ------------------------------ */

static void
hs(struct tflow *f)
{
	tflow_open(f, SYN, 40000, 80);
	P(f, A, SYN, 100, 0, 0);
	P(f, B, SYN | ACK, 500, 101, 0);
	P(f, A, ACK, 101, 501, 0);
}

static void
test_conn_state_all(void **state)
{
	struct tflow f;
	unsigned int i;

	(void)state;
	/* S0: SYN, no reply. */
	tflow_open(&f, SYN, 40000, 80);
	P(&f, A, SYN, 100, 0, 0);
	P(&f, A, SYN, 100, 0, 0);
	assert_string_equal(cstate(&f), "S0");
	assert_string_equal(zeek(&f), "S");
	/* S1: established, open. */
	hs(&f);
	assert_string_equal(cstate(&f), "S1");
	/* SF: normal close. */
	hs(&f);
	P(&f, A, FIN | ACK, 101, 501, 0);
	P(&f, B, FIN | ACK, 501, 102, 0);
	P(&f, A, ACK, 102, 502, 0);
	assert_string_equal(cstate(&f), "SF");
	/* REJ: SYN answered by RST. */
	tflow_open(&f, SYN, 40000, 80);
	P(&f, A, SYN, 100, 0, 0);
	P(&f, B, RST | ACK, 0, 101, 0);
	assert_string_equal(cstate(&f), "REJ");
	assert_string_equal(zeek(&f), "Sr");
	/* S2: only the originator closes. */
	hs(&f);
	P(&f, A, FIN | ACK, 101, 501, 0);
	P(&f, B, ACK, 501, 102, 0);
	assert_string_equal(cstate(&f), "S2");
	/* S3: only the responder closes. */
	hs(&f);
	P(&f, B, FIN | ACK, 501, 101, 0);
	assert_string_equal(cstate(&f), "S3");
	/* RSTO / RSTR: reset after establishment. */
	hs(&f);
	P(&f, A, RST, 101, 0, 0);
	assert_string_equal(cstate(&f), "RSTO");
	hs(&f);
	P(&f, B, RST, 501, 0, 0);
	assert_string_equal(cstate(&f), "RSTR");
	/* RSTOS0: SYN then the originator's RST. */
	tflow_open(&f, SYN, 40000, 80);
	P(&f, A, SYN, 100, 0, 0);
	P(&f, A, RST, 101, 0, 0);
	assert_string_equal(cstate(&f), "RSTOS0");
	/* RSTRH: the responder's SYN-ACK (first, port 80) then its RST. */
	tflow_open(&f, SYN | ACK, 80, 40000);
	assert_int_equal(f.a_side, 1);
	P(&f, A, SYN | ACK, 500, 101, 0);
	P(&f, A, RST, 501, 0, 0);
	assert_string_equal(cstate(&f), "RSTRH");
	assert_string_equal(zeek(&f), "^hr");
	/* SH: SYN then FIN, no reply. */
	tflow_open(&f, SYN, 40000, 80);
	P(&f, A, SYN, 100, 0, 0);
	P(&f, A, FIN, 101, 0, 0);
	assert_string_equal(cstate(&f), "SH");
	/* SHR: the responder's SYN-ACK then its FIN. */
	tflow_open(&f, SYN | ACK, 80, 40000);
	P(&f, A, SYN | ACK, 500, 101, 0);
	P(&f, A, FIN | ACK, 501, 101, 0);
	assert_string_equal(cstate(&f), "SHR");
	/* OTH: mid-stream, never closed. */
	tflow_open(&f, ACK, 40000, 4000);
	P(&f, A, ACK | PSH, 1000, 9000, 10);
	P(&f, B, ACK, 9000, 1010, 0);
	assert_string_equal(cstate(&f), "OTH");

	for (i = 0; i < FC_TCP_CS_MAX; i++)
		assert_string_not_equal(fc_tcp_conn_state_name(i), "?");
	assert_string_equal(fc_tcp_conn_state_name(FC_TCP_CS_MAX), "?");
	assert_string_equal(fc_tcp_conn_state_udp(0), "OTH");
	assert_string_equal(fc_tcp_conn_state_udp(1), "S0");
	assert_string_equal(fc_tcp_conn_state_udp(2), "SHR");
	assert_string_equal(fc_tcp_conn_state_udp(3), "SF");
	/* Without a history the RSTOS0 case falls back to OTH. */
	tflow_open(&f, SYN, 40000, 80);
	P(&f, A, SYN, 100, 0, 0);
	P(&f, A, RST, 101, 0, 0);
	assert_string_equal(fc_tcp_conn_state(&f.c, NULL), "OTH");
}

/* ---- sequence numbers around the wrap -------------------------------- */

/*
 * For ISNs 0, 1, 2^31, 2^32 - 1 (and the responder 50 below): handshake,
 * two data segments, a retransmission of the first (T, flagged), the
 * responder's ACK and data, FIN/FIN/ACK. Byte counts and letters must not
 * depend on where the wrap falls.
 */
static void
test_seq_wraparound(void **state)
{
	static const uint32_t isns[] = {
		0u, 1u, 0x80000000u, 0xffffffffu, 0xffffff9cu, 0x7fffffffu,
	};
	struct tflow f;
	unsigned int i, r;

	(void)state;
	for (i = 0; i < FC_DIM(isns); i++) {
		const uint32_t a = isns[i], b = isns[i] - 50;

		tflow_open(&f, SYN, 40000, 80);
		P(&f, A, SYN, a, 0, 0);
		P(&f, B, SYN | ACK, b, a + 1, 0);
		P(&f, A, ACK, a + 1, b + 1, 0);
		assert_int_equal(P(&f, A, ACK | PSH, a + 1, b + 1, 100) &
				 FC_TCP_CHG_RXMIT, 0);
		assert_int_equal(P(&f, A, ACK | PSH, a + 101, b + 1, 100) &
				 FC_TCP_CHG_RXMIT, 0);
		r = P(&f, A, ACK | PSH, a + 1, b + 1, 100);
		assert_true(r & FC_TCP_CHG_RXMIT);
		P(&f, B, ACK, b + 1, a + 201, 0);
		assert_int_equal(P(&f, B, ACK | PSH, b + 1, a + 201, 300) &
				 FC_TCP_CHG_RXMIT, 0);
		P(&f, A, FIN | ACK, a + 201, b + 301, 0);
		P(&f, B, FIN | ACK, b + 301, a + 202, 0);
		P(&f, A, ACK, a + 202, b + 302, 0);
		assert_string_equal(zeek(&f), "ShADTadFf");
		assert_string_equal(cstate(&f), "SF");
		assert_int_equal(f.c.state, FC_TCP_S_CLOSED);
		assert_int_equal(fc_tcp_seq_bytes(&f.c, 0), 200);
		assert_int_equal(fc_tcp_seq_bytes(&f.c, 1), 300);
		assert_int_equal(f.n_rxmit, 1);
		assert_int_equal(f.missed, 0);
		assert_int_equal(f.c.peer[0].isn, a);
		assert_int_equal(f.c.peer[1].isn, b);
	}
}

/* A lost segment of the originator acknowledged by the responder: one 'G'. */
static void
test_seq_gap(void **state)
{
	struct tflow f;

	(void)state;
	hs(&f);
	P(&f, A, ACK | PSH, 101, 501, 100);
	/* [201, 301) never seen */
	P(&f, A, ACK | PSH, 301, 501, 100);
	P(&f, B, ACK, 501, 201, 0);
	assert_string_equal(zeek(&f), "ShADa");
	P(&f, B, ACK, 501, 401, 0);
	assert_string_equal(zeek(&f), "ShADaG");
	assert_true(f.missed >= 100);
	/* Later ACKs of data seen above the hole are no new gap. */
	P(&f, A, ACK | PSH, 401, 501, 100);
	P(&f, B, ACK, 501, 501, 0);
	assert_string_equal(zeek(&f), "ShADaG");

	/*
	 * Out of order but complete: no gap. The late segment ends below the
	 * highest sequence sent, which Zeek counts as a retransmission (T).
	 */
	hs(&f);
	P(&f, A, ACK | PSH, 201, 501, 100);
	P(&f, A, ACK | PSH, 101, 501, 100);
	P(&f, B, ACK, 501, 301, 0);
	assert_string_equal(zeek(&f), "ShADTa");
	assert_int_equal(f.missed, 0);
}

/* Zero windows: 'w' at the 1st and 10th; not on a RST. */
static void
test_seq_zero_window(void **state)
{
	struct tflow f;
	unsigned int i;

	(void)state;
	hs(&f);
	for (i = 0; i < 10; i++)
		tflow_pkt(&f, B, ACK, 501, 101, 0, 0, 0);
	assert_string_equal(zeek(&f), "ShAaww");
	assert_true(f.c.pflags[1] & FC_TCP_PF_ZWIN);
	tflow_pkt(&f, A, RST, 101, 0, 0, 0, 0);
	assert_string_equal(zeek(&f), "ShAawwR");
}

/* SYN+FIN and SYN+RST are q, FIN+RST is i, once per direction. */
static void
test_flag_combos(void **state)
{
	struct tflow f;

	(void)state;
	tflow_open(&f, SYN | FIN, 0, 0);
	P(&f, A, SYN | FIN, 100, 0, 0);
	P(&f, A, SYN | RST, 100, 0, 0);
	P(&f, B, FIN | RST | ACK, 500, 101, 0);
	assert_string_equal(zeek(&f), "Qi");
	assert_int_equal(f.c.state, FC_TCP_S_RESET);
}

/* ---- flowscope alphabet through fc_tcp_update ------------------------ */

static void
test_fs_history_alphabet(void **state)
{
	struct tflow f;
	unsigned int i;

	(void)state;
	hs(&f);
	P(&f, A, ACK | PSH, 101, 501, 10);
	P(&f, B, ACK | PSH, 501, 111, 10);
	P(&f, A, FIN | ACK, 111, 511, 0);
	P(&f, B, FIN | ACK, 511, 112, 0);
	assert_string_equal(fc_history_fs(&f.h), "SsDdFf");

	hs(&f);
	for (i = 0; i < 20; i++)
		P(&f, A, ACK | PSH, 101 + 10 * i, 501, 10);
	assert_string_equal(fc_history_fs(&f.h), "SsDDDDDDDDDDDDDD");
	assert_true(fc_history_flags(&f.h) & FC_HISTORY_F_FS_TRUNC);
}

/* ---- helpers: orientation, reuse, names, sizes ----------------------- */

static void
test_orientation_and_reuse(void **state)
{
	struct tflow f;
	struct fc_pkt_tcp t;

	(void)state;
	assert_int_equal(fc_tcp_orig_is_receiver(SYN, 80, 40000), 0);
	assert_int_equal(fc_tcp_orig_is_receiver(SYN | ACK, 80, 40000), 1);
	assert_int_equal(fc_tcp_orig_is_receiver(ACK, 40000, 80), 0);
	assert_int_equal(fc_tcp_orig_is_receiver(ACK, 443, 40000), 1);
	assert_int_equal(fc_tcp_orig_is_receiver(ACK, 80, 443), 1);
	assert_int_equal(fc_tcp_orig_is_receiver(ACK, 443, 80), 0);
	assert_int_equal(fc_tcp_orig_is_receiver(SYN | ACK, 80, 443), 0);
	assert_int_equal(fc_tcp_orig_is_receiver(SYN | ACK, 0, 0), 0);
	assert_int_equal(fc_tcp_orig_is_receiver(RST, 888, 64702), 0);
	assert_true(fc_tcp_likely_server_port(6, 22));
	assert_true(fc_tcp_likely_server_port(6, 21));
	assert_true(fc_tcp_likely_server_port(6, 20000));
	assert_false(fc_tcp_likely_server_port(6, 3544));
	assert_true(fc_tcp_likely_server_port(17, 3544));
	assert_true(fc_tcp_likely_server_port(17, 53));
	assert_false(fc_tcp_likely_server_port(6, 0));
	assert_false(fc_tcp_likely_server_port(1, 80));

	memset(&t, 0, sizeof(t));
	hs(&f);
	t.flags = SYN;
	t.seq = 100;
	assert_int_equal(fc_tcp_is_reuse(&f.c, 0, &t), 0); /* retransmission */
	t.seq = 7777;
	assert_int_equal(fc_tcp_is_reuse(&f.c, 0, &t), 1); /* new ISN */
	t.flags = ACK;
	assert_int_equal(fc_tcp_is_reuse(&f.c, 0, &t), 0);
	P(&f, A, FIN | ACK, 101, 501, 0);
	P(&f, B, FIN | ACK, 501, 102, 0);
	t.flags = SYN;
	t.seq = 100;
	assert_int_equal(fc_tcp_is_reuse(&f.c, 0, &t), 1); /* after a close */
	/* The reversal SYN is not a reuse. */
	tflow_open(&f, SYN | ACK, 0, 0);
	P(&f, A, SYN | ACK, 500, 101, 0);
	t.flags = SYN;
	t.seq = 100;
	assert_int_equal(fc_tcp_is_reuse(&f.c, 1, &t), 0);
}

static void
test_names_and_sizes(void **state)
{
	static const char *const names[] = {
		"active", "syn_sent", "syn_received", "established",
		"fin_wait", "closing", "closed", "reset", "aborted",
	};
	unsigned int i;

	(void)state;
	assert_int_equal(FC_TCP_S_MAX, FC_DIM(names));
	for (i = 0; i < FC_DIM(names); i++)
		assert_string_equal(fc_tcp_state_name(i), names[i]);
	assert_string_equal(fc_tcp_state_name(FC_TCP_S_MAX), "?");
	assert_string_equal(fc_tcp_ep_state_name(FC_TCP_EP_SYN_ACK_SENT),
			    "syn_ack_sent");
	assert_string_equal(fc_tcp_ep_state_name(FC_TCP_EP_MAX), "?");
	assert_int_equal(FC_TCP_EP_CLOSED, 5);
	assert_int_equal(FC_TCP_EP_RESET, 6);
	assert_true(sizeof(struct fc_tcp_conn) <= 40);
	assert_int_equal(sizeof(struct fc_tcp_conn), 32);
	assert_true(sizeof(struct fc_history_core) == 16);
	assert_true(fc_tcp_state_is_terminal(FC_TCP_S_CLOSED));
	assert_true(fc_tcp_state_is_terminal(FC_TCP_S_RESET));
	assert_false(fc_tcp_state_is_terminal(FC_TCP_S_CLOSING));
}

/* NULL history and NULL change record are allowed. */
static void
test_null_args(void **state)
{
	struct fc_tcp_conn c;
	struct fc_pkt_tcp t;

	(void)state;
	fc_tcp_init(&c);
	memset(&t, 0, sizeof(t));
	t.flags = SYN;
	t.seq = 1;
	assert_int_equal(fc_tcp_update(&c, NULL, 0, &t, 0, 0, NULL),
			 FC_TCP_CHG_STATE);
	t.flags = SYN | ACK;
	t.seq = 9;
	t.ack = 2;
	fc_tcp_update(&c, NULL, 1, &t, 0, 0, NULL);
	t.flags = ACK;
	t.seq = 2;
	t.ack = 10;
	assert_int_equal(fc_tcp_update(&c, NULL, 0, &t, 0, 0, NULL),
			 FC_TCP_CHG_STATE | FC_TCP_CHG_ESTABLISHED);
	fc_tcp_flip(&c, NULL);
	assert_string_equal(fc_tcp_conn_state(&c, NULL), "S1");
}

/* ---- exhaustive: every flag/side sequence up to four packets --------- */

static const uint8_t combos[] = {
	SYN, SYN | ACK, ACK, ACK | PSH /* + data */, FIN | ACK, FIN, RST,
	RST | ACK, SYN | FIN, 0,
};

/*
 * The rest of what the wire carries, run up to three packets: SYN+RST and
 * FIN+RST (Zeek's Q and I letters), urgent and ECN flags, a RST with
 * payload, an ECN SYN-ACK, everything at once.
 */
static const uint8_t combos_ext[] = {
	SYN, SYN | ACK, ACK, ACK | PSH, FIN | ACK, FIN, RST, RST | ACK,
	SYN | FIN, 0, SYN | RST, FIN | RST | ACK, ACK | URG,
	ACK | FC_TCP_ECE | FC_TCP_CWR, RST | PSH /* + data */,
	SYN | ACK | FC_TCP_ECE, 0xff,
};

struct sender {
	uint32_t nxt;
};

/*
 * Each endpoint sends from its own counter (SYN and FIN take one number,
 * data 100 bytes) and acknowledges the other's counter. Checked after
 * every packet by tflow_pkt(): Established at most once, Terminal exactly
 * when a terminal state is entered and never left, state/flip/side
 * consistency, bounded strings; and here: flowscope letter count.
 */
static void
run_sequence(const uint8_t *tab, const unsigned int *code, unsigned int n,
	     uint32_t isn, int ports)
{
	struct tflow f;
	struct sender snd[2];
	unsigned int i, fs_letters = 0;

	snd[A].nxt = isn;
	snd[B].nxt = isn ^ 0x80000001u;
	tflow_open(&f, tab[code[0] >> 1], ports ? 80 : 0, ports ? 40000 : 0);
	for (i = 0; i < n; i++) {
		const unsigned int from = code[i] & 1;
		const uint8_t fl = tab[code[i] >> 1];
		const uint32_t len = (fl & PSH) ? 100 : 0;
		const uint32_t seq = snd[from].nxt;

		tflow_pkt(&f, from, fl, seq, snd[from ^ 1].nxt, len,
			  (uint16_t)(i == 2 ? 0 : 8192), len);
		snd[from].nxt += len + !!(fl & SYN) + !!(fl & FIN);
		fs_letters += !!(fl & SYN) + !!(fl & FIN) + !!(fl & RST) +
			(len > 0);
		(void)fc_tcp_seq_bytes(&f.c, 0);
		(void)fc_tcp_seq_bytes(&f.c, 1);
		(void)fc_tcp_zeek_closed(&f.c);
	}
	assert_int_equal(strlen(fc_history_fs(&f.h)),
			 fs_letters < FC_HISTORY_FS_LEN ? fs_letters :
			 FC_HISTORY_FS_LEN);
	assert_true(f.n_term <= 1);
	assert_int_equal(f.n_term, fc_tcp_state_is_terminal(f.c.state));
	if (f.c.state >= FC_TCP_S_ESTABLISHED &&
	    !fc_tcp_state_is_terminal(f.c.state))
		assert_true(f.c.state == FC_TCP_S_ESTABLISHED ? f.n_est == 1 :
			    1);
}

/* Every sequence of up to max_len symbols (flag set x side) of tab. */
static unsigned int
run_all(const uint8_t *tab, unsigned int ntab, unsigned int max_len)
{
	static const uint32_t isns[] = { 0u, 1u, 0x80000000u, 0xffffffffu };
	const unsigned int nsym = 2 * ntab;
	unsigned int code[4], len, total = 0, k, p;
	unsigned long idx, lim;

	for (k = 0; k < FC_DIM(isns); k++) {
		for (p = 0; p <= 1; p++) {
			for (len = 1; len <= max_len; len++) {
				lim = 1;
				for (idx = 0; idx < len; idx++)
					lim *= nsym;
				for (idx = 0; idx < lim; idx++) {
					unsigned long v = idx;
					unsigned int j;

					for (j = 0; j < len; j++) {
						code[j] = (unsigned int)(v % nsym);
						v /= nsym;
					}
					run_sequence(tab, code, len, isns[k], (int)p);
					total++;
				}
			}
		}
	}
	return total;
}

static void
test_exhaustive_sequences(void **state)
{
	(void)state;
	assert_int_equal(run_all(combos, FC_DIM(combos), 4),
			 4 * 2 * (20 + 400 + 8000 + 160000));
	assert_int_equal(run_all(combos_ext, FC_DIM(combos_ext), 3),
			 4 * 2 * (34 + 34 * 34 + 34 * 34 * 34));
}

/*
 * The steady-state shortcut against the full machine on random traffic
 * shaped to reach it often: connections opened by a handshake (or picked
 * up mid-stream), then mostly in-order data and ACKs from both sides, with
 * retransmissions, holes, gaps, zero windows, truncated payloads, late
 * SYN/FIN/RST and ACKs beyond what was seen mixed in. update_checked()
 * compares every packet.
 */
static void
test_fast_path_matches_full_machine(void **state)
{
	uint64_t rng = 0x2545f4914f6cdd1dull;
	unsigned int conn, i, fast = 0;

	(void)state;
	for (conn = 0; conn < 3000; conn++) {
		struct tflow f;
		uint32_t isn[2], nxt[2];
		unsigned int k;

		rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
		isn[0] = (uint32_t)rng;
		isn[1] = (uint32_t)(rng >> 32);
		if (conn % 4 == 3) {
			isn[0] = UINT32_MAX - 100;
			isn[1] = 0x7fffffff;
		}
		nxt[0] = isn[0] + 1;
		nxt[1] = isn[1] + 1;
		tflow_open(&f, conn % 3 ? FC_TCP_SYN : FC_TCP_ACK, 40000, 80);
		if (conn % 3) {
			P(&f, A, FC_TCP_SYN, isn[0], 0, 0);
			P(&f, B, FC_TCP_SYN | FC_TCP_ACK, isn[1], nxt[0], 0);
			P(&f, A, FC_TCP_ACK, nxt[0], nxt[1], 0);
		}
		for (i = 0; i < 60; i++) {
			struct fc_pkt_tcp t;
			unsigned int from, r, sd;
			uint32_t len, cap;
			struct fc_tcp_change chg;
			struct fc_tcp_conn before;

			rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
			from = (rng & 1) ? A : B;
			sd = from == A ? 0 : 1;
			len = (rng >> 1) % 3 == 0 ? 0 : (uint32_t)((rng >> 3) % 1400) + 1;
			cap = len;
			memset(&t, 0, sizeof(t));
			t.flags = FC_TCP_ACK | ((rng >> 12) % 2 ? FC_TCP_PSH : 0);
			t.seq = nxt[sd];
			t.ack = nxt[sd ^ 1];
			t.win = 8192;
			k = (unsigned int)((rng >> 16) % 40);
			if (k == 0)
				t.seq -= (uint32_t)((rng >> 24) % 3000);   /* retransmission */
			else if (k == 1)
				t.seq += (uint32_t)((rng >> 24) % 3000) + 1; /* hole */
			else if (k == 2)
				t.ack += (uint32_t)((rng >> 24) % 3000) + 1; /* gap */
			else if (k == 3)
				t.win = 0;
			else if (k == 4 && len > 1)
				cap = len / 2;
			else if (k == 5)
				t.flags |= FC_TCP_FIN;
			else if (k == 6 && i > 50)
				t.flags = FC_TCP_RST;
			else if (k == 7)
				t.flags = FC_TCP_SYN;
			else if (k == 8)
				t.ack = nxt[sd ^ 1] - 1;
			else if (k == 9)
				t.flags &= (uint8_t)~FC_TCP_ACK;
			before = f.c;
			memset(&chg, 0, sizeof(chg));
			r = update_checked(&f.c, &f.h, from == A ? f.a_side : f.a_side ^ 1,
					   &t, len, cap, &chg);
			if (r & FC_TCP_CHG_FLIP)
				f.a_side ^= 1;
			if (r == 0 && before.state == f.c.state &&
			    t.flags == FC_TCP_ACK && k > 9)
				fast++;
			if (k != 0 && k != 1 && !(t.flags & FC_TCP_RST))
				nxt[sd] = t.seq + len + ((t.flags & (FC_TCP_SYN | FC_TCP_FIN)) ? 1 : 0);
		}
	}
	/* The shortcut was actually exercised. */
	assert_true(fast > 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_rst_behavior),
		cmocka_unit_test(test_trace_http_get),
		cmocka_unit_test(test_trace_missing_syn),
		cmocka_unit_test(test_trace_handshake_reorder),
		cmocka_unit_test(test_trace_fin_retransmission),
		cmocka_unit_test(test_trace_ssh_dups),
		cmocka_unit_test(test_trace_miss_end_data),
		cmocka_unit_test(test_trace_retransmit_fast009),
		cmocka_unit_test(test_trace_synack_first_flips),
		cmocka_unit_test(test_trace_tcp_scan),
		cmocka_unit_test(test_fs_3whs_one_established),
		cmocka_unit_test(test_fs_graceful_close),
		cmocka_unit_test(test_fs_fin_ack_completes_handshake),
		cmocka_unit_test(test_fs_simultaneous_open),
		cmocka_unit_test(test_fs_synack_first),
		cmocka_unit_test(test_fs_midstream_close_by_fin),
		cmocka_unit_test(test_fs_rst_either_side),
		cmocka_unit_test(test_conn_state_all),
		cmocka_unit_test(test_seq_wraparound),
		cmocka_unit_test(test_seq_gap),
		cmocka_unit_test(test_seq_zero_window),
		cmocka_unit_test(test_flag_combos),
		cmocka_unit_test(test_fs_history_alphabet),
		cmocka_unit_test(test_fast_path_matches_full_machine),
		cmocka_unit_test(test_orientation_and_reuse),
		cmocka_unit_test(test_names_and_sizes),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_exhaustive_sequences),
	};

	return cmocka_run_group_tests(tests, fctest_eal_setup,
				      fctest_eal_teardown);
}
