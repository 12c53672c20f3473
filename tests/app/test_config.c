/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the config layer (app/config.c, app/options.c).
 *
 * Most tests walk the schema itself, so a key added to app_cfg_keys[] is
 * covered without a new test: every key must take valid values of its
 * type (from the file, --set and its alias) and land in its own field
 * only; must refuse a value of the wrong type, out of range or not among
 * its names, with a message that names FILE:LINE:COLUMN and the key; and
 * must survive a dump and reload. Then the error paths of the YAML
 * walker one by one, a hand-made fuzz of broken files, --set, the
 * precedence of the sources, and the reference file config/flowscope.yaml
 * against --dump-defaults.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <fc_event.h>
#include <fc_l7.h>

#include "config.h"

#define ERRLEN 1024

/* Options at their defaults, on the heap (the struct is large). */
static struct app_options *
opts_new(void)
{
	struct app_options *o = malloc(sizeof(*o));

	assert_non_null(o);
	app_config_defaults(o);
	return o;
}

static int
load(struct app_options *o, const char *text, char *err)
{
	return app_config_load_buffer(o, text, strlen(text), "t.yaml", err, ERRLEN);
}

static int
is_item(const struct app_cfg_key *k)
{
	return (k->flags & APP_CFG_F_ITEM) != 0;
}

static const char *
leaf(const char *key)
{
	const char *d = strrchr(key, '.');

	return d != NULL ? d + 1 : key;
}

/*
 * YAML that sets row k to `value`, nested as its dotted key says; *line
 * and *col get the position of the value and `shown` the key as messages
 * name it. Item rows go into a `ports` entry with a name.
 */
static void
yaml_for(const struct app_cfg_key *k, const char *value, char *buf, size_t len,
	 unsigned int *line, unsigned int *col, char *shown, size_t shown_len)
{
	char key[128];
	char *part, *save = NULL;
	size_t used = 0;
	unsigned int depth = 0;

	if (is_item(k)) {
		if (strcmp(leaf(k->key), "name") == 0) {
			snprintf(buf, len, "ports:\n  - name: %s\n", value);
			*line = 2;
			*col = 11;
		} else {
			snprintf(buf, len, "ports:\n  - name: net_pcap0\n    %s: %s\n",
				 leaf(k->key), value);
			*line = 3;
			*col = 4 + (unsigned int)strlen(leaf(k->key)) + 3;
		}
		snprintf(shown, shown_len, "ports[0].%s", leaf(k->key));
		return;
	}
	snprintf(key, sizeof(key), "%s", k->key);
	buf[0] = '\0';
	for (part = strtok_r(key, ".", &save); part != NULL;
	     part = strtok_r(NULL, ".", &save)) {
		const char *rest = save != NULL && *save != '\0' ? save : NULL;

		if (rest != NULL) {
			used += (size_t)snprintf(buf + used, len - used, "%*s%s:\n",
						 (int)(2 * depth), "", part);
		} else {
			used += (size_t)snprintf(buf + used, len - used, "%*s%s: %s\n",
						 (int)(2 * depth), "", part, value);
			*col = 2 * depth + (unsigned int)strlen(part) + 3;
		}
		depth++;
	}
	*line = depth;
	snprintf(shown, shown_len, "%s", k->key);
}

/* Load row k = value; 0 or the error. */
static int
try_value(const struct app_cfg_key *k, const char *value, struct app_options *o,
	  char *err, unsigned int *line, unsigned int *col, char *shown)
{
	char text[4096];

	yaml_for(k, value, text, sizeof(text), line, col, shown, 128);
	return load(o, text, err);
}

/* Valid values of a row, NULL-terminated, written into store. */
static unsigned int
valid_values(const struct app_cfg_key *k, char store[][256], unsigned int max)
{
	unsigned int n = 0, i;

	switch (k->type) {
	case APP_CFG_BOOL:
		snprintf(store[n++], 256, "true");
		snprintf(store[n++], 256, "false");
		snprintf(store[n++], 256, "yes");
		snprintf(store[n++], 256, "off");
		break;
	case APP_CFG_UINT:
	case APP_CFG_BYTES:
	case APP_CFG_SECONDS:
		snprintf(store[n++], 256, "%llu", (unsigned long long)k->min);
		snprintf(store[n++], 256, "%llu", (unsigned long long)k->max);
		if (k->flags & APP_CFG_F_ZERO)
			snprintf(store[n++], 256, "0");
		if (k->type == APP_CFG_BYTES && k->max >= (1u << 20))
			snprintf(store[n++], 256, "1m");
		if (k->type == APP_CFG_SECONDS && k->max >= 120)
			snprintf(store[n++], 256, "2m");
		break;
	case APP_CFG_ENUM:
		for (i = 0; i < k->n_enum && n < max; i++)
			snprintf(store[n++], 256, "%s", k->enum_name(i));
		break;
	case APP_CFG_STRING:
		if (!is_item(k) || k->def[0] != '\0')
			snprintf(store[n++], 256, "\"%s\"", k->def);
		if (k->example != NULL)
			snprintf(store[n++], 256, "\"%s\"", k->example);
		break;
	case APP_CFG_LIST:
		snprintf(store[n++], 256, "[]");
		if (k->example != NULL) {
			snprintf(store[n++], 256, "[\"%s\"]", k->example);
			snprintf(store[n++], 256, "\"%s\"", k->example);
		}
		break;
	case APP_CFG_PORTS:
		snprintf(store[n++], 256, "[]");
		snprintf(store[n++], 256, "%s", k->example);
		break;
	default:
		break;
	}
	assert_true(n <= max);
	return n;
}

/* Schema sanity: unique keys and aliases, parents before children, docs. */
static void
test_schema_consistent(void **state)
{
	unsigned int i, j;

	(void)state;
	assert_true(app_cfg_n_keys > 40);
	for (i = 0; i < app_cfg_n_keys; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];
		const char *dot = strrchr(k->key, '.');

		assert_non_null(k->help);
		assert_true(k->type == APP_CFG_SECTION || k->def != NULL);
		if ((k->type == APP_CFG_STRING && k->ops != NULL) ||
		    k->type == APP_CFG_LIST) {
			assert_non_null(k->values);
			assert_non_null(k->example);
			assert_non_null(k->bad);
		}
		if (k->type == APP_CFG_ENUM)
			assert_true(k->n_enum >= 2);
		if (k->opt != NULL && k->flag_value == NULL)
			assert_non_null(k->arg);
		for (j = 0; j < app_cfg_n_keys; j++) {
			if (j == i)
				continue;
			assert_string_not_equal(k->key, app_cfg_keys[j].key);
			if (k->opt != NULL && app_cfg_keys[j].opt != NULL)
				assert_string_not_equal(k->opt, app_cfg_keys[j].opt);
		}
		assert_ptr_equal(app_config_key(k->key), k);
		if (dot != NULL) {
			/* the parent comes earlier: a section, or `ports` */
			char parent[128];
			const struct app_cfg_key *p;

			snprintf(parent, sizeof(parent), "%.*s",
				 (int)(dot - k->key), k->key);
			p = app_config_key(parent);
			assert_non_null(p);
			assert_true(p < k);
			assert_true(p->type == APP_CFG_SECTION ||
				    (p->type == APP_CFG_PORTS && is_item(k)));
		}
	}
}

static void
test_defaults(void **state)
{
	struct app_options *o = opts_new();

	(void)state;
	assert_int_equal(o->tracker.timeout_tcp, 300);
	assert_int_equal(o->tracker.timeout_udp, 60);
	assert_int_equal(o->tracker.max_flows, 0);
	assert_int_equal(o->tracker.pkt.vxlan_port, 4789);
	assert_int_equal(o->tracker.event_mask, fc_event_default_mask());
	assert_int_equal(o->tracker.n_port_timeouts, 0);
	assert_int_equal(o->n_outputs, 1);
	assert_string_equal(o->outputs[0], "ndjson:-");
	assert_int_equal(o->reasm_enabled, 1);
	assert_int_equal(o->reasm.memcap, 64u << 20);
	assert_int_equal(o->reasm.side_cap, 256u << 10);
	assert_int_equal(o->reasm.overflow, FC_REASM_SLIDING_WINDOW);
	assert_int_equal(o->l7.enabled, (1u << FC_L7_HTTP) | (1u << FC_L7_TLS) |
			 (1u << FC_L7_DNS));
	assert_int_equal(o->lcores.rx, 1);
	assert_int_equal(o->lcores.idle_backoff_us, 100);
	assert_int_equal(o->events.ring_size, 4096);
	assert_int_equal(o->print_stats, 1);
	assert_int_equal(o->n_port_cfg, 0);
	assert_string_equal(o->dump.streams_dir, "");
	assert_int_equal(o->dump.gap_fill, APP_GAP_SKIP);
	assert_null(o->pcap);
	free(o);
}

/* Rows whose value differs between a and b; *first gets the first one. */
static unsigned int
rows_differing(const struct app_options *a, const struct app_options *b,
	       const struct app_cfg_key **first)
{
	static char x[16384], y[16384];
	unsigned int i, n = 0;

	*first = NULL;
	for (i = 0; i < app_cfg_n_keys; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];

		if (k->type == APP_CFG_SECTION || is_item(k))
			continue;
		assert_int_equal(app_config_format(a, k, x, sizeof(x)), 0);
		assert_int_equal(app_config_format(b, k, y, sizeof(y)), 0);
		if (strcmp(x, y) != 0) {
			if (n++ == 0)
				*first = k;
		}
	}
	return n;
}

/* The number a valid numeric text stands for. */
static uint64_t
number_of(const struct app_cfg_key *k, const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	if (*end == 'm')
		v *= k->type == APP_CFG_BYTES ? 1u << 20 : 60;
	return v;
}

static uint64_t
field_value(const void *base, const struct app_cfg_key *k)
{
	const uint8_t *p = (const uint8_t *)base + k->off;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (k->size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	default: memcpy(&u64, p, 8); return u64;
	}
}

/* After row k took vals (the j-th valid value): its field holds it. */
static void
check_landed(const struct app_options *o, const struct app_cfg_key *k,
	     const char *val, unsigned int j)
{
	const void *base = is_item(k) ? (const void *)&o->ports[0] : (const void *)o;
	char text[4096];

	switch (k->type) {
	case APP_CFG_BOOL:
		if (k->mask != 0)
			assert_int_equal((field_value(base, k) & k->mask) != 0,
					 j == 0 || j == 2);
		else
			assert_int_equal(field_value(base, k), j == 0 || j == 2);
		break;
	case APP_CFG_UINT:
	case APP_CFG_BYTES:
	case APP_CFG_SECONDS:
		assert_int_equal(field_value(base, k), number_of(k, val));
		break;
	case APP_CFG_ENUM:
		assert_int_equal(field_value(base, k), j);
		break;
	default:
		/* text types: the value shows in the row's formatted value */
		assert_int_equal(app_config_format(o, is_item(k) ?
				 app_config_key("ports") : k, text, sizeof(text)), 0);
		if (k->type != APP_CFG_PORTS && k->example != NULL &&
		    strstr(val, k->example) != NULL &&
		    k->ops == NULL && strstr(text, k->example) == NULL)
			fail_msg("%s = %s: value shows as %s", k->key, val, text);
		break;
	}
}

/* Every key takes every valid value from a file, in its own field only. */
static void
test_every_key_accepts_valid_values(void **state)
{
	struct app_options *defs = opts_new(), *o = malloc(sizeof(*o));
	char vals[16][256], err[ERRLEN], shown[128];
	unsigned int i, j, n, line, col;

	(void)state;
	assert_non_null(o);
	for (i = 0; i < app_cfg_n_keys; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];
		const struct app_cfg_key *top = is_item(k) ? app_config_key("ports") : k;

		if (k->type == APP_CFG_SECTION)
			continue;
		n = valid_values(k, vals, 16);
		assert_true(n > 0);
		for (j = 0; j < n; j++) {
			const struct app_cfg_key *d;
			unsigned int nd;

			app_config_defaults(o);
			if (try_value(k, vals[j], o, err, &line, &col, shown) != 0)
				fail_msg("%s: '%s' rejected: %s", k->key, vals[j], err);
			nd = rows_differing(defs, o, &d);
			if (nd > 1 || (nd == 1 && d != top))
				fail_msg("%s = %s changed %u rows, first %s", k->key,
					 vals[j], nd, d->key);
			check_landed(o, k, vals[j], j);
		}
	}
	free(o);
	free(defs);
}

/* The same values through --set and through the key's option. */
static void
test_every_key_via_set_and_option(void **state)
{
	struct app_options *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char vals[16][256], err[ERRLEN], shown[128], assign[512], plain[256];
	unsigned int i, j, n, line, col;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < app_cfg_n_keys; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];
		const struct app_cfg_key *d;

		if (k->type == APP_CFG_SECTION || is_item(k))
			continue;
		n = valid_values(k, vals, 16);
		for (j = 0; j < n; j++) {
			size_t l = strlen(vals[j]);

			/* --set takes text as it is: strip the YAML quotes */
			if (l >= 2 && vals[j][0] == '"' && vals[j][l - 1] == '"')
				snprintf(plain, sizeof(plain), "%.*s", (int)(l - 2),
					 vals[j] + 1);
			else
				snprintf(plain, sizeof(plain), "%s", vals[j]);
			app_config_defaults(a);
			app_config_defaults(b);
			assert_int_equal(try_value(k, vals[j], a, err, &line, &col,
						   shown), 0);
			snprintf(assign, sizeof(assign), "%s=%s", k->key, plain);
			if (app_config_set(b, assign, err, sizeof(err)) != 0)
				fail_msg("--set %s: %s", assign, err);
			if (rows_differing(a, b, &d) != 0)
				fail_msg("--set %s differs from the file at %s",
					 assign, d->key);
			if (k->opt == NULL || k->flag_value != NULL ||
			    k->type == APP_CFG_LIST)
				continue;
			app_config_defaults(b);
			if (app_config_apply_option(b, k, plain, 0, err,
						    sizeof(err)) != 0)
				fail_msg("--%s %s: %s", k->opt, plain, err);
			if (rows_differing(a, b, &d) != 0)
				fail_msg("--%s %s differs from the file at %s",
					 k->opt, plain, d->key);
		}
	}
	free(a);
	free(b);
}

/* Expect a refusal whose message starts "t.yaml:LINE:COL: KEY: ". */
static void
expect_refused(const struct app_cfg_key *k, const char *value, const char *why)
{
	struct app_options *o = opts_new(), *defs = opts_new();
	char err[ERRLEN], shown[128], ekey[128];
	const struct app_cfg_key *d;
	unsigned int line, col, eline, ecol;

	if (try_value(k, value, o, err, &line, &col, shown) == 0)
		fail_msg("%s: %s '%s' accepted", k->key, why, value);
	/* at the value, or at an item inside it, and naming the key */
	if (sscanf(err, "t.yaml:%u:%u: %127[^:]: ", &eline, &ecol, ekey) != 3 ||
	    eline != line || ecol < col || strncmp(ekey, shown, strlen(shown)) != 0)
		fail_msg("%s: %s '%s': message '%s', want 't.yaml:%u:%u: %s...'",
			 k->key, why, value, err, line, col, shown);
	assert_null(strchr(err, '\n'));
	/* a refused file changes nothing */
	assert_int_equal(rows_differing(defs, o, &d), 0);
	free(o);
	free(defs);
}

static void
test_every_key_rejects_wrong_type(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < app_cfg_n_keys; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];

		switch (k->type) {
		case APP_CFG_SECTION:
			expect_refused(k, "5", "scalar for a section");
			expect_refused(k, "[1, 2]", "list for a section");
			break;
		case APP_CFG_LIST:
			expect_refused(k, "{a: 1}", "mapping for a list");
			expect_refused(k, "[[1]]", "nested list");
			expect_refused(k, "[{a: 1}]", "mapping item");
			break;
		case APP_CFG_PORTS:
			expect_refused(k, "5", "scalar for ports");
			expect_refused(k, "{name: a}", "mapping for ports");
			expect_refused(k, "[5]", "scalar port");
			break;
		default:
			expect_refused(k, "[1, 2]", "list for a scalar");
			expect_refused(k, "{a: 1}", "mapping for a scalar");
			if (k->type == APP_CFG_BOOL)
				expect_refused(k, "maybe", "not a bool");
			if (k->type == APP_CFG_UINT || k->type == APP_CFG_BYTES ||
			    k->type == APP_CFG_SECONDS) {
				expect_refused(k, "abc", "not a number");
				expect_refused(k, "-1", "negative");
				expect_refused(k, "12q", "bad suffix");
				expect_refused(k, "1.5", "fraction");
			}
			break;
		}
	}
}

static void
test_every_key_rejects_out_of_range(void **state)
{
	char v[128];
	unsigned int i;

	(void)state;
	for (i = 0; i < app_cfg_n_keys; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];

		switch (k->type) {
		case APP_CFG_UINT:
		case APP_CFG_BYTES:
		case APP_CFG_SECONDS:
			snprintf(v, sizeof(v), "%llu", (unsigned long long)k->max + 1);
			expect_refused(k, v, "above max");
			expect_refused(k, "99999999999999999999999", "overflow");
			if (k->min > 1 || (k->min == 1 && !(k->flags & APP_CFG_F_ZERO))) {
				snprintf(v, sizeof(v), "%llu",
					 (unsigned long long)k->min - 1);
				expect_refused(k, v, "below min");
			}
			if (k->flags & APP_CFG_F_POW2) {
				snprintf(v, sizeof(v), "%llu",
					 (unsigned long long)k->min + 1);
				expect_refused(k, v, "not a power of two");
			}
			break;
		case APP_CFG_ENUM:
			expect_refused(k, "bogus", "unknown name");
			expect_refused(k, "\"\"", "empty name");
			break;
		case APP_CFG_STRING:
			if (k->bad != NULL) {
				snprintf(v, sizeof(v), "\"%s\"", k->bad);
				expect_refused(k, v, "bad value");
			} else {
				char *big = malloc(k->size + 3);

				assert_non_null(big);
				memset(big, 'x', k->size + 2);
				big[k->size + 2] = '\0';
				expect_refused(k, big, "too long");
				free(big);
			}
			break;
		case APP_CFG_LIST:
			snprintf(v, sizeof(v), "[\"%s\"]", k->bad);
			expect_refused(k, v, "bad item");
			break;
		default:
			break;
		}
	}
}

/* Load text; expect failure with exactly this message. */
static void
expect_error(const char *text, const char *want)
{
	struct app_options *o = opts_new();
	char err[ERRLEN];

	if (load(o, text, err) == 0)
		fail_msg("accepted: %s", text);
	if (strcmp(err, want) != 0)
		fail_msg("message '%s', want '%s'", err, want);
	free(o);
}

static void
expect_ok(const char *text)
{
	struct app_options *o = opts_new();
	char err[ERRLEN];

	if (load(o, text, err) != 0)
		fail_msg("refused: %s: %s", text, err);
	free(o);
}

static void
test_error_messages(void **state)
{
	(void)state;
	expect_error("bogus: 1\n", "t.yaml:1:1: unknown key 'bogus'");
	expect_error("table:\n  timeouts:\n    tcpp: 5\n",
		     "t.yaml:3:5: unknown key 'table.timeouts.tcpp'");
	expect_error("table:\n  max_flows: 10\n  max_flows: 20\n",
		     "t.yaml:3:3: duplicate key 'table.max_flows' (first at line 2)");
	expect_error("table: {}\ntable: {}\n",
		     "t.yaml:2:1: duplicate key 'table' (first at line 1)");
	expect_error("ports:\n  - name: a\n    mtu: 1500\n    mtu: 1500\n",
		     "t.yaml:4:5: duplicate key 'ports[0].mtu' (first at line 3)");
	expect_error("ports:\n  - name: a\n    bogus: 1\n",
		     "t.yaml:3:5: unknown key 'ports[0].bogus'");
	expect_error("ports:\n  - name: a\n  - name: a\n",
		     "t.yaml:3:5: ports[1]: port 'a' is listed twice");
	expect_error("ports:\n  - mtu: 1500\n",
		     "t.yaml:2:5: ports[0]: a port needs a name");
	expect_error("ports: [{name: a}, {name: b}, {name: c}, {name: d}, {name: e}, "
		     "{name: f}, {name: g}, {name: h}, {name: i}]\n",
		     "t.yaml:1:97: ports[8]: at most 8 ports");
	expect_error("table:\n  timeouts: 5\n",
		     "t.yaml:2:13: table.timeouts: expected a mapping, not a scalar");
	expect_error("table:\n  max_flows: 3\n",
		     "t.yaml:2:14: table.max_flows: '3' is out of range [8, 268435456] or 0");
	expect_error("table:\n  max_flows: lots\n",
		     "t.yaml:2:14: table.max_flows: 'lots' is not a number in "
		     "[8, 268435456] or 0");
	expect_error("table:\n  key: 7tuple\n",
		     "t.yaml:2:8: table.key: unknown mode '7tuple' "
		     "(5tuple, 5tuple-uni, ip-pair, mac-pair)");
	expect_error("events:\n  ring_size: 1000\n",
		     "t.yaml:2:14: events.ring_size: '1000' is not a power of two");
	expect_error("reassembly:\n  memcap: 5x\n",
		     "t.yaml:2:11: reassembly.memcap: '5x' is not a number in "
		     "[1m, 64g] (suffixes k, m, g)");
	expect_error("outputs: [csv:-]\n",
		     "t.yaml:1:11: outputs: csv:-: unsupported sink; expected "
		     "SCHEME:TARGET with SCHEME one of ndjson eve zeek ipfix");
	/* malformed YAML: libyaml's problem mark */
	expect_error("table:\n  max_flows: \"8\n",
		     "t.yaml:3:1: table.max_flows: malformed YAML: found unexpected "
		     "end of stream (while scanning a quoted scalar)");
	expect_error("table:\n\tmax_flows: 8\n",
		     "t.yaml:2:1: table: malformed YAML: found character that cannot "
		     "start any token (while scanning for the next token)");
	expect_error("table:\n  max_flows: 8\n bad: 1\n",
		     "t.yaml:3:2: malformed YAML: did not find expected key "
		     "(while parsing a block mapping)");
	/* reader errors: a byte offset turned into line:column */
	expect_error("table:\n  key: \xff\n",
		     "t.yaml:2:8: malformed YAML: invalid leading UTF-8 octet "
		     "(byte 0xff)");
	expect_error("a\x01: 1\n",
		     "t.yaml:1:2: malformed YAML: control characters are not allowed "
		     "(byte 0x01)");
	expect_error("table: &t\n  max_flows: 8\ndecode: *t\n",
		     "t.yaml:3:9: decode: aliases (*t) are not supported");
	expect_error("[1, 2]\n",
		     "t.yaml:1:1: the top level must be a mapping of keys, not a list");
	expect_error("just text\n",
		     "t.yaml:1:1: the top level must be a mapping of keys, not a scalar");
	expect_error("table: {}\n---\ntable: {}\n",
		     "t.yaml:2:1: more than one YAML document");
	expect_error("? [a]\n: 1\n", "t.yaml:1:3: a key must be a scalar, not a list");
	expect_error("dump:\n  streams_dir: \"a\\0b\"\n",
		     "t.yaml:2:16: dump.streams_dir: a NUL byte inside a value");
	/* what is fine */
	expect_ok("");
	expect_ok("# only a comment\n");
	expect_ok("---\n");
	expect_ok("---\ntable:\n...\n");
	expect_ok("table:\nports:\noutputs:\n");
	expect_ok("table: &anchor\n  max_flows: 16\n");
	expect_ok("table: !!map {max_flows: !!int 16, key: !!str ip-pair}\n");
	expect_error("table: {max_flows: !!binary MTY=}\n",
		     "t.yaml:1:20: table.max_flows: tag 'tag:yaml.org,2002:binary' "
		     "is not supported");
	expect_ok("%YAML 1.1\n---\ntable: {max_flows: 16, timeouts: {udp: 1h}}\n");
}

static void
test_file_errors(void **state)
{
	struct app_options *o = opts_new();
	char err[ERRLEN], path[] = "/tmp/fc-cfg-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(app_config_load_file(o, "/nonexistent/x.yaml", err,
					      sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/x.yaml: No such file or directory");
	assert_int_not_equal(app_config_load_file(o, "/tmp", err, sizeof(err)), 0);
	assert_string_equal(err, "/tmp: Is a directory");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "table:\n  max_flows: 1\n", 22), 22);
	close(fd);
	assert_int_equal(app_config_load_file(o, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2:14: table.max_flows: '1' is out of range"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	unlink(path);
	free(o);
}

/* Broken files never crash: every truncation, byte flips, junk, depth. */
static void
test_fuzz_by_hand(void **state)
{
	struct app_options *o = opts_new();
	char err[ERRLEN], *ref = NULL, *buf;
	size_t len = 0, i;
	FILE *f = open_memstream(&ref, &len);
	unsigned int seed = 12345, n;
	static const char *const nasty[] = {
		"a: &a [*a, *a]\n",
		"a: &a [1]\nb: &b [*a, *a]\nc: &c [*b, *b]\n",
		"table: !!binary aGVsbG8=\n",
		"table: !custom {max_flows: 8}\n",
		"{",
		"}",
		"[",
		"'",
		"- - - - - - -",
		": : :",
		"table:\n  timeouts:\n    tcp: 1\n   udp: 2\n",
		"\xfe\xfftable",
		"table: {max_flows: 8, max_flows: 9}\n",
		"ports: [{name: a, name: b}]\n",
		("outputs: [\"ndjson:-\", \"ndjson:-\", \"ndjson:-\", \"ndjson:-\", "
		 "\"ndjson:-\", \"ndjson:-\", \"ndjson:-\", \"ndjson:-\", \"ndjson:-\"]\n"),
	};

	(void)state;
	assert_non_null(f);
	app_config_dump(f, o, APP_CONFIG_DUMP_REFERENCE);
	fclose(f);
	/* every prefix of the reference file */
	for (i = 0; i <= len; i++) {
		app_config_defaults(o);
		if (app_config_load_buffer(o, ref, i, "cut.yaml", err, sizeof(err)) != 0)
			assert_null(strchr(err, '\n'));
	}
	/* byte flips and junk bytes, fixed seed */
	buf = malloc(len + 1);
	assert_non_null(buf);
	for (n = 0; n < 3000; n++) {
		unsigned int k, flips = 1 + rand_r(&seed) % 4;

		memcpy(buf, ref, len);
		for (k = 0; k < flips; k++)
			buf[rand_r(&seed) % len] = (char)(rand_r(&seed) & 0xff);
		app_config_defaults(o);
		if (app_config_load_buffer(o, buf, len, "flip.yaml", err, sizeof(err)) != 0)
			assert_true(err[0] != '\0');
	}
	free(buf);
	free(ref);
	for (i = 0; i < FC_DIM(nasty); i++) {
		app_config_defaults(o);
		if (app_config_load_buffer(o, nasty[i], strlen(nasty[i]), "n.yaml",
					   err, sizeof(err)) == 0)
			fail_msg("accepted: %s", nasty[i]);
	}
	/* deep nesting, inside and outside of known keys */
	{
		size_t depth = 200000, pos;
		char *deep = malloc(2 * depth + 64);
		const char *pre[] = { "", "outputs: ", "table: ", "ports: " };

		assert_non_null(deep);
		for (i = 0; i < FC_DIM(pre); i++) {
			pos = (size_t)sprintf(deep, "%s", pre[i]);
			memset(deep + pos, '[', depth);
			pos += depth;
			memset(deep + pos, ']', depth);
			pos += depth;
			app_config_defaults(o);
			assert_int_not_equal(app_config_load_buffer(o, deep, pos, "d.yaml",
								    err, sizeof(err)), 0);
			pos = (size_t)sprintf(deep, "%s", pre[i]);
			memset(deep + pos, '{', depth);
			pos += depth;
			assert_int_not_equal(app_config_load_buffer(o, deep, pos, "d.yaml",
								    err, sizeof(err)), 0);
		}
		free(deep);
	}
	free(o);
}

static void
test_set(void **state)
{
	struct app_options *o = opts_new();
	char err[ERRLEN];

	(void)state;
	assert_int_equal(app_config_set(o, "table.timeouts.udp=45", err, ERRLEN), 0);
	assert_int_equal(o->tracker.timeout_udp, 45);
	assert_int_equal(app_config_set(o, "table.timeouts.udp=2m", err, ERRLEN), 0);
	assert_int_equal(o->tracker.timeout_udp, 120);
	assert_int_equal(app_config_set(o, "decode.decap=gre=none,vxlan=outer",
					err, ERRLEN), 0);
	assert_int_equal(o->tracker.pkt.decap[FC_TUN_GRE], FC_DECAP_NONE);
	assert_int_equal(o->tracker.pkt.decap[FC_TUN_VXLAN], FC_DECAP_OUTER);
	assert_int_equal(o->tracker.pkt.decap[FC_TUN_GTPU], FC_DECAP_BOTH);
	assert_int_equal(app_config_set(o, "table.port_timeouts=udp/53=5", err,
					ERRLEN), 0);
	assert_int_equal(o->tracker.n_port_timeouts, 1);
	assert_int_equal(o->tracker.port_timeouts[0].timeout_s, 5);
	assert_int_equal(app_config_set(o, "table.port_timeouts=[tcp/179=3600, "
					"udp/123=10]", err, ERRLEN), 0);
	assert_int_equal(o->tracker.n_port_timeouts, 2);
	assert_int_equal(app_config_set(o, "table.port_timeouts=", err, ERRLEN), 0);
	assert_int_equal(o->tracker.n_port_timeouts, 0);
	assert_int_equal(app_config_set(o, "parsers.enabled=[dns]", err, ERRLEN), 0);
	assert_int_equal(o->l7.enabled, 1u << FC_L7_DNS);
	assert_int_equal(app_config_set(o, "table={max_flows: 64, timeouts: "
					"{tcp: 1h}}", err, ERRLEN), 0);
	assert_int_equal(o->tracker.max_flows, 64);
	assert_int_equal(o->tracker.timeout_tcp, 3600);
	assert_int_equal(app_config_set(o, "ports=[{name: net_pcap0, rx_queues: 2}, "
					"{name: \"0000:01:00.0\", mtu: 9000}]",
					err, ERRLEN), 0);
	assert_int_equal(o->n_port_cfg, 2);
	assert_string_equal(o->ports[0].name, "net_pcap0");
	assert_int_equal(o->ports[0].rx_queues, 2);
	assert_int_equal(o->ports[0].rx_desc, 1024);
	assert_string_equal(o->ports[1].name, "0000:01:00.0");
	assert_int_equal(o->ports[1].mtu, 9000);
	assert_int_equal(app_config_set(o, "dump.streams_dir=/tmp/a b#c", err,
					ERRLEN), 0);
	assert_string_equal(o->dump.streams_dir, "/tmp/a b#c");
	assert_int_equal(app_config_set(o, "stats.enabled=off", err, ERRLEN), 0);
	assert_int_equal(o->print_stats, 0);

	/* errors */
	assert_int_equal(app_config_set(o, "table.max_flows", err, ERRLEN), -EINVAL);
	assert_string_equal(err, "--set: 'table.max_flows' is not KEY=VALUE");
	assert_int_equal(app_config_set(o, "=5", err, ERRLEN), -EINVAL);
	assert_string_equal(err, "--set: '=5' is not KEY=VALUE");
	assert_int_equal(app_config_set(o, "table.maxflows=5", err, ERRLEN), -EINVAL);
	assert_string_equal(err, "--set: unknown key 'table.maxflows'");
	assert_int_equal(app_config_set(o, "ports.mtu=5", err, ERRLEN), -EINVAL);
	assert_string_equal(err, "--set: unknown key 'ports.mtu'");
	assert_int_equal(app_config_set(o, "table.max_flows=7", err, ERRLEN), -EINVAL);
	assert_string_equal(err, "--set table.max_flows: '7' is out of range "
			    "[8, 268435456] or 0");
	assert_int_equal(app_config_set(o, "table.max_flows=[8]", err, ERRLEN), -EINVAL);
	assert_string_equal(err, "--set table.max_flows: expected a scalar, not a list");
	assert_int_equal(app_config_set(o, "table=5", err, ERRLEN), -EINVAL);
	assert_int_equal(app_config_set(o, "ports=net_pcap0", err, ERRLEN), -EINVAL);
	assert_int_equal(app_config_set(o, "parsers.enabled=[http", err, ERRLEN),
			 -EINVAL);
	assert_non_null(strstr(err, "--set parsers.enabled: malformed YAML: "));
	assert_int_equal(app_config_set(o, "table={max_flows: 8, bogus: 1}", err,
					ERRLEN), -EINVAL);
	assert_string_equal(err, "--set: unknown key 'table.bogus'");
	/* a refused --set changes nothing */
	assert_int_equal(o->tracker.max_flows, 64);
	assert_int_equal(app_config_set(o, "parsers.enabled=smtp", err, ERRLEN),
			 -EINVAL);
	assert_int_equal(o->l7.enabled, 1u << FC_L7_DNS);
	assert_int_equal(app_config_set(o, "outputs=csv:-", err, ERRLEN), -EINVAL);
	assert_int_equal(o->n_outputs, 1);
	free(o);
}

/* app_options_parse over a written config file and argv. */
static int
parse_args(struct app_options *o, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"flowscope";
	while (*args != NULL && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	memset(o, 0, sizeof(*o));
	return app_options_parse(o, argc, argv);
}

static void
test_precedence(void **state)
{
	struct app_options *o = malloc(sizeof(*o));
	char path[] = "/tmp/fc-cfg-XXXXXX";
	const char *text =
		"table:\n"
		"  timeouts:\n"
		"    udp: 33\n"
		"    tcp: 44\n"
		"  port_timeouts: [tcp/179=3600]\n"
		"outputs: [\"ndjson:/tmp/a\", \"ndjson:/tmp/b\"]\n"
		"stats:\n"
		"  interval: 7\n";
	int fd;

	(void)state;
	assert_non_null(o);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);

	/* the file over the defaults */
	{
		const char *a[] = { "--config", path, NULL };

		assert_int_equal(parse_args(o, a), 0);
		assert_int_equal(o->tracker.timeout_udp, 33);
		assert_int_equal(o->tracker.timeout_tcp, 44);
		assert_int_equal(o->tracker.timeout_other, 30);
		assert_int_equal(o->stats_interval, 7);
		assert_int_equal(o->n_outputs, 2);
		assert_string_equal(o->config, path);
	}
	/* the command line over the file, whatever the place of --config */
	{
		const char *a[] = { "--timeout-udp", "10", "--config", path, NULL };

		assert_int_equal(parse_args(o, a), 0);
		assert_int_equal(o->tracker.timeout_udp, 10);
		assert_int_equal(o->tracker.timeout_tcp, 44);
	}
	/* among options, the last wins: alias then --set, and back */
	{
		const char *a[] = { "--config", path, "--timeout-udp", "10",
				    "--set", "table.timeouts.udp=20", NULL };
		const char *b[] = { "--config", path, "--set", "table.timeouts.udp=20",
				    "--timeout-udp", "10", NULL };

		assert_int_equal(parse_args(o, a), 0);
		assert_int_equal(o->tracker.timeout_udp, 20);
		assert_int_equal(parse_args(o, b), 0);
		assert_int_equal(o->tracker.timeout_udp, 10);
	}
	/* a repeatable option replaces the file's list, then adds */
	{
		const char *a[] = { "--config", path, "--output", "ndjson:/tmp/c",
				    "--output", "ndjson:-", "--port-timeout",
				    "udp/53=3", NULL };

		assert_int_equal(parse_args(o, a), 0);
		assert_int_equal(o->n_outputs, 2);
		assert_string_equal(o->outputs[0], "ndjson:/tmp/c");
		assert_string_equal(o->outputs[1], "ndjson:-");
		assert_int_equal(o->tracker.n_port_timeouts, 1);
		assert_int_equal(o->tracker.port_timeouts[0].port, 53);
	}
	/* flags, old options keep their meaning */
	{
		const char *a[] = { "--pcap", "x.pcap", "--key-vlan", "--no-stats",
				    "--key", "ip-pair", "--max-flows", "1024",
				    "--memory", "128", "--events", "+packet",
				    "--decap", "inner", "--dump-streams", "/tmp/s",
				    "--mbufs", "65536", "--mbuf-size", "9k", NULL };

		assert_int_equal(parse_args(o, a), 0);
		assert_string_equal(o->pcap, "x.pcap");
		assert_true(o->tracker.key.flags & FC_KEY_F_VLAN);
		assert_false(o->tracker.key.flags & FC_KEY_F_TUNNEL_ID);
		assert_int_equal(o->print_stats, 0);
		assert_int_equal(o->tracker.key.mode, FC_KEY_IP_PAIR);
		assert_int_equal(o->tracker.max_flows, 1024);
		assert_int_equal(o->mem_mb, 128);
		assert_int_equal(o->mem.mbufs, 65536);
		assert_int_equal(o->mem.mbuf_size, 9216);
		assert_int_equal(o->tracker.event_mask,
				 fc_event_default_mask() | FC_EV_BIT(FC_EV_PACKET));
		assert_int_equal(o->tracker.pkt.decap[FC_TUN_GRE], FC_DECAP_INNER);
		assert_string_equal(o->dump.streams_dir, "/tmp/s");
		assert_null(o->config);
		assert_int_equal(o->n_outputs, 1);
		assert_string_equal(o->outputs[0], "ndjson:-");
	}
	/* errors */
	{
		const char *twice[] = { "--config", path, "--config", path, NULL };
		const char *bad[] = { "--config", "/nonexistent.yaml", NULL };
		const char *range[] = { "--max-flows", "-5", NULL };
		const char *unknown[] = { "--bogus", NULL };
		const char *noarg[] = { "--config", NULL };
		const char *extra[] = { "stray", NULL };
		const char *set[] = { "--set", "nope=1", NULL };

		assert_int_equal(parse_args(o, twice), -EINVAL);
		assert_int_equal(parse_args(o, bad), -EINVAL);
		assert_int_equal(parse_args(o, range), -EINVAL);
		assert_int_equal(parse_args(o, unknown), -EINVAL);
		assert_int_equal(parse_args(o, noarg), -EINVAL);
		assert_int_equal(parse_args(o, extra), -EINVAL);
		assert_int_equal(parse_args(o, set), -EINVAL);
	}
	unlink(path);
	free(o);
}

/* Dump o, load the dump into fresh defaults: the same options. */
static void
round_trip(const struct app_options *o, unsigned int flags)
{
	struct app_options *back = opts_new();
	const struct app_cfg_key *d;
	char *text = NULL, err[ERRLEN];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	app_config_dump(f, o, flags);
	fclose(f);
	if (app_config_load_buffer(back, text, len, "dump.yaml", err, sizeof(err)) != 0)
		fail_msg("the dump does not load: %s\n%s", err, text);
	if (rows_differing(o, back, &d) != 0)
		fail_msg("dump/reload differs at %s", d->key);
	free(text);
	free(back);
}

static void
test_dump_round_trip(void **state)
{
	struct app_options *o = opts_new();
	char vals[16][256], err[ERRLEN], shown[128];
	unsigned int i, j, n, line, col;
	const char *rich =
		"ports:\n"
		"  - name: \"0000:01:00.0\"\n"
		"    rx_queues: 4\n"
		"    rss: on\n"
		"  - {name: net_pcap0, promiscuous: false, mtu: 9000}\n"
		"lcores: {rx: 2, dispatch: off, export: off, idle_backoff_us: 0}\n"
		"table:\n"
		"  max_flows: 4096\n"
		"  key: mac-pair\n"
		"  key_tunnel_id: true\n"
		"  timeouts: {tcp: 18h, udp: 1}\n"
		"  port_timeouts: [tcp/179=3600, sctp/38412=600]\n"
		"decode: {decap: \"gre=none,teredo=outer\", gtpu_port: 2153}\n"
		"reassembly: {enabled: no, memcap: 3000000, side_cap: 1m, "
		"overflow: drop_flow}\n"
		"parsers: {enabled: [tls], probe_limit: 100}\n"
		"events: {types: \"flow_end,anomaly\", full_policy: hold}\n"
		"outputs: [\"ndjson:/tmp/with \\\"quotes\\\" and \\\\ and \\t tab\", "
		"\"ndjson:-\"]\n"
		"stats: {interval: 1h, enabled: false}\n"
		"dump: {streams_dir: \"/tmp/d\", gap_fill: 46}\n"
		"memory: {mbufs: 300000, mbuf_size: 2176}\n"
		"memory_mb: 512\n";

	(void)state;
	round_trip(o, 0);
	round_trip(o, APP_CONFIG_DUMP_REFERENCE);
	if (load(o, rich, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(o->n_port_cfg, 2);
	assert_int_equal(o->reasm.memcap, 3000000);
	assert_int_equal(o->dump.gap_byte, 46);
	assert_int_equal(o->mem.mbufs, 300000);
	assert_int_equal(o->mem.mbuf_size, 2176);
	assert_int_equal(o->tracker.event_mask,
			 FC_EV_BIT(FC_EV_FLOW_END) | FC_EV_BIT(FC_EV_ANOMALY));
	round_trip(o, 0);
	/* every valid value of every key survives a round trip */
	for (i = 0; i < app_cfg_n_keys; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];

		if (k->type == APP_CFG_SECTION)
			continue;
		n = valid_values(k, vals, 16);
		for (j = 0; j < n; j++) {
			app_config_defaults(o);
			assert_int_equal(try_value(k, vals[j], o, err, &line, &col,
						   shown), 0);
			round_trip(o, 0);
		}
	}
	free(o);
}

/* config/flowscope.yaml is what --dump-defaults prints. */
static void
test_reference_file_matches(void **state)
{
	struct app_options *o = opts_new();
	char *dump = NULL, *file;
	size_t len = 0, flen;
	FILE *f = open_memstream(&dump, &len);
	char err[ERRLEN];

	(void)state;
	assert_non_null(f);
	app_config_dump(f, o, APP_CONFIG_DUMP_REFERENCE);
	fclose(f);
	f = fopen(FC_TEST_SOURCE_ROOT "/config/flowscope.yaml", "r");
	assert_non_null(f);
	file = malloc(len + 2);
	assert_non_null(file);
	flen = fread(file, 1, len + 1, f);
	fclose(f);
	if (flen != len || memcmp(file, dump, len) != 0)
		fail_msg("config/flowscope.yaml differs from flowscope "
			 "--dump-defaults: regenerate it");
	/* and it loads, giving the defaults */
	assert_int_equal(app_config_load_file(o, FC_TEST_SOURCE_ROOT
					      "/config/flowscope.yaml", err,
					      sizeof(err)), 0);
	free(file);
	free(dump);
	free(o);
}

static void
test_finish(void **state)
{
	struct app_options *o = opts_new();
	char err[ERRLEN];

	(void)state;
	assert_int_equal(app_config_set(o, "outputs=[]", err, ERRLEN), 0);
	assert_int_equal(o->n_outputs, 0);
	assert_int_equal(app_config_finish(o, err, ERRLEN), 0);
	assert_int_equal(o->n_outputs, 1);
	assert_string_equal(o->outputs[0], "ndjson:-");
	assert_int_equal(app_config_set(o, "reassembly.side_cap=1g", err, ERRLEN), 0);
	assert_int_equal(app_config_finish(o, err, ERRLEN), -EINVAL);
	assert_string_equal(err, "reassembly.side_cap (1073741824) is larger than "
			    "reassembly.memcap (67108864)");
	assert_int_equal(app_config_set(o, "reassembly.enabled=false", err, ERRLEN), 0);
	assert_int_equal(app_config_finish(o, err, ERRLEN), 0);
	/* At most 16 different idle timeouts in all. */
	assert_int_equal(app_config_set(o, "table.port_timeouts=[tcp/1=1001, "
					"tcp/2=1002, tcp/3=1003, tcp/4=1004, tcp/5=1005, "
					"tcp/6=1006, tcp/7=1007, tcp/8=1008, tcp/9=300]",
					err, ERRLEN), 0);
	assert_int_equal(app_config_finish(o, err, ERRLEN), 0);
	assert_int_equal(app_config_set(o, "table.port_timeouts=[tcp/1=1001, "
					"tcp/2=1002, tcp/3=1003, tcp/4=1004, tcp/5=1005, "
					"tcp/6=1006, tcp/7=1007, tcp/8=1008, tcp/9=1009, "
					"tcp/10=1010, tcp/11=1011, tcp/12=1012]", err, ERRLEN), 0);
	assert_int_equal(app_config_finish(o, err, ERRLEN), -EINVAL);
	assert_string_equal(err, "table.port_timeouts and table.timeouts name 18 "
			    "different idle timeouts (udp/53=10 included); at most 16");
	free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_consistent),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key_accepts_valid_values),
		cmocka_unit_test(test_every_key_via_set_and_option),
		cmocka_unit_test(test_every_key_rejects_wrong_type),
		cmocka_unit_test(test_every_key_rejects_out_of_range),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_fuzz_by_hand),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_reference_file_matches),
		cmocka_unit_test(test_finish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
