/* gateway/calls_csv.c - call-log rows as CSV. See calls_csv.h. */
#include "gateway/calls_csv.h"

#include <string.h>

static const char *const csv_columns[] = {
	"callId", "caller", "callerTransport", "callee", "calleeTransport",
	"startedAt", "answeredAt", "endedAt", "duration", "disposition",
	"status", "hangupBy", "reason", "mediaNote",
};

void gateway_calls_csv_header(GString *out)
{
	for (size_t i = 0; i < G_N_ELEMENTS(csv_columns); i++) {
		if (i)
			g_string_append_c(out, ',');
		g_string_append(out, csv_columns[i]);
	}
	g_string_append(out, "\r\n");
}

void gateway_calls_csv_field(GString *out, const char *v)
{
	bool formula, quote;

	if (!v)
		return;
	/* '+' and '-' start phone numbers, so only these are defused. */
	formula = v[0] == '=' || v[0] == '@' || v[0] == '\t' || v[0] == '\r';
	quote = formula || strpbrk(v, ",\"\r\n") != NULL;
	if (quote)
		g_string_append_c(out, '"');
	if (formula)
		g_string_append_c(out, '\'');
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	if (quote)
		g_string_append_c(out, '"');
}

static void csv_time(GString *out, int64_t t)
{
	g_autoptr(GDateTime) d = t ? g_date_time_new_from_unix_utc(t) : NULL;
	g_autofree char *s = d ? g_date_time_format(d, "%Y-%m-%dT%H:%M:%SZ")
			       : NULL;

	if (s)
		g_string_append(out, s);
}

void gateway_calls_csv_row(GString *out, const struct gateway_call *c)
{
	gateway_calls_csv_field(out, c->call_id);
	g_string_append_c(out, ',');
	gateway_calls_csv_field(out, c->caller);
	g_string_append_c(out, ',');
	gateway_calls_csv_field(out, c->caller_transport);
	g_string_append_c(out, ',');
	gateway_calls_csv_field(out, c->callee);
	g_string_append_c(out, ',');
	gateway_calls_csv_field(out, c->callee_transport);
	g_string_append_c(out, ',');
	csv_time(out, c->started_at);
	g_string_append_c(out, ',');
	csv_time(out, c->answered_at);
	g_string_append_c(out, ',');
	csv_time(out, c->ended_at);
	g_string_append_printf(out, ",%" G_GINT64_FORMAT ",", c->duration);
	gateway_calls_csv_field(out, c->disposition);
	g_string_append_c(out, ',');
	if (c->ended_at)
		g_string_append_printf(out, "%d", c->status);
	g_string_append_c(out, ',');
	gateway_calls_csv_field(out, c->hangup_by);
	g_string_append_c(out, ',');
	gateway_calls_csv_field(out, c->reason);
	g_string_append_c(out, ',');
	gateway_calls_csv_field(out, c->media_note);
	g_string_append(out, "\r\n");
}
