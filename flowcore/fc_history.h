/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Connection history strings, in two alphabets, for one flow.
 *
 *  - `history`: Zeek's conn.log alphabet and rules. Upper case is the
 *    originator, lower case the responder. a/d/i/q are recorded once per
 *    direction; s/h/f/r again only when their sequence number differs from
 *    the previous packet of that kind (the caller decides, see
 *    fc_history_seq()); c/g/t/w are logarithmic: the letter is appended at
 *    the 1st, 10th, 100th, ... event of that kind on that endpoint; '^'
 *    marks a role flip.
 *  - `fs_history`: the flowscope alphabet: S (SYN), F (FIN), R (RST),
 *    D (payload), upper case = originator, appended in that order for every
 *    packet, no repeat suppression, at most 16 characters (truncation).
 *
 * Both strings are stored packed: 5 bits per Zeek letter, 3 bits per
 * flowscope letter. The first ten Zeek letters, all flowscope letters and
 * the once-bits fit in two words of the flow record (struct
 * fc_history_core); the rare rest (Zeek letters eleven to twenty-two, the
 * c/g/t/w counters, the last RST sequence) lives in a 32-byte extension
 * (struct fc_history_ext) that the flow gets on first need. A letter that
 * does not fit any more is dropped (FC_HISTORY_F_TRUNC); one that needs an
 * extension when none can be had (a counted or repeated letter) is
 * dropped and flagged (FC_HISTORY_F_LOST), and the letters after it are
 * still recorded. fc_history_zeek() and fc_history_fs()
 * render the strings into the view.
 *
 * TCP letters are produced by fc_tcp_update(); the tracker uses the same
 * calls for UDP ('D'/'d' via fc_history_once()) and may feed checksum
 * errors ('C'/'c' via fc_history_count()).
 *
 * Thread-safety: plain data, one writer (the lcore owning the flow).
 */
#ifndef FC_HISTORY_H
#define FC_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "fc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Zeek history letters kept in the flow record itself. */
#define FC_HISTORY_ZEEK_CORE 10
/** Zeek history letters kept in the history extension (after the core ones). */
#define FC_HISTORY_ZEEK_EXT 12
/** Most Zeek history letters stored (Zeek itself has no cap). */
#define FC_HISTORY_ZEEK_LEN (FC_HISTORY_ZEEK_CORE + FC_HISTORY_ZEEK_EXT)
/** Most flowscope history letters stored (flowscope's ArrayString<16>). */
#define FC_HISTORY_FS_LEN 16

/** How a Zeek history letter repeats. */
enum fc_history_kind {
	FC_HIST_K_ONCE = 0, /**< once per direction (a d i q) */
	FC_HIST_K_SEQ,      /**< again when the sequence number differs (s h f r) */
	FC_HIST_K_LOG,      /**< at the 1st, 10th, 100th ... event (c g t w) */
	FC_HIST_K_MARK,     /**< every time, no case (^) */
};

/**
 * The Zeek history letters: X(prefix, name, originator letter, kind,
 * slot, description). slot is the once-bit for ONCE/SEQ letters (SYN and
 * SYN-ACK share Zeek's "SYN packet" bit) and the counter index for LOG
 * letters. One list drives the enum, the letter table and the docs.
 */
#define FC_HISTORY_LETTERS(X) \
	X(FC_HIST_, SYN,    'S', FC_HIST_K_SEQ,  0, "SYN without ACK") \
	X(FC_HIST_, SYNACK, 'H', FC_HIST_K_SEQ,  0, "SYN with ACK (handshake)") \
	X(FC_HIST_, ACK,    'A', FC_HIST_K_ONCE, 1, "pure ACK") \
	X(FC_HIST_, DATA,   'D', FC_HIST_K_ONCE, 2, "packet with payload") \
	X(FC_HIST_, FIN,    'F', FC_HIST_K_SEQ,  3, "FIN") \
	X(FC_HIST_, RST,    'R', FC_HIST_K_SEQ,  4, "RST") \
	X(FC_HIST_, INCONS, 'I', FC_HIST_K_ONCE, 5, "inconsistent flags: FIN+RST") \
	X(FC_HIST_, MULTI,  'Q', FC_HIST_K_ONCE, 6, "multi-flag: SYN+FIN, SYN+RST") \
	X(FC_HIST_, CSUM,   'C', FC_HIST_K_LOG,  0, "bad checksum") \
	X(FC_HIST_, GAP,    'G', FC_HIST_K_LOG,  1, "content gap") \
	X(FC_HIST_, RXMIT,  'T', FC_HIST_K_LOG,  2, "retransmitted payload") \
	X(FC_HIST_, ZWIN,   'W', FC_HIST_K_LOG,  3, "zero window advertised") \
	X(FC_HIST_, FLIP,   '^', FC_HIST_K_MARK, 0, "originator and responder flipped")

/** Zeek history letters (FC_HIST_SYN, ...). */
enum fc_history_letter {
	FC_HISTORY_LETTERS(FC_X_ENUM)
	FC_HIST_MAX
};

/** Number of logarithmic counters per endpoint (c g t w). */
#define FC_HISTORY_NCOUNT 4

/** fc_history_flags() bits. */
#define FC_HISTORY_F_TRUNC    0x01 /**< a Zeek letter was dropped (full, or no extension to hold it) */
#define FC_HISTORY_F_FS_TRUNC 0x02 /**< a flowscope letter was dropped */
#define FC_HISTORY_F_LOST     0x04 /**< a c/g/t/w or repeated r letter may be missing: no extension to count in */

/**
 * The part of a history that lives in the flow record: two packed words,
 * 16 bytes.
 *
 *  - w[0]: Zeek letters 0..9 (5 bits each: letter | 0x10 for the
 *    responder), bits 50-54 the Zeek length (core + extension), bit 55
 *    FC_HISTORY_F_TRUNC, bits 56-62 the originator role's once-bits;
 *  - w[1]: flowscope letters 0..15 (3 bits each: S F R D = 0..3, | 4 for
 *    the responder), bits 48-52 the length, bit 53 FC_HISTORY_F_FS_TRUNC,
 *    bits 54-60 the responder role's once-bits, bit 61
 *    FC_HISTORY_F_LOST.
 *
 * All-zero is the empty history.
 */
struct fc_history_core {
	uint64_t w[2];
};

/** Once-bits of a role read straight off the core words (see above). */
static inline unsigned int
fc_history_core_seen(const struct fc_history_core *c, unsigned int side)
{
	return (unsigned int)((side & 1) ? c->w[1] >> 54 : c->w[0] >> 56) & 0x7f;
}

/**
 * What few flows need: Zeek letters beyond the tenth, the c/g/t/w
 * counters and the sequence of each endpoint's last RST. 32 bytes, in the
 * flow's extension record, attached on first need.
 */
struct fc_history_ext {
	uint64_t zeek;      /**< Zeek letters 10..21, 5 bits each */
	/** c g t w events per endpoint (saturating at 65535) */
	uint16_t cnt[2][FC_HISTORY_NCOUNT];
	/** low 16 bits of the relative sequence of each endpoint's last RST */
	uint16_t rst_seq[2];
	uint8_t pad[4];
};
static_assert(sizeof(struct fc_history_ext) == 32, "history extension is 32 bytes");

/** Gets a flow's history extension on first need; NULL when none is available. */
typedef struct fc_history_ext *fc_history_more_fn(void *arg);

/**
 * A working view of one flow's history: the two core words (in the flow
 * record, or in the view itself after fc_history_init()), the extension if
 * the flow has one, and how to get one. The tracker builds a view around
 * a flow record for each packet with fc_history_attach(); a standalone
 * history (tests, tools) is one fc_history_init() call, and then has all
 * its storage inside the view.
 *
 * Sides are originator-relative: 0 = originator, 1 = responder. Per
 * endpoint state (counters, last RST) moves with the endpoint on a flip;
 * the once-bits stay with the role, as Zeek's do.
 *
 * Thread-safety: plain data, one writer (the lcore owning the flow).
 */
struct fc_history {
	uint64_t *w;                  /**< the core words (struct fc_history_core.w) */
	struct fc_history_ext *x;     /**< the extension, NULL until needed */
	fc_history_more_fn *more;     /**< gets x on demand; NULL = never */
	void *more_arg;               /**< argument of more */
	struct fc_history_core own_w; /**< storage of a standalone history */
	struct fc_history_ext own_x;  /**< storage of a standalone history */
	char zbuf[FC_HISTORY_ZEEK_LEN + 1]; /**< fc_history_zeek() renders here */
	char fbuf[FC_HISTORY_FS_LEN + 1];   /**< fc_history_fs() renders here */
};

/**
 * Make h a view of a flow record's history.
 *
 * @param[out] h     the view
 * @param[in]  core  the record's core words (zeroed when the flow was created)
 * @param[in]  x     the record's extension, or NULL
 * @param[in]  more  gets an extension when the history first needs one (may be NULL)
 * @param[in]  arg   argument of more
 */
static inline void
fc_history_attach(struct fc_history *h, struct fc_history_core *core,
		  struct fc_history_ext *x, fc_history_more_fn *more, void *arg)
{
	h->w = core->w;
	h->x = x;
	h->more = more;
	h->more_arg = arg;
}

/**
 * Make h a standalone, empty history with its own storage (core words and
 * extension inside the view). Cannot fail.
 *
 * @param[out] h  history to initialise
 */
void fc_history_init(struct fc_history *h);

/** FC_HISTORY_F_* bits of a history. */
unsigned int fc_history_flags(const struct fc_history *h);

/** Number of Zeek letters stored. */
unsigned int fc_history_zeek_len(const struct fc_history *h);

/** Once-bits of a role (bit per letter slot). */
unsigned int fc_history_seen(const struct fc_history *h, unsigned int side);

/**
 * Record a once-per-direction letter (a d i q, or the first s h f r).
 *
 * @param[in,out] h     history
 * @param[in]     side  0 = originator (upper case), 1 = responder
 * @param[in]     l     letter; its once-bit decides
 * @return 1 if the letter was new for this direction (and appended, if
 *         there was room), 0 if it had been seen.
 */
int fc_history_once(struct fc_history *h, unsigned int side,
		    enum fc_history_letter l);

/**
 * Record a letter with Zeek's s/h/f/r rule: appended the first time for
 * this direction, and again whenever the caller says the sequence number
 * differs from the previous packet of the same kind.
 *
 * @param[in,out] h            history
 * @param[in]     side         0 = originator, 1 = responder
 * @param[in]     l            FC_HIST_SYN, SYNACK, FIN or RST
 * @param[in]     seq_differs  non-zero if the sequence number differs
 * @return 1 if a letter was appended (or would have been, when full).
 */
int fc_history_seq(struct fc_history *h, unsigned int side,
		   enum fc_history_letter l, int seq_differs);

/**
 * Record a RST with Zeek's r rule: the first one of the direction, and
 * again when its relative sequence (low 16 bits) differs from the
 * endpoint's previous RST. The previous sequence lives in the extension
 * (got on demand); without one a later RST is not a repeat.
 *
 * @param[in,out] h     history
 * @param[in]     side  0 = originator, 1 = responder
 * @param[in]     rel   sequence of the RST relative to the endpoint's start
 * @return 1 if a letter was appended (or would have been, when full).
 */
int fc_history_rst(struct fc_history *h, unsigned int side, uint16_t rel);

/**
 * Count one event of a logarithmic letter (c g t w) for an endpoint. The
 * letter is appended when the endpoint's count reaches 1, 10, 100, 1000
 * or 10000; counts saturate at 65535.
 *
 * @param[in,out] h     history
 * @param[in]     side  0 = originator, 1 = responder
 * @param[in]     l     FC_HIST_CSUM, GAP, RXMIT or ZWIN
 * @return 1 if a letter was appended (or would have been, when full).
 */
int fc_history_count(struct fc_history *h, unsigned int side,
		     enum fc_history_letter l);

/**
 * Append a letter unconditionally (case from side; '^' has none).
 *
 * @param[in,out] h     history
 * @param[in]     side  0 = originator, 1 = responder
 * @param[in]     l     letter; out-of-range values are ignored
 */
void fc_history_add(struct fc_history *h, unsigned int side,
		    enum fc_history_letter l);

/**
 * Append the flowscope letters of one packet: S if SYN, F if FIN, R if
 * RST, D if payload_len > 0, in that order, upper case for side 0.
 *
 * @param[in,out] h            history
 * @param[in]     side         0 = originator, 1 = responder
 * @param[in]     tcp_flags    FC_TCP_* bits of the packet (0 for non-TCP)
 * @param[in]     payload_len  L4 payload length per the headers
 */
void fc_history_fs_packet(struct fc_history *h, unsigned int side,
			  uint8_t tcp_flags, uint32_t payload_len);

/**
 * The roles flipped (Zeek's Connection::FlipRoles): append '^', move the
 * per-endpoint counters with their endpoints, and swap the case of the
 * flowscope letters so that upper case stays the originator. Zeek's
 * letters recorded so far keep their case.
 *
 * @param[in,out] h  history
 */
void fc_history_flip(struct fc_history *h);

/**
 * The roles flipped and the flip is to be read as if it had happened
 * before the first packet (Zeek's flip of a flow that began with a
 * SYN-ACK, on its next ACK or data packet): the Zeek string becomes
 * '^' followed by the case-swapped old string, and the once-bits move too.
 * A full string drops its last letter to make room.
 *
 * @param[in,out] h  history
 */
void fc_history_flip_retro(struct fc_history *h);

/**
 * Zeek history string.
 *
 * @param[in] h  history (its render buffer is written)
 * @return NUL-terminated string inside the view (valid until the next
 *         call on h).
 */
const char *fc_history_zeek(struct fc_history *h);

/**
 * flowscope history string.
 *
 * @param[in] h  history (its render buffer is written)
 * @return NUL-terminated string inside the view (valid until the next
 *         call on h).
 */
const char *fc_history_fs(struct fc_history *h);

/**
 * Zeek history string written straight into a caller's buffer (the
 * history is left as it is): at most cap - 1 letters, NUL-terminated.
 * @return the letters written (0 if cap is 0: nothing written).
 */
unsigned int fc_history_zeek_to(const struct fc_history *h, char *dst,
				size_t cap);

/** flowscope history string into a caller's buffer, as fc_history_zeek_to(). */
unsigned int fc_history_fs_to(const struct fc_history *h, char *dst,
			      size_t cap);

/** Originator (upper-case) character of a letter; '?' if out of range. */
char fc_history_letter_char(unsigned int l);

/** Description of a letter; "?" if out of range. */
const char *fc_history_letter_desc(unsigned int l);

#ifdef __cplusplus
}
#endif

#endif /* FC_HISTORY_H */
