/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP reassembly (see fc_reasm.h): the stage between TCP state tracking
 * and the L7 parsers. The tracker feeds each payload segment of a side;
 * the side's consumer receives its byte stream in order, with explicit
 * gaps where bytes are known to be missing.
 *
 * STATE. One context per RX lcore holds a preallocated array of stream
 * states (index 0 means "none", free indices on a stack) and one
 * rte_mempool of fixed-size chunks sized from the memcap. A stream is the
 * next sequence number to deliver plus a singly linked list of chunks,
 * sorted by sequence number, never overlapping one another and always
 * starting after the next byte to deliver. Each chunk holds one
 * contiguous range of at most FC_REASM_CHUNK_DATA bytes; a buffered
 * segment ("piece") is one or more consecutive chunks, the first of them
 * marked, which is how pieces are counted against max_ooo_segs.
 *
 * WHY OOO DATA IS COPIED INTO CHUNKS rather than kept in the RX mbuf
 * (with a reference count):
 *  - a kept mbuf pins an RX buffer (2 KiB or more) for as long as the
 *    hole stays open. An out-of-order flood - one lost segment followed
 *    by many, on many flows - would drain the port's mbuf pool, the PMD
 *    could no longer refill its RX descriptors and the lcore would drop
 *    every flow's packets, not just the flooder's. Copies live in a pool
 *    of their own, bounded by the memcap, so the worst an OOO flood can
 *    do is exhaust the reassembly memory, which turns into gaps;
 *  - the tracker API takes frame pointers (struct fc_frame), not mbufs:
 *    flowcore does not depend on where a frame lives or who frees it;
 *  - memory is proportional to data: a 100-byte segment takes one
 *    512-byte chunk, not a 2 KiB mbuf, and a 1460-byte one three chunks;
 *  - the cost is paid only by out-of-order bytes: in-order data, the
 *    overwhelming majority, is delivered straight from the frame.
 * tests/bench/bench_reasm.c measures the trade on one core (release build,
 * AMD EPYC under KVM, 1460-byte segments): copying a segment into three
 * chunks (get, memcpy, put) costs about 34 ns, holding a reference on its
 * mbuf (refcnt up, later down) about 17 ns - 17 ns more, paid only by
 * out-of-order segments, for 1728 B of reassembly pool held instead of a
 * 2368 B RX mbuf. The whole OOO path (copy, sorted insert, delivery from
 * the chunks) adds about 82 ns per OOO segment: a stream with 5% of its
 * segments swapped costs 8.0 ns per segment against 4.1 ns in order
 * (26 vs 22 ns when the consumer reads every byte).
 *
 * HOW A SEGMENT IS PLACED. The segment [cur, end) is trimmed against the
 * delivered data (first wins: old bytes are dropped and counted). Then,
 * repeatedly:
 *  - if cur is the next byte to deliver, bytes up to the first buffered
 *    chunk are handed over from the caller's payload (zero copy), and
 *    the run of buffered chunks that has become contiguous is delivered
 *    and freed; the new bytes that run covered are trimmed (first wins);
 *  - otherwise the remaining bytes are walked against the sorted list:
 *    parts covered by buffered chunks are trimmed, each part that falls
 *    in a hole is copied into new chunks and linked in place, so one
 *    segment may fill several holes. If a part cannot be stored (side
 *    limits or memcap), the head hole is declared a gap - up to the first
 *    buffered byte, or up to the segment itself if that comes first -
 *    and the loop resumes: the buffered run is delivered, memory is
 *    freed, and eventually the segment either fits or is in order. With
 *    nothing buffered this is "skip ahead to the segment and deliver it".
 * The common case - in order, nothing buffered or held, more than
 * FC_REASM_PAD_MAX bytes - is a few comparisons and a callback: no list
 * walk and no mempool traffic.
 *
 * DEADLINE. A stream keeps a lower bound of its buffered chunks' arrival
 * times. When packet time passes that bound by more than the deadline,
 * the true oldest time is recomputed by a walk, and while it is still too
 * old the head hole is declared a gap.
 *
 * Counting: a segment with no new byte (all delivered or buffered already)
 * is one retransmit; otherwise trimmed bytes are overlap_bytes; a segment
 * that had to wait behind a hole is one ooo segment.
 *
 * OUT OF WINDOW. A segment more than FC_REASM_MAX_WINDOW from the next
 * byte is dropped and counted, never turned into a gap: a single stray
 * segment (corrupt sequence number, another connection's packet, a
 * forged one) would otherwise restart the stream gigabytes away and
 * declare the jump - and the jump back - as missing bytes. Behind, such a
 * segment is old data whatever happened, so it never moves the stream.
 * Ahead, it may be the capture resuming after it lost a huge stretch of
 * the connection; that case shows as a run of segments that agree with
 * one another and not with the stream, so FC_REASM_RESYNC_SEGS of them in
 * a row, each within FC_REASM_RESYNC_SPAN of the previous one and with no
 * in-window segment between them, resynchronise the stream at the lowest
 * of them (the jump is then a real gap). Waiting for a run rather than
 * capping the gap keeps byte offsets exact: every byte of the stream is
 * either delivered or inside a declared gap, at its true position. The
 * run's first segments are lost (counted); the hole they leave after the
 * resync point becomes a gap like any other.
 *
 * LINK PADDING. Some taps and NICs hand over pure ACKs whose IP length
 * covers the Ethernet padding, so each carries 2 or 6 zero bytes "at" the
 * sender's next sequence number, and the real data later arrives at that
 * same number. First wins would keep the zeros and cut the real data's
 * head off (a TLS record loses its header). Zeek keeps the first copy
 * (and raises rexmit_inconsistency when it still holds the old bytes),
 * Suricata applies its target-based overlap policy; neither treats the
 * zeros as padding. nDPI has an opt-in heuristic (tcp_ack_payload_heuristic)
 * that ignores ACK-only packets carrying a few zero bytes. The rule here
 * is narrower and decided by what follows the zeros: an
 * all-zero segment of 2 to FC_REASM_PAD_MAX bytes (whatever its flags: a
 * SYN-ACK without options is padded as well, its two zeros then sitting
 * where the server's first record begins) that
 * would be delivered in order with nothing buffered is held (no copy: it
 * is zeros) instead of delivered. Then
 *  - a later pad that overlaps it merges with it (repeated padded ACKs);
 *  - data that starts at or before the held bytes supersedes them: the
 *    zeros are dropped (pads_dropped) and the data delivered in their
 *    place, as the sender's own sequence numbers say;
 *  - data that starts after them (including a pad that continues them),
 *    or a resync, proves they were stream data: they are delivered first;
 *  - segments entirely at old sequence numbers leave them held;
 *  - at the flush (flow end) a held pad is dropped: nothing followed it.
 * Real 2-6 byte all-zero messages are thus delivered late (with the next
 * data of their side) and lost only when they are the last bytes of the
 * stream. The segment's PSH flag would sharpen the test (padded ACKs
 * never carry it) but this layer is not given it.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "fc_reasm.h"

#define CHUNK_SIZE 512
#define ALLOC_BATCH 32

/** Smallest all-zero segment taken for link padding (1 byte: keep-alive). */
#define PAD_MIN 2
/** Most zero bytes held as one pad (overlapping pads merge). */
#define PAD_HOLD_MAX 64

static const uint8_t zeros[PAD_HOLD_MAX];

/** One pool element: a contiguous range of buffered bytes. */
struct chunk {
	struct chunk *next;  /**< next chunk in sequence order, or NULL */
	uint64_t ts;         /**< packet time the bytes arrived, ns */
	uint32_t seq;        /**< sequence number of data[0] */
	uint16_t len;        /**< bytes used in data[] */
	uint16_t first;      /**< 1 on the first chunk of a buffered piece */
	uint8_t data[FC_REASM_CHUNK_DATA];
};
static_assert(sizeof(struct chunk) == CHUNK_SIZE, "chunk layout");

enum stream_state {
	STREAM_FREE = 0,
	STREAM_ACTIVE,
	STREAM_POISONED,
};

/** State of one (flow, side); all fields owned by the context's lcore. */
struct stream {
	struct chunk *head;      /**< first buffered chunk, or NULL */
	struct chunk *tail;      /**< last buffered chunk, or NULL */
	uint64_t oldest_ts;      /**< lower bound of the buffered chunks' ts */
	uint32_t next;           /**< sequence number of the next byte to deliver */
	uint32_t far_lo;         /**< lowest sequence number of the far-ahead run */
	uint32_t far_end;        /**< end of the run's last segment */
	uint16_t n_segs;         /**< pieces buffered */
	uint8_t state;           /**< enum stream_state */
	uint8_t far_run;         /**< consecutive far-ahead segments */
	uint8_t pad_len;         /**< zero bytes held at next as possible link padding */
	struct fc_reasm_side_stats st;
};

struct fc_reasm {
	struct fc_reasm_params p;
	struct rte_mempool *pool;  /**< chunks */
	struct stream *streams;    /**< max_streams + 1; [0] unused */
	uint32_t *free_idx;        /**< stack of free stream indices */
	uint32_t n_free;
	uint64_t deadline_ns;
	uint64_t memory;           /**< heap held (computed at create) */
	struct fc_reasm_stats st;
};

/* Result of trying to store a piece. */
enum store_rc {
	STORED = 0,
	LIMIT,     /* the side's segment or byte limit */
	MEMCAP,    /* the context's chunk pool */
};

static const char *const overflow_names[] = { FC_REASM_OVERFLOW_POLICIES(FC_X_NAME) };
static_assert(FC_DIM(overflow_names) == FC_REASM_OVERFLOW_MAX, "overflow policy names");

static const char *const counter_names[][2] = {
#define FC_X_ROW(name, desc) { #name, desc },
	FC_REASM_COUNTERS(FC_X_ROW)
#undef FC_X_ROW
};

const char *
fc_reasm_overflow_name(unsigned int policy)
{
	return policy < FC_REASM_OVERFLOW_MAX ? overflow_names[policy] : "?";
}

int
fc_reasm_overflow_parse(const char *s, uint8_t *policy)
{
	for (unsigned int i = 0; i < FC_REASM_OVERFLOW_MAX; i++)
		if (strcmp(s, overflow_names[i]) == 0) {
			*policy = (uint8_t)i;
			return 0;
		}
	return -EINVAL;
}

const char *
fc_reasm_counter_name(unsigned int i, const char **desc)
{
	if (i >= FC_DIM(counter_names))
		return NULL;
	if (desc != NULL)
		*desc = counter_names[i][1];
	return counter_names[i][0];
}

uint64_t
fc_reasm_counter(const struct fc_reasm_stats *s, unsigned int i)
{
	const uint64_t *v = (const uint64_t *)s;

	return i < FC_DIM(counter_names) ? v[i] : 0;
}

/* ---------------------------------------------------------------- create */

static void
mem_sum(struct rte_mempool *mp, void *opaque, struct rte_mempool_memhdr *h,
	unsigned int idx)
{
	(void)mp;
	(void)idx;
	*(uint64_t *)opaque += h->len;
}

/* A mempool's memory beyond its objects: the per-lcore caches in its header, its ring (a bound). */
#define POOL_OVERHEAD(n) ((uint64_t)RTE_MAX_LCORE * sizeof(struct rte_mempool_cache) + \
			  (uint64_t)rte_align64pow2((n) + 1) * sizeof(void *) + (64u << 10))

/* The defaults of unset parameters. */
static void
reasm_defaults(struct fc_reasm_params *p)
{
	if (p->max_streams == 0)
		p->max_streams = 65536;
	if (p->memcap == 0)
		p->memcap = UINT64_C(64) << 20;
	if (p->side_cap == 0)
		p->side_cap = 256u << 10;
	if (p->max_ooo_segs == 0)
		p->max_ooo_segs = 256;
	if (p->ooo_deadline_ms == 0)
		p->ooo_deadline_ms = 1000;
}

uint64_t
fc_reasm_memory_need(const struct fc_reasm_params *p)
{
	struct fc_reasm_params d = *p;
	uint64_t obj = rte_mempool_calc_obj_size(CHUNK_SIZE, 0, NULL);
	uint64_t n_chunks, streams;

	reasm_defaults(&d);
	n_chunks = d.memcap / obj;
	streams = d.max_streams;
	return sizeof(struct fc_reasm) + n_chunks * obj + POOL_OVERHEAD(n_chunks) +
		sizeof(struct stream) * (streams + 1) + sizeof(uint32_t) * streams +
		4 * RTE_CACHE_LINE_SIZE;
}

struct fc_reasm *
fc_reasm_create(const struct fc_reasm_params *params)
{
	struct rte_mempool_objsz osz;
	struct fc_reasm *r;
	char pname[RTE_MEMPOOL_NAMESIZE];
	uint64_t n_chunks, pool_mem = 0;
	unsigned int cache;
	uint32_t i;
	int n;

	if (params == NULL || params->name == NULL ||
	    params->overflow >= FC_REASM_OVERFLOW_MAX ||
	    params->max_streams >= UINT32_MAX - 1) {
		rte_errno = EINVAL;
		return NULL;
	}
	n = snprintf(pname, sizeof(pname), "fcr_%s", params->name);
	if (n < 0 || (size_t)n >= sizeof(pname)) {
		rte_errno = EINVAL;
		return NULL;
	}
	r = rte_zmalloc_socket("fc_reasm", sizeof(*r), RTE_CACHE_LINE_SIZE,
			       params->socket_id);
	if (r == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->p = *params;
	reasm_defaults(&r->p);
	r->deadline_ns = (uint64_t)r->p.ooo_deadline_ms * 1000000u;

	/* Chunks the memcap pays for, each with the pool's own overhead. */
	n_chunks = r->p.memcap / rte_mempool_calc_obj_size(CHUNK_SIZE, 0, &osz);
	if (n_chunks == 0 || n_chunks > UINT32_MAX / 2) {
		rte_free(r);
		rte_errno = EINVAL;
		return NULL;
	}
	/* A per-lcore cache makes get/put cheap; its flush threshold (1.5x)
	 * must not exceed the pool. */
	cache = n_chunks >= 3 * 64 ? 64 : 0;
	r->pool = rte_mempool_create(pname, (unsigned int)n_chunks, CHUNK_SIZE,
				     cache, 0, NULL, NULL, NULL, NULL,
				     params->socket_id,
				     RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET |
				     RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (r->pool == NULL) {
		int err = rte_errno;

		rte_free(r);
		rte_errno = err == EEXIST ? EEXIST : ENOMEM;
		return NULL;
	}
	r->streams = rte_zmalloc_socket("fc_reasm_streams",
					sizeof(*r->streams) *
					((size_t)r->p.max_streams + 1),
					RTE_CACHE_LINE_SIZE, params->socket_id);
	r->free_idx = rte_malloc_socket("fc_reasm_free",
					sizeof(*r->free_idx) * r->p.max_streams,
					RTE_CACHE_LINE_SIZE, params->socket_id);
	if (r->streams == NULL || r->free_idx == NULL) {
		fc_reasm_free(r);
		rte_errno = ENOMEM;
		return NULL;
	}
	/* Lowest index on top, so streams are handed out 1, 2, 3, ... */
	for (i = 0; i < r->p.max_streams; i++)
		r->free_idx[i] = r->p.max_streams - i;
	r->n_free = r->p.max_streams;
	r->st.chunks_total = n_chunks;
	rte_mempool_mem_iter(r->pool, mem_sum, &pool_mem);
	r->memory = sizeof(*r) + pool_mem +
		(r->pool->mz != NULL ? r->pool->mz->len : 0) +
		sizeof(*r->streams) * ((uint64_t)r->p.max_streams + 1) +
		sizeof(*r->free_idx) * (uint64_t)r->p.max_streams;
	return r;
}

void
fc_reasm_free(struct fc_reasm *r)
{
	if (r == NULL)
		return;
	rte_mempool_free(r->pool);
	rte_free(r->streams);
	rte_free(r->free_idx);
	rte_free(r);
}

/* ---------------------------------------------------------------- helpers */

static inline uint32_t
chunk_end(const struct chunk *c)
{
	return c->seq + c->len;
}

static inline void
deliver(struct stream *s, const uint8_t *p, uint32_t n,
	const struct fc_reasm_cb *cb, void *arg)
{
	s->st.delivered += n;
	if (cb != NULL && cb->data != NULL)
		cb->data(arg, p, n);
}

static void
declare_gap(struct fc_reasm *r, struct stream *s, uint32_t n,
	    const struct fc_reasm_cb *cb, void *arg)
{
	if (n == 0)
		return;
	r->st.gaps++;
	r->st.gap_bytes += n;
	s->st.gap_bytes += n;
	if (cb != NULL && cb->gap != NULL)
		cb->gap(arg, n);
}

static void
chunk_put(struct fc_reasm *r, struct stream *s, struct chunk *c)
{
	s->st.buffered -= c->len;
	if (c->first)
		s->n_segs--;
	r->st.chunks_in_use--;
	rte_mempool_put(r->pool, c);
}

/* Free every buffered chunk without delivering it. */
static void
free_all(struct fc_reasm *r, struct stream *s)
{
	struct chunk *c = s->head;

	while (c != NULL) {
		struct chunk *nx = c->next;

		chunk_put(r, s, c);
		c = nx;
	}
	s->head = NULL;
	s->tail = NULL;
}

/*
 * Deliver the run of buffered chunks that starts at the next byte and
 * free them. Chunks always start after next, so the head is either
 * exactly at next (deliver) or beyond it (stop); the trim is defensive.
 */
static void
drain(struct fc_reasm *r, struct stream *s, const struct fc_reasm_cb *cb,
      void *arg)
{
	struct chunk *c;

	while ((c = s->head) != NULL && FC_SEQ_LEQ(c->seq, s->next)) {
		uint32_t ce = chunk_end(c);

		if (FC_SEQ_GT(ce, s->next)) {
			uint32_t off = s->next - c->seq;

			deliver(s, c->data + off, ce - s->next, cb, arg);
			s->next = ce;
		}
		s->head = c->next;
		chunk_put(r, s, c);
	}
	if (s->head == NULL)
		s->tail = NULL;
}

/*
 * Give up on the head hole: everything before `upto` or the first
 * buffered byte, whichever comes first, is declared missing; the run
 * after it is delivered.
 */
static void
skip_hole(struct fc_reasm *r, struct stream *s, uint32_t upto,
	  const struct fc_reasm_cb *cb, void *arg)
{
	uint32_t target = upto;

	if (s->head != NULL && FC_SEQ_LT(s->head->seq, upto))
		target = s->head->seq;
	if (FC_SEQ_GT(target, s->next)) {
		declare_gap(r, s, target - s->next, cb, arg);
		s->next = target;
	}
	drain(r, s, cb, arg);
}

/* Deliver everything buffered, each remaining hole as a gap. */
static void
flush_stream(struct fc_reasm *r, struct stream *s, const struct fc_reasm_cb *cb,
	     void *arg)
{
	while (s->head != NULL)
		skip_hole(r, s, s->head->seq, cb, arg);
}

/* A tiny all-zero segment that may be link padding (see LINK PADDING). */
static inline int
pad_like(const uint8_t *p, uint32_t len)
{
	if (len < PAD_MIN || len > FC_REASM_PAD_MAX)
		return 0;
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* The held pad was stream data after all: deliver its zeros. */
static void
pad_commit(struct stream *s, const struct fc_reasm_cb *cb, void *arg)
{
	uint32_t n = s->pad_len;

	s->pad_len = 0;
	deliver(s, zeros, n, cb, arg);
	s->next += n;
}

/* The held pad was link padding: forget it. */
static void
pad_drop(struct fc_reasm *r, struct stream *s)
{
	s->pad_len = 0;
	s->st.pads_dropped++;
	r->st.pads_dropped++;
}

/*
 * A segment [seq, seq + len) arrives while a pad is held at next.
 * @return 1 if the segment was merged into the pad (nothing else to do).
 */
static int
pad_resolve(struct fc_reasm *r, struct stream *s, uint32_t seq,
	    const uint8_t *p, uint32_t len,
	    const struct fc_reasm_cb *cb, void *arg)
{
	uint32_t end = seq + len, pend = s->next + s->pad_len;

	if (FC_SEQ_LEQ(end, s->next))
		return 0;       /* old bytes only: says nothing about the pad */
	if (pad_like(p, len)) {
		if (FC_SEQ_LT(seq, pend)) {
			uint32_t ne = FC_SEQ_GT(end, pend) ? end : pend;

			if (ne - s->next <= PAD_HOLD_MAX) {
				s->pad_len = (uint8_t)(ne - s->next);
				return 1;
			}
		}
		pad_commit(s, cb, arg);
		return 0;
	}
	if (FC_SEQ_LEQ(seq, s->next))
		pad_drop(r, s); /* data in the pad's place: it was padding */
	else
		pad_commit(s, cb, arg);
	return 0;
}

/*
 * A segment more than FC_REASM_MAX_WINDOW away from next (see OUT OF
 * WINDOW). @return 1 if it completed a far-ahead run and the stream was
 * resynchronised (the caller goes on placing it), 0 if it was dropped.
 */
static int
far_segment(struct fc_reasm *r, struct stream *s, uint32_t seq, uint32_t len,
	    const struct fc_reasm_cb *cb, void *arg)
{
	int32_t d = FC_SEQ_DIFF(seq, s->next);
	int32_t near = FC_SEQ_DIFF(seq, s->far_end);

	if (d < 0) {
		s->far_run = 0;
	} else {
		if (s->far_run > 0 && near <= (int32_t)FC_REASM_RESYNC_SPAN &&
		    near >= -(int32_t)FC_REASM_RESYNC_SPAN) {
			s->far_run++;
			if (FC_SEQ_LT(seq, s->far_lo))
				s->far_lo = seq;
		} else {
			s->far_run = 1;
			s->far_lo = seq;
		}
		s->far_end = seq + len;
		if (s->far_run >= FC_REASM_RESYNC_SEGS) {
			s->far_run = 0;
			if (s->pad_len != 0)
				pad_commit(s, cb, arg);
			flush_stream(r, s, cb, arg);
			declare_gap(r, s, s->far_lo - s->next, cb, arg);
			s->next = s->far_lo;
			r->st.resyncs++;
			return 1;
		}
	}
	s->st.out_of_window++;
	r->st.out_of_window++;
	return 0;
}

static void
poison(struct fc_reasm *r, struct stream *s, uint64_t extra)
{
	uint64_t lost = (uint64_t)s->st.buffered + extra;

	free_all(r, s);
	s->state = STREAM_POISONED;
	s->st.dropped_oversize += lost;
	r->st.dropped_bytes += lost;
	r->st.poisoned++;
}

/*
 * Copy n bytes at seq into a new chain of chunks linked between prev
 * (NULL: at the head) and prev's successor. Limits are checked before any
 * allocation. On success *last is the chain's last chunk.
 */
static enum store_rc
store_piece(struct fc_reasm *r, struct stream *s, struct chunk *prev,
	    uint32_t seq, const uint8_t *p, uint32_t n, uint64_t ts,
	    struct chunk **last)
{
	uint32_t k = (n + FC_REASM_CHUNK_DATA - 1) / FC_REASM_CHUNK_DATA;
	struct chunk *first = NULL, *tail = NULL;
	void *objs[ALLOC_BATCH];
	uint32_t got = 0, off = 0;

	if (s->n_segs >= r->p.max_ooo_segs ||
	    n > r->p.side_cap - s->st.buffered)
		return LIMIT;
	if (r->st.chunks_in_use + k > r->st.chunks_total)
		return MEMCAP;
	while (got < k) {
		uint32_t m = RTE_MIN(k - got, (uint32_t)ALLOC_BATCH), j;

		if (rte_mempool_get_bulk(r->pool, objs, m) != 0) {
			/* Only if the pool is shared with another lcore's cache. */
			while (first != NULL) {
				struct chunk *nx = first->next;

				rte_mempool_put(r->pool, first);
				first = nx;
			}
			return MEMCAP;
		}
		for (j = 0; j < m; j++) {
			struct chunk *c = objs[j];

			c->next = NULL;
			if (tail == NULL)
				first = c;
			else
				tail->next = c;
			tail = c;
		}
		got += m;
	}
	for (struct chunk *c = first; c != NULL; c = c->next) {
		uint32_t len = RTE_MIN(n - off, (uint32_t)FC_REASM_CHUNK_DATA);

		c->seq = seq + off;
		c->len = (uint16_t)len;
		c->ts = ts;
		c->first = c == first;
		memcpy(c->data, p + off, len);
		off += len;
	}
	r->st.chunks_in_use += k;
	if (s->head == NULL || s->st.buffered == 0 || ts < s->oldest_ts)
		s->oldest_ts = ts;
	s->st.buffered += n;
	if (s->st.buffered > s->st.high_watermark)
		s->st.high_watermark = s->st.buffered;
	s->n_segs++;
	if (prev == NULL) {
		tail->next = s->head;
		s->head = first;
	} else {
		tail->next = prev->next;
		prev->next = first;
	}
	if (tail->next == NULL)
		s->tail = tail;
	*last = tail;
	return STORED;
}

/* Per-segment bookkeeping of segment_slow(). */
struct seg_work {
	uint32_t cur;          /**< first byte not yet handled */
	uint32_t end;          /**< one past the last byte */
	const uint8_t *p;      /**< payload at cur */
	uint64_t ts;
	uint64_t fresh;        /**< bytes delivered or stored */
	uint64_t trimmed;      /**< bytes already delivered or buffered */
	uint8_t ooo;           /**< counted as out of order */
};

static inline void
advance(struct seg_work *w, uint32_t to)
{
	w->p += to - w->cur;
	w->cur = to;
}

/*
 * Store the part of the segment beyond the next byte into the holes of
 * the sorted list; parts already buffered are trimmed. Stops at the first
 * piece that cannot be stored.
 */
static enum store_rc
store_segment(struct fc_reasm *r, struct stream *s, struct seg_work *w)
{
	struct chunk *prev = NULL, *c = s->head;

	/* Appending past the last chunk (an OOO flood) needs no walk. */
	if (s->tail != NULL && FC_SEQ_GEQ(w->cur, chunk_end(s->tail))) {
		prev = s->tail;
		c = NULL;
	}
	while (FC_SEQ_LT(w->cur, w->end)) {
		uint32_t stop;
		enum store_rc rc;

		while (c != NULL && FC_SEQ_LEQ(chunk_end(c), w->cur)) {
			prev = c;
			c = c->next;
		}
		if (c != NULL && FC_SEQ_LEQ(c->seq, w->cur)) {
			/* Covered by buffered bytes: they win. */
			stop = FC_SEQ_LT(chunk_end(c), w->end) ? chunk_end(c) : w->end;
			w->trimmed += stop - w->cur;
			advance(w, stop);
			continue;
		}
		stop = c != NULL && FC_SEQ_LT(c->seq, w->end) ? c->seq : w->end;
		if (!w->ooo) {
			w->ooo = 1;
			s->st.ooo_segs++;
			r->st.segments_ooo++;
		}
		rc = store_piece(r, s, prev, w->cur, w->p, stop - w->cur, w->ts,
				 &prev);
		if (rc != STORED)
			return rc;
		w->fresh += stop - w->cur;
		advance(w, stop);
	}
	return STORED;
}

/* Everything but "in order with nothing buffered". */
static int
segment_slow(struct fc_reasm *r, struct stream *s, uint32_t seq,
	     const uint8_t *payload, uint32_t len, uint64_t ts,
	     const struct fc_reasm_cb *cb, void *arg)
{
	struct seg_work w = { .cur = seq, .end = seq + len, .p = payload,
			      .ts = ts };
	int32_t d = FC_SEQ_DIFF(seq, s->next);
	int memcap_counted = 0;

	if (FC_UNLIKELY(d > (int32_t)FC_REASM_MAX_WINDOW ||
			d < -(int32_t)FC_REASM_MAX_WINDOW)) {
		if (!far_segment(r, s, seq, len, cb, arg))
			return 0;
	} else {
		s->far_run = 0;
	}
	if (s->pad_len != 0 &&
	    pad_resolve(r, s, seq, payload, len, cb, arg))
		return 0;
	if (s->head == NULL && FC_SEQ_LEQ(seq, s->next) &&
	    FC_SEQ_GT(w.end, s->next) && pad_like(payload, len)) {
		/* Possible link padding: held, decided by what follows. */
		s->pad_len = (uint8_t)(w.end - s->next);
		return 0;
	}
	for (;;) {
		enum store_rc rc;

		if (FC_SEQ_LEQ(w.end, s->next)) {
			w.trimmed += w.end - w.cur;
			break;
		}
		if (FC_SEQ_LT(w.cur, s->next)) {
			w.trimmed += s->next - w.cur;
			advance(&w, s->next);
		}
		if (w.cur == s->next) {
			uint32_t lim = w.end;

			if (s->head != NULL && FC_SEQ_LT(s->head->seq, w.end))
				lim = s->head->seq;
			if (FC_SEQ_GT(lim, w.cur)) {
				deliver(s, w.p, lim - w.cur, cb, arg);
				w.fresh += lim - w.cur;
				s->next = lim;
				advance(&w, lim);
			}
			drain(r, s, cb, arg);
			if (w.cur == w.end)
				break;
			continue;
		}
		rc = store_segment(r, s, &w);
		if (rc == STORED)
			break;
		if (rc == LIMIT && r->p.overflow == FC_REASM_DROP_FLOW) {
			poison(r, s, w.end - w.cur);
			return -ENOSPC;
		}
		if (rc == MEMCAP && !memcap_counted) {
			memcap_counted = 1;
			r->st.memcap_hits++;
		}
		skip_hole(r, s, w.cur, cb, arg);
	}
	if (w.fresh == 0) {
		s->st.retransmits++;
		r->st.retransmits++;
	} else if (w.trimmed != 0) {
		s->st.overlap_bytes += w.trimmed;
		r->st.overlap_bytes += w.trimmed;
	}
	return 0;
}

/* Oldest arrival time among the buffered chunks (a walk). */
static uint64_t
oldest_ts(const struct stream *s)
{
	uint64_t t = UINT64_MAX;

	for (const struct chunk *c = s->head; c != NULL; c = c->next)
		if (c->ts < t)
			t = c->ts;
	return t;
}

static inline int
expired(const struct fc_reasm *r, const struct stream *s, uint64_t now)
{
	return now > s->oldest_ts && now - s->oldest_ts > r->deadline_ns;
}

static void
check_deadline(struct fc_reasm *r, struct stream *s, uint64_t now,
	       const struct fc_reasm_cb *cb, void *arg)
{
	if (!expired(r, s, now))
		return;
	/* oldest_ts only errs low (chunks left since): refresh, then act. */
	s->oldest_ts = oldest_ts(s);
	while (s->head != NULL && expired(r, s, now)) {
		skip_hole(r, s, s->head->seq, cb, arg);
		s->oldest_ts = oldest_ts(s);
	}
}

/* ---------------------------------------------------------------- API */

static inline struct stream *
stream_get(const struct fc_reasm *r, fc_stream_t h)
{
	if (r == NULL || h == 0 || h > r->p.max_streams)
		return NULL;
	if (r->streams[h].state == STREAM_FREE)
		return NULL;
	return &r->streams[h];
}

static fc_stream_t
stream_new(struct fc_reasm *r, uint32_t start)
{
	struct stream *s;
	fc_stream_t h;

	if (r->n_free == 0) {
		r->st.streams_exhausted++;
		return FC_REASM_STREAM_UNTRACKED;
	}
	h = r->free_idx[--r->n_free];
	s = &r->streams[h];
	memset(s, 0, sizeof(*s));
	s->state = STREAM_ACTIVE;
	s->next = start;
	r->st.streams_created++;
	return h;
}

int
fc_reasm_segment(struct fc_reasm *r, fc_stream_t *stream,
		 const struct fc_reasm_seg *seg, int has_isn, uint32_t isn,
		 const struct fc_reasm_cb *cb, void *arg)
{
	struct stream *s;
	fc_stream_t h;
	uint32_t seq, len;
	int rc = 0;

	if (FC_UNLIKELY(r == NULL || stream == NULL || seg == NULL ||
			(seg->len > 0 && seg->payload == NULL) ||
			seg->len > FC_REASM_MAX_WINDOW))
		return -EINVAL;
	len = seg->len;
	/* A SYN's sequence number is the ISN; its payload starts after it. */
	seq = seg->seq + ((seg->flags & FC_REASM_SEG_SYN) != 0);
	h = *stream;
	if (FC_UNLIKELY(h == 0)) {
		if (len == 0)
			return 0;
		h = stream_new(r, has_isn ? isn + 1 : seq);
		*stream = h;
	}
	if (FC_UNLIKELY(h == FC_REASM_STREAM_UNTRACKED)) {
		r->st.segments += len > 0;
		return 0;
	}
	s = stream_get(r, h);
	if (FC_UNLIKELY(s == NULL))
		return -EINVAL;
	r->st.segments += len > 0;
	if (FC_UNLIKELY(s->state == STREAM_POISONED)) {
		s->st.dropped_oversize += len;
		r->st.dropped_bytes += len;
		return -ENOSPC;
	}
	if (FC_LIKELY(s->head == NULL && s->pad_len == 0)) {
		if (FC_LIKELY(seq == s->next && len > FC_REASM_PAD_MAX)) {
			deliver(s, seg->payload, len, cb, arg);
			s->next = seq + len;
			return 0;
		}
		if (len == 0)
			return 0;
	}
	if (len > 0)
		rc = segment_slow(r, s, seq, seg->payload, len, seg->ts, cb, arg);
	if (s->head != NULL)
		check_deadline(r, s, seg->ts, cb, arg);
	return rc;
}

void
fc_reasm_flush(struct fc_reasm *r, fc_stream_t stream,
	       const struct fc_reasm_cb *cb, void *arg)
{
	struct stream *s = stream_get(r, stream);

	if (s == NULL || s->state != STREAM_ACTIVE)
		return;
	/* Nothing followed the held zeros: they were padding. */
	if (s->pad_len != 0)
		pad_drop(r, s);
	flush_stream(r, s, cb, arg);
}

void
fc_reasm_side_stats(const struct fc_reasm *r, fc_stream_t stream,
		    struct fc_reasm_side_stats *out)
{
	const struct stream *s = stream_get(r, stream);

	if (out == NULL)
		return;
	if (s == NULL)
		memset(out, 0, sizeof(*out));
	else
		*out = s->st;
}

void
fc_reasm_release(struct fc_reasm *r, fc_stream_t *stream)
{
	struct stream *s;

	if (stream == NULL)
		return;
	s = stream_get(r, *stream);
	if (s != NULL) {
		free_all(r, s);
		s->state = STREAM_FREE;
		r->free_idx[r->n_free++] = *stream;
		r->st.streams_released++;
	}
	*stream = 0;
}

int
fc_reasm_poisoned(const struct fc_reasm *r, fc_stream_t stream)
{
	const struct stream *s = stream_get(r, stream);

	return s != NULL && s->state == STREAM_POISONED;
}

const struct fc_reasm_stats *
fc_reasm_stats(const struct fc_reasm *r)
{
	return &r->st;
}

uint64_t
fc_reasm_memory(const struct fc_reasm *r)
{
	return r == NULL ? 0 : r->memory;
}
