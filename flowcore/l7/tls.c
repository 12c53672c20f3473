/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS session parser: record layer framing on both sides of a TCP flow,
 * ClientHello / ServerHello decoding with JA3, JA3S and JA4 fingerprints,
 * and plaintext alerts (RFC 5246, RFC 8446).
 *
 *     stream bytes -> records -> handshake messages -> client_hello
 *                                                   -> server_hello
 *                             -> alerts (plaintext)  -> alert
 *
 * HOW IT WORKS. Each side is a stream of records: a 5-byte header
 * (content type, version, length) and a payload. The parser consumes a
 * header as soon as it has it and remembers how much of that record's
 * payload is still to come (rec_left), so payload that is only skipped
 * (application data, certificates, encrypted records) is consumed in
 * whatever pieces TCP delivers and never buffered.
 *
 * Handshake records carry a second stream, the handshake messages
 * (4-byte header: type, 24-bit length), which may span records. Messages
 * other than the hellos are skipped by count (hs_left). A hello is needed
 * whole: at its first byte the parser stops consuming, so the engine keeps
 * the unconsumed tail, and parses it once every byte has arrived. The
 * bytes from the hello's first byte onwards may cross record headers
 * (a hello fragmented over several records); those are walked in place and
 * only then is the hello copied into a contiguous stack buffer. The tail
 * the engine keeps for a side is therefore at most the hello plus the
 * headers of the records it spans: max_tail is FC_L7_TAIL_MAX (16 KiB),
 * which holds any hello that fits one record (the record layer limit of
 * 2^14 bytes of plaintext) or a hello of 16384 - 5 * (n - 1) bytes over n
 * records. A longer hello is reported as an error rather than waited for.
 *
 * MEMORY. Per-flow state is a few counters per side (sizeof(struct
 * tls_state) = 28 bytes): nothing of the traffic is stored, and no
 * message is pending between calls (end() has nothing to flush).
 * Fingerprints are computed from the hello in place; a fragmented hello
 * is copied to a 16 KiB stack buffer and the JA4 sort uses a 16 KiB stack
 * array, so completing a hello takes about 36 KiB of stack. Digests go
 * through OpenSSL's EVP interface: one EVP_MD_CTX per hello (OpenSSL
 * allocates it and its digest state internally), four digests per flow,
 * only when a hello completes. The parser itself never allocates.
 *
 * GAPS. A hole inside payload that is skipped anyway (application data,
 * encrypted records, the body of a skipped handshake message within the
 * current record) is absorbed by count; a hole anywhere else (inside a
 * hello, across a record header) loses the framing: FC_L7_DETACH.
 *
 * END OF PARSING. A side turns "encrypted" at its first application_data
 * record, or at its ChangeCipherSpec unless TLS 1.3 was negotiated (there
 * the CCS is a compatibility no-op and a HelloRetryRequest may still be
 * followed by a plaintext hello). After that only record framing is
 * checked and payload skipped; alerts are no longer decoded. Once both
 * hellos have been seen and both sides are encrypted, nothing more can be
 * learnt and the parser returns FC_L7_DETACH.
 *
 * ERRORS. A record header that is not TLS (content type, version, length
 * over 2^14 + 2048, a plaintext CCS/alert/handshake record of impossible
 * length), a record of another type interrupting a handshake message,
 * and any length inside a hello that disagrees with its enclosing
 * structure give FC_L7_ERROR with a static reason. Bytes not yet
 * delivered give FC_L7_NEED_MORE (nothing consumed) or FC_L7_OK with a
 * partial count.
 *
 * FIELDS. Names follow Zeek's ssl.log and its ssl-log-ext policy where
 * they exist. Versions are rendered as Zeek prints them ("TLSv12",
 * "TLSv13", "TLSv13-draft23"), cipher suites, groups and alert
 * descriptions by their IANA names; an unknown value renders as
 * "unknown-0xNNNN" (alerts: "unknown-N"). Lists (client_ciphers,
 * ssl_client_exts, ...) are one string of 4-digit lower-case hex codes
 * in wire order, comma-separated, GREASE kept (the JA4 "raw original"
 * notation; point_formats use 2 digits).
 *
 * Thread-safety: per-flow state only; const tables; no globals.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include <openssl/evp.h>

#include "fc_l7.h"

/* Record layer (RFC 8446 5.1, RFC 5246 6.2). */
#define TLS_REC_HDR 5
#define TLS_REC_MAX (16384 + 2048)   /**< ciphertext limit, the largest legal record */
#define TLS_HS_HDR 4
/** Largest hello (header included) the engine tail can hold. */
#define TLS_HELLO_MAX FC_L7_TAIL_MAX
/** Bytes of a raw JA3/JA3S string kept for the *_full fields. */
#define TLS_JA3_TEXT_MAX 1024
/** Longest server_name rendered (a DNS name is at most 253). */
#define TLS_SNI_MAX 255
/** Most ALPN protocol names rendered from a ClientHello. */
#define TLS_ALPN_MAX 16

enum {
	CT_CCS = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APPDATA = 23,
	CT_HEARTBEAT = 24,
};

enum {
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
};

enum {
	EXT_SERVER_NAME = 0x0000,
	EXT_SUPPORTED_GROUPS = 0x000a,
	EXT_EC_POINT_FORMATS = 0x000b,
	EXT_SIGNATURE_ALGORITHMS = 0x000d,
	EXT_ALPN = 0x0010,
	EXT_SUPPORTED_VERSIONS = 0x002b,
	EXT_KEY_SHARE = 0x0033,
};

/* Message kinds. */
#define TLS_KINDS(X) \
	X(TLS_K_, CLIENT_HELLO, "client_hello") \
	X(TLS_K_, SERVER_HELLO, "server_hello") \
	X(TLS_K_, ALERT,        "alert")

enum tls_kind {
	TLS_KINDS(FC_X_ENUM)
	TLS_K_MAX
};

/* Fields: id, JSON name, type, always-array. */
#define TLS_FIELDS(X) \
	X(TLS_F_, VERSION,                   "version",                   FC_L7_T_STR, 0) \
	X(TLS_F_, CLIENT_VERSION,            "client_version",            FC_L7_T_STR, 0) \
	X(TLS_F_, SERVER_VERSION,            "server_version",            FC_L7_T_STR, 0) \
	X(TLS_F_, CIPHER,                    "cipher",                    FC_L7_T_STR, 0) \
	X(TLS_F_, CURVE,                     "curve",                     FC_L7_T_STR, 0) \
	X(TLS_F_, SERVER_NAME,               "server_name",               FC_L7_T_STR, 0) \
	X(TLS_F_, NEXT_PROTOCOL,             "next_protocol",             FC_L7_T_STR, 0) \
	X(TLS_F_, ALPN,                      "alpn",                      FC_L7_T_STR, 1) \
	X(TLS_F_, JA3,                       "ja3",                       FC_L7_T_STR, 0) \
	X(TLS_F_, JA3_FULL,                  "ja3_full",                  FC_L7_T_STR, 0) \
	X(TLS_F_, JA4,                       "ja4",                       FC_L7_T_STR, 0) \
	X(TLS_F_, JA3S,                      "ja3s",                      FC_L7_T_STR, 0) \
	X(TLS_F_, JA3S_FULL,                 "ja3s_full",                 FC_L7_T_STR, 0) \
	X(TLS_F_, CLIENT_CIPHERS,            "client_ciphers",            FC_L7_T_STR, 0) \
	X(TLS_F_, SSL_CLIENT_EXTS,           "ssl_client_exts",           FC_L7_T_STR, 0) \
	X(TLS_F_, SSL_SERVER_EXTS,           "ssl_server_exts",           FC_L7_T_STR, 0) \
	X(TLS_F_, CLIENT_CURVES,             "client_curves",             FC_L7_T_STR, 0) \
	X(TLS_F_, POINT_FORMATS,             "point_formats",             FC_L7_T_STR, 0) \
	X(TLS_F_, CLIENT_SUPPORTED_VERSIONS, "client_supported_versions", FC_L7_T_STR, 0) \
	X(TLS_F_, SERVER_SUPPORTED_VERSION,  "server_supported_version",  FC_L7_T_STR, 0) \
	X(TLS_F_, SIGALGS,                   "sigalgs",                   FC_L7_T_STR, 0) \
	X(TLS_F_, CLIENT_KEY_SHARE_GROUPS,   "client_key_share_groups",   FC_L7_T_STR, 0) \
	X(TLS_F_, HELLO_RETRY_REQUEST,       "hello_retry_request",       FC_L7_T_BOOL, 0) \
	X(TLS_F_, LEVEL,                     "level",                     FC_L7_T_STR, 0) \
	X(TLS_F_, DESCRIPTION,               "description",               FC_L7_T_STR, 0)

enum tls_field {
	TLS_FIELDS(FC_X_ENUM)
	TLS_F_MAX
};

#define X_FIELD(prefix, id, str, ty, rep) \
	[prefix##id] = { .name = (str), .type = (ty), .repeated = (rep) },

static const struct fc_l7_field tls_fields[] = { TLS_FIELDS(X_FIELD) };
static const char *const tls_kinds[] = { TLS_KINDS(FC_X_NAME) };

static_assert(FC_DIM(tls_fields) == TLS_F_MAX, "tls field table");
static_assert(FC_DIM(tls_kinds) == TLS_K_MAX, "tls kind table");

/* Cipher suites by IANA name: the ones seen in the shared corpus and the
 * common TLS 1.0-1.3 ones. Sorted by code (binary search). */
#define TLS_CIPHERS(X) \
	X(0x0000, "TLS_NULL_WITH_NULL_NULL") \
	X(0x0001, "TLS_RSA_WITH_NULL_MD5") \
	X(0x0002, "TLS_RSA_WITH_NULL_SHA") \
	X(0x0004, "TLS_RSA_WITH_RC4_128_MD5") \
	X(0x0005, "TLS_RSA_WITH_RC4_128_SHA") \
	X(0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA") \
	X(0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA") \
	X(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA") \
	X(0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA") \
	X(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA") \
	X(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA") \
	X(0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA") \
	X(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA") \
	X(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256") \
	X(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256") \
	X(0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA") \
	X(0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA") \
	X(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256") \
	X(0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256") \
	X(0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA") \
	X(0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA") \
	X(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256") \
	X(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384") \
	X(0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256") \
	X(0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384") \
	X(0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV") \
	X(0x1301, "TLS_AES_128_GCM_SHA256") \
	X(0x1302, "TLS_AES_256_GCM_SHA384") \
	X(0x1303, "TLS_CHACHA20_POLY1305_SHA256") \
	X(0x1304, "TLS_AES_128_CCM_SHA256") \
	X(0x1305, "TLS_AES_128_CCM_8_SHA256") \
	X(0x5600, "TLS_FALLBACK_SCSV") \
	X(0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA") \
	X(0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA") \
	X(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA") \
	X(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA") \
	X(0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA") \
	X(0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA") \
	X(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA") \
	X(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA") \
	X(0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256") \
	X(0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384") \
	X(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256") \
	X(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384") \
	X(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256") \
	X(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384") \
	X(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") \
	X(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384") \
	X(0xc09c, "TLS_RSA_WITH_AES_128_CCM") \
	X(0xc09d, "TLS_RSA_WITH_AES_256_CCM") \
	X(0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM") \
	X(0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM") \
	X(0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256") \
	X(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256") \
	X(0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256")

/* Named groups (RFC 8446 4.2.7, RFC 7919, hybrid post-quantum drafts). */
#define TLS_GROUPS(X) \
	X(0x0017, "secp256r1") \
	X(0x0018, "secp384r1") \
	X(0x0019, "secp521r1") \
	X(0x001d, "x25519") \
	X(0x001e, "x448") \
	X(0x0100, "ffdhe2048") \
	X(0x0101, "ffdhe3072") \
	X(0x0102, "ffdhe4096") \
	X(0x0103, "ffdhe6144") \
	X(0x0104, "ffdhe8192") \
	X(0x0200, "MLKEM512") \
	X(0x0201, "MLKEM768") \
	X(0x0202, "MLKEM1024") \
	X(0x11eb, "SecP256r1MLKEM768") \
	X(0x11ec, "X25519MLKEM768") \
	X(0x6399, "X25519Kyber768Draft00")

struct tls_name {
	uint16_t code;
	const char *name;
};

#define X_CODE_NAME(code, str) { (code), (str) },

static const struct tls_name tls_cipher_names[] = { TLS_CIPHERS(X_CODE_NAME) };
static const struct tls_name tls_group_names[] = { TLS_GROUPS(X_CODE_NAME) };

/* Alert descriptions (RFC 8446 6, RFC 5246 7.2, RFC 7507, RFC 7301). */
static const char *const tls_alert_names[] = {
	[0] = "close_notify",
	[10] = "unexpected_message",
	[20] = "bad_record_mac",
	[21] = "decryption_failed",
	[22] = "record_overflow",
	[30] = "decompression_failure",
	[40] = "handshake_failure",
	[41] = "no_certificate",
	[42] = "bad_certificate",
	[43] = "unsupported_certificate",
	[44] = "certificate_revoked",
	[45] = "certificate_expired",
	[46] = "certificate_unknown",
	[47] = "illegal_parameter",
	[48] = "unknown_ca",
	[49] = "access_denied",
	[50] = "decode_error",
	[51] = "decrypt_error",
	[60] = "export_restriction",
	[70] = "protocol_version",
	[71] = "insufficient_security",
	[80] = "internal_error",
	[86] = "inappropriate_fallback",
	[90] = "user_canceled",
	[100] = "no_renegotiation",
	[109] = "missing_extension",
	[110] = "unsupported_extension",
	[111] = "certificate_unobtainable",
	[112] = "unrecognized_name",
	[113] = "bad_certificate_status_response",
	[114] = "bad_certificate_hash_value",
	[115] = "unknown_psk_identity",
	[116] = "certificate_required",
	[120] = "no_application_protocol",
	[121] = "ech_required",
};

/** The random of a HelloRetryRequest (RFC 8446 4.1.3). */
static const uint8_t tls_hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
	0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* Side flags. */
#define TLS_SIDE_ENCRYPTED 0x01 /**< CCS or application data seen: payload opaque */

/* Flow flags. */
#define TLS_SEEN_CH 0x01  /**< a ClientHello was parsed */
#define TLS_SEEN_SH 0x02  /**< a ServerHello was parsed */
#define TLS_V13     0x04  /**< the ServerHello selected TLS 1.3 */

/** Record-layer position of one side. */
struct tls_side {
	uint32_t rec_left;  /**< payload bytes of the current record not yet consumed; 0 = at a header */
	uint32_t hs_left;   /**< body bytes of a skipped handshake message still to come */
	uint8_t rec_type;   /**< content type of the current record */
	uint8_t flags;      /**< TLS_SIDE_* */
};

/** Per-flow state (state_size). */
struct tls_state {
	struct tls_side side[2];
	uint8_t flags;      /**< TLS_SEEN_*, TLS_V13 */
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
rd24(const uint8_t *p)
{
	return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

/** GREASE values (RFC 8701): 0x?a?a with both bytes equal. */
static inline int
is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static const char tls_hex[] = "0123456789abcdef";

static const char *
code_name(const struct tls_name *t, size_t n, uint16_t code, char *buf, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t[mid].code == code)
			return t[mid].name;
		if (t[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	snprintf(buf, len, "unknown-0x%04x", code);
	return buf;
}

/** Version as Zeek prints it; unknown values as unknown-0xNNNN. */
static const char *
version_name(uint16_t v, char *buf, size_t len)
{
	switch (v) {
	case 0x0002: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv10";
	case 0x0302: return "TLSv11";
	case 0x0303: return "TLSv12";
	case 0x0304: return "TLSv13";
	case 0xfeff: return "DTLSv10";
	case 0xfefd: return "DTLSv12";
	case 0xfefc: return "DTLSv13";
	default: break;
	}
	if ((v >> 8) == 0x7f)
		snprintf(buf, len, "TLSv13-draft%u", (unsigned int)(v & 0xff));
	else
		snprintf(buf, len, "unknown-0x%04x", v);
	return buf;
}

/** Put a list of big-endian 16-bit (width 2) or 8-bit (width 1) codes as "xxxx,yyyy". */
static void
put_hex_list(struct fc_l7_msg *m, uint8_t field, const uint8_t *p, uint32_t n,
	     unsigned int width)
{
	char buf[FC_SESSION_DATA_MAX];
	size_t o = 0;

	for (uint32_t i = 0; i + width <= n; i += width) {
		if (o + 2 * width + 1 > sizeof(buf)) {
			m->s->truncated = 1; /* cannot fit the message either */
			return;
		}
		if (i > 0)
			buf[o++] = ',';
		for (unsigned int k = 0; k < width; k++) {
			buf[o++] = tls_hex[p[i + k] >> 4];
			buf[o++] = tls_hex[p[i + k] & 15];
		}
	}
	fc_l7_put_str(m, field, buf, o);
}

/** Put the types of a (type u16, length u16, data) entry list as "xxxx,yyyy". */
static void
put_tlv_types(struct fc_l7_msg *m, uint8_t field, const uint8_t *p, uint32_t n)
{
	char buf[FC_SESSION_DATA_MAX];
	size_t o = 0;

	for (uint32_t i = 0; i + 4 <= n; i += 4u + rd16(p + i + 2)) {
		if (o + 5 > sizeof(buf)) {
			m->s->truncated = 1;
			return;
		}
		if (i > 0)
			buf[o++] = ',';
		for (unsigned int k = 0; k < 2; k++) {
			buf[o++] = tls_hex[p[i + k] >> 4];
			buf[o++] = tls_hex[p[i + k] & 15];
		}
	}
	fc_l7_put_str(m, field, buf, o);
}

/* ------------------------------------------------------------------ */
/* Fingerprint text: digested as it is written, optionally kept.       */

struct fp_text {
	EVP_MD_CTX *ctx;    /**< digest being fed; NULL if unavailable */
	char *buf;          /**< copy of the text, NULL if not wanted */
	size_t cap;
	size_t len;
	int over;           /**< the copy did not fit */
	uint32_t staged;    /**< bytes in stage not yet digested */
	char stage[256];    /**< digest input gathered into few update calls */
};

static void
fp_begin(struct fp_text *t, EVP_MD_CTX *ctx, const EVP_MD *md, char *buf, size_t cap)
{
	t->ctx = ctx;
	if (ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) != 1)
		t->ctx = NULL;
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->over = 0;
	t->staged = 0;
}

static void
fp_flush(struct fp_text *t)
{
	if (t->ctx != NULL && t->staged > 0 && EVP_DigestUpdate(t->ctx, t->stage, t->staged) != 1)
		t->ctx = NULL;
	t->staged = 0;
}

/* Append n (<= sizeof(stage)) bytes of text. */
static void
fp_put(struct fp_text *t, const char *s, size_t n)
{
	if (t->staged + n > sizeof(t->stage))
		fp_flush(t);
	memcpy(t->stage + t->staged, s, n);
	t->staged += (uint32_t)n;
	if (t->buf == NULL || t->over)
		return;
	if (t->len + n >= t->cap) {
		t->over = 1;
		return;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void
fp_dec(struct fp_text *t, unsigned int v)
{
	char num[10];
	size_t i = sizeof(num);

	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && i > 0);
	fp_put(t, num + i, sizeof(num) - i);
}

static void
fp_hex4(struct fp_text *t, uint16_t v)
{
	char h[4] = {
		tls_hex[(v >> 12) & 15], tls_hex[(v >> 8) & 15],
		tls_hex[(v >> 4) & 15], tls_hex[v & 15],
	};

	fp_put(t, h, 4);
}

/** Finish the digest into nhex lower-case hex characters (+ NUL); -1 if unavailable. */
static int
fp_end(struct fp_text *t, char *out, unsigned int nhex)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	fp_flush(t);
	if (t->ctx == NULL || EVP_DigestFinal_ex(t->ctx, md, &mdlen) != 1 ||
	    nhex > 2 * mdlen)
		return -1;
	for (unsigned int i = 0; i < nhex; i++)
		out[i] = tls_hex[(i & 1) ? (md[i / 2] & 15) : (md[i / 2] >> 4)];
	out[nhex] = '\0';
	return 0;
}

/** Dash-joined decimal list of non-GREASE 16-bit codes (JA3 notation). */
static void
fp_ja3_list16(struct fp_text *t, const uint8_t *p, uint32_t n)
{
	int first = 1;

	for (uint32_t i = 0; i + 2 <= n; i += 2) {
		uint16_t v = rd16(p + i);

		if (is_grease(v))
			continue;
		if (!first)
			fp_put(t, "-", 1);
		fp_dec(t, v);
		first = 0;
	}
}

/** Dash-joined decimal types of a (type, length, data) list, GREASE removed. */
static void
fp_ja3_types(struct fp_text *t, const uint8_t *p, uint32_t n)
{
	int first = 1;

	for (uint32_t i = 0; i + 4 <= n; i += 4u + rd16(p + i + 2)) {
		uint16_t v = rd16(p + i);

		if (is_grease(v))
			continue;
		if (!first)
			fp_put(t, "-", 1);
		fp_dec(t, v);
		first = 0;
	}
}

/** In-place heap sort of 16-bit values (bounded, no allocation). */
static void
sort_u16(uint16_t *a, uint32_t n)
{
	uint32_t start = n / 2, end = n;

	while (end > 1) {
		uint32_t root, child;
		uint16_t tmp;

		if (start > 0) {
			start--;
		} else {
			end--;
			tmp = a[0];
			a[0] = a[end];
			a[end] = tmp;
		}
		root = start;
		while ((child = 2 * root + 1) < end) {
			if (child + 1 < end && a[child + 1] > a[child])
				child++;
			if (a[root] >= a[child])
				break;
			tmp = a[root];
			a[root] = a[child];
			a[child] = tmp;
			root = child;
		}
	}
}

/* ------------------------------------------------------------------ */
/* ClientHello                                                         */

/** A decoded ClientHello: pointers into the message body. */
struct ch_view {
	uint16_t version;
	const uint8_t *ciphers;     /**< cipher suite bytes */
	uint32_t ciphers_len;
	const uint8_t *exts;        /**< extension block (type, len, data)* */
	uint32_t exts_len;
	const uint8_t *sni;         /**< first host_name */
	uint32_t sni_len;
	const uint8_t *alpn;        /**< ProtocolNameList content */
	uint32_t alpn_len;
	const uint8_t *groups;
	uint32_t groups_len;
	const uint8_t *pf;
	uint32_t pf_len;
	const uint8_t *sigalgs;
	uint32_t sigalgs_len;
	const uint8_t *versions;
	uint32_t versions_len;
	const uint8_t *shares;      /**< KeyShareEntry list content */
	uint32_t shares_len;
	uint8_t has_sni, has_alpn, has_groups, has_pf, has_sigalgs, has_versions, has_shares;
};

/* Decode one ClientHello extension; NULL or an error reason. */
static const char *
ch_ext(struct ch_view *v, uint16_t type, const uint8_t *d, uint32_t n)
{
	uint32_t l, o;

	switch (type) {
	case EXT_SERVER_NAME:
		if (v->has_sni)
			return NULL;
		v->has_sni = 1;
		if (n == 0)
			return NULL;
		if (n < 2 || (l = rd16(d)) != n - 2)
			return "server_name list length";
		for (o = 2; o < n;) {
			uint32_t nl;

			if (n - o < 3)
				return "server_name entry length";
			nl = rd16(d + o + 1);
			if (nl > n - o - 3)
				return "server_name entry length";
			if (d[o] == 0 && v->sni == NULL) {
				v->sni = d + o + 3;
				v->sni_len = nl;
			}
			o += 3 + nl;
		}
		return NULL;
	case EXT_ALPN:
		if (v->has_alpn)
			return NULL;
		if (n < 2 || (l = rd16(d)) != n - 2)
			return "alpn list length";
		for (o = 2; o < n; o += 1u + d[o])
			if (d[o] > n - o - 1)
				return "alpn entry length";
		v->has_alpn = 1;
		v->alpn = d + 2;
		v->alpn_len = l;
		return NULL;
	case EXT_SUPPORTED_GROUPS:
	case EXT_SIGNATURE_ALGORITHMS:
		if (n < 2 || (l = rd16(d)) != n - 2 || (l & 1))
			return type == EXT_SUPPORTED_GROUPS ? "supported_groups length"
							     : "signature_algorithms length";
		if (type == EXT_SUPPORTED_GROUPS && !v->has_groups) {
			v->has_groups = 1;
			v->groups = d + 2;
			v->groups_len = l;
		} else if (type == EXT_SIGNATURE_ALGORITHMS && !v->has_sigalgs) {
			v->has_sigalgs = 1;
			v->sigalgs = d + 2;
			v->sigalgs_len = l;
		}
		return NULL;
	case EXT_EC_POINT_FORMATS:
		if (n < 1 || d[0] != n - 1)
			return "ec_point_formats length";
		if (!v->has_pf) {
			v->has_pf = 1;
			v->pf = d + 1;
			v->pf_len = d[0];
		}
		return NULL;
	case EXT_SUPPORTED_VERSIONS:
		if (n < 1 || d[0] != n - 1 || (d[0] & 1))
			return "supported_versions length";
		if (!v->has_versions) {
			v->has_versions = 1;
			v->versions = d + 1;
			v->versions_len = d[0];
		}
		return NULL;
	case EXT_KEY_SHARE:
		if (n < 2 || (l = rd16(d)) != n - 2)
			return "key_share list length";
		for (o = 2; o < n;) {
			if (n - o < 4 || rd16(d + o + 2) > n - o - 4)
				return "key_share entry length";
			o += 4u + rd16(d + o + 2);
		}
		if (!v->has_shares) {
			v->has_shares = 1;
			v->shares = d + 2;
			v->shares_len = l;
		}
		return NULL;
	default:
		return NULL;
	}
}

/* Decode a ClientHello body; NULL or an error reason. */
static const char *
ch_decode(struct ch_view *v, const uint8_t *b, uint32_t n)
{
	uint32_t o, l;

	memset(v, 0, sizeof(*v));
	/* version, random, session_id */
	if (n < 2 + 32 + 1)
		return "client_hello too short";
	v->version = rd16(b);
	o = 34;
	l = b[o];
	if (l > 32 || l > n - o - 1)
		return "client_hello session_id length";
	o += 1 + l;
	/* cipher_suites <2..2^16-2> */
	if (n - o < 2)
		return "client_hello cipher_suites length";
	l = rd16(b + o);
	if ((l & 1) || l > n - o - 2)
		return "client_hello cipher_suites length";
	v->ciphers = b + o + 2;
	v->ciphers_len = l;
	o += 2 + l;
	/* compression_methods <1..2^8-1> */
	if (n - o < 1 || b[o] > n - o - 1)
		return "client_hello compression_methods length";
	o += 1u + b[o];
	/* extensions <0..2^16-1>, optional in TLS 1.0-1.2 */
	if (o == n)
		return NULL;
	if (n - o < 2 || (l = rd16(b + o)) != n - o - 2)
		return "client_hello extensions length";
	v->exts = b + o + 2;
	v->exts_len = l;
	for (o = 0; o < v->exts_len;) {
		const uint8_t *e = v->exts + o;
		const char *err;

		if (v->exts_len - o < 4)
			return "client_hello extension header";
		l = rd16(e + 2);
		if (l > v->exts_len - o - 4)
			return "client_hello extension length";
		err = ch_ext(v, rd16(e), e + 4, l);
		if (err != NULL)
			return err;
		o += 4 + l;
	}
	return NULL;
}

/** JA4 version digits (FoxIO JA4 spec, "TLS and DTLS Version"). */
static const char *
ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static inline int
is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/*
 * JA4 (FoxIO, technical_details/JA4.md), TLS over TCP:
 *   a = "t" + version + (SNI ? "d" : "i") + ciphers(2) + extensions(2) + alpn(2)
 *   b = sha256("c1,c2,...") of sorted ciphers, first 12 hex
 *   c = sha256("e1,e2,..._s1,s2,...") of sorted extensions without SNI and
 *       ALPN, then signature algorithms in wire order, first 12 hex
 * GREASE is ignored everywhere; counts saturate at 99; an empty list
 * hashes to "000000000000".
 */
static int
ja4_compute(const struct ch_view *v, EVP_MD_CTX *ctx, char out[37])
{
	uint16_t sorted[TLS_HELLO_MAX / 2];
	struct fp_text t;
	uint16_t top = 0;
	uint32_t nc = 0, ne = 0, ns = 0, i;
	char a1 = '0', a2 = '0';

	/* Version: highest supported_versions entry, else legacy version. */
	if (v->has_versions) {
		for (i = 0; i + 2 <= v->versions_len; i += 2) {
			uint16_t x = rd16(v->versions + i);

			if (!is_grease(x) && x > top)
				top = x;
		}
	}
	if (top == 0)
		top = v->version;
	/* First ALPN value. */
	if (v->has_alpn && v->alpn_len > 0 && v->alpn[0] > 0) {
		const uint8_t *s = v->alpn + 1;
		uint8_t l = v->alpn[0];

		if (is_alnum(s[0]) && is_alnum(s[l - 1])) {
			a1 = (char)s[0];
			a2 = (char)s[l - 1];
		} else {
			a1 = tls_hex[s[0] >> 4];
			a2 = tls_hex[s[l - 1] & 15];
		}
	}
	/* b: sorted ciphers. */
	for (i = 0; i + 2 <= v->ciphers_len; i += 2) {
		uint16_t x = rd16(v->ciphers + i);

		if (!is_grease(x))
			sorted[nc++] = x;
	}
	sort_u16(sorted, nc);
	memset(out, 0, 37);
	fp_begin(&t, ctx, EVP_sha256(), NULL, 0);
	for (i = 0; i < nc; i++) {
		if (i > 0)
			fp_put(&t, ",", 1);
		fp_hex4(&t, sorted[i]);
	}
	if (nc == 0)
		memcpy(out + 11, "000000000000", 13);
	else if (fp_end(&t, out + 11, 12) < 0)
		return -1;
	/* c: sorted extensions without SNI/ALPN, then signature algorithms. */
	for (i = 0; i + 4 <= v->exts_len; i += 4u + rd16(v->exts + i + 2)) {
		uint16_t x = rd16(v->exts + i);

		if (is_grease(x))
			continue;
		ne++;
		if (x != EXT_SERVER_NAME && x != EXT_ALPN)
			sorted[ns++] = x;
	}
	sort_u16(sorted, ns);
	fp_begin(&t, ctx, EVP_sha256(), NULL, 0);
	for (i = 0; i < ns; i++) {
		if (i > 0)
			fp_put(&t, ",", 1);
		fp_hex4(&t, sorted[i]);
	}
	if (v->has_sigalgs) {
		int first = 1;

		for (i = 0; i + 2 <= v->sigalgs_len; i += 2) {
			uint16_t x = rd16(v->sigalgs + i);

			if (is_grease(x))
				continue;
			fp_put(&t, first ? "_" : ",", 1);
			fp_hex4(&t, x);
			first = 0;
		}
	}
	if (ns == 0)
		memcpy(out + 24, "000000000000", 13);
	else if (fp_end(&t, out + 24, 12) < 0)
		return -1;
	out[0] = 't';
	memcpy(out + 1, ja4_version(top), 2);
	out[3] = v->has_sni ? 'd' : 'i';
	nc = nc > 99 ? 99 : nc;
	ne = ne > 99 ? 99 : ne;
	out[4] = (char)('0' + nc / 10);
	out[5] = (char)('0' + nc % 10);
	out[6] = (char)('0' + ne / 10);
	out[7] = (char)('0' + ne % 10);
	out[8] = a1;
	out[9] = a2;
	out[10] = '_';
	out[23] = '_';
	return 0;
}

static void
ch_emit(const struct ch_view *v, uint8_t side, struct fc_l7_emit *emit)
{
	struct fc_l7_msg *m = emit->begin(emit->arg, TLS_K_CLIENT_HELLO, side);
	char ja3_text[TLS_JA3_TEXT_MAX], hash[40], vbuf[24];
	EVP_MD_CTX *ctx;
	struct fp_text t;
	int have_ja3 = 0;

	if (m == NULL)
		return;
	ctx = EVP_MD_CTX_new();
	fc_l7_put_cstr(m, TLS_F_CLIENT_VERSION, version_name(v->version, vbuf, sizeof(vbuf)));
	if (v->sni != NULL) {
		fc_l7_put_str(m, TLS_F_SERVER_NAME, v->sni,
			      v->sni_len > TLS_SNI_MAX ? TLS_SNI_MAX : v->sni_len);
		if (v->sni_len > TLS_SNI_MAX)
			m->s->truncated = 1;
	}
	/* JA3: version,ciphers,extensions,groups,point formats (GREASE removed). */
	fp_begin(&t, ctx, EVP_md5(), ja3_text, sizeof(ja3_text));
	fp_dec(&t, v->version);
	fp_put(&t, ",", 1);
	fp_ja3_list16(&t, v->ciphers, v->ciphers_len);
	fp_put(&t, ",", 1);
	fp_ja3_types(&t, v->exts, v->exts_len);
	fp_put(&t, ",", 1);
	fp_ja3_list16(&t, v->groups, v->groups_len);
	fp_put(&t, ",", 1);
	for (uint32_t i = 0; i < v->pf_len; i++) {
		if (i > 0)
			fp_put(&t, "-", 1);
		fp_dec(&t, v->pf[i]);
	}
	if (fp_end(&t, hash, 32) == 0) {
		fc_l7_put_str(m, TLS_F_JA3, hash, 32);
		have_ja3 = 1;
	}
	if (ja4_compute(v, ctx, hash) == 0)
		fc_l7_put_str(m, TLS_F_JA4, hash, 36);
	if (v->has_alpn) {
		unsigned int k = 0;

		for (uint32_t o = 0; o < v->alpn_len; o += 1u + v->alpn[o], k++) {
			if (k == TLS_ALPN_MAX) {
				m->s->truncated = 1;
				break;
			}
			fc_l7_put_str(m, TLS_F_ALPN, v->alpn + o + 1, v->alpn[o]);
		}
	}
	if (v->has_versions)
		put_hex_list(m, TLS_F_CLIENT_SUPPORTED_VERSIONS, v->versions, v->versions_len, 2);
	put_hex_list(m, TLS_F_CLIENT_CIPHERS, v->ciphers, v->ciphers_len, 2);
	if (v->exts != NULL)
		put_tlv_types(m, TLS_F_SSL_CLIENT_EXTS, v->exts, v->exts_len);
	if (v->has_groups)
		put_hex_list(m, TLS_F_CLIENT_CURVES, v->groups, v->groups_len, 2);
	if (v->has_pf)
		put_hex_list(m, TLS_F_POINT_FORMATS, v->pf, v->pf_len, 1);
	if (v->has_sigalgs)
		put_hex_list(m, TLS_F_SIGALGS, v->sigalgs, v->sigalgs_len, 2);
	if (v->has_shares)
		put_tlv_types(m, TLS_F_CLIENT_KEY_SHARE_GROUPS, v->shares, v->shares_len);
	if (have_ja3) {
		if (t.over)
			m->s->truncated = 1;
		else
			fc_l7_put_str(m, TLS_F_JA3_FULL, ja3_text, t.len);
	}
	EVP_MD_CTX_free(ctx);
	emit->end(emit->arg, m);
}

/* ------------------------------------------------------------------ */
/* ServerHello                                                         */

/** A decoded ServerHello: pointers into the message body. */
struct sh_view {
	uint16_t version;
	uint16_t cipher;
	uint16_t selected;      /**< supported_versions choice, 0 if absent */
	uint16_t group;         /**< key_share group */
	uint8_t has_group;
	uint8_t hrr;            /**< HelloRetryRequest random */
	const uint8_t *exts;
	uint32_t exts_len;
	const uint8_t *alpn;    /**< selected protocol name */
	uint32_t alpn_len;
};

/* Decode one ServerHello extension; NULL or an error reason. */
static const char *
sh_ext(struct sh_view *v, uint16_t type, const uint8_t *d, uint32_t l)
{
	switch (type) {
	case EXT_SUPPORTED_VERSIONS:
		if (l != 2)
			return "supported_versions length";
		v->selected = rd16(d);
		return NULL;
	case EXT_ALPN:
		if (l < 3 || rd16(d) != l - 2 || d[2] != l - 3)
			return "alpn length";
		v->alpn = d + 3;
		v->alpn_len = d[2];
		return NULL;
	case EXT_KEY_SHARE:
		/* ServerHello: group + key; HelloRetryRequest: group only. */
		if (l < 2 || (l > 2 && (l < 4 || rd16(d + 2) != l - 4)))
			return "key_share length";
		v->group = rd16(d);
		v->has_group = 1;
		return NULL;
	default:
		return NULL;
	}
}

/* Decode a ServerHello body; NULL or an error reason. */
static const char *
sh_decode(struct sh_view *v, const uint8_t *b, uint32_t n)
{
	uint32_t o, l;

	memset(v, 0, sizeof(*v));
	/* version, random, session_id, cipher_suite, compression_method */
	if (n < 2 + 32 + 1)
		return "server_hello too short";
	v->version = rd16(b);
	v->hrr = memcmp(b + 2, tls_hrr_random, sizeof(tls_hrr_random)) == 0;
	o = 34;
	l = b[o];
	if (l > 32 || l > n - o - 1)
		return "server_hello session_id length";
	o += 1 + l;
	if (n - o < 3)
		return "server_hello too short";
	v->cipher = rd16(b + o);
	o += 3;
	if (o == n)
		return NULL;
	if (n - o < 2 || (l = rd16(b + o)) != n - o - 2)
		return "server_hello extensions length";
	v->exts = b + o + 2;
	v->exts_len = l;
	for (o = 0; o < v->exts_len;) {
		const uint8_t *e = v->exts + o;
		const char *err;

		if (v->exts_len - o < 4)
			return "server_hello extension header";
		l = rd16(e + 2);
		if (l > v->exts_len - o - 4)
			return "server_hello extension length";
		err = sh_ext(v, rd16(e), e + 4, l);
		if (err != NULL)
			return err;
		o += 4 + l;
	}
	return NULL;
}

static void
sh_emit(const struct sh_view *v, uint8_t side, struct fc_l7_emit *emit)
{
	struct fc_l7_msg *m = emit->begin(emit->arg, TLS_K_SERVER_HELLO, side);
	char ja3_text[TLS_JA3_TEXT_MAX], hash[40], vbuf[24];
	EVP_MD_CTX *ctx;
	struct fp_text t;

	if (m == NULL)
		return;
	ctx = EVP_MD_CTX_new();
	fc_l7_put_cstr(m, TLS_F_VERSION, version_name(v->selected != 0 ? v->selected : v->version,
						      vbuf, sizeof(vbuf)));
	fc_l7_put_cstr(m, TLS_F_CIPHER, code_name(tls_cipher_names, FC_DIM(tls_cipher_names),
						  v->cipher, vbuf, sizeof(vbuf)));
	if (v->alpn != NULL)
		fc_l7_put_str(m, TLS_F_NEXT_PROTOCOL, v->alpn, v->alpn_len);
	if (v->has_group)
		fc_l7_put_cstr(m, TLS_F_CURVE, code_name(tls_group_names, FC_DIM(tls_group_names),
							 v->group, vbuf, sizeof(vbuf)));
	/* JA3S: version,cipher,extensions (GREASE removed). */
	fp_begin(&t, ctx, EVP_md5(), ja3_text, sizeof(ja3_text));
	fp_dec(&t, v->version);
	fp_put(&t, ",", 1);
	fp_dec(&t, v->cipher);
	fp_put(&t, ",", 1);
	fp_ja3_types(&t, v->exts, v->exts_len);
	if (fp_end(&t, hash, 32) == 0)
		fc_l7_put_str(m, TLS_F_JA3S, hash, 32);
	else
		t.over = 1;
	fc_l7_put_cstr(m, TLS_F_SERVER_VERSION, version_name(v->version, vbuf, sizeof(vbuf)));
	if (v->selected != 0)
		fc_l7_put_cstr(m, TLS_F_SERVER_SUPPORTED_VERSION,
			       version_name(v->selected, vbuf, sizeof(vbuf)));
	if (v->exts != NULL)
		put_tlv_types(m, TLS_F_SSL_SERVER_EXTS, v->exts, v->exts_len);
	if (v->hrr)
		fc_l7_put_bool(m, TLS_F_HELLO_RETRY_REQUEST, 1);
	if (!t.over)
		fc_l7_put_str(m, TLS_F_JA3S_FULL, ja3_text, t.len);
	EVP_MD_CTX_free(ctx);
	emit->end(emit->arg, m);
}

/* ------------------------------------------------------------------ */
/* Record layer                                                        */

/*
 * Check a record header for side sd; NULL if it is acceptable, else the
 * error reason. Plaintext CCS, alert and handshake records have fixed or
 * minimum lengths; once a side is encrypted only type, version and the
 * ciphertext limit are checked.
 */
static const char *
record_check(const struct tls_side *sd, const uint8_t *h)
{
	uint8_t type = h[0];
	uint16_t len = rd16(h + 3);
	int plain = !(sd->flags & TLS_SIDE_ENCRYPTED);

	if (type < CT_CCS || type > CT_HEARTBEAT)
		return "record content type";
	if (h[1] != 3 || h[2] > 4)
		return "record version";
	if (len > TLS_REC_MAX)
		return "record length";
	if (!plain)
		return NULL;
	if (sd->hs_left > 0 && type != CT_HANDSHAKE)
		return "record interrupts a handshake message";
	switch (type) {
	case CT_CCS:
		return len == 1 ? NULL : "change_cipher_spec length";
	case CT_ALERT:
		return len >= 2 && (len & 1) == 0 ? NULL : "alert length";
	case CT_HANDSHAKE:
		return len > 0 ? NULL : "empty handshake record";
	default:
		return NULL;
	}
}

/*
 * Walk `want` handshake bytes starting at p[pos], inside a record with
 * rec_left payload bytes left, crossing further handshake record headers
 * in the buffer. On success (1) *end is the buffer offset after the last
 * byte, *rec_after the record payload left there and *nrec the number of
 * records crossed. 0: not all bytes are in the buffer yet. -1: a crossed
 * header is bad (*err set).
 */
static int
hs_walk(const struct tls_side *sd, const uint8_t *p, uint32_t len, uint32_t pos,
	uint32_t want, uint32_t *end, uint32_t *rec_after, uint32_t *nrec, const char **err)
{
	uint32_t cur = pos, rl = sd->rec_left, got = 0;

	*nrec = 0;
	for (;;) {
		uint32_t take = rl;

		if (take > len - cur)
			take = len - cur;
		if (take > want - got)
			take = want - got;
		cur += take;
		rl -= take;
		got += take;
		if (got == want) {
			*end = cur;
			*rec_after = rl;
			return 1;
		}
		if (rl > 0 || len - cur < TLS_REC_HDR)
			return 0;
		if (p[cur] != CT_HANDSHAKE) {
			*err = "record interrupts a handshake message";
			return -1;
		}
		*err = record_check(sd, p + cur);
		if (*err != NULL)
			return -1;
		rl = rd16(p + cur + 3);
		cur += TLS_REC_HDR;
		(*nrec)++;
	}
}

/* Copy `want` handshake bytes from p[pos] crossing record headers (already validated). */
static void
hs_gather(uint32_t rec_left, const uint8_t *p, uint32_t pos, uint32_t want, uint8_t *out)
{
	uint32_t cur = pos, rl = rec_left, got = 0;

	while (got < want) {
		uint32_t take = rl < want - got ? rl : want - got;

		memcpy(out + got, p + cur, take);
		cur += take;
		got += take;
		rl -= take;
		if (got < want) {
			rl = rd16(p + cur + 3);
			cur += TLS_REC_HDR;
		}
	}
}

/*
 * Parse a hello that starts at p[pos] and ends at buffer offset end,
 * spanning nrec further records. Returns NULL or an error reason.
 */
static __attribute__((noinline)) const char *
hello_parse(struct tls_state *st, struct tls_side *sd, uint8_t side, const uint8_t *p,
	    uint32_t pos, uint32_t msg_len, uint32_t nrec, struct fc_l7_emit *emit)
{
	uint8_t copy[TLS_HELLO_MAX];
	const uint8_t *m;
	struct ch_view v;
	struct sh_view sv;
	const char *err;

	if (nrec == 0) {
		m = p + pos;
	} else {
		hs_gather(sd->rec_left, p, pos, msg_len, copy);
		m = copy;
	}
	if (m[0] == HS_SERVER_HELLO) {
		err = sh_decode(&sv, m + TLS_HS_HDR, msg_len - TLS_HS_HDR);
		if (err != NULL)
			return err;
		st->flags |= TLS_SEEN_SH;
		/* supported_versions in a ServerHello only selects TLS 1.3 or a
		 * variant of it (RFC 8446 4.2.1): drafts 0x7fNN, Fizz 0xfbNN. */
		if (sv.selected != 0)
			st->flags |= TLS_V13;
		sh_emit(&sv, side, emit);
		return NULL;
	}
	err = ch_decode(&v, m + TLS_HS_HDR, msg_len - TLS_HS_HDR);
	if (err != NULL)
		return err;
	st->flags |= TLS_SEEN_CH;
	ch_emit(&v, side, emit);
	return NULL;
}

/*
 * At a handshake message boundary of a plaintext handshake record:
 * skip a message (consume its header, count its body) or parse a hello
 * once it is whole. Advances *pos; FC_L7_NEED_MORE if it cannot progress.
 */
static enum fc_l7_result
hs_message(struct tls_state *st, struct tls_side *sd, uint8_t side, const uint8_t *p,
	   uint32_t len, uint32_t *pos, struct fc_l7_emit *emit)
{
	uint8_t hdr[TLS_HS_HDR];
	uint32_t end, rec_after, nrec, body, msg;
	const char *err = NULL;
	int r;

	r = hs_walk(sd, p, len, *pos, TLS_HS_HDR, &end, &rec_after, &nrec, &err);
	if (r < 0)
		goto fail;
	if (r == 0)
		return FC_L7_NEED_MORE;
	hs_gather(sd->rec_left, p, *pos, TLS_HS_HDR, hdr);
	body = rd24(hdr + 1);
	if (hdr[0] != HS_CLIENT_HELLO && hdr[0] != HS_SERVER_HELLO) {
		/* Skip: the header is consumed, the body counted down. */
		*pos = end;
		sd->rec_left = rec_after;
		sd->hs_left = body;
		return FC_L7_OK;
	}
	msg = TLS_HS_HDR + body;
	if (msg > TLS_HELLO_MAX) {
		err = hdr[0] == HS_CLIENT_HELLO ? "client_hello longer than 16384 bytes"
						: "server_hello longer than 16384 bytes";
		goto fail;
	}
	r = hs_walk(sd, p, len, *pos, msg, &end, &rec_after, &nrec, &err);
	if (r < 0)
		goto fail;
	if (r == 0) {
		/* The engine keeps p[*pos..len): it must be able to hold the whole hello. */
		if (msg + TLS_REC_HDR * nrec > TLS_HELLO_MAX) {
			err = "hello fragmented over too many records";
			goto fail;
		}
		return FC_L7_NEED_MORE;
	}
	if (end - *pos > TLS_HELLO_MAX) {
		err = "hello fragmented over too many records";
		goto fail;
	}
	err = hello_parse(st, sd, side, p, *pos, msg, nrec, emit);
	if (err != NULL)
		goto fail;
	*pos = end;
	sd->rec_left = rec_after;
	return FC_L7_OK;
fail:
	emit->error = err;
	return FC_L7_ERROR;
}

static void
alert_emit(uint8_t side, const uint8_t *a, struct fc_l7_emit *emit)
{
	struct fc_l7_msg *m = emit->begin(emit->arg, TLS_K_ALERT, side);
	char buf[24];

	if (m == NULL)
		return;
	if (a[0] == 1)
		fc_l7_put_cstr(m, TLS_F_LEVEL, "warning");
	else if (a[0] == 2)
		fc_l7_put_cstr(m, TLS_F_LEVEL, "fatal");
	else {
		snprintf(buf, sizeof(buf), "unknown-%u", a[0]);
		fc_l7_put_cstr(m, TLS_F_LEVEL, buf);
	}
	if (a[1] < FC_DIM(tls_alert_names) && tls_alert_names[a[1]] != NULL) {
		fc_l7_put_cstr(m, TLS_F_DESCRIPTION, tls_alert_names[a[1]]);
	} else {
		snprintf(buf, sizeof(buf), "unknown-%u", a[1]);
		fc_l7_put_cstr(m, TLS_F_DESCRIPTION, buf);
	}
	emit->end(emit->arg, m);
}

static int
tls_done(const struct tls_state *st)
{
	return (st->flags & (TLS_SEEN_CH | TLS_SEEN_SH)) == (TLS_SEEN_CH | TLS_SEEN_SH) &&
	       (st->side[0].flags & st->side[1].flags & TLS_SIDE_ENCRYPTED);
}

static enum fc_l7_result
tls_parse(void *state, uint8_t side, const uint8_t *p, uint32_t len, uint32_t *consumed,
	  uint64_t ts, struct fc_l7_emit *emit)
{
	struct tls_state *st = state;
	struct tls_side *sd = &st->side[side & 1];
	enum fc_l7_result r = FC_L7_OK;
	uint32_t pos = 0;

	(void)ts;
	side &= 1;
	while (pos < len) {
		uint32_t avail = len - pos, n;

		if (sd->rec_left == 0) {
			const char *err;

			if (avail < TLS_REC_HDR)
				break;
			err = record_check(sd, p + pos);
			if (err != NULL) {
				emit->error = err;
				r = FC_L7_ERROR;
				goto out;
			}
			sd->rec_type = p[pos];
			sd->rec_left = rd16(p + pos + 3);
			pos += TLS_REC_HDR;
			if (sd->rec_type == CT_APPDATA)
				sd->flags |= TLS_SIDE_ENCRYPTED;
			if (tls_done(st)) {
				r = FC_L7_DETACH;
				goto out;
			}
			continue;
		}
		n = sd->rec_left < avail ? sd->rec_left : avail;
		if (sd->flags & TLS_SIDE_ENCRYPTED) {
			pos += n;
			sd->rec_left -= n;
			continue;
		}
		switch (sd->rec_type) {
		case CT_CCS:
			if (p[pos] != 1) {
				emit->error = "change_cipher_spec value";
				r = FC_L7_ERROR;
				goto out;
			}
			if (!(st->flags & TLS_V13))
				sd->flags |= TLS_SIDE_ENCRYPTED;
			pos++;
			sd->rec_left--;
			break;
		case CT_ALERT:
			if (avail < 2)
				goto out;
			alert_emit(side, p + pos, emit);
			pos += 2;
			sd->rec_left -= 2;
			break;
		case CT_HANDSHAKE:
			if (sd->hs_left > 0) {
				if (n > sd->hs_left)
					n = sd->hs_left;
				pos += n;
				sd->rec_left -= n;
				sd->hs_left -= n;
				break;
			}
			r = hs_message(st, sd, side, p, len, &pos, emit);
			if (r == FC_L7_NEED_MORE) {
				r = FC_L7_OK;
				goto out;
			}
			if (r != FC_L7_OK)
				goto out;
			break;
		default: /* heartbeat (application data is encrypted) */
			pos += n;
			sd->rec_left -= n;
			break;
		}
		if (tls_done(st)) {
			r = FC_L7_DETACH;
			goto out;
		}
	}
out:
	*consumed = pos;
	if (r == FC_L7_OK && pos == 0)
		return FC_L7_NEED_MORE;
	return r;
}

/*
 * A hole inside payload that is skipped anyway (encrypted or application
 * data, or the body of a skipped handshake message within the current
 * record) is absorbed; anywhere else the stream is lost.
 */
static enum fc_l7_result
tls_gap(void *state, uint8_t side, uint32_t len)
{
	struct tls_state *st = state;
	struct tls_side *sd = &st->side[side & 1];

	if (len == 0)
		return FC_L7_OK;
	if (sd->rec_left < len)
		return FC_L7_DETACH;
	if ((sd->flags & TLS_SIDE_ENCRYPTED) || sd->rec_type == CT_APPDATA ||
	    sd->rec_type == CT_HEARTBEAT) {
		sd->rec_left -= len;
		return FC_L7_OK;
	}
	if (sd->rec_type == CT_HANDSHAKE && sd->hs_left >= len) {
		sd->rec_left -= len;
		sd->hs_left -= len;
		return FC_L7_OK;
	}
	return FC_L7_DETACH;
}

/*
 * Probe: a handshake record header with a TLS 1.x version and a legal
 * length, carrying a ClientHello (either side) or a ServerHello (side 1).
 */
static enum fc_l7_probe
tls_probe(const uint8_t *p, uint32_t len, uint8_t side)
{
	if (len < 1)
		return FC_L7_PROBE_MAYBE;
	if (p[0] != CT_HANDSHAKE)
		return FC_L7_PROBE_NO;
	if (len >= 2 && p[1] != 3)
		return FC_L7_PROBE_NO;
	if (len >= 3 && p[2] > 4)
		return FC_L7_PROBE_NO;
	if (len >= 5 && (rd16(p + 3) == 0 || rd16(p + 3) > TLS_REC_MAX))
		return FC_L7_PROBE_NO;
	if (len < 6)
		return FC_L7_PROBE_MAYBE;
	if (p[5] == HS_CLIENT_HELLO || (p[5] == HS_SERVER_HELLO && side == 1))
		return FC_L7_PROBE_YES;
	return FC_L7_PROBE_NO;
}

static void
tls_init(void *state)
{
	memset(state, 0, sizeof(struct tls_state));
}

/* Messages are emitted as soon as they are whole: nothing is pending. */
static void
tls_end(void *state, int fin, uint64_t ts, struct fc_l7_emit *emit)
{
	(void)state;
	(void)fin;
	(void)ts;
	(void)emit;
}

const struct fc_l7_parser fc_l7_tls = {
	.name = "tls",
	.proto = FC_L7_TLS,
	.transport = IPPROTO_TCP,
	.n_ports = 6,
	.ports = { 443, 465, 853, 993, 995, 8443 },
	.state_size = sizeof(struct tls_state),
	.max_tail = TLS_HELLO_MAX,
	.fields = tls_fields,
	.n_fields = TLS_F_MAX,
	.kinds = tls_kinds,
	.n_kinds = TLS_K_MAX,
	.probe = tls_probe,
	.init = tls_init,
	.fini = NULL,
	.parse = tls_parse,
	.gap = tls_gap,
	.end = tls_end,
};
