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

static inline char
ascii_swapcase(char ch)
{
	if (ch >= 'a' && ch <= 'z')
		return (char)(ch - 'a' + 'A');
	if (ch >= 'A' && ch <= 'Z')
		return (char)(ch - 'A' + 'a');
	return ch;
}

static inline char
side_char(enum fc_history_letter l, unsigned int side)
{
	char ch = hist_char[l];

	if (side != 0 && ch >= 'A' && ch <= 'Z')
		ch = (char)(ch - 'A' + 'a');
	return ch;
}

/* Append ch to the NUL-terminated buffer s of capacity cap (+1 for NUL). */
static inline int
str_append(char *s, unsigned int cap, char ch)
{
	size_t n = strnlen(s, cap);

	if (n >= cap)
		return 0;
	s[n] = ch;
	s[n + 1] = '\0';
	return 1;
}

/* Once a string is full, later letters are dropped without a scan. */
static inline void
zeek_append(struct fc_history *h, char ch)
{
	if ((h->flags & FC_HISTORY_F_TRUNC) ||
	    !str_append(h->zeek, FC_HISTORY_ZEEK_LEN, ch))
		h->flags |= FC_HISTORY_F_TRUNC;
}

static inline void
fs_append(struct fc_history *h, char ch)
{
	if ((h->flags & FC_HISTORY_F_FS_TRUNC) ||
	    !str_append(h->fs, FC_HISTORY_FS_LEN, ch))
		h->flags |= FC_HISTORY_F_FS_TRUNC;
}

static void
swapcase_str(char *s)
{
	for (; *s != '\0'; s++)
		*s = ascii_swapcase(*s);
}

void
fc_history_init(struct fc_history *h)
{
	memset(h, 0, sizeof(*h));
}

void
fc_history_add(struct fc_history *h, unsigned int side,
	       enum fc_history_letter l)
{
	if ((unsigned int)l >= FC_HIST_MAX)
		return;
	zeek_append(h, side_char(l, side & 1));
}

int
fc_history_once(struct fc_history *h, unsigned int side,
		enum fc_history_letter l)
{
	uint8_t bit;

	if ((unsigned int)l >= FC_HIST_MAX ||
	    (hist_kind[l] != FC_HIST_K_ONCE && hist_kind[l] != FC_HIST_K_SEQ))
		return 0;
	side &= 1;
	bit = (uint8_t)(1u << hist_slot[l]);
	if (h->seen[side] & bit)
		return 0;
	h->seen[side] |= bit;
	zeek_append(h, side_char(l, side));
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
	zeek_append(h, side_char(l, side & 1));
	return 1;
}

int
fc_history_count(struct fc_history *h, unsigned int side,
		 enum fc_history_letter l)
{
	uint16_t *n;
	unsigned int i;

	if ((unsigned int)l >= FC_HIST_MAX || hist_kind[l] != FC_HIST_K_LOG)
		return 0;
	side &= 1;
	n = &h->cnt[side][hist_slot[l]];
	if (*n == UINT16_MAX)
		return 0;
	(*n)++;
	for (i = 0; i < FC_DIM(log_marks); i++) {
		if (*n == log_marks[i]) {
			zeek_append(h, side_char(l, side));
			return 1;
		}
	}
	return 0;
}

void
fc_history_fs_packet(struct fc_history *h, unsigned int side,
		     uint8_t tcp_flags, uint32_t payload_len)
{
	const int up = (side & 1) == 0;

	if (tcp_flags & FC_TCP_SYN)
		fs_append(h, up ? 'S' : 's');
	if (tcp_flags & FC_TCP_FIN)
		fs_append(h, up ? 'F' : 'f');
	if (tcp_flags & FC_TCP_RST)
		fs_append(h, up ? 'R' : 'r');
	if (payload_len > 0)
		fs_append(h, up ? 'D' : 'd');
}

/* Move the per-endpoint state with its endpoint. */
static void
swap_endpoints(struct fc_history *h)
{
	uint16_t t;
	unsigned int i;

	for (i = 0; i < FC_HISTORY_NCOUNT; i++) {
		t = h->cnt[0][i];
		h->cnt[0][i] = h->cnt[1][i];
		h->cnt[1][i] = t;
	}
	t = h->rst_seq[0];
	h->rst_seq[0] = h->rst_seq[1];
	h->rst_seq[1] = t;
	swapcase_str(h->fs);
}

void
fc_history_flip(struct fc_history *h)
{
	swap_endpoints(h);
	zeek_append(h, hist_char[FC_HIST_FLIP]);
}

void
fc_history_flip_retro(struct fc_history *h)
{
	size_t n = strnlen(h->zeek, FC_HISTORY_ZEEK_LEN);
	uint8_t b;

	swap_endpoints(h);
	b = h->seen[0];
	h->seen[0] = h->seen[1];
	h->seen[1] = b;
	if (n == FC_HISTORY_ZEEK_LEN) {
		n--; /* the last letter falls off to make room for '^' */
		h->flags |= FC_HISTORY_F_TRUNC;
	}
	memmove(h->zeek + 1, h->zeek, n);
	h->zeek[0] = hist_char[FC_HIST_FLIP];
	h->zeek[n + 1] = '\0';
	swapcase_str(h->zeek + 1);
}

const char *
fc_history_zeek(const struct fc_history *h)
{
	return h->zeek;
}

const char *
fc_history_fs(const struct fc_history *h)
{
	return h->fs;
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
