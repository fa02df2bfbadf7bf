/* gateway/api_bans.c - GET /api/bans and DELETE /api/bans/{id}. */
#define G_LOG_DOMAIN "ovoz-api"

#include "gateway/api_private.h"

#include <errno.h>
#include <string.h>

/* One ban, copied out of the auth module (its strings are borrowed). */
struct api_ban {
	struct sip_ban_info info;
	char *source, *address, *extension, *reason;
};

static void api_ban_free(struct api_ban *b)
{
	g_free(b->source);
	g_free(b->address);
	g_free(b->extension);
	g_free(b->reason);
	g_free(b);
}

static void api_ban_collect(const struct sip_ban_info *info, void *arg)
{
	struct api_ban *b = g_new0(struct api_ban, 1);

	b->info = *info;
	b->source = g_strdup(info->source);
	b->address = g_strdup(info->address);
	b->extension = g_strdup(info->extension);
	b->reason = g_strdup(info->reason);
	g_ptr_array_add(arg, b);
}

static gint api_ban_cmp(gconstpointer pa, gconstpointer pb)
{
	const struct api_ban *a = *(struct api_ban *const *)pa;
	const struct api_ban *b = *(struct api_ban *const *)pb;

	return a->info.id < b->info.id ? -1 : a->info.id > b->info.id;
}

static void api_add_ban(JsonBuilder *b, const struct api_ban *ban,
			int64_t now)
{
	int64_t left = ban->info.until - now;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, (gint64)ban->info.id);
	api_add_string_or_null(b, "scope",
			       sip_ban_scope_name(ban->info.scope));
	api_add_string_or_null(b, "source", ban->source);
	api_add_string_or_null(b, "address", ban->address);
	api_add_string_or_null(b, "extension", ban->extension);
	api_add_string_or_null(b, "reason", ban->reason);
	json_builder_set_member_name(b, "since");
	json_builder_add_int_value(b, ban->info.since);
	json_builder_set_member_name(b, "until");
	json_builder_add_int_value(b, ban->info.until);
	json_builder_set_member_name(b, "remaining");
	json_builder_add_int_value(b, left > 0 ? left : 0);
	json_builder_set_member_name(b, "failures");
	json_builder_add_int_value(b, ban->info.failures);
	json_builder_set_member_name(b, "refused");
	json_builder_add_int_value(b, (gint64)ban->info.refused);
	json_builder_end_object(b);
}

void api_bans_list(struct gateway_api *api, const char *unused,
		   const struct gateway_api_request *req,
		   struct gateway_api_response *resp)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)api_ban_free);
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;

	if (api->auth)
		sip_auth_bans_foreach(api->auth, api_ban_collect, list);
	g_ptr_array_sort(list, api_ban_cmp);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "bans");
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++)
		api_add_ban(b, g_ptr_array_index(list, i), now);
	json_builder_end_array(b);
	json_builder_end_object(b);
	api_reply(resp, 200, b);
}

void api_bans_lift(struct gateway_api *api, const char *id,
		   const struct gateway_api_request *req,
		   struct gateway_api_response *resp)
{
	guint64 n = 0;

	if (!g_ascii_string_to_unsigned(id, 10, 1, G_MAXINT64, &n, NULL)) {
		api_error(resp, 400, "ban id must be a positive integer "
			  "(the id of GET /api/bans)");
		return;
	}
	if (!api->auth || sip_auth_ban_lift(api->auth, n) != 0) {
		api_error(resp, 404, "no ban %" G_GUINT64_FORMAT " in force", n);
		return;
	}
	resp->status = 204;
	g_clear_pointer(&resp->body, g_free);
}
