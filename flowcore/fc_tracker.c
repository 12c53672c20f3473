/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tracker: the per-lcore context that runs the flowcore pipeline
 * (decode -> key -> table -> tcp/history -> events) over bursts of frames.
 *
 * HOW A BURST IS PROCESSED. All frames of a burst are decoded first, then
 * every flow update they imply (one per IP layer yielded by the decap
 * policy, outermost first) gets its key and hash, and the whole burst is
 * looked up in the table with one bulk call that prefetches the records.
 * Updates then run in packet order. Because a burst can create or end a
 * flow that a later packet of the same burst belongs to, the bulk result
 * is only trusted where nothing can have changed: a miss is re-checked
 * once this burst has added a flow, and a hit is re-checked if its
 * position was freed earlier in the burst.
 *
 * ORIGINATOR. The originator is the sender of the first packet, except
 * where Zeek decides otherwise and we follow it: a first TCP packet that
 * is not a bare SYN, or a first UDP packet, sent from a likely server port
 * to a port that is not one makes the receiver the originator (history
 * '^'); the TCP module may also flip later (a SYN-ACK first, then its
 * ACK), and the per-side counters are swapped then.
 *
 * CLOSE. A TCP flow that reaches Closed or Reset emits its state change
 * at once but stays in the table for timeout_tcp_closed seconds (Zeek's
 * close delay), so trailing ACKs and retransmitted FINs are counted with
 * their connection instead of starting a stray flow; then, or when a new
 * SYN reuses the 5-tuple, or when the slot is needed (closed flows are
 * evicted first), it ends with reason fin or rst.
 *
 * REASSEMBLY. TCP payload goes to the lcore's fc_reasm context after the
 * packet has been counted; what it delivers (in-order bytes, gaps) goes
 * to the stream consumer. A flow's streams are flushed and released when
 * it ends, just before its flow_end, which then carries their
 * diagnostics. A drop_flow overflow ends the flow (buffer_overflow) but
 * keeps its entry, marked dead, so the rest of the connection is absorbed
 * instead of starting a new flow; the entry leaves silently when idle.
 *
 * TIME. Packet time drives everything. It is clamped to be monotonic, so a
 * capture whose timestamps step backwards never un-expires a flow.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ip.h>
#include <rte_prefetch.h>

#include "fc_flow.h"
#include "fc_table.h"
#include "fc_tracker.h"

/* Worst-case events one flow update can produce: a victim's end, an
 * idle end, start, established, state change, packet, flow_update, end,
 * and its share of the coalesced anomalies (pressure, out_of_order,
 * buffer_overflow). */
#define EVENTS_PER_UPDATE 11
#define MAX_ANOMALIES (2 * FC_TRACKER_BURST * FC_PKT_MAX_LAYERS)
#define MAX_UPDATES (FC_TRACKER_BURST * FC_PKT_MAX_LAYERS)

/* Timeout kinds: the base timeout of a flow by protocol and TCP state. */
enum tmo_kind {
	TK_TCP = 0,     /* established TCP (or picked up mid-stream) */
	TK_EMBRYONIC,   /* TCP not yet established */
	TK_CLOSING,     /* TCP after a FIN */
	TK_CLOSED,      /* TCP closed or reset: the linger */
	TK_PARTIAL,     /* an endpoint opened with FIN or RST */
	TK_UDP,
	TK_OTHER,
	TK_MAX
};

struct fc_tracker {
	struct fc_table *table;
	struct fc_tracker_params p;
	uint64_t now;               /**< monotonic packet clock, ns */
	uint64_t next_flow_id;      /**< the next flow_id sequence (40 bits) */
	/** timeout index per (port override + 1, kind): overrides replace TCP/UDP/other */
	uint8_t tmo_idx[FC_TRACKER_MAX_PORT_TIMEOUTS + 1][TK_MAX];
	struct fc_tracker_stats st;
	uint64_t evictions_in_call; /**< for the coalesced pressure anomaly */
	struct fc_reasm *reasm;     /**< NULL when reassembly is off */
	struct fc_l7_engine *l7;    /**< NULL when the parsers are off */
	struct fc_l7_sink l7_sink;  /**< session messages -> session events */
	uint64_t sess_flow_id;      /**< flow and time of the session calls under way */
	uint64_t sess_ts;
	unsigned int reserve;       /**< event slots kept for non-session events */
	uint32_t dead;              /**< entries of flows already ended (FC_FLOW_F_DEAD) */
	uint64_t an_total[FC_AN_MAX]; /**< running totals per anomaly kind */
	struct an_acc {             /**< per-flow anomalies of this chunk, coalesced */
		uint64_t flow_id;
		uint64_t count;
		uint64_t bytes;
		uint64_t ts;            /**< packet time of the last contribution */
		uint8_t side;
		uint8_t kind;
	} acc[MAX_ANOMALIES];
	unsigned int n_acc;
	struct fc_event *ev;        /**< event buffer */
	unsigned int n_ev;
	unsigned int cap_ev;
	/* Per-burst scratch (no per-packet allocation). */
	struct fc_pkt_meta meta[FC_TRACKER_BURST];
	struct fc_flow_key keys[MAX_UPDATES];
	const struct fc_flow_key *key_ptr[MAX_UPDATES];
	uint32_t hash[MAX_UPDATES];
	int32_t pos[MAX_UPDATES];
	uint8_t dir[MAX_UPDATES];
	uint8_t frame_of[MAX_UPDATES];
	uint8_t layer_of[MAX_UPDATES];
	int32_t freed[MAX_UPDATES * 2]; /**< positions freed during this burst */
	unsigned int n_freed;
	unsigned int n_added;
	uint32_t end_iter;          /**< where fc_tracker_end_all() goes on */
	uint32_t added_hash[MAX_UPDATES]; /**< hashes of the flows this burst created */
};

static const char *const counter_names[][2] = {
#define FC_X_ROW(name, desc) { #name, desc },
	FC_TRACKER_COUNTERS(FC_X_ROW)
#undef FC_X_ROW
};

const char *
fc_tracker_counter_name(unsigned int i, const char **desc)
{
	if (i >= FC_DIM(counter_names))
		return NULL;
	if (desc != NULL)
		*desc = counter_names[i][1];
	return counter_names[i][0];
}

uint64_t
fc_tracker_counter(const struct fc_tracker_stats *s, unsigned int i)
{
	const uint64_t *v = (const uint64_t *)s;

	return i < FC_DIM(counter_names) ? v[i] : 0;
}

/* A default override, unless the user set that port or the list is full. */
static void
add_default_port_timeout(struct fc_tracker_params *p, uint8_t proto,
			 uint16_t port, uint16_t timeout_s)
{
	unsigned int i;

	for (i = 0; i < p->n_port_timeouts; i++)
		if (p->port_timeouts[i].proto == proto &&
		    p->port_timeouts[i].port == port)
			return;
	if (p->n_port_timeouts >= FC_TRACKER_MAX_PORT_TIMEOUTS)
		return;
	p->port_timeouts[p->n_port_timeouts].proto = proto;
	p->port_timeouts[p->n_port_timeouts].port = port;
	p->port_timeouts[p->n_port_timeouts].timeout_s = timeout_s;
	p->n_port_timeouts++;
}

/*
 * Defaults. TCP 300 s / UDP 60 s / other 30 s follow flowscope (Suricata's
 * normal-mode values); the short TCP delays follow Zeek: 5 s after a close
 * or reset, 3 s after a partial close, and DNS over UDP times out after
 * 10 s (Zeek's dns_session_timeout), which also keeps resolver churn from
 * filling the table.
 */
static void
params_defaults(struct fc_tracker_params *p)
{
	if (p->max_flows == 0)
		p->max_flows = 1000000;
	if (p->event_mask == 0)
		p->event_mask = fc_event_default_mask();
	if (p->timeout_tcp == 0)
		p->timeout_tcp = 300;
	if (p->timeout_tcp_embryonic == 0)
		p->timeout_tcp_embryonic = 30;
	if (p->timeout_tcp_closing == 0)
		p->timeout_tcp_closing = 30;
	if (p->timeout_tcp_closed == 0)
		p->timeout_tcp_closed = 5;
	if (p->timeout_tcp_partial == 0)
		p->timeout_tcp_partial = 3;
	add_default_port_timeout(p, IPPROTO_UDP, 53, 10);
	if (p->timeout_udp == 0)
		p->timeout_udp = 60;
	if (p->timeout_other == 0)
		p->timeout_other = 30;
	if (p->expire_budget == 0)
		p->expire_budget = 256;
	if (p->evict_budget == 0)
		p->evict_budget = 64;
	if (p->ext_entries == 0) {
		uint64_t x = p->max_flows / 8 + 1024;

		if (p->reasm_enabled || p->stream_cb != NULL)
			x += p->reasm.max_streams != 0 ? p->reasm.max_streams : 65536;
		p->ext_entries = (uint32_t)(x < FC_FLOW_EXT_MAX ? x : FC_FLOW_EXT_MAX);
	}
	if (p->event_capacity == 0)
		p->event_capacity = 4096;
	/* Room for the worst case of one full chunk. */
	if (p->event_capacity < FC_TRACKER_BURST * FC_PKT_MAX_LAYERS * EVENTS_PER_UPDATE + 1)
		p->event_capacity = FC_TRACKER_BURST * FC_PKT_MAX_LAYERS * EVENTS_PER_UPDATE + 1;
}

/* Index of a timeout value in the table's list, added if new; -1 when full. */
static int
timeout_index(uint16_t *list, unsigned int *n, uint16_t v)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (list[i] == v)
			return (int)i;
	if (*n >= FC_TABLE_TIMEOUTS)
		return -1;
	list[*n] = v;
	return (int)(*n)++;
}

/*
 * The table's timeout list and, per port override (and none), the index
 * of each kind's timeout. A per-port timeout replaces the timeout of
 * established TCP, UDP and other flows of that port; the embryonic,
 * closing, closed and partial TCP timeouts still apply. -EINVAL when the
 * distinct values do not fit the table's list.
 */
static int
timeouts_init(struct fc_tracker *tr, uint16_t *list)
{
	const struct fc_tracker_params *p = &tr->p;
	const uint16_t base[TK_MAX] = {
		[TK_TCP] = p->timeout_tcp,
		[TK_EMBRYONIC] = p->timeout_tcp_embryonic,
		[TK_CLOSING] = p->timeout_tcp_closing,
		[TK_CLOSED] = p->timeout_tcp_closed,
		[TK_PARTIAL] = p->timeout_tcp_partial,
		[TK_UDP] = p->timeout_udp,
		[TK_OTHER] = p->timeout_other,
	};
	unsigned int n = 0, o, k;

	for (o = 0; o <= p->n_port_timeouts; o++) {
		for (k = 0; k < TK_MAX; k++) {
			uint16_t v = base[k];
			int i;

			if (o > 0 && (k == TK_TCP || k == TK_UDP || k == TK_OTHER))
				v = p->port_timeouts[o - 1].timeout_s;
			i = timeout_index(list, &n, v);
			if (i < 0)
				return -EINVAL;
			tr->tmo_idx[o][k] = (uint8_t)i;
		}
	}
	return 0;
}

static struct fc_event_session *session_begin(void *arg, uint8_t proto,
					      uint8_t kind, uint8_t side);
static void session_end(void *arg);

struct fc_tracker *
fc_tracker_create(const struct fc_tracker_params *params)
{
	struct fc_table_params tp;
	struct fc_tracker *tr;
	int heap;

	if (params == NULL || params->name == NULL ||
	    params->n_port_timeouts > FC_TRACKER_MAX_PORT_TIMEOUTS ||
	    params->key.mode >= FC_KEY_MODE_MAX ||
	    (params->share_count > 1 && params->share_index >= params->share_count)) {
		rte_errno = EINVAL;
		return NULL;
	}
	tr = rte_zmalloc_socket("fc_tracker", sizeof(*tr), RTE_CACHE_LINE_SIZE,
				params->socket_id);
	if (tr == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	tr->p = *params;
	params_defaults(&tr->p);
	/* The large parts (all but this struct) on table_heap when given. */
	heap = tr->p.socket_id;
	if (tr->p.table_heap != NULL) {
		heap = rte_malloc_heap_get_socket(tr->p.table_heap);
		if (heap < 0) {
			rte_free(tr);
			rte_errno = ENOENT;
			return NULL;
		}
	}
	tr->ev = rte_zmalloc_socket("fc_events",
				    sizeof(*tr->ev) * tr->p.event_capacity,
				    RTE_CACHE_LINE_SIZE, heap);
	if (tr->ev == NULL) {
		rte_free(tr);
		rte_errno = ENOMEM;
		return NULL;
	}
	tr->cap_ev = tr->p.event_capacity;
	memset(&tp, 0, sizeof(tp));
	tp.name = tr->p.name;
	tp.entries = tr->p.max_flows;
	tp.ext_entries = tr->p.ext_entries;
	tp.socket_id = heap;
	tp.hash_seed = tr->p.hash_seed;
	if (timeouts_init(tr, tp.timeouts) != 0) {
		rte_free(tr->ev);
		rte_free(tr);
		rte_errno = EINVAL;
		return NULL;
	}
	tr->table = fc_table_create(&tp);
	if (tr->table == NULL) {
		int err = rte_errno;

		rte_free(tr->ev);
		rte_free(tr);
		rte_errno = err;
		return NULL;
	}
	if (tr->p.reasm_enabled) {
		struct fc_reasm_params rp = tr->p.reasm;
		char name[64];

		snprintf(name, sizeof(name), "%s_ra", tr->p.name);
		rp.name = name;
		rp.socket_id = heap;
		tr->reasm = fc_reasm_create(&rp);
		if (tr->reasm == NULL) {
			int err = rte_errno;

			fc_table_free(tr->table);
			rte_free(tr->ev);
			rte_free(tr);
			rte_errno = err;
			return NULL;
		}
	}
	if (tr->p.l7_enabled) {
		struct fc_l7_engine_params lp = tr->p.l7;
		char name[64];

		snprintf(name, sizeof(name), "%s_l7", tr->p.name);
		lp.name = name;
		lp.socket_id = heap;
		tr->l7 = fc_l7_engine_create(&lp);
		if (tr->l7 == NULL) {
			int err = rte_errno;

			fc_reasm_free(tr->reasm);
			fc_table_free(tr->table);
			rte_free(tr->ev);
			rte_free(tr);
			rte_errno = err;
			return NULL;
		}
		tr->l7_sink.begin = session_begin;
		tr->l7_sink.end = session_end;
		tr->l7_sink.arg = tr;
	}
	tr->next_flow_id = 1;
	return tr;
}

void
fc_tracker_free(struct fc_tracker *tr)
{
	if (tr == NULL)
		return;
	fc_l7_engine_free(tr->l7);
	fc_reasm_free(tr->reasm);
	fc_table_free(tr->table);
	rte_free(tr->ev);
	rte_free(tr);
}

const struct fc_event *
fc_tracker_events(const struct fc_tracker *tr, unsigned int *n)
{
	*n = tr->n_ev;
	return tr->ev;
}

void
fc_tracker_events_clear(struct fc_tracker *tr)
{
	tr->n_ev = 0;
}

const struct fc_tracker_stats *
fc_tracker_stats(const struct fc_tracker *tr)
{
	return &tr->st;
}

uint32_t
fc_tracker_active(const struct fc_tracker *tr)
{
	return fc_table_count(tr->table) - tr->dead;
}

unsigned int
fc_tracker_timeout_values(const struct fc_tracker_params *params)
{
	struct fc_tracker_params p = *params;
	uint16_t v[FC_TRACKER_MAX_PORT_TIMEOUTS + 7];
	unsigned int n = 0, i, j;

	params_defaults(&p);
	v[n++] = p.timeout_tcp;
	v[n++] = p.timeout_tcp_embryonic;
	v[n++] = p.timeout_tcp_closing;
	v[n++] = p.timeout_tcp_closed;
	v[n++] = p.timeout_tcp_partial;
	v[n++] = p.timeout_udp;
	v[n++] = p.timeout_other;
	for (i = 0; i < p.n_port_timeouts && i < FC_TRACKER_MAX_PORT_TIMEOUTS; i++)
		v[n++] = p.port_timeouts[i].timeout_s;
	/* count distinct values */
	for (i = 0, j = 0; i < n; i++) {
		unsigned int k;

		for (k = 0; k < i && v[k] != v[i]; k++)
			;
		if (k == i)
			j++;
	}
	return j;
}

uint64_t
fc_tracker_memory_need(const struct fc_tracker_params *params)
{
	struct fc_tracker_params p = *params;
	uint64_t need;

	params_defaults(&p);
	need = sizeof(struct fc_tracker) + RTE_CACHE_LINE_SIZE +
		fc_table_memory_need(p.max_flows, p.ext_entries) +
		(uint64_t)p.event_capacity * sizeof(struct fc_event) + RTE_CACHE_LINE_SIZE;
	if (p.reasm_enabled)
		need += fc_reasm_memory_need(&p.reasm);
	if (p.l7_enabled)
		need += fc_l7_engine_memory_need(&p.l7);
	return need;
}

uint32_t
fc_tracker_capacity(const struct fc_tracker *tr)
{
	return fc_table_capacity(tr->table);
}

const struct fc_table_stats *
fc_tracker_table_stats(const struct fc_tracker *tr)
{
	return fc_table_stats(tr->table);
}

const struct fc_l7_stats *
fc_tracker_l7_stats(const struct fc_tracker *tr)
{
	return tr->l7 != NULL ? fc_l7_stats(tr->l7) : NULL;
}

const struct fc_reasm_stats *
fc_tracker_reasm_stats(const struct fc_tracker *tr)
{
	return tr->reasm != NULL ? fc_reasm_stats(tr->reasm) : NULL;
}

uint64_t
fc_tracker_now(const struct fc_tracker *tr)
{
	return tr->now;
}

uint64_t
fc_tracker_memory(const struct fc_tracker *tr)
{
	return fc_table_memory(tr->table) +
		(uint64_t)tr->cap_ev * sizeof(*tr->ev) + sizeof(*tr) +
		(tr->reasm != NULL ? fc_reasm_memory(tr->reasm) : 0) +
		(tr->l7 != NULL ? fc_l7_engine_memory(tr->l7) : 0);
}

/* Append an event if its type is in the mask; NULL if masked out. */
static struct fc_event *
event_new(struct fc_tracker *tr, unsigned int type, uint64_t ts,
	  uint64_t flow_id)
{
	struct fc_event *ev;

	if (!(tr->p.event_mask & FC_EV_BIT(type))) {
		tr->st.events_masked++;
		return NULL;
	}
	/* Room is reserved before every burst; this cannot fail. */
	RTE_ASSERT(tr->n_ev < tr->cap_ev);
	ev = &tr->ev[tr->n_ev++];
	ev->type = (uint8_t)type;
	ev->ts = ts;
	ev->flow_id = flow_id;
	tr->st.events++;
	return ev;
}

/*
 * Session messages become session events, in the room the rest of the
 * work still needs left over (tr->reserve); otherwise the engine counts
 * them as dropped.
 */
static struct fc_event_session *
session_begin(void *arg, uint8_t proto, uint8_t kind, uint8_t side)
{
	struct fc_tracker *tr = arg;
	struct fc_event *ev;

	(void)proto;
	(void)kind;
	(void)side;
	if (tr->cap_ev - tr->n_ev <= tr->reserve)
		return NULL;
	ev = event_new(tr, FC_EV_SESSION, tr->sess_ts, tr->sess_flow_id);
	return ev != NULL ? &ev->u.session : NULL;
}

static void
session_end(void *arg)
{
	(void)arg;
}

/* The flow's id: lcore index in the top 8 bits, the sequence below. */
static inline uint64_t
flow_id_of(const struct fc_tracker *tr, const struct fc_flow *f)
{
	return ((uint64_t)tr->p.lcore_index << 56) | fc_flow_seq(f);
}

/* Packet time (ns) of a record time (us). */
static inline uint64_t
rec_ns(const struct fc_tracker *tr, uint64_t us)
{
	(void)tr;
	return us * 1000;
}

/* Record time (us) of a packet time (ns). */
static inline uint64_t
rec_us(uint64_t ns)
{
	return ns / 1000;
}

/* The per-port override for a key, 0 if none; else its index + 1 (once per flow). */
static unsigned int
port_override(const struct fc_tracker *tr, const struct fc_flow_key *k)
{
	unsigned int i;

	for (i = 0; i < tr->p.n_port_timeouts; i++) {
		const struct fc_port_timeout *pt = &tr->p.port_timeouts[i];

		if (pt->proto == k->proto &&
		    (pt->port == k->port[0] || pt->port == k->port[1]))
			return i + 1;
	}
	return 0;
}

/* Timeout kind of the flow's current state. */
static unsigned int
timeout_kind(const struct fc_flow *f)
{
	if (f->flags & FC_FLOW_F_CLOSED)
		return TK_CLOSED;
	if (f->flags & FC_FLOW_F_PARTIAL)
		return TK_PARTIAL;
	if (f->flags & FC_FLOW_F_TCP) {
		switch (f->tcp.state) {
		case FC_TCP_S_FIN_WAIT:
		case FC_TCP_S_CLOSING:
			return TK_CLOSING;
		case FC_TCP_S_ESTABLISHED:
			return TK_TCP;
		case FC_TCP_S_ACTIVE:
			/* mid-stream pickup: a conversation already under way */
			return fc_flow_seen(f) == 3 ? TK_TCP : TK_EMBRYONIC;
		default:
			return TK_EMBRYONIC;
		}
	}
	return (f->flags & FC_FLOW_F_UDP) ? TK_UDP : TK_OTHER;
}

/* Timeout index of the flow's current state. */
static inline unsigned int
timeout_for(const struct fc_tracker *tr, const struct fc_flow *f)
{
	return tr->tmo_idx[fc_flow_port_override(f)][timeout_kind(f)];
}

/* The flow's identity with the originator first. */
static void
flow_identity(const struct fc_tracker *tr, const struct fc_flow_key *k,
	      const struct fc_flow *f, struct fc_event_flow_id *id)
{
	const struct fc_flow_ext *x = fc_table_ext(tr->table, f);
	unsigned int o = (f->flags & FC_FLOW_F_ORIG_REV) ? 1 : 0;

	memset(id, 0, sizeof(*id));
	memcpy(id->orig_h, k->addr[o], 16);
	memcpy(id->resp_h, k->addr[o ^ 1], 16);
	id->orig_p = k->port[o];
	id->resp_p = k->port[o ^ 1];
	id->proto = k->proto;
	id->family = k->family;
	id->vlan = fc_flow_vlan(f);
	if (x != NULL) {
		id->vlan_inner = x->vlan_inner;
		id->tunnel = x->tunnel;
		id->tunnel_id = x->tunnel_id;
		id->tunnel_parent = x->tunnel_parent;
	}
	if (!(f->flags & FC_FLOW_F_TCP)) {
		id->icmp_type = f->dg.icmp_type;
		id->icmp_code = f->dg.icmp_code;
	}
}

/* Extension on demand for a flow's history (fc_history_more_fn). */
struct hist_more {
	struct fc_table *table;
	struct fc_flow *f;
};

static struct fc_history_ext *
hist_more(void *arg)
{
	struct hist_more *m = arg;
	struct fc_flow_ext *x = fc_table_ext_get(m->table, m->f);

	return x != NULL ? &x->hist : NULL;
}

/* A history view of the flow (m: storage of the on-demand cookie). */
static inline void
hist_view(struct fc_tracker *tr, struct fc_flow *f, struct fc_history *h,
	  struct hist_more *m)
{
	struct fc_flow_ext *x = fc_table_ext(tr->table, f);

	m->table = tr->table;
	m->f = f;
	fc_history_attach(h, &f->hist, x != NULL ? &x->hist : NULL, hist_more, m);
}

/* Copy a NUL-terminated string into a buffer of cap bytes (truncating). */
static inline void
str_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The flow's record so far (flow_end and flow_update bodies). */
static void
flow_record(struct fc_tracker *tr, const struct fc_flow_key *k,
	    struct fc_flow *f, unsigned int reason,
	    struct fc_event_flow_end *e)
{
	struct fc_history h;
	struct hist_more m;
	unsigned int s;

	memset(e, 0, sizeof(*e));
	flow_identity(tr, k, f, &e->id);
	e->first_ts = rec_ns(tr, fc_flow_first_us(f));
	e->last_ts = rec_ns(tr, fc_flow_last_us(f));
	for (s = 0; s < 2; s++) {
		e->pkts[s] = fc_flow_ctr(f, s, FC_CTR_PKTS);
		e->bytes[s] = fc_flow_ctr(f, s, FC_CTR_BYTES);
		e->ip_bytes[s] = fc_flow_ctr(f, s, FC_CTR_IP);
		e->payload_bytes[s] = fc_flow_ctr(f, s, FC_CTR_PAYLOAD);
	}
	e->reason = (uint8_t)reason;
	/* Reading never allocates: no on-demand extension here. */
	hist_view(tr, f, &h, &m);
	h.more = NULL;
	if (f->flags & FC_FLOW_F_TCP) {
		e->is_tcp = 1;
		e->state = f->tcp.state;
		e->seq_bytes[0] = fc_tcp_seq_bytes(&f->tcp, FC_SIDE_ORIG);
		e->seq_bytes[1] = fc_tcp_seq_bytes(&f->tcp, FC_SIDE_RESP);
		str_copy(e->conn_state, sizeof(e->conn_state),
			 fc_tcp_conn_state(&f->tcp, &h));
	} else {
		str_copy(e->conn_state, sizeof(e->conn_state),
			 k->proto == IPPROTO_UDP ?
			 fc_tcp_conn_state_udp((uint8_t)fc_flow_seen(f)) : "OTH");
	}
	fc_history_zeek_to(&h, e->history, sizeof(e->history));
	fc_history_fs_to(&h, e->fs_history, sizeof(e->fs_history));
}

/* The session handle of a flow: in the record (datagrams) or the extension (TCP). */
static inline fc_l7_session_t *
session_of(struct fc_tracker *tr, struct fc_flow *f, int create)
{
	struct fc_flow_ext *x;

	if (!(f->flags & FC_FLOW_F_TCP))
		return &f->dg.session;
	x = create ? fc_table_ext_get(tr->table, f) : fc_table_ext(tr->table, f);
	return x != NULL ? &x->session : NULL;
}

/* Delivery cookie of one side's stream. */
struct stream_arg {
	struct fc_tracker *tr;
	fc_l7_session_t *session;   /**< the flow's session handle (NULL: none possible) */
	uint64_t flow_id;
	uint16_t orig_p, resp_p;    /**< the flow's ports (session creation) */
	uint8_t ep;                 /**< key endpoint that sent the bytes */
	uint8_t side;               /**< originator-relative side of those bytes */
	uint8_t poisoned;           /**< the session parser failed: end the flow */
};

static void
stream_data(void *arg, const uint8_t *p, uint32_t len)
{
	struct stream_arg *a = arg;
	struct fc_tracker *tr = a->tr;
	const struct fc_tracker_stream_cb *cb = tr->p.stream_cb;

	if (cb != NULL && cb->data != NULL)
		cb->data(cb->arg, a->flow_id, a->ep, p, len);
	if (tr->l7 != NULL && a->session != NULL &&
	    !fc_l7_session_done(*a->session) &&
	    fc_l7_feed(tr->l7, a->session, IPPROTO_TCP, a->orig_p, a->resp_p,
		       a->side, p, len, tr->sess_ts, &tr->l7_sink) == -EPROTO)
		a->poisoned = 1;
}

static void
stream_gap(void *arg, uint32_t len)
{
	struct stream_arg *a = arg;
	struct fc_tracker *tr = a->tr;
	const struct fc_tracker_stream_cb *cb = tr->p.stream_cb;

	if (cb != NULL && cb->gap != NULL)
		cb->gap(cb->arg, a->flow_id, a->ep, len);
	if (tr->l7 != NULL && a->session != NULL && *a->session != 0 &&
	    !fc_l7_session_done(*a->session) &&
	    fc_l7_gap_to(tr->l7, a->session, a->side, len, &tr->l7_sink) == -EPROTO)
		a->poisoned = 1;
}

/* A delivery cookie for side s of a flow. */
static void
stream_arg_init(struct stream_arg *a, struct fc_tracker *tr,
		const struct fc_flow_key *k, const struct fc_flow *f,
		struct fc_flow_ext *x, unsigned int side)
{
	unsigned int o = (f->flags & FC_FLOW_F_ORIG_REV) ? 1 : 0;

	a->tr = tr;
	a->session = &x->session;
	a->flow_id = flow_id_of(tr, f);
	a->orig_p = k->port[o];
	a->resp_p = k->port[o ^ 1];
	a->side = (uint8_t)side;
	a->ep = (uint8_t)(side ^ o);
	a->poisoned = 0;
	tr->sess_flow_id = a->flow_id;
}

static const struct fc_reasm_cb stream_cbs = {
	.data = stream_data,
	.gap = stream_gap,
};

/* Key endpoint of the originator. */
static inline uint8_t
orig_ep(const struct fc_flow *f)
{
	return (f->flags & FC_FLOW_F_ORIG_REV) ? 1 : 0;
}

/*
 * A flow ends: deliver what each side still buffers (holes become gaps;
 * a poisoned side has nothing), put the diagnostics into its record, tell
 * the stream consumer, and release the streams.
 */
static void
streams_end(struct fc_tracker *tr, const struct fc_flow_key *k,
	    struct fc_flow *f, struct fc_event_flow_end *e)
{
	const struct fc_tracker_stream_cb *cb = tr->p.stream_cb;
	struct fc_flow_ext *x = fc_table_ext(tr->table, f);
	unsigned int s;

	if (tr->reasm == NULL || x == NULL ||
	    (x->stream[0] == 0 && x->stream[1] == 0))
		return;
	for (s = 0; s < 2; s++) {
		struct stream_arg a;

		if (x->stream[s] == 0)
			continue;
		stream_arg_init(&a, tr, k, f, x, s);
		fc_reasm_flush(tr->reasm, x->stream[s], &stream_cbs, &a);
		fc_reasm_side_stats(tr->reasm, x->stream[s], &e->reasm[s]);
		fc_reasm_release(tr->reasm, &x->stream[s]);
	}
	e->has_reasm = 1;
	if (cb != NULL && cb->end != NULL)
		cb->end(cb->arg, flow_id_of(tr, f), orig_ep(f), e);
}

/*
 * Produce the flow_end of the flow at pos: its streams end first, then
 * the event. A flow that already closed keeps its fin/rst reason
 * whatever ended the linger, and the time it closed.
 */
static void
flow_finish(struct fc_tracker *tr, int32_t pos, const struct fc_flow_key *k,
	    unsigned int reason, uint64_t ts)
{
	struct fc_flow *f = fc_table_flow(tr->table, pos);
	uint64_t flow_id = flow_id_of(tr, f);
	struct fc_event_flow_end rec;
	fc_l7_session_t *sess;
	struct fc_event *ev;

	if (f->flags & FC_FLOW_F_CLOSED) {
		reason = (f->flags & FC_FLOW_F_RST) ? FC_END_RST : FC_END_FIN;
		ts = rec_ns(tr, fc_flow_last_us(f));
	}
	flow_record(tr, k, f, reason, &rec);
	tr->sess_ts = ts;
	streams_end(tr, k, f, &rec);
	sess = tr->l7 != NULL ? session_of(tr, f, 0) : NULL;
	if (sess != NULL && *sess != 0) {
		rec.app_proto = fc_l7_session_proto(tr->l7, *sess);
		tr->sess_flow_id = flow_id;
		fc_l7_end(tr->l7, sess,
			  reason == FC_END_FIN || reason == FC_END_IDLE ||
			  reason == FC_END_SHUTDOWN, ts, &tr->l7_sink);
	}
	ev = event_new(tr, FC_EV_FLOW_END, ts, flow_id);
	if (ev != NULL)
		ev->u.end = rec;
	tr->st.flows_ended++;
	tr->st.ended[reason]++;
}

/* End the flow at pos and remove it (a dead flow leaves silently). */
static void
flow_end(struct fc_tracker *tr, int32_t pos, unsigned int reason, uint64_t ts)
{
	struct fc_flow *f = fc_table_flow(tr->table, pos);
	const struct fc_flow_key *k = fc_table_key(tr->table, pos);

	if (k == NULL)
		return;
	if (f->flags & FC_FLOW_F_DEAD)
		tr->dead--;
	else
		flow_finish(tr, pos, k, reason, ts);
	if (tr->n_freed < FC_DIM(tr->freed))
		tr->freed[tr->n_freed++] = pos;
	fc_table_del_key(tr->table, pos, k);
}

/* When an idle flow went idle: its last packet plus its timeout (at most now). */
static uint64_t
idle_time(const struct fc_tracker *tr, const struct fc_flow *f, uint64_t now)
{
	uint64_t t = rec_ns(tr, fc_flow_last_us(f)) +
		(uint64_t)fc_table_timeout(tr->table, f) * FC_NS_PER_SEC;

	return t < now ? t : now;
}

/* Emit (and forget) this chunk's coalesced anomalies of one flow. */
static void anomalies_emit_flow(struct fc_tracker *tr, uint64_t flow_id);

/*
 * End a flow now but keep its entry (dead) so the rest of the connection
 * is absorbed rather than starting a new flow; it lingers like a closed
 * flow and is the first eviction victim. The anomalies that led here come
 * before its flow_end.
 */
static void
flow_kill(struct fc_tracker *tr, int32_t pos, unsigned int reason,
	  uint64_t ts)
{
	struct fc_flow *f = fc_table_flow(tr->table, pos);

	anomalies_emit_flow(tr, flow_id_of(tr, f));
	flow_finish(tr, pos, fc_table_key(tr->table, pos), reason, ts);
	f->flags |= FC_FLOW_F_DEAD;
	f->flags |= FC_FLOW_F_CLOSED;
	fc_flow_set_tmo(f, timeout_for(tr, f));
	fc_table_arm(tr->table, pos);
	tr->dead++;
}

static int
pos_was_freed(const struct fc_tracker *tr, int32_t pos)
{
	unsigned int i;

	for (i = 0; i < tr->n_freed; i++)
		if (tr->freed[i] == pos)
			return 1;
	return 0;
}

/* Whether a flow with this hash was created earlier in this burst (a miss may be stale). */
static int
was_added(const struct fc_tracker *tr, uint32_t hash)
{
	unsigned int i, n = tr->n_added;

	if (n > FC_DIM(tr->added_hash))
		return 1;
	for (i = 0; i < n; i++)
		if (tr->added_hash[i] == hash)
			return 1;
	return 0;
}

/* Make room by ending the best victim; 0 on success. */
static int
evict_one(struct fc_tracker *tr, uint64_t ts)
{
	int32_t victim = fc_table_evict_candidate(tr->table,
						  tr->p.evict_budget);
	struct fc_flow *f;

	if (victim == FC_TABLE_MISS)
		return -ENOSPC;
	f = fc_table_flow(tr->table, victim);
	if (!(f->flags & FC_FLOW_F_CLOSED) && !(f->flags & FC_FLOW_F_DEAD)) {
		tr->st.flows_evicted++;
		tr->evictions_in_call++;
	}
	flow_end(tr, victim, FC_END_EVICTED, ts);
	return 0;
}

static int32_t
flow_create(struct fc_tracker *tr, const struct fc_flow_key *k, uint32_t hash,
	    const struct fc_pkt_meta *m, const struct fc_pkt_layer *l,
	    uint8_t dir, uint64_t ts, uint64_t parent)
{
	struct fc_flow *f;
	struct fc_event *ev;
	struct fc_history h;
	struct hist_more hm;
	uint64_t us;
	int32_t pos;
	int flip = 0, tries;

	/* Full, or both of the key's buckets full: make room, try again. */
	for (tries = 0; (pos = fc_table_add(tr->table, k, hash)) == -ENOSPC &&
	     tries < 2; tries++)
		if (evict_one(tr, ts) != 0)
			break;
	if (pos < 0)
		return -ENOSPC;
	if (tr->n_added < FC_DIM(tr->added_hash))
		tr->added_hash[tr->n_added] = hash;
	tr->n_added++;
	f = fc_table_flow(tr->table, pos);
	us = rec_us(ts);
	fc_flow_set_first_us(f, us);
	f->flags = FC_FLOW_F_EMBRYONIC;
	f->ident = tr->next_flow_id++ & FC_FLOW_SEQ_MASK;
	fc_flow_set_vlan(f, m->vlan_outer);
	if (k->proto == IPPROTO_UDP)
		f->flags |= FC_FLOW_F_UDP;
	if (parent != 0 || m->vlan_inner != 0 ||
	    (l != NULL && l->tunnel != 0)) {
		struct fc_flow_ext *x = fc_table_ext_get(tr->table, f);

		if (x != NULL) {
			x->tunnel_parent = parent;
			x->vlan_inner = m->vlan_inner;
			if (l != NULL) {
				x->tunnel = l->tunnel;
				x->tunnel_id = l->tunnel_id;
			}
		} else {
			tr->st.ident_lost++;
		}
	}
	hist_view(tr, f, &h, &hm);
	if (l != NULL) {
		if (l->proto == IPPROTO_TCP && l->has_l4 &&
		    k->mode != FC_KEY_IP_PAIR) {
			f->flags |= FC_FLOW_F_TCP;
			fc_tcp_init(&f->tcp);
			flip = fc_tcp_orig_is_receiver(l->tcp.flags, l->sport,
						       l->dport);
			if (flip)
				fc_tcp_flip(&f->tcp, &h);
		} else {
			f->dg.icmp_type = l->icmp_type;
			f->dg.icmp_code = l->icmp_code;
			if (l->proto == IPPROTO_UDP && l->has_l4 &&
			    k->mode != FC_KEY_IP_PAIR) {
				flip = fc_tcp_likely_server_port(IPPROTO_UDP, l->sport) &&
					!fc_tcp_likely_server_port(IPPROTO_UDP, l->dport);
				if (flip)
					fc_history_flip(&h);
			}
		}
	}
	if ((dir == FC_DIR_REV) != (flip != 0))
		f->flags |= FC_FLOW_F_ORIG_REV;
	fc_flow_set_port_override(f, port_override(tr, k));
	fc_flow_set_tmo(f, timeout_for(tr, f));
	fc_table_arm(tr->table, pos);
	tr->st.flows_created++;

	ev = event_new(tr, FC_EV_FLOW_START, ts, flow_id_of(tr, f));
	if (ev != NULL)
		flow_identity(tr, k, f, &ev->u.start);
	return pos;
}

static void
flow_flip(struct fc_tracker *tr, struct fc_flow *f)
{
	struct fc_flow_ctr t = f->ctr[0];
	struct fc_flow_ext *x = fc_table_ext(tr->table, f);

	f->ctr[0] = f->ctr[1];
	f->ctr[1] = t;
	f->flags ^= FC_FLOW_F_ORIG_REV;
	/* fc_tcp_update() already swapped the TCP peers and history. */
	if (x != NULL) {
		fc_stream_t st = x->stream[0];

		x->stream[0] = x->stream[1];
		x->stream[1] = st;
	}
}

/* Side of a packet relative to the flow's current originator. */
static inline unsigned int
packet_side(const struct fc_flow *f, uint8_t dir)
{
	return ((dir == FC_DIR_REV) == ((f->flags & FC_FLOW_F_ORIG_REV) != 0)) ?
		FC_SIDE_ORIG : FC_SIDE_RESP;
}

/* Run the TCP machine on one packet; returns the (possibly flipped) side. */
static unsigned int
tcp_packet(struct fc_tracker *tr, struct fc_flow *f,
	   const struct fc_pkt_layer *l, unsigned int side, uint64_t ts)
{
	struct fc_tcp_change chg;
	struct fc_event *ev;
	struct fc_history h;
	struct hist_more hm;
	unsigned int fl;

	/* Zeek's partial close: an endpoint that opens with FIN or RST. */
	if ((l->tcp.flags & (FC_TCP_FIN | FC_TCP_RST)) &&
	    !(f->tcp.pflags[side] & FC_TCP_PF_SENT))
		f->flags |= FC_FLOW_F_PARTIAL;
	hist_view(tr, f, &h, &hm);
	fl = fc_tcp_update(&f->tcp, &h, side, &l->tcp, l->payload_len,
			   l->payload_cap, &chg);
	if (fl & FC_TCP_CHG_FLIP)
		flow_flip(tr, f);
	/*
	 * Established is reported once; a packet that completes the handshake
	 * and moves on (FIN+ACK) also reports established -> its new state.
	 */
	if (fl & FC_TCP_CHG_ESTABLISHED) {
		(void)event_new(tr, FC_EV_ESTABLISHED, ts, flow_id_of(tr, f));
		chg.from = FC_TCP_S_ESTABLISHED;
	}
	if ((fl & FC_TCP_CHG_STATE) && chg.to != chg.from) {
		ev = event_new(tr, FC_EV_STATE_CHANGE, ts, flow_id_of(tr, f));
		if (ev != NULL) {
			ev->u.state.from = chg.from;
			ev->u.state.to = chg.to;
		}
	}
	if (f->tcp.state == FC_TCP_S_ESTABLISHED || fc_flow_seen(f) == 3)
		f->flags &= (uint8_t)~FC_FLOW_F_EMBRYONIC;
	if (fl & FC_TCP_CHG_TERMINAL) {
		f->flags |= FC_FLOW_F_CLOSED;
		if (f->tcp.state == FC_TCP_S_RESET)
			f->flags |= FC_FLOW_F_RST;
	}
	return chg.side;
}

/* Add to this chunk's coalesced anomaly of (flow, side, kind). */
static void
anomaly_add(struct fc_tracker *tr, uint64_t flow_id, unsigned int side,
	    unsigned int kind, uint64_t count, uint64_t bytes, uint64_t ts)
{
	struct an_acc *a = NULL;
	unsigned int i;

	tr->an_total[kind] += count;
	for (i = tr->n_acc; i-- > 0;)
		if (tr->acc[i].flow_id == flow_id && tr->acc[i].side == side &&
		    tr->acc[i].kind == kind) {
			a = &tr->acc[i];
			break;
		}
	if (a == NULL) {
		if (tr->n_acc == FC_DIM(tr->acc))
			return; /* cannot happen: two kinds per update at most */
		a = &tr->acc[tr->n_acc++];
		a->flow_id = flow_id;
		a->side = (uint8_t)side;
		a->kind = (uint8_t)kind;
		a->count = 0;
		a->bytes = 0;
	}
	a->count += count;
	a->bytes += bytes;
	a->ts = ts;
}

static void
anomaly_event(struct fc_tracker *tr, const struct an_acc *a)
{
	struct fc_event *ev = event_new(tr, FC_EV_ANOMALY, a->ts, a->flow_id);

	if (ev == NULL)
		return;
	memset(&ev->u.anomaly, 0, sizeof(ev->u.anomaly));
	ev->u.anomaly.kind = a->kind;
	ev->u.anomaly.side = a->side;
	ev->u.anomaly.has_flow = 1;
	ev->u.anomaly.count = a->count;
	ev->u.anomaly.bytes = a->bytes;
	ev->u.anomaly.total = tr->an_total[a->kind];
	ev->u.anomaly.policy = tr->p.reasm.overflow;
}

/* Emit this chunk's coalesced anomalies. */
static void
anomalies_emit(struct fc_tracker *tr)
{
	unsigned int i;

	for (i = 0; i < tr->n_acc; i++)
		anomaly_event(tr, &tr->acc[i]);
	tr->n_acc = 0;
}

static void
anomalies_emit_flow(struct fc_tracker *tr, uint64_t flow_id)
{
	unsigned int i, j = 0;

	for (i = 0; i < tr->n_acc; i++) {
		if (tr->acc[i].flow_id == flow_id)
			anomaly_event(tr, &tr->acc[i]);
		else
			tr->acc[j++] = tr->acc[i];
	}
	tr->n_acc = j;
}

/*
 * Reassemble the packet's payload (side after any flip); a segment without
 * payload on a side that has a stream lets its out-of-order deadline run.
 * Returns -ENOSPC when the side overflowed under drop_flow (the caller ends
 * the flow), -EPROTO when the session parser failed.
 */
static int
reasm_packet(struct fc_tracker *tr, const struct fc_flow_key *k,
	     struct fc_flow *f, const struct fc_pkt_layer *l,
	     const struct fc_frame *fr, unsigned int side, uint64_t ts)
{
	struct fc_reasm_side_stats before, after;
	struct fc_flow_ext *x;
	struct stream_arg a;
	struct fc_reasm_seg seg;
	int track = (tr->p.event_mask & FC_EV_BIT(FC_EV_ANOMALY)) != 0;
	int rc;

	seg.len = l->payload_len < l->payload_cap ? l->payload_len :
		l->payload_cap;
	if (seg.len == 0) {
		x = fc_table_ext(tr->table, f);
		if (x == NULL || x->stream[side] == 0 ||
		    x->stream[side] == FC_REASM_STREAM_UNTRACKED)
			return 0;
	} else {
		x = fc_table_ext_get(tr->table, f);
		if (x == NULL) {
			tr->st.reasm_no_ext++;
			return 0;
		}
	}
	stream_arg_init(&a, tr, k, f, x, side);
	tr->sess_ts = ts;
	seg.seq = l->tcp.seq;
	seg.payload = fr->data + l->payload_off;
	seg.ts = ts;
	seg.flags = (uint8_t)(((l->tcp.flags & FC_TCP_SYN) ? FC_REASM_SEG_SYN : 0) |
			      ((l->tcp.flags & FC_TCP_FIN) ? FC_REASM_SEG_FIN : 0) |
			      ((l->tcp.flags & FC_TCP_RST) ? FC_REASM_SEG_RST : 0));
	if (track)
		fc_reasm_side_stats(tr->reasm, x->stream[side], &before);
	rc = fc_reasm_segment(tr->reasm, &x->stream[side], &seg,
			      (f->tcp.pflags[side] &
			       (FC_TCP_PF_SYN | FC_TCP_PF_SYNACK)) != 0,
			      f->tcp.peer[side].isn, &stream_cbs, &a);
	if (track) {
		fc_reasm_side_stats(tr->reasm, x->stream[side], &after);
		if (after.ooo_segs > before.ooo_segs)
			anomaly_add(tr, a.flow_id, side, FC_AN_OUT_OF_ORDER,
				    after.ooo_segs - before.ooo_segs, 0, ts);
		if (after.dropped_oversize > before.dropped_oversize)
			anomaly_add(tr, a.flow_id, side, FC_AN_BUFFER_OVERFLOW, 1,
				    after.dropped_oversize -
				    before.dropped_oversize, ts);
	}
	if (a.poisoned)
		return -EPROTO;
	return rc;
}

/* A UDP datagram to the session parsers; -EPROTO if the parser failed. */
static int
l7_datagram(struct fc_tracker *tr, const struct fc_flow_key *k,
	    struct fc_flow *f, const struct fc_pkt_layer *l,
	    const struct fc_frame *fr, unsigned int side, uint64_t ts)
{
	unsigned int o = (f->flags & FC_FLOW_F_ORIG_REV) ? 1 : 0;
	uint32_t len = l->payload_len < l->payload_cap ? l->payload_len :
		l->payload_cap;

	if (len == 0 || fc_l7_session_done(f->dg.session))
		return 0;
	tr->sess_flow_id = flow_id_of(tr, f);
	tr->sess_ts = ts;
	return fc_l7_feed(tr->l7, &f->dg.session, IPPROTO_UDP, k->port[o],
			  k->port[o ^ 1], (uint8_t)side, fr->data + l->payload_off,
			  len, ts, &tr->l7_sink) == -EPROTO ? -EPROTO : 0;
}

/* A session parser failed: anomaly with its reason, then the flow ends. */
static void
parse_error(struct fc_tracker *tr, int32_t pos, unsigned int side, uint64_t ts)
{
	struct fc_flow *f = fc_table_flow(tr->table, pos);
	fc_l7_session_t *sess = session_of(tr, f, 0);
	const char *why = sess != NULL ? fc_l7_session_error(tr->l7, *sess) : NULL;
	uint64_t flow_id = flow_id_of(tr, f);
	struct fc_event *ev;

	anomalies_emit_flow(tr, flow_id);
	ev = event_new(tr, FC_EV_ANOMALY, ts, flow_id);
	tr->an_total[FC_AN_PARSE_ERROR]++;
	if (ev != NULL) {
		memset(&ev->u.anomaly, 0, sizeof(ev->u.anomaly));
		ev->u.anomaly.kind = FC_AN_PARSE_ERROR;
		ev->u.anomaly.side = (uint8_t)side;
		ev->u.anomaly.has_flow = 1;
		ev->u.anomaly.count = 1;
		ev->u.anomaly.total = tr->an_total[FC_AN_PARSE_ERROR];
		snprintf(ev->u.anomaly.reason, sizeof(ev->u.anomaly.reason), "%s",
			 why != NULL ? why : "parse error");
	}
	flow_kill(tr, pos, FC_END_PARSE_ERROR, ts);
}

/* flow_update when the packet crossed an interval boundary of the flow's life. */
static void
interim_record(struct fc_tracker *tr, const struct fc_flow_key *k,
	       struct fc_flow *f, uint64_t prev_last_us, uint64_t now_us,
	       uint64_t ts)
{
	uint64_t iv = (uint64_t)tr->p.flow_update_interval * 1000000ull;
	uint64_t first = fc_flow_first_us(f);
	struct fc_event *ev;

	if ((now_us - first) / iv == (prev_last_us - first) / iv)
		return;
	ev = event_new(tr, FC_EV_FLOW_UPDATE, ts, flow_id_of(tr, f));
	if (ev == NULL)
		return;
	flow_record(tr, k, f, FC_END_IDLE, &ev->u.update);
	tr->st.flow_updates++;
}

/*
 * 1 if the layer's TCP or UDP checksum is wrong. Only a checksum that can
 * be checked counts: the whole segment captured, not a fragment, and for
 * UDP over IPv4 a checksum present (0 means none).
 */
static int
l4_checksum_bad(const uint8_t *frame, const struct fc_pkt_layer *l)
{
	const uint8_t *h = frame + l->l4_off;
	uint32_t len = (uint32_t)(l->payload_off - l->l4_off) + l->payload_len;
	uint32_t sum;
	uint8_t pseudo[40];
	unsigned int plen;

	if (!l->has_l4 || l->frag != FC_FRAG_NONE ||
	    (l->proto != IPPROTO_TCP && l->proto != IPPROTO_UDP) ||
	    l->payload_cap < l->payload_len)
		return 0;
	if (l->proto == IPPROTO_UDP && l->ip_version == 4 && h[6] == 0 && h[7] == 0)
		return 0;
	/* Pseudo-header: addresses, zero, protocol, L4 length (RFC 793/768/8200). */
	if (l->ip_version == 4) {
		memcpy(pseudo, l->src, 4);
		memcpy(pseudo + 4, l->dst, 4);
		pseudo[8] = 0;
		pseudo[9] = l->proto;
		pseudo[10] = (uint8_t)(len >> 8);
		pseudo[11] = (uint8_t)len;
		plen = 12;
	} else {
		memcpy(pseudo, l->src, 16);
		memcpy(pseudo + 16, l->dst, 16);
		pseudo[32] = (uint8_t)(len >> 24);
		pseudo[33] = (uint8_t)(len >> 16);
		pseudo[34] = (uint8_t)(len >> 8);
		pseudo[35] = (uint8_t)len;
		pseudo[36] = pseudo[37] = pseudo[38] = 0;
		pseudo[39] = l->proto;
		plen = 40;
	}
	sum = __rte_raw_cksum(pseudo, plen, 0);
	sum = __rte_raw_cksum(h, len, sum);
	return __rte_raw_cksum_reduce(sum) != 0xffff;
}

/*
 * Whether a UDP packet with payload is the first of its side to be seen
 * in the history (letter D). A side whose payload counter is still zero
 * sent none before; otherwise its D is recorded already, unless payload
 * was counted without it (checksum verification counts bad packets
 * without analysing them). Asking the counter first keeps the usual
 * packet off the record's second line.
 */
static inline int
udp_data_first(const struct fc_tracker *tr, const struct fc_flow *f,
	       unsigned int side)
{
	if (fc_flow_ctr(f, side, FC_CTR_PAYLOAD) != 0 && !tr->p.verify_checksums)
		return 0;
	return !(fc_history_core_seen(&f->hist, side) & (1u << 2)); /* D's slot */
}

/* One flow update: the packet of frame `fr` seen at IP layer of update u. */
static void
flow_update(struct fc_tracker *tr, unsigned int u, const struct fc_frame *fr,
	    uint64_t *parent, int inner_follows)
{
	const struct fc_pkt_meta *m = &tr->meta[tr->frame_of[u]];
	const struct fc_pkt_layer *l = m->n_layers > 0 ?
		&m->layer[tr->layer_of[u]] : NULL;
	const struct fc_flow_key *k = &tr->keys[u];
	uint64_t ts = fr->ts, now_us, prev_last;
	int32_t pos = tr->pos[u];
	struct fc_flow *f;
	unsigned int side, old_tmo, old_class;

	tr->st.layers++;
	/* Re-check what this burst may have changed since the bulk lookup. */
	if (pos >= 0 ? pos_was_freed(tr, pos) : was_added(tr, tr->hash[u]))
		pos = fc_table_lookup(tr->table, k, tr->hash[u]);

	if (pos >= 0) {
		f = fc_table_flow(tr->table, pos);
		/* A flow idle past its timeout ends before this packet. */
		if (fc_table_expiry_s(tr->table, f) <= ts / FC_NS_PER_SEC) {
			flow_end(tr, pos, FC_END_IDLE, idle_time(tr, f, ts));
			pos = FC_TABLE_MISS;
		} else if ((f->flags & FC_FLOW_F_TCP) && l != NULL &&
			   l->has_l4 &&
			   fc_tcp_is_reuse(&f->tcp, packet_side(f, tr->dir[u]),
					   &l->tcp)) {
			/* A new connection on the same 5-tuple. */
			flow_end(tr, pos, (f->tcp.pflags[0] | f->tcp.pflags[1]) &
				 FC_TCP_PF_RST ? FC_END_RST : FC_END_IDLE, ts);
			pos = FC_TABLE_MISS;
		}
	}
	if (pos < 0) {
			pos = flow_create(tr, k, tr->hash[u], m, l, tr->dir[u], ts,
				  *parent);
		if (pos < 0) {
			tr->st.table_full++;
			return;
		}
	}
	f = fc_table_flow(tr->table, pos);
	/* Only an inner layer needs its parent's flow_id. */
	if (inner_follows)
		*parent = flow_id_of(tr, f);
	now_us = rec_us(ts);
	if (unlikely(f->flags & FC_FLOW_F_DEAD)) {
		/* Ended already (buffer_overflow, parse_error): absorb until idle. */
		fc_flow_set_last_us(f, now_us);
		tr->st.frames_dead_flow++;
		return;
	}
	side = packet_side(f, tr->dir[u]);
	old_tmo = fc_flow_tmo(f);
	old_class = f->flags & (FC_FLOW_F_CLOSED | FC_FLOW_F_EMBRYONIC);
	prev_last = fc_flow_last_us(f);

	if (unlikely(tr->p.verify_checksums) && l != NULL &&
	    l4_checksum_bad(fr->data, l)) {
		/* Zeek's C: counted with its flow, not analysed further. */
		struct fc_history h;
		struct hist_more hm;

		hist_view(tr, f, &h, &hm);
		fc_history_count(&h, side, FC_HIST_CSUM);
		tr->st.bad_checksum++;
		fc_flow_set_last_us(f, now_us);
		fc_flow_count(f, side, m->wire_len, l->ip_len, l->payload_len);
		return;
	}
	if ((f->flags & FC_FLOW_F_TCP) && l != NULL && l->has_l4) {
		side = tcp_packet(tr, f, l, side, ts);
	} else if ((f->flags & FC_FLOW_F_UDP) && l != NULL && l->payload_len > 0 &&
		   udp_data_first(tr, f, side)) {
		struct fc_history h;
		struct hist_more hm;

		hist_view(tr, f, &h, &hm);
		fc_history_once(&h, side, FC_HIST_DATA);
	}

	fc_flow_set_last_us(f, now_us);
	fc_flow_count(f, side, m->wire_len, l != NULL ? l->ip_len : 0,
		      l != NULL ? l->payload_len : 0);
	if (!(f->flags & FC_FLOW_F_TCP) && fc_flow_seen(f) == 3)
		f->flags &= (uint8_t)~FC_FLOW_F_EMBRYONIC;

	if (tr->p.event_mask & FC_EV_BIT(FC_EV_PACKET)) {
		struct fc_event *ev = event_new(tr, FC_EV_PACKET, ts,
						flow_id_of(tr, f));

		if (ev != NULL) {
			ev->u.packet.len = m->wire_len;
			ev->u.packet.side = (uint8_t)side;
		}
	}
	if (tr->p.flow_update_interval != 0 &&
	    fc_flow_ctr(f, 0, FC_CTR_PKTS) + fc_flow_ctr(f, 1, FC_CTR_PKTS) > 1)
		interim_record(tr, k, f, prev_last, now_us, ts);
	fc_flow_set_tmo(f, timeout_for(tr, f));
	/* A new timeout or eviction class: file the flow where it now belongs. */
	if (fc_flow_tmo(f) != old_tmo ||
	    (f->flags & (FC_FLOW_F_CLOSED | FC_FLOW_F_EMBRYONIC)) != old_class)
		fc_table_arm(tr->table, pos);
	if (tr->reasm != NULL && (f->flags & FC_FLOW_F_TCP) && l != NULL &&
	    l->has_l4) {
		int rc = reasm_packet(tr, k, f, l, fr, side, ts);

		if (rc == -ENOSPC)
			flow_kill(tr, pos, FC_END_BUFFER_OVERFLOW, ts);
		else if (rc == -EPROTO)
			parse_error(tr, pos, side, ts);
	} else if (tr->l7 != NULL && k->proto == IPPROTO_UDP && l != NULL &&
		   l->has_l4 && l7_datagram(tr, k, f, l, fr, side, ts) == -EPROTO) {
		parse_error(tr, pos, side, ts);
	}
}

static void
pressure_anomaly(struct fc_tracker *tr)
{
	struct fc_event *ev;

	if (tr->evictions_in_call == 0)
		return;
	ev = event_new(tr, FC_EV_ANOMALY, tr->now, 0);
	if (ev != NULL) {
		memset(&ev->u.anomaly, 0, sizeof(ev->u.anomaly));
		ev->u.anomaly.kind = FC_AN_EVICTION_PRESSURE;
		ev->u.anomaly.count = tr->evictions_in_call;
		ev->u.anomaly.total = tr->st.flows_evicted;
	}
	tr->evictions_in_call = 0;
}

/*
 * Shared input (share_count > 1): whether frame fr is this tracker's,
 * read off its headers where fc_key_share_frame() can (most TCP and UDP
 * frames, not decoded then). 1: it is; -1: another tracker's; 0: decode
 * it to know (share_test()).
 */
static inline int
share_raw(const struct fc_tracker *tr, const struct fc_frame *fr)
{
	uint32_t h;

	if (fc_key_share_frame(&tr->p.key, &tr->p.pkt, fr->data, fr->cap_len,
			       tr->p.hash_seed, &h) != 0)
		return 0;
	return fc_key_share_index(h, tr->p.share_count) == tr->p.share_index ?
		1 : -1;
}

/*
 * Shared input, a decoded frame m (keyed, or not) that share_raw() left
 * open. 1: it is this tracker's, and layer 0's key, direction and hash
 * are made into slot u (the caller keeps them); 0: it is, nothing made;
 * -1: another tracker's. A frame without a key belongs to share 0.
 */
static int
share_test(struct fc_tracker *tr, const struct fc_pkt_meta *m, int keyed,
	   unsigned int u)
{
	uint32_t h;

	if (!keyed || fc_key_share_decoded(&tr->p.key, &tr->p.pkt, m,
					   tr->p.hash_seed, &tr->keys[u],
					   &tr->dir[u], &h) != 0)
		return tr->p.share_index == 0 ? 0 : -1;
	tr->hash[u] = fc_key_hash_seeded(&tr->keys[u], tr->p.hash_seed);
	return fc_key_share_index(h, tr->p.share_count) == tr->p.share_index ?
		1 : -1;
}

static void
burst_chunk(struct fc_tracker *tr, const struct fc_frame *fr, unsigned int n)
{
	unsigned int i, j, nu = 0;

	/* Headers of the whole burst start loading before the first decode. */
	for (i = 0; i < n; i++)
		rte_prefetch0(fr[i].data);
	for (i = 0; i < n; i++) {
		struct fc_pkt_meta *m = &tr->meta[i];
		unsigned int layers;
		int keyed, made = 0, mine = 0;

		if (fr[i].ts > tr->now)
			tr->now = fr[i].ts;
		/* Another tracker's frame only moves the clock. */
		if (tr->p.share_count > 1) {
			mine = share_raw(tr, &fr[i]);
			if (mine < 0) {
				tr->st.frames_foreign++;
				continue;
			}
		}
		fc_pkt_decode(fr[i].data, fr[i].cap_len, fr[i].wire_len,
			      &tr->p.pkt, m);
		layers = tr->p.key.mode == FC_KEY_MAC_PAIR ? 1 : m->n_layers;
		keyed = layers > 0 && (tr->p.key.mode != FC_KEY_MAC_PAIR ||
				       m->status == FC_PKT_OK ||
				       m->status == FC_PKT_L2_ONLY);
		if (tr->p.share_count > 1 && mine == 0) {
			made = share_test(tr, m, keyed, nu);
			if (made < 0) {
				tr->st.frames_foreign++;
				continue;
			}
		}
		fc_pkt_stats_count(&tr->st.pkt, m);
		tr->st.frames++;
		if (!keyed) {
			tr->st.frames_unkeyed++;
			continue;
		}
		for (j = 0; j < layers; j++) {
			/* Layer 0's key may be made already (share_test). */
			if (!(j == 0 && made > 0)) {
				if (fc_key_make(&tr->p.key, m, j, &tr->keys[nu],
						&tr->dir[nu]) != 0)
					continue;
				tr->hash[nu] = fc_key_hash_seeded(&tr->keys[nu],
								  tr->p.hash_seed);
			}
			tr->key_ptr[nu] = &tr->keys[nu];
			tr->frame_of[nu] = (uint8_t)i;
			tr->layer_of[nu] = (uint8_t)j;
			nu++;
		}
	}
	fc_table_lookup_bulk(tr->table, tr->key_ptr, tr->hash, nu, tr->pos);
	/*
	 * The table loads each record's first line (time, counters). A UDP
	 * or other datagram update stays on that line; TCP's state machine
	 * and the datagram parsers also need the second.
	 */
	for (i = 0; i < nu; i++)
		if (tr->pos[i] >= 0 && (tr->keys[i].proto == IPPROTO_TCP ||
					tr->l7 != NULL))
			rte_prefetch0((const char *)fc_table_flow(tr->table, tr->pos[i]) +
				      RTE_CACHE_LINE_SIZE);
	tr->n_freed = 0;
	tr->n_added = 0;
	for (i = 0; i < nu; i++) {
		uint64_t parent = 0;
		unsigned int fi = tr->frame_of[i];

		/* Layers of one frame are consecutive, outermost first. */
		for (; i < nu && tr->frame_of[i] == fi; i++) {
			/* Session events may not eat the room the rest needs. */
			tr->reserve = (nu - i) * EVENTS_PER_UPDATE + 1;
			flow_update(tr, i, &fr[fi], &parent,
				    i + 1 < nu && tr->frame_of[i + 1] == fi);
		}
		i--;
	}
	pressure_anomaly(tr);
	anomalies_emit(tr);
}

unsigned int
fc_tracker_burst(struct fc_tracker *tr, const struct fc_frame *frames,
		 unsigned int n)
{
	unsigned int done = 0;

	while (done < n) {
		unsigned int k = n - done;
		/* Frames whose worst case still fits the event buffer. */
		unsigned int fit = (tr->cap_ev - tr->n_ev - 1) /
			(FC_PKT_MAX_LAYERS * EVENTS_PER_UPDATE);

		if (k > FC_TRACKER_BURST)
			k = FC_TRACKER_BURST;
		if (k > fit)
			k = fit;
		if (k == 0)
			break;
		burst_chunk(tr, frames + done, k);
		done += k;
	}
	return done;
}

unsigned int
fc_tracker_expire(struct fc_tracker *tr, uint64_t now_ns)
{
	int32_t expired[256];
	unsigned int room, n, i;

	if (now_ns > tr->now)
		tr->now = now_ns;
	room = tr->cap_ev - tr->n_ev;
	if (room > FC_DIM(expired))
		room = FC_DIM(expired);
	n = fc_table_expire(tr->table, tr->now, tr->p.expire_budget, expired,
			    room);
	if (n > 1)
		fc_table_prefetch_del(tr->table, expired, n);
	for (i = 0; i < n; i++) {
		tr->reserve = n - i + 1;
		flow_end(tr, expired[i], FC_END_IDLE,
			 idle_time(tr, fc_table_flow(tr->table, expired[i]),
				   tr->now));
	}
	return n;
}

uint32_t
fc_tracker_end_all(struct fc_tracker *tr, uint64_t now_ns)
{
	int32_t pos;
	int wrapped = 0;

	if (now_ns > tr->now)
		tr->now = now_ns;
	tr->reserve = 2;
	/*
	 * The walk goes on where the previous call stopped (its event buffer
	 * was full), so ending N flows costs one pass over the table, not one
	 * per call; a flow created behind it meanwhile is found by starting
	 * over once at the end.
	 */
	while (tr->n_ev < tr->cap_ev) {
		int32_t batch[64];
		unsigned int n = 0, i;

		/* A batch of positions, their buckets fetched together. */
		while (n < FC_DIM(batch)) {
			pos = fc_table_iterate(tr->table, &tr->end_iter);
			if (pos == FC_TABLE_MISS)
				break;
			batch[n++] = pos;
		}
		if (n == 0) {
			tr->end_iter = 0;
			if (wrapped || fc_table_count(tr->table) == 0)
				break;
			wrapped = 1;
			continue;
		}
		fc_table_prefetch_del(tr->table, batch, n);
		for (i = 0; i < n; i++) {
			const struct fc_flow *f = fc_table_flow(tr->table, batch[i]);

			if (tr->n_ev >= tr->cap_ev) {
				/* The buffer is full: the next call starts here. */
				tr->end_iter = (uint32_t)batch[i];
				return fc_table_count(tr->table);
			}
			/* Already idle past its timeout: it ends idle, as the wheel would have. */
			if (fc_table_expiry_s(tr->table, f) <= tr->now / FC_NS_PER_SEC)
				flow_end(tr, batch[i], FC_END_IDLE, idle_time(tr, f, tr->now));
			else
				flow_end(tr, batch[i], FC_END_SHUTDOWN, tr->now);
		}
	}
	return fc_table_count(tr->table);
}

unsigned int
fc_tracker_top_flows(struct fc_tracker *tr, unsigned int n,
		     struct fc_tracker_flow_brief *out)
{
	uint32_t iter = 0;
	unsigned int have = 0;
	int32_t pos;

	while (n > 0 && (pos = fc_table_iterate(tr->table, &iter)) != FC_TABLE_MISS) {
		const struct fc_flow *f = fc_table_flow(tr->table, pos);
		const struct fc_flow_key *k = fc_table_key(tr->table, pos);
		uint64_t total = fc_flow_ctr(f, 0, FC_CTR_BYTES) +
			fc_flow_ctr(f, 1, FC_CTR_BYTES);
		unsigned int i;

		if (k == NULL || (f->flags & FC_FLOW_F_DEAD))
			continue;
		if (have == n &&
		    total <= out[n - 1].bytes[0] + out[n - 1].bytes[1])
			continue;
		/* Insertion into the sorted list (n is small). */
		i = have < n ? have++ : n - 1;
		while (i > 0 && out[i - 1].bytes[0] + out[i - 1].bytes[1] < total) {
			out[i] = out[i - 1];
			i--;
		}
		flow_identity(tr, k, f, &out[i].id);
		out[i].flow_id = flow_id_of(tr, f);
		out[i].first_ts = rec_ns(tr, fc_flow_first_us(f));
		out[i].last_ts = rec_ns(tr, fc_flow_last_us(f));
		out[i].pkts[0] = fc_flow_ctr(f, 0, FC_CTR_PKTS);
		out[i].pkts[1] = fc_flow_ctr(f, 1, FC_CTR_PKTS);
		out[i].bytes[0] = fc_flow_ctr(f, 0, FC_CTR_BYTES);
		out[i].bytes[1] = fc_flow_ctr(f, 1, FC_CTR_BYTES);
	}
	return have;
}
