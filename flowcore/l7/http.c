/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.0 and HTTP/1.1 session parser (RFC 9110 semantics, RFC 9112
 * message syntax), one state per flow, requests on the originator side and
 * responses on the responder side.
 *
 * MESSAGES. A "request" is emitted as soon as its header block is complete
 * (method, host, uri, version, user_agent, referrer, origin, content_type,
 * content_length, transfer_encoding, then the other headers, in wire order,
 * as repeated "name: value" strings up to HTTP_MAX_HEADERS). A "response"
 * is emitted when its body is complete, so that it carries the whole
 * transaction as Zeek's http.log does: trans_depth (the index of the
 * request it answers, 1-based, 0 when none was seen), version, status_code,
 * status_msg, content_type, content_length, transfer_encoding,
 * request_body_len (the answered request's body so far) and
 * response_body_len (decoded body bytes: chunk framing excluded). A
 * response still receiving its body when the flow ends is emitted by end()
 * with what was seen, marked interrupted unless it was a read-until-close
 * body ended by a FIN. Interim responses (1xx) are emitted at once and do
 * not consume a request.
 *
 * FRAMING (RFC 9112 section 6.3). Requests: Transfer-Encoding whose last
 * coding is chunked, else Content-Length, else no body (another final
 * coding is an error). Responses: none to HEAD, none with 1xx/204/304;
 * 2xx to CONNECT and 101 end parsing (the flow becomes a tunnel: the
 * session detaches); then chunked, else Content-Length, else until the
 * connection closes. Chunked bodies are decoded (sizes, extensions and
 * trailer fields are parsed and skipped). Several Content-Length values
 * must agree.
 *
 * PIPELINING. Requests are queued (HTTP_PIPELINE deep) with their method
 * class and body length; each final response takes the oldest, which is
 * how HEAD responses are known to carry no body.
 *
 * RESTARTING. parse() consumes whole units only: a header block, a chunk
 * size line, a trailer line, or any number of body bytes; otherwise it
 * consumes nothing and the engine presents the same bytes again with more
 * appended. The search for the end of a header block resumes where the
 * last call stopped (dir->scan), so a header block arriving one byte at a
 * time costs linear time.
 *
 * ERRORS. A start line that is not HTTP on a side where no message was
 * parsed yet detaches silently (not HTTP after all); later, it is an
 * error. Malformed framing (Content-Length, Transfer-Encoding of a request,
 * chunk size, chunk CRLF, a header block over HTTP_HDR_MAX, an over-long
 * line) is always an error with a reason. Header lines without
 * a colon and obsolete line folding are ignored. A gap inside a body of
 * known length is skipped; elsewhere it detaches.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include "fc_event.h"
#include "fc_l7.h"

/** Longest header block (start line + fields + empty line). */
#define HTTP_HDR_MAX FC_L7_TAIL_MAX
/** Longest start line, chunk size line or trailer line. */
#define HTTP_LINE_MAX 8192
/** Requests awaiting their response. */
#define HTTP_PIPELINE 16
/** Most "headers" entries in one request message. */
#define HTTP_MAX_HEADERS 32
/** Longest method token. */
#define HTTP_METHOD_MAX 32

/* Field table: id, JSON name, type, repeated. */
#define HTTP_FIELDS(X) \
	X(TRANS_DEPTH,       "trans_depth",       FC_L7_T_U64,  0) \
	X(METHOD,            "method",            FC_L7_T_STR,  0) \
	X(HOST,              "host",              FC_L7_T_STR,  0) \
	X(URI,               "uri",               FC_L7_T_STR,  0) \
	X(VERSION,           "version",           FC_L7_T_STR,  0) \
	X(USER_AGENT,        "user_agent",        FC_L7_T_STR,  0) \
	X(REFERRER,          "referrer",          FC_L7_T_STR,  0) \
	X(ORIGIN,            "origin",            FC_L7_T_STR,  0) \
	X(STATUS_CODE,       "status_code",       FC_L7_T_U64,  0) \
	X(STATUS_MSG,        "status_msg",        FC_L7_T_STR,  0) \
	X(CONTENT_TYPE,      "content_type",      FC_L7_T_STR,  0) \
	X(CONTENT_LENGTH,    "content_length",    FC_L7_T_U64,  0) \
	X(TRANSFER_ENCODING, "transfer_encoding", FC_L7_T_STR,  0) \
	X(REQUEST_BODY_LEN,  "request_body_len",  FC_L7_T_U64,  0) \
	X(RESPONSE_BODY_LEN, "response_body_len", FC_L7_T_U64,  0) \
	X(INTERRUPTED,       "interrupted",       FC_L7_T_BOOL, 0) \
	X(HEADERS,           "headers",           FC_L7_T_STR,  1)

#define HTTP_X_ENUM(id, name, type, rep) HF_##id,
enum http_field { HTTP_FIELDS(HTTP_X_ENUM) HF_MAX };
#undef HTTP_X_ENUM

#define HTTP_X_ROW(id, name, type, rep) [HF_##id] = { name, type, rep },
static const struct fc_l7_field http_fields[] = { HTTP_FIELDS(HTTP_X_ROW) };
#undef HTTP_X_ROW
static_assert(FC_DIM(http_fields) == HF_MAX, "http field table");

enum http_kind { HK_REQUEST, HK_RESPONSE, HK_MAX };
static const char *const http_kinds[] = {
	[HK_REQUEST] = "request",
	[HK_RESPONSE] = "response",
};
static_assert(FC_DIM(http_kinds) == HK_MAX, "http kind table");

/* Methods the probe recognises (each followed by a space on the wire). */
static const char *const http_methods[] = {
	"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ",
	"TRACE ", "PATCH ", "PROPFIND ", "PROPPATCH ", "MKCOL ", "COPY ",
	"MOVE ", "LOCK ", "UNLOCK ", "SEARCH ", "REPORT ", "MKCALENDAR ",
	"MKACTIVITY ", "CHECKOUT ", "MERGE ", "PURGE ", "LINK ", "UNLINK ",
};

/** Per-side phases. */
enum http_phase {
	PH_START = 0,     /**< before a start line (skipping empty lines) */
	PH_BODY,          /**< Content-Length body: left bytes */
	PH_CHUNK_SIZE,    /**< chunk size line */
	PH_CHUNK_DATA,    /**< chunk data: left bytes */
	PH_CHUNK_CRLF,    /**< CRLF after chunk data */
	PH_TRAILER,       /**< trailer fields up to the empty line */
	PH_UNTIL_CLOSE,   /**< response body until the connection closes */
	PH_SKIP,          /**< originator after CONNECT: bytes ignored */
};

/** Method classes that change response framing. */
enum http_method_class { HM_OTHER = 0, HM_HEAD, HM_CONNECT };

struct http_dir {
	uint64_t left;        /**< body or chunk bytes still expected */
	uint64_t body_len;    /**< decoded body bytes of the current message */
	uint32_t scan;        /**< bytes of the presented buffer already searched */
	uint8_t phase;        /**< enum http_phase */
	uint8_t line_ok;      /**< start line of the current message validated */
	uint8_t msgs;         /**< messages parsed on this side (saturates) */
};

struct http_req {
	uint64_t body_len;    /**< body bytes so far */
	uint32_t depth;       /**< 1-based index in the connection */
	uint8_t method;       /**< enum http_method_class */
};

/** The response being received (emitted when its body is complete). */
struct http_resp {
	uint64_t content_length;
	uint16_t status;
	uint8_t active;       /**< headers seen, body pending */
	uint8_t has_cl;
	uint8_t minor;        /**< HTTP/1.<minor> */
	uint8_t msg_len;
	uint8_t ctype_len;
	uint8_t te_len;
	char msg[64];
	char ctype[96];
	char te[32];
};

struct http_state {
	struct http_dir dir[2];
	struct http_req q[HTTP_PIPELINE];
	uint8_t q_head;
	uint8_t q_count;
	uint8_t req_cur;      /**< queue slot of the request receiving its body, 0xff none */
	uint32_t depth;       /**< requests seen */
	struct http_resp resp;
};

/** Header fields of one block that framing and messages need. */
struct http_hdrs {
	const uint8_t *v[HF_MAX]; /**< value per broken-out field (NULL: absent) */
	uint32_t n[HF_MAX];
	uint64_t content_length;
	uint8_t has_cl;
	uint8_t bad_cl;
	uint8_t chunked;      /**< last transfer coding is chunked */
	uint8_t has_te;
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive compare of p[0..n) with a lower-case literal. */
static int
ieq(const uint8_t *p, uint32_t n, const char *lit)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || lower(p[i]) != lit[i])
			return 0;
	return lit[i] == '\0';
}

/* RFC 9110 tchar: bit per byte value. */
static const uint32_t http_tchar[8] = {
	0x00000000, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff, 0, 0, 0, 0,
};

static int
is_tchar(uint8_t c)
{
	return (http_tchar[c >> 5] >> (c & 31)) & 1;
}

static int
is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Trim optional whitespace on both ends. */
static void
trim(const uint8_t **p, uint32_t *n)
{
	while (*n > 0 && is_ows((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && (is_ows((*p)[*n - 1]) || (*p)[*n - 1] == '\r'))
		(*n)--;
}

/* Length of the line at p (up to '\n', exclusive), or -1 if none in len. */
static int64_t
line_len(const uint8_t *p, uint32_t len)
{
	const uint8_t *nl = memchr(p, '\n', len);

	return nl == NULL ? -1 : nl - p;
}

/*
 * Search p[*scan..len) for the empty line that ends a header block.
 * @return bytes of the block including the empty line, or 0 (then *scan
 *         says where to resume).
 */
static uint32_t
hdr_end(const uint8_t *p, uint32_t len, uint32_t *scan)
{
	uint32_t i;

	for (i = *scan; i < len; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 >= len)
			break;
		if (p[i + 1] == '\n')
			return i + 2;
		if (p[i + 1] == '\r') {
			if (i + 2 >= len)
				break;
			if (p[i + 2] == '\n')
				return i + 3;
		}
	}
	*scan = i;
	return 0;
}

/* Malformed HTTP. */
static enum fc_l7_result
http_error(struct fc_l7_emit *emit, const char *reason)
{
	emit->error = reason;
	return FC_L7_ERROR;
}

/* A bad start line: not HTTP if nothing was parsed on the side yet. */
static enum fc_l7_result
http_fail(struct http_dir *d, struct fc_l7_emit *emit, const char *reason)
{
	if (d->msgs == 0)
		return FC_L7_DETACH;
	return http_error(emit, reason);
}

/* "HTTP/1.d" at p[0..n). @return minor digit or -1. */
static int
parse_version(const uint8_t *p, uint32_t n)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9')
		return -1;
	return p[7] - '0';
}

static uint32_t
skip_sp(const uint8_t *p, uint32_t i, uint32_t n)
{
	while (i < n && p[i] == ' ')
		i++;
	return i;
}

/* Parsed request line. */
struct http_reqline {
	const uint8_t *method, *uri;
	uint32_t method_len, uri_len;
	int minor;
};

/* method SP+ request-target SP+ HTTP/1.d [SP*] (no CR/LF in p[0..n)). */
static int
parse_request_line(const uint8_t *p, uint32_t n, struct http_reqline *rl)
{
	uint32_t i = 0, s;

	while (i < n && is_tchar(p[i]))
		i++;
	if (i == 0 || i > HTTP_METHOD_MAX || i >= n || p[i] != ' ')
		return -1;
	rl->method = p;
	rl->method_len = i;
	i = skip_sp(p, i, n);
	s = i;
	while (i < n && p[i] > ' ' && p[i] != 0x7f)
		i++;
	if (i == s || i >= n || p[i] != ' ')
		return -1;
	rl->uri = p + s;
	rl->uri_len = i - s;
	i = skip_sp(p, i, n);
	s = i;
	while (i < n && p[i] != ' ')
		i++;
	rl->minor = parse_version(p + s, i - s);
	if (rl->minor < 0 || skip_sp(p, i, n) != n)
		return -1;
	return 0;
}

/* HTTP/1.d SP+ 3DIGIT [SP reason] (no CR/LF in p[0..n)). */
static int
parse_status_line(const uint8_t *p, uint32_t n, int *minor, uint16_t *status,
		  const uint8_t **msg, uint32_t *msg_len)
{
	uint32_t i;

	if (n < 12)
		return -1;
	*minor = parse_version(p, 8);
	if (*minor < 0 || p[8] != ' ')
		return -1;
	i = skip_sp(p, 8, n);
	if (i + 3 > n)
		return -1;
	for (uint32_t k = 0; k < 3; k++)
		if (p[i + k] < '0' || p[i + k] > '9')
			return -1;
	*status = (uint16_t)((p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0'));
	if (*status < 100)
		return -1;
	i += 3;
	if (i < n && p[i] != ' ')
		return -1;
	*msg = p + skip_sp(p, i, n);
	*msg_len = n - (uint32_t)(*msg - p);
	return 0;
}

/* Content-Length: 1#DIGIT, all elements equal. */
static void
parse_cl(struct http_hdrs *h, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;

	while (i <= n) {
		uint64_t v = 0;
		uint32_t s;

		while (i < n && is_ows(p[i]))
			i++;
		s = i;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			if (v > (UINT64_MAX >> 1) / 10) {
				h->bad_cl = 1;
				return;
			}
			v = v * 10 + (uint64_t)(p[i] - '0');
			i++;
		}
		if (i == s) {
			h->bad_cl = 1;
			return;
		}
		while (i < n && is_ows(p[i]))
			i++;
		if (h->has_cl && h->content_length != v) {
			h->bad_cl = 1;
			return;
		}
		h->has_cl = 1;
		h->content_length = v;
		if (i == n)
			return;
		if (p[i] != ',') {
			h->bad_cl = 1;
			return;
		}
		i++;
	}
}

/* Transfer-Encoding: is the last coding "chunked"? */
static void
parse_te(struct http_hdrs *h, const uint8_t *p, uint32_t n)
{
	const uint8_t *last = p;
	uint32_t last_n = n;

	for (uint32_t i = 0; i < n; i++)
		if (p[i] == ',') {
			last = p + i + 1;
			last_n = n - i - 1;
		}
	trim(&last, &last_n);
	h->has_te = 1;
	h->chunked = ieq(last, last_n, "chunked");
}

/* Iterate the field lines of a header block; the start line is skipped. */
struct http_line_it {
	const uint8_t *p;
	uint32_t len;
	uint32_t off;
};

/* Next field line: name/value spans and the whole line span. 0 at the end. */
static int
next_field(struct http_line_it *it, const uint8_t **name, uint32_t *name_n,
	   const uint8_t **val, uint32_t *val_n, const uint8_t **line)
{
	while (it->off < it->len) {
		const uint8_t *l = it->p + it->off;
		int64_t ll = line_len(l, it->len - it->off);
		uint32_t n, c;

		if (ll < 0)
			return 0;
		it->off += (uint32_t)ll + 1;
		n = (uint32_t)ll;
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (n == 0)
			return 0;           /* the empty line */
		if (is_ows(l[0]))
			continue;           /* obsolete line folding: ignored */
		for (c = 0; c < n && is_tchar(l[c]); c++)
			;
		if (c == 0 || c >= n || l[c] != ':')
			continue;           /* not a field line: ignored */
		*name = l;
		*name_n = c;
		*val = l + c + 1;
		*val_n = n - c - 1;
		trim(val, val_n);
		*line = l;
		return 1;
	}
	return 0;
}

/* Broken-out header names (lower case) and their fields. */
static const struct {
	const char *name;
	uint8_t field;
} http_known[] = {
	{ "host", HF_HOST },
	{ "user-agent", HF_USER_AGENT },
	{ "referer", HF_REFERRER },
	{ "origin", HF_ORIGIN },
	{ "content-type", HF_CONTENT_TYPE },
	{ "content-length", HF_CONTENT_LENGTH },
	{ "transfer-encoding", HF_TRANSFER_ENCODING },
};

/* Collect the broken-out fields of a block (first occurrence wins). */
static void
scan_fields(const uint8_t *blk, uint32_t blk_len, uint32_t first_line,
	    struct http_hdrs *h)
{
	struct http_line_it it = { blk, blk_len, first_line };
	const uint8_t *name, *val, *line;
	uint32_t name_n, val_n;

	memset(h, 0, sizeof(*h));
	while (next_field(&it, &name, &name_n, &val, &val_n, &line)) {
		for (unsigned int k = 0; k < FC_DIM(http_known); k++) {
			uint8_t f = http_known[k].field;

			if (!ieq(name, name_n, http_known[k].name))
				continue;
			if (f == HF_CONTENT_LENGTH)
				parse_cl(h, val, val_n);
			if (f == HF_TRANSFER_ENCODING)
				parse_te(h, val, val_n);
			if (h->v[f] == NULL || f == HF_TRANSFER_ENCODING) {
				h->v[f] = val;
				h->n[f] = val_n;
			}
			break;
		}
	}
}

static int
is_known(const uint8_t *name, uint32_t n)
{
	for (unsigned int k = 0; k < FC_DIM(http_known); k++)
		if (ieq(name, n, http_known[k].name))
			return 1;
	return 0;
}

static void
put_opt(struct fc_l7_msg *m, const struct http_hdrs *h, uint8_t f)
{
	if (h->v[f] != NULL)
		fc_l7_put_str(m, f, h->v[f], h->n[f]);
}

static const char *const http_versions[] = {
	"1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9",
};

static struct http_req *
q_at(struct http_state *s, unsigned int i)
{
	return &s->q[(s->q_head + i) % HTTP_PIPELINE];
}

/* A complete request header block at blk[0..n), start line line_n bytes. */
static enum fc_l7_result
on_request(struct http_state *s, const uint8_t *blk, uint32_t n,
	   uint32_t line_n, struct fc_l7_emit *emit)
{
	struct http_dir *d = &s->dir[FC_SIDE_ORIG];
	struct http_reqline rl;
	struct http_hdrs h;
	struct http_line_it it;
	const uint8_t *name, *val, *line;
	uint32_t name_n, val_n, next = line_n + 1;
	unsigned int n_hdr = 0;
	struct fc_l7_msg *m;
	uint8_t method;

	if (parse_request_line(blk, line_n > 0 && blk[line_n - 1] == '\r' ?
			       line_n - 1 : line_n, &rl) != 0)
		return http_fail(d, emit, "http: bad request line");
	scan_fields(blk, n, next, &h);
	if (h.bad_cl)
		return http_error(emit, "http: bad content-length");
	if (h.has_te && !h.chunked)
		return http_error(emit, "http: request transfer-encoding not chunked");
	method = ieq(rl.method, rl.method_len, "head") ? HM_HEAD :
		 ieq(rl.method, rl.method_len, "connect") ? HM_CONNECT : HM_OTHER;
	s->depth++;
	if (s->q_count < HTTP_PIPELINE) {
		struct http_req *r = q_at(s, s->q_count);

		r->body_len = 0;
		r->depth = s->depth;
		r->method = method;
		s->req_cur = (uint8_t)((s->q_head + s->q_count) % HTTP_PIPELINE);
		s->q_count++;
	} else {
		s->req_cur = 0xff;
	}
	m = emit->begin(emit->arg, HK_REQUEST, FC_SIDE_ORIG);
	fc_l7_put_u64(m, HF_TRANS_DEPTH, s->depth);
	fc_l7_put_str(m, HF_METHOD, rl.method, rl.method_len);
	put_opt(m, &h, HF_HOST);
	fc_l7_put_str(m, HF_URI, rl.uri, rl.uri_len);
	fc_l7_put_cstr(m, HF_VERSION, http_versions[rl.minor]);
	put_opt(m, &h, HF_USER_AGENT);
	put_opt(m, &h, HF_REFERRER);
	put_opt(m, &h, HF_ORIGIN);
	put_opt(m, &h, HF_CONTENT_TYPE);
	if (h.has_cl)
		fc_l7_put_u64(m, HF_CONTENT_LENGTH, h.content_length);
	put_opt(m, &h, HF_TRANSFER_ENCODING);
	it.p = blk;
	it.len = n;
	it.off = next;
	while (n_hdr < HTTP_MAX_HEADERS &&
	       next_field(&it, &name, &name_n, &val, &val_n, &line)) {
		if (is_known(name, name_n))
			continue;
		fc_l7_put_str(m, HF_HEADERS, line, (uint32_t)(val + val_n - line));
		n_hdr++;
	}
	emit->end(emit->arg, m);

	d->body_len = 0;
	if (method == HM_CONNECT)
		d->phase = PH_SKIP;
	else if (h.chunked)
		d->phase = PH_CHUNK_SIZE;
	else if (h.has_cl && h.content_length > 0) {
		d->phase = PH_BODY;
		d->left = h.content_length;
	} else
		d->phase = PH_START;
	return FC_L7_OK;
}

static void
copy_str(char *dst, uint8_t *dst_len, size_t cap, const uint8_t *p, uint32_t n)
{
	if (p == NULL)
		n = 0;
	if (n > cap)
		n = (uint32_t)cap;
	if (n > 0)
		memcpy(dst, p, n);
	*dst_len = (uint8_t)n;
}

/* Emit the response held in s->resp; a final one takes its request. */
static void
emit_response(struct http_state *s, struct fc_l7_emit *emit, int interrupted)
{
	struct http_resp *r = &s->resp;
	struct fc_l7_msg *m;
	uint32_t depth = 0;
	uint64_t req_body = 0;
	int final = r->status >= 200 || r->status == 101;

	if (s->q_count > 0) {
		struct http_req *q = q_at(s, 0);

		depth = q->depth;
		req_body = q->body_len;
		if (final) {
			if (s->req_cur == s->q_head)
				s->req_cur = 0xff;
			s->q_head = (uint8_t)((s->q_head + 1) % HTTP_PIPELINE);
			s->q_count--;
		}
	}
	m = emit->begin(emit->arg, HK_RESPONSE, FC_SIDE_RESP);
	fc_l7_put_u64(m, HF_TRANS_DEPTH, depth);
	fc_l7_put_cstr(m, HF_VERSION, http_versions[r->minor]);
	fc_l7_put_u64(m, HF_STATUS_CODE, r->status);
	fc_l7_put_str(m, HF_STATUS_MSG, r->msg, r->msg_len);
	if (r->ctype_len > 0)
		fc_l7_put_str(m, HF_CONTENT_TYPE, r->ctype, r->ctype_len);
	if (r->has_cl)
		fc_l7_put_u64(m, HF_CONTENT_LENGTH, r->content_length);
	if (r->te_len > 0)
		fc_l7_put_str(m, HF_TRANSFER_ENCODING, r->te, r->te_len);
	fc_l7_put_u64(m, HF_REQUEST_BODY_LEN, req_body);
	fc_l7_put_u64(m, HF_RESPONSE_BODY_LEN, s->dir[FC_SIDE_RESP].body_len);
	if (interrupted)
		fc_l7_put_bool(m, HF_INTERRUPTED, 1);
	emit->end(emit->arg, m);
	r->active = 0;
}

/* A message body on side is complete. */
static void
body_done(struct http_state *s, uint8_t side, struct fc_l7_emit *emit)
{
	s->dir[side].phase = PH_START;
	if (side == FC_SIDE_RESP && s->resp.active)
		emit_response(s, emit, 0);
}

/* Body bytes counted on a side (and on its request when on the originator). */
static void
count_body(struct http_state *s, uint8_t side, uint64_t n)
{
	s->dir[side].body_len += n;
	if (side == FC_SIDE_ORIG && s->req_cur < HTTP_PIPELINE)
		s->q[s->req_cur].body_len += n;
}

/* A complete response header block at blk[0..n). */
static enum fc_l7_result
on_response(struct http_state *s, const uint8_t *blk, uint32_t n,
	    uint32_t line_n, struct fc_l7_emit *emit)
{
	struct http_dir *d = &s->dir[FC_SIDE_RESP];
	struct http_resp *r = &s->resp;
	struct http_hdrs h;
	const uint8_t *msg;
	uint32_t msg_len;
	uint16_t status;
	uint8_t method;
	int minor;

	if (parse_status_line(blk, line_n > 0 && blk[line_n - 1] == '\r' ?
			      line_n - 1 : line_n, &minor, &status, &msg, &msg_len) != 0)
		return http_fail(d, emit, "http: bad status line");
	scan_fields(blk, n, line_n + 1, &h);
	if (h.bad_cl)
		return http_error(emit, "http: bad content-length");
	method = s->q_count > 0 ? q_at(s, 0)->method : HM_OTHER;
	memset(r, 0, sizeof(*r));
	r->status = status;
	r->minor = (uint8_t)minor;
	r->has_cl = h.has_cl;
	r->content_length = h.content_length;
	copy_str(r->msg, &r->msg_len, sizeof(r->msg), msg, msg_len);
	copy_str(r->ctype, &r->ctype_len, sizeof(r->ctype), h.v[HF_CONTENT_TYPE],
		 h.n[HF_CONTENT_TYPE]);
	copy_str(r->te, &r->te_len, sizeof(r->te), h.v[HF_TRANSFER_ENCODING],
		 h.n[HF_TRANSFER_ENCODING]);
	d->body_len = 0;
	d->phase = PH_START;
	if (method == HM_CONNECT && status >= 300 &&
	    s->dir[FC_SIDE_ORIG].phase == PH_SKIP)
		s->dir[FC_SIDE_ORIG].phase = PH_START; /* refused: requests go on */
	if (status == 101 || (method == HM_CONNECT && status >= 200 && status < 300)) {
		/* The connection becomes something else: nothing more to parse. */
		emit_response(s, emit, 0);
		return FC_L7_DETACH;
	}
	if (status < 200 || status == 204 || status == 304 || method == HM_HEAD) {
		emit_response(s, emit, 0);
		return FC_L7_OK;
	}
	r->active = 1;
	if (h.has_te)
		d->phase = h.chunked ? PH_CHUNK_SIZE : PH_UNTIL_CLOSE;
	else if (h.has_cl) {
		d->left = h.content_length;
		d->phase = PH_BODY;
	} else
		d->phase = PH_UNTIL_CLOSE;
	if (d->phase == PH_BODY && d->left == 0)
		body_done(s, FC_SIDE_RESP, emit);
	return FC_L7_OK;
}

/*
 * Before a complete header block: check what is there already so that
 * traffic that is not HTTP is turned away early instead of after
 * HTTP_HDR_MAX bytes.
 */
static int
start_plausible(uint8_t side, const uint8_t *p, uint32_t len)
{
	if (side == FC_SIDE_RESP) {
		uint32_t n = len < 5 ? len : 5;

		return memcmp(p, "HTTP/", n) == 0;
	}
	for (uint32_t i = 0; i < len && i <= HTTP_METHOD_MAX; i++) {
		if (p[i] == ' ')
			return i > 0;
		if (!is_tchar(p[i]))
			return 0;
	}
	return len <= HTTP_METHOD_MAX;
}

/* PH_START: skip empty lines, then a whole header block. */
static enum fc_l7_result
parse_start(struct http_state *s, uint8_t side, const uint8_t *p, uint32_t len,
	    uint32_t *consumed, struct fc_l7_emit *emit)
{
	struct http_dir *d = &s->dir[side];
	uint32_t off = 0, end;
	int64_t ll;
	enum fc_l7_result r;

	while (off < len && (p[off] == '\r' || p[off] == '\n'))
		off++;
	if (off > 0) {
		/* Empty lines between messages: consumed on their own. */
		d->scan = 0;
		d->line_ok = 0;
		*consumed = off;
		return FC_L7_OK;
	}
	if (d->scan > len)
		d->scan = 0;
	if (!d->line_ok) {
		ll = line_len(p + d->scan, len - d->scan);
		if (ll < 0) {
			if (!start_plausible(side, p, len))
				return http_fail(d, emit, "http: bad start line");
			if (len >= HTTP_LINE_MAX)
				return http_fail(d, emit, "http: start line too long");
			d->scan = len;
			return FC_L7_NEED_MORE;
		}
		if (!start_plausible(side, p, (uint32_t)ll + d->scan))
			return http_fail(d, emit, "http: bad start line");
		d->line_ok = 1;
		d->scan += (uint32_t)ll;    /* at the '\n' of the start line */
	}
	end = hdr_end(p, len, &d->scan);
	if (end == 0) {
		if (len >= HTTP_HDR_MAX)
			return http_error(emit, "http: header block too long");
		return FC_L7_NEED_MORE;
	}
	ll = line_len(p, end);
	r = side == FC_SIDE_ORIG ? on_request(s, p, end, (uint32_t)ll, emit) :
				   on_response(s, p, end, (uint32_t)ll, emit);
	d->scan = 0;
	d->line_ok = 0;
	if (r == FC_L7_OK || r == FC_L7_DETACH) {
		if (d->msgs < UINT8_MAX)
			d->msgs++;
		*consumed = end;
	}
	return r;
}

/* A chunk size line: 1*HEXDIG [BWS] [; ext] CRLF. */
static enum fc_l7_result
parse_chunk_size(struct http_state *s, uint8_t side, const uint8_t *p,
		 uint32_t len, uint32_t *consumed, struct fc_l7_emit *emit)
{
	struct http_dir *d = &s->dir[side];
	int64_t ll = line_len(p, len);
	uint64_t v = 0;
	uint32_t i = 0, n;

	if (ll < 0)
		return len >= HTTP_LINE_MAX ?
			http_error(emit, "http: chunk size line too long") :
			FC_L7_NEED_MORE;
	n = (uint32_t)ll;
	for (; i < n; i++) {
		int c = lower(p[i]), x;

		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (c >= 'a' && c <= 'f')
			x = c - 'a' + 10;
		else
			break;
		if (v >> 59)
			return http_error(emit, "http: chunk size overflow");
		v = v << 4 | (uint64_t)x;
	}
	if (i == 0)
		return http_error(emit, "http: bad chunk size");
	while (i < n && is_ows(p[i]))
		i++;
	if (i < n && p[i] != ';' && !(p[i] == '\r' && i + 1 == n))
		return http_error(emit, "http: bad chunk size");
	*consumed = n + 1;
	if (v == 0) {
		d->phase = PH_TRAILER;
	} else {
		d->phase = PH_CHUNK_DATA;
		d->left = v;
	}
	return FC_L7_OK;
}

static enum fc_l7_result
http_parse(void *state, uint8_t side, const uint8_t *p, uint32_t len,
	   uint32_t *consumed, uint64_t ts, struct fc_l7_emit *emit)
{
	struct http_state *s = state;
	struct http_dir *d = &s->dir[side & 1];
	uint32_t n;
	int64_t ll;

	(void)ts;
	side &= 1;
	*consumed = 0;
	if (len == 0)
		return FC_L7_NEED_MORE;
	if ((d->phase == PH_BODY || d->phase == PH_CHUNK_DATA) && d->left == 0) {
		/* A gap ended the body or chunk: move on before these bytes. */
		if (d->phase == PH_BODY)
			body_done(s, side, emit);
		else
			d->phase = PH_CHUNK_CRLF;
	}
	switch (d->phase) {
	case PH_START:
		return parse_start(s, side, p, len, consumed, emit);
	case PH_BODY:
	case PH_CHUNK_DATA:
		n = d->left < len ? (uint32_t)d->left : len;
		d->left -= n;
		count_body(s, side, n);
		*consumed = n;
		if (d->left == 0) {
			if (d->phase == PH_BODY)
				body_done(s, side, emit);
			else
				d->phase = PH_CHUNK_CRLF;
		}
		return FC_L7_OK;
	case PH_CHUNK_SIZE:
		return parse_chunk_size(s, side, p, len, consumed, emit);
	case PH_CHUNK_CRLF:
		if (p[0] == '\n') {
			*consumed = 1;
		} else if (p[0] == '\r') {
			if (len < 2)
				return FC_L7_NEED_MORE;
			if (p[1] != '\n')
				return http_error(emit, "http: no CRLF after chunk data");
			*consumed = 2;
		} else {
			return http_error(emit, "http: no CRLF after chunk data");
		}
		d->phase = PH_CHUNK_SIZE;
		return FC_L7_OK;
	case PH_TRAILER:
		ll = line_len(p, len);
		if (ll < 0)
			return len >= HTTP_LINE_MAX ?
				http_error(emit, "http: trailer line too long") :
				FC_L7_NEED_MORE;
		*consumed = (uint32_t)ll + 1;
		if (ll == 0 || (ll == 1 && p[0] == '\r'))
			body_done(s, side, emit);
		return FC_L7_OK;
	case PH_UNTIL_CLOSE:
	case PH_SKIP:
		if (d->phase == PH_UNTIL_CLOSE)
			count_body(s, side, len);
		*consumed = len;
		return FC_L7_OK;
	default:
		emit->error = "http: bad state";
		return FC_L7_ERROR;
	}
}

static enum fc_l7_result
http_gap(void *state, uint8_t side, uint32_t len)
{
	struct http_state *s = state;
	struct http_dir *d = &s->dir[side & 1];

	d->scan = 0;
	switch (d->phase) {
	case PH_BODY:
	case PH_CHUNK_DATA:
		if (len > d->left)
			return FC_L7_DETACH;
		/* Missing body bytes are not counted; a body that ends with
		 * the hole completes on the next bytes or at end(). */
		d->left -= len;
		if (d->left == 0 && d->phase == PH_CHUNK_DATA)
			d->phase = PH_CHUNK_CRLF;
		return FC_L7_OK;
	case PH_UNTIL_CLOSE:
	case PH_SKIP:
		return FC_L7_OK;
	default:
		return FC_L7_DETACH;
	}
}

static void
http_end(void *state, int fin, uint64_t ts, struct fc_l7_emit *emit)
{
	struct http_state *s = state;
	struct http_dir *d = &s->dir[FC_SIDE_RESP];

	(void)ts;
	if (!s->resp.active)
		return;
	if (d->phase == PH_BODY && d->left == 0)
		emit_response(s, emit, 0);
	else
		emit_response(s, emit, !(fin && d->phase == PH_UNTIL_CLOSE));
}

static void
http_init(void *state)
{
	struct http_state *s = state;

	s->req_cur = 0xff;
}

/* Method + SP on the originator, "HTTP/1." on the responder. */
static enum fc_l7_probe
http_probe(const uint8_t *p, uint32_t len, uint8_t side)
{
	if (side == FC_SIDE_RESP) {
		if (len >= 7)
			return memcmp(p, "HTTP/1.", 7) == 0 ? FC_L7_PROBE_YES : FC_L7_PROBE_NO;
		return memcmp(p, "HTTP/1.", len) == 0 ? FC_L7_PROBE_MAYBE : FC_L7_PROBE_NO;
	}
	for (unsigned int i = 0; i < FC_DIM(http_methods); i++) {
		size_t n = strlen(http_methods[i]);

		if (len >= n) {
			if (memcmp(p, http_methods[i], n) == 0)
				return FC_L7_PROBE_YES;
		} else if (memcmp(p, http_methods[i], len) == 0) {
			return FC_L7_PROBE_MAYBE;
		}
	}
	return FC_L7_PROBE_NO;
}

const struct fc_l7_parser fc_l7_http = {
	.name = "http",
	.proto = FC_L7_HTTP,
	.transport = IPPROTO_TCP,
	.n_ports = 4,
	.ports = { 80, 8080, 8000, 3128 },
	.state_size = sizeof(struct http_state),
	.max_tail = HTTP_HDR_MAX,
	.fields = http_fields,
	.n_fields = HF_MAX,
	.kinds = http_kinds,
	.n_kinds = HK_MAX,
	.probe = http_probe,
	.init = http_init,
	.parse = http_parse,
	.gap = http_gap,
	.end = http_end,
};
