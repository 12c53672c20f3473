/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * History strings: the letters a flow's TCP packets leave behind, kept in
 * the two alphabets the exporters print. It sits beside the TCP stage of
 * the pipeline (table -> tcp state/history -> reassembly): fc_tcp_update()
 * decides which letter a packet earns, this module applies the repeat
 * rules and stores the bytes.
 *
 * Zeek's rules, as documented for conn.log `history` and observed in its
 * baselines:
 *  - a letter is upper case for the originator, lower case for the
 *    responder;
 *  - a, d, i, q at most once per direction, tracked by a bit per role;
 *  - s, h, f, r the first time, then again only when the packet's sequence
 *    number differs from the previous one of the same kind (the caller
 *    compares sequence numbers and passes the verdict);
 *  - c, g, t, w logarithmically: on the 1st, 10th, 100th ... event of
 *    that kind on that endpoint (a counter per endpoint);
 *  - '^' on every flip. The once-bits belong to the role and are not moved
 *    by a flip (so the new originator inherits the old originator's bits);
 *    counters and the last-RST sequence belong to the endpoint and move.
 *
 * flowscope's rules: S, F, R, D in that order for each packet, case by
 * side, no suppression, 16 characters then truncation. flowscope never
 * flipped; we keep upper case = originator by swapping case on a flip.
 */
#include <string.h>

#include "fc_history.h"
#include "fc_pkt.h"

#define HIST_X_CHAR(prefix, name, ch, kind, slot, desc) [prefix##name] = ch,
#define HIST_X_KIND(prefix, name, ch, kind, slot, desc) [prefix##name] = kind,
#define HIST_X_SLOT(prefix, name, ch, kind, slot, desc) [prefix##name] = slot,
#define HIST_X_DESC(prefix, name, ch, kind, slot, desc) [prefix##name] = desc,

static const char hist_char[] = { FC_HISTORY_LETTERS(HIST_X_CHAR) };
static const uint8_t hist_kind[] = { FC_HISTORY_LETTERS(HIST_X_KIND) };
static const uint8_t hist_slot[] = { FC_HISTORY_LETTERS(HIST_X_SLOT) };
static const char *const hist_desc[] = { FC_HISTORY_LETTERS(HIST_X_DESC) };

static_assert(FC_DIM(hist_char) == FC_HIST_MAX, "history letter table");
static_assert(FC_DIM(hist_kind) == FC_HIST_MAX, "history kind table");
static_assert(FC_DIM(hist_slot) == FC_HIST_MAX, "history slot table");
static_assert(FC_DIM(hist_desc) == FC_HIST_MAX, "history description table");

/* Counts at which a logarithmic letter is appended (Zeek: x10 each time). */
static const uint16_t log_marks[] = { 1, 10, 100, 1000, 10000 };

/*
 * Packed layout (see struct fc_history_core). Zeek letter codes are the
 * letter enum with 0x10 for the responder; flowscope codes are S F R D =
 * 0..3 with 4 for the responder.
 */
#define Z_BITS 5
#define Z_MASK 0x1fu
#define Z_RESP 0x10u
#define Z_LEN_SHIFT 50
#define Z_LEN_MASK 0x1full
#define Z_TRUNC (1ull << 55)
#define Z_SEEN_SHIFT 56
#define F_BITS 3
#define F_MASK 0x7u
#define F_RESP 0x4u
#define F_LEN_SHIFT 48
#define F_LEN_MASK 0x1full
#define F_TRUNC (1ull << 53)
#define F_SEEN_SHIFT 54
#define SEEN_MASK 0x7full
#define F_LOST (1ull << 61)

static_assert(FC_HIST_MAX <= Z_RESP, "a Zeek letter code fits 4 bits");
static_assert(FC_HISTORY_ZEEK_CORE * Z_BITS <= Z_LEN_SHIFT, "core Zeek letters fit");
static_assert(FC_HISTORY_ZEEK_EXT * Z_BITS <= 64, "extension Zeek letters fit");
static_assert(FC_HISTORY_ZEEK_LEN <= Z_LEN_MASK, "Zeek length fits");
static_assert(FC_HISTORY_FS_LEN * F_BITS <= F_LEN_SHIFT, "flowscope letters fit");

static const char fs_char[8] = { 'S', 'F', 'R', 'D', 's', 'f', 'r', 'd' };

static inline unsigned int
zlen(const struct fc_history *h)
{
	return (unsigned int)((h->w[0] >> Z_LEN_SHIFT) & Z_LEN_MASK);
}

static inline unsigned int
flen(const struct fc_history *h)
{
	return (unsigned int)((h->w[1] >> F_LEN_SHIFT) & F_LEN_MASK);
}

static inline unsigned int
seen_bits(const struct fc_history *h, unsigned int role)
{
	return role == 0 ? (unsigned int)((h->w[0] >> Z_SEEN_SHIFT) & SEEN_MASK) :
		(unsigned int)((h->w[1] >> F_SEEN_SHIFT) & SEEN_MASK);
}

static inline void
seen_set(struct fc_history *h, unsigned int role, unsigned int bits)
{
	if (role == 0)
		h->w[0] = (h->w[0] & ~(SEEN_MASK << Z_SEEN_SHIFT)) |
			((uint64_t)(bits & SEEN_MASK) << Z_SEEN_SHIFT);
	else
		h->w[1] = (h->w[1] & ~(SEEN_MASK << F_SEEN_SHIFT)) |
			((uint64_t)(bits & SEEN_MASK) << F_SEEN_SHIFT);
}

/* The extension, got on first need; NULL when none can be had. */
static struct fc_history_ext *
ext(struct fc_history *h)
{
	if (h->x == NULL && h->more != NULL)
		h->x = h->more(h->more_arg);
	return h->x;
}

static inline unsigned int
zcode(enum fc_history_letter l, unsigned int side)
{
	return (unsigned int)l | ((side != 0 && hist_kind[l] != FC_HIST_K_MARK) ?
				  Z_RESP : 0);
}

static inline char
zchar(unsigned int code)
{
	unsigned int l = code & ~Z_RESP;
	char ch = l < FC_HIST_MAX ? hist_char[l] : '?';

	if ((code & Z_RESP) && ch >= 'A' && ch <= 'Z')
		ch = (char)(ch - 'A' + 'a');
	return ch;
}

static inline unsigned int
zget(const struct fc_history *h, unsigned int i)
{
	if (i < FC_HISTORY_ZEEK_CORE)
		return (unsigned int)(h->w[0] >> (i * Z_BITS)) & Z_MASK;
	return h->x == NULL ? 0 : (unsigned int)(h->x->zeek >>
		((i - FC_HISTORY_ZEEK_CORE) * Z_BITS)) & Z_MASK;
}

/* Store letter i; the caller made sure an extension exists for i >= core. */
static inline void
zput(struct fc_history *h, unsigned int i, unsigned int code)
{
	uint64_t *w;
	unsigned int sh;

	if (i < FC_HISTORY_ZEEK_CORE) {
		w = &h->w[0];
		sh = i * Z_BITS;
	} else {
		w = &h->x->zeek;
		sh = (i - FC_HISTORY_ZEEK_CORE) * Z_BITS;
	}
	*w = (*w & ~((uint64_t)Z_MASK << sh)) | ((uint64_t)code << sh);
}

static inline void
zset_len(struct fc_history *h, unsigned int n)
{
	h->w[0] = (h->w[0] & ~(Z_LEN_MASK << Z_LEN_SHIFT)) |
		((uint64_t)n << Z_LEN_SHIFT);
}

/* Once a string is full, later letters are dropped without more work. */
static void
zeek_append(struct fc_history *h, unsigned int code)
{
	unsigned int n = zlen(h);

	if (h->w[0] & Z_TRUNC)
		return;
	if (n >= FC_HISTORY_ZEEK_LEN ||
	    (n >= FC_HISTORY_ZEEK_CORE && ext(h) == NULL)) {
		h->w[0] |= Z_TRUNC;
		return;
	}
	zput(h, n, code);
	zset_len(h, n + 1);
}

static void
fs_append(struct fc_history *h, unsigned int code)
{
	unsigned int n = flen(h);

	if (n >= FC_HISTORY_FS_LEN) {
		h->w[1] |= F_TRUNC;
		return;
	}
	h->w[1] = (h->w[1] & ~((uint64_t)F_MASK << (n * F_BITS)) &
		   ~(F_LEN_MASK << F_LEN_SHIFT)) |
		((uint64_t)code << (n * F_BITS)) |
		((uint64_t)(n + 1) << F_LEN_SHIFT);
}

void
fc_history_init(struct fc_history *h)
{
	memset(&h->own_w, 0, sizeof(h->own_w));
	memset(&h->own_x, 0, sizeof(h->own_x));
	fc_history_attach(h, &h->own_w, &h->own_x, NULL, NULL);
	h->zbuf[0] = '\0';
	h->fbuf[0] = '\0';
}

unsigned int
fc_history_flags(const struct fc_history *h)
{
	return ((h->w[0] & Z_TRUNC) ? FC_HISTORY_F_TRUNC : 0) |
		((h->w[1] & F_TRUNC) ? FC_HISTORY_F_FS_TRUNC : 0) |
		((h->w[1] & F_LOST) ? FC_HISTORY_F_LOST : 0);
}

unsigned int
fc_history_zeek_len(const struct fc_history *h)
{
	return zlen(h);
}

unsigned int
fc_history_seen(const struct fc_history *h, unsigned int side)
{
	return seen_bits(h, side & 1);
}

void
fc_history_add(struct fc_history *h, unsigned int side,
	       enum fc_history_letter l)
{
	if ((unsigned int)l >= FC_HIST_MAX)
		return;
	zeek_append(h, zcode(l, side & 1));
}

int
fc_history_once(struct fc_history *h, unsigned int side,
		enum fc_history_letter l)
{
	unsigned int bit, seen;

	if ((unsigned int)l >= FC_HIST_MAX ||
	    (hist_kind[l] != FC_HIST_K_ONCE && hist_kind[l] != FC_HIST_K_SEQ))
		return 0;
	side &= 1;
	bit = 1u << hist_slot[l];
	seen = seen_bits(h, side);
	if (seen & bit)
		return 0;
	seen_set(h, side, seen | bit);
	zeek_append(h, zcode(l, side));
	return 1;
}

int
fc_history_seq(struct fc_history *h, unsigned int side,
	       enum fc_history_letter l, int seq_differs)
{
	if (fc_history_once(h, side, l))
		return 1;
	if (!seq_differs || (unsigned int)l >= FC_HIST_MAX ||
	    hist_kind[l] != FC_HIST_K_SEQ)
		return 0;
	zeek_append(h, zcode(l, side & 1));
	return 1;
}

int
fc_history_rst(struct fc_history *h, unsigned int side, uint16_t rel)
{
	struct fc_history_ext *x;
	int differs;

	side &= 1;
	x = ext(h);
	/*
	 * The sequence of the endpoint's previous RST lives in the extension;
	 * without one a second RST cannot be compared and is not a repeat.
	 */
	differs = x != NULL && x->rst_seq[side] != rel;
	if (x == NULL && (seen_bits(h, side) & (1u << hist_slot[FC_HIST_RST])))
		h->w[1] |= F_LOST;
	if (x != NULL)
		x->rst_seq[side] = rel;
	return fc_history_seq(h, side, FC_HIST_RST, differs);
}

int
fc_history_count(struct fc_history *h, unsigned int side,
		 enum fc_history_letter l)
{
	struct fc_history_ext *x;
	uint16_t *n;
	unsigned int i;

	if ((unsigned int)l >= FC_HIST_MAX || hist_kind[l] != FC_HIST_K_LOG)
		return 0;
	side &= 1;
	x = ext(h);
	if (x == NULL) {
		/* Nowhere to count: this letter may be missing. */
		h->w[1] |= F_LOST;
		return 0;
	}
	n = &x->cnt[side][hist_slot[l]];
	if (*n == UINT16_MAX)
		return 0;
	(*n)++;
	for (i = 0; i < FC_DIM(log_marks); i++) {
		if (*n == log_marks[i]) {
			zeek_append(h, zcode(l, side));
			return 1;
		}
	}
	return 0;
}

void
fc_history_fs_packet(struct fc_history *h, unsigned int side,
		     uint8_t tcp_flags, uint32_t payload_len)
{
	const unsigned int c = (side & 1) ? F_RESP : 0;

	if (!(tcp_flags & (FC_TCP_SYN | FC_TCP_FIN | FC_TCP_RST)) &&
	    payload_len == 0)
		return;
	if (flen(h) >= FC_HISTORY_FS_LEN) {
		h->w[1] |= F_TRUNC;
		return;
	}
	if (tcp_flags & FC_TCP_SYN)
		fs_append(h, 0 | c);
	if (tcp_flags & FC_TCP_FIN)
		fs_append(h, 1 | c);
	if (tcp_flags & FC_TCP_RST)
		fs_append(h, 2 | c);
	if (payload_len > 0)
		fs_append(h, 3 | c);
}

/* Move the per-endpoint state with its endpoint; keep fs upper case = originator. */
static void
swap_endpoints(struct fc_history *h)
{
	unsigned int i, n = flen(h);

	if (h->x != NULL) {
		struct fc_history_ext *x = h->x;
		uint16_t t;

		for (i = 0; i < FC_HISTORY_NCOUNT; i++) {
			t = x->cnt[0][i];
			x->cnt[0][i] = x->cnt[1][i];
			x->cnt[1][i] = t;
		}
		t = x->rst_seq[0];
		x->rst_seq[0] = x->rst_seq[1];
		x->rst_seq[1] = t;
	}
	for (i = 0; i < n; i++)
		h->w[1] ^= (uint64_t)F_RESP << (i * F_BITS);
}

void
fc_history_flip(struct fc_history *h)
{
	swap_endpoints(h);
	zeek_append(h, FC_HIST_FLIP);
}

void
fc_history_flip_retro(struct fc_history *h)
{
	unsigned int n = zlen(h), i, s0, s1;
	unsigned int codes[FC_HISTORY_ZEEK_LEN];

	swap_endpoints(h);
	s0 = seen_bits(h, 0);
	s1 = seen_bits(h, 1);
	seen_set(h, 0, s1);
	seen_set(h, 1, s0);
	for (i = 0; i < n; i++)
		codes[i] = zget(h, i);
	/* '^' goes first; the rest moves up one place (the last may fall off). */
	if (n + 1 > FC_HISTORY_ZEEK_LEN ||
	    (n + 1 > FC_HISTORY_ZEEK_CORE && ext(h) == NULL)) {
		n--;
		h->w[0] |= Z_TRUNC;
	}
	zput(h, 0, FC_HIST_FLIP);
	for (i = 0; i < n; i++) {
		unsigned int c = codes[i];

		if ((c & ~Z_RESP) != FC_HIST_FLIP)
			c ^= Z_RESP;
		zput(h, i + 1, c);
	}
	zset_len(h, n + 1);
}

unsigned int
fc_history_zeek_to(const struct fc_history *h, char *dst, size_t cap)
{
	unsigned int n = zlen(h), i;

	if (cap == 0)
		return 0;
	if (n > cap - 1)
		n = (unsigned int)(cap - 1);
	for (i = 0; i < n; i++)
		dst[i] = zchar(zget(h, i));
	dst[n] = '\0';
	return n;
}

unsigned int
fc_history_fs_to(const struct fc_history *h, char *dst, size_t cap)
{
	unsigned int n = flen(h), i;

	if (cap == 0)
		return 0;
	if (n > cap - 1)
		n = (unsigned int)(cap - 1);
	for (i = 0; i < n; i++)
		dst[i] = fs_char[(h->w[1] >> (i * F_BITS)) & F_MASK];
	dst[n] = '\0';
	return n;
}

const char *
fc_history_zeek(struct fc_history *h)
{
	fc_history_zeek_to(h, h->zbuf, sizeof(h->zbuf));
	return h->zbuf;
}

const char *
fc_history_fs(struct fc_history *h)
{
	fc_history_fs_to(h, h->fbuf, sizeof(h->fbuf));
	return h->fbuf;
}

char
fc_history_letter_char(unsigned int l)
{
	return l < FC_HIST_MAX ? hist_char[l] : '?';
}

const char *
fc_history_letter_desc(unsigned int l)
{
	return l < FC_HIST_MAX ? hist_desc[l] : "?";
}
