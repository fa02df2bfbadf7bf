/* gateway/api_calls.c - GET /api/calls (filters, paging) and /active. */
#define G_LOG_DOMAIN "ovoz-api"

#include "gateway/api_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


/* GET /api/calls query: the filter, and the storage its extension
 * points to (query values are percent-decoded copies). */
struct api_calls_query {
	struct gateway_call_filter filter;
	char *extension;
	char *disposition;
	bool csv;
};

typedef bool (*api_param_h)(const char *value, struct api_calls_query *q,
			    struct gateway_api_response *resp);

struct api_param {
	const char *name;
	api_param_h parse;
};

/* Caller and callee may be outside numbers: "+998901234567" too. */
static bool api_number_is_valid(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > API_EXT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!api_is_ext_char(v[i]) && v[i] != '+')
			return false;
	return true;
}

static bool api_param_extension(const char *v, struct api_calls_query *q,
				struct gateway_api_response *resp)
{
	if (!api_number_is_valid(v)) {
		api_error(resp, 400,
			  "extension must be 1-32 characters of A-Z, a-z, 0-9,"
			  " '_', '.', '-', '+'");
		return false;
	}
	g_free(q->extension);
	q->extension = g_strdup(v);
	q->filter.extension = q->extension;
	return true;
}

static bool api_param_uint(const char *v, const char *name, guint64 min,
			   guint64 max, guint64 *out,
			   struct gateway_api_response *resp)
{
	if (!g_ascii_string_to_unsigned(v, 10, min, max, out, NULL)) {
		api_error(resp, 400,
			  "%s must be an integer from %" G_GUINT64_FORMAT
			  " to %" G_GUINT64_FORMAT,
			  name, min, max);
		return false;
	}
	return true;
}

static bool api_param_time(const char *v, const char *name, int64_t *out,
			   struct gateway_api_response *resp)
{
	guint64 t;

	if (!g_ascii_string_to_unsigned(v, 10, 0, G_MAXINT64, &t, NULL)) {
		api_error(resp, 400, "%s must be a unix time in seconds", name);
		return false;
	}
	*out = (int64_t)t;
	return true;
}

static bool api_param_from(const char *v, struct api_calls_query *q,
			   struct gateway_api_response *resp)
{
	return api_param_time(v, "from", &q->filter.from, resp);
}

static bool api_param_to(const char *v, struct api_calls_query *q,
			 struct gateway_api_response *resp)
{
	return api_param_time(v, "to", &q->filter.to, resp);
}

static bool api_param_limit(const char *v, struct api_calls_query *q,
			    struct gateway_api_response *resp)
{
	guint64 n;

	if (!api_param_uint(v, "limit", 1, API_CALLS_MAX, &n, resp))
		return false;
	q->filter.limit = (unsigned)n;
	return true;
}

static bool api_param_offset(const char *v, struct api_calls_query *q,
			     struct gateway_api_response *resp)
{
	guint64 n;

	if (!api_param_uint(v, "offset", 0, API_OFFSET_MAX, &n, resp))
		return false;
	q->filter.offset = (unsigned)n;
	return true;
}

static bool api_param_disposition(const char *v, struct api_calls_query *q,
				  struct gateway_api_response *resp)
{
	static const char *const known[] = {"answered", "busy", "no-answer",
					    "cancelled", "failed", NULL};

	if (!g_strv_contains(known, v)) {
		api_error(resp, 400, "disposition must be one of answered, "
			  "busy, no-answer, cancelled, failed");
		return false;
	}
	g_free(q->disposition);
	q->disposition = g_strdup(v);
	q->filter.disposition = q->disposition;
	return true;
}

static bool api_param_format(const char *v, struct api_calls_query *q,
			     struct gateway_api_response *resp)
{
	if (strcmp(v, "csv") && strcmp(v, "json")) {
		api_error(resp, 400, "format must be json or csv");
		return false;
	}
	q->csv = strcmp(v, "csv") == 0;
	return true;
}

static const struct api_param api_calls_params[] = {
	{"disposition", api_param_disposition},
	{"format", api_param_format},
	{"extension", api_param_extension},
	{"from", api_param_from},
	{"to", api_param_to},
	{"limit", api_param_limit},
	{"offset", api_param_offset},
};

static bool api_calls_param(const char *name, const char *value,
			    struct api_calls_query *q,
			    struct gateway_api_response *resp)
{
	g_autofree char *v = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(api_calls_params); i++) {
		if (strcmp(api_calls_params[i].name, name) != 0)
			continue;
		/* NULL for bad escapes and for an escaped NUL. */
		v = g_uri_unescape_string(value, NULL);
		if (!v) {
			api_error(resp, 400, "%s is not valid percent-encoding",
				  name);
			return false;
		}
		return api_calls_params[i].parse(v, q, resp);
	}
	return true; /* unknown parameters are ignored, as elsewhere */
}

/* Parse the query into @q; false with the reply sent on a bad value. */
static bool api_calls_query_parse(const char *query, struct api_calls_query *q,
				  struct gateway_api_response *resp)
{
	g_auto(GStrv) params = NULL;

	q->filter.limit = API_CALLS_DEFAULT;
	if (!query)
		return true;
	params = g_strsplit(query, "&", -1);
	for (char **p = params; *p; p++) {
		char *eq = strchr(*p, '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (!api_calls_param(*p, eq + 1, q, resp))
			return false;
	}
	if (q->filter.to && q->filter.to < q->filter.from) {
		api_error(resp, 400, "to must not be before from");
		return false;
	}
	return true;
}

static void api_add_time_or_null(JsonBuilder *b, const char *name, int64_t t)
{
	json_builder_set_member_name(b, name);
	if (t)
		json_builder_add_int_value(b, t);
	else
		json_builder_add_null_value(b);
}

static void api_add_call(JsonBuilder *b, const struct gateway_call *c)
{
	json_builder_begin_object(b);
	api_add_string_or_null(b, "callId", c->call_id);
	api_add_string_or_null(b, "caller", c->caller);
	api_add_string_or_null(b, "callerTransport", c->caller_transport);
	api_add_string_or_null(b, "callee", c->callee);
	api_add_string_or_null(b, "calleeTransport", c->callee_transport);
	json_builder_set_member_name(b, "startedAt");
	json_builder_add_int_value(b, c->started_at);
	api_add_time_or_null(b, "answeredAt", c->answered_at);
	api_add_time_or_null(b, "endedAt", c->ended_at);
	json_builder_set_member_name(b, "duration");
	json_builder_add_int_value(b, c->duration);
	api_add_string_or_null(b, "disposition", c->disposition);
	/* The status is set when the call ends, as 0 for a cut call. */
	json_builder_set_member_name(b, "status");
	if (c->ended_at)
		json_builder_add_int_value(b, c->status);
	else
		json_builder_add_null_value(b);
	api_add_string_or_null(b, "hangupBy", c->hangup_by);
	api_add_string_or_null(b, "reason", c->reason);
	api_add_string_or_null(b, "mediaNote", c->media_note);
	json_builder_end_object(b);
}

void api_calls_list(struct gateway_api *api, const char *unused,
			   const struct gateway_api_request *req,
			   struct gateway_api_response *resp)
{
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(GPtrArray) list = NULL;
	struct api_calls_query q = {0};
	unsigned total = 0;
	int err;

	if (!api_calls_query_parse(req->query, &q, resp))
		goto out;
	if (q.csv) {
		api_calls_csv(api, &q.filter, resp);
		goto out;
	}
	err = gateway_store_call_list(api->store, &q.filter, &list, &total);
	if (err) {
		api_store_fail(resp, err);
		goto out;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "calls");
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++)
		api_add_call(b, g_ptr_array_index(list, i));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "total");
	json_builder_add_int_value(b, total);
	json_builder_set_member_name(b, "limit");
	json_builder_add_int_value(b, q.filter.limit);
	json_builder_set_member_name(b, "offset");
	json_builder_add_int_value(b, q.filter.offset);
	json_builder_end_object(b);
	api_reply(resp, 200, b);
out:
	g_free(q.extension);
	g_free(q.disposition);
}

void api_calls_active(struct gateway_api *api, const char *unused,
			     const struct gateway_api_request *req,
			     struct gateway_api_response *resp)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	JsonArray *calls = json_array_new();

	if (api->hooks.active_calls)
		api->hooks.active_calls(api->ctx, calls);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "calls");
	json_builder_add_value(b, json_node_init_array(json_node_alloc(),
						       calls));
	json_builder_end_object(b);
	json_array_unref(calls);
	api_reply(resp, 200, b);
}

