/*
 * gateway/api_doctor.c - GET /api/extensions/{ext}/doctor and GET
 * /api/doctor: the registration doctor's findings (gateway/doctor.h) as
 * JSON, from the stored attempts, the live bindings and the bans.
 */
#define G_LOG_DOMAIN "ovoz-api"

#include "gateway/api_private.h"
#include "gateway/doctor.h"

#include <errno.h>
#include <string.h>

#define API_DOCTOR_ATTEMPTS 500
#define API_DOCTOR_SILENT_AFTER 600

/* Inputs gathered for the doctor, and the storage behind them. */
struct api_doctor_facts {
	struct gateway_doctor_input in;
	GPtrArray *attempts;
	JsonArray *contacts;
	GArray *bindings; /* struct gateway_doctor_binding into contacts */
	GArray *bans;     /* struct gateway_doctor_ban */
	GPtrArray *strings;
};

static void api_doctor_ban(const struct sip_ban_info *info, void *arg)
{
	struct api_doctor_facts *f = arg;
	struct gateway_doctor_ban b = {
		.address = g_strdup(info->address),
		.extension = g_strdup(info->extension),
		.until = info->until,
		.failures = info->failures,
	};

	g_ptr_array_add(f->strings, (char *)b.address);
	g_ptr_array_add(f->strings, (char *)b.extension);
	g_array_append_val(f->bans, b);
}

static const char *api_json_string(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n && JSON_NODE_HOLDS_VALUE(n) &&
			       json_node_get_value_type(n) == G_TYPE_STRING
		       ? json_node_get_string(n) : NULL;
}

static void api_doctor_bindings(struct gateway_api *api, const char *ext,
				struct api_doctor_facts *f)
{
	f->contacts = json_array_new();
	if (api->hooks.contacts)
		api->hooks.contacts(api->ctx, ext, f->contacts);
	for (guint i = 0; i < json_array_get_length(f->contacts); i++) {
		JsonObject *o = json_array_get_object_element(f->contacts, i);
		struct gateway_doctor_binding b = {
			.source = api_json_string(o, "source"),
			.transport = api_json_string(o, "transport"),
			.user_agent = api_json_string(o, "userAgent"),
		};
		g_array_append_val(f->bindings, b);
	}
}

static bool api_doctor_is_extension(void *ctx, const char *ext)
{
	struct gateway_api *api = ctx;
	const char *md5, *sha;

	return ext && gateway_store_credentials(api->store, ext, &md5,
						&sha) == 0;
}

/* Fill @f for @ext (NULL: server-wide). A store error is returned. */
static int api_doctor_gather(struct gateway_api *api, const char *ext,
			     struct api_doctor_facts *f)
{
	int err;

	f->bindings = g_array_new(FALSE, TRUE,
				  sizeof(struct gateway_doctor_binding));
	f->bans = g_array_new(FALSE, TRUE, sizeof(struct gateway_doctor_ban));
	f->strings = g_ptr_array_new_with_free_func(g_free);
	err = gateway_store_attempt_list(api->store, ext, API_DOCTOR_ATTEMPTS,
					 &f->attempts);
	if (err)
		return err;
	if (ext) {
		f->in.exists = api_doctor_is_extension(api, ext);
		api_doctor_bindings(api, ext, f);
	}
	if (api->auth)
		sip_auth_bans_foreach(api->auth, api_doctor_ban, f);
	f->in.extension = ext;
	f->in.attempts = f->attempts;
	f->in.bindings = (void *)f->bindings->data;
	f->in.n_bindings = f->bindings->len;
	f->in.bans = (void *)f->bans->data;
	f->in.n_bans = f->bans->len;
	f->in.is_extension = api_doctor_is_extension;
	f->in.ctx = api;
	f->in.now = g_get_real_time() / G_USEC_PER_SEC;
	f->in.silent_after = API_DOCTOR_SILENT_AFTER;
	return 0;
}

static void api_doctor_facts_clear(struct api_doctor_facts *f)
{
	if (f->attempts)
		g_ptr_array_unref(f->attempts);
	if (f->contacts)
		json_array_unref(f->contacts);
	g_array_unref(f->bindings);
	g_array_unref(f->bans);
	g_ptr_array_unref(f->strings);
}

static void api_add_time_if(JsonBuilder *b, const char *name, int64_t t)
{
	if (!t)
		return;
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, t);
}

static void api_add_finding(JsonBuilder *b,
			    const struct gateway_doctor_finding *f)
{
	g_autofree char *text = gateway_doctor_text(f);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "code");
	json_builder_add_string_value(b, gateway_doctor_code_name(f->code));
	json_builder_set_member_name(b, "severity");
	json_builder_add_string_value(b, gateway_doctor_severity(f->code));
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, text);
	api_add_string_or_null(b, "extension", f->extension);
	api_add_string_or_null(b, "source", f->source);
	api_add_string_or_null(b, "transport", f->transport);
	api_add_string_or_null(b, "userAgent", f->user_agent);
	json_builder_set_member_name(b, "count");
	json_builder_add_int_value(b, f->count);
	api_add_time_if(b, "at", f->at);
	api_add_time_if(b, "until", f->until);
	json_builder_end_object(b);
}

static void api_doctor_reply(struct gateway_api *api, const char *ext,
			     struct gateway_api_response *resp)
{
	struct api_doctor_facts f = {0};
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(GPtrArray) findings = NULL;
	int err = api_doctor_gather(api, ext, &f);

	if (err) {
		api_doctor_facts_clear(&f);
		api_store_fail(resp, err);
		return;
	}
	findings = gateway_doctor_examine(&f.in);
	b = json_builder_new();
	json_builder_begin_object(b);
	if (ext) {
		json_builder_set_member_name(b, "extension");
		json_builder_add_string_value(b, ext);
		json_builder_set_member_name(b, "exists");
		json_builder_add_boolean_value(b, f.in.exists);
		json_builder_set_member_name(b, "registered");
		json_builder_add_boolean_value(b, f.in.n_bindings > 0);
	}
	json_builder_set_member_name(b, "findings");
	json_builder_begin_array(b);
	for (guint i = 0; i < findings->len; i++)
		api_add_finding(b, g_ptr_array_index(findings, i));
	json_builder_end_array(b);
	json_builder_end_object(b);
	api_reply(resp, 200, b);
	api_doctor_facts_clear(&f);
}

void api_doctor_extension(struct gateway_api *api, const char *ext,
			  const struct gateway_api_request *req,
			  struct gateway_api_response *resp)
{
	api_doctor_reply(api, ext, resp);
}

void api_doctor_server(struct gateway_api *api, const char *unused,
		       const struct gateway_api_request *req,
		       struct gateway_api_response *resp)
{
	api_doctor_reply(api, NULL, resp);
}
