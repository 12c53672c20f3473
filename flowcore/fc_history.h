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
 * Both strings are stored NUL-terminated inside struct fc_history, so
 * fc_history_zeek() and fc_history_fs() return pointers into the struct:
 * valid while the struct lives and until the next call that modifies it.
 * A letter that does not fit any more is dropped (FC_HISTORY_F_TRUNC).
 *
 * TCP letters are produced by fc_tcp_update(); the tracker uses the same
 * calls for UDP ('D'/'d' via fc_history_once()) and may feed checksum
 * errors ('C'/'c' via fc_history_count()).
 *
 * Thread-safety: plain data, one writer (the lcore owning the flow).
 */
#ifndef FC_HISTORY_H
#define FC_HISTORY_H

#include <stdint.h>

#include "fc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most Zeek history letters stored (Zeek itself has no cap). */
#define FC_HISTORY_ZEEK_LEN 23
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

/** struct fc_history.flags bits. */
#define FC_HISTORY_F_TRUNC    0x01 /**< a Zeek letter was dropped */
#define FC_HISTORY_F_FS_TRUNC 0x02 /**< a flowscope letter was dropped */

/**
 * History of one flow ("cold" state: written on flag changes and rare
 * events, not on every data packet). 64 bytes, static_asserted.
 *
 * Sides are originator-relative: 0 = originator, 1 = responder. Per
 * endpoint fields (cnt, rst_seq) move with the endpoint on a flip; the
 * once-bits (seen) stay with the role, as Zeek's do.
 */
struct fc_history {
	char zeek[FC_HISTORY_ZEEK_LEN + 1]; /**< Zeek history, NUL-terminated */
	char fs[FC_HISTORY_FS_LEN + 1];     /**< flowscope history, NUL-terminated */
	uint8_t seen[2];     /**< once-bits (slot of ONCE/SEQ letters) per role */
	uint8_t flags;       /**< FC_HISTORY_F_* */
	/** c g t w events per endpoint (saturating at 65535) */
	uint16_t cnt[2][FC_HISTORY_NCOUNT];
	/** low 16 bits of the relative sequence of each endpoint's last RST */
	uint16_t rst_seq[2];
};
static_assert(sizeof(struct fc_history) == 64, "history is one cache line");

/**
 * Empty both strings and all counters. Cannot fail.
 *
 * @param[out] h  history to initialise
 */
void fc_history_init(struct fc_history *h);

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
 * @param[in] h  history
 * @return NUL-terminated string inside h (valid while h is unchanged).
 */
const char *fc_history_zeek(const struct fc_history *h);

/**
 * flowscope history string.
 *
 * @param[in] h  history
 * @return NUL-terminated string inside h (valid while h is unchanged).
 */
const char *fc_history_fs(const struct fc_history *h);

/** Originator (upper-case) character of a letter; '?' if out of range. */
char fc_history_letter_char(unsigned int l);

/** Description of a letter; "?" if out of range. */
const char *fc_history_letter_desc(unsigned int l);

#ifdef __cplusplus
}
#endif

#endif /* FC_HISTORY_H */
