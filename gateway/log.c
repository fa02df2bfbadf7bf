/*
 * gateway/log.c - GLib structured logging to stderr with a threshold.
 * One line per event: "2026-11-22T11:30:25.123Z INFO ovoz-registrar: ...".
 *
 * Fields a peer chooses (User-Agent, user names, URIs) are escaped and cut
 * where they are logged (sip_log_escape()). As a last guard every line goes
 * through the same escape here (which leaves escaped text as it is), cut
 * at LOG_LINE_MAX characters: one event is always one line of text, even
 * from a log call that forgot to escape a field.
 */
#include "gateway/gateway.h"

#include <stdio.h>
#include <string.h>

#include "sip/log.h"

#define LOG_LINE_MAX 4096

static GLogLevelFlags log_threshold = G_LOG_LEVEL_INFO;

static const char *log_level_name(GLogLevelFlags l)
{
	if (l & G_LOG_LEVEL_ERROR)
		return "ERROR";
	if (l & G_LOG_LEVEL_CRITICAL)
		return "CRITICAL";
	if (l & G_LOG_LEVEL_WARNING)
		return "WARNING";
	if (l & G_LOG_LEVEL_MESSAGE)
		return "NOTICE";
	if (l & G_LOG_LEVEL_INFO)
		return "INFO";
	return "DEBUG";
}

static GLogWriterOutput log_write(GLogLevelFlags level,
				  const GLogField *fields, gsize n,
				  gpointer data)
{
	const char *domain = "ovoz", *msg = "";
	GLogLevelFlags l = level & G_LOG_LEVEL_MASK;
	g_autoptr(GDateTime) now = NULL;
	g_autofree char *ts = NULL, *line = NULL;

	/* GLib's levels grow more verbose as the bit grows. */
	if (l > log_threshold)
		return G_LOG_WRITER_HANDLED;
	now = g_date_time_new_now_utc();
	for (gsize i = 0; i < n; i++) {
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].value)
			domain = fields[i].value;
		else if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].value)
			msg = fields[i].value;
	}
	line = sip_log_escape(msg, LOG_LINE_MAX);
	ts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
	if (ts && strlen(ts) > 24)
		memmove(ts + 23, ts + strlen(ts) - 1, 2); /* milliseconds */
	fprintf(stderr, "%s %s %s: %s\n", ts ? ts : "", log_level_name(l),
		domain, line);
	fflush(stderr);
	return G_LOG_WRITER_HANDLED;
}

void gateway_log_setup(const char *level)
{
	static const struct {
		const char *name;
		GLogLevelFlags flags;
	} levels[] = {
		{"error", G_LOG_LEVEL_CRITICAL},
		{"warning", G_LOG_LEVEL_WARNING},
		{"info", G_LOG_LEVEL_INFO},
		{"debug", G_LOG_LEVEL_DEBUG},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(levels); i++)
		if (level && strcmp(level, levels[i].name) == 0)
			log_threshold = levels[i].flags;
	sip_log_set_level(log_threshold);
	g_log_set_writer_func(log_write, NULL, NULL);
}
