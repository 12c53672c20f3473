/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sink registry and fan-out: `--output SCHEME:TARGET` picks a format
 * from app_sink_formats[]; every event goes to every sink in order.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sink.h"

const struct app_sink_ops *const app_sink_formats[] = {
	&app_sink_ndjson_ops,
	&app_sink_eve_ops,
	&app_sink_zeek_ops,
	&app_sink_ipfix_ops,
	NULL,
};

static const struct app_sink_ops *
format_of(const char *spec, const char **target)
{
	const char *colon = strchr(spec, ':');

	if (colon == NULL)
		return NULL;
	for (unsigned int i = 0; app_sink_formats[i] != NULL; i++) {
		const struct app_sink_ops *o = app_sink_formats[i];

		if (strlen(o->scheme) == (size_t)(colon - spec) &&
		    strncmp(o->scheme, spec, (size_t)(colon - spec)) == 0) {
			*target = colon + 1;
			return o;
		}
	}
	return NULL;
}

int
app_sink_check_spec(const char *spec)
{
	const char *target;
	const struct app_sink_ops *o = format_of(spec, &target);

	if (o == NULL || *target == '\0') {
		fprintf(stderr, "flowscope: --output %s: unsupported sink; expected SCHEME:TARGET with SCHEME one of", spec);
		for (unsigned int i = 0; app_sink_formats[i] != NULL; i++)
			fprintf(stderr, " %s", app_sink_formats[i]->scheme);
		fprintf(stderr, "\n");
		return -EINVAL;
	}
	return 0;
}

int
app_sinks_open(struct app_sinks *ss, const char *const *specs, unsigned int n)
{
	memset(ss, 0, sizeof(*ss));
	if (n > APP_MAX_SINKS) {
		fprintf(stderr, "flowscope: at most %u --output sinks\n", APP_MAX_SINKS);
		return -E2BIG;
	}
	for (unsigned int i = 0; i < n; i++) {
		const char *target;
		const struct app_sink_ops *o;
		struct app_sink *s = &ss->s[i];
		int rc;

		if (app_sink_check_spec(specs[i]) != 0) {
			app_sinks_close(ss);
			return -EINVAL;
		}
		o = format_of(specs[i], &target);
		s->ops = o;
		s->spec = specs[i];
		rc = o->open(s, target);
		if (rc != 0) {
			s->ops = NULL;
			app_sinks_close(ss);
			return rc;
		}
		ss->n = i + 1;
	}
	return 0;
}

int
app_sinks_write(struct app_sinks *ss, const struct fc_event *ev, unsigned int n)
{
	int rc = 0;

	for (unsigned int i = 0; i < ss->n; i++)
		if (ss->s[i].ops->write(&ss->s[i], ev, n) == -EPIPE)
			rc = -EPIPE;
	return rc;
}

void
app_sinks_write_stats(struct app_sinks *ss, const char *line, size_t len)
{
	for (unsigned int i = 0; i < ss->n; i++)
		if (ss->s[i].ops->write_stats != NULL)
			ss->s[i].ops->write_stats(&ss->s[i], line, len);
}

void
app_sinks_tick(struct app_sinks *ss, uint64_t now_ns)
{
	for (unsigned int i = 0; i < ss->n; i++)
		if (ss->s[i].ops->tick != NULL)
			ss->s[i].ops->tick(&ss->s[i], now_ns);
}

void
app_sinks_reopen(struct app_sinks *ss)
{
	for (unsigned int i = 0; i < ss->n; i++)
		if (ss->s[i].ops->reopen != NULL)
			ss->s[i].ops->reopen(&ss->s[i]);
}

int
app_sinks_close(struct app_sinks *ss)
{
	int rc = 0;

	for (unsigned int i = 0; i < ss->n; i++) {
		struct app_sink *s = &ss->s[i];
		int r;

		if (s->ops == NULL)
			continue;
		r = s->ops->close(s);
		if (r != 0 && rc == 0)
			rc = r;
		s->ops = NULL;
	}
	return rc;
}

uint64_t
app_sinks_dropped(const struct app_sinks *ss)
{
	uint64_t d = 0;

	for (unsigned int i = 0; i < ss->n; i++)
		d += ss->s[i].dropped;
	return d;
}
