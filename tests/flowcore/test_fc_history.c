/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of fc_history: Zeek's letter rules (once per direction,
 * repeat on a new sequence number, logarithmic counters, '^' on a flip,
 * the retroactive flip of a SYN-ACK-first flow), flowscope's S/F/R/D
 * alphabet with its 16-character cap, and the X-macro letter table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fc_history.h"
#include "fc_pkt.h"
#include "eal.h"

enum { ORIG = 0, RESP = 1 };

/* init: both strings empty, NUL-terminated, nothing counted. */
static void
test_history_init_empty(void **state)
{
	struct fc_history h;

	(void)state;
	memset(&h, 0xa5, sizeof(h));
	fc_history_init(&h);
	assert_string_equal(fc_history_zeek(&h), "");
	assert_string_equal(fc_history_fs(&h), "");
	assert_int_equal(fc_history_flags(&h), 0);
	assert_int_equal(fc_history_seen(&h, 0) | fc_history_seen(&h, 1), 0);
	assert_int_equal(sizeof(struct fc_history_core), 16);
	assert_int_equal(sizeof(struct fc_history_ext), 32);
}

/* A A a D d d I Q q: a/d/i/q at most once per direction. */
static void
test_history_once_per_direction(void **state)
{
	struct fc_history h;

	(void)state;
	fc_history_init(&h);
	assert_int_equal(fc_history_once(&h, ORIG, FC_HIST_ACK), 1);
	assert_int_equal(fc_history_once(&h, ORIG, FC_HIST_ACK), 0);
	assert_int_equal(fc_history_once(&h, RESP, FC_HIST_ACK), 1);
	assert_int_equal(fc_history_once(&h, ORIG, FC_HIST_DATA), 1);
	assert_int_equal(fc_history_once(&h, RESP, FC_HIST_DATA), 1);
	assert_int_equal(fc_history_once(&h, RESP, FC_HIST_DATA), 0);
	assert_int_equal(fc_history_once(&h, ORIG, FC_HIST_INCONS), 1);
	assert_int_equal(fc_history_once(&h, ORIG, FC_HIST_MULTI), 1);
	assert_int_equal(fc_history_once(&h, RESP, FC_HIST_MULTI), 1);
	assert_int_equal(fc_history_once(&h, RESP, FC_HIST_MULTI), 0);
	assert_string_equal(fc_history_zeek(&h), "AaDdIQq");
	/* Counted and mark letters have no once-bit. */
	assert_int_equal(fc_history_once(&h, ORIG, FC_HIST_RXMIT), 0);
	assert_int_equal(fc_history_once(&h, ORIG, FC_HIST_FLIP), 0);
	assert_string_equal(fc_history_zeek(&h), "AaDdIQq");
}

/*
 * S (first), S same seq (no), S new seq (yes), H shares the SYN bit,
 * F/R the same way, per direction.
 */
static void
test_history_seq_repeat_rule(void **state)
{
	struct fc_history h;

	(void)state;
	fc_history_init(&h);
	assert_int_equal(fc_history_seq(&h, ORIG, FC_HIST_SYN, 0), 1);
	assert_int_equal(fc_history_seq(&h, ORIG, FC_HIST_SYN, 0), 0);
	assert_int_equal(fc_history_seq(&h, ORIG, FC_HIST_SYN, 1), 1);
	assert_int_equal(fc_history_seq(&h, RESP, FC_HIST_SYNACK, 0), 1);
	assert_int_equal(fc_history_seq(&h, RESP, FC_HIST_SYNACK, 0), 0);
	/* One SYN bit: a SYN-ACK after a SYN from the same side is a repeat. */
	assert_int_equal(fc_history_seq(&h, ORIG, FC_HIST_SYNACK, 0), 0);
	assert_int_equal(fc_history_seq(&h, ORIG, FC_HIST_FIN, 0), 1);
	assert_int_equal(fc_history_seq(&h, ORIG, FC_HIST_FIN, 0), 0);
	assert_int_equal(fc_history_seq(&h, ORIG, FC_HIST_FIN, 1), 1);
	assert_int_equal(fc_history_seq(&h, RESP, FC_HIST_RST, 1), 1);
	assert_int_equal(fc_history_seq(&h, RESP, FC_HIST_RST, 0), 0);
	assert_string_equal(fc_history_zeek(&h), "SShFFr");
	/* Not a SEQ letter: no repeat even when told the sequence differs. */
	assert_int_equal(fc_history_seq(&h, ORIG, FC_HIST_ACK, 1), 1);
	assert_int_equal(fc_history_seq(&h, ORIG, FC_HIST_ACK, 1), 0);
	assert_string_equal(fc_history_zeek(&h), "SShFFrA");
}

/* t counted 1..10000+: letters at 1, 10, 100, 1000, 10000; saturation. */
static void
test_history_log_counts(void **state)
{
	struct fc_history h;
	unsigned int i, letters = 0;

	(void)state;
	fc_history_init(&h);
	for (i = 1; i <= 70000; i++) {
		int r = fc_history_count(&h, RESP, FC_HIST_RXMIT);

		letters += r;
		if (i == 1 || i == 10 || i == 100 || i == 1000 || i == 10000)
			assert_int_equal(r, 1);
		else
			assert_int_equal(r, 0);
	}
	assert_int_equal(letters, 5);
	assert_string_equal(fc_history_zeek(&h), "ttttt");
	assert_int_equal(h.x->cnt[RESP][2], UINT16_MAX);
	/* Per endpoint and per letter. */
	assert_int_equal(fc_history_count(&h, ORIG, FC_HIST_RXMIT), 1);
	assert_int_equal(fc_history_count(&h, ORIG, FC_HIST_GAP), 1);
	assert_int_equal(fc_history_count(&h, ORIG, FC_HIST_ZWIN), 1);
	assert_int_equal(fc_history_count(&h, RESP, FC_HIST_CSUM), 1);
	assert_string_equal(fc_history_zeek(&h), "tttttTGWc");
	/* Not a counted letter. */
	assert_int_equal(fc_history_count(&h, ORIG, FC_HIST_ACK), 0);
}

/* S h T then flip: "ShT^"; flowscope letters change case; counters move. */
static void
test_history_flip(void **state)
{
	struct fc_history h;

	(void)state;
	fc_history_init(&h);
	fc_history_seq(&h, ORIG, FC_HIST_SYN, 0);
	fc_history_fs_packet(&h, ORIG, FC_TCP_SYN, 0);
	fc_history_seq(&h, RESP, FC_HIST_SYNACK, 0);
	fc_history_fs_packet(&h, RESP, FC_TCP_SYN | FC_TCP_ACK, 0);
	fc_history_count(&h, ORIG, FC_HIST_RXMIT);
	h.x->rst_seq[0] = 7;
	fc_history_flip(&h);
	assert_string_equal(fc_history_zeek(&h), "ShT^");
	assert_string_equal(fc_history_fs(&h), "sS");
	assert_int_equal(h.x->cnt[RESP][2], 1);
	assert_int_equal(h.x->cnt[ORIG][2], 0);
	assert_int_equal(h.x->rst_seq[1], 7);
	/* Once-bits stay with the role, as in Zeek. */
	assert_int_equal(fc_history_seq(&h, ORIG, FC_HIST_SYN, 0), 0);
	assert_int_equal(fc_history_seq(&h, RESP, FC_HIST_SYN, 0), 0);
}

/* H then retro flip: "^h"; the once-bits move with the endpoint. */
static void
test_history_flip_retro(void **state)
{
	struct fc_history h;

	(void)state;
	fc_history_init(&h);
	fc_history_seq(&h, ORIG, FC_HIST_SYNACK, 0);
	fc_history_fs_packet(&h, ORIG, FC_TCP_SYN | FC_TCP_ACK, 0);
	fc_history_flip_retro(&h);
	assert_string_equal(fc_history_zeek(&h), "^h");
	assert_string_equal(fc_history_fs(&h), "s");
	assert_int_equal(fc_history_seq(&h, RESP, FC_HIST_SYNACK, 0), 0);
	assert_int_equal(fc_history_once(&h, ORIG, FC_HIST_ACK), 1);
	assert_string_equal(fc_history_zeek(&h), "^hA");

	/* A full string loses its last letter to the '^'. */
	fc_history_init(&h);
	while (strlen(fc_history_zeek(&h)) < FC_HISTORY_ZEEK_LEN)
		fc_history_add(&h, ORIG, FC_HIST_DATA);
	fc_history_flip_retro(&h);
	assert_int_equal(strlen(fc_history_zeek(&h)), FC_HISTORY_ZEEK_LEN);
	assert_int_equal(fc_history_zeek(&h)[0], '^');
	assert_int_equal(fc_history_zeek(&h)[1], 'd');
	assert_true(fc_history_flags(&h) & FC_HISTORY_F_TRUNC);
}

/* SYN, SYN-ACK, data each way, FIN each way: "SsDdFf" (flowscope's test). */
static void
test_history_fs_alphabet(void **state)
{
	struct fc_history h;

	(void)state;
	fc_history_init(&h);
	fc_history_fs_packet(&h, ORIG, FC_TCP_SYN, 0);
	fc_history_fs_packet(&h, RESP, FC_TCP_SYN | FC_TCP_ACK, 0);
	fc_history_fs_packet(&h, ORIG, FC_TCP_ACK, 0);
	fc_history_fs_packet(&h, ORIG, FC_TCP_ACK | FC_TCP_PSH, 10);
	fc_history_fs_packet(&h, RESP, FC_TCP_ACK | FC_TCP_PSH, 20);
	fc_history_fs_packet(&h, ORIG, FC_TCP_FIN | FC_TCP_ACK, 0);
	fc_history_fs_packet(&h, RESP, FC_TCP_FIN | FC_TCP_ACK, 0);
	assert_string_equal(fc_history_fs(&h), "SsDdFf");
	/* Fixed order S F R D inside one packet, no suppression. */
	fc_history_fs_packet(&h, RESP,
			     FC_TCP_SYN | FC_TCP_FIN | FC_TCP_RST, 1);
	assert_string_equal(fc_history_fs(&h), "SsDdFfsfrd");
	/* Nothing for an empty ACK. */
	fc_history_fs_packet(&h, ORIG, FC_TCP_ACK, 0);
	assert_string_equal(fc_history_fs(&h), "SsDdFfsfrd");
}

/* 20 data packets: 16 letters kept, the rest dropped and flagged. */
static void
test_history_fs_truncation(void **state)
{
	struct fc_history h;
	unsigned int i;

	(void)state;
	fc_history_init(&h);
	for (i = 0; i < 20; i++)
		fc_history_fs_packet(&h, i & 1, FC_TCP_ACK, 100);
	assert_string_equal(fc_history_fs(&h), "DdDdDdDdDdDdDdDd");
	assert_int_equal(strlen(fc_history_fs(&h)), FC_HISTORY_FS_LEN);
	assert_true(fc_history_flags(&h) & FC_HISTORY_F_FS_TRUNC);
	assert_false(fc_history_flags(&h) & FC_HISTORY_F_TRUNC);
	/* The Zeek string is untouched. */
	assert_string_equal(fc_history_zeek(&h), "");
}

/* More Zeek letters than fit: the string stays at the cap, NUL-terminated. */
static void
test_history_zeek_truncation(void **state)
{
	struct fc_history h;
	unsigned int i;

	(void)state;
	fc_history_init(&h);
	for (i = 0; i < 40; i++)
		fc_history_add(&h, i & 1, FC_HIST_FLIP);
	assert_int_equal(strlen(fc_history_zeek(&h)), FC_HISTORY_ZEEK_LEN);
	assert_true(fc_history_flags(&h) & FC_HISTORY_F_TRUNC);
	assert_int_equal(fc_history_zeek(&h)[FC_HISTORY_ZEEK_LEN], '\0');
	/* Out-of-range letters are ignored. */
	fc_history_add(&h, 0, FC_HIST_MAX);
	assert_int_equal(fc_history_once(&h, 0, FC_HIST_MAX), 0);
	assert_int_equal(fc_history_count(&h, 0, FC_HIST_MAX), 0);
}

/* The extension a flow record lends its history on demand. */
struct lend {
	struct fc_history_ext x;
	unsigned int calls;
	int refuse;
};

static struct fc_history_ext *
lend_ext(void *arg)
{
	struct lend *l = arg;

	l->calls++;
	return l->refuse ? NULL : &l->x;
}

/*
 * A record-backed view: ten letters fit in the core words; the eleventh,
 * a counted letter and a RST sequence get the extension, once; without an
 * extension to be had the history says it is truncated but keeps the
 * core letters.
 */
static void
test_history_core_and_extension(void **state)
{
	struct fc_history_core core;
	struct fc_history h;
	struct lend l;
	unsigned int i;

	(void)state;
	memset(&core, 0, sizeof(core));
	memset(&l, 0, sizeof(l));
	fc_history_attach(&h, &core, NULL, lend_ext, &l);
	fc_history_seq(&h, ORIG, FC_HIST_SYN, 0);
	fc_history_seq(&h, RESP, FC_HIST_SYNACK, 0);
	fc_history_once(&h, ORIG, FC_HIST_ACK);
	fc_history_once(&h, ORIG, FC_HIST_DATA);
	fc_history_once(&h, RESP, FC_HIST_DATA);
	for (i = 0; i < 16; i++)
		fc_history_fs_packet(&h, i & 1, FC_TCP_ACK, 1);
	assert_string_equal(fc_history_zeek(&h), "ShADd");
	assert_int_equal(l.calls, 0);
	assert_int_equal(fc_history_core_seen(&core, ORIG), fc_history_seen(&h, ORIG));
	assert_int_equal(fc_history_core_seen(&core, RESP), fc_history_seen(&h, RESP));
	assert_true(fc_history_core_seen(&core, RESP) & (1u << 2)); /* d */
	/* The words alone tell the whole story: a fresh view reads the same. */
	fc_history_attach(&h, &core, NULL, lend_ext, &l);
	assert_string_equal(fc_history_zeek(&h), "ShADd");
	assert_string_equal(fc_history_fs(&h), "DdDdDdDdDdDdDdDd");
	for (i = 0; i < 5; i++)
		fc_history_add(&h, ORIG, FC_HIST_FLIP);
	assert_int_equal(fc_history_zeek_len(&h), FC_HISTORY_ZEEK_CORE);
	assert_int_equal(l.calls, 0);
	fc_history_add(&h, RESP, FC_HIST_FIN);
	assert_int_equal(l.calls, 1);
	assert_string_equal(fc_history_zeek(&h), "ShADd^^^^^f");
	assert_int_equal(fc_history_count(&h, RESP, FC_HIST_RXMIT), 1);
	assert_int_equal(l.x.cnt[RESP][2], 1);
	assert_int_equal(fc_history_rst(&h, ORIG, 9), 1);
	assert_int_equal(fc_history_rst(&h, ORIG, 9), 0);
	assert_int_equal(fc_history_rst(&h, ORIG, 10), 1);
	assert_string_equal(fc_history_zeek(&h), "ShADd^^^^^ftRR");
	assert_int_equal(l.calls, 1);
	assert_int_equal(fc_history_flags(&h), 0);

	/* No extension to be had: what needs one is flagged, the rest goes on. */
	memset(&core, 0, sizeof(core));
	memset(&l, 0, sizeof(l));
	l.refuse = 1;
	fc_history_attach(&h, &core, NULL, lend_ext, &l);
	fc_history_seq(&h, ORIG, FC_HIST_SYN, 0);
	assert_int_equal(fc_history_count(&h, ORIG, FC_HIST_RXMIT), 0);
	assert_int_equal(fc_history_flags(&h), FC_HISTORY_F_LOST);
	assert_int_equal(fc_history_rst(&h, ORIG, 3), 1);
	assert_int_equal(fc_history_rst(&h, ORIG, 4), 0);
	fc_history_once(&h, RESP, FC_HIST_ACK);
	assert_string_equal(fc_history_zeek(&h), "SRa");
	for (i = 0; i < 20; i++)
		fc_history_add(&h, ORIG, FC_HIST_FLIP);
	assert_int_equal(fc_history_zeek_len(&h), FC_HISTORY_ZEEK_CORE);
	assert_int_equal(fc_history_flags(&h),
			 FC_HISTORY_F_LOST | FC_HISTORY_F_TRUNC);
}

/* The X-macro table: Zeek's alphabet, distinct letters, descriptions. */
static void
test_history_letter_table(void **state)
{
	static const char alphabet[] = "SHADFRICGTWQ^";
	unsigned int i, j;

	(void)state;
	assert_int_equal(FC_HIST_MAX, 13);
	for (i = 0; i < FC_HIST_MAX; i++) {
		assert_non_null(strchr(alphabet, fc_history_letter_char(i)));
		assert_string_not_equal(fc_history_letter_desc(i), "?");
		for (j = i + 1; j < FC_HIST_MAX; j++)
			assert_int_not_equal(fc_history_letter_char(i),
					     fc_history_letter_char(j));
	}
	assert_int_equal(fc_history_letter_char(FC_HIST_MAX), '?');
	assert_string_equal(fc_history_letter_desc(FC_HIST_MAX), "?");
	assert_int_equal(fc_history_letter_char(FC_HIST_SYNACK), 'H');
	assert_int_equal(fc_history_letter_char(FC_HIST_RXMIT), 'T');
}

/* UDP use by the tracker: D d, then a creation flip: "^Dd" style. */
static void
test_history_udp(void **state)
{
	struct fc_history h;

	(void)state;
	fc_history_init(&h);
	fc_history_flip(&h);
	fc_history_once(&h, RESP, FC_HIST_DATA);
	fc_history_once(&h, RESP, FC_HIST_DATA);
	assert_string_equal(fc_history_zeek(&h), "^d");
	fc_history_once(&h, ORIG, FC_HIST_DATA);
	assert_string_equal(fc_history_zeek(&h), "^dD");
}

/*
 * The renderers into a caller's buffer: the same strings as
 * fc_history_zeek()/fc_history_fs() with room for them, cut to cap - 1
 * letters with less, nothing written with cap 0, the history unchanged.
 */
static void
test_history_render_to(void **state)
{
	struct fc_history h;
	char z[FC_HISTORY_ZEEK_LEN + 1], f[FC_HISTORY_FS_LEN + 1], small[4];
	char none = 'x';

	(void)state;
	fc_history_init(&h);
	assert_int_equal(fc_history_zeek_to(&h, z, sizeof(z)), 0);
	assert_string_equal(z, "");
	assert_int_equal(fc_history_fs_to(&h, f, sizeof(f)), 0);
	assert_string_equal(f, "");
	fc_history_seq(&h, ORIG, FC_HIST_SYN, 0);
	fc_history_seq(&h, RESP, FC_HIST_SYNACK, 0);
	fc_history_once(&h, ORIG, FC_HIST_ACK);
	fc_history_once(&h, ORIG, FC_HIST_DATA);
	fc_history_once(&h, RESP, FC_HIST_DATA);
	fc_history_seq(&h, ORIG, FC_HIST_FIN, 0);
	fc_history_fs_packet(&h, ORIG, FC_TCP_SYN, 0);
	fc_history_fs_packet(&h, RESP, FC_TCP_SYN | FC_TCP_ACK, 0);
	fc_history_fs_packet(&h, ORIG, FC_TCP_ACK, 10);
	fc_history_fs_packet(&h, RESP, FC_TCP_ACK, 10);
	fc_history_fs_packet(&h, ORIG, FC_TCP_FIN | FC_TCP_ACK, 0);
	assert_int_equal(fc_history_zeek_to(&h, z, sizeof(z)), 6);
	assert_string_equal(z, fc_history_zeek(&h));
	assert_string_equal(z, "ShADdF");
	assert_int_equal(fc_history_fs_to(&h, f, sizeof(f)), 5);
	assert_string_equal(f, fc_history_fs(&h));
	assert_string_equal(f, "SsDdF");
	assert_int_equal(fc_history_zeek_to(&h, small, sizeof(small)), 3);
	assert_string_equal(small, "ShA");
	assert_int_equal(fc_history_fs_to(&h, small, sizeof(small)), 3);
	assert_string_equal(small, "SsD");
	assert_int_equal(fc_history_zeek_to(&h, &none, 0), 0);
	assert_int_equal(fc_history_fs_to(&h, &none, 0), 0);
	assert_int_equal(none, 'x');
	/* Rendering took nothing away. */
	assert_string_equal(fc_history_zeek(&h), "ShADdF");
	assert_string_equal(fc_history_fs(&h), "SsDdF");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history_init_empty),
		cmocka_unit_test(test_history_once_per_direction),
		cmocka_unit_test(test_history_seq_repeat_rule),
		cmocka_unit_test(test_history_log_counts),
		cmocka_unit_test(test_history_flip),
		cmocka_unit_test(test_history_flip_retro),
		cmocka_unit_test(test_history_fs_alphabet),
		cmocka_unit_test(test_history_fs_truncation),
		cmocka_unit_test(test_history_zeek_truncation),
		cmocka_unit_test(test_history_core_and_extension),
		cmocka_unit_test(test_history_letter_table),
		cmocka_unit_test(test_history_udp),
		cmocka_unit_test(test_history_render_to),
	};

	return cmocka_run_group_tests(tests, fctest_eal_setup,
				      fctest_eal_teardown);
}
