/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line options of flowscope. Two tables make the options: the few
 * that are not config keys (app_opts: --pcap, --config, --set, --dump-*,
 * --help, --version), and every row of the config schema (config.c) that
 * names an alias, such as --timeout-tcp for table.timeouts.tcp. --help
 * prints both tables, so it cannot drift from what is parsed.
 *
 * Two passes over argv. The first finds --config (and answers --help and
 * --version, and rejects unknown options); then the defaults are set, the
 * config file applied, and the second pass applies the options in
 * command-line order. So: defaults < file < command line, and among
 * command-line options the last one wins. A repeatable option (a LIST
 * key: --output, --port-timeout) replaces the file's list the first time
 * and adds to it after that.
 *
 * Errors are one line on stderr and exit code 2 (APP_EXIT_USAGE), as for
 * a missing or unreadable file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config.h"

enum {
	OPT_HELP = 'h',
	OPT_VERSION = 'V',
	OPT_PCAP = 256,
	OPT_CONFIG,
	OPT_SET,
	OPT_DUMP_CONFIG,
	OPT_DUMP_DEFAULTS,
	OPT_KEY_BASE = 512, /* + index of the row in app_cfg_keys[] */
};

/* Most long options (getopt table size). */
#define APP_MAX_LONGOPTS 128

struct app_opt {
	struct option lo;
	const char *arg;
	const char *help;
};

/* Options that are not config keys. */
static const struct app_opt app_opts[] = {
	{ {"pcap", required_argument, NULL, OPT_PCAP}, "FILE",
	  "read frames from a pcap/pcapng file (offline mode: no NIC, no hugepages)" },
	{ {"config", required_argument, NULL, OPT_CONFIG}, "FILE",
	  "read the YAML config FILE first (reference: config/flowscope.yaml)" },
	{ {"set", required_argument, NULL, OPT_SET}, "KEY=VALUE",
	  "set any config key by its dotted name, e.g. table.timeouts.udp=30 "
	  "(repeatable)" },
	{ {"dump-config", no_argument, NULL, OPT_DUMP_CONFIG}, NULL,
	  "print the effective configuration as YAML and exit" },
	{ {"dump-defaults", no_argument, NULL, OPT_DUMP_DEFAULTS}, NULL,
	  "print the reference configuration (every key at its default) and exit" },
	{ {"help", no_argument, NULL, OPT_HELP}, NULL, "print this help and exit" },
	{ {"version", no_argument, NULL, OPT_VERSION}, NULL, "print the version and exit" },
};

static void
usage_line(FILE *f, const char *name, const char *arg, const char *help,
	   const char *tail)
{
	char left[64];

	snprintf(left, sizeof(left), "--%s%s%s", name, arg ? " " : "",
		 arg ? arg : "");
	fprintf(f, "  %-28s %s%s\n", left, help, tail);
}

void
app_usage(FILE *f, const char *prog)
{
	struct app_options *defs = malloc(sizeof(*defs));
	char val[256], vals[256], tail[1024];
	unsigned int i;

	fprintf(f,
		"usage: %s --pcap FILE [options]          offline, no NIC, no hugepages\n"
		"       %s [EAL args] -- [options]        live, every ethdev port\n"
		"\n"
		"Passive flow tracker: prints one JSON event per line (flow_start,\n"
		"established, state_change, flow_end, anomaly, stats) on stdout.\n"
		"\noptions:\n", prog, prog);
	for (i = 0; i < FC_DIM(app_opts); i++)
		usage_line(f, app_opts[i].lo.name, app_opts[i].arg,
			   app_opts[i].help, "");
	fprintf(f, "\nconfig options (each sets the config key in brackets):\n");
	if (defs != NULL)
		app_config_defaults(defs);
	for (i = 0; i < app_cfg_n_keys; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];

		if (k->opt == NULL)
			continue;
		vals[0] = '\0';
		if (k->type == APP_CFG_ENUM || k->type == APP_CFG_STRING ||
		    k->type == APP_CFG_LIST)
			app_config_values(k, vals, sizeof(vals));
		if (k->flag_value != NULL || defs == NULL ||
		    app_config_format(defs, k, val, sizeof(val)) != 0)
			snprintf(tail, sizeof(tail), " [%s]", k->key);
		else
			snprintf(tail, sizeof(tail), "%s%s (default %s%s) [%s]",
				 vals[0] ? "; " : "", vals, val,
				 k->type == APP_CFG_SECONDS ? " s" : "", k->key);
		usage_line(f, k->opt, k->flag_value ? NULL : k->arg, k->help, tail);
	}
	free(defs);
	fprintf(f, "\nsinks (--output, repeatable):\n");
	for (i = 0; app_sink_formats[i] != NULL; i++)
		fprintf(f, "  %s\n", app_sink_formats[i]->usage);
	fprintf(f,
		"\nexit status: 0 success, 1 runtime error, 2 usage error or unreadable input\n");
}

/*
 * Parse app options (argv[0] is the program name). Returns 0, 1 when the
 * run should stop successfully (--help, --version, --dump-*), or -EINVAL
 * after printing a one-line error.
 */
int
app_options_parse(struct app_options *o, int argc, char **argv)
{
	struct option lo[APP_MAX_LONGOPTS + 1];
	unsigned char used[APP_MAX_LONGOPTS];
	const char *config = NULL;
	int dump_config = 0, dump_defaults = 0;
	unsigned int i, n = 0;
	int c, pass;

	memset(lo, 0, sizeof(lo));
	memset(used, 0, sizeof(used));
	for (i = 0; i < FC_DIM(app_opts); i++)
		lo[n++] = app_opts[i].lo;
	for (i = 0; i < app_cfg_n_keys && n < APP_MAX_LONGOPTS; i++) {
		const struct app_cfg_key *k = &app_cfg_keys[i];

		if (k->opt == NULL)
			continue;
		lo[n].name = k->opt;
		lo[n].has_arg = k->flag_value != NULL ? no_argument : required_argument;
		lo[n].val = OPT_KEY_BASE + (int)i;
		n++;
	}
	opterr = 0;
	for (pass = 1; pass <= 2; pass++) {
		if (pass == 2) {
			app_config_defaults(o);
			if (config != NULL &&
			    app_config_load_file(o, config, NULL, 0) != 0)
				return -EINVAL;
			o->config = config;
		}
		optind = 0; /* glibc: start over */
		while ((c = getopt_long(argc, argv, ":hV", lo, NULL)) != -1) {
			const char *name = optind > 0 && optind <= argc ?
				argv[optind - 1] : "?";
			int rc = 0;

			if (pass == 1) {
				switch (c) {
				case OPT_HELP:
					app_usage(stdout, "flowscope");
					return 1;
				case OPT_VERSION:
					printf("flowscope %s\n", FLOWSCOPE_VERSION);
					return 1;
				case OPT_CONFIG:
					if (config != NULL) {
						fprintf(stderr, "flowscope: --config: "
							"given twice\n");
						return -EINVAL;
					}
					config = optarg;
					break;
				case ':':
					fprintf(stderr, "flowscope: option '%s' needs "
						"an argument\n", name);
					return -EINVAL;
				case '?':
					fprintf(stderr, "flowscope: unknown option '%s' "
						"(see --help)\n", name);
					return -EINVAL;
				default:
					break;
				}
				continue;
			}
			switch (c) {
			case OPT_PCAP:
				o->pcap = optarg;
				break;
			case OPT_CONFIG:
				break;
			case OPT_SET:
				rc = app_config_set(o, optarg, NULL, 0);
				break;
			case OPT_DUMP_CONFIG:
				dump_config = 1;
				break;
			case OPT_DUMP_DEFAULTS:
				dump_defaults = 1;
				break;
			default:
				if (c >= OPT_KEY_BASE &&
				    c < OPT_KEY_BASE + (int)app_cfg_n_keys &&
				    c - OPT_KEY_BASE < APP_MAX_LONGOPTS) {
					unsigned int row = (unsigned int)(c - OPT_KEY_BASE);

					rc = app_config_apply_option(o, &app_cfg_keys[row],
								     optarg, used[row] > 0,
								     NULL, 0);
					used[row] = 1;
				}
				break;
			}
			if (rc != 0)
				return -EINVAL;
		}
		if (pass == 1 && optind < argc) {
			fprintf(stderr, "flowscope: unexpected argument '%s' (see --help)\n",
				argv[optind]);
			return -EINVAL;
		}
	}
	if (app_config_finish(o, NULL, 0) != 0)
		return -EINVAL;
	if (dump_defaults) {
		struct app_options *d = malloc(sizeof(*d));

		if (d == NULL)
			return -ENOMEM;
		app_config_defaults(d);
		app_config_dump(stdout, d, APP_CONFIG_DUMP_REFERENCE);
		free(d);
		return 1;
	}
	if (dump_config) {
		app_config_dump(stdout, o, 0);
		return 1;
	}
	return 0;
}
