/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The configuration of flowscope: one schema table, app_cfg_keys[], lists
 * every key of the YAML config file with its type, range, default, the
 * field of struct app_options it fills, its command-line alias and a help
 * line. The same rows drive the YAML parser, validation, defaults, the
 * command-line aliases (--timeout-tcp is table.timeouts.tcp), --help,
 * --dump-config and the reference file config/flowscope.yaml.
 *
 * Precedence: defaults < config file < command-line options and --set,
 * in command-line order.
 *
 * Errors are one line: "FILE:LINE:COL: KEY: what" for the config file,
 * "--OPTION: what" for an alias, "--set KEY: what" for --set. Every
 * function that can fail takes (err, errlen): the message goes there, or
 * to stderr as "flowscope: message" when err is NULL.
 *
 * Thread-safety: none needed; used once at start on the main lcore.
 */
#ifndef APP_CONFIG_H
#define APP_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "app.h"

/** Value types of the schema. */
enum app_cfg_type {
	APP_CFG_SECTION = 0, /**< a mapping of the keys below it; no field */
	APP_CFG_BOOL,        /**< true|false (also yes|no, on|off) */
	APP_CFG_UINT,        /**< unsigned integer in [min, max] */
	APP_CFG_BYTES,       /**< byte count, suffixes k, m, g (powers of 1024) */
	APP_CFG_SECONDS,     /**< duration in seconds, suffixes s, m, h, d */
	APP_CFG_ENUM,        /**< one name of enum_name(0..n_enum-1) */
	APP_CFG_STRING,      /**< text (char array of `size` bytes, or parsed by ops) */
	APP_CFG_LIST,        /**< list of strings (items parsed by ops) */
	APP_CFG_PORTS,       /**< list of mappings of the APP_CFG_F_ITEM rows */
};

/** Row flags. */
#define APP_CFG_F_ZERO 0x01 /**< 0 is accepted besides [min, max] (auto / off) */
#define APP_CFG_F_POW2 0x02 /**< the value must be a power of two */
#define APP_CFG_F_ITEM 0x04 /**< a key of each `ports` entry; off is in struct app_port_cfg */

/** @internal custom parse/format of STRING and LIST rows (config.c) */
struct app_cfg_ops;

/** One row of the schema. */
struct app_cfg_key {
	const char *key;        /**< dotted path ("table.timeouts.tcp"; "ports.mtu" for items) */
	uint8_t type;           /**< enum app_cfg_type */
	uint8_t flags;          /**< APP_CFG_F_* */
	uint8_t mask;           /**< BOOL kept as these bits of a uint8_t; 0 = the whole field */
	size_t off;             /**< offsetof the field in struct app_options (app_port_cfg for items) */
	size_t size;            /**< bytes of the field */
	uint64_t min;           /**< UINT/BYTES/SECONDS: smallest value */
	uint64_t max;           /**< UINT/BYTES/SECONDS: largest value */
	const char *def;        /**< default as config text (LIST: items joined by ',') */
	const char *opt;        /**< command-line alias (long option name) or NULL */
	const char *arg;        /**< argument name in --help; NULL: the alias is a flag */
	const char *flag_value; /**< value a flag alias sets ("true", "false") */
	const char *help;       /**< one line */
	const char *values;     /**< accepted values where the type cannot tell (STRING, LIST) */
	const char *example;    /**< a valid value other than the default (tests, docs) */
	const char *bad;        /**< a value of the right type that must be rejected (tests) */
	const char *(*enum_name)(unsigned int v); /**< ENUM: name of value v */
	unsigned int n_enum;    /**< ENUM: number of values */
	const struct app_cfg_ops *ops; /**< STRING/LIST with custom syntax, else NULL */
};

/** The schema, in dump order; app_cfg_n_keys rows. */
extern const struct app_cfg_key app_cfg_keys[];
extern const unsigned int app_cfg_n_keys;

/** Row of a dotted key ("ports.mtu" for items), NULL if none. */
const struct app_cfg_key *app_config_key(const char *key);

/** Reset *o to the defaults of every row (strings included; pcap/config NULL). */
void app_config_defaults(struct app_options *o);

/**
 * Apply a YAML config file on top of *o.
 * @return 0, or -EINVAL / -errno after a message (missing, unreadable,
 *         malformed, unknown key, wrong type, out of range, duplicate key).
 */
int app_config_load_file(struct app_options *o, const char *path,
			 char *err, size_t errlen);

/**
 * Apply a YAML document held in memory; `name` stands for the file name
 * in messages. Same errors as app_config_load_file().
 */
int app_config_load_buffer(struct app_options *o, const char *buf, size_t len,
			   const char *name, char *err, size_t errlen);

/**
 * Apply one "KEY=VALUE" (--set). VALUE is taken as it is, except that a
 * VALUE starting with '[' or '{' is a YAML flow sequence or mapping (lists,
 * ports). A list key given a plain VALUE becomes a list of that one item.
 * @return 0 or -EINVAL after a message.
 */
int app_config_set(struct app_options *o, const char *assign,
		   char *err, size_t errlen);

/**
 * Apply the command-line alias of row k with its argument (flag_value for
 * a flag). append = 1 adds to a LIST row instead of replacing it (the
 * second and later uses of a repeatable option).
 * @return 0 or -EINVAL after a message naming the option.
 */
int app_config_apply_option(struct app_options *o, const struct app_cfg_key *k,
			    const char *value, int append, char *err, size_t errlen);

/**
 * Checks that need every source applied, and fill-ins (an empty outputs
 * list means the default). @return 0 or -EINVAL after a message.
 */
int app_config_finish(struct app_options *o, char *err, size_t errlen);

/** app_config_dump() flags. */
#define APP_CONFIG_DUMP_REFERENCE 0x01 /**< the reference file: the long header */

/**
 * Print *o as a YAML config, every key with a one-line comment (help,
 * range, default, alias). What it prints loads back to the same options.
 */
void app_config_dump(FILE *f, const struct app_options *o, unsigned int flags);

/**
 * Value of row k in *o as config text (a flow sequence for lists and
 * ports). @return 0, or -ENOSPC if buf is too small.
 */
int app_config_format(const struct app_options *o, const struct app_cfg_key *k,
		      char *buf, size_t len);

/** What row k accepts, as the comments of the dump say it ("1..65535 s ..."). */
void app_config_values(const struct app_cfg_key *k, char *buf, size_t len);

/** First row whose value differs between a and b, NULL if none does. */
const struct app_cfg_key *app_config_diff(const struct app_options *a,
					  const struct app_options *b);

#endif /* APP_CONFIG_H */
